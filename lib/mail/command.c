/* Mail command parsing; the grammar is in command.h. */
#include "command.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "html.h"
#include "mime.h"
#include "reply.h"
#include "xalloc.h"

/* Bounds on arguments: a name is a word, a note a paragraph. */
#define NAME_MAX_LEN 64
#define TEXT_MAX_LEN 2000

/* What a tag name may hold besides letters and digits (a route: "_-"). */
#define TAG_EXTRA ":._-"

enum args {
	ARGS_NONE,  /* nothing may follow */
	ARGS_NAME,  /* one route or tag name */
	ARGS_TEXT,  /* free text, required */
	ARGS_DIMS,  /* zero or more BANT dimensions */
	ARGS_LEVEL, /* one priority level */
	ARGS_UNTIL, /* an optional time: a duration or a date */
	ARGS_ID,    /* one ticket number, "123" or "#123" */
};

/* clang-format off */
static const struct {
	const char *name;
	enum command_kind kind;
	enum args args;
} commands[] = {
	{ "claim", CMD_CLAIM, ARGS_NONE },
	{ "route", CMD_ROUTE, ARGS_NAME },
	{ "qualify", CMD_QUALIFY, ARGS_DIMS },
	{ "disqualify", CMD_DISQUALIFY, ARGS_TEXT },
	{ "priority", CMD_PRIORITY, ARGS_LEVEL },
	{ "tag", CMD_TAG, ARGS_NAME },
	{ "note", CMD_NOTE, ARGS_TEXT },
	{ "close", CMD_CLOSE, ARGS_NONE },
	{ "reopen", CMD_REOPEN, ARGS_NONE },
	{ "story", CMD_STORY, ARGS_NONE },
	{ "ack", CMD_ACK, ARGS_NONE },
	{ "wait", CMD_WAIT, ARGS_UNTIL },
	{ "merge", CMD_MERGE, ARGS_ID },
	{ "unclaim", CMD_UNCLAIM, ARGS_NONE },
	{ "away", CMD_AWAY, ARGS_UNTIL },
	{ "back", CMD_BACK, ARGS_NONE },
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct span {
	const char *s; /* foreign */
	size_t len;
};

const char *
command_name(enum command_kind kind)
{
	for (size_t i = 0; i < NELEM(commands); i++) {
		if (commands[i].kind == kind)
			return commands[i].name;
	}
	return "?";
}

static size_t
command_index(enum command_kind kind)
{
	size_t i = 0;

	while (i + 1 < NELEM(commands) && commands[i].kind != kind)
		i++;
	return i;
}

/* Whitespace, including U+00A0 (HTML mail turns &nbsp; into it). */
static size_t
space_at(const char *s, size_t len)
{
	if (len >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r'))
		return 1;
	if (len >= 2 && (unsigned char)s[0] == 0xc2 &&
	    (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

static struct span
trim(struct span t)
{
	size_t n;

	while ((n = space_at(t.s, t.len)) > 0) {
		t.s += n;
		t.len -= n;
	}
	for (;;) {
		if (t.len >= 1 && space_at(t.s + t.len - 1, 1) > 0)
			t.len--;
		else if (t.len >= 2 && space_at(t.s + t.len - 2, 2) == 2)
			t.len -= 2;
		else
			return t;
	}
}

/*
 * Is `line` a command line?  Sets *i_r to the commands[] index and
 * *args_r to the trimmed text after the word.
 */
static int
match_line(struct span line, size_t *i_r, struct span *args_r)
{
	struct span t = trim(line), word;

	if (t.len < 2 || t.s[0] != '#')
		return 0;
	word.s = t.s + 1;
	word.len = 0;
	while (word.len < t.len - 1 && isalpha((unsigned char)word.s[word.len]))
		word.len++;
	/* "#claimed", "#claim." and "#claim:" are not "#claim" */
	if (word.len + 1 < t.len &&
	    space_at(word.s + word.len, t.len - 1 - word.len) == 0)
		return 0;
	for (size_t i = 0; i < NELEM(commands); i++) {
		if (strlen(commands[i].name) == word.len &&
		    strncasecmp(commands[i].name, word.s, word.len) == 0) {
			args_r->s = word.s + word.len;
			args_r->len = t.len - 1 - word.len;
			*args_r = trim(*args_r);
			*i_r = i;
			return 1;
		}
	}
	return 0;
}

static void
add_error(struct command_list *list, unsigned line, struct span source,
    const char *msg)
{
	struct command_error *e;

	list->errors = xreallocarray(list->errors, list->n_errors + 1,
	    sizeof(*list->errors));
	e = &list->errors[list->n_errors++];
	e->line = line;
	e->source = xstrndup(source.s, source.len);
	e->msg = xstrdup(msg);
}

static struct command *
add_command(struct command_list *list, enum command_kind kind, unsigned line,
    struct span source)
{
	struct command *c;

	list->v = xreallocarray(list->v, list->n + 1, sizeof(*list->v));
	c = &list->v[list->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->priority = PRIO_UNSET;
	c->line = line;
	c->source = xstrndup(source.s, source.len);
	return c;
}

/* A route or tag name, lowercased into a new string; NULL if invalid. */
static char *
valid_name(struct span a, const char *extra)
{
	char *s;

	if (a.len == 0 || a.len > NAME_MAX_LEN ||
	    !isalnum((unsigned char)a.s[0]))
		return NULL;
	for (size_t i = 0; i < a.len; i++) {
		unsigned char c = (unsigned char)a.s[i];

		if (c >= 0x80 || (!isalnum(c) && strchr(extra, c) == NULL))
			return NULL;
	}
	s = xstrndup(a.s, a.len);
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
command_tag_check(const char *tag, struct error *err)
{
	/* one byte past the cap is enough to refuse it */
	struct span a = { tag,
		tag != NULL ? strnlen(tag, NAME_MAX_LEN + 1) : 0 };
	char *name = valid_name(a, TAG_EXTRA);

	if (name == NULL)
		return error_set(err, ERR_USAGE, "%s", COMMAND_TAG_ERROR);
	free(name);
	return 0;
}

/* The next word of *a (separated by blanks or commas); advances *a. */
static struct span
next_word(struct span *a)
{
	struct span w;

	while (a->len > 0 && (a->s[0] == ' ' || a->s[0] == '\t' ||
				 a->s[0] == ',' || a->s[0] == '-')) {
		a->s++;
		a->len--;
	}
	w.s = a->s;
	w.len = 0;
	while (w.len < a->len && w.s[w.len] != ' ' && w.s[w.len] != '\t' &&
	       w.s[w.len] != ',' && w.s[w.len] != '-')
		w.len++;
	a->s += w.len;
	a->len -= w.len;
	return w;
}

/* Parse "budget need" or "budget-need" into a dimension mask. */
static const char *
parse_dims(struct span a, unsigned *dims_r)
{
	unsigned dims = 0;
	struct span w;

	while ((w = next_word(&a)).len > 0) {
		char word[16];
		enum dim d;
		int r;

		if (w.len >= sizeof(word))
			return "#qualify takes budget authority need timeline";
		for (size_t i = 0; i < w.len; i++)
			word[i] = (char)tolower((unsigned char)w.s[i]);
		word[w.len] = '\0';
		r = dim_parse(word, &d);
		if (r < 0 || d == DIM_FIT)
			return "#qualify takes budget authority need timeline";
		if (dims & (1u << d))
			return "#qualify names a dimension twice";
		dims |= 1u << d;
	}
	*dims_r = dims;
	return NULL;
}

static const char *
parse_level(struct span a, enum priority *p_r)
{
	char word[16];
	int r;

	if (a.len == 0 || a.len >= sizeof(word))
		return "#priority needs one of low normal high urgent";
	for (size_t i = 0; i < a.len; i++)
		word[i] = (char)tolower((unsigned char)a.s[i]);
	word[a.len] = '\0';
	r = priority_parse(word, p_r);
	if (r < 0)
		return "#priority needs one of low normal high urgent";
	return NULL;
}

#define UNTIL_ERROR \
	"takes nothing, a duration (3d, 4h) or a date (2026-12-24, " \
	"2026-12-24T09:00)"

/* "#wait 3d", "#away 2026-12-24": nothing, or one time (command_until). */
static const char *
parse_until(struct span a, const char *name, char **arg_r)
{
	int64_t at;
	char *t;

	if (a.len == 0)
		return NULL;
	t = xstrndup(a.s, a.len);
	if (a.len > 32 || command_until(t, 0, &at) < 0) {
		free(t);
		return strcmp(name, "wait") == 0 ? "#wait " UNTIL_ERROR :
						   "#away " UNTIL_ERROR;
	}
	*arg_r = t;
	return NULL;
}

/* "#merge 123" or "#merge #123": the ticket number, as digits. */
static const char *
parse_id(struct span a, char **arg_r)
{
	int64_t id;

	if (a.len > 0 && a.s[0] == '#') {
		a.s++;
		a.len--;
	}
	if (command_ticket_id(a.s, a.len, &id) < 0)
		return "#merge needs the number of the ticket to merge into";
	*arg_r = xstrndup(a.s, a.len);
	return NULL;
}

int
command_until(const char *s, int64_t now, int64_t *at_r)
{
	struct tm tm = { 0 };
	int64_t secs;
	const char *end;

	if (s == NULL || *s == '\0')
		return -1;
	if (conf_duration(s, &secs) == 0 && secs > 0) {
		*at_r = now + secs;
		return 0;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == 'T')
		end = strptime(end + 1, "%H:%M", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*at_r = (int64_t)timegm(&tm);
	return 0;
}

/*
 * Check the arguments of commands[ci] and append the command, or an
 * error.  Shared by text lines and address tags.
 */
static void
add_checked(struct command_list *list, size_t ci, struct span args,
    unsigned line, struct span source)
{
	const char *why = NULL;
	enum priority prio = PRIO_UNSET;
	unsigned dims = 0;
	char *arg = NULL, msg[128];
	struct command *c;

	switch (commands[ci].args) {
	case ARGS_NONE:
		if (args.len > 0) {
			snprintf(msg, sizeof(msg), "#%s takes no arguments",
			    commands[ci].name);
			why = msg;
		}
		break;
	case ARGS_NAME:
		arg = valid_name(args,
		    commands[ci].kind == CMD_TAG ? TAG_EXTRA : "_-");
		if (arg == NULL && commands[ci].kind == CMD_TAG)
			why = COMMAND_TAG_ERROR;
		else if (arg == NULL)
			why = "#route needs one route name (letters, digits, "
			      "- _)";
		break;
	case ARGS_TEXT:
		if (args.len == 0 || args.len > TEXT_MAX_LEN) {
			snprintf(msg, sizeof(msg),
			    "#%s needs text (at most "
			    "%d bytes)",
			    commands[ci].name, TEXT_MAX_LEN);
			why = msg;
		} else {
			arg = xstrndup(args.s, args.len);
		}
		break;
	case ARGS_DIMS:
		why = parse_dims(args, &dims);
		break;
	case ARGS_LEVEL:
		why = parse_level(args, &prio);
		break;
	case ARGS_UNTIL:
		why = parse_until(args, commands[ci].name, &arg);
		break;
	case ARGS_ID:
		why = parse_id(args, &arg);
		break;
	}
	if (why != NULL) {
		free(arg);
		add_error(list, line, source, why);
		return;
	}
	c = add_command(list, commands[ci].kind, line, source);
	c->arg = arg;
	c->priority = prio;
	c->dims = dims;
}

struct command_list *
command_list_new(void)
{
	return xcalloc(1, sizeof(struct command_list));
}

/* Why a command line is refused where it stands (see command.h). */
#define INDENTED_ERROR \
	"indented, so it may be quoted text: not applied (write each " \
	"command at the start of its own line)"
#define BELOW_ERROR \
	"below quoted text, so it may be quoted: commands count only above " \
	"the first quoted or forwarded message"
#define DIFFER_ERROR \
	"the HTML and plain-text versions of this mail differ in their " \
	"commands (hidden or quoted text?): not applied"

void
command_parse_text(struct command_list *list, const char *text)
{
	const char *p = text;
	unsigned lineno = 0;

	if (text == NULL)
		return;
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		struct span line, args;
		size_t ci;

		line.s = p;
		line.len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (!match_line(line, &ci, &args))
			; /* text */
		else if (space_at(line.s, line.len) > 0)
			add_error(list, lineno, trim(line), INDENTED_ERROR);
		else
			add_checked(list, ci, args, lineno, trim(line));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* One '+'-tag of a shared address: "claim", "route-support", "support". */
static void
parse_tag(struct command_list *list, struct span tag, struct span source)
{
	for (size_t i = 0; i < NELEM(commands); i++) {
		size_t n = strlen(commands[i].name);
		struct span args;

		if (tag.len < n || strncasecmp(tag.s, commands[i].name, n) != 0)
			continue;
		if (tag.len > n && tag.s[n] != '-')
			continue;
		if (commands[i].kind == CMD_NOTE) {
			add_error(list, 0, source,
			    "#note needs text and has no address form");
			return;
		}
		args.s = tag.s + n + (tag.len > n);
		args.len = tag.len - n - (tag.len > n);
		if (tag.len > n && args.len == 0) {
			add_error(list, 0, source, "empty argument after '-'");
			return;
		}
		add_checked(list, i, args, 0, source);
		return;
	}
	/* any other word names a route: community+support@ */
	add_checked(list, command_index(CMD_ROUTE), tag, 0, source);
}

/* Append the tags of one address if it is a shared mailbox's. */
static void
parse_address(struct command_list *list, const char *const *shared,
    size_t n_shared, const char *addr)
{
	const char *plus = NULL, *at = strrchr(addr, '@');
	struct span source = { addr, strlen(addr) }, tags;

	if (at == NULL)
		return;
	/* the shared address's local part, then '+': it may hold a '+' */
	for (size_t i = 0; i < n_shared && plus == NULL; i++) {
		const char *sat = strrchr(shared[i], '@');
		size_t local;

		if (sat == NULL)
			continue;
		local = (size_t)(sat - shared[i]);
		if (local < (size_t)(at - addr) && addr[local] == '+' &&
		    strncasecmp(shared[i], addr, local) == 0 &&
		    strcasecmp(sat, at) == 0)
			plus = addr + local;
	}
	if (plus == NULL)
		return;
	tags.s = plus + 1;
	tags.len = (size_t)(at - tags.s);
	while (tags.len > 0) {
		struct span t = { tags.s, 0 };

		while (t.len < tags.len && t.s[t.len] != '+')
			t.len++;
		if (t.len > 0)
			parse_tag(list, t, source);
		tags.s += t.len;
		tags.len -= t.len;
		if (tags.len > 0) {
			tags.s++;
			tags.len--;
		}
	}
}

void
command_parse_addresses(struct command_list *list, const char *const *shared,
    size_t n_shared, const struct msg_addrs *to, const struct msg_addrs *cc)
{
	const struct msg_addrs *sets[2] = { to, cc };

	for (size_t s = 0; s < 2; s++) {
		if (sets[s] == NULL)
			continue;
		for (size_t i = 0; i < sets[s]->n; i++) {
			if (sets[s]->v[i].addr != NULL)
				parse_address(list, shared, n_shared,
				    sets[s]->v[i].addr);
		}
	}
}

/*
 * A text command is a line starting with '#': a mail with no '#' in its
 * text can have none, and finding the new text of a reply (HTML parsed
 * again) is most of what parsing costs.
 */
static int
may_hold_commands(const struct msg *m)
{
	return (m->text != NULL && strchr(m->text, '#') != NULL) ||
	       (m->html != NULL &&
		   html_text_may_hold(m->html, strlen(m->html), '#'));
}

void
command_parse_zone(struct command_list *list, const char *zone,
    const char *below)
{
	unsigned lineno = 0;
	const char *p;

	command_parse_text(list, zone);
	for (p = zone != NULL ? zone : ""; *p != '\0'; p++)
		lineno += *p == '\n';
	lineno += zone != NULL && zone[0] != '\0';
	for (p = below; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		struct span line = { p,
			nl != NULL ? (size_t)(nl - p) : strlen(p) },
			    args;
		size_t ci;

		lineno++;
		if (match_line(line, &ci, &args))
			add_error(list, lineno, trim(line), BELOW_ERROR);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Move the commands and errors of *from to the end of list. */
static void
list_take(struct command_list *list, struct command_list **from)
{
	struct command_list *f = *from;

	list->v = xreallocarray(list->v, list->n + f->n + 1, sizeof(*list->v));
	if (f->n > 0)
		memcpy(list->v + list->n, f->v, f->n * sizeof(*f->v));
	list->n += f->n;
	list->errors = xreallocarray(list->errors,
	    list->n_errors + f->n_errors + 1, sizeof(*list->errors));
	if (f->n_errors > 0)
		memcpy(list->errors + list->n_errors, f->errors,
		    f->n_errors * sizeof(*f->errors));
	list->n_errors += f->n_errors;
	f->n = f->n_errors = 0;
	command_list_free(from);
}

/* The first command of a that b lacks (same place, same form), or NULL. */
static const struct command *
first_missing(const struct command_list *a, const struct command_list *b)
{
	for (size_t i = 0; i < a->n; i++) {
		char *x = command_format(&a->v[i]), *y = NULL;
		int same =
		    i < b->n && strcmp(x, y = command_format(&b->v[i])) == 0;

		free(x);
		free(y);
		if (!same)
			return &a->v[i];
	}
	return NULL;
}

/*
 * The commands of the text reading, or of the HTML reading when the mail
 * has one (what a reader sees); when both are there and their commands
 * differ, the mail's structure is ambiguous: an error says so.
 */
static void
parse_readings(struct command_list *list, const struct msg *m)
{
	struct command_list *html = NULL, *text = command_list_new();
	const struct command *c;
	char *zone, *below;
	struct error herr = { 0 };

	reply_zone_plain(m->text, m->text != NULL ? strlen(m->text) : 0, &zone,
	    &below);
	command_parse_zone(text, zone, below);
	free(zone);
	free(below);
	if (m->html != NULL && m->html[0] != '\0' &&
	    reply_zone_html(m->html, strlen(m->html), &zone, &below, &herr) ==
		0) {
		html = command_list_new();
		command_parse_zone(html, zone, below);
		free(zone);
		free(below);
	}
	if (html == NULL) {
		list_take(list, &text);
		return;
	}
	if (m->text != NULL && m->text[0] != '\0' &&
	    ((c = first_missing(html, text)) != NULL ||
		(c = first_missing(text, html)) != NULL))
		add_error(html, c->line,
		    (struct span){ c->source, strlen(c->source) },
		    DIFFER_ERROR);
	command_list_free(&text);
	list_take(list, &html);
}

int
command_parse_msg(struct command_list *list, const struct msg *m,
    const char *const *shared, size_t n_shared, struct error *err)
{
	if (m == NULL)
		return error_set(err, ERR_USAGE,
		    "command_parse_msg: no message");
	command_parse_addresses(list, shared, n_shared, &m->to, &m->cc);
	if (may_hold_commands(m))
		parse_readings(list, m);
	return 0;
}

void
command_list_free(struct command_list **listp)
{
	struct command_list *list;

	if (listp == NULL || *listp == NULL)
		return;
	list = *listp;
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].arg);
		free(list->v[i].source);
	}
	for (size_t i = 0; i < list->n_errors; i++) {
		free(list->errors[i].source);
		free(list->errors[i].msg);
	}
	free(list->v);
	free(list->errors);
	free(list);
	*listp = NULL;
}

char *
command_format(const struct command *c)
{
	struct buf b;

	/* arguments are bounded (TEXT_MAX_LEN), so the cap is never hit */
	buf_init(&b, TEXT_MAX_LEN + 128);
	(void)buf_printf(&b, "#%s", command_name(c->kind));
	if (c->arg != NULL)
		(void)buf_printf(&b, " %s", c->arg);
	if (c->kind == CMD_PRIORITY)
		(void)buf_printf(&b, " %s", priority_name(c->priority));
	for (int d = 0; c->kind == CMD_QUALIFY && d < DIM_COUNT; d++) {
		if (c->dims & (1u << d))
			(void)buf_printf(&b, " %s", dim_name((enum dim)d));
	}
	return buf_steal(&b);
}

char *
command_format_errors(const struct command_list *list)
{
	struct buf b;

	/* 64 KB of error text is plenty; past it the rest is cut */
	buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < list->n_errors; i++) {
		const struct command_error *e = &list->errors[i];
		int r;

		if (e->line > 0)
			r = buf_printf(&b, "line %u: \"%.200s\": %s\n", e->line,
			    e->source, e->msg);
		else
			r = buf_printf(&b, "address %.200s: %s\n", e->source,
			    e->msg);
		if (r < 0)
			break;
	}
	return buf_steal(&b);
}

int
command_ticket_id(const char *s, size_t len, int64_t *id_r)
{
	int64_t id = 0;

	if (len == 0 || len > COMMAND_TICKET_DIGITS)
		return -1;
	/* at most 18 digits: id stays below 10^18 < INT64_MAX */
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		id = id * 10 + (s[i] - '0');
	}
	if (id == 0)
		return -1;
	*id_r = id;
	return 0;
}

int
command_subject_ticket(const char *subject, int64_t *id_r)
{
	const char *p = subject;

	if (subject == NULL)
		return 0;
	while ((p = strstr(p, "[#")) != NULL) {
		size_t n = 0;
		int r;

		p += 2;
		/* one digit past the cap is enough to refuse the token */
		while (n <= COMMAND_TICKET_DIGITS && p[n] >= '0' && p[n] <= '9')
			n++;
		if (p[n] != ']')
			continue;
		r = command_ticket_id(p, n, id_r);
		if (r == 0)
			return 1;
	}
	return 0;
}

/*
 * Is this one line (no newline; quoted lines count after their '>'
 * markers) a command line, valid or not?
 */
static int
command_is_line(const char *line, size_t len)
{
	struct span t = { line, len }, args;
	size_t ci;

	t = trim(t);
	while (t.len > 0 && t.s[0] == '>') {
		t.s++;
		t.len--;
		t = trim(t);
	}
	return match_line(t, &ci, &args);
}

char *
command_strip(const char *text)
{
	struct buf b;
	const char *p = text;

	if (text == NULL)
		return xstrdup("");
	buf_init(&b, strlen(text) + 1);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		/* the cap is the input length: these appends cannot fail */
		if (!command_is_line(p, len))
			(void)buf_add(&b, p, len + (nl != NULL));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return buf_steal(&b);
}
