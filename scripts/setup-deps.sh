#!/bin/sh
# Install the Debian packages that building and testing triage needs
# (debhelper, lintian, devscripts: the package and hardening-check tests).
# Idempotent and non-interactive: installs only what is missing.
set -eu

# clang + libclang-rt-14-dev (its libFuzzer and sanitizer runtimes on
# Debian 12) build tests/fuzz.  Not postfix: it Conflicts with (and would
# replace) the machine's MTA; tests/interop/test-postfix.sh unpacks it.
PKGS="build-essential cmake pkg-config ca-certificates
      libetpan-dev libgmime-3.0-dev libsqlite3-dev libpcre2-dev
      libconfig-dev libsystemd-dev libgnutls28-dev libcmocka-dev
      libjson-c-dev libxml2-dev libvectorscan-dev libcurl4-gnutls-dev
      libsasl2-modules dovecot-imapd python3 python3-aiosmtpd gnutls-bin
      sqlite3 postgresql-15 libpq-dev
      valgrind procps chromium clang-format
      clang libclang-rt-14-dev
      dpkg-dev debhelper lintian devscripts git"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "setup: all build and test packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own throwaway PostgreSQL clusters
# (tests/harness/pg.sh): keep Debian from creating and starting a system
# "main" cluster.  A drop-in, not createcluster.conf itself: that is a
# conffile, and one present before the package is would make dpkg ask.
mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" \
    >/etc/postgresql-common/createcluster.d/triage-no-main.conf
apt-get update -q
# Dovecot's postinst starts the system service; we never use it.
apt-get install -y -q --no-install-recommends $missing
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q dovecot 2>/dev/null; then
	systemctl stop dovecot || true
	systemctl disable dovecot >/dev/null 2>&1 || true
fi
# A system cluster made before the drop-in above: stopped, never used.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q postgresql 2>/dev/null; then
	systemctl stop postgresql || true
	systemctl disable postgresql >/dev/null 2>&1 || true
fi
