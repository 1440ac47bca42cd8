#!/bin/bash
# triage rules check / test / replay, end to end through the real binary:
# the default set checks clean; a broken set gets every problem as
# FILE:LINE:COL and exit 2; queues and routes are checked against a
# config; `test` explains a fixture; `replay` lists exactly the tickets a
# candidate rule set would change, with the rules responsible.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

: "${TRIAGE:?}" "${TRIAGE_SOURCE_DIR:?}" "${TRIAGE_FIXTURES:?}" "${ITEST_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rules="$TRIAGE_SOURCE_DIR/rules"
labelled="$TRIAGE_FIXTURES/rules/labelled"

# --- check: the default set
out=$(env -u TRIAGE_CONFIG "$TRIAGE" rules check "$rules")
[ $? -eq 0 ] || fail "default set: exit $?"
case $out in *" rules, ok") ;; *) fail "default set: '$out'" ;; esac

# --- check: every problem, across files, in file-name order
mkdir "$tmp/bad"
printf 'rule dup\n  subject /x/\n  tag a\n' >"$tmp/bad/10-a.rules"
printf 'rule dup\n  body /a(b/\n  tag t:$2\nrule other\n  frm /x/\n  score bugdet +1\n' \
	>"$tmp/bad/20-b.rules"
printf 'not a rule file\n' >"$tmp/bad/README"
env -u TRIAGE_CONFIG "$TRIAGE" rules check "$tmp/bad" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "broken set: exit $rc, want 2"
cat >"$tmp/want" <<WANT
$tmp/bad/20-b.rules:1:6: duplicate rule name 'dup' (first defined at 10-a.rules:1)
$tmp/bad/20-b.rules:2:12: bad regex: missing closing parenthesis at offset 3 in pattern
$tmp/bad/20-b.rules:3:9: tag uses \$2 but no condition of rule 'dup' has a capturing group
$tmp/bad/20-b.rules:5:3: unknown keyword 'frm'
$tmp/bad/20-b.rules:6:9: unknown BANT dimension 'bugdet' (budget authority need timeline fit)
$tmp/bad: 5 problems
WANT
diff -u "$tmp/want" "$tmp/out" || fail "broken set: output differs"

# --- check against a config: queues and routes must exist
cat >"$tmp/triage.conf" <<CONF
database = "$tmp/triage.db";
rules = "$rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; tls = "none"; user = "u"; password_file = "$tmp/pw"; }; },
  { name = "community"; address = "community@example.com"; queue = "community";
    imap = { host = "127.0.0.1"; tls = "none"; user = "u"; password_file = "$tmp/pw"; }; }
);
routes = { sales = "sales-team@example.com"; support = "support@example.com"; };
CONF
printf 'x\n' >"$tmp/pw"
chmod 600 "$tmp/pw"
"$TRIAGE" -c "$tmp/triage.conf" rules check >"$tmp/out" 2>&1 ||
	fail "default set against the config: $(cat "$tmp/out")"
mkdir "$tmp/q"
printf 'rule r\n  body /x/\n  queue nowhere\n  route community\n' >"$tmp/q/a.rules"
"$TRIAGE" -c "$tmp/triage.conf" rules check "$tmp/q" >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "unknown queue: exit status"
grep -qx "$tmp/q/a.rules:3:9: unknown queue 'nowhere'" "$tmp/out" ||
	fail "unknown queue: $(cat "$tmp/out")"
grep -qx "$tmp/q/a.rules:4:9: unknown route 'community'" "$tmp/out" ||
	fail "unknown route: $(cat "$tmp/out")"
# Without a config any name goes.
env -u TRIAGE_CONFIG "$TRIAGE" rules check "$tmp/q" >/dev/null ||
	fail "no config: names should not be checked"

# --- test: the explainer
env -u TRIAGE_CONFIG "$TRIAGE" rules test "$labelled/s05-saml-sso-350.eml" \
	--rules "$rules" --mailbox sales >"$tmp/out" 2>&1 ||
	fail "rules test: $(cat "$tmp/out")"
for want in '^  ee-features (40-sales.rules:[0-9]*)$' '^    body  *"SSO"$' \
	'^  queue:    sales$' '^  priority: high$' 'tags:.* ee-lead' \
	'^close (all conditions but one held):$'; do
	grep -q "$want" "$tmp/out" || fail "rules test: no '$want' in: $(cat "$tmp/out")"
done
env -u TRIAGE_CONFIG "$TRIAGE" rules test "$labelled/m04-sponsor-and-pricing.eml" \
	--rules "$rules" >"$tmp/out" 2>&1 || fail "rules test m04"
grep -q "community-events (30-community.rules:[0-9]*): line [0-9]* did not hold: not body" \
	"$tmp/out" || fail "rules test: near miss not shown: $(cat "$tmp/out")"

# --- replay: seed a store with the default rules, then try a candidate
seed="$ITEST_DIR/itest-rules-seed"
"$seed" "$tmp/triage.db" "$rules" sales "$labelled"/s0[1-4]*.eml \
	"$labelled"/u01-push-500.eml "$labelled"/l01-list-id.eml ||
	fail "seeding the store"
"$TRIAGE" -c "$tmp/triage.conf" rules replay --since 30d >"$tmp/out" 2>&1 ||
	fail "replay, same rules: $(cat "$tmp/out")"
grep -q "^6 tickets replayed, 0 would change" "$tmp/out" ||
	fail "replay, same rules: $(cat "$tmp/out")"
# Candidate: pricing and licensing go to support, and list mail is no
# longer ignored but tagged.
mkdir "$tmp/cand"
cp "$rules"/*.rules "$tmp/cand/"
sed -i -e '/^rule sales-pricing/,/^rule /s/^  queue sales$/  queue support/' \
	-e '/^rule sales-licensing/,/^rule /s/^  queue sales$/  queue support/' \
	"$tmp/cand/40-sales.rules"
sed -i '/^rule mailing-list/,/^rule /{/^  ignore /d;/^  stop$/d;s/^  end$/&\n  tag was-list/}' \
	"$tmp/cand/10-ignore.rules"
"$TRIAGE" -c "$tmp/triage.conf" rules check "$tmp/cand" >/dev/null ||
	fail "candidate does not check"
"$TRIAGE" -c "$tmp/triage.conf" rules replay --since 30d --rules "$tmp/cand" \
	>"$tmp/out" 2>&1 || fail "replay: $(cat "$tmp/out")"
# s01 and s02 ask for prices and licences (queue sales -> support); s03
# also renews (the renewal rule, later, keeps sales); s04 wants a demo;
# the list message is no longer ignored, and gets its tag.
grep -q '^6 tickets replayed, 3 would change (queue 2, priority 0, tags 1, ignore 1)$' \
	"$tmp/out" || fail "replay counts: $(cat "$tmp/out")"
grep -q '^  queue:    sales -> support$' "$tmp/out" || fail "replay queue: $(cat "$tmp/out")"
grep -q '^  ignore:   mailing-list -> -$' "$tmp/out" || fail "replay ignore: $(cat "$tmp/out")"
grep -q '^  tags:     +was-list$' "$tmp/out" || fail "replay tags: $(cat "$tmp/out")"
grep -q 'because:.*~sales-pricing (40-sales.rules:[0-9]*) ~sales-licensing' "$tmp/out" ||
	fail "replay: changed rules not named: $(cat "$tmp/out")"
grep -q 'because:.*~mailing-list (10-ignore.rules:' "$tmp/out" ||
	fail "replay: responsible rule not named: $(cat "$tmp/out")"

# --- replay on several threads: the verdicts of one, message by message,
# over every labelled message and the parser's hard cases (charsets,
# broken MIME, NUL bytes, forwards): 310 messages, past one batch of 256
"$seed" "$tmp/many.db" "$rules" sales "$labelled"/*.eml \
	"$TRIAGE_FIXTURES"/mime/*.eml >/dev/null || fail "seeding many"
for box in support community; do
	"$seed" "$tmp/many.db" "$rules" $box "$labelled"/*.eml >/dev/null ||
		fail "seeding $box"
done
for jobs in 1 2 3; do
	"$TRIAGE" -c "$tmp/triage.conf" rules replay --db "$tmp/many.db" \
		--since 30d --rules "$tmp/cand" --json --jobs $jobs \
		>"$tmp/replay-$jobs.json" 2>"$tmp/err" ||
		fail "replay --jobs $jobs: $(cat "$tmp/err")"
done
python3 - "$tmp/replay-1.json" <<'PY' || fail "replay --jobs 1: $(head -c 400 "$tmp/replay-1.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["tickets"] > 100 and len(j["changes"]) > 5, (j["tickets"], len(j["changes"]))
PY
cmp -s "$tmp/replay-1.json" "$tmp/replay-2.json" ||
	fail "replay --jobs 2 differs from --jobs 1"
cmp -s "$tmp/replay-1.json" "$tmp/replay-3.json" ||
	fail "replay --jobs 3 differs from --jobs 1"
"$TRIAGE" rules replay --jobs 0 >/dev/null 2>&1 && fail "replay --jobs 0 accepted"
echo "ok"
