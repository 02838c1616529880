/* null_mx.c - P5 NULL_MX / NULL_MX_MIXED (RFC 7505).
 *
 * A lone "0 ." MX says the domain accepts no mail: INFO, bounces by design;
 * a sender that still asks A/AAAA of the domain afterwards is noted as not
 * compliant (RFC 7505 §4.1). "0 ." beside other MX RRs violates RFC 7505 §3:
 * WARN, because MTAs disagree (Postfix bounces, Sendmail/OpenSMTPD use the
 * other MXs).
 * A "." exchange at another preference ("10 .") is not RFC 7505's null MX,
 * but the MTAs end the same way: Postfix's dns_lookup() answers nullMX for
 * any "." exchange whatever its preference, Exim's dnslookup router says
 * "an MX or SRV record indicated no SMTP service" when the lowest MX is "."
 * and no host is usable; only OpenSMTPD checks the preference (it then asks
 * the address of "." and finds none). So it is judged as a null MX, and the
 * texts show the real preference.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (!(ch->null_mx || ch->null_mx_mixed) || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	struct mx_finding f;
	char dn[MX_DNAME_STRLEN];
	mx_dname_format(&ch->domain, dn, sizeof dn);
	bool pref0 = ch->null_mx_pref == 0;
	if (ch->null_mx) {
		mx_finding_init(&f, "NULL_MX", MX_SEV_INFO);
		f.title = "the domain accepts no mail (null MX, RFC 7505)";
		f.cause = pref0 ? "the domain publishes \"MX 0 .\": it declares that it receives no mail"
				: "the domain's only MX has the exchange \".\" (no host) at a preference other "
				  "than 0: not RFC 7505's \"0 .\", but Postfix and Exim also give up on it";
		f.fix = pref0 ? "nothing on the DNS side; stop sending to this domain (check the address)"
			      : "if the domain accepts no mail: the owner publishes \"MX 0 .\" (RFC 7505); "
				"otherwise it names a real exchange; the sender stops sending meanwhile";
	} else {
		mx_finding_init(&f, "NULL_MX_MIXED", MX_SEV_WARN);
		f.title = "null MX published beside other MX records (RFC 7505 §3 violation)";
		f.cause = pref0 ? "the zone has \"MX 0 .\" and other MX records; MTAs disagree on what that means"
				: "the zone has an MX with the exchange \".\" (not at preference 0) and other MX "
				  "records; MTAs disagree on what that means";
		f.fix = "the domain owner removes either the null MX or the other MX records";
	}
	f.smtp_status = "most likely: Postfix 5.1.0 \"Domain <domain> does not accept mail (nullMX)\"; "
			"Sendmail \"556 Host does not accept mail: MX 0 .\" (5.1.10); Exim \"an MX or SRV "
			"record indicated no SMTP service\"; OpenSMTPD \"Domain does not accept mail\"";
	f.sender = ch->sender;
	mx_dname_copy(&f.domain, &ch->domain);
	f.qtype = MX_TYPE_MX;
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, &f, &ch->mx);
	mx_finding_detail(&f, "%u MX record(s) in the answer, null MX \"%u .\"", ch->mx_total,
			  (unsigned)ch->null_mx_pref);
	if (!pref0)
		mx_finding_detail(&f, "RFC 7505 wants preference 0; OpenSMTPD takes \"%u .\" for an exchange "
				      "without an address",
				  (unsigned)ch->null_mx_pref);
	if (ch->null_mx && ch->attempt >= 2)
		mx_finding_detail(&f, "the sender keeps trying: attempt %u", ch->attempt);
	mx_finding_verify(&f, "dig MX %s", dn);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_null_mx = {
	.id = "NULL_MX",
	.pattern = "P5",
	.emits = "NULL_MX,NULL_MX_MIXED",
	.summary = "the domain declares it accepts no mail (MX 0 ., or a lone \".\" at another preference), alone or mixed with other MXs",
	.on_chain = on_chain,
};
