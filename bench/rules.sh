#!/bin/bash
# Rules throughput and load time (see bench/rules-bench.c).
#   bench/rules.sh [BUILD_DIR [TOTAL_RULES [MESSAGES [HIT_EVERY]]]]
# Builds the driver in BUILD_DIR (default ./build; configure it with
# -DCMAKE_BUILD_TYPE=Release for figures worth quoting) and prints, on
# ~8 KB bodies and one core: messages/s and MB/s for the default rule set
# and for TOTAL_RULES rules (default 500), with the prefilter and with
# PCRE2 alone, and the time to load each set.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
total=${2:-500}
n=${3:-20000}
hit=${4:-50}

cmake --build "$build" --target rules-bench -j2 > /dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
bin=$build/bench/rules-bench
taskset -c 0 "$bin" "$src/rules" "$total" "$n" "$hit" 2>/dev/null ||
    "$bin" "$src/rules" "$total" "$n" "$hit"
