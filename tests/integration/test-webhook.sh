# Webhooks against real local HTTPS receivers (Python http.server behind
# the harness's test CA): an event a hook wants is queued with the change
# (from the CLI and from a mail command through the daemon), POSTed as
# signed JSON, retried on 503 and delivered exactly once; a 4xx fails the
# row; a receiver whose certificate is not trusted gets nothing, and the
# row waits, visible in `triage status` and `triage webhooks`.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/webhook-lib.sh"

harness_start
conf
webhook_secret
receiver good good --script /crm=503,503 --script /bad=400
receiver other untrusted
cat >>"$CONF" <<EOF
webhooks = (
  { url = "https://localhost:$good_PORT/crm"; events = ("qualified", "story");
    secret_file = "$HOOK_SECRET"; ca_file = "$HARNESS_CA"; first_retry = "1s"; },
  { url = "https://127.0.0.1:$good_PORT/bad"; events = ("qualified");
    secret_file = "$HOOK_SECRET"; ca_file = "$HARNESS_CA"; },
  { url = "https://localhost:$other_PORT/crm"; events = ("qualified");
    secret_file = "$HOOK_SECRET"; ca_file = "$HARNESS_CA"; first_retry = "1h"; }
);
ticket_url = "https://triage.example.com/t/{id}";
EOF
"$TRIAGED" -c "$CONF" --check >/dev/null || fail "--check refused the webhooks"

start_daemon_hooks
t=$(customer_ticket "Pricing for 40 seats")
# Not wanted by any hook: nothing queued for the ticket's creation.
[ "$(sql "SELECT count(*) FROM webhooks")" = 0 ] ||
	fail "events no hook wants were queued"

"$TRIAGE" -c "$CONF" qualify "$t" budget need --as alice >/dev/null ||
	fail "triage qualify"
ev=$(sql "SELECT id FROM events WHERE ticket_id = $t AND kind = 'qualify'")
[ "$(sql "SELECT count(*) FROM webhooks WHERE event_id = $ev")" = 3 ] ||
	fail "the qualify event is not queued for each of the three hooks"

# 503, 503, then 200: delivered, once.
wait_sql "SELECT state || ' ' || attempts || ' ' || http_status FROM webhooks
    WHERE url LIKE '%:$good_PORT/crm'" "delivered 3 200" 20 ||
	fail "not delivered after two 503s"
[ "$(requests good "r['path'] == '/crm'")" = 3 ] ||
	fail "/crm got $(requests good "r['path'] == '/crm'") requests, not 3"
[ "$(requests good "r['path'] == '/crm' and r['status'] == 200")" = 1 ] ||
	fail "not exactly one 200 delivery"
[ "$(requests good "not r['sig_ok']")" = 0 ] || fail "a bad signature"
/usr/bin/python3 - "$HARNESS_DIR/good.jsonl" "$t" "$ev" <<'PY' || fail "payload"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["path"] == "/crm"]
t, ev = int(sys.argv[2]), int(sys.argv[3])
keys = {r["idempotency_key"] for r in rows}
assert len(keys) == 1, keys
assert re.fullmatch(r"triage-[0-9a-f]{12}-%d" % ev, keys.pop()), rows[0]
b = rows[-1]["body"]
assert rows[-1]["content_type"] == "application/json", rows[-1]
assert rows[-1]["event"] == "qualify", rows[-1]["event"]
assert b["event"]["id"] == ev and b["event"]["kind"] == "qualify", b["event"]
assert b["event"]["actor"] == "alice" and b["event"]["source"] == "cli", b
tk = b["ticket"]
assert tk["id"] == t and tk["url"] == "https://triage.example.com/t/%d" % t, tk
assert tk["customer"] == "pat@buyer.example", tk
assert tk["customer_name"] == "Pat Buyer", tk
assert tk["company"] == "buyer.example", tk
assert tk["queue"] == "sales", tk
assert tk["marks"]["qualified"] is True, tk["marks"]
assert tk["scores"]["budget"] >= 1 and tk["scores"]["need"] >= 1, tk["scores"]
assert tk["subject"] == "Pricing for 40 seats", tk
assert "budget is approved" in tk["excerpt"], tk
assert isinstance(tk["tags"], list), tk
PY

# 400: failed at once, never tried again.
wait_sql "SELECT state || ' ' || attempts || ' ' || http_status FROM webhooks
    WHERE url LIKE '%/bad'" "failed 1 400" 10 || fail "a 400 did not fail the row"

# The untrusted certificate: no request reached the receiver, the row
# waits with the TLS error.
wait_sql "SELECT state || ' ' || attempts FROM webhooks
    WHERE url LIKE '%:$other_PORT/crm'" "pending 1" 10 ||
	fail "the untrusted receiver's row is not waiting"
err=$(sql "SELECT last_error FROM webhooks WHERE url LIKE '%:$other_PORT/crm'")
case $err in
*certificate*|*SSL*|*TLS*) ;;
*) fail "the row's error does not name the certificate: $err" ;;
esac
[ "$(requests other)" = 0 ] || fail "the untrusted receiver got a request"

"$TRIAGE" -c "$CONF" status >"$HARNESS_DIR/status.txt"
grep -q "^webhooks: 1 waiting, 0 being sent, 1 failed" "$HARNESS_DIR/status.txt" ||
	fail "status: $(cat "$HARNESS_DIR/status.txt")"
grep -q "pending: row .* to https://localhost:$other_PORT/crm: " "$HARNESS_DIR/status.txt" ||
	fail "status does not show the waiting row's error"
grep -q "failed: row .* HTTP 400: unknown lead source" "$HARNESS_DIR/status.txt" ||
	fail "status does not show the 400"
"$TRIAGE" -c "$CONF" webhooks --failed --json >"$HARNESS_DIR/failed.json"
/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["webhooks"]
assert len(v) == 1 and v[0]["http_status"] == 400 and v[0]["state"] == "failed", v
' "$HARNESS_DIR/failed.json" || fail "triage webhooks --failed"

# A mail command (#story by a team member) through the daemon: its
# event is queued in the ingest transaction and delivered too.
printf 'From: Alice <alice@example.com>\nTo: sales@example.com\nSubject: Re: Pricing for 40 seats\nMessage-ID: <story1@example.com>\nIn-Reply-To: <%s>\nDate: Mon, 16 Nov 2026 11:00:00 +0000\n\n#story\n' \
    "$(sql "SELECT message_id FROM messages WHERE ticket_id = $t LIMIT 1")" \
    >"$HARNESS_DIR/story.eml"
deliver sales INBOX "$HARNESS_DIR/story.eml"
wait_sql "SELECT count(*) FROM webhooks w JOIN events e ON e.id = w.event_id
    WHERE e.kind = 'story' AND w.state = 'delivered'" 1 20 ||
	fail "the #story event was not delivered"
[ "$(requests good "r['event'] == 'story' and r['body']['event']['source'] == 'mail' and r['body']['ticket']['marks']['story']")" = 1 ] ||
	fail "the story event's payload"

# `triage webhooks retry`: the failed row is due again; the receiver's
# 400 was for its first request only, so now it is delivered.
id=$(sql "SELECT id FROM webhooks WHERE state = 'failed'")
"$TRIAGE" -c "$CONF" webhooks retry "$id" --as alice >/dev/null ||
	fail "webhooks retry"
wait_sql "SELECT state || ' ' || attempts FROM webhooks WHERE id = $id" "delivered 1" 10 ||
	fail "the retried row"
"$TRIAGE" -c "$CONF" webhooks retry "$id" --as alice 2>/dev/null &&
	fail "a delivered row was queued again"
stop_daemon
[ "$DAEMON_RC" = 0 ] || fail "triaged exited $DAEMON_RC"
pass "webhooks: 503 retried and delivered once, signed; 400 failed; untrusted certificate refused and shown"
