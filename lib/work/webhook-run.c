/*
 * The webhook sender: one pass over the due rows.  See webhook-run.h.
 */
#include "webhook-run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "msgid.h"
#include "store-webhook.h"
#include "store.h"
#include "webhook-private.h"
#include "xalloc.h"

#define DEFAULT_BATCH 20
#define DEFAULT_INTERVAL_S 5
#define RECORD_TRIES 12 /* a busy database, after an answer */
#define EXCERPT_LEN 160

struct pass {
	struct store *st;		  /* foreign */
	const struct conf *c;		  /* foreign */
	const struct webhook_run_opts *o; /* foreign */
	const char *down[8]; /* urls that did not answer this pass */
	char down_why[8][300];
	size_t n_down;
	struct webhook_pass res;
};

static void say(struct pass *p, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct pass *p, enum log_level level, const char *fmt, ...)
{
	static const struct log_where where = { .component = "webhook" };
	va_list ap;

	va_start(ap, fmt);
	log_sink_vsay(&p->o->log, level, &where, fmt, ap);
	va_end(ap);
}

static const char *
down_why(const struct pass *p, const char *url)
{
	for (size_t i = 0; i < p->n_down; i++) {
		if (strcmp(p->down[i], url) == 0)
			return p->down_why[i];
	}
	return NULL;
}

static void
mark_down(struct pass *p, const char *url, const char *why)
{
	if (p->n_down == sizeof(p->down) / sizeof(p->down[0]))
		return;
	/* cut at the bound by hand: gcc -O2 warns of snprintf's cut */
	size_t n = strnlen(why, sizeof(p->down_why[0]) - 1);

	p->down[p->n_down] = url;
	memcpy(p->down_why[p->n_down], why, n);
	p->down_why[p->n_down][n] = '\0';
	p->n_down++;
}

/*
 * Record a verdict; a busy database is waited out, since a 2xx not
 * recorded would be sent again.  Returns 0, or -1 with err.
 */
static int
record(struct pass *p, const struct store_webhook *w,
    const struct conf_webhook *hook, enum webhook_verdict v, int status,
    const char *why, struct error *err)
{
	int64_t wait;
	int r, tries = 0;

	do {
		error_clear(err);
		if (v == WEBHOOK_DELIVERED) {
			r = store_webhook_delivered(p->st, w->id, status, err);
		} else if (v == WEBHOOK_FAILED) {
			r = store_webhook_fail(p->st, w->id, status, why, err);
		} else {
			wait = webhook_backoff(
			    hook != NULL ? hook->first_retry : 0,
			    w->attempts + 1);
			r = store_webhook_retry(p->st, w->id,
			    store_now(p->st) + wait, status, why, err);
		}
	} while (r < 0 && err->code == ERR_TEMP && ++tries < RECORD_TRIES);
	if (r < 0)
		return -1;
	if (v == WEBHOOK_DELIVERED)
		p->res.delivered++;
	else if (v == WEBHOOK_FAILED)
		p->res.failed++;
	else
		p->res.retried++;
	say(p, v == WEBHOOK_DELIVERED ? LOG_LVL_INFO : LOG_LVL_WARN,
	    "webhook row %" PRId64 " (ticket #%" PRId64 ", %s event %" PRId64
	    ") to %s: %s%s%s",
	    w->id, w->ticket_id, w->kind, w->event_id, w->url,
	    v == WEBHOOK_DELIVERED ? "delivered" :
	    v == WEBHOOK_FAILED	   ? "failed" :
				     "retrying",
	    why != NULL ? ": " : "", why != NULL ? why : "");
	return 0;
}

/*
 * Build, sign and POST row `w` (leased).  Returns the verdict with the
 * answer's status in *status_r and why it was not delivered in why.
 */
static enum webhook_verdict
post_row(struct pass *p, const struct store_webhook *w,
    const struct conf_webhook *hook, int *status_r, char *why, size_t len)
{
	const struct msgid_key *k = store_msgid_key(p->st);
	struct store_detail *d = NULL;
	struct error e = { 0 };
	char sig[128], idem[96], kind[96], delivery[64], excerpt[EXCERPT_LEN];
	char *body = NULL, *secret = NULL;
	enum webhook_verdict v = WEBHOOK_RETRY;
	const char *hdrs[4] = { sig, idem, kind, delivery };
	struct http_post_req req = { 0 };
	int64_t age = store_now(p->st) - w->created;

	*status_r = 0;
	if (store_show(p->st, w->ticket_id, &d, &e) < 0) {
		snprintf(why, len, "ticket #%" PRId64 ": %s", w->ticket_id,
		    e.msg);
		return e.code == ERR_NOTFOUND ? WEBHOOK_FAILED : WEBHOOK_RETRY;
	}
	body = webhook_payload(w, d, p->c->ticket_url);
	store_detail_free(&d);
	if (conf_webhook_secret(hook, &secret, &e) < 0 ||
	    webhook_signature(secret, body, strlen(body), sig, sizeof(sig),
		&e) < 0) {
		snprintf(why, len, "%s", e.msg);
		goto out;
	}
	snprintf(idem, sizeof(idem), "Idempotency-Key: triage-%s-%" PRId64,
	    k != NULL ? k->part : "0", w->event_id);
	snprintf(kind, sizeof(kind), "X-Triage-Event: %s", w->kind);
	snprintf(delivery, sizeof(delivery), "X-Triage-Delivery: %" PRId64,
	    w->id);
	req.url = w->url;
	req.content_type = "application/json";
	req.body = body;
	req.len = strlen(body);
	req.headers = hdrs;
	req.n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
	req.ca_file = hook->ca_file;
	req.timeout_s = hook->timeout;
	req.stop = p->o->stop;
	if (http_post(&req, status_r, excerpt, sizeof(excerpt), &e) < 0) {
		snprintf(why, len, "%s", e.msg);
		mark_down(p, w->url, e.msg);
		v = webhook_judge(0, age);
		goto out;
	}
	v = webhook_judge(*status_r, age);
	if (v != WEBHOOK_DELIVERED)
		snprintf(why, len, "HTTP %d%s%s", *status_r,
		    *excerpt != '\0' ? ": " : "", excerpt);
out:
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	free(body);
	return v;
}

/* One due row: lease, post, record.  -1 only when recording failed. */
static int
run_row(struct pass *p, const struct store_webhook *w, struct error *err)
{
	const struct conf_webhook *hook = conf_webhook_by_url(p->c, w->url);
	char why[1200];
	const char *down;
	enum webhook_verdict v;
	int status = 0;
	struct error lerr = { 0 };

	why[0] = '\0';
	if (store_webhook_lease(p->st, w->id,
		store_now(p->st) + (hook != NULL ? hook->timeout : 0) +
		    WEBHOOK_LEASE_MARGIN_S,
		&lerr) < 0) {
		if (lerr.code == ERR_NOTFOUND)
			return 0; /* taken or changed meanwhile */
		*err = lerr;
		return -1;
	}
	if (hook == NULL) {
		snprintf(why, sizeof(why),
		    "no webhook with this url in the configuration");
		v = WEBHOOK_FAILED;
	} else if ((down = down_why(p, w->url)) != NULL) {
		snprintf(why, sizeof(why), "%s", down);
		v = webhook_judge(0, store_now(p->st) - w->created);
	} else {
		v = post_row(p, w, hook, &status, why, sizeof(why));
	}
	return record(p, w, hook, v, status, *why != '\0' ? why : NULL, err);
}

int
webhook_run_pass(struct store *st, const struct conf *c,
    const struct webhook_run_opts *o, struct webhook_pass *res_r,
    struct error *err)
{
	struct pass p = { .st = st, .c = c, .o = o };
	struct store_webhook *rows = NULL;
	size_t n = 0;
	int r;

	r = store_webhook_due(st, o->batch != 0 ? o->batch : DEFAULT_BATCH,
	    &rows, &n, err);
	if (r < 0)
		return -1;
	p.res.rows = n;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (o->stop != NULL &&
		    __atomic_load_n(o->stop, __ATOMIC_ACQUIRE) != 0)
			break;
		r = run_row(&p, &rows[i], err);
	}
	store_webhook_free(&rows, n);
	if (res_r != NULL)
		*res_r = p.res;
	return r;
}

int
webhook_run_drain(struct store *st, const struct conf *c,
    const struct webhook_run_opts *o, struct webhook_pass *res_r,
    struct error *err)
{
	struct webhook_pass one, sum = { 0 };
	int r;

	do {
		r = webhook_run_pass(st, c, o, &one, err);
		sum.rows += one.rows;
		sum.delivered += one.delivered;
		sum.retried += one.retried;
		sum.failed += one.failed;
	} while (r == 0 && one.delivered + one.failed > 0);
	if (res_r != NULL)
		*res_r = sum;
	return r;
}

int64_t
webhook_run_wait(struct store *st, const struct webhook_run_opts *o,
    const struct webhook_pass *res)
{
	int64_t interval =
	    o->interval_s > 0 ? o->interval_s : DEFAULT_INTERVAL_S;
	int64_t next = 0, now;
	struct error err = { 0 };

	if (res->rows > 0 &&
	    res->rows >= (o->batch != 0 ? o->batch : DEFAULT_BATCH))
		return 0;
	if (st == NULL || store_webhook_next(st, &next, &err) < 0 || next == 0)
		return interval;
	now = store_now(st);
	if (next <= now)
		return 1; /* a row just due: not a busy loop on one */
	return next - now < interval ? next - now : interval;
}
