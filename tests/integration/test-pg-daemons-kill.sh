#!/bin/bash
# Three triaged on one PostgreSQL share three mailboxes of 1,000 messages
# each by lease.  Again and again the busiest owner (the instance holding
# most mailbox leases) is SIGKILLed mid-drain and a replacement started:
# each time every lease it held has another owner with a raised epoch
# within the lease time (plus one renewal pass and the machine's load);
# at the end every message is stored exactly once, by the instance that
# held its mailbox's lease, and flagged (sales, support) or moved
# (community); SIGTERM gives every lease back.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/pg-daemons-lib.sh"

N=${PGD_N:-1000}	# messages a mailbox
KILLS=${PGD_KILLS:-4}
LIMIT=$((2 * PGD_TTL + 4)) # expiry, the next take pass, a loaded machine
PGD_FLAG="sales support"

harness_start
pg_start
pgd_setup "$PG_TARGET"
pgd_seed sales "$N" 31
pgd_seed community "$N" 32
pgd_seed support "$N" 33
total=$((3 * N))

for _ in 1 2 3; do
	pgd_start
done

kills=0 middrain=0
while [ "$kills" -lt "$KILLS" ]; do
	# Kills spread over the drain: the next once this much is stored.
	pgd_wait_stored $(((kills + 1) * total / (KILLS + 2))) 60
	# The busiest live owner.
	victim="" end=$((SECONDS + 60))
	while [ -z "$victim" ]; do
		[ "$SECONDS" -lt "$end" ] ||
			fail "no instance came to hold a mailbox lease"
		owner=$(pgq "SELECT owner FROM leases
		    WHERE name LIKE 'mailbox:%' AND owner <> ''
		    AND expires > $PGD_NOW
		    GROUP BY owner ORDER BY count(*) DESC, owner LIMIT 1")
		pid=${owner#*:} pid=${pid%%:*}
		if [ -n "$owner" ] && [[ " ${PGD_PIDS[*]} " = *" $pid "* ]] &&
		    pgd_alive "$pid"; then
			victim=$pid
		else
			pgd_check_alive
			sleep 0.1
		fi
	done
	sleep "0.$((RANDOM % 9 + 1))" # anywhere in a batch
	stored=$(pgd_stored)
	t0=$EPOCHREALTIME
	pgd_kill KILL "$victim"
	kills=$((kills + 1))
	[ "$stored" -ge "$total" ] || middrain=$((middrain + 1))
	# What it held when it died, now that it can change nothing.
	pgq "DELETE FROM test_dead;
	    INSERT INTO test_dead SELECT name, owner, epoch FROM leases
	    WHERE owner LIKE '%:$victim:%' AND name LIKE 'mailbox:%'"
	held=$(pgq "SELECT string_agg(name || '@' || epoch, ' ' ORDER BY name)
	    FROM test_dead")
	pgd_start
	if [ -z "$held" ]; then
		# Its leases expired under load before the kill: nothing to
		# take over, and nothing proved about takeover this round.
		echo "kill $kills: triaged $victim ($stored stored) held no lease any more"
		continue
	fi
	took=$(pgd_takeover_wait "$victim" "$t0" "$LIMIT")
	echo "kill $kills: triaged $victim with $stored of $total stored," \
	    "holding $held; taken over in $took s (ttl $PGD_TTL s):" \
	    "$(pgq "SELECT string_agg(l.name || '@' || l.epoch, ' ' ORDER BY l.name)
		FROM test_dead d JOIN leases l USING (name)")"
done
# A kill after the drain proves nothing about stored-once.
[ "$middrain" = "$kills" ] ||
	fail "only $middrain of $kills kills came mid-drain: raise PGD_N"

pgd_wait_drained "$total" 180
[ "$(harness_count community Triaged)" = "$N" ] ||
	fail "community/Triaged holds $(harness_count community Triaged), want $N"
pgd_stop_all
pgd_check_once sales="$N" community="$N" support="$N"
writers=$(pgq "SELECT count(DISTINCT app) FROM test_writes")
[ "$writers" -ge 3 ] || fail "only $writers instances stored mail: no sharing"
echo "writers: $(pgq "SELECT string_agg(app || '=' || n, ' ' ORDER BY app)
    FROM (SELECT app, count(*) n FROM test_writes GROUP BY app) w")"
pass "$kills kills ($middrain mid-drain) of the busiest owner: $total messages stored once by their lease owner, flagged or moved"
