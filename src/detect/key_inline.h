/* key_inline.h - the detector key helpers, inline (private to src/detect.c and
 * src/detect/).
 *
 * mx_key_addr() and mx_key_addr2() (detect.h) are defined in detect.c with
 * these, so a detector calling mx_key_addr_inline() gets the very same value
 * (table placement and LRU eviction depend on it) without a call per
 * transaction. Below them, the keys of an event's (client, server) pair that
 * the core keeps across events for the detectors (ctx->pk), with a slot hint
 * per key.
 */
#ifndef MXSNIFF_DETECT_KEY_INLINE_H
#define MXSNIFF_DETECT_KEY_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/detect.h"
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

/* ---- keys of the event's (client, server) pair -------------------------------
 *
 * Nine detectors key a table on an event's client, its server or both, each
 * with its own salt: per transaction that was six address hashes of the
 * same few addresses (a mail server has a handful of resolvers). detect.c
 * keeps the keys per pair in a small direct-mapped memo (struct
 * mx_pair_keys, found by comparing both addresses) and hands the event's
 * entry to the detectors in ctx->pk: for a transaction (client, server), for
 * a lookup (client, first resolver, or no address). A detector reads its key
 * there only for that very pair; the values are those of mx_key_addr() and
 * mx_key_addr2() with the salts below, so that tables place and evict as
 * before.
 *
 * Beside each key the entry keeps a hint: where the key was last found or
 * placed in its detector's table. A key is in a table at most once (it is
 * only placed when its probe window does not hold it), so when the hinted
 * slot holds the key, the probe would have returned that slot: the hinted
 * probe marks it used and returns it without the window walk, and otherwise
 * probes as always (mx_slot_probe_hint_). */
#define MX_SALT_SLOW 9           /* slow_resolver: server */
#define MX_SALT_TIMEOUT 10       /* resolver_timeout: client, server */
#define MX_SALT_REFUSED 11       /* resolver_refused: client, resolver */
#define MX_SALT_PUBLIC 12        /* public_resolver: client, server */
#define MX_SALT_EDNS 15          /* edns_formerr: client, server */
#define MX_SALT_QVOL 16          /* query_volume: client */
#define MX_SALT_STORM 17         /* servfail_storm: server */
#define MX_SALT_TCRL 18          /* tc_rate_limit: client, server */
#define MX_SALT_SFX 0x5f78       /* diagnostics (search suffixes): client */

enum mx_pk {
	MX_PK_SLOW,
	MX_PK_TIMEOUT,
	MX_PK_REFUSED,
	MX_PK_PUBLIC,
	MX_PK_EDNS,
	MX_PK_QVOL,
	MX_PK_STORM,
	MX_PK_SFX,
	MX_PK_TCRL,
	MX_PK_N
};

#define MX_PK_NO_HINT 0xffffu

struct mx_pair_keys {
	uint64_t key[MX_PK_N];
	struct mx_addr client, server;
	uint16_t hint[MX_PK_N];      /* slot index in the key's table; MX_PK_NO_HINT none */
};

/* Fill e for (client, server): its addresses, every key, no hints. */
static inline void mx_pair_keys_fill(struct mx_pair_keys *e, const struct mx_addr *client,
				     const struct mx_addr *server)
{
	e->client = *client;
	e->server = *server;
	e->key[MX_PK_SLOW] = mx_key_addr_inline(server, MX_SALT_SLOW);
	e->key[MX_PK_TIMEOUT] = mx_key_addr2_inline(client, server, MX_SALT_TIMEOUT);
	e->key[MX_PK_REFUSED] = mx_key_addr2_inline(client, server, MX_SALT_REFUSED);
	e->key[MX_PK_PUBLIC] = mx_key_addr2_inline(client, server, MX_SALT_PUBLIC);
	e->key[MX_PK_EDNS] = mx_key_addr2_inline(client, server, MX_SALT_EDNS);
	e->key[MX_PK_QVOL] = mx_key_addr_inline(client, MX_SALT_QVOL);
	e->key[MX_PK_STORM] = mx_key_addr_inline(server, MX_SALT_STORM);
	e->key[MX_PK_SFX] = mx_key_addr_inline(client, MX_SALT_SFX);
	e->key[MX_PK_TCRL] = mx_key_addr2_inline(client, server, MX_SALT_TCRL);
	for (unsigned i = 0; i < MX_PK_N; i++)
		e->hint[i] = MX_PK_NO_HINT;
}

/* mx_slot_probe_() with a hint (NULL: none): the same slot, the same
 * effect on the table and the clock, the same *fresh; *hint is set to the
 * slot returned. */
static inline __attribute__((always_inline)) struct mx_slot *
mx_slot_probe_hint_(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh, size_t zero,
		    uint16_t *hint)
{
	if (hint && *hint < n) {
		struct mx_slot *s = (struct mx_slot *)(void *)((unsigned char *)base + (size_t)*hint * size);
		if (s->key == key && s->used) {
			s->used = ++*clock;
			if (fresh)
				*fresh = false;
			return s;
		}
	}
	struct mx_slot *s = mx_slot_probe_(base, n, size, key, clock, fresh, zero);
	if (hint)
		*hint = (uint16_t)(((unsigned char *)s - (unsigned char *)base) / size);
	return s;
}

/* The key of kind k for the event's pair (ctx->pk), and its hint; without
 * an entry (NULL pk, events without a pair) the key expression (evaluated
 * only then), which must give the same key for the event's pair. */
#define MX_PK_KEY(c, k, expr) ((c)->pk ? (c)->pk->key[k] : (expr))
#define MX_PK_HINT(c, k) ((c)->pk ? &(c)->pk->hint[k] : NULL)

/* MX_SLOT_INDEX, MX_SLOT_GET and MX_SLOT_TAKE for key kind k of the event's
 * pair, with its hint. */
#define MX_SLOT_INDEX_PK(c, k, hdr, expr, clock, fresh)                                                      \
	((size_t)(mx_slot_probe_hint_((hdr), sizeof(hdr) / sizeof((hdr)[0]), sizeof((hdr)[0]),               \
				      MX_PK_KEY(c, k, expr), (clock), (fresh), sizeof((hdr)[0]),              \
				      MX_PK_HINT(c, k)) -                                                     \
		  (hdr)))
#define MX_SLOT_GET_PK(c, k, arr, expr, clock, fresh)                                                          \
	((void *)mx_slot_probe_hint_((arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]),                 \
				     MX_PK_KEY(c, k, expr), (clock), (fresh), sizeof((arr)[0]), MX_PK_HINT(c, k)))
#define MX_SLOT_TAKE_PK(c, k, arr, expr, clock, fresh)                                                         \
	((void *)mx_slot_probe_hint_((arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]),                 \
				     MX_PK_KEY(c, k, expr), (clock), (fresh), sizeof(struct mx_slot),         \
				     MX_PK_HINT(c, k)))

#endif
