/* SQL for the account tables: see accounts.h. */
#include "store/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

#define USER_COLS                                                                                         \
  "u.id, u.role, u.name, u.email, coalesce(to_char(u.date_of_birth, 'YYYY-MM-DD'), ''), "                \
  "coalesce(u.password_hash, ''), u.status = 'active', u.email_verified, u.totp_enabled, "                \
  "coalesce(encode(u.totp_secret_enc, 'hex'), ''), coalesce(u.totp_last_step, -1), "                      \
  "" TZ_SQL("u.created_at") ", u.time_zone"
#define USER_NCOLS 13
#define TS(n) "to_timestamp($" #n "::double precision)"

static const struct db_stmt stmts[] = {
    {"acct_user_by_email", "SELECT " USER_COLS " FROM users u WHERE lower(u.email) = lower($1)"},
    {"acct_user_by_id", "SELECT " USER_COLS " FROM users u WHERE u.id = $1::bigint"},
    {"acct_user_create",
     "INSERT INTO users (role, name, email, date_of_birth, password_hash, email_verified, created_at, updated_at) "
     "VALUES ($1, $2, $3, $4::date, $5, $6::boolean, " TS(7) ", " TS(7) ") RETURNING id"},
    {"acct_user_set_password", "UPDATE users SET password_hash = $2, updated_at = " TS(3) " WHERE id = $1::bigint"},
    {"acct_user_set_time_zone", "UPDATE users SET time_zone = $2, updated_at = now() WHERE id = $1::bigint"},
    {"acct_user_set_verified", "UPDATE users SET email_verified = true, updated_at = " TS(2) " WHERE id = $1::bigint"},
    {"acct_user_set_active",
     "UPDATE users SET status = CASE WHEN $2::boolean THEN 'active' ELSE 'disabled' END, updated_at = " TS(3)
     " WHERE id = $1::bigint"},
    {"acct_user_set_totp",
     "UPDATE users SET totp_secret_enc = decode($2, 'hex'), totp_enabled = $3::boolean, "
     "totp_last_step = nullif($4::bigint, -1), updated_at = " TS(5) " WHERE id = $1::bigint"},
    {"acct_user_clear_totp",
     "WITH d AS (DELETE FROM recovery_codes WHERE user_id = $1::bigint) "
     "UPDATE users SET totp_secret_enc = NULL, totp_enabled = false, totp_last_step = NULL, updated_at = " TS(2)
     " WHERE id = $1::bigint"},
    {"acct_user_advance_step",
     "UPDATE users SET totp_last_step = $2::bigint WHERE id = $1::bigint "
     "AND (totp_last_step IS NULL OR totp_last_step < $2::bigint)"},
    {"acct_users_list",
     "SELECT " USER_COLS ", count(*) OVER () FROM users u "
     "WHERE $1 = '' OR strpos(lower(u.email), lower($1)) > 0 OR strpos(lower(u.name), lower($1)) > 0 "
     "ORDER BY u.id DESC OFFSET $2::bigint LIMIT $3::bigint"},
    {"acct_users_count_role", "SELECT count(*) FROM users WHERE role = $1"},
    {"acct_session_create",
     "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, last_seen_at, idle_expires_at, "
     "absolute_expires_at, mfa_passed, ip, user_agent) VALUES ($1::bigint, decode($2, 'hex'), $3, " TS(4) ", " TS(4)
     ", " TS(5) ", " TS(6) ", $7::boolean, $8, left($9, 300)) RETURNING id"},
    {"acct_session_touch",
     "WITH s AS (UPDATE sessions s SET last_seen_at = " TS(2) ", idle_expires_at = least(s.absolute_expires_at, " TS(2)
     " + make_interval(secs => CASE WHEN u.role = 'patient' THEN $4::bigint ELSE $3::bigint END)) "
     "FROM users u WHERE s.token_hash = decode($1, 'hex') AND u.id = s.user_id AND u.status = 'active' "
     "AND s.idle_expires_at > " TS(2) " AND s.absolute_expires_at > " TS(2)
     " RETURNING s.id, s.user_id, s.csrf_token, extract(epoch FROM s.idle_expires_at)::bigint AS ie, "
     "extract(epoch FROM s.absolute_expires_at)::bigint AS ae, s.mfa_passed) "
     "SELECT s.id, s.user_id, s.csrf_token, s.ie, s.ae, s.mfa_passed, " USER_COLS
     " FROM s JOIN users u ON u.id = s.user_id"},
    {"acct_session_delete_hash",
     "DELETE FROM sessions s USING users u WHERE s.token_hash = decode($1, 'hex') AND u.id = s.user_id "
     "RETURNING s.user_id, u.role, (s.idle_expires_at <= " TS(2) " OR s.absolute_expires_at <= " TS(2) ")"},
    {"acct_session_delete", "DELETE FROM sessions WHERE id = $1::bigint"},
    {"acct_sessions_delete_user", "DELETE FROM sessions WHERE user_id = $1::bigint AND id <> $2::bigint"},
    {"acct_session_rotate",
     "UPDATE sessions SET token_hash = decode($2, 'hex'), csrf_token = $3, mfa_passed = $4::boolean "
     "WHERE id = $1::bigint"},
    {"acct_sessions_count", "SELECT count(*) FROM sessions WHERE user_id = $1::bigint"},
    {"acct_throttle_get",
     "SELECT failures, coalesce(extract(epoch FROM last_failure_at)::bigint, 0) FROM login_throttle "
     "WHERE kind = $1 AND key = $2"},
    {"acct_throttle_fail",
     "INSERT INTO login_throttle AS t (kind, key, failures, last_failure_at) VALUES ($1, $2, 1, " TS(3) ") "
     "ON CONFLICT (kind, key) DO UPDATE SET failures = least(t.failures + 1, 1000000), last_failure_at = " TS(3)
     " RETURNING failures"},
    {"acct_throttle_reset", "DELETE FROM login_throttle WHERE kind = $1 AND key = $2"},
    {"acct_token_create",
     "INSERT INTO one_time_tokens (user_id, purpose, token_hash, created_at, expires_at) "
     "VALUES ($1::bigint, $2, decode($3, 'hex'), " TS(4) ", " TS(5) ")"},
    {"acct_token_peek",
     "SELECT user_id FROM one_time_tokens WHERE purpose = $1 AND token_hash = decode($2, 'hex') "
     "AND used_at IS NULL AND expires_at > " TS(3)},
    {"acct_token_use",
     "UPDATE one_time_tokens SET used_at = " TS(3) " WHERE purpose = $1 AND token_hash = decode($2, 'hex') "
     "AND used_at IS NULL AND expires_at > " TS(3) " RETURNING user_id"},
    {"acct_tokens_retire",
     "UPDATE one_time_tokens SET used_at = " TS(3) " WHERE user_id = $1::bigint AND purpose = $2 AND used_at IS NULL"},
    {"acct_recovery_delete", "DELETE FROM recovery_codes WHERE user_id = $1::bigint"},
    {"acct_recovery_add",
     "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1::bigint, decode(h, 'hex') "
     "FROM unnest($2::text[]) AS h"},
    {"acct_recovery_list",
     "SELECT id, encode(code_hash, 'hex') FROM recovery_codes WHERE user_id = $1::bigint AND used_at IS NULL "
     "ORDER BY id"},
    {"acct_recovery_use",
     "UPDATE recovery_codes SET used_at = " TS(2) " WHERE id = $1::bigint AND used_at IS NULL"},
    {"acct_outbox_add", "INSERT INTO outbox (recipient, subject, body) VALUES ($1, $2, $3) RETURNING id"},
    {"acct_outbox_pending",
     "SELECT id, recipient, subject, coalesce(body, ''), to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
     "attempts, coalesce(encode(body_sealed, 'hex'), '') FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1::bigint"},
};

void st_accounts_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

/* Decimal text of v in the arena (NULL when out of memory). */
static const char *num(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }

static long long ll(const PGresult *r, int row, int col) { return strtoll(PQgetvalue(r, row, col), NULL, 10); }
static bool tf(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
/* A column's text: borrowed from the PGresult, which lives as long as the arena. */
static const char *tx(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col); }

/* Fills a user from USER_COLS starting at column c. */
static void user_from(const PGresult *r, int row, int c, struct st_user *u) {
  u->id = ll(r, row, c);
  u->role = tx(r, row, c + 1);
  u->name = tx(r, row, c + 2);
  u->email = tx(r, row, c + 3);
  u->dob = tx(r, row, c + 4);
  u->password_hash = tx(r, row, c + 5);
  u->active = tf(r, row, c + 6);
  u->email_verified = tf(r, row, c + 7);
  u->totp_enabled = tf(r, row, c + 8);
  u->totp_secret_hex = tx(r, row, c + 9);
  u->totp_last_step = ll(r, row, c + 10);
  u->created_at = tx(r, row, c + 11);
  u->time_zone = tx(r, row, c + 12);
}

/* Runs a statement expecting one row or none: ERR_NOT_FOUND when none. */
static enum err one(struct arena *a, const char *stmt, int n, const char *const *v, PGresult **out) {
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (!r) return e;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) return ERR_NOT_FOUND;
  if (PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(r), "0") == 0) return ERR_NOT_FOUND;
  *out = r;
  return ERR_OK;
}

/* Runs a statement that changes rows; ERR_NOT_FOUND when it changed none. */
static enum err change(struct arena *a, const char *stmt, int n, const char *const *v) {
  PGresult *r = NULL;
  return one(a, stmt, n, v, &r);
}

enum err st_user_by_email(struct arena *a, const char *email, struct st_user *out) {
  const char *v[] = {email};
  PGresult *r = NULL;
  enum err e = one(a, "acct_user_by_email", 1, v, &r);
  if (e == ERR_OK) user_from(r, 0, 0, out);
  return e;
}

enum err st_user_by_id(struct arena *a, long long id, struct st_user *out) {
  const char *v[] = {num(a, id)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_user_by_id", 1, v, &r);
  if (e == ERR_OK) user_from(r, 0, 0, out);
  return e;
}

enum err st_user_create(struct arena *a, const char *role, const char *name, const char *email, const char *dob,
                        const char *hash, bool verified, long long now, long long *id) {
  const char *v[] = {role, name, email, dob, hash, verified ? "true" : "false", num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_user_create", 7, v, &r);
  if (e == ERR_OK) *id = ll(r, 0, 0);
  return e;
}

enum err st_user_set_password(struct arena *a, long long id, const char *hash, long long now) {
  const char *v[] = {num(a, id), hash, num(a, now)};
  return change(a, "acct_user_set_password", 3, v);
}

enum err st_user_set_time_zone(struct arena *a, long long id, const char *zone) {
  const char *v[] = {num(a, id), zone};
  return change(a, "acct_user_set_time_zone", 2, v);
}

enum err st_user_set_verified(struct arena *a, long long id, long long now) {
  const char *v[] = {num(a, id), num(a, now)};
  return change(a, "acct_user_set_verified", 2, v);
}

enum err st_user_set_active(struct arena *a, long long id, bool active, long long now) {
  const char *v[] = {num(a, id), active ? "true" : "false", num(a, now)};
  return change(a, "acct_user_set_active", 3, v);
}

enum err st_user_set_totp(struct arena *a, long long id, const char *sealed_hex, bool enabled, long long last_step,
                          long long now) {
  const char *v[] = {num(a, id), sealed_hex, enabled ? "true" : "false", num(a, last_step), num(a, now)};
  return change(a, "acct_user_set_totp", 5, v);
}

enum err st_user_clear_totp(struct arena *a, long long id, long long now) {
  const char *v[] = {num(a, id), num(a, now)};
  return change(a, "acct_user_clear_totp", 2, v);
}

enum err st_user_advance_step(struct arena *a, long long id, long long step) {
  const char *v[] = {num(a, id), num(a, step)};
  enum err e = change(a, "acct_user_advance_step", 2, v);
  return e == ERR_NOT_FOUND ? ERR_CONFLICT : e;
}

enum err st_users_list(struct arena *a, const char *q, long long offset, long long limit, struct st_user **rows,
                       size_t *n, long long *total) {
  const char *v[] = {q, num(a, offset), num(a, limit)};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "acct_users_list", 3, v, &e);
  if (!r) return e;
  int nt = PQntuples(r);
  *n = (size_t)nt;
  *total = 0;
  *rows = arena_alloc(a, sizeof **rows * (size_t)(nt ? nt : 1));
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < nt; i++) {
    user_from(r, i, 0, &(*rows)[i]);
    *total = ll(r, i, USER_NCOLS);
  }
  return ERR_OK;
}

enum err st_users_count_role(struct arena *a, const char *role, long long *count) {
  const char *v[] = {role};
  PGresult *r = NULL;
  enum err e = one(a, "acct_users_count_role", 1, v, &r);
  if (e == ERR_OK) *count = ll(r, 0, 0);
  return e;
}

enum err st_session_create(struct arena *a, long long user_id, const char *token_hash_hex, const char *csrf,
                           long long now, long long idle_exp, long long abs_exp, bool mfa_passed, const char *ip,
                           const char *ua, long long *id) {
  const char *v[] = {num(a, user_id), token_hash_hex, csrf, num(a, now), num(a, idle_exp), num(a, abs_exp),
                     mfa_passed ? "true" : "false", ip ? ip : "", ua ? ua : ""};
  PGresult *r = NULL;
  enum err e = one(a, "acct_session_create", 9, v, &r);
  if (e == ERR_OK) *id = ll(r, 0, 0);
  return e;
}

enum err st_session_touch(struct arena *a, const char *token_hash_hex, long long now, long long idle_center,
                          long long idle_patient, struct st_session *out) {
  const char *v[] = {token_hash_hex, num(a, now), num(a, idle_center), num(a, idle_patient)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_session_touch", 4, v, &r);
  if (e != ERR_OK) return e;
  out->id = ll(r, 0, 0);
  out->user_id = ll(r, 0, 1);
  out->csrf = tx(r, 0, 2);
  out->idle_expires = ll(r, 0, 3);
  out->absolute_expires = ll(r, 0, 4);
  out->mfa_passed = tf(r, 0, 5);
  user_from(r, 0, 6, &out->user);
  return ERR_OK;
}

enum err st_session_delete_hash(struct arena *a, const char *token_hash_hex, long long now, long long *user_id,
                                const char **role, int *expired) {
  const char *v[] = {token_hash_hex, num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_session_delete_hash", 2, v, &r);
  if (e != ERR_OK) return e;
  *user_id = ll(r, 0, 0);
  *role = tx(r, 0, 1);
  *expired = tf(r, 0, 2);
  return ERR_OK;
}

enum err st_session_delete(struct arena *a, long long id) {
  const char *v[] = {num(a, id)};
  return change(a, "acct_session_delete", 1, v);
}

enum err st_sessions_delete_user(struct arena *a, long long user_id, long long keep_id, long long *n) {
  const char *v[] = {num(a, user_id), num(a, keep_id)};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "acct_sessions_delete_user", 2, v, &e);
  if (!r) return e;
  if (n) *n = strtoll(PQcmdTuples(r), NULL, 10);
  return ERR_OK;
}

enum err st_session_rotate(struct arena *a, long long id, const char *token_hash_hex, const char *csrf,
                           bool mfa_passed) {
  const char *v[] = {num(a, id), token_hash_hex, csrf, mfa_passed ? "true" : "false"};
  return change(a, "acct_session_rotate", 4, v);
}

enum err st_sessions_count(struct arena *a, long long user_id, long long *n) {
  const char *v[] = {num(a, user_id)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_sessions_count", 1, v, &r);
  if (e == ERR_OK) *n = ll(r, 0, 0);
  return e;
}

enum err st_throttle_get(struct arena *a, const char *kind, const char *key, int *failures, long long *last) {
  const char *v[] = {kind, key};
  PGresult *r = NULL;
  *failures = 0;
  *last = 0;
  enum err e = one(a, "acct_throttle_get", 2, v, &r);
  if (e == ERR_NOT_FOUND) return ERR_OK;
  if (e != ERR_OK) return e;
  *failures = (int)ll(r, 0, 0);
  *last = ll(r, 0, 1);
  return ERR_OK;
}

enum err st_throttle_fail(struct arena *a, const char *kind, const char *key, long long now, int *failures) {
  const char *v[] = {kind, key, num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_throttle_fail", 3, v, &r);
  if (e == ERR_OK && failures) *failures = (int)ll(r, 0, 0);
  return e;
}

enum err st_throttle_reset(struct arena *a, const char *kind, const char *key) {
  const char *v[] = {kind, key};
  enum err e = change(a, "acct_throttle_reset", 2, v);
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err st_token_create(struct arena *a, long long user_id, const char *purpose, const char *hash_hex, long long now,
                         long long expires) {
  const char *v[] = {num(a, user_id), purpose, hash_hex, num(a, now), num(a, expires)};
  return change(a, "acct_token_create", 5, v);
}

enum err st_token_peek(struct arena *a, const char *purpose, const char *hash_hex, long long now, long long *user_id) {
  const char *v[] = {purpose, hash_hex, num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_token_peek", 3, v, &r);
  if (e == ERR_OK) *user_id = ll(r, 0, 0);
  return e;
}

enum err st_token_use(struct arena *a, const char *purpose, const char *hash_hex, long long now, long long *user_id) {
  const char *v[] = {purpose, hash_hex, num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "acct_token_use", 3, v, &r);
  if (e == ERR_OK) *user_id = ll(r, 0, 0);
  return e;
}

enum err st_tokens_retire(struct arena *a, long long user_id, const char *purpose, long long now) {
  const char *v[] = {num(a, user_id), purpose, num(a, now)};
  enum err e = change(a, "acct_tokens_retire", 3, v);
  return e == ERR_NOT_FOUND ? ERR_OK : e;
}

enum err st_recovery_replace(struct arena *a, long long user_id, const char *const *hashes_hex, size_t n) {
  const char *v[] = {num(a, user_id)};
  enum err e = ERR_OK;
  if (!db_exec(a, "acct_recovery_delete", 1, v, &e)) return e;
  /* a PostgreSQL text[] literal of hex strings (no quoting needed) */
  size_t cap = 3 + n * 66;
  char *arr = arena_alloc(a, cap);
  if (!arr) return ERR_INTERNAL;
  size_t off = 0;
  arr[off++] = '{';
  for (size_t i = 0; i < n; i++) {
    int w = snprintf(arr + off, cap - off, "%s%s", i ? "," : "", hashes_hex[i]);
    if (w < 0 || (size_t)w >= cap - off) return ERR_INTERNAL;
    off += (size_t)w;
  }
  arr[off++] = '}';
  arr[off] = '\0';
  const char *v2[] = {num(a, user_id), arr};
  if (!db_exec(a, "acct_recovery_add", 2, v2, &e)) return e;
  return ERR_OK;
}

enum err st_recovery_list(struct arena *a, long long user_id, long long **ids, const char ***hashes_hex, size_t *n) {
  const char *v[] = {num(a, user_id)};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "acct_recovery_list", 1, v, &e);
  if (!r) return e;
  int nt = PQntuples(r);
  *n = (size_t)nt;
  *ids = arena_alloc(a, sizeof **ids * (size_t)(nt ? nt : 1));
  *hashes_hex = arena_alloc(a, sizeof **hashes_hex * (size_t)(nt ? nt : 1));
  if (!*ids || !*hashes_hex) return ERR_INTERNAL;
  for (int i = 0; i < nt; i++) {
    (*ids)[i] = ll(r, i, 0);
    (*hashes_hex)[i] = tx(r, i, 1);
  }
  return ERR_OK;
}

enum err st_recovery_use(struct arena *a, long long id, long long now) {
  const char *v[] = {num(a, id), num(a, now)};
  return change(a, "acct_recovery_use", 2, v);
}

enum err st_outbox_add(struct arena *a, const char *recipient, const char *subject, const char *body, long long *id) {
  const char *v[] = {recipient, subject, body};
  PGresult *r = NULL;
  enum err e = one(a, "acct_outbox_add", 3, v, &r);
  if (e == ERR_OK && id) *id = ll(r, 0, 0);
  return e;
}

enum err st_outbox_pending(struct arena *a, long long limit, struct st_outbox_msg **rows, size_t *n) {
  const char *v[] = {num(a, limit)};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "acct_outbox_pending", 1, v, &e);
  if (!r) return e;
  int nt = PQntuples(r);
  *n = (size_t)nt;
  *rows = arena_alloc(a, sizeof **rows * (size_t)(nt ? nt : 1));
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < nt; i++) {
    (*rows)[i] = (struct st_outbox_msg){ll(r, i, 0), tx(r, i, 1), tx(r, i, 2), tx(r, i, 3), tx(r, i, 4),
                                        (int)ll(r, i, 5), tx(r, i, 6)};
  }
  return ERR_OK;
}
