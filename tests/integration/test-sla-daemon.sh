#!/bin/bash
# Key accounts and SLA clocks under the real triaged, Dovecot and SMTP
# server, with sla.claim and sla.acknowledge of 3 seconds and the SLA
# clocks looked at every second (sla.check_interval = 1):
#   - a key-account customer's ticket records account and tier and starts
#     at the tier's priority; another customer's does not;
#   - a ticket left unclaimed gets exactly one reminder (to the account's
#     owner), an sla-breach event and a reminded event, and no more;
#   - a ticket claimed in time gets none;
#   - triage route ID owner forwards the thread to the account owner, and
#     the routing arms the acknowledge clock: one reminder, to the BDR
#     who claimed it; triage ack stops it;
#   - route owner on a ticket without a key account is refused (exit 1).
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

harness_start
conf
cat >"$HARNESS_DIR/accounts.csv" <<'CSV'
# test accounts
domain,account,tier,owner
buyer.example,"Buyer, Corp",strategic,bob
CSV
sed -i -e 's/claim = "4h"; acknowledge = "1d";/claim = "3s"; acknowledge = "3s"; check_interval = 1;/' \
    -e "1a accounts = \"$HARNESS_DIR/accounts.csv\";" "$CONF"
grep -q 'claim = "3s"; acknowledge = "3s"; check_interval = 1;' "$CONF" ||
	fail "sla not rewritten"

# mails_to ADDR: how many spooled mails went to ADDR.
mails_to()
{
	local i n=0 c
	c=$(spool_count)
	for ((i = 1; i <= c; i++)); do
		[ "$(spool_rcpt "$i")" = "$1" ] && n=$((n + 1))
	done
	echo "$n"
}
# json ID KEY: one key of triage show --json.
json()
{
	cli show "$1" --json | /usr/bin/python3 -c \
	    "import json,sys; v=json.load(sys.stdin).get('$2'); print('null' if v is None else v)"
}

deliver sales INBOX "$OUTBOX_FIX/c1.eml" "$OUTBOX_FIX/d1.eml"
start_daemon
wait_sql "SELECT count(*) FROM tickets" 2 10 || fail "tickets not ingested"
T1=$(ticket_of o1.pat@buyer.example)
T2=$(ticket_of o1.dana@user.example)
cli claim "$T2" >/dev/null || fail "claim $T2"

# 1. the key account's ticket
[ "$(json "$T1" account)" = "Buyer, Corp" ] || fail "account: $(json "$T1" account)"
[ "$(json "$T1" tier)" = strategic ] || fail "tier: $(json "$T1" tier)"
[ "$(json "$T1" priority)" = urgent ] || fail "priority: $(json "$T1" priority)"
[ "$(json "$T2" account)" = null ] || fail "account of $T2: $(json "$T2" account)"
[ "$(json "$T2" priority)" = normal ] || fail "priority of $T2: $(json "$T2" priority)"
cli show "$T1" | grep -q 'account Buyer, Corp (strategic)' || fail "show text"
pass "key account: account, tier and the tier's starting priority recorded and shown"

# 2. one reminder for the unclaimed ticket, to the account's owner
wait_sql "SELECT count(*) FROM outbox WHERE ticket_id = $T1 AND kind = 'reminder' AND state = 'sent'" 1 15 ||
	fail "no reminder sent: $(sql "SELECT id, kind, state, last_error FROM outbox")"
[ "$(sql "SELECT rcpt FROM outbox WHERE kind = 'reminder'")" = bob@example.com ] ||
	fail "reminded $(sql "SELECT rcpt FROM outbox WHERE kind = 'reminder'")"
[ "$(mails_to bob@example.com)" = 1 ] || fail "bob got $(mails_to bob@example.com) mails"
check header "$(spool_nth "$(spool_count)")" Auto-Submitted | grep -q auto-replied ||
	fail "reminder not Auto-Submitted"
check header "$(spool_nth "$(spool_count)")" X-Triage-Ticket | grep -q "$T1" ||
	fail "reminder without X-Triage-Ticket"
sql "SELECT detail FROM events WHERE ticket_id = $T1 AND kind = 'sla-breach'" |
	grep -q '^claim since .* to bob@example.com$' || fail "no sla-breach event"
[ "$(sql "SELECT count(*) FROM events WHERE ticket_id = $T1 AND kind = 'reminded'")" = 1 ] ||
	fail "no reminded event"
sleep 4
[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = 1 ] ||
	fail "reminder storm: $(sql "SELECT ticket_id, rcpt FROM outbox WHERE kind = 'reminder'")"
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'sla-breach'")" = 1 ] ||
	fail "more breach events"
pass "unclaimed: exactly one reminder (to the owner), one event; the ticket claimed in time: none"

# 3. route owner: forwarded to the owner; the ack clock re-arms
cli claim "$T1" >/dev/null || fail "claim $T1"
cli route "$T1" owner >/dev/null || fail "route owner"
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T1 AND kind = 'forward'" sent 10 ||
	fail "owner forward not sent: $(sql "SELECT id, kind, route, state, last_error FROM outbox")"
[ "$(mails_to bob@example.com)" = 2 ] || fail "bob got $(mails_to bob@example.com) mails"
[ "$(json "$T1" route)" = owner ] || fail "route: $(json "$T1" route)"
wait_sql "SELECT count(*) FROM outbox WHERE ticket_id = $T1 AND kind = 'reminder' AND state = 'sent'" 2 15 ||
	fail "no acknowledge reminder"
[ "$(sql "SELECT rcpt FROM outbox WHERE kind = 'reminder' ORDER BY id DESC LIMIT 1")" = alice@example.com ] ||
	fail "ack reminder to $(sql "SELECT rcpt FROM outbox WHERE kind = 'reminder' ORDER BY id DESC LIMIT 1")"
cli ack "$T1" >/dev/null || fail "ack"
sleep 3
[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'")" = 2 ] ||
	fail "reminders after ack: $(sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'")"
pass "route owner forwarded to the owner; the acknowledge clock reminded the BDR once"

# 4. no key account: refused
rc=0
out=$(cli route "$T2" owner 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "route owner without account: exit $rc ($out)"
echo "$out" | grep -q "has no key account" || fail "message: $out"
pass "route owner without a key account refused: $out"

# 5. a broken accounts.csv on SIGHUP is refused, the old one kept
echo 'broken' >"$HARNESS_DIR/accounts.csv"
kill -HUP "$DAEMON_PID"
wait_log "reload refused: $HARNESS_DIR/accounts.csv is broken" 10 || fail "broken accounts not refused"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
pass "SIGHUP with a broken accounts.csv refused, daemon stays"
