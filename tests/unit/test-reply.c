/*
 * What the sender wrote now, and the commands in it.  Each fixture in
 * tests/fixtures/reply/ is a reply body as one client style produces it,
 * with commands in the new text and decoy commands in the quoted,
 * forwarded or signature parts; the table says which commands must come
 * out (and, for some, the exact new text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "command.h"
#include "mime.h"
#include "reply.h"
#include "test-common.h"
#include "xalloc.h"

#define BELOW \
	"below quoted text, so it may be quoted: commands count only " \
	"above the first quoted or forwarded message"

#define INDENTED \
	"indented, so it may be quoted text: not applied (write each " \
	"command at the start of its own line)"
/* the new text of the hidden-text fixtures: "#close" is hidden */
#define HIDDEN_NEW "Taking it.\n#claim\nAlice"

struct fixture_case {
	const char *file;     /* under $TRIAGE_FIXTURES/reply/ */
	const char *commands; /* "claim|route sales", as render() writes */
	const char *errors;   /* "2: message|..." */
	const char *new_text; /* exact new text, or NULL: not checked */
};

static const struct fixture_case fixtures[] = {
	{ "01-gmail-top.txt", "claim|route sales", "",
	    "Hi Pat,\n\nThanks, I'll take this one and get back to you today."
	    "\n\n#claim\n#route sales\n\nAlice" },
	{ "02-gmail-wrapped-2.txt", "claim", "", "#claim" },
	{ "03-gmail-wrapped-3.txt", "priority high", "", "#priority high" },
	{ "04-german-am-schrieb.txt", "claim", "", "Übernehme ich.\n#claim" },
	{ "05-german-gmail-schrieb-am.txt", "route support", "",
	    "#route support" },
	{ "06-french-a-ecrit.txt", "claim", "", "Je m'en occupe.\n#claim" },
	{ "07-spanish-escribio.txt", "tag pricing", "", "#tag pricing" },
	{ "08-dutch-schreef.txt", "claim", "", "#claim" },
	{ "09-portuguese-escreveu.txt", "route sales", "", "#route sales" },
	{ "10-japanese-date.txt", "claim", "", "#claim" },
	{ "11-japanese-kakimashita.txt", "claim", "", "対応します。\n#claim" },
	{ "12-italian-ha-scritto.txt", "priority urgent", "",
	    "#priority urgent" },
	{ "13-outlook-original-message.txt", "route support", "",
	    "I'll route this to support.\n#route support" },
	{ "14-outlook-underscore-block.txt",
	    "claim|note wants a call on Tuesday", "", NULL },
	{ "15-outlook-bold-block.txt", "tag ee-lead", "", "#tag ee-lead" },
	{ "16-outlook-german.txt", "claim", "", "#claim" },
	{ "17-outlook-french.txt", "route sales", "", "#route sales" },
	{ "18-outlook-spanish.txt", "claim", "", "#claim" },
	{ "19-outlook-dutch.txt", "claim", "", "#claim" },
	{ "20-apple-forward.txt", "route sales", "", NULL },
	{ "21-gmail-forward.txt", "story", "", "#story" },
	{ "22-signature.txt", "claim", "", "#claim\n\nAlice" },
	{ "23-iphone-footer.txt", "route support", "", "#route support" },
	{ "24-german-iphone-footer.txt", "claim", "", "#claim" },
	/* answers between quotes are new text, but commands there are
	 * refused: a quote's tail without '>' looks the same */
	{ "25-inline.txt", "", "4: " BELOW "|7: " BELOW,
	    "40 seats, one per developer.\n\nYes, that is in the enterprise "
	    "plan.\n#tag ee-lead\n\nOur sales team will call you.\n"
	    "#route sales" },
	{ "26-inline-nested.txt", "", "2: " BELOW,
	    "Adding the tag myself.\n#tag arm" },
	/* bottom-posting: refused with a reason, like interleaved */
	{ "27-bottom-post.txt", "", "2: " BELOW, NULL },
	{ "28-quote-only.txt", "", "", "" },
	{ "29-several-in-order.txt",
	    "claim|qualify 3|priority high|tag ee-lead|"
	    "note Budget approved for Q2, CTO on the call|route sales",
	    "", NULL },
	{ "30-hashtags-plain.txt", "", "", NULL },
	{ "31-thunderbird.txt", "ack", "", "#ack" },
	{ "32-android-wrote.txt", "claim", "", "#claim" },
	{ "33-date-first.txt", "reopen", "", "#reopen" },
	{ "34-german-original.txt", "route support", "", "#route support" },
	{ "35-outlook-mobile.txt", "claim", "", "#claim" },
	{ "36-crlf.txt", "claim|priority normal", "",
	    "#claim\n#priority normal" },
	{ "37-indented-quote.txt", "tag partner", "", "#tag partner" },
	{ "38-error-line.txt", "claim",
	    "2: #priority needs one of low normal high urgent", NULL },
	{ "39-spanish-forward.txt", "route support", "", "#route support" },
	{ "40-portuguese-forward.txt", "story", "", "#story" },
	{ "41-reply-and-attribution-share-line.txt", "claim", "",
	    "#claim\nWill do" },
	{ "43-russian-napisal.txt", "claim", "", "#claim" },
	{ "42-rule-line.txt", "claim", "", "#claim" },
	{ "50-html-gmail-quote.html", "claim|route sales", "",
	    "Taking it.\n#claim\n#route sales" },
	{ "51-html-apple-cite.html", "claim", "", "#claim" },
	{ "52-html-outlook-web.html",
	    "route support|note customer on Windows 11", "",
	    "#route support\n#note customer on Windows 11" },
	{ "53-html-outlook-desktop.html", "claim", "", "#claim" },
	{ "54-html-thunderbird.html", "ack", "", "#ack\nWe have it." },
	{ "55-html-apple-forward.html", "route sales", "", "#route sales" },
	{ "56-html-inline.html", "", "4: " BELOW "|5: " BELOW,
	    "Answers inline.\nYes, SAML and OIDC.\n#tag ee-lead\n"
	    "#route sales" },
	{ "57-html-gmail-signature.html", "claim", "", "#claim" },
	{ "58-html-yahoo.html", "priority high", "", "#priority high" },
	{ "59-html-windows-mail.html", "claim", "", "#claim" },
	{ "60-html-plain-blockquote.html", "story", "",
	    "#story\nThey shipped with it." },
	{ "61-html-hr-separator.html", "claim", "", "#claim" },
	/* issue 16: commands in text the sender did not write */
	{ "70-indent-wrote-on.txt", "", "", "Sure, looking into it." },
	{ "71-indent-tab.txt", "", "3: " INDENTED, NULL },
	{ "72-indent-spaces.txt", "claim", "4: " INDENTED, NULL },
	{ "73-horde-quoting.txt", "claim", "", "Will do.\n#claim" },
	{ "74-horde-zitat.txt", "", "", "Erledige ich." },
	{ "75-from-subject.txt", "claim", "", "On it.\n#claim" },
	{ "76-von-betreff.txt", "claim", "", "Mache ich.\n#claim" },
	{ "77-legit-above-original.txt", "claim", "", "#claim" },
	{ "80-html-stray-blockquote.html", "", "3: " BELOW, NULL },
	{ "81-html-legit-gmail.html", "claim|priority high", "", NULL },
	{ "82-html-display-none.html", "claim", "", HIDDEN_NEW },
	{ "83-html-visibility-hidden.html", "claim", "", HIDDEN_NEW },
	{ "84-html-font-size-0.html", "claim", "", HIDDEN_NEW },
	{ "85-html-font-size-0px.html", "claim", "", HIDDEN_NEW },
	{ "86-html-font-size-1px.html", "claim", "", HIDDEN_NEW },
	{ "87-html-white-on-white.html", "claim", "", HIDDEN_NEW },
	{ "88-html-color-equals-background.html", "claim", "", HIDDEN_NEW },
	{ "89-html-hidden-attribute.html", "claim", "", HIDDEN_NEW },
	{ "90-html-mso-hide.html", "claim", "", HIDDEN_NEW },
	{ "91-html-opacity-0.html", "claim", "", HIDDEN_NEW },
	{ "92-html-max-height-0.html", "claim", "", HIDDEN_NEW },
	{ "93-html-display-none-important.html", "claim", "", HIDDEN_NEW },
	{ "94-html-font-shorthand-0.html", "claim", "", HIDDEN_NEW },
	{ "95-html-offscreen.html", "claim", "", HIDDEN_NEW },
	{ "96-html-black-on-black.html", "claim", "", "#claim" },
	{ "97-html-template-comment.html", "claim|priority high", "", NULL },
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* "claim|route sales|qualify 3" and "line: msg|..." */
static void
render(const struct command_list *l, struct buf *cmds, struct buf *errs)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct command *c = &l->v[i];

		buf_printf(cmds, "%s%s", i > 0 ? "|" : "",
		    command_name(c->kind));
		if (c->arg != NULL)
			buf_printf(cmds, " %s", c->arg);
		if (c->kind == CMD_PRIORITY)
			buf_printf(cmds, " %s", priority_name(c->priority));
		if (c->kind == CMD_QUALIFY)
			buf_printf(cmds, " %u", c->dims);
	}
	for (size_t i = 0; i < l->n_errors; i++)
		buf_printf(errs, "%s%u: %s", i > 0 ? "|" : "",
		    l->errors[i].line, l->errors[i].msg);
}

static void
test_fixtures(void **state)
{
	const char *dir = getenv("TRIAGE_FIXTURES");

	(void)state;
	assert_non_null(dir);
	assert_true(sizeof(fixtures) / sizeof(fixtures[0]) >= 40);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture_case *fc = &fixtures[i];
		struct command_list *l = command_list_new();
		struct error err = { 0 };
		struct buf cmds, errs;
		char path[1024], *body, *text = NULL, *zone, *below;
		size_t len;

		snprintf(path, sizeof(path), "%s/reply/%s", dir, fc->file);
		body = test_slurp(path, &len);
		if (body == NULL)
			fail_msg("%s: cannot read", path);
		if (ends_with(fc->file, ".html")) {
			assert_int_equal(
			    reply_new_text_html(body, len, &text, &err), 0);
			assert_int_equal(
			    reply_zone_html(body, len, &zone, &below, &err), 0);
		} else {
			text = reply_new_text_plain(body, len);
			reply_zone_plain(body, len, &zone, &below);
		}
		command_parse_zone(l, zone, below);
		free(zone);
		free(below);
		buf_init(&cmds, 4096);
		buf_init(&errs, 4096);
		render(l, &cmds, &errs);
		if (strcmp(cmds.data != NULL ? cmds.data : "", fc->commands) !=
			0 ||
		    strcmp(errs.data != NULL ? errs.data : "", fc->errors) != 0)
			fail_msg("%s: commands [%s] errors [%s]\nnew text:\n%s",
			    fc->file, cmds.data, errs.data, text);
		if (fc->new_text != NULL && strcmp(text, fc->new_text) != 0)
			fail_msg("%s: new text\n[%s]\nexpected\n[%s]", fc->file,
			    text, fc->new_text);
		buf_free(&cmds);
		buf_free(&errs);
		command_list_free(&l);
		free(text);
		free(body);
	}
}

/*
 * Whole messages through mime_parse: multipart/alternative, HTML-only
 * (quoted-printable, base64, Latin-1), a forwarded message/rfc822 part,
 * plus-address tags in Cc.  Commands from addresses come first.
 */
static const struct {
	const char *file;
	const char *commands;
} eml_fixtures[] = {
	{ "e01-gmail-alternative.eml", "claim|priority high" },
	{ "e02-outlook-html-only-qp.eml",
	    "route support|note Kunde nutzt Windows Server 2019" },
	{ "e03-apple-html-only-base64.eml", "ack" },
	{ "e04-thunderbird-html-only.eml", "close" },
	{ "e05-plus-address-cc.eml", "claim|priority high|route support" },
	{ "e06-forwarded-rfc822.eml", "route sales" },
	{ "e07-german-latin1-qp.eml", "close" },
	{ "e08-outlook-web-html-only.eml", "route support" },
	{ "e09-plain-crlf-outlook.eml", "qualify 5|tag ee-lead" },
	{ "e12-alternative-legit-outlook.eml", "route support" },
};

/* Whole messages whose structure makes commands ambiguous: refused. */
static const struct {
	const char *file;
	const char *commands;
	const char *errors;
} eml_refused[] = {
	/* Apple Mail: the quote's tail in a second text part, after an
	 * inline image */
	{ "e10-apple-split-image.eml", "claim", "4: " BELOW },
	/* the HTML hides a command the plain text shows */
	{ "e11-alternative-hidden-differ.eml", "claim",
	    "3: the HTML and plain-text versions of this mail differ in "
	    "their commands (hidden or quoted text?): not applied" },
};

/* The commands and errors of one whole-message fixture, rendered. */
static void
eml_commands(const char *file, struct buf *cmds, struct buf *errs)
{
	static const char *const shared[] = {
		"sales@example.com",
		"community@example.com",
	};
	const char *dir = getenv("TRIAGE_FIXTURES");
	struct command_list *l = command_list_new();
	struct mime_limits lim;
	struct error err = { 0 };
	struct msg *m = NULL;
	char path[1024], *raw;
	size_t len;

	assert_non_null(dir);
	mime_limits_default(&lim);
	snprintf(path, sizeof(path), "%s/reply/%s", dir, file);
	raw = test_slurp(path, &len);
	if (raw == NULL)
		fail_msg("%s: cannot read", path);
	assert_int_equal(mime_parse(raw, len, &lim, 0, &m, &err), 0);
	assert_int_equal(command_parse_msg(l, m, shared, 2, &err), 0);
	buf_init(cmds, 4096);
	buf_init(errs, 4096);
	render(l, cmds, errs);
	command_list_free(&l);
	msg_free(&m);
	free(raw);
}

static void
test_eml(void **state)
{
	(void)state;
	mime_init();
	for (size_t i = 0; i < sizeof(eml_fixtures) / sizeof(eml_fixtures[0]);
	     i++) {
		struct buf cmds, errs;

		eml_commands(eml_fixtures[i].file, &cmds, &errs);
		if (strcmp(cmds.data != NULL ? cmds.data : "",
			eml_fixtures[i].commands) != 0 ||
		    errs.len != 0)
			fail_msg("%s: commands [%s] errors [%s]",
			    eml_fixtures[i].file, cmds.data, errs.data);
		buf_free(&cmds);
		buf_free(&errs);
	}
	for (size_t i = 0; i < sizeof(eml_refused) / sizeof(eml_refused[0]);
	     i++) {
		struct buf cmds, errs;

		eml_commands(eml_refused[i].file, &cmds, &errs);
		if (strcmp(cmds.data != NULL ? cmds.data : "",
			eml_refused[i].commands) != 0 ||
		    strcmp(errs.data != NULL ? errs.data : "",
			eml_refused[i].errors) != 0)
			fail_msg("%s: commands [%s] errors [%s]",
			    eml_refused[i].file, cmds.data, errs.data);
		buf_free(&cmds);
		buf_free(&errs);
	}
	mime_shutdown();
}

/* Small cases for single decisions of the plain-text reader. */
static const struct {
	const char *in;
	const char *out;
} plain_cases[] = {
	/* a sentence above an attribution is not swallowed by it */
	{ "Hello there\nOp 16 aug. 2014 05:13 schreef \"X\" <x@y.example> het\n"
	  "volgende geschreven:\n\n> quoted\n",
	    "Hello there" },
	/*
     * "Name wrote:" ends the new text even with no quote below it: an
     * unquoted original is the likelier reading, and the safer one
     */
	{ "Hi\nAs Bob wrote:\nwe need it by Friday.\n#claim", "Hi" },
	{ "Hi\n\nAt 6/16/2016 08:32 PM, you wrote:\n#close\n>quote", "Hi" },
	/* a line starting with "On" is text */
	{ "On second thought,\n#claim", "On second thought,\n#claim" },
	{ "On Monday we talk.\nOn Tuesday we ship.",
	    "On Monday we talk.\nOn Tuesday we ship." },
	/* "Sent from my desk, ..." is a sentence, not a footer */
	{ "Hi\n\nSent from my desk, which is easier than my phone.",
	    "Hi\n\nSent from my desk, which is easier than my phone." },
	/* From: in a sentence is not a header block */
	{ "From: the team\nThanks for the call.\n#ack",
	    "From: the team\nThanks for the call.\n#ack" },
	/* an attribution whose address left ">:" on its own line */
	{ "Hi\n\nAm 21.04.2016 17:48 schrieb \"Einz\" <noreply@x.example\n>:\n\n"
	  "> quoted\n",
	    "Hi" },
	/* Polymail: "On ... Name", blank, "<", "mailto:...", "> wrote:" */
	{ "Reply\n\nOn Tue, Apr 11, 2017 at 10:07 PM John Smith\n\n<\n"
	  "mailto:John Smith <js@x.example>\n> wrote:\nquoted data\n#close",
	    "Reply" },
	/* quote markers at any depth, with or without spaces */
	{ ">>> a\n> > b\n>c\nnew", "new" },
	/* blank runs collapse; leading and trailing blanks go */
	{ "\n\n\na\n\n\n\nb\n\n\n", "a\n\nb" },
	{ "", "" },
	{ "-- \nsig only", "" },
	/* dashes inside a line are not a rule */
	{ "This is not a ---------- delimiter.\n#claim",
	    "This is not a ---------- delimiter.\n#claim" },
	/* forwarded-message markers of Apple Mail and Outlook, translated */
	{ "#route sales\n\nAnfang der weitergeleiteten Nachricht:\n\n#close",
	    "#route sales" },
	{ "#claim\nDébut du message réexpédié :\n#close", "#claim" },
	{ "#claim\nInicio del mensaje reenviado:\n#close", "#claim" },
	{ "#claim\nBegin doorgestuurd bericht:\n#close", "#claim" },
	{ "#claim\nInício da mensagem reencaminhada:\n#close", "#claim" },
	{ "#claim\n転送されたメッセージ:\n#close", "#claim" },
	{ "#claim\n-------- Message d'origine --------\n#close", "#claim" },
	{ "#claim\n----- Mensaje original -----\n#close", "#claim" },
	{ "#claim\n-----Oorspronkelijk bericht-----\n#close", "#claim" },
	/* Japanese Apple Mail attribution, and Outlook headers in Japanese */
	{ "#claim\n\n2025/02/03 10:14、山田太郎 <taro@kokyaku.example>のメール:\n\n"
	  "#close",
	    "#claim" },
	{ "#claim\n差出人: 山田太郎 <taro@kokyaku.example>\n送信日時: 2025年2月3日 "
	  "10:14\n宛先: sales@example.com\n件名: 価格\n#close",
	    "#claim" },
	/* Portuguese and Italian Outlook blocks */
	{ "#claim\nDe: Paulo\nEnviado: segunda-feira\nPara: sales\nAssunto: x\n"
	  "#close",
	    "#claim" },
	{ "#claim\nDa: Paolo\nInviato: lunedì\nA: sales\nOggetto: x\n#close",
	    "#claim" },
	/* a sentence that merely mentions a forward is text */
	{ "I forwarded message 12 to Bob.\n#claim",
	    "I forwarded message 12 to Bob.\n#claim" },
	/* Lotus Notes */
	{ "#claim\n----- Forwarded by Pat Buyer/Buyer on 03.02.2025 -----\n"
	  "#close",
	    "#claim" },
	/* Outlook header block whose Date comes first, sender line lost */
	{ "Blah\n\nDate: Wed, 16 May 2012 00:15:02 -0600\nTo: x@y.example\n\n"
	  "#close",
	    "Blah" },
};

static void
test_plain_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]);
	     i++) {
		char *out = reply_new_text_plain(plain_cases[i].in,
		    strlen(plain_cases[i].in));

		if (strcmp(out, plain_cases[i].out) != 0)
			fail_msg("case %zu: got [%s] expected [%s]", i, out,
			    plain_cases[i].out);
		free(out);
	}
	{
		char *out = reply_new_text_plain(NULL, 0);

		assert_string_equal(out, "");
		free(out);
	}
}

static void
test_html_edges(void **state)
{
	static const char scripted[] =
	    "<style>#claim{}</style>"
	    "<script>x='#close'</script><p>#tag&#32;a&amp;b</p><p>#ack</p>";
	struct error err = { 0 };
	char *text = NULL;
	struct buf deep;

	(void)state;
	assert_int_equal(reply_new_text_html("", 0, &text, &err), 0);
	assert_string_equal(text, "");
	free(text);
	/* scripts and styles are not text; entities are decoded */
	assert_int_equal(
	    reply_new_text_html(scripted, strlen(scripted), &text, &err), 0);
	assert_string_equal(text, "#tag a&b\n#ack");
	free(text);
	/* deep nesting: the walk is iterative, so no stack exhaustion */
	buf_init(&deep, 1u << 22);
	for (int i = 0; i < 100000; i++)
		buf_addstr(&deep, "<div>");
	buf_addstr(&deep, "#claim");
	assert_int_equal(reply_new_text_html(deep.data, deep.len, &text, &err),
	    0);
	free(text);
	buf_free(&deep);
}

/*
 * Hostile input: every line nearly an attribution, a header block or a
 * marker, so each look-ahead runs as far as it can.  Linear means it
 * finishes in well under a second; a quadratic reader would not finish
 * within ctest's timeout.
 */
static void
test_pathological(void **state)
{
	static const char *const lines[] = {
		"On Mon, Feb 3, 2025 at 10:14 AM Pat Buyer <pat@buyer.example>",
		"From: Pat Buyer <pat@buyer.example>",
		"To: someone",
		"> quoted text",
		"schrieb wrote writes a écrit escribió On On On On On On",
		"-----Original",
		"2025-02-03 10:14 Pat",
	};
	struct buf b;
	char *out;
	clock_t t0;
	double secs;

	(void)state;
	buf_init(&b, 16u << 20);
	buf_addstr(&b, "#claim\n");
	for (int i = 0; b.len < (8u << 20); i++)
		buf_printf(&b, "%s\n", lines[i % 7]);
	/* and one 1 MB line */
	for (int i = 0; i < (1 << 20) / 8; i++)
		buf_addstr(&b, "wrote: ");
	t0 = clock();
	out = reply_new_text_plain(b.data, b.len);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("9 MB hostile input: %.3f s\n", secs);
	assert_true(strncmp(out, "#claim\n", 7) == 0);
	free(out);
	buf_free(&b);
}

/*
 * The corpus's own traps, when the shared corpus is there: the 767 KB
 * quote and GitHub's backtracking trap, with the new text each must give.
 */
static void
test_corpus_traps(void **state)
{
	static const struct {
		const char *file;
		const char *starts;
	} traps[] = {
		{ "email_reply_parser/email_long_quote.txt",
		    "Hi folks\n\nWhat is the best way to clear a Riak bucket" },
		{ "email_reply_parser/pathological.txt",
		    "I think you're onto something. I will try to fix the problem "
		    "as soon as I\nget back to a computer." },
	};
	const char *corpus = getenv("TRIAGE_CORPUS");

	(void)state;
	if (corpus == NULL)
		skip();
	for (size_t i = 0; i < 2; i++) {
		char path[1024], *body, *out;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", corpus, traps[i].file);
		body = test_slurp(path, &len);
		if (body == NULL)
			skip();
		out = reply_new_text_plain(body, len);
		if (strncmp(out, traps[i].starts, strlen(traps[i].starts)) != 0)
			fail_msg("%s: got [%.200s]", traps[i].file, out);
		free(out);
		free(body);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_eml),
		cmocka_unit_test(test_plain_cases),
		cmocka_unit_test(test_html_edges),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_corpus_traps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
