# Helpers shared by tests/integration/test-smtp.sh and
# test-forward-smtp.sh, sourced after tests/harness/harness.sh: every
# failure is reported and counted, and the script fails once at the end
# (finish), so one run shows all that is wrong with the client.

failures=0

fail()
{
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

count_spool() { harness_smtp_messages | wc -l; }

# finish NAME ERRLOG: a sanitizer report in ERRLOG (the client's stderr,
# kept so that reports cannot hide behind expected non-zero exits) is a
# failure too; exit 1 when anything failed, else say NAME passed.
finish()
{
	if grep -q 'Sanitizer' "$2"; then
		cat "$2" >&2
		fail "the client reported memory errors or leaks"
	fi
	if [ "$failures" -ne 0 ]; then
		echo "$failures failure(s)" >&2
		exit 1
	fi
	echo "$1: all passed"
}
