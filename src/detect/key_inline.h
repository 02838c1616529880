/* key_inline.h - the detector key helpers, inline (private to src/detect.c and
 * src/detect/).
 *
 * mx_key_addr() and mx_key_addr2() (detect.h) are defined in detect.c with
 * these, so a detector calling mx_key_addr_inline() gets the very same value
 * (table placement and LRU eviction depend on it) without a call per
 * transaction.
 */
#ifndef MXSNIFF_DETECT_KEY_INLINE_H
#define MXSNIFF_DETECT_KEY_INLINE_H

#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"

static inline uint64_t mx_key_addr_inline(const struct mx_addr *a, uint64_t salt)
{
	uint64_t k = mx_addr_hash(a, salt);
	return k ? k : 1;
}

static inline uint64_t mx_key_addr2_inline(const struct mx_addr *a, const struct mx_addr *b, uint64_t salt)
{
	uint64_t k = mx_addr_hash(b, mx_addr_hash(a, salt));
	return k ? k : 1;
}

/* mx_hash_bytes() (addr.c), inline: the same value, which the unit test
 * name_key_inline_is_mx_key_name checks for every length. A name key per
 * transaction went through three calls (mx_key_name, mx_dname_hash,
 * mx_hash_bytes), more instructions than the hash itself. */
static inline uint64_t mx_hash_bytes_inline_(const uint8_t *b, size_t n, uint64_t seed)
{
	uint64_t h = mx_mix_word_(seed ^ 0xcbf29ce484222325ULL, (uint64_t)n);
	while (n >= 8) {
		h = mx_mix_word_(h, mx_load64_(b));
		b += 8;
		n -= 8;
	}
	if (n >= 4) {
		uint32_t x, y;
		memcpy(&x, b, 4);
		memcpy(&y, b + n - 4, 4);
		h = mx_mix_word_(h, (uint64_t)x << 32 | y);
	} else if (n) {
		h = mx_mix_word_(h, (uint64_t)b[0] << 16 | (uint64_t)b[n >> 1] << 8 | b[n - 1]);
	}
	return mx_avalanche_(h);
}

/* mx_key_name() */
static inline uint64_t mx_key_name_inline(const struct mx_dname *n, uint16_t qtype, uint64_t salt)
{
	uint64_t k = mx_hash_bytes_inline_(n->wire, n->len, salt * 65537 + qtype);
	return k ? k : 1;
}

#endif
