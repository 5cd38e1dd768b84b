/* `secondop create-user` and `secondop outbox`: see accounts_cli.h.
 *
 * create-user prints "name: value" lines on stdout:
 *   user-id: 12
 *   email: a@example.org
 *   invitation: https://…/reset-password?token=…   (without --password-stdin:
 *                a one-time link, valid 7 days, to choose a password)
 *   totp-secret: BASE32…                           (with --totp: the account is
 *                enrolled in two-step login with this secret)
 * With --password-stdin the password is the first line of standard input,
 * and the account is active with its e-mail address confirmed. */
#include "accounts_cli.h"
#include "core/vocab.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/outbox.h"
#include "core/password.h"
#include "core/secrets.h"
#include "core/totp.h"
#include "store/accounts.h"
#include "store/db.h"
#include "store/security.h"
#include "store/pgembed.h"
#include "util/arena.h"
#include "util/keydir.h"

int accounts_runtime_init(const struct config *c) {
  char path[4096], path2[4096];
  int n = snprintf(path, sizeof path, "%s/data/common-passwords.txt", c->share_dir);
  if (n < 0 || (size_t)n >= sizeof path) return -1;
  n = snprintf(path2, sizeof path2, "%s/data/blocked-passphrases.txt", c->share_dir);
  if (n < 0 || (size_t)n >= sizeof path2) return -1;
  const char *lists[] = {path, path2};
  if (pw_blocklist_load_files(lists, 2) < 0) {
    fprintf(stderr, "secondop: cannot read the password blocklists %s and %s\n", path, path2);
    return -1;
  }
  if (secrets_init(c->data_dir) != 0) {
    char kd[4096];
    fprintf(stderr, "secondop: cannot open the app key in %s\n",
            keydir_path(c->data_dir, kd, sizeof kd) == 0 ? kd : c->data_dir);
    return -1;
  }
  pw_slots_init(2);
  if (totp_init() != 0) {
    fprintf(stderr, "secondop: liboath failed to initialise\n");
    return -1;
  }
  st_accounts_register();
  store_security_register();
  acct_configure(c->base_url);
  return 0;
}

int accounts_seed_demo(void) {
  static const struct {
    const char *role, *name, *email, *dob;
    bool totp;
  } demo[] = {
      {VOCAB_KEY_PATIENT, "Pat Demo", "patient@demo.secondop.test", "1968-04-12", false},
      {VOCAB_KEY_STAFF, "Sam Staff", "staff@demo.secondop.test", NULL, true},
      /* the directory's demo-024 (specialists_cli.c links them) */
      {VOCAB_KEY_REVIEWER, "Dr. Lucia Fernandes", "reviewer@demo.secondop.test", NULL, true},
      {VOCAB_KEY_ADMIN, "Alex Admin", "admin@demo.secondop.test", NULL, true},
  };
  struct arena *a = arena_new();
  if (!a) return -1;
  struct actor sys = {0, ACCT_ROLE_SYSTEM, "", "demo-seed", 0, false};
  int rc = 0;
  fprintf(stderr, "secondop: demo accounts (new passwords at every demo start):\n");
  for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) {
    char pw[64], b32[TOTP_BASE32_MAX];
    enum err e = acct_demo_account(a, &sys, demo[i].role, demo[i].name, demo[i].email, demo[i].dob, demo[i].totp, pw,
                                   sizeof pw, b32);
    if (e != ERR_OK) {
      fprintf(stderr, "secondop: the demo %s account could not be made (%s)\n", demo[i].role, err_code(e));
      rc = -1;
      break;
    }
    if (demo[i].totp)
      fprintf(stderr, "  %-8s  %-30s  password %s  TOTP secret %s\n", demo[i].role, demo[i].email, pw, b32);
    else
      fprintf(stderr, "  %-8s  %-30s  password %s\n", demo[i].role, demo[i].email, pw);
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(b32, sizeof b32);
  }
  if (rc == 0)
    fprintf(stderr, "  (add the TOTP secret to an authenticator app; e-mails are printed here in demo mode)\n");
  fflush(stderr);
  outbox_set_echo(true);
  arena_free(a);
  return rc;
}

static const char create_usage[] =
    "Usage: secondop create-user --role ROLE --email EMAIL --name NAME [--dob YYYY-MM-DD]\n"
    "                            [--password-stdin] [--totp] [OPTIONS]\n"
    "\n"
    "Creates an account. ROLE is patient, staff, reviewer or admin.\n"
    "  --password-stdin   read the password from the first line of standard input;\n"
    "                     without it a one-time invitation link is printed instead\n"
    "                     (valid 7 days) with which the person chooses their password\n"
    "  --totp             enrol two-step login now and print the secret (for tests and demos)\n"
    "\n";

/* Reads one line from stdin into a malloc'd string without the newline (NULL on EOF/too long). */
static char *read_password_line(void) {
  char *buf = calloc(1, PW_INPUT_MAX_BYTES + 2);
  if (!buf) return NULL;
  if (!fgets(buf, PW_INPUT_MAX_BYTES + 2, stdin)) {
    free(buf);
    return NULL;
  }
  size_t n = strcspn(buf, "\r\n");
  buf[n] = '\0';
  return buf;
}

static int cmd_create_user(int argc, char **argv) {
  const char *role = NULL, *email = NULL, *name = NULL, *dob = NULL;
  bool pw_stdin = false, with_totp = false;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) return 1;
  int nrest = 0;
  rest[nrest++] = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **dst = strcmp(a, "--role") == 0    ? &role
                       : strcmp(a, "--email") == 0 ? &email
                       : strcmp(a, "--name") == 0  ? &name
                       : strcmp(a, "--dob") == 0   ? &dob
                                                   : NULL;
    if (dst) {
      if (i + 1 >= argc) {
        fprintf(stderr, "secondop: %s needs a value\n", a);
        free(rest);
        return 2;
      }
      *dst = argv[++i];
    } else if (strcmp(a, "--password-stdin") == 0) {
      pw_stdin = true;
    } else if (strcmp(a, "--totp") == 0) {
      with_totp = true;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      printf("%s%s", create_usage, cli_options_text);
      free(rest);
      return 0;
    } else {
      rest[nrest++] = argv[i];
    }
  }
  struct config c;
  int rc = cli_parse_options(nrest, rest, &c, "create-user");
  free(rest);
  if (rc) return rc;
  if (!role || !email || !name) {
    fprintf(stderr, "secondop: create-user needs --role, --email and --name (see --help)\n");
    return 2;
  }
  char *password = NULL;
  if (pw_stdin && !(password = read_password_line())) {
    fprintf(stderr, "secondop: no password on standard input\n");
    return 2;
  }
  /* the embedded database needs the data directory's lock (no server running);
   * a configured database does not, so this works next to a running server */
  bool embedded = false;
  char conninfo[1024];
  int status = 1;
  struct arena *a = NULL;
  if (!c.database_url && cli_open_data_dir(&c) != 0) goto out;
  if (cli_open_database(&c, conninfo, sizeof conninfo, &embedded) != 0) goto out;
  audit_register();
  if (accounts_runtime_init(&c) != 0) goto out;
  a = arena_new();
  if (!a) goto out;
  struct actor sys = {0, ACCT_ROLE_SYSTEM, "", "cli", 0, false};
  long long id = 0;
  char *link = NULL;
  char totp_b32[TOTP_BASE32_MAX];
  struct acct_errors errs = {0};
  enum err e = acct_create_user(a, &sys, role, name, email, dob, password, with_totp, &id, &link, totp_b32, &errs);
  if (e == ERR_INVALID) {
    for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "secondop: %s\n", errs.e[i].message);
    status = 2;
  } else if (e == ERR_CONFLICT) {
    fprintf(stderr, "secondop: an account with this e-mail address exists already\n");
  } else if (e != ERR_OK) {
    fprintf(stderr, "secondop: the account could not be created (%s)\n", err_code(e));
  } else {
    printf("user-id: %lld\nemail: %s\nrole: %s\n", id, email, role);
    if (link) printf("invitation: %s\n", link);
    if (with_totp) printf("totp-secret: %s\n", totp_b32);
    status = 0;
  }
  sodium_memzero(totp_b32, sizeof totp_b32);
out:
  if (password) {
    sodium_memzero(password, strlen(password));
    free(password);
  }
  arena_free(a);
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
  return status;
}

static int cmd_outbox(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "outbox");
  if (rc) return rc;
  bool embedded = false;
  char conninfo[1024];
  int status = 1;
  if (!c.database_url && cli_open_data_dir(&c) != 0) return 1;
  if (cli_open_database(&c, conninfo, sizeof conninfo, &embedded) == 0) {
    st_accounts_register();
    /* bodies are sealed with the app key: without it they print as unreadable
     * (and no key is made here: a new one could not open them anyway) */
    char keyfile[4096];
    char keydir[4000];
    int kn = keydir_path(c.data_dir, keydir, sizeof keydir) == 0
                 ? snprintf(keyfile, sizeof keyfile, "%s/app.key", keydir)
                 : -1;
    if (kn < 0 || (size_t)kn >= sizeof keyfile || access(keyfile, R_OK) != 0 || secrets_init(c.data_dir) != 0)
      fprintf(stderr, "secondop: no app key in %s; message bodies stay sealed\n", keydir);
    status = outbox_print_pending(stdout) < 0 ? 1 : 0;
    secrets_done();
    if (status) fprintf(stderr, "secondop: could not read the outbox\n");
  }
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
  return status;
}

int accounts_cli_command(const char *name, int argc, char **argv) {
  if (strcmp(name, "create-user") == 0) return cmd_create_user(argc, argv);
  if (strcmp(name, "outbox") == 0) return cmd_outbox(argc, argv);
  return -1;
}
