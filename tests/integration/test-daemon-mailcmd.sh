# Mail commands through the daemon: a team member's reply with #claim,
# fetched by triaged, claims the ticket in the same transaction that
# stores it; the same line from a stranger is refused.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
conf
m()
{
	printf 'From: %s\nTo: sales@example.com\nSubject: %s\nMessage-ID: <%s>\n%sDate: Mon, 16 Nov 2026 10:00:00 +0000\n\n%s\n' \
	    "$1" "$2" "$3" "$4" "$5" >"$HARNESS_DIR/$3.eml"
	echo "$HARNESS_DIR/$3.eml"
}
deliver sales INBOX "$(m "Pat <pat@buyer.example>" "Pricing for 40 seats" \
    q1@buyer.example "" "How much for 40 seats?")"
once || fail "first drain"
t=$(sql "SELECT ticket_id FROM messages WHERE message_id = 'q1@buyer.example'")
[ -n "$t" ] || fail "no ticket"

deliver sales INBOX "$(m "Eve <eve@other.example>" "Re: Pricing for 40 seats" \
    e1@other.example "In-Reply-To: <q1@buyer.example>
" "#claim")"
once || fail "stranger's reply"
[ "$(sql "SELECT coalesce(owner, '-') FROM tickets WHERE id = $t")" = - ] ||
	fail "a stranger claimed the ticket"
[ "$(sql "SELECT count(*) FROM events WHERE ticket_id = $t AND kind = 'command-refused'")" = 1 ] ||
	fail "the refusal is not recorded exactly once"

deliver sales INBOX "$(m "Alice <alice@example.com>" "Re: Pricing for 40 seats" \
    a1@example.com "In-Reply-To: <q1@buyer.example>
" "#claim

Mine.")"
once || fail "alice's reply"
[ "$(sql "SELECT state || ' ' || owner FROM tickets WHERE id = $t")" = "claimed alice" ] ||
	fail "ticket $t: $(sql "SELECT state, owner FROM tickets WHERE id = $t")"
[ "$(sql "SELECT count(*) FROM events WHERE ticket_id = $t AND kind = 'claim' AND source = 'mail'")" = 1 ] ||
	fail "no claim event from mail"
grep -q "mailbox=sales ticket=$t message-id=<[^>]*> uid=3: mail commands applied (1 command, 0 errors)" "$DAEMON_LOG" ||
	fail "not logged"

pass "#claim by a team member applied at ingest; a stranger's refused"
