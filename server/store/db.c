#include "store/db.h"
#include "store/dbstats.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/arena.h"
#include "util/log.h"

#define MAX_STMT_SETS 32

static char *conninfo;
struct stmt_set {
  const struct db_stmt *stmts;
  size_t n;
};
static struct stmt_set sets[MAX_STMT_SETS];
static size_t nsets;
static pthread_key_t conn_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local PGconn *tconn;
static _Thread_local bool last_retryable;
static _Thread_local unsigned long statements_sent; /* store/dbstats.h */
static _Thread_local time_t last_failed_connect;
static _Thread_local unsigned long long failed_in_epoch; /* the epoch source's value at that failure */
static unsigned long long (*epoch_source)(void);     /* set once before serving; NULL: none */

void db_set_epoch_source(unsigned long long (*fn)(void)) { epoch_source = fn; }
static unsigned long long epoch_now(void) { return epoch_source ? epoch_source() : 0; }

static void conn_destructor(void *p) { PQfinish(p); }
static void make_key(void) { pthread_key_create(&conn_key, conn_destructor); }

void db_set_conninfo(const char *ci) {
  free(conninfo);
  conninfo = strdup(ci);
}

void db_register(const struct db_stmt *stmts, size_t n) {
  if (nsets < MAX_STMT_SETS) sets[nsets++] = (struct stmt_set){stmts, n};
}

static void drop_conn(void) {
  if (tconn) {
    PQfinish(tconn);
    tconn = NULL;
    pthread_setspecific(conn_key, NULL);
  }
}

void db_close(void) { drop_conn(); }

static void quiet_notice(void *arg, const char *msg) {
  (void)arg;
  (void)msg;
}

/* False when an idle connection has been closed by the server since its
 * last use (the database was restarted: its backends ended and their
 * sockets hang up). Such a connection still says CONNECTION_OK until libpq
 * reads from it, and the statement sent on it would fail with 503; found
 * here, before anything is sent, it is simply replaced. One poll() with no
 * wait; a connection inside a transaction is left alone (its failure is the
 * transaction's to report). */
static bool still_open(PGconn *c) {
  if (PQstatus(c) != CONNECTION_OK) return false;
  if (PQtransactionStatus(c) != PQTRANS_IDLE) return true;
  /* a backend that ends sends its FATAL message, then hangs up: reading the
   * message leaves libpq content, so look again until nothing is waiting */
  for (int i = 0; i < 4; i++) {
    struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
    if (p.fd < 0) return false;
    if (poll(&p, 1, 0) <= 0) return true; /* nothing waiting: as we left it */
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return false;
    if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) return false;
  }
  return true;
}

PGconn *db_conn(void) {
  pthread_once(&key_once, make_key);
  if (tconn && still_open(tconn)) return tconn;
  if (tconn) LOG_I("the database closed this thread's connection; opening a new one");
  drop_conn();
  if (!conninfo) return NULL;
  /* after a failure, do not hammer a database that is down: once a second per thread,
   * unless the database has come back since (the epoch moved) */
  time_t now = time(NULL);
  if (last_failed_connect && now == last_failed_connect && failed_in_epoch == epoch_now()) return NULL;
  const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
  const char *vals[] = {conninfo, "3", "secondop", NULL};
  PGconn *c = PQconnectdbParams(keys, vals, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", c ? PQerrorMessage(c) : "out of memory");
    msg[strcspn(msg, "\n")] = 0;
    LOG_W("database unreachable: %s", msg);
    PQfinish(c);
    last_failed_connect = now;
    failed_in_epoch = epoch_now();
    return NULL;
  }
  last_failed_connect = 0;
  PQsetNoticeProcessor(c, quiet_notice, NULL);
  for (size_t s = 0; s < nsets; s++) {
    for (size_t i = 0; i < sets[s].n; i++) {
      PGresult *res = PQprepare(c, sets[s].stmts[i].name, sets[s].stmts[i].sql, 0, NULL);
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        LOG_E("preparing %s failed: %s", sets[s].stmts[i].name, PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(c);
        return NULL;
      }
      PQclear(res);
    }
  }
  tconn = c;
  pthread_setspecific(conn_key, c);
  return c;
}

static void clear_result(void *p) { PQclear(p); }

static PGresult *check(struct arena *a, PGresult *res, const char *what, enum err *e) {
  last_retryable = false;
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    *e = ERR_OK;
    if (a && arena_defer(a, clear_result, res) != 0) {
      *e = ERR_INTERNAL;
      return NULL;
    }
    return res;
  }
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!tconn || PQstatus(tconn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
      strncmp(state, "57P", 3) == 0) {
    LOG_W("database connection lost during %s", what);
    drop_conn();
    *e = ERR_UNAVAILABLE;
  } else if (strcmp(state, "23505") == 0) {
    *e = ERR_CONFLICT;
  } else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
    last_retryable = true;
    *e = ERR_CONFLICT;
  } else {
    char msg[300];
    snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
    msg[strcspn(msg, "\n")] = 0;
    LOG_E("statement %s failed: SQLSTATE %s: %s", what, state, msg);
    *e = ERR_INTERNAL;
  }
  PQclear(res);
  return NULL;
}

static PGresult *exec_prepared(struct arena *a, const char *stmt, int n, const char *const *values, const int *lengths,
                               const int *formats, int result_format, enum err *e) {
  PGconn *c = db_conn();
  if (!c) {
    *e = ERR_UNAVAILABLE;
    return NULL;
  }
  statements_sent++;
  PGresult *res = PQexecPrepared(c, stmt, n, values, lengths, formats, result_format);
  return check(a, res, stmt, e);
}

PGresult *db_exec_bin(struct arena *a, const char *stmt, int n, const char *const *values, const int *lengths,
                      const int *formats, enum err *e) {
  return exec_prepared(a, stmt, n, values, lengths, formats, 0, e);
}

PGresult *db_exec_bin_result(struct arena *a, const char *stmt, int n, const char *const *values, const int *lengths,
                             const int *formats, enum err *e) {
  return exec_prepared(a, stmt, n, values, lengths, formats, 1, e);
}

PGresult *db_exec(struct arena *a, const char *stmt, int n, const char *const *values, enum err *e) {
  return db_exec_bin(a, stmt, n, values, NULL, NULL, e);
}

enum err db_pipeline(struct arena *a, struct db_call *calls, size_t n) {
  for (size_t i = 0; i < n; i++) calls[i].res = NULL;
  if (!a) return ERR_INTERNAL;
  if (n == 0) return ERR_OK;
  PGconn *c = db_conn();
  if (!c) return ERR_UNAVAILABLE;
  if (!PQenterPipelineMode(c)) {
    LOG_E("cannot enter pipeline mode: %s", PQerrorMessage(c));
    return ERR_INTERNAL;
  }
  for (size_t i = 0; i < n; i++) {
    int sent = calls[i].sql ? PQsendQueryParams(c, calls[i].stmt, 0, NULL, NULL, NULL, NULL, 0)
                            : PQsendQueryPrepared(c, calls[i].stmt, calls[i].n, calls[i].values, NULL, NULL, 0);
    if (!sent) {
      LOG_W("database connection lost while sending %s", calls[i].stmt);
      drop_conn();
      return ERR_UNAVAILABLE;
    }
  }
  statements_sent += n;
  if (!PQpipelineSync(c)) {
    LOG_W("database connection lost while sending a pipeline");
    drop_conn();
    return ERR_UNAVAILABLE;
  }
  enum err first = ERR_OK;
  for (size_t i = 0; i < n; i++) {
    PGresult *res = PQgetResult(c);
    if (!res) {
      LOG_W("database connection lost during %s", calls[i].stmt);
      drop_conn();
      return ERR_UNAVAILABLE;
    }
    /* the NULL that ends each statement's results */
    for (PGresult *more; (more = PQgetResult(c)) != NULL;) PQclear(more);
    if (first != ERR_OK || PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
      PQclear(res);
      continue;
    }
    enum err e;
    calls[i].res = check(a, res, calls[i].stmt, &e);
    if (e == ERR_UNAVAILABLE) return e; /* check() dropped the connection */
    if (e != ERR_OK) first = e;
  }
  PGresult *sync = PQgetResult(c);
  bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(c)) {
    LOG_W("database pipeline did not end cleanly: %s", PQerrorMessage(c));
    drop_conn();
    return ERR_UNAVAILABLE;
  }
  return first;
}

bool db_in_tx(void) {
  if (!tconn) return false;
  PGTransactionStatusType st = PQtransactionStatus(tconn);
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

enum err db_simple(const char *sql) {
  PGconn *c = db_conn();
  if (!c) return ERR_UNAVAILABLE;
  enum err e;
  statements_sent++;
  PGresult *res = check(NULL, PQexec(c, sql), sql, &e);
  PQclear(res);
  return e;
}

unsigned long db_statements_sent(void) { return statements_sent; }

bool db_last_was_retryable(void) { return last_retryable; }

enum err db_tx(enum err (*fn)(void *ctx), void *ctx) {
  /* Nested call (e.g. a center action calling requests_transition): join the
   * open transaction; the outermost db_tx commits, rolls back and retries. */
  PGconn *open_c = db_conn();
  if (open_c && PQtransactionStatus(open_c) == PQTRANS_INTRANS) return fn(ctx);
  for (int attempt = 0; attempt < 3; attempt++) {
    enum err e = db_simple("BEGIN");
    if (e != ERR_OK) return e;
    e = fn(ctx);
    if (e == ERR_OK) {
      e = db_simple("COMMIT");
      if (e == ERR_OK) return ERR_OK;
    } else {
      bool retry = db_last_was_retryable();
      if (tconn) db_simple("ROLLBACK");
      last_retryable = retry;
    }
    if (!(e == ERR_CONFLICT && db_last_was_retryable())) return e;
  }
  return ERR_CONFLICT;
}

enum err db_ping(void) {
  PGconn *c = db_conn();
  if (!c) return ERR_UNAVAILABLE;
  enum err e;
  PGresult *res = check(NULL, PQexec(c, "SELECT 1"), "ping", &e);
  PQclear(res);
  return e;
}
