/* SQL for the request workflow: the requests row with the patient's
 * answers, the timeline (request_events), authorizations, messages, the
 * document summary the checklist needs, and the third-opinion copy of a
 * request's records. Named prepared statements only; every string returned
 * lives in the caller's arena. Names are rqs_* (the records feature's
 * store/uploads.h already has requests_get & co for its minimal view). */
#ifndef SECONDOP_STORE_REQUESTS_H
#define SECONDOP_STORE_REQUESTS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

/* One request with every workflow column. Dates are "YYYY-MM-DD" or "" when
 * NULL; tri-state booleans are -1 (unanswered), 0 or 1; ids 0 when NULL. */
struct rqs_row {
  long long id, patient_id;
  const char *reference, *status, *created_at, *updated_at;
  const char *exam_facility, *records_contact, *exam_date, *prior_exam_dates, *birads, *reason, *treatment_date;
  const char *caregiver_name, *caregiver_relationship;
  const char **exam_types, **questions;
  size_t n_exam_types, n_questions;
  int biopsy_done;
  bool exam_saved;
  const char *review_type, *review_mode; /* "" when unanswered */
  bool center_chooses;
  long long specialist_id;
  const char *payment, *insurance_plan;
  const char *member_sealed_hex; /* "" when none */
  int plan_needs_referral;
  bool estimate_acknowledged;
  const char *submitted_at, *expected_by, *records_requested_at, *records_due;
  bool records_extended;
  long long parent_request_id, assigned_specialist_id, assigned_reviewer_id;
  bool review_stopped;
  int days_to_expected; /* expected_by - today, 0 when none */
};

/* Registers the statements (call before threads start; idempotent). */
void rqs_register(void);

/* Creates a draft with a fresh SO-YYYY-NNNNN reference; parent_id 0 for
 * none. *id and *reference (arena). ERR_OK or the database error. */
enum err rqs_create(struct arena *a, long long patient_id, long long parent_id, long long *id,
                    const char **reference);
/* Loads one request. ERR_NOT_FOUND when there is none. */
enum err rqs_get(struct arena *a, long long id, struct rqs_row *out);
/* The patient's requests, newest first (at most 100). */
enum err rqs_list_for_patient(struct arena *a, long long patient_id, struct rqs_row **out, size_t *n);
/* Locks the row (SELECT … FOR UPDATE, inside a transaction) and returns its
 * status, owner and assigned reviewer (0 when none). ERR_NOT_FOUND. */
enum err rqs_lock(struct arena *a, long long id, const char **status, long long *patient_id, long long *reviewer_id);
/* Sets the status when it is still `from`, with the side columns of the
 * target state (submitted_at; expected_by on submitted/accepted; a final
 * reference on submission). ERR_CONFLICT when the row moved. */
enum err rqs_set_status(long long id, const char *from, const char *to);
/* Appends a timeline event. from/to/detail_json may be NULL; actor_id 0 for
 * the system. */
enum err rqs_event_add(long long request_id, const char *from, const char *to, const char *kind, long long actor_id,
                       const char *detail_json, bool internal);

struct rqs_event {
  long long id;
  const char *at, *from_status, *to_status, *kind, *detail; /* at: wire form (util/tz.h); detail: jsonb text or "" */
  bool internal;
  const char *actor_name, *actor_role; /* who did it ("" when the system or unknown) */
  long long actor_id;                  /* 0 when the system */
};
/* Timeline, oldest first; internal events only when include_internal. */
enum err rqs_events(struct arena *a, long long request_id, bool include_internal, struct rqs_event **out,
                    size_t *n);

/* The first-exam answers (text values already validated; "" stores NULL for
 * dates/birads, biopsy -1 stores NULL). types/questions as JSON array text. */
struct rqs_exam {
  const char *facility, *records_contact, *exam_date, *prior_exam_dates, *birads, *reason, *treatment_date;
  const char *caregiver_name, *caregiver_relationship;
  const char *types_json, *questions_json;
  int biopsy_done;
};
/* Saves the exam answers of draft id when actor_id is its patient or her
 * live caregiver (the access rule and the change in one statement): *owner
 * the patient, or 0 when nothing matched (not found, not theirs, not a
 * draft: nothing changed). */
enum err rqs_save_exam(long long id, long long actor_id, const struct rqs_exam *x, long long *owner);
/* Review type/mode ("" for NULL) and the chosen specialist (0 = none), like
 * rqs_save_exam (*owner 0 when nothing matched); the statement also refuses
 * a specialist who is inactive, not accepting, not offering that review or
 * mode, or the one of the parent request (a third opinion). */
enum err rqs_save_specialist(long long id, long long actor_id, const char *review_type, const char *review_mode,
                             bool center_chooses, long long specialist_id, long long *owner);
/* Coverage: payment ("" NULL), plan, sealed member id hex ("" keeps the
 * stored one, "-" clears it), referral (-1/0/1), acknowledged. */
/* Saves the coverage answers like rqs_save_exam (the access rule in the
 * statement; *owner 0 when nothing matched); *has_member: a member id is
 * stored after the change. */
enum err rqs_save_coverage(long long id, long long actor_id, const char *payment, const char *plan,
                           const char *member_sealed_hex, int needs_referral, bool acknowledged, long long *owner,
                           bool *has_member);
/* Records-letter clock: sets records_requested_at to date ("" clears) or
 * marks the one extension. */
enum err rqs_set_records_requested(long long id, const char *date);
enum err rqs_set_records_extended(long long id);
/* Flags that the review must stop (authorization revoked during review). */
enum err rqs_set_review_stopped(long long id);

/* What the checklist needs to know about a request's documents. */
struct rqs_doc_summary {
  long long dicom_images;        /* kind images, DICOM */
  long long pictures;            /* kind images, not DICOM (screenshots, photos) */
  long long image_studies;       /* distinct study dates among images */
  const char *newest_image_date; /* YYYYMMDD or "" */
  long long prior_images, radiology_report, pathology_report, authorization, photo_id, insurance_card, referral;
};
enum err rqs_doc_summary(struct arena *a, long long request_id, struct rqs_doc_summary *out);
/* Copies every kept document (except signed authorizations) of `from` into
 * `to`, with its studies and series: rows point at the same blobs. *copied. */
enum err rqs_copy_records(long long from, long long to, long long *copied);
/* Copies the first-exam answers and coverage of `from` into `to`. */
enum err rqs_copy_answers(long long from, long long to);

struct rqs_authorization {
  long long id;
  const char *signed_name, *signed_at, *client_ip, *text_sha256, *text_version, *revoked_at;
  long long document_id;
};
/* Records a portal signature (the one in force). ERR_CONFLICT when one is
 * already in force. */
enum err rqs_auth_sign(struct arena *a, long long request_id, const char *name, const char *ip, const char *sha256_hex,
                       const char *version, long long *auth_id);
/* The authorization in force, if any: *found 0/1. */
enum err rqs_auth_current(struct arena *a, long long request_id, struct rqs_authorization *out, int *found);
/* Revokes the one in force. ERR_NOT_FOUND when none is. */
enum err rqs_auth_revoke(long long request_id);

struct rqs_message {
  long long id, author_id;
  const char *author_name, *author_role, *body_sealed_hex, *created_at, *read_at;
  bool internal;
};
enum err rqs_message_add(long long request_id, long long author_id, const char *sealed_hex, bool internal,
                         long long *id);
/* The thread, oldest first (at most 500); internal notes only when asked. */
enum err rqs_messages(struct arena *a, long long request_id, bool include_internal, struct rqs_message **out,
                      size_t *n);
/* Unread (read_at NULL, not internal) messages per request among ids (the
 * requests a page shows) for side "patient" (the center's, on reader's
 * requests), "staff" (patients', any request) or "reviewer" (patients', on
 * requests assigned to reader). Requests without any are left out. */
struct rqs_unread {
  long long request_id, count;
};
enum err rqs_unread(struct arena *a, const char *side, long long reader_id, const long long *ids, size_t n_ids,
                    struct rqs_unread **out, size_t *n);
/* Marks as read the messages not written by reader_id. */
enum err rqs_messages_mark_read(long long request_id, long long reader_id, bool center_reader);

/* The user's e-mail address and name (notifications, the authorization). */
enum err rqs_user_contact(struct arena *a, long long user_id, const char **email, const char **name);
/* Same, with the person's time zone (for times in e-mails). */
enum err rqs_user_contact_tz(struct arena *a, long long user_id, const char **email, const char **name,
                             const char **time_zone);
/* The specialist the patient chose, the one the center assigned (directory
 * names, "" when none) and why another was assigned ("" when not). */
enum err rqs_assignment(struct arena *a, long long request_id, const char **chosen, const char **assigned,
                        const char **reason);
/* One group of "who opened my records": one person (in one role) on one UTC day. */
struct rqs_access_group {
  const char *day;        /* YYYY-MM-DD (UTC) */
  const char *who, *role; /* the person's name, their role then (staff, reviewer, admin) */
  long long events;       /* audit rows in the group */
  long long opened;       /* request.view */
  long long records;      /* records.* (the records page) */
  long long downloads;    /* document.download */
  long long documents;    /* other document.* */
  long long zips;         /* request.download_zip */
  /* DICOMweb (a radiology workstation or viewer): dicomweb.search, .retrieve, .metadata, and
   * .frames or .rendered */
  long long dw_found, dw_copied, dw_details, dw_viewed;
  long long dw_stored; /* STOW-RS: instances sent from the center's systems added (dicomweb.store) */
  const char *studies;    /* distinct study.view as "DATE|MAMMOGRAM" lines, newest date first ("" none) */
  const char *pacs;       /* "Send to our PACS" (pacs.send): the destinations, one a line ("" none) */
};
/* A page of the patient's access groups, newest day first (limit groups after offset), with the
 * number of groups and of audit rows over all pages. Grouped and paged in SQL. No access check:
 * the domain's (core/access_log.h). Strings live in the arena. */
enum err rqs_center_access_groups(struct arena *a, long long patient_id, long long limit, long long offset,
                                  struct rqs_access_group **out, size_t *n, long long *total_groups,
                                  long long *total_events);
#endif
