/* mx_target_unresolvable.c - P6 MX_TARGET_UNRESOLVABLE: exchanges without addresses.
 *
 * PATTERNS.md P6: for each exchange the sender asked about, its address state
 * is ANSWER (some A/AAAA answered), TRANSIENT (none answered, some failed) or
 * NEGATIVE (all negative). ALL_NEGATIVE (ERROR): every asked exchange is
 * NEGATIVE. PARTIAL (WARN): some NEGATIVE, at least one ANSWER: deliverable,
 * redundancy lost. Exchanges never asked are listed as not checked (Sendmail
 * stops at the first usable host). Hints: "mx.d.d" (missing trailing dot in a
 * zone file).
 * TRANSIENT (ERROR, CRIT from loop_min_attempts failing chains of (S, D) in a
 * row: mx_detect_ctx.chain_fails, not the attempt number): no asked
 * exchange answered and at least one failed temporarily, so the sender
 * defers the domain; e.g. an exchange with only an AAAA record whose AAAA
 * lookup fails (Exim "host lookup did not complete", OpenSMTPD "No MX found
 * for domain"), recorded in captures/lab-{exim,opensmtpd}-aaaa-noa.pcap. An
 * exchange that P1 reports (AAAA failed, no A asked in the fallback window)
 * leaves the chain to P1; a step still pending at the capture's end, or an
 * evicted chain whose address lookups may still come, is not judged.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

enum state { NOT_ASKED, ANSWERED, TRANSIENT, NEGATIVE };

static enum state host_state(const struct mx_chain_host *h)
{
	if (!h->a.asked && !h->aaaa.asked)
		return NOT_ASKED;
	if (h->gai_failed)
		return TRANSIENT; /* an answer the sender's musl getaddrinfo threw away */
	if ((h->a.asked && h->a.outcome == MX_O_ANSWER) || (h->aaaa.asked && h->aaaa.outcome == MX_O_ANSWER))
		return ANSWERED;
	if ((h->a.asked && mx_outcome_is_fail(h->a.outcome)) ||
	    (h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome)))
		return TRANSIENT;
	return NEGATIVE;
}

/* "mx1.example.com.example.com": the domain repeated at the end. */
static bool doubled_suffix(const struct mx_dname *host, const struct mx_dname *dom)
{
	if (dom->labels == 0 || host->labels < 2 * dom->labels)
		return false;
	struct mx_dname tail, rest;
	mx_dname_suffix(host, 2u * dom->labels, &tail);
	mx_dname_suffix(host, dom->labels, &rest);
	return mx_dname_eq(&rest, dom) && mx_dname_is_subdomain(&tail, dom) &&
	       memcmp(tail.wire, dom->wire, dom->len - 1) == 0;
}

/* P1's case: AAAA asked first and failed, no A asked within the fallback
 * window (AAAA_SERVFAIL_LOOP reports it). */
static bool p1_shaped(const struct mx_detect_ctx *c, const struct mx_chain_host *h)
{
	return h->first_family == 6 && h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome) &&
	       !(h->a.asked && h->a.first_us <= h->aaaa.end_us + c->opts->fallback_window_us);
}

static const char *step_text(const struct mx_chain_step *st)
{
	return st->asked ? mx_outcome_name(st->outcome) : "not asked";
}

static void transient(const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	uint64_t last_end = ch->mx.end_us;
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit || host_state(h) == NOT_ASKED)
			continue;
		if ((h->a.asked && h->a.pending) || (h->aaaa.asked && h->aaaa.pending))
			return; /* unknown: the capture ended first */
		if (host_state(h) == TRANSIENT && p1_shaped(c, h))
			return;
		if (h->a.asked && h->a.end_us > last_end)
			last_end = h->a.end_us;
		if (h->aaaa.asked && h->aaaa.end_us > last_end)
			last_end = h->aaaa.end_us;
	}
	if (ch->evicted && c->now_us < last_end + c->opts->fallback_window_us)
		return; /* closed early by the table cap: an address query may still come */
	struct mx_finding f;
	char dn[MX_DNAME_STRLEN], hn[MX_DNAME_STRLEN];
	mx_dname_format(&ch->domain, dn, sizeof dn);
	bool crit = c->chain_fails >= c->opts->loop_min_attempts;
	mx_finding_init(&f, "MX_TARGET_TRANSIENT", crit ? MX_SEV_CRIT : MX_SEV_ERROR);
	f.title = "no MX host of the domain resolves: its address lookups fail temporarily";
	f.sender = ch->sender;
	mx_dname_copy(&f.domain, &ch->domain);
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, &f, &ch->mx);
	/* AAAA failed and A negative (or A never asked) on every failing exchange:
	 * the exchange's only address is behind the failing AAAA lookup */
	bool v6only = true;
	/* every failed address lookup REFUSED: the sender's own resolver said
	 * no (its access list, rate limit or a zone policy), whatever the
	 * exchanges' zone is like */
	bool refused_only = true;
	bool gai = false;
	unsigned n_failed = 0;
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit)
			continue;
		enum state s = host_state(h);
		mx_dname_format(&h->name, hn, sizeof hn);
		if (s == NOT_ASKED) {
			mx_finding_detail(&f, "%s not checked by the sender", hn);
			continue;
		}
		gai |= h->gai_failed;
		if (s == TRANSIENT) {
			bool aaaa_fail = h->aaaa.asked && mx_outcome_is_fail(h->aaaa.outcome);
			bool a_fail = h->a.asked && mx_outcome_is_fail(h->a.outcome);
			if (!aaaa_fail || a_fail)
				v6only = false;
			n_failed += aaaa_fail + a_fail;
			if ((aaaa_fail && h->aaaa.outcome != MX_O_REFUSED) || (a_fail && h->a.outcome != MX_O_REFUSED))
				refused_only = false;
			if (f.host.len == 0) {
				mx_dname_copy(&f.host, &h->name);
				f.qtype = aaaa_fail ? MX_TYPE_AAAA : MX_TYPE_A;
			}
		}
		if (h->aaaa.asked)
			mx_finding_add_step(c, &f, &h->aaaa);
		if (h->a.asked)
			mx_finding_add_step(c, &f, &h->a);
		mx_finding_detail(&f, "%s: AAAA %s, A %s%s", hn, step_text(&h->aaaa), step_text(&h->a),
				  h->gai_failed ? " (asked together by musl's getaddrinfo, which gives up on the failed one)"
						: "");
		if (s == TRANSIENT && h->aaaa.asked && h->aaaa.ede != 0xffff)
			mx_finding_detail(&f, "%s: AAAA EDE %u %s", hn, h->aaaa.ede, mx_dns_ede_name(h->aaaa.ede));
		if (s == TRANSIENT && h->a.asked && h->a.ede != 0xffff)
			mx_finding_detail(&f, "%s: A EDE %u %s", hn, h->a.ede, mx_dns_ede_name(h->a.ede));
		mx_finding_verify(&f, "dig AAAA %s", hn);
		mx_finding_verify(&f, "dig A %s", hn);
	}
	mx_finding_detail(&f, "attempt %u of %s by this sender", ch->attempt, dn);
	f.smtp_status = "most likely a deferral: Postfix 4.4.3 \"Host or domain name not found. Name service "
			"error for name=<host> type=AAAA: Host not found, try again\"; Exim \"R=dnslookup defer "
			"(-1): host lookup did not complete\"; OpenSMTPD TempFail \"No MX found for domain\"; "
			"Haraka \"Temp failing <file> for <N> seconds: Tried all MXs\", after its last retry a 550 "
			"5.1.2 bounce \"Too many failures (Tried all MXs)\"; Sendmail \"Deferred: Name server: "
			"<host>.: host name lookup failure\"; Exchange "
			"\"451 4.4.0 DNS query failed\"; 4.4.7 \"delivery time expired\" once the queue "
			"lifetime ends. Courier takes a failing AAAA lookup for \"no AAAA record\": an "
			"exchange without an A record makes it bounce at once, 5.0.0 \"No such domain.\"; "
			"so does dma (glibc getaddrinfo reports no address when A is NODATA beside the "
			"failing AAAA): \"remote delivery failed: DNS lookup failure: host <domain> not "
			"found\", then \"delivery failed, bouncing as <id>\" (no DSN code). chasquid defers: "
			"\"failed (temporary): all MXs returned transient failures (last: Could not dial: dial "
			"tcp: lookup <host>. on <resolver>:53: server misbehaving)\" (\"no such host\" when the "
			"A NODATA came back last), retried until give_up_send_after (20 h). qmail-remote asks "
			"A only: \"Sorry, I couldn't find any host by that name. (#4.1.2)\" when no exchange "
			"got an address";
	if (n_failed == 0)
		refused_only = false;
	f.cause = gai
		? "the sender's musl getaddrinfo (an Alpine-based MTA or program) asks A and AAAA together and "
		  "fails the whole lookup (EAI_AGAIN) when one of them gets SERVFAIL or no answer, although the "
		  "other answered: the recipient's authoritative servers mishandle AAAA queries (RFC 4074)"
		: refused_only && !v6only
		? "the sender's own resolver refuses the address lookups: REFUSED is the resolver's policy "
		  "(an access list, a rate limit, a zone's policy: see RESOLVER_REFUSED), not a fault of "
		  "the exchanges' zone"
		: v6only
		? "the exchange has no A record, so its AAAA record is its only address, and the AAAA "
		  "lookup fails (SERVFAIL or no answer): the recipient's authoritative servers mishandle "
		  "AAAA queries (RFC 4074), DNSSEC for the zone is broken, or something drops AAAA"
		: "the address lookups of every exchange fail (SERVFAIL, REFUSED or no answer): the "
		  "exchanges' zone or its servers are broken, or the resolver cannot reach them (see "
		  "the resolver findings)";
	f.fix = gai
		? "recipient: make every authoritative server answer AAAA for the exchange (RFC 4074 §3); "
		  "sender: a glibc-based build of the MTA (glibc's getaddrinfo returns the A answer)"
		: refused_only && !v6only
		? "sender: see RESOLVER_REFUSED (exempt the mail server from the resolver's rate limit, "
		  "allow it, or use a resolver that serves it); the recipient has nothing to repair"
		: v6only
		? "recipient: make every authoritative server answer AAAA for the exchange (RFC 4074 §3), "
		  "or publish an A record for it"
		: "recipient: repair the exchanges' zone (dig +trace A <host>); sender: if only this "
		  "resolver fails, use one that resolves the exchanges";
	mx_finding_verify(&f, "dig MX %s", dn);
	mx_emit(e, &f);
}

static void on_chain(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	(void)st;
	if (ch->mx.outcome != MX_O_ANSWER || ch->null_mx || !mx_detect_is_sender(c->opts, &ch->sender))
		return;
	unsigned n_ans = 0, n_neg = 0, n_asked = 0, n_trans = 0;
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		if (ch->hosts[i].implicit)
			continue;
		enum state s = host_state(&ch->hosts[i]);
		n_asked += s != NOT_ASKED;
		n_ans += s == ANSWERED;
		n_neg += s == NEGATIVE;
		n_trans += s == TRANSIENT;
	}
	if (n_ans == 0 && n_trans > 0) {
		transient(c, ch, e);
		return;
	}
	if (n_neg == 0)
		return;
	bool all = n_ans == 0 && n_neg == n_asked;
	struct mx_finding f;
	char dn[MX_DNAME_STRLEN], hn[MX_DNAME_STRLEN];
	mx_dname_format(&ch->domain, dn, sizeof dn);
	mx_finding_init(&f, all ? "MX_TARGET_UNRESOLVABLE" : "MX_TARGET_PARTIAL", all ? MX_SEV_ERROR : MX_SEV_WARN);
	f.title = all ? "no MX host of the domain has an address" : "some MX hosts of the domain have no address";
	f.sender = ch->sender;
	mx_dname_copy(&f.domain, &ch->domain);
	f.attempts = ch->attempt;
	f.single_attempt = ch->attempt < 2;
	mx_finding_add_step(c, &f, &ch->mx);
	for (unsigned i = 0; i < ch->n_hosts; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit)
			continue;
		enum state s = host_state(h);
		mx_dname_format(&h->name, hn, sizeof hn);
		if (s == NEGATIVE) {
			if (f.host.len == 0)
				mx_dname_copy(&f.host, &h->name);
			mx_finding_add_step(c, &f, &h->a);
			mx_finding_add_step(c, &f, &h->aaaa);
			mx_finding_detail(&f, "%s: A %s, AAAA %s", hn,
					  h->a.asked ? mx_outcome_name(h->a.outcome) : "not asked",
					  h->aaaa.asked ? mx_outcome_name(h->aaaa.outcome) : "not asked");
			if (doubled_suffix(&h->name, &ch->domain))
				mx_finding_detail(&f, "%s repeats the domain: a missing trailing dot in the zone file?", hn);
			/* one family asked, NODATA: the name exists, perhaps with
			 * addresses of the other family only */
			if (h->a.asked != h->aaaa.asked &&
			    (h->a.asked ? h->a.outcome : h->aaaa.outcome) == MX_O_NODATA)
				mx_finding_detail(&f, "the sender asked only %s: if %s has %s records only, this "
						      "%s-only sender (qmail, Postfix inet_protocols = %s) can never "
						      "reach it", h->a.asked ? "A" : "AAAA", hn,
						  h->a.asked ? "AAAA" : "A", h->a.asked ? "IPv4" : "IPv6",
						  h->a.asked ? "ipv4" : "ipv6");
			mx_finding_verify(&f, "dig A %s", hn);
			mx_finding_verify(&f, "dig AAAA %s", hn);
		} else if (s == NOT_ASKED) {
			mx_finding_detail(&f, "%s not checked by the sender", hn);
		}
	}
	/* Steps answered by one resolver each, but not all by the same one (glibc
	 * "options rotate" over resolvers that disagree): the negatives may come
	 * from a resolver whose view of the domain differs from the other's. */
	const struct mx_addr *one = ch->mx.n_resolvers == 1 ? &ch->mx.resolvers[0] : NULL;
	bool mixed = false;
	for (unsigned i = 0; i < ch->n_hosts && !mixed; i++) {
		const struct mx_chain_host *h = &ch->hosts[i];
		if (h->implicit || host_state(h) != NEGATIVE)
			continue;
		const struct mx_chain_step *st2[2] = {&h->a, &h->aaaa};
		for (unsigned k = 0; k < 2; k++) {
			if (!st2[k]->asked || st2[k]->n_resolvers != 1)
				continue;
			if (one && !mx_addr_eq(one, &st2[k]->resolvers[0]))
				mixed = true;
			one = one ? one : &st2[k]->resolvers[0];
		}
	}
	if (mixed)
		mx_finding_detail(&f, "the MX and address answers came from different resolvers: if they disagree "
				      "(RESOLVER_DISAGREEMENT), the hosts may have addresses on the other one");
	f.smtp_status = all ? "most likely: Postfix 5.4.4 \"Host or domain name not found. Name service error for "
			      "name=<host> type=AAAA: Host not found\", after the warning \"no MX host for <domain> "
			      "has a valid address record\" (4.4.4 with smtp_defer_if_no_mx_address_found); Exim \"all relevant MX "
			      "records point to non-existent hosts\"; OpenSMTPD \"No MX found for domain\"; "
			      "Sendmail 5.1.2 \"Host unknown\"; Messaging Gateway 421 4.4.4; qmail-remote \"Sorry, I "
			      "couldn't find a mail exchanger or IP address. (#5.4.4)\""
			    : "no SMTP error while a working MX host remains; redundancy is lost";
	f.cause = "the domain's MX records name hosts that have no A/AAAA records (dangling or mistyped "
		  "names, or a missing trailing dot in the zone file)";
	f.fix = "the domain owner points the MX records at hosts with addresses, or adds the missing A/AAAA";
	mx_finding_verify(&f, "dig MX %s", dn);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_mx_target_unresolvable = {
	.id = "MX_TARGET_UNRESOLVABLE",
	.pattern = "P6",
	.emits = "MX_TARGET_UNRESOLVABLE,MX_TARGET_PARTIAL,MX_TARGET_TRANSIENT",
	.summary = "MX hosts of the domain have no A/AAAA records (all of them, or some), or their lookups fail",
	.on_chain = on_chain,
};
