/*
 * Who acts on the command line.  Members of the Unix group `triage` share
 * the database; the acting person is the Unix user mapped through the
 * config's `team` (a member's unix_user, which defaults to its name).
 * A Unix user outside the team may read but not change tickets, root
 * included, unless it says --as NAME; --as is for root and for members
 * with role "manager" only.  Every change records the real Unix user
 * beside the acting name (events.unix_user).
 *
 * This is accountability among colleagues, not a security boundary: a
 * member of group `triage` can write the database with sqlite3 directly.
 *
 * With no team configured (no config, or no `team` list) there is no one
 * to check against: the Unix user (or --as NAME) acts, as on a machine
 * with one person.
 */
#ifndef TRIAGE_ACTOR_H
#define TRIAGE_ACTOR_H

#include "conf.h"
#include "error.h"

/* What the command intends: only changes need an acting member. */
#define ACTOR_READS 0
#define ACTOR_CHANGES 1

struct actor {
	char *name;	 /* owned: the acting member (see actor_resolve) */
	char *unix_user; /* owned: the real Unix user */
};

/* The Unix user running the process: its name, or "uid N" without one. */
struct actor_unix {
	const char *user; /* foreign */
	int is_root;	  /* uid 0 */
};

/*
 * Decide who acts: `as` (NULL: not given) or u->user through the team of
 * `c` (NULL: no config).  With `intent` ACTOR_CHANGES a caller who maps
 * to no member is refused; with ACTOR_READS it reads as its Unix user
 * (a->name is then the Unix user name, for `queue --mine`).
 * Returns 0 and fills *a_r (actor_clear), or -1 with err: ERR_DENIED
 * (not in the team, or --as by someone who may not) or ERR_USAGE (--as
 * names no member).  The message says what to do instead.
 */
int actor_resolve(const struct conf *c, const struct actor_unix *u,
    const char *as, int intent, struct actor *a_r, struct error *err);
/* Free a's strings; a may be zeroed or already cleared. */
void actor_clear(struct actor *a);

#endif
