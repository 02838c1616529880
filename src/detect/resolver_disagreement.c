/* resolver_disagreement.c - P13 RESOLVER_DISAGREEMENT.
 *
 * The same question (qname, qtype) answered by two resolvers within
 * disagree_window with different outcome classes (ANSWER, NODATA, NXDOMAIN,
 * failure; two failures do not count), or, for MX, different sets of
 * (preference, exchange). Different A/AAAA address sets alone are normal
 * (CDNs, geo answers) and are not reported. REFUSED is no answer about the
 * name: a resolver that refuses the sender refuses every question, and
 * RESOLVER_REFUSED (P11) reports that once; here it would be one finding
 * per question the other resolver answered (thousands on a busy server).
 * FORMERR neither: it judges the query's form (EDNS_FORMERR's). WARN; ERROR when one side is an
 * answer and the other a negative or failure for MX or A (mail works through
 * one resolver only: split horizon, a stale internal zone, a strict resolver).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define QS 512
#define PER 4

enum cls { C_NONE, C_ANSWER, C_NODATA, C_NXDOMAIN, C_FAIL };

/* An address in 5 bytes: the family with 0x80 set and the first 4 bytes
 * when the other 12 are zero (IPv4), else the family alone and the whole
 * address in the table's side array. */
struct caddr {
	uint8_t tag;
	uint8_t a[4];
};

/* One resolver's answer; its class is in struct q's cls[] (C_NONE = unused). */
struct seen {
	uint64_t ts, mxhash, q_frame, r_frame;
	uint16_t ede;
	struct caddr resolver, client;
	uint32_t latency_us;        /* for its evidence rows (saturated) */
	uint16_t rcode;
	uint8_t outcome;
};

/* An answer's first record, for its evidence row: the first MX (its name
 * when it has at most 62 wire bytes) or the first address. Kept apart
 * from struct q and written only for answers (class ANSWER). */
enum { SA_NONE, SA_MX, SA_ADDR };
struct sans {
	uint8_t kind, more;
	uint16_t pref;
	union {
		struct mx_addr addr;
		uint8_t name[64];       /* len, labels, wire[0..len) of a struct mx_dname */
	} u;
};

/* Entries are found through a split table (headers in st.qh). 256 bytes:
 * the classes, the fired flag and the first answer share the first cache
 * line, so a new entry (most are new: names outnumber the slots) costs one
 * line. */
struct q {
	_Alignas(64) uint8_t cls[PER];
	bool fired;
	struct seen v[PER];
};

struct st {
	struct mx_slot qh[QS];
	struct q q[QS];
	struct mx_addr wide[QS][PER][2];   /* [resolver, client] not held in a caddr */
	struct sans ans[QS][PER];
	uint64_t clock;
	/* the texts of the qtypes below 64 named in findings so far (bit t of
	 * tn_have: tn[t] is filled) */
	uint64_t tn_have;
	char tn[64][16];
};

/* mx_dns_type_name() into a 16-byte buffer, kept per qtype below 64 */
static const char *type_text(struct st *s, uint16_t qtype, char *buf)
{
	if (qtype >= 64)
		return mx_dns_type_name(qtype, buf, 16);
	if (!(s->tn_have >> qtype & 1)) {
		mx_dns_type_name(qtype, s->tn[qtype], sizeof s->tn[qtype]);
		s->tn_have |= 1ULL << qtype;
	}
	return s->tn[qtype];
}

static void cput(struct caddr *c, struct mx_addr *wide, const struct mx_addr *x)
{
	uint64_t w;
	uint32_t v;
	memcpy(&w, x->a + 4, 8);
	memcpy(&v, x->a + 12, 4);
	if ((w | v) == 0 && x->family < 0x80) {
		c->tag = (uint8_t)(x->family | 0x80);
		memcpy(c->a, x->a, 4);
	} else {
		c->tag = x->family;
		*wide = *x;
	}
}

static void cget(const struct caddr *c, const struct mx_addr *wide, struct mx_addr *x)
{
	if (c->tag & 0x80) {
		memset(x, 0, sizeof(*x));
		x->family = (uint8_t)(c->tag & 0x7f);
		memcpy(x->a, c->a, 4);
	} else {
		*x = *wide;
	}
}

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
	case MX_O_REFUSED: return C_NONE;
	/* FORMERR is about the query's form (two questions, a TSIG or an
	 * option the server rejects), not about the name */
	case MX_O_FORMERR: return C_NONE;
	default: return mx_outcome_is_fail(t->outcome) ? C_FAIL : C_NONE;
	}
}

_Static_assert(offsetof(struct mx_dname, wire) == 2 && sizeof(struct mx_dname) >= 64,
	       "a name's first 64 bytes are len, labels and wire[0..62)");

/* Keep the first record of answer t (class ANSWER) in *a. */
static void sans_put(struct sans *a, const struct mx_txn *t)
{
	const struct mx_dns_msg *m = t->resp;
	a->kind = SA_NONE;
	if (!m)
		return;
	if (m->n_mx > 0) {
		/* one fixed 64-byte move (the bytes past len come along
		 * unread); a longer name is not kept */
		a->kind = m->mx[0].exchange.len <= 62 ? SA_MX : SA_NONE;
		a->pref = m->mx[0].pref;
		a->more = m->mx_total > 1;
		memcpy(a->u.name, &m->mx[0].exchange, 64);
	} else if (m->n_addr > 0) {
		a->kind = SA_ADDR;
		a->more = m->addr_total > 1;
		a->u.addr = m->addr[0].addr;
	}
}

/* The answer text of a kept answer, as the core writes it for a response
 * it has (mx_finding_add_txn()); "" when none was kept. */
static const char *sans_text(const struct sans *a, char *buf, size_t n)
{
	char x[MX_DNAME_STRLEN];
	buf[0] = '\0';
	if (a->kind == SA_MX) {
		struct mx_dname d;
		memcpy(&d, a->u.name, 64);
		snprintf(buf, n, "MX %u %s%s", a->pref, mx_dname_format(&d, x, sizeof x), a->more ? " ..." : "");
	} else if (a->kind == SA_ADDR) {
		snprintf(buf, n, "%s%s", mx_addr_format(&a->u.addr, x, sizeof x), a->more ? " ..." : "");
	}
	return buf;
}

_Static_assert(sizeof(struct q) == 256 && offsetof(struct q, v) + sizeof(struct seen) <= 64,
	       "struct q: four lines, the first answer in the first");

static uint64_t mx_set_hash(const struct mx_dns_msg *m)
{
	uint64_t h = 0;
	if (!m)
		return 0;
	for (unsigned i = 0; i < m->n_mx; i++)
		h ^= mx_hash_bytes_inline_(m->mx[i].exchange.wire, m->mx[i].exchange.len, m->mx[i].pref + 1u);
	return h ^ m->mx_total;
}

/* The finding for the answer v[i] of entry qi (class vcls) against t (class
 * cl). */
static __attribute__((noinline)) void report(struct st *s, size_t qi, int i, uint8_t vcls, uint8_t cl,
					     const struct mx_txn *t, struct mx_emit *e)
{
	const struct seen *v = &s->q[qi].v[i];
	struct mx_addr vres;
	cget(&v->resolver, &s->wide[qi][i][0], &vres);
	bool mail = t->qtype == MX_TYPE_MX || t->qtype == MX_TYPE_A;
	bool split = (vcls == C_ANSWER) != (cl == C_ANSWER);
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], r1[MX_ADDR_STRLEN], r2[MX_ADDR_STRLEN], tbuf[16];
	mx_finding_init(&f, "RESOLVER_DISAGREEMENT", mail && split ? MX_SEV_ERROR : MX_SEV_WARN);
	f.title = "two resolvers give different answers to the same question";
	struct mx_addr vcli;
	cget(&v->client, &s->wide[qi][i][1], &vcli);
	f.sender = mx_addr_eq(&vcli, &t->client) ? t->client : (struct mx_addr){0};
	mx_finding_add_resolver(&f, &vres);
	mx_finding_add_resolver(&f, &t->server);
	mx_dname_copy(&f.host, &t->qname);
	f.qtype = t->qtype;
	f.first_us = v->ts;
	f.last_us = t->r_ts;
	/* both answers as rows: the earlier one from what was kept of it */
	struct mx_txn_kept k;
	char ans[96];
	memset(&k, 0, sizeof k);
	k.q_frame = v->q_frame;
	k.r_frame = v->r_frame;
	k.latency_us = v->latency_us;
	k.q_ts = v->ts - k.latency_us;
	k.client = vcli;
	k.server = vres;
	k.qtype = t->qtype;
	k.rcode = v->rcode;
	k.ede = v->ede;
	k.outcome = v->outcome;
	mx_dname_copy(&k.qname, &t->qname);
	mx_finding_add_kept(&f, &k, vcls == C_ANSWER ? sans_text(&s->ans[qi][i], ans, sizeof ans) : NULL);
	mx_finding_add_txn(&f, t, NULL);
	mx_dname_format(&t->qname, qn, sizeof qn);
	mx_addr_format(&vres, r1, sizeof r1);
	mx_addr_format(&t->server, r2, sizeof r2);
	const char *tn = type_text(s, t->qtype, tbuf);
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

/* The tag cput() gives x, except that a family with 0x80 set (none is:
 * families are 0, 4 and 6) gets its tag without that bit: such an address
 * then takes the wide comparison below, which no stored one passes, as
 * cget() never returns a family with 0x80 set. */
static inline uint8_t ctag(const struct mx_addr *x, uint32_t *low)
{
	uint64_t w;
	uint32_t v;
	memcpy(&w, x->a + 4, 8);
	memcpy(&v, x->a + 12, 4);
	memcpy(low, x->a, 4);
	if ((w | v) == 0 && x->family < 0x80)
		return (uint8_t)(x->family | 0x80);
	return (uint8_t)(x->family & 0x7f);
}

/* mx_addr_eq(cget(c, wide), x), with x's ctag() and first four bytes given:
 * a compact entry equals x only when x is compact with the same tag and
 * bytes (the other twelve are zero on both sides), a wide entry only when
 * x is wide with the same family and then compares whole. */
static inline bool ceq(const struct caddr *c, const struct mx_addr *wide, uint8_t xtag, uint32_t xlow,
		       const struct mx_addr *x)
{
	if (c->tag != xtag)
		return false;
	if (xtag & 0x80) {
		uint32_t a;
		memcpy(&a, c->a, 4);
		return a == xlow;
	}
	return mx_addr_eq(wide, x);
}

/* (not static: the unit test compares it with cget() and mx_addr_eq())
 * Whether an answer from `stored`, kept with cput(), is from x, as on_txn
 * decides it. */
bool mx_resolver_disagreement_same_(const struct mx_addr *stored, const struct mx_addr *x);
bool mx_resolver_disagreement_same_(const struct mx_addr *stored, const struct mx_addr *x)
{
	struct caddr c = {0};
	struct mx_addr wide = {0};
	uint32_t low;
	cput(&c, &wide, stored);
	uint8_t tag = ctag(x, &low);
	return ceq(&c, &wide, tag, low, x);
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
	size_t qi = MX_SLOT_INDEX(s->qh, mx_key_name_inline(&t->qname, t->qtype, 13), &s->clock, &fresh);
	struct q *q = &s->q[qi];
	uint64_t mxhash = t->qtype == MX_TYPE_MX && cl == C_ANSWER ? mx_set_hash(t->resp) : 0;
	uint64_t ts = t->r_ts;
	int slot;
	if (fresh) {
		/* no answers yet: the first slot, nothing to compare */
		memset(q->cls, C_NONE, sizeof q->cls);
		q->fired = false;
		slot = 0;
	} else {
		slot = -1;
		uint32_t slow;
		uint8_t stag = ctag(&t->server, &slow);
		for (int i = 0; i < PER; i++) {
			struct seen *v = &q->v[i];
			uint8_t vcls = q->cls[i];
			if (vcls == C_NONE) {
				if (slot < 0)
					slot = i;
				continue;
			}
			if (ceq(&v->resolver, &s->wide[qi][i][0], stag, slow, &t->server)) {
				slot = i;
				continue;
			}
			if (q->fired || ts > v->ts + c->opts->disagree_window_us)
				continue;
			bool differ = (vcls != cl && !(vcls == C_FAIL && cl == C_FAIL)) ||
				      (cl == C_ANSWER && vcls == C_ANSWER && mxhash != v->mxhash);
			if (!differ)
				continue;
			q->fired = true;
			report(s, qi, i, vcls, cl, t, e);
		}
		if (slot < 0) {
			slot = 0;
			for (int i = 1; i < PER; i++)
				if (q->v[i].ts < q->v[slot].ts)
					slot = i;
		}
	}
	struct seen *w = &q->v[slot];
	w->ts = ts;
	w->mxhash = mxhash;
	w->q_frame = t->q_frame;
	w->r_frame = t->r_frame;
	w->ede = t->ede;
	w->latency_us = t->latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)t->latency_us;
	w->rcode = t->rcode;
	w->outcome = (uint8_t)t->outcome;
	if (cl == C_ANSWER)
		sans_put(&s->ans[qi][slot], t);
	cput(&w->resolver, &s->wide[qi][slot][0], &t->server);
	cput(&w->client, &s->wide[qi][slot][1], &t->client);
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
