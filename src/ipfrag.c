/* ipfrag.c - IPv4 and IPv6 fragment reassembly (L2), used by decode.c.
 *
 * What it does: collects fragment payloads per (src, dst, protocol, id) into
 * one buffer per datagram in progress, tracks what arrived as a short sorted
 * list of byte ranges, and hands back the upper-layer payload once the range
 * [0, total) is complete (RFC 791 §3.2 "reassembly"; RFC 8200 §4.5).
 * Fragments that overlap with different bytes make the whole datagram BAD
 * (RFC 5722 drops overlapping IPv6 fragments; RFC 8200 §4.5 allows dropping
 * exact duplicates and keeping the datagram, which is what we do for any
 * overlap that carries the same bytes). A datagram is at most 65535 bytes.
 *
 * Bounds: at most `max` datagrams in progress; a new one evicts the oldest
 * (counted). Datagrams whose first fragment is older than the timeout are
 * dropped (counted) lazily on add and on tick. Slots and their buffers are
 * reused; one buffer per datagram in progress is allocated at most.
 *
 * What it does not do: parse IP headers (decode.c hands in offset, MF flag
 * and payload), verify checksums, or keep more than 32 disjoint pieces of one
 * datagram (a datagram split into more holes than that is dropped as BAD).
 */
#include "mxsniff/ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define FRAG_MAX_LEN 65535u
#define FRAG_RANGES 32
#define FRAG_KEEP_BUF 4096u /* a released slot keeps a buffer up to this size */
#define NIL UINT32_MAX
#define FRAG_SEED 0x6d78667261677321ull

struct frag_range {
	uint32_t a, b; /* [a, b) received */
};

struct frag_ent {
	struct mx_ipfrag_key key;
	uint64_t hash;
	uint64_t t0;       /* capture time of the first fragment seen */
	uint32_t total;    /* datagram length, known once the last fragment came */
	bool have_last;
	bool used;
	uint8_t *buf;
	uint32_t cap;
	struct frag_range r[FRAG_RANGES];
	unsigned nr;
	uint32_t hnext;    /* hash chain / free list */
	uint32_t prev, next; /* age list, oldest at head */
};

struct mx_ipfrag {
	struct frag_ent *e;
	size_t max;
	uint32_t *bucket;
	size_t nbucket; /* power of two */
	uint32_t head, tail;
	uint32_t freelist;
	size_t count;
	uint64_t timeout_us;
	uint64_t evicted, timed_out;
	uint8_t *out; /* last completed datagram, swapped out of its slot */
	uint32_t outcap;
};

struct mx_ipfrag *mx_ipfrag_new(size_t max, uint64_t timeout_us)
{
	if (max == 0)
		max = 1;
	if (max > (1u << 20))
		max = 1u << 20;
	struct mx_ipfrag *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->max = max;
	f->nbucket = 16;
	while (f->nbucket < max * 2)
		f->nbucket <<= 1;
	f->e = calloc(max, sizeof(*f->e));
	f->bucket = malloc(f->nbucket * sizeof(*f->bucket));
	if (!f->e || !f->bucket) {
		free(f->e);
		free(f->bucket);
		free(f);
		return NULL;
	}
	for (size_t i = 0; i < f->nbucket; i++)
		f->bucket[i] = NIL;
	for (size_t i = 0; i < max; i++)
		f->e[i].hnext = i + 1 < max ? (uint32_t)(i + 1) : NIL;
	f->freelist = 0;
	f->head = f->tail = NIL;
	f->timeout_us = timeout_us;
	return f;
}

void mx_ipfrag_free(struct mx_ipfrag *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->max; i++)
		free(f->e[i].buf);
	free(f->e);
	free(f->bucket);
	free(f->out);
	free(f);
}

static uint64_t key_hash(const struct mx_ipfrag_key *k)
{
	uint8_t tail[5] = { (uint8_t)(k->id >> 24), (uint8_t)(k->id >> 16), (uint8_t)(k->id >> 8),
			    (uint8_t)k->id, k->proto };
	uint64_t h = mx_addr_hash(&k->src, FRAG_SEED);
	h = mx_addr_hash(&k->dst, h);
	return mx_hash_bytes(tail, sizeof(tail), h);
}

static bool key_eq(const struct mx_ipfrag_key *x, const struct mx_ipfrag_key *y)
{
	return x->id == y->id && x->proto == y->proto && mx_addr_eq(&x->src, &y->src) &&
	       mx_addr_eq(&x->dst, &y->dst);
}

static uint32_t find(const struct mx_ipfrag *f, const struct mx_ipfrag_key *k, uint64_t h)
{
	for (uint32_t i = f->bucket[h & (f->nbucket - 1)]; i != NIL; i = f->e[i].hnext)
		if (f->e[i].hash == h && key_eq(&f->e[i].key, k))
			return i;
	return NIL;
}

/* Unlink slot i from its hash chain and the age list and put it on the free
 * list. A small buffer stays with the slot for the next datagram. */
static void release(struct mx_ipfrag *f, uint32_t i)
{
	struct frag_ent *e = &f->e[i];
	uint32_t *pp = &f->bucket[e->hash & (f->nbucket - 1)];
	while (*pp != i)
		pp = &f->e[*pp].hnext;
	*pp = e->hnext;
	if (e->prev != NIL)
		f->e[e->prev].next = e->next;
	else
		f->head = e->next;
	if (e->next != NIL)
		f->e[e->next].prev = e->prev;
	else
		f->tail = e->prev;
	if (e->cap > FRAG_KEEP_BUF) {
		free(e->buf);
		e->buf = NULL;
		e->cap = 0;
	}
	e->used = false;
	e->hnext = f->freelist;
	f->freelist = i;
	f->count--;
}

static uint32_t alloc_slot(struct mx_ipfrag *f, const struct mx_ipfrag_key *k, uint64_t h,
			   uint64_t ts)
{
	if (f->freelist == NIL) {
		release(f, f->head); /* oldest first */
		f->evicted++;
	}
	uint32_t i = f->freelist;
	struct frag_ent *e = &f->e[i];
	f->freelist = e->hnext;
	e->key = *k;
	e->hash = h;
	e->t0 = ts;
	e->total = 0;
	e->have_last = false;
	e->used = true;
	e->nr = 0;
	size_t b = h & (f->nbucket - 1);
	e->hnext = f->bucket[b];
	f->bucket[b] = i;
	e->next = NIL;
	e->prev = f->tail;
	if (f->tail != NIL)
		f->e[f->tail].next = i;
	else
		f->head = i;
	f->tail = i;
	f->count++;
	return i;
}

static void expire(struct mx_ipfrag *f, uint64_t now)
{
	while (f->head != NIL) {
		struct frag_ent *e = &f->e[f->head];
		if (now < e->t0 || now - e->t0 <= f->timeout_us)
			break;
		release(f, f->head);
		f->timed_out++;
	}
}

static bool grow(struct frag_ent *e, uint32_t need)
{
	if (need <= e->cap)
		return true;
	uint32_t cap = e->cap ? e->cap : 512;
	while (cap < need)
		cap *= 2;
	if (cap > FRAG_MAX_LEN)
		cap = FRAG_MAX_LEN;
	uint8_t *nb = realloc(e->buf, cap);
	if (!nb)
		return false;
	e->buf = nb;
	e->cap = cap;
	return true;
}

/* Merge [a, b) into the sorted list; false when it would need too many ranges. */
static bool add_range(struct frag_ent *e, uint32_t a, uint32_t b)
{
	struct frag_range out[FRAG_RANGES + 2];
	unsigned n = 0;
	bool placed = false;
	for (unsigned i = 0; i < e->nr; i++) {
		struct frag_range x = e->r[i];
		if (x.b < a) {
			out[n++] = x;
		} else if (x.a > b) {
			if (!placed) {
				out[n++] = (struct frag_range){ a, b };
				placed = true;
			}
			out[n++] = x;
		} else { /* overlapping or adjacent: absorb */
			if (x.a < a)
				a = x.a;
			if (x.b > b)
				b = x.b;
		}
		if (n > FRAG_RANGES)
			return false;
	}
	if (!placed)
		out[n++] = (struct frag_range){ a, b };
	if (n > FRAG_RANGES)
		return false;
	memcpy(e->r, out, n * sizeof(out[0]));
	e->nr = n;
	return true;
}

static enum mx_ipfrag_res bad(struct mx_ipfrag *f, uint32_t i)
{
	if (i != NIL)
		release(f, i);
	return MX_FRAG_BAD;
}

enum mx_ipfrag_res mx_ipfrag_add(struct mx_ipfrag *f, const struct mx_ipfrag_key *k,
				 uint64_t ts_us, uint32_t off, bool more,
				 const uint8_t *data, size_t len,
				 const uint8_t **out, size_t *outlen)
{
	expire(f, ts_us);
	uint64_t h = key_hash(k);
	uint32_t i = find(f, k, h);

	/* RFC 791 §3.2 / RFC 8200 §4.5: offsets count 8-octet units and every
	 * fragment but the last carries a multiple of 8 octets. */
	if (len == 0 || (off & 7) || (more && (len & 7)) || (uint64_t)off + len > FRAG_MAX_LEN)
		return bad(f, i);
	uint32_t end = off + (uint32_t)len;

	if (i == NIL)
		i = alloc_slot(f, k, h, ts_us);
	struct frag_ent *e = &f->e[i];
	uint32_t have_end = e->nr ? e->r[e->nr - 1].b : 0;

	if (!more) {
		if ((e->have_last && e->total != end) || end < have_end)
			return bad(f, i);
		e->have_last = true;
		e->total = end;
	} else if (e->have_last && end > e->total) {
		return bad(f, i);
	}

	/* Overlaps must carry the same bytes; an exact repeat changes nothing. */
	bool covered = false;
	for (unsigned j = 0; j < e->nr; j++) {
		uint32_t a = e->r[j].a > off ? e->r[j].a : off;
		uint32_t b = e->r[j].b < end ? e->r[j].b : end;
		if (a >= b)
			continue;
		if (memcmp(e->buf + a, data + (a - off), b - a) != 0)
			return bad(f, i);
		if (a == off && b == end)
			covered = true;
	}
	if (!covered) {
		if (!grow(e, end))
			return bad(f, i);
		memcpy(e->buf + off, data, len);
		if (!add_range(e, off, end))
			return bad(f, i);
	}

	if (e->have_last && e->nr == 1 && e->r[0].a == 0 && e->r[0].b == e->total) {
		/* Complete: hand the buffer out, give the slot the old one. */
		uint8_t *b = f->out;
		uint32_t c = f->outcap;
		f->out = e->buf;
		f->outcap = e->cap;
		e->buf = b;
		e->cap = c;
		*out = f->out;
		*outlen = e->total;
		release(f, i);
		return MX_FRAG_DONE;
	}
	return MX_FRAG_HELD;
}

void mx_ipfrag_tick(struct mx_ipfrag *f, uint64_t now_us)
{
	expire(f, now_us);
}

uint64_t mx_ipfrag_evicted(const struct mx_ipfrag *f)
{
	return f->evicted;
}

uint64_t mx_ipfrag_timed_out(const struct mx_ipfrag *f)
{
	return f->timed_out;
}

size_t mx_ipfrag_count(const struct mx_ipfrag *f)
{
	return f->count;
}
