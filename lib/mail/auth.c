/*
 * Who may command; see auth.h for the policy.  The Authentication-Results
 * reader follows RFC 8601 section 2.2 closely enough for what we ask of
 * it: comments are removed, results are split at ';' outside quoted
 * strings, and each result is a method=result followed by ptype.property
 * =value pairs.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "mime.h"
#include "xalloc.h"

/* What one Authentication-Results header says about our From domain. */
struct ar_verdict {
	int dkim_pass;	/* a dkim=pass aligned with From */
	int spf_pass;	/* an spf=pass aligned with From */
	int dmarc_pass; /* a dmarc=pass for From */
	char seen[256]; /* "dkim=pass(header.d=evil.test) spf=fail" */
};

/*
 * The value without RFC 5322 comments, with the blanks around '='
 * removed, so "dkim = pass (good sig) header.d=x" reads
 * "dkim=pass  header.d=x".  Quoted strings are kept as they are.
 */
static char *
strip_comments(const char *v)
{
	size_t n = strlen(v), o = 0;
	char *out = xmalloc(n + 1);
	int depth = 0, quoted = 0;

	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (c == '\\' && i + 1 < n && (depth > 0 || quoted)) {
			if (depth == 0) {
				out[o++] = c;
				out[o++] = v[i + 1];
			}
			i++;
			continue;
		}
		if (!quoted && c == '(') {
			depth++;
			continue;
		}
		if (!quoted && depth > 0 && c == ')') {
			depth--;
			if (depth == 0)
				out[o++] = ' ';
			continue;
		}
		if (depth > 0)
			continue;
		if (c == '"')
			quoted = !quoted;
		if (!quoted && c == '=') {
			while (
			    o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
				o--;
			out[o++] = c;
			while (
			    i + 1 < n && (v[i + 1] == ' ' || v[i + 1] == '\t'))
				i++;
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* Next ';'-separated segment of *p (outside quotes); NULL at the end. */
static char *
next_segment(char **p)
{
	char *s = *p, *q;
	int quoted = 0;

	if (s == NULL)
		return NULL;
	for (q = s; *q != '\0'; q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (*q == ';' && !quoted)
			break;
	}
	if (*q == ';') {
		*q = '\0';
		*p = q + 1;
	} else {
		*p = NULL;
	}
	return s;
}

/* Next blank-separated token of *p (quotes kept together), or NULL. */
static char *
next_token(char **p)
{
	char *s = *p, *q;
	int quoted = 0;

	s += strspn(s, " \t\r\n");
	if (*s == '\0')
		return NULL;
	for (q = s; *q != '\0'; q++) {
		if (*q == '"')
			quoted = !quoted;
		else if (!quoted &&
			 (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
			break;
	}
	if (*q != '\0')
		*q++ = '\0';
	*p = q;
	return s;
}

/* Remove surrounding double quotes in place. */
static char *
unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

/* The domain of "user@domain", "@domain" or "domain". */
static const char *
domain_of(const char *s)
{
	const char *at = strrchr(s, '@');

	return at != NULL ? at + 1 : s;
}

/* Is `sub` equal to `dom` or a subdomain of it? */
static int
is_sub(const char *sub, const char *dom)
{
	size_t a = strlen(sub), b = strlen(dom);

	if (a == b)
		return strcasecmp(sub, dom) == 0;
	return a > b && sub[a - b - 1] == '.' &&
	       strcasecmp(sub + a - b, dom) == 0;
}

/*
 * Relaxed alignment (RFC 7489 3.1.1, without the public suffix list):
 * one domain is the other or a subdomain of it.  A domain without a dot
 * ("com") aligns with nothing.
 */
static int
aligned(const char *d, const char *from_domain)
{
	if (d[0] == '\0' || strchr(d, '.') == NULL || from_domain[0] == '\0')
		return 0;
	return is_sub(d, from_domain) || is_sub(from_domain, d);
}

static void
note_seen(struct ar_verdict *v, const char *method, const char *result,
    const char *prop)
{
	size_t len = strlen(v->seen);

	snprintf(v->seen + len, sizeof(v->seen) - len, "%s%s=%s%s%s%s",
	    len > 0 ? " " : "", method, result, prop != NULL ? "(" : "",
	    prop != NULL ? prop : "", prop != NULL ? ")" : "");
}

/* Read one resinfo ("dkim=pass header.d=example.com ..."). */
static void
read_result(char *seg, const char *from_domain, struct ar_verdict *v)
{
	char *p = seg, *tok, *method, *result, *slash;
	const char *d = NULL, *prop = NULL;
	int pass;

	tok = next_token(&p);
	if (tok == NULL || strchr(tok, '=') == NULL)
		return;
	method = tok;
	result = strchr(tok, '=');
	*result++ = '\0';
	slash = strchr(method, '/');
	if (slash != NULL)
		*slash = '\0';
	pass = strcasecmp(result, "pass") == 0;
	while ((tok = next_token(&p)) != NULL) {
		char *eq = strchr(tok, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcasecmp(method, "dkim") == 0 &&
		    (strcasecmp(tok, "header.d") == 0 ||
			(d == NULL && strcasecmp(tok, "header.i") == 0))) {
			d = domain_of(unquote(eq + 1));
			prop = d;
		} else if (strcasecmp(method, "spf") == 0 &&
			   (strcasecmp(tok, "smtp.mailfrom") == 0 ||
			       strcasecmp(tok, "smtp.from") == 0)) {
			d = domain_of(unquote(eq + 1));
			prop = d;
		} else if (strcasecmp(method, "dmarc") == 0 &&
			   strcasecmp(tok, "header.from") == 0) {
			d = domain_of(unquote(eq + 1));
			prop = d;
		}
	}
	note_seen(v, method, result, prop);
	if (!pass)
		return;
	if (strcasecmp(method, "dkim") == 0 && d != NULL &&
	    aligned(d, from_domain))
		v->dkim_pass = 1;
	else if (strcasecmp(method, "spf") == 0 && d != NULL &&
		 aligned(d, from_domain))
		v->spf_pass = 1;
	else if (strcasecmp(method, "dmarc") == 0 &&
		 (d == NULL || strcasecmp(d, from_domain) == 0))
		v->dmarc_pass = 1;
}

/*
 * Parse one Authentication-Results value.  Returns 1 when its
 * authserv-id is `trusted` (and fills *v), 0 otherwise.
 */
static int
read_header(const char *value, const char *trusted, const char *from_domain,
    struct ar_verdict *v)
{
	char *copy = strip_comments(value), *p = copy, *seg, *id;
	int ours;

	seg = next_segment(&p);
	id = seg != NULL ? next_token(&seg) : NULL;
	ours = id != NULL && strcasecmp(unquote(id), trusted) == 0;
	if (ours) {
		memset(v, 0, sizeof(*v));
		while ((seg = next_segment(&p)) != NULL)
			read_result(seg, from_domain, v);
	}
	free(copy);
	return ours;
}

/*
 * Count the mailboxes in a From value: comma-separated parts (outside
 * quotes, comments and <>) that hold an '@'.  The value is already
 * RFC 2047 decoded, so a display name may hold a bare '@'; counting
 * parts rather than '@'s keeps "a@b <c@d>" one mailbox.
 */
static size_t
count_addresses(const char *v)
{
	size_t n = 0;
	int quoted = 0, depth = 0, angle = 0, at = 0;

	for (;; v++) {
		if (*v == '\\' && v[1] != '\0') {
			v++;
			continue;
		}
		if (*v == '\0' || (*v == ',' && !quoted && !depth && !angle)) {
			n += at;
			at = 0;
			if (*v == '\0')
				return n;
			continue;
		}
		if (*v == '"' && depth == 0)
			quoted = !quoted;
		else if (!quoted && *v == '(')
			depth++;
		else if (!quoted && *v == ')' && depth > 0)
			depth--;
		else if (!quoted && !depth && *v == '<')
			angle = 1;
		else if (!quoted && !depth && *v == '>')
			angle = 0;
		else if (*v == '@')
			at = 1;
	}
}

/* The From header checks: exactly one header with one address. */
static int
check_from(const struct msg *m, struct auth_decision *d)
{
	size_t n_from = 0;

	for (size_t i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, "From") != 0)
			continue;
		n_from++;
		if (count_addresses(m->headers[i].value) > 1) {
			snprintf(d->reason, sizeof(d->reason),
			    "From names more than one address");
			return 0;
		}
	}
	if (n_from > 1) {
		snprintf(d->reason, sizeof(d->reason),
		    "message has %zu From headers", n_from);
		return 0;
	}
	if (m->from.addr == NULL || m->from.addr[0] == '\0') {
		snprintf(d->reason, sizeof(d->reason), "From has no address");
		return 0;
	}
	return 1;
}

/* The trusted host's verdict on the sender's domain. */
static int
check_results(const struct msg *m, const char *trusted, struct auth_decision *d)
{
	const char *from_domain = domain_of(m->from.addr);
	struct ar_verdict v;

	for (size_t i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, "Authentication-Results") !=
		    0)
			continue;
		/* the topmost from the trusted host decides, alone */
		if (!read_header(m->headers[i].value, trusted, from_domain, &v))
			continue;
		if (v.dkim_pass || v.spf_pass || v.dmarc_pass) {
			snprintf(d->reason, sizeof(d->reason), "%s %s by %s",
			    v.dmarc_pass ? "dmarc=pass" :
			    v.dkim_pass	 ? "dkim=pass" :
					   "spf=pass",
			    from_domain, trusted);
			return 1;
		}
		snprintf(d->reason, sizeof(d->reason),
		    "no aligned dkim, spf or dmarc pass for %s in %s's "
		    "Authentication-Results (%s)",
		    from_domain, trusted, v.seen[0] != '\0' ? v.seen : "none");
		return 0;
	}
	snprintf(d->reason, sizeof(d->reason),
	    "no Authentication-Results header from %s", trusted);
	return 0;
}

int
auth_check(const struct msg *m, const char *const *team, size_t n_team,
    const char *trusted, struct auth_decision *d)
{
	const char *member = NULL;

	memset(d, 0, sizeof(*d));
	if (m == NULL) {
		snprintf(d->reason, sizeof(d->reason), "no message");
		return 0;
	}
	if (!check_from(m, d))
		return 0;
	for (size_t i = 0; i < n_team && member == NULL; i++) {
		if (team[i] != NULL && strcasecmp(team[i], m->from.addr) == 0)
			member = team[i];
	}
	if (member == NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "sender %s is not in team", m->from.addr);
		return 0;
	}
	if (trusted != NULL && trusted[0] != '\0') {
		if (!check_results(m, trusted, d))
			return 0;
	} else {
		snprintf(d->reason, sizeof(d->reason), "team member %s",
		    member);
	}
	d->member = member;
	d->allowed = 1;
	return 1;
}

int
auth_check_conf(const struct msg *m, const struct conf *c,
    struct auth_decision *d)
{
	const char **team = xcalloc(c->n_team + 1, sizeof(*team));
	int r;

	for (size_t i = 0; i < c->n_team; i++)
		team[i] = c->team[i].address;
	r = auth_check(m, team, c->n_team, c->trust_authentication_results, d);
	free(team);
	return r;
}
