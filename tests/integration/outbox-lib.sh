# Helpers for tests/integration/test-outbox-*.sh, sourced after
# daemon-lib.sh: the triage CLI on the test database, the SMTP spool,
# raw bytes out of the store.

OUTBOX_FIX=$TRIAGE_SOURCE_DIR/tests/fixtures/outbox
OUTBOX_CHECK=$TRIAGE_SOURCE_DIR/tests/integration/outbox-check.py

# cli ARGS...: the triage CLI on $DB, acting as alice.
cli()
{
	TRIAGE_DB=$DB TRIAGE_CONFIG=$CONF "$TRIAGE" "$@" --as alice
}

spool_count() { harness_smtp_messages | wc -l; }
# spool_nth N: the Nth stored mail (1 = oldest).
spool_nth() { harness_smtp_messages | sed -n "${1}p"; }
# spool_rcpt N: the envelope recipients of the Nth stored mail.
spool_rcpt() { sed -n 's/^rcpt: *//p' "$(spool_nth "$1" | sed 's/\.eml$/.env/')"; }

# raw MESSAGE-ID FILE: the stored bytes of that message into FILE.
raw()
{
	sql "SELECT writefile('$2', raw) FROM messages WHERE message_id = '$1' LIMIT 1" >/dev/null
	[ -s "$2" ] || fail "no stored message $1"
}

check() { "$HARNESS_PYTHON" "$OUTBOX_CHECK" "$@"; }

# ticket_of MESSAGE-ID
ticket_of() { sql "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }

# outbox_trap: after harness_start, also kill a triaged still running
# when the test ends (a failed check exits with the daemon up; it would
# outlive the test and hold ctest's output pipe open).
outbox_trap()
{
	trap 'st=$?; [ -z "${DAEMON_PID:-}" ] || kill -KILL "$DAEMON_PID" 2>/dev/null; (exit $st); harness_on_exit' EXIT
}
