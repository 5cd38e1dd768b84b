/* libFuzzer target: what a DICOMweb client sends as a personal access token (the Authorization
 * header, the token text) and the token form's fields (label, expiry days). Checks what each
 * promises: a token that parses is exactly the text its secret formats to; days are in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  const char *t = tok_from_authorization(s);
  if (t && (t < s || t > s + strlen(s))) abort();
  unsigned char secret[TOK_SECRET_BYTES];
  const char *texts[] = {s, t};
  for (size_t i = 0; i < 2; i++) {
    if (!texts[i] || tok_parse(texts[i], secret) != 0) continue;
    char again[TOK_BUF];
    tok_format(secret, again);
    if (strcmp(again, texts[i]) != 0) abort(); /* one text per secret */
  }
  int days = 0;
  if (tok_parse_days(s, &days) == 0 && (days < 1 || days > TOK_DAYS_MAX)) abort();
  if (tok_label_ok(s) == 0 && (strlen(s) == 0 || strlen(s) > 4 * TOK_LABEL_MAX)) abort();
  free(s);
  return 0;
}
