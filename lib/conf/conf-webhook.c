/*
 * webhooks = ( { url = ...; events = (...); secret_file = ...; } ): the
 * key table of one hook, its checks (https, or http:// to a loopback
 * host only, as tls = "none" is for IMAP), and the lookups the store and
 * the sender use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf-private.h"
#include "xalloc.h"

#define MAX_EVENTS 64

/* The names people say for the kinds events.kind records. */
static const char *const aliases[][2] = {
	{ "qualified", "qualify" },
	{ "disqualified", "disqualify" },
	{ "routed", "route" },
	{ "claimed", "claim" },
	{ "closed", "close" },
	{ "reopened", "reopen" },
	{ "acknowledged", "ack" },
	{ "created", "create" },
	{ "tagged", "tag" },
	{ "noted", "note" },
};

static const char *
event_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcasecmp(name, aliases[i][0]) == 0)
			return aliases[i][1];
	}
	return name;
}

static int
valid_event(const char *s)
{
	return strcmp(s, "*") == 0 || conf_valid_name(s);
}

static void
add_event(struct loader *l, const config_setting_t *s, struct conf_webhook *w,
    const char *name)
{
	if (!valid_event(name)) {
		conf_lerr(l, s,
		    "webhook event \"%s\" must be an event kind "
		    "(\"qualified\", \"route\", \"story\" ...) or \"*\"",
		    name);
		return;
	}
	if (w->n_events == MAX_EVENTS) {
		conf_lerr(l, s, "a webhook takes at most %d events",
		    MAX_EVENTS);
		return;
	}
	w->events =
	    xreallocarray(w->events, w->n_events + 1, sizeof(*w->events));
	w->events[w->n_events++] = xstrdup(event_kind(name));
}

/* events = ("qualified", "route"), or one string "qualify, route". */
static void
load_events(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf_webhook *w = base;
	const char *v;
	int given = 0;

	(void)k;
	(void)text;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		char *copy = xstrdup(config_setting_get_string(s)),
		     *save = NULL;

		for (char *t = strtok_r(copy, ", \t", &save); t != NULL;
		     t = strtok_r(NULL, ", \t", &save)) {
			add_event(l, s, w, t);
			given++;
		}
		free(copy);
		if (given == 0)
			conf_lerr(l, s, "a webhook needs at least one event");
		return;
	}
	if (!config_setting_is_aggregate(s)) {
		conf_lerr(l, s, "'events' must be a list of event kinds");
		return;
	}
	if (config_setting_length(s) == 0)
		conf_lerr(l, s, "a webhook needs at least one event");
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e =
		    config_setting_get_elem(s, (unsigned)i);

		v = config_setting_get_string(e);
		if (v == NULL)
			conf_lerr(l, e, "'events' must hold strings, not %s",
			    conf_type_name(config_setting_type(e)));
		else
			add_event(l, e, w, v);
	}
}

/*
 * The host of an http(s) URL into host[size]: "crm.example.com",
 * "127.0.0.1", "[::1]".  Returns 0, or -1 when there is none.
 */
static int
url_host(const char *url, char *host, size_t size)
{
	const char *p = strstr(url, "://"), *end;
	size_t n;

	if (p == NULL)
		return -1;
	p += 3;
	if (strchr(p, '@') != NULL && strchr(p, '@') < p + strcspn(p, "/?#"))
		p = strchr(p, '@') + 1; /* userinfo: refused below */
	if (*p == '[')
		end = strchr(p, ']') != NULL ? strchr(p, ']') + 1 : NULL;
	else
		end = p + strcspn(p, ":/?#");
	if (end == NULL || end == p)
		return -1;
	n = (size_t)(end - p);
	if (n >= size)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

static void
check_url(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char host[256];
	int https = strncasecmp(text, "https://", 8) == 0;
	int http = strncasecmp(text, "http://", 7) == 0;
	int ok = https || http;

	(void)k;
	(void)base;
	for (const char *p = text; ok && *p != '\0'; p++)
		ok = *p > ' ' && *p < 0x7f && strchr("\"'<>\\`", *p) == NULL;
	if (!ok || url_host(text, host, sizeof(host)) < 0 ||
	    strchr(text + 8, '@') != NULL) {
		conf_lerr(l, s,
		    "webhook 'url' must be an https:// URL without user or "
		    "password (\"https://crm.example.com/hooks/triage\"), "
		    "not \"%s\"",
		    text);
		return;
	}
	if (http && !conf_is_loopback(host))
		conf_lerr(l, s,
		    "webhook url \"%s\": plain http:// sends the signed "
		    "lead in clear: only allowed to a loopback host, not "
		    "'%s'; use https://",
		    text, host);
}

static void
post_webhook(struct loader *l, const config_setting_t *g, void *base)
{
	struct conf_webhook *w = base;
	char why[256];

	w->line = (int)config_setting_source_line(g);
	if ((l->flags & CONF_LOAD_NO_SECRETS) != 0)
		return;
	if (w->secret_file != NULL &&
	    conf_secret_file(w->secret_file, NULL, why, sizeof(why)) < 0)
		conf_lerr(l, conf_child(g, "secret_file"), "secret_file '%s'%s",
		    w->secret_file, why);
	if (w->ca_file != NULL && access(w->ca_file, R_OK) < 0)
		conf_lerr(l, conf_child(g, "ca_file"), "ca_file '%s': %s",
		    w->ca_file, strerror(errno));
}

static const struct key webhook_keys[] = {
	{ "url", V_STR, F(struct conf_webhook, url), K_REQUIRED,
	    .fn = check_url },
	{ "events", V_BLOCK, .flags = K_REQUIRED, .fn = load_events },
	{ "secret_file", V_PATH, F(struct conf_webhook, secret_file),
	    K_REQUIRED },
	{ "ca_file", V_PATH, F(struct conf_webhook, ca_file), K_EMPTY_NULL },
	{ "timeout", V_DURATION, F(struct conf_webhook, timeout), .def = "30",
	    .min = 1, .max = 600 },
	{ "first_retry", V_DURATION, F(struct conf_webhook, first_retry),
	    .def = "60", .min = 1, .max = 86400 },
};
const struct table conf_webhook_table =
    TABLE(" in webhook", webhook_keys, post_webhook);

void
conf_load_webhooks(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base)
{
	struct conf *c = base;
	const config_setting_t *e;
	unsigned n;

	(void)k;
	(void)text;
	if (!conf_want_list(l, s, "'webhooks'"))
		return;
	n = (unsigned)config_setting_length(s);
	c->webhooks = xcalloc(n, sizeof(*c->webhooks));
	c->n_webhooks = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (conf_want_group(l, e, "a webhook"))
			conf_load_group(l, &conf_webhook_table, e,
			    &c->webhooks[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (c->webhooks[i].url != NULL &&
			    c->webhooks[j].url != NULL &&
			    strcmp(c->webhooks[i].url, c->webhooks[j].url) == 0)
				conf_lerr(l, config_setting_get_elem(s, i),
				    "duplicate webhook url '%s' (first at line "
				    "%d)",
				    c->webhooks[i].url, c->webhooks[j].line);
		}
	}
}

int
conf_webhook_wants(const struct conf_webhook *w, const char *kind)
{
	for (size_t i = 0; i < w->n_events; i++) {
		if (strcmp(w->events[i], "*") == 0 ||
		    strcmp(w->events[i], kind) == 0)
			return 1;
	}
	return 0;
}

const struct conf_webhook *
conf_webhook_by_url(const struct conf *c, const char *url)
{
	for (size_t i = 0; i < c->n_webhooks; i++) {
		if (strcmp(c->webhooks[i].url, url) == 0)
			return &c->webhooks[i];
	}
	return NULL;
}

int
conf_webhook_secret(const struct conf_webhook *w, char **secret_r,
    struct error *err)
{
	char why[256];

	if (conf_secret_file(w->secret_file, secret_r, why, sizeof(why)) < 0)
		return error_set(err, ERR_CONF, "secret_file '%s'%s",
		    w->secret_file, why);
	return 0;
}
