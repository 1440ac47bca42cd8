# IDLE renewal: servers drop an IDLE after 30 minutes (RFC 2177), so
# triaged ends and re-issues it every --idle-renew seconds.  With
# --idle-renew 2, Dovecot's own transcript of the session must show IDLE
# sent again and again on one connection (one login, one session), and
# mail delivered after several renewals must still become a ticket
# within 2 s.  With the option ignored (25 minutes) no renewal happens in
# the time the test waits, and it fails.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

RENEW=2
WAIT=9		# seconds idle: >= 3 renewals at 2 s, keepalive or not
harness_start
gen 20 "$HARNESS_DIR/mail"
gen 1 "$HARNESS_DIR/late" 2
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
conf

# Bad values are refused as a usage error (exit 2), before any work.
for bad in 0 1741 -5 2x ""; do
	rc=0
	"$TRIAGED" -c "$CONF" --idle-renew "$bad" --check >/dev/null 2>&1 ||
		rc=$?
	[ "$rc" = 2 ] || fail "--idle-renew '$bad' exited $rc, want 2"
done
pass "--idle-renew refuses 0, 1741, -5, 2x and ''"

start_daemon -v --idle-renew "$RENEW"
wait_sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'" 20 20 ||
	fail "first drain"
wait_status '^sales	idling' 10 ||
	fail "sales is not idling: $(cat "$HARNESS_DIR/triaged.status")"
sleep "$WAIT"

# The server's side: one session of sales (one post-login transcript, one
# login), in which IDLE was sent once and then renewed.
rawlog=$(harness_rawlog_dir sales)
sessions=("$rawlog"/*.in)
[ "${#sessions[@]}" = 1 ] && [ -f "${sessions[0]}" ] ||
	fail "sales has ${#sessions[@]} sessions, want 1: $(ls "$rawlog")"
logins=$(grep -c "imap-login: Info: Login: user=<sales>," "$DOVECOT_LOG") || true
[ "$logins" = 1 ] || fail "sales logged in $logins times, want 1"
# Dovecot stamps each line it reads: "TIME TAG IDLE", "TIME DONE".
wire=$HARNESS_DIR/sales.in
tr -d '\r' <"${sessions[0]}" >"$wire"
idles=$(grep -c "^[0-9.]* [^ ]* IDLE$" "$wire") || true
dones=$(grep -c "^[0-9.]* DONE$" "$wire") || true
echo "in $WAIT s at --idle-renew $RENEW: $idles IDLE, $dones DONE"
[ "$idles" -ge 4 ] || fail "$idles IDLE commands in $WAIT s, want >= 4"
[ "$dones" -ge $((idles - 1)) ] || fail "IDLE renewed without DONE"
# Each renewal comes RENEW seconds after the IDLE before it: not sooner
# (a busy loop), not much later.  Dovecot's keepalive ("* OK Still
# here", sent to all sessions from one address at the same moment of
# its 2-minute cycle) ends an IDLE early; that is news, not a renewal,
# so a gap in which the server spoke during the IDLE is not measured.
out=$HARNESS_DIR/sales.out
tr -d '\r' <"${sessions[0]%.in}.out" |
	awk '$2 == "*" { print $1, "SERVER" }' >"$out"
gaps=$(sort -n -s -k1,1 "$wire" "$out" | awk -v r="$RENEW" '
$NF == "SERVER" { if (idling) prev = ""; next }
$NF == "DONE" { idling = 0; next }
$NF == "IDLE" {
	if (prev != "") {
		g = $1 - prev
		printf "%.2f ", g
		if (g < r - 0.2 || g > r + 1.5)
			bad = 1
	}
	prev = $1
	idling = 1
} END { exit bad }') ||
	fail "IDLE renewed at gaps of $gaps s, want about $RENEW s"
echo "gaps between IDLE commands: $gaps s"
n=$(grep -c "mailbox=sales no news in $RENEW s of IDLE: renewing it" \
    "$DAEMON_LOG") || true
[ "$n" -ge 3 ] || fail "$n renewals logged, want >= 3"
pass "IDLE renewed $((idles - 1)) times in $WAIT s on one connection"

# Mail after several renewals still becomes a ticket within 2 s, on the
# same connection.
f=$(ls "$HARNESS_DIR"/late/*.eml)
mid=$(message_id "$f")
t0=$(date +%s%N)
deliver sales INBOX "$f"
wait_sql "SELECT count(*) FROM messages WHERE message_id = '$mid' AND ticket_id IS NOT NULL" 1 2 ||
	fail "mail delivered after renewals not a ticket within 2 s"
t1=$(date +%s%N)
echo "delivery -> ticket: $(((t1 - t0) / 1000000)) ms"
sessions=("$rawlog"/*.in)
[ "${#sessions[@]}" = 1 ] || fail "a new session after the delivery"
logins=$(grep -c "imap-login: Info: Login: user=<sales>," "$DOVECOT_LOG") || true
[ "$logins" = 1 ] || fail "sales logged in $logins times after the delivery"
! grep -q "mailbox=sales .*retrying in" "$DAEMON_LOG" ||
	fail "sales failed and reconnected"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
[ "$(count_unseen sales INBOX)" = 0 ] || fail "not all flagged \\Seen"
pass "mail after $((idles - 1)) renewals: a ticket within 2 s, same session"
