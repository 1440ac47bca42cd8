#!/bin/bash
# Progress on a terminal only (progress.h): `triage rules replay` run on
# a pseudo-terminal (script(1)) draws "replay: N of M" and ends with
# ", done."; `triage report` counts the tickets it reads; with standard
# error a file neither prints any of it.
set -eu
: "${TRIAGE:?}" "${TRIAGE_FIXTURES:?}"
command -v script >/dev/null || { echo "no script(1)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx=$TRIAGE_FIXTURES/store
export TRIAGE_DB=$work/t.db
fail=0
for f in 01-question 04-late-child 06-stranger-token; do
	"$TRIAGE" ingest --mailbox sales "$fx/$f.eml" >/dev/null
done
cmd="'$TRIAGE' rules replay --rules '$fx/rules' --baseline '$fx/rules' --since 1d"

script -qec "$cmd" /dev/null >"$work/tty" </dev/null
grep -q $'replay: 3 of 3 (100%)\e\\[K, done.' "$work/tty" ||
	{ echo "no progress on a terminal:" >&2; cat -v "$work/tty" >&2; fail=1; }
grep -q $'\rreplay: 0 of 3 (0%)' "$work/tty" ||
	{ echo "progress not drawn at the start" >&2; fail=1; }

sh -c "$cmd" >"$work/out" 2>"$work/err"
grep -q 'replay: 3 of' "$work/out" "$work/err" &&
	{ echo "progress on a file" >&2; fail=1; }
grep -q '^3 tickets replayed' "$work/out" || { cat "$work/out" >&2; fail=1; }

# The report over the whole history: tickets read, no total known.
cmd="'$TRIAGE' report --from 1970-01-01 --to 9999-12-31"
script -qec "$cmd" /dev/null >"$work/tty" </dev/null
grep -q $'\rreport: tickets read: 3\e\\[K, done.' "$work/tty" ||
	{ echo "no report progress on a terminal:" >&2; cat -v "$work/tty" >&2; fail=1; }
sh -c "$cmd" >"$work/out" 2>"$work/err"
grep -q 'tickets read' "$work/out" "$work/err" &&
	{ echo "report progress on a file" >&2; fail=1; }
exit $fail
