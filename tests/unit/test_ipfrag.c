/* test_ipfrag.c - L2: IP fragment reassembly (ipfrag.c) in isolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/ipfrag.h"

static uint8_t payload[4000];

static void fill(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

static struct mx_ipfrag_key key4(uint32_t id)
{
	struct mx_ipfrag_key k;
	memset(&k, 0, sizeof(k));
	const uint8_t s[4] = { 192, 0, 2, 1 }, d[4] = { 192, 0, 2, 53 };
	mx_addr_set4(&k.src, s);
	mx_addr_set4(&k.dst, d);
	k.id = id;
	k.proto = 17;
	return k;
}

static struct mx_ipfrag_key key6(uint32_t id)
{
	struct mx_ipfrag_key k;
	memset(&k, 0, sizeof(k));
	uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8 }, d[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	s[15] = 1;
	d[15] = 0x53;
	mx_addr_set6(&k.src, s);
	mx_addr_set6(&k.dst, d);
	k.id = id;
	k.proto = 17;
	return k;
}

static enum mx_ipfrag_res add(struct mx_ipfrag *f, const struct mx_ipfrag_key *k, uint64_t ts,
			      uint32_t off, bool more, size_t len, const uint8_t **out, size_t *outlen)
{
	return mx_ipfrag_add(f, k, ts, off, more, payload + off, len, out, outlen);
}

static void in_order(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(16, 30000000);
	struct mx_ipfrag_key k = key4(7);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	assert_int_equal(add(f, &k, 1, 0, true, 16, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(mx_ipfrag_count(f), 1);
	assert_int_equal(add(f, &k, 2, 16, true, 24, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 3, 40, false, 13, &out, &outlen), MX_FRAG_DONE);
	assert_int_equal(outlen, 53);
	assert_memory_equal(out, payload, 53);
	assert_int_equal(mx_ipfrag_count(f), 0);
	mx_ipfrag_free(f);
}

static void reverse_order_and_duplicate(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(16, 30000000);
	struct mx_ipfrag_key k = key6(0xdeadbeef);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	assert_int_equal(add(f, &k, 1, 1456, false, 100, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 1, 1456, false, 100, &out, &outlen), MX_FRAG_HELD); /* dup */
	assert_int_equal(add(f, &k, 2, 8, true, 1448, &out, &outlen), MX_FRAG_HELD);
	/* overlapping with equal bytes is accepted */
	assert_int_equal(add(f, &k, 2, 1440, true, 16, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 3, 0, true, 8, &out, &outlen), MX_FRAG_DONE);
	assert_int_equal(outlen, 1556);
	assert_memory_equal(out, payload, 1556);
	/* a different key with the same id is a different datagram */
	struct mx_ipfrag_key k4 = key4(0xdeadbeef);
	assert_int_equal(add(f, &k4, 4, 0, true, 8, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 4, 0, true, 8, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(mx_ipfrag_count(f), 2);
	mx_ipfrag_free(f);
}

static void conflicting_overlap_is_bad(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(16, 30000000);
	struct mx_ipfrag_key k = key4(1);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	assert_int_equal(add(f, &k, 1, 0, true, 32, &out, &outlen), MX_FRAG_HELD);
	uint8_t other[16];
	memcpy(other, payload + 16, 16);
	other[3] ^= 0xff;
	assert_int_equal(mx_ipfrag_add(f, &k, 2, 16, true, other, 16, &out, &outlen), MX_FRAG_BAD);
	assert_int_equal(mx_ipfrag_count(f), 0); /* the whole datagram is dropped */
	mx_ipfrag_free(f);
}

static void inconsistent_fragments_are_bad(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(16, 30000000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	struct mx_ipfrag_key k = key4(2);
	/* not a multiple of 8 with MF set */
	assert_int_equal(add(f, &k, 1, 0, true, 13, &out, &outlen), MX_FRAG_BAD);
	/* beyond 65535 */
	assert_int_equal(mx_ipfrag_add(f, &k, 1, 65528, false, payload, 16, &out, &outlen),
			 MX_FRAG_BAD);
	/* two different ends */
	assert_int_equal(add(f, &k, 1, 16, false, 10, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 1, 16, false, 20, &out, &outlen), MX_FRAG_BAD);
	/* data beyond the end */
	assert_int_equal(add(f, &k, 1, 16, false, 10, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 1, 24, true, 16, &out, &outlen), MX_FRAG_BAD);
	/* last fragment ends before data already held */
	assert_int_equal(add(f, &k, 1, 64, true, 16, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(add(f, &k, 1, 0, false, 8, &out, &outlen), MX_FRAG_BAD);
	/* empty */
	assert_int_equal(add(f, &k, 1, 0, true, 0, &out, &outlen), MX_FRAG_BAD);
	assert_int_equal(mx_ipfrag_count(f), 0);
	mx_ipfrag_free(f);
}

static void too_many_holes_is_bad(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(4, 30000000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	struct mx_ipfrag_key k = key4(3);
	enum mx_ipfrag_res res = MX_FRAG_HELD;
	unsigned i;
	for (i = 0; i < 64 && res == MX_FRAG_HELD; i++)
		res = add(f, &k, 1, i * 16, true, 8, &out, &outlen);
	assert_int_equal(res, MX_FRAG_BAD);
	assert_true(i > 16);
	assert_int_equal(mx_ipfrag_count(f), 0);
	mx_ipfrag_free(f);
}

static void timeout(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(16, 30000000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	struct mx_ipfrag_key k = key4(4);
	assert_int_equal(add(f, &k, 1000000, 0, true, 16, &out, &outlen), MX_FRAG_HELD);
	mx_ipfrag_tick(f, 30000000);
	assert_int_equal(mx_ipfrag_count(f), 1);
	mx_ipfrag_tick(f, 31000001);
	assert_int_equal(mx_ipfrag_count(f), 0);
	assert_int_equal(mx_ipfrag_timed_out(f), 1);
	/* the rest arrives too late: it starts a new datagram that cannot complete */
	assert_int_equal(add(f, &k, 31000002, 16, false, 8, &out, &outlen), MX_FRAG_HELD);
	/* expiry also happens lazily on add */
	assert_int_equal(add(f, &k, 99000000, 0, true, 16, &out, &outlen), MX_FRAG_HELD);
	assert_int_equal(mx_ipfrag_timed_out(f), 2);
	mx_ipfrag_free(f);
}

static void eviction_under_flood(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(8, 30000000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	for (uint32_t id = 0; id < 10000; id++) {
		struct mx_ipfrag_key k = key4(id);
		assert_int_equal(add(f, &k, 1000 + id, 0, true, 1024, &out, &outlen), MX_FRAG_HELD);
		assert_true(mx_ipfrag_count(f) <= 8);
	}
	assert_int_equal(mx_ipfrag_evicted(f), 10000 - 8);
	/* the newest survive: completing id 9999 works, id 0 was evicted */
	struct mx_ipfrag_key k = key4(9999);
	assert_int_equal(add(f, &k, 20000, 1024, false, 8, &out, &outlen), MX_FRAG_DONE);
	assert_int_equal(outlen, 1032);
	k = key4(0);
	assert_int_equal(add(f, &k, 20001, 1024, false, 8, &out, &outlen), MX_FRAG_HELD);
	mx_ipfrag_free(f);
}

static void reuse_many(void **state)
{
	(void)state;
	fill();
	struct mx_ipfrag *f = mx_ipfrag_new(2, 30000000);
	const uint8_t *out = NULL;
	size_t outlen = 0;
	for (uint32_t id = 0; id < 500; id++) {
		struct mx_ipfrag_key k = key6(id);
		size_t big = (id % 3) ? 2000 : 40;
		assert_int_equal(add(f, &k, id, 8, false, big, &out, &outlen), MX_FRAG_HELD);
		assert_int_equal(add(f, &k, id, 0, true, 8, &out, &outlen), MX_FRAG_DONE);
		assert_int_equal(outlen, big + 8);
		assert_memory_equal(out, payload, outlen);
	}
	assert_int_equal(mx_ipfrag_count(f), 0);
	assert_int_equal(mx_ipfrag_evicted(f), 0);
	mx_ipfrag_free(f);
	mx_ipfrag_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order),
		cmocka_unit_test(reverse_order_and_duplicate),
		cmocka_unit_test(conflicting_overlap_is_bad),
		cmocka_unit_test(inconsistent_fragments_are_bad),
		cmocka_unit_test(too_many_holes_is_bad),
		cmocka_unit_test(timeout),
		cmocka_unit_test(eviction_under_flood),
		cmocka_unit_test(reuse_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
