#include "app.h"
#include "core/outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "accounts_cli.h"
#include "audit_cli.h"
#include "core/password.h"
#include "core/secrets.h"
#include "http/auth.h"
#include "core/audit.h"
#include "core/audit_anchor.h"
#include "core/specialists.h"
#include "core/center.h"
#include "specialists_cli.h"
#include "records_cli.h"
#include "core/records.h"
#include "core/virus_scan.h"
#include "core/jobs.h"
#include "core/mailer.h"
#include "core/sealing.h"
#include "store/keyid.h"
#include "util/keydir.h"
#include "util/log.h"
#include "store/center.h"
#include "store/first_read.h"
#include "store/reauth.h"
#include "store/tokens.h"
#include "store/caregivers.h"
#include "store/specialists.h"
#include "core/reports.h"
#include "store/reports.h"
#include "store/requests.h"
#include "core/pacs.h"

/* Every instance sharing the database must hold the same key material: its
 * id (a keyed hash of the app key, which reveals nothing of it) is recorded
 * by the first instance that starts; any other refuses to start, before it
 * touches a file or a sealed value. 0, or -1 after saying why. */
static int check_key_identity(const struct config *c) {
  static const char label[] = "secondop key identity";
  unsigned char mac[32];
  char id[65], recorded[160] = "", kd[4096];
  if (keydir_path(c->data_dir, kd, sizeof kd) != 0) return -1;
  store_keyid_register();
  if (secrets_mac(SECRET_KEY_ID, label, sizeof label - 1, mac) != 0) return -1;
  sodium_bin2hex(id, sizeof id, mac, sizeof mac);
  enum err e = keyid_record(id, recorded, sizeof recorded);
  if (e != ERR_OK) {
    fprintf(stderr, "secondop: cannot read the key id recorded in the database (%s)\n", err_code(e));
    return -1;
  }
  if (strcmp(id, recorded) != 0) {
    fprintf(stderr,
            "secondop: the keys in %s (key id %.16s) are not the keys this database was used with (key id %.16s); "
            "start every instance with the same --key-file (a copy of the first instance's keys). Not started.\n",
            kd, id, recorded);
    return -1;
  }
  LOG_I("keys: %s (key id %.16s, as recorded in the database)", kd, id);
  return 0;
}

int app_init(const struct config *c) {
  audit_register();
  if (accounts_runtime_init(c) != 0) return -1;
  /* computed once now so the first unknown-user login is not faster or slower (serving only:
   * create-user answers no login, and an argon2id hash is most of its time) */
  if (!pw_dummy_hash(crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE)) return -1;
  if (check_key_identity(c) != 0) return -1;
  auth_install();
  store_specialists_register();
  rqs_register();
  store_reports_register();
  content_scan_init(c->clamd_socket);
  struct records_limits rl = {c->max_file_size, c->max_request_size, c->quota_uploads, c->quota_daily_bytes,
                              c->quota_archives};
  records_set_limits(&rl);
  if (records_init(c->data_dir) != 0 || records_recover() != 0) return -1;
  store_center_register();
  store_first_read_register();
  store_reauth_register();
  st_pat_register();
  st_cg_register();
  pacs_init();
  if (mailer_init(c) != 0) return -1;
  if (reports_seal_legacy_answers() != 0) return -1;
  /* plaintext left by older versions (outbox bodies, request text): sealed
   * now, in bounded batches; readers fall back to plaintext meanwhile */
  (void)sealing_startup();
  if (anchor_init(c->data_dir, config_audit_checkpoint_seconds(c)) != 0) return -1;
  return 0;
}

int app_seed_demo(const struct config *c) {
  (void)c;
  if (accounts_seed_demo() != 0) return -1;
  if (specialists_seed_demo(c) != 0) return -1;
  if (center_identity_seed_demo() != ERR_OK) return -1;
  return 0;
}

void app_started(const struct config *c) {
  records_start_sweeper();
  mailer_start();
  anchor_start();
  if (jobs_start(c->workers) != 0) LOG_E("background workers did not all start");
}
void app_stopping(void) {
  jobs_stop();
  mailer_stop();
  records_stop_sweeper();
}
void app_shutdown(void) {
  /* requests have finished: anchor the chain's final head */
  anchor_stop();
  anchor_checkpoint_now(false);
  anchor_shutdown();
  pw_blocklist_free();
  records_shutdown();
  mailer_shutdown();
  outbox_shutdown();
  specialists_choices_free();
  secrets_done();
}

int app_command(const char *name, int argc, char **argv) {
  (void)name;
  (void)argc;
  (void)argv;
  int accounts_rc = accounts_cli_command(name, argc, argv);
  if (accounts_rc != -1) return accounts_rc;
  int audit_rc = audit_cli_command(name, argc, argv);
  if (audit_rc != -1) return audit_rc;
  int spec_rc = specialists_cli_command(name, argc, argv);
  if (spec_rc != -1) return spec_rc;
  int records_rc = records_cli_command(name, argc, argv);
  if (records_rc != -1) return records_rc;
  return -1;
}

const char *app_commands_help(void) { return "" ACCOUNTS_CLI_HELP AUDIT_CLI_HELP SPECIALISTS_CLI_HELP RECORDS_CLI_HELP; }
