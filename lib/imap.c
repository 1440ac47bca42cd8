/*
 * The IMAP client, on libetpan; see imap.h.  TLS is tls.c's: the socket
 * is wrapped in a verified GnuTLS session (right after connect, or after
 * the server's STARTTLS OK) before libetpan writes a byte through it.
 */
#include "imap.h"

#include <errno.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"
#include "xalloc.h"

#define IMAP_DEFAULT_MAX_SIZE (50 * 1024 * 1024)
#define IMAP_DEFAULT_BATCH_COUNT 50
#define IMAP_DEFAULT_BATCH_BYTES (32 * 1024 * 1024)
#define IMAP_MAX_PENDING 1000000	/* UIDs one fetch_begin accepts */

struct imap {
	mailimap *session;	/* owned */
	char *label;		/* owned: "host:port (user)" for messages */
	int timeout_s;
	int broken;		/* the stream is unusable: all calls fail */
};

struct imap_entry {
	uint32_t uid;
	uint32_t size;
};

struct imap_fetch {
	struct imap *imap;		/* foreign */
	struct imap_fetch_opts opts;
	struct imap_entry *v;		/* owned: UIDs and sizes to deliver */
	size_t n;
	size_t pos;			/* next entry to hand out */
	size_t start, end;		/* the fetched batch is v[start..end) */
	clist *batch;			/* owned: libetpan's FETCH result */
	const char **data;		/* foreign (into batch): v[start + i] */
	size_t *len;
};

/* ---- errors ---------------------------------------------------------- */

static int
imap_is_conn_error(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_SSL:
		return 1;
	default:
		return 0;
	}
}

/*
 * Translate a libetpan result into our error: a broken stream is ERR_CONN
 * (and the connection is marked unusable), a refusal is `refused` with
 * the server's own words.
 */
static int
imap_fail(struct imap *imap, int r, enum err_code refused, const char *what,
    struct error *err)
{
	const char *text = imap->session != NULL &&
	    imap->session->imap_response != NULL ?
	    imap->session->imap_response : "";

	if (imap_is_conn_error(r)) {
		imap->broken = 1;
		if (r == MAILIMAP_ERROR_PARSE)
			return error_set(err, ERR_CONN, "imap %s: %s: "
			    "unparsable server response", imap->label, what);
		if (r == MAILIMAP_ERROR_FATAL)
			return error_set(err, ERR_CONN, "imap %s: %s: server "
			    "closed the session: \"%s\"", imap->label, what,
			    text);
		return error_set(err, ERR_CONN, "imap %s: %s: connection "
		    "lost or timed out after %d s", imap->label, what,
		    imap->timeout_s);
	}
	if (r == MAILIMAP_ERROR_MEMORY)
		return error_set(err, ERR_INTERNAL, "imap %s: %s: out of "
		    "memory", imap->label, what);
	if (r == MAILIMAP_ERROR_BAD_STATE)
		return error_set(err, ERR_USAGE, "imap %s: %s: not in the "
		    "right state (not logged in or no folder selected)",
		    imap->label, what);
	return error_set(err, refused, "imap %s: %s refused: \"%s\"",
	    imap->label, what, text);
}

static int
imap_check_usable(struct imap *imap, const char *what, struct error *err)
{
	if (!imap->broken)
		return 0;
	return error_set(err, ERR_CONN, "imap %s: %s: connection already "
	    "broken", imap->label, what);
}

/* ---- connecting ------------------------------------------------------ */

static int
imap_host_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* connect() on a blocking socket, bounded by timeout_s. */
static int
imap_connect_addr(const struct addrinfo *ai, int timeout_s)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, flags, r, soerr = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd < 0)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		goto fail;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno != EINPROGRESS)
		goto fail;
	if (r < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			r = poll(&pfd, 1, timeout_s * 1000);
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		goto fail;
	return fd;
fail:
	r = errno;
	close(fd);
	errno = r;
	return -1;
}

static int
imap_tcp_connect(const struct conf_server *srv, int timeout_s, int *fd_r,
    struct error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, r, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", srv->port);
	r = getaddrinfo(srv->host, port, &hints, &res);
	if (r != 0)
		return error_set(err, ERR_CONN, "imap %s:%d: cannot resolve: "
		    "%s", srv->host, srv->port, gai_strerror(r));
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = imap_connect_addr(ai, timeout_s);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return error_set(err, ERR_CONN, "imap %s:%d: connect: %s",
		    srv->host, srv->port, strerror(saved));
	*fd_r = fd;
	return 0;
}

/* The capability list from the greeting, LOGIN's OK or CAPABILITY. */
static struct mailimap_capability_data *
imap_caps(struct imap *imap)
{
	if (imap->session->imap_connection_info == NULL)
		return NULL;
	return imap->session->imap_connection_info->imap_capability;
}

int
imap_has_capability(struct imap *imap, const char *name)
{
	struct mailimap_capability_data *caps = imap_caps(imap);
	struct mailimap_capability *cap;
	clistiter *cur;

	if (caps == NULL)
		return 0;
	for (cur = clist_begin(caps->cap_list); cur != NULL;
	    cur = clist_next(cur)) {
		cap = clist_content(cur);
		if (cap->cap_type == MAILIMAP_CAPABILITY_NAME &&
		    strcasecmp(cap->cap_data.cap_name, name) == 0)
			return 1;
		if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE &&
		    strncasecmp(name, "AUTH=", 5) == 0 &&
		    strcasecmp(cap->cap_data.cap_auth_type, name + 5) == 0)
			return 1;
	}
	return 0;
}

/* Ask CAPABILITY again (after STARTTLS the old list must be forgotten). */
static int
imap_refresh_caps(struct imap *imap, struct error *err)
{
	struct mailimap_capability_data *caps = NULL;
	int r;

	r = mailimap_capability(imap->session, &caps);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_BOX, "CAPABILITY", err);
	mailimap_capability_data_free(caps);
	return 0;
}

/* Say which server and mailbox a tls_wrap() error is about. */
static int
imap_tls_fail(struct imap *imap, struct error *err)
{
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	imap->broken = 1;
	return error_set(err, err->code, "imap %s: %s", imap->label, msg);
}

static int
imap_starttls(struct imap *imap, const struct conf_server *srv,
    struct error *err)
{
	struct tls_opts opts;
	mailstream_low *low, *tls_low = NULL;
	int r, fd;

	if (!imap_has_capability(imap, "STARTTLS")) {
		r = imap_refresh_caps(imap, err);
		if (r < 0)
			return r;
	}
	if (!imap_has_capability(imap, "STARTTLS"))
		return error_set(err, ERR_CONF, "imap %s: server does not "
		    "offer STARTTLS (tls = \"starttls\"); not falling back to "
		    "plaintext", imap->label);
	r = mailimap_starttls(imap->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_CONN, "STARTTLS", err);
	low = mailstream_get_low(imap->session->imap_stream);
	fd = mailstream_low_get_fd(low);
	opts.host = srv->host;
	opts.ca_file = srv->ca_file;
	opts.timeout_s = imap->timeout_s;
	r = tls_wrap(fd, &opts, &tls_low, err);
	if (r < 0)
		return imap_tls_fail(imap, err);
	/* As libetpan's own STARTTLS does: the plain driver's free leaves the
	 * fd open, and the TLS driver owns it from now on. */
	mailstream_low_free(low);
	mailstream_set_low(imap->session->imap_stream, tls_low);
	return imap_refresh_caps(imap, err);
}

/* Build the stream for the chosen transport; fd belongs to it on success. */
static int
imap_open_stream(struct imap *imap, const struct conf_server *srv, int fd,
    mailstream **stream_r, struct error *err)
{
	struct tls_opts opts;
	mailstream_low *low = NULL;
	mailstream *s;
	int r;

	if (srv->tls != CONF_TLS_IMPLICIT) {
		s = mailstream_socket_open_timeout(fd, imap->timeout_s);
		if (s == NULL)
			return error_set(err, ERR_INTERNAL, "imap %s: out of "
			    "memory", imap->label);
		*stream_r = s;
		return 0;
	}
	opts.host = srv->host;
	opts.ca_file = srv->ca_file;
	opts.timeout_s = imap->timeout_s;
	r = tls_wrap(fd, &opts, &low, err);
	if (r < 0)
		return imap_tls_fail(imap, err);
	s = mailstream_new(low, 8192);
	if (s == NULL) {
		mailstream_low_free(low);
		return error_set(err, ERR_INTERNAL, "imap %s: out of memory",
		    imap->label);
	}
	*stream_r = s;
	return 0;
}

static void
imap_destroy(struct imap *imap)
{
	/* mailimap_free would say LOGOUT on a live stream, even one whose
	 * STARTTLS just failed verification: not a byte more to that peer. */
	if (imap->session != NULL && imap->session->imap_stream != NULL) {
		mailstream_close(imap->session->imap_stream);
		imap->session->imap_stream = NULL;
	}
	if (imap->session != NULL)
		mailimap_free(imap->session);
	free(imap->label);
	free(imap);
}

int
imap_connect(const struct conf_server *srv, int timeout_s,
    struct imap **imap_r, struct error *err)
{
	struct imap *imap;
	mailstream *stream = NULL;
	int fd = -1, r;

	if (srv->tls == CONF_TLS_NONE && !imap_host_is_loopback(srv->host))
		return error_set(err, ERR_CONF, "imap %s:%d: tls = \"none\" "
		    "is allowed to loopback only; refusing to send a password "
		    "in clear text", srv->host, srv->port);
	imap = xcalloc(1, sizeof(*imap));
	imap->timeout_s = timeout_s > 0 ? timeout_s : 60;
	xasprintf(&imap->label, "%s:%d (%s)", srv->host, srv->port,
	    srv->user != NULL ? srv->user : "-");
	imap->session = mailimap_new(0, NULL);
	if (imap->session == NULL) {
		r = error_set(err, ERR_INTERNAL, "imap: out of memory");
		goto out;
	}
	mailimap_set_timeout(imap->session, imap->timeout_s);
	r = imap_tcp_connect(srv, imap->timeout_s, &fd, err);
	if (r < 0)
		goto out;
	r = imap_open_stream(imap, srv, fd, &stream, err);
	if (r < 0)
		goto out;
	fd = -1;
	/* From here the session owns the stream, even on failure. */
	r = mailimap_connect(imap->session, stream);
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		r = imap_fail(imap, r, ERR_CONN, "greeting", err);
		goto out;
	}
	r = 0;
	if (srv->tls == CONF_TLS_STARTTLS)
		r = imap_starttls(imap, srv, err);
	if (r < 0)
		goto out;
	*imap_r = imap;
	imap = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (imap != NULL)
		imap_destroy(imap);
	return r;
}

/* ---- login ----------------------------------------------------------- */

/*
 * XOAUTH2: the token comes from conf_server_oauth2_token(), which reads
 * oauth2_token_file (re-read at each login: tokens are refreshed) or
 * runs oauth2_token_command.
 */
static int
imap_login_xoauth2(struct imap *imap, const struct conf_server *srv,
    struct error *err)
{
	char *token = NULL;
	int r;

	r = conf_server_oauth2_token(srv, &token, err);
	if (r < 0)
		return error_set(err, ERR_CONF, "imap %s: %s", imap->label,
		    err->msg);
	if (token == NULL || *token == '\0') {
		free(token);
		return error_set(err, ERR_CONF, "imap %s: no XOAUTH2 token",
		    imap->label);
	}
	r = mailimap_oauth2_authenticate(imap->session, srv->user, token);
	explicit_bzero(token, strlen(token));
	free(token);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_BOX, "AUTHENTICATE XOAUTH2",
		    err);
	return 0;
}

int
imap_login(struct imap *imap, const struct conf_server *srv,
    struct error *err)
{
	int r;

	r = imap_check_usable(imap, "login", err);
	if (r < 0)
		return r;
	if (srv->user == NULL)
		return error_set(err, ERR_CONF, "imap %s: no user configured",
		    imap->label);
	if (srv->oauth2_token_file != NULL || srv->oauth2_token_command != NULL)
		r = imap_login_xoauth2(imap, srv, err);
	else if (srv->password == NULL)
		r = error_set(err, ERR_CONF, "imap %s: no password "
		    "configured", imap->label);
	else if (imap_has_capability(imap, "LOGINDISABLED")) {
		r = mailimap_authenticate(imap->session, "PLAIN", NULL, NULL,
		    NULL, srv->user, srv->user, srv->password, NULL);
		if (r != MAILIMAP_NO_ERROR)
			r = imap_fail(imap, r, ERR_BOX, "AUTHENTICATE PLAIN",
			    err);
	} else {
		r = mailimap_login(imap->session, srv->user, srv->password);
		if (r != MAILIMAP_NO_ERROR)
			r = imap_fail(imap, r, ERR_BOX, "LOGIN", err);
	}
	if (r < 0)
		return r;
	/* The OK usually carries the new list; ask if it did not. */
	if (!imap_has_capability(imap, "IMAP4rev1"))
		return imap_refresh_caps(imap, err);
	return 0;
}

/* ---- select ---------------------------------------------------------- */

int
imap_select(struct imap *imap, const char *folder, uint32_t *uidvalidity_r,
    uint32_t *uidnext_r, uint32_t *exists_r, struct error *err)
{
	struct mailimap_selection_info *sel;
	int r;

	r = imap_check_usable(imap, "SELECT", err);
	if (r < 0)
		return r;
	r = mailimap_select(imap->session, folder);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_BOX, "SELECT", err);
	sel = imap->session->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0)
		return error_set(err, ERR_BOX, "imap %s: SELECT \"%s\": no "
		    "UIDVALIDITY from the server", imap->label, folder);
	*uidvalidity_r = sel->sel_uidvalidity;
	*uidnext_r = sel->sel_uidnext;
	*exists_r = sel->sel_exists;
	return 0;
}

/* ---- fetch ----------------------------------------------------------- */

/* The UID, size and body of one FETCH response; absent ones untouched. */
static void
imap_msg_att_parse(struct mailimap_msg_att *att, uint32_t *uid_r,
    uint32_t *size_r, const char **data_r, size_t *len_r)
{
	struct mailimap_msg_att_item *item;
	struct mailimap_msg_att_static *st;
	clistiter *cur;

	for (cur = clist_begin(att->att_list); cur != NULL;
	    cur = clist_next(cur)) {
		item = clist_content(cur);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid_r = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size_r = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (data_r != NULL &&
			    st->att_data.att_body_section->sec_body_part !=
			    NULL) {
				*data_r = st->att_data.att_body_section->
				    sec_body_part;
				*len_r = st->att_data.att_body_section->
				    sec_length;
			}
			break;
		default:
			break;
		}
	}
}

static int
imap_entry_cmp(const void *a, const void *b)
{
	const struct imap_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static struct mailimap_fetch_type *
imap_fetch_type(int with_body)
{
	struct mailimap_fetch_type *ft;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	if (with_body)
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new(NULL)));
	return ft;
}

/* UID FETCH from:* (UID RFC822.SIZE): what is there to take, in order. */
static int
imap_fetch_list(struct imap_fetch *it, uint32_t from_uid, struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *cur;
	size_t cap = 0;
	int r;

	set = mailimap_set_new_interval(from_uid, 0);
	ft = imap_fetch_type(0);
	r = mailimap_uid_fetch(it->imap->session, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(it->imap, r, ERR_BOX, "UID FETCH (sizes)",
		    err);
	for (cur = clist_begin(res); cur != NULL; cur = clist_next(cur)) {
		uint32_t uid = 0, size = 0;

		imap_msg_att_parse(clist_content(cur), &uid, &size, NULL,
		    NULL);
		/* "n:*" also names the last message when n is past it. */
		if (uid < from_uid || uid == 0)
			continue;
		if (it->n == IMAP_MAX_PENDING)
			break;
		if (it->n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			it->v = xreallocarray(it->v, cap, sizeof(*it->v));
		}
		it->v[it->n].uid = uid;
		it->v[it->n].size = size;
		it->n++;
	}
	mailimap_fetch_list_free(res);
	if (it->n > 1)
		qsort(it->v, it->n, sizeof(*it->v), imap_entry_cmp);
	return 0;
}

static void
imap_fetch_drop_batch(struct imap_fetch *it)
{
	if (it->batch != NULL)
		mailimap_fetch_list_free(it->batch);
	it->batch = NULL;
}

/* Entries v[pos..end) form the next batch: bounded by count and bytes. */
static size_t
imap_batch_end(const struct imap_fetch *it)
{
	size_t i, bytes = 0, count = 0;

	for (i = it->pos; i < it->n && count < it->opts.batch_count; i++) {
		if (it->v[i].size > it->opts.max_size) {
			count++;
			continue;
		}
		if (count > 0 && bytes + it->v[i].size > it->opts.batch_bytes)
			break;
		bytes += it->v[i].size;
		count++;
	}
	return i;
}

/* Fetch bodies of the batch's entries that are not too big. */
static int
imap_fetch_batch(struct imap_fetch *it, struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clistiter *cur;
	size_t i, want = 0;
	int r;

	imap_fetch_drop_batch(it);
	it->start = it->pos;
	it->end = imap_batch_end(it);
	set = mailimap_set_new_empty();
	for (i = it->start; i < it->end; i++) {
		it->data[i - it->start] = NULL;
		it->len[i - it->start] = 0;
		if (it->v[i].size > it->opts.max_size)
			continue;
		mailimap_set_add_single(set, it->v[i].uid);
		want++;
	}
	if (want == 0) {
		mailimap_set_free(set);
		return 0;
	}
	ft = imap_fetch_type(1);
	r = mailimap_uid_fetch(it->imap->session, set, ft, &it->batch);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		it->batch = NULL;
		return imap_fail(it->imap, r, ERR_BOX, "UID FETCH", err);
	}
	/* Match responses to entries by UID; unsolicited FETCHes (flag
	 * changes by other clients) carry no body and are ignored. */
	for (cur = clist_begin(it->batch); cur != NULL; cur = clist_next(cur)) {
		uint32_t uid = 0, size = 0;
		const char *data = NULL;
		size_t len = 0;

		imap_msg_att_parse(clist_content(cur), &uid, &size, &data,
		    &len);
		if (data == NULL)
			continue;
		for (i = it->start; i < it->end; i++) {
			if (it->v[i].uid == uid) {
				it->data[i - it->start] = data;
				it->len[i - it->start] = len;
				break;
			}
		}
	}
	return 0;
}

int
imap_fetch_begin(struct imap *imap, uint32_t from_uid,
    const struct imap_fetch_opts *opts, struct imap_fetch **it_r,
    struct error *err)
{
	struct imap_fetch *it;
	int r;

	r = imap_check_usable(imap, "UID FETCH", err);
	if (r < 0)
		return r;
	it = xcalloc(1, sizeof(*it));
	it->imap = imap;
	if (opts != NULL)
		it->opts = *opts;
	if (it->opts.max_size == 0)
		it->opts.max_size = IMAP_DEFAULT_MAX_SIZE;
	if (it->opts.batch_count == 0)
		it->opts.batch_count = IMAP_DEFAULT_BATCH_COUNT;
	if (it->opts.batch_bytes == 0)
		it->opts.batch_bytes = IMAP_DEFAULT_BATCH_BYTES;
	it->data = xcalloc(it->opts.batch_count, sizeof(*it->data));
	it->len = xcalloc(it->opts.batch_count, sizeof(*it->len));
	if (from_uid == 0)
		from_uid = 1;
	r = 0;
	if (imap->session->imap_selection_info == NULL ||
	    imap->session->imap_selection_info->sel_exists > 0)
		r = imap_fetch_list(it, from_uid, err);
	if (r < 0) {
		imap_fetch_end(&it);
		return r;
	}
	*it_r = it;
	return 0;
}

int
imap_fetch_next(struct imap_fetch *it, struct imap_msg *m, struct error *err)
{
	const struct imap_entry *e;
	size_t k;
	int r;

	if (it->pos >= it->n)
		return 0;
	if (it->pos >= it->end) {
		r = imap_fetch_batch(it, err);
		if (r < 0) {
			it->pos = it->n;
			return r;
		}
	}
	e = &it->v[it->pos];
	k = it->pos - it->start;
	m->uid = e->uid;
	m->size = e->size;
	m->data = it->data[k];
	m->len = it->len[k];
	if (e->size > it->opts.max_size)
		m->status = IMAP_MSG_TOO_BIG;
	else if (m->data == NULL)
		m->status = IMAP_MSG_GONE;
	else
		m->status = IMAP_MSG_OK;
	it->pos++;
	return 1;
}

size_t
imap_fetch_count(const struct imap_fetch *it)
{
	return it->n;
}

void
imap_fetch_end(struct imap_fetch **itp)
{
	struct imap_fetch *it = *itp;

	if (it == NULL)
		return;
	imap_fetch_drop_batch(it);
	free(it->v);
	free(it->data);
	free(it->len);
	free(it);
	*itp = NULL;
}

/* ---- post-actions ---------------------------------------------------- */

/* A UID set naming uids[0..n), or first:last when uids is NULL. */
static struct mailimap_set *
imap_uid_set(const uint32_t *uids, size_t n, uint32_t first, uint32_t last)
{
	struct mailimap_set *set;

	if (uids == NULL)
		return mailimap_set_new_interval(first, last);
	set = mailimap_set_new_empty();
	for (size_t i = 0; i < n; i++)
		mailimap_set_add_single(set, uids[i]);
	return set;
}

static int
imap_store_flag(struct imap *imap, struct mailimap_set *set,
    struct mailimap_flag *flag, const char *what, struct error *err)
{
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sf;
	int r;

	fl = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(fl, flag);
	sf = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(imap->session, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_MSG, what, err);
	return 0;
}

static int
imap_flag_seen_set(struct imap *imap, struct mailimap_set *set,
    struct error *err)
{
	int r;

	r = imap_check_usable(imap, "UID STORE", err);
	if (r == 0)
		r = imap_store_flag(imap, set, mailimap_flag_new_seen(),
		    "UID STORE \\Seen", err);
	mailimap_set_free(set);
	return r;
}

int
imap_flag_seen(struct imap *imap, uint32_t uid, struct error *err)
{
	return imap_flag_seen_set(imap, mailimap_set_new_single(uid), err);
}

int
imap_flag_seen_uids(struct imap *imap, const uint32_t *uids, size_t n,
    struct error *err)
{
	if (n == 0)
		return 0;
	return imap_flag_seen_set(imap, imap_uid_set(uids, n, 0, 0), err);
}

int
imap_flag_seen_range(struct imap *imap, uint32_t first, uint32_t last,
    struct error *err)
{
	if (first == 0 || first > last)
		return 0;
	return imap_flag_seen_set(imap, imap_uid_set(NULL, 0, first, last),
	    err);
}

/* Without MOVE: copy, mark deleted, expunge exactly these UIDs. */
static int
imap_copy_delete(struct imap *imap, struct mailimap_set *set,
    const char *folder, struct error *err)
{
	int r;

	r = mailimap_uid_copy(imap->session, set, folder);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_MSG, "UID COPY", err);
	r = imap_store_flag(imap, set, mailimap_flag_new_deleted(),
	    "UID STORE \\Deleted", err);
	if (r < 0)
		return r;
	if (!imap_has_capability(imap, "UIDPLUS")) {
		/* A plain EXPUNGE would remove every \Deleted message. */
		return error_set(err, ERR_MSG, "imap %s: copied to \"%s\" and "
		    "marked \\Deleted, but the server has neither MOVE nor "
		    "UIDPLUS: not expunged", imap->label, folder);
	}
	r = mailimap_uid_expunge(imap->session, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_MSG, "UID EXPUNGE", err);
	return 0;
}

static int
imap_move_set(struct imap *imap, struct mailimap_set *set,
    const char *folder, struct error *err)
{
	int r;

	r = imap_check_usable(imap, "move", err);
	if (r < 0)
		goto out;
	if (!imap_has_capability(imap, "MOVE")) {
		r = imap_copy_delete(imap, set, folder, err);
		goto out;
	}
	r = mailimap_uid_move(imap->session, set, folder);
	if (r != MAILIMAP_NO_ERROR)
		r = imap_fail(imap, r, ERR_MSG, "UID MOVE", err);
	else
		r = 0;
out:
	mailimap_set_free(set);
	return r;
}

int
imap_move(struct imap *imap, uint32_t uid, const char *folder,
    struct error *err)
{
	return imap_move_set(imap, mailimap_set_new_single(uid), folder, err);
}

int
imap_move_uids(struct imap *imap, const uint32_t *uids, size_t n,
    const char *folder, struct error *err)
{
	if (n == 0)
		return 0;
	return imap_move_set(imap, imap_uid_set(uids, n, 0, 0), folder, err);
}

int
imap_move_range(struct imap *imap, uint32_t first, uint32_t last,
    const char *folder, struct error *err)
{
	if (first == 0 || first > last)
		return 0;
	return imap_move_set(imap, imap_uid_set(NULL, 0, first, last), folder,
	    err);
}

/* ---- IDLE ------------------------------------------------------------ */

int
imap_idle_start(struct imap *imap, struct error *err)
{
	struct mailimap_selection_info *sel;
	uint32_t exists = 0;
	int r;

	r = imap_check_usable(imap, "IDLE", err);
	if (r < 0)
		return r;
	sel = imap->session->imap_selection_info;
	if (sel != NULL)
		exists = sel->sel_exists;
	r = mailimap_idle(imap->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_BOX, "IDLE", err);
	/* Mail that came between the last command and IDLE may be
	 * announced before the continuation: that is news already. */
	sel = imap->session->imap_selection_info;
	if (sel != NULL && sel->sel_exists != exists)
		return 1;
	return 0;
}

int
imap_idle_wait(struct imap *imap, int wake_fd, int timeout_ms,
    struct error *err)
{
	struct pollfd pfd[2];
	int r;

	r = imap_check_usable(imap, "IDLE", err);
	if (r < 0)
		return r;
	/* Something may already sit in libetpan's buffer. */
	if (imap->session->imap_stream->read_buffer_len > 0)
		return 1;
	pfd[0].fd = mailimap_idle_get_fd(imap->session);
	pfd[0].events = POLLIN;
	pfd[1].fd = wake_fd;
	pfd[1].events = POLLIN;
	do {
		r = poll(pfd, wake_fd >= 0 ? 2 : 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		imap->broken = 1;
		return error_set(err, ERR_CONN, "imap %s: IDLE: poll: %s",
		    imap->label, strerror(errno));
	}
	if (r > 0 && pfd[0].revents != 0)
		return 1;
	return 0;
}

int
imap_idle_done(struct imap *imap, struct error *err)
{
	int r;

	r = imap_check_usable(imap, "DONE", err);
	if (r < 0)
		return r;
	r = mailimap_idle_done(imap->session);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_CONN, "IDLE DONE", err);
	return 0;
}

/* ---- the rest -------------------------------------------------------- */

int
imap_fd(struct imap *imap)
{
	mailstream_low *low;

	if (imap->session->imap_stream == NULL)
		return -1;
	low = mailstream_get_low(imap->session->imap_stream);
	return mailstream_low_get_fd(low);
}

void
imap_logout(struct imap *imap)
{
	if (imap == NULL || imap->broken ||
	    imap->session->imap_stream == NULL)
		return;
	/* mailimap_logout closes the stream whatever the answer. */
	(void)mailimap_logout(imap->session);
	imap->broken = 1;
}

void
imap_free(struct imap **imapp)
{
	if (*imapp == NULL)
		return;
	imap_destroy(*imapp);
	*imapp = NULL;
}
