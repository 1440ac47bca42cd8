#!/bin/bash
# What an admin filters on: triaged's lines carry their priority ("<N>",
# which the journal turns into PRIORITY=), log_level drops what is below
# it, -v and -q win over log_level, a failed start is at error priority
# (journalctl -p err), and standard error counts as the journal only
# when $JOURNAL_STREAM names it (then lines go through sd_journal_send,
# or, where no journald listens, as here, to stderr without the name).
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 3 "$HARNESS_DIR/mail"
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
conf
base=$CONF
DAEMON_LOG=$HARNESS_DIR/run.log

# run NAME [ARGS...]: one --once with the log in $HARNESS_DIR/NAME.log.
run()
{
	local name=$1
	shift
	DAEMON_LOG=$HARNESS_DIR/$name.log
	: >"$DAEMON_LOG"
	once "$@" || fail "$name: --once exited $?"
}
# worst LOG: the highest (least urgent) priority in the log.
worst() { sed -n 's/^<\([0-7]\)>.*/\1/p' "$1" | sort -n | tail -n 1; }

# 1. The default is info: the first drain's accounting line is <6>.
run default
grep -q "^<6>triaged: mailbox=sales poll: 3 past checkpoint: 3 stored" \
	"$DAEMON_LOG" || fail "default: no info accounting line"
[ "$(worst "$DAEMON_LOG")" = 6 ] || fail "default: debug lines shown"
pass "default level info"

# 2. log_level = "warning": nothing below warning; -v wins (debug,
# among them the empty poll); with log_level = "debug", -q wins.
CONF=$HARNESS_DIR/warning.conf
{ cat "$base"; echo 'log_level = "warning";'; } >"$CONF"
run warning
[ -z "$(worst "$DAEMON_LOG")" ] || [ "$(worst "$DAEMON_LOG")" -le 4 ] ||
	fail "log_level warning: $(cat "$DAEMON_LOG")"
run verbose -v
grep -q "^<7>triaged: mailbox=sales poll: 0 past checkpoint: 0 stored" \
	"$DAEMON_LOG" || fail "-v over log_level: no debug empty poll"
CONF=$HARNESS_DIR/debug.conf
{ cat "$base"; echo 'log_level = "debug";'; } >"$CONF"
run quiet -q
[ -z "$(worst "$DAEMON_LOG")" ] || [ "$(worst "$DAEMON_LOG")" -le 4 ] ||
	fail "-q over log_level debug: $(cat "$DAEMON_LOG")"
run debug
[ "$(worst "$DAEMON_LOG")" = 7 ] || fail "log_level debug: no debug line"
pass "log_level, -v and -q"

# 3. A start that fails is at error priority, every line of it.
CONF=$HARNESS_DIR/broken.conf
{ cat "$base"; echo 'pol_interval = 5;'; } >"$CONF"
DAEMON_LOG=$HARNESS_DIR/broken.log
rc=0
"$TRIAGED" -c "$CONF" --once 2>"$DAEMON_LOG" || rc=$?
[ "$rc" -eq 2 ] || fail "broken config: exit $rc, want 2"
grep -q "^<3>triaged: .*broken.conf:[0-9]*: unknown setting 'pol_interval'" \
	"$DAEMON_LOG" || fail "broken config: not at error priority"
grep -q "^<3>triaged: .*broken.conf: not starting" "$DAEMON_LOG" ||
	fail "broken config: no error-priority 'not starting'"
[ "$(worst "$DAEMON_LOG")" = 3 ] || fail "broken config: lines below error"
pass "fatal start-up errors at error priority"

# 4. $JOURNAL_STREAM: only when it names standard error.  Then lines go
# to the journal's socket with their fields: a stand-in journald (a
# Unix datagram socket on a private /run/systemd, in a mount namespace
# of the test's own) records what arrives.
CONF=$base
DAEMON_LOG=$HARNESS_DIR/stream.log
: >"$DAEMON_LOG"
JOURNAL_STREAM=1:1 "$TRIAGED" -c "$CONF" --once -v 2>>"$DAEMON_LOG" ||
	fail "foreign JOURNAL_STREAM: exit $?"
grep -q "^<7>triaged: mailbox=sales poll: 0" "$DAEMON_LOG" ||
	fail "a JOURNAL_STREAM naming another file was taken for stderr"
pass "a JOURNAL_STREAM that names another file is not the journal"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "skip: the journal path needs root and unshare(1)"
	exit 0
fi
JOURNAL=$HARNESS_DIR/journal.txt
: >"$DAEMON_LOG"
export TRIAGED CONF DAEMON_LOG JOURNAL
unshare --mount --propagation private bash -c '
	set -e
	mkdir -p /run/systemd
	mount -t tmpfs tmpfs /run/systemd
	mkdir /run/systemd/journal
	/usr/bin/python3 -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/run/systemd/journal/socket\")
open(sys.argv[1] + \".ready\", \"w\").close()
with open(sys.argv[1], \"ab\") as out:
    while True:
        d = s.recv(65536)
        out.write(d + b\"\\n\")
        out.flush()
" "$JOURNAL" &
	jd=$!
	for i in $(seq 50); do [ -e "$JOURNAL.ready" ] && break; sleep 0.1; done
	JOURNAL_STREAM=$(stat -c "%d:%i" "$DAEMON_LOG") \
		"$TRIAGED" -c "$CONF" --once -v 2>>"$DAEMON_LOG"
	rc=$?
	sleep 0.2
	kill $jd
	exit $rc
' || fail "triaged under a stand-in journal: exit $?"
# The poll line arrived as one datagram with its fields, and not on stderr.
awk -v RS= '/MESSAGE=mailbox=sales poll: 0 past checkpoint/' "$JOURNAL" >"$HARNESS_DIR/poll.txt"
for f in 'PRIORITY=7' 'SYSLOG_IDENTIFIER=triaged' 'MAILBOX=sales'; do
	grep -qx "$f" "$HARNESS_DIR/poll.txt" ||
		fail "journal: no $f in $(cat "$HARNESS_DIR/poll.txt")"
done
! grep -q "poll: 0" "$DAEMON_LOG" || fail "journal: the line went to stderr too"
pass "under the journal: sd_journal_send with PRIORITY= and MAILBOX="
