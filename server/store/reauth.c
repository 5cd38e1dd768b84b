/* Wrong re-authentication attempts from audit_log: see reauth.h. */
#include "store/reauth.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"

static const struct db_stmt reauth_stmts[] = {
    {"reauth_failures",
     "WITH f AS (SELECT at FROM audit_log WHERE actor_id = $1::bigint AND at > now() - make_interval(secs => $2::int + $3::int)"
     "   AND action IN ('report.sign', 'report.addendum') AND outcome = 'denied' AND detail->>'reason' = 'credential'),"
     " newest AS (SELECT max(at) AS at FROM f)"
     " SELECT (SELECT count(*) FROM f, newest WHERE f.at >= newest.at - make_interval(secs => $2::int)),"
     " coalesce(ceil(extract(epoch FROM (SELECT at FROM newest) + make_interval(secs => $3::int) - now())), 0)::int"},
};

void store_reauth_register(void) { db_register(reauth_stmts, sizeof reauth_stmts / sizeof reauth_stmts[0]); }

enum err st_reauth_failures(struct arena *a, long long user_id, int window_s, int lock_s, int *failures, int *wait_s) {
  char uid[24], win[16], lock[16];
  snprintf(uid, sizeof uid, "%lld", user_id);
  snprintf(win, sizeof win, "%d", window_s);
  snprintf(lock, sizeof lock, "%d", lock_s);
  const char *v[3] = {uid, win, lock};
  enum err e;
  PGresult *r = db_exec(a, "reauth_failures", 3, v, &e);
  if (!r) return e;
  if (PQntuples(r) != 1) return ERR_INTERNAL;
  long wait = strtol(PQgetvalue(r, 0, 1), NULL, 10);
  *wait_s = wait > 0 ? (int)wait : 0;
  *failures = *wait_s > 0 ? (int)strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
  return ERR_OK;
}
