#include "app.h"

#include <stdio.h>
#include <string.h>

#include "accounts_cli.h"
#include "audit_cli.h"
#include "core/audit.h"
#include "core/password.h"
#include "core/secrets.h"
#include "http/auth.h"

int app_init(const struct config *c) {
  audit_register();
  if (accounts_runtime_init(c) != 0) return -1;
  auth_install();
  return 0;
}

int app_seed_demo(const struct config *c) {
  (void)c;
  if (accounts_seed_demo() != 0) return -1;
  return 0;
}

void app_started(const struct config *c) { (void)c; }
void app_stopping(void) {}
void app_shutdown(void) {
  pw_blocklist_free();
  secrets_done();
}

int app_command(const char *name, int argc, char **argv) {
  int accounts_rc = accounts_cli_command(name, argc, argv);
  if (accounts_rc != -1) return accounts_rc;
  int audit_rc = audit_cli_command(name, argc, argv);
  if (audit_rc != -1) return audit_rc;
  return -1;
}

const char *app_commands_help(void) { return "" ACCOUNTS_CLI_HELP AUDIT_CLI_HELP; }
