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
[ "$(sql "SELECT coalesce(first_response_at, 'none') FROM tickets WHERE id = $T")" = none ] ||
	fail "an internal command mail counted as the first response"
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
#    Urgent, because the default rules already made this SAML lead high.
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
[ "$(sql "SELECT t.first_response_at = m.received FROM tickets t, messages m WHERE t.id = $T AND m.message_id = 'a9@example.com'")" = 1 ] ||
	fail "first response not set from the answer to the customer"
pass "a BDR's answer to the customer is outbound (first response), its tag applied"

# 7. The outbox sender delivers the confirmation: an RFC 3834 auto-reply
#    to alice, threaded to her command mail.
for i in $(seq 100); do
	grep -l "^Subject: Re: Pricing for 40 seats" $(harness_smtp_messages) 2>/dev/null |
		xargs -r grep -l "^In-Reply-To: <a1@example.com>" >"$HARNESS_DIR/answers" || true
	[ -s "$HARNESS_DIR/answers" ] && break
	sleep 0.1
done
[ -s "$HARNESS_DIR/answers" ] || fail "no confirmation delivered: $(sql "SELECT id, kind, rcpt, state, last_error FROM outbox")"
ans=$(head -n 1 "$HARNESS_DIR/answers")
grep -q "^rcpt: *alice@example.com" "${ans%.eml}.env" || fail "answer envelope: $(cat "${ans%.eml}.env")"
for h in "Auto-Submitted: auto-replied" "X-Auto-Response-Suppress: All" \
    "X-Loop: triage@example.com" "X-Triage-Ticket: $T"; do
	grep -q "^$h" "$ans" || fail "answer lacks $h"
done
grep -q "Applied to ticket #$T" "$ans" || fail "answer text: $(cat "$ans")"
[ "$(sql "SELECT o.state FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.kind = 'answer' AND m.message_id = 'a1@example.com'")" = sent ] ||
	fail "answer row not marked sent"
pass "the confirmation was sent to alice as an auto-reply"

stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
# 8. `triage ingest` (an MTA pipe) applies commands the same way.
sed -e 's/^From: .*/From: Maria <maria@example.com>/' \
    -e 's/^Message-ID: .*/Message-ID: <p1@example.com>/' \
    -e 's/^#claim$/#tag case-study/' -e 's/^#route support$/#story/' \
    "$FX/reply-claim-route.eml" >"$HARNESS_DIR/mail/pipe.eml"
"$TRIAGE" -c "$CONF" ingest --mailbox sales - <"$HARNESS_DIR/mail/pipe.eml" \
    >"$HARNESS_DIR/ingest.out" || fail "triage ingest exited $?"
grep -q "joined ticket #$T" "$HARNESS_DIR/ingest.out" ||
	fail "triage ingest: $(cat "$HARNESS_DIR/ingest.out")"
[ "$(sql "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE ticket_id = $T AND source = 'mail' AND actor = 'maria' ORDER BY id)")" = "tag story" ] ||
	fail "triage ingest did not apply: $(sql "SELECT kind, actor, source FROM events WHERE ticket_id = $T")"
[ "$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.kind = 'answer' AND m.message_id = 'p1@example.com' AND o.rcpt = 'maria@example.com'")" = 1 ] ||
	fail "no confirmation queued for the piped mail"
pass "triage ingest applies a piped command mail and queues the answer"

pass "mail commands end to end"
