/* Test-build hold points (util/testhold.h). */
#include "util/testhold.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

int test_hold_armed(const char *env) {
  const char *f = getenv(env);
  return f && *f && access(f, F_OK) == 0;
}

void test_hold_wait(const char *env) {
  const char *f = getenv(env);
  if (!f || !*f) return;
  for (int i = 0; i < 300 * 50 && access(f, F_OK) == 0; i++) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

void test_hold(const char *env, const char *what, long long id) {
  if (!test_hold_armed(env)) return;
  LOG_I("test hook: %s %lld holds", what, id);
  test_hold_wait(env);
  LOG_I("test hook: %s %lld goes on", what, id);
}
