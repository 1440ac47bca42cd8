/*
 * The IMAP client, on libetpan; see imap.h.  This file: the connection,
 * login, SELECT, post-actions and IDLE; the fetch iterator is in
 * imap-fetch.c.  TLS is tls.c's: the socket is wrapped in a verified
 * GnuTLS session (right after connect, or after the server's STARTTLS
 * OK) before libetpan writes a byte through it.
 */
#include "imap.h"

#include <errno.h>
#include <libetpan/libetpan.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "imap-private.h"
#include "net.h"
#include "tls.h"
#include "xalloc.h"

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
 * Has the server closed the connection?  libetpan reports a stream that
 * ends in the middle of a response (a server shutting down sends BYE and
 * closes) as a parse error; the socket says which it was.
 */
static int
imap_peer_closed(struct imap *imap)
{
	mailstream_low *low;
	char c;
	int fd;

	if (imap->session == NULL || imap->session->imap_stream == NULL)
		return 0;
	low = mailstream_get_low(imap->session->imap_stream);
	fd = low != NULL ? mailstream_low_get_fd(low) : -1;
	return fd >= 0 && recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/*
 * Translate a libetpan result into our error: a broken stream is ERR_CONN
 * (and the connection is marked unusable), a refusal is `refused` with
 * the server's own words.
 */
int
imap_fail(struct imap *imap, int r, enum err_code refused, const char *what,
    struct error *err)
{
	const char *text =
	    imap->session != NULL && imap->session->imap_response != NULL ?
		imap->session->imap_response :
		"";

	if (imap_is_conn_error(r)) {
		imap->broken = 1;
		if (r == MAILIMAP_ERROR_PARSE && imap_peer_closed(imap))
			return error_set(err, ERR_CONN,
			    "imap %s: %s: the "
			    "server closed the connection",
			    imap->label, what);
		if (r == MAILIMAP_ERROR_PARSE)
			return error_set(err, ERR_CONN,
			    "imap %s: %s: "
			    "unparsable server response",
			    imap->label, what);
		if (r == MAILIMAP_ERROR_FATAL)
			return error_set(err, ERR_CONN,
			    "imap %s: %s: server "
			    "closed the session: \"%s\"",
			    imap->label, what, text);
		return error_set(err, ERR_CONN,
		    "imap %s: %s: connection "
		    "lost or timed out after %d s",
		    imap->label, what, imap->timeout_s);
	}
	if (r == MAILIMAP_ERROR_MEMORY)
		return error_set(err, ERR_INTERNAL,
		    "imap %s: %s: out of "
		    "memory",
		    imap->label, what);
	if (r == MAILIMAP_ERROR_BAD_STATE)
		return error_set(err, ERR_USAGE,
		    "imap %s: %s: not in the "
		    "right state (not logged in or no folder selected)",
		    imap->label, what);
	return error_set(err, refused, "imap %s: %s refused: \"%s\"",
	    imap->label, what, text);
}

int
imap_check_usable(struct imap *imap, const char *what, struct error *err)
{
	if (!imap->broken)
		return 0;
	return error_set(err, ERR_CONN,
	    "imap %s: %s: connection already "
	    "broken",
	    imap->label, what);
}

/* ---- connecting ------------------------------------------------------ */

static int
imap_tcp_connect(const struct conf_server *srv, int timeout_s, int *fd_r,
    struct error *err)
{
	enum net_fail fail;
	const char *why;
	int fd;

	fd = net_connect(srv->host, srv->port, srv->tls == CONF_TLS_NONE,
	    timeout_s, &fail, &why);
	if (fd >= 0) {
		*fd_r = fd;
		return 0;
	}
	if (fail == NET_RESOLVE)
		return error_set(err, ERR_CONN,
		    "imap %s:%d: cannot resolve: "
		    "%s",
		    srv->host, srv->port, why);
	if (fail == NET_REMOTE)
		return error_set(err, ERR_CONF,
		    "imap %s:%d: tls = \"none\" "
		    "is allowed to loopback only; refusing to send a password "
		    "in clear text to a non-loopback address",
		    srv->host, srv->port);
	return error_set(err, ERR_CONN, "imap %s:%d: connect: %s", srv->host,
	    srv->port, why);
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
	imap->broken = 1;
	return error_prefix(err, "imap %s", imap->label);
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
		return error_set(err, ERR_CONF,
		    "imap %s: server does not "
		    "offer STARTTLS (tls = \"starttls\"); not falling back to "
		    "plaintext",
		    imap->label);
	r = mailimap_starttls(imap->session);
	/*
	 * Clear-text bytes already read past the OK would be taken as if
	 * they came through TLS: a response injection (CVE-2020-15953).
	 * libetpan >= 1.9.4 refuses it too, as a bare STARTTLS error.
	 */
	if (imap->session->imap_stream != NULL &&
	    imap->session->imap_stream->read_buffer_len > 0) {
		imap->broken = 1;
		return error_set(err, ERR_CONN,
		    "imap %s: server sent data "
		    "after its STARTTLS OK; refusing (injection?)",
		    imap->label);
	}
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
			return error_set(err, ERR_INTERNAL,
			    "imap %s: out of "
			    "memory",
			    imap->label);
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
imap_connect(const struct conf_server *srv, int timeout_s, struct imap **imap_r,
    struct error *err)
{
	struct imap *imap;
	mailstream *stream = NULL;
	int fd = -1, r;

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
	/* PREAUTH in clear text would skip STARTTLS: a downgrade. */
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    srv->tls == CONF_TLS_STARTTLS) {
		imap->broken = 1;
		r = error_set(err, ERR_CONN,
		    "imap %s: server greeted with "
		    "PREAUTH before STARTTLS; refusing an unencrypted "
		    "session",
		    imap->label);
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
	char *token = NULL, why[sizeof(err->msg)];
	int r;

	r = conf_server_oauth2_token(srv, &token, err);
	if (r < 0) {
		snprintf(why, sizeof(why), "%s", err->msg);
		return error_set(err, ERR_CONF, "imap %s: %s", imap->label,
		    why);
	}
	if (token == NULL || *token == '\0') {
		free(token);
		return error_set(err, ERR_CONF, "imap %s: no XOAUTH2 token",
		    imap->label);
	}
	r = mailimap_oauth2_authenticate(imap->session, srv->user, token);
	explicit_bzero(token, strlen(token));
	free(token);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_BOX, "AUTHENTICATE XOAUTH2", err);
	return 0;
}

int
imap_login(struct imap *imap, const struct conf_server *srv, struct error *err)
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
		r = error_set(err, ERR_CONF,
		    "imap %s: no password "
		    "configured",
		    imap->label);
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
	char *wire;
	int r;

	r = imap_check_usable(imap, "SELECT", err);
	if (r < 0)
		return r;
	r = imap_utf7_encode(folder, &wire, err);
	if (r < 0)
		return r;
	r = mailimap_select(imap->session, wire);
	free(wire);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(imap, r, ERR_BOX, "SELECT", err);
		return error_prefix(err, "folder \"%s\"", folder);
	}
	sel = imap->session->imap_selection_info;
	if (sel == NULL || sel->sel_uidvalidity == 0)
		return error_set(err, ERR_BOX,
		    "imap %s: SELECT \"%s\": no "
		    "UIDVALIDITY from the server",
		    imap->label, folder);
	*uidvalidity_r = sel->sel_uidvalidity;
	*uidnext_r = sel->sel_uidnext;
	*exists_r = sel->sel_exists;
	return 0;
}

/* ---- folders --------------------------------------------------------- */

/* Did the response just read carry [TRYCREATE]? */
static int
imap_response_trycreate(struct imap *imap)
{
	return imap->session->imap_response_info != NULL &&
	       imap->session->imap_response_info->rsp_trycreate;
}

int
imap_trycreate(struct imap *imap)
{
	return imap->trycreate;
}

int
imap_create(struct imap *imap, const char *folder, struct error *err)
{
	char *wire;
	int r;

	r = imap_check_usable(imap, "CREATE", err);
	if (r == 0)
		r = imap_utf7_encode(folder, &wire, err);
	if (r < 0)
		return r;
	r = mailimap_create(imap->session, wire);
	free(wire);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(imap, r, ERR_BOX, "CREATE", err);
		return error_prefix(err, "folder \"%s\"", folder);
	}
	return 0;
}

int
imap_folder_exists(struct imap *imap, const char *folder, struct error *err)
{
	struct mailimap_mailbox_list *mb;
	clist *list = NULL;
	clistiter *cur;
	char *wire;
	int r, found = 0;

	r = imap_check_usable(imap, "LIST", err);
	if (r == 0)
		r = imap_utf7_encode(folder, &wire, err);
	if (r < 0)
		return r;
	r = mailimap_list(imap->session, "", wire, &list);
	if (r != MAILIMAP_NO_ERROR) {
		free(wire);
		return imap_fail(imap, r, ERR_BOX, "LIST", err);
	}
	/* "%" and "*" are wildcards to LIST: only the exact name counts. */
	for (cur = list != NULL ? clist_begin(list) : NULL; cur != NULL;
	     cur = clist_next(cur)) {
		mb = clist_content(cur);
		if (strcmp(mb->mb_name, wire) == 0 ||
		    (strcasecmp(wire, "INBOX") == 0 &&
			strcasecmp(mb->mb_name, "INBOX") == 0))
			found = 1;
	}
	free(wire);
	if (list != NULL)
		mailimap_list_result_free(list);
	return found;
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
	if (r != MAILIMAP_NO_ERROR) {
		imap->trycreate = imap_response_trycreate(imap);
		return imap_fail(imap, r, ERR_MSG, "UID COPY", err);
	}
	r = imap_store_flag(imap, set, mailimap_flag_new_deleted(),
	    "UID STORE \\Deleted", err);
	if (r < 0)
		return r;
	if (!imap_has_capability(imap, "UIDPLUS")) {
		/* A plain EXPUNGE would remove every \Deleted message. */
		return error_set(err, ERR_MSG,
		    "imap %s: copied to \"%s\" and "
		    "marked \\Deleted, but the server has neither MOVE nor "
		    "UIDPLUS: not expunged",
		    imap->label, folder);
	}
	r = mailimap_uid_expunge(imap->session, set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(imap, r, ERR_MSG, "UID EXPUNGE", err);
	return 0;
}

void
imap_personal_prefix(struct imap *imap, char *buf, size_t len)
{
	struct mailimap_namespace_data *ns = NULL;
	struct mailimap_namespace_info *info;
	char *utf8 = NULL;

	buf[0] = '\0';
	if (!imap_has_capability(imap, "NAMESPACE") ||
	    mailimap_namespace(imap->session, &ns) != MAILIMAP_NO_ERROR ||
	    ns == NULL)
		return;
	if (ns->ns_personal != NULL &&
	    clist_begin(ns->ns_personal->ns_data_list) != NULL) {
		info =
		    clist_content(clist_begin(ns->ns_personal->ns_data_list));
		if (imap_utf7_decode(info->ns_prefix, &utf8, NULL) == 0)
			snprintf(buf, len, "%s", utf8);
		free(utf8);
	}
	mailimap_namespace_data_free(ns);
}

/* After a refused move: point at the namespace prefix the name lacks. */
static void
imap_move_hint(struct imap *imap, const char *folder, struct error *err)
{
	char prefix[128];
	int trycreate = imap_trycreate(imap);

	if (imap->broken)
		return;
	imap_personal_prefix(imap, prefix, sizeof(prefix));
	if (prefix[0] != '\0' &&
	    strncasecmp(folder, prefix, strlen(prefix)) != 0)
		error_prefix(err, "move to \"%s\" (did you mean %s%s?)", folder,
		    prefix, folder);
	else
		error_prefix(err, "move to \"%s\"", folder);
	/* NAMESPACE's OK must not hide the refusal's [TRYCREATE]. */
	imap->trycreate = trycreate;
}

static int
imap_move_set(struct imap *imap, struct mailimap_set *set, const char *folder,
    struct error *err)
{
	char *wire = NULL;
	int r;

	imap->trycreate = 0;
	r = imap_check_usable(imap, "move", err);
	if (r == 0)
		r = imap_utf7_encode(folder, &wire, err);
	if (r < 0)
		goto out;
	if (!imap_has_capability(imap, "MOVE")) {
		r = imap_copy_delete(imap, set, wire, err);
	} else {
		r = mailimap_uid_move(imap->session, set, wire);
		if (r != MAILIMAP_NO_ERROR) {
			imap->trycreate = imap_response_trycreate(imap);
			r = imap_fail(imap, r, ERR_MSG, "UID MOVE", err);
		} else {
			r = 0;
		}
	}
	if (r < 0 && err->code == ERR_MSG)
		imap_move_hint(imap, folder, err);
out:
	free(wire);
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
	if (imap == NULL || imap->broken || imap->session->imap_stream == NULL)
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
