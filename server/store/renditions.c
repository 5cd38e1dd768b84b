/* SQL for the viewer's renditions (store/renditions.h). */
#include "store/renditions.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"

#define RN_COLS                                                                                               \
  "document_id, state, coalesce(why, ''), coalesce(encode(preview_file_id, 'hex'), ''), "                   \
  "coalesce(encode(preview_wrapped, 'hex'), ''), coalesce(preview_kek, 0), coalesce(preview_size, 0), "      \
  "coalesce(encode(frames_file_id, 'hex'), ''), coalesce(encode(frames_wrapped, 'hex'), ''), "              \
  "coalesce(frames_kek, 0), coalesce(frames_size, 0), coalesce(frame_count, 0), coalesce(frame_bytes, 0), " \
  "coalesce(rows, 0), coalesce(columns, 0), coalesce(samples, 0), coalesce(bytes_per_sample, 0)"

static const struct db_stmt stmts[] = {
    {"rn_get", "SELECT " RN_COLS " FROM renditions WHERE document_id = $1"},
    {"rn_list",
     "SELECT " RN_COLS " FROM renditions r JOIN documents d ON d.id = r.document_id WHERE d.request_id = $1"},
    {"rn_begin",
     "INSERT INTO renditions (document_id, state) VALUES ($1, 'preparing') ON CONFLICT (document_id) DO NOTHING "
     "RETURNING document_id"},
    {"rn_reset",
     "UPDATE renditions SET state = 'preparing', why = NULL, preview_file_id = NULL, preview_wrapped = NULL, "
     "preview_kek = NULL, preview_size = NULL, frames_file_id = NULL, frames_wrapped = NULL, frames_kek = NULL, "
     "frames_size = NULL, updated_at = now() WHERE document_id = $1 AND state = 'ready' RETURNING document_id"},
    {"rn_ready",
     "UPDATE renditions SET state = 'ready', why = NULL, preview_file_id = decode($2, 'hex'), "
     "preview_wrapped = decode($3, 'hex'), preview_kek = $4, preview_size = $5, frames_file_id = decode($6, 'hex'), "
     "frames_wrapped = decode($7, 'hex'), frames_kek = $8, frames_size = $9, frame_count = $10, frame_bytes = $11, "
     "rows = $12, columns = $13, samples = $14, bytes_per_sample = $15, updated_at = now() "
     "WHERE document_id = $1 AND state = 'preparing' RETURNING document_id"},
    {"rn_not_decodable",
     "UPDATE renditions SET state = 'not_decodable', why = $2, updated_at = now() WHERE document_id = $1"},
    {"rn_blobs_of",
     "SELECT coalesce(encode(preview_file_id, 'hex'), ''), coalesce(encode(frames_file_id, 'hex'), '') "
     "FROM renditions WHERE document_id = $1 FOR UPDATE"},
    {"rn_blobs_of_series",
     "SELECT coalesce(encode(r.preview_file_id, 'hex'), ''), coalesce(encode(r.frames_file_id, 'hex'), '') "
     "FROM renditions r JOIN documents d ON d.id = r.document_id WHERE d.request_id = $1 AND d.series_id = $2 "
     "FOR UPDATE OF r"},
    {"rn_blob_refs",
     "SELECT (SELECT count(*) FROM renditions WHERE preview_file_id = decode($1, 'hex') OR frames_file_id = "
     "decode($1, 'hex')) + (SELECT count(*) FROM documents WHERE file_id = decode($1, 'hex'))"},
};

void renditions_store_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static const char *lld(struct arena *a, long long v) { return arena_printf(a, "%lld", v); }
static const char *hex(struct arena *a, const unsigned char *b, size_t n) {
  char *s = arena_alloc(a, 2 * n + 1);
  if (s) sodium_bin2hex(s, 2 * n + 1, b, n);
  return s;
}
static int unhex(const char *h, unsigned char *out, size_t n) {
  size_t bl = 0;
  if (strlen(h) != 2 * n) return -1;
  return sodium_hex2bin(out, n, h, 2 * n, NULL, &bl, NULL) == 0 && bl == n ? 0 : -1;
}
static unsigned long long ull(PGresult *r, int i, int c) { return strtoull(PQgetvalue(r, i, c), NULL, 10); }

static void blob_from(PGresult *r, int i, int c, struct rendition_blob *b) {
  b->present = unhex(PQgetvalue(r, i, c), b->id, BLOB_ID_LEN) == 0 &&
               unhex(PQgetvalue(r, i, c + 1), b->wrapped, BLOB_WRAPPED_LEN) == 0;
  b->kek_version = (uint32_t)ull(r, i, c + 2);
  b->size = ull(r, i, c + 3);
}

static void fill(struct arena *a, PGresult *r, int i, struct rendition_row *o) {
  memset(o, 0, sizeof *o);
  o->document_id = (long long)ull(r, i, 0);
  o->state = arena_strdup(a, PQgetvalue(r, i, 1));
  o->why = arena_strdup(a, PQgetvalue(r, i, 2));
  blob_from(r, i, 3, &o->preview);
  blob_from(r, i, 7, &o->frames);
  o->frame_count = (long)ull(r, i, 11);
  o->frame_bytes = ull(r, i, 12);
  o->rows = (unsigned)ull(r, i, 13);
  o->columns = (unsigned)ull(r, i, 14);
  o->samples = (unsigned)ull(r, i, 15);
  o->bytes_per_sample = (unsigned)ull(r, i, 16);
}

enum err renditions_get(struct arena *a, long long document_id, struct rendition_row *out) {
  enum err e;
  const char *v[] = {lld(a, document_id)};
  PGresult *r = db_exec(a, "rn_get", 1, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_NOT_FOUND;
  fill(a, r, 0, out);
  return out->state && out->why ? ERR_OK : ERR_INTERNAL;
}

enum err renditions_list(struct arena *a, long long request_id, struct rendition_row **out, size_t *n) {
  enum err e;
  const char *v[] = {lld(a, request_id)};
  PGresult *r = db_exec(a, "rn_list", 1, v, &e);
  if (!r) return e;
  *n = (size_t)PQntuples(r);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) fill(a, r, (int)i, &(*out)[i]);
  return ERR_OK;
}

/* Runs a statement in a scratch arena; *rows gets the number of rows it returned (may be NULL). */
static enum err run(const char *stmt, int n, const char *const *v, int *rows) {
  enum err e;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  PGresult *r = db_exec(a, stmt, n, v, &e);
  if (r && rows) *rows = PQntuples(r);
  arena_free(a);
  return e;
}

enum err renditions_begin(long long document_id, int *added) {
  char b[32];
  snprintf(b, sizeof b, "%lld", document_id);
  const char *v[] = {b};
  int rows = 0;
  enum err e = run("rn_begin", 1, v, &rows);
  *added = rows == 1;
  return e;
}

enum err renditions_reset(long long document_id, int *reset) {
  char b[32];
  snprintf(b, sizeof b, "%lld", document_id);
  const char *v[] = {b};
  int rows = 0;
  enum err e = run("rn_reset", 1, v, &rows);
  *reset = rows == 1;
  return e;
}

enum err renditions_set_ready(const struct rendition_row *x) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  const char *v[] = {lld(a, x->document_id),
                     hex(a, x->preview.id, BLOB_ID_LEN),
                     hex(a, x->preview.wrapped, BLOB_WRAPPED_LEN),
                     arena_printf(a, "%u", x->preview.kek_version),
                     arena_printf(a, "%llu", (unsigned long long)x->preview.size),
                     hex(a, x->frames.id, BLOB_ID_LEN),
                     hex(a, x->frames.wrapped, BLOB_WRAPPED_LEN),
                     arena_printf(a, "%u", x->frames.kek_version),
                     arena_printf(a, "%llu", (unsigned long long)x->frames.size),
                     arena_printf(a, "%ld", x->frame_count),
                     arena_printf(a, "%llu", (unsigned long long)x->frame_bytes),
                     arena_printf(a, "%u", x->rows),
                     arena_printf(a, "%u", x->columns),
                     arena_printf(a, "%u", x->samples),
                     arena_printf(a, "%u", x->bytes_per_sample)};
  enum err e = ERR_INTERNAL;
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
    if (!v[i]) goto done;
  PGresult *r = db_exec(a, "rn_ready", 15, v, &e);
  if (r && PQntuples(r) != 1) e = ERR_NOT_FOUND;
done:
  arena_free(a);
  return e;
}

enum err renditions_set_not_decodable(long long document_id, const char *why) {
  char b[32];
  snprintf(b, sizeof b, "%lld", document_id);
  const char *v[] = {b, why};
  return run("rn_not_decodable", 2, v, NULL);
}

enum err renditions_blobs_of(long long document_id, unsigned char ids[2][BLOB_ID_LEN], size_t *n) {
  *n = 0;
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {lld(a, document_id)};
  PGresult *r = v[0] ? db_exec(a, "rn_blobs_of", 1, v, &e) : NULL;
  if (!v[0]) e = ERR_INTERNAL;
  if (r && PQntuples(r) == 1)
    for (int c = 0; c < 2; c++)
      if (unhex(PQgetvalue(r, 0, c), ids[*n], BLOB_ID_LEN) == 0) (*n)++;
  arena_free(a);
  return e;
}

enum err renditions_blob_refs(const unsigned char id[BLOB_ID_LEN], long long *n) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {hex(a, id, BLOB_ID_LEN)};
  PGresult *r = v[0] ? db_exec(a, "rn_blob_refs", 1, v, &e) : NULL;
  if (!v[0]) e = ERR_INTERNAL;
  if (r) *n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  arena_free(a);
  return e;
}

enum err renditions_blobs_of_series(struct arena *a, long long request_id, long long series_id,
                                    unsigned char (**ids)[BLOB_ID_LEN], size_t *n) {
  *ids = NULL;
  *n = 0;
  enum err e;
  const char *v[] = {lld(a, request_id), lld(a, series_id)};
  if (!v[0] || !v[1]) return ERR_INTERNAL;
  PGresult *r = db_exec(a, "rn_blobs_of_series", 2, v, &e);
  if (!r) return e;
  int rows = PQntuples(r);
  *ids = arena_alloc(a, (size_t)(2 * rows + 1) * BLOB_ID_LEN);
  if (!*ids) return ERR_INTERNAL;
  for (int i = 0; i < rows; i++)
    for (int c = 0; c < 2; c++)
      if (unhex(PQgetvalue(r, i, c), (*ids)[*n], BLOB_ID_LEN) == 0) (*n)++;
  return ERR_OK;
}
