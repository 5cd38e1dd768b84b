/* SQL for the audit trail: appending chained rows, reading them back for
 * verification, searches and exports. The users table (migration 0003) is
 * only ever LEFT JOINed, for names: audit rows outlive their users. */
#include "store/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/log.h"
#include "util/tz.h"

/* Arbitrary constant advisory lock key that serialises appends to the chain. */
#define AUDIT_CHAIN_LOCK "7306517040102"

#define AUDIT_COLS                                                                                         \
  "a.id, a.at_us, a.actor_id, a.actor_role, a.action, a.object_type, a.object_id, a.patient_id, "          \
  "a.outcome, a.ip, a.request_id, a.detail::text, encode(a.prev_hash, 'hex'), encode(a.hash, 'hex'), "     \
  "(a.at = timestamptz 'epoch' + a.at_us * interval '1 microsecond'), "                                    \
  "to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"

/* $1 actor id, $2 actor e-mail, $3 patient id, $4 action (prefix when it
 * ends with '.'), $5 object type, $6 object id, $7 from, $8 before (instants:
 * the start of the first day and of the day after the last, in the reader's
 * zone, computed in C). NULL matches everything. */
#define AUDIT_FILTER                                                                                   \
  " FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id"                                           \
  " WHERE ($1::bigint IS NULL OR a.actor_id = $1::bigint)"                                             \
  " AND ($2::text IS NULL OR lower(u.email) = lower($2::text))"                                        \
  " AND ($3::bigint IS NULL OR a.patient_id = $3::bigint)"                                             \
  " AND ($4::text IS NULL OR a.action = $4::text OR (right($4::text, 1) = '.' AND starts_with(a.action, $4::text)))" \
  " AND ($5::text IS NULL OR a.object_type = $5::text)"                                                \
  " AND ($6::text IS NULL OR a.object_id = $6::text)"                                                  \
  " AND ($7::timestamptz IS NULL OR a.at >= $7::timestamptz)"                                          \
  " AND ($8::timestamptz IS NULL OR a.at < $8::timestamptz)"

static const struct db_stmt audit_stmts[] = {
    {"audit_lock", "SELECT pg_advisory_xact_lock(" AUDIT_CHAIN_LOCK ")"},
    {"audit_head",
     "SELECT encode((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), 'hex'),"
     " nextval('audit_log_id_seq'), $1::jsonb::text"},
    {"audit_insert",
     "INSERT INTO audit_log (id, at, at_us, actor_id, actor_role, action, object_type, object_id,"
     " patient_id, outcome, ip, request_id, detail, prev_hash, hash)"
     " VALUES ($1::bigint, timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $2::bigint,"
     " $3::bigint, $4, $5, $6, $7, $8::bigint, $9, $10, $11, $12::jsonb,"
     " decode($13::text, 'hex'), decode($14::text, 'hex'))"},
    {"audit_chain_page",
     "SELECT " AUDIT_COLS ", NULL::text, NULL::text FROM audit_log a"
     " WHERE a.id > $1::bigint ORDER BY a.id LIMIT $2::int"},
    {"audit_search",
     "SELECT " AUDIT_COLS ", u.name, u.email, count(*) OVER ()" AUDIT_FILTER
     " ORDER BY a.id DESC OFFSET $9::bigint LIMIT $10::int"},
    {"audit_export",
     "SELECT " AUDIT_COLS ", u.name, u.email" AUDIT_FILTER " AND a.id > $9::bigint ORDER BY a.id LIMIT $10::int"},
    {"audit_count", "SELECT count(*)" AUDIT_FILTER},
    {"audit_head_row", "SELECT id, encode(hash, 'hex') FROM audit_log ORDER BY id DESC LIMIT 1"},
    {"audit_hash_at", "SELECT encode(hash, 'hex') FROM audit_log WHERE id = $1::bigint"},
    {"audit_for_patient",
     "SELECT " AUDIT_COLS ", u.name, u.email FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id"
     " WHERE a.patient_id = $1::bigint ORDER BY a.id DESC LIMIT $2::int"},
};

void audit_store_register(void) { db_register(audit_stmts, sizeof audit_stmts / sizeof audit_stmts[0]); }

enum audit_tx audit_store_tx_state(void) {
  PGconn *c = db_conn();
  if (!c) return AUDIT_TX_NONE;
  switch (PQtransactionStatus(c)) {
    case PQTRANS_IDLE:
      return AUDIT_TX_IDLE;
    case PQTRANS_INTRANS:
      return AUDIT_TX_OPEN;
    case PQTRANS_INERROR:
      return AUDIT_TX_FAILED;
    case PQTRANS_ACTIVE:
    case PQTRANS_UNKNOWN:
      return AUDIT_TX_NONE;
  }
  return AUDIT_TX_NONE;
}

/* Decodes 64 hex digits into 32 bytes; 0, or -1 when malformed. */
static int hex32(const char *hex, unsigned char out[32]) {
  size_t len = 0;
  if (!hex || strlen(hex) != 64) return -1;
  if (sodium_hex2bin(out, 32, hex, 64, NULL, &len, NULL) != 0 || len != 32) return -1;
  return 0;
}

enum err audit_store_prepare_append(struct arena *a, const char *detail_json, long long *id, bool *has_prev,
                                    unsigned char prev[32], const char **detail_norm) {
  /* the lock, then the head read under it: one round trip */
  const char *vals[1] = {detail_json};
  struct db_call calls[2] = {{"audit_lock", 0, NULL, NULL, false}, {"audit_head", 1, vals, NULL, false}};
  enum err e = db_pipeline(a, calls, 2);
  if (e != ERR_OK) return e;
  PGresult *res = calls[1].res;
  if (PQntuples(res) != 1) return ERR_INTERNAL;
  *has_prev = !PQgetisnull(res, 0, 0);
  if (*has_prev && hex32(PQgetvalue(res, 0, 0), prev) != 0) {
    LOG_E("audit_log: the last row's hash is malformed");
    return ERR_INTERNAL;
  }
  if (!*has_prev) memset(prev, 0, 32);
  *id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
  *detail_norm = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
  return ERR_OK;
}

/* Runs the insert, then COMMIT in the same round trip when commit is set. */
static enum err insert_row(const struct audit_entry *en, bool commit) {
  char id[24], at[24], actor[24], patient[24], prev[65], hash[65];
  snprintf(id, sizeof id, "%lld", en->id);
  snprintf(at, sizeof at, "%lld", en->at_us);
  snprintf(actor, sizeof actor, "%lld", en->actor_id);
  snprintf(patient, sizeof patient, "%lld", en->patient_id);
  sodium_bin2hex(prev, sizeof prev, en->prev_hash, 32);
  sodium_bin2hex(hash, sizeof hash, en->hash, 32);
  const char *vals[14] = {
      id,          at,          en->has_actor_id ? actor : NULL, en->actor_role, en->action,
      en->object_type, en->object_id, en->has_patient_id ? patient : NULL, en->outcome, en->ip,
      en->request_id,  en->detail,    en->has_prev ? prev : NULL,           hash,
  };
  enum err e;
  if (!commit) {
    PGresult *res = db_exec(NULL, "audit_insert", 14, vals, &e);
    PQclear(res);
    return e;
  }
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  struct db_call calls[2] = {{"audit_insert", 14, vals, NULL, false}, {"COMMIT", 0, NULL, NULL, true}};
  e = db_pipeline(a, calls, 2);
  arena_free(a);
  return e;
}

enum err audit_store_insert(const struct audit_entry *en) { return insert_row(en, false); }

enum err audit_store_insert_commit(const struct audit_entry *en) { return insert_row(en, true); }

/* Copies row i of a result made with AUDIT_COLS (+ name, email at 16, 17)
 * into *en; strings point into the result, which the arena owns. 0, or -1
 * when a hash is malformed. */
static int fill_entry(PGresult *res, int i, struct audit_entry *en) {
#define TEXT(col) (PQgetisnull(res, i, (col)) ? NULL : PQgetvalue(res, i, (col)))
  memset(en, 0, sizeof *en);
  en->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
  en->at_us = strtoll(PQgetvalue(res, i, 1), NULL, 10);
  en->has_actor_id = !PQgetisnull(res, i, 2);
  if (en->has_actor_id) en->actor_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
  en->actor_role = TEXT(3);
  en->action = TEXT(4);
  en->object_type = TEXT(5);
  en->object_id = TEXT(6);
  en->has_patient_id = !PQgetisnull(res, i, 7);
  if (en->has_patient_id) en->patient_id = strtoll(PQgetvalue(res, i, 7), NULL, 10);
  en->outcome = TEXT(8);
  en->ip = TEXT(9);
  en->request_id = TEXT(10);
  en->detail = TEXT(11);
  en->has_prev = !PQgetisnull(res, i, 12);
  int rc = 0;
  if (en->has_prev && hex32(PQgetvalue(res, i, 12), en->prev_hash) != 0) rc = -1;
  if (hex32(TEXT(13), en->hash) != 0) rc = -1;
  en->at_matches = strcmp(PQgetvalue(res, i, 14), "t") == 0;
  en->at_text = TEXT(15);
  en->actor_name = TEXT(16);
  en->actor_email = TEXT(17);
#undef TEXT
  return rc;
}

/* Turns every row of res into an arena array of entries. */
static enum err fill_all(struct arena *a, PGresult *res, struct audit_entry **out, size_t *n) {
  int rows = PQntuples(res);
  *out = NULL;
  *n = 0;
  if (rows == 0) return ERR_OK;
  struct audit_entry *v = arena_alloc(a, (size_t)rows * sizeof *v);
  if (!v) return ERR_INTERNAL;
  /* a malformed stored hash is left as zeros, which then fails verification */
  for (int i = 0; i < rows; i++) (void)fill_entry(res, i, &v[i]);
  *out = v;
  *n = (size_t)rows;
  return ERR_OK;
}

enum err audit_store_chain_page(struct arena *a, long long after_id, int limit, struct audit_entry **out, size_t *n) {
  char after[24], lim[16];
  snprintf(after, sizeof after, "%lld", after_id);
  snprintf(lim, sizeof lim, "%d", limit);
  const char *vals[2] = {after, lim};
  enum err e;
  PGresult *res = db_exec(a, "audit_chain_page", 2, vals, &e);
  if (!res) return e;
  return fill_all(a, res, out, n);
}

/* The instant a day (YYYY-MM-DD, plus `later` days) starts in zone tz, in
 * the wire form; NULL when there is no date. */
static const char *day_start(char out[21], const char *date, const char *tz, int later) {
  if (!date || !date[0]) return NULL;
  int y = (int)strtol(date, NULL, 10), m = (int)strtol(date + 5, NULL, 10), d = (int)strtol(date + 8, NULL, 10);
  if (strlen(date) != 10) return NULL;
  tz_civil_from_days(tz_days_from_civil(y, m, d) + later, &y, &m, &d);
  const struct tz *z = tz_get(tz && *tz ? tz : TZ_DEFAULT);
  if (!z) z = tz_get(TZ_DEFAULT);
  int64_t t = 0;
  if (tz_from_local(z, y, m, d, 0, 0, &t) < 0) return NULL;
  tz_wire(out, t);
  return out;
}

/* The eight filter parameters ($1..$8) as text; buffers supplied by the caller. */
static void filter_params(const struct audit_filter *f, const char **vals, char actor[24], char patient[24],
                          char from[21], char before[21]) {
  snprintf(actor, 24, "%lld", f->actor_id);
  snprintf(patient, 24, "%lld", f->patient_id);
  vals[0] = f->actor_id ? actor : NULL;
  vals[1] = f->actor_email && f->actor_email[0] ? f->actor_email : NULL;
  vals[2] = f->patient_id ? patient : NULL;
  vals[3] = f->action && f->action[0] ? f->action : NULL;
  vals[4] = f->object_type && f->object_type[0] ? f->object_type : NULL;
  vals[5] = f->object_id && f->object_id[0] ? f->object_id : NULL;
  vals[6] = day_start(from, f->since, f->tz, 0);
  vals[7] = day_start(before, f->until, f->tz, 1);
}

enum err audit_store_search(struct arena *a, const struct audit_filter *f, long long offset, int limit,
                            struct audit_entry **out, size_t *n, long long *total) {
  char from[21], before[21];
  char actor[24], patient[24], off[24], lim[16];
  const char *vals[10];
  filter_params(f, vals, actor, patient, from, before);
  snprintf(off, sizeof off, "%lld", offset);
  snprintf(lim, sizeof lim, "%d", limit);
  vals[8] = off;
  vals[9] = lim;
  enum err e;
  PGresult *res = db_exec(a, "audit_search", 10, vals, &e);
  if (!res) return e;
  *total = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 18), NULL, 10) : 0;
  return fill_all(a, res, out, n);
}

enum err audit_store_export_page(struct arena *a, const struct audit_filter *f, long long after_id, int limit,
                                 struct audit_entry **out, size_t *n) {
  char from[21], before[21];
  char actor[24], patient[24], after[24], lim[16];
  const char *vals[10];
  filter_params(f, vals, actor, patient, from, before);
  snprintf(after, sizeof after, "%lld", after_id);
  snprintf(lim, sizeof lim, "%d", limit);
  vals[8] = after;
  vals[9] = lim;
  enum err e;
  PGresult *res = db_exec(a, "audit_export", 10, vals, &e);
  if (!res) return e;
  return fill_all(a, res, out, n);
}

enum err audit_store_count(struct arena *a, const struct audit_filter *f, long long *count) {
  char from[21], before[21];
  char actor[24], patient[24];
  const char *vals[8];
  filter_params(f, vals, actor, patient, from, before);
  enum err e;
  PGresult *res = db_exec(a, "audit_count", 8, vals, &e);
  if (!res) return e;
  *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  return ERR_OK;
}

enum err audit_store_for_patient(struct arena *a, long long patient_id, int limit, struct audit_entry **out,
                                 size_t *n) {
  char pid[24], lim[16];
  snprintf(pid, sizeof pid, "%lld", patient_id);
  snprintf(lim, sizeof lim, "%d", limit);
  const char *vals[2] = {pid, lim};
  enum err e;
  PGresult *res = db_exec(a, "audit_for_patient", 2, vals, &e);
  if (!res) return e;
  return fill_all(a, res, out, n);
}

enum err audit_store_head(long long *id, unsigned char hash[32], bool *found) {
  enum err e;
  *found = false;
  PGresult *res = db_exec(NULL, "audit_head_row", 0, NULL, &e);
  if (!res) return e;
  if (PQntuples(res) == 1) {
    char *end = NULL;
    *id = strtoll(PQgetvalue(res, 0, 0), &end, 10);
    if (!end || *end || hex32(PQgetvalue(res, 0, 1), hash) != 0) e = ERR_INTERNAL;
    else *found = true;
  }
  PQclear(res);
  return e;
}

enum err audit_store_hash_at(long long id, unsigned char hash[32], bool *found) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *vals[1] = {ids};
  enum err e;
  *found = false;
  PGresult *res = db_exec(NULL, "audit_hash_at", 1, vals, &e);
  if (!res) return e;
  if (PQntuples(res) == 1) {
    if (hex32(PQgetvalue(res, 0, 0), hash) != 0) e = ERR_INTERNAL;
    else *found = true;
  }
  PQclear(res);
  return e;
}
