/*
 * The driver switch: db.h's functions, each passed to the driver its
 * connection or statement was made by, and what is the same for every
 * backend (which one a target names, transactions by their SQL words).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "db-private.h"

#ifdef TRIAGE_HAVE_PG
#define DISPATCH(obj, fn, ...) \
	((obj)->backend == DB_PG ? db_pg_##fn(__VA_ARGS__) : \
				   db_sqlite_##fn(__VA_ARGS__))
#else
#define DISPATCH(obj, fn, ...) db_sqlite_##fn(__VA_ARGS__)
#endif

/* The rule is the config's, which keeps such a string as written. */
int
db_target_is_pg(const char *target)
{
	return conf_database_is_server(target);
}

int
db_open(const char *target, int flags, const char *password_file,
    struct db **db_r)
{
	*db_r = NULL;
	if (!(flags & DB_OPEN_URI) && db_target_is_pg(target)) {
#ifdef TRIAGE_HAVE_PG
		return db_pg_open(target, password_file, db_r);
#else
		return DB_ERROR; /* no handle: db_have_pg() says why */
#endif
	}
	(void)password_file;
	return db_sqlite_open(target, flags, db_r);
}

enum db_backend
db_backend(const struct db *db)
{
	return db->backend;
}

int
db_begin(struct db *db, enum db_tx mode)
{
	if (mode == DB_TX_WRITE && db->backend == DB_SQLITE)
		return db_exec(db, "BEGIN IMMEDIATE");
	return db_exec(db, "BEGIN");
}

int
db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

int
db_rollback(struct db *db)
{
	return db_exec(db, "ROLLBACK");
}

int
db_have_pg(void)
{
#ifdef TRIAGE_HAVE_PG
	return 1;
#else
	return 0;
#endif
}

/*
 * "WORD name" into buf; -1 unless name is a plain identifier that fits.
 * By hand, not strspn and snprintf: ingest takes a savepoint a message.
 */
static int
savepoint_sql(char *buf, size_t len, const char *word, const char *name)
{
	size_t w = strlen(word), n;

	for (n = 0; name[n] != '\0'; n++) {
		char c = name[n];

		if (n == 63 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	if (n == 0 || w + 1 + n + 1 > len)
		return -1;
	memcpy(buf, word, w);
	buf[w] = ' ';
	memcpy(buf + w + 1, name, n + 1);
	return 0;
}

static int
savepoint_exec(struct db *db, const char *word, const char *name)
{
	char sql[96];

	if (savepoint_sql(sql, sizeof(sql), word, name) < 0)
		return DB_ERROR;
	return db_exec(db, sql);
}

int
db_savepoint(struct db *db, const char *name)
{
	return savepoint_exec(db, "SAVEPOINT", name);
}

int
db_release(struct db *db, const char *name)
{
	return savepoint_exec(db, "RELEASE SAVEPOINT", name);
}

int
db_rollback_to(struct db *db, const char *name)
{
	return savepoint_exec(db, "ROLLBACK TO SAVEPOINT", name);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	DISPATCH(db, close, db);
}

int
db_prepare(struct db *db, const char *sql, int persistent, struct db_stmt **s_r)
{
	return DISPATCH(db, prepare, db, sql, persistent, s_r);
}

void
db_reset(struct db_stmt *s)
{
	DISPATCH(s, reset, s);
}

void
db_finalize(struct db_stmt *s)
{
	if (s == NULL)
		return;
	DISPATCH(s, finalize, s);
}

int
db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return DISPATCH(s, bind_int64, s, i, v);
}

int
db_bind_int(struct db_stmt *s, int i, int v)
{
	return DISPATCH(s, bind_int, s, i, v);
}

int
db_bind_double(struct db_stmt *s, int i, double v)
{
	return DISPATCH(s, bind_double, s, i, v);
}

int
db_bind_text(struct db_stmt *s, int i, const char *v, int len)
{
	return DISPATCH(s, bind_text, s, i, v, len);
}

int
db_bind_blob(struct db_stmt *s, int i, const void *v, int len)
{
	return DISPATCH(s, bind_blob, s, i, v, len);
}

/* PostgreSQL's driver copies every parameter: its db_bind_blob. */
int
db_bind_blob_static(struct db_stmt *s, int i, const void *v, int len)
{
#ifdef TRIAGE_HAVE_PG
	if (s->backend == DB_PG)
		return db_pg_bind_blob(s, i, v, len);
#endif
	return db_sqlite_bind_blob_static(s, i, v, len);
}

int
db_bind_null(struct db_stmt *s, int i)
{
	return DISPATCH(s, bind_null, s, i);
}

int
db_step(struct db_stmt *s)
{
	return DISPATCH(s, step, s);
}

int64_t
db_col_int64(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_int64, s, i);
}

int
db_col_int(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_int, s, i);
}

double
db_col_double(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_double, s, i);
}

const char *
db_col_text(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_text, s, i);
}

const void *
db_col_blob(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_blob, s, i);
}

int
db_col_bytes(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_bytes, s, i);
}

int
db_col_is_null(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_is_null, s, i);
}

enum db_type
db_col_type(struct db_stmt *s, int i)
{
	return DISPATCH(s, col_type, s, i);
}

int
db_exec(struct db *db, const char *sql)
{
	return DISPATCH(db, exec, db, sql);
}

int64_t
db_changes(struct db *db)
{
	return DISPATCH(db, changes, db);
}

int64_t
db_last_insert_id(struct db *db)
{
	return DISPATCH(db, last_insert_id, db);
}

const char *
db_errmsg(struct db *db)
{
	return DISPATCH(db, errmsg, db);
}

enum db_errclass
db_errclass(struct db *db)
{
	return DISPATCH(db, errclass, db);
}

int
db_errno(struct db *db)
{
	return DISPATCH(db, errno, db);
}

void
db_busy_timeout(struct db *db, int ms)
{
	DISPATCH(db, busy_timeout, db, ms);
}
