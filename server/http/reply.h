/* Responses: pages (ClearSilver), JSON, redirects, files and errors. Each
 * sets r->resp and r->status; the server adds the security headers. */
#ifndef SECONDOP_REPLY_H
#define SECONDOP_REPLY_H
#include <stddef.h>

#include "http/req.h"
#include "util/err.h"

struct json_t;

/* Loads every template under dir into memory (call once before serving).
 * Returns the number loaded, or -1 with a message logged. */
int templates_load(const char *dir);
void templates_free(void);
/* Renders templates/<name> with r's HDF (Page.*, User.*, Csrf.* …) in HTML
 * escape mode and queues it with the given status. On a render failure
 * answers 500 instead. */
void reply_page(struct req *r, unsigned status, const char *tmpl);
/* Renders a template into a malloc'd string (for tests and e-mails); NULL on
 * failure. The HDF is borrowed. */
char *render_template(struct _hdf *hdf, const char *tmpl);
/* How many times a template was parsed since start (parsed trees are kept and
 * reused between renders: see reply.c); for tests. */
unsigned long templates_parse_count(void);
/* JSON body (takes ownership of the json_t). */
void reply_json_take(struct req *r, unsigned status, struct json_t *body);
/* 303 See Other to a local path (must start with '/'). */
void reply_redirect(struct req *r, const char *location);
/* Plain bytes with a Content-Type (copied). */
void reply_bytes(struct req *r, unsigned status, const char *content_type, const void *data, size_t len);
/* An error from the registry: a page for browsers, JSON under /api/. detail
 * (may be NULL) replaces the generic message when it is safe to show. */
void reply_error(struct req *r, enum err e, const char *detail);
/* Adds a header to the queued response (after a reply_* call). */
void reply_header(struct req *r, const char *name, const char *value);
#endif
