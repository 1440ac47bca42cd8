/*
 * TLS for libetpan streams, with verification done right.
 *
 * libetpan does not verify server certificates, so triage does its own
 * handshake with GnuTLS, verifying the chain against the system trust
 * store (or a CA file) and the host name, and only then hands libetpan
 * a mailstream_low that reads and writes through that session.  Used for
 * implicit TLS (wrap the socket right after connect) and STARTTLS (swap
 * the stream's low driver after the server's OK).
 */
#ifndef TRIAGE_TLS_H
#define TRIAGE_TLS_H

#include <libetpan/libetpan.h>

#include "error.h"

struct tls_opts {
	const char *host;    /* name to verify the certificate against */
	const char *ca_file; /* NULL or "": the system trust store */
	int timeout_s;	     /* handshake and I/O timeout */
};

/*
 * Handshake over the connected socket `fd` and verify the peer.  On
 * success returns 0 and sets *low_r: a libetpan low-level stream that owns
 * the session and closes fd when freed.  On failure returns -1 with a
 * message naming the host and the reason (untrusted issuer, host name
 * mismatch, expired ...); fd is left open for the caller to close.
 */
int tls_wrap(int fd, const struct tls_opts *opts, mailstream_low **low_r,
    struct error *err);

#endif
