/* tc_no_tcp_retry.c - P14 TC_NO_TCP_RETRY / TCP_FALLBACK_FAILED.
 *
 * A UDP answer with TC=1 must be retried over TCP (RFC 7766 §5; RFC 1123
 * §6.1.3.2: "a mailer must not use a truncated MX response"). Per lookup: a
 * truncated UDP try and no TCP try afterwards is TC_NO_TCP_RETRY; a TCP try
 * that got no answer (timeout, or the connection was refused or reset) is
 * TCP_FALLBACK_FAILED. A SYN to the resolver's port 53 after the truncated
 * answer that got a RST, or no SYN-ACK, also counts as a failed TCP retry
 * (the TCP control segments come from the decoder). WARN; ERROR for MX
 * questions or when the lookup's final outcome is a failure.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

#define CONNS 64

/* TCP connection attempts from a client to a resolver's DNS port. */
struct conn {
	struct mx_slot s;
	uint64_t syn_us, synack_us, rst_us;
	uint64_t syn_frame, rst_frame;
};

struct st {
	struct conn conns[CONNS];
	uint64_t clock;
};

static void on_tcp(void *vs, const struct mx_detect_ctx *c, const struct mx_tcpctl *t, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	bool to_dns = t->dport == 53, from_dns = t->sport == 53;
	if (!to_dns && !from_dns)
		return;
	/* key: (client, server) whichever direction the segment goes */
	const struct mx_addr *client = to_dns ? &t->src : &t->dst;
	const struct mx_addr *server = to_dns ? &t->dst : &t->src;
	struct conn *k = MX_SLOT_GET(s->conns, mx_key_addr2(client, server, 14), &s->clock, NULL);
	if (to_dns && t->syn && !t->ack) {
		k->syn_us = t->ts_us;
		k->syn_frame = t->frame;
	} else if (from_dns && t->syn && t->ack) {
		k->synack_us = t->ts_us;
	} else if (from_dns && t->rst) {
		k->rst_us = t->ts_us;
		k->rst_frame = t->frame;
	}
}

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	if (!mx_detect_is_sender(c->opts, &l->client))
		return;
	bool tc = false, tcp_try = false, tcp_failed = false;
	const struct mx_lookup_try *tc_try = NULL;
	for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (t->transport == MX_T_UDP && (t->tc || t->outcome == MX_O_TRUNCATED)) {
			tc = true;
			tc_try = t;
		} else if (t->transport == MX_T_TCP && tc) {
			tcp_try = true;
			if (t->open || t->outcome == MX_O_TIMEOUT || t->outcome == MX_O_UNREACHABLE)
				tcp_failed = true;
		}
	}
	if (!tc || (tcp_try && !tcp_failed))
		return;
	/* a SYN after the truncated answer that was reset or never accepted */
	const struct conn *k = NULL;
	if (!tcp_try) {
		k = MX_SLOT_FIND(s->conns, mx_key_addr2(&l->client, &tc_try->server, 14));
		if (k && k->syn_us >= tc_try->q_ts && k->syn_us <= tc_try->q_ts + tc_try->latency_us + 3000000ULL &&
		    (k->rst_us >= k->syn_us || k->synack_us < k->syn_us)) {
			tcp_try = true;
			tcp_failed = true;
		} else {
			k = NULL;
		}
	}
	bool fail = mx_outcome_is_fail(l->outcome);
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], tn[16];
	mx_finding_init(&f, tcp_try ? "TCP_FALLBACK_FAILED" : "TC_NO_TCP_RETRY",
			(l->qtype == MX_TYPE_MX || fail) ? MX_SEV_ERROR : MX_SEV_WARN);
	f.title = tcp_try ? "a truncated answer was retried over TCP, and TCP failed"
			  : "a truncated UDP answer was not retried over TCP";
	f.sender = l->client;
	mx_dname_copy(&f.host, &l->qname);
	f.qtype = l->qtype;
	mx_finding_add_lookup(&f, l);
	mx_dname_format(&l->qname, qn, sizeof qn);
	mx_addr_format(&tc_try->server, rs, sizeof rs);
	mx_finding_detail(&f, "%s %s: UDP answer with TC=1 from %s%s; final outcome %s",
			  mx_dns_type_name(l->qtype, tn, sizeof tn), qn, rs,
			  k ? (k->rst_us >= k->syn_us ? ", the TCP connection to port 53 was reset"
						      : ", the TCP connection to port 53 was never accepted")
			    : tcp_try ? ", the TCP retry got no answer" : ", no TCP query followed",
			  mx_outcome_name(l->outcome));
	if (k) {
		mx_finding_add_frame(&f, k->syn_frame);
		mx_finding_add_frame(&f, k->rst_frame);
	}
	f.smtp_status = "most likely a temporary DNS failure: Postfix 4.4.3, Exchange \"451 4.4.0 DNS query "
			"failed\"; a mailer must not use a truncated MX answer (RFC 1123 §6.1.3.2)";
	f.cause = tcp_try ? "a firewall blocks TCP/53 between the sender and the resolver (RFC 7766 §5 "
			    "requires TCP)"
			  : "the stub resolver ignores TC, or TCP/53 is blocked before a SYN is seen; large "
			    "answers (many MX, DNSSEC) do not fit 512 bytes without EDNS";
	f.fix = "allow TCP/53 between the mail server and its resolver; enable EDNS (options edns0) so "
		"answers up to 1232 bytes fit UDP";
	mx_finding_verify(&f, "dig +tcp %s %s @%s", tn, qn, rs);
	mx_finding_verify(&f, "dig +ignore +noedns %s %s @%s   # shows tc", tn, qn, rs);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_tc_no_tcp_retry = {
	.id = "TC_NO_TCP_RETRY",
	.pattern = "P14",
	.emits = "TC_NO_TCP_RETRY,TCP_FALLBACK_FAILED",
	.summary = "a truncated (TC=1) UDP answer without a working TCP retry",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_tcp = on_tcp,
	.lookup_needs = {MX_NEED_TC, 0},
};
