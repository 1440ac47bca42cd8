/*
 * TEMPORARY (branch pg): the SQLite driver's functions as stubs, so that
 * test-db links before lib/store/db-sqlite.c exists.  tests/CMakeLists.txt
 * links this only while that file is missing; delete it when it lands.
 * Every call fails: test-db runs only its PostgreSQL cases then.
 */
#include <stddef.h>

#include "db-private.h"

int
db_sqlite_open(const char *target, int flags, struct db **db_r)
{
	(void)target;
	(void)flags;
	*db_r = NULL;
	return DB_ERROR;
}

/* clang-format off */
void db_sqlite_close(struct db *db) { (void)db; }
int db_sqlite_prepare(struct db *db, const char *sql, int p, struct db_stmt **s) { (void)db; (void)sql; (void)p; (void)s; return DB_ERROR; }
void db_sqlite_reset(struct db_stmt *s) { (void)s; }
void db_sqlite_finalize(struct db_stmt *s) { (void)s; }
int db_sqlite_bind_int64(struct db_stmt *s, int i, int64_t v) { (void)s; (void)i; (void)v; return DB_ERROR; }
int db_sqlite_bind_int(struct db_stmt *s, int i, int v) { (void)s; (void)i; (void)v; return DB_ERROR; }
int db_sqlite_bind_double(struct db_stmt *s, int i, double v) { (void)s; (void)i; (void)v; return DB_ERROR; }
int db_sqlite_bind_text(struct db_stmt *s, int i, const char *v, int n) { (void)s; (void)i; (void)v; (void)n; return DB_ERROR; }
int db_sqlite_bind_blob(struct db_stmt *s, int i, const void *v, int n) { (void)s; (void)i; (void)v; (void)n; return DB_ERROR; }
int db_sqlite_bind_null(struct db_stmt *s, int i) { (void)s; (void)i; return DB_ERROR; }
int db_sqlite_step(struct db_stmt *s) { (void)s; return DB_ERROR; }
int64_t db_sqlite_col_int64(struct db_stmt *s, int i) { (void)s; (void)i; return 0; }
int db_sqlite_col_int(struct db_stmt *s, int i) { (void)s; (void)i; return 0; }
double db_sqlite_col_double(struct db_stmt *s, int i) { (void)s; (void)i; return 0; }
const char *db_sqlite_col_text(struct db_stmt *s, int i) { (void)s; (void)i; return NULL; }
const void *db_sqlite_col_blob(struct db_stmt *s, int i) { (void)s; (void)i; return NULL; }
int db_sqlite_col_bytes(struct db_stmt *s, int i) { (void)s; (void)i; return 0; }
int db_sqlite_col_is_null(struct db_stmt *s, int i) { (void)s; (void)i; return 1; }
int db_sqlite_exec(struct db *db, const char *sql) { (void)db; (void)sql; return DB_ERROR; }
int64_t db_sqlite_changes(struct db *db) { (void)db; return 0; }
int64_t db_sqlite_last_insert_id(struct db *db) { (void)db; return 0; }
const char *db_sqlite_errmsg(struct db *db) { (void)db; return "no SQLite driver in this tree"; }
enum db_errclass db_sqlite_errclass(struct db *db) { (void)db; return DB_ERR_OTHER; }
int db_sqlite_errno(struct db *db) { (void)db; return 0; }
void db_sqlite_busy_timeout(struct db *db, int ms) { (void)db; (void)ms; }
/* clang-format on */
