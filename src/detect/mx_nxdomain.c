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

static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	struct st *st = vs;
	if (ch->mx.outcome != MX_O_NXDOMAIN || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	struct mx_finding f;
	char dn[MX_DNAME_STRLEN], so[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
	mx_finding_init(&f, "MX_NXDOMAIN", MX_SEV_ERROR);
	f.title = "the recipient domain does not exist (NXDOMAIN)";
	f.sender = ch->sender;
	mx_dname_copy(&f.domain, &ch->domain);
	f.qtype = MX_TYPE_MX;
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, &f, &ch->mx);
	mx_dname_format(&ch->domain, dn, sizeof dn);
	mx_finding_detail(&f, "MX %s: NXDOMAIN from %u resolver(s), %u queries", dn, ch->mx.n_resolvers,
			  ch->mx.attempts);
	if (ch->soa_owner.len) {
		mx_dname_format(&ch->soa_owner, so, sizeof so);
		mx_finding_detail(&f, "authority SOA %s, negative TTL %u s", so, ch->neg_ttl);
		if (ch->soa_owner.labels + 1 < ch->domain.labels || ch->soa_owner.labels <= 1)
			mx_finding_detail(&f, "the SOA is the parent zone's: %s is not delegated "
					  "(expired, removed, or a typo)", dn);
	}
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit && (h->a.asked || h->aaaa.asked)) {
			mx_finding_detail(&f, "the sender then asked %s%s%s of the domain (Postfix-like)",
					  h->a.asked ? "A" : "", h->a.asked && h->aaaa.asked ? "/" : "",
					  h->aaaa.asked ? "AAAA" : "");
			mx_finding_add_step(c, &f, &h->a);
			mx_finding_add_step(c, &f, &h->aaaa);
		}
	}
	f.smtp_status = "most likely: Postfix 5.4.4 \"Host or domain name not found. Name service error "
			"for name=<domain> type=AAAA: Host not found\"; Exim \"Unrouteable address\"; "
			"Sendmail 550 5.1.2 \"Host unknown\"; OpenSMTPD \"Domain does not exist\"; "
			"Exchange 2010 \"451 4.4.0 DNS query failed ... SMTPSEND.DNS.NonExistentDomain\"; "
			"Messaging Gateway \"421 4.4.4 [internal] domain does not resolve\"";
	f.cause = "the domain is not in the DNS: a typo in the recipient address, an expired or "
		  "removed delegation, or a stale internal (split-horizon) zone on the resolver";
	f.fix = "correct the recipient address, renew or repair the domain's delegation, or fix "
		"the internal zone; resolvers keep the NXDOMAIN for the negative TTL";
	for (unsigned r = 0; r < ch->mx.n_resolvers; r++) {
		mx_addr_format(&ch->mx.resolvers[r], rs, sizeof rs);
		mx_finding_verify(&f, "dig MX %s @%s", dn, rs);
	}
	mx_finding_verify(&f, "dig +trace MX %s", dn);
	/* hold it; when every slot is taken, the oldest is judged now */
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
	h->used = true;
	mx_finding_copy(&h->f, &f);
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
	.lookup_needs = {MX_NEED_MX_POS, 0},
};
