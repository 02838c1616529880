/* test_dns.c - unit tests for dns.c: the fast parser, the ldns reference
 * decoder, outcomes and mnemonics.
 *
 * Messages are built by hand with a tiny wire builder (so malformed ones are
 * easy), and for the differential test with ldns (ldns_pkt -> ldns_pkt2wire)
 * from a seeded generator, plus byte-mutated copies. Every hand-made message
 * also goes through both decoders and must satisfy the contract in
 * tests/fuzz/dns_diff.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "mxsniff/dns.h"
#include "mxsniff/decode.h"

#include "../fuzz/dns_diff.h"

/* ------------------------------------------------------------------------ */
/* wire builder                                                              */

struct wb {
	uint8_t b[8192];
	size_t n;
};

static void w8(struct wb *w, unsigned v)
{
	assert_true(w->n < sizeof w->b);
	w->b[w->n++] = (uint8_t)v;
}

static void w16(struct wb *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}

static void w32(struct wb *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xffff);
}

static void wbytes(struct wb *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof w->b);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* Uncompressed name from dotted text ("" or "." = root). */
static void wname(struct wb *w, const char *s)
{
	while (*s && *s != '.') {
		const char *d = strchr(s, '.');
		size_t l = d ? (size_t)(d - s) : strlen(s);
		w8(w, (unsigned)l);
		wbytes(w, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	w8(w, 0);
}

/* Labels of s without the root, then a pointer to off. */
static void wname_ptr(struct wb *w, const char *s, unsigned off)
{
	while (*s) {
		const char *d = strchr(s, '.');
		size_t l = d ? (size_t)(d - s) : strlen(s);
		w8(w, (unsigned)l);
		wbytes(w, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	w16(w, 0xC000u | off);
}

#define F_QR 0x8000u
#define F_AA 0x0400u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_RA 0x0080u
#define F_AD 0x0020u
#define F_CD 0x0010u

static void whdr(struct wb *w, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
		 unsigned ar)
{
	w->n = 0;
	w16(w, id);
	w16(w, flags);
	w16(w, qd);
	w16(w, an);
	w16(w, ns);
	w16(w, ar);
}

static void wq(struct wb *w, const char *name, unsigned type)
{
	wname(w, name);
	w16(w, type);
	w16(w, 1);
}

/* RR header with an uncompressed owner (NULL: pointer to the qname at 12);
 * returns where RDLENGTH sits, to be patched by wrr_end(). */
static size_t wrr(struct wb *w, const char *owner, unsigned type, uint32_t ttl)
{
	if (owner)
		wname(w, owner);
	else
		w16(w, 0xC00C);
	w16(w, type);
	w16(w, 1);
	w32(w, ttl);
	size_t at = w->n;
	w16(w, 0);
	return at;
}

static void wrr_end(struct wb *w, size_t at)
{
	size_t l = w->n - at - 2;
	w->b[at] = (uint8_t)(l >> 8);
	w->b[at + 1] = (uint8_t)l;
}

static void wa(struct wb *w, const char *owner, uint32_t ttl, unsigned a, unsigned b, unsigned c,
	       unsigned d)
{
	size_t at = wrr(w, owner, MX_TYPE_A, ttl);
	w8(w, a);
	w8(w, b);
	w8(w, c);
	w8(w, d);
	wrr_end(w, at);
}

static void wcname(struct wb *w, const char *owner, const char *target, uint32_t ttl)
{
	size_t at = wrr(w, owner, MX_TYPE_CNAME, ttl);
	wname(w, target);
	wrr_end(w, at);
}

static void wsoa(struct wb *w, const char *owner, uint32_t ttl, uint32_t serial, uint32_t minimum)
{
	size_t at = wrr(w, owner, MX_TYPE_SOA, ttl);
	wname(w, "ns1.example.com");
	wname(w, "hostmaster.example.com");
	w32(w, serial);
	w32(w, 7200);
	w32(w, 900);
	w32(w, 1209600);
	w32(w, minimum);
	wrr_end(w, at);
}

/* OPT: payload, extended rcode, DO; optional raw options. */
static void wopt(struct wb *w, unsigned payload, unsigned ext, bool dobit, const uint8_t *opts,
		 size_t n)
{
	w8(w, 0);
	w16(w, MX_TYPE_OPT);
	w16(w, payload);
	w32(w, (uint32_t)ext << 24 | (dobit ? 0x8000u : 0));
	w16(w, (unsigned)n);
	if (n)
		wbytes(w, opts, n);
}

/* ------------------------------------------------------------------------ */
/* parse with both decoders and check the contract                           */

static struct mx_dns_msg M, R;

static enum mx_dns_verdict parse_wl(const struct wb *w, size_t len, size_t wire_len)
{
	enum mx_dns_verdict v = mx_dns_parse(w->b, len, wire_len, &M);
	enum mx_dns_verdict v2 = mx_dns_parse_ldns(w->b, len, wire_len, &R);
	const char *d = mx_dns_diff_contract(&M, &R);
	if (d)
		fail_msg("decoders disagree on %s (fast %d, ldns %d, len %zu)", d, (int)v, (int)v2,
			 len);
	assert_int_equal(v, M.verdict);
	return v;
}

static enum mx_dns_verdict parse(const struct wb *w)
{
	return parse_wl(w, w->n, w->n);
}

static void assert_name(const struct mx_dname *n, const char *text)
{
	char buf[MX_DNAME_STRLEN];
	mx_dname_format(n, buf, sizeof buf);
	assert_string_equal(buf, text);
}

/* ------------------------------------------------------------------------ */
/* answers                                                                   */

static void build_a(struct wb *w)
{
	whdr(w, 0x1234, F_QR | F_RD | F_RA, 1, 2, 0, 0);
	wq(w, "mail.example.com", MX_TYPE_A);
	wa(w, NULL, 300, 192, 0, 2, 1);
	wa(w, NULL, 120, 192, 0, 2, 2);
}

static void test_a_answer(void **state)
{
	(void)state;
	struct wb w;
	build_a(&w);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.id, 0x1234);
	assert_true(M.qr && M.rd && M.ra && !M.aa && !M.tc && !M.partial && M.has_header);
	assert_int_equal(M.rcode, 0);
	assert_true(M.has_question);
	assert_name(&M.qname, "mail.example.com.");
	assert_int_equal(M.qname.labels, 3);
	assert_int_equal(M.qtype, MX_TYPE_A);
	assert_int_equal(M.qclass, 1);
	assert_int_equal(M.an_parsed, 2);
	assert_int_equal(M.an_qtype, 2);
	assert_int_equal(M.an_other, 0);
	assert_int_equal(M.n_addr, 2);
	assert_int_equal(M.addr_total, 2);
	assert_int_equal(M.addr[0].addr.family, 4);
	assert_memory_equal(M.addr[1].addr.a, ((const uint8_t[]){ 192, 0, 2, 2 }), 4);
	assert_int_equal(M.addr[0].ttl, 300);
	assert_int_equal(M.min_ttl, 120);
	assert_int_equal(M.n_cname, 0);
	assert_false(M.edns);
	assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);
}

static void test_aaaa_answer(void **state)
{
	(void)state;
	struct wb w;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x25 };
	whdr(&w, 7, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	wq(&w, "mx.example.net", MX_TYPE_AAAA);
	size_t at = wrr(&w, NULL, MX_TYPE_AAAA, 3600);
	wbytes(&w, v6, 16);
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.an_qtype, 1);
	assert_int_equal(M.n_addr, 1);
	assert_int_equal(M.addr[0].addr.family, 6);
	assert_memory_equal(M.addr[0].addr.a, v6, 16);
	assert_int_equal(M.min_ttl, 3600);
	assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);

	/* AAAA with 4 bytes of RDATA contradicts its type */
	w.b[w.n - 17] = 4;
	w.n -= 12;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	assert_int_equal(mx_dns_outcome(&M), MX_O_MALFORMED);
}

static void build_mx(struct wb *w)
{
	whdr(w, 0xbeef, F_QR | F_RD | F_RA | F_AD, 1, 2, 0, 2);
	wq(w, "Example.COM", MX_TYPE_MX);
	size_t at = wrr(w, NULL, MX_TYPE_MX, 600);
	w16(w, 10);
	wname_ptr(w, "mx1", 12);
	wrr_end(w, at);
	size_t mx1 = at + 4;   /* the exchange name of the first MX */
	at = wrr(w, NULL, MX_TYPE_MX, 300);
	w16(w, 20);
	wname_ptr(w, "mx2", 12);
	wrr_end(w, at);
	/* glue in additional: ignored by the digest, A RDATA still checked */
	wname_ptr(w, "", (unsigned)mx1);
	w16(w, MX_TYPE_A);
	w16(w, 1);
	w32(w, 60);
	w16(w, 4);
	w32(w, 0xC0000201u);
	wopt(w, 1232, 0, true, NULL, 0);
}

static void test_mx_answer(void **state)
{
	(void)state;
	struct wb w;
	build_mx(&w);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_name(&M.qname, "example.com.");
	assert_int_equal(M.qname_0x20, 1);
	assert_true(M.ad);
	assert_int_equal(M.an_qtype, 2);
	assert_int_equal(M.n_mx, 2);
	assert_int_equal(M.mx_total, 2);
	assert_int_equal(M.mx[0].pref, 10);
	assert_name(&M.mx[0].exchange, "mx1.example.com.");
	assert_int_equal(M.mx[1].pref, 20);
	assert_name(&M.mx[1].exchange, "mx2.example.com.");
	assert_int_equal(M.n_addr, 0); /* glue is not in the answer section */
	assert_int_equal(M.min_ttl, 300);
	assert_true(M.edns);
	assert_int_equal(M.edns_payload, 1232);
	assert_true(M.edns_do);
	assert_int_equal(M.edns_version, 0);
	assert_false(M.has_ede);
	assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);
}

static void test_null_mx(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 1, F_QR | F_AA, 1, 1, 0, 0);
	wq(&w, "nomail.example", MX_TYPE_MX);
	size_t at = wrr(&w, NULL, MX_TYPE_MX, 86400);
	w16(&w, 0);
	w8(&w, 0); /* RFC 7505: "." */
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_mx, 1);
	assert_int_equal(M.mx[0].pref, 0);
	assert_int_equal(M.mx[0].exchange.len, 1);
	assert_int_equal(M.mx[0].exchange.wire[0], 0);
	assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);
}

static void test_cname_chain(void **state)
{
	(void)state;
	struct wb w;
	/* records out of order: the chain is followed by name, not position */
	whdr(&w, 2, F_QR | F_RD | F_RA, 1, 4, 0, 0);
	wq(&w, "www.example.com", MX_TYPE_A);
	wa(&w, "b.example.org", 30, 198, 51, 100, 7);
	wcname(&w, "a.example.net", "b.example.org", 600);
	wa(&w, "unrelated.example", 5, 10, 0, 0, 1);
	wcname(&w, "www.example.com", "A.Example.NET", 900);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, 2);
	assert_name(&M.cname[0], "a.example.net.");
	assert_name(&M.cname[1], "b.example.org.");
	assert_false(M.cname_loop);
	assert_int_equal(M.an_qtype, 1);
	assert_int_equal(M.min_ttl, 30);
	assert_int_equal(M.n_addr, 1);
	assert_memory_equal(M.addr[0].addr.a, ((const uint8_t[]){ 198, 51, 100, 7 }), 4);
	assert_int_equal(M.an_parsed, 4);
	assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);

	/* the chain ends in a name without data: NODATA */
	whdr(&w, 2, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	wq(&w, "www.example.com", MX_TYPE_MX);
	wcname(&w, "www.example.com", "gone.example.net", 900);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, 1);
	assert_int_equal(M.an_qtype, 0);
	assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);

	/* AXFR / IXFR / ANY: meta-QTYPEs no record has; a NOERROR answer with
	 * records (the zone's SOA first, RFC 5936 §2.2) is an ANSWER, not NODATA;
	 * without records it stays NODATA */
	static const unsigned meta[] = { 252, 251, 255 };
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		whdr(&w, 2, F_QR | F_AA, 1, 1, 0, 0);
		wq(&w, "example.com", meta[i]);
		wcname(&w, "example.com", "x.example.net", 900);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);
		whdr(&w, 2, F_QR | F_AA, 1, 0, 0, 0);
		wq(&w, "example.com", meta[i]);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);
	}

	/* a zone transfer's records are owned by any name of the zone: each one
	 * counts as an answer (the lowest TTL kept); ANY counts only what the
	 * name owns */
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		whdr(&w, 3, F_QR | F_AA, 1, 4, 0, 0);
		wq(&w, "example.com", meta[i]);
		wsoa(&w, "example.com", 3600, 7, 300);
		wa(&w, "example.com", 600, 192, 0, 2, 1);
		wa(&w, "mx1.example.com", 120, 192, 0, 2, 25);
		wcname(&w, "www.example.com", "example.com", 900);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(M.an_qtype, meta[i] == 255 ? 2 : 4);
		assert_int_equal(M.min_ttl, meta[i] == 255 ? 600 : 120);
		assert_int_equal(mx_dns_outcome(&M), MX_O_ANSWER);
	}

	/* a transfer answer with a CNAME (the digest walks the chain) and a
	 * record whose type is the question's own meta-type: each counts once
	 * (the fast decoder counted it twice; found by fuzz_dns) */
	for (size_t i = 0; i < 2; i++) {
		whdr(&w, 4, F_QR | F_AA, 1, 3, 0, 0);
		wq(&w, "example.com", meta[i]);
		wcname(&w, "www.example.com", "example.com", 900);
		size_t at = wrr(&w, "example.com", meta[i], 60);
		wrr_end(&w, at);
		wa(&w, "example.com", 600, 192, 0, 2, 1);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(M.an_qtype, 3);
	}

	/* qtype CNAME: the CNAME itself is the answer, no chain */
	whdr(&w, 2, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	wq(&w, "www.example.com", MX_TYPE_CNAME);
	wcname(&w, "www.example.com", "x.example.net", 900);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, 0);
	assert_int_equal(M.an_qtype, 1);
}

/* PTR: the first PTR owned by the chain end is kept (mx_dns_msg.ptr), on
 * the fast path, behind a CNAME (RFC 2317 classless delegation), and its
 * RDATA is checked like CNAME's: a PTR whose name overruns RDLENGTH is
 * MALFORMED in both decoders. */
static void test_ptr_answer(void **state)
{
	(void)state;
	struct wb w;
	size_t at;
	whdr(&w, 0x2222, F_QR | F_RD | F_RA, 1, 2, 0, 0);
	wq(&w, "7.2.0.192.in-addr.arpa", MX_TYPE_PTR);
	at = wrr(&w, NULL, MX_TYPE_PTR, 300);
	wname(&w, "Mail.Example.COM");
	wrr_end(&w, at);
	at = wrr(&w, NULL, MX_TYPE_PTR, 300);
	wname(&w, "second.example.com");
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_name(&M.ptr, "mail.example.com.");
	assert_int_equal(M.an_qtype, 2);
	/* classless: the PTR hangs off the CNAME's target */
	whdr(&w, 0x2223, F_QR | F_RD | F_RA, 1, 2, 0, 0);
	wq(&w, "7.2.0.192.in-addr.arpa", MX_TYPE_PTR);
	wcname(&w, NULL, "7.0/25.2.0.192.in-addr.arpa", 300);
	at = wrr(&w, "7.0/25.2.0.192.in-addr.arpa", MX_TYPE_PTR, 300);
	wname(&w, "host.example.net");
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, 1);
	assert_name(&M.ptr, "host.example.net.");
	/* an A answer has none */
	build_a(&w);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.ptr.len, 0);
	/* RDATA longer than the name: MALFORMED, as a CNAME's would be */
	whdr(&w, 0x2224, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	wq(&w, "7.2.0.192.in-addr.arpa", MX_TYPE_PTR);
	at = wrr(&w, NULL, MX_TYPE_PTR, 300);
	wname(&w, "host.example.net");
	w8(&w, 0);
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
}

static void test_cname_loop(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 3, F_QR | F_RD | F_RA, 1, 2, 0, 0);
	wq(&w, "a.example", MX_TYPE_A);
	wcname(&w, "a.example", "b.example", 60);
	wcname(&w, "b.example", "a.example", 60);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_true(M.cname_loop);
	assert_int_equal(M.n_cname, 1);
	assert_name(&M.cname[0], "b.example.");
	assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);

	/* a CNAME to itself */
	whdr(&w, 3, F_QR | F_RD | F_RA, 1, 1, 0, 0);
	wq(&w, "a.example", MX_TYPE_A);
	wcname(&w, "a.example", "A.EXAMPLE", 60);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_true(M.cname_loop);
	assert_int_equal(M.n_cname, 0);

	/* 12 hops: 10 kept, then flagged */
	whdr(&w, 3, F_QR | F_RD | F_RA, 1, 13, 0, 0);
	wq(&w, "h0.example", MX_TYPE_A);
	for (int i = 0; i < 12; i++) {
		char o[32], t[32];
		snprintf(o, sizeof o, "h%d.example", i);
		snprintf(t, sizeof t, "h%d.example", i + 1);
		wcname(&w, o, t, 60);
	}
	wa(&w, "h12.example", 60, 10, 1, 2, 3);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, MX_DNS_MAX_CNAME);
	assert_true(M.cname_loop);
	assert_name(&M.cname[9], "h10.example.");
	assert_int_equal(M.an_qtype, 0);
	assert_int_equal(M.n_addr, 0);
}

/* ------------------------------------------------------------------------ */
/* negative answers, referrals, rcodes                                       */

static void test_nxdomain_soa(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 4, F_QR | F_RD | F_RA | 3, 1, 0, 1, 0);
	wq(&w, "nope.example.com", MX_TYPE_MX);
	wsoa(&w, "example.com", 300, 2024010101u, 60);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.rcode, MX_RCODE_NXDOMAIN);
	assert_true(M.has_soa);
	assert_name(&M.soa_owner, "example.com.");
	assert_int_equal(M.soa_ttl, 300);
	assert_int_equal(M.soa_serial, 2024010101u);
	assert_int_equal(M.soa_minimum, 60);
	assert_int_equal(M.neg_ttl, 60);
	assert_int_equal(mx_dns_outcome(&M), MX_O_NXDOMAIN);

	/* TTL below MINIMUM: the TTL wins (RFC 2308 §5) */
	whdr(&w, 4, F_QR | F_RD | F_RA | 3, 1, 1, 1, 0);
	wq(&w, "alias.example.com", MX_TYPE_A);
	wcname(&w, "alias.example.com", "nope.example.net", 60);
	wsoa(&w, "example.net", 30, 1, 3600);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.neg_ttl, 30);
	assert_int_equal(M.n_cname, 1);
	assert_int_equal(mx_dns_outcome(&M), MX_O_NXDOMAIN); /* RFC 6604 */
}

static void test_nodata(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 5, F_QR | F_RD | F_RA, 1, 0, 1, 0);
	wq(&w, "example.com", MX_TYPE_AAAA);
	wsoa(&w, "example.com", 3600, 9, 300);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.an_parsed, 0);
	assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);
}

/* RFC 2136 UPDATE: a prerequisite "RRset exists" (class ANY, no RDATA, in
 * the answer section, §2.4.1) and a "delete an RRset" (class ANY, no
 * RDATA, authority section, §2.5.2) and "delete an RR" (class NONE with
 * RDATA, §2.5.4) are well formed for every type, and nothing of them is
 * read as an answer; an A without RDATA in class IN is not. */
static void test_update_meta_rrs(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 9, 5u << 11, 1, 1, 2, 0); /* opcode UPDATE */
	wname(&w, "example.test");
	w16(&w, MX_TYPE_SOA);
	w16(&w, 1);
	/* prerequisite: mx.example.test A exists (class ANY, TTL 0, no RDATA) */
	wname(&w, "mx.example.test");
	w16(&w, MX_TYPE_A);
	w16(&w, 255);
	w32(&w, 0);
	w16(&w, 0);
	/* update: delete the AAAA RRset (class ANY), delete one A RR (class NONE) */
	wname(&w, "mx.example.test");
	w16(&w, MX_TYPE_AAAA);
	w16(&w, 255);
	w32(&w, 0);
	w16(&w, 0);
	wname(&w, "mx.example.test");
	w16(&w, MX_TYPE_A);
	w16(&w, 254);
	w32(&w, 0);
	w16(&w, 4);
	w32(&w, 0xc0000201u);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.opcode, 5);
	assert_int_equal(M.n_addr, 0);
	assert_int_equal(M.addr_total, 0);
	assert_false(M.has_soa);
	/* the same prerequisite in class IN contradicts its type */
	w.b[12 + 14 + 4 + 17 + 2] = 0; /* its CLASS */
	w.b[12 + 14 + 4 + 17 + 3] = 1;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	/* such a record where an answer would be (an A question, an IXFR
	 * question; the second with a CNAME before it): both decoders count
	 * it as a record of the question and read no address from it (the
	 * fuzzer's find: they had disagreed on an_qtype) */
	for (int k = 0; k < 3; k++) {
		unsigned qt = k == 1 ? 251u : MX_TYPE_A;
		whdr(&w, 10, F_QR, 1, k == 2 ? 2 : 1, 0, 0);
		wq(&w, "mx.example.test", qt);
		if (k == 2) {
			wcname(&w, NULL, "x.example.test", 300);
			wname(&w, "x.example.test");
		} else {
			w16(&w, 0xC00C);
		}
		w16(&w, MX_TYPE_A);
		w16(&w, 255);
		w32(&w, 0);
		w16(&w, 0);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(M.n_addr, 0);
		assert_int_equal(M.addr_total, 0);
		assert_int_equal(M.an_qtype, 1);
		assert_int_equal(M.n_cname, k == 2 ? 1 : 0);
	}
}

static void test_referral(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 6, F_QR, 1, 0, 2, 0);
	wq(&w, "www.example.com", MX_TYPE_A);
	size_t at = wrr(&w, "example.com", MX_TYPE_NS, 172800);
	wname(&w, "a.iana-servers.net");
	wrr_end(&w, at);
	at = wrr(&w, "example.com", MX_TYPE_NS, 172800);
	wname(&w, "b.iana-servers.net");
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.ns_auth, 2);
	assert_int_equal(mx_dns_outcome(&M), MX_O_REFERRAL);
	w.b[3] |= 0x80; /* RA=1: a recursive resolver's empty answer */
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);
}

static void test_rcodes(void **state)
{
	(void)state;
	struct wb w;
	static const struct {
		unsigned rcode;
		enum mx_outcome o;
	} t[] = {
		{ 1, MX_O_FORMERR }, { 2, MX_O_SERVFAIL }, { 4, MX_O_NOTIMP },
		{ 5, MX_O_REFUSED }, { 9, MX_O_OTHER },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		whdr(&w, 8, F_QR | F_RD | t[i].rcode, 1, 0, 0, 0);
		wq(&w, "example.org", MX_TYPE_MX);
		assert_int_equal(parse(&w), MX_DNS_OK);
		assert_int_equal(M.rcode, t[i].rcode);
		assert_int_equal(mx_dns_outcome(&M), t[i].o);
	}
	/* REFUSED without a question is still DNS */
	whdr(&w, 9, F_QR | F_RD | 5, 0, 0, 0, 0);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_false(M.has_question);
	assert_int_equal(M.qname.len, 0);
	assert_int_equal(mx_dns_outcome(&M), MX_O_REFUSED);
}

static void test_tc(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 10, F_QR | F_RD | F_RA | F_TC, 1, 0, 0, 0);
	wq(&w, "big.example", MX_TYPE_MX);
	assert_int_equal(parse(&w), MX_DNS_OK);
	M.transport = MX_T_UDP;
	assert_int_equal(mx_dns_outcome(&M), MX_O_TRUNCATED);
	M.transport = MX_T_TCP;
	assert_int_equal(mx_dns_outcome(&M), MX_O_NODATA);

	/* an old server cut at 512 bytes and kept the counts: TRUNCATED, partial */
	whdr(&w, 10, F_QR | F_RD | F_RA | F_TC, 1, 3, 0, 0);
	wq(&w, "big.example", MX_TYPE_A);
	wa(&w, NULL, 60, 10, 0, 0, 1);
	wa(&w, NULL, 60, 10, 0, 0, 2);
	w.n -= 3;
	assert_int_equal(parse(&w), MX_DNS_TRUNCATED);
	assert_true(M.partial);
	assert_int_equal(M.an_parsed, 1);
	M.transport = MX_T_UDP;
	assert_int_equal(mx_dns_outcome(&M), MX_O_TRUNCATED);
	/* without TC the same bytes contradict their counts */
	w.b[2] &= (uint8_t) ~0x02;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
}

/* ------------------------------------------------------------------------ */
/* EDNS                                                                      */

static void test_edns_ede(void **state)
{
	(void)state;
	struct wb w;
	uint8_t opt[128];
	size_t n = 0;
	static const char txt[] = "validation failure <bad sig>\x01";
	/* a cookie first, then EDE 6 with text, then a second EDE (ignored) */
	opt[n++] = 0, opt[n++] = 10, opt[n++] = 0, opt[n++] = 8;
	memset(opt + n, 0xab, 8), n += 8;
	opt[n++] = 0, opt[n++] = 15, opt[n++] = 0, opt[n++] = (uint8_t)(2 + sizeof txt - 1);
	opt[n++] = 0, opt[n++] = 6;
	memcpy(opt + n, txt, sizeof txt - 1), n += sizeof txt - 1;
	opt[n++] = 0, opt[n++] = 15, opt[n++] = 0, opt[n++] = 2, opt[n++] = 0, opt[n++] = 22;

	whdr(&w, 11, F_QR | F_RD | F_RA | 2, 1, 0, 0, 1);
	wq(&w, "dnssec-failed.org", MX_TYPE_A);
	wopt(&w, 4096, 0, true, opt, n);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_true(M.edns && M.edns_do);
	assert_int_equal(M.edns_payload, 4096);
	assert_true(M.has_ede);
	assert_int_equal(M.ede_code, 6);
	assert_string_equal(M.ede_text, "validation failure <bad sig>?");
	assert_string_equal(mx_dns_ede_name(M.ede_code), "DNSSEC Bogus");
	assert_int_equal(mx_dns_outcome(&M), MX_O_SERVFAIL);

	/* long text is cut and NUL-terminated */
	n = 0;
	opt[n++] = 0, opt[n++] = 15, opt[n++] = 0, opt[n++] = 2 + 100;
	opt[n++] = 0, opt[n++] = 22;
	memset(opt + n, 'x', 100), n += 100;
	whdr(&w, 12, F_QR | F_RD | F_RA | 2, 1, 0, 0, 1);
	wq(&w, "example.org", MX_TYPE_A);
	wopt(&w, 1232, 0, false, opt, n);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.ede_code, 22);
	assert_int_equal(strlen(M.ede_text), MX_DNS_EDE_TEXT - 1);
	assert_false(M.edns_do);

	/* an EDE shorter than its INFO-CODE is ignored */
	n = 0;
	opt[n++] = 0, opt[n++] = 15, opt[n++] = 0, opt[n++] = 1, opt[n++] = 6;
	whdr(&w, 13, F_QR | F_RD | F_RA | 2, 1, 0, 0, 1);
	wq(&w, "example.org", MX_TYPE_A);
	wopt(&w, 1232, 0, false, opt, n);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_true(M.edns);
	assert_false(M.has_ede);

	/* option TLVs that overrun the RDATA: MALFORMED */
	n = 0;
	opt[n++] = 0, opt[n++] = 15, opt[n++] = 0, opt[n++] = 9, opt[n++] = 0, opt[n++] = 6;
	whdr(&w, 14, F_QR | 2, 1, 0, 0, 1);
	wq(&w, "example.org", MX_TYPE_A);
	wopt(&w, 1232, 0, false, opt, n);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* two OPT records: MALFORMED (RFC 6891 §6.1.1) */
	whdr(&w, 15, F_QR, 1, 0, 0, 2);
	wq(&w, "example.org", MX_TYPE_A);
	wopt(&w, 1232, 0, false, NULL, 0);
	wopt(&w, 1232, 0, false, NULL, 0);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* a cookie-only query (QDCOUNT 0 with OPT) is DNS; so is a bare
	 * header (its FORMERR answer is DNS too); QDCOUNT 0, no OPT and more
	 * than a header is not */
	whdr(&w, 16, 0, 0, 0, 0, 1);
	wopt(&w, 1232, 0, false, NULL, 0);
	assert_int_equal(parse(&w), MX_DNS_OK);
	whdr(&w, 16, 0, 0, 0, 0, 0);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_false(M.has_question);
	whdr(&w, 16, F_QR | 1, 0, 0, 0, 0); /* its FORMERR answer */
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.rcode, MX_RCODE_FORMERR);
	whdr(&w, 16, 0, 0, 0, 0, 0);
	w.n += 4; /* four junk bytes after the header */
	memset(w.b + 12, 0x5a, 4);
	assert_int_equal(parse(&w), MX_DNS_NOT_DNS);
}

static void test_badvers(void **state)
{
	(void)state;
	struct wb w;
	char buf[32];
	whdr(&w, 17, F_QR | F_RD | F_RA, 1, 0, 0, 1);
	wq(&w, "example.org", MX_TYPE_MX);
	wopt(&w, 1232, 1, false, NULL, 0);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.rcode, MX_RCODE_BADVERS);
	assert_string_equal(mx_dns_rcode_name(M.rcode, buf, sizeof buf), "BADVERS");
	assert_int_equal(mx_dns_outcome(&M), MX_O_OTHER);
}

/* ------------------------------------------------------------------------ */
/* malformed names and records                                               */

static void test_bad_pointers(void **state)
{
	(void)state;
	struct wb w;

	/* answer owner pointing to itself */
	whdr(&w, 20, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_A);
	size_t self = w.n;
	w16(&w, 0xC000u | (unsigned)self);
	w16(&w, MX_TYPE_A), w16(&w, 1), w32(&w, 1), w16(&w, 4), w32(&w, 0x01020304);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* forward pointer (to the answer's own RDATA) */
	whdr(&w, 21, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_CNAME);
	size_t at = wrr(&w, NULL, MX_TYPE_CNAME, 1);
	w16(&w, 0xC000u | (unsigned)(w.n + 2));
	wname(&w, "x");
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* two pointers pointing at each other: the second points forward */
	whdr(&w, 22, F_QR, 1, 1, 0, 0);
	size_t p1 = w.n;
	w16(&w, 0xC000u | (unsigned)(p1 + 6));
	w16(&w, MX_TYPE_A), w16(&w, 1);
	w16(&w, 0xC000u | (unsigned)p1);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* a loop made of labels: each pointer goes back, the name never ends */
	whdr(&w, 23, F_QR, 1, 0, 0, 0);
	w8(&w, 3), wbytes(&w, "abc", 3);
	w16(&w, 0xC00C);
	w16(&w, 1), w16(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* pointer into the header */
	whdr(&w, 24, F_QR, 1, 0, 0, 0);
	w16(&w, 0xC002);
	w16(&w, 1), w16(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
}

static void test_bad_labels(void **state)
{
	(void)state;
	struct wb w;
	static const uint8_t kinds[] = { 0x40, 0x41, 0x7f, 0x80, 0xbf };
	for (size_t k = 0; k < sizeof kinds; k++) {
		whdr(&w, 30, F_QR, 1, 0, 0, 0);
		w8(&w, kinds[k]);
		for (int i = 0; i < 0x7f; i++)
			w8(&w, 'a');
		w8(&w, 0);
		w16(&w, 1), w16(&w, 1);
		assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	}
	/* 63 is the longest label */
	whdr(&w, 31, F_QR, 1, 0, 0, 0);
	w8(&w, 63);
	for (int i = 0; i < 63; i++)
		w8(&w, 'a');
	w8(&w, 0);
	w16(&w, 1), w16(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.qname.len, 65);

	/* 255 bytes is the longest name: 3*64 + 62 + root = 255 */
	whdr(&w, 32, F_QR, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {
		int n = l < 3 ? 63 : 61;
		w8(&w, (unsigned)n);
		for (int i = 0; i < n; i++)
			w8(&w, 'b');
	}
	w8(&w, 0);
	w16(&w, 1), w16(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.qname.len, 255);
	/* one byte more */
	whdr(&w, 33, F_QR, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {
		int n = l < 3 ? 63 : 62;
		w8(&w, (unsigned)n);
		for (int i = 0; i < n; i++)
			w8(&w, 'b');
	}
	w8(&w, 0);
	w16(&w, 1), w16(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	/* and by compression: a short name pointing to a long one */
	whdr(&w, 34, F_QR, 1, 1, 0, 0);
	for (int l = 0; l < 4; l++) {
		int n = l < 3 ? 63 : 60;
		w8(&w, (unsigned)n);
		for (int i = 0; i < n; i++)
			w8(&w, 'c');
	}
	w8(&w, 0);
	w16(&w, 1), w16(&w, 1);
	wname_ptr(&w, "toolong", 12);
	w16(&w, MX_TYPE_A), w16(&w, 1), w32(&w, 1), w16(&w, 4), w32(&w, 1);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
}

static void test_bad_records(void **state)
{
	(void)state;
	struct wb w;

	/* RDLENGTH beyond the message */
	build_a(&w);
	w.b[w.n - 5] = 40;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	/* ... even in a cut capture: it reaches past the real size */
	assert_int_equal(parse_wl(&w, w.n - 2, w.n), MX_DNS_MALFORMED);

	/* counts exceed records inside a complete message */
	build_a(&w);
	w.b[7] = 3;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	assert_int_equal(mx_dns_outcome(&M), MX_O_MALFORMED);

	/* MX RDATA longer than its fields */
	whdr(&w, 40, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_MX);
	size_t at = wrr(&w, NULL, MX_TYPE_MX, 1);
	w16(&w, 5);
	wname(&w, "mx.example.com");
	w8(&w, 0);
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	/* MX RDATA with only the preference */
	whdr(&w, 41, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_MX);
	at = wrr(&w, NULL, MX_TYPE_MX, 1);
	w16(&w, 5);
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	/* CNAME whose target runs past RDLENGTH */
	whdr(&w, 42, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_A);
	at = wrr(&w, NULL, MX_TYPE_CNAME, 1);
	wname(&w, "t.example.com");
	wrr_end(&w, at);
	w.b[at + 1] = 3;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* broken RDATA of a type we skip is fine: a TXT whose string overruns */
	whdr(&w, 43, F_QR, 1, 1, 0, 0);
	wq(&w, "example.com", MX_TYPE_TXT);
	at = wrr(&w, NULL, MX_TYPE_TXT, 1);
	w8(&w, 50);
	wbytes(&w, "short", 5);
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.an_qtype, 1);
	assert_int_equal(M.an_other, 1);

	/* trailing garbage after the last section is accepted */
	build_a(&w);
	wbytes(&w, "\xde\xad\xbe\xef", 4);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.an_qtype, 2);
}

/* The answer digest is taken in the validating pass while the chain end is
 * the question name, and again by a second pass when a CNAME turns up: both
 * must give what one digest of the validated records gives, and a MALFORMED
 * message none. Owners reach the question name in every way: a pointer to
 * offset 12, an inline copy in another case, a pointer to a copy. */
static void test_digest_in_pass(void **state)
{
	(void)state;
	struct wb w;

	/* MX owners: pointer to 12, inline in capitals, other name, a pointer
	 * to the inline copy; the kept exchange is copied by the check walk */
	whdr(&w, 60, F_QR | F_RA, 1, 5, 0, 0);
	wq(&w, "example.com", MX_TYPE_MX);
	size_t at = wrr(&w, NULL, MX_TYPE_MX, 500);
	w16(&w, 10);
	wname_ptr(&w, "MX1", 12);
	wrr_end(&w, at);
	size_t copy = w.n;
	at = wrr(&w, "EXAMPLE.com", MX_TYPE_MX, 400);
	w16(&w, 20);
	wname(&w, "mx2.example.net");
	wrr_end(&w, at);
	at = wrr(&w, "other.example.com", MX_TYPE_MX, 1);
	w16(&w, 30);
	wname(&w, "mx3.example.net");
	wrr_end(&w, at);
	w16(&w, 0xC000u | (unsigned)copy);
	w16(&w, MX_TYPE_MX);
	w16(&w, 1);
	w32(&w, 450);
	at = w.n;
	w16(&w, 0);
	w16(&w, 40);
	w8(&w, 0);
	wrr_end(&w, at);
	wa(&w, NULL, 5, 192, 0, 2, 9); /* an A in an MX answer: kept, not counted as qtype */
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.an_parsed, 5);
	assert_int_equal(M.an_qtype, 3);
	assert_int_equal(M.min_ttl, 400);
	assert_int_equal(M.n_mx, 3);
	assert_int_equal(M.mx_total, 3);
	assert_name(&M.mx[0].exchange, "mx1.example.com.");
	assert_name(&M.mx[1].exchange, "mx2.example.net.");
	assert_int_equal(M.mx[2].pref, 40);
	assert_int_equal(M.mx[2].exchange.len, 1);
	assert_int_equal(M.n_addr, 1);
	assert_int_equal(M.addr[0].ttl, 5);

	/* more MX than kept: counted, the rest of the RDATA still checked */
	whdr(&w, 61, F_QR, 1, MX_DNS_MAX_MX + 2, 0, 0);
	wq(&w, "example.com", MX_TYPE_MX);
	for (unsigned i = 0; i < MX_DNS_MAX_MX + 2; i++) {
		at = wrr(&w, NULL, MX_TYPE_MX, 100 + i);
		w16(&w, i);
		wname_ptr(&w, "mx", 12);
		wrr_end(&w, at);
	}
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_mx, MX_DNS_MAX_MX);
	assert_int_equal(M.mx_total, MX_DNS_MAX_MX + 2);
	assert_int_equal(M.an_qtype, MX_DNS_MAX_MX + 2);
	assert_int_equal(M.mx[MX_DNS_MAX_MX - 1].pref, MX_DNS_MAX_MX - 1);
	/* ... and a broken exchange past the kept ones is still MALFORMED */
	w.b[w.n - 5] = 9; /* the label "mx" now runs past the RDATA */
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);

	/* good MX records, then one whose exchange overruns its RDATA: the
	 * message is MALFORMED and keeps no digest */
	whdr(&w, 62, F_QR, 1, 3, 0, 0);
	wq(&w, "example.com", MX_TYPE_MX);
	for (unsigned i = 0; i < 2; i++) {
		at = wrr(&w, NULL, MX_TYPE_MX, 60);
		w16(&w, i);
		wname_ptr(&w, "mx", 12);
		wrr_end(&w, at);
	}
	wa(&w, NULL, 60, 10, 0, 0, 1);
	at = w.n - 5; /* RDLENGTH of the A: 4 -> 3 */
	w.b[at + 1] = 3;
	w.n--;
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
	assert_int_equal(M.an_parsed, 2);
	assert_int_equal(M.n_mx, 0);
	assert_int_equal(M.mx_total, 0);
	assert_int_equal(M.an_qtype, 0);
	assert_int_equal(M.n_addr, 0);
	assert_int_equal(M.min_ttl, 0);
	/* the same cut by the capture: TRUNCATED keeps the digest of the two */
	w.b[at + 1] = 4;
	w.n++;
	assert_int_equal(parse_wl(&w, w.n - 2, w.n), MX_DNS_TRUNCATED);
	assert_int_equal(M.an_parsed, 2);
	assert_int_equal(M.n_mx, 2);
	assert_int_equal(M.an_qtype, 2);
	assert_int_equal(M.min_ttl, 60);

	/* a CNAME after records already digested: the chain end moves, the
	 * question name's MX still counts as qtype, only the end's are kept */
	whdr(&w, 63, F_QR, 1, 4, 0, 0);
	wq(&w, "www.example.com", MX_TYPE_MX);
	at = wrr(&w, NULL, MX_TYPE_MX, 70);
	w16(&w, 1);
	wname(&w, "mx.example.com");
	wrr_end(&w, at);
	wa(&w, NULL, 70, 10, 0, 0, 2);
	wcname(&w, "www.example.com", "alias.example.net", 900);
	at = wrr(&w, "alias.example.net", MX_TYPE_MX, 80);
	w16(&w, 2);
	wname(&w, "mx.example.net");
	wrr_end(&w, at);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.n_cname, 1);
	assert_int_equal(M.an_qtype, 2);
	assert_int_equal(M.min_ttl, 70);
	assert_int_equal(M.n_mx, 1);
	assert_int_equal(M.mx_total, 1);
	assert_name(&M.mx[0].exchange, "mx.example.net.");
	assert_int_equal(M.n_addr, 0);
	assert_int_equal(M.an_other, 0);

	/* a question name with a pointer (offset 12: label "\0\0", then a
	 * pointer to the 0 at 13): owners pointing at it are walked */
	whdr(&w, 64, F_QR, 1, 1, 0, 0);
	w8(&w, 2);
	w8(&w, 0);
	w8(&w, 0);
	w16(&w, 0xC00D);
	w16(&w, MX_TYPE_A);
	w16(&w, 1);
	wa(&w, NULL, 33, 10, 9, 8, 7);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.qname.len, 4);
	assert_int_equal(M.an_qtype, 1);
	assert_int_equal(M.n_addr, 1);
	/* ... and a pointer to 12 that is not a question name's start is no
	 * owner match: a query without question whose record points at 12 */
	whdr(&w, 65, F_QR, 0, 1, 0, 0);
	w16(&w, 0xC00C);
	w16(&w, MX_TYPE_A);
	w16(&w, 1);
	w32(&w, 1);
	w16(&w, 4);
	w32(&w, 0x0a000001);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED); /* the pointer points at itself */
}

/* Lowercasing of copied names against a byte-at-a-time reference: every
 * byte value inside labels, names of every length up to 254 bytes (the
 * 16-, 8- and 1-byte copy paths, with and without bytes after the name),
 * with and without capitals. */
static void test_name_lowering(void **state)
{
	(void)state;
	struct wb w;
	uint8_t name[MX_DNAME_MAX];
	unsigned v = 0;

	for (size_t n = 1; n <= MX_DNAME_MAX - 1; n++) {
		for (int variant = 0; variant < 3; variant++) {
			/* labels of up to 63 bytes filling n bytes; byte values
			 * cycle through 0..255 (variant 2: no capitals) */
			size_t k = 0;
			bool caps = false;
			while (k < n) {
				size_t l = n - k - 1 < 63 ? n - k - 1 : 63;
				if (l == 0) /* one byte left: no label fits, the name is k bytes */
					break;
				name[k++] = (uint8_t)l;
				for (size_t i = 0; i < l; i++, v++) {
					uint8_t b = (uint8_t)(v * 7 + (unsigned)variant);
					if (variant == 2 && b >= 'A' && b <= 'Z')
						b = (uint8_t)(b + 32);
					caps |= b >= 'A' && b <= 'Z';
					name[k++] = b;
				}
			}
			whdr(&w, 70, 0, 1, 0, 0, 0);
			wbytes(&w, name, k);
			w8(&w, 0);
			w16(&w, MX_TYPE_A);
			w16(&w, 1);
			if (variant == 1) /* bytes after the name: the block copy paths */
				wbytes(&w, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
			assert_int_equal(parse(&w), MX_DNS_OK);
			assert_int_equal(M.qname.len, k + 1);
			for (size_t i = 0; i < k; i++) {
				uint8_t want = name[i] >= 'A' && name[i] <= 'Z' ? (uint8_t)(name[i] | 0x20) : name[i];
				if (M.qname.wire[i] != want)
					fail_msg("len %zu variant %d byte %zu: %02x, want %02x", k, variant, i,
						 M.qname.wire[i], want);
			}
			assert_int_equal(M.qname.wire[k], 0);
			assert_int_equal(M.qname_0x20, caps);
		}
	}
}

/* A name walked without being kept (a record owner that is not the
 * question name): 255 bytes is OK, 256 MALFORMED; cut by the capture it is
 * TRUNCATED until the length byte of the label that breaks the limit is
 * captured, MALFORMED from then on (the limit is judged before the bytes of
 * the label are looked for), as a byte-by-byte walk decides. */
static void test_name_check_limits(void **state)
{
	(void)state;
	struct wb w;
	for (unsigned last = 60; last <= 62; last++) {
		whdr(&w, 71, F_QR, 1, 1, 0, 0);
		wq(&w, "q.example", MX_TYPE_TXT);
		size_t own = w.n;
		for (int i = 0; i < 3; i++) {
			w8(&w, 63);
			for (int k = 0; k < 63; k++)
				w8(&w, 'a' + (unsigned)k % 26);
		}
		size_t lab = w.n; /* length byte of the last label */
		w8(&w, last);
		for (unsigned k = 0; k < last; k++)
			w8(&w, 'z');
		w8(&w, 0);
		w16(&w, MX_TYPE_TXT);
		w16(&w, 1);
		w32(&w, 1);
		w16(&w, 2);
		w8(&w, 1);
		w8(&w, 'x');
		size_t name_len = 3 * 64 + 1 + last + 1;
		bool fits = name_len <= MX_DNAME_MAX;
		assert_int_equal(parse(&w), fits ? MX_DNS_OK : MX_DNS_MALFORMED);
		for (size_t len = own; len < w.n; len++) {
			enum mx_dns_verdict v = parse_wl(&w, len, w.n);
			enum mx_dns_verdict want = fits || len <= lab ? MX_DNS_TRUNCATED : MX_DNS_MALFORMED;
			if (v != want)
				fail_msg("name of %zu bytes cut at %zu: verdict %d, want %d", name_len, len,
					 (int)v, (int)want);
		}
	}
}

static void test_not_dns(void **state)
{
	(void)state;
	struct wb w;
	build_a(&w);
	assert_int_equal(parse_wl(&w, 11, 11), MX_DNS_NOT_DNS);
	assert_int_equal(parse_wl(&w, 0, 0), MX_DNS_NOT_DNS);
	/* a capture cut inside the header of a longer message: TRUNCATED */
	assert_int_equal(parse_wl(&w, 5, w.n), MX_DNS_TRUNCATED);
	assert_false(M.has_header);
	assert_int_equal(mx_dns_outcome(&M), MX_O_MALFORMED);
	/* opcode 7 */
	build_a(&w);
	w.b[2] = (uint8_t)((w.b[2] & 0x87) | (7 << 3));
	assert_int_equal(parse(&w), MX_DNS_NOT_DNS);
	/* QDCOUNT 5 */
	build_a(&w);
	w.b[5] = 5;
	assert_int_equal(parse(&w), MX_DNS_NOT_DNS);
	/* counts far beyond what the bytes could hold */
	build_a(&w);
	w.b[8] = 0x30;
	assert_int_equal(parse(&w), MX_DNS_NOT_DNS);
	/* random text on port 53 */
	static const char junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	memcpy(w.b, junk, sizeof junk - 1);
	w.n = sizeof junk - 1;
	assert_int_equal(parse(&w), MX_DNS_NOT_DNS);
}

static void test_0x20(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 50, F_RD, 1, 0, 0, 0);
	wq(&w, "mAiL.ExAmPlE.cOm", MX_TYPE_A);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_false(M.qr);
	assert_int_equal(M.qname_0x20, 1);
	assert_name(&M.qname, "mail.example.com.");
	whdr(&w, 50, F_RD, 1, 0, 0, 0);
	wq(&w, "mail.example.com", MX_TYPE_A);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_int_equal(M.qname_0x20, 0);
}

/* ------------------------------------------------------------------------ */
/* truncation sweep                                                          */

static void sweep(const struct wb *w)
{
	static struct mx_dns_msg full;
	assert_int_equal(parse(w), MX_DNS_OK);
	full = M;
	enum mx_outcome fo = mx_dns_outcome(&full);
	for (size_t len = 0; len < w->n; len++) {
		enum mx_dns_verdict v = parse_wl(w, len, w->n);
		assert_true(v == MX_DNS_OK || v == MX_DNS_TRUNCATED);
		assert_true(R.verdict == MX_DNS_OK || R.verdict == MX_DNS_TRUNCATED);
		if (v == MX_DNS_OK)
			continue;
		assert_true(M.partial);
		if (len < 12) {
			assert_false(M.has_header);
			continue;
		}
		assert_int_equal(M.id, full.id);
		assert_int_equal(M.qr, full.qr);
		assert_int_equal(M.ancount, full.ancount);
		assert_int_equal(M.rcode & 0xf, full.rcode & 0xf);
		if (M.has_question) {
			assert_true(mx_test_dname_same(&M.qname, &full.qname));
			assert_int_equal(M.qtype, full.qtype);
			assert_int_equal(M.qname_0x20, full.qname_0x20);
		}
		assert_true(M.an_parsed <= full.an_parsed);
		assert_true(M.n_mx <= full.n_mx);
		/* a cut response keeps its rcode-based outcome */
		enum mx_outcome o = mx_dns_outcome(&M);
		if (full.rcode == MX_RCODE_NXDOMAIN)
			assert_int_equal(o, MX_O_NXDOMAIN);
		if (fo == MX_O_ANSWER)
			assert_int_equal(o, MX_O_ANSWER);
		assert_int_not_equal(o, MX_O_MALFORMED);
	}
}

static void test_truncation_sweep(void **state)
{
	(void)state;
	struct wb w;
	build_a(&w);
	sweep(&w);
	build_mx(&w);
	sweep(&w);
	whdr(&w, 4, F_QR | F_RD | F_RA | 3, 1, 1, 1, 1);
	wq(&w, "alias.example.com", MX_TYPE_A);
	wcname(&w, "alias.example.com", "nope.example.net", 60);
	wsoa(&w, "example.net", 30, 1, 3600);
	uint8_t opt[] = { 0, 15, 0, 6, 0, 3, 's', 't', 'a', 'l' };
	wopt(&w, 1232, 0, true, opt, sizeof opt);
	sweep(&w);
}

/* ------------------------------------------------------------------------ */
/* differential: random packets built with ldns, and mutations               */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static void rnd_name(char *buf, size_t n, const char *const *pool, size_t npool)
{
	static const char *const tld[] = { "com", "net", "example", "org", "de" };
	size_t o = 0;
	unsigned labels = 1 + rnd(3);
	buf[0] = '\0';
	for (unsigned i = 0; i < labels; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s.", pool[rnd((uint32_t)npool)]);
	snprintf(buf + o, n - o, "%s.", tld[rnd(5)]);
	/* 0x20 case randomisation */
	for (char *p = buf; *p; p++)
		if (*p >= 'a' && *p <= 'z' && rnd(4) == 0)
			*p = (char)(*p - 32);
}

static ldns_rr *mk_rr(const char *fmt, ...)
{
	char s[600];
	va_list ap;
	ldns_rr *rr = NULL;
	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		fail_msg("ldns rejected test record: %s", s);
	return rr;
}

/* A random, well-formed message as ldns writes it (with compression). */
static size_t gen_msg(uint8_t *out, size_t cap)
{
	static const char *const pool[] = { "mx", "mail", "a", "www", "smtp", "x1", "b-2", "deep" };
	static const uint16_t qtypes[] = { 1, 28, 15, 5, 16, 2, 6, 255, 52 };
	static const uint8_t rcodes[] = { 0, 0, 0, 0, 3, 3, 2, 5, 1, 4, 9 };
	char qname[300], names[6][300];
	ldns_pkt *p = ldns_pkt_new();
	assert_non_null(p);

	rnd_name(qname, sizeof qname, pool, 8);
	uint16_t qtype = qtypes[rnd(sizeof qtypes / sizeof qtypes[0])];
	ldns_pkt_set_id(p, (uint16_t)rnd(65536));
	ldns_pkt_set_qr(p, rnd(8) != 0);
	ldns_pkt_set_aa(p, rnd(2));
	ldns_pkt_set_tc(p, rnd(10) == 0);
	ldns_pkt_set_rd(p, rnd(5) != 0);
	ldns_pkt_set_ra(p, rnd(3) != 0);
	ldns_pkt_set_ad(p, rnd(4) == 0);
	ldns_pkt_set_cd(p, rnd(8) == 0);
	ldns_pkt_set_rcode(p, rcodes[rnd(sizeof rcodes)]);
	if (rnd(12) != 0) {
		ldns_rr *q = NULL;
		char qs[320];
		snprintf(qs, sizeof qs, "%s IN A", qname);
		assert_int_equal(ldns_rr_new_question_frm_str(&q, qs, NULL, NULL), LDNS_STATUS_OK);
		ldns_rr_set_type(q, (ldns_rr_type)qtype);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	}
	/* a CNAME chain from qname through some names (sometimes looping) */
	strcpy(names[0], qname);
	unsigned chain = rnd(4) == 0 ? 1 + rnd(5) : 0;
	for (unsigned i = 1; i <= chain && i < 6; i++) {
		rnd_name(names[i], sizeof names[i], pool, 8);
		if (rnd(10) == 0)
			strcpy(names[i], names[rnd(i)]);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
				 mk_rr("%s %u IN CNAME %s", names[i - 1], rnd(4000), names[i]));
	}
	unsigned nend = chain < 6 ? chain : 5;
	unsigned nan = rnd(6);
	for (unsigned i = 0; i < nan; i++) {
		char other[300];
		const char *own = names[rnd(nend + 1)];
		if (rnd(5) == 0) {
			rnd_name(other, sizeof other, pool, 8);
			own = other;
		}
		unsigned ttl = rnd(100000);
		switch (rnd(7)) {
		case 0:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN A 192.0.2.%u", own, ttl, rnd(256)));
			break;
		case 1:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN AAAA 2001:db8::%x", own, ttl, rnd(65536)));
			break;
		case 2: {
			char ex[300];
			rnd_name(ex, sizeof ex, pool, 8);
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN MX %u %s", own, ttl, rnd(100),
					       rnd(8) == 0 ? "." : ex));
			break;
		}
		case 3:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN TXT \"v=spf1 -all\" \"x\"", own, ttl));
			break;
		case 4:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN TLSA 3 1 1 %s", own, ttl,
					       "0123456789abcdef0123456789abcdef"));
			break;
		case 5:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN TYPE65280 \\# 3 010203", own, ttl));
			break;
		default:
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 mk_rr("%s %u IN SRV 0 5 25 %s", own, ttl, names[0]));
			break;
		}
	}
	unsigned nns = rnd(4);
	for (unsigned i = 0; i < nns; i++) {
		if (rnd(2))
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
					 mk_rr("%s %u IN SOA ns.%s host.%s %u 7200 900 1209600 %u",
					       names[nend], rnd(10000), names[nend], names[nend],
					       rnd(1u << 31), rnd(100000)));
		else
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
					 mk_rr("%s 3600 IN NS ns%u.%s", names[0], i, names[0]));
	}
	if (rnd(3))
		ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL,
				 mk_rr("ns0.%s 3600 IN A 198.51.100.%u", names[0], rnd(256)));
	if (rnd(2)) {
		uint8_t o[128];
		size_t on = 0;
		ldns_pkt_set_edns_udp_size(p, (uint16_t)(512 + rnd(4000)));
		ldns_pkt_set_edns_do(p, rnd(2));
		ldns_pkt_set_edns_extended_rcode(p, (uint8_t)(rnd(4) == 0 ? rnd(3) : 0));
		ldns_pkt_set_edns_version(p, (uint8_t)(rnd(6) == 0));
		if (rnd(2)) {
			unsigned tl = rnd(70);
			o[on++] = 0, o[on++] = 15, o[on++] = 0, o[on++] = (uint8_t)(2 + tl);
			o[on++] = 0, o[on++] = (uint8_t)rnd(30);
			for (unsigned i = 0; i < tl; i++)
				o[on++] = (uint8_t)(rnd(3) ? 'a' + rnd(26) : rnd(256));
		}
		if (rnd(2)) {
			o[on++] = 0, o[on++] = 10, o[on++] = 0, o[on++] = 8;
			for (int i = 0; i < 8; i++)
				o[on++] = (uint8_t)rnd(256);
		}
		if (on)
			ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, on, o));
		else if (!ldns_pkt_edns(p))
			ldns_pkt_set_edns_udp_size(p, 1232);
	}
	uint8_t *wire = NULL;
	size_t n = 0;
	assert_int_equal(ldns_pkt2wire(&wire, p, &n), LDNS_STATUS_OK);
	assert_true(n <= cap);
	memcpy(out, wire, n);
	free(wire);
	ldns_pkt_free(p);
	return n;
}

static void mutate(uint8_t *b, size_t *n, size_t cap)
{
	unsigned k = 1 + rnd(4);
	for (unsigned i = 0; i < k && *n > 0; i++) {
		size_t at = rnd((uint32_t)*n);
		switch (rnd(7)) {
		case 0:
			b[at] ^= (uint8_t)(1u << rnd(8));
			break;
		case 1:
			b[at] = (uint8_t)rnd(256);
			break;
		case 2: /* counts */
			b[4 + rnd(8)] = (uint8_t)rnd(4);
			break;
		case 3: /* a compression pointer anywhere */
			if (at + 1 < *n) {
				b[at] = 0xC0;
				b[at + 1] = (uint8_t)rnd((uint32_t)*n);
			}
			break;
		case 4: /* cut */
			*n = at;
			break;
		case 5: /* insert a byte */
			if (*n < cap) {
				memmove(b + at + 1, b + at, *n - at);
				b[at] = (uint8_t)rnd(256);
				(*n)++;
			}
			break;
		default: /* delete a byte */
			memmove(b + at, b + at + 1, *n - at - 1);
			(*n)--;
			break;
		}
	}
}

static void test_differential(void **state)
{
	(void)state;
	static uint8_t base[8192], mut[8192];
	unsigned ok_both = 0, not_ok_both = 0, compared_trunc = 0;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = gen_msg(base, sizeof base);
		enum mx_dns_verdict v = mx_dns_parse(base, n, n, &M);
		mx_dns_parse_ldns(base, n, n, &R);
		const char *d = mx_dns_diff_contract(&M, &R);
		if (d)
			fail_msg("iter %d: generated message: %s", iter, d);
		/* ldns wrote it, so it is well-formed (a query without question and
		 * OPT excepted: that one is NOT_DNS by our rule) */
		if (v != MX_DNS_OK)
			assert_true(v == MX_DNS_NOT_DNS && !M.qr && M.qdcount == 0);
		ok_both += v == MX_DNS_OK;
		for (int k = 0; k < 8; k++) {
			size_t mn = n;
			memcpy(mut, base, n);
			mutate(mut, &mn, sizeof mut);
			size_t wl = rnd(4) == 0 ? n : mn; /* sometimes as a capture cut */
			if (wl < mn)
				wl = mn;
			mx_dns_parse(mut, mn, wl, &M);
			mx_dns_parse_ldns(mut, mn, wl, &R);
			d = mx_dns_diff_contract(&M, &R);
			if (d)
				fail_msg("iter %d mutation %d (len %zu/%zu): %s (fast %d ldns %d)", iter,
					 k, mn, wl, d, (int)M.verdict, (int)R.verdict);
			if (M.verdict == MX_DNS_OK)
				ok_both++;
			else
				not_ok_both++;
			compared_trunc += M.verdict == MX_DNS_TRUNCATED && R.verdict == MX_DNS_TRUNCATED;
		}
	}
	printf("differential: %u OK on both (fields equal), %u not-OK on both, %u truncated "
	       "compared\n",
	       ok_both, not_ok_both, compared_trunc);
	assert_true(ok_both > 3000);
	assert_true(not_ok_both > 1000);
}

/* ------------------------------------------------------------------------ */
/* names                                                                     */

static void test_mnemonics(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(mx_dns_type_name(28, b, sizeof b), "AAAA");
	assert_string_equal(mx_dns_type_name(15, b, sizeof b), "MX");
	assert_string_equal(mx_dns_type_name(52, b, sizeof b), "TLSA");
	assert_string_equal(mx_dns_type_name(65280, b, sizeof b), "TYPE65280");
	assert_string_equal(mx_dns_type_name(255, b, sizeof b), "ANY");
	assert_string_equal(mx_dns_type_name(65, b, sizeof b), "HTTPS");
	assert_string_equal(mx_dns_rcode_name(3, b, sizeof b), "NXDOMAIN");
	assert_string_equal(mx_dns_rcode_name(4, b, sizeof b), "NOTIMP");
	assert_string_equal(mx_dns_rcode_name(9, b, sizeof b), "NOTAUTH");
	assert_string_equal(mx_dns_rcode_name(16, b, sizeof b), "BADVERS");
	assert_string_equal(mx_dns_rcode_name(23, b, sizeof b), "BADCOOKIE");
	assert_string_equal(mx_dns_rcode_name(24, b, sizeof b), "RCODE24");
	assert_string_equal(mx_dns_rcode_name(4095, b, sizeof b), "RCODE4095");
	assert_string_equal(mx_dns_class_name(1, b, sizeof b), "IN");
	assert_string_equal(mx_dns_class_name(3, b, sizeof b), "CH");
	assert_string_equal(mx_dns_class_name(1232, b, sizeof b), "CLASS1232");
	assert_string_equal(mx_dns_ede_name(0), "Other Error");
	assert_string_equal(mx_dns_ede_name(3), "Stale Answer");
	assert_string_equal(mx_dns_ede_name(22), "No Reachable Authority");
	assert_string_equal(mx_dns_ede_name(24), "Invalid Data");
	assert_string_equal(mx_dns_ede_name(25), "Unknown");
	assert_string_equal(mx_dns_ede_name(65535), "Unknown");
	assert_int_equal(mx_dns_type_from_name("mx"), 15);
	assert_int_equal(mx_dns_type_from_name("AAAA"), 28);
	assert_int_equal(mx_dns_type_from_name("TYPE65280"), 65280);
	assert_int_equal(mx_dns_type_from_name("nonsense"), -1);
	assert_int_equal(mx_dns_type_from_name(""), -1);
	/* a small buffer is never overrun */
	assert_string_equal(mx_dns_type_name(65280, b, 5), "TYPE");
}

static void test_outcome_names(void **state)
{
	(void)state;
	for (int o = 0; o < MX_O__COUNT; o++) {
		const char *n = mx_outcome_name((enum mx_outcome)o);
		assert_non_null(n);
		assert_int_equal(mx_outcome_from_name(n), o);
	}
	assert_string_equal(mx_outcome_name(MX_O_OTHER), "OTHER_RCODE");
	assert_int_equal(mx_outcome_from_name("servfail"), MX_O_SERVFAIL);
	assert_int_equal(mx_outcome_from_name("other"), MX_O_OTHER);
	assert_int_equal(mx_outcome_from_name("bogus"), -1);
	assert_false(mx_outcome_is_fail(MX_O_ANSWER));
	assert_false(mx_outcome_is_fail(MX_O_NODATA));
	assert_false(mx_outcome_is_fail(MX_O_NXDOMAIN));
	assert_true(mx_outcome_is_fail(MX_O_REFERRAL));
	assert_true(mx_outcome_is_fail(MX_O_SERVFAIL));
	assert_true(mx_outcome_is_fail(MX_O_OTHER));
	assert_true(mx_outcome_is_fail(MX_O_MALFORMED));
	assert_true(mx_outcome_is_fail(MX_O_TRUNCATED));
	assert_true(mx_outcome_is_fail(MX_O_UNREACHABLE));
	assert_true(mx_outcome_is_fail(MX_O_TIMEOUT));
}

/* The header flag bools (written as one word on little-endian machines):
 * every combination of the two flag bytes gives each bool exactly its bit,
 * as a byte 0 or 1, with opcode, rcode and partial unaffected. */
static void test_header_flags(void **state)
{
	(void)state;
	for (unsigned f1 = 0; f1 < 256; f1++) {
		for (unsigned f2 = 0; f2 < 256; f2++) {
			uint8_t h[12] = { 0x12, 0x34, (uint8_t)f1, (uint8_t)f2, 0, 0, 0, 0, 0, 0, 0, 0 };
			memset(&M, 0x5a, sizeof M);
			(void)mx_dns_parse(h, sizeof h, sizeof h, &M);
			const bool *b[8] = { &M.qr, &M.aa, &M.tc, &M.rd, &M.ra, &M.ad, &M.cd, &M.partial };
			const unsigned want[8] = { f1 >> 7 & 1, f1 >> 2 & 1, f1 >> 1 & 1, f1 & 1,
						   f2 >> 7 & 1, f2 >> 5 & 1, f2 >> 4 & 1, 0 };
			for (unsigned k = 0; k < 8; k++) {
				uint8_t raw;
				memcpy(&raw, b[k], 1);
				if (raw != want[k])
					fail_msg("f1 %02x f2 %02x: flag %u is %u, want %u", f1, f2, k,
						 raw, want[k]);
			}
			assert_true(M.has_header);
			assert_int_equal(M.id, 0x1234);
			assert_int_equal(M.opcode, f1 >> 3 & 0x0f);
			assert_int_equal(M.rcode, f2 & 0x0f);
		}
	}
}

/* mx_dns_parse() writes every field it owns on every path (the fast path
 * resets the question and the OPT values only where it does not set them):
 * each prefix of a few messages, parsed into a struct that holds a rich
 * response (mixed-case question, MX and A answers, SOA, OPT with DO, an
 * extended rcode and EDE), gives what it gives in a zeroed struct. */
static void same_owned_fields(const struct mx_dns_msg *a, const struct mx_dns_msg *b, size_t len,
			      size_t wl)
{
#define SAME(f)                                                                                 \
	if (a->f != b->f)                                                                       \
	fail_msg("len %zu wire_len %zu: " #f " %ld after a rich message, %ld fresh", len, wl, \
		 (long)a->f, (long)b->f)
	SAME(wire_len); SAME(id); SAME(opcode); SAME(rcode); SAME(qr); SAME(aa); SAME(tc);
	SAME(rd); SAME(ra); SAME(ad); SAME(cd); SAME(partial); SAME(has_header);
	SAME(qdcount); SAME(ancount); SAME(nscount); SAME(arcount);
	SAME(has_question); SAME(qname.len); SAME(qname.labels); SAME(qname_0x20);
	SAME(qtype); SAME(qclass);
	SAME(edns); SAME(edns_payload); SAME(edns_version); SAME(edns_do); SAME(has_ede);
	SAME(ede_code); SAME(an_parsed); SAME(an_qtype); SAME(an_other); SAME(n_cname);
	SAME(cname_loop); SAME(n_mx); SAME(mx_total); SAME(n_addr); SAME(addr_total);
	SAME(min_ttl); SAME(has_soa); SAME(soa_owner.len); SAME(soa_ttl); SAME(soa_serial);
	SAME(soa_minimum); SAME(neg_ttl); SAME(ns_auth); SAME(verdict);
#undef SAME
	assert_string_equal(a->ede_text, b->ede_text);
	assert_memory_equal(a->qname.wire, b->qname.wire, a->qname.len);
}

#define HDR_LEN_T 12
static void test_no_state_carried(void **state)
{
	(void)state;
	static struct mx_dns_msg fresh;
	struct wb rich, x[4];
	uint8_t ede[] = { 0, 15, 0, 5, 0, 6, 'b', 'a', 'd' };

	whdr(&rich, 0x4242, F_QR | F_AA | F_RD | F_RA | F_AD | 3, 1, 2, 1, 1);
	wq(&rich, "Mail.Example.COM", MX_TYPE_MX);
	size_t at = wrr(&rich, "mail.example.com", MX_TYPE_MX, 300);
	w16(&rich, 10);
	wname(&rich, "mx1.example.com");
	wrr_end(&rich, at);
	wa(&rich, "mail.example.com", 60, 192, 0, 2, 1);
	wsoa(&rich, "example.com", 900, 2024010101, 120);
	wopt(&rich, 1232, 1, true, ede, sizeof ede);

	whdr(&x[0], 7, F_RD, 1, 0, 0, 0);          /* a query without OPT */
	wq(&x[0], "host.example.net", MX_TYPE_AAAA);
	whdr(&x[1], 8, F_RD | F_CD, 1, 0, 0, 1);   /* a query with OPT */
	wq(&x[1], "a.b", MX_TYPE_A);
	wopt(&x[1], 4096, 0, false, NULL, 0);
	whdr(&x[2], 9, F_QR | 5, 0, 0, 0, 0);      /* a response without a question */
	x[3] = rich;                                /* the rich one itself */

	for (unsigned k = 0; k < 4; k++) {
		for (size_t len = 0; len <= x[k].n; len++) {
			for (int full = 0; full < 2; full++) {
				size_t wl = full ? x[k].n : len;
				parse_wl(&rich, rich.n, rich.n);
				assert_true(M.edns && M.has_question && M.has_soa);
				memset(&fresh, 0, sizeof fresh);
				enum mx_dns_verdict v = mx_dns_parse(x[k].b, len, wl, &fresh);
				assert_int_equal(mx_dns_parse(x[k].b, len, wl, &M), v);
				same_owned_fields(&M, &fresh, len, wl);
			}
		}
	}
	/* a question cut inside QTYPE/QCLASS: no question, but the label count
	 * of the name that was read stays (as it always has: only the length
	 * is cleared) */
	size_t qn = HDR_LEN_T + strlen("host.example.net") + 2;
	assert_int_equal(mx_dns_parse(x[0].b, qn + 2, x[0].n, &M), MX_DNS_TRUNCATED);
	assert_false(M.has_question);
	assert_int_equal(M.qname.len, 0);
	assert_int_equal(M.qname.labels, 3);
	assert_int_equal(M.qtype, 0);
	/* opcode 7 (NOT_DNS before the sections) */
	uint8_t h[12] = { 0, 1, 7 << 3, 0, 0, 1, 0, 0, 0, 0, 0, 1 };
	parse_wl(&rich, rich.n, rich.n);
	memset(&fresh, 0, sizeof fresh);
	assert_int_equal(mx_dns_parse(h, sizeof h, sizeof h, &fresh), MX_DNS_NOT_DNS);
	assert_int_equal(mx_dns_parse(h, sizeof h, sizeof h, &M), MX_DNS_NOT_DNS);
	same_owned_fields(&M, &fresh, sizeof h, sizeof h);
}

/* RFC 6891 §6.1.2: the OPT owner must be the root. A compression pointer
 * to a root name (the question's, for a query of ".") is the root, as BIND
 * and ldns take it (fuzz_dns found the fast decoder calling it MALFORMED);
 * a pointer to any other name is not. */
static void test_opt_owner_pointer(void **state)
{
	(void)state;
	struct wb w;
	whdr(&w, 0x1111, 0x8180, 1, 0, 0, 1);
	wq(&w, "", MX_TYPE_MX); /* the root at offset 12 */
	w16(&w, 0xC00C);        /* OPT owner: a pointer to it */
	w16(&w, MX_TYPE_OPT);
	w16(&w, 1232);
	w32(&w, 0);
	w16(&w, 0);
	assert_int_equal(parse(&w), MX_DNS_OK);
	assert_true(M.edns);
	assert_int_equal(M.edns_payload, 1232);
	whdr(&w, 0x1111, 0x8180, 1, 0, 0, 1);
	wq(&w, "example.com", MX_TYPE_MX);
	w16(&w, 0xC00C);        /* a pointer to example.com */
	w16(&w, MX_TYPE_OPT);
	w16(&w, 1232);
	w32(&w, 0);
	w16(&w, 0);
	assert_int_equal(parse(&w), MX_DNS_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_owner_pointer),
		cmocka_unit_test(test_no_state_carried),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_a_answer),
		cmocka_unit_test(test_aaaa_answer),
		cmocka_unit_test(test_mx_answer),
		cmocka_unit_test(test_null_mx),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_ptr_answer),
		cmocka_unit_test(test_nxdomain_soa),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_update_meta_rrs),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_rcodes),
		cmocka_unit_test(test_tc),
		cmocka_unit_test(test_edns_ede),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_bad_pointers),
		cmocka_unit_test(test_bad_labels),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_digest_in_pass),
		cmocka_unit_test(test_name_lowering),
		cmocka_unit_test(test_name_check_limits),
		cmocka_unit_test(test_not_dns),
		cmocka_unit_test(test_0x20),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_mnemonics),
		cmocka_unit_test(test_outcome_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
