/* The store's rows as the SLA code sees them; see sla-store.h. */
#include "sla-store.h"

static enum sla_state
state_of(enum store_state s)
{
	switch (s) {
	case STATE_NEW:
		return SLA_STATE_NEW;
	case STATE_CLAIMED:
	case STATE_WAITING: /* on the customer: paused, as a claim is */
		return SLA_STATE_CLAIMED;
	case STATE_ROUTED:
		return SLA_STATE_ROUTED;
	case STATE_ACKNOWLEDGED:
		return SLA_STATE_ACKED;
	case STATE_CLOSED:
	case STATE_IGNORED:
	case STATE_MERGED:
		break;
	}
	return SLA_STATE_CLOSED;
}

void
sla_store_ticket(const struct store_sla_ticket *row, struct sla_ticket *t_r)
{
	t_r->state = state_of(row->state);
	t_r->since = row->since;
	t_r->reminded_clock = sla_store_clock_of(row->reminded_clock);
	t_r->reminded_since = row->reminded_since;
}

enum store_sla_clock
sla_store_clock(enum sla_clock c)
{
	switch (c) {
	case SLA_CLOCK_CLAIM:
		return STORE_SLA_CLAIM;
	case SLA_CLOCK_ACK:
		return STORE_SLA_ACK;
	case SLA_CLOCK_NONE:
		break;
	}
	return STORE_SLA_NONE;
}

enum sla_clock
sla_store_clock_of(enum store_sla_clock c)
{
	switch (c) {
	case STORE_SLA_CLAIM:
		return SLA_CLOCK_CLAIM;
	case STORE_SLA_ACK:
		return SLA_CLOCK_ACK;
	case STORE_SLA_NONE:
		break;
	}
	return SLA_CLOCK_NONE;
}
