/* Key accounts from accounts.csv; see accounts.h. */
#include "accounts.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "rules.h"
#include "xalloc.h"

#define ACCOUNTS_MAX_FILE (16u * 1024 * 1024)
#define ACCOUNTS_MAX_FIELD 1024
#define ACCOUNTS_MAX_FIELDS 64
#define DOMAIN_MAX 253

enum column {
	COL_DOMAIN,
	COL_ACCOUNT,
	COL_TIER,
	COL_OWNER,
	COL_COUNT
};

static const char *const column_names[COL_COUNT] = { "domain", "account",
	"tier", "owner" };
static const char *const tier_names[TIER_COUNT] = { "strategic", "key",
	"standard" };
/* Strategic accounts jump the queue; standard ones start like anyone. */
static const enum priority tier_priorities[TIER_COUNT] = { PRIO_URGENT,
	PRIO_HIGH, PRIO_NORMAL };

struct account_row {
	struct account pub; /* its strings point at the fields below */
	char *domain;	    /* owned */
	char *name;	    /* owned */
	char *owner;	    /* owned, NULL when empty */
};

struct accounts {
	struct account_row *rows; /* owned, sorted by domain */
	size_t n;
};

/* One CSV record being read: fields are owned by it. */
struct record {
	char *fields[ACCOUNTS_MAX_FIELDS];
	size_t n;
};

struct parser {
	const char *name;
	const char *p, *end;
	int line; /* line the cursor is on */
	int header_line;
	int col[COL_COUNT]; /* field index of each column; -1 missing */
	size_t n_cols;	    /* fields per record, from the header */
	struct accounts_errors *errs;
	size_t errs_before;
	struct account_row *rows;
	size_t n, alloc;
};

static void add_error(struct parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_error(struct parser *ps, int line, const char *fmt, ...)
{
	struct accounts_errors *e = ps->errs;
	char *msg, *full;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (line > 0)
		xasprintf(&full, "%s:%d: %s", ps->name, line,
		    msg != NULL ? msg : "?");
	else
		xasprintf(&full, "%s: %s", ps->name, msg != NULL ? msg : "?");
	free(msg);
	e->v = xreallocarray(e->v, e->n + 1, sizeof(*e->v));
	e->v[e->n++] = full;
}

static void
record_clear(struct record *r)
{
	for (size_t i = 0; i < r->n; i++)
		xfree(&r->fields[i]);
	r->n = 0;
}

/* At end of a line (or of the input)?  Consumes the line break. */
static int
eat_eol(struct parser *ps)
{
	if (ps->p >= ps->end)
		return 1;
	if (*ps->p == '\n') {
		ps->p++;
		ps->line++;
		return 1;
	}
	if (*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n') {
		ps->p += 2;
		ps->line++;
		return 1;
	}
	return 0;
}

static void
skip_blanks(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

static int
field_add(struct buf *b, char c, const char **errmsg)
{
	if (buf_add(b, &c, 1) < 0) {
		*errmsg = "field too long";
		return -1;
	}
	return 0;
}

/* A quoted field: the cursor is on the opening quote. */
static int
read_quoted(struct parser *ps, struct buf *b, const char **errmsg)
{
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end) {
			*errmsg = "unterminated quoted field";
			return -1;
		}
		if (*ps->p == '"') {
			if (ps->p + 1 < ps->end && ps->p[1] == '"') {
				ps->p++;
			} else {
				ps->p++;
				return 0;
			}
		} else if (*ps->p == '\n') {
			ps->line++;
		}
		if (field_add(b, *ps->p, errmsg) < 0)
			return -1;
		ps->p++;
	}
}

/* An unquoted field, up to ',' or the end of the line; blanks trimmed. */
static int
read_plain(struct parser *ps, struct buf *b, const char **errmsg)
{
	while (ps->p < ps->end && *ps->p != ',' && *ps->p != '\n' &&
	       !(*ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n')) {
		if (*ps->p == '"') {
			*errmsg = "quote inside an unquoted field";
			return -1;
		}
		if (field_add(b, *ps->p, errmsg) < 0)
			return -1;
		ps->p++;
	}
	while (b->len > 0 &&
	       (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
		b->data[--b->len] = '\0';
	return 0;
}

/*
 * Read one record into *r.  Returns 0, or -1 with *errmsg set; after an
 * error the cursor is past the offending line so parsing can go on.
 */
static int
read_record(struct parser *ps, struct record *r, const char **errmsg)
{
	struct buf b;
	int ret = -1;

	buf_init(&b, ACCOUNTS_MAX_FIELD);
	for (;;) {
		buf_reset(&b);
		skip_blanks(ps);
		if (ps->p < ps->end && *ps->p == '"') {
			if (read_quoted(ps, &b, errmsg) < 0)
				goto out;
			skip_blanks(ps);
			if (ps->p < ps->end && *ps->p != ',' &&
			    *ps->p != '\n' && *ps->p != '\r') {
				*errmsg = "text after a closing quote";
				goto out;
			}
		} else if (read_plain(ps, &b, errmsg) < 0) {
			goto out;
		}
		if (r->n == ACCOUNTS_MAX_FIELDS) {
			*errmsg = "too many fields";
			goto out;
		}
		r->fields[r->n++] = xstrdup(b.data != NULL ? b.data : "");
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (eat_eol(ps))
			break;
		*errmsg = "stray carriage return";
		goto out;
	}
	ret = 0;
out:
	if (ret < 0) {
		while (ps->p < ps->end && !eat_eol(ps))
			ps->p++;
	}
	buf_free(&b);
	return ret;
}

/* Skip a comment or blank line; returns 1 if one was skipped. */
static int
skip_ignorable(struct parser *ps)
{
	const char *q = ps->p;

	if (q < ps->end && *q == '#') {
		while (ps->p < ps->end && !eat_eol(ps))
			ps->p++;
		return 1;
	}
	while (q < ps->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < ps->end && *q != '\n' &&
	    !(*q == '\r' && q + 1 < ps->end && q[1] == '\n'))
		return 0;
	ps->p = q;
	eat_eol(ps);
	return 1;
}

static void
parse_header(struct parser *ps, struct record *r, int line)
{
	ps->header_line = line;
	ps->n_cols = r->n;
	for (int c = 0; c < COL_COUNT; c++)
		ps->col[c] = -1;
	for (size_t i = 0; i < r->n; i++) {
		for (int c = 0; c < COL_COUNT; c++) {
			if (strcasecmp(r->fields[i], column_names[c]) != 0)
				continue;
			if (ps->col[c] >= 0)
				add_error(ps, line, "duplicate column \"%s\"",
				    column_names[c]);
			ps->col[c] = (int)i;
		}
	}
	for (int c = 0; c < COL_COUNT; c++) {
		if (ps->col[c] < 0)
			add_error(ps, line,
			    "missing column \"%s\" in the "
			    "header",
			    column_names[c]);
	}
}

/*
 * Lowercase `s` in place and strip a leading '@', "*." or '.'; returns
 * the domain, or NULL when it is not a plausible domain name.
 */
static char *
domain_normalise(char *s)
{
	char *d = s;
	size_t len;

	if (*d == '@')
		d++;
	else if (d[0] == '*' && d[1] == '.')
		d += 2;
	else if (*d == '.')
		d++;
	len = strlen(d);
	if (len == 0 || len > DOMAIN_MAX || d[len - 1] == '.')
		return NULL;
	for (char *p = d; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (*p == '.' && p[1] == '.')
			return NULL;
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return NULL;
	}
	return d;
}

static void
parse_row(struct parser *ps, struct record *r, int line)
{
	struct account_row row;
	enum account_tier tier = TIER_STANDARD; /* set when parsed */
	char *domain, *norm = NULL, *owner;
	size_t before = ps->errs->n;

	if (r->n != ps->n_cols) {
		add_error(ps, line, "%zu fields, the header has %zu", r->n,
		    ps->n_cols);
		return;
	}
	domain = r->fields[ps->col[COL_DOMAIN]];
	if (*domain == '\0') {
		add_error(ps, line, "empty domain");
	} else {
		norm = domain_normalise(domain);
		if (norm == NULL)
			add_error(ps, line, "bad domain \"%s\"", domain);
	}
	if (*r->fields[ps->col[COL_ACCOUNT]] == '\0')
		add_error(ps, line, "empty account name");
	if (account_tier_parse(r->fields[ps->col[COL_TIER]], &tier) < 0)
		add_error(ps, line,
		    "bad tier \"%s\" (strategic, key or "
		    "standard)",
		    r->fields[ps->col[COL_TIER]]);
	if (ps->errs->n != before)
		return;
	memset(&row, 0, sizeof(row));
	row.domain = xstrdup(norm);
	row.name = xstrdup(r->fields[ps->col[COL_ACCOUNT]]);
	owner = r->fields[ps->col[COL_OWNER]];
	row.owner = *owner != '\0' ? xstrdup(owner) : NULL;
	row.pub.tier = tier;
	row.pub.line = line;
	if (ps->n == ps->alloc) {
		ps->alloc = ps->alloc != 0 ? ps->alloc * 2 : 16;
		ps->rows =
		    xreallocarray(ps->rows, ps->alloc, sizeof(*ps->rows));
	}
	ps->rows[ps->n++] = row;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct account_row *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	return x->pub.line - y->pub.line;
}

static void
rows_free(struct account_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].domain);
		free(rows[i].name);
		free(rows[i].owner);
	}
	free(rows);
}

/* Sort, reject duplicates, and point the public fields at the strings. */
static void
rows_finish(struct parser *ps)
{
	if (ps->n > 1)
		qsort(ps->rows, ps->n, sizeof(*ps->rows), row_cmp);
	for (size_t i = 0; i < ps->n; i++) {
		struct account_row *r = &ps->rows[i];

		if (i > 0 && strcmp(r->domain, ps->rows[i - 1].domain) == 0)
			add_error(ps, r->pub.line,
			    "duplicate domain %s "
			    "(first on line %d)",
			    r->domain, ps->rows[i - 1].pub.line);
		r->pub.domain = r->domain;
		r->pub.name = r->name;
		r->pub.owner = r->owner;
	}
}

int
accounts_parse(const char *name, const char *text, size_t len,
    struct accounts **accounts_r, struct accounts_errors *errs)
{
	struct parser ps;
	struct record r = { .n = 0 };
	struct accounts *a;
	const char *errmsg;
	int line;

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.p = text;
	ps.end = text + len;
	ps.line = 1;
	ps.errs = errs;
	ps.errs_before = errs->n;
	while (ps.p < ps.end) {
		if (skip_ignorable(&ps))
			continue;
		line = ps.line;
		if (read_record(&ps, &r, &errmsg) < 0) {
			add_error(&ps, line, "%s", errmsg);
		} else if (ps.header_line == 0) {
			parse_header(&ps, &r, line);
			if (errs->n != ps.errs_before)
				break; /* rows cannot be read sensibly */
		} else {
			parse_row(&ps, &r, line);
		}
		record_clear(&r);
	}
	record_clear(&r);
	if (ps.header_line == 0 && errs->n == ps.errs_before)
		add_error(&ps, 0, "no header row (domain,account,tier,owner)");
	rows_finish(&ps);
	if (errs->n != ps.errs_before) {
		rows_free(ps.rows, ps.n);
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	a->rows = ps.rows;
	a->n = ps.n;
	*accounts_r = a;
	return 0;
}

int
accounts_load(const char *path, struct accounts **accounts_r,
    struct accounts_errors *errs)
{
	struct parser ps = { .name = path, .errs = errs };
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f;
	int r = -1;

	buf_init(&b, ACCOUNTS_MAX_FILE);
	f = fopen(path, "re");
	if (f == NULL) {
		add_error(&ps, 0, "%s", strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			add_error(&ps, 0, "larger than %u bytes",
			    ACCOUNTS_MAX_FILE);
			goto out;
		}
	}
	if (ferror(f)) {
		add_error(&ps, 0, "read error");
		goto out;
	}
	r = accounts_parse(path, b.data != NULL ? b.data : "", b.len,
	    accounts_r, errs);
out:
	if (f != NULL)
		fclose(f);
	buf_free(&b);
	return r;
}

void
accounts_errors_clear(struct accounts_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

void
accounts_free(struct accounts **ap)
{
	if (*ap == NULL)
		return;
	rows_free((*ap)->rows, (*ap)->n);
	free(*ap);
	*ap = NULL;
}

static const struct account *
find_exact(const struct accounts *a, const char *domain)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(domain, a->rows[mid].domain);

		if (c == 0)
			return &a->rows[mid].pub;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct account *
accounts_lookup(const struct accounts *a, const char *domain)
{
	char low[DOMAIN_MAX + 1];
	const struct account *acc;
	const char *p;
	size_t len = strlen(domain);

	if (a == NULL || len == 0 || len > DOMAIN_MAX)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	/* Longest first: the whole name, then drop one label at a time. */
	for (p = low; p != NULL; p = strchr(p, '.')) {
		if (*p == '.')
			p++;
		acc = find_exact(a, p);
		if (acc != NULL)
			return acc;
	}
	return NULL;
}

const struct account *
accounts_lookup_address(const struct accounts *a, const char *address)
{
	const char *at = strrchr(address, '@');

	if (at == NULL)
		return NULL;
	return accounts_lookup(a, at + 1);
}

size_t
accounts_count(const struct accounts *a)
{
	return a != NULL ? a->n : 0;
}

const struct account *
accounts_get(const struct accounts *a, size_t i)
{
	return &a->rows[i].pub;
}

const char *
account_tier_name(enum account_tier t)
{
	return t >= 0 && t < TIER_COUNT ? tier_names[t] : "?";
}

int
account_tier_parse(const char *s, enum account_tier *t_r)
{
	for (int i = 0; i < TIER_COUNT; i++) {
		if (strcasecmp(s, tier_names[i]) == 0) {
			*t_r = (enum account_tier)i;
			return 0;
		}
	}
	return -1;
}

enum priority
account_tier_priority(enum account_tier t)
{
	return t >= 0 && t < TIER_COUNT ? tier_priorities[t] : PRIO_NORMAL;
}

enum priority
account_start_priority(const enum account_tier *tier, enum priority rule)
{
	enum priority floor =
	    tier != NULL ? account_tier_priority(*tier) : PRIO_LOW;

	if (rule == PRIO_UNSET)
		return tier != NULL ? floor : PRIO_NORMAL;
	return rule > floor ? rule : floor;
}

const char *
accounts_owner_address(const char *owner, const struct conf *c)
{
	const struct conf_member *m;

	if (owner == NULL || *owner == '\0')
		return NULL;
	if (strchr(owner, '@') != NULL)
		return owner;
	m = c != NULL ? conf_member_by_name(c, owner) : NULL;
	return m != NULL ? m->address : NULL;
}

void
accounts_rules_ctx(const struct accounts *a, const struct msg *m,
    const char *mailbox, struct rules_ctx *ctx_r)
{
	const struct account *acct = NULL;

	if (a != NULL && m != NULL && m->from.addr != NULL)
		acct = accounts_lookup_address(a, m->from.addr);
	ctx_r->mailbox = mailbox;
	ctx_r->account = acct != NULL ? acct->name : NULL;
	ctx_r->tier = acct != NULL ? account_tier_name(acct->tier) : NULL;
}
