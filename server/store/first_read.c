/* SQL for the verified first read: see first_read.h. */
#include "store/first_read.h"

#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

static const struct db_stmt stmts[] = {
    {"fr_lock",
     "SELECT r.status, r.patient_id, coalesce(r.assigned_reviewer_id, 0) AS reviewer_id, coalesce(r.birads, '') AS birads,"
     " coalesce(r.biopsy_done::text, '') AS biopsy_done, coalesce(to_char(r.exam_date, 'YYYY-MM-DD'), '') AS exam_date,"
     " coalesce(r.verified_birads, '') AS verified_birads, coalesce(r.verified_recommendation, '') AS verified_recommendation,"
     " coalesce(r.verified_biopsy, '') AS verified_biopsy,"
     " coalesce(to_char(r.verified_biopsy_date, 'YYYY-MM-DD'), '') AS verified_biopsy_date,"
     " coalesce(to_char(r.verified_exam_date, 'YYYY-MM-DD'), '') AS verified_exam_date,"
     " (r.verified_at IS NOT NULL) AS verified, to_char(current_date, 'YYYY-MM-DD') AS today"
     " FROM requests r WHERE r.id = $1 FOR UPDATE"},
    {"fr_set",
     "UPDATE requests SET verified_birads = $2, verified_recommendation = $3, verified_biopsy = $4,"
     " verified_biopsy_date = NULLIF($5, '')::date, verified_exam_date = NULLIF($6, '')::date, verified_by = $7,"
     " verified_at = now(), updated_at = now() WHERE id = $1"},
};

void store_first_read_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

enum err st_first_read_lock(struct arena *a, long long request_id, struct rowset *out) {
  const char *v[1] = {arena_printf(a, "%lld", request_id)};
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, "fr_lock", 1, v, &e);
  if (!res) return e;
  if (PQntuples(res) == 0) return ERR_NOT_FOUND;
  out->n = 1;
  out->ncol = (size_t)PQnfields(res);
  out->names = arena_alloc(a, (out->ncol + 1) * sizeof *out->names);
  out->v = arena_alloc(a, (out->ncol + 1) * sizeof *out->v);
  if (!out->names || !out->v) return ERR_INTERNAL;
  for (size_t c = 0; c < out->ncol; c++) {
    out->names[c] = PQfname(res, (int)c);
    out->v[c] = PQgetvalue(res, 0, (int)c);
  }
  return ERR_OK;
}

enum err st_first_read_set(struct arena *a, long long request_id, const char *birads, const char *recommendation,
                           const char *biopsy, const char *biopsy_date, const char *exam_date, long long by) {
  const char *v[7] = {arena_printf(a, "%lld", request_id), birads, recommendation, biopsy, biopsy_date, exam_date,
                      arena_printf(a, "%lld", by)};
  enum err e = ERR_OK;
  PGresult *res = db_exec(a, "fr_set", 7, v, &e);
  if (!res) return e;
  const char *t = PQcmdTuples(res);
  return (t && strcmp(t, "1") == 0) ? ERR_OK : ERR_NOT_FOUND;
}
