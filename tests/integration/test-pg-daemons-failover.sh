#!/bin/bash
# The primary killed and the synchronous standby promoted while two
# triaged drain through a multi-host target (target_session_attrs=
# read-write): they ride out the outage (no crash), reconnect to the new
# primary, and nothing is lost: every message stored exactly once,
# flagged or moved.  A commit the dead primary acknowledged is on the
# standby (synchronous replication), so the daemons' post-actions never
# ran for mail the new primary lacks.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/pg-daemons-lib.sh"

N=${PGD_N:-500}
GAP=${PGD_GAP:-2} # seconds with no primary at all
PGD_FLAG="sales support"

harness_start
pg_start
pg_standby_start
pgd_setup "$PG_MULTI_TARGET"
pgd_seed sales "$N" 51
pgd_seed community "$N" 52
pgd_seed support "$N" 53
total=$((3 * N))

pgd_start
pgd_start

pgd_wait_stored $((total / 5)) 60
primary=$(pg_postmaster_pid primary)
children=$(pgrep -P "$primary" | tr '\n' ' ')
stored=$(pgd_stored)
kill -KILL "$primary"
echo "primary (postmaster $primary) killed with about $stored of $total stored"
# The killed postmaster's backends notice and go; its socket stays.
for pid in $children; do
	while pg_alive "$pid"; do
		sleep 0.1
	done
done
sleep "$GAP"
pg_promote
t0=$SECONDS
# The daemons come back to the new primary and finish the drain.
pgd_wait_drained "$total" 180
echo "drained $((SECONDS - t0)) s after the promotion"
for pid in "${PGD_PIDS[@]}"; do
	pgd_alive "$pid" || fail "triaged $pid died during the failover"
	grep -Eq 'AddressSanitizer|runtime error' "$(pgd_log "$pid")" &&
		fail "triaged $pid: sanitizer report"
done
[ "$(harness_count community Triaged)" = "$N" ] ||
	fail "community/Triaged holds $(harness_count community Triaged), want $N"
pgd_stop_all
pgd_check_once sales="$N" community="$N" support="$N"
[ "$(pgq "SELECT pg_is_in_recovery()")" = f ] || fail "not on the promoted standby"
pass "primary killed mid-drain, standby promoted: $total messages stored once, flagged or moved, no crash"
