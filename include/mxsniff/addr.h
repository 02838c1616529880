/* addr.h - IPv4/IPv6 addresses as plain values (L0).
 *
 * struct mx_addr is small, copyable and comparable byte-wise: family is 4 or 6
 * (0 = none) and the address is stored in network order in a[] (IPv4 uses the
 * first 4 bytes, the rest stay zero). Use mx_addr_set4/6 so the padding is zero
 * and hashing/memcmp stay exact.
 */
#ifndef MXSNIFF_ADDR_H
#define MXSNIFF_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MX_ADDR_STRLEN 48 /* enough for any IPv6 text form plus NUL */

struct mx_addr {
	uint8_t family; /* 4, 6, or 0 for none */
	uint8_t a[16];
};

void mx_addr_set4(struct mx_addr *x, const uint8_t b[4]);
void mx_addr_set6(struct mx_addr *x, const uint8_t b[16]);
/* Total order: family first, then bytes. For sorted, deterministic output. */
int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y);
/* Text form (inet_ntop style, "-" for none) into buf; returns buf. A buffer
 * too small for the whole text gets "" (as inet_ntop fails). */
char *mx_addr_format(const struct mx_addr *x, char *buf, size_t n);
/* The same text written at d without a terminator, for writers with their
 * own buffers: at most MX_ADDR_TEXT_MAX bytes, and d must have room for one
 * more (an octet is stored as one 4-byte copy). Returns the end. */
#define MX_ADDR_TEXT_MAX 45
char *mx_addr_text(char *d, const struct mx_addr *x);
/* Parse dotted-quad or IPv6 text. 0 or MX_EINVAL. */
int mx_addr_parse(const char *s, struct mx_addr *out);

/* 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104: an address of this host only. */
static inline bool mx_addr_is_loopback(const struct mx_addr *x)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (x->family == 4)
		return x->a[0] == 127;
	if (x->family != 6)
		return false;
	if (memcmp(x->a, mapped, 12) == 0)
		return x->a[12] == 127;
	for (int i = 0; i < 15; i++)
		if (x->a[i] != 0)
			return false;
	return x->a[15] == 1;
}

/* 224.0.0.0/4 (RFC 5771) or ff00::/8 (RFC 4291 §2.7): a group, never one
 * host (mDNS 224.0.0.251 / ff02::fb, LLMNR 224.0.0.252 / ff02::1:3). */
static inline bool mx_addr_is_multicast(const struct mx_addr *x)
{
	return x->family == 4 ? (x->a[0] & 0xf0) == 0xe0 : x->family == 6 && x->a[0] == 0xff;
}

/* Equality and hashing are inline: every table probe uses them. */
static inline uint64_t mx_load64_(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

static inline bool mx_addr_eq(const struct mx_addr *x, const struct mx_addr *y)
{
	return x->family == y->family &&
	       ((mx_load64_(x->a) ^ mx_load64_(y->a)) | (mx_load64_(x->a + 8) ^ mx_load64_(y->a + 8))) == 0;
}

/* One mixing round per word (xor, multiply by an odd constant, fold the high
 * half down) and a splitmix64 finaliser so every input bit reaches the low
 * bits that power-of-two masks use. The value depends on the host's byte
 * order: no output depends on hash values, only on what compares equal. */
static inline uint64_t mx_mix_word_(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static inline uint64_t mx_avalanche_(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* The bytes past an IPv4 address are zero (mx_addr_set4) and mx_addr_eq
 * compares all 16, so hashing the first 8 of an IPv4 address is consistent
 * with equality. */
static inline uint64_t mx_addr_hash(const struct mx_addr *x, uint64_t seed)
{
	uint64_t h = mx_mix_word_(seed ^ 0xcbf29ce484222325ULL, x->family);
	h = mx_mix_word_(h, mx_load64_(x->a));
	if (x->family != 4)
		h = mx_mix_word_(h, mx_load64_(x->a + 8));
	return mx_avalanche_(h);
}

/* 64-bit hash helper shared by every table (word-at-a-time mixing with a
 * splitmix64 finaliser, seedable). */
uint64_t mx_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
