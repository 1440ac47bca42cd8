/*
 * What the PostgreSQL driver knows of SQL text and needs no connection
 * for (db-pg-sql.c), used by db-pg.c and tested by
 * tests/unit/test-db-backends.c.  Nothing but those includes this.
 */
#ifndef TRIAGE_DB_PG_PRIVATE_H
#define TRIAGE_DB_PG_PRIVATE_H

#include "db.h"

/*
 * `sql` with its parameters rewritten to $N, outside '...' and E'...'
 * literals, "..." identifiers, dollar quotes and comments: ?N as $N, and
 * a bare ? numbered as SQLite numbers it (one past the highest so far).
 * Returns the new text (the caller frees it) with *nparams_r the
 * highest N (0 for none), or NULL for ?name or N out of 1..65535,
 * *nparams_r untouched.
 */
char *db_pg_sql_rewrite(const char *sql, int *nparams_r);

/* The class of a SQLSTATE (NULL or malformed: DB_ERR_OTHER). */
enum db_errclass db_pg_sql_class(const char *sqlstate);

#endif
