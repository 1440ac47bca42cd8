# A daemon SIGKILLed between queueing a webhook and its delivery delivers
# after the restart, once.  The receiver leaves the first POST without an
# answer; triaged is killed while it waits for one (the row leased,
# state 'sending').  The next triaged sends the row again when the lease
# is over, with the same Idempotency-Key, and the 200 is the only one.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/webhook-lib.sh"

harness_start
conf
webhook_secret
receiver crm good --hang /crm=1
cat >>"$CONF" <<EOF
webhooks = (
  { url = "https://localhost:$crm_PORT/crm"; events = ("routed");
    secret_file = "$HOOK_SECRET"; ca_file = "$HARNESS_CA"; timeout = "20s";
    first_retry = "1s"; }
);
EOF

start_daemon_hooks
t=$(customer_ticket "Licences for the whole team")
"$TRIAGE" -c "$CONF" claim "$t" --as alice >/dev/null || fail "claim"
"$TRIAGE" -c "$CONF" route "$t" sales --as alice >/dev/null || fail "route"
[ "$(sql "SELECT count(*) FROM webhooks")" = 1 ] ||
	fail "the route event is not queued once"
for _ in $(seq 100); do
	[ "$(requests crm)" = 1 ] && break
	sleep 0.1
done
[ "$(requests crm "r['status'] == 'hung'")" = 1 ] ||
	fail "the first POST did not reach the receiver"
[ "$(sql "SELECT state FROM webhooks")" = sending ] ||
	fail "the row is not leased while its POST is in flight"
stop_daemon KILL

start_daemon_hooks
# The lease (the 20 s timeout and 5 s) is over before the row goes again.
wait_sql "SELECT state || ' ' || http_status FROM webhooks" "delivered 200" 60 ||
	fail "not delivered after the restart"
sleep 3 # a second delivery would come now
[ "$(requests crm)" = 2 ] || fail "$(requests crm) requests, not 2"
[ "$(requests crm "r['status'] == 200")" = 1 ] || fail "not delivered once"
[ "$(requests crm "r['sig_ok'] and r['event'] == 'route'")" = 2 ] ||
	fail "a request without a valid signature"
/usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len({r["idempotency_key"] for r in rows}) == 1, rows
assert rows[1]["body"]["ticket"]["route"] == "sales", rows[1]["body"]
assert rows[1]["body"]["ticket"]["owner"] == "alice", rows[1]["body"]
' "$HARNESS_DIR/crm.jsonl" || fail "the two requests differ in key or payload"
stop_daemon
pass "a daemon killed mid-POST delivers after restart, once, with the same idempotency key"
