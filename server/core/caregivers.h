/* Caregivers: someone a patient trusts (a daughter, a partner) acts for her
 * in the portal with an account of their own.
 *
 * A caregiver's account is a patient-side account (role "patient"), not a
 * new role: the same person can be a patient too, every patient page and
 * route already admits them, and what they may do for someone else is not a
 * property of their account but of a link (caregiver_links) that the patient
 * made and can end. The link is checked per object in the domain:
 * caregivers_acts_for() is called by requests_access() (core/requests.c) and
 * the records rules (core/records.c), so a caregiver sees and acts on
 * exactly the requests of the patients who invited them and have not
 * revoked them; anything else is ERR_NOT_FOUND, as for any stranger.
 *
 * Invitation: the patient gives an e-mail address and the relationship; a
 * single-use link (256-bit token, kept as its BLAKE2b hash, 7 days — the
 * account invitation machinery of core/accounts.c) is e-mailed with no name
 * and no health data in it. Whoever opens it sees who invited them and
 * either creates an account (the invited address, proven by the link) or,
 * logged in, attaches the link to the account they have. Every step is
 * audited with both people: the actor is the caregiver, patient_id is her. */
#ifndef SECONDOP_CORE_CAREGIVERS_H
#define SECONDOP_CORE_CAREGIVERS_H
#include <stdbool.h>
#include <stddef.h>

#include "core/accounts.h"
#include "core/actor.h"
#include "util/err.h"

struct arena;

#define CG_INVITE_TTL (7 * 24 * 3600)
#define CG_OTHER_MAX 60 /* characters of the patient's own word for the relationship */

/* Pure: is (relationship, other) a valid choice? relationship one of
 * "daughter", "son", "spouse", "parent", "other"; other 1-60 characters of
 * text without control characters when relationship is "other", else ignored. */
bool cg_relationship_ok(const char *relationship, const char *other);
/* Pure: the relationship in words: "daughter", "son", "spouse or partner",
 * "parent", or the patient's own word. Static string or `other`. */
const char *cg_relationship_words(const char *relationship, const char *other);

/* One caregiver link as pages need it (arena strings). */
struct cg_link {
  long long id, patient_id, caregiver_id;
  const char *patient_name, *caregiver_name, *email, *relationship; /* relationship in words */
  const char *created_at, *expires_at;                                /* wire form */
  const char *authority;                                              /* in words (cg_authority_words) */
  bool accepted, expired, represents; /* represents: a representative's link, not an invitation */
};

/* The patient invites a caregiver. Errors per field ("email",
 * "relationship", "relationship_other") with ERR_INVALID; ERR_TOO_MANY when
 * she sent 10 invitations in the last hour. Audited caregiver.invite. */
enum err caregivers_invite(struct arena *a, const struct actor *who, const char *email, const char *relationship,
                           const char *other, struct acct_errors *errs);
/* The pending invitation behind a link (for its page): ERR_NOT_FOUND when
 * unknown, used, revoked or expired. */
enum err caregivers_invitation(struct arena *a, const char *token, struct cg_link *out);
/* The logged-in patient-side account who accepts the link. ERR_NOT_FOUND
 * (bad link), ERR_CONFLICT (it is her own account, or they already act for
 * her), ERR_FORBIDDEN (not a patient-side account). Audited caregiver.accept. */
enum err caregivers_accept(struct arena *a, const struct actor *who, const char *token);
/* Someone without an account accepts: creates it for the invited address
 * (name, password, zone checked as at sign-up; errs with ERR_INVALID), then
 * accepts. ERR_CONFLICT when the address has an account (log in first). */
enum err caregivers_accept_new(struct arena *a, const struct actor *who, const char *token, const char *name,
                               const char *password, const char *time_zone, struct acct_errors *errs);
/* The patient's caregivers and pending invitations, newest first. */
enum err caregivers_list(struct arena *a, const struct actor *who, struct cg_link **out, size_t *n);
/* The patients the actor acts for now. */
enum err caregivers_patients(struct arena *a, const struct actor *who, struct cg_link **out, size_t *n);
/* The patient ends a link (or withdraws an invitation), at once.
 * ERR_NOT_FOUND when it is not hers. Audited caregiver.revoke. */
enum err caregivers_revoke(struct arena *a, const struct actor *who, long long link_id);

/* The access rule: true when caregiver_id acts for patient_id now (a live
 * link). Reads the database on the calling thread (inside the caller's
 * transaction when one is open); false on any error. */
bool caregivers_acts_for(long long caregiver_id, long long patient_id);
/* The live link between them (ERR_NOT_FOUND when none). */
enum err caregivers_link(struct arena *a, long long patient_id, long long caregiver_id, struct cg_link *out);
/* Who did it, in words, for a page about patient_id's request: the reader
 * (reader_id) is "You"; the patient herself by name ("María Rivera", or
 * "You"); a caregiver with both people: to the patient "Your daughter Ana
 * Rivera", to anyone else "María Rivera's daughter Ana Rivera". NULL when
 * actor_id was never linked to her. */
const char *caregivers_who(struct arena *a, long long patient_id, long long actor_id, long long reader_id);

/* What caregivers did for the patient (the actor), newest first, as
 * sentences: "Your daughter Ana Rivera uploaded mammogram.dcm to SO-2026-00012
XX
 * format(when_wire) callback. */
struct cg_action {
  const char *who, *what, *at; /* at: wire form */
  long long request_id;
};
enum err caregivers_actions(struct arena *a, const struct actor *who, size_t limit, struct cg_action **out, size_t *n);

/* Who signed an authorization when it was not the patient: their name,
 * relationship in words and authority in words ("invited by the patient in
 * the portal", "healthcare power of attorney"). ERR_NOT_FOUND when the
 * patient signed. */
struct cg_signer {
  const char *name, *relationship, *authority;
};
enum err caregivers_signer(struct arena *a, long long authorization_id, struct cg_signer *out);

/* ---- Representatives: for a patient who cannot invite ----
 *
 * Someone with authority (healthcare power of attorney, legal guardian,
 * parent of a minor, personal representative) starts a request for a person
 * who has no account and cannot make one. The person gets a placeholder
 * patient account that cannot log in (status disabled, an address in the
 * reserved .invalid domain, so nothing is ever mailed to it), and the
 * representative a live link to it with the stated relationship and
 * authority, so every access rule above applies unchanged. The
 * representative uploads the document that gives them authority (kind
 * authority_document, through the same intake and encryption as records).
 *
 * The rule, decided once here and enforced in core/requests.c: the
 * representative may fill in, sign and submit the request once an authority
 * document is uploaded (before that, "authority_document" is one of the
 * missing items that block submission); staff may check it (triage, ask for
 * information, decline) but not accept it — nor, therefore, schedule it or
 * send it to a reviewer — until staff verified the newest authority
 * document. A refusal (with a reason the representative reads) keeps the
 * request at the staff check; a new document makes it pending again. */
#define CG_AUTHORITY_REASON_MAX 1000

/* Pure: is a one of "healthcare_poa", "legal_guardian", "parent_of_minor", "personal_representative"? */
bool cg_authority_ok(const char *a);
/* Pure: an authority in words ("healthcare power of attorney", … "invited by the patient in the portal"). */
const char *cg_authority_words(const char *a);

/* Starts a request for someone who cannot invite: validates name (1-200
 * characters), dob (YYYY-MM-DD, a real past date), relationship (and
 * other) and authority (errors per field, ERR_INVALID); creates the
 * placeholder account, the link and the draft in one transaction. Audited
 * caregiver.represent and request.create, both with the person as patient.
 * *request_id the new draft. */
enum err caregivers_represent(struct arena *a, const struct actor *who, const char *name, const char *dob,
                              const char *relationship, const char *other, const char *authority,
                              struct acct_errors *errs, long long *request_id);

/* CGA_ENDED: staff ended the representation (reason in cg_authority.reason); the representative has no
 * access and the request cannot be accepted until someone with authority acts again. */
enum cg_authority_state { CGA_NONE, CGA_MISSING, CGA_PENDING, CGA_VERIFIED, CGA_REFUSED, CGA_ENDED };
struct cg_authority {
  enum cg_authority_state state; /* CGA_NONE: the patient has no representative */
  long long link_id, caregiver_id, document_id, document_request_id; /* the newest authority document */
  const char *caregiver_name, *relationship, *authority, *reason, *decided_at;
};
/* The representation of patient_id and where its document stands (state
 * CGA_NONE when she has none; no access check: callers hold one). */
enum err caregivers_authority(struct arena *a, long long patient_id, struct cg_authority *out);
/* The state's words for pages ("waiting for the center to check it", …). */
const char *cg_authority_state_words(enum cg_authority_state s);
/* Staff decide on the newest authority document of request_id's patient:
 * verify, or refuse with a reason (errs "authority_reason", ERR_INVALID).
 * ERR_NOT_FOUND without access or representation; ERR_CONFLICT when
 * document_id is no longer the newest. Audited caregiver.authority.verify /
 * caregiver.authority.refuse with the patient. */
enum err caregivers_authority_decide(struct arena *a, const struct actor *who, long long request_id,
                                     long long document_id, bool verify, const char *reason,
                                     struct acct_errors *errs);

/* Staff end a representative's link (the authority was withdrawn, a court
 * order ended it) with a reason (errs "end_reason", ERR_INVALID): from that
 * moment the representative gets 404 on every path of the person's.
 * ERR_NOT_FOUND without access or without a live representation;
 * ERR_CONFLICT when link_id is not the live one. Audited caregiver.end with
 * the patient. */
enum err caregivers_end_representation(struct arena *a, const struct actor *who, long long request_id,
                                       long long link_id, const char *reason, struct acct_errors *errs);

/* A caregiver's (or representative's) upload or removal of records goes on
 * the request's timeline (request_events kind records_added /
 * records_removed, detail {"file": name}), in the caller's transaction, so
 * the status page and the staff timeline name both people. Nothing is
 * written when who is the patient herself or a center account (ERR_OK). */
enum err caregivers_records_event(const struct actor *who, long long request_id, long long patient_id, bool added,
                                  const char *file_name);
/* Pure: the words of such an event without its actor ("added
 * mammogram-report.pdf to the records"); NULL for any other kind. Arena
 * string or static. */
const char *cg_records_event_words(struct arena *a, const char *kind, const char *detail);
/* The forms, declared for the one form layer (core/form.h) and parsed by the
 * pages before the functions above are called with the typed values:
 * the invitation (email, relationship, relationship_other), a request for
 * someone (name, dob, relationship, relationship_other, authority),
 * accepting an invitation with a new account (name, password: secret,
 * time_zone), staff's decision on an authority document (document,
 * decision verify/refuse, reason: required to refuse, at most 1,000
 * characters) and ending a representative (link, end_reason). */
struct form_spec;
const struct form_spec *caregivers_invite_form(void);
const struct form_spec *caregivers_represent_form(void);
const struct form_spec *caregivers_accept_form(void);
const struct form_spec *caregivers_authority_form(void);
const struct form_spec *caregivers_end_form(void);
#endif
