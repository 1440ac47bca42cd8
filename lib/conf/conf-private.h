/*
 * Shared between conf.c (the walker over libconfig's tree), conf-keys.c
 * (the key tables: what each setting is, its default, its checks),
 * conf-value.c (what a value must look like, and reading secrets) and
 * conf-load.c (reads the file and walks the top-level table).
 * Not for use outside lib/conf*.c.
 */
#ifndef TRIAGE_CONF_PRIVATE_H
#define TRIAGE_CONF_PRIVATE_H

#include <stddef.h>

#include <libconfig.h>

#include "conf.h"

#define MAX_KEYS 32 /* per table; a bitmap of seen keys */

struct loader {
	const char *path;	  /* foreign: as given, for messages */
	char *dir;		  /* owned: absolute directory of path */
	unsigned flags;		  /* CONF_LOAD_* */
	struct conf_errors *errs; /* foreign */
	const config_setting_t *root;
};

enum vtype {
	V_STR,	    /* non-empty string; `choices` restricts it */
	V_NAME,	    /* a name: letters, digits, . - _ */
	V_ADDR,	    /* an email address, stored lowercased */
	V_PATH,	    /* relative paths resolve against the conf's dir */
	V_INT,	    /* integer in [min, max] */
	V_DURATION, /* integer seconds, or "90s" "15m" "4h" "1d" "2w" */
	V_SIZE,	    /* integer bytes, or "512K" "50M" "1G" */
	V_ENUM,	    /* one of `choices`, stored as its index (an enum) */
	V_CUSTOM,   /* a string that `fn` parses */
	V_BLOCK,    /* a group or list that `fn` loads */
};

#define K_REQUIRED 0x01
#define K_EMPTY_NULL 0x02 /* "" means unset (NULL) */
#define K_SECRET 0x04	  /* may hold a secret: conf_show masks it */
#define K_DATABASE 0x08	  /* V_PATH, or a database server's address */

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
	size_t off;	 /* of the field in the block's struct */
	size_t size;	 /* of the field: int, int64_t or size_t */
	unsigned flags;	 /* K_* */
	const char *def; /* default, parsed like a configured value */
	const char *const *choices; /* NULL-terminated */
	long long min, max;	    /* V_INT, V_DURATION, V_SIZE; max 0: none */
	key_fn *fn;
};

struct table {
	const char *where; /* appended to "unknown setting 'x'" */
	const struct key *keys;
	size_t n_keys;
	/* Checks across keys; `group` is NULL when only defaults applied. */
	void (
	    *post)(struct loader *l, const config_setting_t *group, void *base);
};

#define F(type, field) \
	.off = offsetof(type, field), .size = sizeof(((type *)0)->field)
#define TABLE(where, keys, post) \
	{ \
		where, keys, sizeof(keys) / sizeof(keys[0]), post \
	}

/* The top-level table and the blocks' tables (conf-keys.c). */
extern const struct table conf_top_table;
struct conf_blocks {
	const struct table *imap;    /* base: struct conf_mailbox */
	const struct table *smtp;    /* base: struct conf */
	const struct table *mailbox; /* base: struct conf_mailbox */
	const struct table *route;   /* base: struct conf_route */
	const struct table *member;  /* base: struct conf_member */
	const struct table *sla;     /* base: struct conf_sla */
	const struct table *report;  /* base: struct conf_report */
};
extern const struct conf_blocks conf_blocks;

/* webhooks (conf-webhook.c): its loader, one hook's table. */
key_fn conf_load_webhooks;
extern const struct table conf_webhook_table;

/* The walker (conf.c) ----------------------------------------------- */

/*
 * Read l->path into cfg, with @include resolved against its directory
 * (set in l->dir, owned by the caller) and l->root set.  Returns 0, or -1
 * with the reason added to l->errs as "FILE[:LINE]: message".
 */
int conf_read_file(struct loader *l, config_t *cfg);

/*
 * Report a problem at setting `s` as "FILE:LINE: message" (the root, which
 * has no line, is reported at line 1).  Loading goes on.
 */
void conf_lerr(struct loader *l, const config_setting_t *s, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* The known name closest to `name`, if close enough to be a typo. */
const char *conf_closest(const char *name, const char *const *names, size_t n);
/* "a string", "an integer", ... for a CONFIG_TYPE_*. */
const char *conf_type_name(int type);
/* Check, convert and store a string value (s NULL: the key's default). */
void conf_load_text(struct loader *l, const struct key *k,
    const config_setting_t *s, const char *text, void *base);
void conf_apply_defaults(struct loader *l, const struct table *t, void *base);
/* Defaults, then every setting of `group`, then t->post. */
void conf_load_group(struct loader *l, const struct table *t,
    const config_setting_t *group, void *base);
/* The member `name` of group, or group itself (for its line) if absent. */
const config_setting_t *conf_child(const config_setting_t *group,
    const char *name);
/* 1 if s is a group (a list); else report "WHAT must be a ..." and 0. */
int conf_want_group(struct loader *l, const config_setting_t *s,
    const char *what);
int conf_want_list(struct loader *l, const config_setting_t *s,
    const char *what);

/* Values (conf-value.c) ---------------------------------------------- */

/* The longest secret (password or token) read from a file or command. */
#define CONF_SECRET_MAX 8192

/* Each returns 1 when `s` is well-formed, 0 when not. */
int conf_valid_name(const char *s);	/* [A-Za-z0-9][A-Za-z0-9._-]*, <= 64 */
int conf_valid_env_name(const char *s); /* [A-Za-z_][A-Za-z0-9_]* */
int conf_valid_address(const char *s);	/* local@domain, no specials */
int conf_valid_from(const char *s);	/* address, or Name <address> */
int conf_valid_hhmm(const char *s);	/* 00:00 .. 23:59 */
int conf_is_loopback(const char *host); /* localhost, 127/8, ::1 */

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
