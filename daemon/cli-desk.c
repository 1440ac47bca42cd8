/*
 * A BDR's day on the command line: wait, merge, unclaim, away, back.
 * Each parses its arguments, opens the store and calls the store; the
 * store says what is allowed (lib/store/store-ticket.c, store-merge.c,
 * store-away.c).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "cli.h"
#include "command.h"
#include "conf.h"
#include "error.h"
#include "store.h"

enum desk_verb {
	D_WAIT,
	D_MERGE,
	D_UNCLAIM,
	D_AWAY,
	D_BACK
};

struct desk_args {
	struct cli_store_opts so;
	enum desk_verb v;
	int json;
	int force;
	const char *until; /* --until, or NULL */
	long long id, into;
	const char *name; /* away/back: who */
};

/* The verbs' positionals: ID, ID INTO, or NAME. */
static int
positionals(struct desk_args *a, int argc, char **argv,
    const struct cli_cmd *cmd)
{
	int want = a->v == D_MERGE ? 2 : 1, rc;

	if (argc == 0 && a->v == D_AWAY) {
		a->name = NULL; /* who is away */
		return CLI_OK;
	}
	if (argc != want)
		return cli_usage(cmd);
	if (a->v == D_AWAY || a->v == D_BACK) {
		a->name = argv[0];
		return CLI_OK;
	}
	rc = cli_ticket_arg(argv[0], &a->id);
	if (rc == CLI_OK && a->v == D_MERGE)
		rc = cli_ticket_arg(argv[1], &a->into);
	return rc;
}

static int
parse(int argc, char **argv, struct desk_args *a)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "until", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *cmd = cli_find(argv[0]);
	int ch;

	optind = 0; /* glibc: re-initialise, so options may follow IDs */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &a->so))
			continue;
		if (ch == 'j')
			a->json = 1;
		else if (ch == 'u' && (a->v == D_WAIT || a->v == D_AWAY))
			a->until = optarg;
		else if (ch == 'f' && a->v == D_MERGE)
			a->force = 1;
		else
			return cli_usage(cmd);
	}
	return positionals(a, argc - optind, argv + optind, cmd);
}

/*
 * Someone else away or back: only a manager (or root through --as)
 * says so; anyone says it of themselves.  NAME must be in `team`.
 */
static int
may_mark(const struct cli_ctx *ctx, const char *name, struct error *err)
{
	const struct conf_member *me;

	if (ctx->conf == NULL)
		return 0;
	if (conf_member_by_name(ctx->conf, name) == NULL)
		return error_set(err, ERR_NOTFOUND, "'%s' is not in team",
		    name);
	me = conf_member_by_name(ctx->conf, ctx->actor);
	if (strcmp(name, ctx->actor) == 0 ||
	    (me != NULL && strcmp(me->role, "manager") == 0))
		return 0;
	return error_set(err, ERR_REFUSED,
	    "only a manager marks someone else away or back");
}

static int
act(const struct desk_args *a, const struct cli_ctx *ctx, int64_t until,
    struct error *err)
{
	struct store_actor who = { ctx->actor, STORE_SRC_CLI };
	int was = 0;

	switch (a->v) {
	case D_WAIT:
		return store_wait(ctx->st, a->id, until, &who, err);
	case D_MERGE:
		return store_merge(ctx->st, a->id, a->into, a->force, &who,
		    err);
	case D_UNCLAIM:
		return store_unclaim(ctx->st, a->id, &who, err);
	case D_AWAY:
		if (may_mark(ctx, a->name, err) < 0)
			return -1;
		return store_away(ctx->st, a->name, until, 0, "", &who, err);
	case D_BACK:
		if (may_mark(ctx, a->name, err) < 0 ||
		    store_back(ctx->st, a->name, 0, &who, &was, err) < 0)
			return -1;
		if (!was)
			return error_set(err, ERR_REFUSED, "%s is not away",
			    a->name);
		return 0;
	}
	return error_set(err, ERR_INTERNAL, "unknown verb");
}

static void
print_done(const struct desk_args *a, const char *actor)
{
	static const char *const done[] = { "waiting on the customer", "merged",
		"given back to the queue", "away", "back" };
	struct json_object *o;
	char what[64];

	if (a->v == D_AWAY || a->v == D_BACK)
		snprintf(what, sizeof(what), "%s", a->name);
	else
		snprintf(what, sizeof(what), "ticket #%lld", a->id);
	if (!a->json) {
		if (a->v == D_MERGE)
			printf("%s merged into #%lld\n", what, a->into);
		else
			printf("%s %s\n", what, done[a->v]);
		return;
	}
	o = json_object_new_object();
	if (a->v == D_AWAY || a->v == D_BACK)
		json_object_object_add(o, "name",
		    json_object_new_string(a->name));
	else
		json_object_object_add(o, "ticket",
		    json_object_new_int64(a->id));
	if (a->v == D_MERGE)
		json_object_object_add(o, "into",
		    json_object_new_int64(a->into));
	json_object_object_add(o, "done", json_object_new_string(done[a->v]));
	json_object_object_add(o, "actor", json_object_new_string(actor));
	cli_print_json(o);
}

/* A time for people: "2026-12-24T09:00Z" (UTC, as --until reads it). */
static void
utc(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(out, len, "?");
}

/* `triage away` alone: who is away now, and until when. */
static int
list_away(const struct desk_args *a, struct store *st)
{
	struct store_away_rec *v = NULL;
	struct json_object *o, *arr, *x;
	struct error err = { 0 };
	char since[32], until[32];
	size_t n = 0;

	if (store_away_list(st, &v, &n, &err) < 0)
		return cli_fail(&err);
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		utc(v[i].since, since, sizeof(since));
		utc(v[i].until, until, sizeof(until));
		if (!a->json) {
			printf("%s away since %s %s%s%s%s\n", v[i].name, since,
			    v[i].until != 0 ? "until " : "until they act",
			    v[i].until != 0 ? until : "",
			    *v[i].reason != '\0' ? ": " : "", v[i].reason);
			continue;
		}
		x = json_object_new_object();
		json_object_object_add(x, "name", cli_jstr(v[i].name));
		json_object_object_add(x, "since", cli_jstr(since));
		json_object_object_add(x, "until",
		    v[i].until != 0 ? cli_jstr(until) : NULL);
		json_object_object_add(x, "auto",
		    json_object_new_boolean(v[i].is_auto));
		json_object_object_add(x, "reason", cli_jstr(v[i].reason));
		json_object_array_add(arr, x);
	}
	store_away_free(&v, n);
	if (!a->json) {
		json_object_put(arr);
		return CLI_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "away", arr);
	return cli_print_json(o);
}

static int
desk(struct cli *cli, int argc, char **argv, enum desk_verb v)
{
	struct desk_args a = { .v = v };
	struct error err = { 0 };
	struct cli_ctx ctx;
	int64_t until = 0;
	int rc;

	rc = parse(argc, argv, &a);
	if (rc != CLI_OK)
		return rc;
	if (a.until != NULL && command_until(a.until, 0, &until) < 0) {
		fprintf(stderr,
		    "triage: --until '%s': a duration (3d, 4h) or a date "
		    "(2026-12-24, 2026-12-24T09:00) in UTC\n",
		    a.until);
		return CLI_USAGE;
	}
	a.so.intent =
	    a.name == NULL && v == D_AWAY ? ACTOR_READS : ACTOR_CHANGES;
	a.so.read_only = a.so.intent == ACTOR_READS;
	rc = cli_store_open(cli, &a.so, &ctx);
	if (rc != CLI_OK)
		return rc;
	if (a.so.read_only) {
		rc = list_away(&a, ctx.st);
		cli_store_close(&ctx);
		return rc;
	}
	/* a duration counts from now by the store's clock */
	if (a.until != NULL)
		(void)command_until(a.until, store_now(ctx.st), &until);
	if (act(&a, &ctx, until, &err) < 0)
		rc = cli_fail(&err);
	else
		print_done(&a, ctx.actor);
	cli_store_close(&ctx);
	return rc;
}

int
cli_wait(struct cli *cli, int argc, char **argv)
{
	return desk(cli, argc, argv, D_WAIT);
}

int
cli_merge(struct cli *cli, int argc, char **argv)
{
	return desk(cli, argc, argv, D_MERGE);
}

int
cli_unclaim(struct cli *cli, int argc, char **argv)
{
	return desk(cli, argc, argv, D_UNCLAIM);
}

int
cli_away(struct cli *cli, int argc, char **argv)
{
	return desk(cli, argc, argv, D_AWAY);
}

int
cli_back(struct cli *cli, int argc, char **argv)
{
	return desk(cli, argc, argv, D_BACK);
}
