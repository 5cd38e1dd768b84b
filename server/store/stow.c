/* SQL for STOW-RS (store/stow.h). */
#include "store/stow.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

static const struct db_stmt stmts[] = {
    {"stow_request_bytes",
     "SELECT coalesce(sum(length), 0) FROM uploads WHERE request_id = $1 AND state <> 'failed' "
     "AND (state <> 'receiving' OR expires_at > now())"},
    {"stow_insert",
     "INSERT INTO uploads (id, request_id, owner_id, kind, filename, length, \"offset\", state, blake2b, file_id, "
     "wrapped_dek, kek_version, expires_at, stow_id, stow_part, stow_study) VALUES ($1, $2, $3, $4, $5, $6, $6, 'checking', "
     "decode($7, 'hex'), decode($8, 'hex'), decode($9, 'hex'), $10, now() + interval '1 day', $11, $12, $13)"},
    {"stow_part_study", "SELECT stow_study FROM uploads WHERE id = $1"},
    {"stow_is_part", "SELECT stow_id IS NOT NULL FROM uploads WHERE id = $1"},
    {"stow_outcome",
     "UPDATE uploads SET stow_status = $2, stow_sop_class = nullif($3, ''), stow_sop_instance = nullif($4, '') "
     "WHERE id = $1 AND stow_id IS NOT NULL"},
    {"stow_pending",
     "SELECT count(*) FROM uploads WHERE stow_id = $1 AND state IN ('receiving', 'finalizing', 'checking')"},
    {"stow_results",
     "SELECT u.stow_part, u.state, coalesce(u.stow_status, -1), coalesce(u.stow_sop_class, ''), "
     "coalesce(u.stow_sop_instance, ''), coalesce(st.study_uid, ''), coalesce(se.series_uid, '') "
     "FROM uploads u LEFT JOIN documents d ON d.upload_id = u.id AND NOT d.skipped "
     "AND d.sop_instance_uid = u.stow_sop_instance "
     "LEFT JOIN series se ON se.id = d.series_id LEFT JOIN studies st ON st.id = se.study_id "
     "WHERE u.stow_id = $1 ORDER BY u.stow_part"},
};

void stow_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static const char *lld(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }

enum err stow_store_request_bytes(long long request_id, uint64_t *bytes) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "stow_request_bytes", 1, v, &e);
  if (r) *bytes = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
  arena_free(a);
  return e;
}

enum err stow_store_insert_part(const struct stow_part_row *p) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  char b2[65], fid[2 * BLOB_ID_LEN + 1], wr[2 * BLOB_WRAPPED_LEN + 1];
  sodium_bin2hex(b2, sizeof b2, p->blake2b, 32);
  sodium_bin2hex(fid, sizeof fid, p->file_id, BLOB_ID_LEN);
  sodium_bin2hex(wr, sizeof wr, p->wrapped, BLOB_WRAPPED_LEN);
  enum err e;
  const char *v[] = {p->id,  lld(a, p->request_id), lld(a, p->owner_id), p->kind, p->filename,
                     arena_printf(a, "%llu", (unsigned long long)p->length), b2, fid, wr,
                     arena_printf(a, "%u", (unsigned)p->kek_version), p->stow_id, lld(a, p->part), p->study};
  db_exec(a, "stow_insert", 13, v, &e);
  arena_free(a);
  return e;
}

enum err stow_store_is_part(const char *upload_id, int *is_stow) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {upload_id};
  PGresult *r = db_exec(a, "stow_is_part", 1, v, &e);
  *is_stow = 0;
  if (r && PQntuples(r) == 0) e = ERR_NOT_FOUND;
  else if (r) *is_stow = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  arena_free(a);
  return e;
}

enum err stow_store_set_outcome(const char *upload_id, int status, const char *sop_class, const char *sop_instance) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {upload_id, lld(a, status), sop_class ? sop_class : "", sop_instance ? sop_instance : ""};
  db_exec(a, "stow_outcome", 4, v, &e);
  arena_free(a);
  return e;
}

enum err stow_store_pending(const char *stow_id, long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {stow_id};
  PGresult *r = db_exec(a, "stow_pending", 1, v, &e);
  if (r) *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  arena_free(a);
  return e;
}

enum err stow_store_results(struct arena *a, const char *stow_id, struct stow_result_row **out, size_t *n) {
  enum err e;
  const char *v[] = {stow_id};
  PGresult *r = db_exec(a, "stow_results", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    struct stow_result_row *o = &(*out)[i];
    int k = (int)i;
    o->part = (int)strtol(PQgetvalue(r, k, 0), NULL, 10);
    o->state = PQgetvalue(r, k, 1);
    o->status = (int)strtol(PQgetvalue(r, k, 2), NULL, 10);
    o->sop_class = PQgetvalue(r, k, 3);
    o->sop_instance = PQgetvalue(r, k, 4);
    o->study_uid = PQgetvalue(r, k, 5);
    o->series_uid = PQgetvalue(r, k, 6);
  }
  return ERR_OK;
}

enum err stow_store_part_study(struct arena *a, const char *upload_id, const char **study) {
  enum err e;
  const char *v[] = {upload_id};
  *study = NULL;
  PGresult *r = db_exec(a, "stow_part_study", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) *study = PQgetvalue(r, 0, 0);
  return ERR_OK;
}
