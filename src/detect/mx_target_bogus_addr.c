/* mx_target_bogus_addr.c - P8 MX_TARGET_BOGUS_ADDR.
 *
 * An address answer for an exchange (or the domain under implicit MX) that no
 * one can deliver to: 0.0.0.0/8, 127.0.0.0/8, ::, ::1, 169.254.0.0/16,
 * fe80::/10 (ERROR), or the sender's own address (ERROR: a mail loop). RFC
 * 1918 / fc00::/7 addresses are WARN (an internal view leaking) when the
 * chain also has public addresses.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

enum kind { OK_ADDR, PRIVATE_ADDR, BOGUS_ADDR, SELF_ADDR };

static enum kind classify(const struct mx_addr *a, const struct mx_addr *sender)
{
	if (mx_addr_eq(a, sender))
		return SELF_ADDR;
	const uint8_t *b = a->a;
	if (a->family == 4) {
		if (b[0] == 0 || b[0] == 127 || (b[0] == 169 && b[1] == 254))
			return BOGUS_ADDR;
		if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168))
			return PRIVATE_ADDR;
		return OK_ADDR;
	}
	static const uint8_t wkp[12] = {0, 0x64, 0xff, 0x9b};
	if (memcmp(b, wkp, 12) == 0) {
		/* DNS64 with the RFC 6052 well-known prefix 64:ff9b::/96: the
		 * embedded IPv4 address decides (64:ff9b::10.1.2.3 is private). */
		struct mx_addr v4;
		mx_addr_set4(&v4, b + 12);
		return classify(&v4, sender);
	}
	static const uint8_t zero[16];
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return BOGUS_ADDR;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return BOGUS_ADDR;
	if ((b[0] & 0xfe) == 0xfc)
		return PRIVATE_ADDR;
	return OK_ADDR;
}

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (!mx_detect_is_sender(c->opts, &ch->sender))
		return;
	/* most chains have public addresses only: then nothing to report and
	 * the addresses are not classified a second time */
	bool any_public = false, any_other = false;
	for (unsigned i = 0; i < ch->n_hosts; i++)
		for (unsigned k = 0; k < ch->hosts[i].n_addrs; k++) {
			bool ok = classify(&ch->hosts[i].addrs[k], &ch->sender) == OK_ADDR;
			any_public |= ok;
			any_other |= !ok;
		}
	if (!any_other)
		return;
	char hn[MX_DNAME_STRLEN], as[MX_ADDR_STRLEN];
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		for (unsigned k = 0; k < h->n_addrs; k++) {
			enum kind kd = classify(&h->addrs[k], &ch->sender);
			if (kd == OK_ADDR || (kd == PRIVATE_ADDR && !any_public))
				continue;
			struct mx_finding f;
			mx_finding_init(&f, "MX_TARGET_BOGUS_ADDR", kd == PRIVATE_ADDR ? MX_SEV_WARN : MX_SEV_ERROR);
			mx_dname_format(&h->name, hn, sizeof hn);
			mx_addr_format(&h->addrs[k], as, sizeof as);
			f.title = kd == SELF_ADDR ? "an MX host resolves to the sender itself (mail loop)"
				: kd == PRIVATE_ADDR ? "an MX host resolves to a private address beside public ones"
						     : "an MX host resolves to an address no one can deliver to";
			mx_finding_detail(&f, "%s has address %s", hn, as);
			const uint8_t *ab = h->addrs[k].a;
			bool loopback = h->addrs[k].family == 4 ? ab[0] == 127 : (ab[0] == 0 && ab[15] == 1);
			bool unspec = h->addrs[k].family == 4 ? ab[0] == 0 : (ab[0] == 0 && ab[15] == 0);
			f.smtp_status = kd == SELF_ADDR
				? "most likely: Postfix 5.4.6 \"mail for <domain> loops back to myself\""
				: loopback
				? "most likely: Postfix bounce 5.4.6 \"mail for <domain> loops back to myself\"; Exim "
				  "\"Unrouteable address\" (ignore_target_hosts)"
				: unspec
				? "most likely: Postfix connects to its own host: defer 4.4.1 \"connect to <host>"
				  "[0.0.0.0]:25: Connection refused\" (5.4.6 loop if a local SMTP server answers with "
				  "the same name); Exim \"Unrouteable address\" (ignore_target_hosts)"
				: "most likely: connection failures, Postfix defer 4.4.1; Exim \"Unrouteable address\" "
				  "for ignore_target_hosts";
			f.cause = kd == PRIVATE_ADDR ? "an internal DNS view leaks private addresses into the answer"
						     : "the MX host's A/AAAA record holds a loopback, unspecified or "
						       "link-local address (a placeholder or a parked domain)";
			f.fix = "the domain owner publishes the mail server's public addresses";
			f.sender = ch->sender;
			mx_dname_copy(&f.domain, &ch->domain);
			mx_dname_copy(&f.host, &h->name);
			f.qtype = h->addrs[k].family == 6 ? MX_TYPE_AAAA : MX_TYPE_A;
			f.attempts = ch->attempt;
			f.single_attempt = ch->attempt < 2;
			mx_finding_add_step(c, &f, &ch->mx);
			mx_finding_add_step(c, &f, h->addrs[k].family == 6 ? &h->aaaa : &h->a);
			mx_finding_verify(&f, "dig %s %s", h->addrs[k].family == 6 ? "AAAA" : "A", hn);
			mx_emit(e, &f);
		}
	}
}

const struct mx_detector mx_det_mx_target_bogus_addr = {
	.id = "MX_TARGET_BOGUS_ADDR",
	.pattern = "P8",
	.emits = "MX_TARGET_BOGUS_ADDR",
	.summary = "an MX host resolves to loopback, unspecified, link-local, private or the sender's own address",
	.on_chain = on_chain,
};
