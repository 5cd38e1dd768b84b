/* SQL for caregiver links: see caregivers.h. */
#include "store/caregivers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

#define TS(n) "to_timestamp($" #n "::double precision)"
#define LINK_COLS                                                                                               \
  "l.id, l.patient_id, coalesce(l.caregiver_id, 0), coalesce(p.name, ''), coalesce(c.name, ''), "                \
  "l.invited_email, l.relationship, l.relationship_other, " TZ_SQL("l.created_at") ", " TZ_SQL("l.expires_at") \
  ", l.authority, l.accepted_at IS NOT NULL"
#define LINK_FROM " FROM caregiver_links l JOIN users p ON p.id = l.patient_id LEFT JOIN users c ON c.id = l.caregiver_id "

static const struct db_stmt stmts[] = {
    {"cg_invite",
     "INSERT INTO caregiver_links (patient_id, invited_email, relationship, relationship_other, token_hash, "
     "created_at, expires_at) VALUES ($1::bigint, $2, $3, $4, decode($5, 'hex'), " TS(6) ", " TS(7) ") RETURNING id"},
    {"cg_peek",
     "SELECT " LINK_COLS ", false" LINK_FROM
     "WHERE l.token_hash = decode($1, 'hex') AND l.caregiver_id IS NULL AND l.revoked_at IS NULL "
     "AND l.expires_at > " TS(2)},
    {"cg_accept",
     "UPDATE caregiver_links SET caregiver_id = $2::bigint, accepted_at = " TS(3) ", token_hash = NULL "
     "WHERE token_hash = decode($1, 'hex') AND caregiver_id IS NULL AND revoked_at IS NULL AND expires_at > " TS(3)
     " RETURNING id, patient_id"},
    {"cg_list_patient",
     "SELECT " LINK_COLS ", l.accepted_at IS NULL AND l.expires_at <= " TS(2) LINK_FROM
     "WHERE l.patient_id = $1::bigint AND l.revoked_at IS NULL ORDER BY l.id DESC LIMIT 100"},
    {"cg_list_caregiver",
     "SELECT " LINK_COLS ", false" LINK_FROM
     "WHERE l.caregiver_id = $1::bigint AND l.revoked_at IS NULL ORDER BY p.name, l.id LIMIT 100"},
    {"cg_revoke",
     "UPDATE caregiver_links SET revoked_at = " TS(3) ", revoked_by = $2::bigint, token_hash = NULL "
     "WHERE id = $1::bigint AND patient_id = $2::bigint AND revoked_at IS NULL RETURNING coalesce(caregiver_id, 0)"},
    {"cg_live",
     "SELECT " LINK_COLS ", false" LINK_FROM
     "WHERE l.patient_id = $1::bigint AND l.caregiver_id = $2::bigint AND l.revoked_at IS NULL"},
    {"cg_latest",
     "SELECT " LINK_COLS ", false" LINK_FROM
     "WHERE l.patient_id = $1::bigint AND l.caregiver_id = $2::bigint ORDER BY l.id DESC LIMIT 1"},
    {"cg_actions",
     /* caregivers' changes to the patient's requests: patient-side actors other than her */
     "SELECT a.actor_id, coalesce(r.id, 0), " TZ_SQL("a.at") ", a.action, coalesce(u.filename, d.original_name, ''), "
     "coalesce(r.reference, '') FROM audit_log a "
     "LEFT JOIN uploads u ON a.object_type = 'upload' AND u.id = a.object_id "
     "LEFT JOIN documents d ON d.id = CASE WHEN a.object_type = 'document' AND a.object_id ~ '^[0-9]{1,18}$' "
     "THEN a.object_id::bigint END "
     "LEFT JOIN requests r ON r.id = CASE WHEN a.object_type = 'request' AND a.object_id ~ '^[0-9]{1,18}$' "
     "THEN a.object_id::bigint ELSE coalesce(u.request_id, d.request_id) END "
     "WHERE a.patient_id = $1::bigint AND a.actor_role = 'patient' AND a.actor_id <> $1::bigint "
     "AND a.outcome = 'ok' AND a.action IN ('request.create', 'document.upload', 'authorization.sign', "
     "'authorization.revoke', 'request.submit', 'request.transition', 'document.delete', 'document.download', "
     "'request.download_zip') "
     "ORDER BY a.id DESC LIMIT $2::bigint"},
    {"cg_represent",
     "INSERT INTO caregiver_links (patient_id, caregiver_id, invited_email, relationship, relationship_other, "
     "created_at, expires_at, accepted_at, authority) VALUES ($1::bigint, $2::bigint, $3, $4, $5, " TS(6) ", " TS(6)
     ", " TS(6) ", $7) RETURNING id"},
    {"cg_authority",
     "SELECT l.id, l.caregiver_id, coalesce(l.authority_document_id, 0), "
     "coalesce((SELECT d.id FROM documents d JOIN requests r ON r.id = d.request_id WHERE r.patient_id = l.patient_id "
     "AND d.kind = 'authority_document' AND NOT d.skipped ORDER BY d.id DESC LIMIT 1), 0), "
     "coalesce((SELECT d.request_id FROM documents d JOIN requests r ON r.id = d.request_id WHERE r.patient_id = "
     "l.patient_id AND d.kind = 'authority_document' AND NOT d.skipped ORDER BY d.id DESC LIMIT 1), 0), "
     "c.name, l.relationship, l.relationship_other, l.authority, coalesce(l.authority_decision, ''), "
     "l.authority_reason, coalesce(" TZ_SQL("l.authority_decided_at") ", '') , l.revoked_at IS NOT NULL, "
     "l.ended_reason FROM caregiver_links l JOIN users c ON c.id = l.caregiver_id WHERE l.patient_id = $1::bigint "
     /* a live representation, else the newest ended one: an ended authority still stops acceptance */
     "AND l.authority <> 'patient_invitation' ORDER BY l.revoked_at IS NULL DESC, l.id DESC LIMIT 1"},
    {"cg_end",
     "UPDATE caregiver_links SET revoked_at = " TS(4) ", revoked_by = $2::bigint, ended_reason = $3, token_hash = NULL "
     "WHERE id = $1::bigint AND revoked_at IS NULL AND authority <> 'patient_invitation' RETURNING id"},
    {"cg_live_email",
     "SELECT 1 FROM caregiver_links l JOIN users c ON c.id = l.caregiver_id WHERE l.patient_id = $1::bigint "
     "AND lower(c.email) = lower($2) AND l.revoked_at IS NULL"},
    {"cg_authority_decide",
     "UPDATE caregiver_links l SET authority_decision = $3, authority_document_id = $2::bigint, authority_reason = $4, "
     "authority_decided_by = $5::bigint, authority_decided_at = " TS(6) " WHERE l.id = $1::bigint "
     "AND l.revoked_at IS NULL AND $2::bigint = (SELECT d.id FROM documents d JOIN requests r ON r.id = d.request_id "
     "WHERE r.patient_id = l.patient_id AND d.kind = 'authority_document' AND NOT d.skipped ORDER BY d.id DESC LIMIT 1) "
     "RETURNING l.id"},
    {"cg_signer_add",
     "INSERT INTO authorization_signers (authorization_id, signer_id, relationship, authority) "
     "VALUES ($1::bigint, $2::bigint, $3, $4)"},
    {"cg_signer_get",
     "SELECT u.name, s.relationship, s.authority FROM authorization_signers s JOIN users u ON u.id = s.signer_id "
     "WHERE s.authorization_id = $1::bigint"},
};

static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static void do_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }
void st_cg_register(void) { pthread_once(&reg_once, do_register); }

static const char *num(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static long long ll(const PGresult *r, int row, int col) { return strtoll(PQgetvalue(r, row, col), NULL, 10); }
static bool tf(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
static const char *sv(struct arena *a, const PGresult *r, int row, int col) {
  return arena_strdup(a, PQgetvalue(r, row, col));
}

/* Runs a statement; *out the result when it has at least one row. */
static enum err run(struct arena *a, const char *stmt, int n, const char *const *v, PGresult **out) {
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (!r) return e;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) return ERR_NOT_FOUND;
  if (out) *out = r;
  return ERR_OK;
}

static void link_from(struct arena *a, const PGresult *r, int i, struct st_cg_link *o) {
  o->id = ll(r, i, 0);
  o->patient_id = ll(r, i, 1);
  o->caregiver_id = ll(r, i, 2);
  o->patient_name = sv(a, r, i, 3);
  o->caregiver_name = sv(a, r, i, 4);
  o->invited_email = sv(a, r, i, 5);
  o->relationship = sv(a, r, i, 6);
  o->relationship_other = sv(a, r, i, 7);
  o->created_at = sv(a, r, i, 8);
  o->expires_at = sv(a, r, i, 9);
  o->authority = sv(a, r, i, 10);
  o->accepted = tf(r, i, 11);
  o->expired = tf(r, i, 12);
}

static enum err links(struct arena *a, const char *stmt, int np, const char *const *v, struct st_cg_link **rows,
                      size_t *n) {
  *n = 0;
  *rows = NULL;
  PGresult *r = NULL;
  enum err e = run(a, stmt, np, v, &r);
  if (e == ERR_NOT_FOUND) return ERR_OK;
  if (e != ERR_OK) return e;
  int k = PQntuples(r);
  *rows = arena_alloc(a, (size_t)k * sizeof **rows);
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < k; i++) link_from(a, r, i, &(*rows)[i]);
  *n = (size_t)k;
  return ERR_OK;
}

enum err st_cg_invite(struct arena *a, long long patient_id, const char *email, const char *relationship,
                      const char *other, const char *hash_hex, long long now, long long expires, long long *id) {
  const char *v[] = {num(a, patient_id), email, relationship, other, hash_hex, num(a, now), num(a, expires)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_invite", 7, v, &r);
  if (e == ERR_OK) *id = ll(r, 0, 0);
  return e;
}

enum err st_cg_peek(struct arena *a, const char *hash_hex, long long now, struct st_cg_link *out) {
  const char *v[] = {hash_hex, num(a, now)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_peek", 2, v, &r);
  if (e == ERR_OK) link_from(a, r, 0, out);
  return e;
}

enum err st_cg_accept(struct arena *a, const char *hash_hex, long long caregiver_id, long long now,
                      long long *link_id, long long *patient_id) {
  const char *v[] = {hash_hex, num(a, caregiver_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_accept", 3, v, &r);
  if (e == ERR_OK) {
    *link_id = ll(r, 0, 0);
    *patient_id = ll(r, 0, 1);
  }
  return e;
}

enum err st_cg_list_patient(struct arena *a, long long patient_id, long long now, struct st_cg_link **rows,
                            size_t *n) {
  const char *v[] = {num(a, patient_id), num(a, now)};
  return links(a, "cg_list_patient", 2, v, rows, n);
}

enum err st_cg_list_caregiver(struct arena *a, long long caregiver_id, struct st_cg_link **rows, size_t *n) {
  const char *v[] = {num(a, caregiver_id)};
  return links(a, "cg_list_caregiver", 1, v, rows, n);
}

enum err st_cg_revoke(struct arena *a, long long link_id, long long patient_id, long long now,
                      long long *caregiver_id) {
  const char *v[] = {num(a, link_id), num(a, patient_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_revoke", 3, v, &r);
  if (e == ERR_OK) *caregiver_id = ll(r, 0, 0);
  return e;
}

enum err st_cg_live(struct arena *a, long long patient_id, long long caregiver_id, struct st_cg_link *out) {
  const char *v[] = {num(a, patient_id), num(a, caregiver_id)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_live", 2, v, &r);
  if (e == ERR_OK) link_from(a, r, 0, out);
  return e;
}

enum err st_cg_latest(struct arena *a, long long patient_id, long long caregiver_id, struct st_cg_link *out) {
  const char *v[] = {num(a, patient_id), num(a, caregiver_id)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_latest", 2, v, &r);
  if (e == ERR_OK) link_from(a, r, 0, out);
  return e;
}

enum err st_cg_actions(struct arena *a, long long patient_id, long long limit, struct st_cg_action **rows,
                       size_t *n) {
  *n = 0;
  *rows = NULL;
  const char *v[] = {num(a, patient_id), num(a, limit)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_actions", 2, v, &r);
  if (e == ERR_NOT_FOUND) return ERR_OK;
  if (e != ERR_OK) return e;
  int k = PQntuples(r);
  *rows = arena_alloc(a, (size_t)k * sizeof **rows);
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < k; i++) {
    struct st_cg_action *o = &(*rows)[i];
    o->actor_id = ll(r, i, 0);
    o->request_id = ll(r, i, 1);
    o->at = sv(a, r, i, 2);
    o->action = sv(a, r, i, 3);
    o->file_name = sv(a, r, i, 4);
    o->reference = sv(a, r, i, 5);
  }
  *n = (size_t)k;
  return ERR_OK;
}

enum err st_cg_signer_add(struct arena *a, long long authorization_id, long long signer_id, const char *relationship,
                          const char *authority) {
  const char *v[] = {num(a, authorization_id), num(a, signer_id), relationship, authority};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "cg_signer_add", 4, v, &e);
  return r ? ERR_OK : e;
}

enum err st_cg_signer_get(struct arena *a, long long authorization_id, const char **name, const char **relationship,
                          const char **authority) {
  const char *v[] = {num(a, authorization_id)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_signer_get", 1, v, &r);
  if (e == ERR_OK) {
    *name = sv(a, r, 0, 0);
    *relationship = sv(a, r, 0, 1);
    *authority = sv(a, r, 0, 2);
  }
  return e;
}

enum err st_cg_represent(struct arena *a, long long patient_id, long long caregiver_id, const char *email,
                         const char *relationship, const char *other, const char *authority, long long now,
                         long long *link_id) {
  const char *v[] = {num(a, patient_id), num(a, caregiver_id), email, relationship, other, num(a, now), authority};
  PGresult *r = NULL;
  enum err e = run(a, "cg_represent", 7, v, &r);
  if (e == ERR_OK) *link_id = ll(r, 0, 0);
  return e;
}

enum err st_cg_authority(struct arena *a, long long patient_id, struct st_cg_authority *out) {
  const char *v[] = {num(a, patient_id)};
  PGresult *r = NULL;
  enum err e = run(a, "cg_authority", 1, v, &r);
  if (e != ERR_OK) return e;
  out->link_id = ll(r, 0, 0);
  out->caregiver_id = ll(r, 0, 1);
  out->decided_document_id = ll(r, 0, 2);
  out->newest_document_id = ll(r, 0, 3);
  out->newest_request_id = ll(r, 0, 4);
  out->caregiver_name = sv(a, r, 0, 5);
  out->relationship = sv(a, r, 0, 6);
  out->relationship_other = sv(a, r, 0, 7);
  out->authority = sv(a, r, 0, 8);
  out->decision = sv(a, r, 0, 9);
  out->reason = sv(a, r, 0, 10);
  out->decided_at = sv(a, r, 0, 11);
  out->ended = tf(r, 0, 12);
  out->ended_reason = sv(a, r, 0, 13);
  return ERR_OK;
}

enum err st_cg_end(struct arena *a, long long link_id, long long staff_id, const char *reason, long long now) {
  const char *v[] = {num(a, link_id), num(a, staff_id), reason, num(a, now)};
  return run(a, "cg_end", 4, v, NULL);
}

enum err st_cg_live_by_email(struct arena *a, long long patient_id, const char *email) {
  const char *v[] = {num(a, patient_id), email};
  return run(a, "cg_live_email", 2, v, NULL);
}

enum err st_cg_authority_decide(struct arena *a, long long link_id, long long document_id, const char *decision,
                                const char *reason, long long staff_id, long long now) {
  const char *v[] = {num(a, link_id), num(a, document_id), decision, reason, num(a, staff_id), num(a, now)};
  return run(a, "cg_authority_decide", 6, v, NULL);
}
