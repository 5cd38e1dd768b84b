#include "store/pgembed.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static char pgdir[512];
static char logfile[600];
static char ping_conninfo[700];
static bool started;
/* The postmaster this process started (its parent is us, so waitpid tells
 * how it ended), or one found running on our data directory that we watch
 * without owning. While the supervisor runs, only its thread changes them. */
static pid_t child;
static pid_t adopted;

static atomic_int state = PGEMBED_NONE;
static atomic_ullong restarts, failed_starts;
static pthread_mutex_t sup_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sup_cv;
static bool sup_running, sup_stop;
static pthread_t sup_thread;

/* Restart back-off: the first try 0.5 s after the postmaster ended, doubling
 * with every further end or failed try up to 30 s, back to 0.5 s once the
 * server has stayed up for a minute. The supervisor looks every 100 ms. */
#define BACKOFF_FIRST_MS 500
#define BACKOFF_CAP_MS 30000
#define STABLE_MS 60000
#define POLL_MS 100
/* The first back-off; test builds (-Dtest_hooks=true) read it from
 * SECONDOP_TEST_PG_BACKOFF_MS so that a test can watch the restarting state. */
static long backoff_first_ms = BACKOFF_FIRST_MS;
/* Test builds: while the file SECONDOP_TEST_PG_HOLD_FILE names exists, no
 * start is attempted (a test starts a server by hand meanwhile). */
static const char *hold_file;
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

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void pgembed_describe_status(int st, char *out, size_t cap) {
  if (WIFSIGNALED(st)) {
    const char *abbrev = sigabbrev_np(WTERMSIG(st));
    snprintf(out, cap, "killed by signal %d (SIG%s)%s", WTERMSIG(st), abbrev ? abbrev : "?",
             WCOREDUMP(st) ? ", core dumped" : "");
  } else if (WIFEXITED(st)) {
    snprintf(out, cap, "exited with status %d", WEXITSTATUS(st));
  } else {
    snprintf(out, cap, "ended (wait status %d)", st);
  }
}

/* Starts the postmaster as our own child (not through pg_ctl, whose
 * postmaster is nobody's child): then waitpid() tells at once that it ended
 * and how. Its output goes to the log file, as pg_ctl -l did; it gets its own
 * session, so a Ctrl-C at the terminal reaches secondop, which stops it.
 * Everything the child needs is prepared before fork(): after it, in a
 * threaded process, only async-signal-safe calls are allowed. Returns the
 * pid, or -1 (logged). */
static pid_t spawn_postmaster(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/postgres", pg_bindir());
  const char *argv[] = {path, "-D", pgdir, "-k", pgdir, "-c", "listen_addresses=", "-c",
                        "unix_socket_permissions=0700", NULL};
  uid_t uid = pg_user.pw_uid;
  gid_t gid = pg_user.pw_gid;
  bool drop = as_postgres;
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "secondop: cannot start PostgreSQL: %s\n", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int in = open("/dev/null", O_RDONLY);
    int out = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
    /* nothing of ours (HTTP sockets, files, the data-dir lock) leaks into PostgreSQL */
    close_range(3, ~0U, 0);
    if (drop && (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
    umask(077);
    execv(path, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

enum wait_result { WAIT_READY, WAIT_EXITED, WAIT_TIMEOUT };

/* Waits until the postmaster pid accepts connections, or ends (its wait
 * status in *st), or timeout_ms passes. */
static enum wait_result wait_ready(pid_t pid, long long timeout_ms, int *st) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    pid_t w = waitpid(pid, st, WNOHANG);
    if (w == pid) return WAIT_EXITED;
    if (PQping(ping_conninfo) == PQPING_OK) return WAIT_READY;
    if (now_ms() >= deadline) return WAIT_TIMEOUT;
    sleep_ms(50);
  }
}

/* Fast shutdown of our own postmaster (SIGINT, as pg_ctl -m fast), then
 * immediate (SIGQUIT), then SIGKILL; reaps it. */
static void stop_child(pid_t pid) {
  static const struct {
    int sig;
    long long wait_ms;
  } steps[] = {{SIGINT, 30000}, {SIGQUIT, 10000}, {SIGKILL, -1}};
  int st;
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    if (waitpid(pid, &st, WNOHANG) != 0) return; /* ended (or not ours any more) */
    if (i > 0) fprintf(stderr, "secondop: PostgreSQL did not stop in time; sending signal %d\n", steps[i].sig);
    kill(pid, steps[i].sig);
    if (steps[i].wait_ms < 0) {
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      return;
    }
    for (long long deadline = now_ms() + steps[i].wait_ms; now_ms() < deadline;) {
      if (waitpid(pid, &st, WNOHANG) != 0) return;
      sleep_ms(20);
    }
  }
}

/* True while pid exists and has not ended (a zombie, ended but not yet
 * reaped by its parent, still answers kill(pid, 0)). */
static bool pid_running(pid_t pid) {
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "re");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* The pid named by postmaster.pid when that process is alive and is a
 * PostgreSQL process (a pid reused by another program after a kill -9 does
 * not count); 0 otherwise. */
static pid_t live_postmaster(void) {
  char path[600], buf[64] = "";
  snprintf(path, sizeof path, "%s/postmaster.pid", pgdir);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  bool got = fgets(buf, sizeof buf, f) != NULL;
  fclose(f);
  long pid = got ? strtol(buf, NULL, 10) : 0;
  if (pid <= 0 || pid > INT_MAX) return 0;
  if (!pid_running((pid_t)pid)) return 0;
  char comm[64] = "";
  snprintf(path, sizeof path, "/proc/%ld/comm", pid);
  f = fopen(path, "re");
  if (!f) return 0;
  got = fgets(comm, sizeof comm, f) != NULL;
  fclose(f);
  return got && strncmp(comm, "postgres", 8) == 0 ? (pid_t)pid : 0;
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
  snprintf(ping_conninfo, sizeof ping_conninfo, "host=%s dbname=postgres user=secondop connect_timeout=5", pgdir);
  pid_t pid = spawn_postmaster();
  if (pid < 0) return -1;
  int st = 0;
  switch (wait_ready(pid, 60000, &st)) {
  case WAIT_READY:
    break;
  case WAIT_EXITED: {
    char why[96];
    pgembed_describe_status(st, why, sizeof why);
    fprintf(stderr, "secondop: the embedded PostgreSQL did not start (%s); see %s\n", why, logfile);
    return -1;
  }
  case WAIT_TIMEOUT:
    fprintf(stderr, "secondop: the embedded PostgreSQL did not accept connections within 60 s; see %s\n", logfile);
    stop_child(pid);
    return -1;
  }
  child = pid;
  started = true;
  atomic_store(&state, PGEMBED_UP);
  if (create_database(owner_conninfo, app_conninfo, cap) != 0) {
    pgembed_stop();
    return -1;
  }
  return 0;
}

long pgembed_next_backoff_ms(long ms) { return ms * 2 > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : ms * 2; }

/* True when line is one of PostgreSQL's own life-cycle messages (LOG, FATAL,
 * PANIC after the default "%m [%p] " prefix) that cannot quote request data:
 * ERROR, DETAIL, STATEMENT and CONTEXT lines can (a unique violation's DETAIL
 * names the key), and nothing mentioning a password, a statement, a detail
 * or a duration (log_min_duration_statement quotes the statement) is shown. */
bool pgembed_log_line_shareable(const char *line) {
  const char *p = strstr(line, "] ");
  if (!p) return false;
  p += 2;
  if (strncmp(p, "LOG:  ", 6) != 0 && strncmp(p, "FATAL:  ", 8) != 0 && strncmp(p, "PANIC:  ", 8) != 0) return false;
  return !strcasestr(line, "password") && !strcasestr(line, "statement") && !strcasestr(line, "detail") &&
         !strstr(line, "duration:");
}

/* Logs the last few shareable lines of PostgreSQL's log file (at most 5 of
 * at most 300 bytes each): what the server itself said before it ended. */
static void log_pg_tail(void) {
  char buf[16384];
  int fd = open(logfile, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat sb;
  off_t from = 0;
  if (fstat(fd, &sb) == 0 && sb.st_size > (off_t)sizeof buf - 1) from = sb.st_size - ((off_t)sizeof buf - 1);
  ssize_t n = pread(fd, buf, sizeof buf - 1, from);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  const char *keep[5];
  size_t nkeep = 0;
  char *line = buf;
  if (from > 0) { /* the first line is cut: skip it */
    char *nl = strchr(buf, '\n');
    line = nl ? nl + 1 : buf + n;
  }
  while (*line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (pgembed_log_line_shareable(line)) {
      if (nkeep == 5) {
        memmove(keep, keep + 1, 4 * sizeof keep[0]);
        nkeep = 4;
      }
      keep[nkeep++] = line;
    }
    if (!nl) break;
    line = nl + 1;
  }
  for (size_t i = 0; i < nkeep; i++) LOG_W("PostgreSQL's log before that: %.300s", keep[i]);
}

/* In a container secondop may be process 1: the backends of a postmaster
 * that was killed are then handed to us when it dies, and nobody else would
 * reap them when they end. Reaps such zombies: only our children named
 * postgres (other children, the unpack and render workers, are waited for by
 * whoever started them). */
static void reap_orphaned_backends(void) {
  DIR *d = opendir("/proc");
  if (!d) return;
  pid_t self = getpid();
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    char path[300], buf[256];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "re");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    char st = 0;
    int ppid = 0;
    if (!strstr(buf, " (postgres) ") || !rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2) continue;
    pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
    if (st == 'Z' && ppid == self && pid != child) waitpid(pid, NULL, WNOHANG);
  }
  closedir(d);
}

/* Waits up to ms, or less when asked to stop; true when asked to stop. */
static bool sup_pause(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&sup_mu);
  while (!sup_stop && pthread_cond_timedwait(&sup_cv, &sup_mu, &ts) != ETIMEDOUT) {
  }
  bool stop = sup_stop;
  pthread_mutex_unlock(&sup_mu);
  return stop;
}

/* The supervisor: its own thread, never an HTTP thread. It notices that the
 * postmaster ended (waitpid on our child; for one we only watch, the pid
 * disappearing), says why in the log, and starts it again after the back-off,
 * but never while postmaster.pid names a live PostgreSQL on our directory. */
static void *supervise(void *arg) {
  (void)arg;
  long backoff = backoff_first_ms;
  long long up_since = now_ms(), next_try = 0;
  bool init = getpid() == 1;
  for (unsigned tick = 0; !sup_pause(POLL_MS); tick++) {
    if (init && tick % 10 == 0) reap_orphaned_backends();
    int cur = atomic_load(&state);
    long long now = now_ms();
    char why[160] = "";
    pid_t gone = 0;
    if (child > 0) {
      int st = 0;
      pid_t w = waitpid(child, &st, WNOHANG);
      if (w == child || (w < 0 && errno == ECHILD)) {
        if (w == child)
          pgembed_describe_status(st, why, sizeof why);
        else
          snprintf(why, sizeof why, "ended (how is unknown)");
        gone = child;
        child = 0;
      } else if (cur == PGEMBED_RESTARTING && PQping(ping_conninfo) == PQPING_OK) {
        unsigned long long nth = atomic_fetch_add(&restarts, 1) + 1;
        atomic_store(&state, PGEMBED_UP);
        up_since = now;
        LOG_I("the embedded PostgreSQL is back (pid %d, restart %llu)", (int)child, nth);
      }
    } else if (adopted > 0) {
      if (!pid_running(adopted)) {
        snprintf(why, sizeof why, "ended (it was not started by this secondop, so how is unknown)");
        gone = adopted;
        adopted = 0;
      }
    } else if (cur == PGEMBED_RESTARTING && now >= next_try && !(hold_file && access(hold_file, F_OK) == 0)) {
      pid_t other = live_postmaster();
      if (other > 0 && PQping(ping_conninfo) == PQPING_OK) {
        adopted = other;
        unsigned long long nth = atomic_fetch_add(&restarts, 1) + 1;
        atomic_store(&state, PGEMBED_UP);
        up_since = now;
        LOG_W("a PostgreSQL not started by this secondop (pid %d) runs on %s; watching it instead of starting a "
              "second one (restart %llu)", (int)other, pgdir, nth);
      } else if (other > 0) {
        LOG_W("PostgreSQL process %d still holds %s; not starting a second one; trying again in %.1f s", (int)other,
              pgdir, backoff / 1000.0);
        next_try = now + backoff;
        backoff = pgembed_next_backoff_ms(backoff);
      } else {
        pid_t pid = spawn_postmaster();
        if (pid > 0) {
          child = pid;
          LOG_I("starting the embedded PostgreSQL again (pid %d)", (int)pid);
        } else {
          atomic_fetch_add(&failed_starts, 1);
          LOG_E("cannot start the embedded PostgreSQL; trying again in %.1f s", backoff / 1000.0);
          next_try = now + backoff;
          backoff = pgembed_next_backoff_ms(backoff);
        }
      }
    }
    if (gone) {
      atomic_store(&state, PGEMBED_RESTARTING);
      if (cur == PGEMBED_UP) {
        LOG_E("the embedded PostgreSQL (pid %d) stopped unexpectedly: %s; restarting it in %.1f s", (int)gone, why,
              backoff / 1000.0);
      } else {
        atomic_fetch_add(&failed_starts, 1);
        LOG_E("the embedded PostgreSQL (pid %d) did not come back: %s; trying again in %.1f s", (int)gone, why,
              backoff / 1000.0);
      }
      log_pg_tail();
      next_try = now + backoff;
      backoff = pgembed_next_backoff_ms(backoff);
    } else if (cur == PGEMBED_UP && backoff != backoff_first_ms && now - up_since >= STABLE_MS) {
      backoff = backoff_first_ms;
    }
  }
  return NULL;
}

int pgembed_supervise_start(void) {
  if (!started || sup_running) return 0;
#ifdef SECONDOP_TEST_HOOKS
  const char *first = getenv("SECONDOP_TEST_PG_BACKOFF_MS");
  if (first && strtol(first, NULL, 10) > 0 && strtol(first, NULL, 10) <= BACKOFF_CAP_MS)
    backoff_first_ms = strtol(first, NULL, 10);
  hold_file = getenv("SECONDOP_TEST_PG_HOLD_FILE");
#endif
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&sup_cv, &ca);
  pthread_condattr_destroy(&ca);
  sup_stop = false;
  int rc = pthread_create(&sup_thread, NULL, supervise, NULL);
  if (rc != 0) {
    LOG_E("cannot start the PostgreSQL supervisor: %s", strerror(rc));
    pthread_cond_destroy(&sup_cv);
    return -1;
  }
  sup_running = true;
  return 0;
}

void pgembed_supervise_stop(void) {
  if (!sup_running) return;
  pthread_mutex_lock(&sup_mu);
  sup_stop = true;
  pthread_cond_broadcast(&sup_cv);
  pthread_mutex_unlock(&sup_mu);
  pthread_join(sup_thread, NULL);
  pthread_cond_destroy(&sup_cv);
  sup_running = false;
}

enum pgembed_state pgembed_state(void) { return (enum pgembed_state)atomic_load(&state); }
unsigned long long pgembed_restarts(void) { return atomic_load(&restarts); }
unsigned long long pgembed_failed_starts(void) { return atomic_load(&failed_starts); }

void pgembed_stop(void) {
  pgembed_supervise_stop();
  if (!started) return;
  if (child > 0) {
    stop_child(child);
  } else if (adopted > 0 || live_postmaster() > 0) {
    /* one we watched but did not start: pg_ctl finds it through postmaster.pid */
    const char *stop_args[] = {"-D", pgdir, "-m", "fast", "-w", "-t", "30", "stop", NULL};
    if (run_pg("pg_ctl", stop_args) != 0) fprintf(stderr, "secondop: stopping PostgreSQL failed; see %s\n", logfile);
  }
  child = adopted = 0;
  started = false;
  atomic_store(&state, PGEMBED_NONE);
}
