/*
 * The triage CLI: triage.c parses global options and dispatches to one
 * function per subcommand.  Each command group lives in its own
 * daemon/cli-GROUP.c and only wires libtriage: no logic here.
 */
#ifndef TRIAGE_CLI_H
#define TRIAGE_CLI_H

/* Exit codes (DESIGN.md): 0 ok, 1 refused, 2 usage or config error. */
#define CLI_OK		0
#define CLI_REFUSED	1
#define CLI_USAGE	2
#define CLI_TEMPFAIL	75	/* EX_TEMPFAIL: an MTA retries */

struct cli {
	const char *conf_path;	/* -c, $TRIAGE_CONFIG, or the default */
	int conf_given;		/* -c or $TRIAGE_CONFIG was set explicitly */
};

/*
 * A subcommand: argv[0] is the subcommand's name; getopt may be used on
 * (argc, argv) directly.  Returns a CLI_* exit code.
 */
typedef int cli_fn(struct cli *cli, int argc, char **argv);

struct cli_cmd {
	const char *name;
	cli_fn *fn;
	const char *usage;	/* arguments, for `triage help` */
};

/* Print "usage: triage NAME USAGE" to stderr; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd);
/* Find a command by name, for subcommand-specific usage lines. */
const struct cli_cmd *cli_find(const char *name);

/* cli-inspect.c */
cli_fn cli_inspect;

/* cli-report.c */
cli_fn cli_report;

#endif
