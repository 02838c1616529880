/* model.c - counters, bounded per-server/sender/name tables, latency
 * histograms and the snapshot every report and the UI read (L5).
 *
 * What it does: the pipeline feeds frames, DNS messages, verdicts, ICMP
 * unreachables, finished transactions, stray responses and closed lookups;
 * the model keeps totals and three tables:
 *   - servers (destinations of queries): "resolvers" when they ever received
 *     an RD=1 query, "authoritatives" otherwise;
 *   - senders (sources of RD=1 queries);
 *   - failing names: (qname, qtype) of RD=1 lookups whose final outcome is
 *     NXDOMAIN or in the Fail class (mx_outcome_is_fail). A lookup still
 *     pending when the capture ended (pending_at_end) is never "failed".
 * Each table has a hard cap; when full, the least recently seen entry is
 * evicted (its counts are lost) and the eviction is counted. Entries live in
 * one growing array addressed by index, with an open-addressing index and an
 * LRU list, so nothing is allocated per packet (only per new entry, up to the
 * cap, plus one histogram per server on its first latency sample and one
 * distinct-set table per row that sees more than six addresses). The LRU
 * links live in a dense array beside the entries (moving a row to the front
 * writes its neighbours' links, not their rows), and each entry starts with
 * its hash and distinct set, next to the row's first fields. The LRU order
 * is needed only to evict, so until a table is first full its link slots
 * hold use stamps instead (a use writes one stamp, not four links); the
 * list is built once from the stamps, in the same order, when the first
 * eviction is due.
 *
 * Hashing: the server and sender tables and the distinct sets use the
 * address hash txn.c and lookup.c already keep for clients
 * (mx_txn_client_hash), so a closed lookup brings its client's hash
 * (struct mx_lookup.client_hash) and the failing-name row's hash is derived
 * from the lookup's question hash (qhash, of class IN) by one mix. Hashes
 * only place rows in the indexes: which rows exist, their order and which
 * one is evicted follow the order of events alone. Most successful lookups
 * are of names that never failed: a bit filter in front of the failing-name
 * index answers those without touching the index. The server and sender
 * tables are found first through a small direct-mapped memo keyed by the
 * address's bytes (no hash): one exchange's query, transaction, lookup and
 * chain find the same rows, and a memoised row gives its stored hash to the
 * distinct sets, so such an address is neither hashed nor probed again
 * (memo_slot(); it changes no row, order or count).
 *
 * Recent transactions (the UI's live view) and recent closed chains are kept
 * packed (only the bytes readers use: names by length, arrays by count) in
 * byte rings that hold the last `recent` / `recent_chains` records and grow
 * with the records' actual sizes; the snapshot unpacks them into zeroed
 * structs.
 *
 * Latency: a log-linear histogram per server (mxsniff/hist.h, shared with
 * SLOW_RESOLVER: values below 32 us exact, then 32 sub-buckets per power of
 * two: at most 1/32 = 3.1 % relative width, up to 2^36 us; larger values
 * share the last bucket). Percentiles use the nearest-rank method and report
 * the upper bound of the bucket holding that rank, clamped to the exact
 * maximum, so they are deterministic, never below the true value and above
 * it by less than one bucket's width.
 *
 * Distinct counts (a server's clients, a sender's resolvers, a name's
 * clients) keep up to MX_MODEL_DISTINCT_CAP address hashes per row (six
 * inline, then a small open-addressing table allocated for that row) and
 * then saturate at MX_MODEL_DISTINCT_CAP + 1 ("more than 64"). Each set
 * remembers the member it last added or found, so the common repeat (a
 * sender's usual resolver) is one compare.
 *
 * What it does not do: decide anything (detectors do), read packets, talk
 * to a UI, or look at the wall clock. Snapshot order is total (ties broken by
 * address or name bytes), so output is the same on every run.
 */
#include "mxsniff/model.h"
#include "mxsniff/err.h"
#include "mxsniff/hist.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- latency histogram (mxsniff/hist.h) ------------------------------ */

#define HIST_TOP_EXP 36u                               /* 2^36 us ~ 19 h */
#define HIST_BUCKETS MX_HIST_BUCKETS(HIST_TOP_EXP)     /* 1024 */

/* ---- small exact distinct set ----------------------------------------- */

#define DSET_SMALL 6                            /* members kept inline */
#define DSET_SLOTS (2 * MX_MODEL_DISTINCT_CAP) /* then open addressing, load <= 1/2 */

/* Most rows see one or two distinct addresses (a failing name asked by one
 * sender), so the first DSET_SMALL members live inline (32 bytes, not a
 * 512-byte table in every row); the table is allocated once per row when a
 * seventh member arrives (per row, never per packet). */
struct dset {
	uint32_t small[DSET_SMALL]; /* 32 bits of each member's hash */
	uint32_t *big;              /* DSET_SLOTS entries, 0 = empty; NULL until needed */
	uint32_t last;              /* the member last added or found, 0 = none */
	uint8_t n;
	bool over;
};

/* Slot of value v in the table, or the empty slot where it belongs. */
static unsigned big_slot(const uint32_t *big, uint32_t v)
{
	unsigned i = v & (DSET_SLOTS - 1);
	while (big[i] != 0 && big[i] != v)
		i = (i + 1) & (DSET_SLOTS - 1);
	return i;
}

/* Members are told apart by 32 bits of their 64-bit hash: two of at most 64
 * addresses collide with probability ~5e-7, the same kind of approximation
 * as comparing hashes at all. In the table (slot chosen by the value's own
 * low bits), linear probing at load <= 1/2 makes a repeat (the common case)
 * one or two probes. */
static __attribute__((noinline)) void dset_put(struct dset *d, uint32_t v)
{
	if (!d->big) {
		for (unsigned i = 0; i < d->n; i++)
			if (d->small[i] == v)
				goto member;
		if (d->n < DSET_SMALL) {
			d->small[d->n++] = v;
			goto member;
		}
		uint32_t *big = calloc(DSET_SLOTS, sizeof(*big));
		if (!big)
			return; /* out of memory: the count stays where it is */
		for (unsigned i = 0; i < d->n; i++)
			big[big_slot(big, d->small[i])] = d->small[i];
		d->big = big;
	}
	unsigned i = big_slot(d->big, v);
	if (d->big[i] != v) {
		if (d->n >= MX_MODEL_DISTINCT_CAP) {
			d->over = true;
			return;
		}
		d->big[i] = v;
		d->n++;
	}
member:
	d->last = v;
}

static inline uint32_t dset_val(uint64_t h)
{
	uint32_t v = (uint32_t)(h >> 32);
	return v ? v : 1;
}

/* A server or sender row mostly sees the member it saw last (a sender
 * asking its usual resolver): `last`, a member for sure, answers that with
 * one compare. */
static inline void dset_add(struct dset *d, uint64_t h)
{
	uint32_t v = dset_val(h);
	if (v != d->last && !d->over)
		dset_put(d, v);
}

/* For rows that rarely see the same member twice in a row (a domain's
 * senders, a failing name's clients): no compare first. */
static inline void dset_add_cold(struct dset *d, uint64_t h)
{
	if (!d->over)
		dset_put(d, dset_val(h));
}

static void dset_free(struct dset *d)
{
	free(d->big);
	d->big = NULL;
}

static uint64_t dset_count(const struct dset *d)
{
	return d->over ? MX_MODEL_DISTINCT_CAP + 1 : d->n;
}

/* ---- bounded LRU table ------------------------------------------------ */

#define NIL UINT32_MAX

struct lnode {                   /* first member of every entry */
	uint64_t hash;
};

/* LRU links of entry i, in an array of their own beside the entries: moving
 * an entry to the front writes its neighbours' links, and in a dense 8-byte
 * array those are a few hot cache lines, not two more entries. Until the
 * table is first full (listed false) the slot holds the entry's last use
 * instead, from a per-table clock: the same order, kept with one store. */
union llink {
	struct {
		uint32_t prev, next; /* LRU list: head = most recent */
	} l;
	uint64_t stamp;              /* before the list: higher = more recent */
};

typedef bool (*ltab_eq_fn)(const void *entry, const void *key);
typedef void (*ltab_fini_fn)(void *entry);

/* Index slot: low 32 bits of the entry's hash (its home slot and a tag that
 * rejects almost every non-matching slot without touching the entry) and
 * the entry number, NIL when empty. */
struct lslot {
	uint32_t hlo, i;
};

/* Entries live in one array (grown by doubling up to the cap) and are found
 * through an open-addressing index (linear probing, load <= 1/2, grown with
 * the array): a lookup reads 8-byte slots and touches an entry only when
 * its tag matches, so a miss in a big table costs no cache miss on entries. */
struct ltab {
	unsigned char *slab;
	union llink *lk;         /* alloc entries, beside slab */
	size_t esize, n, alloc, cap;
	struct lslot *idx;
	size_t mask;             /* index size - 1 */
	uint32_t mru, lru;       /* when listed */
	bool listed;             /* lk holds the LRU list (else use stamps) */
	uint64_t clock;          /* last use stamp handed out */
	uint64_t evicted;
	ltab_fini_fn fini;
	ltab_fini_fn init;       /* zeroes a new entry; NULL = the whole entry */
};

static inline struct lnode *lt_at(const struct ltab *t, uint32_t i)
{
	return (struct lnode *)(void *)(t->slab + (size_t)i * t->esize);
}

static void idx_put(struct lslot *idx, size_t mask, uint64_t h, uint32_t i)
{
	size_t k = (size_t)h & mask;
	while (idx[k].i != NIL)
		k = (k + 1) & mask;
	idx[k].hlo = (uint32_t)h;
	idx[k].i = i;
}

/* Index of nb slots (a power of two) over the current entries. */
static int idx_build(struct ltab *t, size_t nb)
{
	struct lslot *idx = malloc(nb * sizeof(*idx));
	if (!idx)
		return MX_ENOMEM;
	for (size_t k = 0; k < nb; k++)
		idx[k].i = NIL;
	for (size_t i = 0; i < t->n; i++)
		idx_put(idx, nb - 1, lt_at(t, (uint32_t)i)->hash, (uint32_t)i);
	free(t->idx);
	t->idx = idx;
	t->mask = nb - 1;
	return 0;
}

/* Remove entry i (hash h) from the index: backward-shift deletion keeps
 * every probe sequence unbroken without tombstones. */
static void idx_del(struct ltab *t, uint64_t h, uint32_t i)
{
	size_t a = (size_t)h & t->mask;
	while (t->idx[a].i != i) {
		if (t->idx[a].i == NIL)
			return; /* not indexed (cannot happen) */
		a = (a + 1) & t->mask;
	}
	size_t b = a;
	for (;;) {
		b = (b + 1) & t->mask;
		if (t->idx[b].i == NIL)
			break;
		size_t home = t->idx[b].hlo & t->mask;
		/* the entry at b stays if its home lies cyclically in (a, b] */
		if (a <= b ? (a < home && home <= b) : (a < home || home <= b))
			continue;
		t->idx[a] = t->idx[b];
		a = b;
	}
	t->idx[a].i = NIL;
}

static int lt_init(struct ltab *t, size_t esize, size_t cap, ltab_fini_fn fini)
{
	memset(t, 0, sizeof(*t));
	if (cap > NIL - 1)
		cap = NIL - 1;
	if (cap > ((size_t)1 << 29))
		cap = (size_t)1 << 29;
	t->esize = esize;
	t->cap = cap;
	t->mru = t->lru = NIL;
	t->fini = fini;
	return idx_build(t, 16);
}

static void lt_fini(struct ltab *t)
{
	if (t->fini)
		for (size_t i = 0; i < t->n; i++)
			t->fini(lt_at(t, (uint32_t)i));
	free(t->slab);
	free(t->lk);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

static inline void lru_unlink(struct ltab *t, uint32_t i)
{
	union llink *lk = t->lk, *e = &lk[i];
	if (e->l.prev != NIL)
		lk[e->l.prev].l.next = e->l.next;
	else
		t->mru = e->l.next;
	if (e->l.next != NIL)
		lk[e->l.next].l.prev = e->l.prev;
	else
		t->lru = e->l.prev;
}

static inline void lru_push(struct ltab *t, uint32_t i)
{
	union llink *lk = t->lk, *e = &lk[i];
	e->l.prev = NIL;
	e->l.next = t->mru;
	if (t->mru != NIL)
		lk[t->mru].l.prev = i;
	t->mru = i;
	if (t->lru == NIL)
		t->lru = i;
}

/* Entry i was used (found or created): most recently seen. */
static inline void lru_touch(struct ltab *t, uint32_t i)
{
	if (!t->listed) {
		t->lk[i].stamp = ++t->clock;
	} else if (t->mru != i) {
		lru_unlink(t, i);
		lru_push(t, i);
	}
}

struct stamped {
	uint64_t stamp;
	uint32_t i;
};

/* The LRU list from the use stamps (distinct: one clock per table), oldest
 * last, as lru_touch() would have linked it use by use. The entries are
 * ordered by stamp with a byte-wise radix sort (stable; as many passes as
 * the clock has bytes). */
static int lru_build(struct ltab *t)
{
	size_t n = t->n;
	struct stamped *o = malloc((n ? n : 1) * 2 * sizeof(*o));
	if (!o)
		return MX_ENOMEM;
	struct stamped *a = o, *b = o + (n ? n : 1);
	for (size_t k = 0; k < n; k++) {
		a[k].stamp = t->lk[k].stamp;
		a[k].i = (uint32_t)k;
	}
	for (unsigned sh = 0; sh < 64 && (t->clock >> sh) != 0; sh += 8) {
		size_t cnt[256] = {0};
		for (size_t k = 0; k < n; k++)
			cnt[(a[k].stamp >> sh) & 0xff]++;
		size_t pos = 0;
		for (unsigned d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = pos;
			pos += c;
		}
		for (size_t k = 0; k < n; k++)
			b[cnt[(a[k].stamp >> sh) & 0xff]++] = a[k];
		struct stamped *x = a;
		a = b;
		b = x;
	}
	for (size_t k = 0; k < n; k++) {
		union llink *e = &t->lk[a[k].i];
		e->l.next = k ? a[k - 1].i : NIL;         /* older */
		e->l.prev = k + 1 < n ? a[k + 1].i : NIL; /* more recent */
	}
	t->lru = n ? a[0].i : NIL;
	t->mru = n ? a[n - 1].i : NIL;
	t->listed = true;
	free(o);
	return 0;
}

/* Entry number of the entry with hash h and key, NIL when absent. Inline
 * with the table's own eq function at each call site (a direct, inlined
 * compare instead of a call through t->eq). */
static inline __attribute__((always_inline)) uint32_t
lt_find_i(const struct ltab *t, uint64_t h, const void *key, ltab_eq_fn eq)
{
	uint32_t tag = (uint32_t)h;
	for (size_t k = (size_t)h & t->mask;; k = (k + 1) & t->mask) {
		const struct lslot *sl = &t->idx[k];
		if (sl->i == NIL)
			return NIL;
		if (sl->hlo == tag) {
			const struct lnode *e = lt_at(t, sl->i);
			if (e->hash == h && eq(e, key))
				return sl->i;
		}
	}
}

static inline __attribute__((always_inline)) void *
lt_find(const struct ltab *t, uint64_t h, const void *key, ltab_eq_fn eq)
{
	uint32_t i = lt_find_i(t, h, key, eq);
	return i == NIL ? NULL : lt_at(t, i);
}

/* A new zeroed entry for hash h (the key is not in the table), evicting the
 * least recently seen one when the table is full: its number, NIL only when
 * memory runs out. */
static uint32_t lt_add_i(struct ltab *t, uint64_t h)
{
	uint32_t i;
	if (t->n < t->cap) {
		if ((t->n + 1) * 2 > t->mask + 1 && idx_build(t, (t->mask + 1) * 2) != 0)
			return NIL;
		if (t->n == t->alloc) {
			size_t na = t->alloc ? t->alloc * 2 : 16;
			if (na > t->cap)
				na = t->cap;
			unsigned char *ns = realloc(t->slab, na * t->esize);
			if (!ns)
				return NIL;
			t->slab = ns;
			union llink *nl = realloc(t->lk, na * sizeof(*nl));
			if (!nl)
				return NIL;
			t->lk = nl;
			t->alloc = na;
		}
		i = (uint32_t)t->n++;
	} else {
		if (!t->listed && lru_build(t) != 0)
			return NIL;
		i = t->lru;
		lru_unlink(t, i);
		idx_del(t, lt_at(t, i)->hash, i);
		if (t->fini)
			t->fini(lt_at(t, i));
		t->evicted++;
	}
	struct lnode *e = lt_at(t, i);
	if (t->init)
		t->init(e);
	else
		memset(e, 0, t->esize);
	e->hash = h;
	idx_put(t->idx, t->mask, h, i);
	if (t->listed)
		lru_push(t, i);
	else
		t->lk[i].stamp = ++t->clock;
	return i;
}

/* Find and mark as most recently seen; or create a zeroed entry (*created),
 * evicting the least recently seen one when the table is full. The entry's
 * number, NIL only when memory runs out. */
static inline __attribute__((always_inline)) uint32_t
lt_get_i(struct ltab *t, uint64_t h, const void *key, ltab_eq_fn eq, bool *created)
{
	uint32_t i = lt_find_i(t, h, key, eq);
	if (i != NIL) {
		*created = false;
		lru_touch(t, i);
		return i;
	}
	*created = true;
	return lt_add_i(t, h);
}

/* lt_get_i() as a pointer, NULL when memory runs out. */
static inline __attribute__((always_inline)) void *
lt_get(struct ltab *t, uint64_t h, const void *key, ltab_eq_fn eq, bool *created)
{
	uint32_t i = lt_get_i(t, h, key, eq, created);
	return i == NIL ? NULL : lt_at(t, i);
}

/* ---- ring of recent variable-size records ----------------------------- */

/* The last `k` records pushed, each stored as the bytes its writer packed
 * (only what readers use), back to back in one byte buffer used as a ring:
 * a record never wraps (when it does not fit before the end it starts at 0
 * and the end stays unused), and the oldest record is dropped only when k
 * are held. When the buffer cannot take a record without dropping one of
 * the k-1 newest, it grows (doubling, records moved to the start), so it
 * settles at about twice k typical records and stays in the cache, where
 * k fixed-size slots of the largest record would not. Records are read
 * with memcpy only, so they are stored unaligned, back to back. A writer
 * that learns a record's size only as it writes reserves a bound and trims
 * the record to its size (rr_trim). Bound: at most 2 (k + 1) times the
 * largest reservation. */
struct rring {
	unsigned char *buf;
	size_t size;         /* bytes in buf */
	size_t wpos;         /* end of the newest record */
	size_t *off;         /* by slot: where its record starts */
	uint32_t *len;       /* by slot: its packed length */
	uint64_t *tag;       /* by slot: the caller's order number (chains: close number) */
	size_t k;            /* records kept (0 = ring off) */
	size_t head, n;      /* next slot to write; records held */
};

static int rr_init(struct rring *r, size_t k)
{
	memset(r, 0, sizeof(*r));
	r->k = k;
	if (!k)
		return 0;
	r->off = calloc(k, sizeof(*r->off));
	r->len = calloc(k, sizeof(*r->len));
	r->tag = calloc(k, sizeof(*r->tag));
	return r->off && r->len && r->tag ? 0 : MX_ENOMEM;
}

static void rr_fini(struct rring *r)
{
	free(r->buf);
	free(r->off);
	free(r->len);
	free(r->tag);
	memset(r, 0, sizeof(*r));
}

/* Slot of the i-th record held, oldest first. */
static inline size_t rr_slot(const struct rring *r, size_t i)
{
	return (r->head + r->k - r->n + i) % r->k;
}

/* A buffer with room for every record held plus `need` bytes, records
 * moved to its start in order. */
static int rr_grow(struct rring *r, size_t need)
{
	size_t used = 0;
	for (size_t i = 0; i < r->n; i++)
		used += r->len[rr_slot(r, i)];
	size_t ns = r->size ? r->size * 2 : 4096;
	while (ns < used + need)
		ns *= 2;
	unsigned char *nb = malloc(ns);
	if (!nb)
		return MX_ENOMEM;
	size_t at = 0;
	for (size_t i = 0; i < r->n; i++) {
		size_t sl = rr_slot(r, i);
		memcpy(nb + at, r->buf + r->off[sl], r->len[sl]);
		r->off[sl] = at;
		at += r->len[sl];
	}
	free(r->buf);
	r->buf = nb;
	r->size = ns;
	r->wpos = at;
	return 0;
}

/* Room for a new record of n bytes (n > 0), which becomes the newest; the
 * oldest is dropped when k are held. NULL when the ring is off or memory
 * runs out (then nothing changes). */
static unsigned char *rr_push(struct rring *r, size_t n)
{
	if (!r->k)
		return NULL;
	size_t keep = r->n == r->k ? r->n - 1 : r->n; /* records that stay */
	size_t at;
	for (;;) {
		if (keep == 0) {
			if (n <= r->size) {
				at = 0;
				break;
			}
		} else {
			size_t sl = r->head >= keep ? r->head - keep : r->head + r->k - keep;
			size_t old = r->off[sl];     /* start of the oldest record kept */
			if (old < r->wpos) {         /* used: [old, wpos) */
				if (r->wpos + n <= r->size) {
					at = r->wpos;
					break;
				}
				if (n <= old) {
					at = 0;
					break;
				}
			} else if (r->wpos + n <= old) { /* used: [old, end), [0, wpos) */
				at = r->wpos;
				break;
			}
		}
		if (rr_grow(r, n) != 0)
			return NULL;
	}
	r->off[r->head] = at;
	r->len[r->head] = (uint32_t)n;
	r->head = r->head + 1 == r->k ? 0 : r->head + 1;
	r->n = keep + 1;
	r->wpos = at + n;
	return r->buf + at;
}

/* The newest record is n bytes (at most what rr_push() reserved): the rest
 * of the reservation is free again. */
static void rr_trim(struct rring *r, size_t n, uint64_t tag)
{
	size_t sl = r->head ? r->head - 1 : r->k - 1;
	r->len[sl] = (uint32_t)n;
	r->tag[sl] = tag;
	r->wpos = r->off[sl] + n;
}

/* ---- filter in front of the failing-name table --------------------------- */

/* One bit per (multiplicatively hashed) low 32 bits of a name's table hash,
 * set when the name enters the table. A successful lookup of a name whose
 * bit is clear cannot have a row, so it touches no index line; a set bit
 * (a row, or one evicted since, or a collision) goes to the index as
 * before. About 8 bits per row (at least 64 bits, at most 2^NF_MAX_LG): the
 * filter grows with the table, so a small table has a filter of a few cache
 * lines. Evictions leave bits behind, so once the table evicts, the bits are
 * rebuilt from the index (its slots keep the same 32 bits) after as many
 * insertions as there are rows: under 1/8 of the bits set right after a
 * rebuild, under 1/4 before the next. */
#define NF_MIN_LG 6u
#define NF_MAX_LG 23u

struct nfilter {
	uint64_t *bits;
	unsigned lg;        /* log2 of the number of bits */
	size_t adds;        /* insertions since the last rebuild */
};

static int nf_init(struct nfilter *f)
{
	f->lg = NF_MIN_LG;
	f->adds = 0;
	f->bits = calloc(((size_t)1 << NF_MIN_LG) / 64, sizeof(uint64_t));
	return f->bits ? 0 : MX_ENOMEM;
}

static inline uint32_t nf_bit(const struct nfilter *f, uint32_t hlo)
{
	return (uint32_t)(hlo * 0x9e3779b1u) >> (32 - f->lg);
}

static inline bool nf_test(const struct nfilter *f, uint64_t h)
{
	uint32_t b = nf_bit(f, (uint32_t)h);
	return (f->bits[b >> 6] >> (b & 63)) & 1;
}

static inline void nf_set(struct nfilter *f, uint32_t hlo)
{
	uint32_t b = nf_bit(f, hlo);
	f->bits[b >> 6] |= (uint64_t)1 << (b & 63);
}

/* A name entered table t (hash h). */
static void nf_add(struct nfilter *f, const struct ltab *t, uint64_t h)
{
	nf_set(f, (uint32_t)h);
	f->adds++;
	unsigned lg = f->lg;
	while (lg < NF_MAX_LG && ((size_t)1 << lg) < t->n * 8)
		lg++;
	if (lg == f->lg && (!t->evicted || f->adds <= t->n))
		return;
	size_t words = ((size_t)1 << lg) / 64;
	if (lg != f->lg) {
		uint64_t *nb = calloc(words, sizeof(uint64_t));
		if (!nb)
			return; /* keep the smaller filter: still correct */
		free(f->bits);
		f->bits = nb;
		f->lg = lg;
	} else {
		memset(f->bits, 0, words * sizeof(uint64_t));
	}
	for (size_t k = 0; k <= t->mask; k++)
		if (t->idx[k].i != NIL)
			nf_set(f, t->idx[k].hlo);
	f->adds = 0;
}

/* ---- entries ---------------------------------------------------------- */

/* One address hash serves the server and sender tables and the distinct
 * sets (they are separate structures), so a message hashes each address once.
 * It is the hash txn.c and lookup.c keep for the client (mx_txn_client_hash),
 * so a closed lookup brings its client's hash along (no hashing here). The
 * failing-name table hashes (qname, qtype) as the lookup's question hash
 * (qclass IN) mixed with a seed of its own. None of this changes which rows
 * exist, their order in the tables or which is evicted: those follow the
 * order of events only. */
#define SEED_NAME 0x4a4e3eULL

/* Each entry starts with its hash and distinct set, which share the first
 * cache line with the row's first fields (address, or the name's first
 * bytes): a row update touches one line fewer than with the set at the end. */
struct srv {
	struct lnode node;
	struct dset clients;
	uint64_t *hist;              /* HIST_BUCKETS counters, lazily */
	struct mx_server_row row;
};

struct snd {
	struct lnode node;
	struct dset resolvers;
	struct mx_sender_row row;
};

struct nam {
	struct lnode node;
	struct dset clients;
	struct mx_name_row row;
};

struct dom {
	struct lnode node;
	struct dset senders;
	struct mx_domain_row row;
};

static bool dom_eq(const void *e, const void *k)
{
	return mx_dname_eq(&((const struct dom *)e)->row.domain, k);
}

#define SEED_DOM 0xd0d0ULL

struct name_key {
	const struct mx_dname *qname;
	uint16_t qtype;
};

static bool srv_eq(const void *e, const void *k)
{
	return mx_addr_eq(&((const struct srv *)e)->row.addr, k);
}

static bool snd_eq(const void *e, const void *k)
{
	return mx_addr_eq(&((const struct snd *)e)->row.addr, k);
}

static bool nam_eq(const void *e, const void *k)
{
	const struct nam *n = e;
	const struct name_key *key = k;
	return n->row.qtype == key->qtype && mx_dname_eq(&n->row.qname, key->qname);
}

static void srv_fini(void *e)
{
	struct srv *s = e;
	free(s->hist);
	s->hist = NULL;
	dset_free(&s->clients);
}

static void snd_fini(void *e)
{
	dset_free(&((struct snd *)e)->resolvers);
}

static void nam_fini(void *e)
{
	dset_free(&((struct nam *)e)->clients);
}

static void dom_fini(void *e)
{
	dset_free(&((struct dom *)e)->senders);
}

/* A new domain row is zeroed except the name's bytes, which its creator
 * copies (by length; nobody reads past it): 4 of its 7 cache lines are
 * written instead of all, and the table evicts and creates a row for about
 * every other chain once it is full. */
static void dom_init(void *e)
{
	struct dom *d = e;
	memset(d, 0, offsetof(struct dom, row.domain.wire));
	size_t tail = offsetof(struct dom, row.domain) + sizeof(d->row.domain);
	memset((unsigned char *)d + tail, 0, sizeof(*d) - tail);
}

#define MEMO_LG 6u /* memo slots per table: 64 (see memo_slot()) */

struct mx_model {
	struct mx_model_opts o;
	char source[256], filter[512];
	bool live;
	uint64_t first_us, last_us;
	uint64_t packets, bytes, dns_messages, queries, responses;
	uint64_t dns_malformed, dns_truncated, dns_not_dns, icmp_dns;
	uint64_t by_qtype_other, qtype_counts[MX_QS__COUNT];
	struct mx_decode_stats decode;
	struct mx_txn_stats txn;
	struct mx_lookup_stats lookup;
	struct mx_capture_stats capture;
	struct ltab servers, senders, names;
	uint32_t srv_memo[1u << MEMO_LG], snd_memo[1u << MEMO_LG]; /* see memo_slot() */
	struct nfilter nf;           /* names that may be in `names` */
	struct rring ring;           /* recent transactions (struct rtxn records) */
	struct ltab domains;
	struct rring chains;         /* recent closed chains (chain_walk records) */
	struct rring bad_chains;     /* recent closed chains that were deferred or failed, so
				      * that the reports keep an incident's early attempts
				      * when many healthy chains close after them */
	uint64_t chain_closes;       /* chains closed: the rings' tags */
	struct mx_chain_stats chain;
	struct mx_finding *findings;
	size_t n_findings;
	uint64_t findings_evicted;
};

void mx_model_opts_default(struct mx_model_opts *o)
{
	o->max_servers = 4096;
	o->max_senders = 16384;
	o->max_names = 8192;
	o->recent = 256;
	o->top_failing = 20;
	o->recent_chains = 256;
	o->max_domains = 4096;
	o->full_findings = MX_SNAP_FULL_FINDINGS;
}

const char *mx_model_qtype_slot_name(enum mx_qtype_slot s)
{
	static const char *const names[MX_QS__COUNT] = {
		"A", "AAAA", "MX", "TXT", "PTR", "TLSA", "other_known", "HTTPS",
	};
	return (unsigned)s < MX_QS__COUNT ? names[s] : "?";
}

/* Slot + 1 of each qtype below 256 (0: no slot); no qtype above has one. */
static const uint8_t qtype_slot1[256] = {
	[MX_TYPE_A] = MX_QS_A + 1, [MX_TYPE_AAAA] = MX_QS_AAAA + 1, [MX_TYPE_MX] = MX_QS_MX + 1,
	[MX_TYPE_TXT] = MX_QS_TXT + 1, [MX_TYPE_PTR] = MX_QS_PTR + 1, [MX_TYPE_TLSA] = MX_QS_TLSA + 1,
	[MX_TYPE_HTTPS] = MX_QS_HTTPS + 1,
	[MX_TYPE_NS] = MX_QS_OTHER_KNOWN + 1, [MX_TYPE_CNAME] = MX_QS_OTHER_KNOWN + 1,
	[MX_TYPE_SOA] = MX_QS_OTHER_KNOWN + 1, [MX_TYPE_SRV] = MX_QS_OTHER_KNOWN + 1,
	[43 /* DS */] = MX_QS_OTHER_KNOWN + 1, [48 /* DNSKEY */] = MX_QS_OTHER_KNOWN + 1,
	[64 /* SVCB */] = MX_QS_OTHER_KNOWN + 1, [MX_TYPE_ANY] = MX_QS_OTHER_KNOWN + 1,
};

/* The qtype_counts slot of qtype t, -1 for none (one load, not a switch). */
static inline int qtype_slot(uint16_t t)
{
	return t < 256 ? (int)qtype_slot1[t] - 1 : -1;
}

struct mx_model *mx_model_new(const struct mx_model_opts *o)
{
	struct mx_model *m = calloc(1, sizeof(*m));
	struct mx_model_opts d;
	if (!m)
		return NULL;
	mx_model_opts_default(&d);
	if (o)
		m->o = *o;
	else
		m->o = d;
	if (!m->o.max_servers)
		m->o.max_servers = d.max_servers;
	if (!m->o.max_senders)
		m->o.max_senders = d.max_senders;
	if (!m->o.max_names)
		m->o.max_names = d.max_names;
	if (lt_init(&m->servers, sizeof(struct srv), m->o.max_servers, srv_fini) ||
	    lt_init(&m->senders, sizeof(struct snd), m->o.max_senders, snd_fini) ||
	    lt_init(&m->names, sizeof(struct nam), m->o.max_names, nam_fini) ||
	    lt_init(&m->domains, sizeof(struct dom), m->o.max_domains ? m->o.max_domains : d.max_domains,
		    dom_fini))
		goto fail;
	m->domains.init = dom_init;
	for (size_t k = 0; k < (1u << MEMO_LG); k++)
		m->srv_memo[k] = m->snd_memo[k] = NIL;
	if (rr_init(&m->chains, m->o.recent_chains) || rr_init(&m->bad_chains, m->o.recent_chains) ||
	    rr_init(&m->ring, m->o.recent) ||
	    nf_init(&m->nf))
		goto fail;
	return m;
fail:
	mx_model_free(m);
	return NULL;
}

void mx_model_free(struct mx_model *m)
{
	if (!m)
		return;
	lt_fini(&m->servers);
	lt_fini(&m->senders);
	lt_fini(&m->names);
	lt_fini(&m->domains);
	rr_fini(&m->ring);
	rr_fini(&m->chains);
	rr_fini(&m->bad_chains);
	free(m->nf.bits);
	free(m->findings);
	free(m);
}

void mx_model_set_source(struct mx_model *m, const char *source, const char *filter, bool live)
{
	snprintf(m->source, sizeof m->source, "%s", source ? source : "");
	snprintf(m->filter, sizeof m->filter, "%s", filter ? filter : "");
	m->live = live;
}

static void see_time(struct mx_model *m, uint64_t ts)
{
	if (!m->first_us || ts < m->first_us)
		m->first_us = ts;
	if (ts > m->last_us)
		m->last_us = ts;
}

static void row_time(uint64_t *first, uint64_t *last, uint64_t ts)
{
	if (!*first || ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

void mx_model_observe_frame(struct mx_model *m, const struct mx_frame *f)
{
	m->packets++;
	m->bytes += f->len;
	see_time(m, f->ts_us);
}

static inline uint64_t addr_hash(const struct mx_addr *a)
{
	return mx_txn_client_hash(a);
}

/* ---- address memo in front of the server and sender tables ---------- */

/* Each exchange finds its server and sender several times: the query, its
 * transaction, the lookup, the chain. A small direct-mapped memo per table,
 * slot chosen by a multiply of the address's words (no hashing), holds the
 * number of the entry last found there. It is only a guess: a hit is an
 * entry that holds the very address (compared in full), which, the address
 * being the table's key, is that address's row; the slot may point at a row
 * evicted and reused since, which then fails the compare. A hit is touched
 * as a lookup would touch it and its hash is read from the entry, so the
 * rows, their LRU order and the hashes given to the distinct sets are the
 * same as without the memo. A miss hashes and probes as before and stores
 * the entry's number. */
static inline unsigned memo_slot(const struct mx_addr *a)
{
	uint64_t x = (mx_load64_(a->a) ^ mx_load64_(a->a + 8)) + a->family;
	return (unsigned)((x * 0x9e3779b97f4a7c15ULL) >> (64 - MEMO_LG));
}

/* The memoised entry of table t for address a (at byte aoff of an entry),
 * touched; NIL when the slot does not hold it. */
static inline __attribute__((always_inline)) uint32_t
memo_hit(struct ltab *t, const uint32_t *slot, const struct mx_addr *a, size_t aoff)
{
	uint32_t i = *slot;
	if (i < t->n && mx_addr_eq((const struct mx_addr *)(const void *)((const unsigned char *)lt_at(t, i) + aoff), a)) {
		lru_touch(t, i);
		return i;
	}
	return NIL;
}

/* The memo's slot missed: find or create the row of a (hash h, or 0 to
 * hash a here) and remember its number in *slot. NULL when memory runs
 * out. */
static inline __attribute__((always_inline)) struct lnode *
memo_miss(struct ltab *t, uint32_t *slot, const struct mx_addr *a, size_t aoff, uint64_t h, ltab_eq_fn eq)
{
	bool created;
	uint32_t i = lt_get_i(t, h ? h : addr_hash(a), a, eq, &created);
	if (i == NIL)
		return NULL;
	struct lnode *e = lt_at(t, i);
	if (created)
		memcpy((unsigned char *)e + aoff, a, sizeof(*a));
	*slot = i;
	return e;
}

static __attribute__((noinline)) struct srv *srv_miss(struct mx_model *m, uint32_t *slot, const struct mx_addr *a,
						     uint64_t h)
{
	return (struct srv *)memo_miss(&m->servers, slot, a, offsetof(struct srv, row.addr), h, srv_eq);
}

static __attribute__((noinline)) struct snd *snd_miss(struct mx_model *m, uint32_t *slot, const struct mx_addr *a,
						     uint64_t h)
{
	return (struct snd *)memo_miss(&m->senders, slot, a, offsetof(struct snd, row.addr), h, snd_eq);
}

/* The server row of a (found or created, most recently seen); h is a's
 * address hash or 0 (computed when needed). NULL when memory runs out. */
static inline __attribute__((always_inline)) struct srv *get_srv_h(struct mx_model *m, const struct mx_addr *a,
								   uint64_t h)
{
	uint32_t *slot = &m->srv_memo[memo_slot(a)];
	uint32_t i = memo_hit(&m->servers, slot, a, offsetof(struct srv, row.addr));
	if (i != NIL)
		return (struct srv *)lt_at(&m->servers, i);
	return srv_miss(m, slot, a, h);
}

static inline __attribute__((always_inline)) struct srv *get_srv(struct mx_model *m, const struct mx_addr *a)
{
	return get_srv_h(m, a, 0);
}

/* Found without a touch (no memo: strays are rare). */
static struct srv *find_srv(struct mx_model *m, const struct mx_addr *a)
{
	return lt_find(&m->servers, addr_hash(a), a, srv_eq);
}

/* As get_srv_h(), for the sender table. */
static inline __attribute__((always_inline)) struct snd *get_snd_h(struct mx_model *m, const struct mx_addr *a,
								   uint64_t h)
{
	uint32_t *slot = &m->snd_memo[memo_slot(a)];
	uint32_t i = memo_hit(&m->senders, slot, a, offsetof(struct snd, row.addr));
	if (i != NIL)
		return (struct snd *)lt_at(&m->senders, i);
	return snd_miss(m, slot, a, h);
}

/* A query's rows (its server, and its sender when RD=1): out of line, so
 * that a response (about half the messages) is counted without saving the
 * registers this needs. */
static __attribute__((noinline)) void observe_query(struct mx_model *m, const struct mx_dns_msg *msg)
{
	m->queries++;
	if (msg->has_question) {
		int slot = qtype_slot(msg->qtype);
		if (slot >= 0)
			m->qtype_counts[slot]++;
		else
			m->by_qtype_other++;
	}
	/* a query to a multicast group (mDNS, LLMNR: --dns-port 5353/5355)
	 * asks whoever owns the name: the group is no server, and its asker
	 * no sender of this host's lookups (txn.c does not track it either) */
	if (mx_addr_is_multicast(&msg->dst))
		return;
	/* the rows carry their addresses' hashes: each address is hashed
	 * only when its row is not memoised (or, for an RD=0 query's source,
	 * which has no row to look up) */
	struct srv *s = get_srv_h(m, &msg->dst, 0);
	struct snd *c = msg->rd ? get_snd_h(m, &msg->src, 0) : NULL;
	uint64_t h_src = c ? c->node.hash : addr_hash(&msg->src);
	if (s) {
		s->row.queries++;
		if (msg->rd)
			s->row.recursive = true;
		if (msg->transport == MX_T_TCP)
			s->row.tcp_queries++;
		dset_add(&s->clients, h_src);
		row_time(&s->row.first_us, &s->row.last_us, msg->ts_us);
	}
	if (c) {
		c->row.queries++;
		if (msg->edns)
			c->row.edns_queries++;
		if (msg->edns_do)
			c->row.do_queries++;
		c->row.ad_queries += msg->ad;
		c->row.cd_queries += msg->cd;
		dset_add(&c->resolvers, s ? s->node.hash : addr_hash(&msg->dst));
		row_time(&c->row.first_us, &c->row.last_us, msg->ts_us);
	}
}

void mx_model_observe_msg(struct mx_model *m, const struct mx_dns_msg *msg)
{
	m->dns_messages++;
	see_time(m, msg->ts_us);
	if (msg->qr)
		m->responses++;
	else
		observe_query(m, msg);
}

void mx_model_observe_dns_verdict(struct mx_model *m, enum mx_dns_verdict v)
{
	switch (v) {
	case MX_DNS_MALFORMED: m->dns_malformed++; break;
	case MX_DNS_TRUNCATED: m->dns_truncated++; break;
	case MX_DNS_NOT_DNS: m->dns_not_dns++; break;
	case MX_DNS_OK: break;
	}
}

void mx_model_observe_icmp(struct mx_model *m, const struct mx_icmp *ic)
{
	m->icmp_dns++;
	see_time(m, ic->ts_us);
}

/* A record of the recent-transaction ring: the fixed fields at fixed byte
 * offsets (no padding), the two addresses, then the name's wire bytes.
 * An address is a tag byte (its family, and in the top bits how many of its
 * 16 bytes follow: all, the first 4 with the rest zero, or none because all
 * are zero; a family too large for the tag gets a byte of its own) and
 * those bytes, so an IPv4 transaction with a typical name takes one cache
 * line instead of a 328-byte struct. */
enum { RT_TS = 0, RT_FRAME = 8, RT_LAT = 16, RT_QTYPE = 24, RT_OUTCOME = 26, RT_QLEN, RT_QLABELS, RT_ADDRS };
enum { RA_FULL = 0, RA_FOUR = 1, RA_ZERO = 2, RA_RAW = 3, RA_SHIFT = 6 };
_Static_assert(MX_O__COUNT <= 256, "an outcome fits a byte");

static inline unsigned ra_kind(const struct mx_addr *x)
{
	uint32_t w4;
	memcpy(&w4, x->a + 4, 4);
	if (x->family >> RA_SHIFT)
		return RA_RAW;
	if (mx_load64_(x->a + 8) != 0 || w4 != 0)
		return RA_FULL;
	return mx_load64_(x->a) == 0 ? RA_ZERO : RA_FOUR;
}

static inline size_t ra_len(unsigned k)
{
	return k == RA_FOUR ? 1 + 4 : (k == RA_ZERO ? 1 : (k == RA_FULL ? 1 + 16 : 2 + 16));
}

static inline unsigned char *ra_put(unsigned char *p, const struct mx_addr *x, unsigned k)
{
	if (k == RA_FOUR) {
		p[0] = (unsigned char)(x->family | RA_FOUR << RA_SHIFT);
		memcpy(p + 1, x->a, 4);
		return p + 5;
	}
	if (k == RA_ZERO) {
		p[0] = (unsigned char)(x->family | RA_ZERO << RA_SHIFT);
		return p + 1;
	}
	if (k == RA_FULL) {
		p[0] = x->family;
		memcpy(p + 1, x->a, 16);
		return p + 17;
	}
	p[0] = (unsigned char)(RA_RAW << RA_SHIFT);
	p[1] = x->family;
	memcpy(p + 2, x->a, 16);
	return p + 18;
}

static void ring_push(struct mx_model *m, const struct mx_txn *t)
{
	unsigned kc = ra_kind(&t->client), ks = ra_kind(&t->server);
	unsigned char *p = rr_push(&m->ring, RT_ADDRS + ra_len(kc) + ra_len(ks) + t->qname.len);
	if (!p)
		return;
	uint64_t ts = t->r_frame ? t->r_ts : t->q_ts;
	uint64_t frame = t->r_frame ? t->r_frame : t->q_frame;
	memcpy(p + RT_TS, &ts, 8);
	memcpy(p + RT_FRAME, &frame, 8);
	memcpy(p + RT_LAT, &t->latency_us, 8);
	memcpy(p + RT_QTYPE, &t->qtype, 2);
	p[RT_OUTCOME] = (uint8_t)t->outcome;
	p[RT_QLEN] = t->qname.len;
	p[RT_QLABELS] = t->qname.labels;
	p = ra_put(p + RT_ADDRS, &t->client, kc);
	p = ra_put(p, &t->server, ks);
	memcpy(p, t->qname.wire, t->qname.len);
}

/* *x zeroed by the caller */
static size_t ra_get(const unsigned char *p, struct mx_addr *x)
{
	unsigned k = p[0] >> RA_SHIFT;
	size_t h = 1, n = k == RA_FOUR ? 4 : (k == RA_ZERO ? 0 : sizeof(x->a));
	if (k == RA_RAW) {
		x->family = p[1];
		h = 2;
	} else {
		x->family = p[0] & ((1u << RA_SHIFT) - 1);
	}
	memcpy(x->a, p + h, n);
	return h + n;
}

static void ring_get(const struct mx_model *m, size_t i, struct mx_recent_txn *out)
{
	const unsigned char *p = m->ring.buf + m->ring.off[rr_slot(&m->ring, i)];
	memcpy(&out->ts_us, p + RT_TS, 8);
	memcpy(&out->frame, p + RT_FRAME, 8);
	memcpy(&out->latency_us, p + RT_LAT, 8);
	memcpy(&out->qtype, p + RT_QTYPE, 2);
	out->outcome = (enum mx_outcome)p[RT_OUTCOME];
	out->qname.len = p[RT_QLEN];
	out->qname.labels = p[RT_QLABELS];
	size_t n = RT_ADDRS;
	n += ra_get(p + n, &out->client);
	n += ra_get(p + n, &out->server);
	memcpy(out->qname.wire, p + n, out->qname.len);
}

void mx_model_observe_txn(struct mx_model *m, const struct mx_txn *t)
{
	if (t->kind == MX_TXN_OPEN)
		return;
	if (m->ring.k) /* off (recent = 0) unless a UI reads it: nothing to pack */
		ring_push(m, t);
	struct srv *s = get_srv(m, &t->server);
	if (!s)
		return;
	struct mx_server_row *r = &s->row;
	r->transactions++;
	if (t->rd)
		r->recursive = true;
	if ((unsigned)t->outcome < MX_O__COUNT)
		r->outcomes[t->outcome]++;
	row_time(&r->first_us, &r->last_us, t->q_ts);
	switch (t->kind) {
	case MX_TXN_ANSWERED:
		r->answered++;
		r->rcodes[t->rcode < MX_RCODE_SLOTS - 1 ? t->rcode : MX_RCODE_SLOTS - 1]++;
		if (t->tc)
			r->truncated++;
		if (!s->hist) {
			s->hist = calloc(HIST_BUCKETS, sizeof(*s->hist));
			if (!s->hist)
				break;
		}
		s->hist[mx_hist_index(t->latency_us, HIST_TOP_EXP)]++;
		r->latency.count++;
		if (t->latency_us > r->latency.max)
			r->latency.max = t->latency_us;
		row_time(&r->first_us, &r->last_us, t->r_ts);
		break;
	case MX_TXN_TIMEOUT: r->timeouts++; break;
	case MX_TXN_UNREACHABLE: r->unreachable++; break;
	case MX_TXN_PENDING: r->pending++; break;
	case MX_TXN_OPEN: break;
	}
}

void mx_model_observe_stray(struct mx_model *m, const struct mx_stray *st)
{
	/* Attributed to the server the query went to; no row is created. */
	const struct mx_addr *a = NULL;
	if (st->kind == MX_STRAY_WRONG_SOURCE)
		a = &st->expected;
	else if (st->resp && (st->kind == MX_STRAY_LATE || st->kind == MX_STRAY_DUPLICATE))
		a = &st->resp->src;
	if (!a)
		return;
	struct srv *s = find_srv(m, a);
	if (!s)
		return;
	switch (st->kind) {
	case MX_STRAY_LATE: s->row.late++; break;
	case MX_STRAY_DUPLICATE: s->row.duplicate++; break;
	case MX_STRAY_WRONG_SOURCE: s->row.wrong_source++; break;
	default: break;
	}
}

static uint64_t lookup_frame(const struct mx_lookup *l)
{
	if (l->decided_frame)
		return l->decided_frame;
	for (unsigned i = l->n_tries; i-- > 0;) {
		if (l->tries[i].r_frame)
			return l->tries[i].r_frame;
		if (l->tries[i].q_frame)
			return l->tries[i].q_frame;
	}
	return 0;
}

/* _mta-sts.<domain> or _smtp._tls.<domain> (wire: lowercased). */
static bool policy_name(const struct mx_dname *n)
{
	const uint8_t *w = n->wire;
	if (n->len > 10 && w[0] == 8 && memcmp(w + 1, "_mta-sts", 8) == 0)
		return true;
	return n->len > 12 && w[0] == 5 && memcmp(w + 1, "_smtp", 5) == 0 && w[6] == 4 &&
	       memcmp(w + 7, "_tls", 4) == 0;
}

void mx_model_observe_lookup(struct mx_model *m, const struct mx_lookup *l)
{
	if (!l->rd)
		return; /* iterative traffic: neither a sender nor a failing name */
	/* A lookup the capture cut off (pending_at_end) has not failed yet. */
	bool fail = !l->pending_at_end && mx_outcome_is_fail(l->outcome);
	unsigned oc = (unsigned)l->outcome < MX_O__COUNT ? (unsigned)l->outcome : MX_O_OTHER;
	/* NXDOMAIN is a failure for a name, except where it is the normal "no
	 * policy" answer: TLSA (no DANE), the TXT of _mta-sts.<domain> (no
	 * MTA-STS, RFC 8461 §3.1; Courier asks it before every MX) and of
	 * _smtp._tls.<domain> (no TLS-RPT, RFC 8460) */
	bool bad = fail || (!l->pending_at_end && l->outcome == MX_O_NXDOMAIN && l->qtype != MX_TYPE_TLSA &&
			    !(l->qtype == MX_TYPE_TXT && policy_name(&l->qname)));
	/* the name row is keyed (qname, qtype): the question hash of class IN
	 * (1) whatever the lookup's class, which for IN is the lookup's own */
	uint64_t qh = l->qclass == 1 ? mx_lookup_qhash_of(l) : mx_txn_question_hash(&l->qname, l->qtype, 1);
	uint64_t h = mx_mix_word_(qh, SEED_NAME);
	/* the name's index slot or filter word is usually cold: start loading
	 * it now, under the sender row's update */
	if (bad)
		__builtin_prefetch(&m->names.idx[h & m->names.mask]);
	else
		__builtin_prefetch(&m->nf.bits[nf_bit(&m->nf, (uint32_t)h) >> 6]);
	uint64_t h_client = mx_lookup_client_hash_of(l);
	struct snd *c = get_snd_h(m, &l->client, h_client);
	if (c) {
		struct mx_sender_row *r = &c->row;
		r->lookups++;
		r->outcomes[oc]++;
		if (fail)
			r->failed++;
		switch (l->qtype) {
		case MX_TYPE_MX: r->mx_lookups++; break;
		case MX_TYPE_A: r->a_lookups++; break;
		case MX_TYPE_AAAA: r->aaaa_lookups++; break;
		case MX_TYPE_ANY:
			r->other_lookups++;
			r->any_lookups += l->qclass == 1;
			break;
		default: r->other_lookups++; break;
		}
		row_time(&r->first_us, &r->last_us, l->first_us);
		row_time(&r->first_us, &r->last_us, l->last_us);
		if (l->forwarded) {
			r->forwarded++;
			r->fwd_for = l->fwd_server;
		}
		if (l->n_tries > 1 && mx_lookup_multi_send(l))
			r->multi_send++;
	}
	if (l->forwarded) {
		struct srv *sv = get_srv(m, &l->fwd_server);
		if (sv) {
			sv->row.forwarded++;
			sv->row.fwd_to = l->n_resolvers ? l->resolvers[0] : (struct mx_addr){0};
			sv->row.fwd_via = l->client;
		}
		return; /* its client's lookup of the same question counts for the name */
	}
	struct name_key key = { &l->qname, l->qtype };
	struct nam *n;
	if (bad) {
		bool created;
		n = lt_get(&m->names, h, &key, nam_eq, &created);
		if (n && created) {
			mx_dname_copy(&n->row.qname, &l->qname);
			n->row.qtype = l->qtype;
			nf_add(&m->nf, &m->names, h);
		}
	} else {
		/* successes count only on known rows */
		n = nf_test(&m->nf, h) ? lt_find(&m->names, h, &key, nam_eq) : NULL;
	}
	if (!n)
		return;
	struct mx_name_row *r = &n->row;
	r->lookups++;
	r->outcomes[oc]++;
	if (bad)
		r->failed++;
	r->last_outcome = l->outcome;
	dset_add_cold(&n->clients, h_client);
	row_time(&r->first_us, &r->last_us, l->first_us);
	row_time(&r->first_us, &r->last_us, l->last_us);
	uint64_t f = lookup_frame(l);
	if (f)
		r->last_frame = f;
}

const char *mx_sender_family_order(const struct mx_sender_row *r)
{
	uint64_t n = r->hosts_aaaa_first + r->hosts_a_first + r->hosts_parallel;
	if (r->forwarded * 2 > r->lookups)
		return "forwarder";
	if (n == 0)
		return "unknown";
	if (r->hosts_parallel * 2 > n)
		return "parallel";
	if (r->hosts_a_only == n)
		return "A-only";
	/* a sender whose AAAA failed and that never asked A is the AAAA-first
	 * one that does not fall back (AAAA_SERVFAIL_LOOP's words) */
	if (r->hosts_aaaa_only == n && r->aaaa_fail == 0)
		return "AAAA-only";
	if (r->hosts_aaaa_first * 10 >= n * 9)
		return "AAAA-first";
	if (r->hosts_a_first * 10 >= n * 9)
		return "A-first";
	return "mixed";
}

const char *mx_sender_fallback(const struct mx_sender_row *r)
{
	if (r->aaaa_fail == 0)
		return "-";
	if (r->aaaa_fail_then_a == r->aaaa_fail)
		return "falls back to A";
	if (r->aaaa_fail_then_a == 0)
		return "never asks A";
	return "sometimes asks A";
}

/* A closed chain is kept as the bytes readers use, packed: unused host
 * slots, name bytes past each name's length, step frames and resolvers and
 * host addresses past their counts are left out (a chain is ~12 KiB, a
 * typical one packs to well under 1 KiB). One walk over the fields, group by
 * group (offsetof, so a field added to any group is still carried), serves
 * two modes: pack (its size known only at the end: the ring reserves the
 * unpacked size, which bounds it, and is trimmed after), and unpack into a
 * zeroed struct. The walk reads every count from `s`: the chain being
 * packed, or when unpacking the chain being filled (each count is restored
 * before the group that depends on it). */
enum { W_PACK, W_UNPACK };

struct walk {
	unsigned char *out;      /* W_PACK: packed bytes written here */
	const unsigned char *in; /* W_UNPACK: packed bytes read from here */
	size_t n;                /* bytes so far */
};

/* mode is a constant at each of the three entry points; every walker is
 * inlined into them, so each gets its own straight-line code. */
static inline __attribute__((always_inline)) void w_seg(int mode, struct walk *w, const void *s, void *d,
							 size_t from, size_t to)
{
	size_t len = to - from;
	if (mode == W_PACK)
		memcpy(w->out + w->n, (const unsigned char *)s + from, len);
	else if (mode == W_UNPACK)
		memcpy((unsigned char *)d + from, w->in + w->n, len);
	w->n += len;
}

/* A segment whose length varies (a name's bytes, the used part of an
 * array). Packing copies it in whole 16-byte chunks (len rounded up): a
 * fixed-size copy per chunk instead of a variable-length one (inline rep
 * movs, slow to start, per name and array). The up to 15 bytes past len are
 * read from the chain struct itself (every variable segment is followed by
 * other fields of struct mx_chain) and written past the record's end, where
 * the next segment overwrites them or, after the last one, the ring's
 * reservation (PACK_SLACK more than the struct) holds them until rr_trim()
 * gives them back. Unpacking copies exactly len bytes: the struct it fills
 * stays zero past each length. */
#define PACK_CHUNK 16u
#define PACK_SLACK PACK_CHUNK

static inline __attribute__((always_inline)) void w_var(int mode, struct walk *w, const void *s, void *d,
							 size_t from, size_t to)
{
	size_t len = to - from;
	if (mode == W_PACK) {
		unsigned char *o = w->out + w->n;
		const unsigned char *i = (const unsigned char *)s + from;
		for (size_t k = 0; k < len; k += PACK_CHUNK)
			memcpy(o + k, i + k, PACK_CHUNK);
		w->n += len;
	} else {
		w_seg(mode, w, s, d, from, to);
	}
}

#define SEG_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#define SUB(d, field) ((d) ? &(d)->field : NULL)

static inline __attribute__((always_inline)) void w_name(int mode, struct walk *w, const struct mx_dname *s,
							  struct mx_dname *d)
{
	w_seg(mode, w, s, d, 0, offsetof(struct mx_dname, wire));
	w_var(mode, w, s, d, offsetof(struct mx_dname, wire), offsetof(struct mx_dname, wire) + s->len);
}

static inline __attribute__((always_inline)) void w_step(int mode, struct walk *w, const struct mx_chain_step *s,
							  struct mx_chain_step *d)
{
	typedef struct mx_chain_step T;
	w_seg(mode, w, s, d, 0, offsetof(T, resolvers));
	unsigned nr = s->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? s->n_resolvers : MX_LOOKUP_MAX_RESOLVERS;
	w_var(mode, w, s, d, offsetof(T, resolvers), offsetof(T, resolvers) + nr * sizeof(s->resolvers[0]));
	w_seg(mode, w, s, d, SEG_END(T, resolvers), offsetof(T, frames));
	unsigned nf = s->n_frames < MX_CHAIN_MAX_FRAMES ? s->n_frames : MX_CHAIN_MAX_FRAMES;
	w_var(mode, w, s, d, offsetof(T, frames), offsetof(T, frames) + nf * sizeof(s->frames[0]));
	w_seg(mode, w, s, d, SEG_END(T, frames), sizeof(T));
}

static inline __attribute__((always_inline)) void w_host(int mode, struct walk *w, const struct mx_chain_host *s,
							  struct mx_chain_host *d)
{
	typedef struct mx_chain_host T;
	w_name(mode, w, &s->name, SUB(d, name));
	w_seg(mode, w, s, d, SEG_END(T, name), offsetof(T, cname));
	w_name(mode, w, &s->cname, SUB(d, cname));
	w_seg(mode, w, s, d, SEG_END(T, cname), offsetof(T, a));
	w_step(mode, w, &s->a, SUB(d, a));
	w_step(mode, w, &s->aaaa, SUB(d, aaaa));
	w_step(mode, w, &s->tlsa, SUB(d, tlsa));
	w_seg(mode, w, s, d, SEG_END(T, tlsa), offsetof(T, addrs));
	unsigned na = s->n_addrs < MX_CHAIN_MAX_ADDRS ? s->n_addrs : MX_CHAIN_MAX_ADDRS;
	w_var(mode, w, s, d, offsetof(T, addrs), offsetof(T, addrs) + na * sizeof(s->addrs[0]));
	w_seg(mode, w, s, d, SEG_END(T, addrs), sizeof(T));
}

static inline __attribute__((always_inline)) void w_chain(int mode, struct walk *w, const struct mx_chain *s,
							   struct mx_chain *d)
{
	typedef struct mx_chain T;
	w_seg(mode, w, s, d, 0, offsetof(T, domain));
	w_name(mode, w, &s->domain, SUB(d, domain));
	w_seg(mode, w, s, d, SEG_END(T, domain), offsetof(T, mx));
	w_step(mode, w, &s->mx, SUB(d, mx));
	w_seg(mode, w, s, d, SEG_END(T, mx), offsetof(T, soa_owner));
	w_name(mode, w, &s->soa_owner, SUB(d, soa_owner));
	w_seg(mode, w, s, d, SEG_END(T, soa_owner), offsetof(T, hosts));
	size_t nh = s->n_hosts < MX_CHAIN_MAX_HOSTS ? s->n_hosts : MX_CHAIN_MAX_HOSTS;
	for (size_t i = 0; i < nh; i++)
		w_host(mode, w, &s->hosts[i], SUB(d, hosts[i]));
	w_seg(mode, w, s, d, SEG_END(T, hosts), sizeof(T));
}

/* Pack c at p (room for sizeof(struct mx_chain) + PACK_SLACK bytes: every
 * group is a part of the struct, none twice, plus w_var()'s last chunk); the
 * packed size. */
static size_t chain_pack(unsigned char *p, const struct mx_chain *c)
{
	struct walk w = { p, NULL, 0 };
	w_chain(W_PACK, &w, c, NULL);
	return w.n;
}

/* Fill *d (zeroed by the caller) from a packed chain. */
static void chain_unpack(struct mx_chain *d, const unsigned char *p)
{
	struct walk w = { NULL, p, 0 };
	w_chain(W_UNPACK, &w, d, d);
}

void mx_model_observe_chain(struct mx_model *m, const struct mx_chain *c)
{
	/* c is chain.c's scratch record, built just now: hot, no prefetch */
	/* the domain's index slot, then its row, are usually cold: load them
	 * while the chain is packed and the sender row updated (packing after
	 * the sender row, to hide the row behind it, measured slower) */
	uint64_t h_dom = mx_dname_hash(&c->domain, SEED_DOM);
	const struct lslot *dsl = &m->domains.idx[h_dom & m->domains.mask];
	__builtin_prefetch(dsl);
	/* both rings are on or off together (recent_chains); a deferred or
	 * failed chain is packed once and its record copied into the second */
	uint64_t no = ++m->chain_closes;
	unsigned char *p = m->chains.k ? rr_push(&m->chains, sizeof(struct mx_chain) + PACK_SLACK) : NULL;
	if (p) {
		size_t n = chain_pack(p, c);
		rr_trim(&m->chains, n, no);
		unsigned char *q = c->verdict == MX_CHAIN_DEFERRED || c->verdict == MX_CHAIN_FAILED
			? rr_push(&m->bad_chains, n) : NULL;
		if (q) {
			memcpy(q, p, n);
			rr_trim(&m->bad_chains, n, no);
		}
	}
	if (dsl->i != NIL) {
		/* the row's first line (hash, set, name) and the counters, which
		 * lie 300 bytes on, past the name: two or three lines, loaded
		 * side by side rather than one after the other */
		const unsigned char *dr = (const unsigned char *)lt_at(&m->domains, dsl->i);
		__builtin_prefetch(dr);
		__builtin_prefetch(dr + offsetof(struct dom, row.chains));
		__builtin_prefetch(dr + offsetof(struct dom, row.last_us));
	}
	struct snd *sd = get_snd_h(m, &c->sender, 0);
	uint64_t h_sender = sd ? sd->node.hash : addr_hash(&c->sender);
	if (sd) {
		struct mx_sender_row *r = &sd->row;
		r->chains++;
		r->chains_deferred += c->verdict == MX_CHAIN_DEFERRED;
		r->chains_failed += c->verdict == MX_CHAIN_FAILED;
		for (unsigned i = 0; i < c->n_hosts; i++) {
			const struct mx_chain_host *h = &c->hosts[i];
			/* the order an exchange's families were asked in; a
			 * failed AAAA counts as "AAAA first, then A?" only when
			 * the families were asked one after the other */
			bool par = mx_chain_host_parallel(h);
			if (par)
				r->hosts_parallel++;
			else if (h->first_family == 6) {
				r->hosts_aaaa_first++;
				r->hosts_aaaa_only += !h->a.asked;
			} else if (h->first_family == 4) {
				r->hosts_a_first++;
				r->hosts_a_only += !h->aaaa.asked;
			}
			if (!par && h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome) && h->first_family == 6) {
				r->aaaa_fail++;
				if (h->a.asked)
					r->aaaa_fail_then_a++;
			}
		}
		if (c->prev_start_us && c->start_us > c->prev_start_us && !c->new_delivery) {
			uint64_t gap = c->start_us - c->prev_start_us;
			if (r->retry_gaps == 0 || gap < r->retry_gap_min_us)
				r->retry_gap_min_us = gap;
			r->retry_gaps++;
			r->retry_gap_sum_us += gap;
		}
	}
	bool created;
	struct dom *d = lt_get(&m->domains, h_dom, &c->domain, dom_eq, &created);
	if (!d)
		return;
	struct mx_domain_row *r = &d->row;
	if (created)
		mx_dname_copy(&r->domain, &c->domain);
	r->relay |= c->relay;
	r->chains++;
	switch (c->verdict) {
	case MX_CHAIN_RESOLVED: r->resolved++; break;
	case MX_CHAIN_DEFERRED: r->deferred++; break;
	case MX_CHAIN_FAILED: r->failed++; break;
	case MX_CHAIN_INCOMPLETE: r->incomplete++; break;
	}
	if (c->attempt > r->max_attempt)
		r->max_attempt = c->attempt;
	r->last_verdict = c->verdict;
	r->last_why = c->why;
	dset_add_cold(&d->senders, h_sender);
	row_time(&r->first_us, &r->last_us, c->start_us);
	row_time(&r->first_us, &r->last_us, c->end_us);
}

int mx_model_set_findings(struct mx_model *m, const struct mx_finding *f, size_t n, uint64_t evicted)
{
	struct mx_finding *copy = NULL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return MX_ENOMEM;
		memcpy(copy, f, n * sizeof(*copy));
	}
	free(m->findings);
	m->findings = copy;
	m->n_findings = n;
	m->findings_evicted = evicted;
	return 0;
}

void mx_model_set_chain_stats(struct mx_model *m, const struct mx_chain_stats *c)
{
	if (c)
		m->chain = *c;
}

void mx_model_set_stats(struct mx_model *m, const struct mx_decode_stats *d,
			const struct mx_txn_stats *t, const struct mx_lookup_stats *l,
			const struct mx_capture_stats *c)
{
	if (d)
		m->decode = *d;
	if (t)
		m->txn = *t;
	if (l)
		m->lookup = *l;
	if (c)
		m->capture = *c;
}

/* ---- snapshot --------------------------------------------------------- */

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : (a < b ? 1 : 0);
}

static int cmp_server(const void *a, const void *b)
{
	const struct mx_server_row *x = a, *y = b;
	int c = cmp_u64_desc(x->queries, y->queries);
	return c ? c : mx_addr_cmp(&x->addr, &y->addr);
}

static int cmp_sender(const void *a, const void *b)
{
	const struct mx_sender_row *x = a, *y = b;
	int c = cmp_u64_desc(x->queries, y->queries);
	return c ? c : mx_addr_cmp(&x->addr, &y->addr);
}

static int cmp_name(const void *a, const void *b)
{
	const struct mx_name_row *x = a, *y = b;
	int c = cmp_u64_desc(x->failed, y->failed);
	if (!c)
		c = mx_dname_cmp(&x->qname, &y->qname);
	if (!c)
		c = x->qtype < y->qtype ? -1 : (x->qtype > y->qtype ? 1 : 0);
	return c;
}

static int cmp_nam_ptr(const void *a, const void *b)
{
	const struct nam *const *x = a, *const *y = b;
	return cmp_name(&(*x)->row, &(*y)->row);
}

static int cmp_domain(const void *a, const void *b)
{
	const struct mx_domain_row *x = a, *y = b;
	int c = cmp_u64_desc(x->failed + x->deferred, y->failed + y->deferred);
	if (!c)
		c = cmp_u64_desc(x->chains, y->chains);
	return c ? c : mx_dname_cmp(&x->domain, &y->domain);
}

static void *dup_array(size_t n, size_t size)
{
	return n ? calloc(n, size) : NULL;
}

int mx_model_snapshot(const struct mx_model *m, struct mx_snapshot *out)
{
	struct mx_snapshot s;
	size_t nres = 0, nauth = 0;
	memset(&s, 0, sizeof(s));
	snprintf(s.source, sizeof s.source, "%s", m->source);
	snprintf(s.filter, sizeof s.filter, "%s", m->filter);
	s.live = m->live;
	s.first_us = m->first_us;
	s.last_us = m->last_us;
	s.packets = m->packets;
	s.bytes = m->bytes;
	s.dns_messages = m->dns_messages;
	s.queries = m->queries;
	s.responses = m->responses;
	s.dns_malformed = m->dns_malformed;
	s.dns_truncated = m->dns_truncated;
	s.dns_not_dns = m->dns_not_dns;
	s.icmp_dns = m->icmp_dns;
	s.decode = m->decode;
	s.txn = m->txn;
	s.lookup = m->lookup;
	s.capture = m->capture;
	s.evicted_servers = m->servers.evicted;
	s.evicted_senders = m->senders.evicted;
	s.evicted_names = m->names.evicted;
	s.evicted_domains = m->domains.evicted;
	s.chain = m->chain;
	s.findings_evicted = m->findings_evicted;
	s.evicted_total = s.evicted_servers + s.evicted_senders + s.evicted_names + s.evicted_domains +
			  m->chain.evicted + m->chain.history_evicted + m->findings_evicted +
			  m->txn.evicted_pending + m->txn.evicted_recent + m->lookup.evicted +
			  m->decode.frag_evicted + m->decode.tcp_flows_evicted;
	s.by_qtype_other = m->by_qtype_other;
	memcpy(s.qtype_counts, m->qtype_counts, sizeof(s.qtype_counts));

	for (size_t i = 0; i < m->servers.n; i++) {
		const struct srv *e = (const struct srv *)lt_at(&m->servers, (uint32_t)i);
		if (e->row.recursive)
			nres++;
		else
			nauth++;
	}
	s.resolvers = dup_array(nres, sizeof(*s.resolvers));
	s.authoritatives = dup_array(nauth, sizeof(*s.authoritatives));
	s.senders = dup_array(m->senders.n, sizeof(*s.senders));
	/* failing names: rank pointers, copy only the rows the snapshot keeps */
	size_t nfail = m->names.n;
	if (m->o.top_failing && nfail > m->o.top_failing)
		nfail = m->o.top_failing;
	const struct nam **rank = m->names.n > 1 ? malloc(m->names.n * sizeof(*rank)) : NULL;
	s.failing = dup_array(nfail, sizeof(*s.failing));
	s.recent = dup_array(m->ring.n, sizeof(*s.recent));
	s.chains = dup_array(m->chains.n + m->bad_chains.n, sizeof(*s.chains));
	s.domains = dup_array(m->domains.n, sizeof(*s.domains));
	s.findings = dup_array(m->n_findings, sizeof(*s.findings));
	if ((nres && !s.resolvers) || (nauth && !s.authoritatives) ||
	    (m->senders.n && !s.senders) || (nfail && !s.failing) || (m->names.n > 1 && !rank) ||
	    (m->ring.n && !s.recent) || ((m->chains.n || m->bad_chains.n) && !s.chains) ||
	    (m->domains.n && !s.domains) || (m->n_findings && !s.findings)) {
		free(rank);
		mx_snapshot_fini(&s);
		return MX_ENOMEM;
	}

	for (size_t i = 0; i < m->servers.n; i++) {
		const struct srv *e = (const struct srv *)lt_at(&m->servers, (uint32_t)i);
		struct mx_server_row r = e->row;
		r.clients = dset_count(&e->clients);
		if (e->hist && r.latency.count) {
			r.latency.p50 = mx_hist_pct64(e->hist, HIST_BUCKETS, r.latency.count, r.latency.max, 50);
			r.latency.p95 = mx_hist_pct64(e->hist, HIST_BUCKETS, r.latency.count, r.latency.max, 95);
			r.latency.p99 = mx_hist_pct64(e->hist, HIST_BUCKETS, r.latency.count, r.latency.max, 99);
		} else {
			memset(&r.latency, 0, sizeof(r.latency));
		}
		if (r.recursive)
			s.resolvers[s.n_resolvers++] = r;
		else
			s.authoritatives[s.n_authoritatives++] = r;
	}
	for (size_t i = 0; i < m->senders.n; i++) {
		const struct snd *e = (const struct snd *)lt_at(&m->senders, (uint32_t)i);
		s.senders[i] = e->row;
		s.senders[i].resolvers = dset_count(&e->resolvers);
	}
	s.n_senders = m->senders.n;
	for (size_t i = 0; rank && i < m->names.n; i++)
		rank[i] = (const struct nam *)lt_at(&m->names, (uint32_t)i);
	if (rank)
		qsort(rank, m->names.n, sizeof(*rank), cmp_nam_ptr);
	for (size_t i = 0; i < nfail; i++) {
		const struct nam *e = rank ? rank[i] : (const struct nam *)lt_at(&m->names, 0);
		s.failing[i] = e->row;
		s.failing[i].clients = dset_count(&e->clients);
	}
	free(rank);
	s.n_failing = nfail;
	s.failing_total = m->names.n;
	if (s.n_resolvers > 1)
		qsort(s.resolvers, s.n_resolvers, sizeof(*s.resolvers), cmp_server);
	if (s.n_authoritatives > 1)
		qsort(s.authoritatives, s.n_authoritatives, sizeof(*s.authoritatives), cmp_server);
	if (s.n_senders > 1)
		qsort(s.senders, s.n_senders, sizeof(*s.senders), cmp_sender);
	/* recent: oldest first, newest last */
	for (size_t i = 0; i < m->ring.n; i++)
		ring_get(m, i, &s.recent[i]);
	s.n_recent = m->ring.n;
	/* the recent chains and the deferred or failed ones closed before
	 * them, merged in close order (a chain in both rings once) */
	size_t ci = 0, bi = 0;
	s.n_chains = 0;
	while (ci < m->chains.n || bi < m->bad_chains.n) {
		size_t csl = ci < m->chains.n ? rr_slot(&m->chains, ci) : 0;
		size_t bsl = bi < m->bad_chains.n ? rr_slot(&m->bad_chains, bi) : 0;
		uint64_t ct = ci < m->chains.n ? m->chains.tag[csl] : UINT64_MAX;
		uint64_t bt = bi < m->bad_chains.n ? m->bad_chains.tag[bsl] : UINT64_MAX;
		if (bt < ct) {
			chain_unpack(&s.chains[s.n_chains++], m->bad_chains.buf + m->bad_chains.off[bsl]);
			s.n_chains_earlier_bad++;
			bi++;
		} else {
			chain_unpack(&s.chains[s.n_chains++], m->chains.buf + m->chains.off[csl]);
			ci++;
			bi += bt == ct;
		}
	}
	s.full_findings = m->o.full_findings ? m->o.full_findings : SIZE_MAX;
	for (size_t i = 0; i < m->domains.n; i++) {
		const struct dom *e = (const struct dom *)lt_at(&m->domains, (uint32_t)i);
		s.domains[i] = e->row;
		s.domains[i].senders = dset_count(&e->senders);
	}
	s.n_domains = m->domains.n;
	if (s.n_domains > 1)
		qsort(s.domains, s.n_domains, sizeof(*s.domains), cmp_domain);
	if (m->n_findings)
		memcpy(s.findings, m->findings, m->n_findings * sizeof(*s.findings));
	s.n_findings = m->n_findings;
	*out = s;
	return 0;
}

const struct mx_server_row *mx_snapshot_forwarder(const struct mx_snapshot *s, const struct mx_finding *f)
{
	if (f->authoritative)
		return NULL;
	for (unsigned i = 0; i < f->n_resolvers && i < MX_FINDING_MAX_RESOLVERS; i++)
		for (size_t k = 0; k < s->n_resolvers; k++)
			if (s->resolvers[k].forwarded && mx_addr_eq(&s->resolvers[k].addr, &f->resolvers[i]))
				return &s->resolvers[k];
	return NULL;
}

void mx_snapshot_fini(struct mx_snapshot *s)
{
	if (!s)
		return;
	free(s->resolvers);
	free(s->authoritatives);
	free(s->senders);
	free(s->failing);
	free(s->recent);
	free(s->chains);
	free(s->open_chains);
	free(s->domains);
	free(s->findings);
	free(s->pending);
	s->pending = NULL;
	s->n_pending = 0;
	s->chains = NULL;
	s->open_chains = NULL;
	s->n_open_chains = 0;
	s->domains = NULL;
	s->findings = NULL;
	s->n_chains = s->n_domains = s->n_findings = 0;
	s->resolvers = s->authoritatives = NULL;
	s->senders = NULL;
	s->failing = NULL;
	s->recent = NULL;
	s->n_resolvers = s->n_authoritatives = s->n_senders = s->n_failing = s->n_recent = 0;
	s->failing_total = 0;
}
