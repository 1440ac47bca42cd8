/*
 * A webhook's payload, signature and policy; see webhook.h.
 */
#include "webhook-private.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "store-webhook.h"
#include "store.h"
#include "verdict.h"
#include "xalloc.h"

static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
jtime(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return NULL;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

/* The first `max` bytes of `s`, cut at a UTF-8 character's start. */
static json_object *
jexcerpt(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n <= max)
		return json_object_new_string(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return json_object_new_string_len(s, (int)n);
}

static json_object *
jlist(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The customer's company: the key account, else the address's domain. */
static const char *
company(const struct store_ticket *t)
{
	const char *at;

	if (t->account != NULL)
		return t->account;
	if (t->customer == NULL || (at = strrchr(t->customer, '@')) == NULL)
		return NULL;
	return at + 1;
}

static json_object *
ticket_json(const struct store_detail *d, const char *ticket_url)
{
	const struct store_ticket *t = &d->t;
	const struct store_message *first = NULL;
	json_object *o = json_object_new_object(), *x;
	char *url = conf_ticket_url(ticket_url, t->id);

	for (size_t i = 0; i < d->n_messages && first == NULL; i++) {
		if (strcmp(d->messages[i].direction, "in") == 0)
			first = &d->messages[i];
	}
	if (first == NULL && d->n_messages > 0)
		first = &d->messages[0];
	json_object_object_add(o, "id", json_object_new_int64(t->id));
	json_object_object_add(o, "url", jstr(url));
	free(url);
	json_object_object_add(o, "state",
	    json_object_new_string(store_state_name(t->state)));
	json_object_object_add(o, "queue", jstr(t->queue));
	json_object_object_add(o, "priority",
	    json_object_new_string(priority_name(t->priority)));
	json_object_object_add(o, "owner", jstr(t->owner));
	json_object_object_add(o, "route", jstr(t->route));
	json_object_object_add(o, "customer", jstr(t->customer));
	json_object_object_add(o, "customer_name",
	    jstr(first != NULL && first->from_name != NULL &&
			 *first->from_name != '\0' ?
		     first->from_name :
		     NULL));
	json_object_object_add(o, "company", jstr(company(t)));
	json_object_object_add(o, "account", jstr(t->account));
	json_object_object_add(o, "tier", jstr(t->tier));
	x = json_object_new_object();
	for (int i = 0; i < DIM_COUNT; i++)
		json_object_object_add(x, dim_name((enum dim)i),
		    json_object_new_int(t->scores[i]));
	json_object_object_add(o, "scores", x);
	x = json_object_new_object();
	json_object_object_add(x, "qualified",
	    json_object_new_boolean(t->qualified > 0));
	json_object_object_add(x, "disqualified",
	    json_object_new_boolean(t->qualified < 0));
	json_object_object_add(x, "disqualify_reason",
	    jstr(t->qualified < 0 ? t->qualify_reason : NULL));
	json_object_object_add(x, "story", json_object_new_boolean(t->story));
	json_object_object_add(o, "marks", x);
	json_object_object_add(o, "tags", jlist(t->tags, t->n_tags));
	json_object_object_add(o, "mailboxes",
	    jlist(t->mailboxes, t->n_mailboxes));
	json_object_object_add(o, "subject",
	    jstr(first != NULL ? first->subject : t->subject));
	json_object_object_add(o, "excerpt",
	    jexcerpt(first != NULL ? first->text : NULL, WEBHOOK_EXCERPT_MAX));
	json_object_object_add(o, "created", jtime(t->created));
	json_object_object_add(o, "updated", jtime(t->updated));
	return o;
}

char *
webhook_payload(const struct store_webhook *w, const struct store_detail *d,
    const char *ticket_url)
{
	json_object *root = json_object_new_object(), *ev;
	char *s;

	ev = json_object_new_object();
	json_object_object_add(ev, "id", json_object_new_int64(w->event_id));
	json_object_object_add(ev, "kind", jstr(w->kind));
	json_object_object_add(ev, "at", jtime(w->event_at));
	json_object_object_add(ev, "actor", jstr(w->actor));
	json_object_object_add(ev, "source", jstr(w->source));
	json_object_object_add(ev, "detail", jstr(w->detail));
	json_object_object_add(root, "event", ev);
	json_object_object_add(root, "ticket", ticket_json(d, ticket_url));
	s = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return s;
}

int
webhook_signature(const char *secret, const char *body, size_t len, char *out,
    size_t out_len, struct error *err)
{
	char hex[HTTP_SHA256_HEX];

	if (http_hmac_sha256_hex(secret, strlen(secret), body, len, hex, err) <
	    0)
		return -1;
	if ((size_t)snprintf(out, out_len, "X-Triage-Signature: sha256=%s",
		hex) >= out_len)
		return error_set(err, ERR_INTERNAL,
		    "signature header too long");
	return 0;
}

enum webhook_verdict
webhook_judge(int status, int64_t age)
{
	if (status >= 200 && status < 300)
		return WEBHOOK_DELIVERED;
	/* a 4xx other than "later, please" will not change by itself */
	if (status >= 400 && status < 500 && status != 408 && status != 425 &&
	    status != 429)
		return WEBHOOK_FAILED;
	/* no answer, 5xx, 1xx/3xx (a redirect is not followed) */
	if (status >= 300 && status < 400)
		return WEBHOOK_FAILED;
	return age > WEBHOOK_GIVE_UP ? WEBHOOK_FAILED : WEBHOOK_RETRY;
}

int64_t
webhook_backoff(int64_t first, int attempts)
{
	int64_t wait = first > 0 ? first : 60;

	for (int i = 1; i < attempts && wait < WEBHOOK_BACKOFF_MAX; i++)
		wait *= 2;
	return wait < WEBHOOK_BACKOFF_MAX ? wait : WEBHOOK_BACKOFF_MAX;
}
