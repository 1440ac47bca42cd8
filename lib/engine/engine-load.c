/*
 * Build one configuration -- config, rule set, accounts -- reporting
 * every problem in each to the engine's log sink, at error priority.
 * Used at start and by reload, which swaps only what loaded clean.
 */
#include "engine-private.h"

#include "accounts.h"
#include "conf.h"
#include "rules.h"

struct conf *
engine_load_conf(const struct engine_opts *o)
{
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;

	if (conf_load(o->conf_path, &conf, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_sink_say(&o->log, LOG_LVL_ERR, NULL, "%s",
			    errs.v[i]);
	}
	conf_errors_clear(&errs);
	return conf;
}

struct rules *
engine_load_rules(const struct engine_opts *o, const struct conf *c)
{
	struct rules_problems probs = { 0 };
	struct rules_options opts = { 0 };
	struct rules_names names;
	struct rules *rs = NULL;

	rules_names_from_conf(&names, c);
	opts.names = &names;
	if (rules_load(c->rules, &opts, &rs, &probs) < 0) {
		for (size_t i = 0; i < probs.n; i++)
			log_sink_say(&o->log, LOG_LVL_ERR, NULL, "%s:%d:%d: %s",
			    probs.v[i].file, probs.v[i].line, probs.v[i].col,
			    probs.v[i].msg);
	}
	rules_problems_clear(&probs);
	return rs;
}

int
engine_load_accounts(const struct engine_opts *o, const struct conf *c,
    struct accounts **a_r)
{
	struct accounts_errors errs = { 0 };
	int r;

	*a_r = NULL;
	if (c->accounts == NULL)
		return 0;
	r = accounts_load(c->accounts, a_r, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_sink_say(&o->log, LOG_LVL_ERR, NULL, "%s", errs.v[i]);
	accounts_errors_clear(&errs);
	return r;
}
