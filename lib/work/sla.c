/* SLA clocks and business hours; see sla.h. */
#include "sla.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "xalloc.h"

#define DAY 86400
/* A deadline further than this many days away is not a deadline. */
#define MAX_WALK_DAYS (366 * 10)

/*
 * Local days 2000-01-01 .. 2059-12-31 are tabulated when the hours are
 * parsed, so the report can count business time for a million tickets
 * with a binary search each instead of walking days through the zone
 * (GLib looks intervals up linearly).  Outside that range the same
 * answers come from walking day by day.
 */
#define TABLE_FIRST_DAY 10957 /* 2000-01-01 */
#define TABLE_DAYS 21915      /* to 2060-01-01 */

struct sla_day {
	int64_t start;	     /* local midnight, as a UTC instant */
	int64_t open, close; /* the window; open == close: closed */
	int64_t cum;	     /* business seconds of the days before */
};

struct sla_hours {
	char *spec;	       /* owned, as given */
	unsigned days;	       /* bit 0 Sunday ... bit 6 Saturday */
	int open, close;       /* seconds past local midnight */
	GTimeZone *tz;	       /* owned reference */
	struct sla_day *table; /* owned, TABLE_DAYS + 1 (end sentinel) */
};

static void table_build(struct sla_hours *h);

static const char *const day_names[7] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };
static const char *const clock_names[] = { "none", "claim", "acknowledge" };
static const char *const status_names[] = { "ok", "at-risk", "breached" };

/* floor(a / b) for b > 0, also for negative a. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

static int
weekday(int64_t day)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((day % 7) + 7 + 4) % 7);
}

static int
day_parse(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int i = 0; i < 7; i++) {
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* "Mon-Fri,Sun" into a bit set; -1 with *err set if bad. */
static int
days_parse(const char *s, unsigned *days_r, struct error *err)
{
	unsigned days = 0;
	const char *p = s;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *dash = memchr(p, '-', n);
		int a, b;

		if (dash != NULL) {
			a = day_parse(p, (size_t)(dash - p));
			b = day_parse(dash + 1, n - (size_t)(dash - p) - 1);
		} else {
			a = b = day_parse(p, n);
		}
		if (a < 0 || b < 0)
			return error_set(err, ERR_CONF,
			    "business hours: "
			    "unknown day in \"%.*s\" (Mon Tue Wed Thu Fri "
			    "Sat Sun)",
			    (int)n, p);
		/* A range may wrap round the week end: Fri-Mon. */
		for (int d = a;; d = (d + 1) % 7) {
			days |= 1u << d;
			if (d == b)
				break;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*days_r = days;
	return 0;
}

int
sla_parse_hhmm(const char *s, int *secs_r)
{
	int h, m;

	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || s[2] != ':' ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	*secs_r = h * 3600 + m * 60;
	return 0;
}

static int
window_parse(const char *s, int *open_r, int *close_r, struct error *err)
{
	char a[6], b[6];

	if (strlen(s) != 11 || s[5] != '-')
		return error_set(err, ERR_CONF,
		    "business hours: bad window "
		    "\"%s\" (want HH:MM-HH:MM)",
		    s);
	memcpy(a, s, 5);
	a[5] = '\0';
	memcpy(b, s + 6, 5);
	b[5] = '\0';
	if (sla_parse_hhmm(a, open_r) < 0 || *open_r == DAY)
		return error_set(err, ERR_CONF,
		    "business hours: bad time "
		    "\"%s\"",
		    a);
	if (sla_parse_hhmm(b, close_r) < 0)
		return error_set(err, ERR_CONF,
		    "business hours: bad time "
		    "\"%s\"",
		    b);
	if (*close_r <= *open_r)
		return error_set(err, ERR_CONF,
		    "business hours: closing "
		    "time %s is not after opening time %s",
		    b, a);
	return 0;
}

int
sla_hours_parse(const char *spec, struct sla_hours **hours_r, struct error *err)
{
	struct sla_hours *h = xcalloc(1, sizeof(*h));
	char *copy = xstrdup(spec), *save = NULL, *tok[4];
	const char *zone;
	int n = 0, r = -1;

	for (char *t = strtok_r(copy, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			break;
		tok[n++] = t;
	}
	if (n < 2 || n > 3) {
		error_set(err, ERR_CONF,
		    "business hours \"%s\": want \"DAYS "
		    "HH:MM-HH:MM [ZONE]\", e.g. \"Mon-Fri 09:00-18:00 "
		    "Europe/Berlin\"",
		    spec);
		goto out;
	}
	if (days_parse(tok[0], &h->days, err) < 0)
		goto out;
	if (window_parse(tok[1], &h->open, &h->close, err) < 0)
		goto out;
	zone = n == 3 ? tok[2] : "UTC";
	/* A tzdata name; GLib also takes a POSIX TZ rule ("CET-1CEST"). */
	h->tz = g_time_zone_new_identifier(zone);
	if (h->tz == NULL) {
		error_set(err, ERR_CONF,
		    "business hours: unknown time zone "
		    "\"%s\" (an IANA name like Europe/Berlin)",
		    zone);
		goto out;
	}
	h->spec = xstrdup(spec);
	table_build(h);
	*hours_r = h;
	h = NULL;
	r = 0;
out:
	free(copy);
	sla_hours_free(&h);
	return r;
}

const char *
sla_hours_zone(const struct sla_hours *h)
{
	return g_time_zone_get_identifier(h->tz);
}

int
sla_zone(const char *name, struct sla_hours **zone_r, struct error *err)
{
	struct sla_hours *h = xcalloc(1, sizeof(*h));

	h->tz = name != NULL ? g_time_zone_new_identifier(name) :
			       g_time_zone_new_local();
	if (h->tz == NULL) {
		free(h);
		return error_set(err, ERR_CONF,
		    "unknown time zone \"%s\" (an IANA name like "
		    "Europe/Berlin)",
		    name);
	}
	h->days = 0x7f;
	h->open = 0;
	h->close = (int)DAY;
	h->spec = xstrdup(g_time_zone_get_identifier(h->tz));
	table_build(h);
	*zone_r = h;
	return 0;
}

void
sla_local_format(const struct sla_hours *h, int64_t t, char *buf, size_t size)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t), *local = NULL;
	gchar *s = NULL;

	if (utc != NULL && h != NULL)
		local = g_date_time_to_timezone(utc, h->tz);
	if (local != NULL)
		s = g_date_time_format(local, "%Y-%m-%d %H:%M %Z");
	else if (utc != NULL)
		s = g_date_time_format(utc, "%Y-%m-%d %H:%M UTC");
	snprintf(buf, size, "%s", s != NULL ? s : "?");
	g_free(s);
	if (local != NULL)
		g_date_time_unref(local);
	if (utc != NULL)
		g_date_time_unref(utc);
}

void
sla_hours_free(struct sla_hours **hp)
{
	struct sla_hours *h = *hp;

	if (h == NULL)
		return;
	if (h->tz != NULL)
		g_time_zone_unref(h->tz);
	free(h->table);
	free(h->spec);
	free(h);
	*hp = NULL;
}

const char *
sla_hours_spec(const struct sla_hours *h)
{
	return h != NULL ? h->spec : "";
}

/* The zone's offset from UTC at instant t; 0 for h NULL. */
static int64_t
utc_offset(const struct sla_hours *h, int64_t t)
{
	int iv;

	if (h == NULL)
		return 0;
	iv = g_time_zone_find_interval(h->tz, G_TIME_TYPE_UNIVERSAL, t);
	if (iv < 0)
		return 0;
	return g_time_zone_get_offset(h->tz, iv);
}

/*
 * The instant a local wall-clock time happens.  A time skipped by a DST
 * change moves forward to when the clock resumes; a time that happens
 * twice takes the first (summer-time) reading.
 */
static int64_t
local_to_utc(const struct sla_hours *h, int64_t local)
{
	gint64 t = local;
	int iv;

	if (h == NULL)
		return local;
	iv = g_time_zone_find_interval(h->tz, G_TIME_TYPE_DAYLIGHT, t);
	if (iv < 0) {
		iv = g_time_zone_adjust_time(h->tz, G_TIME_TYPE_DAYLIGHT, &t);
		if (iv < 0)
			return local;
	}
	return t - g_time_zone_get_offset(h->tz, iv);
}

/* The local day of t by walking the zone (no table). */
static int64_t
zone_local_day(const struct sla_hours *h, int64_t t)
{
	return floor_div(t + utc_offset(h, t), DAY);
}

/* The opening window of local day `day`; 0 if closed that day. */
static int
day_window(const struct sla_hours *h, int64_t day, int64_t *open_r,
    int64_t *close_r)
{
	if ((h->days & (1u << weekday(day))) == 0)
		return 0;
	*open_r = local_to_utc(h, day * DAY + h->open);
	*close_r = local_to_utc(h, day * DAY + h->close);
	return *close_r > *open_r;
}

static void
table_build(struct sla_hours *h)
{
	int64_t cum = 0;

	h->table = xcalloc(TABLE_DAYS + 1, sizeof(*h->table));
	for (int i = 0; i <= TABLE_DAYS; i++) {
		struct sla_day *d = &h->table[i];
		int64_t day = TABLE_FIRST_DAY + i;

		d->start = local_to_utc(h, day * DAY);
		if (!day_window(h, day, &d->open, &d->close))
			d->open = d->close = d->start;
		d->cum = cum;
		cum += d->close - d->open;
	}
}

/* Index of the tabulated day holding t, or -1 outside the table. */
static int
table_day(const struct sla_hours *h, int64_t t)
{
	int64_t i;

	if (t < h->table[0].start || t >= h->table[TABLE_DAYS].start)
		return -1;
	/* Days are 23 to 25 hours long: the guess is off by one at most. */
	i = (t - h->table[0].start) / DAY;
	if (i >= TABLE_DAYS)
		i = TABLE_DAYS - 1;
	while (i > 0 && h->table[i].start > t)
		i--;
	while (i + 1 < TABLE_DAYS && h->table[i + 1].start <= t)
		i++;
	return (int)i;
}

/* Business seconds from the table's start to t (t inside the table). */
static int64_t
table_elapsed(const struct sla_hours *h, int i, int64_t t)
{
	const struct sla_day *d = &h->table[i];

	if (t <= d->open)
		return d->cum;
	if (t >= d->close)
		return d->cum + (d->close - d->open);
	return d->cum + (t - d->open);
}

int64_t
sla_local_day(const struct sla_hours *h, int64_t t)
{
	int i;

	if (h == NULL)
		return floor_div(t, DAY);
	i = table_day(h, t);
	if (i >= 0)
		return TABLE_FIRST_DAY + i;
	return zone_local_day(h, t);
}

int64_t
sla_day_start(const struct sla_hours *h, int64_t day)
{
	return local_to_utc(h, day * DAY);
}

static int64_t
walk_seconds(const struct sla_hours *h, int64_t from, int64_t to)
{
	int64_t sum = 0, first, last, open, close;

	first = zone_local_day(h, from);
	last = zone_local_day(h, to);
	for (int64_t d = first; d <= last; d++) {
		if (!day_window(h, d, &open, &close))
			continue;
		if (open < from)
			open = from;
		if (close > to)
			close = to;
		if (close > open)
			sum += close - open;
	}
	return sum;
}

int64_t
sla_business_seconds(const struct sla_hours *h, int64_t from, int64_t to)
{
	int a, b;

	if (to <= from)
		return 0;
	if (h == NULL)
		return to - from;
	a = table_day(h, from);
	b = table_day(h, to);
	if (a < 0 || b < 0)
		return walk_seconds(h, from, to);
	return table_elapsed(h, b, to) - table_elapsed(h, a, from);
}

static int64_t
walk_deadline(const struct sla_hours *h, int64_t from, int64_t secs)
{
	int64_t day, open, close;

	day = zone_local_day(h, from);
	for (int i = 0; i < MAX_WALK_DAYS; i++, day++) {
		if (!day_window(h, day, &open, &close))
			continue;
		if (open < from)
			open = from;
		if (close <= open)
			continue;
		if (secs <= close - open)
			return open + secs;
		secs -= close - open;
	}
	return SLA_NEVER;
}

int64_t
sla_business_deadline(const struct sla_hours *h, int64_t from, int64_t secs)
{
	int64_t target;
	int a, lo, hi;

	if (secs <= 0)
		return from;
	if (h == NULL)
		return from + secs;
	a = table_day(h, from);
	if (a < 0)
		return walk_deadline(h, from, secs);
	target = table_elapsed(h, a, from) + secs;
	if (h->table[TABLE_DAYS].cum < target)
		return walk_deadline(h, from, secs);
	/* the first day whose end of business reaches the target */
	lo = a;
	hi = TABLE_DAYS - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (h->table[mid + 1].cum >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return h->table[lo].open + (target - h->table[lo].cum);
}

int
sla_hours_open(const struct sla_hours *h, int64_t t)
{
	int64_t open, close;

	if (h == NULL)
		return 1;
	if (!day_window(h, sla_local_day(h, t), &open, &close))
		return 0;
	return t >= open && t < close;
}

int64_t
sla_digest_next(const struct sla_hours *h, int at, int64_t after)
{
	int64_t day = sla_local_day(h, after);

	for (int i = 0; i < 3; i++, day++) {
		int64_t t = local_to_utc(h, day * DAY + at);

		if (t > after)
			return t;
	}
	return SLA_NEVER;
}

static int64_t
clock_limit(const struct sla_policy *p, enum sla_state state,
    enum sla_clock *clock_r)
{
	switch (state) {
	case SLA_STATE_NEW:
		*clock_r = SLA_CLOCK_CLAIM;
		return p->claim;
	case SLA_STATE_ROUTED:
		*clock_r = SLA_CLOCK_ACK;
		return p->acknowledge;
	default:
		*clock_r = SLA_CLOCK_NONE;
		return 0;
	}
}

void
sla_evaluate(const struct sla_policy *p, const struct sla_ticket *t,
    int64_t now, struct sla_result *r)
{
	int pct =
	    p->at_risk_pct > 0 && p->at_risk_pct <= 100 ? p->at_risk_pct : 75;
	enum sla_clock clock;
	int64_t limit = clock_limit(p, t->state, &clock);

	memset(r, 0, sizeof(*r));
	r->at_risk_at = r->deadline = r->next_check = SLA_NEVER;
	if (clock == SLA_CLOCK_NONE || limit <= 0)
		return;
	r->clock = clock;
	r->limit = limit;
	r->elapsed = sla_business_seconds(p->hours, t->since, now);
	r->deadline = sla_business_deadline(p->hours, t->since, limit);
	r->at_risk_at =
	    sla_business_deadline(p->hours, t->since, limit * pct / 100);
	if (now >= r->deadline) {
		r->status = SLA_BREACHED;
		/* One reminder per clock: this clock is (kind, since). */
		r->remind = !(t->reminded_clock == clock &&
			      t->reminded_since == t->since);
	} else if (now >= r->at_risk_at) {
		r->status = SLA_AT_RISK;
		r->next_check = r->deadline;
	} else {
		r->status = SLA_OK;
		r->next_check = r->at_risk_at;
	}
}

const char *
sla_clock_name(enum sla_clock c)
{
	return c <= SLA_CLOCK_ACK ? clock_names[c] : "?";
}

const char *
sla_status_name(enum sla_status s)
{
	return s <= SLA_BREACHED ? status_names[s] : "?";
}

int
sla_state_parse(const char *s, enum sla_state *state_r)
{
	static const struct {
		const char *name;
		enum sla_state state;
	} map[] = {
		{ "new", SLA_STATE_NEW },
		{ "claimed", SLA_STATE_CLAIMED },
		{ "routed", SLA_STATE_ROUTED },
		{ "acknowledged", SLA_STATE_ACKED },
		{ "closed", SLA_STATE_CLOSED },
		{ "ignored", SLA_STATE_CLOSED },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(s, map[i].name) == 0) {
			*state_r = map[i].state;
			return 0;
		}
	}
	return -1;
}
