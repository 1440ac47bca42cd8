#!/bin/bash
# hardening-check (devscripts) on both programs of this build: PIE
# (despite the -specs=no-pie-link.specs in Debian 12's libetpan.pc),
# stack protector, full RELRO, BIND_NOW, CET where the toolchain can
# mark a program at all, and _FORTIFY_SOURCE in an optimized build (glibc
# fortifies only optimized code; a Debug or sanitizer build is checked
# for the rest).  Exits 77 where hardening-check is absent.
set -u
: "${TRIAGED:?}" "${TRIAGE:?}" "${TRIAGE_BUILD_DIR:?}"

if ! command -v hardening-check >/dev/null; then
	echo "skip: no hardening-check (apt install devscripts)"
	exit 77
fi
cache=$TRIAGE_BUILD_DIR/CMakeCache.txt
type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
sanitize=$(sed -n 's/^TRIAGE_SANITIZE:[A-Z]*=//p' "$cache")
opts=()
case "$type:$sanitize" in
Release:OFF | RelWithDebInfo:OFF | MinSizeRel:OFF) ;;
*)
	echo "note: $type build (sanitize $sanitize): fortify not checked"
	opts+=(--nofortify)
	;;
esac
# Stack clash: hardening-check says "unknown" when no function needed
# a probe, which is not a failure.  CET: see hardening-lib.sh.
. "$(dirname "$0")/hardening-lib.sh"
cet=$(hardening_cet_opt)
[ -z "$cet" ] || echo "note: this toolchain cannot mark programs for CET: not checked"
[ -z "$cet" ] || opts+=("$cet")
status=0
for bin in "$TRIAGED" "$TRIAGE"; do
	if ! out=$(hardening-check "${opts[@]}" "$bin" 2>&1); then
		echo "FAIL: $bin" >&2
		echo "$out" >&2
		status=1
	else
		echo "ok: $bin"
	fi
done
exit $status
