/* tlsa_lookup_fail.c - P19 TLSA_LOOKUP_FAIL: DANE senders defer on TLSA errors.
 *
 * A TLSA lookup for _25._tcp.<exchange> of a chain whose final outcome is a
 * failure (NXDOMAIN and NODATA are normal: no DANE). Postfix defers 4.7.5
 * "TLSA lookup error for <host>:25"; Exim never turns TRY_AGAIN into
 * "nonexistent". ERROR; CRIT from loop_min_attempts chains in a row that did not resolve,
 * this one deferred by the failing TLSA lookups (every exchange with an address failed its
 * TLSA lookup: the sender connects nowhere, attempt after attempt; recorded
 * with Postfix in captures/lab-dane-tlsa-servfail.pcap).
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (!mx_detect_is_sender(c->opts, &ch->sender))
		return;
	char hn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (!h->tlsa.asked || !mx_outcome_is_fail(h->tlsa.outcome))
			continue;
		struct mx_finding f;
		bool loop = ch->verdict == MX_CHAIN_DEFERRED && c->chain_fails >= c->opts->loop_min_attempts;
		mx_finding_init(&f, "TLSA_LOOKUP_FAIL", loop ? MX_SEV_CRIT : MX_SEV_ERROR);
		f.title = "the TLSA lookup for an MX host fails: DANE senders defer";
		mx_dname_format(&h->name, hn, sizeof hn);
		mx_finding_detail(&f, "TLSA _25._tcp.%s %s (%u quer%s in delivery attempt %u)", hn,
				  mx_outcome_name(h->tlsa.outcome), h->tlsa.attempts, h->tlsa.attempts == 1 ? "y" : "ies",
				  ch->attempt);
		if (h->tlsa.ede != 0xffff)
			mx_finding_detail(&f, "EDE %u %s", h->tlsa.ede, mx_dns_ede_name(h->tlsa.ede));
		f.smtp_status = "most likely: Postfix 4.7.5 \"TLSA lookup error for <host>:25\"; Exim (hosts_try_dane "
				"or hosts_require_dane) \"defer (-36): DANE error: tlsa lookup DEFER\" (a TLSA "
				"TRY_AGAIN is never taken for no DANE)";
		f.cause = "the recipient's DNS fails for TLSA: broken DNSSEC, or authoritative servers that "
			  "mishandle unknown query types (the RFC 4074 class of bug)";
		f.fix = "the recipient repairs DNSSEC or its servers' handling of TLSA; meanwhile the sender can "
			"set a per-domain TLS policy of \"may\" for this domain";
		f.sender = ch->sender;
		mx_dname_copy(&f.domain, &ch->domain);
		mx_dname_copy(&f.host, &h->name);
		f.qtype = MX_TYPE_TLSA;
		f.attempts = ch->attempt;
		f.single_attempt = ch->attempt < 2;
		mx_finding_add_step(c, &f, &h->tlsa);
		for (unsigned r = 0; r < h->tlsa.n_resolvers; r++) {
			mx_addr_format(&h->tlsa.resolvers[r], rs, sizeof rs);
			mx_finding_verify(&f, "dig +dnssec TLSA _25._tcp.%s @%s", hn, rs);
		}
		mx_finding_verify(&f, "dig +cd TLSA _25._tcp.%s", hn);
		mx_emit(e, &f);
	}
}

const struct mx_detector mx_det_tlsa_lookup_fail = {
	.id = "TLSA_LOOKUP_FAIL",
	.pattern = "P19",
	.emits = "TLSA_LOOKUP_FAIL",
	.summary = "a DANE sender's TLSA lookup for _25._tcp.<MX host> fails (SERVFAIL, timeout...)",
	.on_chain = on_chain,
};
