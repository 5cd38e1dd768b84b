/* Second-opinion requests: the state machine, per-object access rules, and
 * transitions. Every transition is one transaction that updates the status
 * (only from the expected state), appends a request_events row (the
 * timeline), writes the audit row and queues the notifications.
 *
 *   draft → submitted → triage ⇄ needs_info → accepted → (scheduled) →
 *   in_review → report_ready → closed;  declined and withdrawn end it.
 *
 * Owned by the request-workflow feature (issue 6); staff/reviewer actions
 * (issue 7) call requests_transition() and requests_access(). */
#ifndef SECONDOP_REQUESTS_H
#define SECONDOP_REQUESTS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "core/form.h"
#include "util/err.h"

struct arena;

enum req_status {
  RS_DRAFT,
  RS_SUBMITTED,
  RS_TRIAGE,
  RS_NEEDS_INFO,
  RS_ACCEPTED,
  RS_SCHEDULED,
  RS_IN_REVIEW,
  RS_REPORT_READY,
  RS_CLOSED,
  RS_DECLINED,
  RS_WITHDRAWN,
  RS_COUNT
};

/* "draft", "submitted", … as stored in requests.status. */
const char *req_status_name(enum req_status s);
/* Plain words for patients ("Waiting for the center to check it"). */
const char *req_status_label(enum req_status s);
/* Parses a stored name; false when unknown. */
bool req_status_parse(const char *name, enum req_status *out);
/* Pure rule: may an actor of this role move a request from → to?
 * patient: draft→submitted, submitted|triage|needs_info|accepted|scheduled→withdrawn, needs_info→triage (information sent);
 * staff: submitted→triage, triage→needs_info|accepted|declined, needs_info→triage|declined, accepted→scheduled|in_review|declined,
 *        scheduled→in_review, report_ready→closed; reviewer: accepted|scheduled→in_review, in_review→report_ready;
 * admin: none (admins manage the directory and accounts, not cases). */
bool req_transition_allowed(enum req_status from, enum req_status to, unsigned role);

enum req_access {
  RA_VIEW,     /* read the request and its records (audited as request.view) */
  RA_EDIT,     /* change the patient's answers or records */
};

/* Checks that the actor may see/change request `id`: a patient only their
 * own; staff any request past draft; a reviewer only requests assigned to
 * them; admins none. ERR_NOT_FOUND otherwise (never a hint that it exists),
 * and the refusal is audited. On success *status receives the state and
 * *patient_id the owner. RA_VIEW by a center role writes the request.view
 * audit row (what a patient sees under "who opened my records"). */
enum err requests_access(const struct actor *a, long long id, enum req_access kind, enum req_status *status,
                         long long *patient_id);
/* The same rule as requests_access(RA_VIEW) without the "ok" audit row, for reads that belong
 * to an opening already audited (the viewer's frames and previews: the study's opening is the
 * study.view row). Refusals are audited. ERR_OK with *patient_id the owner, or ERR_NOT_FOUND. */
enum err requests_access_view_unaudited(const struct actor *a, long long id, long long *patient_id);

/* The same rule as requests_access(), checked on the row it locks (SELECT ... FOR UPDATE) inside
 * the caller's transaction, so that the state it allows is the state the caller saves against:
 * one statement reads and locks what the rule needs. ERR_NOT_FOUND when the request is absent or
 * out of the actor's reach; the refusal is NOT audited here (the caller's transaction rolls back):
 * the caller writes it afterwards with requests_access_denied(). RA_VIEW by a center role writes
 * the request.view row in the transaction. *reviewer_id (may be NULL) receives the assigned reviewer. */
enum err requests_access_locked(const struct actor *a, long long id, enum req_access kind, enum req_status *status,
                                long long *patient_id, long long *reviewer_id);
/* Writes the audit row of a refused requests_access_locked(), after the caller's rollback. */
void requests_access_denied(const struct actor *a, long long id);

/* Moves request `id` from `from` to `to` in one transaction: refuses with
 * ERR_CONFLICT when the stored state is not `from` (a stale or forged
 * form), ERR_FORBIDDEN when req_transition_allowed() says no, ERR_NOT_FOUND
 * when requests_access() does. detail_json (may be NULL) is kept on the
 * timeline event (e.g. {"missing":["pathology_report"],"message":"…"} or
 * {"reason":"…"}); it is shown to the patient unless internal is true. */
enum err requests_transition(const struct actor *a, long long id, enum req_status from, enum req_status to,
                             const char *detail_json, bool internal);
/* ---- Additions (issue 6): the patient's workflow. All functions check
 * access through requests_access() (another patient's request is
 * ERR_NOT_FOUND), audit, and change answers only while the request is a
 * draft (ERR_CONFLICT otherwise). Strings come from the caller's arena. ---- */
struct rqs_row;
struct checklist_item;

/* True when the patient may add records in this state (draft, needs_info). */
bool req_records_open(enum req_status s);
/* True when the patient may withdraw from this state. */
bool req_withdrawable(enum req_status s);

/* Creates a draft for a patient actor (parent_id 0, or the request a third
 * opinion reconciles). Audited request.create. *id, *reference (arena). */
enum err requests_create_draft(struct arena *a, const struct actor *who, long long parent_id, long long *id,
                               const char **reference);
/* Creates a draft for patient_id: the actor themself, or a patient they act
 * for as her caregiver (core/caregivers.h; ERR_NOT_FOUND otherwise, audited).
 * Audited request.create with the patient's id. */
enum err requests_create_draft_for(struct arena *a, const struct actor *who, long long patient_id, long long *id,
                                   const char **reference);
/* Loads a request the actor may see (audited request.view). */
enum err requests_load(struct arena *a, const struct actor *who, long long id, struct rqs_row *out);
/* The patient actor's own requests, newest first. */
enum err requests_list_mine(struct arena *a, const struct actor *who, struct rqs_row **out, size_t *n);
/* The requests of patient_id: the actor's own, or those of a patient they act
 * for as caregiver (ERR_NOT_FOUND otherwise). */
enum err requests_list_for(struct arena *a, const struct actor *who, long long patient_id, struct rqs_row **out,
                           size_t *n);
/* The required-items checklist of a loaded request (items[8]); *n items. */
enum err requests_checklist(struct arena *a, const struct rqs_row *row, struct checklist_item *items, size_t *n);
/* Every reason submission is refused: step keys ("exam", "specialist",
 * "coverage") and checklist keys of missing required items. */
enum err requests_missing(struct arena *a, const struct rqs_row *row, const char ***keys, size_t *n);

/* The first-exam step as a declarative form (core/form.h): the spec the
 * page draws and requests_exam_submit parses; the kinds of exam are the one
 * vocabulary VOCAB_EXAM_TYPES (core/vocab.h). */
const struct form_spec *requests_exam_form(void);
/* Parses the posted exam step (today: the person's own date), then saves it
 * like requests_save_exam: one transaction holding the one access check,
 * the update and the one audit row. ERR_INVALID with errs filled (nothing
 * read or saved); ERR_NOT_FOUND, ERR_CONFLICT (not a draft) as the others. */
enum err requests_exam_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                              size_t n, const char *today, struct form_errors *errs);

/* The specialist step likewise: review type and mode, and "center" or the
 * id of a specialist who takes that kind of review and mode, is accepting,
 * and (a third opinion) did not write the parent's report — checked by the
 * saving statement itself; the reasons are read only when it refused.
 * ERR_INVALID with errs filled, nothing saved. */
const struct form_spec *requests_specialist_form(void);
enum err requests_specialist_submit(struct arena *a, const struct actor *who, long long id,
                                    const struct form_pair *in, size_t n, struct form_errors *errs);

/* The coverage step likewise: payment, plan, member id (sealed; empty keeps
 * the stored one), referral, the estimate read. ERR_INVALID with errs
 * filled, nothing saved (insurance without any member id is found in the
 * same transaction and rolled back). */
const struct form_spec *requests_coverage_form(void);
enum err requests_coverage_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                  size_t n, struct form_errors *errs);

/* Saves a step's answers (already validated by the caller). Draft only. The
 * access check, the change and its one audit row are one transaction. */
struct rqs_exam;
enum err requests_save_exam(const struct actor *who, long long id, const struct rqs_exam *x);
/* ERR_INVALID (nothing saved) when the specialist does not fit (see requests_specialist_submit). */
enum err requests_save_specialist(const struct actor *who, long long id, const char *review_type,
                                  const char *review_mode, bool center_chooses, long long specialist_id);
/* member_id: NULL keeps the stored one, "" clears it, else sealed and stored.
 * ERR_INVALID (nothing saved) when payment is "insurance" and no member id
 * would be stored. */
enum err requests_save_coverage(const struct actor *who, long long id, const char *payment, const char *plan,
                                const char *member_id, int needs_referral, bool acknowledged);
/* The stored member id opened (arena), "" when none. */
enum err requests_member_id(struct arena *a, const struct rqs_row *row, const char **member_id);
/* Records-request letter clock: date YYYY-MM-DD sent ("" clears); extend
 * once (ERR_CONFLICT on a second extension). Allowed before submission and
 * while needs_info. */
enum err requests_records_letter(const struct actor *who, long long id, const char *date);
enum err requests_records_extend(const struct actor *who, long long id);
/* The letter date, the patient's message and the signature as forms
 * (core/form.h): each parses its spec and then calls the function above
 * (requests_records_letter, requests_post_message, requests_sign_authorization).
 * ERR_INVALID with errs filled and nothing saved: a malformed or future date,
 * an empty or too long message, a missing name or tick, a name that is not
 * the signer's (full_name) or a changed text (confirm). */
const struct form_spec *requests_letter_form(void);
enum err requests_letter_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                size_t n, const char *today, struct form_errors *errs);
const struct form_spec *requests_message_form(void);
enum err requests_message_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                                 size_t n, struct form_errors *errs);
const struct form_spec *requests_sign_form(void);
enum err requests_sign_submit(struct arena *a, const struct actor *who, long long id, const struct form_pair *in,
                              size_t n, struct form_errors *errs);

/* Submits a complete draft in one transaction: ERR_INVALID (nothing
 * changed) while something required is missing. *reference: the final one. */
enum err requests_submit(struct arena *a, const struct actor *who, long long id, const char **reference);

/* The authorization text for a request (what the patient signs), its
 * version, and its SHA-256 (hex). Arena strings. */
extern const char *const REQUESTS_AUTH_VERSION;
enum err requests_authorization_text(struct arena *a, const struct rqs_row *row, const char **text,
                                     const char **sha256_hex);
/* Signs: the typed name must match the signer's own account name (case,
 * accents and spacing folded, core/sigfold.h: ERR_INVALID otherwise); a
 * caregiver signs in their own name, with their relationship and authority
 * recorded (authorization_signers), sha256_hex must equal the current text's
 * hash (ERR_CONFLICT: the text changed). Stores time, address and hash. */
enum err requests_sign_authorization(const struct actor *who, long long id, const char *typed_name,
                                     const char *sha256_hex);
/* Revokes the authorization in force. Before submission it only clears it;
 * from a withdrawable state it withdraws the request; during review it
 * flags review_stopped_at. ERR_NOT_FOUND when none is in force. */
enum err requests_revoke_authorization(const struct actor *who, long long id);

/* The message thread between the patient and the center (staff and the
 * assigned reviewer). Patients never see internal notes ("staff and
 * reviewers only"); only center roles may write them. Bodies are sealed at
 * rest. */
#define REQUESTS_MESSAGE_MAX 5000 /* characters */
/* true when body has something besides spaces and at most REQUESTS_MESSAGE_MAX characters. */
bool requests_message_valid(const char *body);
struct rqs_message;
/* Saves the message, its audit row and the notices (patient → staff and the
 * assigned reviewer; center → the patient; an internal note → the other
 * center side) in one transaction. ERR_INVALID: empty or too long (nothing
 * saved); ERR_CONFLICT: a draft; ERR_FORBIDDEN: a patient's internal note;
 * ERR_NOT_FOUND: no access. */
enum err requests_post_message(const struct actor *who, long long id, const char *body, bool internal);
/* Messages with bodies opened (body_sealed_hex replaced by the text), for
 * the owner, staff and the assigned reviewer (internal notes only for the
 * last two); marks the other side's messages read. A center caller shows it
 * on a page whose view is already audited (center_case_load). read_at of each row is
 * as it was before this call (empty: new to the reader when not theirs). */
enum err requests_thread(struct arena *a, const struct actor *who, long long id, struct rqs_message **out,
                         size_t *n);
struct rqs_unread;
/* Unread messages per request among ids (the requests a page lists) for
 * this reader: a patient's from the center on her requests; staff's from
 * patients on any request; a reviewer's from patients on the cases assigned
 * to them. Internal notes are not counted. */
enum err requests_unread(struct arena *a, const struct actor *who, const long long *ids, size_t n_ids,
                         struct rqs_unread **out, size_t *n);
/* The count for one request in a requests_unread answer (0 when absent). */
long long requests_unread_of(const struct rqs_unread *u, size_t n, long long request_id);
/* Opens a third-opinion draft linked to `parent_id` (report_ready or
 * closed), with the same answers and records (no re-upload). *new_id. */
enum err requests_third_opinion(struct arena *a, const struct actor *who, long long parent_id, long long *new_id);
#endif
