/*
 * triage report [--since 7d | --from DATE [--to DATE]] [--mailbox M]
 *               [--format text|json|csv|html] [-o FILE] [--db FILE]
 *               [--mail | --mail-to ADDR[,ADDR...]] [--as NAME]
 *
 * Wiring only: the config gives the database, the business hours and
 * the key accounts; cli_store_open() (cli-common.c) opens the database,
 * report_mail_fill() gets the figures, report_render() writes them, or
 * --mail queues them as the weekly mail (report_mail_render) in the
 * outbox for triaged to send.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "error.h"
#include "actor.h"
#include "progress.h"
#include "report-mail.h"
#include "report.h"
#include "store-outbox.h"
#include "sla.h"
#include "store.h"
#include "xalloc.h"

/* Even a report of every ticket ever is lists of names and figures. */
#define REPORT_MAX_BYTES (64u << 20)

struct report_opts {
	const char *since, *from, *to;
	const char *mailbox;
	const char *db;
	const char *as; /* --as: who mails it */
	const char *output;
	enum report_format format;
	int mail;	     /* --mail or --mail-to: queue it as a mail */
	const char *mail_to; /* --mail-to, else report.weekly_to */
};

/* What the report reads beside the database; every field owned. */
struct report_env {
	struct conf *conf;
	struct sla_hours *hours;
	struct sla_hours *zone; /* timezone, else the hours', else local */
	struct accounts *accounts;
};

static int
parse_opts(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'D' },
		{ "mail", no_argument, NULL, 'M' },
		{ "mail-to", required_argument, NULL, 'T' },
		{ "as", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->format = REPORT_TEXT;
	for (;;) {
		ch = getopt_long(argc, argv, "o:", longopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 's':
			o->since = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'm':
			o->mailbox = optarg;
			break;
		case 'F':
			if (report_format_parse(optarg, &o->format) < 0) {
				fprintf(stderr,
				    "triage: report: unknown "
				    "format '%s'\n",
				    optarg);
				return -1;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'D':
			o->db = optarg;
			break;
		case 'M':
			o->mail = 1;
			break;
		case 'T':
			o->mail = 1;
			o->mail_to = optarg;
			break;
		case 'A':
			o->as = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static void
env_clear(struct report_env *e)
{
	conf_free(&e->conf);
	sla_hours_free(&e->hours);
	sla_hours_free(&e->zone);
	accounts_free(&e->accounts);
}

/*
 * The config, its business hours and accounts.  No config file at the
 * default path is fine when the database is named otherwise (a copy of
 * the database on a laptop); a broken config never is.
 */
static int
env_load(struct cli *cli, const struct report_opts *o, struct report_env *e)
{
	struct conf_errors errs = { 0 };
	struct accounts_errors aerrs = { 0 };
	struct error err = { 0 };
	int r;

	if (!cli->conf_given && o->db != NULL && !o->mail &&
	    access(cli->conf_path, F_OK) < 0)
		return sla_zone(NULL, &e->zone, &err) < 0 ? cli_fail(&err) :
							    CLI_OK;
	r = conf_load_flags(cli->conf_path, CONF_LOAD_NO_SECRETS, &e->conf,
	    &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "triage: %s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return CLI_USAGE;
	}
	r = report_mail_zones(e->conf, &e->hours, &e->zone, &err);
	if (r < 0)
		return cli_fail(&err);
	if (e->conf->accounts != NULL) {
		/* Without accounts the figures still stand: say so, go on. */
		r = accounts_load(e->conf->accounts, &e->accounts, &aerrs);
		for (size_t i = 0; r < 0 && i < aerrs.n; i++)
			fprintf(stderr, "triage: %s, skipping accounts\n",
			    aerrs.v[i]);
		accounts_errors_clear(&aerrs);
	}
	if (o->mailbox != NULL && conf_mailbox(e->conf, o->mailbox) == NULL) {
		fprintf(stderr, "triage: report: no mailbox '%s' in %s\n",
		    o->mailbox, cli->conf_path);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/*
 * --mail: who gets it.  Not a mailbox triage reads: the report would
 * come back as mail to triage.
 */
static const char *
mail_rcpt(const struct report_opts *o, const struct report_env *e)
{
	const char *to =
	    o->mail_to != NULL ? o->mail_to : e->conf->report.weekly_to;
	const struct conf_mailbox *mb;

	if (to == NULL) {
		fprintf(stderr,
		    "triage: report: --mail: no report.weekly_to in %s; "
		    "name the recipients with --mail-to\n",
		    e->conf->path);
		return NULL;
	}
	mb = conf_reads(e->conf, to);
	if (mb != NULL) {
		fprintf(stderr,
		    "triage: report: --mail: \"%s\" is the address of "
		    "mailbox '%s', which triage reads\n",
		    to, mb->name);
		return NULL;
	}
	return to;
}

/* Queue the report as the weekly mail; triaged sends it. */
static int
queue_mail(struct store *st, const struct report *rep, const char *to)
{
	struct error err = { 0 };
	char *note = NULL, *html = NULL;
	int64_t id = 0;
	int r;

	r = report_mail_render(rep, "triage report", &note, &html, &err);
	if (r == 0)
		r = store_weekly_queue(st, to, note, html, &id, &err);
	free(note);
	free(html);
	if (r < 0)
		return cli_fail(&err);
	printf("report for %s queued as outbox row %lld; triaged sends it\n",
	    to, (long long)id);
	return CLI_OK;
}

static int
write_out(const char *path, const struct buf *b)
{
	FILE *f = stdout;
	int bad;

	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "w");
		if (f == NULL) {
			fprintf(stderr, "triage: report: %s: %m\n", path);
			return CLI_REFUSED;
		}
	}
	bad = fwrite(b->data != NULL ? b->data : "", 1, b->len, f) != b->len;
	bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "triage: report: %s: %m\n",
		    path != NULL ? path : "stdout");
		return CLI_REFUSED;
	}
	return CLI_OK;
}

int
cli_report(struct cli *cli, int argc, char **argv)
{
	struct report_opts o;
	struct report_env e = { 0 };
	struct report rep;
	struct cli_store_opts so = { .read_only = 1 };
	struct cli_ctx ctx = { 0 };
	struct error err = { 0 };
	struct buf out;
	struct progress *p;
	const char *db, *mail_to = NULL;
	int64_t from, to;
	int r, rc;

	report_init(&rep, 0, 0);
	buf_init(&out, REPORT_MAX_BYTES);
	if (parse_opts(argc, argv, &o) < 0) {
		rc = cli_usage(cli_find("report"));
		goto out;
	}
	if (o.db == NULL && getenv("TRIAGE_DB") != NULL &&
	    *getenv("TRIAGE_DB") != '\0')
		o.db = getenv("TRIAGE_DB");
	rc = env_load(cli, &o, &e);
	if (rc != CLI_OK)
		goto out;
	if (o.mail) {
		mail_to = mail_rcpt(&o, &e);
		rc = mail_to != NULL ? CLI_OK : CLI_USAGE;
		if (rc != CLI_OK)
			goto out;
		so.read_only = 0;
		so.intent = ACTOR_CHANGES;
		so.as = o.as;
	}
	db = o.db != NULL ? o.db : e.conf->database;
	/* A report reads: a mistyped path must not create a database. */
	if (!store_target_is_server(db) && access(db, F_OK) < 0) {
		fprintf(stderr, "triage: report: %s: %m\n", db);
		rc = CLI_REFUSED;
		goto out;
	}
	r = report_period(o.since, o.from, o.to,
	    e.zone != NULL ? e.zone : e.hours, (int64_t)time(NULL), &from, &to,
	    &err);
	if (r < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	so.db = db;
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		goto out;
	/* a long range reads many tickets: show it on a terminal */
	p = progress_new(stderr, "report: tickets read", 0, 0);
	r = report_mail_fill(ctx.st, from, to, o.mailbox, e.hours,
	    e.zone != NULL ? e.zone : e.hours, e.accounts,
	    e.conf != NULL ? e.conf->ticket_url : NULL, p, &rep, &err);
	progress_end(&p);
	if (r == 0 && mail_to != NULL) {
		rc = queue_mail(ctx.st, &rep, mail_to);
		goto out;
	}
	if (r == 0)
		r = report_render(&rep, o.format, &out, &err);
	if (r < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = write_out(o.output, &out);
out:
	buf_free(&out);
	report_clear(&rep);
	cli_store_close(&ctx);
	env_clear(&e);
	return rc;
}
