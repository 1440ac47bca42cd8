/*
 * HTML to text with libxml2's HTML parser in SAX mode: the parser does
 * tokenising, entity decoding and error recovery; this file only decides
 * where line breaks go.  No tree is built, so a 500 KB chain of nested
 * <div>s costs neither memory nor stack.
 *
 * Readers that must decide per element (reply-html.c) get a parsed tree
 * walked without recursion, html_walk_*(), at the end of this file: the
 * one place libxml2 is used.
 */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"

#include "html.h"
#include "xalloc.h"

enum html_kind {
	HK_INLINE = 0,
	HK_SKIP,  /* content dropped: script, style, head ... */
	HK_BR,	  /* one line break */
	HK_LINE,  /* starts and ends on its own line */
	HK_PARA,  /* a paragraph: blank line before and after */
	HK_ITEM,  /* list item: own line, "- " bullet */
	HK_CELL,  /* table cell: separated by a space */
	HK_QUOTE, /* blockquote: a paragraph whose lines get "> " */
	HK_PRE,	  /* whitespace kept */
	HK_LINK,  /* <a href>: target kept after the text */
	HK_IMG,	  /* alt text kept */
};

static const struct {
	const char *name;
	enum html_kind kind;
} html_elements[] = {
	{ "a", HK_LINK },
	{ "address", HK_LINE },
	{ "article", HK_LINE },
	{ "aside", HK_LINE },
	{ "blockquote", HK_QUOTE },
	{ "br", HK_BR },
	{ "caption", HK_LINE },
	{ "center", HK_LINE },
	{ "dd", HK_LINE },
	{ "div", HK_LINE },
	{ "dl", HK_PARA },
	{ "dt", HK_LINE },
	{ "fieldset", HK_LINE },
	{ "figure", HK_LINE },
	{ "footer", HK_LINE },
	{ "form", HK_LINE },
	{ "h1", HK_PARA },
	{ "h2", HK_PARA },
	{ "h3", HK_PARA },
	{ "h4", HK_PARA },
	{ "h5", HK_PARA },
	{ "h6", HK_PARA },
	{ "head", HK_SKIP },
	{ "header", HK_LINE },
	{ "hr", HK_LINE },
	{ "img", HK_IMG },
	{ "li", HK_ITEM },
	{ "main", HK_LINE },
	{ "nav", HK_LINE },
	{ "noscript", HK_SKIP },
	{ "object", HK_SKIP },
	{ "ol", HK_PARA },
	{ "p", HK_PARA },
	{ "pre", HK_PRE },
	{ "script", HK_SKIP },
	{ "section", HK_LINE },
	{ "select", HK_SKIP },
	{ "style", HK_SKIP },
	{ "table", HK_PARA },
	{ "td", HK_CELL },
	{ "template", HK_SKIP },
	{ "textarea", HK_SKIP },
	{ "th", HK_CELL },
	{ "title", HK_SKIP },
	{ "tr", HK_LINE },
	{ "ul", HK_PARA },
	{ "xml", HK_SKIP },
};

struct html_state {
	struct buf *out;	/* foreign */
	htmlParserCtxtPtr ctxt; /* foreign */
	unsigned skip;		/* depth inside HK_SKIP */
	unsigned pre;		/* depth inside <pre> */
	unsigned quote;		/* blockquote depth */
	unsigned newlines;	/* line breaks at the end of out */
	int space;		/* a collapsed space is pending */
	int full;		/* out's cap was hit */
	char *href;		/* owned: target of the open <a> */
	size_t link_start;	/* out->len when that <a> opened */
};

static enum html_kind
html_kind(const char *name)
{
	size_t lo = 0, hi = sizeof(html_elements) / sizeof(html_elements[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, html_elements[mid].name);

		if (c == 0)
			return html_elements[mid].kind;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return HK_INLINE;
}

static void
html_put(struct html_state *st, const char *s, size_t len)
{
	if (st->full || len == 0)
		return;
	if (buf_add(st->out, s, len) < 0) {
		st->full = 1;
		xmlStopParser(st->ctxt);
		return;
	}
	st->newlines = s[len - 1] == '\n' ? st->newlines + 1 : 0;
}

/* Before text: the quote prefix at the start of a line, or a space. */
static void
html_before_text(struct html_state *st)
{
	if (st->out->len == 0 || st->newlines > 0) {
		/* ">> text", as mail clients quote plain text. */
		for (unsigned i = 0; i < st->quote; i++)
			html_put(st, ">", 1);
		if (st->quote > 0)
			html_put(st, " ", 1);
		st->newlines = 0;
	} else if (st->space) {
		html_put(st, " ", 1);
	}
	st->space = 0;
}

/* End the current line; with want == 2 also leave a blank line. */
static void
html_break(struct html_state *st, unsigned want)
{
	st->space = 0;
	if (st->out->len == 0)
		return;
	while (st->newlines < want && !st->full) {
		if (st->newlines > 0 && st->quote > 0) {
			/* Keep blank lines inside a quote quoted. */
			for (unsigned i = 0; i < st->quote; i++)
				html_put(st, ">", 1);
			st->newlines = 1;
		}
		html_put(st, "\n", 1);
	}
}

static int
html_is_space(const unsigned char *p, size_t left, size_t *skip_r)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
		*skip_r = 1;
		return 1;
	}
	/* U+00A0 NO-BREAK SPACE, which &nbsp; decodes to. */
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0xa0) {
		*skip_r = 2;
		return 1;
	}
	return 0;
}

static void
html_text_pre(struct html_state *st, const char *s, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(s, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - s) : len;

		if (n > 0 && !(n == 1 && s[0] == '\r')) {
			html_before_text(st);
			html_put(st, s, n);
		}
		if (nl == NULL)
			break;
		html_put(st, "\n", 1);
		s += n + 1;
		len -= n + 1;
	}
}

static void
html_characters(void *ctx, const xmlChar *ch, int len)
{
	struct html_state *st = ctx;
	const unsigned char *p = ch, *end = ch + len;
	size_t skip;

	if (st->skip > 0 || len <= 0)
		return;
	if (st->pre > 0) {
		html_text_pre(st, (const char *)ch, (size_t)len);
		return;
	}
	while (p < end) {
		const unsigned char *word = p;

		if (html_is_space(p, (size_t)(end - p), &skip)) {
			st->space = 1;
			p += skip;
			continue;
		}
		while (p < end && !html_is_space(p, (size_t)(end - p), &skip))
			p++;
		html_before_text(st);
		html_put(st, (const char *)word, (size_t)(p - word));
	}
}

static const char *
html_attr(const xmlChar **atts, const char *name)
{
	if (atts == NULL)
		return NULL;
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		if (strcasecmp((const char *)atts[i], name) == 0)
			return (const char *)atts[i + 1];
	}
	return NULL;
}

static void
html_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
	struct html_state *st = ctx;
	const char *v;

	switch (html_kind((const char *)name)) {
	case HK_SKIP:
		st->skip++;
		break;
	case HK_BR:
		html_put(st, "\n", 1);
		st->space = 0;
		break;
	case HK_LINE:
		html_break(st, 1);
		break;
	case HK_PARA:
		html_break(st, 2);
		break;
	case HK_QUOTE:
		html_break(st, 2);
		st->quote++;
		break;
	case HK_PRE:
		html_break(st, 2);
		st->pre++;
		break;
	case HK_ITEM:
		html_break(st, 1);
		if (st->skip == 0) {
			html_before_text(st);
			html_put(st, "- ", 2);
		}
		break;
	case HK_CELL:
		st->space = 1;
		break;
	case HK_LINK:
		v = html_attr(atts, "href");
		free(st->href);
		st->href = v != NULL && *v != '\0' ? xstrdup(v) : NULL;
		st->link_start = st->out->len;
		break;
	case HK_IMG:
		v = html_attr(atts, "alt");
		if (v != NULL && *v != '\0' && st->skip == 0) {
			html_before_text(st);
			html_put(st, "[", 1);
			html_put(st, v, strlen(v));
			html_put(st, "]", 1);
		}
		break;
	case HK_INLINE:
		break;
	}
}

/* "text <url>", unless the text already says the url. */
static void
html_end_link(struct html_state *st)
{
	const char *href = st->href, *text;
	size_t tlen;

	if (href == NULL || st->skip > 0 || href[0] == '#' ||
	    strncasecmp(href, "javascript:", 11) == 0)
		goto out;
	text = st->out->data != NULL ? st->out->data + st->link_start : "";
	tlen = st->out->len - st->link_start;
	if (strncasecmp(href, "mailto:", 7) == 0 && strlen(href + 7) == tlen &&
	    strncasecmp(href + 7, text, tlen) == 0)
		goto out;
	if (strlen(href) == tlen && strncasecmp(href, text, tlen) == 0)
		goto out;
	st->space = tlen > 0;
	html_before_text(st);
	html_put(st, "<", 1);
	html_put(st, href, strlen(href));
	html_put(st, ">", 1);
out:
	free(st->href);
	st->href = NULL;
}

static void
html_end(void *ctx, const xmlChar *name)
{
	struct html_state *st = ctx;

	switch (html_kind((const char *)name)) {
	case HK_SKIP:
		if (st->skip > 0)
			st->skip--;
		break;
	case HK_LINE:
	case HK_ITEM:
		html_break(st, 1);
		break;
	case HK_PARA:
		html_break(st, 2);
		break;
	case HK_QUOTE:
		html_break(st, 1);
		if (st->quote > 0)
			st->quote--;
		html_break(st, 2);
		break;
	case HK_PRE:
		html_break(st, 2);
		if (st->pre > 0)
			st->pre--;
		break;
	case HK_LINK:
		html_end_link(st);
		break;
	default:
		break;
	}
}

/* Drop trailing blank lines and spaces the block rules left behind. */
static void
html_trim(struct buf *out, size_t start)
{
	while (out->len > start && (out->data[out->len - 1] == '\n' ||
				       out->data[out->len - 1] == ' '))
		out->len--;
	if (out->data != NULL)
		out->data[out->len] = '\0';
}

void
html_init(void)
{
	xmlInitParser();
}

void
html_shutdown(void)
{
	xmlCleanupParser();
}

int
html_to_text(const char *html, size_t len, struct buf *out)
{
	htmlSAXHandler sax;
	struct html_state st;
	size_t start = out->len;
	const size_t chunk = 1 << 20;

	memset(&sax, 0, sizeof(sax));
	sax.startElement = html_start;
	sax.endElement = html_end;
	sax.characters = html_characters;
	sax.ignorableWhitespace = html_characters;
	memset(&st, 0, sizeof(st));
	st.out = out;
	st.newlines = 2;
	st.ctxt = htmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL,
	    XML_CHAR_ENCODING_UTF8);
	if (st.ctxt == NULL)
		return 0;
	htmlCtxtUseOptions(st.ctxt,
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD);
	/* htmlParseChunk takes an int length. */
	while (len > 0 && !st.full) {
		size_t n = len < chunk ? len : chunk;

		htmlParseChunk(st.ctxt, html, (int)n, 0);
		html += n;
		len -= n;
	}
	if (!st.full)
		htmlParseChunk(st.ctxt, NULL, 0, 1);
	htmlFreeParserCtxt(st.ctxt);
	free(st.href);
	html_trim(out, start);
	return st.full ? -1 : 0;
}

/* ---- does the text hold a character? --------------------------------- */

/* The options of html_walk_begin: the same tokenizer, the same text. */
#define WALK_OPTIONS \
	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
	    HTML_PARSE_NONET)

struct hold {
	char c;
	int found;
};

/* Text and CDATA as the parser hands them out: stop at the first c. */
static void
hold_text(void *ctx, const xmlChar *text, int len)
{
	htmlParserCtxtPtr ctxt = ctx;
	struct hold *h = ctxt->_private;

	if (len > 0 && memchr(text, h->c, (size_t)len) != NULL) {
		h->found = 1;
		xmlStopParser(ctxt);
	}
}

int
html_text_may_hold(const char *html, size_t len, char c)
{
	struct hold h = { c, 0 };
	htmlParserCtxtPtr ctxt;
	unsigned initialized;
	xmlDoc *doc;

	if (len > INT_MAX / 4)
		return 1;
	ctxt = htmlNewParserCtxt();
	if (ctxt == NULL)
		return 1;
	/* The tokenizer alone: every piece of text reaches hold_text, and
	 * no tree is built. */
	initialized = ctxt->sax->initialized;
	memset(ctxt->sax, 0, sizeof(*ctxt->sax));
	ctxt->sax->initialized = initialized;
	ctxt->sax->characters = hold_text;
	ctxt->sax->cdataBlock = hold_text;
	ctxt->sax->ignorableWhitespace = hold_text;
	ctxt->_private = &h;
	doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8",
	    WALK_OPTIONS);
	xmlFreeDoc(doc);
	htmlFreeParserCtxt(ctxt);
	return h.found;
}

/*
 * The tree walk.  `at` is where the walk stands: W_AT, `node` is due;
 * W_ENTERED, `node` was entered and its children are due; W_DONE,
 * `node` and everything below it have been returned.
 */
enum html_walk_state {
	W_AT,
	W_ENTERED,
	W_DONE,
	W_END
};

struct html_walk {
	xmlDoc *doc;   /* owned */
	xmlNode *node; /* foreign: in doc */
	enum html_walk_state at;
};

int
html_walk_begin(const char *html, size_t len, struct html_walk **walk_r,
    struct error *err)
{
	struct html_walk *w;
	xmlDoc *doc;

	/* htmlReadMemory takes an int length. */
	if (len > INT_MAX / 4)
		return error_set(err, ERR_MSG, "HTML body too large");
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", WALK_OPTIONS);
	if (doc == NULL)
		return error_set(err, ERR_MSG, "HTML body could not be parsed");
	w = xmalloc(sizeof(*w));
	w->doc = doc;
	w->node = doc->children;
	w->at = w->node != NULL ? W_AT : W_END;
	*walk_r = w;
	return 0;
}

/* Fill *node_r for `step` at the walk's node. */
static int
html_walk_step(struct html_walk *w, enum html_step step,
    struct html_node *node_r)
{
	node_r->step = step;
	node_r->name = step == HTML_TEXT ? NULL : (const char *)w->node->name;
	node_r->text =
	    step == HTML_TEXT ? (const char *)w->node->content : NULL;
	return 1;
}

int
html_walk_next(struct html_walk *w, struct html_node *node_r)
{
	xmlNode *n;

	for (;;) {
		n = w->node;
		switch (w->at) {
		case W_END:
			return 0;
		case W_AT:
			if (n->type == XML_ELEMENT_NODE) {
				w->at = W_ENTERED;
				return html_walk_step(w, HTML_ENTER, node_r);
			}
			w->at = W_DONE;
			if ((n->type == XML_TEXT_NODE ||
				n->type == XML_CDATA_SECTION_NODE) &&
			    n->content != NULL)
				return html_walk_step(w, HTML_TEXT, node_r);
			break;
		case W_ENTERED:
			if (n->children != NULL) {
				w->node = n->children;
				w->at = W_AT;
				break;
			}
			w->at = W_DONE;
			return html_walk_step(w, HTML_LEAVE, node_r);
		case W_DONE:
			if (n->next != NULL) {
				w->node = n->next;
				w->at = W_AT;
				break;
			}
			/* The last child: its parent closes. */
			if (n->parent == NULL ||
			    n->parent->type != XML_ELEMENT_NODE) {
				w->at = W_END;
				return 0;
			}
			w->node = n->parent;
			return html_walk_step(w, HTML_LEAVE, node_r);
		}
	}
}

void
html_walk_skip(struct html_walk *w)
{
	assert(w->at == W_ENTERED);
	w->at = W_DONE;
}

char *
html_walk_attr(const struct html_walk *w, const char *name)
{
	xmlChar *v;
	char *s;

	assert(w->at == W_ENTERED);
	v = xmlGetProp(w->node, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	s = xstrdup((const char *)v);
	xmlFree(v);
	return s;
}

void
html_walk_end(struct html_walk **walk)
{
	if (*walk == NULL)
		return;
	xmlFreeDoc((*walk)->doc);
	free(*walk);
	*walk = NULL;
}
