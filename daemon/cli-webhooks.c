/*
 * triage webhooks [--failed | --all] [--limit N] [--json]: the webhook
 * deliveries not yet done (waiting, being sent, failed), newest first,
 * with their attempts, the receiver's last status and error.
 * triage webhooks retry ID: a failed (or waiting) row is due again now;
 * the running triaged POSTs it within its interval.
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
#include "store-webhook.h"
#include "store.h"

static void
when(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The time that matters in a row's state: delivered, next try, lease. */
static int64_t
row_time(const struct store_webhook *w)
{
	if (strcmp(w->state, "delivered") == 0)
		return w->delivered_at;
	if (strcmp(w->state, "pending") == 0)
		return w->next_attempt;
	if (strcmp(w->state, "sending") == 0)
		return w->lease_until;
	return 0;
}

static void
print_rows(const struct store_webhook *v, size_t n)
{
	char t[32];

	printf("%-6s %-7s %-8s %-10s %5s %4s  %-20s %-32s %s\n", "ID", "TICKET",
	    "EVENT", "STATE", "TRIES", "HTTP", "NEXT/DONE", "URL",
	    "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		const struct store_webhook *w = &v[i];

		when(row_time(w), t, sizeof(t));
		printf("%-6lld #%-6lld %-8s %-10s %5d %4d  %-20s %-32s %s\n",
		    (long long)w->id, (long long)w->ticket_id, w->kind,
		    w->state, w->attempts, w->http_status, t, w->url,
		    w->last_error != NULL ? w->last_error : "");
	}
}

static json_object *
jtime(int64_t t)
{
	char buf[32];

	if (t <= 0)
		return NULL;
	when(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

/* {"webhooks": [{"id": 3, "ticket": 12, "event": 40, ...}]} */
static void
print_json_rows(const struct store_webhook *v, size_t n)
{
	json_object *a = json_object_new_array(), *o, *x;

	for (size_t i = 0; i < n; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_int64(v[i].id));
		json_object_object_add(x, "ticket",
		    json_object_new_int64(v[i].ticket_id));
		json_object_object_add(x, "event",
		    json_object_new_int64(v[i].event_id));
		json_object_object_add(x, "kind", cli_jstr(v[i].kind));
		json_object_object_add(x, "url", cli_jstr(v[i].url));
		json_object_object_add(x, "state", cli_jstr(v[i].state));
		json_object_object_add(x, "attempts",
		    json_object_new_int(v[i].attempts));
		json_object_object_add(x, "http_status",
		    v[i].http_status > 0 ?
			json_object_new_int(v[i].http_status) :
			NULL);
		json_object_object_add(x, "created", jtime(v[i].created));
		json_object_object_add(x, "next_attempt",
		    strcmp(v[i].state, "pending") == 0 ?
			jtime(v[i].next_attempt) :
			NULL);
		json_object_object_add(x, "delivered_at",
		    jtime(v[i].delivered_at));
		json_object_object_add(x, "last_error",
		    cli_jstr(v[i].last_error));
		json_object_array_add(a, x);
	}
	o = json_object_new_object();
	json_object_object_add(o, "webhooks", a);
	cli_print_json(o);
}

static int
list(struct cli_ctx *ctx, const char *state, size_t limit, int json)
{
	struct store_webhook *v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	if (store_webhook_list(ctx->st, state, limit, &v, &n, &err) < 0)
		return cli_fail(&err);
	if (json)
		print_json_rows(v, n);
	else
		print_rows(v, n);
	store_webhook_free(&v, n);
	return CLI_OK;
}

static int
retry(struct cli_ctx *ctx, const char *arg, int json)
{
	json_object *o;
	struct error err = { 0 };
	long long id = cli_ticket_id(arg);

	if (id < 0 || *arg == '#') {
		fprintf(stderr, "triage: '%s' is not a webhook row id\n", arg);
		return CLI_USAGE;
	}
	if (store_webhook_requeue(ctx->st, id, &err) < 0)
		return cli_fail(&err);
	if (!json) {
		printf("webhook row %lld queued again\n", id);
		return CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "webhook_row", json_object_new_int64(id));
	json_object_object_add(o, "done", json_object_new_string("queued"));
	return cli_print_json(o);
}

int
cli_webhooks(struct cli *cli, int argc, char **argv)
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
		if (ch == 'f') {
			state = "failed";
		} else if (ch == 'a') {
			state = "all";
		} else if (ch == 'j') {
			json = 1;
		} else if (ch == 'l') {
			rc = cli_count_arg("--limit", optarg, &limit);
			if (rc != CLI_OK)
				return rc;
		} else if (!cli_store_opt(ch, optarg, &so)) {
			return cli_usage(cmd);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0 && !(argc == 2 && strcmp(argv[0], "retry") == 0))
		return cli_usage(cmd);
	so.intent = argc == 2 ? ACTOR_CHANGES : ACTOR_READS;
	so.read_only = argc == 0;
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
