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

#define MX_DNAME_MAX 255      /* RFC 1035 §2.3.4, incl. the root label */
#define MX_DNAME_STRLEN 1024  /* text form: every byte may become \DDD */

struct mx_dname {
	uint8_t len;    /* bytes used in wire[], incl. the final 0; 0 = no name */
	uint8_t labels; /* number of labels, root excluded */
	uint8_t wire[MX_DNAME_MAX];
};

bool mx_dname_eq(const struct mx_dname *x, const struct mx_dname *y);
/* Total order (by wire bytes) for deterministic sorting. */
int mx_dname_cmp(const struct mx_dname *x, const struct mx_dname *y);
uint64_t mx_dname_hash(const struct mx_dname *x, uint64_t seed);
void mx_dname_copy(struct mx_dname *dst, const struct mx_dname *src);
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
