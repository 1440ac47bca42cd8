/*
 * The outbox sender: one pass over the due rows.  See outbox-run.h;
 * outbox.c sends one row; lib/engine/engine-jobs.c runs the passes.
 *
 * Record, act, confirm: a row is committed before it is sent (by whoever
 * queued it), and each mail the server accepts is committed right after
 * its 250 (store_outbox_progress), before the next mail goes out.
 */
#include "outbox-run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "forward.h"
#include "mime.h"
#include "outbox.h"
#include "smtp.h"
#include "store-outbox.h"
#include "store.h"
#include "xalloc.h"

#define DEFAULT_BATCH 50
#define DEFAULT_INTERVAL_S 5
#define CAP_WAIT_S 300	      /* a capped forward looks again after */
#define NO_BUILDER_WAIT_S 600 /* an answer this triaged cannot build */
#define RECORD_TRIES 12	      /* a busy database, after a 250 */

/* Everything one pass works with. */
struct pass {
	struct store *st;		 /* foreign */
	const struct conf *c;		 /* foreign */
	const struct accounts *accounts; /* foreign, may be NULL */
	const struct outbox_run_opts *o; /* foreign */
	struct forward_sender sender;	 /* owned */
	struct smtp *smtp;		 /* owned; NULL: not open */
	struct error conn_err; /* set: the server cannot be reached now */
	int conn_failed;
	struct outbox_pass res;
};

/* The `sent` callback's state for one row. */
struct progress {
	struct pass *p;
	const struct store_outbox *row;
	const struct forward_mails *mails;
	int failed; /* recording failed: stop the pass */
};

static void say(struct pass *p, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct pass *p, enum log_level level, const char *fmt, ...)
{
	static const struct log_where where = { .component = "outbox" };
	va_list ap;

	va_start(ap, fmt);
	log_sink_vsay(&p->o->log, level, &where, fmt, ap);
	va_end(ap);
}

/* "outbox row 7 (ticket #3, forward to support)", "(report to a@x)" */
static void
row_name(const struct store_outbox *row, char *buf, size_t len)
{
	char ticket[40] = "";

	if (row->ticket_id > 0)
		snprintf(ticket, sizeof(ticket), "ticket #%" PRId64 ", ",
		    row->ticket_id);
	snprintf(buf, len, "outbox row %" PRId64 " (%s%s to %s)", row->id,
	    ticket, row->kind,
	    row->route != NULL ? row->route :
	    row->rcpt != NULL  ? row->rcpt :
				 "?");
}

static int
on_sent(void *arg, size_t part, struct error *err)
{
	struct progress *pr = arg;
	int done = part + 1 == pr->mails->n;
	int r, tries = 0;

	/*
	 * The mail is delivered: recording it must not give up on a busy
	 * database (the committer's batch may hold the write lock), or the
	 * next pass would send it again.  Each try waits out the store's
	 * busy timeout.
	 */
	do {
		error_clear(err);
		r = store_outbox_progress(pr->p->st, pr->row->id, (int)part + 1,
		    done, pr->mails->v[part].message_id, err);
	} while (r < 0 && err->code == ERR_TEMP && ++tries < RECORD_TRIES);
	if (r < 0)
		pr->failed = 1;
	return r;
}

/* Is `addr` one of the comma-separated addresses in `list`? */
static int
in_list(const char *list, const char *addr)
{
	size_t n = strlen(addr);
	const char *p = list;

	while ((p = strcasestr(p, addr)) != NULL) {
		int start = p == list || strchr(" ,<\t", p[-1]) != NULL;
		int end = p[n] == '\0' || strchr(" ,>\t", p[n]) != NULL;

		if (start && end)
			return 1;
		p += n;
	}
	return 0;
}

/*
 * Loop protection for a follow-up: may the stored message `row` names be
 * forwarded to `route`?  Reads what ingest recorded of the message (the
 * row's msg_* facts), never the message itself.  Returns 1 yes, 0 no
 * (why set).
 */
static int
followup_allowed(struct pass *p, const struct store_outbox *row,
    const struct conf_route *route, char *why, size_t why_len)
{
	const struct forward_facts f = { row->msg_flags, row->msg_from,
		row->msg_x_loop };
	const char *reason = NULL;
	int r;

	r = forward_facts_allowed(&f, p->sender.address, &reason);
	if (r == 1 && row->msg_from != NULL && *row->msg_from != '\0' &&
	    in_list(route->to, row->msg_from)) {
		reason = "from the route's own address";
		r = 0;
	}
	if (r == 0)
		snprintf(why, why_len, "not forwarded: %s (%s)", reason,
		    row->msg_from != NULL ? row->msg_from : "no sender");
	return r;
}

/*
 * The route "owner" (triage route ID owner): the ticket's key account
 * owner's address, looked up now (store_owner_address), attach style,
 * its address copied into to[size].  Leaves route_r->to NULL and says
 * why when there is none; -1 only on a busy database.
 */
static int
owner_route(struct pass *p, const struct store_outbox *row,
    struct conf_route *route_r, char *to, size_t size, char *why, size_t len,
    struct error *err)
{
	struct error oerr = { 0 };
	char *addr = NULL;

	if (store_owner_address(p->st, row->ticket_id, p->c, &addr, &oerr) <
	    0) {
		if (oerr.code == ERR_TEMP)
			*err = oerr;
		snprintf(why, len, "route owner: %s", oerr.msg);
		return oerr.code == ERR_TEMP ? -1 : 0;
	}
	if ((size_t)snprintf(to, size, "%s", addr) < size)
		route_r->to = to;
	free(addr);
	route_r->name = (char *)STORE_ROUTE_OWNER;
	route_r->style = CONF_ROUTE_ATTACH;
	return 0;
}

/*
 * The mails of a forward row into *mails; or a verdict without sending:
 * returns 1 (built), 0 (recorded as failed, skipped or deferred), -1
 * (database error).
 */
static int
build_forward(struct pass *p, const struct store_outbox *row,
    struct forward_mails *mails, struct error *err)
{
	const struct conf_route *route = NULL;
	struct conf_route owner = { 0 };
	struct error berr = { 0 };
	char why[1100], name[200], owner_to[400];
	int64_t now = store_now(p->st), n = 0;
	int r, cap;

	row_name(row, name, sizeof(name));
	why[0] = '\0';
	if (row->route != NULL && strcmp(row->route, STORE_ROUTE_OWNER) == 0) {
		if (owner_route(p, row, &owner, owner_to, sizeof(owner_to), why,
			sizeof(why), err) < 0)
			return -1;
		route = owner.to != NULL ? &owner : NULL;
	} else if (row->route != NULL) {
		route = conf_route(p->c, row->route);
	}
	if (route == NULL && why[0] == '\0')
		snprintf(why, sizeof(why), "no route \"%s\" in %s",
		    row->route != NULL ? row->route : "", p->c->path);
	if (route == NULL) {
		say(p, LOG_LVL_WARN, "%s: failed: %s", name, why);
		p->res.failed++;
		return store_outbox_fail(p->st, row->id, why, err);
	}
	if (row->message_row != 0 &&
	    !followup_allowed(p, row, route, why, sizeof(why))) {
		say(p, LOG_LVL_NOTICE, "%s: skipped: %s", name, why);
		p->res.skipped++;
		return store_outbox_skip(p->st, row->id, why, err);
	}
	cap = p->o->forwards_per_hour > 0 ? p->o->forwards_per_hour :
					    OUTBOX_FORWARDS_PER_HOUR;
	r = store_outbox_sent_since(p->st, row->ticket_id, now - 3600, &n, err);
	if (r < 0)
		return -1;
	if (n >= cap) {
		snprintf(why, sizeof(why),
		    "waiting: ticket #%" PRId64 " was"
		    " forwarded %" PRId64 " times in the last hour (cap %d)",
		    row->ticket_id, n, cap);
		say(p, LOG_LVL_WARN, "%s: %s", name, why);
		p->res.deferred++;
		return store_outbox_defer(p->st, row->id, now + CAP_WAIT_S, why,
		    err);
	}
	r = outbox_build_forward(p->st, p->accounts, row->ticket_id,
	    row->message_row, row->upto_message, route, &p->sender, row->id,
	    now, mails, &berr);
	if (r < 0) {
		if (berr.code == ERR_TEMP) {
			*err = berr;
			return -1;
		}
		snprintf(why, sizeof(why), "cannot build: %s", berr.msg);
		say(p, LOG_LVL_WARN, "%s: failed: %s", name, why);
		p->res.failed++;
		return store_outbox_fail(p->st, row->id, why, err);
	}
	return 1;
}

static int
build_answer(struct pass *p, const struct store_outbox *row,
    struct forward_mails *mails, struct error *err)
{
	struct error berr = { 0 };
	char name[200];
	int64_t now = store_now(p->st);
	int r;

	row_name(row, name, sizeof(name));
	if (p->o->build_answer == NULL) {
		p->res.deferred++;
		return store_outbox_defer(p->st, row->id,
		    now + NO_BUILDER_WAIT_S,
		    "waiting: this triaged cannot build "
		    "answers",
		    err);
	}
	mails->v = xcalloc(1, sizeof(*mails->v));
	r = p->o->build_answer(p->st, row->id, &p->sender, now, &mails->v[0],
	    &berr);
	if (r < 0) {
		forward_mails_clear(mails);
		if (berr.code == ERR_TEMP) {
			*err = berr;
			return -1;
		}
		say(p, LOG_LVL_WARN, "%s: failed: cannot build: %s", name,
		    berr.msg);
		p->res.failed++;
		return store_outbox_fail(p->st, row->id, berr.msg, err);
	}
	mails->n = 1;
	return 1;
}

/*
 * A mail the daemon writes itself from the row alone (kind "reminder":
 * the SLA clock's, "report": the weekly report's; the note is the
 * subject line, a blank line, the body; a report's html its HTML part).
 */
static int
build_note_mail(struct pass *p, const struct store_outbox *row,
    struct forward_mails *mails, struct error *err)
{
	struct forward_answer a = { 0 };
	struct error berr = { 0 };
	const char *note = row->note != NULL ? row->note : "";
	const char *nl = strchr(note, '\n');
	char *subject, name[200];
	int r;

	row_name(row, name, sizeof(name));
	subject =
	    nl != NULL ? xstrndup(note, (size_t)(nl - note)) : xstrdup(note);
	a.kind = row->kind;
	a.to = row->rcpt;
	a.subject = subject;
	a.text = nl == NULL ? "" : nl[1] == '\n' ? nl + 2 : nl + 1;
	a.html = row->html;
	a.ticket_id = row->ticket_id;
	a.event_id = row->id;
	mails->v = xcalloc(1, sizeof(*mails->v));
	r = forward_answer_build(&a, &p->sender, store_now(p->st), &mails->v[0],
	    &berr);
	free(subject);
	if (r < 0) {
		forward_mails_clear(mails);
		say(p, LOG_LVL_WARN, "%s: failed: cannot build: %s", name,
		    berr.msg);
		p->res.failed++;
		return store_outbox_fail(p->st, row->id, berr.msg, err);
	}
	mails->n = 1;
	return 1;
}

/* Record a failed send: retry later or give up. */
static int
record_failure(struct pass *p, const struct store_outbox *row,
    enum outbox_verdict v, const struct error *serr, struct error *err)
{
	int64_t now = store_now(p->st), wait;
	char name[200];

	row_name(row, name, sizeof(name));
	if (v == OUTBOX_FAILED) {
		say(p, LOG_LVL_WARN, "%s: failed: %s", name, serr->msg);
		p->res.failed++;
		return store_outbox_fail(p->st, row->id, serr->msg, err);
	}
	wait = outbox_backoff(row->attempts + 1);
	if (p->o->backoff_first_s > 0)
		wait = wait / OUTBOX_BACKOFF_FIRST * p->o->backoff_first_s;
	say(p, LOG_LVL_WARN, "%s: attempt %d failed, next in %" PRId64 " s: %s",
	    name, row->attempts + 1, wait, serr->msg);
	p->res.retried++;
	return store_outbox_retry(p->st, row->id, now + wait, serr->msg, err);
}

static int
session(struct pass *p)
{
	struct smtp_opts so;
	int r;

	if (p->smtp != NULL)
		return 0;
	if (p->conn_failed)
		return -1;
	smtp_opts_from_conf(&p->c->smtp, p->o->timeout_s, &so);
	so.cut = p->o->cut;
	so.to_7bit = mime_to_7bit; /* a server without 8BITMIME */
	r = smtp_open_conf(&p->c->smtp, &so, &p->smtp, &p->conn_err);
	if (r < 0) {
		p->conn_failed = 1;
		say(p, LOG_LVL_WARN, "%s", p->conn_err.msg);
	}
	return r;
}

/* Decide, build, send and record one row.  -1: database failure. */
static int
one_row(struct pass *p, const struct store_outbox *row, struct error *err)
{
	struct forward_mails mails = { 0 };
	struct progress pr = { p, row, &mails, 0 };
	struct error serr = { 0 };
	enum outbox_verdict v;
	char name[200];
	int r;

	row_name(row, name, sizeof(name));
	if (strcmp(row->kind, "forward") == 0) {
		r = build_forward(p, row, &mails, err);
	} else if (strcmp(row->kind, "answer") == 0) {
		r = build_answer(p, row, &mails, err);
	} else if (strcmp(row->kind, "reminder") == 0 ||
		   strcmp(row->kind, "report") == 0) {
		r = build_note_mail(p, row, &mails, err);
	} else {
		/* a newer triaged's kind: leave it for one that knows it */
		p->res.deferred++;
		r = store_outbox_defer(p->st, row->id,
		    store_now(p->st) + NO_BUILDER_WAIT_S,
		    "waiting: this triaged cannot send "
		    "this kind",
		    err);
	}
	if (r <= 0)
		goto out;
	if (mails.n == 0) {
		say(p, LOG_LVL_INFO, "%s: skipped: nothing to send", name);
		p->res.skipped++;
		r = store_outbox_skip(p->st, row->id,
		    "nothing to send (no "
		    "customer message to redirect)",
		    err);
		goto out;
	}
	if ((size_t)row->parts_sent >= mails.n) {
		/* every mail was accepted; only the final mark was lost */
		r = store_outbox_progress(p->st, row->id, (int)mails.n, 1, NULL,
		    err);
		goto out;
	}
	if (session(p) < 0) {
		v = outbox_judge(&p->conn_err, store_now(p->st) - row->created);
		r = record_failure(p, row, v, &p->conn_err, err);
		goto out;
	}
	v = outbox_send(p->smtp, &mails, (size_t)row->parts_sent,
	    store_now(p->st) - row->created, on_sent, &pr, &serr);
	if (pr.failed) {
		*err = serr;
		r = -1;
	} else if (v == OUTBOX_SENT) {
		say(p, LOG_LVL_INFO, "%s: sent %zu mail%s, <%s>", name,
		    mails.n - (size_t)row->parts_sent, mails.n == 1 ? "" : "s",
		    mails.v[0].message_id);
		p->res.sent++;
		r = 0;
	} else {
		r = record_failure(p, row, v, &serr, err);
	}
	if (p->smtp != NULL && !smtp_alive(p->smtp))
		smtp_close(&p->smtp);
out:
	forward_mails_clear(&mails);
	if (r < 0 && err->code == ERR_REFUSED) {
		/* the fence: another sender holds the row now */
		say(p, LOG_LVL_WARN, "%s: not recorded: %s", name, err->msg);
		p->res.lost++;
		error_clear(err);
		r = 0;
	}
	return r;
}

/* The send lease of a claimed row, in ms (outbox-run.h). */
static int
lease_ms(const struct outbox_run_opts *o)
{
	int64_t s = o->lease_s > 0 ?
			o->lease_s :
			(int64_t)(o->timeout_s > 0 ? o->timeout_s : 60) *
			    OUTBOX_LEASE_STEPS;

	return s > INT32_MAX / 1000 ? INT32_MAX : (int)(s * 1000);
}

/*
 * Claim, decide, build, send and record one row after another, each
 * claim its own short transaction: several senders on one outbox share
 * its rows, and a row's lease covers the sending of that row only.
 */
static int
pass_run(struct store *st, const struct conf *c,
    const struct accounts *accounts, const struct outbox_run_opts *o,
    const int *stop, struct outbox_pass *res_r, struct error *err)
{
	struct pass p = { .st = st, .c = c, .accounts = accounts, .o = o };
	struct store_outbox row = { 0 };
	size_t batch = o->batch > 0 ? o->batch : DEFAULT_BATCH;
	int r = 0;

	/* "route owner" rows look the owner up through the store. */
	if (accounts != NULL)
		store_set_accounts(st, accounts);
	while (r == 0 && p.res.rows < batch) {
		if (stop != NULL && __atomic_load_n(stop, __ATOMIC_RELAXED))
			break;
		r = store_outbox_claim(st, lease_ms(o), &row, err);
		if (r <= 0)
			break;
		r = 0;
		if (p.res.rows++ == 0) {
			r = forward_sender_parse(c->smtp_from, &p.sender, err);
			p.sender.ticket_url = c->ticket_url;
			p.sender.key = store_msgid_key(st);
		}
		if (r == 0)
			r = one_row(&p, &row, err);
		store_outbox_clear(&row);
	}
	smtp_close(&p.smtp);
	forward_sender_clear(&p.sender);
	if (res_r != NULL)
		*res_r = p.res;
	return r;
}

int
outbox_run_pass(struct store *st, const struct conf *c,
    const struct accounts *accounts, const struct outbox_run_opts *o,
    struct outbox_pass *res_r, struct error *err)
{
	return pass_run(st, c, accounts, o, o->stop, res_r, err);
}

static void
pass_add(struct outbox_pass *sum, const struct outbox_pass *p)
{
	sum->rows += p->rows;
	sum->sent += p->sent;
	sum->retried += p->retried;
	sum->failed += p->failed;
	sum->skipped += p->skipped;
	sum->deferred += p->deferred;
	sum->lost += p->lost;
}

int
outbox_run_drain(struct store *st, const struct conf *c,
    const struct accounts *accounts, const struct outbox_run_opts *o,
    struct outbox_pass *res_r, struct error *err)
{
	struct outbox_pass sum = { 0 }, one;
	int r;

	/* Every row a pass takes leaves the due set (sent, failed, skipped,
	   next_attempt moved on, or another sender's), so this ends. */
	do {
		memset(&one, 0, sizeof(one));
		r = outbox_run_pass(st, c, accounts, o, &one, err);
		pass_add(&sum, &one);
	} while (r == 0 && one.rows > 0);
	if (res_r != NULL)
		*res_r = sum;
	return r;
}

int64_t
outbox_run_wait(struct store *st, const struct outbox_run_opts *o,
    const struct outbox_pass *res)
{
	int64_t next = 0, now;
	int64_t wait = o->interval_s > 0 ? o->interval_s : DEFAULT_INTERVAL_S;
	struct error err = { 0 };

	if (res->rows >= (o->batch > 0 ? o->batch : DEFAULT_BATCH))
		return 0;
	if (st == NULL || store_outbox_next(st, &next, &err) < 0)
		return wait;
	now = store_now(st);
	if (next > 0 && next - now < wait)
		wait = next > now ? next - now : 0;
	return wait;
}
