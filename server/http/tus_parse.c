#include "http/tus_parse.h"

#include <string.h>

#include "util/decimal.h"

int tus_parse_u64(const char *s, uint64_t *out) { return decimal_u64(s, out); }

/* Value of one standard base64 character, or -1. */
static int b64val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Strict base64 (padding required, no whitespace) of in[0..n) into out
 * (cap bytes). Returns the decoded length, or -1 when malformed or too big. */
static long b64decode(const char *in, size_t n, unsigned char *out, size_t cap) {
  if (n % 4) return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; k++) {
      unsigned char c = (unsigned char)in[i + k];
      if (c == '=' && i + 4 == n && k >= 2) {
        pad++;
        v[k] = 0;
        continue;
      }
      if (pad) return -1; /* data after padding */
      v[k] = b64val(c);
      if (v[k] < 0) return -1;
    }
    if (pad == 1 && in[i + 2] == '=') return -1;
    unsigned long w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) | ((unsigned long)v[2] << 6) | (unsigned long)v[3];
    size_t take = 3 - (size_t)pad;
    /* canonical: unused bits must be zero */
    if (pad == 1 && (w & 0xff)) return -1;
    if (pad == 2 && (w & 0xffff)) return -1;
    if (o + take > cap) return -1;
    out[o++] = (unsigned char)(w >> 16);
    if (take > 1) out[o++] = (unsigned char)(w >> 8);
    if (take > 2) out[o++] = (unsigned char)w;
  }
  return (long)o;
}

int tus_parse_metadata(const char *hdr, unsigned char *buf, size_t buflen, struct tus_meta *out) {
  out->n = 0;
  if (!hdr) return 0;
  size_t hlen = strlen(hdr);
  if (buflen < TUS_META_BUF(hlen)) return -1;
  size_t used = 0;
  const char *p = hdr;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) {
      if (out->n == 0) return 0; /* empty header */
      goto bad;                  /* trailing comma */
    }
    const char *k = p;
    while (*p && *p != ' ' && *p != ',') {
      unsigned char c = (unsigned char)*p;
      if (c < 0x21 || c > 0x7e) goto bad;
      p++;
    }
    size_t kl = (size_t)(p - k);
    if (kl == 0 || kl > TUS_META_KEY_MAX || out->n >= TUS_META_MAX) goto bad;
    const char *v = NULL;
    size_t vl = 0;
    if (*p == ' ') {
      while (*p == ' ') p++;
      v = p;
      while (*p && *p != ',' && *p != ' ') p++;
      vl = (size_t)(p - v);
      while (*p == ' ') p++;
    }
    if (*p && *p != ',') goto bad;
    char *key = (char *)buf + used;
    memcpy(key, k, kl);
    key[kl] = '\0';
    used += kl + 1;
    for (size_t i = 0; i < out->n; i++)
      if (strcmp(out->pairs[i].key, key) == 0) goto bad;
    unsigned char *val = buf + used;
    long dl = 0;
    if (v && vl) {
      dl = b64decode(v, vl, val, buflen - used - 1);
      if (dl < 0) goto bad;
    }
    val[dl] = '\0';
    used += (size_t)dl + 1;
    out->pairs[out->n++] = (struct tus_meta_pair){key, val, (size_t)dl, v != NULL && vl > 0};
    if (!*p) return 0;
    p++; /* comma */
  }
bad:
  out->n = 0;
  return -1;
}

const struct tus_meta_pair *tus_meta_get(const struct tus_meta *m, const char *key) {
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->pairs[i].key, key) == 0) return &m->pairs[i];
  return NULL;
}

enum tus_checksum_rc tus_parse_checksum(const char *hdr, unsigned char digest[32]) {
  if (!hdr) return TUS_CK_MALFORMED;
  const char *sp = strchr(hdr, ' ');
  if (!sp || sp == hdr) return TUS_CK_MALFORMED;
  size_t al = (size_t)(sp - hdr);
  for (size_t i = 0; i < al; i++) {
    unsigned char c = (unsigned char)hdr[i];
    if (c < 0x21 || c > 0x7e) return TUS_CK_MALFORMED;
  }
  if (!(al == 6 && strncmp(hdr, "sha256", 6) == 0)) return TUS_CK_UNSUPPORTED;
  const char *v = sp + 1;
  unsigned char tmp[33];
  long n = b64decode(v, strlen(v), tmp, sizeof tmp);
  if (n != 32) return TUS_CK_MALFORMED;
  memcpy(digest, tmp, 32);
  return TUS_CK_OK;
}

/* Value of a hex digit, or -1. */
static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int tus_parse_sha256_value(const unsigned char *v, size_t len, unsigned char digest[32]) {
  if (len == 32) { /* the metadata value itself was the base64 of the digest */
    memcpy(digest, v, 32);
    return 0;
  }
  if (len == 64) {
    for (size_t i = 0; i < 32; i++) {
      int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
      if (hi < 0 || lo < 0) return -1;
      digest[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
  }
  unsigned char tmp[33];
  if (len == 44 && b64decode((const char *)v, len, tmp, sizeof tmp) == 32) {
    memcpy(digest, tmp, 32);
    return 0;
  }
  return -1;
}

/* Length of the valid UTF-8 sequence at s[0..n) and its code point, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  size_t len;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
    return 0;
  *cp = v;
  return len;
}

/* True for code points a stored name must not keep. */
static int dropped(uint32_t cp) {
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) return 1;
  if (cp == 0x061c || cp == 0x200e || cp == 0x200f) return 1;
  if (cp >= 0x202a && cp <= 0x202e) return 1;
  if (cp >= 0x2066 && cp <= 0x2069) return 1;
  if (cp == 0xfeff) return 1;
  return 0;
}

size_t tus_sanitize_filename(const unsigned char *in, size_t len, char *out, size_t cap) {
  size_t limit = cap - 1 < TUS_NAME_MAX ? cap - 1 : TUS_NAME_MAX;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t sl = utf8_seq(in + i, len - i, &cp);
    if (sl == 0) {
      i++;
      continue;
    }
    if (!dropped(cp) && !(o == 0 && cp == ' ')) {
      if (o + sl > limit) break;
      memcpy(out + o, in + i, sl);
      o += sl;
    }
    i += sl;
  }
  while (o > 0 && out[o - 1] == ' ') o--;
  if (o == 0) {
    memcpy(out, "unnamed", 8);
    return 7;
  }
  out[o] = '\0';
  return o;
}

int tus_base32(const unsigned char *in, size_t n, char *out, size_t cap) {
  static const char alpha[] = "abcdefghijklmnopqrstuvwxyz234567";
  size_t need = (n * 8 + 4) / 5 + 1;
  if (cap < need) return -1;
  size_t o = 0;
  unsigned buf = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    buf = buf << 8 | in[i];
    bits += 8;
    while (bits >= 5) {
      out[o++] = alpha[(buf >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out[o++] = alpha[(buf << (5 - bits)) & 31];
  out[o] = '\0';
  return 0;
}

int tus_id_valid(const char *s) {
  if (!s || strlen(s) != 26) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7'))) return 0;
  return 1;
}
