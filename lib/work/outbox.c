/*
 * Outbox policy and the send loop of one row; see outbox.h.
 *
 * Exactly once: the caller's `sent` callback runs right after each 250,
 * before the next mail, so the store records each accepted mail in the
 * moment we learn of it.  What remains is the window between the 250 and
 * that commit (README "Forwarding").
 */
#include "outbox.h"
#include "smtp.h"

int64_t
outbox_backoff(int attempts)
{
	int64_t wait = OUTBOX_BACKOFF_FIRST;
	int i;

	for (i = 1; i < attempts && wait < OUTBOX_BACKOFF_MAX; i++)
		wait *= 2;
	return wait < OUTBOX_BACKOFF_MAX ? wait : OUTBOX_BACKOFF_MAX;
}

enum outbox_verdict
outbox_judge(const struct error *err, int64_t age)
{
	if (err->code == ERR_REFUSED)
		return OUTBOX_FAILED;
	if (age > OUTBOX_GIVE_UP)
		return OUTBOX_FAILED;
	return OUTBOX_RETRY;
}

enum outbox_verdict
outbox_send(struct smtp *smtp, const struct forward_mails *m, size_t from,
    int64_t age, outbox_sent_fn *sent, void *arg, struct error *err)
{
	const struct forward_mail *mail;
	size_t i;
	int r;

	for (i = from; i < m->n; i++) {
		mail = &m->v[i];
		r = smtp_send(smtp, mail->mail_from, mail->rcpt, mail->n_rcpt,
		    mail->data, mail->len, err);
		if (r < 0)
			return outbox_judge(err, age);
		r = sent(arg, i, err);
		if (r < 0) {
			/* delivered but not recorded: a retry would send it
			   again, so the caller must stop and say so */
			return OUTBOX_RETRY;
		}
	}
	return OUTBOX_SENT;
}
