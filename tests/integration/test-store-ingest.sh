#!/bin/bash
# triage ingest as an MTA pipe and from files, against a real config:
# threading over a reply chain (reordered parent, rewritten subject,
# subject tokens from a stranger and from the customer), one ticket for
# a copy in two mailboxes, idempotent re-ingest, reprocess, exit 75
# while the database is locked, and a message over max_message_size
# recorded as too large with exit 0 (the MTA must not bounce it).
set -eu
: "${TRIAGE:?}" "${TRIAGE_FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx=$TRIAGE_FIXTURES/store
cat >"$work/triage.conf" <<CONF
database = "$work/t.db";
rules = "$fx/rules";
max_message_size = "1K";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; port = 993; user = "sales";
             password_file = "$work/none"; }; },
  { name = "community"; address = "community@example.com";
    queue = "community";
    imap = { host = "127.0.0.1"; port = 993; user = "community";
             password_file = "$work/none"; }; }
);
team = (
  { name = "alice"; address = "alice@example.com"; role = "bdr"; },
  { name = "bob"; address = "bob@example.com"; role = "bdr"; }
);
CONF
t() { "$TRIAGE" -c "$work/triage.conf" "$@"; }
fail=0
check() { /usr/bin/python3 -c "$1" "$work/out" || { echo "failed: $2" >&2; fail=1; }; }

# In order, one per file; 04 is a reply that arrives before its parent 05;
# 08 is alice's reply carrying mail commands (#claim, #tag).
t ingest "$fx"/0*.eml >"$work/ingest1"
# The same files again, and again through the pipe: nothing changes.
t ingest "$fx"/0*.eml >"$work/ingest2"
for f in "$fx"/0*.eml; do t ingest --mailbox sales - <"$f"; done >>"$work/ingest2"
grep -c "already stored" "$work/ingest2" | grep -qx 16 || { echo "re-ingest not a no-op" >&2; cat "$work/ingest2"; fail=1; }
# The question was Cc'd to community@ too: a second copy, same ticket.
t ingest --mailbox community "$fx/01-question.eml" >>"$work/ingest1"
grep -q "joined ticket #1" "$work/ingest1" || fail=1

t queue --json >"$work/out"
check '
import json, sys
q = json.load(open(sys.argv[1]))["tickets"]
assert [t["id"] for t in q] == [1, 2, 3], q
one = q[0]
assert one["mailboxes"] == ["community", "sales"], one
assert one["customer"] == "pat@buyer.test"
assert q[2]["customer"] == "eve@evil.test"
' "three tickets, #1 under both mailboxes"

t show 1 --json >"$work/out"
check '
import json, sys
t = json.load(open(sys.argv[1]))
ids = [m["message_id"] for m in t["messages"]]
assert ids == ["q1@buyer.test", "a1@example.com", "q2@buyer.test",
               "q3@buyer.test", "a2@example.com"], ids
assert [m["direction"] for m in t["messages"]] == ["in", "out", "in", "in",
                                                  "internal"]
assert t["messages"][0]["date"] == "2026-11-09T10:00:00Z"
assert "enterprise edition" in t["messages"][0]["text"]
# Classified at ingest by the configured rules: both customer messages
# hit the rule, but its signal counts once per ticket (score_signals);
# the copy from community@ and the team replies add nothing.
assert t["tags"] == ["ee-lead", "pricing"], t["tags"]
assert t["scores"]["need"] == 2, t["scores"]
assert [h["rule"] for h in t["hits"]] == ["pricing-question"] * 2, t["hits"]
# The mail commands in the reply by alice, applied with it.
assert t["state"] == "claimed" and t["owner"] == "alice", t
claim = [e for e in t["events"] if e["kind"] == "claim"][0]
assert claim["source"] == "mail" and claim["actor"] == "alice", claim
' "reply chain with rewritten subjects, the customer token, rules and mail commands in #1"

t show 2 --json >"$work/out"
check '
import json, sys
t = json.load(open(sys.argv[1]))
assert [m["message_id"] for m in t["messages"]] == ["k1@corp.test", "k2@corp.test"]
' "late parent joins its reply"

t show 3 --json >"$work/out"
check '
import json, sys
t = json.load(open(sys.argv[1]))
assert t["related_to"] == 1
assert [m["message_id"] for m in t["messages"]] == ["e1@evil.test"]
assert any(e["kind"] == "related" for e in t["events"])
' "a stranger quoting [#1] gets his own ticket, linked"

# The actor comes from the team via --as; strangers are refused.
t claim 2 --as alice >/dev/null
rc=0; t claim 3 --as mallory 2>/dev/null || rc=$?
[ $rc -eq 2 ] || { echo "--as outside the team: exit $rc" >&2; fail=1; }

# Reprocess: parse stored raw mail again, recorded as events.
t reprocess 2 >/dev/null
t show 2 --json >"$work/out"
check '
import json, sys
t = json.load(open(sys.argv[1]))
assert sum(e["kind"] == "reprocess" for e in t["events"]) == 2
' "reprocess records events"
t reprocess --failed >/dev/null

# A locked database is a temporary failure: exit 75, so the MTA retries.
/usr/bin/python3 - "$work/t.db" "$work/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(8)
PY
locker=$!
while [ ! -e "$work/locked" ]; do sleep 0.05; done
rc=0
printf 'From: a@b.test\r\nSubject: x\r\nMessage-ID: <lock@b.test>\r\n\r\nhi\r\n' |
    t ingest --mailbox sales - >/dev/null 2>"$work/err" || rc=$?
kill $locker 2>/dev/null || true
wait $locker 2>/dev/null || true
[ $rc -eq 75 ] || { echo "locked database: exit $rc, expected 75" >&2; cat "$work/err" >&2; fail=1; }
# Once the lock is gone the retry stores it.
printf 'From: a@b.test\r\nSubject: x\r\nMessage-ID: <lock@b.test>\r\n\r\nhi\r\n' |
    t ingest --mailbox sales - | grep -q "new ticket" || fail=1

# Over max_message_size (1K): recorded as too large, exit 0, not bounced;
# piped again it is already stored.
/usr/bin/python3 -c '
import sys
sys.stdout.write("From: big@b.test\r\nSubject: huge\r\n"
                 "Message-ID: <big@b.test>\r\n\r\n" + "x" * 76 * 200)
' >"$work/big.eml"
for i in 1 2; do
	rc=0
	cat "$work/big.eml" | t ingest --mailbox sales - >"$work/big$i" 2>&1 || rc=$?
	[ $rc -eq 0 ] || { echo "too large, pass $i: exit $rc, expected 0" >&2; cat "$work/big$i" >&2; fail=1; }
done
grep -q "message too large to ingest: $(stat -c %s "$work/big.eml") bytes, max_message_size is 1024" "$work/big1" ||
	{ echo "too large: not reported" >&2; cat "$work/big1" >&2; fail=1; }
grep -q "already stored" "$work/big2" || { echo "too large twice: stored twice" >&2; cat "$work/big2" >&2; fail=1; }
/usr/bin/python3 - "$work/t.db" <<'PY' || { echo "failed: too large recorded once, failed, no ticket" >&2; fail=1; }
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rows = c.execute("SELECT status, ticket_id, error, raw FROM messages"
                 " WHERE error LIKE 'message too large%'").fetchall()
assert len(rows) == 1, rows
status, ticket, error, raw = rows[0]
assert status == "failed" and not ticket, rows
raw = raw if isinstance(raw, str) else bytes(raw).decode()
assert raw.startswith("X-Triage-Not-Fetched: too large\r\n"), raw
assert "X-Triage-Mailbox: sales\r\n" in raw, raw
PY
exit $fail
