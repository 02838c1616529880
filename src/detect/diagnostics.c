/* diagnostics.c - P20 auxiliary diagnostics.
 *
 * MALFORMED_RESPONSE (WARN): undecodable responses to a sender, and UDP
 * responses of exactly 512 bytes with fewer records than their header
 * announces and no TC bit (a middlebox cut them). STALE_ANSWER (INFO): EDE 3
 * or 19, the resolver serves expired data because upstream fails (RFC 8767).
 * UNMATCHED_RESPONSE (INFO): responses that match no query (capture started
 * late, loss, NAT, spoofing), counted. DNS64_SYNTHESIZED (INFO): AAAA answers
 * in 64:ff9b::/96. AUTH_AAAA_MISBEHAVIOR (ERROR; only with a resolver's
 * iterative RD=0 traffic in the capture): an authoritative server answers A
 * for a name with NOERROR but fails AAAA (NXDOMAIN, NOTIMP, FORMERR, SERVFAIL,
 * REFUSED, no answer): direct proof of RFC 4074 §4 behind P1/P2.
 * SEARCH_SUFFIX_EXPANSION is not detected (see the manual's CAVEATS).
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

#define AUTH 256

struct auth {
	struct mx_slot s;
	struct mx_addr server, client;
	struct mx_dname qname;
	bool a_ok, v6_bad, fired;
	enum mx_outcome v6_outcome;
	uint64_t frames[4], first_us, last_us;
	unsigned nframes;
};

struct st {
	struct auth auth[AUTH];
	uint64_t clock;
	uint64_t unmatched, unmatched_first, unmatched_last, unmatched_frame;
	struct mx_addr unmatched_from;
};

static void simple(const struct mx_txn *t, const char *pattern, enum mx_sev sev, const char *title,
		   const char *status, const char *cause, const char *fix, struct mx_emit *e,
		   const char *detail)
{
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], tn[16];
	mx_finding_init(&f, pattern, sev);
	f.title = title;
	f.sender = t->client;
	mx_finding_add_resolver(&f, &t->server);
	mx_dname_copy(&f.host, &t->qname);
	f.qtype = t->qtype;
	f.first_us = t->q_ts;
	f.last_us = t->r_ts;
	mx_finding_add_frame(&f, t->q_frame);
	mx_finding_add_frame(&f, t->r_frame);
	mx_finding_detail(&f, "%s", detail);
	f.smtp_status = status;
	f.cause = cause;
	f.fix = fix;
	mx_dname_format(&t->qname, qn, sizeof qn);
	mx_addr_format(&t->server, rs, sizeof rs);
	mx_finding_verify(&f, "dig %s %s @%s", mx_dns_type_name(t->qtype, tn, sizeof tn), qn, rs);
	mx_emit(e, &f);
}

static void auth_check(struct st *s, const struct mx_txn *t, struct mx_emit *e)
{
	if (t->qtype != MX_TYPE_A && t->qtype != MX_TYPE_AAAA)
		return;
	bool fresh;
	struct auth *a = MX_SLOT_GET(s->auth, mx_key_addr(&t->server, mx_key_name(&t->qname, 0, 20)), &s->clock, &fresh);
	if (fresh) {
		a->server = t->server;
		a->client = t->client;
		mx_dname_copy(&a->qname, &t->qname);
		a->first_us = t->q_ts;
	}
	a->last_us = t->r_ts ? t->r_ts : t->q_ts;
	if (t->qtype == MX_TYPE_A && t->kind == MX_TXN_ANSWERED && t->rcode == 0 && t->aa) {
		a->a_ok = true;
	} else if (t->qtype == MX_TYPE_AAAA) {
		bool bad = t->kind == MX_TXN_TIMEOUT ||
			   (t->kind == MX_TXN_ANSWERED &&
			    (t->rcode == MX_RCODE_NXDOMAIN || t->rcode == MX_RCODE_NOTIMP || t->rcode == MX_RCODE_FORMERR ||
			     t->rcode == MX_RCODE_SERVFAIL || t->rcode == MX_RCODE_REFUSED));
		if (bad) {
			a->v6_bad = true;
			a->v6_outcome = t->outcome;
		}
	} else {
		return;
	}
	if (a->nframes < 4) {
		a->frames[a->nframes++] = t->q_frame;
		if (t->r_frame && a->nframes < 4)
			a->frames[a->nframes++] = t->r_frame;
	}
	if (!a->fired && a->a_ok && a->v6_bad) {
		a->fired = true;
		struct mx_finding f;
		char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
		mx_finding_init(&f, "AUTH_AAAA_MISBEHAVIOR", MX_SEV_ERROR);
		f.title = "an authoritative server answers A but fails AAAA (RFC 4074 §4)";
		mx_finding_add_resolver(&f, &a->server);
		mx_dname_copy(&f.host, &a->qname);
		f.qtype = MX_TYPE_AAAA;
		f.first_us = a->first_us;
		f.last_us = a->last_us;
		for (unsigned i = 0; i < a->nframes; i++)
			mx_finding_add_frame(&f, a->frames[i]);
		mx_dname_format(&a->qname, qn, sizeof qn);
		mx_addr_format(&a->server, rs, sizeof rs);
		mx_finding_detail(&f, "authoritative %s: A %s NOERROR, AAAA %s", rs, qn, mx_outcome_name(a->v6_outcome));
		f.smtp_status = "through any resolver: AAAA-first MTAs defer (Exchange \"451 4.4.0 DNS query failed\", "
				"Sendmail 4.4.3); see AAAA_SERVFAIL_LOOP";
		f.cause = "the authoritative server mishandles AAAA queries instead of answering NOERROR with an "
			  "empty answer (RFC 4074 §3)";
		f.fix = "the zone's operator fixes or upgrades the server (or the load balancer/firewall in front "
			"of it)";
		mx_finding_verify(&f, "dig +norec AAAA %s @%s", qn, rs);
		mx_finding_verify(&f, "dig +norec A %s @%s", qn, rs);
		mx_emit(e, &f);
	}
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	if (!t->rd && t->kind != MX_TXN_OPEN && t->kind != MX_TXN_PENDING)
		auth_check(s, t, e);
	if (t->kind != MX_TXN_ANSWERED)
		return;
	if (t->outcome == MX_O_MALFORMED)
		simple(t, "MALFORMED_RESPONSE", MX_SEV_WARN, "a response cannot be decoded",
		       "most likely: Postfix \"Malformed or unexpected name server reply\" (4.4.3)",
		       "a broken server or a middlebox that rewrites or cuts DNS answers",
		       "find the device that alters DNS answers; compare with a capture next to the resolver", e,
		       "the response's records contradict its header");
	else if (t->resp && t->transport == MX_T_UDP && t->r_size == 512 && !t->tc &&
		 t->resp->an_parsed < t->resp->ancount)
		simple(t, "MALFORMED_RESPONSE", MX_SEV_WARN, "a 512-byte answer lost records without setting TC",
		       "most likely: Postfix \"Malformed or unexpected name server reply\" (4.4.3)",
		       "a middlebox truncates UDP answers to 512 bytes without setting TC",
		       "fix the middlebox's DNS inspection; enable EDNS", e,
		       "UDP answer of exactly 512 bytes with fewer records than announced and TC=0");
	if (t->ede == 3 || t->ede == 19)
		simple(t, "STALE_ANSWER", MX_SEV_INFO, "the resolver serves expired data (serve-stale)",
		       "none now: mail flows on stale data", "the resolver cannot reach the authoritative servers "
		       "and answers from expired cache (RFC 8767)",
		       "check the resolver's upstream connectivity and the recipient's authoritative servers", e,
		       t->ede == 3 ? "EDE 3 Stale Answer" : "EDE 19 Stale NXDOMAIN Answer");
	if (t->resp && t->qtype == MX_TYPE_AAAA) {
		for (unsigned i = 0; i < t->resp->n_addr; i++) {
			const uint8_t *a = t->resp->addr[i].addr.a;
			static const uint8_t pfx[12] = {0, 0x64, 0xff, 0x9b};
			if (t->resp->addr[i].addr.family == 6 && memcmp(a, pfx, 12) == 0) {
				simple(t, "DNS64_SYNTHESIZED", MX_SEV_INFO, "AAAA answers are synthesized by DNS64",
				       "none by itself; IPv6 delivery goes through NAT64",
				       "the resolver does DNS64 (64:ff9b::/96): the name may have no real AAAA",
				       "use a resolver without DNS64 for the mail server if NAT64 is not intended", e,
				       "AAAA answer inside 64:ff9b::/96");
				break;
			}
		}
	}
}

static void on_stray(void *vs, const struct mx_detect_ctx *c, const struct mx_stray *st, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	if (st->kind != MX_STRAY_UNSOLICITED || !st->resp)
		return;
	if (s->unmatched++ == 0) {
		s->unmatched_first = st->resp->ts_us;
		s->unmatched_frame = st->resp->frame;
		s->unmatched_from = st->resp->src;
	}
	s->unmatched_last = st->resp->ts_us;
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	if (s->unmatched == 0)
		return;
	struct mx_finding f;
	mx_finding_init(&f, "UNMATCHED_RESPONSE", MX_SEV_INFO);
	f.title = "responses that match no query in the capture";
	f.first_us = s->unmatched_first;
	f.last_us = s->unmatched_last;
	f.count = s->unmatched;
	mx_finding_add_frame(&f, s->unmatched_frame);
	mx_finding_detail(&f, "%llu unmatched responses; the first from frame %llu",
			  (unsigned long long)s->unmatched, (unsigned long long)s->unmatched_frame);
	f.smtp_status = "none";
	f.cause = "the capture started after the queries, packet loss in the capture, NAT, or spoofed answers";
	f.fix = "start the capture before the traffic of interest; capture where both directions pass";
	mx_emit(e, &f);
}

const struct mx_detector mx_det_diagnostics = {
	.id = "DIAGNOSTICS",
	.pattern = "P20",
	.emits = "MALFORMED_RESPONSE,STALE_ANSWER,UNMATCHED_RESPONSE,DNS64_SYNTHESIZED,AUTH_AAAA_MISBEHAVIOR",
	.summary = "malformed or cut answers, stale data, unmatched responses, DNS64, authoritative AAAA bugs",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_stray = on_stray,
	.on_finish = on_finish,
};
