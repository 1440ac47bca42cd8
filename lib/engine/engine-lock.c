/*
 * One triaged per database.  Two on the same database would fetch every
 * message twice and race on the status file, so the engine holds an
 * exclusive flock(2) on a file beside the database ("triage.db.lock")
 * from engine_open to engine_free.  The kernel drops the lock when the
 * process dies, however it dies, so a stale file never blocks a start;
 * the file is never removed (unlinking a lock file races a second
 * opener).  The holder writes its pid into it for the refusal message.
 */
#include "engine-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "xalloc.h"

/* The pid the holder wrote, or 0 when the file names none (yet). */
static long
holder_pid(int fd)
{
	char buf[32];
	char *end;
	ssize_t n;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0)
		return 0;
	return pid;
}

/* Best effort: the pid only makes the refusal message better. */
static void
write_pid(int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)len, 0) < 0)
		return;
}

/* The lock is held: say by whom, as far as we know. */
static int
refuse(int fd, const char *path, struct error *err)
{
	long pid = holder_pid(fd);

	if (pid > 0)
		return error_set(err, ERR_REFUSED,
		    "%s: another triaged (pid %ld) runs on this database; "
		    "not starting",
		    path, pid);
	return error_set(err, ERR_REFUSED,
	    "%s: another triaged runs on this database; not starting", path);
}

int
engine_lock_take(const char *database, int *fd_r, struct error *err)
{
	char *path;
	int fd, r;

	xasprintf(&path, "%s.lock", database);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		r = error_set(err, ERR_INTERNAL, "%s: %s; not starting", path,
		    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			r = refuse(fd, path, err);
		else
			r = error_set(err, ERR_INTERNAL,
			    "%s: flock: %s; not starting", path,
			    strerror(errno));
		close(fd);
		goto out;
	}
	write_pid(fd);
	*fd_r = fd;
	r = 0;
out:
	free(path);
	return r;
}

void
engine_lock_release(int *fdp)
{
	if (*fdp < 0)
		return;
	/* No pid left for the next start to misreport; closing the only
	 * descriptor releases the flock. */
	if (ftruncate(*fdp, 0) < 0) {
		/* a stale pid is only shown, never trusted */
	}
	close(*fdp);
	*fdp = -1;
}
