/* SQL for the center's tables (migrations/0007_center.sql) and the center's
 * reads of the request workflow tables: the triage queue, a case as staff and
 * reviewers see it, coverage checks, consultations, reports, addenda,
 * follow-up questions, notification preferences, metrics, and the outbox
 * delivery statements (claim / sent / retry / hold).
 *
 * Rows come back as a rowset: column names and text values (arena-owned),
 * read with rs_get(). Binary values travel as lower-case hex. Errors:
 * ERR_NOT_FOUND when a single-row read matched nothing, ERR_CONFLICT on a
 * unique violation, ERR_UNAVAILABLE / ERR_INTERNAL from the database. */
#ifndef SECONDOP_STORE_CENTER_H
#define SECONDOP_STORE_CENTER_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

/* Text rows of one result; NULL columns read as "". */
struct rowset {
  size_t n, ncol;
  const char **names; /* ncol */
  const char **v;     /* n * ncol */
};
/* Value of column `col` in row i, "" when absent. */
const char *rs_get(const struct rowset *rs, size_t i, const char *col);
long long rs_ll(const struct rowset *rs, size_t i, const char *col);
bool rs_bool(const struct rowset *rs, size_t i, const char *col);
/* The index of a column by name, or -1: for loops over many rows. */
long rs_col(const struct rowset *rs, const char *col);

/* Registers the statements (before threads start). */
void store_center_register(void);

/* ---- triage queue ---- */
struct st_queue_filter {
  const char *status;      /* "" all past draft, else one status */
  int priority;            /* 0 any, 1..6 (core/triage.h) */
  long long specialist_id; /* 0 any */
  bool overdue, incomplete;
  const char *q;           /* "" none: reference or patient name (ILIKE) */
  long long limit, offset;
};
/* Recomputes the stored triage class and upcoming treatment date of the
 * requests with a treatment date computed before today (trigger
 * requests_triage); the queue and the worklist call it before reading. */
enum err st_triage_refresh(struct arena *a);
/* Filtered totals are counted up to this many (more: "more than"), or just past the page asked for. */
#define ST_QUEUE_COUNT_CAP 200
/* What the queue page shows, read in one round trip. */
struct st_queue_page {
  struct rowset rows;       /* the page, in triage order */
  long long total;          /* how many matched (see st_queue_page) */
  struct rowset counts;     /* requests per status (status, n) */
  long long overdue;        /* open requests past their due date */
  struct rowset assignable; /* as st_assignable */
  struct rowset comm;       /* open communication tasks, as st_comm_open (store/reports.h) */
};
/* A page of the queue in triage order with the counts the page shows, in one
 * round trip (db_pipeline), with the open communication tasks and, per row,
 * the patient's messages nobody at the center has read yet (column unread). With begin, that round trip also opens a
 * transaction (BEGIN) which the caller ends; otherwise the statements run in
 * the caller's transaction when one is open. The
 * total is exact from the kept counts when only a status filter applies;
 * otherwise counted up to max(ST_QUEUE_COUNT_CAP, offset + limit) + 1 rows, so
 * a total above that bound means "more than". Values live in the arena. */
enum err st_queue_page(struct arena *a, const struct st_queue_filter *f, bool begin, struct st_queue_page *out);
/* Requests per status (status, n) and the overdue count. */
enum err st_queue_counts(struct arena *a, struct rowset *out);
enum err st_overdue_count(struct arena *a, long long *n);

/* ---- a case ---- */
/* Everything about a request staff and reviewers see (one row). */
enum err st_case(struct arena *a, long long request_id, struct rowset *out);
/* Timeline events, oldest first; include_internal false hides staff-only ones. */
enum err st_events(struct arena *a, long long request_id, bool include_internal, struct rowset *out);
/* Active specialists linked to an active reviewer account (id, full_name, reviewer_user_id, reviewer_name). */
enum err st_assignable(struct arena *a, struct rowset *out);
/* The reviewer account of an active specialist linked to an active reviewer; ERR_NOT_FOUND otherwise. */
enum err st_specialist_reviewer(struct arena *a, long long specialist_id, long long *reviewer_user_id);
/* Assigns; reason ("" for none) says why not the patient's choice. */
enum err st_assign(struct arena *a, long long request_id, long long specialist_id, long long reviewer_user_id,
                   const char *reason);
enum err st_claim(struct arena *a, long long request_id, long long staff_id);
enum err st_coverage_set(struct arena *a, long long request_id, bool verified, bool referral, const char *network,
                         const char *notes, long long by);
enum err st_consult_add(struct arena *a, long long request_id, const char *starts_at, const char *place,
                        long long by);
/* The newest consultation (id, starts_at "YYYY-MM-DD HH:MM", ics_start "YYYYMMDDTHHMMSS", ics_end, place, created_at_ics). */
enum err st_consult_latest(struct arena *a, long long request_id, struct rowset *out);
/* Reviewer worklist: requests assigned to the reviewer (open ones first). */
enum err st_reviewer_cases(struct arena *a, long long reviewer_id, struct rowset *out);
/* Documents of a request (id, kind, original_name, sniffed_type, size, skipped, refused, skip_reason,
 * modality, laterality, view_position, study_date, patient_name, patient_birth_date). */
enum err st_documents(struct arena *a, long long request_id, struct rowset *out);
/* Studies of a request with series/image counts. */
enum err st_studies(struct arena *a, long long request_id, struct rowset *out);

/* ---- reports ---- */
enum err st_report_by_request(struct arena *a, long long request_id, struct rowset *out);
/* Inserts or updates the draft (never a signed one: ERR_CONFLICT). Findings and answers as hex of the sealed
 * bytes ("" = NULL); first_rec is the first read's next step as the reviewer typed it. */
enum err st_report_save(struct arena *a, long long request_id, long long reviewer_id, const char *left_hex,
                        const char *right_hex, const char *birads, const char *density, const char *recommendation,
                        const char *answers_hex, const char *summary, const char *explanation,
                        const char *first_rec, const char *contradiction_reason, long long *report_id);
/* Signs the draft with the verdict computed under the management rules (concordance_rules = 2). */
enum err st_report_sign(struct arena *a, long long report_id, const char *first_birads, const char *first_rec,
                        const char *concordance, const char *suspicion, const char *first_state,
                        const char *hash_hex, long long by);
enum err st_report_release(struct arena *a, long long report_id, long long by);
enum err st_addenda(struct arena *a, long long report_id, struct rowset *out);
enum err st_addendum_add(struct arena *a, long long report_id, long long question_id, long long author,
                         const char *body, const char *hash_hex);
enum err st_questions(struct arena *a, long long report_id, struct rowset *out);
enum err st_question_add(struct arena *a, long long report_id, long long patient_id, const char *text);

/* ---- notifications ---- */
/* The user's e-mail and whether they want this kind (no row: yes). ERR_NOT_FOUND for an unknown or disabled user. */
enum err st_notify_target(struct arena *a, long long user_id, const char *kind, const char **email, bool *wants,
                          const char **time_zone);
/* (event_kind, enabled) rows the user set. */
enum err st_prefs(struct arena *a, long long user_id, struct rowset *out);
enum err st_pref_set(struct arena *a, long long user_id, const char *kind, bool enabled);
/* Active staff accounts (id) for staff-wide notifications. */
enum err st_staff_ids(struct arena *a, struct rowset *out);

/* ---- metrics ---- */
enum err st_outbox_backlog(struct arena *a, long long *pending, long long *held);

/* ---- outbox delivery ---- */
struct st_mail {
  long long id;
  const char *recipient, *subject, *body; /* body: legacy plaintext, "" when sealed */
  int attempts; /* including this one */
  const char *body_sealed_hex; /* sealed body (core/outbox.h), "" for a legacy row */
};
/* Claims one due message (FOR UPDATE SKIP LOCKED), counting the attempt and
 * leasing it for lease_s seconds. ERR_NOT_FOUND when none is due. */
enum err st_mail_claim(struct arena *a, long lease_s, struct st_mail *out);
enum err st_mail_sent(struct arena *a, long long id);
enum err st_mail_retry(struct arena *a, long long id, long wait_s, const char *error);
enum err st_mail_hold(struct arena *a, long long id, const char *error);

/* ---- center settings (admin) ---- */
/* Review targets (review_type, target_days, updated_at), "default" last. */
enum err st_targets(struct arena *a, struct rowset *out);
/* Sets one target; *changed false when the type is unknown or already had
 * that value (ERR_OK either way). */
enum err st_target_set(struct arena *a, const char *review_type, int days, bool *changed);
/* Eligibility rules (kind, enabled, months, message, updated_at) by kind. */
enum err st_rules(struct arena *a, struct rowset *out);
/* Flips a rule on or off; *enabled is its new state. ERR_NOT_FOUND for an unknown kind. */
enum err st_rule_toggle(struct arena *a, const char *kind, bool *enabled);
/* Whether the image viewer shows its "for review only" notice (true when
 * the setting row is missing). */
enum err st_viewer_notice(struct arena *a, bool *on);
/* Turns the viewer notice on or off; *on is the new value. */
enum err st_viewer_notice_toggle(struct arena *a, bool *on);
/* The center's name and postal address (arena strings; "" when not set). */
enum err st_center_identity(struct arena *a, const char **name, const char **address);
/* Stores them (the caller validated them and runs the transaction). */
enum err st_center_identity_set(struct arena *a, const char *name, const char *address);
/* One row for the header of a printed page of request `request_id`: reference, patient_name,
 * birth_date (YYYY-MM-DD or ""), center_name, center_address. No access check (the domain's).
 * ERR_NOT_FOUND for an unknown request. */
enum err st_print_header(struct arena *a, long long request_id, struct rowset *out);
#endif
