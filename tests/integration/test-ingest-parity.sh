# One ingest pipeline (lib/work/ingest.h) behind every way mail comes in:
# the same messages get the same tickets, tags, hits, scores, queue and
# priority whether triaged fetched them over IMAP or `triage ingest` read
# them from files; `triage reprocess` keeps every ticket's messages, tags,
# hits, queue and priority; and `triage rules replay` classifies stored
# mail exactly as it was classified when stored.  The rules use the key
# account tier, so the accounts reach classification on every path.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

fx=$TRIAGE_FIXTURES/store
harness_start
rules=$HARNESS_DIR/rules
mkdir -p "$rules" "$HARNESS_DIR/no-rules"
cp "$fx/rules/10-pricing.rules" "$rules/"
cat >"$rules/20-account.rules" <<'RULES'
rule strategic-account "Mail from a strategic key account"
  tier /strategic/
  tag strategic
RULES
HARNESS_RULES=$rules conf
cat >"$HARNESS_DIR/accounts.csv" <<'CSV'
domain,account,tier,owner
buyer.test,Buyer,strategic,bob
CSV
sed -i "1a accounts = \"$HARNESS_DIR/accounts.csv\";" "$CONF"
# The same configuration over a database of its own, for triage ingest.
CONF2=$HARNESS_DIR/ingest.conf
DB2=$HARNESS_DIR/ingest.db
sed "s|^database = .*|database = \"$DB2\";|" "$CONF" >"$CONF2"
grep -q "ingest.db" "$CONF2" || fail "second config not written"

# The daemon: the sales mail, then the copy Cc'd to community (later, so
# which one is the copy does not depend on which worker is faster).
deliver sales INBOX "$fx"/0*.eml
once || fail "drain sales"
deliver community INBOX "$fx/01-question.eml"
once || fail "drain community"
# triage ingest, in the same order.
"$TRIAGE" -c "$CONF2" ingest --mailbox sales "$fx"/0*.eml >/dev/null ||
	fail "triage ingest"
"$TRIAGE" -c "$CONF2" ingest --mailbox community "$fx/01-question.eml" \
    >/dev/null || fail "triage ingest of the copy"

# compare WHAT DB1 DB2 [scores]: each message's ticket as seen from it.
compare()
{
	/usr/bin/python3 - "$@" <<'PY' || fail "$1"
import sqlite3, sys
what, a, b = sys.argv[1:4]
scores = len(sys.argv) > 4
def view(path):
    c = sqlite3.connect(path)
    out = {}
    for row in c.execute("""
        SELECT m.id, m.message_id, m.mailbox, m.ticket_id, m.status,
               m.direction, t.state, t.queue, t.priority,
               coalesce(t.owner, '-'), coalesce(t.account, '-'),
               coalesce(t.tier, '-'), t.score_budget, t.score_authority,
               t.score_need, t.score_timeline, t.score_fit
        FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id"""):
        mid, key, tid = row[0], (row[1], row[2]), row[3]
        thread = sorted(r[0] for r in c.execute(
            "SELECT message_id FROM messages WHERE ticket_id = ?", (tid,)))
        tags = sorted(r[0] for r in c.execute(
            "SELECT tag FROM tags WHERE ticket_id = ?", (tid,)))
        hits = sorted(c.execute(
            "SELECT rule, file, line, target, match, limit_hit FROM hits"
            " WHERE message_id = ?", (mid,)))
        out[key] = (thread, tags, hits, row[4:12],
                    row[12:] if scores else None)
    return out
va, vb = view(a), view(b)
if va != vb:
    for k in sorted(set(va) | set(vb)):
        if va.get(k) != vb.get(k):
            print("%s: %s\n  %s\n  %s" % (what, k, va.get(k), vb.get(k)))
    sys.exit(1)
if not va:
    sys.exit("%s: nothing stored" % what)
PY
}

[ "$(sql "SELECT count(*) FROM messages")" = 9 ] || fail "the daemon stored $(sql "SELECT count(*) FROM messages") messages"
[ "$(sql "SELECT count(*) FROM hits")" -gt 0 ] || fail "no rule fired"
[ "$(sql "SELECT group_concat(tag) FROM (SELECT tag FROM tags WHERE ticket_id = 1 ORDER BY tag)")" = "ee-lead,pricing,strategic" ] ||
	fail "ticket 1 tags: $(sql "SELECT group_concat(tag) FROM tags WHERE ticket_id = 1")"
compare "daemon and triage ingest" "$DB" "$DB2" scores
pass "triaged and triage ingest store the same tickets, tags, hits and scores"

# Reprocess everything: tickets, tags and hits stay as stored.  (Scores
# are left out: reprocess adds a message's scores again.)
cp "$DB" "$HARNESS_DIR/before.db"
ids=$(sql "SELECT id FROM tickets ORDER BY id" | tr '\n' ' ')
# shellcheck disable=SC2086
"$TRIAGE" -c "$CONF" reprocess $ids >/dev/null || fail "reprocess"
compare "stored and reprocessed" "$HARNESS_DIR/before.db" "$DB"
# shellcheck disable=SC2086
"$TRIAGE" -c "$CONF2" reprocess $ids >/dev/null || fail "reprocess (ingest)"
compare "reprocessed, daemon and triage ingest" "$DB" "$DB2" scores
pass "triage reprocess keeps tickets, tags and hits"

# Replay against no rules at all: every rule that fired when the mail
# was stored must show as lost ("-rule"), and no other.
"$TRIAGE" -c "$CONF" rules replay --since 3650d --rules "$HARNESS_DIR/no-rules" \
    >"$HARNESS_DIR/replay" || fail "replay"
/usr/bin/python3 - "$DB" "$HARNESS_DIR/replay" <<'PY' || fail "replay verdicts differ from the stored ones"
import re, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
stored = {}
for tid, rule, f, line in c.execute(
        "SELECT ticket_id, rule, file, line FROM hits WHERE limit_hit = 0"):
    stored.setdefault(tid, set()).add("%s (%s:%d)" % (rule, f, line))
tags = {}
for tid, tag in c.execute("SELECT ticket_id, tag FROM tags"):
    tags.setdefault(tid, set()).add(tag)
lost, lost_tags, tid = {}, {}, None
for line in open(sys.argv[2]):
    m = re.match(r"#(\d+) ", line)
    if m:
        tid = int(m.group(1))
        lost[tid], lost_tags[tid] = set(), set()
    elif line.startswith("  because:"):
        lost[tid] = set(re.findall(r" -(\S+ \([^)]*\))", line))
    elif line.startswith("  tags:"):
        lost_tags[tid] = set(re.findall(r" -(\S+)", line))
ok = True
for t in set(stored) | set(lost):
    if stored.get(t, set()) != lost.get(t, set()):
        print("ticket %d: stored hits %s, replay %s" % (t, stored.get(t), lost.get(t)))
        ok = False
    if not lost_tags.get(t, set()) <= tags.get(t, set()):
        print("ticket %d: replay tags %s not stored (%s)" % (t, lost_tags.get(t), tags.get(t)))
        ok = False
if not stored:
    print("no hits stored")
    ok = False
sys.exit(0 if ok else 1)
PY
pass "triage rules replay classifies as the mail was classified when stored"
