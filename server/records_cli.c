#include "records_cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/audit.h"
#include "core/records.h"
#include "store/blobstore.h"
#include "store/db.h"
#include "store/pgembed.h"

/* secondop rotate-key [OPTIONS] */
static int cmd_rotate(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "rotate-key");
  if (rc) return rc;
  char conninfo[1024];
  bool embedded = false;
  int status = 1;
  if (cli_open_data_dir(&c) != 0) return 1;
  if (cli_open_database(&c, conninfo, sizeof conninfo, &embedded) != 0) goto done;
  audit_register();
  if (records_init(c.data_dir) != 0) goto done;
  if (blobstore_rotate_key() == 0) {
    struct actor who = {0, 0, "", "cli"};
    struct audit_event ev = {"storage.rotate_key", NULL, NULL, 0, "ok", NULL};
    audit_write(&who, &ev);
    status = 0;
  }
done:
  records_shutdown();
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
  return status;
}

int records_cli_command(const char *name, int argc, char **argv) {
  if (strcmp(name, "rotate-key") == 0) return cmd_rotate(argc, argv);
  return -1;
}
