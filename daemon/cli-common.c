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
#include "command.h"
#include "conf.h"
#include "error.h"
#include "ingest.h"
#include "mime.h"
#include "rules.h"
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
	int64_t id;
	int r;

	if (*s == '#')
		s++;
	r = command_ticket_id(s, strlen(s), &id);
	if (r < 0)
		return -1;
	return (long long)id;
}

int
cli_ticket_arg(const char *arg, long long *id_r)
{
	long long id = cli_ticket_id(arg);

	if (id < 0) {
		fprintf(stderr,
		    "triage: '%s' is not a ticket number "
		    "(1 to %d digits)\n",
		    arg, COMMAND_TICKET_DIGITS);
		return CLI_USAGE;
	}
	*id_r = id;
	return CLI_OK;
}

int
cli_count(const char *s, size_t max, size_t *n_r)
{
	size_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		/* bound before multiplying: v * 10 + d stays <= max */
		if (v > (max - (size_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	*n_r = v;
	return 0;
}

int
cli_count_arg(const char *opt, const char *arg, size_t *n_r)
{
	int r = cli_count(arg, CLI_COUNT_MAX, n_r);

	if (r < 0) {
		fprintf(stderr,
		    "triage: %s '%s' is not a number from 0 to %d\n", opt, arg,
		    CLI_COUNT_MAX);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int
cli_store_opt(int ch, const char *arg, struct cli_store_opts *so)
{
	switch (ch) {
	case 'D':
		so->db = arg;
		return 1;
	case 'A':
		so->as = arg;
		return 1;
	default:
		return 0;
	}
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

/* The config: required unless a database was named on its own. */
static int
load_conf(struct cli *cli, int have_db, struct conf **conf_r)
{
	struct conf_errors errs = { 0 };
	int r;

	if (have_db && !cli->conf_given && access(cli->conf_path, F_OK) != 0)
		return CLI_OK;
	r = conf_load_flags(cli->conf_path, CONF_LOAD_NO_SECRETS, conf_r,
	    &errs);
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
	struct accounts_errors errs = { 0 };

	if (c == NULL || c->accounts == NULL)
		return CLI_OK;
	if (accounts_load(c->accounts, a_r, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "triage: %s\n", errs.v[i]);
		fprintf(stderr,
		    "triage: %s: going on without key "
		    "accounts\n",
		    c->accounts);
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
cli_store_open(struct cli *cli, const struct cli_store_opts *o,
    struct cli_ctx *ctx)
{
	struct error err = { 0 };
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
	if ((o->read_only ? store_open_read(db, &ctx->st, &err) :
			    store_open(db, &ctx->st, &err)) < 0) {
		cli_store_close(ctx);
		return cli_fail(&err);
	}
	/* the team, and our domain: replies to our forwards thread back */
	ingest_store_setup(ctx->st, ctx->conf, ctx->accounts);
	return CLI_OK;
}

void
cli_store_close(struct cli_ctx *ctx)
{
	if (ctx->ingest != NULL)
		mime_shutdown();
	ingest_free(&ctx->ingest);
	rules_free(&ctx->rules);
	store_close(&ctx->st);
	accounts_free(&ctx->accounts);
	conf_free(&ctx->conf);
	free(ctx->actor);
	ctx->actor = NULL;
}

int
cli_rules_load(const char *dir, const struct conf *c, struct rules **rs_r,
    struct rules_problems *probs)
{
	struct rules_names names;
	struct rules_options opts = { NULL, 0 };

	if (c != NULL) {
		rules_names_from_conf(&names, c);
		opts.names = &names;
	}
	return rules_load(dir, &opts, rs_r, probs);
}

void
cli_ingest_open(struct cli_ctx *ctx)
{
	struct rules_problems probs = { 0 };
	const struct conf *c = ctx->conf;

	if (c != NULL && c->rules != NULL &&
	    cli_rules_load(c->rules, c, &ctx->rules, &probs) < 0) {
		fprintf(stderr,
		    "triage: %s: rules do not load (%zu "
		    "problems, see 'triage rules check'); storing "
		    "unclassified\n",
		    c->rules, probs.n);
		ctx->rules = NULL;
	}
	rules_problems_clear(&probs);
	ctx->ingest = ingest_new(c, ctx->rules, ctx->accounts);
	mime_init();
}

int
cli_worse(int a, int b)
{
	static const int order[] = { CLI_OK, CLI_REFUSED, CLI_USAGE,
		CLI_TEMPFAIL };
	int ia = 0, ib = 0;

	for (int i = 0; i < 4; i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}
