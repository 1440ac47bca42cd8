# Real-server test harness: a throwaway Dovecot (IMAP + STARTTLS, IMAPS;
# LOGIN, PLAIN, XOAUTH2, OAUTHBEARER), a throwaway SMTP server (aiosmtpd:
# STARTTLS, implicit TLS, AUTH) and the OAuth2 introspection endpoint
# Dovecot checks tokens with (oauth2d.py), all on 127.0.0.1 on free
# ports, with their own test CA, in one `mktemp -d` directory that is
# removed when the test exits.
#
# Usage (bash):
#	. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
#	harness_start
#	harness_seed sales INBOX msg1.eml msg2.eml
#	harness_write_conf "$HARNESS_DIR/triage.conf"
#	... run the real binaries, compare results ...
#
# harness_start installs an EXIT trap that stops every server and removes
# the directory, also when the test fails (then it prints the servers'
# logs first).  Set HARNESS_KEEP=1 to keep the directory for a look.
# See README.md "Testing" for the full interface.

HARNESS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HARNESS_DOVECOT=${HARNESS_DOVECOT:-/usr/sbin/dovecot}
HARNESS_DOVEADM=${HARNESS_DOVEADM:-/usr/bin/doveadm}
HARNESS_PYTHON=${HARNESS_PYTHON:-/usr/bin/python3}
HARNESS_USERS="sales community support alice bob maria"

harness_fail()
{
	echo "harness: $*" >&2
	return 1
}

# Print four (or $1) currently free TCP ports on 127.0.0.1.
harness_free_ports()
{
	"$HARNESS_PYTHON" - "${1:-4}" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# Is process $1 alive?  A zombie is not: under a container's PID 1 a
# daemonized Dovecot may stay unreaped for a second or more.
harness_alive()
{
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in
	Z*|"") return 1 ;;
	esac
	return 0
}

# Wait until 127.0.0.1:$1 accepts connections; $2 seconds at most.
harness_wait_port()
{
	local port=$1 tries=$((${2:-10} * 20))

	while [ "$tries" -gt 0 ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	return 1
}

# The test CA, a server certificate for 127.0.0.1 + localhost signed by it,
# one for the wrong host name (same CA), one for the right names from a
# second CA the tests never trust, and an expired one from the test CA.
# EC keys: fast to make.
harness_make_certs()
{
	local d=$HARNESS_DIR/tls
	mkdir -p "$d" || return 1
	(
		set -e
		cd "$d"
		exec 2>>"$d/openssl.log" >&2
		key() { openssl genpkey -algorithm EC \
		    -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
		ca() {
			key "$1"
			openssl req -x509 -new -key "$1.key" -days 2 \
			    -subj "/CN=$2" -out "$1.crt" \
			    -addext basicConstraints=critical,CA:TRUE \
			    -addext keyUsage=critical,keyCertSign,cRLSign
		}
		leaf() { # name ca cn san
			key "$1"
			openssl req -new -key "$1.key" -subj "/CN=$3" \
			    -out "$1.csr"
			printf '%s\n' "subjectAltName=$4" \
			    "basicConstraints=critical,CA:FALSE" \
			    "keyUsage=critical,digitalSignature" \
			    "extendedKeyUsage=serverAuth" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$2.crt" \
			    -CAkey "$2.key" -CAcreateserial -days 2 \
			    -extfile "$1.ext" -out "$1.crt"
		}
		ca ca "triage test CA"
		ca untrusted-ca "some other CA"
		leaf good ca localhost "DNS:localhost,IP:127.0.0.1"
		leaf wronghost ca wrong.example "DNS:wrong.example"
		leaf untrusted untrusted-ca localhost \
		    "DNS:localhost,IP:127.0.0.1"
		# Expired (2020): openssl x509 cannot backdate, certtool can.
		key expired
		printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' \
		    'ip_address = "127.0.0.1"' tls_www_server signing_key \
		    'activation_date = "2020-01-01 00:00:00"' \
		    'expiration_date = "2020-01-02 00:00:00"' >expired.tpl
		certtool --generate-certificate --load-privkey expired.key \
		    --load-ca-certificate ca.crt --load-ca-privkey ca.key \
		    --template expired.tpl --outfile expired.crt
	) || harness_fail "making test certificates failed: $(cat "$d/openssl.log")"
}

# Dovecot refuses to run login processes or mail access as root.  As an
# ordinary user everything runs as that user; as root (CI) the mail and
# internal processes run as Debian's "dovecot" user and the login
# processes as "dovenull", both created by the dovecot-core package.
harness_pick_users()
{
	if [ "$(id -u)" -ne 0 ]; then
		HARNESS_RUN_USER=$(id -un)
		HARNESS_LOGIN_USER=$HARNESS_RUN_USER
		return 0
	fi
	HARNESS_RUN_USER=dovecot
	HARNESS_LOGIN_USER=dovenull
	id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 ||
		harness_fail "running as root needs the dovecot and dovenull users (dovecot-core)"
}

harness_make_users()
{
	local u
	: >"$HARNESS_DIR/passwd"
	mkdir -p "$HARNESS_DIR/home" "$HARNESS_DIR/rawlog" \
	    "$HARNESS_DIR/secrets" || return 1
	chmod 700 "$HARNESS_DIR/secrets"
	for u in $HARNESS_USERS; do
		echo "$u:{PLAIN}$u-pw::::::" >>"$HARNESS_DIR/passwd"
		mkdir -p "$HARNESS_DIR/home/$u" "$HARNESS_DIR/rawlog/$u"
		(umask 077; echo "$u-pw" >"$HARNESS_DIR/secrets/$u.pass")
	done
	(umask 077; echo "$SMTP_PASS" >"$HARNESS_DIR/secrets/smtp.pass")
	if [ "$(id -u)" -eq 0 ]; then
		# Dovecot's unprivileged processes must reach their files.
		chmod 711 "$HARNESS_DIR"
		chmod 644 "$HARNESS_DIR/passwd"
		chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home" \
		    "$HARNESS_DIR/rawlog"
	fi
}

# Password of an IMAP user, and a 0600 file holding it (password_file).
harness_password() { echo "$1-pw"; }
harness_password_file() { echo "$HARNESS_DIR/secrets/$1.pass"; }

# Write $HARNESS_DIR/dovecot.conf from the template, serving certificate
# $1: good (default), wronghost, untrusted or expired.
harness_dovecot_config()
{
	local cert=${1:-good}
	sed -e "s|@DIR@|$HARNESS_DIR|g" \
	    -e "s|@ID@|${HARNESS_DIR##*.}|g" \
	    -e "s|@USER@|$HARNESS_RUN_USER|g" \
	    -e "s|@LOGIN_USER@|$HARNESS_LOGIN_USER|g" \
	    -e "s|@GROUP@|$(id -gn "$HARNESS_RUN_USER")|g" \
	    -e "s|@UID@|$(id -u "$HARNESS_RUN_USER")|g" \
	    -e "s|@GID@|$(id -g "$HARNESS_RUN_USER")|g" \
	    -e "s|@CERT@|$cert|g" \
	    -e "s|@IMAP_PORT@|$IMAP_PORT|g" -e "s|@IMAPS_PORT@|$IMAPS_PORT|g" \
	    "$HARNESS_SRC/dovecot.conf.in" >"$DOVECOT_CONF"
	sed -e "s|@OAUTH2_PORT@|$OAUTH2_PORT|g" \
	    "$HARNESS_SRC/dovecot-oauth2.conf.ext.in" \
	    >"$HARNESS_DIR/dovecot-oauth2.conf.ext"
	# Read by the auth process, which does not run as root.
	chmod 644 "$HARNESS_DIR/dovecot-oauth2.conf.ext"
}

# Empty (and still success, for `set -e` callers) while there is none.
harness_dovecot_pid()
{
	cat "$HARNESS_DIR/run/master.pid" 2>/dev/null || true
}

# Start Dovecot serving certificate $1 (good | wronghost | untrusted |
# expired).
harness_dovecot_start()
{
	local tries
	[ -x "$HARNESS_DOVECOT" ] ||
		harness_fail "dovecot not found at $HARNESS_DOVECOT (apt-get install dovecot-imapd)" ||
		return 1
	harness_dovecot_config "${1:-good}" || return 1
	mkdir -p "$HARNESS_DIR/run" "$HARNESS_DIR/state"
	if ! "$HARNESS_DOVECOT" -c "$DOVECOT_CONF" 2>>"$DOVECOT_LOG"; then
		tail -n 20 "$DOVECOT_LOG" >&2
		harness_fail "dovecot did not start"
		return 1
	fi
	# The login processes need this before the first client arrives.
	mkdir -p "$HARNESS_DIR/run/login/rawlogs"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$HARNESS_LOGIN_USER:" "$HARNESS_DIR/run/login/rawlogs"
	fi
	if ! harness_wait_port "$IMAP_PORT" 10 ||
	    ! harness_wait_port "$IMAPS_PORT" 10; then
		tail -n 20 "$DOVECOT_LOG" >&2
		harness_fail "dovecot does not listen on $IMAP_PORT/$IMAPS_PORT"
		return 1
	fi
	# The master writes its pid file around the time it starts listening;
	# under load it can trail the sockets, so wait for it (bounded).
	tries=200
	while :; do
		HARNESS_DOVECOT_PGID=$(harness_dovecot_pid)
		if [ -n "$HARNESS_DOVECOT_PGID" ] &&
		    [ "$(ps -o pgid= -p "$HARNESS_DOVECOT_PGID" | tr -d ' ')" = \
		    "$HARNESS_DOVECOT_PGID" ]; then
			break
		fi
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || break
		sleep 0.05
	done
	if [ -z "$HARNESS_DOVECOT_PGID" ] ||
	    [ "$(ps -o pgid= -p "$HARNESS_DOVECOT_PGID" | tr -d ' ')" != \
	    "$HARNESS_DOVECOT_PGID" ]; then
		HARNESS_DOVECOT_PGID=
		harness_fail "dovecot's master is not a process group leader"
		return 1
	fi
}

# Stop Dovecot and wait until it and its children are gone (SIGCONT first,
# in case a test paused it).
harness_dovecot_stop()
{
	local pid tries=500
	pid=$(harness_dovecot_pid) || return 0
	[ -n "$pid" ] || return 0
	harness_dovecot_resume
	kill -TERM "$pid" 2>/dev/null || true
	while harness_alive "$pid" && [ "$tries" -gt 0 ]; do
		sleep 0.02
		tries=$((tries - 1))
	done
	# Graceful or not, leave no process of this instance behind.
	harness_dovecot_signal KILL || true
	tries=500
	while harness_group_alive "$pid" && [ "$tries" -gt 0 ]; do
		sleep 0.02
		tries=$((tries - 1))
	done
	rm -f "$HARNESS_DIR/run/master.pid"
	HARNESS_DOVECOT_PGID=
}

# Dovecot's master daemonizes into a session and process group of its own
# (pgid = its pid), so signals go to the whole group: no child forked in
# between can escape.  Guarded, so we never signal our own group.
harness_dovecot_signal()
{
	local g=${HARNESS_DOVECOT_PGID:-}
	[ -n "$g" ] || return 1
	[ "$g" != "$(ps -o pgid= -p $$ | tr -d ' ')" ] || return 1
	kill "-$1" -- "-$g" 2>/dev/null || true
}

# Does any live (non-zombie) process remain in Dovecot's group $1?
harness_group_alive()
{
	ps -e -o pgid=,stat= | awk -v g="$1" \
	    '$1 == g && $2 !~ /^Z/ { alive = 1 } END { exit !alive }'
}

# Crash Dovecot: SIGKILL the master and all its processes at once, no
# goodbye to clients.  harness_dovecot_start brings it back.
harness_dovecot_kill()
{
	local pid tries
	pid=$(harness_dovecot_pid) || return 0
	[ -n "$pid" ] || return 0
	harness_dovecot_signal KILL || true
	tries=500
	while harness_group_alive "$pid" && [ "$tries" -gt 0 ]; do
		sleep 0.02
		tries=$((tries - 1))
	done
	rm -f "$HARNESS_DIR/run/master.pid"
	HARNESS_DOVECOT_PGID=
}

harness_dovecot_restart()
{
	harness_dovecot_stop && harness_dovecot_start "$@"
}

# Freeze / thaw the whole Dovecot instance (master and every child), so
# a client sees a server that accepts connections and never answers.
harness_dovecot_pause()
{
	harness_dovecot_signal STOP
}

harness_dovecot_resume()
{
	harness_dovecot_signal CONT || true
}

harness_doveadm()
{
	"$HARNESS_DOVEADM" -c "$DOVECOT_CONF" "$@"
}

# harness_seed USER FOLDER FILE...: deliver each file into USER's FOLDER
# (created if missing), in order, so UIDs follow the argument order.
# Dovecot stores LF line ends; IMAP hands them out as CRLF.
harness_seed()
{
	local user=$1 folder=$2 f
	shift 2
	if [ "$folder" != INBOX ]; then
		harness_doveadm mailbox create -u "$user" "$folder" \
		    2>/dev/null || true
	fi
	for f in "$@"; do
		harness_doveadm save -u "$user" -m "$folder" <"$f" ||
			harness_fail "seeding $f into $user/$folder failed" ||
			return 1
	done
}

# harness_acl USER FOLDER [RIGHT...]: the owner's rights on FOLDER
# (doveadm acl: e.g. "lookup read", so nothing can be copied or moved
# in); without RIGHTs, every right again.  Each IMAP connection is a new
# process: the next login sees the change.
harness_acl()
{
	local user=$1 folder=$2
	shift 2
	if [ $# -eq 0 ]; then
		harness_doveadm acl delete -u "$user" "$folder" owner
	else
		harness_doveadm acl set -u "$user" "$folder" owner "$@"
	fi
}

# Number of messages in USER's FOLDER, from the server.
harness_count()
{
	harness_doveadm -f flow mailbox status -u "$1" messages "$2" |
	    sed 's/.*messages=//'
}

harness_smtp_start()
{
	local tries
	mkdir -p "$SMTP_SPOOL" || return 1
	rm -f "$SMTP_SPOOL/.ready"
	"$HARNESS_PYTHON" "$HARNESS_SRC/smtpd.py" --spool "$SMTP_SPOOL" \
	    --port "$SMTP_PORT" --tls-port "$SMTPS_PORT" \
	    --cert "$HARNESS_DIR/tls/good.crt" \
	    --key "$HARNESS_DIR/tls/good.key" \
	    --user "$SMTP_USER" --password-file "$HARNESS_DIR/secrets/smtp.pass" \
	    --auth-required "${HARNESS_SMTP_AUTH_REQUIRED:-1}" \
	    --8bitmime "${HARNESS_SMTP_8BITMIME:-1}" \
	    --smtputf8 "${HARNESS_SMTP_SMTPUTF8:-0}" \
	    --log "$SMTP_LOG" </dev/null >>"$SMTP_LOG" 2>&1 &
	HARNESS_SMTP_PID=$!
	# .ready is written once both listeners are up: it can trail the
	# ports by a moment under load, so wait for it too (bounded).
	tries=200
	while [ ! -e "$SMTP_SPOOL/.ready" ] && [ "$tries" -gt 0 ] &&
	    harness_alive "$HARNESS_SMTP_PID"; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if ! harness_wait_port "$SMTP_PORT" 10 ||
	    ! harness_wait_port "$SMTPS_PORT" 10 ||
	    [ ! -e "$SMTP_SPOOL/.ready" ]; then
		tail -n 20 "$SMTP_LOG" >&2
		harness_fail "SMTP server did not start"
		return 1
	fi
}

# harness_end PID: SIGTERM (woken first if a test stopped it), up to
# 2 s to go, then SIGKILL; reaped.
harness_end()
{
	local tries=100
	kill -CONT "$1" 2>/dev/null || true
	kill -TERM "$1" 2>/dev/null || true
	while harness_alive "$1" && [ "$tries" -gt 0 ]; do
		sleep 0.02
		tries=$((tries - 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

harness_smtp_stop()
{
	[ -n "${HARNESS_SMTP_PID:-}" ] || return 0
	harness_end "$HARNESS_SMTP_PID"
	HARNESS_SMTP_PID=
	return 0
}

harness_smtp_restart()
{
	harness_smtp_stop && harness_smtp_start
}

# The OAuth2 introspection endpoint Dovecot's oauth2 passdb asks about
# every XOAUTH2 / OAUTHBEARER token (oauth2d.py).  It knows the tokens
# in $OAUTH2_DIR/tokens; harness_oauth2_grant and harness_oauth2_revoke
# edit that file, and it is read at every request.
harness_oauth2_start()
{
	local tries=200
	mkdir -p "$OAUTH2_DIR" || return 1
	rm -f "$OAUTH2_DIR/.ready"
	touch "$OAUTH2_DIR/tokens"
	"$HARNESS_PYTHON" "$HARNESS_SRC/oauth2d.py" --dir "$OAUTH2_DIR" \
	    --port "$OAUTH2_PORT" --log "$OAUTH2_LOG" \
	    </dev/null >>"$OAUTH2_LOG" 2>&1 &
	HARNESS_OAUTH2_PID=$!
	while [ ! -e "$OAUTH2_DIR/.ready" ] && [ "$tries" -gt 0 ] &&
	    harness_alive "$HARNESS_OAUTH2_PID"; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if [ ! -e "$OAUTH2_DIR/.ready" ] ||
	    ! harness_wait_port "$OAUTH2_PORT" 10; then
		tail -n 20 "$OAUTH2_LOG" >&2
		harness_fail "OAuth2 introspection server did not start"
		return 1
	fi
}

harness_oauth2_stop()
{
	[ -n "${HARNESS_OAUTH2_PID:-}" ] || return 0
	harness_end "$HARNESS_OAUTH2_PID"
	HARNESS_OAUTH2_PID=
	return 0
}

# harness_oauth2_grant USER [TOKEN]: make TOKEN (default: a fresh random
# one) a valid token of USER and print it.
harness_oauth2_grant()
{
	local token=${2:-}
	if [ -z "$token" ]; then
		token=ya29.test-$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
	fi
	echo "$token $1" >>"$OAUTH2_DIR/tokens"
	echo "$token"
}

# harness_oauth2_revoke TOKEN: from now on TOKEN is inactive.
harness_oauth2_revoke()
{
	local tmp=$OAUTH2_DIR/tokens.new
	awk -v t="$1" '$1 != t' "$OAUTH2_DIR/tokens" >"$tmp"
	mv "$tmp" "$OAUTH2_DIR/tokens"
}

# Where harness_write_conf points oauth2_token_file for USER (0600, in
# the secrets directory); harness_oauth2_write_token USER TOKEN fills it.
harness_oauth2_token_file() { echo "$HARNESS_DIR/secrets/$1.token"; }
harness_oauth2_write_token()
{
	local f
	f=$(harness_oauth2_token_file "$1")
	# Replace, as a token refresher does: never a half-written file.
	(umask 077; echo "$2" >"$f.new") && mv "$f.new" "$f"
}

# The stored messages, oldest first: one NNNN.eml path a line.  The
# envelope of each is beside it as NNNN.env (mail_from:, rcpt:, auth:,
# tls: lines).
harness_smtp_messages()
{
	local env
	for env in "$SMTP_SPOOL"/*.env; do
		[ -e "$env" ] || continue
		echo "${env%.env}.eml"
	done
}

# harness_smtp_reject ADDRESS CODE [TEXT]: from now on RCPT TO ADDRESS
# (or * for everyone) is answered "CODE TEXT".  harness_smtp_accept
# removes every such rule.
harness_smtp_reject()
{
	echo "$1 $2 ${3:-rejected by test}" >>"$SMTP_SPOOL/reject"
}

harness_smtp_accept()
{
	rm -f "$SMTP_SPOOL/reject"
}

# harness_write_conf FILE [DATABASE]: a triage.conf for the running
# servers: mailboxes sales and community (imap tls from $HARNESS_IMAP_TLS:
# implicit (default) | starttls | none; after from $HARNESS_AFTER, default
# flag; the folder from $HARNESS_FOLDER, default INBOX), SMTP on the STARTTLS port, routes, a team, all verified against
# the test CA.  A mailbox named in $HARNESS_OAUTH2_MAILBOXES logs in
# with XOAUTH2, oauth2_token_file = $(harness_oauth2_token_file NAME),
# instead of its password_file.
harness_write_conf()
{
	local file=$1 db=${2:-$HARNESS_DIR/triage.db}
	local tls=${HARNESS_IMAP_TLS:-implicit} after=${HARNESS_AFTER:-flag}
	local folder=${HARNESS_FOLDER:-INBOX}
	local port=$IMAPS_PORT secret
	local rules=${HARNESS_RULES:-${TRIAGE_SOURCE_DIR:-$HARNESS_SRC/../..}/rules}
	[ "$tls" = implicit ] || port=$IMAP_PORT
	{
		cat <<EOF
# written by tests/harness/harness.sh for servers in $HARNESS_DIR
database = "$db";
rules    = "$rules";
poll_interval = 1;

mailboxes = (
EOF
		local sep="" m
		for m in sales community; do
			secret="password_file = \"$(harness_password_file "$m")\""
			case " ${HARNESS_OAUTH2_MAILBOXES:-} " in
			*" $m "*)
				secret="oauth2_token_file = \"$(harness_oauth2_token_file "$m")\""
				;;
			esac
			cat <<EOF
  $sep{ name = "$m"; address = "$m@example.com"; queue = "$m";
    imap = { host = "127.0.0.1"; port = $port; tls = "$tls";
             user = "$m"; $secret;
             folder = "$folder"; ca_file = "$HARNESS_CA"; };
    after = "$after"; }
EOF
			sep=","
		done
		cat <<EOF
);

smtp = { host = "127.0.0.1"; port = $SMTP_PORT; tls = "starttls";
         user = "$SMTP_USER"; password_file = "$HARNESS_DIR/secrets/smtp.pass";
         from = "Triage <triage@example.com>"; ca_file = "$HARNESS_CA"; };

routes = {
  sales   = "sales-team@example.com";
  support = { to = "support@example.com"; style = "redirect"; };
};

team = (
  { name = "alice"; address = "alice@example.com"; role = "bdr"; },
  { name = "bob";   address = "bob@example.com";   role = "bdr"; },
  { name = "maria"; address = "maria@example.com"; role = "manager"; }
);

sla = { claim = "4h"; acknowledge = "1d"; digest_to = "bdr-managers@example.com"; };
EOF
	} >"$file"
}

# Where Dovecot writes the post-login IMAP transcript of USER
# (*.in / *.out files, one pair per session).
harness_rawlog_dir() { echo "$HARNESS_DIR/rawlog/$1"; }

# Where Dovecot writes the pre-login transcript of every connection
# (greeting, CAPABILITY, STARTTLS, AUTHENTICATE/LOGIN: test passwords
# appear here in clear).
# (Dovecot writes TLS traffic there still encrypted.)
harness_login_rawlog_dir() { echo "$HARNESS_DIR/run/login/rawlogs"; }

# Stop everything and remove the directory.  Safe to call twice.
harness_stop()
{
	local status=${1:-0}
	[ -n "${HARNESS_DIR:-}" ] && [ -d "$HARNESS_DIR" ] || return 0
	: >"$HARNESS_DIR/.stopped"	# the watchdog stands down
	if [ "$status" -ne 0 ]; then
		echo "harness: test failed ($status); server logs follow" >&2
		tail -n 40 "$DOVECOT_LOG" "$SMTP_LOG" "$OAUTH2_LOG" >&2 \
		    2>/dev/null || true
	fi
	harness_smtp_stop
	harness_dovecot_stop
	harness_oauth2_stop
	if [ -n "${HARNESS_KEEP:-}" ]; then
		echo "harness: kept $HARNESS_DIR" >&2
	else
		rm -rf "$HARNESS_DIR"
	fi
	HARNESS_DIR=
}

harness_on_exit()
{
	local status=$?
	# Finish the cleanup whatever happens now: a reader that went away
	# (SIGPIPE) or a second ^C must not cut it short.
	trap '' PIPE HUP INT TERM
	set +e
	harness_stop "$status"
	exit "$status"
}

# Start both servers on free ports and export where they are.
harness_start()
{
	local try ports
	[ -x "$HARNESS_DOVECOT" ] ||
		harness_fail "dovecot not found at $HARNESS_DOVECOT (apt-get install dovecot-imapd): this is a failure, not a skip" ||
		return 1
	[ -x "$HARNESS_DOVEADM" ] || harness_fail "doveadm not found" || return 1
	"$HARNESS_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
		harness_fail "$HARNESS_PYTHON lacks aiosmtpd (apt-get install python3-aiosmtpd)" ||
		return 1
	command -v openssl >/dev/null ||
		harness_fail "openssl not found" || return 1
	command -v certtool >/dev/null ||
		harness_fail "certtool not found (apt-get install gnutls-bin)" ||
		return 1

	HARNESS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/triage-harness.XXXXXX") ||
		return 1
	trap harness_on_exit EXIT
	# A command that ends the test through `set -e` says which it was.
	set -o errtrace
	trap 'echo "harness: failed (status $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
	export HARNESS_DIR
	export DOVECOT_CONF=$HARNESS_DIR/dovecot.conf
	export DOVECOT_LOG=$HARNESS_DIR/dovecot.log
	export SMTP_SPOOL=$HARNESS_DIR/smtp
	export SMTP_LOG=$HARNESS_DIR/smtpd.log
	export HARNESS_CA=$HARNESS_DIR/tls/ca.crt
	export HARNESS_UNTRUSTED_CA=$HARNESS_DIR/tls/untrusted-ca.crt
	export IMAP_HOST=127.0.0.1 SMTP_HOST=127.0.0.1
	export IMAP_USER=sales IMAP_PASS=sales-pw
	export SMTP_USER=triage SMTP_PASS=triage-smtp-pw
	export SMTP_PASS_FILE=$HARNESS_DIR/secrets/smtp.pass
	export OAUTH2_DIR=$HARNESS_DIR/oauth2
	export OAUTH2_LOG=$HARNESS_DIR/oauth2d.log

	harness_pick_users || return 1
	harness_make_certs || return 1
	harness_make_users || return 1
	# Another test may take a port between our probe and our bind: retry.
	for try in 1 2 3 4 5; do
		ports=$(harness_free_ports 5) || return 1
		read -r IMAP_PORT IMAPS_PORT SMTP_PORT SMTPS_PORT OAUTH2_PORT \
		    <<<"$ports"
		export IMAP_PORT IMAPS_PORT SMTP_PORT SMTPS_PORT OAUTH2_PORT
		if harness_oauth2_start 2>>"$HARNESS_DIR/start.log" &&
		    harness_dovecot_start good 2>>"$HARNESS_DIR/start.log" &&
		    harness_smtp_start 2>>"$HARNESS_DIR/start.log"; then
			# Outside our process tree: cleans up even after a
			# SIGKILL (ctest's timeout), when no trap runs.
			setsid -f /bin/bash "$HARNESS_SRC/watchdog.sh" $$ \
			    "$HARNESS_DIR" </dev/null >/dev/null 2>&1
			return 0
		fi
		harness_smtp_stop
		harness_dovecot_stop
		harness_oauth2_stop
	done
	cat "$HARNESS_DIR/start.log" >&2
	harness_fail "could not start the servers"
}
