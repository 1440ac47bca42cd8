#!/bin/sh
# Quick-start command 2: install what is missing, build with
# AddressSanitizer + UBSan and -Werror, and run the whole suite with ctest.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh
BUILD=${TRIAGE_TEST_BUILD:-build-test}
# The fuzz targets (clang, libFuzzer) build apart in build-fuzz; this
# build's ctest runs each for 30 s (label fuzz, tests/fuzz/README.md).
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DTRIAGE_WERROR=ON \
	-DTRIAGE_SANITIZE=ON -DTRIAGE_FUZZ_DIR="$PWD/build-fuzz" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
# leak checking is on; GMime/GLib keep one-time global caches.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)" "$@"
