/* PostgreSQL access. Each thread owns one connection, opened lazily with
 * every registered statement prepared; a broken connection is dropped and
 * reopened on the next call, and the call that saw it fails with
 * ERR_UNAVAILABLE (503). Only files in server/store/ include this header. */
#ifndef SECONDOP_DB_H
#define SECONDOP_DB_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct arena;

struct db_stmt {
  const char *name;
  const char *sql;
};

/* Sets the libpq connection string used by every thread. Copied. */
void db_set_conninfo(const char *conninfo);
/* Adds statements to prepare on every new connection. Call before threads
 * start; the array must stay alive. */
void db_register(const struct db_stmt *stmts, size_t n);
/* The calling thread's connection, (re)connecting when needed; NULL when the
 * database is unreachable. */
PGconn *db_conn(void);
/* Closes the calling thread's connection (e.g. before exit). */
void db_close(void);

/* Runs a prepared statement. Returns the result (PQclear'ed when the arena
 * is freed; with a NULL arena the caller must PQclear) or NULL with *e set:
 * ERR_UNAVAILABLE when the connection failed, ERR_CONFLICT on a unique or
 * serialization failure, ERR_INTERNAL otherwise (logged with its SQLSTATE). */
PGresult *db_exec(struct arena *a, const char *stmt, int nparams, const char *const *values, enum err *e);
/* Same with binary parameters: lengths/formats as in PQexecPrepared. */
PGresult *db_exec_bin(struct arena *a, const char *stmt, int nparams, const char *const *values,
                      const int *lengths, const int *formats, enum err *e);
/* Same with every result column in binary (bytea as its bytes, text as its
 * bytes; PQgetlength gives the length). */
PGresult *db_exec_bin_result(struct arena *a, const char *stmt, int nparams, const char *const *values,
                             const int *lengths, const int *formats, enum err *e);
/* One prepared statement of a pipeline (db_pipeline). */
struct db_call {
  const char *stmt;          /* prepared statement name */
  int n;                     /* number of parameters */
  const char *const *values; /* text parameters (NULL entries are SQL NULL) */
  PGresult *res;             /* out: the result, PQclear'ed with the arena; NULL when not run */
  bool sql;                  /* stmt is SQL without parameters (BEGIN, COMMIT), not a statement name */
};
/* Runs the prepared statements in order in one round trip (libpq pipeline
 * mode): inside the caller's transaction when one is open, otherwise in one
 * implicit transaction that ends with the last statement. Fills each call's
 * res (the arena a, which must not be NULL, owns the results). Returns
 * ERR_OK, or the first statement's failure as db_exec reports it (the
 * statements after a failed one are not run and keep res NULL). */
enum err db_pipeline(struct arena *a, struct db_call *calls, size_t n);
/* True when the thread's connection is inside a transaction block (open or failed). */
bool db_in_tx(void);
/* A counter that moves each time the database is known to be back (the
 * embedded cluster's supervisor's restarts): a thread whose connection
 * attempt failed tries again at once once it has moved, instead of waiting
 * out its one-second pause. Set before serving. */
void db_set_epoch_source(unsigned long long (*fn)(void));
/* Plain SQL without parameters (BEGIN, COMMIT, …). ERR_OK or as above. */
enum err db_simple(const char *sql);
/* Runs fn(ctx) inside BEGIN … COMMIT, rolling back when fn returns an error
 * and retrying up to 3 times on serialization failures or deadlocks. */
enum err db_tx(enum err (*fn)(void *ctx), void *ctx);
/* SELECT 1 on the thread's connection. */
enum err db_ping(void);
/* True when the last failure on this thread's connection was retryable
 * (serialization failure, deadlock). */
bool db_last_was_retryable(void);
#endif
