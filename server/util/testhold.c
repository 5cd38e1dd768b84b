/* Test-build hold points (util/testhold.h). */
#include "util/testhold.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

void test_hold(const char *env, const char *what, long long id) {
  const char *f = getenv(env);
  if (!f || !*f || access(f, F_OK) != 0) return;
  LOG_I("test hook: %s %lld holds", what, id);
  for (int i = 0; i < 300 * 50 && access(f, F_OK) == 0; i++) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  LOG_I("test hook: %s %lld goes on", what, id);
}
