/*
 * itest-imap-fetch: drive lib/proto/imap.c against a real server, for the
 * integration scripts (and scripts/demo.sh's drain check).
 *
 *   itest-imap-fetch -h HOST -p PORT -t implicit|starttls|none -u USER
 *       -P PASSWORD_FILE [-C CA_FILE] [-f FOLDER] [-s FROM_UID]
 *       [-o OUTDIR] [-m MAX_SIZE] [-b BATCH_COUNT] [-B BATCH_BYTES]
 *       [-w LIST_WINDOW] [-S] [-M MOVE_TO] [-T TIMEOUT_S]
 *
 * Prints "select uidvalidity=V uidnext=N exists=E", then one line per
 * message "UID SIZE ok|too_big|gone" (writing ok ones to OUTDIR/UID.eml),
 * then "fetched N of M".  -S flags each fetched message \Seen, -M moves it.
 * On failure prints "error: CODE: message" and exits 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "itest-common.h"

static const char *
code_name(enum err_code c)
{
	static const char *names[] = {
		[ERR_NONE] = "none",
		[ERR_MSG] = "msg",
		[ERR_BOX] = "box",
		[ERR_CONN] = "conn",
		[ERR_TEMP] = "temp",
		[ERR_CONF] = "conf",
		[ERR_REFUSED] = "refused",
		[ERR_NOTFOUND] = "notfound",
		[ERR_USAGE] = "usage",
		[ERR_INTERNAL] = "internal",
	};

	return c <= ERR_INTERNAL ? names[c] : "?";
}

static int
write_msg(const char *dir, const struct imap_msg *m)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%" PRIu32 ".eml", dir, m->uid);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(m->data, 1, m->len, f) != m->len) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

static const char *status_names[] = { "ok", "too_big", "gone" };

int
main(int argc, char **argv)
{
	struct conf_server srv;
	struct imap_fetch_opts opts;
	struct imap *imap = NULL;
	struct imap_fetch *it = NULL;
	struct imap_msg m;
	struct error err;
	const char *folder = "INBOX", *outdir = NULL, *move_to = NULL;
	uint32_t from = 1, uidvalidity, uidnext, exists;
	size_t fetched = 0;
	int ch, r, seen = 0, timeout = 10;

	memset(&srv, 0, sizeof(srv));
	memset(&opts, 0, sizeof(opts));
	error_clear(&err);
	srv.tls = CONF_TLS_IMPLICIT;
	while ((ch = getopt(argc, argv, "h:p:t:u:P:C:f:s:o:m:b:B:w:SM:T:")) !=
	       -1) {
		switch (ch) {
		case 'h':
			srv.host = optarg;
			break;
		case 'p':
			srv.port = atoi(optarg);
			break;
		case 't':
			srv.tls = strcmp(optarg, "starttls") == 0 ?
				      CONF_TLS_STARTTLS :
				  strcmp(optarg, "none") == 0 ?
				      CONF_TLS_NONE :
				      CONF_TLS_IMPLICIT;
			break;
		case 'u':
			srv.user = optarg;
			break;
		case 'P':
			free(srv.password);
			srv.password = itest_read_secret(optarg);
			break;
		case 'C':
			srv.ca_file = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 's':
			from = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'm':
			opts.max_size = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			opts.batch_count = strtoul(optarg, NULL, 10);
			break;
		case 'B':
			opts.batch_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			opts.list_window = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			seen = 1;
			break;
		case 'M':
			move_to = optarg;
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top\n");
			return 2;
		}
	}
	if (srv.host == NULL || srv.user == NULL) {
		fprintf(stderr, "itest-imap-fetch: -h and -u are required\n");
		return 2;
	}
	r = imap_connect(&srv, timeout, &imap, &err);
	if (r == 0)
		r = imap_login(imap, &srv, &err);
	if (r == 0)
		r = imap_select(imap, folder, &uidvalidity, &uidnext, &exists,
		    &err);
	if (r < 0)
		goto out;
	printf("select uidvalidity=%" PRIu32 " uidnext=%" PRIu32
	       " exists=%" PRIu32 "\n",
	    uidvalidity, uidnext, exists);
	r = imap_fetch_begin(imap, from, &opts, &it, &err);
	if (r < 0)
		goto out;
	while ((r = imap_fetch_next(it, &m, &err)) > 0) {
		printf("%" PRIu32 " %" PRIu32 " %s\n", m.uid, m.size,
		    status_names[m.status]);
		if (m.status != IMAP_MSG_OK)
			continue;
		fetched++;
		if (outdir != NULL && write_msg(outdir, &m) < 0)
			return 1;
		if (seen && imap_flag_seen(imap, m.uid, &err) < 0)
			printf("error: %s: %s\n", code_name(err.code), err.msg);
		if (move_to != NULL &&
		    imap_move(imap, m.uid, move_to, &err) < 0)
			printf("error: %s: %s\n", code_name(err.code), err.msg);
	}
	if (r < 0)
		goto out;
	printf("fetched %zu of %zu\n", fetched, imap_fetch_count(it));
	imap_fetch_end(&it);
	imap_logout(imap);
out:
	if (r < 0)
		printf("error: %s: %s\n", code_name(err.code), err.msg);
	imap_fetch_end(&it);
	imap_free(&imap);
	free(srv.password);
	return r < 0 ? 1 : 0;
}
