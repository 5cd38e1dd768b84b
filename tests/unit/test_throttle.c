/* Unit tests for server/core/throttle.c: the delay schedule, the lock flag,
 * Retry-After arithmetic, and the 24-hour bound the header promises. */
#include <limits.h>

#include "core/throttle.h"
#include "t.h"

static void schedule(void) {
  for (int f = -5; f <= 4; f++) T_EQ_INT(throttle_delay_seconds(f), 0);
  T_EQ_INT(throttle_delay_seconds(5), 1);
  T_EQ_INT(throttle_delay_seconds(6), 2);
  T_EQ_INT(throttle_delay_seconds(7), 4);
  T_EQ_INT(throttle_delay_seconds(14), 512);
  T_EQ_INT(throttle_delay_seconds(15), 900);
  T_EQ_INT(throttle_delay_seconds(100), 900);
  T_EQ_INT(throttle_delay_seconds(INT_MAX), 900);
  for (int f = 5; f < 200; f++) T_CHECK(throttle_delay_seconds(f) >= throttle_delay_seconds(f - 1));
}

static void locked_flag(void) {
  T_EQ_INT(throttle_locked(0), 0);
  T_EQ_INT(throttle_locked(4), 0);
  T_EQ_INT(throttle_locked(5), 1);
  T_EQ_INT(throttle_locked(INT_MAX), 1);
  T_EQ_INT(throttle_locked(-1), 0);
}

static void retry_after(void) {
  const time_t t = 1700000000;
  T_EQ_INT(throttle_retry_after(4, t, t), 0);
  T_EQ_INT(throttle_retry_after(15, t, t), 900);
  T_EQ_INT(throttle_retry_after(15, t, t + 899), 1);
  T_EQ_INT(throttle_retry_after(15, t, t + 900), 0); /* recovers on its own */
  T_EQ_INT(throttle_retry_after(15, t + 5000, t), 900); /* clock stepped back */
  T_EQ_INT(throttle_retry_after(8, t, t + 3), 5);
}

/* An attacker guessing as soon as each cool-down ends. */
static void bound_per_day(void) {
  long long t = 0, in_day = 0;
  int failures = 0;
  long long t100 = -1;
  while (t < 86400) {
    failures++; /* one password check, wrong */
    in_day++;
    if (failures == 100) t100 = t;
    t += throttle_delay_seconds(failures);
  }
  T_CHECK(in_day <= 109);
  T_CHECK(t100 > 21 * 3600);
}

int main(void) {
  T_RUN(schedule);
  T_RUN(locked_flag);
  T_RUN(retry_after);
  T_RUN(bound_per_day);
  return t_done();
}
