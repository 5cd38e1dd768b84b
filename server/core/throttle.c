/* Login throttling policy: see throttle.h. */
#include "core/throttle.h"

int throttle_delay_seconds(int consecutive_failures) {
  if (consecutive_failures <= THROTTLE_FREE_FAILURES) return 0;
  int exp = consecutive_failures - THROTTLE_FREE_FAILURES - 1; /* 0 for the 5th */
  if (exp >= 10) return THROTTLE_MAX_DELAY; /* 2^10 = 1024 > 900 */
  int d = 1 << exp;
  return d > THROTTLE_MAX_DELAY ? THROTTLE_MAX_DELAY : d;
}

int throttle_locked(int failures) {
  return failures > THROTTLE_FREE_FAILURES;
}

int throttle_retry_after(int failures, time_t last_failure, time_t now) {
  int d = throttle_delay_seconds(failures);
  if (d == 0) return 0;
  if (last_failure > now) last_failure = now;
  /* Compare as differences so huge time_t values cannot overflow. */
  if (now - last_failure >= (time_t)d) return 0;
  return d - (int)(now - last_failure);
}
