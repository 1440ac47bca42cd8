/*
 * Who is away, and the rows auto-assignment reads and writes: open
 * tickets per member, round-robin's cursor, the assigning claim.  The
 * choice itself is lib/work/assign.c's: it knows the config.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Run one statement binding ?1 now, ?2 and ?3 texts, ?4 and ?5 ints. */
static int
away_exec(struct store *st, const char *sql, const char *t2, const char *t3,
    int64_t i4, int64_t i5, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	store_bind_text(s, 2, t2);
	store_bind_text(s, 3, t3);
	db_bind_int64(s, 4, i4);
	db_bind_int64(s, 5, i5);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "away");
	store_release(st, &s);
	return r;
}

int
store_away(struct store *st, const char *name, int64_t until, int is_auto,
    const char *reason, const struct store_actor *a, struct error *err)
{
	char detail[512], when[64] = "until they are back";
	int r;

	if (name == NULL || *name == '\0')
		return error_set(err, ERR_USAGE, "away: who?");
	if (until > 0 && until <= store_now(st))
		return error_set(err, ERR_USAGE, "away: that time is past");
	if (until > 0)
		store_format_time(until, "until ", when, sizeof(when));
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = away_exec(st,
	    "INSERT INTO away (name, since, until, auto, reason)"
	    " VALUES (?2, ?1, nullif(?4, 0), ?5, coalesce(?3, ''))"
	    " ON CONFLICT (name) DO UPDATE SET since = excluded.since,"
	    " until = excluded.until, auto = excluded.auto,"
	    " reason = excluded.reason",
	    name, reason, until, is_auto != 0, err);
	snprintf(detail, sizeof(detail), "%s %s%s%.300s", name, when,
	    reason != NULL && *reason != '\0' ? ": " : "",
	    reason != NULL ? reason : "");
	if (r == 0)
		r = store_add_event(st, 0, a, "away", detail, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	return r;
}

int
store_back(struct store *st, const char *name, int only_auto,
    const struct store_actor *a, int *was_r, struct error *err)
{
	int r, was;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = away_exec(st,
	    "DELETE FROM away WHERE name = ?2 AND (?4 = 0 OR auto = 1)", name,
	    NULL, only_auto, 0, err);
	was = r == 0 && db_changes(st->db) > 0;
	if (r == 0 && was)
		r = store_add_event(st, 0, a, "back", name, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	if (r == 0 && was_r != NULL)
		*was_r = was;
	return r;
}

int
store_is_away(struct store *st, const char *name, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT 1 FROM away WHERE name = ?1"
	    " AND (until IS NULL OR until > ?2)",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	db_bind_int64(s, 2, store_now(st));
	r = store_step_row(st, s, "away", err);
	store_release(st, &s);
	return r;
}

int
store_away_list(struct store *st, struct store_away_rec **v_r, size_t *n_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	struct store_away_rec *v = NULL;
	size_t n = 0;
	int r, rc;

	r = store_prepare(st, &s,
	    "SELECT name, since, coalesce(until, 0), auto, reason FROM away"
	    " WHERE until IS NULL OR until > ?1 ORDER BY name",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].name = store_col_text(s, 0);
		v[n].since = db_col_int64(s, 1);
		v[n].until = db_col_int64(s, 2);
		v[n].is_auto = db_col_int(s, 3);
		v[n].reason = store_col_text(s, 4);
		n++;
	}
	store_release(st, &s);
	if (rc != DB_DONE) {
		store_away_free(&v, n);
		return store_sqlerr(st, err, "away list");
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_away_free(struct store_away_rec **vp, size_t n)
{
	if (*vp == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*vp)[i].name);
		free((*vp)[i].reason);
	}
	free(*vp);
	*vp = NULL;
}

int
store_open_count(struct store *st, const char *name, int64_t *n_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT count(*) FROM tickets WHERE owner = ?1 AND is_open = 1"
	    " AND state IN ('claimed', 'waiting')",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	r = store_step_row(st, s, "open tickets", err);
	if (r > 0) {
		*n_r = db_col_int64(s, 0);
		r = 0;
	}
	store_release(st, &s);
	return r;
}

int
store_assign_last(struct store *st, const char *cursor, char *last, size_t len,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT last FROM assign_cursor WHERE name = ?", err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, cursor);
	r = store_step_row(st, s, "assign cursor", err);
	if (r >= 0)
		snprintf(last, len, "%s", r > 0 ? db_col_text(s, 0) : "");
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}

static int
assign_in_tx(struct store *st, int64_t id, const char *owner,
    const char *cursor, const char *why, const struct store_actor *a,
    struct error *err)
{
	int r;

	r = away_exec(st,
	    "UPDATE tickets SET state = 'claimed', owner = ?2,"
	    " claimed_at = coalesce(claimed_at, ?1), updated = ?1"
	    " WHERE id = ?4 AND state = 'new'",
	    owner, NULL, id, 0, err);
	if (r == 0 && db_changes(st->db) == 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is not new: not assigned", id);
	if (r == 0 && cursor != NULL)
		r = away_exec(st,
		    "INSERT INTO assign_cursor (name, last) VALUES (?2, ?3)"
		    " ON CONFLICT (name) DO UPDATE SET last = excluded.last",
		    cursor, owner, 0, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "assign", why, err);
}

int
store_assign(struct store *st, int64_t id, const char *owner,
    const char *cursor, const char *why, const struct store_actor *a,
    struct error *err)
{
	int r;

	if (owner == NULL || *owner == '\0')
		return error_set(err, ERR_USAGE, "assign: to whom?");
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = assign_in_tx(st, id, owner, cursor, why, a, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	return r;
}
