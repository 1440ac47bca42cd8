/*
 * triage: the command-line tool.  Global options, then one table of
 * subcommands with their usage and summary (for `triage help`, `triage
 * help CMD`, `CMD --help`, the completion and the man page test); each
 * command lives in a daemon/cli-*.c file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "log.h"

static cli_fn cli_help;

/* CLI_F_STORE: takes --db and --as (CLI_STORE_LONGOPTS). */
#define CLI_F_STORE 0x1

static const struct cli_cmd commands[] = {
	{ "help", cli_help, "[COMMAND | --list]",
	    "List the commands, or show one command's usage", 0 },
	{ "inspect", cli_inspect, "FILE.eml|- [--json]",
	    "Parse a message and show what triage sees in it", 0 },
	{ "queue", cli_queue,
	    "[--queue Q] [--state S] [--mine] [--limit N] [--json]",
	    "List the open tickets, most urgent first", CLI_F_STORE },
	{ "show", cli_show, "ID [--json]",
	    "Show a ticket: its thread, rule hits and events", CLI_F_STORE },
	{ "search", cli_search, "TEXT... [--limit N] [--json]",
	    "Search the stored mail's text", CLI_F_STORE },
	{ "claim", cli_claim, "ID [--steal] [--json]",
	    "Claim a ticket as yours (--steal: from someone else)",
	    CLI_F_STORE },
	{ "route", cli_route, "ID ROUTE|owner [--note TEXT] [--json]",
	    "Forward a claimed ticket to a route's team, or its key account's "
	    "owner",
	    CLI_F_STORE },
	{ "ack", cli_ack, "ID [--json]", "Acknowledge a ticket routed to you",
	    CLI_F_STORE },
	{ "qualify", cli_qualify,
	    "ID [budget|authority|need|timeline|fit]... [--json]",
	    "Mark a lead qualified, with the BANT dimensions met",
	    CLI_F_STORE },
	{ "disqualify", cli_disqualify, "ID --reason TEXT [--json]",
	    "Close a lead as not qualified, saying why", CLI_F_STORE },
	{ "note", cli_note, "ID TEXT... [--json]", "Add a note to a ticket",
	    CLI_F_STORE },
	{ "tag", cli_tag, "ID TAG [--json]", "Tag a ticket", CLI_F_STORE },
	{ "priority", cli_priority, "ID low|normal|high|urgent [--json]",
	    "Set a ticket's priority", CLI_F_STORE },
	{ "story", cli_story, "ID [--json]",
	    "Mark a ticket as a customer story candidate", CLI_F_STORE },
	{ "close", cli_close, "ID [--json]", "Close a ticket", CLI_F_STORE },
	{ "reopen", cli_reopen, "ID [--json]", "Reopen a closed ticket",
	    CLI_F_STORE },
	{ "wait", cli_wait, "ID [--until DATE|DURATION] [--json]",
	    "Wait on the customer: no SLA clock runs until they write",
	    CLI_F_STORE },
	{ "merge", cli_merge, "ID INTO [--force] [--json]",
	    "Merge a ticket's thread into another (--force: across "
	    "customers)",
	    CLI_F_STORE },
	{ "unclaim", cli_unclaim, "ID [--json]",
	    "Give a claimed ticket back to the queue", CLI_F_STORE },
	{ "away", cli_away, "[NAME [--until DATE|DURATION]] [--json]",
	    "Mark a team member away (no assignments, reminders to a "
	    "manager), or list who is away",
	    CLI_F_STORE },
	{ "back", cli_back, "NAME [--json]", "Mark a team member back",
	    CLI_F_STORE },
	{ "ingest", cli_ingest, "[--mailbox NAME] [--json] [FILE.eml ... | -]",
	    "Store mail from files or standard input (an MTA's pipe); "
	    "creates the database",
	    CLI_F_STORE },
	{ "reprocess", cli_reprocess, "ID... | --failed [--json]",
	    "Parse and classify stored mail again", CLI_F_STORE },
	{ "rules", cli_rules,
	    "check [DIR] [--json] | test FILE.eml [--rules DIR] [--mailbox NAME] [--json] | "
	    "replay [--since 30d] [--rules DIR] [--baseline DIR] [--json] [--jobs N] [--db FILE]",
	    "Check rule files, test them on a message, or replay stored mail "
	    "through them",
	    0 },
	{ "status", cli_status, "[--json]",
	    "The daemon's mailboxes and the database's counts", 0 },
	{ "report", cli_report,
	    "[--since 7d | --from DATE [--to DATE]] "
	    "[--mailbox M] [--format text|json|csv|html] [-o FILE] "
	    "[--mail | --mail-to ADDR] [--as NAME]",
	    "The team's figures over a period", CLI_F_STORE },
	{ "outbox", cli_outbox,
	    "[--failed | --all] [--limit N] [--json] | retry ID",
	    "List the mail triage sends, or retry a failed one", CLI_F_STORE },
	{ "webhooks", cli_webhooks,
	    "[--failed | --all] [--limit N] [--json] | retry ID",
	    "List the webhook deliveries, or retry a failed one", CLI_F_STORE },
	{ "db", cli_db, "init [--json] | copy [--from FILE] --to URL [--json]",
	    "Create the database, or bring its schema up to date; copy an "
	    "SQLite database into PostgreSQL",
	    CLI_F_STORE },
	{ "config", cli_config, "show [--json]",
	    "Print the effective configuration, defaults filled in, secrets "
	    "masked",
	    0 },
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

static void
print_usage(FILE *fp, const struct cli_cmd *cmd)
{
	fprintf(fp, "usage: triage [-c FILE] %s %s%s\n", cmd->name, cmd->usage,
	    cmd->flags & CLI_F_STORE ? " [--db FILE] [--as NAME]" : "");
}

int
cli_usage(const struct cli_cmd *cmd)
{
	print_usage(stderr, cmd);
	fprintf(stderr, "(see 'triage %s --help')\n", cmd->name);
	return CLI_USAGE;
}

/* `triage help CMD`, `triage CMD --help`: usage, summary, common options. */
static int
help_one(const struct cli_cmd *cmd)
{
	print_usage(stdout, cmd);
	printf("\n%s.\n", cmd->summary);
	if (cmd->flags & CLI_F_STORE)
		printf("\n  --db FILE  the database (default: $TRIAGE_DB, else "
		       "the config's); it must exist\n"
		       "  --as NAME  act as this team member (root and "
		       "managers only)\n");
	printf("\nSee triage(1).\n");
	return CLI_OK;
}

static void
help_all(FILE *fp)
{
	fprintf(fp, "usage: triage [-c FILE] COMMAND [ARGS]\n"
		    "       triage --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-11s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp,
	    "\n'triage help COMMAND' or 'triage COMMAND --help' shows a "
	    "command's usage; see triage(1).\n");
}

static int
cli_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_cmd *cmd;

	(void)cli;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			printf("%s\n", commands[i].name);
		return CLI_OK;
	}
	if (argc < 2) {
		help_all(stdout);
		return CLI_OK;
	}
	cmd = cli_find(argv[1]);
	if (argc > 2 || cmd == NULL) {
		fprintf(stderr, "triage: no command '%s' (see 'triage help')\n",
		    argv[1]);
		return CLI_USAGE;
	}
	return help_one(cmd);
}

/* --help or -h among a command's arguments, before any "--". */
static int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	const struct cli_cmd *cmd;
	const char *env;
	int ch;

	log_init("triage", LOG_LVL_WARN);
	/* group triage shares the database and its -wal/-shm: triage(1) */
	umask(007);
	env = getenv("TRIAGE_CONFIG");
	cli.conf_path = env != NULL && *env != '\0' ? env :
						      TRIAGE_SYSCONFDIR
			    "/triage/triage.conf";
	cli.conf_given = env != NULL && *env != '\0';

	/* '+': stop at the subcommand; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.conf_path = optarg;
			cli.conf_given = 1;
			break;
		case 'V':
			printf("triage %s\n", TRIAGE_VERSION);
			return CLI_OK;
		case 'h':
			help_all(stdout);
			return CLI_OK;
		default:
			help_all(stderr);
			return CLI_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		help_all(stderr);
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
	if (wants_help(argc, argv))
		return help_one(cmd);
	/* 0, not 1: glibc then forgets the '+' above, so a command's
	   options may follow its operands (`inspect FILE --json`). */
	optind = 0;
	return cmd->fn(&cli, argc, argv);
}
