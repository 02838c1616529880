/* hist.h - log-linear histograms of latencies in microseconds (L0).
 *
 * Values below MX_HIST_SUB (32) have a bucket each; above, every power of
 * two 2^e (e >= 5) is cut into 32 equal sub-buckets of width 2^(e-5), so a
 * bucket is at most 1/32 (3.1 %) of its values wide. A histogram covers
 * values below 2^top_exp in MX_HIST_BUCKETS(top_exp) buckets; larger values
 * share the last one. The owner keeps the counters (any width: the model
 * uint64_t per server, SLOW_RESOLVER uint32_t per resolver and window), the
 * sample count and the exact maximum.
 *
 * Percentiles use the nearest-rank method (rank ceil(count * p / 100)) and
 * report the upper bound of the bucket holding that rank, clamped to the
 * exact maximum (the last bucket reports the maximum): deterministic, never
 * below the true value, and, while the maximum is below 2^top_exp, above it
 * by less than one bucket's width: at most 1/32 of the true value.
 *
 * Header only: the index is computed inline on every answer.
 */
#ifndef MXSNIFF_HIST_H
#define MXSNIFF_HIST_H

#include <stdint.h>

#define MX_HIST_SUB_BITS 5u
#define MX_HIST_SUB (1u << MX_HIST_SUB_BITS)
/* Buckets of a histogram of values below 2^top_exp (top_exp > 5). */
#define MX_HIST_BUCKETS(top_exp) (MX_HIST_SUB + ((top_exp) - MX_HIST_SUB_BITS) * MX_HIST_SUB)

static inline unsigned mx_hist_log2_(uint64_t v) /* v > 0 */
{
#if defined(__GNUC__) || defined(__clang__)
	return 63u - (unsigned)__builtin_clzll(v);
#else
	unsigned e = 0;
	while (v >>= 1)
		e++;
	return e;
#endif
}

/* The bucket of v in a histogram of MX_HIST_BUCKETS(top_exp) buckets. */
static inline unsigned mx_hist_index(uint64_t v, unsigned top_exp)
{
	if (v < MX_HIST_SUB)
		return (unsigned)v;
	unsigned e = mx_hist_log2_(v);
	if (e >= top_exp)
		return MX_HIST_BUCKETS(top_exp) - 1;
	unsigned sub = (unsigned)(v >> (e - MX_HIST_SUB_BITS)) & (MX_HIST_SUB - 1);
	return MX_HIST_SUB + (e - MX_HIST_SUB_BITS) * MX_HIST_SUB + sub;
}

/* The largest value of bucket i (whatever top_exp: the last bucket's own
 * range; mx_hist_value() reports the maximum there instead). */
static inline uint64_t mx_hist_upper(unsigned i)
{
	if (i < MX_HIST_SUB)
		return i;
	unsigned e = (i - MX_HIST_SUB) / MX_HIST_SUB + MX_HIST_SUB_BITS;
	unsigned sub = (i - MX_HIST_SUB) % MX_HIST_SUB;
	uint64_t lo = (uint64_t)(MX_HIST_SUB + sub) << (e - MX_HIST_SUB_BITS);
	return lo + ((uint64_t)1 << (e - MX_HIST_SUB_BITS)) - 1;
}

/* The nearest rank of percentile p (1..100) of count samples (at least 1). */
static inline uint64_t mx_hist_rank(uint64_t count, unsigned p)
{
	uint64_t rank = (count * p + 99) / 100;
	return rank ? rank : 1;
}

/* What a percentile found in bucket i of nb reports: its upper bound, the
 * maximum in the last bucket, never above the maximum. */
static inline uint64_t mx_hist_value(unsigned i, unsigned nb, uint64_t max)
{
	uint64_t u = i == nb - 1 ? max : mx_hist_upper(i);
	return u < max ? u : max;
}

/* Percentile p (1..100) of count samples with maximum max, from nb
 * counters: the model's (64-bit) and SLOW_RESOLVER's (32-bit) counters. */
static inline uint64_t mx_hist_pct64(const uint64_t *h, unsigned nb, uint64_t count, uint64_t max, unsigned p)
{
	uint64_t rank = mx_hist_rank(count, p), cum = 0;
	for (unsigned i = 0; i < nb; i++) {
		cum += h[i];
		if (cum >= rank)
			return mx_hist_value(i, nb, max);
	}
	return max;
}

static inline uint64_t mx_hist_pct32(const uint32_t *h, unsigned nb, uint64_t count, uint64_t max, unsigned p)
{
	uint64_t rank = mx_hist_rank(count, p), cum = 0;
	for (unsigned i = 0; i < nb; i++) {
		cum += h[i];
		if (cum >= rank)
			return mx_hist_value(i, nb, max);
	}
	return max;
}

#endif
