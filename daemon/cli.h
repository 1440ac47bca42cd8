/*
 * The triage CLI: triage.c parses global options and dispatches to one
 * function per subcommand.  Each command group lives in its own
 * daemon/cli-GROUP.c and only wires libtriage: no logic here.
 */
#ifndef TRIAGE_CLI_H
#define TRIAGE_CLI_H

/*
 * Exit codes (DESIGN.md, triage(1)): 0 ok, 1 refused, 2 usage or config
 * error, 75 try again, 77 not permitted (not in the team, --as).
 */
#define CLI_OK 0
#define CLI_REFUSED 1
#define CLI_USAGE 2
#define CLI_TEMPFAIL 75 /* EX_TEMPFAIL: an MTA retries */
#define CLI_NOINPUT 66	/* EX_NOINPUT: a named input file cannot be read */
#define CLI_DENIED 77	/* EX_NOPERM */

struct cli {
	const char *conf_path; /* -c, $TRIAGE_CONFIG, or the default */
	int conf_given;	       /* -c or $TRIAGE_CONFIG was set explicitly */
};

/*
 * A subcommand: argv[0] is the subcommand's name; getopt may be used on
 * (argc, argv) directly.  Returns a CLI_* exit code.
 */
typedef int cli_fn(struct cli *cli, int argc, char **argv);

struct cli_cmd {
	const char *name;
	cli_fn *fn;
	const char *usage;   /* arguments, for `triage help CMD` */
	const char *summary; /* one line, no full stop */
	unsigned flags;	     /* CLI_F_* (triage.c) */
};

/* Print "usage: triage NAME USAGE" to stderr; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd);
/* Find a command by name, for subcommand-specific usage lines. */
const struct cli_cmd *cli_find(const char *name);

/* cli-inspect.c */
cli_fn cli_inspect;
/* ---- store commands (cli-common.c, cli-ticket.c, cli-queue.c) ---- */

struct store;
struct error;

/* Options every store command takes: --db FILE, --as NAME. */
struct cli_store_opts {
	const char *db; /* --db, else $TRIAGE_DB, else the config's */
	const char *as; /* --as, else the Unix user via `team` */
	int intent;	/* ACTOR_READS (0) or ACTOR_CHANGES (actor.h) */
	int may_create; /* a missing database is created (ingest) */
	int read_only;	/* the command only reads: store_open_read_pw() */
};

struct conf;
struct ingest;
struct rules;
struct rules_problems;

/* What a store command works with; cli_store_close releases it. */
struct cli_ctx {
	struct store *st;  /* owned */
	struct conf *conf; /* owned; NULL when run with --db and no config */
	char *actor;	   /* owned: who acts (actor.h) */
	char *unix_user;   /* owned: the real Unix user, for events */
	struct accounts *accounts; /* owned: the config's key accounts, or
				      NULL; the store looks tickets up in it */
	struct rules *rules;	   /* owned: cli_ingest_open's, or NULL */
	struct ingest *ingest;	   /* owned: cli_ingest_open's, or NULL */
};

#define CLI_STORE_LONGOPTS \
	{ "db", required_argument, NULL, 'D' }, \
	{ \
		"as", required_argument, NULL, 'A' \
	}

/*
 * Load the config (secrets are not read), open its database (or --db /
 * $TRIAGE_DB, with which a missing default config is fine), give the store
 * the config's team, and resolve the acting person (actor_resolve with
 * o->intent).  A database that does not exist is an error unless
 * o->may_create.  Returns CLI_OK, or prints why and returns the exit code
 * to use.
 */
int cli_store_open(struct cli *cli, const struct cli_store_opts *o,
    struct cli_ctx *ctx);
/*
 * The config's PostgreSQL password_file when this user can read it, else
 * NULL: a person who may not read the daemon's file connects with their
 * own PGPASSFILE or ~/.pgpass (triage.conf(5)).
 */
const char *cli_db_password_file(const struct conf *c);
void cli_store_close(struct cli_ctx *ctx);
/*
 * The ingest pipeline (ingest.h) over ctx's config, key accounts and the
 * configured rules, into ctx->ingest, for the commands that classify
 * (ingest, reprocess); initialises the MIME parser.  Rules that do not
 * load do not stop delivery: that is said on stderr and the mail is
 * classified by no rules (stored in its mailbox's queue; `triage
 * reprocess` classifies it once they are fixed).  cli_store_close frees
 * it all.
 */
void cli_ingest_open(struct cli_ctx *ctx);
/*
 * The rule set in `dir`, checked against the names (queues, routes) of
 * `c` (NULL: any name).  Returns 0 and sets *rs_r (rules_free), or -1
 * with every problem appended to *probs.
 */
int cli_rules_load(const char *dir, const struct conf *c, struct rules **rs_r,
    struct rules_problems *probs);
struct json_object;
/* A JSON string of s, or NULL (JSON null) when s is NULL. */
struct json_object *cli_jstr(const char *s);
/* A rule hit: {"rule", "file", "line", "target", "match"} (show, rules). */
struct json_object *cli_hit_json(const char *rule, const char *file, int line,
    const char *target, const char *match);
/* Print o pretty on stdout and release it (json_object_put); CLI_OK. */
int cli_print_json(struct json_object *o);
/* The worse of two exit codes: tempfail > usage > refused > ok. */
int cli_worse(int a, int b);
/* Print err and map its code to an exit code (1, 2 or 75). */
int cli_fail(const struct error *err);
/*
 * Parse a ticket id ("12" or "#12": command_ticket_id after an optional
 * '#', so at most 18 digits); -1 when it is not one, never a clamped id.
 */
long long cli_ticket_id(const char *s);
/*
 * A ticket id argument into *id_r.  Returns CLI_OK, or prints that `arg`
 * is not a ticket number and returns CLI_USAGE (*id_r untouched).
 */
int cli_ticket_arg(const char *arg, long long *id_r);
/* The largest count an option such as --limit takes. */
#define CLI_COUNT_MAX 1000000
/*
 * A count: decimal digits only, at most max (checked before each digit
 * is added, so nothing overflows).  Returns 0 and sets *n_r, or -1
 * (*n_r untouched).
 */
int cli_count(const char *s, size_t max, size_t *n_r);
/*
 * The value `arg` of option `opt` ("--limit") as a count up to
 * CLI_COUNT_MAX into *n_r.  Returns CLI_OK, or prints that it is not one
 * (naming opt and arg) and returns CLI_USAGE (*n_r untouched).
 */
int cli_count_arg(const char *opt, const char *arg, size_t *n_r);
/*
 * Take getopt_long's `ch` (its `arg`) into *so when it is --db or --as
 * (CLI_STORE_LONGOPTS).  Returns 1 when it was, 0 when it is the
 * command's own option.
 */
int cli_store_opt(int ch, const char *arg, struct cli_store_opts *so);

int cli_queue(struct cli *cli, int argc, char **argv);
int cli_show(struct cli *cli, int argc, char **argv);
int cli_search(struct cli *cli, int argc, char **argv);
int cli_claim(struct cli *cli, int argc, char **argv);
int cli_route(struct cli *cli, int argc, char **argv);
int cli_ack(struct cli *cli, int argc, char **argv);
int cli_qualify(struct cli *cli, int argc, char **argv);
int cli_disqualify(struct cli *cli, int argc, char **argv);
int cli_note(struct cli *cli, int argc, char **argv);
int cli_tag(struct cli *cli, int argc, char **argv);
int cli_priority(struct cli *cli, int argc, char **argv);
int cli_story(struct cli *cli, int argc, char **argv);
int cli_close(struct cli *cli, int argc, char **argv);
int cli_reopen(struct cli *cli, int argc, char **argv);
/* cli-desk.c: a BDR's day */
int cli_wait(struct cli *cli, int argc, char **argv);
int cli_merge(struct cli *cli, int argc, char **argv);
int cli_unclaim(struct cli *cli, int argc, char **argv);
int cli_away(struct cli *cli, int argc, char **argv);
int cli_back(struct cli *cli, int argc, char **argv);
int cli_ingest(struct cli *cli, int argc, char **argv);
int cli_reprocess(struct cli *cli, int argc, char **argv);

/* triage rules check|test|replay (cli-rules.c, cli-rules-replay.c) */
cli_fn cli_rules;
cli_fn cli_rules_replay;

/* cli-status.c: per-mailbox daemon state and database counts */
cli_fn cli_status;

/* cli-report.c */
cli_fn cli_report;

/* cli-config.c: triage config show */
cli_fn cli_config;
cli_fn cli_db;

/* cli-outbox.c: the outbox rows, and re-queueing a failed one */
cli_fn cli_outbox;

/* cli-webhooks.c: the webhook deliveries, and re-queueing a failed one */
cli_fn cli_webhooks;

#endif
