/* Specialist directory subcommands (`secondop import-specialists FILE`,
 * `secondop export-specialists`) and the demo directory loaded by --demo. */
#ifndef SECONDOP_SPECIALISTS_CLI_H
#define SECONDOP_SPECIALISTS_CLI_H
#include "config.h"

/* Runs a directory subcommand (argv[0] is its name); -1 when name is not one.
 * Exit codes: 0 done, 1 refused file or database failure, 2 usage error. */
int specialists_cli_command(const char *name, int argc, char **argv);
/* Loads data/demo-specialists.csv through the CSV import when the directory
 * is empty (so admin edits survive restarts). 0, or -1 after logging why. */
int specialists_seed_demo(const struct config *c);
/* Help lines for these subcommands, as a literal app.c can concatenate. */
#define SPECIALISTS_CLI_HELP                                                                       \
  "  import-specialists FILE  load a specialist directory CSV ('-' reads stdin); all or nothing\n" \
  "  export-specialists       print the whole specialist directory as CSV\n"
#endif
