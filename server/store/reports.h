/* SQL for the parts of the reviewer's report that came with the management
 * rules: the first read the verdict uses, sealing of old plaintext answers,
 * and communication tasks (migration 0016). Rows as in store/center.h. */
#ifndef SECONDOP_STORE_REPORTS_H
#define SECONDOP_STORE_REPORTS_H
#include <stdbool.h>

#include "store/center.h"

/* The first read of a request: patient_birads (the patient's answer, "" or
 * "unknown" when not given), verified_birads, verified_recommendation ("" when
 * not verified), verified ("t"/"f"). ERR_NOT_FOUND for no such request. */
enum err st_first_read(struct arena *a, long long request_id, struct rowset *out);
/* Reports whose answers are still plaintext (id, request_id, answers), at most 500. */
enum err st_answers_plain(struct arena *a, struct rowset *out);
/* Replaces the plaintext answers of report id by the sealed bytes (hex). */
enum err st_answers_seal(struct arena *a, long long report_id, const char *answers_hex);

/* Creates the communication task of a request's signed report. */
enum err st_comm_create(struct arena *a, long long request_id, long long report_id);
/* The task of a request (id, due_at, overdue, logged, reached_whom, reached_at, reached_how, note, logged_by_name,
 * logged_at); ERR_NOT_FOUND when there is none. */
enum err st_comm_get(struct arena *a, long long request_id, struct rowset *out);
/* Records who was reached, when ("YYYY-MM-DD HH:MM" local) and how. ERR_NOT_FOUND when no open task. */
enum err st_comm_log(struct arena *a, long long request_id, const char *whom, const char *at, const char *how,
                     const char *note, long long by);
/* Open tasks, most overdue first (id, request_id, reference, patient_name, created_at, due_at, overdue). */
enum err st_comm_open(struct arena *a, struct rowset *out);
/* Counts of open and overdue tasks. */
enum err st_comm_counts(struct arena *a, long long *open, long long *overdue);
/* Registers the statements (before threads start). */
void store_reports_register(void);
#endif
