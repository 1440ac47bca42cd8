/*
 * Key accounts: accounts.csv maps sender domains to an account name, a
 * tier and an owner.  Loaded once into an immutable lookup object; SIGHUP
 * builds a new one and swaps it in only if it loaded clean.
 *
 * The file is CSV (RFC 4180): a header row naming the columns domain,
 * account, tier and owner in any order (other columns are ignored), then
 * one row per domain.  Quoted fields may hold commas, "" and line breaks;
 * lines starting with '#' and blank lines are skipped.  A domain matches
 * its subdomains: "acme.com" covers "mail.eu.acme.com" but never
 * "notacme.com".
 */
#ifndef TRIAGE_ACCOUNTS_H
#define TRIAGE_ACCOUNTS_H

#include <stddef.h>

#include "verdict.h"

/* Account tiers, most important first. */
enum account_tier {
	TIER_STRATEGIC = 0,
	TIER_KEY,
	TIER_STANDARD,
	TIER_COUNT,
};

/* One row of accounts.csv; every string is owned by the struct accounts. */
struct account {
	const char *domain; /* lowercased, no leading '@' or '.' */
	const char *name;   /* the account's display name */
	enum account_tier tier;
	const char *owner; /* team member name or address; NULL: none */
	int line;	   /* line of the row in the file */
};

struct accounts;

/* Every problem found while loading, each "FILE:LINE: message". */
struct accounts_errors {
	char **v; /* owned */
	size_t n;
};

/*
 * Parse `len` bytes of CSV text; `name` is the file name used in error
 * messages.  On success returns 0 and sets *accounts_r (free with
 * accounts_free).  On any problem returns -1, leaves *accounts_r alone and
 * appends every problem found to *errs (free with accounts_errors_clear).
 */
int accounts_parse(const char *name, const char *text, size_t len,
    struct accounts **accounts_r, struct accounts_errors *errs);

/*
 * Read and parse `path` (at most 16 MiB); as accounts_parse.  A file that
 * cannot be read is one error "PATH: reason".
 */
int accounts_load(const char *path, struct accounts **accounts_r,
    struct accounts_errors *errs);

void accounts_errors_clear(struct accounts_errors *errs);
void accounts_free(struct accounts **ap);

/*
 * The account whose domain is the longest suffix of `domain` on a label
 * boundary (case-insensitive), or NULL.  The pointer lives as long as `a`.
 */
const struct account *accounts_lookup(const struct accounts *a,
    const char *domain);
/* The same for the domain part of an address "user@host"; NULL if none. */
const struct account *accounts_lookup_address(const struct accounts *a,
    const char *address);

size_t accounts_count(const struct accounts *a);
/* The i-th account, in domain order; i < accounts_count(a). */
const struct account *accounts_get(const struct accounts *a, size_t i);

/*
 * Where an account owner is mailed: `owner` itself when it is an address,
 * else the address of the team member of that name in `c`; NULL when
 * neither.
 */
struct conf;
const char *accounts_owner_address(const char *owner, const struct conf *c);

/*
 * What the rules see of a message (rules_classify's context): the
 * mailbox it arrived in and its sender's key account and tier (NULL
 * when `a` is NULL or the sender is no key account).  Every caller that
 * classifies (triaged's workers, triage ingest and reprocess) builds it
 * here.  The strings live as long as `a`, `m` and `mailbox`.
 */
struct msg;
struct rules_ctx;
void accounts_rules_ctx(const struct accounts *a, const struct msg *m,
    const char *mailbox, struct rules_ctx *ctx_r);

/* "strategic" "key" "standard"; tier_parse is case-insensitive, -1 if bad. */
const char *account_tier_name(enum account_tier t);
int account_tier_parse(const char *s, enum account_tier *t_r);
/* The priority a new ticket from an account of this tier starts at. */
enum priority account_tier_priority(enum account_tier t);
/*
 * The priority a new ticket starts at: the rules' (`rule`, PRIO_UNSET
 * when no rule set one), never below its key account tier's: the tier is
 * a floor later rules cannot lower.  `tier` NULL: no key account.
 */
enum priority account_start_priority(const enum account_tier *tier,
    enum priority rule);

#endif
