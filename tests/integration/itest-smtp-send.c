/*
 * itest-smtp-send: send files through lib/proto/smtp.c, for test-smtp.sh.
 *
 *   itest-smtp-send -h HOST -p PORT -t implicit|starttls|none [-c CA]
 *       [-u USER (-P PASSWORD_FILE | -O OAUTH2_TOKEN_FILE)] [-f FROM]
 *       -r RCPT [-r RCPT ...]
 *       [-T TIMEOUT] [-7] FILE...
 *
 * -7: give smtp.c lib/mail's mime_to_7bit, as the daemon does, so 8-bit
 * mail a server cannot take declared is sent 7-bit; without it such a
 * mail is refused.
 *
 * Opens one session and sends every FILE in it.  An argument "to:ADDR"
 * instead of a FILE sends the files after it to ADDR alone.  Prints one line
 * per step: "open ok" or "open temp|conf MESSAGE", then per file "sent CODE" or
 * "temp|perm MESSAGE".  Exit status: 0 when all were sent, 1 otherwise, 2 on
 * usage errors.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest-common.h"
#include "mime.h"
#include "smtp.h"
#include "xalloc.h"

static const char *
code_name(enum err_code c)
{
	switch (c) {
	case ERR_TEMP:
		return "temp";
	case ERR_REFUSED:
		return "perm";
	case ERR_CONF:
		return "conf";
	default:
		return "other";
	}
}

static int
parse_tls(const char *s, enum conf_tls *tls_r)
{
	if (strcmp(s, "implicit") == 0)
		*tls_r = CONF_TLS_IMPLICIT;
	else if (strcmp(s, "starttls") == 0)
		*tls_r = CONF_TLS_STARTTLS;
	else if (strcmp(s, "none") == 0)
		*tls_r = CONF_TLS_NONE;
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct smtp_opts o = { .tls = CONF_TLS_STARTTLS, .timeout_s = 10 };
	const char *from = "triage@example.com";
	char *rcpt[16], *password = NULL, *token = NULL, *data;
	size_t n_rcpt = 0, len;
	struct smtp *s = NULL;
	struct error err;
	int c, i, failed = 0;

	/* a peer that hangs up must not kill us on the next write */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "h:p:t:c:u:P:O:f:r:T:7")) != -1) {
		switch (c) {
		case 'h':
			o.host = optarg;
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 't':
			if (parse_tls(optarg, &o.tls) < 0)
				goto usage;
			break;
		case 'c':
			o.ca_file = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'P':
			password = itest_read_secret(optarg);
			o.password = password;
			break;
		case 'O':
			token = itest_read_secret(optarg);
			o.oauth2_token = token;
			break;
		case 'f':
			from = optarg;
			break;
		case 'r':
			if (n_rcpt == sizeof(rcpt) / sizeof(rcpt[0]))
				goto usage;
			rcpt[n_rcpt++] = optarg;
			break;
		case 'T':
			o.timeout_s = atoi(optarg);
			break;
		case '7':
			o.to_7bit = mime_to_7bit;
			break;
		default:
			goto usage;
		}
	}
	if (o.host == NULL || o.port == 0 || n_rcpt == 0 || optind == argc)
		goto usage;

	mime_init();
	if (smtp_open(&o, &s, &err) < 0) {
		printf("open %s %s\n", code_name(err.code), err.msg);
		mime_shutdown();
		free(password);
		free(token);
		return 1;
	}
	printf("open ok\n");
	for (i = optind; i < argc; i++) {
		if (strncmp(argv[i], "to:", 3) == 0) {
			rcpt[0] = argv[i] + 3;
			n_rcpt = 1;
			continue;
		}
		data = itest_slurp_or_die(argv[i], &len);
		if (smtp_send(s, from, rcpt, n_rcpt, data, len, &err) < 0) {
			printf("%s %s\n", code_name(err.code), err.msg);
			failed = 1;
		} else {
			printf("sent %d\n", smtp_last_code(s));
		}
		free(data);
	}
	smtp_close(&s);
	mime_shutdown();
	free(password);
	free(token);
	return failed;
usage:
	fprintf(stderr, "usage: itest-smtp-send -h HOST -p PORT -t "
			"implicit|starttls|none [-c CA] [-u USER -P PASSFILE] "
			"[-f FROM] -r RCPT... [-T TIMEOUT] [-7] FILE...\n");
	return 2;
}
