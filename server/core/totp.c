/* TOTP and recovery codes: see totp.h. */
#include "core/totp.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int totp_init(void) {
  return oath_init() == OATH_OK ? 0 : -1;
}

void totp_done(void) {
  oath_done();
}

void totp_secret_new(unsigned char secret[TOTP_SECRET_BYTES]) {
  randombytes_buf(secret, TOTP_SECRET_BYTES);
}

int totp_base32(const unsigned char *secret, size_t len, char *out, size_t cap) {
  static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  if (!secret || !out) return -1;
  size_t need = (len * 8 + 4) / 5;
  if (need >= cap || need > 0x7fffffff) return -1;
  size_t o = 0;
  unsigned buf = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    buf = (buf << 8) | secret[i];
    bits += 8;
    while (bits >= 5) {
      out[o++] = A[(buf >> (bits - 5)) & 31];
      bits -= 5;
    }
    buf &= 0xff; /* keep only what remains to be emitted (< 8 bits) */
  }
  if (bits > 0) out[o++] = A[(buf << (5 - bits)) & 31];
  out[o] = '\0';
  sodium_memzero(&buf, sizeof buf);
  return (int)o;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) at out+*o; -1 when full. */
static int append_escaped(char *out, size_t cap, size_t *o, const char *s) {
  static const char H[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
    size_t need = keep ? 1 : 3;
    if (*o + need >= cap) return -1;
    if (keep) {
      out[(*o)++] = (char)c;
    } else {
      out[(*o)++] = '%';
      out[(*o)++] = H[c >> 4];
      out[(*o)++] = H[c & 15];
    }
  }
  out[*o] = '\0';
  return 0;
}

/* Appends a literal string at out+*o; -1 when full. */
static int append_raw(char *out, size_t cap, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (*o + n >= cap) return -1;
  memcpy(out + *o, s, n + 1);
  *o += n;
  return 0;
}

int totp_uri(const unsigned char *secret, size_t len, const char *issuer, const char *account,
             char *out, size_t cap) {
  char b32[128];
  size_t o = 0;
  int ret = -1;
  if (!secret || !issuer || !account || !out || cap == 0) return -1;
  out[0] = '\0';
  if (totp_base32(secret, len, b32, sizeof b32) < 0) goto done;
  if (append_raw(out, cap, &o, "otpauth://totp/") || append_escaped(out, cap, &o, issuer) ||
      append_raw(out, cap, &o, ":") || append_escaped(out, cap, &o, account) ||
      append_raw(out, cap, &o, "?secret=") || append_raw(out, cap, &o, b32) ||
      append_raw(out, cap, &o, "&issuer=") || append_escaped(out, cap, &o, issuer) ||
      append_raw(out, cap, &o, "&algorithm=SHA1&digits=6&period=30"))
    goto done;
  ret = (int)o;
done:
  if (ret < 0) sodium_memzero(out, cap); /* no half-written secret left behind */
  sodium_memzero(b32, sizeof b32);
  return ret;
}

int totp_code_at(const unsigned char *secret, size_t len, time_t t, char out[TOTP_DIGITS + 1]) {
  if (!secret || !out || len == 0 || t < 0) return -1;
  if (oath_totp_generate((const char *)secret, len, t, TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME,
                         TOTP_DIGITS, out) != OATH_OK)
    return -1;
  out[TOTP_DIGITS] = '\0';
  return 0;
}

long long totp_check(const unsigned char *secret, size_t len, const char *code, time_t now,
                     long long last_step) {
  char want[TOTP_DIGITS + 1], got[TOTP_DIGITS + 1];
  long long found = -1;
  size_t n = 0;
  if (!secret || !code || len == 0 || now < 0) return -1;
  /* Canonicalise: exactly six ASCII digits, spaces ignored, bounded scan. */
  for (size_t i = 0; code[i] && i < 32; i++) {
    char c = code[i];
    if (c == ' ') continue;
    if (c < '0' || c > '9' || n == TOTP_DIGITS) return -1;
    want[n++] = c;
  }
  if (n != TOTP_DIGITS || strlen(code) >= 32) return -1;
  want[n] = '\0';

  long long step = (long long)now / TOTP_STEP;
  for (long long s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
    if (s < 0) continue;
    if (totp_code_at(secret, len, (time_t)(s * TOTP_STEP), got) != 0) continue;
    /* Compare every step in constant time; keep the earliest fresh match. */
    int eq = sodium_memcmp(got, want, TOTP_DIGITS) == 0;
    if (eq && s > last_step && found < 0) found = s;
  }
  sodium_memzero(got, sizeof got);
  sodium_memzero(want, sizeof want);
  return found;
}

/* ---- recovery codes --------------------------------------------------- */

int totp_recovery_codes(size_t n, char (*out)[TOTP_RECOVERY_BUF]) {
  static const char A[] = TOTP_RECOVERY_ALPHABET;
  if (!out) return -1;
  for (size_t k = 0; k < n; k++) {
    size_t o = 0;
    for (int i = 0; i < TOTP_RECOVERY_CHARS; i++) {
      if (i == TOTP_RECOVERY_CHARS / 2) out[k][o++] = '-';
      out[k][o++] = A[randombytes_uniform((uint32_t)(sizeof A - 1))];
    }
    out[k][o] = '\0';
  }
  return 0;
}

int totp_recovery_hash(const char *code, const unsigned char key[TOTP_RECOVERY_KEY_BYTES],
                       unsigned char out[TOTP_RECOVERY_HASH_BYTES]) {
  char canon[TOTP_RECOVERY_CHARS];
  size_t n = 0;
  int ret = -1;
  if (!code || !key || !out) return -1;
  for (size_t i = 0; code[i]; i++) {
    char c = code[i];
    if (i >= 64) goto done;
    if (c == ' ' || c == '-') continue;
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (!strchr(TOTP_RECOVERY_ALPHABET, c) || n == sizeof canon) goto done;
    canon[n++] = c;
  }
  if (n != sizeof canon) goto done;
  if (crypto_generichash(out, TOTP_RECOVERY_HASH_BYTES, (const unsigned char *)canon, n, key,
                         TOTP_RECOVERY_KEY_BYTES) != 0)
    goto done;
  ret = 0;
done:
  sodium_memzero(canon, sizeof canon);
  return ret;
}

long totp_recovery_find(const char *code, const unsigned char key[TOTP_RECOVERY_KEY_BYTES],
                        const unsigned char (*hashes)[TOTP_RECOVERY_HASH_BYTES], size_t n) {
  unsigned char h[TOTP_RECOVERY_HASH_BYTES];
  long found = -1;
  if (!hashes || totp_recovery_hash(code, key, h) != 0) return -1;
  for (size_t i = 0; i < n; i++) {
    int eq = sodium_memcmp(h, hashes[i], sizeof h) == 0;
    if (eq && found < 0) found = (long)i;
  }
  sodium_memzero(h, sizeof h);
  return found;
}
