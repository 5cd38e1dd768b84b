/* libFuzzer target: the urlencoded and cookie parsers see outside bytes. */
#include <stdint.h>
#include <string.h>

#include "http/kv.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const struct parse_limits lim = {.max_fields = 200, .max_name = 64, .max_value = 65536};
  struct arena *a = arena_new();
  struct kv_list l = {0};
  parse_urlencoded(a, (const char *)data, size, &lim, &l);
  char *s = arena_strndup(a, (const char *)data, size);
  struct kv_list c = {0};
  if (s) parse_cookies(a, s, &lim, &c);
  arena_free(a);
  return 0;
}
