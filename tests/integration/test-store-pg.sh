#!/bin/bash
# The store's own unit suites on PostgreSQL: test-store, test-store-report,
# test-desk and test-store-lease open every fresh store through
# test_store_fresh(), which empties the database TRIAGE_PG_TARGET names
# instead of making a new SQLite file.  Then the CLI on the same database: a piped message
# becomes a ticket, the queue lists it, a claim takes it, a search finds
# it, a database string holding a password is refused.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"

pg_start
export TRIAGE_PG_TARGET=$PG_TARGET
for t in test-store test-store-report test-desk test-store-lease; do
	"$TRIAGE_BUILD_DIR/tests/$t"
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/store-pg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
psql -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    2>/dev/null
cat >"$dir/m.eml" <<'MAIL'
From: Pat Buyer <pat@buyer.example>
To: sales@example.com
Subject: Quote for 40 seats
Message-ID: <pg-cli-1@buyer.example>
Date: Mon, 07 Dec 2026 10:00:00 +0000

Could you send a quote for forty seats of the enterprise edition?
MAIL
T=$TRIAGE
export TRIAGE_DB=$PG_TARGET
"$T" ingest --mailbox sales "$dir/m.eml"
"$T" ingest --mailbox sales "$dir/m.eml" # the same mail again: one ticket
"$T" queue >"$dir/queue"
grep -q 'Quote for 40 seats' "$dir/queue"
[ "$(grep -c 'Quote for 40 seats' "$dir/queue")" = 1 ]
"$T" claim --as alice 1 | grep -q claimed
"$T" search enterprise | grep -q 'Quote for 40 seats'
"$T" search buyer.example | grep -q 'Quote for 40 seats'
if "$T" queue --db "postgresql://triage:secret@/triage?host=$PG_DIR/run" \
    2>"$dir/err"; then
	echo "a password in the database string was accepted" >&2
	exit 1
fi
grep -q 'password file' "$dir/err"

# Claims from two hosts at once, one winner (FOR UPDATE on the ticket).
psql -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    2>/dev/null
CLAIM_DB=$PG_TARGET ROUNDS=40 bash "$TRIAGE_SOURCE_DIR/tests/integration/test-store-claim.sh"

# One message piped by three MX hosts at once into two watched mailboxes
# (a Cc to sales@ and support@): stored once per mailbox, one ticket.
psql -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    2>/dev/null
"$T" db init >/dev/null
for i in $(seq 20); do
	sed "s/pg-cli-1@/pg-race-$i@/" "$dir/m.eml" >"$dir/r$i.eml"
	pids=
	for mb in sales support sales support sales support; do
		"$T" ingest --mailbox "$mb" "$dir/r$i.eml" >/dev/null 2>>"$dir/race.err" &
		pids="$pids $!"
	done
	for p in $pids; do
		rc=0; wait "$p" || rc=$?
		# a lost race on the unique message key is a retry (75), never a loss
		[ $rc = 0 ] || [ $rc = 75 ] || { cat "$dir/race.err" >&2; exit 1; }
	done
	# the MTA retries a 75: once more from each mailbox, as it would
	"$T" ingest --mailbox sales "$dir/r$i.eml" >/dev/null
	"$T" ingest --mailbox support "$dir/r$i.eml" >/dev/null
done
n=$(psql -tA "$PG_TARGET" -c "SELECT count(*) FROM messages WHERE message_id LIKE 'pg-race-%'")
t=$(psql -tA "$PG_TARGET" -c "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'pg-race-%'")
[ "$n" = 40 ] || { echo "stored $n messages, want 40 (20 in each mailbox)" >&2; exit 1; }
[ "$t" = 20 ] || { echo "$t tickets, want 20 (one per message)" >&2; exit 1; }
echo "test-store-pg: ok"
