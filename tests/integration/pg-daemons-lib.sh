# shellcheck shell=bash
# Helpers shared by tests/integration/test-pg-daemons-*.sh: several
# triaged (not --once) on one PostgreSQL sharing the harness's mailboxes
# by lease (../shared/SCALE.md).  Sourced after harness.sh, daemon-lib.sh
# and pg.sh; call pgd_setup once harness_start and pg_start ran.
#
# Every message row a transaction commits is noted by a trigger in
# test_writes with who inserted it (the connection's application_name,
# "triaged-PID", set through PGAPPNAME) and who held the mailbox's lease
# when it did (the lease row's owner "host:pid:start" and epoch, as that
# transaction saw it).  A row whose writer is not the lease owner is a
# commit by a stale owner: the fence let it through.

PGD_TTL=${PGD_TTL:-3}	# lease seconds: short, so takeovers are quick
PGD_BATCH=${PGD_BATCH:-20} # small batches: many commit points
PGD_PIDS=()		# every triaged started, dead or alive
PGD_KILLED=" "		# the ones the test killed on purpose
PGD_TARGET=${PGD_TARGET:-}

# SQL on the shared database (PGD_TARGET, PG_TARGET by default).
pgq()
{
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -At \
	    "${PGD_TARGET:-$PG_TARGET}" -c "$1"
}

# The database's clock in ms, as lease expiries are written.
PGD_NOW="(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

pgd_on_exit()
{
	local status=$? pid log
	trap '' PIPE HUP INT TERM
	set +e
	if [ "$status" -ne 0 ]; then # as they were, before the kills
		pgq "SELECT name, owner, epoch, expires - $PGD_NOW AS ms_left
		    FROM leases ORDER BY name" >&2 2>/dev/null
		pgd_sessions >&2 2>/dev/null
	fi
	for pid in "${PGD_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$status" -ne 0 ]; then
		for log in "$HARNESS_DIR"/triaged-*.log; do
			[ -f "$log" ] || continue
			echo "--- last lines of ${log##*/}:" >&2
			tail -n 12 "$log" >&2
		done
	fi
	(exit "$status")
	eval "$PGD_PREV_EXIT"
	exit "$status"
}

# The database's sessions: who (application_name), what state, waiting
# on what, for how many seconds, blocked by which backends, doing what.
pgd_sessions()
{
	echo "--- sessions (app|pid|state|wait|secs|blocked by|query):"
	pgq "SELECT application_name, pid, state,
		wait_event_type || ':' || wait_event,
		round(extract(epoch FROM clock_timestamp() - state_change)),
		pg_blocking_pids(pid), left(query, 50)
	    FROM pg_stat_activity
	    WHERE datname = current_database() AND pid <> pg_backend_pid()
	    ORDER BY application_name, pid"
}

# pgd_setup TARGET: the schema, the writer trigger, the configuration
# ($CONF) naming TARGET with three mailboxes: sales and support flag,
# community moves into "Triaged".  Installs the EXIT trap that kills
# every triaged before the servers go.
pgd_setup()
{
	local prev
	PGD_TARGET=$1
	prev=$(trap -p EXIT)
	PGD_PREV_EXIT=
	if [ -n "$prev" ]; then
		eval "set -- $prev"
		PGD_PREV_EXIT=$3
	fi
	trap pgd_on_exit EXIT
	CONF=$HARNESS_DIR/triage.conf
	harness_write_conf "$CONF" "$PGD_TARGET"
	/usr/bin/python3 - "$CONF" "$PGD_TTL" <<'PY'
import sys
path, ttl = sys.argv[1], sys.argv[2]
s = open(path).read()
# A third mailbox, support, like community; then community moves.
i = s.index('  ,{ name = "community"')
j = s.index("}\n", s.index("after =", i)) + 2
s = s[:j] + s[i:j].replace("community", "support") + s[j:]
k = s.index('after = "flag"', i)
s = s[:k] + 'after = "move:Triaged"' + s[k + len('after = "flag"'):]
s += "\nlease_seconds = %s;\n" % ttl
open(path, "w").write(s)
PY
	TRIAGE_DB=$PGD_TARGET "$TRIAGE" db init >/dev/null
	pgq "CREATE TABLE test_writes (
		seq BIGSERIAL PRIMARY KEY, message BIGINT, mailbox TEXT,
		uid BIGINT, app TEXT, owner TEXT, epoch BIGINT);
	    CREATE FUNCTION test_writes_note() RETURNS trigger
	    LANGUAGE plpgsql AS \$\$
	    BEGIN
		INSERT INTO test_writes (message, mailbox, uid, app, owner, epoch)
		SELECT NEW.id, NEW.mailbox, NEW.uid,
		    current_setting('application_name'), l.owner, l.epoch
		FROM (SELECT 1) one
		LEFT JOIN leases l ON l.name = 'mailbox:' || NEW.mailbox;
		RETURN NULL;
	    END \$\$;
	    CREATE TRIGGER test_writes AFTER INSERT ON messages
		FOR EACH ROW EXECUTE FUNCTION test_writes_note();
	    CREATE TABLE test_dead (name TEXT, owner TEXT, epoch BIGINT);"
}

# pgd_seed USER COUNT SEED: COUNT generated messages into USER's INBOX.
pgd_seed()
{
	gen "$2" "$HARNESS_DIR/mail-$1" "$3"
	/usr/bin/python3 "$TRIAGE_SOURCE_DIR/tests/integration/maildir-deliver.py" \
	    "$HARNESS_DIR/home/$1/Maildir" "$HARNESS_DIR/mail-$1"/*.eml
	[ "$(id -u)" -ne 0 ] || chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home/$1"
	harness_count "$1" INBOX >/dev/null # Dovecot indexes it now, not mid-test
}

# pgd_start: one more triaged, not --once; its pid is PGD_PID (and joins
# PGD_PIDS), its log $HARNESS_DIR/triaged-PID.log.  It execs from the
# shell started here, so the pid in its application_name and in its
# lease owner id are one.
pgd_start()
{
	DIR=$HARNESS_DIR sh -c \
	    'export PGAPPNAME=triaged-$$; exec "$0" "$@" 2>"$DIR/triaged-$$.log"' \
	    "$TRIAGED" -c "$CONF" --batch "$PGD_BATCH" &
	PGD_PID=$!
	PGD_PIDS+=("$PGD_PID")
}

# pgd_log PID: that instance's log.
pgd_log() { echo "$HARNESS_DIR/triaged-$1.log"; }

# pgd_alive PID: running (a stopped one counts), not a zombie.
pgd_alive() { pg_alive "$1"; }

# pgd_kill SIGNAL PID: a death the test means (see pgd_check_alive).
pgd_kill()
{
	PGD_KILLED="$PGD_KILLED$2 "
	kill -"$1" "$2"
	wait "$2" 2>/dev/null || true
}

# Every instance the test did not kill still runs (none gave up or
# crashed); called from the waiting loops, so a dead fleet fails fast.
pgd_check_alive()
{
	local pid
	for pid in "${PGD_PIDS[@]}"; do
		[[ $PGD_KILLED = *" $pid "* ]] && continue
		pgd_alive "$pid" && continue
		# a sanitizer's report whole, else how it ended
		if grep -Eq 'Sanitizer|runtime error' "$(pgd_log "$pid")"; then
			fail "triaged $pid crashed:
$(sed -En '/Sanitizer|runtime error/,$p' "$(pgd_log "$pid")" | head -n 40)"
		fi
		fail "triaged $pid exited:
$(tail -n 5 "$(pgd_log "$pid")")"
	done
}

# Stored messages, in all or in mailbox $1.
pgd_stored()
{
	if [ -n "${1:-}" ]; then
		pgq "SELECT count(*) FROM messages WHERE mailbox = '$1'"
	else
		pgq "SELECT count(*) FROM messages"
	fi
}

# pgd_wait SECONDS QUERY EXPECTED: poll until QUERY gives EXPECTED.
pgd_wait()
{
	local end=$((SECONDS + $1)) got
	while :; do
		got=$(pgq "$2" 2>/dev/null) || got=
		[ "$got" = "$3" ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		pgd_check_alive
		sleep 0.1
	done
	echo "pgd_wait: \"$2\" gave \"$got\" after $1 s, expected \"$3\"" >&2
	return 1
}

# pgd_wait_stored COUNT STALL: until COUNT messages are stored; fails
# when the count does not move for STALL seconds (a stall, not a slow
# machine: ctest's TIMEOUT bounds the whole).
pgd_wait_stored()
{
	local want=$1 stall=$2 got last=-1 since=$SECONDS
	while :; do
		got=$(pgd_stored 2>/dev/null) || got=$last
		[ "$got" -ge "$want" ] && return 0
		if [ "$got" != "$last" ]; then
			last=$got since=$SECONDS
		elif [ $((SECONDS - since)) -ge "$stall" ]; then
			fail "the drain stalled at $got of $want for $stall s"
		fi
		pgd_check_alive
		sleep 0.2
	done
}

# pgd_stop_all: SIGTERM every live instance; each must exit 0 and give
# its leases back (SCALE.md: SIGTERM releases at once).
pgd_stop_all()
{
	local pid rc
	for pid in "${PGD_PIDS[@]}"; do
		pgd_alive "$pid" || continue
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = 0 ] || fail "triaged $pid exited $rc on SIGTERM"
	done
	[ "$(pgq "SELECT count(*) FROM leases
	    WHERE name LIKE 'mailbox:%' AND owner <> ''")" = 0 ] ||
		fail "leases still held after every instance stopped:
$(pgq "SELECT name, owner, epoch FROM leases")"
}

# pgd_wait_drained TOTAL SECONDS FLAGGED... MOVED...: every message
# stored, and Dovecot shows the post-actions: no unseen mail left in the
# flagging mailboxes (PGD_FLAG), none left in community's INBOX and
# all of it in community/Triaged.
pgd_wait_drained()
{
	local total=$1 end m ok
	pgd_wait_stored "$total" 60
	end=$((SECONDS + $2))
	while :; do
		ok=1
		for m in $PGD_FLAG; do
			[ "$(count_unseen "$m" INBOX)" = 0 ] || ok=
		done
		[ "$(harness_count community INBOX)" = 0 ] || ok=
		[ -n "$ok" ] && break
		[ "$SECONDS" -lt "$end" ] || break
		pgd_check_alive
		sleep 0.5
	done
	for m in $PGD_FLAG; do
		[ "$(count_unseen "$m" INBOX)" = 0 ] ||
			fail "$m: $(count_unseen "$m" INBOX) messages left without \\Seen"
	done
	[ "$(harness_count community INBOX)" = 0 ] ||
		fail "community: $(harness_count community INBOX) messages not moved"
}

# pgd_check_once MAILBOX=COUNT...: each mailbox holds COUNT messages,
# no (mailbox, UID) or (mailbox, Message-ID) twice, every insert
# committed once (test_writes), and every row committed by the lease's
# owner.
pgd_check_once()
{
	local spec m n total=0 bad
	for spec in "$@"; do
		m=${spec%%=*} n=${spec#*=}
		total=$((total + n))
		[ "$(pgd_stored "$m")" = "$n" ] ||
			fail "$m: $(pgd_stored "$m") stored, want $n"
	done
	[ "$(pgd_stored)" = "$total" ] ||
		fail "$(pgd_stored) messages stored in all, want $total"
	[ "$(pgq "SELECT count(*) FROM (SELECT 1 FROM messages
	    GROUP BY mailbox, uidvalidity, uid HAVING count(*) > 1) d")" = 0 ] ||
		fail "a UID stored twice"
	[ "$(pgq "SELECT count(*) FROM (SELECT 1 FROM messages
	    GROUP BY mailbox, message_id HAVING count(*) > 1) d")" = 0 ] ||
		fail "a message stored twice"
	[ "$(pgq "SELECT count(*) FROM test_writes")" = "$total" ] ||
		fail "$(pgq "SELECT count(*) FROM test_writes") inserts committed for $total messages"
	bad=$(pgq "SELECT count(*) FROM test_writes WHERE owner IS NULL
	    OR app <> 'triaged-' || split_part(owner, ':', 2)")
	[ "$bad" = 0 ] || fail "$bad messages committed by an instance not holding the mailbox's lease:
$(pgq "SELECT mailbox, app, owner, epoch, count(*) FROM test_writes
    WHERE owner IS NULL OR app <> 'triaged-' || split_part(owner, ':', 2)
    GROUP BY 1, 2, 3, 4")"
}

# pgd_takeover_wait PID START LIMIT: the leases PID held when it died
# (test_dead, filled by the caller) all have another owner with a higher
# epoch within LIMIT seconds of START ($EPOCHREALTIME); prints the
# seconds it took.
pgd_takeover_wait()
{
	local pid=$1 t0=$2 limit=$3 left
	while :; do
		left=$(pgq "SELECT count(*) FROM test_dead d JOIN leases l USING (name)
		    WHERE l.owner = '' OR l.owner = d.owner OR l.epoch <= d.epoch
		    OR l.expires <= $PGD_NOW")
		[ "$left" = 0 ] && break
		pgd_check_alive
		if awk -v a="$t0" -v b="$EPOCHREALTIME" -v l="$limit" \
		    'BEGIN { exit !(b - a > l) }'; then
			fail "$left of triaged $pid's leases not taken over within $limit s:
$(pgq "SELECT l.name, l.owner, l.epoch, d.epoch AS dead_epoch
    FROM test_dead d JOIN leases l USING (name)")"
		fi
		sleep 0.1
	done
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}
