/* SQL for personal access tokens: see tokens.h. */
#include "store/tokens.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

#define TS(n) "to_timestamp($" #n "::double precision)"
/* instants leave the store in the wire form; the page shows them in the reader's zone */
#define MINUTE(col) TZ_SQL(col)

static const struct db_stmt stmts[] = {
    {"tok_count_live",
     "SELECT count(*) FROM access_tokens WHERE user_id = $1::bigint AND revoked_at IS NULL AND expires_at > " TS(2)},
    {"tok_create",
     "INSERT INTO access_tokens (user_id, label, token_hash, can_store, created_at, expires_at) "
     "VALUES ($1::bigint, $2, decode($3, 'hex'), $4::boolean, " TS(5) ", " TS(6) ") RETURNING id"},
    {"tok_list",
     "SELECT id, label, " MINUTE("created_at") ", " MINUTE("expires_at") ", coalesce(" MINUTE("last_used_at")
     ", ''), can_store, expires_at <= " TS(2) " FROM access_tokens "
     "WHERE user_id = $1::bigint AND revoked_at IS NULL ORDER BY id DESC LIMIT 200"},
    {"tok_revoke",
     "UPDATE access_tokens SET revoked_at = " TS(3) " WHERE id = $2::bigint AND user_id = $1::bigint "
     "AND revoked_at IS NULL RETURNING label"},
    {"tok_revoke_user",
     "WITH r AS (UPDATE access_tokens SET revoked_at = " TS(2) " WHERE user_id = $1::bigint AND revoked_at IS NULL "
     "RETURNING 1) SELECT count(*) FROM r"},
    {"tok_use",
     "WITH t AS (UPDATE access_tokens t SET last_used_at = " TS(2) ", last_used_ip = left($3, 48) FROM users u "
     "WHERE t.token_hash = decode($1, 'hex') AND u.id = t.user_id AND u.status = 'active' "
     "AND t.revoked_at IS NULL AND t.expires_at > " TS(2) " RETURNING t.id, t.user_id, t.label, t.can_store, "
     "encode(t.token_hash, 'hex') AS h) "
     "SELECT t.id, t.user_id, t.h, t.label, t.can_store, u.role, u.email, u.name FROM t JOIN users u ON u.id = t.user_id"},
    {"tok_refusal",
     "SELECT t.id, t.user_id, CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= " TS(2)
     " THEN 'expired' ELSE 'account_disabled' END FROM access_tokens t WHERE t.token_hash = decode($1, 'hex')"},
};

void st_pat_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static const char *num(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static long long ll(const PGresult *r, int row, int col) { return strtoll(PQgetvalue(r, row, col), NULL, 10); }
static bool tf(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
static const char *tx(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col); }

/* Runs a statement expecting one row or none: ERR_NOT_FOUND when none. */
static enum err one(struct arena *a, const char *stmt, int n, const char *const *v, PGresult **out) {
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (!r) return e;
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) return ERR_NOT_FOUND;
  *out = r;
  return ERR_OK;
}

enum err st_pat_count_live(struct arena *a, long long user_id, long long now, long long *n) {
  const char *v[] = {num(a, user_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "tok_count_live", 2, v, &r);
  if (e == ERR_OK) *n = ll(r, 0, 0);
  return e;
}

enum err st_pat_create(struct arena *a, long long user_id, const char *label, const char *hash_hex, bool can_store,
                         long long now, long long expires, long long *id) {
  const char *v[] = {num(a, user_id), label, hash_hex, can_store ? "true" : "false", num(a, now), num(a, expires)};
  PGresult *r = NULL;
  enum err e = one(a, "tok_create", 6, v, &r);
  if (e == ERR_OK) *id = ll(r, 0, 0);
  return e;
}

enum err st_pat_revoke_user(struct arena *a, long long user_id, long long now, long long *n) {
  const char *v[] = {num(a, user_id), num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "tok_revoke_user", 2, v, &r);
  if (e == ERR_OK) *n = ll(r, 0, 0);
  return e;
}

enum err st_pat_list(struct arena *a, long long user_id, long long now, struct st_pat **rows, size_t *n) {
  const char *v[] = {num(a, user_id), num(a, now)};
  enum err e = ERR_OK;
  PGresult *r = db_exec(a, "tok_list", 2, v, &e);
  if (!r) return e;
  int k = PQntuples(r);
  *n = 0;
  *rows = arena_alloc(a, (size_t)(k ? k : 1) * sizeof **rows);
  if (!*rows) return ERR_INTERNAL;
  for (int i = 0; i < k; i++) {
    struct st_pat *t = &(*rows)[i];
    memset(t, 0, sizeof *t);
    t->id = ll(r, i, 0);
    t->user_id = user_id;
    t->label = tx(r, i, 1);
    t->created = tx(r, i, 2);
    t->expires = tx(r, i, 3);
    t->last_used = tx(r, i, 4);
    t->can_store = tf(r, i, 5);
    t->expired = tf(r, i, 6);
  }
  *n = (size_t)k;
  return ERR_OK;
}

enum err st_pat_revoke(struct arena *a, long long user_id, long long id, long long now, const char **label) {
  const char *v[] = {num(a, user_id), num(a, id), num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "tok_revoke", 3, v, &r);
  if (e == ERR_OK) *label = tx(r, 0, 0);
  return e;
}

enum err st_pat_touch(struct arena *a, const char *hash_hex, long long now, const char *ip, struct st_pat_use *out) {
  const char *v[] = {hash_hex, num(a, now), ip ? ip : ""};
  PGresult *r = NULL;
  enum err e = one(a, "tok_use", 3, v, &r);
  if (e != ERR_OK) return e;
  out->id = ll(r, 0, 0);
  out->user_id = ll(r, 0, 1);
  out->hash_hex = tx(r, 0, 2);
  out->label = tx(r, 0, 3);
  out->can_store = tf(r, 0, 4);
  out->role = tx(r, 0, 5);
  out->email = tx(r, 0, 6);
  out->name = tx(r, 0, 7);
  return ERR_OK;
}

enum err st_pat_refusal(struct arena *a, const char *hash_hex, long long now, long long *id, long long *user_id,
                          const char **reason) {
  const char *v[] = {hash_hex, num(a, now)};
  PGresult *r = NULL;
  enum err e = one(a, "tok_refusal", 2, v, &r);
  if (e != ERR_OK) return e;
  *id = ll(r, 0, 0);
  *user_id = ll(r, 0, 1);
  *reason = tx(r, 0, 2);
  return ERR_OK;
}
