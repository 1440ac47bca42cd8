/*
 * SIGHUP: build a complete new config, rule set and accounts; only if
 * all load clean, stop the threads (each worker finishes its batch),
 * swap, start them again.  A broken new set is refused and the running
 * one stays (STYLE.md 4: parse, validate everything, then swap).
 */
#include "engine-private.h"

#include <string.h>

#include "accounts.h"
#include "conf.h"
#include "ingest.h"
#include "rules.h"

/* The new set, complete, or NULL members with the refusal logged. */
static int
build(struct engine *e, struct conf **conf_r, struct rules **rules_r,
    struct accounts **accounts_r)
{
	const struct log_sink *log = &e->opts.log;

	*conf_r = engine_load_conf(&e->opts);
	if (*conf_r == NULL) {
		log_sink_say(log, LOG_LVL_WARN, NULL,
		    "reload refused: %s is "
		    "broken; keeping the running configuration and rules",
		    e->opts.conf_path);
		return -1;
	}
	*rules_r = engine_load_rules(&e->opts, *conf_r);
	if (*rules_r == NULL) {
		log_sink_say(log, LOG_LVL_WARN, NULL,
		    "reload refused: the rules "
		    "in %s are broken; keeping the running configuration and "
		    "rules",
		    (*conf_r)->rules);
		return -1;
	}
	if (engine_load_accounts(&e->opts, *conf_r, accounts_r) < 0) {
		log_sink_say(log, LOG_LVL_WARN, NULL,
		    "reload refused: %s is "
		    "broken; keeping the running configuration",
		    (*conf_r)->accounts);
		return -1;
	}
	return 0;
}

int
engine_reload(struct engine *e)
{
	struct accounts *accounts = NULL;
	struct rules *rules = NULL;
	struct conf *conf = NULL;

	log_sink_say(&e->opts.log, LOG_LVL_NOTICE, NULL, "SIGHUP: reloading %s",
	    e->opts.conf_path);
	if (build(e, &conf, &rules, &accounts) < 0) {
		rules_free(&rules);
		conf_free(&conf);
		return 0;
	}
	if (strcmp(conf->database, e->conf->database) != 0)
		log_sink_say(&e->opts.log, LOG_LVL_WARN, NULL,
		    "reload: database "
		    "path changed to \"%s\": that needs a restart; still using "
		    "\"%s\"",
		    conf->database, e->conf->database);
	engine_run_stop(e);
	if (e->st != NULL) /* shared: NULL until the committer reopens */
		ingest_store_setup(e->st, conf, accounts);
	conf_free(&e->conf);
	rules_free(&e->rules);
	accounts_free(&e->accounts);
	e->conf = conf;
	e->rules = rules;
	e->accounts = accounts;
	log_set_level(conf->log_level);
	if (engine_run_start(e) < 0)
		return -1;
	log_sink_say(&e->opts.log, LOG_LVL_NOTICE, NULL,
	    "reloaded: %zu "
	    "mailbox%s, %zu rules",
	    conf->n_mailboxes, conf->n_mailboxes == 1 ? "" : "es",
	    rules_count(rules));
	return 0;
}
