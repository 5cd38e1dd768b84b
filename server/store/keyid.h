/* SQL for the key identity (migrations/0033_active_active.sql): the id of the key material
 * every instance sharing the database must be started with. */
#ifndef SECONDOP_STORE_KEYID_H
#define SECONDOP_STORE_KEYID_H
#include <stddef.h>

#include "util/err.h"

/* Registers the statements (before threads start). */
void store_keyid_register(void);
/* Records id when no id is recorded yet; writes the recorded id (id itself on first use)
 * into recorded. ERR_OK, ERR_UNAVAILABLE or ERR_INTERNAL. */
enum err keyid_record(const char *id, char *recorded, size_t cap);
#endif
