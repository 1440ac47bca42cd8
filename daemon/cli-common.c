/*
 * What every store command shares: find the database, open it, say who
 * is acting, and turn a library error into an exit code.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "store.h"
#include "xalloc.h"

int
cli_fail(const struct error *err)
{
	fprintf(stderr, "triage: %s\n", err->msg);
	switch (err->code) {
	case ERR_TEMP:
		return CLI_TEMPFAIL;
	case ERR_USAGE:
	case ERR_CONF:
		return CLI_USAGE;
	default:
		return CLI_REFUSED;
	}
}

long long
cli_ticket_id(const char *s)
{
	char *end;
	long long v;

	if (*s == '#')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return -1;
	return v;
}

static char *
unix_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *env;

	if (pw != NULL)
		return xstrdup(pw->pw_name);
	env = getenv("USER");
	return xstrdup(env != NULL && *env != '\0' ? env : "unknown");
}

int
cli_store_open(struct cli *cli, const struct cli_store_opts *o,
    struct cli_ctx *ctx)
{
	struct error err = { 0 };
	const char *db = o->db;
	int r;

	memset(ctx, 0, sizeof(*ctx));
	if (db == NULL)
		db = getenv("TRIAGE_DB");
	if (db == NULL || *db == '\0') {
		fprintf(stderr, "triage: no database: give --db FILE or set "
		    "TRIAGE_DB\n");
		return CLI_USAGE;
	}
	r = store_open(db, &ctx->st, &err);
	if (r < 0)
		return cli_fail(&err);
	ctx->actor = o->as != NULL ? xstrdup(o->as) : unix_user();
	return CLI_OK;
}

void
cli_store_close(struct cli_ctx *ctx)
{
	store_close(&ctx->st);
	free(ctx->actor);
	ctx->actor = NULL;
}
