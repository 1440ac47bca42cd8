/*
 * itest-forward-send: build a forward of a thread of stored messages with
 * lib/work/forward.c and send it as one outbox row with outbox_send() over
 * lib/proto/smtp.c, for test-forward-smtp.sh.
 *
 *   itest-forward-send -s attach|redirect -h HOST -p PORT -t TLS -c CA
 *       -u USER -P PASSWORD_FILE -r ROUTE_TO [-n FIRST_NEW] [-e EVENT]
 *       [-F FROM_PART] KIND:FILE...
 *
 * KIND is "in" (a customer message), "out" (a team reply) or "cmd" (a
 * team message whose command lines were stripped: its text is the file's
 * body without lines starting with '#').  Ticket 123, customer
 * pat@buyer.example, From "Triage <triage@example.com>".  Sending starts
 * at mail FROM_PART of the row (a resumed row).  Prints "sent MESSAGE-ID"
 * from the outbox's sent callback as each mail is accepted, then
 * "verdict sent|retry|failed [ERROR]"; exit 1 unless all were sent.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "forward.h"
#include "itest-common.h"
#include "outbox.h"
#include "smtp.h"
#include "xalloc.h"

#define MAX_MSGS 16

/* The body without '#' lines: what lib/mail/command.c would leave. */
static char *
strip_commands(const char *raw)
{
	const char *body = strstr(raw, "\r\n\r\n"), *p, *nl;
	struct buf b;

	buf_init(&b, 1024 * 1024);
	body = body != NULL ? body + 4 : raw;
	for (p = body; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (*p != '#')
			buf_add(&b, p, (size_t)(nl - p) + (*nl != '\0'));
	}
	return buf_steal(&b);
}

static int
load(const char *arg, struct forward_message *m, char **text_r)
{
	const char *colon = strchr(arg, ':');

	if (colon == NULL)
		return -1;
	memset(m, 0, sizeof(*m));
	m->raw = itest_slurp_or_die(colon + 1, &m->raw_len);
	m->date = time(NULL);
	m->subject = "How much for 50 seats?";
	m->from = "someone";
	if (strncmp(arg, "in:", 3) == 0) {
		m->dir = FORWARD_IN;
		m->from = "Pat Buyer <pat@buyer.example>";
	} else if (strncmp(arg, "out:", 4) == 0) {
		m->dir = FORWARD_OUT;
		m->team = 1;
	} else if (strncmp(arg, "cmd:", 4) == 0) {
		m->dir = FORWARD_INTERNAL;
		m->team = 1;
		m->has_commands = 1;
		*text_r = strip_commands(m->raw);
		m->text = *text_r;
	} else
		return -1;
	return 0;
}

static int
record_sent(void *arg, size_t part, struct error *err)
{
	const struct forward_mails *out = arg;

	(void)err;
	printf("sent %s\n", out->v[part].message_id);
	return fflush(stdout) == 0 ? 0 : -1;
}

static const char *
verdict_name(enum outbox_verdict v)
{
	switch (v) {
	case OUTBOX_SENT:
		return "sent";
	case OUTBOX_RETRY:
		return "retry";
	case OUTBOX_FAILED:
		return "failed";
	}
	return "?";
}

int
main(int argc, char **argv)
{
	struct smtp_opts o = { .tls = CONF_TLS_STARTTLS, .timeout_s = 10 };
	struct forward_route route = { "support", NULL, CONF_ROUTE_ATTACH,
		NULL };
	struct forward_message msgs[MAX_MSGS];
	char *texts[MAX_MSGS] = { NULL }, *password = NULL;
	struct forward_ticket t = { 0 };
	struct forward_sender sender = { 0 };
	struct forward_mails out = { NULL, 0 };
	struct smtp *s = NULL;
	struct error err;
	long long event = 456;
	size_t n = 0, first_new = 0, from = 0, i;
	enum outbox_verdict v;
	int c, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "s:h:p:t:c:u:P:r:n:e:F:")) != -1) {
		switch (c) {
		case 's':
			route.style = strcmp(optarg, "redirect") == 0 ?
					  CONF_ROUTE_REDIRECT :
					  CONF_ROUTE_ATTACH;
			break;
		case 'h':
			o.host = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 't':
			o.tls = strcmp(optarg, "implicit") == 0 ?
				    CONF_TLS_IMPLICIT :
				    CONF_TLS_STARTTLS;
			break;
		case 'c':
			o.ca_file = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'P':
			password = itest_read_secret(optarg);
			o.password = password;
			break;
		case 'r':
			route.to = optarg;
			break;
		case 'n':
			first_new = (size_t)atoi(optarg);
			break;
		case 'e':
			event = atoll(optarg);
			break;
		case 'F':
			from = (size_t)atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (o.host == NULL || route.to == NULL || optind == argc ||
	    argc - optind > MAX_MSGS)
		goto usage;
	for (; optind < argc; optind++, n++) {
		if (load(argv[optind], &msgs[n], &texts[n]) < 0)
			goto usage;
	}
	t.id = 123;
	t.subject = "How much for 50 seats?";
	t.customer = "Pat Buyer <pat@buyer.example>";
	t.customer_addr = "pat@buyer.example";
	t.state = "routed";
	t.queue = "support";
	t.messages = msgs;
	t.n_messages = n;
	t.first_new = first_new;

	if (forward_sender_parse("Triage <triage@example.com>", &sender, &err) <
		0 ||
	    forward_build(&t, &route, &sender, event, (int64_t)time(NULL), &out,
		&err) < 0) {
		printf("build %s\n", err.msg);
		goto out;
	}
	if (smtp_open(&o, &s, &err) < 0) {
		printf("open %s\n", err.msg);
		goto out;
	}
	v = outbox_send(s, &out, from, 0, record_sent, &out, &err);
	printf("verdict %s%s%s\n", verdict_name(v), v != OUTBOX_SENT ? " " : "",
	    v != OUTBOX_SENT ? err.msg : "");
	rc = v == OUTBOX_SENT ? 0 : 1;
out:
	smtp_close(&s);
	forward_mails_clear(&out);
	forward_sender_clear(&sender);
	for (i = 0; i < n; i++) {
		free((char *)msgs[i].raw);
		free(texts[i]);
	}
	free(password);
	return rc;
usage:
	fprintf(stderr, "usage: itest-forward-send -s attach|redirect -h HOST "
			"-p PORT -t TLS -c CA -u USER -P PASSFILE -r TO [-n "
			"FIRST_NEW] [-e EVENT] [-F FROM_PART] KIND:FILE...\n");
	return 2;
}
