#include "http/req.h"

#include <ClearSilver.h>
#include <microhttpd.h>
#include <time.h>

#include "util/arena.h"
#include "util/tz.h"

static void hdf_cleanup(void *p) {
  HDF *h = p;
  hdf_destroy(&h);
}

HDF *req_hdf(struct req *r) {
  if (r->hdf) return r->hdf;
  HDF *h = NULL;
  NEOERR *err = hdf_init(&h);
  if (err) {
    nerr_ignore(&err);
    return NULL;
  }
  if (arena_defer(r->arena, hdf_cleanup, h) != 0) return NULL;
  r->hdf = h;
  return h;
}

const char *req_header(struct req *r, const char *name) {
  return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_param(struct req *r, const char *name) { return kv_get(&r->params, name); }
const char *req_query(struct req *r, const char *name) { return kv_get(&r->query, name); }
const char *req_form(struct req *r, const char *name) { return kv_get(&r->form, name); }

const char *req_tz(const struct req *r) { return r->user && r->user->tz && *r->user->tz ? r->user->tz : TZ_DEFAULT; }

const char *req_when(struct req *r, const char *wire, int style) {
  const char *s = tz_localize(r->arena, wire, req_tz(r), (enum tz_style)style);
  return s ? s : "";
}

void req_set_cookie(struct req *r, const char *cookie) {
  if (r->n_set_cookie < sizeof r->set_cookie / sizeof r->set_cookie[0])
    r->set_cookie[r->n_set_cookie++] = cookie;
}

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t req_elapsed_us(const struct req *r) { return (now_ns() - r->start_ns) / 1000; }
