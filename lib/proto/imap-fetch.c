/*
 * The fetch iterator of the IMAP client; see imap.h.  The UIDs and sizes
 * past the checkpoint are listed a window at a time (UID FETCH lo:hi
 * (UID RFC822.SIZE)), so a folder of a million new messages never sits
 * in memory as one response; each bounded batch of a window is then one
 * pipelined UID FETCH of a UID set with BODY.PEEK[].
 */
#include <stdint.h>
#include <stdlib.h>

#include "imap-private.h"
#include "xalloc.h"

#define IMAP_DEFAULT_MAX_SIZE (50 * 1024 * 1024)
#define IMAP_DEFAULT_BATCH_COUNT 50
#define IMAP_DEFAULT_BATCH_BYTES (32 * 1024 * 1024)
#define IMAP_DEFAULT_LIST_WINDOW 2000

struct imap_entry {
	uint32_t uid;
	uint32_t size;
};

struct imap_fetch {
	struct imap *imap; /* foreign */
	struct imap_fetch_opts opts;
	uint32_t lo;	      /* the next window starts at this UID */
	uint32_t seq;	      /* ... at about this position */
	int listed;	      /* every window is listed */
	size_t count;	      /* messages past from_uid at begin */
	struct imap_entry *v; /* owned: this window's UIDs, sizes */
	size_t n, cap;
	size_t pos;	   /* next entry to hand out */
	size_t start, end; /* the fetched batch is v[start..end) */
	clist *batch;	   /* owned: libetpan's FETCH result */
	const char **data; /* foreign (into batch): v[start + i] */
	size_t *len;
};

/* The UID, size and body of one FETCH response; absent ones untouched. */
static void
imap_msg_att_parse(struct mailimap_msg_att *att, uint32_t *uid_r,
    uint32_t *size_r, const char **data_r, size_t *len_r)
{
	struct mailimap_msg_att_item *item;
	struct mailimap_msg_att_static *st;
	clistiter *cur;

	for (cur = clist_begin(att->att_list); cur != NULL;
	     cur = clist_next(cur)) {
		item = clist_content(cur);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid_r = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size_r = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (data_r != NULL &&
			    st->att_data.att_body_section->sec_body_part !=
				NULL) {
				*data_r = st->att_data.att_body_section
					      ->sec_body_part;
				*len_r =
				    st->att_data.att_body_section->sec_length;
			}
			break;
		default:
			break;
		}
	}
}

static int
imap_entry_cmp(const void *a, const void *b)
{
	const struct imap_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static struct mailimap_fetch_type *
imap_fetch_type(int with_body)
{
	struct mailimap_fetch_type *ft;

	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size());
	if (with_body)
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
			mailimap_section_new(NULL)));
	return ft;
}

/* Messages in the folder, as the server last said. */
static uint32_t
imap_exists(const struct imap_fetch *it)
{
	const struct mailimap_selection_info *sel =
	    it->imap->session->imap_selection_info;

	return sel != NULL ? sel->sel_exists : 0;
}

/*
 * The UID of the message at position `seq`: 1 and *uid_r, or 0 when the
 * server has no such message any more (expunged meanwhile); -1 when the
 * connection failed.
 */
static int
imap_uid_at(struct imap_fetch *it, uint32_t seq, uint32_t *uid_r,
    struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *cur;
	int r, found = 0;

	set = mailimap_set_new_single(seq);
	ft = mailimap_fetch_type_new_fetch_att(mailimap_fetch_att_new_uid());
	r = mailimap_fetch(it->imap->session, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r == MAILIMAP_ERROR_FETCH)
		return 0; /* NO or BAD: no message there */
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(it->imap, r, ERR_BOX, "FETCH (UID)", err);
	for (cur = clist_begin(res); cur != NULL; cur = clist_next(cur)) {
		struct mailimap_msg_att *att = clist_content(cur);
		uint32_t uid = 0, size = 0;

		if (att->att_number != seq)
			continue;
		imap_msg_att_parse(att, &uid, &size, NULL, NULL);
		if (uid != 0) {
			*uid_r = uid;
			found = 1;
		}
	}
	mailimap_fetch_list_free(res);
	return found;
}

/*
 * Where the first message with UID >= from_uid stands: the lowest
 * position whose UID is not below it (exists + 1 when there is none),
 * by bisection, one FETCH (UID) per step.  A message expunged under it
 * ends the search early: positions are only a hint for window sizes.
 */
static int
imap_find_start(struct imap_fetch *it, uint32_t from_uid, uint32_t lo,
    uint32_t hi, uint32_t *seq_r, struct error *err)
{
	uint32_t uid;
	int r;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		r = imap_uid_at(it, mid, &uid, err);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (uid < from_uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*seq_r = lo;
	return 0;
}

/* UID FETCH lo:hi (UID RFC822.SIZE), hi 0 for "*": the window, in order. */
static int
imap_list_window(struct imap_fetch *it, uint32_t lo, uint32_t hi,
    struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *cur;
	int r;

	it->n = 0;
	it->pos = 0;
	it->start = it->end = 0;
	set = mailimap_set_new_interval(lo, hi);
	ft = imap_fetch_type(0);
	r = mailimap_uid_fetch(it->imap->session, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(it->imap, r, ERR_BOX, "UID FETCH (sizes)",
		    err);
	for (cur = clist_begin(res); cur != NULL; cur = clist_next(cur)) {
		uint32_t uid = 0, size = 0;

		imap_msg_att_parse(clist_content(cur), &uid, &size, NULL, NULL);
		/* "n:*" also names the last message when n is past it. */
		if (uid < lo || uid == 0 || (hi != 0 && uid > hi))
			continue;
		if (it->n == it->cap) {
			it->cap = it->cap != 0 ? it->cap * 2 : 64;
			it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
		}
		it->v[it->n].uid = uid;
		it->v[it->n].size = size;
		it->n++;
	}
	mailimap_fetch_list_free(res);
	if (it->n > 1)
		qsort(it->v, it->n, sizeof(*it->v), imap_entry_cmp);
	return 0;
}

/*
 * The next window: the UIDs from it->lo up to that of the message about
 * list_window positions on, or to the end ("*") when fewer remain.
 * Windows are bounded by UID, so a message expunged or delivered
 * meanwhile shifts positions but never makes one skipped or listed twice.
 * Returns 1 with a window (perhaps empty), 0 when all are listed.
 */
static int
imap_next_window(struct imap_fetch *it, struct error *err)
{
	uint32_t exists = imap_exists(it), uid = 0, last;
	int r;

	if (it->listed)
		return 0;
	while (exists > it->opts.list_window &&
	       it->seq <= exists - it->opts.list_window) {
		last = it->seq + (uint32_t)it->opts.list_window - 1;
		r = imap_uid_at(it, last, &uid, err);
		if (r < 0)
			return r;
		it->seq = last + 1;
		if (r == 0)
			break; /* expunged meanwhile: list the rest */
		if (uid < it->lo)
			continue; /* positions shifted under us */
		r = imap_list_window(it, it->lo, uid, err);
		if (r < 0)
			return r;
		if (uid == UINT32_MAX)
			it->listed = 1; /* the highest UID there can be */
		else
			it->lo = uid + 1;
		return 1;
	}
	r = imap_list_window(it, it->lo, 0, err);
	if (r < 0)
		return r;
	it->listed = 1;
	return 1;
}

static void
imap_fetch_drop_batch(struct imap_fetch *it)
{
	if (it->batch != NULL)
		mailimap_fetch_list_free(it->batch);
	it->batch = NULL;
}

/* Entries v[pos..end) form the next batch: bounded by count and bytes. */
static size_t
imap_batch_end(const struct imap_fetch *it)
{
	size_t i, bytes = 0, count = 0;

	for (i = it->pos; i < it->n && count < it->opts.batch_count; i++) {
		if (it->v[i].size > it->opts.max_size) {
			count++;
			continue;
		}
		if (count > 0 && bytes + it->v[i].size > it->opts.batch_bytes)
			break;
		bytes += it->v[i].size;
		count++;
	}
	return i;
}

/* Fetch bodies of the batch's entries that are not too big. */
static int
imap_fetch_batch(struct imap_fetch *it, struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clistiter *cur;
	size_t i, want = 0, bytes = 0;
	int r;

	imap_fetch_drop_batch(it);
	it->start = it->pos;
	it->end = imap_batch_end(it);
	set = mailimap_set_new_empty();
	for (i = it->start; i < it->end; i++) {
		it->data[i - it->start] = NULL;
		it->len[i - it->start] = 0;
		if (it->v[i].size > it->opts.max_size)
			continue;
		mailimap_set_add_single(set, it->v[i].uid);
		bytes += it->v[i].size;
		want++;
	}
	if (want == 0) {
		mailimap_set_free(set);
		return 0;
	}
	if (it->opts.before_fetch != NULL) {
		r = it->opts.before_fetch(it->opts.arg, bytes, err);
		if (r < 0) {
			mailimap_set_free(set);
			return r;
		}
	}
	ft = imap_fetch_type(1);
	r = mailimap_uid_fetch(it->imap->session, set, ft, &it->batch);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		it->batch = NULL;
		return imap_fail(it->imap, r, ERR_BOX, "UID FETCH", err);
	}
	/* Match responses to entries by UID; unsolicited FETCHes (flag
	 * changes by other clients) carry no body and are ignored. */
	for (cur = clist_begin(it->batch); cur != NULL; cur = clist_next(cur)) {
		uint32_t uid = 0, size = 0;
		const char *data = NULL;
		size_t len = 0;

		imap_msg_att_parse(clist_content(cur), &uid, &size, &data,
		    &len);
		if (data == NULL)
			continue;
		for (i = it->start; i < it->end; i++) {
			if (it->v[i].uid == uid) {
				it->data[i - it->start] = data;
				it->len[i - it->start] = len;
				break;
			}
		}
	}
	return 0;
}

int
imap_fetch_begin(struct imap *imap, uint32_t from_uid,
    const struct imap_fetch_opts *opts, struct imap_fetch **it_r,
    struct error *err)
{
	struct imap_fetch *it;
	int r;

	r = imap_check_usable(imap, "UID FETCH", err);
	if (r < 0)
		return r;
	it = xcalloc(1, sizeof(*it));
	it->imap = imap;
	if (opts != NULL)
		it->opts = *opts;
	if (it->opts.max_size == 0)
		it->opts.max_size = IMAP_DEFAULT_MAX_SIZE;
	if (it->opts.batch_count == 0)
		it->opts.batch_count = IMAP_DEFAULT_BATCH_COUNT;
	if (it->opts.batch_bytes == 0)
		it->opts.batch_bytes = IMAP_DEFAULT_BATCH_BYTES;
	it->data = xcalloc(it->opts.batch_count, sizeof(*it->data));
	it->len = xcalloc(it->opts.batch_count, sizeof(*it->len));
	if (it->opts.list_window == 0)
		it->opts.list_window = IMAP_DEFAULT_LIST_WINDOW;
	it->lo = from_uid != 0 ? from_uid : 1;
	r = 0;
	if (imap_exists(it) == 0)
		it->listed = 1;
	else if (it->lo > 1)
		r = imap_find_start(it, it->lo, 1, imap_exists(it) + 1,
		    &it->seq, err);
	else
		it->seq = 1;
	if (r < 0) {
		imap_fetch_end(&it);
		return r;
	}
	/* positions may have moved meanwhile: never below zero */
	if (!it->listed && imap_exists(it) >= it->seq)
		it->count = (size_t)imap_exists(it) - it->seq + 1;
	*it_r = it;
	return 0;
}

int
imap_fetch_next(struct imap_fetch *it, struct imap_msg *m, struct error *err)
{
	const struct imap_entry *e;
	size_t k;
	int r;

	while (it->pos >= it->n) {
		r = imap_next_window(it, err);
		if (r <= 0) {
			it->pos = it->n;
			return r;
		}
	}
	if (it->pos >= it->end) {
		r = imap_fetch_batch(it, err);
		if (r < 0) {
			it->pos = it->n;
			return r;
		}
	}
	e = &it->v[it->pos];
	k = it->pos - it->start;
	m->uid = e->uid;
	m->size = e->size;
	m->data = it->data[k];
	m->len = it->len[k];
	if (e->size > it->opts.max_size)
		m->status = IMAP_MSG_TOO_BIG;
	else if (m->data == NULL)
		m->status = IMAP_MSG_GONE;
	else
		m->status = IMAP_MSG_OK;
	it->pos++;
	return 1;
}

size_t
imap_fetch_count(const struct imap_fetch *it)
{
	return it->count;
}

void
imap_fetch_end(struct imap_fetch **itp)
{
	struct imap_fetch *it = *itp;

	if (it == NULL)
		return;
	imap_fetch_drop_batch(it);
	free(it->v);
	free(it->data);
	free(it->len);
	free(it);
	*itp = NULL;
}
