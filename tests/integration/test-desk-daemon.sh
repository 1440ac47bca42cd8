# A BDR's day through the daemon, with the real Dovecot and SMTP server:
# alice's out-of-office (a German subject the shipped rules know) marks
# her away and round-robin gives every new ticket to bob; bob's "#wait"
# pauses a ticket until the customer writes again, and bob is told by
# mail; "#merge" by mail moves a duplicate's thread, and a later reply
# to the duplicate follows it; "#unclaim" gives a ticket back; alice's
# next own mail brings her back.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
conf
cat >>"$CONF" <<'EOF'
assign = { queues = ("sales"); mode = "round-robin"; members = ("alice", "bob"); };
EOF
"$TRIAGED" -c "$CONF" --check >/dev/null 2>&1 || fail "--check refuses the assign block"
# never someone outside the team, never an unknown queue
sed 's/members = ("alice", "bob")/members = ("alice", "zed")/; s/queues = ("sales")/queues = ("sails")/' \
    "$CONF" >"$HARNESS_DIR/bad.conf"
if "$TRIAGED" -c "$HARNESS_DIR/bad.conf" --check >"$HARNESS_DIR/bad.out" 2>&1; then
	fail "--check took an assign member outside team"
fi
grep -q "assign: member 'zed' is not in team" "$HARNESS_DIR/bad.out" ||
	fail "no reason given: $(cat "$HARNESS_DIR/bad.out")"
grep -q "assign: unknown queue 'sails'" "$HARNESS_DIR/bad.out" ||
	fail "unknown queue not named: $(cat "$HARNESS_DIR/bad.out")"

n=0
# m FROM SUBJECT MESSAGE-ID IN-REPLY-TO BODY [HEADERS]
m()
{
	n=$((n + 1))
	{
		printf 'From: %s\nTo: sales@example.com\nSubject: %s\n' "$1" "$2"
		printf 'Message-ID: <%s>\nDate: Mon, 16 Nov 2026 10:%02d:00 +0000\n' "$3" "$n"
		[ -z "$4" ] || printf 'In-Reply-To: <%s>\n' "$4"
		printf '%s\n%s\n' "${6:-}" "$5"
	} >"$HARNESS_DIR/$3.eml"
	deliver sales INBOX "$HARNESS_DIR/$3.eml"
}
ticket() { sql "SELECT ticket_id FROM messages WHERE message_id = '$1'"; }
state() { sql "SELECT state || ' ' || coalesce(owner, '-') FROM tickets WHERE id = $1"; }

# 1. alice's out-of-office: away; new tickets all go to bob
m "Alice <alice@example.com>" "Abwesenheitsnotiz: Pricing" ooo1@example.com "" \
    "Ich bin bis Montag nicht im Büro."
once || fail "first drain"
[ "$(sql "SELECT auto FROM away WHERE name = 'alice'")" = 1 ] ||
	fail "alice's out-of-office did not mark her away"
for i in 1 2 3 4; do
	m "Pat <pat@buyer.example>" "Question $i" "q$i@buyer.example" "" "How much for ${i}0 seats?"
done
once || fail "second drain"
for i in 1 2 3 4; do
	t=$(ticket "q$i@buyer.example")
	[ "$(state "$t")" = "claimed bob" ] ||
		fail "ticket $t (q$i) is $(state "$t"), not bob's: away alice was not skipped"
done
[ "$(sql "SELECT count(*) FROM events WHERE kind = 'assign' AND actor = 'triaged' AND detail LIKE 'to bob (round-robin%'")" = 4 ] ||
	fail "no assign event says why"

# 2. wait -> the customer's reply -> claimed again, bob told
t1=$(ticket q1@buyer.example)
m "Bob <bob@example.com>" "Re: Question 1" b1@example.com q1@buyer.example "#wait

Let me know when you have the numbers."
once || fail "bob's #wait"
[ "$(state "$t1")" = "waiting bob" ] || fail "ticket $t1 is $(state "$t1"), not waiting"
since=$(sql "SELECT wait_since FROM tickets WHERE id = $t1")
sleep 2
m "Pat <pat@buyer.example>" "Re: Question 1" q1b@buyer.example b1@example.com "We need 40."
once || fail "the customer's reply"
[ "$(state "$t1")" = "claimed bob" ] || fail "ticket $t1 is $(state "$t1") after the reply"
waited=$(sql "SELECT waited FROM tickets WHERE id = $t1")
now=$(sql "SELECT max(at) FROM events WHERE ticket_id = $t1 AND kind = 'resume'")
[ "$waited" -ge 2 ] && [ "$waited" -eq $((now - since)) ] ||
	fail "the pause measured $waited s, not $((now - since)) s"
grep -l "^rcpt: bob@example.com" "$SMTP_SPOOL"/*.env >/dev/null 2>&1 ||
	fail "bob was not told by mail: $(cat "$SMTP_SPOOL"/*.env 2>/dev/null)"
"$TRIAGE" -c "$CONF" report --format json --since 1d | grep -q '"waiting"' ||
	fail "the report has no waiting figure"

# 3. merge q3 into q2 by mail; a later reply to q3 threads into q2
t2=$(ticket q2@buyer.example)
t3=$(ticket q3@buyer.example)
m "Bob <bob@example.com>" "Re: Question 3" b2@example.com q3@buyer.example "#merge $t2"
once || fail "bob's #merge"
[ "$(sql "SELECT state || ' ' || merged_into FROM tickets WHERE id = $t3")" = "merged $t2" ] ||
	fail "ticket $t3: $(sql "SELECT state, merged_into FROM tickets WHERE id = $t3")"
[ "$(sql "SELECT count(*) FROM messages WHERE ticket_id = $t3")" = 0 ] ||
	fail "messages left on the stub"
"$TRIAGE" -c "$CONF" show "$t3" | grep -q "merged into #$t2" ||
	fail "show does not say merged into #$t2"
"$TRIAGE" -c "$CONF" show "$t2" --json | grep -q '"kind": *"merge"' ||
	fail "the stub's events are not shown with #$t2"
m "Pat <pat@buyer.example>" "Re: Question 3" q3b@buyer.example q3@buyer.example "And SAML?"
once || fail "the reply to the stub"
[ "$(ticket q3b@buyer.example)" = "$t2" ] || fail "the reply to the stub did not follow the merge"

# 4. unclaim; alice acts again and is back
t4=$(ticket q4@buyer.example)
m "Bob <bob@example.com>" "Re: Question 4" b3@example.com q4@buyer.example "#unclaim"
once || fail "bob's #unclaim"
[ "$(state "$t4")" = "new -" ] || fail "ticket $t4 is $(state "$t4") after #unclaim"
m "Alice <alice@example.com>" "Re: Question 4" a1@example.com q4@buyer.example "#claim"
once || fail "alice's claim"
[ "$(sql "SELECT count(*) FROM away WHERE name = 'alice'")" = 0 ] || fail "alice is still away"
[ "$(state "$t4")" = "claimed alice" ] || fail "ticket $t4 is $(state "$t4")"

pass "away by out-of-office, round-robin skips her, wait and resume, merge by mail, unclaim"
