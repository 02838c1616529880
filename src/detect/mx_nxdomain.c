/* mx_nxdomain.c - P3 MX_NXDOMAIN: the recipient domain does not exist.
 *
 * PATTERNS.md P3: a chain whose MX lookup ended NXDOMAIN (every resolver
 * asked said so). Evidence: the authority SOA owner (the TLD's => the domain
 * is not delegated: expired or a typo), the negative TTL (how long resolvers
 * keep saying so), and whether the sender then asked A/AAAA of the domain
 * (Postfix does; Exim and OpenSMTPD do not). Disagreeing resolvers are P13's.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
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
	mx_emit(e, &f);
}

const struct mx_detector mx_det_mx_nxdomain = {
	.id = "MX_NXDOMAIN",
	.pattern = "P3",
	.emits = "MX_NXDOMAIN",
	.summary = "the recipient domain does not exist: MX lookup answered NXDOMAIN",
	.on_chain = on_chain,
};
