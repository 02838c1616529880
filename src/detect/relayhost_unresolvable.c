/* relayhost_unresolvable.c - P21 RELAYHOST_UNRESOLVABLE: the relay host does
 * not resolve.
 *
 * mxsniff's own pattern (not in PATTERNS.md' catalogue). A mail host that
 * sends all its mail through a relay host (smarthost: Postfix "relayhost =
 * [host]", Exim's manualroute, Sendmail's SMART_HOST) asks no MX: only the
 * relay host's A/AAAA. With --relayhost those lookups form relay chains
 * (chain.h, struct mx_chain.relay); this detector judges each closed one
 * whose relay host got no address: every address lookup negative
 * (NXDOMAIN/NODATA: the chain FAILED) or some failing temporarily (SERVFAIL,
 * REFUSED, timeouts: DEFERRED). Nothing the host sends leaves, so the
 * finding is an ERROR, CRIT from loop_min_attempts failing chains in a row. A relay host
 * whose AAAA fails while the sender never asks A is P1's (AAAA_SERVFAIL_LOOP);
 * a chain cut short by the capture's end with a lookup unanswered is not
 * judged (INCOMPLETE).
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

static const char *step_text(const struct mx_chain_step *st)
{
	return st->asked ? mx_outcome_name(st->outcome) : "not asked";
}

/* P1's case: AAAA asked first and failed, no A within the fallback window. */
static bool p1_shaped(const struct mx_detect_ctx *c, const struct mx_chain_host *h)
{
	return h->first_family == 6 && h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome) &&
	       !(h->a.asked && h->a.first_us <= h->aaaa.end_us + c->opts->fallback_window_us);
}

static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)vs;
	if (!ch->relay || ch->n_hosts == 0 || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	if (ch->verdict != MX_CHAIN_DEFERRED && ch->verdict != MX_CHAIN_FAILED)
		return;
	const struct mx_chain_host *h = &ch->hosts[0];
	if (p1_shaped(c, h))
		return;
	uint64_t last_end = h->a.asked ? h->a.end_us : 0;
	if (h->aaaa.asked && h->aaaa.end_us > last_end)
		last_end = h->aaaa.end_us;
	if (ch->evicted && c->now_us < last_end + c->opts->fallback_window_us)
		return; /* closed early by the table cap: an address query may still come */
	bool negative = ch->verdict == MX_CHAIN_FAILED;
	bool crit = c->chain_fails >= c->opts->loop_min_attempts;
	char hn[MX_DNAME_STRLEN];
	mx_dname_format(&h->name, hn, sizeof hn);

	struct mx_finding f;
	mx_finding_init(&f, "RELAYHOST_UNRESOLVABLE", crit ? MX_SEV_CRIT : MX_SEV_ERROR);
	f.title = negative ? "the relay host does not exist in the DNS: no mail leaves through it"
			   : "the relay host's address lookups fail: no mail leaves through it";
	f.sender = ch->sender;
	mx_dname_copy(&f.host, &h->name);
	/* the family that failed temporarily (DEFERRED), else the one the
	 * sender asked first */
	bool a_fail = h->a.asked && mx_outcome_is_fail(h->a.outcome);
	bool aaaa_fail = h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome);
	if (!negative && (a_fail || aaaa_fail))
		f.qtype = aaaa_fail && !a_fail ? MX_TYPE_AAAA : MX_TYPE_A;
	else
		f.qtype = h->first_family == 6 ? MX_TYPE_AAAA : MX_TYPE_A;
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	if (h->aaaa.asked)
		mx_finding_add_step(c, &f, &h->aaaa);
	if (h->a.asked)
		mx_finding_add_step(c, &f, &h->a);
	/* in the order the sender asked */
	if (h->first_family == 4)
		mx_finding_detail(&f, "relay host %s: A %s, AAAA %s (no MX lookup: --relayhost)", hn,
				  step_text(&h->a), step_text(&h->aaaa));
	else
		mx_finding_detail(&f, "relay host %s: AAAA %s, A %s (no MX lookup: --relayhost)", hn,
				  step_text(&h->aaaa), step_text(&h->a));
	if (h->aaaa.asked && h->aaaa.ede != 0xffff)
		mx_finding_detail(&f, "AAAA EDE %u %s", h->aaaa.ede, mx_dns_ede_name(h->aaaa.ede));
	if (h->a.asked && h->a.ede != 0xffff)
		mx_finding_detail(&f, "A EDE %u %s", h->a.ede, mx_dns_ede_name(h->a.ede));
	mx_finding_detail(&f, "attempt %u of the relay host by this sender", ch->attempt);
	f.smtp_status = negative
		? "a deferral for every recipient, not a bounce (the relay host is the sender's own "
		  "setting): Postfix \"warning: relayhost configuration problem\", then dsn=4.3.5 "
		  "status=deferred \"Host or domain name not found. Name service error for name=<relay> "
		  "type=AAAA: Host not found\"; Exim (Debian's smarthost router) \"no IP address found for "
		  "host <relay>\", then \"R=smarthost defer (-1): lookup failed for all hosts in smarthost "
		  "router\" (with Exim's default host_find_failed = freeze the message is frozen instead); "
		  "OpenSMTPD \"Failed to resolve MX for [relay:<relay>...]: Host not found\", "
		  "result=\"TempFail\" stat=\"Host not found\"; nullmailer \"smtp: Failed: Connect "
		  "failed\", then \"Sending failed: Host not found\"; mail stays queued until the queue "
		  "lifetime ends, then bounces (Postfix, Exim 4.4.7; nullmailer after queuelifetime, 7 "
		  "days, Status 5.0.0 \"Connect failed\")"
		: "a deferral for every recipient: Postfix dsn=4.4.3 status=deferred \"Host or domain name "
		  "not found. Name service error for name=<relay> type=AAAA: Host not found, try again\"; "
		  "Exim \"R=smarthost defer (-36): host lookup for <relay> did not complete (DNS "
		  "timeout?)\"; OpenSMTPD result=\"TempFail\" stat=\"Host not found\" (its words for a "
		  "temporary failure too); nullmailer \"smtp: Failed: Connect failed\", then \"Sending "
		  "failed: Temporary error in gethostbyname\"; mail stays queued until the queue lifetime "
		  "ends (Postfix, Exim 4.4.7; nullmailer's queuelifetime, 7 days)";
	f.cause = negative
		? "the relay host's name has no A/AAAA record: a typo in the relay setting, a renamed or "
		  "retired smarthost, or a stale internal (split-horizon) zone on the resolver"
		: "the resolver cannot resolve the relay host's name (SERVFAIL, REFUSED or no answer): the "
		  "name's authoritative servers fail or are unreachable, or the resolver itself fails (see "
		  "the resolver findings)";
	f.fix = negative
		? "correct the relay host setting (Postfix: relayhost = [host] in main.cf; Exim: the "
		  "smarthost router, Debian's dc_smarthost; OpenSMTPD: the relay host action; nullmailer: "
		  "/etc/nullmailer/remotes, read at every queue run) and reload, then flush the queue "
		  "(postqueue -f, exim -qff, smtpctl schedule all; nullmailer: write a byte to "
		  "/var/spool/nullmailer/trigger); or restore the host's address records"
		: "repair the resolution of the relay host's zone or the resolver; meanwhile the relay can be "
		  "given by address (Postfix: relayhost = [192.0.2.25])";
	mx_finding_verify(&f, "dig A %s", hn);
	mx_finding_verify(&f, "dig AAAA %s", hn);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_relayhost_unresolvable = {
	.id = "RELAYHOST_UNRESOLVABLE",
	.pattern = "P21",
	.emits = "RELAYHOST_UNRESOLVABLE",
	.summary = "the relay host (--relayhost) gets no address: NXDOMAIN/NODATA, or its lookups fail",
	.on_chain = on_chain,
};
