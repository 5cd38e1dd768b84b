/* Signed checkpoints of the audit chain's head: see audit_anchor.h. */
#include "core/audit_anchor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/db.h"
#include "util/keydir.h"
#include "util/log.h"

#define SIGNED_PREFIX "secondop.audit.checkpoint.v1"

/* Reads exactly n bytes and then end of file. 0 or -1. */
static int read_exact(int fd, unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = read(fd, buf + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    got += (size_t)k;
  }
  unsigned char extra;
  return read(fd, &extra, 1) == 0 ? 0 : -1;
}

/* Makes the seed file atomically (temporary file, fsync, link): two processes
 * starting at once agree on one key. 0 or -1. */
static int create_seed(const char *dir, const char *path) {
  char tmp[4200];
  int n = snprintf(tmp, sizeof tmp, "%s/.audit-signing.key.%ld", dir, (long)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp) return -1;
  unsigned char seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int rc = (write(fd, seed, sizeof seed) == (ssize_t)sizeof seed && fsync(fd) == 0) ? 0 : -1;
  close(fd);
  sodium_memzero(seed, sizeof seed);
  if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST) rc = -1;
  unlink(tmp);
  return rc;
}

int anchor_load_key(const char *data_dir, bool create, unsigned char pk[32], unsigned char sk[64]) {
  char dir[4096], path[4200];
  if (keydir_path(data_dir, dir, sizeof dir) != 0) return -1;
  int n = snprintf(path, sizeof path, "%s/%s", dir, ANCHOR_KEY_FILE + sizeof "keys/" - 1);
  if (n < 0 || (size_t)n >= sizeof path) return -1;
  if (create) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
      LOG_E("cannot create the key folder %s: %s", dir, strerror(errno));
      return -1;
    }
    if (access(path, F_OK) != 0 && create_seed(dir, path) != 0) {
      LOG_E("cannot create the audit signing key %s: %s", path, strerror(errno));
      return -1;
    }
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    LOG_E("cannot open the audit signing key %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  unsigned char seed[crypto_sign_SEEDBYTES];
  int rc = -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    LOG_E("the audit signing key %s is not a regular file", path);
  } else if (st.st_mode & 077) {
    LOG_E("the audit signing key %s is readable by others (mode %o): chmod 600 it", path,
          (unsigned)(st.st_mode & 0777));
  } else if (read_exact(fd, seed, sizeof seed) != 0) {
    LOG_E("the audit signing key %s is not %d bytes long", path, crypto_sign_SEEDBYTES);
  } else {
    rc = crypto_sign_seed_keypair(pk, sk, seed) == 0 ? 0 : -1;
  }
  sodium_memzero(seed, sizeof seed);
  close(fd);
  return rc;
}

/* The signed text of a checkpoint. Its length, or -1. */
static int signed_text(const struct anchor_checkpoint *cp, char *out, size_t cap) {
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, cp->hash, 32);
  int n = snprintf(out, cap, SIGNED_PREFIX " %lld %s %lld", cp->row_id, hex, cp->at);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

int anchor_format(const struct anchor_checkpoint *cp, const unsigned char sk[64], char *line, size_t cap) {
  char msg[200], hex[65], sighex[2 * crypto_sign_BYTES + 1];
  unsigned char sig[crypto_sign_BYTES];
  int mlen = signed_text(cp, msg, sizeof msg);
  if (mlen < 0 || crypto_sign_detached(sig, NULL, (const unsigned char *)msg, (unsigned long long)mlen, sk) != 0)
    return -1;
  sodium_bin2hex(hex, sizeof hex, cp->hash, 32);
  sodium_bin2hex(sighex, sizeof sighex, sig, sizeof sig);
  int n = snprintf(line, cap, "v1 %lld %s %lld %s\n", cp->row_id, hex, cp->at, sighex);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* A decimal number of 1-18 digits ending at a space, newline or NUL; moves *p past it. */
static int parse_num(const char **p, long long *out) {
  const char *s = *p;
  long long v = 0;
  size_t k = 0;
  while (s[k] >= '0' && s[k] <= '9' && k < 18) v = v * 10 + (s[k++] - '0');
  if (k == 0 || (s[k] >= '0' && s[k] <= '9')) return -1;
  *out = v;
  *p = s + k;
  return 0;
}

/* Exactly n lower-case hex digits decoded into out; moves *p past them. */
static int parse_hex(const char **p, unsigned char *out, size_t nbytes) {
  const char *s = *p;
  for (size_t i = 0; i < 2 * nbytes; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return -1;
  size_t len = 0;
  if (sodium_hex2bin(out, nbytes, s, 2 * nbytes, NULL, &len, NULL) != 0 || len != nbytes) return -1;
  *p = s + 2 * nbytes;
  return 0;
}

int anchor_parse(const char *line, const unsigned char pk[32], struct anchor_checkpoint *out) {
  const char *p = line;
  unsigned char sig[crypto_sign_BYTES];
  struct anchor_checkpoint cp;
  if (strncmp(p, "v1 ", 3) != 0) return -1;
  p += 3;
  if (parse_num(&p, &cp.row_id) != 0 || *p++ != ' ') return -1;
  if (parse_hex(&p, cp.hash, 32) != 0 || *p++ != ' ') return -1;
  if (parse_num(&p, &cp.at) != 0 || *p++ != ' ') return -1;
  if (parse_hex(&p, sig, sizeof sig) != 0) return -1;
  if (*p == '\n') p++;
  if (*p != '\0') return -1;
  char msg[200];
  int mlen = signed_text(&cp, msg, sizeof msg);
  if (mlen < 0) return -1;
  if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, (unsigned long long)mlen, pk) != 0) return -2;
  *out = cp;
  return 0;
}

/* ---- the server's checkpoint writer ---- */

static struct {
  bool ready;
  char path[4200];
  unsigned char pk[32], sk[64];
  unsigned interval;
  long long last_row;
  unsigned char last_hash[32];
  bool have_last;
  pthread_t thread;
  bool running, stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} A = {.mu = PTHREAD_MUTEX_INITIALIZER};

int anchor_init(const char *data_dir, unsigned interval_seconds) {
  int n = snprintf(A.path, sizeof A.path, "%s/%s", data_dir, ANCHOR_FILE);
  if (n < 0 || (size_t)n >= sizeof A.path) return -1;
  if (anchor_load_key(data_dir, true, A.pk, A.sk) != 0) return -1;
  A.interval = interval_seconds ? interval_seconds : 300;
  A.ready = true;
  char pkhex[65];
  sodium_bin2hex(pkhex, sizeof pkhex, A.pk, 32);
  LOG_I("audit checkpoints every %u s to %s; signing key (Ed25519, public) %s", A.interval, A.path, pkhex);
  return 0;
}

int anchor_checkpoint_now(bool force) {
  if (!A.ready) return 0;
  struct anchor_checkpoint cp = {0};
  bool found = false;
  if (audit_store_head(&cp.row_id, cp.hash, &found) != ERR_OK) {
    LOG_W("audit checkpoint skipped: the database could not be read");
    return -1;
  }
  if (!found) return 0; /* an empty trail has no head to anchor */
  if (!force && A.have_last && A.last_row == cp.row_id && sodium_memcmp(A.last_hash, cp.hash, 32) == 0) return 0;
  cp.at = (long long)time(NULL);
  char line[ANCHOR_LINE_MAX];
  int len = anchor_format(&cp, A.sk, line, sizeof line);
  if (len < 0) return -1;
  int fd = open(A.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    LOG_E("cannot open %s: %s", A.path, strerror(errno));
    return -1;
  }
  int rc = (write(fd, line, (size_t)len) == len && fsync(fd) == 0) ? 0 : -1;
  if (rc != 0) LOG_E("cannot append to %s: %s", A.path, strerror(errno));
  close(fd);
  if (rc == 0) {
    A.last_row = cp.row_id;
    memcpy(A.last_hash, cp.hash, 32);
    A.have_last = true;
    line[len - 1] = '\0';
    LOG_I("audit checkpoint: %s", line);
  }
  return rc;
}

static void *anchor_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&A.mu);
  while (!A.stop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += A.interval;
    while (!A.stop && pthread_cond_timedwait(&A.cv, &A.mu, &ts) != ETIMEDOUT) {
    }
    if (A.stop) break;
    pthread_mutex_unlock(&A.mu);
    anchor_checkpoint_now(false);
    pthread_mutex_lock(&A.mu);
  }
  pthread_mutex_unlock(&A.mu);
  db_close();
  return NULL;
}

void anchor_start(void) {
  if (!A.ready || A.running) return;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&A.cv, &ca);
  pthread_condattr_destroy(&ca);
  A.stop = false;
  if (pthread_create(&A.thread, NULL, anchor_main, NULL) == 0) A.running = true;
  else LOG_E("cannot start the audit checkpoint thread");
}

void anchor_stop(void) {
  if (!A.running) return;
  pthread_mutex_lock(&A.mu);
  A.stop = true;
  pthread_cond_signal(&A.cv);
  pthread_mutex_unlock(&A.mu);
  pthread_join(A.thread, NULL);
  pthread_cond_destroy(&A.cv);
  A.running = false;
}

void anchor_shutdown(void) {
  anchor_stop();
  sodium_memzero(A.sk, sizeof A.sk);
  A.ready = false;
}
