/*
 * triage ingest: store messages from files or stdin, like RT's mailgate,
 * so an MTA alias can pipe mail in.  A temporary failure (the database is
 * locked, the disk is full, stdin broke) exits 75, EX_TEMPFAIL, so the
 * MTA keeps the mail and retries; a message already stored is a no-op
 * that says so.
 *
 * Each message is classified with the configured rules and its mail
 * commands applied (mailcmd_ingest), in the transaction that stores it,
 * as the daemon does.
 *
 * triage reprocess: parse and classify stored raw mail again after a
 * parser or rule change, recording the change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "cli.h"
#include "conf.h"
#include "error.h"
#include "mailcmd.h"
#include "mime.h"
#include "rules.h"
#include "store.h"
#include "verdict.h"
#include "xalloc.h"

#define DEFAULT_MAX (50u * 1024 * 1024)

/* Read all of `f`, at most `max` bytes (more is an error: ERANGE). */
static int
read_all(FILE *f, size_t max, char **data_r, size_t *len_r)
{
	struct buf b;
	char chunk[65536];
	size_t n;

	buf_init(&b, max);
	for (n = fread(chunk, 1, sizeof(chunk), f); n > 0;
	     n = fread(chunk, 1, sizeof(chunk), f)) {
		if (buf_add(&b, chunk, n) < 0) {
			buf_free(&b);
			errno = ERANGE;
			return -1;
		}
	}
	if (ferror(f)) {
		buf_free(&b);
		return -1;
	}
	*len_r = b.len;
	*data_r = buf_steal(&b);
	return 0;
}

struct target {
	const char *mailbox;
	const char *address; /* NULL without a config */
	const char *queue;
	size_t max;
	struct rules *rules; /* owned; NULL: no rules (no config) */
};

/*
 * The configured rule set, or NULL without a config.  Broken rules do
 * not stop delivery: the mail is stored in the mailbox's queue (nothing
 * is lost; `triage reprocess` classifies it once the rules are fixed).
 */
static struct rules *
load_rules(const struct conf *c)
{
	struct rules_problems probs = {0};
	struct rules_names names;
	struct rules_options opts = {&names, 0};
	struct rules *rs = NULL;

	if (c == NULL || c->rules == NULL)
		return NULL;
	rules_names_from_conf(&names, c);
	if (rules_load(c->rules, &opts, &rs, &probs) < 0) {
		fprintf(stderr,
		    "triage: %s: rules do not load (%zu "
		    "problems, see 'triage rules check'); storing "
		    "unclassified\n",
		    c->rules, probs.n);
		rs = NULL;
	}
	rules_problems_clear(&probs);
	return rs;
}

/* Which mailbox: --mailbox NAME (checked against the config), else the
 * config's first one. */
static int
pick_mailbox(const struct conf *c, const char *name, struct target *t)
{
	const struct conf_mailbox *mb = NULL;

	t->max = c != NULL && c->max_message_size > 0 ? c->max_message_size
						      : DEFAULT_MAX;
	if (c != NULL)
		mb = name != NULL	  ? conf_mailbox(c, name)
		     : c->n_mailboxes > 0 ? &c->mailboxes[0]
					  : NULL;
	if (mb != NULL) {
		t->mailbox = mb->name;
		t->address = mb->address;
		t->queue = mb->queue;
		return CLI_OK;
	}
	if (c != NULL && name != NULL) {
		fprintf(
		    stderr, "triage: no mailbox '%s' in %s\n", name, c->path);
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

/* Store one message; returns a CLI_* code. */
static int
ingest_one(struct cli_ctx *ctx, const struct target *t, const char *name)
{
	struct store_ingest_result res = {0};
	struct store_ingest_in in = {0};
	struct mime_limits lim;
	struct error err = {0}, perr = {0};
	struct rules_ctx rctx;
	struct verdict v;
	struct msg *m = NULL;
	FILE *f = stdin;
	char *data = NULL;
	size_t len = 0;
	int r, rc = CLI_OK;

	if (strcmp(name, "-") != 0)
		f = fopen(name, "rb");
	if (f == NULL) {
		fprintf(stderr, "triage: %s: %s\n", name, strerror(errno));
		return CLI_USAGE;
	}
	r = read_all(f, t->max, &data, &len);
	if (f != stdin)
		fclose(f);
	if (r < 0) {
		fprintf(stderr, "triage: %s: %s\n", name,
		    errno == ERANGE ? "larger than max_message_size"
				    : strerror(errno));
		/* A broken pipe from the MTA is worth a retry. */
		return f == stdin && errno != ERANGE ? CLI_TEMPFAIL : CLI_USAGE;
	}
	mime_limits_default(&lim);
	lim.max_size = t->max;
	in.parse_error = NULL;
	if (mime_parse(data, len, &lim, time(NULL), &m, &perr) < 0)
		in.parse_error = perr.msg;
	verdict_init(&v);
	accounts_rules_ctx(ctx->accounts, m, t->mailbox, &rctx);
	if (m != NULL && t->rules != NULL)
		rules_classify(t->rules, m, &rctx, &v);
	in.mailbox = t->mailbox;
	in.mailbox_address = t->address;
	in.queue = t->queue;
	in.raw = data;
	in.raw_len = len;
	in.msg = m;
	in.verdict = m != NULL ? &v : NULL;
	in.actor = (struct store_actor){ctx->actor, STORE_SRC_CLI};
	if (mailcmd_ingest(ctx->st, ctx->conf, &in, &res, &err) < 0) {
		fprintf(stderr, "triage: %s: ", name);
		rc = cli_fail(&err);
	} else if (res.duplicate) {
		printf("%s: already stored (message %lld, ticket #%lld), "
		       "nothing changed\n",
		    name, (long long)res.message_id, (long long)res.ticket_id);
	} else if (res.ticket_id == 0) {
		printf("%s: stored unparsed (message %lld): %s\n", name,
		    (long long)res.message_id, in.parse_error);
	} else {
		printf("%s: %s ticket #%lld%s\n", name,
		    res.new_ticket ? "new" : "joined", (long long)res.ticket_id,
		    res.ignored ? " (ignored)" : "");
	}
	verdict_clear(&v);
	msg_free(&m);
	free(data);
	return rc;
}

/* The worse of two exit codes: tempfail > usage > refused > ok. */
static int
worse(int a, int b)
{
	static const int order[] = {
	    CLI_OK, CLI_REFUSED, CLI_USAGE, CLI_TEMPFAIL};
	int ia = 0, ib = 0;

	for (int i = 0; i < 4; i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}

int
cli_ingest(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_STORE_LONGOPTS,
	    {"mailbox", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_store_opts so = {0};
	const char *mailbox = NULL;
	struct cli_ctx ctx;
	struct target t;
	int ch, rc;

	optind = 0; /* glibc: re-initialise, so options may follow files */
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			so.db = optarg;
			break;
		case 'A':
			so.as = optarg;
			break;
		case 'm':
			mailbox = optarg;
			break;
		default:
			return cli_usage(cli_find("ingest"));
		}
	}
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc == CLI_REFUSED ? CLI_TEMPFAIL : rc;
	rc = pick_mailbox(ctx.conf, mailbox, &t);
	t.rules = rc == CLI_OK ? load_rules(ctx.conf) : NULL;
	if (rc == CLI_OK) {
		mime_init();
		if (optind == argc)
			rc = ingest_one(&ctx, &t, "-");
		for (int i = optind; i < argc; i++)
			rc = worse(rc, ingest_one(&ctx, &t, argv[i]));
		mime_shutdown();
	}
	rules_free(&t.rules);
	cli_store_close(&ctx);
	return rc;
}

/* Parse one stored message again and record what changed. */
static int
reprocess_one(struct cli_ctx *ctx, const struct rules *rs, int64_t id)
{
	struct store_actor who = {ctx->actor, STORE_SRC_CLI};
	struct mime_limits lim;
	struct error err = {0}, perr = {0};
	struct rules_ctx rctx;
	struct verdict v;
	struct msg *m = NULL;
	char *raw = NULL, *mailbox = NULL;
	size_t len = 0;
	int rc = CLI_OK;

	verdict_init(&v);
	if (store_message_raw(ctx->st, id, &raw, &len, &mailbox, &err) < 0)
		return cli_fail(&err);
	mime_limits_default(&lim);
	if (mime_parse(raw, len, &lim, time(NULL), &m, &perr) < 0)
		m = NULL;
	accounts_rules_ctx(ctx->accounts, m, mailbox, &rctx);
	if (m != NULL && rs != NULL)
		rules_classify(rs, m, &rctx, &v);
	if (store_reprocess_msg(ctx->st, id, m, m == NULL ? perr.msg : NULL, &v,
		&who, &err) < 0)
		rc = cli_fail(&err);
	else
		printf("message %lld: %s\n", (long long)id,
		    m != NULL ? "parsed again" : "still unparsable");
	msg_free(&m);
	verdict_clear(&v);
	free(raw);
	free(mailbox);
	return rc;
}

int
cli_reprocess(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_STORE_LONGOPTS,
	    {"failed", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct cli_store_opts so = {0};
	struct error err = {0};
	struct rules *rs = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	struct cli_ctx ctx;
	int ch, failed = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			so.db = optarg;
			break;
		case 'A':
			so.as = optarg;
			break;
		case 'f':
			failed = 1;
			break;
		default:
			return cli_usage(cli_find("reprocess"));
		}
	}
	if (failed == (optind < argc))
		return cli_usage(cli_find("reprocess"));
	for (int i = optind; i < argc; i++) {
		if (cli_ticket_id(argv[i]) < 0) {
			fprintf(stderr,
			    "triage: '%s' is not a ticket "
			    "number\n",
			    argv[i]);
			return CLI_USAGE;
		}
	}
	rc = cli_store_open(cli, &so, &ctx);
	if (rc != CLI_OK)
		return rc;
	rs = load_rules(ctx.conf);
	mime_init();
	if (failed) {
		if (store_messages_failed(ctx.st, &ids, &n, &err) < 0)
			rc = cli_fail(&err);
		for (size_t i = 0; i < n; i++)
			rc = worse(rc, reprocess_one(&ctx, rs, ids[i]));
		free(ids);
	}
	for (int i = optind; i < argc; i++) {
		ids = NULL;
		n = 0;
		if (store_messages_for_ticket(
			ctx.st, cli_ticket_id(argv[i]), &ids, &n, &err) < 0)
			rc = worse(rc, cli_fail(&err));
		for (size_t k = 0; k < n; k++)
			rc = worse(rc, reprocess_one(&ctx, rs, ids[k]));
		free(ids);
	}
	mime_shutdown();
	rules_free(&rs);
	cli_store_close(&ctx);
	return rc;
}
