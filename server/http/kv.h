/* Name/value lists for query strings, forms, cookies and path parameters,
 * and the bounded parsers that fill them. All memory comes from an arena. */
#ifndef SECONDOP_KV_H
#define SECONDOP_KV_H
#include <stdbool.h>
#include <stddef.h>

struct arena;

struct kv {
  const char *name, *value;
  size_t value_len;
};

struct kv_list {
  struct kv *items;
  size_t n, cap;
};

struct parse_limits {
  size_t max_fields;     /* most name=value pairs accepted */
  size_t max_name;       /* longest decoded name */
  size_t max_value;      /* longest decoded value */
};

enum parse_rc { PARSE_OK = 0, PARSE_MALFORMED, PARSE_TOO_MANY, PARSE_TOO_LONG, PARSE_NOMEM };

/* Appends a pair (strings borrowed; they must outlive the list). -1 when out of memory. */
int kv_add(struct arena *a, struct kv_list *l, const char *name, const char *value, size_t value_len);
/* First value with that name, or NULL. */
const char *kv_get(const struct kv_list *l, const char *name);
/* Number of values with that name. */
size_t kv_count(const struct kv_list *l, const char *name);

/* Percent-decodes s[0..n) into a new arena string. plus_space turns '+' into ' '.
 * Refuses bad escapes, NUL bytes (encoded or raw) and invalid UTF-8.
 * Returns NULL on malformed input (*nomem=false) or on allocation failure (*nomem=true). */
char *url_decode(struct arena *a, const char *s, size_t n, bool plus_space, size_t *out_len, bool *nomem);
/* Parses application/x-www-form-urlencoded (also query strings) of n bytes. */
enum parse_rc parse_urlencoded(struct arena *a, const char *s, size_t n, const struct parse_limits *lim,
                               struct kv_list *out);
/* Parses a Cookie header ("a=b; c=d"). Malformed pairs are skipped, as browsers do. */
enum parse_rc parse_cookies(struct arena *a, const char *header, const struct parse_limits *lim,
                            struct kv_list *out);
/* True when s[0..n) is valid UTF-8 without NUL or C0 controls other than tab, CR, LF. */
bool utf8_valid_text(const char *s, size_t n);
#endif
