/*
 * What the PostgreSQL driver knows of SQL text and needs no connection
 * for (db-pg-sql.c), used by db-pg.c and tested by
 * tests/unit/test-db-backends.c.  Nothing but those includes this.
 */
#ifndef TRIAGE_DB_PG_PRIVATE_H
#define TRIAGE_DB_PG_PRIVATE_H

#include "db.h"

/*
 * Rewrite the ?N parameters of `sql` to $N in place (the same length),
 * outside '...' and E'...' literals, "..." identifiers, dollar quotes and
 * comments.  Returns 0 with *nparams_r the highest N (0 for none), or -1
 * for a ? without its number (or N out of 1..65535), *nparams_r untouched.
 */
int db_pg_sql_rewrite(char *sql, int *nparams_r);

/* The class of a SQLSTATE (NULL or malformed: DB_ERR_OTHER). */
enum db_errclass db_pg_sql_class(const char *sqlstate);

#endif
