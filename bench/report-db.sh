#!/bin/sh
# `triage report`, `triage queue` and `triage search` over a database of
# N tickets (default 1,000,000) spread over the last year, by two builds
# in one run: BASE (the baseline, e.g. main before a change) and BUILD.
#
# The database is made once by tests/integration/report-many-db.sh with
# BASE's `triage db init` (its schema), and copied; BUILD's `triage db
# init` migrates the copy to its schema (timed: what an upgrade costs on
# that many rows).  Every figure is then measured on both, BASE on its
# copy and BUILD on the other, one after the other, and printed side by
# side with BUILD/BASE, so the ratio does not depend on the machine.
# Last, the JSON of a year's report of one mailbox (the whole year's
# breach list would exceed the 64 MB output cap) and of 30 days, both
# ending before today so that nothing depends on the clock, must be the
# same from both builds but for "generated": the script fails otherwise.
#
# Each line: wall seconds of BASE and BUILD and their ratio, then the
# same for CPU seconds (user + system), which other load on the machine
# changes less.  Last, `triage search` must list the same tickets in
# the same order from both builds.
#
#   bench/report-db.sh BUILD BASE [N] [DIR]
#
# BUILD and BASE are configured build directories (Release, e.g.
# `cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release`; for BASE, the
# same from `git worktree add /tmp/base main`).  The databases are
# DIR/report-N-base.db and DIR/report-N-new.db (DIR defaults to
# /tmp/triage-report-bench) and are reused when they exist: delete them
# to rebuild (a million tickets take some minutes).
set -eu
cd "$(dirname "$0")/.."
usage="usage: bench/report-db.sh BUILD BASE [N] [DIR]"
BUILD=${1:?$usage}
BASE=${2:?$usage}
N=${3:-1000000}
DIR=${4:-/tmp/triage-report-bench}
command -v sqlite3 >/dev/null || { echo "need the sqlite3 shell" >&2; exit 2; }
command -v jq >/dev/null || { echo "need jq" >&2; exit 2; }
for b in "$BUILD" "$BASE"; do
	cmake --build "$b" --target triage-cli -j2 >/dev/null
done
NEW_T=$BUILD/daemon/triage
BASE_T=$BASE/daemon/triage
mkdir -p "$DIR"
BASE_DB=$DIR/report-$N-base.db
NEW_DB=$DIR/report-$N-new.db

secs() {
	start=$(date +%s.%N)
	"$@" >/dev/null
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}

if [ ! -s "$BASE_DB" ]; then
	rm -f "$NEW_DB"
	printf 'building %s tickets ... ' "$N"
	t=$(secs sh tests/integration/report-many-db.sh "$BASE_T" "$N" "$BASE_DB")
	echo "$t s"
fi
if [ ! -s "$NEW_DB" ]; then
	cp "$BASE_DB" "$NEW_DB"
	echo "migrating a copy to BUILD's schema: $(secs "$NEW_T" db init \
	    --db "$NEW_DB") s"
fi
echo "database: $(du -m "$BASE_DB" | cut -f1) MB, $(sqlite3 "$BASE_DB" \
    'SELECT count(*) FROM tickets') tickets, $(sqlite3 "$BASE_DB" \
    'SELECT count(*) FROM events') events; schema $(sqlite3 "$BASE_DB" \
    'PRAGMA user_version') (BASE), $(sqlite3 "$NEW_DB" \
    'PRAGMA user_version') (BUILD)"

# run T ARGS...: "wall cpu" seconds of `T ARGS` (cpu: user + system,
# what the machine's other load does not change much)
run() {
	/usr/bin/time -f '%e %U %S' -o "$DIR/time" "$@" >/dev/null
	awk '{ printf "%s %.2f", $1, $2 + $3 }' "$DIR/time"
}
# both LABEL ARGS...: `triage ARGS` by BASE and by BUILD
both() {
	label=$1
	shift
	a=$(run "$BASE_T" "$@" --db "$BASE_DB")
	b=$(run "$NEW_T" "$@" --db "$NEW_DB")
	echo "$label $a $b" | awk '{ n = NF; printf "%-34s %7.2f %7.2f %7.2f  %6.2f %6.2f %6.2f\n",
	    substr($0, 1, length($0) - length($(n-3) $(n-2) $(n-1) $n) - 4),
	    $(n-3), $(n-1), $(n-1) / $(n-3), $(n-2), $n,
	    $n / ($(n-2) > 0 ? $(n-2) : 0.01) }'
}
out=$DIR/out
printf '%-34s %23s  %20s\n' "" "wall s: BASE BUILD ratio" "cpu s: BASE BUILD ratio"
# the first runs may read the files from disk; the rest find them cached
both "30d text (first run)" report --since 30d
both "30d text" report --since 30d
both "30d json" report --since 30d --format json
both "30d html" report --since 30d --format html -o "$out.html"
both "30d json, one mailbox" report --since 30d --format json \
    --mailbox community
both "365d text" report --since 365d
both "365d html" report --since 365d --format html -o "$out.html"
both "365d json, one mailbox" report --since 365d --format json \
    --mailbox community -o "$out.json"
both "queue" queue
both "queue --queue sales --state new" queue --queue sales --state new
both "search customer4242 (1 in 5000)" search customer4242
both "search seats (every message)" search seats

# the same figures from both builds (the report JSON, then search)
# (--to names the last day included: yesterday, so that "now" is after
# the period and no breach's lateness depends on when the run was)
today=$(date +%Y-%m-%d)
yesterday=$(date -d "$today - 1 day" +%Y-%m-%d)
year_ago=$(date -d "$today - 365 days" +%Y-%m-%d)
month_ago=$(date -d "$today - 30 days" +%Y-%m-%d)
same() {
	for b in BASE NEW; do
		if [ $b = BASE ]; then t=$BASE_T db=$BASE_DB; else t=$NEW_T db=$NEW_DB; fi
		"$t" report --db "$db" --format json -o "$out.$b.json" "$@"
		jq -S 'del(.generated)' "$out.$b.json" >"$out.$b.cmp"
	done
	if cmp -s "$out.BASE.cmp" "$out.NEW.cmp"; then
		echo "same report JSON from both builds: $*"
	else
		echo "DIFFERENT report JSON: $* (diff $out.BASE.cmp $out.NEW.cmp)"
		exit 1
	fi
}
same --from "$year_ago" --to "$yesterday" --mailbox community
same --from "$month_ago" --to "$yesterday"
# and the same tickets found, in the same order
same_search() {
	"$BASE_T" search --db "$BASE_DB" --json "$@" >"$out.BASE.search"
	"$NEW_T" search --db "$NEW_DB" --json "$@" >"$out.NEW.search"
	if cmp -s "$out.BASE.search" "$out.NEW.search"; then
		echo "same search results from both builds: $*"
	else
		echo "DIFFERENT search results: $* (diff $out.BASE.search" \
		    "$out.NEW.search)"
		exit 1
	fi
}
same_search customer4242
same_search seats
same_search seats --limit 500
