#!/bin/bash
# The store's own unit suites on PostgreSQL: test-store, test-store-report
# and test-desk open every fresh store through test_store_fresh(), which
# empties the database TRIAGE_PG_TARGET names instead of making a new
# SQLite file.  Then the CLI on the same database: a piped message
# becomes a ticket, the queue lists it, a claim takes it, a search finds
# it, a database string holding a password is refused.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"

pg_start
export TRIAGE_PG_TARGET=$PG_TARGET
for t in test-store test-store-report test-desk; do
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
echo "test-store-pg: ok"
