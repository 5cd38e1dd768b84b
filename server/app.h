/* The application seam: what the features add to the bare server —
 * statements, HTTP hooks, background work, demo data, subcommands. */
#ifndef SECONDOP_APP_H
#define SECONDOP_APP_H
#include "config.h"

/* After the database is migrated and before the HTTP threads start. 0 or -1. */
int app_init(const struct config *c);
/* Loads demo accounts and data (idempotent) and prints the demo passwords. 0 or -1. */
int app_seed_demo(const struct config *c);
/* The server is listening. */
void app_started(const struct config *c);
/* A stop was asked for: end background work. */
void app_stopping(void);
/* Frees what app_init made (safe to call when it was not called). */
void app_shutdown(void);
/* Runs an application subcommand; -1 when name is not one. */
int app_command(const char *name, int argc, char **argv);
/* Help lines for the application subcommands. */
const char *app_commands_help(void);
#endif
