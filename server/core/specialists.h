/* The specialist directory: the record, its validation (per-field errors),
 * the patients' filters and sorts, admin changes (audited) and the CSV
 * import/export that loads a whole directory. No HTTP types here.
 *
 * The directory holds no patient data: reading it needs no actor and writes
 * no audit row; every change does. Specialists are never deleted: an
 * inactive one is hidden from listings but still readable by id, so old
 * requests keep pointing at them. */
#ifndef SECONDOP_CORE_SPECIALISTS_H
#define SECONDOP_CORE_SPECIALISTS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "util/err.h"

struct form_spec;
struct form_pair;
struct form_errors;

struct arena;

struct specialist {
  long long id;
  const char *external_id, *full_name, *credentials, *board;
  int board_year; /* 0 when not board-certified */
  bool breast_fellowship;
  const char *institution, *city, *state;
  const char *nci;              /* "none", "clinical", "comprehensive" */
  bool academic, center_of_excellence, remote_review, in_person;
  bool offers_reread, offers_consult;
  long long fee_reread_cents, fee_consult_cents; /* -1 when not offered */
  const char *records_submission; /* "upload", "mail", "both" */
  const char *records_requirements;
  int turnaround_days;
  const char **networks, **languages;
  size_t n_networks, n_languages;
  bool accepting, active;
  long long reviewer_user_id; /* 0 when none */
  const char *created_at, *updated_at;
};

enum specialist_sort { SORT_NAME = 0, SORT_TURNAROUND, SORT_FEE };

struct specialist_filter {
  bool breast_specialist;  /* board-certified with a breast-imaging fellowship (on by default) */
  const char *nci;         /* NULL: any or none; "any", "clinical", "comprehensive" */
  bool academic, center_of_excellence, remote_review, in_person, accepting;
  const char *review;      /* NULL, "reread", "consult" */
  const char *network;     /* the patient's plan: marks in/out of network */
  bool in_network;         /* only specialists who accept `network` */
  const char *language;
  const char *state;       /* two letters, or NULL */
  int max_days;            /* 0: no limit */
  const char *q;           /* admin search text, or NULL */
  bool include_inactive;   /* admin listing */
  enum specialist_sort sort;
  int limit, offset;
};

/* One field error: the field's name as in forms and CSV headers, and a sentence. */
struct field_error {
  const char *field, *message;
};
struct field_errors {
  struct field_error *items;
  size_t n, cap;
};
/* Adds an error (strings borrowed from the arena or static). -1 when out of memory. */
int field_errors_add(struct arena *a, struct field_errors *fe, const char *field, const char *message);
/* The message for a field, or NULL. */
const char *field_errors_get(const struct field_errors *fe, const char *field);

/* The input of a specialist as text, by field name (a form or a CSV row).
 * Returns NULL when the field is absent. */
typedef const char *(*spec_getter)(void *ctx, const char *field);

/* The field names of the record, in CSV column order (NULL-terminated). */
extern const char *const specialist_fields[];

/* Defaults for a filter: breast specialists only, sort by name, 20 a page. */
void specialist_filter_defaults(struct specialist_filter *f);

/* Validates text input into *out (strings copied to the arena). With
 * for_csv, external_id is required and fees/booleans read the same way.
 * Returns ERR_OK, ERR_INVALID with errors added to *fe, or ERR_INTERNAL. */
enum err specialist_from_input(struct arena *a, spec_getter get, void *ctx, bool for_csv, struct specialist *out,
                               struct field_errors *fe);
/* Fills name -> text for every field of s (for re-showing a form or CSV):
 * calls put(ctx, name, value) once per field. Values come from the arena. */
void specialist_to_text(struct arena *a, const struct specialist *s,
                        void (*put)(void *ctx, const char *field, const char *value), void *ctx);

/* Listing: one page of specialists matching f (arena-allocated array in
 * *out, count in *n) and the number of all matches in *total. */
enum err specialists_search(struct arena *a, const struct specialist_filter *f, struct specialist **out, size_t *n,
                            long long *total);
/* One specialist by id, active or not. ERR_NOT_FOUND when there is none. */
enum err specialist_get(struct arena *a, long long id, struct specialist *out);
/* The distinct insurance networks and languages of active specialists, sorted
 * (for the filter form's choices), cached for a minute. Arena arrays. */
enum err specialists_choices(struct arena *a, const char ***networks, size_t *n_networks, const char ***languages,
                             size_t *n_languages);
/* Frees the process-wide cache of choices (at shutdown; leak checkers). */
void specialists_choices_free(void);
/* True when s accepts the network (case-insensitive). */
bool specialist_accepts(const struct specialist *s, const char *network);

/* Creates a specialist (an empty external_id gets a generated one). *id set.
 * ERR_INVALID with fe filled on a duplicate external_id; audited. */
enum err specialist_create(const struct actor *who, struct arena *a, struct specialist *s, long long *id,
                           struct field_errors *fe);
/* Replaces the editable fields of specialist id (active and reviewer kept
 * when keep_status). ERR_NOT_FOUND, ERR_INVALID (duplicate external_id) or ERR_OK; audited. */
enum err specialist_update(const struct actor *who, struct arena *a, long long id, const struct specialist *s,
                           struct field_errors *fe);
/* The admin's form (the form layer): every field of the record but "active",
 * with reviewer_user_id (an account id, or empty for none). */
const struct form_spec *specialist_form(void);
/* Creates (id 0) or changes specialist id from the posted form: admins only
 * (ERR_FORBIDDEN, checked once, first); parsed and checked by the form layer
 * and the record's own rules; the reviewer account checked (an active
 * reviewer's, else an error on reviewer_user_id), the record saved and
 * audited in one transaction. ERR_INVALID with errs (nothing saved),
 * ERR_NOT_FOUND; *out_id the specialist. An emptied external_id on a change
 * keeps the stored one; on creation one is made. */
enum err specialist_submit(const struct actor *who, struct arena *a, long long id, const struct form_pair *in,
                           size_t n, struct form_errors *errs, long long *out_id);
/* Deactivates or reactivates; never deletes. ERR_NOT_FOUND or ERR_OK; audited. */
enum err specialist_set_active(const struct actor *who, struct arena *a, long long id, bool active);

/* One bad row of an import: its line in the file and why. */
struct import_problem {
  size_t line;
  const char *message;
};
struct import_report {
  size_t rows, created, updated;
  struct import_problem *problems;
  size_t n_problems;
  bool truncated; /* more problems than kept */
};
/* Imports a whole CSV file: every row is checked first; if any is bad,
 * nothing changes and every bad row is reported (line and reason). Else all
 * rows are written in one transaction (inserted, or updated by external_id)
 * with one audit row. Returns ERR_OK, ERR_INVALID (see report), or a store
 * error. Memory from the arena. */
enum err specialists_import_csv(const struct actor *who, struct arena *a, const char *data, size_t len,
                                struct import_report *rep);
/* The whole directory (inactive too) as CSV with a header row, in the
 * import's format. *out is malloc'd (free()). Audited as an export. */
enum err specialists_export_csv(const struct actor *who, struct arena *a, char **out, size_t *len);

/* Money in cents as "350.00". Arena string. */
const char *specialist_money(struct arena *a, long long cents);
struct reviewer_account;
/* The active reviewer accounts a directory entry may be linked to (the
 * admin form's picker). Create and update refuse any other account with a
 * field error on reviewer_user_id. */
enum err specialist_reviewer_choices(struct arena *a, struct reviewer_account **out, size_t *n);
/* Invites the specialist as a reviewer (an account in their directory name,
 * with the e-mailed link to choose a password; core/accounts.h) and links
 * the entry to it. ERR_INVALID with a field error on invite_email (bad or
 * taken address, an entry already linked); ERR_NOT_FOUND; ERR_FORBIDDEN for
 * non-admins; *user_id set. The posted form is specialist_invite_form
 * (invite_email, required). */
const struct form_spec *specialist_invite_form(void);
enum err specialist_invite_reviewer(const struct actor *who, struct arena *a, long long id, const struct form_pair *in,
                                    size_t n, struct field_errors *fe, long long *user_id);
/* Demo data: links the directory entry external_id to the active reviewer
 * account with this e-mail, unless the entry is linked already (audited).
 * *linked says whether it was done now. */
enum err specialist_link_demo(const struct actor *who, struct arena *a, const char *external_id, const char *email,
                              bool *linked);
#endif
