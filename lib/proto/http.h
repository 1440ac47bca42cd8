/*
 * HTTP POST for webhooks, on libcurl: all libcurl use lives here.
 *
 * https:// verifies the certificate (against ca_file, or the system
 * trust store) and the host name; plain http:// is for a loopback
 * receiver only (conf refuses any other; http_post checks again).
 * Redirects are not followed.  Every POST is bounded by timeout_s and
 * ends early when *stop becomes non-zero.
 *
 * How a failure reads: http_post returns 0 whenever the receiver
 * answered, whatever the status (the caller judges it); -1 with
 * ERR_TEMP when there was no answer: the connection was refused, lost
 * or timed out, or TLS failed (an untrusted or misnamed certificate:
 * the message names the reason); ERR_CONF when the request cannot be
 * made at all (an unusable URL, plain http to a remote host).
 */
#ifndef TRIAGE_HTTP_H
#define TRIAGE_HTTP_H

#include <stddef.h>

#include "error.h"

#define HTTP_SHA256_HEX 65 /* 64 hex digits and a NUL */

struct http_post_req {
	const char *url;
	const char *content_type; /* "application/json" */
	const char *body;
	size_t len;
	const char *const *headers; /* "Name: value" each */
	size_t n_headers;
	const char *ca_file; /* NULL: the system trust store */
	int timeout_s;	     /* the whole exchange; 0: 30 */
	const int *stop;     /* non-zero ends it (ERR_TEMP); may be NULL */
};

/*
 * POST req->body to req->url.  On an answer returns 0 with its status in
 * *status_r and the start of its body (for error messages, printable
 * characters only, NUL-terminated) in excerpt[excerpt_len] (may be NULL).
 */
int http_post(const struct http_post_req *req, int *status_r, char *excerpt,
    size_t excerpt_len, struct error *err);

/* HMAC-SHA256 of data[len] under key[key_len] as lowercase hex in out. */
int http_hmac_sha256_hex(const void *key, size_t key_len, const void *data,
    size_t len, char out[HTTP_SHA256_HEX], struct error *err);

#endif
