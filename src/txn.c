/* txn.c - transactions: match each DNS query to its response, or time it out (L4).
 *
 * What it does (txn.h, PATTERNS.md §0 "Transaction"):
 * - Pending queries live in a pool of entries (grown by doubling up to
 *   opts.max_pending, reused through a free list: no allocation per packet)
 *   with three chained hash indexes over power-of-two bucket arrays (at
 *   least twice as many buckets as entries: a probe rarely steps past a
 *   foreign entry):
 *     h1 (client ip, client port, server ip, server port, transport, ID)
 *        -> exact match of a response; the question is compared when the
 *        response has one, a response without a question section matches the
 *        oldest pending entry with that key;
 *     h2 (client ip, client port, ID, transport)
 *        -> WRONG_SOURCE: a response to the client's port and ID with the same
 *        question but from another server address or port (stubs discard it;
 *        the query stays pending);
 *     h3 (client ip, client port, server ip, server port, transport)
 *        -> ICMP unreachables that quote fewer than 2 DNS bytes (no ID): the
 *        oldest pending query on that 5-tuple is ended.
 *   h2 and h3 are built the first time one of them is needed (most captures
 *   never need them) and kept up to date from then on; without memory for
 *   them the same search is a walk of the FIFO. Each entry is split: a
 *   32-byte hot part (h1, FIFO and chain links, last copy time) that probes
 *   and expiry touch, and the struct mx_txn that callbacks read in place.
 *   New transactions are written field by field (no memset of the 480-byte
 *   struct: the name's unused bytes and unused frame slots are never read).
 * - Hashes: the client address hash (mx_txn_client_hash) and the question
 *   hash (mx_txn_question_hash) are computed once per transaction and kept
 *   in struct mx_txn (client_hash, qhash) for lookup.c and other readers;
 *   h1/h3 (hash_5t) fold the four address words with one multiply each,
 *   the ports and transport (and the ID for h1) without a full hash of
 *   either address, so a response computes no client hash. A message's
 *   probe compares entries with the message's own fields (msg_match: the
 *   client is a query's source, a response's destination), so the common
 *   path never writes a key struct to memory; a response that matches
 *   nothing pending goes on out of line (response_unmatched).
 * - Expiry is a doubly linked FIFO in order of the LAST copy of each query:
 *   a retransmission (same key) moves its entry to the tail, so the timeout
 *   counts from the last copy seen (a stub that resends the same ID on the
 *   same port waits again for a full timeout). A query expires when
 *   now - last copy >= answer_timeout (the same rule as mx_txn_finish()).
 *   Every message and mx_txn_tick() compares the clock with one lower bound
 *   on the next expiry (t->due: the FIFO head's or the oldest held
 *   response's), reset exactly whenever it is reached and lowered when an
 *   earlier one appears, so a call with nothing due is one compare.
 * - Closed transactions move to a second, bounded "recent" table for
 *   recent_us, so a later response is classified LATE (the query timed out or
 *   got an ICMP unreachable) or DUPLICATE (it was answered). Entries leave it
 *   strictly in close order, so it is a ring (allocated lazily in chunks, so
 *   memory follows the number remembered) with one chained hash index (h1,
 *   about 8 entries a bucket). The index is needed only for responses that
 *   match nothing pending (rare; none in most captures), so it is built
 *   lazily: closing a transaction writes only its entry (no bucket); the
 *   first lookup allocates the buckets and links the ring, and each later
 *   lookup first links the entries added since the previous one (the newest
 *   nl), oldest to newest. Entries that leave the ring before any lookup are
 *   never linked. Chains run newest to oldest and are never unlinked: each
 *   link carries the insertion number ("gen") of the entry it points to, and
 *   a walk stops at the first entry that was overwritten or has left the
 *   ring (everything after it is older, so gone too). Forgetting the oldest
 *   entry is then O(1) and touches no other entry. A recent entry is compact
 *   (88 bytes, not a whole struct mx_txn): the key, the times and frames a
 *   stray reports, and a 64-bit hash of the question (qname, qtype, qclass)
 *   in place of the name; the key hash is recomputed from the key when the
 *   entry is linked. Close times (read by expiry at the ring head) are kept
 *   apart in a dense array per chunk, so expiry reads one cache line per 8
 *   entries instead of one per entry. Expiry by time is lazy: the ring is
 *   read only when a transaction is remembered and when a response is looked
 *   up, and each first forgets what an eager expiry at every advance would
 *   have forgotten by then (see ring_expire());
 *   a response's question is compared through that hash (a false match
 *   needs the same addresses, ports and ID and a 64-bit collision).
 *   A response matching a recent entry exactly is
 *   LATE/DUPLICATE even when the same client port and ID is pending towards
 *   another server (glibc failover that reuses the ID): that is checked before
 *   WRONG_SOURCE. Anything else is UNSOLICITED.
 * - Caps: a full pending table evicts its oldest entry (FIFO head), reported
 *   as TIMEOUT (counted in both timeouts and evicted_pending); a full recent
 *   table forgets its oldest entry (evicted_recent).
 * - Time never goes backwards: a timestamp older than the clock is raised to
 *   it, and the raised value is what q_ts/last_q_ts/r_ts record, so expiry
 *   order and latencies stay consistent on slightly reordered captures.
 *
 * What it does not do:
 * - Only opcode QUERY (0) is tracked. Other opcodes (NOTIFY, UPDATE, ...) are
 *   counted in queries/responses and otherwise ignored (never stray): they are
 *   not lookups an MTA makes.
 * - A query without a question section (QR=0, has_question false) is counted
 *   as a query and not tracked: there is nothing a lookup could key on. So a
 *   response without a question that matches nothing pending or recent is
 *   counted as a response and is no stray either.
 * - A query to a multicast group (mDNS 224.0.0.251 / ff02::fb, LLMNR
 *   224.0.0.252 / ff02::1:3, when --dns-port makes 5353/5355 DNS) asks
 *   whoever owns the name, not a server: it is counted as a query and not
 *   tracked (no TIMEOUT, no lookup: nothing an MTA resolves). Its last
 *   MCAST_KEEP are remembered so that a unicast answer to one (LLMNR,
 *   mDNS legacy unicast) is no stray; a response sent to a group (mDNS
 *   answers and announcements, no question) is counted only.
 * - Over TCP a response that matches a recent ANSWERED transaction is the
 *   next message of a multi-message answer (AXFR/IXFR): a TCP stream (tcpre
 *   drops retransmitted bytes) delivers each message once, so it is no
 *   DUPLICATE; it is counted as a response only.
 * - A message without a header (has_header false) only advances the clock.
 * - It does not parse DNS: mx_dns_outcome() (dns.c) classifies responses. The
 *   only bytes read here are the DNS ID quoted in an ICMP error, through rd.h.
 * - Hash seeds are fixed; no output depends on hash order (callbacks follow
 *   the FIFO or sequence order), so reports stay deterministic.
 */
#include "mxsniff/txn.h"

#include <stdlib.h>
#include <string.h>

#include "mxsniff/rd.h"

#define NIL UINT32_MAX
#define POOL_MIN 64u
#define POOL_LIMIT (UINT32_MAX / 4u)

/* A pending entry is split in two parallel arrays: the small part every
 * probe, FIFO step and free-list step touches (two to a cache line), and the
 * struct mx_txn itself, which callbacks read in place (never copied). */
struct hot {
	uint64_t h1;          /* full key hash (see the top comment) */
	uint64_t last_q;      /* = x.last_q_ts: the FIFO is in this order */
	uint32_t n1;          /* h1 chain */
	uint32_t prev, next;  /* FIFO links; next is also the free-list link */
	uint32_t pad_;
};

/* The two secondary indexes (h2, h3) are built the first time a response
 * matches nothing (WRONG_SOURCE check) or an ICMP error quotes no DNS ID, and
 * kept up to date from then on. */
struct aux {
	uint32_t h2, h3;      /* low bits of the hashes */
	uint32_t n2, n3;      /* chain links */
};

struct tab {
	struct hot *h;
	struct mx_txn *x;
	struct aux *a;        /* NULL while the secondary indexes are not built */
	uint32_t cap;         /* entries allocated */
	uint32_t max;         /* cap never grows past this */
	uint32_t n;           /* entries in use */
	uint32_t free_head;
	uint32_t *b1, *b2, *b3; /* buckets (b2/b3 with a) */
	uint32_t mask;        /* bucket count - 1 (0 when no buckets yet) */
	uint32_t head, tail;  /* FIFO: head is the oldest */
};

/* A closed transaction remembered for LATE/DUPLICATE (see the top comment). */
struct rent {
	uint64_t qh;          /* question hash */
	uint64_t seq, q_ts, q_frame;
	struct mx_addr client, server;
	uint16_t cport, sport, id;
	uint8_t transport, kind;
	uint32_t gen;         /* insertion number (mod 2^32) */
	uint32_t n1, n1gen;   /* next (older) entry in the hash chain and its gen */
};
_Static_assert(sizeof(struct rent) % sizeof(uint64_t) == 0, "close times follow the entries");

struct rlink {
	uint32_t slot, gen;   /* newest entry of a bucket; NIL when none */
};

#define RING_CHUNK_SHIFT 10u
#define RING_CHUNK (1u << RING_CHUNK_SHIFT)
#define RING_PER_BUCKET 8u

struct ring {
	struct rent **chunk;  /* chunks of RING_CHUNK entries, allocated on first use */
	uint64_t **close;     /* per chunk: the close times of its entries (dense,
				 * after the entries in the same allocation) */
	uint32_t n_chunks;    /* chunks allocated (they fill in order) */
	uint32_t max;         /* capacity (opts.max_recent) */
	uint32_t head, n;     /* oldest slot, entries in use */
	uint32_t ins;         /* entries ever inserted (mod 2^32): the next gen */
	uint32_t nl;          /* the newest nl entries are not linked yet (nl <= n) */
	uint64_t oldest_close; /* close time of the entry at head; UINT64_MAX when n == 0 */
	struct rlink *b;      /* buckets (NULL until the first lookup) */
	uint32_t mask;        /* bucket count - 1 */
};

/* Queries sent to a multicast group (mDNS, LLMNR), remembered only so that
 * a unicast answer to one is not called a stray. */
#define MCAST_KEEP 64u
struct mcast_q {
	struct mx_addr client;
	uint16_t cport, id;
	uint8_t transport;
	uint64_t ts;
};

/* A response that matched nothing, held back for a moment in case its query
 * comes after it in the capture (see "Responses before their query"). */
#define HOLD_MAX 16u
#define HOLD_US 1000000u

struct held {
	struct mx_dns_msg m; /* a copy: the caller reuses its message */
	uint64_t at;         /* clock when it arrived */
	bool used;           /* paired with a query since */
};

struct mx_txn_table {
	struct mx_txn_opts o;
	struct mx_txn_cb cb;
	struct tab pend;
	struct ring rec;
	uint64_t now;
	uint64_t seq;
	struct mx_txn_stats st;
	struct mcast_q mq[MCAST_KEEP];
	uint32_t mq_next;
	struct held *hold;   /* HOLD_MAX, allocated on first use */
	uint32_t hold_head, hold_n;
	uint64_t hold_us;    /* min(HOLD_US, answer timeout) */
	uint64_t due;        /* no timeout or held response is due before this
			      * clock (a lower bound; see advance()) */
	uint64_t ring_now;   /* the recent ring is expired up to this clock
			      * (lazily: ring_expire() before each use) */
};

/* ---- keys and hashes ---------------------------------------------------- */

struct key {
	const struct mx_addr *client, *server;
	uint16_t cport, sport, id;
	uint8_t transport;
};

/* One multiply and a fold of the high half down: a is already a full hash,
 * the fold makes every bit of b reach the low bits that pick a bucket. */
static inline uint64_t mix2(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ b) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* Two words of an address (the family added to the second), each spread
 * upwards by its own odd multiplier. */
static inline uint64_t addr_fold(const struct mx_addr *a, uint64_t k0, uint64_t k1)
{
	return mx_load64_(a->a) * k0 ^ (mx_load64_(a->a + 8) + a->family) * k1;
}

/* The 5-tuple, without a full hash of either address (a response needs no
 * client hash at all): the four address words, spread by four different
 * multipliers, and the ports and transport, then mix2's multiply and fold
 * carry every bit to the low bits that pick a bucket. Used only to pick
 * buckets and to pre-filter the full compare. */
static inline uint64_t hash_5t(const struct key *k)
{
	uint64_t v = addr_fold(k->client, 0x9fb21c651e98df25ULL, 0xd6e8feb86659fd93ULL) ^
		     addr_fold(k->server, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL);
	uint64_t pt = (uint64_t)k->cport << 24 | (uint64_t)k->sport << 8 | k->transport;
	return mix2(v, pt);
}

/* The 5-tuple hash is already well mixed: fold the ID in with one multiply
 * (odd constant: distinct IDs give distinct low bits, which pick the bucket). */
static uint64_t hash_full(uint64_t h5, uint16_t id)
{
	return h5 ^ ((uint64_t)id + 1) * 0x9e3779b97f4a7c15ULL;
}

/* (client ip, client port, ID, transport) */
static uint32_t hash_cid(uint64_t ch, uint16_t cport, uint16_t id, uint8_t transport)
{
	uint64_t ci = (uint64_t)cport << 24 | (uint64_t)id << 8 | transport;
	return (uint32_t)mix2(ch ^ 0x5a5a5a5a00000000ULL, ci);
}

static inline bool eq_5t(const struct mx_txn *x, const struct key *k)
{
	return x->cport == k->cport && x->sport == k->sport && x->transport == k->transport &&
	       mx_addr_eq(&x->client, k->client) && mx_addr_eq(&x->server, k->server);
}

static bool eq_full(const struct mx_txn *x, const struct key *k)
{
	return x->id == k->id && eq_5t(x, k);
}

static bool eq_cid(const struct mx_txn *x, const struct key *k)
{
	return x->id == k->id && x->cport == k->cport && x->transport == k->transport &&
	       mx_addr_eq(&x->client, k->client);
}

static inline bool eq_name(const struct mx_dname *a, const struct mx_dname *b)
{
	return mx_dname_eq(a, b); /* inline, a word at a time (no memcmp call) */
}

static bool eq_question(const struct mx_txn *x, const struct mx_dns_msg *m)
{
	return x->qtype == m->qtype && x->qclass == m->qclass && eq_name(&x->qname, &m->qname);
}

/* ---- the entry pool ----------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static inline __attribute__((always_inline)) void fifo_unlink(struct tab *tb, uint32_t i)
{
	struct hot *e = &tb->h[i];
	if (e->prev != NIL)
		tb->h[e->prev].next = e->next;
	else
		tb->head = e->next;
	if (e->next != NIL)
		tb->h[e->next].prev = e->prev;
	else
		tb->tail = e->prev;
	e->prev = e->next = NIL;
}

static void fifo_append(struct tab *tb, uint32_t i)
{
	struct hot *e = &tb->h[i];
	e->next = NIL;
	e->prev = tb->tail;
	if (tb->tail != NIL)
		tb->h[tb->tail].next = i;
	else
		tb->head = i;
	tb->tail = i;
}

static void aux_link(struct tab *tb, uint32_t i)
{
	struct aux *a = &tb->a[i];
	uint32_t b = a->h2 & tb->mask;
	a->n2 = tb->b2[b];
	tb->b2[b] = i;
	b = a->h3 & tb->mask;
	a->n3 = tb->b3[b];
	tb->b3[b] = i;
}

static void chains_link(struct tab *tb, uint32_t i)
{
	struct hot *e = &tb->h[i];
	uint32_t b = (uint32_t)(e->h1 & tb->mask);
	e->n1 = tb->b1[b];
	tb->b1[b] = i;
	if (tb->a)
		aux_link(tb, i);
}

static inline __attribute__((always_inline)) void chains_unlink(struct tab *tb, uint32_t i)
{
	uint32_t *pp = &tb->b1[tb->h[i].h1 & tb->mask];
	while (*pp != i && *pp != NIL)
		pp = &tb->h[*pp].n1;
	if (*pp == i)
		*pp = tb->h[i].n1;
	if (tb->a) {
		pp = &tb->b2[tb->a[i].h2 & tb->mask];
		while (*pp != i && *pp != NIL)
			pp = &tb->a[*pp].n2;
		if (*pp == i)
			*pp = tb->a[i].n2;
		pp = &tb->b3[tb->a[i].h3 & tb->mask];
		while (*pp != i && *pp != NIL)
			pp = &tb->a[*pp].n3;
		if (*pp == i)
			*pp = tb->a[i].n3;
	}
}

static void aux_drop(struct tab *tb)
{
	free(tb->a);
	free(tb->b2);
	free(tb->b3);
	tb->a = NULL;
	tb->b2 = tb->b3 = NULL;
}

/* Secondary hashes of pending entry i, from its struct mx_txn. */
static void aux_fill(struct tab *tb, uint32_t i)
{
	const struct mx_txn *x = &tb->x[i];
	struct key k = { .client = &x->client, .server = &x->server, .cport = x->cport,
			 .sport = x->sport, .id = x->id, .transport = x->transport };
	tb->a[i].h2 = hash_cid(mx_txn_client_hash_of(x), x->cport, x->id, x->transport);
	tb->a[i].h3 = (uint32_t)hash_5t(&k);
}

/* Bucket arrays for nb buckets (a power of two); every pending entry is
 * linked again (chain order does not matter: every walk picks by seq). */
static int tab_rehash(struct tab *tb, uint32_t nb)
{
	uint32_t *b1 = malloc((size_t)nb * sizeof *b1);
	uint32_t *b2 = NULL, *b3 = NULL;
	if (!b1)
		return -1;
	if (tb->a) {
		b2 = malloc((size_t)nb * sizeof *b2);
		b3 = malloc((size_t)nb * sizeof *b3);
		if (!b2 || !b3) {
			free(b1);
			free(b2);
			free(b3);
			return -1;
		}
	}
	free(tb->b1);
	free(tb->b2);
	free(tb->b3);
	tb->b1 = b1;
	tb->b2 = b2;
	tb->b3 = b3;
	tb->mask = nb - 1;
	for (uint32_t k = 0; k < nb; k++)
		b1[k] = NIL;
	if (tb->a)
		for (uint32_t k = 0; k < nb; k++)
			b2[k] = b3[k] = NIL;
	for (uint32_t i = tb->head; i != NIL; i = tb->h[i].next)
		chains_link(tb, i);
	return 0;
}

/* Build the secondary indexes (see struct aux); 0 on success. */
static int aux_build(struct tab *tb)
{
	if (tb->a)
		return 0;
	if (!tb->b1 || tb->cap == 0)
		return -1;
	uint32_t nb = tb->mask + 1;
	tb->a = malloc((size_t)tb->cap * sizeof *tb->a);
	tb->b2 = malloc((size_t)nb * sizeof *tb->b2);
	tb->b3 = malloc((size_t)nb * sizeof *tb->b3);
	if (!tb->a || !tb->b2 || !tb->b3) {
		aux_drop(tb);
		return -1;
	}
	for (uint32_t k = 0; k < nb; k++)
		tb->b2[k] = tb->b3[k] = NIL;
	for (uint32_t i = tb->head; i != NIL; i = tb->h[i].next) {
		aux_fill(tb, i);
		aux_link(tb, i);
	}
	return 0;
}

/* Grow the pool (doubling, up to max). 0 on success. */
static int tab_grow(struct tab *tb)
{
	if (tb->cap >= tb->max)
		return -1;
	uint32_t ncap = tb->cap ? tb->cap * 2 : POOL_MIN;
	if (ncap > tb->max || ncap < tb->cap)
		ncap = tb->max;
	struct hot *nh = realloc(tb->h, (size_t)ncap * sizeof *nh);
	if (!nh)
		return -1;
	tb->h = nh;
	struct mx_txn *nx = realloc(tb->x, (size_t)ncap * sizeof *nx);
	if (!nx)
		return -1;
	tb->x = nx;
	if (tb->a) {
		struct aux *na = realloc(tb->a, (size_t)ncap * sizeof *na);
		if (!na)
			aux_drop(tb); /* rebuilt when next needed */
		else
			tb->a = na;
	}
	/* new transactions are written field by field: zero the fresh entries
	 * once so padding and unused name bytes are never uninitialised */
	memset(&nx[tb->cap], 0, (size_t)(ncap - tb->cap) * sizeof *nx);
	for (uint32_t i = ncap; i-- > tb->cap;) {
		memset(&nh[i], 0, sizeof nh[i]);
		nh[i].prev = NIL;
		nh[i].next = tb->free_head;
		tb->free_head = i;
	}
	tb->cap = ncap;
	/* twice the entries (ncap <= POOL_LIMIT: no overflow), so chains stay
	 * short when the pool is nearly full */
	uint32_t nb = 2 * pow2_at_least(ncap);
	if (nb > tb->mask + 1 || !tb->b1) {
		if (tab_rehash(tb, nb) != 0 && !tb->b1)
			return -1;
		/* on a failed rehash the old buckets stay: chains get longer, nothing breaks */
	}
	return 0;
}

static int tab_init(struct tab *tb, size_t max)
{
	memset(tb, 0, sizeof *tb);
	if (max > POOL_LIMIT)
		max = POOL_LIMIT;
	tb->max = (uint32_t)max;
	tb->free_head = tb->head = tb->tail = NIL;
	if (tb->max == 0)
		return 0;
	return tab_grow(tb);
}

static void tab_fini(struct tab *tb)
{
	free(tb->h);
	free(tb->x);
	free(tb->a);
	free(tb->b1);
	free(tb->b2);
	free(tb->b3);
	memset(tb, 0, sizeof *tb);
}

/* A free entry, or NIL when the pool is at its cap (the caller evicts). */
static uint32_t tab_take(struct tab *tb)
{
	if (tb->free_head == NIL && tab_grow(tb) != 0)
		return NIL;
	uint32_t i = tb->free_head;
	if (i == NIL)
		return NIL;
	tb->free_head = tb->h[i].next;
	tb->h[i].next = tb->h[i].prev = NIL;
	return i;
}

static inline __attribute__((always_inline)) void tab_release(struct tab *tb, uint32_t i)
{
	chains_unlink(tb, i);
	fifo_unlink(tb, i);
	tb->h[i].next = tb->free_head;
	tb->free_head = i;
	tb->n--;
}

/* ---- lookups ------------------------------------------------------------ */

/* Does pending entry i (its h1 matched) have key k and, when m has one, m's
 * question? Out of line, so the probe loop below needs no register saves. */
__attribute__((noinline)) static bool full_match(const struct tab *tb, uint32_t i, const struct key *k,
						   const struct mx_dns_msg *m)
{
	const struct mx_txn *x = &tb->x[i];
	return eq_full(x, k) && !(m && m->has_question && !eq_question(x, m));
}

/* Does pending entry i (its h1 matched) have message m's key and question?
 * The key is read from m itself (a query's client is its source, a
 * response's its destination) rather than from a struct key, so the callers'
 * keys never need to be written to memory. A query that reaches here always
 * has a question; a response is compared on its question when it has one. */
static inline __attribute__((always_inline)) bool msg_match(const struct mx_txn *x, const struct mx_dns_msg *m,
							    bool resp)
{
	const struct mx_addr *c = resp ? &m->dst : &m->src, *s = resp ? &m->src : &m->dst;
	uint16_t cport = resp ? m->dport : m->sport, sport = resp ? m->sport : m->dport;
	return x->id == m->id && x->cport == cport && x->sport == sport && x->transport == m->transport &&
	       mx_addr_eq(&x->client, c) && mx_addr_eq(&x->server, s) &&
	       !((!resp || m->has_question) && !eq_question(x, m));
}

/* Out of line (see full_match), one copy per direction. */
__attribute__((noinline)) static bool query_match(const struct tab *tb, uint32_t i, const struct mx_dns_msg *m)
{
	return msg_match(&tb->x[i], m, false);
}

__attribute__((noinline)) static bool resp_match(const struct tab *tb, uint32_t i, const struct mx_dns_msg *m)
{
	return msg_match(&tb->x[i], m, true);
}

/* find_full() for the key of message m: a query (resp false) or a response. */
static inline __attribute__((always_inline)) uint32_t find_msg(const struct tab *tb, uint64_t h1,
							       const struct mx_dns_msg *m, bool resp)
{
	uint32_t best = NIL;
	if (tb->n == 0)
		return NIL;
	for (uint32_t i = tb->b1[h1 & tb->mask]; i != NIL; i = tb->h[i].n1) {
		if (tb->h[i].h1 != h1 || !(resp ? resp_match(tb, i, m) : query_match(tb, i, m)))
			continue;
		if (best == NIL || tb->x[i].seq < tb->x[best].seq)
			best = i;
	}
	return best;
}

/* Entry with key k (ID included) in tb; question compared when m has one
 * (m may be NULL: no question); the oldest (lowest seq) when several match. */
static inline uint32_t find_full(const struct tab *tb, const struct key *k, uint64_t h1,
				 const struct mx_dns_msg *m)
{
	uint32_t best = NIL;
	if (tb->n == 0)
		return NIL;
	for (uint32_t i = tb->b1[h1 & tb->mask]; i != NIL; i = tb->h[i].n1) {
		if (tb->h[i].h1 != h1 || !full_match(tb, i, k, m))
			continue;
		if (best == NIL || tb->x[i].seq < tb->x[best].seq)
			best = i;
	}
	return best;
}

/* ---- closing ------------------------------------------------------------ */

/* ---- the recent ring ---------------------------------------------------- */

static struct rent *R_at(const struct ring *rg, uint32_t i)
{
	return &rg->chunk[i >> RING_CHUNK_SHIFT][i & (RING_CHUNK - 1)];
}

static uint64_t *R_close(const struct ring *rg, uint32_t i)
{
	return &rg->close[i >> RING_CHUNK_SHIFT][i & (RING_CHUNK - 1)];
}

static void ring_init(struct ring *rg, size_t max)
{
	memset(rg, 0, sizeof *rg);
	if (max > POOL_LIMIT)
		max = POOL_LIMIT;
	rg->max = (uint32_t)max;
	rg->oldest_close = UINT64_MAX; /* empty */
}

static void ring_fini(struct ring *rg)
{
	for (uint32_t c = 0; c < rg->n_chunks; c++)
		free(rg->chunk[c]);
	free(rg->chunk);
	free(rg->close);
	free(rg->b);
	memset(rg, 0, sizeof *rg);
}

/* Slots usable now (allocated chunks, at most max). */
static uint32_t ring_room(const struct ring *rg)
{
	uint64_t room = (uint64_t)rg->n_chunks * RING_CHUNK;
	return room < rg->max ? (uint32_t)room : rg->max;
}

/* The key hash of a recent entry: the pending h1 it had, recomputed from
 * its key (only when entries are linked, i.e. before a lookup). */
static uint64_t rent_h1(const struct rent *e)
{
	struct key k = { .client = &e->client, .server = &e->server, .cport = e->cport,
			 .sport = e->sport, .id = e->id, .transport = e->transport };
	return hash_full(hash_5t(&k), e->id);
}

static void ring_link(struct ring *rg, uint32_t i)
{
	struct rent *e = R_at(rg, i);
	struct rlink *b = &rg->b[rent_h1(e) & rg->mask];
	e->n1 = b->slot;
	e->n1gen = b->gen;
	b->slot = i;
	b->gen = e->gen;
}

/* Is the entry written with insertion number gen still in the ring? */
static bool ring_live(const struct ring *rg, uint32_t gen)
{
	uint32_t age = rg->ins - gen; /* 1 = newest */
	return age >= 1 && age <= rg->n;
}

/* Make the hash index cover every entry in the ring (called before a
 * lookup): buckets sized for the slots allocated now (about 8 entries a
 * bucket; on growth every entry is linked again), then the entries not yet
 * linked, oldest to newest, so chains run newest first. -1 when there are no
 * buckets at all (no memory: the caller scans the ring). */
static int ring_sync(struct ring *rg)
{
	uint32_t nb = pow2_at_least(ring_room(rg) / RING_PER_BUCKET + 1);
	if (!rg->b || nb > rg->mask + 1) {
		struct rlink *b = malloc((size_t)nb * sizeof *b);
		if (b) {
			for (uint32_t k = 0; k < nb; k++) {
				b[k].slot = NIL;
				b[k].gen = 0;
			}
			free(rg->b);
			rg->b = b;
			rg->mask = nb - 1;
			rg->nl = rg->n;
		} else if (!rg->b) {
			return -1;
		}
		/* a failed rehash keeps the old buckets: longer chains */
	}
	for (uint32_t k = rg->n - rg->nl; k < rg->n; k++) {
		uint64_t slot = (uint64_t)rg->head + k;
		ring_link(rg, (uint32_t)(slot >= rg->max ? slot - rg->max : slot));
	}
	rg->nl = 0;
	return 0;
}

/* One more chunk (the ring is not full and has not wrapped yet). */
static int ring_grow(struct ring *rg)
{
	uint32_t room = ring_room(rg);
	if (room >= rg->max)
		return -1;
	struct rent **nc = realloc(rg->chunk, ((size_t)rg->n_chunks + 1) * sizeof *nc);
	if (!nc)
		return -1;
	rg->chunk = nc;
	uint64_t **ncl = realloc(rg->close, ((size_t)rg->n_chunks + 1) * sizeof *ncl);
	if (!ncl)
		return -1;
	rg->close = ncl;
	uint32_t want = rg->max - room < RING_CHUNK ? rg->max - room : RING_CHUNK;
	/* the entries, then their close times (sizeof(struct rent) is a
	 * multiple of 8, so the second array is aligned) */
	struct rent *c = malloc((size_t)want * (sizeof *c + sizeof(uint64_t)));
	if (!c)
		return -1;
	rg->close[rg->n_chunks] = (uint64_t *)(void *)(c + want);
	rg->chunk[rg->n_chunks++] = c;
	return 0;
}

/* Forget the oldest entry: O(1), the hash chains are not touched. */
static inline __attribute__((always_inline)) void ring_pop(struct ring *rg)
{
	rg->head = rg->head + 1 == rg->max ? 0 : rg->head + 1;
	rg->n--;
	if (rg->nl > rg->n)
		rg->nl = rg->n;
	rg->oldest_close = rg->n ? *R_close(rg, rg->head) : UINT64_MAX;
}

/* Forget the entries closed more than recent_us before `now`. The ring is
 * read only here, in remember() and in ring_find(), so expiring it lazily
 * there (with the clock advance() last expired it at, t->ring_now) leaves
 * every read exactly as an eager expiry at each advance would. Timeouts
 * closed inside that advance, before t->ring_now catches up, are remembered
 * at the newer clock: an entry closed after `now` is never expired by it. */
static inline void ring_expire(struct ring *rg, uint64_t now, uint64_t recent_us)
{
	if (now <= recent_us)
		return; /* nothing closed at or before now is old enough */
	/* now - close > recent_us, for a close before now: close < now - recent_us
	 * (an empty ring's UINT64_MAX never is) */
	uint64_t before = now - recent_us;
	while (rg->oldest_close < before)
		ring_pop(rg);
}

/* Remember closed pending entry pi (the oldest is forgotten when full). */
static inline __attribute__((always_inline)) void remember(struct mx_txn_table *t, uint32_t pi)
{
	struct ring *rg = &t->rec;
	if (rg->max == 0)
		return;
	ring_expire(rg, t->ring_now, t->o.recent_us);
	if (rg->n == rg->max) {
		ring_pop(rg);
		t->st.evicted_recent++;
	}
	/* slots fill in order 0, 1, ... until the first wrap, so the next slot
	 * is in an allocated chunk unless the ring has never been this big */
	uint64_t slot64 = (uint64_t)rg->head + rg->n;
	uint32_t i = (uint32_t)(slot64 >= rg->max ? slot64 - rg->max : slot64);
	/* i < max, so i >= ring_room() is i's chunk not allocated yet */
	if ((i >> RING_CHUNK_SHIFT) >= rg->n_chunks && ring_grow(rg) != 0) {
		t->st.evicted_recent++; /* no memory: not remembered */
		return;
	}
	const struct mx_txn *x = &t->pend.x[pi];
	struct rent *d = R_at(rg, i);
	d->qh = x->qhash;
	d->seq = x->seq;
	d->q_ts = x->q_ts;
	d->q_frame = x->q_frame;
	*R_close(rg, i) = t->now;
	if (rg->n == 0)
		rg->oldest_close = t->now;
	d->client = x->client;
	d->server = x->server;
	d->cport = x->cport;
	d->sport = x->sport;
	d->id = x->id;
	d->transport = x->transport;
	d->kind = (uint8_t)x->kind;
	d->gen = rg->ins++;
	rg->n++;
	rg->nl++; /* linked by the next lookup (ring_sync), if it comes in time */
}

static bool rent_match(const struct rent *e, const struct key *k)
{
	return e->id == k->id && e->cport == k->cport && e->sport == k->sport &&
	       e->transport == k->transport && mx_addr_eq(&e->client, k->client) &&
	       mx_addr_eq(&e->server, k->server);
}

/* Recent entry with key k and the highest seq; question compared when m has
 * one. */
static const struct rent *ring_find(struct ring *rg, const struct key *k, uint64_t h1,
				    const struct mx_dns_msg *m, uint64_t now, uint64_t recent_us)
{
	ring_expire(rg, now, recent_us);
	if (rg->n == 0)
		return NULL;
	const struct rent *best = NULL;
	uint64_t qh = 0;
	if (m->has_question)
		qh = mx_txn_question_hash(&m->qname, m->qtype, m->qclass);
	if (ring_sync(rg) != 0) {
		for (uint32_t j = 0; j < rg->n; j++) { /* no memory for the index */
			uint64_t slot = (uint64_t)rg->head + j;
			const struct rent *e = R_at(rg, (uint32_t)(slot >= rg->max ? slot - rg->max : slot));
			if (!rent_match(e, k) || (m->has_question && e->qh != qh))
				continue;
			if (!best || e->seq > best->seq)
				best = e;
		}
		return best;
	}
	const struct rlink *b = &rg->b[h1 & rg->mask];
	uint32_t i = b->slot, gen = b->gen;
	while (i != NIL) {
		const struct rent *e = R_at(rg, i);
		if (e->gen != gen || !ring_live(rg, gen))
			break; /* overwritten or forgotten: the rest of the chain is older */
		i = e->n1;
		gen = e->n1gen;
		if (!rent_match(e, k) || (m->has_question && e->qh != qh))
			continue;
		if (!best || e->seq > best->seq)
			best = e;
	}
	return best;
}

/* End pending entry i as `kind` (result fields already filled for ANSWERED and
 * UNREACHABLE), report it, remember it (unless at finish) and free it.
 * Inlined where a response answers (kind and keep constant there); the
 * other callers share the out-of-line copy, close_pending(). */
static inline __attribute__((always_inline)) void close_pending_inl(struct mx_txn_table *t, uint32_t i,
								     enum mx_txn_kind kind, bool keep)
{
	struct mx_txn *x = &t->pend.x[i];
	x->kind = kind;
	switch (kind) {
	case MX_TXN_ANSWERED: t->st.answered++; break;
	case MX_TXN_TIMEOUT: t->st.timeouts++; x->outcome = MX_O_TIMEOUT; break;
	case MX_TXN_UNREACHABLE: t->st.unreachable++; x->outcome = MX_O_UNREACHABLE; break;
	case MX_TXN_PENDING: t->st.pending_at_end++; x->outcome = MX_O_TIMEOUT; break;
	case MX_TXN_OPEN: break;
	}
	if (t->cb.done)
		t->cb.done(t->cb.ctx, x);
	x = &t->pend.x[i];
	x->resp = NULL;
	if (keep)
		remember(t, i);
	tab_release(&t->pend, i);
}

static __attribute__((noinline)) void close_pending(struct mx_txn_table *t, uint32_t i, enum mx_txn_kind kind,
						    bool keep)
{
	close_pending_inl(t, i, kind, keep);
}

struct held;
static void hold_release(struct mx_txn_table *t, bool all);
static struct held *hold_match(struct mx_txn_table *t, const struct mx_dns_msg *q);
static inline void answer_pending(struct mx_txn_table *t, uint32_t i, const struct mx_dns_msg *m, uint64_t latency_us);

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Lower t->due to `at` (a new FIFO head or a first held response). */
static inline void due_lower(struct mx_txn_table *t, uint64_t at)
{
	if (at < t->due)
		t->due = at;
}

/* The exact time the next expiry is due: the FIFO head expires at
 * last_q + answer_timeout (now - last_q >= timeout), the oldest held
 * response is released at at + hold_us + 1 (now - at > hold_us); sums that
 * overflow cannot be reached and saturate. */
static void due_reset(struct mx_txn_table *t)
{
	const struct tab *pt = &t->pend;
	uint64_t d = UINT64_MAX;
	if (pt->head != NIL)
		d = sat_add(pt->h[pt->head].last_q, t->o.answer_timeout_us);
	if (t->hold_n) {
		uint64_t h = sat_add(sat_add(t->hold[t->hold_head].at, t->hold_us), 1);
		if (h < d)
			d = h;
	}
	t->due = d;
}

/* Timeouts (in FIFO order), then the recent ring's clock, then held
 * responses past hold_us: the order an eager check at every advance has. */
static void expire_slow(struct mx_txn_table *t)
{
	struct tab *pt = &t->pend;
	while (pt->head != NIL && t->now - pt->h[pt->head].last_q >= t->o.answer_timeout_us)
		close_pending(t, pt->head, MX_TXN_TIMEOUT, true);
	t->ring_now = t->now;
	if (t->hold_n && t->now - t->hold[t->hold_head].at > t->hold_us)
		hold_release(t, false);
	due_reset(t);
}

/* Raise the clock and expire what is due. t->due is a lower bound on the
 * next expiry: it is reset exactly by expire_slow() and lowered whenever an
 * earlier one appears (a query enters an empty FIFO, a response is held while
 * none is); anything that removes an entry only makes the true time later.
 * So the common case (nothing due) is one compare, and an early bound costs
 * one expire_slow() that finds nothing and resets it. */
static inline void advance(struct mx_txn_table *t, uint64_t ts)
{
	if (ts > t->now)
		t->now = ts;
	if (t->now >= t->due)
		expire_slow(t);
	t->ring_now = t->now;
}

/* ---- public ------------------------------------------------------------- */

void mx_txn_opts_default(struct mx_txn_opts *o)
{
	o->answer_timeout_us = 5000000;
	o->recent_us = 60000000;
	o->max_pending = 65536;
	o->max_recent = 65536;
}

struct mx_txn_table *mx_txn_new(const struct mx_txn_opts *o, const struct mx_txn_cb *cb)
{
	struct mx_txn_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	else
		mx_txn_opts_default(&t->o);
	if (cb)
		t->cb = *cb;
	if (t->o.max_pending == 0)
		t->o.max_pending = 1;
	if (tab_init(&t->pend, t->o.max_pending) != 0) {
		mx_txn_free(t);
		return NULL;
	}
	ring_init(&t->rec, t->o.max_recent);
	t->hold_us = t->o.answer_timeout_us < HOLD_US ? t->o.answer_timeout_us : HOLD_US;
	t->due = UINT64_MAX; /* nothing pending or held */
	return t;
}

void mx_txn_free(struct mx_txn_table *t)
{
	if (!t)
		return;
	tab_fini(&t->pend);
	ring_fini(&t->rec);
	free(t->hold);
	free(t);
}

static void observe_query(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	struct key k = { .client = &m->src, .server = &m->dst, .cport = m->sport,
			 .sport = m->dport, .id = m->id, .transport = m->transport };
	uint64_t h3 = hash_5t(&k), h1 = hash_full(h3, k.id);
	struct tab *pt = &t->pend;
	uint32_t i = find_msg(pt, h1, m, false);
	if (i != NIL) {
		/* same key while pending: a retransmission of this transaction */
		struct mx_txn *x = &pt->x[i];
		x->sends++;
		x->last_q_ts = pt->h[i].last_q = t->now;
		if (x->n_q_frames < MX_TXN_MAX_FRAMES)
			x->q_frames[x->n_q_frames++] = m->frame;
		if (pt->tail != i) {
			fifo_unlink(pt, i);
			fifo_append(pt, i);
		}
		t->st.retransmits++;
		if (t->cb.query)
			t->cb.query(t->cb.ctx, x, true);
		return;
	}
	i = tab_take(pt);
	if (i == NIL) {
		if (pt->head == NIL)
			return; /* no memory at all: cannot track */
		t->st.evicted_pending++;
		close_pending(t, pt->head, MX_TXN_TIMEOUT, true);
		i = tab_take(pt);
		if (i == NIL)
			return;
	}
	/* every field written (no memset: the name's unused bytes and the
	 * unused frame slots are never read) */
	struct mx_txn *x = &pt->x[i];
	x->seq = ++t->seq;
	x->kind = MX_TXN_OPEN;
	x->client = m->src;
	x->server = m->dst;
	x->cport = k.cport;
	x->sport = k.sport;
	x->transport = k.transport;
	x->id = k.id;
	mx_txn_name_copy(&x->qname, &m->qname);
	x->qtype = m->qtype;
	x->qclass = m->qclass;
	x->rd = m->rd;
	x->cd = m->cd;
	x->q_edns = m->edns;
	x->q_do = m->edns && m->edns_do;
	x->q_edns_version = m->edns ? m->edns_version : 0;
	x->q_payload = m->edns ? m->edns_payload : 0;
	x->q_ts = x->last_q_ts = t->now;
	x->q_frame = m->frame;
	x->sends = 1;
	x->n_q_frames = 1;
	x->q_frames[0] = m->frame;
	x->r_ts = x->r_frame = x->latency_us = 0;
	x->outcome = MX_O_TIMEOUT;
	x->rcode = 0;
	x->aa = x->ra = x->tc = x->ad = x->r_edns = false;
	x->r_edns_version = 0;
	x->ede = 0xffff;
	x->r_size = 0;
	x->resp = NULL;
	uint64_t ch = mx_txn_client_hash(k.client);
	x->client_hash = ch;
	x->qhash = mx_txn_question_hash(&m->qname, m->qtype, m->qclass);
	struct hot *e = &pt->h[i];
	e->h1 = h1;
	e->last_q = t->now;
	if (pt->a) {
		pt->a[i].h2 = hash_cid(ch, k.cport, k.id, k.transport);
		pt->a[i].h3 = (uint32_t)h3;
	}
	chains_link(pt, i);
	fifo_append(pt, i);
	if (pt->head == i)
		due_lower(t, sat_add(t->now, t->o.answer_timeout_us));
	pt->n++;
	t->st.transactions++;
	if (t->cb.query)
		t->cb.query(t->cb.ctx, x, false);
	struct held *h = t->hold_n ? hold_match(t, m) : NULL;
	if (h) {
		/* its response came first (see hold_put) */
		h->used = true;
		t->st.reordered++;
		answer_pending(t, i, &h->m, h->m.ts_us > m->ts_us ? h->m.ts_us - m->ts_us : 0);
	}
}

/* Pending entry i is answered by response m. */
static inline __attribute__((always_inline)) void answer_pending(struct mx_txn_table *t, uint32_t i, const struct mx_dns_msg *m, uint64_t latency_us)
{
	struct mx_txn *x = &t->pend.x[i];
	x->r_ts = t->now;
	x->r_frame = m->frame;
	x->latency_us = latency_us;
	x->outcome = mx_dns_outcome(m);
	x->rcode = m->rcode;
	x->aa = m->aa;
	x->ra = m->ra;
	x->tc = m->tc;
	x->ad = m->ad;
	x->r_edns = m->edns;
	x->r_edns_version = m->edns ? m->edns_version : 0;
	x->ede = m->has_ede ? m->ede_code : 0xffff;
	x->r_size = m->wire_len;
	x->resp = m;
	close_pending_inl(t, i, MX_TXN_ANSWERED, true);
}

static void send_stray(struct mx_txn_table *t, const struct mx_stray *s)
{
	t->st.stray[s->kind]++;
	if (t->cb.stray)
		t->cb.stray(t->cb.ctx, s);
}

static void emit_stray(struct mx_txn_table *t, enum mx_stray_kind kind, const struct mx_dns_msg *m,
		       const struct mx_txn *x)
{
	struct mx_stray s;
	memset(&s, 0, sizeof s);
	s.kind = kind;
	s.resp = m;
	if (x) {
		s.q_ts = x->q_ts;
		s.q_frame = x->q_frame;
		s.txn_seq = x->seq;
		s.latency_us = t->now - x->q_ts;
		s.expected = x->server;
		s.expected_port = x->sport;
	}
	send_stray(t, &s);
}

/* ---- responses before their query -------------------------------------
 * A response that matches nothing pending or recent is held for hold_us of
 * capture time (1 s, or the answer timeout when shorter) before it is
 * reported UNSOLICITED. A query that arrives meanwhile with the response's
 * addresses and ports reversed, its ID, transport and question is answered by
 * it at once. Captures put a response before its query when a SPAN/mirror
 * port or a multi-queue NIC delivers the two out of order, or when files from
 * two hosts with skewed clocks are merged; without this the pair would be an
 * unsolicited response plus a query that times out. The latency is the
 * response's own timestamp minus the query's when that is positive, else 0;
 * r_ts is the (raised) clock, like q_ts. The oldest held response is
 * released early when HOLD_MAX are held; all are released at finish. */

/* Drop the oldest held response, reported UNSOLICITED unless a query took it. */
static void hold_pop(struct mx_txn_table *t)
{
	struct held *h = &t->hold[t->hold_head];
	t->hold_head = (t->hold_head + 1u) % HOLD_MAX;
	t->hold_n--;
	if (!h->used)
		emit_stray(t, MX_STRAY_UNSOLICITED, &h->m, NULL);
}

static void hold_put(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	if (!t->hold) {
		t->hold = malloc(HOLD_MAX * sizeof *t->hold);
		if (!t->hold) {
			emit_stray(t, MX_STRAY_UNSOLICITED, m, NULL);
			return;
		}
	}
	if (t->hold_n == HOLD_MAX)
		hold_pop(t);
	struct held *h = &t->hold[(t->hold_head + t->hold_n) % HOLD_MAX];
	h->m = *m;
	h->at = t->now;
	h->used = false;
	if (t->hold_n++ == 0)
		due_lower(t, sat_add(sat_add(t->now, t->hold_us), 1));
}

/* Report held responses older than hold_us (all of them when `all`) as
 * UNSOLICITED, oldest first. */
static void hold_release(struct mx_txn_table *t, bool all)
{
	while (t->hold_n && (all || t->now - t->hold[t->hold_head].at > t->hold_us))
		hold_pop(t);
}

/* The held response that answers query q, or NULL. The oldest one wins. */
static struct held *hold_match(struct mx_txn_table *t, const struct mx_dns_msg *q)
{
	for (uint32_t j = 0; j < t->hold_n; j++) {
		struct held *h = &t->hold[(t->hold_head + j) % HOLD_MAX];
		const struct mx_dns_msg *r = &h->m;
		if (h->used || r->id != q->id || r->dport != q->sport || r->sport != q->dport ||
		    r->transport != q->transport || !mx_addr_eq(&r->dst, &q->src) || !mx_addr_eq(&r->src, &q->dst) ||
		    r->qtype != q->qtype || r->qclass != q->qclass || !eq_name(&r->qname, &q->qname))
			continue;
		return h;
	}
	return NULL;
}

/* Pending query with the response's client ip, client port, ID, transport
 * and question (lowest seq), from another server: WRONG_SOURCE. */
static uint32_t find_wrong_source(struct tab *pt, const struct key *k, uint64_t ch,
				  const struct mx_dns_msg *m)
{
	uint32_t best = NIL;
	if (aux_build(pt) == 0) {
		uint32_t h2 = hash_cid(ch, k->cport, k->id, k->transport);
		for (uint32_t j = pt->b2[h2 & pt->mask]; j != NIL; j = pt->a[j].n2) {
			const struct mx_txn *x = &pt->x[j];
			if (pt->a[j].h2 != h2 || !eq_cid(x, k) || !eq_question(x, m))
				continue;
			if (best == NIL || x->seq < pt->x[best].seq)
				best = j;
		}
		return best;
	}
	for (uint32_t j = pt->head; j != NIL; j = pt->h[j].next) { /* no memory for the index */
		const struct mx_txn *x = &pt->x[j];
		if (!eq_cid(x, k) || !eq_question(x, m))
			continue;
		if (best == NIL || x->seq < pt->x[best].seq)
			best = j;
	}
	return best;
}

static void mcast_remember(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	struct mcast_q *e = &t->mq[t->mq_next++ % MCAST_KEEP];

	e->client = m->src;
	e->cport = m->sport;
	e->id = m->id;
	e->transport = m->transport;
	e->ts = t->now;
}

/* A response to a query sent to a group within the answer timeout. */
static bool mcast_answer(const struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	for (uint32_t i = 0; i < MCAST_KEEP && i < t->mq_next; i++) {
		const struct mcast_q *e = &t->mq[i];

		if (e->id == m->id && e->cport == m->dport && e->transport == m->transport &&
		    t->now - e->ts <= t->o.answer_timeout_us && mx_addr_eq(&e->client, &m->dst))
			return true;
	}
	return false;
}

/* Response m (key hash h1) matches nothing pending: recent, WRONG_SOURCE,
 * multicast or held. Out of line: rare, and its key is built in memory here
 * only (the common path keeps it in registers). */
static __attribute__((noinline)) void response_unmatched(struct mx_txn_table *t, const struct mx_dns_msg *m,
							 uint64_t h1)
{
	struct key k = { .client = &m->dst, .server = &m->src, .cport = m->dport,
			 .sport = m->sport, .id = m->id, .transport = m->transport };
	struct tab *pt = &t->pend;
	const struct rent *re = ring_find(&t->rec, &k, h1, m, t->ring_now, t->o.recent_us);
	if (re && re->kind == MX_TXN_ANSWERED && m->transport == MX_T_TCP)
		return; /* a TCP stream delivers each message once: this is the next
			 * message of a multi-message answer (AXFR, RFC 5936 §2.2;
			 * IXFR), not a duplicate */
	if (re) {
		struct mx_stray s;
		memset(&s, 0, sizeof s);
		s.kind = re->kind == MX_TXN_ANSWERED ? MX_STRAY_DUPLICATE : MX_STRAY_LATE;
		s.resp = m;
		s.q_ts = re->q_ts;
		s.q_frame = re->q_frame;
		s.txn_seq = re->seq;
		s.latency_us = t->now - re->q_ts;
		s.expected = re->server;
		s.expected_port = re->sport;
		send_stray(t, &s);
		return;
	}
	if (m->has_question && pt->n) {
		uint32_t best = find_wrong_source(pt, &k, mx_txn_client_hash(k.client), m);
		if (best != NIL) {
			emit_stray(t, MX_STRAY_WRONG_SOURCE, m, &pt->x[best]);
			return;
		}
	}
	if (!m->has_question)
		return; /* the answer to a query that had no question either (a
			 * cookie-only query, RFC 7873 §5.4, is not tracked) */
	if (t->mq_next && mcast_answer(t, m))
		return; /* a unicast answer to a multicast query (LLMNR, RFC 4795
			 * §2.1.1; mDNS legacy unicast, RFC 6762 §6.7) */
	hold_put(t, m); /* UNSOLICITED unless its query follows */
}

static void observe_response(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	struct key k = { .client = &m->dst, .server = &m->src, .cport = m->dport,
			 .sport = m->sport, .id = m->id, .transport = m->transport };
	uint64_t h1 = hash_full(hash_5t(&k), k.id);
	struct tab *pt = &t->pend;

	uint32_t i = find_msg(pt, h1, m, true);
	if (i != NIL)
		answer_pending(t, i, m, t->now - pt->x[i].q_ts);
	else
		response_unmatched(t, m, h1);
}

void mx_txn_observe(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	advance(t, m->ts_us);
	if (!m->has_header)
		return; /* nothing to match on (should not be fed: NOT_DNS) */
	if (!m->qr) {
		t->st.queries++;
		if (m->opcode != 0 || !m->has_question)
			return;
		if (mx_addr_is_multicast(&m->dst)) {
			t->st.multicast_queries++;
			mcast_remember(t, m);
			return;
		}
		observe_query(t, m);
	} else {
		t->st.responses++;
		if (m->opcode != 0 || mx_addr_is_multicast(&m->dst))
			return;
		observe_response(t, m);
	}
}

bool mx_txn_expects_wrong_source(struct mx_txn_table *t, const struct mx_dns_msg *m)
{
	struct key k = { .client = &m->dst, .server = &m->src, .cport = m->dport,
			 .sport = m->sport, .id = m->id, .transport = m->transport };
	struct tab *pt = &t->pend;

	if (!m->has_header || !m->qr || m->opcode != 0 || !m->has_question || pt->n == 0 ||
	    mx_addr_is_multicast(&m->dst))
		return false;
	if (find_msg(pt, hash_full(hash_5t(&k), k.id), m, true) != NIL)
		return false; /* an exact match: not a wrong source */
	return find_wrong_source(pt, &k, mx_txn_client_hash(k.client), m) != NIL;
}

void mx_txn_observe_icmp(struct mx_txn_table *t, const struct mx_icmp *ic)
{
	advance(t, ic->ts_us);
	struct key k = { .client = &ic->q_src, .server = &ic->q_dst, .cport = ic->q_sport,
			 .sport = ic->q_dport, .id = 0, .transport = MX_T_UDP };
	struct tab *pt = &t->pend;
	uint64_t h3 = hash_5t(&k);
	uint32_t i = NIL;
	struct mx_rd r;
	mx_rd_init(&r, ic->dns, ic->dns ? ic->dns_len : 0);
	uint16_t id = mx_rd_u16(&r); /* RFC 1035 §4.1.1: the ID is the first field */
	if (ic->dns && ic->dns_len >= 3 && (ic->dns[2] & 0x80)) {
		/* the quoted datagram is a response: the client's port was closed
		 * when it came (musl asks every server at once and closes its
		 * socket at the first answer); no query of ours to end */
		t->st.icmp_responses++;
		return;
	}
	if (!r.bad) {
		k.id = id;
		i = find_full(pt, &k, hash_full(h3, id), NULL);
	} else if (pt->n && aux_build(pt) == 0) {
		for (uint32_t j = pt->b3[(uint32_t)h3 & pt->mask]; j != NIL; j = pt->a[j].n3) {
			if (pt->a[j].h3 != (uint32_t)h3 || !eq_5t(&pt->x[j], &k))
				continue;
			if (i == NIL || pt->x[j].seq < pt->x[i].seq)
				i = j;
		}
	} else if (pt->n) {
		for (uint32_t j = pt->head; j != NIL; j = pt->h[j].next) { /* no memory for the index */
			if (!eq_5t(&pt->x[j], &k))
				continue;
			if (i == NIL || pt->x[j].seq < pt->x[i].seq)
				i = j;
		}
	}
	if (i == NIL) {
		t->st.icmp_unmatched++;
		return;
	}
	struct mx_txn *x = &pt->x[i];
	x->r_ts = t->now;
	x->r_frame = ic->frame;
	x->latency_us = t->now - x->q_ts;
	close_pending(t, i, MX_TXN_UNREACHABLE, true);
}

void mx_txn_tick(struct mx_txn_table *t, uint64_t now_us)
{
	advance(t, now_us);
}

struct seqidx {
	uint64_t seq;
	uint32_t i;
};

static int seqidx_cmp(const void *a, const void *b)
{
	const struct seqidx *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void mx_txn_finish(struct mx_txn_table *t, uint64_t end_us)
{
	struct tab *pt = &t->pend;
	if (end_us > t->now)
		t->now = end_us;
	hold_release(t, true); /* no query came for these */
	uint32_t n = pt->n, k = 0;
	if (n == 0)
		return;
	struct seqidx *v = malloc((size_t)n * sizeof *v);
	if (v) {
		for (uint32_t i = pt->head; i != NIL; i = pt->h[i].next) {
			v[k].seq = pt->x[i].seq;
			v[k].i = i;
			k++;
		}
		qsort(v, k, sizeof *v, seqidx_cmp);
	}
	/* in order of first query (FIFO order if the sort array is unavailable) */
	for (uint32_t j = 0; j < n; j++) {
		uint32_t i = v ? v[j].i : pt->head;
		bool inside = t->now - pt->h[i].last_q < t->o.answer_timeout_us;
		close_pending(t, i, inside ? MX_TXN_PENDING : MX_TXN_TIMEOUT, false);
	}
	free(v);
}

const struct mx_txn_stats *mx_txn_peek_stats(const struct mx_txn_table *t)
{
	return &t->st;
}

size_t mx_txn_pending(const struct mx_txn_table *t)
{
	return t->pend.n;
}

const char *mx_txn_kind_name(enum mx_txn_kind k)
{
	switch (k) {
	case MX_TXN_OPEN: return "open";
	case MX_TXN_ANSWERED: return "answered";
	case MX_TXN_TIMEOUT: return "timeout";
	case MX_TXN_UNREACHABLE: return "unreachable";
	case MX_TXN_PENDING: return "pending";
	}
	return "?";
}

const char *mx_stray_name(enum mx_stray_kind k)
{
	switch (k) {
	case MX_STRAY_LATE: return "late";
	case MX_STRAY_DUPLICATE: return "duplicate";
	case MX_STRAY_UNSOLICITED: return "unsolicited";
	case MX_STRAY_WRONG_SOURCE: return "wrong_source";
	case MX_STRAY__COUNT: break;
	}
	return "?";
}
