/* Second-factor throttling policy (issue 10, finding 2). Pure functions; the
 * store keeps per ACCOUNT (table mfa_failures) the number of wrong TOTP or
 * recovery codes since the last right one and the time of the newest. The
 * count is not touched by the password step, so logging in again after a few
 * wrong codes buys no further guesses.
 *
 * Policy
 *   - Each guess is counted BEFORE its code is checked (reserved), so
 *     parallel requests cannot slip past the bound; a right code resets the
 *     count to 0.
 *   - 1st and 2nd wrong code: no delay (a mistyped code, a slow phone).
 *   - From the 3rd: a delay that doubles: 30 s after the 3rd, 60 s after the
 *     4th, 120, 240, 480, 960, 1920 s after the 9th. During a delay every
 *     attempt gets 429 with Retry-After and no code is checked (the refusal
 *     is not a guess and does not change the count).
 *   - The 10th wrong code (MFA_LOCK_AFTER) locks the second factor: no code
 *     is checked until an admin lifts the lock (audited); the holder is
 *     e-mailed when it locks.
 * Bound: at most MFA_LOCK_AFTER guesses per account between two right codes
 * or admin unlocks, whatever the number of logins, sessions or addresses;
 * reaching it takes 3810 s of waiting (tests/unit/test_mfaguard.c). */
#ifndef SECONDOP_MFAGUARD_H
#define SECONDOP_MFAGUARD_H
#include <time.h>

#define MFA_FREE_FAILURES 2
#define MFA_FIRST_DELAY 30
#define MFA_LOCK_AFTER 10

/* Seconds to wait after the failures-th wrong code: 0 for 0..2 (and
 * negative input), then 30, 60, ... doubling. Never overflows. */
int mfa_delay_seconds(int failures);
/* 1 when this many counted guesses lock the factor (>= MFA_LOCK_AFTER). */
int mfa_locked(int failures);
/* Whether a new guess may be made at now: -1 when locked, else the seconds
 * still to wait (0: go on). A last_failure in the future counts as now. */
int mfa_retry_after(int failures, time_t last_failure, time_t now);
#endif
