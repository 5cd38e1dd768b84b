#include "records_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "core/audit.h"
#include "core/records.h"
#include "store/blobstore.h"
#include "store/blobverify.h"
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
    struct actor who = {0, 0, "", "cli", 0, false};
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

/* 1 when a running secondop holds the data directory lock, else 0. */
static int data_dir_in_use(const char *data_dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/secondop.lock", data_dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd); /* drops the shared lock if we got it */
  return busy;
}

/* The connection string of the server already serving on c's data directory:
 * --database-url, or its embedded PostgreSQL's socket as the app role.
 * 0, or -1 after printing why. */
static int beside_conninfo(const struct config *c, char *conninfo, size_t cap) {
  if (c->database_url) {
    snprintf(conninfo, cap, "%s", c->database_url);
    return 0;
  }
  char abs[PATH_MAX];
  if (!realpath(c->data_dir, abs)) {
    fprintf(stderr, "secondop: data directory %s: %s\n", c->data_dir, strerror(errno));
    return -1;
  }
  if (snprintf(conninfo, cap, "host=%s/pg dbname=secondop user=secondop_app", abs) >= (int)cap) {
    fprintf(stderr, "secondop: the data directory path is too long\n");
    return -1;
  }
  return 0;
}

/* secondop reseal [OPTIONS]: blob format 1 -> 2 (blobstore_reseal). Runs
 * beside a serving secondop: it then uses that server's database (its
 * embedded PostgreSQL's socket, or --database-url) without taking the data
 * directory lock; otherwise it opens the data directory like any command. */
static int cmd_reseal(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "reseal");
  if (rc) return rc;
  char conninfo[1024];
  bool embedded = false, locked = false;
  int status = 1;
  char err[256];
  if (data_dir_in_use(c.data_dir)) {
    if (beside_conninfo(&c, conninfo, sizeof conninfo) != 0) return 1;
    db_set_conninfo(conninfo);
    fprintf(stderr, "secondop: a server is running on %s; resealing beside it\n", c.data_dir);
  } else {
    if (cli_open_data_dir(&c) != 0) return 1;
    locked = true;
    if (cli_open_database(&c, conninfo, sizeof conninfo, &embedded) != 0) goto done;
  }
  audit_register();
  if (blobstore_init(c.data_dir, err, sizeof err) != 0) {
    fprintf(stderr, "secondop: blob store: %s\n", err);
    goto done;
  }
  db_close(); /* reconnect so the connection prepares the store's statements */
  struct blobstore_reseal_report rep;
  int r = blobstore_reseal(&rep);
  char detail[160];
  snprintf(detail, sizeof detail, "{\"converted\":%u,\"already\":%u,\"failed\":%u}", rep.converted, rep.already,
           rep.failed);
  struct actor who = {0, 0, "", "cli", 0, false};
  struct audit_event ev = {"storage.reseal", NULL, NULL, 0, r == 0 ? "ok" : "failed", detail};
  audit_write(&who, &ev);
  status = r == 0 ? 0 : 1;
done:
  blobstore_shutdown();
  db_close();
  if (embedded) pgembed_stop();
  if (locked) cli_close_data_dir();
  return status;
}

/* secondop verify-store [OPTIONS]: checks every stored file against the
 * database (blobverify.h), read only. Beside a serving secondop it uses that
 * server's database like reseal; otherwise it takes the data directory lock
 * and, for the embedded cluster, starts it without migrating anything.
 * Exit 0 when everything is sound, 1 when a problem was found or the check
 * could not run. Audited as storage.verify with the counts. */
static int cmd_verify_store(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "verify-store");
  if (rc) return rc;
  char conninfo[1024];
  bool embedded = false, locked = false;
  int status = 1;
  if (data_dir_in_use(c.data_dir)) {
    if (beside_conninfo(&c, conninfo, sizeof conninfo) != 0) return 1;
    fprintf(stderr, "secondop: a server is running on %s; checking beside it (read only)\n", c.data_dir);
  } else {
    if (cli_open_data_dir(&c) != 0) return 1;
    locked = true;
    if (c.database_url) {
      snprintf(conninfo, sizeof conninfo, "%s", c.database_url);
    } else {
      char owner[1024];
      if (pgembed_start(c.data_dir, owner, conninfo, sizeof conninfo) != 0) goto done;
      sodium_memzero(owner, sizeof owner);
      embedded = true;
    }
  }
  db_set_conninfo(conninfo);
  sodium_memzero(conninfo, sizeof conninfo);
  audit_register();
  blobverify_register();
  struct blobverify_report rep;
  if (blobverify_run(c.data_dir, stdout, isatty(STDOUT_FILENO) == 1, &rep) != 0) goto done;
  unsigned problems = blobverify_problems(&rep);
  char detail[400];
  snprintf(detail, sizeof detail,
           "{\"rows\":%llu,\"files_read\":%llu,\"bytes\":%llu,\"missing\":%u,\"damaged\":%u,\"unreadable\":%u,"
           "\"mismatched\":%u,\"key_failures\":%u,\"foreign\":%u,\"unnamed\":%u}",
           (unsigned long long)rep.rows, (unsigned long long)rep.stored_files, (unsigned long long)rep.bytes_done,
           rep.missing, rep.damaged, rep.unreadable, rep.mismatched, rep.key_failures, rep.foreign, rep.unnamed);
  struct actor who = {0, 0, "", "cli", 0, false};
  struct audit_event ev = {"storage.verify", NULL, NULL, 0, problems ? "failed" : "ok", detail};
  if (audit_write(&who, &ev) != ERR_OK) {
    fprintf(stderr, "secondop: the check could not be written to the audit log\n");
    goto done;
  }
  status = problems ? 1 : 0;
done:
  db_close();
  if (embedded) pgembed_stop();
  if (locked) cli_close_data_dir();
  return status;
}

int records_cli_command(const char *name, int argc, char **argv) {
  if (strcmp(name, "rotate-key") == 0) return cmd_rotate(argc, argv);
  if (strcmp(name, "reseal") == 0) return cmd_reseal(argc, argv);
  if (strcmp(name, "verify-store") == 0) return cmd_verify_store(argc, argv);
  return -1;
}
