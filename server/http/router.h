/* The static route table: method, path pattern, handler, roles admitted,
 * body limit and body kind. 404, 405 and role refusals are decided here. */
#ifndef SECONDOP_ROUTER_H
#define SECONDOP_ROUTER_H
#include <stddef.h>

#include "http/req.h"

enum body_kind {
  BODY_NONE = 0,   /* no body accepted */
  BODY_FORM,       /* application/x-www-form-urlencoded, parsed into r->form */
  BODY_JSON,       /* application/json, kept in r->body */
  BODY_STREAM,     /* handed to route->stream as it arrives (uploads) */
};

enum route_flags {
  RF_PUBLIC = 1 << 0,     /* no login needed */
  RF_NO_CSRF = 1 << 1,    /* state-changing but exempt (login form keeps its own check) */
  RF_NO_MFA = 1 << 2,     /* reachable before the second factor is passed */
};

/* A handler fills the response through the reply_* functions. */
typedef void (*handler_fn)(struct req *r);
/* Streaming body hooks: begin after headers (may set r->early_error), data for
 * each chunk (return an error to stop), handler runs at the end as usual. */
struct stream_ops {
  enum err (*begin)(struct req *r);
  enum err (*data)(struct req *r, const char *buf, size_t len);
  void (*abort)(struct req *r); /* request ended early (client went away) */
  /* optional: the request ends with an error reply instead of the handler
   * (refused from the headers, or data/CSRF failed): release state, add
   * protocol headers to the queued error. */
  void (*fail)(struct req *r);
};

struct route {
  const char *method;
  const char *pattern; /* "/requests/{id}/documents"; "{name}" matches one segment,
                          "{*rest}" (last) the remainder */
  handler_fn handler;
  unsigned roles;      /* ROLE_* bits; 0 with RF_PUBLIC for everyone */
  unsigned flags;
  enum body_kind body;
  size_t body_limit;   /* bytes; 0 means the default for the kind */
  const struct stream_ops *stream;
  const char *name;    /* for metrics and logs, e.g. "landing" */
};

enum route_match { MATCH_OK, MATCH_NOT_FOUND, MATCH_METHOD };

/* Registers the route tables (arrays ending with a zero entry). Call before serving. */
void router_init(const struct route *const *tables, size_t ntables);
/* Finds the route for method+path; fills params (arena strings). On
 * MATCH_METHOD, *allow receives the allowed methods ("GET, POST"). */
enum route_match router_match(struct arena *a, const char *method, const char *path,
                              const struct route **out, struct kv_list *params, const char **allow);
/* Matches one pattern against a path, filling params. 1 on match. */
int route_pattern_match(struct arena *a, const char *pattern, const char *path, struct kv_list *params);
/* All registered routes in order, for --list-routes in test builds. */
size_t router_count(void);
const struct route *router_at(size_t i);
#endif
