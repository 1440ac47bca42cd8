/*
 * The daemon's SLA clocks: a pass that the engine's background ticker
 * (lib/engine/engine-jobs.c, on its own SQLite connection, like the
 * outbox sender) runs about once a minute and whenever a clock is due:
 *
 *   1. reads every open ticket a clock may run on (store_sla_due), a
 *      page of STORE_SLA_PAGE at a time, so memory stays flat,
 *   2. decides each with sla_evaluate at the store's clock,
 *   3. for a breach not yet reminded, picks the recipient (the claiming
 *      BDR's team address, else the route's address, else the key
 *      account's owner, else the mailbox's shared address), renders the
 *      reminder (report_reminder_render) and records it with
 *      store_sla_remind: an sla-breach event and a pending outbox row of
 *      kind "reminder", in one transaction, exactly once per clock;
 *   4. at sla.digest_at (local time in sla.hours' zone, UTC without)
 *      writes the day's digest into sla_digests and mails it to
 *      sla.digest_to over SMTP itself (see store-digest.c for why not
 *      through the outbox); a row still pending is retried each tick.
 *
 * The outbox sender mails reminder rows itself (the note split at its
 * first blank line into Subject and body; lib/work/outbox-run.c).
 *
 * Everything is callable with any store and a controlled clock
 * (store_set_clock), which is how the unit tests drive it.  The library
 * does not log: each decision is one line to opts.log.
 */
#ifndef TRIAGE_SLA_RUN_H
#define TRIAGE_SLA_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log-sink.h"
#include "sla.h"

struct accounts;
struct conf;
struct net_cut;
struct store;

/* Digest mails tried at most this many times (one a tick), then left. */
#define SLA_DIGEST_TRIES 60

/* The SLA part of a config, parsed once. */
struct sla_conf {
	struct sla_policy policy; /* policy.hours points at `hours` */
	struct sla_hours *hours;  /* owned; NULL: clock time */
	int digest_at;		  /* seconds past local midnight */
};

/*
 * Parse c->sla (durations are already checked by conf_load; the hours
 * and digest_at are parsed here).  Returns 0, or -1 with err (ERR_CONF)
 * naming the bad value; *sc is complete only on success.
 */
int sla_run_conf(const struct conf *c, struct sla_conf *sc, struct error *err);
void sla_run_conf_clear(struct sla_conf *sc);

struct sla_run_opts {
	int interval_s;	     /* look at least this often; 0: 60 */
	int smtp_timeout_s;  /* the digest's SMTP steps; 0: 30 */
	struct net_cut *cut; /* a ticker's: SMTP publishes its socket
				there, to be cut on stop; NULL: none */
	/* One line per decision, component "sla"; fn may be NULL. */
	struct log_sink log;
};

/* What one tick did. */
struct sla_tick {
	size_t watched;	     /* tickets with a clock (new, routed) */
	size_t reminded;     /* reminders recorded */
	size_t no_recipient; /* breaches nobody could be found for */
	int digest_made;     /* today's digest written */
	int digest_sent;     /* a digest mail was accepted */
	int64_t next_check;  /* when a clock can next change; SLA_NEVER */
};

/*
 * Steps 1-3 at store_now(st): record every reminder due.  `a` may be
 * NULL.  Fills *res_r's watched, reminded, no_recipient and next_check.
 * Returns 0, or -1 with err from the store (ERR_TEMP: busy, try later).
 */
int sla_run_remind(struct store *st, const struct conf *c,
    const struct accounts *a, const struct sla_conf *sc,
    const struct sla_run_opts *o, struct sla_tick *res_r, struct error *err);

/*
 * Step 4 at store_now(st): when no digest was made yet, the first one is
 * due at the first digest_at after `started`; then at the first
 * digest_at after the last one was made (a daemon that was down catches
 * up with one digest, never several).  Writes the day's row when due and
 * sends the newest pending one when c has an smtp block.  Without
 * sla.digest_to it does nothing.  Sets res_r->digest_made / digest_sent
 * and lowers res_r->next_check to the next digest time.  Returns 0, or -1
 * with err from the store; an SMTP failure is recorded on the row, not
 * returned.
 */
int sla_run_digest(struct store *st, const struct conf *c,
    const struct sla_conf *sc, int64_t started, const struct sla_run_opts *o,
    struct sla_tick *res_r, struct error *err);

/*
 * Of several triaged on one database, only the holder of the sla lease
 * (store-lease.h, STORE_LEASE_SLA) runs the SLA pass and the digest.
 * sla_run_lead takes or renews it for two interval_s plus
 * SLA_LEASE_SLACK_S (a turn may be slow: the digest's SMTP exchange):
 * 1 when we hold it, 0 when another instance does or the database
 * failed (logged: which instance runs them, once per change).  When its
 * holder dies another takes it over at its first turn after the expiry;
 * sla_run_resign gives it back at once (a clean stop).
 */
#define SLA_LEASE_SLACK_S 300

struct sla_lead {
	int64_t epoch; /* the lease's, while held is 1 */
	int held;      /* 1 ours, 0 another's, -1 not asked yet */
	int sole;      /* set by the caller: the only instance on its
			  database (triaged on SQLite, under its lock):
			  it always leads, without the lease's writes (a
			  lease another holds is a dead triaged's) */
};
#define SLA_LEAD_INIT \
	{ \
		0, -1, 0 \
	}

int sla_run_lead(struct store *st, const struct sla_run_opts *o,
    struct sla_lead *l);
void sla_run_resign(struct store *st, const struct sla_run_opts *o,
    struct sla_lead *l);

/*
 * Seconds to wait after a pass that found `res` at time `now`:
 * interval_s (0: 60), or less when a clock changes sooner (at least 1).
 */
int64_t sla_run_wait(const struct sla_run_opts *o, const struct sla_tick *res,
    int64_t now);

/* Open SLA breaches now, per queue (`triage status`). */
struct sla_breach_queue {
	char *queue; /* owned */
	size_t n;
};
struct sla_breaches {
	struct sla_breach_queue *v; /* owned, most breaches first */
	size_t n;
	size_t total;
	int64_t oldest_id;	 /* the ticket longest past its deadline */
	int64_t oldest_deadline; /* its deadline; 0 when none */
	char *oldest_clock;	 /* owned: "claim" / "acknowledge" */
};

/*
 * Every open ticket whose clock is past its limit now, as the reminder
 * pass sees them (sc's policy and business hours).  Fills *b_r (free
 * with sla_breaches_clear); -1 with err when the store failed.
 */
int sla_run_breaches(struct store *st, const struct sla_conf *sc,
    struct sla_breaches *b_r, struct error *err);
void sla_breaches_clear(struct sla_breaches *b);

#endif
