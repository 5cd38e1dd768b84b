/* Second-factor throttling policy: see mfaguard.h. */
#include "core/mfaguard.h"

int mfa_delay_seconds(int failures) {
  if (failures <= MFA_FREE_FAILURES) return 0;
  int exp = failures - MFA_FREE_FAILURES - 1; /* 0 after the 3rd */
  if (exp > 16) exp = 16;                      /* locked long before; keeps the shift small */
  return MFA_FIRST_DELAY << exp;
}

int mfa_locked(int failures) { return failures >= MFA_LOCK_AFTER; }

int mfa_retry_after(int failures, time_t last_failure, time_t now) {
  if (mfa_locked(failures)) return -1;
  int d = mfa_delay_seconds(failures);
  if (d == 0) return 0;
  if (last_failure > now) last_failure = now;
  if (now - last_failure >= (time_t)d) return 0;
  return d - (int)(now - last_failure);
}
