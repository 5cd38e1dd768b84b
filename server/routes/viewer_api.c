/* The viewer's JSON and pixel API (issue 13; the contract is in the README):
 * GET /api/v1/requests/{rid}/images, .../documents/{doc}/preview and
 * .../documents/{doc}/frames/{n}. Access and audit are the domain's (core/viewer.h);
 * renditions are streamed from the sealed blob store, never decoded here. */
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/form.h"
#include "core/viewer.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/req.h"
#include "http/tus_parse.h"
#include "routes/blob_reply.h"
#include "routes/routes.h"
#include "store/blobfmt.h"
#include "util/arena.h"

/* Path parameter as a positive id, or 0. */
static long long param_id(struct req *r, const char *name) {
  return form_id(req_param(r, name));
}

/* GET /api/v1/requests/{rid}/images */
static void images_get(struct req *r) {
  struct actor who = actor_from_req(r);
  long long rid = param_id(r, "rid");
  json_t *j = NULL;
  enum err e = rid ? viewer_images(r->arena, &who, rid, &j) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_json_take(r, 200, j);
}

/* The preview (frame < 0) or a frame, per the contract's 200 / 202 / 422. */
static void rendition_reply(struct req *r, long frame) {
  struct actor who = actor_from_req(r);
  long long rid = param_id(r, "rid"), doc = param_id(r, "doc");
  struct viewer_rendition v;
  enum err e = rid && doc ? viewer_rendition_open(r->arena, &who, rid, doc, frame, &v) : ERR_NOT_FOUND;
  if (e != ERR_OK) return reply_error(r, e, NULL);
  if (v.state == VIEWER_PREPARING) {
    reply_json_take(r, 202, json_pack("{s:s}", "state", "preparing"));
    reply_header(r, "Retry-After", "1");
    return;
  }
  if (v.state == VIEWER_NOT_DECODABLE) return reply_json_take(r, 422, json_pack("{s:s}", "error", v.why));
  struct MHD_Response *resp = reply_blob(r, v.reader, v.length, frame < 0 ? "image/png" : "application/octet-stream");
  if (!resp) return;
  if (frame >= 0) {
    char b[32];
    snprintf(b, sizeof b, "%u", v.rows);
    MHD_add_response_header(resp, "X-Rows", b);
    snprintf(b, sizeof b, "%u", v.columns);
    MHD_add_response_header(resp, "X-Columns", b);
    snprintf(b, sizeof b, "%u", v.samples);
    MHD_add_response_header(resp, "X-Samples", b);
    snprintf(b, sizeof b, "%u", v.bytes_per_sample);
    MHD_add_response_header(resp, "X-Bytes-Per-Sample", b);
  }
}

/* GET /api/v1/requests/{rid}/documents/{doc}/preview */
static void preview_get(struct req *r) { rendition_reply(r, -1); }

/* GET /api/v1/requests/{rid}/documents/{doc}/frames/{n} (n from 0) */
static void frame_get(struct req *r) {
  const char *s = req_param(r, "n");
  uint64_t n;
  if (!s || tus_parse_u64(s, &n) != 0 || n > 100000000) return reply_error(r, ERR_NOT_FOUND, NULL);
  rendition_reply(r, (long)n);
}

#define VIEWERS (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER)
const struct route viewer_api_routes[] = {
    {"GET", "/api/v1/requests/{rid}/images", images_get, VIEWERS, 0, BODY_NONE, 0, NULL, "viewer-images"},
    {"GET", "/api/v1/requests/{rid}/documents/{doc}/preview", preview_get, VIEWERS, 0, BODY_NONE, 0, NULL,
     "viewer-preview"},
    {"GET", "/api/v1/requests/{rid}/documents/{doc}/frames/{n}", frame_get, VIEWERS, 0, BODY_NONE, 0, NULL,
     "viewer-frame"},
    {0},
};
