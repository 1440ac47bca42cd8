/*
 * A BDR's day around the ingest pipeline and the periodic job: the
 * decisions that need the config (who is on the team, whose address,
 * the assign block), over the store's rows (store.h "away and
 * auto-assignment").
 *
 *   desk_after_ingest  in the transaction that stored a message: the
 *                      customer's reply ends a wait and tells the
 *                      owner; a team member's auto-reply marks them
 *                      away and any other mail of theirs brings them
 *                      back; a new ticket in an assign queue is claimed
 *                      for the next present member
 *   desk_wait_due      the periodic job: waits whose --until has come
 *   desk_stand_in      whom a reminder for an away member goes to
 *
 * Each returns 0, or -1 with err set only when the database failed.
 */
#ifndef TRIAGE_DESK_H
#define TRIAGE_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

struct conf;
struct msg;
struct verdict;

/* Who acts for the daemon's own moves (source "daemon"). */
extern const struct store_actor desk_daemon;

int desk_after_ingest(struct store *st, const struct conf *c,
    const struct msg *m, const struct verdict *v,
    const struct store_ingest_result *ing, struct error *err);

/* End every wait whose until has come; *n_r: how many ended. */
int desk_wait_due(struct store *st, const struct conf *c, size_t *n_r,
    struct error *err);

/*
 * The address a reminder meant for team member `name` goes to, in
 * *to_r: theirs, or while they are away the first manager in `team` who
 * is not away; NULL when `name` is no member (the caller decides then)
 * or nobody is there.  Points into `c`.
 */
int desk_stand_in(struct store *st, const struct conf *c, const char *name,
    const char **to_r, struct error *err);

#endif
