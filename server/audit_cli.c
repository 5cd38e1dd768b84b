/* `secondop verify-audit`: recomputes the audit chain and names the first
 * broken row. `secondop audit [filters]`: prints matching audit rows as text
 * or CSV, answering questions like "who viewed case A". */
#include "core/form.h"
#include "audit_cli.h"

#include <jansson.h>
#include <sodium.h>
#include <time.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "core/audit.h"
#include "core/audit_anchor.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/pgembed.h"
#include "util/arena.h"
#include "util/log.h"

#define EXPORT_BATCH 500

static const char audit_usage[] =
    "Usage: secondop audit [FILTERS] [OPTIONS]\n"
    "\n"
    "Prints audit rows, oldest first. Filters (all optional, combined with AND):\n"
    "  --user ID|EMAIL        who acted (user id, or e-mail address)\n"
    "  --patient ID           whose records were touched (patient user id)\n"
    "  --action A             action, e.g. request.view; 'login.' matches every login.* action\n"
    "  --object-type T        kind of object, e.g. request\n"
    "  --object-id ID         object id (with --object-type: who touched that object)\n"
    "  --since YYYY-MM-DD     from this day (UTC), inclusive\n"
    "  --until YYYY-MM-DD     to this day (UTC), inclusive\n"
    "  --format text|csv      output format (default text)\n"
    "\n";

/* True when s is a positive decimal integer that fits a long long. */
static bool parse_id(const char *s, long long *out) { return form_id_parse(s, out); }

/* Opens the database like `migrate` does (embedded needs the data dir). */
static int open_db(struct config *c, bool *embedded) {
  char conninfo[1024];
  if (!c->database_url && cli_open_data_dir(c) != 0) return -1;
  if (cli_open_database(c, conninfo, sizeof conninfo, embedded) != 0) {
    cli_close_data_dir();
    return -1;
  }
  audit_register();
  return 0;
}

/* Closes what open_db opened. */
static void close_db(bool embedded) {
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
}

/* Checks the signed checkpoints in DATA-DIR/audit-checkpoints.log against
 * the chain (already verified intact up to its last row, last_id): every
 * line must carry a good signature, and the newest checkpoint's row must
 * still exist with the same hash (an intact chain through it then vouches
 * for every earlier one). Prints what it found. 0 consistent, 1 tampered or
 * unreadable. */
static int check_checkpoints(const char *data_dir, long long last_id) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", data_dir, ANCHOR_FILE);
  FILE *f = fopen(path, "re");
  if (!f) {
    fprintf(stderr, "secondop: no signed checkpoints found (%s): only the chain itself was checked\n", path);
    return 0;
  }
  unsigned char pk[32], sk[64];
  if (anchor_load_key(data_dir, false, pk, sk) != 0) {
    fclose(f);
    printf("TAMPERED or incomplete: %s exists but the signing key %s/%s cannot be read, so its checkpoints cannot be "
           "verified\n", path, data_dir, ANCHOR_KEY_FILE);
    return 1;
  }
  sodium_memzero(sk, sizeof sk);
  char line[ANCHOR_LINE_MAX + 2];
  long long lineno = 0, good = 0;
  struct anchor_checkpoint newest = {0}, cp;
  int status = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      printf("TAMPERED: %s line %lld is too long to be a checkpoint\n", path, lineno);
      status = 1;
      break;
    }
    int rc = anchor_parse(line, pk, &cp);
    if (rc != 0) {
      printf("TAMPERED: %s line %lld %s\n", path, lineno,
             rc == -2 ? "has a signature that does not verify" : "is not a well-formed checkpoint");
      status = 1;
      break;
    }
    good++;
    if (cp.row_id >= newest.row_id) newest = cp;
  }
  fclose(f);
  if (status != 0 || good == 0) {
    if (status == 0) fprintf(stderr, "secondop: no signed checkpoints in %s yet: only the chain itself was checked\n", path);
    return status;
  }
  char when[32] = "?";
  time_t t = (time_t)newest.at;
  struct tm tm;
  if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  unsigned char h[32];
  bool found = false;
  if (audit_store_hash_at(newest.row_id, h, &found) != ERR_OK) {
    printf("could not read the audit log to compare with the checkpoints\n");
    return 1;
  }
  if (!found || last_id < newest.row_id) {
    printf("TAMPERED: the audit chain ends at row %lld, but a signed checkpoint of %s UTC records row %lld: "
           "audit rows were deleted\n", last_id, when, newest.row_id);
    return 1;
  }
  if (sodium_memcmp(h, newest.hash, 32) != 0) {
    printf("TAMPERED: row %lld does not have the hash that the signed checkpoint of %s UTC records: the chain was "
           "rewritten\n", newest.row_id, when);
    return 1;
  }
  printf("%lld signed checkpoints verified; the newest (row %lld, %s UTC) matches the chain\n", good,
         newest.row_id, when);
  return 0;
}

static int cmd_verify(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "verify-audit");
  if (rc) return rc;
  bool embedded = false;
  if (open_db(&c, &embedded) != 0) return 1;
  long long rows = 0;
  long long broken = audit_verify_count(&rows);
  int status;
  if (broken < 0) {
    fprintf(stderr, "secondop: could not read the audit log\n");
    status = 1;
  } else if (broken > 0) {
    printf("audit chain broken at row %lld (%lld rows before it are intact)\n", broken, rows);
    status = 1;
  } else {
    printf("audit chain intact: %lld rows\n", rows);
    long long last_id = 0;
    unsigned char head[32];
    bool found = false;
    if (audit_store_head(&last_id, head, &found) != ERR_OK) {
      fprintf(stderr, "secondop: could not read the audit log\n");
      status = 1;
    } else {
      status = check_checkpoints(c.data_dir, found ? last_id : 0);
    }
  }
  fflush(stdout);
  close_db(embedded);
  return status;
}

/* One row as a text line; every value escaped so a stored name cannot
 * inject terminal control codes or fake lines. */
static void print_text_row(const struct audit_entry *e) {
  char name[256], email[300], obj[300], detail[1200], ip[80], rid[80];
  log_escape(e->actor_name ? e->actor_name : "", name, sizeof name);
  log_escape(e->actor_email ? e->actor_email : "", email, sizeof email);
  char objraw[260];
  snprintf(objraw, sizeof objraw, "%s%s%s", e->object_type ? e->object_type : "-", e->object_id ? ":" : "",
           e->object_id ? e->object_id : "");
  log_escape(objraw, obj, sizeof obj);
  log_escape(e->detail ? e->detail : "", detail, sizeof detail);
  log_escape(e->ip ? e->ip : "", ip, sizeof ip);
  log_escape(e->request_id ? e->request_id : "", rid, sizeof rid);
  char actor[600];
  if (e->has_actor_id)
    snprintf(actor, sizeof actor, "user %lld%s%s%s%s%s", e->actor_id, name[0] ? " " : "", name,
             email[0] ? " <" : "", email, email[0] ? ">" : "");
  else
    snprintf(actor, sizeof actor, "-");
  char patient[32] = "-";
  if (e->has_patient_id) snprintf(patient, sizeof patient, "%lld", e->patient_id);
  printf("%lld  %s UTC  %s  %s (%s)  %s  %s  patient=%s  ip=%s  request=%s%s%s\n", e->id,
         e->at_text ? e->at_text : "?", e->outcome ? e->outcome : "?", actor, e->actor_role ? e->actor_role : "?",
         e->action ? e->action : "?", obj, patient, ip[0] ? ip : "-", rid[0] ? rid : "-", detail[0] ? "  " : "",
         detail);
}

static int cmd_audit(int argc, char **argv) {
  struct audit_filter f = {0};
  const char *format = "text", *user = NULL, *patient = NULL;
  /* our filters out; the shared options go through cli_parse_options */
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) return 1;
  int nrest = 0;
  rest[nrest++] = argv[0];
  static const char *const names[] = {"user", "patient", "action", "object-type", "object-id", "since", "until", "format"};
  const char **dest[] = {&user, &patient, &f.action, &f.object_type, &f.object_id, &f.since, &f.until, &format};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      printf("%s%s", audit_usage, cli_options_text);
      free(rest);
      return 0;
    }
    bool mine = false;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && strncmp(arg, "--", 2) == 0; k++) {
      size_t l = strlen(names[k]);
      if (strncmp(arg + 2, names[k], l) != 0) continue;
      if (arg[2 + l] == '=') {
        *dest[k] = arg + 3 + l;
      } else if (arg[2 + l] == '\0') {
        if (i + 1 >= argc) {
          fprintf(stderr, "secondop: option --%s needs a value\n", names[k]);
          free(rest);
          return 2;
        }
        *dest[k] = argv[++i];
      } else {
        continue;
      }
      mine = true;
      break;
    }
    if (!mine) rest[nrest++] = argv[i];
  }
  int rc = 0;
  if (user && !parse_id(user, &f.actor_id)) {
    if (!strchr(user, '@')) {
      fprintf(stderr, "secondop: --user wants a user id (a number) or an e-mail address, not '%s'\n", user);
      rc = 2;
    }
    f.actor_email = user;
  }
  if (!rc && patient && !parse_id(patient, &f.patient_id)) {
    fprintf(stderr, "secondop: --patient wants a patient's user id (a number), not '%s'\n", patient);
    rc = 2;
  }
  if (!rc && f.since && !audit_date_valid(f.since)) {
    fprintf(stderr, "secondop: --since wants a date written YYYY-MM-DD, not '%s'\n", f.since);
    rc = 2;
  }
  if (!rc && f.until && !audit_date_valid(f.until)) {
    fprintf(stderr, "secondop: --until wants a date written YYYY-MM-DD, not '%s'\n", f.until);
    rc = 2;
  }
  if (!rc && strcmp(format, "text") != 0 && strcmp(format, "csv") != 0) {
    fprintf(stderr, "secondop: --format is text or csv, not '%s'\n", format);
    rc = 2;
  }
  struct config c;
  if (!rc) rc = cli_parse_options(nrest, rest, &c, "audit");
  if (rc) {
    free(rest);
    return rc;
  }
  bool embedded = false;
  if (open_db(&c, &embedded) != 0) {
    free(rest);
    return 1;
  }
  bool csv = strcmp(format, "csv") == 0;
  if (csv) audit_csv_header(stdout);
  long long after = 0, printed = 0;
  int status = 0;
  for (;;) {
    struct arena *a = arena_new();
    struct audit_entry *v = NULL;
    size_t n = 0;
    enum err e = a ? audit_export_page(a, &f, after, EXPORT_BATCH, &v, &n) : ERR_INTERNAL;
    if (e != ERR_OK) {
      fprintf(stderr, "secondop: could not read the audit log\n");
      status = 1;
      arena_free(a);
      break;
    }
    for (size_t i = 0; i < n; i++) {
      if (csv)
        audit_csv_row(stdout, &v[i]);
      else
        print_text_row(&v[i]);
      after = v[i].id;
      printed++;
    }
    arena_free(a);
    if (n < EXPORT_BATCH) break;
  }
  fflush(stdout);
  if (status == 0) {
    /* reading the trail is itself recorded */
    json_t *d = json_pack("{s:s,s:I}", "via", "cli", "rows", (json_int_t)printed);
    if (d && user) json_object_set_new(d, "user", json_string(user));
    if (d && f.patient_id) json_object_set_new(d, "patient", json_integer(f.patient_id));
    if (d && f.action) json_object_set_new(d, "action", json_string(f.action));
    if (d && f.object_type) json_object_set_new(d, "object_type", json_string(f.object_type));
    if (d && f.object_id) json_object_set_new(d, "object_id", json_string(f.object_id));
    if (d && f.since) json_object_set_new(d, "since", json_string(f.since));
    if (d && f.until) json_object_set_new(d, "until", json_string(f.until));
    char *dj = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    struct audit_event ev = {.action = "audit.export", .object_type = "audit_log", .outcome = "ok",
                             .detail_json = dj};
    if (audit_write(NULL, &ev) != ERR_OK) {
      fprintf(stderr, "secondop: could not record this export in the audit log\n");
      status = 1;
    }
    free(dj);
  }
  if (!csv && status == 0) fprintf(stderr, "secondop: %lld matching rows\n", printed);
  close_db(embedded);
  free(rest);
  return status;
}

int audit_cli_command(const char *name, int argc, char **argv) {
  if (strcmp(name, "verify-audit") == 0) return cmd_verify(argc, argv);
  if (strcmp(name, "audit") == 0) return cmd_audit(argc, argv);
  return -1;
}
