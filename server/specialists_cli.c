/* `secondop import-specialists FILE` and `secondop export-specialists`, and
 * the demo directory. Both commands act as the system (audited as such). */
#include "specialists_cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/audit.h"
#include "core/specialists.h"
#include "store/db.h"
#include "store/pgembed.h"
#include "store/specialists.h"
#include "util/arena.h"
#include "util/log.h"

#define MAX_CSV_BYTES (64u * 1024 * 1024)

static const struct actor cli_actor = {0, 0, "", "cli", 0, false};

/* Reads a whole file (or stdin for "-") of at most MAX_CSV_BYTES into a
 * malloc'd buffer (free()); NULL after printing why. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "secondop: cannot open %s\n", path);
    return NULL;
  }
  size_t cap = 64 * 1024, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      if (cap >= MAX_CSV_BYTES) {
        fprintf(stderr, "secondop: %s is larger than %u MiB\n", path, MAX_CSV_BYTES >> 20);
        free(buf);
        buf = NULL;
        break;
      }
      char *b = realloc(buf, cap * 2);
      if (!b) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = b;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (buf && ferror(f)) {
    fprintf(stderr, "secondop: cannot read %s\n", path);
    free(buf);
    buf = NULL;
  }
  if (f != stdin) fclose(f);
  *len = n;
  return buf;
}

/* Opens the database like `migrate` does and registers the statements used. */
static int open_db(struct config *c, bool *embedded) {
  char conninfo[1024];
  if (!c->database_url && cli_open_data_dir(c) != 0) return -1;
  if (cli_open_database(c, conninfo, sizeof conninfo, embedded) != 0) {
    cli_close_data_dir();
    return -1;
  }
  audit_register();
  store_specialists_register();
  return 0;
}

static void close_db(bool embedded) {
  db_close();
  if (embedded) pgembed_stop();
  cli_close_data_dir();
}

/* Prints an import's outcome: counts, or every problem with its line. */
static void print_report(FILE *out, const char *path, enum err e, const struct import_report *rep) {
  if (e == ERR_OK) {
    fprintf(out, "imported %zu specialists from %s: %zu new, %zu updated\n", rep->rows, path, rep->created,
            rep->updated);
    return;
  }
  if (e == ERR_INVALID) {
    fprintf(out, "%s was refused; nothing was imported. Fix these lines and try again:\n", path);
    for (size_t i = 0; i < rep->n_problems; i++)
      fprintf(out, "  line %zu: %s\n", rep->problems[i].line, rep->problems[i].message);
    if (rep->truncated) fprintf(out, "  (more problems not shown)\n");
    return;
  }
  fprintf(out, "%s could not be imported: %s\n", path, err_message(e));
}

static int cmd_import(int argc, char **argv) {
  /* secondop import-specialists FILE [OPTIONS]: FILE first, then the usual options */
  if (argc < 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
      printf("Usage: secondop import-specialists FILE [OPTIONS]\n\n"
             "Loads a specialist directory CSV (header row; see data/demo-specialists.csv).\n"
             "Rows are matched by external_id: new ones are added, known ones updated.\n"
             "A file with any bad row is refused whole, listing every bad line.\n\n%s",
             cli_options_text);
      return 0;
    }
    fprintf(stderr, "secondop: import-specialists needs a FILE (or - for stdin) first; see --help\n");
    return 2;
  }
  const char *path = argv[1];
  struct config c;
  int rc = cli_parse_options(argc - 1, argv + 1, &c, "import-specialists");
  if (rc) return rc;
  size_t len = 0;
  char *data = read_all(path, &len);
  if (!data) return 1;
  bool embedded = false;
  if (open_db(&c, &embedded) != 0) {
    free(data);
    return 1;
  }
  struct arena *a = arena_new();
  struct import_report rep;
  enum err e = a ? specialists_import_csv(&cli_actor, a, data, len, &rep) : ERR_INTERNAL;
  if (a) print_report(e == ERR_OK ? stdout : stderr, path, e, &rep);
  arena_free(a);
  free(data);
  close_db(embedded);
  return e == ERR_OK ? 0 : e == ERR_INVALID ? 1 : 1;
}

static int cmd_export(int argc, char **argv) {
  struct config c;
  int rc = cli_parse_options(argc, argv, &c, "export-specialists");
  if (rc) return rc;
  bool embedded = false;
  if (open_db(&c, &embedded) != 0) return 1;
  struct arena *a = arena_new();
  char *csv = NULL;
  size_t len = 0;
  enum err e = a ? specialists_export_csv(&cli_actor, a, &csv, &len) : ERR_INTERNAL;
  int status = 0;
  if (e == ERR_OK) {
    if (fwrite(csv, 1, len, stdout) != len || fflush(stdout) != 0) status = 1;
  } else {
    fprintf(stderr, "secondop: export failed: %s\n", err_message(e));
    status = 1;
  }
  free(csv);
  arena_free(a);
  close_db(embedded);
  return status;
}

int specialists_cli_command(const char *name, int argc, char **argv) {
  if (strcmp(name, "import-specialists") == 0) return cmd_import(argc, argv);
  if (strcmp(name, "export-specialists") == 0) return cmd_export(argc, argv);
  return -1;
}

/* The demo specialists who have a demo reviewer account (accounts_cli.c),
 * linked so that a fresh demo assigns, reviews and signs in their name
 * without any admin work. An entry an admin linked otherwise is kept. */
static int demo_links(const struct actor *who, struct arena *a) {
  static const struct {
    const char *external_id, *email;
  } links[] = {
      {"demo-024", "reviewer@demo.secondop.test"}, /* Dr. Lucia Fernandes */
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    bool linked = false;
    enum err e = specialist_link_demo(who, a, links[i].external_id, links[i].email, &linked);
    if (e != ERR_OK) {
      LOG_E("demo specialists: cannot link %s to its reviewer account (%s)", links[i].external_id, err_code(e));
      return -1;
    }
    if (linked) fprintf(stderr, "secondop: demo specialist %s linked to %s\n", links[i].external_id, links[i].email);
  }
  return 0;
}

int specialists_seed_demo(const struct config *c) {
  struct arena *a = arena_new();
  if (!a) return -1;
  int status = -1;
  char *data = NULL;
  bool any = false;
  enum err e = store_specialists_exist(a, &any);
  if (e != ERR_OK) {
    LOG_E("demo specialists: cannot read the directory (%s)", err_code(e));
    goto done;
  }
  static const struct actor seed_actor = {0, 0, "", "seed-demo", 0, false};
  if (any) {
    status = demo_links(&seed_actor, a); /* keep what is there: admins may have edited it */
    goto done;
  }
  char path[4096];
  int n = snprintf(path, sizeof path, "%s/data/demo-specialists.csv", c->share_dir);
  if (n < 0 || (size_t)n >= sizeof path) goto done;
  size_t len = 0;
  data = read_all(path, &len);
  if (!data) goto done;
  struct import_report rep;
  e = specialists_import_csv(&seed_actor, a, data, len, &rep);
  if (e != ERR_OK) {
    print_report(stderr, path, e, &rep);
    goto done;
  }
  fprintf(stderr, "secondop: demo directory loaded: %zu specialists\n", rep.created);
  status = demo_links(&seed_actor, a);
done:
  free(data);
  arena_free(a);
  return status;
}
