/* The audit trail: append-only, hash-chained rows in audit_log. Every login
 * result, every account change and every read or change of patient data
 * writes one. The database refuses UPDATE and DELETE on the table. */
#ifndef SECONDOP_AUDIT_H
#define SECONDOP_AUDIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/actor.h"
#include "util/err.h"

struct audit_event {
  const char *action;       /* dotted verb: "login.success", "request.view", "document.download" */
  const char *object_type;  /* "user", "request", "document", "specialist", NULL */
  const char *object_id;    /* its id as text, or NULL */
  long long patient_id;     /* the patient whose data this touches (0 if none): lets a patient see who opened their records */
  const char *outcome;      /* "ok", "denied", "failed" (NULL means "ok") */
  const char *detail_json;  /* small JSON object text, or NULL; never passwords, tokens or clinical text */
};

/* Appends one row for the actor. Runs on the calling thread's database
 * connection, so inside the caller's transaction when one is open (the row
 * commits or rolls back with the change it records). Serialises the chain
 * with a transaction-scoped advisory lock. ERR_OK, or ERR_UNAVAILABLE /
 * ERR_INTERNAL. */
enum err audit_write(const struct actor *a, const struct audit_event *ev);
/* The same inside a transaction the caller opened, whose COMMIT is sent in
 * the same round trip as the row (the caller's last step): ERR_OK once both
 * are done. ERR_INTERNAL when no transaction is open; on any failure the
 * caller rolls back (db_in_tx tells whether one is still open). */
enum err audit_write_commit(const struct actor *a, const struct audit_event *ev);
/* Walks the whole chain; returns the id of the first row whose hash does
 * not match (0 when intact, -1 when the database could not be read). */
long long audit_verify(void);

/* ---- Additions: reading the trail (admin page, CLI, patient view) ---- */
struct arena;

/* One stored row. Text fields are NULL where the column is NULL. */
struct audit_entry {
  long long id;
  long long at_us;                /* microseconds since 1970-01-01 UTC */
  bool has_actor_id;
  long long actor_id;
  const char *actor_role, *action, *object_type, *object_id;
  bool has_patient_id;
  long long patient_id;
  const char *outcome, *ip, *request_id;
  const char *detail;             /* PostgreSQL's jsonb text form, or NULL */
  bool has_prev;
  unsigned char prev_hash[32];
  unsigned char hash[32];
  /* filled when reading */
  bool at_matches;                /* the at column equals epoch + at_us */
  const char *at_text;            /* "YYYY-MM-DD HH:MM:SS" UTC */
  const char *actor_name, *actor_email; /* from users; NULL when none or gone */
};

/* What to look for; zero/NULL fields match everything. */
struct audit_filter {
  long long actor_id;
  const char *actor_email;        /* case-insensitive match on users.email */
  long long patient_id;
  const char *action;             /* exact, or a prefix when it ends with '.' ("login.") */
  const char *object_type, *object_id;
  const char *since, *until;      /* YYYY-MM-DD, both inclusive, days in zone tz */
  const char *tz;                 /* the reader's time zone (util/tz.h); NULL: UTC */
};

/* Registers the audit statements (idempotent; call before threads start).
 * app_init calls it; a CLI command that writes audit rows without app_init
 * must call it before its first database use. */
void audit_register(void);
/* The chain hash of a row (see the canonical form in core/audit.c): BLAKE2b-256
 * over the previous hash (or 32 zero bytes) and the row's columns. */
void audit_row_hash(const struct audit_entry *e, unsigned char out[32]);
/* As audit_verify, also counting the rows checked into *rows (may be NULL). */
long long audit_verify_count(long long *rows);
/* True when s is a real calendar date written YYYY-MM-DD. */
bool audit_date_valid(const char *s);
/* Matching rows, newest first: offset/limit paging; *total counts all matches.
 * Rows and strings are owned by the arena. ERR_OK, ERR_INVALID (bad date),
 * ERR_UNAVAILABLE or ERR_INTERNAL. */
enum err audit_search(struct arena *a, const struct audit_filter *f, long long offset, int limit,
                      struct audit_entry **out, size_t *n, long long *total);
/* Matching rows with id > after_id, oldest first, at most limit (exports
 * page through with the last id seen). Arena-owned. Errors as audit_search. */
enum err audit_export_page(struct arena *a, const struct audit_filter *f, long long after_id, int limit,
                           struct audit_entry **out, size_t *n);
/* Number of matching rows. Errors as audit_search. */
enum err audit_count(struct arena *a, const struct audit_filter *f, long long *count);
/* Who touched this patient's data, newest first (at most limit rows), with
 * the actor's name from users. For the patient's "who opened my records"
 * page; the caller checks that the actor may see it. Arena-owned. */
enum err audit_list_for_patient(struct arena *a, long long patient_id, int limit, struct audit_entry **out,
                                size_t *n);
/* Writes one CSV field to f: quoted when needed (", CR, LF, comma), and
 * prefixed with ' when it starts with = + - @ (or tab/CR) so spreadsheets do
 * not run it as a formula. NULL writes an empty field. */
void audit_csv_field(FILE *f, const char *s);
/* Writes the CSV header line and one line per entry. */
void audit_csv_header(FILE *f);
void audit_csv_row(FILE *f, const struct audit_entry *e);
#endif
