/*
 * The daemon's SLA clocks: reminders and the daily digest.  See
 * sla-run.h for the steps; sla.c decides, store-sla.c records,
 * report-fill.c computes the digest's figures, report-remind.c /
 * report-digest.c write the text.
 */
#include "sla-run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "buf.h"
#include "conf.h"
#include "desk.h"
#include "forward.h"
#include "mime.h"
#include "report-fill.h"
#include "report.h"
#include "sla-store.h"
#include "smtp.h"
#include "store-lease.h"
#include "store-report.h"
#include "store.h"
#include "xalloc.h"

#define DEFAULT_INTERVAL_S 60
#define DEFAULT_SMTP_TIMEOUT_S 30
#define TEXT_CAP (256 * 1024)

static void say(const struct sla_run_opts *o, enum log_level level,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(const struct sla_run_opts *o, enum log_level level, const char *fmt, ...)
{
	static const struct log_where where = { .component = "sla" };
	va_list ap;

	if (o == NULL)
		return;
	va_start(ap, fmt);
	log_sink_vsay(&o->log, level, &where, fmt, ap);
	va_end(ap);
}

int
sla_run_conf(const struct conf *c, struct sla_conf *sc, struct error *err)
{
	struct sla_conf n = { 0 };
	struct error herr = { 0 };
	const char *at = c->sla.digest_at != NULL ? c->sla.digest_at : "08:00";

	if (c->sla.hours != NULL &&
	    sla_hours_parse(c->sla.hours, &n.hours, &herr) < 0)
		return error_set(err, ERR_CONF, "%s: sla.hours: %s", c->path,
		    herr.msg);
	if (sla_parse_hhmm(at, &n.digest_at) < 0) {
		sla_hours_free(&n.hours);
		return error_set(err, ERR_CONF,
		    "%s: sla.digest_at \"%s\" is "
		    "not HH:MM",
		    c->path, at);
	}
	n.policy.claim = c->sla.claim;
	n.policy.acknowledge = c->sla.acknowledge;
	n.policy.hours = n.hours;
	*sc = n;
	return 0;
}

void
sla_run_conf_clear(struct sla_conf *sc)
{
	sla_hours_free(&sc->hours);
	memset(sc, 0, sizeof(*sc));
}

/* ---- reminders -------------------------------------------------------- */

/* `to` unless it is NULL or a mailbox we read. */
static const char *
outside(const struct conf *c, const char *to)
{
	return to != NULL && conf_reads(c, to) == NULL ? to : NULL;
}

/*
 * Whom to remind: the claiming BDR, the route's address, the key
 * account's owner, else the configured address (sla.digest_to) -- the
 * first known that is not a shared mailbox triage reads: a reminder
 * there would only come back.
 */
static const char *
recipient(struct store *st, const struct conf *c, const struct accounts *a,
    const struct store_sla_ticket *t)
{
	const struct conf_route *route;
	const struct account *acct;
	struct error err = { 0 };
	const char *to = NULL;

	/* a member away: a manager (desk.h); failing that, as if no owner */
	if (t->owner != NULL && conf_member_by_name(c, t->owner) != NULL &&
	    store_schema_version(st) >= 12)
		(void)desk_stand_in(st, c, t->owner, &to, &err);
	else
		to = accounts_owner_address(t->owner, c);
	to = outside(c, to);
	if (to != NULL)
		return to;
	route = t->route != NULL ? conf_route(c, t->route) : NULL;
	to = outside(c, route != NULL ? route->to : NULL);
	if (to != NULL)
		return to;
	acct = a != NULL && t->customer != NULL ?
		   accounts_lookup_address(a, t->customer) :
		   NULL;
	to = outside(c,
	    acct != NULL ? accounts_owner_address(acct->owner, c) : NULL);
	if (to != NULL)
		return to;
	return outside(c, c->sla.digest_to);
}

/* The reminder's text: subject line, blank line, body. */
static int
render_reminder(const struct conf *c, const struct accounts *a,
    const struct store_sla_ticket *t, const struct sla_result *res, int64_t now,
    struct buf *text, struct error *err)
{
	const struct account *acct =
	    a != NULL && t->customer != NULL ?
		accounts_lookup_address(a, t->customer) :
		NULL;
	struct report_reminder rm = {
		.ticket_id = t->id,
		.subject = t->subject,
		.customer = t->customer,
		.account = acct != NULL ? acct->name : NULL,
		.owner = t->owner != NULL ? t->owner : t->route,
		.clock = (int)res->clock,
		.since = t->since,
		.deadline = res->deadline,
		.now = now,
		.ticket_url = c->ticket_url,
	};
	struct buf body;
	int r;

	buf_init(&body, TEXT_CAP);
	r = report_reminder_render(&rm, text, &body, err);
	if (r == 0 && buf_addstr(text, "\n\n") < 0)
		r = error_set(err, ERR_INTERNAL, "reminder too long");
	if (r == 0 && buf_add(text, body.data, body.len) < 0)
		r = error_set(err, ERR_INTERNAL, "reminder too long");
	buf_free(&body);
	return r;
}

/* Remind for one breached ticket; -1 only for a database failure. */
static int
remind_one(struct store *st, const struct conf *c, const struct accounts *a,
    const struct store_sla_ticket *t, const struct sla_result *res,
    const struct sla_run_opts *o, struct sla_tick *tick, struct error *err)
{
	const char *to = recipient(st, c, a, t);
	struct error rerr = { 0 };
	struct buf text;
	int sent = 0, r;

	if (to == NULL) {
		say(o, LOG_LVL_WARN,
		    "ticket=%lld %s clock breached but nobody to remind "
		    "(no owner, and never a shared mailbox we read), skipping",
		    (long long)t->id, sla_clock_name(res->clock));
		tick->no_recipient++;
		return 0;
	}
	buf_init(&text, TEXT_CAP);
	r = render_reminder(c, a, t, res, store_now(st), &text, &rerr);
	if (r < 0) {
		say(o, LOG_LVL_WARN, "ticket=%lld reminder: %s, skipping",
		    (long long)t->id, rerr.msg);
		buf_free(&text);
		return 0;
	}
	r = store_sla_remind(st, t->id, sla_store_clock(res->clock), t->since,
	    res->deadline, to, text.data, &sent, err);
	buf_free(&text);
	if (r < 0)
		return -1;
	if (sent) {
		tick->reminded++;
		say(o, LOG_LVL_NOTICE,
		    "ticket=%lld %s clock breached: "
		    "reminder to %s queued",
		    (long long)t->id, sla_clock_name(res->clock), to);
	}
	return 0;
}

int
sla_run_remind(struct store *st, const struct conf *c, const struct accounts *a,
    const struct sla_conf *sc, const struct sla_run_opts *o,
    struct sla_tick *res_r, struct error *err)
{
	struct store_sla_ticket *v = NULL;
	struct sla_ticket sla;
	struct sla_result res;
	int64_t now = store_now(st), after = 0;
	size_t n;
	int r;

	res_r->next_check = SLA_NEVER;
	res_r->watched = 0;
	do {
		r = store_sla_due(st, after, STORE_SLA_PAGE, &v, &n, err);
		if (r < 0)
			return -1;
		res_r->watched += n;
		for (size_t i = 0; i < n && r == 0; i++) {
			sla_store_ticket(&v[i], &sla);
			sla_evaluate(&sc->policy, &sla, now, &res);
			if (res.next_check < res_r->next_check)
				res_r->next_check = res.next_check;
			if (res.remind)
				r = remind_one(st, c, a, &v[i], &res, o, res_r,
				    err);
		}
		if (n > 0)
			after = v[n - 1].id;
		store_sla_tickets_free(&v, n);
	} while (r == 0 && n == STORE_SLA_PAGE);
	return r;
}

/* ---- open breaches (triage status) ---------------------------------- */

static void
count_breach(struct sla_breaches *b, const struct store_sla_ticket *t,
    const struct sla_result *res)
{
	size_t i;

	b->total++;
	if (b->oldest_deadline == 0 || res->deadline < b->oldest_deadline) {
		b->oldest_id = t->id;
		b->oldest_deadline = res->deadline;
		free(b->oldest_clock);
		b->oldest_clock = xstrdup(sla_clock_name(res->clock));
	}
	for (i = 0; i < b->n && strcmp(b->v[i].queue, t->queue) != 0; i++)
		;
	if (i == b->n) {
		b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
		b->v[b->n].queue = xstrdup(t->queue != NULL ? t->queue : "");
		b->v[b->n++].n = 0;
	}
	b->v[i].n++;
}

static int
by_count(const void *a, const void *b)
{
	const struct sla_breach_queue *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->queue, y->queue);
}

int
sla_run_breaches(struct store *st, const struct sla_conf *sc,
    struct sla_breaches *b_r, struct error *err)
{
	struct sla_breaches b = { 0 };
	struct store_sla_ticket *v = NULL;
	struct sla_ticket sla;
	struct sla_result res;
	int64_t now = store_now(st), after = 0;
	size_t n;
	int r;

	do {
		r = store_sla_due(st, after, STORE_SLA_PAGE, &v, &n, err);
		if (r < 0) {
			sla_breaches_clear(&b);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			sla_store_ticket(&v[i], &sla);
			sla_evaluate(&sc->policy, &sla, now, &res);
			if (res.status == SLA_BREACHED)
				count_breach(&b, &v[i], &res);
		}
		if (n > 0)
			after = v[n - 1].id;
		store_sla_tickets_free(&v, n);
	} while (n == STORE_SLA_PAGE);
	if (b.n > 1)
		qsort(b.v, b.n, sizeof(*b.v), by_count);
	*b_r = b;
	return 0;
}

void
sla_breaches_clear(struct sla_breaches *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].queue);
	free(b->v);
	free(b->oldest_clock);
	memset(b, 0, sizeof(*b));
}

/* ---- the digest -------------------------------------------------------- */

/* Render today's digest into *text (subject line, blank line, body). */
static int
render_digest(struct store *st, const struct conf *c, const struct sla_conf *sc,
    int64_t now, struct buf *text, struct error *err)
{
	struct report_digest d;
	struct buf body;
	int r;

	report_digest_init(&d, now);
	buf_init(&body, TEXT_CAP);
	r = report_digest_fill(st, &sc->policy, now, &d, err);
	if (r == 0)
		d.ticket_url = xstrdup_or_null(c->ticket_url);
	if (r == 0)
		r = report_digest_render(&d, text, &body, err);
	if (r == 0 && (buf_addstr(text, "\n\n") < 0 ||
			  buf_add(text, body.data, body.len) < 0))
		r = error_set(err, ERR_INTERNAL, "digest too long");
	buf_free(&body);
	report_digest_clear(&d);
	return r;
}

/* Split "subject\n\nbody" in place: returns the body ("" if none). */
static char *
split_text(char *text)
{
	char *p = strstr(text, "\n\n");

	if (p == NULL)
		return text + strlen(text);
	*p = '\0';
	return p + 2;
}

/* One SMTP session for one mail; 0 sent, -1 with serr. */
static int
send_mail(const struct conf *c, const struct sla_run_opts *o,
    const struct forward_mail *m, struct error *serr)
{
	struct smtp_opts so;
	struct smtp *smtp = NULL;
	int r;

	smtp_opts_from_conf(&c->smtp,
	    o->smtp_timeout_s > 0 ? o->smtp_timeout_s : DEFAULT_SMTP_TIMEOUT_S,
	    &so);
	so.cut = o->cut;
	so.to_7bit = mime_to_7bit; /* a server without 8BITMIME */
	r = smtp_open_conf(&c->smtp, &so, &smtp, serr);
	if (r == 0)
		r = smtp_send(smtp, m->mail_from, m->rcpt, m->n_rcpt, m->data,
		    m->len, serr);
	smtp_close(&smtp);
	return r;
}

/* Mail the newest pending digest; SMTP failures go on its row. */
static int
send_pending(struct store *st, const struct conf *c,
    const struct sla_run_opts *o, struct sla_tick *tick, struct error *err)
{
	struct store_digest_row row = { 0 };
	struct forward_sender s = { 0 };
	struct forward_mail m = { 0 };
	struct forward_answer fa = { 0 };
	struct error serr = { 0 };
	int found = 0, r;

	r = store_digest_pending(st, &row, &found, err);
	if (r < 0 || !found || row.attempts >= SLA_DIGEST_TRIES)
		goto out;
	fa.kind = "digest";
	fa.to = row.rcpt;
	fa.text = split_text(row.text);
	fa.subject = row.text;
	fa.event_id = row.day;
	r = forward_sender_parse(c->smtp_from, &s, &serr);
	s.key = store_msgid_key(st);
	if (r == 0)
		r = forward_answer_build(&fa, &s, store_now(st), &m, &serr);
	if (r == 0)
		r = send_mail(c, o, &m, &serr);
	if (r == 0) {
		tick->digest_sent = 1;
		say(o, LOG_LVL_NOTICE, "digest sent to %s, <%s>", row.rcpt,
		    m.message_id);
	} else {
		say(o, LOG_LVL_WARN, "digest to %s: attempt %d failed: %s",
		    row.rcpt, row.attempts + 1, serr.msg);
	}
	r = store_digest_done(st, row.day, r == 0 ? NULL : serr.msg, err);
out:
	forward_mail_clear(&m);
	forward_sender_clear(&s);
	store_digest_row_clear(&row);
	return r;
}

int
sla_run_digest(struct store *st, const struct conf *c,
    const struct sla_conf *sc, int64_t started, const struct sla_run_opts *o,
    struct sla_tick *res_r, struct error *err)
{
	int64_t now = store_now(st), last_day = 0, last = 0, due;
	struct buf text;
	int added = 0, r;

	if (c->sla.digest_to == NULL)
		return 0;
	if (conf_reads(c, c->sla.digest_to) != NULL) {
		say(o, LOG_LVL_WARN,
		    "sla.digest_to \"%s\" is a mailbox triage reads: "
		    "no digest, skipping",
		    c->sla.digest_to);
		return 0;
	}
	r = store_digest_last(st, &last_day, &last, err);
	if (r < 0)
		return -1;
	due = sla_digest_next(sc->hours, sc->digest_at,
	    last > 0 ? last : started);
	if (now >= due && sla_local_day(sc->hours, now) != last_day) {
		buf_init(&text, TEXT_CAP);
		r = render_digest(st, c, sc, now, &text, err);
		if (r == 0)
			r = store_digest_add(st, sla_local_day(sc->hours, now),
			    c->sla.digest_to, text.data, &added, err);
		buf_free(&text);
		if (r < 0)
			return -1;
		res_r->digest_made = added;
		due = sla_digest_next(sc->hours, sc->digest_at, now);
	}
	if (due < res_r->next_check)
		res_r->next_check = due;
	if (!c->has_smtp)
		return 0;
	return send_pending(st, c, o, res_r, err);
}

int
sla_run_lead(struct store *st, const struct sla_run_opts *o, struct sla_lead *l)
{
	int64_t interval =
	    o->interval_s > 0 ? o->interval_s : DEFAULT_INTERVAL_S;
	int64_t ttl_s = 2 * interval + SLA_LEASE_SLACK_S;
	struct error err = { 0 };
	char *holder = NULL;
	int r, was = l->held;

	if (l->sole) /* no write, no lock wait: nobody else to tell */
		return l->held = 1;
	r = store_lease_take(st, STORE_LEASE_SLA, store_owner_id(st),
	    ttl_s > INT32_MAX / 1000 ? INT32_MAX : (int)(ttl_s * 1000),
	    &l->epoch, &holder, &err);
	if (r < 0) {
		say(o, LOG_LVL_WARN, "sla lease: %s; trying again", err.msg);
		return 0;
	}
	l->held = r;
	if (r == 1 && was != 1)
		say(o, LOG_LVL_NOTICE,
		    "this instance runs the SLA pass and digest (sla lease"
		    " epoch %lld)",
		    (long long)l->epoch);
	else if (r == 0 && was != 0)
		say(o, LOG_LVL_NOTICE, "the SLA pass and digest run on %s",
		    holder != NULL ? holder : "another instance");
	free(holder);
	return r;
}

void
sla_run_resign(struct store *st, const struct sla_run_opts *o,
    struct sla_lead *l)
{
	struct error err = { 0 };

	if (st == NULL || l->held != 1 || l->sole)
		return;
	if (store_lease_release(st, STORE_LEASE_SLA, store_owner_id(st),
		l->epoch, &err) < 0)
		say(o, LOG_LVL_WARN, "sla lease: %s", err.msg);
	l->held = -1;
}

int64_t
sla_run_wait(const struct sla_run_opts *o, const struct sla_tick *res,
    int64_t now)
{
	int64_t wait = o->interval_s > 0 ? o->interval_s : DEFAULT_INTERVAL_S;

	if (res->next_check != SLA_NEVER && res->next_check - now < wait)
		wait = res->next_check > now ? res->next_check - now : 1;
	return wait;
}
