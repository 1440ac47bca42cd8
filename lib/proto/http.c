/*
 * HTTP POST on libcurl (webhooks); see http.h.
 */
#include "http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define DEFAULT_TIMEOUT_S 30
#define CONNECT_TIMEOUT_S 10

/* The answer's first bytes, for messages. */
struct answer {
	char *buf;
	size_t size, len;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t bytes = size * n;

	for (size_t i = 0; i < bytes && a->len + 1 < a->size; i++) {
		unsigned char c = (unsigned char)p[i];

		a->buf[a->len++] = c >= ' ' && c < 0x7f ? (char)c : ' ';
	}
	if (a->size > 0)
		a->buf[a->len] = '\0';
	return bytes; /* the rest is read and dropped */
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const int *stop = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return stop != NULL && __atomic_load_n(stop, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Plain http: open a socket only to a loopback address, so a name that
 * resolves elsewhere never gets the body in clear.
 */
static curl_socket_t
open_loopback(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	int *refused = arg;
	int ok = 0;

	(void)purpose;
	if (a->family == AF_INET)
		ok = (ntohl(((const struct sockaddr_in *)&a->addr)
				->sin_addr.s_addr) >>
			 24) == 127;
	else if (a->family == AF_INET6)
		ok = IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)&a->addr)->sin6_addr);
	if (!ok) {
		*refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int
http_post(const struct http_post_req *req, int *status_r, char *excerpt,
    size_t excerpt_len, struct error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", ctype[128];
	struct answer a = { excerpt, excerpt_len, 0 };
	struct curl_slist *hdrs = NULL, *more;
	long status = 0;
	int refused = 0;
	CURLcode rc;
	CURL *h;
	int r = 0;

	if (excerpt != NULL && excerpt_len > 0)
		excerpt[0] = '\0';
	h = curl_easy_init();
	if (h == NULL)
		return error_set(err, ERR_TEMP, "%s: curl_easy_init failed",
		    req->url);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", req->content_type);
	hdrs = curl_slist_append(hdrs, ctype);
	/* no "100 continue" round trip: the body is small */
	if (hdrs != NULL)
		hdrs = (more = curl_slist_append(hdrs, "Expect:")) != NULL ?
			   more :
			   hdrs;
	for (size_t i = 0; i < req->n_headers && hdrs != NULL; i++) {
		more = curl_slist_append(hdrs, req->headers[i]);
		if (more == NULL)
			break;
		hdrs = more;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "triage/" TRIAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT,
	    (long)(req->timeout_s > 0 ? req->timeout_s : DEFAULT_TIMEOUT_S));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	if (strncasecmp(req->url, "http://", 7) == 0) {
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_loopback);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &refused);
	}
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req->stop);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK && refused) {
		r = error_set(err, ERR_CONF,
		    "%s: plain http is for a loopback receiver only", req->url);
	} else if (rc == CURLE_URL_MALFORMAT ||
		   rc == CURLE_UNSUPPORTED_PROTOCOL) {
		r = error_set(err, ERR_CONF, "%s: %s", req->url,
		    *errbuf != '\0' ? errbuf : curl_easy_strerror(rc));
	} else if (rc != CURLE_OK) {
		r = error_set(err, ERR_TEMP, "%s: %s", req->url,
		    *errbuf != '\0' ? errbuf : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		*status_r = (int)status;
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return r;
}

int
http_hmac_sha256_hex(const void *key, size_t key_len, const void *data,
    size_t len, char out[HTTP_SHA256_HEX], struct error *err)
{
	unsigned char mac[32];
	int rc;

	rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, data, len, mac);
	if (rc < 0)
		return error_set(err, ERR_INTERNAL, "HMAC-SHA256: %s",
		    gnutls_strerror(rc));
	for (size_t i = 0; i < sizeof(mac); i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	return 0;
}
