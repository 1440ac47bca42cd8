/*
 * triage db init: create the database, or bring an older one's schema
 * up to date, and exit.  Only triaged and `triage ingest` create a
 * database on their own (a mistyped --db is an error elsewhere); this is
 * the step an installer or a script takes before anything reads it.
 *
 * triage db copy --to URL: move the SQLite database (--from FILE, else
 * the configured one) into a PostgreSQL database, all or nothing
 * (store_copy).  The target's password is the config's password_file's,
 * or libpq's PGPASSFILE.
 */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "store.h"

static int
db_copy(struct cli_ctx *ctx, const char *to, int json)
{
	struct store_copy_stats stats = { 0 };
	struct error err = { 0 };
	struct store *dst = NULL;
	struct json_object *o;
	int r;

	if (!store_target_is_server(to)) {
		fprintf(stderr,
		    "triage: db copy: --to must name a PostgreSQL database "
		    "(postgresql://...), not \"%s\"\n",
		    to);
		return CLI_USAGE;
	}
	r = store_open_pw(to, cli_db_password_file(ctx->conf), &dst, &err);
	if (r == 0)
		r = store_copy(ctx->st, dst, stderr, &stats, &err);
	store_close(&dst);
	if (r < 0)
		return cli_fail(&err);
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "tables",
		    json_object_new_int64((int64_t)stats.tables));
		json_object_object_add(o, "rows",
		    json_object_new_int64((int64_t)stats.rows));
		return cli_print_json(o);
	}
	printf("copied %" PRIu64 " rows of %zu tables to %s\n", stats.rows,
	    stats.tables, to);
	return CLI_OK;
}

int
cli_db(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_store_opts so = { .may_create = 1 };
	struct cli_ctx ctx;
	struct json_object *o;
	const char *to = NULL;
	int ch, json = 0, copy, rc;

	optind = 0; /* glibc: re-initialise, so options may follow */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		if (ch == 'f')
			so.db = optarg;
		else if (ch == 't')
			to = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(cli_find("db"));
	}
	if (optind + 1 != argc)
		return cli_usage(cli_find("db"));
	copy = strcmp(argv[optind], "copy") == 0;
	if ((!copy && strcmp(argv[optind], "init") != 0) ||
	    (copy != (to != NULL)))
		return cli_usage(cli_find("db"));
	/* the source of a copy must be there: a typo is not a new database */
	so.may_create = !copy;
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (copy) {
		rc = db_copy(&ctx, to, json);
	} else if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "schema",
		    json_object_new_int(store_schema_version(ctx.st)));
		cli_print_json(o);
	} else {
		printf("schema %d\n", store_schema_version(ctx.st));
	}
	cli_store_close(&ctx);
	return rc;
}
