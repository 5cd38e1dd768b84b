#include "store/identity.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

static const struct db_stmt stmts[] = {
    {"id_rows",
     "SELECT st.id, se.id, count(*), st.study_date, st.description, se.description, se.modality, "
     "coalesce(d.patient_name, ''), coalesce(d.patient_birth_date, '') "
     "FROM documents d JOIN series se ON se.id = d.series_id JOIN studies st ON st.id = se.study_id "
     "WHERE d.request_id = $1 AND NOT d.skipped "
     "GROUP BY st.id, se.id, coalesce(d.patient_name, ''), coalesce(d.patient_birth_date, '') "
     "ORDER BY st.study_date DESC, st.id, se.id, count(*) DESC, 8, 9"},
};

void identity_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

enum err identity_rows_list(struct arena *a, long long request_id, struct identity_row **out, size_t *n) {
  enum err e;
  const char *v[] = {arena_printf(a, "%lld", request_id)};
  if (!v[0]) return ERR_INTERNAL;
  PGresult *r = db_exec(a, "id_rows", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t k = 0; k < *n; k++) {
    int i = (int)k;
    struct identity_row *o = &(*out)[k];
    o->study_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    o->series_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    o->files = strtoll(PQgetvalue(r, i, 2), NULL, 10);
    o->study_date = arena_strdup(a, PQgetvalue(r, i, 3));
    o->study_description = arena_strdup(a, PQgetvalue(r, i, 4));
    o->series_description = arena_strdup(a, PQgetvalue(r, i, 5));
    o->modality = arena_strdup(a, PQgetvalue(r, i, 6));
    o->name = arena_strdup(a, PQgetvalue(r, i, 7));
    o->birth = arena_strdup(a, PQgetvalue(r, i, 8));
    o->sex = "";
    if (!o->study_date || !o->study_description || !o->series_description || !o->modality || !o->name || !o->birth)
      return ERR_INTERNAL;
  }
  return ERR_OK;
}
