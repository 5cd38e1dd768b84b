/* Background jobs: a bounded pool of worker threads (each with its own
 * database connection) that claim jobs from PostgreSQL (store/jobs.h) so
 * that slow work — intake of finished uploads first — never runs on the
 * HTTP threads. A job is claimed under a lease that a heartbeat renews
 * while this process lives; after a crash the job is claimed again once
 * the lease lapses. A handler answers done, retry (transient trouble:
 * queued again with back-off until max_attempts) or fail (for good); when a
 * job fails for good, the kind's give_up callback records why (e.g. the
 * upload is marked failed with a reason the patient reads).
 *
 * Test builds (-Dtest_hooks=true) read SECONDOP_TEST_JOB_LEASE_SECONDS
 * (lease, default 60) and SECONDOP_TEST_JOB_BACKOFF_SECONDS (first retry
 * delay, default 5; it doubles per attempt) and SECONDOP_TEST_JOBS_HOLD_FILE
 * (no job is claimed while that file exists). */
#ifndef SECONDOP_JOBS_H
#define SECONDOP_JOBS_H
#include <stddef.h>

#include "util/err.h"

/* JOB_YIELD: the handler did a bounded slice of a long job and gives the worker back: the job
 * is queued again at once, behind the jobs already waiting, and the slice counts as no attempt. */
enum job_result { JOB_DONE, JOB_RETRY, JOB_FAIL, JOB_YIELD };

struct job_kind {
  const char *kind;  /* e.g. "intake" */
  int max_attempts;  /* claims before the job fails for good */
  /* Runs the job on a worker thread. why (cap whylen) says what went wrong
   * for JOB_RETRY / JOB_FAIL (plain words, no health data). */
  enum job_result (*run)(const char *payload, long long patient_id, char *why, size_t whylen);
  /* The job failed for good (its attempts are spent, or run said JOB_FAIL). */
  void (*give_up)(const char *payload, long long patient_id, const char *why);
};

/* Registers the statements and a kind (the array must stay alive). Call
 * before threads start. */
void jobs_init(void);
void jobs_register_kind(const struct job_kind *k);
/* Starts n worker threads and the lease heartbeat. 0 or -1. */
int jobs_start(unsigned n);
/* Asks the workers to stop and joins them (a running job finishes first). */
void jobs_stop(void);
/* Stopping was asked for: long handlers may end early (JOB_RETRY). */
int jobs_stopping(void);
/* Wakes an idle worker (call after the transaction that queued a job
 * committed; idle workers also look every second). */
void jobs_kick(void);
/* The delay before a job is claimed again after its attempt number `attempts` (from 1)
 * failed: base_seconds, doubled per further attempt until it passes an hour. Pure. */
int jobs_backoff_delay(int base_seconds, int attempts);
/* Queues a job in the caller's transaction (see jobs_insert). */
enum err jobs_enqueue(const char *kind, const char *payload, long long patient_id);
#endif
