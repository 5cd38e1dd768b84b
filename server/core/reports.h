/* The reviewer's structured report: draft, signature, release, addenda and
 * the patient's follow-up questions. No HTTP types.
 *
 * - Findings per breast are sealed at rest (XChaCha20-Poly1305 under a
 *   subkey of the app key, the request id and side as associated data).
 * - Only the assigned reviewer writes and signs, and only while the request
 *   is in review. Signing needs the reviewer's password or a current TOTP
 *   code (a wrong one is refused and nothing is signed); it computes the
 *   concordance with the first read (core/concordance.h), stores a BLAKE2b-256
 *   content hash, freezes the row (the database refuses any UPDATE of a
 *   signed report) and moves the request in_review → report_ready, all in
 *   one transaction.
 * - Addenda (corrections, answers to follow-up questions) are dated, signed
 *   the same way, hashed and immutable.
 * - Staff release a signed report; the patient (owner) reads it only after
 *   the release and may ask up to three follow-up questions. */
#ifndef SECONDOP_REPORTS_H
#define SECONDOP_REPORTS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/actor.h"
#include "core/concordance.h"
#include "core/requests.h"
#include "store/center.h"
#include "util/err.h"

struct arena;

#define REPORTS_MAX_QUESTIONS 3

struct report_fields {
  const char *findings_left, *findings_right;
  const char *birads, *density, *recommendation;
  const char *first_recommendation; /* the first read's next step as the reviewer read it on the original report
                                       ("" = the verified one, or implied by its category) */
  const char *answers, *summary, *explanation;
  const char *contradiction_reason; /* why the category and the recommendation disagree (required then) */
};

/* The verdict as computed (preview) or stored (signed report). */
struct report_verdict {
  struct conc_result r;
  enum first_state state;
  const char *first_birads, *first_rec; /* "" when unknown */
  bool contradiction;                   /* the second read's category contradicts its recommendation */
};

struct report_view {
  bool exists, is_signed, released;
  long long id;
  struct report_fields f;
  const char *concordance, *first_birads, *signed_at, *signed_by, *content_hash, *released_at, *updated_at;
  const char *suspicion, *first_state; /* stored names ("" on rows signed before the management rules) */
  bool legacy_rules;                   /* signed under the old category-scale rules */
  struct rowset addenda, questions;
  enum req_status status;
  long long patient_id;
};

struct report_errors {
  size_t n;
  struct {
    const char *field, *message;
  } e[12];
};

/* The reviewer's forms (core/form.h). The report: findings_left/right
 * (≤ 5,000 characters each), birads, density (A–D), recommendation,
 * first_recommendation, answers (≤ 10,000), summary (≤ 5,000), explanation
 * (≤ 3,000), contradiction_reason (≤ 2,000), credential (secret: never
 * echoed); sign = true adds what signing needs (every field but the
 * optional ones, and a reason when category and recommendation disagree).
 * The addendum: question_id (optional id), body (≤ 10,000), credential.
 * The thread: reply or note (≤ 5,000). Static. */
struct form_spec;
struct form_pair;
const struct form_spec *reports_form(bool sign);
const struct form_spec *reports_addendum_form(void);
const struct form_spec *reports_thread_form(bool internal);
/* Parses the posted report form (sign: the "Sign" button) and saves the
 * draft (assigned reviewer, request in review; a draft may be incomplete),
 * or saves and signs it: the credential (password or TOTP code, read as
 * typed, never trimmed or echoed) must be right (ERR_UNAUTHENTICATED with
 * the message in errs, nothing signed); during a pause after too many wrong
 * ones, ERR_TOO_MANY with the message in errs. ERR_INVALID with errs filled
 * and nothing read or saved when a field is wrong; ERR_CONFLICT when signed
 * or not in review. */
enum err reports_submit(struct arena *a, const struct actor *who, long long request_id, bool sign,
                        const struct form_pair *in, size_t n, struct report_errors *errs);
/* Parses the posted addendum and adds it, signed (question_id absent for a
 * correction); the credential rule of signing applies. */
enum err reports_addendum_submit(struct arena *a, const struct actor *who, long long request_id,
                                 const struct form_pair *in, size_t n, struct report_errors *errs);
/* Parses the posted reply (internal: the note) and posts it in the
 * request's thread (requests_post_message). ERR_INVALID with errs filled,
 * nothing sent. */
enum err reports_thread_submit(struct arena *a, const struct actor *who, long long request_id, bool internal,
                               const struct form_pair *in, size_t n, struct report_errors *errs);

/* Loads the report of a request for the actor: the assigned reviewer and
 * staff always (a missing report gives exists = false); the owner patient
 * only after release (ERR_NOT_FOUND before). Findings are opened. Audited
 * report.view. */
enum err reports_load(struct arena *a, const struct actor *who, long long request_id, struct report_view *out);
/* The patient asks a follow-up question on a released report (at most
 * REPORTS_MAX_QUESTIONS: ERR_CONFLICT beyond). */
enum err reports_ask(struct arena *a, const struct actor *who, long long request_id, const char *question,
                     struct report_errors *errs);
/* Checks the actor's password or current TOTP code (a code is used once).
 * ERR_OK, ERR_UNAUTHENTICATED, ERR_UNAVAILABLE (hashing busy). */
enum err reports_reauth(struct arena *a, const struct actor *who, const char *credential);
/* Seconds the actor must still wait before signing again after too many wrong
 * credentials (5 within 15 minutes pause signing and addenda for 15 minutes
 * after the last); 0 when signing is open (or on a database error).
 * signing a report or an addendum is refused with ERR_TOO_MANY meanwhile. */
int reports_reauth_wait(struct arena *a, const struct actor *who);

/* The verdict the report would get if signed now with fields f (the same
 * computation as signing: the first read from requests.verified_*, the
 * reviewer's first_recommendation, core/concordance.h). Assigned reviewer
 * only (ERR_NOT_FOUND otherwise); not audited as a change (nothing changes),
 * audited report.preview. */
enum err reports_preview(struct arena *a, const struct actor *who, long long request_id,
                         const struct report_fields *f, struct report_verdict *out);
/* The verdict of a signed report, rebuilt from its stored names (for the
 * patient's sentence); false on rows signed under the old rules. */
bool reports_stored_verdict(const struct report_view *v, struct conc_result *out);
/* Seals answers still stored as plaintext (rows from before migration 0016).
 * Run at start-up, before the HTTP threads. 0 or -1. */
int reports_seal_legacy_answers(void);

/* Plain words for the patient. */
const char *reports_density_words(const char *density);
#endif
