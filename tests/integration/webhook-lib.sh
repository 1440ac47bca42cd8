# Helpers for the webhook tests: a real local receiver
# (webhook-receiver.py: http.server, TLS with a harness certificate) and
# the webhooks block of triage.conf.  Sourced after daemon-lib.sh.

WEBHOOK_RECEIVER=$TRIAGE_SOURCE_DIR/tests/integration/webhook-receiver.py

# webhook_secret: a secret file for the hooks, mode 600; sets HOOK_SECRET.
webhook_secret()
{
	HOOK_SECRET=$HARNESS_DIR/secrets/webhook.secret
	mkdir -p "$HARNESS_DIR/secrets"
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$HOOK_SECRET"
	chmod 600 "$HOOK_SECRET"
}

# receiver NAME CERT|plain [ARGS...]: start a receiver on a free port,
# serving harness certificate CERT (good | untrusted ...) or plain http;
# sets NAME_PORT, NAME_PID, and its log is $HARNESS_DIR/NAME.jsonl.
receiver()
{
	local name=$1 cert=$2 port tls=() try
	shift 2
	[ "$cert" = plain ] || tls=(--cert "$HARNESS_DIR/tls/$cert.crt"
	    --key "$HARNESS_DIR/tls/$cert.key")
	for try in 1 2 3 4 5; do
		port=$(harness_free_ports 1)
		/usr/bin/python3 "$WEBHOOK_RECEIVER" --port "$port" \
		    --secret-file "$HOOK_SECRET" --log "$HARNESS_DIR/$name.jsonl" \
		    "${tls[@]}" "$@" >"$HARNESS_DIR/$name.out" \
		    2>"$HARNESS_DIR/$name.err" &
		eval "${name}_PID=$! ${name}_PORT=$port"
		if harness_wait_port "$port" 5; then
			RECEIVER_PIDS="${RECEIVER_PIDS:-} $!"
			return 0
		fi
		kill "$!" 2>/dev/null || true
	done
	fail "receiver $name did not start: $(cat "$HARNESS_DIR/$name.err")"
}

receivers_stop()
{
	local pid
	for pid in ${RECEIVER_PIDS:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	RECEIVER_PIDS=
}

# requests NAME [PYTHON-CONDITION]: how many requests receiver NAME
# logged for which the condition on `r` (a log record) holds.
requests()
{
	/usr/bin/python3 - "$HARNESS_DIR/$1.jsonl" "${2:-True}" <<'PY'
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    rows = []
print(sum(1 for r in rows if eval(sys.argv[2], {}, {"r": r})))
PY
}

# The exit trap: receivers, then the daemon and the servers.
webhook_on_exit()
{
	local s=$?
	# no set -e or ERR trap here: the cleanup must run to its end
	set +e
	trap - ERR
	receivers_stop
	(exit "$s") # daemon_on_exit reads the status from $?
	daemon_on_exit
}

# start_daemon_hooks [ARGS...]: start_daemon, with the receivers stopped
# on exit too.
start_daemon_hooks()
{
	start_daemon "$@"
	trap webhook_on_exit EXIT
}

# customer_ticket SUBJECT: a customer's mail to sales, ingested by the
# running daemon; prints its ticket number.
customer_ticket()
{
	local id=c$RANDOM$RANDOM@buyer.example
	printf 'From: Pat Buyer <pat@buyer.example>\nTo: sales@example.com\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 16 Nov 2026 10:00:00 +0000\n\nWe need 40 seats before the end of the quarter; our budget is approved.\n' \
	    "$1" "$id" >"$HARNESS_DIR/$id.eml"
	deliver sales INBOX "$HARNESS_DIR/$id.eml"
	wait_sql "SELECT count(*) FROM messages WHERE message_id = '$id'" 1 20 ||
		fail "the customer's mail was not ingested"
	sql "SELECT ticket_id FROM messages WHERE message_id = '$id'"
}
