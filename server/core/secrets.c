/* The application secret key: see secrets.h. */
#include "core/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/keydir.h"
#include "util/log.h"

static unsigned char app_key[SECRETS_KEY_BYTES];
static int loaded;

/* Reads exactly n bytes from fd. 0 or -1. */
static int read_all(int fd, unsigned char *buf, size_t n) {
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

/* Creates the key file atomically: writes a temporary file, fsyncs it and
 * links it into place, so two processes starting at once agree on one key.
 * 0 (created or someone else created it first) or -1. */
static int create_key(const char *dir, const char *path) {
  char tmp[4200];
  int n = snprintf(tmp, sizeof tmp, "%s/.app.key.%ld", dir, (long)getpid());
  if (n < 0 || (size_t)n >= sizeof tmp) return -1;
  unsigned char k[SECRETS_KEY_BYTES];
  randombytes_buf(k, sizeof k);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int rc = (write(fd, k, sizeof k) == (ssize_t)sizeof k && fsync(fd) == 0) ? 0 : -1;
  close(fd);
  sodium_memzero(k, sizeof k);
  if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST) rc = -1;
  unlink(tmp);
  return rc;
}

int secrets_init(const char *data_dir) {
  char dir[4096], path[4200];
  if (keydir_path(data_dir, dir, sizeof dir) != 0) return -1;
  int n = snprintf(path, sizeof path, "%s/app.key", dir);
  if (n < 0 || (size_t)n >= sizeof path) return -1;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    LOG_E("cannot create the key folder %s: %s", dir, strerror(errno));
    return -1;
  }
  if (access(path, F_OK) != 0 && create_key(dir, path) != 0) {
    LOG_E("cannot create the app key %s: %s", path, strerror(errno));
    return -1;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    LOG_E("cannot open the app key %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  int rc = -1;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    LOG_E("the app key %s is not a regular file", path);
  } else if (st.st_mode & 077) {
    LOG_E("the app key %s is readable by others (mode %o): chmod 600 it", path, (unsigned)(st.st_mode & 0777));
  } else if (read_all(fd, app_key, sizeof app_key) != 0) {
    LOG_E("the app key %s is not %d bytes long", path, SECRETS_KEY_BYTES);
  } else {
    loaded = 1;
    rc = 0;
  }
  close(fd);
  return rc;
}

void secrets_done(void) {
  sodium_memzero(app_key, sizeof app_key);
  loaded = 0;
}

int secrets_ready(void) { return loaded; }

int secrets_subkey(enum secret_purpose p, unsigned char out[SECRETS_KEY_BYTES]) {
  if (!loaded) return -1;
  return crypto_kdf_derive_from_key(out, SECRETS_KEY_BYTES, (uint64_t)p, "secondop", app_key) == 0 ? 0 : -1;
}

int secrets_seal(enum secret_purpose p, const unsigned char *plain, size_t len, const unsigned char *ad,
                 size_t adlen, unsigned char *out) {
  unsigned char k[SECRETS_KEY_BYTES];
  if (secrets_subkey(p, k) != 0) return -1;
  randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_encrypt(out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
                                                      plain, len, ad, adlen, NULL, out, k);
  sodium_memzero(k, sizeof k);
  return rc == 0 ? 0 : -1;
}

int secrets_open(enum secret_purpose p, const unsigned char *in, size_t inlen, const unsigned char *ad,
                 size_t adlen, unsigned char *out) {
  if (inlen < SECRETS_SEAL_OVERHEAD) return -1;
  unsigned char k[SECRETS_KEY_BYTES];
  if (secrets_subkey(p, k) != 0) return -1;
  unsigned long long mlen = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      out, &mlen, NULL, in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
      inlen - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, adlen, in, k);
  sodium_memzero(k, sizeof k);
  return rc == 0 ? 0 : -1;
}

int secrets_mac(enum secret_purpose p, const void *data, size_t len, unsigned char out[32]) {
  unsigned char k[SECRETS_KEY_BYTES];
  if (secrets_subkey(p, k) != 0) return -1;
  int rc = crypto_generichash(out, 32, data, len, k, sizeof k);
  sodium_memzero(k, sizeof k);
  return rc == 0 ? 0 : -1;
}
