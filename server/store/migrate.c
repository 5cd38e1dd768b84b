#include "store/migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIGRATION_LOCK "7306517040101"  /* arbitrary, constant advisory lock key */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_migration_name(const char *n) {
  size_t l = strlen(n);
  if (l < 8 || strcmp(n + l - 4, ".sql") != 0) return 0;
  for (int i = 0; i < 4; i++)
    if (n[i] < '0' || n[i] > '9') return 0;
  return n[4] == '_';
}

static int exec_ok(PGconn *c, const char *sql, const char *what) {
  PGresult *r = PQexec(c, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) fprintf(stderr, "secondop: migration step %s failed: %s", what, PQresultErrorMessage(r));
  PQclear(r);
  return ok;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fileno(f), &st) == 0 && st.st_size < 16 * 1024 * 1024) {
    buf = malloc((size_t)st.st_size + 1);
    if (buf) buf[fread(buf, 1, (size_t)st.st_size, f)] = '\0';
  }
  fclose(f);
  return buf;
}

/* Migrations not yet recorded: n when schema_migrations does not exist yet,
 * -1 when the query failed (then the normal path reports it). */
static int count_pending(PGconn *c, char **names, size_t n) {
  PGresult *r = PQexec(c, "SELECT to_regclass('public.schema_migrations') IS NOT NULL");
  int have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
  int failed = PQresultStatus(r) != PGRES_TUPLES_OK;
  PQclear(r);
  if (failed) return -1;
  if (!have) return (int)n;
  int pending = 0;
  for (size_t i = 0; i < n; i++) {
    const char *vals[1] = {names[i]};
    r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      PQclear(r);
      return -1;
    }
    if (PQntuples(r) == 0) pending++;
    PQclear(r);
  }
  return pending;
}

/* True when the connected role owns the schema (or is a superuser): only it
 * may (re)grant the application role's privileges. */
static int owns_schema(PGconn *c) {
  PGresult *r = PQexec(c,
                       "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                       "WHERE c.oid = 'public.schema_migrations'::regclass");
  int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  return yes;
}

/* Gives the application role (secondop_app, when it exists) exactly the
 * table privileges it needs, after every migration run, so that tables added
 * by later migrations are covered too (migrations/0013_least_privilege.sql). */
static int apply_grants(PGconn *c) {
  PGresult *r = PQexec(c, "SELECT to_regprocedure('public.secondop_grant_app_privileges()') IS NOT NULL");
  int have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (!have) return 1;
  return exec_ok(c, "SELECT secondop_grant_app_privileges()", "grants");
}

int migrate_run(const char *conninfo, const char *dir) {
  int applied = -1;
  char **names = NULL;
  size_t n = 0;
  PGconn *c = NULL;
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "secondop: cannot open migrations folder %s\n", dir);
    goto done;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!is_migration_name(e->d_name)) continue;
    char **grown = realloc(names, (n + 1) * sizeof *names);
    if (!grown) goto done;
    names = grown;
    names[n++] = strdup(e->d_name);
  }
  qsort(names, n, sizeof *names, cmp_str);

  c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "secondop: cannot connect to the database: %s", PQerrorMessage(c));
    goto done;
  }
  PGresult *quiet = PQexec(c, "SET client_min_messages = warning");
  PQclear(quiet);
  /* Nothing pending: the application role (which may create nothing) can
   * start without touching the schema. The owner re-applies the grants. */
  int pending = count_pending(c, names, n);
  if (pending == 0) {
    applied = 0;
    if (owns_schema(c) && !apply_grants(c)) applied = -1;
    goto done;
  }
  if (!exec_ok(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", "lock")) goto done;
  if (!exec_ok(c,
               "CREATE TABLE IF NOT EXISTS schema_migrations ("
               " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
               "schema_migrations"))
    goto unlock;
  applied = 0;
  for (size_t i = 0; i < n; i++) {
    const char *vals[1] = {names[i]};
    PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, vals, NULL, NULL, 0);
    int done_already = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    int failed = PQresultStatus(r) != PGRES_TUPLES_OK;
    PQclear(r);
    if (failed) {
      applied = -1;
      break;
    }
    if (done_already) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    char *sql = read_file(path);
    if (!sql) {
      fprintf(stderr, "secondop: cannot read migration %s\n", path);
      applied = -1;
      break;
    }
    int ok = exec_ok(c, "BEGIN", "begin");
    if (ok) {
      PGresult *res = PQexec(c, sql);
      if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "secondop: migration %s failed: %s", names[i], PQresultErrorMessage(res));
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "42501") == 0)
          fprintf(stderr, "secondop: migrations must run as the role that owns the schema: give it with "
                          "--migrate-database-url (or run `secondop migrate --database-url OWNER_URL`)\n");
        ok = 0;
      }
      PQclear(res);
    }
    if (ok) {
      PGresult *res = PQexecParams(c, "INSERT INTO schema_migrations(version) VALUES ($1)", 1, NULL, vals, NULL, NULL, 0);
      ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
    }
    if (ok) ok = exec_ok(c, "COMMIT", "commit");
    free(sql);
    if (!ok) {
      PGresult *res = PQexec(c, "ROLLBACK");
      PQclear(res);
      fprintf(stderr, "secondop: the schema was left as it was before %s\n", names[i]);
      applied = -1;
      break;
    }
    fprintf(stderr, "secondop: applied migration %s\n", names[i]);
    applied++;
  }
  if (applied >= 0 && !apply_grants(c)) applied = -1;
unlock:
  exec_ok(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", "unlock");
done:
  if (d) closedir(d);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  PQfinish(c);
  return applied;
}
