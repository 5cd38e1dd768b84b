#include "store/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

static const struct db_stmt stmts[] = {
    {"jb_insert",
     "INSERT INTO jobs (kind, payload, patient_id, max_attempts) VALUES ($1, $2, nullif($3, '0')::bigint, $4)"},
    {"jb_claim",
     "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, "
     "lease_expires = now() + make_interval(secs => $2::int), updated_at = now() "
     "WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_after <= now()) "
     "OR (state = 'running' AND lease_expires < now()) ORDER BY run_after, id FOR UPDATE SKIP LOCKED LIMIT 1) "
     "RETURNING id, coalesce(patient_id, 0), kind, payload, attempts, max_attempts"},
    {"jb_renew",
     "UPDATE jobs SET lease_expires = now() + make_interval(secs => $2::int) "
     "WHERE state = 'running' AND lease_owner = $1"},
    {"jb_done", "DELETE FROM jobs WHERE id = $1 AND lease_owner = $2"},
    {"jb_retry",
     "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires = NULL, "
     "run_after = now() + make_interval(secs => $3::int), last_error = $4, updated_at = now() "
     "WHERE id = $1 AND lease_owner = $2"},
    {"jb_yield",
     "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires = NULL, attempts = greatest(attempts - 1, 0), "
     "run_after = now(), updated_at = now() WHERE id = $1 AND lease_owner = $2"},
    {"jb_fail",
     "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires = NULL, last_error = $3, "
     "updated_at = now() WHERE id = $1 AND lease_owner = $2"},
    {"jb_count_patient",
     "SELECT count(*) FROM jobs WHERE patient_id = $1 AND kind = $2 AND state IN ('queued', 'running')"},
};

void jobs_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

/* Runs a statement in a scratch arena and reports ERR_OK / error. */
static enum err exec_simple(const char *stmt, int n, const char *const *v) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  db_exec(a, stmt, n, v, &e);
  arena_free(a);
  return e;
}

enum err jobs_insert(const char *kind, const char *payload, long long patient_id, int max_attempts) {
  char pid[24], mx[16];
  snprintf(pid, sizeof pid, "%lld", patient_id);
  snprintf(mx, sizeof mx, "%d", max_attempts > 0 ? max_attempts : 5);
  const char *v[] = {kind, payload, pid, mx};
  return exec_simple("jb_insert", 4, v);
}

enum err jobs_claim(struct arena *a, const char *owner, int lease_seconds, struct job_row *out) {
  char ls[16];
  snprintf(ls, sizeof ls, "%d", lease_seconds);
  const char *v[] = {owner, ls};
  enum err e;
  PGresult *r = db_exec(a, "jb_claim", 2, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  out->patient_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
  out->kind = arena_strdup(a, PQgetvalue(r, 0, 2));
  out->payload = arena_strdup(a, PQgetvalue(r, 0, 3));
  out->attempts = (int)strtol(PQgetvalue(r, 0, 4), NULL, 10);
  out->max_attempts = (int)strtol(PQgetvalue(r, 0, 5), NULL, 10);
  if (!out->kind || !out->payload) return ERR_INTERNAL;
  return ERR_OK;
}

enum err jobs_renew(const char *owner, int lease_seconds) {
  char ls[16];
  snprintf(ls, sizeof ls, "%d", lease_seconds);
  const char *v[] = {owner, ls};
  return exec_simple("jb_renew", 2, v);
}

enum err jobs_done(long long id, const char *owner) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids, owner};
  return exec_simple("jb_done", 2, v);
}

enum err jobs_retry(long long id, const char *owner, int delay_seconds, const char *reason) {
  char ids[24], d[16];
  snprintf(ids, sizeof ids, "%lld", id);
  snprintf(d, sizeof d, "%d", delay_seconds);
  const char *v[] = {ids, owner, d, reason ? reason : ""};
  return exec_simple("jb_retry", 4, v);
}

enum err jobs_yield(long long id, const char *owner) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids, owner};
  return exec_simple("jb_yield", 2, v);
}

enum err jobs_fail(long long id, const char *owner, const char *reason) {
  char ids[24];
  snprintf(ids, sizeof ids, "%lld", id);
  const char *v[] = {ids, owner, reason ? reason : ""};
  return exec_simple("jb_fail", 3, v);
}

enum err jobs_count_patient(long long patient_id, const char *kind, long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  char pid[24];
  snprintf(pid, sizeof pid, "%lld", patient_id);
  const char *v[] = {pid, kind};
  enum err e;
  PGresult *r = db_exec(a, "jb_count_patient", 2, v, &e);
  if (r) {
    *n = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    e = ERR_OK;
  }
  arena_free(a);
  return e;
}
