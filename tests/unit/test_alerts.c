/* Unit tests for server/core/alerts.c: a burst over a threshold alerts exactly once, each
 * account's downloads are counted apart, other actions count for nothing. The thresholds are
 * lowered through the environment before the first event. */
#include <stdlib.h>

#include "core/alerts.h"
#include "t.h"

static void failed_logins_alert_once_per_burst(void) {
  for (int i = 0; i < 5; i++) alerts_observe("login.failure", 0);
  T_EQ_INT((int)alerts_fired(ALERT_FAILED_LOGINS), 0); /* 5 is the limit: no alert yet */
  alerts_observe("login.2fa_failure", 7);
  T_EQ_INT((int)alerts_fired(ALERT_FAILED_LOGINS), 1); /* the 6th within a minute */
  for (int i = 0; i < 50; i++) alerts_observe(i % 2 ? "login.throttled" : "login.failure", 0);
  T_EQ_INT((int)alerts_fired(ALERT_FAILED_LOGINS), 1); /* the same burst does not alert again */
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 0);
}

static void other_actions_count_for_nothing(void) {
  for (int i = 0; i < 100; i++) {
    alerts_observe("login.success", 3);
    alerts_observe("document.view", 3);
    alerts_observe("document.download", 0); /* nobody's download is nobody's rate */
    alerts_observe(NULL, 3);
  }
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 0);
}

static void downloads_per_account(void) {
  for (int i = 0; i < 3; i++) {
    alerts_observe("document.download", 101);
    alerts_observe("request.download_zip", 102);
  }
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 0); /* 3 each: at the limit */
  alerts_observe("document.download", 101);
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 1); /* account 101 over, 102 not */
  alerts_observe("document.download", 101);
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 1);
  alerts_observe("request.download_zip", 102);
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 2); /* now 102 */
  /* many accounts at once: each is counted apart, and the table forgets the oldest */
  for (long long id = 1000; id < 4000; id++) alerts_observe("document.download", id);
  T_EQ_INT((int)alerts_fired(ALERT_DOWNLOADS), 2);
  T_EQ_STR(alert_kind_name(ALERT_DOWNLOADS), "downloads");
  T_EQ_STR(alert_kind_name(ALERT_FAILED_LOGINS), "failed_logins");
}

int main(void) {
  setenv("SECONDOP_ALERT_FAILED_LOGINS", "5", 1);
  setenv("SECONDOP_ALERT_DOWNLOADS", "3", 1);
  T_RUN(failed_logins_alert_once_per_burst);
  T_RUN(other_actions_count_for_nothing);
  T_RUN(downloads_per_account);
  return t_done();
}
