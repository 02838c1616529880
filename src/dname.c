/* dname.c - domain names as lowercased wire bytes: compare, hash, format, parse.
 *
 * The wire form is RFC 1035 §3.1 (length-prefixed labels, root label last).
 * Formatting follows RFC 4343 / RFC 1035 §5.1 presentation rules: letters,
 * digits, '-', '_' and '*' stay as they are, '.' and '\' inside a label are
 * backslash-escaped, other bytes become \DDD. Parsing accepts the same escapes.
 * Names are compared byte-exactly because dns.c folds ASCII case on input.
 */
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
#include "mxsniff/addr.h"

#include <stdio.h>
#include <string.h>

int mx_dname_cmp(const struct mx_dname *x, const struct mx_dname *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->wire, y->wire, n);
	if (c)
		return c;
	return x->len == y->len ? 0 : (x->len < y->len ? -1 : 1);
}

uint64_t mx_dname_hash(const struct mx_dname *x, uint64_t seed)
{
	return mx_hash_bytes(x->wire, x->len, seed);
}

static bool plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '*';
}

char *mx_dname_format(const struct mx_dname *x, char *buf, size_t n)
{
	size_t o = 0, i = 0;
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (x->len == 0)
		return buf;
	if (x->len == 1) {
		if (n >= 2) {
			buf[0] = '.';
			buf[1] = '\0';
		}
		return buf;
	}
	while (i < x->len) {
		uint8_t ll = x->wire[i++];
		if (ll == 0 || i + ll > x->len)
			break;
		for (uint8_t k = 0; k < ll; k++) {
			uint8_t c = x->wire[i + k];
			char tmp[5];
			size_t tl;
			if (plain_char(c)) {
				tmp[0] = (char)c;
				tl = 1;
			} else if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' ||
				   c == ';' || c == '@' || c == '$') {
				tmp[0] = '\\';
				tmp[1] = (char)c;
				tl = 2;
			} else if (c > 0x20 && c < 0x7f) {
				tmp[0] = (char)c;
				tl = 1;
			} else {
				snprintf(tmp, sizeof tmp, "\\%03u", c);
				tl = 4;
			}
			if (o + tl + 2 > n)
				goto out;
			memcpy(buf + o, tmp, tl);
			o += tl;
		}
		i += ll;
		if (o + 2 > n)
			goto out;
		buf[o++] = '.';
	}
out:
	buf[o < n ? o : n - 1] = '\0';
	return buf;
}

int mx_dname_from_text(const char *s, struct mx_dname *out)
{
	struct mx_dname d;
	size_t o = 0;
	uint8_t labels = 0;
	if (!s)
		return MX_EINVAL;
	if (s[0] == '.' && s[1] == '\0')
		s++;
	while (*s) {
		size_t lpos = o++;
		uint8_t ll = 0;
		if (o >= MX_DNAME_MAX)
			return MX_EINVAL;
		while (*s && *s != '.') {
			uint8_t c;
			if (*s == '\\') {
				s++;
				if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
				    s[2] >= '0' && s[2] <= '9') {
					unsigned v = (unsigned)(s[0] - '0') * 100 +
						     (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
					if (v > 255)
						return MX_EINVAL;
					c = (uint8_t)v;
					s += 3;
				} else if (*s) {
					c = (uint8_t)*s++;
				} else {
					return MX_EINVAL;
				}
			} else {
				c = (uint8_t)*s++;
			}
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + ('a' - 'A'));
			if (ll == 63 || o + 1 >= MX_DNAME_MAX)
				return MX_EINVAL;
			d.wire[o++] = c;
			ll++;
		}
		if (ll == 0)
			return MX_EINVAL; /* empty label: "a..b" or leading dot */
		d.wire[lpos] = ll;
		labels++;
		if (*s == '.')
			s++;
	}
	if (o + 1 > MX_DNAME_MAX)
		return MX_EINVAL;
	d.wire[o++] = 0;
	d.len = (uint8_t)o;
	d.labels = labels;
	mx_dname_copy(out, &d);
	return 0;
}

/* Offset of the label that starts the last n labels of x. */
static size_t suffix_off(const struct mx_dname *x, unsigned n)
{
	size_t i = 0;
	unsigned skip = x->labels > n ? x->labels - n : 0;
	while (skip-- > 0 && i < x->len && x->wire[i] != 0)
		i += (size_t)x->wire[i] + 1;
	return i;
}

bool mx_dname_is_subdomain(const struct mx_dname *x, const struct mx_dname *z)
{
	size_t zl = z->len, xl = x->len;
	if (xl == 0 || zl == 0 || z->labels > x->labels || zl > xl)
		return false;
	/* x must end in z's bytes: the last word rejects nearly every
	 * non-match before the labels are walked */
	if (zl >= 8 && mx_dname_ld8_(x->wire + xl - 8) != mx_dname_ld8_(z->wire + zl - 8))
		return false;
	size_t off = suffix_off(x, z->labels);
	return xl - off == zl && memcmp(x->wire + off, z->wire, zl) == 0;
}

void mx_dname_suffix(const struct mx_dname *x, unsigned n, struct mx_dname *out)
{
	if (x->len == 0) {
		out->len = 0;
		out->labels = 0;
		return;
	}
	size_t off = suffix_off(x, n);
	out->len = (uint8_t)(x->len - off);
	out->labels = (uint8_t)(x->labels > n ? n : x->labels);
	memcpy(out->wire, x->wire + off, out->len);
}
