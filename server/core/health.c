#include "core/health.h"

#include "store/db.h"

enum err health_database(void) { return db_ping(); }
