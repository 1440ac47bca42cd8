/*
 * A classification verdict persisted onto a ticket: its tags, scores and
 * rule hits, with one "classify" event saying what changed.  Ingest
 * applies it when a message opens or joins a ticket, reprocessing when a
 * message is classified again; a tag row is shared with `triage tag`.
 */
#include "store-private.h"

#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* Add a tag; sets *added_r to 1 when it was not there yet. */
int
store_add_tag_row(struct store *st, int64_t id, const char *tag, int *added_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO tags (ticket_id, tag)"
	    " VALUES (?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	store_bind_text(s, 2, tag);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "tag");
	else
		*added_r = db_changes(st->db) > 0;
	store_release(st, &s);
	return r;
}

static int
add_hits(struct store *st, int64_t id, int64_t row, const struct verdict *v,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (v->n_hits == 0)
		return 0;
	r = store_prepare(st, &s,
	    "INSERT INTO hits (ticket_id, message_id,"
	    " rule, file, line, target, match, limit_hit)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    err);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < v->n_hits && r == 0; i++) {
		const struct verdict_hit *h = &v->hits[i];

		db_bind_int64(s, 1, id);
		db_bind_int64(s, 2, row);
		store_bind_text(s, 3, h->rule);
		store_bind_text(s, 4, h->file);
		db_bind_int(s, 5, h->line);
		store_bind_text(s, 6, h->target);
		store_bind_text(s, 7, h->match);
		db_bind_int(s, 8, h->limit_hit);
		if (db_step_nowait(s) != DB_DONE)
			r = store_sqlerr(st, err, "hit");
		db_reset(s);
	}
	store_release(st, &s);
	return r;
}

/*
 * Sets *new_r to 1 when ticket `id` has not counted rule `sc`'s score
 * in its dimension yet, and records that it now has (schema 11).
 */
static int
signal_new(struct store *st, int64_t id, const struct verdict_score *sc,
    int *new_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO score_signals (ticket_id, rule, dim)"
	    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	store_bind_text(s, 2, sc->rule);
	store_bind_text(s, 3, dim_name(sc->dim));
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "score signal");
	else
		*new_r = db_changes(st->db) > 0;
	store_release(st, &s);
	return r;
}

/*
 * What the verdict adds to the ticket's scores: each rule's score once
 * per ticket, not again with every follow-up or reprocess.  A verdict
 * without per-rule scores (or an older schema) adds its totals.
 */
static int
scores_to_add(struct store *st, int64_t id, const struct verdict *v,
    int add[DIM_COUNT], struct error *err)
{
	int fresh = 0;

	if (st->version < 10 || v->n_rule_scores == 0) {
		memcpy(add, v->scores, sizeof(v->scores));
		return 0;
	}
	memset(add, 0, sizeof(int) * DIM_COUNT);
	for (size_t i = 0; i < v->n_rule_scores; i++) {
		const struct verdict_score *sc = &v->rule_scores[i];

		if (signal_new(st, id, sc, &fresh, err) < 0)
			return -1;
		if (fresh)
			add[sc->dim] += sc->n;
	}
	return 0;
}

int
store_verdict_counts(int ignored, int copy, int opening, const char *direction)
{
	return !ignored && !copy && (opening || strcmp(direction, "in") == 0);
}

/*
 * Tags, scores and hits of a verdict onto ticket `id`, with one "classify"
 * event (source rule) saying what changed.  Queue and priority are only
 * set when the verdict opens the ticket (`opening`).
 */
int
store_apply_verdict(struct store *st, int64_t id, int64_t row,
    const struct verdict *v, int opening, struct error *err)
{
	static const struct store_actor rule = { "rules", STORE_SRC_RULE };
	struct db_stmt *s = NULL;
	int add[DIM_COUNT];
	struct buf d;
	int r = 0, added;

	if (v == NULL || (v->n_hits == 0 && v->n_tags == 0))
		return 0;
	buf_init(&d, 4096);
	for (size_t i = 0; i < v->n_tags && r == 0; i++) {
		r = store_add_tag_row(st, id, v->tags[i], &added, err);
		if (r == 0 && added)
			buf_printf(&d, "%stag %s", d.len ? ", " : "",
			    v->tags[i]);
	}
	if (r == 0)
		r = scores_to_add(st, id, v, add, err);
	if (r == 0)
		r = store_prepare(st, &s,
		    "UPDATE tickets SET"
		    " score_budget = score_budget + ?, score_authority ="
		    " score_authority + ?, score_need = score_need + ?,"
		    " score_timeline = score_timeline + ?,"
		    " score_fit = score_fit + ? WHERE id = ?",
		    err);
	if (r == 0) {
		for (int i = 0; i < DIM_COUNT; i++) {
			db_bind_int(s, i + 1, add[i]);
			if (add[i] != 0)
				buf_printf(&d, "%s%s %+d", d.len ? ", " : "",
				    dim_name((enum dim)i), add[i]);
		}
		db_bind_int64(s, 6, id);
		if (db_step(s) != DB_DONE)
			r = store_sqlerr(st, err, "scores");
		store_release(st, &s);
	}
	if (r == 0)
		r = add_hits(st, id, row, v, err);
	if (r == 0 && opening && v->queue != NULL)
		buf_printf(&d, "%squeue %s", d.len ? ", " : "", v->queue);
	if (r == 0 && opening && v->priority != PRIO_UNSET)
		buf_printf(&d, "%spriority %s", d.len ? ", " : "",
		    priority_name(v->priority));
	if (r == 0) {
		for (size_t i = 0; i < v->n_hits; i++)
			buf_printf(&d, "%s%s", i == 0 ? "; rules " : " ",
			    v->hits[i].rule);
		r = store_add_event(st, id, &rule, "classify",
		    d.data != NULL ? d.data : "", err);
	}
	buf_free(&d);
	return r;
}
