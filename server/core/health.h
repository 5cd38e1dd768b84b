/* Readiness: is the database reachable from this thread. */
#ifndef SECONDOP_HEALTH_H
#define SECONDOP_HEALTH_H
#include "util/err.h"

/* ERR_OK when a trivial query succeeds, ERR_UNAVAILABLE otherwise. */
enum err health_database(void);
#endif
