/* SQL for the key identity: see keyid.h. */
#include "store/keyid.h"

#include <stdio.h>

#include "store/db.h"
#include "util/arena.h"

static const struct db_stmt stmts[] = {
    /* the CTE's insert is not visible to the second SELECT (one snapshot): one row either way */
    {"ki_record",
     "WITH ins AS (INSERT INTO key_identity (key_id) VALUES ($1) ON CONFLICT (one) DO NOTHING RETURNING key_id) "
     "SELECT key_id FROM ins UNION ALL SELECT key_id FROM key_identity LIMIT 1"},
};

void store_keyid_register(void) { db_register(stmts, sizeof stmts / sizeof stmts[0]); }

enum err keyid_record(const char *id, char *recorded, size_t cap) {
  struct arena *a = arena_new();
  if (!a) return ERR_INTERNAL;
  enum err e;
  const char *v[] = {id};
  PGresult *r = db_exec(a, "ki_record", 1, v, &e);
  if (r && PQntuples(r) == 1)
    snprintf(recorded, cap, "%s", PQgetvalue(r, 0, 0));
  else if (r)
    e = ERR_INTERNAL;
  arena_free(a);
  return e;
}
