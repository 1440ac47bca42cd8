/*
 * SMTP client on libetpan's mailsmtp; see smtp.h for the contract.
 *
 * libetpan does the protocol (replies, dot-stuffing, SASL for PLAIN and
 * LOGIN, XOAUTH2); triage does the socket (so connects time out and
 * plaintext is held to loopback) and TLS (tls_wrap verifies what
 * libetpan would not).  libetpan keeps the last reply in
 * session->response_code and session->response (the text after the
 * code, lines joined by '\n'); every failure is classified from those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "log.h"
#include "net.h"
#include "smtp.h"
#include "tls.h"
#include "xalloc.h"

/*
 * libetpan's own, exported but declared only in its uninstalled
 * mailsmtp_private.h: a command line out, a reply in (its code, 0 when
 * the stream broke).  mailsmtp_mail() cannot carry MAIL parameters.
 */
int mailsmtp_send_command(mailsmtp *session, char *command);
int mailsmtp_read_response(mailsmtp *session);

#define DEFAULT_TIMEOUT 60
#define STREAM_BUFFER 8192
#define REPLY_MAX 400 /* bytes of server text kept in a message */

struct smtp {
	mailsmtp *session;   /* owned; owns the stream */
	struct net_cut *cut; /* foreign: the socket is published there */
	char where[300];     /* "host:port", for messages */
	int alive;
	int last_code;
	int smtputf8; /* EHLO offered SMTPUTF8 (libetpan has no flag) */
	int (*to_7bit)(const char *, size_t, char **, size_t *);
};

/* ---- the socket ---- */

static int
connect_tcp(const struct smtp_opts *o, int timeout_s, const char *where,
    int *fd_r, struct error *err)
{
	enum net_fail fail;
	const char *why;
	int fd;

	fd = net_connect(o->host, o->port, o->tls == CONF_TLS_NONE, timeout_s,
	    &fail, &why);
	if (fd >= 0) {
		*fd_r = fd;
		return 0;
	}
	if (fail == NET_RESOLVE)
		return error_set(err, ERR_TEMP, "smtp %s: cannot resolve: %s",
		    where, why);
	if (fail == NET_REMOTE)
		return error_set(err, ERR_CONF,
		    "smtp %s: tls = \"none\" is "
		    "only allowed to a loopback address",
		    where);
	return error_set(err, ERR_TEMP, "smtp %s: connect: %s", where, why);
}

/* ---- replies ---- */

/* "<code> <text>" of the last reply, on one line, bounded. */
static void
reply_text(const struct smtp *s, char *buf, size_t size)
{
	const char *text = s->session->response;
	size_t n, i;

	n = (size_t)snprintf(buf, size, "%d ", s->last_code);
	for (i = 0;
	     text != NULL && text[i] != '\0' && n + 1 < size && i < REPLY_MAX;
	     i++) {
		unsigned char c = (unsigned char)text[i];

		buf[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/*
 * Turn a failed mailsmtp call into a struct error.  `perm` is the code
 * a 5xx reply gets (ERR_REFUSED for a mail, ERR_CONF while opening).
 */
static int
fail(struct smtp *s, int r, const char *stage, enum err_code perm,
    struct error *err)
{
	char reply[REPLY_MAX + 16];

	s->last_code = s->session->response_code;
	if (r == MAILSMTP_ERROR_STREAM || s->last_code == 0 ||
	    s->session->stream == NULL) {
		s->alive = 0;
		s->last_code = 0;
		return error_set(err, ERR_TEMP,
		    "smtp %s: connection lost or timed out (%s)", s->where,
		    stage);
	}
	reply_text(s, reply, sizeof(reply));
	if (s->last_code >= 500 && s->last_code < 600)
		return error_set(err, perm, "%s (%s)", reply, stage);
	if (s->last_code >= 400 && s->last_code < 500)
		return error_set(err, ERR_TEMP, "%s (%s)", reply, stage);
	/* a success code with a failure: libetpan failed on its side */
	return error_set(err, ERR_TEMP, "smtp %s: %s after \"%s\" (%s)",
	    s->where, mailsmtp_strerror(r), reply, stage);
}

/* ---- opening ---- */

static int
tls_fail_code(const struct error *err)
{
	/* a verification failure is the admin's; a handshake drop is not */
	return err->code == ERR_CONF ? ERR_CONF : ERR_TEMP;
}

static int
start_stream(struct smtp *s, const struct smtp_opts *o, int timeout_s,
    struct error *err)
{
	struct tls_opts topts = { o->host, o->ca_file, timeout_s };
	mailstream_low *low = NULL;
	mailstream *stream;
	int fd = -1, r;

	r = connect_tcp(o, timeout_s, s->where, &fd, err);
	if (r < 0)
		return -1;
	s->cut = o->cut;
	net_cut_set(s->cut, fd);
	if (o->tls == CONF_TLS_IMPLICIT) {
		r = tls_wrap(fd, &topts, &low, err);
		if (r < 0) {
			net_cut_set(s->cut, -1);
			close(fd);
			err->code = tls_fail_code(err);
			return -1;
		}
	} else {
		low = mailstream_low_socket_open(fd);
		if (low == NULL)
			fatalx("smtp: out of memory");
	}
	mailstream_low_set_timeout(low, timeout_s);
	stream = mailstream_new(low, STREAM_BUFFER);
	if (stream == NULL)
		fatalx("smtp: out of memory");
	s->alive = 1;
	/* mailsmtp_connect reads the greeting; it closes the stream on error */
	r = mailsmtp_connect(s->session, stream);
	if (r != MAILSMTP_NO_ERROR)
		return fail(s, r, "greeting", ERR_CONF, err);
	return 0;
}

/* Does the EHLO reply (its lines joined by '\n') name `kw`? */
static int
ehlo_names(const char *reply, const char *kw)
{
	size_t n = strlen(kw);

	for (const char *p = reply; p != NULL && *p != '\0';) {
		if (strncasecmp(p, kw, n) == 0 &&
		    (p[n] == '\0' || p[n] == '\n' || p[n] == ' ' ||
			p[n] == '\r'))
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static int
ehlo(struct smtp *s, struct error *err)
{
	int r;

	r = mailesmtp_ehlo(s->session);
	if (r == MAILSMTP_ERROR_NOT_IMPLEMENTED ||
	    r == MAILSMTP_ERROR_ACTION_NOT_TAKEN ||
	    (r == MAILSMTP_ERROR_UNEXPECTED_CODE &&
		s->session->response_code >= 500))
		r = mailsmtp_helo(s->session); /* an RFC 821 server */
	if (r != MAILSMTP_NO_ERROR)
		return fail(s, r, "EHLO", ERR_CONF, err);
	s->smtputf8 = (s->session->esmtp & MAILSMTP_ESMTP) &&
		      ehlo_names(s->session->response, "SMTPUTF8");
	return 0;
}

static int
starttls(struct smtp *s, const struct smtp_opts *o, int timeout_s,
    struct error *err)
{
	struct tls_opts topts = { o->host, o->ca_file, timeout_s };
	mailstream_low *low, *tls_low = NULL;
	int r;

	if (!(s->session->esmtp & MAILSMTP_ESMTP_STARTTLS)) {
		return error_set(err, ERR_CONF,
		    "smtp %s: server does not offer STARTTLS", s->where);
	}
	r = mailesmtp_starttls(s->session);
	if (r != MAILSMTP_NO_ERROR)
		return fail(s, r, "STARTTLS", ERR_CONF, err);
	/* bytes already buffered would be plaintext posing as TLS data
	   (the STARTTLS injection of CVE-2020-15953): refuse */
	if (s->session->stream->read_buffer_len != 0) {
		s->alive = 0;
		return error_set(err, ERR_CONF,
		    "smtp %s: server sent data after its STARTTLS reply",
		    s->where);
	}
	low = mailstream_get_low(s->session->stream);
	r = tls_wrap(mailstream_low_get_fd(low), &topts, &tls_low, err);
	if (r < 0) {
		s->alive = 0;
		err->code = tls_fail_code(err);
		return -1;
	}
	/* the socket driver's free does not close the fd tls_low now owns */
	mailstream_low_free(low);
	mailstream_low_set_timeout(tls_low, timeout_s);
	mailstream_set_low(s->session->stream, tls_low);
	return ehlo(s, err);
}

static int
auth(struct smtp *s, const struct smtp_opts *o, struct error *err)
{
	int r, type;

	if (o->oauth2_token != NULL && *o->oauth2_token != '\0') {
		r = mailsmtp_oauth2_authenticate(s->session, o->user,
		    o->oauth2_token);
		if (r != MAILSMTP_NO_ERROR)
			goto failed;
		return 0;
	}
	if (s->session->auth & MAILSMTP_AUTH_PLAIN)
		type = MAILSMTP_AUTH_PLAIN;
	else if (s->session->auth & MAILSMTP_AUTH_LOGIN)
		type = MAILSMTP_AUTH_LOGIN;
	else {
		return error_set(err, ERR_CONF,
		    "smtp %s: server offers neither AUTH PLAIN nor LOGIN",
		    s->where);
	}
	r = mailsmtp_auth_type(s->session, o->user,
	    o->password != NULL ? o->password : "", type);
	if (r != MAILSMTP_NO_ERROR)
		goto failed;
	return 0;
failed:
	if (r != MAILSMTP_ERROR_STREAM && s->session->response_code > 0 &&
	    s->session->response_code < 400) {
		/* no failure reply: SASL failed on our side */
		return error_set(err, ERR_CONF,
		    "smtp %s: AUTH failed before the server answered: %s",
		    s->where, mailsmtp_strerror(r));
	}
	return fail(s, r, "AUTH", ERR_CONF, err);
}

void
smtp_opts_from_conf(const struct conf_server *c, int timeout_s,
    struct smtp_opts *o_r)
{
	memset(o_r, 0, sizeof(*o_r));
	o_r->host = c->host;
	o_r->port = c->port;
	o_r->tls = c->tls;
	o_r->ca_file = c->ca_file;
	o_r->user = c->user;
	o_r->password = c->password;
	o_r->timeout_s = timeout_s;
}

int
smtp_open(const struct smtp_opts *opts, struct smtp **s_r, struct error *err)
{
	struct smtp *s;
	int timeout_s, r;

	timeout_s = opts->timeout_s > 0 ? opts->timeout_s : DEFAULT_TIMEOUT;
	s = xcalloc(1, sizeof(*s));
	s->to_7bit = opts->to_7bit;
	snprintf(s->where, sizeof(s->where), "%s:%d", opts->host, opts->port);
	s->session = mailsmtp_new(0, NULL);
	if (s->session == NULL)
		fatalx("smtp: out of memory");
	mailsmtp_set_timeout(s->session, timeout_s);
	r = start_stream(s, opts, timeout_s, err);
	if (r < 0)
		goto out;
	r = ehlo(s, err);
	if (r < 0)
		goto out;
	if (opts->tls == CONF_TLS_STARTTLS) {
		r = starttls(s, opts, timeout_s, err);
		if (r < 0)
			goto out;
	}
	if (opts->user != NULL && *opts->user != '\0') {
		r = auth(s, opts, err);
		if (r < 0)
			goto out;
	}
	*s_r = s;
	s = NULL;
out:
	smtp_close(&s);
	return r;
}

static void
wipe(char *secret)
{
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

int
smtp_open_conf(const struct conf_server *c, struct smtp_opts *opts,
    struct smtp **s_r, struct error *err)
{
	char *password = NULL, *token = NULL;
	int r;

	r = conf_server_password(c, &password, err);
	if (r == 0)
		r = conf_server_oauth2_token(c, &token, err);
	if (r == 0) {
		if (password != NULL)
			opts->password = password;
		opts->oauth2_token = token;
		r = smtp_open(opts, s_r, err);
	}
	opts->password = c->password;
	opts->oauth2_token = NULL;
	wipe(password);
	wipe(token);
	return r;
}

/* ---- sending ---- */

/* An address libetpan can put in "<...>" without breaking the line. */
static int
address_ok(const char *a)
{
	return a != NULL && strlen(a) < 256 && strpbrk(a, "<>\r\n \t") == NULL;
}

/* Any byte past US-ASCII in p[0 .. n)? */
static int
has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] > 0x7f)
			return 1;
	return 0;
}

/* The length of the header block: up to the first empty line. */
static size_t
header_len(const char *data, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (data[i] == '\n' &&
		    (data[i + 1] == '\n' ||
			(data[i + 1] == '\r' && i + 2 < len &&
			    data[i + 2] == '\n')))
			return i + 1;
	}
	return len;
}

enum body_need {
	NEED_7BIT,     /* plain MAIL FROM */
	NEED_8BITMIME, /* 8-bit body: BODY=8BITMIME (RFC 6152) */
	NEED_SMTPUTF8, /* UTF-8 headers or addresses (RFC 6531) */
};

/*
 * What one mail needs declared, and what it is sent as: the parameters
 * for MAIL FROM, or (the server offers too little) the message made
 * 7-bit by the to_7bit hook into *conv_r.  Never undeclared 8-bit.
 */
static int
plan_body(struct smtp *s, const char *from, char *const *rcpt, size_t n_rcpt,
    const char **data, size_t *len, const char **params_r, char **conv_r,
    struct error *err)
{
	enum body_need need = NEED_7BIT;
	int addr8 = has_8bit(from, strlen(from));
	size_t conv_len;

	for (size_t i = 0; i < n_rcpt; i++)
		addr8 |= has_8bit(rcpt[i], strlen(rcpt[i]));
	if (addr8 || has_8bit(*data, header_len(*data, *len)))
		need = NEED_SMTPUTF8;
	else if (has_8bit(*data, *len))
		need = NEED_8BITMIME;
	*params_r = "";
	if (need == NEED_7BIT)
		return 0;
	if (need == NEED_SMTPUTF8 && s->smtputf8 &&
	    smtp_offers(s, "8BITMIME")) {
		*params_r = " BODY=8BITMIME SMTPUTF8";
		return 0;
	}
	if (need == NEED_8BITMIME && smtp_offers(s, "8BITMIME")) {
		*params_r = " BODY=8BITMIME";
		return 0;
	}
	if (addr8)
		return error_set(err, ERR_REFUSED,
		    "smtp %s: a non-ASCII address needs SMTPUTF8, which the "
		    "server does not offer",
		    s->where);
	if (s->to_7bit == NULL ||
	    s->to_7bit(*data, *len, conv_r, &conv_len) < 0 ||
	    has_8bit(*conv_r, conv_len)) {
		free(*conv_r);
		*conv_r = NULL;
		return error_set(err, ERR_REFUSED,
		    "smtp %s: 8-bit mail, the server offers %s, and it could "
		    "not be made 7-bit",
		    s->where,
		    smtp_offers(s, "8BITMIME") ?
			"8BITMIME but not SMTPUTF8" :
			"neither 8BITMIME nor SMTPUTF8");
	}
	*data = *conv_r;
	*len = conv_len;
	return 0;
}

/* MAIL FROM, with parameters when there are any. */
static int
mail_from(struct smtp *s, const char *from, const char *params)
{
	char cmd[512];
	int code;

	if (*params == '\0')
		return mailsmtp_mail(s->session, from);
	/* address_ok() bounds `from` to 255 bytes */
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>%s\r\n", from, params);
	if (mailsmtp_send_command(s->session, cmd) == -1)
		return MAILSMTP_ERROR_STREAM;
	code = mailsmtp_read_response(s->session);
	if (code == 0)
		return MAILSMTP_ERROR_STREAM;
	return code == 250 ? MAILSMTP_NO_ERROR : MAILSMTP_ERROR_UNEXPECTED_CODE;
}

/* Clear a failed transaction so the session can send the next mail. */
static void
reset(struct smtp *s)
{
	if (s->alive && mailsmtp_reset(s->session) != MAILSMTP_NO_ERROR)
		s->alive = 0;
}

int
smtp_send(struct smtp *s, const char *from, char *const *rcpt, size_t n_rcpt,
    const char *data, size_t len, struct error *err)
{
	const char *params;
	char stage[300], *conv = NULL;
	size_t i;
	int r;

	if (!s->alive) {
		return error_set(err, ERR_TEMP, "smtp %s: connection broken",
		    s->where);
	}
	if (!address_ok(from) || n_rcpt == 0) {
		return error_set(err, ERR_REFUSED,
		    "bad envelope: sender \"%s\", %zu recipients",
		    from != NULL ? from : "", n_rcpt);
	}
	if (plan_body(s, from, rcpt, n_rcpt, &data, &len, &params, &conv, err) <
	    0)
		return -1;
	r = mail_from(s, from, params);
	if (r != MAILSMTP_NO_ERROR) {
		snprintf(stage, sizeof(stage), "MAIL FROM:<%s>%s", from,
		    params);
		goto failed;
	}
	for (i = 0; i < n_rcpt; i++) {
		snprintf(stage, sizeof(stage), "RCPT TO:<%s>", rcpt[i]);
		if (!address_ok(rcpt[i]) || *rcpt[i] == '\0') {
			reset(s);
			free(conv);
			return error_set(err, ERR_REFUSED,
			    "bad recipient address (%s)", stage);
		}
		r = mailsmtp_rcpt(s->session, rcpt[i]);
		if (r != MAILSMTP_NO_ERROR)
			goto failed;
	}
	snprintf(stage, sizeof(stage), "DATA");
	r = mailsmtp_data(s->session);
	if (r != MAILSMTP_NO_ERROR)
		goto failed;
	/* libetpan ends the data with CRLF "." CRLF itself: a final line
	   end of ours would become an extra empty line */
	if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && data[len - 1] == '\n')
		len -= 1;
	snprintf(stage, sizeof(stage), "end of DATA");
	r = mailsmtp_data_message(s->session, data, len);
	if (r != MAILSMTP_NO_ERROR)
		goto failed;
	s->last_code = s->session->response_code;
	free(conv);
	return 0;
failed:
	free(conv);
	r = fail(s, r, stage, ERR_REFUSED, err);
	if (strcmp(stage, "end of DATA") != 0)
		reset(s);
	return r;
}

int
smtp_offers(const struct smtp *s, const char *ext)
{
	if (strcasecmp(ext, "8BITMIME") == 0)
		return (s->session->esmtp & MAILSMTP_ESMTP_8BITMIME) != 0;
	if (strcasecmp(ext, "SMTPUTF8") == 0)
		return s->smtputf8;
	if (strcasecmp(ext, "STARTTLS") == 0)
		return (s->session->esmtp & MAILSMTP_ESMTP_STARTTLS) != 0;
	if (strcasecmp(ext, "PIPELINING") == 0)
		return (s->session->esmtp & MAILSMTP_ESMTP_PIPELINING) != 0;
	return 0;
}

int
smtp_alive(const struct smtp *s)
{
	return s != NULL && s->alive;
}

int
smtp_last_code(const struct smtp *s)
{
	return s != NULL ? s->last_code : 0;
}

void
smtp_close(struct smtp **sp)
{
	struct smtp *s = *sp;

	if (s == NULL)
		return;
	/* QUIT (none into a broken connection) while still cuttable */
	if (s->session != NULL && s->session->stream != NULL && s->alive)
		(void)mailsmtp_quit(s->session);
	if (s->session != NULL && s->session->stream != NULL) {
		mailstream_close(s->session->stream); /* QUIT failed */
		s->session->stream = NULL;
	}
	/*
	 * Only a stop fires the cut, and it cuts every connection anyway:
	 * a socket number reused in the instant since the close is no harm.
	 */
	net_cut_set(s->cut, -1);
	if (s->session != NULL)
		mailsmtp_free(s->session);
	free(s);
	*sp = NULL;
}
