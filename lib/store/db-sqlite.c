/*
 * The SQLite driver: db.h on sqlite3.h, one thin function each.  The
 * connection and statement structs wrap SQLite's handles; nothing is
 * allocated per bind, step or column read (ingest's hot path), only one
 * wrapper per prepared statement, which the store caches.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "db-private.h"
#include "xalloc.h"

struct db_sqlite {
	struct db base;
	sqlite3 *h; /* owned */
};

struct db_sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *h; /* owned */
};

static sqlite3 *
conn(struct db *db)
{
	return ((struct db_sqlite *)db)->h;
}

static sqlite3_stmt *
stmt(struct db_stmt *s)
{
	return ((struct db_sqlite_stmt *)s)->h;
}

/* SQLite's answers as db.h's: rows and ends pass, every failure is one. */
static int
rc(int r)
{
	switch (r) {
	case SQLITE_OK:
		return DB_OK;
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	default:
		return DB_ERROR;
	}
}

int
db_sqlite_open(const char *target, int flags, struct db **db_r)
{
	struct db_sqlite *d;
	sqlite3 *h = NULL;
	int f = SQLITE_OPEN_NOMUTEX, r;

	f |= (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY :
					  SQLITE_OPEN_READWRITE;
	if (flags & DB_OPEN_CREATE)
		f |= SQLITE_OPEN_CREATE;
	if (flags & DB_OPEN_URI)
		f |= SQLITE_OPEN_URI;
	r = sqlite3_open_v2(target, &h, f, NULL);
	if (h == NULL)
		return DB_ERROR; /* no memory for a handle */
	sqlite3_extended_result_codes(h, 1);
	d = xcalloc(1, sizeof(*d));
	d->base.backend = DB_SQLITE;
	d->h = h;
	*db_r = &d->base;
	return r == SQLITE_OK ? DB_OK : DB_ERROR;
}

void
db_sqlite_close(struct db *db)
{
	sqlite3_close_v2(conn(db));
	free(db);
}

int
db_sqlite_prepare(struct db *db, const char *sql, int persistent,
    struct db_stmt **s_r)
{
	struct db_sqlite_stmt *s;
	sqlite3_stmt *h = NULL;

	if (sqlite3_prepare_v3(conn(db), sql, -1,
		persistent ? SQLITE_PREPARE_PERSISTENT : 0, &h,
		NULL) != SQLITE_OK)
		return DB_ERROR;
	s = xcalloc(1, sizeof(*s));
	s->base.backend = DB_SQLITE;
	s->h = h;
	*s_r = &s->base;
	return DB_OK;
}

void
db_sqlite_reset(struct db_stmt *s)
{
	sqlite3_reset(stmt(s));
	sqlite3_clear_bindings(stmt(s));
}

void
db_sqlite_finalize(struct db_stmt *s)
{
	sqlite3_finalize(stmt(s));
	free(s);
}

int
db_sqlite_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return rc(sqlite3_bind_int64(stmt(s), i, v));
}

int
db_sqlite_bind_int(struct db_stmt *s, int i, int v)
{
	return rc(sqlite3_bind_int(stmt(s), i, v));
}

int
db_sqlite_bind_double(struct db_stmt *s, int i, double v)
{
	return rc(sqlite3_bind_double(stmt(s), i, v));
}

int
db_sqlite_bind_text(struct db_stmt *s, int i, const char *v, int len)
{
	if (v == NULL)
		return rc(sqlite3_bind_null(stmt(s), i));
	return rc(sqlite3_bind_text(stmt(s), i, v, len, SQLITE_TRANSIENT));
}

int
db_sqlite_bind_blob(struct db_stmt *s, int i, const void *v, int len)
{
	if (v == NULL)
		return rc(sqlite3_bind_null(stmt(s), i));
	return rc(sqlite3_bind_blob(stmt(s), i, v, len, SQLITE_TRANSIENT));
}

int
db_sqlite_bind_blob_static(struct db_stmt *s, int i, const void *v, int len)
{
	if (v == NULL)
		return rc(sqlite3_bind_null(stmt(s), i));
	return rc(sqlite3_bind_blob(stmt(s), i, v, len, SQLITE_STATIC));
}

int
db_sqlite_bind_null(struct db_stmt *s, int i)
{
	return rc(sqlite3_bind_null(stmt(s), i));
}

int
db_sqlite_step(struct db_stmt *s)
{
	return rc(sqlite3_step(stmt(s)));
}

int64_t
db_sqlite_col_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(stmt(s), i);
}

int
db_sqlite_col_int(struct db_stmt *s, int i)
{
	return sqlite3_column_int(stmt(s), i);
}

double
db_sqlite_col_double(struct db_stmt *s, int i)
{
	return sqlite3_column_double(stmt(s), i);
}

const char *
db_sqlite_col_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(stmt(s), i);
}

const void *
db_sqlite_col_blob(struct db_stmt *s, int i)
{
	return sqlite3_column_blob(stmt(s), i);
}

int
db_sqlite_col_bytes(struct db_stmt *s, int i)
{
	return sqlite3_column_bytes(stmt(s), i);
}

int
db_sqlite_col_is_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(stmt(s), i) == SQLITE_NULL;
}

enum db_type
db_sqlite_col_type(struct db_stmt *s, int i)
{
	switch (sqlite3_column_type(stmt(s), i)) {
	case SQLITE_INTEGER:
		return DB_TYPE_INT;
	case SQLITE_FLOAT:
		return DB_TYPE_REAL;
	case SQLITE_TEXT:
		return DB_TYPE_TEXT;
	case SQLITE_BLOB:
		return DB_TYPE_BLOB;
	default:
		return DB_TYPE_NULL;
	}
}

int
db_sqlite_exec(struct db *db, const char *sql)
{
	return rc(sqlite3_exec(conn(db), sql, NULL, NULL, NULL));
}

int64_t
db_sqlite_changes(struct db *db)
{
	return sqlite3_changes(conn(db));
}

int64_t
db_sqlite_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(conn(db));
}

const char *
db_sqlite_errmsg(struct db *db)
{
	return sqlite3_errmsg(conn(db));
}

enum db_errclass
db_sqlite_errclass(struct db *db)
{
	int code = sqlite3_extended_errcode(conn(db));

	switch (code) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_ERR_UNIQUE;
	default:
		break;
	}
	switch (code & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return DB_ERR_NONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return DB_ERR_TEMP;
	case SQLITE_CONSTRAINT:
		return DB_ERR_CONSTRAINT;
	case SQLITE_READONLY:
		return DB_ERR_READONLY;
	case SQLITE_CANTOPEN:
		return DB_ERR_CANTOPEN;
	default:
		return DB_ERR_OTHER;
	}
}

/*
 * The system's errno behind the last failure when it was the system's
 * (I/O, disk full, cannot open); SQLite keeps the last one it saw, which
 * says nothing about a later busy or constraint failure.
 */
int
db_sqlite_errno(struct db *db)
{
	switch (sqlite3_extended_errcode(conn(db)) & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
		return sqlite3_system_errno(conn(db));
	default:
		return 0;
	}
}

void
db_sqlite_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(conn(db), ms);
}
