/* Passwords: see password.h for the policy and the call sequence. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* strnlen, clock_gettime, pthread */
#endif
#include "core/password.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

_Static_assert(PW_HASH_BYTES == crypto_pwhash_STRBYTES, "hash buffer size");

/* ---- small helpers ---------------------------------------------------- */

/* Wipes and frees n bytes from libunistring (which cannot wipe for us). */
static void wipe_free(void *p, size_t n) {
  if (p) {
    sodium_memzero(p, n);
    free(p);
  }
}

/* Copies n bytes into a fresh NUL-terminated buffer; NULL on OOM. */
static char *dup_n(const uint8_t *s, size_t n) {
  char *r = malloc(n + 1);
  if (!r) return NULL;
  if (n) memcpy(r, s, n);
  r[n] = '\0';
  return r;
}

/* Keys a password is looked up under (fold_key's mode). */
enum { KEY_FOLDED = 0, KEY_NO_SPACE = 1, KEY_ALNUM = 2 };

static int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* 1 when ASCII byte c is dropped from the KEY_ALNUM form (space or punctuation). */
static int is_ascii_sep(uint8_t c) {
  return c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

/* Case-folded NFKC form of s[0..n) as a malloc'd NUL-terminated string:
 * KEY_FOLDED as is, KEY_NO_SPACE without whitespace, KEY_ALNUM without ASCII
 * spaces and punctuation ("Correct-Horse battery_staple!" becomes
 * "correcthorsebatterystaple"). NULL on invalid input or OOM. Pure ASCII
 * takes a short path (NFKC leaves it alone, folding is tolower): the 100,000
 * list entries load in milliseconds. */
static char *fold_key(const char *s, size_t n, int mode) {
  if (n == 0) return dup_n((const uint8_t *)"", 0);
  size_t ascii = 0;
  while (ascii < n && (unsigned char)s[ascii] < 0x80) ascii++;
  if (ascii == n) {
    char *r = malloc(n + 1);
    if (!r) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
      uint8_t c = (uint8_t)s[i];
      if ((mode == KEY_NO_SPACE && is_space(c)) || (mode == KEY_ALNUM && is_ascii_sep(c))) continue;
      r[j++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    r[j] = '\0';
    return r;
  }
  size_t flen = 0;
  uint8_t *f = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKC, NULL, &flen);
  if (!f) return NULL;
  char *r = malloc(flen + 1);
  if (!r) {
    wipe_free(f, flen);
    return NULL;
  }
  size_t j = 0;
  for (size_t i = 0; i < flen; i++) {
    uint8_t c = f[i];
    if ((mode == KEY_NO_SPACE && is_space(c)) || (mode == KEY_ALNUM && is_ascii_sep(c))) continue;
    r[j++] = (char)c;
  }
  r[j] = '\0';
  wipe_free(f, flen);
  return r;
}

/* ---- normalisation ---------------------------------------------------- */

char *pw_normalize(const char *utf8, size_t len) {
  if (!utf8 || len > PW_INPUT_MAX_BYTES) return NULL;
  if (memchr(utf8, '\0', len)) return NULL;
  if (u8_check((const uint8_t *)utf8, len) != NULL) return NULL;
  if (len == 0) return dup_n((const uint8_t *)"", 0);
  size_t nlen = 0;
  uint8_t *n = u8_normalize(UNINORM_NFKC, (const uint8_t *)utf8, len, NULL, &nlen);
  if (!n) return NULL;
  char *r = NULL;
  /* NFKC of a NUL-free string is NUL-free; check anyway before trusting strlen. */
  if (!memchr(n, '\0', nlen)) r = dup_n(n, nlen);
  wipe_free(n, nlen);
  return r;
}

void pw_free(char *p) {
  if (!p) return;
  sodium_memzero(p, strlen(p) + 1);
  free(p);
}

size_t pw_codepoints(const char *normalized) {
  size_t n = 0;
  if (!normalized) return 0;
  for (const unsigned char *p = (const unsigned char *)normalized; *p; p++)
    if ((*p & 0xC0) != 0x80) n++;
  return n;
}

/* ---- blocklist -------------------------------------------------------- */

static char **bl_entries; /* sorted, each malloc'd, case-folded NFKC */
static size_t bl_count;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_entries(char **e, size_t n) {
  for (size_t i = 0; i < n; i++) free(e[i]);
  free(e);
}

/* Appends the entries of one file to *e (n used, cap allocated). 0 or -1. */
static int read_list(const char *path, char ***e, size_t *n, size_t *cap) {
  FILE *f = NULL;
  char line[1024];
  int ret = -1;

  if (!path) goto done;
  f = fopen(path, "re");
  if (!f) goto done;
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      /* Over-long line: skip the rest of it; no real password is this long. */
      int c;
      while ((c = fgetc(f)) != EOF && c != '\n') {}
      continue;
    }
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    if (len == 0) continue;
    if (u8_check((const uint8_t *)line, len) != NULL) continue;
    char *k = fold_key(line, len, KEY_FOLDED);
    if (!k) goto done;
    if (*n == *cap) {
      size_t ncap = *cap ? *cap * 2 : 4096;
      char **ne = realloc(*e, ncap * sizeof *ne);
      if (!ne) {
        free(k);
        goto done;
      }
      *e = ne;
      *cap = ncap;
    }
    (*e)[(*n)++] = k;
  }
  if (ferror(f)) goto done;
  ret = 0;
done:
  if (f) fclose(f);
  return ret;
}

long pw_blocklist_load(const char *path) { return pw_blocklist_load_files(&path, 1); }

long pw_blocklist_load_files(const char *const *paths, size_t npaths) {
  char **e = NULL;
  size_t n = 0, cap = 0;
  long ret = -1;

  if (!paths || npaths == 0) goto done;
  for (size_t i = 0; i < npaths; i++)
    if (read_list(paths[i], &e, &n, &cap) != 0) goto done;
  if (n) qsort(e, n, sizeof *e, cmp_str);
  /* Drop duplicates (case folding can merge entries). */
  size_t u = 0;
  for (size_t i = 0; i < n; i++) {
    if (u && strcmp(e[u - 1], e[i]) == 0) {
      free(e[i]);
      continue;
    }
    e[u++] = e[i];
  }
  n = u;
  free_entries(bl_entries, bl_count);
  bl_entries = e;
  bl_count = n;
  e = NULL;
  n = 0;
  ret = (long)bl_count;
done:
  free_entries(e, n);
  return ret;
}

void pw_blocklist_free(void) {
  free_entries(bl_entries, bl_count);
  bl_entries = NULL;
  bl_count = 0;
}

static int bl_has(const char *key) {
  if (!bl_entries || !key) return 0;
  return bsearch(&key, bl_entries, bl_count, sizeof *bl_entries, cmp_str) != NULL;
}

int pw_blocklisted(const char *normalized) {
  if (!normalized) return 0;
  size_t n = strlen(normalized);
  int hit = 0;
  for (int mode = KEY_FOLDED; mode <= KEY_ALNUM && !hit; mode++) {
    char *k = fold_key(normalized, n, mode);
    hit = bl_has(k);
    pw_free(k);
  }
  return hit;
}

/* ---- policy ----------------------------------------------------------- */

/* 1 when key equals the form `mode` of s[0..n). */
static int key_equals(const char *key, const char *s, size_t n, int mode) {
  if (n == 0 || u8_check((const uint8_t *)s, n) != NULL) return 0;
  char *k = fold_key(s, n, mode);
  int eq = k && k[0] && strcmp(k, key) == 0;
  pw_free(k);
  return eq;
}

enum pw_verdict pw_check(const char *normalized, size_t min_len, const char *email,
                         const char *name) {
  enum pw_verdict v = PW_OK;
  char *folded = NULL, *stripped = NULL, *bare = NULL;

  if (!normalized) return PW_NOT_UTF8;
  size_t blen = strlen(normalized);
  if (u8_check((const uint8_t *)normalized, blen) != NULL) return PW_NOT_UTF8;
  size_t cp = pw_codepoints(normalized);
  if (cp < min_len) return PW_TOO_SHORT;
  if (cp > PW_MAX_LEN) return PW_TOO_LONG;

  folded = fold_key(normalized, blen, KEY_FOLDED);
  stripped = fold_key(normalized, blen, KEY_NO_SPACE);
  bare = fold_key(normalized, blen, KEY_ALNUM);
  if (!folded || !stripped || !bare) {
    v = PW_COMMON; /* out of memory: fail closed */
    goto done;
  }
  if (email) {
    size_t elen = strlen(email);
    const char *at = strrchr(email, '@');
    if (key_equals(stripped, email, elen, KEY_NO_SPACE) ||
        (at && key_equals(stripped, email, (size_t)(at - email), KEY_NO_SPACE)) ||
        key_equals(bare, email, elen, KEY_ALNUM) || (at && key_equals(bare, email, (size_t)(at - email), KEY_ALNUM))) {
      v = PW_MATCHES_EMAIL;
      goto done;
    }
  }
  if (name && (key_equals(stripped, name, strlen(name), KEY_NO_SPACE) ||
               key_equals(bare, name, strlen(name), KEY_ALNUM))) {
    v = PW_MATCHES_NAME;
    goto done;
  }
  /* a password that is a list entry once spaces and punctuation are gone
   * ("Password-123456!", "correct horse battery staple") is refused too */
  if (!bl_entries || bl_has(folded) || bl_has(stripped) || (bare[0] && bl_has(bare))) v = PW_COMMON;
done:
  pw_free(folded);
  pw_free(stripped);
  pw_free(bare);
  return v;
}

const char *pw_verdict_message_len(enum pw_verdict v, size_t min_len) {
  switch (v) {
    case PW_OK:
      return "This password can be used.";
    case PW_TOO_SHORT:
      if (min_len <= 12)
        return "Use at least 12 characters. A short sentence you can remember works well.";
      return "Use at least 15 characters. A short sentence you can remember works well.";
    case PW_TOO_LONG:
      return "Use at most 128 characters.";
    case PW_NOT_UTF8:
      return "This password contains characters we cannot read. Please type it again.";
    case PW_COMMON:
      return "This password is too common or has appeared in a data breach. Choose another.";
    case PW_MATCHES_EMAIL:
      return "Your password cannot be your email address. Choose another.";
    case PW_MATCHES_NAME:
      return "Your password cannot be your name. Choose another.";
  }
  return "This password cannot be used. Choose another.";
}

const char *pw_verdict_message(enum pw_verdict v) {
  return pw_verdict_message_len(v, PW_MIN_LEN_PASSWORD_ONLY);
}

/* ---- hashing ---------------------------------------------------------- */

int pw_hash(const char *normalized, unsigned long long ops, size_t mem, char out[PW_HASH_BYTES]) {
  if (!normalized || !out) return -1;
  if (crypto_pwhash_str_alg(out, normalized, strlen(normalized), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return -1;
  return 0;
}

int pw_verify(const char *stored, const char *normalized, unsigned long long ops, size_t mem,
              int *needs_rehash) {
  if (needs_rehash) *needs_rehash = 0;
  if (!stored || !normalized) return -1;
  /* Refuse unterminated or over-long stored strings before libsodium reads them. */
  if (strnlen(stored, crypto_pwhash_STRBYTES) == crypto_pwhash_STRBYTES) return -1;
  if (crypto_pwhash_str_verify(stored, normalized, strlen(normalized)) != 0) return -1;
  if (needs_rehash) *needs_rehash = crypto_pwhash_str_needs_rehash(stored, ops, mem) != 0;
  return 0;
}

static pthread_mutex_t dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  unsigned long long ops;
  size_t mem;
  char hash[PW_HASH_BYTES];
} dummy[4];
static int dummy_n;

const char *pw_dummy_hash(unsigned long long ops, size_t mem) {
  const char *r = NULL;
  pthread_mutex_lock(&dummy_mu);
  for (int i = 0; i < dummy_n; i++)
    if (dummy[i].ops == ops && dummy[i].mem == mem) {
      r = dummy[i].hash;
      goto done;
    }
  if (dummy_n == (int)(sizeof dummy / sizeof dummy[0])) goto done;
  {
    unsigned char rnd[32];
    char pw[2 * sizeof rnd + 1];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(pw, sizeof pw, rnd, sizeof rnd);
    int rc = pw_hash(pw, ops, mem, dummy[dummy_n].hash);
    sodium_memzero(rnd, sizeof rnd);
    sodium_memzero(pw, sizeof pw);
    if (rc != 0) goto done;
    dummy[dummy_n].ops = ops;
    dummy[dummy_n].mem = mem;
    r = dummy[dummy_n++].hash;
  }
done:
  pthread_mutex_unlock(&dummy_mu);
  return r;
}

/* ---- concurrency slots ------------------------------------------------ */

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cv;
static int slot_free, slot_ready;

void pw_slots_init(int n) {
  pthread_mutex_lock(&slot_mu);
  if (!slot_ready) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&slot_cv, &a);
    pthread_condattr_destroy(&a);
    slot_ready = 1;
  }
  slot_free = n < 1 ? 1 : n;
  pthread_mutex_unlock(&slot_mu);
}

int pw_slot_acquire(int timeout_ms) {
  int ret = -1;
  struct timespec until;
  if (timeout_ms < 0) timeout_ms = 0;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&slot_mu);
  if (!slot_ready) goto done;
  while (slot_free <= 0) {
    int rc = pthread_cond_timedwait(&slot_cv, &slot_mu, &until);
    if (rc == ETIMEDOUT && slot_free <= 0) goto done;
  }
  slot_free--;
  ret = 0;
done:
  pthread_mutex_unlock(&slot_mu);
  return ret;
}

void pw_slot_release(void) {
  pthread_mutex_lock(&slot_mu);
  if (slot_ready) {
    slot_free++;
    pthread_cond_signal(&slot_cv);
  }
  pthread_mutex_unlock(&slot_mu);
}
