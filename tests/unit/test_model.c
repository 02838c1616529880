/* test_model.c - L5: counters, server/sender/name tables, latency
 * percentiles, eviction caps, deterministic snapshot order, the recent ring;
 * closed chains (ring order, recipient-domain rows and their order, the
 * sender fingerprint) and findings (copied, order kept).
 * Inputs are scripted structs (messages, transactions, lookups, chains,
 * findings), not packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
#include "mxsniff/model.h"

static struct mx_addr A4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct mx_addr x;
	const uint8_t v[4] = { a, b, c, d };
	mx_addr_set4(&x, v);
	return x;
}

static struct mx_dname N(const char *s)
{
	struct mx_dname d;
	memset(&d, 0, sizeof d);
	assert_int_equal(mx_dname_from_text(s, &d), 0);
	return d;
}

static struct mx_model *mk(size_t servers, size_t senders, size_t names, size_t recent,
			   size_t top)
{
	struct mx_model_opts o;
	mx_model_opts_default(&o);
	if (servers)
		o.max_servers = servers;
	if (senders)
		o.max_senders = senders;
	if (names)
		o.max_names = names;
	o.recent = recent;
	o.top_failing = top;
	struct mx_model *m = mx_model_new(&o);
	assert_non_null(m);
	return m;
}

static void query(struct mx_model *m, struct mx_addr src, struct mx_addr dst, bool rd,
		  uint16_t qtype, uint64_t ts)
{
	struct mx_dns_msg q;
	memset(&q, 0, sizeof q);
	q.ts_us = ts;
	q.src = src;
	q.dst = dst;
	q.sport = 40000;
	q.dport = 53;
	q.transport = MX_T_UDP;
	q.rd = rd;
	q.has_question = true;
	q.qname = N("example.com");
	q.qtype = qtype;
	q.qclass = 1;
	mx_model_observe_msg(m, &q);
}

static struct mx_txn txn(struct mx_addr c, struct mx_addr s, enum mx_txn_kind k,
			 enum mx_outcome o, uint16_t rcode, uint64_t lat)
{
	struct mx_txn t;
	memset(&t, 0, sizeof t);
	t.kind = k;
	t.client = c;
	t.server = s;
	t.rd = true;
	t.qname = N("example.com");
	t.qtype = MX_TYPE_MX;
	t.qclass = 1;
	t.q_ts = 1000000;
	t.q_frame = 1;
	t.sends = 1;
	t.outcome = o;
	t.rcode = rcode;
	t.ede = 0xffff;
	if (k == MX_TXN_ANSWERED || k == MX_TXN_UNREACHABLE) {
		t.latency_us = lat;
		t.r_ts = t.q_ts + lat;
		t.r_frame = 2;
	}
	return t;
}

static struct mx_lookup lk(struct mx_addr c, const char *name, uint16_t qtype,
			   enum mx_outcome o, uint64_t frame)
{
	struct mx_lookup l;
	memset(&l, 0, sizeof l);
	l.client = c;
	l.qname = N(name);
	l.qtype = qtype;
	l.qclass = 1;
	l.rd = true;
	l.first_us = 5000000;
	l.last_us = 5100000;
	l.outcome = o;
	l.decided_frame = frame;
	l.ede = 0xffff;
	return l;
}

/* ---- totals ----------------------------------------------------------- */

static void totals_and_qtypes(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 0, 0);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1), r = A4(10, 0, 0, 53);
	uint8_t data[60] = { 0 };
	struct mx_frame f = { .ts_us = 2000000, .frame = 1, .caplen = 60, .len = 100,
			      .linktype = 1, .data = data };

	mx_model_set_source(m, "file x.pcap", "udp port 53", false);
	mx_model_observe_frame(m, &f);
	f.ts_us = 1000000; /* out of order: first_us goes back */
	f.frame = 2;
	mx_model_observe_frame(m, &f);
	f.ts_us = 9000000;
	mx_model_observe_frame(m, &f);
	const uint16_t types[] = { MX_TYPE_A, MX_TYPE_AAAA, MX_TYPE_AAAA, MX_TYPE_MX, MX_TYPE_TXT,
				   MX_TYPE_PTR, MX_TYPE_TLSA, MX_TYPE_NS, MX_TYPE_SOA,
				   MX_TYPE_HTTPS, 99, 65280 };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		query(m, c, r, true, types[i], 3000000);
	struct mx_dns_msg resp;
	memset(&resp, 0, sizeof resp);
	resp.qr = true;
	resp.ts_us = 3000001;
	resp.rd = true;
	resp.has_question = true;
	resp.qtype = MX_TYPE_A;
	resp.src = A4(10, 0, 0, 54); /* a response makes no row and counts no qtype */
	resp.dst = A4(10, 0, 0, 2);
	mx_model_observe_msg(m, &resp);
	mx_model_observe_dns_verdict(m, MX_DNS_MALFORMED);
	mx_model_observe_dns_verdict(m, MX_DNS_TRUNCATED);
	mx_model_observe_dns_verdict(m, MX_DNS_TRUNCATED);
	mx_model_observe_dns_verdict(m, MX_DNS_NOT_DNS);
	mx_model_observe_dns_verdict(m, MX_DNS_OK);
	struct mx_icmp ic;
	memset(&ic, 0, sizeof ic);
	ic.ts_us = 4000000;
	mx_model_observe_icmp(m, &ic);

	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_string_equal(s.source, "file x.pcap");
	assert_string_equal(s.filter, "udp port 53");
	assert_false(s.live);
	assert_int_equal(s.packets, 3);
	assert_int_equal(s.bytes, 300);
	assert_int_equal(s.first_us, 1000000);
	assert_int_equal(s.last_us, 9000000);
	assert_int_equal(s.dns_messages, 13);
	assert_int_equal(s.queries, 12);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.dns_malformed, 1);
	assert_int_equal(s.dns_truncated, 2);
	assert_int_equal(s.dns_not_dns, 1);
	assert_int_equal(s.icmp_dns, 1);
	assert_int_equal(s.qtype_counts[MX_QS_A], 1);
	assert_int_equal(s.qtype_counts[MX_QS_AAAA], 2);
	assert_int_equal(s.qtype_counts[MX_QS_MX], 1);
	assert_int_equal(s.qtype_counts[MX_QS_TXT], 1);
	assert_int_equal(s.qtype_counts[MX_QS_PTR], 1);
	assert_int_equal(s.qtype_counts[MX_QS_TLSA], 1);
	assert_int_equal(s.qtype_counts[MX_QS_OTHER_KNOWN], 2);
	assert_int_equal(s.qtype_counts[MX_QS_HTTPS], 1);
	assert_int_equal(s.by_qtype_other, 2);
	assert_string_equal(mx_model_qtype_slot_name(MX_QS_OTHER_KNOWN), "other_known");
	assert_string_equal(mx_model_qtype_slot_name(MX_QS_HTTPS), "HTTPS");
	assert_string_equal(mx_model_qtype_slot_name(MX_QS__COUNT), "?");
	/* one resolver, one sender with 12 RD=1 queries */
	assert_int_equal(s.n_resolvers, 1);
	assert_int_equal(s.n_authoritatives, 0);
	assert_int_equal(s.resolvers[0].queries, 12);
	assert_true(s.resolvers[0].recursive);
	assert_int_equal(s.resolvers[0].clients, 1);
	assert_int_equal(s.n_senders, 1);
	assert_int_equal(s.senders[0].queries, 12);
	assert_int_equal(s.senders[0].resolvers, 1);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void servers_and_txns(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 0, 0);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1), r = A4(10, 0, 0, 53), auth = A4(192, 0, 2, 1),
		       res = A4(10, 0, 0, 54);
	/* RD=1 to r; RD=0 (iterative) from res to auth: auth is authoritative,
	 * res is not a sender. */
	query(m, c, r, true, MX_TYPE_MX, 1000);
	query(m, c, r, true, MX_TYPE_MX, 2000);
	query(m, res, auth, false, MX_TYPE_A, 3000);
	/* queries to multicast groups (mDNS, LLMNR; RD=1 too) make no row */
	struct mx_addr g6 = { .family = 6 };
	g6.a[0] = 0xff, g6.a[1] = 0x02, g6.a[15] = 0xfb;
	query(m, c, A4(224, 0, 0, 251), false, MX_TYPE_A, 3100);
	query(m, A4(10, 0, 0, 7), A4(224, 0, 0, 252), true, MX_TYPE_A, 3200);
	query(m, c, g6, true, MX_TYPE_AAAA, 3300);

	struct mx_txn t = txn(c, r, MX_TXN_ANSWERED, MX_O_ANSWER, MX_RCODE_NOERROR, 2000);
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_ANSWERED, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 4000);
	t.tc = true;
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_ANSWERED, MX_O_OTHER, 40, 1000); /* rcode beyond slots */
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_TIMEOUT, MX_O_TIMEOUT, 0, 0);
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_UNREACHABLE, MX_O_UNREACHABLE, 0, 300);
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_PENDING, MX_O_TIMEOUT, 0, 0);
	mx_model_observe_txn(m, &t);
	t = txn(c, r, MX_TXN_OPEN, MX_O_TIMEOUT, 0, 0); /* ignored */
	mx_model_observe_txn(m, &t);
	t = txn(res, auth, MX_TXN_ANSWERED, MX_O_REFERRAL, 0, 10000);
	t.rd = false;
	mx_model_observe_txn(m, &t);

	struct mx_dns_msg resp;
	memset(&resp, 0, sizeof resp);
	resp.qr = true;
	resp.src = r;
	struct mx_stray st;
	memset(&st, 0, sizeof st);
	st.resp = &resp;
	st.kind = MX_STRAY_LATE;
	mx_model_observe_stray(m, &st);
	st.kind = MX_STRAY_DUPLICATE;
	mx_model_observe_stray(m, &st);
	mx_model_observe_stray(m, &st);
	st.kind = MX_STRAY_WRONG_SOURCE;
	resp.src = A4(10, 9, 9, 9); /* came from elsewhere: counted on the expected server */
	st.expected = r;
	mx_model_observe_stray(m, &st);
	st.kind = MX_STRAY_UNSOLICITED; /* totals only */
	mx_model_observe_stray(m, &st);

	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_resolvers, 1);
	assert_int_equal(s.n_authoritatives, 1);
	assert_int_equal(s.n_senders, 1); /* res sent only RD=0 */
	assert_true(mx_addr_eq(&s.senders[0].addr, &c));
	assert_int_equal(s.queries, 6); /* the multicast ones are counted */
	const struct mx_server_row *x = &s.resolvers[0];
	assert_true(mx_addr_eq(&x->addr, &r));
	assert_int_equal(x->queries, 2);
	assert_int_equal(x->transactions, 6);
	assert_int_equal(x->answered, 3);
	assert_int_equal(x->timeouts, 1);
	assert_int_equal(x->unreachable, 1);
	assert_int_equal(x->pending, 1);
	assert_int_equal(x->truncated, 1);
	assert_int_equal(x->rcodes[MX_RCODE_NOERROR], 1);
	assert_int_equal(x->rcodes[MX_RCODE_SERVFAIL], 1);
	assert_int_equal(x->rcodes[MX_RCODE_SLOTS - 1], 1);
	assert_int_equal(x->outcomes[MX_O_ANSWER], 1);
	assert_int_equal(x->outcomes[MX_O_TIMEOUT], 2);
	assert_int_equal(x->outcomes[MX_O_UNREACHABLE], 1);
	assert_int_equal(x->late, 1);
	assert_int_equal(x->duplicate, 2);
	assert_int_equal(x->wrong_source, 1);
	/* latency only from answered transactions: 1000, 2000, 4000 us */
	assert_int_equal(x->latency.count, 3);
	assert_int_equal(x->latency.max, 4000);
	assert_true(x->latency.p50 >= 2000 && x->latency.p50 <= 2000 + 2000 / 32);
	assert_int_equal(x->latency.p99, 4000);
	const struct mx_server_row *y = &s.authoritatives[0];
	assert_true(mx_addr_eq(&y->addr, &auth));
	assert_false(y->recursive);
	assert_int_equal(y->outcomes[MX_O_REFERRAL], 1);
	assert_int_equal(y->latency.max, 10000);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* ---- latency percentiles ---------------------------------------------- */

static void latency_of(const uint64_t *v, size_t n, struct mx_latency *out)
{
	struct mx_model *m = mk(0, 0, 0, 0, 0);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1), r = A4(10, 0, 0, 53);
	for (size_t i = 0; i < n; i++) {
		struct mx_txn t = txn(c, r, MX_TXN_ANSWERED, MX_O_ANSWER, 0, v[i]);
		mx_model_observe_txn(m, &t);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_resolvers, 1);
	*out = s.resolvers[0].latency;
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* true value v, reported p: v <= p <= v * (1 + 1/32) */
static void assert_within_bucket(uint64_t p, uint64_t v)
{
	assert_true(p >= v);
	assert_true(p <= v + v / 32);
}

static void percentiles_known(void **state)
{
	(void)state;
	struct mx_latency l;
	uint64_t v[100];
	/* 1..100 ms, fed in a scrambled order */
	for (size_t i = 0; i < 100; i++)
		v[i] = ((i * 37) % 100 + 1) * 1000;
	latency_of(v, 100, &l);
	assert_int_equal(l.count, 100);
	assert_int_equal(l.max, 100000);
	assert_within_bucket(l.p50, 50000);
	assert_within_bucket(l.p95, 95000);
	assert_within_bucket(l.p99, 99000);

	/* small values are exact */
	const uint64_t small[] = { 3, 7, 7, 7, 9 };
	latency_of(small, 5, &l);
	assert_int_equal(l.p50, 7);
	assert_int_equal(l.p95, 9);
	assert_int_equal(l.max, 9);

	/* all equal: every percentile is clamped to the exact max */
	const uint64_t same[] = { 123456, 123456, 123456 };
	latency_of(same, 3, &l);
	assert_int_equal(l.p50, 123456);
	assert_int_equal(l.p99, 123456);
	assert_int_equal(l.max, 123456);

	/* 0 us and beyond the histogram range (2^36 us) */
	const uint64_t big[] = { 0, 0, 0, (uint64_t)1 << 40 };
	latency_of(big, 4, &l);
	assert_int_equal(l.p50, 0);
	assert_int_equal(l.max, (uint64_t)1 << 40);
	assert_int_equal(l.p99, (uint64_t)1 << 40);

	/* one sample */
	const uint64_t one[] = { 5000 };
	latency_of(one, 1, &l);
	assert_int_equal(l.p50, 5000);
	assert_int_equal(l.p99, 5000);

	/* 90 fast and 10 slow: p50 fast, p95 slow */
	uint64_t mix[100];
	for (size_t i = 0; i < 100; i++)
		mix[i] = i < 90 ? 1000 : 2000000;
	latency_of(mix, 100, &l);
	assert_within_bucket(l.p50, 1000);
	assert_within_bucket(l.p95, 2000000);
}

/* Every value in a sweep: its percentile of one is itself, and
 * a pair (v, 2v) gives p50 in v's bucket. */
static void percentiles_sweep(void **state)
{
	(void)state;
	for (uint64_t v = 1; v < ((uint64_t)1 << 34); v = v * 3 + 1) {
		struct mx_latency l;
		const uint64_t two[] = { v, 2 * v };
		latency_of(two, 2, &l);
		assert_within_bucket(l.p50, v);
		assert_int_equal(l.max, 2 * v);
		assert_int_equal(l.p99, 2 * v);
	}
}

/* A sender whose lookup sent one query (same ID and port) to two resolvers
 * within 1 ms is counted as musl's multi-send; a re-send to the next
 * server after a timeout, or with another ID, is not. */
static void sender_multi_send(void **state)
{
	(void)state;
	struct mx_model *m = mk(16, 16, 16, 0, 0);
	struct mx_addr musl = A4(10, 0, 0, 1), glibc = A4(10, 0, 0, 2);
	for (int k = 0; k < 3; k++) {
		struct mx_lookup l = lk(k == 0 ? musl : glibc, "mx.example", MX_TYPE_A, MX_O_ANSWER, 1 + (uint64_t)k);
		l.n_tries = 2;
		l.tries[0].q_ts = 5000000;
		l.tries[0].id = 0x4e7f;
		l.tries[0].sport = 38544;
		l.tries[0].server = A4(10, 53, 0, 53);
		l.tries[1] = l.tries[0];
		l.tries[1].server = A4(10, 53, 0, 56);
		l.tries[1].q_ts += k == 1 ? 1000000 : 40; /* k 1: glibc's next server after 1 s */
		if (k == 2)
			l.tries[1].id = 0x1234;           /* another query */
		mx_model_observe_lookup(m, &l);
	}
	struct mx_snapshot s;
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_senders, 2);
	for (size_t i = 0; i < s.n_senders; i++)
		assert_int_equal(s.senders[i].multi_send, mx_addr_eq(&s.senders[i].addr, &musl) ? 1 : 0);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* ---- eviction --------------------------------------------------------- */

static void eviction_caps(void **state)
{
	(void)state;
	struct mx_model *m = mk(4, 3, 2, 0, 0);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1);
	for (uint8_t i = 1; i <= 4; i++)
		query(m, c, A4(10, 0, 1, i), true, MX_TYPE_A, i * 1000);
	/* touch the oldest (10.0.1.1): the next two evict .2 and .3 */
	query(m, c, A4(10, 0, 1, 1), true, MX_TYPE_A, 5000);
	query(m, c, A4(10, 0, 1, 5), true, MX_TYPE_A, 6000);
	query(m, c, A4(10, 0, 1, 6), true, MX_TYPE_A, 7000);
	/* senders: 5 distinct in a table of 3 -> 2 evicted (so far) */
	for (uint8_t i = 2; i <= 5; i++)
		query(m, A4(10, 0, 0, i), A4(10, 0, 1, 1), true, MX_TYPE_A, 8000);
	/* names: 3 distinct failing -> 1 evicted */
	struct mx_lookup l = lk(c, "a.example", MX_TYPE_MX, MX_O_NXDOMAIN, 10);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "b.example", MX_TYPE_MX, MX_O_NXDOMAIN, 11);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "c.example", MX_TYPE_MX, MX_O_NXDOMAIN, 12);
	mx_model_observe_lookup(m, &l);

	struct mx_decode_stats d;
	struct mx_txn_stats t;
	struct mx_lookup_stats ls;
	struct mx_capture_stats cs;
	memset(&d, 0, sizeof d);
	memset(&t, 0, sizeof t);
	memset(&ls, 0, sizeof ls);
	memset(&cs, 0, sizeof cs);
	d.frag_evicted = 100;
	d.tcp_flows_evicted = 200;
	t.evicted_pending = 1000;
	t.evicted_recent = 2000;
	ls.evicted = 10000;
	cs.ps_drop = 7;
	mx_model_set_stats(m, &d, &t, &ls, &cs);

	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_resolvers, 4);
	assert_int_equal(s.evicted_servers, 2);
	for (size_t i = 0; i < s.n_resolvers; i++) {
		uint8_t last = s.resolvers[i].addr.a[3];
		assert_true(last == 1 || last == 4 || last == 5 || last == 6);
	}
	/* the touched server kept its count: 2 + 4 queries */
	assert_int_equal(s.resolvers[0].addr.a[3], 1);
	assert_int_equal(s.resolvers[0].queries, 6);
	assert_int_equal(s.n_senders, 3);
	/* 10.0.0.1 was evicted by .4/.5, its lookups bring it back: 3rd eviction */
	assert_int_equal(s.evicted_senders, 3);
	assert_int_equal(s.n_failing, 2);
	assert_int_equal(s.evicted_names, 1);
	assert_int_equal(s.evicted_total, 2 + 3 + 1 + 100 + 200 + 1000 + 2000 + 10000);
	assert_int_equal(s.capture.ps_drop, 7);
	assert_int_equal(s.decode.frag_evicted, 100);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* Many entries through a small table: the hash chains and LRU list stay
 * consistent (ASan checks the memory), counts of survivors are exact. */
static void eviction_churn(void **state)
{
	(void)state;
	struct mx_model *m = mk(64, 64, 64, 0, 0);
	struct mx_snapshot s;
	for (unsigned i = 0; i < 5000; i++) {
		struct mx_addr sv = A4(10, 1, (uint8_t)(i >> 8), (uint8_t)i);
		query(m, A4(10, 2, 0, (uint8_t)(i % 7)), sv, true, MX_TYPE_A, 1000 + i);
		query(m, A4(10, 2, 0, (uint8_t)(i % 7)), sv, true, MX_TYPE_A, 1000 + i);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_resolvers, 64);
	assert_int_equal(s.evicted_servers, 5000 - 64);
	for (size_t i = 0; i < s.n_resolvers; i++) {
		assert_int_equal(s.resolvers[i].queries, 2);
		/* survivors are the last 64 */
		unsigned id = (unsigned)s.resolvers[i].addr.a[2] << 8 | s.resolvers[i].addr.a[3];
		assert_true(id >= 5000 - 64 && id < 5000);
	}
	assert_int_equal(s.n_senders, 7);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* ---- deterministic order ---------------------------------------------- */

static void build_order(struct mx_model *m, const unsigned *perm, size_t n)
{
	/* servers 10.0.1.x: x=1..6; queries: 1->3, 2->3, 3->5, 4->1, 5->3, 6->1 */
	static const unsigned nq[7] = { 0, 3, 3, 5, 1, 3, 1 };
	for (size_t k = 0; k < n; k++) {
		unsigned x = perm[k];
		for (unsigned j = 0; j < nq[x]; j++)
			query(m, A4(10, 0, 0, (uint8_t)x), A4(10, 0, 1, (uint8_t)x), true, MX_TYPE_A,
			      1000 * x);
	}
	/* failing names: ties on failed broken by name bytes then qtype */
	const char *names[] = { "b.example", "a.example", "c.example", "a.example" };
	const uint16_t types[] = { MX_TYPE_MX, MX_TYPE_AAAA, MX_TYPE_MX, MX_TYPE_A };
	for (size_t k = 0; k < n && k < 4; k++) {
		size_t i = perm[k] % 4;
		struct mx_lookup l = lk(A4(10, 0, 0, 1), names[i], types[i], MX_O_SERVFAIL, 1);
		mx_model_observe_lookup(m, &l);
	}
	for (size_t k = 0; k < 4; k++) {
		size_t i = (perm[0] + k) % 4;
		if (i != 2)
			continue;
		struct mx_lookup l = lk(A4(10, 0, 0, 1), names[i], types[i], MX_O_TIMEOUT, 1);
		mx_model_observe_lookup(m, &l); /* c.example MX fails twice */
	}
}

static void deterministic_order(void **state)
{
	(void)state;
	const unsigned p1[] = { 1, 2, 3, 4, 5, 6 }, p2[] = { 6, 5, 4, 3, 2, 1 },
		       p3[] = { 4, 1, 6, 3, 5, 2 };
	const unsigned *ps[] = { p1, p2, p3 };
	struct mx_snapshot s[3];
	for (int k = 0; k < 3; k++) {
		struct mx_model *m = mk(0, 0, 0, 0, 0);
		build_order(m, ps[k], 6);
		assert_int_equal(mx_model_snapshot(m, &s[k]), 0);
		mx_model_free(m);
	}
	/* resolvers: 3 (5 q), then 1, 2, 5 (3 q, by address), then 4, 6 */
	const uint8_t want[] = { 3, 1, 2, 5, 4, 6 };
	assert_int_equal(s[0].n_resolvers, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(s[0].resolvers[i].addr.a[3], want[i]);
		assert_int_equal(s[0].senders[i].addr.a[3], want[i]);
	}
	assert_int_equal(s[0].n_failing, 4);
	char buf[MX_DNAME_STRLEN];
	assert_string_equal(mx_dname_format(&s[0].failing[0].qname, buf, sizeof buf), "c.example.");
	assert_int_equal(s[0].failing[0].failed, 2);
	/* "a.example" < "b.example" by wire bytes; A (1) before AAAA (28) */
	assert_string_equal(mx_dname_format(&s[0].failing[1].qname, buf, sizeof buf), "a.example.");
	assert_int_equal(s[0].failing[1].qtype, MX_TYPE_A);
	assert_int_equal(s[0].failing[2].qtype, MX_TYPE_AAAA);
	assert_string_equal(mx_dname_format(&s[0].failing[3].qname, buf, sizeof buf), "b.example.");
	for (int k = 1; k < 3; k++) {
		assert_int_equal(s[k].n_resolvers, s[0].n_resolvers);
		for (size_t i = 0; i < s[0].n_resolvers; i++) {
			assert_true(mx_addr_eq(&s[k].resolvers[i].addr, &s[0].resolvers[i].addr));
			assert_int_equal(s[k].resolvers[i].queries, s[0].resolvers[i].queries);
		}
		assert_int_equal(s[k].n_failing, s[0].n_failing);
		for (size_t i = 0; i < s[0].n_failing; i++) {
			assert_true(mx_dname_eq(&s[k].failing[i].qname, &s[0].failing[i].qname));
			assert_int_equal(s[k].failing[i].qtype, s[0].failing[i].qtype);
			assert_int_equal(s[k].failing[i].failed, s[0].failing[i].failed);
		}
	}
	for (int k = 0; k < 3; k++)
		mx_snapshot_fini(&s[k]);
}

/* ---- senders and failing names ---------------------------------------- */

/* NXDOMAIN is the normal "no policy" answer for TLSA, the TXT of
 * _mta-sts.<domain> and of _smtp._tls.<domain>: no failing-name row; the
 * same names failing otherwise, or other TXT names, get one. */
static void policy_names_not_failing(void **state)
{
	(void)state;
	struct mx_model_opts o;
	mx_model_opts_default(&o);
	struct mx_model *m = mx_model_new(&o);
	assert_non_null(m);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1);
	struct mx_lookup l;
	l = lk(c, "_mta-sts.example.test", MX_TYPE_TXT, MX_O_NXDOMAIN, 1);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "_smtp._tls.example.test", MX_TYPE_TXT, MX_O_NXDOMAIN, 3);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "_25._tcp.mx.example.test", MX_TYPE_TLSA, MX_O_NXDOMAIN, 5);
	mx_model_observe_lookup(m, &l);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_failing, 0);
	mx_snapshot_fini(&s);
	l = lk(c, "_mta-sts.example.test", MX_TYPE_TXT, MX_O_SERVFAIL, 7); /* a failure */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "_mta-sts.example.test", MX_TYPE_A, MX_O_NXDOMAIN, 9);   /* not the policy TXT */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "_mta-sts2.example.test", MX_TYPE_TXT, MX_O_NXDOMAIN, 11);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "_smtp.example.test", MX_TYPE_TXT, MX_O_NXDOMAIN, 13);
	mx_model_observe_lookup(m, &l);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_failing, 4);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void senders_and_failing_names(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 0, 2);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1), c2 = A4(10, 0, 0, 2);
	struct mx_lookup l;

	l = lk(c, "nx.example", MX_TYPE_MX, MX_O_NXDOMAIN, 7);
	mx_model_observe_lookup(m, &l);
	l = lk(c2, "nx.example", MX_TYPE_MX, MX_O_NXDOMAIN, 0);
	l.n_tries = 1;
	l.tries[0].q_frame = 30;
	l.tries[0].r_frame = 31;
	mx_model_observe_lookup(m, &l);
	l = lk(c, "nx.example", MX_TYPE_MX, MX_O_ANSWER, 40); /* counts on the known row */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "ok.example", MX_TYPE_A, MX_O_ANSWER, 41);  /* no row for successes */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "sf.example", MX_TYPE_AAAA, MX_O_SERVFAIL, 42);
	mx_model_observe_lookup(m, &l);
	l = lk(c, "to.example", MX_TYPE_AAAA, MX_O_TIMEOUT, 0); /* no frame at all */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "iter.example", MX_TYPE_A, MX_O_SERVFAIL, 50);
	l.rd = false; /* iterative: ignored */
	mx_model_observe_lookup(m, &l);
	l = lk(c, "cut.example", MX_TYPE_A, MX_O_TIMEOUT, 0);
	l.pending_at_end = true; /* capture ended: a lookup, but not failed, no row */
	mx_model_observe_lookup(m, &l);
	l = lk(c2, "sf.example", MX_TYPE_AAAA, MX_O_TIMEOUT, 0);
	l.pending_at_end = true; /* on a known row: counted, not failed */
	mx_model_observe_lookup(m, &l);

	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_senders, 2);
	const struct mx_sender_row *x = &s.senders[0];
	/* no queries observed: tie on 0 queries, c (10.0.0.1) first */
	assert_true(mx_addr_eq(&x->addr, &c));
	assert_int_equal(x->lookups, 6);
	assert_int_equal(x->failed, 2); /* SERVFAIL, TIMEOUT; NXDOMAIN is not Fail */
	assert_int_equal(x->mx_lookups, 2);
	assert_int_equal(x->a_lookups, 2);
	assert_int_equal(x->aaaa_lookups, 2);
	assert_int_equal(x->other_lookups, 0);
	assert_int_equal(x->outcomes[MX_O_NXDOMAIN], 1);
	assert_int_equal(x->outcomes[MX_O_ANSWER], 2);
	assert_int_equal(x->first_us, 5000000);
	assert_int_equal(x->last_us, 5100000);
	/* top_failing = 2 of 3 rows */
	assert_int_equal(s.n_failing, 2);
	const struct mx_name_row *n = &s.failing[0];
	char buf[MX_DNAME_STRLEN];
	assert_string_equal(mx_dname_format(&n->qname, buf, sizeof buf), "nx.example.");
	assert_int_equal(n->qtype, MX_TYPE_MX);
	assert_int_equal(n->lookups, 3);
	assert_int_equal(n->failed, 2);
	assert_int_equal(n->clients, 2);
	assert_int_equal(n->outcomes[MX_O_NXDOMAIN], 2);
	assert_int_equal(n->outcomes[MX_O_ANSWER], 1);
	assert_int_equal(n->last_outcome, MX_O_ANSWER);
	assert_int_equal(n->last_frame, 40);
	/* sf. < to. by bytes, both failed once */
	assert_string_equal(mx_dname_format(&s.failing[1].qname, buf, sizeof buf), "sf.example.");
	assert_int_equal(s.failing[1].lookups, 2);
	assert_int_equal(s.failing[1].failed, 1);
	assert_int_equal(s.failing[1].clients, 2);
	mx_snapshot_fini(&s);

	/* all rows with top_failing = 0; the frame falls back to the last try */
	struct mx_model_opts o;
	mx_model_opts_default(&o);
	assert_int_equal(o.top_failing, 20);
	o.top_failing = 0;
	struct mx_model *m2 = mx_model_new(&o);
	assert_non_null(m2);
	l = lk(c2, "nx.example", MX_TYPE_MX, MX_O_NXDOMAIN, 0);
	l.n_tries = 2;
	l.tries[0].q_frame = 30;
	l.tries[1].q_frame = 33;
	mx_model_observe_lookup(m2, &l);
	assert_int_equal(mx_model_snapshot(m2, &s), 0);
	assert_int_equal(s.n_failing, 1);
	assert_int_equal(s.failing[0].last_frame, 33);
	mx_snapshot_fini(&s);
	mx_model_free(m2);
	mx_model_free(m);
}

static void distinct_cap(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 0, 0);
	struct mx_snapshot s;
	struct mx_addr r = A4(10, 0, 0, 53);
	for (unsigned i = 0; i < MX_MODEL_DISTINCT_CAP; i++)
		query(m, A4(10, 1, 0, (uint8_t)i), r, true, MX_TYPE_A, 1000);
	query(m, A4(10, 1, 0, 0), r, true, MX_TYPE_A, 1000); /* repeat */
	/* one sender asking 3 resolvers */
	for (uint8_t i = 0; i < 3; i++)
		query(m, A4(10, 2, 0, 1), A4(10, 0, 0, (uint8_t)(60 + i)), true, MX_TYPE_A, 1000);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_true(mx_addr_eq(&s.resolvers[0].addr, &r));
	assert_int_equal(s.resolvers[0].clients, MX_MODEL_DISTINCT_CAP);
	for (size_t i = 0; i < s.n_senders; i++)
		if (s.senders[i].addr.a[1] == 2)
			assert_int_equal(s.senders[i].resolvers, 3);
	mx_snapshot_fini(&s);
	query(m, A4(10, 1, 1, 0), r, true, MX_TYPE_A, 1000); /* 65th */
	query(m, A4(10, 1, 1, 1), r, true, MX_TYPE_A, 1000);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.resolvers[0].clients, MX_MODEL_DISTINCT_CAP + 1);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void recent_ring(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 4, 0);
	struct mx_snapshot s;
	struct mx_addr c = A4(10, 0, 0, 1), r = A4(10, 0, 0, 53);
	for (unsigned i = 1; i <= 6; i++) {
		struct mx_txn t = txn(c, r, MX_TXN_ANSWERED, MX_O_ANSWER, 0, 100 * i);
		t.r_frame = 10 + i;
		mx_model_observe_txn(m, &t);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_recent, 4);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(s.recent[i].frame, 13 + i); /* oldest first, newest last */
		assert_int_equal(s.recent[i].latency_us, 100 * (3 + i));
	}
	mx_snapshot_fini(&s);
	mx_model_free(m);

	/* recent = 0: no ring */
	m = mk(0, 0, 0, 0, 0);
	struct mx_txn t = txn(c, r, MX_TXN_TIMEOUT, MX_O_TIMEOUT, 0, 0);
	mx_model_observe_txn(m, &t);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_recent, 0);
	assert_null(s.recent);
	/* nothing packed, the server row still counted */
	assert_int_equal(s.n_resolvers, 1);
	assert_int_equal(s.resolvers[0].transactions, 1);
	assert_int_equal(s.resolvers[0].timeouts, 1);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void snapshot_lifecycle(void **state)
{
	(void)state;
	struct mx_snapshot s;
	struct mx_model *m = mx_model_new(NULL); /* defaults */
	assert_non_null(m);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_resolvers + s.n_authoritatives + s.n_senders + s.n_failing, 0);
	assert_null(s.resolvers);
	assert_int_equal(s.first_us, 0);
	assert_string_equal(s.source, "");
	mx_snapshot_fini(&s);
	mx_snapshot_fini(&s); /* idempotent */
	mx_snapshot_fini(NULL);

	query(m, A4(1, 2, 3, 4), A4(5, 6, 7, 8), true, MX_TYPE_MX, 1);
	struct mx_snapshot a, b;
	assert_int_equal(mx_model_snapshot(m, &a), 0);
	assert_int_equal(mx_model_snapshot(m, &b), 0);
	assert_ptr_not_equal(a.resolvers, b.resolvers); /* independent copies */
	a.resolvers[0].queries = 99;
	assert_int_equal(b.resolvers[0].queries, 1);
	mx_snapshot_fini(&a);
	assert_null(a.resolvers);
	assert_int_equal(a.n_resolvers, 0);
	mx_snapshot_fini(&b);
	mx_model_free(m);
	mx_model_free(NULL);
}

/* ---- chains, domains, fingerprint, findings --------------------------- */

static struct mx_chain chn(struct mx_addr sender, const char *domain, enum mx_chain_verdict v,
			   uint64_t seq, uint64_t start)
{
	struct mx_chain c;
	memset(&c, 0, sizeof c);
	c.seq = seq;
	c.sender = sender;
	c.domain = N(domain);
	c.attempt = 1;
	c.start_us = start;
	c.end_us = start + 1000000;
	c.verdict = v;
	c.why = v == MX_CHAIN_RESOLVED ? "an exchange has an address" : "something failed";
	c.mx.asked = true;
	c.mx.ede = 0xffff;
	return c;
}

/* one exchange: which families were asked, when, and how AAAA ended */
static void host(struct mx_chain *c, bool a, uint64_t a_us, bool aaaa, uint64_t aaaa_us,
		 enum mx_outcome aaaa_outcome)
{
	struct mx_chain_host *h = &c->hosts[c->n_hosts++];
	memset(h, 0, sizeof(*h));
	h->name = N("mx1.example.test");
	h->pref = 10;
	h->a.asked = a;
	h->a.first_us = a_us;
	h->a.first_end_us = a_us + 20000; /* answered in 20 ms */
	h->a.outcome = MX_O_ANSWER;
	h->aaaa.asked = aaaa;
	h->aaaa.first_us = aaaa_us;
	h->aaaa.first_end_us = aaaa_us + 20000;
	h->aaaa.outcome = aaaa_outcome;
	if (a && aaaa)
		h->first_family = aaaa_us < a_us ? 6 : 4;
	else
		h->first_family = aaaa ? 6 : (a ? 4 : 0);
	c->hosts_total = c->n_hosts;
}

static struct mx_model *mk_chains(size_t ring, size_t domains)
{
	struct mx_model_opts o;
	mx_model_opts_default(&o);
	o.recent_chains = ring;
	if (domains)
		o.max_domains = domains;
	struct mx_model *m = mx_model_new(&o);
	assert_non_null(m);
	return m;
}

static const struct mx_sender_row *sender_of(const struct mx_snapshot *s, struct mx_addr a)
{
	for (size_t i = 0; i < s->n_senders; i++)
		if (mx_addr_eq(&s->senders[i].addr, &a))
			return &s->senders[i];
	fail_msg("sender not in the snapshot");
	return NULL;
}

static void chains_ring(void **state)
{
	(void)state;
	struct mx_model *m = mk_chains(3, 0);
	struct mx_snapshot s;
	struct mx_addr snd = A4(192, 0, 2, 10);
	for (unsigned i = 1; i <= 5; i++) {
		struct mx_chain c = chn(snd, "example.test", MX_CHAIN_RESOLVED, i, 1000000ULL * i);
		mx_model_observe_chain(m, &c);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_chains, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(s.chains[i].seq, 3 + i); /* most recent, oldest first */
	assert_string_equal(s.chains[2].why, "an exchange has an address");
	mx_snapshot_fini(&s);
	assert_null(s.chains);
	mx_model_free(m);

	/* ring of 0: no chains kept, rows still counted */
	m = mk_chains(0, 0);
	struct mx_chain c = chn(snd, "example.test", MX_CHAIN_DEFERRED, 1, 1000000);
	mx_model_observe_chain(m, &c);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_chains, 0);
	assert_int_equal(s.n_domains, 1);
	assert_int_equal(s.domains[0].deferred, 1);
	assert_int_equal(sender_of(&s, snd)->chains_deferred, 1);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* With more chains than the ring holds, the deferred and failed chains that
 * closed before the last `ring` ones stay in the snapshot (an incident's
 * early attempts must not be pushed out by healthy deliveries), merged in
 * close order (not seq order: seq counts chain starts) and only once when a
 * failed chain is also among the last ones. */
static void chains_ring_keeps_earlier_failures(void **state)
{
	(void)state;
	struct mx_model *m = mk_chains(3, 0);
	struct mx_snapshot s;
	struct mx_addr snd = A4(192, 0, 2, 10);
	enum mx_chain_verdict v[] = { MX_CHAIN_FAILED, MX_CHAIN_DEFERRED, MX_CHAIN_INCOMPLETE, MX_CHAIN_RESOLVED,
				      MX_CHAIN_RESOLVED, MX_CHAIN_RESOLVED, MX_CHAIN_RESOLVED, MX_CHAIN_RESOLVED,
				      MX_CHAIN_FAILED };
	for (unsigned i = 1; i <= 9; i++) {
		struct mx_chain c = chn(snd, "example.test", v[i - 1], 100 - i, 1000000ULL * i);
		mx_model_observe_chain(m, &c);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_chains, 5);
	assert_int_equal(s.n_chains_earlier_bad, 2);
	const uint64_t want[] = { 99, 98, 93, 92, 91 };
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(s.chains[i].seq, want[i]);
	assert_int_equal(s.chains[0].verdict, MX_CHAIN_FAILED);
	assert_int_equal(s.chains[1].verdict, MX_CHAIN_DEFERRED);
	mx_snapshot_fini(&s);
	mx_model_free(m);

	/* fewer chains than the ring: every chain once, none counted apart */
	m = mk_chains(8, 0);
	for (unsigned i = 1; i <= 4; i++) {
		struct mx_chain c = chn(snd, "example.test", v[i - 1], i, 1000000ULL * i);
		mx_model_observe_chain(m, &c);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_chains, 4);
	assert_int_equal(s.n_chains_earlier_bad, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(s.chains[i].seq, i + 1);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void domain_rows(void **state)
{
	(void)state;
	struct mx_model *m = mk_chains(16, 0);
	struct mx_snapshot s;
	struct mx_addr s1 = A4(192, 0, 2, 10), s2 = A4(192, 0, 2, 11);
	struct {
		const char *d;
		enum mx_chain_verdict v;
		struct mx_addr who;
		uint32_t attempt;
	} in[] = {
		{ "e.test", MX_CHAIN_RESOLVED, s1, 1 },   /* 0 bad, 1 chain */
		{ "b.test", MX_CHAIN_DEFERRED, s1, 1 },   /* 2 bad, 2 chains */
		{ "c.test", MX_CHAIN_FAILED, s1, 1 },     /* 1 bad, 2 chains */
		{ "a.test", MX_CHAIN_RESOLVED, s2, 1 },   /* 0 bad, 1 chain */
		{ "d.test", MX_CHAIN_DEFERRED, s2, 1 },   /* 1 bad, 1 chain */
		{ "b.test", MX_CHAIN_DEFERRED, s2, 3 },
		{ "c.test", MX_CHAIN_INCOMPLETE, s1, 2 },
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		struct mx_chain c = chn(in[i].who, in[i].d, in[i].v, i + 1, 1000000ULL * (i + 1));
		c.attempt = in[i].attempt;
		mx_model_observe_chain(m, &c);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_domains, 5);
	const char *order[] = { "b.test", "c.test", "d.test", "a.test", "e.test" };
	for (size_t i = 0; i < 5; i++) {
		struct mx_dname d = N(order[i]);
		assert_true(mx_dname_eq(&s.domains[i].domain, &d));
	}
	const struct mx_domain_row *b = &s.domains[0], *c = &s.domains[1];
	assert_int_equal(b->chains, 2);
	assert_int_equal(b->deferred, 2);
	assert_int_equal(b->senders, 2);
	assert_int_equal(b->max_attempt, 3);
	assert_int_equal(b->first_us, 2000000);
	assert_int_equal(b->last_us, 7000000);
	assert_int_equal(b->last_verdict, MX_CHAIN_DEFERRED);
	assert_int_equal(c->failed, 1);
	assert_int_equal(c->incomplete, 1);
	assert_int_equal(c->senders, 1);
	assert_int_equal(c->last_verdict, MX_CHAIN_INCOMPLETE);
	assert_string_equal(c->last_why, "something failed");
	assert_int_equal(s.domains[3].resolved, 1);
	assert_int_equal(s.evicted_domains, 0);
	mx_snapshot_fini(&s);
	mx_model_free(m);

	/* the domain table is bounded: the least recently seen goes, counted */
	m = mk_chains(4, 2);
	for (unsigned i = 0; i < 3; i++) {
		char d[32];
		snprintf(d, sizeof d, "d%u.test", i);
		struct mx_chain ch = chn(s1, d, MX_CHAIN_RESOLVED, i + 1, 1000000ULL * (i + 1));
		mx_model_observe_chain(m, &ch);
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_domains, 2);
	assert_int_equal(s.evicted_domains, 1);
	assert_true(s.evicted_total >= 1);
	struct mx_dname gone = N("d0.test");
	for (size_t i = 0; i < s.n_domains; i++)
		assert_false(mx_dname_eq(&s.domains[i].domain, &gone));
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void sender_fingerprint(void **state)
{
	(void)state;
	struct mx_model *m = mk_chains(8, 0);
	struct mx_snapshot s;
	struct mx_addr aaaa_first = A4(10, 0, 0, 1), parallel = A4(10, 0, 0, 2),
		       a_first = A4(10, 0, 0, 3), mixed = A4(10, 0, 0, 4), fallback = A4(10, 0, 0, 5),
		       some = A4(10, 0, 0, 6), none = A4(10, 0, 0, 7), one_socket = A4(10, 0, 0, 8),
		       new_sockets = A4(10, 0, 0, 9);
	const uint64_t T = 100000000;

	/* AAAA-first: 9 exchanges AAAA 20 ms before A (or AAAA only), 1 A-first:
	 * 90 % is the threshold. AAAA fails on 2 and A is never asked. */
	struct mx_chain c = chn(aaaa_first, "x.test", MX_CHAIN_DEFERRED, 1, T);
	for (unsigned i = 0; i < 6; i++)
		host(&c, true, T + 20000, true, T, MX_O_ANSWER);
	host(&c, false, 0, true, T, MX_O_SERVFAIL);
	host(&c, false, 0, true, T, MX_O_TIMEOUT);
	mx_model_observe_chain(m, &c);
	c = chn(aaaa_first, "x.test", MX_CHAIN_DEFERRED, 2, T + 300000000);
	c.attempt = 2;
	c.prev_start_us = T;
	host(&c, true, T + 300020000, true, T + 300000000, MX_O_ANSWER);
	host(&c, true, T + 300000000, true, T + 300050000, MX_O_ANSWER); /* A first */
	mx_model_observe_chain(m, &c);
	c = chn(aaaa_first, "x.test", MX_CHAIN_FAILED, 3, T + 400000000);
	c.attempt = 3;
	c.prev_start_us = T + 300000000;
	mx_model_observe_chain(m, &c);

	/* parallel: A and AAAA within 1 ms, whichever first */
	c = chn(parallel, "x.test", MX_CHAIN_RESOLVED, 4, T);
	host(&c, true, T + 500, true, T, MX_O_ANSWER);
	host(&c, true, T, true, T + 900, MX_O_NODATA);
	host(&c, true, T + 30000, true, T, MX_O_ANSWER); /* one sequential of three */
	mx_model_observe_chain(m, &c);

	/* A-first: A 30 ms before AAAA, or only A, or AAAA 0.4 ms after A but
	 * only once A was answered (0.3 ms): sequential on a fast resolver */
	c = chn(a_first, "x.test", MX_CHAIN_RESOLVED, 5, T);
	host(&c, true, T, true, T + 30000, MX_O_NODATA);
	host(&c, true, T, false, 0, MX_O_ANSWER);
	host(&c, true, T, true, T + 400, MX_O_NODATA);
	c.hosts[2].a.first_end_us = T + 300;
	mx_model_observe_chain(m, &c);

	/* mixed: half and half */
	c = chn(mixed, "x.test", MX_CHAIN_RESOLVED, 6, T);
	host(&c, true, T, true, T + 30000, MX_O_NODATA);
	host(&c, true, T + 30000, true, T, MX_O_NODATA);
	mx_model_observe_chain(m, &c);

	/* falls back: AAAA-first, AAAA fails, A asked after */
	c = chn(fallback, "x.test", MX_CHAIN_RESOLVED, 7, T);
	host(&c, true, T + 2000000, true, T, MX_O_SERVFAIL);
	mx_model_observe_chain(m, &c);

	/* sometimes: one AAAA failure followed by A, one not */
	c = chn(some, "x.test", MX_CHAIN_DEFERRED, 8, T);
	host(&c, true, T + 2000000, true, T, MX_O_SERVFAIL);
	host(&c, false, 0, true, T, MX_O_SERVFAIL);
	mx_model_observe_chain(m, &c);

	/* no exchanges at all */
	c = chn(none, "x.test", MX_CHAIN_FAILED, 9, T);
	mx_model_observe_chain(m, &c);

	/* c-ares (Haraka): AAAA and A on one socket, the SERVFAIL captured
	 * 26 us after the AAAA and before the A left (45 us): parallel, no
	 * fallback claim. The same times from two sockets (glibc res_query,
	 * asr on a fast resolver) are AAAA-first with a fallback; the same
	 * socket 6 ms later is not parallel either. */
	c = chn(one_socket, "x.test", MX_CHAIN_RESOLVED, 10, T);
	host(&c, true, T + 45, true, T, MX_O_SERVFAIL);
	c.hosts[0].aaaa.first_end_us = T + 26;
	c.hosts[0].a.sport = c.hosts[0].aaaa.sport = 34518;
	mx_model_observe_chain(m, &c);
	c = chn(new_sockets, "x.test", MX_CHAIN_RESOLVED, 11, T);
	host(&c, true, T + 45, true, T, MX_O_SERVFAIL);
	c.hosts[0].aaaa.first_end_us = T + 26;
	c.hosts[0].aaaa.sport = 51792;
	c.hosts[0].a.sport = 34744;
	host(&c, true, T + 6000, true, T, MX_O_SERVFAIL);
	c.hosts[1].aaaa.first_end_us = T + 26;
	c.hosts[1].a.sport = c.hosts[1].aaaa.sport = 34518;
	mx_model_observe_chain(m, &c);
	assert_true(mx_chain_host_parallel(&(struct mx_chain_host){ .a = { .asked = true, .first_us = T + 45, .sport = 7 },
								    .aaaa = { .asked = true, .first_us = T, .first_end_us = T + 26,
									      .sport = 7 } }));
	assert_false(mx_chain_host_parallel(&(struct mx_chain_host){ .a = { .asked = true, .first_us = T + 45 },
								     .aaaa = { .asked = true, .first_us = T, .first_end_us = T + 26 } }));

	assert_int_equal(mx_model_snapshot(m, &s), 0);
	const struct mx_sender_row *r = sender_of(&s, aaaa_first);
	assert_int_equal(r->chains, 3);
	assert_int_equal(r->chains_deferred, 2);
	assert_int_equal(r->chains_failed, 1);
	assert_int_equal(r->hosts_aaaa_first, 9);
	assert_int_equal(r->hosts_a_first, 1);
	assert_int_equal(r->hosts_parallel, 0);
	assert_int_equal(r->aaaa_fail, 2);
	assert_int_equal(r->aaaa_fail_then_a, 0);
	assert_string_equal(mx_sender_family_order(r), "AAAA-first");
	assert_string_equal(mx_sender_fallback(r), "never asks A");
	assert_int_equal(r->retry_gaps, 2);
	assert_int_equal(r->retry_gap_min_us, 100000000);
	assert_int_equal(r->retry_gap_sum_us, 400000000);

	r = sender_of(&s, parallel);
	assert_int_equal(r->hosts_parallel, 2);
	assert_int_equal(r->hosts_aaaa_first, 1);
	assert_string_equal(mx_sender_family_order(r), "parallel");
	assert_string_equal(mx_sender_fallback(r), "-");
	assert_int_equal(r->retry_gaps, 0);

	r = sender_of(&s, a_first);
	assert_int_equal(r->hosts_a_first, 3);
	assert_int_equal(r->hosts_parallel, 0);
	assert_string_equal(mx_sender_family_order(r), "A-first");

	r = sender_of(&s, mixed);
	assert_string_equal(mx_sender_family_order(r), "mixed");

	r = sender_of(&s, fallback);
	assert_int_equal(r->aaaa_fail, 1);
	assert_int_equal(r->aaaa_fail_then_a, 1);
	assert_string_equal(mx_sender_fallback(r), "falls back to A");
	assert_string_equal(mx_sender_family_order(r), "AAAA-first");

	r = sender_of(&s, some);
	assert_string_equal(mx_sender_fallback(r), "sometimes asks A");

	r = sender_of(&s, one_socket);
	assert_int_equal(r->hosts_parallel, 1);
	assert_int_equal(r->hosts_aaaa_first, 0);
	assert_int_equal(r->aaaa_fail, 0);
	assert_string_equal(mx_sender_family_order(r), "parallel");
	assert_string_equal(mx_sender_fallback(r), "-");

	r = sender_of(&s, new_sockets);
	assert_int_equal(r->hosts_parallel, 0);
	assert_int_equal(r->hosts_aaaa_first, 2);
	assert_int_equal(r->aaaa_fail, 2);
	assert_int_equal(r->aaaa_fail_then_a, 2);
	assert_string_equal(mx_sender_family_order(r), "AAAA-first");
	assert_string_equal(mx_sender_fallback(r), "falls back to A");

	r = sender_of(&s, none);
	assert_int_equal(r->chains, 1);
	assert_string_equal(mx_sender_family_order(r), "unknown");
	assert_string_equal(mx_sender_fallback(r), "-");
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* The packed ring record of a chain carries every byte of the struct but
 * the unused tails (name bytes past len, resolvers, frames and addresses
 * past their counts, hosts past n_hosts): a chain with random bytes
 * everywhere else (padding too) and zero tails comes back from the snapshot
 * byte for byte, whatever the counts (names and arrays are packed in 16-byte
 * chunks: dropping a length's last partial chunk fails here). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_bytes(void *p, size_t n)
{
	unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)rnd();
}

static void rnd_name(struct mx_dname *d, unsigned len)
{
	d->len = (uint8_t)len;
	memset(d->wire + len, 0, sizeof d->wire - len);
}

/* A random bool: any other byte in a bool is undefined behaviour to read
 * (UBSan stops there). */
static bool rnd_bool(void)
{
	return rnd() & 1;
}

static void rnd_step(struct mx_chain_step *st, unsigned nr, unsigned nf)
{
	st->asked = rnd_bool();
	st->timeouts = rnd_bool();
	st->pending = rnd_bool();
	st->outcome = (enum mx_outcome)(rnd() % MX_O__COUNT);
	st->n_resolvers = (uint8_t)nr;
	memset(&st->resolvers[nr], 0, (MX_LOOKUP_MAX_RESOLVERS - nr) * sizeof(st->resolvers[0]));
	st->n_frames = (uint16_t)nf;
	memset(&st->frames[nf], 0, (MX_CHAIN_MAX_FRAMES - nf) * sizeof(st->frames[0]));
}

/* A random chain: counts at their extremes for k 0 and 1, then random;
 * everything past the counts zero, as chain.c leaves it. */
static void rnd_chain(struct mx_chain *c, unsigned k)
{
	rnd_bytes(c, sizeof *c);
	unsigned nh = k < 2 ? k * MX_CHAIN_MAX_HOSTS : (unsigned)(rnd() % (MX_CHAIN_MAX_HOSTS + 1));
	rnd_name(&c->domain, k == 0 ? 0 : (k == 1 ? MX_DNAME_MAX : (unsigned)(rnd() % 64)));
	rnd_name(&c->soa_owner, k == 0 ? 0 : (k == 1 ? MX_DNAME_MAX : (unsigned)(rnd() % 64)));
	rnd_step(&c->mx, k == 0 ? 0 : (k == 1 ? MX_LOOKUP_MAX_RESOLVERS : (unsigned)(rnd() % 5)),
		 k == 0 ? 0 : (k == 1 ? MX_CHAIN_MAX_FRAMES : (unsigned)(rnd() % 17)));
	c->n_hosts = (uint8_t)nh;
	memset(&c->hosts[nh], 0, (MX_CHAIN_MAX_HOSTS - nh) * sizeof(c->hosts[0]));
	for (unsigned i = 0; i < nh; i++) {
		struct mx_chain_host *h = &c->hosts[i];
		bool full = k == 1;
		rnd_name(&h->name, full ? MX_DNAME_MAX : (unsigned)(rnd() % 40));
		rnd_name(&h->cname, full ? MX_DNAME_MAX : (rnd() & 1 ? 0 : (unsigned)(rnd() % 40)));
		struct mx_chain_step *st[3] = { &h->a, &h->aaaa, &h->tlsa };
		for (unsigned j = 0; j < 3; j++)
			rnd_step(st[j], full ? MX_LOOKUP_MAX_RESOLVERS : (unsigned)(rnd() % 5),
				 full ? MX_CHAIN_MAX_FRAMES : (unsigned)(rnd() % 17));
		h->implicit = rnd_bool();
		h->ip_literal = rnd_bool();
		h->cname_loop = rnd_bool();
		h->connected = rnd_bool();
		h->gai_failed = rnd_bool();
		h->n_addrs = (uint8_t)(full ? MX_CHAIN_MAX_ADDRS : rnd() % (MX_CHAIN_MAX_ADDRS + 1));
		memset(&h->addrs[h->n_addrs], 0, (MX_CHAIN_MAX_ADDRS - h->n_addrs) * sizeof(h->addrs[0]));
	}
	c->null_mx = rnd_bool();
	c->null_mx_mixed = rnd_bool();
	c->cut_short = rnd_bool();
	c->evicted = rnd_bool();
	c->connected = rnd_bool();
	c->relay = rnd_bool();
	c->new_delivery = rnd_bool();
	c->open = false; /* the model is given closed chains */
	c->verdict = (enum mx_chain_verdict)(rnd() % 4);
	c->why = "packed";
}

static void chains_packed_exact(void **state)
{
	(void)state;
	static struct mx_chain in[40];
	struct mx_model *m = mk_chains(40, 0);
	for (unsigned k = 0; k < 40; k++) {
		rnd_chain(&in[k], k);
		mx_model_observe_chain(m, &in[k]);
	}
	struct mx_snapshot s;
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_chains, 40);
	for (unsigned k = 0; k < 40; k++)
		assert_memory_equal(&s.chains[k], &in[k], sizeof in[k]);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

/* A chain is packed into a reservation of its unpacked size (plus the
 * slack of the last 16-byte chunk a name or array is copied in) and the
 * record trimmed to its packed size: through rings of 1, 3 and 7 records, 300
 * chains of widely varying sizes (empty, full, random; the ring wraps,
 * drops and grows), the snapshot after every few holds exactly the last k,
 * oldest first. Run twice: every chain resolved (the recent ring alone),
 * then every chain failed (both rings hold the same chains, each once in
 * the snapshot). */
static void chains_ring_trimmed(void **state)
{
	(void)state;
	static const size_t ks[] = {1, 3, 7};
	static struct mx_chain in[8];
	for (unsigned r = 0; r < 6; r++) {
		size_t k = ks[r % 3];
		struct mx_model *m = mk_chains(k, 0);
		for (unsigned q = 0; q < 300; q++) {
			struct mx_chain *c = &in[q % 8];
			rnd_chain(c, q % 11 == 0 ? (q / 11) % 2 : 2 + q);
			c->verdict = r < 3 ? MX_CHAIN_RESOLVED : MX_CHAIN_FAILED;
			mx_model_observe_chain(m, c);
			if (q % 5 != 4 && q != 299)
				continue;
			struct mx_snapshot s;
			assert_int_equal(mx_model_snapshot(m, &s), 0);
			size_t held = q + 1 < k ? q + 1 : k;
			assert_int_equal(s.n_chains, held);
			assert_int_equal(s.n_chains_earlier_bad, 0);
			for (size_t i = 0; i < held; i++)
				assert_memory_equal(&s.chains[i], &in[(q + 1 - held + i) % 8], sizeof in[0]);
			mx_snapshot_fini(&s);
		}
		mx_model_free(m);
	}
}

/* A table keeps use stamps until it is first full and builds its LRU list
 * from them then: the rows it keeps and evicts are those of a plain LRU
 * list kept use by use. A reference LRU (an array, most recent last) runs
 * beside random queries from 24 senders into a table of 8, also with
 * tables that fill only late (up to the first 516 queries from 8 senders:
 * the list is then built from stamps past one byte). */
static void lru_from_stamps(void **state)
{
	(void)state;
	for (unsigned run = 0; run < 6; run++) {
		struct mx_model_opts o;
		mx_model_opts_default(&o);
		o.max_senders = 8;
		struct mx_model *m = mx_model_new(&o);
		assert_non_null(m);
		uint8_t ref[8];       /* sender numbers, least recent first */
		uint64_t refq[8];     /* queries since the row was created */
		unsigned nref = 0;
		uint64_t evicted = 0;
		for (unsigned q = 0; q < 600; q++) {
			static const unsigned fill[6] = { 0, 40, 130, 260, 300, 516 };
			/* before fill[run]: 8 senders, random then in turn (the last
			 * 8 stamps before the list is built straddle 256, 512) */
			unsigned who = q < fill[run] ? (run & 1 ? (unsigned)(rnd() % 8) : q % 8) : (unsigned)(rnd() % 24);
			query(m, A4(10, 1, 0, (uint8_t)who), A4(192, 0, 2, 53), true, MX_TYPE_A, 1000 + q);
			unsigned k = 0;
			while (k < nref && ref[k] != who)
				k++;
			uint64_t cnt = 1;
			if (k < nref) {
				cnt = refq[k] + 1;
			} else if (nref == 8) {
				k = 0; /* evict the least recent */
				evicted++;
			} else {
				k = nref++;
				ref[k] = (uint8_t)who;
				refq[k] = 1;
				goto placed;
			}
			/* move entry k to the most recent end */
			memmove(&ref[k], &ref[k + 1], (nref - 1 - k) * sizeof ref[0]);
			memmove(&refq[k], &refq[k + 1], (nref - 1 - k) * sizeof refq[0]);
			ref[nref - 1] = (uint8_t)who;
			refq[nref - 1] = cnt;
placed:;
		}
		struct mx_snapshot s;
		assert_int_equal(mx_model_snapshot(m, &s), 0);
		assert_int_equal(s.n_senders, nref);
		assert_int_equal(s.evicted_senders, evicted);
		for (unsigned k = 0; k < nref; k++) {
			const struct mx_sender_row *r = sender_of(&s, A4(10, 1, 0, ref[k]));
			assert_int_equal(r->queries, refq[k]);
		}
		mx_snapshot_fini(&s);
		mx_model_free(m);
	}
}

/* ---- address memo ------------------------------------------------------ */

/* A reference LRU table: rows by pool number, least recent first, with two
 * counters and the distinct partners seen since the row was created. */
#define MEMO_POOL 96
struct ref_lru {
	unsigned cap, n;
	unsigned id[8];
	uint64_t q[8], x[8];
	bool partner[8][MEMO_POOL];
	uint64_t evicted;
};

/* Row of `id`, made the most recent (created, evicting the least recent
 * when full): its position. */
static unsigned ref_use(struct ref_lru *r, unsigned id)
{
	unsigned k = 0;
	while (k < r->n && r->id[k] != id)
		k++;
	uint64_t q = 0, x = 0;
	bool p[MEMO_POOL] = { false };
	if (k < r->n) {
		q = r->q[k];
		x = r->x[k];
		memcpy(p, r->partner[k], sizeof p);
	} else if (r->n == r->cap) {
		k = 0;
		r->evicted++;
	} else {
		k = r->n++;
		r->id[k] = id;
		r->q[k] = r->x[k] = 0;
		memset(r->partner[k], 0, sizeof r->partner[k]);
		return k;
	}
	unsigned last = r->n - 1;
	memmove(&r->id[k], &r->id[k + 1], (last - k) * sizeof r->id[0]);
	memmove(&r->q[k], &r->q[k + 1], (last - k) * sizeof r->q[0]);
	memmove(&r->x[k], &r->x[k + 1], (last - k) * sizeof r->x[0]);
	memmove(&r->partner[k], &r->partner[k + 1], (last - k) * sizeof r->partner[0]);
	r->id[last] = id;
	r->q[last] = q;
	r->x[last] = x;
	memcpy(r->partner[last], p, sizeof p);
	return last;
}

static uint64_t ref_distinct(const bool *p)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < MEMO_POOL; i++)
		n += p[i];
	return n;
}

/* Pool address i: IPv4 for even i, IPv6 for odd (so both families share
 * the memo), distinct per pool (`tag`). */
static struct mx_addr memo_addr(unsigned tag, unsigned i)
{
	if (i % 2 == 0)
		return A4(10, (uint8_t)tag, (uint8_t)(i >> 8), (uint8_t)i);
	struct mx_addr a;
	uint8_t v[16] = { 0x20, 0x01, 0x0d, 0xb8, (uint8_t)tag };
	v[15] = (uint8_t)i;
	v[9] = (uint8_t)(i * 7);
	mx_addr_set6(&a, v);
	return a;
}

/* The memo in front of the server and sender tables is invisible: queries,
 * transactions, lookups and chains over pools of addresses larger than the
 * memo (so slots are shared, and hold rows evicted and reused since) give
 * the rows, counts, evictions and distinct counts of a plain LRU table. */
static void memo_matches_lru(void **state)
{
	(void)state;
	static const char *const doms[4] = { "a.test", "b.test", "c.test", "d.test" };
	for (unsigned run = 0; run < 3; run++) {
		struct mx_model_opts o;
		mx_model_opts_default(&o);
		o.max_servers = run == 2 ? 8 : 5;
		o.max_senders = run == 2 ? 8 : 7;
		o.recent = 0;
		o.recent_chains = 0;
		struct mx_model *m = mx_model_new(&o);
		assert_non_null(m);
		struct ref_lru srv = { .cap = (unsigned)o.max_servers }, snd = { .cap = (unsigned)o.max_senders };
		bool dom_snd[4][MEMO_POOL];
		memset(dom_snd, 0, sizeof dom_snd);
		/* run 2: few addresses (the memo mostly hits); else many */
		unsigned pool = run == 2 ? 10 : MEMO_POOL;
		for (unsigned ev = 0; ev < 4000; ev++) {
			unsigned c = (unsigned)(rnd() % pool), v = (unsigned)(rnd() % pool);
			/* runs of one pair, as one exchange's events come */
			if (ev % 3)
				c = v = (unsigned)(ev / 3 % pool);
			struct mx_addr ca = memo_addr(1, c), va = memo_addr(2, v);
			unsigned k;
			switch (rnd() % 5) {
			case 0: /* RD=1 query: server and sender rows */
			case 1:
				query(m, ca, va, true, MX_TYPE_A, 1000 + ev);
				k = ref_use(&srv, v);
				srv.q[k]++;
				srv.partner[k][c] = true;
				k = ref_use(&snd, c);
				snd.q[k]++;
				snd.partner[k][v] = true;
				break;
			case 2: { /* transaction: the server row */
				struct mx_txn t = txn(ca, va, MX_TXN_ANSWERED, MX_O_ANSWER, 0, 100 + ev);
				mx_model_observe_txn(m, &t);
				k = ref_use(&srv, v);
				srv.x[k]++;
				break;
			}
			case 3: { /* lookup: the sender row (its hash given or not) */
				struct mx_lookup l = lk(ca, "ok.test", MX_TYPE_A, MX_O_ANSWER, 1);
				if (ev & 1)
					l.client_hash = mx_txn_client_hash(&ca);
				mx_model_observe_lookup(m, &l);
				k = ref_use(&snd, c);
				snd.x[k]++;
				break;
			}
			default: { /* chain: the sender row, the domain's senders */
				/* at most 24 senders per domain: below the distinct cap */
				unsigned d = c % 4;
				struct mx_chain ch = chn(ca, doms[d], MX_CHAIN_RESOLVED, 1, 1000000 + ev);
				mx_model_observe_chain(m, &ch);
				k = ref_use(&snd, c);
				snd.x[k]++;
				dom_snd[d][c] = true;
				break;
			}
			}
		}
		struct mx_snapshot s;
		assert_int_equal(mx_model_snapshot(m, &s), 0);
		assert_int_equal(s.n_resolvers + s.n_authoritatives, srv.n);
		assert_int_equal(s.evicted_servers, srv.evicted);
		for (unsigned k = 0; k < srv.n; k++) {
			struct mx_addr a = memo_addr(2, srv.id[k]);
			const struct mx_server_row *r = NULL;
			for (size_t i = 0; i < s.n_resolvers; i++)
				if (mx_addr_eq(&s.resolvers[i].addr, &a))
					r = &s.resolvers[i];
			assert_non_null(r);
			assert_int_equal(r->queries, srv.q[k]);
			assert_int_equal(r->transactions, srv.x[k]);
			assert_int_equal(r->clients, ref_distinct(srv.partner[k]));
		}
		assert_int_equal(s.n_senders, snd.n);
		assert_int_equal(s.evicted_senders, snd.evicted);
		for (unsigned k = 0; k < snd.n; k++) {
			const struct mx_sender_row *r = sender_of(&s, memo_addr(1, snd.id[k]));
			assert_int_equal(r->queries, snd.q[k]);
			assert_int_equal(r->lookups + r->chains, snd.x[k]);
			assert_int_equal(r->resolvers, ref_distinct(snd.partner[k]));
		}
		for (size_t i = 0; i < s.n_domains; i++) {
			unsigned d = 0;
			for (; d < 4; d++) {
				struct mx_dname n = N(doms[d]);
				if (mx_dname_eq(&n, &s.domains[i].domain))
					break;
			}
			assert_true(d < 4);
			assert_int_equal(s.domains[i].senders, ref_distinct(dom_snd[d]));
		}
		mx_snapshot_fini(&s);
		mx_model_free(m);
	}
}

/* The distinct sets answer a repeat of their last member with one compare
 * (dset `last`): runs, alternations and random repeats over 5, 40 and 100
 * addresses (inline members only, the table, past the cap) count as an
 * exact set does, for a server's clients and a sender's resolvers. */
static void distinct_repeats(void **state)
{
	(void)state;
	static const unsigned pools[3] = { 5, 40, 100 };
	for (unsigned run = 0; run < 3; run++) {
		struct mx_model *m = mk(0, 0, 0, 0, 0);
		struct mx_addr r = A4(10, 0, 0, 53), snd = A4(10, 3, 0, 1);
		bool seen_c[100] = { false }, seen_r[100] = { false };
		for (unsigned q = 0; q < 1500; q++) {
			unsigned pick = (unsigned)(rnd() % 4);
			unsigned i = pick == 0 ? q / 7 : (pick == 1 ? q % 2 : (unsigned)rnd());
			i %= pools[run];
			/* client i asks resolver r; sender snd asks resolver i */
			query(m, A4(10, 1, 0, (uint8_t)i), r, true, MX_TYPE_A, 1000 + q);
			query(m, snd, A4(10, 2, 0, (uint8_t)i), true, MX_TYPE_A, 1000 + q);
			seen_c[i] = seen_r[i] = true;
		}
		uint64_t nc = 0, nr = 0;
		for (unsigned i = 0; i < 100; i++) {
			nc += seen_c[i];
			nr += seen_r[i];
		}
		if (nc > MX_MODEL_DISTINCT_CAP)
			nc = MX_MODEL_DISTINCT_CAP + 1;
		if (nr > MX_MODEL_DISTINCT_CAP)
			nr = MX_MODEL_DISTINCT_CAP + 1;
		struct mx_snapshot s;
		assert_int_equal(mx_model_snapshot(m, &s), 0);
		size_t k = 0;
		while (k < s.n_resolvers && !mx_addr_eq(&s.resolvers[k].addr, &r))
			k++;
		assert_true(k < s.n_resolvers);
		assert_int_equal(s.resolvers[k].clients, nc);
		assert_int_equal(sender_of(&s, snd)->resolvers, nr);
		mx_snapshot_fini(&s);
		mx_model_free(m);
	}
}

/* The slot of every qtype (model.c reads it from a table): as listed in
 * model.h, one query of each of the 65536 qtypes. */
static int qtype_slot_ref(uint16_t t)
{
	switch (t) {
	case MX_TYPE_A: return MX_QS_A;
	case MX_TYPE_AAAA: return MX_QS_AAAA;
	case MX_TYPE_MX: return MX_QS_MX;
	case MX_TYPE_TXT: return MX_QS_TXT;
	case MX_TYPE_PTR: return MX_QS_PTR;
	case MX_TYPE_TLSA: return MX_QS_TLSA;
	case MX_TYPE_HTTPS: return MX_QS_HTTPS;
	case MX_TYPE_NS: case MX_TYPE_CNAME: case MX_TYPE_SOA: case MX_TYPE_SRV:
	case 43 /* DS */: case 48 /* DNSKEY */: case 64 /* SVCB */: case MX_TYPE_ANY:
		return MX_QS_OTHER_KNOWN;
	default: return -1;
	}
}

static void qtype_slots_all(void **state)
{
	(void)state;
	struct mx_model *m = mk(0, 0, 0, 0, 0);
	struct mx_addr c = A4(10, 0, 0, 1), r = A4(10, 0, 0, 53);
	struct mx_snapshot s;
	uint64_t want[MX_QS__COUNT] = { 0 }, other = 0;
	for (unsigned t = 0; t < 65536; t++) {
		/* the first types (all the listed ones) one by one */
		bool check = t < 300 || t % 4096 == 0;
		uint64_t before[MX_QS__COUNT];
		if (check) {
			assert_int_equal(mx_model_snapshot(m, &s), 0);
			memcpy(before, s.qtype_counts, sizeof before);
			mx_snapshot_fini(&s);
		}
		query(m, c, r, true, (uint16_t)t, 1000 + t);
		int slot = qtype_slot_ref((uint16_t)t);
		if (slot >= 0)
			want[slot]++;
		else
			other++;
		if (check) {
			assert_int_equal(mx_model_snapshot(m, &s), 0);
			for (int k = 0; k < MX_QS__COUNT; k++)
				assert_int_equal(s.qtype_counts[k] - before[k], k == slot ? 1 : 0);
			mx_snapshot_fini(&s);
		}
	}
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	for (int k = 0; k < MX_QS__COUNT; k++)
		assert_int_equal(s.qtype_counts[k], want[k]);
	assert_int_equal(s.by_qtype_other, other);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

static void findings_copied(void **state)
{
	(void)state;
	struct mx_model *m = mk_chains(4, 0);
	struct mx_snapshot s;
	struct mx_finding f[3];
	memset(f, 0, sizeof f);
	const char *ids[] = { "AAAA_SERVFAIL_LOOP", "SLOW_RESOLVER", "QUERY_VOLUME" };
	for (unsigned i = 0; i < 3; i++) {
		f[i].pattern = ids[i];
		f[i].sev = (enum mx_sev)(MX_SEV_CRIT - i); /* ranked by the caller */
		f[i].count = 10 - i;
		f[i].seq = 7 - i;
		snprintf(f[i].detail, sizeof f[i].detail, "detail %u", i);
	}
	struct mx_chain_stats cs = { .chains = 9, .deferred = 4, .syns = 2 };
	mx_model_set_chain_stats(m, &cs);
	mx_model_set_chain_stats(m, NULL); /* ignored */
	assert_int_equal(mx_model_set_findings(m, f, 3, 5), 0);
	f[0].count = 999; /* the model holds a copy */
	snprintf(f[1].detail, sizeof f[1].detail, "changed");
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_findings, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(s.findings[i].pattern, ids[i]);
		assert_int_equal(s.findings[i].sev, MX_SEV_CRIT - i);
	}
	assert_int_equal(s.findings[0].count, 10);
	assert_string_equal(s.findings[1].detail, "detail 1");
	assert_int_equal(s.findings_evicted, 5);
	assert_int_equal(s.chain.chains, 9);
	assert_int_equal(s.chain.deferred, 4);
	assert_int_equal(s.chain.syns, 2);
	assert_true(s.evicted_total >= 5);
	/* two snapshots are independent */
	struct mx_snapshot t;
	assert_int_equal(mx_model_snapshot(m, &t), 0);
	s.findings[0].count = 1;
	assert_int_equal(t.findings[0].count, 10);
	mx_snapshot_fini(&t);
	mx_snapshot_fini(&s);
	assert_null(s.findings);
	assert_int_equal(s.n_findings, 0);

	/* replaced, then cleared */
	assert_int_equal(mx_model_set_findings(m, &f[2], 1, 0), 0);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_findings, 1);
	assert_string_equal(s.findings[0].pattern, "QUERY_VOLUME");
	assert_int_equal(s.findings_evicted, 0);
	mx_snapshot_fini(&s);
	assert_int_equal(mx_model_set_findings(m, NULL, 0, 0), 0);
	assert_int_equal(mx_model_snapshot(m, &s), 0);
	assert_int_equal(s.n_findings, 0);
	assert_null(s.findings);
	mx_snapshot_fini(&s);
	mx_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(totals_and_qtypes),
		cmocka_unit_test(servers_and_txns),
		cmocka_unit_test(percentiles_known),
		cmocka_unit_test(percentiles_sweep),
		cmocka_unit_test(eviction_caps),
		cmocka_unit_test(sender_multi_send),
		cmocka_unit_test(eviction_churn),
		cmocka_unit_test(deterministic_order),
		cmocka_unit_test(policy_names_not_failing),
		cmocka_unit_test(senders_and_failing_names),
		cmocka_unit_test(distinct_cap),
		cmocka_unit_test(recent_ring),
		cmocka_unit_test(snapshot_lifecycle),
		cmocka_unit_test(chains_ring),
		cmocka_unit_test(chains_ring_keeps_earlier_failures),
		cmocka_unit_test(domain_rows),
		cmocka_unit_test(sender_fingerprint),
		cmocka_unit_test(chains_packed_exact),
		cmocka_unit_test(chains_ring_trimmed),
		cmocka_unit_test(lru_from_stamps),
		cmocka_unit_test(memo_matches_lru),
		cmocka_unit_test(distinct_repeats),
		cmocka_unit_test(qtype_slots_all),
		cmocka_unit_test(findings_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
