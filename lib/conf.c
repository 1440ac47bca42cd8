/*
 * triage.conf: libconfig in, one validated struct conf out; see conf.h.
 *
 * Every setting is described once, in the key tables below (Dovecot
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

#define MAX_KEYS 32	/* per table; a bitmap of seen keys */

struct loader {
	const char *path;	/* foreign: as given, for messages */
	char *dir;		/* owned: absolute directory of path */
	unsigned flags;		/* CONF_LOAD_* */
	struct conf_errors *errs; /* foreign */
	const config_setting_t *root;
};

enum vtype {
	V_STR,		/* non-empty string; `choices` restricts it */
	V_NAME,		/* a name: letters, digits, . - _ */
	V_ADDR,		/* an email address, stored lowercased */
	V_PATH,		/* relative paths resolve against the conf's dir */
	V_INT,		/* integer in [min, max] */
	V_DURATION,	/* integer seconds, or "90s" "15m" "4h" "1d" "2w" */
	V_SIZE,		/* integer bytes, or "512K" "50M" "1G" */
	V_ENUM,		/* one of `choices`, stored as its index (an enum) */
	V_CUSTOM,	/* a string that `fn` parses */
	V_BLOCK,	/* a group or list that `fn` loads */
};

#define K_REQUIRED	0x01
#define K_EMPTY_NULL	0x02	/* "" means unset (NULL) */

struct key;
/*
 * V_BLOCK: load the setting `s` (text is NULL).  V_CUSTOM: parse `text`.
 * Other types: an extra check of `text`, after it was stored.  `s` is
 * NULL when `text` is the key's default.
 */
typedef void key_fn(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base);

struct key {
	const char *name;
	enum vtype type;
	size_t off;		/* of the field in the block's struct */
	size_t size;		/* of the field: int, int64_t or size_t */
	unsigned flags;		/* K_* */
	const char *def;	/* default, parsed like a configured value */
	const char *const *choices;	/* NULL-terminated */
	long long min, max;	/* V_INT, V_DURATION, V_SIZE; max 0: none */
	key_fn *fn;
};

struct table {
	const char *where;	/* appended to "unknown setting 'x'" */
	const struct key *keys;
	size_t n_keys;
	/* Checks across keys; `group` is NULL when only defaults applied. */
	void (*post)(struct loader *l, const config_setting_t *group,
	    void *base);
};

#define F(type, field) \
	.off = offsetof(type, field), .size = sizeof(((type *)0)->field)
#define TABLE(where, keys, post) \
	{ where, keys, sizeof(keys) / sizeof(keys[0]), post }

static void load_group(struct loader *l, const struct table *t,
    const config_setting_t *group, void *base);
static void apply_defaults(struct loader *l, const struct table *t,
    void *base);

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
add_error_in(struct loader *l, const char *file, unsigned line,
    const char *msg)
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
static void __attribute__((format(printf, 3, 4)))
lerr(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	const char *file;
	unsigned line = 1;
	char msg[1024];
	va_list ap;

	assert(s != NULL);	/* defaults are ours: they never fail */
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
			size_t sub = prev[j - 1] +
			    (a[i - 1] != b[j - 1] ? 1 : 0);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? sub : del;
			cur[j] = cur[j] < ins ? cur[j] : ins;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* The known name closest to `name`, if it is close enough to be a typo. */
static const char *
closest(const char *name, const char *const *names, size_t n)
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

static const char *
type_name(int type)
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
			lerr(l, s, "'%s' must be between %lld and %lld, "
			    "not %lld", k->name, k->min, k->max, v);
		else
			lerr(l, s, "'%s' must be at least %lld, not %lld",
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
static void
load_text(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char buf[256];
	int64_t secs;
	size_t bytes;
	int i;

	if (*text == '\0' && (k->flags & K_EMPTY_NULL) != 0) {
		set_str(k, base, NULL);
		return;
	}
	if (*text == '\0' && k->type != V_CUSTOM) {
		lerr(l, s, "'%s' must not be empty", k->name);
		return;
	}
	switch (k->type) {
	case V_STR:
		if (k->choices != NULL && choice_index(k->choices, text) < 0) {
			choices_text(k->choices, buf, sizeof(buf));
			lerr(l, s, "'%s' must be %s, not \"%s\"", k->name,
			    buf, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		break;
	case V_NAME:
		if (!conf_valid_name(text)) {
			lerr(l, s, "'%s' must be a name of letters, digits, "
			    "'.', '-' and '_', not \"%s\"", k->name, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		break;
	case V_ADDR:
		if (!conf_valid_address(text)) {
			lerr(l, s, "'%s' is not an email address: \"%s\"",
			    k->name, text);
			return;
		}
		set_str(k, base, xstrdup(text));
		for (char *p = *(char **)field(k, base); *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		break;
	case V_PATH:
		set_str(k, base, resolve_path(l, text));
		break;
	case V_DURATION:
		if (conf_duration(text, &secs) < 0) {
			lerr(l, s, "'%s': bad duration \"%s\" (use seconds, or "
			    "a number with s, m, h, d or w: \"4h\")", k->name,
			    text);
			return;
		}
		store_number(l, k, s, secs, base);
		break;
	case V_SIZE:
		if (conf_size(text, &bytes) < 0 || bytes > INT64_MAX) {
			lerr(l, s, "'%s': bad size \"%s\" (use bytes, or a "
			    "number with K, M or G: \"50M\")", k->name, text);
			return;
		}
		store_number(l, k, s, (long long)bytes, base);
		break;
	case V_INT:
		store_number(l, k, s, strtoll(text, NULL, 10), base);
		break;
	case V_ENUM:
		i = choice_index(k->choices, text);
		if (i < 0) {
			choices_text(k->choices, buf, sizeof(buf));
			lerr(l, s, "'%s' must be %s, not \"%s\"", k->name,
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
		load_text(l, k, s, config_setting_get_string(s), base);
		return;
	}
	lerr(l, s, "'%s' must be %s, not %s", k->name, wanted(k->type),
	    type_name(t));
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
unknown_key(struct loader *l, const struct table *t,
    const config_setting_t *s)
{
	const char *names[MAX_KEYS], *near;

	for (size_t i = 0; i < t->n_keys; i++)
		names[i] = t->keys[i].name;
	near = closest(config_setting_name(s), names, t->n_keys);
	if (near != NULL)
		lerr(l, s, "unknown setting '%s'%s (did you mean '%s'?)",
		    config_setting_name(s), t->where, near);
	else
		lerr(l, s, "unknown setting '%s'%s", config_setting_name(s),
		    t->where);
}

static void
apply_defaults(struct loader *l, const struct table *t, void *base)
{
	for (size_t i = 0; i < t->n_keys; i++) {
		if (t->keys[i].def != NULL)
			load_text(l, &t->keys[i], NULL, t->keys[i].def, base);
	}
}

/* Load the settings of one group into `base` with table t. */
static void
load_group(struct loader *l, const struct table *t,
    const config_setting_t *group, void *base)
{
	const config_setting_t *s;
	const struct key *k;
	uint32_t seen = 0;
	int n = config_setting_length(group);

	assert(t->n_keys <= MAX_KEYS);
	apply_defaults(l, t, base);
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
			lerr(l, group, "missing required setting '%s'%s",
			    t->keys[i].name, t->where);
	}
	if (t->post != NULL)
		t->post(l, group, base);
}

static const config_setting_t *
member(const config_setting_t *group, const char *name)
{
	const config_setting_t *s;

	s = config_setting_get_member(group, name);
	return s != NULL ? s : group;
}

static int
want_group(struct loader *l, const config_setting_t *s, const char *what)
{
	if (config_setting_is_group(s))
		return 1;
	lerr(l, s, "%s must be a group { ... }, not %s", what,
	    type_name(config_setting_type(s)));
	return 0;
}

static int
want_list(struct loader *l, const config_setting_t *s, const char *what)
{
	if (config_setting_is_list(s))
		return 1;
	lerr(l, s, "%s must be a list ( { ... }, ... ), not %s", what,
	    type_name(config_setting_type(s)));
	return 0;
}

/* Server blocks: imap (in a mailbox) and smtp ------------------------ */

static const char *const tls_names[] = { "implicit", "starttls", "none",
	NULL };

static void
check_env_name(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base)
{
	(void)base;
	if (!conf_valid_env_name(text))
		lerr(l, s, "'%s' must be an environment variable name, not "
		    "\"%s\"", k->name, text);
}

#define SERVER_KEYS(type, srv, user_flags) \
	{ "host", V_STR, F(type, srv.host), K_REQUIRED }, \
	{ "port", V_INT, F(type, srv.port), .min = 1, .max = 65535 }, \
	{ "user", V_STR, F(type, srv.user), user_flags }, \
	{ "password_file", V_PATH, F(type, srv.password_file), K_EMPTY_NULL }, \
	{ "password_env", V_STR, F(type, srv.password_env), K_EMPTY_NULL, \
	  .fn = check_env_name }, \
	{ "password_command", V_STR, F(type, srv.password_command), \
	  K_EMPTY_NULL }, \
	{ "oauth2_token_file", V_PATH, F(type, srv.oauth2_token_file), \
	  K_EMPTY_NULL }, \
	{ "oauth2_token_command", V_STR, F(type, srv.oauth2_token_command), \
	  K_EMPTY_NULL }, \
	{ "ca_file", V_PATH, F(type, srv.ca_file), K_EMPTY_NULL }

/* Secrets are read now so a bad one stops the start, not the first poll. */
static void
load_secrets(struct loader *l, const config_setting_t *g,
    struct conf_server *srv)
{
	const char *v;
	char why[256];

	if (srv->password_file != NULL &&
	    conf_secret_file(srv->password_file, &srv->password, why,
		sizeof(why)) < 0)
		lerr(l, member(g, "password_file"), "password_file '%s'%s",
		    srv->password_file, why);
	if (srv->password_env != NULL) {
		v = getenv(srv->password_env);
		if (v == NULL || *v == '\0')
			lerr(l, member(g, "password_env"), "environment "
			    "variable '%s' (password_env) is not set",
			    srv->password_env);
		else
			srv->password = xstrdup(v);
	}
	/* Tokens are refreshed by others: check now, read at connect. */
	if (srv->oauth2_token_file != NULL &&
	    conf_secret_file(srv->oauth2_token_file, NULL, why,
		sizeof(why)) < 0)
		lerr(l, member(g, "oauth2_token_file"),
		    "oauth2_token_file '%s'%s", srv->oauth2_token_file, why);
	if (srv->ca_file != NULL && access(srv->ca_file, R_OK) < 0)
		lerr(l, member(g, "ca_file"), "ca_file '%s': %s",
		    srv->ca_file, strerror(errno));
}

/*
 * What every server block needs beyond its single keys.  default_port
 * is indexed by enum conf_tls.
 */
static void
check_server(struct loader *l, const config_setting_t *g,
    struct conf_server *srv, const char *what, const int default_port[3])
{
	int n_pass, n_token;

	srv->line = (int)config_setting_source_line(g);
	if (srv->port == 0)
		srv->port = default_port[srv->tls];
	if (srv->tls == CONF_TLS_NONE && srv->host != NULL &&
	    !conf_is_loopback(srv->host))
		lerr(l, member(g, "tls"), "tls = \"none\" sends the password "
		    "in clear: only allowed for a loopback host, not '%s'",
		    srv->host);
	n_pass = (srv->password_file != NULL) + (srv->password_env != NULL) +
	    (srv->password_command != NULL);
	n_token = (srv->oauth2_token_file != NULL) +
	    (srv->oauth2_token_command != NULL);
	if (n_pass + n_token > 1)
		lerr(l, g, "%s block: set only one of password_file, "
		    "password_env, password_command, oauth2_token_file and "
		    "oauth2_token_command", what);
	else if (n_pass + n_token == 0 && srv->user != NULL)
		lerr(l, g, "%s block: user '%s' needs a password_file, "
		    "password_env, password_command, oauth2_token_file or "
		    "oauth2_token_command", what, srv->user);
	else if (n_pass + n_token == 1 && srv->user == NULL)
		lerr(l, g, "%s block: a password or token needs a 'user'",
		    what);
	if ((l->flags & CONF_LOAD_NO_SECRETS) == 0)
		load_secrets(l, g, srv);
}

static void
post_imap(struct loader *l, const config_setting_t *g, void *base)
{
	static const int ports[] = { 993, 143, 143 };
	struct conf_mailbox *mb = base;

	check_server(l, g, &mb->imap, "imap", ports);
}

static void
post_smtp(struct loader *l, const config_setting_t *g, void *base)
{
	static const int ports[] = { 465, 587, 25 };
	struct conf *c = base;

	check_server(l, g, &c->smtp, "smtp", ports);
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
		lerr(l, s, "'%s' must be an address or \"Name <address>\", "
		    "not \"%s\"", k->name, text);
}

static const struct key smtp_keys[] = {
	SERVER_KEYS(struct conf, smtp, 0),
	{ "tls", V_ENUM, F(struct conf, smtp.tls), .def = "starttls",
	  .choices = tls_names },
	{ "from", V_STR, F(struct conf, smtp_from), K_REQUIRED,
	  .fn = check_from },
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
	if (want_group(l, s, "'imap'"))
		load_group(l, &imap_table, s, base);
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
		lerr(l, s, "'after' must be \"flag\", \"none\" or "
		    "\"move:FOLDER\", not \"%s\"", text);
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
	return member(elem, "name");
}

static void
load_mailboxes(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base)
{
	struct conf *c = base;
	const config_setting_t *e;
	unsigned n;

	(void)k;
	(void)text;
	if (!want_list(l, s, "'mailboxes'"))
		return;
	n = (unsigned)config_setting_length(s);
	if (n == 0) {
		lerr(l, s, "'mailboxes' is empty: configure at least one");
		return;
	}
	c->mailboxes = xcalloc(n, sizeof(*c->mailboxes));
	c->n_mailboxes = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (want_group(l, e, "a mailbox"))
			load_group(l, &mailbox_table, e, &c->mailboxes[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			const struct conf_mailbox *a = &c->mailboxes[j];
			const struct conf_mailbox *b = &c->mailboxes[i];

			if (a->name == NULL || b->name == NULL ||
			    strcmp(a->name, b->name) != 0)
				continue;
			lerr(l, name_setting(config_setting_get_elem(s, i)),
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
static const struct table route_table =
	TABLE(" in route", route_keys, NULL);

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
	if (!want_group(l, s, "'routes'"))
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
			lerr(l, e, "route name '%s' must be letters, digits, "
			    "'.', '-' and '_'", r->name);
		/* libconfig allows Sales and sales; routing ignores case. */
		for (unsigned j = 0; j < i; j++) {
			if (strcasecmp(c->routes[j].name, r->name) == 0)
				lerr(l, e, "duplicate route '%s' (first at "
				    "line %d)", r->name, c->routes[j].line);
		}
		if (config_setting_type(e) == CONFIG_TYPE_STRING) {
			/* The string form: name the route in messages. */
			to = route_keys[0];
			to.name = r->name;
			apply_defaults(l, &route_table, r);
			load_text(l, &to, e, config_setting_get_string(e), r);
		} else if (config_setting_is_group(e)) {
			load_group(l, &route_table, e, r);
		} else {
			lerr(l, e, "route '%s' must be an address or a group "
			    "{ to = ...; style = ...; }, not %s", r->name,
			    type_name(config_setting_type(e)));
		}
	}
}

/* Team ---------------------------------------------------------------- */

static const char *const role_names[] = { "bdr", "manager", "sales",
	"support", NULL };

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
	{ "unix_user", V_NAME, F(struct conf_member, unix_user),
	  K_EMPTY_NULL },
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
	if (!want_list(l, s, "'team'"))
		return;
	n = (unsigned)config_setting_length(s);
	c->team = xcalloc(n, sizeof(*c->team));
	c->n_team = n;
	for (unsigned i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (want_group(l, e, "a team member"))
			load_group(l, &member_table, e, &c->team[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct conf_member *b = &c->team[i];

		for (unsigned j = 0; j < i; j++) {
			const struct conf_member *a = &c->team[j];

			e = config_setting_get_elem(s, i);
			if (a->name != NULL && b->name != NULL &&
			    strcmp(a->name, b->name) == 0)
				lerr(l, name_setting(e), "duplicate team "
				    "member '%s' (first at line %d)", b->name,
				    a->line);
			if (a->address != NULL && b->address != NULL &&
			    strcmp(a->address, b->address) == 0)
				lerr(l, member(e, "address"), "duplicate team "
				    "address '%s' (first at line %d)",
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
		lerr(l, s, "'%s' must be a time HH:MM, not \"%s\"", k->name,
		    text);
}

static void
check_hours(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	char why[256];

	(void)base;
	if (!conf_valid_hours(text, why, sizeof(why)))
		lerr(l, s, "'%s' %s", k->name, why);
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
};
static const struct table sla_table = TABLE(" in sla", sla_keys, NULL);

static void
load_sla(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	(void)text;
	if (want_group(l, s, "'sla'"))
		load_group(l, &sla_table, s, &c->sla);
}

/* The top level ------------------------------------------------------- */

static void
load_smtp(struct loader *l, const struct key *k, const config_setting_t *s,
    const char *text, void *base)
{
	struct conf *c = base;

	(void)k;
	(void)text;
	if (!want_group(l, s, "'smtp'"))
		return;
	c->has_smtp = 1;
	load_group(l, &smtp_table, s, c);
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
		rs = member(e, "route");
		near = closest(m->route, names, n);
		if (near != NULL)
			lerr(l, rs, "team member '%s': unknown route '%s' "
			    "(did you mean '%s'?)", m->name, m->route, near);
		else
			lerr(l, rs, "team member '%s': unknown route '%s'",
			    m->name, m->route);
	}
}

static void
post_top(struct loader *l, const config_setting_t *root, void *base)
{
	struct conf *c = base;

	if (config_setting_get_member(root, "sla") == NULL)
		apply_defaults(l, &sla_table, &c->sla);
	check_route_refs(l, c);
}

static const struct key top_keys[] = {
	{ "database", V_PATH, F(struct conf, database),
	  .def = TRIAGE_LOCALSTATEDIR "/lib/triage/triage.db" },
	{ "rules", V_PATH, F(struct conf, rules),
	  .def = TRIAGE_SYSCONFDIR "/triage/rules.d" },
	{ "accounts", V_PATH, F(struct conf, accounts), K_EMPTY_NULL },
	{ "poll_interval", V_DURATION, F(struct conf, poll_interval),
	  .def = "60", .min = 1, .max = 86400 },
	{ "max_message_size", V_SIZE, F(struct conf, max_message_size),
	  .def = "50M", .min = 1024, .max = 1024LL * 1024 * 1024 },
	{ "mailboxes", V_BLOCK, .flags = K_REQUIRED, .fn = load_mailboxes },
	{ "smtp", V_BLOCK, .fn = load_smtp },
	{ "routes", V_BLOCK, .fn = load_routes },
	{ "team", V_BLOCK, .fn = load_team },
	{ "trust_authentication_results", V_STR,
	  F(struct conf, trust_authentication_results), K_EMPTY_NULL },
	{ "sla", V_BLOCK, .fn = load_sla },
};
static const struct table top_table = TABLE("", top_keys, post_top);

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

static int
read_file(struct loader *l, config_t *cfg)
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

int
conf_load_flags(const char *path, unsigned flags, struct conf **conf_r,
    struct conf_errors *errs)
{
	struct loader l = { .path = path, .flags = flags, .errs = errs };
	size_t errors_before = errs->n;
	struct conf *c;
	config_t cfg;
	int r;

	config_init(&cfg);
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	r = read_file(&l, &cfg);
	if (r < 0)
		goto out;
	load_group(&l, &top_table, l.root, c);
	r = errs->n > errors_before ? -1 : 0;
out:
	if (r == 0) {
		*conf_r = c;
		c = NULL;
	}
	conf_free(&c);
	config_destroy(&cfg);
	free(l.dir);
	return r;
}

int
conf_load(const char *path, struct conf **conf_r, struct conf_errors *errs)
{
	return conf_load_flags(path, 0, conf_r, errs);
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
	free(c->sla.digest_to);
	free(c->sla.digest_at);
	free(c->sla.hours);
	free(c->trust_authentication_results);
	free(c->path);
	free(c->database);
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

int
conf_has_queue(const struct conf *c, const char *queue)
{
	for (size_t i = 0; i < c->n_mailboxes; i++) {
		if (strcmp(c->mailboxes[i].queue, queue) == 0)
			return 1;
	}
	return conf_route(c, queue) != NULL;
}
