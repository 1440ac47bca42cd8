# shellcheck shell=bash
# Helpers shared by tests/interop/test-*.sh: servers the harness does not
# run, taken from Debian's packages without installing them (they would
# replace or conflict with what is installed: Cyrus and Dovecot both
# declare Conflicts: imap-server, Postfix Conflicts: mail-transport-agent).
# `apt-get download` into a cache kept between runs, `dpkg -x` into the
# test's scratch directory, run from there.  Sourced by bash.
#
# Needs apt-get and the network the first time (the .debs are kept in
# $TRIAGE_INTEROP_CACHE, default ${TMPDIR:-/tmp}/triage-interop-debs);
# without them interop_unpack says why and exits 77 (skipped).

INTEROP_CACHE=${TRIAGE_INTEROP_CACHE:-${TMPDIR:-/tmp}/triage-interop-debs}

skip() { echo "skipped: $*"; exit 77; }

# interop_unpack ROOT PACKAGE...: each package's .deb (fetched into the
# cache when it is not there yet) unpacked into ROOT.
interop_unpack()
{
	local root=$1 p deb missing=""
	shift
	mkdir -p "$INTEROP_CACHE" "$root"
	for p in "$@"; do
		ls "$INTEROP_CACHE/${p}"_*.deb >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		command -v apt-get >/dev/null || skip "no apt-get to fetch$missing"
		# shellcheck disable=SC2086 # one word a package
		(cd "$INTEROP_CACHE" && apt-get download $missing) \
		    >"$root.apt.log" 2>&1 ||
			skip "apt-get download$missing failed: $(tail -n 1 "$root.apt.log")"
	fi
	for p in "$@"; do
		# The newest version when the cache holds several.
		deb=$(ls "$INTEROP_CACHE/${p}"_*.deb | sort -V | tail -n 1)
		dpkg -x "$deb" "$root"
	done
}

# interop_need_libs BINARY...: skip unless every library they link is
# found (with the LD_LIBRARY_PATH in effect).
interop_need_libs()
{
	local missing
	missing=$(ldd "$@" | grep "not found" | sort -u || true)
	[ -z "$missing" ] || skip "libraries not installed: $missing"
}

# interop_free_port: a currently free TCP port on 127.0.0.1.
interop_free_port()
{
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# interop_wait_port PORT: until 127.0.0.1:PORT accepts, 10 s at most.
interop_wait_port()
{
	local _
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
