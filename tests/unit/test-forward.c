/*
 * Forward formats: every attached message byte-identical to its stored
 * bytes, redirect = our Resent block + the original bytes exactly,
 * deterministic ids, RFC 3834 headers on answers, the loop predicate.
 * Fixtures: tests/fixtures/forward/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "forward.h"
#include "msgid.h"
#include "test-common.h"
#include "xalloc.h"

#define NOW 1794650400 /* 2026-11-14 10:00:00 UTC */

struct fixture {
	char *raw;
	size_t len;
};

/* What SMTP makes of stored bytes: every bare LF becomes CRLF. */
static char *
to_crlf(const char *p, size_t len, size_t *len_r)
{
	char *r = xmalloc(len * 2 + 1);
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			r[n++] = '\r';
		r[n++] = p[i];
	}
	r[n] = '\0';
	*len_r = n;
	return r;
}

/* ---- a thread built from fixtures ---- */

struct msg_spec {
	const char *file;
	enum forward_dir dir;
	int team;
	const char *from;
	const char *message_id;
	const char *in_reply_to;
	int has_commands;
	const char *text;
};

static const struct msg_spec thread_sales[] = {
	{ "customer-1.eml", FORWARD_IN, 0, "Pat Buyer <pat@buyer.example>",
	    "c1.pat@buyer.example", NULL, 0, NULL },
	{ "team-reply.eml", FORWARD_OUT, 1, "Alice BDR <alice@example.com>",
	    "r1.alice@example.com", "c1.pat@buyer.example", 0, NULL },
	{ "customer-2-8bit.eml", FORWARD_IN, 0, "Pat Buyer <pat@buyer.example>",
	    "c2.pat@buyer.example", "r1.alice@example.com", 0, NULL },
	{ "team-command.eml", FORWARD_INTERNAL, 1,
	    "Alice BDR <alice@example.com>", "cmd1.alice@example.com",
	    "c2.pat@buyer.example", 1,
	    "Big one, 50 seats and SSO. Please call Pat this week.\n" },
};

static const struct msg_spec thread_lf[] = {
	{ "customer-lf.eml", FORWARD_IN, 0, "Sam Small <sam@small.example>",
	    "lf1.sam@small.example", NULL, 0, NULL },
};

struct thread {
	struct forward_message *m;
	struct fixture *fx;
	size_t n;
	struct forward_ticket t;
	struct verdict_hit hit;
	struct forward_note note;
	struct forward_link link;
};

static const char *const tags[] = { "pricing", "ee-lead" };

static void
thread_load(struct thread *th, const struct msg_spec *spec, size_t n)
{
	size_t i;

	memset(th, 0, sizeof(*th));
	th->n = n;
	th->m = xcalloc(n, sizeof(*th->m));
	th->fx = xcalloc(n, sizeof(*th->fx));
	for (i = 0; i < n; i++) {
		th->fx[i].raw =
		    test_fixture("forward", spec[i].file, &th->fx[i].len);
		th->m[i].raw = th->fx[i].raw;
		th->m[i].raw_len = th->fx[i].len;
		th->m[i].dir = spec[i].dir;
		th->m[i].team = spec[i].team;
		th->m[i].from = spec[i].from;
		th->m[i].date = NOW - 3600 * (int64_t)(n - i);
		th->m[i].subject = "How much for 50 seats?";
		th->m[i].message_id = spec[i].message_id;
		th->m[i].in_reply_to = spec[i].in_reply_to;
		th->m[i].has_commands = spec[i].has_commands;
		th->m[i].text = spec[i].text;
	}
	th->hit = (struct verdict_hit){ "pricing-question", "10-sales.rules", 3,
		"body", "how much", 0 };
	th->note = (struct forward_note){ "alice", NOW - 600,
		"Budget confirmed on the phone." };
	th->link = (struct forward_link){ "related", 45, "Old quote" };
	th->t = (struct forward_ticket){
		.id = 123,
		.subject = "How much for 50 seats?",
		.customer = "Pat Buyer <pat@buyer.example>",
		.customer_addr = "pat@buyer.example",
		.account = "Buyer Corp",
		.tier = "gold",
		.state = "routed",
		.queue = "sales",
		.priority = "high",
		.owner = "alice",
		.tags = tags,
		.n_tags = 2,
		.scores = { 2, 0, 1, 0, 0 },
		.hits = &th->hit,
		.n_hits = 1,
		.notes = &th->note,
		.n_notes = 1,
		.links = &th->link,
		.n_links = 1,
		.messages = th->m,
		.n_messages = n,
	};
}

static void
thread_free(struct thread *th)
{
	size_t i;

	for (i = 0; i < th->n; i++)
		free(th->fx[i].raw);
	free(th->fx);
	free(th->m);
}

static struct forward_sender sender;

static int
setup(void **state)
{
	struct error err;

	(void)state;
	g_mime_init();
	assert_int_equal(
	    forward_sender_parse("Triage <Triage@Example.com>", &sender, &err),
	    0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	forward_sender_clear(&sender);
	g_mime_shutdown();
	return 0;
}

static GMimeMessage *
parse(const char *data, size_t len)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;

	s = g_mime_stream_mem_new_with_buffer(data, len);
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(m);
	return m;
}

static const char *
hdr(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

/*
 * The bodies of the body parts of a multipart, cut from the raw bytes at
 * the boundary lines (RFC 2046 5.1.1: the CRLF before a delimiter belongs
 * to it), each after its own header block.
 */
static size_t
split_bodies(const char *data, size_t len, const char *boundary,
    const char **body, size_t *body_len, size_t max)
{
	char delim[256];
	const char *p, *end = data + len, *next, *start;
	size_t n = 0, dl;

	snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	dl = strlen(delim);
	p = memmem(data, len, delim, dl);
	assert_non_null(p);
	while (n < max) {
		p += dl;
		if (p + 2 <= end && memcmp(p, "--", 2) == 0)
			break; /* the close delimiter */
		assert_memory_equal(p, "\r\n", 2);
		p += 2;
		next = memmem(p, (size_t)(end - p), delim, dl);
		assert_non_null(next);
		start = memmem(p, (size_t)(next - p), "\r\n\r\n", 4);
		assert_non_null(start);
		body[n] = start + 4;
		body_len[n] = (size_t)(next - (start + 4));
		n++;
		p = next;
	}
	return n;
}

static struct forward_route route_attach = { "sales",
	"Sales Team <sales-team@example.com>", CONF_ROUTE_ATTACH, NULL };
static struct forward_route route_redirect = { "support",
	"support@helpdesk.example.com", CONF_ROUTE_REDIRECT, NULL };

/* The text/plain summary of a built attach mail, decoded. */
static char *
summary_of(GMimeMessage *m)
{
	GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	GMimeTextPart *tp = GMIME_TEXT_PART(g_mime_multipart_get_part(mp, 0));

	return g_mime_text_part_get_text(tp);
}

/* ---- attach ---- */

struct attach_case {
	const struct msg_spec *thread;
	size_t n;
	size_t first_new;
	size_t attached[4]; /* 1-based thread positions attached */
	size_t n_attached;
	size_t n_new; /* forward_ticket.n_new */
};

static const struct attach_case attach_cases[] = {
	/* routed: the whole thread but the command message */
	{ thread_sales, 4, 0, { 1, 2, 3 }, 3, 0 },
	/* follow-up: only the new customer message */
	{ thread_sales, 3, 2, { 3 }, 1, 0 },
	/* a stored message with bare LF line ends */
	{ thread_lf, 1, 0, { 1 }, 1, 0 },
	/* follow-up for message 2 while 3 is stored already (3 has a
       follow-up of its own): only 2 */
	{ thread_sales, 4, 1, { 2 }, 1, 1 },
};

static void
test_attach_bytes(void **state)
{
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(attach_cases) / sizeof(attach_cases[0]); c++) {
		const struct attach_case *ac = &attach_cases[c];
		struct forward_mails out = { NULL, 0 };
		struct thread th;
		struct error err;
		GMimeMessage *m;
		GMimeObject *top;
		const char *body[8], *boundary;
		size_t body_len[8], n;

		thread_load(&th, ac->thread, ac->n);
		th.t.first_new = ac->first_new;
		th.t.n_new = ac->n_new;
		assert_int_equal(forward_build(&th.t, &route_attach, &sender,
				     456, NOW, &out, &err),
		    0);
		assert_int_equal(out.n, 1);
		assert_string_equal(out.v[0].mail_from, "triage@example.com");
		assert_int_equal(out.v[0].n_rcpt, 1);
		assert_string_equal(out.v[0].rcpt[0], "sales-team@example.com");
		assert_null(memmem(out.v[0].data, out.v[0].len, "\n\n", 2));

		m = parse(out.v[0].data, out.v[0].len);
		top = g_mime_message_get_mime_part(m);
		assert_true(GMIME_IS_MULTIPART(top));
		assert_int_equal(
		    g_mime_multipart_get_count(GMIME_MULTIPART(top)),
		    1 + ac->n_attached);
		for (i = 0; i < ac->n_attached; i++) {
			GMimeObject *part = g_mime_multipart_get_part(
			    GMIME_MULTIPART(top), (int)i + 1);
			GMimeMessage *inner;

			assert_true(GMIME_IS_MESSAGE_PART(part));
			inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(part));
			assert_string_equal(
			    g_mime_message_get_message_id(inner),
			    th.m[ac->attached[i] - 1].message_id);
		}
		/* byte identity, cut at the boundaries GMime parsed */
		boundary = g_mime_multipart_get_boundary(GMIME_MULTIPART(top));
		n = split_bodies(out.v[0].data, out.v[0].len, boundary, body,
		    body_len, 8);
		assert_int_equal(n, 1 + ac->n_attached);
		for (i = 0; i < ac->n_attached; i++) {
			const struct forward_message *fm =
			    &th.m[ac->attached[i] - 1];
			size_t wlen;
			char *want = to_crlf(fm->raw, fm->raw_len, &wlen);

			assert_int_equal(body_len[i + 1], wlen);
			assert_memory_equal(body[i + 1], want, wlen);
			free(want);
		}
		g_object_unref(m);
		forward_mails_clear(&out);
		thread_free(&th);
	}
}

static void
test_attach_headers(void **state)
{
	struct forward_mails out = { NULL, 0 };
	struct thread th;
	struct error err;
	GMimeMessage *m;
	char *text;
	int64_t tid = 0;

	(void)state;
	thread_load(&th, thread_sales, 4);
	th.t.ticket_url = "https://crm.example.com/t/{id}"; /* ticket_url */
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &sender, 456, NOW, &out, &err),
	    0);
	assert_string_equal(out.v[0].message_id,
	    "triage.T123.E456@example.com");
	/* a reply naming it threads back into ticket 123 */
	assert_int_equal(msgid_ticket(out.v[0].message_id, sender.domain, &tid),
	    1);
	assert_int_equal(tid, 123);
	m = parse(out.v[0].data, out.v[0].len);
	assert_string_equal(g_mime_message_get_subject(m),
	    "[#123] How much for 50 seats?");
	assert_string_equal(g_mime_message_get_message_id(m),
	    "triage.T123.E456@example.com");
	assert_string_equal(hdr(m, "X-Triage-Ticket"), "123");
	assert_string_equal(hdr(m, "X-Loop"), "triage@example.com");
	assert_string_equal(hdr(m, "Reply-To"), "pat@buyer.example");
	assert_string_equal(hdr(m, "Date"), "Sat, 14 Nov 2026 10:00:00 +0000");
	assert_null(hdr(m, "Auto-Submitted"));

	/* the summary says what decided the classification and who noted */
	text = summary_of(m);
	assert_non_null(strstr(text, "Ticket #123: How much for 50 seats?"));
	assert_non_null(strstr(text, "Link: https://crm.example.com/t/123"));
	assert_non_null(strstr(text, "Account: Buyer Corp (tier gold)"));
	assert_non_null(strstr(text, "Tags: pricing, ee-lead"));
	assert_non_null(strstr(text, "budget +2, need +1"));
	assert_non_null(strstr(text,
	    "pricing-question (10-sales.rules:3) body \"how much\""));
	assert_non_null(strstr(text, "Budget confirmed on the phone."));
	assert_non_null(strstr(text, "related #45 Old quote"));
	assert_non_null(strstr(text, ", reply to 2"));
	/* the command message: its stripped text only, never its commands */
	assert_non_null(strstr(text, "| Big one, 50 seats and SSO."));
	assert_null(memmem(out.v[0].data, out.v[0].len, "#route", 6));
	assert_null(memmem(out.v[0].data, out.v[0].len, "SECRET-COMMAND", 14));
	g_free(text);
	g_object_unref(m);
	forward_mails_clear(&out);
	thread_free(&th);
}

static void
test_attach_subject(void **state)
{
	static const struct {
		const char *subject, *want;
	} cases[] = {
		{ "How much?", "[#123] How much?" },
		{ "Re: [#123] How much?", "Re: [#123] How much?" },
		{ "[#1234] other", "[#123] [#1234] other" },
		{ "", "[#123]" },
		{ "two\nlines", "[#123] two lines" },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_mails out = { NULL, 0 };
		struct thread th;
		struct error err;
		GMimeMessage *m;

		thread_load(&th, thread_lf, 1);
		th.t.subject = cases[c].subject;
		assert_int_equal(forward_build(&th.t, &route_attach, &sender, 1,
				     NOW, &out, &err),
		    0);
		m = parse(out.v[0].data, out.v[0].len);
		assert_string_equal(g_mime_message_get_subject(m),
		    cases[c].want);
		g_object_unref(m);
		forward_mails_clear(&out);
		thread_free(&th);
	}
}

struct reply_to_case {
	const char *config; /* route.reply_to */
	const char *want;   /* Reply-To header, NULL: none */
};

static const struct reply_to_case reply_to_cases[] = {
	{ NULL, "pat@buyer.example" },
	{ "", NULL },
	{ "sales@example.com", "sales@example.com" },
};

/* Bytes GMime must not touch: NUL, an over-long line, no final line end,
 * undeclared 8-bit.  Each gets the identity encoding that fits it, except
 * what SMTP cannot carry as 8bit (NUL, a line over 998 octets): that goes
 * base64, and must decode to the same bytes. */
static void
test_attach_odd_bytes(void **state)
{
	static const char nul[] = "From: a@x.example\r\nSubject: nul\r\n\r\n"
				  "bin\0ary\r\n";
	static const char noeol[] = "From: a@x.example\r\n\r\nno line end";
	static const char latin1[] = "From: a@x.example\r\n\r\nGr\xfc\xdf"
				     "e\r\n";
	struct {
		const char *raw;
		size_t len;
		const char *cte;
	} cases[4] = {
		{ nul, sizeof(nul) - 1, "base64" },
		{ NULL, 0, "base64" }, /* a 2000-byte line, below */
		{ noeol, sizeof(noeol) - 1, "7bit" },
		{ latin1, sizeof(latin1) - 1, "8bit" },
	};
	struct forward_message m[4];
	struct forward_ticket t;
	struct forward_mails out = { NULL, 0 };
	struct error err;
	GMimeMessage *msg;
	GMimeMultipart *mp;
	const char *body[8];
	size_t body_len[8], i, n;
	char *longline;

	(void)state;
	longline = xmalloc(2100);
	memcpy(longline, "From: a@x.example\r\n\r\n", 21);
	memset(longline + 21, 'x', 2000);
	memcpy(longline + 2021, "\r\n", 2);
	cases[1].raw = longline;
	cases[1].len = 2023;
	memset(&t, 0, sizeof(t));
	memset(m, 0, sizeof(m));
	for (i = 0; i < 4; i++) {
		m[i].raw = cases[i].raw;
		m[i].raw_len = cases[i].len;
		m[i].dir = FORWARD_IN;
		m[i].subject = "odd";
	}
	t.id = 9;
	t.subject = "odd";
	t.customer_addr = "a@x.example";
	t.messages = m;
	t.n_messages = 4;
	assert_int_equal(
	    forward_build(&t, &route_attach, &sender, 1, NOW, &out, &err), 0);
	msg = parse(out.v[0].data, out.v[0].len);
	mp = GMIME_MULTIPART(g_mime_message_get_mime_part(msg));
	n = split_bodies(out.v[0].data, out.v[0].len,
	    g_mime_multipart_get_boundary(mp), body, body_len, 8);
	assert_int_equal(n, 5);
	for (i = 0; i < 4; i++) {
		GMimeObject *part = g_mime_multipart_get_part(mp, (int)i + 1);

		assert_string_equal(
		    g_mime_object_get_header(part, "Content-Transfer-Encoding"),
		    cases[i].cte);
		if (strcmp(cases[i].cte, "base64") == 0) {
			GMimeStream *dec = g_mime_stream_mem_new();
			GByteArray *a;

			g_mime_data_wrapper_write_to_stream(
			    g_mime_part_get_content(GMIME_PART(part)), dec);
			a = g_mime_stream_mem_get_byte_array(
			    GMIME_STREAM_MEM(dec));
			assert_int_equal(a->len, cases[i].len);
			assert_memory_equal(a->data, cases[i].raw,
			    cases[i].len);
			g_object_unref(dec);
			continue;
		}
		assert_int_equal(body_len[i + 1], cases[i].len);
		assert_memory_equal(body[i + 1], cases[i].raw, cases[i].len);
	}
	/* What SMTP refuses never reaches it: no NUL, no line over 998. */
	for (i = 0, n = 0; i < out.v[0].len; i++) {
		assert_true(out.v[0].data[i] != '\0');
		n = out.v[0].data[i] == '\n' ? 0 : n + 1;
		assert_true(n <= 999);
	}
	g_object_unref(msg);
	forward_mails_clear(&out);
	free(longline);
}

static void
test_attach_reply_to(void **state)
{
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(reply_to_cases) / sizeof(reply_to_cases[0]);
	     c++) {
		struct forward_route r = route_attach;
		struct forward_mails out = { NULL, 0 };
		struct thread th;
		struct error err;
		GMimeMessage *m;

		thread_load(&th, thread_lf, 1);
		r.reply_to = reply_to_cases[c].config;
		assert_int_equal(
		    forward_build(&th.t, &r, &sender, 1, NOW, &out, &err), 0);
		m = parse(out.v[0].data, out.v[0].len);
		if (reply_to_cases[c].want == NULL)
			assert_null(hdr(m, "Reply-To"));
		else
			assert_string_equal(hdr(m, "Reply-To"),
			    reply_to_cases[c].want);
		g_object_unref(m);
		forward_mails_clear(&out);
		thread_free(&th);
	}
}

/* ---- redirect ---- */

static void
test_redirect_exact(void **state)
{
#define WANT_FMT \
	"Resent-From: Triage <Triage@Example.com>%s" \
	"Resent-To: support@helpdesk.example.com%s" \
	"Resent-Date: Sat, 14 Nov 2026 10:00:00 +0000%s" \
	"Resent-Message-ID: <triage.T123.E456.%zu@example.com>%s" \
	"X-Triage-Ticket: 123%s" \
	"X-Loop: triage@example.com%s"
	static const struct {
		const struct msg_spec *thread;
		size_t n, first_new;
		size_t sent[4]; /* 1-based positions re-sent */
		size_t n_sent;
		const char *eol;
	} cases[] = {
		/* customer messages only: no team reply, no command mail */
		{ thread_sales, 4, 0, { 1, 3 }, 2, "\r\n" },
		{ thread_sales, 4, 2, { 3 }, 1, "\r\n" },
		{ thread_sales, 4, 3, { 0 }, 0, "\r\n" },
		{ thread_lf, 1, 0, { 1 }, 1, "\n" },
	};
	size_t c, i;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_mails out = { NULL, 0 };
		struct thread th;
		struct error err;

		thread_load(&th, cases[c].thread, cases[c].n);
		th.t.first_new = cases[c].first_new;
		assert_int_equal(forward_build(&th.t, &route_redirect, &sender,
				     456, NOW, &out, &err),
		    0);
		assert_int_equal(out.n, cases[c].n_sent);
		for (i = 0; i < out.n; i++) {
			const struct forward_message *fm =
			    &th.m[cases[c].sent[i] - 1];
			const char *e = cases[c].eol;
			char *head, *id;

			xasprintf(&head, WANT_FMT, e, e, e, cases[c].sent[i], e,
			    e, e);
			assert_int_equal(out.v[i].len,
			    strlen(head) + fm->raw_len);
			assert_memory_equal(out.v[i].data, head, strlen(head));
			assert_memory_equal(out.v[i].data + strlen(head),
			    fm->raw, fm->raw_len);
			xasprintf(&id, "triage.T123.E456.%zu@example.com",
			    cases[c].sent[i]);
			assert_string_equal(out.v[i].message_id, id);
			assert_string_equal(out.v[i].rcpt[0],
			    "support@helpdesk.example.com");
			free(id);
			free(head);
		}
		forward_mails_clear(&out);
		thread_free(&th);
	}
}

/* ---- determinism and bad input ---- */

static void
test_deterministic(void **state)
{
	struct forward_mails a = { NULL, 0 }, b = { NULL, 0 }, c = { NULL, 0 };
	struct thread th;
	struct error err;

	(void)state;
	thread_load(&th, thread_sales, 4);
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &sender, 456, NOW, &a, &err),
	    0);
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &sender, 456, NOW, &b, &err),
	    0);
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &sender, 457, NOW, &c, &err),
	    0);
	/* the same event builds the same bytes; another event another id */
	assert_int_equal(a.v[0].len, b.v[0].len);
	assert_memory_equal(a.v[0].data, b.v[0].data, a.v[0].len);
	assert_string_equal(c.v[0].message_id, "triage.T123.E457@example.com");
	/* customer-1 holds the first boundary candidate: the next is used */
	assert_non_null(
	    strstr(a.v[0].data, "boundary=\"=-triage-T123-E456-1\""));
	forward_mails_clear(&a);
	forward_mails_clear(&b);
	forward_mails_clear(&c);
	thread_free(&th);
}

static void
test_bad_input(void **state)
{
	static const struct {
		const char *to;
		const char *reply_to;
		size_t first_new;
	} cases[] = {
		{ "support@example.com\r\nBcc: x@evil.example", NULL, 0 },
		{ "support@example.com", "a@b.example\nBcc: x@evil.example",
		    0 },
		{ "", NULL, 0 },
		{ "not an address", NULL, 0 },
		{ "support@example.com", NULL, 5 },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_route r = { "support", cases[c].to,
			CONF_ROUTE_ATTACH, cases[c].reply_to };
		struct forward_mails out = { NULL, 0 };
		struct thread th;
		struct error err;

		thread_load(&th, thread_lf, 1);
		th.t.first_new = cases[c].first_new;
		assert_int_equal(
		    forward_build(&th.t, &r, &sender, 1, NOW, &out, &err), -1);
		assert_int_equal(err.code, ERR_USAGE);
		assert_int_equal(out.n, 0);
		thread_free(&th);
	}
}

static void
test_sender_parse(void **state)
{
	static const struct {
		const char *from;
		int ok;
		const char *address, *domain;
	} cases[] = {
		{ "Triage <triage@example.com>", 0, "triage@example.com",
		    "example.com" },
		{ "TRIAGE@Example.COM", 0, "triage@example.com",
		    "example.com" },
		{ "\"Triage, the bot\" <t@x.example>", 0, "t@x.example",
		    "x.example" },
		{ "a@x.example, b@x.example", -1, NULL, NULL },
		{ "nobody", -1, NULL, NULL },
		{ "", -1, NULL, NULL },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_sender s = { 0 };
		struct error err;

		assert_int_equal(forward_sender_parse(cases[c].from, &s, &err),
		    cases[c].ok);
		if (cases[c].ok == 0) {
			assert_string_equal(s.address, cases[c].address);
			assert_string_equal(s.domain, cases[c].domain);
			assert_string_equal(s.from, cases[c].from);
		} else {
			assert_int_equal(err.code, ERR_CONF);
			assert_null(s.address);
		}
		forward_sender_clear(&s);
	}
}

/* ---- answers ---- */

static void
test_answer(void **state)
{
	static const char *const refs[] = { "c1.pat@buyer.example" };
	static const struct {
		struct forward_answer a;
		const char *subject, *irt, *refs, *id, *ticket;
	} cases[] = {
		{ { "answer", "Alice BDR <alice@example.com>",
		      "Re: [#123] How much", "cmd1.alice@example.com", refs, 1,
		      "Routed #123 to sales.\n", 123, 900, NULL },
		    "Re: [#123] How much", "cmd1.alice@example.com",
		    "<c1.pat@buyer.example> <cmd1.alice@example.com>",
		    "triage.T123.E900.answer@example.com", "123" },
		{ { "answer", "bob@example.com", "[#9] Grüße", "x1@y.example",
		      NULL, 0, "Unknown route \"foo\".\n", 9, 901, NULL },
		    "Re: [#9] Grüße", "x1@y.example", "<x1@y.example>",
		    "triage.T9.E901.answer@example.com", "9" },
		{ { "reminder", "alice@example.com", "Reminder: #7 unclaimed",
		      NULL, NULL, 0, "Ticket #7 waits for a claim.\n", 7, 902,
		      NULL },
		    "Reminder: #7 unclaimed", NULL, NULL,
		    "triage.T7.E902.reminder@example.com", "7" },
		{ { "digest", "managers@example.com", "Daily digest", NULL,
		      NULL, 0, "Nothing overdue.\n", 0, 903, NULL },
		    "Daily digest", NULL, NULL,
		    "triage.T0.E903.digest@example.com", NULL },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_mail mail;
		struct error err;
		GMimeMessage *m;
		const char *v;
		char *body, *want;
		size_t wlen;

		assert_int_equal(forward_answer_build(&cases[c].a, &sender, NOW,
				     &mail, &err),
		    0);
		assert_string_equal(mail.message_id, cases[c].id);
		assert_string_equal(mail.mail_from, "triage@example.com");
		m = parse(mail.data, mail.len);
		assert_string_equal(hdr(m, "Auto-Submitted"), "auto-replied");
		assert_string_equal(hdr(m, "X-Auto-Response-Suppress"), "All");
		assert_string_equal(hdr(m, "X-Loop"), "triage@example.com");
		assert_string_equal(g_mime_message_get_subject(m),
		    cases[c].subject);
		assert_string_equal(g_mime_message_get_message_id(m),
		    cases[c].id);
		v = hdr(m, "In-Reply-To");
		if (cases[c].irt == NULL) {
			assert_null(v);
			assert_null(hdr(m, "References"));
		} else {
			xasprintf(&want, "<%s>", cases[c].irt);
			assert_string_equal(v, want);
			free(want);
			assert_string_equal(hdr(m, "References"),
			    cases[c].refs);
		}
		if (cases[c].ticket == NULL)
			assert_null(hdr(m, "X-Triage-Ticket"));
		else
			assert_string_equal(hdr(m, "X-Triage-Ticket"),
			    cases[c].ticket);
		body = g_mime_text_part_get_text(
		    GMIME_TEXT_PART(g_mime_message_get_mime_part(m)));
		want = to_crlf(cases[c].a.text, strlen(cases[c].a.text), &wlen);
		assert_string_equal(body, want);
		free(want);
		g_free(body);
		g_object_unref(m);
		forward_mail_clear(&mail);
	}
}

static void
test_answer_bad(void **state)
{
	static const struct forward_answer cases[] = {
		{ "Answer", "a@b.example", "s", NULL, NULL, 0, "t", 1, 1,
		    NULL },
		{ "answer", "", "s", NULL, NULL, 0, "t", 1, 1, NULL },
		{ "answer", "a@b.example\r\nBcc: c@d.example", "s", NULL, NULL,
		    0, "t", 1, 1, NULL },
		{ "answer", "a@b.example", "s", "x@y\r\nBcc: c@d", NULL, 0, "t",
		    1, 1, NULL },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct forward_mail mail = { 0 };
		struct error err;

		assert_int_equal(
		    forward_answer_build(&cases[c], &sender, NOW, &mail, &err),
		    -1);
		assert_int_equal(err.code, ERR_USAGE);
		assert_null(mail.data);
	}
}

/* ---- loop protection ---- */

static void
test_loop(void **state)
{
	static struct msg_header xloop_ours[] = {
		{ "X-Loop", "helpdesk@example.net" },
		{ "X-Loop", "Triage@Example.com" },
	};
	static struct msg_header xloop_other[] = {
		{ "X-Loop", "helpdesk@example.net" },
	};
	static const struct {
		unsigned flags;
		const char *from;
		struct msg_header *headers;
		size_t n_headers;
		int forward, answer;
		const char *why;
	} cases[] = {
		{ 0, "pat@buyer.example", NULL, 0, 1, 1, NULL },
		{ MSG_OWN_LOOP, "pat@buyer.example", NULL, 0, 0, 0,
		    "carries our X-Loop" },
		{ 0, "pat@buyer.example", xloop_ours, 2, 0, 0,
		    "carries our X-Loop" },
		{ 0, "pat@buyer.example", xloop_other, 1, 1, 1, NULL },
		{ MSG_AUTO_SUBMITTED, "support@example.com", NULL, 0, 0, 0,
		    "auto-submitted" },
		{ MSG_BOUNCE, "mailer-daemon@mx.example.com", NULL, 0, 0, 0,
		    "a bounce" },
		{ 0, "TRIAGE@example.com", NULL, 0, 0, 0,
		    "from our own address" },
		{ MSG_LIST, "list@lists.example.org", NULL, 0, 1, 0,
		    "mailing-list mail" },
		{ 0, "", NULL, 0, 1, 0, "no sender address" },
		{ MSG_TRUNCATED | MSG_SYNTHETIC_ID, "pat@buyer.example", NULL,
		    0, 1, 1, NULL },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct msg m;
		const char *why = NULL;

		memset(&m, 0, sizeof(m));
		m.flags = cases[c].flags;
		m.from.name = (char *)"";
		m.from.addr = (char *)cases[c].from;
		m.headers = cases[c].headers;
		m.n_headers = cases[c].n_headers;
		assert_int_equal(
		    forward_allowed(&m, "triage@example.com", &why),
		    cases[c].forward);
		if (cases[c].forward == 0)
			assert_string_equal(why, cases[c].why);
		why = NULL;
		assert_int_equal(
		    forward_answer_allowed(&m, "triage@example.com", &why),
		    cases[c].answer);
		if (cases[c].answer == 0)
			assert_string_equal(why, cases[c].why);
	}
}

static void
test_dir_parse(void **state)
{
	static const struct {
		const char *s;
		int r;
		enum forward_dir dir;
	} cases[] = {
		{ "in", 0, FORWARD_IN },
		{ "out", 0, FORWARD_OUT },
		{ "internal", 0, FORWARD_INTERNAL },
		{ "In", -1, FORWARD_IN },
		{ "", -1, FORWARD_IN },
		{ NULL, -1, FORWARD_IN },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		enum forward_dir d = (enum forward_dir)99;

		assert_int_equal(forward_dir_parse(cases[c].s, &d), cases[c].r);
		if (cases[c].r == 0)
			assert_int_equal(d, cases[c].dir);
		else
			assert_int_equal(d, 99);
	}
}

static void
test_id_ticket(void **state)
{
	static const struct {
		const char *id;
		int r;
		int64_t ticket;
	} cases[] = {
		{ "triage.T123.E456@example.com", 1, 123 },
		{ "<triage.T123.E456@example.com>", 1, 123 },
		{ "triage.T7.E9.3@EXAMPLE.com", 1, 7 },
		{ "triage.T7.E9.answer@example.com", 1, 7 },
		{ "triage.T7.E9@example.com.evil.example", 0, 0 },
		{ "triage.T7.E9@other.example", 0, 0 },
		{ "triage.T0.E9@example.com", 0, 0 },
		{ "triage.T.E9@example.com", 0, 0 },
		{ "triage.T12@example.com", 0, 0 },
		{ "triage.T12.E@example.com", 0, 0 },
		{ "triage.T12.E5x@example.com", 0, 0 },
		{ "xtriage.T12.E5@example.com", 0, 0 },
		/* ticket numbers: command_ticket_id, at most 18 digits */
		{ "triage.T999999999999999999.E1@example.com", 1,
		    999999999999999999 },
		{ "triage.T9223372036854775808.E1@example.com", 0, 0 },
		{ "triage.T123456789012345678901234567890.E1@example.com", 0,
		    0 },
		{ "triage.T0007.E1@example.com", 1, 7 },
		{ "triage.T7.E1234567890123456789@example.com", 0, 0 },
		{ "c1.pat@buyer.example", 0, 0 },
		{ "", 0, 0 },
		{ NULL, 0, 0 },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int64_t t = -1;

		assert_int_equal(msgid_ticket(cases[c].id, "example.com", &t),
		    cases[c].r);
		assert_int_equal(t, cases[c].r ? cases[c].ticket : -1);
	}
}

/* Two databases' keys: the same secret would still differ by part. */
static const struct msgid_key key_a = { "0123456789ab", { 1, 2, 3, 4 } };
static const struct msgid_key key_b = { "ba9876543210", { 9, 8, 7, 6 } };

/*
 * Our signed ids and tokens: a good one verifies and names its ticket;
 * a changed MAC, ticket, suffix or time is forged, another database's
 * part is another database's, an old token is expired.
 */
static void
test_token_verify(void **state)
{
	char *id = msgid_make(&key_a, "example.com", 123, 456, "answer");
	char *tok = msgid_token(&key_a, id, NOW), *other_db, *bad[4];
	char *old_tok = msgid_token(&key_a, id, NOW - 31 * 86400);
	char *future_tok = msgid_token(&key_a, id, NOW + 2 * 86400);
	char *other_tok = msgid_token(&key_b, id, NOW);
	char *bracketed;
	size_t at = strcspn(id, "@");
	int64_t t = -1;

	(void)state;
	assert_int_equal(
	    strncmp(id, "triage.T123.E456.answer.0123456789ab.", 37), 0);
	assert_int_equal(at, 37 + MSGID_MAC_HEX);
	assert_int_equal(msgid_verify(&key_a, id, &t), MSGID_OK);
	assert_int_equal(t, 123);
	xasprintf(&bracketed, "<%s>", id);
	assert_int_equal(msgid_verify(&key_a, bracketed, &t), MSGID_OK);
	assert_int_equal(msgid_verify(&key_b, id, &t), MSGID_OTHER_DB);
	other_db = msgid_make(&key_b, "example.com", 123, 456, "answer");
	assert_string_not_equal(other_db, id); /* two databases, two ids */
	/* one changed character anywhere before the MAC, or in it */
	for (size_t i = 0; i < 4; i++)
		bad[i] = xstrdup(id);
	bad[0][at - 1] = bad[0][at - 1] == '0' ? '1' : '0'; /* the MAC */
	bad[1][8] = '9';				    /* T923 */
	bad[2][17] = 'b';				    /* .bnswer */
	memcpy(bad[3], "triage.T124", 11);		    /* T124 */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(msgid_verify(&key_a, bad[i], &t),
		    MSGID_FORGED);
	assert_int_equal(
	    msgid_verify(&key_a, "triage.T123.E456@example.com", &t),
	    MSGID_NOT_OURS);
	assert_int_equal(msgid_verify(&key_a, "c1.pat@buyer.example", &t),
	    MSGID_NOT_OURS);
	assert_int_equal(msgid_verify(NULL, id, &t), MSGID_NOT_OURS);

	t = -1;
	assert_int_equal(msgid_verify_token(&key_a, id, tok, NOW, 86400, &t),
	    MSGID_OK);
	assert_int_equal(t, 123);
	assert_int_equal(
	    msgid_verify_token(&key_a, id, old_tok, NOW, 30 * 86400, &t),
	    MSGID_EXPIRED);
	assert_int_equal(
	    msgid_verify_token(&key_a, id, future_tok, NOW, 30 * 86400, &t),
	    MSGID_EXPIRED);
	assert_int_equal(
	    msgid_verify_token(&key_a, id, other_tok, NOW, 86400, &t),
	    MSGID_FORGED);
	/* a token copied onto another mail of ours does not fit it */
	assert_int_equal(
	    msgid_verify_token(&key_a, other_db, tok, NOW, 86400, &t),
	    MSGID_OTHER_DB);
	assert_int_equal(
	    msgid_verify_token(&key_a, bad[0], tok, NOW, 86400, &t),
	    MSGID_FORGED);
	tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == 'a' ? 'b' : 'a';
	assert_int_equal(msgid_verify_token(&key_a, id, tok, NOW, 86400, &t),
	    MSGID_FORGED);
	assert_int_equal(msgid_verify_token(&key_a, id, "v1.x", NOW, 86400, &t),
	    MSGID_FORGED);
	assert_int_equal(msgid_verify_token(&key_a, id, NULL, NOW, 86400, &t),
	    MSGID_FORGED);
	assert_string_equal(msgid_check_name(MSGID_EXPIRED), "expired");
	for (size_t i = 0; i < 4; i++)
		free(bad[i]);
	free(bracketed);
	free(other_db);
	free(other_tok);
	free(future_tok);
	free(old_tok);
	free(tok);
	free(id);
}

/*
 * With a key, everything we send is signed: the forward's Message-ID
 * verifies, and its X-Triage-Token is the one for that id and time.
 */
static void
test_forward_signed(void **state)
{
	struct forward_sender signer = sender;
	struct forward_mails out = { NULL, 0 };
	struct thread th;
	struct error err;
	GMimeMessage *m;
	int64_t t = 0;
	char *want;

	(void)state;
	signer.key = &key_a;
	thread_load(&th, thread_sales, 4);
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &signer, 456, NOW, &out, &err),
	    0);
	assert_int_equal(msgid_verify(&key_a, out.v[0].message_id, &t),
	    MSGID_OK);
	assert_int_equal(t, 123);
	m = parse(out.v[0].data, out.v[0].len);
	assert_string_equal(g_mime_message_get_message_id(m),
	    out.v[0].message_id);
	want = msgid_token(&key_a, out.v[0].message_id, NOW);
	assert_string_equal(hdr(m, "X-Triage-Token"), want);
	free(want);
	g_object_unref(m);
	forward_mails_clear(&out);
	thread_free(&th);
}

/* The summary lists each rule hit once, however many messages hit it. */
static void
test_summary_hits_once(void **state)
{
	struct forward_mails out = { NULL, 0 };
	struct verdict_hit hits[4];
	struct thread th;
	struct error err;
	GMimeMessage *m;
	char *text, *p;
	int n = 0;

	(void)state;
	thread_load(&th, thread_sales, 4);
	hits[0] = th.hit;
	hits[1] = (struct verdict_hit){ "seats", "10-sales.rules", 9, "body",
		"50 seats", 0 };
	hits[2] = th.hit; /* the follow-up asks how much again */
	hits[3] = (struct verdict_hit){ "pricing-question", "10-sales.rules", 3,
		"body", "how much now", 0 };
	th.t.hits = hits;
	th.t.n_hits = 4;
	assert_int_equal(
	    forward_build(&th.t, &route_attach, &sender, 456, NOW, &out, &err),
	    0);
	m = parse(out.v[0].data, out.v[0].len);
	text = summary_of(m);
	for (p = text; (p = strstr(p, "pricing-question (")) != NULL; p++)
		n++;
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "seats (10-sales.rules:9)"));
	g_free(text);
	g_object_unref(m);
	forward_mails_clear(&out);
	thread_free(&th);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_bytes),
		cmocka_unit_test(test_attach_headers),
		cmocka_unit_test(test_attach_odd_bytes),
		cmocka_unit_test(test_attach_reply_to),
		cmocka_unit_test(test_attach_subject),
		cmocka_unit_test(test_redirect_exact),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_sender_parse),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_answer_bad),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_dir_parse),
		cmocka_unit_test(test_id_ticket),
		cmocka_unit_test(test_token_verify),
		cmocka_unit_test(test_forward_signed),
		cmocka_unit_test(test_summary_hits_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
