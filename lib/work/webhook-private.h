/*
 * Shared by webhook.c and webhook-run.c (tests may include it).
 * What a webhook POST is: the JSON payload of one queued event, its
 * headers (signature, idempotency key), and what a receiver's answer
 * means for the row.  webhook-run.c sends; README "Webhooks" documents
 * the payload for receivers.
 *
 *   X-Triage-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with
 *                       the hook's secret_file>
 *   Idempotency-Key:    triage-<database part>-<event id>: the same for
 *                       every attempt of one event, unique per database
 *   X-Triage-Event:     the event kind ("qualify")
 */
#ifndef TRIAGE_WEBHOOK_PRIVATE_H
#define TRIAGE_WEBHOOK_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http.h"

struct store;
struct store_detail;
struct store_webhook;

#define WEBHOOK_EXCERPT_MAX 500 /* bytes of the first message's text */
#define WEBHOOK_BACKOFF_MAX (6 * 3600)
#define WEBHOOK_GIVE_UP (3 * 86400) /* retrying longer: failed */

enum webhook_verdict {
	WEBHOOK_DELIVERED, /* 2xx */
	WEBHOOK_RETRY,	   /* no answer, 5xx, 408, 425, 429 */
	WEBHOOK_FAILED,	   /* any other status, or given up */
};

/*
 * The payload of row `w` for ticket `d` (store_show), `ticket_url` the
 * conf template (NULL: "url" is null).  A new NUL-terminated string the
 * caller frees.
 */
char *webhook_payload(const struct store_webhook *w,
    const struct store_detail *d, const char *ticket_url);

/* The X-Triage-Signature header line for `body` under `secret`. */
int webhook_signature(const char *secret, const char *body, size_t len,
    char *out, size_t out_len, struct error *err);

/*
 * What an attempt means: `status` the answer's (0: none came), `age`
 * seconds since the row was queued.
 */
enum webhook_verdict webhook_judge(int status, int64_t age);

/* Seconds to wait after the `attempts`-th failed attempt (>= 1). */
int64_t webhook_backoff(int64_t first, int attempts);

#endif
