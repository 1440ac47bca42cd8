#!/bin/bash
# Interop: triage with a throwaway Postfix 3.7 from Debian's packages
# (unpacked, not installed: Postfix Conflicts: mail-transport-agent), its
# own configuration, queue and log in a scratch directory, listening on
# a free loopback port.
#
# Forwarding: triaged drains the harness's Dovecot, tickets are routed
# (attach and redirect), and the outbox sends the forwards to Postfix
# over STARTTLS (the harness's test certificate); Postfix relays them
# (STARTTLS verified against the test CA, SASL AUTH) to the harness's
# SMTP server.  Each arrives exactly once, declared BODY=8BITMIME where
# it is 8-bit, with its headers intact: the attached originals and the
# redirected ones byte-identical, our Message-ID and X-Triage-Token good
# enough that the relayed copy, back in the watched mailbox, is
# recognised as our own mail.
#
# The MTA pipe: a pipe(8) transport (flags=R, an unprivileged user)
# runs `triage ingest --mailbox ${nexthop}` as README shows; the mail
# becomes a ticket.  With a broken triage.conf (exit 75) Postfix defers
# the mail, does not bounce it; once the config is fixed, `postqueue -f`
# delivers it and it becomes a ticket.
#
# Postfix's master must start as root: as anyone else this exits 77
# (skipped).  It creates the postfix user and postdrop group when
# missing, as Debian's postinst does.
#
# Run: ctest --test-dir build -R interop/test-postfix --output-on-failure
set -eu
: "${TRIAGED:?}" "${TRIAGE:?}" "${TRIAGE_SOURCE_DIR:?}"
. "$TRIAGE_SOURCE_DIR/tests/interop/interop-lib.sh"
[ "$(id -u)" = 0 ] || skip "Postfix's master must start as root"

PF=$(mktemp -d "${TMPDIR:-/tmp}/triage-postfix.XXXXXX")
trap 'rm -rf "$PF"' EXIT
R=$PF/root	# the unpacked package
P=$PF/etc	# config_directory
interop_unpack "$R" postfix
PF_LIB=$R/usr/lib/postfix
LD_LIBRARY_PATH=$PF_LIB interop_need_libs "$R/usr/sbin/postfix" \
    "$PF_LIB/sbin/master" "$PF_LIB/sbin/smtpd" "$PF_LIB/sbin/smtp" \
    "$PF_LIB/sbin/pipe" "$PF_LIB/sbin/cleanup" "$PF_LIB/sbin/qmgr"
getent group postdrop >/dev/null || groupadd --system postdrop
id postfix >/dev/null 2>&1 ||
	useradd --system --user-group --home-dir /nonexistent \
	    --no-create-home --shell /usr/sbin/nologin postfix
PIPE_USER=nobody	# the pipe's user: unprivileged, not mail_owner

. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

# pf COMMAND ARGS...: a Postfix command on this instance.
pf()
{
	local cmd=$1
	shift
	LD_LIBRARY_PATH=$PF_LIB "$R/usr/sbin/$cmd" -c "$P" "$@"
}

# Stop Postfix: the master, which takes its daemons along.
postfix_stop()
{
	local pid
	pid=$(tr -d ' ' <"$PF/queue/pid/master.pid" 2>/dev/null) || true
	[ -n "$pid" ] || return 0
	pf postfix abort >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		harness_alive "$pid" || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PF/queue/pid/master.pid"
}
on_exit()
{
	local st=$?
	set +e
	[ -z "${DAEMON_PID:-}" ] || kill -KILL "$DAEMON_PID" 2>/dev/null
	if [ "$st" != 0 ] && [ "$st" != 77 ]; then
		echo "--- Postfix's maillog (queue ids and trouble)" >&2
		grep -E ': [0-9A-F]{6,}: |warning:|error:|fatal:|panic:' \
		    "$PF/maillog" 2>/dev/null | tail -n 40 >&2
		echo "--- Postfix's queue" >&2
		pf postqueue -p >&2 2>/dev/null
	fi
	postfix_stop
	rm -rf "$PF"
	(exit "$st")
	harness_on_exit
}

harness_start
trap on_exit EXIT
# A test killed outright (ctest's timeout: SIGKILL, no trap runs) must
# not leave a Postfix behind: outside our process tree, wait for us.
setsid -f /bin/bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
	pid=$(cat "$2/queue/pid/master.pid" 2>/dev/null | tr -d " ")
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null
	rm -rf "$2"' watchdog $$ "$PF" </dev/null >/dev/null 2>&1

# ---- Postfix ----------------------------------------------------------
PF_PORT=$(interop_free_port)
chmod 755 "$PF"
mkdir -p "$P" "$PF/queue" "$PF/ingest"
# smtpd logs the commands of 127.0.0.1 (triage's MAIL FROM parameters).
cat >"$P/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
  -o debug_peer_list=127.0.0.1
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
triage    unix  -       n       n       -       -       pipe
  flags=R user=$PIPE_USER argv=$TRIAGE -c $PF/ingest/triage.conf ingest --mailbox \${nexthop}
EOF
: >"$P/main.cf"
# The relay's password for the harness's SMTP server, the pipe's
# addresses (texthash: needs no postmap).
echo "[localhost]:$SMTP_PORT $SMTP_USER:$SMTP_PASS" >"$P/sasl_passwd"
chmod 600 "$P/sasl_passwd"
printf '%s\n' "sales@example.com triage:sales" \
    "community@example.com triage:community" >"$P/transport"
# Where the unpacked package is; its postdrop and postqueue are not
# set-gid postdrop as installed ones are (postfix start warns): as root
# they need not be, and set-gid, glibc would ignore LD_LIBRARY_PATH.
pf postconf -e \
    "compatibility_level = 3.6" \
    "queue_directory = $PF/queue" "data_directory = $PF/data" \
    "daemon_directory = $PF_LIB/sbin" "command_directory = $R/usr/sbin" \
    "shlib_directory = $PF_LIB" "meta_directory = $R/etc/postfix" \
    "mail_owner = postfix" "setgid_group = postdrop" \
    "import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME LD_LIBRARY_PATH=$PF_LIB ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS" \
    "maillog_file = $PF/maillog" "maillog_file_prefixes = $PF"
# No local delivery; triage (and the test) submit from 127.0.0.1, and
# triage gets STARTTLS with the harness's certificate.
pf postconf -e \
    "myhostname = postfix.interop.test" "mydestination =" \
    "alias_maps =" "alias_database =" \
    "inet_interfaces = loopback-only" "inet_protocols = ipv4" \
    "mynetworks = 127.0.0.0/8" \
    "smtpd_relay_restrictions = permit_mynetworks, reject" \
    "smtpd_tls_security_level = may" \
    "smtpd_tls_cert_file = $HARNESS_DIR/tls/good.crt" \
    "smtpd_tls_key_file = $HARNESS_DIR/tls/good.key"
# Everything else to the harness's server as a smarthost: its name from
# /etc/hosts (the certificate's), verified against the test CA, AUTH.
pf postconf -e \
    "relayhost = [localhost]:$SMTP_PORT" \
    "smtp_dns_support_level = disabled" \
    "smtp_tls_security_level = verify" "smtp_tls_CAfile = $HARNESS_CA" \
    "smtp_sasl_auth_enable = yes" \
    "smtp_sasl_password_maps = texthash:$P/sasl_passwd" \
    "smtp_sasl_security_options = noanonymous" \
    "smtp_sasl_tls_security_options = noanonymous"
# sales@ and community@ to the pipe, one recipient a run (${nexthop} is
# the mailbox); the sanitizers' options reach the ASan-built triage.
pf postconf -e \
    "transport_maps = texthash:$P/transport" \
    "triage_destination_recipient_limit = 1" \
    "export_environment = TZ MAIL_CONFIG LANG ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS"
pf postfix start >"$PF/start.out" 2>&1 ||
	fail "postfix start: $(cat "$PF/start.out")"
interop_wait_port "$PF_PORT" || fail "Postfix does not listen on $PF_PORT"
pass "Postfix $(pf postconf -h mail_version) listens on 127.0.0.1:$PF_PORT"

# ---- Forwarding through Postfix ---------------------------------------
# The harness's triage.conf, its smtp section pointed at Postfix:
# STARTTLS with the harness's certificate, no AUTH (mynetworks relays).
mkdir -p "$HARNESS_DIR/no-rules"	# routed by hand, below
HARNESS_RULES=$HARNESS_DIR/no-rules
conf
awk -v port="$PF_PORT" -v ca="$HARNESS_CA" '
/^smtp = \{/ { skip = 1
	printf "smtp = { host = \"127.0.0.1\"; port = %s; tls = \"starttls\";\n", port
	printf "         from = \"Triage <triage@example.com>\"; ca_file = \"%s\"; };\n", ca }
!skip { print }
skip && /\};$/ { skip = 0 }' "$CONF" >"$CONF.new" && mv "$CONF.new" "$CONF"
grep -q "port = $PF_PORT; tls = \"starttls\"" "$CONF" || fail "smtp not rewritten: $(cat "$CONF")"
W=$HARNESS_DIR/work
mkdir -p "$W"
# A follow-up to d1 to redirect: 8-bit body, References to keep.
cat >"$W/d3.eml" <<'MAIL'
From: Dana Customer <dana@user.example>
To: sales@example.com
Subject: Re: Login fails after upgrade
Date: Mon, 09 Nov 2026 12:30:00 +0000
Message-ID: <o3.dana@user.example>
In-Reply-To: <o1.dana@user.example>
References: <o1.dana@user.example>
	<o2.dana@user.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Grüße: it fails for Zoë and Łukasz too.
.a line with a leading dot

Dana
MAIL

# to RCPT: the mails the harness's server took for RCPT, oldest first.
to()
{
	local f
	for f in $(harness_smtp_messages); do
		grep -qx "rcpt: $1" "${f%.eml}.env" && echo "$f"
	done
	return 0
}
# wait_spool N: until the harness's server holds N mails and Postfix's
# queue is empty (nothing more on its way); 20 s at most.
wait_spool()
{
	local _
	for _ in $(seq 200); do
		[ "$(spool_count)" -ge "$1" ] && [ -z "$(pf postqueue -j)" ] &&
			return 0
		sleep 0.1
	done
	return 1
}
# relayed MAIL 8|7: MAIL came through Postfix (its Received line), which
# relayed it with STARTTLS and AUTH, its 8-bit content declared
# BODY=8BITMIME (8) or 7-bit and not declared so (7).
relayed()
{
	local env=${1%.eml}.env
	sed '/^\r\?$/q' "$1" | grep -q '^	by postfix\.interop\.test (Postfix) with ESMTPS' ||
		fail "$1 not relayed by Postfix: $(head -n 3 "$1")"
	grep -qx "tls: yes" "$env" && grep -qx "auth: $SMTP_USER" "$env" ||
		fail "$1: Postfix relayed without STARTTLS and AUTH: $(cat "$env")"
	if [ "$2" = 8 ]; then
		grep -q "^mail_options: .*BODY=8BITMIME" "$env" &&
		    grep -qx "data_8bit: yes" "$env"
	else
		! grep -q "^mail_options: .*BODY=8BITMIME" "$env" &&
		    grep -qx "data_8bit: no" "$env"
	fi || fail "$1: want $2-bit, declared so: $(cat "$env")"
}

deliver sales INBOX "$OUTBOX_FIX/c1.eml" "$OUTBOX_FIX/d1.eml"
once || fail "--once exited $?"
T1=$(ticket_of o1.pat@buyer.example)
T2=$(ticket_of o1.dana@user.example)
[ -n "$T1" ] && [ -n "$T2" ] && [ "$T1" != "$T2" ] || fail "tickets $T1 $T2"
cli claim "$T1" >/dev/null && cli route "$T1" sales >/dev/null || fail "route $T1"
cli claim "$T2" >/dev/null && cli route "$T2" support >/dev/null || fail "route $T2"
once || fail "--once exited $?"
[ "$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'")" = 2 ] ||
	fail "outbox: $(sql "SELECT id, state, last_error FROM outbox")"
wait_spool 2 || fail "Postfix relayed $(spool_count) of 2"
[ "$(to sales-team@example.com | wc -l)" = 1 ] || fail "sales-team: $(to sales-team@example.com)"
[ "$(to support@example.com | wc -l)" = 1 ] || fail "support: $(to support@example.com)"
A1=$(to sales-team@example.com) R1=$(to support@example.com)
raw o1.pat@buyer.example "$W/c1.raw"
raw o1.dana@user.example "$W/d1.raw"
relayed "$A1" 8
check attach "$A1" "$W/c1.raw" || fail "attach: the 8-bit original not intact"
relayed "$R1" 7
check redirect "$R1" "$W/d1.raw" || fail "redirect: the original not intact"
pass "through Postfix: attach (8-bit, BODY=8BITMIME) and redirect arrived once, intact"

# Follow-ups with References: a 7-bit one attached, an 8-bit one
# redirected.
deliver sales INBOX "$OUTBOX_FIX/c2.eml" "$W/d3.eml"
once || fail "--once exited $?"
wait_spool 4 || fail "Postfix relayed $(spool_count) of 4"
A2=$(to sales-team@example.com | tail -n 1) R2=$(to support@example.com | tail -n 1)
[ "$A2" != "$A1" ] && [ "$R2" != "$R1" ] || fail "follow-ups: $(harness_smtp_messages)"
raw o2.pat@buyer.example "$W/c2.raw"
raw o3.dana@user.example "$W/d3.raw"
relayed "$A2" 7
check attach "$A2" "$W/c2.raw" || fail "attach follow-up not intact"
relayed "$R2" 8
check redirect "$R2" "$W/d3.raw" || fail "redirect follow-up (8-bit, References) not intact"
for f in "$A1" "$A2" "$R1" "$R2"; do
	[ -n "$(check header "$f" X-Triage-Token)" ] || fail "$f: no X-Triage-Token"
done
# What triage declared to Postfix (smtpd logs 127.0.0.1's commands:
# debug_peer_list): BODY=8BITMIME for the two 8-bit mails, as Postfix
# offers 8BITMIME, nothing for the two 7-bit ones.
froms=$(grep -o 'MAIL FROM:<triage@example.com>.*' "$PF/maillog") || true
[ "$(grep -cx 'MAIL FROM:<triage@example.com> BODY=8BITMIME' <<<"$froms")" = 2 ] &&
    [ "$(grep -cx 'MAIL FROM:<triage@example.com>' <<<"$froms")" = 2 ] ||
	fail "triage's MAIL FROM to Postfix: $froms"
pass "follow-ups through Postfix: 8-bit redirect with References byte-identical; triage declared BODY=8BITMIME to Postfix"

# Exactly once: nothing more goes out, nothing is left in Postfix.
once || fail "--once exited $?"
sleep 1
wait_spool 4 || fail "Postfix's queue: $(pf postqueue -p)"
[ "$(spool_count)" = 4 ] || fail "$(spool_count) mails, want 4"
[ "$(grep -c 'relay=localhost.*status=sent' "$PF/maillog")" = 4 ] ||
	fail "Postfix relayed $(grep -c 'relay=localhost.*status=sent' "$PF/maillog") times"
# Our Message-ID and token came through: the relayed forward, back in
# sales@, is our own mail on its ticket, not a new one.
MID=$(check header "$A1" Message-ID | tr -d '<>')
case $MID in "triage.T$T1.E"*"@example.com") ;; *) fail "forward Message-ID $MID" ;; esac
tickets=$(sql "SELECT count(*) FROM tickets")
deliver sales INBOX "$A1"
once || fail "--once exited $?"
[ "$(sql "SELECT status || '|' || ticket_id FROM messages WHERE message_id = '$MID'")" = "ignored|$T1" ] ||
	fail "relayed forward back: $(sql "SELECT status, ticket_id, error FROM messages WHERE message_id = '$MID'")"
[ "$(sql "SELECT count(*) FROM tickets")" = "$tickets" ] || fail "it opened a ticket"
pass "exactly once; the relayed forward's Message-ID and X-Triage-Token verify as our own mail"
# Every session triage had with Postfix went over STARTTLS.
sessions=$(grep -E 'smtpd\[[0-9]+\]: disconnect from .* mail=' "$PF/maillog") || true
[ -n "$sessions" ] && ! grep -qv ' starttls=1 ' <<<"$sessions" ||
	fail "triage sent to Postfix without STARTTLS: $sessions"

# ---- The MTA pipe: Postfix -> triage ingest ---------------------------
I=$PF/ingest
ingest_conf()
{
	cat >"$I/triage.conf" <<CONF
database = "$I/triage.db";
rules = "$I/rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; port = $IMAP_PORT; user = "sales";
             password_file = "$I/none"; }; },
  { name = "community"; address = "community@example.com"; queue = "community";
    imap = { host = "127.0.0.1"; port = $IMAP_PORT; user = "community";
             password_file = "$I/none"; }; }
);
CONF
	chmod 644 "$I/triage.conf"
}
mkdir -p "$I/rules"	# classifying is not what this is about
ingest_conf
chown "$PIPE_USER:" "$I"
# isql QUERY: on the pipe's database, as the pipe's user (so that no
# file of it ends up root's).
isql() { runuser -u "$PIPE_USER" -- sqlite3 -batch -noheader "$I/triage.db" "$1"; }
# submit RCPT MESSAGE-ID: a customer's mail to Postfix, by SMTP.
submit()
{
	/usr/bin/python3 - "$PF_PORT" "$1" "$2" <<'PY' || fail "submit to $2"
import smtplib, sys
port, rcpt, mid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = ("From: Lee Buyer <lee@buyer.example>\r\nTo: %s\r\n"
       "Subject: pricing for 20 seats\r\nMessage-ID: <%s>\r\n"
       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n"
       "Hello, what does it cost? Grüße.\r\n" % (rcpt, mid)).encode()
with smtplib.SMTP("127.0.0.1", port) as s:
    s.sendmail("lee@buyer.example", [rcpt], msg)
PY
}
# wait_maillog PATTERN [N]: until Postfix logs N (1) matching lines;
# 20 s at most.
wait_maillog()
{
	local _
	for _ in $(seq 200); do
		[ "$(grep -c -- "$1" "$PF/maillog")" -ge "${2:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

submit sales@example.com p1@buyer.example
submit community@example.com p2@buyer.example
wait_maillog 'to=<community@example.com>, relay=triage,.* status=sent' ||
	fail "the pipe did not deliver to community"
wait_maillog 'to=<sales@example.com>, relay=triage,.* status=sent' ||
	fail "the pipe did not deliver to sales"
[ "$(isql "SELECT mailbox || '|' || (ticket_id IS NOT NULL) FROM messages WHERE message_id = 'p1@buyer.example'")" = "sales|1" ] ||
	fail "p1: $(isql "SELECT mailbox, ticket_id, status, error FROM messages")"
[ "$(isql "SELECT mailbox || '|' || (ticket_id IS NOT NULL) FROM messages WHERE message_id = 'p2@buyer.example'")" = "community|1" ] ||
	fail "p2: $(isql "SELECT mailbox, ticket_id, status, error FROM messages")"
pass "Postfix's pipe transport: triage ingest --mailbox \${nexthop} made tickets"

# A broken triage.conf: ingest exits 75, Postfix defers, nothing bounces
# (78, EX_CONFIG, it bounced: dsn=5.3.5, the mail back to the customer).
printf 'database = "%s";\nmailboxes = ( {\n' "$I/triage.db" >"$I/triage.conf"
spooled=$(spool_count)
submit sales@example.com p3@buyer.example
wait_maillog 'to=<sales@example.com>, relay=triage,.* dsn=4\.[0-9.]*, status=deferred (.*triage\.conf' ||
	fail "not deferred (4.x.x, triage's word on triage.conf) with a broken triage.conf"
! grep -q 'status=bounced' "$PF/maillog" || fail "Postfix bounced: $(grep bounced "$PF/maillog")"
[ "$(pf postqueue -j | grep -c '"queue_name": *"deferred"')" = 1 ] ||
	fail "the deferred mail is not queued: $(pf postqueue -p)"
sleep 1	# a bounce (DSN to lee@) would be relayed to the harness by now
[ "$(spool_count)" = "$spooled" ] || fail "a DSN went out: $(harness_smtp_messages | tail -n 1)"
[ -z "$(isql "SELECT id FROM messages WHERE message_id = 'p3@buyer.example'")" ] ||
	fail "stored despite the broken config"
pass "broken triage.conf: Postfix deferred the mail ($(grep -o 'status=deferred ([^.]*' "$PF/maillog" | head -n 1 | sed 's/.*(//')), no bounce"

# Fixed: postqueue -f delivers it, a ticket.
ingest_conf
pf postqueue -f
wait_maillog 'to=<sales@example.com>, relay=triage,.* status=sent' 2 ||
	fail "postqueue -f did not deliver it"
[ "$(isql "SELECT mailbox || '|' || (ticket_id IS NOT NULL) FROM messages WHERE message_id = 'p3@buyer.example'")" = "sales|1" ] ||
	fail "p3 after the fix: $(isql "SELECT message_id, ticket_id, status FROM messages")"
[ -z "$(pf postqueue -j)" ] || fail "left in Postfix's queue: $(pf postqueue -p)"
pass "config fixed: postqueue -f delivered the deferred mail, a ticket"
