/* Communication of significant unexpected findings (ACR practice parameter
 * on communication of diagnostic imaging findings): when a signed second
 * read recommends tissue diagnosis or treatment and no verified first read
 * did (concordance_unexpected), signing opens a task. Staff record who was
 * reached (the referring physician), when and how; the report cannot be
 * released before. A task is overdue one business day after the signature.
 * Staff only; every read of a task list and every log is audited, and the
 * log is an event on the request's timeline. No HTTP types. */
#ifndef SECONDOP_COMM_TASKS_H
#define SECONDOP_COMM_TASKS_H
#include <stdbool.h>

#include "core/actor.h"
#include "core/center.h"
#include "store/center.h"
#include "util/err.h"

struct arena;

/* Opens the task of request id inside the signing transaction (core/reports.c):
 * writes the task, its audit row and a timeline event. */
enum err comm_task_open_tx(struct arena *a, const struct actor *who, long long request_id, long long patient_id,
                           long long report_id);
/* The task of a request for staff (row as st_comm_get); ERR_NOT_FOUND when
 * there is none or the actor is not staff. */
enum err comm_task_get(struct arena *a, const struct actor *who, long long request_id, struct rowset *out);
/* The form that records the call (core/form.h): whom (1–200 characters), at
 * ("YYYY-MM-DDTHH:MM" or "YYYY-MM-DD HH:MM", read in the staff member's time
 * zone, not in the future), how (phone, in_person, secure_message, fax), note
 * (≤ 2,000). Static. */
const struct form_spec *comm_task_log_form(void);
/* Parses the posted fields against that spec (tz: the staff member's zone),
 * then records the call in one transaction with its audit row. ERR_INVALID
 * with errs (nothing read or saved); ERR_CONFLICT when already logged;
 * ERR_NOT_FOUND when there is no task or the actor is not staff. */
struct form_pair;
enum err comm_task_log_submit(struct arena *a, const struct actor *who, long long request_id,
                              const struct form_pair *in, size_t n, const char *tz, struct center_errors *errs);
/* True when the request has a task not yet logged (release is refused). */
enum err comm_task_blocks_release(struct arena *a, long long request_id, bool *blocks);
/* Open tasks, most overdue first, for the staff queue (audited). */
enum err comm_tasks_open(struct arena *a, const struct actor *who, struct rowset *out);
/* Figures for /metrics. */
enum err comm_tasks_counts(struct arena *a, long long *open, long long *overdue);
/* Plain words for a stored way of reaching someone ("Phone call"). */
const char *comm_how_label(const char *how);
#endif
