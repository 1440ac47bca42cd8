# Mail commands end to end, with the real Dovecot fixture and a running
# triaged (IDLE): a customer mail becomes a ticket; an outsider's
# "#claim" is refused and noted; a BDR's reply with "#claim" and
# "#route support" delivered to the shared mailbox claims and routes the
# ticket within seconds, as alice, source "mail", with a confirmation
# queued in the outbox; a second BDR's late "#claim" gets the error.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

FX=$TRIAGE_FIXTURES/mailcmd
harness_start
conf
mkdir -p "$HARNESS_DIR/mail"

start_daemon
wait_sql "SELECT 1 FROM mailboxes WHERE name = 'community'" 1 10 ||
	fail "daemon did not start"
for i in $(seq 50); do
	grep -q '^sales	idling' "$HARNESS_DIR/triaged.status" 2>/dev/null &&
		break
	sleep 0.2
done
grep -q '^sales	idling' "$HARNESS_DIR/triaged.status" ||
	fail "sales is not idling"

# 1. The customer's question becomes a ticket.
deliver sales INBOX "$FX/customer.eml"
wait_sql "SELECT count(*) FROM messages WHERE message_id = 'c1@buyer.example' AND ticket_id IS NOT NULL" 1 5 ||
	fail "customer mail not stored"
T=$(sql "SELECT ticket_id FROM messages WHERE message_id = 'c1@buyer.example'")
[ "$(sql "SELECT state FROM tickets WHERE id = $T")" = new ] ||
	fail "ticket $T is not new"
pass "customer mail is ticket #$T"

# 2. An outsider's command is stored as correspondence, refused, noted,
#    and not answered.
sed -e 's/^From: .*/From: "alice@example.com" <mallory@evil.test>/' \
    -e 's/^Message-ID: .*/Message-ID: <m1@evil.test>/' \
    "$FX/reply-claim-route.eml" >"$HARNESS_DIR/mail/outsider.eml"
deliver sales INBOX "$HARNESS_DIR/mail/outsider.eml"
wait_sql "SELECT count(*) FROM events WHERE ticket_id = $T AND kind = 'command-refused'" 1 5 ||
	fail "no refusal event for the outsider"
[ "$(sql "SELECT state || '|' || coalesce(owner, '-') FROM tickets WHERE id = $T")" = "new|-" ] ||
	fail "the outsider's command changed the ticket"
[ "$(sql "SELECT ticket_id || ' ' || direction FROM messages WHERE message_id = 'm1@evil.test'")" = "$T in" ] ||
	fail "the outsider's mail is not stored in the thread"
[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'answer'")" = 0 ] ||
	fail "the outsider was answered"
sql "SELECT detail FROM events WHERE kind = 'command-refused'" |
	grep -q 'mallory@evil.test is not in team' ||
	fail "refusal event does not say why: $(sql "SELECT detail FROM events WHERE kind = 'command-refused'")"
pass "outsider's #claim refused and noted, no answer"

# 3. The BDR's reply claims and routes the ticket while triaged idles.
t0=$(date +%s%N)
deliver sales INBOX "$FX/reply-claim-route.eml"
wait_sql "SELECT state || '|' || owner || '|' || route FROM tickets WHERE id = $T" \
    "routed|alice|support" 5 || fail "ticket not claimed and routed"
t1=$(date +%s%N)
echo "delivery -> claimed and routed: $(((t1 - t0) / 1000000)) ms"
[ "$(sql "SELECT group_concat(kind || ':' || actor, ' ') FROM (SELECT kind, actor FROM events WHERE ticket_id = $T AND source = 'mail' AND kind IN ('claim', 'route') ORDER BY id)")" = "claim:alice route:alice" ] ||
	fail "events: $(sql "SELECT kind, actor, source FROM events WHERE ticket_id = $T")"
[ "$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $T AND kind = 'forward' AND route = 'support'")" = 1 ] ||
	fail "no forward queued for the route"
[ "$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.ticket_id = $T AND o.kind = 'answer' AND o.rcpt = 'alice@example.com' AND m.message_id = 'a1@example.com' AND o.note LIKE 'Applied to ticket #$T %#claim%#route support%'")" = 1 ] ||
	fail "no confirmation queued: $(sql "SELECT kind, rcpt, note FROM outbox")"
[ "$(sql "SELECT direction FROM messages WHERE message_id = 'a1@example.com'")" = internal ] ||
	fail "a command mail to the shared mailbox alone is not internal"
pass "BDR reply claimed and routed #$T, confirmation queued"

# 4. `triage show` lists the mail events.
TRIAGE_DB=$DB "$TRIAGE" -c "$CONF" show "$T" --json >"$HARNESS_DIR/show.json" ||
	fail "triage show exited $?"
/usr/bin/python3 - "$HARNESS_DIR/show.json" <<'EOF' || fail "triage show --json: $(cat "$HARNESS_DIR/show.json")"
import json, sys
d = json.load(open(sys.argv[1]))
ev = [(e["kind"], e["actor"]) for e in d["events"] if e["source"] == "mail"]
assert ev[:1] == [("command-refused", "triaged")], ev
assert ("claim", "alice") in ev and ("route", "alice") in ev, ev
assert d["state"] == "routed" and d["owner"] == "alice", d
assert d["route"] == "support", d
EOF
pass "triage show --json lists the events with source mail"

# 5. Bob's late claim on the routed ticket is refused and answered.
sed -e 's/^From: .*/From: Bob <bob@example.com>/' \
    -e 's/^Message-ID: .*/Message-ID: <b1@example.com>/' \
    -e '/^#route/d' \
    "$FX/reply-claim-route.eml" >"$HARNESS_DIR/mail/bob.eml"
deliver sales INBOX "$HARNESS_DIR/mail/bob.eml"
wait_sql "SELECT count(*) FROM outbox WHERE kind = 'answer' AND rcpt = 'bob@example.com'" 1 5 ||
	fail "bob got no answer"
sql "SELECT note FROM outbox WHERE rcpt = 'bob@example.com'" |
	grep -q "ticket #$T is routed to support: it cannot be claimed" ||
	fail "bob's answer: $(sql "SELECT note FROM outbox WHERE rcpt = 'bob@example.com'")"
[ "$(sql "SELECT owner FROM tickets WHERE id = $T")" = alice ] ||
	fail "bob's claim changed the owner"
pass "a late #claim is answered with the error"

# 6. Alice answers the customer, copying the shared mailbox with a
#    plus-address tag: stored as the thread's outbound correspondence
#    (the first response), the tag applied, nothing of it to the customer.
cat >"$HARNESS_DIR/mail/answer.eml" <<EOF
From: Alice BDR <alice@example.com>
To: Pat Buyer <pat@buyer.example>
Cc: sales+priority-urgent@example.com
Subject: Re: Pricing for 40 seats
Date: Mon, 09 Nov 2026 12:00:00 +0000
Message-ID: <a9@example.com>
In-Reply-To: <c1@buyer.example>
References: <c1@buyer.example>
Content-Type: text/plain; charset=utf-8

Hi Pat, support will be in touch about SAML today.

Alice
EOF
deliver sales INBOX "$HARNESS_DIR/mail/answer.eml"
wait_sql "SELECT ticket_id || ' ' || direction FROM messages WHERE message_id = 'a9@example.com'" "$T out" 5 ||
	fail "the answer to the customer is not outbound in #$T"
wait_sql "SELECT count(*) FROM events WHERE ticket_id = $T AND kind = 'priority' AND source = 'mail' AND actor = 'alice'" 1 5 ||
	fail "the plus-address tag was not applied"
[ "$(sql "SELECT count(*) FROM outbox WHERE rcpt LIKE '%buyer.example%'")" = 0 ] ||
	fail "something was queued to the customer"
pass "a BDR's answer to the customer is outbound, its tag applied"

stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
pass "mail commands end to end"
