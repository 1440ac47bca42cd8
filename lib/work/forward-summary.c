/*
 * The readable summary of a forward: the ticket, why it was classified as
 * it was, BDR notes, links, and the thread.  See forward.h.
 */
#include <stdlib.h>
#include <string.h>

#include "forward-private.h"
#include "buf.h"
#include "xalloc.h"

#define SUMMARY_MAX (1024 * 1024) /* bytes of summary text at most */

int
forward_dir_parse(const char *s, enum forward_dir *dir_r)
{
	if (s != NULL && strcmp(s, "in") == 0)
		*dir_r = FORWARD_IN;
	else if (s != NULL && strcmp(s, "out") == 0)
		*dir_r = FORWARD_OUT;
	else if (s != NULL && strcmp(s, "internal") == 0)
		*dir_r = FORWARD_INTERNAL;
	else
		return -1;
	return 0;
}

static const char *
dir_name(const struct forward_message *m)
{
	switch (m->dir) {
	case FORWARD_IN:
		return "in";
	case FORWARD_OUT:
		return "out";
	case FORWARD_INTERNAL:
		return "internal";
	}
	return "?";
}

/* Index + 1 of the message `id` answers, 0 when not in this thread. */
static size_t
reply_target(const struct forward_ticket *t, size_t i)
{
	const char *irt = t->messages[i].in_reply_to;
	size_t j;

	if (irt == NULL || *irt == '\0')
		return 0;
	for (j = 0; j < i; j++) {
		const char *id = t->messages[j].message_id;

		if (id != NULL && strcmp(id, irt) == 0)
			return j + 1;
	}
	return 0;
}

/* Text indented by `pfx` on every line. */
static void
add_indented(struct buf *b, const char *text, const char *pfx)
{
	const char *p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		buf_addstr(b, pfx);
		buf_add(b, p, (size_t)(nl - p));
		buf_addstr(b, "\n");
		p = *nl != '\0' ? nl + 1 : nl;
	}
}

static void
summary_head(struct buf *b, const struct forward_ticket *t)
{
	char *subj = forward_one_line(t->subject);

	buf_printf(b, "Ticket #%lld: %s\n", (long long)t->id, subj);
	buf_printf(b, "State: %s   Queue: %s   Priority: %s   Owner: %s\n",
	    forward_str_or(t->state, "-"), forward_str_or(t->queue, "-"),
	    forward_str_or(t->priority, "normal"),
	    forward_str_or(t->owner, "(unclaimed)"));
	buf_printf(b, "Customer: %s\n",
	    forward_str_or(t->customer, "(unknown)"));
	if (t->ticket_url != NULL) {
		char *url = conf_ticket_url(t->ticket_url, t->id);

		buf_printf(b, "Link: %s\n", url);
		free(url);
	}
	if (t->account != NULL) {
		buf_printf(b, "Account: %s", t->account);
		if (t->tier != NULL)
			buf_printf(b, " (tier %s)", t->tier);
		buf_addstr(b, "\n");
	}
	free(subj);
}

/*
 * Did an earlier hit already say this (the same rule's same condition,
 * on an earlier message of the thread)?  Each rule hit is listed once.
 */
static int
hit_seen(const struct verdict_hit *hits, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (strcmp(hits[j].rule, hits[i].rule) == 0 &&
		    strcmp(hits[j].target, hits[i].target) == 0)
			return 1;
	}
	return 0;
}

static void
summary_classification(struct buf *b, const struct forward_ticket *t)
{
	size_t i;
	int d, any = 0;

	buf_addstr(b, "\nClassification\n");
	buf_addstr(b, "  Tags: ");
	for (i = 0; i < t->n_tags; i++)
		buf_printf(b, "%s%s", i > 0 ? ", " : "", t->tags[i]);
	buf_addstr(b, t->n_tags == 0 ? "(none)\n" : "\n");
	buf_addstr(b, "  Scores: ");
	for (d = 0; d < DIM_COUNT; d++) {
		if (t->scores[d] == 0)
			continue;
		buf_printf(b, "%s%s %+d", any ? ", " : "", dim_name(d),
		    t->scores[d]);
		any = 1;
	}
	buf_addstr(b, any ? "\n" : "(none)\n");
	if (t->n_hits > 0)
		buf_addstr(b, "  Why:\n");
	for (i = 0; i < t->n_hits; i++) {
		const struct verdict_hit *h = &t->hits[i];
		char *match;

		if (hit_seen(t->hits, i))
			continue;
		match = forward_one_line(h->match);

		buf_printf(b, "    %s (%s:%d) %s \"%s\"%s\n", h->rule, h->file,
		    h->line, h->target, match,
		    h->limit_hit ? " [match limit hit]" : "");
		free(match);
	}
}

static void
summary_notes_links(struct buf *b, const struct forward_ticket *t)
{
	char when[32];
	size_t i;

	if (t->n_notes > 0)
		buf_addstr(b, "\nNotes\n");
	for (i = 0; i < t->n_notes; i++) {
		forward_format_day_time(t->notes[i].at, when, sizeof(when));
		buf_printf(b, "  %s %s:\n", when,
		    forward_str_or(t->notes[i].author, "?"));
		add_indented(b, forward_str_or(t->notes[i].text, ""), "    ");
	}
	if (t->n_links > 0)
		buf_addstr(b, "\nLinked tickets\n");
	for (i = 0; i < t->n_links; i++) {
		char *subj = forward_one_line(t->links[i].subject);

		buf_printf(b, "  %s #%lld %s\n",
		    forward_str_or(t->links[i].kind, "related"),
		    (long long)t->links[i].ticket_id, subj);
		free(subj);
	}
}

/* Is messages[i] attached (attach style) by this forward? */
static void
summary_thread(struct buf *b, const struct forward_ticket *t)
{
	char when[32];
	size_t i, target;

	buf_printf(b, "\nThread (%zu message%s)\n", t->n_messages,
	    t->n_messages == 1 ? "" : "s");
	for (i = 0; i < t->n_messages; i++) {
		const struct forward_message *m = &t->messages[i];
		char *subj = forward_one_line(m->subject);

		forward_format_day_time(m->date, when, sizeof(when));
		buf_printf(b, "  %zu. %s %-8s %s%s\n", i + 1, when, dir_name(m),
		    forward_str_or(m->from, "(unknown)"),
		    m->team ? " [team]" : "");
		buf_printf(b, "     \"%s\"", subj);
		target = reply_target(t, i);
		if (target > 0)
			buf_printf(b, ", reply to %zu", target);
		if (forward_attached(t, i))
			buf_addstr(b, ", attached");
		else if (i < t->first_new)
			buf_addstr(b, ", forwarded before");
		buf_addstr(b, "\n");
		if (m->has_commands) {
			buf_addstr(b, "     Text (command lines removed):\n");
			add_indented(b, forward_str_or(m->text, "(empty)"),
			    "     | ");
		}
		free(subj);
	}
}

char *
forward_summary(const struct forward_ticket *t)
{
	struct buf b;

	buf_init(&b, SUMMARY_MAX);
	summary_head(&b, t);
	summary_classification(&b, t);
	summary_notes_links(&b, t);
	summary_thread(&b, t);
	/* past the cap, lines are left out whole (buf_add appends nothing) */
	return buf_steal(&b);
}
