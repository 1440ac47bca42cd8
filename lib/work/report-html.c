/*
 * The report as one self-contained HTML page: inline CSS, charts drawn
 * as inline SVG, no scripts, no fonts or images fetched, so it can be
 * mailed, archived and printed.  Every bar carries its figure twice: as
 * visible text and as <title> (a tooltip, and what a screen reader or a
 * test reads), plus data-label/data-value attributes for scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"

#include "report-private.h"
#include "xalloc.h"

#define CHART_W 560
#define COL_BLUE "#4e79a7"
#define COL_ORANGE "#f28e2b"
#define COL_GREEN "#59a14f"
#define COL_RED "#e15759"

static const char css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "'DejaVu Sans',sans-serif;color:#1d2329;background:#f5f6f8;"
    "margin:0;padding:24px}\n"
    "main{max-width:1200px;margin:0 auto}\n"
    "h1{font-size:24px;margin:0 0 4px}\n"
    "h2{font-size:17px;margin:0 0 10px}\n"
    "h3{font-size:15px;margin:12px 0 6px}\n"
    ".pair{display:flex;flex-wrap:wrap;gap:16px}\n"
    ".pair table{width:auto;min-width:220px}\n"

    ".meta{color:#56606b;margin:0 0 16px}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}\n"
    ".tile{background:#fff;border-radius:8px;padding:10px 16px;"
    "min-width:120px;box-shadow:0 1px 2px rgba(0,0,0,.12)}\n"
    ".tile b{display:block;font-size:26px}\n"
    ".tile span{color:#56606b;font-size:13px}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(520px,1fr));gap:16px;margin-bottom:16px}\n"
    "section{background:#fff;border-radius:8px;padding:14px 16px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.12);margin-bottom:16px;"
    "break-inside:avoid}\n"
    ".grid section{margin-bottom:0}\n"
    "svg{width:100%;height:auto;display:block}\n"
    "svg text{font:12px system-ui,'DejaVu Sans',sans-serif;"
    "fill:#1d2329}\n"
    "svg .axis{stroke:#9aa3ad;stroke-width:1}\n"
    "svg .grid{stroke:#e3e6ea;stroke-width:1}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px}\n"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid "
    "#e3e6ea;vertical-align:top}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    ".legend span{display:inline-block;margin-right:14px;font-size:13px}\n"
    ".legend i{display:inline-block;width:11px;height:11px;"
    "margin-right:5px;vertical-align:-1px;border-radius:2px}\n"
    ".empty{color:#56606b;font-style:italic}\n"
    "a{color:#2b5d8a}\n"
    "@media print{body{background:#fff;padding:0;font-size:11pt}"
    ".grid{display:block}section,.tile{box-shadow:none;border:1px solid "
    "#c8ced4}section{margin-bottom:10px;page-break-inside:avoid}"
    "a{color:inherit;text-decoration:none}}\n";

/* Text as HTML: escape the five specials, drop control characters. */
static void
esc(struct report_out *o, const char *s)
{
	if (s == NULL) {
		report_out_str(o, "&#8212;");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		switch (*p) {
		case '&':
			report_out_str(o, "&amp;");
			break;
		case '<':
			report_out_str(o, "&lt;");
			break;
		case '>':
			report_out_str(o, "&gt;");
			break;
		case '"':
			report_out_str(o, "&quot;");
			break;
		case '\'':
			report_out_str(o, "&#39;");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				report_out_str(o, " ");
			else
				report_out_add(o, (const char *)p, 1);
		}
	}
}

static void
svg_open(struct report_out *o, const char *id, const char *title, int h)
{
	report_out_printf(o,
	    "<svg id=\"%s\" class=\"chart\" role=\"img\" "
	    "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "aria-labelledby=\"%s-title\"><title id=\"%s-title\">",
	    id, CHART_W, h, id, id);
	esc(o, title);
	report_out_str(o, "</title>\n");
}

/* Width in px of `len` characters of the 12px chart font, generously. */
#define CHAR_PX 7.5

/*
 * Vertical bars, one per (label, value): volume over time and the
 * time-to-claim histogram.  The value axis has round ticks (1, 2 or 5 x
 * 10^k apart, report_axis), so every tick label is exact.  Category
 * labels are thinned to every k-th bar, k the smallest that leaves each
 * shown label its full width plus a gap, so they never overlap; the
 * margins leave room for half a label at either end, so none is cut.
 */
static void
vbars(struct report_out *o, const char *id, const char *title, const char *unit,
    const char *const *labels, const int64_t *values, size_t n,
    const char *color)
{
	const int h = 260, top = 22, bottom = 42;
	int left = 44, right = 10, pw;
	const int ph = h - top - bottom;
	int64_t max = 0, step, axis;
	size_t every = 1, widest = 1;
	double slot, digits_px;

	for (size_t i = 0; i < n; i++) {
		if (values[i] > max)
			max = values[i];
		if (strlen(labels[i]) > widest)
			widest = strlen(labels[i]);
	}
	axis = report_axis(max, &step);
	/* room for half the widest label beyond the first and last bar */
	if ((int)(widest * CHAR_PX / 2) > right)
		right = (int)(widest * CHAR_PX / 2);
	pw = CHART_W - left - right;
	slot = n > 0 ? (double)pw / (double)n : pw;
	while (slot * (double)every < widest * CHAR_PX + 8)
		every++;
	svg_open(o, id, title, h);
	for (int64_t v = 0; v <= axis; v += step) {
		double y = top + ph - (double)ph * (double)v / (double)axis;

		report_out_printf(o,
		    "<line class=\"grid\" x1=\"%d\" "
		    "y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/><text class=\"tick\" "
		    "x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
		    left, y, left + pw, y, left - 6, y + 4, (long long)v);
	}
	for (size_t i = 0; i < n; i++) {
		double bh = (double)ph * (double)values[i] / (double)axis;
		double x = left + slot * (double)i + slot * 0.12;
		double w = slot * 0.76;
		char num[24];

		report_out_printf(o,
		    "<g><rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		    "data-label=\"",
		    x, top + ph - bh, w, bh, color);
		esc(o, labels[i]);
		report_out_printf(o, "\" data-value=\"%lld\"><title>",
		    (long long)values[i]);
		esc(o, labels[i]);
		report_out_printf(o, ": %lld %s</title></rect>",
		    (long long)values[i], unit);
		snprintf(num, sizeof(num), "%lld", (long long)values[i]);
		digits_px = (double)strlen(num) * CHAR_PX;
		if (values[i] > 0 && slot >= digits_px + 2)
			report_out_printf(o,
			    "<text x=\"%.1f\" y=\"%.1f\" "
			    "text-anchor=\"middle\">%s</text>",
			    x + w / 2, top + ph - bh - 4, num);
		if (i % every == 0) {
			report_out_printf(o,
			    "<text class=\"label\" x=\"%.1f\" y=\"%d\" "
			    "text-anchor=\"middle\">",
			    x + w / 2, top + ph + 16);
			esc(o, labels[i]);
			report_out_str(o, "</text>");
		}
		report_out_str(o, "</g>\n");
	}
	report_out_printf(o,
	    "<line class=\"axis\" x1=\"%d\" y1=\"%d\" "
	    "x2=\"%d\" y2=\"%d\"/>\n</svg>\n",
	    left, top + ph, left + pw, top + ph);
}

struct hbar {
	const char *label;
	int64_t value;
	const char *color;
};

/* Horizontal bars with the label left and the figure right of each. */
static void
hbars(struct report_out *o, const char *id, const char *title,
    const struct hbar *bars, size_t n, size_t group)
{
	const int left = 130, right = 60, row = 24, gap = 10;
	const int pw = CHART_W - left - right;
	size_t groups = group > 0 ? (n + group - 1) / group : n;
	int h = 10 + (int)n * row + (int)groups * gap;
	int64_t max = 0;
	int y = 8;

	for (size_t i = 0; i < n; i++) {
		if (bars[i].value > max)
			max = bars[i].value;
	}
	if (max == 0)
		max = 1;
	svg_open(o, id, title, h);
	for (size_t i = 0; i < n; i++) {
		double w = (double)pw * (double)bars[i].value / (double)max;

		if (group > 0 && i % group == 0 && i > 0)
			y += gap;
		report_out_printf(o,
		    "<g><text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">",
		    left - 8, y + 15);
		esc(o, bars[i].label);
		report_out_printf(o,
		    "</text><rect x=\"%d\" y=\"%d\" "
		    "width=\"%.1f\" height=\"%d\" fill=\"%s\" "
		    "data-label=\"",
		    left, y + 2, w, row - 6, bars[i].color);
		esc(o, bars[i].label);
		report_out_printf(o, "\" data-value=\"%lld\"><title>",
		    (long long)bars[i].value);
		esc(o, bars[i].label);
		report_out_printf(o,
		    ": %lld</title></rect><text x=\"%.1f\" "
		    "y=\"%d\">%lld</text></g>\n",
		    (long long)bars[i].value, left + w + 6, y + 15,
		    (long long)bars[i].value);
		y += row;
	}
	report_out_str(o, "</svg>\n");
}

static void
chart_volume(struct report_out *o, const struct report *r)
{
	const char **labels = xcalloc(r->by_day.n + 1, sizeof(*labels));
	int64_t *values = xcalloc(r->by_day.n + 1, sizeof(*values));
	char title[32];

	for (size_t i = 0; i < r->by_day.n; i++) {
		const char *k = r->by_day.v[i].key;

		/* a day "2026-11-16" shows as "11-16": the year is in the
		   title; weeks (their Monday) and months show whole */
		labels[i] = r->bucket == REPORT_BUCKET_DAY && strlen(k) == 10 ?
				k + 5 :
				k;
		values[i] = r->by_day.v[i].n;
	}
	report_out_printf(o, "<section><h2>Volume over time</h2>\n");
	snprintf(title, sizeof(title), "New tickets per %s",
	    report_bucket_name(r->bucket));
	vbars(o, "chart-volume", title, "tickets", labels, values, r->by_day.n,
	    COL_BLUE);
	report_out_str(o, "</section>\n");
	free(labels);
	free(values);
}

/*
 * Each stage's conversion from the step before and, when read, the
 * previous period's figures with the change.
 */
static void
funnel_table(struct report_out *o, const struct report *r)
{
	struct report_stage now[REPORT_FUNNEL_STAGES];
	struct report_stage prev[REPORT_FUNNEL_STAGES];
	char rate[16], change[48], pf[32];

	report_funnel_stages(&r->funnel, now);
	report_funnel_stages(&r->prev, prev);
	report_out_str(o, "<section><h2>Funnel: conversion and the previous "
			  "period</h2>\n");
	report_out_str(o, "<table id=\"funnel\"><tr><th>stage</th>"
			  "<th class=\"n\">tickets</th>"
			  "<th class=\"n\">conversion</th>");
	if (r->has_prev) {
		report_fmt_time(r->prev_from, pf, sizeof(pf));
		report_out_printf(o,
		    "<th class=\"n\" title=\"from %.10s\">previous "
		    "period</th><th class=\"n\">conversion</th>"
		    "<th class=\"n\">change</th>",
		    pf);
	}
	report_out_str(o, "</tr>\n");
	for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++) {
		report_fmt_rate(now[i].rate, rate, sizeof(rate));
		report_out_printf(o,
		    "<tr><td>%s</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%s%s%s</td>",
		    now[i].name, (long long)now[i].n,
		    now[i].base != NULL ? rate : "",
		    now[i].base != NULL ? " of " : "",
		    now[i].base != NULL ? now[i].base : "");
		if (r->has_prev) {
			report_fmt_change(now[i].n, prev[i].n, change,
			    sizeof(change));
			report_fmt_rate(prev[i].rate, rate, sizeof(rate));
			report_out_printf(o,
			    "<td class=\"n\">%lld</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td>",
			    (long long)prev[i].n,
			    prev[i].base != NULL ? rate : "", change);
		}
		report_out_str(o, "</tr>\n");
	}
	report_out_str(o, "</table></section>\n");
}

static void
chart_funnel(struct report_out *o, const struct report *r)
{
	const struct report_funnel *f = &r->funnel;
	const struct hbar bars[] = {
		{ "received", f->received, COL_BLUE },
		{ "claimed", f->claimed, COL_BLUE },
		{ "routed", f->routed, COL_BLUE },
		{ "acknowledged", f->acknowledged, COL_BLUE },
		{ "qualified", f->qualified, COL_GREEN },
		{ "disqualified", f->disqualified, COL_RED },
	};

	report_out_str(o, "<section><h2>Funnel</h2>\n");
	hbars(o, "chart-funnel",
	    "Funnel: received, claimed, routed, "
	    "acknowledged; qualified vs disqualified",
	    bars, sizeof(bars) / sizeof(bars[0]), 4);
	report_out_str(o, "</section>\n");
}

static void
chart_claim(struct report_out *o, const struct report *r)
{
	const char *labels[REPORT_HIST_BUCKETS];

	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++)
		labels[i] = report_hist_label(i);
	report_out_str(o, "<section><h2>Time to claim</h2>\n");
	vbars(o, "chart-claim", "Tickets by time to claim (clock time)",
	    "tickets", labels, r->hist, REPORT_HIST_BUCKETS, COL_ORANGE);
	report_out_str(o, "</section>\n");
}

static void
chart_bdr(struct report_out *o, const struct report *r)
{
	static const char *const names[4] = { "claimed", "routed", "qualified",
		"disqualified" };
	static const char *const colors[4] = { COL_BLUE, COL_ORANGE, COL_GREEN,
		COL_RED };
	struct hbar *bars = xcalloc(r->n_bdrs * 4 + 1, sizeof(*bars));
	char **labels = xcalloc(r->n_bdrs * 4 + 1, sizeof(*labels));

	for (size_t i = 0; i < r->n_bdrs; i++) {
		const struct report_bdr *b = &r->bdrs[i];
		const int64_t v[4] = { b->claimed, b->routed, b->qualified,
			b->disqualified };

		for (size_t k = 0; k < 4; k++) {
			xasprintf(&labels[i * 4 + k], "%s %s", b->name,
			    names[k]);
			bars[i * 4 + k].label = labels[i * 4 + k];
			bars[i * 4 + k].value = v[k];
			bars[i * 4 + k].color = colors[k];
		}
	}
	report_out_str(o, "<section><h2>Per BDR</h2>\n<div class=\"legend\">");
	for (size_t k = 0; k < 4; k++)
		report_out_printf(o,
		    "<span><i style=\"background:%s\"></i>"
		    "%s</span>",
		    colors[k], names[k]);
	report_out_str(o, "</div>\n");
	if (r->n_bdrs == 0)
		report_out_str(o, "<p class=\"empty\">No BDR activity.</p>\n");
	hbars(o, "chart-bdr",
	    "Claimed, routed, qualified and disqualified "
	    "per BDR",
	    bars, r->n_bdrs * 4, 4);
	report_out_str(o, "</section>\n");
	for (size_t i = 0; i < r->n_bdrs * 4; i++)
		free(labels[i]);
	free(labels);
	free(bars);
}

static void
tile(struct report_out *o, int64_t n, const char *what)
{
	report_out_printf(o,
	    "<div class=\"tile\"><b>%lld</b><span>%s</span>"
	    "</div>",
	    (long long)n, what);
}

static void
counts_table(struct report_out *o, const char *title,
    const struct report_counts *c)
{
	report_out_str(o, "<section><h2>");
	esc(o, title);
	report_out_str(o, "</h2>\n");
	if (c->n == 0) {
		report_out_str(o, "<p class=\"empty\">None.</p></section>\n");
		return;
	}
	report_out_str(o, "<table><tr><th>name</th><th class=\"n\">tickets"
			  "</th></tr>\n");
	for (size_t i = 0; i < c->n; i++) {
		report_out_str(o, "<tr><td>");
		esc(o, c->v[i].key);
		report_out_printf(o, "</td><td class=\"n\">%lld</td></tr>\n",
		    (long long)c->v[i].n);
	}
	report_out_str(o, "</table></section>\n");
}

static void
stat_cells(struct report_out *o, const struct report_stat *s)
{
	char a[32], b[32];

	if (s->n == 0) {
		report_out_str(o, "<td class=\"n\">&#8212;</td>"
				  "<td class=\"n\">&#8212;</td>");
		return;
	}
	report_fmt_duration(s->median, a, sizeof(a));
	report_fmt_duration(s->p90, b, sizeof(b));
	report_out_printf(o, "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
	    a, b);
}

static void
times_table(struct report_out *o, const struct report *r)
{
	report_out_str(o,
	    "<section><h2>Response times</h2>\n<table><tr>"
	    "<th></th><th class=\"n\">tickets</th><th class=\"n\">median</th>"
	    "<th class=\"n\">p90</th><th class=\"n\">median (business)</th>"
	    "<th class=\"n\">p90 (business)</th></tr>\n");
	for (int i = 0; i < REPORT_TIME_COUNT; i++) {
		const struct report_durations *d = &r->times[i];

		report_out_printf(o, "<tr><td>%s</td><td class=\"n\">%zu</td>",
		    report_time_title((enum report_time)i), d->n);
		stat_cells(o, &d->clock_stat);
		stat_cells(o, &d->business_stat);
		report_out_str(o, "</tr>\n");
	}
	report_out_str(o, "</table></section>\n");
}

static void
bdr_table(struct report_out *o, const struct report *r)
{
	report_out_str(o,
	    "<section><h2>Per BDR figures</h2>\n<table><tr>"
	    "<th>BDR</th><th class=\"n\">claimed</th><th class=\"n\">routed"
	    "</th><th class=\"n\">qualified</th><th class=\"n\">disqualified"
	    "</th><th class=\"n\">claim median</th><th class=\"n\">claim p90"
	    "</th><th class=\"n\">route median</th><th class=\"n\">route p90"
	    "</th></tr>\n");
	for (size_t i = 0; i < r->n_bdrs; i++) {
		const struct report_bdr *b = &r->bdrs[i];

		report_out_str(o, "<tr><td>");
		esc(o, b->name);
		report_out_printf(o,
		    "</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		    "<td class=\"n\">%lld</td>",
		    (long long)b->claimed, (long long)b->routed,
		    (long long)b->qualified, (long long)b->disqualified);
		stat_cells(o, &b->to_claim.clock_stat);
		stat_cells(o, &b->to_route.clock_stat);
		report_out_str(o, "</tr>\n");
	}
	report_out_str(o, "</table></section>\n");
}

static void
ticket_ref(struct report_out *o, const struct report *r, int64_t id)
{
	char *url;

	if (r->ticket_url == NULL) {
		report_out_printf(o, "#%lld", (long long)id);
		return;
	}
	url = conf_ticket_url(r->ticket_url, id);
	report_out_str(o, "<a href=\"");
	esc(o, url);
	report_out_printf(o, "\">#%lld</a>", (long long)id);
	free(url);
}

static void
stories_table(struct report_out *o, const struct report *r)
{
	report_out_str(o, "<section><h2>Customer-story candidates</h2>\n");
	if (r->stories.n == 0) {
		report_out_str(o, "<p class=\"empty\">None.</p></section>\n");
		return;
	}
	report_out_str(o, "<table><tr><th>ticket</th><th>account</th>"
			  "<th>customer</th><th>subject</th></tr>\n");
	for (size_t i = 0; i < r->stories.n; i++) {
		const struct report_ticket *t = &r->stories.v[i];

		report_out_str(o, "<tr><td>");
		ticket_ref(o, r, t->id);
		report_out_str(o, "</td><td>");
		esc(o, t->account);
		report_out_str(o, "</td><td>");
		esc(o, t->customer);
		report_out_str(o, "</td><td>");
		esc(o, t->subject);
		report_out_str(o, "</td></tr>\n");
	}
	report_out_str(o, "</table></section>\n");
}

static void
small_counts(struct report_out *o, const char *title,
    const struct report_counts *c)
{
	report_out_str(o, "<table><tr><th>");
	esc(o, title);
	report_out_str(o, "</th><th class=\"n\">breaches</th></tr>\n");
	for (size_t i = 0; i < c->n; i++) {
		report_out_str(o, "<tr><td>");
		esc(o, c->v[i].key);
		report_out_printf(o, "</td><td class=\"n\">%lld</td></tr>\n",
		    (long long)c->v[i].n);
	}
	report_out_str(o, "</table>\n");
}

/*
 * A summary however many there are: per queue, per owner, and the
 * REPORT_OLDEST_BREACHES earliest deadlines; every one is in the CSV and
 * JSON output.
 */
static void
breaches_table(struct report_out *o, const struct report *r)
{
	char late[32], at[48];

	report_out_printf(o,
	    "<section id=\"breaches\"><h2>SLA breaches: %zu (claim %lld, "
	    "acknowledge %lld)</h2>\n",
	    r->breaches.n, (long long)r->breaches_claim,
	    (long long)r->breaches_ack);
	if (r->breaches.n == 0) {
		report_out_str(o, "<p class=\"empty\">None.</p></section>\n");
		return;
	}
	report_out_str(o, "<div class=\"pair\">");
	small_counts(o, "queue", &r->breach_queues);
	small_counts(o, "owner", &r->breach_owners);
	report_out_printf(o,
	    "</div>\n<h3>The %zu oldest of %zu</h3>\n"
	    "<table><tr><th>ticket</th><th>clock</th>"
	    "<th>queue</th><th>owner</th><th>deadline</th>"
	    "<th class=\"n\">late</th><th>subject</th></tr>\n",
	    r->n_oldest, r->breaches.n);
	for (size_t i = 0; i < r->n_oldest; i++) {
		const struct report_ticket *t = &r->breaches.v[r->oldest[i]];

		report_fmt_duration(t->late, late, sizeof(late));
		report_fmt_local(r, t->at, at, sizeof(at));
		report_out_str(o, "<tr><td>");
		ticket_ref(o, r, t->id);
		report_out_str(o, "</td><td>");
		esc(o, t->clock);
		report_out_str(o, "</td><td>");
		esc(o, t->queue);
		report_out_str(o, "</td><td>");
		esc(o, t->owner);
		report_out_printf(o,
		    "</td><td>%s</td><td class=\"n\">%s</td>"
		    "<td>",
		    at, late);
		esc(o, t->subject);
		report_out_str(o, "</td></tr>\n");
	}
	report_out_str(o, "</table>\n<p class=\"meta\">Every breach: "
			  "<code>triage report --format csv</code> or "
			  "<code>--format json</code>.</p></section>\n");
}

static void
header(struct report_out *o, const struct report *r)
{
	char from[48], to[48], gen[48];

	report_fmt_local(r, r->from, from, sizeof(from));
	report_fmt_local(r, r->to, to, sizeof(to));
	report_fmt_local(r, r->generated, gen, sizeof(gen));
	report_out_str(o,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width,initial-scale=1\">\n"
	    /* Nothing may load from anywhere: the page is all inline. */
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
	    "<title>triage report ");
	report_out_printf(o, "%.10s .. %.10s</title>\n<style>\n", from, to);
	report_out_str(o, css);
	report_out_printf(o,
	    "</style></head>\n<body><main>\n<h1>triage "
	    "report</h1>\n<p class=\"meta\">%s .. %s &middot; mailbox: ",
	    from, to);
	esc(o, r->mailbox != NULL ? r->mailbox : "all");
	report_out_str(o, " &middot; business hours: ");
	esc(o, r->hours != NULL ? r->hours : "none");
	report_out_printf(o, " &middot; generated %s &middot; times in ", gen);
	esc(o, report_zone_name(r));
	report_out_str(o, "</p>\n");
}

int
report_render_html(const struct report *r, struct buf *out, struct error *err)
{
	struct report_out o = { .b = out };

	header(&o, r);
	report_out_str(&o, "<div class=\"tiles\">");
	tile(&o, r->tickets, "tickets");
	tile(&o, r->funnel.claimed, "claimed");
	tile(&o, r->funnel.routed, "routed");
	tile(&o, r->funnel.qualified, "qualified");
	tile(&o, r->ee_leads, "EE leads");
	tile(&o, (int64_t)r->breaches.n, "SLA breaches");
	report_out_str(&o, "</div>\n<div class=\"grid\">\n");
	chart_volume(&o, r);
	chart_funnel(&o, r);
	chart_claim(&o, r);
	chart_bdr(&o, r);
	report_out_str(&o, "</div>\n");
	funnel_table(&o, r);
	times_table(&o, r);
	bdr_table(&o, r);
	report_out_str(&o, "<div class=\"grid\">\n");
	counts_table(&o, "Volume by mailbox", &r->by_mailbox);
	counts_table(&o, "Volume by queue", &r->by_queue);
	counts_table(&o, "Volume by tag", &r->by_tag);
	counts_table(&o, "Competitor mentions", &r->competitors);
	report_out_str(&o, "</div>\n");
	stories_table(&o, r);
	breaches_table(&o, r);
	report_out_str(&o, "</main></body></html>\n");
	return report_out_done(&o, err);
}
