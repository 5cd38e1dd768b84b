/* SQL for the accounts hardening: see security.h. */
#include "store/security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

#define TS(n) "to_timestamp($" #n "::double precision)"

static const struct db_stmt stmts[] = {
    {"sec_mfa_ensure", "INSERT INTO mfa_failures (user_id) VALUES ($1::bigint) ON CONFLICT (user_id) DO NOTHING"},
    {"sec_mfa_lock_row",
     "SELECT failures, coalesce(extract(epoch FROM last_failure_at)::bigint, 0), locked_at IS NOT NULL"
     " FROM mfa_failures WHERE user_id = $1::bigint FOR UPDATE"},
    {"sec_mfa_get", "SELECT failures, locked_at IS NOT NULL FROM mfa_failures WHERE user_id = $1::bigint"},
    {"sec_mfa_count",
     "UPDATE mfa_failures SET failures = least(failures + 1, 1000000), last_failure_at = " TS(2)
     " WHERE user_id = $1::bigint RETURNING failures"},
    {"sec_mfa_set_locked",
     "UPDATE mfa_failures SET locked_at = " TS(2) " WHERE user_id = $1::bigint AND locked_at IS NULL"
     " AND failures >= $3::int"},
    {"sec_mfa_reset", "DELETE FROM mfa_failures WHERE user_id = $1::bigint"},
    {"sec_sessions_list",
     "SELECT id, " TZ_SQL("created_at") ","
     " " TZ_SQL("last_seen_at") ", ip, user_agent FROM sessions"
     " WHERE user_id = $1::bigint AND idle_expires_at > " TS(2) " AND absolute_expires_at > " TS(2)
     " ORDER BY last_seen_at DESC, id DESC LIMIT 200"},
    {"sec_session_delete_own", "DELETE FROM sessions WHERE id = $2::bigint AND user_id = $1::bigint"},
    {"sec_session_reauth_set", "UPDATE sessions SET reauth_at = " TS(2) " WHERE id = $1::bigint"},
    {"sec_session_reauth_get",
     "SELECT coalesce(extract(epoch FROM reauth_at)::bigint, 0) FROM sessions WHERE id = $1::bigint"},
    {"sec_stepup_failures",
     "WITH f AS (SELECT at FROM audit_log WHERE actor_id = $1::bigint AND at > now() - make_interval(secs => $2::int + $3::int)"
     "   AND action = 'account.stepup' AND outcome = 'denied' AND detail->>'reason' = 'credential'),"
     " newest AS (SELECT max(at) AS at FROM f)"
     " SELECT (SELECT count(*) FROM f, newest WHERE f.at >= newest.at - make_interval(secs => $2::int)),"
     " coalesce(ceil(extract(epoch FROM (SELECT at FROM newest) + make_interval(secs => $3::int) - now())), 0)::int"},
    {"sec_outbox_next_id", "SELECT nextval(pg_get_serial_sequence('outbox', 'id'))"},
    {"sec_outbox_add_sealed",
     "INSERT INTO outbox (id, recipient, subject, body, body_sealed, kind, user_id, client_ip) OVERRIDING SYSTEM VALUE"
     " VALUES ($1::bigint, $2, $3, NULL, decode($4, 'hex'), $5, nullif($6::bigint, 0), left($7, 64))"},
    {"sec_outbox_recent",
     "SELECT count(*) FILTER (WHERE $2::bigint <> 0 AND user_id = $2::bigint),"
     " count(*) FILTER (WHERE $3 <> '' AND client_ip = $3)"
     " FROM outbox WHERE kind = $1 AND created_at > now() - interval '1 hour'"
     " AND ((user_id = $2::bigint AND $2::bigint <> 0) OR (client_ip = $3 AND $3 <> ''))"},
    {"sec_plain_outbox",
     "SELECT id, body FROM outbox WHERE body IS NOT NULL AND sent_at IS NULL ORDER BY id LIMIT $1::bigint"},
    {"sec_plain_outbox_seal",
     "UPDATE outbox SET body_sealed = decode($2, 'hex'), body = NULL WHERE id = $1::bigint AND body IS NOT NULL"
     " AND sent_at IS NULL"},
    {"sec_plain_requests",
     "SELECT id, reason, array_to_json(questions)::text FROM requests WHERE reason <> '' OR cardinality(questions) > 0"
     " ORDER BY id LIMIT $1::bigint"},
    {"sec_plain_request_seal",
     "UPDATE requests SET reason_sealed = CASE WHEN $2 = '' THEN reason_sealed ELSE decode($2, 'hex') END,"
     " questions_sealed = CASE WHEN $3 = '' THEN questions_sealed ELSE decode($3, 'hex') END,"
     " reason = '', questions = '{}' WHERE id = $1::bigint"},
};

void store_security_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static const char *num(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static long long ll(const PGresult *r, int row, int col) { return strtoll(PQgetvalue(r, row, col), NULL, 10); }

/* Runs a statement; *out the result. */
static enum err run(struct arena *a, const char *stmt, int n, const char *const *v, PGresult **out) {
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (!r) return e;
  if (out) *out = r;
  return ERR_OK;
}

/* Runs a change; ERR_NOT_FOUND when no row changed. */
static enum err change(struct arena *a, const char *stmt, int n, const char *const *v) {
  PGresult *r = NULL;
  enum err e = run(a, stmt, n, v, &r);
  if (e != ERR_OK) return e;
  return strcmp(PQcmdTuples(r), "0") == 0 ? ERR_NOT_FOUND : ERR_OK;
}

enum err st_mfa_lock_row(struct arena *a, long long user_id, int *failures, long long *last, bool *locked) {
  const char *v[] = {num(a, user_id)};
  PGresult *r = NULL;
  enum err e = run(a, "sec_mfa_ensure", 1, v, NULL);
  if (e == ERR_OK) e = run(a, "sec_mfa_lock_row", 1, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  *failures = (int)ll(r, 0, 0);
  *last = ll(r, 0, 1);
  *locked = PQgetvalue(r, 0, 2)[0] == 't';
  return ERR_OK;
}

enum err st_mfa_get(struct arena *a, long long user_id, int *failures, bool *locked) {
  const char *v[] = {num(a, user_id)};
  PGresult *r = NULL;
  *failures = 0;
  *locked = false;
  enum err e = run(a, "sec_mfa_get", 1, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) == 1) {
    *failures = (int)ll(r, 0, 0);
    *locked = PQgetvalue(r, 0, 1)[0] == 't';
  }
  return ERR_OK;
}

enum err st_mfa_count(struct arena *a, long long user_id, long long now, int *failures) {
  const char *v[] = {num(a, user_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = run(a, "sec_mfa_count", 2, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *failures = (int)ll(r, 0, 0);
  return ERR_OK;
}

enum err st_mfa_set_locked(struct arena *a, long long user_id, long long now, int bound) {
  const char *v[] = {num(a, user_id), num(a, now), num(a, bound)};
  return change(a, "sec_mfa_set_locked", 3, v);
}

enum err st_mfa_reset(struct arena *a, long long user_id, bool *had) {
  const char *v[] = {num(a, user_id)};
  enum err e = change(a, "sec_mfa_reset", 1, v);
  if (had) *had = e == ERR_OK;
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err st_sessions_list(struct arena *a, long long user_id, long long now, struct st_session_row **rows, size_t *n) {
  const char *v[] = {num(a, user_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = run(a, "sec_sessions_list", 2, v, &r);
  if (e != ERR_OK) return e;
  int nt = PQntuples(r);
  *n = (size_t)nt;
  *rows = arena_alloc(a, sizeof **rows * (size_t)(nt ? nt : 1));
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < nt; i++)
    (*rows)[i] = (struct st_session_row){ll(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
                                         PQgetvalue(r, i, 4)};
  return ERR_OK;
}

enum err st_session_delete_own(struct arena *a, long long user_id, long long session_id) {
  const char *v[] = {num(a, user_id), num(a, session_id)};
  return change(a, "sec_session_delete_own", 2, v);
}

enum err st_session_reauth_set(struct arena *a, long long session_id, long long now) {
  const char *v[] = {num(a, session_id), num(a, now)};
  return change(a, "sec_session_reauth_set", 2, v);
}

enum err st_session_reauth_get(struct arena *a, long long session_id, long long *at) {
  const char *v[] = {num(a, session_id)};
  PGresult *r = NULL;
  *at = 0;
  enum err e = run(a, "sec_session_reauth_get", 1, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  *at = ll(r, 0, 0);
  return ERR_OK;
}

enum err st_stepup_failures(struct arena *a, long long user_id, int window_s, int lock_s, int *failures, int *wait_s) {
  const char *v[] = {num(a, user_id), num(a, window_s), num(a, lock_s)};
  PGresult *r = NULL;
  enum err e = run(a, "sec_stepup_failures", 3, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  long w = strtol(PQgetvalue(r, 0, 1), NULL, 10);
  *wait_s = w > 0 ? (int)w : 0;
  *failures = *wait_s > 0 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
  return ERR_OK;
}

enum err st_outbox_next_id(struct arena *a, long long *id) {
  PGresult *r = NULL;
  enum err e = run(a, "sec_outbox_next_id", 0, NULL, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  *id = ll(r, 0, 0);
  return ERR_OK;
}

enum err st_outbox_add_sealed(struct arena *a, long long id, const char *recipient, const char *subject,
                              const char *sealed_hex, const char *kind, long long user_id, const char *client_ip) {
  const char *v[] = {num(a, id), recipient, subject, sealed_hex, kind, num(a, user_id), client_ip ? client_ip : ""};
  return change(a, "sec_outbox_add_sealed", 7, v);
}

enum err st_outbox_recent(struct arena *a, const char *kind, long long user_id, const char *client_ip,
                          long long *for_user, long long *from_ip) {
  const char *v[] = {kind, num(a, user_id), client_ip ? client_ip : ""};
  PGresult *r = NULL;
  enum err e = run(a, "sec_outbox_recent", 3, v, &r);
  if (e != ERR_OK) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  *for_user = ll(r, 0, 0);
  *from_ip = ll(r, 0, 1);
  return ERR_OK;
}

/* Reads rows of (id, a[, b]) into st_plain_row. */
static enum err plain_rows(struct arena *a, const char *stmt, long long limit, int cols, struct st_plain_row **rows,
                           size_t *n) {
  const char *v[] = {num(a, limit)};
  PGresult *r = NULL;
  enum err e = run(a, stmt, 1, v, &r);
  if (e != ERR_OK) return e;
  int nt = PQntuples(r);
  *n = (size_t)nt;
  *rows = arena_alloc(a, sizeof **rows * (size_t)(nt ? nt : 1));
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < nt; i++)
    (*rows)[i] = (struct st_plain_row){ll(r, i, 0), PQgetvalue(r, i, 1), cols > 2 ? PQgetvalue(r, i, 2) : ""};
  return ERR_OK;
}

enum err st_plain_outbox(struct arena *a, long long limit, struct st_plain_row **rows, size_t *n) {
  return plain_rows(a, "sec_plain_outbox", limit, 2, rows, n);
}

enum err st_plain_outbox_seal(struct arena *a, long long id, const char *sealed_hex) {
  const char *v[] = {num(a, id), sealed_hex};
  enum err e = change(a, "sec_plain_outbox_seal", 2, v);
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err st_plain_requests(struct arena *a, long long limit, struct st_plain_row **rows, size_t *n) {
  return plain_rows(a, "sec_plain_requests", limit, 3, rows, n);
}

enum err st_plain_request_seal(struct arena *a, long long id, const char *reason_hex, const char *questions_hex) {
  const char *v[] = {num(a, id), reason_hex, questions_hex};
  return change(a, "sec_plain_request_seal", 3, v);
}
