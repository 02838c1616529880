/* dname.h - domain names as lowercased wire bytes (L0).
 *
 * A name stays in wire form (length-prefixed labels ending in the root label)
 * with ASCII letters folded to lower case, so comparison and hashing are
 * byte-exact and no name is turned into text on the hot path. Only sinks call
 * mx_dname_format(). No allocation: the struct holds the whole name.
 */
#ifndef MXSNIFF_DNAME_H
#define MXSNIFF_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MX_DNAME_MAX 255      /* RFC 1035 §2.3.4, incl. the root label */
#define MX_DNAME_STRLEN 1024  /* text form: every byte may become \DDD */

struct mx_dname {
	uint8_t len;    /* bytes used in wire[], incl. the final 0; 0 = no name */
	uint8_t labels; /* number of labels, root excluded */
	uint8_t wire[MX_DNAME_MAX];
};

/* Equality, copy and hash are inline: every table probe and event uses them.
 * They touch wire[0..len) only, a word at a time (the last word overlapping
 * the one before it), never the bytes past len. */
static inline uint64_t mx_dname_ld8_(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

static inline uint32_t mx_dname_ld4_(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	return w;
}

static inline bool mx_dname_eq(const struct mx_dname *x, const struct mx_dname *y)
{
	size_t n = x->len;
	const uint8_t *a = x->wire, *b = y->wire;
	if (n != y->len)
		return false;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8)
			if (mx_dname_ld8_(a + i) != mx_dname_ld8_(b + i))
				return false;
		return mx_dname_ld8_(a + n - 8) == mx_dname_ld8_(b + n - 8);
	}
	if (n >= 4)
		return mx_dname_ld4_(a) == mx_dname_ld4_(b) &&
		       mx_dname_ld4_(a + n - 4) == mx_dname_ld4_(b + n - 4);
	/* 0..3 bytes: positions 0, n/2 and n-1 cover them all */
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

static inline void mx_dname_copy(struct mx_dname *dst, const struct mx_dname *src)
{
	size_t n = src->len;
	uint8_t *d = dst->wire;
	const uint8_t *s = src->wire;
	dst->len = src->len;
	dst->labels = src->labels;
	if (n >= 8) {
		uint64_t last = mx_dname_ld8_(s + n - 8);
		for (size_t i = 0; i + 8 < n; i += 8) {
			uint64_t w = mx_dname_ld8_(s + i);
			memcpy(d + i, &w, 8);
		}
		memcpy(d + n - 8, &last, 8);
	} else if (n >= 4) {
		uint32_t w0 = mx_dname_ld4_(s), w1 = mx_dname_ld4_(s + n - 4);
		memcpy(d, &w0, 4);
		memcpy(d + n - 4, &w1, 4);
	} else if (n > 0) {
		uint8_t b0 = s[0], b1 = s[n / 2], b2 = s[n - 1];
		d[0] = b0;
		d[n / 2] = b1;
		d[n - 1] = b2;
	}
}

/* Total order (by wire bytes) for deterministic sorting. */
int mx_dname_cmp(const struct mx_dname *x, const struct mx_dname *y);
uint64_t mx_dname_hash(const struct mx_dname *x, uint64_t seed);
/* Presentation form with a trailing dot ("." for the root, "" when len==0);
 * bytes outside [a-z0-9-_*] are escaped as \DDD or \. per RFC 4343. Returns buf. */
char *mx_dname_format(const struct mx_dname *x, char *buf, size_t n);
/* Parse presentation text ("Mx1.Example.COM", trailing dot optional) into a
 * lowercased wire name. 0 or MX_EINVAL. */
int mx_dname_from_text(const char *s, struct mx_dname *out);
/* True when x equals z or is below it (x = a.b.example.com, z = example.com). */
bool mx_dname_is_subdomain(const struct mx_dname *x, const struct mx_dname *z);
/* Copy the last n labels of x into out (n >= labels copies x). */
void mx_dname_suffix(const struct mx_dname *x, unsigned n, struct mx_dname *out);

#endif
