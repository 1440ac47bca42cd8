/*
 * Reading tickets: queue, show, search.  Text for people (columns that
 * fit the terminal), --json for programs (json-c; the shapes in DESIGN.md
 * are binding: keys may be added, never renamed).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cli.h"
#include "error.h"
#include "store.h"
#include "xalloc.h"

#define DEFAULT_LIMIT 50

static void
iso_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Waiting and merged (schema 15): "merged_into", "wait_until", "waited". */
static void
desk_json(const struct store_detail *d, struct json_object *o)
{
	char when[32];

	json_object_object_add(o, "merged_into",
	    d->merged_into == 0 ? NULL : json_object_new_int64(d->merged_into));
	iso_time(d->wait_until, when, sizeof(when));
	json_object_object_add(o, "wait_until",
	    d->wait_until == 0 ? NULL : json_object_new_string(when));
	json_object_object_add(o, "waited", json_object_new_int64(d->waited));
}

static void
desk_text(const struct store_detail *d)
{
	char when[32];

	if (d->merged_into != 0)
		printf("\n  merged into #%lld", (long long)d->merged_into);
	if (d->t.state == STATE_WAITING) {
		iso_time(d->wait_since, when, sizeof(when));
		printf("\n  waiting on the customer since %s", when);
		iso_time(d->wait_until, when, sizeof(when));
		if (d->wait_until != 0)
			printf(" until %s", when);
	}
	if (d->waited > 0)
		printf("\n  waited %lldh%02lldm in all",
		    (long long)(d->waited / 3600),
		    (long long)(d->waited % 3600 / 60));
}

static struct json_object *
jtime(int64_t t)
{
	char buf[32];

	iso_time(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static struct json_object *
jlist(char **v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The queue's ticket object; show adds to it. */
static struct json_object *
ticket_json(const struct store_ticket *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(t->id));
	json_object_object_add(o, "subject", cli_jstr(t->subject));
	json_object_object_add(o, "state",
	    cli_jstr(store_state_name(t->state)));
	json_object_object_add(o, "queue", cli_jstr(t->queue));
	json_object_object_add(o, "priority",
	    cli_jstr(priority_name(t->priority)));
	json_object_object_add(o, "owner", cli_jstr(t->owner));
	json_object_object_add(o, "route", cli_jstr(t->route));
	json_object_object_add(o, "customer", cli_jstr(t->customer));
	json_object_object_add(o, "account", cli_jstr(t->account));
	json_object_object_add(o, "tier", cli_jstr(t->tier));
	json_object_object_add(o, "mailboxes",
	    jlist(t->mailboxes, t->n_mailboxes));
	json_object_object_add(o, "tags", jlist(t->tags, t->n_tags));
	json_object_object_add(o, "created", jtime(t->created));
	json_object_object_add(o, "updated", jtime(t->updated));
	return o;
}

static int
print_tickets_json(const struct store_ticket *v, size_t n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, ticket_json(&v[i]));
	json_object_object_add(o, "tickets", a);
	return cli_print_json(o);
}

static int
term_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	size_t n;

	if (cols != NULL && cli_count(cols, 10000, &n) == 0 && n > 20)
		return (int)n;
	if (!isatty(STDOUT_FILENO))
		return 132; /* piped to a pager or grep: room to read */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

/* Print at most `cols` characters of UTF-8 `s`, padded to `cols`. */
static void
put_cell(const char *s, int cols, int pad)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "-");
	int w = 0;

	while (*p != '\0' && w < cols) {
		int len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;

		if (w == cols - 1 && p[len] != '\0' && cols > 1) {
			fputs("…", stdout);
			w++;
			break;
		}
		for (int i = 0; i < len && p[i] != '\0'; i++)
			putchar(p[i]);
		p += len;
		w++;
	}
	while (pad && w++ < cols)
		putchar(' ');
}

static void
age(int64_t secs, char *out, size_t len)
{
	if (secs < 3600)
		snprintf(out, len, "%lldm", (long long)(secs / 60));
	else if (secs < 86400 * 2)
		snprintf(out, len, "%lldh", (long long)(secs / 3600));
	else
		snprintf(out, len, "%lldd", (long long)(secs / 86400));
}

/* Fixed columns: ID STATE PRI QUEUE OWNER AGE, with their separators. */
#define FIXED_COLS 54

static void
print_tickets_text(const struct store_ticket *v, size_t n, int64_t now)
{
	int rest = term_width() - FIXED_COLS, cust, subj;
	char id[24], a[24];

	/* Customer and subject share what is left; a narrow one drops it. */
	cust = rest >= 40 ? 24 : rest >= 24 ? rest / 3 : 0;
	subj = rest - (cust > 0 ? cust + 1 : 0);
	if (subj < 4)
		subj = 4;
	printf("%-6s %-12s %-6s %-10s %-10s %4s ", "ID", "STATE", "PRI",
	    "QUEUE", "OWNER", "AGE");
	if (cust > 0) {
		put_cell("CUSTOMER", cust, 1);
		putchar(' ');
	}
	put_cell("SUBJECT", subj, 0);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		const struct store_ticket *t = &v[i];

		snprintf(id, sizeof(id), "%lld", (long long)t->id);
		age(now - t->created, a, sizeof(a));
		put_cell(id, 6, 1);
		putchar(' ');
		put_cell(store_state_name(t->state), 12, 1);
		putchar(' ');
		put_cell(priority_name(t->priority), 6, 1);
		putchar(' ');
		put_cell(t->queue, 10, 1);
		putchar(' ');
		put_cell(t->owner, 10, 1);
		printf(" %4s ", a);
		if (cust > 0) {
			put_cell(t->customer, cust, 1);
			putchar(' ');
		}
		put_cell(t->subject, subj, 0);
		putchar('\n');
	}
}

int
cli_queue(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "queue", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 's' },
		{ "mine", no_argument, NULL, 'm' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_filter f = { NULL, NULL, -1, DEFAULT_LIMIT };
	struct cli_store_opts so = { .read_only = 1 };
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	enum store_state state;
	struct cli_ctx ctx;
	int ch, json = 0, mine = 0, rc;
	size_t n = 0;

	optind = 0; /* glibc: re-initialise, so options may follow IDs */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 'q':
			f.queue = optarg;
			break;
		case 's':
			if (store_state_parse(optarg, &state) < 0) {
				fprintf(stderr, "triage: unknown state '%s'\n",
				    optarg);
				return CLI_USAGE;
			}
			f.state = (int)state;
			break;
		case 'm':
			mine = 1;
			break;
		case 'l':
			rc = cli_count_arg("--limit", optarg, &f.limit);
			if (rc != CLI_OK)
				return rc;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cli_find("queue"));
		}
	}
	if (optind != argc)
		return cli_usage(cli_find("queue"));
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (mine)
		f.owner = ctx.actor;
	if (store_queue(ctx.st, &f, &v, &n, &err) < 0) {
		rc = cli_fail(&err);
	} else if (json) {
		rc = print_tickets_json(v, n);
	} else {
		print_tickets_text(v, n, store_now(ctx.st));
	}
	store_tickets_free(&v, n);
	cli_store_close(&ctx);
	return rc;
}

int
cli_search(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_store_opts so = { .read_only = 1 };
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	size_t n = 0, limit = DEFAULT_LIMIT;
	struct cli_ctx ctx;
	struct buf q;
	int ch, json = 0, rc;

	optind = 0; /* glibc: re-initialise, so options may follow IDs */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 'l':
			rc = cli_count_arg("--limit", optarg, &limit);
			if (rc != CLI_OK)
				return rc;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cli_find("search"));
		}
	}
	if (optind >= argc)
		return cli_usage(cli_find("search"));
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	buf_init(&q, 64 * 1024);
	for (int i = optind; i < argc; i++)
		buf_printf(&q, "%s%s", i > optind ? " " : "", argv[i]);
	if (store_search(ctx.st, q.data, limit, &v, &n, &err) < 0)
		rc = cli_fail(&err);
	else if (json)
		rc = print_tickets_json(v, n);
	else
		print_tickets_text(v, n, store_now(ctx.st));
	buf_free(&q);
	store_tickets_free(&v, n);
	cli_store_close(&ctx);
	return rc;
}

static struct json_object *
detail_json(const struct store_detail *d)
{
	struct json_object *o = ticket_json(&d->t), *a, *x;
	char when[32];

	x = json_object_new_object();
	for (int i = 0; i < DIM_COUNT; i++)
		json_object_object_add(x, dim_name((enum dim)i),
		    json_object_new_int(d->t.scores[i]));
	json_object_object_add(o, "scores", x);
	json_object_object_add(o, "qualified",
	    d->t.qualified == 0 ? NULL :
				  json_object_new_boolean(d->t.qualified > 0));
	json_object_object_add(o, "disqualify_reason",
	    cli_jstr(d->t.qualify_reason));
	json_object_object_add(o, "story", json_object_new_boolean(d->t.story));
	json_object_object_add(o, "ignore_reason",
	    cli_jstr(d->t.ignore_reason));
	json_object_object_add(o, "related_to",
	    d->t.related_to == 0 ? NULL :
				   json_object_new_int64(d->t.related_to));
	desk_json(d, o);
	a = json_object_new_array();
	for (size_t i = 0; i < d->n_messages; i++) {
		const struct store_message *m = &d->messages[i];

		x = json_object_new_object();
		json_object_object_add(x, "message_id",
		    cli_jstr(m->message_id));
		json_object_object_add(x, "from", cli_jstr(m->from));
		iso_time(m->date, when, sizeof(when));
		json_object_object_add(x, "date", cli_jstr(when));
		json_object_object_add(x, "direction", cli_jstr(m->direction));
		json_object_object_add(x, "subject", cli_jstr(m->subject));
		json_object_object_add(x, "text", cli_jstr(m->text));
		json_object_object_add(x, "mailbox", cli_jstr(m->mailbox));
		json_object_object_add(x, "status", cli_jstr(m->status));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "messages", a);
	a = json_object_new_array();
	for (size_t i = 0; i < d->n_hits; i++) {
		const struct store_hit *h = &d->hits[i];

		json_object_array_add(a, cli_hit_json(h->rule, h->file, h->line,
					     h->target, h->match));
	}
	json_object_object_add(o, "hits", a);
	a = json_object_new_array();
	for (size_t i = 0; i < d->n_events; i++) {
		const struct store_event_rec *e = &d->events[i];

		x = json_object_new_object();
		iso_time(e->at, when, sizeof(when));
		json_object_object_add(x, "at", cli_jstr(when));
		json_object_object_add(x, "actor", cli_jstr(e->actor));
		json_object_object_add(x, "unix_user", cli_jstr(e->unix_user));
		json_object_object_add(x, "source", cli_jstr(e->source));
		json_object_object_add(x, "kind", cli_jstr(e->kind));
		json_object_object_add(x, "detail", cli_jstr(e->detail));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "events", a);
	return o;
}

static void
print_detail_text(const struct store_detail *d)
{
	const struct store_ticket *t = &d->t;
	char when[32];

	printf("Ticket #%lld: %s\n", (long long)t->id, t->subject);
	printf("  state %s, queue %s, priority %s, owner %s, route %s\n",
	    store_state_name(t->state), t->queue, priority_name(t->priority),
	    t->owner != NULL ? t->owner : "-",
	    t->route != NULL ? t->route : "-");
	printf("  customer %s", t->customer != NULL ? t->customer : "-");
	if (t->account != NULL)
		printf(", account %s (%s)", t->account,
		    t->tier != NULL ? t->tier : "-");
	printf(", mailboxes");
	for (size_t i = 0; i < t->n_mailboxes; i++)
		printf(" %s", t->mailboxes[i]);
	printf("\n  tags");
	for (size_t i = 0; i < t->n_tags; i++)
		printf(" %s", t->tags[i]);
	printf("\n  scores");
	for (int i = 0; i < DIM_COUNT; i++)
		printf(" %s %d", dim_name((enum dim)i), t->scores[i]);
	if (t->qualified != 0)
		printf(", %s%s%s",
		    t->qualified > 0 ? "qualified" : "disqualified",
		    t->qualify_reason != NULL ? ": " : "",
		    t->qualify_reason != NULL ? t->qualify_reason : "");
	if (t->story)
		printf(", story candidate");
	if (t->related_to != 0)
		printf("\n  related to #%lld", (long long)t->related_to);
	if (t->ignore_reason != NULL)
		printf("\n  ignored: %s", t->ignore_reason);
	desk_text(d);
	printf("\n\nThread:\n");
	for (size_t i = 0; i < d->n_messages; i++) {
		const struct store_message *m = &d->messages[i];

		iso_time(m->date, when, sizeof(when));
		printf("  [%s] %s %s <%s> %s\n", m->direction, when, m->from,
		    m->message_id, m->subject);
	}
	if (d->n_hits > 0)
		printf("\nRule hits:\n");
	for (size_t i = 0; i < d->n_hits; i++) {
		const struct store_hit *h = &d->hits[i];

		printf("  %s (%s:%d) %s: \"%s\"\n", h->rule, h->file, h->line,
		    h->target, h->match);
	}
	printf("\nEvents:\n");
	for (size_t i = 0; i < d->n_events; i++) {
		const struct store_event_rec *e = &d->events[i];

		iso_time(e->at, when, sizeof(when));
		printf("  %s %-8s %-6s %-10s %s", when, e->actor, e->source,
		    e->kind, e->detail);
		/* who typed it, when someone acted for another (--as) */
		if (e->unix_user != NULL && strcmp(e->unix_user, e->actor) != 0)
			printf(" (Unix user %s)", e->unix_user);
		putchar('\n');
	}
}

int
cli_show(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_store_opts so = { .read_only = 1 };
	struct store_detail *d = NULL;
	struct error err = { 0 };
	struct cli_ctx ctx;
	int ch, json = 0, rc;
	long long id;

	optind = 0; /* glibc: re-initialise, so options may follow IDs */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cli_find("show"));
		}
	}
	if (optind != argc - 1)
		return cli_usage(cli_find("show"));
	rc = cli_ticket_arg(argv[optind], &id);
	if (rc != CLI_OK)
		return rc;
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (store_show(ctx.st, id, &d, &err) < 0)
		rc = cli_fail(&err);
	else if (json)
		rc = cli_print_json(detail_json(d));
	else
		print_detail_text(d);
	store_detail_free(&d);
	cli_store_close(&ctx);
	return rc;
}
