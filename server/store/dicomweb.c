/* SQL for DICOMweb (store/dicomweb.h). */
#include "store/dicomweb.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

/* Every DICOM document the actor may see ($1 user id, $2 role), with the matching keys
 * ($3 study, $4 series, $5 instance UID, $6 PatientName LIKE pattern, $7 PatientID, $8 date from,
 * $9 date to, $10 modality, $11 accession number, $12 limit, $13 offset, $14 SOP Class UID).
 * The access rule mirrors core/requests.c may(): the patient, or someone who acts for her now (a
 * caregiver or representative with a live link, caregivers_acts_for() in core/caregivers.c). */
#define DW_VISIBLE                                                                                                 \
  "WITH v AS (SELECT d.id AS doc, d.request_id, r.patient_id, st.study_uid, st.study_date, "                       \
  "st.description AS study_desc, st.patient_name, st.patient_birth_date, se.series_uid, se.modality, "            \
  "se.description AS series_desc, d.sop_instance_uid AS sop_uid, coalesce(d.sop_class_uid, '') AS sop_class_uid, " \
  "coalesce(d.transfer_syntax, '') AS tsyntax, d.file_id, d.wrapped_dek, d.kek_version, d.size, d.blake2b, "       \
  "a.attrs, a.pixel_offset, a.pixel_length, coalesce(a.encapsulated, false) AS encapsulated, "                     \
  "coalesce(d.frames, 0) AS frames, coalesce(d.pixel_rows, 0) AS prows, coalesce(d.pixel_columns, 0) AS pcols "     \
  "FROM documents d JOIN series se ON se.id = d.series_id JOIN studies st ON st.id = se.study_id "                 \
  "JOIN requests r ON r.id = d.request_id LEFT JOIN dicom_attrs a ON a.file_id = d.file_id "                       \
  "WHERE NOT d.skipped AND d.file_id IS NOT NULL AND d.sop_instance_uid IS NOT NULL "                              \
  "AND ((r.patient_id = $1::bigint AND $2::text = 'patient') OR ($2::text = 'staff' AND r.status <> 'draft') "      \
  "  OR ($2::text = 'patient' AND EXISTS (SELECT 1 FROM caregiver_links l WHERE l.patient_id = r.patient_id "       \
  "      AND l.caregiver_id = $1::bigint AND l.revoked_at IS NULL)) "                                              \
  "  OR ($2::text = 'reviewer' AND r.assigned_reviewer_id = $1::bigint AND r.status <> 'draft')) "                 \
  "AND ($3::text[] IS NULL OR st.study_uid = ANY($3::text[])) AND ($4::text[] IS NULL OR se.series_uid = ANY($4::text[])) "          \
  "AND ($5::text[] IS NULL OR d.sop_instance_uid = ANY($5::text[])) "                                                       \
  "AND ($6::text IS NULL OR st.patient_name ILIKE $6::text ESCAPE '\\') "                                          \
  "AND ($7::text IS NULL OR a.attrs #>> '{00100020,Value,0}' = $7::text) "                                         \
  "AND ($8::text IS NULL OR st.study_date >= $8::text) "                                                           \
  "AND ($9::text IS NULL OR (st.study_date <> '' AND st.study_date <= $9::text)) "                                 \
  "AND ($11::text IS NULL OR a.attrs #>> '{00080050,Value,0}' = $11::text) "                                       \
  "AND ($14::text IS NULL OR d.sop_class_uid = $14::text)) "

#define OWNERS "string_agg(DISTINCT v.request_id::text || ':' || v.patient_id::text, ',') "
#define FIRST_ATTRS "coalesce((array_agg(v.attrs::text ORDER BY v.doc) FILTER (WHERE v.attrs IS NOT NULL))[1], '') "

static const struct db_stmt stmts[] = {
    {"dw_attrs_put",
     "INSERT INTO dicom_attrs (file_id, attrs, pixel_offset, pixel_length, encapsulated) "
     "VALUES (decode($1, 'hex'), $2::jsonb, nullif($3, '')::bigint, nullif($4, '')::bigint, $5::boolean) "
     "ON CONFLICT (file_id) DO NOTHING"},
    {"dw_studies",
     DW_VISIBLE
     "SELECT v.study_uid, min(v.study_date), min(v.study_desc), min(v.patient_name), min(v.patient_birth_date), "
     "coalesce(string_agg(DISTINCT nullif(v.modality, ''), '\\'), ''), count(DISTINCT v.series_uid), "
     "count(DISTINCT v.sop_uid), " FIRST_ATTRS ", " OWNERS
     "FROM v GROUP BY v.study_uid, v.patient_id HAVING ($10::text IS NULL OR bool_or(v.modality = $10::text)) "
     "ORDER BY min(v.study_date) DESC, v.study_uid, v.patient_id LIMIT $12::bigint OFFSET $13::bigint"},
    {"dw_series",
     DW_VISIBLE
     "SELECT v.study_uid, v.series_uid, min(v.modality), min(v.series_desc), count(DISTINCT v.sop_uid), "
     FIRST_ATTRS ", " OWNERS
     "FROM v WHERE ($10::text IS NULL OR v.modality = $10::text) GROUP BY v.study_uid, v.series_uid, v.patient_id "
     "ORDER BY v.study_uid, min((v.attrs #>> '{00200011,Value,0}')::numeric) NULLS LAST, v.series_uid, v.patient_id "
     "LIMIT $12::bigint OFFSET $13::bigint"},
    {"dw_instances",
     DW_VISIBLE
     "SELECT * FROM (SELECT DISTINCT ON (v.study_uid, v.series_uid, v.sop_uid, v.patient_id) v.doc, v.request_id, v.patient_id, "
     "v.study_uid, v.series_uid, v.sop_uid, v.sop_class_uid, v.tsyntax, coalesce(v.attrs::text, ''), "
     "coalesce(v.blake2b, ''), coalesce(v.modality, ''), v.study_date, v.patient_name, v.study_desc, v.series_desc, "
     "encode(v.file_id, 'hex'), coalesce(encode(v.wrapped_dek, 'hex'), ''), coalesce(v.kek_version, 0), v.size, "
     "coalesce(v.pixel_offset, -1), coalesce(v.pixel_length, -1), v.encapsulated, v.attrs IS NOT NULL, v.frames, "
     "v.prows, v.pcols, (v.attrs #>> '{00200013,Value,0}')::numeric AS inum "
     "FROM v WHERE ($10::text IS NULL OR v.modality = $10::text) ORDER BY v.study_uid, v.series_uid, v.sop_uid, "
     "v.patient_id, v.doc) x ORDER BY 4, 5, inum NULLS LAST, 6, 3 LIMIT $12::bigint OFFSET $13::bigint"},
};

void dicomweb_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

/* A value of the result: the result lives as long as the arena (db_exec), so a study of many
 * thousand instances costs the arena its row structs only, never a copy of every value. */
static const char *sv(struct arena *a, PGresult *r, int i, int c) {
  (void)a;
  return PQgetvalue(r, i, c);
}
static long long ll(PGresult *r, int i, int c) { return strtoll(PQgetvalue(r, i, c), NULL, 10); }
static int unhex(const char *h, unsigned char *out, size_t n) {
  size_t bl = 0;
  if (strlen(h) != 2 * n) return -1;
  return sodium_hex2bin(out, n, h, 2 * n, NULL, &bl, NULL) == 0 && bl == n ? 0 : -1;
}

enum err dw_attrs_put(const unsigned char file_id[BLOB_ID_LEN], const char *attrs_json, long long pixel_offset,
                      long long pixel_length, int encapsulated) {
  char id[2 * BLOB_ID_LEN + 1], off[24] = "", len[24] = "";
  sodium_bin2hex(id, sizeof id, file_id, BLOB_ID_LEN);
  if (pixel_offset >= 0) snprintf(off, sizeof off, "%lld", pixel_offset);
  if (pixel_length >= 0) snprintf(len, sizeof len, "%lld", pixel_length);
  const char *v[] = {id, attrs_json, off, len, encapsulated ? "true" : "false"};
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  db_exec(a, "dw_attrs_put", 5, v, &e);
  arena_free(a);
  return e;
}

/* A UID or comma-joined UIDs (checked as UIDs: digits and dots) as a PostgreSQL array literal;
 * NULL stays NULL (SQL NULL: not given). */
static const char *uid_array(struct arena *a, const char *uids) {
  return uids ? arena_printf(a, "{%s}", uids) : NULL;
}

/* The statement's 14 parameters from a filter (NULL entries are SQL NULL). */
static enum err run(struct arena *a, const char *stmt, const struct dw_filter *f, PGresult **out) {
  const char *v[14] = {
      arena_printf(a, "%lld", f->user_id),
      f->role ? f->role : "",
      uid_array(a, f->study_uid),
      uid_array(a, f->series_uid),
      uid_array(a, f->sop_uid),
      f->patient_name_like,
      f->patient_id,
      f->date_from,
      f->date_to,
      f->modality,
      f->accession,
      f->limit > 0 ? arena_printf(a, "%ld", f->limit) : NULL,
      arena_printf(a, "%ld", f->offset > 0 ? f->offset : 0),
      f->sop_class_uid,
  };
  if (!v[0] || !v[12] || (f->limit > 0 && !v[11]) || (f->study_uid && !v[2]) || (f->series_uid && !v[3]) ||
      (f->sop_uid && !v[4]))
    return ERR_INTERNAL;
  enum err e;
  *out = db_exec(a, stmt, 14, v, &e);
  return *out ? ERR_OK : e;
}

enum err dw_search_studies(struct arena *a, const struct dw_filter *f, struct dw_study_row **out, size_t *n) {
  PGresult *r;
  enum err e = run(a, "dw_studies", f, &r);
  if (e != ERR_OK) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (int i = 0; i < (int)*n; i++) {
    struct dw_study_row *s = &(*out)[i];
    s->study_uid = sv(a, r, i, 0);
    s->study_date = sv(a, r, i, 1);
    s->description = sv(a, r, i, 2);
    s->patient_name = sv(a, r, i, 3);
    s->birth_date = sv(a, r, i, 4);
    s->modalities = sv(a, r, i, 5);
    s->n_series = ll(r, i, 6);
    s->n_instances = ll(r, i, 7);
    s->attrs = sv(a, r, i, 8);
    s->owners = sv(a, r, i, 9);
    if (!s->study_uid || !s->owners || !s->attrs) return ERR_INTERNAL;
  }
  return ERR_OK;
}

enum err dw_search_series(struct arena *a, const struct dw_filter *f, struct dw_series_row **out, size_t *n) {
  PGresult *r;
  enum err e = run(a, "dw_series", f, &r);
  if (e != ERR_OK) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (int i = 0; i < (int)*n; i++) {
    struct dw_series_row *s = &(*out)[i];
    s->study_uid = sv(a, r, i, 0);
    s->series_uid = sv(a, r, i, 1);
    s->modality = sv(a, r, i, 2);
    s->description = sv(a, r, i, 3);
    s->n_instances = ll(r, i, 4);
    s->attrs = sv(a, r, i, 5);
    s->owners = sv(a, r, i, 6);
    if (!s->series_uid || !s->owners || !s->attrs) return ERR_INTERNAL;
  }
  return ERR_OK;
}

enum err dw_search_instances(struct arena *a, const struct dw_filter *f, struct dw_instance_row **out, size_t *n) {
  PGresult *r;
  enum err e = run(a, "dw_instances", f, &r);
  if (e != ERR_OK) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (int i = 0; i < (int)*n; i++) {
    struct dw_instance_row *s = &(*out)[i];
    memset(s, 0, sizeof *s);
    s->doc = ll(r, i, 0);
    s->request_id = ll(r, i, 1);
    s->patient_id = ll(r, i, 2);
    s->study_uid = sv(a, r, i, 3);
    s->series_uid = sv(a, r, i, 4);
    s->sop_uid = sv(a, r, i, 5);
    s->sop_class_uid = sv(a, r, i, 6);
    s->tsyntax = sv(a, r, i, 7);
    s->attrs = sv(a, r, i, 8);
    s->blake2b = sv(a, r, i, 9);
    s->modality = sv(a, r, i, 10);
    s->study_date = sv(a, r, i, 11);
    s->patient_name = sv(a, r, i, 12);
    s->study_description = sv(a, r, i, 13);
    s->series_description = sv(a, r, i, 14);
    if (unhex(PQgetvalue(r, i, 15), s->file_id, BLOB_ID_LEN) != 0 ||
        unhex(PQgetvalue(r, i, 16), s->wrapped, BLOB_WRAPPED_LEN) != 0)
      return ERR_INTERNAL;
    s->kek_version = (uint32_t)ll(r, i, 17);
    s->size = strtoull(PQgetvalue(r, i, 18), NULL, 10);
    s->pixel_offset = ll(r, i, 19);
    s->pixel_length = ll(r, i, 20);
    s->encapsulated = PQgetvalue(r, i, 21)[0] == 't';
    s->indexed = PQgetvalue(r, i, 22)[0] == 't';
    s->frames = (long)ll(r, i, 23);
    s->rows = (unsigned)ll(r, i, 24);
    s->columns = (unsigned)ll(r, i, 25);
    if (!s->sop_uid || !s->attrs || !s->series_description) return ERR_INTERNAL;
  }
  return ERR_OK;
}
