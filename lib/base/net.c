/* TCP connect with a timeout, loopback only on request; see net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;

	if (sa->sa_family == AF_INET) {
		in4 = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		       in6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* Connect one address within timeout_s; the fd, or -1 with errno set. */
static int
connect_one(const struct addrinfo *ai, int timeout_s)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, r, soerr = 0, flags;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno != EINPROGRESS)
		goto fail;
	if (r < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			r = poll(&pfd, 1, timeout_s * 1000);
		} while (r < 0 && errno == EINTR);
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr != 0) {
			errno = soerr;
			goto fail;
		}
	}
	/* libetpan waits with its own timeout before each read and write */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		goto fail;
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

int
net_connect(const char *host, int port, int loopback_only, int timeout_s,
    enum net_fail *fail_r, const char **detail_r)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[16];
	int fd = -1, r, tried = 0, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	r = getaddrinfo(host, service, &hints, &res);
	if (r != 0) {
		*fail_r = NET_RESOLVE;
		*detail_r = gai_strerror(r);
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		/* A password in clear text never leaves this machine. */
		if (loopback_only && !is_loopback(ai->ai_addr))
			continue;
		tried++;
		fd = connect_one(ai, timeout_s);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (tried == 0) {
		*fail_r = NET_REMOTE;
		*detail_r = "no loopback address";
		return -1;
	}
	if (fd < 0) {
		*fail_r = NET_CONNECT;
		*detail_r = strerror(saved);
	}
	return fd;
}

void
net_cut_init(struct net_cut *c)
{
	pthread_mutex_init(&c->lock, NULL);
	c->fd = -1;
	c->fired = 0;
}

void
net_cut_set(struct net_cut *c, int fd)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->fd = fd;
	if (c->fired && fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->lock);
}

void
net_cut_fire(struct net_cut *c)
{
	pthread_mutex_lock(&c->lock);
	c->fired = 1;
	if (c->fd >= 0)
		(void)shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->lock);
}

void
net_cut_destroy(struct net_cut *c)
{
	pthread_mutex_destroy(&c->lock);
}
