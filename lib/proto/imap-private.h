/*
 * What imap.c and imap-fetch.c share; nothing outside lib/imap*.c
 * includes this.
 */
#ifndef TRIAGE_IMAP_PRIVATE_H
#define TRIAGE_IMAP_PRIVATE_H

#include <libetpan/libetpan.h>

#include "imap.h"

struct imap {
	mailimap *session; /* owned */
	char *label;	   /* owned: "host:port (user)" for messages */
	int timeout_s;
	int broken;    /* the stream is unusable: all calls fail */
	int trycreate; /* the last move was refused with [TRYCREATE] */
};

/*
 * Translate a libetpan result r into *err and return -1: a broken stream
 * is ERR_CONN (and marks the connection unusable), a refusal is `refused`
 * with the server's own words.  `what` names the command.
 */
int imap_fail(struct imap *imap, int r, enum err_code refused, const char *what,
    struct error *err);
/* 0, or -1 with ERR_CONN when an earlier call broke the connection. */
int imap_check_usable(struct imap *imap, const char *what, struct error *err);

#endif
