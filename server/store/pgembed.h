/* The embedded PostgreSQL: a private cluster under <data-dir>/pg, listening
 * on a unix socket in that folder only, started with secondop and stopped
 * when it exits. As root, the cluster runs as the `postgres` user. */
#ifndef SECONDOP_PGEMBED_H
#define SECONDOP_PGEMBED_H
#include <stddef.h>

/* Initialises the cluster on first use, stops a server left behind by a
 * crashed run, starts it, waits until it accepts connections and creates
 * the `secondop` database with its two roles: `secondop_owner` (owns the
 * schema, runs migrations) and `secondop_app` (what the portal connects as:
 * owns nothing, so it cannot alter tables or disable triggers). Writes the
 * libpq connection strings of both (each of cap bytes). Returns 0, or -1
 * after printing one clear line. */
int pgembed_start(const char *data_dir, char *owner_conninfo, char *app_conninfo, size_t cap);
/* Stops the cluster if this process started it (fast shutdown). */
void pgembed_stop(void);
/* The folder holding PostgreSQL's programs (initdb, pg_ctl). */
const char *pg_bindir(void);
#endif
