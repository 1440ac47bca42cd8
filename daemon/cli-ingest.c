/*
 * triage ingest: store messages from files or stdin, like RT's mailgate,
 * so an MTA alias can pipe mail in.  An MTA bounces the mail on any exit
 * status but 0 and EX_TEMPFAIL, so every failure that is not the
 * message's own exits 75, EX_TEMPFAIL: a temporary one (the database is
 * locked or cannot be opened, the disk is full, stdin broke) and a
 * configuration or invocation one (triage.conf unreadable or invalid, an
 * unknown --mailbox, --as or option) alike.  Not 78, EX_CONFIG: Postfix
 * bounces that (5.3.5) and Exim's pipe defers only 75 and 73, so the
 * mail would go back to the customer (tests/interop/test-postfix.sh).
 * A message already stored is a no-op that says so.  triage(1) has the
 * table.
 *
 * Each message goes through the daemon's pipeline (lib/work/ingest.h):
 * parsed, classified with the configured rules, stored and threaded, and
 * its mail commands applied, in one transaction of its own.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "error.h"
#include "ingest.h"
#include "store.h"
#include "xalloc.h"

/*
 * Read all of `f` into *data_r: at most `max` bytes are kept, the rest
 * is read and counted (*size_r is the whole length), so a message over
 * max_message_size still leaves the MTA's pipe drained.  *data_r is then
 * its first `max` bytes, *len_r their count.  Returns -1 on a read error.
 */
static int
read_all(FILE *f, size_t max, char **data_r, size_t *len_r, size_t *size_r)
{
	struct buf b;
	char chunk[65536];
	size_t n, size = 0;

	buf_init(&b, max);
	for (n = fread(chunk, 1, sizeof(chunk), f); n > 0;
	     n = fread(chunk, 1, sizeof(chunk), f)) {
		size += n;
		if (b.len < max)
			(void)buf_add(&b, chunk,
			    n < max - b.len ? n : max - b.len);
	}
	if (ferror(f)) {
		buf_free(&b);
		return -1;
	}
	*len_r = b.len;
	*size_r = size;
	*data_r = buf_steal(&b);
	return 0;
}

struct target {
	const char *mailbox;
	const char *address; /* NULL without a config */
	const char *queue;
};

/* Which mailbox: --mailbox NAME (checked against the config), else the
 * config's first one. */
static int
pick_mailbox(const struct conf *c, const char *name, struct target *t)
{
	const struct conf_mailbox *mb = NULL;

	if (c != NULL)
		mb = name != NULL	? conf_mailbox(c, name) :
		     c->n_mailboxes > 0 ? &c->mailboxes[0] :
					  NULL;
	if (mb != NULL) {
		t->mailbox = mb->name;
		t->address = mb->address;
		t->queue = mb->queue;
		return CLI_OK;
	}
	if (c != NULL && name != NULL) {
		fprintf(stderr, "triage: no mailbox '%s' in %s\n", name,
		    c->path);
		return CLI_USAGE;
	}
	if (name == NULL) {
		fprintf(stderr, "triage: ingest needs --mailbox NAME\n");
		return CLI_USAGE;
	}
	/* No config (--db): the mailbox's queue is its name. */
	t->mailbox = name;
	t->address = NULL;
	t->queue = name;
	return CLI_OK;
}

/*
 * What became of one message, for --json: {"file": "a.eml", "result":
 * "new|joined|duplicate|unparsed", "message": 7, "ticket": 3,
 * "ignored": false}.
 */
static struct json_object *
result_json(const char *name, const struct store_ingest_result *res)
{
	struct json_object *o = json_object_new_object();
	const char *what = res->duplicate      ? "duplicate" :
			   res->ticket_id == 0 ? "unparsed" :
			   res->new_ticket     ? "new" :
						 "joined";

	json_object_object_add(o, "file", json_object_new_string(name));
	json_object_object_add(o, "result", json_object_new_string(what));
	json_object_object_add(o, "message",
	    json_object_new_int64(res->message_id));
	json_object_object_add(o, "ticket",
	    res->ticket_id > 0 ? json_object_new_int64(res->ticket_id) : NULL);
	json_object_object_add(o, "ignored",
	    json_object_new_boolean(res->ignored));
	return o;
}

/* What became of one message, on stdout (or into the --json array). */
static void
print_result(const char *name, const struct ingest_msg *im,
    const struct store_ingest_result *res, struct json_object *out)
{
	if (out != NULL)
		json_object_array_add(out, result_json(name, res));
	else if (res->duplicate)
		printf("%s: already stored (message %lld, ticket #%lld), "
		       "nothing changed\n",
		    name, (long long)res->message_id,
		    (long long)res->ticket_id);
	else if (res->ticket_id == 0)
		printf("%s: stored unparsed (message %lld): %s\n", name,
		    (long long)res->message_id, ingest_msg_error(im));
	else
		printf("%s: %s ticket #%lld%s\n", name,
		    res->new_ticket ? "new" : "joined",
		    (long long)res->ticket_id,
		    res->ignored ? " (ignored)" : "");
}

/*
 * The exit status for a failure to store: only a message the store
 * refuses for what it is exits 1 (the MTA bounces it); the rest is the
 * installation's, and the mail must wait.
 */
static int
ingest_exit(enum err_code code)
{
	switch (code) {
	case ERR_MSG:
	case ERR_REFUSED:
		return CLI_REFUSED;
	default: /* ERR_CONF and ERR_USAGE too: the mail must wait */
		return CLI_TEMPFAIL;
	}
}

/* Store one message through the pipeline; returns a CLI_* code. */
static int
ingest_one(struct cli_ctx *ctx, const struct target *t, const char *name,
    struct json_object *out)
{
	struct ingest_origin o = {
		.mailbox = t->mailbox,
		.address = t->address,
		.queue = t->queue,
		.actor = { ctx->actor, STORE_SRC_CLI },
		/* as the daemon: a parsed form the store refuses is kept raw */
		.raw_on_failure = 1,
	};
	struct ingest_result res;
	struct ingest_msg *im = NULL;
	struct error err = { 0 };
	FILE *f = stdin;
	char *data = NULL;
	size_t len = 0, size = 0;
	int r, rc = CLI_OK;

	if (strcmp(name, "-") != 0)
		f = fopen(name, "rb");
	if (f == NULL) {
		fprintf(stderr, "triage: %s: %s\n", name, strerror(errno));
		return CLI_NOINPUT;
	}
	r = read_all(f, ingest_max_size(ctx->ingest), &data, &len, &size);
	if (f != stdin)
		fclose(f);
	if (r < 0) {
		fprintf(stderr, "triage: %s: %s\n", name, strerror(errno));
		/* A broken pipe from the MTA is worth a retry. */
		return f == stdin ? CLI_TEMPFAIL : CLI_NOINPUT;
	}
	/* Too large: recorded as the daemon records it, not bounced. */
	if (size > len) {
		ingest_prepare_too_large(ctx->ingest, data, len, size,
		    t->mailbox, &im);
		free(data);
	} else {
		ingest_prepare(ctx->ingest, data, len, t->mailbox, &im);
	}
	if (ingest_store(ctx->ingest, ctx->st, &o, im, &res, &err) < 0) {
		fprintf(stderr, "triage: %s: %s\n", name, err.msg);
		rc = ingest_exit(err.code);
	} else {
		print_result(name, im, &res.stored, out);
	}
	ingest_msg_free(&im);
	return rc;
}

int
cli_ingest(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_STORE_LONGOPTS,
		{ "mailbox", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_store_opts so = { .may_create = 1 };
	const char *mailbox = NULL;
	struct json_object *out = NULL;
	struct cli_ctx ctx;
	struct target t;
	int ch, rc;

	optind = 0; /* glibc: re-initialise, so options may follow files */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 'm':
			mailbox = optarg;
			break;
		case 'j':
			out = json_object_new_array();
			break;
		default:
			/* the MTA's pipe line is wrong: keep the mail */
			cli_usage(cli_find("ingest"));
			return CLI_TEMPFAIL;
		}
	}
	/* An unreadable or broken config, a database that will not open:
	 * none of it is the message's fault. */
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK) {
		json_object_put(out);
		return CLI_TEMPFAIL;
	}
	rc = pick_mailbox(ctx.conf, mailbox, &t);
	if (rc == CLI_USAGE)
		rc = CLI_TEMPFAIL;
	if (rc == CLI_OK) {
		cli_ingest_open(&ctx);
		if (optind == argc)
			rc = ingest_one(&ctx, &t, "-", out);
		for (int i = optind; i < argc; i++)
			rc = cli_worse(rc, ingest_one(&ctx, &t, argv[i], out));
	}
	if (out != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "messages", out);
		cli_print_json(o);
	}
	cli_store_close(&ctx);
	return rc;
}
