#include "core/unpacker.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/confined.h"
#include "dicom/packaging.h"
#include "util/log.h"

#define FRAME_HDR 5
#define FRAME_MAX (UNPACK_DATA_MAX > UNPACK_NAME_MAX + 2 ? UNPACK_DATA_MAX : UNPACK_NAME_MAX + 2)
#define RB_CAP (2 * (FRAME_HDR + FRAME_MAX))
#define CHILD_CPU_SECONDS 600 /* a whole 8 GiB archive inflates in well under a minute */
#define CHILD_MEMORY_MIB 1024 /* ZIP and ISO reading streams: a few MiB besides the libraries */

static atomic_uint stall_seconds = 30;
static const char *program = "/proc/self/exe";

void unpacker_set_stall_seconds(unsigned s) { atomic_store(&stall_seconds, s ? s : 1); }
unsigned unpacker_stall_seconds(void) { return atomic_load(&stall_seconds); }
void unpacker_set_program(const char *path) { program = path; }

struct unpacker {
  pid_t pid;
  int fd;
  unpacker_feed_fn feed;
  void *ctx;
  const unsigned char *in; /* fed bytes not yet sent */
  size_t in_len;
  int in_eof, wr_closed, child_eof, finished;
  size_t rlen, roff;
  unsigned char rb[RB_CAP];
};

int unpacker_start(struct unpacker **up, unpacker_feed_fn feed, void *ctx) {
  static const char *const pass_env[] = {
#ifdef SECONDOP_TEST_HOOKS
      "SECONDOP_TEST_UNPACK_KILL_AT=",
#endif
      NULL};
  *up = NULL;
  struct unpacker *u = calloc(1, sizeof *u);
  if (!u) return UNPACKER_START;
  u->feed = feed;
  u->ctx = ctx;
  u->pid = confined_start(program, "unpack-worker", "unpacking", pass_env, &u->fd);
  if (u->pid <= 0) {
    free(u);
    return UNPACKER_START;
  }
  *up = u;
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int unpacker_next(struct unpacker *u, struct unpack_frame *f) {
  if (u->roff) { /* keep the unread bytes at the start of the buffer */
    memmove(u->rb, u->rb + u->roff, u->rlen - u->roff);
    u->rlen -= u->roff;
    u->roff = 0;
  }
  long long last = now_ms();
  for (;;) {
    if (u->rlen >= FRAME_HDR) {
      size_t len = (size_t)u->rb[1] | (size_t)u->rb[2] << 8 | (size_t)u->rb[3] << 16 | (size_t)u->rb[4] << 24;
      if (len > FRAME_MAX) return UNPACKER_PROTO;
      if (u->rlen >= FRAME_HDR + len) {
        f->type = (char)u->rb[0];
        f->p = u->rb + FRAME_HDR;
        f->len = len;
        u->roff = FRAME_HDR + len;
        if (f->type == 'Z' || f->type == 'F') u->finished = 1;
        return 0;
      }
    }
    if (u->child_eof) return UNPACKER_CHILD;
    if (!u->wr_closed && !u->in_len && !u->in_eof) {
      const void *p = NULL;
      long n = u->feed(u->ctx, &p);
      if (n < 0) return UNPACKER_FEED;
      if (n == 0) {
        u->in_eof = 1;
        shutdown(u->fd, SHUT_WR); /* the child reads the end of the archive */
        u->wr_closed = 1;
      } else {
        u->in = p;
        u->in_len = (size_t)n;
      }
    }
    struct pollfd pf = {u->fd, POLLIN | (!u->wr_closed && u->in_len ? POLLOUT : 0), 0};
    long long left = last + (long long)unpacker_stall_seconds() * 1000 - now_ms();
    if (left <= 0) return UNPACKER_STALLED;
    int pr = poll(&pf, 1, left > 60000 ? 60000 : (int)left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return UNPACKER_CHILD;
    if (pr == 0) continue; /* the deadline is checked above */
    if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(u->fd, u->rb + u->rlen, RB_CAP - u->rlen, MSG_DONTWAIT);
      if (n > 0) {
        u->rlen += (size_t)n;
        last = now_ms();
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        u->child_eof = 1;
      }
    }
    if (pf.revents & POLLOUT) {
      ssize_t n = send(u->fd, u->in, u->in_len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        u->in += n;
        u->in_len -= (size_t)n;
        last = now_ms();
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        u->wr_closed = 1; /* the child stopped reading: it has what it needs, or it ended */
        u->in_len = 0;
      }
    }
  }
}

void unpacker_stop(struct unpacker *u) {
  if (!u) return;
  if (u->fd >= 0) close(u->fd);
  explicit_bzero(u->rb, sizeof u->rb); /* entries' bytes: patient data */
  confined_stop(u->pid, u->finished, "unpacking");
  free(u);
}

/* ---- the child ---- */

static int frame(char type, const void *a, size_t alen, const void *b, size_t blen) {
  size_t len = alen + blen;
  unsigned char h[FRAME_HDR] = {(unsigned char)type, (unsigned char)len, (unsigned char)(len >> 8),
                                (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
  if (confined_write_all(1, h, sizeof h) != 0) return -1;
  if (alen && confined_write_all(1, a, alen) != 0) return -1;
  if (blen && confined_write_all(1, b, blen) != 0) return -1;
  return 0;
}

int unpack_worker_main(void) {
  /* libarchive converts entry names to the locale's character set: UTF-8 (set before the
   * child closes up, as it reads the locale's files) */
  setlocale(LC_CTYPE, "C.UTF-8");
  if (confined_child_enter("secondop-unpack", CHILD_CPU_SECONDS, CHILD_MEMORY_MIB) != 0) return 3;
  struct archive *ar = archive_read_new();
  if (!ar) return 3;
  archive_read_support_format_zip(ar);
  archive_read_support_format_iso9660(ar);
  unsigned char *buf = malloc(UNPACK_DATA_MAX);
  int rc = 3;
  unsigned long headers = 0, kill_at = 0;
#ifdef SECONDOP_TEST_HOOKS
  /* a child killed from outside part way (as by the kernel's out-of-memory killer) */
  const char *ka = getenv("SECONDOP_TEST_UNPACK_KILL_AT");
  if (ka) kill_at = strtoul(ka, NULL, 10);
#endif
  if (!buf) goto done;
  if (archive_read_open_fd(ar, 0, UNPACK_DATA_MAX) != ARCHIVE_OK) {
    rc = frame('F', "o", 1, NULL, 0) == 0 ? 0 : 3;
    goto done;
  }
  for (;;) {
    struct archive_entry *ent;
    int hr = archive_read_next_header(ar, &ent);
    if (hr == ARCHIVE_EOF) {
      rc = frame('Z', NULL, 0, NULL, 0) == 0 ? 0 : 3;
      break;
    }
    if (hr != ARCHIVE_OK && hr != ARCHIVE_WARN) {
      rc = frame('F', "h", 1, NULL, 0) == 0 ? 0 : 3;
      break;
    }
    const char *nm = archive_entry_pathname_utf8(ent);
    unsigned char hk[2] = {0, 1};
    if (!nm) { /* raw bytes: the parent shows them cleaned; the checks see them as they are */
      nm = archive_entry_pathname(ent);
      hk[1] = 0;
    }
    mode_t ft = archive_entry_filetype(ent);
    if (ft == AE_IFDIR)
      hk[0] = UNPACK_ENTRY_DIR;
    else if (nm && packaging_system_file(nm))
      hk[0] = UNPACK_ENTRY_SYSTEM;
    else if (archive_entry_hardlink(ent) || archive_entry_symlink(ent) || ft != AE_IFREG)
      hk[0] = UNPACK_ENTRY_LINK;
    else if (packaging_unsafe_name(nm))
      hk[0] = UNPACK_ENTRY_UNSAFE;
    else
      hk[0] = UNPACK_ENTRY_FILE;
    size_t nl = nm ? strnlen(nm, UNPACK_NAME_MAX) : 0;
    if (frame('H', hk, sizeof hk, nm, nl) != 0) goto done;
    if (++headers == kill_at) raise(SIGKILL);
    if (hk[0] != UNPACK_ENTRY_FILE) continue;
    for (;;) {
      la_ssize_t n = archive_read_data(ar, buf, UNPACK_DATA_MAX);
      if (n < 0) {
        if (frame('R', NULL, 0, NULL, 0) != 0) goto done;
        break;
      }
      if (n == 0) {
        if (frame('E', NULL, 0, NULL, 0) != 0) goto done;
        break;
      }
      if (frame('D', buf, (size_t)n, NULL, 0) != 0) goto done;
    }
  }
done:
  archive_read_free(ar);
  free(buf);
  return rc;
}
