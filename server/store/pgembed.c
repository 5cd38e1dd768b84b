#include "store/pgembed.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char pgdir[512];
static char logfile[600];
static bool started;
static bool as_postgres;
static struct passwd pg_user;
static char pg_user_buf[1024];

const char *pg_bindir(void) {
  static char dir[256];
  if (dir[0]) return dir;
  const char *env = getenv("SECONDOP_PG_BINDIR");
  if (env && *env) {
    snprintf(dir, sizeof dir, "%s", env);
    return dir;
  }
  glob_t g;
  snprintf(dir, sizeof dir, "/usr/lib/postgresql/15/bin");
  if (access("/usr/lib/postgresql/15/bin/pg_ctl", X_OK) != 0 &&
      glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) == 0) {
    if (g.gl_pathc > 0) {
      snprintf(dir, sizeof dir, "%s", g.gl_pathv[g.gl_pathc - 1]);
      char *slash = strrchr(dir, '/');
      if (slash) *slash = '\0';
    }
    globfree(&g);
  }
  return dir;
}

/* Runs a PostgreSQL program (as postgres when we are root), with stdout and
 * stderr appended to the log file. Returns its exit status or -1. */
static int run_pg(const char *prog, const char *const *args) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", pg_bindir(), prog);
  const char *argv[32];
  size_t n = 0;
  if (as_postgres) {
    argv[n++] = "runuser";
    argv[n++] = "-u";
    argv[n++] = "postgres";
    argv[n++] = "--";
  }
  argv[n++] = path;
  for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    if (as_postgres)
      execvp("runuser", (char *const *)argv);
    else
      execv(path, (char *const *)argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* As root, postgres must be able to reach the cluster: every parent folder
 * must be traversable by others. */
static int check_traversable(const char *dir) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = strrchr(buf, '/'); p && p != buf; p = strrchr(buf, '/')) {
    *p = '\0';
    struct stat st;
    if (stat(buf, &st) != 0) return -1;
    if (!(st.st_mode & S_IXOTH) && st.st_uid != pg_user.pw_uid) {
      fprintf(stderr,
              "secondop: the postgres user cannot enter %s (mode %o); choose a data directory outside it, "
              "e.g. --data-dir /var/lib/secondop\n",
              buf, st.st_mode & 07777);
      return -1;
    }
  }
  return 0;
}

static int exec_admin(PGconn *c, const char *sql, const char *what) {
  PGresult *r = PQexec(c, sql);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) fprintf(stderr, "secondop: embedded PostgreSQL set-up (%s) failed: %s", what, PQresultErrorMessage(r));
  PQclear(r);
  return ok ? 0 : -1;
}

/* Least privilege: the cluster's superuser (`secondop`, made by initdb) only
 * sets up; `secondop_owner` owns the database and every table and runs the
 * migrations; the portal itself connects as `secondop_app`, which owns
 * nothing (so it can neither disable a trigger nor alter a table) and gets
 * only the table privileges that migrate grants (server/store/migrate.c). */
static const char roles_sql[] =
    "DO $$ BEGIN"
    " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'secondop_owner') THEN"
    "  CREATE ROLE secondop_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
    " END IF;"
    " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'secondop_app') THEN"
    "  CREATE ROLE secondop_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
    " END IF;"
    " END $$";

/* A database made by an earlier version belongs to the superuser: hand the
 * database and everything in its public schema to the owner role. */
static const char reown_sql[] =
    "DO $$ DECLARE o record; BEGIN"
    " FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')"
    "   AND c.relowner <> 'secondop_owner'::regrole LOOP"
    "  IF o.relkind = 'v' THEN EXECUTE format('ALTER VIEW public.%I OWNER TO secondop_owner', o.relname);"
    "  ELSIF o.relkind = 'm' THEN EXECUTE format('ALTER MATERIALIZED VIEW public.%I OWNER TO secondop_owner', o.relname);"
    "  ELSE EXECUTE format('ALTER TABLE public.%I OWNER TO secondop_owner', o.relname); END IF;"
    " END LOOP;"
    " FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE n.nspname = 'public' AND c.relkind = 'S' AND c.relowner <> 'secondop_owner'::regrole LOOP"
    "  EXECUTE format('ALTER SEQUENCE public.%I OWNER TO secondop_owner', o.relname);"
    " END LOOP;"
    " FOR o IN SELECT p.oid::regprocedure::text AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    "   WHERE n.nspname = 'public' AND p.proowner <> 'secondop_owner'::regrole LOOP"
    "  EXECUTE format('ALTER ROUTINE %s OWNER TO secondop_owner', o.sig);"
    " END LOOP;"
    " END $$";

static int create_database(char *owner_ci, char *app_ci, size_t cap) {
  char ci[700];
  snprintf(ci, sizeof ci, "host=%s dbname=postgres user=secondop", pgdir);
  PGconn *c = PQconnectdb(ci);
  PGconn *d = NULL;
  int rc = -1;
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "secondop: cannot connect to the embedded PostgreSQL: %s", PQerrorMessage(c));
    goto done;
  }
  PGresult *quiet = PQexec(c, "SET client_min_messages = warning");
  PQclear(quiet);
  if (exec_admin(c, roles_sql, "roles") != 0) goto done;
  PGresult *r = PQexec(c, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'secondop'");
  bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
  bool owned = exists && strcmp(PQgetvalue(r, 0, 0), "secondop_owner") == 0;
  PQclear(r);
  if (!exists && exec_admin(c, "CREATE DATABASE secondop OWNER secondop_owner", "create database") != 0) goto done;
  if (exists && !owned) {
    if (exec_admin(c, "ALTER DATABASE secondop OWNER TO secondop_owner", "database owner") != 0) goto done;
    snprintf(ci, sizeof ci, "host=%s dbname=secondop user=secondop", pgdir);
    d = PQconnectdb(ci);
    if (PQstatus(d) != CONNECTION_OK) {
      fprintf(stderr, "secondop: cannot connect to the embedded PostgreSQL: %s", PQerrorMessage(d));
      goto done;
    }
    quiet = PQexec(d, "SET client_min_messages = warning");
    PQclear(quiet);
    if (exec_admin(d, reown_sql, "table owners") != 0) goto done;
    fprintf(stderr, "secondop: the embedded database now belongs to secondop_owner; the portal connects as secondop_app\n");
  }
  snprintf(owner_ci, cap, "host=%s dbname=secondop user=secondop_owner", pgdir);
  snprintf(app_ci, cap, "host=%s dbname=secondop user=secondop_app", pgdir);
  rc = 0;
done:
  PQfinish(d);
  PQfinish(c);
  return rc;
}

int pgembed_start(const char *data_dir, char *owner_conninfo, char *app_conninfo, size_t cap) {
  char abs[PATH_MAX];
  if (!realpath(data_dir, abs)) {
    fprintf(stderr, "secondop: data directory %s: %s\n", data_dir, strerror(errno));
    return -1;
  }
  if (snprintf(pgdir, sizeof pgdir, "%s/pg", abs) >= (int)sizeof pgdir ||
      snprintf(logfile, sizeof logfile, "%s/postgresql.log", abs) >= (int)sizeof logfile ||
      strlen(pgdir) + strlen("/.s.PGSQL.5432") >= 107) {
    fprintf(stderr, "secondop: the data directory path is too long for a PostgreSQL socket (%s); use a shorter one\n", abs);
    return -1;
  }
  as_postgres = geteuid() == 0;
  if (as_postgres) {
    struct passwd *res = NULL;
    if (getpwnam_r("postgres", &pg_user, pg_user_buf, sizeof pg_user_buf, &res) != 0 || !res) {
      fprintf(stderr, "secondop: running as root needs the 'postgres' user (install postgresql-15)\n");
      return -1;
    }
    /* the data directory itself: traversable, not listable; its keys/ and files/ stay 0700 */
    if (chmod(abs, 0711) != 0 || check_traversable(pgdir) != 0) return -1;
  }
  int lf = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (lf >= 0) {
    if (as_postgres && fchown(lf, pg_user.pw_uid, pg_user.pw_gid) != 0) {
      close(lf);
      return -1;
    }
    close(lf);
  }
  char version_file[600];
  snprintf(version_file, sizeof version_file, "%s/PG_VERSION", pgdir);
  if (access(version_file, F_OK) != 0) {
    if (mkdir(pgdir, 0700) != 0 && errno != EEXIST) {
      fprintf(stderr, "secondop: cannot create %s: %s\n", pgdir, strerror(errno));
      return -1;
    }
    if (as_postgres && chown(pgdir, pg_user.pw_uid, pg_user.pw_gid) != 0) {
      fprintf(stderr, "secondop: cannot hand %s to postgres: %s\n", pgdir, strerror(errno));
      return -1;
    }
    fprintf(stderr, "secondop: creating the embedded PostgreSQL cluster in %s\n", pgdir);
    const char *args[] = {"-D", pgdir, "-U", "secondop", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                          "--no-sync", NULL};
    if (run_pg("initdb", args) != 0) {
      fprintf(stderr, "secondop: initdb failed; see %s\n", logfile);
      return -1;
    }
  }
  /* a server left behind by a run that crashed: we hold the data-dir lock, so it is ours */
  const char *status_args[] = {"-D", pgdir, "status", NULL};
  if (run_pg("pg_ctl", status_args) == 0) {
    fprintf(stderr, "secondop: stopping a PostgreSQL left running by an earlier run\n");
    const char *stop_args[] = {"-D", pgdir, "-m", "fast", "-w", "stop", NULL};
    run_pg("pg_ctl", stop_args);
  }
  char opts[700];
  snprintf(opts, sizeof opts, "-k %s -c listen_addresses='' -c unix_socket_permissions=0700", pgdir);
  const char *start_args[] = {"-D", pgdir, "-l", logfile, "-o", opts, "-w", "-t", "60", "start", NULL};
  if (run_pg("pg_ctl", start_args) != 0) {
    fprintf(stderr, "secondop: the embedded PostgreSQL did not start; see %s\n", logfile);
    return -1;
  }
  started = true;
  if (create_database(owner_conninfo, app_conninfo, cap) != 0) {
    pgembed_stop();
    return -1;
  }
  return 0;
}

void pgembed_stop(void) {
  if (!started) return;
  const char *stop_args[] = {"-D", pgdir, "-m", "fast", "-w", "-t", "30", "stop", NULL};
  if (run_pg("pg_ctl", stop_args) != 0) fprintf(stderr, "secondop: stopping PostgreSQL failed; see %s\n", logfile);
  started = false;
}
