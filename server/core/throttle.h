/* Login throttling policy (security checklist item 18). Pure functions: the
 * store keeps, per account (and per client IP, with the same functions), the
 * number of consecutive failures and the time of the last one; these
 * functions say how long the caller must wait before the next attempt.
 *
 * Policy
 *   - Failures 1-4: no delay (typos, a forgotten caps lock).
 *   - From the 5th consecutive failure, a cool-down that doubles with each
 *     failure: 1 s after the 5th, 2 s after the 6th, 4, 8, ... 512 s after
 *     the 14th, then 15 minutes (THROTTLE_MAX_DELAY) after every further one.
 *   - During a cool-down every attempt is refused with 429 and Retry-After,
 *     even with the right password, and the password is NOT checked, so it
 *     gives an attacker no guess. We recommend that the store counts such a
 *     refused attempt as a failure too (it restarts the cool-down, so the
 *     Retry-After grows each time, as item 18 asks); it is capped at 15 min.
 *   - A successful login resets the counter to 0.
 *   - Soft lockout only: nothing is permanent. An honest user who waits out
 *     the cool-down (at most 15 minutes after the last attempt) can log in,
 *     and the recovery e-mail path is never throttled by this counter.
 * Bound: an attacker who guesses as fast as the cool-downs allow gets 14
 * guesses in the first 1023 s and then one per 15 minutes: at most 109
 * password checks per account in any 24 hours, and 100 checks take more than
 * 21 hours (tests/unit/test_throttle.c simulates this). */
#ifndef SECONDOP_THROTTLE_H
#define SECONDOP_THROTTLE_H
#include <time.h>

#define THROTTLE_FREE_FAILURES 4 /* failures before any delay */
#define THROTTLE_MAX_DELAY 900   /* seconds (15 minutes) */

/* Seconds the account must cool down after its consecutive_failures-th
 * consecutive failure: 0 for 0..4 failures (and for negative input), then
 * 1, 2, 4, ... capped at THROTTLE_MAX_DELAY. Never overflows. */
int throttle_delay_seconds(int consecutive_failures);

/* 1 when an account with this many consecutive failures has a cool-down
 * after its last failure (failures > THROTTLE_FREE_FAILURES), else 0. The
 * caller then refuses attempts until throttle_retry_after() is 0. */
int throttle_locked(int failures);

/* Seconds still to wait at time now, given the failure count and the time of
 * the last failure: 0 when an attempt may proceed. This is the Retry-After
 * value. A last_failure in the future (clock step back) counts as now. */
int throttle_retry_after(int failures, time_t last_failure, time_t now);

#endif
