/* mx_target_name.c - P7 MX_TARGET_CNAME / MX_TARGET_IP_LITERAL.
 *
 * RFC 2181 §10.3 and RFC 5321 §5.1: an MX exchange must be a host name with
 * address records, not an alias and not an address. MX_TARGET_CNAME (WARN;
 * ERROR when the alias dangles or loops) when an A/AAAA answer for the
 * exchange went through a CNAME; MX_TARGET_IP_LITERAL (WARN; Postfix uses it,
 * Exim bounces) when the exchange looks like an IP address.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (ch->mx.outcome != MX_O_ANSWER || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	char dn[MX_DNAME_STRLEN], hn[MX_DNAME_STRLEN], cn[MX_DNAME_STRLEN];
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit || (!h->cname.len && !h->ip_literal))
			continue;
		struct mx_finding f;
		mx_dname_format(&ch->domain, dn, sizeof dn);
		mx_dname_format(&h->name, hn, sizeof hn);
		if (h->cname.len) {
			bool ok = (h->a.asked && h->a.outcome == MX_O_ANSWER) ||
				  (h->aaaa.asked && h->aaaa.outcome == MX_O_ANSWER);
			bool bad = h->cname_loop || !ok;
			mx_finding_init(&f, "MX_TARGET_CNAME", bad ? MX_SEV_ERROR : MX_SEV_WARN);
			f.title = "an MX host name is an alias (CNAME)";
			mx_dname_format(&h->cname, cn, sizeof cn);
			mx_finding_detail(&f, "%s is a CNAME for %s%s", hn, cn,
					  h->cname_loop ? " (the alias chain loops)" : (ok ? "" : " (which has no address)"));
			/* dangling: every address lookup of the alias ended negative */
			bool negative = (!h->a.asked || h->a.outcome == MX_O_NXDOMAIN || h->a.outcome == MX_O_NODATA) &&
					(!h->aaaa.asked || h->aaaa.outcome == MX_O_NXDOMAIN ||
					 h->aaaa.outcome == MX_O_NODATA);
			f.smtp_status = h->cname_loop
				? "most likely: Postfix \"Name server loop for <host>\"; Sendmail \"Deferred: DNS "
				  "failure: CNAME loop for <host>\""
				: !ok && negative
				? "most likely: Postfix bounce 5.4.4 \"Host or domain name not found. Name service error "
				  "for name=<host> type=AAAA: Host not found\" after \"no MX host for <domain> has a "
				  "valid address record\""
				: !ok ? "most likely a temporary DNS failure for the alias: Postfix 4.4.3"
				      : "none: Postfix, Exim and Sendmail follow the alias";
			f.cause = "the MX record points at an alias; RFC 2181 §10.3 and RFC 5321 §5.1 require a "
				  "host name with its own address records";
			f.fix = "the domain owner points the MX record at the canonical host name";
		} else if (h->ip_literal) {
			mx_finding_init(&f, "MX_TARGET_IP_LITERAL", MX_SEV_WARN);
			f.title = "an MX record names an IP address instead of a host";
			mx_finding_detail(&f, "exchange %s looks like an address", hn);
			f.smtp_status = "most likely: Postfix uses it and logs \"numeric domain name in resource data "
					"of MX record for <domain>\"; Exim bounces \"all relevant MX records point to "
					"non-existent hosts or (invalidly) to IP addresses\"";
			f.cause = "the MX record's exchange is an address literal; RFC 5321 §5.1 requires a name";
			f.fix = "the domain owner creates a host name with A/AAAA records and points the MX at it";
		} else {
			continue;
		}
		f.sender = ch->sender;
		mx_dname_copy(&f.domain, &ch->domain);
		mx_dname_copy(&f.host, &h->name);
		f.attempts = ch->attempt;
		f.single_attempt = ch->attempt < 2;
		mx_finding_add_step(c, &f, &ch->mx);
		mx_finding_add_step(c, &f, &h->a);
		mx_finding_add_step(c, &f, &h->aaaa);
		mx_finding_verify(&f, "dig MX %s", dn);
		mx_finding_verify(&f, "dig A %s", hn);
		mx_emit(e, &f);
	}
}

const struct mx_detector mx_det_mx_target_name = {
	.id = "MX_TARGET_NAME",
	.pattern = "P7",
	.emits = "MX_TARGET_CNAME,MX_TARGET_IP_LITERAL",
	.summary = "an MX host name is a CNAME alias or an IP address literal (RFC 2181 10.3)",
	.on_chain = on_chain,
};
