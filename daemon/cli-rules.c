/*
 * triage rules check [DIR]: load a rule directory and report every
 * problem as FILE:LINE:COL: message.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rules.h"

static void
print_problems(const struct rules_problems *probs)
{
	for (size_t i = 0; i < probs->n; i++)
		fprintf(stderr, "%s:%d:%d: %s\n", probs->v[i].file,
		    probs->v[i].line, probs->v[i].col, probs->v[i].msg);
}

static int
rules_check(struct cli *cli, int argc, char **argv)
{
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	const char *dir = TRIAGE_SYSCONFDIR "/triage/rules.d";
	int r;

	(void)cli;
	if (argc > 2)
		return cli_usage(cli_find("rules"));
	if (argc == 2)
		dir = argv[1];
	r = rules_load(dir, NULL, &rs, &probs);
	if (r < 0) {
		print_problems(&probs);
		fprintf(stderr, "%s: %zu problem%s\n", dir, probs.n,
		    probs.n == 1 ? "" : "s");
		rules_problems_clear(&probs);
		return CLI_USAGE;
	}
	printf("%s: %zu rules, ok\n", dir, rules_count(rs));
	rules_free(&rs);
	return CLI_OK;
}

int
cli_rules(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return rules_check(cli, argc - 1, argv + 1);
	return cli_usage(cli_find("rules"));
}
