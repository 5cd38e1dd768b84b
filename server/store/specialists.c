#include "store/specialists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/arena.h"
#include "util/tz.h"

/* Columns read back for a specialist, in the order row_to_specialist expects.
 * Networks and languages travel as ';'-joined text (';' is refused inside an item). */
#define SPEC_COLS                                                                                      \
  "id, external_id, full_name, credentials, board, coalesce(board_year, 0), breast_fellowship, "     \
  "institution, city, state, nci_designated, academic, center_of_excellence, remote_review, "        \
  "in_person, offers_reread, coalesce(fee_reread_cents, -1), offers_consult, "                       \
  "coalesce(fee_consult_cents, -1), records_submission, records_requirements, turnaround_days, "     \
  "array_to_string(networks, ';'), array_to_string(languages, ';'), accepting, active, "             \
  "coalesce(reviewer_user_id, 0), " TZ_SQL("created_at") ", "      \
  "" TZ_SQL("updated_at") ""

/* The directory filter. $1 breast specialist, $2 nci ('' | any | clinical |
 * comprehensive), $3 academic, $4 center of excellence, $5 remote, $6 in
 * person, $7 accepting, $8 review type ('' | reread | consult), $9 network
 * ('' for none; compared case-insensitively), $10 language (same), $11 state, $12 max
 * days (0 none), $13 ILIKE pattern ('' none), $14 include inactive. */
#define SPEC_WHERE                                                                                     \
  " WHERE (active OR $14::boolean)"                                                                  \
  " AND (NOT $1::boolean OR (board <> '' AND breast_fellowship))"                                    \
  " AND ($2::text = '' OR ($2::text = 'any' AND nci_designated <> 'none') OR nci_designated = $2::text)" \
  " AND (NOT $3::boolean OR academic) AND (NOT $4::boolean OR center_of_excellence)"               \
  " AND (NOT $5::boolean OR remote_review) AND (NOT $6::boolean OR in_person)"                     \
  " AND (NOT $7::boolean OR accepting)"                                                              \
  " AND ($8::text = '' OR ($8::text = 'reread' AND offers_reread) OR ($8::text = 'consult' AND offers_consult))" \
  " AND ($9::text = '' OR specialists_lower_array(networks) @> ARRAY[lower($9::text)])"                     \
  " AND ($10::text = '' OR specialists_lower_array(languages) @> ARRAY[lower($10::text)])"                  \
  " AND ($11::text = '' OR state = $11::text)"                                                       \
  " AND ($12::integer = 0 OR turnaround_days <= $12::integer)"                                       \
  " AND ($13::text = '' OR full_name ILIKE $13::text OR institution ILIKE $13::text"                 \
  "      OR city ILIKE $13::text OR external_id ILIKE $13::text)"

#define FEE_KEY                                                                                        \
  "CASE $8::text WHEN 'reread' THEN fee_reread_cents WHEN 'consult' THEN fee_consult_cents"          \
  " ELSE LEAST(fee_reread_cents, fee_consult_cents) END"

/* Parameters of insert/update/upsert: $1 external_id … $24 active, $25 reviewer (update only). */
#define SPEC_VALUES                                                                                    \
  "$1, $2, $3, $4, NULLIF($5::integer, 0), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "           \
  "NULLIF($16::bigint, -1), $17, NULLIF($18::bigint, -1), $19, $20, $21, "                           \
  "string_to_array($22, ';'), string_to_array($23, ';'), $24"

static const struct db_stmt stmts[] = {
    {"spec_search_name", "SELECT " SPEC_COLS " FROM specialists" SPEC_WHERE
                         " ORDER BY lower(full_name), id LIMIT $15 OFFSET $16"},
    {"spec_search_turnaround", "SELECT " SPEC_COLS " FROM specialists" SPEC_WHERE
                               " ORDER BY turnaround_days, lower(full_name), id LIMIT $15 OFFSET $16"},
    {"spec_search_fee", "SELECT " SPEC_COLS " FROM specialists" SPEC_WHERE " ORDER BY " FEE_KEY
                        " NULLS LAST, lower(full_name), id LIMIT $15 OFFSET $16"},
    {"spec_count", "SELECT count(*) FROM specialists" SPEC_WHERE},
    {"spec_get", "SELECT " SPEC_COLS " FROM specialists WHERE id = $1"},
    {"spec_all", "SELECT " SPEC_COLS " FROM specialists ORDER BY id"},
    {"spec_exist", "SELECT EXISTS (SELECT 1 FROM specialists)"},
    {"spec_insert",
     "INSERT INTO specialists (external_id, full_name, credentials, board, board_year, breast_fellowship, "
     "institution, city, state, nci_designated, academic, center_of_excellence, remote_review, in_person, "
     "offers_reread, fee_reread_cents, offers_consult, fee_consult_cents, records_submission, "
     "records_requirements, turnaround_days, networks, languages, accepting, reviewer_user_id) VALUES (" SPEC_VALUES
     ", NULLIF($25::bigint, 0)) RETURNING id"},
    {"spec_upsert",
     "INSERT INTO specialists (external_id, full_name, credentials, board, board_year, breast_fellowship, "
     "institution, city, state, nci_designated, academic, center_of_excellence, remote_review, in_person, "
     "offers_reread, fee_reread_cents, offers_consult, fee_consult_cents, records_submission, "
     "records_requirements, turnaround_days, networks, languages, accepting, active) VALUES (" SPEC_VALUES
     ", $25) ON CONFLICT (external_id) DO UPDATE SET full_name = EXCLUDED.full_name, "
     "credentials = EXCLUDED.credentials, board = EXCLUDED.board, board_year = EXCLUDED.board_year, "
     "breast_fellowship = EXCLUDED.breast_fellowship, institution = EXCLUDED.institution, city = EXCLUDED.city, "
     "state = EXCLUDED.state, nci_designated = EXCLUDED.nci_designated, academic = EXCLUDED.academic, "
     "center_of_excellence = EXCLUDED.center_of_excellence, remote_review = EXCLUDED.remote_review, "
     "in_person = EXCLUDED.in_person, offers_reread = EXCLUDED.offers_reread, "
     "fee_reread_cents = EXCLUDED.fee_reread_cents, offers_consult = EXCLUDED.offers_consult, "
     "fee_consult_cents = EXCLUDED.fee_consult_cents, records_submission = EXCLUDED.records_submission, "
     "records_requirements = EXCLUDED.records_requirements, turnaround_days = EXCLUDED.turnaround_days, "
     "networks = EXCLUDED.networks, languages = EXCLUDED.languages, accepting = EXCLUDED.accepting, "
     "active = EXCLUDED.active, updated_at = now() RETURNING id, (xmax = 0)"},
    {"spec_update",
     "UPDATE specialists SET external_id = $1, full_name = $2, credentials = $3, board = $4, "
     "board_year = NULLIF($5::integer, 0), breast_fellowship = $6, institution = $7, city = $8, state = $9, "
     "nci_designated = $10, academic = $11, center_of_excellence = $12, remote_review = $13, in_person = $14, "
     "offers_reread = $15, fee_reread_cents = NULLIF($16::bigint, -1), offers_consult = $17, "
     "fee_consult_cents = NULLIF($18::bigint, -1), records_submission = $19, records_requirements = $20, "
     "turnaround_days = $21, networks = string_to_array($22, ';'), languages = string_to_array($23, ';'), "
     "accepting = $24, reviewer_user_id = NULLIF($25::bigint, 0), updated_at = now() WHERE id = $26 RETURNING id"},
    {"spec_set_active", "UPDATE specialists SET active = $2, updated_at = now() WHERE id = $1 RETURNING id"},
    {"spec_reviewer_accounts",
     "SELECT id, name, email FROM users WHERE role = 'reviewer' AND status = 'active' ORDER BY lower(name), id LIMIT 1000"},
    {"spec_account_kind", "SELECT role, status FROM users WHERE id = $1"},
    {"spec_link_reviewer",
     "UPDATE specialists SET reviewer_user_id = $2, updated_at = now() WHERE id = $1 RETURNING id"},
    {"spec_demo_link",
     "UPDATE specialists s SET reviewer_user_id = u.id, updated_at = now() FROM users u WHERE s.external_id = $1"
     " AND lower(u.email) = lower($2) AND u.role = 'reviewer' AND u.status = 'active' AND s.reviewer_user_id IS NULL"
     " RETURNING s.id"},
    {"spec_networks",
     "SELECT DISTINCT ON (lower(n)) n FROM specialists, unnest(networks) AS n WHERE active ORDER BY lower(n), n"},
    {"spec_languages",
     "SELECT DISTINCT ON (lower(l)) l FROM specialists, unnest(languages) AS l WHERE active ORDER BY lower(l), l"},
};

void store_specialists_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

static const char *b(bool v) { return v ? "t" : "f"; }
static bool getb(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }

/* Splits a ';'-joined list into an arena array. 0, or -1 when out of memory. */
static int split_list(struct arena *a, const char *s, const char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!*s) return 0;
  size_t count = 1;
  for (const char *p = s; *p; p++)
    if (*p == ';') count++;
  const char **arr = arena_alloc(a, count * sizeof *arr);
  if (!arr) return -1;
  size_t k = 0;
  const char *start = s;
  for (const char *p = s;; p++) {
    if (*p == ';' || *p == '\0') {
      char *item = arena_strndup(a, start, (size_t)(p - start));
      if (!item) return -1;
      arr[k++] = item;
      if (*p == '\0') break;
      start = p + 1;
    }
  }
  *out = arr;
  *n = k;
  return 0;
}

/* Joins a list with ';' into an arena string (NULL when out of memory). */
static char *join_list(struct arena *a, const char *const *items, size_t n) {
  size_t len = 1;
  for (size_t i = 0; i < n; i++) len += strlen(items[i]) + 1;
  char *s = arena_alloc(a, len);
  if (!s) return NULL;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(items[i]);
    if (i) s[at++] = ';';
    memcpy(s + at, items[i], l);
    at += l;
  }
  s[at] = '\0';
  return s;
}

/* Copies row `row` of a SPEC_COLS result into *s (strings point into the
 * result, which the arena frees). 0, or -1 when out of memory. */
static int row_to_specialist(struct arena *a, const PGresult *r, int row, struct specialist *s) {
  memset(s, 0, sizeof *s);
  s->id = atoll(PQgetvalue(r, row, 0));
  s->external_id = PQgetvalue(r, row, 1);
  s->full_name = PQgetvalue(r, row, 2);
  s->credentials = PQgetvalue(r, row, 3);
  s->board = PQgetvalue(r, row, 4);
  s->board_year = (int)strtol(PQgetvalue(r, row, 5), NULL, 10);
  s->breast_fellowship = getb(r, row, 6);
  s->institution = PQgetvalue(r, row, 7);
  s->city = PQgetvalue(r, row, 8);
  s->state = PQgetvalue(r, row, 9);
  s->nci = PQgetvalue(r, row, 10);
  s->academic = getb(r, row, 11);
  s->center_of_excellence = getb(r, row, 12);
  s->remote_review = getb(r, row, 13);
  s->in_person = getb(r, row, 14);
  s->offers_reread = getb(r, row, 15);
  s->fee_reread_cents = atoll(PQgetvalue(r, row, 16));
  s->offers_consult = getb(r, row, 17);
  s->fee_consult_cents = atoll(PQgetvalue(r, row, 18));
  s->records_submission = PQgetvalue(r, row, 19);
  s->records_requirements = PQgetvalue(r, row, 20);
  s->turnaround_days = (int)strtol(PQgetvalue(r, row, 21), NULL, 10);
  if (split_list(a, PQgetvalue(r, row, 22), &s->networks, &s->n_networks) != 0) return -1;
  if (split_list(a, PQgetvalue(r, row, 23), &s->languages, &s->n_languages) != 0) return -1;
  s->accepting = getb(r, row, 24);
  s->active = getb(r, row, 25);
  s->reviewer_user_id = atoll(PQgetvalue(r, row, 26));
  s->created_at = PQgetvalue(r, row, 27);
  s->updated_at = PQgetvalue(r, row, 28);
  return 0;
}

/* All rows of a SPEC_COLS result into an arena array. */
static enum err rows_to_array(struct arena *a, const PGresult *res, struct specialist **out, size_t *n) {
  int rows = PQntuples(res);
  *out = NULL;
  *n = 0;
  if (rows == 0) return ERR_OK;
  struct specialist *arr = arena_alloc(a, (size_t)rows * sizeof *arr);
  if (!arr) return ERR_INTERNAL;
  for (int i = 0; i < rows; i++)
    if (row_to_specialist(a, res, i, &arr[i]) != 0) return ERR_INTERNAL;
  *out = arr;
  *n = (size_t)rows;
  return ERR_OK;
}

/* Fills the 14 filter parameters into v[0..14) (strings from the arena). */
static int filter_params(struct arena *a, const struct specialist_filter *f, const char *q_pattern,
                         const char *v[14]) {
  v[0] = b(f->breast_specialist);
  v[1] = f->nci ? f->nci : "";
  v[2] = b(f->academic);
  v[3] = b(f->center_of_excellence);
  v[4] = b(f->remote_review);
  v[5] = b(f->in_person);
  v[6] = b(f->accepting);
  v[7] = f->review ? f->review : "";
  v[8] = f->in_network && f->network ? f->network : "";
  v[9] = f->language ? f->language : "";
  v[10] = f->state ? f->state : "";
  v[11] = arena_printf(a, "%d", f->max_days);
  v[12] = q_pattern ? q_pattern : "";
  v[13] = b(f->include_inactive);
  return v[11] ? 0 : -1;
}

enum err store_specialists_search(struct arena *a, const struct specialist_filter *f, const char *q_pattern,
                                  struct specialist **out, size_t *n) {
  const char *v[16];
  if (filter_params(a, f, q_pattern, v) != 0) return ERR_INTERNAL;
  v[14] = arena_printf(a, "%d", f->limit);
  v[15] = arena_printf(a, "%d", f->offset);
  if (!v[14] || !v[15]) return ERR_INTERNAL;
  const char *stmt = f->sort == SORT_TURNAROUND ? "spec_search_turnaround"
                     : f->sort == SORT_FEE      ? "spec_search_fee"
                                                : "spec_search_name";
  enum err e;
  PGresult *res = db_exec(a, stmt, 16, v, &e);
  if (!res) return e;
  return rows_to_array(a, res, out, n);
}

enum err store_specialists_count(struct arena *a, const struct specialist_filter *f, const char *q_pattern,
                                 long long *total) {
  const char *v[14];
  if (filter_params(a, f, q_pattern, v) != 0) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_count", 14, v, &e);
  if (!res) return e;
  *total = atoll(PQgetvalue(res, 0, 0));
  return ERR_OK;
}

enum err store_specialist_get(struct arena *a, long long id, struct specialist *out) {
  const char *v[1] = {arena_printf(a, "%lld", id)};
  if (!v[0]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_get", 1, v, &e);
  if (!res) return e;
  if (PQntuples(res) == 0) return ERR_NOT_FOUND;
  return row_to_specialist(a, res, 0, out) == 0 ? ERR_OK : ERR_INTERNAL;
}

/* Fills the 24 common write parameters from s. 0, or -1 when out of memory. */
static int write_params(struct arena *a, const struct specialist *s, const char *v[24]) {
  v[0] = s->external_id;
  v[1] = s->full_name;
  v[2] = s->credentials;
  v[3] = s->board ? s->board : "";
  v[4] = arena_printf(a, "%d", s->board_year);
  v[5] = b(s->breast_fellowship);
  v[6] = s->institution;
  v[7] = s->city;
  v[8] = s->state;
  v[9] = s->nci;
  v[10] = b(s->academic);
  v[11] = b(s->center_of_excellence);
  v[12] = b(s->remote_review);
  v[13] = b(s->in_person);
  v[14] = b(s->offers_reread);
  v[15] = arena_printf(a, "%lld", s->offers_reread ? s->fee_reread_cents : -1);
  v[16] = b(s->offers_consult);
  v[17] = arena_printf(a, "%lld", s->offers_consult ? s->fee_consult_cents : -1);
  v[18] = s->records_submission;
  v[19] = s->records_requirements ? s->records_requirements : "";
  v[20] = arena_printf(a, "%d", s->turnaround_days);
  v[21] = join_list(a, s->networks, s->n_networks);
  v[22] = join_list(a, s->languages, s->n_languages);
  v[23] = b(s->accepting);
  for (int i = 0; i < 24; i++)
    if (!v[i]) return -1;
  return 0;
}

enum err store_specialist_insert(struct arena *a, const struct specialist *s, long long *id) {
  const char *v[25];
  if (write_params(a, s, v) != 0) return ERR_INTERNAL;
  v[24] = arena_printf(a, "%lld", s->reviewer_user_id);
  if (!v[24]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_insert", 25, v, &e);
  if (!res) return e;
  *id = atoll(PQgetvalue(res, 0, 0));
  return ERR_OK;
}

enum err store_specialist_update(struct arena *a, long long id, const struct specialist *s) {
  const char *v[26];
  if (write_params(a, s, v) != 0) return ERR_INTERNAL;
  v[24] = arena_printf(a, "%lld", s->reviewer_user_id);
  v[25] = arena_printf(a, "%lld", id);
  if (!v[24] || !v[25]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_update", 26, v, &e);
  if (!res) return e;
  return PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err store_specialist_upsert(struct arena *a, const struct specialist *s, long long *id, bool *inserted) {
  const char *v[25];
  if (write_params(a, s, v) != 0) return ERR_INTERNAL;
  v[24] = b(s->active);
  enum err e;
  PGresult *res = db_exec(a, "spec_upsert", 25, v, &e);
  if (!res) return e;
  *id = atoll(PQgetvalue(res, 0, 0));
  *inserted = getb(res, 0, 1);
  return ERR_OK;
}

enum err store_specialist_set_active(struct arena *a, long long id, bool active) {
  const char *v[2] = {arena_printf(a, "%lld", id), b(active)};
  if (!v[0]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_set_active", 2, v, &e);
  if (!res) return e;
  return PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err store_specialists_all(struct arena *a, struct specialist **out, size_t *n) {
  enum err e;
  PGresult *res = db_exec(a, "spec_all", 0, NULL, &e);
  if (!res) return e;
  return rows_to_array(a, res, out, n);
}

enum err store_specialists_exist(struct arena *a, bool *any) {
  enum err e;
  PGresult *res = db_exec(a, "spec_exist", 0, NULL, &e);
  if (!res) return e;
  *any = getb(res, 0, 0);
  return ERR_OK;
}

/* Column 0 of every row into an arena array of strings. */
static enum err column_list(struct arena *a, const char *stmt, const char ***out, size_t *n) {
  enum err e;
  PGresult *res = db_exec(a, stmt, 0, NULL, &e);
  if (!res) return e;
  int rows = PQntuples(res);
  const char **arr = arena_alloc(a, ((size_t)rows + 1) * sizeof *arr);
  if (!arr) return ERR_INTERNAL;
  for (int i = 0; i < rows; i++) arr[i] = PQgetvalue(res, i, 0);
  *out = arr;
  *n = (size_t)rows;
  return ERR_OK;
}

enum err store_specialists_choices(struct arena *a, const char ***networks, size_t *n_networks,
                                   const char ***languages, size_t *n_languages) {
  enum err e = column_list(a, "spec_networks", networks, n_networks);
  if (e != ERR_OK) return e;
  return column_list(a, "spec_languages", languages, n_languages);
}

enum err store_reviewer_accounts(struct arena *a, struct reviewer_account **out, size_t *n) {
  enum err e;
  *n = 0;
  PGresult *res = db_exec(a, "spec_reviewer_accounts", 0, NULL, &e);
  if (!res) return e;
  *n = (size_t)PQntuples(res);
  *out = arena_alloc(a, (*n + 1) * sizeof **out);
  if (!*out) return ERR_INTERNAL;
  for (size_t i = 0; i < *n; i++) {
    (*out)[i].id = atoll(PQgetvalue(res, (int)i, 0));
    (*out)[i].name = arena_strdup(a, PQgetvalue(res, (int)i, 1));
    (*out)[i].email = arena_strdup(a, PQgetvalue(res, (int)i, 2));
    if (!(*out)[i].name || !(*out)[i].email) return ERR_INTERNAL;
  }
  return ERR_OK;
}

enum err store_account_kind(struct arena *a, long long user_id, const char **role, bool *active) {
  const char *v[1] = {arena_printf(a, "%lld", user_id)};
  if (!v[0]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_account_kind", 1, v, &e);
  if (!res) return e;
  if (PQntuples(res) != 1) return ERR_NOT_FOUND;
  *role = arena_strdup(a, PQgetvalue(res, 0, 0));
  *active = strcmp(PQgetvalue(res, 0, 1), "active") == 0;
  return *role ? ERR_OK : ERR_INTERNAL;
}

enum err store_specialist_link_reviewer(struct arena *a, long long id, long long user_id) {
  const char *v[2] = {arena_printf(a, "%lld", id), arena_printf(a, "%lld", user_id)};
  if (!v[0] || !v[1]) return ERR_INTERNAL;
  enum err e;
  PGresult *res = db_exec(a, "spec_link_reviewer", 2, v, &e);
  if (!res) return e;
  return PQntuples(res) == 1 ? ERR_OK : ERR_NOT_FOUND;
}

enum err store_specialist_link_by_email(struct arena *a, const char *external_id, const char *email, long long *id) {
  const char *v[2] = {external_id, email};
  enum err e;
  *id = 0;
  PGresult *res = db_exec(a, "spec_demo_link", 2, v, &e);
  if (!res) return e;
  if (PQntuples(res) == 1) *id = atoll(PQgetvalue(res, 0, 0));
  return ERR_OK;
}
