/* Alerts on abnormal rates, read from the audit stream.
 *
 * Every audit row passes through alerts_observe. Two rates are watched over sliding windows:
 * failed logins site-wide (login failures, second-factor failures and throttled attempts;
 * more than 20 in 60 s) and files downloaded by one account (single documents and whole-case
 * ZIPs; more than 200 in an hour). Crossing a threshold writes one log line that starts with
 * "ALERT" (no names, no health data: the kind, the count, the account number) and counts it in
 * /metrics; the same rate does not alert again until it has fallen back under its threshold. */
#ifndef SECONDOP_CORE_ALERTS_H
#define SECONDOP_CORE_ALERTS_H

enum alert_kind { ALERT_FAILED_LOGINS, ALERT_DOWNLOADS, ALERT_KIND_COUNT };

/* The thresholds (events allowed in the window; the next one alerts) come from
 * SECONDOP_ALERT_FAILED_LOGINS (default 20 a minute) and SECONDOP_ALERT_DOWNLOADS (default 200
 * an hour), read at the first event. */

/* Notes one audited action by actor_id (0: none). */
void alerts_observe(const char *action, long long actor_id);

/* Alerts written since start, per kind; its name for /metrics. */
unsigned long long alerts_fired(enum alert_kind k);
const char *alert_kind_name(enum alert_kind k);

#endif
