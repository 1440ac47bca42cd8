/*
 * Loading triage.conf: read the file, walk it with the top-level key
 * table (conf-keys.c) and hand out the result only if nothing was wrong.
 * Above both conf.c (the walker) and conf-keys.c (the tables), so neither
 * of those calls the other back.
 */
#include "conf.h"

#include <libconfig.h>
#include <stdlib.h>

#include "conf-private.h"
#include "xalloc.h"

int
conf_load_flags(const char *path, unsigned flags, struct conf **conf_r,
    struct conf_errors *errs)
{
	struct loader l = { .path = path, .flags = flags, .errs = errs };
	size_t errors_before = errs->n;
	struct conf *c;
	config_t cfg;
	int r;

	config_init(&cfg);
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	r = conf_read_file(&l, &cfg);
	if (r < 0)
		goto out;
	conf_load_group(&l, &conf_top_table, l.root, c);
	r = errs->n > errors_before ? -1 : 0;
out:
	if (r == 0) {
		*conf_r = c;
		c = NULL;
	}
	conf_free(&c);
	config_destroy(&cfg);
	free(l.dir);
	return r;
}

int
conf_load(const char *path, struct conf **conf_r, struct conf_errors *errs)
{
	return conf_load_flags(path, 0, conf_r, errs);
}
