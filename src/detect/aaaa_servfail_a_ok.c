/* aaaa_servfail_a_ok.c - P2 AAAA_SERVFAIL_A_OK: the name fails for AAAA but
 * resolves for A (RFC 4074 at the recipient's authoritative servers).
 *
 * For one name and one resolver (any sender): a AAAA lookup whose final
 * outcome is SERVFAIL or TIMEOUT and an A lookup with an ANSWER, within 60 s
 * of each other, in either order. WARN: A-first and fallback MTAs still
 * deliver over IPv4; P1 reports the senders that do not. Root-cause hints
 * from the AAAA latency and EDE.
 *
 * Beyond PATTERNS.md P2: AAAA NXDOMAIN beside an A answer is the other
 * RFC 4074 misbehaviour (§4.2, "Name Error" for a name that exists); the
 * lab capture lab-auth-aaaa-nxdomain shows it reaching the sender. Same
 * pattern, its own wording: an MTA that takes NXDOMAIN at its word bounces.
 *
 * Not the AAAA type's: an AAAA REFUSED (or timed out) while the same
 * resolver refused (or dropped) the same client's queries of other types
 * within BURST_US of it. A rate limit (lab-ratelimit-refused: dnsdist
 * MaxQPSIPRule) refuses whatever comes once its bucket is empty, A and MX
 * too, and an A answered just before reads as "AAAA only";
 * RESOLVER_REFUSED and RESOLVER_TIMEOUT report those. on_txn keeps, per
 * (client, resolver), the query times of the last BURST_KEEP such
 * non-AAAA failures. Only failures seen before the pair is judged count.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define KEEP 64
#define PAIR_US 60000000ULL
#define BURST_US 10000000ULL
#define BURST_SLOTS 256
#define BURST_KEEP 4

/* A (client, resolver)'s latest non-AAAA refusals and lost queries. */
struct burst {
	uint64_t key;
	uint64_t refused_us[BURST_KEEP], lost_us[BURST_KEEP]; /* query times, 0 = none */
	uint8_t nr, nl;                                       /* next positions */
};

struct st {
	/* name fingerprints of the rings' entries (0 = empty): a scan reads
	 * these, and a kept lookup only where the name may match */
	uint64_t fp_aaaa[KEEP], fp_a[KEEP];
	/* the lookups, kept as briefs (mx_lookup_brief_put: ~100 bytes written
	 * instead of a 1.4 KiB struct; answer NULL when read back) */
	_Alignas(64) uint8_t aaaa[KEEP][MX_LOOKUP_BRIEF_MAX];   /* recent failed AAAA lookups */
	_Alignas(64) uint8_t a[KEEP][MX_LOOKUP_BRIEF_MAX];      /* recent answered A lookups */
	unsigned na, nb;               /* ring positions */
	/* how many of each ring's fingerprints have each top byte: a lookup
	 * whose byte counts zero in the other ring cannot match there, and
	 * most A answers skip the 64-entry scan (the scan, when it runs, is
	 * the same as without the counts) */
	uint8_t nfp_aaaa[256], nfp_a[256];
	struct burst burst[BURST_SLOTS]; /* direct-mapped on the pair's key */
};

/* Ring position pos of fps (counted in nfp) gets fingerprint fp. */
static void fp_set(uint64_t *fps, uint8_t *nfp, unsigned pos, uint64_t fp)
{
	if (fps[pos])
		nfp[fps[pos] >> 56]--;
	fps[pos] = fp;
	nfp[fp >> 56]++;
}

static uint64_t fingerprint(const struct mx_dname *n)
{
	return mx_hash_bytes_inline_(n->wire, n->len, 0x2a0) | 1; /* = mx_dname_hash(n, 0x2a0) | 1 */
}

/* The try whose response decided the lookup's outcome, or NULL (no
 * response decided it: a timeout). */
static const struct mx_lookup_try *deciding(const struct mx_lookup *l)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	for (unsigned i = 0; l->decided_frame && i < nt; i++)
		if (l->tries[i].r_frame == l->decided_frame)
			return &l->tries[i];
	return NULL;
}

/* A resolver both lookups used: the one that gave x (the AAAA) its outcome
 * when y asked it too (after a failover the first resolver of x is the
 * silent one), else the first in common. */
static bool share_resolver(const struct mx_lookup *x, const struct mx_lookup *y, struct mx_addr *out)
{
	const struct mx_lookup_try *d = deciding(x);
	for (unsigned j = 0; d && j < y->n_resolvers; j++)
		if (mx_addr_eq(&d->server, &y->resolvers[j])) {
			*out = d->server;
			return true;
		}
	for (unsigned i = 0; i < x->n_resolvers; i++)
		for (unsigned j = 0; j < y->n_resolvers; j++)
			if (mx_addr_eq(&x->resolvers[i], &y->resolvers[j])) {
				*out = x->resolvers[i];
				return true;
			}
	return false;
}

static bool near(const struct mx_lookup *x, const struct mx_lookup *y)
{
	uint64_t a = x->first_us, b = y->first_us;
	return (a > b ? a - b : b - a) <= PAIR_US;
}

/* The texts are deferred (mx_finding_defer): a name's pair recurs and
 * merges into one finding, whose detail is the latest pair's and verify
 * lines the first one's. The detail's raw record is what it reads of the
 * two lookups; the name is the finding's host, the resolver in both raw
 * records. */
struct pair_raw {
	struct mx_addr r;
	uint64_t v6_latency_us, v4_latency_us, dec_lat;
	uint32_t attempts;
	uint16_t ede;
	uint8_t outcome, try_timed_out;
	uint8_t n_fail_res;   /* resolvers that answered the AAAA with its outcome */
};

static void pair_detail(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	struct pair_raw p;
	char hn[MX_DNAME_STRLEN], zn[MX_DNAME_STRLEN];
	struct mx_dname zone;
	(void)n;
	memcpy(&p, raw, sizeof p);
	enum mx_outcome outcome = (enum mx_outcome)p.outcome;
	mx_dname_format(&f->host, hn, sizeof hn);
	mx_dname_suffix(&f->host, 2, &zone);
	mx_dname_format(&zone, zn, sizeof zn);
	char m4[24], m6[24], md[24];
	mx_finding_ms(p.v4_latency_us, m4, sizeof m4);
	if (outcome == MX_O_TIMEOUT)
		mx_finding_detail(f, "AAAA %s got no answer (%u queries); A answered in %s ms", hn, p.attempts, m4);
	else if (outcome == MX_O_NXDOMAIN)
		mx_finding_detail(f, "AAAA %s NXDOMAIN although A answered (in %s ms): the name \"does not "
				  "exist\" for AAAA only (RFC 4074 §4.2)", hn, m4);
	else if (p.attempts > 1 && p.dec_lat != p.v6_latency_us)
		mx_finding_detail(f, "AAAA %s lookup ended %s %.1f s after its first query (%u queries, the "
				  "deciding one answered in %s ms); A answered in %s ms", hn,
				  mx_outcome_name(outcome), (double)p.v6_latency_us / 1e6, p.attempts,
				  mx_finding_ms(p.dec_lat, md, sizeof md), m4);
	else
		mx_finding_detail(f, "AAAA %s %s after %s ms; A answered in %s ms", hn,
				  mx_outcome_name(outcome), mx_finding_ms(p.v6_latency_us, m6, sizeof m6), m4);
	/* The root-cause hints (PATTERNS P2) read a failure's latency; an
	 * NXDOMAIN is an answer, its cause is said above and in f.cause. */
	bool failed = outcome != MX_O_NXDOMAIN;
	bool type_rcode = outcome == MX_O_REFUSED || outcome == MX_O_NOTIMP || outcome == MX_O_FORMERR;
	if (type_rcode)
		mx_finding_detail(f, "%s for AAAA only, A answered by the same server: a DNS proxy, firewall or "
				  "old server that does not know the AAAA type (RFC 4074 §4)",
				  mx_outcome_name(outcome));
	else if (failed && (outcome == MX_O_TIMEOUT || p.dec_lat >= 1500000ULL || p.try_timed_out ||
		       p.ede == 22 || p.ede == 23))
		mx_finding_detail(f, "slow or no AAAA answer: the authoritative servers of %s ignore AAAA "
				  "queries or are lame for them", zn);
	else if (failed && p.dec_lat < 50000ULL)
		mx_finding_detail(f, "fast SERVFAIL: a cached failure (RFC 9520) or the resolver rejected a "
				  "broken response");
	if (p.n_fail_res >= 2)
		mx_finding_detail(f, "%u resolvers answered the AAAA %s: the name's servers, not one resolver",
				  p.n_fail_res, mx_outcome_name(outcome));
	if (p.ede != 0xffff)
		mx_finding_detail(f, "EDE %u %s%s", p.ede, mx_dns_ede_name(p.ede),
				  p.ede >= 6 && p.ede <= 12 ? ": DNSSEC denial of existence for AAAA is broken" : "");
}

static void pair_verify(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	struct mx_addr r;
	char hn[MX_DNAME_STRLEN], zn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
	struct mx_dname zone;
	(void)n;
	memcpy(&r, raw, sizeof r);
	mx_dname_format(&f->host, hn, sizeof hn);
	mx_dname_suffix(&f->host, 2, &zone);
	mx_dname_format(&zone, zn, sizeof zn);
	mx_addr_format(&r, rs, sizeof rs);
	mx_finding_verify(f, "dig AAAA %s @%s", hn, rs);
	mx_finding_verify(f, "dig +short NS %s", zn);
	mx_finding_verify(f, "dig +norec AAAA %s @<each NS of %s>", hn, zn);
}

static void emit_pair(const struct mx_lookup *v6, const struct mx_lookup *v4, const struct mx_addr *r,
		      struct mx_emit *e)
{
	/* A FORMERR to an AAAA query with OPT beside an A answer to one
	 * without is the server rejecting EDNS (EDNS_FORMERR's), not AAAA */
	if (v6->outcome == MX_O_FORMERR && v6->q_edns && !v4->q_edns)
		return;
	struct mx_finding f;
	mx_finding_init(&f, "AAAA_SERVFAIL_A_OK", MX_SEV_WARN);
	f.title = "a name fails for AAAA but resolves for A (RFC 4074 misbehaviour)";
	mx_finding_add_resolver(&f, r);
	mx_dname_copy(&f.host, &v6->qname);
	f.qtype = MX_TYPE_AAAA;
	mx_finding_add_lookup(&f, v6);
	mx_finding_add_lookup(&f, v4);
	/* The try that decided the outcome, and whether an earlier try got no
	 * answer: a lookup may merge retries minutes apart (a later client
	 * finding a cached failure), so its latency from the first query is
	 * not the resolver's answer time. */
	/* A try that timed out counts only at the resolver that gave the
	 * outcome: a silent first resolver the sender failed over from says
	 * nothing about the name's servers (PRIMARY_FAILOVER's). Likewise the
	 * A's time is its deciding query's, without the failover wait. */
	const struct mx_lookup_try *d6 = deciding(v6), *d4 = deciding(v4);
	uint64_t dec_lat = d6 ? d6->latency_us : v6->latency_us;
	bool try_timed_out = false;
	struct mx_addr fail_res[MX_LOOKUP_MAX_TRIES];
	unsigned n_fail_res = 0;
	unsigned nt = v6->n_tries < MX_LOOKUP_MAX_TRIES ? v6->n_tries : MX_LOOKUP_MAX_TRIES;
	for (unsigned i = 0; i < nt; i++) {
		const struct mx_lookup_try *t = &v6->tries[i];
		try_timed_out |= t->outcome == MX_O_TIMEOUT && !t->open && (!d6 || mx_addr_eq(&t->server, &d6->server));
		if (t->r_frame && t->outcome == v6->outcome) {
			bool seen = false;
			for (unsigned k = 0; k < n_fail_res && !seen; k++)
				seen = mx_addr_eq(&fail_res[k], &t->server);
			if (!seen)
				fail_res[n_fail_res++] = t->server;
		}
	}
	struct pair_raw p;
	memset(&p, 0, sizeof p);
	p.r = *r;
	p.n_fail_res = (uint8_t)n_fail_res;
	p.v6_latency_us = v6->latency_us;
	p.v4_latency_us = d4 ? d4->latency_us : v4->latency_us;
	p.dec_lat = dec_lat;
	p.attempts = v6->attempts;
	p.ede = v6->ede;
	p.outcome = (uint8_t)v6->outcome;
	p.try_timed_out = try_timed_out;
	mx_finding_defer(&f, false, pair_detail, &p, sizeof p);
	if (v6->outcome == MX_O_NXDOMAIN)
		f.smtp_status = "none for MTAs that also ask A (Postfix, Exim, glibc getaddrinfo users and Go programs "
				"such as chasquid deliver over IPv4); an MTA that trusts the AAAA NXDOMAIN for the whole name may bounce "
				"(\"Host not found\", 5.4.4)";
	else
		f.smtp_status = "none for A-first, parallel or falling-back MTAs (Postfix, Exim, OpenSMTPD, Haraka, "
				"Courier, dma, nullmailer and other glibc getaddrinfo users, and Go programs such "
				"as chasquid, deliver over IPv4; Haraka, Courier, dma, nullmailer and chasquid log "
				"nothing about the AAAA); "
				"musl getaddrinfo users (programs built on Alpine Linux) defer: musl "
				"fails the whole lookup (EAI_AGAIN, after its timeout, 5 s by default) when the "
				"AAAA query gets no NOERROR or NXDOMAIN answer; "
				"AAAA-first MTAs defer as in AAAA_SERVFAIL_LOOP "
				"(Exchange \"451 4.4.0 DNS query failed\", Sendmail without WorkAroundBrokenAAAA 4.4.3)";
	/* "the name's DNS": an MX host's is usually the recipient's, a relay
	 * host's (--relayhost) the relay provider's */
	f.cause = v6->outcome == MX_O_NXDOMAIN
		? "the DNS serving the name (its zone's authoritative servers, or a front end before them: for "
		  "an MX host usually the recipient's) answers A but says the name does not exist for AAAA; "
		  "RFC 4074 §3 expects NOERROR with an empty answer for a name without AAAA records"
		: "the DNS serving the name (its zone's authoritative servers, or a front end before them: for "
		  "an MX host usually the recipient's) answers A but fails AAAA; RFC 4074 §3 expects NOERROR "
		  "with an empty answer for a name without AAAA records";
	f.fix = "the zone's operator fixes its authoritative servers (or the front-end/firewall in front of "
		"them) to answer AAAA queries with NOERROR/NODATA";
	if (v6->outcome == MX_O_REFUSED || v6->outcome == MX_O_NOTIMP || v6->outcome == MX_O_FORMERR) {
		/* the rejection may come from the sender's side of the path */
		f.cause = "a server on the path (the resolver itself, a DNS proxy or firewall in front of it, or "
			  "the name's authoritative servers) answers A but rejects the AAAA type with an error "
			  "code; RFC 4074 §3 expects NOERROR with an empty answer for a name without AAAA "
			  "records";
		f.fix = "ask the resolver directly (dig AAAA <host> @resolver, then +norec at the name's "
			"servers) to find which server rejects AAAA, and have it answer NOERROR/NODATA (a "
			"firewall's DNS inspection or an old proxy is the usual suspect)";
	}
	mx_finding_defer(&f, true, pair_verify, r, sizeof *r);
	mx_emit(e, &f);
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	bool refused = t->kind == MX_TXN_ANSWERED && t->outcome == MX_O_REFUSED;
	if ((!refused && t->kind != MX_TXN_TIMEOUT) || t->qtype == MX_TYPE_AAAA || t->qclass != 1 || !t->rd)
		return;
	uint64_t key = mx_key_addr2_inline(&t->client, &t->server, 0x2a1);
	struct burst *b = &s->burst[key % BURST_SLOTS];
	if (b->key != key) {
		memset(b, 0, sizeof *b);
		b->key = key;
	}
	if (refused) {
		b->refused_us[b->nr] = t->q_ts;
		b->nr = (uint8_t)((b->nr + 1) % BURST_KEEP);
	} else {
		b->lost_us[b->nl] = t->q_ts;
		b->nl = (uint8_t)((b->nl + 1) % BURST_KEEP);
	}
}

/* The AAAA lookup v6 failed as resolver r failed the client's other
 * queries around it (REFUSED, or no answer): no sign of the type. */
static bool burst_explains(const struct st *s, const struct mx_lookup *v6, const struct mx_addr *r)
{
	if (v6->outcome != MX_O_REFUSED && v6->outcome != MX_O_TIMEOUT)
		return false;
	uint64_t key = mx_key_addr2_inline(&v6->client, r, 0x2a1);
	const struct burst *b = &s->burst[key % BURST_SLOTS];
	if (b->key != key)
		return false;
	const uint64_t *ts = v6->outcome == MX_O_REFUSED ? b->refused_us : b->lost_us;
	uint64_t lo = v6->first_us > BURST_US ? v6->first_us - BURST_US : 0, hi = v6->last_us + BURST_US;
	for (unsigned i = 0; i < BURST_KEEP; i++)
		if (ts[i] && ts[i] >= lo && ts[i] <= hi)
			return true;
	return false;
}

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	struct mx_addr r;
	(void)c;
	/* RD=0 is a resolver's iterative traffic, never a sender's (PATTERNS
	 * §0): an authoritative server's A/AAAA behaviour is
	 * AUTH_AAAA_MISBEHAVIOR's (diagnostics.c). */
	if (l->qclass != 1 || !l->rd)
		return;
	if (l->qtype == MX_TYPE_AAAA && mx_aaaa_broken_outcome(l->outcome)) {
		uint64_t fp = fingerprint(&l->qname);
		for (unsigned i = 0; s->nfp_a[fp >> 56] && i < KEEP; i++) {
			if (s->fp_a[i] != fp)
				continue;
			struct mx_lookup a;
			mx_lookup_brief_get(s->a[i], &a);
			if (a.qtype && mx_dname_eq(&a.qname, &l->qname) && near(&a, l) && share_resolver(l, &a, &r)) {
				if (!burst_explains(s, l, &r))
					emit_pair(l, &a, &r, e);
				return;
			}
		}
		mx_lookup_brief_put(s->aaaa[s->na], l);
		fp_set(s->fp_aaaa, s->nfp_aaaa, s->na, fp);
		s->na = (s->na + 1) % KEEP;
	} else if (l->qtype == MX_TYPE_A && l->outcome == MX_O_ANSWER) {
		uint64_t fp = fingerprint(&l->qname);
		for (unsigned i = 0; s->nfp_aaaa[fp >> 56] && i < KEEP; i++) {
			if (s->fp_aaaa[i] != fp)
				continue;
			struct mx_lookup v6;
			mx_lookup_brief_get(s->aaaa[i], &v6);
			if (v6.qtype && mx_dname_eq(&v6.qname, &l->qname) && near(&v6, l) &&
			    share_resolver(&v6, l, &r)) {
				if (!burst_explains(s, &v6, &r))
					emit_pair(&v6, l, &r, e); /* l->answer is valid during this call */
				return;
			}
		}
		mx_lookup_brief_put(s->a[s->nb], l);
		fp_set(s->fp_a, s->nfp_a, s->nb, fp);
		s->nb = (s->nb + 1) % KEEP;
	}
}

const struct mx_detector mx_det_aaaa_servfail_a_ok = {
	.id = "AAAA_SERVFAIL_A_OK",
	.pattern = "P2",
	.emits = "AAAA_SERVFAIL_A_OK",
	.summary = "a name gets SERVFAIL, timeout or NXDOMAIN for AAAA but an answer for A from the same resolver",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_lookup = on_lookup,
	.lookup_needs = {MX_NEED_RD | MX_NEED_IN, MX_NEED_A_ANSWER | MX_NEED_AAAA_FAIL},
};
