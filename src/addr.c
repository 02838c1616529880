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

bool mx_addr_eq(const struct mx_addr *x, const struct mx_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

uint64_t mx_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	/* FNV-1a over the bytes, then a final avalanche (splitmix64 finaliser)
	 * so that power-of-two table masks use well-mixed low bits. */
	const uint8_t *b = (const uint8_t *)p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t mx_addr_hash(const struct mx_addr *x, uint64_t seed)
{
	return mx_hash_bytes(x->a, x->family == 4 ? 4 : 16, seed ^ x->family);
}

char *mx_addr_format(const struct mx_addr *x, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (x->family == 4) {
		if (!inet_ntop(AF_INET, x->a, buf, (socklen_t)n))
			buf[0] = '\0';
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
