#!/bin/bash
# Interop: triaged against Cyrus IMAP 3.6 from Debian's packages, beside
# the harness's Dovecot (both declare Conflicts: imap-server, so Cyrus is
# never installed: `apt-get download` and `dpkg -x` into a cache
# directory, run from there with LD_LIBRARY_PATH).  Checks a drain of a
# folder with a non-ASCII name, the move into another non-ASCII folder,
# a move to a missing folder (Cyrus's [TRYCREATE]), and IDLE: a message
# appended while the daemon waits is stored and moved within seconds.
# Then the namespace hint under Cyrus's traditional "INBOX." namespace.
#
# The packages come as tests/interop/interop-lib.sh says (without apt-get
# or the network it exits 77, skipped).  Cyrus authenticates with
# sasl_pwcheck_method alwaystrue: any password is taken.
#
# Run: ctest --test-dir build -L interop --output-on-failure
set -eu
: "${TRIAGED:?}" "${TRIAGE_SOURCE_DIR:?}"
. "$TRIAGE_SOURCE_DIR/tests/interop/interop-lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/triage-cyrus.XXXXXX")
MASTER_PID= DAEMON_PID=
cleanup()
{
	local status=$?
	[ -z "$DAEMON_PID" ] || kill -KILL "$DAEMON_PID" 2>/dev/null || true
	[ -z "$MASTER_PID" ] || kill -TERM "$MASTER_PID" 2>/dev/null || true
	[ -z "$MASTER_PID" ] || wait "$MASTER_PID" 2>/dev/null || true
	if [ "$status" != 0 ] && [ "$status" != 77 ]; then
		echo "--- triaged log" >&2
		tail -n 30 "$work/triaged.log" >&2 2>/dev/null || true
		echo "--- cyrus master" >&2
		tail -n 20 "$work/master.out" >&2 2>/dev/null || true
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# ---- Cyrus, unpacked -------------------------------------------------
R=$work/root
interop_unpack "$R" cyrus-imapd cyrus-common libical3 libxapian30
BIN=$R/usr/lib/cyrus/bin
export LD_LIBRARY_PATH=$R/usr/lib/x86_64-linux-gnu
interop_need_libs "$BIN/imapd" "$BIN/master"

PORT=$(interop_free_port)
C=$work/cyrus
mkdir -p "$C/conf/socket" "$C/conf/proc" "$C/conf/log" "$C/conf/db" "$C/spool"
run_user=$(id -un)
[ "$(id -u)" != 0 ] || run_user=nobody	# Cyrus will not run as root
cat >"$C/imapd.conf" <<EOF
configdirectory: $C/conf
partition-default: $C/spool
defaultpartition: default
admins: cyrusadmin
cyrus_user: $run_user
sasl_pwcheck_method: alwaystrue
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
unixhierarchysep: yes
imapidlepoll: 1
syslog_prefix: triage-cyrus
lmtpsocket: $C/conf/socket/lmtp
idlesocket: $C/conf/socket/idle
notifysocket: $C/conf/socket/notify
EOF
cat >"$C/cyrus.conf" <<EOF
START {
  recover cmd="$BIN/ctl_cyrusdb -C $C/imapd.conf -r"
}
SERVICES {
  imap cmd="$BIN/imapd -C $C/imapd.conf" listen="127.0.0.1:$PORT" prefork=0
}
EVENTS {
}
EOF
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$work"
	chown -R "$run_user:" "$C"
fi
cyrus_start()
{
	"$BIN/master" -C "$C/imapd.conf" -M "$C/cyrus.conf" \
	    -p "$C/master.pid" -D >>"$work/master.out" 2>&1 &
	MASTER_PID=$!
	interop_wait_port "$PORT" || fail "Cyrus does not listen"
}
cyrus_start

# imap USER PY: run Python with `m`, an imaplib session of USER.
imap()
{
	/usr/bin/python3 - "$PORT" "$1" <<EOF
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], "any")
$2
m.logout()
EOF
}
# count USER FOLDER: messages in a folder (its modified UTF-7 name).
count()
{
	imap "$1" "print(m.select('\"$2\"', readonly=True)[1][0].decode())"
}
# append USER N: N generated messages into the user's "Entr&AOk-e".
append()
{
	imap "$1" "
import time
for i in range($2):
    t = time.time_ns()
    msg = ('From: Buyer <b%d@buyer.example>\r\nTo: $1@example.com\r\n'
           'Subject: question %d\r\nMessage-ID: <%d.%d@buyer.example>\r\n'
           '\r\nHow much for %d seats?\r\n' % (i, i, t, i, i)).encode()
    assert m.append('\"Entr&AOk-e\"', None, None, msg)[0] == 'OK'
"
}

imap cyrusadmin "
for u in ('sales', 'community'):
    for f in ('user/%s', 'user/%s/Entr&AOk-e', 'user/%s/Trait&AOk-'):
        assert m.create(f % u)[0] == 'OK', f
"
append sales 4
append community 3

# ---- triaged ---------------------------------------------------------
echo secret >"$work/pass"
chmod 600 "$work/pass"
CONF=$work/triage.conf DB=$work/triage.db
mailbox()
{
	cat <<EOF
  { name = "$1"; address = "$1@example.com"; queue = "$1";
    imap = { host = "127.0.0.1"; port = $PORT; tls = "none"; user = "$1";
             password_file = "$work/pass"; folder = "Entrée"; };
    after = "move:$2"; }
EOF
}
{
	mkdir -p "$work/rules"
	echo "database = \"$DB\"; rules = \"$work/rules\";"
	echo "poll_interval = 1;"
	echo "mailboxes = ("
	mailbox sales "Traité"
	echo ","
	mailbox community "Archivé"
	echo ");"
} >"$CONF"
sql() { sqlite3 -batch -noheader "$DB" "$1"; }

"$TRIAGED" -c "$CONF" --check --connect >"$work/check.out" 2>&1 ||
	fail "--check --connect: $(cat "$work/check.out")"
grep -q 'move target "Archivé" does not exist yet' "$work/check.out" ||
	fail "--check --connect: $(cat "$work/check.out")"
pass "--check --connect against Cyrus"

"$TRIAGED" -c "$CONF" --once 2>>"$work/triaged.log" || fail "--once exited $?"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 4 ] ||
	fail "sales: not 4 stored"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'community'")" = 3 ] ||
	fail "community: not 3 stored"
[ "$(count sales 'Entr&AOk-e')" = 0 ] || fail "sales: Entrée not emptied"
[ "$(count sales 'Trait&AOk-')" = 4 ] || fail "sales: not moved to Traité"
[ "$(count community 'Archiv&AOk-')" = 3 ] || fail "community: not moved to the new Archivé"
grep -q 'mailbox=community folder "Archivé" does not exist (the server said TRYCREATE): creating it' \
    "$work/triaged.log" || fail "no TRYCREATE creation logged"
pass "drained Entrée, moved into Traité and into a new Archivé"

# IDLE: a message appended while the daemon waits.
"$TRIAGED" -c "$CONF" 2>>"$work/triaged.log" &
DAEMON_PID=$!
for _ in $(seq 100); do
	grep -q "^sales	idling" "$work/triaged.status" 2>/dev/null && break
	sleep 0.1
done
grep -q "^sales	idling" "$work/triaged.status" || fail "sales is not idling"
sleep 0.3
t0=$(date +%s%N)
append sales 1
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 5 ] && break
	sleep 0.1
done
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 5 ] ||
	fail "IDLE: the new message was not stored within 10 s"
t1=$(date +%s%N)
for _ in $(seq 50); do
	[ "$(count sales 'Trait&AOk-')" = 5 ] && break
	sleep 0.1
done
[ "$(count sales 'Trait&AOk-')" = 5 ] || fail "IDLE: not moved"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "triaged exited $? on SIGTERM"
DAEMON_PID=
pass "IDLE: appended -> stored in $(((t1 - t0) / 1000000)) ms, then moved"

# The namespace hint: Cyrus with its traditional namespace (altnamespace:
# no, unixhierarchysep: no) keeps a user's folders under "INBOX.", as
# Courier does.  A move to a top-level "Triaged" is refused, and both
# --check --connect and the refused move say "did you mean INBOX.Triaged?".
kill -TERM "$MASTER_PID"
wait "$MASTER_PID" 2>/dev/null || true
MASTER_PID=
sed -i 's/^unixhierarchysep: yes$/unixhierarchysep: no\naltnamespace: no/' "$C/imapd.conf"
grep -q '^altnamespace: no$' "$C/imapd.conf" || fail "imapd.conf not changed"
cyrus_start
imap sales "
print(m.namespace()[1][0].decode())
msg = (b'From: Buyer <ns@buyer.example>\\r\\nTo: sales@example.com\\r\\n'
       b'Subject: namespaces\\r\\nMessage-ID: <ns@buyer.example>\\r\\n'
       b'\\r\\nHow much?\\r\\n')
assert m.append('\"INBOX.Entr&AOk-e\"', None, None, msg)[0] == 'OK'
" >"$work/namespace.out"
grep -q '(("INBOX." "."))' "$work/namespace.out" ||
	fail "Cyrus's personal namespace: $(cat "$work/namespace.out")"
{
	echo "database = \"$DB\"; rules = \"$work/rules\";"
	echo "mailboxes = ("
	mailbox sales Triaged | sed 's/folder = "Entrée"/folder = "INBOX.Entrée"/'
	echo ");"
} >"$CONF"
rc=0
"$TRIAGED" -c "$CONF" --check --connect >"$work/check.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--check --connect exited $rc: $(cat "$work/check.out")"
grep -q 'move target "Triaged" does not exist, and the server keeps folders under "INBOX." (did you mean INBOX.Triaged?)' \
    "$work/check.out" || fail "--check --connect: $(cat "$work/check.out")"
rc=0
"$TRIAGED" -c "$CONF" --once 2>>"$work/triaged.log" || rc=$?
[ "$rc" = 1 ] || fail "--once exited $rc after a refused move"
grep -q 'move to "Triaged" (did you mean INBOX.Triaged?)' "$work/triaged.log" ||
	fail "the refused move does not point at INBOX.Triaged"
[ "$(count sales 'INBOX.Entr&AOk-e')" = 1 ] || fail "the message left INBOX.Entrée"
pass "Cyrus's INBOX. namespace: --check --connect and the refused move say \"did you mean INBOX.Triaged?\""
