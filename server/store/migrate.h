/* Schema migrations: numbered .sql files applied in order, each in its own
 * transaction, recorded in schema_migrations, under an advisory lock so two
 * instances never race. */
#ifndef SECONDOP_MIGRATE_H
#define SECONDOP_MIGRATE_H

/* Applies every file of dir not yet recorded. Prints what it applies to
 * stderr. Returns the number applied, or -1 after printing the failing file
 * and PostgreSQL's message (that file's changes are rolled back). */
int migrate_run(const char *conninfo, const char *dir);
#endif
