/*
 * Applying mail commands inside the transaction that stored the message.
 * See mailcmd.h for what happens in each case and README "Mail commands".
 */
#include "mailcmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "command.h"
#include "conf.h"
#include "forward.h"
#include "mime.h"
#include "roles.h"
#include "store.h"
#include "xalloc.h"

/* Answers and event details are short; past this they are cut. */
#define TEXT_CAP (64 * 1024)

/* Who acts when the daemon itself records something about a mail. */
static const struct store_actor triaged = { "triaged", STORE_SRC_MAIL };
/* ... and when it tidies up on its own (no claim is implied). */
static const struct store_actor housekeeping = { "triaged", STORE_SRC_DAEMON };

/* One mail being handled.  Every pointer is foreign but `list`. */
struct apply {
	struct store *st;
	const struct conf *c;
	const struct msg *m;
	const struct store_ingest_result *ing;
	const struct command_list *list; /* parsed, or own */
	struct command_list *own;	 /* owned: parsed here, or NULL */
	struct auth_decision auth;
	struct store_actor actor; /* the member, source "mail" */
	char *our_address;	  /* owned: smtp.from's, or NULL */
	int answers_per_day;
	struct buf errors; /* owned: one line per error */
	struct mailcmd_result res;
};

static const char *const outcome_names[] = { "none", "refused", "ignored",
	"failed", "applied" };

const char *
mailcmd_outcome_name(enum mailcmd_outcome o)
{
	if (o < MAILCMD_NONE || o > MAILCMD_APPLIED)
		return "none";
	return outcome_names[o];
}

/* The database failed (not the command): the caller must give up. */
static int
db_failed(const struct error *err)
{
	return err->code != ERR_REFUSED && err->code != ERR_NOTFOUND &&
	       err->code != ERR_USAGE;
}

int
mailcmd_parse(const struct conf *c, const struct msg *m,
    struct command_list **list_r, struct error *err)
{
	struct command_list *list;
	const char **shared;
	int r;

	shared = xcalloc(c->n_mailboxes + 1, sizeof(*shared));
	for (size_t i = 0; i < c->n_mailboxes; i++)
		shared[i] = c->mailboxes[i].address;
	list = command_list_new();
	r = command_parse_msg(list, m, shared, c->n_mailboxes, err);
	free(shared);
	if (r < 0) {
		command_list_free(&list);
		return -1;
	}
	*list_r = list;
	return 0;
}

/*
 * "#claim (sales+claim@example.com), #route support" for events: address
 * tags name their address; "" when there are none.
 */
static void
list_commands(const struct command_list *list, struct buf *b)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct command *cmd = &list->v[i];
		char *f = command_format(cmd);

		buf_printf(b, "%s%s", i > 0 ? ", " : "", f);
		if (cmd->line == 0)
			buf_printf(b, " (%.200s)", cmd->source);
		free(f);
	}
	for (size_t i = 0; i < list->n_errors; i++)
		buf_printf(b, "%s%.200s", list->n + i > 0 ? ", " : "",
		    list->errors[i].source);
}

/* An event about this mail on its ticket, by `who` (source "mail"). */
static int
note_event(struct apply *a, const struct store_actor *who, const char *kind,
    const char *why, struct error *err)
{
	struct buf d;
	int r;

	buf_init(&d, TEXT_CAP);
	buf_printf(&d, "%s from %s: %s; commands: ", a->m->message_id,
	    a->m->from.addr, why);
	list_commands(a->list, &d);
	r = store_event(a->st, a->ing->ticket_id, who, kind, d.data, err);
	buf_free(&d);
	return r;
}

static void
add_error(struct apply *a, const struct command *cmd, const char *msg)
{
	if (cmd == NULL)
		buf_printf(&a->errors, "%s\n", msg);
	else if (cmd->line > 0)
		buf_printf(&a->errors, "line %u: \"%.200s\": %s\n", cmd->line,
		    cmd->source, msg);
	else
		buf_printf(&a->errors, "address %.200s: %s\n", cmd->source,
		    msg);
	a->res.n_errors++;
}

/*
 * The store speaks to the CLI ("--steal takes it over"); a mail has no
 * such option, so the hint is left out of the answer.
 */
static void
add_store_error(struct apply *a, const struct command *cmd,
    const struct error *e)
{
	char msg[sizeof(e->msg)];
	char *hint;

	snprintf(msg, sizeof(msg), "%s", e->msg);
	hint = strstr(msg, " (--steal");
	if (hint != NULL)
		*hint = '\0';
	add_error(a, cmd, msg);
}

static void
known_routes(const struct conf *c, struct buf *b)
{
	for (size_t i = 0; i < c->n_routes; i++)
		buf_printf(b, "%s%s", i > 0 ? " " : "", c->routes[i].name);
	if (c->n_routes == 0)
		buf_addstr(b, "none configured");
}

/* A time a command names ("#wait 3d"), from now; 0 for none. */
static int
command_time(struct apply *a, const struct command *cmd, int64_t *at_r,
    struct error *err)
{
	*at_r = 0;
	if (cmd->arg == NULL)
		return 0;
	if (command_until(cmd->arg, store_now(a->st), at_r) < 0 ||
	    *at_r <= store_now(a->st))
		return error_set(err, ERR_USAGE, "#%s %s: not a time to come",
		    command_name(cmd->kind), cmd->arg);
	return 0;
}

/* The BDR's day: waiting, merging, giving back, away and back. */
static int
apply_desk(struct apply *a, int64_t id, const struct command *cmd,
    struct error *err)
{
	const struct store_actor *who = &a->actor;
	int64_t at = 0, into = 0;
	int was = 0;

	switch (cmd->kind) {
	case CMD_WAIT:
		if (command_time(a, cmd, &at, err) < 0)
			return -1;
		return store_wait(a->st, id, at, who, err);
	case CMD_MERGE:
		if (command_ticket_id(cmd->arg, strlen(cmd->arg), &into) < 0)
			return error_set(err, ERR_USAGE, "#merge: no ticket");
		/* across customers only on the CLI, with --force */
		return store_merge(a->st, id, into, 0, who, err);
	case CMD_UNCLAIM:
		return store_unclaim(a->st, id, who, err);
	case CMD_AWAY:
		if (command_time(a, cmd, &at, err) < 0)
			return -1;
		return store_away(a->st, who->name, at, 0, "by mail", who, err);
	case CMD_BACK:
		if (store_back(a->st, who->name, 0, who, &was, err) < 0)
			return -1;
		if (!was)
			return error_set(err, ERR_REFUSED, "you are not away");
		return 0;
	default:
		return error_set(err, ERR_USAGE, "unknown command");
	}
}

/*
 * #away and #back are about the sender, not a ticket: a mail with only
 * these needs no thread.
 */
static int
presence_only(const struct command_list *list)
{
	for (size_t i = 0; i < list->n; i++) {
		if (list->v[i].kind != CMD_AWAY && list->v[i].kind != CMD_BACK)
			return 0;
	}
	return list->n > 0;
}

/* Apply one command; -1 with err set when it was refused or failed. */
static int
apply_one(struct apply *a, int64_t id, const struct command *cmd,
    struct error *err)
{
	const struct store_actor *who = &a->actor;
	enum dim dims[DIM_COUNT];
	size_t n = 0;
	struct buf b;

	switch (cmd->kind) {
	case CMD_CLAIM:
		return store_claim(a->st, id, who, 0, err);
	case CMD_ROUTE:
		if (strcmp(cmd->arg, STORE_ROUTE_OWNER) == 0)
			return store_route_owner(a->st, id, a->c, NULL, who,
			    err);
		if (conf_route(a->c, cmd->arg) != NULL)
			return store_route(a->st, id, cmd->arg, NULL, who, err);
		buf_init(&b, 4096);
		known_routes(a->c, &b);
		error_set(err, ERR_NOTFOUND, "unknown route '%s' (routes: %s)",
		    cmd->arg, b.data);
		buf_free(&b);
		return -1;
	case CMD_QUALIFY:
		for (int d = 0; d < DIM_COUNT; d++) {
			if (cmd->dims & (1u << d))
				dims[n++] = (enum dim)d;
		}
		return store_qualify(a->st, id, dims, n, who, err);
	case CMD_DISQUALIFY:
		return store_disqualify(a->st, id, cmd->arg, who, err);
	case CMD_PRIORITY:
		return store_set_priority(a->st, id, cmd->priority, who, err);
	case CMD_TAG:
		return store_tag(a->st, id, cmd->arg, who, err);
	case CMD_NOTE:
		return store_note(a->st, id, cmd->arg, who, err);
	case CMD_CLOSE:
		return store_close_ticket(a->st, id, who, err);
	case CMD_REOPEN:
		return store_reopen(a->st, id, who, err);
	case CMD_STORY:
		return store_story(a->st, id, who, err);
	case CMD_ACK:
		return store_ack(a->st, id, who, err);
	case CMD_WAIT:
	case CMD_MERGE:
	case CMD_UNCLAIM:
	case CMD_AWAY:
	case CMD_BACK:
		return apply_desk(a, id, cmd, err);
	}
	return error_set(err, ERR_USAGE, "unknown command");
}

/* Was `i` given earlier in the same mail (sales+claim@ and "#claim")? */
static int
repeated(const struct command_list *list, size_t i)
{
	const struct command *c = &list->v[i];

	for (size_t j = 0; j < i; j++) {
		const struct command *p = &list->v[j];

		if (p->kind == c->kind && p->priority == c->priority &&
		    p->dims == c->dims &&
		    (p->arg == c->arg || (p->arg != NULL && c->arg != NULL &&
					     strcmp(p->arg, c->arg) == 0)))
			return 1;
	}
	return 0;
}

/*
 * Every command in order, in one unit of work: the first refusal rolls
 * back the ones before it.  Returns -1 only when the database failed.
 */
static int
apply_all(struct apply *a, int64_t id, struct error *err)
{
	struct error e = { 0 };
	size_t i;
	int r;

	r = store_unit_begin(a->st, err);
	if (r < 0)
		return -1;
	for (i = 0; i < a->list->n && r == 0; i++) {
		if (!repeated(a->list, i))
			r = apply_one(a, id, &a->list->v[i], &e);
	}
	if (r == 0)
		return store_unit_end(a->st, 1, err);
	store_unit_end(a->st, 0, err);
	if (db_failed(&e)) {
		*err = e;
		return -1;
	}
	add_store_error(a, &a->list->v[i - 1], &e);
	return 0;
}

/* The ticket a mail names, or 0 with the error added to the answer. */
static int64_t
named_ticket(struct apply *a)
{
	char msg[256];
	int64_t tok;

	if (!a->ing->new_ticket || presence_only(a->list))
		return a->ing->ticket_id;
	if (command_subject_ticket(a->m->subject, &tok))
		snprintf(msg, sizeof(msg),
		    "there is no ticket #%" PRId64 " (the subject's [#%" PRId64
		    "])",
		    tok, tok);
	else
		snprintf(msg, sizeof(msg),
		    "this mail names no ticket: reply "
		    "to a message of the ticket's thread, or put [#ID] in the "
		    "subject");
	add_error(a, NULL, msg);
	return 0;
}

/*
 * A team member's command mail that named no ticket opened one of its
 * own.  Without a customer on it, it is nobody's conversation: close it
 * so it never shows in a queue.  One written to a customer stays open
 * (the customer's answer will thread into it).
 */
static int
close_stray(struct apply *a, struct error *err)
{
	struct store_detail *d = NULL;
	int r;

	r = store_show(a->st, a->ing->ticket_id, &d, err);
	if (r < 0)
		return -1;
	if (d->t.customer == NULL && d->t.state != STATE_CLOSED &&
	    d->t.state != STATE_IGNORED)
		r = store_close_ticket(a->st, a->ing->ticket_id, &housekeeping,
		    err);
	store_detail_free(&d);
	return r;
}

static void
confirmation(struct apply *a, int64_t id, struct buf *b)
{
	buf_printf(b, "Applied to ticket #%" PRId64 " (%s):\n\n", id,
	    a->m->subject);
	for (size_t i = 0; i < a->list->n; i++) {
		char *f;

		if (repeated(a->list, i))
			continue;
		f = command_format(&a->list->v[i]);
		/* "- " keeps the line from being a command if it comes back */
		buf_printf(b, "  - %s\n", f);
		free(f);
	}
}

static void
refusal(struct apply *a, int64_t id, struct buf *b)
{
	if (id > 0)
		buf_printf(b,
		    "Nothing was applied to ticket #%" PRId64 " (%s):\n\n", id,
		    a->m->subject);
	else
		buf_printf(b, "Nothing was applied (%s):\n\n", a->m->subject);
	buf_addstr(b, a->errors.data != NULL ? a->errors.data : "");
	buf_addstr(b, "\nThe commands of one mail apply all together or not "
		      "at all:\nfix the errors and send them again.\n");
	buf_addstr(b, "Write each command at the start of its own line, "
		      "above any quoted or\nforwarded text: commands below a "
		      "quote, indented or hidden are\nnever applied, since "
		      "they may be someone else's words.\n");
}

/* Queue the answer, unless loops or the daily cap forbid it. */
static int
answer(struct apply *a, int64_t id, struct error *err)
{
	const char *why = NULL, *to = a->m->from.addr;
	int64_t n = 0, day = 86400;
	struct buf b;
	int r;

	if (!forward_answer_allowed(a->m, a->our_address, &why))
		return note_event(a, &triaged, "answer-suppressed", why, err);
	r = store_answers_since(a->st, to, store_now(a->st) - day + 1, &n, err);
	if (r < 0)
		return -1;
	if (n >= a->answers_per_day)
		return note_event(a, &triaged, "answer-suppressed",
		    "daily cap of answers to this sender reached", err);
	buf_init(&b, TEXT_CAP);
	if (a->res.outcome == MAILCMD_APPLIED)
		confirmation(a, id, &b);
	else
		refusal(a, id, &b);
	r = store_queue_answer(a->st, id > 0 ? id : a->ing->ticket_id,
	    a->ing->message_id, to, b.data, &a->res.answer_id, err);
	buf_free(&b);
	return r;
}

/* Commands the member's role does not allow, as errors of the answer. */
static void
check_roles(struct apply *a, const struct conf_member *mem)
{
	char msg[256];

	for (size_t i = 0; i < a->list->n; i++) {
		const struct command *cmd = &a->list->v[i];

		if (roles_may(mem->role, cmd->kind))
			continue;
		snprintf(msg, sizeof(msg),
		    "your role (%s) may not #%s: it may give %s", mem->role,
		    command_name(cmd->kind), roles_allowed(mem->role));
		add_error(a, cmd, msg);
	}
}

/* A member's mail: apply it all, or nothing and say why. */
static int
command(struct apply *a, struct error *err)
{
	const struct conf_member *mem;
	const char *why = NULL;
	int64_t id;
	char *parse_errors;
	int r = 0;

	if (!forward_allowed(a->m, a->our_address, &why)) {
		a->res.outcome = MAILCMD_IGNORED;
		return note_event(a, &triaged, "command-ignored", why, err);
	}
	mem = conf_member_by_address(a->c, a->auth.member);
	a->actor.name = mem != NULL ? mem->name : a->auth.member;
	a->actor.source = STORE_SRC_MAIL;
	id = named_ticket(a);
	a->res.ticket_id = id;
	parse_errors = command_format_errors(a->list);
	buf_addstr(&a->errors, parse_errors);
	a->res.n_errors += a->list->n_errors;
	free(parse_errors);
	if (mem != NULL)
		check_roles(a, mem);
	if (id > 0 && a->res.n_errors == 0)
		r = apply_all(a, id, err);
	if (r < 0)
		return -1;
	if (a->res.n_errors > 0) {
		a->res.outcome = MAILCMD_FAILED;
		r = note_event(a, &a->actor, "command-failed", a->errors.data,
		    err);
		if (r == 0 && id == 0)
			r = close_stray(a, err);
	} else {
		a->res.outcome = MAILCMD_APPLIED;
		/* "#away 2w" to the shared address opened a ticket: tidy */
		if (a->ing->new_ticket && presence_only(a->list))
			r = close_stray(a, err);
	}
	if (r == 0)
		r = answer(a, id, err);
	return r;
}

/*
 * A reply from the routed side on its own route's ticket acknowledges
 * it (roles_reply_acks): people answer, they do not type #ack.  Robots
 * and our own mail acknowledge nothing.
 */
static int
reply_ack(struct apply *a, struct error *err)
{
	struct store_detail *d = NULL;
	struct store_actor by;
	struct roles_who who;
	const char *why;
	int r;

	roles_who(a->c, a->m->from.addr, &who);
	if (a->ing->new_ticket || !who.routed_side ||
	    !forward_allowed(a->m, a->our_address, &why))
		return 0;
	r = store_show(a->st, a->ing->ticket_id, &d, err);
	if (r < 0)
		return -1;
	if (d->t.state == STATE_ROUTED && roles_reply_acks(&who, d->t.route)) {
		by.name =
		    who.member != NULL ? who.member->name : a->m->from.addr;
		by.source = STORE_SRC_MAIL;
		r = store_ack(a->st, a->ing->ticket_id, &by, err);
		a->res.acked = r == 0;
	}
	store_detail_free(&d);
	return r;
}

/* Commands first (an #ack among them acknowledges), then the reply. */
static int
commands_then_reply(struct apply *a, struct error *err)
{
	int r = 0;

	if (a->list->n == 0 && a->list->n_errors == 0)
		return reply_ack(a, err);
	if (!auth_check_conf(a->m, a->c, &a->auth)) {
		a->res.outcome = MAILCMD_REFUSED;
		r = note_event(a, &triaged, "command-refused", a->auth.reason,
		    err);
	} else {
		r = command(a, err);
	}
	return r < 0 ? -1 : reply_ack(a, err);
}

static int
run(struct apply *a, struct error *err)
{
	struct forward_sender s = { 0 };
	struct error ignored = { 0 };
	int64_t copies = 0;
	int r;

	if (a->list == NULL) {
		r = mailcmd_parse(a->c, a->m, &a->own, err);
		if (r < 0)
			return -1;
		a->list = a->own;
	}
	a->res.n_commands = a->list->n;
	r = store_message_copies(a->st, a->ing->message_id, &copies, err);
	if (r < 0 || copies > 0)
		return r;
	if (a->c->smtp_from != NULL &&
	    forward_sender_parse(a->c->smtp_from, &s, &ignored) == 0) {
		a->our_address = s.address;
		s.address = NULL;
	}
	forward_sender_clear(&s);
	return commands_then_reply(a, err);
}

int
mailcmd_apply(struct store *st, const struct conf *c, const struct msg *msg,
    const struct command_list *parsed, const struct store_ingest_result *ing,
    int answers_per_day, struct mailcmd_result *res_r, struct error *err)
{
	struct apply a = { .st = st,
		.c = c,
		.m = msg,
		.list = parsed,
		.ing = ing,
		.answers_per_day = answers_per_day > 0 ?
				       answers_per_day :
				       MAILCMD_ANSWERS_PER_DAY };
	struct error ignored = { 0 };
	int r;

	if (msg == NULL || ing->duplicate || ing->own || ing->ticket_id == 0) {
		if (res_r != NULL)
			*res_r = a.res;
		return 0;
	}
	buf_init(&a.errors, TEXT_CAP);
	r = store_unit_begin(st, err);
	if (r < 0)
		goto out;
	r = run(&a, err);
	if (r < 0) {
		store_unit_end(st, 0, &ignored);
		if (db_failed(err))
			goto out;
		/*
		 * A refusal where none was expected is a bug, not a reason
		 * to fail the batch again and again: the message stays
		 * stored, the command is dropped and the audit log says so.
		 */
		r = store_event(st, ing->ticket_id, &triaged, "command-error",
		    err->msg, &ignored);
		error_clear(err);
		memset(&a.res, 0, sizeof(a.res));
		if (r < 0 && db_failed(&ignored)) {
			*err = ignored;
			goto out;
		}
		r = 0;
		if (res_r != NULL)
			*res_r = a.res;
		goto out;
	}
	r = store_unit_end(st, 1, err);
	if (r == 0 && res_r != NULL)
		*res_r = a.res;
out:
	command_list_free(&a.own);
	buf_free(&a.errors);
	free(a.our_address);
	return r;
}

int
mailcmd_answer_build(struct store *st, int64_t outbox_id,
    const struct forward_sender *s, int64_t now, struct forward_mail *mail_r,
    struct error *err)
{
	struct store_answer row = { 0 };
	struct forward_answer fa = { .kind = "answer" };
	char **refs = NULL, *copy = NULL, *tok, *save = NULL;
	size_t n = 0;
	int r;

	r = store_answer_get(st, outbox_id, &row, err);
	if (r < 0)
		return -1;
	if (row.refs != NULL) {
		copy = xstrdup(row.refs);
		for (tok = strtok_r(copy, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			refs = xreallocarray(refs, n + 1, sizeof(*refs));
			refs[n++] = tok;
		}
	}
	fa.to = row.rcpt;
	fa.subject = row.subject;
	fa.in_reply_to = row.in_reply_to;
	fa.references = (const char *const *)refs;
	fa.n_references = n;
	fa.text = row.text;
	fa.ticket_id = row.ticket_id;
	fa.event_id = row.id;
	r = forward_answer_build(&fa, s, now, mail_r, err);
	free(refs);
	free(copy);
	store_answer_clear(&row);
	return r;
}
