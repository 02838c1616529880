/* test_lookup.c - L4 lookups: grouping of retransmissions, failover and
 * TC -> TCP, closing rules, the cap and deterministic order, driven by
 * scripted transactions (struct mx_txn filled directly; no txn table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/lookup.h"
#include "mxsniff/txn.h"

#define S 1000000ULL
#define MAXL 256

struct rec {
	struct mx_lookup l[MAXL];
	bool had_answer[MAXL];
	char ede_text[MAXL][MX_DNS_EDE_TEXT]; /* l->ede_text as lent ("" for NULL) */
	size_t n;
};

static struct rec *R;

static void on_done(void *ctx, const struct mx_lookup *l)
{
	struct rec *r = ctx;
	if (r->n < MAXL) {
		r->had_answer[r->n] = l->answer != NULL;
		r->l[r->n] = *l;
		r->l[r->n].answer = NULL;
		snprintf(r->ede_text[r->n], sizeof r->ede_text[r->n], "%s", l->ede_text ? l->ede_text : "");
		r->l[r->n].ede_text = NULL;
		r->n++;
	}
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

static struct mx_lookup_table *mk(size_t max_open)
{
	struct mx_lookup_opts o;
	mx_lookup_opts_default(&o);
	assert_int_equal(o.retx_gap_us, 45 * S);
	assert_int_equal(o.answer_timeout_us, 5 * S);
	if (max_open)
		o.max_open = max_open;
	struct mx_lookup_cb cb = { .ctx = R, .done = on_done };
	struct mx_lookup_table *t = mx_lookup_new(&o, &cb);
	assert_non_null(t);
	return t;
}

static struct mx_addr A(const char *s)
{
	struct mx_addr a;
	assert_int_equal(mx_addr_parse(s, &a), 0);
	return a;
}

static uint64_t next_seq;

/* A fresh transaction as txn.c would give it to the query callback. */
static struct mx_txn T(const char *cli, uint16_t cport, const char *srv, uint8_t transport, const char *qname,
		       uint16_t qtype, uint64_t ts, uint64_t frame)
{
	struct mx_txn x;
	memset(&x, 0, sizeof x);
	x.seq = ++next_seq;
	x.kind = MX_TXN_OPEN;
	x.client = A(cli);
	x.server = A(srv);
	x.cport = cport;
	x.sport = 53;
	x.transport = transport;
	x.id = (uint16_t)(0x1000 + x.seq);
	assert_int_equal(mx_dname_from_text(qname, &x.qname), 0);
	x.qtype = qtype;
	x.qclass = 1;
	x.rd = true;
	x.q_ts = x.last_q_ts = ts;
	x.q_frame = frame;
	x.sends = 1;
	x.n_q_frames = 1;
	x.q_frames[0] = frame;
	x.outcome = MX_O_TIMEOUT;
	x.ede = 0xffff;
	return x;
}

static void answered(struct mx_txn *x, enum mx_outcome o, uint16_t rcode, uint64_t ts, uint64_t frame,
		     const struct mx_dns_msg *resp)
{
	x->kind = MX_TXN_ANSWERED;
	x->outcome = o;
	x->rcode = rcode;
	x->r_ts = ts;
	x->r_frame = frame;
	x->latency_us = ts - x->q_ts;
	x->resp = resp;
}

static void timed_out(struct mx_txn *x)
{
	x->kind = MX_TXN_TIMEOUT;
	x->outcome = MX_O_TIMEOUT;
}

static void glibc_two_sends(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	/* glibc, one server, attempts:2: the second send 5 s later on a new port and ID */
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mail.example", MX_TYPE_MX, 100 * S, 1);
	a.q_edns = true;
	mx_lookup_observe_query(t, &a, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 0); /* a timeout does not close */
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.53", 17, "mail.example", MX_TYPE_MX, 105 * S, 9);
	mx_lookup_observe_query(t, &b, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	answered(&b, MX_O_ANSWER, 0, 105 * S + 20000, 10, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_int_equal(l->outcome, MX_O_ANSWER);
	assert_int_equal(l->attempts, 2);
	assert_int_equal(l->n_tries, 2);
	assert_int_equal(l->tries_total, 2);
	assert_false(l->failover);
	assert_int_equal(l->n_resolvers, 1);
	assert_int_equal(l->first_us, 100 * S);
	assert_int_equal(l->last_us, 105 * S + 20000);
	assert_int_equal(l->latency_us, 5 * S + 20000);
	assert_int_equal(l->decided_frame, 10);
	assert_int_equal(l->tries[0].outcome, MX_O_TIMEOUT);
	assert_false(l->tries[0].open);
	assert_int_equal(l->tries[0].sport, 40000);
	assert_int_equal(l->tries[1].outcome, MX_O_ANSWER);
	assert_int_equal(l->tries[1].r_frame, 10);
	assert_int_equal(l->tries[1].latency_us, 20000);
	assert_true(l->rd);
	assert_true(l->q_edns);
	assert_false(l->evicted);
	assert_false(l->pending_at_end);
	assert_int_equal(l->qtype, MX_TYPE_MX);
	assert_int_equal(l->seq, 1);
	assert_int_equal(mx_lookup_open_count(t), 0);
	const struct mx_lookup_stats *st = mx_lookup_peek_stats(t);
	assert_int_equal(st->lookups, 1);
	assert_int_equal(st->by_outcome[MX_O_ANSWER], 1);
	mx_lookup_free(t);
	mx_lookup_free(NULL);
}

static void retransmit_same_txn(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "example.com", MX_TYPE_A, 1 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	a.sends = 2;
	a.last_q_ts = 2 * S;
	mx_lookup_observe_query(t, &a, true);
	a.sends = 3;
	a.last_q_ts = 3 * S;
	mx_lookup_observe_query(t, &a, true);
	answered(&a, MX_O_NODATA, 0, 3 * S + 5, 4, NULL);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_NODATA);
	assert_int_equal(R->l[0].attempts, 3);
	assert_int_equal(R->l[0].n_tries, 1);
	assert_int_equal(R->l[0].tries[0].sends, 3);
	assert_int_equal(R->l[0].latency_us, 2 * S + 5);
	mx_lookup_free(t);
}

static void failover_timeout_then_answer(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx1.example", MX_TYPE_AAAA, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	struct mx_txn b = T("192.0.2.10", 40000, "198.51.100.53", 17, "mx1.example", MX_TYPE_AAAA, 5 * S, 2);
	mx_lookup_observe_query(t, &b, false);
	static struct mx_dns_msg resp;
	memset(&resp, 0, sizeof resp);
	resp.an_qtype = 2;
	answered(&b, MX_O_ANSWER, 0, 5 * S + 300, 3, &resp);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_int_equal(l->outcome, MX_O_ANSWER);
	assert_true(l->failover);
	assert_int_equal(l->n_resolvers, 2);
	assert_true(mx_addr_eq(&l->resolvers[0], &a.server));
	assert_true(mx_addr_eq(&l->resolvers[1], &b.server));
	assert_true(R->had_answer[0]);
	assert_int_equal(l->an_qtype, 2);
	assert_int_equal(l->ede, 0xffff);
	mx_lookup_free(t);
}

static void servfail_twice(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "broken.example", MX_TYPE_MX, 10 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	a.ede = 6; /* DNSSEC Bogus */
	static struct mx_dns_msg ra;
	memset(&ra, 0, sizeof ra);
	ra.has_ede = true;
	ra.ede_code = 6;
	snprintf(ra.ede_text, sizeof ra.ede_text, "validation failure <broken.example. MX IN>");
	answered(&a, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 10 * S + 800, 2, &ra);
	mx_lookup_observe_done(t, &a);
	memset(&ra, 0, sizeof ra); /* the message buffer is reused */
	assert_int_equal(R->n, 0); /* SERVFAIL moves to the next server, lookup stays open */
	struct mx_txn b = T("192.0.2.10", 40001, "198.51.100.53", 17, "broken.example", MX_TYPE_MX, 10 * S + 900,
			    3);
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 10 * S + 1500, 4, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 0);
	/* closes once idle for retx_gap: not at exactly the gap, just after */
	mx_lookup_tick(t, 10 * S + 900 + 45 * S);
	assert_int_equal(R->n, 0);
	mx_lookup_tick(t, 10 * S + 900 + 45 * S + 1);
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_int_equal(l->outcome, MX_O_SERVFAIL);
	assert_int_equal(l->attempts, 2);
	assert_true(l->failover);
	assert_false(R->had_answer[0]); /* the deciding message is gone */
	/* decided by the earliest SERVFAIL, digest kept */
	assert_int_equal(l->decided_frame, 2);
	assert_int_equal(l->latency_us, 800);
	assert_int_equal(l->ede, 6);
	assert_int_equal(l->tries[0].rcode, MX_RCODE_SERVFAIL);
	assert_int_equal(l->tries[0].ede, 6);
	assert_int_equal(l->tries[1].ede, 0xffff);
	/* the EDE text of the deciding response is lent to the callback,
	 * though the message is long gone */
	assert_string_equal(R->ede_text[0], "validation failure <broken.example. MX IN>");
	assert_int_equal(mx_lookup_peek_stats(t)->by_outcome[MX_O_SERVFAIL], 1);
	/* the slot's next lookup does not inherit it */
	struct mx_txn c = T("192.0.2.10", 40002, "192.0.2.53", 17, "other.example", MX_TYPE_MX, 100 * S, 5);
	mx_lookup_observe_query(t, &c, false);
	answered(&c, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 100 * S + 500, 6, NULL);
	mx_lookup_observe_done(t, &c);
	mx_lookup_finish(t, 200 * S);
	assert_int_equal(R->n, 2);
	assert_string_equal(R->ede_text[1], "");
	mx_lookup_free(t);
}

static void tc_then_tcp(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "big.example", MX_TYPE_TXT, 1 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	answered(&a, MX_O_TRUNCATED, 0, 1 * S + 100, 2, NULL);
	a.tc = true;
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 0);
	struct mx_txn b = T("192.0.2.10", 51000, "192.0.2.53", 6, "big.example", MX_TYPE_TXT, 1 * S + 200, 5);
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_ANSWER, 0, 1 * S + 900, 7, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_true(l->tcp_retry);
	assert_false(l->failover);
	assert_int_equal(l->outcome, MX_O_ANSWER);
	assert_true(l->tries[0].tc);
	assert_int_equal(l->tries[0].transport, 17);
	assert_int_equal(l->tries[1].transport, 6);
	assert_int_equal(l->latency_us, 900);

	/* TC=1 and no TCP retry: final outcome TRUNCATED, no tcp_retry */
	struct mx_txn c = T("192.0.2.10", 40000, "192.0.2.53", 17, "big2.example", MX_TYPE_TXT, 2 * S, 10);
	mx_lookup_observe_query(t, &c, false);
	answered(&c, MX_O_TRUNCATED, 0, 2 * S + 100, 11, NULL);
	c.tc = true;
	mx_lookup_observe_done(t, &c);
	mx_lookup_finish(t, 3 * S);
	assert_int_equal(R->n, 2);
	assert_int_equal(R->l[1].outcome, MX_O_TRUNCATED);
	assert_false(R->l[1].tcp_retry);
	assert_false(R->l[1].pending_at_end); /* a response decided it */
	mx_lookup_free(t);
}

/* A failure decided by a response (SERVFAIL, REFUSED) and re-asked at
 * once is one lookup (a stub's retry); asked again seconds later, with no
 * try outstanding, it is the next delivery's lookup. */
static void reask_after_response(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx.example.com", MX_TYPE_AAAA, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	answered(&a, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 300, 2, NULL);
	mx_lookup_observe_done(t, &a);
	/* glibc's re-ask 1 ms later: the same lookup */
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.53", 18, "mx.example.com", MX_TYPE_AAAA, 1000, 3);
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 1300, 4, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(mx_lookup_open_count(t), 1);
	assert_int_equal(R->n, 0);
	/* the next delivery 12 s later: the first lookup closes, a new one opens */
	struct mx_txn c = T("192.0.2.10", 40002, "192.0.2.53", 19, "mx.example.com", MX_TYPE_AAAA, 12 * S, 5);
	mx_lookup_observe_query(t, &c, false);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_SERVFAIL);
	assert_int_equal(R->l[0].attempts, 2);
	assert_int_equal(mx_lookup_open_count(t), 1);
	/* while a try is outstanding a later query still joins (failover) */
	struct mx_txn d = T("192.0.2.10", 40003, "192.0.2.54", 20, "mx.example.com", MX_TYPE_AAAA, 20 * S, 6);
	mx_lookup_observe_query(t, &d, false);
	assert_int_equal(R->n, 1);
	assert_int_equal(mx_lookup_open_count(t), 1);
	mx_lookup_finish(t, 60 * S);
	assert_int_equal(R->n, 2);
	assert_int_equal(R->l[1].tries_total, 2);
	mx_lookup_free(t);
}

/* musl re-sends its query every timeout/attempts seconds (4 s with
 * options timeout:8) to every server, the same DNS ID from the same port,
 * even after a SERVFAIL: a re-send, not a new delivery's query, however
 * long after the failure; a query with a new ID is. */
static void reask_rule_spares_resends(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx.example.com", MX_TYPE_AAAA, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	answered(&a, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 300, 2, NULL);
	mx_lookup_observe_done(t, &a);
	struct mx_txn b = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx.example.com", MX_TYPE_AAAA, 4 * S, 3);
	b.id = a.id; /* the same query again, 4 s later */
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 4 * S + 300, 4, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 0);
	assert_int_equal(mx_lookup_open_count(t), 1);
	/* to the other server too */
	struct mx_txn c = T("192.0.2.10", 40000, "192.0.2.54", 17, "mx.example.com", MX_TYPE_AAAA, 8 * S, 5);
	c.id = a.id;
	mx_lookup_observe_query(t, &c, false);
	answered(&c, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 8 * S + 300, 6, NULL);
	mx_lookup_observe_done(t, &c);
	assert_int_equal(R->n, 0);
	/* a new ID from the same port 4 s on: the next delivery's lookup */
	struct mx_txn d = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx.example.com", MX_TYPE_AAAA, 12 * S, 7);
	mx_lookup_observe_query(t, &d, false);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].tries_total, 3);
	assert_int_equal(R->l[0].outcome, MX_O_SERVFAIL);
	mx_lookup_finish(t, 60 * S);
	mx_lookup_free(t);
}

/* musl sends one query to every nameserver (the same ID and port); when
 * the first server's answer closes the lookup before the last copy leaves,
 * that copy belongs to the closed lookup (its result is an orphan) instead
 * of opening a lookup of its own; a query with another ID, or the same one
 * more than 1 s later, still opens one. */
static void copy_after_close_joins_nothing(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx1.example.test", MX_TYPE_A, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	answered(&a, MX_O_ANSWER, 0, 100, 2, NULL);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 1);
	struct mx_txn b = T("192.0.2.10", 40000, "192.0.2.56", 17, "mx1.example.test", MX_TYPE_A, 105, 3);
	b.id = a.id;
	mx_lookup_observe_query(t, &b, false);
	assert_int_equal(mx_lookup_open_count(t), 0);
	answered(&b, MX_O_ANSWER, 0, 300, 4, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 1);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 1);
	/* another ID at once: a lookup */
	struct mx_txn c = T("192.0.2.10", 40000, "192.0.2.56", 17, "mx1.example.test", MX_TYPE_A, 400, 5);
	mx_lookup_observe_query(t, &c, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	answered(&c, MX_O_ANSWER, 0, 500, 6, NULL);
	mx_lookup_observe_done(t, &c);
	assert_int_equal(R->n, 2);
	/* the first query's ID and port again 2 s later: a lookup */
	struct mx_txn d = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx1.example.test", MX_TYPE_A, 2 * S, 7);
	d.id = a.id;
	mx_lookup_observe_query(t, &d, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	mx_lookup_finish(t, 60 * S);
	assert_int_equal(R->n, 3);
	mx_lookup_free(t);
}

static void new_lookup_after_gap(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "example.com", MX_TYPE_MX, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	/* 45 s exactly after an unanswered try: still the same lookup */
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.53", 17, "example.com", MX_TYPE_MX, 45 * S, 3);
	mx_lookup_observe_query(t, &b, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	timed_out(&b);
	mx_lookup_observe_done(t, &b);
	/* 60 s after that: a new lookup (no tick in between) */
	struct mx_txn c = T("192.0.2.10", 40002, "192.0.2.53", 17, "example.com", MX_TYPE_MX, 105 * S, 4);
	mx_lookup_observe_query(t, &c, false);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_TIMEOUT);
	assert_int_equal(R->l[0].attempts, 2);
	assert_int_equal(mx_lookup_open_count(t), 1);
	/* other client, qtype or class: other lookups */
	struct mx_txn d = T("192.0.2.11", 40002, "192.0.2.53", 17, "example.com", MX_TYPE_MX, 105 * S, 5);
	mx_lookup_observe_query(t, &d, false);
	struct mx_txn e = T("192.0.2.10", 40002, "192.0.2.53", 17, "example.com", MX_TYPE_A, 105 * S, 6);
	mx_lookup_observe_query(t, &e, false);
	struct mx_txn f = T("192.0.2.10", 40002, "192.0.2.53", 17, "example.com", MX_TYPE_MX, 105 * S, 7);
	f.qclass = 3;
	mx_lookup_observe_query(t, &f, false);
	assert_int_equal(mx_lookup_open_count(t), 4);
	answered(&c, MX_O_ANSWER, 0, 105 * S + 10, 8, NULL);
	mx_lookup_observe_done(t, &c);
	assert_int_equal(R->n, 2);
	assert_int_equal(R->l[1].attempts, 1);
	assert_int_equal(R->l[1].seq, 2);
	assert_int_equal(R->l[1].first_us, 105 * S);
	assert_int_equal(mx_lookup_open_count(t), 3);
	mx_lookup_free(t);
}

static void nxdomain_closes_now(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "nope.example", MX_TYPE_MX, 1 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	static struct mx_dns_msg resp;
	memset(&resp, 0, sizeof resp);
	resp.has_soa = true;
	resp.neg_ttl = 900;
	answered(&a, MX_O_NXDOMAIN, MX_RCODE_NXDOMAIN, 1 * S + 42, 2, &resp);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 1);
	assert_true(R->had_answer[0]);
	assert_int_equal(R->l[0].outcome, MX_O_NXDOMAIN);
	assert_true(R->l[0].has_soa);
	assert_int_equal(R->l[0].neg_ttl, 900);
	assert_int_equal(R->l[0].latency_us, 42);
	assert_int_equal(mx_lookup_open_count(t), 0);
	/* a result for that lookup arriving later is an orphan */
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.54", 17, "nope.example", MX_TYPE_MX, 1 * S + 1, 3);
	answered(&b, MX_O_NXDOMAIN, MX_RCODE_NXDOMAIN, 1 * S + 50, 4, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 1);
	assert_int_equal(R->n, 1);
	mx_lookup_free(t);
}

/* A response after answer_timeout (txn's LATE stray) is noted on its try
 * while the lookup is open; a stray for another question, a closed lookup
 * or a slot reused by a later lookup carries nothing. */
static void late_response_on_try(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "mx.late.example", MX_TYPE_AAAA, 1 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	static struct mx_dns_msg resp, other;
	memset(&resp, 0, sizeof resp);
	resp.frame = 7;
	resp.ts_us = 11 * S;
	resp.src = A("192.0.2.53");
	resp.dst = A("192.0.2.10");
	resp.has_question = true;
	assert_int_equal(mx_dname_from_text("mx.late.example", &resp.qname), 0);
	resp.qtype = MX_TYPE_AAAA;
	resp.qclass = 1;
	resp.rcode = MX_RCODE_SERVFAIL;
	other = resp;
	other.qtype = MX_TYPE_A;
	other.frame = 8;
	struct mx_stray st = { .kind = MX_STRAY_LATE, .resp = &other, .txn_seq = a.seq, .q_frame = 1,
			       .q_ts = 1 * S, .latency_us = 10 * S };
	mx_lookup_observe_stray(t, &st);      /* another question: no lookup */
	st.resp = &resp;
	st.kind = MX_STRAY_DUPLICATE;
	mx_lookup_observe_stray(t, &st);      /* not late */
	st.kind = MX_STRAY_LATE;
	mx_lookup_observe_stray(t, &st);
	assert_int_equal(mx_lookup_peek_stats(t)->late_kept, 1);
	mx_lookup_tick(t, 100 * S);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_TIMEOUT);
	assert_int_equal(R->l[0].tries[0].outcome, MX_O_TIMEOUT);
	assert_int_equal(R->l[0].tries[0].late_frame, 7);
	assert_int_equal(R->l[0].tries[0].late_rcode, MX_RCODE_SERVFAIL);
	assert_int_equal(R->l[0].tries[0].late_latency_us, 10 * S);
	/* closed: a later stray is not kept */
	mx_lookup_observe_stray(t, &st);
	assert_int_equal(mx_lookup_peek_stats(t)->late_kept, 1);
	/* the freed slot serves the next lookup without the old late response */
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.53", 17, "mx.other.example", MX_TYPE_A, 200 * S, 9);
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_ANSWER, 0, 200 * S + 5, 10, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 2);
	assert_int_equal(R->l[1].tries[0].late_frame, 0);
	assert_int_equal(R->l[1].tries[0].late_rcode, 0);
	mx_lookup_free(t);
}

static void open_try_at_close(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	/* parallel queries to two servers; the second answers first */
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "example.com", MX_TYPE_A, 1 * S, 1);
	mx_lookup_observe_query(t, &a, false);
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.54", 17, "example.com", MX_TYPE_A, 1 * S + 10, 2);
	mx_lookup_observe_query(t, &b, false);
	answered(&b, MX_O_ANSWER, 0, 1 * S + 100, 3, NULL);
	mx_lookup_observe_done(t, &b);
	assert_int_equal(R->n, 1);
	assert_true(R->l[0].tries[0].open);
	assert_int_equal(R->l[0].tries[0].outcome, MX_O_TIMEOUT);
	assert_false(R->l[0].tries[1].open);
	/* the slow one reports later: ignored */
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 1);
	/* a new lookup for the same question: the old txn's result is an orphan too */
	struct mx_txn c = T("192.0.2.10", 40002, "192.0.2.53", 17, "example.com", MX_TYPE_A, 2 * S, 4);
	mx_lookup_observe_query(t, &c, false);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 2);
	assert_int_equal(mx_lookup_open_count(t), 1);
	mx_lookup_free(t);
}

static void tick_waits_for_open_try(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "slow.example", MX_TYPE_MX, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	mx_lookup_tick(t, 100 * S); /* past the gap but the txn has not reported */
	assert_int_equal(R->n, 0);
	assert_int_equal(mx_lookup_open_count(t), 1);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_TIMEOUT);
	assert_int_equal(R->l[0].latency_us, 0);
	assert_int_equal(R->l[0].decided_frame, 0);
	assert_false(R->l[0].tries[0].open);
	assert_int_equal(mx_lookup_open_count(t), 0);
	assert_int_equal(mx_lookup_peek_stats(t)->by_outcome[MX_O_TIMEOUT], 1);
	mx_lookup_free(t);
}

static void pending_at_end(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	/* L1: one try timed out, the second still inside its timeout at the end */
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 17, "a.example", MX_TYPE_A, 0, 1);
	mx_lookup_observe_query(t, &a, false);
	timed_out(&a);
	mx_lookup_observe_done(t, &a);
	struct mx_txn b = T("192.0.2.10", 40001, "192.0.2.53", 17, "a.example", MX_TYPE_A, 5 * S, 2);
	mx_lookup_observe_query(t, &b, false);
	/* L2: asked at 1 s, timed out, nothing since */
	struct mx_txn c = T("192.0.2.10", 40002, "192.0.2.53", 17, "b.example", MX_TYPE_A, 1 * S, 3);
	mx_lookup_observe_query(t, &c, false);
	timed_out(&c);
	mx_lookup_observe_done(t, &c);
	/* L3: SERVFAIL and an open try inside the timeout: decided by a response */
	struct mx_txn d = T("192.0.2.10", 40003, "192.0.2.53", 17, "c.example", MX_TYPE_A, 7 * S, 4);
	mx_lookup_observe_query(t, &d, false);
	answered(&d, MX_O_SERVFAIL, 2, 7 * S + 10, 5, NULL);
	mx_lookup_observe_done(t, &d);
	struct mx_txn e = T("192.0.2.10", 40004, "192.0.2.54", 17, "c.example", MX_TYPE_A, 7 * S + 20, 6);
	mx_lookup_observe_query(t, &e, false);
	/* txn finish reports PENDING first */
	b.kind = MX_TXN_PENDING;
	mx_lookup_observe_done(t, &b);
	e.kind = MX_TXN_PENDING;
	mx_lookup_observe_done(t, &e);
	mx_lookup_finish(t, 8 * S);
	assert_int_equal(R->n, 3);
	assert_int_equal(R->l[0].seq, 1);
	assert_true(R->l[0].pending_at_end);
	assert_int_equal(R->l[0].outcome, MX_O_TIMEOUT);
	assert_true(R->l[0].tries[1].open); /* PENDING is not a result */
	assert_false(R->l[0].tries[0].open);
	assert_int_equal(R->l[1].seq, 2);
	assert_false(R->l[1].pending_at_end);
	assert_int_equal(R->l[2].outcome, MX_O_SERVFAIL);
	assert_false(R->l[2].pending_at_end);
	assert_true(R->l[2].tries[1].open);
	const struct mx_lookup_stats *st = mx_lookup_peek_stats(t);
	assert_int_equal(st->pending_at_end, 1);
	assert_int_equal(st->lookups, 3);
	assert_int_equal(st->by_outcome[MX_O_TIMEOUT], 2);
	assert_int_equal(mx_lookup_open_count(t), 0);
	mx_lookup_free(t);
}

static void eviction_cap(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(4);
	struct mx_txn x[10];
	for (int i = 0; i < 10; i++) {
		char name[32];
		name[0] = (char)('a' + i);
		memcpy(name + 1, ".example", 9);
		x[i] = T("192.0.2.10", (uint16_t)(40000 + i), "192.0.2.53", 17, name, MX_TYPE_A, (uint64_t)i * S,
			 (uint64_t)i + 1);
		mx_lookup_observe_query(t, &x[i], false);
		assert_true(mx_lookup_open_count(t) <= 4);
	}
	assert_int_equal(mx_lookup_open_count(t), 4);
	assert_int_equal(R->n, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(R->l[i].seq, i + 1); /* oldest first */
		assert_true(R->l[i].evicted);
		assert_true(R->l[i].tries[0].open);
	}
	const struct mx_lookup_stats *st = mx_lookup_peek_stats(t);
	assert_int_equal(st->evicted, 6);
	/* the evicted lookups' results are orphans; the survivors' are not */
	answered(&x[0], MX_O_ANSWER, 0, 20 * S, 100, NULL);
	mx_lookup_observe_done(t, &x[0]);
	assert_int_equal(st->orphan_results, 1);
	answered(&x[9], MX_O_ANSWER, 0, 20 * S, 101, NULL);
	mx_lookup_observe_done(t, &x[9]);
	assert_int_equal(st->orphan_results, 1);
	assert_int_equal(R->n, 7);
	assert_false(R->l[6].evicted);
	assert_int_equal(mx_lookup_open_count(t), 3);
	mx_lookup_finish(t, 21 * S);
	assert_int_equal(R->n, 10);
	assert_int_equal(st->lookups, 10);
	mx_lookup_free(t);
}

static void deterministic_order(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	/* A at 0, B at 1 s, C at 2 s; A asked again at 3 s: the time list is B C A */
	struct mx_txn a = T("192.0.2.10", 1, "192.0.2.53", 17, "a.example", MX_TYPE_A, 0, 1);
	struct mx_txn b = T("192.0.2.10", 2, "192.0.2.53", 17, "b.example", MX_TYPE_A, 1 * S, 2);
	struct mx_txn c = T("192.0.2.10", 3, "192.0.2.53", 17, "c.example", MX_TYPE_A, 2 * S, 3);
	mx_lookup_observe_query(t, &a, false);
	mx_lookup_observe_query(t, &b, false);
	mx_lookup_observe_query(t, &c, false);
	struct mx_txn a2 = T("192.0.2.10", 4, "192.0.2.53", 17, "a.example", MX_TYPE_A, 3 * S, 4);
	mx_lookup_observe_query(t, &a2, false);
	timed_out(&a);
	timed_out(&b);
	timed_out(&c);
	timed_out(&a2);
	mx_lookup_observe_done(t, &c);
	mx_lookup_observe_done(t, &a2);
	mx_lookup_observe_done(t, &b);
	mx_lookup_observe_done(t, &a);
	/* all three close in one tick: in order of first query */
	mx_lookup_tick(t, 100 * S);
	assert_int_equal(R->n, 3);
	assert_int_equal(R->l[0].seq, 1);
	assert_int_equal(R->l[0].attempts, 2);
	assert_int_equal(R->l[1].seq, 2);
	assert_int_equal(R->l[2].seq, 3);
	/* and the same at finish */
	struct mx_txn d = T("192.0.2.10", 5, "192.0.2.53", 17, "d.example", MX_TYPE_A, 200 * S, 5);
	struct mx_txn e = T("192.0.2.10", 6, "192.0.2.53", 17, "e.example", MX_TYPE_A, 201 * S, 6);
	mx_lookup_observe_query(t, &d, false);
	mx_lookup_observe_query(t, &e, false);
	struct mx_txn d2 = T("192.0.2.10", 7, "192.0.2.53", 17, "d.example", MX_TYPE_A, 202 * S, 7);
	mx_lookup_observe_query(t, &d2, false);
	mx_lookup_finish(t, 203 * S);
	assert_int_equal(R->n, 5);
	assert_int_equal(R->l[3].seq, 4);
	assert_true(mx_dname_eq(&R->l[3].qname, &d.qname));
	assert_int_equal(R->l[4].seq, 5);
	assert_true(R->l[3].pending_at_end);
	mx_lookup_tick(t, 1000 * S); /* nothing left */
	assert_int_equal(R->n, 5);
	mx_lookup_free(t);
}

static void many_tries(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn x[MX_LOOKUP_MAX_TRIES + 3];
	const char *srv[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6" };
	for (int i = 0; i < MX_LOOKUP_MAX_TRIES + 3; i++) {
		x[i] = T("192.0.2.10", (uint16_t)(1000 + i), srv[i % 6], 17, "x.example", MX_TYPE_MX,
			 (uint64_t)i * S, (uint64_t)i + 1);
		mx_lookup_observe_query(t, &x[i], false);
		if (i < MX_LOOKUP_MAX_TRIES + 2) {
			timed_out(&x[i]);
			mx_lookup_observe_done(t, &x[i]);
		}
	}
	/* a copy of an untracked try still counts as a query sent */
	x[MX_LOOKUP_MAX_TRIES + 2].sends = 2;
	mx_lookup_observe_query(t, &x[MX_LOOKUP_MAX_TRIES + 2], true);
	answered(&x[MX_LOOKUP_MAX_TRIES + 2], MX_O_NODATA, 0, 30 * S, 99, NULL);
	mx_lookup_observe_done(t, &x[MX_LOOKUP_MAX_TRIES + 2]);
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_int_equal(l->outcome, MX_O_NODATA);
	assert_int_equal(l->n_tries, MX_LOOKUP_MAX_TRIES);
	assert_int_equal(l->tries_total, MX_LOOKUP_MAX_TRIES + 3);
	assert_int_equal(l->attempts, MX_LOOKUP_MAX_TRIES + 4);
	assert_int_equal(l->n_resolvers, MX_LOOKUP_MAX_RESOLVERS);
	assert_true(l->failover);
	assert_int_equal(l->decided_frame, 99);
	assert_int_equal(l->latency_us, 30 * S);
	mx_lookup_free(t);
}

static void best_outcome_wins(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 1, "192.0.2.53", 17, "r.example", MX_TYPE_MX, 0, 1);
	struct mx_txn b = T("192.0.2.10", 2, "192.0.2.54", 17, "r.example", MX_TYPE_MX, 1000, 2);
	struct mx_txn c = T("192.0.2.10", 3, "192.0.2.55", 17, "r.example", MX_TYPE_MX, 2000, 3);
	mx_lookup_observe_query(t, &a, false);
	mx_lookup_observe_query(t, &b, false);
	mx_lookup_observe_query(t, &c, false);
	answered(&a, MX_O_SERVFAIL, 2, 3000, 4, NULL);
	mx_lookup_observe_done(t, &a);
	answered(&b, MX_O_REFERRAL, 0, 4000, 5, NULL);
	mx_lookup_observe_done(t, &b);
	c.kind = MX_TXN_UNREACHABLE;
	c.outcome = MX_O_UNREACHABLE;
	c.r_ts = 5000;
	c.r_frame = 6;
	mx_lookup_observe_done(t, &c);
	assert_int_equal(R->n, 0);
	mx_lookup_tick(t, 100 * S);
	assert_int_equal(R->n, 1);
	assert_int_equal(R->l[0].outcome, MX_O_REFERRAL);
	assert_int_equal(R->l[0].decided_frame, 5);
	assert_int_equal(R->l[0].latency_us, 4000);
	assert_int_equal(R->l[0].last_us, 5000);
	assert_int_equal(R->l[0].tries[2].outcome, MX_O_UNREACHABLE);
	assert_int_equal(R->l[0].tries[2].r_frame, 6);
	mx_lookup_free(t);
}

/* A result finds its lookup through a cache keyed on the txn seq; it must
 * give what the key probe gives. (1) The lookup a transaction joined has
 * closed and its slot was reused by another key's lookup whose seq range
 * covers the transaction: the result is an orphan, the new lookup untouched.
 * (2) Two open transactions whose seqs share a cache entry (8192 apart) and
 * (3) a retransmission reported through the cache still reach their own
 * lookups. */
static void result_after_slot_reuse(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a1 = T("192.0.2.10", 1, "192.0.2.53", 17, "a.example", MX_TYPE_A, 1 * S, 1);
	struct mx_txn a2 = T("192.0.2.10", 2, "192.0.2.54", 17, "a.example", MX_TYPE_A, 2 * S, 2);
	a1.seq = 10;
	a2.seq = 11;
	mx_lookup_observe_query(t, &a1, false);
	mx_lookup_observe_query(t, &a2, false);
	answered(&a1, MX_O_NXDOMAIN, 3, 3 * S, 3, NULL);
	mx_lookup_observe_done(t, &a1);
	assert_int_equal(R->n, 1); /* closed; a2 was still open */
	/* another client's lookup takes the freed slot, seqs 5..12 */
	struct mx_txn b1 = T("192.0.2.20", 3, "192.0.2.53", 17, "b.example", MX_TYPE_A, 4 * S, 4);
	struct mx_txn b2 = T("192.0.2.20", 4, "192.0.2.53", 17, "b.example", MX_TYPE_A, 5 * S, 5);
	b1.seq = 5;
	b2.seq = 12;
	mx_lookup_observe_query(t, &b1, false);
	mx_lookup_observe_query(t, &b2, false);
	assert_int_equal(mx_lookup_open_count(t), 1);
	answered(&a2, MX_O_ANSWER, 0, 6 * S, 6, NULL);
	mx_lookup_observe_done(t, &a2);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 1);
	assert_int_equal(R->n, 1);
	/* (2) seqs 8192 apart, different keys, both open */
	struct mx_txn c = T("192.0.2.30", 5, "192.0.2.53", 17, "c.example", MX_TYPE_A, 7 * S, 7);
	struct mx_txn d = T("192.0.2.40", 6, "192.0.2.53", 17, "d.example", MX_TYPE_A, 7 * S, 8);
	c.seq = 100;
	d.seq = 100 + 8192;
	mx_lookup_observe_query(t, &c, false);
	mx_lookup_observe_query(t, &d, false);
	answered(&c, MX_O_ANSWER, 0, 8 * S, 9, NULL);
	mx_lookup_observe_done(t, &c);
	assert_int_equal(R->n, 2);
	assert_true(mx_dname_eq(&R->l[1].qname, &c.qname));
	assert_int_equal(R->l[1].decided_frame, 9);
	/* (3) d retransmitted, then answered */
	d.sends = 2;
	d.last_q_ts = 9 * S;
	mx_lookup_observe_query(t, &d, true);
	answered(&d, MX_O_NODATA, 0, 10 * S, 10, NULL);
	mx_lookup_observe_done(t, &d);
	assert_int_equal(R->n, 3);
	assert_true(mx_dname_eq(&R->l[2].qname, &d.qname));
	assert_int_equal(R->l[2].attempts, 2);
	assert_int_equal(R->l[2].outcome, MX_O_NODATA);
	assert_int_equal(mx_lookup_peek_stats(t)->orphan_results, 1);
	/* b's lookup got nothing from a2 */
	mx_lookup_finish(t, 11 * S);
	assert_int_equal(R->n, 4);
	assert_true(mx_dname_eq(&R->l[3].qname, &b1.qname));
	assert_int_equal(R->l[3].outcome, MX_O_TIMEOUT);
	assert_int_equal(R->l[3].n_tries, 2);
	assert_true(R->l[3].tries[0].open && R->l[3].tries[1].open);
	assert_int_equal(R->l[3].decided_frame, 0);
	mx_lookup_free(t);
}

/* A new lookup is written with its first try in place (lookup.c
 * open_lookup): every field of the lookup and the try as the generic path
 * gives them, the try counted as waiting (a tick past the gap does not close
 * it) and its result accepted; a transaction with seq 0 (not from txn.c)
 * still opens an empty lookup and counts one query sent. */
/* The lookup R->l[] of client cli for qname (qtype qt); fails when absent. */
static const struct mx_lookup *find_rec(const char *cli, const char *qname, uint16_t qt)
{
	struct mx_addr a = A(cli);
	struct mx_dname d;
	assert_int_equal(mx_dname_from_text(qname, &d), 0);
	for (size_t i = 0; i < R->n; i++)
		if (mx_addr_eq(&R->l[i].client, &a) && R->l[i].qtype == qt && R->l[i].qname.len == d.len &&
		    memcmp(R->l[i].qname.wire, d.wire, d.len) == 0)
			return &R->l[i];
	fail_msg("no lookup of %s for %s", cli, qname);
	return NULL;
}

/* A forwarder's upstream lookup (both legs in the capture, -i any): the
 * same question asked by this host's forwarder while the stub's answer is
 * awaited. Not: a client failing over after its local resolver answered,
 * a repeat after the window, two clients of two remote resolvers, RD=0. */
static void forwarder_leg(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_addr stub = A("127.0.0.53"), mta = A("127.0.0.1"), fwd = A("10.0.0.7");

	/* 1. MTA -> stub 127.0.0.53, stub (10.0.0.5) -> 10.0.0.53 100 us later */
	struct mx_txn c1 = T("127.0.0.1", 40000, "127.0.0.53", 17, "mx.broken.example", MX_TYPE_AAAA, 10 * S, 1);
	mx_lookup_observe_query(t, &c1, false);
	struct mx_txn x1 = T("10.0.0.5", 50000, "10.0.0.53", 17, "mx.broken.example", MX_TYPE_AAAA, 10 * S + 100, 2);
	mx_lookup_observe_query(t, &x1, false);
	answered(&x1, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 10 * S + 300, 3, NULL);
	mx_lookup_observe_done(t, &x1);
	answered(&c1, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 10 * S + 400, 4, NULL);
	mx_lookup_observe_done(t, &c1);
	/* the stub retries upstream with a new ID and port: the same lookup */
	struct mx_txn x1b = T("10.0.0.5", 50001, "10.0.0.53", 17, "mx.broken.example", MX_TYPE_AAAA, 10 * S + 500, 5);
	mx_lookup_observe_query(t, &x1b, false);

	/* 2. local resolver 127.0.0.1 answers SERVFAIL, then the MTA asks its
	 * next nameserver from its outgoing address: failover, not forwarding */
	struct mx_txn c2 = T("127.0.0.1", 40001, "127.0.0.1", 17, "a.example", MX_TYPE_A, 20 * S, 6);
	mx_lookup_observe_query(t, &c2, false);
	answered(&c2, MX_O_SERVFAIL, MX_RCODE_SERVFAIL, 20 * S + 200, 7, NULL);
	mx_lookup_observe_done(t, &c2);
	struct mx_txn x2 = T("10.0.0.5", 50002, "10.0.0.53", 17, "a.example", MX_TYPE_A, 20 * S + 300, 8);
	mx_lookup_observe_query(t, &x2, false);

	/* 3. unanswered, but asked again 300 ms later: outside the window */
	struct mx_txn c3 = T("127.0.0.1", 40002, "127.0.0.53", 17, "b.example", MX_TYPE_MX, 30 * S, 9);
	mx_lookup_observe_query(t, &c3, false);
	struct mx_txn x3 = T("10.0.0.5", 50003, "10.0.0.53", 17, "b.example", MX_TYPE_MX, 30 * S + 300000, 10);
	mx_lookup_observe_query(t, &x3, false);

	/* 4. a LAN client asks 10.0.0.7, which forwards from its own address */
	struct mx_txn c4 = T("10.0.0.20", 40003, "10.0.0.7", 17, "c.example", MX_TYPE_MX, 40 * S, 11);
	mx_lookup_observe_query(t, &c4, false);
	struct mx_txn x4 = T("10.0.0.7", 50004, "10.0.0.53", 17, "c.example", MX_TYPE_MX, 40 * S + 2000, 12);
	mx_lookup_observe_query(t, &x4, false);

	/* 5. two clients of two remote resolvers ask the same name */
	struct mx_txn c5 = T("10.0.0.20", 40004, "10.0.0.9", 17, "d.example", MX_TYPE_MX, 50 * S, 13);
	mx_lookup_observe_query(t, &c5, false);
	struct mx_txn x5 = T("10.0.0.5", 50005, "10.0.0.53", 17, "d.example", MX_TYPE_MX, 50 * S + 50, 14);
	mx_lookup_observe_query(t, &x5, false);

	/* 6. a resolver's iterative (RD=0) query is never a forwarded lookup */
	struct mx_txn c6 = T("127.0.0.1", 40005, "127.0.0.53", 17, "e.example", MX_TYPE_MX, 60 * S, 15);
	mx_lookup_observe_query(t, &c6, false);
	struct mx_txn x6 = T("10.0.0.5", 50006, "192.0.2.1", 17, "e.example", MX_TYPE_MX, 60 * S + 50, 16);
	x6.rd = false;
	mx_lookup_observe_query(t, &x6, false);

	mx_lookup_finish(t, 100 * S);
	const struct mx_lookup *l = find_rec("10.0.0.5", "mx.broken.example", MX_TYPE_AAAA);
	assert_true(l->forwarded);
	assert_true(mx_addr_eq(&l->fwd_server, &stub));
	assert_true(mx_addr_eq(&l->fwd_client, &mta));
	assert_int_equal(l->tries_total, 2);
	assert_false(find_rec("127.0.0.1", "mx.broken.example", MX_TYPE_AAAA)->forwarded);
	assert_false(find_rec("10.0.0.5", "a.example", MX_TYPE_A)->forwarded);
	assert_false(find_rec("10.0.0.5", "b.example", MX_TYPE_MX)->forwarded);
	l = find_rec("10.0.0.7", "c.example", MX_TYPE_MX);
	assert_true(l->forwarded);
	assert_true(mx_addr_eq(&l->fwd_server, &fwd));
	assert_false(find_rec("10.0.0.20", "c.example", MX_TYPE_MX)->forwarded);
	assert_false(find_rec("10.0.0.5", "d.example", MX_TYPE_MX)->forwarded);
	assert_false(find_rec("10.0.0.5", "e.example", MX_TYPE_MX)->forwarded);
	assert_int_equal(mx_lookup_peek_stats(t)->forwarded, 2);
	mx_lookup_free(t);
}

static void first_try_fields(void **state)
{
	(void)state;
	next_seq = 0;
	struct mx_lookup_table *t = mk(0);
	struct mx_txn a = T("192.0.2.10", 40000, "192.0.2.53", 6, "one.example", MX_TYPE_MX, 10 * S, 7);
	a.sends = 3;
	a.last_q_ts = 12 * S;
	mx_lookup_observe_query(t, &a, false);
	mx_lookup_tick(t, 12 * S + 46 * S); /* past the gap, but a's txn has not reported */
	assert_int_equal(R->n, 0);
	assert_int_equal(mx_lookup_open_count(t), 1);
	answered(&a, MX_O_SERVFAIL, 2, 13 * S, 8, NULL);
	a.ede = 22;
	mx_lookup_observe_done(t, &a); /* out of the time list, nothing left: closes */
	assert_int_equal(R->n, 1);
	const struct mx_lookup *l = &R->l[0];
	assert_int_equal(l->seq, 1);
	assert_int_equal(l->client_hash, mx_txn_client_hash(&a.client));
	assert_true(mx_addr_eq(&l->client, &a.client));
	assert_true(mx_dname_eq(&l->qname, &a.qname));
	assert_int_equal(l->first_us, 10 * S);
	assert_int_equal(l->last_us, 13 * S);
	assert_int_equal(l->outcome, MX_O_SERVFAIL);
	assert_int_equal(l->attempts, 3);
	assert_int_equal(l->n_tries, 1);
	assert_int_equal(l->tries_total, 1);
	assert_int_equal(l->n_resolvers, 1);
	assert_true(mx_addr_eq(&l->resolvers[0], &a.server));
	assert_false(l->failover);
	assert_false(l->tcp_retry);
	assert_false(l->evicted);
	assert_false(l->pending_at_end);
	const struct mx_lookup_try *y = &l->tries[0];
	assert_int_equal(y->txn_seq, a.seq);
	assert_int_equal(y->q_ts, 10 * S);
	assert_int_equal(y->q_frame, 7);
	assert_int_equal(y->r_frame, 8);
	assert_true(mx_addr_eq(&y->server, &a.server));
	assert_int_equal(y->sport, 40000);
	assert_int_equal(y->transport, 6);
	assert_false(y->open);
	assert_false(y->tc);
	assert_int_equal(y->outcome, MX_O_SERVFAIL);
	assert_int_equal(y->rcode, 2);
	assert_int_equal(y->ede, 22);
	assert_int_equal(y->sends, 3);
	assert_int_equal(y->late_frame, 0);
	/* seq 0: an empty lookup, one query counted */
	struct mx_txn z = T("192.0.2.11", 1, "192.0.2.53", 17, "zero.example", MX_TYPE_A, 20 * S, 9);
	z.seq = 0;
	mx_lookup_observe_query(t, &z, false);
	mx_lookup_finish(t, 21 * S);
	assert_int_equal(R->n, 2);
	assert_int_equal(R->l[1].n_tries, 0);
	assert_int_equal(R->l[1].tries_total, 0);
	assert_int_equal(R->l[1].attempts, 1);
	assert_int_equal(R->l[1].n_resolvers, 0);
	mx_lookup_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(glibc_two_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(retransmit_same_txn, setup, teardown),
		cmocka_unit_test_setup_teardown(failover_timeout_then_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(servfail_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(tc_then_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(new_lookup_after_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(reask_after_response, setup, teardown),
		cmocka_unit_test_setup_teardown(reask_rule_spares_resends, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_after_close_joins_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(nxdomain_closes_now, setup, teardown),
		cmocka_unit_test_setup_teardown(open_try_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(tick_waits_for_open_try, setup, teardown),
		cmocka_unit_test_setup_teardown(pending_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(eviction_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(deterministic_order, setup, teardown),
		cmocka_unit_test_setup_teardown(many_tries, setup, teardown),
		cmocka_unit_test_setup_teardown(best_outcome_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(late_response_on_try, setup, teardown),
		cmocka_unit_test_setup_teardown(result_after_slot_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(first_try_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(forwarder_leg, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
