/* SQL for the verified first read (requests.verified_*, migration 0009). */
#ifndef SECONDOP_STORE_FIRST_READ_H
#define SECONDOP_STORE_FIRST_READ_H
#include "store/center.h"
#include "util/err.h"

struct arena;

/* Prepares the statements (call once before threads start). */
void store_first_read_register(void);
/* Locks the request row (inside a transaction) and returns status, patient_id,
 * assigned_reviewer_id, the patient's answers (birads, biopsy_done, exam_date)
 * and the verified values ("" when none). ERR_NOT_FOUND when absent. */
enum err st_first_read_lock(struct arena *a, long long request_id, struct rowset *out);
/* Stores the verified first read (dates "" for none), by `by`, now. */
enum err st_first_read_set(struct arena *a, long long request_id, const char *birads, const char *recommendation,
                           const char *biopsy, const char *biopsy_date, const char *exam_date, long long by);
#endif
