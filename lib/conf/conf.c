/*
 * triage.conf: libconfig in, one validated struct conf out; see conf.h.
 * This file is the walker; conf-keys.c holds the key tables and
 * conf-load.c runs the walker over the top-level one.
 *
 * Every setting is described once, in the key tables (Dovecot
 * settings-parser style): its name, its type, where it goes, its default
 * and any extra check.  One walker applies the defaults, stores each value
 * it meets, names unknown keys (with the closest known one) and missing
 * required ones.  Each block's `post` function then does the checks that
 * span several keys.  Errors never stop the walk (isync config.c): every
 * problem in the file is reported, each as "FILE:LINE: message".
 */
#include "conf.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf-private.h"
#include "xalloc.h"

/* Errors ------------------------------------------------------------- */

static void
add_error(struct conf_errors *errs, const char *file, unsigned line,
    const char *msg)
{
	char *e;

	if (line > 0)
		xasprintf(&e, "%s:%u: %s", file, line, msg);
	else
		xasprintf(&e, "%s: %s", file, msg);
	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof(*errs->v));
	errs->v[errs->n++] = e;
}

/*
 * An error in `file` (NULL: the main file).  libconfig names an
 * @include'd file as written, relative to the include dir (ours: the
 * config's directory): make it a path the reader can open.
 */
static void
add_error_in(struct loader *l, const char *file, unsigned line, const char *msg)
{
	char *path = NULL;

	if (file == NULL || strcmp(file, l->path) == 0)
		file = l->path;
	else if (file[0] != '/' && l->dir != NULL)
		xasprintf(&path, "%s/%s", l->dir, file);
	add_error(l->errs, path != NULL ? path : file, line, msg);
	free(path);
}

/*
 * Report a problem at setting `s`.  A missing top-level setting has no
 * line of its own (the root is line 0): it is reported at line 1.
 */
void
conf_lerr(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	const char *file;
	unsigned line = 1;
	char msg[1024];
	va_list ap;

	assert(s != NULL); /* defaults are ours: they never fail */
	file = config_setting_source_file(s);
	if (config_setting_source_line(s) > 0)
		line = config_setting_source_line(s);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_error_in(l, file, line, msg);
}

void
conf_errors_clear(struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* Edit distance, for "did you mean"; names longer than 63 never match. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub =
			    prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			cur[j] = cur[j] < ins ? cur[j] : ins;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* The known name closest to `name`, if it is close enough to be a typo. */
const char *
conf_closest(const char *name, const char *const *names, size_t n)
{
	size_t best_d = 3, d;
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		d = distance(name, names[i]);
		if (d < best_d && d < strlen(names[i])) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

static const char *
wanted(enum vtype type)
{
	switch (type) {
	case V_INT:
		return "an integer";
	case V_DURATION:
		return "a duration (seconds, or a string like \"4h\")";
	case V_SIZE:
		return "a size (bytes, or a string like \"50M\")";
	default:
		return "a string";
	}
}

/* Storing values ----------------------------------------------------- */

static void *
field(const struct key *k, void *base)
{
	return (char *)base + k->off;
}

static void
set_str(const struct key *k, void *base, char *v)
{
	char **p = field(k, base);

	assert(k->size == sizeof(char *));
	free(*p);
	*p = v;
}

static void
set_num(const struct key *k, void *base, long long v)
{
	if (k->size == sizeof(int)) {
		int i = (int)v;

		memcpy(field(k, base), &i, sizeof(i));
	} else {
		int64_t i = v;

		assert(k->size == sizeof(int64_t));
		memcpy(field(k, base), &i, sizeof(i));
	}
}

/* s is NULL for a default: those are ours and in range. */
static void
store_number(struct loader *l, const struct key *k, const config_setting_t *s,
    long long v, void *base)
{
	if (v < k->min || (k->max != 0 && v > k->max)) {
		if (k->max != 0)
			conf_lerr(l, s,
			    "'%s' must be between %lld and %lld, "
			    "not %lld",
			    k->name, k->min, k->max, v);
		else
			conf_lerr(l, s, "'%s' must be at least %lld, not %lld",
			    k->name, k->min, v);
		return;
	}
	set_num(k, base, v);
}

static char *
resolve_path(struct loader *l, const char *text)
{
	char *p;

	if (text[0] == '/')
		return xstrdup(text);
	xasprintf(&p, "%s/%s", l->dir, text);
	return p;
}

static void
choices_text(const char *const *choices, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices[i] != NULL && len < n; i++) {
		len += (size_t)snprintf(buf + len, n - len, "%s\"%s\"",
		    i == 0 ? "" : (choices[i + 1] == NULL ? " or " : ", "),
		    choices[i]);
	}
}

static int
choice_index(const char *const *choices, const char *text)
{
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(choices[i], text) == 0)
			return i;
	}
	return -1;
}

/* A string value (or a default) for key k: check it, convert, store. */
void
conf_load_text(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char buf[256], *end;
	int64_t secs;
	long long v;
	size_t bytes;
	int i;

	if (*text == '\0' && (k->flags & K_EMPTY_NULL) != 0) {
		set_str(k, base, NULL);
		return;
	}
	if (*text == '\0' && k->type != V_CUSTOM) {
		conf_lerr(l, s, "'%s' must not be empty", k->name);
		return;
	}
	switch (k->type) {
	case V_STR:
		if (k->choices != NULL && choice_index(k->choices, text) < 0) {
			choices_text(k->choices, buf, sizeof(buf));
			conf_lerr(l, s, "'%s' must be %s, not \"%s\"", k->name,
			    buf, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		break;
	case V_NAME:
		if (!conf_valid_name(text)) {
			conf_lerr(l, s,
			    "'%s' must be a name of letters, digits, "
			    "'.', '-' and '_', not \"%s\"",
			    k->name, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		break;
	case V_ADDR:
		if (!conf_valid_address(text)) {
			conf_lerr(l, s, "'%s' is not an email address: \"%s\"",
			    k->name, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		for (char *p = *(char **)field(k, base); *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		break;
	case V_PATH:
		if (k->flags & K_DATABASE && conf_database_is_server(text))
			set_str(k, base, xstrdup(text));
		else
			set_str(k, base, resolve_path(l, text));
		break;
	case V_DURATION:
		if (conf_duration(text, &secs) < 0) {
			conf_lerr(l, s,
			    "'%s': bad duration \"%s\" (use seconds, or "
			    "a number with s, m, h, d or w: \"4h\")",
			    k->name, text);
			return;
		}
		store_number(l, k, s, secs, base);
		break;
	case V_SIZE:
		if (conf_size(text, &bytes) < 0 || bytes > INT64_MAX) {
			conf_lerr(l, s,
			    "'%s': bad size \"%s\" (use bytes, or a "
			    "number with K, M or G: \"50M\")",
			    k->name, text);
			return;
		}
		store_number(l, k, s, (long long)bytes, base);
		break;
	case V_INT:
		/* only a default comes here as text (a string for an
		   integer key is refused by the caller): a bad one is a bug */
		errno = 0;
		v = strtoll(text, &end, 10);
		assert(errno == 0 && end != text && *end == '\0');
		store_number(l, k, s, v, base);
		break;
	case V_ENUM:
		i = choice_index(k->choices, text);
		if (i < 0) {
			choices_text(k->choices, buf, sizeof(buf));
			conf_lerr(l, s, "'%s' must be %s, not \"%s\"", k->name,
			    buf, text);
			return;
		}
		set_num(k, base, i);
		break;
	case V_CUSTOM:
		k->fn(l, k, s, text, base);
		return;
	case V_BLOCK:
		assert(!"a block has no text");
	}
	if (k->fn != NULL && s != NULL)
		k->fn(l, k, s, text, base);
}

/* One configured setting `s` for key k. */
static void
load_value(struct loader *l, const struct key *k, const config_setting_t *s,
    void *base)
{
	int t = config_setting_type(s);

	if (k->type == V_BLOCK) {
		k->fn(l, k, s, NULL, base);
		return;
	}
	if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) &&
	    (k->type == V_INT || k->type == V_DURATION || k->type == V_SIZE)) {
		store_number(l, k, s, config_setting_get_int64(s), base);
		return;
	}
	if (t == CONFIG_TYPE_STRING && k->type != V_INT) {
		conf_load_text(l, k, s, config_setting_get_string(s), base);
		return;
	}
	conf_lerr(l, s, "'%s' must be %s, not %s", k->name, wanted(k->type),
	    conf_type_name(t));
}

/* The walker ---------------------------------------------------------- */

static const struct key *
find_key(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->n_keys; i++) {
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	}
	return NULL;
}

static void
unknown_key(struct loader *l, const struct table *t, const config_setting_t *s)
{
	const char *names[MAX_KEYS], *near;

	for (size_t i = 0; i < t->n_keys; i++)
		names[i] = t->keys[i].name;
	near = conf_closest(config_setting_name(s), names, t->n_keys);
	if (near != NULL)
		conf_lerr(l, s, "unknown setting '%s'%s (did you mean '%s'?)",
		    config_setting_name(s), t->where, near);
	else
		conf_lerr(l, s, "unknown setting '%s'%s",
		    config_setting_name(s), t->where);
}

void
conf_apply_defaults(struct loader *l, const struct table *t, void *base)
{
	const struct key *k;

	for (size_t i = 0; i < t->n_keys; i++) {
		k = &t->keys[i];
		if (k->def != NULL)
			conf_load_text(l, k, NULL, k->def, base);
	}
}

/* Load the settings of one group into `base` with table t. */
void
conf_load_group(struct loader *l, const struct table *t,
    const config_setting_t *group, void *base)
{
	const config_setting_t *s;
	const struct key *k;
	uint32_t seen = 0;
	int n = config_setting_length(group);

	assert(t->n_keys <= MAX_KEYS);
	conf_apply_defaults(l, t, base);
	for (int i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned)i);
		k = find_key(t, config_setting_name(s));
		if (k == NULL) {
			unknown_key(l, t, s);
			continue;
		}
		seen |= 1u << (k - t->keys);
		load_value(l, k, s, base);
	}
	for (size_t i = 0; i < t->n_keys; i++) {
		if ((t->keys[i].flags & K_REQUIRED) != 0 &&
		    (seen & (1u << i)) == 0)
			conf_lerr(l, group, "missing required setting '%s'%s",
			    t->keys[i].name, t->where);
	}
	if (t->post != NULL)
		t->post(l, group, base);
}

const config_setting_t *
conf_child(const config_setting_t *group, const char *name)
{
	const config_setting_t *s;

	s = config_setting_get_member(group, name);
	return s != NULL ? s : group;
}

int
conf_want_group(struct loader *l, const config_setting_t *s, const char *what)
{
	if (config_setting_is_group(s))
		return 1;
	conf_lerr(l, s, "%s must be a group { ... }, not %s", what,
	    conf_type_name(config_setting_type(s)));
	return 0;
}

int
conf_want_list(struct loader *l, const config_setting_t *s, const char *what)
{
	if (config_setting_is_list(s))
		return 1;
	conf_lerr(l, s, "%s must be a list ( { ... }, ... ), not %s", what,
	    conf_type_name(config_setting_type(s)));
	return 0;
}

/* Loading ------------------------------------------------------------- */

/* The absolute directory of `path`, for relative paths inside it. */
static char *
conf_dir(const char *path)
{
	char *copy = xstrdup(path), *real, *dir;

	real = realpath(copy, NULL);
	free(copy);
	if (real == NULL)
		return xstrdup(".");
	dir = xstrdup(dirname(real));
	free(real);
	return dir;
}

int
conf_read_file(struct loader *l, config_t *cfg)
{
	FILE *fp;

	/* libconfig only says "file I/O error": find out why ourselves. */
	fp = fopen(l->path, "re");
	if (fp == NULL) {
		add_error(l->errs, l->path, 0, strerror(errno));
		return -1;
	}
	fclose(fp);
	l->dir = conf_dir(l->path);
	config_set_include_dir(cfg, l->dir);
	if (config_read_file(cfg, l->path) != CONFIG_TRUE) {
		add_error_in(l, config_error_file(cfg),
		    (unsigned)config_error_line(cfg), config_error_text(cfg));
		return -1;
	}
	l->root = config_root_setting(cfg);
	return 0;
}

/* Freeing and lookups ------------------------------------------------- */

static void
server_clear(struct conf_server *s)
{
	free(s->host);
	free(s->user);
	conf_secret_free(&s->password);
	free(s->password_file);
	free(s->password_env);
	free(s->password_command);
	free(s->oauth2_token_file);
	free(s->oauth2_token_command);
	free(s->ca_file);
}

void
conf_free(struct conf **confp)
{
	struct conf *c = *confp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_mailboxes; i++) {
		struct conf_mailbox *mb = &c->mailboxes[i];

		free(mb->name);
		free(mb->address);
		free(mb->queue);
		server_clear(&mb->imap);
		free(mb->folder);
		free(mb->after_folder);
	}
	free(c->mailboxes);
	server_clear(&c->smtp);
	free(c->smtp_from);
	for (size_t i = 0; i < c->n_routes; i++) {
		free(c->routes[i].name);
		free(c->routes[i].to);
		free(c->routes[i].reply_to);
	}
	free(c->routes);
	for (size_t i = 0; i < c->n_team; i++) {
		free(c->team[i].name);
		free(c->team[i].address);
		free(c->team[i].role);
		free(c->team[i].unix_user);
		free(c->team[i].route);
	}
	free(c->team);
	for (size_t i = 0; i < c->n_webhooks; i++) {
		struct conf_webhook *w = &c->webhooks[i];

		free(w->url);
		for (size_t j = 0; j < w->n_events; j++)
			free(w->events[j]);
		free(w->events);
		free(w->secret_file);
		free(w->ca_file);
	}
	free(c->webhooks);
	free(c->sla.digest_to);
	free(c->sla.digest_at);
	free(c->sla.hours);
	for (size_t i = 0; i < c->assign.n_queues; i++)
		free(c->assign.queues[i]);
	free(c->assign.queues);
	for (size_t i = 0; i < c->assign.n_members; i++)
		free(c->assign.members[i]);
	free(c->assign.members);
	free(c->trust_authentication_results);
	free(c->ticket_url);
	free(c->timezone);
	free(c->report.weekly_to);
	free(c->report.at);
	free(c->path);
	free(c->database);
	free(c->db_password_file);
	free(c->rules);
	free(c->accounts);
	free(c);
	*confp = NULL;
}

const struct conf_mailbox *
conf_mailbox(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_mailboxes; i++) {
		if (strcmp(c->mailboxes[i].name, name) == 0)
			return &c->mailboxes[i];
	}
	return NULL;
}

/* Is the address a[0..n) mailbox address mb, or mb plus-addressed? */
static int
same_mailbox(const char *a, size_t n, const char *mb)
{
	size_t at = strcspn(mb, "@");
	const char *plus = memchr(a, '+', n);

	if (strlen(mb) == n && strncasecmp(a, mb, n) == 0)
		return 1;
	return plus != NULL && (size_t)(plus - a) == at &&
	       strncasecmp(a, mb, at) == 0 &&
	       memchr(plus, '@', (size_t)(a + n - plus)) != NULL &&
	       strncasecmp(strchr(plus, '@'), mb + at, strlen(mb + at)) == 0;
}

const char *
conf_list_next(const char **cursor, size_t *n_r)
{
	const char *p = *cursor;

	while (p != NULL && *p != '\0') {
		const char *end = p + strcspn(p, ",");
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *a = lt != NULL ? lt + 1 : p;
		size_t n;

		a += strspn(a, " \t");
		n = strcspn(a, ">, \t");
		if (a + n > end)
			n = (size_t)(end - a);
		p = *end == ',' ? end + 1 : end;
		if (n > 0) {
			*cursor = p;
			*n_r = n;
			return a;
		}
	}
	*cursor = p;
	return NULL;
}

const struct conf_mailbox *
conf_reads(const struct conf *c, const char *list)
{
	const char *a;
	size_t n;

	while ((a = conf_list_next(&list, &n)) != NULL) {
		for (size_t i = 0; i < c->n_mailboxes; i++) {
			const char *mb = c->mailboxes[i].address;

			if (mb != NULL && same_mailbox(a, n, mb))
				return &c->mailboxes[i];
		}
	}
	return NULL;
}

const struct conf_route *
conf_route(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_routes; i++) {
		if (strcasecmp(c->routes[i].name, name) == 0)
			return &c->routes[i];
	}
	return NULL;
}

const struct conf_member *
conf_member_by_address(const struct conf *c, const char *address)
{
	for (size_t i = 0; i < c->n_team; i++) {
		if (strcasecmp(c->team[i].address, address) == 0)
			return &c->team[i];
	}
	return NULL;
}

const struct conf_member *
conf_member_by_name(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_team; i++) {
		if (strcmp(c->team[i].name, name) == 0)
			return &c->team[i];
	}
	return NULL;
}

char *
conf_ticket_url(const char *tmpl, int64_t id)
{
	const char *at;
	char *url;

	if (tmpl == NULL)
		return NULL;
	at = strstr(tmpl, "{id}");
	if (at == NULL) /* conf_load refuses it; be safe anyway */
		xasprintf(&url, "%s%lld", tmpl, (long long)id);
	else
		xasprintf(&url, "%.*s%lld%s", (int)(at - tmpl), tmpl,
		    (long long)id, at + 4);
	return url;
}

int
conf_has_queue(const struct conf *c, const char *queue)
{
	for (size_t i = 0; i < c->n_mailboxes; i++) {
		if (strcmp(c->mailboxes[i].queue, queue) == 0)
			return 1;
	}
	return conf_route(c, queue) != NULL;
}

const char *
conf_queue_closest(const struct conf *c, const char *name)
{
	const char **names =
	    xcalloc(c->n_mailboxes + c->n_routes + 1, sizeof(*names));
	const char *near;
	size_t n = 0;

	for (size_t i = 0; i < c->n_mailboxes; i++)
		names[n++] = c->mailboxes[i].queue;
	for (size_t i = 0; i < c->n_routes; i++)
		names[n++] = c->routes[i].name;
	near = conf_closest(name, names, n);
	free(names);
	return near;
}

const char *
conf_route_closest(const struct conf *c, const char *name)
{
	const char **names = xcalloc(c->n_routes + 1, sizeof(*names));
	const char *near;

	for (size_t i = 0; i < c->n_routes; i++)
		names[i] = c->routes[i].name;
	near = conf_closest(name, names, c->n_routes);
	free(names);
	return near;
}
