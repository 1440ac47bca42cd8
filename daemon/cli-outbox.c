/*
 * triage outbox [--failed | --all] [--limit N] [--json]: the rows waiting
 * or failed (newest first), with their attempts and last error.
 * triage outbox retry ID: a failed (or waiting) row is due again now; the
 * running triaged sends it within its outbox interval.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "cli.h"
#include "error.h"
#include "store-outbox.h"
#include "store.h"

static void
iso(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
print_rows(const struct store_outbox *v, size_t n)
{
	char when[32];

	printf("%-6s %-7s %-8s %-24s %-8s %5s  %-20s %s\n", "ID", "TICKET",
	    "KIND", "TO", "STATE", "TRIES", "NEXT/SENT", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		const struct store_outbox *o = &v[i];

		iso(strcmp(o->state, "sent") == 0    ? o->sent_at :
		    strcmp(o->state, "pending") == 0 ? o->next_attempt :
						       0,
		    when, sizeof(when));
		char ticket[24] = "-"; /* a report is about no ticket */

		if (o->ticket_id > 0)
			snprintf(ticket, sizeof(ticket), "#%lld",
			    (long long)o->ticket_id);
		printf("%-6lld %-7s %-8s %-24s %-8s %5d  %-20s %s\n",
		    (long long)o->id, ticket, o->kind,
		    o->route != NULL ? o->route :
		    o->rcpt != NULL  ? o->rcpt :
				       "-",
		    o->state, o->attempts, when,
		    o->last_error != NULL ? o->last_error : "");
	}
}

/* {"outbox": [{"id": 3, "ticket": 12, "kind": "forward", ...}]} */
static void
print_json_rows(const struct store_outbox *v, size_t n)
{
	struct json_object *a = json_object_new_array(), *o, *x;
	char when[32];

	for (size_t i = 0; i < n; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_int64(v[i].id));
		json_object_object_add(x, "ticket",
		    v[i].ticket_id > 0 ? json_object_new_int64(v[i].ticket_id) :
					 NULL);
		json_object_object_add(x, "kind", cli_jstr(v[i].kind));
		json_object_object_add(x, "route", cli_jstr(v[i].route));
		json_object_object_add(x, "rcpt", cli_jstr(v[i].rcpt));
		json_object_object_add(x, "state", cli_jstr(v[i].state));
		json_object_object_add(x, "attempts",
		    json_object_new_int(v[i].attempts));
		iso(v[i].next_attempt, when, sizeof(when));
		json_object_object_add(x, "next_attempt", cli_jstr(when));
		iso(v[i].sent_at, when, sizeof(when));
		json_object_object_add(x, "sent_at",
		    v[i].sent_at > 0 ? cli_jstr(when) : NULL);
		json_object_object_add(x, "last_error",
		    cli_jstr(v[i].last_error));
		json_object_array_add(a, x);
	}
	o = json_object_new_object();
	json_object_object_add(o, "outbox", a);
	cli_print_json(o);
}

static int
list(struct cli_ctx *ctx, const char *state, size_t limit, int json)
{
	struct store_outbox *v = NULL;
	struct error err = { 0 };
	size_t n = 0;
	int r;

	r = store_outbox_list(ctx->st, state, limit, &v, &n, &err);
	if (r < 0)
		return cli_fail(&err);
	if (json)
		print_json_rows(v, n);
	else
		print_rows(v, n);
	store_outbox_free(&v, n);
	return CLI_OK;
}

static int
retry(struct cli_ctx *ctx, const char *arg, int json)
{
	struct json_object *o;
	struct error err = { 0 };
	/* a row id has the shape of a ticket number: 1 to 18 digits */
	long long id = cli_ticket_id(arg);
	int r;

	if (id < 0 || *arg == '#') {
		fprintf(stderr, "triage: '%s' is not an outbox row id\n", arg);
		return CLI_USAGE;
	}
	r = store_outbox_requeue(ctx->st, id, ctx->actor, &err);
	if (r < 0)
		return cli_fail(&err);
	if (!json) {
		printf("outbox row %lld queued again\n", id);
		return CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "outbox_row", json_object_new_int64(id));
	json_object_object_add(o, "done", json_object_new_string("queued"));
	return cli_print_json(o);
}

int
cli_outbox(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "failed", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *cmd = cli_find(argv[0]);
	struct cli_store_opts so = { 0 };
	struct cli_ctx ctx;
	const char *state = NULL;
	size_t limit = 0;
	int ch, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			so.db = optarg;
			break;
		case 'A':
			so.as = optarg;
			break;
		case 'f':
			state = "failed";
			break;
		case 'a':
			state = "all";
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			rc = cli_count_arg("--limit", optarg, &limit);
			if (rc != CLI_OK)
				return rc;
			break;
		default:
			return cli_usage(cmd);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0 && !(argc == 2 && strcmp(argv[0], "retry") == 0))
		return cli_usage(cmd);
	so.intent = argc == 2 ? ACTOR_CHANGES : ACTOR_READS;
	so.read_only = argc == 0; /* the listing; retry writes */
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (argc == 2)
		rc = retry(&ctx, argv[1], json);
	else
		rc = list(&ctx, state, limit, json);
	cli_store_close(&ctx);
	return rc;
}
