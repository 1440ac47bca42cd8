/*
 * The IMAP client triaged uses: connect (implicit TLS, STARTTLS or, on
 * loopback only, plaintext), log in, select a folder, fetch every message
 * past a UID checkpoint in bounded batches, then flag or move what was
 * stored.  All libetpan IMAP use lives in imap.c and imap-fetch.c; TLS is
 * tls.c's, and the server certificate is verified before any credential
 * (or any IMAP command but STARTTLS) is sent.
 *
 * Errors carry a code that says how much to abandon (error.h):
 *   ERR_CONN  the connection is broken or timed out: free and reconnect;
 *   ERR_BOX   the server refused (login, select, fetch): back off this
 *             mailbox, the connection may still be usable;
 *   ERR_MSG   the server refused a post-action (flag, move): the
 *             messages are where they were; retry it, never skip it;
 *   ERR_CONF  the configuration cannot work (plaintext to a remote host,
 *             unreadable CA file, no STARTTLS offered).
 * Messages name the server ("imap 127.0.0.1:993 (sales): ...") and quote
 * the server's own response text where there is one.  Never a password.
 *
 * Every network operation is bounded by the timeout given to
 * imap_connect(): a server that stops answering yields ERR_CONN.
 */
#ifndef TRIAGE_IMAP_H
#define TRIAGE_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

struct imap;
struct imap_fetch;

/*
 * Open a connection to srv->host:srv->port and read the greeting, with
 * srv->tls deciding how: CONF_TLS_IMPLICIT (TLS from the first byte),
 * CONF_TLS_STARTTLS (refused with ERR_CONF if the server does not offer
 * it; never falls back) or CONF_TLS_NONE (only to a loopback address).
 * The certificate is verified against srv->ca_file or the system store
 * and srv->host; a failure is ERR_CONN with tls.c's reason (untrusted
 * issuer, name mismatch, expired).  With STARTTLS, a PREAUTH greeting
 * and clear text injected after the server's OK are refused too.
 * timeout_s (> 0) bounds every later network operation as well.  Does
 * not log in.  On success sets *imap_r (free with imap_free).
 */
int imap_connect(const struct conf_server *srv, int timeout_s,
    struct imap **imap_r, struct error *err);

/*
 * Authenticate as srv->user: XOAUTH2 with the token from
 * srv->oauth2_token_file or srv->oauth2_token_command when either is set
 * (conf_server_oauth2_token; a missing token is ERR_CONF), else LOGIN
 * with srv->password (AUTHENTICATE PLAIN when
 * the server advertises LOGINDISABLED).  A refused login is ERR_BOX with
 * the server's text.
 */
int imap_login(struct imap *imap, const struct conf_server *srv,
    struct error *err);

/*
 * SELECT folder (read-write).  Sets UIDVALIDITY, UIDNEXT (0 if the server
 * did not say) and the message count.  A missing folder is ERR_BOX.
 */
int imap_select(struct imap *imap, const char *folder, uint32_t *uidvalidity_r,
    uint32_t *uidnext_r, uint32_t *exists_r, struct error *err);

/* Does the server advertise this capability (e.g. "MOVE", "IDLE")? */
int imap_has_capability(struct imap *imap, const char *name);

enum imap_msg_status {
	IMAP_MSG_OK,	  /* data/len hold the message */
	IMAP_MSG_TOO_BIG, /* over max_size: not fetched, data NULL */
	IMAP_MSG_GONE,	  /* listed, then not returned (expunged by
				   someone else meanwhile): data NULL */
};

/* One message from the iterator.  data is foreign: see imap_fetch_next. */
struct imap_msg {
	uint32_t uid;
	uint32_t size; /* RFC822.SIZE as the server says */
	enum imap_msg_status status;
	const char *data; /* foreign; the raw message, CRLF */
	size_t len;
};

struct imap_fetch_opts {
	size_t max_size;    /* larger messages are TOO_BIG; 0: 50 MB */
	size_t batch_count; /* messages per UID FETCH; 0: 50 */
	size_t batch_bytes; /* bytes per UID FETCH; 0: 32 MB (a single
				   message larger than this still goes
				   alone) */
	size_t list_window; /* UIDs and sizes listed at a time; 0: 2000 */
	/*
	 * Called before each batch's bodies are fetched, with their size as
	 * the server gave it (the previous batch's buffers already freed):
	 * a caller can make room first.  -1 (err set) ends the iteration
	 * with that error.  May be NULL.
	 */
	int (*before_fetch)(void *arg, size_t bytes, struct error *err);
	void *arg;
};

/*
 * Iterate every message of the selected folder with UID >= from_uid, in
 * UID order.  begin finds where that UID stands (a bisection of FETCH n
 * (UID), about 17 round trips in 100,000 messages); the UIDs and sizes
 * are then listed list_window at a time (UID FETCH lo:hi (UID
 * RFC822.SIZE)), the last window to "*", and each batch of a window is
 * one pipelined UID FETCH of a UID set with (UID RFC822.SIZE
 * BODY.PEEK[]), so nothing is marked \Seen.  Memory is bounded by the
 * window and the batch, not by the folder.  opts may be NULL for the
 * defaults.  On success sets *it_r.
 */
int imap_fetch_begin(struct imap *imap, uint32_t from_uid,
    const struct imap_fetch_opts *opts, struct imap_fetch **it_r,
    struct error *err);

/*
 * Next message: returns 1 and fills *m, 0 when done, -1 on error (the
 * iterator is then finished; see the error code).  m->data stays valid
 * until the next imap_fetch_next or imap_fetch_end call.
 */
int imap_fetch_next(struct imap_fetch *it, struct imap_msg *m,
    struct error *err);

/* How many messages stood at or past from_uid when begin looked (for
 * "every poll accounts for every message"). */
size_t imap_fetch_count(const struct imap_fetch *it);

void imap_fetch_end(struct imap_fetch **itp);

/*
 * Post-actions, idempotent: doing one twice, or on a UID already gone,
 * succeeds.  imap_flag_seen: UID STORE +FLAGS.SILENT (\Seen).  imap_move:
 * UID MOVE when the server has MOVE, else UID COPY, \Deleted and UID
 * EXPUNGE of that UID only (needs UIDPLUS; without it the message is left
 * \Deleted and copied, and ERR_MSG says so).  Failures are ERR_MSG unless
 * the connection broke (ERR_CONN).  A refused move whose target lies
 * outside the server's personal namespace prefix says so ("did you mean
 * INBOX.Triaged?"); imap_trycreate() says whether the server asked for
 * the target to be created first.
 */
int imap_flag_seen(struct imap *imap, uint32_t uid, struct error *err);
int imap_move(struct imap *imap, uint32_t uid, const char *folder,
    struct error *err);

/*
 * The same for many UIDs in one command (a batch after its commit), or
 * for every UID in first:last (repairing after a crash; UIDs that no
 * longer exist are ignored by the server).  n == 0 or first > last does
 * nothing.  Errors as above.
 */
int imap_flag_seen_uids(struct imap *imap, const uint32_t *uids, size_t n,
    struct error *err);
int imap_flag_seen_range(struct imap *imap, uint32_t first, uint32_t last,
    struct error *err);
int imap_move_uids(struct imap *imap, const uint32_t *uids, size_t n,
    const char *folder, struct error *err);
int imap_move_range(struct imap *imap, uint32_t first, uint32_t last,
    const char *folder, struct error *err);

/*
 * Did the last command's refusal carry [TRYCREATE] (RFC 3501 7.1): the
 * target folder does not exist and CREATE would make it?
 */
int imap_trycreate(struct imap *imap);

/*
 * CREATE folder.  A refusal is ERR_BOX with the server's words.
 */
int imap_create(struct imap *imap, const char *folder, struct error *err);

/*
 * Does `folder` exist (LIST)?  Returns 1 or 0, or -1 (ERR_BOX on a
 * refusal, ERR_CONN).  For `triaged --check --connect`.
 */
int imap_folder_exists(struct imap *imap, const char *folder,
    struct error *err);

/*
 * The prefix of the server's personal namespace (RFC 2342), e.g.
 * "INBOX." on Courier, in UTF-8, into buf[len]; "" when it has none or
 * does not say (no NAMESPACE capability).
 */
void imap_personal_prefix(struct imap *imap, char *buf, size_t len);

/*
 * Folder names as the configuration and logs write them are UTF-8; on
 * the wire they are modified UTF-7 (RFC 3501 5.1.3), which every
 * function here that takes a folder does itself.  imap_utf7_encode: a
 * name that is not valid UTF-8 is ERR_CONF.  imap_utf7_decode: a name
 * that is not modified UTF-7 is ERR_BOX.  Both set *out_r (free it).
 */
int imap_utf7_encode(const char *utf8, char **out_r, struct error *err);
int imap_utf7_decode(const char *mutf7, char **out_r, struct error *err);

/*
 * IMAP IDLE (RFC 2177), where imap_has_capability(imap, "IDLE").
 * imap_idle_start sends IDLE and reads the server's continuation; it
 * returns 1 (not 0) when the server announced new mail on the way, so
 * there is no point waiting.
 * imap_idle_wait then waits up to timeout_ms for the server to say
 * anything (new mail, expunges) or for `wake_fd` (>= 0) to be readable:
 * returns 1 when the server spoke, 0 on timeout or wake, -1 when the
 * connection broke (ERR_CONN).  imap_idle_done sends DONE and reads the
 * end of the command; the folder can then be polled again.  Servers end
 * an IDLE after 30 minutes: re-issue it before that.
 */
int imap_idle_start(struct imap *imap, struct error *err);
int imap_idle_wait(struct imap *imap, int wake_fd, int timeout_ms,
    struct error *err);
int imap_idle_done(struct imap *imap, struct error *err);

/*
 * The socket, for poll().  Data may already sit in
 * libetpan's or TLS's buffers: poll() alone does not prove there is none.
 */
int imap_fd(struct imap *imap);

/* LOGOUT politely (bounded by the timeout), then close. */
void imap_logout(struct imap *imap);

/* Close without a word and free; accepts NULL, sets *imapp to NULL. */
void imap_free(struct imap **imapp);

#endif
