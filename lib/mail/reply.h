/*
 * What the sender wrote now: the new text of a reply, separated from the
 * quoted history, forwarded parts and signatures below or around it.
 *
 * Plain text is read line by line, once, with bounded look-ahead (no
 * regular expressions), so a megabyte of quoted history costs a
 * megabyte of scanning and nothing more.  HTML is read structurally
 * (libxml2's HTML parser): <blockquote>, Gmail's gmail_quote, Outlook's
 * divRplyFwdMsg and border-top divider, Apple's AppleOriginalContents,
 * Thunderbird's moz-cite-prefix ... are dropped before the remaining
 * HTML is turned into text and read like plain text.
 *
 * The rule when in doubt is to keep less: a command in text that is
 * wrongly taken for history is not applied and the sender hears nothing
 * back, while a command in history wrongly taken for new text would act
 * on someone else's words.
 */
#ifndef TRIAGE_REPLY_H
#define TRIAGE_REPLY_H

#include <stddef.h>

#include "error.h"

struct msg;

/*
 * The new text of the plain-text body `text` (len bytes, NUL not needed;
 * CRLF or LF).  Lines quoted with '>' at any depth are dropped wherever
 * they are, so interleaved answers stay; an attribution line ("On ...
 * wrote:", also wrapped and localized) is dropped with the quote it
 * introduces, and ends the new text when no '>' quote follows it.  The
 * new text also ends at an Outlook "-----Original Message-----" or
 * "From:/Sent:/To:/Subject:" block (localized), a forwarded-message
 * marker, a "-- " signature or rule line, or a "Sent from my iPhone"
 * style footer.
 *
 * Returns a new NUL-terminated UTF-8 string (caller frees): the kept
 * lines joined with '\n', runs of blank lines collapsed to one, no
 * leading or trailing blank lines; "" when nothing is new.  Never fails.
 */
char *reply_new_text_plain(const char *text, size_t len);

/*
 * The new text of an HTML body (len bytes of UTF-8 HTML).  Quote
 * containers and hidden text (see reply_zone_html) are dropped, Outlook/Windows Mail dividers end the new
 * text, the rest is rendered as text (block elements and <br> break
 * lines) and then read as by reply_new_text_plain().
 *
 * Returns 0 and sets *text_r (caller frees).  Returns -1 with err set
 * (ERR_MSG) when libxml2 cannot build a document at all; *text_r is
 * untouched then.
 */
int reply_new_text_html(const char *html, size_t len, char **text_r,
    struct error *err);

/*
 * The new text of a parsed message: reply_new_text_plain() over m->text,
 * and when m->html is not empty also reply_new_text_html() over it; of
 * the two readings the shorter one is returned, so a quote recognised in
 * either form (the structural one only the HTML has, the '>' one only
 * the text has) is never taken for new text.  For an HTML-only mail the
 * HTML reading is what counts.
 *
 * Returns 0 and sets *text_r (caller frees); -1 with err set (ERR_USAGE)
 * when m is NULL.
 */
int reply_new_text(const struct msg *m, char **text_r, struct error *err);

/*
 * Where a reply's commands may stand: the command zone, the new text
 * above the first quoted or forwarded material (a '>' line, an
 * attribution, an Outlook header block or marker, a quote container, a
 * signature), hidden HTML never included.  Interleaved answers, and a
 * quote's tail that lost its '>' (a second text part after an inline
 * image), are new text for reply_new_text() but not in the zone: they
 * come in *below_r, so a command there can be refused with a reason.
 *
 * Sets *zone_r and *below_r (caller frees both; either pointer may be
 * NULL for the plain form).  Never fails.
 */
void reply_zone_plain(const char *text, size_t len, char **zone_r,
    char **below_r);

/*
 * The same for an HTML body: the zone ends at the first quote container
 * or history marker, text hidden by attributes or inline style
 * (display:none, visibility:hidden, tiny fonts, text the colour of its
 * background, hidden, <template> ...) is not text at all.  Returns 0, or
 * -1 with err set as reply_new_text_html().
 */
int reply_zone_html(const char *html, size_t len, char **zone_r, char **below_r,
    struct error *err);

#endif
