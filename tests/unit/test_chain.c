/* test_chain.c - chains from scripted lookups: membership, verdicts,
 * attempts, CNAME targets, TLSA, SYN correlation, windows, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/chain.h"

#define SEC 1000000ULL
#define T0 (1767225600ULL * SEC)

static struct mx_chain got[64];
static size_t ngot;

static void on_done(void *ctx, const struct mx_chain *c)
{
	(void)ctx;
	got[ngot % 64] = *c; /* a ring: tests with more chains read the last 64 */
	ngot++;
}

static struct mx_chain_table *new_table(size_t max_open)
{
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	if (max_open)
		o.max_open = max_open;
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	return mx_chain_new(&o, &cb);
}

static struct mx_dns_msg msg;

static void lk(struct mx_lookup *l, const char *client, const char *name, uint16_t qtype,
	       enum mx_outcome o, uint64_t t_us, uint64_t frame)
{
	memset(l, 0, sizeof(*l));
	mx_addr_parse(client, &l->client);
	assert_int_equal(mx_dname_from_text(name, &l->qname), 0);
	l->qtype = qtype;
	l->qclass = 1;
	l->rd = true;
	l->first_us = t_us;
	l->last_us = t_us + 20000;
	l->outcome = o;
	l->attempts = 1;
	l->n_tries = 1;
	l->tries_total = 1;
	l->tries[0].q_frame = frame;
	l->tries[0].r_frame = frame + 1;
	l->tries[0].q_ts = t_us;
	l->tries[0].outcome = o;
	l->tries[0].latency_us = 20000;
	l->tries[0].ede = 0xffff;
	mx_addr_parse("192.0.2.53", &l->tries[0].server);
	l->n_resolvers = 1;
	l->resolvers[0] = l->tries[0].server;
	l->latency_us = 20000;
	l->decided_frame = frame + 1;
	l->ede = 0xffff;
	memset(&msg, 0, sizeof msg);
	l->answer = (o == MX_O_ANSWER || o == MX_O_NODATA || o == MX_O_NXDOMAIN) ? &msg : NULL;
}

static void mx_answer(const char *ex1, const char *ex2)
{
	msg.n_mx = 0;
	if (ex1) {
		msg.mx[msg.n_mx].pref = 10;
		assert_int_equal(mx_dname_from_text(ex1, &msg.mx[msg.n_mx].exchange), 0);
		msg.n_mx++;
	}
	if (ex2) {
		msg.mx[msg.n_mx].pref = 20;
		assert_int_equal(mx_dname_from_text(ex2, &msg.mx[msg.n_mx].exchange), 0);
		msg.n_mx++;
	}
	msg.mx_total = msg.n_mx;
}

static void addr_answer(const char *a)
{
	msg.n_addr = 1;
	msg.addr_total = 1;
	assert_int_equal(mx_addr_parse(a, &msg.addr[0].addr), 0);
}

/* Two deliveries of one sender open at once: a SYN to the address one of
 * them resolved marks that chain only; a SYN to an address no chain
 * resolved counts in both as syn_other. */
static void syn_attribution_two_chains(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "one.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx.one.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "two.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC / 10, 3);
	mx_answer("mx.two.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.one.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 5);
	addr_answer("198.51.100.1");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.two.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 7);
	addr_answer("198.51.100.2");
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 2 * SEC;
	syn.frame = 9;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.2", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	syn.frame = 10;
	mx_addr_parse("198.51.100.77", &syn.dst); /* no chain resolved it */
	mx_chain_observe_tcp(t, &syn);
	syn.frame = 11;
	mx_addr_parse("192.0.2.11", &syn.src); /* another sender: not ours */
	mx_chain_observe_tcp(t, &syn);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *one = &got[0], *two = &got[1];
	assert_int_equal(one->domain.wire[1], 'o');
	assert_false(one->connected);
	assert_false(one->hosts[0].connected);
	assert_int_equal(one->syn_other, 1);
	assert_true(two->connected);
	assert_true(two->hosts[0].connected);
	assert_int_equal(two->syn_frame, 9);
	assert_int_equal(two->syn_other, 1);
	assert_int_equal(mx_chain_peek_stats(t)->syns, 3);
	mx_chain_free(t);
}

/* A chain of sender ask (DNS over IPv4) that resolved dst; a SYN from src. */
static void dual_stack_case(struct mx_chain_table *t, const char *ask, const char *src, const char *dst)
{
	struct mx_lookup l;
	lk(&l, ask, "ds.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx.ds.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, ask, "mx.ds.test", MX_TYPE_AAAA, MX_O_ANSWER, T0 + SEC, 3);
	addr_answer(dst);
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 2 * SEC;
	syn.frame = 5;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse(src, &syn.src);
	mx_addr_parse(dst, &syn.dst);
	mx_chain_observe_tcp(t, &syn);
}

/* A dual-stack MTA asks DNS over IPv4 and connects over IPv6 (Exim and
 * OpenSMTPD in captures/lab-*-healthy.pcap): the SYN from its IPv6 address
 * belongs to the chain of its IPv4 address, through --sender, or without it
 * when exactly one sender's open chain resolved the destination. */
static void syn_from_other_family(void **state)
{
	(void)state;
	/* --sender lists both addresses */
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	mx_addr_parse("10.53.0.10", &o.senders[0]);
	mx_addr_parse("fd53::10", &o.senders[1]);
	o.n_senders = 2;
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	struct mx_chain_table *t = mx_chain_new(&o, &cb);
	dual_stack_case(t, "10.53.0.10", "fd53::10", "fd53::25");
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 1);
	assert_true(got[0].connected);
	assert_true(got[0].hosts[0].connected);
	assert_int_equal(got[0].syn_frame, 5);
	mx_chain_free(t);
	/* --sender lists only the IPv4 address: the IPv6 SYN is someone else's */
	o.n_senders = 1;
	ngot = 0;
	t = mx_chain_new(&o, &cb);
	dual_stack_case(t, "10.53.0.10", "fd53::10", "fd53::25");
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 1);
	assert_false(got[0].connected);
	mx_chain_free(t);
	/* no --sender: the only sender whose chain resolved fd53::25 */
	t = new_table(0);
	dual_stack_case(t, "10.53.0.10", "fd53::10", "fd53::25");
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 1);
	assert_true(got[0].connected);
	mx_chain_free(t);
	/* no --sender, two senders resolved it: not guessed */
	t = new_table(0);
	struct mx_lookup l;
	lk(&l, "10.53.0.11", "other.test", MX_TYPE_MX, MX_O_ANSWER, T0, 11);
	mx_answer("mx.ds.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "10.53.0.11", "mx.ds.test", MX_TYPE_AAAA, MX_O_ANSWER, T0 + SEC, 13);
	addr_answer("fd53::25");
	mx_chain_observe_lookup(t, &l);
	dual_stack_case(t, "10.53.0.10", "fd53::10", "fd53::25");
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	assert_false(got[0].connected);
	assert_false(got[1].connected);
	mx_chain_free(t);
	/* no --sender, the SYN's source has open chains of its own that did
	 * not resolve the destination: counted as its syn_other, not moved */
	t = new_table(0);
	lk(&l, "fd53::10", "own.test", MX_TYPE_MX, MX_O_ANSWER, T0, 21);
	mx_answer("mx.own.test", NULL);
	mx_chain_observe_lookup(t, &l);
	dual_stack_case(t, "10.53.0.10", "fd53::10", "fd53::25");
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	assert_false(got[0].connected);
	assert_false(got[1].connected);
	assert_int_equal(got[0].syn_other + got[1].syn_other, 1);
	mx_chain_free(t);
}

static void resolved_chain_with_syn(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", "mx2.example.test");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + SEC, 3);
	l.tries[0].sport = 40001;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 2 * SEC, 5);
	l.tries[0].sport = 40002;
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	/* another sender's lookup of the same name does not join */
	lk(&l, "192.0.2.99", "mx2.example.test", MX_TYPE_A, MX_O_NXDOMAIN, T0 + 2 * SEC, 7);
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 3 * SEC;
	syn.frame = 9;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.25", &syn.dst);
	syn.dport = 25;
	syn.syn = true;
	mx_chain_observe_tcp(t, &syn);
	assert_int_equal(ngot, 0);
	mx_chain_tick(t, T0 + 100 * SEC); /* window not over */
	assert_int_equal(ngot, 0);
	mx_chain_tick(t, T0 + 200 * SEC);
	assert_int_equal(ngot, 1);
	const struct mx_chain *c = &got[0];
	assert_int_equal(c->verdict, MX_CHAIN_RESOLVED);
	assert_int_equal(c->n_hosts, 2);
	assert_int_equal(c->hosts[0].first_family, 6);
	assert_int_equal(c->hosts[0].aaaa.outcome, MX_O_SERVFAIL);
	assert_int_equal(c->hosts[0].a.outcome, MX_O_ANSWER);
	assert_int_equal(c->hosts[0].aaaa.sport, 40001); /* each step keeps its first query's port */
	assert_int_equal(c->hosts[0].a.sport, 40002);
	assert_false(mx_chain_host_parallel(&c->hosts[0])); /* A a second after the SERVFAIL */
	assert_int_equal(c->hosts[0].n_addrs, 1);
	assert_true(c->hosts[0].connected);
	assert_true(c->connected);
	assert_int_equal(c->syn_frame, 9);
	assert_false(c->hosts[1].a.asked);
	assert_int_equal(c->attempt, 1);
	assert_false(c->cut_short);
	mx_chain_free(t);
}

static void syn_to(struct mx_chain_table *t, const char *src, const char *dst, uint64_t ts, uint64_t frame)
{
	struct mx_tcpctl syn = {0};
	syn.ts_us = ts;
	syn.frame = frame;
	mx_addr_parse(src, &syn.src);
	mx_addr_parse(dst, &syn.dst);
	syn.dport = 25;
	syn.syn = true;
	mx_chain_observe_tcp(t, &syn);
}

/* A chain ends at its SYN. An MX lookup of the same domain asked after the
 * SYN (within min_retry_gap) is the next delivery: a chain of its own,
 * attempt 2, new_delivery. An A/AAAA lookup asked after the SYN of an
 * exchange the first chain had asked joins the second chain only; one of
 * an exchange the first chain had not asked (sendmail resolving the next
 * exchange after a failed connection) still joins the first. An MX asked
 * again before the SYN stays in the same chain. */
static void chain_ends_at_syn(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", "mx2.example.test");
	mx_chain_observe_lookup(t, &l);
	/* the same MX again before the SYN: the same delivery */
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC / 10, 3);
	mx_answer("mx1.example.test", "mx2.example.test");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC / 5, 5);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + SEC / 4, 7);
	mx_chain_observe_lookup(t, &l);
	syn_to(t, "192.0.2.10", "198.51.100.25", T0 + SEC / 2, 9);
	/* after the SYN: mx2 not asked yet by this chain: joins it */
	lk(&l, "192.0.2.10", "mx2.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 11);
	addr_answer("198.51.100.26");
	mx_chain_observe_lookup(t, &l);
	/* getent's AAAA of mx1 two seconds after the SYN: no chain */
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + 2 * SEC, 13);
	mx_chain_observe_lookup(t, &l);
	/* the next delivery, 6 s later */
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 6 * SEC, 15);
	mx_answer("mx1.example.test", "mx2.example.test");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 6 * SEC + SEC / 10, 17);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + 6 * SEC + SEC / 5, 19);
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(ngot, 0);
	mx_chain_finish(t, T0 + 10 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *a = &got[0], *b = &got[1];
	assert_int_equal(a->attempt, 1);
	assert_false(a->new_delivery);
	assert_true(a->connected);
	assert_int_equal(a->syn_frame, 9);
	assert_int_equal(a->syn_us, T0 + SEC / 2);
	assert_int_equal(a->mx.lookups, 2); /* asked MX twice before its SYN */
	assert_int_equal(a->hosts[0].a.lookups, 1);
	assert_int_equal(a->hosts[0].aaaa.lookups, 1); /* neither getent's nor the next delivery's */
	assert_int_equal(a->hosts[0].aaaa.n_frames, 2);
	assert_true(a->hosts[1].a.asked);
	assert_int_equal(a->hosts[1].n_addrs, 1);
	assert_int_equal(b->attempt, 2);
	assert_true(b->new_delivery);
	assert_int_equal(b->prev_start_us, T0);
	assert_false(b->connected);
	assert_int_equal(b->mx.lookups, 1);
	assert_int_equal(b->hosts[0].a.lookups, 1);
	assert_int_equal(b->hosts[0].aaaa.lookups, 1);
	assert_int_equal(b->hosts[0].aaaa.frames[0], 19);
	assert_false(b->hosts[1].a.asked);
	mx_chain_free(t);
}

/* l's query also sent, same ID and port, to a second server dt_us later
 * (musl asks every nameserver at once). */
static void also_to(struct mx_lookup *l, const char *server, uint64_t dt_us)
{
	l->tries[0].id = 0x4f0e;
	l->tries[1] = l->tries[0];
	mx_addr_parse(server, &l->tries[1].server);
	l->tries[1].q_ts += dt_us;
	l->tries[1].q_frame += 100;
	l->tries[1].r_frame += 100;
	l->n_tries = 2;
	l->tries_total = 2;
	l->resolvers[l->n_resolvers++] = l->tries[1].server;
}

/* musl's getaddrinfo (A and AAAA on one socket, every query to every
 * nameserver at once) fails the lookup (EAI_AGAIN) when AAAA gets SERVFAIL
 * although A answered: no SYN follows (lab-musl-aaaa-servfail). Such a
 * chain is DEFERRED. Not so: the same with a SYN; with the families from
 * two sockets (res_query, as Postfix asks); without the multi-server send
 * (glibc's getaddrinfo returns the A); with another exchange resolved. */
static void musl_getaddrinfo_defers(void **state)
{
	(void)state;
	struct {
		bool musl, same_port, syn, second_host;
		enum mx_chain_verdict want;
	} cases[] = {
		{true, true, false, false, MX_CHAIN_DEFERRED},
		{true, true, true, false, MX_CHAIN_RESOLVED},
		{true, false, false, false, MX_CHAIN_RESOLVED},
		{false, true, false, false, MX_CHAIN_RESOLVED},
		{true, true, false, true, MX_CHAIN_RESOLVED},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct mx_chain_table *t = new_table(0);
		struct mx_lookup l;
		lk(&l, "192.0.2.10", "broken-aaaa.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
		mx_answer("mx.broken-aaaa.test", cases[k].second_host ? "mx2.broken-aaaa.test" : NULL);
		mx_chain_observe_lookup(t, &l);
		lk(&l, "192.0.2.10", "mx.broken-aaaa.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC / 10, 3);
		l.tries[0].sport = 38544;
		addr_answer("198.51.100.25");
		if (cases[k].musl)
			also_to(&l, "192.0.2.54", 40);
		mx_chain_observe_lookup(t, &l);
		lk(&l, "192.0.2.10", "mx.broken-aaaa.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + SEC / 10 + 60, 5);
		l.tries[0].sport = cases[k].same_port ? 38544 : 34425;
		if (cases[k].musl)
			also_to(&l, "192.0.2.54", 15);
		mx_chain_observe_lookup(t, &l);
		if (cases[k].second_host) {
			lk(&l, "192.0.2.10", "mx2.broken-aaaa.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC / 5, 7);
			addr_answer("198.51.100.26");
			mx_chain_observe_lookup(t, &l);
		}
		if (cases[k].syn)
			syn_to(t, "192.0.2.10", "198.51.100.25", T0 + SEC / 2, 9);
		mx_chain_finish(t, T0 + 10 * SEC);
		assert_int_equal(ngot, 1);
		if (got[0].verdict != cases[k].want)
			fail_msg("case %zu: verdict %s, want %s", k, mx_chain_verdict_name(got[0].verdict),
				 mx_chain_verdict_name(cases[k].want));
		if (cases[k].want == MX_CHAIN_DEFERRED)
			assert_non_null(strstr(got[0].why, "musl getaddrinfo"));
		mx_chain_free(t);
	}
}

/* A step records a query over TCP: after a truncated UDP answer (the
 * retry, RFC 7766), or from the start (use-vc); UDP only: 0. */
static void step_records_tcp(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", "mx2.example.test");
	l.tries[0].transport = MX_T_UDP;
	l.tries[0].tc = true;
	l.tries[1] = l.tries[0];
	l.tries[1].tc = false;
	l.tries[1].transport = MX_T_TCP;
	l.tries[1].q_ts += 1000;
	l.n_tries = 2;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 5);
	l.tries[0].transport = MX_T_TCP;
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx2.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 7);
	l.tries[0].transport = MX_T_UDP;
	addr_answer("198.51.100.26");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 10 * SEC);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].mx.tcp, 1);
	assert_int_equal(got[0].hosts[0].a.tcp, 2);
	assert_int_equal(got[0].hosts[1].a.tcp, 0);
	mx_chain_free(t);
}

/* res_search() with a search list (dma): MX nonexistent.test NXDOMAIN, then
 * at once MX nonexistent.test.lab.test NXDOMAIN. The second is the same
 * delivery's retry with the search domain appended: one chain, counting
 * it. Not folded: a suffixed MX that answers (a wildcard: the MTA goes on
 * with it), one asked long after, or one from another sender. */
static void search_suffix_mx(void **state)
{
	(void)state;
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	struct mx_chain_table *t = mx_chain_new(&o, &cb);
	assert_non_null(t);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "nonexistent.test", MX_TYPE_MX, MX_O_NXDOMAIN, T0, 1);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "nonexistent.test.lab.test", MX_TYPE_MX, MX_O_NXDOMAIN, T0 + 21000, 3);
	mx_chain_observe_lookup(t, &l);
	/* another sender's suffixed lookup: its own chain */
	lk(&l, "192.0.2.11", "nonexistent.test.lab.test", MX_TYPE_MX, MX_O_NXDOMAIN, T0 + 22000, 5);
	mx_chain_observe_lookup(t, &l);
	/* a second domain: NODATA, then the suffixed name answers (wildcard) */
	lk(&l, "192.0.2.10", "nomx.test", MX_TYPE_MX, MX_O_NODATA, T0 + SEC, 7);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "nomx.test.lab.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC + 21000, 9);
	mx_answer("mx.lab.test", NULL);
	mx_chain_observe_lookup(t, &l);
	/* a third: its suffixed lookup 10 s later is no res_search retry */
	lk(&l, "192.0.2.10", "late.test", MX_TYPE_MX, MX_O_SERVFAIL, T0 + 2 * SEC, 11);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "late.test.lab.test", MX_TYPE_MX, MX_O_NXDOMAIN, T0 + 12 * SEC, 13);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 6);
	unsigned folded = 0, nonexistent = 0;
	for (size_t i = 0; i < ngot; i++) {
		char d[MX_DNAME_STRLEN];
		mx_dname_format(&got[i].domain, d, sizeof d);
		if (strcmp(d, "nonexistent.test.") == 0) {
			nonexistent++;
			assert_int_equal(got[i].search_lookups, 1);
			assert_int_equal(got[i].verdict, MX_CHAIN_FAILED);
			assert_int_equal(got[i].end_us, T0 + 21000 + 20000);
			folded++;
		} else {
			assert_int_equal(got[i].search_lookups, 0);
		}
	}
	assert_int_equal(nonexistent, 1);
	assert_int_equal(folded, 1);
	mx_chain_free(t);
}

/* ndots:5 (a Kubernetes pod): res_search() asks MX D with each search
 * domain first, each NXDOMAIN, then MX D. The suffixed chains are taken
 * back by D's: one chain, counting three. Not taken back: a D.X where X is
 * one label (example.com.au is a domain of its own), or one that ended
 * long before D was asked. */
static void search_suffix_ndots(void **state)
{
	(void)state;
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	struct mx_chain_table *t = mx_chain_new(&o, &cb);
	assert_non_null(t);
	struct mx_lookup l;
	static const char *const sfx[] = { "example.test.mail.svc.cluster.local", "example.test.svc.cluster.local",
					   "example.test.cluster.local" };
	for (unsigned i = 0; i < 3; i++) {
		lk(&l, "192.0.2.10", sfx[i], MX_TYPE_MX, MX_O_NXDOMAIN, T0 + i * 21000u, 1 + 2 * i);
		mx_chain_observe_lookup(t, &l);
	}
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 63000, 7);
	mx_answer("mx1.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 90000, 9);
	addr_answer("198.51.100.7");
	mx_chain_observe_lookup(t, &l);
	/* a country-code domain, then the domain without it */
	lk(&l, "192.0.2.10", "other.com.au", MX_TYPE_MX, MX_O_NXDOMAIN, T0 + SEC, 11);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "other.com", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC + 21000, 13);
	mx_answer("mx.other.com", NULL);
	mx_chain_observe_lookup(t, &l);
	/* a suffixed failure 20 s before the name is no retry of it */
	lk(&l, "192.0.2.10", "third.test.corp.example", MX_TYPE_MX, MX_O_NXDOMAIN, T0 + 2 * SEC, 15);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "third.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 22 * SEC, 17);
	mx_answer("mx.third.test", NULL);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 5);
	unsigned seen = 0;
	for (size_t i = 0; i < ngot; i++) {
		char d[MX_DNAME_STRLEN];
		mx_dname_format(&got[i].domain, d, sizeof d);
		assert_null(strstr(d, "cluster.local"));
		if (strcmp(d, "example.test.") == 0) {
			seen++;
			assert_int_equal(got[i].search_lookups, 3);
			assert_int_equal(got[i].verdict, MX_CHAIN_RESOLVED);
			assert_int_equal(got[i].hosts[0].a.outcome, MX_O_ANSWER);
		} else {
			assert_int_equal(got[i].search_lookups, 0);
		}
	}
	assert_int_equal(seen, 1);
	const struct mx_chain_stats *st = mx_chain_peek_stats(t);
	assert_int_equal(st->chains, 5);
	mx_chain_free(t);
}

/* --relayhost: a sender's A/AAAA lookups of a relay host make relay chains
 * without an MX lookup. A failing AAAA decided after the answered A (but
 * asked before it) joins the same attempt; lookups 65 s later are attempt
 * 2; another name's A lookup makes no chain; an MX chain whose exchange is
 * the relay host keeps its own members. */
static void relay_chains(void **state)
{
	(void)state;
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	assert_int_equal(mx_dname_from_text("Relay.Example.test", &o.relays[0]), 0);
	o.n_relays = 1;
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	struct mx_chain_table *t = mx_chain_new(&o, &cb);
	assert_non_null(t);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "other.example.test", MX_TYPE_A, MX_O_ANSWER, T0, 1);
	addr_answer("198.51.100.9");
	mx_chain_observe_lookup(t, &l); /* not a relay host: nothing */
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 1000, 3);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + 500, 5);
	mx_chain_observe_lookup(t, &l); /* asked first, decided later */
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + SEC;
	syn.frame = 9;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.25", &syn.dst);
	syn.dport = 25;
	syn.syn = true;
	mx_chain_observe_tcp(t, &syn);
	/* attempt 2, 65 s on: both NXDOMAIN */
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_A, MX_O_NXDOMAIN, T0 + 65 * SEC, 11);
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(ngot, 1); /* the next attempt closed the first */
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_AAAA, MX_O_NXDOMAIN, T0 + 65 * SEC + 300, 13);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *c = &got[0];
	assert_true(c->relay);
	assert_false(c->mx.asked);
	assert_int_equal(c->attempt, 1);
	assert_int_equal(c->n_hosts, 1);
	assert_true(c->hosts[0].implicit);
	assert_int_equal(c->hosts[0].a.outcome, MX_O_ANSWER);
	assert_true(c->hosts[0].aaaa.asked);
	assert_int_equal(c->hosts[0].aaaa.outcome, MX_O_SERVFAIL);
	assert_int_equal(c->hosts[0].first_family, 6);
	assert_int_equal(c->start_us, T0 + 500);
	assert_int_equal(c->verdict, MX_CHAIN_RESOLVED);
	assert_string_equal(c->why, "the relay host has an address");
	assert_true(c->connected);
	assert_int_equal(c->syn_frame, 9);
	c = &got[1];
	assert_true(c->relay);
	assert_int_equal(c->attempt, 2);
	assert_int_equal(c->prev_start_us, T0 + 500); /* the first attempt's first query */
	assert_int_equal(c->verdict, MX_CHAIN_FAILED);
	assert_string_equal(c->why, "the relay host has no address");
	assert_true(c->hosts[0].a.asked && c->hosts[0].aaaa.asked);
	mx_chain_free(t);

	/* an MX chain with the relay host as its exchange: its lookups join it */
	ngot = 0;
	t = mx_chain_new(&o, &cb);
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("relay.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 1000, 3);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 1);
	assert_false(got[0].relay);
	assert_true(got[0].mx.asked);
	assert_int_equal(got[0].hosts[0].a.outcome, MX_O_ANSWER);
	mx_chain_free(t);

	/* --relayhost example.test beside an MX chain for example.test: an A
	 * lookup of the name itself (not an exchange) makes a relay chain of
	 * its own; the MX chain stays open with its attempt and closes alone */
	assert_int_equal(mx_dname_from_text("example.test", &o.relays[1]), 0);
	o.n_relays = 2;
	ngot = 0;
	t = mx_chain_new(&o, &cb);
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 1000, 3);
	addr_answer("198.51.100.26");
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(ngot, 0);
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 2000, 5);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *mxc = got[0].relay ? &got[1] : &got[0], *rc = got[0].relay ? &got[0] : &got[1];
	assert_false(mxc->relay);
	assert_true(rc->relay);
	assert_int_equal(mxc->attempt, 1);
	assert_int_equal(rc->attempt, 1);
	assert_int_equal(mxc->hosts[0].a.outcome, MX_O_ANSWER);
	assert_int_equal(rc->hosts[0].a.outcome, MX_O_ANSWER);
	mx_chain_free(t);
}

/* --relayhost [relay.example.test]:587: a SYN to port 587 of the relay's
 * address connects the relay chain (and says so with its port); a SYN to
 * an unlisted port does not, nor does a SYN to 587 connect an MX chain,
 * whose exchanges listen on port 25. */
static void relay_port_syn(void **state)
{
	(void)state;
	struct mx_chain_opts o;
	mx_chain_opts_default(&o);
	assert_int_equal(mx_dname_from_text("relay.example.test", &o.relays[0]), 0);
	o.relay_ports[0] = 587;
	o.n_relays = 1;
	struct mx_chain_cb cb = {NULL, on_done};
	ngot = 0;
	struct mx_chain_table *t = mx_chain_new(&o, &cb);
	assert_non_null(t);
	struct mx_lookup l;
	/* an MX chain for example.test: exchange mx.example.test 198.51.100.7 */
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 1000, 3);
	addr_answer("198.51.100.7");
	mx_chain_observe_lookup(t, &l);
	/* the relay chain: relay.example.test 198.51.100.25 */
	lk(&l, "192.0.2.10", "relay.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + 2000, 5);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + SEC;
	mx_addr_parse("192.0.2.10", &syn.src);
	syn.syn = true;
	syn.frame = 7;
	mx_addr_parse("198.51.100.25", &syn.dst);
	syn.dport = 2525; /* not the relay's port */
	mx_chain_observe_tcp(t, &syn);
	syn.frame = 8;
	mx_addr_parse("198.51.100.7", &syn.dst);
	syn.dport = 587; /* the MX exchange on the relay's port */
	mx_chain_observe_tcp(t, &syn);
	syn.frame = 9;
	mx_addr_parse("198.51.100.25", &syn.dst);
	syn.dport = 587;
	mx_chain_observe_tcp(t, &syn);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *mxc = got[0].relay ? &got[1] : &got[0];
	const struct mx_chain *rc = got[0].relay ? &got[0] : &got[1];
	assert_true(rc->relay);
	assert_false(mxc->relay);
	assert_false(mxc->connected);
	assert_true(rc->connected);
	assert_int_equal(rc->syn_frame, 9);
	assert_int_equal(rc->connected_port, 587);
	assert_true(rc->hosts[0].connected);
	mx_chain_free(t);
}

/* A forwarder's upstream lookups (struct mx_lookup.forwarded) start no chain
 * and join none: the stub's client makes the chain. */
static void forwarded_lookups_make_no_chain(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	/* the MTA asks the stub; the stub forwards each question */
	lk(&l, "127.0.0.1", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "10.0.0.5", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 100, 3);
	mx_answer("mx1.example.test", NULL);
	l.forwarded = true;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "10.0.0.5", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 5);
	addr_answer("198.51.100.25");
	l.forwarded = true;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "127.0.0.1", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 7);
	addr_answer("198.51.100.25");
	mx_chain_observe_lookup(t, &l);
	/* a forwarded MX lookup of another domain opens nothing */
	lk(&l, "10.0.0.5", "other.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 2 * SEC, 9);
	mx_answer("mx.other.test", NULL);
	l.forwarded = true;
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 300 * SEC);
	assert_int_equal(ngot, 1);
	const struct mx_chain *c = &got[0];
	char a[MX_ADDR_STRLEN];
	assert_string_equal(mx_addr_format(&c->sender, a, sizeof a), "127.0.0.1");
	assert_int_equal(c->n_hosts, 1);
	assert_int_equal(c->hosts[0].a.outcome, MX_O_ANSWER);
	assert_int_equal(c->hosts[0].a.lookups, 1);
	mx_chain_free(t);
}

static void deferred_and_attempts(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	for (unsigned k = 0; k < 3; k++) {
		uint64_t base = T0 + k * 600 * SEC; /* queue runs every 10 minutes */
		lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, base, 10 + k * 10);
		mx_answer("mx1.example.test", NULL);
		mx_chain_observe_lookup(t, &l);
		lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, base + SEC, 12 + k * 10);
		mx_chain_observe_lookup(t, &l);
	}
	mx_chain_finish(t, T0 + 1300 * SEC);
	assert_int_equal(ngot, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(got[k].verdict, MX_CHAIN_DEFERRED);
		assert_int_equal(got[k].attempt, k + 1);
		assert_false(got[k].hosts[0].a.asked);
	}
	assert_false(got[0].cut_short);
	assert_true(got[2].cut_short); /* the capture ended inside its window */
	mx_chain_free(t);
}

static void nxdomain_nullmx_implicit(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "nope.test", MX_TYPE_MX, MX_O_NXDOMAIN, T0, 1);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "null.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC, 3);
	mx_answer(".", NULL);
	msg.mx[0].pref = 0;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.11", "mixed.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC, 3);
	mx_answer(".", "mx1.mixed.test");
	msg.mx[0].pref = 0;
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "web.test", MX_TYPE_MX, MX_O_NODATA, T0 + 2 * SEC, 5);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "web.test", MX_TYPE_A, MX_O_ANSWER, T0 + 3 * SEC, 7);
	addr_answer("198.51.100.80");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "gone.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 4 * SEC, 9);
	mx_answer("mx.gone.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.gone.test", MX_TYPE_A, MX_O_NXDOMAIN, T0 + 5 * SEC, 11);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.gone.test", MX_TYPE_AAAA, MX_O_NXDOMAIN, T0 + 6 * SEC, 13);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 5);
	/* chains close in order of start; two started at T0 + SEC */
	const struct mx_chain *null = NULL, *mixed = NULL;
	for (size_t i = 0; i < ngot; i++) {
		char d[MX_DNAME_STRLEN];
		mx_dname_format(&got[i].domain, d, sizeof d);
		if (strcmp(d, "null.test.") == 0)
			null = &got[i];
		else if (strcmp(d, "mixed.test.") == 0)
			mixed = &got[i];
	}
	assert_non_null(null);
	assert_non_null(mixed);
	assert_int_equal(got[0].verdict, MX_CHAIN_FAILED);
	assert_int_equal(got[0].mx.outcome, MX_O_NXDOMAIN);
	assert_int_equal(null->verdict, MX_CHAIN_FAILED);
	assert_true(null->null_mx);
	assert_int_equal(null->n_hosts, 0);
	/* "0 ." is no exchange: none dropped, none beside it */
	assert_int_equal(null->hosts_total, 0);
	assert_true(mixed->null_mx_mixed);
	assert_int_equal(mixed->n_hosts, 1);
	assert_int_equal(mixed->hosts_total, 1);
	assert_int_equal(got[3].verdict, MX_CHAIN_RESOLVED);
	assert_true(got[3].hosts[0].implicit);
	assert_int_equal(got[4].verdict, MX_CHAIN_FAILED);
	assert_string_equal(got[4].why, "no exchange has an address");
	mx_chain_free(t);
}

/* "10 ." alone: judged as a null MX (Postfix: nullMX for any "." exchange;
 * Exim: lowest MX "." -> no SMTP service), its preference kept for the
 * texts; "0 ." below a "20 ." keeps the lowest. */
static void null_mx_keeps_preference(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "ten.test", MX_TYPE_MX, MX_O_ANSWER, T0, 3);
	mx_answer(".", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.11", "two.test", MX_TYPE_MX, MX_O_ANSWER, T0, 5);
	mx_answer("mx1.two.test", ".");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *ten = NULL, *two = NULL;
	for (size_t i = 0; i < ngot; i++) {
		char d[MX_DNAME_STRLEN];
		mx_dname_format(&got[i].domain, d, sizeof d);
		if (strcmp(d, "ten.test.") == 0)
			ten = &got[i];
		else if (strcmp(d, "two.test.") == 0)
			two = &got[i];
	}
	assert_non_null(ten);
	assert_non_null(two);
	assert_true(ten->null_mx);
	assert_int_equal(ten->null_mx_pref, 10);
	assert_int_equal(ten->verdict, MX_CHAIN_FAILED);
	assert_true(two->null_mx_mixed);
	assert_int_equal(two->null_mx_pref, 20);
	mx_chain_free(t);
}

static void cname_tlsa_literal_window(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "2001:db8::10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", "192.0.2.7");
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(ngot, 0);
	/* A of mx1 answered through a CNAME; then the target's AAAA joins too */
	lk(&l, "2001:db8::10", "mx1.example.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 3);
	msg.n_cname = 1;
	assert_int_equal(mx_dname_from_text("host.cdn.test", &msg.cname[0]), 0);
	addr_answer("198.51.100.1");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "2001:db8::10", "host.cdn.test", MX_TYPE_AAAA, MX_O_NODATA, T0 + 2 * SEC, 5);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "2001:db8::10", "_25._tcp.mx1.example.test", MX_TYPE_TLSA, MX_O_SERVFAIL, T0 + 3 * SEC, 7);
	mx_chain_observe_lookup(t, &l);
	/* outside the window: does not join */
	lk(&l, "2001:db8::10", "mx1.example.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + 500 * SEC, 9);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 600 * SEC);
	assert_int_equal(ngot, 1);
	const struct mx_chain *c = &got[0];
	assert_int_equal(c->n_hosts, 2);
	char buf[MX_DNAME_STRLEN];
	assert_string_equal(mx_dname_format(&c->hosts[0].cname, buf, sizeof buf), "host.cdn.test.");
	assert_true(c->hosts[0].aaaa.asked);
	assert_int_equal(c->hosts[0].aaaa.outcome, MX_O_NODATA);
	assert_true(c->hosts[0].tlsa.asked);
	assert_int_equal(c->hosts[0].tlsa.outcome, MX_O_SERVFAIL);
	assert_true(c->hosts[1].ip_literal);
	/* the TLSA failure does not defer it: the literal exchange is usable */
	assert_int_equal(c->verdict, MX_CHAIN_RESOLVED);
	mx_chain_free(t);

	/* a DANE sender: the only exchange's TLSA fails, no SYN: deferred;
	 * the same with a SYN to its address: resolved */
	for (int syn = 0; syn < 2; syn++) {
		ngot = 0;
		t = new_table(0);
		lk(&l, "192.0.2.10", "dane.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
		mx_answer("mx.dane.test", NULL);
		mx_chain_observe_lookup(t, &l);
		lk(&l, "192.0.2.10", "mx.dane.test", MX_TYPE_A, MX_O_ANSWER, T0 + 1000, 3);
		addr_answer("198.51.100.25");
		mx_chain_observe_lookup(t, &l);
		lk(&l, "192.0.2.10", "_25._tcp.mx.dane.test", MX_TYPE_TLSA, MX_O_SERVFAIL, T0 + 2000, 5);
		mx_chain_observe_lookup(t, &l);
		if (syn) {
			struct mx_tcpctl s = {0};
			s.ts_us = T0 + 3000;
			s.frame = 7;
			mx_addr_parse("192.0.2.10", &s.src);
			mx_addr_parse("198.51.100.25", &s.dst);
			s.dport = 25;
			s.syn = true;
			mx_chain_observe_tcp(t, &s);
		}
		mx_chain_finish(t, T0 + 600 * SEC);
		assert_int_equal(ngot, 1);
		assert_int_equal(got[0].verdict, syn ? MX_CHAIN_RESOLVED : MX_CHAIN_DEFERRED);
		if (!syn)
			assert_non_null(strstr(got[0].why, "TLSA"));
		mx_chain_free(t);
	}
}

static void bounded_open_chains(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(8);
	struct mx_lookup l;
	char name[64];
	for (unsigned i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "d%u.test", i);
		lk(&l, "192.0.2.10", name, MX_TYPE_MX, MX_O_ANSWER, T0 + i * 1000, i + 1);
		mx_answer("mx.shared.test", NULL);
		mx_chain_observe_lookup(t, &l);
	}
	assert_int_equal(mx_chain_peek_stats(t)->evicted, 92);
	assert_int_equal(ngot, 92);
	/* a lookup of the shared exchange joins every open chain that lists it */
	lk(&l, "192.0.2.10", "mx.shared.test", MX_TYPE_A, MX_O_ANSWER, T0 + 200000, 500);
	addr_answer("198.51.100.2");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 100);
	assert_int_equal(mx_chain_peek_stats(t)->lookups_joined, 8);
	assert_int_equal(got[99 % 64].verdict, MX_CHAIN_RESOLVED);
	/* the 92nd was evicted by the cap (not "cut short" by the capture's
	 * end); the last ones closed normally at the end */
	assert_true(got[91 % 64].evicted);
	assert_false(got[91 % 64].cut_short);
	assert_false(got[99 % 64].evicted);
	mx_chain_free(t);
}

/* One sender, many open chains listing the same exchange: their name
 * entries share one index bucket, newest first, and a lookup joins at most
 * 32 of them, the newest. Chains closed from the middle, the head and the
 * tail of that bucket (a retry closes the open attempt) must leave the
 * others in order: the joined set follows a model of the bucket order. */
#define BO_N 40
struct bo_chain {
	unsigned id, attempt, a, aaaa;
};

static void bo_open(struct mx_chain_table *t, struct bo_chain *model, unsigned *n, unsigned id, unsigned attempt,
		    uint64_t at, uint64_t frame)
{
	char name[32];
	struct mx_lookup l;
	snprintf(name, sizeof name, "d%u.test", id);
	lk(&l, "192.0.2.10", name, MX_TYPE_MX, MX_O_ANSWER, at, frame);
	mx_answer("mx.shared.test", NULL);
	/* a retry closes the open attempt of the same domain */
	for (unsigned k = 0; k < *n; k++)
		if (model[k].id == id) {
			memmove(&model[k], &model[k + 1], (*n - k - 1) * sizeof(model[0]));
			(*n)--;
			break;
		}
	mx_chain_observe_lookup(t, &l);
	memmove(&model[1], &model[0], *n * sizeof(model[0]));
	model[0] = (struct bo_chain){id, attempt, 0, 0};
	(*n)++;
}

static void bo_lookup(struct mx_chain_table *t, struct bo_chain *model, unsigned n, uint16_t qtype, uint64_t at,
		      uint64_t frame)
{
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "mx.shared.test", qtype, MX_O_ANSWER, at, frame);
	addr_answer(qtype == MX_TYPE_A ? "198.51.100.2" : "2001:db8::2");
	mx_chain_observe_lookup(t, &l);
	for (unsigned k = 0; k < n && k < 32; k++)
		(*(qtype == MX_TYPE_A ? &model[k].a : &model[k].aaaa))++;
}

static void index_bucket_order_after_removals(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	static struct bo_chain model[BO_N + 8], closed[BO_N + 8];
	unsigned n = 0, nclosed = 0;
	uint64_t frame = 1;
	for (unsigned i = 0; i < BO_N; i++)
		bo_open(t, model, &n, i, 1, T0 + i * (SEC / 10), frame += 2);
	static const unsigned first[] = {5, 17, 18, 30}, second[] = {0, 39, 20, 18};
	for (unsigned r = 0; r < 4; r++) {
		for (unsigned k = 0; k < n; k++)
			if (model[k].id == first[r])
				closed[nclosed++] = model[k];
		bo_open(t, model, &n, first[r], 2, T0 + 70 * SEC + r, frame += 2);
	}
	bo_lookup(t, model, n, MX_TYPE_A, T0 + 71 * SEC, frame += 2);
	for (unsigned r = 0; r < 4; r++) {
		for (unsigned k = 0; k < n; k++)
			if (model[k].id == second[r])
				closed[nclosed++] = model[k];
		/* 18 was asked again at 70 s: this is its same attempt (no close) */
		if (second[r] == 18) {
			struct mx_lookup l;
			lk(&l, "192.0.2.10", "d18.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 75 * SEC + r, frame += 2);
			mx_answer("mx.shared.test", NULL);
			mx_chain_observe_lookup(t, &l);
			nclosed--;
			continue;
		}
		bo_open(t, model, &n, second[r], 2, T0 + 75 * SEC + r, frame += 2);
	}
	bo_lookup(t, model, n, MX_TYPE_AAAA, T0 + 76 * SEC, frame += 2);
	assert_int_equal(ngot, nclosed);
	mx_chain_finish(t, T0 + 1000 * SEC);
	for (unsigned k = 0; k < n; k++)
		closed[nclosed++] = model[k];
	assert_int_equal(ngot, BO_N + 7);
	assert_int_equal(nclosed, BO_N + 7);
	assert_int_equal(mx_chain_peek_stats(t)->lookups_joined, 64);
	unsigned matched = 0;
	for (size_t g = 0; g < ngot; g++) {
		unsigned id = 0;
		assert_int_equal(sscanf((const char *)got[g].domain.wire + 2, "%u", &id), 1);
		for (unsigned k = 0; k < nclosed; k++) {
			if (closed[k].id != id || closed[k].attempt != got[g].attempt)
				continue;
			assert_int_equal(got[g].hosts[0].a.lookups, closed[k].a);
			assert_int_equal(got[g].hosts[0].aaaa.lookups, closed[k].aaaa);
			matched++;
		}
	}
	assert_int_equal(matched, BO_N + 7);
	mx_chain_free(t);
}

/* FORMERR to the MX query is final for a stub resolver: failed, not
 * deferred; SERVFAIL stays deferred. An IP-literal exchange is its own
 * address: a SYN to it connects the chain. */
static void formerr_mx_fails_and_literal_connects(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "formerr.test", MX_TYPE_MX, MX_O_FORMERR, T0, 1);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "servfail.test", MX_TYPE_MX, MX_O_SERVFAIL, T0, 3);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "literal.test", MX_TYPE_MX, MX_O_ANSWER, T0, 5);
	mx_answer("198.51.100.26", NULL);
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + SEC;
	syn.frame = 7;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.26", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[0].verdict, MX_CHAIN_FAILED);
	assert_int_equal(got[1].verdict, MX_CHAIN_DEFERRED);
	assert_int_equal(got[2].verdict, MX_CHAIN_RESOLVED);
	assert_true(got[2].hosts[0].ip_literal);
	assert_true(got[2].connected);
	assert_int_equal(got[2].syn_frame, 7);
	assert_int_equal(got[2].syn_other, 0);
	mx_chain_free(t);
}

static void pending_lookup_is_not_a_failure(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "example.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.example.test", NULL);
	mx_chain_observe_lookup(t, &l);
	/* the capture ends 1 s after the A query: pending, not TIMEOUT */
	lk(&l, "192.0.2.10", "mx1.example.test", MX_TYPE_A, MX_O_TIMEOUT, T0 + SEC, 3);
	l.pending_at_end = true;
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 2 * SEC);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].verdict, MX_CHAIN_INCOMPLETE);
	assert_true(got[0].hosts[0].a.pending);
	assert_true(got[0].cut_short);
	mx_chain_free(t);
}

/* The chain table keys a sender by the client hash a closed lookup carries
 * (client_hash, as lookup.c fills it; 0 in a struct built elsewhere, then
 * computed): lookups with and without it, and a SYN (whose source is hashed
 * by the table), all find the same open chain. */
static void carried_client_hash(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "hash.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	l.client_hash = mx_txn_client_hash(&l.client);
	mx_answer("mx.hash.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.hash.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 3);
	addr_answer("198.51.100.7");
	mx_chain_observe_lookup(t, &l); /* client_hash 0 */
	lk(&l, "192.0.2.10", "mx.hash.test", MX_TYPE_AAAA, MX_O_NODATA, T0 + SEC, 5);
	l.client_hash = mx_txn_client_hash(&l.client);
	mx_chain_observe_lookup(t, &l);
	/* another sender's lookup of the same name joins nothing */
	lk(&l, "192.0.2.11", "mx.hash.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 7);
	l.client_hash = mx_txn_client_hash(&l.client);
	addr_answer("198.51.100.8");
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 2 * SEC;
	syn.frame = 9;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.7", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	mx_chain_finish(t, T0 + 10 * SEC);
	assert_int_equal(ngot, 1);
	const struct mx_chain *c = &got[0];
	assert_int_equal(c->n_hosts, 1);
	assert_true(c->hosts[0].a.asked);
	assert_true(c->hosts[0].aaaa.asked);
	assert_int_equal(c->hosts[0].a.lookups, 1);
	assert_int_equal(c->hosts[0].n_addrs, 1);
	assert_true(c->connected);
	assert_true(c->hosts[0].connected);
	assert_int_equal(c->syn_frame, 9);
	assert_int_equal(c->verdict, MX_CHAIN_RESOLVED);
	mx_chain_free(t);
}

/* The question hash a lookup carries (l->qhash, from its transaction) is
 * used as the name's hash: an A lookup that carries it joins without hashing,
 * and an MX lookup finds its (sender, domain) history by it. A carried hash
 * and one computed from the name (qhash 0) must agree: each kind of lookup
 * below joins whether it carries the hash or not. */
static void carried_question_hash(void **state)
{
	(void)state;
	for (unsigned carry = 0; carry < 4; carry++) {
		struct mx_chain_table *t = new_table(0);
		struct mx_lookup l;
		lk(&l, "192.0.2.10", "qh.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
		if (carry & 1)
			l.qhash = mx_txn_question_hash(&l.qname, l.qtype, l.qclass);
		mx_answer("mx1.qh.test", "mx2.qh.test");
		mx_chain_observe_lookup(t, &l);
		/* the MX asked again within the retry gap: the same attempt,
		 * found in the history by the other way of hashing */
		lk(&l, "192.0.2.10", "qh.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC, 3);
		if (!(carry & 1))
			l.qhash = mx_txn_question_hash(&l.qname, l.qtype, l.qclass);
		mx_answer("mx1.qh.test", "mx2.qh.test");
		mx_chain_observe_lookup(t, &l);
		static const char *const names[] = {"mx1.qh.test", "mx2.qh.test"};
		static const struct {
			const char *name;
			uint16_t qtype;
		} m[] = {{"mx1.qh.test", MX_TYPE_A},
			 {"mx1.qh.test", MX_TYPE_AAAA},
			 {"mx2.qh.test", MX_TYPE_AAAA},
			 {"_25._tcp.mx1.qh.test", MX_TYPE_TLSA},
			 {"_25._tcp.mx2.qh.test", MX_TYPE_TLSA}};
		for (unsigned k = 0; k < 5; k++) {
			lk(&l, "192.0.2.10", m[k].name, m[k].qtype, MX_O_NODATA, T0 + 2 * SEC, 10 + 2 * k);
			if (carry & 2)
				l.qhash = mx_txn_question_hash(&l.qname, l.qtype, l.qclass);
			mx_chain_observe_lookup(t, &l);
		}
		/* the A lookup of each exchange, carrying its hash or not */
		for (unsigned h = 0; h < 2; h++) {
			lk(&l, "192.0.2.10", names[h], MX_TYPE_A, MX_O_ANSWER, T0 + 3 * SEC, 40 + 2 * h);
			if ((carry >> 1) ^ h)
				l.qhash = mx_txn_question_hash(&l.qname, l.qtype, l.qclass);
			addr_answer(h ? "198.51.100.2" : "198.51.100.1");
			mx_chain_observe_lookup(t, &l);
		}
		mx_chain_finish(t, T0 + 400 * SEC);
		assert_int_equal(ngot, 1);
		const struct mx_chain *c = &got[0];
		assert_int_equal(c->mx.lookups, 2);
		assert_int_equal(c->attempt, 1);
		assert_int_equal(c->n_hosts, 2);
		assert_true(c->hosts[0].a.asked);
		assert_true(c->hosts[1].a.asked);
		assert_int_equal(c->hosts[0].n_addrs, 1);
		assert_int_equal(c->hosts[1].n_addrs, 1);
		for (unsigned h = 0; h < 2; h++) {
			assert_int_equal(c->hosts[h].a.lookups, 2 - h);
			assert_true(c->hosts[h].aaaa.asked);
			assert_true(c->hosts[h].tlsa.asked);
		}
		assert_int_equal(mx_chain_peek_stats(t)->lookups_joined, 5 + 2);
		mx_chain_free(t);
	}
}

/* Arena items are not cleared when allocated: each is written or read only
 * under its counts. One open slot (max_open 1): a rich chain (an A step
 * with several tries and resolvers, so promoted to a large step, a CNAME,
 * addresses, TLSA, a SYN) is evicted by a lean one with names of the same
 * lengths, whose items then lie where the rich chain's were; the lean one
 * carries nothing of the other. */
static void reused_slot_carries_nothing(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(1);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "aaa.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx.aaa.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.aaa.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 10);
	l.n_tries = 4;
	for (unsigned i = 1; i < 4; i++) {
		l.tries[i] = l.tries[0];
		l.tries[i].q_frame = 10 + 2 * i;
		l.tries[i].r_frame = 11 + 2 * i;
	}
	l.n_resolvers = 3;
	mx_addr_parse("192.0.2.54", &l.resolvers[1]);
	mx_addr_parse("192.0.2.55", &l.resolvers[2]);
	msg.n_addr = 3;
	msg.addr_total = 3;
	mx_addr_parse("198.51.100.1", &msg.addr[0].addr);
	mx_addr_parse("198.51.100.2", &msg.addr[1].addr);
	mx_addr_parse("198.51.100.3", &msg.addr[2].addr);
	msg.n_cname = 1;
	assert_int_equal(mx_dname_from_text("alias.aaa.test", &msg.cname[0]), 0);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "_25._tcp.mx.aaa.test", MX_TYPE_TLSA, MX_O_NXDOMAIN, T0 + SEC, 30);
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 2 * SEC;
	syn.frame = 40;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.3", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	/* the lean chain evicts the rich one and takes its slot */
	lk(&l, "192.0.2.10", "bbb.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 10 * SEC, 50);
	mx_answer("mx.bbb.test", NULL);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.bbb.test", MX_TYPE_A, MX_O_ANSWER, T0 + 11 * SEC, 60);
	addr_answer("198.51.100.9");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *rich = &got[0], *lean = &got[1];
	assert_true(rich->evicted);
	assert_int_equal(rich->hosts[0].a.n_resolvers, 3);
	assert_int_equal(rich->hosts[0].a.n_frames, 8);
	assert_int_equal(rich->hosts[0].n_addrs, 3);
	assert_int_equal(rich->hosts[0].cname.len, 16);
	assert_true(rich->hosts[0].tlsa.asked);
	assert_true(rich->connected);

	static struct mx_chain lean_copy, want; /* want: the lean chain as a fresh table builds it */
	lean_copy = *lean;
	struct mx_chain_table *t2 = new_table(1);
	lk(&l, "192.0.2.10", "bbb.test", MX_TYPE_MX, MX_O_ANSWER, T0 + 10 * SEC, 50);
	mx_answer("mx.bbb.test", NULL);
	mx_chain_observe_lookup(t2, &l);
	lk(&l, "192.0.2.10", "mx.bbb.test", MX_TYPE_A, MX_O_ANSWER, T0 + 11 * SEC, 60);
	addr_answer("198.51.100.9");
	mx_chain_observe_lookup(t2, &l);
	mx_chain_finish(t2, T0 + 1000 * SEC);
	assert_int_equal(ngot, 1);
	want = got[0];
	const struct mx_chain_host *h = &want.hosts[0];
	assert_int_equal(h->a.n_resolvers, 1);
	assert_int_equal(h->a.n_frames, 2);
	assert_int_equal(h->n_addrs, 1);
	assert_int_equal(h->cname.len, 0);
	assert_false(h->tlsa.asked);
	assert_false(h->connected);
	/* byte for byte the same but for the sequence number */
	want.seq = lean_copy.seq;
	assert_memory_equal(&lean_copy, &want, sizeof want);
	mx_chain_free(t2);
	mx_chain_free(t);
}

/* The step as the merge rules define it, lookup by lookup (the reference for
 * step_merge_matches_reference): the best outcome (lowest, ties to the later
 * lookup) with its latency, EDE and the rcode of its first closed try of that
 * outcome; frames (query then response, try by try) and resolvers without
 * repeats in first-seen order, capped. */
static void ref_merge(struct mx_chain_step *s, const struct mx_lookup *l)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	bool was = s->asked;
	if (!was)
		s->first_end_us = l->last_us;
	if (!was || l->first_us < s->first_us)
		s->first_us = l->first_us;
	if (!was || l->outcome <= s->outcome) {
		s->outcome = l->outcome;
		s->latency_us = l->latency_us;
		s->ede = l->ede;
		s->rcode = 0;
		for (unsigned i = 0; i < nt; i++)
			if (l->tries[i].outcome == l->outcome && !l->tries[i].open) {
				s->rcode = l->tries[i].rcode;
				break;
			}
	}
	s->pending = l->pending_at_end && l->outcome == MX_O_TIMEOUT;
	s->asked = true;
	s->lookups++;
	s->attempts += l->attempts;
	if (l->last_us > s->end_us)
		s->end_us = l->last_us;
	s->lookup_seq = l->seq;
	for (unsigned i = 0; i < nt; i++) {
		s->timeouts |= l->tries[i].outcome == MX_O_TIMEOUT || l->tries[i].open;
		uint64_t fr[2] = {l->tries[i].q_frame, l->tries[i].r_frame};
		for (unsigned k = 0; k < 2; k++) {
			bool seen = false;
			for (unsigned j = 0; j < s->n_frames; j++)
				seen |= s->frames[j] == fr[k];
			if (fr[k] && !seen && s->n_frames < MX_CHAIN_MAX_FRAMES)
				s->frames[s->n_frames++] = fr[k];
		}
	}
	for (unsigned i = 0; i < l->n_resolvers; i++) {
		bool seen = false;
		for (unsigned j = 0; j < s->n_resolvers; j++)
			seen |= mx_addr_eq(&s->resolvers[j], &l->resolvers[i]);
		if (!seen && s->n_resolvers < MX_LOOKUP_MAX_RESOLVERS)
			s->resolvers[s->n_resolvers++] = l->resolvers[i];
	}
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 11) % n;
}

/* step_merge writes a new step's fields at once and skips the frame scan
 * for a frame above every frame held: random lookups (0-12 tries, frames
 * from a small range so that they repeat, go down and are 0, mixed
 * outcomes, open tries, 0-4 resolvers from a pool) merged 1-5 times into
 * each of A and AAAA of one exchange give the reference's steps. */
static void step_merge_matches_reference(void **state)
{
	(void)state;
	static const enum mx_outcome oc[] = {MX_O_ANSWER, MX_O_NODATA, MX_O_SERVFAIL, MX_O_TIMEOUT, MX_O_REFUSED};
	static const char *const pool[] = {"192.0.2.53", "192.0.2.54", "2001:db8::53", "198.51.100.53",
					   "192.0.2.55", "2001:db8::54"};
	for (unsigned round = 0; round < 400; round++) {
		struct mx_chain_table *t = new_table(0);
		struct mx_lookup l;
		lk(&l, "192.0.2.10", "ref.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
		mx_answer("mx.ref.test", NULL);
		mx_chain_observe_lookup(t, &l);
		struct mx_chain_step want[2];
		memset(want, 0, sizeof want);
		unsigned merges = 2 + rnd(9);
		uint64_t base = round % 3 == 0 ? 1000 : 100; /* frames above or among the earlier ones */
		for (unsigned m = 0; m < merges; m++) {
			unsigned fam = rnd(2);
			lk(&l, "192.0.2.10", "mx.ref.test", fam ? MX_TYPE_AAAA : MX_TYPE_A, oc[rnd(5)],
			   T0 + SEC + rnd(50) * (SEC / 10), 5);
			l.seq = 100 + m;
			l.attempts = 1 + rnd(4);
			l.latency_us = rnd(100000);
			l.ede = rnd(3) ? 0xffff : (uint16_t)rnd(30);
			l.pending_at_end = rnd(4) == 0;
			l.last_us = l.first_us + rnd(5 * SEC);
			l.n_tries = (uint16_t)rnd(MX_LOOKUP_MAX_TRIES + 1);
			for (unsigned i = 0; i < l.n_tries; i++) {
				struct mx_lookup_try *tr = &l.tries[i];
				tr->q_frame = rnd(4) == 0 ? 0 : base + rnd(40);
				tr->r_frame = rnd(3) == 0 ? 0 : base + rnd(40);
				if (round % 2)
					base += rnd(3); /* mostly increasing */
				tr->outcome = oc[rnd(5)];
				tr->open = rnd(5) == 0;
				tr->rcode = (uint16_t)rnd(6);
			}
			l.n_resolvers = (uint16_t)rnd(MX_LOOKUP_MAX_RESOLVERS + 1);
			for (unsigned i = 0; i < l.n_resolvers; i++)
				assert_int_equal(mx_addr_parse(pool[rnd(6)], &l.resolvers[i]), 0);
			l.answer = NULL;
			mx_chain_observe_lookup(t, &l);
			ref_merge(&want[fam], &l);
		}
		mx_chain_finish(t, T0 + 1000 * SEC);
		assert_int_equal(ngot, 1);
		for (unsigned fam = 0; fam < 2; fam++) {
			const struct mx_chain_step *g = fam ? &got[0].hosts[0].aaaa : &got[0].hosts[0].a;
			struct mx_chain_step *w = &want[fam];
			if (!w->asked)
				w->ede = 0xffff; /* never asked */
			assert_memory_equal(g, w, sizeof *w);
		}
		mx_chain_free(t);
	}
}

/* A name enters the index once per host: a host added by the first MX
 * answer and named again by a second one (the MX asked again inside the
 * attempt), the implicit host, and a CNAME target seen in two answers each
 * make a later lookup of that name join its host once. Addresses added one
 * by one, a SYN to each, tie the host once. */
static void index_entries_not_repeated(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "rep.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.rep.test", "mx2.rep.test");
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "rep.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC, 3);
	mx_answer("mx2.rep.test", "mx3.rep.test"); /* mx2 again, mx3 new */
	mx_chain_observe_lookup(t, &l);
	for (unsigned k = 0; k < 2; k++) { /* the same CNAME in two answers */
		lk(&l, "192.0.2.10", "mx1.rep.test", k ? MX_TYPE_AAAA : MX_TYPE_A, MX_O_ANSWER, T0 + 2 * SEC, 10 + 2 * k);
		addr_answer(k ? "2001:db8::25" : "198.51.100.25");
		msg.n_cname = 1;
		assert_int_equal(mx_dname_from_text("alias.rep.test", &msg.cname[0]), 0);
		mx_chain_observe_lookup(t, &l);
	}
	static const char *const names[] = {"mx2.rep.test", "mx3.rep.test", "alias.rep.test"};
	for (unsigned k = 0; k < 3; k++) {
		lk(&l, "192.0.2.10", names[k], MX_TYPE_A, MX_O_ANSWER, T0 + 3 * SEC, 20 + 2 * k);
		addr_answer("198.51.100.30");
		mx_chain_observe_lookup(t, &l);
	}
	/* a NODATA MX: the implicit host, then its A lookup */
	lk(&l, "192.0.2.10", "imp.test", MX_TYPE_MX, MX_O_NODATA, T0 + 4 * SEC, 40);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "imp.test", MX_TYPE_A, MX_O_ANSWER, T0 + 5 * SEC, 42);
	addr_answer("198.51.100.40");
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *c = &got[0];
	assert_int_equal(c->n_hosts, 3);
	assert_int_equal(c->mx.lookups, 2);
	assert_int_equal(c->hosts[0].a.lookups, 2); /* its own A, then alias's A through the CNAME */
	assert_int_equal(c->hosts[0].aaaa.lookups, 1);
	assert_int_equal(c->hosts[1].a.lookups, 1);
	assert_int_equal(c->hosts[2].a.lookups, 1);
	assert_int_equal(got[1].hosts[0].a.lookups, 1);
	assert_true(got[1].hosts[0].implicit);
	assert_int_equal(mx_chain_peek_stats(t)->lookups_joined, 2 + 3 + 1);
	mx_chain_free(t);
}

/* looks_ip_literal_slow()'s rule, the reference for ip_literal_matches_reference:
 * four numeric labels 0-255, or a label with ':' '[' ']'. */
static bool ref_ip_literal(const struct mx_dname *n)
{
	unsigned labels = 0, numeric = 0;
	size_t i = 0;
	while (i < n->len && n->wire[i]) {
		size_t ll = n->wire[i];
		bool digits = ll <= 3;
		unsigned v = 0;
		for (size_t p = i + 1; p <= i + ll && p < n->len; p++) {
			uint8_t ch = n->wire[p];
			if (ch == ':' || ch == '[' || ch == ']')
				return true;
			if (ch < '0' || ch > '9')
				digits = false;
			else
				v = v * 10 + (unsigned)(ch - '0');
		}
		if (digits && v <= 255)
			numeric++;
		labels++;
		i += ll + 1;
	}
	return labels == 4 && numeric == 4;
}

/* The IP-literal test on exchange names: the fast filter (':' and 'Y' '['
 * ']' '_' eight bytes at a time, then four numeric labels) agrees with the
 * rule on random names made of digits, letters, 'Y', '_', ':', '[' and ']',
 * numeric labels 0-999, 1-6 labels, long labels (a length byte 58 is ':'). */
static void ip_literal_matches_reference(void **state)
{
	(void)state;
	static const char alpha[] = "0123456789abcxyzY_:[]-";
	unsigned literals = 0, hosts = 0;
	for (unsigned round = 0; round < 600; round++) {
		struct mx_chain_table *t = new_table(0);
		struct mx_lookup l;
		lk(&l, "192.0.2.10", "lit.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
		msg.n_mx = 1 + rnd(MX_CHAIN_MAX_HOSTS);
		for (unsigned k = 0; k < msg.n_mx; k++) {
			struct mx_dname *d = &msg.mx[k].exchange;
			memset(d, 0, sizeof *d);
			msg.mx[k].pref = (uint16_t)(10 * k);
			unsigned nl = 1 + rnd(6), len = 0;
			for (unsigned j = 0; j < nl; j++) {
				unsigned kind = rnd(8), ll;
				uint8_t lab[64];
				if (kind < 4) { /* a number */
					char num[8];
					unsigned v = kind == 0 ? rnd(1000) : rnd(256);
					ll = (unsigned)snprintf(num, sizeof num, "%u", v);
					memcpy(lab, num, ll);
				} else if (kind == 7) { /* long: maybe length byte 58 (':') */
					ll = rnd(2) ? 58 : 40 + rnd(24);
					for (unsigned b = 0; b < ll; b++)
						lab[b] = (uint8_t)"abcdefY_"[rnd(8)];
				} else {
					ll = 1 + rnd(12);
					for (unsigned b = 0; b < ll; b++)
						lab[b] = (uint8_t)alpha[rnd(sizeof alpha - 1)];
					if (rnd(4))
						for (unsigned b = 0; b < ll; b++)
							if (lab[b] == ':' || lab[b] == '[' || lab[b] == ']')
								lab[b] = 'q'; /* mostly none */
				}
				if (len + 1 + ll + 1 > MX_DNAME_MAX)
					break;
				d->wire[len] = (uint8_t)ll;
				memcpy(d->wire + len + 1, lab, ll);
				len += 1 + ll;
				d->labels++;
			}
			d->wire[len++] = 0;
			d->len = (uint8_t)len;
		}
		msg.mx_total = msg.n_mx;
		mx_chain_observe_lookup(t, &l);
		mx_chain_finish(t, T0 + 1000 * SEC);
		assert_int_equal(ngot, 1);
		for (unsigned h = 0; h < got[0].n_hosts; h++) {
			bool want = ref_ip_literal(&got[0].hosts[h].name);
			assert_int_equal(got[0].hosts[h].ip_literal, want);
			literals += want;
			hosts++;
		}
		mx_chain_free(t);
	}
	assert_true(literals > 50 && literals < hosts); /* both kinds seen */
}

/* A host's addresses: each answer's new ones appended in order (repeats
 * inside an answer and across answers dropped), at most
 * MX_CHAIN_MAX_ADDRS; a SYN to a later one ties the host. */
static void host_addresses_in_order(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "adr.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx.adr.test", NULL);
	mx_chain_observe_lookup(t, &l);
	static const char *const a1[] = {"198.51.100.1", "198.51.100.2", "198.51.100.1"};
	static const char *const a2[] = {"2001:db8::1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
					 "198.51.100.5", "198.51.100.6", "198.51.100.7", "198.51.100.8",
					 "198.51.100.9"};
	lk(&l, "192.0.2.10", "mx.adr.test", MX_TYPE_A, MX_O_ANSWER, T0 + SEC, 3);
	msg.n_addr = 3;
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mx_addr_parse(a1[i], &msg.addr[i].addr), 0);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "mx.adr.test", MX_TYPE_AAAA, MX_O_ANSWER, T0 + SEC, 5);
	msg.n_addr = 9;
	for (unsigned i = 0; i < 9; i++)
		assert_int_equal(mx_addr_parse(a2[i], &msg.addr[i].addr), 0);
	mx_chain_observe_lookup(t, &l);
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 2 * SEC;
	syn.frame = 9;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.100.7", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	mx_chain_finish(t, T0 + 1000 * SEC);
	assert_int_equal(ngot, 1);
	const struct mx_chain_host *h = &got[0].hosts[0];
	static const char *const want[] = {"198.51.100.1", "198.51.100.2", "2001:db8::1", "198.51.100.3",
					   "198.51.100.4", "198.51.100.5", "198.51.100.6", "198.51.100.7"};
	assert_int_equal(h->n_addrs, MX_CHAIN_MAX_ADDRS);
	for (unsigned i = 0; i < MX_CHAIN_MAX_ADDRS; i++) {
		struct mx_addr w;
		assert_int_equal(mx_addr_parse(want[i], &w), 0);
		assert_true(mx_addr_eq(&h->addrs[i], &w));
	}
	assert_true(h->connected);
	assert_true(got[0].connected);
	assert_int_equal(got[0].syn_other, 0);
	mx_chain_free(t);
}

/* A random name of 1..4 labels of 1..maxlab letters under ".test". */
static void rnd_name(char *buf, size_t n, unsigned maxlab)
{
	size_t o = 0;
	unsigned labels = 1 + rnd(4);
	for (unsigned k = 0; k < labels && o + maxlab + 8 < n; k++) {
		unsigned ll = 1 + rnd(maxlab);
		for (unsigned i = 0; i < ll; i++)
			buf[o++] = (char)('a' + rnd(26));
		buf[o++] = '.';
	}
	snprintf(buf + o, n - o, "test");
}

/* l's tries (1..10, frames from *frame on), resolvers (1..4 of 6). */
static void rnd_tries(struct mx_lookup *l, uint64_t *frame)
{
	l->n_tries = (uint16_t)(1 + rnd(10));
	l->tries_total = l->n_tries;
	l->attempts = l->n_tries;
	for (unsigned i = 0; i < l->n_tries; i++) {
		l->tries[i] = l->tries[0];
		l->tries[i].q_frame = (*frame)++;
		l->tries[i].r_frame = rnd(4) ? (*frame)++ : 0;
	}
	l->n_resolvers = (uint16_t)(1 + rnd(4));
	for (unsigned i = 0; i < l->n_resolvers; i++) {
		char res[32];
		snprintf(res, sizeof res, "192.0.2.%u", 50 + rnd(6));
		mx_addr_parse(res, &l->resolvers[i]);
	}
}

/* When peek_buf is set, rnd_chain() peeks at the open chains after every
 * event (peek_n: the last peek's count). */
static struct mx_chain *peek_buf;
static size_t peek_max, peek_n;

static void obs_lookup(struct mx_chain_table *t, const struct mx_lookup *l)
{
	mx_chain_observe_lookup(t, l);
	if (peek_buf)
		peek_n = mx_chain_peek_open(t, peek_buf, peek_max);
}

static void obs_tcp(struct mx_chain_table *t, const struct mx_tcpctl *s)
{
	mx_chain_observe_tcp(t, s);
	if (peek_buf)
		peek_n = mx_chain_peek_open(t, peek_buf, peek_max);
}

/* One random chain of sender 192.0.2.10 from time t0, closed by finish:
 * an MX lookup (answered with 0..10 exchanges, or negative with or without
 * an SOA), then per host 0..3 lookups each of A, AAAA and TLSA (tries,
 * resolvers, addresses, CNAME targets at random) and maybe a SYN. The same
 * seed gives the same chain. */
static void rnd_chain(struct mx_chain_table *t, uint64_t seed, uint64_t t0)
{
	rnd_state = seed;
	struct mx_lookup l;
	char dom[300], ex[10][300];
	uint64_t frame = 1;
	/* a domain of its own (a second attempt would differ in prev_start_us) */
	int dl = snprintf(dom, sizeof dom, "s%llx.", (unsigned long long)(seed & 0xffffffffffffULL));
	rnd_name(dom + dl, sizeof dom - (size_t)dl, 1 + rnd(60));
	static const enum mx_outcome mo[4] = {MX_O_ANSWER, MX_O_NODATA, MX_O_NXDOMAIN, MX_O_SERVFAIL};
	enum mx_outcome o = rnd(3) ? MX_O_ANSWER : mo[rnd(4)];
	lk(&l, "192.0.2.10", dom, MX_TYPE_MX, o, t0, frame);
	rnd_tries(&l, &frame);
	unsigned nx = 0;
	if (o == MX_O_ANSWER) {
		nx = rnd(11);
		msg.n_mx = (uint16_t)nx;
		msg.mx_total = (uint16_t)nx;
		for (unsigned i = 0; i < nx; i++) {
			rnd_name(ex[i], sizeof ex[i], 1 + rnd(60));
			msg.mx[i].pref = (uint16_t)rnd(30);
			assert_int_equal(mx_dname_from_text(ex[i], &msg.mx[i].exchange), 0);
		}
	} else {
		snprintf(ex[0], sizeof ex[0], "%s", dom);
		nx = 1;
	}
	if (l.answer && rnd(2)) {
		char soa[300];
		rnd_name(soa, sizeof soa, 1 + rnd(60));
		msg.has_soa = true;
		msg.neg_ttl = rnd(3600);
		assert_int_equal(mx_dname_from_text(soa, &msg.soa_owner), 0);
	}
	obs_lookup(t, &l);
	struct mx_addr last = {0};
	for (unsigned h = 0; h < nx; h++)
		for (unsigned q = 0; q < 3; q++)
			for (unsigned r = rnd(4); r > 0; r--) {
				static const uint16_t qt[3] = {MX_TYPE_A, MX_TYPE_AAAA, MX_TYPE_TLSA};
				char name[320];
				snprintf(name, sizeof name, q == 2 ? "_25._tcp.%s" : "%s", ex[h]);
				enum mx_outcome lo = mo[rnd(4)];
				lk(&l, "192.0.2.10", name, qt[q], lo, t0 + SEC + rnd(50) * SEC / 10, frame);
				rnd_tries(&l, &frame);
				if (l.answer && q < 2 && lo == MX_O_ANSWER) {
					msg.n_addr = (uint16_t)rnd(11);
					msg.addr_total = msg.n_addr;
					for (unsigned a = 0; a < msg.n_addr; a++) {
						char as[64];
						if (q == 0)
							snprintf(as, sizeof as, "198.51.100.%u", 1 + rnd(20));
						else
							snprintf(as, sizeof as, "2001:db8::%x", 1 + rnd(20));
						assert_int_equal(mx_addr_parse(as, &msg.addr[a].addr), 0);
						last = msg.addr[a].addr;
					}
					if (rnd(3) == 0) {
						char cn[300];
						rnd_name(cn, sizeof cn, 1 + rnd(60));
						msg.n_cname = 1;
						msg.cname_loop = rnd(2);
						assert_int_equal(mx_dname_from_text(cn, &msg.cname[0]), 0);
					}
				}
				obs_lookup(t, &l);
			}
	if (last.family && rnd(2)) {
		struct mx_tcpctl syn = {0};
		syn.ts_us = t0 + 10 * SEC;
		syn.frame = frame;
		syn.dport = 25;
		syn.syn = true;
		mx_addr_parse("192.0.2.10", &syn.src);
		syn.dst = last;
		obs_tcp(t, &syn);
	}
	mx_chain_finish(t, t0 + 100 * SEC);
}

/* Names are compared byte for byte (inline, a word at a time with the last
 * word overlapping): two exchanges of one answer that differ in any one
 * byte are two hosts, the same name twice is one. Lengths around the word
 * sizes, every position. */
static void exchange_names_compared_exactly(void **state)
{
	(void)state;
	static const unsigned lens[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 23, 24, 25, 64, 200, 255};
	struct mx_chain_table *t = new_table(0);
	uint64_t now = T0;
	for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
		unsigned len = lens[li];
		struct mx_dname a = {0};
		/* labels of up to 63 letters, then the root label */
		a.len = (uint8_t)len;
		for (unsigned i = 0; i + 1 < len;) {
			unsigned ll = len - 2 - i < 63 ? len - 2 - i : 63;
			a.wire[i] = (uint8_t)ll;
			for (unsigned k = 1; k <= ll; k++)
				a.wire[i + k] = (uint8_t)('a' + (i + k) % 26);
			a.labels++;
			i += ll + 1;
		}
		for (unsigned p = 0; p <= len; p++) {
			/* p < len: a differs at p from b; p == len: the same name */
			struct mx_dname b = a;
			if (p < len) {
				if (b.wire[p] < 'a')
					continue; /* a length byte: keep the labels */
				b.wire[p] = b.wire[p] == 'z' ? 'y' : (uint8_t)(b.wire[p] + 1);
			}
			struct mx_lookup l;
			char dom[32];
			snprintf(dom, sizeof dom, "n%u-%u.test", len, p);
			lk(&l, "192.0.2.10", dom, MX_TYPE_MX, MX_O_ANSWER, now, 1);
			msg.n_mx = 2;
			msg.mx_total = 2;
			msg.mx[0].pref = 10;
			msg.mx[0].exchange = a;
			msg.mx[1].pref = 10;
			msg.mx[1].exchange = b;
			mx_chain_observe_lookup(t, &l);
			size_t before = ngot;
			mx_chain_finish(t, now + 200 * SEC);
			assert_int_equal(ngot, before + 1);
			const struct mx_chain *c = &got[before % 64];
			assert_int_equal(c->n_hosts, p < len ? 2 : 1);
			now += 300 * SEC;
		}
	}
	mx_chain_free(t);
}

/* The record handed to the callbacks is one scratch record, overwritten at
 * each close (every scalar written, arrays and names up to their counts
 * with the previous chain's longer tails cleared). Random chains closed
 * one after the other in one table give, byte for byte (but the sequence
 * number), the records that a fresh table (an all-zero record) gives for
 * each alone. */
static void scratch_overwrite_matches_fresh(void **state)
{
	(void)state;
	static struct mx_chain seen, want;
	struct mx_chain_table *t = new_table(0);
	for (unsigned k = 0; k < 300; k++) {
		uint64_t seed = 0x5eed0000ULL + k * 0x9e3779b97f4a7c15ULL;
		uint64_t t0 = T0 + (uint64_t)k * 1000 * SEC;
		size_t before = ngot;
		rnd_chain(t, seed, t0);
		assert_int_equal(ngot, before + 1);
		seen = got[before % 64];
		struct mx_chain_table *t2 = new_table(0);
		rnd_chain(t2, seed, t0);
		assert_int_equal(ngot, 1);
		want = got[0];
		mx_chain_free(t2);
		ngot = before + 1;
		want.seq = seen.seq;
		assert_memory_equal(&seen, &want, sizeof want);
	}
	mx_chain_free(t);
}

/* mx_chain_tick is inline and calls out only when the head chain may be
 * due: a random script (new chains whose MX lookups end out of order, the
 * MX asked again inside the attempt, which extends that chain's window,
 * ticks and lookups that advance the clock; a cap of 8 open chains, so
 * that the head is also evicted) closes, after every event, exactly the
 * chains a plain walk of the open list in start order closes. */
static void tick_closes_when_due(void **state)
{
	(void)state;
	const uint64_t hold = 120 * SEC + 45 * SEC; /* chain window + retransmission gap */
	for (unsigned round = 0; round < 40; round++) {
		unsigned cap = round % 2 ? 8 : 4096; /* 8: the oldest is evicted when a ninth opens */
		struct mx_chain_table *t = new_table(cap);
		uint64_t close_at[64], start[64], now = T0, clk = 0;
		unsigned head = 0, n = 0;
		for (unsigned ev = 0; ev < 300; ev++) {
			unsigned kind = rnd(4);
			struct mx_lookup l;
			char dom[32];
			if (kind == 0 && n < 64) { /* a new chain */
				snprintf(dom, sizeof dom, "d%u.test", n);
				lk(&l, "192.0.2.10", dom, MX_TYPE_MX, MX_O_ANSWER, now, 1 + 2 * ev);
				mx_answer("mx.d.test", NULL);
				l.last_us = now + rnd(90) * SEC; /* ends out of order */
				start[n] = now;
				close_at[n] = l.last_us + hold;
				n++;
			} else if (kind == 1 && head < n) { /* the MX again, same attempt */
				unsigned k = head + rnd(n - head);
				if (now >= start[k] + 60 * SEC)
					continue;
				snprintf(dom, sizeof dom, "d%u.test", k);
				lk(&l, "192.0.2.10", dom, MX_TYPE_MX, MX_O_SERVFAIL, now, 1 + 2 * ev);
				l.last_us = now + rnd(90) * SEC;
				mx_chain_observe_lookup(t, &l); /* ticks at now first */
				clk = now > clk ? now : clk;
				while (head < n && close_at[head] <= clk)
					head++;
				close_at[k] = l.last_us + hold;
				assert_int_equal(ngot, head);
				continue;
			} else { /* time passes */
				now += rnd(kind == 2 ? 5 : 120) * SEC + rnd(1000);
				uint64_t at = now - rnd(2) * SEC; /* a late time does not go back */
				mx_chain_tick(t, at);
				clk = at > clk ? at : clk;
				while (head < n && close_at[head] <= clk)
					head++;
				assert_int_equal(ngot, head);
				continue;
			}
			mx_chain_observe_lookup(t, &l);
			clk = now > clk ? now : clk;
			while (head < n - 1 && close_at[head] <= clk)
				head++;
			if (n - 1 - head == cap)
				head++; /* evicted */
			assert_int_equal(ngot, head);
		}
		mx_chain_finish(t, now);
		assert_int_equal(ngot, n);
		mx_chain_free(t);
	}
}

static void assert_name(const struct mx_dname *d, const char *text)
{
	struct mx_dname e;
	assert_int_equal(mx_dname_from_text(text, &e), 0);
	assert_int_equal(d->len, e.len);
	assert_int_equal(d->labels, e.labels);
	assert_memory_equal(d->wire, e.wire, e.len);
}

/* A long name: three 60-byte labels, then "<tag>.test". */
static void long_name(char *buf, size_t n, char fill, const char *tag)
{
	char lab[61];
	memset(lab, fill, 60);
	lab[60] = 0;
	snprintf(buf, n, "%s.%s.%s.%.7s.test", lab, lab, lab, tag);
}

/* The biggest chain there is: 8 exchanges with long names, every step
 * asked with more frames and resolvers than kept, 8 addresses, a CNAME
 * replaced by a longer one, the SOA owner likewise. Its open record
 * overflows the compact arena; the public record must carry every kept
 * value, and the next chain in the slot must start clean. */
static void big_chain_round_trip(void **state)
{
	(void)state;
	struct mx_chain_table *t = new_table(1);
	struct mx_lookup l;
	char names[8][256], buf[300];
	lk(&l, "192.0.2.10", "big.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	msg.n_mx = 10;
	msg.mx_total = 10;
	for (unsigned i = 0; i < 10; i++) {
		char tag[8];
		snprintf(tag, sizeof tag, "h%u", i);
		long_name(i < 8 ? names[i] : buf, 256, (char)('a' + i), tag);
		msg.mx[i].pref = (uint16_t)(10 + i);
		assert_int_equal(mx_dname_from_text(i < 8 ? names[i] : buf, &msg.mx[i].exchange), 0);
	}
	msg.has_soa = true;
	assert_int_equal(mx_dname_from_text("a.test", &msg.soa_owner), 0);
	mx_chain_observe_lookup(t, &l);
	lk(&l, "192.0.2.10", "big.test", MX_TYPE_MX, MX_O_ANSWER, T0 + SEC, 3);
	msg.n_mx = 1;
	msg.mx_total = 1;
	msg.mx[0].pref = 10;
	assert_int_equal(mx_dname_from_text(names[0], &msg.mx[0].exchange), 0);
	msg.has_soa = true;
	long_name(buf, sizeof buf, 's', "soa");
	assert_int_equal(mx_dname_from_text(buf, &msg.soa_owner), 0);
	mx_chain_observe_lookup(t, &l);
	uint64_t frame = 100;
	for (unsigned h = 0; h < 8; h++)
		for (unsigned q = 0; q < 3; q++)
			for (unsigned r = 0; r < 6; r++) {
				static const uint16_t qt[3] = {MX_TYPE_A, MX_TYPE_AAAA, MX_TYPE_TLSA};
				char tname[300];
				if (q == 2)
					snprintf(tname, sizeof tname, "_25._tcp.%.255s", names[h]);
				else
					snprintf(tname, sizeof tname, "%.255s", names[h]);
				lk(&l, "192.0.2.10", tname, qt[q], r == 5 ? MX_O_ANSWER : MX_O_SERVFAIL,
				   T0 + 2 * SEC + r * 1000, frame);
				l.n_tries = 2;
				l.tries[1] = l.tries[0];
				l.tries[1].q_frame = frame + 2;
				l.tries[1].r_frame = frame + 3;
				frame += 4;
				l.n_resolvers = 2;
				char res[32];
				snprintf(res, sizeof res, "192.0.2.%u", 60 + r);
				mx_addr_parse(res, &l.resolvers[1]);
				if (q == 0 && r == 5) {
					msg.n_addr = 10;
					for (unsigned a = 0; a < 10; a++) {
						snprintf(res, sizeof res, "198.51.%u.%u", h, a + 1);
						mx_addr_parse(res, &msg.addr[a].addr);
					}
				}
				if (q == 0 && r >= 4) {
					/* a short CNAME target, then a longer one */
					char cn[300], tag[8];
					snprintf(tag, sizeof tag, "cn%u", h);
					long_name(cn, sizeof cn, 'z', tag);
					msg.n_cname = 1;
					assert_int_equal(mx_dname_from_text(r == 4 ? "c.test" : cn, &msg.cname[0]), 0);
				}
				mx_chain_observe_lookup(t, &l);
			}
	struct mx_tcpctl syn = {0};
	syn.ts_us = T0 + 3 * SEC;
	syn.frame = 9999;
	syn.dport = 25;
	syn.syn = true;
	mx_addr_parse("192.0.2.10", &syn.src);
	mx_addr_parse("198.51.5.8", &syn.dst);
	mx_chain_observe_tcp(t, &syn);
	/* the next chain takes the only slot: the big one is evicted */
	lk(&l, "192.0.2.10", "small.test", MX_TYPE_MX, MX_O_NODATA, T0 + 4 * SEC, 5000);
	mx_chain_observe_lookup(t, &l);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 2);
	const struct mx_chain *c = &got[0];
	assert_true(c->evicted);
	assert_int_equal(c->mx.lookups, 2);
	assert_int_equal(c->mx_total, 1);
	assert_int_equal(c->hosts_total, 1);
	assert_name(&c->soa_owner, buf);
	assert_name(&c->domain, "big.test");
	assert_int_equal(c->mx.n_frames, 4);
	assert_int_equal(c->mx.frames[3], 4);
	assert_int_equal(c->n_hosts, 8);
	assert_true(c->connected);
	assert_int_equal(c->syn_frame, 9999);
	for (unsigned h = 0; h < 8; h++) {
		const struct mx_chain_host *ho = &c->hosts[h];
		char cn[300];
		snprintf(buf, sizeof buf, "cn%u", h);
		long_name(cn, sizeof cn, 'z', buf);
		assert_name(&ho->name, names[h]);
		assert_name(&ho->cname, cn);
		assert_int_equal(ho->pref, 10 + h);
		assert_int_equal(ho->first_family, 4);
		assert_int_equal(ho->connected, h == 5);
		assert_int_equal(ho->n_addrs, 8);
		for (unsigned a = 0; a < 8; a++) {
			struct mx_addr x;
			snprintf(buf, sizeof buf, "198.51.%u.%u", h, a + 1);
			mx_addr_parse(buf, &x);
			assert_true(mx_addr_eq(&ho->addrs[a], &x));
		}
		const struct mx_chain_step *st[3] = {&ho->a, &ho->aaaa, &ho->tlsa};
		for (unsigned q = 0; q < 3; q++) {
			uint64_t f0 = 100 + (uint64_t)(h * 3 + q) * 24;
			assert_true(st[q]->asked);
			assert_int_equal(st[q]->lookups, 6);
			assert_int_equal(st[q]->outcome, MX_O_ANSWER);
			assert_int_equal(st[q]->n_frames, 16);
			for (unsigned f = 0; f < 16; f++)
				assert_int_equal(st[q]->frames[f], f0 + f);
			assert_int_equal(st[q]->n_resolvers, 4);
			for (unsigned r = 0; r < 4; r++) {
				struct mx_addr x;
				snprintf(buf, sizeof buf, "192.0.2.%u", r ? 59 + r : 53);
				mx_addr_parse(buf, &x);
				assert_true(mx_addr_eq(&st[q]->resolvers[r], &x));
			}
		}
	}
	/* the next chain in the slot: nothing of the big one left */
	const struct mx_chain *d = &got[1];
	assert_name(&d->domain, "small.test");
	assert_int_equal(d->n_hosts, 1);
	assert_true(d->hosts[0].implicit);
	assert_int_equal(d->hosts[0].a.ede, 0xffff);
	assert_int_equal(d->soa_owner.len, 0);
	assert_int_equal(d->hosts[0].cname.len, 0);
	assert_int_equal(d->hosts[0].n_addrs, 0);
	assert_int_equal(d->mx.n_frames, 2);
	assert_int_equal(d->mx.n_resolvers, 1);
	assert_false(d->connected);
	static const struct mx_chain_host zero;
	for (unsigned h = 1; h < MX_CHAIN_MAX_HOSTS; h++)
		assert_memory_equal(&d->hosts[h], &zero, sizeof zero);
	mx_chain_free(t);
}

/* mx_chain_peek_open() only reads: random chains, peeked at after every
 * event (into records full of junk, which it clears), close with exactly
 * the records and statistics of the same chains never peeked at; and the
 * last peek is the closed record but for the open marks (and cut_short:
 * finish ends these chains inside their windows). */
static void peek_open_is_pure(void **state)
{
	(void)state;
	static struct mx_chain peeked[4], closed, last;
	for (unsigned k = 0; k < 150; k++) {
		uint64_t seed = 0xbeef0000ULL + k * 0x9e3779b97f4a7c15ULL;
		memset(peeked, 0xa5, sizeof peeked);
		peek_buf = peeked;
		peek_max = 4;
		peek_n = 0;
		struct mx_chain_table *t = new_table(0);
		rnd_chain(t, seed, T0);
		peek_buf = NULL;
		assert_int_equal(peek_n, 1);
		assert_int_equal(ngot, 1);
		closed = got[0];
		last = peeked[0];
		struct mx_chain_stats st = *mx_chain_peek_stats(t);
		mx_chain_free(t);
		t = new_table(0);
		rnd_chain(t, seed, T0);
		assert_int_equal(ngot, 1);
		assert_memory_equal(&got[0], &closed, sizeof closed);
		assert_memory_equal(mx_chain_peek_stats(t), &st, sizeof st);
		mx_chain_free(t);
		assert_false(closed.open);
		assert_int_equal(closed.open_window_ms, 0);
		assert_true(last.open);
		assert_true(last.open_window_ms >= 165000);
		assert_false(last.cut_short);
		assert_true(closed.cut_short);
		last.open = false;
		last.open_window_ms = 0;
		last.cut_short = true;
		assert_memory_equal(&last, &closed, sizeof closed);
	}
}

/* The live view's case: MX answered, the AAAA lookup of the first
 * exchange not closed yet. The peek shows the chain open with the steps so
 * far (judged now: no address asked yet), then with the AAAA SERVFAIL once
 * that lookup closed; nothing closes until the window ends, and then the
 * done callback gets the chain unmarked. */
static void peek_open_mx_answered_aaaa_pending(void **state)
{
	(void)state;
	static struct mx_chain o[2];
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	lk(&l, "192.0.2.10", "one.test", MX_TYPE_MX, MX_O_ANSWER, T0, 1);
	mx_answer("mx1.one.test", "mx2.one.test");
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(mx_chain_open_count(t), 1);
	assert_int_equal(mx_chain_peek_open(t, o, 2), 1);
	assert_true(o[0].open);
	assert_int_equal(o[0].open_window_ms, 20 + 165000); /* MX end + window + retx_gap, from start */
	assert_int_equal(o[0].domain.wire[1], 'o');
	assert_true(o[0].mx.asked);
	assert_int_equal(o[0].mx.outcome, MX_O_ANSWER);
	assert_int_equal(o[0].n_hosts, 2);
	assert_false(o[0].hosts[0].aaaa.asked);
	assert_false(o[0].hosts[0].a.asked);
	assert_int_equal(o[0].verdict, MX_CHAIN_INCOMPLETE);
	assert_false(o[0].cut_short);
	assert_int_equal(ngot, 0);

	lk(&l, "192.0.2.10", "mx1.one.test", MX_TYPE_AAAA, MX_O_SERVFAIL, T0 + SEC, 3);
	mx_chain_observe_lookup(t, &l);
	assert_int_equal(mx_chain_peek_open(t, o, 2), 1);
	assert_true(o[0].open);
	assert_true(o[0].hosts[0].aaaa.asked);
	assert_int_equal(o[0].hosts[0].aaaa.outcome, MX_O_SERVFAIL);
	assert_int_equal(o[0].hosts[0].aaaa.n_frames, 2);
	assert_int_equal(o[0].verdict, MX_CHAIN_DEFERRED);
	assert_int_equal(mx_chain_peek_stats(t)->chains, 0);

	mx_chain_tick(t, T0 + 165 * SEC);
	assert_int_equal(ngot, 0); /* 20 ms short of the window's end */
	mx_chain_tick(t, T0 + 165 * SEC + 20000);
	assert_int_equal(ngot, 1);
	assert_false(got[0].open);
	assert_int_equal(got[0].open_window_ms, 0);
	assert_int_equal(got[0].verdict, MX_CHAIN_DEFERRED);
	assert_int_equal(got[0].seq, o[0].seq);
	assert_int_equal(mx_chain_open_count(t), 0);
	assert_int_equal(mx_chain_peek_open(t, o, 2), 0);
	mx_chain_free(t);
}

/* Newest first, at most max. */
static void peek_open_newest_first_max(void **state)
{
	(void)state;
	static struct mx_chain o[8];
	struct mx_chain_table *t = new_table(0);
	struct mx_lookup l;
	char dom[32];
	for (unsigned k = 0; k < 5; k++) {
		snprintf(dom, sizeof dom, "d%u.test", k);
		lk(&l, "192.0.2.10", dom, MX_TYPE_MX, MX_O_ANSWER, T0 + k * SEC, 1 + 2 * k);
		mx_answer("mx.d.test", NULL);
		mx_chain_observe_lookup(t, &l);
	}
	assert_int_equal(mx_chain_open_count(t), 5);
	assert_int_equal(mx_chain_peek_open(t, o, 0), 0);
	assert_int_equal(mx_chain_peek_open(t, o, 3), 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(o[k].seq, 5 - k);
		assert_int_equal(o[k].domain.wire[2], '0' + (4 - k));
		assert_int_equal(o[k].open_window_ms, 165020);
	}
	assert_int_equal(mx_chain_peek_open(t, o, 8), 5);
	assert_int_equal(o[4].seq, 1);
	assert_int_equal(ngot, 0);
	mx_chain_finish(t, T0 + 400 * SEC);
	assert_int_equal(ngot, 5);
	mx_chain_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolved_chain_with_syn),
		cmocka_unit_test(chain_ends_at_syn),
		cmocka_unit_test(musl_getaddrinfo_defers),
		cmocka_unit_test(step_records_tcp),
		cmocka_unit_test(search_suffix_mx),
		cmocka_unit_test(search_suffix_ndots),
		cmocka_unit_test(relay_chains),
		cmocka_unit_test(relay_port_syn),
		cmocka_unit_test(forwarded_lookups_make_no_chain),
		cmocka_unit_test(syn_attribution_two_chains),
		cmocka_unit_test(syn_from_other_family),
		cmocka_unit_test(formerr_mx_fails_and_literal_connects),
		cmocka_unit_test(deferred_and_attempts),
		cmocka_unit_test(nxdomain_nullmx_implicit),
		cmocka_unit_test(null_mx_keeps_preference),
		cmocka_unit_test(cname_tlsa_literal_window),
		cmocka_unit_test(bounded_open_chains),
		cmocka_unit_test(index_bucket_order_after_removals),
		cmocka_unit_test(pending_lookup_is_not_a_failure),
		cmocka_unit_test(big_chain_round_trip),
		cmocka_unit_test(carried_client_hash),
		cmocka_unit_test(carried_question_hash),
		cmocka_unit_test(reused_slot_carries_nothing),
		cmocka_unit_test(step_merge_matches_reference),
		cmocka_unit_test(index_entries_not_repeated),
		cmocka_unit_test(ip_literal_matches_reference),
		cmocka_unit_test(host_addresses_in_order),
		cmocka_unit_test(tick_closes_when_due),
		cmocka_unit_test(scratch_overwrite_matches_fresh),
		cmocka_unit_test(exchange_names_compared_exactly),
		cmocka_unit_test(peek_open_is_pure),
		cmocka_unit_test(peek_open_mx_answered_aaaa_pending),
		cmocka_unit_test(peek_open_newest_first_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
