/* The identity rule: see identity.h. Pure: no HTTP, no SQL, no globals. */
#include "core/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "util/arena.h"

#define TOK_MAX 24
#define BUF_MAX 1024

/* Folded tokens: pointers into a caller's buffer; cjk marks words written
 * without spaces between names (Han, kana, Hangul). */
struct tl {
  const char *t[TOK_MAX];
  unsigned char cjk[TOK_MAX];
  const char *script[TOK_MAX]; /* Unicode script of the first letter (kana count as Han); NULL: common */
  size_t n;
};

static int is_cjk(ucs4_t c) {
  return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3FFFF);
}

/* Letters that Unicode does not decompose into a base letter and a mark. */
static const char *special_letter(ucs4_t c) {
  switch (c) {
  case 0x00F8: return "o";  /* ø */
  case 0x0142: return "l";  /* ł */
  case 0x0111: return "d";  /* đ */
  case 0x00F0: return "d";  /* ð */
  case 0x00E6: return "ae"; /* æ */
  case 0x0153: return "oe"; /* œ */
  case 0x00FE: return "th"; /* þ */
  case 0x0131: return "i";  /* dotless i */
  case 0x0127: return "h";  /* ħ */
  case 0x0180: return "b";  /* ƀ */
  case 0x0167: return "t";  /* ŧ */
  default: return NULL;
  }
}

static int is_apostrophe(ucs4_t c) {
  return c == 0x27 || c == 0x60 || c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x02B9 || c == 0x00B4 ||
         c == 0x2032;
}

/* Japanese romanisation: long vowels written ou, oo, uu, oh fold to one
 * vowel (Tarou = Taro = Tarō after the macron is dropped). ASCII words only. */
static void jp_fold(char *w) {
  for (char *p = w; *p; p++)
    if ((unsigned char)*p >= 0x80) return;
  char *o = w;
  for (char *p = w; *p; p++) {
    *o++ = *p;
    if ((*p == 'o' && (p[1] == 'u' || p[1] == 'o')) || (*p == 'u' && p[1] == 'u')) {
      p++;
    } else if (*p == 'o' && p[1] == 'h' && (p[2] == '\0' || !strchr("aeiouy", p[2]))) {
      p++;
    }
  }
  *o = '\0';
}

/* Folds n bytes of UTF-8 into words: case folded, NFKD with combining marks
 * dropped (the kana voicing marks kept), special letters mapped, apostrophes
 * removed, everything but letters and digits separating words, then NFC
 * (Hangul syllables and voiced kana recomposed). Words land in buf and out
 * (appended: out->n is not reset). */
static void fold_words(const char *s, size_t n, char *buf, size_t cap, size_t *used, struct tl *out, int jp) {
  if (!s || n == 0) return;
  size_t flen = 0;
  uint8_t *f = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKD, NULL, &flen);
  if (!f) return;
  uint8_t tmp[BUF_MAX];
  size_t tl = 0;
  for (size_t i = 0; i < flen && tl + 8 < sizeof tmp;) {
    ucs4_t c;
    int k = u8_mbtouc(&c, f + i, flen - i);
    i += (size_t)(k > 0 ? k : 1);
    if (is_apostrophe(c)) continue;
    if (c != 0x3099 && c != 0x309A && uc_is_general_category(c, UC_CATEGORY_M)) continue;
    const char *sp = special_letter(c);
    if (sp) {
      size_t l = strlen(sp);
      memcpy(tmp + tl, sp, l);
      tl += l;
    } else if (c == 0x3099 || c == 0x309A || uc_is_general_category(c, UC_CATEGORY_L) ||
               uc_is_general_category(c, UC_CATEGORY_N)) {
      int w = u8_uctomb(tmp + tl, c, (int)(sizeof tmp - tl));
      if (w > 0) tl += (size_t)w;
    } else {
      tmp[tl++] = ' ';
    }
  }
  free(f);
  size_t cl = 0;
  uint8_t *c = u8_normalize(UNINORM_NFC, tmp, tl, NULL, &cl);
  if (!c) return;
  for (size_t i = 0; i < cl;) {
    while (i < cl && c[i] == ' ') i++;
    size_t st = i;
    while (i < cl && c[i] != ' ') i++;
    size_t l = i - st;
    if (l == 0 || out->n >= TOK_MAX || *used + l + 1 > cap) continue;
    char *w = buf + *used;
    memcpy(w, c + st, l);
    w[l] = '\0';
    if (jp) jp_fold(w);
    *used += strlen(w) + 1;
    ucs4_t first = 0;
    u8_mbtouc(&first, (const uint8_t *)w, strlen(w));
    out->cjk[out->n] = (unsigned char)is_cjk(first);
    const uc_script_t *sc = uc_script(first);
    const char *sn = sc ? sc->name : NULL;
    if (sn && (strcmp(sn, "Hiragana") == 0 || strcmp(sn, "Katakana") == 0)) sn = "Han";
    if (sn && (strcmp(sn, "Common") == 0 || strcmp(sn, "Inherited") == 0)) sn = NULL;
    out->script[out->n] = sn;
    out->t[out->n++] = w;
  }
  free(c);
}

/* Joins words i..i+k of x into out; 0, or -1 when they do not fit. */
static int join(const struct tl *x, size_t i, size_t k, char *out, size_t cap) {
  size_t l = 0;
  for (size_t j = i; j < i + k; j++) {
    size_t w = strlen(x->t[j]);
    if (l + w + 1 > cap) return -1;
    memcpy(out + l, x->t[j], w);
    l += w;
  }
  out[l] = '\0';
  return 0;
}

/* Same word, or one is an initial of the other (one letter, not CJK). */
static int word_match(const char *a, const char *b) {
  if (strcmp(a, b) == 0) return 1;
  ucs4_t ca, cb;
  int la = u8_mbtouc(&ca, (const uint8_t *)a, strlen(a)), lb = u8_mbtouc(&cb, (const uint8_t *)b, strlen(b));
  if (la <= 0 || lb <= 0 || is_cjk(ca) || is_cjk(cb)) return 0;
  if (a[la] == '\0' && strncmp(a, b, (size_t)la) == 0) return 1;
  if (b[lb] == '\0' && strncmp(a, b, (size_t)lb) == 0) return 1;
  return 0;
}

/* How much of a name part agrees, best last. */
enum name_level {
  NL_NONE,
  NL_DIFFERENT,
  NL_GIVEN_ONLY,
  NL_FAMILY_GIVEN_DIFFER,
  NL_FAMILY_ONLY,
  NL_FAMILY_GIVEN_PARTLY, /* a given name in common, other given names conflicting */
  NL_SAME
};

enum given_level { GL_DIFFERENT, GL_PARTLY, GL_SAME };

/* Given names (and middle names) of the image against the account's words
 * left after the family name: the same when every name of one side is found
 * on the other (a side may lack middle names; initials and names run
 * together count), partly when some are shared but each side has one the
 * other lacks (Nguyen Thi Lan / Nguyen Thi Mai), different when none is. */
static enum given_level compare_given(const struct tl *G, const struct tl *R) {
  unsigned char cg[TOK_MAX] = {0}, cr[TOK_MAX] = {0};
  char a[BUF_MAX], b[BUF_MAX];
  for (size_t i = 0; i < G->n; i++)
    for (size_t k = 1; k <= 3 && i + k <= G->n; k++)
      for (size_t j = 0; j < R->n; j++)
        for (size_t l = 1; l <= 3 && j + l <= R->n; l++) {
          int same;
          if (k == 1 && l == 1) same = word_match(G->t[i], R->t[j]);
          else same = join(G, i, k, a, sizeof a) == 0 && join(R, j, l, b, sizeof b) == 0 && strcmp(a, b) == 0;
          if (!same) continue;
          for (size_t m = i; m < i + k; m++) cg[m] = 1;
          for (size_t m = j; m < j + l; m++) cr[m] = 1;
        }
  size_t ng = 0, nr = 0;
  for (size_t i = 0; i < G->n; i++) ng += cg[i];
  for (size_t j = 0; j < R->n; j++) nr += cr[j];
  if (ng == G->n || nr == R->n) return GL_SAME;
  return ng || nr ? GL_PARTLY : GL_DIFFERENT;
}

/* Does a run of 1–3 words of x spell a run of 1–3 words of y (words run
 * together: "SMITHJONES" = "smith jones")? Marks the y words matched in
 * ymark (may be NULL); with all = 0 stops at the first. */
static int runs_match(const struct tl *x, const struct tl *y, unsigned char *ymark, int all) {
  char a[BUF_MAX], b[BUF_MAX];
  int found = 0;
  for (size_t i = 0; i < x->n; i++)
    for (size_t k = 1; k <= 3 && i + k <= x->n; k++) {
      if (join(x, i, k, a, sizeof a) != 0) continue;
      for (size_t j = 0; j < y->n; j++)
        for (size_t l = 1; l <= 3 && j + l <= y->n; l++) {
          if (join(y, j, l, b, sizeof b) != 0 || strcmp(a, b) != 0) continue;
          found = 1;
          if (ymark)
            for (size_t m = j; m < j + l; m++) ymark[m] = 1;
          if (!all) return 1;
        }
    }
  return found;
}

/* Compares family words F and given words G (given and middle names) of one
 * group with the account's words A. */
static enum name_level compare_parts(const struct tl *F, const struct tl *G, const struct tl *A) {
  if (F->n == 0 && G->n == 0) return NL_NONE;
  if (A->n == 0) return NL_NONE;
  /* the whole name run together, in either order (CJK names, no spaces) */
  char fa[BUF_MAX], ga[BUF_MAX], aa[BUF_MAX], x[2 * BUF_MAX + 1];
  if (join(F, 0, F->n, fa, sizeof fa) == 0 && join(G, 0, G->n, ga, sizeof ga) == 0 &&
      join(A, 0, A->n, aa, sizeof aa) == 0) {
    snprintf(x, sizeof x, "%s%s", fa, ga);
    if (strcmp(x, aa) == 0) return NL_SAME;
    snprintf(x, sizeof x, "%s%s", ga, fa);
    if (strcmp(x, aa) == 0) return NL_SAME;
  }
  unsigned char used[TOK_MAX] = {0};
  int fam = F->n ? runs_match(F, A, used, 1) : 0;
  const char *rest = NULL;
  if (!fam) {
    /* a CJK account word that starts with the family name: 山田太郎 */
    for (size_t i = 0; i < F->n && !fam; i++)
      for (size_t j = 0; j < A->n && !fam; j++) {
        size_t l = strlen(F->t[i]);
        if (F->cjk[i] && A->cjk[j] && strlen(A->t[j]) > l && strncmp(A->t[j], F->t[i], l) == 0) {
          fam = 1;
          used[j] = 1;
          rest = A->t[j] + l;
        }
      }
  }
  struct tl R = {.n = 0};
  for (size_t j = 0; j < A->n; j++)
    if (!used[j]) {
      R.cjk[R.n] = A->cjk[j];
      R.t[R.n++] = A->t[j];
    }
  if (rest && R.n < TOK_MAX) {
    R.cjk[R.n] = 1;
    R.t[R.n++] = rest;
  }
  if (G->n == 0 || R.n == 0) return fam ? NL_FAMILY_ONLY : NL_DIFFERENT;
  switch (compare_given(G, &R)) {
  case GL_SAME: return fam ? NL_SAME : NL_GIVEN_ONLY;
  case GL_PARTLY: return fam ? NL_FAMILY_GIVEN_PARTLY : NL_DIFFERENT;
  case GL_DIFFERENT: break;
  }
  return fam ? NL_FAMILY_GIVEN_DIFFER : NL_DIFFERENT;
}

/* Splits a PN group into its five components (family, given, middle,
 * prefix, suffix); returns how many '^'-separated parts it has. */
static size_t pn_components(const char *g, size_t n, const char *c[5], size_t cl[5]) {
  size_t k = 0;
  const char *p = g, *end = g + n;
  for (size_t i = 0; i < 5; i++) {
    c[i] = end;
    cl[i] = 0;
  }
  while (k < 5) {
    const char *e = memchr(p, '^', (size_t)(end - p));
    if (!e) e = end;
    c[k] = p;
    cl[k] = (size_t)(e - p);
    k++;
    if (e == end) break;
    p = e + 1;
  }
  return k;
}

/* The closest agreement of one PN group with the account's words. */
static enum name_level compare_group(const char *g, size_t n, const struct tl *A, int jp) {
  const char *c[5];
  size_t cl[5];
  size_t parts = pn_components(g, n, c, cl);
  char buf[2 * BUF_MAX];
  size_t used = 0;
  struct tl F = {.n = 0}, G = {.n = 0};
  fold_words(c[0], cl[0], buf, sizeof buf, &used, &F, jp);
  if (parts >= 2) fold_words(c[1], cl[1], buf, sizeof buf, &used, &G, jp);
  if (parts >= 3) fold_words(c[2], cl[2], buf, sizeof buf, &used, &G, jp);
  if (parts >= 2 || F.n < 2) return compare_parts(&F, &G, A);
  /* no component separator ("Jane Doe", "DOE JANE"): try the family name
   * last and first, keep the closer reading */
  struct tl F1 = {.n = 1}, G1 = {.n = 0}, F2 = {.n = 1}, G2 = {.n = 0};
  F1.t[0] = F.t[F.n - 1];
  F1.cjk[0] = F.cjk[F.n - 1];
  for (size_t i = 0; i + 1 < F.n; i++) {
    G1.cjk[G1.n] = F.cjk[i];
    G1.t[G1.n++] = F.t[i];
  }
  F2.t[0] = F.t[0];
  F2.cjk[0] = F.cjk[0];
  for (size_t i = 1; i < F.n; i++) {
    G2.cjk[G2.n] = F.cjk[i];
    G2.t[G2.n++] = F.t[i];
  }
  enum name_level a = compare_parts(&F1, &G1, A), b = compare_parts(&F2, &G2, A);
  enum name_level whole = compare_parts(&F, &G, A);
  enum name_level best = a > b ? a : b;
  return whole == NL_SAME ? NL_SAME : best;
}

int identity_parse_date(const char *s, int *y, int *m, int *d) {
  *y = *m = *d = 0;
  if (!s) return 0;
  while (*s == ' ') s++;
  size_t n = strlen(s);
  while (n && s[n - 1] == ' ') n--;
  int f[3] = {0, 0, 0}, fl[3] = {0, 0, 0}, nf = 0;
  char sep = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (fl[nf] >= 8) return 0;
      f[nf] = f[nf] * 10 + (c - '0');
      fl[nf]++;
    } else if ((c == '.' || c == '-' || c == '/') && fl[nf] > 0 && nf < 2 && (!sep || sep == c)) {
      sep = c;
      nf++;
    } else {
      return 0;
    }
  }
  if (fl[nf] == 0) return 0;
  nf++;
  int Y = 0, M = 0, D = 0, prec = 0;
  if (nf == 1) {
    int v = f[0];
    if (fl[0] == 8) Y = v / 10000, M = v / 100 % 100, D = v % 100, prec = 3;
    else if (fl[0] == 6) Y = v / 100, M = v % 100, prec = 2;
    else if (fl[0] == 4) Y = v, prec = 1;
    else return 0;
  } else if (nf == 3) {
    if (fl[0] == 4 && fl[1] <= 2 && fl[2] <= 2) {
      Y = f[0], M = f[1], D = f[2];
    } else if (fl[2] == 4 && fl[0] <= 2 && fl[1] <= 2) {
      /* D.M.Y as written in Europe; with / or - only when unambiguous */
      Y = f[2];
      if (sep == '.' || (f[0] > 12 && f[1] <= 12)) D = f[0], M = f[1];
      else if (f[1] > 12 && f[0] <= 12) M = f[0], D = f[1];
      else if (f[0] == f[1]) D = M = f[0];
      else return 0;
    } else {
      return 0;
    }
    prec = 3;
  } else if (nf == 2 && fl[0] == 4 && fl[1] <= 2) {
    Y = f[0], M = f[1], prec = 2;
  } else {
    return 0;
  }
  if (Y < 1850 || Y > 2200) return 0;
  if (prec >= 2 && (M < 1 || M > 12)) return 0;
  if (prec == 3) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap)) return 0;
  }
  *y = Y, *m = M, *d = D;
  return prec;
}

enum birth_level { BL_UNKNOWN, BL_SAME, BL_SWAPPED, BL_DIFFERENT };

static enum birth_level compare_births(const char *a, const char *b) {
  int ya, ma, da, yb, mb, db;
  int pa = identity_parse_date(a, &ya, &ma, &da), pb = identity_parse_date(b, &yb, &mb, &db);
  int p = pa < pb ? pa : pb;
  if (p == 0) return BL_UNKNOWN;
  int same = ya == yb && (p < 2 || ma == mb) && (p < 3 || da == db);
  if (same) return BL_SAME;
  if (p == 3 && ya == yb && ma == db && da == mb) return BL_SWAPPED;
  return BL_DIFFERENT;
}

/* 'M', 'F', 'O' or 0. */
static char sex_code(const char *s) {
  if (!s) return 0;
  while (*s == ' ') s++;
  char c = *s;
  if (c == 'm' || c == 'M') return 'M';
  if (c == 'f' || c == 'F') return 'F';
  if (c == 'o' || c == 'O') return 'O';
  return 0;
}

static int empty(const char *s) {
  if (!s) return 1;
  while (*s == ' ') s++;
  return *s == '\0';
}

void identity_compare(const char *pn, const char *pn_birth, const char *pn_sex, const char *account_name,
                      const char *account_birth, const char *account_sex, struct identity_result *out) {
  if (!pn) pn = "";
  /* groups: alphabetic = ideographic = phonetic */
  const char *g[3];
  size_t gl[3], ng = 0, nonempty = 0;
  for (const char *p = pn; ng < 3;) {
    const char *e = strchr(p, '=');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    g[ng] = p;
    gl[ng++] = l;
    if (!e) break;
    p = e + 1;
  }
  int jp = 0;
  for (size_t i = 0; i < ng; i++) {
    int any = 0;
    for (size_t k = 0; k < gl[i]; k++) any |= g[i][k] != '^' && g[i][k] != ' ';
    nonempty += (size_t)any;
    for (size_t k = 0; k < gl[i]; k++) jp |= (unsigned char)g[i][k] >= 0xE3 && (unsigned char)g[i][k] <= 0xE9;
  }
  jp = jp || nonempty > 1;
  char abuf[2 * BUF_MAX];
  size_t aused = 0;
  struct tl A = {.n = 0};
  if (account_name) fold_words(account_name, strlen(account_name), abuf, sizeof abuf, &aused, &A, jp);
  enum name_level nl = NL_NONE;
  for (size_t i = 0; i < ng; i++) {
    enum name_level l = compare_group(g[i], gl[i], &A, jp);
    if (l > nl) nl = l;
  }
  /* a name written in a script the account name does not use cannot be compared */
  int shares_script = A.n == 0;
  for (size_t i = 0; i < ng && !shares_script; i++) {
    char gbuf[2 * BUF_MAX];
    size_t gused = 0;
    struct tl W = {.n = 0};
    fold_words(g[i], gl[i], gbuf, sizeof gbuf, &gused, &W, 0);
    for (size_t k = 0; k < W.n && !shares_script; k++)
      for (size_t j = 0; j < A.n && !shares_script; j++)
        shares_script = !W.script[k] || !A.script[j] || strcmp(W.script[k], A.script[j]) == 0;
  }
  enum birth_level bl = compare_births(pn_birth, account_birth);
  char sa = sex_code(pn_sex), sb = sex_code(account_sex);
  int image_named = nonempty > 0, account_named = A.n > 0;
  enum identity_verdict v = ID_DIFFERENT;
  const char *why = "";
  char buf[200];
  const char *no_date = empty(pn_birth)       ? "no date of birth in the image"
                        : empty(account_birth) ? "no date of birth on the account"
                                               : "the date of birth in the image cannot be read";
  if (!image_named || !account_named || (nl <= NL_DIFFERENT && !shares_script)) {
    const char *what = !image_named     ? "no name in the image"
                       : !account_named ? "no name on the account to compare with"
                                        : "the name in the image is written in another script than the account name";
    if (bl == BL_DIFFERENT) {
      v = ID_DIFFERENT;
      snprintf(buf, sizeof buf, "%s, and another date of birth", what);
    } else if (bl == BL_SAME || bl == BL_SWAPPED) {
      v = ID_PROBABLY;
      snprintf(buf, sizeof buf, "%s; the date of birth is the same%s", what,
               bl == BL_SWAPPED ? " with day and month swapped" : "");
    } else {
      v = ID_PROBABLY;
      snprintf(buf, sizeof buf, !image_named && empty(pn_birth)
                                    ? "nothing in the image to compare: no name and no date of birth"
                                    : "%s, and there is no date of birth to compare",
               what);
    }
    why = buf;
  } else {
    switch (nl) {
    case NL_SAME:
      if (bl == BL_SAME) v = ID_MATCH, why = "same name and date of birth";
      else if (bl == BL_UNKNOWN) v = ID_MATCH, snprintf(buf, sizeof buf, "same name; %s", no_date), why = buf;
      else if (bl == BL_SWAPPED) v = ID_PROBABLY, why = "same name; the date of birth has the day and month swapped";
      else v = ID_DIFFERENT, why = "same name, different date of birth";
      break;
    case NL_FAMILY_GIVEN_PARTLY:
      if (bl == BL_DIFFERENT)
        v = ID_DIFFERENT, why = "same family name, but other given names differ and another date of birth";
      else if (bl == BL_SAME)
        v = ID_PROBABLY, why = "same family name and date of birth and a given name in common, but other given names "
                               "differ (another middle name, or a relative?)";
      else
        v = ID_PROBABLY, why = "same family name and a given name in common, but other given names differ";
      break;
    case NL_FAMILY_ONLY:
      if (bl == BL_DIFFERENT) v = ID_DIFFERENT, why = "same family name, different date of birth";
      else if (bl == BL_UNKNOWN)
        v = ID_PROBABLY, why = "same family name; no given name in the image and no date of birth to compare";
      else v = ID_PROBABLY, why = "same family name and date of birth; no given name in the image";
      break;
    case NL_FAMILY_GIVEN_DIFFER:
      v = ID_DIFFERENT;
      why = bl == BL_SAME ? "same family name and date of birth, but a different given name (a twin or a relative?)"
            : bl == BL_DIFFERENT ? "same family name, but a different given name and another date of birth"
                                 : "same family name, but a different given name";
      break;
    case NL_GIVEN_ONLY:
      if (bl == BL_SAME)
        v = ID_PROBABLY, why = "same given name and date of birth, but a different family name (a maiden or "
                               "married name?)";
      else if (bl == BL_DIFFERENT) v = ID_DIFFERENT, why = "a different family name and another date of birth";
      else v = ID_DIFFERENT, why = "same given name, but a different family name and no date of birth to confirm";
      break;
    case NL_DIFFERENT:
    case NL_NONE:
      v = ID_DIFFERENT;
      why = bl == BL_SAME ? "another name (only the date of birth is the same)"
            : bl == BL_UNKNOWN ? "another name" : "another name and another date of birth";
      break;
    }
  }
  if (sa && sb && sa != sb) {
    snprintf(out->reason, sizeof out->reason, "%.120s; another sex is recorded (%c in the image, %c on the account)", why,
             sa, sb);
    out->verdict = v == ID_MATCH ? ID_PROBABLY : v;
  } else {
    snprintf(out->reason, sizeof out->reason, "%s", why);
    out->verdict = v;
  }
}

const char *identity_verdict_name(enum identity_verdict v) {
  switch (v) {
  case ID_MATCH: return "match";
  case ID_PROBABLY: return "probably";
  case ID_DIFFERENT: return "different";
  }
  return "different";
}

const char *identity_date_words(struct arena *a, const char *s) {
  static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};
  int y, m, d;
  if (empty(s)) return "";
  switch (identity_parse_date(s, &y, &m, &d)) {
  case 3: return arena_printf(a, "%d %s %d", d, months[m - 1], y);
  case 2: return arena_printf(a, "%s %d", months[m - 1], y);
  case 1: return arena_printf(a, "%d", y);
  default: return arena_strdup(a, s);
  }
}

/* Appends n bytes of s to the arena string *out with a separator, trimming
 * spaces; nothing for an empty part. */
static void add_part(struct arena *a, char **out, const char *sep, const char *s, size_t n) {
  while (n && *s == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (!n || !*out) return;
  *out = arena_printf(a, "%s%s%.*s", *out, **out ? sep : "", (int)n, s);
}

const char *identity_pn_display(struct arena *a, const char *pn) {
  if (empty(pn)) return "";
  char *shown[3] = {NULL, NULL, NULL};
  size_t ng = 0;
  for (const char *p = pn; ng < 3;) {
    const char *e = strchr(p, '=');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    const char *c[5];
    size_t cl[5];
    pn_components(p, l, c, cl);
    char *fam = arena_strdup(a, ""), *rest = arena_strdup(a, "");
    add_part(a, &fam, " ", c[0], cl[0]);
    for (int i = 1; i < 5; i++) add_part(a, &rest, " ", c[i], cl[i]);
    if (!fam || !rest) return NULL;
    /* the alphabetic group reads "DOE, JANE"; ideographic and phonetic "山田 太郎" */
    shown[ng] = *fam && *rest ? arena_printf(a, "%s%s%s", fam, ng == 0 ? ", " : " ", rest)
                              : arena_printf(a, "%s%s", fam, rest);
    ng++;
    if (!e) break;
    p = e + 1;
  }
  char *first = NULL, *others = arena_strdup(a, "");
  for (size_t i = 0; i < ng; i++) {
    if (!shown[i] || !*shown[i]) continue;
    if (!first) first = shown[i];
    else add_part(a, &others, ", ", shown[i], strlen(shown[i]));
  }
  if (!first) return "";
  return others && *others ? arena_printf(a, "%s (%s)", first, others) : first;
}

/* "“SMITH, JANE”, born 2 March 1961" or "…, no date of birth". */
static const char *person_words(struct arena *a, const struct identity_person *p) {
  const char *n = *p->name_display ? arena_printf(a, "“%s”", p->name_display) : "no name";
  return *p->birth_display ? arena_printf(a, "%s, born %s", n, p->birth_display)
                           : arena_printf(a, "%s, no date of birth", n);
}

static const char *images(long long n) { return n == 1 ? "image" : "images"; }

/* The people of one series with one verdict, joined for a sentence. */
static const char *people_words(struct arena *a, const struct identity_series *s, enum identity_verdict v,
                                long long total) {
  char *out = arena_strdup(a, "");
  size_t k = 0;
  for (size_t i = 0; i < s->n_people; i++) {
    const struct identity_person *p = &s->people[i];
    if (p->r.verdict != v || !out) continue;
    const char *w = person_words(a, p);
    if (p->files != total) w = arena_printf(a, "%s (%lld %s)", w, p->files, images(p->files));
    out = arena_printf(a, "%s%s%s", out, k++ ? "; " : "", w);
  }
  return out;
}

int identity_report_build(struct arena *a, const struct identity_account *acct, const struct identity_row *rows,
                          size_t n, struct identity_report *out) {
  memset(out, 0, sizeof *out);
  out->series = arena_alloc(a, (n + 1) * sizeof *out->series);
  if (!out->series) return -1;
  /* group rows by series, keeping first appearance order */
  size_t *owner = arena_alloc(a, (n + 1) * sizeof *owner);
  if (!owner) return -1;
  for (size_t i = 0; i < n; i++) {
    size_t s = 0;
    while (s < out->n_series && out->series[s].series_id != rows[i].series_id) s++;
    if (s == out->n_series) {
      struct identity_series *se = &out->series[out->n_series++];
      memset(se, 0, sizeof *se);
      se->study_id = rows[i].study_id;
      se->series_id = rows[i].series_id;
      se->study_date = rows[i].study_date ? rows[i].study_date : "";
      se->study_description = rows[i].study_description ? rows[i].study_description : "";
      se->description = rows[i].series_description ? rows[i].series_description : "";
      se->modality = rows[i].modality ? rows[i].modality : "";
      se->people = arena_alloc(a, (n + 1) * sizeof *se->people);
      if (!se->people) return -1;
    }
    owner[i] = s;
  }
  for (size_t i = 0; i < n; i++) {
    struct identity_series *se = &out->series[owner[i]];
    struct identity_person *p = &se->people[se->n_people++];
    memset(p, 0, sizeof *p);
    p->name = rows[i].name ? rows[i].name : "";
    p->birth = rows[i].birth ? rows[i].birth : "";
    p->files = rows[i].files;
    p->name_display = identity_pn_display(a, p->name);
    p->birth_display = identity_date_words(a, p->birth);
    if (!p->name_display || !p->birth_display) return -1;
    identity_compare(p->name, p->birth, rows[i].sex, acct->name, acct->birth, acct->sex, &p->r);
    se->files += p->files;
    if (p->r.verdict == ID_DIFFERENT) se->other += p->files;
    if (p->r.verdict == ID_PROBABLY) se->unsure += p->files;
    if (p->r.verdict > se->worst) se->worst = p->r.verdict;
  }
  for (size_t s = 0; s < out->n_series; s++) {
    struct identity_series *se = &out->series[s];
    /* most files first (stable) */
    for (size_t i = 1; i < se->n_people; i++)
      for (size_t j = i; j > 0 && se->people[j].files > se->people[j - 1].files; j--) {
        struct identity_person t = se->people[j];
        se->people[j] = se->people[j - 1];
        se->people[j - 1] = t;
      }
    int new_study = 1;
    for (size_t t = 0; t < s; t++) new_study &= out->series[t].study_id != se->study_id;
    out->studies += new_study;
    out->files += se->files;
    out->other += se->other;
    out->unsure += se->unsure;
    if (se->worst > out->worst) out->worst = se->worst;
    char *sum = arena_strdup(a, "");
    if (se->other)
      sum = arena_printf(a, "%lld of %lld %s name%s another person: %s.", se->other, se->files, images(se->files),
                         se->other == 1 ? "s" : "", people_words(a, se, ID_DIFFERENT, se->other));
    if (se->unsure && sum)
      sum = arena_printf(a, "%s%s%lld of %lld %s may name the patient but need%s checking: %s.", sum, *sum ? " " : "",
                         se->unsure, se->files, images(se->files), se->unsure == 1 ? "s" : "",
                         people_words(a, se, ID_PROBABLY, se->unsure));
    if (!sum) return -1;
    se->summary = sum;
    if (se->worst != ID_MATCH) out->flagged_series++;
  }
  const char *acct_words = !empty(acct->birth)
                               ? arena_printf(a, "%s, born %s", acct->name ? acct->name : "",
                                              identity_date_words(a, acct->birth))
                               : arena_printf(a, "%s (no date of birth on the account)", acct->name ? acct->name : "");
  if (!acct_words) return -1;
  out->account = acct_words;
  if (out->files == 0) {
    out->headline = "";
  } else if (out->worst == ID_MATCH) {
    out->headline = arena_printf(a, "%s %lld %s checked: %s the account holder, %s.", out->files == 1 ? "The" : "All",
                                 out->files, out->files == 1 ? "image was" : "images were",
                                 out->files == 1 ? "it names" : "each names", acct_words);
  } else {
    char *h = arena_strdup(a, "");
    if (out->other && h)
      h = arena_printf(a, "%lld of %lld %s name%s someone other than the account holder, %s.", out->other,
                       out->files, images(out->files), out->other == 1 ? "s" : "", acct_words);
    if (out->unsure && h)
      h = arena_printf(a, "%s%s%lld of %lld %s need%s checking: they may name the account holder%s.", h,
                       *h ? " " : "", out->unsure, out->files, images(out->files), out->unsure == 1 ? "s" : "",
                       out->other ? "" : arena_printf(a, ", %s", acct_words));
    if (h)
      h = arena_printf(a, "%s Found in %zu of %zu series; every image was checked.", h, out->flagged_series,
                       out->n_series);
    out->headline = h;
  }
  return out->headline ? 0 : -1;
}
