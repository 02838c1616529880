/* test_tcpre.c - L2: DNS-over-TCP stream reassembly (tcpre.c) in isolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/tcpre.h"

#define MAXREC 64

struct rec {
	unsigned n;
	struct {
		uint16_t id;
		size_t len, wire_len;
		bool partial;
		uint64_t frame;
		uint8_t first[16];
	} m[MAXREC];
};

static void on_msg(void *ctx, const struct mx_tcp_seg *seg, const uint8_t *msg, size_t len)
{
	struct rec *r = ctx;
	assert_true(r->n < MAXREC);
	assert_true(len >= 12);
	r->m[r->n].id = (uint16_t)(msg[0] << 8 | msg[1]);
	r->m[r->n].len = len;
	r->m[r->n].wire_len = len;
	r->m[r->n].partial = false;
	r->m[r->n].frame = seg->frame;
	memcpy(r->m[r->n].first, msg, 16 < len ? 16 : len);
	r->n++;
}

static void on_partial(void *ctx, const struct mx_tcp_seg *seg, const uint8_t *msg, size_t len,
		       size_t wire_len)
{
	struct rec *r = ctx;
	assert_true(r->n < MAXREC);
	assert_true(len < wire_len);
	r->m[r->n].id = len >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0;
	r->m[r->n].len = len;
	r->m[r->n].wire_len = wire_len;
	r->m[r->n].partial = true;
	r->m[r->n].frame = seg->frame;
	r->n++;
}

/* A DNS-over-TCP message: 2-byte prefix, header (id, RD, QDCOUNT 1), filler. */
static size_t msg(uint8_t *out, uint16_t id, size_t len)
{
	memset(out, 0, len + 2);
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	out[4] = 0x01;
	out[7] = 1;
	for (size_t i = 14; i < len + 2; i++)
		out[i] = (uint8_t)(i + id);
	return len + 2;
}

static struct mx_tcp_seg seg(uint32_t seq, const uint8_t *data, size_t len)
{
	static uint64_t frame;
	struct mx_tcp_seg s;
	memset(&s, 0, sizeof(s));
	const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 53 };
	mx_addr_set4(&s.src, a);
	mx_addr_set4(&s.dst, b);
	s.sport = 40000;
	s.dport = 53;
	s.seq = seq;
	s.data = data;
	s.len = len;
	s.frame = ++frame;
	s.ts_us = 1000000 + frame;
	return s;
}

static struct mx_tcpre *mk(struct rec *r, size_t flows, size_t bytes)
{
	memset(r, 0, sizeof(*r));
	struct mx_tcpre *t = mx_tcpre_new(flows, bytes, 120000000, on_msg, r);
	assert_non_null(t);
	mx_tcpre_set_partial_fn(t, on_partial);
	return t;
}

static void syn(struct mx_tcpre *t, uint32_t isn)
{
	struct mx_tcp_seg s = seg(isn, NULL, 0);
	s.syn = true;
	assert_int_equal(mx_tcpre_add(t, &s), 0);
}

static int add(struct mx_tcpre *t, uint32_t seq, const uint8_t *d, size_t n)
{
	struct mx_tcp_seg s = seg(seq, d, n);
	return mx_tcpre_add(t, &s);
}

static void prefix_split_one_byte(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[200];
	size_t n = msg(b, 0x1111, 40);
	syn(t, 1000);
	assert_int_equal(mx_tcpre_flows(t), 1);
	assert_int_equal(add(t, 1001, b, 1), 0);
	assert_int_equal(add(t, 1002, b + 1, 1), 0);   /* prefix complete, no body */
	assert_int_equal(add(t, 1003, b + 2, 20), 0);
	assert_int_equal(add(t, 1023, b + 22, n - 22), 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.m[0].id, 0x1111);
	assert_int_equal(r.m[0].len, 40);
	assert_memory_equal(r.m[0].first, b + 2, 16);
	assert_int_equal(mx_tcpre_peek_stats(t)->midstream, 0);
	mx_tcpre_free(t);
}

static void two_messages_one_segment(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[400];
	size_t n = msg(b, 1, 30);
	n += msg(b + n, 2, 50);
	size_t third = msg(b + n, 3, 60);
	syn(t, 5);
	/* two whole messages and the first 10 bytes of a third */
	assert_int_equal(add(t, 6, b, n + 10), 2);
	assert_int_equal(add(t, 6 + (uint32_t)n + 10, b + n + 10, third - 10), 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.m[0].id, 1);
	assert_int_equal(r.m[1].id, 2);
	assert_int_equal(r.m[1].len, 50);
	assert_int_equal(r.m[2].id, 3);
	mx_tcpre_free(t);
}

static void retransmission_dropped(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[200];
	size_t n = msg(b, 7, 40);
	syn(t, 0);
	assert_int_equal(add(t, 1, b, 20), 0);
	assert_int_equal(add(t, 1, b, 20), 0); /* held bytes again */
	assert_int_equal(mx_tcpre_peek_stats(t)->retrans, 1);
	assert_int_equal(add(t, 21, b + 20, n - 20), 1);
	assert_int_equal(add(t, 1, b, n), 0);  /* consumed bytes again */
	assert_int_equal(add(t, 11, b + 10, 20), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(mx_tcpre_peek_stats(t)->retrans, 3);
	/* a retransmitted SYN does not reset the stream */
	syn(t, 0);
	size_t m = msg(b, 8, 20);
	assert_int_equal(add(t, 1 + (uint32_t)n, b, m), 1);
	assert_int_equal(r.n, 2);
	mx_tcpre_free(t);
}

static void out_of_order_held(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[400];
	size_t n1 = msg(b, 1, 30);
	size_t n2 = msg(b + n1, 2, 40);
	syn(t, 100);
	/* second half of message 2, then message 1, then first half of message 2 */
	assert_int_equal(add(t, 101 + (uint32_t)n1 + 20, b + n1 + 20, n2 - 20), 0);
	assert_int_equal(add(t, 101, b, n1), 1);
	assert_int_equal(add(t, 101 + (uint32_t)n1, b + n1, 20), 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.m[0].id, 1);
	assert_int_equal(r.m[1].id, 2);
	assert_int_equal(mx_tcpre_peek_stats(t)->out_of_order, 1);
	assert_int_equal(mx_tcpre_peek_stats(t)->gap, 0);
	mx_tcpre_free(t);
}

static void midstream_join(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[400];
	size_t n1 = msg(b, 1, 300);
	size_t n2 = msg(b + n1, 2, 40);
	/* tail of a message we never saw the start of: no sync */
	assert_int_equal(add(t, 5000, b + 100, n1 - 100), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(mx_tcpre_peek_stats(t)->bytes_dropped, n1 - 100);
	/* next segment starts with a message */
	assert_int_equal(add(t, 5000 + (uint32_t)(n1 - 100), b + n1, n2), 1);
	assert_int_equal(r.m[0].id, 2);
	assert_int_equal(mx_tcpre_peek_stats(t)->midstream, 1);
	mx_tcpre_free(t);
}

static void gap_resyncs(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[600];
	size_t n1 = msg(b, 1, 60);
	size_t n2 = msg(b + n1, 2, 40);
	size_t n3 = msg(b + n1 + n2, 3, 40);
	syn(t, 0);
	/* the second half of message 1 is lost for good */
	assert_int_equal(add(t, 1, b, 30), 0);
	assert_int_equal(add(t, 1 + (uint32_t)n1, b + n1, n2), 0); /* held */
	/* 4 s later (capture time) message 3 arrives: the hole is given up, we
	 * resynchronise where message 1 had to end and deliver 2 and 3 */
	struct mx_tcp_seg s = seg(1 + (uint32_t)(n1 + n2), b + n1 + n2, n3);
	s.ts_us += 4000000;
	assert_int_equal(mx_tcpre_add(t, &s), 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.m[0].id, 2);
	assert_int_equal(r.m[1].id, 3);
	assert_int_equal(mx_tcpre_peek_stats(t)->gap, 1);
	assert_int_equal(mx_tcpre_peek_stats(t)->bytes_dropped, 30);
	mx_tcpre_free(t);
}

static void gap_over_cap(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 300); /* tiny per-flow buffer */
	uint8_t b[2000];
	size_t n = 0;
	for (uint16_t i = 1; i <= 8; i++)
		n += msg(b + n, i, 80);
	syn(t, 0);
	/* message 1 lost; 2..3 held; 4 would exceed the cap: the hole is given
	 * up and we resync on the held data, which starts a message */
	assert_int_equal(add(t, 83, b + 82, 82), 0);
	assert_int_equal(add(t, 165, b + 164, 82), 0);
	assert_int_equal(add(t, 247, b + 246, 82), 3);
	assert_int_equal(mx_tcpre_peek_stats(t)->gap, 1);
	assert_int_equal(r.m[0].id, 2);
	assert_int_equal(r.m[1].id, 3);
	assert_int_equal(r.m[2].id, 4);
	assert_int_equal(add(t, 329, b + 328, 82), 1);
	assert_int_equal(r.m[3].id, 5);
	mx_tcpre_free(t);

	/* the middle of a big message lost: held data starts mid-message, so it
	 * is dropped and we resync on the next segment that starts a message */
	t = mk(&r, 16, 300);
	size_t big = msg(b, 1, 250);
	size_t m2 = msg(b + big, 2, 80);
	syn(t, 0);
	assert_int_equal(add(t, 1, b, 50), 0);
	assert_int_equal(add(t, 101, b + 100, big - 100), 0);
	assert_int_equal(add(t, 1 + (uint32_t)big, b + big, m2), 1);
	assert_int_equal(r.m[0].id, 2);
	assert_int_equal(mx_tcpre_peek_stats(t)->gap, 1);
	assert_int_equal(mx_tcpre_peek_stats(t)->bytes_dropped, big - 50);
	mx_tcpre_free(t);
}

static void bad_prefix_resyncs(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t junk[20] = { 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	uint8_t b[100];
	size_t n = msg(b, 9, 20);
	syn(t, 0);
	assert_int_equal(add(t, 1, junk, 7), 0);
	assert_int_equal(mx_tcpre_peek_stats(t)->bad_prefix, 1);
	assert_int_equal(add(t, 8, b, n), 1);
	assert_int_equal(r.m[0].id, 9);
	mx_tcpre_free(t);
}

static void sequence_wraps(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[300];
	size_t n = msg(b, 0x4242, 100);
	size_t n2 = msg(b + n, 0x4343, 30);
	syn(t, 0xffffffe0u);
	assert_int_equal(add(t, 0xffffffe1u, b, 50), 0);
	assert_int_equal(add(t, 0xffffffe1u + 50u, b + 50, n - 50 + n2), 2);
	assert_int_equal(r.m[0].id, 0x4242);
	assert_int_equal(r.m[1].id, 0x4343);
	/* an old segment from before the wrap is a retransmission */
	assert_int_equal(add(t, 0xffffffe1u, b, 50), 0);
	assert_int_equal(mx_tcpre_peek_stats(t)->retrans, 1);
	mx_tcpre_free(t);
}

static void large_message(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	static uint8_t b[70000];
	size_t n = msg(b, 5, 65535);
	syn(t, 77);
	size_t off = 0;
	int got = 0;
	while (off < n) {
		size_t k = n - off < 1448 ? n - off : 1448;
		got += add(t, 78 + (uint32_t)off, b + off, k);
		off += k;
	}
	assert_int_equal(got, 1);
	assert_int_equal(r.m[0].len, 65535);
	mx_tcpre_free(t);
}

static void fin_rst_free(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[100];
	size_t n = msg(b, 1, 20);
	syn(t, 0);
	struct mx_tcp_seg s = seg(1, b, n);
	s.fin = true; /* data with FIN: delivered, then the flow is gone */
	assert_int_equal(mx_tcpre_add(t, &s), 1);
	assert_int_equal(mx_tcpre_flows(t), 0);
	/* FIN with a partial message left: bytes counted as dropped */
	syn(t, 0);
	assert_int_equal(add(t, 1, b, 10), 0);
	s = seg(11, NULL, 0);
	s.fin = true;
	assert_int_equal(mx_tcpre_add(t, &s), 0);
	assert_int_equal(mx_tcpre_flows(t), 0);
	assert_int_equal(mx_tcpre_peek_stats(t)->bytes_dropped, 10);
	/* RST from the server frees both directions */
	syn(t, 0);
	struct mx_tcp_seg back = seg(9000, NULL, 0);
	back.src = s.dst;
	back.dst = s.src;
	back.sport = s.dport;
	back.dport = s.sport;
	back.syn = true;
	assert_int_equal(mx_tcpre_add(t, &back), 0);
	assert_int_equal(mx_tcpre_flows(t), 2);
	back.syn = false;
	back.rst = true;
	assert_int_equal(mx_tcpre_add(t, &back), 0);
	assert_int_equal(mx_tcpre_flows(t), 0);
	/* pure ACKs create no flow */
	s = seg(1, NULL, 0);
	assert_int_equal(mx_tcpre_add(t, &s), 0);
	assert_int_equal(mx_tcpre_flows(t), 0);
	mx_tcpre_free(t);
}

static void idle_and_eviction(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 4, 131072);
	uint8_t b[100];
	size_t n = msg(b, 1, 20);
	for (uint16_t p = 0; p < 10; p++) {
		struct mx_tcp_seg s = seg(0, b, 5); /* partial message keeps the flow */
		s.sport = (uint16_t)(1000 + p);
		mx_tcpre_add(t, &s);
		assert_true(mx_tcpre_flows(t) <= 4);
	}
	assert_int_equal(mx_tcpre_peek_stats(t)->flows_evicted, 6);
	assert_int_equal(mx_tcpre_peek_stats(t)->midstream, 10);
	/* the most recent flow survived and completes */
	struct mx_tcp_seg s = seg(5, b + 5, n - 5);
	s.sport = 1009;
	assert_int_equal(mx_tcpre_add(t, &s), 1);
	mx_tcpre_tick(t, s.ts_us + 120000000 + 1);
	assert_int_equal(mx_tcpre_flows(t), 0);
	mx_tcpre_free(t);
	mx_tcpre_free(NULL);
}

static void snaplen_cut_segment(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 16, 131072);
	uint8_t b[600];
	size_t n1 = msg(b, 1, 30);
	size_t n2 = msg(b + n1, 2, 300);
	size_t n3 = msg(b + n1 + n2, 3, 40);
	syn(t, 0);
	/* one segment carries messages 1 and 2 but only 100 bytes were captured */
	struct mx_tcp_seg s = seg(1, b, 100);
	s.wire_len = n1 + 200;
	assert_int_equal(mx_tcpre_add(t, &s), 2);
	assert_int_equal(r.n, 2);
	assert_false(r.m[0].partial);
	assert_true(r.m[1].partial);
	assert_int_equal(r.m[1].id, 2);
	assert_int_equal(r.m[1].len, 100 - n1 - 2);
	assert_int_equal(r.m[1].wire_len, 300);
	/* the rest of message 2 arrives, then message 3: still in step */
	assert_int_equal(add(t, 1 + (uint32_t)(n1 + 200), b + n1 + 200, n2 - 200), 0);
	assert_int_equal(add(t, 1 + (uint32_t)(n1 + n2), b + n1 + n2, n3), 1);
	assert_int_equal(r.m[2].id, 3);
	assert_int_equal(mx_tcpre_peek_stats(t)->retrans, 0);
	/* a cut that loses a message boundary: resync on the next good start */
	uint8_t c[300];
	size_t m1 = msg(c, 4, 20);
	size_t m2 = msg(c + m1, 5, 20);
	size_t m3 = msg(c + m1 + m2, 6, 20);
	uint32_t base = 1 + (uint32_t)(n1 + n2 + n3);
	s = seg(base, c, 5);
	s.wire_len = m1 + m2; /* message 4's body and all of 5 lost */
	assert_int_equal(mx_tcpre_add(t, &s), 1);
	assert_true(r.m[3].partial);
	assert_int_equal(add(t, base + (uint32_t)(m1 + m2), c + m1 + m2, m3), 1);
	assert_int_equal(r.m[4].id, 6);
	mx_tcpre_free(t);
}

static void garbage_segments(void **state)
{
	(void)state;
	struct rec r;
	struct mx_tcpre *t = mk(&r, 8, 4096);
	uint32_t x = 12345;
	uint8_t b[1500];
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		size_t n = x % sizeof(b);
		for (size_t j = 0; j < n; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			b[j] = (uint8_t)x;
		}
		if (x & 1) { /* plausible start now and then */
			b[0] = 0;
			b[1] = 20;
		}
		struct mx_tcp_seg s = seg(x & 0x3ff, b, n);
		s.sport = (uint16_t)(x >> 20 & 3);
		s.syn = (x & 0x300) == 0x300;
		s.fin = (x & 0xc00) == 0xc00;
		s.rst = (x & 0x3000) == 0x3000;
		s.wire_len = (x & 0x4000) ? n + (x >> 24) : 0;
		r.n = 0;
		mx_tcpre_add(t, &s);
		assert_true(mx_tcpre_flows(t) <= 8);
	}
	mx_tcpre_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_split_one_byte),
		cmocka_unit_test(two_messages_one_segment),
		cmocka_unit_test(retransmission_dropped),
		cmocka_unit_test(out_of_order_held),
		cmocka_unit_test(midstream_join),
		cmocka_unit_test(gap_resyncs),
		cmocka_unit_test(gap_over_cap),
		cmocka_unit_test(bad_prefix_resyncs),
		cmocka_unit_test(sequence_wraps),
		cmocka_unit_test(large_message),
		cmocka_unit_test(fin_rst_free),
		cmocka_unit_test(idle_and_eviction),
		cmocka_unit_test(snaplen_cut_segment),
		cmocka_unit_test(garbage_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
