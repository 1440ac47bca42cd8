/*
 * Reading the store: the queue, one ticket in full, full-text search and
 * the raw mail that reprocessing parses again.
 *
 * The queue's filters each have their own statement so that every one is
 * answered from an index in priority-then-age order (tickets_open,
 * tickets_queue, tickets_owner, tickets_state): no sort of the whole
 * table, whatever its size.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define T_COLS \
	"SELECT id, subject, state, queue, priority, owner, route," \
	" customer, qualified, qualify_reason, story, ignore_reason," \
	" coalesce(related_to, 0), created, updated, score_budget," \
	" score_authority, score_need, score_timeline, score_fit," \
	" account, tier" \
	" FROM tickets "
#define T_ORDER " ORDER BY priority DESC, created, id LIMIT ?4"

/* [queue given][owner given][state given]; ?1 queue ?2 owner ?3 state. */
static const char *const queue_sql[2][2][2] = {
	{ { T_COLS "WHERE is_open = 1" T_ORDER,
	      T_COLS "WHERE state = ?3" T_ORDER },
	    { T_COLS "WHERE owner = ?2 AND is_open = 1" T_ORDER,
		T_COLS "WHERE owner = ?2 AND state = ?3" T_ORDER } },
	{ { T_COLS "WHERE queue = ?1 AND is_open = 1" T_ORDER,
	      T_COLS "WHERE queue = ?1 AND state = ?3" T_ORDER },
	    { T_COLS "WHERE queue = ?1 AND owner = ?2 AND is_open = 1" T_ORDER,
		T_COLS
		"WHERE queue = ?1 AND owner = ?2 AND state = ?3" T_ORDER } },
};

static void
ticket_clear(struct store_ticket *t)
{
	free(t->subject);
	free(t->queue);
	free(t->owner);
	free(t->route);
	free(t->customer);
	free(t->account);
	free(t->tier);
	free(t->qualify_reason);
	free(t->ignore_reason);
	for (size_t i = 0; i < t->n_mailboxes; i++)
		free(t->mailboxes[i]);
	free(t->mailboxes);
	for (size_t i = 0; i < t->n_tags; i++)
		free(t->tags[i]);
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

static void
fill_ticket(struct db_stmt *s, struct store_ticket *t)
{
	enum store_state state = STATE_NEW;

	memset(t, 0, sizeof(*t));
	t->id = db_col_int64(s, 0);
	t->subject = store_col_text(s, 1);
	store_state_parse(db_col_text(s, 2), &state);
	t->state = state;
	t->queue = store_col_text(s, 3);
	t->priority = (enum priority)db_col_int(s, 4);
	t->owner = store_col_text(s, 5);
	t->route = store_col_text(s, 6);
	t->customer = store_col_text(s, 7);
	t->qualified = db_col_int(s, 8);
	t->qualify_reason = store_col_text(s, 9);
	t->story = db_col_int(s, 10);
	t->ignore_reason = store_col_text(s, 11);
	t->related_to = db_col_int64(s, 12);
	t->created = db_col_int64(s, 13);
	t->updated = db_col_int64(s, 14);
	for (int i = 0; i < DIM_COUNT; i++)
		t->scores[i] = db_col_int(s, 15 + i);
	t->account = store_col_text(s, 20);
	t->tier = store_col_text(s, 21);
}

/* One text column of every row of `sql` (bound to id) into a list. */
static int
load_list(struct store *st, const char *sql, int64_t id, char ***v_r,
    size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	char **v = NULL;
	size_t n = 0;
	int r, rc;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = store_col_text(s, 0);
	}
	if (rc != DB_DONE)
		r = store_sqlerr(st, err, "list");
	store_release(st, &s);
	*v_r = v;
	*n_r = n;
	return r;
}

static int
load_lists(struct store *st, struct store_ticket *t, struct error *err)
{
	int r;

	r = load_list(st,
	    "SELECT mailbox FROM ticket_mailboxes"
	    " WHERE ticket_id = ? ORDER BY mailbox",
	    t->id, &t->mailboxes, &t->n_mailboxes, err);
	if (r == 0)
		r = load_list(st,
		    "SELECT tag FROM tags WHERE ticket_id = ?"
		    " ORDER BY tag",
		    t->id, &t->tags, &t->n_tags, err);
	return r;
}

/* Step `s` to the end, appending each row as a ticket. */
static int
collect(struct store *st, struct db_stmt *s, struct store_ticket **v_r,
    size_t *n_r, struct error *err)
{
	struct store_ticket *v = NULL;
	size_t n = 0;
	int r = 0, rc;

	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		fill_ticket(s, &v[n++]);
	}
	if (rc != DB_DONE)
		r = store_sqlerr(st, err, "query");
	for (size_t i = 0; i < n && r == 0; i++)
		r = load_lists(st, &v[i], err);
	if (r < 0) {
		store_tickets_free(&v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

int
store_queue(struct store *st, const struct store_filter *f,
    struct store_ticket **v_r, size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r, has_state = f->state >= 0;

	r = store_prepare(st, &s,
	    queue_sql[f->queue != NULL][f->owner != NULL][has_state], err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, f->queue);
	store_bind_text(s, 2, f->owner);
	if (has_state)
		store_bind_text(s, 3,
		    store_state_name((enum store_state)f->state));
	db_bind_int64(s, 4, f->limit > 0 ? (int64_t)f->limit : STORE_NO_LIMIT);
	r = collect(st, s, v_r, n_r, err);
	store_release(st, &s);
	return r;
}

/* Plain words to an FTS5 query: each word a quoted phrase, all required. */
static char *
fts_query(const char *text)
{
	struct buf b;
	const char *p = text;

	buf_init(&b, 64 * 1024);
	while (*p != '\0') {
		size_t n;

		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (n == 0)
			break;
		buf_addstr(&b, b.len > 0 ? " \"" : "\"");
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				buf_addstr(&b, "\"");
			buf_add(&b, &p[i], 1);
		}
		buf_addstr(&b, "\"");
		p += n;
	}
	return buf_steal(&b);
}

/*
 * A search's tickets by (updated, id), newest first: every ticket with a
 * message that matches ?1, sorted whole (a temporary b-tree of every
 * match); or, when a word is common, the newest tickets walked in the
 * order tickets_updated gives (schema 16), each probed for a matching
 * message, stopping at the limit.  The walk gives the same first `limit`
 * tickets as the sort, and costs a probe per ticket walked: it is tried
 * only when at least SEARCH_COMMON(limit) messages match, and over the
 * SEARCH_WALK(limit) newest tickets at most (the sort does the rest).
 */
#define SEARCH_COMMON(limit) ((limit)*400)
#define SEARCH_WALK(limit) ((limit)*100)

static const char sql_search_all[] =
    T_COLS "WHERE id IN (SELECT m.ticket_id"
	   " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
	   " WHERE messages_fts MATCH ?1 AND m.ticket_id IS NOT NULL)"
	   " ORDER BY updated DESC, id DESC LIMIT ?2";

/* PostgreSQL's: words split at '@' and '.' as the indexed addresses are */
static const char sql_search_all_pg[] = T_COLS
    "WHERE id IN (SELECT m.ticket_id FROM messages m"
    " WHERE m.fts @@ plainto_tsquery('simple', translate(?1, '@.', '  '))"
    " AND m.ticket_id IS NOT NULL)"
    " ORDER BY updated DESC, id DESC LIMIT ?2";

/* How many messages match ?1, counting up to ?2. */
static const char sql_search_count[] =
    "SELECT count(*) FROM (SELECT rowid FROM messages_fts"
    " WHERE messages_fts MATCH ?1 LIMIT ?2)";

/* The ?1th newest ticket (0: the newest), where a walk stops. */
static const char sql_search_edge[] = "SELECT updated, id FROM tickets"
				      " ORDER BY updated DESC, id DESC"
				      " LIMIT 1 OFFSET ?1";

/* The walk: tickets from the newest down to (?3, ?4). */
static const char sql_search_walk[] =
    T_COLS "t WHERE (t.updated, t.id) >= (?3, ?4) AND EXISTS (SELECT 1"
	   " FROM messages m JOIN messages_fts ON messages_fts.rowid = m.id"
	   " WHERE m.ticket_id = t.id AND messages_fts MATCH ?1)"
	   " ORDER BY t.updated DESC, t.id DESC LIMIT ?2";

/*
 * The first two columns of the one row of `sql`, bound to `q` and `n`
 * (?1 and ?2), or to `n` alone (?1) without `q`: 1, or 0 without a row.
 */
static int
search_row(struct store *st, const char *sql, const char *q, int64_t n,
    int64_t *a_r, int64_t *b_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (store_prepare(st, &s, sql, err) < 0)
		return -1;
	if (q != NULL) {
		store_bind_text(s, 1, q);
		db_bind_int64(s, 2, n);
	} else {
		db_bind_int64(s, 1, n);
	}
	r = store_step_row(st, s, "search", err);
	if (r > 0) {
		*a_r = db_col_int64(s, 0);
		*b_r = db_col_int64(s, 1);
	}
	store_release(st, &s);
	return r;
}

/*
 * The walk when `q` is common: 1 with the first `limit` tickets in
 * *v_r, 0 when it cannot tell (too few matches, or not enough of them
 * among the newest tickets), -1 failed.
 */
static int
search_walk(struct store *st, const char *q, size_t limit,
    struct store_ticket **v_r, size_t *n_r, struct error *err)
{
	int64_t matches = 0, updated = 0, id = 0, unused = 0;
	struct db_stmt *s = NULL;
	int r;

	/* the walk reads FTS5's table: SQLite only */
	if (limit == 0 || st->version < 16 || db_backend(st->db) == DB_PG)
		return 0;
	r = search_row(st, sql_search_count, q, (int64_t)SEARCH_COMMON(limit),
	    &matches, &unused, err);
	if (r < 0)
		return -1;
	if (matches < (int64_t)SEARCH_COMMON(limit))
		return 0;
	r = search_row(st, sql_search_edge, NULL,
	    (int64_t)SEARCH_WALK(limit) - 1, &updated, &id, err);
	if (r == 0) /* fewer tickets than that: walk them all */
		updated = id = INT64_MIN;
	else if (r < 0)
		return -1;
	if (store_prepare(st, &s, sql_search_walk, err) < 0)
		return -1;
	store_bind_text(s, 1, q);
	db_bind_int64(s, 2, (int64_t)limit);
	db_bind_int64(s, 3, updated);
	db_bind_int64(s, 4, id);
	r = collect(st, s, v_r, n_r, err);
	store_release(st, &s);
	if (r < 0)
		return -1;
	if (*n_r == limit)
		return 1;
	store_tickets_free(v_r, *n_r);
	*n_r = 0;
	return 0;
}

int
store_search(struct store *st, const char *query, size_t limit,
    struct store_ticket **v_r, size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	char *q;
	int r;

	q = fts_query(query);
	if (*q == '\0') {
		free(q);
		return error_set(err, ERR_USAGE, "search: no words given");
	}
	r = search_walk(st, q, limit, v_r, n_r, err);
	if (r == 0)
		r = store_prepare(st, &s,
		    db_backend(st->db) == DB_PG ? sql_search_all_pg :
						  sql_search_all,
		    err);
	else
		r = r > 0 ? 1 : -1;
	if (r == 0) {
		store_bind_text(s, 1, db_backend(st->db) == DB_PG ? query : q);
		db_bind_int64(s, 2,
		    limit > 0 ? (int64_t)limit : STORE_NO_LIMIT);
		r = collect(st, s, v_r, n_r, err);
	}
	store_release(st, &s);
	free(q);
	return r < 0 ? -1 : 0;
}

void
store_tickets_free(struct store_ticket **vp, size_t n)
{
	if (*vp == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		ticket_clear(&(*vp)[i]);
	free(*vp);
	*vp = NULL;
}

static int
load_messages(struct store *st, struct store_detail *d, struct error *err)
{
	struct db_stmt *s = NULL;
	int r, rc;

	/* A message copied to two mailboxes is shown once. */
	r = store_prepare(st, &s,
	    "SELECT id, message_id, from_addr, from_name,"
	    " to_addrs, cc_addrs, date, direction, subject, text, mailbox,"
	    " status, error FROM messages WHERE id IN (SELECT min(id)"
	    " FROM messages WHERE ticket_id = ?1 GROUP BY message_id)"
	    " ORDER BY date, id",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, d->t.id);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		struct store_message *m;

		d->messages = xreallocarray(d->messages, d->n_messages + 1,
		    sizeof(*d->messages));
		m = &d->messages[d->n_messages++];
		m->id = db_col_int64(s, 0);
		m->message_id = store_col_text(s, 1);
		m->from = store_col_text(s, 2);
		m->from_name = store_col_text(s, 3);
		m->to = store_col_text(s, 4);
		m->cc = store_col_text(s, 5);
		m->date = db_col_int64(s, 6);
		m->direction = store_col_text(s, 7);
		m->subject = store_col_text(s, 8);
		m->text = store_col_text(s, 9);
		m->mailbox = store_col_text(s, 10);
		m->status = store_col_text(s, 11);
		m->error = store_col_text(s, 12);
	}
	if (rc != DB_DONE)
		r = store_sqlerr(st, err, "messages");
	store_release(st, &s);
	return r;
}

static int
load_hits(struct store *st, struct store_detail *d, struct error *err)
{
	struct db_stmt *s = NULL;
	int r, rc;

	r = store_prepare(st, &s,
	    "SELECT rule, file, line, target, match"
	    " FROM hits WHERE ticket_id = ? ORDER BY id",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, d->t.id);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		struct store_hit *h;

		d->hits =
		    xreallocarray(d->hits, d->n_hits + 1, sizeof(*d->hits));
		h = &d->hits[d->n_hits++];
		h->rule = store_col_text(s, 0);
		h->file = store_col_text(s, 1);
		h->line = db_col_int(s, 2);
		h->target = store_col_text(s, 3);
		h->match = store_col_text(s, 4);
	}
	if (rc != DB_DONE)
		r = store_sqlerr(st, err, "hits");
	store_release(st, &s);
	return r;
}

static int
load_events(struct store *st, struct store_detail *d, struct error *err)
{
	struct db_stmt *s = NULL;
	int r, rc;

	/* with the events of tickets merged into this one (schema 15) */
	r = store_prepare(st, &s,
	    st->version >= 15 ?
		"SELECT at, actor, source, kind, detail, unix_user"
		" FROM events WHERE ticket_id = ?1 OR ticket_id IN"
		" (SELECT id FROM tickets WHERE merged_into = ?1) ORDER BY id" :
		"SELECT at, actor, source, kind, detail, unix_user"
		" FROM events WHERE ticket_id = ?1 ORDER BY id",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, d->t.id);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		struct store_event_rec *e;

		d->events = xreallocarray(d->events, d->n_events + 1,
		    sizeof(*d->events));
		e = &d->events[d->n_events++];
		e->at = db_col_int64(s, 0);
		e->actor = store_col_text(s, 1);
		e->source = store_col_text(s, 2);
		e->kind = store_col_text(s, 3);
		e->detail = store_col_text(s, 4);
		e->unix_user = store_col_text(s, 5);
	}
	if (rc != DB_DONE)
		r = store_sqlerr(st, err, "events");
	store_release(st, &s);
	return r;
}

/* Waiting and merging (schema 15): what the stub and a wait say. */
static int
load_desk(struct store *st, struct store_detail *d, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (st->version < 15)
		return 0;
	r = store_prepare(st, &s,
	    "SELECT coalesce(merged_into, 0), coalesce(wait_since, 0),"
	    " coalesce(wait_until, 0), waited FROM tickets WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, d->t.id);
	r = store_step_row(st, s, "ticket", err);
	if (r > 0) {
		d->merged_into = db_col_int64(s, 0);
		d->wait_since = db_col_int64(s, 1);
		d->wait_until = db_col_int64(s, 2);
		d->waited = db_col_int64(s, 3);
		r = 0;
	}
	store_release(st, &s);
	return r;
}

int
store_show(struct store *st, int64_t id, struct store_detail **d_r,
    struct error *err)
{
	struct store_detail *d;
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, T_COLS "WHERE id = ?1", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	if (db_step(s) != DB_ROW) {
		store_release(st, &s);
		return error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	}
	d = xcalloc(1, sizeof(*d));
	fill_ticket(s, &d->t);
	store_release(st, &s);
	r = load_lists(st, &d->t, err);
	if (r == 0)
		r = load_messages(st, d, err);
	if (r == 0)
		r = load_hits(st, d, err);
	if (r == 0)
		r = load_events(st, d, err);
	if (r == 0)
		r = load_desk(st, d, err);
	if (r < 0) {
		store_detail_free(&d);
		return -1;
	}
	*d_r = d;
	return 0;
}

void
store_detail_free(struct store_detail **dp)
{
	struct store_detail *d = *dp;

	if (d == NULL)
		return;
	ticket_clear(&d->t);
	for (size_t i = 0; i < d->n_messages; i++) {
		struct store_message *m = &d->messages[i];

		free(m->message_id);
		free(m->from);
		free(m->from_name);
		free(m->to);
		free(m->cc);
		free(m->direction);
		free(m->subject);
		free(m->text);
		free(m->mailbox);
		free(m->status);
		free(m->error);
	}
	free(d->messages);
	for (size_t i = 0; i < d->n_hits; i++) {
		free(d->hits[i].rule);
		free(d->hits[i].file);
		free(d->hits[i].target);
		free(d->hits[i].match);
	}
	free(d->hits);
	for (size_t i = 0; i < d->n_events; i++) {
		free(d->events[i].actor);
		free(d->events[i].source);
		free(d->events[i].kind);
		free(d->events[i].detail);
		free(d->events[i].unix_user);
	}
	free(d->events);
	free(d);
	*dp = NULL;
}

static int
load_ids(struct store *st, const char *sql, int64_t arg, int64_t **ids_r,
    size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t *v = NULL;
	size_t n = 0;
	int r, rc;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, arg);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = db_col_int64(s, 0);
	}
	if (rc != DB_DONE) {
		r = store_sqlerr(st, err, "ids");
		free(v);
	} else {
		*ids_r = v;
		*n_r = n;
	}
	store_release(st, &s);
	return r;
}

int
store_messages_for_ticket(struct store *st, int64_t ticket_id, int64_t **ids_r,
    size_t *n_r, struct error *err)
{
	int64_t *v = NULL;
	size_t n = 0;
	int r;

	r = load_ids(st,
	    "SELECT id FROM messages WHERE ticket_id = ?"
	    " ORDER BY id",
	    ticket_id, &v, &n, err);
	if (r < 0)
		return -1;
	if (n == 0) {
		free(v);
		return error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64,
		    ticket_id);
	}
	*ids_r = v;
	*n_r = n;
	return 0;
}

int
store_messages_failed(struct store *st, int64_t **ids_r, size_t *n_r,
    struct error *err)
{
	return load_ids(st,
	    "SELECT id FROM messages WHERE status = 'failed'"
	    " AND ?1 = ?1 ORDER BY id",
	    0, ids_r, n_r, err);
}

int
store_message_raw(struct store *st, int64_t message_id, char **raw_r,
    size_t *len_r, char **mailbox_r, struct error *err)
{
	struct db_stmt *s = NULL;
	const void *blob;
	size_t len;
	char *raw;
	int r;

	r = store_prepare(st, &s,
	    "SELECT raw, mailbox FROM messages"
	    " WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, message_id);
	if (db_step(s) != DB_ROW) {
		store_release(st, &s);
		return error_set(err, ERR_NOTFOUND, "no message %" PRId64,
		    message_id);
	}
	blob = db_col_blob(s, 0);
	len = (size_t)db_col_bytes(s, 0);
	raw = xmalloc(len + 1);
	if (len > 0)
		memcpy(raw, blob, len);
	raw[len] = '\0';
	*raw_r = raw;
	*len_r = len;
	*mailbox_r = store_col_text(s, 1);
	store_release(st, &s);
	return 0;
}
