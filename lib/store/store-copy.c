/*
 * triage db copy: an SQLite database into a PostgreSQL one, row for row,
 * in one transaction on the target.
 *
 * Generic by the catalogs, so a table or column added by a later schema
 * is copied without a word here: the tables are the source's (its FTS5
 * index and SQLite's own left out: PostgreSQL's full-text column is
 * generated), each with the columns SQLite lists (generated ones are
 * not), which must be the target's non-generated columns by name.  The
 * order is the target's foreign keys'; a key to its own table (a ticket
 * related to or merged into a later one) is filled by an UPDATE once
 * every row is in.  Ids are kept (OVERRIDING SYSTEM VALUE) and each
 * identity sequence set past the largest.  The target's triggers, which
 * derive columns the copied rows already hold, are off for the copy.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "progress.h"
#include "xalloc.h"

/* Room for any statement built here: names are short, columns few. */
#define COPY_SQL_MAX 8192

struct copy_col {
	char *name; /* owned */
	int blob;   /* the target's type is bytea */
	int self;   /* a foreign key to its own table: set after the rows */
};

struct copy_table {
	char *name;	      /* owned */
	struct copy_col *col; /* owned, ncol */
	size_t ncol;
	char *identity; /* owned: the target's identity column, or NULL */
	int64_t rows;	/* in the source */
	int placed;	/* in the copy order already */
};

struct copy {
	struct store *from, *to; /* foreign */
	struct copy_table *t;	 /* owned, nt, in copy order once sorted */
	size_t nt;
	char **edge; /* owned: foreign keys as pairs "table", "refers to" */
	size_t nedge;
	struct progress *progress; /* owned, or NULL */
	uint64_t done;
};

/* A name triage makes: SQL needs no quoting for it. */
static int
plain_name(const char *s)
{
	return *s != '\0' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static void
copy_clear(struct copy *c)
{
	for (size_t i = 0; i < c->nt; i++) {
		for (size_t j = 0; j < c->t[i].ncol; j++)
			free(c->t[i].col[j].name);
		free(c->t[i].col);
		free(c->t[i].name);
		free(c->t[i].identity);
	}
	free(c->t);
	for (size_t i = 0; i < c->nedge; i++)
		free(c->edge[i]);
	free(c->edge);
	progress_end(&c->progress);
}

/* Prepare `sql` (built, so not cached) on st; -1 with err set. */
static int
prepare(struct store *st, const char *sql, struct db_stmt **s_r,
    struct error *err)
{
	if (db_prepare(st->db, sql, 0, s_r) != DB_OK)
		return store_sqlerr(st, err, sql);
	return 0;
}

/* Run built SQL without rows on st. */
static int
run(struct store *st, const char *sql, struct error *err)
{
	if (db_exec(st->db, sql) != DB_OK)
		return store_sqlerr(st, err, sql);
	return 0;
}

/* ---- the source's tables, checked against the target's ---- */

static int
source_columns(struct copy *c, struct copy_table *t, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = prepare(c->from,
	    "SELECT name FROM pragma_table_info(?1) ORDER BY cid", &s, err);
	if (r < 0)
		return -1;
	db_bind_text(s, 1, t->name, -1);
	while ((r = store_step_row(c->from, s, "source columns", err)) > 0) {
		t->col = xreallocarray(t->col, t->ncol + 1, sizeof(*t->col));
		t->col[t->ncol++] =
		    (struct copy_col){ .name = store_col_text(s, 0) };
	}
	db_finalize(s);
	return r;
}

/* Tables that are neither SQLite's own nor FTS5's (virtual or shadow). */
static int
source_tables(struct copy *c, struct error *err)
{
	struct db_stmt *s = NULL;
	struct copy_table *t;
	char sql[256];
	int r;

	r = prepare(c->from,
	    "SELECT name FROM pragma_table_list"
	    " WHERE schema = 'main' AND type = 'table'"
	    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
	    &s, err);
	if (r < 0)
		return -1;
	while ((r = store_step_row(c->from, s, "source tables", err)) > 0) {
		c->t = xreallocarray(c->t, c->nt + 1, sizeof(*c->t));
		c->t[c->nt++] =
		    (struct copy_table){ .name = store_col_text(s, 0) };
	}
	db_finalize(s);
	for (size_t i = 0; r == 0 && i < c->nt; i++) {
		t = &c->t[i];
		if (!plain_name(t->name))
			return error_set(err, ERR_INTERNAL,
			    "source table \"%s\": not a name triage makes",
			    t->name);
		r = source_columns(c, t, err);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t->name);
		if (r == 0)
			r = prepare(c->from, sql, &s, err);
		if (r == 0 &&
		    (r = store_step_row(c->from, s, t->name, err)) > 0) {
			t->rows = db_col_int64(s, 0);
			r = 0;
		}
		db_finalize(s);
		s = NULL;
	}
	return r;
}

static struct copy_col *
find_col(struct copy_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncol; i++)
		if (strcmp(t->col[i].name, name) == 0)
			return &t->col[i];
	return NULL;
}

static struct copy_table *
find_table(struct copy *c, const char *name)
{
	for (size_t i = 0; i < c->nt; i++)
		if (strcmp(c->t[i].name, name) == 0)
			return &c->t[i];
	return NULL;
}

/*
 * The target's columns of t, by name: the same set as the source's, or
 * the copy would drop or miss something.  Notes bytea and identity.
 */
static int
target_columns(struct copy *c, struct copy_table *t, struct error *err)
{
	struct db_stmt *s = NULL;
	struct copy_col *col;
	const char *name;
	size_t n = 0;
	int r;

	r = store_prepare(c->to, &s,
	    "SELECT column_name, data_type, is_identity"
	    " FROM information_schema.columns"
	    " WHERE table_schema = current_schema() AND table_name = ?1"
	    " AND is_generated = 'NEVER'",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, t->name);
	while ((r = store_step_row(c->to, s, "target columns", err)) > 0) {
		name = db_col_text(s, 0);
		col = find_col(t, name);
		if (col == NULL) {
			r = error_set(err, ERR_INTERNAL,
			    "table %s: the target has a column %s the source "
			    "has not",
			    t->name, name);
			break;
		}
		n++;
		col->blob = strcmp(db_col_text(s, 1), "bytea") == 0;
		if (strcmp(db_col_text(s, 2), "YES") == 0)
			t->identity = xstrdup(name);
	}
	store_release(c->to, &s);
	if (r == 0 && n != t->ncol)
		r = error_set(err, ERR_INTERNAL,
		    "table %s: the source has %zu columns, the target %zu%s",
		    t->name, t->ncol, n,
		    n == 0 ? " (no such table there)" : "");
	return r;
}

/*
 * The target's foreign keys among the copied tables: an edge to another
 * table orders the copy, one to its own table marks the column.
 */
static int
target_keys(struct copy *c, struct error *err)
{
	struct db_stmt *s = NULL;
	struct copy_table *t;
	struct copy_col *col;
	const char *from, *to;
	int r;

	r = store_prepare(c->to, &s,
	    "SELECT f.relname, t.relname, a.attname FROM pg_constraint k"
	    " JOIN pg_class f ON f.oid = k.conrelid"
	    " JOIN pg_class t ON t.oid = k.confrelid"
	    " JOIN pg_namespace n ON n.oid = k.connamespace"
	    " JOIN pg_attribute a ON a.attrelid = k.conrelid"
	    " AND a.attnum = ANY (k.conkey)"
	    " WHERE k.contype = 'f' AND n.nspname = current_schema()",
	    err);
	if (r < 0)
		return -1;
	while ((r = store_step_row(c->to, s, "foreign keys", err)) > 0) {
		from = db_col_text(s, 0);
		to = db_col_text(s, 1);
		t = find_table(c, from);
		if (t == NULL || find_table(c, to) == NULL)
			continue;
		if (strcmp(from, to) == 0) {
			col = find_col(t, db_col_text(s, 2));
			if (col != NULL)
				col->self = 1;
			continue;
		}
		c->edge =
		    xreallocarray(c->edge, c->nedge + 2, sizeof(*c->edge));
		c->edge[c->nedge++] = xstrdup(from);
		c->edge[c->nedge++] = xstrdup(to);
	}
	store_release(c->to, &s);
	return r;
}

/* May t go next: is every table it refers to placed? */
static int
ready(const struct copy *c, const struct copy_table *t)
{
	for (size_t e = 0; e < c->nedge; e += 2)
		if (strcmp(c->edge[e], t->name) == 0 &&
		    !find_table((struct copy *)c, c->edge[e + 1])->placed)
			return 0;
	return 1;
}

/* Sort c->t so that a table comes after those it refers to. */
static int
order_tables(struct copy *c, struct error *err)
{
	struct copy_table tmp;
	size_t n, i;

	for (n = 0; n < c->nt; n++) {
		for (i = n; i < c->nt && !ready(c, &c->t[i]); i++)
			;
		if (i == c->nt)
			return error_set(err, ERR_INTERNAL,
			    "the target's foreign keys make a cycle through %s",
			    c->t[n].name);
		tmp = c->t[i];
		memmove(&c->t[n + 1], &c->t[n], (i - n) * sizeof(*c->t));
		c->t[n] = tmp;
		c->t[n].placed = 1;
	}
	return 0;
}

/* ---- the rows ---- */

/* Bind source column i to target parameter i + 1, by what it holds. */
static void
bind_value(struct db_stmt *in, int i, const struct copy_col *col,
    struct db_stmt *out)
{
	enum db_type type = db_col_type(in, i);
	const void *v;
	int len;

	if (col->self || type == DB_TYPE_NULL) {
		db_bind_null(out, i + 1);
	} else if (col->blob || type == DB_TYPE_BLOB) {
		len = db_col_bytes(in, i);
		v = db_col_blob(in, i);
		/* a NULL pointer would bind SQL NULL, not an empty value */
		if (col->blob)
			db_bind_blob(out, i + 1, v != NULL ? v : "", len);
		else
			db_bind_text(out, i + 1, v != NULL ? v : "", len);
	} else if (type == DB_TYPE_INT) {
		db_bind_int64(out, i + 1, db_col_int64(in, i));
	} else if (type == DB_TYPE_REAL) {
		db_bind_double(out, i + 1, db_col_double(in, i));
	} else {
		db_bind_text(out, i + 1, db_col_text(in, i),
		    db_col_bytes(in, i));
	}
}

/* "SELECT a, b FROM t" and "INSERT INTO t (a, b) ... VALUES (?1, ?2)". */
static void
build_sql(const struct copy_table *t, char *select, char *insert)
{
	struct buf a, b;

	buf_init(&a, COPY_SQL_MAX - 1);
	buf_init(&b, COPY_SQL_MAX - 1);
	for (size_t i = 0; i < t->ncol; i++) {
		(void)buf_printf(&a, "%s%s", i > 0 ? ", " : "", t->col[i].name);
		(void)buf_printf(&b, "%s?%zu", i > 0 ? ", " : "", i + 1);
	}
	snprintf(select, COPY_SQL_MAX, "SELECT %.*s FROM %s", (int)a.len,
	    a.data, t->name);
	snprintf(insert, COPY_SQL_MAX, "INSERT INTO %s (%.*s)%s VALUES (%.*s)",
	    t->name, (int)a.len, a.data,
	    t->identity != NULL ? " OVERRIDING SYSTEM VALUE" : "", (int)b.len,
	    b.data);
	buf_free(&a);
	buf_free(&b);
}

static int
copy_rows(struct copy *c, const struct copy_table *t, struct error *err)
{
	char select[COPY_SQL_MAX], insert[COPY_SQL_MAX];
	struct db_stmt *in = NULL, *out = NULL;
	int r;

	build_sql(t, select, insert);
	r = prepare(c->from, select, &in, err);
	if (r == 0)
		r = prepare(c->to, insert, &out, err);
	while (r == 0 && (r = store_step_row(c->from, in, t->name, err)) > 0) {
		for (size_t i = 0; i < t->ncol; i++)
			bind_value(in, (int)i, &t->col[i], out);
		if (db_step(out) != DB_DONE) {
			r = store_sqlerr(c->to, err, t->name);
			break;
		}
		db_reset(out);
		r = 0;
		progress_set(c->progress, ++c->done);
	}
	db_finalize(in);
	db_finalize(out);
	return r < 0 ? -1 : 0;
}

/* A key to the table's own rows, now that they are all in. */
static int
copy_self_key(struct copy *c, const struct copy_table *t, const char *col,
    struct error *err)
{
	char select[COPY_SQL_MAX], update[COPY_SQL_MAX];
	struct db_stmt *in = NULL, *out = NULL;
	int r;

	if (find_col((struct copy_table *)t, "id") == NULL)
		return error_set(err, ERR_INTERNAL,
		    "table %s refers to itself but has no id", t->name);
	snprintf(select, sizeof(select),
	    "SELECT id, %s FROM %s WHERE %s IS NOT NULL", col, t->name, col);
	snprintf(update, sizeof(update), "UPDATE %s SET %s = ?2 WHERE id = ?1",
	    t->name, col);
	r = prepare(c->from, select, &in, err);
	if (r == 0)
		r = prepare(c->to, update, &out, err);
	while (r == 0 && (r = store_step_row(c->from, in, t->name, err)) > 0) {
		db_bind_int64(out, 1, db_col_int64(in, 0));
		db_bind_int64(out, 2, db_col_int64(in, 1));
		if (db_step(out) != DB_DONE) {
			r = store_sqlerr(c->to, err, t->name);
			break;
		}
		db_reset(out);
		r = 0;
	}
	db_finalize(in);
	db_finalize(out);
	return r < 0 ? -1 : 0;
}

/* The identity's sequence past the largest id copied. */
static int
set_sequence(struct copy *c, const struct copy_table *t, struct error *err)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "SELECT setval(pg_get_serial_sequence('%s', '%s'), max(%s))"
	    " FROM %s HAVING max(%s) IS NOT NULL",
	    t->name, t->identity, t->identity, t->name, t->identity);
	return run(c->to, sql, err);
}

static int
copy_table(struct copy *c, const struct copy_table *t, struct error *err)
{
	char sql[256];
	int r;

	snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER USER",
	    t->name);
	r = run(c->to, sql, err);
	if (r == 0)
		r = copy_rows(c, t, err);
	for (size_t i = 0; r == 0 && i < t->ncol; i++)
		if (t->col[i].self)
			r = copy_self_key(c, t, t->col[i].name, err);
	if (r == 0 && t->identity != NULL)
		r = set_sequence(c, t, err);
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ENABLE TRIGGER USER",
	    t->name);
	if (r == 0)
		r = run(c->to, sql, err);
	return r;
}

/* ---- the whole ---- */

/* What store_open put in a new database (its key) goes: the source's
 * rows replace it.  Children first. */
static int
empty_target(struct copy *c, struct error *err)
{
	struct db_stmt *s = NULL;
	char sql[256];
	int r;

	r = store_prepare(c->to, &s, "SELECT count(*) FROM tickets", err);
	if (r < 0)
		return -1;
	r = store_step_row(c->to, s, "target tickets", err);
	if (r > 0 && db_col_int64(s, 0) > 0)
		r = error_set(err, ERR_USAGE,
		    "%s already holds %" PRId64 " tickets: copy into a new, "
		    "empty database",
		    c->to->path, db_col_int64(s, 0));
	store_release(c->to, &s);
	if (r < 0)
		return -1;
	for (size_t i = c->nt; i-- > 0;) {
		snprintf(sql, sizeof(sql),
		    "ALTER TABLE %s DISABLE TRIGGER USER; DELETE FROM %s;"
		    " ALTER TABLE %s ENABLE TRIGGER USER",
		    c->t[i].name, c->t[i].name, c->t[i].name);
		if (run(c->to, sql, err) < 0)
			return -1;
	}
	return 0;
}

static int
copy_plan(struct copy *c, struct error *err)
{
	int r = source_tables(c, err);

	for (size_t i = 0; r == 0 && i < c->nt; i++)
		r = target_columns(c, &c->t[i], err);
	if (r == 0)
		r = target_keys(c, err);
	if (r == 0)
		r = order_tables(c, err);
	return r;
}

int
store_copy(struct store *from, struct store *to, FILE *tty,
    struct store_copy_stats *stats_r, struct error *err)
{
	struct copy c = { .from = from, .to = to };
	uint64_t total = 0;
	int r;

	if (db_backend(from->db) != DB_SQLITE || db_backend(to->db) != DB_PG)
		return error_set(err, ERR_USAGE,
		    "db copy copies an SQLite database into a PostgreSQL "
		    "one");
	if (from->version != STORE_SCHEMA_VERSION ||
	    to->version != STORE_SCHEMA_VERSION)
		return error_set(err, ERR_USAGE,
		    "schema %d and %d: both must be at %d (open them with "
		    "this triage first)",
		    from->version, to->version, STORE_SCHEMA_VERSION);
	/* one snapshot of the source; one transaction on the target */
	if (db_begin(from->db, DB_TX_READ) != DB_OK)
		return store_sqlerr(from, err, "begin");
	r = copy_plan(&c, err);
	if (r == 0)
		r = store_tx_enter(to, err);
	if (r == 0) {
		r = empty_target(&c, err);
		for (size_t i = 0; i < c.nt; i++)
			total += (uint64_t)c.t[i].rows;
		if (tty != NULL)
			c.progress = progress_new(tty, "copy", total, 0);
		for (size_t i = 0; r == 0 && i < c.nt; i++)
			r = copy_table(&c, &c.t[i], err);
		if (store_tx_leave(to, r == 0, err) < 0)
			r = -1;
	}
	db_rollback(from->db);
	if (r == 0 && stats_r != NULL) {
		stats_r->tables = c.nt;
		stats_r->rows = c.done;
	}
	copy_clear(&c);
	return r;
}
