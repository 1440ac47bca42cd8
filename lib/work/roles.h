/*
 * Who someone is to triage, and what their role lets them do: the one
 * place that decides it (triage(1) "Roles" prints the same table).
 *
 *   bdr, manager     every mail command (managers' extras, --as and
 *                    --steal, are the CLI's)
 *   sales, support   #ack and #note; a reply of theirs on a thread
 *                    routed to their route acknowledges it, is stored as
 *                    team mail (internal or out, never the customer's)
 *                    and is never forwarded back to them
 *
 * The routed side is a member with role sales or support, or any
 * address a route forwards to (a helpdesk that is nobody in `team`).
 */
#ifndef TRIAGE_ROLES_H
#define TRIAGE_ROLES_H

#include "command.h"
#include "conf.h"

struct roles_who {
	const struct conf_member *member; /* foreign (c's team), or NULL */
	/* foreign: the route whose forwards this address takes (a member's
	 * `route`, else the route named as its role, else the route that
	 * lists the address); NULL for BDRs, managers and outsiders */
	const char *route;
	int routed_side; /* 1: sales/support member or a route's address */
};

/* Look `address` up in `c` (case-insensitive).  Never fails. */
void roles_who(const struct conf *c, const char *address,
    struct roles_who *who_r);

/*
 * Is `address` on our side: a team member or a route's address?  Ingest
 * stores such mail as team mail (store_set_team).
 */
int roles_is_team(const struct conf *c, const char *address);

/*
 * May a member of `role` ("bdr" "manager" "sales" "support") give
 * command `k`?  1 yes, 0 no (an unknown role may do nothing).
 */
int roles_may(const char *role, enum command_kind k);

/* "#ack, #note": what `role` may do, for a refusal.  Static. */
const char *roles_allowed(const char *role);

/*
 * Does a reply from `who` acknowledge a ticket routed on `route`?  Only
 * the routed side's, on their own route.
 */
int roles_reply_acks(const struct roles_who *who, const char *route);

#endif
