/*
 * A caller-owned error: library functions return <0 and fill one of
 * these; the program decides what to log and what to abandon.  The code
 * says how much to abandon (isync's DRV_MSG_BAD / DRV_BOX_BAD ...).
 */
#ifndef TRIAGE_ERROR_H
#define TRIAGE_ERROR_H

enum err_code {
	ERR_NONE = 0,
	ERR_MSG,      /* this message is bad: store it raw, skip it */
	ERR_BOX,      /* this mailbox is unusable now: back off, others go on */
	ERR_CONN,     /* the connection broke: reconnect */
	ERR_TEMP,     /* temporary (locked, disk full): retry later */
	ERR_CONF,     /* configuration is wrong: refuse to start */
	ERR_REFUSED,  /* the request was refused (already claimed ...) */
	ERR_NOTFOUND, /* no such ticket, message, route ... */
	ERR_USAGE,    /* caller error */
	ERR_INTERNAL,
	ERR_DENIED, /* this person may not do that (not in the team, --as) */
};

struct error {
	enum err_code code;
	char msg[1024];
};

/*
 * Set code and message; returns -1 so callers can `return error_set(...)`.
 * The arguments may point into err->msg itself (the message is built
 * aside, then copied), though error_prefix() says that better.  A NULL
 * err is ignored.
 */
int error_set(struct error *err, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Put context in front of the message err already holds ("what: " then
 * the old text, cut at the buffer's end), keeping its code; returns -1.
 * A NULL err is ignored.
 */
int error_prefix(struct error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void error_clear(struct error *err);

#endif
