/*
 * Several triaged on one database (../shared/SCALE.md): leases, the
 * fenced checkpoint and instances.
 *
 * A lease is a named row (STORE_LEASE_MAILBOX "NAME" for each mailbox,
 * STORE_LEASE_SLA for the SLA pass and digest) with an owner (an
 * instance id, "host:pid:start"; "" when free), an epoch raised on
 * every change of owner, and an expiry in milliseconds of the
 * database's clock, so hosts whose clocks differ agree on it.  Leases
 * are rows, not session advisory locks: visible in `triage status`,
 * fenceable in the batch transaction, and free once expired however
 * their owner died.
 *
 * On SQLite they work the same (one triaged per database is also held
 * by the flock of engine-lock.c, so there the first instance simply
 * holds every lease).
 */
#ifndef TRIAGE_STORE_LEASE_H
#define TRIAGE_STORE_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct store;

#define STORE_LEASE_MAILBOX "mailbox:" /* then the mailbox's name */
#define STORE_LEASE_SLA "sla"
#define STORE_LEASE_NAME_MAX 320 /* "mailbox:" + a mailbox name, bounded */

/* ---- who we are ---- */

/*
 * The owner id this store's leases, send leases and instance row carry:
 * "host:pid:start" of this process unless store_set_owner_id set one
 * (tests that play two instances in one process).
 */
const char *store_owner_id(struct store *st);
void store_set_owner_id(struct store *st, const char *id);

/*
 * A session that sits idle inside a transaction for longer than `ms` is
 * ended by the server (PostgreSQL's idle_in_transaction_session_timeout;
 * nothing on SQLite): a daemon stopped or cut off in the middle of a
 * batch then no longer holds the ingest lock and the rows it locked
 * until it wakes, stalling every other instance.  0 or -1 with err.
 */
int store_set_idle_limit(struct store *st, int ms, struct error *err);

/* ---- the database's clock ---- */

/* Milliseconds since 1970 by the database's clock. */
int store_db_now_ms(struct store *st, int64_t *ms_r, struct error *err);

/* ---- leases ---- */

struct store_lease {
	char *name;	 /* owned */
	char *owner;	 /* owned; "" when free */
	int64_t epoch;	 /* raised on every change of owner */
	int64_t expires; /* ms, database clock */
	int64_t now;	 /* ms, database clock when read */
};

/*
 * Take `name` for `owner` for ttl_ms: when it is free, expired, or
 * already ours (then renewed, epoch kept).  A change of owner raises
 * the epoch, and so does taking back our own lease once it expired
 * (work begun before the expiry must fail its check).  Own transaction
 * (or a savepoint of the caller's).
 * Returns 1 taken (*epoch_r set), 0 held by another (*holder_r, when
 * not NULL, gets an owned copy of its owner), -1 with err (ERR_TEMP
 * for an outage).
 */
int store_lease_take(struct store *st, const char *name, const char *owner,
    int ttl_ms, int64_t *epoch_r, char **holder_r, struct error *err);
/*
 * Extend our lease: 1 renewed, 0 lost (another owner, another epoch,
 * or expired: a lease that expired is never renewed, since someone may
 * have acted on its expiry), -1 with err.
 */
int store_lease_renew(struct store *st, const char *name, const char *owner,
    int64_t epoch, int ttl_ms, struct error *err);
/* Give our lease back at once (owner "", expired); 0 or -1 with err. */
int store_lease_release(struct store *st, const char *name, const char *owner,
    int64_t epoch, struct error *err);
/*
 * Inside the caller's transaction: 1 when `owner` holds `name` at
 * `epoch` unexpired, and the row is locked against a takeover until the
 * transaction ends (FOR SHARE on PostgreSQL; SQLite's writer lock does
 * it there); 0 when not (the caller rolls back: a stale owner commits
 * nothing); -1 with err.  A lease that expires after the check is still
 * the caller's until its commit: a take waits for it, then sees the
 * lease as the commit left it.  So does a renew or release of the same
 * lease from another connection (a keeper thread): on PostgreSQL it
 * waits for the transaction that checked.
 */
int store_lease_check(struct store *st, const char *name, const char *owner,
    int64_t epoch, struct error *err);
/* Every lease whose name starts with `prefix` ("" for all), by name. */
int store_leases(struct store *st, const char *prefix, struct store_lease **v_r,
    size_t *n_r, struct error *err);
void store_leases_free(struct store_lease **vp, size_t n);

/* ---- flag/move progress of a mailbox ---- */

/* How far the mailbox's mail was flagged or moved (0/0: never). */
int store_mailbox_acted_get(struct store *st, const char *mailbox,
    int64_t *uidvalidity_r, int64_t *acted_uid_r, struct error *err);
/* Record it (a new UIDVALIDITY resets; else it only advances). */
int store_mailbox_acted(struct store *st, const char *mailbox,
    int64_t uidvalidity, int64_t acted_uid, struct error *err);

/* ---- instances ---- */

struct store_instance {
	char *id;   /* owned: "host:pid:start" */
	char *host; /* owned */
	int64_t pid;
	int64_t started;   /* s since 1970 */
	int64_t heartbeat; /* ms, database clock */
	int64_t now;	   /* ms, database clock when read */
	char *status;	   /* owned: the status file's text (mailbox.h) */
};

/* Insert or refresh our row: heartbeat now, status as given. */
int store_instance_beat(struct store *st, const struct store_instance *me,
    struct error *err);
/* Remove our row (a clean stop); 0 or -1 with err. */
int store_instance_remove(struct store *st, const char *id, struct error *err);
/* Every instance, newest heartbeat first. */
int store_instances(struct store *st, struct store_instance **v_r, size_t *n_r,
    struct error *err);
void store_instances_free(struct store_instance **vp, size_t n);

#endif
