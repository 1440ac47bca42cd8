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
#include "reply-private.h"
#include "xalloc.h"

enum action {
	ACT_KEEP,  /* render the element and its children */
	ACT_SKIP,  /* not text at all (script, hidden): skip it */
	ACT_QUOTE, /* quoted history or a signature: skip it, and the
		      command zone ends here */
	ACT_CUT,   /* history starts here and runs to the end */
};

/* Elements that never carry text a reader sees. */
/* clang-format off */
static const char *const skip_elements[] = {
	"script", "style", "head", "title", "noscript", "template", "xml",
	"object", "select", "textarea", "iframe", "svg", "math",
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
		return ACT_SKIP;
	if (strcasecmp(name, "blockquote") == 0)
		return ACT_QUOTE;
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
		a = ACT_QUOTE;
	free(id);
	free(cls);
	free(style);
	return a;
}

struct render {
	struct buf b;
	int line_start;	      /* nothing on the current line yet */
	int space;	      /* a space is due before the next text */
	int full;	      /* the cap was hit: stop */
	unsigned pre;	      /* depth inside <pre>: newlines are kept */
	size_t zone;	      /* b.len where the first quote began */
	int quoted;	      /* a quote or cut was met: zone is set */
	struct html_vis *vis; /* owned: per open element */
	size_t n_vis, alloc_vis;
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

/* The command zone ends where quoted history starts. */
static void
quote_starts(struct render *r)
{
	if (!r->quoted) {
		r->quoted = 1;
		r->zone = r->b.len;
	}
}

/* The visibility of the element just entered, on top of its parent's. */
static int
push_vis(struct render *r, const struct html_walk *w)
{
	struct html_vis v =
	    r->n_vis > 0 ? r->vis[r->n_vis - 1] : html_vis_root();
	char *style = html_walk_attr(w, "style");
	char *hidden = html_walk_attr(w, "hidden");
	/* <font color>, <body text> */
	char *color = html_walk_attr(w, "color");
	char *bg = html_walk_attr(w, "bgcolor");
	int gone;

	if (color == NULL)
		color = html_walk_attr(w, "text");
	gone = hidden != NULL;
	html_vis_attrs(&v, color, bg);
	if (style != NULL)
		gone |= html_vis_style(&v, style);
	free(style);
	free(hidden);
	free(color);
	free(bg);
	if (gone)
		return -1;
	if (r->n_vis == r->alloc_vis) {
		r->alloc_vis = r->alloc_vis != 0 ? r->alloc_vis * 2 : 32;
		r->vis = xreallocarray(r->vis, r->alloc_vis, sizeof(*r->vis));
	}
	r->vis[r->n_vis++] = v;
	return 0;
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
				quote_starts(r);
				return;
			case ACT_QUOTE:
				quote_starts(r);
				html_walk_skip(w);
				break;
			case ACT_SKIP:
				html_walk_skip(w);
				break;
			case ACT_KEEP:
				/* hidden text is never text */
				if (push_vis(r, w) < 0) {
					html_walk_skip(w);
					break;
				}
				enter(r, node.name);
				break;
			}
			break;
		case HTML_TEXT:
			if (r->n_vis == 0 ||
			    html_vis_shows(&r->vis[r->n_vis - 1]))
				put_text(r, node.text, r->pre > 0);
			break;
		case HTML_LEAVE:
			if (r->n_vis > 0)
				r->n_vis--;
			leave(r, node.name);
			break;
		}
	}
}

/*
 * Render html[0..len) without history or hidden text into *text_r
 * (caller frees); *zone_r is the length of its part above the first
 * quote.  -1 with err set when libxml2 cannot parse it.
 */
static int
render_html(const char *html, size_t len, char **text_r, size_t *zone_r,
    struct error *err)
{
	struct render r = { .line_start = 1 };
	struct html_walk *w;
	int ret;

	ret = html_walk_begin(html, len, &w, err);
	if (ret < 0)
		return -1;
	/* "<hr>" becomes eight bytes of text: at most twice the input */
	buf_init(&r.b, 2 * len + 64);
	walk(&r, w);
	html_walk_end(&w);
	free(r.vis);
	*zone_r = r.quoted ? r.zone : r.b.len;
	*text_r = buf_steal(&r.b);
	return 0;
}

int
reply_new_text_html(const char *html, size_t len, char **text_r,
    struct error *err)
{
	char *text;
	size_t zone;

	if (html == NULL || len == 0) {
		*text_r = xstrdup("");
		return 0;
	}
	if (render_html(html, len, &text, &zone, err) < 0)
		return -1;
	*text_r = reply_new_text_plain(text, strlen(text));
	free(text);
	return 0;
}

int
reply_zone_html(const char *html, size_t len, char **zone_r, char **below_r,
    struct error *err)
{
	char *text, *below1, *below2;
	size_t zone;
	struct buf b;

	if (html == NULL || len == 0) {
		*zone_r = xstrdup("");
		*below_r = xstrdup("");
		return 0;
	}
	if (render_html(html, len, &text, &zone, err) < 0)
		return -1;
	/* the zone may still hold a textual quote ("-----Original ...") */
	reply_zone_plain(text, zone, zone_r, &below1);
	below2 = reply_new_text_plain(text + zone, strlen(text + zone));
	buf_init(&b, strlen(below1) + strlen(below2) + 2);
	(void)buf_printf(&b, "%s\n%s", below1, below2);
	*below_r = buf_steal(&b);
	free(below1);
	free(below2);
	free(text);
	return 0;
}
