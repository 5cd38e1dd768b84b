#include "core/health.h"

#include "store/db.h"
#include "store/pgembed.h"

enum err health_database(void) { return db_ping(); }

enum err health_database_why(const char **why) {
  *why = NULL;
  if (pgembed_state() == PGEMBED_RESTARTING) {
    *why = "restarting";
    return ERR_UNAVAILABLE;
  }
  enum err e = db_ping();
  if (e != ERR_OK) *why = "unreachable";
  return e;
}

bool health_database_embedded(void) { return pgembed_state() != PGEMBED_NONE; }
unsigned long long health_database_restarts(void) { return pgembed_restarts(); }
unsigned long long health_database_failed_starts(void) { return pgembed_failed_starts(); }
