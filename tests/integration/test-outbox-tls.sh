#!/bin/bash
# The outbox over TLS with the real SMTP server: implicit TLS and
# STARTTLS verified against the test CA deliver (the server saw TLS and
# our AUTH); a server whose certificate the configured CA did not sign is
# refused before anything is sent: the row waits with the verification
# error, nothing arrives.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

harness_start
outbox_trap
conf
W=$HARNESS_DIR/work
mkdir -p "$W"
for k in a b c; do
	sed "s/o1\.pat@/o1.$k@/" "$OUTBOX_FIX/c1.eml" >"$W/$k.eml"
done
deliver sales INBOX "$W/a.eml" "$W/b.eml" "$W/c.eml"
once || fail "--once exited $?"
TA=$(ticket_of o1.a@buyer.example)
TB=$(ticket_of o1.b@buyer.example)
TC=$(ticket_of o1.c@buyer.example)
for t in $TA $TB $TC; do cli claim "$t" >/dev/null || fail "claim $t"; done

# smtp_conf TLS PORT CA: rewrite the config's smtp block.
smtp_conf()
{
	sed -i -e "s|^smtp = { host = \"127.0.0.1\"; port = [0-9]*; tls = \"[a-z]*\";|smtp = { host = \"127.0.0.1\"; port = $2; tls = \"$1\";|" \
	    -e "/from = \"Triage/s|ca_file = \"[^\"]*\"; };\$|ca_file = \"$3\"; };|" \
	    "$CONF"
	grep -q "port = $2; tls = \"$1\"" "$CONF" || fail "smtp block not rewritten"
}

# 1. STARTTLS (the harness default), verified.
cli route "$TA" sales >/dev/null || fail "route"
once || fail "--once exited $?"
[ "$(spool_count)" = 1 ] || fail "starttls: $(spool_count) mails"
env1=$(spool_nth 1 | sed 's/\.eml$/.env/')
grep -qx "tls: yes" "$env1" || fail "starttls: the server saw no TLS"
grep -q "^auth: $SMTP_USER" "$env1" || fail "starttls: no AUTH: $(cat "$env1")"
pass "STARTTLS verified against the test CA, delivered with AUTH"

# 2. Implicit TLS, verified.
smtp_conf implicit "$SMTPS_PORT" "$HARNESS_CA"
cli route "$TB" sales >/dev/null || fail "route"
once || fail "--once exited $?"
[ "$(spool_count)" = 2 ] || fail "implicit: $(spool_count) mails"
grep -qx "tls: yes" "$(spool_nth 2 | sed 's/\.eml$/.env/')" ||
	fail "implicit: the server saw no TLS"
pass "implicit TLS verified against the test CA"

# 3. A CA that did not sign the server's certificate: refused, waits.
for mode in implicit:$SMTPS_PORT starttls:$SMTP_PORT; do
	smtp_conf "${mode%%:*}" "${mode#*:}" "$HARNESS_DIR/tls/untrusted-ca.crt"
	if [ "$mode" = "${mode#implicit}" ]; then
		cli outbox retry "$(sql "SELECT id FROM outbox WHERE ticket_id = $TC")" >/dev/null ||
			fail "retry"
	else
		cli route "$TC" sales >/dev/null || fail "route"
	fi
	once || fail "--once exited $?"
	[ "$(spool_count)" = 2 ] || fail "untrusted ($mode): a mail arrived"
	[ "$(sql "SELECT state FROM outbox WHERE ticket_id = $TC")" = pending ] ||
		fail "untrusted ($mode): row $(sql "SELECT state, last_error FROM outbox WHERE ticket_id = $TC")"
	sql "SELECT last_error FROM outbox WHERE ticket_id = $TC" | grep -qi "certificate\|verif\|trust" ||
		fail "untrusted ($mode): error $(sql "SELECT last_error FROM outbox WHERE ticket_id = $TC")"
done
pass "untrusted certificate refused (implicit and STARTTLS): $(sql "SELECT last_error FROM outbox WHERE ticket_id = $TC")"

# 4. With the right CA again the waiting row goes out, once.
smtp_conf starttls "$SMTP_PORT" "$HARNESS_CA"
cli outbox retry "$(sql "SELECT id FROM outbox WHERE ticket_id = $TC")" >/dev/null ||
	fail "retry"
once || fail "--once exited $?"
once || fail "--once exited $?"
[ "$(spool_count)" = 3 ] || fail "after fixing the CA: $(spool_count) mails, want 3"
pass "after the CA is fixed the row is delivered once"
