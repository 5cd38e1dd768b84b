/* SQL for the job queue (migrations/0012_jobs.sql). Jobs are claimed with
 * FOR UPDATE SKIP LOCKED under a lease owned by one server process; a
 * running job whose lease lapsed (its process died) is claimed again. Every
 * function returns ERR_OK, ERR_NOT_FOUND (nothing to claim / no such row),
 * ERR_UNAVAILABLE or ERR_INTERNAL. */
#ifndef SECONDOP_STORE_JOBS_H
#define SECONDOP_STORE_JOBS_H
#include "util/err.h"

struct arena;

struct job_row {
  long long id, patient_id;
  const char *kind, *payload;
  int attempts, max_attempts;
};

/* Registers the statements (call before threads start). */
void jobs_store_register(void);
/* Queues a job (inside the caller's transaction when one is open).
 * patient_id 0: none. */
enum err jobs_insert(const char *kind, const char *payload, long long patient_id, int max_attempts);
/* Claims the next due job (queued and due, or running with a lapsed lease)
 * for owner with a lease of lease_seconds; counts the attempt. ERR_NOT_FOUND
 * when there is none. */
enum err jobs_claim(struct arena *a, const char *owner, int lease_seconds, struct job_row *out);
/* Renews the leases of every job owner runs. */
enum err jobs_renew(const char *owner, int lease_seconds);
/* The job succeeded: its row goes. */
enum err jobs_done(long long id, const char *owner);
/* The attempt failed: queued again after delay_seconds, with the reason. */
enum err jobs_retry(long long id, const char *owner, int delay_seconds, const char *reason);
/* Failed for good, with the reason (the row stays for the operator). */
/* Queued again at once (behind the jobs waiting), the claim not counted as an attempt. */
enum err jobs_yield(long long id, const char *owner);
enum err jobs_fail(long long id, const char *owner, const char *reason);
/* Jobs of a kind that a patient has queued or running. */
enum err jobs_count_patient(long long patient_id, const char *kind, long long *n);
#endif
