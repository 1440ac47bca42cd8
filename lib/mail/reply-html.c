/*
 * The new text of an HTML reply; see reply.h.
 *
 * Clients mark quoted history structurally, and the structure is more
 * reliable than the text it renders to: Gmail wraps it in a gmail_quote
 * div, Apple Mail and Thunderbird in <blockquote type="cite">, Outlook
 * starts it with the divRplyFwdMsg div or a border-top divider and lets
 * it run to the end of the document.  So the tree is walked once, those
 * containers are skipped (or end the walk), and what is left is
 * rendered as text and read by reply_new_text_plain() for the textual
 * markers the structure did not carry ("-----Original Message-----").
 *
 * This renders with a walk of its own (html.c's html_walk_*()) rather
 * than html.c's renderer, because it must decide per element before
 * rendering.  The walk is iterative, so deeply nested HTML cannot exhaust
 * the stack.
 */
#include "buf.h"
#include "reply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "xalloc.h"

enum action {
	ACT_KEEP, /* render the element and its children */
	ACT_DROP, /* skip the element and its children */
	ACT_CUT,  /* history starts here and runs to the end */
};

/* Elements that never carry text the sender wrote. */
/* clang-format off */
static const char *const skip_elements[] = {
	"script", "style", "head", "title", "noscript", "template",
	"blockquote",
};
/* clang-format on */

/* Containers of quoted history, or of a signature, by class or id. */
/* clang-format off */
static const char *const drop_names[] = {
	"gmail_quote", "gmail_quote_container", "gmail_attr",
	"gmail_signature", "x_gmail_quote", "yahoo_quoted",
	"moz-cite-prefix", "moz-signature", "AppleOriginalContents",
	"protonmail_quote", "zmail_extra", "ms-outlook-mobile-reference-message",
	"Signature",
};
/* clang-format on */

/* Markers after which everything is history (Outlook, Windows Mail). */
/* clang-format off */
static const char *const cut_names[] = {
	"divRplyFwdMsg", "x_divRplyFwdMsg", "OLK_SRC_BODY_SECTION",
	"appendonsend", "stopSpelling", "moz-forward-container",
	"OutlookMessageHeader", "mail-editor-reference-message-container",
};
/* clang-format on */

/* Elements that start and end a line when rendered. */
/* clang-format off */
static const char *const block_elements[] = {
	"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4",
	"h5", "h6", "pre", "dl", "dt", "dd", "section", "article", "header",
	"footer", "address", "center", "form", "body", "hr",
};
/* clang-format on */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(s, list[i]) == 0)
			return 1;
	}
	return 0;
}

/* Is one of the space-separated tokens of `value` in the list? */
static int
token_in_list(const char *value, const char *const *list, size_t n)
{
	char tok[128];
	const char *p = value;

	while (*p != '\0') {
		size_t len = strcspn(p, " \t\r\n");

		if (len > 0 && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			if (in_list(tok, list, n))
				return 1;
		}
		p += len;
		p += strspn(p, " \t\r\n");
	}
	return 0;
}

/* Outlook's divider: a div whose style draws a solid top border. */
static int
is_outlook_divider(const char *style)
{
	char squeezed[256];
	size_t n = 0;

	for (const char *p = style; *p != '\0' && n + 1 < sizeof(squeezed);
	     p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			squeezed[n++] = *p;
	}
	squeezed[n] = '\0';
	return strcasestr(squeezed, "border-top:solid") != NULL ||
	       strcasestr(squeezed, "border-top:1ptsolid") != NULL ||
	       strcasestr(squeezed, "border-top:1.0ptsolid") != NULL;
}

/* What to do with the element the walk has just entered. */
static enum action
node_action(const struct html_walk *w, const char *name)
{
	char *id, *cls, *style;
	enum action a = ACT_KEEP;

	if (in_list(name, skip_elements, NELEM(skip_elements)))
		return ACT_DROP;
	id = html_walk_attr(w, "id");
	cls = html_walk_attr(w, "class");
	style = html_walk_attr(w, "style");
	if ((id != NULL && in_list(id, cut_names, NELEM(cut_names))) ||
	    (cls != NULL && token_in_list(cls, cut_names, NELEM(cut_names))))
		a = ACT_CUT;
	else if (strcasecmp(name, "div") == 0 && style != NULL &&
		 is_outlook_divider(style))
		a = ACT_CUT;
	else if ((id != NULL && in_list(id, drop_names, NELEM(drop_names))) ||
		 (cls != NULL &&
		     token_in_list(cls, drop_names, NELEM(drop_names))))
		a = ACT_DROP;
	free(id);
	free(cls);
	free(style);
	return a;
}

struct render {
	struct buf b;
	int line_start; /* nothing on the current line yet */
	int space;	/* a space is due before the next text */
	int full;	/* the cap was hit: stop */
	unsigned pre;	/* depth inside <pre>: newlines are kept */
};

static void
put(struct render *r, const char *s, size_t len)
{
	if (r->full)
		return;
	if (buf_add(&r->b, s, len) < 0)
		r->full = 1;
}

static void
newline(struct render *r)
{
	put(r, "\n", 1);
	r->line_start = 1;
	r->space = 0;
}

/* Text with HTML whitespace rules: runs collapse to one space. */
static void
put_text(struct render *r, const char *s, int pre)
{
	while (*s != '\0' && !r->full) {
		size_t ws = 0;

		if (pre && *s == '\n') {
			newline(r);
			s++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			ws = 1;
		else if ((unsigned char)s[0] == 0xc2 &&
			 (unsigned char)s[1] == 0xa0)
			ws = 2;
		if (ws > 0) {
			r->space = 1;
			s += ws;
			continue;
		}
		if (r->space && !r->line_start)
			put(r, " ", 1);
		r->space = 0;
		r->line_start = 0;
		put(r, s, 1);
		s++;
	}
}

static int
is_block(const char *name)
{
	return in_list(name, block_elements, NELEM(block_elements));
}

/* Entering an element that is kept. */
static void
enter(struct render *r, const char *name)
{
	if (strcasecmp(name, "br") == 0) {
		newline(r);
		return;
	}
	if (strcasecmp(name, "pre") == 0)
		r->pre++;
	if (is_block(name) && !r->line_start)
		newline(r);
	/* a rule in the HTML is a rule in the text: history may follow */
	if (strcasecmp(name, "hr") == 0) {
		put(r, "________", 8);
		newline(r);
	}
}

static void
leave(struct render *r, const char *name)
{
	if (strcasecmp(name, "pre") == 0 && r->pre > 0)
		r->pre--;
	if (is_block(name) && !r->line_start)
		newline(r);
}

/* Render the document, dropping history, until it ends or is cut. */
static void
walk(struct render *r, struct html_walk *w)
{
	struct html_node node;

	while (!r->full && html_walk_next(w, &node)) {
		switch (node.step) {
		case HTML_ENTER:
			switch (node_action(w, node.name)) {
			case ACT_CUT:
				return;
			case ACT_DROP:
				html_walk_skip(w);
				break;
			case ACT_KEEP:
				enter(r, node.name);
				break;
			}
			break;
		case HTML_TEXT:
			put_text(r, node.text, r->pre > 0);
			break;
		case HTML_LEAVE:
			leave(r, node.name);
			break;
		}
	}
}

int
reply_new_text_html(const char *html, size_t len, char **text_r,
    struct error *err)
{
	struct render r = { .line_start = 1 };
	struct html_walk *w;
	char *text;
	int ret;

	if (html == NULL || len == 0) {
		*text_r = xstrdup("");
		return 0;
	}
	ret = html_walk_begin(html, len, &w, err);
	if (ret < 0)
		return -1;
	/* "<hr>" becomes eight bytes of text: at most twice the input */
	buf_init(&r.b, 2 * len + 64);
	walk(&r, w);
	html_walk_end(&w);
	text = buf_steal(&r.b);
	*text_r = reply_new_text_plain(text, strlen(text));
	free(text);
	return 0;
}
