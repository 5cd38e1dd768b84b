/* Account subcommands: `secondop create-user` and `secondop outbox`. */
#ifndef SECONDOP_ACCOUNTS_CLI_H
#define SECONDOP_ACCOUNTS_CLI_H

/* Runs an account subcommand (argv[0] is its name); -1 when name is not one.
 * Exit codes: 0 done, 1 failure (database, e-mail taken), 2 usage error. */
int accounts_cli_command(const char *name, int argc, char **argv);
/* Opens what the account code needs outside `serve`: the app key under the
 * data directory, the password blocklist, hashing slots, liboath, and the
 * statements. 0 or -1 after printing why. */
struct config;
int accounts_runtime_init(const struct config *c);
/* Demo mode: creates (or refreshes) one account of each role with a fresh
 * random password (center roles with a TOTP secret), prints them to stderr,
 * and echoes new outbox messages to the log. 0 or -1. */
int accounts_seed_demo(void);
/* Help lines, as a literal app.c can concatenate. */
#define ACCOUNTS_CLI_HELP                                                                                       \
  "  create-user   create an account: --role patient|staff|reviewer|admin --email E --name N [--dob YYYY-MM-DD]\n" \
  "                [--password-stdin] [--totp]; without --password-stdin prints a one-time invitation link\n"     \
  "  outbox        print the e-mail messages waiting to be sent\n"
#endif
