/*
 * The PostgreSQL driver: db-private.h's db_pg_* on libpq.
 *
 * Statements are written with ?N (db.h); prepare rewrites them to $N and
 * the first step prepares them on the server (PQprepare, a name unique
 * on the connection) with the types of that step's bindings, so that the
 * server knows a parameter it cannot infer (`?1 IS NULL`).  A later step
 * whose bindings need other types prepares again under a new name; a
 * NULL fits whatever type was prepared.  A NULL where the server can
 * infer nothing (`?1 IS NULL OR n = ?1`, bound NULL first) is tried as
 * text, then bigint (pg_retype).  Results come as text, which
 * reads the way SQLite's conversions do (an integer read as text gives
 * its digits); bytea columns are decoded for db_col_blob.
 *
 * Where pipeline mode (libpq 14+) fits: pg_run's PQexecPrepared is one
 * round trip per statement; an INSERT whose answer nobody reads could be
 * sent with PQsendQueryPrepared and its result collected at the next
 * statement that needs one (db.h would need a "no answer" hint).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "db-pg-private.h"
#include "db-private.h"
#include "xalloc.h"

/* The oldest server triage supports (PQserverVersion's numbering). */
#define PG_MIN_VERSION 130000

/* Type OIDs (catalog/pg_type.dat): fixed since the catalogs began. */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

/* Stale statement names that make a DEALLOCATE round trip worth it. */
#define PG_STALE_BATCH 16

struct pg_db {
	struct db base;
	PGconn *conn; /* owned */
	char *errmsg; /* owned: the last failure's words, or NULL */
	enum db_errclass errclass;
	int64_t changes;
	uint64_t next_name; /* statement names p1, p2 ... */
	char **stale;	    /* owned: names to DEALLOCATE, nstale of them */
	size_t nstale;
};

struct pg_param {
	Oid type;  /* what it is prepared as; 0 for NULL */
	char *val; /* owned; NULL is SQL NULL */
	int len;
	int binary; /* bytea: sent as raw bytes */
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db; /* foreign */
	char *sql;	  /* owned: the text with $N */
	char *name;	  /* owned: the server's name, NULL until prepared */
	Oid *types;	  /* owned: the types it was prepared with */
	Oid *null_types;  /* owned: what a NULL is prepared as (0: none) */
	struct pg_param *params; /* owned, nparams */
	int nparams;
	PGresult *res; /* owned: the current result */
	int row;       /* the current row of res */
	int nrows;
	unsigned char **blob; /* owned: decoded bytea of the row, by column */
	size_t *bloblen;
	int ncols;
};

static struct pg_db *
pg_db(struct db *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *
pg_stmt(struct db_stmt *s)
{
	return (struct pg_stmt *)s;
}

/* ---- errors ---- */

/* Replace every occurrence of `secret` in msg with "***". */
static void
pg_scrub(char **msg, const char *secret)
{
	char *at, *out;

	if (secret == NULL || *secret == '\0')
		return;
	while ((at = strstr(*msg, secret)) != NULL) {
		xasprintf(&out, "%.*s***%s", (int)(at - *msg), *msg,
		    at + strlen(secret));
		free(*msg);
		*msg = out;
	}
}

/*
 * Keep `msg` as the connection's last failure: runs of white space (libpq
 * writes several lines) become one space, the ends are trimmed, and the
 * password the connection used never appears.
 */
static void
pg_fail(struct pg_db *d, enum db_errclass class, const char *msg)
{
	char *out, *w;
	const char *r;

	out = xstrdup(msg != NULL && *msg != '\0' ? msg : "unknown error");
	for (r = out, w = out; *r != '\0'; r++) {
		if (isspace((unsigned char)*r)) {
			if (w > out && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	while (w > out && w[-1] == ' ')
		w--;
	*w = '\0';
	if (d->conn != NULL)
		pg_scrub(&out, PQpass(d->conn));
	free(d->errmsg);
	d->errmsg = out;
	d->errclass = class;
}

/* A failed result (or none) into the connection's error. */
static void
pg_fail_res(struct pg_db *d, const PGresult *res)
{
	const char *msg = NULL;
	enum db_errclass class = DB_ERR_OTHER;

	if (res != NULL) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		class =
		    db_pg_sql_class(PQresultErrorField(res, PG_DIAG_SQLSTATE));
	}
	if (msg == NULL)
		msg = PQerrorMessage(d->conn);
	if (PQstatus(d->conn) == CONNECTION_BAD)
		class = DB_ERR_TEMP;
	pg_fail(d, class, msg);
}

static void
pg_ok(struct pg_db *d)
{
	d->errclass = DB_ERR_NONE;
}

/* Rows an INSERT, UPDATE, DELETE or MERGE changed, as sqlite3_changes. */
static void
pg_note_changes(struct pg_db *d, PGresult *res)
{
	static const char *const words[] = { "INSERT ", "UPDATE ", "DELETE ",
		"MERGE " };
	const char *cmd = PQcmdStatus(res);
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(cmd, words[i], strlen(words[i])) == 0) {
			d->changes = strtoll(PQcmdTuples(res), NULL, 10);
			return;
		}
}

/* ---- open and close ---- */

/*
 * The password in `path`: its first line, without its line end.  Refused,
 * like libpq refuses a loose .pgpass, when group or others may read the
 * file (the test triage.conf's loader makes of every password_file).
 */
static int
pg_read_password(struct pg_db *d, const char *path, char *buf, size_t len)
{
	struct stat sb;
	FILE *f;
	char *msg;
	int ok;

	f = fopen(path, "re");
	if (f == NULL) {
		xasprintf(&msg, "password file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fileno(f), &sb) < 0) {
		xasprintf(&msg, "password file %s: %s", path, strerror(errno));
		fclose(f);
		goto fail;
	}
	if (sb.st_mode & (S_IRGRP | S_IROTH)) {
		xasprintf(&msg,
		    "password file %s is readable by group or others "
		    "(mode %04o); permissions should be u=rw (0600) or less",
		    path, (unsigned)(sb.st_mode & 07777));
		fclose(f);
		goto fail;
	}
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok) {
		xasprintf(&msg, "password file %s is empty", path);
		goto fail;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
fail:
	pg_fail(d, DB_ERR_CANTOPEN, msg);
	free(msg);
	return -1;
}

/*
 * Did the server refuse our credentials?  libpq keeps no SQLSTATE for a
 * failed connection, so this reads its words: no password to give, the
 * password refused (28P01), or no pg_hba.conf line for us (28000).
 */
static int
pg_refused(PGconn *conn)
{
	const char *msg = PQerrorMessage(conn);

	return PQconnectionNeedsPassword(conn) ||
	       strstr(msg, "authentication failed") != NULL ||
	       strstr(msg, "pg_hba.conf") != NULL;
}

/*
 * "PostgreSQL 12.4 is older than 13, ...": versions 10 and later are
 * major*10000 + minor, older ones major*10000 + minor*100 + patch.
 */
static int
pg_check_version(struct pg_db *d, int v)
{
	char *msg;

	if (v >= PG_MIN_VERSION)
		return 0;
	if (v >= 100000)
		xasprintf(&msg,
		    "PostgreSQL %d.%d is older than %d, the oldest triage supports",
		    v / 10000, v % 10000, PG_MIN_VERSION / 10000);
	else
		xasprintf(&msg,
		    "PostgreSQL %d.%d.%d is older than %d, the oldest triage supports",
		    v / 10000, v / 100 % 100, v % 100, PG_MIN_VERSION / 10000);
	pg_fail(d, DB_ERR_OTHER, msg);
	free(msg);
	return -1;
}

/* Library code does not log: the server's notices go nowhere. */
static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
db_pg_open(const char *target, const char *password_file, struct db **db_r)
{
	/* Ours first: the target's own words win over them. */
	const char *keys[] = { "connect_timeout", "dbname",
		"fallback_application_name", "password", NULL };
	const char *vals[] = { "10", target, "triage", NULL, NULL };
	struct pg_db *d;
	char password[1024];
	enum db_errclass class;

	d = xcalloc(1, sizeof(*d));
	d->base.backend = DB_PG;
	*db_r = &d->base;
	if (password_file != NULL) {
		if (pg_read_password(d, password_file, password,
			sizeof(password)) < 0)
			return DB_ERROR;
		vals[3] = password;
	}
	d->conn = PQconnectdbParams(keys, vals, 1);
	explicit_bzero(password, sizeof(password));
	if (d->conn == NULL) {
		pg_fail(d, DB_ERR_CANTOPEN, "out of memory");
		return DB_ERROR;
	}
	PQsetNoticeProcessor(d->conn, pg_quiet, NULL);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		class = pg_refused(d->conn) ? DB_ERR_AUTH : DB_ERR_CANTOPEN;
		pg_fail(d, class, PQerrorMessage(d->conn));
		return DB_ERROR;
	}
	if (pg_check_version(d, PQserverVersion(d->conn)) < 0)
		return DB_ERROR;
	return DB_OK;
}

void
db_pg_close(struct db *db)
{
	struct pg_db *d = pg_db(db);
	size_t i;

	for (i = 0; i < d->nstale; i++)
		free(d->stale[i]);
	free(d->stale);
	PQfinish(d->conn);
	free(d->errmsg);
	free(d);
}

/* ---- statements ---- */

int
db_pg_prepare(struct db *db, const char *sql, int persistent,
    struct db_stmt **s_r)
{
	struct pg_db *d = pg_db(db);
	struct pg_stmt *s;
	char *text;
	int n;

	(void)persistent; /* prepared on the server either way */
	text = db_pg_sql_rewrite(sql, &n);
	if (text == NULL) {
		pg_fail(d, DB_ERR_OTHER,
		    "a parameter is neither ? nor ?1 .. ?65535");
		return DB_ERROR;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.backend = DB_PG;
	s->db = d;
	s->sql = text;
	s->nparams = n;
	s->params = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*s->params));
	s->null_types = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*s->null_types));
	s->row = -1;
	*s_r = &s->base;
	pg_ok(d);
	return DB_OK;
}

/* Forget the current row's decoded blobs. */
static void
pg_clear_row(struct pg_stmt *s)
{
	int i;

	for (i = 0; i < s->ncols; i++)
		xfree(&s->blob[i]);
}

static void
pg_clear_result(struct pg_stmt *s)
{
	pg_clear_row(s);
	free(s->blob);
	free(s->bloblen);
	s->blob = NULL;
	s->bloblen = NULL;
	s->ncols = 0;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
}

void
db_pg_reset(struct db_stmt *stmt)
{
	struct pg_stmt *s = pg_stmt(stmt);
	int i;

	pg_clear_result(s);
	for (i = 0; i < s->nparams; i++) {
		xfree(&s->params[i].val);
		s->params[i].type = 0;
		s->params[i].binary = 0;
	}
}

/*
 * Release the statement names finalize and re-prepare left behind, in one
 * round trip.  Not in a failed transaction, which refuses it: they wait.
 * Our names exist (prepared statements outlive a rollback), so this
 * cannot fail but with the connection.
 */
static void
pg_flush_stale(struct pg_db *d)
{
	char *sql, *p;
	size_t i, len;

	if (d->nstale == 0 || PQtransactionStatus(d->conn) == PQTRANS_INERROR)
		return;
	len = d->nstale * 40 + 1; /* "DEALLOCATE p<uint64>;" fits 40 */
	sql = p = xmalloc(len);
	*p = '\0';
	for (i = 0; i < d->nstale; i++) {
		p += snprintf(p, len - (size_t)(p - sql), "DEALLOCATE %s;",
		    d->stale[i]);
		xfree(&d->stale[i]);
	}
	d->nstale = 0;
	PQclear(PQexec(d->conn, sql));
	free(sql);
}

static void
pg_forget_name(struct pg_stmt *s)
{
	struct pg_db *d = s->db;

	if (s->name == NULL)
		return;
	d->stale = xreallocarray(d->stale, d->nstale + 1, sizeof(*d->stale));
	d->stale[d->nstale++] = s->name;
	s->name = NULL;
	xfree(&s->types);
	if (d->nstale >= PG_STALE_BATCH)
		pg_flush_stale(d);
}

void
db_pg_finalize(struct db_stmt *stmt)
{
	struct pg_stmt *s = pg_stmt(stmt);

	db_pg_reset(stmt);
	pg_forget_name(s);
	free(s->params);
	free(s->null_types);
	free(s->sql);
	free(s);
}

/* ---- bindings ---- */

static int
pg_bind(struct pg_stmt *s, int i, Oid type, const void *v, int len, int binary)
{
	struct pg_param *p;

	if (i < 1 || i > s->nparams) {
		pg_fail(s->db, DB_ERR_OTHER, "bind index out of range");
		return DB_ERROR;
	}
	p = &s->params[i - 1];
	xfree(&p->val);
	p->type = v != NULL ? type : 0;
	p->binary = binary;
	p->len = 0;
	if (v != NULL) {
		p->val = xmalloc((size_t)len + 1);
		memcpy(p->val, v, (size_t)len);
		p->val[len] = '\0';
		p->len = len;
	}
	return DB_OK;
}

static int pg_bind_number(struct pg_stmt *s, int i, Oid type, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static int
pg_bind_number(struct pg_stmt *s, int i, Oid type, const char *fmt, ...)
{
	char buf[40];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return pg_bind(s, i, type, buf, n, 0);
}

int
db_pg_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	return pg_bind_number(pg_stmt(s), i, OID_INT8, "%" PRId64, v);
}

int
db_pg_bind_int(struct db_stmt *s, int i, int v)
{
	return pg_bind_number(pg_stmt(s), i, OID_INT4, "%d", v);
}

int
db_pg_bind_double(struct db_stmt *s, int i, double v)
{
	if (isnan(v))
		return pg_bind_number(pg_stmt(s), i, OID_FLOAT8, "NaN");
	if (isinf(v))
		return pg_bind_number(pg_stmt(s), i, OID_FLOAT8, "%sInfinity",
		    v < 0 ? "-" : "");
	return pg_bind_number(pg_stmt(s), i, OID_FLOAT8, "%.17g", v);
}

int
db_pg_bind_text(struct db_stmt *s, int i, const char *v, int len)
{
	if (v != NULL && len < 0)
		len = (int)strlen(v);
	return pg_bind(pg_stmt(s), i, OID_TEXT, v, len, 0);
}

int
db_pg_bind_blob(struct db_stmt *s, int i, const void *v, int len)
{
	return pg_bind(pg_stmt(s), i, OID_BYTEA, v, len, 1);
}

int
db_pg_bind_null(struct db_stmt *s, int i)
{
	return pg_bind(pg_stmt(s), i, 0, NULL, 0, 0);
}

/* ---- running ---- */

/* Do the bindings fit the types the statement was prepared with? */
static int
pg_types_fit(const struct pg_stmt *s)
{
	int i;

	if (s->name == NULL)
		return 0;
	for (i = 0; i < s->nparams; i++)
		if (s->params[i].val != NULL &&
		    s->params[i].type != s->types[i])
			return 0;
	return 1;
}

/* Savepoint words around a prepare that may need another try. */
static void
pg_guard(struct pg_db *d, int on, const char *sql)
{
	if (on)
		PQclear(PQexec(d->conn, sql));
}

/*
 * After a failed prepare: a type for a NULL-bound parameter the server
 * could not type ("could not determine data type of parameter $N",
 * 42P08 or 42P18: `?1 IS NULL` read first) — text first, then bigint when text
 * met an operator or column it does not fit (42883, 42804).  1 to try
 * again, 0 to give up.
 */
static int
pg_retype(struct pg_stmt *s, const PGresult *res, int *last)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *dollar;
	long k;

	if (state == NULL)
		return 0;
	if ((strcmp(state, "42P08") == 0 || strcmp(state, "42P18") == 0) &&
	    msg != NULL && (dollar = strchr(msg, '$')) != NULL) {
		k = strtol(dollar + 1, NULL, 10) - 1;
		if (k < 0 || k >= s->nparams || s->types[k] != 0)
			return 0;
		s->types[k] = s->null_types[k] = OID_TEXT;
		*last = (int)k;
		return 1;
	}
	if ((strcmp(state, "42883") == 0 || strcmp(state, "42804") == 0) &&
	    *last >= 0 && s->types[*last] == OID_TEXT) {
		s->types[*last] = s->null_types[*last] = OID_INT8;
		return 1;
	}
	return 0;
}

/*
 * Prepare on the server under a new name with the bindings' types (a
 * NULL: the type an earlier prepare found for it, else none).  Inside a
 * transaction a savepoint keeps a failed try from aborting it, as a
 * failed sqlite3_prepare does not.
 */
static int
pg_prepare_server(struct pg_stmt *s)
{
	struct pg_db *d = s->db;
	PGresult *res = NULL;
	char name[32];
	int i, guard, untyped = 0, last = -1, tries, r = DB_ERROR;

	pg_forget_name(s);
	pg_flush_stale(d);
	snprintf(name, sizeof(name), "p%" PRIu64, ++d->next_name);
	s->types =
	    xcalloc(s->nparams > 0 ? (size_t)s->nparams : 1, sizeof(*s->types));
	for (i = 0; i < s->nparams; i++) {
		s->types[i] = s->params[i].val != NULL ? s->params[i].type :
							 s->null_types[i];
		untyped |= s->types[i] == 0;
	}
	guard = untyped && PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
	pg_guard(d, guard, "SAVEPOINT triage_prepare");
	for (tries = 0; tries <= 2 * s->nparams; tries++) {
		PQclear(res);
		res = PQprepare(d->conn, name, s->sql, s->nparams, s->types);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			r = DB_OK;
			break;
		}
		if (!untyped || !pg_retype(s, res, &last))
			break;
		pg_guard(d, guard, "ROLLBACK TO SAVEPOINT triage_prepare");
	}
	if (r != DB_OK) {
		pg_fail_res(d, res);
		pg_guard(d, guard, "ROLLBACK TO SAVEPOINT triage_prepare");
		xfree(&s->types);
	} else {
		s->name = xstrdup(name);
	}
	pg_guard(d, guard, "RELEASE SAVEPOINT triage_prepare");
	PQclear(res);
	return r;
}

/* Run the statement once and keep its rows. */
static int
pg_run(struct pg_stmt *s)
{
	struct pg_db *d = s->db;
	const char **vals;
	int *lens, *fmts, i;
	ExecStatusType st;

	if (!pg_types_fit(s) && pg_prepare_server(s) != DB_OK)
		return DB_ERROR;
	vals = xcalloc((size_t)s->nparams + 1, sizeof(*vals));
	lens = xcalloc((size_t)s->nparams + 1, sizeof(*lens));
	fmts = xcalloc((size_t)s->nparams + 1, sizeof(*fmts));
	for (i = 0; i < s->nparams; i++) {
		vals[i] = s->params[i].val;
		lens[i] = s->params[i].len;
		fmts[i] = s->params[i].binary;
	}
	s->res =
	    PQexecPrepared(d->conn, s->name, s->nparams, vals, lens, fmts, 0);
	free(vals);
	free(lens);
	free(fmts);
	st = PQresultStatus(s->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		pg_fail_res(d, s->res);
		pg_clear_result(s);
		return DB_ERROR;
	}
	pg_note_changes(d, s->res);
	s->nrows = PQntuples(s->res);
	s->ncols = PQnfields(s->res);
	s->blob =
	    xcalloc(s->ncols > 0 ? (size_t)s->ncols : 1, sizeof(*s->blob));
	s->bloblen =
	    xcalloc(s->ncols > 0 ? (size_t)s->ncols : 1, sizeof(*s->bloblen));
	pg_ok(d);
	return DB_OK;
}

int
db_pg_step(struct db_stmt *stmt)
{
	struct pg_stmt *s = pg_stmt(stmt);

	if (s->res == NULL && pg_run(s) != DB_OK)
		return DB_ERROR;
	pg_clear_row(s);
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? DB_ROW : DB_DONE;
}

/* ---- columns ---- */

static int
pg_has(const struct pg_stmt *s, int i)
{
	return s->res != NULL && s->row >= 0 && s->row < s->nrows && i >= 0 &&
	       i < s->ncols;
}

int
db_pg_col_is_null(struct db_stmt *stmt, int i)
{
	struct pg_stmt *s = pg_stmt(stmt);

	return !pg_has(s, i) || PQgetisnull(s->res, s->row, i);
}

enum db_type
db_pg_col_type(struct db_stmt *stmt, int i)
{
	struct pg_stmt *s = pg_stmt(stmt);

	if (db_pg_col_is_null(stmt, i))
		return DB_TYPE_NULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return DB_TYPE_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return DB_TYPE_REAL;
	case OID_BYTEA:
		return DB_TYPE_BLOB;
	default:
		return DB_TYPE_TEXT;
	}
}

/*
 * The column's bytes: bytea decoded (and NUL-terminated), a boolean as
 * "1" or "0", else its text.
 */
static const char *
pg_value(struct pg_stmt *s, int i, size_t *len_r)
{
	unsigned char *raw;
	size_t n;

	if (db_pg_col_is_null(&s->base, i)) {
		*len_r = 0;
		return NULL;
	}
	if (PQftype(s->res, i) == OID_BOOL) { /* SQLite's truth is 1 or 0 */
		*len_r = 1;
		return *PQgetvalue(s->res, s->row, i) == 't' ? "1" : "0";
	}
	if (PQftype(s->res, i) != OID_BYTEA) {
		*len_r = (size_t)PQgetlength(s->res, s->row, i);
		return PQgetvalue(s->res, s->row, i);
	}
	if (s->blob[i] == NULL) {
		raw = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(s->res, s->row, i), &n);
		if (raw == NULL)
			n = 0;
		s->blob[i] = xmalloc(n + 1);
		if (n > 0)
			memcpy(s->blob[i], raw, n);
		s->blob[i][n] = '\0';
		s->bloblen[i] = n;
		PQfreemem(raw);
	}
	*len_r = s->bloblen[i];
	return (const char *)s->blob[i];
}

int64_t
db_pg_col_int64(struct db_stmt *stmt, int i)
{
	struct pg_stmt *s = pg_stmt(stmt);
	const char *v;
	size_t n;

	char *end;
	int64_t r;
	double d;

	v = pg_value(s, i, &n);
	if (v == NULL)
		return 0;
	r = strtoll(v, &end, 10);
	if (*end == '\0')
		return r;
	/* "2.5", "1e+20", "NaN": truncated and clamped, as SQLite does. */
	d = strtod(v, NULL);
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

int
db_pg_col_int(struct db_stmt *s, int i)
{
	return (int)db_pg_col_int64(s, i);
}

double
db_pg_col_double(struct db_stmt *stmt, int i)
{
	struct pg_stmt *s = pg_stmt(stmt);
	const char *v;
	size_t n;

	v = pg_value(s, i, &n);
	if (v == NULL)
		return 0;
	return strtod(v, NULL);
}

const char *
db_pg_col_text(struct db_stmt *s, int i)
{
	size_t n;

	return pg_value(pg_stmt(s), i, &n);
}

const void *
db_pg_col_blob(struct db_stmt *s, int i)
{
	size_t n;
	const char *v = pg_value(pg_stmt(s), i, &n);

	return n > 0 ? v : NULL;
}

int
db_pg_col_bytes(struct db_stmt *s, int i)
{
	size_t n;

	pg_value(pg_stmt(s), i, &n);
	return (int)n;
}

/* ---- the connection ---- */

int
db_pg_exec(struct db *db, const char *sql)
{
	struct pg_db *d = pg_db(db);
	PGresult *res;
	ExecStatusType st;
	int r = DB_OK;

	res = PQexec(d->conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		pg_fail_res(d, res);
		r = DB_ERROR;
	} else {
		pg_note_changes(d, res);
		pg_ok(d);
	}
	PQclear(res);
	return r;
}

int64_t
db_pg_changes(struct db *db)
{
	return pg_db(db)->changes;
}

/*
 * lastval() fails in a session that has drawn no sequence value, and a
 * failure would abort the caller's transaction: a savepoint keeps it.
 */
int64_t
db_pg_last_insert_id(struct db *db)
{
	struct pg_db *d = pg_db(db);
	int in_tx = PQtransactionStatus(d->conn) == PQTRANS_INTRANS;
	PGresult *res;
	int64_t id = 0;

	if (in_tx)
		PQclear(PQexec(d->conn, "SAVEPOINT triage_lastval"));
	res = PQexec(d->conn, "SELECT lastval()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (in_tx)
		PQclear(
		    PQexec(d->conn, "ROLLBACK TO SAVEPOINT triage_lastval"));
	PQclear(res);
	if (in_tx)
		PQclear(PQexec(d->conn, "RELEASE SAVEPOINT triage_lastval"));
	return id;
}

const char *
db_pg_errmsg(struct db *db)
{
	struct pg_db *d = pg_db(db);

	return d->errmsg != NULL ? d->errmsg : "not an error";
}

enum db_errclass
db_pg_errclass(struct db *db)
{
	return pg_db(db)->errclass;
}

int
db_pg_errno(struct db *db)
{
	(void)db;
	return 0;
}

void
db_pg_busy_timeout(struct db *db, int ms)
{
	(void)db;
	(void)ms;
}
