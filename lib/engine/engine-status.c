/*
 * What the engine reports about its mailboxes: the short STATUS= text
 * (the program hands it to systemd) and the status file beside the
 * database, which `triage status` reads.
 */
#include "engine-private.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "mailbox.h"

int
engine_status(struct engine *e, char *line, size_t size)
{
	struct mailbox_status *v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	if (e->d == NULL)
		return -1;
	daemon_status(e->d, &v, &n);
	mailbox_status_line(v, n, line, size);
	if (e->shared) { /* the lease keeper beats it into the database */
		free(v);
		return 0;
	}
	/* A full disk fails every write: say so once, and when it heals. */
	if (mailbox_status_write(e->status_path, getpid(), time(NULL), v, n,
		&err) < 0) {
		if (!e->status_failing)
			log_sink_say(&e->opts.log, LOG_LVL_WARN, NULL,
			    "status "
			    "file: %s (not repeated until it is written again)",
			    err.msg);
		e->status_failing = 1;
	} else if (e->status_failing) {
		log_sink_say(&e->opts.log, LOG_LVL_NOTICE, NULL,
		    "status file: written again");
		e->status_failing = 0;
	}
	free(v);
	return 0;
}
