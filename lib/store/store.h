/*
 * The ticket store: every message, ticket, event and outbox row lives in
 * one SQLite database (WAL).  SQLite is used only in lib/store/.
 *
 *   store.c         open, pragmas, migrations, transactions, clock
 *   store-ingest.c  exactly-once ingest: message row, new ticket, checkpoint
 *   store-thread.c  which ticket a message joins; participants, awaited
 *   store-verdict.c  a verdict's tags, scores and hits onto a ticket
 *   store-reprocess.c  a stored message parsed and classified again
 *   store-ticket.c  the ticket workflow (claim, route, ack, ...)
 *   store-query.c   queue, show, search, raw mail for reprocessing
 *
 * struct store is an object (opaque); the store_ticket / store_detail
 * records it hands out are plain and owned by the caller.
 *
 * Every function returns 0 on success or -1 with `err` set.  The code says
 * what went wrong: ERR_TEMP (database locked or busy: retry later),
 * ERR_REFUSED (an illegal transition; the message says why),
 * ERR_NOTFOUND (no such ticket or message), ERR_USAGE (bad argument),
 * ERR_INTERNAL (anything else, e.g. a corrupt or newer database).
 * Out-params (*_r) are untouched on failure.
 *
 * Transactions: a function called outside store_begin()/store_commit()
 * runs in its own transaction.  Called inside one (the daemon's IMAP
 * batch, a mail command applied with its message) it becomes part of it:
 * on failure its own changes are rolled back (a savepoint), the outer
 * transaction stays open and the caller decides to commit or roll back.
 */
#ifndef TRIAGE_STORE_H
#define TRIAGE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "mime.h"
#include "verdict.h"

struct store;

/* Newest schema version this code knows (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 17

/* Where a change came from; stored in events.source. */
enum store_source {
	STORE_SRC_CLI = 0, /* "cli" */
	STORE_SRC_MAIL,	   /* "mail": a mail command */
	STORE_SRC_RULE,	   /* "rule": a classification rule */
	STORE_SRC_DAEMON,  /* "daemon": ingest, reminders */
};

/* Who acts: the person (or "triaged") and where the change came from. */
struct store_actor {
	const char *name;
	enum store_source source;
};

enum store_state {
	STATE_NEW = 0,
	STATE_CLAIMED,
	STATE_ROUTED,
	STATE_ACKNOWLEDGED,
	STATE_CLOSED,
	STATE_IGNORED,
	STATE_WAITING, /* claimed, on the customer: no SLA clock runs */
	STATE_MERGED,  /* a stub: its thread moved to another ticket */
};

/* "new" "claimed" "routed" "acknowledged" "closed" "ignored" "waiting"
 * "merged". */
const char *store_state_name(enum store_state s);
/* Returns 0 and sets *state_r, or -1 when `s` names no state. */
int store_state_parse(const char *s, enum store_state *state_r);

/* Seconds since the epoch, UTC.  The default is time(NULL). */
typedef int64_t store_clock_fn(void *arg);
/* Is `address` (lowercased) a team member's?  1 yes, 0 no. */
typedef int store_team_fn(void *arg, const char *address);

/*
 * Is `target` a database server's address (a PostgreSQL URI or
 * conninfo) rather than a file's path?  Then nothing about it is a file:
 * no lock beside it, no mode, no "is it there" before opening.
 */
int store_target_is_server(const char *target);
/*
 * Open (creating if needed) the database at `path` and bring its schema
 * up to STORE_SCHEMA_VERSION, each migration in its own transaction.
 * A database written by a newer triage is refused (ERR_INTERNAL, the
 * message names both versions); a locked one gives ERR_TEMP.
 * On success *st_r is the caller's (free with store_close).
 */
int store_open(const char *path, struct store **st_r, struct error *err);
/*
 * For commands that only read (queue, show, search, report, status,
 * outbox): as store_open() when this user can write the database, else
 * read-only, without migrations: SQLite's "mode=ro", or "immutable=1"
 * when the WAL's -shm file cannot be created and the -wal file holds
 * nothing.  A read-only database whose schema is not current is refused
 * (ERR_TEMP).  Anything that writes through a read-only store fails.
 * That is store_open_read_pw, below, with the password file.
 *
 * store_open() and store_open_read_pw() on a PostgreSQL database whose
 * password is the first line of `password_file` (triage.conf's
 * password_file; refused when group or others may read it).  NULL:
 * libpq's own PGPASSFILE or ~/.pgpass, or no password.  SQLite ignores
 * it.  The password is never kept nor put in err.
 */
int store_open_pw(const char *path, const char *password_file,
    struct store **st_r, struct error *err);
int store_open_read_pw(const char *path, const char *password_file,
    struct store **st_r, struct error *err);
/*
 * Can this user write the database at `path` (the file, and its
 * directory for the WAL's -wal and -shm, unless they exist writable)?
 * Returns 0, or -1 with err set (ERR_TEMP) saying which and why.
 * store_open() checks this first, so a writer on a read-only database
 * fails at once with that reason.
 */
int store_check_writable(const char *path, struct error *err);
/* What store_copy moved. */
struct store_copy_stats {
	size_t tables;
	uint64_t rows;
};
/*
 * Copy every row of every table of `from` (SQLite) into `to`
 * (PostgreSQL), both opened with store_open (so at this schema), ids
 * kept, in one transaction on `to`: all or nothing.  `to` must hold no
 * ticket (ERR_USAGE says so); what store_open put in it is replaced.
 * Progress goes to `tty` when it is a terminal (NULL: none).  Returns 0
 * with *stats_r filled (may be NULL), or -1 with err set.
 */
int store_copy(struct store *from, struct store *to, FILE *tty,
    struct store_copy_stats *stats_r, struct error *err);
/* Roll back any open transaction, close, set *stp to NULL; accepts NULL. */
void store_close(struct store **stp);

/*
 * The page cache of this connection, in KiB (the default is 32 MB).  The
 * daemon's writer only appends and looks up by index, and keeps its
 * memory bounded with a smaller one.
 */
int store_set_cache_size(struct store *st, int kib, struct error *err);

/* The clock all timestamps come from (tests, SLA replays).  NULL: time(). */
void store_set_clock(struct store *st, store_clock_fn *fn, void *arg);
/*
 * Who is on the team.  Threading (subject tokens), message direction and
 * customer detection use it.  NULL (the default): nobody is.
 */
void store_set_team(struct store *st, store_team_fn *fn, void *arg);
/*
 * Our own Message-ID domain (smtp.from's): a reply naming one of our
 * forwards' Message-IDs (msgid_ticket) threads into its ticket.
 * NULL (the default): such replies thread only by stored Message-IDs.
 * The string is copied.
 */
void store_set_own_domain(struct store *st, const char *domain);
struct conf;
/*
 * Webhooks (conf `webhooks`): every event a hook's `events` filter wants
 * is queued for it in the webhooks table, in the event's transaction.
 * `c` is foreign and must outlive its use (a reload sets the new one);
 * NULL (the default): nothing is queued.  ingest_store_setup sets it.
 */
void store_set_webhooks(struct store *st, const struct conf *c);
struct accounts;
/*
 * Key accounts (accounts.csv): a new ticket whose customer's domain is
 * a key account's records the account and tier and, unless the rules
 * set a priority, starts at the tier's (account_tier_priority).  `a` is
 * foreign and must outlive its use; NULL (the default): no accounts.
 * Both ingest paths (triaged, triage ingest) get it from here.
 */
void store_set_accounts(struct store *st, const struct accounts *a);
/*
 * The route name that forwards to the key account's owner.  Routing to
 * it goes through store_route_owner ("#route owner", `triage route ID
 * owner`); the outbox looks the address up again when it sends.
 */
#define STORE_ROUTE_OWNER "owner"
struct conf;
/*
 * The address route "owner" forwards ticket `id` to: its key account's
 * owner (accounts.csv's owner column), an address as it is or a team
 * member's name made their address through `c`.  A new string in
 * *addr_r.  ERR_REFUSED saying why when the customer is no key account,
 * the account has no owner or the owner is neither an address nor in the
 * team; ERR_NOTFOUND when there is no such ticket.
 */
int store_owner_address(struct store *st, int64_t id, const struct conf *c,
    char **addr_r, struct error *err);
/*
 * store_route to STORE_ROUTE_OWNER, refused as store_owner_address
 * refuses when the owner has no address now.
 */
int store_route_owner(struct store *st, int64_t id, const struct conf *c,
    const char *note, const struct store_actor *a, struct error *err);
/*
 * The Unix user running this process, recorded in events.unix_user
 * beside the acting name of every event written through `st` from now
 * on (the CLI sets it; the daemon does not: NULL).  Copied.
 */
void store_set_unix_user(struct store *st, const char *user);
struct msgid_key;
/*
 * This database's signing identity (schema 11, lib/mail/msgid.h): what
 * the outbox signs our Message-IDs and X-Triage-Token with.  NULL on an
 * older schema.  Lives as long as `st`.
 */
const struct msgid_key *store_msgid_key(struct store *st);
/* The current time by the store's clock. */
int64_t store_now(struct store *st);
/* The schema version of the open database. */
int store_schema_version(struct store *st);

/*
 * One write transaction (BEGIN IMMEDIATE: the write lock is taken now, so
 * a busy database fails here with ERR_TEMP, not halfway through).
 * store_rollback accepts a store with no transaction open.
 */
int store_begin(struct store *st, struct error *err);
int store_commit(struct store *st, struct error *err);
void store_rollback(struct store *st);

/* ---- ingest (store-ingest.c) ---- */

/* What to store: one message as fetched from a mailbox or a file. */
struct store_ingest_in {
	const char *mailbox;	     /* mailbox name (conf), required */
	const char *mailbox_address; /* its shared address, or NULL */
	const char *queue;	     /* the mailbox's default queue, required */
	int64_t uidvalidity;	     /* 0 for CLI / pipe ingest */
	int64_t uid;		     /* 0 for CLI / pipe ingest */
	const char *raw;	     /* the message's bytes, stored as-is */
	size_t raw_len;
	const struct msg *msg;	 /* parsed record; NULL when parsing failed */
	const char *parse_error; /* why, when msg is NULL */
	const struct verdict *verdict; /* may be NULL: the mailbox's queue */
	struct store_actor actor; /* who ingests: "triaged"/daemon, user/cli */
};

struct store_ingest_result {
	int64_t ticket_id;  /* 0 when the message failed to parse */
	int64_t message_id; /* messages.id (the existing row if duplicate) */
	int duplicate;	    /* 1: already stored, nothing changed */
	int new_ticket;	    /* 1: this message opened the ticket */
	int ignored;	    /* 1: stored with the verdict's ignore reason */
	int own;	    /* 1: our own mail come back (ignored "own mail") */
	int64_t related_to; /* a ticket the subject named but did not join */
};

/*
 * Store one message exactly once, thread it, apply the verdict, write its
 * events (and an outbox row when it joins a routed ticket).  A message
 * already stored (same mailbox + uidvalidity + uid, or same mailbox +
 * Message-ID) changes nothing and sets res->duplicate.  A message that
 * failed to parse is stored with its raw bytes and error and no ticket;
 * one the verdict ignores is stored with its reason in an "ignored"
 * ticket (or in the ticket it threads into, without reopening it).
 * Does not move the mailbox checkpoint: store_mailbox_checkpoint does.
 */
int store_ingest_msg(struct store *st, const struct store_ingest_in *in,
    struct store_ingest_result *res_r, struct error *err);

/*
 * Record that `mailbox` has been read up to `last_uid` under
 * `uidvalidity` (never moves backwards under the same uidvalidity).
 * Call it inside the batch's transaction so messages and checkpoint
 * commit together.
 */
int store_mailbox_checkpoint(struct store *st, const char *mailbox,
    int64_t uidvalidity, int64_t last_uid, struct error *err);
/* The checkpoint; 0/0 for a mailbox never seen. */
int store_mailbox_get(struct store *st, const char *mailbox,
    int64_t *uidvalidity_r, int64_t *last_uid_r, struct error *err);

/* One-shot form: begin, store_ingest_msg, checkpoint (if uid), commit. */
int store_ingest(struct store *st, const struct store_ingest_in *in,
    struct store_ingest_result *res_r, struct error *err);

/*
 * Reprocessing (store-reprocess.c): replace a stored message's parsed
 * fields (and, for a message that had failed, thread it now) after a
 * parser or rule change.  `msg` NULL with `parse_error` keeps it failed.
 * Changes to the ticket (queue, priority, tags, scores, hits) are written
 * as "reprocess" events by `actor`.
 */
int store_reprocess_msg(struct store *st, int64_t message_id,
    const struct msg *msg, const char *parse_error,
    const struct verdict *verdict, const struct store_actor *actor,
    struct error *err);

/* ---- workflow (store-ticket.c) ----
 *
 * Each checks the transition against the state diagram and refuses an
 * illegal one with ERR_REFUSED and a message that says why ("ticket 12
 * is claimed by alice").  Each writes one event (actor, source, kind,
 * detail) in the same transaction as the change.
 */
/* new -> claimed.  A claimed ticket is refused unless `steal` (logged). */
int store_claim(struct store *st, int64_t id, const struct store_actor *a,
    int steal, struct error *err);
/*
 * claimed -> routed (a rule may route a new ticket).  Records the route
 * and queues a forward of the thread in the outbox; `note` may be NULL.
 * The route name is not checked here: the caller knows the config.
 */
int store_route(struct store *st, int64_t id, const char *route,
    const char *note, const struct store_actor *a, struct error *err);
/* routed -> acknowledged. */
int store_ack(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err);
/* Mark qualified, raising each named BANT dimension's score by 1. */
int store_qualify(struct store *st, int64_t id, const enum dim *dims,
    size_t n_dims, const struct store_actor *a, struct error *err);
/* Mark disqualified with a reason, and close. */
int store_disqualify(struct store *st, int64_t id, const char *reason,
    const struct store_actor *a, struct error *err);
int store_set_priority(struct store *st, int64_t id, enum priority p,
    const struct store_actor *a, struct error *err);
/* Add a tag (lowercased); a tag already there is no change and no event.
 * A tag that is not a tag name (command_tag_check: what "#tag NAME"
 * takes) is refused with ERR_USAGE and command_tag_check's words.
 * Setting the priority the ticket already has is likewise no change. */
int store_tag(struct store *st, int64_t id, const char *tag,
    const struct store_actor *a, struct error *err);
int store_note(struct store *st, int64_t id, const char *text,
    const struct store_actor *a, struct error *err);
/* any open state -> closed. */
int store_close_ticket(struct store *st, int64_t id,
    const struct store_actor *a, struct error *err);
/* closed or ignored -> new (owner and route cleared). */
int store_reopen(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err);
/* Mark a customer-story candidate. */
int store_story(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err);
/*
 * claimed (or waiting) -> new: owner cleared, the claim clock runs
 * again from now (an "unclaim" event, which store-sla.c reads).
 */
int store_unclaim(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err);
/*
 * claimed -> waiting (a new ticket is claimed first): on the customer,
 * no SLA clock runs.  `until` > 0: the periodic job ends the wait then
 * (store_waiting_due); 0: only the customer's next message does.
 */
int store_wait(struct store *st, int64_t id, int64_t until,
    const struct store_actor *a, struct error *err);
/*
 * waiting -> claimed, the wait's time added to tickets.waited, a
 * "resume" event saying `why`; `rcpt` not NULL: a "reminder" outbox row
 * to it with `text` (subject line, blank line, body), in the same unit.
 * ERR_REFUSED when the ticket is not waiting.
 */
int store_wait_end(struct store *st, int64_t id, const char *why,
    const char *rcpt, const char *text, const struct store_actor *a,
    struct error *err);
/* What the day's decisions need of a ticket, without its thread. */
struct store_brief {
	enum store_state state;
	char owner[256]; /* "" when none */
	char queue[256];
	int64_t wait_since; /* state waiting: since when */
	int has_customer;   /* 0: only our side wrote so far */
};
int store_ticket_brief(struct store *st, int64_t id, struct store_brief *b_r,
    struct error *err);
/*
 * Waiting tickets whose wait_until has come by the store's clock,
 * oldest first, at most `limit`; *ids_r owned by the caller.
 */
int store_waiting_due(struct store *st, size_t limit, int64_t **ids_r,
    size_t *n_r, struct error *err);
/*
 * Merge ticket `id` into `into`: messages, hits, tags, participants,
 * mailboxes and scores move; `id` becomes a 'merged' stub pointing at
 * `into`, its events shown with into's by store_show; later mail that
 * threads into the stub joins `into`.  Refused (ERR_REFUSED) when
 * either is merged already, `into` is closed, or the customers differ
 * and `force` is 0.
 */
int store_merge(struct store *st, int64_t id, int64_t into, int force,
    const struct store_actor *a, struct error *err);

/* ---- away and auto-assignment (store-away.c) ---- */

/*
 * `name` is away from now until `until` (0: until they act again or
 * are back).  `is_auto`: an auto-reply of theirs said so (any act of
 * theirs ends it).  An "away" event about no ticket.
 */
int store_away(struct store *st, const char *name, int64_t until, int is_auto,
    const char *reason, const struct store_actor *a, struct error *err);
/*
 * `name` is back: a "back" event when they were away (*was_r 1), else
 * nothing (*was_r 0).  `only_auto`: only an auto-reply's away ends.
 */
int store_back(struct store *st, const char *name, int only_auto,
    const struct store_actor *a, int *was_r, struct error *err);
/* Is `name` away now (an until in the past is over)?  1, 0, -1. */
int store_is_away(struct store *st, const char *name, struct error *err);
/* Someone away: for `triage away` without a name and status. */
struct store_away_rec {
	char *name; /* owned */
	int64_t since;
	int64_t until; /* 0: until they act */
	int is_auto;
	char *reason; /* owned */
};
int store_away_list(struct store *st, struct store_away_rec **v_r, size_t *n_r,
    struct error *err);
void store_away_free(struct store_away_rec **vp, size_t n);
/* How many tickets `name` holds open (claimed or waiting). */
int store_open_count(struct store *st, const char *name, int64_t *n_r,
    struct error *err);
/* Round-robin's last pick for assign block `cursor` ("" if none yet). */
int store_assign_last(struct store *st, const char *cursor, char *last,
    size_t len, struct error *err);
/*
 * new -> claimed by `owner` for the daemon (an "assign" event saying
 * `why`), and the cursor's last pick is `owner` (cursor NULL: left
 * alone).  ERR_REFUSED when the ticket is not new.
 */
int store_assign(struct store *st, int64_t id, const char *owner,
    const char *cursor, const char *why, const struct store_actor *a,
    struct error *err);

/* Free-form event (e.g. "reminder" from the SLA clock). */
int store_event(struct store *st, int64_t id, const struct store_actor *a,
    const char *kind, const char *detail, struct error *err);

/* ---- for mail commands (store-mailcmd.c) ---- */

/*
 * A unit of work around several calls: a transaction at the top level, a
 * savepoint inside an open one.  store_unit_end commits or releases it
 * (ok) or rolls back everything done since store_unit_begin (!ok); the
 * surrounding transaction stays open.  Returns -1 when the commit of a
 * top-level unit failed.
 */
int store_unit_begin(struct store *st, struct error *err);
int store_unit_end(struct store *st, int ok, struct error *err);

/*
 * Queue an answer to a mail command: an outbox row of kind "answer" for
 * `ticket_id`, to `rcpt` (a bare address), answering stored message
 * `message_row` (0: none), whose body is `text` (kept in outbox.note).
 * The outbox sender builds the mail (forward_answer_build) when it sends
 * it.  Sets *id_r to the row's id (the event id of its Message-ID).
 */
int store_queue_answer(struct store *st, int64_t ticket_id, int64_t message_row,
    const char *rcpt, const char *text, int64_t *id_r, struct error *err);
/* An answer row, with what the answer needs of the message it answers. */
struct store_answer {
	int64_t id; /* outbox.id */
	int64_t ticket_id;
	char *rcpt; /* owned, like every string here */
	char *text;
	char *in_reply_to; /* the answered message's Message-ID, or NULL */
	char *refs;	   /* its References, space-separated, or NULL */
	char *subject;	   /* its subject (else the ticket's) */
};

/*
 * Read answer row `outbox_id` into *a_r (free with store_answer_clear);
 * ERR_NOTFOUND when there is no such row or it is not an answer.
 */
int store_answer_get(struct store *st, int64_t outbox_id,
    struct store_answer *a_r, struct error *err);
void store_answer_clear(struct store_answer *a);
/* How many answers to `rcpt` were queued at or after `since`. */
int store_answers_since(struct store *st, const char *rcpt, int64_t since,
    int64_t *n_r, struct error *err);

/*
 * How many messages with the same Message-ID as stored message
 * `message_row` were stored before it (a mail copied to two shared
 * mailboxes is stored once per mailbox; its commands apply once).
 */
int store_message_copies(struct store *st, int64_t message_row, int64_t *n_r,
    struct error *err);

/* ---- queries (store-query.c) ---- */

struct store_ticket {
	int64_t id;
	char *subject; /* owned, like every string here */
	enum store_state state;
	char *queue;
	enum priority priority;
	char *owner;	  /* NULL when unclaimed */
	char *route;	  /* NULL when not routed */
	char *customer;	  /* NULL when unknown */
	char *account;	  /* the customer's key account, or NULL */
	char *tier;	  /* its tier ("strategic" "key" "standard") */
	char **mailboxes; /* every mailbox the thread arrived in */
	size_t n_mailboxes;
	char **tags;
	size_t n_tags;
	int scores[DIM_COUNT];
	int qualified;	      /* 1 qualified, -1 disqualified, 0 neither */
	char *qualify_reason; /* disqualify reason, or NULL */
	int story;
	char *ignore_reason; /* NULL unless ignored by a rule */
	int64_t related_to;  /* 0 or the ticket a subject token named */
	int64_t created;
	int64_t updated;
};

struct store_message {
	int64_t id;
	char *message_id;
	char *from; /* address */
	char *from_name;
	char *to; /* "a@x, b@y" */
	char *cc;
	int64_t date;
	char *direction; /* "in" "out" "internal" */
	char *subject;
	char *text;
	char *mailbox;
	char *status; /* "ok" "failed" "ignored" */
	char *error;  /* parse error or ignore reason, or NULL */
};

struct store_hit {
	char *rule;
	char *file;
	int line;
	char *target;
	char *match;
};

struct store_event_rec {
	int64_t at;
	char *actor;
	char *unix_user; /* NULL: not a CLI change, or before schema 10 */
	char *source;
	char *kind;
	char *detail;
};

/* A ticket with its thread (one row per Message-ID), hits and events. */
struct store_detail {
	struct store_ticket t;
	struct store_message *messages; /* by date */
	size_t n_messages;
	struct store_hit *hits;
	size_t n_hits;
	struct store_event_rec *events; /* oldest first; a ticket's own and
					   those of tickets merged into it */
	size_t n_events;
	int64_t merged_into; /* state merged: the ticket it went into */
	int64_t wait_since;  /* state waiting: since when, and until when */
	int64_t wait_until;  /* (0: until the customer writes) */
	int64_t waited;	     /* seconds waited before, all waits summed */
};

struct store_filter {
	const char *queue; /* NULL: any */
	const char *owner; /* NULL: any */
	int state;	   /* -1: every open state (not closed/ignored) */
	size_t limit;	   /* 0: no limit */
};

/*
 * Tickets matching `f`, highest priority first, then oldest first.
 * *v_r is an owned array (free with store_tickets_free); may be empty.
 */
int store_queue(struct store *st, const struct store_filter *f,
    struct store_ticket **v_r, size_t *n_r, struct error *err);
/* Full-text search (FTS5 syntax) over subject, addresses and text. */
int store_search(struct store *st, const char *query, size_t limit,
    struct store_ticket **v_r, size_t *n_r, struct error *err);
void store_tickets_free(struct store_ticket **vp, size_t n);

/* One ticket in full; ERR_NOTFOUND when there is none. */
int store_show(struct store *st, int64_t id, struct store_detail **d_r,
    struct error *err);
void store_detail_free(struct store_detail **dp);

/*
 * Ids of messages to reprocess: those of the given tickets, or (`failed`)
 * every message whose parse failed.  *ids_r is owned by the caller.
 */
int store_messages_for_ticket(struct store *st, int64_t ticket_id,
    int64_t **ids_r, size_t *n_r, struct error *err);
int store_messages_failed(struct store *st, int64_t **ids_r, size_t *n_r,
    struct error *err);
/*
 * The raw bytes of a stored message (owned by the caller, NUL-terminated),
 * with its mailbox name (owned) for classification.
 */
int store_message_raw(struct store *st, int64_t message_id, char **raw_r,
    size_t *len_r, char **mailbox_r, struct error *err);

/*
 * PRAGMA integrity_check and foreign_key_check: 0 when both are clean,
 * else -1 with the first problem in err (ERR_INTERNAL).
 */
int store_check(struct store *st, struct error *err);

/* Counts ("tickets" "messages" "events" "outbox" "failed"). */
int store_count(struct store *st, const char *what, int64_t *n_r,
    struct error *err);

#endif
