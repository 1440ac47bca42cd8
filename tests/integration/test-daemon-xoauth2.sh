# XOAUTH2 against a real Dovecot whose oauth2 passdb checks every token
# with the harness's introspection endpoint (tests/harness/oauth2d.py):
# oauth2_token_file and oauth2_token_command log in with XOAUTH2 and the
# mailbox drains; the file is read again at every connection (a token
# replaced under a running triaged is used after a server restart, the
# revoked one never again); a refused token backs that mailbox off while
# a password mailbox drains, and the mailbox recovers once a good token
# is written, without SIGHUP; no token ever reaches triaged's log.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 80 "$HARNESS_DIR/mail"
mail=("$HARNESS_DIR"/mail/*.eml)
deliver sales INBOX "${mail[@]:0:20}"
deliver community INBOX "${mail[@]:20:10}"
export HARNESS_OAUTH2_MAILBOXES=sales
conf
TOKENS=()

# The 12 hex digits oauth2d.py logs for a token.
token_hash() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# How many introspection answers for TOKEN were active=true / false.
introspected() { grep -c "sha256=$(token_hash "$1") active=$2 " \
    "$OAUTH2_LOG" || true; }

# Successful logins of USER with METHOD in Dovecot's log.
logins() { grep -c "imap-login: Info: Login: user=<$1>, method=$2," \
    "$DOVECOT_LOG" || true; }

stored() { sql "SELECT count(*) FROM messages WHERE mailbox = '$1'"; }

# grant: a new valid token of sales in $TOKEN (not in $(...): the list
# of every token used, for step 5, must outlive the call).
grant()
{
	TOKEN=$(harness_oauth2_grant sales)
	TOKENS+=("$TOKEN")
}

# 1. oauth2_token_file with a valid token: XOAUTH2, and the mail is in.
grep -q "oauth2_token_file = \"$(harness_oauth2_token_file sales)\"" \
    "$CONF" || fail "harness_write_conf did not give sales a token file"
grep -q "password_file = \"$(harness_password_file community)\"" \
    "$CONF" || fail "community lost its password"
grant
tok_a=$TOKEN
harness_oauth2_write_token sales "$tok_a"
once || fail "--once with a valid token exited $?"
[ "$(stored sales)" = 20 ] || fail "sales stored $(stored sales), want 20"
[ "$(stored community)" = 10 ] || fail "community stored $(stored community)"
[ "$(logins sales XOAUTH2)" = 1 ] ||
	fail "sales did not log in once with XOAUTH2: $(grep "user=<sales>" "$DOVECOT_LOG")"
[ "$(logins sales PLAIN)$(logins sales LOGIN)" = 00 ] ||
	fail "sales logged in with a password"
[ "$(logins community XOAUTH2)" = 0 ] || fail "community used XOAUTH2"
[ "$(introspected "$tok_a" true)" = 1 ] ||
	fail "the token was not checked by the introspection endpoint: $(cat "$OAUTH2_LOG")"
pass "oauth2_token_file: XOAUTH2 login, 20 stored, checked by introspection"

# 2. The file is read at every connection.  With triaged running, the
# token is replaced (the old one revoked) and Dovecot restarted: the
# reconnect uses the new token and never presents the revoked one.
start_daemon
wait_status "^sales	idling	" 20 || fail "sales not idling"
grant
tok_b=$TOKEN
harness_oauth2_revoke "$tok_a"
harness_oauth2_write_token sales "$tok_b"
harness_dovecot_restart good || fail "restarting dovecot"
deliver sales INBOX "${mail[@]:30:10}"
wait_sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'" 30 30 ||
	fail "sales not drained after the token was replaced"
[ "$(introspected "$tok_b" true)" -ge 1 ] ||
	fail "the new token was never presented"
[ "$(introspected "$tok_a" false)" = 0 ] ||
	fail "the revoked token was presented again: the file was not re-read"
[ "$(logins sales XOAUTH2)" -ge 2 ] || fail "no second XOAUTH2 login"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
pass "token file re-read on reconnect: new token used, revoked one never sent"

# 3. oauth2_token_command: run at each login, its output is the token.
grant
tok_c=$TOKEN
(umask 077; echo "$tok_c" >"$HARNESS_DIR/secrets/cmd.token")
cat >"$HARNESS_DIR/token-cmd.sh" <<EOF
#!/bin/sh
echo run >>"$HARNESS_DIR/token-cmd.runs"
cat "$HARNESS_DIR/secrets/cmd.token"
EOF
chmod 755 "$HARNESS_DIR/token-cmd.sh"
sed -i "s|oauth2_token_file = \"[^\"]*\"|oauth2_token_command = \"$HARNESS_DIR/token-cmd.sh\"|" \
    "$CONF"
grep -q oauth2_token_command "$CONF" || fail "config edit"
deliver sales INBOX "${mail[@]:40:10}"
before=$(logins sales XOAUTH2)
once || fail "--once with oauth2_token_command exited $?"
[ "$(stored sales)" = 40 ] || fail "sales stored $(stored sales), want 40"
[ "$(logins sales XOAUTH2)" = $((before + 1)) ] ||
	fail "no XOAUTH2 login with the command's token"
[ "$(introspected "$tok_c" true)" = 1 ] ||
	fail "the command's token was not the one presented"
[ "$(wc -l <"$HARNESS_DIR/token-cmd.runs")" = 1 ] ||
	fail "token command ran $(wc -l <"$HARNESS_DIR/token-cmd.runs") times"
pass "oauth2_token_command: its token logs in with XOAUTH2, 10 more stored"

# 4. An expired token: the login is refused, with the server's words and
# the mailbox's name; sales backs off, community (password) drains.
# A good token written to the file is then picked up at the next retry.
conf
tok_x=ya29.expired-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
TOKENS+=("$tok_x")
harness_oauth2_write_token sales "$tok_x"
deliver sales INBOX "${mail[@]:50:10}"
deliver community INBOX "${mail[@]:60:10}"
DAEMON_LOG=$HARNESS_DIR/triaged-4.log
rc=0
once || rc=$?
[ "$rc" = 1 ] || fail "--once with a refused token exited $rc, want 1"
[ "$(stored community)" = 20 ] || fail "community not drained beside it"
[ "$(stored sales)" = 40 ] || fail "sales stored with a refused token"
[ "$(introspected "$tok_x" false)" -ge 1 ] ||
	fail "the expired token did not reach the introspection endpoint"
grep "mailbox=sales" "$DAEMON_LOG" |
    grep -q 'AUTHENTICATE XOAUTH2 refused: ".*Authentication failed' ||
	fail "refused XOAUTH2 not logged with the mailbox and the server's words"
start_daemon
wait_status "^sales	backoff	.*XOAUTH2 refused" 20 ||
	fail "status: $(cat "$HARNESS_DIR/triaged.status")"
wait_log "mailbox=sales .*XOAUTH2 refused.*retrying in" 5 ||
	fail "no retry logged"
wait_status "^community	idling	" 30 ||
	fail "community not idling: $(cat "$HARNESS_DIR/triaged.status")"
grant
tok_d=$TOKEN
harness_oauth2_write_token sales "$tok_d"
wait_sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'" 50 40 ||
	fail "sales did not recover once a good token was written"
[ "$(introspected "$tok_d" true)" -ge 1 ] || fail "recovered without tok_d?"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
pass "refused token: sales backed off with the server's words, community drained, recovered from the file"

# 5. No token, nor its base64 form, in anything triaged wrote.
for t in "${TOKENS[@]}"; do
	b64=$(printf 'user=sales\001auth=Bearer %s\001\001' "$t" | base64 -w0)
	for f in "$HARNESS_DIR"/triaged*.log "$HARNESS_DIR/triaged.status"; do
		! grep -qF -e "$t" -e "$b64" "$f" ||
			fail "a token is in $f"
	done
done
# The assertion above must be able to see a token where one is.
grep -qF "$tok_d" "$(harness_oauth2_token_file sales)" ||
	fail "token search self-check"
pass "no token in triaged's logs or status (${#TOKENS[@]} tokens checked)"

# Under ASan/UBSan a report also exits 1, which step 4 expects: look.
! grep -q "Sanitizer\|runtime error" "$HARNESS_DIR"/triaged*.log ||
	fail "sanitizer report in triaged's log"
