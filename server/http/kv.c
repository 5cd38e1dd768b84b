#include "http/kv.h"

#include <string.h>

#include "util/arena.h"

int kv_add(struct arena *a, struct kv_list *l, const char *name, const char *value, size_t value_len) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    struct kv *items = arena_alloc(a, cap * sizeof *items);
    if (!items) return -1;
    if (l->n) memcpy(items, l->items, l->n * sizeof *items);
    l->items = items;
    l->cap = cap;
  }
  l->items[l->n++] = (struct kv){name, value, value_len};
  return 0;
}

const char *kv_get(const struct kv_list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0) return l->items[i].value;
  return NULL;
}

size_t kv_count(const struct kv_list *l, const char *name) {
  size_t c = 0;
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->items[i].name, name) == 0) c++;
  return c;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool utf8_valid_text(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      p++;
      continue;
    }
    size_t len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if ((size_t)(end - p) < len) return false;
    for (size_t i = 1; i < len; i++) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += len;
  }
  return true;
}

char *url_decode(struct arena *a, const char *s, size_t n, bool plus_space, size_t *out_len, bool *nomem) {
  *nomem = false;
  char *out = arena_alloc(a, n + 1);
  if (!out) {
    *nomem = true;
    return NULL;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n) return NULL;
      int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
      if (h < 0 || l < 0) return NULL;
      c = (char)(h * 16 + l);
      i += 2;
    } else if (c == '+' && plus_space) {
      c = ' ';
    }
    if (c == '\0') return NULL;
    out[o++] = c;
  }
  out[o] = '\0';
  if (!utf8_valid_text(out, o)) return NULL;
  if (out_len) *out_len = o;
  return out;
}

enum parse_rc parse_urlencoded(struct arena *a, const char *s, size_t n, const struct parse_limits *lim,
                               struct kv_list *out) {
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    while (i < n && s[i] != '&') i++;
    size_t end = i;
    if (i < n) i++; /* skip '&' */
    if (end == start) continue;  /* empty pair ("a=1&&b=2") */
    if (out->n >= lim->max_fields) return PARSE_TOO_MANY;
    const char *eq = memchr(s + start, '=', end - start);
    size_t nlen = eq ? (size_t)(eq - (s + start)) : end - start;
    const char *vs = eq ? eq + 1 : s + end;
    size_t vlen = eq ? (size_t)(s + end - vs) : 0;
    /* encoded length bounds the decoded one from above; decoded at most 3x shorter */
    if (nlen > lim->max_name * 3 || vlen > lim->max_value * 3) return PARSE_TOO_LONG;
    bool nomem;
    size_t dn, dv;
    char *name = url_decode(a, s + start, nlen, true, &dn, &nomem);
    if (!name) return nomem ? PARSE_NOMEM : PARSE_MALFORMED;
    char *value = url_decode(a, vs, vlen, true, &dv, &nomem);
    if (!value) return nomem ? PARSE_NOMEM : PARSE_MALFORMED;
    if (dn == 0) return PARSE_MALFORMED;
    if (dn > lim->max_name || dv > lim->max_value) return PARSE_TOO_LONG;
    if (kv_add(a, out, name, value, dv) != 0) return PARSE_NOMEM;
  }
  return PARSE_OK;
}

enum parse_rc parse_cookies(struct arena *a, const char *h, const struct parse_limits *lim,
                            struct kv_list *out) {
  if (!h) return PARSE_OK;
  size_t n = strlen(h), i = 0;
  while (i < n) {
    while (i < n && (h[i] == ' ' || h[i] == ';')) i++;
    size_t start = i;
    while (i < n && h[i] != ';') i++;
    size_t end = i;
    while (end > start && h[end - 1] == ' ') end--;
    if (end == start) continue;
    const char *eq = memchr(h + start, '=', end - start);
    if (!eq || eq == h + start) continue; /* skip malformed pair */
    if (out->n >= lim->max_fields) return PARSE_TOO_MANY;
    size_t nlen = (size_t)(eq - (h + start)), vlen = (size_t)(h + end - (eq + 1));
    if (nlen > lim->max_name || vlen > lim->max_value) continue;
    const char *vs = eq + 1;
    if (vlen >= 2 && vs[0] == '"' && vs[vlen - 1] == '"') {
      vs++;
      vlen -= 2;
    }
    char *name = arena_strndup(a, h + start, nlen);
    char *value = arena_strndup(a, vs, vlen);
    if (!name || !value) return PARSE_NOMEM;
    if (kv_add(a, out, name, value, vlen) != 0) return PARSE_NOMEM;
  }
  return PARSE_OK;
}
