#include "http/router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/arena.h"

static const struct route *const *tables;
static size_t ntables;

void router_init(const struct route *const *t, size_t n) {
  tables = t;
  ntables = n;
}

size_t router_count(void) {
  size_t c = 0;
  for (size_t i = 0; i < ntables; i++)
    for (const struct route *r = tables[i]; r->method; r++) c++;
  return c;
}

const struct route *router_at(size_t idx) {
  for (size_t i = 0; i < ntables; i++)
    for (const struct route *r = tables[i]; r->method; r++)
      if (idx-- == 0) return r;
  return NULL;
}

int route_pattern_match(struct arena *a, const char *pat, const char *path, struct kv_list *params) {
  size_t mark = params ? params->n : 0;
  while (*pat && *path) {
    if (*pat != '/' || *path != '/') goto nomatch;
    pat++;
    path++;
    const char *pe = strchr(pat, '/'), *se = strchr(path, '/');
    size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
    size_t sl = se ? (size_t)(se - path) : strlen(path);
    if (pl >= 3 && pat[0] == '{' && pat[1] == '*' && pat[pl - 1] == '}' && pat[pl] == '\0') {
      /* "{*rest}" as the last segment takes the remainder of the path */
      size_t rl = strlen(path);
      if (rl == 0) goto nomatch;
      if (params && a) {
        char *name = arena_strndup(a, pat + 2, pl - 3);
        char *value = arena_strndup(a, path, rl);
        if (!name || !value || kv_add(a, params, name, value, rl) != 0) goto nomatch;
      }
      return 1;
    }
    if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
      if (sl == 0) goto nomatch;
      if (params && a) {
        char *name = arena_strndup(a, pat + 1, pl - 2);
        char *value = arena_strndup(a, path, sl);
        if (!name || !value || kv_add(a, params, name, value, sl) != 0) goto nomatch;
      }
    } else if (pl != sl || memcmp(pat, path, pl) != 0) {
      goto nomatch;
    }
    pat += pl;
    path += sl;
  }
  if (*pat == '\0' && *path == '\0') return 1;
nomatch:
  if (params) params->n = mark;
  return 0;
}

enum route_match router_match(struct arena *a, const char *method, const char *path,
                              const struct route **out, struct kv_list *params, const char **allow) {
  char allowed[128] = "";
  size_t alen = 0;
  bool path_seen = false;
  for (size_t i = 0; i < ntables; i++) {
    for (const struct route *r = tables[i]; r->method; r++) {
      if (!route_pattern_match(a, r->pattern, path, NULL)) continue;
      if (strcmp(r->method, method) == 0) {
        route_pattern_match(a, r->pattern, path, params);
        *out = r;
        return MATCH_OK;
      }
      path_seen = true;
      if (!strstr(allowed, r->method)) {
        int w = snprintf(allowed + alen, sizeof allowed - alen, "%s%s", alen ? ", " : "", r->method);
        if (w > 0 && (size_t)w < sizeof allowed - alen) alen += (size_t)w;
        else allowed[alen] = '\0'; /* no room: keep the list as it was */
      }
    }
  }
  if (!path_seen) return MATCH_NOT_FOUND;
  /* GET routes answer HEAD too (libmicrohttpd drops the body) */
  if (strcmp(method, "HEAD") == 0) {
    for (size_t i = 0; i < ntables; i++)
      for (const struct route *r = tables[i]; r->method; r++)
        if (strcmp(r->method, "GET") == 0 && route_pattern_match(a, r->pattern, path, params)) {
          *out = r;
          return MATCH_OK;
        }
  }
  if (allow) *allow = a ? arena_strdup(a, allowed) : NULL;
  return MATCH_METHOD;
}
