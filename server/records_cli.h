/* Records subcommands: `secondop rotate-key` (new master key, every data key
 * rewrapped in one transaction; the server must be stopped: it holds the
 * data directory lock) and `secondop reseal` (blob format 1 -> 2, file by
 * file; runs beside a serving secondop, see blobstore_reseal). */
#ifndef SECONDOP_RECORDS_CLI_H
#define SECONDOP_RECORDS_CLI_H

/* Runs a records subcommand (argv[0] is its name); -1 when name is not one.
 * Exit codes: 0 done, 1 failure, 2 usage error. */
int records_cli_command(const char *name, int argc, char **argv);
#define RECORDS_CLI_HELP \
  "  rotate-key    make a new master key and rewrap every file's data key (stop the server first)\n" \
  "  reseal        rewrite stored files from blob format 1 to 2 (random nonces); may run beside the server\n" \
  "  verify-store  check that every stored file exists, decrypts and matches its database row, and list files\n" \
  "                no row names; read only, may run beside the server (exit 0 only when all is sound)\n"
#endif
