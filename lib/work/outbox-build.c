/*
 * The store-to-forward bridge of the outbox sender: a ticket as the store
 * holds it, turned into the plain description forward_build() takes.
 * See outbox.h.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "command.h"
#include "outbox.h"
#include "store.h"
#include "xalloc.h"

/* Everything a forward_ticket points into, owned here. */
struct bridge {
	struct store_detail *d;
	struct forward_message *msgs;
	char **raws;
	char **texts; /* command-stripped texts of team messages */
	char **froms;
	struct forward_note *notes;
	struct verdict_hit *hits;
	struct forward_link link;
	size_t n;
};

static void
bridge_free(struct bridge *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->raws[i]);
		free(b->texts[i]);
		free(b->froms[i]);
	}
	free(b->raws);
	free(b->texts);
	free(b->froms);
	free(b->msgs);
	free(b->notes);
	free(b->hits);
	store_detail_free(&b->d);
}

static int
load_message(struct store *st, struct bridge *b, size_t i, struct error *err)
{
	const struct store_message *sm = &b->d->messages[i];
	struct forward_message *fm = &b->msgs[i];
	char *mailbox = NULL;
	int r;

	r = store_message_raw(st, sm->id, &b->raws[i], &fm->raw_len, &mailbox,
	    err);
	free(mailbox);
	if (r < 0)
		return -1;
	fm->raw = b->raws[i];
	if (forward_dir_parse(sm->direction, &fm->dir) < 0)
		fm->dir = FORWARD_IN;
	fm->team = fm->dir != FORWARD_IN;
	if (sm->from_name != NULL && *sm->from_name != '\0')
		xasprintf(&b->froms[i], "%s <%s>", sm->from_name,
		    sm->from != NULL ? sm->from : "");
	else
		b->froms[i] = xstrdup(sm->from != NULL ? sm->from : "");
	fm->from = b->froms[i];
	fm->date = sm->date;
	fm->subject = sm->subject;
	fm->message_id = sm->message_id;
	if (fm->team && sm->text != NULL) {
		/* the raw bytes hold the commands: never attach them */
		b->texts[i] = command_strip(sm->text);
		fm->has_commands = strcmp(b->texts[i], sm->text) != 0;
		fm->text = fm->has_commands ? b->texts[i] : NULL;
	}
	return 0;
}

static void
load_notes_hits(struct bridge *b, struct forward_ticket *t)
{
	const struct store_detail *d = b->d;
	size_t i, n = 0;

	b->notes = xcalloc(d->n_events + 1, sizeof(*b->notes));
	for (i = 0; i < d->n_events; i++) {
		if (strcmp(d->events[i].kind, "note") != 0)
			continue;
		b->notes[n].author = d->events[i].actor;
		b->notes[n].at = d->events[i].at;
		b->notes[n].text = d->events[i].detail;
		n++;
	}
	t->notes = b->notes;
	t->n_notes = n;
	b->hits = xcalloc(d->n_hits + 1, sizeof(*b->hits));
	for (i = 0; i < d->n_hits; i++) {
		b->hits[i].rule = d->hits[i].rule;
		b->hits[i].file = d->hits[i].file;
		b->hits[i].line = d->hits[i].line;
		b->hits[i].target = d->hits[i].target;
		b->hits[i].match = d->hits[i].match;
	}
	t->hits = b->hits;
	t->n_hits = d->n_hits;
}

static void
fill_ticket(struct bridge *b, struct forward_ticket *t)
{
	const struct store_ticket *st = &b->d->t;

	memset(t, 0, sizeof(*t));
	t->id = st->id;
	t->subject = st->subject;
	t->customer = st->customer;
	t->customer_addr = st->customer;
	t->state = store_state_name(st->state);
	t->queue = st->queue;
	t->priority = priority_name(st->priority);
	t->owner = st->owner;
	t->tags = (const char *const *)st->tags;
	t->n_tags = st->n_tags;
	memcpy(t->scores, st->scores, sizeof(t->scores));
	if (st->related_to > 0) {
		b->link.kind = "related";
		b->link.ticket_id = st->related_to;
		t->links = &b->link;
		t->n_links = 1;
	}
	load_notes_hits(b, t);
	t->messages = b->msgs;
	t->n_messages = b->n;
}

/*
 * Move the messages stored up to `upto` (all when 0) to the front, in
 * thread order, and return how many there are; the rest stay behind them
 * so store_detail_free() still frees every one.
 */
static size_t
pinned_first(struct store_message *v, size_t n, int64_t upto)
{
	struct store_message *tmp;
	size_t i, k = 0, j;

	if (upto <= 0)
		return n;
	tmp = xcalloc(n + 1, sizeof(*tmp));
	for (i = 0; i < n; i++) {
		if (v[i].id <= upto)
			tmp[k++] = v[i];
	}
	for (i = 0, j = k; i < n; i++) {
		if (v[i].id > upto)
			tmp[j++] = v[i];
	}
	memcpy(v, tmp, n * sizeof(*v));
	free(tmp);
	return k;
}

int
outbox_build_forward(struct store *st, const struct accounts *accounts,
    int64_t ticket_id, int64_t message_row, int64_t upto_message,
    const struct conf_route *route, const struct forward_sender *s,
    int64_t event_id, int64_t now, struct forward_mails *out_r,
    struct error *err)
{
	struct forward_route fr = { route->name, route->to, route->style,
		route->reply_to };
	struct bridge b;
	const struct account *acct;
	struct forward_ticket t;
	size_t i;
	int r;

	memset(&b, 0, sizeof(b));
	r = store_show(st, ticket_id, &b.d, err);
	if (r < 0)
		goto out;
	b.n = pinned_first(b.d->messages, b.d->n_messages, upto_message);
	b.msgs = xcalloc(b.n + 1, sizeof(*b.msgs));
	b.raws = xcalloc(b.n + 1, sizeof(*b.raws));
	b.texts = xcalloc(b.n + 1, sizeof(*b.texts));
	b.froms = xcalloc(b.n + 1, sizeof(*b.froms));
	for (i = 0; i < b.n; i++) {
		r = load_message(st, &b, i, err);
		if (r < 0)
			goto out;
	}
	fill_ticket(&b, &t);
	t.ticket_url = s->ticket_url;
	acct = accounts != NULL && t.customer_addr != NULL ?
		   accounts_lookup_address(accounts, t.customer_addr) :
		   NULL;
	if (acct != NULL) {
		t.account = acct->name;
		t.tier = account_tier_name(acct->tier);
	}
	if (message_row != 0) {
		for (i = 0; i < b.n && b.d->messages[i].id != message_row; i++)
			;
		if (i == b.n) {
			r = error_set(err, ERR_NOTFOUND,
			    "ticket #%lld has no message %lld",
			    (long long)ticket_id, (long long)message_row);
			goto out;
		}
		t.first_new = i;
		t.n_new = 1; /* later messages have rows of their own */
	}
	r = forward_build(&t, &fr, s, event_id, now, out_r, err);
out:
	bridge_free(&b);
	return r;
}
