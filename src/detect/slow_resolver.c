/* slow_resolver.c - P9 SLOW_RESOLVER: latency percentiles per resolver, and
 * SLOW_CHAIN: a mail resolution chain that takes more than 10 s.
 *
 * Per resolver over stats_window, answered RD=1 transactions: a histogram
 * (mxsniff/hist.h, the model's buckets: at most 1/32 above the true value)
 * gives p50/p95, judged and printed as the Resolvers table shows them. With
 * at least min_samples answers: WARN at p95 >= slow_warn_p95 or p50 >=
 * slow_warn_p50, ERROR at p95 >= slow_error_p95 (near glibc's 5 s try;
 * unbound drops replies after 1.9 s). With fewer samples the obvious still
 * counts: slow_min_obvious answers that each took >= slow_warn_p95 (or >=
 * slow_error_p95) are a slow resolver, and the detail says it was judged on
 * those few.
 *
 * Memory: one histogram per resolver slot, reset at each window: answered
 * latencies are below the answer timeout (at most 3600 s < 2^32 us), so
 * MX_HIST_BUCKETS(32) = 896 uint32_t counters, 3.5 KiB a resolver, 224 KiB
 * for the RES = 64 slots; with the evidence rows a slot is 5.3 KiB and the
 * state 338 KiB (the old 108 quarter-power buckets: 141 KiB). The core
 * zeroes it with calloc, so only the slots resolvers use are touched.
 * Evidence: the EV slowest answers of the window, shown in frame order.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "mxsniff/hist.h"
#include "key_inline.h"

#define RES 64
#define HIST_TOP_EXP 32u /* 2^32 us ~ 71 min: above any answer timeout */
#define NB MX_HIST_BUCKETS(HIST_TOP_EXP)
#define EV 4

struct res {
	struct mx_addr addr;
	uint64_t n, over_warn, over_error, max_us, first_us, last_us;
	uint16_t n_ev;
	struct mx_evidence ev[EV];  /* the slowest answers */
	uint32_t hist[NB];
};

struct st {
	struct mx_slot hdr[RES];   /* the table's keys, apart: a probe reads 16 bytes an entry */
	struct res res[RES];
	uint64_t clock, win_start;
};

/* pending: NULL when the window ended (the finding is made), else why the
 * finding is pending (on_pending) */
static void judge(const struct res *r, const struct mx_detect_ctx *c, struct mx_emit *e, const char *pending)
{
	const struct mx_detect_opts *o = c->opts;
	if (r->n == 0)
		return;
	uint64_t p50 = mx_hist_pct32(r->hist, NB, r->n, r->max_us, 50);
	uint64_t p95 = mx_hist_pct32(r->hist, NB, r->n, r->max_us, 95);
	enum mx_sev sev;
	bool few = r->n < o->min_samples;
	uint64_t obvious = 0, obvious_us = 0;  /* with few: how many took >= what */
	if (!few) {
		if (p95 >= o->slow_error_p95_us)
			sev = MX_SEV_ERROR;
		else if (p95 >= o->slow_warn_p95_us || p50 >= o->slow_warn_p50_us)
			sev = MX_SEV_WARN;
		else
			return;
	} else {
		if (r->over_error >= o->slow_min_obvious) {
			sev = MX_SEV_ERROR;
			obvious = r->over_error;
			obvious_us = o->slow_error_p95_us;
		} else if (r->over_warn >= o->slow_min_obvious) {
			sev = MX_SEV_WARN;
			obvious = r->over_warn;
			obvious_us = o->slow_warn_p95_us;
		} else {
			return;
		}
	}
	struct mx_finding f;
	char rs[MX_ADDR_STRLEN];
	mx_addr_format(&r->addr, rs, sizeof rs);
	mx_finding_init(&f, "SLOW_RESOLVER", sev);
	f.title = "the resolver answers slowly";
	mx_finding_add_resolver(&f, &r->addr);
	f.first_us = r->first_us;
	f.last_us = r->last_us;
	f.count = r->n;
	char m50[24], m95[24], mmax[24];
	mx_finding_detail(&f, "%llu answers: p50 %s ms, p95 %s ms, max %s ms", (unsigned long long)r->n,
			  mx_finding_ms(p50, m50, sizeof m50), mx_finding_ms(p95, m95, sizeof m95),
			  mx_finding_ms(r->max_us, mmax, sizeof mmax));
	if (few)
		mx_finding_detail(&f, "judged on %llu answers (fewer than %u) because %llu took >= %.0f ms",
				  (unsigned long long)r->n, o->min_samples, (unsigned long long)obvious,
				  (double)obvious_us / 1000.0);
	else
		mx_finding_detail(&f, "%llu took >= %.0f ms", (unsigned long long)r->over_warn,
				  (double)o->slow_warn_p95_us / 1000.0);
	/* the slowest answers, in frame order as every finding's rows */
	const struct mx_evidence *ev[EV];
	unsigned n_ev = 0;
	for (unsigned i = 0; i < r->n_ev; i++) {
		unsigned at = n_ev++;
		while (at > 0 && ev[at - 1]->frame > r->ev[i].frame) {
			ev[at] = ev[at - 1];
			at--;
		}
		ev[at] = &r->ev[i];
	}
	for (unsigned i = 0; i < n_ev; i++) {
		mx_finding_add_frame(&f, ev[i]->frame);
		f.evidence[f.n_evidence++] = *ev[i];
	}
	f.smtp_status = "when lookups outlast the MTA: Messaging Gateway \"421 4.4.4 [internal] domain does not "
			"resolve\"; Exchange \"451 4.4.0 DNS query failed\" (ErrorTimeout); Postfix 4.4.3 "
			"\"Host not found, try again\"";
	f.cause = "an overloaded or distant resolver, slow forwarders, or slow authoritative servers for the "
		  "names asked (compare with other resolvers' latency for the same names)";
	f.fix = "run a local caching resolver on the mail host; remove slow or dead forwarders";
	mx_finding_verify(&f, "dig . SOA @%s | grep 'Query time'", rs);
	f.pending = pending;
	mx_emit(e, &f);
}

static void flush(struct st *s, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	for (unsigned i = 0; i < RES; i++)
		if (s->hdr[i].used) {
			judge(&s->res[i], c, e, NULL);
			/* the entry is reset when a resolver takes the slot; n = 0
			 * says it holds no answers to judge then (an eviction) */
			s->res[i].n = 0;
			memset(&s->hdr[i], 0, sizeof s->hdr[i]);
		}
	s->win_start = c->now_us;
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (!t->rd || t->kind != MX_TXN_ANSWERED || !mx_detect_is_sender(c->opts, &t->client))
		return;
	if (s->win_start == 0)
		s->win_start = t->q_ts;
	bool fresh;
	struct res *r = &s->res[MX_SLOT_INDEX_PK(c, MX_PK_SLOW, s->hdr, mx_key_addr_inline(&t->server, MX_SALT_SLOW), &s->clock, &fresh)];
	if (fresh) {
		/* a resolver evicted by more than RES in one window: judged on
		 * its answers so far, as at the window's end, not dropped */
		if (r->n)
			judge(r, c, e, NULL);
		memset(r, 0, sizeof(*r));  /* (5.3 KiB, once a resolver and window) */
		r->addr = t->server;
		r->first_us = t->q_ts;
	}
	r->n++;
	r->last_us = t->r_ts;
	r->hist[mx_hist_index(t->latency_us, HIST_TOP_EXP)]++;
	if (t->latency_us > r->max_us)
		r->max_us = t->latency_us;
	if (t->latency_us >= c->opts->slow_warn_p95_us)
		r->over_warn++;
	if (t->latency_us >= c->opts->slow_error_p95_us)
		r->over_error++;
	if (t->latency_us >= c->opts->slow_warn_p95_us) {
		/* keep the slowest answers as evidence */
		unsigned at = r->n_ev < EV ? r->n_ev++ : EV;
		if (at == EV) {
			unsigned min = 0;
			for (unsigned i = 1; i < EV; i++)
				if (r->ev[i].latency_us < r->ev[min].latency_us)
					min = i;
			if (r->ev[min].latency_us >= t->latency_us)
				return;
			at = min;
		}
		struct mx_evidence *ev = &r->ev[at];
		memset(ev, 0, sizeof(*ev));
		ev->frame = t->r_frame;
		ev->ts_us = t->r_ts;
		ev->from = t->server;
		ev->to = t->client;
		ev->response = true;
		mx_dname_copy(&ev->qname, &t->qname);
		ev->qtype = t->qtype;
		ev->outcome = t->outcome;
		ev->rcode = t->rcode;
		ev->ede = t->ede;
		ev->latency_us = t->latency_us;
	}
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	if (s->win_start && c->now_us >= s->win_start + c->opts->stats_window_us)
		flush(s, c, e);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	flush(vs, c, e);
}

/* The current window's resolvers as they would be judged if it ended now. */
static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	const struct st *s = vs;
	for (unsigned i = 0; i < RES; i++)
		if (s->hdr[i].used)
			judge(&s->res[i], c, e, "the latencies of the current --stats-window so far: judged when the "
						"window ends");
}

/* SLOW_CHAIN is one finding per sender and resolver (its first resolver:
 * the MX step's), not one per domain: a slow resolver makes every chain of
 * the sender slow at once (lab-ratelimit-drop: six domains, each 15 s,
 * each lookup losing its first query to a rate limit), and the resolver
 * findings say why. Its texts are deferred (mx_finding_defer: a flood of
 * slow chains evicts most of its findings before they are shown): the raw
 * record is the latest slow chain's resolution time in us (8 bytes) and
 * its domain (len, labels, wire); the detail counts the merged chains. */
struct slow_raw {
	uint64_t us;
	uint8_t len, labels;
	uint8_t wire[MX_DNAME_MAX];
};
_Static_assert(sizeof(struct slow_raw) <= sizeof(((struct mx_finding *)0)->detail) - 2, "raw fits detail");

static void raw_domain(const uint8_t *raw, size_t n, struct slow_raw *r, struct mx_dname *d)
{
	memset(r, 0, sizeof *r);
	memcpy(r, raw, n < sizeof *r ? n : sizeof *r);
	memset(d, 0, sizeof *d);
	d->len = r->len;
	d->labels = r->labels;
	memcpy(d->wire, r->wire, r->len);
}

static void chain_detail(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	char dn[MX_DNAME_STRLEN];
	struct slow_raw r;
	struct mx_dname d;
	raw_domain(raw, n, &r, &d);
	mx_dname_format(&d, dn, sizeof dn);
	if (f->count > 1)
		mx_finding_detail(f, "%" PRIu64 " chains took over 10 s; the latest: MX to last address answer for %s: %.1f s",
				  f->count, dn, (double)r.us / 1e6);
	else
		mx_finding_detail(f, "MX to last address answer for %s: %.1f s", dn, (double)r.us / 1e6);
}

static void chain_verify(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	char dn[MX_DNAME_STRLEN];
	struct slow_raw r;
	struct mx_dname d;
	raw_domain(raw, n, &r, &d);
	mx_dname_format(&d, dn, sizeof dn);
	mx_finding_verify(f, "dig MX %s", dn);
}

static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)vs;
	if (!ch->mx.asked || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	/* to the end of each slot's FIRST lookup: later lookups of a shared MX
	 * host (another domain's delivery) join open chains but are not this
	 * chain's resolution time */
	uint64_t end = ch->mx.first_end_us;
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->a.asked && h->a.first_end_us > end)
			end = h->a.first_end_us;
		if (h->aaaa.asked && h->aaaa.first_end_us > end)
			end = h->aaaa.first_end_us;
	}
	/* a connected sender had resolved what it needed by its SYN: later
	 * queries of the same names (another program, the next message) may
	 * have joined the steps' lookups as retries */
	if (ch->connected && ch->syn_us && ch->syn_us < end)
		end = ch->syn_us;
	if (ch->verdict != MX_CHAIN_RESOLVED || end < ch->start_us + 10000000ULL)
		return;
	struct mx_finding f;
	mx_finding_init(&f, "SLOW_CHAIN", MX_SEV_WARN);
	f.title = "resolving the recipient domains' mail hosts took more than 10 seconds";
	f.sender = ch->sender;
	/* no domain: the sender's slow chains merge (per resolver) */
	mx_finding_add_step(c, &f, &ch->mx);
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		mx_finding_add_step(c, &f, &ch->hosts[i].a);
		mx_finding_add_step(c, &f, &ch->hosts[i].aaaa);
	}
	struct slow_raw r;
	memset(&r, 0, sizeof r);
	r.us = end - ch->start_us;
	r.len = ch->domain.len;
	r.labels = ch->domain.labels;
	memcpy(r.wire, ch->domain.wire, ch->domain.len);
	size_t rn = offsetof(struct slow_raw, wire) + r.len;
	mx_finding_defer(&f, false, chain_detail, &r, rn);
	f.smtp_status = "none if the MTA waits; MTAs with short DNS timeouts defer 4.4.3 or 421 4.4.4";
	f.cause = "retransmissions and slow answers add up along the chain (see the resolver findings)";
	f.fix = "a local caching resolver on the mail host; remove dead resolvers from the list";
	mx_finding_defer(&f, true, chain_verify, &r, rn);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_slow_resolver = {
	.id = "SLOW_RESOLVER",
	.pattern = "P9",
	.emits = "SLOW_RESOLVER,SLOW_CHAIN",
	.summary = "resolver latency p50/p95 over the thresholds, or mail chains that take over 10 s (one SLOW_CHAIN per sender and resolver)",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_chain = on_chain,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
