/* The report record, its statistics and dispatch; see report.h. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "report-private.h"
#include "sla.h"
#include "xalloc.h"

static const char *const format_names[] = { "text", "json", "csv", "html" };

enum report_bucket
report_bucket_for(int64_t days)
{
	if (days <= REPORT_DAYS_MAX)
		return REPORT_BUCKET_DAY;
	if (days <= REPORT_WEEKS_MAX * 7)
		return REPORT_BUCKET_WEEK;
	return REPORT_BUCKET_MONTH;
}

void
report_init(struct report *r, int64_t from, int64_t to)
{
	memset(r, 0, sizeof(*r));
	r->from = from;
	r->to = to;
}

void
report_counts_clear(struct report_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].key);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static void
durations_clear(struct report_durations *d)
{
	free(d->clock);
	free(d->business);
	memset(d, 0, sizeof(*d));
}

void
report_tickets_clear(struct report_tickets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].subject);
		free(t->v[i].customer);
		free(t->v[i].account);
		free(t->v[i].owner);
		free(t->v[i].clock);
		free(t->v[i].queue);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void
report_clear(struct report *r)
{
	free(r->mailbox);
	free(r->hours);
	free(r->ticket_url);
	report_counts_clear(&r->by_mailbox);
	report_counts_clear(&r->by_queue);
	report_counts_clear(&r->by_tag);
	report_counts_clear(&r->by_day);
	report_counts_clear(&r->competitors);
	report_counts_clear(&r->breach_queues);
	report_counts_clear(&r->breach_owners);
	for (int i = 0; i < REPORT_TIME_COUNT; i++)
		durations_clear(&r->times[i]);
	for (size_t i = 0; i < r->n_bdrs; i++) {
		free(r->bdrs[i].name);
		durations_clear(&r->bdrs[i].to_claim);
		durations_clear(&r->bdrs[i].to_route);
	}
	free(r->bdrs);
	report_tickets_clear(&r->stories);
	report_tickets_clear(&r->breaches);
	report_init(r, 0, 0);
}

void
report_counts_add(struct report_counts *c, const char *key, int64_t n)
{
	/* Lists are short (mailboxes, tags): a scan is enough. */
	for (size_t i = c->n; i > 0; i--) {
		if (strcmp(c->v[i - 1].key, key) == 0) {
			c->v[i - 1].n += n;
			return;
		}
	}
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].key = xstrdup(key);
	c->v[c->n].n = n;
	c->n++;
}

int64_t
report_counts_get(const struct report_counts *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].key, key) == 0)
			return c->v[i].n;
	}
	return 0;
}

/* A sample as kept: seconds, cut at the bounds of 32 bits. */
static int32_t
sample(int64_t secs)
{
	if (secs > INT32_MAX)
		return INT32_MAX;
	return secs < INT32_MIN ? INT32_MIN : (int32_t)secs;
}

void
report_durations_add(struct report_durations *d, int64_t clock_secs,
    int64_t business_secs)
{
	if (d->n == d->alloc) {
		d->alloc = d->alloc != 0 ? d->alloc * 2 : 64;
		d->clock = xreallocarray(d->clock, d->alloc, sizeof(*d->clock));
		d->business =
		    xreallocarray(d->business, d->alloc, sizeof(*d->business));
	}
	d->clock[d->n] = sample(clock_secs);
	d->business[d->n] = sample(business_secs);
	d->n++;
}

struct report_bdr *
report_bdr(struct report *r, const char *name)
{
	struct report_bdr *b;

	for (size_t i = 0; i < r->n_bdrs; i++) {
		if (strcmp(r->bdrs[i].name, name) == 0)
			return &r->bdrs[i];
	}
	r->bdrs = xreallocarray(r->bdrs, r->n_bdrs + 1, sizeof(*r->bdrs));
	b = &r->bdrs[r->n_bdrs++];
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	return b;
}

struct report_ticket *
report_tickets_add(struct report_tickets *t, int64_t id, const char *subject,
    const char *customer, const char *account, const char *owner)
{
	struct report_ticket *k;

	/* twice the room each time n reaches a power of two: a year's
	   breaches are 100,000s of rows */
	if ((t->n & (t->n - 1)) == 0)
		t->v =
		    xreallocarray(t->v, t->n > 0 ? t->n * 2 : 1, sizeof(*t->v));
	k = &t->v[t->n++];
	memset(k, 0, sizeof(*k));
	k->id = id;
	k->subject = xstrdup_or_null(subject);
	k->customer = xstrdup_or_null(customer);
	k->account = xstrdup_or_null(account);
	k->owner = xstrdup_or_null(owner);
	return k;
}

int64_t
report_percentile(const int64_t *sorted, size_t n, int pct)
{
	size_t rank;

	if (n == 0)
		return 0;
	if (pct < 1)
		pct = 1;
	if (pct > 100)
		pct = 100;
	/* ceil(pct * n / 100), 1-based */
	rank = ((size_t)pct * n + 99) / 100;
	return sorted[rank - 1];
}

static void
swap32(int32_t *a, int32_t *b)
{
	int32_t t = *a;

	*a = *b;
	*b = t;
}

/*
 * Quickselect (median-of-three, Hoare partition): reorder v so that v[k]
 * is the value a full sort would put there, with nothing larger before
 * it.  O(n) on average, which keeps a million-ticket report well under
 * a sort's cost.
 */
static int32_t
select_kth(int32_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		int32_t pivot;

		if (v[mid] < v[lo])
			swap32(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap32(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap32(&v[hi], &v[mid]);
		pivot = v[mid];
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			swap32(&v[i], &v[j]);
			i++;
			j--;
		}
		/* now v[lo..j] <= pivot <= v[j+1..hi] */
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return v[k];
}

/* The same nearest rank as report_percentile, by selection. */
static void
stat_of(int32_t *v, size_t n, struct report_stat *s)
{
	size_t k90, k50;

	s->n = n;
	s->median = s->p90 = 0;
	if (n == 0)
		return;
	k90 = (90 * n + 99) / 100 - 1;
	k50 = (50 * n + 99) / 100 - 1;
	s->p90 = select_kth(v, n, k90);
	/* v[0..k90] now holds the k90 + 1 smallest samples */
	s->median = select_kth(v, k90 + 1, k50);
}

static void
durations_finish(struct report_durations *d)
{
	stat_of(d->clock, d->n, &d->clock_stat);
	stat_of(d->business, d->n, &d->business_stat);
}

static int
count_by_n_cmp(const void *a, const void *b)
{
	const struct report_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int
count_by_key_cmp(const void *a, const void *b)
{
	const struct report_count *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int
bdr_cmp(const void *a, const void *b)
{
	const struct report_bdr *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
ticket_cmp(const void *a, const void *b)
{
	const struct report_ticket *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void
counts_sort(struct report_counts *c, int (*cmp)(const void *, const void *))
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp);
}

/* Is breach a due before breach b (earlier deadline, then lower id)? */
static int
breach_older(const struct report_ticket *a, const struct report_ticket *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->id < b->id;
}

/* Breaches per queue and owner, and the oldest few, for summaries. */
static void
breaches_summary(struct report *r)
{
	const struct report_tickets *b = &r->breaches;

	report_counts_clear(&r->breach_queues);
	report_counts_clear(&r->breach_owners);
	r->n_oldest = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct report_ticket *t = &b->v[i];
		size_t k;

		report_counts_add(&r->breach_queues,
		    t->queue != NULL ? t->queue : "-", 1);
		report_counts_add(&r->breach_owners,
		    t->owner != NULL ? t->owner : "-", 1);
		/* insertion into the sorted top list */
		k = r->n_oldest;
		if (k == REPORT_OLDEST_BREACHES) {
			if (!breach_older(t, &b->v[r->oldest[k - 1]]))
				continue;
			k--;
		} else {
			r->n_oldest++;
		}
		while (k > 0 && breach_older(t, &b->v[r->oldest[k - 1]])) {
			r->oldest[k] = r->oldest[k - 1];
			k--;
		}
		r->oldest[k] = i;
	}
	counts_sort(&r->breach_queues, count_by_n_cmp);
	counts_sort(&r->breach_owners, count_by_n_cmp);
}

void
report_finish(struct report *r)
{
	const struct report_durations *claim;

	counts_sort(&r->by_mailbox, count_by_n_cmp);
	counts_sort(&r->by_queue, count_by_n_cmp);
	counts_sort(&r->by_tag, count_by_n_cmp);
	counts_sort(&r->competitors, count_by_n_cmp);
	counts_sort(&r->by_day, count_by_key_cmp);
	if (r->n_bdrs > 1)
		qsort(r->bdrs, r->n_bdrs, sizeof(*r->bdrs), bdr_cmp);
	if (r->stories.n > 1)
		qsort(r->stories.v, r->stories.n, sizeof(*r->stories.v),
		    ticket_cmp);
	if (r->breaches.n > 1)
		qsort(r->breaches.v, r->breaches.n, sizeof(*r->breaches.v),
		    ticket_cmp);
	breaches_summary(r);
	for (int i = 0; i < REPORT_TIME_COUNT; i++)
		durations_finish(&r->times[i]);
	for (size_t i = 0; i < r->n_bdrs; i++) {
		durations_finish(&r->bdrs[i].to_claim);
		durations_finish(&r->bdrs[i].to_route);
	}
	memset(r->hist, 0, sizeof(r->hist));
	claim = &r->times[REPORT_TO_CLAIM];
	for (size_t i = 0; i < claim->n; i++) {
		size_t b = 0;

		/* Clock time: how long the customer actually waited. */
		while (b < REPORT_HIST_BUCKETS - 1 &&
		       claim->clock[i] >= report_hist_upper(b))
			b++;
		r->hist[b]++;
	}
}

int
report_format_parse(const char *s, enum report_format *f_r)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names);
	     i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*f_r = (enum report_format)i;
			return 0;
		}
	}
	return -1;
}

int
report_render(const struct report *r, enum report_format f, struct buf *out,
    struct error *err)
{
	switch (f) {
	case REPORT_TEXT:
		return report_render_text(r, out, err);
	case REPORT_JSON:
		return report_render_json(r, out, err);
	case REPORT_CSV:
		return report_render_csv(r, out, err);
	case REPORT_HTML:
		return report_render_html(r, out, err);
	}
	return error_set(err, ERR_USAGE, "unknown report format %d", (int)f);
}

/* --since: the config's durations (90m, 24h, 7d, 2w, 1h30m), 100 years at most. */
static int
span_parse(const char *s, int64_t *secs_r)
{
	int64_t v;

	if (conf_duration(s, &v) < 0 || v <= 0 || v > 100 * 366 * 86400LL)
		return -1;
	*secs_r = v;
	return 0;
}

/*
 * A DATE option: an instant, or the start of a local day (plus one day
 * when `end` is set, since --to names the last day included).
 */
static int
date_parse(const char *s, const struct sla_hours *h, int end, int64_t *t_r)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (rest != NULL && *rest == '\0' && strlen(s) == 20) {
		*t_r = (int64_t)timegm(&tm);
		return *t_r >= 0 ? 0 : -1; /* 1970 .. 9999 */
	}
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest == NULL || *rest != '\0' || strlen(s) != 10 || tm.tm_year < 70)
		return -1;
	/* timegm at midnight UTC numbers the civil day */
	*t_r = sla_day_start(h, (int64_t)timegm(&tm) / 86400 + (end ? 1 : 0));
	return 0;
}

int
report_period(const char *since, const char *from, const char *to,
    const struct sla_hours *h, int64_t now, int64_t *from_r, int64_t *to_r,
    struct error *err)
{
	int64_t a, b = now, span;

	if (since != NULL && (from != NULL || to != NULL))
		return error_set(err, ERR_USAGE,
		    "--since and --from/--to "
		    "exclude each other");
	if (to != NULL && from == NULL)
		return error_set(err, ERR_USAGE, "--to needs --from");
	if (from == NULL) {
		if (span_parse(since != NULL ? since : "7d", &span) < 0)
			return error_set(err, ERR_USAGE,
			    "--since \"%s\": want "
			    "a duration like 90m, 24h, 7d, 2w or 1h30m",
			    since);
		a = now - span;
	} else {
		if (date_parse(from, h, 0, &a) < 0)
			return error_set(err, ERR_USAGE,
			    "--from \"%s\": want "
			    "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)",
			    from);
		if (to != NULL && date_parse(to, h, 1, &b) < 0)
			return error_set(err, ERR_USAGE,
			    "--to \"%s\": want "
			    "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)",
			    to);
	}
	if (b <= a)
		return error_set(err, ERR_USAGE,
		    "the period is empty (it "
		    "ends before it starts)");
	*from_r = a;
	*to_r = b;
	return 0;
}
