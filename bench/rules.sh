#!/bin/sh
# Rules throughput and load time (see bench/rules-bench.c).
#   bench/rules.sh [BUILD_DIR [TOTAL_RULES [MESSAGES [HIT_EVERY]]]]
# Builds the driver against BUILD_DIR's libtriage (default ./build; run
# cmake --build first) and prints figures for the default rule set and
# for TOTAL_RULES rules (default 500), on ~8 KB bodies, one core.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
total=${2:-500}
n=${3:-20000}
hit=${4:-50}
lib=$build/lib/libtriage.a
[ -f "$lib" ] || { echo "no $lib: build first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/lib" -o "$out/rules-bench" \
    "$src/bench/rules-bench.c" "$lib" \
    $(pkg-config --cflags --libs libpcre2-8 libhs gmime-3.0 libetpan \
      sqlite3 libconfig libsystemd gnutls json-c libxml-2.0) -lm
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
taskset -c 0 "$out/rules-bench" "$src/rules" "$total" "$n" "$hit" ||
    "$out/rules-bench" "$src/rules" "$total" "$n" "$hit"
