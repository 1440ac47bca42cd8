/*
 * The effective configuration, as `doveconf` prints Dovecot's: every
 * setting of a loaded struct conf with the defaults filled in, walked
 * from the same key tables that loaded it (conf-keys.c), so a new
 * setting shows up without a line here.  Values that may hold a secret
 * (K_SECRET: the *_command keys) are masked; password and token files
 * are only named, never read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf-private.h"
#include "log.h"

#define MASK "(hidden)"

struct walk {
	const struct conf_show_ops *ops;
	void *arg;
};

static const void *
at(const void *base, const struct key *k)
{
	return (const char *)base + k->off;
}

static long long
number(const void *base, const struct key *k)
{
	int i;
	int64_t l;

	if (k->size == sizeof(int)) {
		memcpy(&i, at(base, k), sizeof(i));
		return i;
	}
	memcpy(&l, at(base, k), sizeof(l));
	return l;
}

/* Seconds in the config's own syntax: 5400 is "1h30m", 0 is "0". */
static void
format_duration(long long v, char *buf, size_t len)
{
	static const struct {
		char unit;
		long long secs;
	} units[] = { { 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 },
		{ 'm', 60 }, { 's', 1 } };
	size_t n = 0;

	snprintf(buf, len, "0");
	for (size_t i = 0; i < 5 && v > 0 && n < len; i++) {
		if (v < units[i].secs)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%lld%c",
		    v / units[i].secs, units[i].unit);
		v %= units[i].secs;
	}
}

static void
format_size(size_t v, char *buf, size_t len)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		size_t u = (size_t)1 << (10 * (3 - i));

		if (v > 0 && v % u == 0) {
			snprintf(buf, len, "%zu%c", v / u, units[i]);
			return;
		}
	}
	snprintf(buf, len, "%zu", v);
}

/*
 * The V_CUSTOM keys: a mailbox's after = "flag" | "none" | "move:FOLDER"
 * and the top level's log_level.
 */
static void
format_custom(const struct key *k, const void *base, char *buf, size_t len)
{
	const struct conf_mailbox *mb = base;

	if (strcmp(k->name, "log_level") == 0)
		snprintf(buf, len, "%s",
		    log_level_name(((const struct conf *)base)->log_level));
	else if (mb->after == CONF_AFTER_MOVE)
		snprintf(buf, len, "move:%s", mb->after_folder);
	else
		snprintf(buf, len, "%s",
		    mb->after == CONF_AFTER_NONE ? "none" : "flag");
}

static void walk_table(struct walk *w, const struct table *t, const void *base);

/*
 * A list of names as one string, "qualify, route": the loaders of
 * webhooks' events and of assign's queues and members read it back.
 */
static void
walk_names(struct walk *w, const char *key, char *const *v, size_t n_v)
{
	char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_v && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? ", " : "", v[i]);
	w->ops->value(w->arg, key, buf, 0);
}

static void
walk_events(struct walk *w, const void *base)
{
	const struct conf_webhook *h = base;

	walk_names(w, "events", h->events, h->n_events);
}

static void
walk_assign(struct walk *w, const struct conf *c)
{
	const struct conf_assign *a = &c->assign;

	if (a->n_queues == 0)
		return;
	w->ops->open(w->arg, "assign", 0);
	walk_names(w, "queues", a->queues, a->n_queues);
	w->ops->value(w->arg, "mode",
	    a->mode == CONF_ASSIGN_LEAST_OPEN ? "least-open" : "round-robin",
	    0);
	walk_names(w, "members", a->members, a->n_members);
	w->ops->close(w->arg, 0);
}

static void
walk_webhooks(struct walk *w, const struct conf *c)
{
	if (c->n_webhooks == 0)
		return;
	w->ops->open(w->arg, "webhooks", 1);
	for (size_t i = 0; i < c->n_webhooks; i++) {
		w->ops->open(w->arg, NULL, 0);
		walk_table(w, &conf_webhook_table, &c->webhooks[i]);
		w->ops->close(w->arg, 0);
	}
	w->ops->close(w->arg, 1);
}

/* The blocks: each loader's shape (conf-keys.c), walked the same way. */
static void
walk_block(struct walk *w, const struct key *k, const void *base)
{
	const struct conf *c = base;

	if (strcmp(k->name, "imap") == 0) {
		w->ops->open(w->arg, k->name, 0);
		walk_table(w, conf_blocks.imap, base);
	} else if (strcmp(k->name, "mailboxes") == 0) {
		w->ops->open(w->arg, k->name, 1);
		for (size_t i = 0; i < c->n_mailboxes; i++) {
			w->ops->open(w->arg, NULL, 0);
			walk_table(w, conf_blocks.mailbox, &c->mailboxes[i]);
			w->ops->close(w->arg, 0);
		}
	} else if (strcmp(k->name, "smtp") == 0) {
		if (!c->has_smtp)
			return;
		w->ops->open(w->arg, k->name, 0);
		walk_table(w, conf_blocks.smtp, base);
	} else if (strcmp(k->name, "routes") == 0) {
		w->ops->open(w->arg, k->name, 0);
		for (size_t i = 0; i < c->n_routes; i++) {
			w->ops->open(w->arg, c->routes[i].name, 0);
			walk_table(w, conf_blocks.route, &c->routes[i]);
			w->ops->close(w->arg, 0);
		}
	} else if (strcmp(k->name, "team") == 0) {
		w->ops->open(w->arg, k->name, 1);
		for (size_t i = 0; i < c->n_team; i++) {
			w->ops->open(w->arg, NULL, 0);
			walk_table(w, conf_blocks.member, &c->team[i]);
			w->ops->close(w->arg, 0);
		}
	} else if (strcmp(k->name, "sla") == 0) {
		w->ops->open(w->arg, k->name, 0);
		walk_table(w, conf_blocks.sla, &c->sla);
	} else if (strcmp(k->name, "report") == 0) {
		w->ops->open(w->arg, k->name, 0);
		walk_table(w, conf_blocks.report, &c->report);
	} else if (strcmp(k->name, "weekly_to") == 0) {
		/* a list in the file, one string here: both load */
		const struct conf_report *rep = base;

		if (rep->weekly_to != NULL)
			w->ops->value(w->arg, k->name, rep->weekly_to, 0);
		return;
	} else if (strcmp(k->name, "webhooks") == 0) {
		walk_webhooks(w, c);
		return;
	} else if (strcmp(k->name, "events") == 0) {
		walk_events(w, base);
		return;
	} else if (strcmp(k->name, "assign") == 0) {
		walk_assign(w, c);
		return;
	} else {
		return; /* a block this walker does not know: not shown */
	}
	w->ops->close(w->arg,
	    strcmp(k->name, "mailboxes") == 0 || strcmp(k->name, "team") == 0);
}

static void
walk_key(struct walk *w, const struct key *k, const void *base)
{
	const char *s = NULL;
	char buf[512];
	int is_number = 0;

	switch (k->type) {
	case V_BLOCK:
		walk_block(w, k, base);
		return;
	case V_CUSTOM:
		format_custom(k, base, buf, sizeof(buf));
		s = buf;
		break;
	case V_INT:
		snprintf(buf, sizeof(buf), "%lld", number(base, k));
		s = buf;
		is_number = 1;
		break;
	case V_DURATION:
		format_duration(number(base, k), buf, sizeof(buf));
		s = buf;
		break;
	case V_SIZE:
		format_size(*(const size_t *)at(base, k), buf, sizeof(buf));
		s = buf;
		break;
	case V_ENUM:
		s = k->choices[number(base, k)];
		break;
	default:
		s = *(char *const *)at(base, k);
		break;
	}
	if (s == NULL)
		return; /* unset, and no default */
	w->ops->value(w->arg, k->name, (k->flags & K_SECRET) ? MASK : s,
	    is_number);
}

static void
walk_table(struct walk *w, const struct table *t, const void *base)
{
	for (size_t i = 0; i < t->n_keys; i++)
		walk_key(w, &t->keys[i], base);
}

void
conf_show(const struct conf *c, const struct conf_show_ops *ops, void *arg)
{
	struct walk w = { ops, arg };

	walk_table(&w, &conf_top_table, c);
}

/*
 * The text form: libconfig syntax, which triaged reads back.  A list's
 * elements are separated by commas, with none after the last: the end
 * of an element waits for what follows to choose.
 */
struct text {
	FILE *fp;
	int depth;
	int after_elem;	       /* an element just ended: "," or nothing next */
	unsigned char elem[8]; /* by depth: the open group is an element */
};

static void
start(struct text *t, int elem)
{
	if (t->after_elem)
		fputs(elem ? ",\n" : "\n", t->fp);
	t->after_elem = 0;
	for (int i = 0; i < t->depth; i++)
		fputs("  ", t->fp);
}

static void
text_open(void *arg, const char *name, int is_list)
{
	struct text *t = arg;

	start(t, name == NULL);
	if (name != NULL)
		fprintf(t->fp, "%s = ", name);
	fputs(is_list ? "(\n" : "{\n", t->fp);
	if (t->depth < (int)sizeof(t->elem))
		t->elem[t->depth] = name == NULL;
	t->depth++;
}

static void
text_close(void *arg, int is_list)
{
	struct text *t = arg;

	t->depth--;
	start(t, 0);
	if (is_list) {
		fputs(");\n", t->fp);
	} else if (t->depth < (int)sizeof(t->elem) && t->elem[t->depth]) {
		fputs("}", t->fp);
		t->after_elem = 1;
	} else {
		fputs("};\n", t->fp);
	}
}

static void
text_value(void *arg, const char *name, const char *v, int is_number)
{
	struct text *t = arg;

	start(t, 0);
	fprintf(t->fp, "%s = ", name);
	if (is_number) {
		fprintf(t->fp, "%s;\n", v);
		return;
	}
	fputc('"', t->fp);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', t->fp);
		fputc(*v, t->fp);
	}
	fputs("\";\n", t->fp);
}

void
conf_print(const struct conf *c, FILE *fp)
{
	static const struct conf_show_ops ops = { text_open, text_close,
		text_value };
	struct text t = { .fp = fp };

	fprintf(fp, "# triage.conf: %s (effective, defaults filled in)\n",
	    c->path);
	conf_show(c, &ops, &t);
}
