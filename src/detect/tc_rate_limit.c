/* tc_rate_limit.c - TC_RATE_LIMIT (P22, mxsniff's own pattern): UDP answers
 * truncated although they fit, the mark of a rate limit that "slips".
 *
 * A response-rate limit may answer a query over the limit with TC=1 and no
 * records instead of dropping it (BIND and Knot RRL `slip`, dnsdist
 * TCAction with MaxQPSIPRule, DNS firewalls): a real client retries over
 * TCP and gets the answer, so mail flows, but every such answer costs the
 * sender a TCP connection and a few round trips. Per (sender, resolver)
 * over stats_window: UDP answers to RD=1 queries, and those with TC=1. A
 * truncated answer counts as needless when it carries no answer records
 * and little more than header and question (MARK_SLACK), and the same
 * client's TCP retry of the same question to the same server, sent within
 * RETRY_US, got an answer no larger than what UDP carries: 512 bytes, or,
 * when the query and the truncated answer both carried OPT, the smaller of
 * their payload sizes, at most 1232 (DNS Flag Day 2020: resolvers cut at
 * 1232 whatever the client offers). INFO when, in a window, at least
 * min_samples UDP answers went to the sender, at least MIN_NEEDLESS were
 * needless, and they are at least MIN_PCT % of its UDP answers.
 *
 * Not this pattern: answers too large for UDP, truncated rightly (DNSKEY,
 * TXT, big MX sets: the TCP answer is larger than the limit), a resolver
 * with a small EDNS buffer (its truncated answer's OPT says so and lowers
 * the limit), a truncated answer with records (a server cutting at a
 * size), and TC=1 without an answered TCP retry (P14 TC_NO_TCP_RETRY):
 * those are counted, for the detail, and never fire it.
 *
 * Cost: a transaction that is not a UDP answer to an RD=1 query returns at
 * once; a UDP answer takes one probe of the pair table (hinted by the
 * core's pair keys) and an increment; a TCP answer looks at the pending
 * table only while a truncated answer waits for its retry. Memory: fixed
 * tables (PAIRS pairs, PEND pending retries), least recently used evicted.
 * A pair taken afresh gets a new generation; a pending retry of the pair's
 * earlier generation (evicted, or of an earlier window) is ignored, so an
 * eviction can only lose counts, never add them to another pair.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define PAIRS 128
#define PEND 64
#define EVQ 3                     /* questions shown as evidence (4 rows each) */
#define RETRY_US 3000000ULL       /* the TCP query follows the TC=1 answer within (P14's 3 s) */
#define MARK_SLACK 64             /* bytes past header + question: an OPT, a cookie, padding */
#define MIN_NEEDLESS 5            /* needless truncations in a window, at least */
#define MIN_PCT 20                /* of the pair's UDP answers, at least */
#define UDP_PLAIN 512             /* RFC 1035 §4.2.1; RFC 6891 §6.2.5: no less */
#define UDP_EDNS_MAX 1232         /* DNS Flag Day 2020 */

struct pair {
	struct mx_slot s;
	struct mx_addr client, server;
	uint32_t gen;
	uint32_t udp;                /* UDP answers */
	uint32_t tc;                 /* of them with TC=1 */
	uint32_t needless;           /* empty, small, and the TCP retry's answer fitted */
	uint32_t big;                /* empty, but the TCP retry's answer did not fit */
	uint32_t full;               /* with records, or larger than the mark */
	uint32_t noretry;            /* empty, no TCP retry answered within the window */
	uint32_t tcp_max;            /* the largest TCP answer of the needless ones */
	uint32_t tc_min, tc_max;     /* sizes of the needless truncated answers */
	uint32_t over512;            /* needless ones whose TCP answer exceeded 512 (EDNS limit) */
	uint64_t first_us, last_us;  /* the needless ones' span */
	uint8_t n_ev;
};

/* A needless truncation kept for the rows: the UDP try and its TCP retry. */
struct ev {
	struct mx_txn_kept udp, tcp;
	uint32_t tcp_size;
};

/* A truncated answer waiting for its TCP retry. */
struct pend {
	struct mx_slot s;
	bool active;
	bool keep;                   /* udp holds the try (the pair wanted rows) */
	uint16_t pair;               /* index into pairs[] */
	uint32_t gen;                /* that pair's generation */
	uint32_t limit;              /* bytes UDP would have carried */
	uint32_t tc_size;
	uint64_t ts;                 /* the truncated answer */
	uint64_t q_ts;               /* its query */
	struct mx_txn_kept udp;
};

struct st {
	struct pair pairs[PAIRS];    /* keys in the entries: a hit through the pair's hint is one
				      * compare, and the counter is on the same line */
	struct ev ev[PAIRS][EVQ];    /* read under pairs[i].n_ev only */
	struct pend pend[PEND];
	uint64_t clock, pclock, win_start;
	uint32_t gen;
	unsigned n_pend;             /* active pend entries */
};

static void count_pend(struct st *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PEND; i++)
		n += s->pend[i].s.used && s->pend[i].active;
	s->n_pend = n;
}

/* The pending key: the pair's key and the question (txn.c's hash). */
static uint64_t pend_key(const struct mx_detect_ctx *c, const struct mx_txn *t)
{
	uint64_t k = MX_PK_KEY(c, MX_PK_TCRL, mx_key_addr2_inline(&t->client, &t->server, MX_SALT_TCRL)) ^
		     mx_txn_qhash_of(t) * 0x9e3779b97f4a7c15ULL;
	k ^= k >> 29;
	return k ? k : 1;
}

/* The pair entry a pending retry points to, when it is still that pair. */
static struct pair *pend_pair(struct st *s, const struct pend *q)
{
	struct pair *p = &s->pairs[q->pair];
	return p->s.used && p->gen == q->gen ? p : NULL;
}

/* A truncated UDP answer: the mark, or not; the mark waits for its TCP
 * retry. (noinline, as tcp_answer and pair_new: the rare paths stay out of
 * on_txn, which every transaction enters) */
static __attribute__((noinline)) void truncated(struct st *s, const struct mx_detect_ctx *c, const struct mx_txn *t,
						struct pair *p, size_t pi)
{
	p->tc++;
	const struct mx_dns_msg *m = t->resp;
	uint32_t bare = 12u + t->qname.len + 4u;
	if ((m && m->ancount) || t->r_size > bare + MARK_SLACK) {
		p->full++;
		return;
	}
	uint32_t limit = UDP_PLAIN;
	if (t->q_edns && m && m->edns) {
		uint32_t v = t->q_payload < m->edns_payload ? t->q_payload : m->edns_payload;
		limit = v < UDP_PLAIN ? UDP_PLAIN : v > UDP_EDNS_MAX ? UDP_EDNS_MAX : v;
	}
	struct pend *q = MX_SLOT_TAKE(s->pend, pend_key(c, t), &s->pclock, NULL);
	q->active = true;
	q->pair = (uint16_t)pi;
	q->gen = p->gen;
	q->limit = limit;
	q->tc_size = t->r_size;
	q->ts = t->r_ts;
	q->q_ts = t->q_ts;
	q->keep = p->n_ev < EVQ;
	if (q->keep)
		mx_txn_keep(&q->udp, t);
	count_pend(s);
}

/* A TCP answer while truncated answers wait: the retry of one of them? */
static __attribute__((noinline)) void tcp_answer(struct st *s, const struct mx_detect_ctx *c,
						 const struct mx_txn *t)
{
	struct pend *q = MX_SLOT_FIND(s->pend, pend_key(c, t));
	if (!q || !q->active || t->q_ts + 1000 < q->ts || t->q_ts > q->ts + RETRY_US)
		return;
	struct pair *p = pend_pair(s, q);
	if (p && t->r_size <= q->limit) {
		p->needless++;
		if (t->r_size > p->tcp_max)
			p->tcp_max = t->r_size;
		if (t->r_size > UDP_PLAIN)
			p->over512++;
		if (p->needless == 1 || q->tc_size < p->tc_min)
			p->tc_min = q->tc_size;
		if (q->tc_size > p->tc_max)
			p->tc_max = q->tc_size;
		if (!p->first_us || q->q_ts < p->first_us)
			p->first_us = q->q_ts;
		if (t->r_ts > p->last_us)
			p->last_us = t->r_ts;
		if (q->keep && p->n_ev < EVQ) {
			struct ev *v = &s->ev[q->pair][p->n_ev++];
			v->udp = q->udp;
			mx_txn_keep(&v->tcp, t);
			v->tcp_size = t->r_size;
		}
	} else if (p) {
		p->big++;
	}
	q->active = false;
	q->s.used = 0;
	q->s.key = 0;
	count_pend(s);
}

/* A pair taken afresh (the first UDP answer of a window starts it). */
static __attribute__((noinline)) void pair_new(struct st *s, struct pair *p, const struct mx_txn *t)
{
	memset((char *)p + sizeof p->s, 0, sizeof(*p) - sizeof p->s);
	p->client = t->client;
	p->server = t->server;
	p->gen = ++s->gen;
	if (!s->win_start)
		s->win_start = t->q_ts;
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	(void)e;
	if (t->kind != MX_TXN_ANSWERED || !t->rd)
		return;
	if (t->transport != MX_T_UDP) {
		if (s->n_pend && t->transport == MX_T_TCP)
			tcp_answer(s, c, t);
		return;
	}
	if (!mx_detect_is_sender(c->opts, &t->client))
		return;
	bool fresh;
	struct pair *p = MX_SLOT_TAKE_PK(c, MX_PK_TCRL, s->pairs,
					 mx_key_addr2_inline(&t->client, &t->server, MX_SALT_TCRL), &s->clock, &fresh);
	if (fresh)
		pair_new(s, p, t);
	p->udp++;
	if (t->tc)
		truncated(s, c, t, p, (size_t)(p - s->pairs));
}

/* Truncated answers whose retry did not come in time: no answered TCP
 * retry (all: the window or the capture ended). */
static void expire(struct st *s, const struct mx_detect_ctx *c, bool all)
{
	if (!s->n_pend)
		return;
	for (unsigned i = 0; i < PEND; i++) {
		struct pend *q = &s->pend[i];
		if (!q->s.used || !q->active)
			continue;
		/* a TCP retry sent in time is answered within the answer timeout */
		if (!all && c->now_us <= q->ts + RETRY_US + c->opts->answer_timeout_us)
			continue;
		struct pair *p = pend_pair(s, q);
		if (p)
			p->noretry++;
		q->active = false;
		q->s.used = 0;
		q->s.key = 0;
	}
	count_pend(s);
}

/* pending: NULL when the window ended (the finding is made), else why the
 * finding is pending (on_pending) */
static void judge(const struct pair *p, const struct ev *ev, const struct mx_detect_ctx *c, struct mx_emit *e,
		  const char *pending)
{
	if (p->needless < MIN_NEEDLESS || p->udp < c->opts->min_samples ||
	    (uint64_t)p->needless * 100 < (uint64_t)MIN_PCT * p->udp)
		return;
	struct mx_finding f;
	char rs[MX_ADDR_STRLEN], cs[MX_ADDR_STRLEN];
	mx_addr_format(&p->server, rs, sizeof rs);
	mx_addr_format(&p->client, cs, sizeof cs);
	mx_finding_init(&f, "TC_RATE_LIMIT", MX_SEV_INFO);
	f.title = "small UDP answers come back truncated (TC=1) and are fetched again over TCP: a rate limit";
	f.sender = p->client;
	mx_finding_add_resolver(&f, &p->server);
	f.first_us = p->first_us;
	f.last_us = p->last_us;
	f.count = p->needless;
	unsigned pct = (unsigned)(((uint64_t)p->tc * 200 + p->udp) / (2 * (uint64_t)p->udp));
	mx_finding_detail(&f, "%llu of %llu UDP answers from %s to %s truncated (%u%%)", (unsigned long long)p->tc,
			  (unsigned long long)p->udp, rs, cs, pct);
	const char *fits = p->over512 ? "within the EDNS size both sides offered" : "under the 512 bytes of plain UDP";
	if (p->needless == p->tc) {
		mx_finding_detail(&f, "every TCP retry's answer was at most %llu bytes, %s", (unsigned long long)p->tcp_max,
				  fits);
	} else {
		unsigned npct = (unsigned)(((uint64_t)p->needless * 200 + p->udp) / (2 * (uint64_t)p->udp));
		mx_finding_detail(&f, "%llu of them (%u%% of the answers) without need: the TCP retry's answer at most "
				  "%llu bytes, %s",
				  (unsigned long long)p->needless, npct, (unsigned long long)p->tcp_max, fits);
	}
	if (p->tc_min == p->tc_max)
		mx_finding_detail(&f, "those truncated answers carried no records (%llu bytes)",
				  (unsigned long long)p->tc_min);
	else
		mx_finding_detail(&f, "those truncated answers carried no records (%llu to %llu bytes)",
				  (unsigned long long)p->tc_min, (unsigned long long)p->tc_max);
	if (p->big)
		mx_finding_detail(&f, "%llu too large for UDP (truncated rightly)", (unsigned long long)p->big);
	if (p->full)
		mx_finding_detail(&f, "%llu with records (cut at a size)", (unsigned long long)p->full);
	if (p->noretry)
		mx_finding_detail(&f, "%llu not answered over TCP (TC_NO_TCP_RETRY)", (unsigned long long)p->noretry);
	f.smtp_status = "none: Postfix and other MTAs retry a truncated answer over TCP (glibc's resolver does it "
			"for them) and deliver; each truncated answer costs the sender a TCP connection and its "
			"round trips";
	f.cause = "a response-rate limit that answers queries over the limit with TC=1 and no records instead of "
		  "dropping them (\"slip\"): BIND or Knot RRL slip, dnsdist TCAction with MaxQPSIPRule, a DNS "
		  "firewall's TC policy; the answers themselves fit in UDP";
	f.fix = "exempt the mail server from the resolver's rate limit or raise the limit for it; or run a local "
		"caching resolver on the mail host, so that repeated questions never reach the limit";
	char tn[16], qn[MX_DNAME_STRLEN];
	for (unsigned k = 0; k < p->n_ev && k < EVQ; k++) {
		char ans[48];
		mx_finding_add_kept(&f, &ev[k].udp, NULL);
		snprintf(ans, sizeof ans, "(over TCP, %llu bytes)", (unsigned long long)ev[k].tcp_size);
		mx_finding_add_kept(&f, &ev[k].tcp, ans);
	}
	if (p->n_ev) {
		mx_dns_type_name(ev[0].udp.qtype, tn, sizeof tn);
		mx_dname_format(&ev[0].udp.qname, qn, sizeof qn);
		mx_finding_verify(&f, "for i in 1 2 3 4 5 6; do dig +ignore +noedns %s %s @%s | grep flags:; done",
				  tn, qn, rs);
		mx_finding_verify(&f, "dig +tcp %s %s @%s   # MSG SIZE: the full answer", tn, qn, rs);
	}
	f.pending = pending;
	mx_emit(e, &f);
}

static void flush(struct st *s, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	expire(s, c, true);
	for (unsigned i = 0; i < PAIRS; i++)
		if (s->pairs[i].s.used)
			judge(&s->pairs[i], s->ev[i], c, e, NULL);
	memset(s->pairs, 0, sizeof s->pairs);
	s->win_start = c->now_us;
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	expire(s, c, false);
	if (s->win_start && c->now_us >= s->win_start + c->opts->stats_window_us)
		flush(s, c, e);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	flush(vs, c, e);
}

/* The current window's pairs as they would be judged if it ended now
 * (retries still awaited are left out). */
static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	const struct st *s = vs;
	for (unsigned i = 0; i < PAIRS; i++)
		if (s->pairs[i].s.used)
			judge(&s->pairs[i], s->ev[i], c, e,
			      "the counts of the current --stats-window so far: judged when the window ends");
}

const struct mx_detector mx_det_tc_rate_limit = {
	.id = "TC_RATE_LIMIT",
	.pattern = "P22",
	.emits = "TC_RATE_LIMIT",
	.summary = "small UDP answers truncated (TC=1, no records) and fetched over TCP: a rate limit that slips",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
