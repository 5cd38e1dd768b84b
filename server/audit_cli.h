/* Audit subcommands: `secondop verify-audit` and `secondop audit`. */
#ifndef SECONDOP_AUDIT_CLI_H
#define SECONDOP_AUDIT_CLI_H

/* Runs an audit subcommand (argv[0] is its name); -1 when name is not one.
 * Exit codes: verify-audit 0 intact, 1 broken, TAMPERED or unreadable, 2 usage;
 * audit 0, 1 on a database failure, 2 on a usage error. */
int audit_cli_command(const char *name, int argc, char **argv);
/* Help lines for these subcommands, as a literal app.c can concatenate. */
#define AUDIT_CLI_HELP                                                                   \
  "  verify-audit  recompute the audit log's hash chain and check it against the signed checkpoints in\n" \
  "                DATA-DIR/audit-checkpoints.log; names the first altered row, or says TAMPERED\n" \
  "  audit         print audit rows (--user, --patient, --action, --since, --until, --format csv)\n"
#endif
