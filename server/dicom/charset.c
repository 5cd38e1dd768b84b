/* DICOM character sets to UTF-8 (see charset.h).
 *
 * Each value is decoded in runs: a run is a stretch of bytes in one coded character set
 * (ASCII, an ISO 8859 part as G1, JIS X 0208/0212 as G0, KS X 1001 or GB 2312 as G1, or one of
 * the multi-byte sets used without extensions), converted by glibc's iconv. JIS X 0208 and
 * 0212 runs are re-encoded as EUC-JP first (GL bytes + 0x80, 0x8F before JIS X 0212), which is
 * the same character set in another encoding; half-width katakana (ISO_IR 13) is mapped by
 * arithmetic. Conversion errors become U+FFFD and are counted. */
#include "dicom/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum cs_id {
  CS_ASCII = 0, /* ISO-IR 6, the default repertoire */
  CS_L1, CS_L2, CS_L3, CS_L4, CS_CYR, CS_ARA, CS_GRE, CS_HEB, CS_L5, CS_THAI,
  CS_JIS13,   /* JIS X 0201: romaji in G0, katakana in G1 */
  CS_JIS87,   /* JIS X 0208, G0, two bytes */
  CS_JIS159,  /* JIS X 0212, G0, two bytes */
  CS_KS149,   /* KS X 1001, G1, two bytes */
  CS_GB58,    /* GB 2312, G1, two bytes */
  CS_UTF8, CS_GB18030, CS_GBK,
  CS_NONE     /* no set designated (G1 empty) */
};

struct cs_def {
  const char *term, *term2022; /* defined terms without / with code extensions */
  const char *iconv;           /* iconv name for bytes of this set (NULL: by hand) */
  int id;
};

static const struct cs_def defs[] = {
    {"ISO_IR 6", "ISO 2022 IR 6", NULL, CS_ASCII},
    {"ISO_IR 100", "ISO 2022 IR 100", "ISO-8859-1", CS_L1},
    {"ISO_IR 101", "ISO 2022 IR 101", "ISO-8859-2", CS_L2},
    {"ISO_IR 109", "ISO 2022 IR 109", "ISO-8859-3", CS_L3},
    {"ISO_IR 110", "ISO 2022 IR 110", "ISO-8859-4", CS_L4},
    {"ISO_IR 144", "ISO 2022 IR 144", "ISO-8859-5", CS_CYR},
    {"ISO_IR 127", "ISO 2022 IR 127", "ISO-8859-6", CS_ARA},
    {"ISO_IR 126", "ISO 2022 IR 126", "ISO-8859-7", CS_GRE},
    {"ISO_IR 138", "ISO 2022 IR 138", "ISO-8859-8", CS_HEB},
    {"ISO_IR 148", "ISO 2022 IR 148", "ISO-8859-9", CS_L5},
    {"ISO_IR 166", "ISO 2022 IR 166", "TIS-620", CS_THAI},
    {"ISO_IR 13", "ISO 2022 IR 13", NULL, CS_JIS13},
    {NULL, "ISO 2022 IR 87", "EUC-JP", CS_JIS87},
    {NULL, "ISO 2022 IR 159", "EUC-JP", CS_JIS159},
    {NULL, "ISO 2022 IR 149", "EUC-KR", CS_KS149},
    {NULL, "ISO 2022 IR 58", "GB2312", CS_GB58},
    {"ISO_IR 192", NULL, NULL, CS_UTF8},
    {"GB18030", NULL, "GB18030", CS_GB18030},
    {"GBK", NULL, "GBK", CS_GBK},
};

static const char *iconv_name(int id) {
  for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
    if (defs[i].id == id) return defs[i].iconv;
  return NULL;
}

/* Parses the Specific Character Set value; see charset.h. */
int dicom_charset_parse(const char *value, size_t len, struct dicom_charset *cs) {
  memset(cs, 0, sizeof *cs);
  if (!value) len = 0;
  size_t i = 0;
  for (;;) {
    size_t s = i;
    while (i < len && value[i] != '\\') i++;
    size_t e = i;
    while (s < e && (value[s] == ' ' || value[s] == '\0')) s++;
    while (e > s && (value[e - 1] == ' ' || value[e - 1] == '\0')) e--;
    int id = CS_ASCII, is2022 = 0;
    if (e > s) {
      int found = 0;
      for (size_t k = 0; k < sizeof defs / sizeof *defs && !found; k++) {
        if (defs[k].term && strlen(defs[k].term) == e - s && memcmp(defs[k].term, value + s, e - s) == 0) {
          id = defs[k].id;
          found = 1;
        } else if (defs[k].term2022 && strlen(defs[k].term2022) == e - s &&
                   memcmp(defs[k].term2022, value + s, e - s) == 0) {
          id = defs[k].id;
          is2022 = found = 1;
        }
      }
      if (!found) cs->unknown++;
    }
    if (is2022) cs->iso2022 = 1;
    if (cs->n < DCS_MAX_TERMS) cs->terms[cs->n++] = id;
    if (i >= len) break;
    i++; /* past the backslash */
  }
  if (cs->n > 1) cs->iso2022 = 1;
  return cs->unknown;
}

/* ---- output ---- */

struct out {
  char *p;
  size_t cap, len; /* len < cap; p[len] kept NUL */
  size_t bad;
  int full;
};

static void put(struct out *o, const void *s, size_t n) {
  if (o->full) return;
  if (n >= o->cap - o->len) {
    o->full = 1;
    return;
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
  o->p[o->len] = '\0';
}

static void put_fffd(struct out *o) {
  o->bad++;
  put(o, "\xEF\xBF\xBD", 3);
}

static void put_cp(struct out *o, uint32_t c) {
  unsigned char b[4];
  if (c < 0x80) {
    b[0] = (unsigned char)c;
    put(o, b, 1);
  } else if (c < 0x800) {
    b[0] = (unsigned char)(0xC0 | c >> 6);
    b[1] = (unsigned char)(0x80 | (c & 0x3F));
    put(o, b, 2);
  } else if (c < 0x10000) {
    b[0] = (unsigned char)(0xE0 | c >> 12);
    b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    b[2] = (unsigned char)(0x80 | (c & 0x3F));
    put(o, b, 3);
  } else {
    b[0] = (unsigned char)(0xF0 | c >> 18);
    b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    b[3] = (unsigned char)(0x80 | (c & 0x3F));
    put(o, b, 4);
  }
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t need;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) need = 2, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) need = 3, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) need = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < need) return 0;
  for (size_t k = 1; k < need; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return need;
}

/* Control characters kept in text: tab, LF, FF, CR. */
static int kept_control(unsigned char c) { return c == 9 || c == 10 || c == 12 || c == 13; }

/* Copies UTF-8, replacing invalid sequences and unwanted controls. */
static void put_utf8(struct out *o, const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n && !o->full) {
    size_t l = utf8_seq(s + i, n - i);
    if (l == 0 || (l == 1 && s[i] < 0x20 && !kept_control(s[i])) || s[i] == 0x7F) {
      put_fffd(o);
      i++;
      continue;
    }
    if (l == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0) { /* C1 controls */
      put_fffd(o);
      i += 2;
      continue;
    }
    put(o, s + i, l);
    i += l;
  }
}

/* ASCII bytes (G0 in the default repertoire or JIS X 0201 romaji). */
static void put_ascii(struct out *o, const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n && !o->full; i++) {
    if (s[i] >= 0x80 || s[i] == 0x7F || (s[i] < 0x20 && !kept_control(s[i])))
      put_fffd(o);
    else
      put(o, s + i, 1);
  }
}

/* Converts with iconv from `from`; an invalid byte becomes U+FFFD and conversion goes on. */
static void put_iconv(struct out *o, const char *from, const unsigned char *s, size_t n) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == (iconv_t)-1) {
    for (size_t i = 0; i < n; i++) put_fffd(o);
    return;
  }
  char *in = (char *)(uintptr_t)s;
  size_t left = n;
  while (left > 0 && !o->full) {
    char *dst = o->p + o->len;
    size_t room = o->cap - 1 - o->len, room0 = room;
    size_t r = iconv(cd, &in, &left, &dst, &room);
    o->len += room0 - room;
    o->p[o->len] = '\0';
    if (r != (size_t)-1) break;
    if (errno == E2BIG) {
      o->full = 1;
    } else if (errno == EILSEQ) {
      put_fffd(o);
      in++;
      left--;
      iconv(cd, NULL, NULL, NULL, NULL);
    } else { /* EINVAL: an incomplete sequence at the end */
      put_fffd(o);
      break;
    }
  }
  iconv_close(cd);
  /* iconv passes controls through: a C0/C1 control from an 8-bit set is not kept */
}

/* Decodes one run of bytes in set id (the bytes as they appear in the value). */
static void put_run(struct out *o, int id, const unsigned char *s, size_t n) {
  switch (id) {
  case CS_ASCII:
  case CS_NONE:
    put_ascii(o, s, n);
    return;
  case CS_UTF8:
    put_utf8(o, s, n);
    return;
  case CS_JIS13:
    for (size_t i = 0; i < n && !o->full; i++) {
      if (s[i] < 0x80)
        put_ascii(o, s + i, 1);
      else if (s[i] >= 0xA1 && s[i] <= 0xDF)
        put_cp(o, 0xFF61u + (uint32_t)(s[i] - 0xA1));
      else
        put_fffd(o);
    }
    return;
  case CS_JIS87:
  case CS_JIS159: {
    /* GL pairs to EUC-JP: each byte | 0x80, JIS X 0212 prefixed by SS3 (0x8F) */
    unsigned char buf[384];
    size_t i = 0;
    while (i < n && !o->full) {
      size_t k = 0;
      while (i < n && k + 3 <= sizeof buf) {
        if (id == CS_JIS159) buf[k++] = 0x8F;
        buf[k++] = (unsigned char)(s[i++] | 0x80);
        if (i < n) buf[k++] = (unsigned char)(s[i++] | 0x80);
      }
      put_iconv(o, "EUC-JP", buf, k);
    }
    return;
  }
  default: {
    const char *name = iconv_name(id);
    if (name)
      put_iconv(o, name, s, n);
    else
      put_ascii(o, s, n);
    return;
  }
  }
}

static int is_two_byte(int id) { return id == CS_JIS87 || id == CS_JIS159 || id == CS_KS149 || id == CS_GB58; }

/* The G0 and G1 sets in force at the start of a value (or after a delimiter). */
static void initial_sets(const struct dicom_charset *cs, int *g0, int *g1) {
  int first = cs->n ? cs->terms[0] : CS_ASCII;
  *g0 = CS_ASCII;
  *g1 = CS_NONE;
  switch (first) {
  case CS_ASCII: break;
  case CS_JIS13: *g0 = CS_JIS13; *g1 = CS_JIS13; break;
  case CS_JIS87:
  case CS_JIS159: *g0 = first; break;
  default: *g1 = first; break;
  }
}

/* Reads an escape sequence at s[0] == ESC; sets g0 or g1 and returns its length, 0 if unknown. */
static size_t escape(const unsigned char *s, size_t n, int *g0, int *g1) {
  static const struct {
    const char *seq;
    int g, id;
  } esc[] = {
      {"\x1B(B", 0, CS_ASCII},   {"\x1B(J", 0, CS_JIS13},   {"\x1B)I", 1, CS_JIS13},
      {"\x1B$B", 0, CS_JIS87},   {"\x1B$@", 0, CS_JIS87},   {"\x1B$(D", 0, CS_JIS159},
      {"\x1B$)C", 1, CS_KS149},  {"\x1B$)A", 1, CS_GB58},   {"\x1B-A", 1, CS_L1},
      {"\x1B-B", 1, CS_L2},      {"\x1B-C", 1, CS_L3},      {"\x1B-D", 1, CS_L4},
      {"\x1B-L", 1, CS_CYR},     {"\x1B-G", 1, CS_ARA},     {"\x1B-F", 1, CS_GRE},
      {"\x1B-H", 1, CS_HEB},     {"\x1B-M", 1, CS_L5},      {"\x1B-T", 1, CS_THAI},
  };
  for (size_t i = 0; i < sizeof esc / sizeof *esc; i++) {
    size_t l = strlen(esc[i].seq);
    if (n >= l && memcmp(s, esc[i].seq, l) == 0) {
      if (esc[i].g == 0)
        *g0 = esc[i].id;
      else
        *g1 = esc[i].id;
      return l;
    }
  }
  return 0;
}

/* ISO 2022 decoding with G0/G1 switching. */
static void decode_2022(const struct dicom_charset *cs, int is_pn, const unsigned char *s, size_t n,
                        struct out *o) {
  int g0, g1;
  initial_sets(cs, &g0, &g1);
  size_t i = 0;
  while (i < n && !o->full) {
    unsigned char b = s[i];
    if (b == 0x1B) {
      size_t l = escape(s + i, n - i, &g0, &g1);
      if (l == 0) {
        put_fffd(o);
        l = 1;
      }
      i += l;
      continue;
    }
    if (b < 0x80) {
      if (is_two_byte(g0) && b >= 0x21 && b <= 0x7E) {
        size_t j = i;
        while (j + 1 < n && s[j] >= 0x21 && s[j] <= 0x7E && s[j + 1] >= 0x21 && s[j + 1] <= 0x7E) j += 2;
        if (j == i) { /* a lone byte */
          put_fffd(o);
          i++;
          continue;
        }
        put_run(o, g0, s + i, j - i);
        i = j;
        continue;
      }
      if (b == '\\' || b < 0x20 || (is_pn && (b == '^' || b == '='))) initial_sets(cs, &g0, &g1);
      size_t j = i + 1;
      while (j < n && s[j] < 0x80 && s[j] != 0x1B && s[j] >= 0x20 && s[j] != '\\' &&
             !(is_pn && (s[j] == '^' || s[j] == '=')))
        j++;
      put_ascii(o, s + i, j - i);
      i = j;
      continue;
    }
    /* GR: the G1 set */
    size_t j = i;
    while (j < n && s[j] >= 0x80) j++;
    if (g1 == CS_NONE) {
      for (size_t k = i; k < j; k++) put_fffd(o);
    } else if (is_two_byte(g1) && (j - i) % 2) {
      put_run(o, g1, s + i, j - i - 1);
      put_fffd(o);
    } else {
      put_run(o, g1, s + i, j - i);
    }
    i = j;
  }
}

/* Decodes a value to UTF-8; see charset.h. */
size_t dicom_decode(const struct dicom_charset *cs, int is_pn, const unsigned char *in, size_t inlen,
                    char *out, size_t cap) {
  struct out o = {out, cap, 0, 0, 0};
  if (cap == 0) return 0;
  out[0] = '\0';
  if (!in) inlen = 0;
  static const struct dicom_charset deflt = {{CS_ASCII}, 1, 0, 0};
  if (!cs || cs->n == 0) cs = &deflt;
  if (cs->iso2022)
    decode_2022(cs, is_pn, in, inlen, &o);
  else
    put_run(&o, cs->terms[0], in, inlen);
  /* a C0/C1 control produced by an 8-bit conversion: replace it in place is not possible in
   * every width, so a final clean pass makes the guarantee */
  size_t bad = o.bad;
  for (size_t i = 0; i < o.len; i++) {
    unsigned char c = (unsigned char)out[i];
    if ((c < 0x20 && !kept_control(c)) || c == 0x7F) {
      out[i] = '?';
      bad++;
    } else if (c == 0xC2 && i + 1 < o.len && (unsigned char)out[i + 1] < 0xA0) {
      out[i] = '?';
      memmove(out + i + 1, out + i + 2, o.len - i - 1);
      o.len--;
      bad++;
    }
  }
  return bad;
}

/* Copies as clean UTF-8; see charset.h. */
size_t dicom_utf8_clean(const unsigned char *in, size_t inlen, char *out, size_t cap) {
  struct out o = {out, cap, 0, 0, 0};
  if (cap == 0) return 0;
  out[0] = '\0';
  if (in) put_utf8(&o, in, inlen);
  return o.bad;
}

/* ---- display ---- */

/* Appends s[0..n) (trimmed) to out after sep when out is not empty; never cuts a character. */
static void append(char *out, size_t cap, const char *sep, const char *s, size_t n) {
  while (n && s[0] == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (!n) return;
  size_t l = strlen(out), sl = l ? strlen(sep) : 0;
  if (l + sl + n >= cap) return;
  memcpy(out + l, sep, sl);
  memcpy(out + l + sl, s, n);
  out[l + sl + n] = '\0';
}

/* One component group: the family name, then the other components; the alphabetic group
 * (first) reads "DOE, JANE", the ideographic and phonetic ones "山田 太郎". */
static void group_words(const char *g, size_t n, int alphabetic, char *out, size_t cap) {
  const char *c[5] = {0};
  size_t cl[5] = {0};
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= n && k < 5; i++) {
    if (i == n || g[i] == '^') {
      c[k] = g + start;
      cl[k] = i - start;
      k++;
      start = i + 1;
    }
  }
  char fam[256] = "", rest[256] = "";
  if (c[0]) append(fam, sizeof fam, " ", c[0], cl[0]);
  for (int i = 1; i < 5; i++)
    if (c[i]) append(rest, sizeof rest, " ", c[i], cl[i]);
  out[0] = '\0';
  append(out, cap, "", fam, strlen(fam));
  append(out, cap, alphabetic ? ", " : " ", rest, strlen(rest));
}

/* A person name for display; see charset.h. */
void dicom_pn_display(const char *pn, char *out, size_t cap) {
  if (!cap) return;
  out[0] = '\0';
  if (!pn) return;
  char groups[3][256];
  const char *g = pn;
  for (int i = 0; i < 3; i++) {
    groups[i][0] = '\0';
    if (!g) continue;
    const char *e = strchr(g, '=');
    size_t l = e ? (size_t)(e - g) : strlen(g);
    group_words(g, l, i == 0, groups[i], sizeof groups[i]);
    g = e ? e + 1 : NULL;
  }
  char others[520] = "";
  const char *first = NULL;
  for (int i = 0; i < 3; i++) {
    if (!groups[i][0]) continue;
    if (!first)
      first = groups[i];
    else
      append(others, sizeof others, ", ", groups[i], strlen(groups[i]));
  }
  if (!first) return;
  append(out, cap, "", first, strlen(first));
  size_t l = strlen(out);
  if (others[0] && l + strlen(others) + 3 < cap) snprintf(out + l, cap - l, " (%s)", others);
}

static int digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* A date as YYYY-MM-DD; see charset.h. */
void dicom_date_display(const char *da, char *out, size_t cap) {
  if (!cap) return;
  out[0] = '\0';
  if (!da) return;
  size_t n = strlen(da);
  while (n && da[n - 1] == ' ') n--;
  const char *y = NULL, *m = NULL, *d = NULL;
  if (n == 8 && digits(da, 8)) {
    y = da, m = da + 4, d = da + 6;
  } else if (n == 10 && digits(da, 4) && (da[4] == '.' || da[4] == '-') && da[7] == da[4] &&
             digits(da + 5, 2) && digits(da + 8, 2)) {
    y = da, m = da + 5, d = da + 8;
  }
  if (y && cap >= 11) {
    memcpy(out, y, 4);
    out[4] = '-';
    memcpy(out + 5, m, 2);
    out[7] = '-';
    memcpy(out + 8, d, 2);
    out[10] = '\0';
    return;
  }
  size_t l = n < cap - 1 ? n : cap - 1;
  memcpy(out, da, l);
  out[l] = '\0';
}
