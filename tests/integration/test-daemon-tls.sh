# Certificate checks before any credential: a server certificate from a
# CA we do not trust, or for another host name, is refused with a log
# line naming the host and the reason, and no password reaches the
# server -- over implicit TLS and over STARTTLS.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 3 "$HARNESS_DIR/mail"
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml

# Was any credential sent?  Dovecot logs every authentication attempt;
# its pre-login transcript would hold a LOGIN or AUTHENTICATE line.
no_credentials()
{
	! grep -q "Login: user=\|auth failed\|passwd-file(sales\|passwd-file(community" "$DOVECOT_LOG" ||
		fail "$1: the server saw a login attempt"
	if [ -d "$HARNESS_DIR/run/login/rawlogs" ]; then
		! grep -rqi "sales-pw\|community-pw\|LOGIN sales\|AUTHENTICATE" \
		    "$HARNESS_DIR/run/login/rawlogs" ||
			fail "$1: a credential is in the pre-login transcript"
	fi
}

for tls in implicit starttls; do
	for cert in untrusted wronghost; do
		HARNESS_IMAP_TLS=$tls conf
		DAEMON_LOG=$HARNESS_DIR/triaged-$tls-$cert.log
		harness_dovecot_stop
		: >"$DOVECOT_LOG"
		harness_dovecot_start $cert || fail "dovecot with $cert"
		rc=0
		once || rc=$?
		[ "$rc" = 1 ] || fail "$tls/$cert: --once exited $rc, want 1"
		case $cert in
		untrusted) why="untrusted\|not trusted\|issuer\|signer" ;;
		wronghost) why="host name\|hostname\|does not match" ;;
		esac
		grep "mailbox=sales .*127.0.0.1" "$DAEMON_LOG" | grep -qi "$why" ||
			fail "$tls/$cert: no log line naming the host and the reason"
		no_credentials "$tls/$cert"
		[ "$(sql "SELECT count(*) FROM messages")" = 0 ] ||
			fail "$tls/$cert: something was stored"
		echo "$tls/$cert: $(grep -m1 "mailbox=sales" "$DAEMON_LOG")"
	done
done

# And with the right certificate the same config works.
harness_dovecot_stop
harness_dovecot_start good
HARNESS_IMAP_TLS=starttls conf
once || fail "good certificate over STARTTLS: exit $?"
[ "$(sql "SELECT count(*) FROM messages")" = 3 ] || fail "good certificate"
pass "untrusted CA and wrong host refused before login (implicit, STARTTLS)"
