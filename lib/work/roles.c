/*
 * Roles: who an address is, and what each role may do.  See roles.h.
 */
#include "roles.h"

#include <string.h>
#include <strings.h>

/* Rows: roles; columns: command kinds (enum command_kind order). */
static const struct {
	const char *role;
	const char *allowed; /* for refusals */
	unsigned may;	     /* bit (1u << CMD_x) */
} table[] = {
	{ "bdr", "every command", ~0u },
	{ "manager", "every command", ~0u },
	{ "sales", "#ack and #note", (1u << CMD_ACK) | (1u << CMD_NOTE) },
	{ "support", "#ack and #note", (1u << CMD_ACK) | (1u << CMD_NOTE) },
};
#define N_ROLES (sizeof(table) / sizeof(table[0]))

static int
row_of(const char *role)
{
	for (size_t i = 0; role != NULL && i < N_ROLES; i++) {
		if (strcmp(table[i].role, role) == 0)
			return (int)i;
	}
	return -1;
}

int
roles_may(const char *role, enum command_kind k)
{
	int i = row_of(role);

	return i >= 0 && (table[i].may & (1u << k)) != 0;
}

const char *
roles_allowed(const char *role)
{
	int i = row_of(role);

	return i >= 0 ? table[i].allowed : "nothing";
}

static int
is_routed_role(const char *role)
{
	return role != NULL &&
	       (strcmp(role, "sales") == 0 || strcmp(role, "support") == 0);
}

/* Does the route's `to` ("a@x, Name <b@y>") list `address`? */
static int
route_lists(const struct conf_route *r, const char *address)
{
	size_t alen = strlen(address);
	const char *p = r->to, *a;
	size_t n;

	while ((a = conf_list_next(&p, &n)) != NULL) {
		if (n == alen && strncasecmp(a, address, n) == 0)
			return 1;
	}
	return 0;
}

void
roles_who(const struct conf *c, const char *address, struct roles_who *who_r)
{
	struct roles_who w = { 0 };
	const struct conf_route *r;

	if (address == NULL || *address == '\0') {
		*who_r = w;
		return;
	}
	w.member = conf_member_by_address(c, address);
	if (w.member != NULL && is_routed_role(w.member->role)) {
		w.routed_side = 1;
		r = conf_route(c,
		    w.member->route != NULL ? w.member->route : w.member->role);
		w.route = r != NULL ? r->name : w.member->route;
	}
	for (size_t i = 0;
	     w.member == NULL && !w.routed_side && i < c->n_routes; i++) {
		if (route_lists(&c->routes[i], address)) {
			w.routed_side = 1;
			w.route = c->routes[i].name;
		}
	}
	*who_r = w;
}

int
roles_is_team(const struct conf *c, const char *address)
{
	struct roles_who w;

	roles_who(c, address, &w);
	return w.member != NULL || w.routed_side;
}

int
roles_reply_acks(const struct roles_who *who, const char *route)
{
	return who->routed_side && who->route != NULL && route != NULL &&
	       strcmp(who->route, route) == 0;
}
