/* test_hist.c - L0: the log-linear latency histogram (mxsniff/hist.h) that
 * the model's Resolvers table and SLOW_RESOLVER share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/hist.h"

#define TOP 32u
#define NB MX_HIST_BUCKETS(TOP)

/* Every bucket's upper bound is in it, the next value in the next bucket;
 * a bucket is at most 1/32 of its values wide. */
static void hist_buckets_tile_the_values(void **state)
{
	(void)state;
	assert_int_equal(MX_HIST_BUCKETS(36), 1024);
	assert_int_equal(NB, 896);
	for (uint64_t v = 0; v < MX_HIST_SUB; v++)
		assert_int_equal(mx_hist_index(v, TOP), v);
	for (unsigned i = 0; i + 1 < NB; i++) {
		uint64_t u = mx_hist_upper(i);
		assert_int_equal(mx_hist_index(u, TOP), i);
		assert_int_equal(mx_hist_index(u + 1, TOP), i + 1);
		if (i >= MX_HIST_SUB) {
			uint64_t lo = mx_hist_upper(i - 1) + 1;
			assert_true((u - lo + 1) * 32 <= lo);
		}
	}
	assert_int_equal(mx_hist_index((uint64_t)1 << TOP, TOP), NB - 1);
	assert_int_equal(mx_hist_index(UINT64_MAX, TOP), NB - 1);
	assert_int_equal(mx_hist_index(UINT64_MAX, 36), MX_HIST_BUCKETS(36) - 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Percentiles from 32- and 64-bit counters agree, are never below the
 * exact nearest-rank value and, while every value is in range, above it by
 * at most 1/32 of it; the maximum is exact. */
static void hist_percentiles_within_a_32nd(void **state)
{
	(void)state;
	static uint32_t h32[NB];
	static uint64_t h64[NB];
	static uint64_t v[2000];
	static const unsigned ps[] = {1, 50, 90, 95, 99, 100};
	uint64_t x = 88172645463325252ULL;
	for (unsigned round = 0; round < 200; round++) {
		size_t n = 1 + round * 7 % 2000;
		uint64_t max = 0;
		memset(h32, 0, sizeof h32);
		memset(h64, 0, sizeof h64);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[i] = x >> (31 + round % 32); /* 0 .. 2^33: some in the last bucket */
			h32[mx_hist_index(v[i], TOP)]++;
			h64[mx_hist_index(v[i], TOP)]++;
			if (v[i] > max)
				max = v[i];
		}
		qsort(v, n, sizeof v[0], cmp_u64);
		for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
			uint64_t want = v[mx_hist_rank(n, ps[k]) - 1];
			uint64_t got = mx_hist_pct32(h32, NB, n, max, ps[k]);
			assert_int_equal(got, mx_hist_pct64(h64, NB, n, max, ps[k]));
			assert_true(got >= want);
			if (max < ((uint64_t)1 << TOP))
				assert_true(got - want <= want / 32);
			if (ps[k] == 100)
				assert_int_equal(got, max);
		}
	}
}

/* The audit's case: 20 answers in 225 ms and 10 in 400 ms have p50
 * 225.279 ms (the table's figure), under a 250 ms threshold. */
static void hist_p50_of_225_ms(void **state)
{
	(void)state;
	static uint32_t h[NB];
	memset(h, 0, sizeof h);
	h[mx_hist_index(225000, TOP)] += 20;
	h[mx_hist_index(400000, TOP)] += 10;
	assert_int_equal(mx_hist_pct32(h, NB, 30, 400000, 50), 225279);
	assert_int_equal(mx_hist_pct32(h, NB, 30, 400000, 95), 400000);
	assert_int_equal(mx_hist_rank(0, 50), 1);
	assert_int_equal(mx_hist_rank(30, 50), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist_buckets_tile_the_values),
		cmocka_unit_test(hist_percentiles_within_a_32nd),
		cmocka_unit_test(hist_p50_of_225_ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
