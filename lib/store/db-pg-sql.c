/*
 * The PostgreSQL driver's knowledge of SQL text (db-pg-private.h): the
 * ?N to $N rewrite and the SQLSTATE classes.  No libpq here: it builds
 * and is tested without a server.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "db-pg-private.h"
#include "xalloc.h"

/* SQLSTATE to class (the table of ../shared/SCALE.md). */
enum db_errclass
db_pg_sql_class(const char *state)
{
	static const char *const temp[] = { "40001", "40P01", "55P03", "57P01",
		"57P02", "57P03", "53100", "53200", "53300" };
	size_t i;

	if (state == NULL || strlen(state) != 5)
		return DB_ERR_OTHER;
	for (i = 0; i < sizeof(temp) / sizeof(temp[0]); i++)
		if (strcmp(state, temp[i]) == 0)
			return DB_ERR_TEMP;
	if (strncmp(state, "08", 2) == 0)
		return DB_ERR_TEMP;
	if (strcmp(state, "23505") == 0)
		return DB_ERR_UNIQUE;
	if (strncmp(state, "23", 2) == 0)
		return DB_ERR_CONSTRAINT;
	if (strcmp(state, "25006") == 0)
		return DB_ERR_READONLY;
	if (strcmp(state, "28P01") == 0 || strcmp(state, "28000") == 0)
		return DB_ERR_AUTH;
	return DB_ERR_OTHER;
}

/* Skip a quoted run from its opening `q` at s; backslash escapes if esc. */
static const char *
skip_quoted(const char *s, char q, int esc)
{
	for (s++; *s != '\0'; s++) {
		if (esc && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == q && s[1] == q)
			s++;
		else if (*s == q)
			return s + 1;
	}
	return s;
}

static int
ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

/* At s a dollar quote ($$ or $tag$)?  Its length, else 0. */
static size_t
dollar_tag(const char *s)
{
	size_t n = 1;

	if (isdigit((unsigned char)s[1]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' ||
	       (unsigned char)s[n] >= 0x80)
		n++;
	return s[n] == '$' ? n + 1 : 0;
}

/* Skip a comment at s (-- or nested slash-star). */
static const char *
skip_comment(const char *s)
{
	int depth = 0;

	if (s[0] == '-')
		return s + strcspn(s, "\n");
	do {
		if (s[0] == '/' && s[1] == '*') {
			depth++;
			s += 2;
		} else if (s[0] == '*' && s[1] == '/') {
			depth--;
			s += 2;
		} else if (*s != '\0') {
			s++;
		}
	} while (depth > 0 && *s != '\0');
	return s;
}

char *
db_pg_sql_rewrite(const char *sql, int *nparams_r)
{
	/* a bare ? (1 byte) becomes at most $65535 (6 bytes) */
	char *out = xmalloc(strlen(sql) * 6 + 1), *o = out, *end;
	const char *s = sql, *from, *close;
	size_t tag;
	long n;
	int max = 0;

	while (*s != '\0') {
		from = s;
		if (*s == '\'') {
			int esc = s > sql && (s[-1] == 'E' || s[-1] == 'e') &&
				  (s - 1 == sql || !ident_char(s[-2]));
			s = skip_quoted(s, '\'', esc);
		} else if (*s == '"') {
			s = skip_quoted(s, '"', 0);
		} else if ((s[0] == '-' && s[1] == '-') ||
			   (s[0] == '/' && s[1] == '*')) {
			s = skip_comment(s);
		} else if (*s == '$' && (s == sql || !ident_char(s[-1])) &&
			   (tag = dollar_tag(s)) > 0) {
			char t[64];

			if (tag >= sizeof(t))
				goto bad;
			memcpy(t, s, tag);
			t[tag] = '\0';
			close = strstr(s + tag, t);
			s = close != NULL ? close + tag : s + strlen(s);
		} else if (*s == '?') {
			if (isdigit((unsigned char)s[1])) {
				n = strtol(s + 1, &end, 10);
			} else if (ident_char(s[1])) {
				goto bad; /* ?name: SQLite's own, not ours */
			} else {
				n = max + 1; /* as SQLite numbers a bare ? */
				end = (char *)s + 1;
			}
			if (n < 1 || n > 65535)
				goto bad;
			o += sprintf(o, "$%ld", n);
			if (n > max)
				max = (int)n;
			s = end;
			continue;
		} else {
			s++;
		}
		memcpy(o, from, (size_t)(s - from));
		o += s - from;
	}
	*o = '\0';
	*nparams_r = max;
	return out;
bad:
	free(out);
	return NULL;
}
