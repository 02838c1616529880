/* addr.c - IPv4/IPv6 address values: set, compare, hash, format, parse.
 *
 * Addresses are plain 17-byte values with zeroed padding, so equality and
 * hashing are byte-exact. Text is written by hand, exactly as inet_ntop
 * writes it (tests/unit/test_base.c compares the two on every IPv4 octet
 * and every pattern of zero groups in IPv6); the JSON writers call
 * mx_addr_text() for every address they write. Parsing uses inet_pton.
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

/* The decimal text of each byte value, padded to four bytes with its length
 * last: an octet is one 4-byte copy. */
static const struct {
	char t[3];
	uint8_t n;
} g_octet[256] = {
	{ "0", 1 }, { "1", 1 }, { "2", 1 }, { "3", 1 }, { "4", 1 }, { "5", 1 }, { "6", 1 },
	{ "7", 1 }, { "8", 1 }, { "9", 1 }, { "10", 2 }, { "11", 2 }, { "12", 2 }, { "13", 2 },
	{ "14", 2 }, { "15", 2 }, { "16", 2 }, { "17", 2 }, { "18", 2 }, { "19", 2 },
	{ "20", 2 }, { "21", 2 }, { "22", 2 }, { "23", 2 }, { "24", 2 }, { "25", 2 },
	{ "26", 2 }, { "27", 2 }, { "28", 2 }, { "29", 2 }, { "30", 2 }, { "31", 2 },
	{ "32", 2 }, { "33", 2 }, { "34", 2 }, { "35", 2 }, { "36", 2 }, { "37", 2 },
	{ "38", 2 }, { "39", 2 }, { "40", 2 }, { "41", 2 }, { "42", 2 }, { "43", 2 },
	{ "44", 2 }, { "45", 2 }, { "46", 2 }, { "47", 2 }, { "48", 2 }, { "49", 2 },
	{ "50", 2 }, { "51", 2 }, { "52", 2 }, { "53", 2 }, { "54", 2 }, { "55", 2 },
	{ "56", 2 }, { "57", 2 }, { "58", 2 }, { "59", 2 }, { "60", 2 }, { "61", 2 },
	{ "62", 2 }, { "63", 2 }, { "64", 2 }, { "65", 2 }, { "66", 2 }, { "67", 2 },
	{ "68", 2 }, { "69", 2 }, { "70", 2 }, { "71", 2 }, { "72", 2 }, { "73", 2 },
	{ "74", 2 }, { "75", 2 }, { "76", 2 }, { "77", 2 }, { "78", 2 }, { "79", 2 },
	{ "80", 2 }, { "81", 2 }, { "82", 2 }, { "83", 2 }, { "84", 2 }, { "85", 2 },
	{ "86", 2 }, { "87", 2 }, { "88", 2 }, { "89", 2 }, { "90", 2 }, { "91", 2 },
	{ "92", 2 }, { "93", 2 }, { "94", 2 }, { "95", 2 }, { "96", 2 }, { "97", 2 },
	{ "98", 2 }, { "99", 2 }, { "100", 3 }, { "101", 3 }, { "102", 3 }, { "103", 3 },
	{ "104", 3 }, { "105", 3 }, { "106", 3 }, { "107", 3 }, { "108", 3 }, { "109", 3 },
	{ "110", 3 }, { "111", 3 }, { "112", 3 }, { "113", 3 }, { "114", 3 }, { "115", 3 },
	{ "116", 3 }, { "117", 3 }, { "118", 3 }, { "119", 3 }, { "120", 3 }, { "121", 3 },
	{ "122", 3 }, { "123", 3 }, { "124", 3 }, { "125", 3 }, { "126", 3 }, { "127", 3 },
	{ "128", 3 }, { "129", 3 }, { "130", 3 }, { "131", 3 }, { "132", 3 }, { "133", 3 },
	{ "134", 3 }, { "135", 3 }, { "136", 3 }, { "137", 3 }, { "138", 3 }, { "139", 3 },
	{ "140", 3 }, { "141", 3 }, { "142", 3 }, { "143", 3 }, { "144", 3 }, { "145", 3 },
	{ "146", 3 }, { "147", 3 }, { "148", 3 }, { "149", 3 }, { "150", 3 }, { "151", 3 },
	{ "152", 3 }, { "153", 3 }, { "154", 3 }, { "155", 3 }, { "156", 3 }, { "157", 3 },
	{ "158", 3 }, { "159", 3 }, { "160", 3 }, { "161", 3 }, { "162", 3 }, { "163", 3 },
	{ "164", 3 }, { "165", 3 }, { "166", 3 }, { "167", 3 }, { "168", 3 }, { "169", 3 },
	{ "170", 3 }, { "171", 3 }, { "172", 3 }, { "173", 3 }, { "174", 3 }, { "175", 3 },
	{ "176", 3 }, { "177", 3 }, { "178", 3 }, { "179", 3 }, { "180", 3 }, { "181", 3 },
	{ "182", 3 }, { "183", 3 }, { "184", 3 }, { "185", 3 }, { "186", 3 }, { "187", 3 },
	{ "188", 3 }, { "189", 3 }, { "190", 3 }, { "191", 3 }, { "192", 3 }, { "193", 3 },
	{ "194", 3 }, { "195", 3 }, { "196", 3 }, { "197", 3 }, { "198", 3 }, { "199", 3 },
	{ "200", 3 }, { "201", 3 }, { "202", 3 }, { "203", 3 }, { "204", 3 }, { "205", 3 },
	{ "206", 3 }, { "207", 3 }, { "208", 3 }, { "209", 3 }, { "210", 3 }, { "211", 3 },
	{ "212", 3 }, { "213", 3 }, { "214", 3 }, { "215", 3 }, { "216", 3 }, { "217", 3 },
	{ "218", 3 }, { "219", 3 }, { "220", 3 }, { "221", 3 }, { "222", 3 }, { "223", 3 },
	{ "224", 3 }, { "225", 3 }, { "226", 3 }, { "227", 3 }, { "228", 3 }, { "229", 3 },
	{ "230", 3 }, { "231", 3 }, { "232", 3 }, { "233", 3 }, { "234", 3 }, { "235", 3 },
	{ "236", 3 }, { "237", 3 }, { "238", 3 }, { "239", 3 }, { "240", 3 }, { "241", 3 },
	{ "242", 3 }, { "243", 3 }, { "244", 3 }, { "245", 3 }, { "246", 3 }, { "247", 3 },
	{ "248", 3 }, { "249", 3 }, { "250", 3 }, { "251", 3 }, { "252", 3 }, { "253", 3 },
	{ "254", 3 }, { "255", 3 },
};

/* "a.b.c.d" as inet_ntop writes it. Stores one byte past the end. */
static char *fmt_ipv4(char *d, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*d++ = '.';
		memcpy(d, &g_octet[a[i]], 4);
		d += g_octet[a[i]].n;
	}
	return d;
}

/* The text inet_ntop(AF_INET6) gives (RFC 5952 style): 16-bit groups in
 * lower-case hex without leading zeros, the first longest run of two or
 * more zero groups as "::", and the last 32 bits as a dotted quad when the
 * address is IPv4-compatible (::a.b.c.d, the first six groups zero) or
 * IPv4-mapped (::ffff:a.b.c.d). At most 45 bytes (and one more stored). */
static char *fmt_ipv6(char *d, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int best = -1, blen = 0, cur = -1, clen = 0;
	for (int i = 0; i < 8; i++) {
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		if (g[i]) {
			cur = -1;
			continue;
		}
		if (cur < 0) {
			cur = i;
			clen = 0;
		}
		/* a later run replaces the best one only when longer */
		if (++clen > blen) {
			best = cur;
			blen = clen;
		}
	}
	if (blen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				*d++ = ':';
			continue;
		}
		if (i)
			*d++ = ':';
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && g[5] == 0xffffu)))
			return fmt_ipv4(d, a + 12);
		unsigned v = g[i];
		if (v >= 0x1000u)
			*d++ = hex[v >> 12];
		if (v >= 0x100u)
			*d++ = hex[v >> 8 & 15u];
		if (v >= 0x10u)
			*d++ = hex[v >> 4 & 15u];
		*d++ = hex[v & 15u];
	}
	if (best >= 0 && best + blen == 8)
		*d++ = ':';
	return d;
}

char *mx_addr_text(char *d, const struct mx_addr *x)
{
	if (x->family == 4)
		return fmt_ipv4(d, x->a);
	if (x->family == 6)
		return fmt_ipv6(d, x->a);
	*d++ = '-';
	return d;
}

char *mx_addr_format(const struct mx_addr *x, char *buf, size_t n)
{
	char t[MX_ADDR_TEXT_MAX + 1];
	size_t k;
	if (n == 0)
		return buf;
	k = (size_t)(mx_addr_text(t, x) - t);
	if (k >= n)
		k = 0; /* too small: empty, as inet_ntop fails */
	memcpy(buf, t, k);
	buf[k] = '\0';
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
