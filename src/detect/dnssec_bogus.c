/* dnssec_bogus.c - P18 DNSSEC_BOGUS: validation failures.
 *
 * A SERVFAIL carrying an Extended DNS Error (RFC 8914) of the DNSSEC family:
 * 1 Unsupported DNSKEY Algorithm, 2 Unsupported DS Digest Type, 5 DNSSEC
 * Indeterminate, 6 DNSSEC Bogus, 7 Signature Expired, 8 Signature Not Yet
 * Valid, 9 DNSKEY Missing, 10 RRSIGs Missing, 11 No Zone Key Bit Set, 12 NSEC
 * Missing. ERROR, one finding per zone and resolver.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static bool dnssec_ede(uint16_t c)
{
	return c == 1 || c == 2 || (c >= 5 && c <= 12);
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	(void)vs;
	(void)c;
	if (t->kind != MX_TXN_ANSWERED || t->rcode != MX_RCODE_SERVFAIL || !dnssec_ede(t->ede))
		return;
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], zn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
	struct mx_dname zone;
	mx_finding_init(&f, "DNSSEC_BOGUS", MX_SEV_ERROR);
	f.title = "DNSSEC validation fails for the recipient's zone";
	mx_zone_guess(&t->qname, &zone);
	mx_dname_copy(&f.domain, &zone);
	mx_finding_add_resolver(&f, &t->server);
	f.first_us = t->q_ts;
	f.last_us = t->r_ts;
	mx_finding_add_frame(&f, t->q_frame);
	mx_finding_add_frame(&f, t->r_frame);
	mx_dname_format(&t->qname, qn, sizeof qn);
	mx_dname_format(&zone, zn, sizeof zn);
	mx_addr_format(&t->server, rs, sizeof rs);
	if (t->resp && t->resp->has_ede && t->resp->ede_text[0])
		mx_finding_detail(&f, "SERVFAIL with EDE %u (%s: \"%s\") for %s", t->ede, mx_dns_ede_name(t->ede),
				  t->resp->ede_text, qn);
	else
		mx_finding_detail(&f, "SERVFAIL with EDE %u (%s) for %s", t->ede, mx_dns_ede_name(t->ede), qn);
	f.smtp_status = "most likely: Postfix 4.4.3 \"Host not found, try again\"; Exim \"host lookup did not "
			"complete\"; Exchange \"451 4.4.0 DNS query failed\"; Messaging Gateway 421 4.4.4; DANE "
			"senders also fail the TLSA lookup (4.7.5)";
	f.cause = "the zone's DNSSEC chain is broken (expired or missing signatures, a DS that matches no "
		  "DNSKEY, an unsupported algorithm) so validating resolvers refuse to answer";
	f.fix = "the recipient repairs DS/DNSKEY/RRSIG; meanwhile the resolver operator may add a negative "
		"trust anchor for the zone (RFC 7646)";
	mx_finding_verify(&f, "dig +dnssec %s @%s", qn, rs);
	mx_finding_verify(&f, "dig +cd %s @%s   # answers when only validation fails", qn, rs);
	mx_finding_verify(&f, "delv %s", qn);
	(void)zn;
	mx_emit_txn(e, &f, t, NULL);
}

const struct mx_detector mx_det_dnssec_bogus = {
	.id = "DNSSEC_BOGUS",
	.pattern = "P18",
	.emits = "DNSSEC_BOGUS",
	.summary = "SERVFAIL with a DNSSEC Extended DNS Error (bogus, expired signatures, missing keys)",
	.on_txn = on_txn,
};
