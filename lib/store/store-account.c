/*
 * Key accounts in the store: the address of a ticket's account owner,
 * for "#route owner" / "triage route ID owner" and the outbox that
 * forwards such a routing.  The store looks the customer up in the
 * accounts given by store_set_accounts(), so every caller resolves the
 * owner the same way, here.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdlib.h>

#include "accounts.h"
#include "xalloc.h"

int
store_owner_address(struct store *st, int64_t id, const struct conf *c,
    char **addr_r, struct error *err)
{
	const struct account *acct = NULL;
	const char *addr;
	struct db_stmt *s = NULL;
	char *customer = NULL;
	int r;

	r = store_prepare(st, &s, "SELECT customer FROM tickets WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = db_step(s);
	if (r == DB_ROW)
		customer = store_col_text(s, 0);
	else if (r == DB_DONE)
		error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	else
		store_sqlerr(st, err, "ticket customer");
	store_release(st, &s);
	if (r != DB_ROW)
		return -1;
	if (customer != NULL && st->accounts != NULL)
		acct = accounts_lookup_address(st->accounts, customer);
	addr = acct != NULL ? accounts_owner_address(acct->owner, c) : NULL;
	if (acct == NULL)
		r = error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " has no "
		    "key account (customer %s)",
		    id, customer != NULL ? customer : "unknown");
	else if (acct->owner == NULL)
		r = error_set(err, ERR_REFUSED,
		    "key account \"%s\" of ticket #%" PRId64
		    " has no owner in accounts.csv",
		    acct->name, id);
	else if (addr == NULL)
		r = error_set(err, ERR_REFUSED,
		    "the key account owner '%s' "
		    "of ticket #%" PRId64 " is neither an address nor in the "
		    "team",
		    acct->owner, id);
	else
		*addr_r = xstrdup(addr);
	free(customer);
	return r == DB_ROW ? 0 : r;
}

int
store_route_owner(struct store *st, int64_t id, const struct conf *c,
    const char *note, const struct store_actor *a, struct error *err)
{
	char *addr = NULL;
	int r;

	r = store_owner_address(st, id, c, &addr, err);
	free(addr);
	if (r < 0)
		return -1;
	return store_route(st, id, STORE_ROUTE_OWNER, note, a, err);
}
