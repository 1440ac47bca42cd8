/*
 * The triage.conf key tables: every setting once, with its type, its
 * field, its default and its checks (Dovecot settings-parser style), and
 * the loaders of the blocks (mailboxes, imap, smtp, routes, team, sla)
 * with the checks that span several keys.  conf.c walks them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf-private.h"
#include "xalloc.h"

/* Server blocks: imap (in a mailbox) and smtp ------------------------ */

static const char *const tls_names[] = { "implicit", "starttls", "none", NULL };

static void
check_env_name(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	(void)base;
	if (!conf_valid_env_name(text))
		conf_lerr(l, s,
		    "'%s' must be an environment variable name, not "
		    "\"%s\"",
		    k->name, text);
}

#define SERVER_KEYS(type, srv, user_flags) \
	{ "host", V_STR, F(type, srv.host), K_REQUIRED }, \
	    { "port", V_INT, F(type, srv.port), .min = 1, .max = 65535 }, \
	    { "user", V_STR, F(type, srv.user), user_flags }, \
	    { "password_file", V_PATH, F(type, srv.password_file), \
		    K_EMPTY_NULL }, \
	    { "password_env", V_STR, F(type, srv.password_env), K_EMPTY_NULL, \
		    .fn = check_env_name }, \
	    { "password_command", V_STR, F(type, srv.password_command), \
		    K_EMPTY_NULL | K_SECRET }, \
	    { "oauth2_token_file", V_PATH, F(type, srv.oauth2_token_file), \
		    K_EMPTY_NULL }, \
	    { "oauth2_token_command", V_STR, \
		    F(type, srv.oauth2_token_command), \
		    K_EMPTY_NULL | K_SECRET }, \
	{ \
		"ca_file", V_PATH, F(type, srv.ca_file), K_EMPTY_NULL \
	}

/*
 * Secrets are checked now, so a bad one stops the start and not the first
 * poll, but not kept: conf_server_password() reads them again for each
 * login and the caller wipes them after, so a loaded config holds none.
 */
static void
load_secrets(struct loader *l, const config_setting_t *g,
    struct conf_server *srv)
{
	const char *v;
	char why[256];

	if (srv->password_file != NULL &&
	    conf_secret_file(srv->password_file, NULL, why, sizeof(why)) < 0)
		conf_lerr(l, conf_child(g, "password_file"),
		    "password_file '%s'%s", srv->password_file, why);
	if (srv->password_env != NULL) {
		v = getenv(srv->password_env);
		if (v == NULL || *v == '\0')
			conf_lerr(l, conf_child(g, "password_env"),
			    "environment variable '%s' (password_env) is not "
			    "set",
			    srv->password_env);
	}
	/* Tokens are refreshed by others: check now, read at connect. */
	if (srv->oauth2_token_file != NULL &&
	    conf_secret_file(srv->oauth2_token_file, NULL, why, sizeof(why)) <
		0)
		conf_lerr(l, conf_child(g, "oauth2_token_file"),
		    "oauth2_token_file '%s'%s", srv->oauth2_token_file, why);
	if (srv->ca_file != NULL && access(srv->ca_file, R_OK) < 0)
		conf_lerr(l, conf_child(g, "ca_file"), "ca_file '%s': %s",
		    srv->ca_file, strerror(errno));
}

/* How imap and smtp blocks differ beyond their keys. */
struct server_kind {
	const char *what;  /* "imap", "smtp" */
	int ports[3];	   /* default port, by enum conf_tls */
	int user_required; /* if not, a credential still needs a user */
};

/* What every server block needs beyond its single keys. */
static void
check_server(struct loader *l, const config_setting_t *g,
    struct conf_server *srv, const struct server_kind *kind)
{
	const char *what = kind->what;
	int n_pass, n_token;

	srv->line = (int)config_setting_source_line(g);
	if (srv->port == 0)
		srv->port = kind->ports[srv->tls];
	if (srv->tls == CONF_TLS_NONE && srv->host != NULL &&
	    !conf_is_loopback(srv->host))
		conf_lerr(l, conf_child(g, "tls"),
		    "tls = \"none\" sends the password in clear: only "
		    "allowed for a loopback host, not '%s'",
		    srv->host);
	n_pass = (srv->password_file != NULL) + (srv->password_env != NULL) +
		 (srv->password_command != NULL);
	n_token = (srv->oauth2_token_file != NULL) +
		  (srv->oauth2_token_command != NULL);
	if (n_pass + n_token > 1)
		conf_lerr(l, g,
		    "%s block: set only one of password_file, "
		    "password_env, password_command, oauth2_token_file and "
		    "oauth2_token_command",
		    what);
	else if (n_pass + n_token == 0 && srv->user != NULL)
		conf_lerr(l, g,
		    "%s block: user '%s' needs a password_file, "
		    "password_env, password_command, oauth2_token_file or "
		    "oauth2_token_command",
		    what, srv->user);
	else if (n_pass + n_token == 1 && srv->user == NULL &&
		 !kind->user_required)
		conf_lerr(l, g, "%s block: a password or token needs a 'user'",
		    what);
	if ((l->flags & CONF_LOAD_NO_SECRETS) == 0)
		load_secrets(l, g, srv);
}

static void
post_imap(struct loader *l, const config_setting_t *g, void *base)
{
	static const struct server_kind imap = { "imap", { 993, 143, 143 }, 1 };
	struct conf_mailbox *mb = base;

	check_server(l, g, &mb->imap, &imap);
}

static void
post_smtp(struct loader *l, const config_setting_t *g, void *base)
{
	static const struct server_kind smtp = { "smtp", { 465, 587, 25 }, 0 };
	struct conf *c = base;

	check_server(l, g, &c->smtp, &smtp);
}

static const struct key imap_keys[] = {
	SERVER_KEYS(struct conf_mailbox, imap, K_REQUIRED),
	{ "tls", V_ENUM, F(struct conf_mailbox, imap.tls), .def = "implicit",
	    .choices = tls_names },
	{ "folder", V_STR, F(struct conf_mailbox, folder), .def = "INBOX" },
};
static const struct table imap_table =
    TABLE(" in imap block", imap_keys, post_imap);

static void
check_from(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	(void)base;
	if (!conf_valid_from(text))
		conf_lerr(l, s,
		    "'%s' must be an address or \"Name "
		    "<address>\", not \"%s\"",
		    k->name, text);
}

static const struct key smtp_keys[] = {
	SERVER_KEYS(struct conf, smtp, 0),
	{ "tls", V_ENUM, F(struct conf, smtp.tls), .def = "starttls",
	    .choices = tls_names },
	{ "from", V_STR, F(struct conf, smtp_from), K_REQUIRED,
	    .fn = check_from },
	{ "first_retry", V_DURATION, F(struct conf, smtp_first_retry),
	    .def = "1m", .min = 1, .max = 86400 },
};
static const struct table smtp_table =
    TABLE(" in smtp block", smtp_keys, post_smtp);

/* Mailboxes ----------------------------------------------------------- */

static void
load_imap(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	(void)k;
	(void)text;
	if (conf_want_group(l, s, "'imap'"))
		conf_load_group(l, &imap_table, s, base);
}

/* after = "flag" | "none" | "move:FOLDER" */
static void
load_after(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf_mailbox *mb = base;

	(void)k;
	free(mb->after_folder);
	mb->after_folder = NULL;
	if (strcmp(text, "flag") == 0) {
		mb->after = CONF_AFTER_FLAG;
	} else if (strcmp(text, "none") == 0) {
		mb->after = CONF_AFTER_NONE;
	} else if (strncmp(text, "move:", 5) == 0 && text[5] != '\0') {
		mb->after = CONF_AFTER_MOVE;
		mb->after_folder = xstrdup(text + 5);
	} else {
		conf_lerr(l, s,
		    "'after' must be \"flag\", \"none\" or "
		    "\"move:FOLDER\", not \"%s\"",
		    text);
	}
}

static void
post_mailbox(struct loader *l, const config_setting_t *g, void *base)
{
	struct conf_mailbox *mb = base;

	(void)l;
	mb->line = (int)config_setting_source_line(g);
	if (mb->queue == NULL && mb->name != NULL)
		mb->queue = xstrdup(mb->name);
}

static const struct key mailbox_keys[] = {
	{ "name", V_NAME, F(struct conf_mailbox, name), K_REQUIRED },
	{ "address", V_ADDR, F(struct conf_mailbox, address), K_REQUIRED },
	{ "queue", V_NAME, F(struct conf_mailbox, queue) },
	{ "imap", V_BLOCK, .flags = K_REQUIRED, .fn = load_imap },
	{ "after", V_CUSTOM, .def = "flag", .fn = load_after },
};
static const struct table mailbox_table =
    TABLE(" in mailbox", mailbox_keys, post_mailbox);

static const config_setting_t *
name_setting(const config_setting_t *elem)
{
	return conf_child(elem, "name");
}

static void
load_mailboxes(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;
	const config_setting_t *e;
	unsigned n;

	(void)k;
	(void)text;
	if (!conf_want_list(l, s, "'mailboxes'"))
		return;
	n = (unsigned)config_setting_length(s);
	if (n == 0) {
		conf_lerr(l, s, "'mailboxes' is empty: configure at least one");
		return;
	}
	c->mailboxes = xcalloc(n, sizeof(*c->mailboxes));
	c->n_mailboxes = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (conf_want_group(l, e, "a mailbox"))
			conf_load_group(l, &mailbox_table, e, &c->mailboxes[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			const struct conf_mailbox *a = &c->mailboxes[j];
			const struct conf_mailbox *b = &c->mailboxes[i];

			if (a->name == NULL || b->name == NULL ||
			    strcmp(a->name, b->name) != 0)
				continue;
			conf_lerr(l,
			    name_setting(config_setting_get_elem(s, i)),
			    "duplicate mailbox name '%s' (first at line %d)",
			    b->name, a->line);
			break;
		}
	}
}

/* Routes -------------------------------------------------------------- */

static const char *const style_names[] = { "attach", "redirect", NULL };

static const struct key route_keys[] = {
	{ "to", V_ADDR, F(struct conf_route, to), K_REQUIRED },
	{ "style", V_ENUM, F(struct conf_route, style), .def = "attach",
	    .choices = style_names },
	{ "reply_to", V_ADDR, F(struct conf_route, reply_to), K_EMPTY_NULL },
};
/*
 * A redirect re-sends the customer's message as it is, its Reply-To
 * included: a reply_to there would silently do nothing, so it is an
 * error (README "Forwarding").
 */
static void
post_route(struct loader *l, const config_setting_t *g, void *base)
{
	struct conf_route *r = base;

	if (r->style == CONF_ROUTE_REDIRECT && r->reply_to != NULL)
		conf_lerr(l, g,
		    "reply_to has no effect with style = \"redirect\", "
		    "which keeps the customer's own Reply-To: remove it or "
		    "use style = \"attach\"");
}

static const struct table route_table =
    TABLE(" in route", route_keys, post_route);

/* routes = { NAME = "address"; NAME = { to = ...; style = ...; }; } */
static void
load_routes(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;
	const config_setting_t *e;
	struct conf_route *r;
	struct key to;
	unsigned n;

	(void)k;
	(void)text;
	if (!conf_want_group(l, s, "'routes'"))
		return;
	n = (unsigned)config_setting_length(s);
	c->routes = xcalloc(n, sizeof(*c->routes));
	c->n_routes = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		r = &c->routes[i];
		r->name = xstrdup(config_setting_name(e));
		r->line = (int)config_setting_source_line(e);
		if (!conf_valid_name(r->name))
			conf_lerr(l, e,
			    "route name '%s' must be letters, "
			    "digits, '.', '-' and '_'",
			    r->name);
		/* libconfig allows Sales and sales; routing ignores case. */
		for (unsigned j = 0; j < i; j++) {
			if (strcasecmp(c->routes[j].name, r->name) == 0)
				conf_lerr(l, e,
				    "duplicate route '%s' (first "
				    "at line %d)",
				    r->name, c->routes[j].line);
		}
		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			/* The string form: name the route in messages. */
			to = route_keys[0];
			to.name = r->name;
			conf_apply_defaults(l, &route_table, r);
			conf_load_text(l, &to, e, config_setting_get_string(e),
			    r);
		} else if (config_setting_is_group(e)) {
			conf_load_group(l, &route_table, e, r);
		} else {
			conf_lerr(l, e,
			    "route '%s' must be an address or a "
			    "group { to = ...; style = ...; }, not %s",
			    r->name, conf_type_name(config_setting_type(e)));
		}
	}
}

/* Team ---------------------------------------------------------------- */

static const char *const role_names[] = { "bdr", "manager", "sales", "support",
	NULL };

static void
post_member(struct loader *l, const config_setting_t *g, void *base)
{
	struct conf_member *m = base;

	(void)l;
	m->line = (int)config_setting_source_line(g);
	if (m->unix_user == NULL && m->name != NULL)
		m->unix_user = xstrdup(m->name);
}

static const struct key member_keys[] = {
	{ "name", V_NAME, F(struct conf_member, name), K_REQUIRED },
	{ "address", V_ADDR, F(struct conf_member, address), K_REQUIRED },
	{ "role", V_STR, F(struct conf_member, role), K_REQUIRED,
	    .choices = role_names },
	{ "unix_user", V_NAME, F(struct conf_member, unix_user), K_EMPTY_NULL },
	{ "route", V_NAME, F(struct conf_member, route), K_EMPTY_NULL },
};
static const struct table member_table =
    TABLE(" in team member", member_keys, post_member);

static void
load_team(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;
	const config_setting_t *e;
	unsigned n;

	(void)k;
	(void)text;
	if (!conf_want_list(l, s, "'team'"))
		return;
	n = (unsigned)config_setting_length(s);
	c->team = xcalloc(n, sizeof(*c->team));
	c->n_team = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (conf_want_group(l, e, "a team member"))
			conf_load_group(l, &member_table, e, &c->team[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct conf_member *b = &c->team[i];

		for (unsigned j = 0; j < i; j++) {
			const struct conf_member *a = &c->team[j];

			e = config_setting_get_elem(s, i);
			if (a->name != NULL && b->name != NULL &&
			    strcmp(a->name, b->name) == 0)
				conf_lerr(l, name_setting(e),
				    "duplicate team "
				    "member '%s' (first at line %d)",
				    b->name, a->line);
			if (a->address != NULL && b->address != NULL &&
			    strcmp(a->address, b->address) == 0)
				conf_lerr(l, conf_child(e, "address"),
				    "duplicate team address '%s' (first at "
				    "line %d)",
				    b->address, a->line);
		}
	}
}

/* SLA ----------------------------------------------------------------- */

static void
check_hhmm(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	(void)base;
	if (!conf_valid_hhmm(text))
		conf_lerr(l, s, "'%s' must be a time HH:MM, not \"%s\"",
		    k->name, text);
}

static void
check_hours(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char why[256];

	(void)base;
	if (!conf_valid_hours(text, why, sizeof(why)))
		conf_lerr(l, s, "'%s' %s", k->name, why);
}

static const struct key sla_keys[] = {
	{ "claim", V_DURATION, F(struct conf_sla, claim), .def = "0" },
	{ "acknowledge", V_DURATION, F(struct conf_sla, acknowledge),
	    .def = "0" },
	{ "digest_to", V_ADDR, F(struct conf_sla, digest_to), K_EMPTY_NULL },
	{ "digest_at", V_STR, F(struct conf_sla, digest_at), .def = "08:00",
	    .fn = check_hhmm },
	{ "hours", V_STR, F(struct conf_sla, hours), K_EMPTY_NULL,
	    .fn = check_hours },
	{ "check_interval", V_DURATION, F(struct conf_sla, check_interval),
	    .def = "1m", .min = 1, .max = 3600 },
};
static const struct table sla_table = TABLE(" in sla", sla_keys, NULL);

static void
load_sla(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	(void)text;
	if (conf_want_group(l, s, "'sla'"))
		conf_load_group(l, &sla_table, s, &c->sla);
}

/* The weekly report ------------------------------------------------- */

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

/* Append one address of weekly_to, checked and lowercased. */
static void
add_weekly_to(struct loader *l, const config_setting_t *s, const char *text,
    struct conf_report *rep)
{
	char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    !conf_valid_address(text)) {
		conf_lerr(l, s,
		    "'weekly_to' must be an address or a list of them, "
		    "not %s \"%s\"",
		    conf_type_name(config_setting_type(s)), text);
		return;
	}
	if (rep->weekly_to == NULL)
		v = xstrdup(text);
	else
		xasprintf(&v, "%s, %s", rep->weekly_to, text);
	for (char *p = v; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	free(rep->weekly_to);
	rep->weekly_to = v;
}

/* weekly_to = "a@x" or ("a@x", "b@y"): one ", "-joined list. */
static void
load_weekly_to(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf_report *rep = base;
	const config_setting_t *e;
	const char *v;

	(void)k;
	(void)text;
	free(rep->weekly_to);
	rep->weekly_to = NULL;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		/* "a@x, b@y" too: what `triage config show` prints */
		for (v = config_setting_get_string(s); *v != '\0';) {
			size_t n = strcspn(v, ",");
			char *one = xstrndup(v, n);
			char *a = one + strspn(one, " \t");

			a[strcspn(a, " \t")] = '\0';
			add_weekly_to(l, s, a, rep);
			free(one);
			v += n + (v[n] == ',');
		}
		return;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_lerr(l, s,
		    "'weekly_to' must be an address or a list of "
		    "them, not %s",
		    conf_type_name(config_setting_type(s)));
		return;
	}
	for (unsigned i = 0; i < (unsigned)config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		v = config_setting_get_string(e);
		add_weekly_to(l, e, v != NULL ? v : "", rep);
	}
}

static const struct key report_keys[] = {
	{ "weekly_to", V_BLOCK, .fn = load_weekly_to },
	{ "day", V_ENUM, F(struct conf_report, day), .def = "mon",
	    .choices = day_names },
	{ "at", V_STR, F(struct conf_report, at), .def = "07:00",
	    .fn = check_hhmm },
};
static const struct table report_table = TABLE(" in report", report_keys, NULL);

static void
load_report(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	(void)text;
	if (conf_want_group(l, s, "'report'"))
		conf_load_group(l, &report_table, s, &c->report);
}

/* assign ---------------------------------------------------------------- */

/* A list or array of strings into a new vector; 0 and a message if not. */
static int
load_names(struct loader *l, const config_setting_t *g, const char *name,
    char ***v_r, size_t *n_r)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	const char *text, *cur, *a;
	size_t n, len;

	if (s != NULL && config_setting_type(s) == CONFIG_TYPE_STRING) {
		/* "a, b" too: what `triage config show` prints */
		cur = config_setting_get_string(s);
		*v_r = NULL;
		for (n = 0; (a = conf_list_next(&cur, &len)) != NULL; n++) {
			*v_r = xreallocarray(*v_r, n + 2, sizeof(**v_r));
			(*v_r)[n] = xstrndup(a, len);
			(*v_r)[n + 1] = NULL;
			if (!conf_valid_name((*v_r)[n]))
				conf_lerr(l, s,
				    "'%s' in assign: element %zu is not a "
				    "name",
				    name, n + 1);
		}
		*n_r = n;
		if (n == 0)
			conf_lerr(l, s, "'%s' in assign is empty", name);
		return n > 0;
	}
	if (s == NULL ||
	    (!config_setting_is_array(s) && !config_setting_is_list(s))) {
		conf_lerr(l, s != NULL ? s : g,
		    "'%s' in assign must be a list of names: (\"a\", \"b\")",
		    name);
		return 0;
	}
	n = (size_t)config_setting_length(s);
	*v_r = xcalloc(n + 1, sizeof(**v_r));
	*n_r = n;
	for (size_t i = 0; i < n; i++) {
		text = config_setting_get_string_elem(s, (int)i);
		if (text == NULL || !conf_valid_name(text)) {
			conf_lerr(l, s,
			    "'%s' in assign: element %zu is not a name", name,
			    i + 1);
			text = "?";
		}
		(*v_r)[i] = xstrdup(text);
	}
	if (n == 0)
		conf_lerr(l, s, "'%s' in assign is empty", name);
	return n > 0;
}

static void
load_assign(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;
	const char *mode = "round-robin";

	(void)k;
	(void)text;
	if (!conf_want_group(l, s, "'assign'"))
		return;
	c->assign.line = config_setting_source_line(s);
	config_setting_lookup_string(s, "mode", &mode);
	if (strcmp(mode, "least-open") == 0)
		c->assign.mode = CONF_ASSIGN_LEAST_OPEN;
	else if (strcmp(mode, "round-robin") == 0)
		c->assign.mode = CONF_ASSIGN_ROUND_ROBIN;
	else
		conf_lerr(l, conf_child(s, "mode"),
		    "'mode' in assign must be \"round-robin\" or "
		    "\"least-open\", not \"%s\"",
		    mode);
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *n = config_setting_name(e);

		if (n != NULL && strcmp(n, "queues") != 0 &&
		    strcmp(n, "mode") != 0 && strcmp(n, "members") != 0)
			conf_lerr(l, e,
			    "unknown setting '%s' in assign (queues, mode, "
			    "members)",
			    n);
	}
	load_names(l, s, "queues", &c->assign.queues, &c->assign.n_queues);
	load_names(l, s, "members", &c->assign.members, &c->assign.n_members);
}

/* Assignment never hands a ticket to someone outside `team`. */
static void
check_assign(struct loader *l, const struct conf *c)
{
	const config_setting_t *g =
	    config_setting_get_member(l->root, "assign");
	const struct conf_member *m;

	for (size_t i = 0; g != NULL && i < c->assign.n_members; i++) {
		m = conf_member_by_name(c, c->assign.members[i]);
		if (m == NULL)
			conf_lerr(l, conf_child(g, "members"),
			    "assign: member '%s' is not in team",
			    c->assign.members[i]);
		else if (strcmp(m->role, "bdr") != 0 &&
			 strcmp(m->role, "manager") != 0)
			conf_lerr(l, conf_child(g, "members"),
			    "assign: member '%s' is %s, not a bdr or manager",
			    m->name, m->role);
	}
	for (size_t i = 0; g != NULL && i < c->assign.n_queues; i++) {
		if (!conf_has_queue(c, c->assign.queues[i]))
			conf_lerr(l, conf_child(g, "queues"),
			    "assign: unknown queue '%s'", c->assign.queues[i]);
	}
}

/* The top level ------------------------------------------------------- */

/* timezone: a zone of the tz database, as the hours' ZONE is checked. */
static void
check_timezone(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char spec[256], why[256];

	(void)base;
	snprintf(spec, sizeof(spec), "Mon 09:00-18:00 %s", text);
	if (strchr(text, ' ') != NULL ||
	    !conf_valid_hours(spec, why, sizeof(why)))
		conf_lerr(l, s,
		    "'%s' must be a time zone such as \"Europe/Berlin\", "
		    "not \"%s\"",
		    k->name, text);
}

/*
 * ticket_url: an http(s) URL with "{id}" once, printable ASCII without
 * blanks, quotes or angle brackets (it goes into mail text and HTML).
 */
static void
check_ticket_url(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base)
{
	const char *id = strstr(text, "{id}");
	int ok = strncmp(text, "https://", 8) == 0 ||
		 strncmp(text, "http://", 7) == 0;

	(void)base;
	for (const char *p = text; ok && *p != '\0'; p++)
		ok = *p > ' ' && *p < 0x7f && strchr("\"'<>\\`", *p) == NULL;
	if (!ok || id == NULL || strstr(id + 4, "{id}") != NULL)
		conf_lerr(l, s,
		    "'%s' must be an http:// or https:// URL with {id} once "
		    "(\"https://crm.example.com/t/{id}\"), not \"%s\"",
		    k->name, text);
}

static void
load_smtp(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	(void)text;
	if (!conf_want_group(l, s, "'smtp'"))
		return;
	c->has_smtp = 1;
	conf_load_group(l, &smtp_table, s, c);
}

static void
check_route_refs(struct loader *l, const struct conf *c)
{
	const config_setting_t *team, *e, *rs;
	const char *names[256], *near;
	size_t n = c->n_routes < 256 ? c->n_routes : 256;

	team = config_setting_get_member(l->root, "team");
	if (team == NULL || !config_setting_is_list(team))
		return;
	for (size_t i = 0; i < n; i++)
		names[i] = c->routes[i].name;
	for (size_t i = 0; i < c->n_team; i++) {
		const struct conf_member *m = &c->team[i];

		if (m->route == NULL || conf_route(c, m->route) != NULL)
			continue;
		e = config_setting_get_elem(team, (unsigned)i);
		rs = conf_child(e, "route");
		near = conf_closest(m->route, names, n);
		if (near != NULL)
			conf_lerr(l, rs,
			    "team member '%s': unknown route '%s' "
			    "(did you mean '%s'?)",
			    m->name, m->route, near);
		else
			conf_lerr(l, rs, "team member '%s': unknown route '%s'",
			    m->name, m->route);
	}
}

/* log_level = "error" | "warning" | "info" | "debug" */
static void
load_log_level(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	if (log_level_parse(text, &c->log_level) < 0)
		conf_lerr(l, s,
		    "'log_level' must be \"error\", \"warning\", "
		    "\"info\" or \"debug\", not \"%s\"",
		    text);
}

/*
 * The database's password_file is checked now, as a server's is
 * (load_secrets), so `triaged --check` finds a loose or missing one; the
 * store reads it again at each connection.
 */
static void
check_db_password_file(struct loader *l, const config_setting_t *root,
    const struct conf *c)
{
	char why[256];

	if (c->db_password_file == NULL || (l->flags & CONF_LOAD_NO_SECRETS))
		return;
	if (conf_secret_file(c->db_password_file, NULL, why, sizeof(why)) < 0)
		conf_lerr(l, conf_child(root, "password_file"),
		    "password_file '%s'%s", c->db_password_file, why);
}

static void
post_top(struct loader *l, const config_setting_t *root, void *base)
{
	struct conf *c = base;

	if (config_setting_get_member(root, "sla") == NULL)
		conf_apply_defaults(l, &sla_table, &c->sla);
	if (config_setting_get_member(root, "report") == NULL)
		conf_apply_defaults(l, &report_table, &c->report);
	check_route_refs(l, c);
	check_assign(l, c);
	check_db_password_file(l, root, c);
}

static const struct key top_keys[] = {
	{ "database", V_PATH, F(struct conf, database), K_DATABASE,
	    .def = TRIAGE_LOCALSTATEDIR "/lib/triage/triage.db" },
	{ "password_file", V_PATH, F(struct conf, db_password_file),
	    K_EMPTY_NULL },
	{ "rules", V_PATH, F(struct conf, rules),
	    .def = TRIAGE_SYSCONFDIR "/triage/rules.d" },
	{ "accounts", V_PATH, F(struct conf, accounts), K_EMPTY_NULL },
	{ "poll_interval", V_DURATION, F(struct conf, poll_interval),
	    .def = "60", .min = 1, .max = 86400 },
	{ "max_message_size", V_SIZE, F(struct conf, max_message_size),
	    .def = "50M", .min = 1024, .max = 1024LL * 1024 * 1024 },
	{ "lease_seconds", V_DURATION, F(struct conf, lease_seconds),
	    .def = "15", .min = 2, .max = 3600 },
	{ "mailboxes", V_BLOCK, .flags = K_REQUIRED, .fn = load_mailboxes },
	{ "smtp", V_BLOCK, .fn = load_smtp },
	{ "routes", V_BLOCK, .fn = load_routes },
	{ "team", V_BLOCK, .fn = load_team },
	/* "" is an error, not "off": leave the key out for off. */
	{ "trust_authentication_results", V_STR,
	    F(struct conf, trust_authentication_results) },
	{ "log_level", V_CUSTOM, .def = "info", .fn = load_log_level },
	{ "sla", V_BLOCK, .fn = load_sla },
	{ "ticket_url", V_STR, F(struct conf, ticket_url), K_EMPTY_NULL,
	    .fn = check_ticket_url },
	{ "timezone", V_STR, F(struct conf, timezone), K_EMPTY_NULL,
	    .fn = check_timezone },
	{ "report", V_BLOCK, .fn = load_report },
	{ "webhooks", V_BLOCK, .fn = conf_load_webhooks },
	{ "assign", V_BLOCK, .fn = load_assign },
};
const struct table conf_top_table = TABLE("", top_keys, post_top);

/* The blocks' tables, for conf-show.c. */
const struct conf_blocks conf_blocks = { &imap_table, &smtp_table,
	&mailbox_table, &route_table, &member_table, &sla_table,
	&report_table };
