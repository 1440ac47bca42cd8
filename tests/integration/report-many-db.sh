#!/bin/sh
# A report database of N tickets spread over the year before now, for
# the report's benchmark (bench/report-db.sh) and its browser check on
# many tickets (test-report-html-db.sh): the schema made by triage itself,
# the rows written in one sqlite3 transaction (states, delays with a long
# tail, marks, tags, SLA reminders, stories, routes, acks, messages and
# their full-text index).
#   tests/integration/report-many-db.sh TRIAGE N DB
# DB must not exist.
set -eu
TRIAGE=$1
N=$2
DB=$3
now=$(date +%s)
command -v sqlite3 >/dev/null || { echo "need the sqlite3 shell" >&2; exit 2; }
# the schema, exactly as triage creates and migrates it
"$TRIAGE" db init --db "$DB" >/dev/null
sqlite3 "$DB" <<EOF
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO mailboxes (name, address, queue) VALUES
  ('sales', 'sales@example.com', 'sales'),
  ('community', 'community@example.com', 'community'),
  ('support', 'support@example.com', 'support');
-- per ticket: creation time, state percentile, three delays that are
-- mostly short with a long tail (squares), and a few dice
CREATE TEMP TABLE g AS
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
SELECT i,
  $now - abs(random()) % (365 * 86400) AS created,
  abs(random()) % 100 AS sp,
  (abs(random()) % 100) * (abs(random()) % 100) * 3 AS d1,
  (abs(random()) % 100) * (abs(random()) % 100) * 2 AS d2,
  (abs(random()) % 100) * (abs(random()) % 100) * 9 AS d3,
  abs(random()) % 100 AS qp,
  abs(random()) % 100 AS tp,
  abs(random()) % 1000 AS xp
FROM c;
-- states: 5% new, 10% claimed, 15% routed, 40% acknowledged,
-- 15% closed after an ack, 13% closed after a claim, 2% ignored
INSERT INTO tickets (id, subject, state, queue, priority, owner, route,
  customer, qualified, story, ignore_reason, created, updated,
  claimed_at, routed_at, acked_at, closed_at)
SELECT i, 'Question about seats #' || i,
  CASE WHEN sp < 5 THEN 'new' WHEN sp < 15 THEN 'claimed'
       WHEN sp < 30 THEN 'routed' WHEN sp < 70 THEN 'acknowledged'
       WHEN sp < 98 THEN 'closed' ELSE 'ignored' END,
  CASE WHEN i % 20 < 10 THEN 'sales' WHEN i % 20 < 17 THEN 'community'
       ELSE 'support' END,
  1,
  CASE WHEN sp >= 5 AND sp < 98 THEN 'bdr' || (i % 12) END,
  CASE WHEN sp >= 15 AND sp < 85 THEN
    CASE WHEN i % 3 = 0 THEN 'support' ELSE 'sales' END END,
  'person' || i || '@customer' || (i % 5000) || '.example',
  CASE WHEN sp >= 5 AND sp < 98 AND qp < 15 THEN 1
       WHEN sp >= 5 AND sp < 98 AND qp < 25 THEN -1 ELSE 0 END,
  xp < 5,
  CASE WHEN sp >= 98 THEN 'auto-reply' END,
  created, created + d1 + d2 + d3,
  CASE WHEN sp >= 5 AND sp < 98 THEN created + d1 END,
  CASE WHEN sp >= 15 AND sp < 85 THEN created + d1 + d2 END,
  CASE WHEN sp >= 30 AND sp < 85 THEN created + d1 + d2 + d3 END,
  CASE WHEN sp >= 70 AND sp < 98 THEN created + d1 + d2 + d3 + 600 END
FROM g;
INSERT INTO ticket_mailboxes (ticket_id, mailbox)
  SELECT id, CASE queue WHEN 'support' THEN 'sales' ELSE queue END
  FROM tickets;
INSERT INTO ticket_mailboxes (ticket_id, mailbox)
  SELECT id, 'community' FROM tickets WHERE queue = 'sales' AND id % 20 = 1;
INSERT INTO tags (ticket_id, tag)
  SELECT i, CASE WHEN tp < 8 THEN 'competitor:' ||
      CASE i % 4 WHEN 0 THEN 'github' WHEN 1 THEN 'gitlab'
                 WHEN 2 THEN 'jenkins' ELSE 'circleci' END
    WHEN tp < 13 THEN 'ee-lead' ELSE 'pricing' END
  FROM g WHERE tp < 33;
-- the audit log, in time order per ticket as the store writes it
INSERT INTO events (ticket_id, at, actor, source, kind, detail, sla_clock,
  sla_since, sla_deadline, sla_rcpt)
SELECT ticket_id, at, actor, source, kind, detail, sla_clock, sla_since,
  sla_deadline, sla_rcpt FROM (
  SELECT id AS ticket_id, created AS at, 'triaged' AS actor,
    'daemon' AS source, 'message' AS kind, '' AS detail,
    NULL AS sla_clock, NULL AS sla_since, NULL AS sla_deadline,
    NULL AS sla_rcpt, 0 AS o
    FROM tickets
  UNION ALL
  SELECT id, created + 14400, 'triaged', 'daemon', 'sla-breach',
    'claim since ' || strftime('%Y-%m-%dT%H:%M:%SZ', created, 'unixepoch')
    || ' due ' || strftime('%Y-%m-%dT%H:%M:%SZ', created + 14400,
    'unixepoch') || ' to ' || queue || '@example.com', 'claim', created,
    created + 14400, queue || '@example.com', 1
    FROM tickets WHERE coalesce(claimed_at, updated) - created > 14400
    AND state <> 'ignored'
  UNION ALL
  SELECT id, claimed_at, owner, 'mail', 'claim', '',
    NULL, NULL, NULL, NULL, 2 FROM tickets WHERE claimed_at IS NOT NULL
  UNION ALL
  SELECT id, claimed_at + 60, owner, 'mail',
    CASE qualified WHEN 1 THEN 'qualify' ELSE 'disqualify' END, '',
    NULL, NULL, NULL, NULL, 3 FROM tickets WHERE qualified <> 0
  UNION ALL
  SELECT id, claimed_at + 120, owner, 'mail', 'story', '',
    NULL, NULL, NULL, NULL, 4 FROM tickets
    WHERE story AND claimed_at IS NOT NULL
  UNION ALL
  SELECT id, routed_at, CASE WHEN id % 10 = 0 THEN 'pricing-rule'
    ELSE owner END, CASE WHEN id % 10 = 0 THEN 'rule' ELSE 'cli' END,
    'route', route, NULL, NULL, NULL, NULL, 5
    FROM tickets WHERE routed_at IS NOT NULL
  UNION ALL
  SELECT id, acked_at, 'sam', 'mail', 'ack', route,
    NULL, NULL, NULL, NULL, 6 FROM tickets WHERE acked_at IS NOT NULL
  UNION ALL
  SELECT id, closed_at, owner, 'cli', 'close', '',
    NULL, NULL, NULL, NULL, 7 FROM tickets WHERE closed_at IS NOT NULL
) ORDER BY ticket_id, at, o;
-- the customer's mail, and a BDR's answer on 60% of tickets
INSERT INTO messages (ticket_id, mailbox, message_id, date, received,
  subject, from_addr, from_domain, direction, raw)
  SELECT id, CASE queue WHEN 'support' THEN 'sales' ELSE queue END,
    'in' || id || '@customer.example', created, created, subject, customer,
    'customer.example', 'in', X'00'
  FROM tickets;
INSERT INTO messages (ticket_id, mailbox, message_id, date, received,
  subject, from_addr, from_domain, direction, raw)
  SELECT id, CASE queue WHEN 'support' THEN 'sales' ELSE queue END,
    'out' || id || '@example.com', claimed_at + 300, claimed_at + 300,
    'Re: ' || subject, owner || '@example.com', 'example.com', 'out', X'00'
  FROM tickets WHERE claimed_at IS NOT NULL AND id % 5 < 3;
COMMIT;
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
ANALYZE;
EOF
