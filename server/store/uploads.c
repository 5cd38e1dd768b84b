#include "store/uploads.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

#define UPLOAD_COLS                                                                                             \
  "u.id, u.request_id, u.owner_id, r.patient_id, u.kind, u.filename, u.state, coalesce(u.failure, ''), "      \
  "u.length, u.\"offset\", coalesce(encode(u.sha256_expected, 'hex'), ''), octet_length(u.sealed_tail), "      \
  "encode(u.file_id, 'hex'), encode(u.wrapped_dek, 'hex'), u.kek_version, "                       \
  "extract(epoch from u.expires_at)::bigint, u.expires_at < now(), coalesce(encode(u.digest_state, 'hex'), ''), "  \
  "u.scan_pending, coalesce(u.virus_name, ''), " \
  "coalesce(encode(u.blake2b, 'hex'), ''), coalesce(encode(u.sha256, 'hex'), ''), u.is_archive, u.digest_kind"

#define DOC_COLS                                                                                                \
  "id, request_id, coalesce(series_id, 0), coalesce(upload_id, ''), kind, original_name, sniffed_type, "       \
  "coalesce(sha256, ''), coalesce(blake2b, ''), coalesce(skip_reason, ''), size, skipped, "                    \
  "coalesce(encode(file_id, 'hex'), ''), coalesce(encode(wrapped_dek, 'hex'), ''), coalesce(kek_version, 0), refused, " \
  "coalesce(sop_instance_uid, ''), coalesce(sop_class_uid, ''), coalesce(transfer_syntax, ''), "               \
  "coalesce(modality, ''), coalesce(laterality, ''), coalesce(view_position, ''), coalesce(study_date, ''), "  \
  "coalesce(patient_name, ''), coalesce(patient_birth_date, ''), coalesce(manufacturer, ''), "                 \
  "" TZ_SQL("created_at") ", coalesce(active_content, ''), " \
  "coalesce(object_kind, ''), coalesce(frames, 0), " \
  "coalesce(pixel_rows, 0), coalesce(pixel_columns, 0), pixel_incomplete, coalesce(patient_sex, ''), " \
  "coalesce(image_info::text, ''), digest_kind"

static const struct db_stmt stmts[] = {
    {"rq_get",
     "SELECT id, patient_id, reference, status, " TZ_SQL("created_at") " "
     "FROM requests WHERE id = $1"},
    {"us_identity",
     "SELECT name, coalesce(to_char(date_of_birth, 'YYYYMMDD'), '') FROM users WHERE id = $1"},
    {"up_insert",
     "INSERT INTO uploads (id, request_id, owner_id, kind, filename, length, sha256_expected, file_id, "
     "wrapped_dek, kek_version, expires_at) VALUES ($1, $2, $3, $4, $5, $6, decode(nullif($7, ''), 'hex'), "
     "decode($8, 'hex'), decode($9, 'hex'), $10, to_timestamp($11))"},
    {"up_get", "SELECT " UPLOAD_COLS " FROM uploads u JOIN requests r ON r.id = u.request_id WHERE u.id = $1"},
    /* the sealed tail, up to a part of the object store's in size: read only to resume a writer, in binary */
    {"up_tail", "SELECT \"offset\"::text, coalesce(sealed_tail, ''::bytea) FROM uploads WHERE id = $1"},
    {"up_commit",
     "UPDATE uploads SET \"offset\" = $3, sealed_tail = $4::bytea, digest_state = $6::bytea, "
     "state = CASE WHEN $5 THEN 'finalizing' ELSE state END, updated_at = now(), "
     "expires_at = greatest(expires_at, now() + interval '24 hours') "
     "WHERE id = $1 AND \"offset\" = $2 AND state = 'receiving' AND lease_token = $7 "
     "RETURNING extract(epoch from expires_at)::bigint"},
    /* the lease (migrations/0033_active_active.sql): taken when free, lapsed, or held by this
     * data directory (this process, whose in-process lock serialises its own requests, or a
     * crashed one before it: records.c data_dir_id) */
    {"up_lease_take",
     "WITH t AS (UPDATE uploads SET lease_token = lease_token + 1, lease_owner = $2, "
     "lease_until = now() + make_interval(secs => $3::int) WHERE id = $1 AND (lease_owner IS NULL "
     "OR split_part(lease_owner, '.', 1) = split_part($2, '.', 1) OR lease_until < now()) RETURNING lease_token) "
     "SELECT (SELECT lease_token FROM t), EXISTS (SELECT 1 FROM uploads WHERE id = $1)"},
    {"up_lease_renew",
     "UPDATE uploads SET lease_until = now() + make_interval(secs => $3::int) WHERE id = $1 AND lease_token = $2 "
     "RETURNING 1"},
    {"up_lease_release",
     "UPDATE uploads SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2"},
    {"up_state",
     "UPDATE uploads SET state = $2, failure = nullif($3, ''), blake2b = coalesce(decode(nullif($4, ''), 'hex'), "
     "blake2b), sha256 = coalesce(decode(nullif($5, ''), 'hex'), sha256), "
     "sealed_tail = CASE WHEN $2 IN ('complete', 'failed') THEN NULL ELSE sealed_tail END, "
     "digest_state = CASE WHEN $2 IN ('complete', 'failed') THEN NULL ELSE digest_state END, updated_at = now() "
     "WHERE id = $1"},
    {"up_delete", "DELETE FROM uploads WHERE id = $1"},
    {"up_finalizing", "SELECT id FROM uploads WHERE state = 'finalizing' ORDER BY created_at"},
    {"up_scan_waiting", "SELECT id FROM uploads WHERE state = 'checking' AND scan_pending ORDER BY created_at LIMIT 100"},
    {"up_scan_pending", "UPDATE uploads SET scan_pending = $2::boolean WHERE id = $1"},
    {"up_quarantine",
     "UPDATE uploads SET state = 'failed', failure = $2, virus_name = $3, quarantined_at = now(), scan_pending = false "
     "WHERE id = $1 AND state IN ('finalizing', 'checking')"},
    {"up_expired",
     "SELECT " UPLOAD_COLS
     " FROM uploads u JOIN requests r ON r.id = u.request_id WHERE u.state = 'receiving' AND u.expires_at < now() "
     "LIMIT 100"},
    {"up_for_request",
     "SELECT " UPLOAD_COLS
     " FROM uploads u JOIN requests r ON r.id = u.request_id WHERE u.request_id = $1 AND u.state IN ('receiving', "
     "'finalizing', 'checking', 'failed') AND (u.state <> 'receiving' OR u.expires_at > now() - interval '1 day') "
     "AND u.updated_at > now() - interval '30 days' ORDER BY u.created_at LIMIT 500"},
    {"rq_lock_status", "SELECT status FROM requests WHERE id = $1 FOR SHARE"},
    {"up_checking",
     "UPDATE uploads SET state = 'checking', is_archive = $2, blake2b = decode($3, 'hex'), digest_kind = $5, "
     "sha256 = decode(nullif($4, ''), 'hex'), sealed_tail = NULL, digest_state = NULL, updated_at = now() "
     "WHERE id = $1 AND state IN ('finalizing', 'checking')"},
    {"up_usage",
     "SELECT (SELECT count(*) FROM uploads WHERE owner_id = $1 AND state = 'receiving' AND expires_at > now()), "
     "(SELECT coalesce(sum(length), 0) FROM uploads WHERE owner_id = $1 AND created_at > now() - interval '24 hours'), "
     "(SELECT coalesce(sum(length), 0) FROM uploads WHERE request_id = $2 AND state <> 'failed' "
     "AND (state <> 'receiving' OR expires_at > now())), "
     "(SELECT count(*) FROM uploads WHERE owner_id = $1 AND state IN ('finalizing', 'checking') AND is_archive)"},
    {"up_complete",
     "UPDATE uploads SET state = 'complete', failure = NULL, sealed_tail = NULL, digest_state = NULL, "
     "updated_at = now() WHERE id = $1 AND state = 'checking'"},
    {"up_checking_count",
     "SELECT count(*) FROM uploads WHERE request_id = $1 AND state IN ('finalizing', 'checking')"},
    {"up_archives_checking",
     "SELECT count(*) FROM uploads WHERE owner_id = $1 AND state = 'checking' AND is_archive"},
    {"rc_for_upload",
     "SELECT filename, message, " TZ_SQL("created_at") ", accepted, images, "
     "duplicates, skipped, refused FROM intake_receipts WHERE upload_id = $1 ORDER BY id DESC LIMIT 1"},
    {"st_upsert",
     "INSERT INTO studies (request_id, study_uid, study_date, description, patient_name, patient_birth_date) "
     "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id, study_uid) DO UPDATE SET study_uid = "
     "excluded.study_uid RETURNING id"},
    {"se_upsert",
     "INSERT INTO series (request_id, study_id, series_uid, modality, description) VALUES ($1, $2, $3, $4, $5) "
     "ON CONFLICT (request_id, series_uid) DO UPDATE SET series_uid = excluded.series_uid RETURNING id"},
    {"se_list",
     "SELECT se.id, se.study_id, count(d.id), se.series_uid, se.modality, se.description, st.study_uid, "
     "st.study_date, st.description, st.patient_name, st.patient_birth_date, "
     "coalesce(string_agg(DISTINCT nullif(trim(coalesce(d.laterality, '') || ' ' || coalesce(d.view_position, "
     "'')), ''), ', '), '') "
     "FROM series se JOIN studies st ON st.id = se.study_id LEFT JOIN documents d ON d.series_id = se.id "
     "WHERE se.request_id = $1 GROUP BY se.id, st.id ORDER BY st.study_date DESC, st.id, se.id"},
    {"se_delete_docs",
     "DELETE FROM documents WHERE request_id = $1 AND series_id = $2 RETURNING coalesce(encode(file_id, 'hex'), '')"},
    {"se_delete", "DELETE FROM series WHERE request_id = $1 AND id = $2"},
    {"st_prune",
     "DELETE FROM studies st WHERE st.request_id = $1 AND NOT EXISTS (SELECT 1 FROM series se WHERE se.study_id = "
     "st.id)"},
    {"dc_insert",
     "INSERT INTO documents (request_id, upload_id, kind, original_name, sniffed_type, size, sha256, blake2b, "
     "file_id, wrapped_dek, kek_version, skipped, refused, skip_reason, series_id, sop_instance_uid, sop_class_uid, "
     "transfer_syntax, modality, laterality, view_position, study_date, patient_name, patient_birth_date, "
     "manufacturer, object_kind, frames, pixel_rows, pixel_columns, pixel_incomplete, patient_sex, active_content, "
     "image_info, digest_kind) "
     "VALUES ($1, nullif($2, ''), $3, $4, $5, $6, nullif($7, ''), nullif($8, ''), "
     "decode(nullif($9, ''), 'hex'), decode(nullif($10, ''), 'hex'), nullif($11, '0')::int, $12, $25, nullif($13, ''), "
     "nullif($14, '0')::bigint, nullif($15, ''), nullif($16, ''), nullif($17, ''), nullif($18, ''), "
     "nullif($19, ''), nullif($20, ''), nullif($21, ''), nullif($22, ''), nullif($23, ''), nullif($24, ''), "
     "nullif($26, ''), nullif($27, '')::int, nullif($28, '')::int, nullif($29, '')::int, $30, nullif($31, ''), nullif($32, ''), "
     "nullif($33, '')::jsonb, $34) "
     "ON CONFLICT (request_id, sop_instance_uid) WHERE sop_instance_uid IS NOT NULL DO NOTHING RETURNING id"},
    {"dc_list", "SELECT " DOC_COLS " FROM documents WHERE request_id = $1 ORDER BY id"},
    {"dc_get", "SELECT " DOC_COLS " FROM documents WHERE id = $1"},
    {"dc_delete", "DELETE FROM documents WHERE id = $1"},
    {"dc_set_image_info", "UPDATE documents SET image_info = $2::jsonb WHERE id = $1 AND image_info IS NULL"},
    {"dc_merge_image_info",
     "UPDATE documents SET image_info = coalesce(image_info, '{}'::jsonb) || $2::jsonb WHERE id = $1"},
    {"dc_file_refs",
     "SELECT (SELECT count(*) FROM documents WHERE file_id = decode($1, 'hex')) + (SELECT count(*) FROM uploads "
     "WHERE file_id = decode($1, 'hex') AND state <> 'complete')"},
    {"rc_insert",
     "INSERT INTO intake_receipts (request_id, upload_id, filename, accepted, images, duplicates, skipped, "
     "refused, message) VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, $8, $9)"},
    {"rc_list",
     "SELECT filename, message, " TZ_SQL("created_at") ", accepted, images, "
     "duplicates, skipped, refused FROM intake_receipts WHERE request_id = $1 ORDER BY id"},
};

void uploads_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

/* Decimal text of v in the arena. */
static const char *lld(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
/* Hex text of n bytes in the arena. */
static const char *hex(struct arena *a, const unsigned char *b, size_t n) {
  char *s = arena_alloc(a, 2 * n + 1);
  if (s) sodium_bin2hex(s, 2 * n + 1, b, n);
  return s;
}
/* Parses hex into exactly n bytes. 0 or -1. */
static int unhex(const char *h, unsigned char *out, size_t n) {
  size_t bl = 0;
  if (strlen(h) != 2 * n) return -1;
  return sodium_hex2bin(out, n, h, 2 * n, NULL, &bl, NULL) == 0 && bl == n ? 0 : -1;
}
static long long ll(PGresult *r, int i, int c) { return strtoll(PQgetvalue(r, i, c), NULL, 10); }
static const char *sv(struct arena *a, PGresult *r, int i, int c) { return arena_strdup(a, PQgetvalue(r, i, c)); }

/* Runs a statement in a scratch arena and reports ERR_OK / error. */
static enum err exec_simple(const char *stmt, int n, const char *const *v) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  db_exec(a, stmt, n, v, &e);
  arena_free(a);
  return e;
}

static void fill_request(struct arena *a, PGresult *r, int i, struct request_row *o) {
  o->id = ll(r, i, 0);
  o->patient_id = ll(r, i, 1);
  o->reference = sv(a, r, i, 2);
  o->status = sv(a, r, i, 3);
  o->created_at = sv(a, r, i, 4);
}

enum err requests_get(struct arena *a, long long id, struct request_row *out) {
  enum err e;
  const char *v[] = {lld(a, id)};
  PGresult *r = db_exec(a, "rq_get", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  fill_request(a, r, 0, out);
  return ERR_OK;
}

enum err users_identity(struct arena *a, long long user_id, const char **name, const char **birth) {
  enum err e;
  const char *v[] = {lld(a, user_id)};
  PGresult *r = db_exec(a, "us_identity", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *name = sv(a, r, 0, 0);
  *birth = sv(a, r, 0, 1);
  return ERR_OK;
}

enum err uploads_insert(const struct upload_row *u) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {u->id,
                     lld(a, u->request_id),
                     lld(a, u->owner_id),
                     u->kind,
                     u->filename,
                     arena_printf(a, "%llu", (unsigned long long)u->length),
                     u->has_sha256_expected ? hex(a, u->sha256_expected, 32) : "",
                     hex(a, u->file_id, BLOB_ID_LEN),
                     hex(a, u->wrapped, BLOB_WRAPPED_LEN),
                     arena_printf(a, "%u", u->kek_version),
                     lld(a, u->expires_at)};
  db_exec(a, "up_insert", 11, v, &e);
  arena_free(a);
  return e;
}

/* Fills an upload row from result row i. 0 or -1 when a value is malformed. */
static int fill_upload(struct arena *a, PGresult *r, int i, struct upload_row *o) {
  memset(o, 0, sizeof *o);
  snprintf(o->id, sizeof o->id, "%s", PQgetvalue(r, i, 0));
  o->request_id = ll(r, i, 1);
  o->owner_id = ll(r, i, 2);
  o->patient_id = ll(r, i, 3);
  o->kind = sv(a, r, i, 4);
  o->filename = sv(a, r, i, 5);
  o->state = sv(a, r, i, 6);
  o->failure = sv(a, r, i, 7);
  o->length = strtoull(PQgetvalue(r, i, 8), NULL, 10);
  o->offset = strtoull(PQgetvalue(r, i, 9), NULL, 10);
  const char *sh = PQgetvalue(r, i, 10);
  if (*sh) {
    if (unhex(sh, o->sha256_expected, 32) != 0) return -1;
    o->has_sha256_expected = 1;
  }
  o->has_sealed_tail = !PQgetisnull(r, i, 11) && ll(r, i, 11) > 0; /* the bytes: uploads_read_tail */
  if (unhex(PQgetvalue(r, i, 12), o->file_id, BLOB_ID_LEN) != 0) return -1;
  if (unhex(PQgetvalue(r, i, 13), o->wrapped, BLOB_WRAPPED_LEN) != 0) return -1;
  o->kek_version = (uint32_t)strtoul(PQgetvalue(r, i, 14), NULL, 10);
  o->expires_at = ll(r, i, 15);
  o->expired = PQgetvalue(r, i, 16)[0] == 't';
  o->scan_pending = PQgetvalue(r, i, 18)[0] == 't';
  o->virus_name = sv(a, r, i, 19);
  const char *dh = PQgetvalue(r, i, 17);
  if (*dh) {
    size_t dl = strlen(dh) / 2;
    o->digest_state = arena_alloc(a, dl + 1);
    if (!o->digest_state || unhex(dh, o->digest_state, dl) != 0) return -1;
    o->digest_state_len = dl;
  }
  snprintf(o->blake2b_hex, sizeof o->blake2b_hex, "%s", PQgetvalue(r, i, 20));
  snprintf(o->sha256_hex, sizeof o->sha256_hex, "%s", PQgetvalue(r, i, 21));
  o->is_archive = PQgetvalue(r, i, 22)[0] == 't';
  o->digest_kind = (int)ll(r, i, 23);
  return 0;
}

enum err uploads_get(struct arena *a, const char *id, struct upload_row *out) {
  enum err e;
  const char *v[] = {id};
  PGresult *r = db_exec(a, "up_get", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  return fill_upload(a, r, 0, out) == 0 ? ERR_OK : ERR_INTERNAL;
}

enum err uploads_read_tail(struct arena *a, struct upload_row *u) {
  enum err e;
  const char *v[] = {u->id};
  u->sealed_tail = NULL;
  u->sealed_tail_len = 0;
  PGresult *r = db_exec_bin_result(a, "up_tail", 1, v, NULL, NULL, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  char off[24];
  int ol = PQgetlength(r, 0, 0);
  if (ol <= 0 || ol >= (int)sizeof off) return ERR_INTERNAL;
  memcpy(off, PQgetvalue(r, 0, 0), (size_t)ol);
  off[ol] = 0;
  if (strtoull(off, NULL, 10) != u->offset) return ERR_CONFLICT; /* committed past since u was read */
  size_t tl = (size_t)PQgetlength(r, 0, 1);
  if (tl) {
    u->sealed_tail = arena_alloc(a, tl);
    if (!u->sealed_tail) return ERR_INTERNAL;
    memcpy(u->sealed_tail, PQgetvalue(r, 0, 1), tl);
    u->sealed_tail_len = tl;
  }
  return ERR_OK;
}

enum err uploads_commit_offset(const char *id, uint64_t old_offset, uint64_t new_offset, const unsigned char *tail,
                               size_t tail_len, const unsigned char *digest_state, size_t digest_len,
                               int finalizing, long long lease_token, long long *expires_at) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  /* the tail (up to an object store part) and the digest state go in binary */
  const char *v[] = {id, arena_printf(a, "%llu", (unsigned long long)old_offset),
                     arena_printf(a, "%llu", (unsigned long long)new_offset), tail_len ? (const char *)tail : NULL,
                     finalizing ? "true" : "false",
                     digest_len ? (const char *)digest_state : NULL, lld(a, lease_token)};
  const int lens[] = {0, 0, 0, (int)tail_len, 0, (int)digest_len, 0}, fmts[] = {0, 0, 0, 1, 0, 1, 0};
  PGresult *r = db_exec_bin(a, "up_commit", 7, v, lens, fmts, &e);
  if (r && PQntuples(r) != 1) e = ERR_CONFLICT;
  if (r && PQntuples(r) == 1 && expires_at) *expires_at = ll(r, 0, 0);
  arena_free(a);
  return e;
}

enum err uploads_lease_take(const char *id, const char *owner, int seconds, long long *token) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  *token = 0;
  const char *v[] = {id, owner, arena_printf(a, "%d", seconds)};
  PGresult *r = db_exec(a, "up_lease_take", 3, v, &e);
  if (r && PQntuples(r) == 1) {
    if (!PQgetisnull(r, 0, 0))
      *token = ll(r, 0, 0);
    else
      e = PQgetvalue(r, 0, 1)[0] == 't' ? ERR_CONFLICT : ERR_NOT_FOUND;
  } else if (r) {
    e = ERR_INTERNAL;
  }
  arena_free(a);
  return e;
}

enum err uploads_lease_renew(const char *id, long long token, int seconds) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {id, lld(a, token), arena_printf(a, "%d", seconds)};
  PGresult *r = db_exec(a, "up_lease_renew", 3, v, &e);
  if (r && PQntuples(r) != 1) e = ERR_CONFLICT;
  arena_free(a);
  return e;
}

enum err uploads_lease_release(const char *id, long long token) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *v[] = {id, lld(a, token)};
  enum err e = exec_simple("up_lease_release", 2, v);
  arena_free(a);
  return e;
}

enum err uploads_set_state(const char *id, const char *state, const char *failure, const unsigned char blake2b[32],
                           const unsigned char sha256[32]) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {id, state, failure ? failure : "", blake2b ? hex(a, blake2b, 32) : "",
                     sha256 ? hex(a, sha256, 32) : ""};
  db_exec(a, "up_state", 5, v, &e);
  arena_free(a);
  return e;
}

enum err uploads_delete(const char *id) {
  const char *v[] = {id};
  return exec_simple("up_delete", 1, v);
}

enum err uploads_list_finalizing(struct arena *a, char ***ids, size_t *n) {
  enum err e;
  PGresult *r = db_exec(a, "up_finalizing", 0, NULL, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *ids = arena_alloc(a, (*n + 1) * sizeof **ids);
  if (!*ids) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) (*ids)[i] = (char *)sv(a, r, (int)i, 0);
  return ERR_OK;
}

/* Runs an upload listing statement into an array. */
static enum err list_uploads(struct arena *a, const char *stmt, int np, const char *const *v, struct upload_row **out,
                             size_t *n) {
  enum err e;
  PGresult *r = db_exec(a, stmt, np, v, &e);
  if (!r) return e;
  *n = 0;
  *out = arena_alloc(a, ((size_t)PQntuples(r) + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (int i = 0; i < PQntuples(r); i++)
    if (fill_upload(a, r, i, &(*out)[*n]) == 0) (*n)++;
  return ERR_OK;
}

enum err uploads_list_expired(struct arena *a, struct upload_row **out, size_t *n) {
  return list_uploads(a, "up_expired", 0, NULL, out, n);
}

enum err uploads_list_for_request(struct arena *a, long long request_id, struct upload_row **out, size_t *n) {
  const char *v[] = {lld(a, request_id)};
  return list_uploads(a, "up_for_request", 1, v, out, n);
}

enum err studies_upsert(struct arena *a, long long request_id, const char *study_uid, const char *date,
                        const char *description, const char *patient_name, const char *birth, long long *id) {
  enum err e;
  const char *v[] = {lld(a, request_id), study_uid, date, description, patient_name, birth};
  PGresult *r = db_exec(a, "st_upsert", 6, v, &e);
  if (!r) return e;
  *id = ll(r, 0, 0);
  return ERR_OK;
}

enum err series_upsert(struct arena *a, long long request_id, long long study_id, const char *series_uid,
                       const char *modality, const char *description, long long *id) {
  enum err e;
  const char *v[] = {lld(a, request_id), lld(a, study_id), series_uid, modality, description};
  PGresult *r = db_exec(a, "se_upsert", 5, v, &e);
  if (!r) return e;
  *id = ll(r, 0, 0);
  return ERR_OK;
}

enum err series_list(struct arena *a, long long request_id, struct series_row **out, size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "se_list", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t k = 0; k < *n; k++) {
    int i = (int)k;
    struct series_row *s = &(*out)[k];
    s->id = ll(r, i, 0);
    s->study_id = ll(r, i, 1);
    s->images = ll(r, i, 2);
    s->series_uid = sv(a, r, i, 3);
    s->modality = sv(a, r, i, 4);
    s->description = sv(a, r, i, 5);
    s->study_uid = sv(a, r, i, 6);
    s->study_date = sv(a, r, i, 7);
    s->study_description = sv(a, r, i, 8);
    s->patient_name = sv(a, r, i, 9);
    s->patient_birth_date = sv(a, r, i, 10);
    s->views = sv(a, r, i, 11);
  }
  return ERR_OK;
}

enum err series_delete(struct arena *a, long long request_id, long long series_id,
                       unsigned char (**file_ids)[BLOB_ID_LEN], size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id), lld(a, series_id)};
  PGresult *r = db_exec(a, "se_delete_docs", 2, v, &e);
  if (!r) return e;
  *n = 0;
  *file_ids = arena_alloc(a, ((size_t)PQntuples(r) + 1) * BLOB_ID_LEN);
  if (!*file_ids) return ERR_INTERNAL;
  for (int i = 0; i < PQntuples(r); i++)
    if (unhex(PQgetvalue(r, i, 0), (*file_ids)[*n], BLOB_ID_LEN) == 0) (*n)++;
  PGresult *r2 = db_exec(a, "se_delete", 2, v, &e);
  if (!r2) return e;
  if (strcmp(PQcmdTuples(r2), "1") != 0) return ERR_NOT_FOUND;
  return ERR_OK;
}

enum err studies_prune(long long request_id) {
  char b[32];
  snprintf(b, sizeof b, "%lld", request_id);
  const char *v[] = {b};
  return exec_simple("st_prune", 1, v);
}

enum err documents_insert(struct arena *a, const struct document_row *d, long long *id) {
  enum err e;
  const char *v[] = {lld(a, d->request_id),
                     d->upload_id ? d->upload_id : "",
                     d->kind,
                     d->original_name,
                     d->sniffed_type,
                     arena_printf(a, "%llu", (unsigned long long)d->size),
                     d->sha256 ? d->sha256 : "",
                     d->blake2b ? d->blake2b : "",
                     d->has_file ? hex(a, d->file_id, BLOB_ID_LEN) : "",
                     d->has_file ? hex(a, d->wrapped, BLOB_WRAPPED_LEN) : "",
                     arena_printf(a, "%u", d->has_file ? d->kek_version : 0),
                     d->skipped ? "true" : "false",
                     d->skip_reason ? d->skip_reason : "",
                     lld(a, d->series_id),
                     d->sop_instance_uid ? d->sop_instance_uid : "",
                     d->sop_class_uid ? d->sop_class_uid : "",
                     d->transfer_syntax ? d->transfer_syntax : "",
                     d->modality ? d->modality : "",
                     d->laterality ? d->laterality : "",
                     d->view_position ? d->view_position : "",
                     d->study_date ? d->study_date : "",
                     d->patient_name ? d->patient_name : "",
                     d->patient_birth_date ? d->patient_birth_date : "",
                     d->manufacturer ? d->manufacturer : "",
                     d->refused ? "true" : "false",
                     d->object_kind ? d->object_kind : "",
                     d->object_kind ? arena_printf(a, "%ld", d->frames) : "",
                     d->object_kind ? arena_printf(a, "%u", d->rows) : "",
                     d->object_kind ? arena_printf(a, "%u", d->columns) : "",
                     d->pixel_incomplete ? "true" : "false",
                     d->patient_sex ? d->patient_sex : "",
                     d->active_content ? d->active_content : "",
                     d->image_info ? d->image_info : "",
                     d->digest_kind == BLOB_DIGEST_KIND_RECORDS ? "2" : "1"};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    if (!v[i]) return ERR_INTERNAL;
  PGresult *r = db_exec(a, "dc_insert", 34, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_CONFLICT;
  *id = ll(r, 0, 0);
  return ERR_OK;
}

/* Fills a document from result row i. */
static void fill_doc(struct arena *a, PGresult *r, int i, struct document_row *d) {
  memset(d, 0, sizeof *d);
  d->id = ll(r, i, 0);
  d->request_id = ll(r, i, 1);
  d->series_id = ll(r, i, 2);
  d->upload_id = sv(a, r, i, 3);
  d->kind = sv(a, r, i, 4);
  d->original_name = sv(a, r, i, 5);
  d->sniffed_type = sv(a, r, i, 6);
  d->sha256 = sv(a, r, i, 7);
  d->blake2b = sv(a, r, i, 8);
  d->skip_reason = sv(a, r, i, 9);
  d->size = strtoull(PQgetvalue(r, i, 10), NULL, 10);
  d->skipped = PQgetvalue(r, i, 11)[0] == 't';
  d->has_file = unhex(PQgetvalue(r, i, 12), d->file_id, BLOB_ID_LEN) == 0 &&
                unhex(PQgetvalue(r, i, 13), d->wrapped, BLOB_WRAPPED_LEN) == 0;
  d->kek_version = (uint32_t)strtoul(PQgetvalue(r, i, 14), NULL, 10);
  d->refused = PQgetvalue(r, i, 15)[0] == 't';
  d->sop_instance_uid = sv(a, r, i, 16);
  d->sop_class_uid = sv(a, r, i, 17);
  d->transfer_syntax = sv(a, r, i, 18);
  d->modality = sv(a, r, i, 19);
  d->laterality = sv(a, r, i, 20);
  d->view_position = sv(a, r, i, 21);
  d->study_date = sv(a, r, i, 22);
  d->patient_name = sv(a, r, i, 23);
  d->patient_birth_date = sv(a, r, i, 24);
  d->manufacturer = sv(a, r, i, 25);
  d->created_at = sv(a, r, i, 26);
  d->active_content = sv(a, r, i, 27);
  d->object_kind = sv(a, r, i, 28);
  d->frames = strtol(PQgetvalue(r, i, 29), NULL, 10);
  d->rows = (unsigned)strtoul(PQgetvalue(r, i, 30), NULL, 10);
  d->columns = (unsigned)strtoul(PQgetvalue(r, i, 31), NULL, 10);
  d->pixel_incomplete = PQgetvalue(r, i, 32)[0] == 't';
  d->patient_sex = sv(a, r, i, 33);
  d->image_info = sv(a, r, i, 34);
  d->digest_kind = (int)ll(r, i, 35);
}

enum err documents_list(struct arena *a, long long request_id, struct document_row **out, size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "dc_list", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) fill_doc(a, r, (int)i, &(*out)[i]);
  return ERR_OK;
}

enum err documents_get(struct arena *a, long long id, struct document_row *out) {
  enum err e;
  const char *v[] = {lld(a, id)};
  PGresult *r = db_exec(a, "dc_get", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  fill_doc(a, r, 0, out);
  return ERR_OK;
}

enum err documents_delete(long long id) {
  char b[32];
  snprintf(b, sizeof b, "%lld", id);
  const char *v[] = {b};
  return exec_simple("dc_delete", 1, v);
}

enum err documents_set_image_info(long long id, const char *json) {
  char b[32];
  snprintf(b, sizeof b, "%lld", id);
  const char *v[] = {b, json};
  return exec_simple("dc_set_image_info", 2, v);
}

enum err documents_merge_image_info(long long id, const char *json) {
  char b[32];
  snprintf(b, sizeof b, "%lld", id);
  const char *v[] = {b, json};
  return exec_simple("dc_merge_image_info", 2, v);
}

enum err documents_file_refs(const unsigned char file_id[BLOB_ID_LEN], long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {hex(a, file_id, BLOB_ID_LEN)};
  PGresult *r = db_exec(a, "dc_file_refs", 1, v, &e);
  if (r) *n = ll(r, 0, 0);
  arena_free(a);
  return e;
}

enum err receipts_insert(long long request_id, const char *upload_id, const struct receipt_row *rc) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, request_id), upload_id ? upload_id : "", rc->filename, lld(a, rc->accepted),
                     lld(a, rc->images), lld(a, rc->duplicates), lld(a, rc->skipped), lld(a, rc->refused),
                     rc->message};
  db_exec(a, "rc_insert", 9, v, &e);
  arena_free(a);
  return e;
}

enum err receipts_list(struct arena *a, long long request_id, struct receipt_row **out, size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "rc_list", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t k = 0; k < *n; k++) {
    int i = (int)k;
    struct receipt_row *x = &(*out)[k];
    x->filename = sv(a, r, i, 0);
    x->message = sv(a, r, i, 1);
    x->created_at = sv(a, r, i, 2);
    x->accepted = ll(r, i, 3);
    x->images = ll(r, i, 4);
    x->duplicates = ll(r, i, 5);
    x->skipped = ll(r, i, 6);
    x->refused = ll(r, i, 7);
  }
  return ERR_OK;
}

enum err uploads_set_scan_pending(const char *id, int pending) {
  const char *v[] = {id, pending ? "true" : "false"};
  return exec_simple("up_scan_pending", 2, v);
}

enum err uploads_quarantine(const char *id, const char *failure, const char *virus) {
  const char *v[] = {id, failure, virus};
  return exec_simple("up_quarantine", 3, v);
}

enum err uploads_list_scan_waiting(struct arena *a, char ***ids, size_t *n) {
  enum err e;
  *n = 0;
  PGresult *r = db_exec(a, "up_scan_waiting", 0, NULL, &e);
  if (!r) return e;
  int rows = PQntuples(r);
  *ids = arena_alloc(a, sizeof **ids * (size_t)(rows ? rows : 1));
  if (!*ids) return ERR_INTERNAL;
  for (int i = 0; i < rows; i++) (*ids)[i] = (char *)sv(a, r, i, 0);
  *n = (size_t)rows;
  return ERR_OK;
}

enum err requests_lock_status(struct arena *a, long long id, const char **status) {
  enum err e;
  const char *v[] = {lld(a, id)};
  PGresult *r = db_exec(a, "rq_lock_status", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *status = sv(a, r, 0, 0);
  return *status ? ERR_OK : ERR_INTERNAL;
}

enum err uploads_set_checking(const char *id, int is_archive, const unsigned char blake2b[32],
                              const unsigned char *sha256, int digest_kind) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {id, is_archive ? "true" : "false", hex(a, blake2b, 32), sha256 ? hex(a, sha256, 32) : "",
                     digest_kind == BLOB_DIGEST_KIND_RECORDS ? "2" : "1"};
  PGresult *r = db_exec(a, "up_checking", 5, v, &e);
  if (r && strcmp(PQcmdTuples(r), "1") != 0) e = ERR_CONFLICT;
  arena_free(a);
  return e;
}

enum err uploads_usage(long long owner_id, long long request_id, struct upload_usage *out) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, owner_id), lld(a, request_id)};
  PGresult *r = db_exec(a, "up_usage", 2, v, &e);
  if (r) {
    if (PQntuples(r) == 1) {
      out->receiving = ll(r, 0, 0);
      out->bytes_day = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
      out->bytes_request = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
      out->archives = ll(r, 0, 3);
    } else {
      e = ERR_INTERNAL;
    }
  }
  arena_free(a);
  return e;
}

enum err uploads_archives_checking(long long owner_id, long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, owner_id)};
  PGresult *r = db_exec(a, "up_archives_checking", 1, v, &e);
  if (r) *n = PQntuples(r) == 1 ? ll(r, 0, 0) : 0;
  arena_free(a);
  return e;
}

enum err receipts_for_upload(struct arena *a, const char *upload_id, struct receipt_row *out) {
  enum err e;
  const char *v[] = {upload_id};
  PGresult *r = db_exec(a, "rc_for_upload", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  out->filename = sv(a, r, 0, 0);
  out->message = sv(a, r, 0, 1);
  out->created_at = sv(a, r, 0, 2);
  out->accepted = ll(r, 0, 3);
  out->images = ll(r, 0, 4);
  out->duplicates = ll(r, 0, 5);
  out->skipped = ll(r, 0, 6);
  out->refused = ll(r, 0, 7);
  return ERR_OK;
}

enum err uploads_checking_count(long long request_id, long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "up_checking_count", 1, v, &e);
  if (r) *n = PQntuples(r) == 1 ? ll(r, 0, 0) : 0;
  arena_free(a);
  return e;
}

enum err uploads_set_complete(const char *id) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {id};
  PGresult *r = db_exec(a, "up_complete", 1, v, &e);
  if (r && strcmp(PQcmdTuples(r), "1") != 0) e = ERR_CONFLICT;
  arena_free(a);
  return e;
}
