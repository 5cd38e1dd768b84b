/* tus 1.0.0 at /api/v1/uploads: OPTIONS, POST (creation), HEAD, PATCH
 * (streamed into the blob store), DELETE (termination); extensions
 * creation, termination, checksum (sha256), expiration. Parsing of the tus
 * headers is in http/tus_parse.c; the rules (ownership, offsets, durability,
 * intake) are in core/records.c. */
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/records.h"
#include "http/actor.h"
#include "http/reply.h"
#include "http/tus_parse.h"
#include "routes/routes.h"
#include "util/arena.h"

#define TUS_VERSION "1.0.0"
#define TUS_EXTENSIONS "creation,termination,checksum,expiration"

/* Adds the headers every tus answer carries. */
static void tus_headers(struct req *r) {
  reply_header(r, "Tus-Resumable", TUS_VERSION);
  reply_header(r, "Cache-Control", "no-store");
}

/* Answers an error with the tus headers (412 also names our version). */
static void tus_error(struct req *r, enum err e, const char *detail) {
  reply_error(r, e, detail);
  tus_headers(r);
  if (e == ERR_PRECONDITION) reply_header(r, "Tus-Version", TUS_VERSION);
}

/* True when the request carries Tus-Resumable: 1.0.0. */
static int tus_resumable_ok(struct req *r) {
  const char *v = req_header(r, "Tus-Resumable");
  return v && strcmp(v, TUS_VERSION) == 0;
}

/* RFC 7231 date of a unix time, in the arena. */
static const char *http_date(struct arena *a, long long t) {
  time_t tt = (time_t)t;
  struct tm tm;
  char buf[64];
  if (!gmtime_r(&tt, &tm) || strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0) return "";
  return arena_strdup(a, buf);
}

/* The session's CSRF token in X-CSRF-Token (checked before any byte is kept). */
static int csrf_header_ok(struct req *r) {
  const char *t = req_header(r, "X-CSRF-Token");
  const char *want = r->user ? r->user->csrf : NULL;
  if (!t || !want) return 0;
  size_t n = strlen(want);
  return strlen(t) == n && n > 0 && sodium_memcmp(t, want, n) == 0;
}

static void tus_options(struct req *r) {
  char mx[32];
  snprintf(mx, sizeof mx, "%llu", (unsigned long long)records_max_upload());
  reply_bytes(r, 204, NULL, "", 0);
  tus_headers(r);
  reply_header(r, "Tus-Version", TUS_VERSION);
  reply_header(r, "Tus-Extension", TUS_EXTENSIONS);
  reply_header(r, "Tus-Max-Size", mx);
  reply_header(r, "Tus-Checksum-Algorithm", "sha256");
}

/* Strict positive decimal that fits a long long. */
static int parse_id(const unsigned char *s, size_t len, long long *out) {
  char buf[24];
  uint64_t v;
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (tus_parse_u64(buf, &v) != 0 || v == 0 || v > LLONG_MAX) return -1;
  *out = (long long)v;
  return 0;
}

static void tus_create(struct req *r) {
  if (!tus_resumable_ok(r)) return tus_error(r, ERR_PRECONDITION, NULL);
  const char *len_h = req_header(r, "Upload-Length");
  uint64_t length;
  if (req_header(r, "Upload-Defer-Length"))
    return tus_error(r, ERR_BAD_REQUEST, "Upload-Defer-Length is not supported: send Upload-Length.");
  if (!len_h || tus_parse_u64(len_h, &length) != 0)
    return tus_error(r, ERR_BAD_REQUEST, "Upload-Length must be a whole number of bytes.");
  const char *md = req_header(r, "Upload-Metadata");
  size_t mdl = md ? strlen(md) : 0;
  unsigned char *buf = arena_alloc(r->arena, TUS_META_BUF(mdl));
  struct tus_meta meta;
  if (!buf) return tus_error(r, ERR_INTERNAL, NULL);
  if (tus_parse_metadata(md, buf, TUS_META_BUF(mdl), &meta) != 0)
    return tus_error(r, ERR_BAD_REQUEST, "Upload-Metadata is malformed.");
  const struct tus_meta_pair *req_id = tus_meta_get(&meta, "request");
  const struct tus_meta_pair *kind = tus_meta_get(&meta, "kind");
  const struct tus_meta_pair *name = tus_meta_get(&meta, "filename");
  if (!name) name = tus_meta_get(&meta, "name");
  const struct tus_meta_pair *sha = tus_meta_get(&meta, "sha256");
  struct upload_new un = {0};
  if (!req_id || parse_id(req_id->value, req_id->len, &un.request_id) != 0)
    return tus_error(r, ERR_BAD_REQUEST, "Upload-Metadata must name the request (key \"request\").");
  un.kind = kind && kind->len ? (const char *)kind->value : "other";
  un.name = name ? name->value : NULL;
  un.name_len = name ? name->len : 0;
  un.length = length;
  if (sha) {
    if (tus_parse_sha256_value(sha->value, sha->len, un.sha256) != 0)
      return tus_error(r, ERR_BAD_REQUEST, "The sha256 metadata must be 32 bytes in base64 or 64 hex digits.");
    un.has_sha256 = 1;
  }
  struct actor who = actor_from_req(r);
  char id[27];
  long long expires;
  enum err e = records_upload_create(&who, &un, id, &expires);
  if (e == ERR_INVALID) return tus_error(r, ERR_BAD_REQUEST, "Unknown document kind.");
  if (e != ERR_OK)
    return tus_error(r, e, e == ERR_TOO_LARGE || e == ERR_TOO_MANY || e == ERR_NO_SPACE ? records_refusal() : NULL);
  reply_bytes(r, 201, NULL, "", 0);
  tus_headers(r);
  reply_header(r, "Location", arena_printf(r->arena, "/api/v1/uploads/%s", id));
  reply_header(r, "Upload-Expires", http_date(r->arena, expires));
}

static void tus_head(struct req *r) {
  if (!tus_resumable_ok(r)) return tus_error(r, ERR_PRECONDITION, NULL);
  struct actor who = actor_from_req(r);
  struct upload_row u;
  records_upload_settle(req_param(r, "id"));
  enum err e = records_upload_get(r->arena, &who, req_param(r, "id"), &u);
  if (e != ERR_OK) return tus_error(r, e, NULL);
  reply_bytes(r, 200, NULL, "", 0);
  tus_headers(r);
  reply_header(r, "Upload-Offset", arena_printf(r->arena, "%llu", (unsigned long long)u.offset));
  reply_header(r, "Upload-Length", arena_printf(r->arena, "%llu", (unsigned long long)u.length));
  if (strcmp(u.state, "receiving") == 0) reply_header(r, "Upload-Expires", http_date(r->arena, u.expires_at));
}

static void tus_delete(struct req *r) {
  if (!tus_resumable_ok(r)) return tus_error(r, ERR_PRECONDITION, NULL);
  struct actor who = actor_from_req(r);
  enum err e = records_upload_delete(&who, req_param(r, "id"));
  if (e != ERR_OK) return tus_error(r, e, NULL);
  reply_bytes(r, 204, NULL, "", 0);
  tus_headers(r);
}

/* PATCH, from the headers alone: every refusal before a byte is read. */
static enum err patch_begin(struct req *r) {
  if (!tus_resumable_ok(r)) return ERR_PRECONDITION;
  const char *ct = req_header(r, "Content-Type");
  if (!ct || strcasecmp(ct, "application/offset+octet-stream") != 0) return ERR_MEDIA_TYPE;
  if (!csrf_header_ok(r)) return ERR_CSRF;
  uint64_t off;
  const char *oh = req_header(r, "Upload-Offset");
  if (!oh || tus_parse_u64(oh, &off) != 0) return ERR_BAD_REQUEST;
  unsigned char want[32];
  const char *ck = req_header(r, "Upload-Checksum");
  if (ck && tus_parse_checksum(ck, want) != TUS_CK_OK) return ERR_BAD_REQUEST;
  if (r->chunked) return ERR_LENGTH_REQUIRED;
  int64_t declared = r->has_length ? (int64_t)r->content_length : -1;
  struct actor who = actor_from_req(r);
  struct upload_session *s = NULL;
  enum err e = records_append_begin(&who, req_param(r, "id"), off, declared, ck ? want : NULL, &s);
  if (e != ERR_OK) return e;
  r->stream_ctx = s;
  return ERR_OK;
}

static enum err patch_data(struct req *r, const char *buf, size_t len) {
  if (!r->stream_ctx) return ERR_INTERNAL;
  return records_append_data(r->stream_ctx, buf, len);
}

/* Client went away mid-body: keep what arrived (synced, committed, not acknowledged). */
static void patch_abort(struct req *r) {
  records_append_abort(r->stream_ctx, 1);
  r->stream_ctx = NULL;
}

/* An error reply replaces the handler: drop this PATCH's bytes. */
static void patch_fail(struct req *r) {
  records_append_abort(r->stream_ctx, 0); /* cuts the staging file back before the answer goes out */
  r->stream_ctx = NULL;
  /* a 507 says how much of the file is kept and that it can be resumed */
  if (r->early_error == ERR_NO_SPACE && records_refusal()) reply_error(r, ERR_NO_SPACE, records_refusal());
  /* a 409 because another instance holds or took the upload says so */
  if (r->early_error == ERR_CONFLICT && records_refusal()) reply_error(r, ERR_CONFLICT, records_refusal());
  tus_headers(r);
  if (r->early_error == ERR_PRECONDITION) reply_header(r, "Tus-Version", TUS_VERSION);
}

static void tus_patch(struct req *r) {
  struct upload_session *s = r->stream_ctx;
  r->stream_ctx = NULL;
  if (!s) return tus_error(r, ERR_INTERNAL, NULL);
  uint64_t off;
  long long expires;
  enum err e = records_append_commit(s, &off, &expires);
  if (e != ERR_OK)
    return tus_error(r, e, e == ERR_TOO_MANY || e == ERR_NO_SPACE || e == ERR_CONFLICT ? records_refusal() : NULL);
  reply_bytes(r, 204, NULL, "", 0);
  tus_headers(r);
  reply_header(r, "Upload-Offset", arena_printf(r->arena, "%llu", (unsigned long long)off));
  reply_header(r, "Upload-Expires", http_date(r->arena, expires));
}

/* GET /api/v1/uploads/{id}/status: where an upload stands, for the
 * uploader's poll after the last byte ("checking" until intake is done). */
static void upload_status(struct req *r) {
  struct actor who = actor_from_req(r);
  struct upload_status st;
  enum err e = records_upload_status(r->arena, &who, req_param(r, "id"), &st);
  if (e != ERR_OK) return reply_error(r, e, NULL);
  json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "state", st.state, "outcome", st.outcome, "message",
                        st.message, "offset", (json_int_t)st.offset, "length", (json_int_t)st.length, "accepted",
                        (json_int_t)st.accepted, "images", (json_int_t)st.images, "refused", (json_int_t)st.refused,
                        "skipped", (json_int_t)st.skipped);
  if (!j) return reply_error(r, ERR_INTERNAL, NULL);
  reply_json_take(r, 200, j);
}

static const struct stream_ops patch_ops = {patch_begin, patch_data, patch_abort, patch_fail};

const struct route api_uploads_routes[] = {
    {"OPTIONS", "/api/v1/uploads", tus_options, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "tus-options"},
    {"OPTIONS", "/api/v1/uploads/{id}", tus_options, 0, RF_PUBLIC, BODY_NONE, 0, NULL, "tus-options"},
    {"POST", "/api/v1/uploads", tus_create, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "tus-create"},
    {"HEAD", "/api/v1/uploads/{id}", tus_head, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "tus-head"},
    {"PATCH", "/api/v1/uploads/{id}", tus_patch, ROLE_PATIENT, 0, BODY_STREAM, (size_t)1 << 42, &patch_ops,
     "tus-patch"},
    {"DELETE", "/api/v1/uploads/{id}", tus_delete, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "tus-delete"},
    {"GET", "/api/v1/uploads/{id}/status", upload_status, ROLE_PATIENT, 0, BODY_NONE, 0, NULL, "upload-status"},
    {0},
};
