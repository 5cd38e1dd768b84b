/* Unit tests for server/core/mfaguard.c (second-factor throttling) and
 * server/core/uasummary.c (sessions list). The truth tables come first; the
 * attack simulation proves the bound the header promises. */
#include <limits.h>

#include "core/mfaguard.h"
#include "core/uasummary.h"
#include "t.h"

/* failures -> delay (s) after that many wrong codes */
static const struct {
  int failures, delay;
} delays[] = {
    {-1, 0}, {0, 0}, {1, 0}, {2, 0}, {3, 30}, {4, 60}, {5, 120}, {6, 240}, {7, 480}, {8, 960}, {9, 1920},
};

/* failures, seconds since the newest, -> retry after (-1 locked) */
static const struct {
  int failures, since, retry;
} retries[] = {
    {0, 0, 0},   {2, 0, 0},    {3, 0, 30},     {3, 29, 1},   {3, 30, 0},    {4, 10, 50},
    {9, 0, 1920}, {9, 1920, 0}, {10, 0, -1},    {10, 99999, -1}, {11, 0, -1}, {INT_MAX, 0, -1},
    {5, -100, 120}, /* clock stepped back: counts as now */
};

static void delay_table(void) {
  for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++)
    T_EQ_INT(mfa_delay_seconds(delays[i].failures), delays[i].delay);
  for (int f = 1; f < 200; f++) T_CHECK(mfa_delay_seconds(f) >= mfa_delay_seconds(f - 1));
  T_CHECK(mfa_delay_seconds(INT_MAX) > 0);
}

static void retry_table(void) {
  const time_t t = 1700000000;
  for (size_t i = 0; i < sizeof retries / sizeof retries[0]; i++)
    T_EQ_INT(mfa_retry_after(retries[i].failures, t, t + retries[i].since), retries[i].retry);
  T_EQ_INT(mfa_locked(9), 0);
  T_EQ_INT(mfa_locked(10), 1);
}

/* The attack of finding 2: the password is known, so the attacker logs in
 * again whenever it helps and guesses as soon as each delay ends, for a
 * week. The per-account count never resets (no right code), so the number of
 * guesses is exactly the bound, and reaching it takes the sum of the delays. */
static void attack_bound(void) {
  long long t = 0, guesses = 0;
  int failures = 0, last = 0;
  while (t < 7LL * 24 * 3600) {
    int w = mfa_retry_after(failures, (time_t)last, (time_t)t);
    if (w < 0) break;
    if (w > 0) {
      t += w;
      continue;
    }
    guesses++; /* a wrong code: counted */
    failures++;
    last = (int)t;
  }
  T_EQ_INT(guesses, MFA_LOCK_AFTER);
  T_EQ_INT(t, 30 + 60 + 120 + 240 + 480 + 960 + 1920);
  T_EQ_INT(mfa_retry_after(failures, (time_t)last, (time_t)(t + 30LL * 24 * 3600)), -1);
}

static const struct {
  const char *ua, *want;
} agents[] = {
    {"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
     "Chrome on Windows"},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 "
     "Edg/126.0.0.0",
     "Edge on Windows"},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
     "Mobile/15E148 Safari/604.1",
     "Safari on iPhone"},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
     "Safari/537.36",
     "Chrome on Android"},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
     "Safari on Mac"},
    {"curl/7.88.1", "curl (command line)"},
    {"", "Unknown browser"},
    {"something odd (Linux)", "Unknown browser on Linux"},
};

static void ua_table(void) {
  char buf[64];
  for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++) T_EQ_STR(ua_summary(agents[i].ua, buf, sizeof buf), agents[i].want);
  T_EQ_STR(ua_summary(NULL, buf, sizeof buf), "Unknown browser");
  char tiny[4];
  T_EQ_STR(ua_summary("curl/1", tiny, sizeof tiny), "cur");
}

int main(void) {
  T_RUN(delay_table);
  T_RUN(retry_table);
  T_RUN(attack_bound);
  T_RUN(ua_table);
  return t_done();
}
