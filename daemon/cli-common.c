/*
 * What every store command shares: find the database, open it, say who
 * is acting, and turn a library error into an exit code.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "cli.h"
#include "conf.h"
#include "error.h"
#include "forward.h"
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

static int
team_member(void *arg, const char *address)
{
	return conf_member_by_address(arg, address) != NULL;
}

/* The config: required unless a database was named on its own. */
static int
load_conf(struct cli *cli, int have_db, struct conf **conf_r)
{
	struct conf_errors errs = {0};
	int r;

	if (have_db && !cli->conf_given && access(cli->conf_path, F_OK) != 0)
		return CLI_OK;
	r = conf_load_flags(
	    cli->conf_path, CONF_LOAD_NO_SECRETS, conf_r, &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "triage: %s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/*
 * The config's accounts.csv, if any.  A broken one is reported and left
 * out, not fatal: `triage ingest` must not bounce mail over it (the
 * daemon, which can keep the old file, refuses it instead).
 */
static int
load_accounts(const struct conf *c, struct accounts **a_r)
{
	struct accounts_errors errs = {0};

	if (c == NULL || c->accounts == NULL)
		return CLI_OK;
	if (accounts_load(c->accounts, a_r, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "triage: %s\n", errs.v[i]);
		fprintf(stderr, "triage: %s: going on without key "
		    "accounts\n", c->accounts);
	}
	accounts_errors_clear(&errs);
	return CLI_OK;
}

/* --as NAME, or the Unix user, as a team member's name where possible. */
static int
resolve_actor(const struct conf *c, const char *as, char **actor_r)
{
	char *user;

	if (as != NULL) {
		if (c != NULL && c->n_team > 0 &&
		    conf_member_by_name(c, as) == NULL) {
			fprintf(stderr,
			    "triage: '%s' is not in the team of "
			    "%s\n",
			    as, c->path);
			return CLI_USAGE;
		}
		*actor_r = xstrdup(as);
		return CLI_OK;
	}
	user = unix_user();
	for (size_t i = 0; c != NULL && i < c->n_team; i++) {
		const struct conf_member *m = &c->team[i];
		const char *u = m->unix_user != NULL ? m->unix_user : m->name;

		if (strcmp(u, user) == 0) {
			free(user);
			user = xstrdup(m->name);
			break;
		}
	}
	*actor_r = user;
	return CLI_OK;
}

int
cli_store_open(
    struct cli *cli, const struct cli_store_opts *o, struct cli_ctx *ctx)
{
	struct error err = {0};
	const char *db = o->db;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	if (db == NULL || *db == '\0')
		db = getenv("TRIAGE_DB");
	if (db != NULL && *db == '\0')
		db = NULL;
	rc = load_conf(cli, db != NULL, &ctx->conf);
	if (rc != CLI_OK)
		return rc;
	if (db == NULL)
		db = ctx->conf->database;
	rc = resolve_actor(ctx->conf, o->as, &ctx->actor);
	if (rc == CLI_OK)
		rc = load_accounts(ctx->conf, &ctx->accounts);
	if (rc != CLI_OK) {
		cli_store_close(ctx);
		return rc;
	}
	if (store_open(db, &ctx->st, &err) < 0) {
		cli_store_close(ctx);
		return cli_fail(&err);
	}
	if (ctx->conf != NULL)
		store_set_team(ctx->st, team_member, ctx->conf);
	store_set_accounts(ctx->st, ctx->accounts);
	if (ctx->conf != NULL && ctx->conf->smtp_from != NULL) {
		/* replies to our forwards thread back (triage ingest) */
		struct forward_sender fs = {0};

		if (forward_sender_parse(ctx->conf->smtp_from, &fs, &err) == 0)
			store_set_own_domain(ctx->st, fs.domain);
		forward_sender_clear(&fs);
	}
	return CLI_OK;
}

void
cli_store_close(struct cli_ctx *ctx)
{
	store_close(&ctx->st);
	accounts_free(&ctx->accounts);
	conf_free(&ctx->conf);
	free(ctx->actor);
	ctx->actor = NULL;
}
