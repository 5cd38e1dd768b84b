/* How many SQL statements the calling thread has sent (prepared statements,
 * pipelined ones, and plain SQL such as BEGIN and COMMIT). Without libpq in
 * sight, so the HTTP layer can report a request's cost in test builds
 * (X-Test-Sql-Statements) and the tests can bound it. */
#ifndef SECONDOP_DBSTATS_H
#define SECONDOP_DBSTATS_H
unsigned long db_statements_sent(void);
#endif
