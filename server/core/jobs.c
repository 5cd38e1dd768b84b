#include "core/jobs.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include "store/db.h"
#include "store/jobs.h"
#include "util/arena.h"
#include "util/log.h"

#define MAX_KINDS 8
#define MAX_WORKERS 64
#define IDLE_POLL_SECONDS 1

static const struct job_kind *kinds[MAX_KINDS];
static size_t n_kinds;
static char owner[40];                  /* this process's lease token */
static int lease_seconds = 60, backoff_seconds = 5;
static const char *hold_file; /* test builds: no claims while this file exists */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;    /* idle workers: a kick or stopping */
static pthread_cond_t hb_cv = PTHREAD_COND_INITIALIZER; /* the heartbeat: stopping */
static int stopping, kicks;
static pthread_t workers[MAX_WORKERS], heartbeat;
static unsigned n_workers;
static int heartbeat_running;

void jobs_init(void) {
  jobs_store_register();
  unsigned char rnd[12];
  randombytes_buf(rnd, sizeof rnd);
  sodium_bin2hex(owner, sizeof owner, rnd, sizeof rnd);
#ifdef SECONDOP_TEST_HOOKS
  const char *l = getenv("SECONDOP_TEST_JOB_LEASE_SECONDS"), *b = getenv("SECONDOP_TEST_JOB_BACKOFF_SECONDS");
  if (l && (int)strtol(l, NULL, 10) > 0) lease_seconds = (int)strtol(l, NULL, 10);
  if (b && (int)strtol(b, NULL, 10) >= 0) backoff_seconds = (int)strtol(b, NULL, 10);
  hold_file = getenv("SECONDOP_TEST_JOBS_HOLD_FILE");
#endif
}

void jobs_register_kind(const struct job_kind *k) {
  if (n_kinds < MAX_KINDS) kinds[n_kinds++] = k;
}

static const struct job_kind *find_kind(const char *name) {
  for (size_t i = 0; i < n_kinds; i++)
    if (strcmp(kinds[i]->kind, name) == 0) return kinds[i];
  return NULL;
}

int jobs_stopping(void) {
  pthread_mutex_lock(&mu);
  int s = stopping;
  pthread_mutex_unlock(&mu);
  return s;
}

void jobs_kick(void) {
  pthread_mutex_lock(&mu);
  kicks++;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
}

enum err jobs_enqueue(const char *kind, const char *payload, long long patient_id) {
  const struct job_kind *k = find_kind(kind);
  return jobs_insert(kind, payload, patient_id, k ? k->max_attempts : 5);
}

/* Waits up to IDLE_POLL_SECONDS for a kick. Returns 1 when stopping. */
static int idle_wait(void) {
  pthread_mutex_lock(&mu);
  if (!stopping && kicks == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += IDLE_POLL_SECONDS;
    pthread_cond_timedwait(&cv, &mu, &ts);
  }
  if (kicks > 0) kicks--;
  int s = stopping;
  pthread_mutex_unlock(&mu);
  return s;
}

int jobs_backoff_delay(int base_seconds, int attempts) {
  int delay = base_seconds;
  for (int i = 1; i < attempts && delay < 3600; i++) delay *= 2;
  return delay;
}

/* Runs one claimed job and records its outcome. */
static void run_one(const struct job_row *j) {
  const struct job_kind *k = find_kind(j->kind);
  char why[300] = "";
  enum job_result res;
  if (!k) {
    snprintf(why, sizeof why, "no handler for job kind %s", j->kind);
    res = JOB_FAIL;
  } else if (j->attempts > j->max_attempts) {
    /* claimed again after its process died on every attempt */
    snprintf(why, sizeof why, "gave up after %d attempts", j->max_attempts);
    res = JOB_FAIL;
  } else {
    res = k->run(j->payload, j->patient_id, why, sizeof why);
  }
  if (res == JOB_RETRY && j->attempts >= j->max_attempts) res = JOB_FAIL;
  switch (res) {
  case JOB_DONE:
    if (jobs_done(j->id, owner) != ERR_OK) LOG_W("job %lld: could not record success", j->id);
    break;
  case JOB_RETRY: {
    int delay = jobs_backoff_delay(backoff_seconds, j->attempts);
    LOG_W("job %lld (%s) attempt %d failed, again in %d s: %s", j->id, j->kind, j->attempts, delay, why);
    if (jobs_retry(j->id, owner, delay, why) != ERR_OK) LOG_W("job %lld: could not queue it again", j->id);
    break;
  }
  case JOB_YIELD:
    if (jobs_yield(j->id, owner) != ERR_OK) LOG_W("job %lld: could not queue it again", j->id);
    break;
  case JOB_FAIL:
    LOG_W("job %lld (%s) failed for good: %s", j->id, j->kind, why);
    if (k && k->give_up) k->give_up(j->payload, j->patient_id, why);
    if (jobs_fail(j->id, owner, why) != ERR_OK) LOG_W("job %lld: could not record its failure", j->id);
    break;
  }
}


/* True while test builds are told to hold the queue. */
static int held(void) {
  struct stat st;
  return hold_file && stat(hold_file, &st) == 0;
}

static void *worker_main(void *arg) {
  (void)arg;
  /* background work yields the CPU to the HTTP threads (Linux: per thread) */
  if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0) LOG_D("job worker: setpriority failed");
  for (;;) {
    int more = 0;
    if (!jobs_stopping() && !held()) {
      struct arena *a = arena_new();
      struct job_row j;
      if (a && jobs_claim(a, owner, lease_seconds, &j) == ERR_OK) {
        run_one(&j);
        more = 1;
      }
      arena_free(a);
    }
    if (!more && idle_wait()) break;
    if (more && jobs_stopping()) break;
  }
  db_close();
  return NULL;
}

/* Renews this process's leases at a third of their length. */
static void *heartbeat_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (long long)lease_seconds * 1000000000LL / 3;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    pthread_cond_timedwait(&hb_cv, &mu, &ts);
    if (stopping) break;
    pthread_mutex_unlock(&mu);
    if (jobs_renew(owner, lease_seconds) != ERR_OK) LOG_W("could not renew the job leases");
    pthread_mutex_lock(&mu);
  }
  pthread_mutex_unlock(&mu);
  db_close();
  return NULL;
}

int jobs_start(unsigned n) {
  stopping = 0;
  if (n > MAX_WORKERS) n = MAX_WORKERS;
  for (n_workers = 0; n_workers < n; n_workers++) {
    if (pthread_create(&workers[n_workers], NULL, worker_main, NULL) != 0) break;
    pthread_setname_np(workers[n_workers], "job-worker");
  }
  if (pthread_create(&heartbeat, NULL, heartbeat_main, NULL) == 0) heartbeat_running = 1;
  if (n_workers < n || !heartbeat_running) {
    LOG_E("could not start the job workers");
    return -1;
  }
  LOG_I("%u job workers started (lease %d s)", n_workers, lease_seconds);
  return 0;
}

void jobs_stop(void) {
  pthread_mutex_lock(&mu);
  stopping = 1;
  pthread_cond_broadcast(&cv);
  pthread_cond_broadcast(&hb_cv);
  pthread_mutex_unlock(&mu);
  for (unsigned i = 0; i < n_workers; i++) pthread_join(workers[i], NULL);
  n_workers = 0;
  if (heartbeat_running) pthread_join(heartbeat, NULL);
  heartbeat_running = 0;
}
