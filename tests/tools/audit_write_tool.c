/* audit_write_tool: appends audit rows through the real audit_write(), for
 * the integration tests (tests/integration/test_audit.py).
 *
 * Usage: audit_write_tool DSN [--count N] [--threads T] [--action A]
 *          [--actor ID] [--role BITS] [--patient ID] [--object-type T]
 *          [--object-id I] [--outcome O] [--detail JSON] [--ip IP]
 *          [--in-tx] [--rollback]
 *        audit_write_tool DSN --list-patient ID [--limit N]
 *
 * Each of T threads writes N rows (its own connection). --in-tx wraps each
 * thread's rows in one BEGIN … COMMIT (… ROLLBACK with --rollback), to show
 * that a row commits or rolls back with the caller's transaction.
 * Prints "wrote K rows" and exits 0, or prints the failure and exits 1.
 * --list-patient prints audit_list_for_patient()'s rows, one per line:
 * "id<TAB>actor_id<TAB>actor_name<TAB>actor_role<TAB>action". */
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "store/db.h"
#include "util/arena.h"

static struct {
  int count, threads;
  struct actor actor;
  struct audit_event ev;
  bool in_tx, rollback;
} opt = {.count = 1, .threads = 1};

static int failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* One thread's writes; counts failures under mu. */
static void *writer(void *arg) {
  (void)arg;
  int bad = 0;
  if (opt.in_tx && db_simple("BEGIN") != ERR_OK) bad++;
  for (int i = 0; i < opt.count && !bad; i++) {
    enum err e = audit_write(&opt.actor, &opt.ev);
    if (e != ERR_OK) {
      fprintf(stderr, "audit_write failed: %s\n", err_code(e));
      bad++;
    }
  }
  if (opt.in_tx && db_simple(opt.rollback || bad ? "ROLLBACK" : "COMMIT") != ERR_OK) bad++;
  db_close();
  pthread_mutex_lock(&mu);
  failures += bad;
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* Prints the rows audit_list_for_patient() returns; 0, or 1 on failure. */
static int list_rows(long long patient, int limit) {
  struct arena *a = arena_new();
  struct audit_entry *v = NULL;
  size_t n = 0;
  enum err e = a ? audit_list_for_patient(a, patient, limit, &v, &n) : ERR_INTERNAL;
  for (size_t i = 0; e == ERR_OK && i < n; i++)
    printf("%lld\t%lld\t%s\t%s\t%s\n", v[i].id, v[i].actor_id, v[i].actor_name ? v[i].actor_name : "",
           v[i].actor_role, v[i].action);
  arena_free(a);
  db_close();
  if (e != ERR_OK) fprintf(stderr, "audit_list_for_patient failed: %s\n", err_code(e));
  return e == ERR_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || sodium_init() < 0) {
    fprintf(stderr, "usage: audit_write_tool DSN [options]\n");
    return 2;
  }
  long long list_patient = 0;
  int list_limit = 100;
  opt.actor = (struct actor){0, 0, "127.0.0.1", "tool", 0, false};
  opt.ev = (struct audit_event){.action = "test.write"};
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i];
    if (strcmp(k, "--in-tx") == 0) {
      opt.in_tx = true;
      continue;
    }
    if (strcmp(k, "--rollback") == 0) {
      opt.rollback = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "option %s needs a value\n", k);
      return 2;
    }
    const char *v = argv[++i];
    if (strcmp(k, "--list-patient") == 0)
      list_patient = atoll(v);
    else if (strcmp(k, "--limit") == 0)
      list_limit = atoi(v);
    else if (strcmp(k, "--count") == 0)
      opt.count = atoi(v);
    else if (strcmp(k, "--threads") == 0)
      opt.threads = atoi(v);
    else if (strcmp(k, "--action") == 0)
      opt.ev.action = v;
    else if (strcmp(k, "--actor") == 0)
      opt.actor.user_id = atoll(v);
    else if (strcmp(k, "--role") == 0)
      opt.actor.role = (unsigned)atoi(v);
    else if (strcmp(k, "--patient") == 0)
      opt.ev.patient_id = atoll(v);
    else if (strcmp(k, "--object-type") == 0)
      opt.ev.object_type = v;
    else if (strcmp(k, "--object-id") == 0)
      opt.ev.object_id = v;
    else if (strcmp(k, "--outcome") == 0)
      opt.ev.outcome = v;
    else if (strcmp(k, "--detail") == 0)
      opt.ev.detail_json = v;
    else if (strcmp(k, "--ip") == 0)
      opt.actor.ip = v;
    else {
      fprintf(stderr, "unknown option %s\n", k);
      return 2;
    }
  }
  if (opt.count < 0 || opt.threads < 1 || opt.threads > 32) return 2;
  db_set_conninfo(argv[1]);
  audit_register();
  if (list_patient) return list_rows(list_patient, list_limit);
  pthread_t th[32];
  for (int t = 0; t < opt.threads; t++) pthread_create(&th[t], NULL, writer, NULL);
  for (int t = 0; t < opt.threads; t++) pthread_join(th[t], NULL);
  if (failures) {
    fprintf(stderr, "%d writer(s) failed\n", failures);
    return 1;
  }
  printf("wrote %d rows\n", opt.rollback ? 0 : opt.count * opt.threads);
  return 0;
}
