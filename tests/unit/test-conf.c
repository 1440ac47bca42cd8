/*
 * triage.conf loading: every class of error is one row of a table (the
 * config text, and exactly the "FILE:LINE: message" lines expected), then
 * the shipped example and the typed values it yields.
 */
#include <sys/stat.h>
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

#include "buf.h"
#include "conf.h"
#include "test-common.h"
#include "xalloc.h"

/* a fresh temp dir for each run: realpath(3) may write PATH_MAX bytes */
static char dir[PATH_MAX];

/* A mailbox block that loads clean: for rows about something else. */
#define IMAP_OK \
	"imap = { host = \"imap.example.com\"; user = \"u\"; " \
	"password_file = \"ok.pass\"; };"
#define MAILBOX_OK \
	"mailboxes = ( { name = \"sales\"; address = \"sales@example.com\"; " IMAP_OK \
	" } );\n"

struct error_case {
	const char *what;
	const char *text;   /* written to @FILE@ */
	const char *expect; /* lines joined by \n; @FILE@, @DIR@ replaced */
};

static const struct error_case error_cases[] = {
	{ "syntax error: libconfig's own line and text",
	    MAILBOX_OK "poll_interval = ;\n", "@FILE@:2: syntax error" },
	{ "duplicate setting (libconfig)",
	    MAILBOX_OK "poll_interval = 5;\npoll_interval = 6;\n",
	    "@FILE@:3: duplicate setting name" },
	{ "unknown key, with the close known one",
	    MAILBOX_OK "pol_interval = 5;\n",
	    "@FILE@:2: unknown setting 'pol_interval' "
	    "(did you mean 'poll_interval'?)" },
	{ "unknown key in a block",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"ok.pass\";\n"
	    "    fodler = \"INBOX\"; };\n"
	    "} );\n",
	    "@FILE@:4: unknown setting 'fodler' in imap block "
	    "(did you mean 'folder'?)" },
	{ "unknown key, nothing close", MAILBOX_OK "colour = \"blue\";\n",
	    "@FILE@:2: unknown setting 'colour'" },
	{ "missing required top-level setting", "poll_interval = 5;\n",
	    "@FILE@:1: missing required setting 'mailboxes'" },
	{ "missing required settings in a block, all of them",
	    "poll_interval = 5;\n"
	    "mailboxes = (\n"
	    "  { name = \"sales\"; }\n"
	    ");\n",
	    "@FILE@:3: missing required setting 'address' in mailbox\n"
	    "@FILE@:3: missing required setting 'imap' in mailbox" },
	{ "wrong type: boolean for a duration",
	    MAILBOX_OK "poll_interval = true;\n",
	    "@FILE@:2: 'poll_interval' must be a duration (seconds, or a "
	    "string like \"4h\"), not a boolean" },
	{ "wrong type: string for an integer",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    port = \"993\"; password_file = \"ok.pass\"; }; } );\n",
	    "@FILE@:3: 'port' must be an integer, not a string" },
	{ "wrong type: group where a list belongs",
	    "mailboxes = { name = \"sales\"; };\n",
	    "@FILE@:1: 'mailboxes' must be a list ( { ... }, ... ), "
	    "not a group" },
	{ "integer out of range", MAILBOX_OK "poll_interval = 0;\n",
	    "@FILE@:2: 'poll_interval' must be between 1 and 86400, not 0" },
	{ "bad duration",
	    MAILBOX_OK "sla = {\n  claim = \"4x\";\n"
		       "  acknowledge = \"1h30\";\n};\n",
	    "@FILE@:3: 'claim': bad duration \"4x\" (use seconds, or a number "
	    "with s, m, h, d or w: \"4h\")\n"
	    "@FILE@:4: 'acknowledge': bad duration \"1h30\" (use seconds, or a "
	    "number with s, m, h, d or w: \"4h\")" },
	{ "bad size", MAILBOX_OK "max_message_size = \"50MB\";\n",
	    "@FILE@:2: 'max_message_size': bad size \"50MB\" (use bytes, or a "
	    "number with K, M or G: \"50M\")" },
	{ "duplicate mailbox name",
	    "mailboxes = (\n"
	    "  { name = \"sales\"; address = \"a@example.com\"; " IMAP_OK
	    " },\n"
	    "  { name = \"sales\"; address = \"b@example.com\"; " IMAP_OK " }\n"
	    ");\n",
	    "@FILE@:3: duplicate mailbox name 'sales' (first at line 2)" },
	{ "a route that does not exist",
	    MAILBOX_OK
	    "routes = { sales = \"sales-team@example.com\"; };\n"
	    "team = ( { name = \"sam\"; address = \"sam@example.com\";\n"
	    "  role = \"sales\"; route = \"sale\"; } );\n",
	    "@FILE@:4: team member 'sam': unknown route 'sale' "
	    "(did you mean 'sales'?)" },
	{ "routes differing only in case",
	    MAILBOX_OK "routes = { sales = \"a@example.com\";\n"
		       "  Sales = \"b@example.com\"; };\n",
	    "@FILE@:3: duplicate route 'Sales' (first at line 2)" },
	{ "tls none for a host that is not loopback",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"imap.example.com\";\n"
	    "    tls = \"none\"; user = \"u\"; password_file = \"ok.pass\"; };"
	    " } );\n",
	    "@FILE@:3: tls = \"none\" sends the password in clear: only "
	    "allowed for a loopback host, not 'imap.example.com'" },
	{ "password_file missing",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"nope.pass\"; }; } );\n",
	    "@FILE@:3: password_file '@DIR@/nope.pass': "
	    "No such file or directory" },
	{ "password_file readable by group",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"open.pass\"; }; } );\n",
	    "@FILE@:3: password_file '@DIR@/open.pass' is readable by group "
	    "or others (mode 0640); chmod 600 it" },
	{ "oauth2_token_file readable by others, ca_file missing",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    oauth2_token_file = \"open.pass\";\n"
	    "    ca_file = \"/nonexistent/ca.pem\"; }; } );\n",
	    "@FILE@:3: oauth2_token_file '@DIR@/open.pass' is readable by "
	    "group or others (mode 0640); chmod 600 it\n"
	    "@FILE@:4: ca_file '/nonexistent/ca.pem': "
	    "No such file or directory" },
	{ "a mailbox that is not a group", "mailboxes = (\n  \"sales\" );\n",
	    "@FILE@:2: a mailbox must be a group { ... }, not a string" },
	{ "password_env not set",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_env = \"TEST_CONF_UNSET_VARIABLE\"; }; } );\n",
	    "@FILE@:3: environment variable 'TEST_CONF_UNSET_VARIABLE' "
	    "(password_env) is not set" },
	{ "two credentials",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"ok.pass\";\n"
	    "    password_command = \"x\"; }; } );\n",
	    "@FILE@:2: imap block: set only one of password_file, "
	    "password_env, password_command, oauth2_token_file and "
	    "oauth2_token_command" },
	{ "no credential",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\"; }; } );\n",
	    "@FILE@:2: imap block: user 'u' needs a password_file, "
	    "password_env, password_command, oauth2_token_file or "
	    "oauth2_token_command" },
	{ "bad choices: after, style, role",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  " IMAP_OK "\n"
	    "  after = \"move:\"; } );\n"
	    "routes = { support = { to = \"support@example.com\";\n"
	    "  style = \"bounce\"; }; };\n"
	    "team = ( { name = \"al\"; address = \"al@example.com\";\n"
	    "  role = \"boss\"; } );\n",
	    "@FILE@:3: 'after' must be \"flag\", \"none\" or \"move:FOLDER\", "
	    "not \"move:\"\n"
	    "@FILE@:5: 'style' must be \"attach\" or \"redirect\", not "
	    "\"bounce\"\n"
	    "@FILE@:7: 'role' must be \"bdr\", \"manager\", \"sales\" or "
	    "\"support\", not \"boss\"" },
	{ "reply_to on a redirect route does nothing: refused",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  " IMAP_OK " } );\n"
	    "routes = { support = { to = \"support@example.com\";\n"
	    "  style = \"redirect\"; reply_to = \"help@example.com\"; };\n"
	    "  sales = { to = \"sales-team@example.com\";\n"
	    "  reply_to = \"help@example.com\"; }; };\n",
	    "@FILE@:3: reply_to has no effect with style = \"redirect\", "
	    "which keeps the customer's own Reply-To: remove it or use "
	    "style = \"attach\"" },
	{ "bad addresses, string-form route named",
	    "mailboxes = ( { name = \"sales\"; address = \"sales\"; " IMAP_OK
	    " } );\n"
	    "routes = { sales = \"team at example.com\"; };\n",
	    "@FILE@:1: 'address' is not an email address: \"sales\"\n"
	    "@FILE@:2: 'sales' is not an email address: "
	    "\"team at example.com\"" },
	{ "duplicate team member and address",
	    MAILBOX_OK
	    "team = ( { name = \"al\"; address = \"al@example.com\"; "
	    "role = \"bdr\"; },\n"
	    "  { name = \"al\";\n"
	    "    address = \"AL@example.com\"; role = \"bdr\"; } );\n",
	    "@FILE@:3: duplicate team member 'al' (first at line 2)\n"
	    "@FILE@:4: duplicate team address 'al@example.com' "
	    "(first at line 2)" },
	{ "sla hours and digest_at",
	    MAILBOX_OK "sla = { digest_at = \"8am\";\n"
		       "  hours = \"Mon-Fry 09:00-18:00\"; };\n",
	    "@FILE@:2: 'digest_at' must be a time HH:MM, not \"8am\"\n"
	    "@FILE@:3: 'hours' has bad days \"Mon-Fry\" (use Mon-Fri or "
	    "Mon,Wed,Fri)" },
	{ "timezone", MAILBOX_OK "timezone = \"Europe/Berln\";\n",
	    "@FILE@:2: 'timezone' must be a time zone such as "
	    "\"Europe/Berlin\", not \"Europe/Berln\"" },
	{ "ticket_url", MAILBOX_OK "ticket_url = \"crm.example.com/t/{id}\";\n",
	    "@FILE@:2: 'ticket_url' must be an http:// or https:// URL with "
	    "{id} once (\"https://crm.example.com/t/{id}\"), not "
	    "\"crm.example.com/t/{id}\"" },
	{ "ticket_url without {id}",
	    MAILBOX_OK "ticket_url = \"https://crm.example.com/t/\";\n",
	    "@FILE@:2: 'ticket_url' must be an http:// or https:// URL with "
	    "{id} once (\"https://crm.example.com/t/{id}\"), not "
	    "\"https://crm.example.com/t/\"" },
	{ "ticket_url with a quote",
	    MAILBOX_OK "ticket_url = \"https://x.example/t/{id}\\\"a\";\n",
	    "@FILE@:2: 'ticket_url' must be an http:// or https:// URL with "
	    "{id} once (\"https://crm.example.com/t/{id}\"), not "
	    "\"https://x.example/t/{id}\"a\"" },
	{ "sla hours: unknown zone",
	    MAILBOX_OK
	    "sla = { hours = \"Mon-Fri 09:00-18:00 Europe/Berln\"; };\n",
	    "@FILE@:2: 'hours' names an unknown time zone \"Europe/Berln\"" },
	{ "smtp block: from and a password without user",
	    MAILBOX_OK "smtp = { host = \"smtp.example.com\";\n"
		       "  password_file = \"ok.pass\";\n"
		       "  from = \"Triage <triage@example.com\"; };\n",
	    "@FILE@:4: 'from' must be an address or \"Name <address>\", not "
	    "\"Triage <triage@example.com\"\n"
	    "@FILE@:2: smtp block: a password or token needs a 'user'" },
	{ "keeps going: every problem at once",
	    "pol_interval = 5;\n"
	    "mailboxes = ( { name = \"sales\"; address = \"sales@example.com\";\n"
	    "  imap = { hots = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"ok.pass\"; }; } );\n"
	    "sla = { claim = \"soon\"; };\n",
	    "@FILE@:1: unknown setting 'pol_interval' "
	    "(did you mean 'poll_interval'?)\n"
	    "@FILE@:3: unknown setting 'hots' in imap block "
	    "(did you mean 'host'?)\n"
	    "@FILE@:3: missing required setting 'host' in imap block\n"
	    "@FILE@:5: 'claim': bad duration \"soon\" (use seconds, or a number "
	    "with s, m, h, d or w: \"4h\")" },
	{ "an included file is named in its errors",
	    "@include \"inc.conf\"\n" MAILBOX_OK,
	    "@DIR@/inc.conf:2: unknown setting 'datbase' "
	    "(did you mean 'database'?)" },
	{ "a syntax error in an included file",
	    MAILBOX_OK "@include \"broken.conf\"\n",
	    "@DIR@/broken.conf:3: syntax error" },
};

/* Replace every @FILE@ and @DIR@ in `in`. */
static char *
expand(const char *in, const char *file)
{
	size_t cap = strlen(in) * 4 + 1024, len = 0;
	char *out = xmalloc(cap);

	while (*in != '\0') {
		const char *sub = NULL;

		if (strncmp(in, "@FILE@", 6) == 0)
			sub = file;
		else if (strncmp(in, "@DIR@", 5) == 0)
			sub = dir;
		if (sub != NULL) {
			assert_true(len + strlen(sub) < cap);
			memcpy(out + len, sub, strlen(sub));
			len += strlen(sub);
			in += sub == file ? 6 : 5;
		} else {
			assert_true(len + 1 < cap);
			out[len++] = *in++;
		}
	}
	out[len] = '\0';
	return out;
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char *path;
	FILE *fp;

	xasprintf(&path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

/* What conf_server_password() reads for `srv` at login. */
static void
assert_password(const struct conf_server *srv, const char *want)
{
	struct error err = { 0 };
	char *secret = NULL;

	assert_int_equal(conf_server_password(srv, &secret, &err), 0);
	assert_string_equal(secret, want);
	free(secret);
}

static char *
joined_errors(const struct conf_errors *errs)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	for (size_t i = 0; i < errs->n; i++) {
		assert_int_equal(
		    buf_printf(&b, "%s%s", i > 0 ? "\n" : "", errs->v[i]), 0);
	}
	return buf_steal(&b);
}

static void
test_errors(void **state)
{
	size_t failed = 0;
	char *file;

	(void)state;
	xasprintf(&file, "%s/test.conf", dir);
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]);
	     i++) {
		const struct error_case *tc = &error_cases[i];
		struct conf_errors errs = { 0 };
		struct conf *conf = NULL;
		char *want, *got;

		write_file("test.conf", tc->text, 0644);
		want = expand(tc->expect, file);
		assert_int_equal(conf_load(file, &conf, &errs), -1);
		assert_null(conf);
		got = joined_errors(&errs);
		if (strcmp(got, want) != 0) {
			print_error("case \"%s\":\n got: %s\nwant: %s\n",
			    tc->what, got, want);
			failed++;
		}
		free(got);
		free(want);
		conf_errors_clear(&errs);
	}
	free(file);
	assert_int_equal(failed, 0);
}

/* "24:00" closes at midnight; nothing past it, and no window from it. */
static void
test_hours_midnight(void **state)
{
	static const struct {
		const char *hours;
		int ok;
	} cases[] = {
		{ "Mon-Fri 09:00-24:00", 1 },
		{ "Sat,Sun 00:00-24:00 Europe/Berlin", 1 },
		{ "Mon-Fri 09:00-23:59", 1 },
		{ "Mon-Fri 09:00-24:01", 0 },
		{ "Mon-Fri 24:00-24:00", 0 },
		{ "Mon-Fri 09:00-25:00", 0 },
	};
	char *file, *text;

	(void)state;
	xasprintf(&file, "%s/test.conf", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_errors errs = { 0 };
		struct conf *conf = NULL;
		int r;

		xasprintf(&text, MAILBOX_OK "sla = { hours = \"%s\"; };\n",
		    cases[i].hours);
		write_file("test.conf", text, 0644);
		r = conf_load(file, &conf, &errs);
		if ((r == 0) != cases[i].ok)
			fail_msg("\"%s\": loaded %d, want %d (%s)",
			    cases[i].hours, r == 0, cases[i].ok,
			    errs.n > 0 ? errs.v[0] : "no error");
		if (r == 0)
			assert_string_equal(conf->sla.hours, cases[i].hours);
		conf_free(&conf);
		conf_errors_clear(&errs);
		free(text);
	}
	free(file);
}

static void
test_missing_file(void **state)
{
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	char *file, *want;

	(void)state;
	xasprintf(&file, "%s/absent.conf", dir);
	xasprintf(&want, "%s: No such file or directory", file);
	assert_int_equal(conf_load(file, &conf, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0], want);
	conf_errors_clear(&errs);
	free(want);
	free(file);
}

static struct conf *
load_example(void)
{
	const char *src = getenv("TRIAGE_SOURCE_DIR");
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	char *path;

	assert_non_null(src);
	xasprintf(&path, "%s/triage.conf.example", src);
	if (conf_load(path, &conf, &errs) < 0)
		fail_msg("example: %s", errs.n > 0 ? errs.v[0] : "?");
	free(path);
	return conf;
}

static void
test_example(void **state)
{
	struct conf *c = load_example();
	const struct conf_mailbox *mb;
	const struct conf_route *r;
	const struct conf_member *m;

	(void)state;
	assert_string_equal(c->database, "/var/lib/triage/triage.db");
	assert_string_equal(c->rules, "/etc/triage/rules.d");
	assert_null(c->accounts);
	assert_int_equal(c->poll_interval, 60);
	assert_int_equal(c->max_message_size, 50 * 1024 * 1024);

	assert_int_equal(c->n_mailboxes, 2);
	mb = conf_mailbox(c, "sales");
	assert_non_null(mb);
	assert_string_equal(mb->address, "sales@example.com");
	assert_string_equal(mb->imap.host, "imap.example.com");
	assert_int_equal(mb->imap.port, 993);
	assert_int_equal(mb->imap.tls, CONF_TLS_IMPLICIT);
	assert_string_equal(mb->folder, "INBOX");
	assert_null(mb->imap.ca_file); /* "" = system store */
	assert_int_equal(mb->after, CONF_AFTER_FLAG);
	assert_null(mb->imap.password); /* a command runs later */
	assert_string_equal(mb->imap.password_command,
	    "cat /etc/triage/sales.pass");
	mb = conf_mailbox(c, "community");
	assert_non_null(mb);
	assert_int_equal(mb->imap.port, 993); /* the default */
	assert_int_equal(mb->after, CONF_AFTER_MOVE);
	assert_string_equal(mb->after_folder, "Triaged");
	assert_null(conf_mailbox(c, "Sales"));

	assert_true(c->has_smtp);
	assert_int_equal(c->smtp.port, 587);
	assert_int_equal(c->smtp.tls, CONF_TLS_STARTTLS);
	assert_string_equal(c->smtp_from, "Triage <triage@example.com>");

	assert_int_equal(c->n_routes, 2);
	r = conf_route(c, "sales");
	assert_non_null(r);
	assert_string_equal(r->to, "sales-team@example.com");
	assert_int_equal(r->style, CONF_ROUTE_ATTACH);
	assert_null(r->reply_to);
	r = conf_route(c, "Support");
	assert_non_null(r);
	assert_string_equal(r->to, "support@example.com");
	assert_int_equal(r->style, CONF_ROUTE_REDIRECT);
	assert_null(r->reply_to); /* refused with redirect */
	assert_null(conf_route(c, "legal"));

	assert_int_equal(c->n_team, 4);
	m = conf_member_by_address(c, "BOB@example.COM");
	assert_non_null(m);
	assert_string_equal(m->address, "bob@example.com");
	assert_string_equal(m->unix_user, "bsmith");
	m = conf_member_by_name(c, "alice");
	assert_non_null(m);
	assert_string_equal(m->role, "bdr");
	assert_string_equal(m->unix_user, "alice");
	assert_null(m->route);
	assert_string_equal(conf_member_by_name(c, "sam")->route, "sales");
	assert_null(conf_member_by_address(c, "mallory@example.com"));

	assert_true(conf_has_queue(c, "community")); /* a mailbox's */
	assert_true(conf_has_queue(c, "support"));   /* a route */
	assert_false(conf_has_queue(c, "legal"));

	assert_string_equal(c->trust_authentication_results, "mx.example.com");
	assert_int_equal(c->sla.claim, 4 * 3600);
	assert_int_equal(c->sla.acknowledge, 86400);
	assert_string_equal(c->sla.digest_to, "bdr-managers@example.com");
	assert_string_equal(c->sla.digest_at, "08:00");
	assert_string_equal(c->sla.hours, "Mon-Fri 09:00-18:00 Europe/Berlin");
	assert_null(c->ticket_url); /* commented out */
	assert_string_equal(c->timezone, "Europe/Berlin");
	conf_free(&c);
	assert_null(c);
	conf_free(&c); /* NULL is fine */
}

/* Defaults, relative paths, a 0600 password file, string durations. */
static void
test_defaults_and_paths(void **state)
{
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;
	char *file, *want;

	(void)state;
	write_file("test.conf",
	    "database = \"db/triage.db\";\n"
	    "rules = \"rules.d\";\n"
	    "accounts = \"accounts.csv\";\n"
	    "poll_interval = \"2m\";\n"
	    "max_message_size = 1048576;\n"
	    "mailboxes = ( { name = \"sales\";\n"
	    "  address = \"Sales@Example.com\";\n"
	    "  imap = { host = \"127.0.0.1\"; tls = \"none\"; user = \"u\";\n"
	    "    password_file = \"ok.pass\"; ca_file = \"ca.pem\"; }; } );\n",
	    0644);
	write_file("ca.pem", "not checked here\n", 0644);
	xasprintf(&file, "%s/test.conf", dir);
	if (conf_load(file, &c, &errs) < 0)
		fail_msg("%s", errs.v[0]);
	xasprintf(&want, "%s/db/triage.db", dir);
	assert_string_equal(c->database, want);
	free(want);
	xasprintf(&want, "%s/rules.d", dir);
	assert_string_equal(c->rules, want);
	free(want);
	xasprintf(&want, "%s/accounts.csv", dir);
	assert_string_equal(c->accounts, want);
	free(want);
	xasprintf(&want, "%s/ca.pem", dir);
	assert_string_equal(c->mailboxes[0].imap.ca_file, want);
	free(want);
	assert_int_equal(c->poll_interval, 120);
	assert_int_equal(c->max_message_size, 1048576);
	assert_string_equal(c->mailboxes[0].address, "sales@example.com");
	assert_string_equal(c->mailboxes[0].queue, "sales");
	assert_int_equal(c->mailboxes[0].imap.port, 143);
	/* the 0600 file is checked at load, not kept; read at login with
	 * its trailing newline stripped */
	assert_null(c->mailboxes[0].imap.password);
	assert_password(&c->mailboxes[0].imap, "s3cret");
	assert_false(c->has_smtp);
	assert_int_equal(c->n_routes, 0);
	assert_int_equal(c->n_team, 0);
	assert_int_equal(c->sla.claim, 0);
	assert_string_equal(c->sla.digest_at, "08:00");
	assert_null(c->sla.hours);
	conf_free(&c);
	free(file);
}

/* password_env is checked at load; the variable's value is the password. */
static void
test_password_env(void **state)
{
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;
	char *file;

	(void)state;
	setenv("TEST_CONF_PASSWORD", "from env", 1);
	write_file("test.conf",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_env = \"TEST_CONF_PASSWORD\"; }; } );\n",
	    0644);
	xasprintf(&file, "%s/test.conf", dir);
	if (conf_load(file, &c, &errs) < 0)
		fail_msg("%s", errs.v[0]);
	assert_null(c->mailboxes[0].imap.password);
	assert_password(&c->mailboxes[0].imap, "from env");
	assert_string_equal(c->mailboxes[0].imap.password_env,
	    "TEST_CONF_PASSWORD");
	conf_free(&c);
	unsetenv("TEST_CONF_PASSWORD");
	free(file);
}

/* The CLI cannot read the daemon's secrets: it must still load. */
static void
test_no_secrets(void **state)
{
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;
	char *file;

	(void)state;
	write_file("test.conf",
	    "mailboxes = ( { name = \"sales\"; address = \"s@example.com\";\n"
	    "  imap = { host = \"h.example.com\"; user = \"u\";\n"
	    "    password_file = \"open.pass\"; }; } );\n",
	    0644);
	xasprintf(&file, "%s/test.conf", dir);
	assert_int_equal(conf_load_flags(file, CONF_LOAD_NO_SECRETS, &c, &errs),
	    0);
	assert_int_equal(errs.n, 0);
	assert_null(c->mailboxes[0].imap.password);
	conf_free(&c);
	assert_int_equal(conf_load(file, &c, &errs), -1);
	assert_int_equal(errs.n, 1);
	conf_errors_clear(&errs);
	free(file);
}

static void
test_server_secrets(void **state)
{
	static const struct {
		const char *command;
		const char *want; /* NULL: must fail */
	} cases[] = {
		{ "printf 'pw from cmd\\n\\n'", "pw from cmd" },
		{ "echo token", "token" }, { "exit 3", NULL },
		{ "true", NULL }, /* prints nothing */
	};
	struct conf_server s = { 0 };
	struct error err;
	char *secret, *path;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s.password_command = (char *)cases[i].command;
		secret = NULL;
		if (cases[i].want == NULL) {
			assert_int_equal(
			    conf_server_password(&s, &secret, &err), -1);
			assert_null(secret);
			continue;
		}
		assert_int_equal(conf_server_password(&s, &secret, &err), 0);
		assert_string_equal(secret, cases[i].want);
		free(secret);
	}
	s.password_command = NULL;

	/* token file: read at connect time, mode checked each time */
	xasprintf(&path, "%s/ok.pass", dir);
	s.oauth2_token_file = path;
	assert_int_equal(conf_server_oauth2_token(&s, &secret, &err), 0);
	assert_string_equal(secret, "s3cret");
	free(secret);
	free(path);
	xasprintf(&path, "%s/open.pass", dir);
	s.oauth2_token_file = path;
	secret = NULL;
	assert_int_equal(conf_server_oauth2_token(&s, &secret, &err), -1);
	assert_null(secret);
	assert_non_null(strstr(err.msg, "readable by group or others"));
	free(path);
	s.oauth2_token_file = NULL;

	/* nothing configured: no secret, no error */
	assert_int_equal(conf_server_password(&s, &secret, &err), 0);
	assert_null(secret);
}

/* The template's {id} is the ticket number, wherever it stands. */
static void
test_ticket_url(void **state)
{
	char *u;

	(void)state;
	assert_null(conf_ticket_url(NULL, 5));
	u = conf_ticket_url("https://crm.example.com/t/{id}", 42);
	assert_string_equal(u, "https://crm.example.com/t/42");
	free(u);
	u = conf_ticket_url("https://crm.example.com/t?id={id}&view=full",
	    9223372036854775807LL);
	assert_string_equal(u,
	    "https://crm.example.com/t?id=9223372036854775807&view=full");
	free(u);
}

static void
test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t want; /* -1: refused */
	} cases[] = {
		{ "90", 90 },
		{ "30s", 30 },
		{ "15m", 900 },
		{ "4h", 14400 },
		{ "1d", 86400 },
		{ "2w", 1209600 },
		{ "1h30m", 5400 },
		{ "0", 0 },
		{ "", -1 },
		{ "4x", -1 },
		{ "h", -1 },
		{ "-1h", -1 },
		{ "1h30", -1 },
		{ "4 h", -1 },
		{ "1.5h", -1 },
		{ "99999999999999999999", -1 },
		{ "9999999999999999w", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = -1;
		int r = conf_duration(cases[i].in, &got);

		if (cases[i].want < 0) {
			assert_int_equal(r, -1);
			assert_int_equal(got, -1); /* untouched */
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(got, cases[i].want);
		}
	}
}

static void
test_size(void **state)
{
	static const struct {
		const char *in;
		long long want; /* -1: refused */
	} cases[] = {
		{ "1048576", 1048576 },
		{ "512K", 524288 },
		{ "50M", 52428800 },
		{ "50m", 52428800 },
		{ "1G", 1073741824 },
		{ "", -1 },
		{ "50MB", -1 },
		{ "M", -1 },
		{ "-1", -1 },
		{ "5 M", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = 0;
		int r = conf_size(cases[i].in, &got);

		if (cases[i].want < 0) {
			assert_int_equal(r, -1);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(got, cases[i].want);
		}
	}
}

static int
setup(void **state)
{
	char tmpl[256];

	(void)state;
	if (test_tmpdir(tmpl, sizeof(tmpl), "conf") != 0 ||
	    realpath(tmpl, dir) == NULL)
		return -1;
	write_file("ok.pass", "s3cret\n", 0600);
	write_file("open.pass", "s3cret\n", 0640);
	write_file("inc.conf", "# included\ndatbase = \"x.db\";\n", 0644);
	write_file("broken.conf", "# included\n\nrules = ;\n", 0644);
	unsetenv("TEST_CONF_UNSET_VARIABLE");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_hours_midnight),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults_and_paths),
		cmocka_unit_test(test_password_env),
		cmocka_unit_test(test_no_secrets),
		cmocka_unit_test(test_server_secrets),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_ticket_url),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
