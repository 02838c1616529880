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

#define MX_ADDR_STRLEN 48 /* enough for any IPv6 text form plus NUL */

struct mx_addr {
	uint8_t family; /* 4, 6, or 0 for none */
	uint8_t a[16];
};

void mx_addr_set4(struct mx_addr *x, const uint8_t b[4]);
void mx_addr_set6(struct mx_addr *x, const uint8_t b[16]);
bool mx_addr_eq(const struct mx_addr *x, const struct mx_addr *y);
/* Total order: family first, then bytes. For sorted, deterministic output. */
int mx_addr_cmp(const struct mx_addr *x, const struct mx_addr *y);
uint64_t mx_addr_hash(const struct mx_addr *x, uint64_t seed);
/* Text form (inet_ntop style, "-" for none) into buf; returns buf. */
char *mx_addr_format(const struct mx_addr *x, char *buf, size_t n);
/* Parse dotted-quad or IPv6 text. 0 or MX_EINVAL. */
int mx_addr_parse(const char *s, struct mx_addr *out);

/* 64-bit hash helper shared by every table (word-at-a-time mixing with a
 * splitmix64 finaliser, seedable). */
uint64_t mx_hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
