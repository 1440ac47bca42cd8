/*
 * The store's side of the SLA clocks: which open tickets a clock runs
 * on, and the reminder written exactly once (event + outbox row in one
 * transaction).  The decision itself is lib/work/sla.c's sla_evaluate; the
 * last reminder is read back from the ticket's newest sla-breach event,
 * so the audit log is the only record and cannot disagree with it.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "store-report.h"
#include "xalloc.h"

#define SLA_COLUMNS \
	"SELECT t.id, t.state, t.created, t.routed_at, t.subject, t.queue," \
	" t.owner, t.route, t.customer," \
	" (SELECT min(b.mailbox) FROM ticket_mailboxes b" \
	"  WHERE b.ticket_id = t.id)," \
	" (SELECT max(e.at) FROM events e WHERE e.ticket_id = t.id" \
	"  AND e.kind = 'reopen')," \
	" (SELECT e.detail FROM events e WHERE e.ticket_id = t.id" \
	"  AND e.kind = 'sla-breach' ORDER BY e.id DESC LIMIT 1)" \
	" FROM tickets t"

enum {
	SC_ID, SC_STATE, SC_CREATED, SC_ROUTED, SC_SUBJECT, SC_QUEUE,
	SC_OWNER, SC_ROUTE, SC_CUSTOMER, SC_MAILBOX, SC_REOPENED,
	SC_REMINDED,
};

static const char *const clock_words[] = { "none", "claim", "acknowledge" };

void
store_sla_detail_format(enum sla_clock clock, int64_t since,
    int64_t deadline, const char *to, char *buf, size_t size)
{
	char a[32], b[32];

	report_fmt_time(since, a, sizeof(a));
	report_fmt_time(deadline, b, sizeof(b));
	snprintf(buf, size, "%s since %s due %s%s%s",
	    clock_words[clock == SLA_CLOCK_ACK ? 2 : 1], a, b,
	    to != NULL ? " to " : "", to != NULL ? to : "");
}

/* "YYYY-MM-DDTHH:MM:SSZ" at *pp; advances past it. */
static int
parse_time(const char **pp, int64_t *t_r)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(*pp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || end - *pp != 20)
		return -1;
	*t_r = (int64_t)timegm(&tm);
	*pp = end;
	return 0;
}

/* Skip `word` at *pp; -1 when it is not there. */
static int
skip(const char **pp, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*pp, word, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

int
store_sla_detail_parse(const char *detail, enum sla_clock *clock_r,
    int64_t *since_r, int64_t *deadline_r, const char **to_r)
{
	const char *p = detail;
	enum sla_clock clock;
	int64_t since, deadline;

	if (p == NULL)
		return -1;
	if (skip(&p, "claim ") == 0)
		clock = SLA_CLOCK_CLAIM;
	else if (skip(&p, "acknowledge ") == 0)
		clock = SLA_CLOCK_ACK;
	else
		return -1;
	if (skip(&p, "since ") < 0 || parse_time(&p, &since) < 0 ||
	    skip(&p, " due ") < 0 || parse_time(&p, &deadline) < 0)
		return -1;
	if (*p != '\0' && skip(&p, " to ") < 0)
		return -1;
	*clock_r = clock;
	*since_r = since;
	*deadline_r = deadline;
	*to_r = *p != '\0' ? p : NULL;
	return 0;
}

/* One row of SLA_COLUMNS into *t (strings owned by *t). */
static void
sla_row(sqlite3_stmt *s, struct store_sla_ticket *t)
{
	const char *state = (const char *)sqlite3_column_text(s, SC_STATE);
	const char *to;
	int64_t deadline;
	int r;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, SC_ID);
	t->subject = store_col_text(s, SC_SUBJECT);
	t->queue = store_col_text(s, SC_QUEUE);
	t->owner = store_col_text(s, SC_OWNER);
	t->route = store_col_text(s, SC_ROUTE);
	t->customer = store_col_text(s, SC_CUSTOMER);
	t->mailbox = store_col_text(s, SC_MAILBOX);
	t->sla.since = sqlite3_column_int64(s, SC_CREATED);
	if (state != NULL && strcmp(state, "routed") == 0) {
		t->sla.state = SLA_STATE_ROUTED;
		if (sqlite3_column_type(s, SC_ROUTED) != SQLITE_NULL)
			t->sla.since = sqlite3_column_int64(s, SC_ROUTED);
	} else if (state != NULL && strcmp(state, "new") == 0) {
		t->sla.state = SLA_STATE_NEW;
		if (sqlite3_column_int64(s, SC_REOPENED) > t->sla.since)
			t->sla.since = sqlite3_column_int64(s, SC_REOPENED);
	} else {
		/* claimed, acknowledged, closed: no clock runs */
		sla_state_parse(state != NULL ? state : "closed",
		    &t->sla.state);
	}
	/* No reminder yet, or a detail we cannot read: none recorded. */
	r = store_sla_detail_parse((const char *)sqlite3_column_text(s,
	    SC_REMINDED), &t->sla.reminded_clock, &t->sla.reminded_since,
	    &deadline, &to);
	if (r < 0)
		t->sla.reminded_clock = SLA_CLOCK_NONE;
}

static void
sla_ticket_clear(struct store_sla_ticket *t)
{
	free(t->subject);
	free(t->queue);
	free(t->owner);
	free(t->route);
	free(t->customer);
	free(t->mailbox);
}

void
store_sla_tickets_free(struct store_sla_ticket **vp, size_t n)
{
	struct store_sla_ticket *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		sla_ticket_clear(&v[i]);
	free(v);
	*vp = NULL;
}

void
store_set_accounts(struct store *st, const struct accounts *a)
{
	st->accounts = a;
}

int
store_sla_due(struct store *st, int64_t after, size_t limit,
    struct store_sla_ticket **v_r, size_t *n_r, struct error *err)
{
	struct store_sla_ticket *v = NULL;
	sqlite3_stmt *s = NULL;
	size_t n = 0, alloc = 0;
	int r, rc;

	r = store_prepare(st, &s, SLA_COLUMNS
	    " WHERE t.state IN ('new', 'routed') AND t.id > ?"
	    " ORDER BY t.id LIMIT ?", err);
	if (r < 0)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit > 0 && limit <= INT64_MAX ?
	    (int64_t)limit : -1);
	for (;;) {
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		if (n == alloc) {
			alloc = alloc != 0 ? alloc * 2 : 16;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		sla_row(s, &v[n++]);
	}
	store_release(st, &s);
	if (rc != SQLITE_DONE) {
		store_sla_tickets_free(&v, n);
		return store_sqlerr(st, err, "sla tickets");
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

/* The ticket as store_sla_due would list it; ERR_NOTFOUND if none. */
static int
sla_load(struct store *st, int64_t id, struct store_sla_ticket *t,
    struct error *err)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	r = store_prepare(st, &s, SLA_COLUMNS " WHERE t.id = ?", err);
	if (r < 0)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		sla_row(s, t);
	else if (rc == SQLITE_DONE)
		r = error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	else
		r = store_sqlerr(st, err, "sla ticket");
	store_release(st, &s);
	return r;
}

/* Inside the unit of work: check the clock, then write both rows. */
static int
remind_step(struct store *st, int64_t id, enum sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err)
{
	static const struct store_actor daemon = { "triaged",
		STORE_SRC_DAEMON };
	struct store_sla_ticket t;
	enum sla_clock running;
	char detail[512];
	int r;

	r = sla_load(st, id, &t, err);
	if (r < 0)
		return -1;
	running = t.sla.state == SLA_STATE_NEW ? SLA_CLOCK_CLAIM :
	    t.sla.state == SLA_STATE_ROUTED ? SLA_CLOCK_ACK : SLA_CLOCK_NONE;
	*sent_r = 0;
	/* Stopped or re-armed meanwhile, or reminded already: nothing. */
	if (running != clock || t.sla.since != since ||
	    (t.sla.reminded_clock == clock && t.sla.reminded_since == since))
		goto out;
	store_sla_detail_format(clock, since, deadline, to, detail,
	    sizeof(detail));
	r = store_add_event(st, id, &daemon, "sla-breach", detail, err);
	if (r == 0)
		r = store_outbox_add(st, &(struct store_outbox_new){
		    .ticket_id = id, .kind = "reminder", .rcpt = to,
		    .note = text }, NULL, err);
	if (r == 0)
		*sent_r = 1;
out:
	sla_ticket_clear(&t);
	return r;
}

int
store_sla_remind(struct store *st, int64_t id, enum sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err)
{
	int r, sent = 0;

	if (clock != SLA_CLOCK_CLAIM && clock != SLA_CLOCK_ACK)
		return error_set(err, ERR_USAGE, "remind: no clock");
	if (to == NULL || *to == '\0' || text == NULL)
		return error_set(err, ERR_USAGE,
		    "remind: no recipient or no text");
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = remind_step(st, id, clock, since, deadline, to, text, &sent, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	if (r == 0)
		*sent_r = sent;
	return r;
}

/* One open ticket into the digest's lists. */
static void
digest_ticket(struct report_digest *d, const struct sla_policy *p,
    const struct store_sla_ticket *t, int64_t now)
{
	struct report_ticket *k;
	struct sla_result res;
	const char *owner = t->owner != NULL ? t->owner : t->route;

	if (t->sla.state == SLA_STATE_NEW)
		report_counts_add(&d->unclaimed, t->queue, 1);
	sla_evaluate(p, &t->sla, now, &res);
	if (res.status == SLA_OK)
		return;
	k = report_tickets_add(res.status == SLA_BREACHED ? &d->breached :
	    &d->at_risk, t->id, t->subject, t->customer, NULL, owner);
	k->clock = xstrdup(sla_clock_name(res.clock));
	k->at = res.deadline;
	if (res.status == SLA_BREACHED)
		k->late = now - res.deadline;
}

int
store_sla_digest(struct store *st, const struct sla_policy *p, int64_t now,
    struct report_digest *d_r, struct error *err)
{
	struct store_sla_ticket *v = NULL;
	struct report_digest d;
	struct report day;
	size_t n = 0;
	int r;

	report_digest_init(&d, now);
	report_init(&day, 0, 0);
	d.yesterday_day = sla_local_day(p->hours, now) - 1;
	d.day_from = sla_day_start(p->hours, d.yesterday_day);
	d.day_to = sla_day_start(p->hours, d.yesterday_day + 1);
	d.hours = p->hours != NULL ? xstrdup(sla_hours_spec(p->hours)) : NULL;
	r = store_report_fill(st, d.day_from, d.day_to, NULL, p->hours, &day,
	    err);
	for (int64_t after = 0; r == 0;) {
		r = store_sla_due(st, after, STORE_SLA_PAGE, &v, &n, err);
		if (r < 0)
			break;
		for (size_t i = 0; i < n; i++)
			digest_ticket(&d, p, &v[i], now);
		if (n > 0)
			after = v[n - 1].id;
		store_sla_tickets_free(&v, n);
		if (n < STORE_SLA_PAGE)
			break;
	}
	if (r < 0) {
		report_digest_clear(&d);
		goto out;
	}
	d.yesterday = day.funnel;
	d.yesterday_breaches = (int64_t)day.breaches.n;
	*d_r = d;
out:
	report_clear(&day);
	store_sla_tickets_free(&v, n);
	return r;
}
