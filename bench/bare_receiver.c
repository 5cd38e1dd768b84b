/* The limit the portal's upload path is measured against (bench/upload.sh):
 * the same libmicrohttpd threading model (epoll, thread pool), no auth, no
 * database, no digest. Every request body is sealed as it arrives in 64 KiB
 * records with crypto_aead_xchacha20poly1305_ietf (random per-file key and
 * nonce prefix, record index and final flag as associated data), each record
 * written as it fills, and the file synced once at the end; then 204.
 * With --direct 1 the sealed records are gathered and written with O_DIRECT
 * in 1 MiB blocks (as the portal writes a staging file's records), the
 * partial last block padded and the file cut to its length at the end.
 *
 *   bare_receiver serve DIR [--port N] [--threads N] [--memory-limit BYTES] [--direct 1]
 *       prints "listening on PORT" and serves until SIGINT/SIGTERM
 *   bare_receiver seal BYTES
 *       seals BYTES of zeros in memory, 64 KiB records, and prints MB/s
 */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RECORD 65536
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

struct sealer {
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  unsigned char prefix[NONCE - 8];
  unsigned char file_id[16];
  uint64_t index;
  size_t fill;
  unsigned char plain[RECORD];
  unsigned char sealed[RECORD + TAG];
};

struct upload {
  struct sealer s;
  unsigned char *dbuf; /* --direct: sealed records gathered for O_DIRECT writes */
  size_t dfill;
  uint64_t doff;
  int fd;
  int failed;
  uint64_t bytes;
};

static const char *dir;
static int direct;
#define DCHUNK (1u << 20)
static atomic_uint_fast64_t counter;

/* Seals s->plain[0..fill) as record s->index into s->sealed; returns its length. */
static size_t seal_record(struct sealer *s, int final) {
  unsigned char nonce[NONCE], ad[16 + 8 + 1];
  memcpy(nonce, s->prefix, sizeof s->prefix);
  for (int i = 0; i < 8; i++) nonce[sizeof s->prefix + (size_t)i] = (unsigned char)(s->index >> (8 * i));
  memcpy(ad, s->file_id, 16);
  memcpy(ad + 16, nonce + sizeof s->prefix, 8);
  ad[24] = (unsigned char)final;
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(s->sealed, &clen, s->plain, s->fill, ad, sizeof ad, NULL, nonce, s->key);
  s->index++;
  s->fill = 0;
  return (size_t)clen;
}

static void sealer_init(struct sealer *s) {
  crypto_aead_xchacha20poly1305_ietf_keygen(s->key);
  randombytes_buf(s->prefix, sizeof s->prefix);
  randombytes_buf(s->file_id, sizeof s->file_id);
  s->index = 0;
  s->fill = 0;
}

/* Writes all of buf; 0 or -1. */
static int write_all(int fd, const unsigned char *buf, size_t len) {
  while (len) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* --direct: appends one sealed record, writing whole aligned blocks. */
static int direct_put(struct upload *u, int final) {
  size_t clen = seal_record(&u->s, final);
  memcpy(u->dbuf + u->dfill, u->s.sealed, clen);
  u->dfill += clen;
  if (u->dfill < DCHUNK && !final) return 0;
  size_t whole = u->dfill & ~(size_t)4095, rest = u->dfill - whole;
  if (final && rest) {
    memset(u->dbuf + u->dfill, 0, 4096 - rest);
    whole += 4096;
  }
  for (size_t done = 0; done < whole;) {
    ssize_t n = pwrite(u->fd, u->dbuf + done, whole - done, (off_t)(u->doff + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  if (final) return ftruncate(u->fd, (off_t)(u->doff + u->dfill));
  memmove(u->dbuf, u->dbuf + whole, rest);
  u->doff += whole;
  u->dfill = rest;
  return 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status) {
  struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  enum MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *data, size_t *size, void **req_cls) {
  (void)cls; (void)url; (void)version;
  struct upload *u = *req_cls;
  if (!u) {
    u = calloc(1, sizeof *u);
    if (!u) return MHD_NO;
    u->fd = -1;
    *req_cls = u;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
      char path[4096];
      snprintf(path, sizeof path, "%s/upload-%llu", dir, (unsigned long long)atomic_fetch_add(&counter, 1));
      u->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0), 0600);
      if (direct && posix_memalign((void **)&u->dbuf, 4096, DCHUNK + 2 * RECORD + 4096) != 0) u->failed = 1;
      if (u->fd < 0) u->failed = 1;
      sealer_init(&u->s);
    }
    return MHD_YES;
  }
  if (*size) {
    const unsigned char *p = (const unsigned char *)data;
    size_t len = *size;
    *size = 0;
    if (u->fd < 0 || u->failed) return MHD_YES;
    u->bytes += len;
    while (len) {
      size_t n = RECORD - u->s.fill;
      if (n > len) n = len;
      memcpy(u->s.plain + u->s.fill, p, n);
      u->s.fill += n;
      p += n;
      len -= n;
      if (u->s.fill == RECORD && (direct ? direct_put(u, 0) : write_all(u->fd, u->s.sealed, seal_record(&u->s, 0))) != 0)
        u->failed = 1;
    }
    return MHD_YES;
  }
  if (u->fd < 0) return answer(c, u->failed ? 500 : 200);
  if (!u->failed && (direct ? direct_put(u, 1) : write_all(u->fd, u->s.sealed, seal_record(&u->s, 1))) != 0)
    u->failed = 1;
  if (!u->failed && fdatasync(u->fd) != 0) u->failed = 1;
  close(u->fd);
  u->fd = -1;
  return answer(c, u->failed ? 500 : 204);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe) {
  (void)cls; (void)c; (void)toe;
  struct upload *u = *req_cls;
  if (!u) return;
  if (u->fd >= 0) close(u->fd);
  sodium_memzero(&u->s, sizeof u->s);
  free(u->dbuf);
  free(u);
  *req_cls = NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The in-memory sealing limit: BYTES in 64 KiB records. */
static int seal_bench(unsigned long long bytes) {
  struct sealer *s = calloc(1, sizeof *s);
  if (!s) return 1;
  sealer_init(s);
  volatile unsigned char sink = 0;
  double t0 = now_s();
  for (unsigned long long done = 0; done < bytes;) {
    size_t n = bytes - done < RECORD ? (size_t)(bytes - done) : RECORD;
    s->fill = n;
    seal_record(s, done + n == bytes);
    sink ^= s->sealed[0];
    done += n;
  }
  double dt = now_s() - t0;
  printf("sealed %llu bytes in %.3f s: %.1f MB/s\n", bytes, dt, (double)bytes / dt / 1e6);
  (void)sink;
  free(s);
  return 0;
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) return 1;
  if (argc == 3 && strcmp(argv[1], "seal") == 0) return seal_bench(strtoull(argv[2], NULL, 10));
  if (argc < 3 || strcmp(argv[1], "serve") != 0) {
    fprintf(stderr, "usage: bare_receiver serve DIR [--port N] [--threads N] [--memory-limit BYTES] [--direct 1]\n"
                    "       bare_receiver seal BYTES\n");
    return 2;
  }
  dir = argv[2];
  unsigned port = 0, threads = 4;
  size_t memory_limit = 32 * 1024;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) port = (unsigned)atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--threads") == 0) threads = (unsigned)atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--direct") == 0) direct = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--memory-limit") == 0) memory_limit = (size_t)strtoull(argv[i + 1], NULL, 10);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)port, NULL, NULL, on_access, NULL, MHD_OPTION_THREAD_POOL_SIZE,
      threads, MHD_OPTION_CONNECTION_LIMIT, 64, MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "bare_receiver: cannot listen on %u\n", port);
    return 1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  printf("listening on %u\n", di ? di->port : port);
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  return 0;
}
