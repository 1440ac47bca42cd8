# Sourced by test-hardening.sh and test-deb.sh.
#
# hardening_cet_opt: prints --nocfprotection when this toolchain cannot
# mark a program for CET at all, as on Debian 12, whose C start files
# carry no IBT/SHSTK property, so the linker drops it from every program
# (-fcf-protection or not); prints nothing where it can.
hardening_cet_opt()
{
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/cet.XXXXXX")
	printf 'int main(void) { return 0; }\n' >"$d/t.c"
	if cc -O2 -fcf-protection -o "$d/t" "$d/t.c" 2>/dev/null &&
	    readelf -n "$d/t" 2>/dev/null | grep -q 'IBT'; then
		:
	else
		echo "--nocfprotection"
	fi
	rm -rf "$d"
}
