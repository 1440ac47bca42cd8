/*
 * Mail commands: the "#claim", "#route support" ... lines of a team
 * member's new text, the plus-address tags on the shared mailbox's
 * address (sales+claim@example.com), and the "[#123]" ticket token of a
 * subject.  Pure parsing: nothing here knows tickets, routes or who
 * sent the mail (auth.h decides that; the ingest path applies the list).
 *
 * Grammar of a command line (one command per line, in the new text):
 *
 *	line    = "#" word [ 1*WSP args ] *WSP
 *
 * at the very start of the line: an indented command line may be an
 * indent-style quote of someone else's mail, so it is an error.
 *	word    = claim / route / qualify / disqualify / priority / tag /
 *	          note / close / reopen / story / ack      ; case-blind
 *
 * A line whose "#word" is not one of these words ("#1", "#general",
 * "#claimed") is plain text, and so is a hashtag inside a sentence.  A
 * known word with bad arguments is an error for that line, and a list
 * with any error must not be applied at all.
 *
 *	#claim  #close  #reopen  #story  #ack        no arguments
 *	#unclaim  #back                              no arguments
 *	#wait [UNTIL]  #away [UNTIL]                 UNTIL = 3d | 2026-12-24
 *	#merge ID                                    ID = 123 | #123
 *	#route NAME                                  NAME = [a-z0-9][a-z0-9_-]*
 *	#qualify [budget authority need timeline]    each at most once
 *	#disqualify REASON                           free text, required
 *	#priority low|normal|high|urgent
 *	#tag NAME                                    NAME =
 *[a-z0-9][a-z0-9:._-]* #note FREE TEXT                              free text,
 *required
 *
 * Plus-address tags (LOCAL+TAGS@DOMAIN where LOCAL@DOMAIN is a shared
 * mailbox address; TAGS are '+'-separated):
 *
 *	claim close reopen story ack qualify       the command
 *	route-NAME                                 #route NAME
 *	priority-LEVEL                             #priority LEVEL
 *	tag-NAME                                   #tag NAME
 *	qualify-DIM[-DIM...]                       #qualify DIM...
 *	NAME (any other word)                      #route NAME
 *
 * so community+support@example.com routes to support.  #note and
 * #disqualify need free text and have no address form.
 */
#ifndef TRIAGE_COMMAND_H
#define TRIAGE_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "verdict.h"

struct msg;
struct msg_addrs;

enum command_kind {
	CMD_CLAIM,
	CMD_ROUTE,
	CMD_QUALIFY,
	CMD_DISQUALIFY,
	CMD_PRIORITY,
	CMD_TAG,
	CMD_NOTE,
	CMD_CLOSE,
	CMD_REOPEN,
	CMD_STORY,
	CMD_ACK,
	CMD_WAIT,  /* arg: NULL or a time (command_until) */
	CMD_MERGE, /* arg: the target ticket's number, digits */
	CMD_UNCLAIM,
	CMD_AWAY, /* arg: NULL or a time (command_until) */
	CMD_BACK,
};

struct command {
	enum command_kind kind;
	char *arg;		/* owned: route or tag name (lowercased), the
				   reason or note text; NULL for the rest */
	enum priority priority; /* CMD_PRIORITY; PRIO_UNSET otherwise */
	unsigned dims;		/* CMD_QUALIFY: bit (1u << DIM_x) per named
				   dimension; 0 = qualified, none named */
	unsigned line; /* 1-based line of the text; 0: from an address */
	char *source;  /* owned: the line or address it came from */
};

struct command_error {
	unsigned line; /* 1-based; 0: from an address */
	char *source;  /* owned: the offending line or address */
	char *msg;     /* owned: "#priority needs one of low normal
			  high urgent" */
};

/* A plain record; free with command_list_free(). */
struct command_list {
	struct command *v; /* owned, in the order they apply */
	size_t n;
	struct command_error *errors; /* owned, in line order */
	size_t n_errors;
};

/* "claim", "route" ...; the word as written after '#'. */
const char *command_name(enum command_kind kind);

/* An empty list (caller frees with command_list_free). */
struct command_list *command_list_new(void);

/*
 * Append the commands of `text` (the new text of a reply; see reply.h)
 * to list, one per command line, with errors for command lines whose
 * arguments are wrong.  Never fails.
 */
void command_parse_text(struct command_list *list, const char *text);

/*
 * The commands of a reply as reply_zone_plain() or reply_zone_html()
 * cut it: command_parse_text() over `zone`, where an indented command
 * line is refused (it may be indent-style quoting), then an error for
 * every command line in `below` (after the first quoted material: it
 * may be quoted, so it is refused).  Either may be NULL.  Never fails.
 */
void command_parse_zone(struct command_list *list, const char *zone,
    const char *below);

/*
 * Append the commands carried as plus-address tags by the addresses in
 * `to` then `cc` (either may be NULL) whose LOCAL@DOMAIN, without the
 * tags, is one of the n_shared `shared` addresses (case-blind).  Wrong
 * tags become errors (line 0, source = the address).  Never fails.
 */
void command_parse_addresses(struct command_list *list,
    const char *const *shared, size_t n_shared, const struct msg_addrs *to,
    const struct msg_addrs *cc);

/*
 * Everything a message commands, in the order it applies: the
 * plus-address tags of To then Cc (as command_parse_addresses), then
 * the command lines of its command zone (command_parse_zone()): of the
 * HTML body when there is one (what a reader sees), else of the text.
 * When a mail has both and their commands differ (text hidden in the
 * HTML, a quote only one of them marks), an error says so and nothing
 * applies.  Whether the sender may command is not looked at here
 * (auth.h).  Returns 0, or -1 with err set when m is NULL.
 */
int command_parse_msg(struct command_list *list, const struct msg *m,
    const char *const *shared, size_t n_shared, struct error *err);

/*
 * The command in canonical form, as a confirmation would quote it:
 * "#route support", "#priority high", "#qualify budget need".  Returns
 * a new string (caller frees).
 */
char *command_format(const struct command *c);

/*
 * The list's errors, one per line, for an answer to the sender:
 * "line 2: \"#priority soon\": #priority needs one of low normal high
 * urgent" (or "address sales+x@...: ..." for address tags).  Returns a
 * new string (caller frees); "" when there are none.
 */
char *command_format_errors(const struct command_list *list);

/* Frees the list and everything in it; sets *listp to NULL; NULL ok. */
void command_list_free(struct command_list **listp);

/* Why a tag name was refused: the same words for mail and the CLI. */
#define COMMAND_TAG_ERROR "#tag needs one tag name (letters, digits, - _ . :)"

/*
 * Is `tag` a tag name as "#tag NAME" takes it: 1 to 64 bytes of ASCII
 * letters, digits and - _ . :, the first a letter or digit?  The one
 * check for a tag, whether it comes by mail or from `triage tag`
 * (store_tag applies it).  Returns 0, or -1 with err set (ERR_USAGE,
 * COMMAND_TAG_ERROR).
 */
int command_tag_check(const char *tag, struct error *err);

/*
 * "#wait UNTIL", "#away UNTIL", `triage wait --until`: a duration from
 * `now` ("3d", "4h30m": conf_duration) or a date in UTC ("2026-12-24"
 * at 00:00, "2026-12-24T09:00").  Returns 0 and sets *at_r (seconds
 * since the epoch), or -1 when `s` is neither.
 */
int command_until(const char *s, int64_t now, int64_t *at_r);

/* A ticket number has at most this many digits, so it fits an int64_t. */
#define COMMAND_TICKET_DIGITS 18

/*
 * The ticket number spelled by the len bytes at s: 1 to
 * COMMAND_TICKET_DIGITS ASCII digits (leading zeros count), no sign, no
 * blanks, above 0.  The one parser for ticket ids, wherever they come
 * from (subjects, Message-IDs, the CLI's arguments): anything else, a
 * number too long to be one included, is not a ticket.  Returns 0 and
 * sets *id_r, or -1 (*id_r untouched).
 */
int command_ticket_id(const char *s, size_t len, int64_t *id_r);

/*
 * The ticket named by the first "[#ID]" token in a subject ("Re: [#42]
 * Pricing") whose ID is a ticket number (command_ticket_id).  Returns 1
 * and sets *id_r (> 0), or 0 when the subject has no such token (*id_r
 * untouched).
 */
int command_subject_ticket(const char *subject, int64_t *id_r);

/*
 * `text` with every command line removed (also quoted ones such as
 * "> #claim", so a command never reaches a customer in a forward).
 * Returns a new string (caller frees); line ends are kept as they were.
 */
char *command_strip(const char *text);

#endif
