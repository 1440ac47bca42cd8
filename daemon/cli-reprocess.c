/*
 * triage reprocess ID... | --failed: parse and classify stored raw mail
 * again after a parser or rule change, through the same pipeline as the
 * daemon and `triage ingest` (lib/work/ingest.h), recording the change
 * as "reprocess" events.  Mail commands are not applied again.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "actor.h"
#include "cli.h"
#include "error.h"
#include "ingest.h"
#include "store.h"

/* Parse one stored message again and record what changed. */
static int
reprocess_one(struct cli_ctx *ctx, int64_t id, struct json_object *out)
{
	struct json_object *o;
	struct store_actor who = { ctx->actor, STORE_SRC_CLI };
	struct error err = { 0 };
	int parsed;

	if (ingest_reprocess(ctx->ingest, ctx->st, id, &who, &parsed, &err) < 0)
		return cli_fail(&err);
	if (out == NULL) {
		printf("message %lld: %s\n", (long long)id,
		    parsed ? "parsed again" : "still unparsable");
		return CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_int64(id));
	json_object_object_add(o, "parsed", json_object_new_boolean(parsed));
	json_object_array_add(out, o);
	return CLI_OK;
}

int
cli_reprocess(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "failed", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	/* the pipeline's work, as ingest: no team member needed (actor.h) */
	struct cli_store_opts so = { .intent = ACTOR_READS };
	struct error err = { 0 };
	int64_t *ids = NULL;
	size_t n = 0;
	struct json_object *out = NULL, *o;
	struct cli_ctx ctx;
	long long id;
	int ch, failed = 0, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 'f':
			failed = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cli_find("reprocess"));
		}
	}
	if (failed == (optind < argc))
		return cli_usage(cli_find("reprocess"));
	for (int i = optind; i < argc; i++) {
		rc = cli_ticket_arg(argv[i], &id);
		if (rc != CLI_OK)
			return rc;
	}
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	cli_ingest_open(&ctx);
	if (json)
		out = json_object_new_array();
	if (failed) {
		if (store_messages_failed(ctx.st, &ids, &n, &err) < 0)
			rc = cli_fail(&err);
		for (size_t i = 0; i < n; i++)
			rc = cli_worse(rc, reprocess_one(&ctx, ids[i], out));
		free(ids);
	}
	for (int i = optind; i < argc; i++) {
		ids = NULL;
		n = 0;
		if (store_messages_for_ticket(ctx.st, cli_ticket_id(argv[i]),
			&ids, &n, &err) < 0)
			rc = cli_worse(rc, cli_fail(&err));
		for (size_t k = 0; k < n; k++)
			rc = cli_worse(rc, reprocess_one(&ctx, ids[k], out));
		free(ids);
	}
	if (out != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "messages", out);
		cli_print_json(o);
	}
	cli_store_close(&ctx);
	return rc;
}
