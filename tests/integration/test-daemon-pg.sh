#!/bin/bash
# triaged on PostgreSQL (tests/harness/pg.sh), the smoke test of several
# daemons on one database: one triaged --once drains two mailboxes into
# it (every message stored once and flagged, the leases given back, the
# instance row gone); two triaged (not --once) on the two mailboxes end
# up holding one lease each; SIGTERM of one hands its mailbox to the
# other within the lease time, with the epoch raised; mail that arrives
# then is stored by the survivor.  An unreachable database is one clear
# error.  The heavy tests (SIGKILL loops, SIGSTOP, failover) are
# test-pg-daemons*.sh.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"

TTL=3
harness_start
pg_start
A= B=
trap 'st=$?; [ -z "$A$B" ] || { kill -KILL $A $B; wait $A $B; } 2>/dev/null
	(exit $st); pg_on_exit' EXIT

CONF=$HARNESS_DIR/triage.conf
DB=$PG_TARGET
harness_write_conf "$CONF" "$DB"
echo "lease_seconds = $TTL;" >>"$CONF"
q() { pg_sql "$PG_DIR/run" "$1"; }

# wait_q QUERY EXPECTED SECONDS
wait_q()
{
	local tries=$(($3 * 10)) got
	while [ "$tries" -gt 0 ]; do
		got=$(q "$1" 2>/dev/null) || got=
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	echo "wait_q: \"$1\" gave \"$got\", expected \"$2\"" >&2
	return 1
}

# ---- one triaged --once drains into PostgreSQL ----
gen 120 "$HARNESS_DIR/mail-s" 31
gen 40 "$HARNESS_DIR/mail-c" 32 1000
deliver sales INBOX "$HARNESS_DIR"/mail-s/*.eml
deliver community INBOX "$HARNESS_DIR"/mail-c/*.eml
DAEMON_LOG=$HARNESS_DIR/once.log
once --batch 25 || fail "--once on PostgreSQL exited $?"
[ "$(q "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 120 ] ||
	fail "sales: $(q "SELECT count(*) FROM messages WHERE mailbox = 'sales'") of 120 stored"
[ "$(q "SELECT count(*) FROM messages WHERE mailbox = 'community'")" = 40 ] ||
	fail "community not drained"
[ "$(q "SELECT count(DISTINCT message_id) FROM messages")" = 160 ] ||
	fail "duplicates"
[ "$(count_seen sales INBOX)" = 120 ] || fail "$(count_seen sales INBOX) of 120 flagged"
[ "$(count_seen community INBOX)" = 40 ] || fail "community not flagged"
[ "$(q "SELECT last_uid FROM mailboxes WHERE name = 'sales'")" = 120 ] ||
	fail "checkpoint"
[ "$(q "SELECT acted_uid FROM mailboxes WHERE name = 'sales'")" = 120 ] ||
	fail "flag progress not in the database: $(q "SELECT acted_uid FROM mailboxes WHERE name = 'sales'")"
[ "$(q "SELECT count(*) FROM leases WHERE name LIKE 'mailbox:%' AND owner = ''")" = 2 ] ||
	fail "leases not given back: $(q "SELECT name, owner, epoch FROM leases")"
[ "$(q "SELECT count(*) FROM instances")" = 0 ] || fail "instance row left"
[ ! -e "$HARNESS_DIR/triaged.status" ] || fail "a status file on PostgreSQL"
pass "--once on PostgreSQL: 160 stored once, flagged, leases given back"

# ---- two daemons share the two mailboxes ----
LOG_A=$HARNESS_DIR/a.log LOG_B=$HARNESS_DIR/b.log
"$TRIAGED" -c "$CONF" 2>>"$LOG_A" &
A=$!
DAEMON_LOG=$LOG_A
wait_q "SELECT count(*) FROM leases WHERE name LIKE 'mailbox:%' AND owner LIKE '%:$A:%'" 2 30 ||
	fail "the first daemon did not take both leases"
"$TRIAGED" -c "$CONF" 2>>"$LOG_B" &
B=$!
DAEMON_LOG=$LOG_B
wait_q "SELECT count(*) FROM leases WHERE name LIKE 'mailbox:%' AND owner LIKE '%:$B:%'" 1 30 ||
	fail "the second daemon has no lease"
wait_q "SELECT count(*) FROM leases WHERE name LIKE 'mailbox:%' AND owner LIKE '%:$A:%'" 1 $((2 * TTL)) ||
	fail "the first daemon did not give one back"
wait_q "SELECT count(*) FROM instances" 2 $((2 * TTL)) || fail "instances"
q "SELECT status FROM instances" | grep -q "^sales	" || fail "no status text"
pass "two daemons: one lease each"

# ---- SIGTERM of one hands its mailbox over within the lease time ----
name=$(q "SELECT substr(name, 9) FROM leases WHERE owner LIKE '%:$B:%'")
epoch=$(q "SELECT epoch FROM leases WHERE owner LIKE '%:$B:%'")
t0=$(date +%s%N)
kill -TERM "$B"
wait "$B" || fail "the second daemon exited $? on SIGTERM"
B=
wait_q "SELECT owner LIKE '%:$A:%' AND epoch = $((epoch + 1)) FROM leases WHERE name = 'mailbox:$name'" t $TTL ||
	fail "$name not taken over with epoch $((epoch + 1)) within ${TTL} s: $(q "SELECT name, owner, epoch FROM leases")"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "lease on $name released" "$LOG_B" || fail "no release line"
wait_q "SELECT count(*) FROM instances" 1 2 || fail "the stopped instance's row"
pass "SIGTERM: $name taken over in $ms ms with epoch $((epoch + 1))"

# New mail in both mailboxes: the survivor stores it, once, and flags it.
gen 10 "$HARNESS_DIR/mail-new" 33 2000
deliver sales INBOX "$HARNESS_DIR"/mail-new/00200[0-4].eml
deliver community INBOX "$HARNESS_DIR"/mail-new/00200[5-9].eml
DAEMON_LOG=$LOG_A
wait_q "SELECT count(*) FROM messages" 170 20 || fail "new mail not stored"
[ "$(q "SELECT count(DISTINCT message_id) FROM messages")" = 170 ] ||
	fail "duplicates"
kill -TERM "$A"
wait "$A" || fail "the first daemon exited $? on SIGTERM"
A=
[ "$(q "SELECT count(*) FROM leases WHERE name LIKE 'mailbox:%' AND owner <> ''")" = 0 ] ||
	fail "leases held after SIGTERM"
[ "$(count_seen sales INBOX)" = 125 ] || fail "new sales mail not flagged"
pass "the survivor stores and flags both mailboxes' mail"

# ---- a lease taken away mid-drain: the stale owner commits nothing ----
# (As a takeover after our lease expired looks to us.)  The fenced commit
# or the renewal sees it first; either way no batch commits after it, and
# once the lease is free again the daemon takes it back, drains the rest
# and flags what was stored but not flagged.
gen 300 "$HARNESS_DIR/mail-big" 34 3000
deliver sales INBOX "$HARNESS_DIR"/mail-big/*.eml
DAEMON_LOG=$HARNESS_DIR/steal.log
"$TRIAGED" -c "$CONF" --batch 10 2>>"$DAEMON_LOG" &
A=$!
wait_q "SELECT count(*) > 150 FROM messages WHERE mailbox = 'sales'" t 60 ||
	fail "the drain did not start"
q "UPDATE leases SET owner = 'thief:1:1', epoch = epoch + 1,
   expires = expires + 3600000 WHERE name = 'mailbox:sales'"
wait_log "lease on sales lost to thief:1:1" 10 || fail "no loss logged"
n1=$(q "SELECT count(*) FROM messages WHERE mailbox = 'sales'")
sleep 2
n2=$(q "SELECT count(*) FROM messages WHERE mailbox = 'sales'")
[ "$n1" = "$n2" ] || fail "stored $n1, then $n2 after the lease was lost"
[ "$n1" -lt 425 ] || fail "the drain ended before the lease was taken"
[ "$(q "SELECT count(*) FROM messages m JOIN mailboxes b ON b.name = m.mailbox
        WHERE m.mailbox = 'sales' AND m.uid > b.last_uid")" = 0 ] ||
	fail "messages past the checkpoint"
[ "$(count_seen sales INBOX)" -le "$n1" ] || fail "flagged what is not stored"
q "UPDATE leases SET owner = '', expires = 0 WHERE name = 'mailbox:sales'"
wait_q "SELECT count(*) FROM messages WHERE mailbox = 'sales'" 425 60 ||
	fail "the rest was not drained after the lease came back"
for _ in $(seq 100); do
	[ "$(count_seen sales INBOX)" = 425 ] && break
	sleep 0.1
done
[ "$(count_seen sales INBOX)" = 425 ] ||
	fail "$(count_seen sales INBOX) of 425 flagged"
kill -TERM "$A"
wait "$A" || fail "exit $? on SIGTERM"
A=
pass "lease lost mid-drain at $n1 stored: nothing committed after; retaken, the rest drained and flagged"

# ---- an unreachable database: one clear error ----
harness_write_conf "$CONF" "postgresql:///triage?host=$HARNESS_DIR/nopg&connect_timeout=2"
DAEMON_LOG=$HARNESS_DIR/nopg.log
rc=0
"$TRIAGED" -c "$CONF" 2>"$DAEMON_LOG" || rc=$?
[ "$rc" = 1 ] || fail "unreachable database: exit $rc, not 1"
[ "$(grep -c '^<3>' "$DAEMON_LOG")" = 1 ] || fail "not one error line"
grep -q "^<3>.*nopg.*cannot open" "$DAEMON_LOG" ||
	fail "the error does not say which database cannot be opened"
pass "unreachable database: exit 1, one error line"

# ---- a wrong password: one clear error, the password never logged ----
harness_write_conf "$CONF" "$PG_PW_TARGET"
(umask 077 && echo "not-$PG_PASSWORD" >"$HARNESS_DIR/wrong.pw")
echo "password_file = \"$HARNESS_DIR/wrong.pw\";" >>"$CONF"
DAEMON_LOG=$HARNESS_DIR/wrongpw.log
rc=0
"$TRIAGED" -c "$CONF" --once 2>"$DAEMON_LOG" || rc=$?
[ "$rc" = 1 ] || fail "wrong password: exit $rc, not 1"
[ "$(grep -c '^<3>' "$DAEMON_LOG")" = 1 ] || fail "not one error line"
grep -q "^<3>.*password" "$DAEMON_LOG" || fail "the error does not say password"
! grep -q -- "$PG_PASSWORD" "$DAEMON_LOG" || fail "the password was logged"
# The right one: the committer and the lease keeper both connect with it.
q "GRANT ALL ON ALL TABLES IN SCHEMA public TO triage_pw;
   GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO triage_pw"
harness_write_conf "$CONF" "$PG_PW_TARGET"
echo "password_file = \"$PG_PASSWORD_FILE\";" >>"$CONF"
deliver sales INBOX "$HARNESS_DIR"/mail-s/000001.eml
once || fail "--once with the right password_file exited $?"
grep -q "lease on sales taken" "$DAEMON_LOG" || fail "no lease taken"
[ "$(q "SELECT count(*) FROM leases WHERE owner <> ''")" = 0 ] ||
	fail "leases held after --once"
pass "wrong password: exit 1, one error line without it; the right one drains"
