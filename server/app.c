#include "app.h"

#include <stdio.h>
#include <string.h>

#include "accounts_cli.h"
#include "audit_cli.h"
#include "core/audit.h"
#include "core/password.h"
#include "core/records.h"
#include "core/secrets.h"
#include "core/specialists.h"
#include "http/auth.h"
#include "records_cli.h"
#include "specialists_cli.h"
#include "store/requests.h"
#include "store/specialists.h"

int app_init(const struct config *c) {
  audit_register();
  if (accounts_runtime_init(c) != 0) return -1;
  auth_install();
  store_specialists_register();
  rqs_register();
  if (records_init(c->data_dir) != 0 || records_recover() != 0) return -1;
  return 0;
}

int app_seed_demo(const struct config *c) {
  if (accounts_seed_demo() != 0) return -1;
  if (specialists_seed_demo(c) != 0) return -1;
  return 0;
}

void app_started(const struct config *c) {
  (void)c;
  records_start_sweeper();
}
void app_stopping(void) { records_stop_sweeper(); }
void app_shutdown(void) {
  pw_blocklist_free();
  records_shutdown();
  specialists_choices_free();
  secrets_done();
}

int app_command(const char *name, int argc, char **argv) {
  int rc = accounts_cli_command(name, argc, argv);
  if (rc == -1) rc = audit_cli_command(name, argc, argv);
  if (rc == -1) rc = specialists_cli_command(name, argc, argv);
  if (rc == -1) rc = records_cli_command(name, argc, argv);
  return rc;
}

const char *app_commands_help(void) { return "" ACCOUNTS_CLI_HELP AUDIT_CLI_HELP SPECIALISTS_CLI_HELP RECORDS_CLI_HELP; }
