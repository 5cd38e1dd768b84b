/* Unit tests for the embedded PostgreSQL's supervisor rules (server/store/pgembed.c):
 * which lines of PostgreSQL's own log may be copied into ours (never one that can
 * quote a request's data or a password), the back-off sequence, and how an ended
 * postmaster is described. The tables come first; the code follows them. */
#include <signal.h>
#include <stdbool.h>

#include "store/pgembed.h"
#include "t.h"

#define P "2026-11-30 12:47:38.799 UTC [19731] "

static const struct {
  const char *line;
  bool shareable;
} log_lines[] = {
    /* life-cycle messages: what explains why the server ended */
    {P "LOG:  database system is ready to accept connections", true},
    {P "LOG:  received fast shutdown request", true},
    {P "LOG:  server process (PID 77) was terminated by signal 11: Segmentation fault", true},
    {P "LOG:  connection authorized: user=secondop_app database=secondop application_name=secondop", true},
    {P "FATAL:  terminating connection due to unexpected postmaster exit", true},
    {P "FATAL:  the database system is starting up", true},
    {P "PANIC:  could not write to file \"pg_wal/xlogtemp.12\": No space left on device", true},
    /* messages that can carry a request's data */
    {P "ERROR:  duplicate key value violates unique constraint \"users_email_key\"", false},
    {P "ERROR:  invalid input syntax for type integer: \"alice@example.org\"", false},
    {P "DETAIL:  Key (email)=(alice@example.org) already exists.", false},
    {P "STATEMENT:  SELECT 'hunter2' || (1/0)", false},
    {P "CONTEXT:  SQL function \"f\" statement 1", false},
    {P "HINT:  Is another postmaster already running?", false},
    {P "WARNING:  there is no transaction in progress", false},
    /* LOG and FATAL lines that name a statement, a password or a detail */
    {P "LOG:  statement: ALTER ROLE app PASSWORD 'secret'", false},
    {P "LOG:  duration: 3.217 ms  statement: SELECT 1", false},
    {P "LOG:  duration: 3.217 ms  execute us_get: SELECT * FROM users WHERE email = $1", false},
    {P "FATAL:  password authentication failed for user \"secondop\"", false},
    {P "LOG:  see the detail below", false},
    /* lines that are not PostgreSQL's messages (pg_ctl, initdb) */
    {"pg_ctl: another server might be running; trying to start server anyway", false},
    {"waiting for server to start.... done", false},
    {"LOG:  no prefix", false},
    {"", false},
};

static void log_lines_table(void) {
  for (size_t i = 0; i < sizeof log_lines / sizeof log_lines[0]; i++) {
    bool got = pgembed_log_line_shareable(log_lines[i].line);
    if (got != log_lines[i].shareable) fprintf(stderr, "  line: %s\n", log_lines[i].line);
    T_EQ_INT(got, log_lines[i].shareable);
  }
}

/* 0.5 s doubling to a cap of 30 s */
static void back_off_doubles_to_thirty_seconds(void) {
  static const long seq[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
  for (size_t i = 0; i + 1 < sizeof seq / sizeof seq[0]; i++) T_EQ_INT(pgembed_next_backoff_ms(seq[i]), seq[i + 1]);
  T_EQ_INT(pgembed_next_backoff_ms(2500), 5000);
  T_EQ_INT(pgembed_next_backoff_ms(20000), 30000);
}

static void ended_postmaster_in_words(void) {
  char out[128];
  pgembed_describe_status(SIGKILL, out, sizeof out); /* a wait status: killed by signal 9 */
  T_EQ_STR(out, "killed by signal 9 (SIGKILL)");
  pgembed_describe_status(SIGABRT | 0x80, out, sizeof out);
  T_EQ_STR(out, "killed by signal 6 (SIGABRT), core dumped");
  pgembed_describe_status(1 << 8, out, sizeof out);
  T_EQ_STR(out, "exited with status 1");
  pgembed_describe_status(0, out, sizeof out);
  T_EQ_STR(out, "exited with status 0");
}

int main(void) {
  T_RUN(log_lines_table);
  T_RUN(back_off_doubles_to_thirty_seconds);
  T_RUN(ended_postmaster_in_words);
  return t_done();
}
