/*
 * triage db init: create the database, or bring an older one's schema
 * up to date, and exit.  Only triaged and `triage ingest` create a
 * database on their own (a mistyped --db is an error elsewhere); this is
 * the step an installer or a script takes before anything reads it.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"

int
cli_db(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_store_opts so = { .may_create = 1 };
	struct cli_ctx ctx;
	struct json_object *o;
	int ch, json = 0, rc;

	optind = 0; /* glibc: re-initialise, so options may follow */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		if (ch != 'j')
			return cli_usage(cli_find("db"));
		json = 1;
	}
	if (optind + 1 != argc || strcmp(argv[optind], "init") != 0)
		return cli_usage(cli_find("db"));
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "schema",
		    json_object_new_int(store_schema_version(ctx.st)));
		cli_print_json(o);
	} else {
		printf("schema %d\n", store_schema_version(ctx.st));
	}
	cli_store_close(&ctx);
	return CLI_OK;
}
