/* any_lookup_fail.c - ANY_LOOKUP_FAIL (P23, mxsniff's own pattern): qmail's
 * CNAME check of the recipient domain fails, and the delivery stops there.
 *
 * qmail-remote (qmail 1.03, netqmail, notqmail's dns.c) canonicalises each
 * recipient domain D before its MX lookup: res_query(D, ANY) into a
 * 512-byte buffer, following a CNAME answer with another ANY lookup of its
 * target. A "soft" result - res_query failing with TRY_AGAIN (glibc: every
 * server answered SERVFAIL, REFUSED or NOTIMP, or none answered) or
 * ECONNREFUSED, or an answer that does not parse - ends the delivery with
 * "CNAME lookup failed temporarily. (#4.4.3)", a deferral, before any MX
 * query. A "hard" one (NXDOMAIN, NODATA, FORMERR) keeps D and goes on.
 * Resolvers and firewalls that refuse or drop ANY (an anti-amplification
 * rule: dnsdist, iptables string matches, "refuse-any") therefore stop all
 * of a qmail host's outgoing mail while every MX, A and AAAA lookup works.
 *
 * On the wire: a sender's RD=1 ANY lookup of D, final outcome SERVFAIL,
 * REFUSED, NOTIMP, TIMEOUT, UNREACHABLE, TRUNCATED or MALFORMED, and no MX
 * lookup of D by the same sender starting after the ANY lookup's first
 * query and at most WAIT after its end. ERROR (CRIT when the failing ANY
 * lookups of one sender and domain span loop_min_attempts delivery
 * attempts in a row, min_retry_gap apart: an ANY lookup answered and
 * followed by its MX lookup starts the count again); WARN when the query
 * carried EDNS and the sender never asked ANY before an MX (glibc's
 * res_query sends no OPT unless "options edns0"; dig, host and kdig do:
 * most likely a person's query).
 *
 * ANY_ANSWER_OVERSIZE: the ANY lookup was answered, the answer is larger
 * than 512 bytes (it came over TCP after TC=1), and no MX lookup followed:
 * qmail-remote cuts the answer at 512 bytes, its parse fails, and it
 * defers with the same text (unless patched: the "oversize DNS packet"
 * patch). An answer whose answer section ends before byte 512 parses, and
 * the MX lookup that follows it keeps this quiet.
 *
 * Both are deferral patterns: a later delivery of the same sender and
 * domain that resolves and connects marks the finding recovered (detect.c).
 *
 * Evidence of qmail: an answered ANY lookup of D (or NXDOMAIN/NODATA)
 * followed within WAIT by the same sender's MX lookup of D or of D's CNAME
 * target; counted per sender and named in the detail.
 *
 * Cost: one probe of a direct-mapped table of recent MX lookups per MX
 * lookup (the first query's time, keyed by sender and question hash, 2 ways);
 * ANY lookups are rare and scan a small pending array.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "mxsniff/txn.h"

#define WAIT_US 10000000ULL      /* qmail asks MX milliseconds after the ANY answer */
#define PEND 32                  /* ANY lookups waiting for the MX lookup that follows */
#define MXT_SETS 2048            /* recent MX lookups: sets of 2 */
#define RUNS 128                 /* (sender, domain) failure runs */
#define SENDERS 64               /* per-sender ANY-before-MX counts */
#define UDP_PLAIN 512            /* qmail's buffer: PACKETSZ */

struct mxt_ent {
	uint64_t key;
	uint64_t first_us;           /* the MX lookup's first query */
};

struct pend {
	bool used;
	bool fail;                   /* failed (else answered: waits only to credit the sender, or oversize) */
	bool edns;
	uint32_t size;               /* answered: the deciding response's size */
	uint8_t transport;
	struct mx_addr sender;
	struct mx_dname domain;      /* the recipient domain: the first name of a CNAME walk */
	struct mx_dname name;        /* the ANY's question */
	struct mx_dname target;      /* its CNAME target, else the name */
	uint64_t first_us, last_us;
	enum mx_outcome outcome;
	uint8_t brief[MX_LOOKUP_BRIEF_MAX];
};

struct run {
	struct mx_slot s;
	uint64_t last_start_us;      /* the run's latest attempt's first failing ANY */
	uint32_t attempts;
};

struct snd {
	struct mx_slot s;
	uint32_t any_then_mx;
};

struct st {
	struct mxt_ent mxt[MXT_SETS][2];
	struct pend pend[PEND];
	unsigned n_pend;
	struct run runs[RUNS];
	uint64_t runs_clock;
	struct snd snd[SENDERS];
	uint64_t snd_clock;
	uint64_t last_now;
};

/* From the two hashes the lookup layer keeps: an MX lookup's own client
 * and question hashes give the same key without hashing the name again. */
static uint64_t mx_key_h(uint64_t client_hash, uint64_t mx_qhash)
{
	uint64_t k = client_hash * 0x9e3779b97f4a7c15ULL ^ mx_qhash;
	return k ? k : 1;
}

static uint64_t mx_key(const struct mx_addr *s, const struct mx_dname *d)
{
	return mx_key_h(mx_txn_client_hash(s), mx_txn_question_hash(d, MX_TYPE_MX, 1));
}

static void mxt_put(struct st *s, uint64_t key, uint64_t first_us)
{
	struct mxt_ent *set = s->mxt[(key >> 40) & (MXT_SETS - 1)];
	for (unsigned i = 0; i < 2; i++)
		if (set[i].key == key) {
			if (first_us > set[i].first_us)
				set[i].first_us = first_us;
			return;
		}
	/* the older way goes */
	unsigned v = set[0].first_us <= set[1].first_us ? 0 : 1;
	set[v].key = key;
	set[v].first_us = first_us;
}

/* The latest MX lookup's first query for key, 0 when none is remembered. */
static uint64_t mxt_get(const struct st *s, uint64_t key)
{
	const struct mxt_ent *set = s->mxt[(key >> 40) & (MXT_SETS - 1)];
	for (unsigned i = 0; i < 2; i++)
		if (set[i].key == key)
			return set[i].first_us;
	return 0;
}

/* The outcomes qmail's resolve() turns into DNS_SOFT. */
static bool soft_outcome(enum mx_outcome o)
{
	switch (o) {
	case MX_O_SERVFAIL:
	case MX_O_REFUSED:
	case MX_O_NOTIMP:
	case MX_O_TIMEOUT:
	case MX_O_UNREACHABLE:
	case MX_O_TRUNCATED:
	case MX_O_MALFORMED:
		return true;
	default:
		return false;
	}
}

static struct snd *snd_get(struct st *s, const struct mx_addr *a)
{
	return MX_SLOT_GET(s->snd, mx_key_addr(a, 0x23a1), &s->snd_clock, NULL);
}

static uint32_t snd_count(struct st *s, const struct mx_addr *a)
{
	struct snd *n = MX_SLOT_FIND(s->snd, mx_key_addr(a, 0x23a1));
	return n ? n->any_then_mx : 0;
}

static uint64_t run_key(const struct mx_addr *sender, const struct mx_dname *domain)
{
	return mx_key_name(domain, MX_TYPE_ANY, mx_key_addr(sender, 0x23a2));
}

/* An answered ANY lookup of the domain followed by its MX lookup: the
 * sender's deliveries to it go on, and a failure run starts again. */
static void credit(struct st *s, const struct mx_addr *a, const struct mx_dname *domain)
{
	snd_get(s, a)->any_then_mx++;
	struct run *r = MX_SLOT_FIND(s->runs, run_key(a, domain));
	if (r)
		r->attempts = 0;
}

static void judge(struct st *s, const struct mx_detect_ctx *c, struct pend *p, struct mx_emit *e, bool pending)
{
	bool oversize = !p->fail && p->outcome == MX_O_ANSWER && p->size > UDP_PLAIN;
	if (!p->fail && !oversize)
		return;
	char dn[MX_DNAME_STRLEN], ddn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], on[24];
	struct mx_lookup l;
	mx_lookup_brief_get(p->brief, &l);
	uint32_t qm = snd_count(s, &p->sender);
	uint32_t attempts = 1;
	if (!pending) {
		bool fresh;
		struct run *r = MX_SLOT_GET(s->runs, run_key(&p->sender, &p->domain), &s->runs_clock, &fresh);
		if (fresh || r->attempts == 0) {
			r->attempts = 1;
			r->last_start_us = p->first_us;
		} else if (p->first_us >= r->last_start_us + c->opts->min_retry_gap_us) {
			r->attempts++;
			r->last_start_us = p->first_us;
		}
		attempts = r->attempts;
	}
	struct mx_finding f;
	enum mx_sev sev = MX_SEV_ERROR;
	if (p->fail && p->edns && qm == 0)
		sev = MX_SEV_WARN;
	else if (attempts >= c->opts->loop_min_attempts)
		sev = MX_SEV_CRIT;
	mx_dname_format(&p->name, dn, sizeof dn);
	mx_dname_format(&p->domain, ddn, sizeof ddn);
	bool walk = !mx_dname_eq(&p->domain, &p->name);
	snprintf(on, sizeof on, "%s", mx_outcome_name(p->outcome));
	if (p->fail) {
		mx_finding_init(&f, "ANY_LOOKUP_FAIL", sev);
		f.title = "the ANY lookup of the recipient domain fails and no MX lookup follows: qmail's CNAME "
			  "check defers the mail";
		mx_finding_detail(&f, "ANY %s %s (%u quer%s%s%s), no MX lookup of %s followed", dn, on, l.attempts,
				  l.attempts == 1 ? "y" : "ies", walk ? "; a CNAME target of " : "", walk ? ddn : "",
				  ddn);
		switch (p->outcome) {
		case MX_O_REFUSED:
			f.cause = "the resolver refuses ANY queries (an anti-amplification rule in dnsdist, a "
				  "firewall or the resolver's own policy); qmail-remote asks ANY for every recipient "
				  "domain before its MX lookup and defers when that fails";
			break;
		case MX_O_TIMEOUT:
		case MX_O_UNREACHABLE:
			f.cause = "ANY queries get no answer: the resolver or a firewall drops them (an "
				  "anti-amplification rule); qmail-remote asks ANY for every recipient domain before "
				  "its MX lookup and defers when that fails";
			break;
		case MX_O_TRUNCATED:
			f.cause = "the ANY answer is truncated (TC=1) and no TCP retry got it; qmail-remote asks ANY "
				  "for every recipient domain before its MX lookup and defers when that fails";
			break;
		default:
			f.cause = "the resolver cannot answer ANY for this domain (its authoritative servers refuse "
				  "or mishandle ANY); qmail-remote asks ANY for every recipient domain before its MX "
				  "lookup and defers when that fails";
			break;
		}
		f.fix = "let the mail server's resolver answer ANY: an empty or minimal (RFC 8482) answer is enough, "
			"qmail only looks for a CNAME (run a local resolver such as unbound for the mail server, or "
			"exempt it from the rule); or remove the CNAME lookup from qmail-remote (RFC 5321 5.1: the "
			"MX lookup follows CNAMEs itself)";
	} else {
		mx_finding_init(&f, "ANY_ANSWER_OVERSIZE", sev);
		f.title = "the ANY answer for the recipient domain is over 512 bytes and no MX lookup follows: "
			  "qmail's 512-byte DNS buffer";
		mx_finding_detail(&f, "ANY %s answered in %u bytes%s, no MX lookup of %s followed", dn, p->size,
				  p->transport == MX_T_TCP ? " (over TCP after TC=1)" : "", ddn);
		f.cause = "an ANY answer longer than 512 bytes (many TXT records, keys) is cut by qmail-remote's "
			  "512-byte DNS buffer, fails to parse, and the delivery defers";
		f.fix = "apply the \"oversize DNS packet\" patch to qmail-remote (or remove its CNAME lookup); or "
			"have the resolver answer ANY minimally (RFC 8482)";
	}
	if (p->fail && p->edns && qm == 0)
		mx_finding_detail(&f, "the query carried EDNS, which qmail through glibc's res_query does not "
				      "send: perhaps a person's dig");
	if (qm)
		mx_finding_detail(&f, "this sender asked ANY before MX for %u other deliver%s (qmail-remote's "
				      "CNAME check)", qm, qm == 1 ? "y" : "ies");
	if (attempts >= 2)
		mx_finding_detail(&f, "%u delivery attempts", attempts);
	f.smtp_status = "most likely: qmail-remote \"CNAME lookup failed temporarily. (#4.4.3)\" (deferral)";
	f.sender = p->sender;
	mx_dname_copy(&f.domain, &p->domain);
	mx_dname_copy(&f.host, &p->name);
	f.qtype = MX_TYPE_ANY;
	f.attempts = attempts;
	f.single_attempt = attempts < 2;
	f.first_us = p->first_us;
	f.last_us = p->last_us;
	mx_finding_add_lookup(&f, &l);
	for (unsigned r = 0; r < l.n_resolvers && r < 2; r++) {
		mx_addr_format(&l.resolvers[r], rs, sizeof rs);
		mx_finding_verify(&f, "dig +noedns ANY %s @%s", dn, rs);
		mx_finding_verify(&f, "dig MX %s @%s", ddn, rs);
	}
	if (pending)
		f.pending = "held until 19 s after the ANY lookup: an MX lookup of the domain by the sender would "
			    "show the delivery went on";
	mx_emit(e, &f);
}

/* Pending ANY lookups of sender a that an MX lookup of name n starting at
 * t resolves: the delivery went on. qmail asks MX of the recipient domain
 * as given, whatever its CNAME walk found (the walk only rewrites the
 * envelope address); the target is accepted too. */
static void went_on(struct st *s, const struct mx_addr *a, const struct mx_dname *n, uint64_t t)
{
	for (unsigned i = 0; i < PEND && s->n_pend; i++) {
		struct pend *p = &s->pend[i];
		if (!p->used || t < p->first_us || t > p->last_us + WAIT_US || !mx_addr_eq(&p->sender, a) ||
		    (!mx_dname_eq(&p->domain, n) && !mx_dname_eq(&p->name, n) && !mx_dname_eq(&p->target, n)))
			continue;
		if (!p->fail)
			credit(s, a, &p->domain);
		p->used = false;
		s->n_pend--;
	}
}

/* The pending answered ANY lookup of sender a whose CNAME target is n,
 * asked at most WAIT before t: an ANY lookup of n continues its walk. */
static struct pend *walk_of(struct st *s, const struct mx_addr *a, const struct mx_dname *n, uint64_t t)
{
	for (unsigned i = 0; i < PEND && s->n_pend; i++) {
		struct pend *p = &s->pend[i];
		if (p->used && !p->fail && t >= p->first_us && t <= p->last_us + WAIT_US &&
		    !mx_dname_eq(&p->target, &p->name) && mx_dname_eq(&p->target, n) && mx_addr_eq(&p->sender, a))
			return p;
	}
	return NULL;
}

static void any_lookup(struct st *s, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e);

/* Every RD=1 class IN lookup comes here: MX ones are remembered (a probe,
 * no hashing: the lookup's own hashes), ANY ones judged apart. */
static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	if (!l->rd || l->qclass != 1)
		return;
	if (l->qtype == MX_TYPE_MX) {
		mxt_put(s, mx_key_h(mx_lookup_client_hash_of(l), mx_lookup_qhash_of(l)), l->first_us);
		if (s->n_pend)
			went_on(s, &l->client, &l->qname, l->first_us);
		return;
	}
	if (l->qtype == MX_TYPE_ANY)
		any_lookup(s, c, l, e);
}

static __attribute__((noinline)) void any_lookup(struct st *s, const struct mx_detect_ctx *c,
						 const struct mx_lookup *l, struct mx_emit *e)
{
	if (l->qname.len < 2 || !mx_detect_is_sender(c->opts, &l->client))
		return;
	/* an ANY lookup of a CNAME target continues the walk of the recipient
	 * domain: the walk's entry gives way to this one */
	struct mx_dname domain;
	mx_dname_copy(&domain, &l->qname);
	struct pend *w = walk_of(s, &l->client, &l->qname, l->first_us);
	if (w) {
		mx_dname_copy(&domain, &w->domain);
		w->used = false;
		s->n_pend--;
	}
	if (l->pending_at_end)
		return;
	bool fail = soft_outcome(l->outcome);
	if (!fail && l->outcome != MX_O_ANSWER && l->outcome != MX_O_NODATA && l->outcome != MX_O_NXDOMAIN)
		return; /* FORMERR and other rcodes: qmail takes them as hard and goes on */
	struct mx_dname target;
	mx_dname_copy(&target, &l->qname);
	if (!fail && l->answer && l->answer->n_cname)
		mx_dname_copy(&target, &l->answer->cname[l->answer->n_cname - 1]);
	/* an MX lookup that started after this one and closed first */
	uint64_t t = mxt_get(s, mx_key(&l->client, &domain));
	if (!t && !mx_dname_eq(&domain, &l->qname))
		t = mxt_get(s, mx_key(&l->client, &l->qname));
	if (!t && !mx_dname_eq(&target, &l->qname))
		t = mxt_get(s, mx_key(&l->client, &target));
	if (t && t >= l->first_us && t <= l->last_us + WAIT_US) {
		if (!fail)
			credit(s, &l->client, &domain);
		return;
	}
	struct pend *p = NULL;
	for (unsigned i = 0; i < PEND; i++)
		if (!s->pend[i].used) {
			p = &s->pend[i];
			break;
		}
	if (!p) {
		/* full: the oldest is judged now */
		p = &s->pend[0];
		for (unsigned i = 1; i < PEND; i++)
			if (s->pend[i].last_us < p->last_us)
				p = &s->pend[i];
		judge(s, c, p, e, false);
		p->used = false;
		s->n_pend--;
	}
	memset(p, 0, offsetof(struct pend, brief));
	p->used = true;
	p->fail = fail;
	p->edns = l->q_edns;
	p->sender = l->client;
	mx_dname_copy(&p->domain, &domain);
	mx_dname_copy(&p->name, &l->qname);
	mx_dname_copy(&p->target, &target);
	p->first_us = l->first_us;
	p->last_us = l->last_us;
	p->outcome = l->outcome;
	if (l->answer) {
		p->size = l->answer->wire_len;
		p->transport = l->answer->transport;
	}
	mx_lookup_brief_put(p->brief, l);
	s->n_pend++;
}

static void sweep(struct st *s, const struct mx_detect_ctx *c, struct mx_emit *e, bool all)
{
	/* late enough that an MX lookup asked within WAIT has closed (a failing
	 * one after its answer timeout) */
	uint64_t hold = WAIT_US + c->opts->answer_timeout_us + 4000000ULL;
	for (unsigned i = 0; i < PEND && s->n_pend; i++) {
		struct pend *p = &s->pend[i];
		if (!p->used || (!all && c->now_us < p->last_us + hold))
			continue;
		judge(s, c, p, e, false);
		p->used = false;
		s->n_pend--;
	}
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	if (s->n_pend)
		sweep(s, c, e, false);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	if (s->n_pend)
		sweep(s, c, e, true);
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	for (unsigned i = 0; i < PEND && s->n_pend; i++)
		if (s->pend[i].used)
			judge(s, c, &s->pend[i], e, true);
}

const struct mx_detector mx_det_any_lookup_fail = {
	.id = "ANY_LOOKUP_FAIL",
	.pattern = "P23",
	.emits = "ANY_LOOKUP_FAIL,ANY_ANSWER_OVERSIZE",
	.summary = "qmail's CNAME check: the sender's ANY lookup of the recipient domain fails (or its answer "
		   "is over 512 bytes) and no MX lookup follows",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
	.lookup_needs = {MX_NEED_RD | MX_NEED_IN, 0},
};
