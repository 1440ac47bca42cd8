/*
 * Internals of the database driver (lib/store/db*.c): the part of a
 * connection and of a statement every driver shares, and each driver's
 * functions, which db.c calls by the backend tag.  Nothing but the db*.c
 * files includes this.
 *
 * A driver's connection and statement structs begin with `struct db`
 * and `struct db_stmt` (the tag), so db.c can read the tag and the
 * driver can cast back to its own struct.  Each db_<driver>_<name> takes
 * the parameters of db_<name> in db.h and has its contract.
 */
#ifndef TRIAGE_DB_PRIVATE_H
#define TRIAGE_DB_PRIVATE_H

#include "db.h"

struct db {
	enum db_backend backend;
};

struct db_stmt {
	enum db_backend backend;
};

/* db-sqlite.c */
int db_sqlite_open(const char *target, int flags, struct db **db_r);
void db_sqlite_close(struct db *db);
int db_sqlite_prepare(struct db *db, const char *sql, int persistent,
    struct db_stmt **s_r);
void db_sqlite_reset(struct db_stmt *s);
void db_sqlite_finalize(struct db_stmt *s);
int db_sqlite_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_sqlite_bind_int(struct db_stmt *s, int i, int v);
int db_sqlite_bind_double(struct db_stmt *s, int i, double v);
int db_sqlite_bind_text(struct db_stmt *s, int i, const char *v, int len);
int db_sqlite_bind_blob(struct db_stmt *s, int i, const void *v, int len);
int db_sqlite_bind_null(struct db_stmt *s, int i);
int db_sqlite_bind_blob_static(struct db_stmt *s, int i, const void *v,
    int len);
int db_sqlite_step(struct db_stmt *s);
int64_t db_sqlite_col_int64(struct db_stmt *s, int i);
int db_sqlite_col_int(struct db_stmt *s, int i);
double db_sqlite_col_double(struct db_stmt *s, int i);
const char *db_sqlite_col_text(struct db_stmt *s, int i);
const void *db_sqlite_col_blob(struct db_stmt *s, int i);
int db_sqlite_col_bytes(struct db_stmt *s, int i);
int db_sqlite_col_is_null(struct db_stmt *s, int i);
enum db_type db_sqlite_col_type(struct db_stmt *s, int i);
int db_sqlite_exec(struct db *db, const char *sql);
int64_t db_sqlite_changes(struct db *db);
int64_t db_sqlite_last_insert_id(struct db *db);
const char *db_sqlite_errmsg(struct db *db);
enum db_errclass db_sqlite_errclass(struct db *db);
int db_sqlite_errno(struct db *db);
void db_sqlite_busy_timeout(struct db *db, int ms);

#ifdef TRIAGE_HAVE_PG
/* db-pg.c (built when CMake found libpq) */
int db_pg_open(const char *target, const char *password_file, struct db **db_r);
void db_pg_close(struct db *db);
int db_pg_prepare(struct db *db, const char *sql, int persistent,
    struct db_stmt **s_r);
void db_pg_reset(struct db_stmt *s);
void db_pg_finalize(struct db_stmt *s);
int db_pg_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_pg_bind_int(struct db_stmt *s, int i, int v);
int db_pg_bind_double(struct db_stmt *s, int i, double v);
int db_pg_bind_text(struct db_stmt *s, int i, const char *v, int len);
int db_pg_bind_blob(struct db_stmt *s, int i, const void *v, int len);
int db_pg_bind_null(struct db_stmt *s, int i);
int db_pg_step(struct db_stmt *s);
int64_t db_pg_col_int64(struct db_stmt *s, int i);
int db_pg_col_int(struct db_stmt *s, int i);
double db_pg_col_double(struct db_stmt *s, int i);
const char *db_pg_col_text(struct db_stmt *s, int i);
const void *db_pg_col_blob(struct db_stmt *s, int i);
int db_pg_col_bytes(struct db_stmt *s, int i);
int db_pg_col_is_null(struct db_stmt *s, int i);
enum db_type db_pg_col_type(struct db_stmt *s, int i);
int db_pg_exec(struct db *db, const char *sql);
int64_t db_pg_changes(struct db *db);
int64_t db_pg_last_insert_id(struct db *db);
const char *db_pg_errmsg(struct db *db);
enum db_errclass db_pg_errclass(struct db *db);
int db_pg_errno(struct db *db);
void db_pg_busy_timeout(struct db *db, int ms);
#endif

#endif
