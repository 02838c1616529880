/* aaaa_servfail_loop.c - P1 AAAA_SERVFAIL_LOOP / AAAA_TIMEOUT_LOOP.
 *
 * PATTERNS.md P1: in a chain C(S,D), the first address lookup S makes for an
 * exchange H is AAAA, its final outcome is a failure (SERVFAIL, REFUSED
 * everywhere, NOTIMP, FORMERR, TIMEOUT...), and S asks no A for H before
 * fallback_window after that AAAA lookup ended. That is the AAAA-first sender
 * (Exchange 2007/2010 in Strict mode, Sendmail without WorkAroundBrokenAAAA)
 * deferring although A may resolve. WARN on one attempt, ERROR when every
 * exchange of D is stuck this way, CRIT once loop_min_attempts attempts of
 * (S,D) spaced >= min_retry_gap were seen in this state. "A exists" is noted
 * when any lookup in the capture got an A answer for H.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define LOOPS 256
#define A_SEEN 4096

struct loop_ent {
	struct mx_addr sender;
	uint64_t dom_hash;
	uint64_t last_start;
	uint32_t attempts;
	uint64_t touched;
};

struct st {
	struct loop_ent loops[LOOPS];
	uint64_t a_ok[A_SEEN];   /* hashes of names with an A answer (0 = empty) */
	uint64_t tick;
};

static uint64_t name_hash(const struct mx_dname *n)
{
	uint64_t h = mx_hash_bytes_inline_(n->wire, n->len, 0x41); /* = mx_dname_hash(n, 0x41) */
	return h ? h : 1;
}

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	if (l->qtype != MX_TYPE_A || l->outcome != MX_O_ANSWER)
		return;
	uint64_t h = name_hash(&l->qname);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t *slot = &s->a_ok[(h + i) & (A_SEEN - 1)];
		if (*slot == h)
			return;
		if (*slot == 0 || i == 7) {
			*slot = h;
			return;
		}
	}
}

static bool a_seen(const struct st *s, const struct mx_dname *n)
{
	uint64_t h = name_hash(n);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t v = s->a_ok[(h + i) & (A_SEEN - 1)];
		if (v == h)
			return true;
		if (v == 0)
			return false;
	}
	return false;
}

/* Count attempts of (S,D) in this state; returns the count including this one. */
static uint32_t loop_count(struct st *s, const struct mx_detect_ctx *c, const struct mx_chain *ch)
{
	uint64_t dh = name_hash(&ch->domain);
	struct loop_ent *victim = &s->loops[0];
	s->tick++;
	for (unsigned i = 0; i < LOOPS; i++) {
		struct loop_ent *le = &s->loops[i];
		if (le->attempts && le->dom_hash == dh && mx_addr_eq(&le->sender, &ch->sender)) {
			if (ch->start_us >= le->last_start + c->opts->min_retry_gap_us) {
				le->attempts++;
				le->last_start = ch->start_us;
			}
			le->touched = s->tick;
			return le->attempts;
		}
		if (le->touched < victim->touched)
			victim = le;
	}
	victim->sender = ch->sender;
	victim->dom_hash = dh;
	victim->last_start = ch->start_us;
	victim->attempts = 1;
	victim->touched = s->tick;
	return 1;
}

static bool stuck(const struct mx_detect_ctx *c, const struct mx_chain *ch, const struct mx_chain_host *h)
{
	if (h->first_family != 6 || !h->aaaa.asked || h->aaaa.pending || !mx_outcome_is_fail(h->aaaa.outcome))
		return false;
	if (h->a.asked && h->a.first_us <= h->aaaa.end_us + c->opts->fallback_window_us)
		return false; /* fell back to A in time */
	if (!h->a.asked && ch->evicted && c->now_us < h->aaaa.end_us + c->opts->fallback_window_us)
		return false; /* closed early by the table cap: an A query may still come */
	return true;
}

static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	struct st *s = vs;
	if (!mx_detect_is_sender(c->opts, &ch->sender))
		return;
	unsigned n_stuck = 0, n_targets = 0;
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		if (ch->hosts[i].ip_literal)
			continue;
		n_targets++;
		if (stuck(c, ch, &ch->hosts[i]))
			n_stuck++;
	}
	if (n_stuck == 0)
		return;
	uint32_t attempts = loop_count(s, c, ch);
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (!stuck(c, ch, h))
			continue;
		bool timeout = h->aaaa.outcome == MX_O_TIMEOUT || h->aaaa.outcome == MX_O_UNREACHABLE;
		enum mx_sev sev = MX_SEV_WARN;
		if (n_stuck == n_targets)
			sev = MX_SEV_ERROR;
		if (attempts >= c->opts->loop_min_attempts)
			sev = MX_SEV_CRIT;
		struct mx_finding f;
		mx_finding_init(&f, timeout ? "AAAA_TIMEOUT_LOOP" : "AAAA_SERVFAIL_LOOP", sev);
		char hn[MX_DNAME_STRLEN], dn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
		mx_dname_format(&h->name, hn, sizeof hn);
		mx_dname_format(&ch->domain, dn, sizeof dn);
		f.title = timeout ? "AAAA-first sender times out on AAAA and never asks A"
				  : "AAAA-first sender gets a failure for AAAA and never asks A";
		f.sender = ch->sender;
		mx_dname_copy(&f.domain, &ch->domain);
		mx_dname_copy(&f.host, &h->name);
		f.qtype = MX_TYPE_AAAA;
		f.attempts = attempts;
		f.single_attempt = attempts < 2;
		mx_finding_add_step(c, &f, &ch->mx);
		mx_finding_add_step(c, &f, &h->aaaa);
		if (h->a.asked)
			mx_finding_add_step(c, &f, &h->a);
		mx_finding_detail(&f, "AAAA %s (%u lookup%s, %u quer%s)", mx_outcome_name(h->aaaa.outcome),
				  h->aaaa.lookups, h->aaaa.lookups == 1 ? "" : "s", h->aaaa.attempts,
				  h->aaaa.attempts == 1 ? "y" : "ies");
		if (h->aaaa.ede != 0xffff)
			mx_finding_detail(&f, "EDE %u %s", h->aaaa.ede, mx_dns_ede_name(h->aaaa.ede));
		if (h->a.asked)
			mx_finding_detail(&f, "A asked only %.1f s after the AAAA failure",
					  (double)(h->a.first_us - h->aaaa.end_us) / 1e6);
		else
			mx_finding_detail(&f, "A never asked");
		if (a_seen(s, &h->name))
			mx_finding_detail(&f, "A exists: an A lookup for %s was answered in this capture", hn);
		mx_finding_detail(&f, "%u of %u exchanges of %s stuck in attempt %u", n_stuck, n_targets, dn,
				  attempts);
		f.smtp_status = timeout
			? "most likely: Exchange 2007/2010 \"451 4.4.0 DNS query failed\" (ErrorTimeout); "
			  "Sendmail \"Deferred: Name server: <host>.: host name lookup failure\" (4.4.3); "
			  "IPv6-only Postfix 4.4.3 \"Host or domain name not found. Name service error for "
			  "name=<host> type=AAAA: Host not found, try again\"; others 4.4.3; 4.4.7 \"delivery "
			  "time expired\" once the queue lifetime ends"
			: "most likely: Exchange 2007/2010 \"451 4.4.0 DNS query failed\" (ServerFailure); "
			  "Sendmail \"Deferred: Name server: <host>.: host name lookup failure\" (4.4.3); "
			  "IPv6-only Postfix 4.4.3 \"Host or domain name not found. Name service error for "
			  "name=<host> type=AAAA: Host not found, try again\"; others 4.4.3; 4.4.7 \"delivery "
			  "time expired\" once the queue lifetime ends";
		bool formerr = h->aaaa.outcome == MX_O_FORMERR;
		bool type_rcode = formerr || h->aaaa.outcome == MX_O_NOTIMP || h->aaaa.outcome == MX_O_REFUSED;
		if (formerr)
			/* final for glibc (NO_RECOVERY): a bounce at once, no loop
			 * (captures/lab-aaaa-formerr-postfix-v6only.pcap) */
			f.smtp_status = "most likely a bounce at the first attempt: IPv6-only Postfix 5.4.3 "
					"\"Host or domain name not found. Name service error for name=<host> "
					"type=AAAA: Non-recoverable error\" (glibc takes FORMERR as final); "
					"Exchange \"451 4.4.0 DNS query failed\"";
		f.cause = type_rcode
			? "a server on the path (the resolver itself, a DNS proxy or firewall in front of it, or "
			  "the recipient's authoritative servers) rejects the AAAA type with an error code "
			  "instead of NOERROR with an empty answer (RFC 4074 §3); the sender asks AAAA first "
			  "and never asks A."
			: "the recipient's authoritative servers mishandle AAAA queries (RFC 4074 §4: "
			  "no answer, or an error instead of NOERROR with an empty answer), so the "
			  "resolver fails; or a resolver or firewall drops AAAA. The sender asks AAAA "
			  "first and treats the temporary failure as final for this attempt.";
		f.fix = "recipient: make every authoritative server answer AAAA with NOERROR/NODATA "
			"(RFC 4074 §3). Sender, Exchange: Set-SendConnector -UseExternalDNSServersEnabled "
			"$true with a resolver that answers NODATA, or DnsFaultTolerance=Lenient "
			"(KB 972744), or a per-domain connector to the MX address; Sendmail: "
			"O ResolverOptions=+WorkAroundBrokenAAAA.";
		for (unsigned r = 0; r < h->aaaa.n_resolvers; r++) {
			mx_addr_format(&h->aaaa.resolvers[r], rs, sizeof rs);
			mx_finding_verify(&f, "dig AAAA %s @%s", hn, rs);
			mx_finding_verify(&f, "dig A %s @%s", hn, rs);
		}
		mx_finding_verify(&f, "dig +short NS %s", dn);
		mx_finding_verify(&f, "dig +norec AAAA %s @<each NS of %s>", hn, dn);
		mx_emit(e, &f);
	}
}

const struct mx_detector mx_det_aaaa_servfail_loop = {
	.id = "AAAA_SERVFAIL_LOOP",
	.pattern = "P1",
	.emits = "AAAA_SERVFAIL_LOOP,AAAA_TIMEOUT_LOOP",
	.summary = "AAAA-first sender gets SERVFAIL/timeout for an MX host's AAAA and never asks A",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_chain = on_chain,
	.lookup_needs = {MX_NEED_A_ANSWER, 0},
};
