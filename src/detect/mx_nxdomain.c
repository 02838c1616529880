/* mx_nxdomain.c - P3 MX_NXDOMAIN: the recipient domain does not exist.
 *
 * PATTERNS.md P3: a chain whose MX lookup ended NXDOMAIN (every resolver
 * asked said so). Evidence: the authority SOA owner (the TLD's => the domain
 * is not delegated: expired or a typo), the negative TTL (how long resolvers
 * keep saying so), and whether the sender then asked A/AAAA of the domain
 * (Postfix does; Exim and OpenSMTPD do not). When another resolver gave an
 * answer to the same MX question within disagree_window, the domain exists
 * and the resolvers disagree: RESOLVER_DISAGREEMENT (P13) reports it, and
 * this detector stays quiet (PATTERNS.md P3).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define ANSWERED 256

/* MX questions some resolver answered (not NXDOMAIN), for the P13 hand-off. */
struct seen {
	struct mx_slot s;
	struct mx_addr resolver;
	uint64_t ts;
};

#define HELD 16

/* NXDOMAIN findings held for disagree_window: an answer from another
 * resolver in that time hands the case to P13 instead. */
struct held {
	bool used;
	struct mx_finding f;
	struct mx_dname domain;
	uint64_t end_us;
	uint8_t n_resolvers;
	struct mx_addr resolvers[MX_LOOKUP_MAX_RESOLVERS];
};

struct st {
	struct seen seen[ANSWERED];
	uint64_t clock;
	struct held held[HELD];
};

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	if (l->qtype != MX_TYPE_MX || (l->outcome != MX_O_ANSWER && l->outcome != MX_O_NODATA) || !l->n_resolvers)
		return;
	struct seen *k = MX_SLOT_GET(s->seen, mx_key_name_inline(&l->qname, MX_TYPE_MX, 3), &s->clock, NULL);
	k->resolver = l->resolvers[0];
	k->ts = l->last_us;
}

/* Another resolver than the NXDOMAIN ones answered this MX question nearby. */
static bool disagreed(struct st *s, const struct mx_detect_ctx *c, const struct held *h)
{
	const struct seen *k = MX_SLOT_FIND(s->seen, mx_key_name(&h->domain, MX_TYPE_MX, 3));
	if (!k)
		return false;
	for (unsigned i = 0; i < h->n_resolvers; i++)
		if (mx_addr_eq(&h->resolvers[i], &k->resolver))
			return false;
	uint64_t d = k->ts > h->end_us ? k->ts - h->end_us : h->end_us - k->ts;
	return d <= c->opts->disagree_window_us;
}

static void release(struct st *s, const struct mx_detect_ctx *c, struct held *h, struct mx_emit *e)
{
	if (!disagreed(s, c, h))
		mx_emit(e, &h->f);
	h->used = false;
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	for (unsigned i = 0; i < HELD; i++)
		if (s->held[i].used && c->now_us > s->held[i].end_us + c->opts->disagree_window_us)
			release(s, c, &s->held[i], e);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	/* in order of the chains' end, so output stays deterministic */
	for (;;) {
		struct held *first = NULL;
		for (unsigned i = 0; i < HELD; i++)
			if (s->held[i].used && (!first || s->held[i].end_us < first->end_us))
				first = &s->held[i];
		if (!first)
			break;
		release(s, c, first, e);
	}
}

/* The held findings that no answer from another resolver has turned into a
 * disagreement so far. */
static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	for (unsigned i = 0; i < HELD; i++) {
		const struct held *h = &s->held[i];
		if (!h->used || disagreed(s, c, h))
			continue;
		struct mx_finding f = h->f;
		f.pending = "held for --disagree-window after the chain: if another resolver answers this MX "
			    "question meanwhile, the domain exists and the resolvers disagree (RESOLVER_DISAGREEMENT)";
		mx_emit(e, &f);
	}
}

/* The detail's raw record (mx_finding_defer): what the text needs besides
 * the finding's domain, then the SOA owner's length, labels and wire bytes
 * when soa is set. The text is made only for findings that are shown: in
 * a flood of unknown recipient domains most are evicted before that. */
struct nx_raw {
	uint32_t n_resolvers, attempts, neg_ttl, attempt;
	uint8_t soa, undelegated, n_asked;
	uint8_t asked[MX_CHAIN_MAX_HOSTS];   /* per implicit host asked: 1 A, 2 AAAA */
};

_Static_assert(sizeof(struct nx_raw) + 2 + MX_DNAME_MAX + 2 <= sizeof(((struct mx_finding *)0)->detail),
	       "the detail's raw record fits the detail");

static void nx_detail(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	struct nx_raw r;
	char dn[MX_DNAME_STRLEN], so[MX_DNAME_STRLEN];
	(void)n;
	memcpy(&r, raw, sizeof r);
	mx_dname_format(&f->domain, dn, sizeof dn);
	mx_finding_detail(f, "MX %s: NXDOMAIN from %u resolver(s), %u queries", dn, r.n_resolvers, r.attempts);
	if (r.attempt >= 2)
		mx_finding_detail(f, "attempt %u: the sender retried (deferred, not bounced)",
				  r.attempt);
	if (r.soa) {
		struct mx_dname soa;
		const uint8_t *p = raw + sizeof r;
		soa.len = p[0];
		soa.labels = p[1];
		memcpy(soa.wire, p + 2, soa.len);
		mx_dname_format(&soa, so, sizeof so);
		mx_finding_detail(f, "authority SOA %s, negative TTL %u s", so, r.neg_ttl);
		if (r.undelegated)
			mx_finding_detail(f, "the SOA is the parent zone's: %s is not delegated "
					  "(expired, removed, or a typo)", dn);
	}
	for (unsigned i = 0; i < r.n_asked; i++) {
		bool a = r.asked[i] & 1, aaaa = r.asked[i] & 2;
		mx_finding_detail(f, "the sender then asked %s%s%s of the domain",
				  a ? "A" : "", a && aaaa ? "/" : "", aaaa ? "AAAA" : "");
	}
}

/* The verify lines' raw record: the number of resolvers and their addresses. */
static void nx_verify(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	char dn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
	(void)n;
	mx_dname_format(&f->domain, dn, sizeof dn);
	for (unsigned r = 0; r < raw[0]; r++) {
		struct mx_addr a;
		memcpy(&a, raw + 1 + r * sizeof a, sizeof a);
		mx_addr_format(&a, rs, sizeof rs);
		mx_finding_verify(f, "dig MX %s @%s", dn, rs);
	}
	mx_finding_verify(f, "dig +trace MX %s", dn);
}

static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	struct st *st = vs;
	if (ch->mx.outcome != MX_O_NXDOMAIN || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	/* hold it; when every slot is taken, the oldest is judged now (the
	 * finding is then made in its place: making it emits nothing) */
	struct held *h = NULL;
	for (unsigned i = 0; i < HELD && !h; i++)
		if (!st->held[i].used)
			h = &st->held[i];
	if (!h) {
		h = &st->held[0];
		for (unsigned i = 1; i < HELD; i++)
			if (st->held[i].end_us < h->end_us)
				h = &st->held[i];
		release(st, c, h, e);
	}
	struct mx_finding *f = &h->f;
	mx_finding_init(f, "MX_NXDOMAIN", MX_SEV_ERROR);
	f->title = "the recipient domain does not exist (NXDOMAIN)";
	f->sender = ch->sender;
	mx_dname_copy(&f->domain, &ch->domain);
	f->qtype = MX_TYPE_MX;
	f->attempts = ch->attempt;
	f->single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, f, &ch->mx);
	uint8_t raw[sizeof(struct nx_raw) + 2 + MX_DNAME_MAX];
	struct nx_raw r;
	memset(&r, 0, sizeof r);
	r.n_resolvers = ch->mx.n_resolvers;
	r.attempts = ch->mx.attempts;
	r.attempt = ch->attempt;
	size_t n = sizeof r;
	if (ch->soa_owner.len) {
		r.soa = 1;
		r.neg_ttl = ch->neg_ttl;
		r.undelegated = ch->soa_owner.labels + 1 < ch->domain.labels || ch->soa_owner.labels <= 1;
		raw[n] = ch->soa_owner.len;
		raw[n + 1] = ch->soa_owner.labels;
		memcpy(raw + n + 2, ch->soa_owner.wire, ch->soa_owner.len);
		n += 2u + ch->soa_owner.len;
	}
	for (unsigned i = 0; i < ch->n_hosts && i < MX_CHAIN_MAX_HOSTS; i++) {
		const struct mx_chain_host *hh = &ch->hosts[i];
		if (hh->implicit && (hh->a.asked || hh->aaaa.asked)) {
			r.asked[r.n_asked++] = (uint8_t)((hh->a.asked ? 1 : 0) | (hh->aaaa.asked ? 2 : 0));
			mx_finding_add_step(c, f, &hh->a);
			mx_finding_add_step(c, f, &hh->aaaa);
		}
	}
	memcpy(raw, &r, sizeof r);
	mx_finding_defer(f, false, nx_detail, raw, n);
	f->smtp_status = "most likely: Postfix 5.4.4 \"Host or domain name not found. Name service error "
			 "for name=<domain> type=AAAA: Host not found\"; Exim \"Unrouteable address\"; "
			 "Sendmail 550 5.1.2 \"Host unknown\"; OpenSMTPD \"Domain does not exist\"; "
			 "Haraka 550 5.1.2 \"Nowhere to deliver mail to for domain: <domain>\" (no retry); "
			 "Courier 5.0.0 \"No such domain.\" (no retry); "
			 "dma \"remote delivery failed: DNS lookup failure: host <domain> not found\", then "
			 "\"delivery failed, bouncing as <id>\" (no retry; the bounce carries no DSN code); "
			 "Exchange 2010 \"451 4.4.0 DNS query failed ... SMTPSEND.DNS.NonExistentDomain\"; "
			 "Messaging Gateway \"421 4.4.4 [internal] domain does not resolve\"; "
			 "chasquid defers and retries until give_up_send_after (20 h): \"failed (temporary): all "
			 "MXs returned transient failures (last: Could not dial: dial tcp: lookup <domain> on "
			 "<resolver>:53: no such host)\"; qmail-remote (after its ANY lookup and an A lookup "
			 "of the domain) \"Sorry, I couldn't find any host named <domain>. (#5.1.2)\" (bounce)";
	f->cause = "the domain is not in the DNS: a typo in the recipient address, an expired or "
		   "removed delegation, or a stale internal (split-horizon) zone on the resolver";
	f->fix = "correct the recipient address, renew or repair the domain's delegation, or fix "
		 "the internal zone; resolvers keep the NXDOMAIN for the negative TTL";
	uint8_t vraw[1 + MX_LOOKUP_MAX_RESOLVERS * sizeof(struct mx_addr)];
	unsigned nr = ch->mx.n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? ch->mx.n_resolvers : MX_LOOKUP_MAX_RESOLVERS;
	vraw[0] = (uint8_t)nr;
	memcpy(vraw + 1, ch->mx.resolvers, nr * sizeof(struct mx_addr));
	mx_finding_defer(f, true, nx_verify, vraw, 1 + nr * sizeof(struct mx_addr));
	h->used = true;
	mx_dname_copy(&h->domain, &ch->domain);
	h->end_us = ch->mx.end_us;
	h->n_resolvers = ch->mx.n_resolvers;
	memcpy(h->resolvers, ch->mx.resolvers, sizeof h->resolvers);
}

const struct mx_detector mx_det_mx_nxdomain = {
	.id = "MX_NXDOMAIN",
	.pattern = "P3",
	.emits = "MX_NXDOMAIN",
	.summary = "the recipient domain does not exist: MX lookup answered NXDOMAIN",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_chain = on_chain,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
	.lookup_needs = {MX_NEED_MX_POS, 0},
};
