/*
 * Mail command parsing: command lines and their argument checks,
 * plus-address tags, subject tokens, and stripping commands from text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "command.h"
#include "mime.h"

/*
 * A text and what it must give: the commands rendered one per line as
 * "name[ arg][ priority][ dims=N]@line", and the errors as
 * "line: message".
 */
#define INDENTED \
	"indented, so it may be quoted text: not applied (write each " \
	"command at the start of its own line)"

static const struct {
	const char *text;
	const char *commands;
	const char *errors;
} text_cases[] = {
	{ "#claim", "claim@1", "" },
	{ "#claim  ", "claim@1", "" },
	/* indented: it may be an indent-style quote of the customer */
	{ "  #claim  ", "", "1: " INDENTED },
	{ "ok\n\t#route sales", "", "2: " INDENTED },
	{ "\xc2\xa0#close", "", "1: " INDENTED },
	{ "#Claim", "claim@1", "" },
	{ "#CLAIM\r", "claim@1", "" },
	{ "Thanks!\n\n#claim\n#route support\n", "claim@3\nroute support@4",
	    "" },
	{ "#route Sales", "route sales@1", "" },
	{ "#route", "",
	    "1: #route needs one route name (letters, digits, - _)" },
	{ "#route sales support", "",
	    "1: #route needs one route name (letters, digits, - _)" },
	{ "#route ../etc", "",
	    "1: #route needs one route name (letters, digits, - _)" },
	{ "#priority high", "priority high@1", "" },
	{ "#priority URGENT", "priority urgent@1", "" },
	{ "#priority", "", "1: #priority needs one of low normal high urgent" },
	{ "#priority asap", "",
	    "1: #priority needs one of low normal high urgent" },
	{ "#priority high now", "",
	    "1: #priority needs one of low normal high urgent" },
	{ "#qualify", "qualify dims=0@1", "" },
	{ "#qualify budget need", "qualify dims=5@1", "" },
	{ "#qualify Budget, Authority, Need, Timeline", "qualify dims=15@1",
	    "" },
	{ "#qualify money", "",
	    "1: #qualify takes budget authority need timeline" },
	{ "#qualify fit", "",
	    "1: #qualify takes budget authority need timeline" },
	{ "#qualify need need", "", "1: #qualify names a dimension twice" },
	{ "#disqualify student project, no budget",
	    "disqualify student project, no budget@1", "" },
	{ "#disqualify", "", "1: #disqualify needs text (at most 2000 bytes)" },
	{ "#tag ee-lead", "tag ee-lead@1", "" },
	{ "#tag competitor:GitHub", "tag competitor:github@1", "" },
	{ "#tag two words", "",
	    "1: #tag needs one tag name (letters, digits, - _ . :)" },
	{ "#note Called them, wants a demo Tuesday",
	    "note Called them, wants a demo Tuesday@1", "" },
	{ "#note", "", "1: #note needs text (at most 2000 bytes)" },
	{ "#close\n#reopen\n#story\n#ack", "close@1\nreopen@2\nstory@3\nack@4",
	    "" },
	{ "#close now", "", "1: #close takes no arguments" },
	{ "#claim please", "", "1: #claim takes no arguments" },
	/* not commands: plain text */
	{ "#claimed it yesterday", "", "" },
	{ "#claim.", "", "" },
	{ "#1 priority is speed", "", "" },
	{ "# claim", "", "" },
	{ "#general is the channel", "", "" },
	{ "Please #claim this one", "", "" },
	{ "I will #route support later", "", "" },
	{ "##claim", "", "" },
	{ "#", "", "" },
	{ "", "", "" },
	/* non-breaking spaces from HTML mail */
	{ "#route\xc2\xa0support\xc2\xa0", "route support@1", "" },
	/* a good and a bad line: both reported, in order */
	{ "#claim\n#priority soon\n#tag x", "claim@1\ntag x@3",
	    "2: #priority needs one of low normal high urgent" },
};

static void
render(const struct command_list *l, char *cmds, size_t cn, char *errs,
    size_t en)
{
	size_t o = 0;

	cmds[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		const struct command *c = &l->v[i];

		o += (size_t)snprintf(cmds + o, cn - o, "%s%s",
		    i > 0 ? "\n" : "", command_name(c->kind));
		if (c->arg != NULL)
			o += (size_t)snprintf(cmds + o, cn - o, " %s", c->arg);
		if (c->kind == CMD_PRIORITY)
			o += (size_t)snprintf(cmds + o, cn - o, " %s",
			    priority_name(c->priority));
		if (c->kind == CMD_QUALIFY)
			o += (size_t)snprintf(cmds + o, cn - o, " dims=%u",
			    c->dims);
		o += (size_t)snprintf(cmds + o, cn - o, "@%u", c->line);
	}
	o = 0;
	errs[0] = '\0';
	for (size_t i = 0; i < l->n_errors; i++)
		o += (size_t)snprintf(errs + o, en - o, "%s%u: %s",
		    i > 0 ? "\n" : "", l->errors[i].line, l->errors[i].msg);
}

static void
test_text(void **state)
{
	char cmds[1024], errs[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]);
	     i++) {
		struct command_list *l = command_list_new();

		command_parse_text(l, text_cases[i].text);
		render(l, cmds, sizeof(cmds), errs, sizeof(errs));
		if (strcmp(cmds, text_cases[i].commands) != 0 ||
		    strcmp(errs, text_cases[i].errors) != 0)
			fail_msg("case %zu %s: got [%s] [%s]", i,
			    text_cases[i].text, cmds, errs);
		command_list_free(&l);
		assert_null(l);
	}
}

static void
test_source_kept(void **state)
{
	struct command_list *l = command_list_new();

	(void)state;
	command_parse_text(l, "hello\n#route  support  \n#priority x");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].source, "#route  support");
	assert_int_equal(l->n_errors, 1);
	assert_string_equal(l->errors[0].source, "#priority x");
	command_list_free(&l);
	command_list_free(&l); /* NULL is fine */
}

static const char *const shared[] = {
	"team+sales@example.net",
	"sales@example.com",
	"community@example.com",
};

static const struct {
	const char *to; /* comma-separated addresses */
	const char *cc;
	const char *commands;
	const char *errors;
} addr_cases[] = {
	{ "sales+claim@example.com", "", "claim@0", "" },
	{ "SALES+Claim@Example.COM", "", "claim@0", "" },
	{ "community+support@example.com", "", "route support@0", "" },
	{ "sales+route-support@example.com", "", "route support@0", "" },
	{ "sales+priority-high@example.com", "", "priority high@0", "" },
	{ "sales+tag-ee-lead@example.com", "", "tag ee-lead@0", "" },
	{ "sales+qualify@example.com", "", "qualify dims=0@0", "" },
	{ "sales+qualify-budget-need@example.com", "", "qualify dims=5@0", "" },
	{ "sales+disqualify-spam@example.com", "", "disqualify spam@0", "" },
	{ "sales+claim+priority-urgent@example.com", "",
	    "claim@0\npriority urgent@0", "" },
	{ "pat@buyer.example", "sales+claim@example.com", "claim@0", "" },
	{ "sales+claim@example.com", "community+story@example.com",
	    "claim@0\nstory@0", "" },
	/* not the shared mailbox: a customer's own plus address */
	{ "pat+claim@buyer.example", "", "", "" },
	{ "sales+claim@example.org", "", "", "" },
	{ "xsales+claim@example.com", "", "", "" },
	{ "sales@example.com", "", "", "" },
	{ "sales+@example.com", "", "", "" },
	{ "sales+priority-soon@example.com", "", "",
	    "0: #priority needs one of low normal high urgent" },
	{ "sales+note@example.com", "", "",
	    "0: #note needs text and has no address form" },
	{ "sales+claim-me@example.com", "", "",
	    "0: #claim takes no arguments" },
	{ "sales+route-@example.com", "", "", "0: empty argument after '-'" },
	/* a shared address that has a '+' of its own */
	{ "team+sales+claim@example.net", "", "claim@0", "" },
	{ "team+sales@example.net", "", "", "" },
	{ "team+claim@example.net", "", "", "" },
	{ "sales+claim@example.com@evil.test", "", "", "" },
};

/* Split "a,b" into a msg_addrs with static storage. */
static void
make_addrs(const char *list, struct msg_addrs *a, struct msg_addr *v,
    char (*store)[128], size_t max)
{
	const char *p = list;

	a->v = v;
	a->n = 0;
	while (*p != '\0' && a->n < max) {
		size_t len = strcspn(p, ",");

		snprintf(store[a->n], 128, "%.*s", (int)len, p);
		v[a->n].name = (char *)"";
		v[a->n].addr = store[a->n];
		a->n++;
		p += len;
		if (*p == ',')
			p++;
	}
}

static void
test_addresses(void **state)
{
	char cmds[1024], errs[1024], ts[4][128], cs[4][128];
	struct msg_addr tv[4], cv[4];
	struct msg_addrs to, cc;

	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]);
	     i++) {
		struct command_list *l = command_list_new();

		make_addrs(addr_cases[i].to, &to, tv, ts, 4);
		make_addrs(addr_cases[i].cc, &cc, cv, cs, 4);
		command_parse_addresses(l, shared, 3, &to, &cc);
		render(l, cmds, sizeof(cmds), errs, sizeof(errs));
		if (strcmp(cmds, addr_cases[i].commands) != 0 ||
		    strcmp(errs, addr_cases[i].errors) != 0)
			fail_msg("case %zu %s: got [%s] [%s]", i,
			    addr_cases[i].to, cmds, errs);
		command_list_free(&l);
	}
}

static const struct {
	const char *subject;
	int found;
	int64_t id;
} subject_cases[] = {
	{ "Re: [#42] Pricing", 1, 42 },
	{ "[#1]", 1, 1 },
	{ "Fwd: Re: [#123456789012345678] x", 1, 123456789012345678 },
	{ "Re: [#12] and [#13]", 1, 12 },
	{ "Re: [#] x [#7]", 1, 7 },
	{ "Re: [#0] x", 0, 0 },
	{ "Re: [#1234567890123456789] x", 0, 0 },
	{ "Re: [# 42] x", 0, 0 },
	{ "Re: [#42 x", 0, 0 },
	{ "Re: #42 x", 0, 0 },
	{ "Re: [#4a2]", 0, 0 },
	{ "", 0, 0 },
	/* hostile numbers: refused without overflowing, and the search goes
	   on to the next token */
	{ "Re: [#999999999999999999] x", 1, 999999999999999999 },
	{ "Re: [#9223372036854775807] x", 0, 0 },
	{ "Re: [#9223372036854775808] x", 0, 0 },
	{ "Re: [#9223372036854775809] x", 0, 0 },
	{ "Re: [#18446744073709551617] x", 0, 0 },
	{ "Re: [#123456789012345678901234567890] x", 0, 0 },
	{ "Re: [#99999999999999999999] x [#5]", 1, 5 },
	{ "Re: [#0042] x", 1, 42 },
	{ "Re: [#000000000000000000042] x", 0, 0 },
	{ "Re: [#000] x", 0, 0 },
	{ "Re: [#-1] x", 0, 0 },
	{ "Re: [#+1] x", 0, 0 },
	{ "Re: [#] x", 0, 0 },
	{ "[#", 0, 0 },
};

static void
test_subject(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(subject_cases) / sizeof(subject_cases[0]);
	     i++) {
		int64_t id = -1;
		int r = command_subject_ticket(subject_cases[i].subject, &id);

		if (r != subject_cases[i].found ||
		    (r == 1 && id != subject_cases[i].id) ||
		    (r == 0 && id != -1))
			fail_msg("case %zu %s: got %d %lld", i,
			    subject_cases[i].subject, r, (long long)id);
	}
	assert_int_equal(command_subject_ticket(NULL, NULL), 0);
}

/* command_ticket_id: the one ticket number parser (subjects, CLI). */
static const struct {
	const char *in;
	int ok;
	int64_t id;
} id_cases[] = {
	{ "1", 1, 1 },
	{ "42", 1, 42 },
	{ "0042", 1, 42 },
	{ "999999999999999999", 1, 999999999999999999 },
	{ "000000000000000001", 1, 1 },
	{ "0000000000000000001", 0, 0 },
	{ "1000000000000000000", 0, 0 },
	{ "9223372036854775807", 0, 0 },
	{ "9223372036854775808", 0, 0 },
	{ "9223372036854775809", 0, 0 },
	{ "99999999999999999999", 0, 0 },
	{ "123456789012345678901234567890", 0, 0 },
	{ "0", 0, 0 },
	{ "", 0, 0 },
	{ "-1", 0, 0 },
	{ "+1", 0, 0 },
	{ "#1", 0, 0 },
	{ " 1", 0, 0 },
	{ "1 ", 0, 0 },
	{ "1a", 0, 0 },
	{ "0x10", 0, 0 },
};

static void
test_ticket_id(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		int64_t id = -1;
		int r = command_ticket_id(id_cases[i].in,
		    strlen(id_cases[i].in), &id);

		if ((r == 0) != id_cases[i].ok ||
		    (r == 0 && id != id_cases[i].id) || (r < 0 && id != -1))
			fail_msg("case %zu \"%s\": got %d %lld", i,
			    id_cases[i].in, r, (long long)id);
	}
	/* only len bytes are read: "12]" is 12 */
	{
		int64_t id = 0;

		assert_int_equal(command_ticket_id("12]", 2, &id), 0);
		assert_int_equal(id, 12);
	}
}

/* command_tag_check: one tag rule for "#tag NAME" and `triage tag`. */
static const struct {
	const char *tag;
	int ok;
} tag_cases[] = {
	{ "ee-lead", 1 },
	{ "EE-Lead", 1 },
	{ "competitor:github", 1 },
	{ "v1.2_beta", 1 },
	{ "7", 1 },
	{ "a234567890123456789012345678901234567890123456789012345678901234",
	    1 },
	{ "a2345678901234567890123456789012345678901234567890123456789012345",
	    0 },
	{ "%n%s", 0 },
	{ "", 0 },
	{ "-lead", 0 },
	{ ":x", 0 },
	{ "a b", 0 },
	{ "a/b", 0 },
	{ "a\nb", 0 },
	{ "caf\xc3\xa9", 0 },
};

static void
test_tag_check(void **state)
{
	struct command_list *l;
	char *errs;

	(void)state;
	for (size_t i = 0; i < sizeof(tag_cases) / sizeof(tag_cases[0]); i++) {
		struct error err = { 0 };
		int r = command_tag_check(tag_cases[i].tag, &err);

		if ((r == 0) != tag_cases[i].ok)
			fail_msg("case %zu \"%s\": got %d", i, tag_cases[i].tag,
			    r);
		if (r < 0 && (err.code != ERR_USAGE ||
				 strcmp(err.msg, COMMAND_TAG_ERROR) != 0))
			fail_msg("case %zu: error %d \"%s\"", i, err.code,
			    err.msg);
	}
	{
		struct error err = { 0 };

		assert_int_equal(command_tag_check(NULL, &err), -1);
	}
	/* the mail command refuses it in the same words */
	l = command_list_new();
	command_parse_text(l, "#tag %n%s");
	errs = command_format_errors(l);
	assert_string_equal(errs,
	    "line 1: \"#tag %n%s\": " COMMAND_TAG_ERROR "\n");
	free(errs);
	command_list_free(&l);
}

static const struct {
	const char *in;
	const char *out;
} strip_cases[] = {
	{ "Hi Pat,\n#claim\nwe will call you.\n#route sales\n",
	    "Hi Pat,\nwe will call you.\n" },
	{ "Hi\r\n#note private\r\nBye\r\n", "Hi\r\nBye\r\n" },
	{ "Hi\n> #claim\n>> #tag x\n", "Hi\n" },
	{ "#claimed it\n#1 thing\nuse #route later",
	    "#claimed it\n#1 thing\nuse #route later" },
	{ "#priority soon\nok", "ok" },
	{ "", "" },
};

static void
test_strip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(strip_cases) / sizeof(strip_cases[0]);
	     i++) {
		char *s = command_strip(strip_cases[i].in);

		if (strcmp(s, strip_cases[i].out) != 0)
			fail_msg("case %zu: got [%s]", i, s);
		free(s);
	}
}

static void
test_format(void **state)
{
	struct command_list *l = command_list_new();
	static const char *const want[] = {
		"#claim",
		"#route support",
		"#priority urgent",
		"#qualify budget need timeline",
		"#qualify",
		"#note call Tuesday",
	};
	char *s;

	(void)state;
	command_parse_text(l, "#claim\n#route Support\n#priority URGENT\n"
			      "#qualify timeline, budget need\n#qualify\n"
			      "#note call Tuesday\n#tag\n#close now");
	assert_int_equal(l->n, 6);
	for (size_t i = 0; i < l->n; i++) {
		s = command_format(&l->v[i]);
		assert_string_equal(s, want[i]);
		free(s);
	}
	s = command_format_errors(l);
	assert_string_equal(s,
	    "line 7: \"#tag\": #tag needs one tag name (letters, digits, - _ . "
	    ":)\nline 8: \"#close now\": #close takes no arguments\n");
	free(s);
	command_list_free(&l);
	l = command_list_new();
	s = command_format_errors(l);
	assert_string_equal(s, "");
	free(s);
	command_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_source_kept),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_ticket_id),
		cmocka_unit_test(test_tag_check),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
