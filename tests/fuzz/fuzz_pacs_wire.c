/* libFuzzer target: the answer a PACS gives to a STOW-RS POST of "Send to our PACS"
 * (core/pacs_wire.h pw_classify), read from whatever a PACS (or anything posing as one) sends
 * back. The first byte picks how many instances the batch held (0-4), the second the HTTP
 * status, the rest is the body. Checks what pw_classify promises: a known verdict; for an
 * answered batch every instance has an outcome (referenced, warning or failed) and a reason in
 * -1..65535; otherwise the reason in words is a non-empty string within its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pacs_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const long statuses[] = {200, 202, 409, 400, 415, 401, 403, 404, 408, 429, 500, 503, 0, 204, 302, 299};
  static const char *const sops[] = {"1.2.3.1", "1.2.3.2", "1.2.3.3", "1.2.840.10008.99"};
  if (size < 2 || size > (1u << 20)) return 0;
  size_t n = data[0] % 5;
  long http = statuses[data[1] % (sizeof statuses / sizeof statuses[0])];
  size_t len = size - 2;
  char *body = malloc(len + 1); /* not NUL-terminated by the caller in general: len counts */
  if (!body) return 0;
  memcpy(body, data + 2, len);
  body[len] = '\0';
  struct pw_item items[4];
  memset(items, 0xA5, sizeof items);
  char why[160];
  memset(why, 'x', sizeof why);
  enum pw_verdict v = pw_classify(http, body, len, sops, n, items, why, sizeof why);
  switch (v) {
  case PW_ANSWERED:
    for (size_t i = 0; i < n; i++) {
      if (items[i].outcome != PWO_REFERENCED && items[i].outcome != PWO_WARNING && items[i].outcome != PWO_FAILED)
        abort();
      if (items[i].reason < -1 || items[i].reason > 65535) abort();
    }
    break;
  case PW_RETRY:
  case PW_CREDENTIALS:
  case PW_REFUSED:
    if (!memchr(why, '\0', sizeof why) || why[0] == '\0') abort();
    break;
  default:
    abort();
  }
  /* the same answer gives the same verdict (no hidden state) */
  char why2[160];
  struct pw_item again[4];
  if (pw_classify(http, body, len, sops, n, again, why2, sizeof why2) != v) abort();
  free(body);
  return 0;
}
