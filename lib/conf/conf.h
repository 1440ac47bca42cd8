/*
 * triage.conf: libconfig in, one validated, typed struct conf out.
 *
 * Every string in struct conf is owned by it (libconfig's strings die with
 * config_destroy(), so they are copied).  A struct conf is immutable once
 * loaded: SIGHUP builds a new one and swaps it in only if it loaded clean.
 */
#ifndef TRIAGE_CONF_H
#define TRIAGE_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "error.h"
#include "log.h"

enum conf_tls {
	CONF_TLS_IMPLICIT,
	CONF_TLS_STARTTLS,
	CONF_TLS_NONE
};
enum conf_after {
	CONF_AFTER_FLAG,
	CONF_AFTER_MOVE,
	CONF_AFTER_NONE
};
enum conf_route_style {
	CONF_ROUTE_ATTACH,
	CONF_ROUTE_REDIRECT
};

/* Where a server is and how to log in (imap and smtp blocks). */
struct conf_server {
	char *host;
	int port;
	enum conf_tls tls;
	char *user;
	char *password;		    /* NULL in a loaded conf (secrets are
				   checked at load, not kept): a caller sets
				   it in its copy for one login, then wipes
				   it; never logged */
	char *password_file;	    /* absolute path */
	char *password_env;	    /* environment variable name */
	char *password_command;	    /* run by conf_server_password() at connect
				   time (isync PassCmd), never at load */
	char *oauth2_token_file;    /* XOAUTH2: token read from this file */
	char *oauth2_token_command; /* XOAUTH2: token printed by this */
	char *ca_file;		    /* NULL: the system trust store */
	int line;		    /* line of the block, for messages */
};

struct conf_mailbox {
	char *name;
	char *address; /* the shared address, lowercased */
	char *queue;   /* default queue */
	struct conf_server imap;
	char *folder; /* default "INBOX" */
	enum conf_after after;
	char *after_folder; /* for move:FOLDER */
	int line;
};

struct conf_route {
	char *name; /* "sales", "support", ... */
	char *to;
	enum conf_route_style style;
	char *reply_to; /* NULL: the default for the style */
	int line;
};

struct conf_member {
	char *name;
	char *address;	 /* lowercased */
	char *role;	 /* "bdr", "manager", "sales", "support" */
	char *unix_user; /* optional; defaults to name */
	char *route;	 /* sales/support staff: the route whose
				   forwards they receive; NULL if none */
	int line;
};

struct conf_sla {
	int64_t claim; /* seconds; 0 = no clock */
	int64_t acknowledge;
	char *digest_to;    /* NULL: no digest */
	char *digest_at;    /* "HH:MM" local time; default "08:00" */
	char *hours;	    /* "Mon-Fri 09:00-18:00 Europe/Berlin" or NULL */
	int check_interval; /* seconds between looks at the clocks */
};

/* The weekly report mail (report block). */
struct conf_report {
	char *weekly_to; /* "a@x, b@y": lowercased, ", "-joined; NULL:
			    no weekly mail */
	int day;	 /* 0 Sunday .. 6 Saturday (struct tm); default
			    1, Monday */
	char *at;	 /* "HH:MM" local time (timezone); default "07:00" */
};

/* One webhooks entry (lib/work/webhook*.c POSTs its events). */
struct conf_webhook {
	char *url;     /* https://, or http:// to a loopback host */
	char **events; /* events.kind values ("qualify"; "*": every) */
	size_t n_events;
	char *secret_file; /* the HMAC key of X-Triage-Signature */
	char *ca_file;	   /* NULL: the system trust store */
	int timeout;	   /* seconds for one POST; default 30 */
	int first_retry;   /* seconds before the first retry (doubling);
			      default 60 */
	int line;
};

/* assign = { queues; mode; members; }: fair auto-assignment at ingest. */
enum conf_assign_mode {
	CONF_ASSIGN_ROUND_ROBIN,
	CONF_ASSIGN_LEAST_OPEN
};
struct conf_assign {
	char **queues; /* owned; n_queues 0: assignment is off */
	size_t n_queues;
	enum conf_assign_mode mode;
	char **members; /* owned: team members' names, each a bdr/manager */
	size_t n_members;
	int line;
};

struct conf {
	char *path; /* the file this came from */
	char *database;
	char *db_password_file;	 /* password_file: PostgreSQL's, or NULL */
	char *rules;		 /* directory of *.rules */
	char *accounts;		 /* NULL when not configured */
	int poll_interval;	 /* seconds */
	size_t max_message_size; /* bytes; default 50 MB */
	int lease_seconds;	 /* PostgreSQL: a mailbox lease's ttl */

	struct conf_mailbox *mailboxes;
	size_t n_mailboxes;
	struct conf_server smtp;
	int has_smtp;
	char *smtp_from;      /* "Triage <triage@example.com>" */
	int smtp_first_retry; /* seconds before an outbox row's first
				   retry (doubling after); 0: no smtp block */
	struct conf_route *routes;
	size_t n_routes;
	struct conf_member *team;
	size_t n_team;
	char *trust_authentication_results; /* NULL when not set */
	enum log_level log_level;	    /* log_level; default info */
	struct conf_sla sla;
	char *ticket_url; /* "https://crm.example.com/t/{id}"; NULL: none */
	char *timezone;	  /* the report's zone, "Europe/Berlin"; NULL: the
			     hours' zone, else the system's */
	struct conf_report report;
	struct conf_webhook *webhooks;
	size_t n_webhooks;
	struct conf_assign assign;
};

/*
 * Every problem found while loading, each "FILE:LINE: message".
 * Loading goes on after an error so all of them are reported at once.
 */
struct conf_errors {
	char **v; /* owned */
	size_t n;
};

/*
 * Load and validate `path`.  On success returns 0 and sets *conf_r (free
 * with conf_free).  On any problem returns -1, leaves *conf_r alone and
 * fills *errs with every problem found (free with conf_errors_clear).
 * Relative paths in the file (database, rules, accounts, password_file,
 * ca_file, oauth2_token_file) come out absolute, resolved against the
 * directory of `path`.  password_file and password_env are read (and
 * checked, not kept) here; password_command is only run by
 * conf_server_password().
 */
int conf_load(const char *path, struct conf **conf_r, struct conf_errors *errs);

/*
 * conf_load() with flags.  CONF_LOAD_NO_SECRETS skips reading and checking
 * password and token files and environment variables: for the CLI, which
 * runs as a person who must not be able to read the daemon's secrets.
 * `errs` must start zeroed (or cleared); errors are appended to it.
 */
#define CONF_LOAD_NO_SECRETS 0x01
int conf_load_flags(const char *path, unsigned flags, struct conf **conf_r,
    struct conf_errors *errs);
void conf_errors_clear(struct conf_errors *errs);
void conf_free(struct conf **confp);

/* Lookups; NULL when absent.  Address matching is case-insensitive. */
const struct conf_mailbox *conf_mailbox(const struct conf *c, const char *name);
const struct conf_route *conf_route(const struct conf *c, const char *name);
const struct conf_member *conf_member_by_address(const struct conf *c,
    const char *address);
const struct conf_member *conf_member_by_name(const struct conf *c,
    const char *name);
/* Is `queue` a queue name this config knows (a mailbox's queue or route)? */
int conf_has_queue(const struct conf *c, const char *queue);
/*
 * The queue (or route) name of `c` closest to `name`, when it is close
 * enough to be a typo of it ("suport" -> "support"): for "did you mean".
 * NULL when none is.  The result points into `c`.
 */
const char *conf_queue_closest(const struct conf *c, const char *name);
const char *conf_route_closest(const struct conf *c, const char *name);

/*
 * Does the address list `list` ("a@x, Name <b@y>") name the address of a
 * mailbox triage reads, also plus-addressed (sales+x@)?  Mail sent there
 * would come back.  Returns that mailbox, or NULL.
 */
const struct conf_mailbox *conf_reads(const struct conf *c, const char *list);
/*
 * The next address of a list as the config writes it ("a@x, Name <b@y>"):
 * its start and *n_r bytes (the angle brackets and name left out), the
 * cursor moved past it; NULL at the end.
 */
const char *conf_list_next(const char **cursor, size_t *n_r);

/*
 * The effective configuration (`triage config show`): every setting of
 * `c`, defaults filled in, walked in the key tables' order.  A group or
 * list opens (name NULL: an element of a list), values follow as text
 * (is_number: an integer, else a string), and it closes.  Values that
 * may hold a secret (password_command, oauth2_token_command) come as
 * "(hidden)"; unset settings without a default are left out.
 */
struct conf_show_ops {
	void (*open)(void *arg, const char *name, int is_list);
	void (*close)(void *arg, int is_list);
	void (*value)(void *arg, const char *name, const char *text,
	    int is_number);
};
void conf_show(const struct conf *c, const struct conf_show_ops *ops,
    void *arg);
/* conf_show as triage.conf text (libconfig syntax) on fp. */
void conf_print(const struct conf *c, FILE *fp);

/*
 * A ticket's link: the ticket_url template with its "{id}" replaced by
 * the ticket number.  A new string (free it), or NULL when tmpl is NULL.
 */
char *conf_ticket_url(const char *tmpl, int64_t id);

/*
 * Parse "90", "30s", "15m", "4h", "1d", "2w" (or sums such as "1h30m")
 * into seconds; -1 if bad, *seconds_r untouched.
 */
int conf_duration(const char *s, int64_t *seconds_r);
/* Parse "1048576", "512K", "50M", "1G" (K = 1024) into bytes; -1 if bad. */
int conf_size(const char *s, size_t *bytes_r);
/*
 * Does the database setting `s` name a PostgreSQL server (a
 * postgresql:// or postgres:// URI, or a key=value conninfo) rather than
 * an SQLite file?  Such a string is kept as written, not made absolute.
 */
int conf_database_is_server(const char *s);

/*
 * The secrets of a server block, fetched when connecting: the password
 * (s->password when a caller set it, else password_file / password_env
 * read now, or
 * what password_command prints on stdout) and the XOAUTH2 token
 * (oauth2_token_file re-read each time, since tokens are refreshed, or
 * oauth2_token_command's output).  Trailing newlines are stripped.
 * Returns 0 and sets *r to a new string the caller frees, after
 * explicit_bzero() (NULL when none is configured); -1 with err (ERR_CONF) when a file is missing or group/
 * world readable, a variable is unset, or a command fails.  Never puts the
 * secret itself in err.
 */
int conf_server_password(const struct conf_server *s, char **password_r,
    struct error *err);
/*
 * Webhooks: does `w` want events of `kind` (1 yes, 0 no)?  The hook
 * whose url is `url`, or NULL.  The hook's secret read now from its
 * secret_file (refused when group- or world-readable), a new string the
 * caller wipes and frees; -1 with err (ERR_CONF) when it cannot be read.
 */
int conf_webhook_wants(const struct conf_webhook *w, const char *kind);
const struct conf_webhook *conf_webhook_by_url(const struct conf *c,
    const char *url);
int conf_webhook_secret(const struct conf_webhook *w, char **secret_r,
    struct error *err);
int conf_server_oauth2_token(const struct conf_server *s, char **token_r,
    struct error *err);

#endif
