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

#endif
