/*
 * What every store command shares: find the database, open it, say who
 * is acting, and turn a library error into an exit code.
 */
#include <errno.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "actor.h"
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
	case ERR_DENIED:
		return CLI_DENIED;
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

/* The real Unix user: its name, or "uid N" when it has none. */
static void
unix_user(char *buf, size_t len, struct actor_unix *u_r)
{
	uid_t uid = getuid();
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
	u_r->user = buf;
	u_r->is_root = uid == 0;
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

/* Who acts (actor.h): the Unix user through the team, or --as. */
static int
resolve_actor(const struct conf *c, const struct cli_store_opts *o,
    struct cli_ctx *ctx)
{
	struct error err = { 0 };
	struct actor a = { 0 };
	struct actor_unix u;
	char user[256];

	unix_user(user, sizeof(user), &u);
	if (actor_resolve(c, &u, o->as, o->intent, &a, &err) < 0)
		return cli_fail(&err);
	ctx->actor = a.name;
	ctx->unix_user = a.unix_user;
	return CLI_OK;
}

/*
 * A database that is not there is a mistyped path, not a new empty
 * database: only the daemon and `triage ingest` create one.
 */
static int
want_db(const char *db, const struct cli_store_opts *o)
{
	if (o->may_create || store_target_is_server(db) ||
	    access(db, F_OK) == 0)
		return CLI_OK;
	if (errno == ENOENT)
		fprintf(stderr,
		    "triage: %s: no database there; triaged or 'triage "
		    "ingest' creates it\n",
		    db);
	else /* most often: not a member of the database's group */
		fprintf(stderr,
		    "triage: %s: %s (the team's members are in group "
		    "triage: see triage(1) TEAM)\n",
		    db, strerror(errno));
	return CLI_USAGE;
}

const char *
cli_db_password_file(const struct conf *c)
{
	if (c == NULL || c->db_password_file == NULL ||
	    access(c->db_password_file, R_OK) < 0)
		return NULL;
	return c->db_password_file;
}

int
cli_store_open(struct cli *cli, const struct cli_store_opts *o,
    struct cli_ctx *ctx)
{
	struct error err = { 0 };
	const char *db = o->db, *pw;
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
	rc = want_db(db, o);
	if (rc == CLI_OK)
		rc = resolve_actor(ctx->conf, o, ctx);
	if (rc == CLI_OK)
		rc = load_accounts(ctx->conf, &ctx->accounts);
	if (rc != CLI_OK) {
		cli_store_close(ctx);
		return rc;
	}
	pw = cli_db_password_file(ctx->conf);
	if ((o->read_only ? store_open_read_pw(db, pw, &ctx->st, &err) :
			    store_open_pw(db, pw, &ctx->st, &err)) < 0) {
		cli_store_close(ctx);
		return cli_fail(&err);
	}
	store_set_unix_user(ctx->st, ctx->unix_user);
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
	free(ctx->unix_user);
	ctx->unix_user = NULL;
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

struct json_object *
cli_jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

struct json_object *
cli_hit_json(const char *rule, const char *file, int line, const char *target,
    const char *match)
{
	struct json_object *x = json_object_new_object();

	json_object_object_add(x, "rule", cli_jstr(rule));
	json_object_object_add(x, "file", cli_jstr(file));
	json_object_object_add(x, "line", json_object_new_int(line));
	json_object_object_add(x, "target", cli_jstr(target));
	json_object_object_add(x, "match", cli_jstr(match));
	return x;
}

int
cli_print_json(struct json_object *o)
{
	printf("%s\n",
	    json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return CLI_OK;
}

int
cli_worse(int a, int b)
{
	static const int order[] = { CLI_OK, CLI_REFUSED, CLI_USAGE,
		CLI_NOINPUT, CLI_TEMPFAIL };
	int ia = 0, ib = 0;

	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}
