/*
 * triage inspect FILE.eml [--json]: the parsed message record, as rules
 * see it.  Wiring only: read the file, mime_parse(), print.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "cli.h"
#include "error.h"
#include "mime.h"
#include "xalloc.h"

static const struct {
	unsigned flag;
	const char *name;
} inspect_flags[] = {
	{ MSG_AUTO_SUBMITTED, "auto_submitted" },
	{ MSG_LIST, "list" },
	{ MSG_BOUNCE, "bounce" },
	{ MSG_RECEIPT, "receipt" },
	{ MSG_OWN_LOOP, "own_loop" },
	{ MSG_SYNTHETIC_ID, "synthetic_id" },
	{ MSG_DATE_RECEIVED, "date_received" },
	{ MSG_TRUNCATED, "truncated" },
	{ MSG_NOT_MAIL, "not_mail" },
};

#define NFLAGS (sizeof(inspect_flags) / sizeof(inspect_flags[0]))

/*
 * Read a whole file ("-": standard input), at most max bytes plus one
 * (so mime_parse sees it is too big and says so).  Returns 0, or -1
 * with errno set.
 */
static int
read_file(const char *path, size_t max, char **data_r, size_t *len_r,
    time_t *mtime_r)
{
	struct stat st;
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f;
	int r = -1;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return -1;
	buf_init(&b, max + 1);
	*mtime_r = fstat(fileno(f), &st) == 0 ? st.st_mtime : time(NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			size_t room = b.cap - b.len;

			buf_add(&b, chunk, room < n ? room : n);
			break;
		}
	}
	if (ferror(f)) {
		buf_free(&b);
		goto out;
	}
	*len_r = b.len;
	*data_r = buf_steal(&b);
	r = 0;
out:
	if (f != stdin)
		fclose(f);
	return r;
}

static void
iso_date(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}

static json_object *
json_addr(const struct msg_addr *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "addr", json_object_new_string(a->addr));
	return o;
}

static json_object *
json_addrs(const struct msg_addrs *as)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < as->n; i++)
		json_object_array_add(a, json_addr(&as->v[i]));
	return a;
}

static json_object *
json_strings(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *
json_msg(const struct msg *m)
{
	json_object *o = json_object_new_object(), *a;
	char date[64];

	json_object_object_add(o, "message_id",
	    json_object_new_string(m->message_id));
	json_object_object_add(o, "in_reply_to",
	    json_object_new_string(m->in_reply_to));
	json_object_object_add(o, "references",
	    json_strings(m->references, m->n_references));
	iso_date(m->date, date, sizeof(date));
	json_object_object_add(o, "date", json_object_new_string(date));
	json_object_object_add(o, "subject",
	    json_object_new_string(m->subject));
	json_object_object_add(o, "from", json_addr(&m->from));
	json_object_object_add(o, "from_domain",
	    json_object_new_string(m->from_domain));
	json_object_object_add(o, "sender", json_addrs(&m->sender));
	json_object_object_add(o, "reply_to", json_addrs(&m->reply_to));
	json_object_object_add(o, "to", json_addrs(&m->to));
	json_object_object_add(o, "cc", json_addrs(&m->cc));
	a = json_object_new_array();
	for (unsigned i = 0; i < NFLAGS; i++) {
		if (m->flags & inspect_flags[i].flag)
			json_object_array_add(a,
			    json_object_new_string(inspect_flags[i].name));
	}
	json_object_object_add(o, "flags", a);
	a = json_object_new_array();
	for (size_t i = 0; i < m->n_headers; i++) {
		json_object *h = json_object_new_object();

		json_object_object_add(h, "name",
		    json_object_new_string(m->headers[i].name));
		json_object_object_add(h, "value",
		    json_object_new_string(m->headers[i].value));
		json_object_array_add(a, h);
	}
	json_object_object_add(o, "headers", a);
	json_object_object_add(o, "text", json_object_new_string(m->text));
	json_object_object_add(o, "forwarded",
	    json_object_new_string(m->forwarded));
	json_object_object_add(o, "html", json_object_new_string(m->html));
	a = json_object_new_array();
	for (size_t i = 0; i < m->n_attachments; i++) {
		json_object *at = json_object_new_object();

		json_object_object_add(at, "filename",
		    json_object_new_string(m->attachments[i].filename));
		json_object_object_add(at, "content_type",
		    json_object_new_string(m->attachments[i].content_type));
		json_object_object_add(at, "size",
		    json_object_new_int64((int64_t)m->attachments[i].size));
		json_object_array_add(a, at);
	}
	json_object_object_add(o, "attachments", a);
	json_object_object_add(o, "problems",
	    json_strings(m->problems, m->n_problems));
	json_object_object_add(o, "raw_size",
	    json_object_new_int64((int64_t)m->raw_size));
	return o;
}

static void
print_addrs(const char *label, const struct msg_addrs *as)
{
	for (size_t i = 0; i < as->n; i++)
		printf("%-12s %s <%s>\n", i == 0 ? label : "", as->v[i].name,
		    as->v[i].addr);
}

static void
print_text(const char *label, const char *text)
{
	if (*text == '\0')
		return;
	printf("\n--- %s ---\n%s\n", label, text);
}

static void
print_msg(const struct msg *m)
{
	char date[64];

	iso_date(m->date, date, sizeof(date));
	printf("%-12s %s\n", "message-id:", m->message_id);
	if (*m->in_reply_to != '\0')
		printf("%-12s %s\n", "in-reply-to:", m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		printf("%-12s %s\n", i == 0 ? "references:" : "",
		    m->references[i]);
	printf("%-12s %s\n", "date:", date);
	printf("%-12s %s\n", "subject:", m->subject);
	printf("%-12s %s <%s>\n", "from:", m->from.name, m->from.addr);
	print_addrs("sender:", &m->sender);
	print_addrs("reply-to:", &m->reply_to);
	print_addrs("to:", &m->to);
	print_addrs("cc:", &m->cc);
	printf("%-12s", "flags:");
	for (unsigned i = 0; i < NFLAGS; i++) {
		if (m->flags & inspect_flags[i].flag)
			printf(" %s", inspect_flags[i].name);
	}
	printf("\n%-12s %zu bytes\n", "size:", m->raw_size);
	for (size_t i = 0; i < m->n_attachments; i++)
		printf("%-12s %s (%s, %zu bytes)\n",
		    i == 0 ? "attachments:" : "", m->attachments[i].filename,
		    m->attachments[i].content_type, m->attachments[i].size);
	for (size_t i = 0; i < m->n_problems; i++)
		printf("%-12s %s\n", i == 0 ? "problems:" : "", m->problems[i]);
	print_text("text", m->text);
	print_text("forwarded", m->forwarded);
}

int
cli_inspect(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct mime_limits lim;
	struct error err = { 0 };
	struct msg *m = NULL;
	char *data = NULL;
	size_t len = 0;
	time_t mtime;
	int ch, json = 0, rc = CLI_USAGE;

	while ((ch = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli_find("inspect"));
		json = 1;
	}
	if (optind + 1 != argc)
		return cli_usage(cli_find("inspect"));
	mime_limits_default(&lim);
	if (read_file(argv[optind], lim.max_size, &data, &len, &mtime) < 0) {
		fprintf(stderr, "triage inspect: %s: %s\n", argv[optind],
		    strerror(errno));
		return CLI_USAGE;
	}
	mime_init();
	if (mime_parse(data, len, &lim, mtime, &m, &err) < 0) {
		fprintf(stderr, "triage inspect: %s: %s\n", argv[optind],
		    err.msg);
		goto out;
	}
	if (json) {
		cli_print_json(json_msg(m));
	} else {
		print_msg(m);
	}
	rc = CLI_OK;
out:
	msg_free(&m);
	free(data);
	mime_shutdown();
	return rc;
}
