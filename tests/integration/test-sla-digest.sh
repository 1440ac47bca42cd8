#!/bin/bash
# The daily digest under the real triaged and SMTP server: sla.digest_at
# is set to the next minute (UTC: no sla.hours), so the first digest is
# due about a minute after the start.  It arrives once at digest_to,
# marked Auto-Submitted, its sla_digests row 'sent'; a restart the same
# day sends nothing more.  (Takes up to two minutes: digest_at has minute
# granularity.)
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

harness_start
conf
# at least 10 s ahead, so the daemon starts before digest_at
at=$(date -u -d "@$(( $(date +%s) + 70 ))" +%H:%M)
# and the clocks looked at every 5 s (sla.check_interval)
sed -i "s/digest_to = \"bdr-managers@example.com\";/digest_to = \"bdr-managers@example.com\"; digest_at = \"$at\"; check_interval = 5;/" "$CONF"
grep -q "digest_at = \"$at\"; check_interval = 5;" "$CONF" || fail "digest_at not set"

deliver sales INBOX "$OUTBOX_FIX/c1.eml"
start_daemon
wait_sql "SELECT count(*) FROM tickets" 1 10 || fail "ticket not ingested"
[ "$(sql "SELECT count(*) FROM sla_digests")" = 0 ] || fail "a digest before digest_at"
wait_sql "SELECT state FROM sla_digests" sent 140 ||
	fail "no digest sent: $(sql "SELECT day, state, attempts, last_error FROM sla_digests")"
[ "$(spool_count)" = 1 ] || fail "$(spool_count) mails"
[ "$(spool_rcpt 1)" = bdr-managers@example.com ] || fail "digest to $(spool_rcpt 1)"
check header "$(spool_nth 1)" Auto-Submitted | grep -q auto-replied ||
	fail "digest not Auto-Submitted"
grep -q "Unclaimed" "$(spool_nth 1)" || grep -qi "unclaimed" "$(spool_nth 1)" ||
	fail "digest without the unclaimed counts"
pass "digest sent once at digest_at ($at UTC) to digest_to"

stop_daemon TERM
start_daemon
sleep 7
stop_daemon TERM
[ "$(spool_count)" = 1 ] || fail "restart sent another digest: $(spool_count) mails"
[ "$(sql "SELECT count(*) FROM sla_digests")" = 1 ] || fail "a second digest row"
pass "a restart the same day sends no second digest"
