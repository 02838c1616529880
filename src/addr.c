/* addr.c - IPv4/IPv6 address values: set, compare, hash, format, parse.
 *
 * Addresses are plain 17-byte values with zeroed padding, so equality and
 * hashing are byte-exact. Text conversion uses inet_ntop/inet_pton; it is
 * only called by sinks and option parsing, never per packet.
 */
#include "mxsniff/addr.h"
#include "mxsniff/err.h"

#include <arpa/inet.h>
#include <string.h>

void mx_addr_set4(struct mx_addr *x, const uint8_t b[4])
{
	memset(x, 0, sizeof(*x));
	x->family = 4;
	memcpy(x->a, b, 4);
}

void mx_addr_set6(struct mx_addr *x, const uint8_t b[16])
{
	memset(x, 0, sizeof(*x));
	x->family = 6;
	memcpy(x->a, b, 16);
}

int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

/* 64-bit words read without alignment or aliasing concerns (memcpy is one
 * load); the hash value depends on the host's byte order, which is fine: no
 * output depends on hash values, only on what compares equal. */
static inline uint64_t load32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

/* Tail of 1..7 bytes as one word, without a byte loop: two overlapping
 * 4-byte loads, or first/middle/last byte. For a given n the mapping is
 * one-to-one (every byte is read), and n itself is mixed in up front. */
static inline uint64_t load_tail(const uint8_t *p, size_t n)
{
	if (n >= 4)
		return load32(p) << 32 | load32(p + n - 4);
	return (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
}

uint64_t mx_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	/* Word at a time (8 bytes per multiply instead of one), length folded
	 * in first so that inputs differing only by trailing zero bytes differ. */
	const uint8_t *b = (const uint8_t *)p;
	uint64_t h = mx_mix_word_(seed ^ 0xcbf29ce484222325ULL, (uint64_t)n);
	while (n >= 8) {
		h = mx_mix_word_(h, mx_load64_(b));
		b += 8;
		n -= 8;
	}
	if (n)
		h = mx_mix_word_(h, load_tail(b, n));
	return mx_avalanche_(h);
}

char *mx_addr_format(const struct mx_addr *x, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (x->family == 4) {
		/* dotted quad by hand (what inet_ntop writes, without its sprintf) */
		char t[16];
		size_t k = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = x->a[i];
			if (i)
				t[k++] = '.';
			if (v >= 100)
				t[k++] = (char)('0' + v / 100);
			if (v >= 10)
				t[k++] = (char)('0' + v / 10 % 10);
			t[k++] = (char)('0' + v % 10);
		}
		if (k >= n) {
			buf[0] = '\0'; /* inet_ntop fails when it does not fit */
		} else {
			memcpy(buf, t, k);
			buf[k] = '\0';
		}
	} else if (x->family == 6) {
		if (!inet_ntop(AF_INET6, x->a, buf, (socklen_t)n))
			buf[0] = '\0';
	} else if (n >= 2) {
		buf[0] = '-';
		buf[1] = '\0';
	}
	return buf;
}

int mx_addr_parse(const char *s, struct mx_addr *out)
{
	uint8_t b[16];
	if (!s)
		return MX_EINVAL;
	if (inet_pton(AF_INET, s, b) == 1) {
		mx_addr_set4(out, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		mx_addr_set6(out, b);
		return 0;
	}
	return MX_EINVAL;
}
