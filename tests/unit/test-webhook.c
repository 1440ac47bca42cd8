/*
 * Webhooks: the JSON payload of an event (fields, ticket link, company,
 * excerpt cut at a character), the X-Triage-Signature (HMAC-SHA256
 * vectors), what each answer means for the row, the backoff, and the
 * webhooks block of triage.conf (https, plain http to loopback only,
 * event names, the secret file).
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "conf.h"
#include "store-webhook.h"
#include "store.h"
#include "test-common.h"
#include "webhook-private.h"

/* ---- signature -------------------------------------------------- */

static const struct {
	const char *key, *data, *hex;
} sig_cases[] = {
	/* RFC 4231 test case 2 */
	{ "Jefe", "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "key", "The quick brown fox jumps over the lazy dog",
	    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" },
};

static void
test_signature(void **state)
{
	char out[128], want[128];
	struct error err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		assert_int_equal(
		    webhook_signature(sig_cases[i].key, sig_cases[i].data,
			strlen(sig_cases[i].data), out, sizeof(out), &err),
		    0);
		snprintf(want, sizeof(want), "X-Triage-Signature: sha256=%s",
		    sig_cases[i].hex);
		assert_string_equal(out, want);
	}
	/* too small a buffer is an error, never a cut signature */
	assert_int_equal(webhook_signature("k", "d", 1, out, 40, &err), -1);
}

/* ---- payload ---------------------------------------------------- */

static char *tags[] = { "pricing", "ee-lead" };
static char *mailboxes[] = { "sales" };

static json_object *
get(json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL;
	     k = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(o, k, &o))
			fail_msg("no %s in payload (at %s)", path, k);
	}
	return o;
}

static const char *
str(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v != NULL ? json_object_get_string(v) : NULL;
}

static void
test_payload(void **state)
{
	char text[700];
	struct store_message msgs[2] = { 0 };
	struct store_detail d = { 0 };
	struct store_webhook w = { 0 };
	json_object *o;
	const char *ex;
	char *s;

	(void)state;
	/* 499 ASCII bytes, then "é" (2 bytes) straddling the 500 cut */
	memset(text, 'a', 499);
	text[499] = '\xc3';
	text[500] = '\xa9';
	snprintf(text + 501, sizeof(text) - 501, "%s", " and more");
	msgs[0].direction = "out";
	msgs[0].subject = "Our answer";
	msgs[0].text = "not the customer's";
	msgs[1].direction = "in";
	msgs[1].subject = "Pricing for 40 seats";
	msgs[1].from_name = "Pat Buyer";
	msgs[1].text = text;
	d.messages = msgs;
	d.n_messages = 2;
	d.t.id = 12;
	d.t.subject = "Re: Pricing";
	d.t.state = STATE_ROUTED;
	d.t.queue = "sales";
	d.t.priority = PRIO_HIGH;
	d.t.owner = "alice";
	d.t.route = "sales";
	d.t.customer = "pat@buyer.example";
	d.t.tags = tags;
	d.t.n_tags = 2;
	d.t.mailboxes = mailboxes;
	d.t.n_mailboxes = 1;
	d.t.scores[DIM_BUDGET] = 2;
	d.t.scores[DIM_NEED] = 1;
	d.t.qualified = 1;
	d.t.created = test_ts("2026-11-09T10:00:00Z");
	d.t.updated = test_ts("2026-11-09T11:00:00Z");
	w.event_id = 40;
	w.kind = "qualify";
	w.event_at = test_ts("2026-11-09T11:00:00Z");
	w.actor = "alice";
	w.source = "mail";
	w.detail = "budget need";

	s = webhook_payload(&w, &d, "https://crm.example.com/t/{id}");
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_int_equal(json_object_get_int64(get(o, "event.id")), 40);
	assert_string_equal(str(o, "event.kind"), "qualify");
	assert_string_equal(str(o, "event.at"), "2026-11-09T11:00:00Z");
	assert_string_equal(str(o, "event.source"), "mail");
	assert_int_equal(json_object_get_int64(get(o, "ticket.id")), 12);
	assert_string_equal(str(o, "ticket.url"),
	    "https://crm.example.com/t/12");
	assert_string_equal(str(o, "ticket.state"), "routed");
	assert_string_equal(str(o, "ticket.priority"), "high");
	assert_string_equal(str(o, "ticket.owner"), "alice");
	assert_string_equal(str(o, "ticket.customer_name"), "Pat Buyer");
	/* no key account: the company is the address's domain */
	assert_string_equal(str(o, "ticket.company"), "buyer.example");
	assert_null(get(o, "ticket.account"));
	assert_int_equal(json_object_get_int(get(o, "ticket.scores.budget")),
	    2);
	assert_int_equal(json_object_get_int(get(o, "ticket.scores.fit")), 0);
	assert_true(json_object_get_boolean(get(o, "ticket.marks.qualified")));
	assert_false(json_object_get_boolean(get(o, "ticket.marks.story")));
	assert_int_equal(json_object_array_length(get(o, "ticket.tags")), 2);
	/* the first message from the customer, not ours before it */
	assert_string_equal(str(o, "ticket.subject"), "Pricing for 40 seats");
	ex = str(o, "ticket.excerpt");
	assert_int_equal(strlen(ex), 499); /* not half an "é" */
	assert_string_equal(str(o, "ticket.created"), "2026-11-09T10:00:00Z");
	json_object_put(o);
	free(s);

	/* a key account names the company; no ticket_url: url null */
	d.t.account = "Buyer Inc";
	d.t.tier = "key";
	d.t.qualified = -1;
	d.t.qualify_reason = "student";
	s = webhook_payload(&w, &d, NULL);
	o = json_tokener_parse(s);
	assert_non_null(o);
	assert_null(get(o, "ticket.url"));
	assert_string_equal(str(o, "ticket.company"), "Buyer Inc");
	assert_string_equal(str(o, "ticket.tier"), "key");
	assert_true(
	    json_object_get_boolean(get(o, "ticket.marks.disqualified")));
	assert_string_equal(str(o, "ticket.marks.disqualify_reason"),
	    "student");
	json_object_put(o);
	free(s);
}

/* ---- verdicts and backoff ---------------------------------------- */

static const struct {
	int status;
	int64_t age;
	enum webhook_verdict v;
} judge_cases[] = {
	{ 200, 0, WEBHOOK_DELIVERED },
	{ 204, 0, WEBHOOK_DELIVERED },
	{ 202, WEBHOOK_GIVE_UP + 1, WEBHOOK_DELIVERED },
	{ 400, 0, WEBHOOK_FAILED },
	{ 401, 0, WEBHOOK_FAILED },
	{ 404, 0, WEBHOOK_FAILED },
	{ 408, 0, WEBHOOK_RETRY },
	{ 429, 0, WEBHOOK_RETRY },
	{ 301, 0, WEBHOOK_FAILED }, /* redirects are not followed */
	{ 500, 0, WEBHOOK_RETRY },
	{ 503, 0, WEBHOOK_RETRY },
	{ 0, 0, WEBHOOK_RETRY }, /* no answer: timeout, refused, TLS */
	{ 503, WEBHOOK_GIVE_UP + 1, WEBHOOK_FAILED },
	{ 0, WEBHOOK_GIVE_UP + 1, WEBHOOK_FAILED },
};

static const struct {
	int64_t first;
	int attempts;
	int64_t wait;
} backoff_cases[] = {
	{ 60, 1, 60 }, { 60, 2, 120 }, { 60, 3, 240 },
	{ 60, 30, WEBHOOK_BACKOFF_MAX }, { 1, 1, 1 }, { 1, 4, 8 },
	{ 0, 1, 60 }, /* unset: a minute */
};

static void
test_judge_backoff(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]);
	     i++) {
		if (webhook_judge(judge_cases[i].status, judge_cases[i].age) !=
		    judge_cases[i].v)
			fail_msg("status %d age %lld: verdict %d, want %d",
			    judge_cases[i].status,
			    (long long)judge_cases[i].age,
			    webhook_judge(judge_cases[i].status,
				judge_cases[i].age),
			    judge_cases[i].v);
	}
	for (size_t i = 0; i < sizeof(backoff_cases) / sizeof(backoff_cases[0]);
	     i++)
		assert_int_equal(webhook_backoff(backoff_cases[i].first,
				     backoff_cases[i].attempts),
		    backoff_cases[i].wait);
}

/* ---- triage.conf ------------------------------------------------ */

static char dir[PATH_MAX];

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

#define MAILBOX_OK \
	"mailboxes = ( { name = \"sales\"; address = \"sales@example.com\";" \
	" imap = { host = \"imap.example.com\"; user = \"u\";" \
	" password_file = \"ok.pass\"; }; } );\n"

static const struct {
	const char *hooks;  /* the webhooks block's entries */
	const char *error;  /* the one error expected (after FILE:LINE: ),
			      or NULL: loads */
	const char *events; /* loaded: the first hook's events, joined */
} conf_cases[] = {
	{ "{ url = \"https://crm.example.com/hooks/triage\";"
	  " events = (\"qualified\", \"routed\", \"story\");"
	  " secret_file = \"hook.secret\"; }",
	    NULL, "qualify route story" },
	{ "{ url = \"http://127.0.0.1:8080/h\"; events = \"qualify, *\";"
	  " secret_file = \"hook.secret\"; }",
	    NULL, "qualify *" },
	{ "{ url = \"http://[::1]/h\"; events = [\"wait\"];"
	  " secret_file = \"hook.secret\"; }",
	    NULL, "wait" },
	{ "{ url = \"http://localhost/h\"; events = (\"claimed\");"
	  " secret_file = \"hook.secret\"; }",
	    NULL, "claim" },
	{ "{ url = \"http://crm.example.com/h\"; events = (\"story\");"
	  " secret_file = \"hook.secret\"; }",
	    "webhook url \"http://crm.example.com/h\": plain http:// sends "
	    "the signed lead in clear: only allowed to a loopback host, not "
	    "'crm.example.com'; use https://",
	    NULL },
	{ "{ url = \"https://user:pw@crm.example.com/h\";"
	  " events = (\"story\"); secret_file = \"hook.secret\"; }",
	    "webhook 'url' must be an https:// URL without user or password "
	    "(\"https://crm.example.com/hooks/triage\"), not "
	    "\"https://user:pw@crm.example.com/h\"",
	    NULL },
	{ "{ url = \"ftp://crm.example.com/h\"; events = (\"story\");"
	  " secret_file = \"hook.secret\"; }",
	    "webhook 'url' must be an https:// URL without user or password "
	    "(\"https://crm.example.com/hooks/triage\"), not "
	    "\"ftp://crm.example.com/h\"",
	    NULL },
	{ "{ url = \"https://crm.example.com/h\"; events = ();"
	  " secret_file = \"hook.secret\"; }",
	    "a webhook needs at least one event", NULL },
	{ "{ url = \"https://crm.example.com/h\"; events = (\"a b\");"
	  " secret_file = \"hook.secret\"; }",
	    "webhook event \"a b\" must be an event kind (\"qualified\", "
	    "\"route\", \"story\" ...) or \"*\"",
	    NULL },
	{ "{ url = \"https://crm.example.com/h\"; events = (\"story\");"
	  " secret_file = \"open.secret\"; }",
	    "secret_file '@DIR@/open.secret' is readable by group or others "
	    "(mode 0640); chmod 600 it",
	    NULL },
	{ "{ url = \"https://crm.example.com/h\"; events = (\"story\"); }",
	    "missing required setting 'secret_file' in webhook", NULL },
};

static void
test_conf(void **state)
{
	char text[2048], want[PATH_MAX + 1024], got[PATH_MAX + 64];
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;
	const char *p;
	size_t n;
	int r;

	(void)state;
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "test-webhook"), 0);
	write_file("ok.pass", "pw\n", 0600);
	write_file("hook.secret", "s3cret\n", 0600);
	write_file("open.secret", "s3cret\n", 0640);
	for (size_t i = 0; i < sizeof(conf_cases) / sizeof(conf_cases[0]);
	     i++) {
		snprintf(text, sizeof(text), MAILBOX_OK "webhooks = ( %s );\n",
		    conf_cases[i].hooks);
		write_file("t.conf", text, 0600);
		snprintf(got, sizeof(got), "%s/t.conf", dir);
		r = conf_load(got, &c, &errs);
		if (conf_cases[i].error == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i, errs.v[0]);
			got[0] = '\0';
			n = 0;
			for (size_t j = 0; j < c->webhooks[0].n_events; j++)
				n += (size_t)snprintf(got + n, sizeof(got) - n,
				    "%s%s", j > 0 ? " " : "",
				    c->webhooks[0].events[j]);
			assert_string_equal(got, conf_cases[i].events);
			conf_free(&c);
			continue;
		}
		assert_int_equal(r, -1);
		if (errs.n != 1)
			fail_msg("case %zu: %zu errors, first %s", i, errs.n,
			    errs.n > 0 ? errs.v[0] : "-");
		p = strchr(strchr(errs.v[0], ':') + 1, ':') + 2; /* after
								     FILE:LINE: */
		snprintf(want, sizeof(want), "%s", conf_cases[i].error);
		if (strstr(want, "@DIR@") != NULL) {
			char tail[1024];

			snprintf(tail, sizeof(tail), "%s",
			    strstr(want, "@DIR@") + 5);
			snprintf(strstr(want, "@DIR@"),
			    sizeof(want) -
				(size_t)(strstr(want, "@DIR@") - want),
			    "%s%s", dir, tail);
		}
		assert_string_equal(p, want);
		conf_errors_clear(&errs);
	}
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_judge_backoff),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
