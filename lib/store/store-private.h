/*
 * Internals shared by lib/store/.  Nothing outside the store includes
 * this (tests may, for the migration hook).
 */
#ifndef TRIAGE_STORE_PRIVATE_H
#define TRIAGE_STORE_PRIVATE_H

#include "db.h"

#include "msgid.h"
#include "store.h"
#include "store-report.h"

#define STORE_STMT_CACHE 96

struct store_stmt {
	const char *sql;      /* foreign: a string literal, the cache key */
	struct db_stmt *stmt; /* owned */
	int busy;
};

/*
 * LIMIT's bound for "all rows": SQLite reads a negative LIMIT so, but
 * PostgreSQL refuses one.
 */
#define STORE_NO_LIMIT INT64_MAX

/* Savepoints nest this deep at most (the daemon uses three). */
#define STORE_MAX_DEPTH 16

struct store {
	struct db *db;	  /* owned */
	char *path;	  /* owned */
	int depth;	  /* 0: no transaction; 1: BEGIN; >1 savepoints */
	int64_t fts_from; /* first message row not full-text indexed, or 0 */
	/* fts_from as each savepoint began: a rollback to it restores it */
	int64_t fts_saved[STORE_MAX_DEPTH];
	store_clock_fn *clock;
	void *clock_arg;
	store_team_fn *team;
	void *team_arg;
	char *own_domain;		 /* owned; NULL: not set */
	char *unix_user;		 /* owned; NULL: not set */
	const struct accounts *accounts; /* foreign; NULL: none */
	const struct conf *hooks;	 /* foreign; NULL: no webhooks */
	struct msgid_key key;		 /* schema 11's instance row */
	int has_key;			 /* 0: an older schema */
	int legacy_ids; /* unsigned ids of ours count: mail was sent with
			   them before the key existed (or there is none) */
	int version;
	char *owner_id; /* owned: store_owner_id's answer, made once */
	struct store_stmt cache[STORE_STMT_CACHE];
};

/*
 * A prepared statement for `sql`, which must be a string literal (it is
 * the cache key).  Give it back with store_release, which resets it and
 * clears its bindings (or finalizes an uncached one) and sets *sp NULL.
 */
int store_prepare(struct store *st, struct db_stmt **stmt_r, const char *sql,
    struct error *err);
void store_release(struct store *st, struct db_stmt **sp);
/* Turn the last SQLite error into err (ERR_TEMP for busy/locked). */
int store_sqlerr(struct store *st, struct error *err, const char *what);
/*
 * Step `s` to its end, each row read by `read` into a new zeroed
 * element of `size` bytes appended to *v_r (*n_r counting them).  On
 * -1 (err set, "what" naming the list) the rows read so far stay in
 * *v_r for the caller to free with its own free function.
 */
int store_collect(struct store *st, struct db_stmt *s, size_t size,
    void (*read)(struct db_stmt *s, void *row), void **v_r, size_t *n_r,
    const char *what, struct error *err);
/*
 * Step a lookup: 1 with a row to read, 0 when there is none, -1 with
 * err set when the database failed (never read as "none").
 */
int store_step_row(struct store *st, struct db_stmt *s, const char *what,
    struct error *err);
/*
 * Step an `INSERT ... RETURNING id` (one statement, where a separate
 * lastval() would cost PostgreSQL a round trip): 0 with *id_r set, or -1
 * with err set ("what" naming the row), also when no row came back.
 */
int store_step_id(struct store *st, struct db_stmt *s, const char *what,
    int64_t *id_r, struct error *err);
/* Run SQL without parameters or results. */
int store_exec(struct store *st, const char *sql, struct error *err);

/*
 * Full-text indexing: store_fts_pending notes a message row inserted in
 * the open transaction; store_fts_flush indexes every row noted so far
 * in one statement (store_tx_leave does before COMMIT; run it before an
 * UPDATE of an indexed column, whose trigger expects the old row
 * indexed).  Returns 0, or -1 with err set.
 */
void store_fts_pending(struct store *st, int64_t id);
int store_fts_flush(struct store *st, struct error *err);

/*
 * A unit of work: BEGIN IMMEDIATE at depth 0, a savepoint inside an
 * open transaction.  store_tx_leave commits (ok) or rolls back (!ok) the
 * unit; returns -1 if the commit failed.
 */
int store_tx_enter(struct store *st, struct error *err);
int store_tx_leave(struct store *st, int ok, struct error *err);

/* Bind a C string, or NULL when s is NULL. */
int store_bind_text(struct db_stmt *s, int i, const char *v);
/* A column as an owned string; NULL for SQL NULL. */
char *store_col_text(struct db_stmt *s, int i);

/* `prefix` then `t` as "2026-11-09T10:00:00Z" (UTC) into buf, cut to len. */
void store_format_time(int64_t t, const char *prefix, char *buf, size_t len);

/* Append an event for ticket `id` (0: about no ticket, e.g. away). */
int store_add_event(struct store *st, int64_t id, const struct store_actor *a,
    const char *kind, const char *detail, struct error *err);

/*
 * An sla-breach event's detail for people, as an SQL expression of the
 * SQL expressions for its columns (events.sla_clock, sla_since,
 * sla_deadline, sla_rcpt): "claim since 2026-11-09T10:00:00Z due
 * 2026-11-09T14:00:00Z to alice@example.com".  Schema 8 reads old
 * details back into the columns only where the columns render the
 * detail again exactly (store.c).  The reminder writes the same words
 * from C (store-sla.c), since PostgreSQL has no strftime: keep the two
 * alike.
 */
#define STORE_SLA_DETAIL(clock, since, deadline, rcpt) \
	"(" clock " || ' since ' || strftime('%Y-%m-%dT%H:%M:%SZ', " since \
	", 'unixepoch') || ' due ' || strftime('%Y-%m-%dT%H:%M:%SZ', " deadline \
	", 'unixepoch') || coalesce(' to ' || " rcpt ", ''))"

/* events.sla_clock's words: STORE_SLA_NONE for NULL or anything else. */
enum store_sla_clock store_sla_clock_parse(const char *s);

/*
 * Is `addr` a team member's (store_set_team's callback)?  0 when no
 * callback is set or addr is NULL or empty.
 */
int store_is_team(struct store *st, const char *addr);

/*
 * Own mail (store-own.c; store.c reads st->key after the migrations).
 * store_own_check: is `m` mail we sent (a verified X-Triage-Token on its
 * Message-ID or Resent-Message-ID)?  1 with *ticket_r (0: about no
 * ticket, or one that is gone) and the detail for its event in `why`,
 * 0 when it is not ours (a forged or expired token is not), -1 with err.
 */
/*
 * A merged stub's target, followed to the ticket that holds the thread
 * now (store-merge.c); *id unchanged when it is no stub.
 */
int store_follow_merge(struct store *st, int64_t *id, struct error *err);
/* Is there a ticket `id`?  1 yes, 0 no, -1 with err (store-thread.c). */
int store_ticket_exists(struct store *st, int64_t id, struct error *err);
int store_own_check(struct store *st, const struct msg *m, int64_t *ticket_r,
    char *why, size_t why_len, struct error *err);

/* What threading needs to know about the message being placed. */
struct placing {
	int64_t row; /* messages.id; 0: insert it once placed */
	const struct store_ingest_in *in; /* for that insert */
	const char *status;
	const char *why;
	const struct msg *msg;
	const char *message_id;
	const char *mailbox;
	const char *queue; /* the mailbox's default queue */
	const struct verdict *verdict;
	const struct store_actor *actor;
	const char *direction;
	int ignored;
	int copy; /* the same Message-ID came from another mailbox */
};

/*
 * Ingest internals that reprocessing (store-reprocess.c) shares, in
 * store-ingest.c.
 */
/* "in", "out" or "internal" (see README "Tickets and the CLI"). */
int store_direction(struct store *st, const struct msg *m, const char **dir_r,
    struct error *err);
/* Bind the parsed fields shared by insert and reprocess (?2 .. ?18). */
void store_bind_parsed(struct db_stmt *s, const struct msg *m,
    const char *direction);
/*
 * Thread a message into a ticket and apply its verdict; a new message
 * (p->row 0) is inserted once its ticket is known.
 */
int store_place(struct store *st, struct placing *p,
    struct store_ingest_result *res, struct error *err);

/*
 * Threading, in store-thread.c, in the order store_place uses it.  Each
 * returns 0, or -1 with err set.
 */
/* Step 1: the ticket of a stored message with Message-ID `mid`, or 0. */
int store_ticket_of_msgid(struct store *st, const char *mid, int64_t *ticket_r,
    struct error *err);
/*
 * Steps 2-3: the ticket of a stored message (or of our forward) that
 * In-Reply-To or References name, else of a stored reply or sibling
 * awaiting this message or its parent; 0 when none.
 */
int store_thread_by_headers(struct store *st, const struct placing *p,
    int64_t *ticket_r, struct error *err);
/*
 * Step 4: the ticket of a [#ID] subject token when the sender is on the
 * team or a participant; an outsider's token sets *related_r instead.
 * Both are left alone when there is no token or no such ticket.
 */
int store_thread_by_token(struct store *st, const struct placing *p,
    int64_t *ticket_r, int64_t *related_r, struct error *err);
/*
 * The message p->row joins existing ticket `id`: a "copy" or "message"
 * event; unless ignored or a copy, the ticket is touched, and a customer
 * message sets its customer if unknown, reopens it if closed, and is
 * queued for forwarding when it is routed.
 */
int store_join_ticket(struct store *st, const struct placing *p, int64_t id,
    struct error *err);
/* The sender, To and Cc of `m` become participants of ticket `id`. */
int store_add_participants(struct store *st, int64_t id, const struct msg *m,
    struct error *err);
/*
 * Record the references of p->msg that are not stored yet as awaited by
 * ticket `id`, so a parent arriving later joins it (step 3).
 */
int store_await_missing(struct store *st, const struct placing *p, int64_t id,
    struct error *err);

/* A verdict onto a ticket, in store-verdict.c. */
/* Add a tag row; *added_r is 1 when it was not there yet. */
int store_add_tag_row(struct store *st, int64_t id, const char *tag,
    int *added_r, struct error *err);
/*
 * Tags, scores and hits of a verdict onto ticket `id`, with one
 * "classify" event; queue and priority only when `opening`.  Nothing
 * happens for a NULL verdict or one without tags and hits.
 */
int store_apply_verdict(struct store *st, int64_t id, int64_t row,
    const struct verdict *v, int opening, struct error *err);
/*
 * Whether a message's verdict counts on its ticket, at ingest and at
 * reprocess alike: rules judge the customer, so a team member's reply
 * joining a ticket (direction not "in") adds no tags, scores or hits
 * (it opens one normally); nor does an ignored message or a copy from
 * another mailbox (classified once already).
 */
int store_verdict_counts(int ignored, int copy, int opening,
    const char *direction);

/*
 * Migrate an open database up to `target` (tests use this to build v1);
 * safe while other processes open or migrate the same database: each
 * migration runs once, under the write lock, and the version never goes
 * down.  A database locked past the busy timeout is ERR_TEMP.
 */
int store_migrate(struct store *st, int target, struct error *err);
/*
 * Take the ingest lock for the rest of the open transaction: a
 * PostgreSQL transaction advisory lock (taking it again is free of
 * waits); nothing on SQLite.  0, or -1 with err set.
 */
int store_ingest_lock(struct store *st, struct error *err);
/*
 * PostgreSQL's schema at STORE_SCHEMA_VERSION (store-schema-pg.c): the
 * statements store.c runs on an empty database under its advisory lock.
 */
extern const char store_pg_schema[];
/* The first schema store_pg_schema creates; then each upgrade, in order. */
#define STORE_PG_BASE_VERSION 16
extern const char *const store_pg_upgrades[];
extern const size_t store_pg_n_upgrades;
/* Open without migrating (tests).  */
int store_open_raw(const char *path, struct store **st_r, struct error *err);

/* ---- store-outbox.c: the one writer of outbox rows ---- */

/* A row to queue.  Pointers foreign. */
struct store_outbox_new {
	int64_t ticket_id;   /* 0 (NULL): a report, about no one ticket */
	const char *kind;    /* "forward" "answer" "reminder" "report" */
	int64_t message_row; /* a follow-up's message, an answer's command
				mail; 0: none (a forward of the whole
				thread, pinned to its last message) */
	const char *route;   /* forward: a route of triage.conf, or
				STORE_ROUTE_OWNER (resolved when sent) */
	const char *rcpt;    /* answer, reminder, report: the recipients */
	const char *note;    /* as struct store_outbox's; may be NULL */
	const char *html;    /* report: the HTML part; else NULL */
};

/*
 * Queue `o`, due now, inside the caller's unit of work (or its own).  The
 * id of the new row goes to *id_r (may be NULL).  Every outbox row is
 * written here.  Returns 0, or -1 with err set.
 */
int store_outbox_add(struct store *st, const struct store_outbox_new *o,
    int64_t *id_r, struct error *err);

#endif
