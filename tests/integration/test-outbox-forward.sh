#!/bin/bash
# The outbox sender under the real triaged, the real Dovecot and the real
# SMTP server: a ticket routed to sales (attach) arrives once with every
# thread message attached byte-identical to what was ingested; one routed
# to support (redirect) arrives as the customer's message intact behind
# Resent-* headers; follow-ups from the customer are forwarded too; a
# reply from support threads back into its ticket by our Message-ID and is
# not forwarded back; an auto-reply from support's helpdesk and a message
# carrying our X-Loop produce no mail at all.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

harness_start
outbox_trap
# The sender's own loop protection at send time is tested here, so the
# loop mails must reach the outbox: no rules (the default set ignores
# auto-replies and X-Loop mail, which are then never queued at all).
mkdir -p "$HARNESS_DIR/no-rules"
HARNESS_RULES=$HARNESS_DIR/no-rules
conf
W=$HARNESS_DIR/work
mkdir -p "$W"

deliver sales INBOX "$OUTBOX_FIX/c1.eml" "$OUTBOX_FIX/d1.eml"
once || fail "--once exited $?"
T1=$(ticket_of o1.pat@buyer.example)
T2=$(ticket_of o1.dana@user.example)
[ -n "$T1" ] && [ -n "$T2" ] && [ "$T1" != "$T2" ] || fail "tickets $T1 $T2"

# 1. attach: routed to sales, one mail, the thread byte-identical.
cli claim "$T1" >/dev/null || fail "claim"
cli route "$T1" sales >/dev/null || fail "route"
once || fail "--once exited $?"
[ "$(spool_count)" = 1 ] || fail "attach: $(spool_count) mails, want 1"
[ "$(spool_rcpt 1)" = sales-team@example.com ] || fail "attach rcpt: $(spool_rcpt 1)"
raw o1.pat@buyer.example "$W/c1.raw"
check attach "$(spool_nth 1)" "$W/c1.raw" || fail "attach content"
once || fail "--once exited $?"
[ "$(spool_count)" = 1 ] || fail "sent again on the next run"
[ "$(sql "SELECT state || ' ' || parts_sent FROM outbox WHERE ticket_id = $T1")" = "sent 1" ] ||
	fail "outbox row not sent: $(sql "SELECT * FROM outbox")"
sql "SELECT count(*) FROM events WHERE ticket_id = $T1 AND kind = 'forwarded'" | grep -qx 1 ||
	fail "no forwarded event"
pass "attach: routed ticket arrived once, attachment byte-identical"

# 2. A follow-up from the customer is forwarded too (attach: from it on).
deliver sales INBOX "$OUTBOX_FIX/c2.eml"
once || fail "--once exited $?"
[ "$(ticket_of o2.pat@buyer.example)" = "$T1" ] || fail "follow-up not threaded"
[ "$(spool_count)" = 2 ] || fail "follow-up: $(spool_count) mails, want 2"
raw o2.pat@buyer.example "$W/c2.raw"
check attach "$(spool_nth 2)" "$W/c2.raw" || fail "follow-up content"
pass "attach: the customer's follow-up forwarded"

# 3. redirect: routed to support under a running daemon (the CLI route
#    is picked up within the outbox interval); the original intact.
start_daemon
cli claim "$T2" >/dev/null || fail "claim 2"
cli route "$T2" support >/dev/null || fail "route 2"
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T2" sent 10 ||
	fail "redirect not sent"
[ "$(spool_count)" = 3 ] || fail "redirect: $(spool_count) mails, want 3"
[ "$(spool_rcpt 3)" = support@example.com ] || fail "redirect rcpt"
raw o1.dana@user.example "$W/d1.raw"
check redirect "$(spool_nth 3)" "$W/d1.raw" || fail "redirect content"
check header "$(spool_nth 3)" From | grep -q 'dana@user.example' ||
	fail "redirect: the customer's From is not kept"
RMID=$(check header "$(spool_nth 3)" Resent-Message-ID)
case $RMID in "<triage.T$T2.E"*"@example.com>") ;; *) fail "Resent-Message-ID $RMID" ;; esac
pass "redirect: original headers and body intact, Resent-* present"

# 4. redirect follow-up, under the running daemon (IDLE -> commit -> wake).
deliver sales INBOX "$OUTBOX_FIX/d2.eml"
wait_sql "SELECT count(*) FROM outbox WHERE ticket_id = $T2 AND state = 'sent'" 2 10 ||
	fail "redirect follow-up not sent"
[ "$(spool_count)" = 4 ] || fail "redirect follow-up: $(spool_count) mails, want 4"
raw o2.dana@user.example "$W/d2.raw"
check redirect "$(spool_nth 4)" "$W/d2.raw" || fail "redirect follow-up content"
pass "redirect: the customer's follow-up forwarded"

# 5. support answers our forward: it threads back and is not forwarded;
#    their helpdesk's auto-reply and a message with our X-Loop: no mail.
cat >"$W/support-reply.eml" <<MAIL
From: Support Desk <support@example.com>
To: sales@example.com
Subject: Re: Login fails after upgrade
Date: Mon, 09 Nov 2026 13:00:00 +0000
Message-ID: <r1.support@example.com>
In-Reply-To: $RMID
References: $RMID

We have it, looking into the 500.
MAIL
cat >"$W/support-auto.eml" <<MAIL
From: Helpdesk <helpdesk@support.example>
To: sales@example.com
Subject: [Ticket 991] Re: Login fails after upgrade
Date: Mon, 09 Nov 2026 13:00:01 +0000
Message-ID: <r2.helpdesk@support.example>
In-Reply-To: $RMID
References: $RMID
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All

Your request has been received.
MAIL
cat >"$W/x-loop.eml" <<MAIL
From: Pat Buyer <pat@buyer.example>
To: sales@example.com
Subject: Re: How much for 50 seats?
Date: Mon, 09 Nov 2026 13:00:02 +0000
Message-ID: <o3.pat@buyer.example>
In-Reply-To: <o2.pat@buyer.example>
X-Loop: triage@example.com

a copy that went round
MAIL
before=$(sql "SELECT count(*) FROM outbox")
deliver sales INBOX "$W/support-reply.eml" "$W/support-auto.eml" "$W/x-loop.eml"
wait_sql "SELECT count(*) FROM messages WHERE message_id IN ('r1.support@example.com', 'r2.helpdesk@support.example', 'o3.pat@buyer.example')" 3 10 ||
	fail "loop mails not stored"
[ "$(ticket_of r1.support@example.com)" = "$T2" ] ||
	fail "support's reply did not thread back (ticket $(ticket_of r1.support@example.com))"
[ "$(ticket_of r2.helpdesk@support.example)" = "$T2" ] ||
	fail "the helpdesk auto-reply did not thread back"
wait_sql "SELECT count(*) FROM outbox WHERE id > 0 AND state = 'pending'" 0 10 ||
	fail "rows left pending"
sleep 1
[ "$(spool_count)" = 4 ] || fail "a loop mail went out: $(spool_count) mails"
# Each got no outbox row (a rule ignored it) or a skipped one, saying why.
for pair in "r1.support@example.com:route's own address" \
    "r2.helpdesk@support.example:auto-submitted" \
    "o3.pat@buyer.example:carries our X-Loop"; do
	mid=${pair%%:*} why=${pair#*:}
	rows=$(sql "SELECT o.state || ' ' || coalesce(o.last_error, '') FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.message_id = '$mid'")
	[ -z "$rows" ] && continue
	case $rows in
	"skipped not forwarded: "*"$why"*) ;;
	*) fail "$mid: outbox row \"$rows\", want skipped: $why" ;;
	esac
done
[ "$(sql "SELECT count(*) FROM outbox WHERE state = 'skipped'")" -ge 2 ] ||
	fail "skipped rows: $(sql "SELECT id, state, last_error FROM outbox")"
[ "$(sql "SELECT count(*) FROM outbox WHERE kind <> 'forward'")" = 0 ] ||
	fail "an answer was queued"
pass "replies from support thread back; auto-reply and X-Loop: no forward, no answer ($before rows before)"

# 6. #route from mail goes the same way as the CLI: a BDR's reply claims
#    and routes a new ticket; the forward and the command answer (with
#    Auto-Submitted) go out.  The same BDR's command mail carrying our
#    X-Loop is neither applied nor answered.
sed 's/o1\.pat@/o1.lee@/; s/Pat Buyer <pat@/Lee <lee@/' "$OUTBOX_FIX/c1.eml" >"$W/e1.eml"
deliver sales INBOX "$W/e1.eml"
wait_sql "SELECT count(*) FROM messages WHERE message_id = 'o1.lee@buyer.example'" 1 10 ||
	fail "e1 not stored"
T3=$(ticket_of o1.lee@buyer.example)
cat >"$W/alice-route.eml" <<MAIL
From: Alice BDR <alice@example.com>
To: sales@example.com
Subject: Re: How much for 50 seats?
Date: Mon, 09 Nov 2026 14:00:00 +0000
Message-ID: <a-route@example.com>
In-Reply-To: <o1.lee@buyer.example>

#claim
#route sales

Sales, this one is yours.
MAIL
cat >"$W/alice-loop.eml" <<MAIL
From: Alice BDR <alice@example.com>
To: sales@example.com
Subject: Re: How much for 50 seats?
Date: Mon, 09 Nov 2026 14:00:01 +0000
Message-ID: <a-loop@example.com>
In-Reply-To: <o1.pat@buyer.example>
X-Loop: triage@example.com

#tag looped
MAIL
n0=$(spool_count)
deliver sales INBOX "$W/alice-route.eml" "$W/alice-loop.eml"
wait_sql "SELECT count(*) FROM outbox WHERE ticket_id = $T3 AND state = 'sent'" 2 15 ||
	fail "#route by mail: $(sql "SELECT id, kind, state, last_error FROM outbox WHERE ticket_id = $T3")"
[ "$(sql "SELECT state FROM tickets WHERE id = $T3")" = routed ] || fail "not routed"
wait_sql "SELECT count(*) FROM messages WHERE message_id = 'a-loop@example.com'" 1 10 ||
	fail "the looped command mail not stored"
sleep 1
[ "$(spool_count)" = $((n0 + 2)) ] || fail "#route by mail: $(spool_count) mails, want $((n0 + 2))"
fwd= ans=
for f in $(harness_smtp_messages | tail -n 2); do
	case $(sed -n 's/^rcpt: *//p' "${f%.eml}.env") in
	sales-team@example.com) fwd=$f ;;
	alice@example.com) ans=$f ;;
	esac
done
[ -n "$fwd" ] && [ -n "$ans" ] || fail "want a forward to sales-team and an answer to alice"
raw o1.lee@buyer.example "$W/e1.raw"
check attach "$fwd" "$W/e1.raw" || fail "#route by mail: attach content"
check header "$ans" Auto-Submitted | grep -qx auto-replied || fail "answer lacks Auto-Submitted"
check header "$ans" X-Loop | grep -qx triage@example.com || fail "answer lacks X-Loop"
[ "$(sql "SELECT count(*) FROM tags WHERE tag = 'looped'")" = 0 ] || fail "the looped #tag was applied"
[ "$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.message_id = 'a-loop@example.com'")" = 0 ] ||
	fail "the looped command mail was answered or forwarded"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
pass "#route by mail forwards like the CLI and is answered (Auto-Submitted); a command mail with our X-Loop: nothing"
