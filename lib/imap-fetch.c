/*
 * The fetch iterator of the IMAP client; see imap.h.  One UID FETCH lists
 * the UIDs and sizes past the checkpoint, then each bounded batch is one
 * pipelined UID FETCH of a UID set with BODY.PEEK[].
 */
#include <stdlib.h>

#include "imap-private.h"
#include "xalloc.h"

#define IMAP_DEFAULT_MAX_SIZE (50 * 1024 * 1024)
#define IMAP_DEFAULT_BATCH_COUNT 50
#define IMAP_DEFAULT_BATCH_BYTES (32 * 1024 * 1024)
#define IMAP_MAX_PENDING 1000000	/* UIDs one fetch_begin accepts */

struct imap_entry {
	uint32_t uid;
	uint32_t size;
};

struct imap_fetch {
	struct imap *imap;		/* foreign */
	struct imap_fetch_opts opts;
	struct imap_entry *v;		/* owned: UIDs and sizes to deliver */
	size_t n;
	size_t pos;			/* next entry to hand out */
	size_t start, end;		/* the fetched batch is v[start..end) */
	clist *batch;			/* owned: libetpan's FETCH result */
	const char **data;		/* foreign (into batch): v[start + i] */
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
				*data_r = st->att_data.att_body_section->
				    sec_body_part;
				*len_r = st->att_data.att_body_section->
				    sec_length;
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

/* UID FETCH from:* (UID RFC822.SIZE): what is there to take, in order. */
static int
imap_fetch_list(struct imap_fetch *it, uint32_t from_uid, struct error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *cur;
	size_t cap = 0;
	int r;

	set = mailimap_set_new_interval(from_uid, 0);
	ft = imap_fetch_type(0);
	r = mailimap_uid_fetch(it->imap->session, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(it->imap, r, ERR_BOX, "UID FETCH (sizes)",
		    err);
	for (cur = clist_begin(res); cur != NULL; cur = clist_next(cur)) {
		uint32_t uid = 0, size = 0;

		imap_msg_att_parse(clist_content(cur), &uid, &size, NULL,
		    NULL);
		/* "n:*" also names the last message when n is past it. */
		if (uid < from_uid || uid == 0)
			continue;
		if (it->n == IMAP_MAX_PENDING)
			break;
		if (it->n == cap) {
			cap = cap != 0 ? cap * 2 : 64;
			it->v = xreallocarray(it->v, cap, sizeof(*it->v));
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
	size_t i, want = 0;
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
		want++;
	}
	if (want == 0) {
		mailimap_set_free(set);
		return 0;
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
	if (from_uid == 0)
		from_uid = 1;
	r = 0;
	if (imap->session->imap_selection_info == NULL ||
	    imap->session->imap_selection_info->sel_exists > 0)
		r = imap_fetch_list(it, from_uid, err);
	if (r < 0) {
		imap_fetch_end(&it);
		return r;
	}
	*it_r = it;
	return 0;
}

int
imap_fetch_next(struct imap_fetch *it, struct imap_msg *m, struct error *err)
{
	const struct imap_entry *e;
	size_t k;
	int r;

	if (it->pos >= it->n)
		return 0;
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
	return it->n;
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
