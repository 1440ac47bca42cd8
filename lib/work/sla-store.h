/*
 * The SLA's view of the store's rows (store-report.h): a listed ticket
 * as the struct sla_ticket sla_evaluate decides on, and the clocks in
 * the store's terms.  Plain conversions, no decisions.
 */
#ifndef TRIAGE_SLA_STORE_H
#define TRIAGE_SLA_STORE_H

#include "sla.h"
#include "store-report.h"

/* What sla_evaluate needs of a ticket store_sla_due listed. */
void sla_store_ticket(const struct store_sla_ticket *row,
    struct sla_ticket *t_r);

/* A clock in the store's terms and back (NONE for NONE). */
enum store_sla_clock sla_store_clock(enum sla_clock c);
enum sla_clock sla_store_clock_of(enum store_sla_clock c);

#endif
