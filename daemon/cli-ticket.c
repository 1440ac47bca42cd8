/*
 * The workflow verbs: claim, route, ack, qualify, disqualify, note, tag,
 * priority, story, close, reopen.  Each parses its arguments, opens the
 * store and calls one store_* function; the store says what is allowed.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actor.h"
#include "buf.h"
#include "cli.h"
#include "command.h"
#include "conf.h"
#include "error.h"
#include "store.h"
#include "xalloc.h"

/* Which options a verb takes besides --db and --as. */
#define OPT_STEAL 0x1
#define OPT_NOTE 0x2
#define OPT_REASON 0x4

struct args {
	struct cli_store_opts so;
	int steal;
	int json;
	const char *note;
	const char *reason;
	long long id;
	char **rest; /* positionals after ID (foreign: argv) */
	int n_rest;
};

/* Parse "VERB [options] ID [ARGS...]"; returns CLI_OK or CLI_USAGE. */
static int
parse(int argc, char **argv, unsigned allowed, int min_rest, int max_rest,
    struct args *a)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "steal", no_argument, NULL, 's' },
		{ "note", required_argument, NULL, 'n' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_cmd *cmd = cli_find(argv[0]);
	int ch, rc;

	memset(a, 0, sizeof(*a));
	optind = 0; /* glibc: re-initialise, so options may follow IDs */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &a->so))
			continue;
		switch (ch) {
		case 'j':
			a->json = 1;
			break;
		case 's':
			if (!(allowed & OPT_STEAL))
				return cli_usage(cmd);
			a->steal = 1;
			break;
		case 'n':
			if (!(allowed & OPT_NOTE))
				return cli_usage(cmd);
			a->note = optarg;
			break;
		case 'r':
			if (!(allowed & OPT_REASON))
				return cli_usage(cmd);
			a->reason = optarg;
			break;
		default:
			return cli_usage(cmd);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 + min_rest || (max_rest >= 0 && argc > 1 + max_rest))
		return cli_usage(cmd);
	rc = cli_ticket_arg(argv[0], &a->id);
	if (rc != CLI_OK)
		return rc;
	a->rest = argv + 1;
	a->n_rest = argc - 1;
	return CLI_OK;
}

/* Join the positionals after ID with spaces (owned by the caller). */
static char *
join_rest(const struct args *a)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	for (int i = 0; i < a->n_rest; i++) {
		if (i > 0)
			buf_addstr(&b, " ");
		buf_addstr(&b, a->rest[i]);
	}
	return buf_steal(&b);
}

enum verb {
	V_CLAIM,
	V_ROUTE,
	V_ACK,
	V_QUALIFY,
	V_DISQUALIFY,
	V_NOTE,
	V_TAG,
	V_PRIORITY,
	V_STORY,
	V_CLOSE,
	V_REOPEN
};

static const char *const done_words[] = { "claimed", "routed", "acknowledged",
	"qualified", "disqualified", "noted", "tagged", "reprioritised",
	"marked as a story candidate", "closed", "reopened" };

/* Check a verb's own arguments before the store is opened. */
static int
check(enum verb v, const struct args *a, enum priority *prio_r, enum dim *dims)
{
	struct error err = { 0 };

	switch (v) {
	case V_TAG:
		/* store_tag checks it too; this says so before opening */
		if (command_tag_check(a->rest[0], &err) < 0) {
			fprintf(stderr, "triage: '%s': %s\n", a->rest[0],
			    err.msg);
			return CLI_USAGE;
		}
		break;
	case V_DISQUALIFY:
		if (a->reason == NULL || *a->reason == '\0') {
			fprintf(stderr, "triage: disqualify needs --reason\n");
			return CLI_USAGE;
		}
		break;
	case V_PRIORITY:
		if (priority_parse(a->rest[0], prio_r) < 0) {
			fprintf(stderr,
			    "triage: unknown priority '%s' (low, "
			    "normal, high, urgent)\n",
			    a->rest[0]);
			return CLI_USAGE;
		}
		break;
	case V_QUALIFY:
		for (int i = 0; i < a->n_rest; i++) {
			if (dim_parse(a->rest[i], &dims[i]) < 0) {
				fprintf(stderr,
				    "triage: unknown dimension "
				    "'%s' (budget, authority, need, timeline, "
				    "fit)\n",
				    a->rest[i]);
				return CLI_USAGE;
			}
		}
		break;
	default:
		break;
	}
	return CLI_OK;
}

static int
act(enum verb v, struct store *st, const struct args *a,
    const struct store_actor *who, enum priority prio, const enum dim *dims,
    struct error *err)
{
	char *text;
	int r;

	switch (v) {
	case V_CLAIM:
		return store_claim(st, a->id, who, a->steal, err);
	case V_ROUTE:
		return store_route(st, a->id, a->rest[0], a->note, who, err);
	case V_ACK:
		return store_ack(st, a->id, who, err);
	case V_QUALIFY:
		return store_qualify(st, a->id, dims, (size_t)a->n_rest, who,
		    err);
	case V_DISQUALIFY:
		return store_disqualify(st, a->id, a->reason, who, err);
	case V_NOTE:
		text = join_rest(a);
		r = store_note(st, a->id, text, who, err);
		free(text);
		return r;
	case V_TAG:
		return store_tag(st, a->id, a->rest[0], who, err);
	case V_PRIORITY:
		return store_set_priority(st, a->id, prio, who, err);
	case V_STORY:
		return store_story(st, a->id, who, err);
	case V_CLOSE:
		return store_close_ticket(st, a->id, who, err);
	case V_REOPEN:
		return store_reopen(st, a->id, who, err);
	}
	return error_set(err, ERR_INTERNAL, "unknown verb");
}

/* What was done: {"ticket": 12, "done": "claimed", "actor": "alice"} */
static void
print_done(const struct args *a, enum verb v, const char *actor)
{
	struct json_object *o;

	if (!a->json) {
		printf("ticket #%lld %s\n", a->id, done_words[v]);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ticket", json_object_new_int64(a->id));
	json_object_object_add(o, "done",
	    json_object_new_string(done_words[v]));
	json_object_object_add(o, "actor", json_object_new_string(actor));
	cli_print_json(o);
}

static int
verb(struct cli *cli, int argc, char **argv, enum verb v, unsigned allowed,
    int min_rest, int max_rest)
{
	struct error err = { 0 };
	struct cli_ctx ctx;
	struct store_actor who;
	enum priority prio = PRIO_NORMAL;
	enum dim dims[DIM_COUNT * 4];
	struct args a;
	int rc, r;

	rc = parse(argc, argv, allowed, min_rest, max_rest, &a);
	if (rc != CLI_OK)
		return rc;
	if (a.n_rest > (int)(sizeof(dims) / sizeof(dims[0])) && v == V_QUALIFY)
		return cli_usage(cli_find(argv[0]));
	rc = check(v, &a, &prio, dims);
	if (rc != CLI_OK)
		return rc;
	a.so.intent = ACTOR_CHANGES;
	rc = cli_store_open(cli, &a.so, &ctx);
	if (rc != CLI_OK)
		return rc;
	who = (struct store_actor){ ctx.actor, STORE_SRC_CLI };
	/* "route ID owner": the owner must have an address */
	if (v == V_ROUTE && strcmp(a.rest[0], STORE_ROUTE_OWNER) == 0)
		r = store_route_owner(ctx.st, a.id, ctx.conf, a.note, &who,
		    &err);
	else
		r = act(v, ctx.st, &a, &who, prio, dims, &err);
	if (r < 0)
		rc = cli_fail(&err);
	else
		print_done(&a, v, ctx.actor);
	cli_store_close(&ctx);
	return rc;
}

int
cli_claim(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_CLAIM, OPT_STEAL, 0, 0);
}

int
cli_route(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_ROUTE, OPT_NOTE, 1, 1);
}

int
cli_ack(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_ACK, 0, 0, 0);
}

int
cli_qualify(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_QUALIFY, 0, 0, -1);
}

int
cli_disqualify(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_DISQUALIFY, OPT_REASON, 0, 0);
}

int
cli_note(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_NOTE, 0, 1, -1);
}

int
cli_tag(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_TAG, 0, 1, 1);
}

int
cli_priority(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_PRIORITY, 0, 1, 1);
}

int
cli_story(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_STORY, 0, 0, 0);
}

int
cli_close(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_CLOSE, 0, 0, 0);
}

int
cli_reopen(struct cli *cli, int argc, char **argv)
{
	return verb(cli, argc, argv, V_REOPEN, 0, 0, 0);
}
