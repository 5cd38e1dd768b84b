/* Proves route matching: literals, parameters, the tail wildcard, 404 vs 405
 * with the Allow list, and HEAD answered by GET routes. */
#include "http/router.h"
#include "t.h"
#include "util/arena.h"

static void h(struct req *r) { (void)r; }

static const struct route table[] = {
    {"GET", "/", h, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "root"},
    {"GET", "/requests/{id}", h, 0, 0, BODY_NONE, 0, NULL, "req"},
    {"POST", "/requests/{id}", h, 0, 0, BODY_FORM, 0, NULL, "req_post"},
    {"GET", "/requests/{id}/documents/{doc}", h, 0, 0, BODY_NONE, 0, NULL, "doc"},
    {"GET", "/static/{*path}", h, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "static"},
    {"DELETE", "/api/v1/uploads/{id}", h, 0, 0, BODY_NONE, 0, NULL, "del"},
    {0},
};
static const struct route *const tables[] = {table};

static void literal_and_params(void) {
  struct arena *a = arena_new();
  const struct route *rt = NULL;
  struct kv_list p = {0};
  T_EQ_INT(router_match(a, "GET", "/", &rt, &p, NULL), MATCH_OK);
  T_EQ_STR(rt->name, "root");
  p.n = 0;
  T_EQ_INT(router_match(a, "GET", "/requests/42", &rt, &p, NULL), MATCH_OK);
  T_EQ_STR(rt->name, "req");
  T_EQ_STR(kv_get(&p, "id"), "42");
  p.n = 0;
  T_EQ_INT(router_match(a, "GET", "/requests/42/documents/7", &rt, &p, NULL), MATCH_OK);
  T_EQ_STR(kv_get(&p, "id"), "42");
  T_EQ_STR(kv_get(&p, "doc"), "7");
  arena_free(a);
}

static void not_found_cases(void) {
  struct arena *a = arena_new();
  const struct route *rt = NULL;
  struct kv_list p = {0};
  T_EQ_INT(router_match(a, "GET", "/requests", &rt, &p, NULL), MATCH_NOT_FOUND);
  T_EQ_INT(router_match(a, "GET", "/requests/", &rt, &p, NULL), MATCH_NOT_FOUND);
  T_EQ_INT(router_match(a, "GET", "/requests/1/extra", &rt, &p, NULL), MATCH_NOT_FOUND);
  T_EQ_INT(router_match(a, "GET", "/nothing", &rt, &p, NULL), MATCH_NOT_FOUND);
  T_EQ_INT(router_match(a, "GET", "/static/", &rt, &p, NULL), MATCH_NOT_FOUND);
  T_EQ_INT(p.n, 0);
  arena_free(a);
}

static void wrong_method_lists_allowed(void) {
  struct arena *a = arena_new();
  const struct route *rt = NULL;
  struct kv_list p = {0};
  const char *allow = NULL;
  T_EQ_INT(router_match(a, "PUT", "/requests/9", &rt, &p, &allow), MATCH_METHOD);
  T_EQ_STR(allow, "GET, POST");
  T_EQ_INT(router_match(a, "TRACE", "/", &rt, &p, &allow), MATCH_METHOD);
  T_EQ_STR(allow, "GET");
  arena_free(a);
}

static void head_uses_get_and_wildcard(void) {
  struct arena *a = arena_new();
  const struct route *rt = NULL;
  struct kv_list p = {0};
  T_EQ_INT(router_match(a, "HEAD", "/requests/3", &rt, &p, NULL), MATCH_OK);
  T_EQ_STR(rt->name, "req");
  p.n = 0;
  T_EQ_INT(router_match(a, "GET", "/static/css/site.css", &rt, &p, NULL), MATCH_OK);
  T_EQ_STR(kv_get(&p, "path"), "css/site.css");
  T_EQ_INT(router_count(), 6);
  T_EQ_STR(router_at(5)->name, "del");
  T_CHECK(router_at(6) == NULL);
  arena_free(a);
}

int main(void) {
  router_init(tables, 1);
  T_RUN(literal_and_params);
  T_RUN(not_found_cases);
  T_RUN(wrong_method_lists_allowed);
  T_RUN(head_uses_get_and_wildcard);
  return t_done();
}
