/*
 * TCP connections for the IMAP and SMTP clients: resolve, connect with a
 * timeout, and keep clear text on this machine.
 */
#ifndef TRIAGE_NET_H
#define TRIAGE_NET_H

enum net_fail {
	NET_RESOLVE = 1,	/* the name did not resolve */
	NET_REMOTE,		/* loopback_only, and no address was loopback */
	NET_CONNECT,		/* every address refused, timed out, ... */
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

#endif
