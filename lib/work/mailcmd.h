/*
 * Applying mail commands: what the ingest pipeline (ingest_commit, for
 * the daemon's committer and `triage ingest`) calls right after a message
 * is stored, inside the same transaction, so a message and what it
 * commands commit together.
 *
 * command.h finds the commands, auth.h decides whether the sender may
 * give them, the store's workflow functions apply them, and the answer
 * goes to the outbox (store_queue_answer; the outbox sender builds it
 * with forward_answer_build: Auto-Submitted: auto-replied, X-Loop ...).
 *
 * What happens to a stored message (README "Mail commands"):
 *   no command line and no plus-address tag     nothing
 *   a copy already stored from another mailbox  nothing (applied once)
 *   sender not on the team, or not vouched for  a "command-refused" event
 *     by trust_authentication_results           on its ticket; nothing
 *                                               applied, no answer
 *   team, but auto-submitted, a bounce, or our  a "command-ignored" event;
 *     own mail (robots do not command)          nothing applied, no answer
 *   team, names no existing ticket (threading   an error answer; the ticket
 *     opened a new one)                         it opened is closed when no
 *                                               customer is on it
 *   team, any error (a bad line, an unknown     nothing applied, a
 *     route, "claimed by X", an illegal         "command-failed" event and
 *     transition)                               an answer with the errors
 *   team, a command its role may not give       the same, naming the role
 *     (roles_may: sales/support #ack and #note)
 *   team, all fine                              every command applied in
 *                                               order, as the member (source
 *                                               "mail"); a confirmation
 *   our own mail come back (a verified token)   nothing at all
 * And whatever its commands: a reply from the routed side (roles.h) on
 * a ticket routed to its route acknowledges it ("ack", source "mail").
 * Answers go only where forward_answer_allowed() says so, at most
 * MAILCMD_ANSWERS_PER_DAY per sender in any 24 hours.
 */
#ifndef TRIAGE_MAILCMD_H
#define TRIAGE_MAILCMD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct conf;
struct msg;
struct store;
struct store_ingest_result;

/* Answers to one sender in any 24 hours; more are dropped (an event). */
#define MAILCMD_ANSWERS_PER_DAY 100

enum mailcmd_outcome {
	MAILCMD_NONE = 0, /* nothing commanded (or a copy, or a duplicate) */
	MAILCMD_REFUSED,  /* not a team member: nothing applied */
	MAILCMD_IGNORED,  /* team, but auto-submitted or our own */
	MAILCMD_FAILED,	  /* team: errors, nothing applied */
	MAILCMD_APPLIED,  /* team: every command applied */
};

struct mailcmd_result {
	enum mailcmd_outcome outcome;
	int64_t ticket_id; /* the ticket commanded (0: none named) */
	size_t n_commands; /* commands found */
	size_t n_errors;   /* errors reported in the answer */
	int64_t answer_id; /* outbox row of the answer, 0 when none */
	int acked;	   /* 1: the reply acknowledged the ticket */
};

/*
 * The commands in `msg` (a reply's new text and the plus-address tags
 * of c's shared addresses), without touching the database: the daemon
 * parses on its fetching thread, the committer only applies.  Returns
 * 0 and sets *list_r (free with command_list_free), or -1 with err set.
 */
struct command_list;
int mailcmd_parse(const struct conf *c, const struct msg *msg,
    struct command_list **list_r, struct error *err);

/*
 * Apply what stored message `msg` commands.  `parsed` is what
 * mailcmd_parse() found in it, or NULL to parse it here.  `ing` is store_ingest_msg()'s
 * result for it; `c` gives the team, routes, trust_authentication_results,
 * the shared addresses (for plus-address tags) and smtp.from (our own
 * address, for loop protection).  `answers_per_day` caps answers per
 * sender (0: MAILCMD_ANSWERS_PER_DAY).  Times come from the store's clock.
 *
 * Call it inside the transaction that stored the message.  Everything it
 * does is one unit of work: refused or failed commands leave only their
 * event and answer behind.  Returns 0 and fills *res_r (may be NULL)
 * for every outcome above; -1 with err set only when the database failed
 * (ERR_TEMP: retry the batch; the store's codes otherwise), and then
 * nothing of it remains.  A NULL msg (the message did not parse) commands
 * nothing.
 */
int mailcmd_apply(struct store *st, const struct conf *c, const struct msg *msg,
    const struct command_list *parsed, const struct store_ingest_result *ing,
    int answers_per_day, struct mailcmd_result *res_r, struct error *err);

/*
 * Build the mail of answer row `outbox_id` (what mailcmd_apply queued),
 * for the outbox sender: from `s` to the row's recipient, "Re:" the
 * command mail's subject, In-Reply-To / References to it, dated `now`,
 * with Auto-Submitted: auto-replied, X-Auto-Response-Suppress: All and
 * X-Loop (forward_answer_build); the row id makes its Message-ID, so a
 * rebuilt retry carries the same one.  Returns 0 and fills *mail_r (free
 * with forward_mail_clear), or -1: ERR_NOTFOUND for no such answer row,
 * forward_answer_build's codes otherwise.
 */
struct forward_mail;
struct forward_sender;
int mailcmd_answer_build(struct store *st, int64_t outbox_id,
    const struct forward_sender *s, int64_t now, struct forward_mail *mail_r,
    struct error *err);

/* "none" "refused" "ignored" "failed" "applied". */
const char *mailcmd_outcome_name(enum mailcmd_outcome o);

#endif
