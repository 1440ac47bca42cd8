/*
 * GnuTLS-verified libetpan streams; see tls.h.
 *
 * The handshake and the verification are ours: gnutls_session_set_verify_cert
 * makes the handshake itself fail unless the chain ends at a trusted CA and
 * the certificate names opts->host, so no byte of the protocol (let alone a
 * password) is written to an unverified peer.  Only then does libetpan get a
 * mailstream_low whose read/write go through the session.
 */
#include "tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "xalloc.h"

#define TLS_DEFAULT_TIMEOUT_S 60

struct tls_stream {
	gnutls_session_t session;	       /* owned */
	gnutls_certificate_credentials_t cred; /* owned */
	int fd;				       /* owned once wrapped */
	int timeout_ms;
};

static ssize_t tls_low_read(mailstream_low *s, void *buf, size_t count);
static ssize_t tls_low_write(mailstream_low *s, const void *buf, size_t count);
static int tls_low_close(mailstream_low *s);
static int tls_low_get_fd(mailstream_low *s);
static void tls_low_free(mailstream_low *s);
static void tls_low_cancel(mailstream_low *s);
static struct mailstream_cancel *tls_low_get_cancel(mailstream_low *s);
static carray *tls_low_get_certificate_chain(mailstream_low *s);
static int tls_low_idle_unsupported(mailstream_low *s);

static mailstream_low_driver tls_low_driver = {
	.mailstream_read = tls_low_read,
	.mailstream_write = tls_low_write,
	.mailstream_close = tls_low_close,
	.mailstream_get_fd = tls_low_get_fd,
	.mailstream_free = tls_low_free,
	.mailstream_cancel = tls_low_cancel,
	.mailstream_get_cancel = tls_low_get_cancel,
	.mailstream_get_certificate_chain = tls_low_get_certificate_chain,
	.mailstream_setup_idle = tls_low_idle_unsupported,
	.mailstream_unsetup_idle = tls_low_idle_unsupported,
	.mailstream_interrupt_idle = tls_low_idle_unsupported,
};

static void
tls_stream_free(struct tls_stream **tsp)
{
	struct tls_stream *ts = *tsp;

	if (ts == NULL)
		return;
	if (ts->session != NULL)
		gnutls_deinit(ts->session);
	if (ts->cred != NULL)
		gnutls_certificate_free_credentials(ts->cred);
	free(ts);
	*tsp = NULL;
}

/* Trust anchors: the CA file when given, else the system store. */
static int
tls_load_trust(struct tls_stream *ts, const struct tls_opts *opts,
    struct error *err)
{
	int r;

	r = gnutls_certificate_allocate_credentials(&ts->cred);
	if (r < 0)
		return error_set(err, ERR_INTERNAL, "tls: %s: %s", opts->host,
		    gnutls_strerror(r));
	if (opts->ca_file != NULL && opts->ca_file[0] != '\0') {
		r = gnutls_certificate_set_x509_trust_file(ts->cred,
		    opts->ca_file, GNUTLS_X509_FMT_PEM);
		if (r <= 0)
			return error_set(err, ERR_CONF,
			    "tls: %s: no CA certificate loaded from %s%s%s",
			    opts->host, opts->ca_file, r < 0 ? ": " : "",
			    r < 0 ? gnutls_strerror(r) : "");
	} else {
		r = gnutls_certificate_set_x509_system_trust(ts->cred);
		if (r <= 0)
			return error_set(err, ERR_CONF,
			    "tls: %s: system trust store is empty%s%s",
			    opts->host, r < 0 ? ": " : "",
			    r < 0 ? gnutls_strerror(r) : "");
	}
	return 0;
}

/* An IP literal is verified against the certificate but never sent as SNI. */
static int
tls_host_is_ip(const char *host)
{
	return strspn(host, "0123456789.") == strlen(host) ||
	       strchr(host, ':') != NULL;
}

static int
tls_session_init(struct tls_stream *ts, int fd, const struct tls_opts *opts,
    struct error *err)
{
	int r;

	r = gnutls_init(&ts->session, GNUTLS_CLIENT);
	if (r < 0)
		goto fail;
	/* The system's defaults, minus TLS 1.0 and 1.1. */
	r = gnutls_set_default_priority_append(ts->session,
	    "-VERS-TLS1.0:-VERS-TLS1.1", NULL, 0);
	if (r < 0)
		goto fail;
	r = gnutls_credentials_set(ts->session, GNUTLS_CRD_CERTIFICATE,
	    ts->cred);
	if (r < 0)
		goto fail;
	if (!tls_host_is_ip(opts->host)) {
		r = gnutls_server_name_set(ts->session, GNUTLS_NAME_DNS,
		    opts->host, strlen(opts->host));
		if (r < 0)
			goto fail;
	}
	/* The handshake fails unless chain and host name verify. */
	gnutls_session_set_verify_cert(ts->session, opts->host, 0);
	gnutls_transport_set_int(ts->session, fd);
	gnutls_handshake_set_timeout(ts->session, (unsigned)ts->timeout_ms);
	gnutls_record_set_timeout(ts->session, (unsigned)ts->timeout_ms);
	return 0;
fail:
	return error_set(err, ERR_INTERNAL, "tls: %s: %s", opts->host,
	    gnutls_strerror(r));
}

/* "issuer is unknown, name does not match" from a verification status. */
static void
tls_verify_reason(gnutls_session_t session, char *out, size_t len)
{
	gnutls_datum_t txt = { NULL, 0 };
	unsigned status;
	size_t n;

	status = gnutls_session_get_verify_cert_status(session);
	if (gnutls_certificate_verification_status_print(status,
		GNUTLS_CRT_X509, &txt, 0) < 0 ||
	    txt.data == NULL) {
		snprintf(out, len, "status 0x%x", status);
		return;
	}
	snprintf(out, len, "%s", (const char *)txt.data);
	gnutls_free(txt.data);
	/* GnuTLS ends each sentence with a space; drop the last one. */
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

static int
tls_handshake(struct tls_stream *ts, const struct tls_opts *opts,
    struct error *err)
{
	char reason[512];
	int r;

	do {
		r = gnutls_handshake(ts->session);
	} while (r < 0 && gnutls_error_is_fatal(r) == 0);
	if (r == 0)
		return 0;
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		tls_verify_reason(ts->session, reason, sizeof(reason));
		return error_set(err, ERR_CONN,
		    "tls: %s: certificate verification failed: %s", opts->host,
		    reason);
	}
	if (r == GNUTLS_E_TIMEDOUT)
		return error_set(err, ERR_CONN,
		    "tls: %s: handshake timed out after %d s", opts->host,
		    ts->timeout_ms / 1000);
	return error_set(err, ERR_CONN, "tls: %s: handshake failed: %s",
	    opts->host, gnutls_strerror(r));
}

/*
 * Writes go through a blocking socket; a send timeout keeps a peer that
 * stopped reading from hanging us forever.
 */
static void
tls_set_send_timeout(int fd, int timeout_ms)
{
	struct timeval tv;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int
tls_wrap(int fd, const struct tls_opts *opts, mailstream_low **low_r,
    struct error *err)
{
	struct tls_stream *ts;
	mailstream_low *low;
	int r;

	if (opts->host == NULL || opts->host[0] == '\0')
		return error_set(err, ERR_USAGE, "tls: no host name to verify");
	ts = xcalloc(1, sizeof(*ts));
	ts->fd = fd;
	ts->timeout_ms =
	    (opts->timeout_s > 0 ? opts->timeout_s : TLS_DEFAULT_TIMEOUT_S) *
	    1000;
	r = tls_load_trust(ts, opts, err);
	if (r < 0)
		goto out;
	r = tls_session_init(ts, fd, opts, err);
	if (r < 0)
		goto out;
	tls_set_send_timeout(fd, ts->timeout_ms);
	r = tls_handshake(ts, opts, err);
	if (r < 0)
		goto out;
	low = mailstream_low_new(ts, &tls_low_driver);
	if (low == NULL) {
		r = error_set(err, ERR_INTERNAL, "tls: %s: out of memory",
		    opts->host);
		goto out;
	}
	ts = NULL;
	*low_r = low;
out:
	tls_stream_free(&ts);
	return r;
}

static ssize_t
tls_low_read(mailstream_low *s, void *buf, size_t count)
{
	struct tls_stream *ts = s->data;
	ssize_t n;

	do {
		n = gnutls_record_recv(ts->session, buf, count);
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0; /* the peer closed without close_notify */
	if (n < 0)
		return -1; /* timeout (GNUTLS_E_TIMEDOUT) or broken */
	/*
	 * Hand over whatever GnuTLS already decrypted, so that "libetpan's
	 * buffer is empty and the socket is not readable" means nothing is
	 * waiting (imap_idle_wait relies on it).  Never blocks.
	 */
	while ((size_t)n < count && gnutls_record_check_pending(ts->session)) {
		ssize_t m = gnutls_record_recv(ts->session, (char *)buf + n,
		    count - (size_t)n);

		if (m <= 0)
			break;
		n += m;
	}
	return n;
}

static ssize_t
tls_low_write(mailstream_low *s, const void *buf, size_t count)
{
	struct tls_stream *ts = s->data;
	ssize_t n;

	do {
		n = gnutls_record_send(ts->session, buf, count);
	} while (n == GNUTLS_E_INTERRUPTED);
	if (n < 0)
		return -1; /* GNUTLS_E_AGAIN here is the send timeout */
	return n;
}

static int
tls_low_close(mailstream_low *s)
{
	struct tls_stream *ts = s->data;

	if (ts->fd < 0)
		return 0;
	/* close_notify, without waiting for the peer's. */
	(void)gnutls_bye(ts->session, GNUTLS_SHUT_WR);
	close(ts->fd);
	ts->fd = -1;
	return 0;
}

static int
tls_low_get_fd(mailstream_low *s)
{
	struct tls_stream *ts = s->data;

	return ts->fd;
}

static void
tls_low_free(mailstream_low *s)
{
	struct tls_stream *ts = s->data;

	/* tls.h promises the fd dies with the stream, closed or not. */
	tls_low_close(s);
	tls_stream_free(&ts);
	s->data = NULL;
	free(s);
}

static void
tls_low_cancel(mailstream_low *s)
{
	(void)s;
}

static struct mailstream_cancel *
tls_low_get_cancel(mailstream_low *s)
{
	(void)s;
	return NULL;
}

static carray *
tls_low_get_certificate_chain(mailstream_low *s)
{
	(void)s;
	return NULL;
}

/* libetpan then falls back to select() on the fd, which is what we want. */
static int
tls_low_idle_unsupported(mailstream_low *s)
{
	(void)s;
	return -1;
}
