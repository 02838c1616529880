/* mx_nodata.c - P4 MX_NODATA: no MX records, implicit MX decides.
 *
 * PATTERNS.md P4 / RFC 5321 §5.1: an MX lookup that ended NODATA means the
 * domain's own A/AAAA is the mail host. Within the chain: IMPLICIT_OK (the
 * sender asked and got an address: INFO), NO_MAIL_ROUTE (asked, all negative:
 * ERROR), IMPLICIT_SKIPPED (asked nothing: WARN, the sender does not do
 * implicit MX or gave up). A chain cut short by the capture is not judged
 * IMPLICIT_SKIPPED: it says so instead.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

/* The texts are deferred (mx_finding_defer): a flood of domains without MX
 * evicts most of its findings before they are shown. The detail's raw
 * record: whether A and AAAA were asked and their outcomes; the verify
 * lines need the finding's domain only. */
static void nd_detail(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	(void)n;
	mx_finding_detail(f, "MX NODATA; A %s; AAAA %s", raw[0] ? mx_outcome_name((enum mx_outcome)raw[1]) : "not asked",
			  raw[2] ? mx_outcome_name((enum mx_outcome)raw[3]) : "not asked");
}

static void nd_verify(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	char dn[MX_DNAME_STRLEN];
	(void)raw;
	(void)n;
	mx_dname_format(&f->domain, dn, sizeof dn);
	mx_finding_verify(f, "dig MX %s", dn);
	mx_finding_verify(f, "dig A %s", dn);
	mx_finding_verify(f, "dig AAAA %s", dn);
}

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (ch->mx.outcome != MX_O_NODATA || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	const struct mx_chain_host *h = NULL;
	for (unsigned i = 0; i < ch->n_hosts; i++)
		if (ch->hosts[i].implicit)
			h = &ch->hosts[i];
	bool asked = h && (h->a.asked || h->aaaa.asked);
	bool ok = h && ((h->a.asked && h->a.outcome == MX_O_ANSWER) ||
			(h->aaaa.asked && h->aaaa.outcome == MX_O_ANSWER));
	bool neg = asked && !ok && (!h->a.asked || h->a.outcome == MX_O_NODATA || h->a.outcome == MX_O_NXDOMAIN) &&
		   (!h->aaaa.asked || h->aaaa.outcome == MX_O_NODATA || h->aaaa.outcome == MX_O_NXDOMAIN);
	if (asked && !ok && !neg)
		return; /* a temporary failure: the resolver patterns report it */
	struct mx_finding f;
	if (ok) {
		mx_finding_init(&f, "MX_NODATA_IMPLICIT_OK", MX_SEV_INFO);
		f.title = "no MX records: mail goes to the domain's own address (implicit MX)";
		f.smtp_status = "none: mail is delivered to the domain's A/AAAA host";
		f.cause = "the domain publishes no MX; RFC 5321 §5.1 makes its own address the mail host, "
			  "often a web server that may not accept mail";
		f.fix = "publish MX records for the domain (or a null MX if it accepts no mail)";
	} else if (neg) {
		mx_finding_init(&f, "MX_NODATA_NO_MAIL_ROUTE", MX_SEV_ERROR);
		f.title = "no MX records and no address: the domain has no mail route";
		f.smtp_status = "most likely: Postfix 5.4.4 \"Host or domain name not found. Name service "
				"error for name=<domain> type=AAAA: Host found but no data record of requested "
				"type\"; Exim \"Unrouteable address\"; OpenSMTPD \"No MX found for domain\"; "
				"Messaging Gateway \"421 4.4.4 [internal] domain does not resolve\"";
		f.cause = "the domain exists but publishes neither MX nor A/AAAA records";
		f.fix = "publish MX records (or a null MX \"0 .\" if the domain accepts no mail)";
	} else if (ch->cut_short || ch->evicted) {
		mx_finding_init(&f, "MX_NODATA_IMPLICIT_SKIPPED", MX_SEV_INFO);
		f.title = ch->evicted ? "no MX records; the chain was closed early (open-chain table full) before "
					"the sender asked for the domain's address"
				      : "no MX records; the capture ended before the sender asked for the domain's "
					"address";
		f.smtp_status = "unknown: the capture is too short to judge";
		f.cause = "the domain publishes no MX";
		f.fix = ch->evicted ? "raise --max-chains or narrow the capture (--sender) so chains stay open "
				      "for the whole window"
				    : "capture for longer (at least the chain window) to see what the sender does";
	} else {
		mx_finding_init(&f, "MX_NODATA_IMPLICIT_SKIPPED", MX_SEV_WARN);
		f.title = "no MX records and the sender did not try the domain's own address";
		f.smtp_status = "most likely a bounce or deferral with \"no MX\" wording (Exim with mx_domains: "
				"\"Unrouteable address\")";
		f.cause = "the domain publishes no MX and the sender does not implement implicit MX "
			  "(RFC 5321 §5.1), or it gave up";
		f.fix = "publish MX records for the domain; check the sender's implicit-MX setting";
	}
	f.sender = ch->sender;
	mx_dname_copy(&f.domain, &ch->domain);
	f.qtype = MX_TYPE_MX;
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, &f, &ch->mx);
	if (h) {
		mx_finding_add_step(c, &f, &h->a);
		mx_finding_add_step(c, &f, &h->aaaa);
		uint8_t raw[4] = {h->a.asked, (uint8_t)h->a.outcome, h->aaaa.asked, (uint8_t)h->aaaa.outcome};
		mx_finding_defer(&f, false, nd_detail, raw, sizeof raw);
	}
	mx_finding_defer(&f, true, nd_verify, NULL, 0);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_mx_nodata = {
	.id = "MX_NODATA",
	.pattern = "P4",
	.emits = "MX_NODATA_IMPLICIT_OK,MX_NODATA_NO_MAIL_ROUTE,MX_NODATA_IMPLICIT_SKIPPED",
	.summary = "no MX records: implicit MX to the domain's address decides (RFC 5321 5.1)",
	.on_chain = on_chain,
};
