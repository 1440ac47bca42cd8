# The hand-off loop end to end, with the real Dovecot and SMTP server
# and a running triaged: a BDR's one-step "#route support" on a new
# ticket claims and routes it, and support gets the forward once; that
# forward, copied back into sales@ (support's list copies it), opens no
# ticket: it is our own mail, recognised by its signed token; support's
# reply acknowledges the ticket and is never forwarded back.  Then two
# fresh databases route the same mail and send different Message-IDs,
# and a reminder that comes back into a watched mailbox is our own mail,
# not a ticket.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

FX=$TRIAGE_FIXTURES/mailcmd
harness_start
mkdir -p "$HARNESS_DIR/mail"

# handoff_conf FILE DB [CLAIM]: the harness's config with support taking
# attach-style forwards, sam on the support team and a claim clock.
handoff_conf()
{
	harness_write_conf "$1" "$2"
	sed -i -e 's/style = "redirect"/style = "attach"/' \
	    -e 's/claim = "4h"/claim = "'"${3:-4h}"'"/' \
	    -e 's/^team = ($/team = (\n  { name = "sam"; address = "sam@example.com"; role = "support"; route = "support"; },/' \
	    "$1"
	grep -q 'name = "sam"' "$1" || fail "conf: no sam in $(cat "$1")"
}

# smtp_to RCPT: the delivered messages whose envelope names RCPT.
smtp_to()
{
	local f
	for f in $(harness_smtp_messages); do
		grep -q "^rcpt: *$1\$" "${f%.eml}.env" && echo "$f"
	done
	return 0
}

# wait_smtp RCPT N SECONDS: until N messages went to RCPT.
wait_smtp()
{
	local tries=$(($3 * 10))
	while [ "$tries" -gt 0 ]; do
		[ "$(smtp_to "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# header NAME FILE: the first value of a top-level header (any case;
# the top block only, never an attached message's).
header() { sed -n "/^\r\?\$/q; s/^$1: *//Ip" "$2" | head -n 1 | tr -d '\r'; }

CONF=$HARNESS_DIR/triage.conf
DB=$HARNESS_DIR/triage.db
handoff_conf "$CONF" "$DB"
start_daemon
wait_status '^sales	idling' 10 || fail "sales is not idling"

# 1. The customer's question: ticket #T, new.
deliver sales INBOX "$FX/customer.eml"
wait_sql "SELECT count(*) FROM messages WHERE message_id = 'c1@buyer.example' AND ticket_id IS NOT NULL" 1 5 ||
	fail "customer mail not stored"
T=$(sql "SELECT ticket_id FROM messages WHERE message_id = 'c1@buyer.example'")

# 2. Alice's reply says only "#route support": claimed and routed at once.
sed -e '/^#claim$/d' "$FX/reply-claim-route.eml" >"$HARNESS_DIR/mail/route.eml"
deliver sales INBOX "$HARNESS_DIR/mail/route.eml"
wait_sql "SELECT state || '|' || owner || '|' || route FROM tickets WHERE id = $T" \
    "routed|alice|support" 5 || fail "one-step route: $(sql "SELECT kind, actor, detail FROM events WHERE ticket_id = $T")"
[ "$(sql "SELECT group_concat(kind || ':' || actor || ':' || detail, ' ') FROM (SELECT * FROM events WHERE ticket_id = $T AND kind IN ('claim', 'route') ORDER BY id)")" = \
    "claim:alice:implied by route route:alice:support" ] ||
	fail "events: $(sql "SELECT kind, actor, detail FROM events WHERE ticket_id = $T")"
sql "SELECT note FROM outbox WHERE kind = 'answer' AND rcpt = 'alice@example.com'" |
	grep -q "Applied to ticket #$T" || fail "alice got no confirmation"
pass "#route support on a new ticket claims and routes it in one step"

# 3. Support gets the forward, once.
wait_smtp support@example.com 1 10 ||
	fail "no forward to support: $(sql "SELECT id, kind, state, last_error FROM outbox")"
sleep 2 # a second send would have happened by now
[ "$(smtp_to support@example.com | wc -l)" = 1 ] ||
	fail "support got $(smtp_to support@example.com | wc -l) forwards"
FWD=$(smtp_to support@example.com)
FWD_ID=$(header Message-ID "$FWD" | tr -d '<>')
TOKEN=$(header X-Triage-Token "$FWD")
case $FWD_ID in
triage.T$T.E*.[0-9a-f]*.[0-9a-f]*@example.com) ;;
*) fail "forward Message-ID $FWD_ID is not signed" ;;
esac
[ -n "$TOKEN" ] || fail "forward carries no X-Triage-Token"
pass "support got the forward once: <$FWD_ID>"

# 4. Support's list copies sales@: the forward arrives back.  Our own
#    mail, on its ticket, ignored; no new ticket.
tickets=$(sql "SELECT count(*) FROM tickets")
deliver sales INBOX "$FWD"
wait_sql "SELECT status || '|' || ticket_id || '|' || direction FROM messages WHERE message_id = '$FWD_ID'" \
    "ignored|$T|internal" 5 ||
	fail "the forward back: $(sql "SELECT status, ticket_id, direction, error FROM messages WHERE message_id = '$FWD_ID'")"
[ "$(sql "SELECT count(*) FROM tickets")" = "$tickets" ] ||
	fail "the forward back opened a ticket"
[ "$(sql "SELECT count(*) FROM events WHERE ticket_id = $T AND kind = 'own-mail'")" = 1 ] ||
	fail "no own-mail event"
# A forgery: From, token and all copied onto another id of our shape
# (another event of #T) whose MAC cannot verify.  No proof of anything.
FORGED_ID=$(echo "$FWD_ID" | sed "s/^triage\.T$T\.E/triage.T$T.E9/")
sed -e "0,/^Message-Id:/I{s/^Message-Id: .*/Message-Id: <$FORGED_ID>/I}" "$FWD" \
    >"$HARNESS_DIR/mail/forged.eml"
deliver sales INBOX "$HARNESS_DIR/mail/forged.eml"
wait_sql "SELECT count(*) FROM messages WHERE message_id = '$FORGED_ID'" 1 5 ||
	fail "the forged copy was not stored"
[ "$(sql "SELECT status FROM messages WHERE message_id = '$FORGED_ID'")" != ignored ] ||
	fail "a forged token was taken for our own mail"
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'own-mail'")" = 1 ] ||
	fail "the forgery was recorded as own mail"
pass "our forward back in sales@ is own mail on #$T; a forged token is not"

# 5. Sam (support) answers the customer from the forward, copying
#    sales@: stored as outbound on #T, acknowledges it, not forwarded.
forwards=$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $T AND kind = 'forward'")
SCORES="SELECT score_budget || score_authority || score_need || score_timeline || score_fit FROM tickets WHERE id = $T"
scores=$(sql "$SCORES")
cat >"$HARNESS_DIR/mail/sam.eml" <<EOF
From: Sam Support <sam@example.com>
To: Pat Buyer <pat@buyer.example>
Cc: sales@example.com
Subject: Re: [#$T] Pricing for 40 seats
Date: Mon, 09 Nov 2026 11:00:00 +0000
Message-ID: <s1@example.com>
In-Reply-To: <$FWD_ID>
References: <$FWD_ID>
Content-Type: text/plain; charset=utf-8

Hi Pat, SAML is in the enterprise edition: what is your budget
and timeline? I am the one who can decide on the discount.

Sam
EOF
deliver sales INBOX "$HARNESS_DIR/mail/sam.eml"
wait_sql "SELECT state FROM tickets WHERE id = $T" acknowledged 5 ||
	fail "support's reply did not acknowledge: $(sql "SELECT kind, actor, detail FROM events WHERE ticket_id = $T")"
[ "$(sql "SELECT ticket_id || '|' || direction FROM messages WHERE message_id = 's1@example.com'")" = "$T|out" ] ||
	fail "sam's reply: $(sql "SELECT ticket_id, direction FROM messages WHERE message_id = 's1@example.com'")"
[ "$(sql "SELECT actor || '|' || source FROM events WHERE ticket_id = $T AND kind = 'ack'")" = "sam|mail" ] ||
	fail "ack event: $(sql "SELECT actor, source FROM events WHERE kind = 'ack'")"
sleep 2
[ "$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $T AND kind = 'forward'")" = "$forwards" ] ||
	fail "sam's reply was queued as a forward"
[ "$(smtp_to support@example.com | wc -l)" = 1 ] ||
	fail "support got its own reply back"
[ "$(sql "$SCORES")" = "$scores" ] ||
	fail "sam's reply (budget, enterprise: signals) moved the scores: $scores -> $(sql "$SCORES")"
pass "support's reply acknowledged #$T and was not forwarded back"

stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
harness_doveadm expunge -u sales mailbox INBOX all || fail "expunge"

# 6. Two fresh databases route the same mail: different Message-IDs.
ids=
for n in 2 3; do
	handoff_conf "$HARNESS_DIR/t$n.conf" "$HARNESS_DIR/t$n.db" 1s
	"$TRIAGE" -c "$HARNESS_DIR/t$n.conf" ingest --mailbox sales "$FX/customer.eml" \
	    >/dev/null || fail "ingest into t$n"
	"$TRIAGE" -c "$HARNESS_DIR/t$n.conf" route 1 support --as alice ||
		fail "triage route in t$n"
	before=$(smtp_to support@example.com | wc -l)
	"$TRIAGED" -c "$HARNESS_DIR/t$n.conf" --once 2>>"$HARNESS_DIR/once.log" ||
		fail "triaged --once on t$n: $(tail -n 5 "$HARNESS_DIR/once.log")"
	wait_smtp support@example.com $((before + 1)) 10 || fail "t$n sent no forward"
	id=$(header Message-ID "$(smtp_to support@example.com | tail -n 1)")
	ids="$ids $id"
done
set -- $ids
[ "$1" != "$2" ] || fail "two databases minted the same Message-ID $1"
[ "${1%%.E*}" = "${2%%.E*}" ] || fail "not the same ticket: $1 $2"
pass "two fresh databases: $1 and $2"

# 7. A reminder that comes back into a watched mailbox (t3's claim clock
#    is 1s) is our own mail, not a ticket.
DB=$HARNESS_DIR/t3.db
sed -e 's/^Message-ID: .*/Message-ID: <c2@buyer.example>/' \
    -e 's/^Subject: .*/Subject: Still waiting/' "$FX/customer.eml" \
    >"$HARNESS_DIR/mail/c2.eml"
"$TRIAGE" -c "$HARNESS_DIR/t3.conf" ingest --mailbox sales "$HARNESS_DIR/mail/c2.eml" \
    >/dev/null || fail "second ticket into t3"
sleep 2
"$TRIAGED" -c "$HARNESS_DIR/t3.conf" --once 2>>"$HARNESS_DIR/once.log" || fail "t3 --once"
REM=
for i in $(seq 100); do
	for f in $(smtp_to bdr-managers@example.com); do
		header Message-ID "$f" | grep -q '\.reminder\.' && REM=$f
	done
	[ -n "$REM" ] && break
	sleep 0.1
done
[ -n "$REM" ] || fail "no reminder: $(sql "SELECT id, kind, rcpt, state FROM outbox")"
REM_ID=$(header Message-ID "$REM" | tr -d '<>')
[ -n "$(header X-Triage-Token "$REM")" ] || fail "the reminder carries no token"
tickets=$(sql "SELECT count(*) FROM tickets")
deliver sales INBOX "$REM"
"$TRIAGED" -c "$HARNESS_DIR/t3.conf" --once 2>>"$HARNESS_DIR/once.log" || fail "t3 --once"
[ "$(sql "SELECT status FROM messages WHERE message_id = '$REM_ID'")" = ignored ] ||
	fail "the reminder back: $(sql "SELECT status, ticket_id, error FROM messages WHERE message_id = '$REM_ID'")"
[ "$(sql "SELECT count(*) FROM tickets")" = "$tickets" ] ||
	fail "the reminder back opened a ticket"
pass "a reminder back in sales@ is own mail, no ticket"

# 8. triage status shows the open breach: #2's claim clock, in sales.
"$TRIAGE" -c "$HARNESS_DIR/t3.conf" status >"$HARNESS_DIR/status.txt" ||
	fail "triage status exited $?"
grep -q '^sla: 1 open breach (sales 1)$' "$HARNESS_DIR/status.txt" ||
	fail "status: $(cat "$HARNESS_DIR/status.txt")"
grep -q '^  oldest: ticket #2, claim clock, due ' "$HARNESS_DIR/status.txt" ||
	fail "status: $(cat "$HARNESS_DIR/status.txt")"
"$TRIAGE" -c "$HARNESS_DIR/t3.conf" status --json >"$HARNESS_DIR/status.json" ||
	fail "triage status --json exited $?"
/usr/bin/python3 - "$HARNESS_DIR/status.json" <<'EOF' || fail "status --json: $(cat "$HARNESS_DIR/status.json")"
import json, sys
b = json.load(open(sys.argv[1]))["sla_breaches"]
assert b["total"] == 1 and b["queues"] == {"sales": 1}, b
assert b["oldest"]["ticket"] == 2 and b["oldest"]["clock"] == "claim", b
EOF
pass "triage status shows the open SLA breach"

pass "the hand-off loop closes"
