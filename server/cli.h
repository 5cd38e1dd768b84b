/* Shared command-line plumbing for secondop's subcommands. */
#ifndef SECONDOP_CLI_H
#define SECONDOP_CLI_H
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

extern const char cli_options_text[];
/* Parses OPTIONS of `secondop CMD OPTIONS` (argv[0] is CMD). Prints help and
 * exits 0 on --help. Returns 0, or 2 after one clear error line. */
int cli_parse_options(int argc, char **argv, struct config *c, const char *cmd);
/* Creates the data directory and takes its lock (a second instance is told
 * who holds it). 0 or -1 after printing why. */
int cli_open_data_dir(const struct config *c);
void cli_close_data_dir(void);
/* --blob-store s3://…: resolves the credentials (flags, AWS_* environment or
 * --s3-credentials-file) and selects the object store backend (no network
 * yet: blobstore_init checks it). 0, or 2 after printing why (never the
 * secret). Called by cli_parse_options. */
int cli_configure_blob_store(const struct config *c);
/* Uses the configured database, or starts the embedded one (*embedded set),
 * then applies migrations and configures db_*. 0 or -1 after printing why. */
int cli_open_database(const struct config *c, char *conninfo, size_t cap, bool *embedded);
/* Reads a file of at most 256 KiB into a new NUL-terminated buffer (free()), or NULL. */
char *cli_read_small_file(const char *path);
#endif
