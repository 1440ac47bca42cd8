# shellcheck shell=bash
# What bench/drain.sh and bench/drain-pg.sh share: the harness's servers
# and one mailbox (sales) of COUNT generated messages
# (tests/fixtures/daemon/genmail.py: median ~8 KB, mean ~35 KB with
# attachments).  Sourced with SRC (the source tree) and COUNT set.
. "$SRC/tests/harness/harness.sh"
. "$SRC/tests/integration/daemon-lib.sh"

# bench_mailbox: start the servers and fill sales's INBOX.  BENCH_MAIL=DIR
# keeps the generated mail there for the next run.  Without a rules/
# directory in the tree, classifies with none.
bench_mailbox()
{
	local bytes
	harness_start
	if [ -n "${BENCH_MAIL:-}" ] && [ -f "$BENCH_MAIL/$(printf %06d "$COUNT").eml" ]; then
		ln -s "$BENCH_MAIL" "$HARNESS_DIR/mail"
	else
		echo "generating $COUNT messages..."
		gen "$COUNT" "${BENCH_MAIL:-$HARNESS_DIR/mail}" 1000
		[ -z "${BENCH_MAIL:-}" ] || ln -s "$BENCH_MAIL" "$HARNESS_DIR/mail"
	fi
	# Straight into the Maildir in one process, as an MDA does
	# (deliver's two processes a message take minutes on a busy
	# machine).
	# shellcheck disable=SC2046 # file names are NNNNNN.eml
	/usr/bin/python3 "$SRC/tests/integration/maildir-deliver.py" \
	    "$HARNESS_DIR/home/sales/Maildir" \
	    $(ls "$HARNESS_DIR"/mail/*.eml | head -n "$COUNT")
	[ "$(id -u)" -ne 0 ] || chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home"
	bytes=$(ls "$HARNESS_DIR"/mail/*.eml | head -n "$COUNT" | xargs cat | wc -c)
	echo "mailbox: $COUNT messages, $((bytes / 1024 / 1024)) MB on disk" \
	    "(mean $((bytes / COUNT / 1024)) KB)"
	# Let Dovecot index the folder once, outside any timing.
	harness_count sales INBOX >/dev/null
	if [ ! -d "$SRC/rules" ]; then
		echo "note: no rules/ directory in this tree: classifying with none"
		mkdir -p "$HARNESS_DIR/rules.d"
		export HARNESS_RULES=$HARNESS_DIR/rules.d
	fi
}
