/*
 * triaged --check: load everything the daemon loads, as engine_open
 * loads it -- config (with its secrets' modes), rules against the
 * config's queues and routes, accounts -- and look at what it will
 * write: the database's directory, and the mail it sends on its own
 * (the digest, reminders, the weekly report) to no mailbox it reads.
 * Offline: no server is contacted.
 */
#include "engine-private.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "conf.h"
#include "rules.h"
#include "xalloc.h"

/* SQLite writes its journal beside the file: the directory must take it. */
static int
check_database(const struct engine_opts *o, const struct conf *c)
{
	char *copy = xstrdup(c->database);
	const char *dir = dirname(copy);
	int r = 0;

	if (access(dir, W_OK | X_OK) < 0) {
		log_sink_say(&o->log, LOG_LVL_ERR, NULL,
		    "%s: database directory '%s': %s", c->path, dir,
		    strerror(errno));
		r = -1;
	} else if (access(c->database, W_OK) < 0 && errno != ENOENT) {
		log_sink_say(&o->log, LOG_LVL_ERR, NULL,
		    "%s: database '%s': %s", c->path, c->database,
		    strerror(errno));
		r = -1;
	}
	free(copy);
	return r;
}

/*
 * Addresses triage mails on its own must not be a mailbox it reads: the
 * mail would come back to it (README "Own mail").  sla.digest_to gets
 * the digest and the reminders nobody else can take.
 */
static int
check_own_rcpt(const struct engine_opts *o, const struct conf *c,
    const char *key, const char *what, const char *to)
{
	const struct conf_mailbox *mb = to != NULL ? conf_reads(c, to) : NULL;

	if (mb == NULL)
		return 0;
	log_sink_say(&o->log, LOG_LVL_ERR, NULL,
	    "%s: %s \"%s\" is the address of mailbox '%s', which triage "
	    "reads: %s would come back to it",
	    c->path, key, to, mb->name, what);
	return -1;
}

int
engine_check(const struct engine_opts *o, struct error *err)
{
	struct accounts *accounts = NULL;
	struct rules *rules = NULL;
	struct conf *c;
	int bad = 0;

	c = engine_load_conf(o);
	if (c == NULL)
		return error_set(err, ERR_CONF, "%s is broken", o->conf_path);
	rules = engine_load_rules(o, c);
	bad |= rules == NULL;
	bad |= engine_load_accounts(o, c, &accounts) < 0;
	bad |= check_database(o, c) < 0;
	bad |= check_own_rcpt(o, c, "sla.digest_to",
		   "the digest and the reminders", c->sla.digest_to) < 0;
	bad |= check_own_rcpt(o, c, "report.weekly_to", "the weekly report",
		   c->report.weekly_to) < 0;
	accounts_free(&accounts);
	rules_free(&rules);
	conf_free(&c);
	if (bad)
		return error_set(err, ERR_CONF,
		    "%s: the daemon would refuse it", o->conf_path);
	return 0;
}
