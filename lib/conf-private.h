/*
 * Shared between conf.c (the libconfig walk, the key tables) and
 * conf-value.c (what a value must look like, and reading secrets).
 * Not for use outside lib/conf*.c.
 */
#ifndef TRIAGE_CONF_PRIVATE_H
#define TRIAGE_CONF_PRIVATE_H

#include <stddef.h>

/* The longest secret (password or token) read from a file or command. */
#define CONF_SECRET_MAX 8192

/* Each returns 1 when `s` is well-formed, 0 when not. */
int conf_valid_name(const char *s);	/* [A-Za-z0-9][A-Za-z0-9._-]*, <= 64 */
int conf_valid_env_name(const char *s);	/* [A-Za-z_][A-Za-z0-9_]* */
int conf_valid_address(const char *s);	/* local@domain, no specials */
int conf_valid_from(const char *s);	/* address, or Name <address> */
int conf_valid_hhmm(const char *s);	/* 00:00 .. 23:59 */
int conf_is_loopback(const char *host);	/* localhost, 127/8, ::1 */

/*
 * "Mon-Fri 09:00-18:00 [Zone/Name]": returns 1, or 0 with the reason in
 * why (a phrase that completes "'hours' ...").
 */
int conf_valid_hours(const char *s, char *why, size_t why_len);

/*
 * Open a secret file: it must be a regular file not readable by group or
 * others.  With secret_r non-NULL, read it (trailing newlines stripped,
 * must not be empty) into a new string.  Returns 0, or -1 with `why`
 * completing "password_file '/path'...": ": No such file or directory",
 * " is readable by group or others (mode 0640); chmod 600 it", ...
 */
int conf_secret_file(const char *path, char **secret_r, char *why,
    size_t why_len);

/* Overwrite a secret before freeing it; NULL is fine. */
void conf_secret_free(char **secretp);

#endif
