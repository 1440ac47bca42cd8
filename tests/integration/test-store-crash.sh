#!/bin/bash
# Crash safety: a process ingesting batches of messages (each batch one
# transaction with its mailbox checkpoint) is killed with SIGKILL at
# random moments, many times.  It resumes from the checkpoint minus a few
# UIDs each time, as the daemon does when the IMAP flag was lost, so
# re-ingest is exercised too.  At the end every message must be stored
# exactly once, threaded right, and the database must pass
# PRAGMA integrity_check.
set -eu
: "${ITEST_DIR:?}"
N=${N:-1500}
ROUNDS=${ROUNDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=$work/t.db
helper=$ITEST_DIR/itest-store

killed=0
for ((r = 1; r <= ROUNDS; r++)); do
	"$helper" ingest "$db" "$N" 5 &
	pid=$!
	# 0-79 ms: sometimes before open, often mid-batch.
	sleep "0.0$((RANDOM % 8))$((RANDOM % 10))"
	if kill -KILL $pid 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait $pid 2>/dev/null || true
done
"$helper" ingest "$db" "$N" 5
# Once more from the start: every message a duplicate, nothing changes.
"$helper" ingest "$db" "$N" "$N"
"$helper" check "$db" "$N"
echo "crash: $killed of $ROUNDS runs killed mid-ingest"
