/*
 * itest-imap-tls HOST PORT CA_FILE [NAME]: open TCP to HOST:PORT, run
 * tls_wrap() verifying against CA_FILE and NAME (default HOST), read the
 * server greeting through the resulting libetpan stream and print it.
 * On failure print tls_wrap's error text and exit 1.  Proves lib/proto/tls.c
 * against the harness's Dovecot (good / wrong-host / untrusted certs).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls.h"

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int fd, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		fprintf(stderr, "%s: %s\n", host, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		perror("connect");
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
main(int argc, char **argv)
{
	struct tls_opts opts;
	struct error err;
	mailstream_low *low = NULL;
	mailstream *s;
	char line[512];
	ssize_t n;
	int fd, r;

	if (argc < 4) {
		fprintf(stderr, "usage: itest-imap-tls HOST PORT CA [NAME]\n");
		return 2;
	}
	fd = tcp_connect(argv[1], argv[2]);
	if (fd < 0)
		return 1;
	opts.host = argc > 4 ? argv[4] : argv[1];
	opts.ca_file = argv[3];
	opts.timeout_s = 5;
	r = tls_wrap(fd, &opts, &low, &err);
	if (r < 0) {
		printf("error: %s\n", err.msg);
		close(fd);
		return 1;
	}
	s = mailstream_new(low, 8192);
	n = mailstream_read(s, line, sizeof(line) - 1);
	if (n <= 0) {
		printf("error: no greeting\n");
		mailstream_close(s);
		return 1;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	printf("%s\n", line);
	mailstream_write(s, "t LOGOUT\r\n", 10);
	mailstream_flush(s);
	mailstream_close(s);
	return 0;
}
