/* Signature matching: see sigfold.h. */
#include "core/sigfold.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#define SIGFOLD_IN_MAX 400

static bool is_space(ucs4_t c) {
  return c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || uc_is_property_white_space(c) ||
         uc_is_general_category(c, UC_CATEGORY_Z);
}

int sigfold(const char *s, char *out, size_t cap) {
  if (!s || !out || cap == 0) return -1;
  out[0] = '\0';
  size_t n = strlen(s);
  if (n > SIGFOLD_IN_MAX || u8_check((const uint8_t *)s, n) != NULL) return -1;
  int rc = -1;
  size_t flen = 0, tl = 0, cl = 0;
  uint8_t *f = n ? u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKD, NULL, &flen) : NULL;
  uint8_t *tmp = NULL, *c = NULL;
  if (n && !f) goto done;
  tmp = malloc(flen + 1);
  if (!tmp) goto done;
  bool space = true; /* drops leading spaces */
  for (size_t i = 0; i < flen;) {
    ucs4_t ch;
    int k = u8_mbtouc(&ch, f + i, flen - i);
    i += (size_t)(k > 0 ? k : 1);
    if (uc_is_general_category(ch, UC_CATEGORY_M)) continue; /* the accent of a decomposed letter */
    if (is_space(ch)) {
      if (!space) tmp[tl++] = ' ';
      space = true;
      continue;
    }
    int w = u8_uctomb(tmp + tl, ch, (int)(flen + 1 - tl));
    if (w <= 0) goto done;
    tl += (size_t)w;
    space = false;
  }
  if (tl > 0 && tmp[tl - 1] == ' ') tl--;
  if (tl == 0) {
    rc = 0;
    goto done;
  }
  c = u8_normalize(UNINORM_NFC, tmp, tl, NULL, &cl);
  if (!c || cl + 1 > cap) goto done;
  memcpy(out, c, cl);
  out[cl] = '\0';
  rc = 0;
done:
  free(f);
  free(tmp);
  free(c);
  return rc;
}

int sigfold_match(const char *typed, const char *account) {
  char a[SIGFOLD_MAX], b[SIGFOLD_MAX];
  if (sigfold(typed, a, sizeof a) != 0 || sigfold(account, b, sizeof b) != 0) return 0;
  return a[0] && strcmp(a, b) == 0;
}
