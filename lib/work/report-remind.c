/*
 * The SLA reminder mail: who should act on which ticket, since when and
 * how.  Plain text, lines of at most 78 columns, no header injection
 * (the ticket's subject is the customer's text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-private.h"
#include "buf.h"
#include "conf.h"
#include "sla.h"

#define SUBJECT_MAX 200

/* The customer's text on one line: controls become spaces, capped. */
static void
out_one_line(struct report_out *o, const char *s, size_t max)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s;
	     *p != '\0' && n < max; p++, n++) {
		/* never cut a UTF-8 sequence in two */
		if (n + 4 > max && *p >= 0xc0)
			break;
		if (*p < 0x20 || *p == 0x7f)
			report_out_str(o, " ");
		else
			report_out_add(o, (const char *)p, 1);
	}
}

static void
field(struct report_out *o, const char *name, const char *value)
{
	if (value == NULL)
		return;
	report_out_printf(o, "  %-15s ", name);
	out_one_line(o, value, 78 - 18);
	report_out_str(o, "\n");
}

int
report_reminder_render(const struct report_reminder *rm, struct buf *subject,
    struct buf *body, struct error *err)
{
	struct report_out s = { .b = subject }, o = { .b = body };
	int claim = rm->clock == SLA_CLOCK_CLAIM;
	char since[32], due[32], late[32];

	report_fmt_time(rm->since, since, sizeof(since));
	report_fmt_time(rm->deadline, due, sizeof(due));
	report_fmt_duration(rm->now - rm->deadline, late, sizeof(late));
	report_out_printf(&s, "[#%lld] %s: ", (long long)rm->ticket_id,
	    claim ? "Not claimed in time" : "Not acknowledged in time");
	out_one_line(&s,
	    rm->subject != NULL && *rm->subject != '\0' ? rm->subject :
							  "(no subject)",
	    SUBJECT_MAX);
	report_out_printf(&o, "Ticket #%lld %s.\n\n", (long long)rm->ticket_id,
	    claim ? "is waiting to be claimed and its time is up" :
		    "was routed and nobody has acknowledged it in time");
	field(&o, "Subject:", rm->subject);
	field(&o, "Customer:", rm->customer);
	field(&o, "Account:", rm->account);
	field(&o, claim ? "Owner:" : "Routed to:", rm->owner);
	field(&o, claim ? "Waiting since:" : "Routed at:", since);
	report_out_printf(&o, "  %-15s %s (%s ago)\n", "Due:", due, late);
	if (rm->ticket_url != NULL) {
		char *url = conf_ticket_url(rm->ticket_url, rm->ticket_id);

		field(&o, "Link:", url);
		free(url);
	}
	if (claim)
		report_out_printf(&o,
		    "\nClaim it with `triage claim %lld`, "
		    "or reply to its thread with #claim.\n",
		    (long long)rm->ticket_id);
	else
		report_out_printf(&o,
		    "\nAcknowledge it with `triage ack "
		    "%lld`, or reply to the forward with #ack.\n",
		    (long long)rm->ticket_id);
	report_out_str(&o, "\nThis reminder is sent once for this clock.\n");
	if (report_out_done(&s, err) < 0)
		return -1;
	return report_out_done(&o, err);
}
