/* SQL for caregiver links (migrations/0030_caregivers.sql) as named prepared
 * statements. Times are unix seconds from the caller (the test clock
 * applies); instants leave in the wire form (util/tz.h). Strings live in the
 * arena. ERR_NOT_FOUND when no row matched, ERR_CONFLICT on a unique
 * violation, else the database's error. */
#ifndef SECONDOP_STORE_CAREGIVERS_H
#define SECONDOP_STORE_CAREGIVERS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

struct st_cg_link {
  long long id, patient_id, caregiver_id;      /* caregiver_id 0 while only invited */
  const char *patient_name, *caregiver_name;   /* "" when none yet */
  const char *invited_email, *relationship, *relationship_other;
  const char *created_at, *expires_at;         /* wire form */
  const char *authority;                       /* "patient_invitation", "healthcare_poa", … */
  bool accepted, expired;
};

/* Registers the statements (before threads start). */
void st_cg_register(void);

enum err st_cg_invite(struct arena *a, long long patient_id, const char *email, const char *relationship,
                      const char *other, const char *hash_hex, long long now, long long expires, long long *id);
/* The pending invitation with this link hash (not used, revoked or expired). */
enum err st_cg_peek(struct arena *a, const char *hash_hex, long long now, struct st_cg_link *out);
/* Uses the link for caregiver_id, atomically: ERR_NOT_FOUND when it is no
 * longer pending, ERR_CONFLICT when that caregiver already acts for her. */
enum err st_cg_accept(struct arena *a, const char *hash_hex, long long caregiver_id, long long now,
                      long long *link_id, long long *patient_id);
/* The patient's caregivers: live and pending (not revoked), newest first. */
enum err st_cg_list_patient(struct arena *a, long long patient_id, long long now, struct st_cg_link **rows, size_t *n);
/* The patients a caregiver acts for now (live links), by name. */
enum err st_cg_list_caregiver(struct arena *a, long long caregiver_id, struct st_cg_link **rows, size_t *n);
/* Revokes one of the patient's links (live or pending). *caregiver_id 0 for
 * an invitation never accepted. ERR_NOT_FOUND when not hers or already revoked. */
enum err st_cg_revoke(struct arena *a, long long link_id, long long patient_id, long long now,
                      long long *caregiver_id);
/* The live link between them, if any (ERR_NOT_FOUND otherwise). */
enum err st_cg_live(struct arena *a, long long patient_id, long long caregiver_id, struct st_cg_link *out);
/* The latest link between them, live or revoked (for naming who did what
 * in the past). ERR_NOT_FOUND when they were never linked. */
enum err st_cg_latest(struct arena *a, long long patient_id, long long caregiver_id, struct st_cg_link *out);

/* What caregivers did for a patient, newest first (from the audit trail). */
struct st_cg_action {
  long long actor_id, request_id;
  const char *at, *action, *file_name, *reference; /* file_name "" unless an upload */
};
enum err st_cg_actions(struct arena *a, long long patient_id, long long limit, struct st_cg_action **rows, size_t *n);

/* A representation: the link for someone who cannot invite (already live),
 * with the representative's stated authority. */
enum err st_cg_represent(struct arena *a, long long patient_id, long long caregiver_id, const char *email,
                         const char *relationship, const char *other, const char *authority, long long now,
                         long long *link_id);
/* The live representation (authority other than patient_invitation) of a
 * patient, with staff's decision and the newest authority document of any of
 * her requests (0 when none). ERR_NOT_FOUND when she has none. */
struct st_cg_authority {
  long long link_id, caregiver_id, decided_document_id, newest_document_id, newest_request_id;
  const char *caregiver_name, *relationship, *relationship_other, *authority, *decision, *reason, *decided_at;
  bool ended;               /* staff ended it (revoked_at set): no live representation is left */
  const char *ended_reason; /* why staff ended it */
};
/* Staff end a live representative's link (revoked_at, revoked_by, ended_reason). ERR_NOT_FOUND when
 * it is not live or is a patient's invitation. */
enum err st_cg_end(struct arena *a, long long link_id, long long staff_id, const char *reason, long long now);
/* ERR_OK when the account with this e-mail address (any case) acts for patient_id now, else ERR_NOT_FOUND. */
enum err st_cg_live_by_email(struct arena *a, long long patient_id, const char *email);
enum err st_cg_authority(struct arena *a, long long patient_id, struct st_cg_authority *out);
/* Records staff's decision on document_id, only while it is still the newest
 * authority document (ERR_NOT_FOUND otherwise). */
enum err st_cg_authority_decide(struct arena *a, long long link_id, long long document_id, const char *decision,
                                const char *reason, long long staff_id, long long now);

/* Records who signed an authorization for the patient. */
enum err st_cg_signer_add(struct arena *a, long long authorization_id, long long signer_id, const char *relationship,
                          const char *authority);
/* The signer of an authorization when not the patient: ERR_NOT_FOUND when she signed herself. */
enum err st_cg_signer_get(struct arena *a, long long authorization_id, const char **name, const char **relationship,
                          const char **authority);
#endif
