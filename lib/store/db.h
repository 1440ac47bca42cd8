/*
 * The database driver: one connection to SQLite or to PostgreSQL behind
 * one small API, so that the store's files do not know which backend
 * runs (../shared/SCALE.md).  Only db-sqlite.c includes sqlite3.h and
 * only db-pg.c includes libpq-fe.h; nothing outside lib/store/ includes
 * this header.
 *
 * SQL text is written once, in the subset both engines accept, with
 * parameters numbered ?1, ?2 ... (the PostgreSQL driver rewrites them to
 * $1, $2 ...).  Where the dialects must differ (DDL, search, locking)
 * the store picks one of a pair of texts by db_backend().
 *
 * The shape follows SQLite's C API, which the store was written against:
 * prepare, bind, step through the rows, reset, finalize.  A connection
 * is used by one thread at a time.
 */
#ifndef TRIAGE_DB_H
#define TRIAGE_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_backend {
	DB_SQLITE,
	DB_PG,
};

/* db_step's answers; every other call returns DB_OK or DB_ERROR. */
enum db_rc {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_ROW = 100,
	DB_DONE = 101,
};

/*
 * What the last failure on a connection means to the caller: the store
 * turns DB_ERR_TEMP into ERR_TEMP (back off, retry the batch), the rest
 * into ERR_INTERNAL unless it knows better.
 */
enum db_errclass {
	DB_ERR_NONE = 0,
	DB_ERR_TEMP,	   /* busy or locked, serialization failure,
			      deadlock, lock not available, admin shutdown,
			      connection lost, disk full, I/O error */
	DB_ERR_UNIQUE,	   /* a unique or primary key constraint */
	DB_ERR_CONSTRAINT, /* another constraint */
	DB_ERR_READONLY,   /* the database (or its file) is read-only */
	DB_ERR_CANTOPEN,   /* the database could not be opened or reached */
	DB_ERR_AUTH,	   /* the server refused our credentials */
	DB_ERR_OTHER,
};

/* db_open's flags. */
#define DB_OPEN_READONLY 0x1 /* SQLite: SQLITE_OPEN_READONLY */
#define DB_OPEN_CREATE 0x2   /* SQLite: create the file if missing */
#define DB_OPEN_URI 0x4	     /* SQLite: target is a file: URI */

/* db_begin's modes. */
enum db_tx {
	DB_TX_READ,  /* SQLite BEGIN (deferred); PostgreSQL BEGIN */
	DB_TX_WRITE, /* SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN */
};

struct db;
struct db_stmt;

/*
 * Is `target` a PostgreSQL connection string (a postgresql:// or
 * postgres:// URI, or a key=value conninfo)?  Anything else is a path.
 */
int db_target_is_pg(const char *target);

/*
 * Open `target`: a PostgreSQL URI or conninfo, else an SQLite path (or
 * file: URI with DB_OPEN_URI).  Returns DB_OK with *db_r set, or
 * DB_ERROR; on DB_ERROR *db_r is still set when a handle exists, so the
 * caller can read db_errmsg/db_errclass, and must be given to db_close.
 * A PostgreSQL password comes from `password_file` (may be NULL) or
 * libpq's own PGPASSFILE; it is never logged nor kept in an error.
 */
int db_open(const char *target, int flags, const char *password_file,
    struct db **db_r);
/*
 * Was this triage built with the PostgreSQL driver?  When it was not,
 * db_open of a PostgreSQL target fails with no handle.
 */
int db_have_pg(void);
/* Close the connection; NULL is ignored. */
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);

/*
 * Prepare one statement.  `persistent` hints that it will be reused
 * many times (SQLite's SQLITE_PREPARE_PERSISTENT; PostgreSQL prepares
 * it on the server either way).  DB_OK with *s_r set, or DB_ERROR.
 */
int db_prepare(struct db *db, const char *sql, int persistent,
    struct db_stmt **s_r);
/* Reset to run again and clear the bindings. */
void db_reset(struct db_stmt *s);
/* Free a statement; NULL is ignored. */
void db_finalize(struct db_stmt *s);

/*
 * Bind parameter i (1-based).  Text and blobs are copied; a NULL text
 * or blob binds SQL NULL; len -1 means strlen for text.
 */
int db_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_bind_int(struct db_stmt *s, int i, int v);
int db_bind_double(struct db_stmt *s, int i, double v);
int db_bind_text(struct db_stmt *s, int i, const char *v, int len);
int db_bind_blob(struct db_stmt *s, int i, const void *v, int len);
int db_bind_null(struct db_stmt *s, int i);
/*
 * A blob the driver need not copy (SQLite's SQLITE_STATIC): v must stay
 * valid and unchanged until the statement is reset or finalized.  For
 * large values on a hot path (a raw message); a driver may copy anyway.
 */
int db_bind_blob_static(struct db_stmt *s, int i, const void *v, int len);

/* Run to the next row: DB_ROW, DB_DONE when there is none, or DB_ERROR. */
int db_step(struct db_stmt *s);

/*
 * Column i (0-based) of the current row.  Text and blob pointers are
 * valid until the next db_step, db_reset or db_finalize; text is NUL
 * terminated and NULL for SQL NULL; a NULL number reads as 0.
 */
int64_t db_col_int64(struct db_stmt *s, int i);
int db_col_int(struct db_stmt *s, int i);
double db_col_double(struct db_stmt *s, int i);
const char *db_col_text(struct db_stmt *s, int i);
const void *db_col_blob(struct db_stmt *s, int i);
int db_col_bytes(struct db_stmt *s, int i);
int db_col_is_null(struct db_stmt *s, int i);

/* What a column of the current row holds (SQLite's storage classes). */
enum db_type {
	DB_TYPE_NULL,
	DB_TYPE_INT, /* PostgreSQL: any integer, boolean */
	DB_TYPE_REAL,
	DB_TYPE_TEXT, /* PostgreSQL: every other type, as text */
	DB_TYPE_BLOB,
};
/*
 * Column i's type in this row (SQLite keeps one per value), for code
 * that copies values it does not know, binding each by its kind.
 */
enum db_type db_col_type(struct db_stmt *s, int i);

/*
 * Run SQL without parameters or results (several statements separated
 * by semicolons are allowed).  DB_OK or DB_ERROR.
 */
int db_exec(struct db *db, const char *sql);

/*
 * Transactions and savepoints (names are plain identifiers of at most
 * 63 characters; another name is DB_ERROR without touching the
 * database).
 */
int db_begin(struct db *db, enum db_tx mode);
int db_commit(struct db *db);
int db_rollback(struct db *db);
int db_savepoint(struct db *db, const char *name);
int db_release(struct db *db, const char *name);
int db_rollback_to(struct db *db, const char *name);

/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t db_changes(struct db *db);
/*
 * The id of the last row inserted (PostgreSQL: lastval() of the
 * session).  New code should say RETURNING id instead.
 */
int64_t db_last_insert_id(struct db *db);

/* The last failure: its words, its class and the system errno (or 0). */
const char *db_errmsg(struct db *db);
enum db_errclass db_errclass(struct db *db);
int db_errno(struct db *db);

/* SQLite only (no-ops on PostgreSQL): wait this long for a lock. */
void db_busy_timeout(struct db *db, int ms);

#endif
