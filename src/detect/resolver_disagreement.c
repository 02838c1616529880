/* resolver_disagreement.c - P13 RESOLVER_DISAGREEMENT.
 *
 * The same question (qname, qtype) answered by two resolvers within
 * disagree_window with different outcome classes (ANSWER, NODATA, NXDOMAIN,
 * failure; two failures do not count), or, for MX, different sets of
 * (preference, exchange). Different A/AAAA address sets alone are normal
 * (CDNs, geo answers) and are not reported. WARN; ERROR when one side is an
 * answer and the other a negative or failure for MX or A (mail works through
 * one resolver only: split horizon, a stale internal zone, a strict resolver).
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

#define QS 512
#define PER 4

enum cls { C_NONE, C_ANSWER, C_NODATA, C_NXDOMAIN, C_FAIL };

/* One resolver's answer; its class is in struct q's cls[] (C_NONE = unused). */
struct seen {
	uint64_t ts, mxhash, q_frame, r_frame;
	struct mx_addr resolver, client;
	uint16_t ede;
};

/* Entries are found through a split table (headers in st.qh): a new entry
 * is reset by its first line (classes and the fired flag) only. */
struct q {
	_Alignas(64) uint8_t cls[PER];
	bool fired;
	struct seen v[PER];
};

struct st {
	struct mx_slot qh[QS];
	struct q q[QS];
	uint64_t clock;
};

static const char *cls_name(uint8_t c)
{
	static const char *const n[] = {"-", "ANSWER", "NODATA", "NXDOMAIN", "failure"};
	return c <= C_FAIL ? n[c] : "?";
}

static uint8_t classify(const struct mx_txn *t)
{
	switch (t->outcome) {
	case MX_O_ANSWER: return C_ANSWER;
	case MX_O_NODATA: return C_NODATA;
	case MX_O_NXDOMAIN: return C_NXDOMAIN;
	default: return mx_outcome_is_fail(t->outcome) ? C_FAIL : C_NONE;
	}
}

static uint64_t mx_set_hash(const struct mx_dns_msg *m)
{
	uint64_t h = 0;
	if (!m)
		return 0;
	for (unsigned i = 0; i < m->n_mx; i++)
		h ^= mx_dname_hash(&m->mx[i].exchange, m->mx[i].pref + 1);
	return h ^ m->mx_total;
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (t->kind != MX_TXN_ANSWERED || !t->rd)
		return;
	uint8_t cl = classify(t);
	if (cl == C_NONE)
		return;
	bool fresh;
	struct q *q = &s->q[MX_SLOT_INDEX(s->qh, mx_key_name(&t->qname, t->qtype, 13), &s->clock, &fresh)];
	if (fresh) {
		memset(q->cls, C_NONE, sizeof q->cls);
		q->fired = false;
	}
	struct seen now;
	now.resolver = t->server;
	now.client = t->client;
	now.mxhash = t->qtype == MX_TYPE_MX && cl == C_ANSWER ? mx_set_hash(t->resp) : 0;
	now.ts = t->r_ts;
	now.q_frame = t->q_frame;
	now.r_frame = t->r_frame;
	now.ede = t->ede;
	int slot = -1;
	for (int i = 0; i < PER; i++) {
		struct seen *v = &q->v[i];
		uint8_t vcls = q->cls[i];
		if (vcls == C_NONE) {
			if (slot < 0)
				slot = i;
			continue;
		}
		if (mx_addr_eq(&v->resolver, &t->server)) {
			slot = i;
			continue;
		}
		if (q->fired || now.ts > v->ts + c->opts->disagree_window_us)
			continue;
		bool differ = (vcls != cl && !(vcls == C_FAIL && cl == C_FAIL)) ||
			      (cl == C_ANSWER && vcls == C_ANSWER && now.mxhash != v->mxhash);
		if (!differ)
			continue;
		q->fired = true;
		bool mail = t->qtype == MX_TYPE_MX || t->qtype == MX_TYPE_A;
		bool split = (vcls == C_ANSWER) != (cl == C_ANSWER);
		struct mx_finding f;
		char qn[MX_DNAME_STRLEN], r1[MX_ADDR_STRLEN], r2[MX_ADDR_STRLEN], tn[16];
		mx_finding_init(&f, "RESOLVER_DISAGREEMENT", mail && split ? MX_SEV_ERROR : MX_SEV_WARN);
		f.title = "two resolvers give different answers to the same question";
		f.sender = mx_addr_eq(&v->client, &t->client) ? t->client : (struct mx_addr){0};
		mx_finding_add_resolver(&f, &v->resolver);
		mx_finding_add_resolver(&f, &t->server);
		mx_dname_copy(&f.host, &t->qname);
		f.qtype = t->qtype;
		f.first_us = v->ts;
		f.last_us = now.ts;
		mx_finding_add_frame(&f, v->q_frame);
		mx_finding_add_frame(&f, v->r_frame);
		mx_finding_add_frame(&f, t->q_frame);
		mx_finding_add_frame(&f, t->r_frame);
		mx_dname_format(&t->qname, qn, sizeof qn);
		mx_addr_format(&v->resolver, r1, sizeof r1);
		mx_addr_format(&t->server, r2, sizeof r2);
		mx_dns_type_name(t->qtype, tn, sizeof tn);
		if (vcls == cl)
			mx_finding_detail(&f, "%s %s: %s and %s return different MX sets", tn, qn, r1, r2);
		else
			mx_finding_detail(&f, "%s %s: %s says %s, %s says %s", tn, qn, r1, cls_name(vcls), r2,
					  cls_name(cl));
		if ((vcls == C_FAIL && (v->ede >= 6 && v->ede <= 12)) || (cl == C_FAIL && t->ede >= 6 && t->ede <= 12))
			mx_finding_detail(&f, "the failing side reports a DNSSEC validation error: see DNSSEC_BOGUS");
		f.smtp_status = "depends on which resolver the sender's mail uses: the failing side gives that "
				"side's error (NXDOMAIN: 5.4.4/5.1.2; failure: 4.4.3, \"451 4.4.0 DNS query failed\")";
		f.cause = "split horizon (an internal resolver or AD DNS hosting a stale copy of the recipient's "
			  "zone), a validating resolver against a non-validating one, or a stale secondary";
		f.fix = "give the mail server one consistent set of resolvers (Exchange: \"use the external DNS "
			"lookup settings\" on the send connector); fix or remove the stale internal zone";
		mx_finding_verify(&f, "dig %s %s @%s", tn, qn, r1);
		mx_finding_verify(&f, "dig %s %s @%s", tn, qn, r2);
		mx_emit(e, &f);
	}
	if (slot < 0) {
		slot = 0;
		for (int i = 1; i < PER; i++)
			if (q->v[i].ts < q->v[slot].ts)
				slot = i;
	}
	q->v[slot] = now;
	q->cls[slot] = cl;
}

const struct mx_detector mx_det_resolver_disagreement = {
	.id = "RESOLVER_DISAGREEMENT",
	.pattern = "P13",
	.emits = "RESOLVER_DISAGREEMENT",
	.summary = "two resolvers answer the same question differently (NXDOMAIN vs answer, other MX sets)",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
};
