/*
 * The rule-file parser and checker: one file's lines into rules, every
 * pattern compiled (PCRE2, JIT).  It goes on after every problem, so
 * `triage rules check` can report all of them at once (isync config.c
 * style); rules.c throws away a set that had any.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules-private.h"
#include "buf.h"
#include "xalloc.h"

#define SCORE_MAX 100

#define perr(p, col, ...) \
	rules_problem_add((p)->probs, (p)->path, (p)->lineno, (col), \
	    __VA_ARGS__)

/* ---- lexing ---- */

static int
col_of(const struct rules_parser *p, const char *s)
{
	return (int)(s - p->line) + 1;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
}

/* Copy the word at *sp (up to whitespace) and advance past it. */
static char *
word(const char **sp)
{
	const char *s = *sp, *e = s;

	while (*e != '\0' && *e != ' ' && *e != '\t')
		e++;
	*sp = e;
	return xstrndup(s, (size_t)(e - s));
}

/* Report trailing text; returns -1 if there is any. */
static int
expect_end(struct rules_parser *p, const char *s)
{
	s = skip_space(s);
	if (*s == '\0')
		return 0;
	perr(p, col_of(p, s), "unexpected text '%s'", s);
	return -1;
}

/* A name (rule, queue, route): returns NULL after reporting a problem. */
static char *
name_arg(struct rules_parser *p, const char **sp, const char *what)
{
	const char *s = skip_space(*sp), *e = s;

	while (is_name_char((unsigned char)*e))
		e++;
	if (e == s) {
		perr(p, col_of(p, s), "expected %s name", what);
		return NULL;
	}
	if (*e != '\0' && *e != ' ' && *e != '\t') {
		perr(p, col_of(p, e), "bad character '%c' in %s name", *e,
		    what);
		return NULL;
	}
	*sp = e;
	return xstrndup(s, (size_t)(e - s));
}

/* "quoted string" with \" and \\ escapes; NULL after a problem. */
static char *
quoted(struct rules_parser *p, const char **sp)
{
	const char *s = *sp;
	struct buf b;

	buf_init(&b, 4096);
	for (s++; *s != '"'; s++) {
		if (*s == '\0') {
			perr(p, col_of(p, *sp), "unterminated string");
			buf_free(&b);
			return NULL;
		}
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		if (buf_add(&b, s, 1) < 0) {
			perr(p, col_of(p, *sp), "string too long");
			buf_free(&b);
			return NULL;
		}
	}
	*sp = s + 1;
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* ---- conditions ---- */

static const struct rules_target_def *
target_find(const char *name, enum rules_target *t_r)
{
	for (int i = 0; i < RT_COUNT; i++) {
		if (strcmp(rules_targets[i].name, name) == 0) {
			*t_r = (enum rules_target)i;
			return &rules_targets[i];
		}
	}
	return NULL;
}

static unsigned
flag_bit(int c)
{
	switch (c) {
	case 'i':
		return RF_I;
	case 'm':
		return RF_M;
	case 's':
		return RF_S;
	case 'x':
		return RF_X;
	case 'u':
		return RF_U;
	default:
		return 0;
	}
}

/*
 * The source column of `off`, an offset in the pattern PCRE2 saw, where
 * each "\/" of the source became "/".
 */
static int
pattern_col(const char *src, size_t off, int col0)
{
	size_t i = 0, o = 0;

	while (o < off && src[i] != '\0') {
		if (src[i] == '\\' && src[i + 1] == '/')
			i++;
		i++;
		o++;
	}
	return col0 + (int)i;
}

static int
compile_pattern(struct rules_parser *p, struct rules_cond *c, const char *src,
    int col0)
{
	uint32_t opts = 0, n = 0, minlen = 0;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];
	int errcode;

	if (c->flags & RF_I)
		opts |= PCRE2_CASELESS;
	if (c->flags & RF_M)
		opts |= PCRE2_MULTILINE;
	if (c->flags & RF_S)
		opts |= PCRE2_DOTALL;
	if (c->flags & RF_X)
		opts |= PCRE2_EXTENDED;
	if (c->flags & RF_U)
		opts |= PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	/* the prefilter may tell a match where its start can lie */
	opts |= PCRE2_USE_OFFSET_LIMIT;
	c->re = pcre2_compile((PCRE2_SPTR)c->pattern, PCRE2_ZERO_TERMINATED,
	    opts, &errcode, &erroff, NULL);
	if (c->re == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		perr(p, pattern_col(src, erroff, col0),
		    "bad regex: %s at offset %zu in pattern", (char *)msg,
		    (size_t)erroff);
		return -1;
	}
	/* Without JIT support pcre2_match() uses the interpreter. */
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &n);
	pcre2_pattern_info(c->re, PCRE2_INFO_MINLENGTH, &minlen);
	c->groups = n;
	c->can_be_empty = minlen == 0;
	if (n > p->rs->max_groups)
		p->rs->max_groups = n;
	return 0;
}

/* "/pattern/flags" at *sp; fills c->pattern, c->flags, c->re. */
static int
regex_arg(struct rules_parser *p, struct rules_cond *c, const char **sp)
{
	const char *s = skip_space(*sp), *src;
	struct buf b;
	int r = -1, col0;

	if (*s != '/') {
		perr(p, col_of(p, s), "expected /pattern/ after '%s'",
		    rules_targets[c->target].name);
		return -1;
	}
	src = ++s;
	col0 = col_of(p, src);
	buf_init(&b, RULES_FILE_MAX);
	for (; *s != '/'; s++) {
		if (*s == '\0') {
			perr(p, col0 - 1,
			    "unterminated regex (a '/' inside "
			    "the pattern is written '\\/')");
			goto out;
		}
		if (*s == '\\' && s[1] == '/')
			s++;
		else if (*s == '\\' && s[1] != '\0')
			(void)buf_add(&b, s++, 1);
		(void)buf_add(&b, s, 1);
	}
	for (s++; *s != '\0' && *s != ' ' && *s != '\t'; s++) {
		unsigned bit = flag_bit((unsigned char)*s);

		if (bit == 0) {
			perr(p, col_of(p, s),
			    "unknown regex flag '%c' "
			    "(flags are i m s x u)",
			    *s);
			goto out;
		}
		c->flags |= bit;
	}
	*sp = s;
	c->pattern = b.data != NULL ? buf_steal(&b) : xstrdup("");
	if (expect_end(p, s) < 0)
		goto out;
	r = compile_pattern(p, c, src, col0);
out:
	buf_free(&b);
	return r;
}

/* Where the next condition goes: the innermost any group, or the rule. */
static struct rules_cond *
cond_slot(struct rules_parser *p)
{
	struct rules_cond **v;
	size_t *n;

	if (p->depth > 0) {
		v = &p->open[p->depth - 1]->kids;
		n = &p->open[p->depth - 1]->n_kids;
	} else {
		v = &p->rule->conds;
		n = &p->rule->n_conds;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

/* Undo cond_slot() after a problem, so nothing half-built is matched. */
static void
cond_drop(struct rules_parser *p)
{
	struct rules_cond *v;
	size_t *n;

	if (p->depth > 0) {
		v = p->open[p->depth - 1]->kids;
		n = &p->open[p->depth - 1]->n_kids;
	} else {
		v = p->rule->conds;
		n = &p->rule->n_conds;
	}
	rules_cond_clear(&v[--(*n)]);
}

static void
parse_any(struct rules_parser *p, const char *kw, const char *s, int negate)
{
	struct rules_cond *c;

	if (negate) {
		perr(p, col_of(p, kw),
		    "'not any' is not supported: "
		    "write 'not' before each condition instead");
		return;
	}
	if (expect_end(p, s) < 0)
		return;
	if (p->depth == RULES_MAX_DEPTH) {
		perr(p, col_of(p, kw), "'any' nested deeper than %d",
		    RULES_MAX_DEPTH);
		return;
	}
	c = cond_slot(p);
	c->kind = COND_ANY;
	c->line = p->lineno;
	c->col = col_of(p, kw);
	c->text = xstrdup("any");
	p->open_line[p->depth] = p->lineno;
	p->open[p->depth++] = c;
}

static void
parse_end(struct rules_parser *p, const char *kw, const char *s)
{
	struct rules_cond *c;

	if (p->depth == 0) {
		perr(p, col_of(p, kw), "'end' without 'any'");
		return;
	}
	(void)expect_end(p, s);
	c = p->open[--p->depth];
	if (c->n_kids == 0)
		rules_problem_add(p->probs, p->path, c->line, c->col,
		    "empty 'any' group");
}

static void
parse_cond(struct rules_parser *p, const char *start, enum rules_target t,
    const char *s, int negate)
{
	struct rules_cond *c = cond_slot(p);
	const char *name = rules_targets[t].name;

	c->kind = COND_MATCH;
	c->negate = negate;
	c->target = t;
	c->line = p->lineno;
	c->col = col_of(p, start);
	c->text = xstrdup(start);
	if (rules_targets[t].takes_arg) {
		c->arg = name_arg(p, &s, "header");
		if (c->arg == NULL)
			goto bad;
		xasprintf(&c->label, "%s%s %s", negate ? "not " : "", name,
		    c->arg);
	} else {
		xasprintf(&c->label, "%s%s", negate ? "not " : "", name);
	}
	if (regex_arg(p, c, &s) < 0)
		goto bad;
	return;
bad:
	cond_drop(p);
}

/* ---- actions ---- */

static struct rules_action *
act_add(struct rules_parser *p, enum action_kind kind)
{
	struct rules_rule *r = p->rule;
	struct rules_action *a;

	r->acts = xreallocarray(r->acts, r->n_acts + 1, sizeof(*r->acts));
	a = &r->acts[r->n_acts++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->line = p->lineno;
	return a;
}

static int
known(const struct rules_names *names, int queue, const char *name)
{
	int (*fn)(void *, const char *);

	if (names == NULL)
		return 1;
	fn = queue ? names->has_queue : names->has_route;
	return fn == NULL || fn(names->arg, name);
}

static void
parse_named(struct rules_parser *p, enum action_kind kind, const char *s)
{
	const char *at = skip_space(s);
	int is_queue = kind == ACT_QUEUE;
	char *name = name_arg(p, &s, is_queue ? "queue" : "route");
	const char *near;

	if (name == NULL)
		return;
	if (expect_end(p, s) < 0) {
		free(name);
		return;
	}
	if (!known(p->names, is_queue, name)) {
		near = p->names->closest != NULL ?
			   p->names->closest(p->names->arg, is_queue, name) :
			   NULL;
		perr(p, col_of(p, at), "unknown %s '%s'%s%s%s",
		    is_queue ? "queue" : "route", name,
		    near != NULL ? " (did you mean '" : "",
		    near != NULL ? near : "", near != NULL ? "'?)" : "");
		free(name);
		return;
	}
	act_add(p, kind)->arg = name;
}

static void
parse_priority(struct rules_parser *p, const char *s)
{
	const char *at = skip_space(s);
	enum priority prio;
	char *w;

	s = at;
	w = word(&s);
	if (priority_parse(w, &prio) < 0) {
		perr(p, col_of(p, at),
		    "unknown priority '%s' "
		    "(low normal high urgent)",
		    w);
	} else if (expect_end(p, s) == 0) {
		act_add(p, ACT_PRIORITY)->prio = prio;
	}
	free(w);
}

static void
parse_score(struct rules_parser *p, const char *kw, const char *s)
{
	const char *at = skip_space(s), *nat;
	char *w, *end;
	enum dim d;
	long n;
	struct rules_action *a;

	s = at;
	w = word(&s);
	if (*w == '\0') {
		perr(p, col_of(p, kw), "expected 'score DIM +N'");
		free(w);
		return;
	}
	if (dim_parse(w, &d) < 0) {
		perr(p, col_of(p, at),
		    "unknown BANT dimension '%s' "
		    "(budget authority need timeline fit)",
		    w);
		free(w);
		return;
	}
	free(w);
	nat = skip_space(s);
	errno = 0;
	n = strtol(nat, &end, 10);
	if (end == nat || (*end != '\0' && *end != ' ' && *end != '\t') ||
	    errno != 0 || n < -SCORE_MAX || n > SCORE_MAX) {
		perr(p, col_of(p, nat), "expected a score from %d to +%d",
		    -SCORE_MAX, SCORE_MAX);
		return;
	}
	if (expect_end(p, end) < 0)
		return;
	a = act_add(p, ACT_SCORE);
	a->dim = d;
	a->n = (int)n;
}

/* The highest $N in a tag template and where it is; 0 when none. */
static int
tag_max_group(const char *t, const char **at_r)
{
	int max = 0;

	for (const char *s = t; *s != '\0'; s++) {
		if (s[0] == '$' && s[1] >= '1' && s[1] <= '9' &&
		    s[1] - '0' > max) {
			max = s[1] - '0';
			*at_r = s;
		}
	}
	return max;
}

static void
parse_tag(struct rules_parser *p, const char *kw, const char *s)
{
	const char *at = skip_space(s);
	struct rules_action *a;
	char *w;

	s = at;
	w = word(&s);
	if (*w == '\0') {
		perr(p, col_of(p, kw), "expected a tag");
		free(w);
		return;
	}
	if (expect_end(p, s) < 0) {
		free(w);
		return;
	}
	a = act_add(p, ACT_TAG);
	a->arg = w;
	a->n = col_of(p, at); /* column, for the $N check at rule end */
}

static void
parse_ignore(struct rules_parser *p, const char *s)
{
	const char *at = skip_space(s);
	char *reason;

	if (*at == '"') {
		s = at;
		reason = quoted(p, &s);
		if (reason == NULL)
			return;
		if (expect_end(p, s) < 0) {
			free(reason);
			return;
		}
	} else if (*at == '\0') {
		reason = xstrdup(p->rule->name);
	} else {
		reason = xstrdup(at);
	}
	act_add(p, ACT_IGNORE)->arg = reason;
}

/* ---- lines ---- */

/*
 * The first positive condition with fewer than n groups (any condition
 * that matches last may supply $N), or NULL; *any_r is set when some
 * positive condition has groups at all.
 */
static const struct rules_cond *
short_capture(const struct rules_cond *v, size_t n_v, unsigned n, int *any_r)
{
	const struct rules_cond *c;

	for (size_t i = 0; i < n_v; i++) {
		if (v[i].kind == COND_ANY) {
			c = short_capture(v[i].kids, v[i].n_kids, n, any_r);
			if (c != NULL)
				return c;
		} else if (!v[i].negate && v[i].groups > 0) {
			*any_r = 1;
			if (v[i].groups < n)
				return &v[i];
		}
	}
	return NULL;
}

static void
check_tags(struct rules_parser *p, struct rules_rule *r)
{
	const struct rules_cond *c;
	const char *at = NULL;
	int n, any;

	for (size_t i = 0; i < r->n_acts; i++) {
		const struct rules_action *a = &r->acts[i];

		if (a->kind != ACT_TAG)
			continue;
		n = tag_max_group(a->arg, &at);
		if (n == 0)
			continue;
		r->tag_caps = 1;
		any = 0;
		c = short_capture(r->conds, r->n_conds, (unsigned)n, &any);
		p->lineno = a->line;
		if (!any)
			perr(p, a->n + (int)(at - a->arg),
			    "tag uses $%d but "
			    "no condition of rule '%s' has a capturing group",
			    n, r->name);
		else if (c != NULL)
			perr(p, a->n + (int)(at - a->arg),
			    "tag uses $%d but "
			    "the pattern on line %d has %u group%s",
			    n, c->line, c->groups, c->groups == 1 ? "" : "s");
	}
}

/* At the end of a rule: what is missing or inconsistent in it. */
static void
rule_finish(struct rules_parser *p)
{
	struct rules_rule *r = p->rule;
	int save = p->lineno, clean;

	if (r == NULL)
		return;
	for (; p->depth > 0; p->depth--) {
		p->lineno = p->open_line[p->depth - 1];
		perr(p, p->open[p->depth - 1]->col, "'any' without 'end'");
	}
	p->lineno = r->line;
	/* A rule whose only condition was bad already has its problem. */
	clean = p->probs->n == p->rule_probs;
	if (r->n_conds == 0 && clean)
		perr(p, 1, "rule '%s' has no condition", r->name);
	if (r->n_acts == 0 && clean)
		perr(p, 1, "rule '%s' has no action", r->name);
	check_tags(p, r);
	p->lineno = save;
	p->rule = NULL;
}

static void
parse_rule_line(struct rules_parser *p, const char *s)
{
	struct rules *rs = p->rs;
	struct rules_rule *r;
	const char *at;
	char *name, *desc = NULL;

	rule_finish(p);
	at = skip_space(s);
	name = name_arg(p, &s, "rule");
	if (name == NULL)
		return;
	s = skip_space(s);
	if (*s == '"') {
		desc = quoted(p, &s);
		if (desc == NULL) {
			free(name);
			return;
		}
	}
	if (expect_end(p, s) < 0) {
		free(name);
		free(desc);
		return;
	}
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->v[i].name, name) == 0) {
			perr(p, col_of(p, at),
			    "duplicate rule name '%s' "
			    "(first defined at %s:%d)",
			    name, rs->v[i].file, rs->v[i].line);
			break;
		}
	}
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->desc = desc;
	r->file = xstrdup(p->base);
	r->line = p->lineno;
	p->rule = r;
	p->rule_probs = p->probs->n;
}

static void
parse_action(struct rules_parser *p, const char *kw, const char *w,
    const char *s)
{
	if (strcmp(w, "queue") == 0)
		parse_named(p, ACT_QUEUE, s);
	else if (strcmp(w, "route") == 0)
		parse_named(p, ACT_ROUTE, s);
	else if (strcmp(w, "priority") == 0)
		parse_priority(p, s);
	else if (strcmp(w, "score") == 0)
		parse_score(p, kw, s);
	else if (strcmp(w, "tag") == 0)
		parse_tag(p, kw, s);
	else if (strcmp(w, "ignore") == 0)
		parse_ignore(p, s);
	else if (expect_end(p, s) == 0)
		act_add(p, ACT_STOP);
}

static int
is_action(const char *w)
{
	static const char *const acts[] = { "queue", "priority", "tag", "score",
		"route", "ignore", "stop" };

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (strcmp(w, acts[i]) == 0)
			return 1;
	}
	return 0;
}

static void
parse_indented(struct rules_parser *p, const char *start)
{
	const char *s = start, *kw = start;
	enum rules_target t;
	int negate = 0;
	char *w = word(&s);

	if (strcmp(w, "not") == 0) {
		negate = 1;
		free(w);
		kw = skip_space(s);
		s = kw;
		w = word(&s);
	}
	if (p->rule == NULL) {
		perr(p, col_of(p, start),
		    "'%s' outside a rule "
		    "(a rule starts with 'rule NAME' in column 1)",
		    w);
	} else if (strcmp(w, "any") == 0) {
		parse_any(p, kw, s, negate);
	} else if (strcmp(w, "end") == 0 && !negate) {
		parse_end(p, kw, s);
	} else if (target_find(w, &t) != NULL) {
		parse_cond(p, start, t, s, negate);
	} else if (is_action(w) && !negate) {
		if (p->depth > 0)
			perr(p, col_of(p, kw),
			    "action '%s' inside 'any' "
			    "(missing 'end'?)",
			    w);
		else
			parse_action(p, kw, w, s);
	} else if (is_action(w)) {
		perr(p, col_of(p, kw), "'not' before action '%s'", w);
	} else {
		perr(p, col_of(p, kw), "unknown keyword '%s'", w);
	}
	free(w);
}

static void
parse_line(struct rules_parser *p, const char *line)
{
	const char *s = skip_space(line);
	char *w;

	p->line = line;
	if (*s == '\0' || *s == '#')
		return;
	if (s != line) {
		parse_indented(p, s);
		return;
	}
	w = word(&s);
	if (strcmp(w, "rule") == 0)
		parse_rule_line(p, s);
	else
		perr(p, 1,
		    "unknown keyword '%s' (expected 'rule NAME', "
		    "conditions and actions indented)",
		    w);
	free(w);
}

void
rules_parse_text(struct rules_parser *p, const char *text)
{
	const char *s = text, *nl;
	char *line;
	size_t len;

	p->lineno = 0;
	p->rule = NULL;
	p->depth = 0;
	while (*s != '\0') {
		nl = strchr(s, '\n');
		len = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		line = xstrndup(s, len);
		p->lineno++;
		parse_line(p, line);
		free(line);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	rule_finish(p);
}
