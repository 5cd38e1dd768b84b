/* Proves the bounded urlencoded, query and cookie parsers on good and hostile input. */
#include <stdlib.h>
#include <string.h>

#include "http/kv.h"
#include "t.h"
#include "util/arena.h"

static const struct parse_limits lim = {.max_fields = 10, .max_name = 16, .max_value = 64};

static enum parse_rc parse(struct arena *a, const char *s, struct kv_list *out) {
  memset(out, 0, sizeof *out);
  return parse_urlencoded(a, s, strlen(s), &lim, out);
}

static void decodes_plus_and_percent(void) {
  struct arena *a = arena_new();
  struct kv_list l;
  T_EQ_INT(parse(a, "name=Jane+Doe&city=S%C3%A3o%20Paulo&empty=&flag", &l), PARSE_OK);
  T_EQ_STR(kv_get(&l, "name"), "Jane Doe");
  T_EQ_STR(kv_get(&l, "city"), "S\xc3\xa3o Paulo");
  T_EQ_STR(kv_get(&l, "empty"), "");
  T_EQ_STR(kv_get(&l, "flag"), "");
  T_CHECK(kv_get(&l, "missing") == NULL);
  arena_free(a);
}

static void repeated_and_empty_pairs(void) {
  struct arena *a = arena_new();
  struct kv_list l;
  T_EQ_INT(parse(a, "q=1&&q=2&", &l), PARSE_OK);
  T_EQ_INT(kv_count(&l, "q"), 2);
  T_EQ_STR(kv_get(&l, "q"), "1");
  arena_free(a);
}

static void refuses_bad_escapes_and_nul(void) {
  struct arena *a = arena_new();
  struct kv_list l;
  T_EQ_INT(parse(a, "a=%zz", &l), PARSE_MALFORMED);
  T_EQ_INT(parse(a, "a=%4", &l), PARSE_MALFORMED);
  T_EQ_INT(parse(a, "a=%", &l), PARSE_MALFORMED);
  T_EQ_INT(parse(a, "a=x%00y", &l), PARSE_MALFORMED);
  T_EQ_INT(parse(a, "a=%ff%fe", &l), PARSE_MALFORMED);        /* not UTF-8 */
  T_EQ_INT(parse(a, "a=%ed%a0%80", &l), PARSE_MALFORMED);     /* surrogate */
  T_EQ_INT(parse(a, "a=%c0%af", &l), PARSE_MALFORMED);        /* overlong */
  T_EQ_INT(parse(a, "a=%01", &l), PARSE_MALFORMED);           /* control */
  T_EQ_INT(parse(a, "=value", &l), PARSE_MALFORMED);          /* no name */
  const char raw[] = {'a', '=', 'x', '\0', 'y'};
  memset(&l, 0, sizeof l);
  T_EQ_INT(parse_urlencoded(a, raw, sizeof raw, &lim, &l), PARSE_MALFORMED);
  arena_free(a);
}

static void enforces_limits(void) {
  struct arena *a = arena_new();
  struct kv_list l;
  char many[400] = "";
  for (int i = 0; i < 11; i++) strcat(many, "a=1&");
  T_EQ_INT(parse(a, many, &l), PARSE_TOO_MANY);
  char longv[200] = "v=";
  for (int i = 0; i < 65; i++) strcat(longv, "x");
  T_EQ_INT(parse(a, longv, &l), PARSE_TOO_LONG);
  T_EQ_INT(parse(a, "abcdefghijklmnopq=1", &l), PARSE_TOO_LONG);
  arena_free(a);
}

static void ten_thousand_fields_refused_quickly(void) {
  struct arena *a = arena_new();
  size_t n = 10000 * 4;
  char *s = malloc(n + 1);
  for (size_t i = 0; i < 10000; i++) memcpy(s + i * 4, "a=b&", 4);
  s[n] = 0;
  struct kv_list l = {0};
  T_EQ_INT(parse_urlencoded(a, s, n, &lim, &l), PARSE_TOO_MANY);
  T_EQ_INT(l.n, 10);
  free(s);
  arena_free(a);
}

static void cookies(void) {
  struct arena *a = arena_new();
  struct kv_list l = {0};
  T_EQ_INT(parse_cookies(a, "sid=abc123; theme=\"dark\";junk; =x; other=1", &lim, &l), PARSE_OK);
  T_EQ_STR(kv_get(&l, "sid"), "abc123");
  T_EQ_STR(kv_get(&l, "theme"), "dark");
  T_EQ_STR(kv_get(&l, "other"), "1");
  T_EQ_INT(l.n, 3);
  memset(&l, 0, sizeof l);
  T_EQ_INT(parse_cookies(a, NULL, &lim, &l), PARSE_OK);
  T_EQ_INT(l.n, 0);
  arena_free(a);
}

int main(void) {
  T_RUN(decodes_plus_and_percent);
  T_RUN(repeated_and_empty_pairs);
  T_RUN(refuses_bad_escapes_and_nul);
  T_RUN(enforces_limits);
  T_RUN(ten_thousand_fields_refused_quickly);
  T_RUN(cookies);
  return t_done();
}
