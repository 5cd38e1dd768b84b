/* Public pages and probes: the landing page, static files, /healthz, /readyz. */
#include <ClearSilver.h>
#include <jansson.h>
#include <string.h>

#include "core/health.h"
#include "http/reply.h"
#include "http/static.h"
#include "routes/routes.h"

static void landing(struct req *r) {
  HDF *hdf = req_hdf(r);
  if (!hdf) {
    reply_error(r, ERR_INTERNAL, NULL);
    return;
  }
  hdf_set_value(hdf, "Page.Title", "A second opinion on your mammogram");
  hdf_set_value(hdf, "Page.Name", "landing");
  reply_page(r, 200, "index.cs");
}

static void static_file(struct req *r) { static_serve(r, req_param(r, "path")); }

static void healthz(struct req *r) { reply_json_take(r, 200, json_pack("{s:s}", "status", "ok")); }

/* Ready when the database answers. While the embedded PostgreSQL is being
 * restarted by its supervisor the answer says so (without the details, which
 * go to the log): "database": "restarting". */
static void readyz(struct req *r) {
  const char *why = NULL;
  enum err e = health_database_why(&why);
  if (e == ERR_OK) {
    reply_json_take(r, 200, json_pack("{s:s,s:s}", "status", "ok", "database", "ok"));
  } else if (why && strcmp(why, "restarting") == 0) {
    reply_json_take(r, 503, json_pack("{s:s,s:s,s:s}", "status", "unavailable", "database", "restarting", "reason",
                                      "The database stopped unexpectedly and is being restarted."));
    reply_header(r, "Retry-After", "2");
  } else {
    reply_json_take(r, 503, json_pack("{s:s,s:s}", "status", "unavailable", "database", "unreachable"));
    reply_header(r, "Retry-After", "2");
  }
}

const struct route pages_routes[] = {
    {"GET", "/", landing, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "landing"},
    {"GET", "/static/{*path}", static_file, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "static"},
    {"GET", "/healthz", healthz, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "healthz"},
    {"GET", "/readyz", readyz, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "readyz"},
    {0},
};
