/*
 * triage: the command-line tool.  Global options, then a table of
 * subcommands; each lives in a daemon/cli-*.c file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static int cli_help(struct cli *cli, int argc, char **argv);

static const struct cli_cmd commands[] = {
	{ "help", cli_help, "" },
	{ "inspect", cli_inspect, "FILE.eml|- [--json]" },
	{ "queue", cli_queue,
	    "[--queue Q] [--state S] [--mine] [--limit N] "
	    "[--json]" },
	{ "show", cli_show, "ID [--json]" },
	{ "search", cli_search, "TEXT... [--limit N] [--json]" },
	{ "claim", cli_claim, "ID [--as NAME] [--steal]" },
	{ "route", cli_route, "ID ROUTE [--note TEXT]" },
	{ "ack", cli_ack, "ID" },
	{ "qualify", cli_qualify,
	    "ID [budget|authority|need|timeline|fit]..." },
	{ "disqualify", cli_disqualify, "ID --reason TEXT" },
	{ "note", cli_note, "ID TEXT..." },
	{ "tag", cli_tag, "ID TAG" },
	{ "priority", cli_priority, "ID low|normal|high|urgent" },
	{ "story", cli_story, "ID" },
	{ "close", cli_close, "ID" },
	{ "reopen", cli_reopen, "ID" },
	{ "ingest", cli_ingest, "[--mailbox NAME] [FILE.eml ... | -]" },
	{ "reprocess", cli_reprocess, "ID... | --failed" },
	{ "rules", cli_rules,
	    "check [DIR] | test FILE.eml [--rules DIR] [--mailbox NAME] | "
	    "replay [--since 30d] [--rules DIR] [--baseline DIR] [--db FILE]" },
	{ "status", cli_status, "[--json]" },
	{ "report", cli_report,
	    "[--since 7d | --from DATE [--to DATE]] "
	    "[--mailbox M] [--format text|json|csv|html] [-o FILE] [--db FILE]" },
	{ "outbox", cli_outbox, "[--failed | --all] [--limit N] | retry ID" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cli_cmd *
cli_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

int
cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: triage [-c FILE] %s %s\n", cmd->name,
	    cmd->usage);
	return CLI_USAGE;
}

static int
cli_help(struct cli *cli, int argc, char **argv)
{
	printf("usage: triage [-c FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].usage);
	return CLI_OK;
}

int
main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct cli_cmd *cmd;
	const char *env;
	int ch;

	log_init("triage", LOG_LVL_WARN);
	env = getenv("TRIAGE_CONFIG");
	cli.conf_path = env != NULL && *env != '\0' ? env :
						      TRIAGE_SYSCONFDIR
			    "/triage/triage.conf";
	cli.conf_given = env != NULL && *env != '\0';

	/* '+': stop at the subcommand; its options are its own. */
	while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
		switch (ch) {
		case 'c':
			cli.conf_path = optarg;
			cli.conf_given = 1;
			break;
		case 'V':
			printf("triage %s\n", TRIAGE_VERSION);
			return CLI_OK;
		case 'h':
			return cli_help(&cli, 0, NULL);
		default:
			return CLI_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cli_help(&cli, 0, NULL);
		return CLI_USAGE;
	}
	cmd = cli_find(argv[0]);
	if (cmd == NULL) {
		fprintf(stderr,
		    "triage: unknown command '%s' "
		    "(see 'triage help')\n",
		    argv[0]);
		return CLI_USAGE;
	}
	optind = 1; /* subcommands run getopt on their own argv */
	return cmd->fn(&cli, argc, argv);
}
