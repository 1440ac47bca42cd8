# Helpers shared by tests/integration/test-daemon-*.sh: generated mail,
# bulk delivery, running triaged in the background, asking SQLite.
# Sourced after tests/harness/harness.sh.

DAEMON_GEN=$TRIAGE_SOURCE_DIR/tests/fixtures/daemon/genmail.py

fail()
{
	echo "FAIL: $*" >&2
	if [ -n "${DAEMON_LOG:-}" ] && [ -f "$DAEMON_LOG" ]; then
		echo "--- last lines of the triaged log:" >&2
		tail -n 30 "$DAEMON_LOG" >&2
	fi
	exit 1
}

pass()
{
	echo "ok: $*"
}

# gen COUNT DIR [SEED [START]]: generated mail, DIR/NNNNNN.eml.
gen()
{
	/usr/bin/python3 "$DAEMON_GEN" --seed "${3:-1}" --start "${4:-1}" \
	    "$1" "$2" || fail "genmail"
}

# deliver USER FOLDER FILE...: drop files into the user's Maildir as an
# MDA does (fast for thousands; doveadm save is one process a message).
# Dovecot gives them UIDs when it next looks at the folder.
deliver()
{
	local user=$1 folder=$2 md f n=0 now
	shift 2
	md=$HARNESS_DIR/home/$user/Maildir
	[ "$folder" = INBOX ] || md=$md/.$folder
	mkdir -p "$md/new" "$md/cur" "$md/tmp"
	# Maildir names must be unique for good: Dovecot knows a message
	# by its base name.
	now=$(date +%s%N)
	for f in "$@"; do
		n=$((n + 1))
		cp "$f" "$md/tmp/$now.M${n}P$$.test"
		mv "$md/tmp/$now.M${n}P$$.test" "$md/new/$now.M${n}P$$.test"
	done
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home/$user"
	fi
}

# conf [FILE]: a triage.conf for the harness servers ($HARNESS_AFTER,
# $HARNESS_IMAP_TLS as harness_write_conf); sets CONF and DB.
conf()
{
	CONF=${1:-$HARNESS_DIR/triage.conf}
	DB=$HARNESS_DIR/triage.db
	harness_write_conf "$CONF" "$DB"
}

sql()
{
	sqlite3 -batch -noheader "$DB" "$1"
}

# On any exit (a failed check too) the daemon goes before the servers.
daemon_on_exit()
{
	local status=$?
	set +e
	if [ -n "${DAEMON_PID:-}" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	harness_stop "$status"
	exit "$status"
}

# start_daemon [ARGS...]: triaged in the background; DAEMON_PID, log in
# $DAEMON_LOG (appended across restarts).
start_daemon()
{
	DAEMON_LOG=${DAEMON_LOG:-$HARNESS_DIR/triaged.log}
	trap daemon_on_exit EXIT
	"$TRIAGED" -c "$CONF" "$@" 2>>"$DAEMON_LOG" &
	DAEMON_PID=$!
}

# stop_daemon [SIGNAL]: signal (TERM) and wait; DAEMON_RC is the exit
# status.  (Not in $(...): a subshell cannot wait for our child.)
stop_daemon()
{
	DAEMON_RC=0
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" || DAEMON_RC=$?
	DAEMON_PID=
}

# once [ARGS...]: triaged --once; returns its exit status.
once()
{
	DAEMON_LOG=${DAEMON_LOG:-$HARNESS_DIR/triaged.log}
	"$TRIAGED" -c "$CONF" --once "$@" 2>>"$DAEMON_LOG"
}

# wait_sql QUERY EXPECTED SECONDS: until the query gives EXPECTED.
wait_sql()
{
	local tries=$(($3 * 50)) got
	while [ "$tries" -gt 0 ]; do
		got=$(sql "$1" 2>/dev/null) || got=
		[ "$got" = "$2" ] && return 0
		sleep 0.02
		tries=$((tries - 1))
	done
	echo "wait_sql: \"$1\" gave \"$got\", expected \"$2\"" >&2
	return 1
}

# wait_log PATTERN SECONDS: until the daemon log has a matching line.
wait_log()
{
	local tries=$(($2 * 50))
	while [ "$tries" -gt 0 ]; do
		grep -q -- "$1" "$DAEMON_LOG" 2>/dev/null && return 0
		sleep 0.02
		tries=$((tries - 1))
	done
	return 1
}

# wait_status PATTERN SECONDS: until a line of triaged.status matches.
wait_status()
{
	local tries=$(($2 * 10))
	while [ "$tries" -gt 0 ]; do
		grep -q "$1" "$HARNESS_DIR/triaged.status" 2>/dev/null &&
			return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# Number of messages in USER's FOLDER carrying / lacking \Seen.
count_seen() { harness_doveadm search -u "$1" mailbox "$2" SEEN | wc -l; }
count_unseen() { harness_doveadm search -u "$1" mailbox "$2" UNSEEN | wc -l; }

# The Message-ID (without <>) of a generated file.
message_id()
{
	sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$1" | head -n 1
}

# notify_listen SOCK NOTES: a stand-in for systemd's notify socket at
# SOCK, appending each line it receives to NOTES with a monotonic time;
# LISTENER is its pid (kill it when done).
notify_listen()
{
	/usr/bin/python3 - "$1" "$2" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        data = s.recv(65536).decode()
        for line in data.split("\n"):
            out.write("%.3f %s\n" % (time.monotonic(), line))
PY
	LISTENER=$!
	for _ in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	fail "notify listener did not start"
}
