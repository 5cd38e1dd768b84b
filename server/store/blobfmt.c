/* Encrypted blob files and the master key ring. Format and rules: blobfmt.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "store/blobfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FULL_CT (BLOB_RECORD + BLOB_TAG_LEN) /* ciphertext of a full record */
/* on-disk record buffer: a v2 nonce + a full record's ciphertext */
#define REC_MAX (BLOB_NONCE_LEN + FULL_CT)
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define PREFIX_LEN 16
#define RECORD_AD_LEN (BLOB_ID_LEN + 8 + 1)
#define TAIL_AD_LEN (4 + BLOB_ID_LEN + 8)
#define WRAP_AD_LEN (BLOB_ID_LEN + 4)

static const unsigned char MAGIC[8] = {'S', 'O', 'P', 'B', 'L', 'O', 'B', '1'};

_Static_assert(NONCE_LEN == 24 && BLOB_NONCE_LEN == NONCE_LEN, "xchacha nonce is 24 bytes");
_Static_assert(BLOB_RECORD_STRIDE_V2 == REC_MAX, "v2 record stride");
_Static_assert(KEY_LEN == BLOB_DEK_LEN, "DEK is an xchacha key");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == BLOB_TAG_LEN, "tag is 16 bytes");
_Static_assert(BLOB_WRAPPED_LEN == NONCE_LEN + BLOB_DEK_LEN + BLOB_TAG_LEN, "wrapped DEK");
_Static_assert(BLOB_SEALED_TAIL_OVERHEAD == NONCE_LEN + BLOB_TAG_LEN, "sealed tail");
_Static_assert(BLOB_HEADER_LEN == 8 + 4 + 4 + BLOB_ID_LEN + PREFIX_LEN, "header");

/* ---------------------------------------------------------------- helpers */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen,
                                                           const char *fmt, ...) {
  if (!err || errlen == 0) return;
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  errno = saved;
}

/* "what: strerror(errno)", errno preserved. */
static void set_errno_err(char *err, size_t errlen, const char *what) {
  int saved = errno;
  set_err(err, errlen, "%s: %s", what, strerror(saved));
  errno = saved;
}

static void put_be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (unsigned char)v;
    v >>= 8;
  }
}

static uint32_t get_be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Writes all len bytes at off; retries EINTR and short writes. 0 or -1/errno. */
static int write_all_at(int fd, const void *buf, size_t len, uint64_t off) {
  const unsigned char *p = buf;
  while (len > 0) {
    ssize_t n = pwrite(fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {
      errno = EIO;
      return -1;
    }
    p += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  return 0;
}

/* Reads up to len bytes at off; retries EINTR and short reads. Returns the
 * bytes read (less than len only at end of file) or -1/errno. */
static ssize_t read_all_at(int fd, void *buf, size_t len, uint64_t off) {
  unsigned char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

static int fsync_retry(int fd) {
  int rc;
  do rc = fsync(fd);
  while (rc != 0 && errno == EINTR);
  return rc;
}

static int fdatasync_retry(int fd) {
  int rc;
  do rc = fdatasync(fd);
  while (rc != 0 && errno == EINTR);
  return rc;
}

/* fsyncs the directory containing path. 0 or -1/errno. */
static int fsync_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = NULL;
  int fd = -1, rc = -1;
  if (!slash) dir = strdup(".");
  else if (slash == path) dir = strdup("/");
  else dir = strndup(path, (size_t)(slash - path));
  if (!dir) goto done;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) goto done;
  rc = fsync_retry(fd);
done:;
  int saved = errno;
  if (fd >= 0) close(fd);
  free(dir);
  errno = saved;
  return rc;
}

static int dirname_equal(const char *a, const char *b) {
  const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
  size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;
  return la == lb && memcmp(a, b, la) == 0;
}

/* Page-aligned buffer excluded from core dumps (it holds plaintext). */
static unsigned char *buf_alloc(size_t n) {
  void *p = NULL;
  if (posix_memalign(&p, 4096, n) != 0) return NULL;
  (void)madvise(p, (n + 4095) & ~(size_t)4095, MADV_DONTDUMP);
  return p;
}

static void buf_free(unsigned char *p, size_t n) {
  if (!p) return;
  sodium_memzero(p, n);
  free(p);
}

static unsigned char *secret_copy(const unsigned char *src, size_t n) {
  unsigned char *p = sodium_malloc(n);
  if (!p) return NULL;
  memcpy(p, src, n);
  (void)sodium_mprotect_readonly(p);
  return p;
}

/* ------------------------------------------------------------ key ring */

struct kr_key {
  uint32_t version;
  unsigned char *key; /* sodium_malloc'd, read-only, KEY_LEN bytes */
};

struct keyring {
  int dirfd;
  char *dir;
  uint32_t current;
  struct kr_key *keys;
  size_t n, cap;
};

static const unsigned char *kr_find(const struct keyring *kr, uint32_t version) {
  for (size_t i = 0; i < kr->n; i++)
    if (kr->keys[i].version == version) return kr->keys[i].key;
  return NULL;
}

static uint32_t kr_max_version(const struct keyring *kr) {
  uint32_t m = 0;
  for (size_t i = 0; i < kr->n; i++)
    if (kr->keys[i].version > m) m = kr->keys[i].version;
  return m;
}

/* Takes ownership of key (freed on failure). */
static int kr_add(struct keyring *kr, uint32_t version, unsigned char *key) {
  if (kr->n == kr->cap) {
    size_t ncap = kr->cap ? kr->cap * 2 : 4;
    struct kr_key *nk = realloc(kr->keys, ncap * sizeof *nk);
    if (!nk) {
      sodium_free(key);
      return -1;
    }
    kr->keys = nk;
    kr->cap = ncap;
  }
  kr->keys[kr->n].version = version;
  kr->keys[kr->n].key = key;
  kr->n++;
  return 0;
}

/* Strict decimal version 1..UINT32_MAX-1, no sign, no leading zero, exactly
 * len characters. */
static int parse_version(const char *s, size_t len, uint32_t *out) {
  uint64_t v = 0;
  if (len == 0 || len > 10 || s[0] == '0') return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v == 0 || v >= UINT32_MAX) return -1;
  *out = (uint32_t)v;
  return 0;
}

/* Loads one key file into locked memory after checking type, mode and size. */
static int kr_load_key(struct keyring *kr, const char *name, uint32_t version, char *err,
                       size_t errlen) {
  int fd = -1, rc = -1;
  unsigned char *key = NULL;
  struct stat st;
  fd = openat(kr->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    set_err(err, errlen, "cannot open key file %s/%s: %s", kr->dir, name, strerror(errno));
    goto done;
  }
  if (fstat(fd, &st) != 0) {
    set_err(err, errlen, "cannot stat key file %s/%s: %s", kr->dir, name, strerror(errno));
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    set_err(err, errlen, "key file %s/%s is not a regular file", kr->dir, name);
    goto done;
  }
  if (st.st_mode & 077) {
    set_err(err, errlen, "key file %s/%s is accessible by group/other (mode %03o); chmod 600 it",
            kr->dir, name, (unsigned)(st.st_mode & 0777));
    goto done;
  }
  if (st.st_size != KEY_LEN) {
    set_err(err, errlen, "key file %s/%s has %lld bytes, expected %d", kr->dir, name,
            (long long)st.st_size, KEY_LEN);
    goto done;
  }
  key = sodium_malloc(KEY_LEN);
  if (!key) {
    set_err(err, errlen, "out of locked memory for key %s", name);
    goto done;
  }
  ssize_t n = read_all_at(fd, key, KEY_LEN, 0);
  if (n != KEY_LEN) {
    set_err(err, errlen, "cannot read key file %s/%s", kr->dir, name);
    goto done;
  }
  (void)sodium_mprotect_readonly(key);
  if (kr_add(kr, version, key) != 0) {
    key = NULL; /* freed by kr_add */
    set_err(err, errlen, "out of memory");
    goto done;
  }
  key = NULL;
  rc = 0;
done:
  if (key) sodium_free(key);
  if (fd >= 0) close(fd);
  return rc;
}

/* Creates master-<version>.key with fresh random bytes (temp file, fsync,
 * link without replacing, fsync dir) and loads it. */
static int kr_create_key(struct keyring *kr, uint32_t version, char *err, size_t errlen) {
  char tmp[64], name[64];
  int fd = -1, rc = -1, tmp_made = 0;
  unsigned char *key = NULL;
  snprintf(name, sizeof name, "master-%u.key", (unsigned)version);
  snprintf(tmp, sizeof tmp, "master-%u.key.tmp", (unsigned)version);
  key = sodium_malloc(KEY_LEN);
  if (!key) {
    set_err(err, errlen, "out of locked memory for a new key");
    goto done;
  }
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  fd = openat(kr->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_err(err, errlen, "cannot create key file");
    goto done;
  }
  tmp_made = 1;
  if (fchmod(fd, 0600) != 0 || write_all_at(fd, key, KEY_LEN, 0) != 0 || fsync_retry(fd) != 0) {
    set_errno_err(err, errlen, "cannot write key file");
    goto done;
  }
  if (close(fd) != 0) {
    fd = -1;
    set_errno_err(err, errlen, "cannot write key file");
    goto done;
  }
  fd = -1;
  if (linkat(kr->dirfd, tmp, kr->dirfd, name, 0) != 0) {
    set_err(err, errlen, "cannot install %s/%s: %s", kr->dir, name, strerror(errno));
    goto done;
  }
  (void)unlinkat(kr->dirfd, tmp, 0);
  tmp_made = 0;
  if (fsync_retry(kr->dirfd) != 0) {
    set_errno_err(err, errlen, "cannot fsync keys directory");
    goto done;
  }
  (void)sodium_mprotect_readonly(key);
  if (kr_add(kr, version, key) != 0) {
    key = NULL;
    set_err(err, errlen, "out of memory");
    goto done;
  }
  key = NULL;
  rc = 0;
done:
  if (fd >= 0) close(fd);
  if (tmp_made) (void)unlinkat(kr->dirfd, tmp, 0);
  if (key) sodium_free(key);
  return rc;
}

/* Atomically writes `current` (temp, fsync, rename, fsync dir). */
static int kr_write_current(struct keyring *kr, uint32_t version, char *err, size_t errlen) {
  char text[16];
  int fd = -1, rc = -1, tmp_made = 0;
  int len = snprintf(text, sizeof text, "%u\n", (unsigned)version);
  fd = openat(kr->dirfd, "current.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              0600);
  if (fd < 0) {
    set_errno_err(err, errlen, "cannot create keys/current.tmp");
    goto done;
  }
  tmp_made = 1;
  if (write_all_at(fd, text, (size_t)len, 0) != 0 || fsync_retry(fd) != 0) {
    set_errno_err(err, errlen, "cannot write keys/current.tmp");
    goto done;
  }
  if (close(fd) != 0) {
    fd = -1;
    set_errno_err(err, errlen, "cannot write keys/current.tmp");
    goto done;
  }
  fd = -1;
  if (renameat(kr->dirfd, "current.tmp", kr->dirfd, "current") != 0) {
    set_errno_err(err, errlen, "cannot rename keys/current.tmp");
    goto done;
  }
  tmp_made = 0;
  if (fsync_retry(kr->dirfd) != 0) {
    set_errno_err(err, errlen, "cannot fsync keys directory");
    goto done;
  }
  rc = 0;
done:
  if (fd >= 0) close(fd);
  if (tmp_made) (void)unlinkat(kr->dirfd, "current.tmp", 0);
  return rc;
}

/* Reads `current`: 1 = read into *version, 0 = absent, -1 = error. */
static int kr_read_current(struct keyring *kr, uint32_t *version, char *err, size_t errlen) {
  char text[16];
  int fd = -1, rc = -1;
  struct stat st;
  fd = openat(kr->dirfd, "current", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) rc = 0;
    else set_err(err, errlen, "cannot open %s/current: %s", kr->dir, strerror(errno));
    goto done;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    set_err(err, errlen, "%s/current is not a regular file", kr->dir);
    goto done;
  }
  ssize_t n = read_all_at(fd, text, sizeof text, 0);
  if (n < 0) {
    set_err(err, errlen, "cannot read %s/current: %s", kr->dir, strerror(errno));
    goto done;
  }
  size_t len = (size_t)n;
  if (len > 0 && text[len - 1] == '\n') len--;
  if (n == (ssize_t)sizeof text || parse_version(text, len, version) != 0) {
    set_err(err, errlen, "%s/current does not hold a key version", kr->dir);
    goto done;
  }
  rc = 1;
done:
  if (fd >= 0) close(fd);
  return rc;
}

/* Loads every master-<n>.key in the directory. */
static int kr_scan(struct keyring *kr, char *err, size_t errlen) {
  DIR *d = NULL;
  int rc = -1, fd;
  fd = openat(kr->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !(d = fdopendir(fd))) {
    if (fd >= 0) close(fd);
    set_err(err, errlen, "cannot list %s: %s", kr->dir, strerror(errno));
    goto done;
  }
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno != 0) {
        set_err(err, errlen, "cannot list %s: %s", kr->dir, strerror(errno));
        goto done;
      }
      break;
    }
    const char *nm = de->d_name;
    size_t len = strlen(nm);
    if (len < 11 || strncmp(nm, "master-", 7) != 0 || strcmp(nm + len - 4, ".key") != 0) continue;
    uint32_t v;
    if (parse_version(nm + 7, len - 11, &v) != 0) {
      set_err(err, errlen, "unexpected key file name %s/%s", kr->dir, nm);
      goto done;
    }
    if (kr_load_key(kr, nm, v, err, errlen) != 0) goto done;
  }
  rc = 0;
done:
  if (d) closedir(d);
  return rc;
}

/* Opens (and on first use creates) the key ring; see blobfmt.h. */
int keyring_open(const char *keys_dir, int create_if_missing, struct keyring **out, char *err,
                 size_t errlen) {
  struct keyring *kr = NULL;
  int rc = -1;
  struct stat st;
  if (!keys_dir || !out) {
    set_err(err, errlen, "keyring_open: bad arguments");
    goto done;
  }
  *out = NULL;
  if (sodium_init() < 0) {
    set_err(err, errlen, "libsodium initialisation failed");
    goto done;
  }
  kr = calloc(1, sizeof *kr);
  if (!kr || !(kr->dir = strdup(keys_dir))) {
    set_err(err, errlen, "out of memory");
    goto done;
  }
  kr->dirfd = -1;
  if (create_if_missing) {
    if (mkdir(keys_dir, 0700) == 0) {
      if (fsync_parent_dir(keys_dir) != 0) {
        set_err(err, errlen, "cannot fsync parent of %s: %s", keys_dir, strerror(errno));
        goto done;
      }
    } else if (errno != EEXIST) {
      set_err(err, errlen, "cannot create keys directory %s: %s", keys_dir, strerror(errno));
      goto done;
    }
  }
  kr->dirfd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (kr->dirfd < 0) {
    set_err(err, errlen, "cannot open keys directory %s: %s", keys_dir, strerror(errno));
    goto done;
  }
  if (fstat(kr->dirfd, &st) != 0) {
    set_err(err, errlen, "cannot stat keys directory %s: %s", keys_dir, strerror(errno));
    goto done;
  }
  if (st.st_mode & 077) {
    set_err(err, errlen, "keys directory %s is accessible by group/other (mode %03o); chmod 700 it",
            keys_dir, (unsigned)(st.st_mode & 0777));
    goto done;
  }
  if (kr_scan(kr, err, errlen) != 0) goto done;
  uint32_t cur = 0;
  int have = kr_read_current(kr, &cur, err, errlen);
  if (have < 0) goto done;
  if (have == 0) {
    /* First use: nothing yet, or a first use that crashed after writing
     * master-1.key (no DEK can have been wrapped with it: nothing opened). */
    if (!create_if_missing) {
      set_err(err, errlen, "no key ring in %s (missing %s/current)", keys_dir, keys_dir);
      goto done;
    }
    if (kr->n == 0) {
      if (kr_create_key(kr, 1, err, errlen) != 0) goto done;
    } else if (!(kr->n == 1 && kr->keys[0].version == 1)) {
      set_err(err, errlen, "%s holds key files but no `current`; restore it by hand", keys_dir);
      goto done;
    }
    if (kr_write_current(kr, 1, err, errlen) != 0) goto done;
    cur = 1;
  }
  if (!kr_find(kr, cur)) {
    set_err(err, errlen, "current key version %u has no file %s/master-%u.key", (unsigned)cur,
            keys_dir, (unsigned)cur);
    goto done;
  }
  kr->current = cur;
  *out = kr;
  kr = NULL;
  rc = 0;
done:
  keyring_close(kr);
  return rc;
}

/* Wipes every key and frees the ring; see blobfmt.h. */
void keyring_close(struct keyring *kr) {
  if (!kr) return;
  for (size_t i = 0; i < kr->n; i++) sodium_free(kr->keys[i].key);
  free(kr->keys);
  if (kr->dirfd >= 0) close(kr->dirfd);
  free(kr->dir);
  free(kr);
}

/* Version named by `current`; see blobfmt.h. */
uint32_t keyring_current_version(const struct keyring *kr) { return kr ? kr->current : 0; }

/* Creates and loads master-<max+1>.key without switching `current`. */
int keyring_rotate(struct keyring *kr, uint32_t *new_version, char *err, size_t errlen) {
  if (!kr || !new_version) {
    set_err(err, errlen, "keyring_rotate: bad arguments");
    return -1;
  }
  uint32_t v = kr_max_version(kr) + 1;
  if (v == 0 || v == UINT32_MAX) {
    set_err(err, errlen, "key versions exhausted");
    return -1;
  }
  if (kr_create_key(kr, v, err, errlen) != 0) return -1;
  *new_version = v;
  return 0;
}

/* Atomically switches `current` to a loaded version. */
int keyring_set_current(struct keyring *kr, uint32_t version, char *err, size_t errlen) {
  if (!kr) {
    set_err(err, errlen, "keyring_set_current: bad arguments");
    return -1;
  }
  if (!kr_find(kr, version)) {
    set_err(err, errlen, "key version %u is not loaded", (unsigned)version);
    return -1;
  }
  if (kr_write_current(kr, version, err, errlen) != 0) return -1;
  kr->current = version;
  return 0;
}

/* Deletes an old key file and wipes it from memory. */
int keyring_forget(struct keyring *kr, uint32_t version, char *err, size_t errlen) {
  char name[64];
  if (!kr) {
    set_err(err, errlen, "keyring_forget: bad arguments");
    return -1;
  }
  if (version == kr->current) {
    set_err(err, errlen, "refusing to forget the current key version %u", (unsigned)version);
    return -1;
  }
  size_t i = 0;
  while (i < kr->n && kr->keys[i].version != version) i++;
  if (i == kr->n) {
    set_err(err, errlen, "key version %u is not loaded", (unsigned)version);
    return -1;
  }
  snprintf(name, sizeof name, "master-%u.key", (unsigned)version);
  if (unlinkat(kr->dirfd, name, 0) != 0 && errno != ENOENT) {
    set_errno_err(err, errlen, "cannot delete key file");
    return -1;
  }
  if (fsync_retry(kr->dirfd) != 0) {
    set_errno_err(err, errlen, "cannot fsync keys directory");
    return -1;
  }
  sodium_free(kr->keys[i].key);
  kr->keys[i] = kr->keys[kr->n - 1];
  kr->n--;
  return 0;
}

/* Fresh random DEK. */
int blob_dek_new(unsigned char dek[BLOB_DEK_LEN]) {
  if (!dek || sodium_init() < 0) return -1;
  crypto_aead_xchacha20poly1305_ietf_keygen(dek);
  return 0;
}

static void wrap_ad(unsigned char ad[WRAP_AD_LEN], const unsigned char file_id[BLOB_ID_LEN],
                    uint32_t version) {
  memcpy(ad, file_id, BLOB_ID_LEN);
  put_be32(ad + BLOB_ID_LEN, version);
}

/* Wraps a DEK under master key `version` for file_id. */
int blob_dek_wrap(const struct keyring *kr, uint32_t version, const unsigned char file_id[BLOB_ID_LEN],
                  const unsigned char dek[BLOB_DEK_LEN], unsigned char out[BLOB_WRAPPED_LEN]) {
  unsigned char ad[WRAP_AD_LEN];
  unsigned long long clen = 0;
  if (!kr || !file_id || !dek || !out) return -1;
  const unsigned char *kek = kr_find(kr, version);
  if (!kek) return -1;
  wrap_ad(ad, file_id, version);
  randombytes_buf(out, NONCE_LEN);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, &clen, dek, BLOB_DEK_LEN, ad,
                                             sizeof ad, NULL, out, kek);
  return clen == BLOB_DEK_LEN + BLOB_TAG_LEN ? 0 : -1;
}

/* Unwraps a DEK; dek is zeroed on failure. */
int blob_dek_unwrap(const struct keyring *kr, uint32_t version,
                    const unsigned char file_id[BLOB_ID_LEN],
                    const unsigned char wrapped[BLOB_WRAPPED_LEN], unsigned char dek[BLOB_DEK_LEN]) {
  unsigned char ad[WRAP_AD_LEN];
  unsigned long long mlen = 0;
  if (!dek) return -1;
  if (!kr || !file_id || !wrapped) goto fail;
  const unsigned char *kek = kr_find(kr, version);
  if (!kek) goto fail;
  wrap_ad(ad, file_id, version);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek, &mlen, NULL, wrapped + NONCE_LEN,
                                                 BLOB_WRAPPED_LEN - NONCE_LEN, ad, sizeof ad,
                                                 wrapped, kek) != 0 ||
      mlen != BLOB_DEK_LEN)
    goto fail;
  return 0;
fail:
  sodium_memzero(dek, BLOB_DEK_LEN);
  return -1;
}

/* ------------------------------------------------------------ records */

/* Bytes a record carries in front of its ciphertext: none in v1 (the nonce
 * is derived), the random nonce in v2. */
static size_t rec_nonce_len(uint32_t format) { return format == BLOB_FORMAT_V1 ? 0 : NONCE_LEN; }
/* On-disk size of a full (non-final) record. */
static uint64_t rec_stride(uint32_t format) { return rec_nonce_len(format) + (uint64_t)FULL_CT; }
static uint64_t record_off(uint32_t format, uint64_t idx) {
  return BLOB_HEADER_LEN + idx * rec_stride(format);
}

static void record_ad(unsigned char ad[RECORD_AD_LEN], const unsigned char file_id[BLOB_ID_LEN], uint64_t idx,
                      int final) {
  memcpy(ad, file_id, BLOB_ID_LEN);
  put_be64(ad + BLOB_ID_LEN, idx);
  ad[BLOB_ID_LEN + 8] = final ? 1 : 0;
}

/* v1 only: nonce = prefix || u64 idx. */
static void record_nonce_v1(unsigned char nonce[NONCE_LEN], const unsigned char prefix[PREFIX_LEN], uint64_t idx) {
  memcpy(nonce, prefix, PREFIX_LEN);
  put_be64(nonce + PREFIX_LEN, idx);
}

/* Seals len plaintext bytes as record idx, format 2, into out (REC_MAX
 * bytes) and returns the bytes to write: a fresh random nonce || ciphertext
 * || tag. Records are only ever sealed in format 2 (format 1 is read only). */
static size_t record_seal(const unsigned char *file_id, const unsigned char *dek, uint64_t idx, int final,
                          const unsigned char *pt, size_t len, unsigned char *out) {
  unsigned char ad[RECORD_AD_LEN];
  record_ad(ad, file_id, idx, final);
  randombytes_buf(out, NONCE_LEN);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, NULL, pt, len, ad, sizeof ad, NULL, out, dek);
  return NONCE_LEN + len + BLOB_TAG_LEN;
}

/* Opens record idx (buf holds the reclen on-disk bytes) in place. On success
 * the plaintext is at buf + rec_nonce_len(format), reclen - nonce - tag
 * bytes. 0 or -1. */
static int record_open(uint32_t format, const unsigned char *prefix, const unsigned char *file_id,
                       const unsigned char *dek, uint64_t idx, int final, unsigned char *buf, size_t reclen) {
  unsigned char nonce[NONCE_LEN], ad[RECORD_AD_LEN];
  size_t nl = rec_nonce_len(format);
  if (reclen < nl + BLOB_TAG_LEN) return -1;
  record_ad(ad, file_id, idx, final);
  if (format == BLOB_FORMAT_V1) record_nonce_v1(nonce, prefix, idx);
  else memcpy(nonce, buf, NONCE_LEN);
  return crypto_aead_xchacha20poly1305_ietf_decrypt(buf + nl, NULL, NULL, buf + nl, reclen - nl, ad, sizeof ad,
                                                    nonce, dek);
}

/* Checks a header against file_id; returns its format in *format and, for
 * v1, the nonce prefix (zeros for v2, whose reserved field must be zero). */
static int header_parse(const unsigned char h[BLOB_HEADER_LEN], const unsigned char file_id[BLOB_ID_LEN],
                        uint32_t *format, unsigned char prefix[PREFIX_LEN], char *err, size_t errlen) {
  static const unsigned char zero[PREFIX_LEN];
  if (memcmp(h, MAGIC, sizeof MAGIC) != 0) {
    set_err(err, errlen, "not a blob file (bad magic)");
    return -1;
  }
  uint32_t f = get_be32(h + 8);
  if (f != BLOB_FORMAT_V1 && f != BLOB_FORMAT_V2) {
    set_err(err, errlen, "unsupported blob format version %u", (unsigned)f);
    return -1;
  }
  if (get_be32(h + 12) != BLOB_RECORD) {
    set_err(err, errlen, "unsupported blob record size %u", (unsigned)get_be32(h + 12));
    return -1;
  }
  if (memcmp(h + 16, file_id, BLOB_ID_LEN) != 0) {
    set_err(err, errlen, "blob belongs to another file id");
    return -1;
  }
  if (f == BLOB_FORMAT_V2 && memcmp(h + 16 + BLOB_ID_LEN, zero, PREFIX_LEN) != 0) {
    set_err(err, errlen, "blob header has a non-zero reserved field");
    return -1;
  }
  memcpy(prefix, h + 16 + BLOB_ID_LEN, PREFIX_LEN);
  *format = f;
  return 0;
}

static void tail_ad(unsigned char ad[TAIL_AD_LEN], const unsigned char file_id[BLOB_ID_LEN],
                    uint64_t offset) {
  memcpy(ad, "tail", 4);
  memcpy(ad + 4, file_id, BLOB_ID_LEN);
  put_be64(ad + 4 + BLOB_ID_LEN, offset);
}

/* Full records in the file for a committed offset (floor rule). */
static uint64_t staging_records(uint64_t offset) {
  return offset ? (offset - 1) / BLOB_RECORD : 0;
}

/* Exact on-disk size of a finished blob. */
uint64_t blob_disk_size_final(uint64_t plain) {
  uint64_t n = staging_records(plain);
  return record_off(BLOB_FORMAT_V2, n) + BLOB_NONCE_LEN + (plain - n * BLOB_RECORD) + BLOB_TAG_LEN;
}

/* Exact on-disk size of a staging file at a committed offset. */
uint64_t blob_disk_size_staging(uint64_t committed_offset) {
  return record_off(BLOB_FORMAT_V2, staging_records(committed_offset));
}

/* ------------------------------------------------------------ records digest */

/* A running records digest (blobfmt.h). The BLAKE2b state wants 64-byte
 * alignment, hence its own allocation. */
struct rdigest {
  crypto_generichash_state st, backup; /* backup: before a writer's append */
  uint64_t n, backup_n;                /* records folded in */
};

static struct rdigest *rdigest_new(uint32_t format, const unsigned char file_id[BLOB_ID_LEN]) {
  size_t sz = (sizeof(struct rdigest) + 63) & ~(size_t)63;
  struct rdigest *d = aligned_alloc(64, sz);
  if (!d) return NULL;
  memset(d, 0, sz);
  unsigned char h[8 + 4 + BLOB_ID_LEN];
  memcpy(h, "SOPRDIG1", 8);
  put_be32(h + 8, format);
  memcpy(h + 12, file_id, BLOB_ID_LEN);
  crypto_generichash_init(&d->st, NULL, 0, BLOB_DIGEST_LEN);
  crypto_generichash_update(&d->st, h, sizeof h);
  return d;
}

static void rdigest_free(struct rdigest *d) { free(d); }

/* Folds in one record: its nonce and its tag. */
static void rdigest_record(struct rdigest *d, const unsigned char nonce[NONCE_LEN], const unsigned char tag[BLOB_TAG_LEN]) {
  crypto_generichash_update(&d->st, nonce, NONCE_LEN);
  crypto_generichash_update(&d->st, tag, BLOB_TAG_LEN);
  d->n++;
}

/* Finishes with the record count and plaintext size (d is spent). */
static void rdigest_final(struct rdigest *d, uint64_t plain, unsigned char out[BLOB_DIGEST_LEN]) {
  unsigned char t[16];
  put_be64(t, d->n);
  put_be64(t + 8, plain);
  crypto_generichash_update(&d->st, t, sizeof t);
  crypto_generichash_final(&d->st, out, BLOB_DIGEST_LEN);
}

#define LAST_NT (NONCE_LEN + BLOB_TAG_LEN) /* nonce || tag of the last full record */
size_t blob_digest_state_len(void) { return 8 + LAST_NT + sizeof(crypto_generichash_state); }

/* ------------------------------------------------------------ writer */

struct blob_writer {
  int fd;
  struct blob_sink *sink;          /* an object backend instead of fd (owned), or NULL */
  char *path;                      /* staging path (owned) */
  unsigned char file_id[BLOB_ID_LEN];
  uint32_t format;                 /* of the file while resuming; 2 once returned */
  unsigned char prefix[PREFIX_LEN]; /* v1 files only */
  unsigned char *dek;              /* sodium_malloc'd copy, read-only */
  uint64_t records;                /* full records in the file */
  uint64_t wb_from;                /* records before this one were handed to writeback (early_writeback) */
  size_t tail_len;                 /* bytes in tail, 0..BLOB_RECORD */
  unsigned char *mem;              /* one allocation: tail | backup | ct */
  unsigned char *tail;             /* BLOB_RECORD plaintext */
  unsigned char *backup;           /* BLOB_RECORD: tail before an append */
  unsigned char *ct;               /* REC_MAX: one sealed record */
  struct rdigest *dg;              /* running records digest; NULL when unknown */
  int converted;                   /* the resume rewrote a v1 staging file */
  unsigned char last_nt[NONCE_LEN + BLOB_TAG_LEN]; /* nonce || tag of the last full record in the file */
  unsigned char last_nt_backup[NONCE_LEN + BLOB_TAG_LEN]; /* last_nt before an append */
  int have_final;                  /* final_digest set by writer_seal_final */
  unsigned char final_digest[BLOB_DIGEST_LEN];
  int dfd;                         /* the staging file opened with O_DIRECT, or -1 (see direct_start) */
  unsigned char *dbuf;             /* sealed bytes [dbase, dbase + dfill) that dfd has not written */
  uint64_t dbase;                  /* a multiple of DIO_ALIGN */
  size_t dfill;
};

#define WRITER_MEM (2 * (size_t)BLOB_RECORD + REC_MAX)

static void direct_stop(struct blob_writer *w);

static void writer_free(struct blob_writer *w) {
  if (!w) return;
  direct_stop(w);
  if (w->fd >= 0) close(w->fd);
  if (w->sink) {
    w->sink->free(w->sink->ctx);
    free(w->sink);
  }
  if (w->dek) sodium_free(w->dek);
  buf_free(w->mem, WRITER_MEM);
  rdigest_free(w->dg);
  free(w->path);
  free(w);
}

static struct blob_writer *writer_new(const char *path, const unsigned char *file_id,
                                      const unsigned char *dek) {
  struct blob_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->fd = -1;
  w->dfd = -1;
  w->path = strdup(path);
  w->dek = secret_copy(dek, BLOB_DEK_LEN);
  w->mem = buf_alloc(WRITER_MEM);
  if (!w->path || !w->dek || !w->mem) {
    writer_free(w);
    return NULL;
  }
  w->tail = w->mem;
  w->backup = w->mem + BLOB_RECORD;
  w->ct = w->mem + 2 * (size_t)BLOB_RECORD;
  memcpy(w->file_id, file_id, BLOB_ID_LEN);
  w->format = BLOB_FORMAT_V2;
  return w;
}

/* ---- direct I/O for the records of a staging file ----
 *
 * Written through the page cache, every sealed byte is copied into it and
 * later written back by the kernel's flusher, and a checkpoint's fdatasync
 * waits for that writeback: on a fast disk the page cache, not the disk,
 * bounds durable writing (two uploads at once were capped near the speed of
 * `dd conv=fdatasync`, a third of `dd oflag=direct`). So the records of a
 * staging file on a file system that takes O_DIRECT are gathered in an
 * aligned buffer and written by a second descriptor opened with O_DIRECT, in
 * whole DIO_ALIGN blocks of at least DIO_CHUNK bytes: no copy into the page
 * cache, no writeback. The partial last block stays in the buffer; a
 * checkpoint writes it through the ordinary descriptor (the next direct write
 * rewrites that block whole: the kernel writes back and drops cached pages
 * of a range before writing it directly), then fdatasyncs as before. So
 * between checkpoints the file may hold fewer records than were appended;
 * at a checkpoint, and from then on what the documentation of
 * blob_writer_append says of the file, it holds all of them. A file system
 * without O_DIRECT (open says EINVAL), or one that refuses the alignment,
 * gets ordinary writes. */

#define DIO_ALIGN ((size_t)4096)
#define DIO_CHUNK ((size_t)1 << 20)
#define DIO_CAP (DIO_CHUNK + REC_MAX + DIO_ALIGN)

static int direct_io = 1;
void blob_set_direct_io(int on) { direct_io = on; }
int blob_writer_direct(const struct blob_writer *w) { return w && w->dbuf ? 1 : 0; }

static void direct_stop(struct blob_writer *w) {
  if (w->dfd >= 0) close(w->dfd);
  w->dfd = -1;
  free(w->dbuf);
  w->dbuf = NULL;
  w->dfill = 0;
}

/* Loads the file's bytes from the last block boundary up to end (the file's
 * committed bytes) into the buffer. 0 or -1/errno. */
static int direct_load(struct blob_writer *w, uint64_t end) {
  w->dbase = end & ~(uint64_t)(DIO_ALIGN - 1);
  w->dfill = (size_t)(end - w->dbase);
  ssize_t n = w->dfill ? read_all_at(w->fd, w->dbuf, w->dfill, w->dbase) : 0;
  if (n == (ssize_t)w->dfill) return 0;
  if (n >= 0) errno = EIO;
  return -1;
}

/* Switches w's record writes to direct I/O when the file system takes it;
 * end: the bytes the file holds. Otherwise w keeps ordinary writes. */
static void direct_start(struct blob_writer *w, uint64_t end) {
  if (!direct_io || w->sink || w->dfd >= 0) return;
  w->dfd = open(w->path, O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
  void *p = NULL;
  if (w->dfd < 0 || posix_memalign(&p, DIO_ALIGN, DIO_CAP) != 0) {
    direct_stop(w);
    return;
  }
  w->dbuf = p;
  if (direct_load(w, end) != 0) direct_stop(w);
}

/* Writes the buffer's whole blocks through the direct descriptor and keeps
 * the partial last one; with all, also writes that one, through the ordinary
 * descriptor. 0 or -1/errno (then the file may hold part of what was
 * buffered; the caller cuts it back). */
static int direct_flush(struct blob_writer *w, int all) {
  size_t whole = w->dfill & ~(DIO_ALIGN - 1), rest = w->dfill - whole;
  if (whole) {
    if (write_all_at(w->dfd, w->dbuf, whole, w->dbase) != 0) {
      if (errno != EINVAL) return -1;
      /* the file system refused direct I/O after all: ordinary writes from here */
      if (write_all_at(w->fd, w->dbuf, w->dfill, w->dbase) != 0) return -1;
      direct_stop(w);
      return 0;
    }
    memmove(w->dbuf, w->dbuf + whole, rest);
    w->dbase += whole;
    w->dfill = rest;
  }
  return all && rest ? write_all_at(w->fd, w->dbuf, rest, w->dbase) : 0;
}

/* Creates a staging file and writes its header; see blobfmt.h. */
int blob_writer_create(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                       const unsigned char dek[BLOB_DEK_LEN], struct blob_writer **out, char *err,
                       size_t errlen) {
  struct blob_writer *w = NULL;
  unsigned char h[BLOB_HEADER_LEN];
  int rc = -1, created = 0;
  if (!path || !file_id || !dek || !out) {
    set_err(err, errlen, "blob_writer_create: bad arguments");
    errno = EINVAL;
    goto done;
  }
  *out = NULL;
  if (sodium_init() < 0 || !(w = writer_new(path, file_id, dek)) ||
      !(w->dg = rdigest_new(BLOB_FORMAT_V2, file_id))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  w->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (w->fd < 0) {
    set_errno_err(err, errlen, "cannot create staging file");
    goto done;
  }
  created = 1;
  memcpy(h, MAGIC, sizeof MAGIC);
  put_be32(h + 8, BLOB_FORMAT_V2);
  put_be32(h + 12, BLOB_RECORD);
  memcpy(h + 16, file_id, BLOB_ID_LEN);
  memset(h + 16 + BLOB_ID_LEN, 0, PREFIX_LEN); /* reserved in v2 */
  /* The header and the directory entry must be durable before the first
   * checkpoint can be acknowledged. */
  if (write_all_at(w->fd, h, sizeof h, 0) != 0 || fsync_retry(w->fd) != 0 ||
      fsync_parent_dir(path) != 0) {
    set_errno_err(err, errlen, "cannot write staging header");
    goto done;
  }
  direct_start(w, BLOB_HEADER_LEN);
  *out = w;
  w = NULL;
  rc = 0;
done:;
  int saved = errno;
  if (w && created) (void)unlink(path);
  writer_free(w);
  errno = saved;
  return rc;
}

/* Rewrites the w->records committed records of a format-1 staging file as
 * format 2 (each authenticated on the way) into <path>.v2tmp, fsyncs it,
 * renames it over the staging file, fsyncs the directory and switches w to
 * it. Unacknowledged records beyond are dropped, as a truncation would. On
 * failure the format-1 file is untouched. 0 or -1 (err). */
static int staging_to_v2(struct blob_writer *w, char *err, size_t errlen) {
  size_t pl = strlen(w->path);
  char *tmp = malloc(pl + 8);
  unsigned char h[BLOB_HEADER_LEN], prefix1[PREFIX_LEN];
  int fd = -1, rc = -1;
  if (!tmp) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  memcpy(tmp, w->path, pl);
  memcpy(tmp + pl, ".v2tmp", 7);
  memcpy(prefix1, w->prefix, PREFIX_LEN);
  (void)unlink(tmp); /* left by a crash during an earlier attempt */
  fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_errno_err(err, errlen, "cannot create staging file");
    goto done;
  }
  memcpy(h, MAGIC, sizeof MAGIC);
  put_be32(h + 8, BLOB_FORMAT_V2);
  put_be32(h + 12, BLOB_RECORD);
  memcpy(h + 16, w->file_id, BLOB_ID_LEN);
  memset(h + 16 + BLOB_ID_LEN, 0, PREFIX_LEN);
  if (write_all_at(fd, h, sizeof h, 0) != 0) {
    set_errno_err(err, errlen, "cannot write staging header");
    goto done;
  }
  for (uint64_t i = 0; i < w->records; i++) {
    ssize_t n = read_all_at(w->fd, w->ct, FULL_CT, record_off(BLOB_FORMAT_V1, i));
    if (n != FULL_CT) {
      if (n >= 0) errno = EIO;
      set_errno_err(err, errlen, "cannot read staging record");
      goto done;
    }
    if (record_open(BLOB_FORMAT_V1, prefix1, w->file_id, w->dek, i, 0, w->ct, FULL_CT) != 0) {
      set_err(err, errlen, "staging record %llu does not authenticate", (unsigned long long)i);
      errno = EBADMSG;
      goto done;
    }
    /* plaintext is in w->ct; seal it from the backup buffer */
    memcpy(w->backup, w->ct, BLOB_RECORD);
    size_t rl = record_seal(w->file_id, w->dek, i, 0, w->backup, BLOB_RECORD, w->ct);
    if (write_all_at(fd, w->ct, rl, record_off(BLOB_FORMAT_V2, i)) != 0) {
      set_errno_err(err, errlen, "cannot write staging file");
      goto done;
    }
  }
  if (fsync_retry(fd) != 0 || rename(tmp, w->path) != 0 || fsync_parent_dir(w->path) != 0) {
    set_errno_err(err, errlen, "cannot replace the staging file");
    goto done;
  }
  close(w->fd);
  w->fd = fd;
  fd = -1;
  w->format = BLOB_FORMAT_V2;
  sodium_memzero(w->prefix, PREFIX_LEN);
  rc = 0;
done:;
  int saved = errno;
  sodium_memzero(w->backup, BLOB_RECORD);
  sodium_memzero(w->ct, REC_MAX);
  if (fd >= 0) {
    close(fd);
    (void)unlink(tmp);
  }
  free(tmp);
  errno = saved;
  return rc;
}

/* Reopens a staging file at a committed offset; see blobfmt.h. */
int blob_writer_resume(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                       const unsigned char dek[BLOB_DEK_LEN], uint64_t committed_offset,
                       const unsigned char *sealed_tail, size_t sealed_tail_len,
                       struct blob_writer **out, char *err, size_t errlen) {
  struct blob_writer *w = NULL;
  unsigned char h[BLOB_HEADER_LEN];
  struct stat st;
  int rc = -1;
  if (!path || !file_id || !dek || !out || (sealed_tail_len && !sealed_tail)) {
    set_err(err, errlen, "blob_writer_resume: bad arguments");
    errno = EINVAL;
    goto done;
  }
  *out = NULL;
  if (committed_offset > BLOB_MAX_PLAIN) {
    set_err(err, errlen, "committed offset out of range");
    errno = EINVAL;
    goto done;
  }
  uint64_t nfull = staging_records(committed_offset);
  size_t tlen = (size_t)(committed_offset - nfull * BLOB_RECORD);
  uint64_t need = 0; /* set once the header says which format */
  if (!(committed_offset == 0 && sealed_tail_len == 0) &&
      sealed_tail_len != BLOB_SEALED_TAIL_OVERHEAD + tlen) {
    set_err(err, errlen, "sealed tail has the wrong length for offset %llu",
            (unsigned long long)committed_offset);
    errno = EINVAL;
    goto done;
  }
  if (sodium_init() < 0 || !(w = writer_new(path, file_id, dek))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  w->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (w->fd < 0) {
    set_errno_err(err, errlen, "cannot open staging file");
    goto done;
  }
  if (fstat(w->fd, &st) != 0) {
    set_errno_err(err, errlen, "cannot stat staging file");
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    set_err(err, errlen, "staging file is not a regular file");
    errno = EINVAL;
    goto done;
  }
  if ((uint64_t)st.st_size < BLOB_HEADER_LEN) {
    set_err(err, errlen, "staging file is shorter (%lld) than a header", (long long)st.st_size);
    errno = EIO;
    goto done;
  }
  ssize_t n = read_all_at(w->fd, h, sizeof h, 0);
  if (n != (ssize_t)sizeof h) {
    if (n >= 0) errno = EIO;
    set_errno_err(err, errlen, "cannot read staging header");
    goto done;
  }
  if (header_parse(h, file_id, &w->format, w->prefix, err, errlen) != 0) {
    errno = EINVAL;
    goto done;
  }
  /* A v1 staging file (an upload begun before v2) goes on in v1: its records
   * so far are v1 and the format is per file. */
  need = record_off(w->format, nfull);
  if ((uint64_t)st.st_size < need) {
    set_err(err, errlen, "staging file is shorter (%lld) than offset %llu needs (%llu)",
            (long long)st.st_size, (unsigned long long)committed_offset,
            (unsigned long long)need);
    errno = EIO;
    goto done;
  }
  if (nfull > 0) {
    size_t rl = (size_t)rec_stride(w->format);
    n = read_all_at(w->fd, w->ct, rl, record_off(w->format, nfull - 1));
    if (n != (ssize_t)rl) {
      if (n >= 0) errno = EIO;
      set_errno_err(err, errlen, "cannot read last full record");
      goto done;
    }
    if (w->format == BLOB_FORMAT_V2) {
      memcpy(w->last_nt, w->ct, NONCE_LEN);
      memcpy(w->last_nt + NONCE_LEN, w->ct + rl - BLOB_TAG_LEN, BLOB_TAG_LEN);
    }
    if (record_open(w->format, w->prefix, file_id, w->dek, nfull - 1, 0, w->ct, rl) != 0) {
      set_err(err, errlen, "last full record does not authenticate");
      errno = EBADMSG;
      goto done;
    }
    sodium_memzero(w->ct, REC_MAX);
  }
  if (sealed_tail_len > 0) {
    unsigned char ad[TAIL_AD_LEN];
    tail_ad(ad, file_id, committed_offset);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            w->tail, NULL, NULL, sealed_tail + NONCE_LEN, sealed_tail_len - NONCE_LEN, ad,
            sizeof ad, sealed_tail, w->dek) != 0) {
      set_err(err, errlen, "sealed tail does not authenticate");
      errno = EBADMSG;
      goto done;
    }
  }
  w->records = nfull;
  w->wb_from = nfull;
  w->tail_len = tlen;
  if (w->format == BLOB_FORMAT_V1) {
    /* The records the client sends next would be sealed under derived
     * nonces again: rewrite the committed records as format 2 first. */
    if (staging_to_v2(w, err, errlen) != 0) goto done;
    w->converted = 1;
  } else if ((uint64_t)st.st_size > need) {
    if (ftruncate(w->fd, (off_t)need) != 0 || fdatasync_retry(w->fd) != 0) {
      set_errno_err(err, errlen, "cannot truncate staging file");
      goto done;
    }
  }
  /* the running records digest: known from record 0 only; later ones come
   * from blob_writer_digest_import */
  if (nfull == 0 && !w->converted && !(w->dg = rdigest_new(BLOB_FORMAT_V2, file_id))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  direct_start(w, record_off(BLOB_FORMAT_V2, nfull));
  *out = w;
  w = NULL;
  rc = 0;
done:;
  int saved = errno;
  writer_free(w);
  errno = saved;
  return rc;
}

/* Starts writeback of every WB_RECORDS records written (4 MiB), so that the
 * fdatasync of a checkpoint finds most of its pages on their way to the disk
 * instead of starting them all at once and waiting: a tus PATCH's answer
 * (and the client's next PATCH) waited for the whole PATCH's writeback
 * there, a quarter of an upload's wall time. Only a hint: durability still
 * comes from blob_writer_checkpoint's fdatasync, which also reports errors. */
#define WB_RECORDS 64
static void early_writeback(struct blob_writer *w) {
  if (w->sink || w->dbuf || w->fd < 0 || w->records < w->wb_from + WB_RECORDS) return; /* a buffered file of our own only */
  uint64_t from = record_off(BLOB_FORMAT_V2, w->wb_from), to = record_off(BLOB_FORMAT_V2, w->records);
  (void)sync_file_range(w->fd, (off_t)from, (off_t)(to - from), SYNC_FILE_RANGE_WRITE);
  w->wb_from = w->records;
}

/* Accepts plaintext, writing full records as they fill; see blobfmt.h. */
int blob_writer_append(struct blob_writer *w, const void *data, size_t len, char *err,
                       size_t errlen) {
  const unsigned char *p = data;
  if (!w || (len && !data)) {
    set_err(err, errlen, "blob_writer_append: bad arguments");
    errno = EINVAL;
    return -1;
  }
  if (len > BLOB_MAX_PLAIN - blob_writer_offset(w)) {
    set_err(err, errlen, "blob too large");
    errno = EFBIG;
    return -1;
  }
  const uint64_t rec0 = w->records;
  const size_t tail0 = w->tail_len;
  int backed_up = 0;
  while (len > 0) {
    /* A full record is sealed from the tail once a byte follows it, or
     * straight from the caller's buffer (no copy) when the tail is empty and
     * more than a record's worth is at hand. */
    const unsigned char *rec = w->tail_len == BLOB_RECORD ? w->tail
                             : w->tail_len == 0 && len > BLOB_RECORD ? p
                                                                      : NULL;
    if (rec) {
      if (!backed_up) {
        memcpy(w->backup, w->tail, tail0);
        memcpy(w->last_nt_backup, w->last_nt, sizeof w->last_nt);
        if (w->dg) {
          memcpy(&w->dg->backup, &w->dg->st, sizeof w->dg->st);
          w->dg->backup_n = w->dg->n;
        }
        backed_up = 1;
      }
      /* with direct I/O the record is sealed straight into the buffer */
      unsigned char *ct = w->dbuf ? w->dbuf + w->dfill : w->ct;
      size_t rl = record_seal(w->file_id, w->dek, w->records, 0, rec, BLOB_RECORD, ct);
      if (w->dg) rdigest_record(w->dg, ct, ct + rl - BLOB_TAG_LEN);
      memcpy(w->last_nt, ct, NONCE_LEN);
      memcpy(w->last_nt + NONCE_LEN, ct + rl - BLOB_TAG_LEN, BLOB_TAG_LEN);
      if (w->dbuf) w->dfill += rl;
      if (w->sink ? w->sink->write(w->sink->ctx, ct, rl, record_off(BLOB_FORMAT_V2, w->records), err, errlen) != 0
          : w->dbuf ? w->dfill >= DIO_CHUNK && direct_flush(w, 0) != 0
                    : write_all_at(w->fd, ct, rl, record_off(BLOB_FORMAT_V2, w->records)) != 0)
        goto fail;
      w->records++;
      early_writeback(w);
      if (rec == p) {
        p += BLOB_RECORD;
        len -= BLOB_RECORD;
        continue;
      }
      w->tail_len = 0;
    }
    size_t n = BLOB_RECORD - w->tail_len;
    if (n > len) n = len;
    memcpy(w->tail + w->tail_len, p, n);
    w->tail_len += n;
    p += n;
    len -= n;
  }
  return 0;
fail:;
  int saved = errno;
  if (w->sink) {
    /* the sink said why (err); cutting it back is best effort */
    (void)w->sink->truncate(w->sink->ctx, record_off(BLOB_FORMAT_V2, rec0), NULL, 0);
  } else {
    set_errno_err(err, errlen, "cannot write staging file");
    uint64_t end = record_off(BLOB_FORMAT_V2, rec0);
    /* best effort: a longer file is cut back to the committed offset at recovery
     * anyway (glibc's warn_unused_result under _FORTIFY_SOURCE ignores a (void) cast) */
    if (ftruncate(w->fd, (off_t)end) != 0) {
      /* nothing more to do here: the error below is what the caller acts on */
    }
    /* the buffer drops this call's records; when a flush moved it past them,
     * it starts again from the file (which holds every byte before end) */
    if (w->dbuf) {
      if (end >= w->dbase) w->dfill = (size_t)(end - w->dbase);
      else if (direct_load(w, end) != 0) direct_stop(w);
    }
  }
  if (backed_up) {
    memcpy(w->tail, w->backup, tail0);
    memcpy(w->last_nt, w->last_nt_backup, sizeof w->last_nt);
    if (w->dg) {
      memcpy(&w->dg->st, &w->dg->backup, sizeof w->dg->st);
      w->dg->n = w->dg->backup_n;
    }
  }
  w->records = rec0;
  if (w->wb_from > rec0) w->wb_from = rec0;
  w->tail_len = tail0;
  errno = saved;
  return -1;
}

/* Plaintext bytes accepted so far. */
uint64_t blob_writer_offset(const struct blob_writer *w) {
  return w ? w->records * (uint64_t)BLOB_RECORD + w->tail_len : 0;
}

/* Exports the running records digest; see blobfmt.h. */
int blob_writer_digest_export(const struct blob_writer *w, unsigned char *out, size_t len) {
  if (!w || !w->dg || !out || len != blob_digest_state_len() || w->dg->n != w->records) return -1;
  put_be64(out, w->dg->n);
  if (w->records) memcpy(out + 8, w->last_nt, LAST_NT);
  else memset(out + 8, 0, LAST_NT);
  memcpy(out + 8 + LAST_NT, &w->dg->st, sizeof w->dg->st);
  return 0;
}

/* Restores a running records digest; see blobfmt.h. */
int blob_writer_digest_import(struct blob_writer *w, const unsigned char *in, size_t len) {
  if (!w) return -1;
  rdigest_free(w->dg);
  w->dg = NULL;
  if (!in || len != blob_digest_state_len() || w->converted || w->format != BLOB_FORMAT_V2) return -1;
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n = n << 8 | in[i];
  /* the state must end with the record the file ends with (a staging file
   * rewritten or replaced since, even by an authentic sealing, does not) */
  if (n != w->records || (n && sodium_memcmp(in + 8, w->last_nt, LAST_NT) != 0) ||
      !(w->dg = rdigest_new(BLOB_FORMAT_V2, w->file_id)))
    return -1;
  memcpy(&w->dg->st, in + 8 + LAST_NT, sizeof w->dg->st);
  w->dg->n = n;
  return 0;
}

/* fdatasync, then hand out the sealed tail; see blobfmt.h. */
int blob_writer_checkpoint(struct blob_writer *w, unsigned char **sealed_tail, size_t *sealed_len,
                           char *err, size_t errlen) {
  unsigned char ad[TAIL_AD_LEN];
  if (!w || !sealed_tail || !sealed_len) {
    set_err(err, errlen, "blob_writer_checkpoint: bad arguments");
    errno = EINVAL;
    return -1;
  }
  *sealed_tail = NULL;
  *sealed_len = 0;
  if (w->dbuf && direct_flush(w, 1) != 0) {
    set_errno_err(err, errlen, "cannot write staging file");
    return -1;
  }
  if (!w->sink && fdatasync_retry(w->fd) != 0) {
    set_errno_err(err, errlen, "cannot sync staging file");
    return -1;
  }
  size_t len = BLOB_SEALED_TAIL_OVERHEAD + w->tail_len;
  unsigned char *state = NULL;
  size_t state_len = 0;
  if (w->sink && w->sink->state(w->sink->ctx, &state, &state_len, err, errlen) != 0) return -1;
  unsigned char *s = malloc(len + state_len);
  if (s && state_len) memcpy(s + len, state, state_len);
  free(state);
  if (!s) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  tail_ad(ad, w->file_id, blob_writer_offset(w));
  randombytes_buf(s, NONCE_LEN);
  crypto_aead_xchacha20poly1305_ietf_encrypt(s + NONCE_LEN, NULL, w->tail, w->tail_len, ad,
                                             sizeof ad, NULL, s, w->dek);
  *sealed_tail = s;
  *sealed_len = len + state_len;
  return 0;
}

#define STATE_AD_LEN (5 + BLOB_STATE_LABEL_MAX + BLOB_ID_LEN + 8)
_Static_assert(BLOB_STATE_OVERHEAD == NONCE_LEN + BLOB_TAG_LEN, "sealed state");

/* AD of a sealed side state. -1 when the label is too long. */
static int state_ad(unsigned char ad[STATE_AD_LEN], const char *label, const unsigned char file_id[BLOB_ID_LEN],
                    uint64_t offset) {
  size_t ll = label ? strlen(label) : 0;
  if (ll > BLOB_STATE_LABEL_MAX) return -1;
  memset(ad, 0, STATE_AD_LEN);
  memcpy(ad, "state", 5);
  if (ll) memcpy(ad + 5, label, ll);
  memcpy(ad + 5 + BLOB_STATE_LABEL_MAX, file_id, BLOB_ID_LEN);
  put_be64(ad + 5 + BLOB_STATE_LABEL_MAX + BLOB_ID_LEN, offset);
  return 0;
}

/* Seals a side state under the writer's DEK; see blobfmt.h. */
int blob_writer_seal_state(const struct blob_writer *w, const char *label, const void *plain, size_t len,
                           unsigned char **out, size_t *out_len, char *err, size_t errlen) {
  unsigned char ad[STATE_AD_LEN];
  if (!w || !out || !out_len || (len && !plain) || state_ad(ad, label, w->file_id, blob_writer_offset(w)) != 0) {
    set_err(err, errlen, "blob_writer_seal_state: bad arguments");
    errno = EINVAL;
    return -1;
  }
  unsigned char *s = malloc(BLOB_STATE_OVERHEAD + len);
  if (!s) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  randombytes_buf(s, NONCE_LEN);
  crypto_aead_xchacha20poly1305_ietf_encrypt(s + NONCE_LEN, NULL, plain, len, ad, sizeof ad, NULL, s, w->dek);
  *out = s;
  *out_len = BLOB_STATE_OVERHEAD + len;
  return 0;
}

/* Opens a sealed side state; see blobfmt.h. */
int blob_state_open(const unsigned char dek[BLOB_DEK_LEN], const unsigned char file_id[BLOB_ID_LEN],
                    const char *label, uint64_t offset, const unsigned char *sealed, size_t sealed_len,
                    void *plain, size_t cap, char *err, size_t errlen) {
  unsigned char ad[STATE_AD_LEN];
  if (!dek || !file_id || !plain || state_ad(ad, label, file_id, offset) != 0) {
    set_err(err, errlen, "blob_state_open: bad arguments");
    errno = EINVAL;
    return -1;
  }
  if (!sealed || sealed_len != BLOB_STATE_OVERHEAD + cap) {
    memset(plain, 0, cap);
    set_err(err, errlen, "sealed state has the wrong length");
    errno = EINVAL;
    return -1;
  }
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, sealed + NONCE_LEN, sealed_len - NONCE_LEN, ad,
                                                 sizeof ad, sealed, dek) != 0) {
    sodium_memzero(plain, cap);
    set_err(err, errlen, "sealed state does not authenticate");
    errno = EBADMSG;
    return -1;
  }
  return 0;
}

/* Seals the tail as the final record, cuts the file there, fsyncs and
 * closes it. 0 or -1 (err). */
static int writer_seal_final(struct blob_writer *w, char *err, size_t errlen) {
  size_t rl = record_seal(w->file_id, w->dek, w->records, 1, w->tail, w->tail_len, w->ct);
  uint64_t at = record_off(BLOB_FORMAT_V2, w->records);
  if (w->dg && w->dg->n == w->records) {
    rdigest_record(w->dg, w->ct, w->ct + rl - BLOB_TAG_LEN);
    rdigest_final(w->dg, blob_writer_offset(w), w->final_digest);
    w->have_final = 1;
  }
  rdigest_free(w->dg);
  w->dg = NULL;
  /* ftruncate drops anything a failed append could not remove. */
  if ((w->dbuf && direct_flush(w, 1) != 0) || write_all_at(w->fd, w->ct, rl, at) != 0 || ftruncate(w->fd, (off_t)(at + rl)) != 0 ||
      fsync_retry(w->fd) != 0) {
    set_errno_err(err, errlen, "cannot write final record");
    return -1;
  }
  int fd = w->fd;
  w->fd = -1;
  if (close(fd) != 0) {
    set_errno_err(err, errlen, "cannot close staging file");
    return -1;
  }
  return 0;
}

/* Seals the final record, syncs, renames into place; frees w. */
int blob_writer_finish(struct blob_writer *w, const char *final_path, char *err, size_t errlen) {
  return blob_writer_finish_digest(w, final_path, NULL, NULL, err, errlen);
}

/* blob_writer_finish handing out the records digest; see blobfmt.h. */
int blob_writer_finish_digest(struct blob_writer *w, const char *final_path, unsigned char digest[BLOB_DIGEST_LEN],
                              int *have_digest, char *err, size_t errlen) {
  int rc = -1;
  if (have_digest) *have_digest = 0;
  if (!w || !final_path) {
    set_err(err, errlen, "blob_writer_finish: bad arguments");
    errno = EINVAL;
    goto done;
  }
  if (writer_seal_final(w, err, errlen) != 0) goto done;
  /* Never replace an existing stored object. */
  if (renameat2(AT_FDCWD, w->path, AT_FDCWD, final_path, RENAME_NOREPLACE) != 0) {
    if (errno != EINVAL && errno != ENOSYS) {
      set_errno_err(err, errlen, "cannot move blob into the store");
      goto done;
    }
    if (rename(w->path, final_path) != 0) {
      set_errno_err(err, errlen, "cannot move blob into the store");
      goto done;
    }
  }
  if (fsync_parent_dir(final_path) != 0 ||
      (!dirname_equal(w->path, final_path) && fsync_parent_dir(w->path) != 0)) {
    set_errno_err(err, errlen, "cannot fsync store directory");
    goto done;
  }
  if (w->have_final && digest && have_digest) {
    memcpy(digest, w->final_digest, BLOB_DIGEST_LEN);
    *have_digest = 1;
  }
  rc = 0;
done:;
  int saved = errno;
  writer_free(w);
  errno = saved;
  return rc;
}

/* Closes and frees; leaves the file. */
void blob_writer_abort(struct blob_writer *w) { writer_free(w); }

/* Cuts the staging file back to a committed offset, then frees; see blobfmt.h. */
int blob_writer_abort_to(struct blob_writer *w, uint64_t committed_offset, char *err, size_t errlen) {
  int rc = 0;
  struct stat st;
  if (!w) return 0;
  uint64_t need = blob_disk_size_staging(committed_offset);
  if (!w->sink && w->fd >= 0 && committed_offset <= BLOB_MAX_PLAIN && fstat(w->fd, &st) == 0 && (uint64_t)st.st_size > need) {
    if (ftruncate(w->fd, (off_t)need) != 0 || fdatasync_retry(w->fd) != 0) {
      set_errno_err(err, errlen, "cannot cut the staging file back");
      rc = -1;
    }
  }
  int saved = errno;
  writer_free(w);
  errno = saved;
  return rc;
}

size_t blob_sealed_tail_len(uint64_t committed_offset) {
  if (committed_offset == 0) return 0;
  uint64_t nfull = staging_records(committed_offset);
  return BLOB_SEALED_TAIL_OVERHEAD + (size_t)(committed_offset - nfull * BLOB_RECORD);
}

static void sink_drop(struct blob_sink *sink) {
  if (!sink) return;
  sink->free(sink->ctx);
  free(sink);
}

/* A writer over a new object in a sink; see blobfmt.h. */
int blob_writer_create_sink(struct blob_sink *sink, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], struct blob_writer **out, char *err,
                            size_t errlen) {
  struct blob_writer *w = NULL;
  unsigned char h[BLOB_HEADER_LEN];
  if (!sink || !file_id || !dek || !out) {
    sink_drop(sink);
    set_err(err, errlen, "blob_writer_create_sink: bad arguments");
    errno = EINVAL;
    return -1;
  }
  *out = NULL;
  if (sodium_init() < 0 || !(w = writer_new("", file_id, dek)) || !(w->dg = rdigest_new(BLOB_FORMAT_V2, file_id))) {
    sink_drop(sink);
    writer_free(w);
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  w->sink = sink;
  memcpy(h, MAGIC, sizeof MAGIC);
  put_be32(h + 8, BLOB_FORMAT_V2);
  put_be32(h + 12, BLOB_RECORD);
  memcpy(h + 16, file_id, BLOB_ID_LEN);
  memset(h + 16 + BLOB_ID_LEN, 0, PREFIX_LEN);
  if (sink->write(sink->ctx, h, sizeof h, 0, err, errlen) != 0) {
    int saved = errno;
    writer_free(w);
    errno = saved;
    return -1;
  }
  *out = w;
  return 0;
}

/* A writer resumed over a sink; see blobfmt.h. */
int blob_writer_resume_sink(struct blob_sink *sink, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], uint64_t committed_offset,
                            const unsigned char *sealed_tail, size_t sealed_tail_len, struct blob_writer **out,
                            char *err, size_t errlen) {
  struct blob_writer *w = NULL;
  int rc = -1;
  if (!sink || !file_id || !dek || !out || (sealed_tail_len && !sealed_tail) || committed_offset > BLOB_MAX_PLAIN) {
    sink_drop(sink);
    set_err(err, errlen, "blob_writer_resume_sink: bad arguments");
    errno = EINVAL;
    return -1;
  }
  *out = NULL;
  if (sodium_init() < 0 || !(w = writer_new("", file_id, dek))) {
    sink_drop(sink);
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  w->sink = sink;
  uint64_t nfull = staging_records(committed_offset);
  size_t tlen = (size_t)(committed_offset - nfull * BLOB_RECORD);
  if (sealed_tail_len != blob_sealed_tail_len(committed_offset)) {
    set_err(err, errlen, "sealed tail has the wrong length for offset %llu", (unsigned long long)committed_offset);
    errno = EINVAL;
    goto done;
  }
  /* the header and the last full record, when the sink still holds them,
   * are checked as blob_writer_resume checks a staging file's */
  unsigned char h[BLOB_HEADER_LEN];
  if (sink->read && sink->read(sink->ctx, h, sizeof h, 0) == 0) {
    uint32_t format;
    unsigned char prefix[PREFIX_LEN];
    if (header_parse(h, file_id, &format, prefix, err, errlen) != 0 || format != BLOB_FORMAT_V2) {
      set_err(err, errlen, "object header does not match the upload");
      errno = EBADMSG;
      goto done;
    }
  }
  if (nfull > 0 && sink->read) {
    size_t rl = (size_t)rec_stride(BLOB_FORMAT_V2);
    if (sink->read(sink->ctx, w->ct, rl, record_off(BLOB_FORMAT_V2, nfull - 1)) == 0) {
      /* the record the object ends with: a saved records digest continues only from it */
      unsigned char nt[LAST_NT];
      memcpy(nt, w->ct, NONCE_LEN);
      memcpy(nt + NONCE_LEN, w->ct + rl - BLOB_TAG_LEN, BLOB_TAG_LEN);
      if (record_open(BLOB_FORMAT_V2, NULL, file_id, w->dek, nfull - 1, 0, w->ct, rl) != 0) {
        set_err(err, errlen, "last full record does not authenticate");
        errno = EBADMSG;
        goto done;
      }
      memcpy(w->last_nt, nt, LAST_NT);
    }
    sodium_memzero(w->ct, REC_MAX);
  }
  if (sealed_tail_len > 0) {
    unsigned char ad[TAIL_AD_LEN];
    tail_ad(ad, file_id, committed_offset);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(w->tail, NULL, NULL, sealed_tail + NONCE_LEN,
                                                   sealed_tail_len - NONCE_LEN, ad, sizeof ad, sealed_tail,
                                                   w->dek) != 0) {
      set_err(err, errlen, "sealed tail does not authenticate");
      errno = EBADMSG;
      goto done;
    }
  }
  w->records = nfull;
  w->tail_len = tlen;
  /* the running records digest: known from record 0 only; later ones come from
   * blob_writer_digest_import, as for a staging file */
  if (nfull == 0 && !(w->dg = rdigest_new(BLOB_FORMAT_V2, file_id))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  if (sink->truncate(sink->ctx, record_off(BLOB_FORMAT_V2, nfull), err, errlen) != 0) goto done;
  *out = w;
  w = NULL;
  rc = 0;
done:;
  int saved = errno;
  writer_free(w);
  errno = saved;
  return rc;
}

/* Seals the final record into the sink and commits it; frees w. */
int blob_writer_finish_sink(struct blob_writer *w, char *err, size_t errlen) {
  return blob_writer_finish_sink_digest(w, NULL, NULL, err, errlen);
}

/* blob_writer_finish_sink handing out the records digest (as blob_writer_finish_digest). */
int blob_writer_finish_sink_digest(struct blob_writer *w, unsigned char digest[BLOB_DIGEST_LEN], int *have_digest,
                                   char *err, size_t errlen) {
  int rc = -1;
  if (have_digest) *have_digest = 0;
  if (!w || !w->sink) {
    set_err(err, errlen, "blob_writer_finish_sink: bad arguments");
    errno = EINVAL;
    goto done;
  }
  size_t rl = record_seal(w->file_id, w->dek, w->records, 1, w->tail, w->tail_len, w->ct);
  uint64_t at = record_off(BLOB_FORMAT_V2, w->records);
  if (w->dg && w->dg->n == w->records) {
    rdigest_record(w->dg, w->ct, w->ct + rl - BLOB_TAG_LEN);
    rdigest_final(w->dg, blob_writer_offset(w), w->final_digest);
    w->have_final = 1;
  }
  if (w->sink->truncate(w->sink->ctx, at, err, errlen) != 0 ||
      w->sink->write(w->sink->ctx, w->ct, rl, at, err, errlen) != 0 || w->sink->commit(w->sink->ctx, err, errlen) != 0)
    goto done;
  if (w->have_final && digest && have_digest) {
    memcpy(digest, w->final_digest, BLOB_DIGEST_LEN);
    *have_digest = 1;
  }
  rc = 0;
done:;
  int saved = errno;
  writer_free(w);
  errno = saved;
  return rc;
}

/* ------------------------------------------------------------ reader */

struct blob_reader {
  int fd;
  struct blob_source *src; /* an object backend instead of fd (owned), or NULL */
  uint32_t format;
  unsigned char file_id[BLOB_ID_LEN];
  unsigned char prefix[PREFIX_LEN]; /* v1 */
  unsigned char *dek;  /* sodium_malloc'd copy */
  uint64_t file_len;   /* at open */
  uint64_t nfull;      /* non-final records; the final one has index nfull */
  size_t final_len;    /* plaintext bytes in the final record */
  uint64_t next;       /* next record to load */
  unsigned char *buf;  /* REC_MAX: one on-disk record */
  unsigned char *data; /* plaintext in buf (after a v2 nonce) */
  size_t pos, len;     /* unread plaintext at data */
  int failed;
  struct rdigest *dg;  /* records digest while reading in order from 0; NULL once broken or done */
  int have_digest;
  unsigned char digest[BLOB_DIGEST_LEN];
};

static void reader_fail(struct blob_reader *r) {
  r->failed = 1;
  r->pos = r->len = 0;
  sodium_memzero(r->buf, REC_MAX);
}

static int reader_header(struct blob_reader *r, unsigned char h[BLOB_HEADER_LEN], char *err, size_t errlen);
static int reader_check(struct blob_reader *r, const unsigned char h[BLOB_HEADER_LEN], char *err, size_t errlen);

/* Opens a finished blob; see blobfmt.h. */
int blob_reader_open(const char *path, const unsigned char file_id[BLOB_ID_LEN],
                     const unsigned char dek[BLOB_DEK_LEN], struct blob_reader **out, char *err,
                     size_t errlen) {
  struct blob_reader *r = NULL;
  unsigned char h[BLOB_HEADER_LEN];
  struct stat st;
  int rc = -1;
  if (!path || !file_id || !dek || !out) {
    set_err(err, errlen, "blob_reader_open: bad arguments");
    errno = EINVAL;
    goto done;
  }
  *out = NULL;
  if (sodium_init() < 0 || !(r = calloc(1, sizeof *r))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  r->fd = -1;
  r->dek = secret_copy(dek, BLOB_DEK_LEN);
  r->buf = buf_alloc(REC_MAX);
  if (!r->dek || !r->buf) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  memcpy(r->file_id, file_id, BLOB_ID_LEN);
  r->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (r->fd < 0) {
    set_errno_err(err, errlen, "cannot open blob");
    goto done;
  }
  if (fstat(r->fd, &st) != 0) {
    set_errno_err(err, errlen, "cannot stat blob");
    goto done;
  }
  if (!S_ISREG(st.st_mode)) {
    set_err(err, errlen, "blob is not a regular file");
    errno = EINVAL;
    goto done;
  }
  r->file_len = (uint64_t)st.st_size;
  if (reader_header(r, h, err, errlen) != 0) goto done;
  *out = r;
  r = NULL;
  rc = 0;
done:;
  int saved = errno;
  blob_reader_close(r);
  errno = saved;
  return rc;
}

/* Reads and checks the header and the length of r (fd or src set, file_len
 * known). 0 or -1 (err, errno). */
static int reader_header(struct blob_reader *r, unsigned char h[BLOB_HEADER_LEN], char *err, size_t errlen) {
  if (r->file_len < BLOB_HEADER_LEN) {
    set_err(err, errlen, "blob truncated");
    errno = EBADMSG;
    return -1;
  }
  ssize_t n = r->src ? r->src->read(r->src->ctx, h, BLOB_HEADER_LEN, 0, err, errlen)
                     : read_all_at(r->fd, h, BLOB_HEADER_LEN, 0);
  if (n < 0 && r->src) return -1;
  if (n != (ssize_t)BLOB_HEADER_LEN) {
    if (n >= 0) errno = EIO;
    set_errno_err(err, errlen, "cannot read blob header");
    return -1;
  }
  return reader_check(r, h, err, errlen);
}

static int reader_check(struct blob_reader *r, const unsigned char h[BLOB_HEADER_LEN], char *err, size_t errlen) {
  int rc = -1;
  const unsigned char *file_id = r->file_id;
  if (header_parse(h, file_id, &r->format, r->prefix, err, errlen) != 0) {
    errno = EBADMSG;
    goto done;
  }
  r->data = r->buf + rec_nonce_len(r->format);
  if (!(r->dg = rdigest_new(r->format, file_id))) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  /* the final record's overhead: nonce (v2) and tag */
  uint64_t over = rec_nonce_len(r->format) + BLOB_TAG_LEN;
  if (r->file_len < BLOB_HEADER_LEN + over) {
    set_err(err, errlen, "blob truncated");
    errno = EBADMSG;
    goto done;
  }
  uint64_t body = r->file_len - BLOB_HEADER_LEN - over;
  uint64_t stride = rec_stride(r->format);
  r->nfull = body / stride;
  r->final_len = (size_t)(body - r->nfull * stride);
  if (r->final_len > BLOB_RECORD) {
    /* body % stride is at most BLOB_RECORD + 15 (v1) or + 39 (v2); those
     * lengths cannot be a final record of any valid file. */
    set_err(err, errlen, "blob has an impossible length");
    errno = EBADMSG;
    goto done;
  }
  rc = 0;
done:
  return rc;
}

int blob_reader_open_source(struct blob_source *src, const unsigned char file_id[BLOB_ID_LEN],
                            const unsigned char dek[BLOB_DEK_LEN], struct blob_reader **out, char *err,
                            size_t errlen) {
  struct blob_reader *r = NULL;
  unsigned char h[BLOB_HEADER_LEN];
  int rc = -1;
  if (!src || !file_id || !dek || !out) {
    set_err(err, errlen, "blob_reader_open_source: bad arguments");
    errno = EINVAL;
    if (src) {
      src->free(src->ctx);
      free(src);
    }
    return -1;
  }
  *out = NULL;
  if (sodium_init() < 0 || !(r = calloc(1, sizeof *r))) {
    src->free(src->ctx);
    free(src);
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  r->fd = -1;
  r->src = src;
  r->dek = secret_copy(dek, BLOB_DEK_LEN);
  r->buf = buf_alloc(REC_MAX);
  if (!r->dek || !r->buf) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    goto done;
  }
  memcpy(r->file_id, file_id, BLOB_ID_LEN);
  r->file_len = src->size;
  if (reader_header(r, h, err, errlen) != 0) goto done;
  *out = r;
  r = NULL;
  rc = 0;
done:;
  int saved = errno;
  blob_reader_close(r);
  errno = saved;
  return rc;
}

/* Loads and authenticates record r->next into r->buf. */
static int reader_load(struct blob_reader *r, char *err, size_t errlen) {
  int final = r->next == r->nfull;
  size_t nl = rec_nonce_len(r->format);
  size_t ctlen = final ? nl + r->final_len + BLOB_TAG_LEN : (size_t)rec_stride(r->format);
  ssize_t n = r->src ? r->src->read(r->src->ctx, r->buf, ctlen, record_off(r->format, r->next), err, errlen)
                     : read_all_at(r->fd, r->buf, ctlen, record_off(r->format, r->next));
  if (n < 0 && r->src) return -1;
  if (n < 0) {
    set_errno_err(err, errlen, "cannot read blob");
    return -1;
  }
  if ((size_t)n != ctlen) {
    set_err(err, errlen, "blob truncated while reading record %llu",
            (unsigned long long)r->next);
    errno = EBADMSG;
    return -1;
  }
  unsigned char nonce[NONCE_LEN], tag[BLOB_TAG_LEN];
  int fold = r->dg && r->dg->n == r->next;
  if (fold) {
    if (r->format == BLOB_FORMAT_V1) record_nonce_v1(nonce, r->prefix, r->next);
    else memcpy(nonce, r->buf, NONCE_LEN);
    memcpy(tag, r->buf + ctlen - BLOB_TAG_LEN, BLOB_TAG_LEN);
  }
  if (record_open(r->format, r->prefix, r->file_id, r->dek, r->next, final, r->buf, ctlen) != 0) {
    set_err(err, errlen, "blob record %llu does not authenticate", (unsigned long long)r->next);
    errno = EBADMSG;
    return -1;
  }
  if (fold) {
    rdigest_record(r->dg, nonce, tag);
    if (final) {
      rdigest_final(r->dg, blob_reader_size(r), r->digest);
      r->have_digest = 1;
    }
  }
  if (!fold || final) {
    rdigest_free(r->dg); /* out of order (a seek), or done */
    r->dg = NULL;
  }
  r->pos = 0;
  r->len = ctlen - nl - BLOB_TAG_LEN;
  r->next++;
  return 0;
}

/* Copies up to cap authenticated plaintext bytes; see blobfmt.h. */
ssize_t blob_reader_read(struct blob_reader *r, void *buf, size_t cap, char *err, size_t errlen) {
  unsigned char *out = buf;
  size_t got = 0;
  if (!r || (cap && !buf)) {
    set_err(err, errlen, "blob_reader_read: bad arguments");
    errno = EINVAL;
    return -1;
  }
  if (r->failed) {
    set_err(err, errlen, "blob reader failed earlier");
    errno = EBADMSG;
    return -1;
  }
  if (cap > SSIZE_MAX) cap = SSIZE_MAX;
  while (got < cap) {
    if (r->pos < r->len) {
      size_t n = r->len - r->pos;
      if (n > cap - got) n = cap - got;
      memcpy(out + got, r->data + r->pos, n);
      r->pos += n;
      got += n;
      continue;
    }
    if (r->next > r->nfull) break;
    if (reader_load(r, err, errlen) != 0) {
      reader_fail(r);
      return -1;
    }
  }
  if (got == 0 && cap > 0) {
    /* End: the final record authenticated; the file must not have grown. */
    struct stat st;
    if (!r->src && (fstat(r->fd, &st) != 0 || (uint64_t)st.st_size != r->file_len)) {
      set_err(err, errlen, "blob changed while being read");
      reader_fail(r);
      errno = EBADMSG;
      return -1;
    }
  }
  return (ssize_t)got;
}

/* Positions the reader at a plaintext offset; see blobfmt.h. */
int blob_reader_seek(struct blob_reader *r, uint64_t off, char *err, size_t errlen) {
  if (!r || r->failed) {
    set_err(err, errlen, "blob reader failed earlier");
    errno = EBADMSG;
    return -1;
  }
  uint64_t size = blob_reader_size(r);
  if (off >= size) {
    r->next = r->nfull + 1; /* at the end */
    r->pos = r->len = 0;
    return off == size ? 0 : -1;
  }
  uint64_t idx = off / BLOB_RECORD;
  if (!(r->next == idx + 1 && r->len > 0)) {
    r->next = idx;
    if (reader_load(r, err, errlen) != 0) {
      reader_fail(r);
      return -1;
    }
  }
  r->pos = (size_t)(off % BLOB_RECORD);
  return 0;
}

/* Records digest after an in-order read to the end; see blobfmt.h. */
int blob_reader_digest(const struct blob_reader *r, unsigned char out[BLOB_DIGEST_LEN]) {
  if (!r || r->failed || !r->have_digest || r->next <= r->nfull || r->pos < r->len || !out) return -1;
  memcpy(out, r->digest, BLOB_DIGEST_LEN);
  return 0;
}

/* Plaintext size from the file length at open. */
uint64_t blob_reader_size(const struct blob_reader *r) {
  return r ? r->nfull * (uint64_t)BLOB_RECORD + r->final_len : 0;
}

/* Closes, wipes and frees. */
void blob_reader_close(struct blob_reader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  if (r->src) {
    r->src->free(r->src->ctx);
    free(r->src);
  }
  if (r->dek) sodium_free(r->dek);
  buf_free(r->buf, REC_MAX);
  rdigest_free(r->dg);
  free(r);
}

/* Format field of a blob's header; see blobfmt.h. */
int blob_file_format(const char *path, uint32_t *format, char *err, size_t errlen) {
  unsigned char h[BLOB_HEADER_LEN];
  if (!path || !format) {
    set_err(err, errlen, "blob_file_format: bad arguments");
    errno = EINVAL;
    return -1;
  }
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    set_errno_err(err, errlen, "cannot open blob");
    return -1;
  }
  ssize_t n = read_all_at(fd, h, sizeof h, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  if (n != (ssize_t)sizeof h || memcmp(h, MAGIC, sizeof MAGIC) != 0) {
    if (n >= 0) errno = EBADMSG;
    set_err(err, errlen, "not a blob file");
    return -1;
  }
  *format = get_be32(h + 8);
  return 0;
}

/* Reads a whole blob, hashing its plaintext and handing it to w when w is
 * not NULL. *plain = bytes read. 0 or -1 (err). */
static int reseal_pass(const char *path, const unsigned char *file_id, const unsigned char *dek,
                       struct blob_writer *w, uint32_t *format, unsigned char hash[crypto_generichash_BYTES],
                       uint64_t *plain, char *err, size_t errlen) {
  struct blob_reader *r = NULL;
  crypto_generichash_state st;
  unsigned char *buf = buf_alloc(BLOB_RECORD);
  int rc = -1;
  *plain = 0;
  if (!buf) {
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
  }
  crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
  if (blob_reader_open(path, file_id, dek, &r, err, errlen) != 0) goto done;
  *format = r->format;
  for (;;) {
    ssize_t n = blob_reader_read(r, buf, BLOB_RECORD, err, errlen);
    if (n < 0) goto done;
    if (n == 0) break;
    crypto_generichash_update(&st, buf, (size_t)n);
    if (w && blob_writer_append(w, buf, (size_t)n, err, errlen) != 0) goto done;
    *plain += (uint64_t)n;
  }
  crypto_generichash_final(&st, hash, crypto_generichash_BYTES);
  rc = 0;
done:;
  int saved = errno;
  blob_reader_close(r);
  buf_free(buf, BLOB_RECORD);
  sodium_memzero(&st, sizeof st);
  errno = saved;
  return rc;
}

/* Rewrites a finished v1 blob as v2; see blobfmt.h. */
int blob_reseal(const char *path, const char *tmp_path, const unsigned char file_id[BLOB_ID_LEN],
                const unsigned char dek[BLOB_DEK_LEN], uint64_t *plain_bytes, char *err, size_t errlen) {
  struct blob_writer *w = NULL;
  unsigned char h1[crypto_generichash_BYTES], h2[crypto_generichash_BYTES];
  uint64_t n1 = 0, n2 = 0;
  uint32_t f1 = 0, f2 = 0;
  int rc = -1;
  if (!path || !tmp_path || !file_id || !dek || !dirname_equal(path, tmp_path)) {
    set_err(err, errlen, "blob_reseal: bad arguments");
    errno = EINVAL;
    return -1;
  }
  if (plain_bytes) *plain_bytes = 0;
  /* A temp file left by an interrupted run (either the unfinished v2 copy,
   * or the old v1 file after the exchange below) is never needed. */
  if (unlink(tmp_path) != 0 && errno != ENOENT) {
    set_errno_err(err, errlen, "cannot remove an old temporary file");
    return -1;
  }
  if (blob_file_format(path, &f1, err, errlen) != 0) return -1;
  if (f1 == BLOB_FORMAT_V2) return 1;
  if (blob_writer_create(tmp_path, file_id, dek, &w, err, errlen) != 0) return -1;
  /* Copy while hashing the source: every source record authenticates. */
  if (reseal_pass(path, file_id, dek, w, &f1, h1, &n1, err, errlen) != 0) goto fail;
  if (f1 != BLOB_FORMAT_V1) {
    /* became v2 meanwhile (another reseal): nothing to do */
    blob_writer_abort(w);
    w = NULL;
    (void)unlink(tmp_path);
    return 1;
  }
  if (writer_seal_final(w, err, errlen) != 0) goto fail;
  blob_writer_abort(w);
  w = NULL;
  /* Verify: the new file reads back fully as v2 with the same plaintext. */
  if (reseal_pass(tmp_path, file_id, dek, NULL, &f2, h2, &n2, err, errlen) != 0) goto fail;
  if (f2 != BLOB_FORMAT_V2 || n1 != n2 || sodium_memcmp(h1, h2, sizeof h1) != 0) {
    set_err(err, errlen, "the rewritten file does not read back the same");
    errno = EIO;
    goto fail;
  }
  /* Swap atomically. Exchange (not rename) fails when the original was
   * deleted meanwhile, so a deleted file is never brought back. */
  if (renameat2(AT_FDCWD, tmp_path, AT_FDCWD, path, RENAME_EXCHANGE) != 0) {
    if (errno == ENOENT) {
      (void)unlink(tmp_path);
      set_err(err, errlen, "the file was deleted while being resealed");
      errno = ENOENT;
      return -1;
    }
    if (errno != EINVAL && errno != ENOSYS) {
      set_errno_err(err, errlen, "cannot swap in the resealed file");
      goto fail;
    }
    struct stat st;
    if (stat(path, &st) != 0 || rename(tmp_path, path) != 0) {
      set_errno_err(err, errlen, "cannot move the resealed file into place");
      goto fail;
    }
  } else if (unlink(tmp_path) != 0) {
    set_errno_err(err, errlen, "cannot remove the old v1 file");
    goto fail;
  }
  if (fsync_parent_dir(path) != 0) {
    set_errno_err(err, errlen, "cannot fsync the store directory");
    return -1; /* the swap happened; a rerun sees v2 */
  }
  if (plain_bytes) *plain_bytes = n1;
  rc = 0;
  return rc;
fail:;
  int saved = errno;
  blob_writer_abort(w);
  (void)unlink(tmp_path);
  errno = saved;
  return -1;
}
