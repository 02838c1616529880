/* resolver_refused.c - P11 RESOLVER_REFUSED / RESOLVER_NOT_RECURSIVE.
 *
 * Responses to a sender's RD=1 queries with REFUSED, or referrals (RA=0, no
 * answer, NS in authority: the "resolver" is authoritative-only). WARN when
 * the lookup still got an answer elsewhere (an extra round trip each time),
 * ERROR when the lookup's final outcome is REFUSED/REFERRAL, CRIT when the
 * resolver refused every one of >= 3 lookups from the sender. OpenSMTPD turns
 * a REFUSED MX answer into a permanent failure. AAAA lookups are not counted:
 * REFUSED for AAAA alone is the type mishandled (AAAA_SERVFAIL_A_OK); nor
 * are ANY lookups: refusing ANY is a policy (ANY_LOOKUP_FAIL).
 * An access list refuses a client everything; a resolver that also answered
 * some of the sender's lookups (any rcode but REFUSED) refuses by rate or by
 * zone (dnsdist MaxQPSIPRule, BIND rate-limit, a per-zone allow-query), and
 * the title, cause and fix say so. The texts follow the pair's state when
 * a finding is made, and again when the held refusals are merged in at the
 * end (merge keeps the newest texts), so a limit that first refused before
 * any answer is still called one once the capture shows answers.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define PAIRS 1024 /* (client, resolver) pairs: a resolver-side capture has hundreds;
		    * an evicted pair starts its counts again */

struct pair {
	uint64_t lookups, refused_lookups;
	uint64_t answered_lookups;       /* lookups it answered with another rcode */
	/* after the first finding at a severity, further refusals are only
	 * counted and merged in once at the end (a busy sender refused all day
	 * would otherwise build a finding per lookup) */
	int emitted_sev;                 /* -1 none; per kind below */
	int emitted_sev_ref;
	uint64_t held, held_ref, last_us;
	struct mx_addr client, resolver;
};

struct st {
	struct mx_slot hdr[PAIRS];   /* the pairs' keys, apart: a probe reads 16 bytes an entry */
	struct pair pairs[PAIRS];
	uint64_t clock;
};

static void flush_held(const struct pair *p, bool referral, struct mx_emit *e);

/* Title, cause and fix for pair p's state: a referral, a refusal of
 * everything (an access list), or of some lookups while it answered others
 * (a rate limit or a zone's policy). */
static void refused_texts(struct mx_finding *f, const struct pair *p, bool referral)
{
	if (referral) {
		f->title = "the resolver does not recurse: it answers with referrals (RA=0)";
		f->cause = "the server in the sender's resolver list is an authoritative-only server";
		f->fix = "list recursive resolvers only in the sender's configuration";
	} else if (p->answered_lookups) {
		f->title = "the resolver refuses some of the sender's queries and answers others";
		f->cause = "not an access list, since the resolver answers the sender's other queries: a rate "
			   "limit (dnsdist MaxQPSIPRule or dynamic blocks, BIND rate-limit, a firewall's DNS "
			   "policy) refuses bursts, or a policy refuses these names' zones (allow-query on the "
			   "zone, a filtering rule)";
		f->fix = "exempt the mail server from the resolver's rate limit or raise it, or point it at a "
			 "resolver without one; if the same names are refused every time, check the resolver's "
			 "policy for their zones";
	} else {
		f->title = "the resolver refuses the sender's queries";
		f->cause = "the resolver's access control (allow-recursion / access-control) does not include "
			   "the sender, or a policy/RRL blocks it";
		f->fix = "allow the sender in the resolver's ACL, or point the sender at a resolver that serves it";
	}
}

static void refused_detail(struct mx_finding *f, const struct pair *p, bool referral, const char *rs)
{
	/* AAAA lookups are AAAA_SERVFAIL_A_OK's, ANY ones ANY_LOOKUP_FAIL's: not in the counts */
	if (!referral && p->answered_lookups)
		mx_finding_detail(f, "%llu of %llu lookups (AAAA and ANY apart) refused by %s, %llu answered by it",
				  (unsigned long long)p->refused_lookups, (unsigned long long)p->lookups, rs,
				  (unsigned long long)p->answered_lookups);
	else
		mx_finding_detail(f, "%llu of %llu lookups (AAAA and ANY apart) %s by %s", (unsigned long long)p->refused_lookups,
				  (unsigned long long)p->lookups, referral ? "answered with a referral" : "refused",
				  rs);
}

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	if (!l->rd || !mx_detect_is_sender(c->opts, &l->client))
		return;
	/* A refusal of AAAA alone is the type mishandled (RFC 4074: an old
	 * proxy or firewall), AAAA_SERVFAIL_A_OK's; an access list refuses the
	 * sender's MX and A lookups too, and those tell. */
	if (l->qtype == MX_TYPE_AAAA)
		return;
	/* Nor is a refusal of ANY: a policy against ANY (an anti-amplification
	 * rule, RFC 8482), which stops qmail (ANY_LOOKUP_FAIL) but says nothing
	 * of the sender's access to recursion. */
	if (l->qtype == MX_TYPE_ANY)
		return;
	/* Only class IN is mail's: a refused CHAOS version.bind or a class HS
	 * query says nothing of the sender's access to recursion. */
	if (l->qclass != 1)
		return;
	for (unsigned r = 0; r < l->n_resolvers; r++) {
		bool fresh;
		/* the first resolver is the pair of ctx->pk */
		size_t pi = r == 0 ? MX_SLOT_INDEX_PK(c, MX_PK_REFUSED, s->hdr,
						      mx_key_addr2_inline(&l->client, &l->resolvers[0], MX_SALT_REFUSED),
						      &s->clock, &fresh)
				   : MX_SLOT_INDEX(s->hdr, mx_key_addr2_inline(&l->client, &l->resolvers[r], MX_SALT_REFUSED),
						   &s->clock, &fresh);
		struct pair *p = &s->pairs[pi];
		if (fresh) {
			/* the entry held another pair (or nothing: all zero):
			 * its held refusals go into its findings first */
			flush_held(p, false, e);
			flush_held(p, true, e);
			/* the pair's identity now, not at its first refusal: the
			 * held refusals flushed at the end carry it */
			memset(p, 0, sizeof(*p));
			p->emitted_sev = p->emitted_sev_ref = -1;
			p->client = l->client;
			p->resolver = l->resolvers[r];
		}
		p->lookups++;
		const struct mx_lookup_try *bad = NULL;
		for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
			const struct mx_lookup_try *t = &l->tries[i];
			if (mx_addr_eq(&t->server, &l->resolvers[r]) &&
			    (t->outcome == MX_O_REFUSED || t->outcome == MX_O_REFERRAL) && !t->open)
				bad = t;
		}
		if (!bad) {
			for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
				const struct mx_lookup_try *t = &l->tries[i];
				if (mx_addr_eq(&t->server, &l->resolvers[r]) && !t->open &&
				    t->outcome != MX_O_TIMEOUT && t->outcome != MX_O_UNREACHABLE) {
					p->answered_lookups++;
					break;
				}
			}
			continue;
		}
		p->refused_lookups++;
		bool referral = bad->outcome == MX_O_REFERRAL;
		bool final_bad = l->outcome == MX_O_REFUSED || l->outcome == MX_O_REFERRAL;
		enum mx_sev sev = final_bad ? MX_SEV_ERROR : MX_SEV_WARN;
		if (p->refused_lookups == p->lookups && p->lookups >= 3)
			sev = MX_SEV_CRIT;
		int *es = referral ? &p->emitted_sev_ref : &p->emitted_sev;
		p->last_us = l->last_us;
		if ((int)sev <= *es) {
			if (referral)
				p->held_ref++;
			else
				p->held++;
			continue;
		}
		*es = (int)sev;
		struct mx_finding f;
		char rs[MX_ADDR_STRLEN], qn[MX_DNAME_STRLEN], ss[MX_ADDR_STRLEN];
		mx_finding_init(&f, referral ? "RESOLVER_NOT_RECURSIVE" : "RESOLVER_REFUSED", sev);
		refused_texts(&f, p, referral);
		f.sender = l->client;
		mx_finding_add_resolver(&f, &l->resolvers[r]);
		mx_finding_add_lookup(&f, l);
		mx_addr_format(&l->resolvers[r], rs, sizeof rs);
		mx_addr_format(&l->client, ss, sizeof ss);
		mx_dname_format(&l->qname, qn, sizeof qn);
		refused_detail(&f, p, referral, rs);
		if (!final_bad)
			mx_finding_detail(&f, "answered by another resolver");
		if (bad->ede != 0xffff)
			mx_finding_detail(&f, "EDE %u %s", bad->ede, mx_dns_ede_name(bad->ede));
		f.smtp_status = "most likely: Postfix 4.4.3 (glibc moves on, then reports TRY_AGAIN); OpenSMTPD "
				"permanent \"Invalid domain name\" for a REFUSED MX answer (bounces); Exchange "
				"\"451 4.4.0 DNS query failed\"";
		char tn[16];
		mx_finding_verify(&f, "dig %s %s @%s   # run on %s", qn, mx_dns_type_name(l->qtype, tn, sizeof tn),
				  rs, ss);
		mx_emit(e, &f);
	}
}

static void flush_held(const struct pair *p, bool referral, struct mx_emit *e)
{
	uint64_t n = referral ? p->held_ref : p->held;
	int sev = referral ? p->emitted_sev_ref : p->emitted_sev;
	if (n == 0 || sev < 0)
		return;
	struct mx_finding f;
	char rs[MX_ADDR_STRLEN];
	mx_finding_init(&f, referral ? "RESOLVER_NOT_RECURSIVE" : "RESOLVER_REFUSED", (enum mx_sev)sev);
	f.sender = p->client;
	mx_finding_add_resolver(&f, &p->resolver);
	f.count = n;
	f.first_us = f.last_us = p->last_us;
	mx_addr_format(&p->resolver, rs, sizeof rs);
	refused_detail(&f, p, referral, rs);
	/* same key and severity: merges into the finding emitted earlier,
	 * adding the count and the detail; the title, cause and fix set here
	 * replace its own (the pair's state at the end) */
	refused_texts(&f, p, referral);
	mx_emit(e, &f);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	for (unsigned i = 0; i < PAIRS; i++)
		if (s->hdr[i].used) {
			flush_held(&s->pairs[i], false, e);
			flush_held(&s->pairs[i], true, e);
		}
}

const struct mx_detector mx_det_resolver_refused = {
	.id = "RESOLVER_REFUSED",
	.pattern = "P11",
	.emits = "RESOLVER_REFUSED,RESOLVER_NOT_RECURSIVE",
	.summary = "the resolver answers REFUSED, or referrals because it does not recurse",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_finish = on_finish,
	.lookup_needs = {MX_NEED_RD, 0},
};
