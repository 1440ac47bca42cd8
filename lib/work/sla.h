/*
 * SLA clocks: business hours, deadlines, and the decision whether a
 * ticket is on time, at risk or breached and whether a reminder is due.
 *
 * Everything here is a pure function of plain data and an explicit `now`
 * (Unix seconds), so the daemon passes the real time and tests pass a
 * controlled clock.  Instants are int64_t Unix seconds (UTC).
 *
 * Business hours ("Mon-Fri 09:00-18:00 Europe/Berlin") are computed in
 * the named zone with GLib's GTimeZone, which reads the system tz
 * database (/usr/share/zoneinfo) itself: no TZ environment variable, no
 * setenv()/tzset() races, and any number of zones at once.
 */
#ifndef TRIAGE_SLA_H
#define TRIAGE_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SLA_NEVER INT64_MAX

struct sla_hours;

/*
 * Parse "DAYS HH:MM-HH:MM [ZONE]": DAYS is a comma list of days or day
 * ranges ("Mon-Fri", "Sun-Thu", "Mon,Wed,Fri-Sat"; English three-letter
 * names, any case), the window is local time with 24:00 allowed as the
 * close, ZONE is an IANA name (default "UTC").  Returns 0 and sets
 * *hours_r (free with sla_hours_free), or -1 with a message in *err.
 */
int sla_hours_parse(const char *spec, struct sla_hours **hours_r,
    struct error *err);
void sla_hours_free(struct sla_hours **hp);
/*
 * A time zone for local days and times, as hours that are always open:
 * `name` an IANA name ("Europe/Berlin"), NULL the system's (TZ, else
 * /etc/localtime) read once here.  Its spec is the zone's name.  GLib
 * reads the tz database itself: no setenv()/tzset(), no localtime_r.
 * Returns 0, or -1 with err (ERR_CONF: no such zone).
 */
int sla_zone(const char *name, struct sla_hours **zone_r, struct error *err);
/* `t` as "2026-11-09 10:00 CET" in h's zone (UTC for h NULL). */
void sla_local_format(const struct sla_hours *h, int64_t t, char *buf,
    size_t size);

/* The name of h's zone ("Europe/Berlin"). */
const char *sla_hours_zone(const struct sla_hours *h);
/* The spec as given, for messages. */
const char *sla_hours_spec(const struct sla_hours *h);

/*
 * Business seconds in [from, to): the overlap with the opening windows.
 * h NULL means the clock always runs (to - from).  0 when to <= from.
 */
int64_t sla_business_seconds(const struct sla_hours *h, int64_t from,
    int64_t to);

/*
 * The earliest instant at which `secs` business seconds have passed since
 * `from` (for deadlines); `from` itself when secs <= 0.  h NULL: from +
 * secs.
 */
int64_t sla_business_deadline(const struct sla_hours *h, int64_t from,
    int64_t secs);

/* 1 when `t` is inside an opening window (always 1 for h NULL). */
int sla_hours_open(const struct sla_hours *h, int64_t t);

/*
 * Local calendar days in the hours' zone (UTC for h NULL), as days since
 * 1970-01-01: for per-day volume and "yesterday".  sla_day_start gives
 * the instant local day `day` begins.
 */
int64_t sla_local_day(const struct sla_hours *h, int64_t t);
int64_t sla_day_start(const struct sla_hours *h, int64_t day);

/*
 * The first instant strictly after `after` when the local clock (in the
 * hours' zone, UTC for h NULL) reads `at` seconds past midnight: when the
 * next digest is due.  A digest is due when now >= sla_digest_next(h,
 * at, last_sent).
 */
int64_t sla_digest_next(const struct sla_hours *h, int at, int64_t after);
/* Parse "HH:MM" into seconds past midnight; -1 if bad (24:00 allowed). */
int sla_parse_hhmm(const char *s, int *secs_r);

/* What the SLA watches: which clock runs in a ticket's state. */
enum sla_clock {
	SLA_CLOCK_NONE = 0, /* claimed, acknowledged, closed: no clock */
	SLA_CLOCK_CLAIM,    /* new: must be claimed within sla.claim */
	SLA_CLOCK_ACK,	    /* routed: must be acknowledged in time */
};

enum sla_state {
	SLA_STATE_NEW,
	SLA_STATE_CLAIMED,
	SLA_STATE_ROUTED,
	SLA_STATE_ACKED,
	SLA_STATE_CLOSED, /* closed, ignored: nothing more is owed */
};

enum sla_status {
	SLA_OK = 0,
	SLA_AT_RISK, /* past at_risk_pct of the limit */
	SLA_BREACHED,
};

struct sla_policy {
	int64_t claim;		       /* seconds; 0: no claim clock */
	int64_t acknowledge;	       /* seconds; 0: no acknowledge clock */
	int at_risk_pct;	       /* at risk from this share; 0 means 75 */
	const struct sla_hours *hours; /* foreign; NULL: clock time */
};

/*
 * What the decision needs to know about a ticket.  A clock is identified
 * by its kind and its start (`since`): every state change (claim, route,
 * reopen) moves `since` and so arms a fresh clock.  The caller records
 * the clock a reminder went out for (reminded_clock, reminded_since); a
 * reminder is due only when the running clock is breached and is not the
 * one recorded, so a breach reminds exactly once.
 */
struct sla_ticket {
	enum sla_state state;
	int64_t since;		       /* when it entered `state` (created,
				   reopened, routed) */
	enum sla_clock reminded_clock; /* SLA_CLOCK_NONE: never reminded */
	int64_t reminded_since;
};

struct sla_result {
	enum sla_clock clock; /* SLA_CLOCK_NONE: nothing runs */
	enum sla_status status;
	int64_t limit;	    /* business seconds allowed */
	int64_t elapsed;    /* business seconds used so far */
	int64_t at_risk_at; /* instant it turns at risk; SLA_NEVER */
	int64_t deadline;   /* instant it breaches; SLA_NEVER */
	int remind;	    /* 1: send one reminder now and record
				   (clock, since) as reminded */
	int64_t next_check; /* next instant the result can change;
				   SLA_NEVER when nothing is pending */
};

/* Decide for one ticket at `now`; fills *r completely. */
void sla_evaluate(const struct sla_policy *p, const struct sla_ticket *t,
    int64_t now, struct sla_result *r);

/* "claim" "acknowledge" ("none"); "ok" "at-risk" "breached". */
const char *sla_clock_name(enum sla_clock c);
const char *sla_status_name(enum sla_status s);
/* Ticket state names "new" "claimed" "routed" "acknowledged" "closed"
 * ("ignored" is closed); -1 if unknown. */
int sla_state_parse(const char *s, enum sla_state *state_r);

#endif
