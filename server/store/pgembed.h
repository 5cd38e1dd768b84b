/* The embedded PostgreSQL: a private cluster under <data-dir>/pg, listening
 * on a unix socket in that folder only, started with secondop (as its child
 * process), restarted by a supervisor thread when it ends unexpectedly, and
 * stopped when secondop exits. As root, the cluster runs as the `postgres`
 * user. */
#ifndef SECONDOP_PGEMBED_H
#define SECONDOP_PGEMBED_H
#include <stdbool.h>
#include <stddef.h>

/* Initialises the cluster on first use, stops a server left behind by a
 * crashed run, starts it, waits until it accepts connections and creates
 * the `secondop` database with its two roles: `secondop_owner` (owns the
 * schema, runs migrations) and `secondop_app` (what the portal connects as:
 * owns nothing, so it cannot alter tables or disable triggers). Writes the
 * libpq connection strings of both (each of cap bytes). Returns 0, or -1
 * after printing one clear line. */
int pgembed_start(const char *data_dir, char *owner_conninfo, char *app_conninfo, size_t cap);
/* Stops the supervisor (pgembed_supervise_stop), then the cluster if this
 * process started it (fast shutdown, then immediate after 30 s), and waits
 * until the postmaster has exited. */
void pgembed_stop(void);

/* The embedded cluster as the supervisor sees it. NONE: not started by this
 * process (an external database, or stopped); UP: running and accepting
 * connections; RESTARTING: it ended unexpectedly and is being started again. */
enum pgembed_state { PGEMBED_NONE, PGEMBED_UP, PGEMBED_RESTARTING };
/* Starts the supervisor thread, which restarts the postmaster with back-off
 * when it ends unexpectedly and logs why (see pgembed.c). Only after a
 * successful pgembed_start; a no-op otherwise. 0, or -1 (logged). */
int pgembed_supervise_start(void);
/* Stops supervising (the cluster is left as it is) and waits for the thread:
 * call it as soon as shutdown begins, so nothing is restarted meanwhile.
 * Safe to call when not running. */
void pgembed_supervise_stop(void);
enum pgembed_state pgembed_state(void);
/* Times the supervisor brought the cluster back; starts that failed. */
unsigned long long pgembed_restarts(void);
unsigned long long pgembed_failed_starts(void);

/* The supervisor's rules, exposed for tests/unit/test_pgembed.c. */
/* The back-off after one of ms: doubled, at most 30 s. */
long pgembed_next_backoff_ms(long ms);
/* True when a line of PostgreSQL's log may be copied into ours: a LOG,
 * FATAL or PANIC message after the default "%m [%p] " prefix, mentioning no
 * password, statement, detail or duration (ERROR, DETAIL and STATEMENT lines can quote
 * a request's data). */
bool pgembed_log_line_shareable(const char *line);
/* A waitpid() status in words ("killed by signal 9 (SIGKILL)", "exited with
 * status 1"), written to out (cap bytes, NUL-terminated). */
void pgembed_describe_status(int status, char *out, size_t cap);
/* The folder holding PostgreSQL's programs (initdb, pg_ctl). */
const char *pg_bindir(void);
#endif
