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

#include "core/actor.h"
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

/* Moves request `id` from `from` to `to` in one transaction: refuses with
 * ERR_CONFLICT when the stored state is not `from` (a stale or forged
 * form), ERR_FORBIDDEN when req_transition_allowed() says no, ERR_NOT_FOUND
 * when requests_access() does. detail_json (may be NULL) is kept on the
 * timeline event (e.g. {"missing":["pathology_report"],"message":"…"} or
 * {"reason":"…"}); it is shown to the patient unless internal is true. */
enum err requests_transition(const struct actor *a, long long id, enum req_status from, enum req_status to,
                             const char *detail_json, bool internal);
#endif
