/* chain.c - one sender's MX -> A/AAAA/TLSA resolution of a recipient domain.
 *
 * Fed with closed lookups (lookup.c) and TCP control segments (decode.c).
 * An RD=1 MX lookup opens a chain; A/AAAA lookups of its exchanges (or of the
 * domain itself: implicit MX, RFC 5321 §5.1), of CNAME targets reached from
 * them, and TLSA lookups of _25._tcp.<exchange> (RFC 7672 §2.2) join it while
 * the chain window is open. A name index (sender, name) -> (chain, host) makes
 * joining O(1); chains close in start order once their window and the
 * lookups' retransmission gap have passed, or at the end of the capture.
 *
 * What it does not do: judge. The verdict is a plain summary (resolved,
 * deferred, failed, incomplete); the failure patterns are the detectors'.
 * Lookups that closed before their MX lookup did (only possible when the MX
 * lookup itself failed and closed late) are not attached.
 *
 * Layout: an open chain is a compact arena (ARENA_BYTES per slot: a header,
 * then the items it uses, names by length, steps only once asked, see
 * "open chains" below), touched only when an event really belongs to it; the
 * public struct mx_chain (~12.6 KiB) exists once, as a scratch record built
 * at close from the arena over the previous close's record and read by the
 * callbacks while hot (mx_chain_peek_open() builds the same record for an
 * open chain into the caller's storage, with the same code, for the live
 * view): every scalar is written, names and arrays up to their
 * new lengths and counts with the old ones' longer tails cleared (and the
 * old chain's surplus hosts), so past every count it is zero as in a fresh
 * record, without a clearing pass after the callbacks. Everything probed per event lives in small
 * separate arrays: per-slot links, close time and sender hash (slot_meta),
 * per-slot summaries (slot_sum: the sender, the verdict inputs as host bit
 * masks, updated as lookups merge), one group per sender with open chains
 * (sgroup: a SYN to port 25 that no open chain of the sender explains is
 * counted once there, not in each of its chains), index entries carrying
 * the full key hash, and history entries found through an open-addressed
 * table of {hash, index} pairs, their (sender, domain) keys apart. Arenas
 * live in chunks allocated as slots are first used (no realloc copying).
 * Keys come from hashes the lookup carries where it can: the sender's is the
 * client hash lookup.c carries (a SYN's source is hashed here), and it is
 * folded into every key (sender bucket, name, address, history); a name's
 * hash is the question hash of an A lookup of it, so an A lookup (its
 * carried qhash) and an MX lookup's history key (its carried qhash folded
 * with the sender's) cost no hashing; an AAAA or TLSA lookup hashes its
 * name, an exchange is hashed once per host (the MX asked again names it
 * again: ohost.named), a CNAME target once per answer that brings it.
 */
#include "mxsniff/chain.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NO_IDX UINT32_MAX
#define CHUNK_SHIFT 4                 /* chain records per chunk: 16 (16 KiB) */
#define CHUNK_N (1u << CHUNK_SHIFT)
#define HCHUNK_SHIFT 9                /* history keys per chunk: 512 (~140 KiB) */
#define HCHUNK_N (1u << HCHUNK_SHIFT)

/* The hot part of a chain slot; the record itself is chain_at(t, i). */
struct slot_meta {
	uint64_t close_us;      /* close when the clock passes this */
	uint64_t shash;         /* sender_hash() of the chain's sender */
	uint32_t prev, next;    /* open list in start order (next: free list) */
	uint32_t grp;           /* the sender's group */
	uint32_t idx_first;     /* first name-index entry of this chain (the newest) */
	uint32_t idx_last;      /* its last (the oldest; valid when idx_first is not NO_IDX): both prefetched when the chain becomes the head */
	uint32_t hist;          /* history entry whose open_slot is this slot, NO_IDX none */
	bool used;
};

/* What close and the index walks need of an open chain, kept up to date as
 * lookups merge, so that they do not read the record: the verdict inputs
 * (per host bit masks: bit i is hosts[i]), the sender. */
struct slot_sum {
	struct mx_addr sender;
	bool mx_asked, mx_pending, null_mx, relay;
	enum mx_outcome mx_outcome;
	uint64_t syn_base;      /* the group's syns when the chain opened */
	uint8_t lit;            /* ip_literal */
	uint8_t tlsa_asked;
	uint8_t tlsa_fail;      /* the host's TLSA step failed (Fail class, not cut off by the capture's end) */
	struct fam_bits {       /* [0] the a steps, [1] the aaaa steps */
		uint8_t asked;
		uint8_t ok;     /* answered */
		uint8_t fail;   /* failed, and not cut off by the capture's end (that is unknown) */
		uint8_t pend;   /* cut off by the capture's end */
	} fam[2];
	uint8_t n_hosts;        /* = the record's n_hosts */
	/* bit hi: an A/AAAA lookup of host hi sent one query (same ID and
	 * port) to several servers at once: musl's stub (musl_gai_fails) */
	uint8_t multi_send;
};

/* One per sender with open chains: the SYNs to port 25 that none of them
 * explains are counted here once; a chain's syn_other is the growth of the
 * count while it was open. */
struct sgroup {
	struct mx_addr sender;
	uint32_t nchains;       /* open chains of the sender */
	uint32_t next;          /* sender bucket chain; free list */
	uint64_t syns;
};

/* (sender, name) -> (chain slot, host), and (sender, address) -> (chain
 * slot, host) for the SYNs to port 25; several per key allowed. */
struct name_ent {
	uint64_t h;             /* full key hash: the record is read only when it matches */
	uint32_t slot;
	uint32_t bnext;         /* bucket chain, newest first (free list) */
	uint32_t bprev;         /* the entry before it in the bucket, NO_IDX: it is the head */
	uint32_t cnext;         /* next entry of the same chain */
	uint8_t host;
	bool is_addr;           /* an address entry (SYN index) */
};

/* (sender, domain) -> last attempt; LRU-bounded. Found through an
 * open-addressed table of {hash, index} pairs (hslot); the key itself lives
 * apart (hist_key_at) and is compared only when the stored hash matches. */
struct hist_ent {
	uint64_t last_start;
	uint32_t key;           /* hist_hash_of() */
	uint32_t attempts;
	uint32_t open_slot;     /* open chain of this pair, NO_IDX when none */
	uint32_t prev, next;    /* LRU (next: free list) */
};

struct hist_slot {
	uint32_t key;           /* hist_hash_of() */
	uint32_t idx;           /* NO_IDX: empty */
};

struct hist_key {
	struct mx_addr sender;
	struct mx_dname domain;
};

/* ---- open chains: compact records -----------------------------------------
 *
 * An open chain is an arena of ARENA_BYTES (its header first, then items
 * bump-allocated as the chain grows: the domain, the MX step, hosts with
 * their names, the steps that were asked, address arrays, names by length).
 * Items are referred to by 16-bit offsets; an offset past the arena lies in
 * the chain's overflow block (ext, EXT_BYTES, allocated only for a big
 * chain), so items never move and a pointer to one stays valid while more
 * are allocated. A chain's items are bounded (EXT_BYTES holds the most any
 * chain can allocate), so allocation fails only when malloc does. The
 * public struct mx_chain is built only at close, in one reused scratch
 * record that the callbacks read while it is hot. */
#define ARENA_BYTES 1024u
#define CSTEP_SMALL_FRAMES 6u

/* A step that was asked. Small (CSTEP_SMALL bytes: one resolver, six
 * frames) until it needs more; then it is copied into a large one (all of
 * struct cstep). The prefix up to frames is the same in both. Its scalars
 * are declared as struct mx_chain_step's, in the same order (asserted
 * below), and res0 lies where that struct's resolvers[0] does: the public
 * step's scalars and first resolver are one copy at close. */
struct cstep {
	struct {        /* = struct mx_chain_step up to resolvers */
		bool asked;
		uint16_t sport;
		enum mx_outcome outcome;
		uint16_t lookups;
		uint32_t attempts;
		uint64_t first_us, end_us, first_end_us, latency_us;
		uint16_t rcode, ede;
		bool timeouts, pending;
		uint8_t n_resolvers;
		uint8_t tcp;
		uint64_t lookup_seq;
	};
	struct mx_addr res0;
	uint8_t n_frames, large;
	uint64_t frames[MX_CHAIN_MAX_FRAMES];
	struct mx_addr res_more[MX_LOOKUP_MAX_RESOLVERS - 1];
};
#define CSTEP_SMALL (offsetof(struct cstep, frames) + CSTEP_SMALL_FRAMES * sizeof(uint64_t))
#define CSTEP_SCALARS offsetof(struct mx_chain_step, resolvers)
_Static_assert(CSTEP_SMALL == 136, "a small step: the scalars, one resolver, six frames");
#define CSTEP_SAME(f) _Static_assert(offsetof(struct cstep, f) == offsetof(struct mx_chain_step, f), #f)
CSTEP_SAME(asked);
CSTEP_SAME(sport);
CSTEP_SAME(outcome);
CSTEP_SAME(lookups);
CSTEP_SAME(attempts);
CSTEP_SAME(first_us);
CSTEP_SAME(end_us);
CSTEP_SAME(first_end_us);
CSTEP_SAME(latency_us);
CSTEP_SAME(rcode);
CSTEP_SAME(ede);
CSTEP_SAME(timeouts);
CSTEP_SAME(pending);
CSTEP_SAME(n_resolvers);
CSTEP_SAME(tcp);
CSTEP_SAME(lookup_seq);
_Static_assert(offsetof(struct cstep, res0) == offsetof(struct mx_chain_step, resolvers), "res0 is resolvers[0]");
_Static_assert(offsetof(struct mx_chain_step, lookup_seq) + sizeof(uint64_t) == CSTEP_SCALARS,
	       "lookup_seq ends the scalars");

/* A host; its name's bytes (name_len of them) follow it. */
struct ohost {
	uint16_t a, aaaa, tlsa;         /* steps, 0: never asked */
	uint16_t cname;                 /* name item, 0: none */
	uint16_t addrs;                 /* MX_CHAIN_MAX_ADDRS addresses, 0: none yet */
	uint16_t pref;
	uint8_t implicit, ip_literal, cname_loop, first_family, connected, n_addrs, cname_cap;
	uint8_t name_len, name_labels;
	uint8_t named;                  /* the index has the entry of its name */
	/* the chain's first SYN went to this host: its time in ms after the
	 * chain's start, plus one (0: not this host) */
	uint32_t syn_ms1;
};

/* A name item: len, labels, then len bytes (cap bytes room). */
#define ONAME_HDR 2u

/* The arena's header. The first line holds what a joining lookup reads. */
struct ohead {
	uint64_t start_us, end_us, mx_end_us;
	uint8_t *ext;                   /* overflow block, NULL none */
	uint16_t used, ext_used;        /* bump offsets in the arena and in ext */
	uint16_t host[MX_CHAIN_MAX_HOSTS];
	uint16_t domain, soa, mx;       /* items; soa 0: none */
	uint8_t n_hosts, soa_cap, null_mx, null_mx_mixed, hosts_total, connected, relay;
	uint8_t new_delivery;           /* struct mx_chain.new_delivery (in the padding before seq) */
	uint64_t seq, prev_start_us, syn_frame;
	uint32_t attempt, neg_ttl;
	uint16_t mx_total, null_mx_pref, connected_port;
	uint8_t search_lookups;         /* MX lookups of domain.X absorbed (absorb_search_suffix) */
	struct mx_addr connected_to;
};

#define RND8(n) (((n) + 7u) & ~(size_t)7u)
#define ONAME_MAX RND8(ONAME_HDR + MX_DNAME_MAX)
/* The most one chain can allocate: the domain, the SOA owner twice (by
 * length, then at full size), the MX step small then large, and per host
 * its record with name, a cname at full size, the addresses and three
 * steps small then large. */
#define EXT_BYTES (RND8(sizeof(struct ohead)) + 3 * ONAME_MAX + CSTEP_SMALL + RND8(sizeof(struct cstep)) + \
		   MX_CHAIN_MAX_HOSTS * (RND8(sizeof(struct ohost) + MX_DNAME_MAX) + ONAME_MAX +            \
					 RND8(MX_CHAIN_MAX_ADDRS * sizeof(struct mx_addr)) +                   \
					 3 * (CSTEP_SMALL + RND8(sizeof(struct cstep)))))
_Static_assert(ARENA_BYTES + EXT_BYTES < 65536, "arena offsets are 16 bits");
_Static_assert(sizeof(struct ohead) <= 128, "the arena header is two lines");

#define SFX_OPEN 16

struct mx_chain_table {
	/* first: the inline mx_chain_tick() reads it (chain.h). clk.due is
	 * the head chain's close_us, UINT64_MAX with no chain open; it may be
	 * lower (then a tick finds nothing to close and sets it) */
	struct mx_chain_clock clk;
	struct mx_chain_opts o;
	struct mx_chain_cb cb;
	struct mx_chain_stats st;
	uint32_t fail_mask;     /* bit o: mx_outcome_is_fail(o), o < 32 */
	uint64_t seq;
	/* chains */
	struct slot_meta *meta;
	struct slot_sum *sum;   /* beside meta, same index */
	size_t nmeta;           /* allocated; grows by doubling up to max_open */
	size_t used_slots;      /* ever handed out (below: free list) */
	uint32_t free_slot;     /* free list through meta[].next */
	unsigned char **chunk;  /* arenas, CHUNK_N per chunk, allocated as used */
	struct mx_chain *scratch; /* the closing chain, built for the callbacks; all zero between closes */
	struct sgroup *grp;     /* beside meta (at most one group per open chain) */
	uint32_t free_grp;
	size_t used_grp;
	uint32_t *sbucket;      /* sender -> groups (through next) */
	size_t sbmask;
	uint32_t head, tail;    /* open list */
	size_t open;
	/* name index */
	struct name_ent *ents;
	size_t nents, used_ents, max_ents;
	uint32_t free_ent;
	uint32_t *nbucket;
	size_t nbmask;
	/* history */
	struct hist_ent *hist;
	size_t nhist, used_hist;
	struct hist_key **hkchunk; /* keys, HCHUNK_N per chunk, allocated as used */
	struct hist_slot *hslot; /* linear probing, at most half full */
	size_t hbmask;
	uint32_t hfree, hhead, htail;   /* LRU: head = oldest */
	size_t hcount;
	/* the newest chains opened by a failing MX lookup of a name of three
	 * labels or more: the search-list expansions an ndots option puts
	 * before the name itself (fold_search_before) */
	struct sfx_open {
		uint64_t seq;           /* the chain's (0: none) */
		uint32_t slot;
		uint64_t sh;
		uint64_t first_us, end_us;
		struct mx_addr sender;
		struct mx_dname name;
	} sfx[SFX_OPEN];
	uint64_t sfx_sh[SFX_OPEN];      /* sfx[k].sh, or 0 for none: one line to scan */
	unsigned sfx_pos, sfx_n;
};

static inline struct ohead *chain_at(const struct mx_chain_table *t, uint32_t i)
{
	return (struct ohead *)(void *)(t->chunk[i >> CHUNK_SHIFT] + (size_t)(i & (CHUNK_N - 1)) * ARENA_BYTES);
}

static inline void *at(const struct ohead *c, uint16_t off)
{
	return off < ARENA_BYTES ? (unsigned char *)(uintptr_t)c + off : c->ext + (off - ARENA_BYTES);
}

/* n bytes (rounded up to 8) in the chain's overflow block; 0 when out of
 * memory. Not cleared (see arena_take). */
static __attribute__((noinline)) uint16_t arena_take_ext(struct ohead *c, size_t n)
{
	if (!c->ext) {
		c->ext = malloc(EXT_BYTES);
		if (!c->ext)
			return 0;
		c->ext_used = 0;
	}
	if (c->ext_used + n > EXT_BYTES)
		return 0; /* not reached: EXT_BYTES holds a chain's most */
	uint16_t off = (uint16_t)(ARENA_BYTES + c->ext_used);
	c->ext_used = (uint16_t)(c->ext_used + n);
	return off;
}

/* n bytes (rounded up to 8) in the chain's arena, else in its overflow
 * block; 0 when out of memory. The bytes are NOT cleared: each caller
 * writes or clears what is read before a count says it holds something
 * (a step's scalars, a host's fields; names, frames, resolvers and
 * addresses are read only up to their counts). Inline: the sizes are
 * mostly constants, and the common case is a bump of c->used. */
static inline __attribute__((always_inline)) uint16_t arena_take(struct ohead *c, size_t n)
{
	n = RND8(n);
	if (c->used + n <= ARENA_BYTES) {
		uint16_t off = c->used;
		c->used = (uint16_t)(c->used + n);
		return off;
	}
	return arena_take_ext(c, n);
}

static inline uint8_t *oname_wire(const struct ohead *c, uint16_t off)
{
	return (uint8_t *)at(c, off) + ONAME_HDR;
}

static inline uint8_t *ohost_wire(struct ohost *h)
{
	return (uint8_t *)(h + 1);
}

/* Store src in the name item *ref (room *cap bytes): allocated by length
 * the first time, at full size when a longer name comes later. */
static void oname_set(struct ohead *c, uint16_t *ref, uint8_t *cap, const struct mx_dname *src)
{
	if (!*ref || src->len > *cap) {
		size_t room = *ref ? MX_DNAME_MAX : src->len;
		uint16_t off = arena_take(c, ONAME_HDR + room); /* read up to len only */
		if (!off)
			return;
		*ref = off;
		*cap = (uint8_t)room;
	}
	uint8_t *p = at(c, *ref);
	p[0] = src->len;
	p[1] = src->labels;
	memcpy(p + ONAME_HDR, src->wire, src->len);
}

static inline struct hist_key *hist_key_at(const struct mx_chain_table *t, uint32_t i)
{
	return &t->hkchunk[i >> HCHUNK_SHIFT][i & (HCHUNK_N - 1)];
}

void mx_chain_opts_default(struct mx_chain_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->chain_window_us = 120000000ULL;
	o->retx_gap_us = 45000000ULL;
	o->min_retry_gap_us = 60000000ULL;
	o->max_open = 4096;
	o->max_history = 16384;
}

const char *mx_chain_verdict_name(enum mx_chain_verdict v)
{
	switch (v) {
	case MX_CHAIN_RESOLVED: return "resolved";
	case MX_CHAIN_DEFERRED: return "deferred";
	case MX_CHAIN_FAILED: return "failed";
	case MX_CHAIN_INCOMPLETE: return "incomplete";
	}
	return "?";
}

bool mx_chain_host_parallel(const struct mx_chain_host *h)
{
	if (!h->a.asked || !h->aaaa.asked)
		return false;
	const struct mx_chain_step *e = h->a.first_us <= h->aaaa.first_us ? &h->a : &h->aaaa;
	const struct mx_chain_step *l2 = e == &h->a ? &h->aaaa : &h->a;
	if (l2->first_us - e->first_us > 5000)
		return false;
	return l2->first_us < e->first_end_us || (e->sport != 0 && e->sport == l2->sport);
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

/* Grow *arr (elements of esize, *cap allocated) to hold index `need`,
 * doubling, at most max. New elements are left unset: every caller writes
 * all fields of an element before it is read. Memory follows use. */
static bool grow(void **arr, size_t *cap, size_t need, size_t max, size_t esize)
{
	if (need < *cap)
		return true;
	if (need >= max)
		return false;
	size_t n = *cap ? *cap * 2 : 16;
	while (n <= need)
		n *= 2;
	if (n > max)
		n = max;
	void *p = realloc(*arr, n * esize);
	if (!p)
		return false;
	*arr = p;
	*cap = n;
	return true;
}

struct mx_chain_table *mx_chain_new(const struct mx_chain_opts *o, const struct mx_chain_cb *cb)
{
	struct mx_chain_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	else
		mx_chain_opts_default(&t->o);
	if (t->o.n_senders > sizeof(t->o.senders) / sizeof(t->o.senders[0]))
		t->o.n_senders = sizeof(t->o.senders) / sizeof(t->o.senders[0]);
	if (t->o.max_open == 0)
		t->o.max_open = 1;
	if (t->o.max_history == 0)
		t->o.max_history = 1;
	if (cb)
		t->cb = *cb;
	t->max_ents = t->o.max_open * (MX_CHAIN_MAX_HOSTS * (2 + MX_CHAIN_MAX_ADDRS) + 2);
	size_t nb = pow2_at_least(t->o.max_open * 4);
	t->nbucket = malloc(nb * sizeof(uint32_t));
	t->nbmask = nb - 1;
	size_t sb = pow2_at_least(t->o.max_open);
	t->sbucket = malloc(sb * sizeof(uint32_t));
	t->sbmask = sb - 1;
	size_t hb = pow2_at_least(t->o.max_history * 2);
	t->hslot = malloc(hb * sizeof(*t->hslot));
	t->hbmask = hb - 1;
	t->chunk = calloc((t->o.max_open + CHUNK_N - 1) / CHUNK_N, sizeof(*t->chunk));
	t->hkchunk = calloc((t->o.max_history + HCHUNK_N - 1) / HCHUNK_N, sizeof(*t->hkchunk));
	t->scratch = aligned_alloc(64, (sizeof(struct mx_chain) + 63) & ~(size_t)63);
	if (t->scratch)
		memset(t->scratch, 0, sizeof(struct mx_chain));
	if (!t->nbucket || !t->sbucket || !t->hslot || !t->chunk || !t->hkchunk || !t->scratch) {
		mx_chain_free(t);
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		t->nbucket[i] = NO_IDX;
	for (size_t i = 0; i < sb; i++)
		t->sbucket[i] = NO_IDX;
	for (size_t i = 0; i < hb; i++)
		t->hslot[i].idx = NO_IDX;
	for (unsigned oc = 0; oc < MX_O__COUNT && oc < 32; oc++)
		if (mx_outcome_is_fail((enum mx_outcome)oc))
			t->fail_mask |= 1u << oc;
	t->free_slot = t->free_ent = t->hfree = t->free_grp = NO_IDX;
	t->head = t->tail = NO_IDX;
	t->clk.due = UINT64_MAX;
	t->hhead = t->htail = NO_IDX;
	return t;
}

void mx_chain_free(struct mx_chain_table *t)
{
	if (!t)
		return;
	if (t->chunk && t->meta)
		for (size_t i = 0; i < t->used_slots; i++)
			if (t->meta[i].used)
				free(chain_at(t, (uint32_t)i)->ext);
	if (t->chunk)
		for (size_t i = 0; i < (t->o.max_open + CHUNK_N - 1) / CHUNK_N; i++)
			free(t->chunk[i]);
	if (t->hkchunk)
		for (size_t i = 0; i < (t->o.max_history + HCHUNK_N - 1) / HCHUNK_N; i++)
			free(t->hkchunk[i]);
	free(t->chunk);
	free(t->hkchunk);
	free(t->scratch);
	free(t->meta);
	free(t->sum);
	free(t->sbucket);
	free(t->grp);
	free(t->ents);
	free(t->nbucket);
	free(t->hist);
	free(t->hslot);
	free(t);
}

const struct mx_chain_stats *mx_chain_peek_stats(const struct mx_chain_table *t)
{
	return &t->st;
}

/* ---- keys ---------------------------------------------------------------- */

/* The sender is hashed once per event; the other keys are derived from it.
 * It is the client hash txn.c computes once per transaction
 * (mx_txn_client_hash), so a closed lookup brings it along
 * (mx_lookup_client_hash_of) and only a SYN's source is hashed here. */
static inline uint64_t sender_hash(const struct mx_addr *s)
{
	return mx_txn_client_hash(s);
}

static inline uint64_t lookup_sender_hash(const struct mx_lookup *l)
{
	return mx_lookup_client_hash_of(l);
}

/* A name is hashed once, without the sender, as the question hash of an
 * A lookup of it (mx_txn_question_hash(name, A, IN)): an A lookup carries
 * that hash already (mx_lookup_qhash_of), so joining it hashes nothing. The
 * index key is that hash folded with the sender's (both are well mixed; the
 * index compares the sender and the name after the key matches). */
#define NAME_HASH_SEED (MX_TXN_QUESTION_SEED ^ ((uint64_t)MX_TYPE_A << 16) ^ 1u)

static inline uint64_t name_hash(const uint8_t *wire, size_t len)
{
	return mx_hash_bytes(wire, len, NAME_HASH_SEED);
}

static inline uint64_t name_key_of(uint64_t sh, uint64_t nh)
{
	return nh ^ sh ^ 0x6368ULL;
}

static inline uint64_t name_key(uint64_t sh, const uint8_t *wire, size_t len)
{
	return name_key_of(sh, name_hash(wire, len));
}

static inline uint64_t addr_key(uint64_t sh, const struct mx_addr *a)
{
	return mx_addr_hash(a, sh ^ 0x5359ULL);
}

/* The (sender, domain) key from the MX lookup's question hash (carried by
 * the lookup: mx_lookup_qhash_of) and the sender's: no hashing. */
static inline uint32_t hist_hash_of(uint64_t sh, uint64_t mx_qhash)
{
	uint64_t h = mx_qhash ^ sh ^ 0x6869ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* a[0..len) == b[0..len), inline (no library call for these short names):
 * a word at a time, the last word overlapping the one before it, touching
 * no byte past len (mx_dname_eq's way). */
static inline bool bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (mx_load64_(a + i) != mx_load64_(b + i))
				return false;
		return mx_load64_(a + n - 8) == mx_load64_(b + n - 8);
	}
	if (n >= 4) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4);
		memcpy(&y0, b, 4);
		memcpy(&x1, a + n - 4, 4);
		memcpy(&y1, b + n - 4, 4);
		return x0 == y0 && x1 == y1;
	}
	/* 0..3 bytes: positions 0, n/2 and n-1 cover them all */
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

static inline bool bytes_is(const uint8_t *a, size_t alen, const uint8_t *wire, size_t len)
{
	return alen == len && bytes_eq(a, wire, len);
}

static inline bool name_is(const struct mx_dname *n, const uint8_t *wire, size_t len)
{
	return n->len == len && bytes_eq(n->wire, wire, len);
}

/* ---- clearing by use ----------------------------------------------------- */

#define CLEAR_FROM_TO(p, T, from, to) \
	memset((char *)(p) + offsetof(T, from), 0, offsetof(T, to) - offsetof(T, from))
#define CLEAR_FROM_END(p, T, from) \
	memset((char *)(p) + offsetof(T, from), 0, sizeof(T) - offsetof(T, from))

static void name_clear(struct mx_dname *n)
{
	if (n->len)
		memset(n->wire, 0, n->len);
	n->len = 0;
	n->labels = 0;
}

/* Back to all zero. step_over() writes a step's fields only for an asked
 * one (it sets `asked`): a step never asked holds nothing but ede. */
static void step_clear(struct mx_chain_step *s)
{
	if (!s->asked) {
		s->ede = 0;
		return;
	}
	unsigned nr = s->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? s->n_resolvers : MX_LOOKUP_MAX_RESOLVERS;
	unsigned nf = s->n_frames < MX_CHAIN_MAX_FRAMES ? s->n_frames : MX_CHAIN_MAX_FRAMES;
	memset(s, 0, offsetof(struct mx_chain_step, resolvers));
	if (nr)
		memset(s->resolvers, 0, nr * sizeof(s->resolvers[0]));
	CLEAR_FROM_TO(s, struct mx_chain_step, n_frames, frames);
	if (nf)
		memset(s->frames, 0, nf * sizeof(s->frames[0]));
	/* the scalars (lookup_seq too) were cleared first; frames end the step */
	_Static_assert(offsetof(struct mx_chain_step, frames) + sizeof(s->frames) == sizeof(struct mx_chain_step),
		       "step_clear: fields after frames[] would not be cleared");
}

static void host_clear(struct mx_chain_host *h)
{
	unsigned na = h->n_addrs < MX_CHAIN_MAX_ADDRS ? h->n_addrs : MX_CHAIN_MAX_ADDRS;
	name_clear(&h->name);
	CLEAR_FROM_TO(h, struct mx_chain_host, pref, cname);
	name_clear(&h->cname);
	CLEAR_FROM_TO(h, struct mx_chain_host, cname_loop, a);
	step_clear(&h->a);
	step_clear(&h->aaaa);
	step_clear(&h->tlsa);
	CLEAR_FROM_TO(h, struct mx_chain_host, n_addrs, addrs);
	if (na)
		memset(h->addrs, 0, na * sizeof(h->addrs[0]));
	CLEAR_FROM_END(h, struct mx_chain_host, connected);
}

/* ---- name index ---------------------------------------------------------- */

static bool index_has(const struct mx_chain_table *t, uint32_t slot, uint64_t h, uint8_t host, bool is_addr)
{
	for (uint32_t e = t->meta[slot].idx_first; e != NO_IDX; e = t->ents[e].cnext)
		if (t->ents[e].h == h && t->ents[e].host == host && t->ents[e].is_addr == is_addr)
			return true;
	return false;
}

/* A new entry, without looking for an equal one: for a key the chain cannot
 * hold yet (a host just added; an address just added to its host, whose
 * other addresses differ from it: an equal 64-bit key of another address
 * would only be a second entry for the same host, which the SYN walks treat
 * like one). */
static bool index_insert(struct mx_chain_table *t, uint32_t slot, uint64_t h, uint8_t host, bool is_addr)
{
	uint32_t e;
	if (t->free_ent != NO_IDX) {
		e = t->free_ent;
		t->free_ent = t->ents[e].bnext;
	} else if (grow((void **)&t->ents, &t->nents, t->used_ents, t->max_ents, sizeof(*t->ents))) {
		e = (uint32_t)t->used_ents++;
	} else {
		return false;
	}
	struct name_ent *ne = &t->ents[e];
	uint32_t *bucket = &t->nbucket[h & t->nbmask];
	ne->h = h;
	ne->slot = slot;
	ne->host = host;
	ne->is_addr = is_addr;
	ne->bnext = *bucket;
	ne->bprev = NO_IDX;
	if (*bucket != NO_IDX)
		t->ents[*bucket].bprev = e;
	*bucket = e;
	ne->cnext = t->meta[slot].idx_first;
	if (ne->cnext == NO_IDX)
		t->meta[slot].idx_last = e;
	t->meta[slot].idx_first = e;
	return true;
}

/* A new entry unless the chain has it (a host's name again, a CNAME target
 * seen before); whether the chain has it now (false: out of memory). */
static bool index_put(struct mx_chain_table *t, uint32_t slot, uint64_t h, uint8_t host, bool is_addr)
{
	return index_has(t, slot, h, host, is_addr) || index_insert(t, slot, h, host, is_addr);
}

/* Name entry of host `host`; `fresh`: the host was just added (no entry of
 * it can exist); whether the chain has it now. */
static bool index_add(struct mx_chain_table *t, uint32_t slot, const struct mx_dname *name, uint8_t host,
		      bool fresh)
{
	uint64_t h = name_key(t->meta[slot].shash, name->wire, name->len);
	if (fresh)
		return index_insert(t, slot, h, host, false);
	return index_put(t, slot, h, host, false);
}

/* Buckets are doubly linked: the closing chain is mostly the oldest, so its
 * entries lie at the tails of their buckets, and finding each one's
 * predecessor from the head would cost a cache miss per newer entry; with
 * bprev it is one step (the other buckets' order is untouched). */
static void index_remove_chain(struct mx_chain_table *t, uint32_t slot)
{
	uint32_t e = t->meta[slot].idx_first;
	while (e != NO_IDX) {
		struct name_ent *ne = &t->ents[e];
		uint32_t next = ne->cnext;
		if (ne->bprev != NO_IDX)
			t->ents[ne->bprev].bnext = ne->bnext;
		else
			t->nbucket[ne->h & t->nbmask] = ne->bnext;
		if (ne->bnext != NO_IDX)
			t->ents[ne->bnext].bprev = ne->bprev;
		ne->bnext = t->free_ent;
		t->free_ent = e;
		e = next;
	}
	t->meta[slot].idx_first = NO_IDX;
}

/* ---- history (sender, domain) --------------------------------------------- */

static void hist_unlink_lru(struct mx_chain_table *t, uint32_t i)
{
	struct hist_ent *h = &t->hist[i];
	if (h->prev != NO_IDX)
		t->hist[h->prev].next = h->next;
	else
		t->hhead = h->next;
	if (h->next != NO_IDX)
		t->hist[h->next].prev = h->prev;
	else
		t->htail = h->prev;
}

static void hist_push_lru(struct mx_chain_table *t, uint32_t i)
{
	struct hist_ent *h = &t->hist[i];
	h->prev = t->htail;
	h->next = NO_IDX;
	if (t->htail != NO_IDX)
		t->hist[t->htail].next = i;
	else
		t->hhead = i;
	t->htail = i;
}

/* Most recently used. */
static void hist_touch(struct mx_chain_table *t, uint32_t i)
{
	if (t->htail == i)
		return;
	hist_unlink_lru(t, i);
	hist_push_lru(t, i);
}

/* Takes entry i out of the probe table (backward-shift deletion: no
 * tombstones, every probe run stays unbroken). */
static void hslot_delete(struct mx_chain_table *t, uint32_t k, uint32_t i)
{
	size_t m = t->hbmask, p = k & m;
	while (t->hslot[p].idx != i) {
		if (t->hslot[p].idx == NO_IDX)
			return;
		p = (p + 1) & m;
	}
	for (size_t j = (p + 1) & m; t->hslot[j].idx != NO_IDX; j = (j + 1) & m) {
		size_t home = t->hslot[j].key & m;
		/* j's entry may move back to p when p lies in [home, j) */
		if (((j - home) & m) >= ((j - p) & m)) {
			t->hslot[p] = t->hslot[j];
			p = j;
		}
	}
	t->hslot[p].idx = NO_IDX;
}

static void hist_remove(struct mx_chain_table *t, uint32_t i)
{
	struct hist_ent *h = &t->hist[i];
	hslot_delete(t, h->key, i);
	hist_unlink_lru(t, i);
	h->next = t->hfree;
	t->hfree = i;
	t->hcount--;
}

static uint32_t hist_find(struct mx_chain_table *t, uint32_t k, const struct mx_addr *s, const struct mx_dname *d)
{
	size_t m = t->hbmask;
	for (size_t p = k & m; t->hslot[p].idx != NO_IDX; p = (p + 1) & m) {
		if (t->hslot[p].key != k)
			continue;
		uint32_t i = t->hslot[p].idx;
		const struct hist_key *hk = hist_key_at(t, i);
		if (mx_addr_eq(&hk->sender, s) && name_is(&hk->domain, d->wire, d->len)) {
			hist_touch(t, i);
			return i;
		}
	}
	return NO_IDX;
}

/* One more history entry (index used_hist), its key chunk allocated. */
static bool hist_new_entry(struct mx_chain_table *t)
{
	if (!grow((void **)&t->hist, &t->nhist, t->used_hist, t->o.max_history, sizeof(*t->hist)))
		return false;
	size_t c = t->used_hist >> HCHUNK_SHIFT;
	if (!t->hkchunk[c]) {
		size_t base = c << HCHUNK_SHIFT, n = t->o.max_history - base;
		t->hkchunk[c] = malloc((n < HCHUNK_N ? n : HCHUNK_N) * sizeof(struct hist_key));
		if (!t->hkchunk[c])
			return false;
	}
	return true;
}

/* The entry of (s, d), k = hist_hash_of() of it; a new one (the least
 * recently used pair without an open chain evicted when full), NO_IDX when
 * every pair has an open chain. */
static uint32_t hist_get(struct mx_chain_table *t, uint32_t k, const struct mx_addr *s, const struct mx_dname *d)
{
	uint32_t i = hist_find(t, k, s, d);
	if (i != NO_IDX)
		return i;
	if (t->hfree == NO_IDX && hist_new_entry(t)) {
		t->hist[t->used_hist].next = NO_IDX;
		t->hfree = (uint32_t)t->used_hist++;
	}
	if (t->hfree == NO_IDX) {
		/* evict the least recently used pair that has no open chain */
		uint32_t v = t->hhead;
		while (v != NO_IDX && t->hist[v].open_slot != NO_IDX)
			v = t->hist[v].next;
		if (v == NO_IDX)
			return NO_IDX;
		hist_remove(t, v);
		t->st.history_evicted++;
	}
	i = t->hfree;
	struct hist_ent *h = &t->hist[i];
	t->hfree = h->next;
	h->last_start = 0;
	h->key = k;
	h->attempts = 0;
	h->open_slot = NO_IDX;
	struct hist_key *hk = hist_key_at(t, i);
	hk->sender = *s;
	mx_dname_copy(&hk->domain, d);
	size_t m = t->hbmask, p = k & m;
	while (t->hslot[p].idx != NO_IDX)
		p = (p + 1) & m;
	t->hslot[p].key = k;
	t->hslot[p].idx = i;
	hist_push_lru(t, i);
	t->hcount++;
	return i;
}

/* ---- verdict --------------------------------------------------------------- */

/* The summary's bits of one host's a or aaaa step after a merge into it. */
static inline bool outcome_fail(const struct mx_chain_table *t, enum mx_outcome o)
{
	return (unsigned)o < 32 && (t->fail_mask >> (unsigned)o & 1u);
}

static void sum_step(const struct mx_chain_table *t, struct fam_bits *f, unsigned hi, const struct cstep *st)
{
	uint8_t bit = (uint8_t)(1u << hi), keep = (uint8_t)~bit;
	enum mx_outcome o = st->outcome;
	/* a merged step is asked */
	f->asked |= bit;
	f->ok = (uint8_t)((f->ok & keep) | (o == MX_O_ANSWER ? bit : 0));
	/* a FORMERR is final for the stub (glibc NO_RECOVERY: IPv6-only Postfix
	 * bounces 5.4.3 "Non-recoverable error" on an AAAA FORMERR): not a
	 * temporary failure, so an exchange left with it has no address */
	f->fail = (uint8_t)((f->fail & keep) | (!st->pending && outcome_fail(t, o) && o != MX_O_FORMERR ? bit : 0));
	f->pend = (uint8_t)((f->pend & keep) | (st->pending ? bit : 0));
}

static void sum_mx(struct slot_sum *u, const struct cstep *mx)
{
	u->mx_asked = mx->asked;
	u->mx_pending = mx->pending;
	u->mx_outcome = mx->outcome;
}

/* The verdict from the summary alone (the same decisions as reading the
 * record's mx step and hosts: every input is kept in the summary). */
static inline __attribute__((always_inline)) void set_verdict(struct mx_chain *c, const struct slot_sum *u)
{
	bool mx_ok = u->mx_outcome == MX_O_ANSWER;
	bool mx_fail = u->mx_asked && !u->mx_pending && mx_outcome_is_fail(u->mx_outcome);
	if (u->mx_outcome == MX_O_NXDOMAIN) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = "the domain does not exist (MX NXDOMAIN)";
		return;
	}
	if (u->null_mx) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = "null MX: the domain accepts no mail (RFC 7505)";
		return;
	}
	bool any_asked = (u->fam[0].asked | u->fam[1].asked) != 0;
	/* exchanges with an address: answered, or an address literal */
	uint8_t okh = (uint8_t)(u->fam[0].ok | u->fam[1].ok), usable = (uint8_t)(okh | u->lit);
	if (okh && (u->tlsa_fail & usable) == usable && !c->connected) {
		/* a DANE sender (it asked TLSA of every exchange that has an
		 * address) whose every such TLSA lookup failed temporarily
		 * connects nowhere: Postfix 4.7.5 "TLSA lookup error" */
		c->verdict = MX_CHAIN_DEFERRED;
		c->why = u->relay ? "the relay host's TLSA lookup failed temporarily (a DANE sender defers)"
				  : "every exchange with an address failed its TLSA lookup (a DANE sender defers)";
		return;
	}
	if (okh) {
		c->verdict = MX_CHAIN_RESOLVED;
		c->why = u->relay ? "the relay host has an address"
				  : mx_ok ? "an exchange has an address" : "the domain's own address (implicit MX)";
		return;
	}
	/* FORMERR is final for the stub resolver (glibc: NO_RECOVERY,
	 * "Non-recoverable error"; Postfix bounces 5.4.3); SERVFAIL, NOTIMP,
	 * REFUSED and timeouts are "try again" (Postfix defers 4.4.3 on an
	 * AAAA NOTIMP or REFUSED: captures/lab-aaaa-*-postfix-v6only.pcap). */
	if (mx_fail && u->mx_outcome == MX_O_FORMERR) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = "the MX lookup was answered FORMERR (a stub resolver gives up: non-recoverable)";
		return;
	}
	if (mx_fail) {
		c->verdict = MX_CHAIN_DEFERRED;
		c->why = "the MX lookup failed temporarily";
		return;
	}
	if (u->fam[0].fail | u->fam[1].fail) {
		c->verdict = MX_CHAIN_DEFERRED;
		c->why = u->relay ? "the relay host's address lookups failed temporarily and none answered"
				  : "address lookups failed temporarily and none answered";
		return;
	}
	if (u->lit && !any_asked) {
		c->verdict = MX_CHAIN_RESOLVED;
		c->why = "the exchange is an IP literal (used without a lookup by some MTAs)";
		return;
	}
	if (u->mx_asked && u->mx_pending) {
		c->verdict = MX_CHAIN_INCOMPLETE;
		c->why = "the capture ended before the MX lookup was answered";
		return;
	}
	if (u->fam[0].pend | u->fam[1].pend) {
		c->verdict = MX_CHAIN_INCOMPLETE;
		c->why = "the capture ended before an address lookup was answered";
		return;
	}
	if (any_asked) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = u->relay ? "the relay host has no address"
				  : mx_ok ? "no exchange has an address" : "no MX and the domain has no address";
		return;
	}
	c->verdict = MX_CHAIN_INCOMPLETE;
	c->why = mx_ok ? "no address lookup of an exchange was seen" : "no address lookup of the domain was seen";
}

/* A step that failed the way musl's getaddrinfo takes for "try again"
 * (EAI_AGAIN): SERVFAIL, or no answer. */
static bool gai_again(const struct mx_chain_step *s)
{
	return s->asked && !s->pending && (s->outcome == MX_O_SERVFAIL || s->outcome == MX_O_TIMEOUT);
}

/* musl's getaddrinfo asks A and AAAA at once on one socket (and every
 * nameserver at once: multi_send) and fails the whole lookup with EAI_AGAIN
 * when either family gets SERVFAIL or no answer, although the other one
 * answered (lab-musl-aaaa-servfail: its MTA defers and never connects).
 * A chain judged RESOLVED without a SYN whose every exchange with an
 * address got it that way is DEFERRED. Only when the sender's musl shows
 * (several nameservers asked at once); with one nameserver musl cannot be
 * told from glibc, whose getaddrinfo returns the A. */
static void musl_gai_fails(struct mx_chain *c, const struct slot_sum *u)
{
	uint8_t okh = (uint8_t)(u->fam[0].ok | u->fam[1].ok), gai = 0;
	if (u->lit)
		return;
	for (unsigned i = 0; i < c->n_hosts && i < MX_CHAIN_MAX_HOSTS; i++) {
		const struct mx_chain_host *h = &c->hosts[i];
		if (!(u->multi_send >> i & 1) || !h->a.asked || !h->aaaa.asked || !h->a.sport ||
		    h->a.sport != h->aaaa.sport)
			continue;
		if ((h->a.outcome == MX_O_ANSWER && gai_again(&h->aaaa)) ||
		    (h->aaaa.outcome == MX_O_ANSWER && gai_again(&h->a)))
			gai |= (uint8_t)(1u << i);
	}
	if (!gai || (okh & (uint8_t)~gai))
		return;
	for (unsigned i = 0; i < c->n_hosts && i < MX_CHAIN_MAX_HOSTS; i++)
		c->hosts[i].gai_failed = gai >> i & 1;
	c->verdict = MX_CHAIN_DEFERRED;
	c->why = "one address family failed (SERVFAIL or no answer): the sender's musl getaddrinfo gives up "
		 "(EAI_AGAIN) although the other answered";
}

/* ---- chain slots ------------------------------------------------------------ */

static void list_unlink(struct mx_chain_table *t, uint32_t i)
{
	struct slot_meta *s = &t->meta[i];
	if (s->prev != NO_IDX) {
		t->meta[s->prev].next = s->next;
	} else {
		t->head = s->next;
		t->clk.due = s->next != NO_IDX ? t->meta[s->next].close_us : UINT64_MAX;
	}
	if (s->next != NO_IDX)
		t->meta[s->next].prev = s->prev;
	else
		t->tail = s->prev;
}

/* The scratch record holds the previous close's chain (all zero before the
 * first). Each close overwrites it: every scalar is written, and an array or
 * name is written up to its new count with the part of the old one beyond
 * that cleared, so that past every count it is zero, as in a fresh record
 * (no separate clearing pass after the callbacks). */

/* Name *d := len bytes at src (labels), the old name's longer tail cleared. */
static inline void name_over(struct mx_dname *d, const uint8_t *src, uint8_t len, uint8_t labels)
{
	uint8_t old = d->len;
	memcpy(d->wire, src, len);
	if (old > len)
		memset(d->wire + len, 0, (size_t)(old - len));
	d->len = len;
	d->labels = labels;
}

static inline void oname_over(struct mx_dname *d, const struct ohead *c, uint16_t ref)
{
	const uint8_t *p = at(c, ref);
	name_over(d, p + ONAME_HDR, p[0], p[1]);
}

/* Step *d := the asked step s. */
static void step_over_asked(struct mx_chain_step *d, const struct cstep *s)
{
	unsigned onr = d->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? d->n_resolvers : MX_LOOKUP_MAX_RESOLVERS;
	unsigned onf = d->n_frames < MX_CHAIN_MAX_FRAMES ? d->n_frames : MX_CHAIN_MAX_FRAMES;
	unsigned nr = s->n_resolvers, nf = s->n_frames;
	/* the scalars (padding included: zero, see step_merge) and res0 as
	 * resolvers[0] */
	if (nr)
		memcpy(d, s, CSTEP_SCALARS + sizeof(s->res0));
	else
		memcpy(d, s, CSTEP_SCALARS);
	for (unsigned j = 1; j < nr; j++)
		d->resolvers[j] = s->res_more[j - 1];
	if (onr > nr)
		memset(&d->resolvers[nr], 0, (onr - nr) * sizeof(d->resolvers[0]));
	d->n_frames = (uint16_t)nf;
	memcpy(d->frames, s->frames, nf * sizeof(s->frames[0]));
	if (onf > nf)
		memset(&d->frames[nf], 0, (onf - nf) * sizeof(d->frames[0]));
}

/* Step *d := the step *ref of chain c (0: never asked: all zero but "no
 * EDE"; most of a host's steps, so this part is inline). */
static inline void step_over(struct mx_chain_step *d, const struct ohead *c, uint16_t ref)
{
	if (ref) {
		step_over_asked(d, at(c, ref));
		return;
	}
	if (d->asked)
		step_clear(d);
	d->ede = 0xffff;
}

/* The time of the chain's connecting SYN, to the millisecond below it
 * (0: not connected). */
static uint64_t chain_syn_us(const struct ohead *c)
{
	for (unsigned k = 0; c->connected && k < c->n_hosts; k++) {
		const struct ohost *ho = at(c, c->host[k]);
		if (ho->syn_ms1)
			return c->start_us + (uint64_t)(ho->syn_ms1 - 1u) * 1000u;
	}
	return 0;
}

/* Whether a lookup first asked at first_us comes after chain c connected:
 * after the millisecond of its SYN. The sender has passed the DNS stage of
 * that delivery: what it asks now belongs to the next one (another message,
 * another program on the host). */
static bool after_syn(const struct ohead *c, uint64_t first_us)
{
	uint64_t sy = chain_syn_us(c);
	return sy && first_us >= sy + 1000u;
}

/* The public record of open chain i into x, over the record x holds (the
 * scratch record: the previous close's; mx_chain_peek_open(): a cleared
 * one). chain_finish() writes the rest. Reads the table only. Inlined in
 * both callers, so that close_slot() keeps the code it had with one. */
static inline __attribute__((always_inline)) void chain_build(const struct mx_chain_table *t, uint32_t i,
							       struct mx_chain *x)
{
	const struct ohead *c = chain_at(t, i);
	unsigned old_hosts = x->n_hosts < MX_CHAIN_MAX_HOSTS ? x->n_hosts : MX_CHAIN_MAX_HOSTS;
	x->seq = c->seq;
	x->sender = t->sum[i].sender;
	oname_over(&x->domain, c, c->domain);
	x->attempt = c->attempt;
	x->prev_start_us = c->prev_start_us;
	x->new_delivery = c->new_delivery;
	x->start_us = c->start_us;
	x->end_us = c->end_us;
	step_over(&x->mx, c, c->mx);
	x->mx_total = c->mx_total;
	x->null_mx = c->null_mx;
	x->null_mx_mixed = c->null_mx_mixed;
	x->null_mx_pref = c->null_mx_pref;
	x->relay = c->relay;
	if (c->soa)
		oname_over(&x->soa_owner, c, c->soa);
	else
		name_clear(&x->soa_owner);
	x->neg_ttl = c->neg_ttl;
	x->n_hosts = c->n_hosts;
	x->hosts_total = c->hosts_total;
	for (unsigned k = 0; k < c->n_hosts; k++) {
		struct ohost *h = at(c, c->host[k]);
		struct mx_chain_host *d = &x->hosts[k];
		unsigned ona = d->n_addrs < MX_CHAIN_MAX_ADDRS ? d->n_addrs : MX_CHAIN_MAX_ADDRS;
		name_over(&d->name, ohost_wire(h), h->name_len, h->name_labels);
		d->pref = h->pref;
		d->implicit = h->implicit;
		d->ip_literal = h->ip_literal;
		if (h->cname)
			oname_over(&d->cname, c, h->cname);
		else
			name_clear(&d->cname);
		d->cname_loop = h->cname_loop;
		d->first_family = h->first_family;
		step_over(&d->a, c, h->a);
		step_over(&d->aaaa, c, h->aaaa);
		step_over(&d->tlsa, c, h->tlsa);
		d->n_addrs = h->n_addrs;
		if (h->n_addrs)
			memcpy(d->addrs, at(c, h->addrs), h->n_addrs * sizeof(d->addrs[0]));
		if (ona > h->n_addrs)
			memset(&d->addrs[h->n_addrs], 0, (ona - h->n_addrs) * sizeof(d->addrs[0]));
		d->connected = h->connected;
		d->gai_failed = false;
	}
	/* the old chain's hosts beyond the new one's: back to zero */
	for (unsigned k = c->n_hosts; k < old_hosts; k++)
		host_clear(&x->hosts[k]);
	x->connected = c->connected;
	x->connected_to = c->connected_to;
	x->connected_port = c->connected_port;
	x->search_lookups = c->search_lookups;
	x->syn_frame = c->syn_frame;
	x->syn_us = chain_syn_us(c);
}

/* The rest of open chain i's record x, as if it closed now: verdict, why,
 * cut_short, evicted, syn_other (open and open_window_ms are the peek's).
 * Reads the table only. */
static inline __attribute__((always_inline)) void chain_finish(const struct mx_chain_table *t, uint32_t i,
								struct mx_chain *x, bool cut_short, bool evicted)
{
	const struct slot_meta *s = &t->meta[i];
	const struct slot_sum *u = &t->sum[i];
	x->cut_short = cut_short;
	x->evicted = evicted;
	x->syn_other = (uint32_t)(t->grp[s->grp].syns - u->syn_base);
	set_verdict(x, u);
	if (u->multi_send && x->verdict == MX_CHAIN_RESOLVED && !x->connected && !u->relay)
		musl_gai_fails(x, u);
}

/* Slot i back to the free list: its overflow, index entries, sender group
 * and place in the open list (its history entry is the caller's). */
static void release_slot(struct mx_chain_table *t, uint32_t i)
{
	struct slot_meta *s = &t->meta[i];
	struct ohead *oc = chain_at(t, i);
	struct sgroup *g = &t->grp[s->grp];
	free(oc->ext);
	oc->ext = NULL;
	index_remove_chain(t, i);
	if (--g->nchains == 0) {
		uint32_t *pp = &t->sbucket[s->shash & t->sbmask];
		while (*pp != s->grp)
			pp = &t->grp[*pp].next;
		*pp = g->next;
		g->next = t->free_grp;
		t->free_grp = s->grp;
	}
	list_unlink(t, i);
	s->used = false;
	s->hist = NO_IDX;
	s->next = t->free_slot;
	t->free_slot = i;
	t->open--;
}

static void close_slot(struct mx_chain_table *t, uint32_t i, bool cut_short, bool evicted)
{
	struct slot_meta *s = &t->meta[i];
	struct mx_chain *c = t->scratch;
	chain_build(t, i, c);
	chain_finish(t, i, c, cut_short, evicted);
	t->st.chains++;
	switch (c->verdict) {
	case MX_CHAIN_RESOLVED: t->st.resolved++; break;
	case MX_CHAIN_DEFERRED: t->st.deferred++; break;
	case MX_CHAIN_FAILED: t->st.failed++; break;
	case MX_CHAIN_INCOMPLETE: t->st.incomplete++; break;
	}
	/* The (sender, domain) entry is used again (LRU). While this chain is
	 * open its entry keeps open_slot == i and cannot be evicted, so the
	 * index kept at open is that entry; without one (the history was full
	 * of open pairs then) look the pair up. */
	uint32_t h = s->hist;
	if (h != NO_IDX)
		hist_touch(t, h);
	else
		h = hist_find(t, hist_hash_of(s->shash, mx_txn_question_hash(&c->domain, MX_TYPE_MX, 1)),
			      &c->sender, &c->domain);
	if (h != NO_IDX && t->hist[h].open_slot == i)
		t->hist[h].open_slot = NO_IDX;
	if (t->cb.done)
		t->cb.done(t->cb.ctx, c);
	release_slot(t, i);
	/* the next chain to close is the new head (closes and evictions go in
	 * start order), usually some packets from now: load its arena while
	 * they are decoded, so that building it does not wait on each line */
	if (t->head != NO_IDX) {
		const char *p = (const char *)chain_at(t, t->head);
		for (size_t o = 0; o < ARENA_BYTES; o += 256) {
			__builtin_prefetch(p + o);
			__builtin_prefetch(p + o + 64);
			__builtin_prefetch(p + o + 128);
			__builtin_prefetch(p + o + 192);
		}
		/* and its newest and oldest index entries (most chains have
		 * two or three) */
		const struct slot_meta *hm = &t->meta[t->head];
		if (hm->idx_first != NO_IDX) {
			__builtin_prefetch(&t->ents[hm->idx_first], 1);
			__builtin_prefetch(&t->ents[hm->idx_last], 1);
		}
	}
}

/* The step *ref large (promoted from small when it is not yet); NULL when
 * out of memory. */
static struct cstep *step_large(struct ohead *c, uint16_t *ref)
{
	struct cstep *s = at(c, *ref);
	if (s->large)
		return s;
	/* the small step's bytes, then room read only under n_frames and
	 * n_resolvers */
	uint16_t off = arena_take(c, sizeof(struct cstep));
	if (!off)
		return NULL;
	struct cstep *n = at(c, off);
	memcpy(n, s, CSTEP_SMALL);
	n->large = 1;
	*ref = off;
	return n;
}

/* The rcode of l's first closed try whose outcome is the lookup's, 0 none. */
static inline uint16_t lookup_rcode(const struct mx_lookup *l, unsigned nt)
{
	for (unsigned i = 0; i < nt; i++)
		if (l->tries[i].outcome == l->outcome && !l->tries[i].open)
			return l->tries[i].rcode;
	return 0;
}

/* Append the frames of l's tries (query, then response, try by try) that s
 * does not hold yet, up to MX_CHAIN_MAX_FRAMES, and fold the tries' timeouts
 * in; the step (moved when it had to become large), NULL when out of
 * memory. A frame above every frame held is new without a scan (a step's
 * frames are mostly appended in increasing order), so only a frame at or
 * below that maximum is looked for. */
static inline __attribute__((always_inline)) struct cstep *
step_frames(struct ohead *c, uint16_t *ref, struct cstep *s, const struct mx_lookup *l, unsigned nt)
{
	bool timeouts = s->timeouts;
	unsigned nf = s->n_frames;
	uint64_t max = 0;
	for (unsigned j = 0; j < nf; j++)
		if (s->frames[j] > max)
			max = s->frames[j];
	for (unsigned i = 0; i < nt; i++) {
		const struct mx_lookup_try *tr = &l->tries[i];
		timeouts |= tr->outcome == MX_O_TIMEOUT || tr->open;
		uint64_t fr[2] = {tr->q_frame, tr->r_frame};
		for (unsigned k = 0; k < 2; k++) {
			if (!fr[k] || nf >= MX_CHAIN_MAX_FRAMES)
				continue;
			if (fr[k] > max) {
				max = fr[k];
			} else {
				unsigned j = 0;
				while (j < nf && s->frames[j] != fr[k])
					j++;
				if (j < nf)
					continue;
			}
			if (nf >= CSTEP_SMALL_FRAMES && !s->large) {
				struct cstep *n = step_large(c, ref);
				if (!n)
					continue;
				s = n;
			}
			s->frames[nf++] = fr[k];
		}
	}
	s->timeouts = timeouts;
	s->n_frames = (uint8_t)nf;
	return s;
}

/* Add l's resolvers that s does not hold yet (in l's order, at most
 * MX_LOOKUP_MAX_RESOLVERS); the step, moved when it had to become large. */
static inline __attribute__((always_inline)) struct cstep *
step_resolvers(struct ohead *c, uint16_t *ref, struct cstep *s, const struct mx_lookup *l)
{
	for (unsigned i = 0; i < l->n_resolvers; i++) {
		if (s->n_resolvers >= MX_LOOKUP_MAX_RESOLVERS)
			break;
		unsigned n = s->n_resolvers;
		if (n == 0) {
			s->res0 = l->resolvers[i];
			s->n_resolvers = 1;
			continue;
		}
		if (mx_addr_eq(&s->res0, &l->resolvers[i]))
			continue;
		unsigned j = 1;
		while (j < n && !mx_addr_eq(&s->res_more[j - 1], &l->resolvers[i]))
			j++;
		if (j < n)
			continue;
		struct cstep *ls = step_large(c, ref);
		if (!ls)
			break;
		s = ls;
		s->res_more[n - 1] = l->resolvers[i];
		s->n_resolvers = (uint8_t)(n + 1);
	}
	return s;
}

/* Merge lookup l into the step *ref (allocated small when it is 0); the
 * step, NULL when out of memory. A new step (most merges: a step is rarely
 * asked twice in a window) has every scalar written from l at once. */
static struct cstep *step_merge(struct ohead *c, uint16_t *ref, const struct mx_lookup *l)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	struct cstep *s;
	if (!*ref) {
		uint16_t off = arena_take(c, CSTEP_SMALL);
		if (!off)
			return NULL;
		*ref = off;
		/* every scalar written; frames are read only under n_frames */
		s = at(c, off);
		/* the scalars' padding zero: they are copied whole at close */
		memset(s, 0, CSTEP_SCALARS);
		s->first_us = l->first_us;
		s->sport = nt ? l->tries[0].sport : 0;
		s->end_us = l->last_us;
		s->first_end_us = l->last_us;
		s->latency_us = l->latency_us;
		s->lookup_seq = l->seq;
		s->attempts = l->attempts;
		s->lookups = 1;
		s->rcode = lookup_rcode(l, nt);
		s->ede = l->ede;
		s->outcome = l->outcome;
		s->asked = true;
		s->timeouts = false;
		s->pending = l->pending_at_end && l->outcome == MX_O_TIMEOUT;
		s->n_resolvers = 0;
		s->n_frames = 0;
		s->large = 0;
	} else {
		s = at(c, *ref);
		bool was = s->asked;
		if (!was)
			s->first_end_us = l->last_us;
		if (!was || l->first_us < s->first_us) {
			s->first_us = l->first_us;
			s->sport = nt ? l->tries[0].sport : 0;
		}
		if (!was || (unsigned)l->outcome <= s->outcome) {
			s->outcome = l->outcome;
			s->latency_us = l->latency_us;
			s->ede = l->ede;
			s->rcode = lookup_rcode(l, nt);
		}
		s->pending = l->pending_at_end && l->outcome == MX_O_TIMEOUT;
		s->asked = true;
		s->lookups++;
		s->attempts += l->attempts;
		if (l->last_us > s->end_us)
			s->end_us = l->last_us;
		s->lookup_seq = l->seq;
	}
	/* over TCP: after a truncated UDP answer, or from the start */
	bool tc = false;
	for (unsigned i = 0; i < nt; i++) {
		tc |= l->tries[i].tc;
		if (l->tries[i].transport == MX_T_TCP && s->tcp != 1)
			s->tcp = tc ? 1 : 2;
	}
	s = step_frames(c, ref, s, l, nt);
	return step_resolvers(c, ref, s, l);
}

/* Byte classes for looks_ip_literal_slow(): 1 digit, 2 ':' '[' ']'. */
static const uint8_t lit_class[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	[':'] = 2, ['['] = 2, [']'] = 2,
};

static bool looks_ip_literal_slow(const struct mx_dname *n)
{
	/* four numeric labels 0-255, or a label with ':' or '[' (PATTERNS P7) */
	unsigned labels = 0, numeric = 0;
	size_t i = 0, len = n->len;
	while (i < len && n->wire[i]) {
		size_t ll = n->wire[i];
		size_t end = i + ll < len - 1 ? i + ll : len - 1; /* last byte inside len */
		unsigned any = 0, all = 1;
		for (size_t p = i + 1; p <= end; p++) {
			unsigned cl = lit_class[n->wire[p]];
			any |= cl;
			all &= cl;
		}
		if (any & 2)
			return true;
		if (ll <= 3 && all) {
			unsigned v = 0;
			for (size_t p = i + 1; p <= end; p++)
				v = v * 10 + (unsigned)(n->wire[p] - '0');
			if (v <= 255)
				numeric++;
		}
		labels++;
		i += ll + 1;
	}
	return labels == 4 && numeric == 4;
}

/* Some byte of x is ':' or one of 'Y' '[' ']' '_' (the byte with bits 1 and
 * 2 cleared is 0x59): two zero-byte tests instead of three. 'Y' and '_'
 * only send a name to the exact walk. */
static inline bool word_may_have_literal_byte(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t a = x ^ (ones * ':'), b = (x & (ones * 0xf9)) ^ (ones * 0x59);
	return (((a - ones) & ~a) | ((b - ones) & ~b)) & highs;
}

/* False when no byte of the name's wire[0..len) is ':', '[' or ']' (true
 * may also mean a 'Y' or '_'), sixteen at a time (SSE2, names of 16 bytes
 * or more) or eight; a last partial block is read as the bytes ending at len
 * (every load stays inside wire[0..len)). */
static bool may_have_literal_byte(const struct mx_dname *n)
{
	size_t len = n->len;
	const uint8_t *w = n->wire;
#if defined(__SSE2__)
	/* 16 bytes at a time (exact: no 'Y' or '_'), the last block ending at
	 * len */
	if (len >= 16) {
		const __m128i colon = _mm_set1_epi8(':'), lb = _mm_set1_epi8('['), rb = _mm_set1_epi8(']');
		for (size_t i = 0;; i += 16) {
			const uint8_t *p = i + 16 <= len ? w + i : w + len - 16;
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, colon), _mm_cmpeq_epi8(v, lb)),
						 _mm_cmpeq_epi8(v, rb));
			if (_mm_movemask_epi8(m))
				return true;
			if (i + 16 >= len)
				return false;
		}
	}
#endif
	if (len < 8) {
		for (size_t i = 0; i < len; i++)
			if (w[i] == ':' || w[i] == '[' || w[i] == ']')
				return true;
		return false;
	}
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		if (word_may_have_literal_byte(mx_load64_(w + i)))
			return true;
	return i < len && word_may_have_literal_byte(mx_load64_(w + len - 8));
}

/* Same answer as looks_ip_literal_slow(). Without any ':' '[' ']' byte (not
 * even a length byte) only four numeric labels make a literal, so the first
 * label that is not numeric, or a fifth label, decides; a name that may have
 * one takes the exact walk. */
static bool looks_ip_literal(const struct mx_dname *n)
{
	size_t i = 0, len = n->len;
	if (may_have_literal_byte(n))
		return looks_ip_literal_slow(n);
	unsigned labels = 0;
	while (i < len && n->wire[i]) {
		size_t ll = n->wire[i];
		if (++labels > 4 || ll > 3)
			return false;
		size_t end = i + ll < len - 1 ? i + ll : len - 1;
		unsigned v = 0;
		for (size_t p = i + 1; p <= end; p++) {
			unsigned d = (unsigned)n->wire[p] - '0';
			if (d > 9)
				return false;
			v = v * 10 + d;
		}
		if (v > 255)
			return false;
		i += ll + 1;
	}
	return labels == 4;
}

/* "192.0.2.1." as wire labels -> the IPv4 address; false otherwise. */
static bool literal_addr4(const struct mx_dname *n, struct mx_addr *out)
{
	uint8_t b[4];
	size_t i = 0;
	for (unsigned k = 0; k < 4; k++) {
		if (i >= n->len)
			return false;
		uint8_t ll = n->wire[i];
		if (ll == 0 || ll > 3 || i + ll >= n->len)
			return false;
		unsigned v = 0;
		for (uint8_t j = 1; j <= ll; j++) {
			uint8_t ch = n->wire[i + j];
			if (ch < '0' || ch > '9')
				return false;
			v = v * 10 + (unsigned)(ch - '0');
		}
		if (v > 255)
			return false;
		b[k] = (uint8_t)v;
		i += (size_t)ll + 1;
	}
	if (i >= n->len || n->wire[i] != 0)
		return false;
	mx_addr_set4(out, b);
	return true;
}

/* A new host's steps are never asked (0) until a lookup merges; the public
 * record gets "no EDE" in those at close. */
static int add_host(struct mx_chain_table *t, uint32_t slot, const struct mx_dname *name, uint16_t pref,
		    bool implicit)
{
	struct ohead *c = chain_at(t, slot);
	for (unsigned i = 0; i < c->n_hosts; i++) {
		struct ohost *h = at(c, c->host[i]);
		if (bytes_is(ohost_wire(h), h->name_len, name->wire, name->len))
			return (int)i;
	}
	if (c->n_hosts >= MX_CHAIN_MAX_HOSTS)
		return -1;
	unsigned hi = c->n_hosts;
	uint16_t off = arena_take(c, sizeof(struct ohost) + name->len);
	if (!off)
		return -1;
	struct ohost *h = at(c, off);
	memset(h, 0, sizeof(*h));
	h->name_len = name->len;
	h->name_labels = name->labels;
	memcpy(ohost_wire(h), name->wire, name->len);
	h->pref = pref;
	h->implicit = implicit;
	h->ip_literal = looks_ip_literal(name);
	struct slot_sum *u = &t->sum[slot];
	if (h->ip_literal)
		u->lit |= (uint8_t)(1u << hi);
	c->host[hi] = off;
	c->n_hosts = (uint8_t)(hi + 1);
	u->n_hosts = c->n_hosts;
	return (int)hi;
}

/* Host h's address array (MX_CHAIN_MAX_ADDRS, read only under n_addrs: not
 * cleared); false when out of memory. */
static bool host_alloc_addrs(struct ohead *c, struct ohost *h)
{
	uint16_t off = arena_take(c, MX_CHAIN_MAX_ADDRS * sizeof(struct mx_addr));
	if (!off)
		return false;
	h->addrs = off;
	return true;
}

/* Append address a to host h (its array allocated with the first). */
static bool host_add_addr(struct ohead *c, struct ohost *h, const struct mx_addr *a)
{
	if (!h->addrs && !host_alloc_addrs(c, h))
		return false;
	struct mx_addr *v = at(c, h->addrs);
	v[h->n_addrs++] = *a;
	return true;
}

static void fill_from_mx(struct mx_chain_table *t, uint32_t slot, const struct mx_lookup *l)
{
	struct ohead *c = chain_at(t, slot);
	const struct mx_dns_msg *m = l->answer;
	if (m && l->outcome == MX_O_ANSWER) {
		bool root = false, other = false;
		unsigned nroot = 0;
		uint16_t root_pref = 0;
		c->mx_total = m->mx_total;
		/* sort by preference then name (RFC 5321 §5.1) for a stable order */
		unsigned order[MX_DNS_MAX_MX];
		unsigned n = m->n_mx < MX_DNS_MAX_MX ? m->n_mx : MX_DNS_MAX_MX;
		for (unsigned i = 0; i < n; i++)
			order[i] = i;
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0; j--) {
				const struct mx_dns_mxrr *x = &m->mx[order[j - 1]], *y = &m->mx[order[j]];
				if (x->pref < y->pref ||
				    (x->pref == y->pref && mx_dname_cmp(&x->exchange, &y->exchange) <= 0))
					break;
				unsigned tmp = order[j];
				order[j] = order[j - 1];
				order[j - 1] = tmp;
			}
		for (unsigned k = 0; k < n; k++) {
			const struct mx_dns_mxrr *r = &m->mx[order[k]];
			if (r->exchange.len <= 1) {
				/* sorted: the first "." is the lowest preference */
				if (!root)
					root_pref = r->pref;
				root = true;
				nroot++;
				continue;
			}
			other = true;
			if (c->n_hosts >= MX_CHAIN_MAX_HOSTS)
				continue;
			unsigned before = c->n_hosts;
			int hi = add_host(t, slot, &r->exchange, r->pref, false);
			if (hi < 0)
				continue;
			/* the host's own name is indexed once (an MX asked
			 * again names the same exchanges: no hashing) */
			struct ohost *ho = at(c, c->host[hi]);
			if (!ho->named)
				ho->named = index_add(t, slot, &r->exchange, (uint8_t)hi, (unsigned)hi >= before);
			/* an address literal is its own address (Postfix connects to
			 * it without a lookup): a SYN to it belongs to this chain
			 * (the host's name is r->exchange) */
			struct mx_addr lit;
			if (ho->ip_literal && ho->n_addrs == 0 && literal_addr4(&r->exchange, &lit) &&
			    host_add_addr(c, ho, &lit))
				index_insert(t, slot, addr_key(t->meta[slot].shash, &lit), (uint8_t)hi, true);
		}
		/* exchanges: the answer's MX records less the null MX ones ("."
		 * is no exchange; any beyond the kept MX_DNS_MAX_MX count) */
		unsigned total = m->mx_total > nroot ? m->mx_total - nroot : 0;
		c->hosts_total = (uint8_t)(total > 255 ? 255 : total);
		c->null_mx = root && !other;
		c->null_mx_mixed = root && other;
		c->null_mx_pref = root_pref;
		t->sum[slot].null_mx = c->null_mx;
	} else {
		/* NODATA/NXDOMAIN: implicit MX (RFC 5321 §5.1; Postfix also asks
		 * A/AAAA of D after NXDOMAIN); a failed MX: a sender with
		 * ignore_mx_lookup_error may still ask D (the chain's domain is
		 * the MX lookup's qname) */
		unsigned before = c->n_hosts;
		int hi = add_host(t, slot, &l->qname, 0, true);
		struct ohost *ho = hi >= 0 ? at(c, c->host[hi]) : NULL;
		if (ho && !ho->named)
			ho->named = index_add(t, slot, &l->qname, (uint8_t)hi, (unsigned)hi >= before);
	}
	if (m && m->has_soa) {
		oname_set(c, &c->soa, &c->soa_cap, &m->soa_owner);
		c->neg_ttl = m->neg_ttl;
	} else if (l->has_soa) {
		c->neg_ttl = l->neg_ttl;
	}
}

/* One more slot (index used_slots): its meta entry and arena chunk. */
static bool slot_new(struct mx_chain_table *t)
{
	if (t->used_slots >= t->nmeta) {
		/* meta, sum and grp grow alike; one that grew while another
		 * failed is merely larger than nmeta */
		size_t cap = t->nmeta, cap2 = t->nmeta, cap3 = t->nmeta;
		if (!grow((void **)&t->meta, &cap, t->used_slots, t->o.max_open, sizeof(*t->meta)) ||
		    !grow((void **)&t->sum, &cap2, t->used_slots, t->o.max_open, sizeof(*t->sum)) ||
		    !grow((void **)&t->grp, &cap3, t->used_slots, t->o.max_open, sizeof(*t->grp)) ||
		    cap2 != cap || cap3 != cap)
			return false;
		t->nmeta = cap;
	}
	size_t c = t->used_slots >> CHUNK_SHIFT;
	if (!t->chunk[c]) {
		/* not zeroed: open_chain() writes an arena's header, and each
		 * item's allocator clears what is read (arena_take) */
		size_t base = c << CHUNK_SHIFT, n = t->o.max_open - base;
		t->chunk[c] = aligned_alloc(64, (n < CHUNK_N ? n : CHUNK_N) * ARENA_BYTES);
		if (!t->chunk[c])
			return false;
	}
	return true;
}

static uint32_t open_chain(struct mx_chain_table *t, const struct mx_lookup *l, uint64_t sh)
{
	if (t->free_slot == NO_IDX && slot_new(t)) {
		t->meta[t->used_slots].next = NO_IDX;
		t->free_slot = (uint32_t)t->used_slots++;
	}
	if (t->free_slot == NO_IDX) {
		if (t->head == NO_IDX)
			return NO_IDX; /* out of memory */
		/* evict the oldest open chain: report it cut short by the cap */
		t->st.evicted++;
		close_slot(t, t->head, false, true);
	}
	uint32_t i = t->free_slot;
	struct slot_meta *s = &t->meta[i];
	t->free_slot = s->next;
	s->used = true;
	s->close_us = 0;
	s->shash = sh;
	s->hist = NO_IDX;
	s->idx_first = NO_IDX;
	s->prev = t->tail;
	s->next = NO_IDX;
	if (t->tail != NO_IDX) {
		t->meta[t->tail].next = i;
	} else {
		t->head = i;
		t->clk.due = 0; /* its close_us, until observe_mx() sets it */
	}
	t->tail = i;
	t->open++;
	uint32_t *sb = &t->sbucket[sh & t->sbmask];
	uint32_t gi = *sb;
	while (gi != NO_IDX && !mx_addr_eq(&t->grp[gi].sender, &l->client))
		gi = t->grp[gi].next;
	if (gi == NO_IDX) {
		/* groups <= open chains <= slots handed out: the array holds one */
		if (t->free_grp != NO_IDX) {
			gi = t->free_grp;
			t->free_grp = t->grp[gi].next;
		} else {
			gi = (uint32_t)t->used_grp++;
		}
		struct sgroup *g = &t->grp[gi];
		g->sender = l->client;
		g->nchains = 0;
		g->syns = 0;
		g->next = *sb;
		*sb = gi;
	}
	t->grp[gi].nchains++;
	s->grp = gi;
	struct slot_sum *u = &t->sum[i];
	memset(u, 0, sizeof(*u));
	u->sender = l->client;
	u->syn_base = t->grp[gi].syns;
	struct ohead *c = chain_at(t, i);
	memset(c, 0, sizeof(*c));
	c->used = (uint16_t)RND8(sizeof(*c));
	c->seq = ++t->seq;
	uint8_t cap = 0;
	oname_set(c, &c->domain, &cap, &l->qname);
	c->start_us = l->first_us;
	c->end_us = l->last_us;
	return i;
}

/* A new chain in slot for lookup l: its attempt number and previous start
 * from the (sender, domain) history entry h (none: attempt 1), which now
 * points at it. */
static inline __attribute__((always_inline)) void start_attempt(struct mx_chain_table *t, uint32_t h,
								 uint32_t slot, const struct mx_lookup *l, bool next)
{
	struct ohead *c = chain_at(t, slot);
	if (h == NO_IDX) {
		c->attempt = 1;
		return;
	}
	struct hist_ent *he = &t->hist[h];
	if (next || he->attempts == 0 || l->first_us >= he->last_start + t->o.min_retry_gap_us ||
	    l->first_us < he->last_start)
		he->attempts++;
	c->prev_start_us = he->attempts > 1 ? he->last_start : 0;
	he->last_start = l->first_us;
	he->open_slot = slot;
	t->meta[slot].hist = h;
	c->attempt = he->attempts;
}

/* False when no open chain's sender can have this hash: its sender bucket
 * is empty (one word of a small array, no chain record touched). */
static inline bool sender_may_be_open(const struct mx_chain_table *t, uint64_t sh)
{
	return t->sbucket[sh & t->sbmask] != NO_IDX;
}

/* How long after a failing MX lookup of D its retry with a search domain
 * appended may start: res_search() asks it as soon as the first one ends
 * (after glibc's 5 s timeout when the first one was never answered). */
#define SEARCH_RETRY_GAP_US 6000000ull

static bool mx_step_failed(const struct mx_chain_table *t, enum mx_outcome o)
{
	return o == MX_O_NXDOMAIN || o == MX_O_NODATA || outcome_fail(t, o);
}

/* res_search() with a search list (glibc's RES_DNSRCH, which a program
 * that calls res_search() gets: dma; the domain of the host name serves as
 * the list when resolv.conf has none) asks MX D and, when that fails
 * (NXDOMAIN, NODATA, SERVFAIL), MX D.X for each search domain X (taken to
 * have two labels or more: example.com.au is a domain of its own). A failing
 * MX lookup of D.X that the sender starts within SEARCH_RETRY_GAP_US of
 * the end of its open chain's failing MX lookup of D is that retry, not a
 * recipient domain: the chain for D counts it (search_lookups) and no
 * chain is opened. One that answers (a wildcard under X) is what the MTA
 * goes on with, and makes its own chain as before. */
static bool absorb_search_suffix(struct mx_chain_table *t, const struct mx_lookup *l, uint64_t sh)
{
	if (!mx_step_failed(t, l->outcome) || l->qname.labels < 3 || !sender_may_be_open(t, sh))
		return false;
	const uint8_t *w = l->qname.wire;
	size_t len = l->qname.len, off = 0;
	struct mx_dname d;
	memset(&d, 0, offsetof(struct mx_dname, wire));
	/* X of two labels or more: a search domain (lab.example, cluster.local),
	 * not a TLD that makes D.X another domain (example.com.au) */
	for (unsigned k = 1; k + 2u <= l->qname.labels; k++) {
		off += 1u + w[off];
		if (off + 1 >= len)
			return false; /* labels that do not add up to the length */
		memcpy(d.wire, w, off);
		d.wire[off] = 0;
		d.len = (uint8_t)(off + 1);
		d.labels = (uint8_t)k;
		uint64_t qh = mx_txn_question_hash(&d, MX_TYPE_MX, l->qclass);
		uint32_t h = hist_find(t, hist_hash_of(sh, qh), &l->client, &d);
		if (h == NO_IDX)
			continue;
		uint32_t open = t->hist[h].open_slot;
		if (open == NO_IDX || !t->meta[open].used || t->sum[open].relay)
			continue;
		struct ohead *c = chain_at(t, open);
		if (!c->mx)
			continue;
		const struct cstep *m = at(c, c->mx);
		if (!m->asked || m->pending || !mx_step_failed(t, m->outcome) || l->first_us < m->first_us ||
		    l->first_us > c->mx_end_us + SEARCH_RETRY_GAP_US)
			continue;
		if (c->search_lookups < UINT8_MAX)
			c->search_lookups++;
		if (l->last_us > c->end_us)
			c->end_us = l->last_us;
		return true;
	}
	return false;
}

/* The other order: with an ndots option above the name's dots (ndots:5 in
 * Kubernetes pods), res_search() asks MX D.X1, D.X2 ... first, each failing,
 * then MX D. Each of those opened a chain of its own when it ended; the MX
 * lookup of D that follows the last within SEARCH_RETRY_GAP_US (each
 * following the one before it so) takes them back: their chains are dropped
 * unreported (no chain, recipient domain or MX_NXDOMAIN for D.X) and D's
 * chain counts them. Candidates are the newest SFX_OPEN chains opened by
 * such a failing MX lookup (sfx_note_open). */
static void sfx_note_open(struct mx_chain_table *t, uint32_t slot, const struct mx_lookup *l, uint64_t sh)
{
	struct sfx_open *e = &t->sfx[t->sfx_pos];
	e->seq = chain_at(t, slot)->seq;
	e->slot = slot;
	e->sh = sh;
	t->sfx_sh[t->sfx_pos] = sh | 1u; /* never 0 */
	e->first_us = l->first_us;
	e->end_us = l->last_us;
	e->sender = l->client;
	mx_dname_copy(&e->name, &l->qname);
	t->sfx_pos = (t->sfx_pos + 1) % SFX_OPEN;
	if (t->sfx_n < SFX_OPEN)
		t->sfx_n++;
}

static unsigned fold_search_before(struct mx_chain_table *t, const struct mx_lookup *l, uint64_t sh)
{
	unsigned folded = 0;
	uint64_t next = l->first_us;
	const struct mx_dname *d = &l->qname;
	if (d->len < 2)
		return 0;
	for (;;) {
		/* the latest candidate that ended right before next */
		struct sfx_open *best = NULL;
		for (unsigned k = 0; k < t->sfx_n; k++) {
			if (t->sfx_sh[k] != (sh | 1u))
				continue; /* another sender's: its entry is not read */
			struct sfx_open *e = &t->sfx[k];
			if (!e->seq || e->sh != sh || e->name.labels < d->labels + 2u || e->end_us > next ||
			    next - e->end_us > SEARCH_RETRY_GAP_US || (best && best->end_us >= e->end_us))
				continue;
			/* D's labels, then more: D.X */
			if (!bytes_eq(e->name.wire, d->wire, d->len - 1u) || !mx_addr_eq(&e->sender, &l->client))
				continue;
			const struct slot_meta *m = &t->meta[e->slot];
			if (!m->used || chain_at(t, e->slot)->seq != e->seq || t->sum[e->slot].relay)
				continue;
			best = e;
		}
		if (!best)
			return folded;
		uint32_t h = t->meta[best->slot].hist;
		if (h == NO_IDX)
			h = hist_find(t, hist_hash_of(sh, mx_txn_question_hash(&best->name, MX_TYPE_MX, 1)),
				      &best->sender, &best->name);
		if (h != NO_IDX && t->hist[h].open_slot == best->slot)
			t->hist[h].open_slot = NO_IDX;
		release_slot(t, best->slot);
		best->seq = 0;
		t->sfx_sh[best - t->sfx] = 0;
		folded++;
		next = best->first_us;
	}
}

static void observe_mx(struct mx_chain_table *t, const struct mx_lookup *l)
{
	uint64_t sh = lookup_sender_hash(l);
	if (absorb_search_suffix(t, l, sh))
		return;
	unsigned before = t->sfx_n && sender_may_be_open(t, sh) ? fold_search_before(t, l, sh) : 0;
	uint32_t h = hist_get(t, hist_hash_of(sh, mx_lookup_qhash_of(l)), &l->client, &l->qname);
	uint32_t slot = NO_IDX;
	uint32_t open = h != NO_IDX ? t->hist[h].open_slot : NO_IDX;
	/* MX asked again after the open chain connected: the next delivery
	 * (another message, or another program), a chain of its own. The
	 * open one stays open for its late members (lookups asked before its
	 * SYN that close later); join_lookup() keeps later ones out of it. */
	bool next_delivery = false;
	if (open != NO_IDX && t->meta[open].used &&
	    l->first_us < t->hist[h].last_start + t->o.min_retry_gap_us) {
		if (after_syn(chain_at(t, open), l->first_us))
			next_delivery = true;
		else
			slot = open; /* same attempt: asked MX again */
	}
	if (slot == NO_IDX) {
		if (open != NO_IDX && t->meta[open].used && !next_delivery)
			close_slot(t, open, false, false); /* the next attempt starts */
		slot = open_chain(t, l, sh);
		if (slot == NO_IDX)
			return;
		start_attempt(t, h, slot, l, next_delivery);
		chain_at(t, slot)->new_delivery = next_delivery;
		if (l->qname.labels >= 3 && mx_step_failed(t, l->outcome))
			sfx_note_open(t, slot, l, sh);
	}
	struct ohead *c = chain_at(t, slot);
	if (before)
		c->search_lookups = (uint8_t)(c->search_lookups + before > UINT8_MAX ? UINT8_MAX
										 : c->search_lookups + before);
	bool first = !c->mx;
	const struct cstep *mx = step_merge(c, &c->mx, l);
	if (mx) {
		sum_mx(&t->sum[slot], mx);
		c->mx_end_us = mx->end_us;
	}
	if (first || l->outcome == MX_O_ANSWER)
		fill_from_mx(t, slot, l);
	if (l->last_us > c->end_us)
		c->end_us = l->last_us;
	t->meta[slot].close_us = l->last_us + t->o.chain_window_us + t->o.retx_gap_us;
	if (slot == t->head)
		t->clk.due = t->meta[slot].close_us;
}

static void join_member(struct mx_chain_table *t, uint32_t slot, uint8_t hi, const struct mx_lookup *l,
			bool tlsa);

static void join_lookup(struct mx_chain_table *t, uint32_t slot, uint8_t hi, const struct mx_lookup *l,
			bool tlsa)
{
	struct ohead *c = chain_at(t, slot);
	if (hi >= c->n_hosts)
		return;
	/* the member's first query must fall inside the chain's window */
	if (l->first_us < c->start_us ||
	    l->first_us > c->mx_end_us + t->o.chain_window_us)
		return;
	/* the chain ends at its SYN for an exchange it has resolved already:
	 * a later A/AAAA of it is another delivery's (or getent's, or a
	 * second getaddrinfo's). An exchange not asked yet may still join (a
	 * sender that resolves the next exchange after a failed connection:
	 * sendmail); TLSA may come after the connection (DANE after the SYN
	 * in some MTAs). */
	if (!tlsa && c->connected && after_syn(c, l->first_us)) {
		const struct ohost *ho = at(c, c->host[hi]);
		if ((ho->a && ((const struct cstep *)at(c, ho->a))->asked) ||
		    (ho->aaaa && ((const struct cstep *)at(c, ho->aaaa))->asked))
			return;
	}
	join_member(t, slot, hi, l, tlsa);
}

/* Lookup l joins host hi of chain slot (hi < n_hosts). */
static void join_member(struct mx_chain_table *t, uint32_t slot, uint8_t hi, const struct mx_lookup *l,
			bool tlsa)
{
	struct ohead *c = chain_at(t, slot);
	struct ohost *h = at(c, c->host[hi]);
	t->st.lookups_joined++;
	struct slot_sum *u = &t->sum[slot];
	if (tlsa) {
		const struct cstep *ms = step_merge(c, &h->tlsa, l);
		uint8_t bit = (uint8_t)(1u << hi);
		u->tlsa_asked |= bit;
		if (ms)
			u->tlsa_fail = (uint8_t)((u->tlsa_fail & ~bit) |
						 (!ms->pending && outcome_fail(t, ms->outcome) ? bit : 0));
	} else {
		bool v6 = l->qtype == MX_TYPE_AAAA;
		if (mx_lookup_multi_send(l))
			u->multi_send |= (uint8_t)(1u << hi);
		uint16_t *st = v6 ? &h->aaaa : &h->a;
		uint16_t other_ref = v6 ? h->a : h->aaaa;
		const struct cstep *other = other_ref ? at(c, other_ref) : NULL;
		bool st_asked = *st != 0 && ((const struct cstep *)at(c, *st))->asked;
		bool other_asked = other && other->asked;
		if (!h->first_family || (other_asked && l->first_us < other->first_us && !st_asked))
			h->first_family = v6 ? 6 : 4;
		if (other_asked && !st_asked && other->first_us < l->first_us)
			h->first_family = v6 ? 4 : 6;
		const struct cstep *ms = step_merge(c, st, l);
		if (ms)
			sum_step(t, &u->fam[v6], hi, ms);
		const struct mx_dns_msg *m = l->answer;
		if (m) {
			/* the answer's new addresses appended, in order; the array
			 * allocated with the first (an address is new when the host
			 * has none) */
			unsigned na = h->n_addrs, nm = m->n_addr;
			if (nm && na < MX_CHAIN_MAX_ADDRS && (h->addrs || host_alloc_addrs(c, h))) {
				uint64_t sh = t->meta[slot].shash;
				struct mx_addr *v = at(c, h->addrs);
				for (unsigned i = 0; i < nm && na < MX_CHAIN_MAX_ADDRS; i++) {
					const struct mx_addr *a = &m->addr[i].addr;
					unsigned j = 0;
					while (j < na && !mx_addr_eq(&v[j], a))
						j++;
					if (j < na)
						continue;
					v[na++] = *a;
					index_insert(t, slot, addr_key(sh, a), hi, true);
				}
				h->n_addrs = (uint8_t)na;
			}
			if (m->n_cname > 0) {
				const struct mx_dname *cn = &m->cname[m->n_cname - 1];
				oname_set(c, &h->cname, &h->cname_cap, cn);
				h->cname_loop = m->cname_loop;
				index_add(t, slot, cn, hi, false);
			}
		}
	}
	if (l->last_us > c->end_us)
		c->end_us = l->last_us;
}

static bool is_relay(const struct mx_chain_table *t, const struct mx_dname *n)
{
	for (size_t i = 0; i < t->o.n_relays; i++)
		if (mx_dname_eq(&t->o.relays[i], n))
			return true;
	return false;
}

/* A relay host's A/AAAA lookup (--relayhost) that joins no MX chain: the
 * sender's relay chain for the host. A lookup whose first query lies within
 * min_retry_gap of the open relay chain's start (either side: a failing
 * lookup is decided after retx_gap, after a later answered one) joins it;
 * otherwise it starts the next attempt, as an MX lookup does. The host is
 * the chain's one exchange, implicit, indexed by name for TLSA and by its
 * addresses for the SYN. */
static void observe_relay(struct mx_chain_table *t, const struct mx_lookup *l, uint64_t sh)
{
	/* its own history entry (keyed by the A question): an MX chain for the
	 * same name keeps its entry and its attempts */
	uint32_t h = hist_get(t, hist_hash_of(sh, mx_txn_question_hash(&l->qname, MX_TYPE_A, 1)), &l->client,
			      &l->qname);
	uint32_t open = h != NO_IDX ? t->hist[h].open_slot : NO_IDX;
	uint32_t slot = NO_IDX;
	if (open != NO_IDX && t->meta[open].used && t->sum[open].relay) {
		uint64_t ls = t->hist[h].last_start, g = t->o.min_retry_gap_us;
		if (l->first_us < ls + g && l->first_us + g > ls)
			slot = open;
	}
	if (slot == NO_IDX) {
		if (open != NO_IDX && t->meta[open].used && t->sum[open].relay)
			close_slot(t, open, false, false); /* the next attempt starts */
		slot = open_chain(t, l, sh);
		if (slot == NO_IDX)
			return;
		start_attempt(t, h, slot, l, false);
		struct ohead *c = chain_at(t, slot);
		c->relay = 1;
		t->sum[slot].relay = true;
		c->mx_end_us = l->first_us;
		int hi = add_host(t, slot, &l->qname, 0, true);
		if (hi < 0)
			return;
		struct ohost *ho = at(c, c->host[hi]);
		ho->named = index_add(t, slot, &l->qname, (uint8_t)hi, true);
	}
	struct ohead *c = chain_at(t, slot);
	if (c->n_hosts == 0)
		return;
	if (l->first_us < c->start_us) {
		/* asked before the lookup that opened the chain */
		c->start_us = l->first_us;
		if (t->meta[slot].hist != NO_IDX && t->hist[t->meta[slot].hist].last_start > l->first_us)
			t->hist[t->meta[slot].hist].last_start = l->first_us;
	}
	join_member(t, slot, 0, l, false);
	uint64_t close = l->last_us + t->o.chain_window_us + t->o.retx_gap_us;
	if (close > t->meta[slot].close_us)
		t->meta[slot].close_us = close;
	if (slot == t->head)
		t->clk.due = t->meta[slot].close_us;
}

static void observe_member(struct mx_chain_table *t, const struct mx_lookup *l)
{
	/* TLSA of "_25._tcp.<exchange>" joins the exchange's host */
	static const uint8_t pre[] = {3, '_', '2', '5', 4, '_', 't', 'c', 'p'};
	const uint8_t *w = l->qname.wire;
	size_t len = l->qname.len;
	bool tlsa = l->qtype == MX_TYPE_TLSA;
	if (tlsa) {
		if (len <= sizeof pre || memcmp(w, pre, sizeof pre) != 0)
			return;
		w += sizeof pre;
		len -= sizeof pre;
	}
	uint64_t sh = lookup_sender_hash(l);
	if (!sender_may_be_open(t, sh)) {
		/* S has no open chain: no name work (but a relay host's) */
		if (t->o.n_relays && !tlsa && is_relay(t, &l->qname))
			observe_relay(t, l, sh);
		return;
	}
	/* an A lookup's question hash is its name's hash (name_hash) */
	uint64_t h = name_key_of(sh, l->qtype == MX_TYPE_A ? mx_lookup_qhash_of(l) : name_hash(w, len));
	/* collect matches first: joining may add index entries (CNAME targets) */
	uint32_t hits[32];
	uint8_t hosts[32];
	unsigned n = 0;
	for (uint32_t e = t->nbucket[h & t->nbmask]; e != NO_IDX && n < 32; e = t->ents[e].bnext) {
		const struct name_ent *ne = &t->ents[e];
		if (ne->h != h || ne->is_addr)
			continue;
		if (!mx_addr_eq(&t->sum[ne->slot].sender, &l->client))
			continue;
		if (!tlsa && t->sum[ne->slot].relay)
			continue; /* a relay chain: observe_relay() (attempts) */
		const struct ohead *c = chain_at(t, ne->slot);
		struct ohost *ho = at(c, c->host[ne->host]);
		if (!bytes_is(ohost_wire(ho), ho->name_len, w, len) &&
		    !(ho->cname && bytes_is(oname_wire(c, ho->cname), *(const uint8_t *)at(c, ho->cname), w, len)))
			continue;
		hits[n] = ne->slot;
		hosts[n] = ne->host;
		n++;
	}
	if (n == 0 && t->o.n_relays && !tlsa && is_relay(t, &l->qname)) {
		observe_relay(t, l, sh);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		join_lookup(t, hits[i], hosts[i], l, tlsa);
}

void mx_chain_observe_lookup(struct mx_chain_table *t, const struct mx_lookup *l)
{
	/* a forwarder's upstream lookup repeats its client's: the client's
	 * lookups make the chain */
	if (!l->rd || l->qclass != 1 || l->forwarded)
		return;
	mx_chain_tick(t, l->first_us);
	switch (l->qtype) {
	case MX_TYPE_MX:
		observe_mx(t, l);
		break;
	case MX_TYPE_A:
	case MX_TYPE_AAAA:
	case MX_TYPE_TLSA:
		observe_member(t, l);
		break;
	default:
		break;
	}
}

/* Tie a SYN to the open chains of sender x (hash sh) that resolved its
 * destination; false when none did. */
/* Port 25, or a port a relay host was given with (--relayhost [HOST]:587). */
static bool relay_port(const struct mx_chain_table *t, uint16_t port)
{
	if (port == 25)
		return true;
	for (size_t i = 0; i < t->o.n_relays; i++)
		if (t->o.relay_ports[i] == port)
			return true;
	return false;
}

/* A SYN to port p reaches chain c: an MX exchange listens on port 25, a
 * relay host on its own port (or 25). */
static bool syn_port_fits(const struct mx_chain_table *t, const struct ohead *c, uint16_t p)
{
	return c->relay ? relay_port(t, p) : p == 25;
}

static bool syn_connect(struct mx_chain_table *t, const struct mx_addr *x, uint64_t sh, const struct mx_tcpctl *s)
{
	uint64_t k = addr_key(sh, &s->dst);
	bool any = false;
	for (uint32_t e = t->nbucket[k & t->nbmask]; e != NO_IDX; e = t->ents[e].bnext) {
		const struct name_ent *ne = &t->ents[e];
		if (ne->h != k || !ne->is_addr)
			continue;
		if (!mx_addr_eq(&t->sum[ne->slot].sender, x))
			continue;
		struct ohead *c = chain_at(t, ne->slot);
		if (!syn_port_fits(t, c, s->dport))
			continue;
		struct ohost *ho = at(c, c->host[ne->host]);
		const struct mx_addr *v = ho->addrs ? at(c, ho->addrs) : NULL;
		bool hit = false;
		for (unsigned a = 0; a < ho->n_addrs && !hit; a++)
			hit = mx_addr_eq(&v[a], &s->dst);
		if (!hit)
			continue;
		any = true;
		ho->connected = true;
		if (!c->connected) {
			c->connected = true;
			c->connected_to = s->dst;
			c->connected_port = s->dport;
			c->syn_frame = s->frame;
			/* the time on the host (the header is full): ms after
			 * the chain's start, plus one */
			uint64_t ms = s->ts_us > c->start_us ? (s->ts_us - c->start_us) / 1000u : 0;
			ho->syn_ms1 = ms >= UINT32_MAX - 1u ? UINT32_MAX : (uint32_t)ms + 1u;
		}
	}
	return any;
}

/* Whether sender x has a chain that resolved address a and listens on
 * port p (without tying). */
static bool syn_would_connect(const struct mx_chain_table *t, const struct mx_addr *x, const struct mx_addr *a,
			      uint16_t p)
{
	uint64_t k = addr_key(sender_hash(x), a);
	for (uint32_t e = t->nbucket[k & t->nbmask]; e != NO_IDX; e = t->ents[e].bnext) {
		const struct name_ent *ne = &t->ents[e];
		if (ne->h != k || !ne->is_addr || !mx_addr_eq(&t->sum[ne->slot].sender, x))
			continue;
		const struct ohead *c = chain_at(t, ne->slot);
		if (!syn_port_fits(t, c, p))
			continue;
		const struct ohost *ho = at(c, c->host[ne->host]);
		const struct mx_addr *v = ho->addrs ? at(c, ho->addrs) : NULL;
		for (unsigned i = 0; i < ho->n_addrs; i++)
			if (mx_addr_eq(&v[i], a))
				return true;
	}
	return false;
}

static struct sgroup *group_of(struct mx_chain_table *t, uint64_t sh, const struct mx_addr *x)
{
	for (uint32_t g = t->sbucket[sh & t->sbmask]; g != NO_IDX; g = t->grp[g].next)
		if (mx_addr_eq(&t->grp[g].sender, x))
			return &t->grp[g];
	return NULL;
}

/* Senders with open chains examined for a SYN from an address without any:
 * beyond this many the source is not guessed (a busy relay). */
#define SYN_GUESS_MAX_GROUPS 64u

void mx_chain_observe_tcp(struct mx_chain_table *t, const struct mx_tcpctl *s)
{
	if (!s->syn || s->ack || !relay_port(t, s->dport))
		return;
	bool p25 = s->dport == 25;
	if (p25)
		t->st.syns++;
	else
		t->st.relay_syns++;
	uint64_t sh = sender_hash(&s->src);
	struct sgroup *own = sender_may_be_open(t, sh) ? group_of(t, sh, &s->src) : NULL;
	if (own && syn_connect(t, &s->src, sh, s))
		return;
	bool listed = false;
	for (size_t i = 0; i < t->o.n_senders; i++)
		listed |= mx_addr_eq(&t->o.senders[i], &s->src);
	if (listed) {
		/* --sender: the other addresses of the same mail server */
		bool any = false;
		for (size_t i = 0; i < t->o.n_senders; i++) {
			const struct mx_addr *x = &t->o.senders[i];
			if (!mx_addr_eq(x, &s->src)) {
				uint64_t xh = sender_hash(x);
				if (sender_may_be_open(t, xh))
					any |= syn_connect(t, x, xh, s);
			}
		}
		if (any)
			return;
	} else if (!own && t->o.n_senders == 0 && t->open) {
		/* no chain of its own: the one sender that resolved the
		 * destination (a dual-stack host asking DNS over the other
		 * family); none or several: not guessed */
		const struct mx_addr *cand = NULL;
		unsigned seen = 0, n = 0;
		for (size_t g = 0; g < t->used_grp && n < 2; g++) {
			const struct sgroup *gr = &t->grp[g];
			if (!gr->nchains)
				continue;
			if (++seen > SYN_GUESS_MAX_GROUPS)
				return;
			if (syn_would_connect(t, &gr->sender, &s->dst, s->dport)) {
				cand = &gr->sender;
				n++;
			}
		}
		if (n == 1) {
			struct mx_addr x = *cand;
			(void)syn_connect(t, &x, sender_hash(&x), s);
		}
		return;
	}
	/* a connection no open chain of this sender explains (an address from
	 * a cache, a relayhost, a lookup outside the capture) */
	if (own && p25)
		own->syns++;
}

void mx_chain_tick_due(struct mx_chain_table *t)
{
	/* chains close in start order: a chain whose window was extended (the
	 * MX asked again) holds back the ones behind it, which only delays them */
	while (t->head != NO_IDX && t->meta[t->head].close_us <= t->clk.now)
		close_slot(t, t->head, false, false);
	t->clk.due = t->head != NO_IDX ? t->meta[t->head].close_us : UINT64_MAX;
}

size_t mx_chain_open_count(const struct mx_chain_table *t)
{
	return t->open;
}

size_t mx_chain_peek_open(const struct mx_chain_table *t, struct mx_chain *out, size_t max)
{
	size_t n = 0;
	/* the open list is in start order: from its tail, newest first */
	for (uint32_t i = t->tail; i != NO_IDX && n < max; i = t->meta[i].prev) {
		struct mx_chain *x = &out[n++];
		memset(x, 0, sizeof(*x));
		chain_build(t, i, x);
		chain_finish(t, i, x, false, false);
		x->open = true;
		uint64_t start = chain_at(t, i)->start_us, close = t->meta[i].close_us;
		uint64_t ms = close > start ? (close - start + 999) / 1000 : 0;
		x->open_window_ms = ms > UINT32_MAX ? UINT32_MAX : ms ? (uint32_t)ms : 1;
	}
	return n;
}

void mx_chain_finish(struct mx_chain_table *t, uint64_t end_us)
{
	if (end_us > t->clk.now)
		t->clk.now = end_us;
	while (t->head != NO_IDX) {
		uint32_t i = t->head;
		close_slot(t, i, t->meta[i].close_us > t->clk.now, false);
	}
}
