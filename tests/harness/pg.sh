# A throwaway PostgreSQL for tests: a cluster from Debian's postgresql-15
# binaries (initdb, pg_ctl) in one `mktemp -d` directory, listening only
# on a Unix socket in that directory, stopped by its own pid and removed
# when the test exits (a watchdog outside the test's process tree does it
# even after a SIGKILL).  As root it runs as "nobody": initdb and postgres
# refuse root.
#
# Usage (bash):
#	. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
#	pg_start		# PG_TARGET: the database "triage", trusted role
#	psql "$PG_TARGET" -c ...
#	pg_standby_start	# a synchronous standby: PG_STANDBY_TARGET,
#				# PG_MULTI_TARGET (both hosts, read-write)
#	pg_stop			# the primary, by its postmaster pid
#	pg_promote		# the standby becomes the primary
#
# PG_PW_TARGET names the same database as the role triage_pw, whose
# password (scram-sha-256) is in PG_PASSWORD and, mode 0600, in
# PG_PASSWORD_FILE.  With harness.sh, call harness_start first: pg_start
# runs the EXIT trap it finds after its own.  PG_KEEP=1 keeps the
# directory.  Each step's time goes to stderr ("pg: initdb 1.9 s").
# initdb runs once per build directory (PG_TEMPLATE, below).

PG_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg.sh
PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null)}
[ -x "$PG_BINDIR/initdb" ] || PG_BINDIR=/usr/lib/postgresql/15/bin

# Watchdog mode: pg.sh --watchdog PID DIR (started by pg_start).  Waits
# while PID lives and DIR is in use; then kills the postmasters that
# DIR's pid files name (after checking they run from DIR), removes DIR.
if [ "${1:-}" = --watchdog ]; then
	parent=$2 dir=$3
	alive() {
		local st
		st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
		case $st in Z* | "") return 1 ;; esac
	}
	while alive "$parent" && [ -d "$dir" ] && [ ! -e "$dir/.stopped" ]; do
		sleep 1
	done
	[ -d "$dir" ] && [ ! -e "$dir/.stopped" ] || exit 0
	for pidfile in "$dir"/*/postmaster.pid; do
		pid=$(head -n 1 "$pidfile" 2>/dev/null)
		[ -n "$pid" ] || continue
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
			grep -qF "$dir" || continue
		kill -QUIT "$pid" 2>/dev/null	# immediate shutdown
	done
	sleep 1
	for pidfile in "$dir"/*/postmaster.pid; do
		pid=$(head -n 1 "$pidfile" 2>/dev/null)
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$dir"
	exit 0
fi

pg_fail()
{
	echo "pg: $*" >&2
	return 1
}

# Run "$@" as the cluster's owner (from the cluster's directory).
pg_as()
{
	if [ "$(id -u)" -ne 0 ]; then
		(cd "$PG_DIR" && "$@")
	else
		(cd "$PG_DIR" && setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups -- "$@")
	fi
}

# Time one step: pg_time NAME command...
pg_time()
{
	local name=$1 t0=$EPOCHREALTIME r
	shift
	"$@"
	r=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$name" \
	    'BEGIN { printf "pg: %s %.1f s\n", n, b - a }' >&2
	return "$r"
}

# SQL as the superuser on the cluster at socket dir $1.
pg_sql()
{
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At \
	    "postgresql:///${3:-triage}?host=$1&user=triage" -c "$2"
}

# Is process $1 alive (a zombie is not)?
pg_alive()
{
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z* | "") return 1 ;; esac
}

pg_postmaster_pid()
{
	head -n 1 "$PG_DIR/$1/postmaster.pid" 2>/dev/null || true
}

# A fresh cluster is the same every time: the first test of a build runs
# initdb and keeps a copy in the build directory (PG_TEMPLATE; the
# version and these flags in its name), the next ones copy it (0.1 s, not
# initdb's 3 s).  Unset PG_TEMPLATE to always run initdb.
PG_INITDB_FLAGS="-U triage --auth=trust --encoding=UTF8 --locale=C --no-sync
    --wal-segsize=1"
if [ -z "${PG_TEMPLATE+set}" ] && [ -n "${TRIAGE_BUILD_DIR:-}" ]; then
	PG_TEMPLATE=$TRIAGE_BUILD_DIR/pg-template-$("$PG_BINDIR/postgres" -V 2>/dev/null |
	    awk '{ print $3 }')-$(echo "$PG_INITDB_FLAGS" | cksum | cut -d' ' -f1)
fi

pg_initdb()
{
	local tmp
	# A template another user made may be unreadable: then initdb.
	if [ -n "${PG_TEMPLATE:-}" ] && [ -f "$PG_TEMPLATE/PG_VERSION" ] &&
	    cp -a "$PG_TEMPLATE/." "$PG_DIR/primary/" 2>/dev/null; then
		[ "$(id -u)" -ne 0 ] || chown -R nobody: "$PG_DIR/primary"
	else
		find "$PG_DIR/primary" -mindepth 1 -delete
		# shellcheck disable=SC2086 # the flags are words
		pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/primary" $PG_INITDB_FLAGS \
		    >"$PG_DIR/log/initdb.log" 2>&1 ||
			pg_fail "initdb failed: $(tail -n 5 "$PG_DIR/log/initdb.log")" ||
			return 1
		if [ -n "${PG_TEMPLATE:-}" ]; then
			# Whole or not at all: another test may race us.
			tmp=$PG_TEMPLATE.$$
			cp -a "$PG_DIR/primary" "$tmp" 2>/dev/null &&
			    mv -T "$tmp" "$PG_TEMPLATE" 2>/dev/null
			rm -rf "$tmp"
		fi
	fi
	cat >"$PG_DIR/primary/pg_hba.conf" <<'EOF'
local	all		triage_pw	scram-sha-256
local	all		all		trust
local	replication	all		trust
EOF
	# fsync and full pages off for speed; synchronous_commit stays on:
	# the tests rely on its meaning.
	cat >>"$PG_DIR/primary/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PG_DIR/run'
fsync = off
full_page_writes = off
lc_messages = 'C'
max_connections = 40
shared_buffers = 16MB
EOF
}

# Start the cluster in data dir $1 (primary | standby).
pg_ctl_start()
{
	pg_as "$PG_BINDIR/pg_ctl" start -w -t 30 -D "$PG_DIR/$1" \
	    -l "$PG_DIR/log/$1.log" >/dev/null ||
		pg_fail "pg_ctl start $1 failed: $(tail -n 5 "$PG_DIR/log/$1.log")"
}

pg_create()
{
	pg_sql "$PG_DIR/run" "CREATE DATABASE triage" postgres &&
	    pg_sql "$PG_DIR/run" \
		"CREATE ROLE triage_pw LOGIN PASSWORD '$PG_PASSWORD';
		 GRANT ALL ON SCHEMA public TO triage_pw"
}

pg_on_exit()
{
	local status=$?
	trap '' PIPE HUP INT TERM
	set +e
	pg_cleanup "$status"
	if [ -n "$PG_PREV_EXIT" ]; then
		(exit "$status")
		eval "$PG_PREV_EXIT"
	fi
	exit "$status"
}

# Start the primary and export PG_TARGET and friends.
pg_start()
{
	local prev step
	[ -x "$PG_BINDIR/initdb" ] ||
		pg_fail "initdb not found in $PG_BINDIR (apt-get install postgresql-15): this is a failure, not a skip" ||
		return 1
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-pg.XXXXXX") || return 1
	export PG_DIR
	prev=$(trap -p EXIT)
	PG_PREV_EXIT=
	if [ -n "$prev" ]; then
		eval "set -- $prev"
		PG_PREV_EXIT=$3
	fi
	trap pg_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	setsid -f /bin/bash "$PG_SRC" --watchdog $$ "$PG_DIR" \
	    </dev/null >/dev/null 2>&1
	mkdir "$PG_DIR/run" "$PG_DIR/run-standby" "$PG_DIR/primary" \
	    "$PG_DIR/standby" "$PG_DIR/log" || return 1
	chmod 700 "$PG_DIR/primary" "$PG_DIR/standby"
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$PG_DIR"
		chown nobody: "$PG_DIR/run" "$PG_DIR/run-standby" \
		    "$PG_DIR/primary" "$PG_DIR/standby" "$PG_DIR/log"
	fi
	export PG_PASSWORD="pw-$RANDOM$RANDOM-secret"
	export PG_PASSWORD_FILE=$PG_DIR/password
	(umask 077 && echo "$PG_PASSWORD" >"$PG_PASSWORD_FILE")
	export PG_TARGET="postgresql:///triage?host=$PG_DIR/run&user=triage"
	export PG_PW_TARGET="postgresql:///triage?host=$PG_DIR/run&user=triage_pw"
	step=initdb
	[ ! -f "${PG_TEMPLATE:-/nonexistent}/PG_VERSION" ] || step="initdb (copy)"
	pg_time "$step" pg_initdb &&
	    pg_time start pg_ctl_start primary &&
	    pg_time createdb pg_create
}

# A synchronous standby of the running primary: pg_basebackup -R, its own
# socket directory; the primary waits for it at every commit.
pg_standby_start()
{
	local tries=100
	pg_time basebackup pg_as "$PG_BINDIR/pg_basebackup" \
	    -d "postgresql:///?host=$PG_DIR/run&user=triage" \
	    -D "$PG_DIR/standby" -R -X stream -c fast --no-sync ||
		pg_fail "pg_basebackup failed" || return 1
	cat >>"$PG_DIR/standby/postgresql.conf" <<EOF
unix_socket_directories = '$PG_DIR/run-standby'
cluster_name = 'standby'
EOF
	pg_time standby-start pg_ctl_start standby || return 1
	pg_sql "$PG_DIR/run" \
	    "ALTER SYSTEM SET synchronous_standby_names = 'standby'" &&
	    pg_sql "$PG_DIR/run" "SELECT pg_reload_conf()" >/dev/null ||
		return 1
	until [ "$(pg_sql "$PG_DIR/run" "SELECT sync_state FROM pg_stat_replication")" = sync ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || pg_fail "the standby never became synchronous" ||
			return 1
		sleep 0.1
	done
	export PG_STANDBY_TARGET="postgresql:///triage?host=$PG_DIR/run-standby&user=triage"
	export PG_MULTI_TARGET="postgresql:///triage?host=$PG_DIR/run,$PG_DIR/run-standby&user=triage&target_session_attrs=read-write"
}

# Stop the cluster in data dir $1 (default primary) by its postmaster's
# pid: SIGINT is a fast shutdown; SIGKILL after 10 s.
pg_stop()
{
	local which=${1:-primary} pid tries=100
	pid=$(pg_postmaster_pid "$which")
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	while pg_alive "$pid" && [ -e "$PG_DIR/$which/postmaster.pid" ]; do
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
}

pg_promote()
{
	pg_time promote pg_as "$PG_BINDIR/pg_ctl" promote -w -t 30 \
	    -D "$PG_DIR/standby" >/dev/null
}

# Stop every cluster and remove the directory.  Safe to call twice.
pg_cleanup()
{
	local status=${1:-0}
	[ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
	: >"$PG_DIR/.stopped" # the watchdog stands down
	if [ "$status" -ne 0 ]; then
		echo "pg: test failed ($status); server logs follow" >&2
		tail -n 30 "$PG_DIR"/log/*.log >&2 2>/dev/null
	fi
	pg_stop standby
	pg_stop primary
	if [ -n "${PG_KEEP:-}" ]; then
		echo "pg: kept $PG_DIR" >&2
	else
		rm -rf "$PG_DIR"
	fi
	PG_DIR=
}
