/* lookup.c - lookups: group one client's transactions for one question (L4).
 *
 * What it does (lookup.h, PATTERNS.md §0 "Lookup"):
 * - Open lookups are keyed (client ip, qname, qtype, qclass) in a chained
 *   hash table (power-of-two buckets). Never keyed on DNS ID or port: glibc
 *   resends on new sockets, asr and Windows pick new IDs, failover changes
 *   the server, TC=1 moves to TCP.
 * - mx_lookup_observe_query(): a query joins the open lookup when it comes at
 *   most retx_gap after that lookup's last query; otherwise the old lookup is
 *   closed first and a new one opened. A transaction seen for the first time
 *   is a new "try"; a retransmission of a known transaction updates that
 *   try's sends. attempts = sum of the sends of every try (also the tries
 *   past MX_LOOKUP_MAX_TRIES, which are counted in tries_total but not kept).
 * - mx_lookup_observe_done(): sets the try's result. The final outcome is the
 *   lowest enum mx_outcome among tries with a result; the deciding response is
 *   the earliest response with that outcome (latency_us and decided_frame are
 *   measured from the lookup's first query; an_qtype/has_soa/neg_ttl/ede are
 *   copied from it when it arrives, so they survive after the message is
 *   gone, and the EDE's EXTRA-TEXT into a per-slot side array, lent to the
 *   done callback as ede_text). ANSWER/NODATA/NXDOMAIN close the lookup at once, with `answer`
 *   borrowed from that response for the callback. A transaction that reports
 *   PENDING (capture ended) is not a result: its try stays open.
 * - A try's transaction is identified by txn_seq (increasing in order of first
 *   query): a result whose seq is older than the lookup's first try, or whose
 *   lookup is closed, is an orphan (counted, ignored).
 * - mx_lookup_tick(): closes lookups whose last query is more than retx_gap
 *   old and that wait for no transaction (txn reports every transaction within
 *   answer_timeout, so the wait is bounded). Lookups past the gap that still
 *   wait leave the time list and close as soon as their last try reports.
 *   Several lookups closing in one tick close in order of first query.
 * - mx_lookup_finish(): closes everything in order of first query. A lookup
 *   is pending_at_end when no response decided it (outcome TIMEOUT or no
 *   result) and its last query is less than answer_timeout before end_us.
 *   Such lookups are counted in by_outcome[MX_O_TIMEOUT] and in
 *   pending_at_end (so by_outcome always sums to lookups). Call
 *   mx_txn_finish() first so PENDING transactions have reported.
 * - Cap: at max_open the lookup with the oldest first query is closed early
 *   (evicted = true, counted). Entries live in chunks allocated lazily (memory
 *   follows the number open) and are reused through a free list; there is no
 *   allocation per packet once the pool has grown. Each entry's probe, list
 *   and try bookkeeping is one cache line in a separate array (struct hot);
 *   the struct mx_lookup the callback reads stays in the chunks. The key
 *   hash is the transaction's client_hash ^ qhash (txn.h), so nothing is
 *   hashed here. A result (and a retransmission) first asks a small
 *   direct-mapped cache, keyed on the txn seq, which lookup that
 *   transaction joined: while that lookup is still open (its seq has not
 *   been cleared by close_lookup()) it is the one open lookup with the key,
 *   so the key compare is skipped; otherwise the hash probe decides.
 *   Both hashes are also copied into struct mx_lookup (client_hash, qhash:
 *   lookup.h) for the readers of closed lookups (the model keys its sender
 *   and failing-name rows on them).
 *
 * What it does not do: no DNS parsing (it reads struct mx_txn and, for the
 * digest, the borrowed response), no chains (chain.c), no clock of its own
 * beyond the times it is given.
 */
#include "mxsniff/lookup.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define CHUNK_SHIFT 6u
#define CHUNK (1u << CHUNK_SHIFT)
#define NO_RESULT MX_O__COUNT
#define LINE 64u

/* An open lookup is split in two: the part every probe, list step and result
 * touches (one cache line, in a contiguous array), and the struct mx_lookup
 * the done callback reads in place (in chunks, so memory follows the number
 * open; never copied). */
struct hot {
	uint64_t h;            /* key hash: client_hash ^ qhash (see txn.h) */
	uint64_t last_q;       /* last query copy */
	uint64_t first_seq;    /* txn seq of the first try */
	uint64_t max_seq;      /* highest txn seq taken as a try */
	uint32_t hnext;        /* hash chain; free-list link when unused */
	uint32_t cprev, cnext; /* creation order (= order of first query) */
	uint32_t tprev, tnext; /* time list: order of last query */
	uint32_t waiting;      /* tries (kept or not) whose txn has not reported */
	uint16_t qtype, qclass; /* = l.qtype, l.qclass */
	int8_t best;           /* best outcome so far, NO_RESULT when none */
	uint8_t n_servers;     /* distinct servers (only the first few are kept) */
	bool decided;          /* a response decided `best` */
	bool in_time;
};
_Static_assert(sizeof(struct hot) == LINE, "one cache line per open lookup");
_Static_assert(MX_O__COUNT < 127 && MX_LOOKUP_MAX_RESOLVERS < 255, "fits the hot entry");

/* Which lookup each recent transaction joined (see the top comment: "a
 * result finds its lookup"). Direct-mapped on the txn seq; an entry is used
 * only while that lookup is still open (its struct mx_lookup's seq is still
 * lseq: close_lookup() zeroes it) and its hot entry has the txn's key hash. */
/* A query more than this after a failing lookup's last query and response,
 * with no try outstanding, opens a new lookup (mx_lookup_observe_query). */
#define REASK_GAP_US 3000000ULL

/* Queries of lookups closed by a response, for the copy of such a query
 * that a stub sends to its next server just after (musl's res_send asks
 * every nameserver with one query, the same ID and port, and the first
 * server's answer can come before the last copy leaves:
 * lab-musl-healthy frames 10-11). Direct-mapped on (question, client, port,
 * ID); a collision forgets the older query, so such a copy then makes a
 * lookup of its own, as it did before. */
#define COPY_SLOTS 256u
#define COPY_US 1000000ULL
struct copyent {
	uint64_t h;            /* key hash | 1; 0 = unused */
	uint64_t ts;           /* when the lookup closed */
	uint32_t portid;       /* client port << 16 | DNS ID */
	uint8_t transport;
};

#define SEQ_CACHE 8192u
struct seqent {
	uint64_t tseq;         /* txn seq; entries start zeroed (lseq 0 = unused) */
	uint64_t lseq;         /* seq of the lookup it joined */
	uint32_t i;            /* that lookup's slot */
	uint32_t pad_;
};

/* Recent RD=1 questions, for telling a forwarder's upstream queries
 * (struct mx_lookup.forwarded). Direct-mapped on the question hash: the
 * latest query of each question from a lookup that was not itself
 * forwarded (its first try and each new try). A collision forgets the older
 * question: a forwarded lookup may then go unnoticed, never the reverse. */
#define FWD_SLOTS 2048u
struct fwdent {
	uint64_t qh;           /* question hash; 0 = unused */
	uint64_t ts;           /* that query's time */
	struct mx_addr client, server;
	bool answered;         /* its response (or ICMP error) has been seen */
};

struct mx_lookup_table {
	struct mx_lookup_opts o;
	struct mx_lookup_cb cb;
	struct copyent copies[COPY_SLOTS];
	struct hot *hot;       /* hot_cap entries */
	struct mx_lookup **chunk;
	uint32_t n_chunks, chunk_slots, hot_cap;
	uint32_t cap, n_open, free_head;
	uint32_t *bkt;
	uint32_t mask;
	uint32_t c_head, c_tail, t_head, t_tail;
	uint32_t *scratch;     /* tick: lookups to close, cap entries */
	struct seqent *sc;     /* SEQ_CACHE entries; NULL without memory (find() only) */
	struct fwdent *fw;     /* FWD_SLOTS entries; NULL without memory (no forwarders told) */
	/* EDE EXTRA-TEXT of each slot's deciding response ("" none): max_open
	 * entries, allocated at the first text (pages are touched only where a
	 * text is kept, so traffic without EDE texts pays nothing); NULL
	 * before, or without memory (then texts are not kept) */
	char (*etext)[MX_DNS_EDE_TEXT];
	uint64_t seq, now;
	struct mx_lookup_stats st;
};

static inline struct hot *H(const struct mx_lookup_table *t, uint32_t i)
{
	return &t->hot[i];
}

static inline struct mx_lookup *L(const struct mx_lookup_table *t, uint32_t i)
{
	return &t->chunk[i >> CHUNK_SHIFT][i & (CHUNK - 1)];
}

/* The key (client, qname, qtype, qclass) hash, from the hashes txn.c keeps
 * in the transaction (two independent full hashes, combined by xor). */
static inline uint64_t key_hash(const struct mx_txn *x)
{
	return mx_txn_client_hash_of(x) ^ mx_txn_qhash_of(x);
}

/* Out of line: it runs once per probe that matched the 64-bit hash, and
 * keeping the name compare out of find() leaves that loop without register
 * saves. */
__attribute__((noinline)) static bool key_eq(const struct mx_lookup_table *t, uint32_t i,
					       const struct mx_txn *x)
{
	const struct hot *e = H(t, i);
	if (e->qtype != x->qtype || e->qclass != x->qclass)
		return false;
	const struct mx_lookup *l = L(t, i);
	return mx_addr_eq(&l->client, &x->client) && mx_dname_eq(&l->qname, &x->qname);
}

/* ---- lists -------------------------------------------------------------- */

static inline __attribute__((always_inline)) void c_unlink(struct mx_lookup_table *t, uint32_t i)
{
	struct hot *e = H(t, i);
	if (e->cprev != NIL)
		H(t, e->cprev)->cnext = e->cnext;
	else
		t->c_head = e->cnext;
	if (e->cnext != NIL)
		H(t, e->cnext)->cprev = e->cprev;
	else
		t->c_tail = e->cprev;
	e->cprev = e->cnext = NIL;
}

static void c_append(struct mx_lookup_table *t, uint32_t i)
{
	struct hot *e = H(t, i);
	e->cnext = NIL;
	e->cprev = t->c_tail;
	if (t->c_tail != NIL)
		H(t, t->c_tail)->cnext = i;
	else
		t->c_head = i;
	t->c_tail = i;
}

static inline __attribute__((always_inline)) void t_unlink(struct mx_lookup_table *t, uint32_t i)
{
	struct hot *e = H(t, i);
	if (!e->in_time)
		return;
	if (e->tprev != NIL)
		H(t, e->tprev)->tnext = e->tnext;
	else
		t->t_head = e->tnext;
	if (e->tnext != NIL)
		H(t, e->tnext)->tprev = e->tprev;
	else
		t->t_tail = e->tprev;
	e->tprev = e->tnext = NIL;
	e->in_time = false;
}

static void t_append(struct mx_lookup_table *t, uint32_t i)
{
	struct hot *e = H(t, i);
	e->tnext = NIL;
	e->tprev = t->t_tail;
	if (t->t_tail != NIL)
		H(t, t->t_tail)->tnext = i;
	else
		t->t_head = i;
	t->t_tail = i;
	e->in_time = true;
}

static void h_link(struct mx_lookup_table *t, uint32_t i)
{
	struct hot *e = H(t, i);
	uint32_t b = (uint32_t)(e->h & t->mask);
	e->hnext = t->bkt[b];
	t->bkt[b] = i;
}

static inline __attribute__((always_inline)) void h_unlink(struct mx_lookup_table *t, uint32_t i)
{
	uint32_t *pp = &t->bkt[H(t, i)->h & t->mask];
	while (*pp != i && *pp != NIL)
		pp = &H(t, *pp)->hnext;
	if (*pp == i)
		*pp = H(t, i)->hnext;
}

/* ---- pool ----------------------------------------------------------------- */

static int grow(struct mx_lookup_table *t)
{
	if (t->cap >= t->o.max_open)
		return -1;
	if (t->n_chunks == t->chunk_slots) {
		uint32_t ns = t->chunk_slots ? t->chunk_slots * 2 : 8;
		struct mx_lookup **nc = realloc(t->chunk, (size_t)ns * sizeof *nc);
		if (!nc)
			return -1;
		t->chunk = nc;
		t->chunk_slots = ns;
	}
	uint32_t ncap = t->cap + CHUNK;
	if (ncap > t->hot_cap) {
		uint32_t nh = t->hot_cap ? t->hot_cap * 2 : CHUNK;
		while (nh < ncap)
			nh *= 2;
		/* aligned to a cache line, so each hot entry is exactly one */
		struct hot *h = aligned_alloc(LINE, (size_t)nh * sizeof *h);
		if (!h)
			return -1;
		if (t->hot)
			memcpy(h, t->hot, (size_t)t->cap * sizeof *h);
		free(t->hot);
		t->hot = h;
		t->hot_cap = nh;
	}
	uint32_t *ns = realloc(t->scratch, (size_t)ncap * sizeof *ns);
	if (!ns)
		return -1;
	t->scratch = ns;
	/* zeroed once, so padding and unused name bytes are never uninitialised */
	struct mx_lookup *c = aligned_alloc(LINE, CHUNK * sizeof *c);
	if (!c)
		return -1;
	memset(c, 0, CHUNK * sizeof *c);
	t->chunk[t->n_chunks++] = c;
	/* ids beyond max_open are never handed out: the free list holds only
	 * max_open of them in total */
	uint32_t usable = ncap;
	if (usable > t->o.max_open)
		usable = (uint32_t)t->o.max_open;
	for (uint32_t i = usable; i-- > t->cap;) {
		memset(H(t, i), 0, sizeof(struct hot));
		H(t, i)->hnext = t->free_head;
		t->free_head = i;
	}
	t->cap = usable;
	uint32_t nb = t->mask + 1;
	if (!t->bkt || nb < t->cap) {
		while (nb < t->cap)
			nb <<= 1;
		uint32_t *b = malloc((size_t)nb * sizeof *b);
		if (b) {
			free(t->bkt);
			t->bkt = b;
			t->mask = nb - 1;
			for (uint32_t k = 0; k < nb; k++)
				b[k] = NIL;
			for (uint32_t i = t->c_head; i != NIL; i = H(t, i)->cnext)
				h_link(t, i);
		} else if (!t->bkt) {
			return -1;
		}
	}
	return 0;
}

static uint32_t take(struct mx_lookup_table *t)
{
	if (t->free_head == NIL && grow(t) != 0)
		return NIL;
	uint32_t i = t->free_head;
	if (i != NIL)
		t->free_head = H(t, i)->hnext;
	return i;
}

static inline uint32_t find(const struct mx_lookup_table *t, const struct mx_txn *x, uint64_t h)
{
	if (!t->bkt)
		return NIL;
	for (uint32_t i = t->bkt[h & t->mask]; i != NIL; i = H(t, i)->hnext)
		if (H(t, i)->h == h && key_eq(t, i, x))
			return i;
	return NIL;
}

/* Remember that transaction x joined lookup i (whose seq is lseq). */
static inline void seq_note(struct mx_lookup_table *t, const struct mx_txn *x, uint32_t i, uint64_t lseq)
{
	if (t->sc) {
		struct seqent *c = &t->sc[x->seq & (SEQ_CACHE - 1)];
		c->tseq = x->seq;
		c->lseq = lseq;
		c->i = i;
	}
}

/* The open lookup with x's key, the same one find() returns: a
 * transaction's key never changes (its seq is unique, txn.h) and at most one
 * lookup per key is open, so the lookup x joined, while still open, is it.
 * Falls back to find(). */
static __attribute__((noinline)) uint32_t find_by_key(const struct mx_lookup_table *t, const struct mx_txn *x)
{
	return find(t, x, key_hash(x));
}

static inline __attribute__((always_inline)) uint32_t find_txn(const struct mx_lookup_table *t,
							       const struct mx_txn *x)
{
	if (t->sc) {
		const struct seqent *c = &t->sc[x->seq & (SEQ_CACHE - 1)];
		if (c->tseq == x->seq && c->lseq != 0 && L(t, c->i)->seq == c->lseq)
			return c->i;
	}
	return find_by_key(t, x); /* out of line: rare */
}

/* ---- closing ------------------------------------------------------------ */

static inline struct copyent *copy_slot(struct mx_lookup_table *t, uint64_t h, uint32_t portid)
{
	return &t->copies[(uint32_t)((h ^ portid * 0x9E3779B97F4A7C15ULL) >> 40) & (COPY_SLOTS - 1)];
}

/* Lookup l closed on a response now: remember its first and last try's
 * query for copy_after_close(). */
static inline void copy_note(struct mx_lookup_table *t, const struct mx_lookup *l)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	if (!nt)
		return;
	uint64_t h = (l->client_hash ^ l->qhash) | 1;
	for (unsigned k = 0; k < 2; k++) {
		const struct mx_lookup_try *y = &l->tries[k ? nt - 1 : 0];
		uint32_t pid = (uint32_t)y->sport << 16 | y->id;
		struct copyent *c = copy_slot(t, h, pid);
		c->h = h;
		c->ts = t->now;
		c->portid = pid;
		c->transport = y->transport;
	}
}

/* x is a copy of the query of a lookup that a response closed less than
 * COPY_US ago (h: x's key hash): it belongs to that lookup, and its
 * result is an orphan one. */
static inline bool copy_after_close(struct mx_lookup_table *t, const struct mx_txn *x, uint64_t h)
{
	uint32_t pid = (uint32_t)x->cport << 16 | x->id;
	const struct copyent *c = copy_slot(t, h | 1, pid);
	return c->h == (h | 1) && c->portid == pid && c->transport == x->transport && x->q_ts >= c->ts &&
	       x->q_ts - c->ts <= COPY_US;
}

/* Inlined where a result closes its lookup (mx_lookup_observe_done); the
 * other callers share the out-of-line copy, close_lookup(). */
static inline __attribute__((always_inline)) void close_lookup_inl(struct mx_lookup_table *t, uint32_t i,
								    bool evicted, const struct mx_dns_msg *answer)
{
	struct hot *e = H(t, i);
	struct mx_lookup *l = L(t, i);
	l->outcome = e->best == NO_RESULT ? MX_O_TIMEOUT : (enum mx_outcome)e->best;
	l->evicted = evicted;
	l->answer = answer;
	l->ede_text = t->etext && t->etext[i][0] ? t->etext[i] : NULL;
	l->failover = e->n_servers > 1;
	t->st.lookups++;
	t->st.forwarded += l->forwarded;
	t->st.by_outcome[l->outcome]++;
	if (evicted)
		t->st.evicted++;
	if (l->pending_at_end)
		t->st.pending_at_end++;
	if (answer != NULL || (e->decided && !evicted))
		copy_note(t, l);
	h_unlink(t, i);
	c_unlink(t, i);
	t_unlink(t, i);
	t->n_open--;
	if (t->cb.done)
		t->cb.done(t->cb.ctx, l);
	l->answer = NULL; /* chunks never move (grow() adds new ones) */
	if (l->ede_text) {
		t->etext[i][0] = '\0';
		l->ede_text = NULL;
	}
	l->seq = 0; /* closed: seq cache entries that name this lookup are stale */
	H(t, i)->hnext = t->free_head;
	t->free_head = i;
}

static __attribute__((noinline)) void close_lookup(struct mx_lookup_table *t, uint32_t i, bool evicted,
						   const struct mx_dns_msg *answer)
{
	close_lookup_inl(t, i, evicted, answer);
}

/* ---- public ------------------------------------------------------------- */

void mx_lookup_opts_default(struct mx_lookup_opts *o)
{
	o->retx_gap_us = 45000000;
	o->answer_timeout_us = 5000000;
	o->max_open = 65536;
}

struct mx_lookup_table *mx_lookup_new(const struct mx_lookup_opts *o, const struct mx_lookup_cb *cb)
{
	struct mx_lookup_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	if (o)
		t->o = *o;
	else
		mx_lookup_opts_default(&t->o);
	if (cb)
		t->cb = *cb;
	if (t->o.max_open == 0)
		t->o.max_open = 1;
	if (t->o.max_open > UINT32_MAX / 4)
		t->o.max_open = UINT32_MAX / 4;
	t->free_head = t->c_head = t->c_tail = t->t_head = t->t_tail = NIL;
	t->sc = calloc(SEQ_CACHE, sizeof *t->sc); /* NULL: every result probes */
	t->fw = calloc(FWD_SLOTS, sizeof *t->fw);
	if (grow(t) != 0) {
		mx_lookup_free(t);
		return NULL;
	}
	return t;
}

void mx_lookup_free(struct mx_lookup_table *t)
{
	if (!t)
		return;
	for (uint32_t c = 0; c < t->n_chunks; c++)
		free(t->chunk[c]);
	free(t->chunk);
	free(t->hot);
	free(t->bkt);
	free(t->scratch);
	free(t->sc);
	free(t->fw);
	free(t->etext);
	free(t);
}

/* A new try for transaction x. */
static inline void try_init(struct mx_lookup_try *y, const struct mx_txn *x)
{
	y->txn_seq = x->seq;
	y->q_ts = x->q_ts;
	y->q_frame = x->q_frame;
	y->r_frame = 0;
	y->server = x->server;
	y->sport = x->cport;
	y->id = x->id;
	y->transport = x->transport;
	y->open = true;
	y->tc = false;
	y->outcome = MX_O_TIMEOUT;
	y->rcode = 0;
	y->ede = 0xffff;
	y->sends = x->sends;
	y->latency_us = 0;
	y->late_frame = 0;
	y->late_latency_us = 0;
	y->late_rcode = 0;
	y->late_outcome = 0;
}

/* Remember x (an RD=1 query of a lookup that is not forwarded) as the
 * latest query of its question. */
static inline void fwd_note(struct mx_lookup_table *t, const struct mx_txn *x, uint64_t qh)
{
	struct fwdent *f = &t->fw[qh & (FWD_SLOTS - 1)];
	f->qh = qh | 1; /* never 0 */
	f->ts = x->q_ts;
	f->client = x->client;
	f->server = x->server;
	f->answered = false;
}

/* Whether new lookup l (first query x, RD=1) forwards a question just asked
 * of a server on this host; else x is noted as its question's latest query.
 * The earlier query must still be unanswered: a forwarder asks upstream
 * before it can answer, while a client that fails over after a SERVFAIL or
 * REFUSED from its local resolver (glibc asks the next server at once, from
 * its outgoing address) asks after the answer. */
static void fwd_check(struct mx_lookup_table *t, struct mx_lookup *l, const struct mx_txn *x)
{
	struct fwdent *f = &t->fw[l->qhash & (FWD_SLOTS - 1)];
	if (f->qh == (l->qhash | 1) && !f->answered && f->ts <= x->q_ts &&
	    x->q_ts - f->ts <= MX_LOOKUP_FWD_WINDOW_US && !mx_addr_eq(&f->server, &x->server) &&
	    (mx_addr_is_loopback(&f->server) || mx_addr_eq(&f->server, &x->client))) {
		l->forwarded = true;
		l->fwd_client = f->client;
		l->fwd_server = f->server;
		return;
	}
	fwd_note(t, x, l->qhash);
}

/* Open a lookup for x's key. When x->seq is not 0 (always, from txn.c) x is
 * also its first try, written directly with the values the generic path in
 * mx_lookup_observe_query() would reach (one try, one server, no failover,
 * no TCP retry with a single try); with seq 0 the lookup starts empty and the
 * caller goes on as before. */
static uint32_t open_lookup(struct mx_lookup_table *t, const struct mx_txn *x, uint64_t h)
{
	if (t->n_open >= t->o.max_open && t->c_head != NIL)
		close_lookup(t, t->c_head, true, NULL);
	uint32_t i = take(t);
	if (i == NIL) {
		if (t->c_head == NIL)
			return NIL;
		close_lookup(t, t->c_head, true, NULL);
		i = take(t);
		if (i == NIL)
			return NIL;
	}
	/* every field written except the try and resolver slots past n_tries /
	 * n_resolvers and the name's bytes past its length, which nobody reads */
	struct mx_lookup *l = L(t, i);
	l->seq = ++t->seq;
	l->client_hash = mx_txn_client_hash_of(x);
	l->qhash = mx_txn_qhash_of(x);
	l->client = x->client;
	mx_txn_name_copy(&l->qname, &x->qname);
	l->qtype = x->qtype;
	l->qclass = x->qclass;
	l->rd = x->rd;
	l->q_edns = x->q_edns;
	l->q_do = x->q_do;
	l->first_us = x->q_ts;
	l->last_us = x->last_q_ts;
	l->outcome = MX_O_TIMEOUT;
	l->pending_at_end = false;
	l->evicted = false;
	bool first = x->seq != 0;
	if (first) {
		l->attempts = x->sends;
		l->n_tries = l->tries_total = 1;
		l->n_resolvers = 1;
		l->resolvers[0] = x->server;
		try_init(&l->tries[0], x);
	} else {
		l->attempts = 0;
		l->n_tries = l->tries_total = 0;
		l->n_resolvers = 0;
	}
	l->latency_us = 0;
	l->decided_frame = 0;
	l->failover = false;
	l->tcp_retry = false;
	l->answer = NULL;
	l->an_qtype = 0;
	l->has_soa = false;
	l->neg_ttl = 0;
	l->ede = 0xffff;
	l->forwarded = false;
	if (x->rd && t->fw && first)
		fwd_check(t, l, x);
	struct hot *e = H(t, i);
	e->h = h;
	e->last_q = x->last_q_ts;
	e->first_seq = x->seq;
	e->max_seq = first ? x->seq : 0;
	e->waiting = first;
	e->qtype = x->qtype;
	e->qclass = x->qclass;
	e->best = NO_RESULT;
	e->n_servers = first;
	e->decided = false;
	e->in_time = false;
	h_link(t, i);
	c_append(t, i);
	t_append(t, i);
	t->n_open++;
	return i;
}

static struct mx_lookup_try *find_try(struct mx_lookup *l, uint64_t seq)
{
	for (uint16_t k = 0; k < l->n_tries; k++)
		if (l->tries[k].txn_seq == seq)
			return &l->tries[k];
	return NULL;
}

static void add_server(struct hot *e, struct mx_lookup *l, const struct mx_addr *a)
{
	for (uint16_t k = 0; k < l->n_resolvers; k++)
		if (mx_addr_eq(&l->resolvers[k], a))
			return;
	if (l->n_resolvers < MX_LOOKUP_MAX_RESOLVERS) {
		l->resolvers[l->n_resolvers++] = *a;
		e->n_servers++;
	} else if (e->n_servers == l->n_resolvers) {
		/* a fifth server: enough to know there was failover */
		e->n_servers++;
	}
}

/* TC=1 over UDP followed (later seq) by a TCP try. */
static void check_tcp_retry(struct mx_lookup *l)
{
	for (uint16_t a = 0; a < l->n_tries && !l->tcp_retry; a++) {
		if (!l->tries[a].tc || l->tries[a].transport != MX_T_UDP)
			continue;
		for (uint16_t b = 0; b < l->n_tries; b++)
			if (l->tries[b].transport == MX_T_TCP && l->tries[b].txn_seq > l->tries[a].txn_seq) {
				l->tcp_retry = true;
				break;
			}
	}
}

/* x sends again the query of one of l's tries (the same source port and
 * DNS ID, to that server or another): the stub re-sends, it does not ask
 * anew. musl re-sends every timeout/attempts seconds (2.5 s by default, 4 s
 * with timeout:8) to every server, whatever they answered; a new delivery
 * attempt makes a new query, with a new ID. */
static bool resend_of_try(const struct mx_lookup *l, const struct mx_txn *x)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	for (unsigned k = 0; k < nt; k++)
		if (l->tries[k].id == x->id && l->tries[k].sport == x->cport && l->tries[k].transport == x->transport)
			return true;
	return false;
}

void mx_lookup_observe_query(struct mx_lookup_table *t, const struct mx_txn *x, bool retransmit)
{
	/* known transactions are recognised by txn_seq; `retransmit` only says
	 * the seq cache may know this one */
	if (x->last_q_ts > t->now)
		t->now = x->last_q_ts;
	uint64_t h = key_hash(x);
	uint32_t i = retransmit ? find_txn(t, x) : find(t, x, h);
	if (i != NIL && x->last_q_ts > H(t, i)->last_q &&
	    x->last_q_ts - H(t, i)->last_q > t->o.retx_gap_us) {
		close_lookup(t, i, false, NULL);
		i = NIL;
	}
	/* A new query well after a response decided a failing lookup, with
	 * no try outstanding, is a new lookup, not a retry: stubs re-ask a
	 * SERVFAIL or REFUSED at once (glibc, Go: within milliseconds), while
	 * an MTA delivering to the domain again a few seconds later asks
	 * again. Without this a domain that gets mail every few seconds kept
	 * one failing lookup open for as long as the mail flowed, and its
	 * chains never saw the failure (soak-live.sh: an AAAA SERVFAIL every
	 * 12 s made one lookup of 36 tries over 217 s). */
	if (i != NIL && !retransmit && x->seq > H(t, i)->max_seq && H(t, i)->waiting == 0 && H(t, i)->decided &&
	    x->q_ts > L(t, i)->last_us + REASK_GAP_US && !resend_of_try(L(t, i), x)) {
		close_lookup(t, i, false, NULL);
		i = NIL;
	}
	if (i == NIL) {
		if (!retransmit && copy_after_close(t, x, h))
			return;
		i = open_lookup(t, x, h);
		if (i == NIL)
			return;
		if (x->seq != 0) { /* opened with x as its first try */
			seq_note(t, x, i, L(t, i)->seq);
			return;
		}
	}
	struct hot *e = H(t, i);
	struct mx_lookup *l = L(t, i);
	seq_note(t, x, i, l->seq);
	if (x->last_q_ts > e->last_q)
		e->last_q = x->last_q_ts;
	if (x->last_q_ts > l->last_us)
		l->last_us = x->last_q_ts;
	if (t->t_tail != i || !e->in_time) {
		t_unlink(t, i);
		t_append(t, i);
	}

	if (x->seq > e->max_seq && x->seq >= e->first_seq) {
		/* a transaction new to this lookup: a try */
		e->max_seq = x->seq;
		e->waiting++;
		l->attempts += x->sends;
		if (l->tries_total < UINT16_MAX)
			l->tries_total++;
		add_server(e, l, &x->server);
		l->failover = e->n_servers > 1;
		if (l->rd && t->fw && !l->forwarded)
			fwd_note(t, x, l->qhash);
		if (l->n_tries < MX_LOOKUP_MAX_TRIES) {
			try_init(&l->tries[l->n_tries++], x);
			if (x->transport == MX_T_TCP)
				check_tcp_retry(l);
		}
		return;
	}
	struct mx_lookup_try *y = find_try(l, x->seq);
	if (y) {
		if (x->sends > y->sends) {
			l->attempts += x->sends - y->sends;
			y->sends = x->sends;
		}
	} else {
		/* a copy of a try past MX_LOOKUP_MAX_TRIES, or of a transaction
		 * from an earlier lookup: one more query sent */
		l->attempts++;
	}
}

static void decide(struct mx_lookup_table *t, uint32_t i, struct hot *e, struct mx_lookup *l,
		   const struct mx_txn *x)
{
	e->decided = true;
	l->latency_us = x->r_ts > l->first_us ? x->r_ts - l->first_us : 0;
	l->decided_frame = x->r_frame;
	l->ede = x->ede;
	if (x->ede != 0xffff && x->resp && x->resp->has_ede && x->resp->ede_text[0]) {
		if (!t->etext)
			t->etext = calloc(t->o.max_open, sizeof *t->etext);
		if (t->etext)
			memcpy(t->etext[i], x->resp->ede_text, sizeof *t->etext);
	} else if (t->etext) {
		t->etext[i][0] = '\0';
	}
	if (x->resp) {
		l->an_qtype = x->resp->an_qtype;
		l->has_soa = x->resp->has_soa;
		l->neg_ttl = x->resp->neg_ttl;
	} else {
		l->an_qtype = 0;
		l->has_soa = false;
		l->neg_ttl = 0;
	}
}

static void undecide(struct mx_lookup_table *t, uint32_t i, struct hot *e, struct mx_lookup *l)
{
	if (t->etext)
		t->etext[i][0] = '\0';
	e->decided = false;
	l->latency_us = 0;
	l->decided_frame = 0;
	l->ede = 0xffff;
	l->an_qtype = 0;
	l->has_soa = false;
	l->neg_ttl = 0;
}

void mx_lookup_observe_done(struct mx_lookup_table *t, const struct mx_txn *x)
{
	if (t->fw && x->rd && x->kind != MX_TXN_TIMEOUT) {
		uint64_t qh = mx_txn_qhash_of(x);
		struct fwdent *f = &t->fw[qh & (FWD_SLOTS - 1)];
		if (f->qh == (qh | 1) && f->ts == x->q_ts && mx_addr_eq(&f->client, &x->client) &&
		    mx_addr_eq(&f->server, &x->server))
			f->answered = true;
	}
	/* the open lookup with x's key (at most one per key) */
	uint32_t i = find_txn(t, x);
	if (i == NIL) {
		t->st.orphan_results++;
		return;
	}
	struct hot *e = H(t, i);
	if (x->seq < e->first_seq || x->seq > e->max_seq) {
		t->st.orphan_results++;
		return;
	}
	struct mx_lookup *l = L(t, i);
	struct mx_lookup_try *y = find_try(l, x->seq);
	if (y && !y->open)
		return; /* already reported (txn reports once; defensive) */
	if (e->waiting)
		e->waiting--;
	if (x->r_ts > l->last_us)
		l->last_us = x->r_ts;
	if (y && x->sends > y->sends) {
		l->attempts += x->sends - y->sends;
		y->sends = x->sends;
	}

	if (x->kind == MX_TXN_ANSWERED || x->kind == MX_TXN_TIMEOUT || x->kind == MX_TXN_UNREACHABLE) {
		bool resp = x->kind != MX_TXN_TIMEOUT;
		if (y) {
			y->open = false;
			y->outcome = x->outcome;
			y->rcode = x->kind == MX_TXN_ANSWERED ? x->rcode : 0;
			y->ede = x->ede;
			y->r_frame = resp ? x->r_frame : 0;
			y->latency_us = resp ? x->latency_us : 0;
			y->tc = x->kind == MX_TXN_ANSWERED && x->tc;
			if (y->tc)
				check_tcp_retry(l);
		}
		if ((int)x->outcome < e->best) {
			e->best = (int8_t)x->outcome;
			if (resp)
				decide(t, i, e, l, x);
			else
				undecide(t, i, e, l);
		} else if ((int)x->outcome == e->best && resp && !e->decided) {
			decide(t, i, e, l, x);
		}
		l->outcome = (enum mx_outcome)e->best;
		if (x->outcome == MX_O_ANSWER || x->outcome == MX_O_NODATA || x->outcome == MX_O_NXDOMAIN) {
			close_lookup_inl(t, i, false, x->kind == MX_TXN_ANSWERED ? x->resp : NULL);
			return;
		}
	}
	/* past the gap and nothing left to wait for: close now */
	if (!e->in_time && e->waiting == 0)
		close_lookup(t, i, false, NULL);
}

void mx_lookup_observe_stray(struct mx_lookup_table *t, const struct mx_stray *s)
{
	const struct mx_dns_msg *m = s->resp;
	if (s->kind != MX_STRAY_LATE || !m || !m->has_question || !t->bkt)
		return;
	/* the key of the query it answers: the response's destination and question */
	uint64_t h = mx_txn_client_hash(&m->dst) ^ mx_txn_question_hash(&m->qname, m->qtype, m->qclass);
	for (uint32_t i = t->bkt[h & t->mask]; i != NIL; i = H(t, i)->hnext) {
		struct hot *e = H(t, i);
		struct mx_lookup *l = L(t, i);
		if (e->h != h || e->qtype != m->qtype || e->qclass != m->qclass ||
		    !mx_addr_eq(&l->client, &m->dst) || !mx_dname_eq(&l->qname, &m->qname))
			continue;
		struct mx_lookup_try *y = find_try(l, s->txn_seq);
		if (y && !y->late_frame) {
			y->late_frame = m->frame;
			y->late_latency_us = s->latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)s->latency_us;
			y->late_rcode = m->rcode;
			y->late_outcome = (uint8_t)mx_dns_outcome(m);
			t->st.late_kept++;
		}
		return;
	}
}

/* insertion sort by lookup seq: the list is short and nearly sorted */
static void sort_by_seq(const struct mx_lookup_table *t, uint32_t *v, uint32_t n)
{
	for (uint32_t a = 1; a < n; a++) {
		uint32_t cur = v[a], b = a;
		uint64_t cs = L(t, cur)->seq;
		while (b > 0 && L(t, v[b - 1])->seq > cs) {
			v[b] = v[b - 1];
			b--;
		}
		v[b] = cur;
	}
}

/* Is the oldest lookup in the time list past the gap? */
static inline bool tick_due(const struct mx_lookup_table *t)
{
	if (t->t_head == NIL)
		return false;
	const struct hot *e = H(t, t->t_head);
	return t->now > e->last_q && t->now - e->last_q > t->o.retx_gap_us;
}

/* Out of line, so a tick with nothing due saves no registers. */
static __attribute__((noinline)) void tick_slow(struct mx_lookup_table *t)
{
	uint32_t n = 0;
	while (tick_due(t)) {
		uint32_t i = t->t_head;
		struct hot *e = H(t, i);
		t_unlink(t, i);
		if (e->waiting == 0)
			t->scratch[n++] = i;
		/* else: out of the time list; closes when its last try reports */
	}
	if (n > 1)
		sort_by_seq(t, t->scratch, n);
	for (uint32_t k = 0; k < n; k++)
		close_lookup(t, t->scratch[k], false, NULL);
}

void mx_lookup_tick(struct mx_lookup_table *t, uint64_t now_us)
{
	if (now_us > t->now)
		t->now = now_us;
	if (tick_due(t))
		tick_slow(t);
}

void mx_lookup_finish(struct mx_lookup_table *t, uint64_t end_us)
{
	if (end_us > t->now)
		t->now = end_us;
	while (t->c_head != NIL) {
		uint32_t i = t->c_head;
		struct hot *e = H(t, i);
		bool undecided = e->best == NO_RESULT || e->best == MX_O_TIMEOUT;
		bool inside = t->now < e->last_q + t->o.answer_timeout_us;
		L(t, i)->pending_at_end = undecided && inside;
		close_lookup(t, i, false, NULL);
	}
}

const struct mx_lookup_stats *mx_lookup_peek_stats(const struct mx_lookup_table *t)
{
	return &t->st;
}

size_t mx_lookup_open_count(const struct mx_lookup_table *t)
{
	return t->n_open;
}
