/*
 * What a triage.conf value must look like (durations, sizes, addresses,
 * business hours) and how secrets are read.  conf.c decides which key
 * gets which check; this file only answers "is this well-formed".
 */
#include "conf.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf-private.h"
#include "xalloc.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo"

int
conf_duration(const char *s, int64_t *seconds_r)
{
	const char *p = s;
	int64_t total = 0;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		long long v, mult;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0)
			return -1;
		switch (*end) {
		case '\0':
			/* A bare number is seconds, but only on its own:
			 * "1h30" is more likely a typo than 1h30s. */
			if (p != s)
				return -1;
			mult = 1;
			break;
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 7 * 86400;
			break;
		default:
			return -1;
		}
		if (v > (INT64_MAX - total) / mult)
			return -1;
		total += v * mult;
		p = *end != '\0' ? end + 1 : end;
	}
	*seconds_r = total;
	return 0;
}

int
conf_size(const char *s, size_t *bytes_r)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > SIZE_MAX / mult)
		return -1;
	*bytes_r = (size_t)(v * mult);
	return 0;
}

int
conf_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._-", s[i]) == NULL)
			return 0;
	}
	return 1;
}

int
conf_valid_env_name(const char *s)
{
	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	}
	return 1;
}

static int
valid_address_n(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	if (at == NULL || at == s || at == s + n - 1 ||
	    memchr(at + 1, '@', n - (size_t)(at + 1 - s)) != NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Specials would need quoting; nobody's shared mailbox
		 * or team address has them. */
		if (c <= ' ' || c == 0x7f || strchr("<>()[],;:\\\"", c) != NULL)
			return 0;
	}
	return 1;
}

/*
 * A conninfo begins with a keyword and '=' ("host=db dbname=triage");
 * a path or a file: URI may hold '=' further on ("/srv/a=b/triage.db",
 * "file:/x.db?mode=ro") and is not one.
 */
int
conf_database_is_server(const char *s)
{
	size_t key = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	return strncmp(s, "postgresql://", 13) == 0 ||
	       strncmp(s, "postgres://", 11) == 0 ||
	       (key > 0 && s[key + strspn(s + key, " \t")] == '=');
}

int
conf_valid_address(const char *s)
{
	return valid_address_n(s, strlen(s));
}

int
conf_valid_from(const char *s)
{
	const char *lt = strrchr(s, '<');
	size_t n = strlen(s);

	if (lt == NULL)
		return conf_valid_address(s);
	if (n < 2 || s[n - 1] != '>')
		return 0;
	return valid_address_n(lt + 1, (size_t)(s + n - 1 - (lt + 1)));
}

int
conf_valid_hhmm(const char *s)
{
	return strlen(s) == 5 && isdigit((unsigned char)s[0]) &&
	       isdigit((unsigned char)s[1]) && s[2] == ':' &&
	       isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
	       (s[0] - '0') * 10 + (s[1] - '0') < 24 && s[3] < '6';
}

int
conf_is_loopback(const char *host)
{
	unsigned char a[16];

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, &in6addr_loopback, sizeof(a)) == 0;
	return 0;
}

static int
parse_day(const char *s, size_t n)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
		"sat", "sun" };

	for (int i = 0; i < 7; i++) {
		if (n == 3 && strncasecmp(s, days[i], 3) == 0)
			return i;
	}
	return -1;
}

/* "Mon-Fri" or "Mon,Wed,Fri" or "Mon-Wed,Fri". */
static int
valid_days(const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma != NULL ? comma : end;
		const char *dash = memchr(s, '-', (size_t)(item_end - s));

		if (dash == NULL) {
			if (parse_day(s, (size_t)(item_end - s)) < 0)
				return 0;
		} else if (parse_day(s, (size_t)(dash - s)) < 0 ||
			   parse_day(dash + 1, (size_t)(item_end - dash - 1)) <
			       0) {
			return 0;
		}
		s = comma != NULL ? comma + 1 : end;
		if (comma != NULL && s == end)
			return 0;
	}
	return 1;
}

static int
valid_zone(const char *zone)
{
	char *path;
	int ok;

	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	/* Without tzdata nothing can be checked; sla.c will say. */
	if (access(ZONEINFO_DIR, F_OK) < 0)
		return 1;
	xasprintf(&path, "%s/%s", ZONEINFO_DIR, zone);
	ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

int
conf_valid_hours(const char *s, char *why, size_t why_len)
{
	char days[64], from[8], to[8], zone[128];
	int n, consumed = 0;

	zone[0] = '\0';
	n = sscanf(s, "%63s %7[0-9:]-%7[0-9:] %127s %n", days, from, to, zone,
	    &consumed);
	if (n < 3 || (n == 4 && s[consumed] != '\0')) {
		snprintf(why, why_len,
		    "must look like \"Mon-Fri 09:00-18:00 "
		    "Europe/Berlin\", not \"%s\"",
		    s);
		return 0;
	}
	if (!valid_days(days, strlen(days))) {
		snprintf(why, why_len,
		    "has bad days \"%s\" (use Mon-Fri or "
		    "Mon,Wed,Fri)",
		    days);
		return 0;
	}
	/* "24:00" closes at midnight (README "SLA clocks"), as sla.c reads */
	if (!conf_valid_hhmm(from) ||
	    (!conf_valid_hhmm(to) && strcmp(to, "24:00") != 0) ||
	    strcmp(from, to) >= 0) {
		snprintf(why, why_len,
		    "has bad hours \"%s-%s\" (use "
		    "HH:MM-HH:MM, start before end)",
		    from, to);
		return 0;
	}
	if (zone[0] != '\0' && !valid_zone(zone)) {
		snprintf(why, why_len, "names an unknown time zone \"%s\"",
		    zone);
		return 0;
	}
	return 1;
}

static void
strip_newlines(char *s, size_t *len)
{
	while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
}

/* Read at most CONF_SECRET_MAX bytes; -1 with errno, or -2 if longer. */
static int
read_capped(int fd, char **out_r, size_t *len_r)
{
	char *data = xmalloc(CONF_SECRET_MAX + 2);
	size_t len = 0;
	ssize_t n;

	while (len <= CONF_SECRET_MAX) {
		n = read(fd, data + len, CONF_SECRET_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			explicit_bzero(data, len); /* a part is still one */
			free(data);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	data[len] = '\0';
	if (len > CONF_SECRET_MAX) {
		conf_secret_free(&data);
		return -2;
	}
	*out_r = data;
	*len_r = len;
	return 0;
}

int
conf_secret_file(const char *path, char **secret_r, char *why, size_t why_len)
{
	struct stat st;
	char *data = NULL;
	size_t len;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, why_len, ": %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, why_len, ": %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_len, " is not a regular file");
		goto out;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
		snprintf(why, why_len,
		    " is readable by group or others "
		    "(mode %04o); chmod 600 it",
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (secret_r == NULL) {
		r = 0;
		goto out;
	}
	r = read_capped(fd, &data, &len);
	if (r < 0) {
		if (r == -1)
			snprintf(why, why_len, ": %s", strerror(errno));
		else
			snprintf(why, why_len, " is longer than %d bytes",
			    CONF_SECRET_MAX);
		r = -1;
		goto out;
	}
	strip_newlines(data, &len);
	if (len == 0) {
		snprintf(why, why_len, " is empty");
		r = -1;
		goto out;
	}
	*secret_r = data;
	data = NULL;
	r = 0;
out:
	conf_secret_free(&data);
	close(fd);
	return r;
}

void
conf_secret_free(char **secretp)
{
	if (*secretp == NULL)
		return;
	explicit_bzero(*secretp, strlen(*secretp));
	free(*secretp);
	*secretp = NULL;
}

/*
 * Run `command` with /bin/sh, as isync's PassCmd: its standard output,
 * trailing newlines stripped, is the secret.  Standard error passes
 * through to ours (the journal), so a helper can say what went wrong.
 */
static int
run_secret_command(const char *what, const char *command, char **secret_r,
    struct error *err)
{
	FILE *fp;
	char *data = NULL;
	size_t len = 0;
	int r, status;

	fp = popen(command, "re");
	if (fp == NULL)
		return error_set(err, ERR_CONF, "%s: cannot run: %s", what,
		    strerror(errno));
	r = read_capped(fileno(fp), &data, &len);
	status = pclose(fp);
	if (r < 0) {
		r = error_set(err, ERR_CONF,
		    "%s: output unreadable or longer "
		    "than %d bytes",
		    what, CONF_SECRET_MAX);
		goto out;
	}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = error_set(err, ERR_CONF, "%s failed (exit status %d)", what,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	strip_newlines(data, &len);
	if (len == 0) {
		r = error_set(err, ERR_CONF, "%s printed nothing", what);
		goto out;
	}
	*secret_r = data;
	data = NULL;
	r = 0;
out:
	conf_secret_free(&data);
	return r;
}

static int
read_secret_file(const char *what, const char *path, char **secret_r,
    struct error *err)
{
	char why[256];

	if (conf_secret_file(path, secret_r, why, sizeof(why)) < 0)
		return error_set(err, ERR_CONF, "%s '%s'%s", what, path, why);
	return 0;
}

int
conf_server_password(const struct conf_server *s, char **password_r,
    struct error *err)
{
	const char *v;

	if (s->password != NULL) {
		*password_r = xstrdup(s->password);
		return 0;
	}
	if (s->password_file != NULL)
		return read_secret_file("password_file", s->password_file,
		    password_r, err);
	if (s->password_command != NULL)
		return run_secret_command("password_command",
		    s->password_command, password_r, err);
	if (s->password_env != NULL) {
		v = getenv(s->password_env);
		if (v == NULL || *v == '\0')
			return error_set(err, ERR_CONF,
			    "environment variable "
			    "'%s' (password_env) is not set",
			    s->password_env);
		*password_r = xstrdup(v);
		return 0;
	}
	*password_r = NULL;
	return 0;
}

int
conf_server_oauth2_token(const struct conf_server *s, char **token_r,
    struct error *err)
{
	if (s->oauth2_token_file != NULL)
		return read_secret_file("oauth2_token_file",
		    s->oauth2_token_file, token_r, err);
	if (s->oauth2_token_command != NULL)
		return run_secret_command("oauth2_token_command",
		    s->oauth2_token_command, token_r, err);
	*token_r = NULL;
	return 0;
}
