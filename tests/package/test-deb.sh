#!/bin/bash
# The Debian package, end to end on this machine: build it from a clean
# clone of the committed tree (dpkg-buildpackage -us -uc -b), lintian
# with no error, install it with apt, then look: hardened binaries, both
# programs answer --help and --version, the unit is in place and enabled,
# config and rules are conffiles and an admin's edit survives a
# reinstall, the triage user exists, the installed config passes
# triaged --check; then purge.  Uncommitted changes are not in the
# package.  Exits 77 where dpkg-buildpackage, debhelper or lintian is
# absent, when not root, or when a triage package is already installed
# (it is never touched).
set -u
: "${TRIAGE_SOURCE_DIR:?}"

skip() { echo "skip: $*"; exit 77; }
for tool in dpkg-buildpackage dh lintian git apt-get; do
	command -v "$tool" >/dev/null || skip "no $tool (scripts/setup-deps.sh)"
done
[ "$(id -u)" -eq 0 ] || skip "installing the package needs root"
if dpkg-query -W -f='${Status}' triage 2>/dev/null | grep -q installed; then
	skip "a triage package is installed here: not replacing it"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-deb.XXXXXX")
had_user=0
getent passwd triage >/dev/null && had_user=1
installed=0
cleanup()
{
	local status=$?
	if [ "$installed" = 1 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q triage \
			>/dev/null 2>&1 || dpkg --purge triage >/dev/null 2>&1
	fi
	# The package leaves its system user, as Debian's do; the test
	# removes the one it made.
	if [ "$had_user" = 0 ] && getent passwd triage >/dev/null; then
		userdel triage 2>/dev/null
		getent group triage >/dev/null && groupdel triage 2>/dev/null
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. Build from a clean clone of HEAD.
rev=$(git -C "$TRIAGE_SOURCE_DIR" rev-parse HEAD) || fail "not a git tree"
git clone -q "$TRIAGE_SOURCE_DIR" "$tmp/src/triage" &&
	git -C "$tmp/src/triage" checkout -q "$rev" || fail "git clone"
start=$(date +%s)
(cd "$tmp/src/triage" &&
	DEB_BUILD_OPTIONS="parallel=${TRIAGE_DEB_JOBS:-2}" \
	dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 || {
	tail -n 40 "$tmp/build.log" >&2
	fail "dpkg-buildpackage"
}
echo "ok: dpkg-buildpackage in $(($(date +%s) - start)) s"
deb=$(ls "$tmp/src"/triage_*.deb) || fail "no triage_*.deb"
ls "$tmp/src"/triage-dbgsym_*.*deb >/dev/null 2>&1 || fail "no -dbgsym"

# 2. lintian: no error (warnings are printed).
changes=$(ls "$tmp/src"/triage_*.changes) || fail "no .changes"
lintian --fail-on error "$changes" >"$tmp/lintian.log" 2>&1
rc=$?
cat "$tmp/lintian.log"
[ "$rc" -eq 0 ] || fail "lintian: errors"
! grep -q '^E: ' "$tmp/lintian.log" || fail "lintian: errors"
echo "ok: lintian, no error"

# 3. Install with apt, as an admin does.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"$deb" >"$tmp/apt.log" 2>&1 || {
	cat "$tmp/apt.log" >&2
	fail "apt-get install ./$(basename "$deb")"
}
installed=1
echo "ok: installed"

if command -v hardening-check >/dev/null; then
	. "$TRIAGE_SOURCE_DIR/tests/package/hardening-lib.sh"
	cet=$(hardening_cet_opt)
	[ -z "$cet" ] || echo "note: no CET in this toolchain: not checked"
	hardening-check $cet /usr/sbin/triaged /usr/bin/triage ||
		fail "hardening-check"
	echo "ok: hardening-check"
else
	echo "note: no hardening-check (devscripts): not checked"
fi
/usr/sbin/triaged --help >/dev/null || fail "triaged --help"
/usr/sbin/triaged --version | grep -qx "triaged [0-9.]*" ||
	fail "triaged --version"
if grep -q -- '"version"' "$tmp/src/triage/daemon/triage.c"; then
	/usr/bin/triage --help >/dev/null || fail "triage --help"
	/usr/bin/triage --version >/dev/null || fail "triage --version"
else
	echo "note: this tree's triage has no --help/--version yet"
fi
echo "ok: --help and --version"

unit=""
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -f "$d/triaged.service" ] && unit=$d/triaged.service
done
[ -n "$unit" ] || fail "no triaged.service"
[ -L /etc/systemd/system/multi-user.target.wants/triaged.service ] ||
	fail "triaged.service not enabled"
grep -qx 'LimitCORE=0' "$unit" || fail "unit: no LimitCORE=0"
getent passwd triage >/dev/null || fail "no triage user (sysusers)"
getent group triage >/dev/null || fail "no triage group"
echo "ok: unit enabled, user and group"

conffiles=$(dpkg-query -W -f='${Conffiles}\n' triage)
for f in /etc/triage/triage.conf /etc/triage/rules.d/40-sales.rules; do
	echo "$conffiles" | grep -q "^ $f " || fail "$f is not a conffile"
done
ls /usr/share/doc/triage/triage.conf.example* >/dev/null 2>&1 ||
	fail "no example config in /usr/share/doc/triage"
[ -f /usr/share/man/man8/triaged.8.gz ] || fail "no triaged(8)"
[ -f /usr/share/man/man5/triage.conf.5.gz ] || fail "no triage.conf(5)"
echo "ok: conffiles, example, man pages"

# The installed config and rules load as the daemon would load them.
if [ -d /var/lib/triage ]; then
	/usr/sbin/triaged --check >"$tmp/check.out" 2>&1 ||
		fail "installed config: $(cat "$tmp/check.out")"
	echo "ok: triaged --check on the installed config"
fi

# 4. An admin's edit survives a reinstall (an upgrade to the same files).
echo '# edited by the admin' >>/etc/triage/triage.conf
echo '# edited by the admin' >>/etc/triage/rules.d/40-sales.rules
dpkg -i "$deb" >"$tmp/reinstall.log" 2>&1 || {
	cat "$tmp/reinstall.log" >&2
	fail "reinstall"
}
grep -q '^# edited by the admin' /etc/triage/triage.conf ||
	fail "reinstall overwrote triage.conf"
grep -q '^# edited by the admin' /etc/triage/rules.d/40-sales.rules ||
	fail "reinstall overwrote a rules file"
echo "ok: conffile edits kept"

# 5. Purge: nothing of it left in /etc or the unit directories.
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q triage \
	>"$tmp/purge.log" 2>&1 || fail "purge: $(cat "$tmp/purge.log")"
installed=0
[ ! -e /etc/triage/triage.conf ] || fail "purge left triage.conf"
[ ! -e "$unit" ] || fail "purge left the unit"
[ ! -e /etc/systemd/system/multi-user.target.wants/triaged.service ] ||
	fail "purge left the unit enabled"
echo "ok: purged"
