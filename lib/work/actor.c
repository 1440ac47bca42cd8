/*
 * Who acts on the command line; see actor.h.  One function decides, so
 * the CLI's rule and its messages live in one place.
 */
#include "actor.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const struct conf_member *
member_by_unix_user(const struct conf *c, const char *user)
{
	for (size_t i = 0; i < c->n_team; i++) {
		const struct conf_member *m = &c->team[i];
		const char *u = m->unix_user != NULL ? m->unix_user : m->name;

		if (strcmp(u, user) == 0)
			return m;
	}
	return NULL;
}

/* --as NAME: root, or a manager, naming a member. */
static int
resolve_as(const struct conf *c, const struct actor_unix *u, const char *as,
    const char **name_r, struct error *err)
{
	const struct conf_member *me = member_by_unix_user(c, u->user);

	if (!u->is_root && (me == NULL || strcmp(me->role, "manager") != 0))
		return error_set(err, ERR_DENIED,
		    "--as %s: only root and team members with role "
		    "\"manager\" may act as someone else (Unix user '%s' is "
		    "%s)",
		    as, u->user,
		    me == NULL ? "not in the team" : "not a manager");
	if (conf_member_by_name(c, as) == NULL)
		return error_set(err, ERR_USAGE,
		    "--as %s: '%s' is not in the team of %s", as, as, c->path);
	*name_r = as;
	return 0;
}

int
actor_resolve(const struct conf *c, const struct actor_unix *u, const char *as,
    int intent, struct actor *a_r, struct error *err)
{
	const struct conf_member *me;
	const char *name = as != NULL ? as : u->user;

	if (c != NULL && c->n_team > 0 && as != NULL) {
		if (resolve_as(c, u, as, &name, err) < 0)
			return -1;
	} else if (c != NULL && c->n_team > 0) {
		me = member_by_unix_user(c, u->user);
		if (me != NULL)
			name = me->name;
		else if (intent == ACTOR_CHANGES)
			return error_set(err, ERR_DENIED,
			    "Unix user '%s' is not in the team of %s: it may "
			    "read tickets but not change them (%s)",
			    u->user, c->path,
			    u->is_root ?
				"root: act for a member with --as NAME" :
				"ask for unix_user = \"...\" on your "
				"team entry");
	}
	a_r->name = xstrdup(name);
	a_r->unix_user = xstrdup(u->user);
	return 0;
}

void
actor_clear(struct actor *a)
{
	free(a->name);
	free(a->unix_user);
	a->name = NULL;
	a->unix_user = NULL;
}
