/* SQL for the report's first read, answer sealing and communication tasks: see reports.h. */
#include "store/reports.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

static const struct db_stmt stmts[] = {
    {"rpt_first_read",
     "SELECT coalesce(birads, '') AS patient_birads, coalesce(verified_birads, '') AS verified_birads,"
     " coalesce(verified_recommendation, '') AS verified_recommendation, (verified_at IS NOT NULL) AS verified"
     " FROM requests WHERE id = $1"},
    {"rpt_answers_plain",
     "SELECT id, request_id, answers FROM reports WHERE answers <> '' AND answers_enc IS NULL ORDER BY id LIMIT 500"},
    {"rpt_answers_seal",
     "UPDATE reports SET answers = '', answers_enc = decode($2, 'hex') WHERE id = $1 AND answers_enc IS NULL"},
    {"rpt_comm_create",
     "INSERT INTO communication_tasks (request_id, report_id, due_at) VALUES ($1, $2,"
     " now() + make_interval(days => CASE extract(isodow FROM now() AT TIME ZONE 'UTC')"
     " WHEN 5 THEN 3 WHEN 6 THEN 2 ELSE 1 END)) ON CONFLICT (request_id) DO NOTHING"},
    {"rpt_comm_get",
     "SELECT t.id, " TZ_SQL("t.due_at") " AS due_at,"
     " (t.logged_at IS NULL AND t.due_at < now()) AS overdue, (t.logged_at IS NOT NULL) AS logged,"
     " coalesce(t.reached_whom, '') AS reached_whom,"
     " coalesce(" TZ_SQL("t.reached_at") ", '') AS reached_at,"
     " coalesce(t.reached_how, '') AS reached_how, t.note, coalesce(u.name, '') AS logged_by_name,"
     " coalesce(" TZ_SQL("t.logged_at") ", '') AS logged_at"
     " FROM communication_tasks t LEFT JOIN users u ON u.id = t.logged_by WHERE t.request_id = $1"},
    {"rpt_comm_log",
     "UPDATE communication_tasks SET reached_whom = $2, reached_at = ($3::timestamp AT TIME ZONE 'UTC'),"
     " reached_how = $4, note = $5, logged_by = $6, logged_at = now() WHERE request_id = $1 AND logged_at IS NULL"},
    {"rpt_comm_open",
     "SELECT t.id, t.request_id, r.reference, u.name AS patient_name,"
     " " TZ_SQL("t.created_at") " AS created_at,"
     " " TZ_SQL("t.due_at") " AS due_at, (t.due_at < now()) AS overdue"
     " FROM communication_tasks t JOIN requests r ON r.id = t.request_id JOIN users u ON u.id = r.patient_id"
     " WHERE t.logged_at IS NULL ORDER BY t.due_at, t.id LIMIT 100"},
    {"rpt_comm_counts",
     "SELECT count(*), count(*) FILTER (WHERE due_at < now()) FROM communication_tasks WHERE logged_at IS NULL"},
};

void store_reports_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static enum err run(struct arena *a, const char *stmt, int n, const char *const *vals, struct rowset *out) {
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, stmt, n, vals, &e);
  if (!res) return e;
  if (!out) return ERR_OK;
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

static enum err run_one(struct arena *a, const char *stmt, int n, const char *const *vals) {
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, stmt, n, vals, &e);
  if (!res) return e;
  const char *t = PQcmdTuples(res);
  return (t && *t && strcmp(t, "0") == 0) ? ERR_NOT_FOUND : ERR_OK;
}

static const char *ll_s(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }

enum err st_first_read(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  enum err e = run(a, "rpt_first_read", 1, v, out);
  return e == ERR_OK && out->n == 0 ? ERR_NOT_FOUND : e;
}

enum err st_answers_plain(struct arena *a, struct rowset *out) { return run(a, "rpt_answers_plain", 0, NULL, out); }

enum err st_answers_seal(struct arena *a, long long report_id, const char *answers_hex) {
  const char *v[2] = {ll_s(a, report_id), answers_hex};
  return run_one(a, "rpt_answers_seal", 2, v);
}

enum err st_comm_create(struct arena *a, long long request_id, long long report_id) {
  const char *v[2] = {ll_s(a, request_id), ll_s(a, report_id)};
  enum err e = run_one(a, "rpt_comm_create", 2, v);
  return e == ERR_NOT_FOUND ? ERR_OK : e; /* already there */
}

enum err st_comm_get(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {ll_s(a, request_id)};
  enum err e = run(a, "rpt_comm_get", 1, v, out);
  return e == ERR_OK && out->n == 0 ? ERR_NOT_FOUND : e;
}

enum err st_comm_log(struct arena *a, long long request_id, const char *whom, const char *at, const char *how,
                     const char *note, long long by) {
  const char *v[6] = {ll_s(a, request_id), whom, at, how, note, ll_s(a, by)};
  return run_one(a, "rpt_comm_log", 6, v);
}

enum err st_comm_open(struct arena *a, struct rowset *out) { return run(a, "rpt_comm_open", 0, NULL, out); }

enum err st_comm_counts(struct arena *a, long long *open, long long *overdue) {
  struct rowset rs;
  enum err e = run(a, "rpt_comm_counts", 0, NULL, &rs);
  if (e != ERR_OK) return e;
  *open = rs.n ? strtoll(rs.v[0], NULL, 10) : 0;
  *overdue = rs.n ? strtoll(rs.v[1], NULL, 10) : 0;
  return ERR_OK;
}
