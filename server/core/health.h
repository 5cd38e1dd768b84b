/* Readiness: is the database reachable from this thread, and how the
 * embedded PostgreSQL's supervisor sees it. */
#ifndef SECONDOP_HEALTH_H
#define SECONDOP_HEALTH_H
#include <stdbool.h>

#include "util/err.h"

/* ERR_OK when a trivial query succeeds, ERR_UNAVAILABLE otherwise. */
enum err health_database(void);
/* Like health_database, and when the database is not usable *why says so
 * in one word: "restarting" (the embedded PostgreSQL ended unexpectedly and
 * its supervisor is starting it again) or "unreachable". Static strings. */
enum err health_database_why(const char **why);
/* True when this process runs the embedded PostgreSQL. */
bool health_database_embedded(void);
/* Times the embedded PostgreSQL was restarted after it ended unexpectedly,
 * and restart attempts that failed. */
unsigned long long health_database_restarts(void);
unsigned long long health_database_failed_starts(void);
#endif
