/*
 * Who may command: is the sender of a message a team member, and (when
 * the configuration asks for it) did the trusted receiving host vouch
 * for the sender's domain?  Pure: reads the parsed message only.
 *
 * Membership is a case-insensitive match of the From addr-spec against
 * the team addresses; the display name is never looked at, so
 * `"alice@example.com" <mallory@evil.test>` is mallory.  A message with
 * more than one From header, or more than one address in From, is
 * refused.
 *
 * Authentication-Results (RFC 8601): a receiving host prepends its
 * header above everything the sender wrote, so the header that counts
 * is the topmost one whose authserv-id is the trusted host; every other
 * one (from other hosts, or lower down — where a forger's copy would
 * be) is ignored.  It must show one of
 *	dkim=pass  with header.d (or header.i's domain) aligned,
 *	spf=pass   with smtp.mailfrom's domain aligned,
 *	dmarc=pass (with header.from, when given, equal to the From domain),
 * where aligned is relaxed: the same domain, or one is a subdomain of
 * the other.  The trusted host must stamp every message (a host that
 * adds several headers should put its verdict, or dmarc, in the topmost).
 */
#ifndef TRIAGE_AUTH_H
#define TRIAGE_AUTH_H

#include <stddef.h>

struct msg;
struct conf;

struct auth_decision {
	int allowed;	    /* 1: the sender may command */
	const char *member; /* foreign (the team array): the address that
			       matched, or NULL */
	char reason[512];   /* refused: why, for the event log;
			       allowed: on what grounds */
};

/*
 * Decide whether m's sender may command.  `team` holds n_team addresses
 * (addr-specs); `trusted` is the authserv-id whose Authentication-Results
 * count, or NULL when none are required.  Fills *d and returns d->allowed.
 * Never fails: anything unreadable is a refusal with its reason.
 */
int auth_check(const struct msg *m, const char *const *team, size_t n_team,
    const char *trusted, struct auth_decision *d);

/*
 * auth_check() with the team and trust_authentication_results of a
 * loaded configuration.  d->member points into c's team then.
 */
int auth_check_conf(const struct msg *m, const struct conf *c,
    struct auth_decision *d);

#endif
