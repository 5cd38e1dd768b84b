/* Counting a reviewer's wrong re-authentication attempts (signing a report or
 * an addendum) from the audit log, for the signing throttle in
 * core/reports.c. No table of its own: the attempts are the audit rows
 * report.sign / report.addendum, outcome denied, detail reason credential. */
#ifndef SECONDOP_STORE_REAUTH_H
#define SECONDOP_STORE_REAUTH_H
#include "util/arena.h"
#include "util/err.h"

/* Registers the statements (call once before threads start; app_init does). */
void store_reauth_register(void);
/* For user_id: *failures = the wrong attempts within window_s seconds before
 * (and including) the newest one, if the newest is less than lock_s seconds
 * old (else 0); *wait_s = seconds until lock_s seconds after the newest wrong
 * attempt (0 when that has passed). ERR_OK, or the database error. */
enum err st_reauth_failures(struct arena *a, long long user_id, int window_s, int lock_s, int *failures, int *wait_s);
#endif
