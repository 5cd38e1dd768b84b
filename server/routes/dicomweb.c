/* DICOMweb (PS3.18) read side under /dicom-web/: QIDO-RS searches and WADO-RS retrieval,
 * metadata, frames and rendered images. This file parses the path and query, negotiates the
 * media type from Accept (dicom/dicomweb.h) and wires the domain's streams (core/dicomweb.h) to
 * libmicrohttpd; access, audit and reading are the domain's. The portal session authenticates
 * today (GETs need no CSRF token); a later bearer token only has to produce the same actor.
 * Anonymous requests get 401 (r->is_api), never the login page. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dicomweb.h"
#include "core/viewer.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/req.h"
#include "routes/blob_reply.h"
#include "routes/routes.h"
#include "store/blobfmt.h"
#include "util/decimal.h"
#include "util/arena.h"

#define DW_ROLES (ROLE_PATIENT | ROLE_STAFF | ROLE_REVIEWER)
#define MAX_FRAMES_ASKED 256

static const struct dw_offer json_offers[] = {
    {"application/dicom+json", NULL, NULL},
    {"application/json", NULL, NULL},
};

/* The service root for RetrieveURL, from the Host the client used; NULL when it looks odd. */
static const char *base_url(struct req *r) {
  const char *host = req_header(r, "Host");
  if (!host || !*host || strlen(host) > 255 || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host))
    return NULL;
  return arena_printf(r->arena, "%s://%s/dicom-web", r->tls ? "https" : "http", host);
}

/* A browser's cross-site request (a link or form on another site, which carries the session
 * cookie for a top-level GET): DICOMweb clients are programs or pages of this site, so such a
 * request reads nothing and writes no audit row. false: a 403 is queued. */
static bool same_site(struct req *r) {
  const char *site = req_header(r, "Sec-Fetch-Site");
  if (!site || strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0) return true;
  reply_error(r, ERR_FORBIDDEN, "DICOMweb answers only this site's pages and programs, not links from other sites.");
  return false;
}

/* A path UID: digits and dots, at most 64. */
static bool uid_param(struct req *r, const char *name, const char **out) {
  const char *s = req_param(r, name);
  *out = s;
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= 64 && strspn(s, "0123456789.") == n;
}

/* Checks the path's UIDs (study, series, instance as present). false: a 400 is queued. */
static bool path_uids(struct req *r, const char **study, const char **series, const char **sop) {
  *study = *series = *sop = NULL;
  if (!same_site(r)) return false;
  if (req_param(r, "study") && !uid_param(r, "study", study)) goto bad;
  if (req_param(r, "series") && !uid_param(r, "series", series)) goto bad;
  if (req_param(r, "sop") && !uid_param(r, "sop", sop)) goto bad;
  return true;
bad:
  reply_error(r, ERR_BAD_REQUEST, "A Study, Series or SOP Instance UID in the path is not a UID (digits and dots, "
                                  "at most 64 characters).");
  return false;
}

static void reply_not_acceptable(struct req *r, const char *why) {
  reply_error(r, ERR_NOT_ACCEPTABLE, arena_printf(r->arena, "Not acceptable: %s.", why));
}

/* JSON with the negotiated type (application/dicom+json unless the client wanted application/json). */
static void reply_dicom_json(struct req *r, json_t *j, int offer) {
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) return reply_error(r, ERR_INTERNAL, NULL);
  reply_bytes(r, 200, json_offers[offer].media, text, strlen(text));
  free(text);
}

/* ---- QIDO-RS ---- */

static void qido(struct req *r, enum dw_level level) {
  char why[400];
  int offer = dw_negotiate(req_header(r, "Accept"), json_offers, 2, why, sizeof why);
  if (offer < 0) return reply_not_acceptable(r, why);
  const char *study, *series, *sop;
  if (!path_uids(r, &study, &series, &sop)) return;
  const char **names = arena_alloc(r->arena, (r->query.n + 1) * sizeof *names);
  const char **values = arena_alloc(r->arena, (r->query.n + 1) * sizeof *values);
  if (!names || !values) return reply_error(r, ERR_INTERNAL, NULL);
  for (size_t i = 0; i < r->query.n; i++) {
    names[i] = r->query.items[i].name;
    values[i] = r->query.items[i].value;
  }
  struct dw_query q;
  if (dw_query_parse(r->arena, level, names, values, r->query.n, &q, why, sizeof why) != 0)
    return reply_error(r, ERR_BAD_REQUEST, arena_printf(r->arena, "Bad search: %s.", why));
  /* the path's UIDs limit the search (a query key cannot widen it) */
  if (study) q.study_uid = study;
  if (series) q.series_uid = series;
  struct actor who = actor_from_req(r);
  json_t *out = NULL;
  enum err e = dicomweb_search(r->arena, &who, &q, base_url(r), &out);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_dicom_json(r, out, offer);
}

static void qido_studies(struct req *r) { qido(r, DW_STUDY); }
static void qido_series(struct req *r) { qido(r, DW_SERIES); }
static void qido_instances(struct req *r) { qido(r, DW_INSTANCE); }

/* ---- WADO-RS: streams ---- */

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  ssize_t n = dicomweb_stream_read(cls, (unsigned char *)buf, max);
  if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR; /* a file failed its check: cut the connection */
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return n;
}

static void stream_free_cb(void *cls) { dicomweb_stream_free(cls); }

static void reply_stream(struct req *r, struct dw_stream *s, uint64_t total, const char *part, const char *boundary) {
  struct MHD_Response *resp = MHD_create_response_from_callback(total, 256 * 1024, stream_cb, s, stream_free_cb);
  if (!resp) {
    dicomweb_stream_free(s);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  if (r->resp) MHD_destroy_response(r->resp);
  r->resp = resp;
  r->status = 200;
  r->resp_bytes = total;
  if (!boundary) { /* a single part as the whole body */
    MHD_add_response_header(resp, "Content-Type", part);
    return;
  }
  char *ct = arena_printf(r->arena, "multipart/related; type=\"%s\"; boundary=%s", part, boundary);
  MHD_add_response_header(resp, "Content-Type", ct ? ct : "multipart/related");
}

/* The transfer syntax all rows share, or NULL when they differ. */
static const char *common_tsyntax(const struct dw_instance_row *rows, size_t n) {
  const char *ts = n ? rows[0].tsyntax : NULL;
  for (size_t i = 1; i < n && ts; i++)
    if (strcmp(rows[i].tsyntax, ts) != 0) ts = NULL;
  return ts && *ts ? ts : NULL;
}

/* dicomweb_open's refusal in words. */
static void reply_open_error(struct req *r, enum err e) {
  if (e == ERR_CONFLICT)
    return reply_error(r, e,
                       "This UID is in the records of more than one patient, so it is not sent as one. Open "
                       "each patient's request in the portal instead, and check where the copy came from.");
  reply_error(r, e, NULL);
}

static void retrieve(struct req *r) {
  const char *study, *series, *sop;
  if (!path_uids(r, &study, &series, &sop)) return;
  struct actor who = actor_from_req(r);
  struct dw_instance_row *rows;
  size_t n;
  enum err e = dicomweb_open(r->arena, &who, study, series, sop, DW_RETRIEVE, &rows, &n);
  if (e != ERR_OK) return reply_open_error(r, e);
  /* files go out as stored (MQSA: the originals), never transcoded; one instance may also be
   * asked for as a single application/dicom body */
  const char *ts = common_tsyntax(rows, n);
  struct dw_offer offers[2] = {{"multipart/related", "application/dicom", ts}, {"application/dicom", NULL, ts}};
  char why[400];
  int pick = dw_negotiate(req_header(r, "Accept"), offers, sop ? 2 : 1, why, sizeof why);
  if (pick < 0)
    return reply_not_acceptable(
        r, arena_printf(r->arena, "%s; files are sent as stored, without changing their transfer syntax%s%s", why,
                        ts ? " (here " : "", ts ? arena_printf(r->arena, "%s)", ts) : ""));
  struct dw_stream *s;
  uint64_t total;
  char boundary[33];
  e = dicomweb_stream_instances(&who, rows, n, pick == 0, &s, &total, boundary);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_stream(r, s, total, "application/dicom", pick == 0 ? boundary : NULL);
}

static void metadata(struct req *r) {
  char why[400];
  int offer = dw_negotiate(req_header(r, "Accept"), json_offers, 2, why, sizeof why);
  if (offer < 0) return reply_not_acceptable(r, why);
  const char *study, *series, *sop;
  if (!path_uids(r, &study, &series, &sop)) return;
  struct actor who = actor_from_req(r);
  struct dw_instance_row *rows;
  size_t n;
  enum err e = dicomweb_open(r->arena, &who, study, series, sop, DW_METADATA, &rows, &n);
  if (e != ERR_OK) return reply_open_error(r, e);
  json_t *j = dicomweb_metadata(rows, n, base_url(r));
  if (!j) return reply_error(r, ERR_INTERNAL, NULL);
  reply_dicom_json(r, j, offer);
}

static void frames(struct req *r) {
  const char *study, *series, *sop;
  if (!path_uids(r, &study, &series, &sop)) return;
  struct actor who = actor_from_req(r);
  struct dw_instance_row *rows;
  size_t n;
  enum err e = dicomweb_open(r->arena, &who, study, series, sop, DW_FRAMES, &rows, &n);
  if (e != ERR_OK) return reply_open_error(r, e);
  const struct dw_instance_row *row = &rows[0];
  char why[600];
  long list[MAX_FRAMES_ASKED];
  size_t nl;
  long nframes = dicomweb_frames(row);
  if (nframes <= 0) return reply_error(r, ERR_BAD_REQUEST, "This instance has no pixel data, so it has no frames.");
  if (dw_frame_list(req_param(r, "frames"), nframes, list, MAX_FRAMES_ASKED, &nl, why, sizeof why) != 0)
    return reply_error(r, ERR_BAD_REQUEST, arena_printf(r->arena, "Bad frame list: %s.", why));
  struct dw_offer offers[2];
  size_t no = 0;
  const char *media = dw_frame_media_type(row->tsyntax);
  if (row->encapsulated && media) {
    offers[no++] = (struct dw_offer){"multipart/related", media, row->tsyntax};
    if (strcmp(media, "image/jls") == 0) offers[no++] = (struct dw_offer){"multipart/related", "image/x-jls", row->tsyntax};
  } else if (!row->encapsulated && dw_tsyntax_native_le(row->tsyntax)) {
    /* native pixel data is the same bytes in either little-endian syntax: offered as explicit */
    offers[no++] = (struct dw_offer){"multipart/related", "application/octet-stream", "1.2.840.10008.1.2.1"};
  } else {
    return reply_error(r, ERR_BAD_REQUEST,
                       arena_printf(r->arena, "The frames of this instance cannot be sent: it is stored with "
                                              "transfer syntax %s, from which frames are not cut here. Retrieve the "
                                              "whole instance instead.",
                                    *row->tsyntax ? row->tsyntax : "(unknown)"));
  }
  int pick = dw_negotiate(req_header(r, "Accept"), offers, no, why, sizeof why);
  if (pick < 0) {
    if (row->encapsulated)
      return reply_not_acceptable(
          r, arena_printf(r->arena,
                          "this instance is stored compressed (transfer syntax %s) and its frames are sent only as "
                          "they are stored: ask for multipart/related; type=\"%s\" (or */*); decompressed frames "
                          "(application/octet-stream) are not offered",
                          row->tsyntax, media));
    return reply_not_acceptable(r, why);
  }
  struct dw_stream *s;
  uint64_t total;
  char boundary[33];
  e = dicomweb_stream_frames(&who, row, list, nl, offers[pick].part, &s, &total, boundary, why, sizeof why);
  if (e == ERR_INVALID) return reply_error(r, ERR_BAD_REQUEST, arena_printf(r->arena, "%s.", why));
  if (e != ERR_OK) return reply_error(r, e, NULL);
  reply_stream(r, s, total, offers[pick].part, boundary);
}

/* ---- rendered: the viewer's prepared PNG (decoded in its confined child, never here) ---- */

/* The prepared PNG as a JPEG (read whole: render_png keeps it to 512 pixels a side). */
static void reply_jpeg(struct req *r, struct viewer_rendition *v) {
  unsigned char *png = v->length <= (16u << 20) ? malloc((size_t)v->length) : NULL, *jpg = NULL;
  size_t have = 0, jlen = 0;
  char err[128];
  while (png && have < v->length) {
    ssize_t k = blob_reader_read(v->reader, png + have, (size_t)v->length - have, err, sizeof err);
    if (k <= 0) break;
    have += (size_t)k;
  }
  blob_reader_close(v->reader);
  v->reader = NULL;
  int quality = 90;
  const char *q = req_query(r, "quality");
  uint64_t qv;
  if (q && strlen(q) <= 3 && decimal_u64(q, &qv) == 0) quality = (int)qv; /* dw_png_to_jpeg keeps it to 1..100 */
  if (!png || have != v->length || dw_png_to_jpeg(png, have, quality, &jpg, &jlen) != 0) {
    free(png);
    return reply_error(r, ERR_INTERNAL, NULL);
  }
  free(png);
  reply_bytes(r, 200, "image/jpeg", jpg, jlen);
  free(jpg);
}

static void rendered(struct req *r) {
  static const struct dw_offer images[] = {{"image/png", NULL, NULL}, {"image/jpeg", NULL, NULL}};
  char why[400];
  int pick = dw_negotiate(req_header(r, "Accept"), images, 2, why, sizeof why);
  if (pick < 0) return reply_not_acceptable(r, why);
  const char *fl = req_param(r, "frames");
  if (fl && strcmp(fl, "1") != 0)
    return reply_error(r, ERR_BAD_REQUEST, "Only frame 1 can be rendered here (frames/1/rendered).");
  const char *study, *series, *sop;
  if (!path_uids(r, &study, &series, &sop)) return;
  struct actor who = actor_from_req(r);
  struct dw_instance_row *rows;
  size_t n;
  enum err e = dicomweb_open(r->arena, &who, study, series, sop, DW_RENDERED, &rows, &n);
  if (e != ERR_OK) return reply_open_error(r, e);
  struct viewer_rendition v;
  e = viewer_rendition_open(r->arena, &who, rows[0].request_id, rows[0].doc, -1, &v);
  if (e == ERR_NOT_FOUND)
    return reply_error(r, ERR_BAD_REQUEST, "This instance is not an image, so it cannot be rendered.");
  if (e != ERR_OK) return reply_error(r, e, NULL);
  switch (v.state) {
  case VIEWER_PREPARING:
    return reply_error(r, ERR_UNAVAILABLE, "The rendered image is being prepared. Please try again in a moment.");
  case VIEWER_NOT_DECODABLE:
    return reply_error(r, ERR_INVALID, v.why ? v.why : "This image cannot be rendered here.");
  case VIEWER_READY:
    break;
  }
  if (pick == 1) return reply_jpeg(r, &v);
  reply_blob(r, v.reader, v.length, "image/png");
}

#define P "/dicom-web"
#define S P "/studies/{study}"
#define SE S "/series/{series}"
#define I SE "/instances/{sop}"
const struct route dicomweb_routes[] = {
    {"GET", P "/studies", qido_studies, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-studies"},
    {"GET", P "/series", qido_series, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-series"},
    {"GET", P "/instances", qido_instances, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-instances"},
    {"GET", S, retrieve, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-study"},
    {"GET", S "/metadata", metadata, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-study-metadata"},
    {"GET", S "/series", qido_series, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-study-series"},
    {"GET", S "/instances", qido_instances, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-study-instances"},
    {"GET", SE, retrieve, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-series"},
    {"GET", SE "/metadata", metadata, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-series-metadata"},
    {"GET", SE "/instances", qido_instances, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-qido-series-instances"},
    {"GET", I, retrieve, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-instance"},
    {"GET", I "/metadata", metadata, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-instance-metadata"},
    {"GET", I "/rendered", rendered, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-rendered"},
    {"GET", I "/frames/{frames}", frames, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-frames"},
    {"GET", I "/frames/{frames}/rendered", rendered, DW_ROLES, 0, BODY_NONE, 0, NULL, "dicomweb-frame-rendered"},
    {0},
};
#undef P
#undef S
#undef SE
#undef I
