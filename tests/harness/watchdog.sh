#!/bin/bash
# watchdog.sh PID DIR: started by harness_start outside the test's process
# tree (setsid -f), so that a test killed outright (ctest's timeout sends
# SIGKILL to the whole tree, and no EXIT trap runs) still leaves no
# servers, ports or files behind.  Waits while PID lives and DIR is in
# use; then, unless harness_stop already ran (DIR/.stopped), kills the
# servers that DIR's pid files name (after checking they belong to DIR)
# and removes DIR.
parent=$1
dir=$2

alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in
	Z*|"") return 1 ;;
	esac
}

# Does process $1 run with $dir in its command line?
ours() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$dir"
}

while alive "$parent" && [ -d "$dir" ] && [ ! -e "$dir/.stopped" ]; do
	sleep 1
done
[ -d "$dir" ] && [ ! -e "$dir/.stopped" ] || exit 0

pid=$(cat "$dir/run/master.pid" 2>/dev/null)
if [ -n "$pid" ] && ours "$pid" &&
    [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
	kill -KILL -- "-$pid" 2>/dev/null
fi
for ready in "$dir/smtp/.ready" "$dir/oauth2/.ready"; do
	pid=$(cat "$ready" 2>/dev/null)
	if [ -n "$pid" ] && ours "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
done
sleep 0.5
rm -rf "$dir"
