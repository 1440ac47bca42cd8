/*
 * triage config show [--json]: the effective configuration, defaults
 * filled in and secrets masked (conf_show, as `doveconf` prints
 * Dovecot's).  The text form is triage.conf syntax; --json the same tree.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "conf.h"

/* A stack of the open JSON containers; [0] is the root object. */
struct jtree {
	struct json_object *v[16]; /* foreign but v[0]: owned */
	int depth;
};

static void
jadd(struct jtree *j, const char *name, struct json_object *o)
{
	struct json_object *top = j->v[j->depth];

	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, o);
	else
		json_object_object_add(top, name, o);
}

static void
j_open(void *arg, const char *name, int is_list)
{
	struct jtree *j = arg;
	struct json_object *o =
	    is_list ? json_object_new_array() : json_object_new_object();

	jadd(j, name, o);
	if (j->depth + 1 < (int)(sizeof(j->v) / sizeof(j->v[0])))
		j->v[++j->depth] = o;
}

static void
j_close(void *arg, int is_list)
{
	struct jtree *j = arg;

	(void)is_list;
	if (j->depth > 0)
		j->depth--;
}

static void
j_value(void *arg, const char *name, const char *text, int is_number)
{
	struct jtree *j = arg;
	long long n = 0;

	if (is_number && sscanf(text, "%lld", &n) == 1)
		jadd(j, name, json_object_new_int64(n));
	else
		jadd(j, name, json_object_new_string(text));
}

static void
print_json(const struct conf *c)
{
	static const struct conf_show_ops ops = { j_open, j_close, j_value };
	struct jtree j = { { json_object_new_object() }, 0 };

	conf_show(c, &ops, &j);
	cli_print_json(j.v[0]);
}

int
cli_config(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_find("config"));
		json = 1;
	}
	if (optind + 1 != argc || strcmp(argv[optind], "show") != 0)
		return cli_usage(cli_find("config"));
	/* as the CLI runs: secrets are not read, only named */
	if (conf_load_flags(cli->conf_path, CONF_LOAD_NO_SECRETS, &conf,
		&errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "triage: %s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return CLI_USAGE;
	}
	if (json)
		print_json(conf);
	else
		conf_print(conf, stdout);
	conf_free(&conf);
	return CLI_OK;
}
