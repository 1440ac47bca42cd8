/*
 * The webhooks table (store-webhook.c): what the sender needs of it.
 * Rows are written by store_add_event alone (store.c), one per event a
 * configured hook wants (store_set_webhooks), in the event's transaction.
 *
 * A row's life:
 *   pending --store_webhook_lease--> sending (lease_until: the POST's
 *                                             time, and a margin)
 *   sending --2xx----------------------> delivered (its own commit)
 *   sending --5xx, timeout, no answer--> pending (attempts + 1,
 *                                                 next_attempt later)
 *   sending --4xx, or given up---------> failed
 *   sending, lease over (a crash)------> due again: sent once more
 *   failed --store_webhook_requeue-----> pending
 *
 * Each function runs in its own transaction and returns 0, or -1 with
 * err set (ERR_TEMP: database busy; ERR_NOTFOUND: no row in a state for
 * that).  They add no events: an event about a delivery would itself be
 * an event a hook with events = "*" wants.
 */
#ifndef TRIAGE_STORE_WEBHOOK_H
#define TRIAGE_STORE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct store;

/* One webhooks row with its event.  Strings owned (store_webhook_free). */
struct store_webhook {
	int64_t id;
	int64_t event_id;
	int64_t ticket_id;
	char *url;
	char *kind;  /* the event's kind ("qualify") */
	char *state; /* "pending" "sending" "delivered" "failed" */
	int attempts;
	int http_status; /* the last answer's status; 0: none */
	int64_t created;
	int64_t next_attempt;
	int64_t lease_until;  /* 0: never leased */
	int64_t delivered_at; /* 0 until delivered */
	char *last_error;     /* NULL: none */
	/* the event */
	int64_t event_at;
	char *actor;
	char *source; /* "cli" "mail" "rule" "daemon" */
	char *detail;
};

/*
 * Rows due now (by the store's clock), oldest first, at most `limit`
 * (0: 100): pending ones whose next_attempt has come, and sending ones
 * whose lease is over (a sender that died mid-POST).
 */
int store_webhook_due(struct store *st, size_t limit,
    struct store_webhook **rows_r, size_t *n_r, struct error *err);

/*
 * Rows for `triage webhooks`: `state` as above, "all", or NULL (every
 * row not delivered), newest first, at most `limit` (0: no limit).
 */
int store_webhook_list(struct store *st, const char *state, size_t limit,
    struct store_webhook **rows_r, size_t *n_r, struct error *err);

/*
 * Take row `id` for a POST until `until`: it must be due (as
 * store_webhook_due).  Committed before the POST, so a crash re-sends
 * at most this row, after its lease.
 */
int store_webhook_lease(struct store *st, int64_t id, int64_t until,
    struct error *err);

/* The receiver answered 2xx (`status`): delivered, never sent again. */
int store_webhook_delivered(struct store *st, int64_t id, int status,
    struct error *err);

/* Try again at `next_attempt`; `status` 0 when there was no answer. */
int store_webhook_retry(struct store *st, int64_t id, int64_t next_attempt,
    int status, const char *error, struct error *err);

/* Never again (a 4xx, or given up). */
int store_webhook_fail(struct store *st, int64_t id, int status,
    const char *error, struct error *err);

/*
 * `triage webhooks retry ID`: a failed or pending row is due now with
 * its attempts reset.  A delivered one is refused (ERR_REFUSED); a row
 * being sent too (ERR_REFUSED: its lease is not over).
 */
int store_webhook_requeue(struct store *st, int64_t id, struct error *err);

/* Rows in `state`, for `triage status`. */
int store_webhook_count(struct store *st, const char *state, int64_t *n_r,
    struct error *err);

/*
 * When the next row falls due (a pending row's next_attempt, a sending
 * row's lease end), or 0 when none waits: how long the sender may sleep.
 */
int store_webhook_next(struct store *st, int64_t *at_r, struct error *err);

void store_webhook_free(struct store_webhook **rows, size_t n);

#endif
