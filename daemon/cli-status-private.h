/*
 * Inside `triage status` (cli-status.c, cli-status-shared.c): what the
 * view of one triaged's status file and the view of a database shared
 * by several triaged (PostgreSQL: the instances and leases tables)
 * have in common.
 */
#ifndef TRIAGE_CLI_STATUS_PRIVATE_H
#define TRIAGE_CLI_STATUS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

struct mailbox_status;
struct store;
struct status_shared;

/* Seconds since 1970 as "2026-12-07T10:00:00Z", or "never" for 0. */
void status_iso_time(int64_t t, char *buf, size_t len);
/* The same as a JSON string, or NULL (JSON null) for 0. */
json_object *status_json_time(int64_t t);
/* One mailbox record as `triage status --json` gives it. */
json_object *status_json_mailbox(const struct mailbox_status *s);

/*
 * The shared database's instances (each with its status text parsed)
 * and leases, read through `st`.  0 with *sh_r owned by the caller, or
 * -1 with err.
 */
int status_shared_read(struct store *st, struct status_shared **sh_r,
    struct error *err);
void status_shared_free(struct status_shared **shp);
/* Is an instance alive (a heartbeat within the lease time)? */
int status_shared_running(const struct status_shared *sh);
/* The text: each instance and its mailboxes, then each lease. */
void status_shared_print(const struct status_shared *sh);
/*
 * Into `root`: "daemon" (running, the newest heartbeat), "mailboxes"
 * (each mailbox's record from the instance holding its lease),
 * "instances" and "leases".
 */
void status_shared_json(const struct status_shared *sh, json_object *root);

#endif
