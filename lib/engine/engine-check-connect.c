/*
 * triaged --check --connect: what an admin runs before `systemctl
 * enable`.  Logs in to every mailbox's IMAP server and to the SMTP
 * server with the configured credentials and TLS (certificates verified
 * as the daemon does), checks that each folder exists and can be
 * selected and that each move: target exists or would be created, and
 * reports the capabilities triaged relies on.  Changes nothing on any
 * server; stores nothing.  See engine.h.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "imap.h"
#include "smtp.h"

#define CHECK_TIMEOUT_S 15

struct check {
	FILE *out;
	size_t problems;
};

static void __attribute__((format(printf, 3, 4)))
say(struct check *c, int problem, const char *fmt, ...)
{
	va_list ap;

	fputs(problem ? "  PROBLEM: " : "  ok: ", c->out);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
	c->problems += problem != 0;
}

static const char *
yes_no(int v)
{
	return v ? "yes" : "no";
}

static void
check_imap_caps(struct check *c, struct imap *imap,
    const struct conf_mailbox *mb)
{
	int move = imap_has_capability(imap, "MOVE");
	int uidplus = imap_has_capability(imap, "UIDPLUS");

	say(c, 0,
	    "capabilities: IDLE %s, MOVE %s, UIDPLUS %s, UTF8=ACCEPT %s, "
	    "NAMESPACE %s",
	    yes_no(imap_has_capability(imap, "IDLE")), yes_no(move),
	    yes_no(uidplus), yes_no(imap_has_capability(imap, "UTF8=ACCEPT")),
	    yes_no(imap_has_capability(imap, "NAMESPACE")));
	if (mb->after == CONF_AFTER_MOVE && !move && !uidplus)
		say(c, 1,
		    "after = \"move:%s\" needs MOVE or UIDPLUS: without "
		    "either a moved message stays copied and \\Deleted",
		    mb->after_folder);
}

static void
check_folder(struct check *c, struct imap *imap, const char *folder)
{
	struct error err = { 0 };
	uint32_t uidvalidity, uidnext, exists;

	if (imap_select(imap, folder, &uidvalidity, &uidnext, &exists, &err) <
	    0) {
		say(c, 1, "%s", err.msg);
		return;
	}
	say(c, 0, "folder \"%s\": %u messages, UIDVALIDITY %u", folder, exists,
	    uidvalidity);
}

static void
check_target(struct check *c, struct imap *imap, const char *folder)
{
	struct error err = { 0 };
	char prefix[128];
	int r;

	r = imap_folder_exists(imap, folder, &err);
	if (r < 0) {
		say(c, 1, "move target \"%s\": %s", folder, err.msg);
		return;
	}
	if (r == 1) {
		say(c, 0, "move target \"%s\" exists", folder);
		return;
	}
	imap_personal_prefix(imap, prefix, sizeof(prefix));
	if (prefix[0] != '\0' &&
	    strncasecmp(folder, prefix, strlen(prefix)) != 0)
		say(c, 1,
		    "move target \"%s\" does not exist, and the server keeps "
		    "folders under \"%s\" (did you mean %s%s?)",
		    folder, prefix, prefix, folder);
	else
		say(c, 0,
		    "move target \"%s\" does not exist yet: triaged creates "
		    "it at the first move",
		    folder);
}

static void
check_mailbox(struct check *c, const struct conf_mailbox *mb)
{
	struct conf_server srv = mb->imap;
	struct error err = { 0 };
	struct imap *imap = NULL;
	char *password = NULL;
	int r = 0;

	fprintf(c->out, "mailbox %s: imap %s:%d (%s)\n", mb->name,
	    mb->imap.host, mb->imap.port,
	    mb->imap.user != NULL ? mb->imap.user : "-");
	if (srv.password == NULL && srv.oauth2_token_file == NULL &&
	    srv.oauth2_token_command == NULL) {
		r = conf_server_password(&mb->imap, &password, &err);
		srv.password = password;
	}
	if (r == 0)
		r = imap_connect(&srv, CHECK_TIMEOUT_S, &imap, &err);
	if (r == 0)
		r = imap_login(imap, &srv, &err);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (r < 0) {
		say(c, 1, "%s", err.msg);
		imap_free(&imap);
		return;
	}
	say(c, 0, "logged in");
	check_imap_caps(c, imap, mb);
	check_folder(c, imap, mb->folder);
	if (mb->after == CONF_AFTER_MOVE)
		check_target(c, imap, mb->after_folder);
	imap_logout(imap);
	imap_free(&imap);
}

static void
check_smtp(struct check *c, const struct conf *conf)
{
	struct smtp_opts so;
	struct error err = { 0 };
	struct smtp *s = NULL;

	fprintf(c->out, "smtp %s:%d\n", conf->smtp.host, conf->smtp.port);
	smtp_opts_from_conf(&conf->smtp, CHECK_TIMEOUT_S, &so);
	if (smtp_open_conf(&conf->smtp, &so, &s, &err) < 0) {
		say(c, 1, "%s", err.msg);
		return;
	}
	say(c, 0, "%s",
	    so.user != NULL && *so.user != '\0' ? "logged in" :
						  "connected (no AUTH)");
	say(c, 0, "capabilities: 8BITMIME %s, SMTPUTF8 %s",
	    yes_no(smtp_offers(s, "8BITMIME")),
	    yes_no(smtp_offers(s, "SMTPUTF8")));
	smtp_close(&s);
}

int
engine_check_connect(const char *conf_path, FILE *out)
{
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	struct check c = { .out = out };

	if (conf_load(conf_path, &conf, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(out, "%s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return -1;
	}
	for (size_t i = 0; i < conf->n_mailboxes; i++)
		check_mailbox(&c, &conf->mailboxes[i]);
	if (conf->has_smtp)
		check_smtp(&c, conf);
	if (c.problems > 0)
		fprintf(out, "%s: %zu problem%s\n", conf_path, c.problems,
		    c.problems == 1 ? "" : "s");
	else
		fprintf(out, "%s: every server answers as configured\n",
		    conf_path);
	conf_free(&conf);
	return c.problems > 0 ? -1 : 0;
}
