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
 */
#include "mxsniff/chain.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_IDX UINT32_MAX

struct chain_slot {
	struct mx_chain c;
	bool used;
	uint64_t close_us;      /* close when the clock passes this */
	uint32_t prev, next;    /* open list in start order */
	uint32_t snext, sprev;  /* open chains in the same sender bucket */
	uint32_t sbidx;         /* that bucket */
	uint32_t idx_first;     /* first name-index entry of this chain */
};

/* (sender, name) -> (chain slot, host), and (sender, address) -> (chain
 * slot, host) for the SYNs to port 25; several per key allowed. */
struct name_ent {
	uint64_t h;
	uint32_t slot;
	uint8_t host;
	bool used;
	bool is_addr;           /* an address entry (SYN index) */
	uint32_t bnext, bprev;  /* bucket chain (bprev NO_IDX: bucket head) */
	uint32_t cnext;         /* next entry of the same chain */
};

/* (sender, domain) -> last attempt; LRU-bounded. */
struct hist_ent {
	struct mx_addr sender;
	struct mx_dname domain;
	uint64_t last_start;
	uint32_t attempts;
	uint32_t open_slot;     /* open chain of this pair, NO_IDX when none */
	uint32_t bnext, prev, next;
	bool used;
};

struct mx_chain_table {
	struct mx_chain_opts o;
	struct mx_chain_cb cb;
	struct mx_chain_stats st;
	uint64_t seq;
	uint64_t now;
	/* chains */
	struct chain_slot *slots;
	size_t nslots;          /* allocated; grows by doubling up to max_open */
	size_t used_slots;      /* ever handed out (below: free list) */
	uint32_t free_slot;     /* free list through next */
	uint32_t *sbucket;      /* sender -> open chains (through snext) */
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
	uint32_t *hbucket;
	size_t hbmask;
	uint32_t hfree, hhead, htail;   /* LRU: head = oldest */
	size_t hcount;
};

void mx_chain_opts_default(struct mx_chain_opts *o)
{
	o->chain_window_us = 120000000ULL;
	o->retx_gap_us = 45000000ULL;
	o->min_retry_gap_us = 60000000ULL;
	o->max_open = 1024;
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

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

/* Grow *arr (elements of esize, *cap allocated) to hold index `need`,
 * doubling, at most max; new elements are zeroed. Memory follows use. */
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
	memset((char *)p + *cap * esize, 0, (n - *cap) * esize);
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
	t->hbucket = malloc(hb * sizeof(uint32_t));
	t->hbmask = hb - 1;
	if (!t->nbucket || !t->sbucket || !t->hbucket) {
		mx_chain_free(t);
		return NULL;
	}
	for (size_t i = 0; i < nb; i++)
		t->nbucket[i] = NO_IDX;
	for (size_t i = 0; i < sb; i++)
		t->sbucket[i] = NO_IDX;
	for (size_t i = 0; i < hb; i++)
		t->hbucket[i] = NO_IDX;
	t->free_slot = t->free_ent = t->hfree = NO_IDX;
	t->head = t->tail = NO_IDX;
	t->hhead = t->htail = NO_IDX;
	return t;
}

void mx_chain_free(struct mx_chain_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->sbucket);
	free(t->ents);
	free(t->nbucket);
	free(t->hist);
	free(t->hbucket);
	free(t);
}

const struct mx_chain_stats *mx_chain_peek_stats(const struct mx_chain_table *t)
{
	return &t->st;
}

static uint64_t name_key(const struct mx_addr *s, const struct mx_dname *n)
{
	return mx_dname_hash(n, mx_addr_hash(s, 0x6368));
}

/* ---- name index ---------------------------------------------------------- */

static uint64_t addr_key(const struct mx_addr *s, const struct mx_addr *a)
{
	return mx_addr_hash(a, mx_addr_hash(s, 0x5359));
}

static bool index_has(const struct mx_chain_table *t, uint32_t slot, uint64_t h, uint8_t host, bool is_addr)
{
	for (uint32_t e = t->slots[slot].idx_first; e != NO_IDX; e = t->ents[e].cnext)
		if (t->ents[e].h == h && t->ents[e].host == host && t->ents[e].is_addr == is_addr)
			return true;
	return false;
}

static void index_put(struct mx_chain_table *t, uint32_t slot, uint64_t h, uint8_t host, bool is_addr)
{
	if (index_has(t, slot, h, host, is_addr))
		return;
	uint32_t e;
	if (t->free_ent != NO_IDX) {
		e = t->free_ent;
		t->free_ent = t->ents[e].bnext;
	} else if (grow((void **)&t->ents, &t->nents, t->used_ents, t->max_ents, sizeof(*t->ents))) {
		e = (uint32_t)t->used_ents++;
	} else {
		return;
	}
	struct name_ent *ne = &t->ents[e];
	ne->h = h;
	ne->slot = slot;
	ne->host = host;
	ne->used = true;
	ne->is_addr = is_addr;
	ne->bprev = NO_IDX;
	ne->bnext = t->nbucket[h & t->nbmask];
	if (ne->bnext != NO_IDX)
		t->ents[ne->bnext].bprev = e;
	t->nbucket[h & t->nbmask] = e;
	ne->cnext = t->slots[slot].idx_first;
	t->slots[slot].idx_first = e;
}

static void index_add(struct mx_chain_table *t, uint32_t slot, const struct mx_dname *name, uint8_t host)
{
	index_put(t, slot, name_key(&t->slots[slot].c.sender, name), host, false);
}

static void index_remove_chain(struct mx_chain_table *t, uint32_t slot)
{
	uint32_t e = t->slots[slot].idx_first;
	while (e != NO_IDX) {
		struct name_ent *ne = &t->ents[e];
		uint32_t next = ne->cnext;
		if (ne->bprev != NO_IDX)
			t->ents[ne->bprev].bnext = ne->bnext;
		else
			t->nbucket[ne->h & t->nbmask] = ne->bnext;
		if (ne->bnext != NO_IDX)
			t->ents[ne->bnext].bprev = ne->bprev;
		ne->used = false;
		t->ents[e].bnext = t->free_ent;
		t->free_ent = e;
		e = next;
	}
	t->slots[slot].idx_first = NO_IDX;
}

/* ---- history (sender, domain) --------------------------------------------- */

static uint64_t hist_key(const struct mx_addr *s, const struct mx_dname *d)
{
	return mx_dname_hash(d, mx_addr_hash(s, 0x6869));
}

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

static void hist_remove(struct mx_chain_table *t, uint32_t i)
{
	struct hist_ent *h = &t->hist[i];
	uint32_t *pp = &t->hbucket[hist_key(&h->sender, &h->domain) & t->hbmask];
	while (*pp != NO_IDX && *pp != i)
		pp = &t->hist[*pp].bnext;
	if (*pp == i)
		*pp = h->bnext;
	hist_unlink_lru(t, i);
	h->used = false;
	h->next = t->hfree;
	t->hfree = i;
	t->hcount--;
}

static uint32_t hist_get(struct mx_chain_table *t, const struct mx_addr *s, const struct mx_dname *d,
			 bool create)
{
	uint64_t k = hist_key(s, d);
	for (uint32_t i = t->hbucket[k & t->hbmask]; i != NO_IDX; i = t->hist[i].bnext) {
		struct hist_ent *h = &t->hist[i];
		if (mx_addr_eq(&h->sender, s) && mx_dname_eq(&h->domain, d)) {
			hist_unlink_lru(t, i);
			hist_push_lru(t, i);
			return i;
		}
	}
	if (!create)
		return NO_IDX;
	if (t->hfree == NO_IDX &&
	    grow((void **)&t->hist, &t->nhist, t->used_hist, t->o.max_history, sizeof(*t->hist))) {
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
	uint32_t i = t->hfree;
	t->hfree = t->hist[i].next;
	struct hist_ent *h = &t->hist[i];
	memset(h, 0, sizeof(*h));
	h->used = true;
	h->sender = *s;
	mx_dname_copy(&h->domain, d);
	h->open_slot = NO_IDX;
	h->bnext = t->hbucket[k & t->hbmask];
	t->hbucket[k & t->hbmask] = i;
	hist_push_lru(t, i);
	t->hcount++;
	return i;
}

/* ---- verdict --------------------------------------------------------------- */

static bool step_ok(const struct mx_chain_step *s)
{
	return s->asked && s->outcome == MX_O_ANSWER;
}

static bool step_fail(const struct mx_chain_step *s)
{
	/* a lookup the capture cut off has not failed: it is unknown */
	return s->asked && !s->pending && mx_outcome_is_fail(s->outcome);
}

/* FORMERR and NOTIMP are final for the stub resolver (glibc: NO_RECOVERY,
 * "Non-recoverable error"; Postfix bounces 5.4.3); SERVFAIL, REFUSED and
 * timeouts are "try again". */
static bool step_perm_fail(const struct mx_chain_step *s)
{
	return step_fail(s) && (s->outcome == MX_O_FORMERR || s->outcome == MX_O_NOTIMP);
}

static void set_verdict(struct mx_chain *c)
{
	if (c->mx.outcome == MX_O_NXDOMAIN) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = "the domain does not exist (MX NXDOMAIN)";
		return;
	}
	if (c->null_mx) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = "null MX: the domain accepts no mail (RFC 7505)";
		return;
	}
	bool any_asked = false, any_fail = false, any_ok = false, any_literal = false, any_pending = false;
	for (unsigned i = 0; i < c->n_hosts; i++) {
		const struct mx_chain_host *h = &c->hosts[i];
		if (h->ip_literal)
			any_literal = true;
		if (h->a.asked || h->aaaa.asked)
			any_asked = true;
		if (step_ok(&h->a) || step_ok(&h->aaaa))
			any_ok = true;
		if (step_fail(&h->a) || step_fail(&h->aaaa))
			any_fail = true;
		if ((h->a.asked && h->a.pending) || (h->aaaa.asked && h->aaaa.pending))
			any_pending = true;
	}
	if (any_ok) {
		c->verdict = MX_CHAIN_RESOLVED;
		c->why = c->mx.outcome == MX_O_ANSWER ? "an exchange has an address"
						      : "the domain's own address (implicit MX)";
		return;
	}
	if (step_perm_fail(&c->mx)) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = c->mx.outcome == MX_O_FORMERR
			? "the MX lookup was answered FORMERR (a stub resolver gives up: non-recoverable)"
			: "the MX lookup was answered NOTIMP (a stub resolver gives up: non-recoverable)";
		return;
	}
	if (step_fail(&c->mx)) {
		c->verdict = MX_CHAIN_DEFERRED;
		c->why = "the MX lookup failed temporarily";
		return;
	}
	if (any_fail) {
		c->verdict = MX_CHAIN_DEFERRED;
		c->why = "address lookups failed temporarily and none answered";
		return;
	}
	if (any_literal && !any_asked) {
		c->verdict = MX_CHAIN_RESOLVED;
		c->why = "the exchange is an IP literal (used without a lookup by some MTAs)";
		return;
	}
	if (c->mx.asked && c->mx.pending) {
		c->verdict = MX_CHAIN_INCOMPLETE;
		c->why = "the capture ended before the MX lookup was answered";
		return;
	}
	if (any_pending) {
		c->verdict = MX_CHAIN_INCOMPLETE;
		c->why = "the capture ended before an address lookup was answered";
		return;
	}
	if (any_asked) {
		c->verdict = MX_CHAIN_FAILED;
		c->why = c->mx.outcome == MX_O_ANSWER ? "no exchange has an address"
						      : "no MX and the domain has no address";
		return;
	}
	c->verdict = MX_CHAIN_INCOMPLETE;
	c->why = c->mx.outcome == MX_O_ANSWER ? "no address lookup of an exchange was seen"
					      : "no address lookup of the domain was seen";
}

/* ---- chain slots ------------------------------------------------------------ */

static void list_unlink(struct mx_chain_table *t, uint32_t i)
{
	struct chain_slot *s = &t->slots[i];
	if (s->prev != NO_IDX)
		t->slots[s->prev].next = s->next;
	else
		t->head = s->next;
	if (s->next != NO_IDX)
		t->slots[s->next].prev = s->prev;
	else
		t->tail = s->prev;
}

static void close_slot(struct mx_chain_table *t, uint32_t i, bool cut_short, bool evicted)
{
	struct chain_slot *s = &t->slots[i];
	struct mx_chain *c = &s->c;
	c->cut_short = cut_short;
	c->evicted = evicted;
	set_verdict(c);
	t->st.chains++;
	switch (c->verdict) {
	case MX_CHAIN_RESOLVED: t->st.resolved++; break;
	case MX_CHAIN_DEFERRED: t->st.deferred++; break;
	case MX_CHAIN_FAILED: t->st.failed++; break;
	case MX_CHAIN_INCOMPLETE: t->st.incomplete++; break;
	}
	uint32_t h = hist_get(t, &c->sender, &c->domain, false);
	if (h != NO_IDX && t->hist[h].open_slot == i)
		t->hist[h].open_slot = NO_IDX;
	if (t->cb.done)
		t->cb.done(t->cb.ctx, c);
	index_remove_chain(t, i);
	if (s->sprev != NO_IDX)
		t->slots[s->sprev].snext = s->snext;
	else
		t->sbucket[s->sbidx] = s->snext;
	if (s->snext != NO_IDX)
		t->slots[s->snext].sprev = s->sprev;
	list_unlink(t, i);
	s->used = false;
	s->next = t->free_slot;
	t->free_slot = i;
	t->open--;
}

static void step_merge(struct mx_chain_step *s, const struct mx_lookup *l)
{
	if (!s->asked)
		s->first_end_us = l->last_us;
	if (!s->asked || l->first_us < s->first_us)
		s->first_us = l->first_us;
	if (!s->asked || l->outcome <= s->outcome) {
		s->outcome = l->outcome;
		s->latency_us = l->latency_us;
		s->ede = l->ede;
		s->rcode = 0;
		for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++)
			if (l->tries[i].outcome == l->outcome && !l->tries[i].open) {
				s->rcode = l->tries[i].rcode;
				break;
			}
	}
	s->pending = l->pending_at_end && l->outcome == MX_O_TIMEOUT;
	s->asked = true;
	s->lookups++;
	s->attempts += l->attempts;
	if (l->last_us > s->end_us)
		s->end_us = l->last_us;
	s->lookup_seq = l->seq;
	for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *tr = &l->tries[i];
		if (tr->outcome == MX_O_TIMEOUT || tr->open)
			s->timeouts = true;
		uint64_t fr[2] = {tr->q_frame, tr->r_frame};
		for (unsigned k = 0; k < 2; k++) {
			if (!fr[k] || s->n_frames >= MX_CHAIN_MAX_FRAMES)
				continue;
			bool dup = false;
			for (unsigned j = 0; j < s->n_frames; j++)
				dup |= s->frames[j] == fr[k];
			if (!dup)
				s->frames[s->n_frames++] = fr[k];
		}
	}
	for (unsigned i = 0; i < l->n_resolvers; i++) {
		bool dup = false;
		for (unsigned j = 0; j < s->n_resolvers; j++)
			dup |= mx_addr_eq(&s->resolvers[j], &l->resolvers[i]);
		if (!dup && s->n_resolvers < MX_LOOKUP_MAX_RESOLVERS)
			s->resolvers[s->n_resolvers++] = l->resolvers[i];
	}
}

static bool looks_ip_literal(const struct mx_dname *n)
{
	/* four numeric labels 0-255, or a label with ':' or '[' (PATTERNS P7) */
	unsigned labels = 0, numeric = 0;
	size_t i = 0;
	while (i < n->len && n->wire[i]) {
		uint8_t ll = n->wire[i];
		bool num = ll > 0 && ll <= 3;
		unsigned v = 0;
		for (uint8_t k = 1; k <= ll && i + k < n->len; k++) {
			uint8_t ch = n->wire[i + k];
			if (ch == ':' || ch == '[' || ch == ']')
				return true;
			if (ch < '0' || ch > '9')
				num = false;
			else
				v = v * 10 + (unsigned)(ch - '0');
		}
		if (num && v <= 255)
			numeric++;
		labels++;
		i += (size_t)ll + 1;
	}
	return labels == 4 && numeric == 4;
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

static int add_host(struct mx_chain *c, const struct mx_dname *name, uint16_t pref, bool implicit)
{
	for (unsigned i = 0; i < c->n_hosts; i++)
		if (mx_dname_eq(&c->hosts[i].name, name))
			return (int)i;
	if (c->n_hosts >= MX_CHAIN_MAX_HOSTS)
		return -1;
	struct mx_chain_host *h = &c->hosts[c->n_hosts];
	memset(h, 0, sizeof(*h));
	mx_dname_copy(&h->name, name);
	h->pref = pref;
	h->implicit = implicit;
	h->ip_literal = looks_ip_literal(name);
	h->a.ede = h->aaaa.ede = h->tlsa.ede = 0xffff;
	return (int)c->n_hosts++;
}

static void fill_from_mx(struct mx_chain_table *t, uint32_t slot, const struct mx_lookup *l)
{
	struct mx_chain *c = &t->slots[slot].c;
	const struct mx_dns_msg *m = l->answer;
	if (m && l->outcome == MX_O_ANSWER) {
		bool root = false, other = false;
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
				root = true;
				continue;
			}
			other = true;
			if (c->n_hosts >= MX_CHAIN_MAX_HOSTS)
				continue;
			int hi = add_host(c, &r->exchange, r->pref, false);
			if (hi < 0)
				continue;
			index_add(t, slot, &r->exchange, (uint8_t)hi);
			/* an address literal is its own address (Postfix connects to
			 * it without a lookup): a SYN to it belongs to this chain */
			struct mx_chain_host *ho = &c->hosts[hi];
			struct mx_addr lit;
			if (ho->ip_literal && ho->n_addrs == 0 && literal_addr4(&ho->name, &lit)) {
				ho->addrs[ho->n_addrs++] = lit;
				index_put(t, slot, addr_key(&c->sender, &lit), (uint8_t)hi, true);
			}
		}
		c->hosts_total = (uint8_t)(m->mx_total > 255 ? 255 : m->mx_total);
		c->null_mx = root && !other;
		c->null_mx_mixed = root && other;
	} else if (l->outcome == MX_O_NODATA || l->outcome == MX_O_NXDOMAIN) {
		/* implicit MX (RFC 5321 §5.1); Postfix also asks A/AAAA of D after NXDOMAIN */
		int hi = add_host(c, &c->domain, 0, true);
		if (hi >= 0)
			index_add(t, slot, &c->domain, (uint8_t)hi);
	} else {
		/* failed MX: a sender with ignore_mx_lookup_error may still ask D */
		int hi = add_host(c, &c->domain, 0, true);
		if (hi >= 0)
			index_add(t, slot, &c->domain, (uint8_t)hi);
	}
	if (m && m->has_soa) {
		mx_dname_copy(&c->soa_owner, &m->soa_owner);
		c->neg_ttl = m->neg_ttl;
	} else if (l->has_soa) {
		c->neg_ttl = l->neg_ttl;
	}
}

static uint32_t open_chain(struct mx_chain_table *t, const struct mx_lookup *l)
{
	if (t->free_slot == NO_IDX &&
	    grow((void **)&t->slots, &t->nslots, t->used_slots, t->o.max_open, sizeof(*t->slots))) {
		t->slots[t->used_slots].next = NO_IDX;
		t->free_slot = (uint32_t)t->used_slots++;
	}
	if (t->free_slot == NO_IDX) {
		/* evict the oldest open chain: report it cut short by the cap */
		t->st.evicted++;
		close_slot(t, t->head, false, true);
	}
	uint32_t i = t->free_slot;
	struct chain_slot *s = &t->slots[i];
	t->free_slot = s->next;
	/* clear all but the host slots (~12 KB): add_host() clears each host it uses */
	memset(s, 0, offsetof(struct chain_slot, c) + offsetof(struct mx_chain, hosts));
	memset(&s->c.verdict, 0, sizeof(s->c) - offsetof(struct mx_chain, verdict));
	s->used = true;
	s->idx_first = NO_IDX;
	s->prev = t->tail;
	s->next = NO_IDX;
	if (t->tail != NO_IDX)
		t->slots[t->tail].next = i;
	else
		t->head = i;
	t->tail = i;
	t->open++;
	struct mx_chain *c = &s->c;
	c->seq = ++t->seq;
	c->sender = l->client;
	s->sbidx = (uint32_t)(mx_addr_hash(&c->sender, 0x5e) & t->sbmask);
	s->sprev = NO_IDX;
	s->snext = t->sbucket[s->sbidx];
	if (s->snext != NO_IDX)
		t->slots[s->snext].sprev = i;
	t->sbucket[s->sbidx] = i;
	mx_dname_copy(&c->domain, &l->qname);
	c->start_us = l->first_us;
	c->end_us = l->last_us;
	c->mx.ede = 0xffff;
	return i;
}

static void observe_mx(struct mx_chain_table *t, const struct mx_lookup *l)
{
	uint32_t h = hist_get(t, &l->client, &l->qname, true);
	uint32_t slot = NO_IDX;
	if (h != NO_IDX && t->hist[h].open_slot != NO_IDX) {
		struct chain_slot *s = &t->slots[t->hist[h].open_slot];
		if (s->used && l->first_us < t->hist[h].last_start + t->o.min_retry_gap_us)
			slot = t->hist[h].open_slot; /* same attempt: asked MX again */
	}
	if (slot == NO_IDX) {
		if (h != NO_IDX && t->hist[h].open_slot != NO_IDX && t->slots[t->hist[h].open_slot].used)
			close_slot(t, t->hist[h].open_slot, false, false); /* the next attempt starts */
		slot = open_chain(t, l);
		if (h != NO_IDX) {
			struct hist_ent *he = &t->hist[h];
			if (he->attempts == 0 || l->first_us >= he->last_start + t->o.min_retry_gap_us ||
			    l->first_us < he->last_start)
				he->attempts++;
			t->slots[slot].c.prev_start_us = he->attempts > 1 ? he->last_start : 0;
			he->last_start = l->first_us;
			he->open_slot = slot;
			t->slots[slot].c.attempt = he->attempts;
		} else {
			t->slots[slot].c.attempt = 1;
		}
	}
	struct chain_slot *s = &t->slots[slot];
	bool first = !s->c.mx.asked;
	step_merge(&s->c.mx, l);
	if (first || l->outcome == MX_O_ANSWER)
		fill_from_mx(t, slot, l);
	if (l->last_us > s->c.end_us)
		s->c.end_us = l->last_us;
	s->close_us = l->last_us + t->o.chain_window_us + t->o.retx_gap_us;
}

static void join_lookup(struct mx_chain_table *t, uint32_t slot, uint8_t hi, const struct mx_lookup *l,
			bool tlsa)
{
	struct chain_slot *s = &t->slots[slot];
	struct mx_chain *c = &s->c;
	if (hi >= c->n_hosts)
		return;
	/* the member's first query must fall inside the chain's window */
	if (l->first_us < c->start_us ||
	    l->first_us > c->mx.end_us + t->o.chain_window_us)
		return;
	struct mx_chain_host *h = &c->hosts[hi];
	t->st.lookups_joined++;
	if (tlsa) {
		step_merge(&h->tlsa, l);
	} else {
		bool v6 = l->qtype == MX_TYPE_AAAA;
		struct mx_chain_step *st = v6 ? &h->aaaa : &h->a;
		const struct mx_chain_step *other = v6 ? &h->a : &h->aaaa;
		if (!h->first_family || (other->asked && l->first_us < other->first_us && !st->asked))
			h->first_family = v6 ? 6 : 4;
		if (other->asked && !st->asked && other->first_us < l->first_us)
			h->first_family = v6 ? 4 : 6;
		step_merge(st, l);
		const struct mx_dns_msg *m = l->answer;
		if (m) {
			for (unsigned i = 0; i < m->n_addr && h->n_addrs < MX_CHAIN_MAX_ADDRS; i++) {
				bool dup = false;
				for (unsigned j = 0; j < h->n_addrs; j++)
					dup |= mx_addr_eq(&h->addrs[j], &m->addr[i].addr);
				if (!dup) {
					h->addrs[h->n_addrs++] = m->addr[i].addr;
					index_put(t, slot, addr_key(&c->sender, &m->addr[i].addr), hi, true);
				}
			}
			if (m->n_cname > 0) {
				mx_dname_copy(&h->cname, &m->cname[m->n_cname - 1]);
				h->cname_loop = m->cname_loop;
				index_add(t, slot, &h->cname, hi);
			}
		}
	}
	if (l->last_us > c->end_us)
		c->end_us = l->last_us;
}

/* "_25._tcp.mx1.example" -> "mx1.example"; false if not that shape. */
static bool strip_tlsa(const struct mx_dname *q, struct mx_dname *out)
{
	static const uint8_t pre[] = {3, '_', '2', '5', 4, '_', 't', 'c', 'p'};
	if (q->len <= sizeof pre || memcmp(q->wire, pre, sizeof pre) != 0)
		return false;
	out->len = (uint8_t)(q->len - sizeof pre);
	out->labels = (uint8_t)(q->labels - 2);
	memcpy(out->wire, q->wire + sizeof pre, out->len);
	return true;
}

static void observe_member(struct mx_chain_table *t, const struct mx_lookup *l)
{
	struct mx_dname base;
	const struct mx_dname *name = &l->qname;
	bool tlsa = l->qtype == MX_TYPE_TLSA;
	if (tlsa) {
		if (!strip_tlsa(&l->qname, &base))
			return;
		name = &base;
	}
	uint64_t h = name_key(&l->client, name);
	/* collect matches first: joining may add index entries (CNAME targets) */
	uint32_t hits[32];
	uint8_t hosts[32];
	unsigned n = 0;
	for (uint32_t e = t->nbucket[h & t->nbmask]; e != NO_IDX && n < 32; e = t->ents[e].bnext) {
		const struct name_ent *ne = &t->ents[e];
		if (ne->h != h)
			continue;
		const struct mx_chain *c = &t->slots[ne->slot].c;
		if (!mx_addr_eq(&c->sender, &l->client))
			continue;
		const struct mx_chain_host *ho = &c->hosts[ne->host];
		if (!mx_dname_eq(&ho->name, name) && !mx_dname_eq(&ho->cname, name))
			continue;
		hits[n] = ne->slot;
		hosts[n] = ne->host;
		n++;
	}
	for (unsigned i = 0; i < n; i++)
		join_lookup(t, hits[i], hosts[i], l, tlsa);
}

void mx_chain_observe_lookup(struct mx_chain_table *t, const struct mx_lookup *l)
{
	if (!l->rd || l->qclass != 1)
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

void mx_chain_observe_tcp(struct mx_chain_table *t, const struct mx_tcpctl *s)
{
	if (!s->syn || s->ack || s->dport != 25)
		return;
	t->st.syns++;
	uint64_t k = addr_key(&s->src, &s->dst);
	bool any = false;
	for (uint32_t e = t->nbucket[k & t->nbmask]; e != NO_IDX; e = t->ents[e].bnext) {
		const struct name_ent *ne = &t->ents[e];
		if (ne->h != k || !ne->is_addr)
			continue;
		struct mx_chain *c = &t->slots[ne->slot].c;
		struct mx_chain_host *ho = &c->hosts[ne->host];
		if (!mx_addr_eq(&c->sender, &s->src))
			continue;
		bool hit = false;
		for (unsigned a = 0; a < ho->n_addrs && !hit; a++)
			hit = mx_addr_eq(&ho->addrs[a], &s->dst);
		if (!hit)
			continue;
		any = true;
		ho->connected = true;
		if (!c->connected) {
			c->connected = true;
			c->connected_to = s->dst;
			c->syn_frame = s->frame;
		}
	}
	if (any)
		return;
	/* a connection no open chain of this sender explains (an address from
	 * a cache, a relayhost, a lookup outside the capture) */
	for (uint32_t i = t->sbucket[mx_addr_hash(&s->src, 0x5e) & t->sbmask]; i != NO_IDX;
	     i = t->slots[i].snext)
		if (mx_addr_eq(&t->slots[i].c.sender, &s->src))
			t->slots[i].c.syn_other++;
}

void mx_chain_tick(struct mx_chain_table *t, uint64_t now_us)
{
	if (now_us > t->now)
		t->now = now_us;
	/* chains close in start order: a chain whose window was extended (the
	 * MX asked again) holds back the ones behind it, which only delays them */
	while (t->head != NO_IDX && t->slots[t->head].close_us <= t->now)
		close_slot(t, t->head, false, false);
}

void mx_chain_finish(struct mx_chain_table *t, uint64_t end_us)
{
	if (end_us > t->now)
		t->now = end_us;
	while (t->head != NO_IDX) {
		uint32_t i = t->head;
		close_slot(t, i, t->slots[i].close_us > t->now, false);
	}
}
