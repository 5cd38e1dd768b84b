/* The reviewer's structured report: draft, signature, release, addenda and
 * the patient's follow-up questions. No HTTP types.
 *
 * - Findings per breast are sealed at rest (XChaCha20-Poly1305 under a
 *   subkey of the app key, the request id and side as associated data).
 * - Only the assigned reviewer writes and signs, and only while the request
 *   is in review. Signing needs the reviewer's password or a current TOTP
 *   code (a wrong one is refused and nothing is signed); it computes the
 *   concordance with the first read (core/triage.h), stores a BLAKE2b-256
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
#include "core/requests.h"
#include "store/center.h"
#include "util/err.h"

struct arena;

#define REPORTS_MAX_QUESTIONS 3

struct report_fields {
  const char *findings_left, *findings_right;
  const char *birads, *density, *recommendation;
  const char *first_recommendation; /* the first read's next step ("" = implied by its category) */
  const char *answers, *summary, *explanation;
};

struct report_view {
  bool exists, is_signed, released;
  long long id;
  struct report_fields f;
  const char *concordance, *first_birads, *signed_at, *signed_by, *content_hash, *released_at, *updated_at;
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

/* Loads the report of a request for the actor: the assigned reviewer and
 * staff always (a missing report gives exists = false); the owner patient
 * only after release (ERR_NOT_FOUND before). Findings are opened. Audited
 * report.view. */
enum err reports_load(struct arena *a, const struct actor *who, long long request_id, struct report_view *out);
/* Saves the draft (assigned reviewer, request in review). Only length and
 * vocabulary are checked (a draft may be incomplete). ERR_INVALID with errs,
 * ERR_CONFLICT when signed or not in review. */
enum err reports_save_draft(struct arena *a, const struct actor *who, long long request_id,
                            const struct report_fields *f, struct report_errors *errs);
/* Saves and signs: every field required, the credential (password or TOTP
 * code) must be right (ERR_UNAUTHENTICATED, nothing signed); during a pause
 * after too many wrong ones, ERR_TOO_MANY with the message in errs. */
enum err reports_sign(struct arena *a, const struct actor *who, long long request_id, const struct report_fields *f,
                      const char *credential, struct report_errors *errs);
/* Adds a signed addendum (question_id 0 for a correction). The credential
 * rule of reports_sign applies. */
enum err reports_addendum(struct arena *a, const struct actor *who, long long request_id, long long question_id,
                          const char *body, const char *credential, struct report_errors *errs);
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
 * reports_sign and reports_addendum refuse with ERR_TOO_MANY meanwhile. */
int reports_reauth_wait(struct arena *a, const struct actor *who);

/* Plain words for the patient. */
const char *reports_birads_words(const char *birads);
const char *reports_density_words(const char *density);
#endif
