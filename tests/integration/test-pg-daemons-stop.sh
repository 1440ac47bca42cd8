#!/bin/bash
# A SIGSTOPped owner that wakes after losing its lease commits nothing.
# Three triaged share three mailboxes on one PostgreSQL; the owner of
# community (after = "move": a stale owner that moved mail it did not
# commit would lose it) is stopped mid-drain, and woken once another
# instance holds community's lease with a higher epoch.  It must log the
# lost lease, and nothing it commits afterwards may be community mail
# under the lease it lost: every row in the end was committed by the
# lease's owner (test_writes, pg-daemons-lib.sh), each message once, all
# flagged or moved.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/pg-daemons-lib.sh"

N=${PGD_N:-600}
ROUNDS=${PGD_ROUNDS:-2}
LIMIT=$((2 * PGD_TTL + 4))
PGD_FLAG="sales support"
lease="mailbox:community"

harness_start
pg_start
pgd_setup "$PG_TARGET"
pgd_seed sales "$N" 41
pgd_seed community "$N" 42
pgd_seed support "$N" 43
total=$((3 * N))

for _ in 1 2 3; do
	pgd_start
done

for round in $(seq "$ROUNDS"); do
	# community's owner, once it is storing community mail.
	victim="" end=$((SECONDS + 60))
	while [ -z "$victim" ]; do
		[ "$SECONDS" -lt "$end" ] ||
			fail "round $round: no instance stores community mail"
		row=$(pgq "SELECT owner || ' ' || epoch FROM leases
		    WHERE name = '$lease' AND owner <> '' AND expires > $PGD_NOW")
		owner=${row% *} epoch=${row##* }
		pid=${owner#*:} pid=${pid%%:*}
		if [ -n "$row" ] && [[ " ${PGD_PIDS[*]} " = *" $pid "* ]] &&
		    [ "$(pgq "SELECT count(*) > 0 FROM test_writes
			WHERE app = 'triaged-$pid' AND mailbox = 'community'
			AND epoch = $epoch")" = t ]; then
			victim=$pid
		else
			pgd_check_alive
			sleep 0.05
		fi
	done
	# Mid-batch: its committer inside a transaction storing mail, so
	# that it wakes with a batch in hand (what the fence is for).
	end=$((SECONDS + 5))
	until [ "$(pgq "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'triaged-$victim'
	    AND state IN ('active', 'idle in transaction')
	    AND query LIKE 'INSERT%'")" != 0 ] || [ "$SECONDS" -ge "$end" ]; do
		:
	done
	kill -STOP "$victim"
	t0=$EPOCHREALTIME
	stored=$(pgd_stored community)
	[ "$stored" -lt "$N" ] ||
		fail "round $round: community drained before the stop: lower PGD_BATCH or raise PGD_N"
	# Another instance takes community over while the owner sleeps (an
	# open transaction of the sleeper must not hold the takeover off).
	pgq "DELETE FROM test_dead;
	    INSERT INTO test_dead VALUES ('$lease', '$owner', $epoch)"
	took=$(pgd_takeover_wait "$victim" "$t0" "$LIMIT")
	# The new owner drains community while the old one still sleeps: a
	# transaction the sleeper left open (its row locks, the ingest
	# lock) must not hold everyone else up.
	if [ $((N - stored)) -gt $((2 * PGD_BATCH)) ]; then
		pgd_wait 30 "SELECT count(*) > 0 FROM test_writes
		    WHERE mailbox = 'community' AND owner <> '$owner'
		    AND epoch > $epoch" t ||
			fail "round $round: community's new owner stored nothing while triaged $victim slept"
	fi
	before=$(pgq "SELECT count(*) FROM test_writes
	    WHERE app = 'triaged-$victim' AND mailbox = 'community'")
	seq=$(pgq "SELECT coalesce(max(seq), 0) FROM test_writes")
	kill -CONT "$victim"
	log=$(pgd_log "$victim")
	end=$((SECONDS + LIMIT))
	until grep -q "lease on community lost" "$log"; do
		[ "$SECONDS" -lt "$end" ] ||
			fail "round $round: the woken triaged $victim never logged its lost lease on community"
		sleep 0.1
	done
	pgd_alive "$victim" || fail "round $round: the woken triaged $victim died"
	# Nothing under its old epoch after waking: a row it committed for
	# community since then was under a lease it took anew, if any.
	stale=$(pgq "SELECT count(*) FROM test_writes
	    WHERE app = 'triaged-$victim' AND mailbox = 'community'
	    AND seq > $seq AND (epoch <= $epoch OR owner <> '$owner')")
	[ "$stale" = 0 ] ||
		fail "round $round: the woken triaged $victim committed $stale community messages after losing the lease"
	echo "round $round: stopped triaged $victim ($owner) at community epoch" \
	    "$epoch with $stored of $N stored; taken over in $took s:" \
	    "$(pgq "SELECT owner || ' epoch ' || epoch FROM leases WHERE name = '$lease'");" \
	    "$before community rows were its own; woke: $(grep -m1 "lease on community lost" "$log" | sed 's/^<[0-9]>//')"
done

pgd_wait_drained "$total" 180
[ "$(harness_count community Triaged)" = "$N" ] ||
	fail "community/Triaged holds $(harness_count community Triaged), want $N"
pgd_stop_all
pgd_check_once sales="$N" community="$N" support="$N"
pass "$ROUNDS stopped owners woke after losing community: they committed nothing stale; $total messages stored once, flagged or moved"
