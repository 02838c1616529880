/* resolver_timeout.c - P10 RESOLVER_TIMEOUT, RESOLVER_DEAD, RESOLVER_UNREACHABLE,
 * PRIMARY_FAILOVER, RESPONSE_WRONG_SOURCE.
 *
 * Per (sender, resolver) over stats_window, RD=1 queries (each copy sent
 * counts; a transaction answered after a retransmission counts as answered
 * queries only in `answered`): WARN at
 * >= timeout_warn_pct % unanswered and >= timeout_warn_min timeouts, ERROR at
 * >= timeout_error_pct %, CRIT RESOLVER_DEAD when all of >= dead_min_queries
 * went unanswered. Queries answered only by ICMP port unreachable mean
 * nothing listens on the resolver's port: RESOLVER_UNREACHABLE, whatever the
 * count. When the capture holds no response at all, a dead resolver may be a
 * one-way capture: the finding says so and stays WARN. PRIMARY_FAILOVER: a
 * lookup whose first server timed out and a second answered (every lookup
 * pays the first server's timeout), once timeout_warn_min lookups of a
 * sender did so; not when the second server was asked at once, in
 * parallel (musl: FO_MIN_WAIT_US). RESPONSE_WRONG_SOURCE: a response from an
 * address or port the query did not go to (stubs drop it).
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define PAIRS 128
#define EV 6
#define AT_N 4

struct pair {
	struct mx_addr sender, resolver;
	uint64_t total, answered, timeouts, unreachable;
	uint64_t late, late_max_us;  /* responses after the answer timeout (LATE strays) */
	uint64_t first_us, last_us;
	uint64_t first_lost_us, last_lost_us; /* the unanswered queries' span */
	uint64_t lost_txns;                  /* unanswered transactions (timeouts, unreachables) */
	uint64_t failed_over;                /* lookups that left this resolver unanswered and got
					      * a response from another one */
	uint64_t parallel;                   /* those of them that asked the other one at once */
	uint64_t resent_answered;            /* lookups whose query it lost and then answered when
					      * the sender asked it again (intermittent loss) */
	/* the query type of the unanswered transactions, when they share one
	 * (lost_mixed: not), and answered transactions by type (AT_N types,
	 * the rest not counted): "only ANY (PTR, AAAA) queries go unanswered"
	 * is a rule that drops one type, not a dead resolver */
	uint16_t lost_type;
	bool lost_mixed;
	uint16_t at[AT_N];
	uint32_t ac[AT_N];
	bool at_over;                        /* an answered type found no slot: not counted */
	uint16_t n_ev;
	uint8_t mail_rows;                   /* bit i: ev[i] is a mail lookup */
	struct mx_evidence ev[EV];           /* the first unanswered queries; mail lookups kept */
};

/* PRIMARY_FAILOVER per (sender, first resolver): the lookups that failed
 * over, and the first FO_KEEP of them in brief, so that the finding made at
 * the timeout_warn_min-th shows them too (first seen, frames, and evidence
 * rows while the engine's ring of recent lookups still holds them). With a
 * timeout_warn_min above FO_KEEP + 1 the lookups between are counted only.
 * 64 entries of ~250 bytes. */
#define FO_KEEP 4
#define FO_FRAMES 6
struct fo_early {
	uint64_t seq, first_us, last_us;
	uint64_t frames[FO_FRAMES];  /* the tries' queries and responses, in order; 0 = none */
};

struct fo {
	struct mx_slot s;
	uint32_t count;
	uint32_t n_early;
	struct fo_early early[FO_KEEP];
};

struct st {
	struct mx_slot hdr[PAIRS];   /* the pairs' keys, apart: a probe reads 16 bytes an entry */
	struct pair pairs[PAIRS];
	struct fo fo[64];
	uint64_t fo_clock;
	uint64_t clock;
	uint64_t win_start;
	uint64_t responses;   /* answered transactions anywhere in the capture */
};

static void evidence_from_txn(struct mx_evidence *ev, const struct mx_txn *t)
{
	memset(ev, 0, sizeof(*ev));
	ev->frame = t->r_frame && t->kind == MX_TXN_UNREACHABLE ? t->r_frame : t->q_frame;
	ev->ts_us = t->kind == MX_TXN_UNREACHABLE ? t->r_ts : t->q_ts;
	ev->from = t->kind == MX_TXN_UNREACHABLE ? t->server : t->client;
	ev->to = t->kind == MX_TXN_UNREACHABLE ? t->client : t->server;
	ev->response = t->kind == MX_TXN_UNREACHABLE;
	mx_dname_copy(&ev->qname, &t->qname);
	ev->qtype = t->qtype;
	ev->outcome = t->outcome;
	ev->ede = 0xffff;
	ev->latency_us = t->kind == MX_TXN_UNREACHABLE ? t->latency_us : 0;
	if (t->kind == MX_TXN_UNREACHABLE)
		snprintf(ev->answer, sizeof ev->answer, "ICMP port unreachable");
	else
		snprintf(ev->answer, sizeof ev->answer, "no response");
}

/* pending: NULL when the window ended (the finding is made), else why the
 * finding is pending (on_pending) */
static void judge(const struct pair *p, const struct st *s, const struct mx_detect_ctx *c, struct mx_emit *e,
		  const char *pending)
{
	const struct mx_detect_opts *o = c->opts;
	if (p->total == 0 || (p->timeouts == 0 && p->unreachable == 0))
		return;
	struct mx_finding f;
	char rs[MX_ADDR_STRLEN];
	mx_addr_format(&p->resolver, rs, sizeof rs);
	uint64_t lost = p->timeouts + p->unreachable;
	unsigned pct = (unsigned)(lost * 100 / p->total);
	if (p->unreachable > 0 && p->answered == 0) {
		mx_finding_init(&f, "RESOLVER_UNREACHABLE", p->total >= o->dead_min_queries ? MX_SEV_CRIT : MX_SEV_ERROR);
		f.title = "the resolver is not running: queries are answered by ICMP port unreachable";
		f.cause = "nothing listens on the resolver's DNS port (the service is stopped or crashed), or a "
			  "firewall rejects the queries";
		f.fix = "start the resolver or remove it from the sender's resolver list (resolv.conf, Exchange "
			"ExternalDNSServers, the gateway's DNS settings)";
	} else if (p->answered == 0 && p->late == 0 && p->total >= o->dead_min_queries) {
		bool oneway = s->responses == 0;
		/* every lost query's lookup got its answer from another
		 * resolver: the sender fails over, mail is slowed, not stopped */
		bool covered = !oneway && p->failed_over >= p->lost_txns;
		mx_finding_init(&f, "RESOLVER_DEAD", oneway || covered ? MX_SEV_WARN : MX_SEV_CRIT);
		f.title = oneway ? "no query to the resolver was answered, and the capture holds no response at all"
			: covered ? "the resolver answers nothing; the sender's next resolver answers in its place"
				  : "the resolver answers nothing";
		f.cause = oneway ? "a one-way capture (SPAN port, asymmetric routing) or a resolver that is down: "
				   "with no response anywhere in the capture mxsniff cannot tell them apart"
				 : "the resolver is down or unreachable, UDP/53 is filtered, or it drops this client "
				   "silently (rate limit)";
		f.fix = "check the resolver and the path to it; remove it from the sender's resolver list";
	} else if (p->answered == 0) {
		mx_finding_init(&f, "RESOLVER_TIMEOUT", MX_SEV_WARN);
		f.title = "queries to the resolver go unanswered (too few to call it dead)";
		f.cause = "the resolver is down, filtered, or drops these queries";
		f.fix = "check the resolver and the path to it";
	} else if (pct >= o->timeout_error_pct && lost >= o->timeout_warn_min) {
		mx_finding_init(&f, "RESOLVER_TIMEOUT", MX_SEV_ERROR);
		f.title = "the resolver leaves a large share of queries unanswered";
	} else if (pct >= o->timeout_warn_pct && lost >= o->timeout_warn_min) {
		mx_finding_init(&f, "RESOLVER_TIMEOUT", MX_SEV_WARN);
		f.title = "the resolver leaves some queries unanswered";
	} else {
		return;
	}
	if (!f.cause) {
		f.cause = "resolver overload, silent rate limiting (public resolvers, unbound ip-ratelimit, "
			  "wait-limit or discard-timeout, dnsdist MaxQPSIPRule: a burst of the mail server's "
			  "own filtering lookups can set it off, see QUERY_VOLUME_STARVATION), packet loss on "
			  "the path, or pcap drops (check the capture statistics)";
		f.fix = "run a caching resolver on the mail host, remove slow or dead forwarders, raise the "
			"resolver's per-client limits";
	}
	f.smtp_status = "most likely: Postfix 4.4.3 \"Host or domain name not found. Name service error ... "
			"Host not found, try again\"; Exim \"host lookup did not complete\"; Exchange "
			"\"451 4.4.0 DNS query failed\" (ErrorTimeout); Messaging Gateway \"421 4.4.4 [internal] "
			"domain does not resolve\"; OpenSMTPD \"Temporary failure in MX lookup\"; dma "
			"\"remote delivery deferred: DNS lookup failure: host <domain> not found\"; chasquid "
			"\"failed (temporary): Could not find mail server: lookup <domain> on <resolver>:53: "
			"read udp ...: i/o timeout\" (\"...: connection refused\" when ICMP port unreachable answers)";
	/* every lost query's lookup was answered by another resolver */
	bool covered = s->responses && p->lost_txns && p->failed_over >= p->lost_txns;
	if (covered && p->parallel == p->failed_over)
		f.smtp_status = "none while the other resolver answers: the sender asks its resolvers in parallel "
				"(musl libc), so no lookup waits for this one";
	else if (covered)
		f.smtp_status = "none while the other resolver answers: every lookup first waits for this one's "
				"timeout (see PRIMARY_FAILOVER), and MTAs with short DNS timeouts defer 4.4.3";
	f.sender = p->sender;
	mx_finding_add_resolver(&f, &p->resolver);
	/* when queries went unanswered (the evidence's span), not the window */
	f.first_us = p->first_lost_us ? p->first_lost_us : p->first_us;
	f.last_us = p->last_lost_us ? p->last_lost_us : p->last_us;
	f.count = lost;
	mx_finding_detail(&f, "%llu of %llu queries unanswered (%u%%): %llu timed out, %llu ICMP unreachable",
			  (unsigned long long)lost, (unsigned long long)p->total, pct,
			  (unsigned long long)p->timeouts, (unsigned long long)p->unreachable);
	if (p->failed_over)
		mx_finding_detail(&f, covered ? "their lookups (%llu) all got a response from another resolver "
					       "(%s)"
					     : "%llu of their lookups got a response from another resolver (%s)",
				  (unsigned long long)p->failed_over,
				  p->parallel == p->failed_over ? "asked at the same time" : "failover");
	if (p->lost_txns && !p->lost_mixed) {
		char tn[16];
		mx_dns_type_name(p->lost_type, tn, sizeof tn);
		uint32_t same = 0;
		for (unsigned i = 0; i < AT_N; i++)
			if (p->ac[i] && p->at[i] == p->lost_type)
				same = p->ac[i];
		/* (with a type uncounted, the lost one may have been answered) */
		if (p->answered && same == 0 && !p->at_over)
			mx_finding_detail(&f, "only %s queries went unanswered, while it answered %llu of other types: "
					      "a rule or filter that drops %s queries (a firewall, an "
					      "anti-amplification rule), not a dead resolver",
					  tn, (unsigned long long)p->answered, tn);
		else if (p->answered == 0 && p->unreachable == 0 && p->lost_type != MX_TYPE_MX &&
			 p->lost_type != MX_TYPE_A && p->lost_type != MX_TYPE_AAAA)
			/* nothing else was asked: a type that rules single out */
			mx_finding_detail(&f, "every unanswered query asked %s (nothing else was asked)", tn);
	}
	if (p->resent_answered)
		mx_finding_detail(&f, "%llu lookup%s answered by it when asked again: intermittent loss (a rate "
				  "limit, the path), not a dead resolver",
				  (unsigned long long)p->resent_answered, p->resent_answered == 1 ? "" : "s");
	if (p->late) {
		/* not dead and not lost: the answers come after the stub gave up */
		mx_finding_detail(&f, "%llu response%s arrived after the answer timeout (the slowest %.1f s after "
				  "its query): the resolver answers, too slowly for the sender's stub",
				  (unsigned long long)p->late, p->late == 1 ? "" : "s", (double)p->late_max_us / 1e6);
		if (p->answered == 0)
			f.cause = "the resolver answers only after the sender's timeout (a slow or unreachable "
				  "authoritative server upstream, resolver overload): every lookup fails at the "
				  "stub although the resolver is alive";
	}
	for (unsigned i = 0; i < p->n_ev; i++) {
		mx_finding_add_frame(&f, p->ev[i].frame);
		if (f.n_evidence < MX_FINDING_MAX_EVIDENCE)
			f.evidence[f.n_evidence++] = p->ev[i];
	}
	mx_finding_verify(&f, "dig +tries=1 +time=2 . SOA @%s", rs);
	mx_finding_verify(&f, "dig +tcp . SOA @%s", rs);
	f.pending = pending;
	mx_emit(e, &f);
}

/* A pair entry taken for (client, server) (fresh: new to the table). When
 * it held another pair, evicted by the table's LRU (more than PAIRS pairs
 * in one window), that pair is judged on its counts so far first, as at
 * the window's end: its findings are made, not lost (a pair that comes
 * back starts again, and its later finding merges with the first). */
static struct pair *pair_reset(struct st *s, struct pair *p, bool fresh, const struct mx_detect_ctx *c,
			       struct mx_emit *e, const struct mx_addr *client, const struct mx_addr *server,
			       uint64_t ts)
{
	if (!fresh)
		return p;
	if (p->total || p->failed_over || p->late)
		judge(p, s, c, e, NULL);
	memset(p, 0, sizeof(*p));
	p->sender = *client;
	p->resolver = *server;
	p->first_us = ts;
	p->last_us = ts;
	return p;
}

static void flush(struct st *s, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	for (unsigned i = 0; i < PAIRS; i++)
		if (s->hdr[i].used) {
			judge(&s->pairs[i], s, c, e, NULL);
			memset(&s->pairs[i], 0, sizeof s->pairs[i]);
			memset(&s->hdr[i], 0, sizeof s->hdr[i]);
		}
	s->win_start = c->now_us;
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (t->kind == MX_TXN_ANSWERED)
		s->responses++;
	if (!t->rd || t->kind == MX_TXN_PENDING || t->kind == MX_TXN_OPEN)
		return;
	if (!mx_detect_is_sender(c->opts, &t->client))
		return;
	if (s->win_start == 0)
		s->win_start = t->q_ts;
	bool fresh;
	struct pair *p = &s->pairs[MX_SLOT_INDEX_PK(c, MX_PK_TIMEOUT, s->hdr,
							 mx_key_addr2_inline(&t->client, &t->server, MX_SALT_TIMEOUT), &s->clock, &fresh)];
	if (fresh)
		pair_reset(s, p, fresh, c, e, &t->client, &t->server, t->q_ts);
	/* counted in queries sent: a retransmission with the same ID and port
	 * is one transaction but two queries left unanswered */
	uint64_t sends = t->sends ? t->sends : 1;
	p->total += sends;
	p->last_us = t->q_ts;
	if (t->kind == MX_TXN_ANSWERED) {
		p->answered++;
		unsigned i;
		for (i = 0; i < AT_N; i++)
			if (p->at[i] == t->qtype || p->ac[i] == 0) {
				p->at[i] = t->qtype;
				p->ac[i]++;
				break;
			}
		p->at_over |= i == AT_N;
	} else if (t->kind == MX_TXN_TIMEOUT)
		p->timeouts += sends;
	else if (t->kind == MX_TXN_UNREACHABLE)
		p->unreachable += sends;
	if (t->kind == MX_TXN_ANSWERED)
		return;
	if (p->lost_txns == 0)
		p->lost_type = t->qtype;
	else if (p->lost_type != t->qtype)
		p->lost_mixed = true;
	p->lost_txns++;
	if (!p->first_lost_us || t->q_ts < p->first_lost_us)
		p->first_lost_us = t->q_ts;
	if (t->q_ts > p->last_lost_us)
		p->last_lost_us = t->q_ts;
	/* Evidence: the first unanswered queries, but the mail server's own
	 * delivery lookups (MX, TLSA, A/AAAA of no blocklist) before others: a
	 * flood of filtering lookups must not hide them. A mail lookup takes
	 * the slot of the latest other one when the rows are full. */
	bool mail = t->qtype == MX_TYPE_MX || t->qtype == MX_TYPE_TLSA ||
		    ((t->qtype == MX_TYPE_A || t->qtype == MX_TYPE_AAAA) &&
		     !mx_detect_blocklist_name(c->opts, &t->qname));
	if (p->n_ev < EV) {
		if (mail)
			p->mail_rows |= (uint8_t)(1u << p->n_ev);
		evidence_from_txn(&p->ev[p->n_ev++], t);
	} else if (mail) {
		for (int i = EV - 1; i >= 0; i--)
			if (!(p->mail_rows >> i & 1)) {
				/* the latest other row gives way; rows stay in frame
				 * order (this one is later than all of them) */
				for (int j = i; j < EV - 1; j++)
					p->ev[j] = p->ev[j + 1];
				p->mail_rows = (uint8_t)((p->mail_rows & ((1u << i) - 1)) |
							 ((p->mail_rows >> (i + 1)) << i) | (1u << (EV - 1)));
				evidence_from_txn(&p->ev[EV - 1], t);
				break;
			}
	}
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	if (s->win_start && c->now_us >= s->win_start + c->opts->stats_window_us)
		flush(s, c, e);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	flush(vs, c, e);
}

/* The current window's pairs as they would be judged if it ended now. */
static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	const struct st *s = vs;
	for (unsigned i = 0; i < PAIRS; i++)
		if (s->hdr[i].used)
			judge(&s->pairs[i], s, c, e,
			      "the counts of the current --stats-window so far: judged when the window ends");
}

/* PRIMARY_FAILOVER's texts are deferred (mx_finding_defer): every lookup
 * past the threshold emits one, merged into the pair's finding, whose
 * detail is the latest one's and verify line the first one's. The detail's
 * raw record: the silent and the answering resolver, the time to the
 * answered query and the name (length, labels, wire); the verify line's:
 * the silent resolver. */
struct fo_raw {
	struct mx_addr r1, r2;
	uint64_t after_us;
};

static void fo_detail(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	struct fo_raw r;
	struct mx_dname q;
	char r1[MX_ADDR_STRLEN], r2[MX_ADDR_STRLEN], qn[MX_DNAME_STRLEN];
	(void)n;
	memcpy(&r, raw, sizeof r);
	q.len = raw[sizeof r];
	q.labels = raw[sizeof r + 1];
	memcpy(q.wire, raw + sizeof r + 2, q.len);
	mx_addr_format(&r.r1, r1, sizeof r1);
	mx_addr_format(&r.r2, r2, sizeof r2);
	mx_dname_format(&q, qn, sizeof qn);
	mx_finding_detail(f, "%s timed out, %s answered after %.1f s (e.g. %s)", r1, r2, (double)r.after_us / 1e6, qn);
}

static void fo_verify(struct mx_finding *f, const uint8_t *raw, size_t n)
{
	struct mx_addr a;
	char r1[MX_ADDR_STRLEN];
	(void)n;
	memcpy(&a, raw, sizeof a);
	mx_addr_format(&a, r1, sizeof r1);
	mx_finding_verify(f, "dig +tries=1 +time=2 . SOA @%s", r1);
}

_Static_assert(sizeof(struct fo_raw) + 2 + MX_DNAME_MAX + 2 <= sizeof(((struct mx_finding *)0)->detail),
	       "PRIMARY_FAILOVER's raw detail fits the detail");

static void fo_keep(struct fo_early *k, const struct mx_lookup *l)
{
	unsigned n = 0;
	memset(k, 0, sizeof(*k));
	k->seq = l->seq;
	k->first_us = l->first_us;
	k->last_us = l->last_us;
	for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		const uint64_t fr[3] = {t->q_frame, t->r_frame, t->late_frame};
		for (unsigned j = 0; j < 3; j++)
			if (fr[j] && n < FO_FRAMES)
				k->frames[n++] = fr[j];
	}
}

/* A kept lookup into f, as a chain step (mx_finding_add_step: the rows of
 * the lookup if the engine still remembers it, else the frames). */
static void fo_add(const struct mx_detect_ctx *c, struct mx_finding *f, const struct fo_early *k)
{
	struct mx_chain_step step;
	memset(&step, 0, sizeof step);
	step.asked = true;
	step.lookup_seq = k->seq;
	step.first_us = k->first_us;
	step.end_us = k->last_us;
	for (unsigned i = 0; i < FO_FRAMES && k->frames[i]; i++)
		step.frames[step.n_frames++] = k->frames[i];
	mx_finding_add_step(c, f, &step);
}

/* A lookup whose first query to another server left less than
 * FO_MIN_WAIT_US after the first try's asked both in parallel (musl's
 * res_send sends every query to all nameservers at once, same ID and
 * port): it waited for no timeout, so it is no failover, whether or not the
 * first server answers. A stub fails over only after its timeout: 1 s at
 * the least for glibc (timeout:1), Go and asr, 2 s by default for c-ares. */
#define FO_MIN_WAIT_US 250000u

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *st = vs;
	if (!l->rd || l->n_tries < 2 || !mx_detect_is_sender(c->opts, &l->client))
		return;
	const struct mx_lookup_try *t0 = &l->tries[0];
	if (!(t0->outcome == MX_O_TIMEOUT || t0->outcome == MX_O_UNREACHABLE) && !t0->open)
		return;
	if (t0->outcome == MX_O_TIMEOUT && !t0->open) {
		/* the first query lost, a later one to the same resolver
		 * answered: the resolver is alive and drops some queries */
		for (unsigned i = 1; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
			const struct mx_lookup_try *t = &l->tries[i];
			if (!mx_addr_eq(&t->server, &t0->server) || t->open || !t->r_frame ||
			    t->outcome >= MX_O_UNREACHABLE)
				continue;
			struct mx_slot *ph =
				MX_SLOT_FIND(st->hdr, mx_key_addr2_inline(&l->client, &t0->server, MX_SALT_TIMEOUT));
			if (ph)
				st->pairs[ph - st->hdr].resent_answered++;
			break;
		}
	}
	bool parallel = false;
	for (unsigned i = 1; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++)
		if (!mx_addr_eq(&l->tries[i].server, &t0->server)) {
			parallel = l->tries[i].q_ts - t0->q_ts < FO_MIN_WAIT_US;
			break;
		}
	for (unsigned i = 1; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		/* any response from another server (a SERVFAIL too): the lookup
		 * paid the first one's timeout */
		if (mx_addr_eq(&t->server, &t0->server) || t->open || t->outcome >= MX_O_UNREACHABLE)
			continue;
		/* the pair may not exist yet: a lookup answered by another
		 * resolver within answer_timeout of its first query (musl's
		 * parallel queries, glibc timeout:1) closes before its lost
		 * try's transaction times out */
		bool fresh;
		struct pair *p = &st->pairs[MX_SLOT_INDEX(st->hdr, mx_key_addr2_inline(&l->client, &t0->server, MX_SALT_TIMEOUT),
							  &st->clock, &fresh)];
		pair_reset(st, p, fresh, c, e, &l->client, &t0->server, t0->q_ts);
		p->failed_over++;
		if (parallel) {
			p->parallel++;
			return;
		}
		/* one lost query that glibc resent elsewhere is ordinary loss: a
		 * failover pattern needs timeout_warn_min lookups paying for it */
		struct fo *fo = MX_SLOT_GET(st->fo, mx_key_addr2_inline(&l->client, &t0->server, 31), &st->fo_clock, NULL);
		if (++fo->count < c->opts->timeout_warn_min) {
			if (fo->n_early < FO_KEEP)
				fo_keep(&fo->early[fo->n_early++], l);
			return;
		}
		struct mx_finding f;
		mx_finding_init(&f, "PRIMARY_FAILOVER", MX_SEV_WARN);
		f.title = "the first resolver does not answer; every lookup waits for its timeout";
		f.sender = l->client;
		mx_finding_add_resolver(&f, &t0->server);
		mx_finding_add_lookup(&f, l);
		if (fo->count == c->opts->timeout_warn_min) {
			/* the lookups counted before the threshold count here too,
			 * with their times, frames and (if still known) rows */
			f.count = fo->count;
			for (unsigned k = 0; k < fo->n_early; k++)
				fo_add(c, &f, &fo->early[k]);
			fo->n_early = 0;
		} else {
			f.count = 1;
		}
		uint8_t raw[sizeof(struct fo_raw) + 2 + MX_DNAME_MAX];
		struct fo_raw r;
		memset(&r, 0, sizeof r);
		r.r1 = t0->server;
		r.r2 = t->server;
		r.after_us = t->q_ts - l->first_us;
		memcpy(raw, &r, sizeof r);
		raw[sizeof r] = l->qname.len;
		raw[sizeof r + 1] = l->qname.labels;
		memcpy(raw + sizeof r + 2, l->qname.wire, l->qname.len);
		mx_finding_defer(&f, false, fo_detail, raw, sizeof r + 2u + l->qname.len);
		f.smtp_status = "none while the second resolver answers; deliveries slow down, and MTAs with short "
				"DNS timeouts defer 4.4.3";
		f.cause = "the first resolver in the sender's list is down or filtered";
		f.fix = "repair or remove the first resolver (resolv.conf order, Exchange ExternalDNSServers)";
		mx_finding_defer(&f, true, fo_verify, &t0->server, sizeof t0->server);
		mx_emit(e, &f);
		return;
	}
}

static void on_stray(void *vs, const struct mx_detect_ctx *c, const struct mx_stray *st, struct mx_emit *e)
{
	struct st *s = vs;
	if (st->kind == MX_STRAY_LATE && st->resp && st->resp->rd && mx_detect_is_sender(c->opts, &st->resp->dst)) {
		/* the pair of the query it answers: client = the response's
		 * destination, server = its source */
		bool fresh;
		struct pair *p = &s->pairs[MX_SLOT_INDEX(s->hdr, mx_key_addr2_inline(&st->resp->dst, &st->resp->src, MX_SALT_TIMEOUT),
							 &s->clock, &fresh)];
		pair_reset(s, p, fresh, c, e, &st->resp->dst, &st->resp->src, st->q_ts);
		p->late++;
		if (st->latency_us > p->late_max_us)
			p->late_max_us = st->latency_us;
		return;
	}
	if (st->kind != MX_STRAY_WRONG_SOURCE || !st->resp)
		return;
	const struct mx_dns_msg *m = st->resp;
	struct mx_finding f;
	char got[MX_ADDR_STRLEN], want[MX_ADDR_STRLEN];
	mx_finding_init(&f, "RESPONSE_WRONG_SOURCE", MX_SEV_ERROR);
	f.title = "responses come from another address or port than the query went to";
	f.sender = m->dst;
	mx_finding_add_resolver(&f, &st->expected);
	mx_dname_copy(&f.host, &m->qname);
	f.qtype = m->qtype;
	f.first_us = f.last_us = m->ts_us;
	mx_finding_add_frame(&f, st->q_frame);
	mx_finding_add_frame(&f, m->frame);
	mx_addr_format(&m->src, got, sizeof got);
	mx_addr_format(&st->expected, want, sizeof want);
	mx_finding_detail(&f, "query to %s port %u, response from %s port %u", want, st->expected_port, got, m->sport);
	f.smtp_status = "most likely as for a timeout: Postfix 4.4.3 \"Host not found, try again\"; Exchange "
			"451 4.4.0 (ErrorTimeout)";
	f.cause = "a multi-homed resolver answering from another address, or NAT rewriting the source; stub "
		  "resolvers drop such answers, so the sender times out although the wire shows answers";
	f.fix = "make the resolver answer from the address it is queried on (bind it to that address), or "
		"fix the NAT";
	mx_finding_verify(&f, "dig . SOA @%s", want);
	mx_emit_stray(e, &f, st);
}

const struct mx_detector mx_det_resolver_timeout = {
	.id = "RESOLVER_TIMEOUT",
	.pattern = "P10",
	.emits = "RESOLVER_TIMEOUT,RESOLVER_DEAD,RESOLVER_UNREACHABLE,PRIMARY_FAILOVER,RESPONSE_WRONG_SOURCE",
	.summary = "unanswered queries, dead or stopped resolvers, failover delays, answers from the wrong address",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_lookup = on_lookup,
	.on_stray = on_stray,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
	.lookup_needs = {MX_NEED_RD | MX_NEED_RETRIED, 0},
};
