/* Shared by the public directory (routes/specialists.c) and its admin pages
 * (routes/admin_specialists.c): how a specialist appears in page data. */
#ifndef SECONDOP_SPECIALISTS_VIEW_H
#define SECONDOP_SPECIALISTS_VIEW_H
#include <stdbool.h>

#include "core/actor.h"
#include "core/specialists.h"
#include "http/req.h"

struct _hdf;

/* Sets a value under an HDF node, dropping ClearSilver's error (out of memory only). */
void spec_set(struct _hdf *h, const char *name, const char *value);
void spec_set_int(struct _hdf *h, const char *name, long long value);
/* Fills node with a specialist's fields for templates (Id, Name, …). With a
 * plan (insurance network), also HasPlan and InNetwork. */
void specialist_hdf(struct req *r, struct _hdf *node, const struct specialist *s, const char *plan);
/* Percent-encodes s for a query string (arena; NULL when out of memory). */
char *spec_url_encode(struct arena *a, const char *s);
/* The actor for audit rows written on behalf of this request. */
struct actor spec_actor(const struct req *r);
/* Parses a positive decimal id (1-18 digits). */
bool spec_parse_id(const char *s, long long *out);
#endif
