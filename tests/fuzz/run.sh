#!/bin/sh
# One fuzz target for a while: run.sh BINARY SECONDS WORKDIR [OPTION|SEED_DIR]...
# WORKDIR keeps what the run learnt (corpus/, grown over runs), what it
# found (crashes/: crash-*, leak-*, timeout-*, oom-* inputs) and log.
# Exits as libFuzzer does: 0 when nothing was found.
set -u
bin=$1 seconds=$2 work=$3
shift 3
mkdir -p "$work/corpus" "$work/crashes"
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/crashes/" \
	"$work/corpus" "$@" >"$work/log" 2>&1
rc=$?
# the last status line and the final stats, or the crash report
if [ "$rc" -eq 0 ]; then
	grep -E '^#[0-9]+' "$work/log" | tail -n 1
	grep -E '^stat::' "$work/log"
else
	tail -n 60 "$work/log"
	ls "$work/crashes"
fi
exit "$rc"
