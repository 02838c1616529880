/* test_txn.c - L4 transactions: matching, retransmission, timeouts, strays,
 * ICMP, end of capture and the pending cap, driven by scripted messages
 * (struct mx_dns_msg filled directly, no parsing). */
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
#include "mxsniff/dns.h"
#include "mxsniff/txn.h"

#define S 1000000ULL
#define MAXEV 4096

struct ev {
	char what;            /* 'q' query, 'd' done, 's' stray */
	bool retransmit;
	bool had_resp;        /* done: resp non-NULL during the callback */
	struct mx_txn x;
	struct mx_stray s;
	uint16_t resp_id, resp_qtype; /* stray: of s.resp, read in the callback */
};

struct rec {
	struct ev ev[MAXEV];
	size_t n;
	size_t n_done, n_q, n_stray;
};

static struct rec *R;

static void on_query(void *ctx, const struct mx_txn *t, bool retransmit)
{
	struct rec *r = ctx;
	assert_int_equal(t->kind, MX_TXN_OPEN);
	r->n_q++;
	if (r->n < MAXEV) {
		struct ev *e = &r->ev[r->n++];
		memset(e, 0, sizeof *e);
		e->what = 'q';
		e->retransmit = retransmit;
		e->x = *t;
	}
}

static void on_done(void *ctx, const struct mx_txn *t)
{
	struct rec *r = ctx;
	r->n_done++;
	if (r->n < MAXEV) {
		struct ev *e = &r->ev[r->n++];
		memset(e, 0, sizeof *e);
		e->what = 'd';
		e->had_resp = t->resp != NULL;
		if (t->resp)
			assert_int_equal(t->resp->id, t->id);
		e->x = *t;
		e->x.resp = NULL;
	}
}

static void on_stray(void *ctx, const struct mx_stray *s)
{
	struct rec *r = ctx;
	r->n_stray++;
	assert_non_null(s->resp);
	if (r->n < MAXEV) {
		struct ev *e = &r->ev[r->n++];
		memset(e, 0, sizeof *e);
		e->what = 's';
		e->s = *s;
		e->s.resp = NULL;
		e->resp_id = s->resp->id;
		e->resp_qtype = s->resp->qtype;
	}
}

static struct mx_txn_table *mk(uint64_t timeout, size_t max_pending, size_t max_recent)
{
	struct mx_txn_opts o;
	mx_txn_opts_default(&o);
	assert_int_equal(o.answer_timeout_us, 5 * S);
	if (timeout)
		o.answer_timeout_us = timeout;
	if (max_pending)
		o.max_pending = max_pending;
	o.max_recent = max_recent;
	struct mx_txn_cb cb = { .ctx = R, .query = on_query, .done = on_done, .stray = on_stray };
	struct mx_txn_table *t = mx_txn_new(&o, &cb);
	assert_non_null(t);
	return t;
}

static int setup(void **state)
{
	(void)state;
	R = calloc(1, sizeof *R);
	return R ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(R);
	R = NULL;
	return 0;
}

/* the last event of a kind */
/* A response that matches nothing is held for up to 1 s of capture time in
 * case its query follows it (txn.c, hold_put): move the clock past that so
 * it is reported. */
static void settle(struct mx_txn_table *t, uint64_t ts)
{
	mx_txn_tick(t, ts + 1 * S + 1);
}

static const struct ev *last(char what)
{
	for (size_t i = R->n; i-- > 0;)
		if (R->ev[i].what == what)
			return &R->ev[i];
	return NULL;
}

static struct mx_addr A(const char *s)
{
	struct mx_addr a;
	assert_int_equal(mx_addr_parse(s, &a), 0);
	return a;
}

/* A query cli:cport -> srv:sport. m is static storage reused per call site. */
static void mkq(struct mx_dns_msg *m, const char *cli, uint16_t cport, const char *srv, uint16_t sport,
		uint16_t id, const char *qname, uint16_t qtype, uint64_t ts, uint64_t frame)
{
	memset(m, 0, sizeof *m);
	m->ts_us = ts;
	m->frame = frame;
	m->src = A(cli);
	m->dst = A(srv);
	m->sport = cport;
	m->dport = sport;
	m->transport = 17;
	m->wire_len = 40;
	m->id = id;
	m->rd = true;
	m->qdcount = 1;
	m->has_question = true;
	assert_int_equal(mx_dname_from_text(qname, &m->qname), 0);
	m->qtype = qtype;
	m->qclass = 1;
	m->has_header = true;
	m->verdict = MX_DNS_OK;
}

/* The response to q from `srv`:`sport` (NOERROR with one answer of qtype). */
static void mkr(struct mx_dns_msg *r, const struct mx_dns_msg *q, const char *srv, uint16_t sport,
		uint64_t ts, uint64_t frame)
{
	*r = *q;
	r->ts_us = ts;
	r->frame = frame;
	r->src = srv ? A(srv) : q->dst;
	r->dst = q->src;
	r->sport = srv ? sport : q->dport;
	r->dport = q->sport;
	r->qr = true;
	r->ra = true;
	r->rcode = MX_RCODE_NOERROR;
	r->ancount = 1;
	r->an_parsed = 1;
	r->an_qtype = 1;
	r->wire_len = 120;
	r->min_ttl = 300;
}

static struct mx_dns_msg q1, q2, r1, r2;

static void simple_match_latency(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 0x1234, "example.com", MX_TYPE_MX, 100 * S, 1);
	q1.cd = true;
	q1.edns = true;
	q1.edns_do = true;
	q1.edns_payload = 1232;
	mx_txn_observe(t, &q1);
	assert_int_equal(mx_txn_pending(t), 1);
	const struct ev *e = last('q');
	assert_non_null(e);
	assert_false(e->retransmit);
	assert_int_equal(e->x.seq, 1);
	assert_int_equal(e->x.sends, 1);

	mkr(&r1, &q1, NULL, 0, 100 * S + 23456, 2);
	r1.aa = true;
	r1.edns = true;
	r1.has_ede = true;
	r1.ede_code = 3;
	mx_txn_observe(t, &r1);
	assert_int_equal(mx_txn_pending(t), 0);
	e = last('d');
	assert_non_null(e);
	assert_int_equal(e->x.kind, MX_TXN_ANSWERED);
	assert_true(e->had_resp);
	assert_int_equal(e->x.latency_us, 23456);
	assert_int_equal(e->x.q_ts, 100 * S);
	assert_int_equal(e->x.r_ts, 100 * S + 23456);
	assert_int_equal(e->x.q_frame, 1);
	assert_int_equal(e->x.r_frame, 2);
	assert_int_equal(e->x.outcome, MX_O_ANSWER);
	assert_int_equal(e->x.rcode, 0);
	assert_true(e->x.rd && e->x.cd && e->x.q_edns && e->x.q_do);
	assert_int_equal(e->x.q_payload, 1232);
	assert_true(e->x.aa && e->x.ra && e->x.r_edns);
	assert_false(e->x.tc);
	assert_int_equal(e->x.ede, 3);
	assert_int_equal(e->x.r_size, 120);
	assert_int_equal(e->x.cport, 40000);
	assert_int_equal(e->x.sport, 53);
	assert_int_equal(e->x.id, 0x1234);
	assert_int_equal(e->x.qtype, MX_TYPE_MX);
	assert_true(mx_addr_eq(&e->x.client, &q1.src));
	assert_true(mx_addr_eq(&e->x.server, &q1.dst));
	assert_true(mx_dname_eq(&e->x.qname, &q1.qname));

	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->queries, 1);
	assert_int_equal(st->responses, 1);
	assert_int_equal(st->transactions, 1);
	assert_int_equal(st->answered, 1);
	assert_int_equal(st->timeouts, 0);
	mx_txn_free(t);
	mx_txn_free(NULL);
}

static void retransmit_same_id(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 7, "example.com", MX_TYPE_A, 10 * S, 1);
	mx_txn_observe(t, &q1);
	q1.ts_us = 13 * S;
	q1.frame = 5;
	mx_txn_observe(t, &q1);
	const struct ev *e = last('q');
	assert_true(e->retransmit);
	assert_int_equal(e->x.sends, 2);
	assert_int_equal(e->x.seq, 1);
	assert_int_equal(mx_txn_pending(t), 1);
	/* the timeout counts from the last copy: 13 s + 5 s */
	mx_txn_tick(t, 17 * S);
	assert_int_equal(mx_txn_pending(t), 1);
	assert_int_equal(R->n_done, 0);
	mkr(&r1, &q1, NULL, 0, 17 * S + 500000, 6);
	mx_txn_observe(t, &r1);
	e = last('d');
	assert_int_equal(e->x.kind, MX_TXN_ANSWERED);
	assert_int_equal(e->x.sends, 2);
	assert_int_equal(e->x.n_q_frames, 2);
	assert_int_equal(e->x.q_frames[0], 1);
	assert_int_equal(e->x.q_frames[1], 5);
	assert_int_equal(e->x.q_frame, 1);
	assert_int_equal(e->x.last_q_ts, 13 * S);
	assert_int_equal(e->x.latency_us, 7 * S + 500000); /* from the first copy */
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->queries, 2);
	assert_int_equal(st->retransmits, 1);
	assert_int_equal(st->transactions, 1);

	/* more copies than MX_TXN_MAX_FRAMES: sends keeps counting, frames stop */
	mkq(&q2, "192.0.2.10", 40001, "192.0.2.53", 53, 8, "example.com", MX_TYPE_A, 20 * S, 100);
	for (int i = 0; i < MX_TXN_MAX_FRAMES + 3; i++) {
		q2.frame = 100 + (uint64_t)i;
		mx_txn_observe(t, &q2);
	}
	e = last('q');
	assert_int_equal(e->x.sends, MX_TXN_MAX_FRAMES + 3);
	assert_int_equal(e->x.n_q_frames, MX_TXN_MAX_FRAMES);
	assert_int_equal(e->x.q_frames[MX_TXN_MAX_FRAMES - 1], 100 + MX_TXN_MAX_FRAMES - 1);
	mx_txn_free(t);
}

static void response_without_question(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "2001:db8::10", 5555, "2001:db8::53", 53, 99, "example.org", MX_TYPE_AAAA, 1 * S, 1);
	mx_txn_observe(t, &q1);
	mkr(&r1, &q1, NULL, 0, 1 * S + 100, 2);
	r1.has_question = false;
	r1.qdcount = 0;
	memset(&r1.qname, 0, sizeof r1.qname);
	r1.qtype = 0;
	r1.ancount = r1.an_parsed = r1.an_qtype = 0;
	r1.rcode = MX_RCODE_REFUSED;
	mx_txn_observe(t, &r1);
	const struct ev *e = last('d');
	assert_non_null(e);
	assert_int_equal(e->x.kind, MX_TXN_ANSWERED);
	assert_int_equal(e->x.rcode, MX_RCODE_REFUSED);
	assert_int_equal(e->x.outcome, MX_O_REFUSED);
	assert_int_equal(e->x.qtype, MX_TYPE_AAAA); /* the question comes from the query */
	assert_int_equal(mx_txn_pending(t), 0);
	mx_txn_free(t);
}

static void question_compared_0x20(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	/* dns.c lowercases names and flags 0x20: matching is on the folded name */
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 1, "ExAmPlE.CoM", MX_TYPE_MX, 1 * S, 1);
	q1.qname_0x20 = 1;
	mx_txn_observe(t, &q1);
	/* same id/ports but another question: not this query's answer */
	mkr(&r1, &q1, NULL, 0, 1 * S + 10, 2);
	assert_int_equal(mx_dname_from_text("other.example", &r1.qname), 0);
	mx_txn_observe(t, &r1);
	settle(t, r1.ts_us);
	const struct ev *e = last('s');
	assert_non_null(e);
	assert_int_equal(e->s.kind, MX_STRAY_UNSOLICITED);
	assert_int_equal(mx_txn_pending(t), 1);
	/* another qtype: also no match */
	mkr(&r2, &q1, NULL, 0, 1 * S + 11, 3);
	r2.qtype = MX_TYPE_A;
	mx_txn_observe(t, &r2);
	settle(t, 3 * S); /* (the clock is already past 2 s) */
	assert_int_equal(R->n_stray, 2);
	assert_int_equal(mx_txn_pending(t), 1);
	/* the answer, with the name in other case on the wire (folded by dns.c) */
	mkr(&r2, &q1, NULL, 0, 1 * S + 12, 4);
	assert_int_equal(mx_dname_from_text("example.COM.", &r2.qname), 0);
	r2.qname_0x20 = 1;
	mx_txn_observe(t, &r2);
	e = last('d');
	assert_non_null(e);
	assert_int_equal(e->x.r_frame, 4);
	assert_int_equal(mx_txn_pending(t), 0);
	mx_txn_free(t);
}

static void timeout_boundary_and_late(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 2, "example.com", MX_TYPE_MX, 50 * S, 1);
	mx_txn_observe(t, &q1);
	mx_txn_tick(t, 55 * S - 1);
	assert_int_equal(mx_txn_pending(t), 1);
	assert_int_equal(R->n_done, 0);
	mx_txn_tick(t, 55 * S - 1); /* nothing to do */
	assert_int_equal(R->n_done, 0);
	/* a response exactly at the timeout is LATE: expiry is now - last >= timeout */
	mkr(&r1, &q1, NULL, 0, 55 * S, 7);
	mx_txn_observe(t, &r1);
	const struct ev *d = last('d');
	assert_non_null(d);
	assert_int_equal(d->x.kind, MX_TXN_TIMEOUT);
	assert_int_equal(d->x.outcome, MX_O_TIMEOUT);
	assert_int_equal(d->x.r_frame, 0);
	assert_int_equal(d->x.r_ts, 0);
	assert_false(d->had_resp);
	assert_int_equal(d->x.ede, 0xffff);
	const struct ev *s = last('s');
	assert_non_null(s);
	assert_int_equal(s->s.kind, MX_STRAY_LATE);
	assert_int_equal(s->s.txn_seq, d->x.seq);
	assert_int_equal(s->s.q_frame, 1);
	assert_int_equal(s->s.q_ts, 50 * S);
	assert_int_equal(s->s.latency_us, 5 * S);
	/* the done came before the stray */
	assert_true(d < s);
	/* a second late copy is also LATE */
	r1.ts_us = 56 * S;
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_LATE);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(st->stray[MX_STRAY_LATE], 2);
	assert_int_equal(st->answered, 0);
	mx_txn_free(t);
}

/* A zone transfer over TCP answers one query with several messages (RFC 5936
 * §2.2), the later ones often without the question: one transaction, no
 * DUPLICATE strays. The same over UDP stays a duplicate. A response without
 * a question to a query that had none (cookie-only, RFC 7873 §5.4: not
 * tracked) is no UNSOLICITED stray; one with a question still is. */
static void tcp_multi_message_and_questionless(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.53", 40200, "198.51.100.53", 53, 0xa001, "example.com", 252, 1 * S, 1);
	q1.transport = 6;
	q1.rd = false;
	mx_txn_observe(t, &q1);
	mkr(&r1, &q1, NULL, 0, 1 * S + 3000, 2);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('d')->x.kind, MX_TXN_ANSWERED);
	r1.frame = 3;
	r1.has_question = false;
	r1.qdcount = 0;
	mx_txn_observe(t, &r1);
	r1.frame = 4;
	mx_txn_observe(t, &r1);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->stray[MX_STRAY_DUPLICATE], 0);
	assert_int_equal(st->answered, 1);
	assert_int_equal(st->responses, 3);
	/* over UDP the same second copy is a duplicate */
	mkq(&q2, "192.0.2.10", 40000, "198.51.100.53", 53, 7, "example.com", MX_TYPE_MX, 2 * S, 5);
	mx_txn_observe(t, &q2);
	mkr(&r2, &q2, NULL, 0, 2 * S + 1000, 6);
	mx_txn_observe(t, &r2);
	r2.frame = 7;
	mx_txn_observe(t, &r2);
	assert_int_equal(st->stray[MX_STRAY_DUPLICATE], 1);
	/* questionless response matching nothing: not a stray */
	mkq(&q2, "192.0.2.10", 40001, "198.51.100.54", 53, 8, "example.com", MX_TYPE_MX, 3 * S, 8);
	mkr(&r2, &q2, NULL, 0, 3 * S + 1000, 9);
	r2.has_question = false;
	r2.qdcount = 0;
	mx_txn_observe(t, &r2);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 0);
	r2.has_question = true;
	r2.qdcount = 1;
	mx_txn_observe(t, &r2);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 0); /* held: its query may follow */
	settle(t, r2.ts_us);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 1);
	mx_txn_free(t);
}

/* mDNS / LLMNR (--dns-port 5353/5355): a query to a multicast group is
 * counted, not tracked (no TIMEOUT); answers sent to the group are no
 * strays; a unicast answer to a group query (LLMNR, mDNS legacy unicast) is
 * no stray while a unicast answer nobody asked for still is. */
static void multicast_queries(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	mkq(&q1, "192.0.2.10", 5353, "224.0.0.251", 5353, 0, "printer.local", 1, 1 * S, 1);
	mx_txn_observe(t, &q1);
	assert_int_equal(mx_txn_pending(t), 0);
	assert_int_equal(st->queries, 1);
	/* the answer to the group, no question */
	mkr(&r1, &q1, "192.0.2.20", 5353, 1 * S + 2000, 2);
	r1.dst = A("224.0.0.251");
	r1.dport = 5353;
	r1.has_question = false;
	r1.qdcount = 0;
	mx_txn_observe(t, &r1);
	/* LLMNR over IPv6: the owner answers unicast with the question */
	mkq(&q2, "2001:db8::10", 40301, "ff02::1:3", 5355, 0xb002, "fileserver", 1, 2 * S, 3);
	mx_txn_observe(t, &q2);
	mkr(&r2, &q2, "2001:db8::30", 5355, 2 * S + 1000, 4);
	mx_txn_observe(t, &r2);
	mx_txn_tick(t, 20 * S);
	assert_int_equal(st->timeouts, 0);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 0);
	assert_int_equal(st->stray[MX_STRAY_WRONG_SOURCE], 0);
	assert_int_equal(st->responses, 2);
	assert_int_equal(st->multicast_queries, 2);
	assert_int_equal(st->transactions, 0);
	/* the same unicast answer after the answer timeout, or to another ID,
	 * is unsolicited */
	r2.ts_us = 20 * S;
	mx_txn_observe(t, &r2);
	settle(t, r2.ts_us);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 1);
	mx_txn_free(t);
}

static void duplicate_and_unsolicited(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 3, "example.com", MX_TYPE_MX, 1 * S, 1);
	mx_txn_observe(t, &q1);
	mkr(&r1, &q1, NULL, 0, 1 * S + 1000, 2);
	mx_txn_observe(t, &r1);
	r1.ts_us += 1000;
	r1.frame = 3;
	mx_txn_observe(t, &r1);
	const struct ev *s = last('s');
	assert_non_null(s);
	assert_int_equal(s->s.kind, MX_STRAY_DUPLICATE);
	assert_int_equal(s->s.txn_seq, 1);
	assert_int_equal(s->s.latency_us, 2000);
	/* a response with no question is a duplicate too */
	r1.has_question = false;
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_DUPLICATE);
	/* no query at all */
	mkq(&q2, "192.0.2.11", 40000, "192.0.2.53", 53, 3, "example.com", MX_TYPE_MX, 2 * S, 4);
	mkr(&r2, &q2, NULL, 0, 2 * S, 4);
	mx_txn_observe(t, &r2);
	settle(t, r2.ts_us);
	s = last('s');
	assert_int_equal(s->s.kind, MX_STRAY_UNSOLICITED);
	assert_int_equal(s->s.txn_seq, 0);
	/* a query over TCP is not answered by a UDP response */
	q2.transport = 6;
	mx_txn_observe(t, &q2);
	mx_txn_observe(t, &r2);
	settle(t, 4 * S);
	assert_int_equal(last('s')->s.kind, MX_STRAY_UNSOLICITED);
	assert_int_equal(mx_txn_pending(t), 1);
	r2.transport = 6;
	mx_txn_observe(t, &r2);
	assert_int_equal(last('d')->x.transport, 6);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->stray[MX_STRAY_DUPLICATE], 2);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 2);
	assert_int_equal(st->answered, 2);
	/* remembered for recent_us (60 s) only */
	mx_txn_tick(t, 200 * S);
	mx_txn_observe(t, &r1);
	settle(t, 200 * S);
	assert_int_equal(last('s')->s.kind, MX_STRAY_UNSOLICITED);
	mx_txn_free(t);
}

/* mx_txn_expects_wrong_source(): the pipeline's test for a response on no
 * DNS port (its source port rewritten). Exact: client address and port, ID,
 * transport and question of a pending query; never for an exact match. */
static void expects_wrong_source(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 77, "example.com", MX_TYPE_A, 1 * S, 1);
	mkr(&r1, &q1, "192.0.2.53", 10053, 1 * S + 10, 2);
	assert_false(mx_txn_expects_wrong_source(t, &r1)); /* nothing pending */
	mx_txn_observe(t, &q1);
	assert_true(mx_txn_expects_wrong_source(t, &r1));
	r2 = r1;
	r2.id = 78;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.dport = 40001;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.dst = A("192.0.2.11");
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.qtype = MX_TYPE_AAAA;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.transport = 6;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.has_question = false;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	r2 = r1;
	r2.qr = false;
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	mkr(&r2, &q1, NULL, 0, 1 * S + 10, 2); /* the right source */
	assert_false(mx_txn_expects_wrong_source(t, &r2));
	/* read-only: nothing reported, the query still pending */
	assert_int_equal(R->n_stray, 0);
	assert_int_equal(mx_txn_pending(t), 1);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_WRONG_SOURCE);
	assert_int_equal(last('s')->s.expected_port, 53);
	assert_int_equal(mx_txn_pending(t), 1);
	mx_txn_free(t);
}

static void wrong_source(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 4, "example.com", MX_TYPE_MX, 1 * S, 1);
	mx_txn_observe(t, &q1);
	/* other address */
	mkr(&r1, &q1, "192.0.2.99", 53, 1 * S + 10, 2);
	mx_txn_observe(t, &r1);
	const struct ev *s = last('s');
	assert_non_null(s);
	assert_int_equal(s->s.kind, MX_STRAY_WRONG_SOURCE);
	assert_true(mx_addr_eq(&s->s.expected, &q1.dst));
	assert_int_equal(s->s.expected_port, 53);
	assert_int_equal(s->s.txn_seq, 1);
	assert_int_equal(mx_txn_pending(t), 1);
	/* other port */
	mkr(&r1, &q1, "192.0.2.53", 5353, 1 * S + 20, 3);
	mx_txn_observe(t, &r1);
	s = last('s');
	assert_int_equal(s->s.kind, MX_STRAY_WRONG_SOURCE);
	assert_int_equal(s->s.expected_port, 53);
	assert_int_equal(mx_txn_pending(t), 1);
	/* another question from another address: unsolicited */
	mkr(&r1, &q1, "192.0.2.99", 53, 1 * S + 25, 4);
	r1.qtype = MX_TYPE_TXT;
	mx_txn_observe(t, &r1);
	settle(t, r1.ts_us);
	assert_int_equal(last('s')->s.kind, MX_STRAY_UNSOLICITED);
	/* the real answer still matches */
	mkr(&r2, &q1, NULL, 0, 1 * S + 30, 5);
	mx_txn_observe(t, &r2);
	assert_int_equal(last('d')->x.r_frame, 5);
	assert_int_equal(mx_txn_peek_stats(t)->stray[MX_STRAY_WRONG_SOURCE], 2);

	/* failover reusing the ID and port (R1 timed out, R2 pending): a late
	 * answer from R1 is LATE, not WRONG_SOURCE */
	mkq(&q2, "192.0.2.10", 41000, "192.0.2.53", 53, 9, "example.net", MX_TYPE_A, 10 * S, 10);
	mx_txn_observe(t, &q2);
	mx_txn_tick(t, 15 * S);
	q2.dst = A("192.0.2.54");
	q2.ts_us = 15 * S;
	q2.frame = 11;
	mx_txn_observe(t, &q2);
	assert_int_equal(mx_txn_pending(t), 1);
	mkr(&r1, &q2, "192.0.2.53", 53, 15 * S + 10, 12);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_LATE);
	mx_txn_free(t);
}

static void icmp_unreachable(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 0xabcd, "example.com", MX_TYPE_MX, 1 * S, 1);
	mx_txn_observe(t, &q1);
	mkq(&q2, "192.0.2.10", 40000, "192.0.2.53", 53, 0x0101, "example.com", MX_TYPE_A, 1 * S + 5, 2);
	mx_txn_observe(t, &q2);
	assert_int_equal(mx_txn_pending(t), 2);

	const uint8_t quoted[] = { 0x01, 0x01, 0x01, 0x00 };
	struct mx_icmp ic;
	memset(&ic, 0, sizeof ic);
	ic.ts_us = 1 * S + 300;
	ic.frame = 3;
	ic.reporter = A("192.0.2.53");
	ic.family = 4;
	ic.type = 3;
	ic.code = 3;
	ic.port_unreachable = true;
	ic.q_src = q1.src;
	ic.q_dst = q1.dst;
	ic.q_sport = 40000;
	ic.q_dport = 53;
	ic.dns = quoted;
	ic.dns_len = sizeof quoted;
	mx_txn_observe_icmp(t, &ic);
	const struct ev *d = last('d');
	assert_non_null(d);
	assert_int_equal(d->x.kind, MX_TXN_UNREACHABLE);
	assert_int_equal(d->x.outcome, MX_O_UNREACHABLE);
	assert_int_equal(d->x.id, 0x0101); /* matched by the quoted ID, not the oldest */
	assert_int_equal(d->x.r_frame, 3);
	assert_int_equal(d->x.latency_us, 295);
	assert_false(d->had_resp);
	assert_int_equal(mx_txn_pending(t), 1);

	/* ID not pending: unmatched */
	const uint8_t other[] = { 0x55, 0x55 };
	ic.dns = other;
	ic.dns_len = 2;
	mx_txn_observe_icmp(t, &ic);
	assert_int_equal(mx_txn_peek_stats(t)->icmp_unmatched, 1);
	assert_int_equal(mx_txn_pending(t), 1);

	/* only one DNS byte quoted: the oldest pending on the 5-tuple */
	mkq(&q2, "192.0.2.10", 40000, "192.0.2.53", 53, 0x0202, "example.com", MX_TYPE_A, 1 * S + 400, 4);
	mx_txn_observe(t, &q2);
	ic.dns = other;
	ic.dns_len = 1;
	ic.frame = 5;
	mx_txn_observe_icmp(t, &ic);
	d = last('d');
	assert_int_equal(d->x.id, 0xabcd);
	assert_int_equal(d->x.r_frame, 5);
	/* nothing quoted, another client port: unmatched */
	ic.dns = NULL;
	ic.dns_len = 0;
	ic.q_sport = 40001;
	mx_txn_observe_icmp(t, &ic);
	assert_int_equal(mx_txn_peek_stats(t)->icmp_unmatched, 2);
	ic.q_sport = 40000;
	mx_txn_observe_icmp(t, &ic);
	assert_int_equal(last('d')->x.id, 0x0202);
	assert_int_equal(mx_txn_pending(t), 0);
	assert_int_equal(mx_txn_peek_stats(t)->unreachable, 3);
	/* the client's port unreachable for a response (QR=1: musl closed its
	 * socket at the first server's answer): counted apart, no query ends,
	 * not unmatched */
	mkq(&q2, "192.0.2.10", 40002, "192.0.2.53", 53, 0x0303, "example.com", MX_TYPE_A, 1 * S + 500, 7);
	mx_txn_observe(t, &q2);
	const uint8_t resp[] = { 0x03, 0x03, 0x81, 0x80 };
	ic.reporter = A("192.0.2.10");
	ic.q_src = q2.dst;
	ic.q_dst = q2.src;
	ic.q_sport = 53;
	ic.q_dport = 40002;
	ic.dns = resp;
	ic.dns_len = sizeof resp;
	mx_txn_observe_icmp(t, &ic);
	assert_int_equal(mx_txn_peek_stats(t)->icmp_responses, 1);
	assert_int_equal(mx_txn_peek_stats(t)->icmp_unmatched, 2);
	assert_int_equal(mx_txn_peek_stats(t)->unreachable, 3);
	assert_int_equal(mx_txn_pending(t), 1);
	mkr(&r2, &q2, NULL, 0, 1 * S + 600, 8);
	mx_txn_observe(t, &r2);
	assert_int_equal(mx_txn_pending(t), 0);
	/* a response after the ICMP is LATE */
	mkr(&r1, &q1, NULL, 0, 2 * S, 6);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_LATE);
	mx_txn_free(t);
}

static void finish_pending_vs_timeout(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 1, "a.example", MX_TYPE_A, 0, 1);
	mx_txn_observe(t, &q1);
	mkq(&q2, "192.0.2.10", 40001, "192.0.2.53", 53, 2, "b.example", MX_TYPE_A, 1 * S, 2);
	mx_txn_observe(t, &q2);
	/* q1 copy at 2 s: FIFO order now q2, q1; finish still reports q1 first */
	q1.ts_us = 2 * S;
	q1.frame = 3;
	mx_txn_observe(t, &q1);
	static struct mx_dns_msg q3;
	mkq(&q3, "192.0.2.10", 40002, "192.0.2.53", 53, 3, "c.example", MX_TYPE_A, 3 * S, 4);
	mx_txn_observe(t, &q3);
	size_t before = R->n;
	/* end at 6 s: q2 (1 s) has had 5 s -> TIMEOUT; q1 (last 2 s) and q3 PENDING */
	mx_txn_finish(t, 6 * S);
	assert_int_equal(R->n, before + 3);
	assert_int_equal(R->ev[before].x.seq, 1);
	assert_int_equal(R->ev[before].x.kind, MX_TXN_PENDING);
	assert_int_equal(R->ev[before].x.outcome, MX_O_TIMEOUT);
	assert_int_equal(R->ev[before + 1].x.seq, 2);
	assert_int_equal(R->ev[before + 1].x.kind, MX_TXN_TIMEOUT);
	assert_int_equal(R->ev[before + 2].x.seq, 3);
	assert_int_equal(R->ev[before + 2].x.kind, MX_TXN_PENDING);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->pending_at_end, 2);
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(mx_txn_pending(t), 0);
	mx_txn_finish(t, 7 * S); /* nothing left: no events */
	assert_int_equal(R->n, before + 3);
	mx_txn_free(t);
}

static void finish_boundary(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 1, "a.example", MX_TYPE_A, 10 * S, 1);
	mx_txn_observe(t, &q1);
	mkq(&q2, "192.0.2.10", 40001, "192.0.2.53", 53, 2, "a.example", MX_TYPE_A, 10 * S + 1, 2);
	mx_txn_observe(t, &q2);
	mx_txn_finish(t, 15 * S);
	assert_int_equal(R->n_done, 2);
	assert_int_equal(R->ev[R->n - 2].x.kind, MX_TXN_TIMEOUT); /* exactly 5 s */
	assert_int_equal(R->ev[R->n - 1].x.kind, MX_TXN_PENDING); /* 1 us short */
	mx_txn_free(t);
}

static void eviction_flood(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 16, 8);
	for (unsigned i = 0; i < 1000; i++) {
		mkq(&q1, "192.0.2.10", (uint16_t)(1024 + i), "192.0.2.53", 53, (uint16_t)i, "flood.example",
		    MX_TYPE_A, 1 * S + i, 1 + i);
		mx_txn_observe(t, &q1);
		assert_true(mx_txn_pending(t) <= 16);
	}
	assert_int_equal(mx_txn_pending(t), 16);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->transactions, 1000);
	assert_int_equal(st->evicted_pending, 984);
	assert_int_equal(st->timeouts, 984);
	assert_int_equal(st->evicted_recent, 984 - 8);
	assert_int_equal(R->n_done, 984);
	/* evicted oldest first */
	size_t k = 0;
	for (size_t i = 0; i < R->n; i++)
		if (R->ev[i].what == 'd') {
			assert_int_equal(R->ev[i].x.seq, k + 1);
			assert_int_equal(R->ev[i].x.kind, MX_TXN_TIMEOUT);
			k++;
		}
	/* the newest evicted one is still remembered: LATE; an old one is forgotten */
	mkq(&q1, "192.0.2.10", (uint16_t)(1024 + 983), "192.0.2.53", 53, 983, "flood.example", MX_TYPE_A,
	    0, 0);
	mkr(&r1, &q1, NULL, 0, 2 * S, 2000);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('s')->s.kind, MX_STRAY_LATE);
	mkq(&q1, "192.0.2.10", 1024, "192.0.2.53", 53, 0, "flood.example", MX_TYPE_A, 0, 0);
	mkr(&r1, &q1, NULL, 0, 2 * S, 2001);
	mx_txn_observe(t, &r1);
	settle(t, 2 * S);
	assert_int_equal(last('s')->s.kind, MX_STRAY_UNSOLICITED);
	/* the survivors answer normally */
	mkq(&q1, "192.0.2.10", (uint16_t)(1024 + 999), "192.0.2.53", 53, 999, "flood.example", MX_TYPE_A,
	    0, 0);
	mkr(&r1, &q1, NULL, 0, 2 * S, 2002);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('d')->x.kind, MX_TXN_ANSWERED);
	assert_int_equal(last('d')->x.seq, 1000);
	/* the table drains by timeout with memory reused */
	mx_txn_tick(t, 100 * S);
	assert_int_equal(mx_txn_pending(t), 0);
	for (unsigned i = 0; i < 100; i++) {
		mkq(&q1, "192.0.2.20", (uint16_t)(2000 + i), "192.0.2.53", 53, (uint16_t)i, "x.example",
		    MX_TYPE_A, 100 * S + i, 3000 + i);
		mx_txn_observe(t, &q1);
	}
	assert_int_equal(mx_txn_pending(t), 16);
	mx_txn_free(t);
}

/* A response captured before its query (mirror ports, multi-queue NICs,
 * merged files with skewed clocks) answers that query when it follows
 * within the hold window (1 s): no UNSOLICITED stray and no TIMEOUT. */
static void response_before_query(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	/* file order: response (its timestamp 500 us after the query's), query */
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 21, "example.com", MX_TYPE_MX, 10 * S, 2);
	mkr(&r1, &q1, NULL, 0, 10 * S + 500, 1);
	r1.rcode = MX_RCODE_SERVFAIL;
	r1.ancount = r1.an_parsed = r1.an_qtype = 0;
	mx_txn_observe(t, &r1);
	assert_int_equal(R->n_stray, 0);
	mx_txn_observe(t, &q1);
	const struct ev *e = last('d');
	assert_non_null(e);
	assert_int_equal(e->x.kind, MX_TXN_ANSWERED);
	assert_int_equal(e->x.outcome, MX_O_SERVFAIL);
	assert_int_equal(e->x.q_frame, 2);
	assert_int_equal(e->x.r_frame, 1);
	assert_int_equal(e->x.latency_us, 500);
	assert_int_equal(mx_txn_pending(t), 0);
	assert_int_equal(st->reordered, 1);
	assert_int_equal(st->answered, 1);
	/* response timestamped before its query: latency 0 */
	mkq(&q2, "192.0.2.10", 40001, "192.0.2.53", 53, 22, "example.com", MX_TYPE_A, 11 * S + 100, 4);
	mkr(&r2, &q2, NULL, 0, 11 * S, 3);
	mx_txn_observe(t, &r2);
	mx_txn_observe(t, &q2);
	assert_int_equal(last('d')->x.latency_us, 0);
	assert_int_equal(last('d')->x.r_frame, 3);
	assert_int_equal(st->reordered, 2);
	/* another ID, another port, another question: no pair */
	mkq(&q2, "192.0.2.10", 40002, "192.0.2.53", 53, 23, "example.com", MX_TYPE_A, 12 * S, 5);
	mkr(&r2, &q2, NULL, 0, 12 * S, 6);
	r2.id = 24;
	mx_txn_observe(t, &r2);
	r2.id = 23;
	r2.dport = 40003;
	mx_txn_observe(t, &r2);
	r2.dport = 40002;
	r2.qtype = MX_TYPE_AAAA;
	mx_txn_observe(t, &r2);
	mx_txn_observe(t, &q2);
	assert_int_equal(mx_txn_pending(t), 1);
	assert_int_equal(st->reordered, 2);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 0);
	/* released as UNSOLICITED once 1 s has passed, oldest first */
	mx_txn_tick(t, 13 * S);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 0);
	mx_txn_tick(t, 13 * S + 1);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 3);
	assert_int_equal(last('s')->resp_qtype, MX_TYPE_AAAA);
	/* a query more than 1 s after its response is not paired */
	mkq(&q1, "192.0.2.10", 40010, "192.0.2.53", 53, 30, "late.example", MX_TYPE_A, 20 * S, 8);
	mkr(&r1, &q1, NULL, 0, 20 * S, 7);
	mx_txn_observe(t, &r1);
	q1.ts_us = 21 * S + 1;
	mx_txn_observe(t, &q1);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 4);
	assert_int_equal(st->reordered, 2);
	assert_int_equal(mx_txn_pending(t), 1);
	mx_txn_free(t);
}

/* At most 16 responses are held: the 17th releases the oldest at once; the
 * end of the capture releases the rest. */
static void held_responses_bounded(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	for (unsigned i = 0; i < 17; i++) {
		mkq(&q1, "192.0.2.10", (uint16_t)(30000 + i), "192.0.2.53", 53, (uint16_t)i, "x.example",
		    MX_TYPE_A, 1 * S + i, 1 + i);
		mkr(&r1, &q1, NULL, 0, 1 * S + i, 1 + i);
		mx_txn_observe(t, &r1);
	}
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 1);
	assert_int_equal(last('s')->resp_id, 0);
	/* the second one still pairs */
	mkq(&q1, "192.0.2.10", 30001, "192.0.2.53", 53, 1, "x.example", MX_TYPE_A, 1 * S + 20, 30);
	mx_txn_observe(t, &q1);
	assert_int_equal(last('d')->x.r_frame, 2);
	assert_int_equal(st->reordered, 1);
	mx_txn_finish(t, 1 * S + 30);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], 16);
	assert_int_equal(last('s')->resp_id, 16);
	mx_txn_free(t);
}

static void not_tracked(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 1, "example.com", MX_TYPE_SOA, 1 * S, 1);
	q1.opcode = 4; /* NOTIFY */
	mx_txn_observe(t, &q1);
	mkr(&r1, &q1, NULL, 0, 1 * S + 1, 2);
	mx_txn_observe(t, &r1);
	mkq(&q2, "192.0.2.10", 40000, "192.0.2.53", 53, 2, "example.com", MX_TYPE_A, 1 * S, 3);
	q2.has_question = false;
	q2.qdcount = 0;
	mx_txn_observe(t, &q2);
	mkq(&q2, "192.0.2.10", 40000, "192.0.2.53", 53, 3, "example.com", MX_TYPE_A, 1 * S, 4);
	q2.has_header = false; /* cut before 12 bytes: not counted, not tracked */
	mx_txn_observe(t, &q2);
	assert_int_equal(mx_txn_pending(t), 0);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->queries, 2);
	assert_int_equal(st->responses, 1);
	assert_int_equal(st->transactions, 0);
	assert_int_equal(R->n, 0);
	mx_txn_free(t);
}

static void clock_never_goes_back(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(5 * S, 0, 1024);
	mkq(&q1, "192.0.2.10", 40000, "192.0.2.53", 53, 1, "a.example", MX_TYPE_A, 10 * S, 1);
	mx_txn_observe(t, &q1);
	mkq(&q2, "192.0.2.10", 40001, "192.0.2.53", 53, 2, "b.example", MX_TYPE_A, 9 * S, 2);
	mx_txn_observe(t, &q2); /* older stamp: taken as now (10 s) */
	assert_int_equal(last('q')->x.q_ts, 10 * S);
	mkr(&r1, &q1, NULL, 0, 8 * S, 3);
	mx_txn_observe(t, &r1);
	assert_int_equal(last('d')->x.latency_us, 0);
	mx_txn_tick(t, 1 * S);
	assert_int_equal(mx_txn_pending(t), 1);
	mx_txn_tick(t, 15 * S);
	assert_int_equal(mx_txn_pending(t), 0);
	mx_txn_free(t);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(mx_txn_kind_name(MX_TXN_ANSWERED), "answered");
	assert_string_equal(mx_txn_kind_name(MX_TXN_PENDING), "pending");
	assert_string_equal(mx_stray_name(MX_STRAY_LATE), "late");
	assert_string_equal(mx_stray_name(MX_STRAY_WRONG_SOURCE), "wrong_source");
	assert_string_equal(mx_stray_name(MX_STRAY_UNSOLICITED), "unsolicited");
	assert_string_equal(mx_stray_name(MX_STRAY_DUPLICATE), "duplicate");
}

/* ---- expiry times ---------------------------------------------------------
 * txn.c checks one lower bound per call (the next timeout or held-response
 * release) and expires the recent ring lazily. Against a random script of
 * queries, retransmissions, responses and ticks, every timeout and every
 * UNSOLICITED release must come at the first call whose clock reaches it
 * (not before, not later), and a response to a closed transaction must be
 * LATE/DUPLICATE exactly while that close is at most recent_us old. */
#define XP_IDS 65536u
struct xp {
	uint64_t now, prev;           /* clock of this call, of the one before */
	uint64_t timeout, hold, recent;
	uint8_t *state;               /* per query ID: 0 unused, 1 pending, 2 closed */
	uint64_t *close_at;
	int late_id;                  /* LATE/DUPLICATE in this call: its ID, -1 none */
	bool answered;
	unsigned timeouts, unsolicited, late_dup, n_answered;
};

static void xp_query(void *ctx, const struct mx_txn *x, bool retransmit)
{
	struct xp *c = ctx;
	(void)retransmit;
	c->state[x->id] = 1;
}

static void xp_done(void *ctx, const struct mx_txn *x)
{
	struct xp *c = ctx;
	c->state[x->id] = 2;
	c->close_at[x->id] = c->now;
	if (x->kind == MX_TXN_TIMEOUT) {
		c->timeouts++;
		assert_true(c->now - x->last_q_ts >= c->timeout);    /* due */
		assert_true(c->prev < x->last_q_ts + c->timeout);    /* not due before */
	} else if (x->kind == MX_TXN_ANSWERED) {
		c->answered = true;
		c->n_answered++;
	}
}

static void xp_stray(void *ctx, const struct mx_stray *s)
{
	struct xp *c = ctx;
	if (s->kind == MX_STRAY_UNSOLICITED) {
		c->unsolicited++;
		assert_true(c->now - s->resp->ts_us > c->hold);      /* due */
		assert_true(c->prev - s->resp->ts_us <= c->hold);    /* not due before */
	} else {
		c->late_dup++;
		c->late_id = s->resp->id;
	}
}

static void expiry_exact_times(void **state)
{
	(void)state;
	struct xp c;
	memset(&c, 0, sizeof c);
	c.timeout = 1000;
	c.hold = 1000; /* min(1 s, timeout) */
	c.recent = 3000;
	c.state = calloc(XP_IDS, 1);
	c.close_at = calloc(XP_IDS, sizeof *c.close_at);
	assert_non_null(c.state);
	assert_non_null(c.close_at);
	struct mx_txn_opts o;
	mx_txn_opts_default(&o);
	o.answer_timeout_us = c.timeout;
	o.recent_us = c.recent;
	o.max_pending = 4096;
	o.max_recent = 65536;
	struct mx_txn_cb cb = { .ctx = &c, .query = xp_query, .done = xp_done, .stray = xp_stray };
	struct mx_txn_table *t = mx_txn_new(&o, &cb);
	assert_non_null(t);
	static const char *names[] = { "a.example", "b.example", "c.example" };
	static struct mx_dns_msg qs[XP_IDS / 8]; /* the query of each ID, for its response */
	uint32_t rnd = 12345, next_id = 1, unmatched = 60000;
	uint64_t clock = 1 * S;
	for (int step = 0; step < 30000; step++) {
		rnd = rnd * 1103515245u + 12345u;
		clock += (rnd >> 8) % 400;
		rnd = rnd * 1103515245u + 12345u;
		uint32_t r = (rnd >> 8) % 100;
		c.prev = c.now;
		c.now = clock;
		c.late_id = -1;
		c.answered = false;
		if (r < 35 && next_id < XP_IDS / 8) {
			uint16_t id = (uint16_t)next_id++;
			mkq(&qs[id], "192.0.2.10", (uint16_t)(1000 + id % 7), "192.0.2.53", 53, id,
			    names[id % 3], MX_TYPE_A, clock, step + 1);
			mx_txn_observe(t, &qs[id]);
			continue;
		}
		uint16_t id = (uint16_t)(next_id > 40 ? next_id - 1 - (rnd >> 4) % 40 : (rnd >> 4) % next_id);
		if (r < 45 && id && c.state[id] == 1) { /* retransmission */
			qs[id].ts_us = clock;
			mx_txn_observe(t, &qs[id]);
		} else if (r < 80 && id && c.state[id]) { /* a response to it */
			mkr(&r1, &qs[id], NULL, 0, clock, step + 1);
			mx_txn_observe(t, &r1);
			if (c.late_id == id) {
				assert_int_equal(c.state[id], 2);
				assert_true(c.now - c.close_at[id] <= c.recent);
			} else if (!(c.answered && c.state[id] == 2 && c.close_at[id] == c.now)) {
				/* held: only when the close is older than recent_us */
				assert_int_equal(c.state[id], 2);
				assert_true(c.now - c.close_at[id] > c.recent);
			}
		} else if (r < 83) { /* a response to nothing: held, then UNSOLICITED */
			mkq(&r2, "192.0.2.10", 999, "192.0.2.53", 53, (uint16_t)unmatched++, "z.example",
			    MX_TYPE_A, clock, step + 1);
			mkr(&r1, &r2, NULL, 0, clock, step + 1);
			mx_txn_observe(t, &r1);
		} else {
			mx_txn_tick(t, clock);
		}
	}
	/* the script exercised every path */
	assert_true(c.timeouts > 100);
	assert_true(c.unsolicited > 100);
	assert_true(c.late_dup > 100);
	assert_true(c.n_answered > 100);
	const struct mx_txn_stats *st = mx_txn_peek_stats(t);
	assert_int_equal(st->evicted_recent, 0);
	assert_int_equal(st->stray[MX_STRAY_UNSOLICITED], c.unsolicited);
	mx_txn_free(t);
	free(c.state);
	free(c.close_at);
}

/* A full recent ring at an advance that also times a query out: that
 * transaction is remembered before the ring is expired to the new clock, so
 * it evicts the oldest entry (counted) even though that entry also expires
 * by time in the same step. */
static void recent_full_at_timeout(void **state)
{
	(void)state;
	struct mx_txn_opts o;
	mx_txn_opts_default(&o);
	o.answer_timeout_us = 5 * S;
	o.recent_us = 10 * S;
	o.max_recent = 2;
	struct mx_txn_cb cb = { .ctx = R, .query = on_query, .done = on_done, .stray = on_stray };
	struct mx_txn_table *t = mx_txn_new(&o, &cb);
	assert_non_null(t);
	mkq(&q1, "192.0.2.10", 1, "192.0.2.53", 53, 1, "a.example", MX_TYPE_A, 0, 1);
	mx_txn_observe(t, &q1);
	mkr(&r1, &q1, NULL, 0, 0, 2);
	mx_txn_observe(t, &r1); /* A closed at 0 */
	mkq(&q2, "192.0.2.10", 2, "192.0.2.53", 53, 2, "b.example", MX_TYPE_A, 1, 3);
	mx_txn_observe(t, &q2);
	mkr(&r2, &q2, NULL, 0, 1, 4);
	mx_txn_observe(t, &r2); /* B closed at 1 us */
	mkq(&q1, "192.0.2.10", 3, "192.0.2.53", 53, 3, "c.example", MX_TYPE_A, 5 * S + 1, 5);
	mx_txn_observe(t, &q1); /* C, times out at 10 s + 1 */
	mx_txn_tick(t, 10 * S + 1);
	assert_int_equal(R->n_done, 3);
	assert_int_equal(last('d')->x.kind, MX_TXN_TIMEOUT);
	assert_int_equal(mx_txn_peek_stats(t)->evicted_recent, 1); /* A made room for C */
	/* B (closed at 1 us) is still remembered at exactly 10 s + 1: LATE/DUPLICATE */
	mx_txn_observe(t, &r2);
	assert_int_equal(last('s')->s.kind, MX_STRAY_DUPLICATE);
	/* one more microsecond and it is forgotten: held, then UNSOLICITED */
	r2.ts_us = 10 * S + 2;
	size_t n = R->n_stray;
	mx_txn_observe(t, &r2);
	assert_int_equal(R->n_stray, n);
	settle(t, 10 * S + 2);
	assert_int_equal(last('s')->s.kind, MX_STRAY_UNSOLICITED);
	mx_txn_free(t);
}

/* Pending queries that differ only in the server (IPv4, and IPv6 addresses
 * whose first 8 bytes equal an IPv4 one's, so only the family tells them
 * apart) or the server port, with the same client, port, ID and question:
 * each response, in reverse order, answers its own query; an ICMP error
 * without a DNS ID ends the one on its 5-tuple. */
static void many_servers_same_id(void **state)
{
	(void)state;
	struct mx_txn_table *t = mk(0, 0, 1024);
	static struct mx_dns_msg qs[96];
	char srv[64];
	for (int i = 0; i < 96; i++) {
		if (i % 3 == 0)
			snprintf(srv, sizeof srv, "192.0.%d.%d", i / 256, i % 256);
		else if (i % 3 == 1) /* bytes c0 00 0i/256 i%256 then zeros: IPv4's first word */
			snprintf(srv, sizeof srv, "c000:%02x%02x::", (i - 1) / 256, (i - 1) % 256);
		else
			snprintf(srv, sizeof srv, "192.0.%d.%d", (i - 2) / 256, (i - 2) % 256);
		mkq(&qs[i], "192.0.2.10", 40000, srv, (uint16_t)(i % 3 == 2 ? 5353 : 53), 77, "example.com",
		    MX_TYPE_A, 1 * S + (uint64_t)i, (uint64_t)i + 1);
		mx_txn_observe(t, &qs[i]);
	}
	assert_int_equal(mx_txn_pending(t), 96);
	/* ICMP quoting only the UDP header of query 5 (no ID) */
	struct mx_icmp ic;
	memset(&ic, 0, sizeof ic);
	ic.ts_us = 2 * S;
	ic.frame = 1000;
	ic.q_src = qs[5].src;
	ic.q_dst = qs[5].dst;
	ic.q_sport = qs[5].sport;
	ic.q_dport = qs[5].dport;
	mx_txn_observe_icmp(t, &ic);
	assert_int_equal(last('d')->x.kind, MX_TXN_UNREACHABLE);
	assert_int_equal(last('d')->x.q_frame, 6);
	for (int i = 95; i >= 0; i--) {
		if (i == 5)
			continue;
		mkr(&r1, &qs[i], NULL, 0, 3 * S + (uint64_t)i, 2000 + (uint64_t)i);
		mx_txn_observe(t, &r1);
		const struct ev *d = last('d');
		assert_int_equal(d->x.kind, MX_TXN_ANSWERED);
		assert_int_equal(d->x.q_frame, (uint64_t)i + 1);
		assert_int_equal(d->x.r_frame, 2000 + (uint64_t)i);
		assert_true(mx_addr_eq(&d->x.server, &qs[i].dst));
	}
	assert_int_equal(mx_txn_pending(t), 0);
	assert_int_equal(R->n_stray, 0);
	mx_txn_free(t);
}

/* mx_txn_question_hash() hashes the wire bytes directly: the value must stay
 * mx_dname_hash() of the name with the documented seed (other modules key
 * tables on it), for names of every length class and all qtypes/qclasses. */
static void question_hash_is_dname_hash(void **state)
{
	(void)state;
	static const char *names[] = { ".", "a", "ab.c", "example.com", "mail.example.com",
					"x1234567.y1234567.z1234567.example",
					"a.very.long.name.with.many.labels.to.pass.sixty.four.bytes.example.org" };
	static const uint16_t types[] = { 0, 1, 15, 28, 255, 65535 };
	static const uint16_t classes[] = { 1, 3, 255, 65535 };
	struct mx_dname n;
	for (size_t a = 0; a < sizeof names / sizeof names[0]; a++) {
		assert_int_equal(mx_dname_from_text(names[a], &n), 0);
		for (size_t b = 0; b < sizeof types / sizeof types[0]; b++)
			for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
				uint64_t seed = MX_TXN_QUESTION_SEED ^ ((uint64_t)types[b] << 16) ^ classes[c];
				assert_int_equal(mx_txn_question_hash(&n, types[b], classes[c]), mx_dname_hash(&n, seed));
			}
	}
	n.len = 0;
	assert_int_equal(mx_txn_question_hash(&n, 1, 1), mx_dname_hash(&n, MX_TXN_QUESTION_SEED ^ (1ULL << 16) ^ 1));
	/* the inline computation against mx_hash_bytes() for every length (each
	 * tail size 0..7 after 0..31 whole words), distinct bytes everywhere */
	for (unsigned len = 0; len <= MX_DNAME_MAX; len++) {
		memset(&n, 0xee, sizeof n);
		n.len = (uint8_t)len;
		for (unsigned k = 0; k < len; k++)
			n.wire[k] = (uint8_t)(k * 37 + len * 11 + 5);
		for (size_t b = 0; b < sizeof types / sizeof types[0]; b++) {
			uint64_t seed = MX_TXN_QUESTION_SEED ^ ((uint64_t)types[b] << 16) ^ 1u;
			assert_int_equal(mx_txn_question_hash(&n, types[b], 1), mx_hash_bytes(n.wire, len, seed));
		}
	}
}

/* Which fields make a message the same transaction (txn.c msg_match: the
 * key read from the message itself, the client being a query's source and a
 * response's destination): each key field changed on its own, for IPv4 and
 * IPv6, on the query side (a retransmission or a new transaction) and on the
 * response side (answers the query or not, with and without a question). */
enum kf { KF_NONE, KF_CADDR, KF_CPORT, KF_SADDR, KF_SPORT, KF_TRANSPORT, KF_ID, KF_QNAME, KF_QNAME_LEN,
	  KF_QTYPE, KF_QCLASS, KF__COUNT };

/* Change field f of message m, seen from its client's side (resp: m is a
 * response, so the client is its destination). */
static void kf_apply(struct mx_dns_msg *m, enum kf f, bool resp, bool v6)
{
	struct mx_addr other = A(v6 ? "2001:db8::99" : "192.0.2.99");
	switch (f) {
	case KF_NONE: break;
	case KF_CADDR: *(resp ? &m->dst : &m->src) = other; break;
	case KF_CPORT: *(resp ? &m->dport : &m->sport) += 1; break;
	case KF_SADDR: *(resp ? &m->src : &m->dst) = other; break;
	case KF_SPORT: *(resp ? &m->sport : &m->dport) += 1; break;
	case KF_TRANSPORT: m->transport = 6; break;
	case KF_ID: m->id ^= 0x0100; break;
	case KF_QNAME: assert_int_equal(mx_dname_from_text("mail.example.con", &m->qname), 0); break;
	case KF_QNAME_LEN: assert_int_equal(mx_dname_from_text("mail.example.co", &m->qname), 0); break;
	case KF_QTYPE: m->qtype++; break;
	case KF_QCLASS: m->qclass = 3; break;
	case KF__COUNT: break;
	}
}

static void each_key_field_decides_match(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (int f = KF_NONE; f < KF__COUNT; f++) {
			const char *cli = v6 ? "2001:db8::10" : "192.0.2.10";
			const char *srv = v6 ? "2001:db8::53" : "192.0.2.53";
			bool question_field = f >= KF_QNAME;
			/* query side: the same key again is a retransmission */
			struct mx_txn_table *t = mk(0, 0, 0);
			mkq(&q1, cli, 40000, srv, 53, 0x1234, "mail.example.com", MX_TYPE_MX, 10 * S, 1);
			mx_txn_observe(t, &q1);
			q2 = q1;
			q2.ts_us = 11 * S;
			q2.frame = 2;
			kf_apply(&q2, (enum kf)f, false, v6);
			mx_txn_observe(t, &q2);
			assert_int_equal(last('q')->retransmit, f == KF_NONE);
			assert_int_equal(mx_txn_peek_stats(t)->transactions, f == KF_NONE ? 1 : 2);
			mx_txn_free(t);
			/* response side, with its question and without one */
			for (int noq = 0; noq < 2; noq++) {
				R->n = R->n_done = R->n_q = R->n_stray = 0;
				t = mk(0, 0, 0);
				mx_txn_observe(t, &q1);
				mkr(&r1, &q1, NULL, 0, 12 * S, 3);
				kf_apply(&r1, (enum kf)f, true, v6);
				if (noq) {
					r1.has_question = false;
					r1.qdcount = 0;
				}
				mx_txn_observe(t, &r1);
				bool match = f == KF_NONE || (noq && question_field);
				assert_int_equal(mx_txn_peek_stats(t)->answered, match);
				assert_int_equal(mx_txn_pending(t), !match);
				if (match) {
					const struct ev *d = last('d');
					assert_non_null(d);
					assert_int_equal(d->x.seq, 1);
					assert_int_equal(d->x.r_frame, 3);
				}
				mx_txn_free(t);
			}
			R->n = R->n_done = R->n_q = R->n_stray = 0;
		}
}

/* mx_txn_name_copy() (txn.h) gives what mx_dname_copy() gives for every
 * length 0..255 and the boundaries of its block copies (30/31, 62/63), with
 * other bytes past len in the source and stale bytes in the destination. */
static void name_copy_matches_dname_copy(void **state)
{
	(void)state;
	struct mx_dname src, a, b;
	for (unsigned len = 0; len <= MX_DNAME_MAX; len++) {
		for (unsigned fill = 0; fill < 2; fill++) {
			memset(&src, fill ? 0xa5 : 0x00, sizeof src);
			src.len = (uint8_t)len;
			src.labels = (uint8_t)(len / 3);
			for (unsigned k = 0; k < len; k++)
				src.wire[k] = (uint8_t)(k * 7 + len + 1);
			memset(&a, 0x5a, sizeof a);
			memset(&b, 0x3c, sizeof b);
			mx_dname_copy(&a, &src);
			mx_txn_name_copy(&b, &src);
			assert_int_equal(b.len, a.len);
			assert_int_equal(b.labels, a.labels);
			for (unsigned k = 0; k < len; k++)
				assert_int_equal(b.wire[k], src.wire[k]);
			assert_true(mx_dname_eq(&a, &b));
			assert_int_equal(mx_dname_hash(&a, 7), mx_dname_hash(&b, 7));
		}
	}
}

/* The recent ring over more than one chunk (1024 entries each; the last one
 * partial when max_recent is not a multiple) and after it wraps: every
 * remembered transaction is found again (DUPLICATE, its own seq), the oldest
 * beyond max_recent are forgotten (evicted_recent, then UNSOLICITED). */
static void recent_ring_chunks_and_wrap(void **state)
{
	(void)state;
	enum { MAXR = 1500, N = 2200 };
	struct mx_txn_table *t = mk(0, 0, MAXR);
	static struct mx_dns_msg qs[N];
	for (unsigned i = 0; i < N; i++) {
		mkq(&qs[i], "192.0.2.10", (uint16_t)(10000 + i), "192.0.2.53", 53, (uint16_t)i, "mail.example.com",
		    MX_TYPE_A, 10 * S + i, 1 + i);
		mx_txn_observe(t, &qs[i]);
		mkr(&r1, &qs[i], NULL, 0, 10 * S + i, 10000 + i);
		mx_txn_observe(t, &r1);
	}
	assert_int_equal(mx_txn_peek_stats(t)->answered, N);
	assert_int_equal(mx_txn_peek_stats(t)->evicted_recent, N - MAXR);
	R->n = 0; /* the event log holds MAXEV: start it again for the strays */
	for (unsigned i = N; i-- > 0;) {
		size_t before = R->n_stray;
		mkr(&r1, &qs[i], NULL, 0, 11 * S, 20000 + i);
		mx_txn_observe(t, &r1);
		if (i >= N - MAXR) {
			assert_int_equal(R->n_stray, before + 1);
			const struct ev *e = last('s');
			assert_non_null(e);
			assert_int_equal(e->s.kind, MX_STRAY_DUPLICATE);
			assert_int_equal(e->s.txn_seq, i + 1);
			assert_int_equal(e->s.q_frame, 1 + i);
		}
	}
	assert_int_equal(mx_txn_peek_stats(t)->stray[MX_STRAY_DUPLICATE], MAXR);
	settle(t, 11 * S);
	assert_int_equal(mx_txn_peek_stats(t)->stray[MX_STRAY_UNSOLICITED], N - MAXR);
	mx_txn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(simple_match_latency, setup, teardown),
		cmocka_unit_test_setup_teardown(retransmit_same_id, setup, teardown),
		cmocka_unit_test_setup_teardown(response_without_question, setup, teardown),
		cmocka_unit_test_setup_teardown(question_compared_0x20, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_boundary_and_late, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_and_unsolicited, setup, teardown),
		cmocka_unit_test_setup_teardown(multicast_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(tcp_multi_message_and_questionless, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_source, setup, teardown),
		cmocka_unit_test_setup_teardown(expects_wrong_source, setup, teardown),
		cmocka_unit_test_setup_teardown(icmp_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(finish_pending_vs_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(finish_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(eviction_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(response_before_query, setup, teardown),
		cmocka_unit_test_setup_teardown(held_responses_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(not_tracked, setup, teardown),
		cmocka_unit_test_setup_teardown(clock_never_goes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(names, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_exact_times, setup, teardown),
		cmocka_unit_test_setup_teardown(recent_full_at_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(many_servers_same_id, setup, teardown),
		cmocka_unit_test_setup_teardown(question_hash_is_dname_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(each_key_field_decides_match, setup, teardown),
		cmocka_unit_test_setup_teardown(name_copy_matches_dname_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(recent_ring_chunks_and_wrap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
