/*
 * triage rules check [DIR] [--json]
 * triage rules test FILE.eml [--rules DIR] [--mailbox NAME] [--no-prefilter]
 * triage rules replay [--since 30d] [--rules DIR] [--baseline DIR]
 *
 * Wiring only: load rule sets (lib/rules*.c), parse mail (mime.c), read
 * stored mail (store.c), print.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "error.h"
#include "mime.h"
#include "rules.h"
#include "store.h"
#include "verdict.h"
#include "xalloc.h"

#define RULES_DEFAULT_DIR TRIAGE_SYSCONFDIR "/triage/rules.d"
#define EML_MAX (50 * 1024 * 1024)

/* The config, when one was given (-c or $TRIAGE_CONFIG); NULL otherwise. */
static int
load_conf(struct cli *cli, int required, struct conf **conf_r)
{
	struct conf_errors errs = { 0 };
	int r;

	*conf_r = NULL;
	if (!cli->conf_given && !required)
		return 0;
	r = conf_load_flags(cli->conf_path, CONF_LOAD_NO_SECRETS, conf_r,
	    &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return -1;
	}
	return 0;
}

static void
print_problems(FILE *fp, const struct rules_problems *probs)
{
	for (size_t i = 0; i < probs->n; i++)
		fprintf(fp, "%s:%d:%d: %s\n", probs->v[i].file,
		    probs->v[i].line, probs->v[i].col, probs->v[i].msg);
}

/* Load a rule set, printing every problem; -1 when it does not check. */
static int
load_rules(const char *dir, const struct conf *conf, int no_prefilter,
    FILE *out, struct rules **rs_r)
{
	struct rules_problems probs = { 0 };
	struct rules_names names;
	struct rules_options opts = { NULL, no_prefilter };
	int r;

	if (conf != NULL) {
		rules_names_from_conf(&names, conf);
		opts.names = &names;
	}
	r = rules_load(dir, &opts, rs_r, &probs);
	if (r < 0) {
		print_problems(out, &probs);
		fprintf(out, "%s: %zu problem%s\n", dir, probs.n,
		    probs.n == 1 ? "" : "s");
	}
	rules_problems_clear(&probs);
	return r;
}

static const char *
rules_dir(const char *opt, const struct conf *conf)
{
	if (opt != NULL)
		return opt;
	if (conf != NULL && conf->rules != NULL)
		return conf->rules;
	return RULES_DEFAULT_DIR;
}

/*
 * rules check --json: {"dir": "...", "rules": 12, "problems": [{"file":
 * "...", "line": 3, "col": 7, "message": "..."}]}; exit 2 with problems.
 */
static int
check_json(const char *dir, const struct conf *conf)
{
	struct json_object *o = json_object_new_object(), *a, *x;
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	int r = cli_rules_load(dir, conf, &rs, &probs);

	a = json_object_new_array();
	for (size_t i = 0; i < probs.n; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "file",
		    json_object_new_string(probs.v[i].file));
		json_object_object_add(x, "line",
		    json_object_new_int(probs.v[i].line));
		json_object_object_add(x, "col",
		    json_object_new_int(probs.v[i].col));
		json_object_object_add(x, "message",
		    json_object_new_string(probs.v[i].msg));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "dir", json_object_new_string(dir));
	json_object_object_add(o, "rules",
	    r == 0 ? json_object_new_int64((int64_t)rules_count(rs)) : NULL);
	json_object_object_add(o, "problems", a);
	cli_print_json(o);
	rules_problems_clear(&probs);
	rules_free(&rs);
	return r == 0 ? CLI_OK : CLI_USAGE;
}

static int
rules_check(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf *conf = NULL;
	struct rules *rs = NULL;
	const char *dir;
	int ch, json = 0, rc = CLI_USAGE;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_find("rules"));
		json = 1;
	}
	if (argc - optind > 1)
		return cli_usage(cli_find("rules"));
	if (load_conf(cli, 0, &conf) < 0)
		return CLI_USAGE;
	dir = rules_dir(optind < argc ? argv[optind] : NULL, conf);
	if (json)
		rc = check_json(dir, conf);
	else if (load_rules(dir, conf, 0, stdout, &rs) == 0) {
		printf("%s: %zu rules, ok\n", dir, rules_count(rs));
		rc = CLI_OK;
	}
	rules_free(&rs);
	conf_free(&conf);
	return rc;
}

/* ---- rules test ---- */

static int
read_eml(const char *path, char **data_r, size_t *len_r)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *fp = fopen(path, "rb");
	int r = 0;

	if (fp == NULL)
		return -1;
	buf_init(&b, EML_MAX);
	for (n = fread(chunk, 1, sizeof(chunk), fp); n > 0;
	     n = fread(chunk, 1, sizeof(chunk), fp)) {
		if (buf_add(&b, chunk, n) < 0) {
			errno = EFBIG;
			r = -1;
			break;
		}
	}
	if (ferror(fp))
		r = -1;
	fclose(fp);
	if (r < 0) {
		buf_free(&b);
		return -1;
	}
	*len_r = b.len;
	*data_r = b.data != NULL ? buf_steal(&b) : xstrdup("");
	return 0;
}

/* One line of text, quoted, newlines shown as \n, at most 120 bytes. */
static void
print_quoted(const char *s)
{
	size_t n = 0;

	putchar('"');
	for (; *s != '\0' && n < 120; s++, n++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\t')
			fputs("\\t", stdout);
		else if (*s == '"')
			fputs("\\\"", stdout);
		else
			putchar(*s);
	}
	if (*s != '\0')
		fputs("...", stdout);
	putchar('"');
}

static void
print_verdict(const struct verdict *v)
{
	printf("verdict:\n  queue:    %s\n  priority: %s\n  tags:    ",
	    v->queue != NULL ? v->queue : "(the mailbox's queue)",
	    v->priority == PRIO_UNSET ? "(unset: normal)" :
					priority_name(v->priority));
	for (size_t i = 0; i < v->n_tags; i++)
		printf(" %s", v->tags[i]);
	printf("%s\n  scores:  ", v->n_tags == 0 ? " (none)" : "");
	for (int d = 0; d < DIM_COUNT; d++)
		printf(" %s %+d", dim_name((enum dim)d), v->scores[d]);
	printf("\n  route:    %s\n  ignore:   %s\n",
	    v->route != NULL ? v->route : "-",
	    v->ignore != NULL ? v->ignore : "-");
}

static void
print_explain(const struct verdict *v, const struct rules_nears *nears)
{
	const char *last = NULL;

	printf("fired:\n");
	for (size_t i = 0; i < v->n_hits; i++) {
		const struct verdict_hit *h = &v->hits[i];

		if (h->limit_hit)
			continue;
		if (last == NULL || strcmp(last, h->rule) != 0)
			printf("  %s (%s:%d)\n", h->rule, h->file, h->line);
		last = h->rule;
		printf("    %-22s ", h->target);
		if (strncmp(h->target, "not ", 4) == 0)
			printf("(held: no match)\n");
		else {
			print_quoted(h->match);
			putchar('\n');
		}
	}
	if (v->n_hits == 0)
		printf("  (none)\n");
	for (size_t i = 0; i < v->n_hits; i++) {
		if (v->hits[i].limit_hit)
			printf("limit: %s (%s:%d) %s hit a PCRE2 limit; "
			       "that condition counted as not holding\n",
			    v->hits[i].rule, v->hits[i].file, v->hits[i].line,
			    v->hits[i].target);
	}
	printf("close (all conditions but one held):\n");
	for (size_t i = 0; i < nears->n; i++)
		printf("  %s (%s:%d): line %d did not hold: %s\n",
		    nears->v[i].rule, nears->v[i].file, nears->v[i].line,
		    nears->v[i].cond_line, nears->v[i].cond);
	if (nears->n == 0)
		printf("  (none)\n");
}

static struct json_object *
verdict_json(const struct verdict *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *tags = json_object_new_array();
	struct json_object *scores = json_object_new_object();

	for (size_t i = 0; i < v->n_tags; i++)
		json_object_array_add(tags, cli_jstr(v->tags[i]));
	for (int d = 0; d < DIM_COUNT; d++)
		json_object_object_add(scores, dim_name((enum dim)d),
		    json_object_new_int(v->scores[d]));
	json_object_object_add(o, "queue", cli_jstr(v->queue));
	json_object_object_add(o, "priority",
	    v->priority == PRIO_UNSET ? NULL :
					cli_jstr(priority_name(v->priority)));
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "scores", scores);
	json_object_object_add(o, "route", cli_jstr(v->route));
	json_object_object_add(o, "ignore", cli_jstr(v->ignore));
	return o;
}

/*
 * rules test --json: {"message", "from", "subject", "mailbox", "account",
 * "tier", "rules_dir", "verdict": {...}, "fired": [...], "close": [...]}.
 */
static void
print_test_json(const char *path, const struct msg *m,
    const struct rules_ctx *ctx, const char *dir, const struct verdict *v,
    const struct rules_nears *nears)
{
	struct json_object *o = json_object_new_object(), *a, *x;

	json_object_object_add(o, "message", cli_jstr(path));
	json_object_object_add(o, "from", cli_jstr(m->from.addr));
	json_object_object_add(o, "subject", cli_jstr(m->subject));
	json_object_object_add(o, "mailbox", cli_jstr(ctx->mailbox));
	json_object_object_add(o, "account", cli_jstr(ctx->account));
	json_object_object_add(o, "tier", cli_jstr(ctx->tier));
	json_object_object_add(o, "rules_dir", cli_jstr(dir));
	json_object_object_add(o, "verdict", verdict_json(v));
	a = json_object_new_array();
	for (size_t i = 0; i < v->n_hits; i++) {
		const struct verdict_hit *h = &v->hits[i];

		x = cli_hit_json(h->rule, h->file, h->line, h->target,
		    h->match);
		json_object_object_add(x, "limit_hit",
		    json_object_new_boolean(h->limit_hit));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "fired", a);
	a = json_object_new_array();
	for (size_t i = 0; i < nears->n; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "rule", cli_jstr(nears->v[i].rule));
		json_object_object_add(x, "file", cli_jstr(nears->v[i].file));
		json_object_object_add(x, "line",
		    json_object_new_int(nears->v[i].line));
		json_object_object_add(x, "cond_line",
		    json_object_new_int(nears->v[i].cond_line));
		json_object_object_add(x, "cond", cli_jstr(nears->v[i].cond));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "close", a);
	cli_print_json(o);
}

static int
rules_test(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "no-prefilter", no_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir_opt = NULL, *mailbox = NULL;
	struct rules_nears nears = { 0 };
	struct accounts_errors aerrs = { 0 };
	struct accounts *accounts = NULL;
	struct rules_ctx ctx;
	struct mime_limits lim;
	struct error err = { 0 };
	struct conf *conf = NULL;
	struct rules *rs = NULL;
	struct msg *m = NULL;
	struct verdict v;
	char *raw = NULL;
	size_t len = 0;
	int ch, no_prefilter = 0, json = 0, rc = CLI_USAGE;

	/* 0, not 1: glibc then forgets triage.c's "+" (stop at the first
	   operand), so options may follow FILE.eml. */
	optind = 0;
	for (ch = getopt_long(argc, argv, "r:m:P", longopts, NULL); ch != -1;
	     ch = getopt_long(argc, argv, "r:m:P", longopts, NULL)) {
		switch (ch) {
		case 'r':
			dir_opt = optarg;
			break;
		case 'm':
			mailbox = optarg;
			break;
		case 'P':
			no_prefilter = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(cli_find("rules"));
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cli_find("rules"));
	verdict_init(&v);
	if (load_conf(cli, 0, &conf) < 0)
		goto out;
	if (load_rules(rules_dir(dir_opt, conf), conf, no_prefilter, stderr,
		&rs) < 0)
		goto out;
	if (read_eml(argv[optind], &raw, &len) < 0) {
		fprintf(stderr, "triage: %s: %s\n", argv[optind],
		    strerror(errno));
		goto out;
	}
	mime_init();
	mime_limits_default(&lim);
	if (mime_parse(raw, len, &lim, time(NULL), &m, &err) < 0) {
		fprintf(stderr, "triage: %s: %s\n", argv[optind], err.msg);
		goto out;
	}
	/* the account and tier conditions see the config's accounts.csv */
	if (conf != NULL && conf->accounts != NULL &&
	    accounts_load(conf->accounts, &accounts, &aerrs) < 0)
		fprintf(stderr, "triage: %s: %s; no key accounts\n",
		    conf->accounts, aerrs.n > 0 ? aerrs.v[0] : "unreadable");
	accounts_errors_clear(&aerrs);
	accounts_rules_ctx(accounts, m, mailbox, &ctx);
	rules_explain(rs, m, &ctx, &v, &nears);
	if (json) {
		print_test_json(argv[optind], m, &ctx, rules_dir(dir_opt, conf),
		    &v, &nears);
		rc = CLI_OK;
		goto out;
	}
	printf("message: %s\n  from:    %s\n  subject: %s\n  mailbox: %s\n",
	    argv[optind], m->from.addr, m->subject,
	    mailbox != NULL ? mailbox : "(none given)");
	if (ctx.account != NULL)
		printf("  account: %s (%s)\n", ctx.account, ctx.tier);
	printf("rules:   %s (%zu rules)\n", rules_dir(dir_opt, conf),
	    rules_count(rs));
	print_explain(&v, &nears);
	print_verdict(&v);
	rc = CLI_OK;
out:
	rules_nears_clear(&nears);
	verdict_clear(&v);
	msg_free(&m);
	free(raw);
	rules_free(&rs);
	accounts_free(&accounts);
	conf_free(&conf);
	return rc;
}

int
cli_rules(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return rules_check(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return rules_test(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		return cli_rules_replay(cli, argc - 1, argv + 1);
	return cli_usage(cli_find("rules"));
}
