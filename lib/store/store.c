/*
 * The store: open, pragmas, versioned migrations, transactions, clock.
 * See store.h for the contract and README.md "Database schema".
 */
#include "store-private.h"

#include <assert.h>
#include <errno.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "xalloc.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * Migrations, in order: migrations[i] takes a database from version i to
 * i + 1.  Never edit a shipped one; append a new one instead.
 */
static const char *const migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE mailboxes ("
	"  name TEXT PRIMARY KEY,"
	"  address TEXT,"
	"  queue TEXT,"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  last_uid INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new',"
	"    'claimed','routed','acknowledged','closed','ignored')),"
	"  is_open INTEGER GENERATED ALWAYS AS"
	"    (state NOT IN ('closed','ignored')) VIRTUAL,"
	"  queue TEXT NOT NULL,"
	"  priority INTEGER NOT NULL DEFAULT 1,"
	"  owner TEXT,"
	"  route TEXT,"
	"  customer TEXT,"
	"  qualified INTEGER NOT NULL DEFAULT 0,"
	"  qualify_reason TEXT,"
	"  story INTEGER NOT NULL DEFAULT 0,"
	"  ignore_reason TEXT,"
	"  related_to INTEGER REFERENCES tickets(id),"
	"  score_budget INTEGER NOT NULL DEFAULT 0,"
	"  score_authority INTEGER NOT NULL DEFAULT 0,"
	"  score_need INTEGER NOT NULL DEFAULT 0,"
	"  score_timeline INTEGER NOT NULL DEFAULT 0,"
	"  score_fit INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  claimed_at INTEGER, routed_at INTEGER, acked_at INTEGER,"
	"  closed_at INTEGER);"
	/* The queue's orders: open tickets by priority then age. */
	"CREATE INDEX tickets_open ON tickets(is_open, priority DESC, created);"
	"CREATE INDEX tickets_queue ON tickets(queue, is_open,"
	"  priority DESC, created);"
	"CREATE INDEX tickets_state ON tickets(state, priority DESC, created);"
	"CREATE INDEX tickets_owner ON tickets(owner, is_open,"
	"  priority DESC, created);"
	"CREATE TABLE ticket_mailboxes ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  mailbox TEXT NOT NULL REFERENCES mailboxes(name),"
	"  PRIMARY KEY (ticket_id, mailbox)) WITHOUT ROWID;"
	"CREATE TABLE participants ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  address TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, address)) WITHOUT ROWID;"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  mailbox TEXT NOT NULL REFERENCES mailboxes(name),"
	"  uidvalidity INTEGER NOT NULL DEFAULT 0,"
	"  uid INTEGER NOT NULL DEFAULT 0,"
	"  message_id TEXT NOT NULL,"
	"  in_reply_to TEXT NOT NULL DEFAULT '',"
	"  refs TEXT NOT NULL DEFAULT '',"
	"  date INTEGER NOT NULL DEFAULT 0,"
	"  received INTEGER NOT NULL,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  from_name TEXT NOT NULL DEFAULT '',"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  from_domain TEXT NOT NULL DEFAULT '',"
	"  to_addrs TEXT NOT NULL DEFAULT '',"
	"  cc_addrs TEXT NOT NULL DEFAULT '',"
	"  reply_to TEXT NOT NULL DEFAULT '',"
	"  headers TEXT NOT NULL DEFAULT '',"
	"  text TEXT NOT NULL DEFAULT '',"
	"  forwarded TEXT NOT NULL DEFAULT '',"
	"  attachments TEXT NOT NULL DEFAULT '',"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  problems TEXT NOT NULL DEFAULT '',"
	"  direction TEXT NOT NULL DEFAULT 'in'"
	"    CHECK (direction IN ('in','out','internal')),"
	"  status TEXT NOT NULL DEFAULT 'ok'"
	"    CHECK (status IN ('ok','failed','ignored')),"
	"  error TEXT,"
	"  raw BLOB NOT NULL);"
	"CREATE UNIQUE INDEX messages_uid ON messages(mailbox, uidvalidity, uid)"
	"  WHERE uid > 0;"
	"CREATE UNIQUE INDEX messages_mid ON messages(mailbox, message_id);"
	"CREATE INDEX messages_msgid ON messages(message_id);"
	"CREATE INDEX messages_ticket ON messages(ticket_id, date);"
	"CREATE INDEX messages_failed ON messages(status) WHERE status <> 'ok';"
	/* Replies stored before their parent: the parent joins the ticket. */
	"CREATE TABLE awaited ("
	"  message_id TEXT NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  PRIMARY KEY (message_id, ticket_id)) WITHOUT ROWID;"
	"CREATE TABLE hits ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  rule TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL,"
	"  target TEXT NOT NULL, match TEXT NOT NULL,"
	"  limit_hit INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX hits_ticket ON hits(ticket_id);"
	"CREATE TABLE tags ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  tag TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_tag ON tags(tag);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  source TEXT NOT NULL"
	"    CHECK (source IN ('cli','mail','rule','daemon')),"
	"  kind TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX events_ticket ON events(ticket_id, id);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  kind TEXT NOT NULL,"
	"  route TEXT,"
	"  rcpt TEXT,"
	"  note TEXT,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER);"
	"CREATE INDEX outbox_pending ON outbox(state, next_attempt)"
	"  WHERE state = 'pending';",

	/* 2: full-text search over subject, addresses and text. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5("
	"  subject, from_addr, to_addrs, cc_addrs, text,"
	"  content='messages', content_rowid='id');"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, subject, from_addr, to_addrs,"
	"    cc_addrs, text) VALUES (new.id, new.subject, new.from_addr,"
	"    new.to_addrs, new.cc_addrs, new.text);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, from_addr,"
	"    to_addrs, cc_addrs, text) VALUES ('delete', old.id, old.subject,"
	"    old.from_addr, old.to_addrs, old.cc_addrs, old.text);"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, from_addr,"
	"  to_addrs, cc_addrs, text ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, subject, from_addr,"
	"    to_addrs, cc_addrs, text) VALUES ('delete', old.id, old.subject,"
	"    old.from_addr, old.to_addrs, old.cc_addrs, old.text);"
	"  INSERT INTO messages_fts(rowid, subject, from_addr, to_addrs,"
	"    cc_addrs, text) VALUES (new.id, new.subject, new.from_addr,"
	"    new.to_addrs, new.cc_addrs, new.text);"
	"END;"
	"INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');",

	/*
	 * 3: reports (lib/store/store-report.c) scan tickets by creation time and
	 * read story and sla-breach events by kind and time.  Who first
	 * claimed, who last routed by hand and who last (dis)qualified a
	 * ticket, and when the customer first got an answer, are kept on
	 * the ticket by triggers (whatever code writes the event or the
	 * message), so a report reads one row per ticket and no events.
	 */
	"ALTER TABLE tickets ADD COLUMN claimed_by TEXT;"
	"ALTER TABLE tickets ADD COLUMN routed_by TEXT;"
	"ALTER TABLE tickets ADD COLUMN qualified_by TEXT;"
	"ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;"
	/*
	 * Covering: the report's scan reads the index alone, in creation
	 * order, instead of a random table page per ticket (half the time
	 * of a 30-day report on a million tickets).
	 */
	"CREATE INDEX tickets_created ON tickets(created, state, queue,"
	"  claimed_at, routed_at, acked_at, qualified, claimed_by, routed_by,"
	"  qualified_by, first_response_at);"
	"CREATE INDEX events_kind_at ON events(kind, at);"
	"CREATE TRIGGER tickets_actors AFTER INSERT ON events"
	"  WHEN new.kind IN ('claim', 'route', 'qualify', 'disqualify') BEGIN"
	"  UPDATE tickets SET"
	"    claimed_by = CASE WHEN new.kind = 'claim'"
	"      THEN coalesce(claimed_by, new.actor) ELSE claimed_by END,"
	"    routed_by = CASE WHEN new.kind <> 'route' THEN routed_by"
	"      WHEN new.source IN ('cli', 'mail') THEN new.actor END,"
	"    qualified_by = CASE WHEN new.kind IN ('qualify', 'disqualify')"
	"      THEN new.actor ELSE qualified_by END"
	"  WHERE id = new.ticket_id;"
	"END;"
	"CREATE TRIGGER tickets_response_ai AFTER INSERT ON messages"
	"  WHEN new.direction = 'out' AND new.ticket_id IS NOT NULL BEGIN"
	"  UPDATE tickets SET first_response_at = new.received"
	"  WHERE id = new.ticket_id AND coalesce(first_response_at"
	"    > new.received, 1);"
	"END;"
	"CREATE TRIGGER tickets_response_au AFTER UPDATE OF ticket_id,"
	"  direction ON messages"
	"  WHEN new.direction = 'out' AND new.ticket_id IS NOT NULL BEGIN"
	"  UPDATE tickets SET first_response_at = new.received"
	"  WHERE id = new.ticket_id AND coalesce(first_response_at"
	"    > new.received, 1);"
	"END;"
	"UPDATE tickets SET"
	"  claimed_by = (SELECT actor FROM events e WHERE e.ticket_id ="
	"    tickets.id AND kind = 'claim' ORDER BY e.id LIMIT 1),"
	"  routed_by = (SELECT CASE WHEN source IN ('cli', 'mail') THEN actor"
	"    END FROM events e WHERE e.ticket_id = tickets.id"
	"    AND kind = 'route' ORDER BY e.id DESC LIMIT 1),"
	"  qualified_by = (SELECT actor FROM events e WHERE e.ticket_id ="
	"    tickets.id AND kind IN ('qualify', 'disqualify')"
	"    ORDER BY e.id DESC LIMIT 1),"
	"  first_response_at = (SELECT min(received) FROM messages m"
	"    WHERE m.ticket_id = tickets.id AND direction = 'out');",

	/*
	 * 4: the outbox sender.  parts_sent: how many mails of a row the
	 * server accepted (a redirect row is one mail per customer
	 * message; a retry resumes after them).  State 'skipped': a
	 * follow-up that loop protection keeps from being forwarded.
	 * SQLite cannot change a CHECK in place: the table is rebuilt.
	 */
	"CREATE TABLE outbox_v4 ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  kind TEXT NOT NULL,"
	"  route TEXT,"
	"  rcpt TEXT,"
	"  note TEXT,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent','failed','skipped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  parts_sent INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO outbox_v4 (id, ticket_id, message_id, kind, route, rcpt,"
	"  note, created, state, attempts, next_attempt, last_error, sent_at)"
	"  SELECT id, ticket_id, message_id, kind, route, rcpt, note, created,"
	"  state, attempts, next_attempt, last_error, sent_at FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v4 RENAME TO outbox;"
	"CREATE INDEX outbox_pending ON outbox(state, next_attempt)"
	"  WHERE state = 'pending';"
	"CREATE INDEX outbox_ticket ON outbox(ticket_id, kind, sent_at);",

	/*
	 * 5: key accounts and the SLA digest.  A ticket records the key
	 * account and tier of its customer when it opens (NULL: none).
	 * sla_digests: one row per local day a digest was made for, so a
	 * restart never sends the same day's digest twice; it keeps the
	 * text until the SMTP server took it (outbox.ticket_id is NOT
	 * NULL, and a digest is about no one ticket).
	 */
	"ALTER TABLE tickets ADD COLUMN account TEXT;"
	"ALTER TABLE tickets ADD COLUMN tier TEXT;"
	"CREATE TABLE sla_digests ("
	"  day INTEGER PRIMARY KEY,"
	"  created INTEGER NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER);",

	/*
	 * 6: a forward of the whole thread is pinned to the thread as it
	 * stood when it was queued (its highest message id).  A retry
	 * resumes after the mails the server already accepted, counted by
	 * position; without the pin a message joining the thread in
	 * between (threads sort by Date) could shift an accepted mail to
	 * an unsent position and send it again.  NULL: older rows, unpinned.
	 */
	"ALTER TABLE outbox ADD COLUMN upto_message INTEGER;",

	/*
	 * 7: new messages are indexed for full-text search once per
	 * transaction, just before it commits (store_fts_flush), not by a
	 * trigger per row.  FTS5 writes its pending terms out as a new
	 * segment at every savepoint and at every statement that may
	 * abort, so indexing row by row made a batch of 100 messages 100
	 * segments to merge again: a quarter of the daemon's storing time.
	 */
	"DROP TRIGGER messages_fts_ai;",

	/*
	 * 8: an SLA reminder's clock, its start and deadline and the
	 * reminder's recipient are columns of its sla-breach event, which
	 * the report and the SLA pass read; the detail stays as text for
	 * people.  Old events get their columns from the detail wherever
	 * the columns render it again exactly (every detail a reminder
	 * wrote); any other keeps NULL, and counts as no breach, as the
	 * detail it could not be read from did before.
	 */
	"ALTER TABLE events ADD COLUMN sla_clock TEXT"
	"  CHECK (sla_clock IN ('claim', 'acknowledge'));"
	"ALTER TABLE events ADD COLUMN sla_since INTEGER;"
	"ALTER TABLE events ADD COLUMN sla_deadline INTEGER;"
	"ALTER TABLE events ADD COLUMN sla_rcpt TEXT;"
	"CREATE TEMP TABLE sla_v8 AS"
	"  SELECT id, clock, since, deadline,"
	"    nullif(substr(detail, length(clock) + 57), '') AS rcpt, detail"
	"  FROM (SELECT id, clock, detail,"
	"    CAST(strftime('%s', substr(detail, length(clock) + 8, 20))"
	"      AS INTEGER) AS since,"
	"    CAST(strftime('%s', substr(detail, length(clock) + 33, 20))"
	"      AS INTEGER) AS deadline"
	"    FROM (SELECT id, detail, CASE"
	"      WHEN detail LIKE 'claim since %' THEN 'claim'"
	"      WHEN detail LIKE 'acknowledge since %' THEN 'acknowledge'"
	"      END AS clock"
	"      FROM events WHERE kind = 'sla-breach'))"
	"  WHERE clock IS NOT NULL;"
	"DELETE FROM sla_v8 WHERE coalesce(detail <> " STORE_SLA_DETAIL("clock",
	    "since", "deadline",
	    "rcpt") ", 1);"
		    /* Events are append-only, but for this once. */
		    "DROP TRIGGER events_no_update;"
		    "UPDATE events SET (sla_clock, sla_since, sla_deadline, sla_rcpt) ="
		    "  (SELECT clock, since, deadline, rcpt FROM sla_v8 v"
		    "   WHERE v.id = events.id)"
		    "  WHERE id IN (SELECT id FROM sla_v8);"
		    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
		    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
		    "DROP TABLE sla_v8;",

	/*
	 * 9: the loop-protection facts the outbox sender needs are read
	 * from the message row, never by parsing the stored message again
	 * (up to 50 MB per follow-up).  flags (MSG_*) and from_addr were
	 * recorded at ingest already; x_loop keeps the values of the
	 * message's X-Loop headers, one a line ('' when none), so a
	 * follow-up naming our address (smtp.from when it is sent) is never
	 * forwarded.  Ingest writes it; when the header lines change (a
	 * reprocess) a trigger derives it from them again, and touching
	 * the header lines of the old rows that have an X-Loop fills it.
	 */
	"ALTER TABLE messages ADD COLUMN x_loop TEXT NOT NULL DEFAULT '';"
	"CREATE TRIGGER messages_x_loop_au AFTER UPDATE OF headers ON messages"
	"  BEGIN UPDATE messages SET x_loop = ("
	"  WITH RECURSIVE split(line, rest) AS ("
	"    SELECT NULL, new.headers UNION ALL"
	"    SELECT substr(rest, 1, instr(rest, char(10)) - 1),"
	"      substr(rest, instr(rest, char(10)) + 1) FROM split"
	"      WHERE instr(rest, char(10)) > 0)"
	"  SELECT coalesce(group_concat(substr(line, 9), char(10)), '')"
	"  FROM split WHERE line LIKE 'x-loop: %') WHERE id = new.id;"
	"END;"
	"UPDATE messages SET headers = headers WHERE headers LIKE '%x-loop:%';",

	/*
	 * 10: a change made on the command line records the Unix user who
	 * ran it beside the acting team member's name (`--as` lets root and
	 * managers act for someone else).  NULL for mail, rules, the daemon
	 * and older events.
	 */
	"ALTER TABLE events ADD COLUMN unix_user TEXT;",

	/*
	 * 11: the hand-off loop.  `instance` holds this database's random
	 * Message-ID part and the secret that signs the mail we send
	 * (lib/mail/msgid.h), made here once: two databases, or one made
	 * again by a reinstall, never mint the same Message-ID, and our
	 * mail coming back is recognised by its token.  `score_signals`
	 * remembers which rule's score a ticket has counted, so a signal
	 * counts once per ticket, not again with every follow-up (scores
	 * counted before this version have no rows).
	 */
	"CREATE TABLE instance ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  msgid_part TEXT NOT NULL CHECK (length(msgid_part) = 12),"
	"  secret BLOB NOT NULL CHECK (length(secret) = 32),"
	"  created INTEGER NOT NULL);"
	"INSERT INTO instance (id, msgid_part, secret, created)"
	"  VALUES (1, lower(hex(randomblob(6))), randomblob(32),"
	"  CAST(strftime('%s', 'now') AS INTEGER));"
	"CREATE TABLE score_signals ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  rule TEXT NOT NULL,"
	"  dim TEXT NOT NULL,"
	"  PRIMARY KEY (ticket_id, rule, dim)) WITHOUT ROWID;",

	/*
	 * 12: the weekly report mail goes through the outbox too, but is
	 * about no one ticket: ticket_id may be NULL, for kind 'report'
	 * only, and `html` holds its HTML part (the text part is in note,
	 * as a reminder's).  SQLite cannot drop a NOT NULL in place: the
	 * table is rebuilt, as in 4.  `weekly_reports`: one row per week,
	 * keyed by the instant its report fell due (report.day and .at),
	 * so a restart never queues a week twice; the first row a
	 * database gets only marks the week weekly mail began (outbox_id
	 * NULL: nothing sent), so turning it on mails the next week's.
	 */
	"CREATE TABLE outbox_v12 ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER REFERENCES tickets(id)"
	"    CHECK ((ticket_id IS NULL) = (kind = 'report')),"
	"  message_id INTEGER REFERENCES messages(id),"
	"  kind TEXT NOT NULL,"
	"  route TEXT,"
	"  rcpt TEXT,"
	"  note TEXT,"
	"  created INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sent','failed','skipped')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  parts_sent INTEGER NOT NULL DEFAULT 0,"
	"  upto_message INTEGER,"
	"  html TEXT);"
	"INSERT INTO outbox_v12 (id, ticket_id, message_id, kind, route, rcpt,"
	"  note, created, state, attempts, next_attempt, last_error, sent_at,"
	"  parts_sent, upto_message)"
	"  SELECT id, ticket_id, message_id, kind, route, rcpt, note, created,"
	"  state, attempts, next_attempt, last_error, sent_at, parts_sent,"
	"  upto_message FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v12 RENAME TO outbox;"
	"CREATE INDEX outbox_pending ON outbox(state, next_attempt)"
	"  WHERE state = 'pending';"
	"CREATE INDEX outbox_ticket ON outbox(ticket_id, kind, sent_at);"
	"CREATE TABLE weekly_reports ("
	"  due INTEGER PRIMARY KEY,"
	"  outbox_id INTEGER REFERENCES outbox(id),"
	"  created INTEGER NOT NULL);",
	/*
	 * 13: webhooks.  Each event a configured webhook wants is queued
	 * here by store_add_event, in the transaction of the change; the
	 * sender (lib/work/webhook-run.c) leases a row while it POSTs
	 * (state 'sending' until lease_until), then marks it delivered
	 * (2xx), failed (4xx) or pending again with a later next_attempt.
	 */
	"CREATE TABLE webhooks ("
	"  id INTEGER PRIMARY KEY,"
	"  event_id INTEGER NOT NULL REFERENCES events(id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  url TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending','sending','delivered','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  next_attempt INTEGER NOT NULL,"
	"  lease_until INTEGER,"
	"  delivered_at INTEGER,"
	"  http_status INTEGER,"
	"  last_error TEXT,"
	"  UNIQUE (event_id, url));"
	"CREATE INDEX webhooks_due ON webhooks(state, next_attempt)"
	"  WHERE state IN ('pending', 'sending');",
	/*
	 * 14: a report reads indexes, not rows (store-report.c).  The
	 * period's story and sla-breach events come whole from
	 * events_kind_at, the first event that meets a breach from
	 * events_ticket, and the counts per mailbox, like those per tag
	 * (tags_tag), from an index in key order.
	 */
	"DROP INDEX events_kind_at;"
	"CREATE INDEX events_kind_at ON events(kind, at, ticket_id,"
	"  sla_clock, sla_since, sla_deadline, sla_rcpt, actor);"
	"DROP INDEX events_ticket;"
	"CREATE INDEX events_ticket ON events(ticket_id, id, kind, at);"
	"CREATE INDEX ticket_mailboxes_mailbox"
	"  ON ticket_mailboxes(mailbox, ticket_id);",
	/*
	 * 15: a BDR's day.  States gain 'waiting' (open: on the customer,
	 * no SLA clock runs) and 'merged' (a closed stub; merged_into names
	 * the ticket that took its messages).  A CHECK and a VIRTUAL
	 * column's expression are not stored in the rows, so the table's
	 * text is edited in place (SQLite's "ALTER TABLE" page, the
	 * procedure for schema changes that keep the on-disk format): no
	 * row has either state yet, so every index on is_open stays true;
	 * rebuilding `tickets` instead would trip every foreign key that
	 * names it.  wait_since/wait_until: the wait in progress; waited:
	 * seconds spent waiting, all waits summed.  away: who is away
	 * (until NULL: until they next act or say #back), the reason, and
	 * whether an auto-reply said so.  assign_cursor: round-robin's
	 * last pick per assign block.
	 */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(replace(sql,"
	"  '''acknowledged'',''closed'',''ignored'')',"
	"  '''acknowledged'',''closed'',''ignored'',''waiting'',''merged'')'),"
	"  'NOT IN (''closed'',''ignored'')',"
	"  'NOT IN (''closed'',''ignored'',''merged'')')"
	"  WHERE type = 'table' AND name = 'tickets';"
	"PRAGMA writable_schema = RESET;"
	"ALTER TABLE tickets ADD COLUMN wait_since INTEGER;"
	"ALTER TABLE tickets ADD COLUMN wait_until INTEGER;"
	"ALTER TABLE tickets ADD COLUMN waited INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tickets ADD COLUMN merged_into INTEGER"
	"  REFERENCES tickets(id);"
	"CREATE INDEX tickets_waiting ON tickets(wait_until)"
	"  WHERE state = 'waiting';"
	"CREATE INDEX tickets_merged ON tickets(merged_into)"
	"  WHERE merged_into IS NOT NULL;"
	"CREATE TABLE away ("
	"  name TEXT PRIMARY KEY,"
	"  since INTEGER NOT NULL,"
	"  until INTEGER,"
	"  auto INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
	"CREATE TABLE assign_cursor ("
	"  name TEXT PRIMARY KEY,"
	"  last TEXT NOT NULL) WITHOUT ROWID;",
	/*
	 * 16: a year's report and a search on a million tickets.  The
	 * report's waits (store-report.c) come from a partial index of the
	 * tickets that waited, in creation order, instead of a table row
	 * per ticket of the period to find the few that did.  sla_met: when
	 * each sla-breach event was met, the earliest `at` of the ticket's
	 * later claim, route, ack, reopen or close events (what ends a
	 * clock), kept by a trigger as those events are written (events
	 * stay append-only) and filled here for the events so far: no
	 * search of the ticket's events per breach.  tickets_updated: a
	 * search's newest tickets first without sorting every match
	 * (store-query.c).
	 */
	"CREATE INDEX tickets_waited ON tickets(created, state, waited,"
	"  wait_since) WHERE waited > 0 OR state = 'waiting';"
	"CREATE INDEX tickets_updated ON tickets(updated);"
	"CREATE TABLE sla_met ("
	"  event_id INTEGER PRIMARY KEY REFERENCES events(id),"
	"  at INTEGER NOT NULL);"
	"INSERT INTO sla_met (event_id, at)"
	"  SELECT b.id, (SELECT min(e.at) FROM events e"
	"    WHERE e.ticket_id = b.ticket_id AND e.id > b.id"
	"    AND e.kind IN ('claim', 'route', 'ack', 'reopen', 'close')) AS met"
	"  FROM events b WHERE b.kind = 'sla-breach'"
	"  AND b.ticket_id IS NOT NULL AND met IS NOT NULL;"
	"CREATE TRIGGER events_sla_met AFTER INSERT ON events"
	"  WHEN new.kind IN ('claim', 'route', 'ack', 'reopen', 'close')"
	"  AND new.ticket_id IS NOT NULL BEGIN"
	"  INSERT INTO sla_met (event_id, at) SELECT id, new.at FROM events"
	"    WHERE ticket_id = new.ticket_id AND id < new.id"
	"    AND kind = 'sla-breach'"
	"    ON CONFLICT (event_id) DO UPDATE SET at = excluded.at"
	"    WHERE excluded.at < at;"
	"  END;",
	/*
	 * 17: several triaged on one database (../shared/SCALE.md,
	 * store-lease.c).  leases: who fetches each mailbox ("mailbox:NAME")
	 * and who runs the SLA pass ("sla"), with an epoch raised on every
	 * change of owner and an expiry in milliseconds of the database's
	 * clock.  instances: each running triaged's heartbeat and status.
	 * mailboxes.acted_*: how far its mail was flagged or moved, so a
	 * new owner repairs the old owner's gap.  outbox.locked_*: the send
	 * lease of a row being sent (store-outbox.c).
	 */
	"CREATE TABLE leases ("
	"  name TEXT PRIMARY KEY,"
	"  owner TEXT NOT NULL DEFAULT '',"
	"  epoch INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  heartbeat INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT '');"
	"ALTER TABLE mailboxes ADD COLUMN acted_uidvalidity INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE mailboxes ADD COLUMN acted_uid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN locked_by TEXT;"
	"ALTER TABLE outbox ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION,
    "one migration per schema version");

static const char *const source_names[] = { "cli", "mail", "rule", "daemon" };
static const char *const state_names[] = { "new", "claimed", "routed",
	"acknowledged", "closed", "ignored", "waiting", "merged" };

static const char *
store_source_name(enum store_source s)
{
	if (s < STORE_SRC_CLI || s > STORE_SRC_DAEMON)
		return "daemon";
	return source_names[s];
}

const char *
store_state_name(enum store_state s)
{
	if (s < STATE_NEW || s > STATE_MERGED)
		return "?";
	return state_names[s];
}

int
store_state_parse(const char *s, enum store_state *state_r)
{
	for (int i = STATE_NEW; i <= STATE_MERGED; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*state_r = (enum store_state)i;
			return 0;
		}
	}
	return -1;
}

int
store_sqlerr(struct store *st, struct error *err, const char *what)
{
	enum err_code ec = ERR_INTERNAL;
	/* the system's errno of an I/O, disk-full or open failure, or 0 */
	int sys = db_errno(st->db);

	if (db_errclass(st->db) == DB_ERR_TEMP)
		ec = ERR_TEMP;
	/* "disk I/O error" says more with the system's words */
	if (sys != 0)
		return error_set(err, ec, "%s: %s: %s (%s)", st->path, what,
		    db_errmsg(st->db), strerror(sys));
	return error_set(err, ec, "%s: %s: %s", st->path, what,
	    db_errmsg(st->db));
}

int
store_collect(struct store *st, struct db_stmt *s, size_t size,
    void (*read)(struct db_stmt *s, void *row), void **v_r, size_t *n_r,
    const char *what, struct error *err)
{
	char *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 8;
			v = xreallocarray(v, cap, size);
		}
		memset(v + n * size, 0, size);
		read(s, v + n++ * size);
	}
	*v_r = v;
	*n_r = n;
	return rc == DB_DONE ? 0 : store_sqlerr(st, err, what);
}

int
store_step_row(struct store *st, struct db_stmt *s, const char *what,
    struct error *err)
{
	int rc = db_step(s);

	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE)
		return 0;
	return store_sqlerr(st, err, what);
}

int
store_step_id(struct store *st, struct db_stmt *s, const char *what,
    int64_t *id_r, struct error *err)
{
	int r = store_step_row(st, s, what, err);

	if (r == 0)
		return error_set(err, ERR_INTERNAL, "%s: no id returned", what);
	if (r > 0)
		*id_r = db_col_int64(s, 0);
	return r > 0 ? 0 : -1;
}

/*
 * Statements are cached by the address of their SQL text (every caller
 * passes a string literal), so a hot path such as ingest prepares each
 * statement once per connection.  A statement already in use (a nested
 * call) gets a fresh, uncached one.
 */
int
store_prepare(struct store *st, struct db_stmt **stmt_r, const char *sql,
    struct error *err)
{
	struct store_stmt *free_slot = NULL;
	int r;

	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		struct store_stmt *c = &st->cache[i];

		if (c->sql == sql && !c->busy) {
			c->busy = 1;
			*stmt_r = c->stmt;
			return 0;
		}
		if (c->sql == NULL && free_slot == NULL)
			free_slot = c;
	}
	r = db_prepare(st->db, sql, free_slot != NULL, stmt_r);
	if (r != DB_OK)
		return store_sqlerr(st, err, "prepare");
	if (free_slot != NULL) {
		free_slot->sql = sql;
		free_slot->stmt = *stmt_r;
		free_slot->busy = 1;
	}
	return 0;
}

void
store_release(struct store *st, struct db_stmt **sp)
{
	struct db_stmt *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		if (st->cache[i].stmt == s) {
			db_reset(s);
			st->cache[i].busy = 0;
			return;
		}
	}
	db_finalize(s);
}

int
store_exec(struct store *st, const char *sql, struct error *err)
{
	int r;

	r = db_exec(st->db, sql);
	if (r != DB_OK)
		return store_sqlerr(st, err, "exec");
	return 0;
}

int
store_bind_text(struct db_stmt *s, int i, const char *v)
{
	return db_bind_text(s, i, v, -1);
}

char *
store_col_text(struct db_stmt *s, int i)
{
	const char *t = db_col_text(s, i);

	return t != NULL ? xstrdup(t) : NULL;
}

static int64_t
default_clock(void *arg)
{
	return (int64_t)time(NULL);
}

int64_t
store_now(struct store *st)
{
	return st->clock(st->clock_arg);
}

void
store_set_clock(struct store *st, store_clock_fn *fn, void *arg)
{
	st->clock = fn != NULL ? fn : default_clock;
	st->clock_arg = arg;
}

int
store_set_cache_size(struct store *st, int kib, struct error *err)
{
	char sql[64];

	if (kib <= 0)
		return error_set(err, ERR_USAGE, "cache size must be > 0");
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d;", kib);
	return store_exec(st, sql, err);
}

void
store_set_own_domain(struct store *st, const char *domain)
{
	free(st->own_domain);
	st->own_domain = domain != NULL ? xstrdup(domain) : NULL;
}

void
store_set_unix_user(struct store *st, const char *user)
{
	free(st->unix_user);
	st->unix_user = user != NULL ? xstrdup(user) : NULL;
}

void
store_set_team(struct store *st, store_team_fn *fn, void *arg)
{
	st->team = fn;
	st->team_arg = arg;
}

int
store_is_team(struct store *st, const char *addr)
{
	if (st->team == NULL || addr == NULL || *addr == '\0')
		return 0;
	return st->team(st->team_arg, addr);
}

int
store_schema_version(struct store *st)
{
	return st->version;
}

int
store_tx_enter(struct store *st, struct error *err)
{
	int r;

	if (st->depth >= STORE_MAX_DEPTH)
		return error_set(err, ERR_INTERNAL,
		    "transactions nested "
		    "deeper than %d",
		    STORE_MAX_DEPTH);
	if (st->depth == 0)
		r = db_begin(st->db, DB_TX_WRITE);
	else
		r = db_savepoint(st->db, "unit");
	if (r != DB_OK)
		return store_sqlerr(st, err, "exec");
	st->fts_saved[st->depth] = st->fts_from;
	st->depth++;
	return 0;
}

void
store_fts_pending(struct store *st, int64_t id)
{
	/*
	 * before schema 7 a trigger indexed each row (none before 2);
	 * PostgreSQL's index is a generated column
	 */
	if (st->version < 7 || db_backend(st->db) == DB_PG)
		return;
	if (st->fts_from == 0 || id < st->fts_from)
		st->fts_from = id;
}

int
store_fts_flush(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (st->fts_from == 0)
		return 0;
	/*
	 * Rows are numbered past the highest one, so every row this
	 * transaction inserted (and kept) is at or past the first.
	 */
	r = store_prepare(st, &s,
	    "INSERT INTO messages_fts (rowid, subject, from_addr, to_addrs,"
	    " cc_addrs, text) SELECT id, subject, from_addr, to_addrs,"
	    " cc_addrs, text FROM messages WHERE id >= ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, st->fts_from);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "full-text index");
	else
		st->fts_from = 0;
	store_release(st, &s);
	return r;
}

int
store_tx_leave(struct store *st, int ok, struct error *err)
{
	int r = 0;

	st->depth--;
	if (st->depth == 0) {
		if (ok)
			r = store_fts_flush(st, err);
		st->fts_from = 0;
		/* one wake-up for the senders, however many rows it queued */
		if (ok && r == 0 && st->outbox_queued &&
		    db_backend(st->db) == DB_PG &&
		    db_exec(st->db, "SELECT pg_notify('" STORE_OUTBOX_CHANNEL
				    "', '')") != DB_OK)
			r = store_sqlerr(st, err, "notify");
		st->outbox_queued = 0;
		if (ok && r == 0) {
			if (db_commit(st->db) != DB_OK) {
				r = store_sqlerr(st, err, "exec");
				db_rollback(st->db);
			}
		} else {
			db_rollback(st->db);
		}
		return r;
	}
	if (!ok) {
		db_rollback_to(st->db, "unit");
		/* an index flush inside it is undone too: pending again */
		st->fts_from = st->fts_saved[st->depth];
	}
	db_release(st->db, "unit");
	return 0;
}

int
store_begin(struct store *st, struct error *err)
{
	if (st->depth != 0)
		return error_set(err, ERR_USAGE, "transaction already open");
	return store_tx_enter(st, err);
}

int
store_commit(struct store *st, struct error *err)
{
	if (st->depth != 1)
		return error_set(err, ERR_USAGE, "no transaction open");
	return store_tx_leave(st, 1, err);
}

void
store_rollback(struct store *st)
{
	if (st->depth == 0)
		return;
	db_rollback(st->db);
	st->depth = 0;
	st->outbox_queued = 0;
	st->fts_from = 0;
}

void
store_set_webhooks(struct store *st, const struct conf *c)
{
	st->hooks = c;
}

/* Does a webhook want events of `kind` (so their ids)? */
static int
hooks_want(const struct store *st, const char *kind)
{
	if (st->hooks == NULL || st->version < 13)
		return 0;
	for (size_t i = 0; i < st->hooks->n_webhooks; i++)
		if (conf_webhook_wants(&st->hooks->webhooks[i], kind))
			return 1;
	return 0;
}

/*
 * The webhooks that want event `event_id` (of `kind`, on ticket `id`)
 * queued beside it, in its transaction (schema 13): every event kind
 * passes here, so a hook's `events` filter covers kinds added later.
 */
static int
queue_webhooks(struct store *st, int64_t event_id, int64_t id, const char *kind,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r = 0;

	if (st->hooks == NULL || st->version < 13)
		return 0;
	for (size_t i = 0; i < st->hooks->n_webhooks && r == 0; i++) {
		const struct conf_webhook *w = &st->hooks->webhooks[i];

		if (!conf_webhook_wants(w, kind))
			continue;
		r = store_prepare(st, &s,
		    "INSERT INTO webhooks (event_id, ticket_id, url, kind,"
		    " created, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
		    err);
		if (r < 0)
			break;
		db_bind_int64(s, 1, event_id);
		db_bind_int64(s, 2, id);
		store_bind_text(s, 3, w->url);
		store_bind_text(s, 4, kind);
		db_bind_int64(s, 5, store_now(st));
		if (db_step(s) != DB_DONE)
			r = store_sqlerr(st, err, "queue webhook");
		store_release(st, &s);
	}
	return r;
}

int
store_add_event(struct store *st, int64_t id, const struct store_actor *a,
    const char *kind, const char *detail, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t event_id = 0;
	int r;

	/* unix_user (schema 10) only when set: the daemon has none */
	r = store_prepare(st, &s,
	    st->unix_user != NULL ?
		"INSERT INTO events (ticket_id, at, actor, source, kind,"
		" detail, unix_user) VALUES (?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id" :
		"INSERT INTO events (ticket_id, at, actor, source, kind,"
		" detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	    err);
	if (r < 0)
		goto out;
	if (id > 0)
		db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, a->name != NULL ? a->name : "?");
	store_bind_text(s, 4, store_source_name(a->source));
	store_bind_text(s, 5, kind);
	store_bind_text(s, 6, detail != NULL ? detail : "");
	if (st->unix_user != NULL)
		store_bind_text(s, 7, st->unix_user);
	if (id > 0 && hooks_want(st, kind))
		r = store_step_id(st, s, "insert event", &event_id, err);
	else if (db_step_nowait(s) != DB_DONE) /* no id wanted */
		r = store_sqlerr(st, err, "insert event");
	store_release(st, &s);
	if (r == 0 && event_id > 0)
		r = queue_webhooks(st, event_id, id, kind, err);
out:
	store_release(st, &s);
	return r;
}

static int
read_version(struct store *st, int *version_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, "PRAGMA user_version", err);
	if (r < 0)
		goto out;
	if (db_step(s) != DB_ROW) {
		r = store_sqlerr(st, err, "read schema version");
		goto out;
	}
	/* never set so by triage: no migration starts there */
	if (db_col_int(s, 0) < 0) {
		r = error_set(err, ERR_INTERNAL,
		    "%s: database schema version %d is invalid", st->path,
		    db_col_int(s, 0));
		goto out;
	}
	*version_r = db_col_int(s, 0);
out:
	store_release(st, &s);
	return r;
}

static int
version_too_new(struct store *st, int v, struct error *err)
{
	return error_set(err, ERR_INTERNAL,
	    "%s: database schema "
	    "version %d is newer than this triage knows (%d); "
	    "upgrade triage",
	    st->path, v, STORE_SCHEMA_VERSION);
}

/*
 * The next migration towards `target` and its version bump, atomically:
 * 1 if one was applied, 0 if the database is already there.  Other
 * processes may be opening the same database: BEGIN IMMEDIATE takes the
 * write lock (waiting the busy timeout), and the version is read again
 * under it, so each migration runs once and the version only grows.
 */
static int
migrate_next(struct store *st, int target, struct error *err)
{
	char pragma[64];
	int r, v = 0; /* set by read_version on success */

	r = store_tx_enter(st, err);
	if (r < 0)
		return error_prefix(err, "migration to schema %d",
		    st->version + 1);
	r = read_version(st, &v, err);
	if (r == 0 && v > STORE_SCHEMA_VERSION)
		r = version_too_new(st, v, err);
	if (r < 0 || v >= target) {
		store_tx_leave(st, 0, err);
		if (r < 0)
			return -1;
		st->version = v;
		return 0;
	}
	r = store_exec(st, migrations[v], err);
	if (r == 0) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    v + 1);
		r = store_exec(st, pragma, err);
	}
	if (r < 0) {
		store_tx_leave(st, 0, err);
		return error_prefix(err, "migration to schema %d", v + 1);
	}
	r = store_tx_leave(st, 1, err);
	if (r < 0)
		return error_prefix(err, "migration to schema %d", v + 1);
	st->version = v + 1;
	return 1;
}

/* ---- PostgreSQL: the schema of store-schema-pg.c, and the ingest lock ---- */

/* pg_advisory_xact_lock keys: "triage" then 0001 (schema), 0002 (ingest) */
#define SCHEMA_LOCK "8390876182755917825"
#define INGEST_LOCK "8390876182755917826"

/*
 * The version under the advisory lock: *v_r 0 when there is no schema.
 * A statement naming a missing table would abort the transaction on
 * PostgreSQL, so the table is looked up first.
 */
static int
read_pg_version(struct store *st, int *v_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	*v_r = 0;
	r = store_prepare(st, &s,
	    "SELECT CASE WHEN to_regclass('triage_schema') IS NULL"
	    " THEN 0 ELSE 1 END",
	    err);
	if (r == 0)
		r = store_step_row(st, s, "look for the schema", err);
	if (r > 0 && db_col_int(s, 0) == 1) {
		store_release(st, &s);
		r = store_prepare(st, &s,
		    "SELECT version FROM triage_schema WHERE id = 1", err);
		if (r == 0)
			r = store_step_row(st, s, "read schema version", err);
		if (r == 0)
			r = error_set(err, ERR_INTERNAL,
			    "%s: triage_schema holds no version", st->path);
		if (r > 0)
			*v_r = db_col_int(s, 0);
	}
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}

/* The instance row: 12 hex digits and a 32-byte secret, made here. */
static int
insert_instance(struct store *st, struct error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6 + 32];
	char part[13];
	struct db_stmt *s = NULL;
	int r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return error_set(err, ERR_INTERNAL,
		    "no random bytes for the instance key");
	for (int i = 0; i < 6; i++) {
		part[2 * i] = hex[rnd[i] >> 4];
		part[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	part[12] = '\0';
	r = store_prepare(st, &s,
	    "INSERT INTO instance (id, msgid_part, secret, created)"
	    " VALUES (1, ?1, ?2, ?3)",
	    err);
	if (r == 0) {
		db_bind_text(s, 1, part, -1);
		db_bind_blob(s, 2, rnd + 6, 32);
		db_bind_int64(s, 3, store_now(st));
		r = store_step_row(st, s, "instance", err);
		r = r < 0 ? -1 : 0;
	}
	store_release(st, &s);
	explicit_bzero(rnd, sizeof(rnd));
	return r;
}

static int
create_schema(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (store_exec(st, store_pg_schema, err) < 0 ||
	    insert_instance(st, err) < 0)
		return -1;
	r = store_prepare(st, &s,
	    "INSERT INTO triage_schema (id, version) VALUES (1, ?1)", err);
	if (r == 0) {
		db_bind_int(s, 1, STORE_PG_BASE_VERSION);
		r = store_step_row(st, s, "schema version", err) < 0 ? -1 : 0;
	}
	store_release(st, &s);
	return r;
}

/* One upgrade past PostgreSQL's base schema: from version v to v + 1. */
static int
pg_upgrade(struct store *st, int v, struct error *err)
{
	size_t i = (size_t)(v - STORE_PG_BASE_VERSION);
	struct db_stmt *s = NULL;
	int r;

	/* a schema version SQLite has and PostgreSQL was not given */
	if (i >= store_pg_n_upgrades)
		return error_set(err, ERR_INTERNAL,
		    "schema %d: no PostgreSQL upgrade in this build", v + 1);
	r = store_exec(st, store_pg_upgrades[i], err);
	if (r == 0)
		r = store_prepare(st, &s,
		    "UPDATE triage_schema SET version = ?1 WHERE id = 1", err);
	if (r == 0) {
		db_bind_int(s, 1, v + 1);
		r = store_step_row(st, s, "schema version", err) < 0 ? -1 : 0;
	}
	store_release(st, &s);
	return r < 0 ? error_prefix(err, "schema %d", v + 1) : 0;
}

/*
 * PostgreSQL's schema: created at the base version on an empty database
 * and upgraded to today's, else its version checked; serialised across
 * instances by a transaction advisory lock, the version read again
 * under it.
 */
static int
store_pg_migrate(struct store *st, struct error *err)
{
	int r, v = 0;

	r = store_tx_enter(st, err);
	if (r < 0)
		return error_prefix(err, "schema");
	r = store_exec(st, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")",
	    err);
	if (r == 0)
		r = read_pg_version(st, &v, err);
	if (r == 0 && v > STORE_SCHEMA_VERSION)
		r = error_set(err, ERR_INTERNAL,
		    "%s: database schema version %d is newer than this triage"
		    " knows (%d); upgrade triage",
		    st->path, v, STORE_SCHEMA_VERSION);
	if (r == 0 && v == 0) {
		r = create_schema(st, err);
		v = STORE_PG_BASE_VERSION;
	}
	if (r == 0 && v < STORE_PG_BASE_VERSION)
		r = error_set(err, ERR_INTERNAL,
		    "%s: database schema version %d was never made by triage",
		    st->path, v);
	for (; r == 0 && v < STORE_SCHEMA_VERSION; v++)
		r = pg_upgrade(st, v, err);
	if (r < 0) {
		store_tx_leave(st, 0, err);
		return error_prefix(err, "schema %d", STORE_SCHEMA_VERSION);
	}
	if (store_tx_leave(st, 1, err) < 0)
		return error_prefix(err, "schema %d", STORE_SCHEMA_VERSION);
	st->version = STORE_SCHEMA_VERSION;
	return 0;
}

int
store_ingest_lock(struct store *st, struct error *err)
{
	if (db_backend(st->db) != DB_PG)
		return 0;
	return store_exec(st, "SELECT pg_advisory_xact_lock(" INGEST_LOCK ")",
	    err);
}

/* The instance row (schema 11) into st->key; nothing on older ones. */
static int
store_own_load(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	const void *secret;
	const char *part;
	int r;

	st->has_key = 0;
	if (st->version < 11)
		return 0;
	/* Mail sent before the key existed carries unsigned ids. */
	r = store_prepare(st, &s,
	    "SELECT msgid_part, secret, EXISTS (SELECT 1 FROM outbox"
	    " WHERE state = 'sent' AND sent_at < i.created)"
	    " FROM instance i WHERE id = 1",
	    err);
	if (r < 0)
		return -1;
	r = store_step_row(st, s, "instance", err);
	if (r == 0)
		r = error_set(err, ERR_INTERNAL,
		    "%s: the instance row (schema 11) is missing", st->path);
	if (r > 0) {
		part = db_col_text(s, 0);
		secret = db_col_blob(s, 1);
		if (part == NULL || strlen(part) != MSGID_PART_LEN ||
		    secret == NULL || db_col_bytes(s, 1) != MSGID_SECRET_LEN) {
			r = error_set(err, ERR_INTERNAL,
			    "%s: the instance row (schema 11) is damaged",
			    st->path);
		} else {
			memcpy(st->key.part, part, MSGID_PART_LEN + 1);
			memcpy(st->key.secret, secret, MSGID_SECRET_LEN);
			st->has_key = 1;
			st->legacy_ids = db_col_int(s, 2);
			r = 0;
		}
	}
	store_release(st, &s);
	return r;
}

const struct msgid_key *
store_msgid_key(struct store *st)
{
	return st->has_key ? &st->key : NULL;
}

int
store_migrate(struct store *st, int target, struct error *err)
{
	int r, v = 0; /* set by read_version on success */

	assert(target >= 0 && target <= STORE_SCHEMA_VERSION);
	/* the usual case, an up-to-date database, takes no write lock */
	r = read_version(st, &v, err);
	if (r < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION)
		return version_too_new(st, v, err);
	st->version = v;
	while (st->version < target) {
		r = migrate_next(st, target, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	return 0;
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * "PRAGMA journal_mode = WAL" once: 1 done, 0 busy (try again), -1
 * failed.  Switching a new database to WAL needs it alone for a moment,
 * and SQLite reports a lost race there at once (busy) without
 * calling the busy handler.
 */
static int
try_wal(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	const char *mode;
	int rc, r = 0;

	rc = db_prepare(st->db, "PRAGMA journal_mode = WAL", 0, &s);
	if (rc == DB_OK)
		rc = db_step(s);
	if (rc == DB_ROW) {
		mode = db_col_text(s, 0);
		if (mode == NULL)
			mode = "?";
		/* an in-memory database has no WAL and needs none */
		r = strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0;
		if (!r)
			r = error_set(err, ERR_INTERNAL,
			    "%s: cannot switch to WAL: journal mode stays %s",
			    st->path, mode);
	} else if (db_errclass(st->db) != DB_ERR_TEMP ||
		   db_errno(st->db) != 0) {
		/* not busy or locked (an I/O failure has the system's errno) */
		r = store_sqlerr(st, err, "journal_mode");
	}
	db_finalize(s);
	return r;
}

/*
 * WAL, waiting up to the busy timeout for processes opening the same
 * new database; still busy then is a temporary failure.
 */
static int
set_wal(struct store *st, struct error *err)
{
	const struct timespec pause = { 0, 5 * 1000 * 1000 };
	int64_t deadline = monotonic_ms() + BUSY_TIMEOUT_MS;
	int r;

	for (;;) {
		r = try_wal(st, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
		if (monotonic_ms() >= deadline)
			return error_set(err, ERR_TEMP,
			    "%s: cannot switch to WAL: database is locked",
			    st->path);
		nanosleep(&pause, NULL);
	}
}

/*
 * A database this process creates is made 0660 (SQLite creates it 0644
 * less the umask), so the team's Unix group can write it; its -wal and
 * -shm files take the file's mode.  chmod by path: opening and closing
 * the file here would drop the POSIX locks SQLite holds on it in this
 * process (another connection of the daemon's).
 */
static int
share_created(const char *path, int created, struct error *err)
{
	if (created && chmod(path, 0660) < 0)
		return error_set(err, ERR_INTERNAL, "%s: chmod: %s", path,
		    strerror(errno));
	return 0;
}

/* Open the connection of st to `name` with `flags`; -1 with err set. */
static int
connect_db(struct store *st, const char *name, int flags,
    const char *password_file, struct error *err)
{
	int r;

	r = db_open(name, flags, password_file, &st->db);
	if (r != DB_OK)
		return error_set(err, ERR_INTERNAL, "%s: cannot open: %s",
		    st->path,
		    st->db != NULL ?
			db_errmsg(st->db) :
		    db_target_is_pg(name) && !db_have_pg() ?
			"this triage was built without PostgreSQL support" :
			"out of memory");
	db_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	return 0;
}

static struct store *
store_new(const char *path)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	st->clock = default_clock;
	return st;
}

int
store_open_raw(const char *path, struct store **st_r, struct error *err)
{
	struct store *st = store_new(path);
	int r, created;

	created = access(path, F_OK) < 0 && errno == ENOENT;
	r = connect_db(st, path, DB_OPEN_CREATE, NULL, err);
	if (r < 0)
		goto fail;
	r = share_created(path, created, err);
	if (r < 0)
		goto fail;
	/*
	 * WAL: readers never block the writer.  synchronous=FULL: a commit
	 * is on disk before the daemon flags or moves the IMAP message and
	 * before `triage ingest` tells the MTA it may drop the mail, so not
	 * even a power loss loses one (NORMAL could lose the last commits,
	 * and a moved message is not fetched again).  One fsync per commit;
	 * the daemon commits per batch.  A 32 MB page cache keeps ingest's
	 * index lookups off the disk.
	 */
	r = set_wal(st, err);
	if (r < 0)
		goto fail;
	r = store_exec(st,
	    "PRAGMA synchronous = FULL;"
	    "PRAGMA cache_size = -32000;"
	    "PRAGMA foreign_keys = ON;",
	    err);
	if (r < 0)
		goto fail;
	*st_r = st;
	return 0;
fail:
	store_close(&st);
	return -1;
}

/* Is there a file at `path`, and with something in it? */
static int
file_size(const char *path, off_t *size_r)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	*size_r = sb.st_size;
	return 0;
}

int
store_check_writable(const char *path, struct error *err)
{
	char *dir, *wal, *shm, *slash;
	int r = 0, werr;

	/* SQLite's own names (":memory:", URIs) are not files */
	if (path[0] == '\0' || path[0] == ':' || strncmp(path, "file:", 5) == 0)
		return 0;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	xasprintf(&wal, "%s-wal", path);
	xasprintf(&shm, "%s-shm", path);
	if (access(path, W_OK) < 0 && (werr = errno) != ENOENT) {
		r = error_set(err, ERR_TEMP,
		    "%s: the database is read-only for this user (uid %u): "
		    "%s; nothing can be stored until its permissions allow "
		    "writing",
		    path, (unsigned)getuid(), strerror(werr));
	} else if (access(dir, W_OK) < 0 && (werr = errno) != ENOENT &&
		   (access(wal, W_OK) < 0 || access(shm, W_OK) < 0)) {
		r = error_set(err, ERR_TEMP,
		    "%s: the database is read-only for this user (uid %u): "
		    "its directory %s is not writable (%s), and SQLite must "
		    "create %s-wal and -shm there to write",
		    path, (unsigned)getuid(), dir, strerror(werr), path);
	}
	free(dir);
	free(wal);
	free(shm);
	return r;
}

/* "file:" URI for `path` with `query`: '%', '?' and '#' escaped. */
static char *
ro_uri(const char *path, const char *query)
{
	struct buf b;

	buf_init(&b, 3 * strlen(path) + strlen(query) + 16);
	(void)buf_addstr(&b, "file:");
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			(void)buf_printf(&b, "%%%02X", (unsigned char)*p);
		else
			(void)buf_add(&b, p, 1);
	}
	(void)buf_printf(&b, "?%s", query);
	return buf_steal(&b);
}

/* Open a store on `path` through SQLite URI `query`; read its version. */
static int
connect_ro(const char *path, const char *query, struct store **st_r,
    int *version_r, struct error *err)
{
	struct store *st = store_new(path);
	char *uri = ro_uri(path, query);
	int r;

	r = connect_db(st, uri, DB_OPEN_READONLY | DB_OPEN_URI, NULL, err);
	free(uri);
	if (r == 0)
		r = read_version(st, version_r, err);
	*st_r = st;
	return r;
}

/*
 * Open `path` read-only: "mode=ro" reads a WAL database when its -shm
 * exists or can be created; when neither is possible (a directory this
 * user cannot write) and no WAL content would be missed, "immutable=1"
 * reads the file alone.  Then the schema must be current: it cannot be
 * migrated.
 */
static int
open_read_only(const char *path, struct store **st_r, struct error *err)
{
	struct store *st = NULL;
	char *wal;
	off_t wal_size = 0;
	enum db_errclass code;
	int r, v = 0;

	r = connect_ro(path, "mode=ro", &st, &v, err);
	code = st->db != NULL ? db_errclass(st->db) : DB_ERR_NONE;
	/* no -shm and none can be made: SQLite's CANTOPEN or READONLY_* */
	if (r < 0 && (code == DB_ERR_CANTOPEN || code == DB_ERR_READONLY)) {
		store_close(&st);
		xasprintf(&wal, "%s-wal", path);
		if (file_size(wal, &wal_size) == 0 && wal_size > 0) {
			r = error_set(err, ERR_TEMP,
			    "%s: cannot read: %s holds commits, and this user "
			    "(uid %u) cannot create the -shm file to read "
			    "them",
			    path, wal, (unsigned)getuid());
		} else {
			error_clear(err);
			r = connect_ro(path, "immutable=1", &st, &v, err);
		}
		free(wal);
	}
	if (r == 0 && v > STORE_SCHEMA_VERSION)
		r = version_too_new(st, v, err);
	else if (r == 0 && v < STORE_SCHEMA_VERSION)
		r = error_set(err, ERR_TEMP,
		    "%s: schema %d needs an upgrade to %d, and this user "
		    "(uid %u) cannot write the database: run triaged or "
		    "`triage ingest` once as its owner",
		    path, v, STORE_SCHEMA_VERSION, (unsigned)getuid());
	if (r < 0) {
		store_close(&st);
		return -1;
	}
	st->version = v;
	*st_r = st;
	return 0;
}

/*
 * A PostgreSQL database: the schema is created or checked under the
 * advisory lock (store-schema-pg.c).  The password never comes from the
 * database string, which is shown in messages: it comes from libpq's
 * password file.
 */
static int
open_pg(const char *target, const char *password_file, struct store **st_r,
    struct error *err)
{
	struct store *st = NULL;
	const char *at = strchr(target, '@');
	const char *colon = strstr(target, "://");

	if (strstr(target, "password=") != NULL ||
	    (colon != NULL && at != NULL &&
		memchr(colon + 3, ':', (size_t)(at - colon - 3)) != NULL))
		return error_set(err, ERR_CONF,
		    "the database string holds a password: put it in a"
		    " password file (password_file or PGPASSFILE), not in the"
		    " configuration");
	st = store_new(target);
	if (connect_db(st, target, 0, password_file, err) < 0 ||
	    store_pg_migrate(st, err) < 0 || store_own_load(st, err) < 0) {
		store_close(&st);
		return -1;
	}
	*st_r = st;
	return 0;
}

int
store_target_is_server(const char *target)
{
	return db_target_is_pg(target);
}

int
store_open(const char *path, struct store **st_r, struct error *err)
{
	return store_open_pw(path, NULL, st_r, err);
}

int
store_open_pw(const char *path, const char *password_file, struct store **st_r,
    struct error *err)
{
	struct store *st = NULL;
	int r;

	if (db_target_is_pg(path))
		return open_pg(path, password_file, st_r, err);
	r = store_check_writable(path, err);
	if (r < 0)
		return -1;
	r = store_open_raw(path, &st, err);
	if (r < 0)
		return -1;
	r = store_migrate(st, STORE_SCHEMA_VERSION, err);
	if (r == 0)
		r = store_own_load(st, err);
	if (r < 0) {
		store_close(&st);
		return -1;
	}
	*st_r = st;
	return 0;
}

int
store_open_read_pw(const char *path, const char *password_file,
    struct store **st_r, struct error *err)
{
	struct error werr = { 0 };

	if (db_target_is_pg(path) || store_check_writable(path, &werr) == 0)
		return store_open_pw(path, password_file, st_r, err);
	return open_read_only(path, st_r, err);
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	store_rollback(st);
	for (size_t i = 0; i < STORE_STMT_CACHE; i++)
		db_finalize(st->cache[i].stmt);
	db_close(st->db);
	free(st->own_domain);
	free(st->unix_user);
	free(st->owner_id);
	free(st->path);
	free(st);
	*stp = NULL;
}

int
store_count(struct store *st, const char *what, int64_t *n_r, struct error *err)
{
	static const struct {
		const char *what;
		const char *sql;
	} counts[] = {
		{ "tickets", "SELECT count(*) FROM tickets" },
		{ "messages", "SELECT count(*) FROM messages" },
		{ "events", "SELECT count(*) FROM events" },
		{ "outbox", "SELECT count(*) FROM outbox" },
		{ "failed", "SELECT count(*) FROM messages"
			    " WHERE status = 'failed'" },
	};
	struct db_stmt *s = NULL;
	int r;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (strcmp(counts[i].what, what) != 0)
			continue;
		r = store_prepare(st, &s, counts[i].sql, err);
		if (r < 0)
			return -1;
		if (db_step(s) == DB_ROW) {
			*n_r = db_col_int64(s, 0);
		} else {
			r = store_sqlerr(st, err, "count");
		}
		store_release(st, &s);
		return r;
	}
	return error_set(err, ERR_USAGE, "cannot count '%s'", what);
}

int
store_check(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	const char *res;
	int r;

	r = store_prepare(st, &s, "PRAGMA integrity_check", err);
	if (r < 0)
		return -1;
	if (db_step(s) != DB_ROW) {
		r = store_sqlerr(st, err, "integrity_check");
	} else {
		res = db_col_text(s, 0);
		if (res == NULL || strcmp(res, "ok") != 0)
			r = error_set(err, ERR_INTERNAL, "%s: integrity: %s",
			    st->path, res != NULL ? res : "?");
	}
	store_release(st, &s);
	if (r < 0)
		return -1;
	r = store_prepare(st, &s, "PRAGMA foreign_key_check", err);
	if (r < 0)
		return -1;
	if (db_step(s) == DB_ROW)
		r = error_set(err, ERR_INTERNAL,
		    "%s: foreign key violation in"
		    " %s row %lld",
		    st->path, db_col_text(s, 0), (long long)db_col_int64(s, 1));
	store_release(st, &s);
	return r;
}

void
store_format_time(int64_t t, const char *prefix, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char when[32] = "?";

	if (gmtime_r(&tt, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, len, "%s%s", prefix, when);
}
