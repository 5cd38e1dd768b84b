/* SQL for "Send to our PACS" (store/pacs.h). */
#include "store/pacs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

/* The instances of a request (one per SOP Instance UID: the first document holding it), of one
 * study when $2 is not NULL. */
#define SEND_INSTANCES                                                                             \
  "SELECT DISTINCT ON (d.sop_instance_uid) d.id, d.sop_instance_uid FROM documents d "              \
  "JOIN series se ON se.id = d.series_id JOIN studies st ON st.id = se.study_id "                   \
  "WHERE d.request_id = $1 AND NOT d.skipped AND d.file_id IS NOT NULL AND d.sop_instance_uid IS NOT NULL " \
  "AND ($2::bigint IS NULL OR st.id = $2::bigint) ORDER BY d.sop_instance_uid, d.id"

static const struct db_stmt stmts[] = {
    {"ps_dest_list",
     "SELECT id, name, base_url, auth, username, secret_sealed IS NOT NULL AS has_secret, ca_pem <> '' AS has_ca, "
     "enabled, " TZ_SQL("updated_at") " AS updated_at FROM pacs_destinations "
     "WHERE enabled OR NOT $1::boolean ORDER BY lower(name), id"},
    {"ps_dest_get",
     "SELECT id, name, base_url, auth, username, coalesce(encode(secret_sealed, 'hex'), '') AS secret, ca_pem, enabled, "
     "secret_sealed IS NOT NULL AS has_secret FROM pacs_destinations WHERE id = $1"},
    {"ps_dest_next_id", "SELECT nextval('pacs_destinations_id_seq')"},
    {"ps_dest_insert",
     "INSERT INTO pacs_destinations (id, name, base_url, auth, username, secret_sealed, ca_pem) "
     "VALUES ($1, $2, $3, $4, $5, decode(nullif($6, ''), 'hex'), $7)"},
    {"ps_dest_update",
     "UPDATE pacs_destinations SET name = $2, base_url = $3, auth = $4, username = $5, "
     "secret_sealed = CASE WHEN $6::text IS NULL THEN secret_sealed ELSE decode(nullif($6, ''), 'hex') END, "
     "ca_pem = $7, updated_at = now() WHERE id = $1"},
    {"ps_dest_enable", "UPDATE pacs_destinations SET enabled = $2, updated_at = now() WHERE id = $1"},
    {"ps_dest_delete", "DELETE FROM pacs_destinations WHERE id = $1"},
    {"ps_send_insert",
     "INSERT INTO pacs_sends (request_id, study_uid, destination_id, destination_name, sender_id, total) "
     "SELECT $1, (SELECT st.study_uid FROM studies st WHERE st.id = $2::bigint AND st.request_id = $1), $3, $4, $5, 0 "
     "WHERE $2::bigint IS NULL OR EXISTS (SELECT 1 FROM studies st WHERE st.id = $2::bigint AND st.request_id = $1) "
     "RETURNING id"},
    {"ps_send_fill",
     "WITH ins AS (INSERT INTO pacs_send_items (send_id, document_id, sop_uid) "
     "SELECT $3, x.id, x.sop_instance_uid FROM (" SEND_INSTANCES ") x RETURNING 1) "
     "UPDATE pacs_sends SET total = (SELECT count(*) FROM ins) WHERE id = $3 RETURNING total"},
    {"ps_send_drop", "DELETE FROM pacs_sends WHERE id = $1"},
    {"ps_send_get",
     "SELECT s.id, s.request_id, coalesce(s.study_uid, '') AS study_uid, s.state, s.total, s.destination_name, "
     "coalesce(s.destination_id::text, '') AS dest_id, coalesce(s.sender_id, 0) AS sender_id, "
     "coalesce(u.role, '') AS sender_role, r.patient_id, "
     "coalesce(d.base_url, '') AS dest_url, coalesce(d.auth, '') AS dest_auth, coalesce(d.username, '') AS dest_user, "
     "coalesce(encode(d.secret_sealed, 'hex'), '') AS dest_secret, coalesce(d.ca_pem, '') AS dest_ca, "
     "coalesce(d.enabled, false) AS dest_enabled "
     "FROM pacs_sends s JOIN requests r ON r.id = s.request_id LEFT JOIN pacs_destinations d ON d.id = s.destination_id "
     "LEFT JOIN users u ON u.id = s.sender_id WHERE s.id = $1"},
    {"ps_send_state",
     "UPDATE pacs_sends SET state = $2, failure = $3, updated_at = now(), "
     "finished_at = CASE WHEN $2 IN ('done', 'failed', 'stopped') THEN now() END WHERE id = $1"},
    {"ps_request_gate",
     "SELECT r.status, (NOT EXISTS (SELECT 1 FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NULL) "
     "AND EXISTS (SELECT 1 FROM authorizations au WHERE au.request_id = r.id AND au.revoked_at IS NOT NULL)) AS revoked "
     "FROM requests r WHERE r.id = $1 FOR SHARE OF r"},
    {"ps_dest_lock", "SELECT id FROM pacs_destinations WHERE id = $1 FOR UPDATE"},
    {"ps_dest_busy",
     "SELECT count(*) AS n FROM pacs_sends WHERE destination_id = $1 AND state IN ('queued', 'sending', 'retrying')"},
    {"ps_send_pending",
     "SELECT d.id, d.request_id, r.patient_id, d.sop_instance_uid, coalesce(d.sop_class_uid, ''), "
     "coalesce(d.transfer_syntax, ''), coalesce(d.blake2b, ''), encode(d.file_id, 'hex'), "
     "coalesce(encode(d.wrapped_dek, 'hex'), ''), coalesce(d.kek_version, 0), d.size "
     "FROM pacs_send_items i JOIN documents d ON d.id = i.document_id JOIN requests r ON r.id = d.request_id "
     "WHERE i.send_id = $1 AND i.outcome IS NULL AND d.file_id IS NOT NULL ORDER BY i.document_id LIMIT $2"},
    {"ps_item_set",
     "UPDATE pacs_send_items SET outcome = $3, reason = nullif($4, '')::integer, answered_at = now() "
     "WHERE send_id = $1 AND document_id = $2"},
    {"ps_send_counts",
     "SELECT count(*) AS total, count(outcome) AS answered, count(*) FILTER (WHERE outcome = 'referenced') AS referenced, "
     "count(*) FILTER (WHERE outcome = 'warning') AS warning, count(*) FILTER (WHERE outcome = 'failed') AS failed "
     "FROM pacs_send_items WHERE send_id = $1"},
    {"ps_sends_of_request",
     "SELECT s.id, coalesce(s.study_uid, '') AS study_uid, s.destination_name, s.state, s.total, "
     "coalesce(s.failure, '') AS failure, coalesce(u.name, '') AS sender, " TZ_SQL("s.created_at") " AS created_at, "
     "coalesce(" TZ_SQL("s.finished_at") ", '') AS finished_at, "
     "coalesce((SELECT " TZ_SQL("j.run_after") " FROM jobs j WHERE j.kind = 'pacs_send' AND j.payload = s.id::text "
     "  AND j.state = 'queued' ORDER BY j.id DESC LIMIT 1), '') AS next_try_at, "
     "(SELECT count(outcome) FROM pacs_send_items i WHERE i.send_id = s.id) AS answered, "
     "(SELECT count(*) FROM pacs_send_items i WHERE i.send_id = s.id AND i.outcome IN ('referenced', 'warning')) AS stored, "
     "(SELECT count(*) FROM pacs_send_items i WHERE i.send_id = s.id AND i.outcome = 'failed') AS failed, "
     "coalesce((SELECT st.study_date FROM studies st WHERE st.request_id = s.request_id AND st.study_uid = s.study_uid), '') "
     "AS study_date "
     "FROM pacs_sends s LEFT JOIN users u ON u.id = s.sender_id WHERE s.request_id = $1 ORDER BY s.id DESC LIMIT 50"},
    {"ps_send_items",
     "SELECT i.sop_uid, coalesce(i.outcome, '') AS outcome, coalesce(i.reason::text, '') AS reason, "
     "coalesce(se.modality, '') AS modality, coalesce(se.description, '') AS series "
     "FROM pacs_send_items i JOIN documents d ON d.id = i.document_id LEFT JOIN series se ON se.id = d.series_id "
     "WHERE i.send_id = $1 ORDER BY i.document_id LIMIT 2000"},
};

void pacs_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

/* Runs a statement; its rows as a rowset when out is not NULL. ERR_NOT_FOUND when a statement
 * without rows touched none. */
static enum err run(struct arena *a, const char *stmt, int n, const char *const *vals, struct rowset *out) {
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, stmt, n, vals, &e);
  if (!res) return e;
  if (!out) {
    const char *t = PQcmdTuples(res);
    return (t && strcmp(t, "0") == 0) ? ERR_NOT_FOUND : ERR_OK;
  }
  out->n = (size_t)PQntuples(res);
  out->ncol = (size_t)PQnfields(res);
  out->names = arena_alloc(a, (out->ncol + 1) * sizeof *out->names);
  out->v = arena_alloc(a, (out->n * out->ncol + 1) * sizeof *out->v);
  if (!out->names || !out->v) return ERR_INTERNAL;
  for (size_t c = 0; c < out->ncol; c++) out->names[c] = PQfname(res, (int)c);
  for (size_t i = 0; i < out->n; i++)
    for (size_t c = 0; c < out->ncol; c++) out->v[i * out->ncol + c] = PQgetvalue(res, (int)i, (int)c);
  return ERR_OK;
}

static const char *lld(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }

enum err ps_dest_list(struct arena *a, bool enabled_only, struct rowset *out) {
  const char *v[] = {enabled_only ? "true" : "false"};
  return run(a, "ps_dest_list", 1, v, out);
}

enum err ps_dest_get(struct arena *a, long long id, struct rowset *out) {
  const char *v[] = {lld(a, id)};
  enum err e = run(a, "ps_dest_get", 1, v, out);
  return e == ERR_OK && out->n == 0 ? ERR_NOT_FOUND : e;
}

enum err ps_dest_next_id(struct arena *a, long long *id) {
  struct rowset rs;
  enum err e = run(a, "ps_dest_next_id", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  *id = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  return *id > 0 ? ERR_OK : ERR_INTERNAL;
}

enum err ps_dest_put(struct arena *a, bool insert, long long id, const char *name, const char *base_url, const char *auth,
                     const char *username, const char *secret_hex, const char *ca_pem) {
  const char *v[] = {lld(a, id), name, base_url, auth, username, secret_hex, ca_pem};
  return run(a, insert ? "ps_dest_insert" : "ps_dest_update", 7, v, NULL);
}

enum err ps_dest_enable(struct arena *a, long long id, bool enabled) {
  const char *v[] = {lld(a, id), enabled ? "true" : "false"};
  return run(a, "ps_dest_enable", 2, v, NULL);
}

enum err ps_dest_delete(struct arena *a, long long id) {
  const char *v[] = {lld(a, id)};
  return run(a, "ps_dest_delete", 1, v, NULL);
}

enum err ps_send_create(struct arena *a, long long request_id, long long study_id, long long dest_id,
                        const char *dest_name, long long sender_id, long long *id, long long *total) {
  struct rowset rs;
  const char *study_uid = study_id > 0 ? lld(a, study_id) : NULL;
  const char *v[] = {lld(a, request_id), study_uid, lld(a, dest_id), dest_name, lld(a, sender_id)};
  enum err e = run(a, "ps_send_insert", 5, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n != 1) return ERR_GONE; /* no such study in the request */
  *id = strtoll(rs.v[0], NULL, 10);
  const char *f[] = {v[0], study_uid, lld(a, *id)};
  if ((e = run(a, "ps_send_fill", 3, f, &rs)) != ERR_OK) return e;
  *total = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  if (*total > 0) return ERR_OK;
  const char *d[] = {f[2]};
  e = run(a, "ps_send_drop", 1, d, NULL);
  return e == ERR_OK ? ERR_NOT_FOUND : e;
}

enum err ps_send_get(struct arena *a, long long id, struct rowset *out) {
  const char *v[] = {lld(a, id)};
  enum err e = run(a, "ps_send_get", 1, v, out);
  return e == ERR_OK && out->n == 0 ? ERR_NOT_FOUND : e;
}

enum err ps_request_gate(struct arena *a, long long request_id, const char **status, bool *revoked) {
  const char *v[] = {lld(a, request_id)};
  struct rowset rs;
  enum err e = run(a, "ps_request_gate", 1, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n != 1) return ERR_NOT_FOUND;
  *status = rs_get(&rs, 0, "status");
  *revoked = rs_bool(&rs, 0, "revoked");
  return ERR_OK;
}

enum err ps_dest_busy(struct arena *a, long long dest_id, long long *n) {
  const char *v[] = {lld(a, dest_id)};
  struct rowset rs;
  /* the row lock waits for a send being started (its insert holds a key-share lock on the row);
   * the count, a statement of its own, then sees it */
  enum err e = run(a, "ps_dest_lock", 1, v, &rs);
  if (e != ERR_OK) return e;
  if (rs.n != 1) return ERR_NOT_FOUND;
  e = run(a, "ps_dest_busy", 1, v, &rs);
  if (e != ERR_OK) return e;
  *n = rs.n == 1 ? rs_ll(&rs, 0, "n") : 0;
  return ERR_OK;
}

enum err ps_send_state(struct arena *a, long long id, const char *state, const char *failure) {
  const char *v[] = {lld(a, id), state, failure};
  return run(a, "ps_send_state", 3, v, NULL);
}

static int unhex(const char *h, unsigned char *out, size_t n) {
  size_t bl = 0;
  if (strlen(h) != 2 * n) return -1;
  return sodium_hex2bin(out, n, h, 2 * n, NULL, &bl, NULL) == 0 && bl == n ? 0 : -1;
}

enum err ps_send_pending(struct arena *a, long long id, size_t max, struct dw_instance_row **out, size_t *n) {
  struct rowset rs;
  const char *v[] = {lld(a, id), lld(a, (long long)max)};
  enum err e = run(a, "ps_send_pending", 2, v, &rs);
  if (e != ERR_OK) return e;
  *n = rs.n;
  *out = arena_alloc(a, (rs.n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < rs.n; i++) {
    const char **c = &rs.v[i * rs.ncol];
    struct dw_instance_row *r = &(*out)[i];
    memset(r, 0, sizeof *r);
    r->doc = strtoll(c[0], NULL, 10);
    r->request_id = strtoll(c[1], NULL, 10);
    r->patient_id = strtoll(c[2], NULL, 10);
    r->sop_uid = c[3];
    r->sop_class_uid = c[4];
    /* each part goes as plain application/dicom: the file's meta header names its transfer
     * syntax, and a PACS (Orthanc 1.x) may skip a part whose type carries parameters */
    r->tsyntax = "";
    (void)c[5];
    r->blake2b = c[6];
    if (unhex(c[7], r->file_id, BLOB_ID_LEN) != 0 || unhex(c[8], r->wrapped, BLOB_WRAPPED_LEN) != 0)
      return ERR_INTERNAL;
    r->kek_version = (uint32_t)strtoul(c[9], NULL, 10);
    r->size = strtoull(c[10], NULL, 10);
    r->study_uid = r->series_uid = r->attrs = r->modality = r->study_date = r->patient_name = "";
    r->study_description = r->series_description = "";
    r->pixel_offset = r->pixel_length = -1;
  }
  return ERR_OK;
}

enum err ps_item_set(struct arena *a, long long send_id, long long doc, const char *outcome, int reason) {
  const char *v[] = {lld(a, send_id), lld(a, doc), outcome, reason >= 0 ? lld(a, reason) : ""};
  return run(a, "ps_item_set", 4, v, NULL);
}

enum err ps_send_counts(struct arena *a, long long id, struct rowset *out) {
  const char *v[] = {lld(a, id)};
  return run(a, "ps_send_counts", 1, v, out);
}

enum err ps_sends_of_request(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[] = {lld(a, request_id)};
  return run(a, "ps_sends_of_request", 1, v, out);
}

enum err ps_send_items(struct arena *a, long long send_id, struct rowset *out) {
  const char *v[] = {lld(a, send_id)};
  return run(a, "ps_send_items", 1, v, out);
}
