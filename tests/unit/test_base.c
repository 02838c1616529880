/* test_base.c - L0: the byte reader, addresses, names, error text. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
#include "mxsniff/rd.h"

static void rd_reads_and_sticks(void **state)
{
	(void)state;
	const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	struct mx_rd r;
	mx_rd_init(&r, b, sizeof b);
	assert_int_equal(mx_rd_u16(&r), 0x1234);
	assert_int_equal(mx_rd_u8(&r), 0x56);
	assert_false(r.bad);
	assert_int_equal(mx_rd_u32(&r), 0); /* only 2 left */
	assert_true(r.bad);
	assert_int_equal(mx_rd_u8(&r), 0);  /* sticky */
	assert_true(r.bad);
}

static void rd_sub_clamps(void **state)
{
	(void)state;
	const uint8_t b[] = {1, 2, 3, 4, 5, 6};
	struct mx_rd r;
	bool cl = true;
	mx_rd_init(&r, b, sizeof b);
	mx_rd_skip(&r, 1);
	struct mx_rd s = mx_rd_sub(&r, 3, &cl);
	assert_false(cl);
	assert_int_equal(s.left, 3);
	assert_int_equal(mx_rd_u8(&s), 2);
	assert_int_equal(r.left, 2);
	struct mx_rd t = mx_rd_sub(&r, 10, &cl);
	assert_true(cl);
	assert_int_equal(t.left, 2);
	assert_int_equal(r.left, 0);
	assert_false(r.bad);
	uint8_t out[4] = {9, 9, 9, 9};
	mx_rd_bytes(&t, out, 4);
	assert_true(t.bad);
	assert_int_equal(out[0], 0);
}

static void addr_roundtrip(void **state)
{
	(void)state;
	struct mx_addr a, b;
	char buf[MX_ADDR_STRLEN];
	assert_int_equal(mx_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, 4);
	assert_string_equal(mx_addr_format(&a, buf, sizeof buf), "192.0.2.1");
	assert_int_equal(mx_addr_parse("2001:DB8::1", &b), 0);
	assert_string_equal(mx_addr_format(&b, buf, sizeof buf), "2001:db8::1");
	assert_true(mx_addr_cmp(&a, &b) < 0);
	assert_false(mx_addr_eq(&a, &b));
	assert_int_equal(mx_addr_parse("300.1.1.1", &b), MX_EINVAL);
	assert_int_equal(mx_addr_parse("192.0.2.1", &b), 0);
	assert_true(mx_addr_eq(&a, &b));
	assert_true(mx_addr_hash(&a, 1) == mx_addr_hash(&b, 1));
	struct mx_addr none = {0};
	assert_string_equal(mx_addr_format(&none, buf, sizeof buf), "-");
}

/* The hand-written IPv4 form must be exactly inet_ntop's, for every octet
 * value in every position and for buffers too small to hold it. */
static void addr_format_v4_like_inet_ntop(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 256; v++)
		for (unsigned pos = 0; pos < 4; pos++) {
			uint8_t b[4] = {9, 99, 100, 255};
			b[pos] = (uint8_t)v;
			struct mx_addr a;
			mx_addr_set4(&a, b);
			for (size_t n = 1; n <= 16; n++) {
				char ours[16], ref[16];
				memset(ours, 'x', sizeof ours);
				mx_addr_format(&a, ours, n);
				if (!inet_ntop(AF_INET, b, ref, (socklen_t)n))
					ref[0] = '\0';
				assert_string_equal(ours, ref);
			}
		}
}

static uint64_t lcg_next(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x;
}

/* IPv6 text must be inet_ntop's too: every pattern of zero groups (the
 * "::" run, the first longest one wins) with assorted other groups, the
 * IPv4-compatible and -mapped forms and their near misses, and buffers one
 * byte too small. */
static void addr_format_v6_like_inet_ntop(void **state)
{
	(void)state;
	static const uint16_t groups[] = { 1, 2, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff,
					   0xfffe, 0xabcd, 0x8000 };
	uint64_t x = 7;
	struct mx_addr a;
	memset(&a, 0, sizeof a);
	a.family = 6;
	for (unsigned mask = 0; mask < 256; mask++)
		for (int round = 0; round < 40; round++) {
			for (int i = 0; i < 8; i++) {
				uint64_t v = lcg_next(&x);
				uint16_t g = round < 12 ? groups[(round + i) % 12] : (uint16_t)(v >> 20);
				if (mask >> i & 1u)
					g = 0;
				else if (g == 0)
					g = 1;
				if (round % 5 == 4 && i >= 5 && !(mask >> i & 1u))
					g = i == 5 ? 0xffff : (uint16_t)(v >> 40); /* mapped-like */
				a.a[2 * i] = (uint8_t)(g >> 8);
				a.a[2 * i + 1] = (uint8_t)g;
			}
			char ours[MX_ADDR_STRLEN], ref[MX_ADDR_STRLEN];
			assert_non_null(inet_ntop(AF_INET6, a.a, ref, sizeof ref));
			assert_string_equal(mx_addr_format(&a, ours, sizeof ours), ref);
			size_t len = strlen(ref);
			assert_string_equal(mx_addr_format(&a, ours, len + 1), ref);
			assert_string_equal(mx_addr_format(&a, ours, len), ""); /* one byte short */
			char raw[MX_ADDR_TEXT_MAX + 1];
			assert_int_equal(mx_addr_text(raw, &a) - raw, (long)len);
			assert_memory_equal(raw, ref, len);
		}
	static const char *const special[] = {
		"::", "::1", "::2", "::ffff:0.0.0.0", "::ffff:1.2.3.4", "::1.2.3.4", "::0.0.1.0",
		"::fffe:1.2.3.4", "0:0:0:0:1:ffff:1.2.3.4", "1::ffff:1.2.3.4", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "fe80::", "1::", "1:0:0:2::3", "1::2:0:0:3", "0:1::",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:255.255.255.255",
	};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
		char ours[MX_ADDR_STRLEN], ref[MX_ADDR_STRLEN];
		assert_int_equal(mx_addr_parse(special[i], &a), 0);
		assert_non_null(inet_ntop(AF_INET6, a.a, ref, sizeof ref));
		assert_string_equal(mx_addr_format(&a, ours, sizeof ours), ref);
	}
}

static void dname_text(void **state)
{
	(void)state;
	struct mx_dname d, e, s;
	char buf[MX_DNAME_STRLEN];
	assert_int_equal(mx_dname_from_text("Mx1.Example.COM", &d), 0);
	assert_int_equal(d.labels, 3);
	assert_int_equal(d.len, 17);
	assert_string_equal(mx_dname_format(&d, buf, sizeof buf), "mx1.example.com.");
	assert_int_equal(mx_dname_from_text("mx1.example.com.", &e), 0);
	assert_true(mx_dname_eq(&d, &e));
	assert_int_equal(mx_dname_cmp(&d, &e), 0);
	assert_int_equal(mx_dname_from_text(".", &e), 0);
	assert_int_equal(e.len, 1);
	assert_string_equal(mx_dname_format(&e, buf, sizeof buf), ".");
	assert_int_equal(mx_dname_from_text("a..b", &e), MX_EINVAL);
	assert_int_equal(mx_dname_from_text("a\\.b\\032c.test", &e), 0);
	assert_string_equal(mx_dname_format(&e, buf, sizeof buf), "a\\.b\\032c.test.");
	assert_int_equal(mx_dname_from_text("example.com", &e), 0);
	assert_true(mx_dname_is_subdomain(&d, &e));
	assert_false(mx_dname_is_subdomain(&e, &d));
	mx_dname_suffix(&d, 2, &s);
	assert_true(mx_dname_eq(&s, &e));
	assert_int_equal(mx_dname_from_text("xample.com", &e), 0);
	assert_false(mx_dname_is_subdomain(&d, &e));
	/* a 64-byte label is refused, a name over 255 bytes too */
	char big[300];
	memset(big, 'a', 64);
	big[64] = 0;
	assert_int_equal(mx_dname_from_text(big, &e), MX_EINVAL);
	for (int i = 0; i < 128; i++) {
		big[2 * i] = 'a';
		big[2 * i + 1] = '.';
	}
	big[256] = 0;
	assert_int_equal(mx_dname_from_text(big, &e), MX_EINVAL);
	/* small output buffers are cut, always terminated */
	char tiny[6];
	mx_dname_format(&d, tiny, sizeof tiny);
	assert_true(strlen(tiny) < sizeof tiny);
}

static void err_text(void **state)
{
	(void)state;
	assert_string_equal(mx_strerror(MX_ETRUNC), "capture file is truncated");
	assert_string_equal(mx_strerror(-999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rd_reads_and_sticks), cmocka_unit_test(rd_sub_clamps),
		cmocka_unit_test(addr_roundtrip),
		cmocka_unit_test(addr_format_v4_like_inet_ntop),
		cmocka_unit_test(addr_format_v6_like_inet_ntop), cmocka_unit_test(dname_text),
		cmocka_unit_test(err_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
