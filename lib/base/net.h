/*
 * TCP connections for the IMAP and SMTP clients: resolve, connect with a
 * timeout, and keep clear text on this machine.
 */
#ifndef TRIAGE_NET_H
#define TRIAGE_NET_H

#include <pthread.h>

enum net_fail {
	NET_RESOLVE = 1, /* the name did not resolve */
	NET_REMOTE,	 /* loopback_only, and no address was loopback */
	NET_CONNECT,	 /* every address refused, timed out, ... */
};

/*
 * Connect to host:port, trying each address in turn, each within
 * timeout_s.  With loopback_only set, addresses that are not loopback
 * (judged by the address: "localhost" can lie) are never tried.
 * Returns a blocking, close-on-exec socket, or -1 with *fail_r set and
 * *detail_r pointing at the resolver's or the system's reason.
 */
int net_connect(const char *host, int port, int loopback_only, int timeout_s,
    enum net_fail *fail_r, const char **detail_r);

/*
 * A connection another thread may cut.  The thread that owns a socket
 * publishes it while a call may block on it (net_cut_set, -1 before the
 * socket is closed); a thread that is stopping the owner calls
 * net_cut_fire, which shuts the socket down so the blocked read or
 * write returns at once.  Once fired, a socket published later is shut
 * down as it is published.
 */
struct net_cut {
	pthread_mutex_t lock;
	int fd;	   /* under lock; -1: none */
	int fired; /* under lock */
};

void net_cut_init(struct net_cut *c);
/* Publish fd (-1: none).  A no-op on a NULL c. */
void net_cut_set(struct net_cut *c, int fd);
void net_cut_fire(struct net_cut *c);
void net_cut_destroy(struct net_cut *c);

#endif
