/* Signature matching (server/core/sigfold.c) from the truth table
 * tests/data/signature_fold.tsv: each row is a typed name, an account name,
 * whether they match, and what the typed name folds to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sigfold.h"
#include "t.h"

static char *field(char **p) {
  char *s = *p, *t = strchr(s, '\t');
  if (t) {
    *t = '\0';
    *p = t + 1;
  } else {
    s[strcspn(s, "\r\n")] = '\0';
    *p = s + strlen(s);
  }
  return s;
}

/* Replaces \u{XXXX} escapes by the code point in UTF-8, in place. */
static void unescape(char *s) {
  char *o = s;
  for (char *p = s; *p;) {
    if (p[0] == '\\' && p[1] == 'u' && p[2] == '{') {
      char *end = NULL;
      unsigned long c = strtoul(p + 3, &end, 16);
      if (end && *end == '}') {
        if (c < 0x80) {
          *o++ = (char)c;
        } else if (c < 0x800) {
          *o++ = (char)(0xC0 | (c >> 6));
          *o++ = (char)(0x80 | (c & 0x3F));
        } else {
          *o++ = (char)(0xE0 | (c >> 12));
          *o++ = (char)(0x80 | ((c >> 6) & 0x3F));
          *o++ = (char)(0x80 | (c & 0x3F));
        }
        p = end + 1;
        continue;
      }
    }
    *o++ = *p++;
  }
  *o = '\0';
}

static void table(void) {
  FILE *f = fopen("tests/data/signature_fold.tsv", "r");
  T_CHECK(f != NULL);
  if (!f) return;
  char line[512];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#') continue;
    char *p = line;
    char *typed = field(&p), *account = field(&p), *match = field(&p), *folded = field(&p);
    unescape(typed);
    unescape(account);
    unescape(folded);
    char out[SIGFOLD_MAX];
    T_CHECK(sigfold(typed, out, sizeof out) == 0);
    if (strcmp(out, folded) != 0) fprintf(stderr, "  row %d: \"%s\" folded to \"%s\"\n", rows + 1, typed, out);
    T_EQ_STR(out, folded);
    int m = sigfold_match(typed, account);
    if (m != atoi(match)) fprintf(stderr, "  row %d: \"%s\" vs \"%s\" gave %d\n", rows + 1, typed, account, m);
    T_EQ_INT(m, atoi(match));
    rows++;
  }
  fclose(f);
  T_CHECK(rows >= 20);
}

/* Bad input: never a match, never a crash. */
static void refusals(void) {
  char out[SIGFOLD_MAX];
  T_EQ_INT(sigfold_match(NULL, "Ana"), 0);
  T_EQ_INT(sigfold_match("Ana", NULL), 0);
  T_EQ_INT(sigfold_match("", ""), 0);             /* an empty signature signs nothing */
  T_CHECK(sigfold("\xff\xfe", out, sizeof out) != 0); /* not UTF-8 */
  T_EQ_INT(sigfold_match("\xc3", "\xc3"), 0);
  char big[600];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  T_CHECK(sigfold(big, out, sizeof out) != 0); /* longer than a name can be */
  T_CHECK(sigfold("Ana", out, 3) != 0);       /* does not fit */
}

int main(void) {
  T_RUN(table);
  T_RUN(refusals);
  return t_done();
}
