/*
 * SMTP client on libetpan's mailsmtp: all libetpan SMTP use lives here.
 *
 * One session sends any number of mails: smtp_open() connects (implicit
 * TLS, STARTTLS, or plaintext to a loopback address only), verifies the
 * certificate and host name through tls_wrap(), says EHLO and logs in;
 * smtp_send() runs one MAIL FROM / RCPT TO / DATA transaction; smtp_close()
 * says QUIT.  Every network operation is bounded by opts.timeout_s.
 *
 * How a failure reads (struct error code):
 *   ERR_TEMP     temporary: the server answered 4xx, or the connection was
 *                refused, lost or timed out.  Retry later with backoff.
 *   ERR_REFUSED  permanent: the server answered 5xx to this mail.  Do not
 *                retry; err->msg holds "<code> <server text> (<stage>)".
 *   ERR_CONF     the configuration cannot work (AUTH rejected, plaintext
 *                to a remote host, STARTTLS not offered, 5xx greeting or
 *                EHLO, an unusable CA file).  Says nothing about any mail:
 *                keep mail queued and tell the admin.
 * TLS failures keep the code tls_wrap gives when it is ERR_CONF and are
 * ERR_TEMP otherwise (tls.c reports a failed certificate verification as
 * ERR_CONN, so an untrusted or misnamed certificate reads as ERR_TEMP:
 * mail waits, the message names the reason).
 * smtp_open never returns ERR_REFUSED; a 5xx greeting or EHLO is ERR_CONF.
 *
 * A mail is sent when smtp_send returns 0: the server said 250 to the
 * end of DATA.  A timeout or a dropped connection after the final "."
 * is ERR_TEMP although the server may have taken the mail; the retry
 * can deliver a second copy with the same Message-ID (README
 * "Forwarding" explains this window).
 */
#ifndef TRIAGE_SMTP_H
#define TRIAGE_SMTP_H

#include <stddef.h>

#include "conf.h"
#include "error.h"

struct net_cut;
struct smtp;

struct smtp_opts {
	const char *host;	  /* server name; also what the certificate
				     must name */
	int port;		  /* 465 implicit, 587 submission, 25 ... */
	enum conf_tls tls;	  /* CONF_TLS_NONE: loopback addresses only */
	const char *ca_file;	  /* NULL or "": the system trust store */
	const char *user;	  /* NULL or "": no AUTH */
	const char *password;	  /* AUTH PLAIN, else LOGIN (what the server
				     offers); never put in messages */
	const char *oauth2_token; /* set: AUTH XOAUTH2 with this token */
	int timeout_s;		  /* each connect, handshake, command; 0: 60 */
	struct net_cut *cut;	  /* NULL, or where the connected socket is
				     published so a stopping thread can cut
				     a hung exchange short (net.h) */
	/*
	 * Makes an 8-bit message 7-bit (quoted-printable or base64 bodies,
	 * encoded-word headers): sets *out_r (malloc'd) and *len_r, or
	 * returns -1.  Used when the server does not offer what the
	 * message needs; NULL: such a message is refused.  lib/mail has
	 * one (mime_to_7bit); proto cannot call it itself.
	 */
	int (*to_7bit)(const char *data, size_t len, char **out_r,
	    size_t *len_r);
};

/*
 * Fill *o_r from the config's smtp block (pointers into `c`, which must
 * outlive the options).  The OAuth2 token, read from its file or command
 * by the caller, is set separately.
 */
void smtp_opts_from_conf(const struct conf_server *c, int timeout_s,
    struct smtp_opts *o_r);

/*
 * Connect, secure, greet and log in.  On success returns 0 and sets *s_r
 * (close with smtp_close).  On failure returns -1 with ERR_TEMP or
 * ERR_CONF (see above) and a message naming host:port and the step.
 */
int smtp_open(const struct smtp_opts *opts, struct smtp **s_r,
    struct error *err);

/*
 * smtp_open with the secret of the config's smtp block `c` (its
 * password_file, password_env, password_command or OAuth2 token) read
 * now and wiped once the login is done: no caller keeps it.  `opts`
 * comes from smtp_opts_from_conf(c, ...).
 */
int smtp_open_conf(const struct conf_server *c, struct smtp_opts *opts,
    struct smtp **s_r, struct error *err);

/*
 * Send one mail: envelope sender `from` (without <>; "" for the null
 * sender), recipients rcpt[0 .. n_rcpt-1], the message `data` (CRLF or
 * LF line ends; dot-stuffing and the final "." are done here).  8-bit is
 * never sent undeclared: an 8-bit body goes with BODY=8BITMIME, 8-bit
 * headers or addresses with BODY=8BITMIME SMTPUTF8, where the server
 * offers them; otherwise the message goes through opts.to_7bit first
 * (an 8-bit address cannot, and is ERR_REFUSED).  Returns 0
 * when the server accepted it (250).  On failure returns -1 with ERR_TEMP
 * or ERR_REFUSED; every recipient must be accepted, one refusal fails the
 * whole mail.  After a failure the session stays usable unless the
 * connection broke (smtp_alive() says), in which case close and reopen.
 */
int smtp_send(struct smtp *s, const char *from, char *const *rcpt,
    size_t n_rcpt, const char *data, size_t len, struct error *err);

/*
 * Did the server's last EHLO offer extension `ext`: "8BITMIME",
 * "SMTPUTF8", "STARTTLS" or "PIPELINING" (others: 0)?
 */
int smtp_offers(const struct smtp *s, const char *ext);

/* 1 while the connection is usable, 0 after it broke. */
int smtp_alive(const struct smtp *s);

/* The last reply code the server sent (0: none yet / connection broke). */
int smtp_last_code(const struct smtp *s);

/* QUIT, close and free; accepts NULL, sets *sp to NULL. */
void smtp_close(struct smtp **sp);

#endif
