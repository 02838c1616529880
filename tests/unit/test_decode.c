/* test_decode.c - L2: frames -> DNS bytes (decode.c with ipfrag.c and tcpre.c).
 *
 * Frames are built here byte by byte (Ethernet, VLAN, SLL, SLL2, NULL, LOOP,
 * raw; IPv4, IPv6 with extension headers and fragments; UDP, TCP, ICMP)
 * around a small DNS query, and fed to a decoder that records callbacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/decode.h"

/* ---- recording callbacks ---------------------------------------------- */

#define MAXREC 32

struct rec {
	unsigned n_dns, n_icmp, n_ctl;
	struct mx_pkt dns[MAXREC];
	uint8_t dns_bytes[MAXREC][600];
	struct mx_icmp icmp[MAXREC];
	uint8_t icmp_bytes[MAXREC][64];
	struct mx_tcpctl ctl[MAXREC];
};

static void on_dns(void *ctx, const struct mx_pkt *p)
{
	struct rec *r = ctx;
	assert_true(p->dns_len <= p->dns_wire_len);
	assert_true(p->partial == (p->dns_len < p->dns_wire_len));
	if (r->n_dns >= MAXREC)
		return;
	r->dns[r->n_dns] = *p;
	if (p->dns_len)
		memcpy(r->dns_bytes[r->n_dns], p->dns, p->dns_len < 600 ? p->dns_len : 600);
	r->dns[r->n_dns].dns = r->dns_bytes[r->n_dns];
	r->n_dns++;
}

static void on_icmp(void *ctx, const struct mx_icmp *m)
{
	struct rec *r = ctx;
	if (r->n_icmp >= MAXREC)
		return;
	r->icmp[r->n_icmp] = *m;
	if (m->dns_len)
		memcpy(r->icmp_bytes[r->n_icmp], m->dns, m->dns_len < 64 ? m->dns_len : 64);
	r->n_icmp++;
}

static void on_ctl(void *ctx, const struct mx_tcpctl *t)
{
	struct rec *r = ctx;
	if (r->n_ctl < MAXREC)
		r->ctl[r->n_ctl++] = *t;
}

static struct rec R;

static struct mx_decoder *mk_opts(const struct mx_decode_opts *o)
{
	memset(&R, 0, sizeof(R));
	struct mx_decode_cb cb = { .ctx = &R, .dns = on_dns, .icmp = on_icmp, .tcpctl = on_ctl };
	struct mx_decoder *d = mx_decoder_new(o, &cb);
	assert_non_null(d);
	return d;
}

static struct mx_decoder *mk(void)
{
	return mk_opts(NULL);
}

static uint64_t frame_no;

/* Feed caplen bytes of a frame that had len bytes on the wire. */
static enum mx_verdict feed_cut(struct mx_decoder *d, int dlt, const uint8_t *b, size_t caplen,
				size_t len, uint64_t ts)
{
	struct mx_frame f = {
		.ts_us = ts, .frame = ++frame_no, .caplen = (uint32_t)caplen, .len = (uint32_t)len,
		.linktype = dlt, .data = b,
	};
	return mx_decode_frame(d, &f);
}

/* Frames 10 ms apart: the same packet fed twice (other link framing, a TCP
 * retransmission) is then not a capture copy (MX_DECODE_DUP_WINDOW_US). */
static enum mx_verdict feed(struct mx_decoder *d, int dlt, const uint8_t *b, size_t n)
{
	return feed_cut(d, dlt, b, n, n, 1000000 + frame_no * 10000);
}

static uint64_t reason(const struct mx_decoder *d, enum mx_reason r)
{
	return mx_decode_peek_stats(d)->reason[r];
}

/* ---- frame builders ---------------------------------------------------- */

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void put(struct buf *x, const void *p, size_t n)
{
	assert_true(x->n + n <= sizeof(x->b));
	if (n)
		memcpy(x->b + x->n, p, n);
	x->n += n;
}

static void put8(struct buf *x, unsigned v)
{
	uint8_t c = (uint8_t)v;
	put(x, &c, 1);
}

static void put16(struct buf *x, unsigned v)
{
	put8(x, v >> 8);
	put8(x, v);
}

static void put32(struct buf *x, uint32_t v)
{
	put16(x, v >> 16);
	put16(x, v & 0xffff);
}

static const uint8_t CLI4[4] = { 192, 0, 2, 10 }, SRV4[4] = { 198, 51, 100, 53 },
		     RTR4[4] = { 203, 0, 113, 1 };
static const uint8_t CLI6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
static const uint8_t SRV6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };
static const uint8_t RTR6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };

/* A DNS query: id, RD, one question "example.com. IN MX". */
static size_t dns_query(uint8_t *out, uint16_t id)
{
	static const uint8_t q[] = { 0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				     7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
				     0, 15, 0, 1 };
	memcpy(out, q, sizeof(q));
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	return sizeof(q);
}

static void udp(struct buf *x, uint16_t sp, uint16_t dp, const uint8_t *pl, size_t n)
{
	put16(x, sp);
	put16(x, dp);
	put16(x, (unsigned)(8 + n));
	put16(x, 0);
	put(x, pl, n);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void tcp(struct buf *x, uint16_t sp, uint16_t dp, uint32_t seq, unsigned flags,
		const uint8_t *pl, size_t n)
{
	put16(x, sp);
	put16(x, dp);
	put32(x, seq);
	put32(x, 1);
	put8(x, 6 << 4); /* 24-byte header: one option word */
	put8(x, flags);
	put16(x, 65535);
	put16(x, 0);
	put16(x, 0);
	put32(x, 0x01010101); /* NOP NOP NOP NOP */
	put(x, pl, n);
}

/* IPv4 header (+ optional 4-byte option) around an L4 payload. */
static void ip4(struct buf *x, const uint8_t *s, const uint8_t *d, unsigned proto, unsigned id,
		unsigned fragfield, bool opt, const uint8_t *pl, size_t n)
{
	size_t hl = opt ? 24 : 20;
	put8(x, 0x40 | (unsigned)(hl / 4));
	put8(x, 0);
	put16(x, (unsigned)(hl + n));
	put16(x, id);
	put16(x, fragfield);
	put8(x, 64);
	put8(x, proto);
	put16(x, 0);
	put(x, s, 4);
	put(x, d, 4);
	if (opt)
		put32(x, 0x01010100); /* NOP NOP NOP EOL */
	put(x, pl, n);
}

/* IPv6 header; pl holds extension headers (if any) and the upper layer. */
static void ip6(struct buf *x, const uint8_t *s, const uint8_t *d, unsigned nh, const uint8_t *pl,
		size_t n)
{
	put32(x, 0x60000000);
	put16(x, (unsigned)n);
	put8(x, nh);
	put8(x, 64);
	put(x, s, 16);
	put(x, d, 16);
	put(x, pl, n);
}

static void eth(struct buf *x, const uint16_t *tags, size_t ntags, unsigned type,
		const uint8_t *pl, size_t n)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(x, macs, 12);
	for (size_t i = 0; i < ntags; i++) {
		put16(x, tags[i]);
		put16(x, (unsigned)(100 + i));
	}
	put16(x, type);
	put(x, pl, n);
}

/* Common frames. */
static void udp4_query(struct buf *fr, uint16_t id, uint16_t sp, uint16_t dp)
{
	uint8_t q[64];
	size_t qn = dns_query(q, id);
	struct buf u = { .n = 0 }, ip = { .n = 0 };
	udp(&u, sp, dp, q, qn);
	ip4(&ip, CLI4, SRV4, 17, 0x1234, 0x4000, false, u.b, u.n);
	fr->n = 0;
	eth(fr, NULL, 0, 0x0800, ip.b, ip.n);
}

static void udp6_payload(struct buf *ip, uint16_t id)
{
	uint8_t q[64];
	size_t qn = dns_query(q, id);
	struct buf u = { .n = 0 };
	udp(&u, 5353, 53, q, qn);
	ip->n = 0;
	ip6(ip, CLI6, SRV6, 17, u.b, u.n);
}

/* ---- tests: link layers ----------------------------------------------- */

static void check_query(unsigned i, uint16_t id, uint8_t family)
{
	assert_true(R.n_dns > i);
	const struct mx_pkt *p = &R.dns[i];
	assert_int_equal(p->transport, MX_T_UDP);
	assert_int_equal(p->src.family, family);
	assert_int_equal(p->dns_len, 29);
	assert_int_equal(p->dns_wire_len, 29);
	assert_false(p->partial);
	assert_int_equal(R.dns_bytes[i][0], id >> 8);
	assert_int_equal(R.dns_bytes[i][1], id & 0xff);
	assert_int_equal(R.dns_bytes[i][13], 'e');
}

static void ethernet_udp4(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr;
	udp4_query(&fr, 0xbeef, 40000, 53);
	/* Ethernet minimum frame: padding after the IP datagram is ignored */
	uint8_t pad[4] = { 0xee, 0xee, 0xee, 0xee };
	put(&fr, pad, sizeof(pad));
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	check_query(0, 0xbeef, 4);
	struct mx_addr a;
	mx_addr_set4(&a, CLI4);
	assert_true(mx_addr_eq(&R.dns[0].src, &a));
	mx_addr_set4(&a, SRV4);
	assert_true(mx_addr_eq(&R.dns[0].dst, &a));
	assert_int_equal(R.dns[0].sport, 40000);
	assert_int_equal(R.dns[0].dport, 53);
	assert_int_equal(R.dns[0].frame, frame_no);
	const struct mx_decode_stats *st = mx_decode_peek_stats(d);
	assert_int_equal(st->frames, 1);
	assert_int_equal(st->reason[MX_R_DNS], 1);
	assert_int_equal(st->verdict[MX_V_OK], 1);
	assert_int_equal(st->ipv4, 1);
	assert_int_equal(st->udp, 1);
	assert_int_equal(st->dns_udp, 1);
	assert_int_equal(st->vlan_tagged, 0);
	/* the response direction (source port 53) too */
	udp4_query(&fr, 0xbeef, 53, 40000);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 2);
	/* other ports are not DNS */
	udp4_query(&fr, 1, 40000, 123);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_OTHER_PORT), 1);
	assert_int_equal(R.n_dns, 2);
	mx_decoder_free(d);
}

/* cb.offport: a UDP datagram on no DNS port with a response header. */
static unsigned offport_calls;
static bool offport_take;
static struct mx_pkt offport_last;
static uint8_t offport_bytes[64];

static bool on_offport(void *ctx, const struct mx_pkt *p)
{
	(void)ctx;
	offport_calls++;
	offport_last = *p;
	memcpy(offport_bytes, p->dns, p->dns_len < sizeof offport_bytes ? p->dns_len : sizeof offport_bytes);
	return offport_take;
}

/* A frame from SRV4 port sp to CLI4 port dp carrying pl. */
static void udp4_from_srv(struct buf *fr, uint16_t sp, uint16_t dp, const uint8_t *pl, size_t n)
{
	struct buf u = { .n = 0 }, ip = { .n = 0 };
	udp(&u, sp, dp, pl, n);
	ip4(&ip, SRV4, CLI4, 17, 0x4321, 0x4000, false, u.b, u.n);
	fr->n = 0;
	eth(fr, NULL, 0, 0x0800, ip.b, ip.n);
}

static void offport_response(void **state)
{
	(void)state;
	memset(&R, 0, sizeof(R));
	struct mx_decode_cb cb = { .ctx = &R, .dns = on_dns, .offport = on_offport };
	struct mx_decoder *d = mx_decoder_new(NULL, &cb);
	assert_non_null(d);
	static struct buf fr;
	uint8_t m[64];
	size_t n = dns_query(m, 0xabcd);
	m[2] |= 0x80; /* QR: the response to it */
	offport_calls = 0;

	/* offered, refused (no pending query): other_port */
	offport_take = false;
	udp4_from_srv(&fr, 10053, 40000, m, n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(offport_calls, 1);
	assert_int_equal(reason(d, MX_R_OTHER_PORT), 1);
	assert_int_equal(R.n_dns, 0);
	assert_int_equal(mx_decode_peek_stats(d)->dns_udp, 0);

	/* offered, taken: response_other_port, delivered through offport only */
	offport_take = true;
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	assert_int_equal(offport_calls, 2);
	assert_int_equal(reason(d, MX_R_RESPONSE_OTHER_PORT), 1);
	assert_int_equal(R.n_dns, 0);
	assert_int_equal(mx_decode_peek_stats(d)->dns_udp, 1);
	assert_int_equal(offport_last.sport, 10053);
	assert_int_equal(offport_last.dport, 40000);
	assert_int_equal(offport_last.transport, MX_T_UDP);
	assert_int_equal(offport_last.dns_len, n);
	assert_int_equal(offport_last.frame, frame_no);
	assert_memory_equal(offport_bytes, m, n);
	struct mx_addr a;
	mx_addr_set4(&a, SRV4);
	assert_true(mx_addr_eq(&offport_last.src, &a));
	assert_string_equal(mx_decode_reason_name(MX_R_RESPONSE_OTHER_PORT), "response_other_port");
	assert_int_equal(mx_decode_reason_verdict(MX_R_RESPONSE_OTHER_PORT), MX_V_OK);

	/* never offered: a query, another opcode, two questions, a short
	 * payload, NTP (its third byte, the poll exponent 6: QR clear) */
	uint8_t x[64];
	memcpy(x, m, n);
	x[2] &= 0x7f;
	udp4_from_srv(&fr, 10053, 40000, x, n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	memcpy(x, m, n);
	x[2] |= 0x20; /* opcode 4, NOTIFY */
	udp4_from_srv(&fr, 10053, 40000, x, n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	memcpy(x, m, n);
	x[5] = 2;
	udp4_from_srv(&fr, 10053, 40000, x, n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	udp4_from_srv(&fr, 10053, 40000, m, 11);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	uint8_t ntp[48] = { 0x24, 2, 6, 0xe9 };
	udp4_from_srv(&fr, 123, 40000, ntp, sizeof ntp);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(offport_calls, 2);
	assert_int_equal(reason(d, MX_R_OTHER_PORT), 6);

	/* IPv6 the same way */
	struct buf u = { .n = 0 }, ip = { .n = 0 };
	udp(&u, 10053, 40000, m, n);
	ip6(&ip, SRV6, CLI6, 17, u.b, u.n);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x86dd, ip.b, ip.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	assert_int_equal(offport_calls, 3);
	assert_int_equal(offport_last.src.family, 6);
	assert_int_equal(reason(d, MX_R_RESPONSE_OTHER_PORT), 2);
	/* a response on a DNS port never goes through offport */
	udp4_from_srv(&fr, 53, 40000, m, n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	assert_int_equal(offport_calls, 3);
	assert_int_equal(R.n_dns, 1);
	mx_decoder_free(d);
}

static void vlan_tags(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip, fr;
	uint8_t q[64];
	size_t qn = dns_query(q, 7);
	struct buf u = { .n = 0 };
	udp(&u, 1025, 53, q, qn);
	ip4(&ip, CLI4, SRV4, 17, 1, 0, true, u.b, u.n); /* with an IP option */

	const uint16_t qinq[2] = { 0x88a8, 0x8100 };
	eth(&fr, qinq, 2, 0x0800, ip.b, ip.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	check_query(0, 7, 4);

	const uint16_t old[1] = { 0x9100 };
	fr.n = 0;
	eth(&fr, old, 1, 0x0800, ip.b, ip.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);

	udp6_payload(&ip, 8);
	const uint16_t four[4] = { 0x8100, 0x8100, 0x88a8, 0x8100 };
	fr.n = 0;
	eth(&fr, four, 4, 0x86dd, ip.b, ip.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	check_query(2, 8, 6);
	assert_int_equal(mx_decode_peek_stats(d)->vlan_tagged, 3);

	const uint16_t five[5] = { 0x8100, 0x8100, 0x8100, 0x8100, 0x8100 };
	fr.n = 0;
	eth(&fr, five, 5, 0x86dd, ip.b, ip.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_NOT_IP), 1);

	/* ARP */
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	fr.n = 0;
	eth(&fr, NULL, 0, 0x0806, arp, sizeof(arp));
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_NOT_IP), 2);
	/* too short for Ethernet */
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, 10), MX_V_TRUNCATED);
	assert_int_equal(reason(d, MX_R_SHORT_LINK), 1);
	mx_decoder_free(d);
}

static void cooked_sll_sll2(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4f, ip6f, fr;
	uint8_t q[64];
	size_t qn = dns_query(q, 0x0a0b);
	struct buf u = { .n = 0 };
	udp(&u, 53, 33333, q, qn);
	ip4(&ip4f, SRV4, CLI4, 17, 9, 0, false, u.b, u.n);
	udp6_payload(&ip6f, 0x0c0d);

	/* SLL: packet type, ARPHRD_ETHER, addr len 6, addr[8], protocol */
	fr.n = 0;
	put16(&fr, 0);
	put16(&fr, 1);
	put16(&fr, 6);
	put32(&fr, 0x02000000);
	put32(&fr, 0x00010000);
	put16(&fr, 0x0800);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_LINUX_SLL, fr.b, fr.n), MX_V_OK);
	check_query(0, 0x0a0b, 4);
	assert_int_equal(R.dns[0].sport, 53);

	fr.n = 0;
	put16(&fr, 4);
	put16(&fr, 1);
	put16(&fr, 6);
	put32(&fr, 0);
	put32(&fr, 0);
	put16(&fr, 0x86dd);
	put(&fr, ip6f.b, ip6f.n);
	assert_int_equal(feed(d, MX_DLT_LINUX_SLL, fr.b, fr.n), MX_V_OK);
	check_query(1, 0x0c0d, 6);

	/* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, addr len, addr[8] */
	fr.n = 0;
	put16(&fr, 0x0800);
	put16(&fr, 0);
	put32(&fr, 3);
	put16(&fr, 1);
	put8(&fr, 0);
	put8(&fr, 6);
	put32(&fr, 0x02000000);
	put32(&fr, 0x00010000);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_LINUX_SLL2, fr.b, fr.n), MX_V_OK);
	check_query(2, 0x0a0b, 4);

	fr.n = 0;
	put16(&fr, 0x86dd);
	put16(&fr, 0);
	put32(&fr, 3);
	put16(&fr, 1);
	put8(&fr, 4);
	put8(&fr, 6);
	put32(&fr, 0);
	put32(&fr, 0);
	put(&fr, ip6f.b, ip6f.n);
	assert_int_equal(feed(d, MX_DLT_LINUX_SLL2, fr.b, fr.n), MX_V_OK);
	check_query(3, 0x0c0d, 6);
	assert_int_equal(feed(d, MX_DLT_LINUX_SLL2, fr.b, 19), MX_V_TRUNCATED);
	assert_int_equal(reason(d, MX_R_SHORT_LINK), 1);
	mx_decoder_free(d);
}

static void null_and_loop(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4f, ip6f, fr;
	uint8_t q[64];
	size_t qn = dns_query(q, 0x1111);
	struct buf u = { .n = 0 };
	udp(&u, 40000, 53, q, qn);
	ip4(&ip4f, CLI4, SRV4, 17, 9, 0, false, u.b, u.n);
	udp6_payload(&ip6f, 0x2222);
	unsigned ok = 0;

	/* NULL: AF_INET in either byte order */
	const uint8_t le2[4] = { 2, 0, 0, 0 }, be2[4] = { 0, 0, 0, 2 };
	fr.n = 0;
	put(&fr, le2, 4);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_NULL, fr.b, fr.n), MX_V_OK);
	check_query(ok++, 0x1111, 4);
	fr.n = 0;
	put(&fr, be2, 4);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_NULL, fr.b, fr.n), MX_V_OK);
	check_query(ok++, 0x1111, 4);
	/* AF_INET6 as the BSDs number it, both byte orders */
	const uint8_t afs[3] = { 24, 28, 30 };
	for (int i = 0; i < 3; i++) {
		const uint8_t le[4] = { afs[i], 0, 0, 0 }, be[4] = { 0, 0, 0, afs[i] };
		fr.n = 0;
		put(&fr, le, 4);
		put(&fr, ip6f.b, ip6f.n);
		assert_int_equal(feed(d, MX_DLT_NULL, fr.b, fr.n), MX_V_OK);
		check_query(ok++, 0x2222, 6);
		fr.n = 0;
		put(&fr, be, 4);
		put(&fr, ip6f.b, ip6f.n);
		assert_int_equal(feed(d, MX_DLT_NULL, fr.b, fr.n), MX_V_OK);
		check_query(ok++, 0x2222, 6);
	}
	/* unknown family */
	const uint8_t ipx[4] = { 23, 0, 0, 0 };
	fr.n = 0;
	put(&fr, ipx, 4);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_NULL, fr.b, fr.n), MX_V_NOT_DNS);

	/* LOOP: network byte order only */
	fr.n = 0;
	put(&fr, be2, 4);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_LOOP, fr.b, fr.n), MX_V_OK);
	check_query(ok++, 0x1111, 4);
	const uint8_t be30[4] = { 0, 0, 0, 30 };
	fr.n = 0;
	put(&fr, be30, 4);
	put(&fr, ip6f.b, ip6f.n);
	assert_int_equal(feed(d, MX_DLT_LOOP, fr.b, fr.n), MX_V_OK);
	check_query(ok++, 0x2222, 6);
	fr.n = 0;
	put(&fr, le2, 4);
	put(&fr, ip4f.b, ip4f.n);
	assert_int_equal(feed(d, MX_DLT_LOOP, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(R.n_dns, ok);
	assert_int_equal(reason(d, MX_R_NOT_IP), 2);
	mx_decoder_free(d);
}

static void raw_ip(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4f, ip6f;
	uint8_t q[64];
	size_t qn = dns_query(q, 0x3333);
	struct buf u = { .n = 0 };
	udp(&u, 40000, 53, q, qn);
	ip4(&ip4f, CLI4, SRV4, 17, 9, 0, false, u.b, u.n);
	udp6_payload(&ip6f, 0x4444);
	const int raws[3] = { MX_DLT_RAW, MX_DLT_RAW_ALT, MX_DLT_RAW_LINKTYPE };
	unsigned ok = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(feed(d, raws[i], ip4f.b, ip4f.n), MX_V_OK);
		check_query(ok++, 0x3333, 4);
		assert_int_equal(feed(d, raws[i], ip6f.b, ip6f.n), MX_V_OK);
		check_query(ok++, 0x4444, 6);
	}
	assert_int_equal(feed(d, MX_DLT_IPV4, ip4f.b, ip4f.n), MX_V_OK);
	assert_int_equal(feed(d, MX_DLT_IPV6, ip6f.b, ip6f.n), MX_V_OK);
	assert_int_equal(feed(d, MX_DLT_IPV4, ip6f.b, ip6f.n), MX_V_MALFORMED);
	assert_int_equal(feed(d, MX_DLT_IPV6, ip4f.b, ip4f.n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_IP), 2);
	/* version 5 */
	uint8_t v5[40];
	memcpy(v5, ip4f.b, sizeof(v5));
	v5[0] = 0x55;
	assert_int_equal(feed(d, MX_DLT_RAW, v5, sizeof(v5)), MX_V_MALFORMED);
	assert_int_equal(R.n_dns, ok + 2);
	assert_int_equal(mx_decode_peek_stats(d)->ipv6, 4);

	/* link types we do not decode */
	assert_int_equal(feed(d, 9999, ip4f.b, ip4f.n), MX_V_UNSUPPORTED);
	assert_int_equal(feed(d, 105, ip4f.b, ip4f.n), MX_V_UNSUPPORTED);
	assert_int_equal(reason(d, MX_R_LINK_UNSUPPORTED), 2);
	assert_false(mx_decode_linktype_ok(9999));
	assert_false(mx_decode_linktype_ok(105));
	const int good[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(mx_decode_linktype_ok(good[i]));
	mx_decoder_free(d);
}

/* ---- IP layer --------------------------------------------------------- */

static void ipv6_extension_headers(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf pl, ip;
	uint8_t q[64];
	size_t qn = dns_query(q, 0x6666);
	struct buf u = { .n = 0 };
	udp(&u, 40000, 53, q, qn);

	/* hop-by-hop (8) -> routing (24) -> destination options (8) -> AH (16) -> UDP */
	pl.n = 0;
	put8(&pl, 43); put8(&pl, 0); put16(&pl, 0x0104); put32(&pl, 0);   /* HBH: PadN */
	put8(&pl, 60); put8(&pl, 2); put8(&pl, 0); put8(&pl, 0); put32(&pl, 0);
	for (int i = 0; i < 4; i++)
		put32(&pl, 0);                                                 /* routing */
	put8(&pl, 51); put8(&pl, 0); put16(&pl, 0x0104); put32(&pl, 0);   /* dest opts */
	put8(&pl, 17); put8(&pl, 2); put16(&pl, 0); put32(&pl, 0x100); put32(&pl, 1);
	put32(&pl, 0xaaaaaaaa);                                            /* AH: 16 bytes */
	put(&pl, u.b, u.n);
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 0, pl.b, pl.n);
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_OK);
	check_query(0, 0x6666, 6);
	struct mx_addr a;
	mx_addr_set6(&a, SRV6);
	assert_true(mx_addr_eq(&R.dns[0].dst, &a));

	/* ESP and no-next-header are other protocols */
	uint8_t esp[16] = { 0 };
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 50, esp, sizeof(esp));
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_NOT_DNS);
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 59, esp, sizeof(esp));
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_OTHER_PROTO), 2);

	/* jumbo payload length 0 */
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 0, pl.b, pl.n);
	ip.b[4] = ip.b[5] = 0;
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_MALFORMED);

	/* too many extension headers */
	pl.n = 0;
	for (int i = 0; i < 12; i++) {
		put8(&pl, i == 11 ? 17 : 60);
		put8(&pl, 0);
		put16(&pl, 0x0104);
		put32(&pl, 0);
	}
	put(&pl, u.b, u.n);
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 60, pl.b, pl.n);
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_MALFORMED);

	/* an extension header running past the payload length */
	pl.n = 0;
	put8(&pl, 17); put8(&pl, 4); put16(&pl, 0); put32(&pl, 0);
	ip.n = 0;
	ip6(&ip, CLI6, SRV6, 60, pl.b, pl.n);
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_IP), 3);
	assert_int_equal(R.n_dns, 1);

	/* payload length larger than the frame, not because of the capture */
	udp6_payload(&ip, 1);
	ip.b[5] += 10;
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_MALFORMED);
	/* ...but when the capture cut it, what is there goes up: here the UDP
	 * datagram inside is complete */
	assert_int_equal(feed_cut(d, MX_DLT_RAW, ip.b, ip.n, ip.n + 10, 5), MX_V_OK);
	assert_int_equal(R.n_dns, 2);
	assert_false(R.dns[1].partial);
	mx_decoder_free(d);
}

/* TSO/GSO: a capture on the sending host sees the packet before the NIC
 * segments it, with IPv4 total length 0; the frame gives the length. A
 * fragment with total length 0 stays malformed. */
static void ipv4_tso_zero_length(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr;
	udp4_query(&fr, 0x7501, 40000, 53);
	uint8_t b[200];
	size_t n = fr.n;
	memcpy(b, fr.b, n);
	b[14 + 2] = b[14 + 3] = 0;
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_OK);
	check_query(0, 0x7501, 4);
	b[14 + 6] = 0x20; /* more fragments: no TSO packet */
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_IP), 1);
	assert_int_equal(R.n_dns, 1);
	mx_decoder_free(d);
}

static void ipv4_malformed(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr;
	udp4_query(&fr, 1, 40000, 53);
	uint8_t b[200];
	size_t n = fr.n;

	memcpy(b, fr.b, n);
	b[14] = 0x44; /* IHL 4 */
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	memcpy(b, fr.b, n);
	b[16] = 0;
	b[17] = 19; /* total length < header */
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	memcpy(b, fr.b, n);
	b[17] += 40; /* total length beyond the frame, frame not cut */
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_IP), 3);

	memcpy(b, fr.b, n);
	b[14 + 20 + 5] = 7; /* UDP length < 8 */
	b[14 + 20 + 4] = 0;
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	memcpy(b, fr.b, n);
	b[14 + 20 + 5] += 1; /* UDP length beyond the IP payload */
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_L4), 2);

	/* IP protocol we do not decode (ESP) */
	memcpy(b, fr.b, n);
	b[14 + 9] = 50;
	assert_int_equal(feed(d, MX_DLT_EN10MB, b, n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_OTHER_PROTO), 1);

	/* not DNS on port 53 still goes up: dns.c judges content */
	struct buf u = { .n = 0 }, ip = { .n = 0 };
	const uint8_t junk[3] = { 'h', 'i', '!' };
	udp(&u, 40000, 53, junk, 3);
	ip4(&ip, CLI4, SRV4, 17, 1, 0, false, u.b, u.n);
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	assert_int_equal(R.dns[0].dns_len, 3);

	/* snaplen-cut UDP DNS: delivered partial, counted short_dns */
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, n - 10, n, 7), MX_V_TRUNCATED);
	assert_int_equal(reason(d, MX_R_SHORT_DNS), 1);
	assert_int_equal(R.n_dns, 2);
	assert_true(R.dns[1].partial);
	assert_int_equal(R.dns[1].dns_len, 19);
	assert_int_equal(R.dns[1].dns_wire_len, 29);

	const struct mx_decode_stats *st = mx_decode_peek_stats(d);
	uint64_t sum = 0, vsum = 0;
	for (int i = 0; i < MX_R__COUNT; i++)
		sum += st->reason[i];
	for (int i = 0; i < MX_V__COUNT; i++)
		vsum += st->verdict[i];
	assert_int_equal(sum, st->frames);
	assert_int_equal(vsum, st->frames);
	mx_decoder_free(d);
}

/* Fragments of one UDP datagram (header + 200 bytes of DNS) over IPv4. */
static size_t frag4(struct buf fr[4], uint16_t id, uint16_t ipid)
{
	static uint8_t dns[200];
	dns_query(dns, id);
	for (size_t i = 29; i < sizeof(dns); i++)
		dns[i] = (uint8_t)i;
	struct buf u = { .n = 0 };
	udp(&u, 40000, 53, dns, sizeof(dns)); /* 208 bytes: 64 + 64 + 64 + 16 */
	for (int i = 0; i < 4; i++) {
		size_t off = (size_t)i * 64, len = i == 3 ? 16 : 64;
		fr[i].n = 0;
		ip4(&fr[i], CLI4, SRV4, 17, ipid, (unsigned)((i < 3 ? 0x2000 : 0) | off / 8), false,
		    u.b + off, len);
	}
	return 4;
}

/* The same over IPv6 with a fragment header (and destination options in the
 * fragmentable part). */
static size_t frag6(struct buf fr[4], uint16_t id, uint32_t fid)
{
	static uint8_t dns[200];
	dns_query(dns, id);
	for (size_t i = 29; i < sizeof(dns); i++)
		dns[i] = (uint8_t)(i * 3);
	struct buf u = { .n = 0 };
	put8(&u, 17); put8(&u, 0); put16(&u, 0x0104); put32(&u, 0); /* dest opts */
	udp(&u, 40000, 53, dns, sizeof(dns)); /* 216 bytes */
	for (int i = 0; i < 4; i++) {
		size_t off = (size_t)i * 64, len = i == 3 ? 24 : 64;
		struct buf pl = { .n = 0 };
		put8(&pl, 60);
		put8(&pl, 0);
		put16(&pl, (unsigned)(off | (i < 3 ? 1 : 0)));
		put32(&pl, fid);
		put(&pl, u.b + off, len);
		fr[i].n = 0;
		ip6(&fr[i], CLI6, SRV6, 44, pl.b, pl.n);
	}
	return 4;
}

static void check_frag_dns(unsigned i, uint16_t id)
{
	assert_true(R.n_dns > i);
	assert_int_equal(R.dns[i].dns_len, 200);
	assert_int_equal(R.dns[i].dns_wire_len, 200);
	assert_int_equal(R.dns_bytes[i][0], id >> 8);
	assert_int_equal(R.dns_bytes[i][1], id & 0xff);
	assert_int_equal(R.dns_bytes[i][13], 'e');
}

static void fragments(void **state)
{
	(void)state;
	static struct buf fr[4];
	for (int v6 = 0; v6 < 2; v6++) {
		struct mx_decoder *d = mk();
#define FRAGS(id, x) (v6 ? frag6(fr, (id), (x)) : frag4(fr, (id), (uint16_t)(x)))
		/* in order */
		FRAGS(0x0101, 1);
		for (int i = 0; i < 3; i++)
			assert_int_equal(feed(d, MX_DLT_RAW, fr[i].b, fr[i].n), MX_V_OK);
		assert_int_equal(R.n_dns, 0);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[3].b, fr[3].n), MX_V_OK);
		check_frag_dns(0, 0x0101);
		assert_int_equal(reason(d, MX_R_FRAGMENT_HELD), 3);
		assert_int_equal(reason(d, MX_R_DNS), 1);
		/* reverse order */
		FRAGS(0x0202, 2);
		for (int i = 3; i >= 0; i--)
			assert_int_equal(feed(d, MX_DLT_RAW, fr[i].b, fr[i].n), MX_V_OK);
		check_frag_dns(1, 0x0202);
		/* duplicates */
		FRAGS(0x0303, 3);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[1].b, fr[1].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[1].b, fr[1].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[0].b, fr[0].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[3].b, fr[3].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[0].b, fr[0].n), MX_V_OK);
		assert_int_equal(R.n_dns, 2);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[2].b, fr[2].n), MX_V_OK);
		check_frag_dns(2, 0x0303);
		assert_int_equal(mx_decode_peek_stats(d)->frag_reassembled, 3);
		/* conflicting overlap */
		FRAGS(0x0404, 4);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[1].b, fr[1].n), MX_V_OK);
		fr[1].b[fr[1].n - 1] ^= 0x55;
		assert_int_equal(feed(d, MX_DLT_RAW, fr[1].b, fr[1].n), MX_V_MALFORMED);
		assert_int_equal(reason(d, MX_R_BAD_FRAGMENT), 1);
		fr[1].b[fr[1].n - 1] ^= 0x55;
		assert_int_equal(feed(d, MX_DLT_RAW, fr[0].b, fr[0].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[2].b, fr[2].n), MX_V_OK);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[3].b, fr[3].n), MX_V_OK);
		assert_int_equal(R.n_dns, 3); /* fragment 1 was dropped with the datagram */
		/* timeout */
		FRAGS(0x0505, 5);
		assert_int_equal(feed_cut(d, MX_DLT_RAW, fr[0].b, fr[0].n, fr[0].n, 100000000), MX_V_OK);
		mx_decode_tick(d, 131000000);
		/* the datagram left incomplete by the overlap test expired too */
		assert_int_equal(mx_decode_peek_stats(d)->frag_timeout, 2);
		for (int i = 1; i < 4; i++)
			assert_int_equal(feed_cut(d, MX_DLT_RAW, fr[i].b, fr[i].n, fr[i].n, 131000001),
					 MX_V_OK);
		assert_int_equal(R.n_dns, 3);
		mx_decoder_free(d);
	}
#undef FRAGS
}

static void fragment_flood_bounded(void **state)
{
	(void)state;
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	o.frag_max = 16;
	struct mx_decoder *d = mk_opts(&o);
	static struct buf fr[4];
	for (uint32_t i = 0; i < 5000; i++) {
		frag4(fr, 1, (uint16_t)i);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[0].b, fr[0].n), MX_V_OK);
		frag6(fr, 1, i);
		assert_int_equal(feed(d, MX_DLT_RAW, fr[1].b, fr[1].n), MX_V_OK);
	}
	assert_int_equal(mx_decode_peek_stats(d)->frag_evicted, 10000 - 16);
	assert_int_equal(R.n_dns, 0);
	/* a fragment of another protocol is not reassembled at all */
	uint8_t gre[16] = { 0 };
	struct buf ip = { .n = 0 };
	ip4(&ip, CLI4, SRV4, 50, 1, 0x2000, false, gre, sizeof(gre));
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_NOT_DNS);
	/* a middle fragment that is not a multiple of 8 bytes */
	ip.n = 0;
	ip4(&ip, CLI4, SRV4, 17, 1, 0x2000, false, gre, 13);
	assert_int_equal(feed(d, MX_DLT_RAW, ip.b, ip.n), MX_V_MALFORMED);
	mx_decoder_free(d);
}

/* ---- TCP -------------------------------------------------------------- */

/* ---- capture copies ----------------------------------------------------- */

/* `tcpdump -i any` on a host with a bridge records each packet on every
 * interface it crosses: the same IP packet microseconds apart under another
 * link header (SLL2 ifindex, packet type), one hop later with TTL - 1 and
 * another checksum. Those are skipped (capture_duplicate); the same bytes
 * seconds later (a stub's retransmission), another IP ID, and the fragments
 * of one datagram (same ID, other offsets) are not. */
static void capture_copies(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr, sll2, ip6f, fr6, frags[4];
	const uint64_t t = 5000000;

	udp4_query(&fr, 0x4444, 40000, 53);
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, t), MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	/* the copy on the bridge: SLL2, 12 µs later, TTL 63 and another checksum */
	sll2.n = 0;
	put16(&sll2, 0x0800);
	put16(&sll2, 0);
	put32(&sll2, 7);          /* ifindex */
	put16(&sll2, 1);
	put8(&sll2, 4);           /* outgoing */
	put8(&sll2, 6);
	put32(&sll2, 0x02000000);
	put32(&sll2, 0x00010000);
	put(&sll2, fr.b + 14, fr.n - 14);
	sll2.b[20 + 8] = 63;
	sll2.b[20 + 10] = 0xab;
	assert_int_equal(feed_cut(d, MX_DLT_LINUX_SLL2, sll2.b, sll2.n, sll2.n, t + 12), MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 1);
	assert_int_equal(mx_decode_reason_verdict(MX_R_CAPTURE_DUP), MX_V_OK);
	assert_string_equal(mx_decode_reason_name(MX_R_CAPTURE_DUP), "capture_duplicate");
	/* a third copy at the edge of the window, measured from the first */
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, t + MX_DECODE_DUP_WINDOW_US),
			 MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	/* the same bytes 2 s later: a retransmission, delivered */
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, t + 2000000), MX_V_OK);
	assert_int_equal(R.n_dns, 2);
	/* just past the window of that one: delivered */
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n,
				  t + 2000000 + MX_DECODE_DUP_WINDOW_US + 1), MX_V_OK);
	assert_int_equal(R.n_dns, 3);
	/* another IP ID right after: another packet */
	fr.b[14 + 5] ^= 1;
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, t + 2000000 + 2010), MX_V_OK);
	assert_int_equal(R.n_dns, 4);
	/* one payload byte differs (the DNS ID) with everything else equal */
	fr.b[14 + 5] ^= 1;
	fr.b[14 + 28 + 1] ^= 1;
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, t + 2000000 + 2020), MX_V_OK);
	assert_int_equal(R.n_dns, 5);
	/* IPv6: a copy with another hop limit is skipped */
	udp6_payload(&ip6f, 0x6666);
	fr6.n = 0;
	eth(&fr6, NULL, 0, 0x86dd, ip6f.b, ip6f.n);
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr6.b, fr6.n, fr6.n, t + 3000000), MX_V_OK);
	fr6.b[14 + 7] = 1;
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr6.b, fr6.n, fr6.n, t + 3000050), MX_V_OK);
	assert_int_equal(R.n_dns, 6);
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 3);
	/* fragments of one datagram within microseconds reassemble; a copy of
	 * the whole train is skipped frame by frame */
	frag4(frags, 0x7777, 0x99);
	for (int i = 0; i < 4; i++)
		feed_cut(d, MX_DLT_RAW, frags[i].b, frags[i].n, frags[i].n, t + 4000000 + (uint64_t)i);
	assert_int_equal(R.n_dns, 7);
	check_frag_dns(6, 0x7777);
	for (int i = 0; i < 4; i++)
		assert_int_equal(feed_cut(d, MX_DLT_RAW, frags[i].b, frags[i].n, frags[i].n,
					  t + 4000010 + (uint64_t)i), MX_V_OK);
	assert_int_equal(R.n_dns, 7);
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 7);
	assert_int_equal(reason(d, MX_R_BAD_FRAGMENT), 0);
	mx_decoder_free(d);
}

/* -i any on a busy bridge: a packet's copy comes after others (up to 40
 * here) within the window. Every copy is caught: the copy table is
 * set-associative (a direct-mapped one of 256 slots lost about a third of
 * them, each then a duplicate response). */
static void capture_copies_interleaved(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr[400];
	const uint64_t t = 9000000;
	unsigned n = 0, copies = 0;
	for (unsigned i = 0; i < 400; i++)
		udp4_query(&fr[i], (uint16_t)(0x1000 + i * 7), (uint16_t)(30000 + i), 53);
	/* packet i at 2i us, its copy 40 packets later (80 us) */
	for (unsigned i = 0; i < 440; i++) {
		if (i < 400) {
			assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr[i].b, fr[i].n, fr[i].n, t + 2 * (uint64_t)i),
					 MX_V_OK);
			n++;
		}
		if (i >= 40) {
			unsigned k = i - 40;
			assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr[k].b, fr[k].n, fr[k].n,
						  t + 2 * (uint64_t)i + 1), MX_V_OK);
			copies++;
		}
	}
	assert_int_equal(reason(d, MX_R_DNS), n);   /* R keeps only the first MAXREC */
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), copies);
	mx_decoder_free(d);
}

static void tcp4(struct buf *fr, bool to_server, uint32_t seq, unsigned flags, const uint8_t *pl,
		 size_t n)
{
	struct buf t = { .n = 0 };
	if (to_server)
		tcp(&t, 40001, 53, seq, flags, pl, n);
	else
		tcp(&t, 53, 40001, seq, flags, pl, n);
	fr->n = 0;
	if (to_server)
		ip4(fr, CLI4, SRV4, 6, 1, 0x4000, false, t.b, t.n);
	else
		ip4(fr, SRV4, CLI4, 6, 1, 0x4000, false, t.b, t.n);
}

static size_t tcp_msg(uint8_t *out, uint16_t id)
{
	size_t n = dns_query(out + 2, id);
	out[0] = 0;
	out[1] = (uint8_t)n;
	return n + 2;
}

static void tcp_streams(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr;
	uint8_t s[400];
	size_t a = tcp_msg(s, 0xa001);
	size_t b = tcp_msg(s + a, 0xa002);

	tcp4(&fr, true, 999, F_SYN, NULL, 0);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_ctl, 1);
	assert_true(R.ctl[0].syn);
	assert_false(R.ctl[0].ack);
	assert_int_equal(R.ctl[0].dport, 53);
	assert_int_equal(reason(d, MX_R_TCP_HELD), 1);
	/* prefix split: 1 byte, then the rest */
	tcp4(&fr, true, 1000, F_ACK | F_PSH, s, 1);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 0);
	tcp4(&fr, true, 1001, F_ACK | F_PSH, s + 1, a - 1);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	assert_int_equal(R.dns[0].transport, MX_T_TCP);
	assert_int_equal(R.dns[0].dns_len, 29);
	assert_int_equal(R.dns[0].dns_wire_len, 29);
	assert_int_equal(R.dns_bytes[0][1], 0x01);
	assert_int_equal(R.dns[0].frame, frame_no);
	assert_int_equal(reason(d, MX_R_DNS), 1);
	/* retransmission */
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 1);
	assert_int_equal(mx_decode_peek_stats(d)->tcp_retrans, 1);
	/* two messages in one segment */
	memcpy(s + a + b, s, a + b);
	tcp4(&fr, true, 1000 + (uint32_t)a, F_ACK, s + a, a + b);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 3);
	assert_int_equal(R.dns_bytes[1][1], 0x02);
	assert_int_equal(R.dns_bytes[2][1], 0x01);
	assert_int_equal(mx_decode_peek_stats(d)->dns_tcp, 3);
	/* out of order: second half first */
	uint32_t base = 1000 + (uint32_t)(2 * a + b);
	tcp4(&fr, true, base + 10, F_ACK, s + a + 10, b - 10);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	tcp4(&fr, true, base, F_ACK, s + a, 10);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 4);
	assert_int_equal(mx_decode_peek_stats(d)->tcp_out_of_order, 1);
	/* FIN: control callback after the data */
	tcp4(&fr, true, base + (uint32_t)b, F_FIN | F_ACK, NULL, 0);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_ctl, 2);
	assert_true(R.ctl[1].fin);
	assert_true(R.ctl[1].ack);

	/* the server side, joined mid-stream (no SYN seen) */
	tcp4(&fr, false, 77777, F_ACK, s, a);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_dns, 5);
	assert_int_equal(R.dns[4].sport, 53);
	assert_int_equal(mx_decode_peek_stats(d)->tcp_midstream, 1);
	/* a prefix < 12 */
	const uint8_t bad[6] = { 0, 4, 1, 2, 3, 4 };
	tcp4(&fr, false, 77777 + (uint32_t)a, F_ACK, bad, sizeof(bad));
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_TCP_PREFIX), 1);
	/* RST */
	tcp4(&fr, false, 77777 + (uint32_t)a + 6, F_RST, NULL, 0);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_ctl, 3);
	assert_true(R.ctl[2].rst);

	/* SMTP control segments */
	struct buf t = { .n = 0 };
	tcp(&t, 50000, 25, 1, F_SYN, NULL, 0);
	fr.n = 0;
	ip4(&fr, CLI4, SRV4, 6, 1, 0, false, t.b, t.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(reason(d, MX_R_TCP_SMTP), 1);
	assert_int_equal(R.n_ctl, 4);
	assert_int_equal(R.ctl[3].dport, 25);
	t.n = 0;
	tcp(&t, 50000, 25, 2, F_ACK, s, 10); /* SMTP data is not ours */
	fr.n = 0;
	ip4(&fr, CLI4, SRV4, 6, 1, 0, false, t.b, t.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_NOT_DNS);
	/* bad data offset */
	t.n = 0;
	tcp(&t, 40001, 53, 2, F_ACK, s, 10);
	t.b[12] = 0x40;
	fr.n = 0;
	ip4(&fr, CLI4, SRV4, 6, 1, 0, false, t.b, t.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_L4), 1);
	assert_int_equal(R.n_ctl, 4);
	mx_decoder_free(d);
}

static void tcp_gap_over_ipv6(void **state)
{
	(void)state;
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	o.tcp_max_flow_bytes = 100;
	struct mx_decoder *d = mk_opts(&o);
	static struct buf fr;
	uint8_t s[400];
	size_t a = tcp_msg(s, 1), n = a;
	n += tcp_msg(s + n, 2);
	n += tcp_msg(s + n, 3);
	n += tcp_msg(s + n, 4);
	struct buf t = { .n = 0 };
	tcp(&t, 40001, 53, 0, F_SYN, NULL, 0);
	fr.n = 0;
	ip6(&fr, CLI6, SRV6, 6, t.b, t.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	/* message 1 lost; 2 and 3 held; 4 exceeds the 100-byte cap: the hole is
	 * given up, we resync on the held data and deliver 2, 3 and 4 */
	for (size_t i = 1; i < 4; i++) {
		t.n = 0;
		tcp(&t, 40001, 53, 1 + (uint32_t)(i * a), F_ACK, s + i * a, a);
		fr.n = 0;
		ip6(&fr, CLI6, SRV6, 6, t.b, t.n);
		assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	}
	assert_int_equal(R.n_dns, 3);
	assert_int_equal(R.dns_bytes[0][1], 2);
	assert_int_equal(R.dns_bytes[1][1], 3);
	assert_int_equal(R.dns_bytes[2][1], 4);
	assert_int_equal(mx_decode_peek_stats(d)->tcp_gap, 1);
	assert_int_equal(mx_decode_peek_stats(d)->tcp_out_of_order, 2);
	assert_int_equal(R.dns[0].src.family, 6);
	mx_decoder_free(d);
}

/* ---- ICMP ------------------------------------------------------------- */

static void icmp_unreachable(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf orig, fr;
	uint8_t q[64];
	size_t qn = dns_query(q, 0xd00d);
	struct buf u = { .n = 0 };
	udp(&u, 41414, 53, q, qn);
	orig.n = 0;
	ip4(&orig, CLI4, SRV4, 17, 5, 0, false, u.b, u.n);

	struct buf ic = { .n = 0 };
	put8(&ic, 3);
	put8(&ic, 3);
	put16(&ic, 0);
	put32(&ic, 0);
	put(&ic, orig.b, orig.n);
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(reason(d, MX_R_ICMP_DNS), 1);
	assert_int_equal(R.n_icmp, 1);
	const struct mx_icmp *m = &R.icmp[0];
	struct mx_addr a;
	mx_addr_set4(&a, RTR4);
	assert_true(mx_addr_eq(&m->reporter, &a));
	mx_addr_set4(&a, CLI4);
	assert_true(mx_addr_eq(&m->q_src, &a));
	mx_addr_set4(&a, SRV4);
	assert_true(mx_addr_eq(&m->q_dst, &a));
	assert_int_equal(m->q_sport, 41414);
	assert_int_equal(m->q_dport, 53);
	assert_int_equal(m->family, 4);
	assert_true(m->port_unreachable);
	assert_int_equal(m->dns_len, 29);
	assert_int_equal(R.icmp_bytes[0][0], 0xd0);
	assert_int_equal(R.icmp_bytes[0][1], 0x0d);
	assert_int_equal(R.n_dns, 0); /* the quote is not a DNS message */

	/* only 8 bytes of the datagram quoted (RFC 792 minimum) */
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, 8 + 20 + 8);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.icmp[1].dns_len, 0);
	assert_int_equal(R.icmp[1].q_sport, 41414);

	/* host unreachable counts too, not as port unreachable */
	ic.b[1] = 1;
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_false(R.icmp[2].port_unreachable);

	/* echo request, and unreachable about another port */
	ic.b[0] = 8;
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_NOT_DNS);
	ic.b[0] = 3;
	ic.b[8 + 20 + 3] = 80;
	ic.b[8 + 20 + 2] = 0;
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(reason(d, MX_R_ICMP_OTHER), 2);
	assert_int_equal(R.n_icmp, 3);

	/* ICMPv6 port unreachable quoting a query with a destination option */
	struct buf pl = { .n = 0 };
	put8(&pl, 17); put8(&pl, 0); put16(&pl, 0x0104); put32(&pl, 0);
	put(&pl, u.b, u.n);
	orig.n = 0;
	ip6(&orig, CLI6, SRV6, 60, pl.b, pl.n);
	ic.n = 0;
	put8(&ic, 1);
	put8(&ic, 4);
	put16(&ic, 0);
	put32(&ic, 0);
	put(&ic, orig.b, orig.n);
	fr.n = 0;
	ip6(&fr, RTR6, CLI6, 58, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_icmp, 4);
	m = &R.icmp[3];
	mx_addr_set6(&a, RTR6);
	assert_true(mx_addr_eq(&m->reporter, &a));
	mx_addr_set6(&a, CLI6);
	assert_true(mx_addr_eq(&m->q_src, &a));
	mx_addr_set6(&a, SRV6);
	assert_true(mx_addr_eq(&m->q_dst, &a));
	assert_int_equal(m->family, 6);
	assert_int_equal(m->type, 1);
	assert_int_equal(m->code, 4);
	assert_true(m->port_unreachable);
	assert_int_equal(m->q_sport, 41414);
	assert_int_equal(m->dns_len, 29);
	assert_int_equal(R.icmp_bytes[3][0], 0xd0);
	assert_int_equal(R.icmp_bytes[3][1], 0x0d);
	/* ICMPv6 echo */
	ic.b[0] = 128;
	fr.n = 0;
	ip6(&fr, RTR6, CLI6, 58, ic.b, ic.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(mx_decode_peek_stats(d)->icmp, 7);
	mx_decoder_free(d);
}

/* ---- truncation sweep and garbage ------------------------------------- */

/* Every prefix of a valid frame: no crash, OK when whole, TRUNCATED when cut. */
static void sweep(int dlt, const uint8_t *b, size_t n, const uint8_t *before, size_t before_n,
		  bool strict)
{
	for (size_t k = 0; k <= n; k++) {
		struct mx_decoder *d = mk();
		if (before)
			assert_int_equal(feed(d, MX_DLT_RAW, before, before_n), MX_V_OK);
		enum mx_verdict v = feed_cut(d, dlt, b, k, n, 2000000);
		if (k == n)
			assert_int_equal(v, MX_V_OK);
		else if (v != MX_V_TRUNCATED && (strict || v != MX_V_OK))
			fail_msg("prefix %zu of %zu (dlt %d): verdict %s", k, n, dlt, mx_verdict_name(v));
		for (unsigned i = 0; i < R.n_dns; i++)
			assert_true(R.dns[i].dns_len <= R.dns[i].dns_wire_len);
		mx_decoder_free(d);
	}
}

static void truncation_sweep(void **state)
{
	(void)state;
	static struct buf fr, ip, fr2[4];
	udp4_query(&fr, 0x5555, 40000, 53);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);

	udp6_payload(&ip, 0x5656);
	const uint16_t tags[2] = { 0x88a8, 0x8100 };
	fr.n = 0;
	eth(&fr, tags, 2, 0x86dd, ip.b, ip.n);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	sweep(MX_DLT_RAW, ip.b, ip.n, NULL, 0, true);

	uint8_t s[64];
	size_t a = tcp_msg(s, 0x5757);
	tcp4(&fr, true, 1000, F_ACK | F_PSH, s, a);
	sweep(MX_DLT_RAW, fr.b, fr.n, NULL, 0, true);
	struct buf sll = { .n = 0 };
	put16(&sll, 0x0800); put16(&sll, 0); put32(&sll, 1); put16(&sll, 1); put8(&sll, 0);
	put8(&sll, 6); put32(&sll, 0); put32(&sll, 0);
	put(&sll, fr.b, fr.n);
	sweep(MX_DLT_LINUX_SLL2, sll.b, sll.n, NULL, 0, true);

	frag4(fr2, 0x5858, 99);
	sweep(MX_DLT_RAW, fr2[0].b, fr2[0].n, NULL, 0, true);
	sweep(MX_DLT_RAW, fr2[1].b, fr2[1].n, fr2[0].b, fr2[0].n, true);
	frag6(fr2, 0x5959, 99);
	sweep(MX_DLT_RAW, fr2[0].b, fr2[0].n, NULL, 0, true);

	/* ICMP port unreachable */
	uint8_t q[64];
	size_t qn = dns_query(q, 0x5a5a);
	struct buf u = { .n = 0 }, orig = { .n = 0 }, ic = { .n = 0 };
	udp(&u, 41414, 53, q, qn);
	ip4(&orig, CLI4, SRV4, 17, 5, 0, false, u.b, u.n);
	put8(&ic, 3); put8(&ic, 3); put16(&ic, 0); put32(&ic, 0);
	put(&ic, orig.b, orig.n);
	fr.n = 0;
	ip4(&fr, RTR4, CLI4, 1, 1, 0, false, ic.b, ic.n);
	sweep(MX_DLT_RAW, fr.b, fr.n, NULL, 0, false); /* a cut quote may still be icmp_dns */
}

static uint32_t xs = 0x9e3779b9u;

static uint32_t rnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 17;
	xs ^= xs << 5;
	return xs;
}

static void garbage(void **state)
{
	(void)state;
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	o.frag_max = 8;
	o.tcp_max_flows = 8;
	o.tcp_max_flow_bytes = 2048;
	struct mx_decoder *d = mk_opts(&o);
	const int dlts[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 7 };
	static uint8_t b[1600];
	static struct buf base[6];
	udp4_query(&base[0], 1, 40000, 53);
	udp6_payload(&base[1], 2);
	uint8_t s[64];
	tcp4(&base[2], true, 5, F_ACK, s, tcp_msg(s, 3));
	struct buf f4[4];
	frag4(f4, 4, 4);
	base[3] = f4[0];
	base[4] = f4[3];
	frag6(f4, 5, 5);
	base[5] = f4[2];
	const int base_dlt[6] = { 1, 12, 12, 12, 12, 12 };
	uint64_t ts = 1;
	for (int i = 0; i < 60000; i++) {
		size_t n;
		int dlt;
		if (i & 1) { /* pure noise */
			n = rnd() % 200;
			for (size_t j = 0; j < n; j++)
				b[j] = (uint8_t)rnd();
			dlt = dlts[rnd() % (sizeof(dlts) / sizeof(dlts[0]))];
			if (n > 0 && (rnd() & 1))
				b[0] = (uint8_t)((rnd() & 1) ? 0x45 : 0x60);
		} else { /* a valid frame with a few bytes changed */
			unsigned k = rnd() % 6;
			n = base[k].n;
			memcpy(b, base[k].b, n);
			unsigned flips = 1 + rnd() % 4;
			for (unsigned j = 0; j < flips; j++)
				b[rnd() % n] = (uint8_t)rnd();
			dlt = base_dlt[k];
		}
		ts += rnd() % 3000000;
		size_t len = (rnd() & 3) == 0 ? n + rnd() % 100 : n;
		enum mx_verdict v = feed_cut(d, dlt, b, n, len, ts);
		assert_true((unsigned)v < MX_V__COUNT);
		if (R.n_dns >= MAXREC || R.n_icmp >= MAXREC || R.n_ctl >= MAXREC)
			R.n_dns = R.n_icmp = R.n_ctl = 0;
	}
	const struct mx_decode_stats *st = mx_decode_peek_stats(d);
	uint64_t sum = 0;
	for (int i = 0; i < MX_R__COUNT; i++)
		sum += st->reason[i];
	assert_int_equal(sum, 60000);
	assert_int_equal(st->frames, 60000);
	mx_decoder_free(d);
	mx_decoder_free(NULL);
}

/* ---- names and options ------------------------------------------------ */

static void names_and_options(void **state)
{
	(void)state;
	for (int i = 0; i < MX_R__COUNT; i++) {
		const char *n = mx_decode_reason_name((enum mx_reason)i);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, mx_decode_reason_name((enum mx_reason)j));
		assert_true((unsigned)mx_decode_reason_verdict((enum mx_reason)i) < MX_V__COUNT);
	}
	assert_string_equal(mx_decode_reason_name(MX_R_DNS), "dns");
	assert_string_equal(mx_decode_reason_name(MX_R_FRAGMENT_HELD), "fragment_held");
	assert_string_equal(mx_decode_reason_name(MX_R_SHORT_IP), "short_ip");
	assert_string_equal(mx_decode_reason_name(MX_R_LINK_UNSUPPORTED), "link_unsupported");
	assert_string_equal(mx_verdict_name(MX_V_OK), "ok");
	assert_string_equal(mx_verdict_name(MX_V_NOT_DNS), "not_dns");
	assert_string_equal(mx_verdict_name(MX_V_TRUNCATED), "truncated");
	assert_string_equal(mx_verdict_name(MX_V_MALFORMED), "malformed");
	assert_string_equal(mx_verdict_name(MX_V_UNSUPPORTED), "unsupported");
	assert_int_equal(mx_decode_reason_verdict(MX_R_TCP_SMTP), MX_V_OK);
	assert_int_equal(mx_decode_reason_verdict(MX_R_ICMP_OTHER), MX_V_NOT_DNS);
	assert_int_equal(mx_decode_reason_verdict(MX_R_SHORT_DNS), MX_V_TRUNCATED);
	assert_int_equal(mx_decode_reason_verdict(MX_R_BAD_TCP_PREFIX), MX_V_MALFORMED);
	assert_int_equal(mx_decode_reason_verdict(MX_R_LINK_UNSUPPORTED), MX_V_UNSUPPORTED);

	struct mx_decode_opts o;
	memset(&o, 0xff, sizeof(o));
	mx_decode_opts_default(&o);
	assert_int_equal(o.n_dns_ports, 1);
	assert_int_equal(o.dns_ports[0], 53);
	assert_int_equal(o.frag_max, 1024);
	assert_int_equal(o.frag_timeout_us, 30000000);
	assert_int_equal(o.tcp_max_flows, 4096);
	assert_int_equal(o.tcp_max_flow_bytes, 128 * 1024);
	assert_int_equal(o.tcp_idle_us, 120000000);

	/* custom DNS ports */
	o.dns_ports[0] = 5353;
	o.dns_ports[1] = 853;
	o.n_dns_ports = 2;
	struct mx_decoder *d = mk_opts(&o);
	assert_true(mx_decode_is_dns_port(d, 5353));
	assert_true(mx_decode_is_dns_port(d, 853));
	assert_false(mx_decode_is_dns_port(d, 53));
	static struct buf fr;
	udp4_query(&fr, 1, 40000, 53);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	udp4_query(&fr, 1, 5353, 40000);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_OK);
	mx_decoder_free(d);
}

/* ---- encapsulations --------------------------------------------------- */

static const uint8_t TUN4A[4] = { 203, 0, 113, 1 }, TUN4B[4] = { 203, 0, 113, 2 };
static const uint8_t TUN6A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t TUN6B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

/* An IPv4 UDP DNS query (CLI4 -> SRV4), IP header onward. */
static void udp4_payload(struct buf *ip, uint16_t id)
{
	uint8_t q[64];
	size_t qn = dns_query(q, id);
	struct buf u = { .n = 0 };
	udp(&u, 40000, 53, q, qn);
	ip->n = 0;
	ip4(ip, CLI4, SRV4, 17, 0x1234, 0, false, u.b, u.n);
}

static void lse(struct buf *x, uint32_t label, bool bos)
{
	put32(x, label << 12 | (bos ? 0x100u : 0u) | 64u);
}

/* One frame: its verdict, and the inner query's family and ID when OK. */
static void expect_query(struct mx_decoder *d, int dlt, const struct buf *fr, uint16_t id,
			 uint8_t family)
{
	unsigned before = R.n_dns;
	assert_int_equal(feed(d, dlt, fr->b, fr->n), MX_V_OK);
	assert_int_equal(R.n_dns, before + 1);
	check_query(before, id, family);
	if (family == 4)
		assert_memory_equal(R.dns[before].src.a, CLI4, 4);
	else
		assert_memory_equal(R.dns[before].src.a, CLI6, 16);
}

static void mpls_and_pppoe(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4q, ip6q, x, fr;
	udp4_payload(&ip4q, 0x7101);
	udp6_payload(&ip6q, 0x7102);

	/* one label, IPv4 */
	x.n = 0;
	lse(&x, 100, true);
	put(&x, ip4q.b, ip4q.n);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8847, x.b, x.n);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7101, 4);
	/* two labels, IPv6, multicast EtherType, under 802.1Q */
	x.n = 0;
	lse(&x, 16001, false);
	lse(&x, 200, true);
	put(&x, ip6q.b, ip6q.n);
	fr.n = 0;
	const uint16_t q1[1] = { 0x8100 };
	eth(&fr, q1, 1, 0x8848, x.b, x.n);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7102, 6);
	/* Ethernet pseudowire with the control word */
	struct buf inner = { .n = 0 };
	eth(&inner, NULL, 0, 0x0800, ip4q.b, ip4q.n);
	x.n = 0;
	lse(&x, 300, true);
	put32(&x, 0);
	put(&x, inner.b, inner.n);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8847, x.b, x.n);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7101, 4);
	assert_int_equal(mx_decode_peek_stats(d)->mpls, 3);
	/* eight labels pass, nine do not */
	for (unsigned labels = 8; labels <= 9; labels++) {
		x.n = 0;
		for (unsigned k = 0; k < labels; k++)
			lse(&x, 1000 + k, k == labels - 1);
		put(&x, ip4q.b, ip4q.n);
		fr.n = 0;
		eth(&fr, NULL, 0, 0x8847, x.b, x.n);
		assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n),
				 labels == 8 ? MX_V_OK : MX_V_UNSUPPORTED);
	}
	assert_int_equal(reason(d, MX_R_ENCAP_TOO_DEEP), 1);
	/* G-ACh (first nibble 1): not IP */
	x.n = 0;
	lse(&x, 13, true);
	put32(&x, 0x10000000);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8847, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	/* stack ending at the end of a whole frame: malformed */
	x.n = 0;
	lse(&x, 100, true);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8847, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);

	/* PPPoE session, IPv4 and (QinQ) IPv6 */
	x.n = 0;
	put8(&x, 0x11); put8(&x, 0); put16(&x, 0x0042); put16(&x, (unsigned)ip4q.n + 2);
	put16(&x, 0x0021);
	put(&x, ip4q.b, ip4q.n);
	put32(&x, 0); /* Ethernet padding after the PPPoE payload */
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8864, x.b, x.n);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7101, 4);
	x.n = 0;
	put8(&x, 0x11); put8(&x, 0); put16(&x, 0x0042); put16(&x, (unsigned)ip6q.n + 2);
	put16(&x, 0x0057);
	put(&x, ip6q.b, ip6q.n);
	const uint16_t qq[2] = { 0x88a8, 0x8100 };
	fr.n = 0;
	eth(&fr, qq, 2, 0x8864, x.b, x.n);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7102, 6);
	assert_int_equal(mx_decode_peek_stats(d)->pppoe, 2);
	/* version 2: malformed; length beyond the frame: malformed */
	x.b[0] = 0x21;
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8864, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	x.b[0] = 0x11;
	x.b[5] += 10;
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8864, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	assert_int_equal(reason(d, MX_R_BAD_ENCAP), 3);
	/* LCP in a session, and discovery: not IP */
	x.n = 0;
	put8(&x, 0x11); put8(&x, 0); put16(&x, 0x0042); put16(&x, 6);
	put16(&x, 0xc021); put32(&x, 0x09010004);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8864, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	x.b[1] = 0x09;
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8863, x.b, x.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	mx_decoder_free(d);
}

/* GRE header: flags word, protocol, then `opt` optional words. */
static void gre(struct buf *x, unsigned flags, unsigned proto, unsigned nopt)
{
	put16(x, flags);
	put16(x, proto);
	for (unsigned i = 0; i < nopt; i++)
		put32(x, 0x01020300 + i);
}

/* An outer IPv4 (or IPv6) packet between the tunnel ends around pl, on Ethernet. */
static void tunnel(struct buf *fr, int fam, unsigned proto, unsigned id, const struct buf *pl)
{
	struct buf o = { .n = 0 };
	if (fam == 4)
		ip4(&o, TUN4A, TUN4B, proto, id, 0, false, pl->b, pl->n);
	else
		ip6(&o, TUN6A, TUN6B, proto, pl->b, pl->n);
	fr->n = 0;
	eth(fr, NULL, 0, fam == 4 ? 0x0800 : 0x86dd, o.b, o.n);
}

static void ip_tunnels(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4q, ip6q, x, fr, in;
	udp4_payload(&ip4q, 0x7201);
	udp6_payload(&ip6q, 0x7202);
	unsigned id = 1;

	/* IP in IP, all four ways; the inner addresses are the ones reported */
	tunnel(&fr, 4, 4, id++, &ip4q);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	tunnel(&fr, 4, 41, id++, &ip6q);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7202, 6);
	tunnel(&fr, 6, 4, id++, &ip4q);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	tunnel(&fr, 6, 41, id++, &ip6q);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7202, 6);
	assert_int_equal(mx_decode_peek_stats(d)->ip_in_ip, 4);
	tunnel(&fr, 4, 4, id++, &ip6q); /* protocol 4 with IPv6 inside */
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);

	/* GRE: plain, checksum + key + sequence, over IPv6 */
	x.n = 0;
	gre(&x, 0, 0x0800, 0);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	x.n = 0;
	gre(&x, 0xb000, 0x86dd, 3);
	put(&x, ip6q.b, ip6q.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7202, 6);
	x.n = 0;
	gre(&x, 0x2000, 0x0800, 1);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 6, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	/* bridged Ethernet, MPLS */
	in.n = 0;
	eth(&in, NULL, 0, 0x86dd, ip6q.b, ip6q.n);
	x.n = 0;
	gre(&x, 0, 0x6558, 0);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7202, 6);
	x.n = 0;
	gre(&x, 0, 0x8847, 0);
	lse(&x, 500, true);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	/* ERSPAN I (no sequence), II, III with the subheader */
	in.n = 0;
	eth(&in, NULL, 0, 0x0800, ip4q.b, ip4q.n);
	x.n = 0;
	gre(&x, 0, 0x88be, 0);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	x.n = 0;
	gre(&x, 0x1000, 0x88be, 1);
	put16(&x, 0x1005); put16(&x, 7); put32(&x, 1);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	x.n = 0;
	gre(&x, 0x1000, 0x22eb, 1);
	put16(&x, 0x2005); put16(&x, 7); put32(&x, 99); put16(&x, 0); put16(&x, 0x0001);
	put32(&x, 0); put32(&x, 0);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	x.b[8] = 0x30; /* ERSPAN III header saying version 3 */
	tunnel(&fr, 4, 47, id++, &x);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	assert_int_equal(mx_decode_peek_stats(d)->erspan, 4);
	/* PPTP: enhanced GRE version 1 with key, sequence, acknowledgement; PPP */
	x.n = 0;
	gre(&x, 0x3081, 0x880b, 3);
	put16(&x, 0xff03); put16(&x, 0x0021);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 4, 47, id++, &x);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	/* version 2, routing, version 1 without key: malformed; ARP inside: not IP */
	x.n = 0;
	gre(&x, 0x0002, 0x0800, 0);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 4, 47, id++, &x);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	x.b[0] = 0x40; x.b[1] = 0;
	tunnel(&fr, 4, 47, id++, &x);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	x.b[0] = 0x10; x.b[1] = 0x01;
	tunnel(&fr, 4, 47, id++, &x);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	x.b[0] = 0; x.b[1] = 0; x.b[2] = 0x08; x.b[3] = 0x06;
	tunnel(&fr, 4, 47, id++, &x);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);

	/* VXLAN, VXLAN-GPE; VXLAN without the I flag */
	struct buf u = { .n = 0 };
	in.n = 0;
	eth(&in, NULL, 0, 0x0800, ip4q.b, ip4q.n);
	x.n = 0;
	put32(&x, 0x08000000); put32(&x, 0x00138800);
	put(&x, in.b, in.n);
	udp(&u, 49999, 4789, x.b, x.n);
	tunnel(&fr, 4, 17, id++, &u);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	x.n = 0;
	put32(&x, 0x0c000002); put32(&x, 0x00138800);
	put(&x, ip6q.b, ip6q.n);
	u.n = 0;
	udp(&u, 49999, 4790, x.b, x.n);
	tunnel(&fr, 6, 17, id++, &u);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7202, 6);
	x.n = 0;
	put32(&x, 0); put32(&x, 0x00138800);
	put(&x, in.b, in.n);
	u.n = 0;
	udp(&u, 49999, 4789, x.b, x.n);
	tunnel(&fr, 4, 17, id++, &u);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_MALFORMED);
	assert_int_equal(mx_decode_peek_stats(d)->vxlan, 3);
	mx_decoder_free(d);

	/* 8472 (Linux's default VXLAN port, flannel) by default; another port
	 * only when given (--vxlan-port), and never over a DNS port */
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	d = mk_opts(&o);
	x.n = 0;
	put32(&x, 0x08000000); put32(&x, 0x00138800);
	put(&x, in.b, in.n);
	u.n = 0;
	udp(&u, 49999, 8472, x.b, x.n);
	tunnel(&fr, 4, 17, id++, &u);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	u.n = 0;
	udp(&u, 49999, 6081, x.b, x.n);
	tunnel(&fr, 4, 17, id++, &u);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(mx_decode_peek_stats(d)->vxlan, 1);
	mx_decoder_free(d);
	o.vxlan_ports[o.n_vxlan_ports++] = 6081;
	o.vxlan_ports[o.n_vxlan_ports++] = 53;
	d = mk_opts(&o);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7201, 4);
	u.n = 0;
	udp(&u, 49999, 53, x.b, x.n); /* a DNS port stays DNS (garbage to the DNS layer), not VXLAN */
	tunnel(&fr, 4, 17, id++, &u);
	uint64_t dns_before = mx_decode_peek_stats(d)->dns_udp;
	feed(d, MX_DLT_EN10MB, fr.b, fr.n);
	assert_int_equal(mx_decode_peek_stats(d)->dns_udp, dns_before + 1);
	assert_int_equal(mx_decode_peek_stats(d)->vxlan, 1);
	mx_decoder_free(d);
}

/* IPv4-in-IPv4 `levels` deep around ip, on Ethernet. */
static void nest4(struct buf *fr, const struct buf *ip, unsigned levels, unsigned id)
{
	static struct buf a, b;
	a = *ip;
	for (unsigned k = 0; k < levels; k++) {
		b.n = 0;
		ip4(&b, TUN4A, TUN4B, 4, id + k, 0, false, a.b, a.n);
		a = b;
	}
	fr->n = 0;
	eth(fr, NULL, 0, 0x0800, a.b, a.n);
}

static void tunnel_depth_frag_dup(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4q, fr, x, o, f1, f2;
	udp4_payload(&ip4q, 0x7301);

	/* four levels decode, five are too deep */
	nest4(&fr, &ip4q, MX_DECODE_ENCAP_MAX, 10);
	expect_query(d, MX_DLT_EN10MB, &fr, 0x7301, 4);
	nest4(&fr, &ip4q, MX_DECODE_ENCAP_MAX + 1, 20);
	assert_int_equal(feed(d, MX_DLT_EN10MB, fr.b, fr.n), MX_V_UNSUPPORTED);
	assert_int_equal(reason(d, MX_R_ENCAP_TOO_DEEP), 1);

	/* a GRE packet whose outer IPv4 packet is fragmented: reassembled, then decoded */
	x.n = 0;
	gre(&x, 0, 0x0800, 0);
	put(&x, ip4q.b, ip4q.n);
	size_t cut = 24; /* outer payload bytes in the first fragment */
	ip4(&f1, TUN4A, TUN4B, 47, 0x4242, 0x2000, false, x.b, cut);
	o.n = 0;
	eth(&o, NULL, 0, 0x0800, f1.b, f1.n);
	assert_int_equal(feed(d, MX_DLT_EN10MB, o.b, o.n), MX_V_OK);
	assert_int_equal(reason(d, MX_R_FRAGMENT_HELD), 1);
	ip4(&f2, TUN4A, TUN4B, 47, 0x4242, (unsigned)(cut / 8), false, x.b + cut, x.n - cut);
	o.n = 0;
	eth(&o, NULL, 0, 0x0800, f2.b, f2.n);
	expect_query(d, MX_DLT_EN10MB, &o, 0x7301, 4);
	assert_int_equal(mx_decode_peek_stats(d)->frag_reassembled, 1);

	/* an inner fragment inside a tunnel is reassembled under the inner addresses */
	static struct buf fr2[4], t;
	frag4(fr2, 0x7302, 77);
	for (int i = 0; i < 4; i++) {
		x.n = 0;
		gre(&x, 0, 0x0800, 0);
		put(&x, fr2[i].b, fr2[i].n);
		tunnel(&t, 4, 47, (unsigned)(300 + i), &x);
		assert_int_equal(feed(d, MX_DLT_EN10MB, t.b, t.n), MX_V_OK);
	}
	assert_int_equal(mx_decode_peek_stats(d)->frag_reassembled, 2);
	mx_decoder_free(d);

	/* capture copies: the same inner packet twice in GRE (another outer ID, as
	 * an ERSPAN session mirrors ingress and egress), and once bare then
	 * tunnelled (tcpdump -i any: gre0 and eth0) */
	d = mk();
	unsigned n0 = R.n_dns;
	const uint64_t t0 = 50000000;
	x.n = 0;
	gre(&x, 0, 0x0800, 0);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&t, 4, 47, 1, &x);
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, t.b, t.n, t.n, t0), MX_V_OK);
	tunnel(&t, 4, 47, 2, &x);
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, t.b, t.n, t.n, t0 + 20), MX_V_OK);
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 1);
	assert_int_equal(R.n_dns, n0 + 1);
	/* the outer packet seen again 10 ms later: a retransmission, kept */
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, t.b, t.n, t.n, t0 + 10000), MX_V_OK);
	assert_int_equal(R.n_dns, n0 + 2);
	mx_decoder_free(d);
	d = mk();
	udp4_payload(&ip4q, 0x7303);
	assert_int_equal(feed_cut(d, MX_DLT_RAW, ip4q.b, ip4q.n, ip4q.n, t0), MX_V_OK);
	x.n = 0;
	gre(&x, 0, 0x0800, 0);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&t, 4, 47, 3, &x);
	assert_int_equal(feed_cut(d, MX_DLT_EN10MB, t.b, t.n, t.n, t0 + 15), MX_V_OK);
	assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 1);
	mx_decoder_free(d);
}

/* NFLOG message: header, a packet-header TLV, a prefix TLV, the payload. */
static void nflog(struct buf *fr, const struct buf *ip, bool be)
{
#define T16(v) do { unsigned v_ = (v); if (be) put16(fr, v_); \
		else { put8(fr, v_ & 0xff); put8(fr, v_ >> 8); } } while (0)
	fr->n = 0;
	put8(fr, 2); put8(fr, 0); put16(fr, 5);
	T16(8); T16(1); put16(fr, 0x0800); put8(fr, 3); put8(fr, 0);
	T16(7); T16(10); put(fr, "dns", 3); put8(fr, 0); /* length 7, padded to 8 */
	T16(4 + (unsigned)ip->n); T16(9);
	put(fr, ip->b, ip->n);
	while (fr->n & 3)
		put8(fr, 0);
#undef T16
}

static void ppp_hdlc_nflog_links(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf ip4q, ip6q, fr;
	udp4_payload(&ip4q, 0x7401);
	udp6_payload(&ip6q, 0x7402);
	static const int dlts[] = { MX_DLT_PPP, MX_DLT_PPP_SERIAL, MX_DLT_PPP_ETHER, MX_DLT_C_HDLC,
				    MX_DLT_NFLOG };
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++)
		assert_true(mx_decode_linktype_ok(dlts[i]));

	/* PPP: address/control + protocol; no address/control; compressed protocol */
	fr.n = 0;
	put16(&fr, 0xff03); put16(&fr, 0x0021); put(&fr, ip4q.b, ip4q.n);
	expect_query(d, MX_DLT_PPP, &fr, 0x7401, 4);
	expect_query(d, MX_DLT_PPP_SERIAL, &fr, 0x7401, 4);
	fr.n = 0;
	put16(&fr, 0x0057); put(&fr, ip6q.b, ip6q.n);
	expect_query(d, MX_DLT_PPP, &fr, 0x7402, 6);
	fr.n = 0;
	put8(&fr, 0x21); put(&fr, ip4q.b, ip4q.n);
	expect_query(d, MX_DLT_PPP, &fr, 0x7401, 4);
	fr.n = 0;
	put16(&fr, 0xc021); put32(&fr, 0x09010004);
	assert_int_equal(feed(d, MX_DLT_PPP, fr.b, fr.n), MX_V_NOT_DNS);
	/* Cisco HDLC, as its own link type and inside PPP_SERIAL */
	fr.n = 0;
	put16(&fr, 0x0f00); put16(&fr, 0x86dd); put(&fr, ip6q.b, ip6q.n);
	expect_query(d, MX_DLT_C_HDLC, &fr, 0x7402, 6);
	expect_query(d, MX_DLT_PPP_SERIAL, &fr, 0x7402, 6);
	fr.n = 0;
	put16(&fr, 0x8f00); put16(&fr, 0x8035); put32(&fr, 0);
	assert_int_equal(feed(d, MX_DLT_C_HDLC, fr.b, fr.n), MX_V_NOT_DNS);
	/* PPPoE without Ethernet */
	fr.n = 0;
	put8(&fr, 0x11); put8(&fr, 0); put16(&fr, 1); put16(&fr, (unsigned)ip4q.n + 2);
	put16(&fr, 0x0021); put(&fr, ip4q.b, ip4q.n);
	expect_query(d, MX_DLT_PPP_ETHER, &fr, 0x7401, 4);
	/* NFLOG, TLVs in either byte order; no payload TLV */
	nflog(&fr, &ip4q, false);
	expect_query(d, MX_DLT_NFLOG, &fr, 0x7401, 4);
	nflog(&fr, &ip6q, true);
	expect_query(d, MX_DLT_NFLOG, &fr, 0x7402, 6);
	fr.n = 0;
	put8(&fr, 2); put8(&fr, 0); put16(&fr, 5);
	put8(&fr, 8); put8(&fr, 0); put8(&fr, 1); put8(&fr, 0); put32(&fr, 0x08000300);
	assert_int_equal(feed(d, MX_DLT_NFLOG, fr.b, fr.n), MX_V_NOT_DNS);
	fr.b[4] = 2; /* TLV length 2 < its own header */
	assert_int_equal(feed(d, MX_DLT_NFLOG, fr.b, fr.n), MX_V_MALFORMED);
	mx_decoder_free(d);
}

/* Every prefix of each encapsulated frame: TRUNCATED, never a crash. */
static void encap_truncation_sweep(void **state)
{
	(void)state;
	static struct buf ip4q, ip6q, x, fr, in, u;
	udp4_payload(&ip4q, 0x7501);
	udp6_payload(&ip6q, 0x7502);

	x.n = 0;
	lse(&x, 16001, false);
	lse(&x, 300, true);
	put32(&x, 0);
	in.n = 0;
	eth(&in, NULL, 0, 0x0800, ip4q.b, ip4q.n);
	put(&x, in.b, in.n);
	fr.n = 0;
	const uint16_t q1[1] = { 0x8100 };
	eth(&fr, q1, 1, 0x8847, x.b, x.n);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);

	x.n = 0;
	put8(&x, 0x11); put8(&x, 0); put16(&x, 0x0042); put16(&x, (unsigned)ip6q.n + 2);
	put16(&x, 0x0057);
	put(&x, ip6q.b, ip6q.n);
	fr.n = 0;
	eth(&fr, NULL, 0, 0x8864, x.b, x.n);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	sweep(MX_DLT_PPP_ETHER, x.b, x.n, NULL, 0, true);

	tunnel(&fr, 6, 4, 1, &ip4q);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	x.n = 0;
	gre(&x, 0xb000, 0x86dd, 3);
	put(&x, ip6q.b, ip6q.n);
	tunnel(&fr, 4, 47, 2, &x);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	x.n = 0;
	gre(&x, 0x1000, 0x22eb, 1);
	put16(&x, 0x2005); put16(&x, 7); put32(&x, 99); put16(&x, 0); put16(&x, 0x0001);
	put32(&x, 0); put32(&x, 0);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, 3, &x);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	x.n = 0;
	gre(&x, 0x1000, 0x88be, 1);
	put16(&x, 0x1005); put16(&x, 7); put32(&x, 1);
	put(&x, in.b, in.n);
	tunnel(&fr, 4, 47, 4, &x);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	x.n = 0;
	gre(&x, 0x3081, 0x880b, 3);
	put16(&x, 0xff03); put16(&x, 0x0021);
	put(&x, ip4q.b, ip4q.n);
	tunnel(&fr, 6, 47, 5, &x);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);
	x.n = 0;
	put32(&x, 0x08000000); put32(&x, 0x00138800);
	put(&x, in.b, in.n);
	u.n = 0;
	udp(&u, 49999, 4789, x.b, x.n);
	tunnel(&fr, 4, 17, 6, &u);
	sweep(MX_DLT_EN10MB, fr.b, fr.n, NULL, 0, true);

	fr.n = 0;
	put16(&fr, 0xff03); put16(&fr, 0x0021); put(&fr, ip4q.b, ip4q.n);
	sweep(MX_DLT_PPP, fr.b, fr.n, NULL, 0, true);
	sweep(MX_DLT_PPP_SERIAL, fr.b, fr.n, NULL, 0, true);
	fr.n = 0;
	put16(&fr, 0x0f00); put16(&fr, 0x0800); put(&fr, ip4q.b, ip4q.n);
	sweep(MX_DLT_C_HDLC, fr.b, fr.n, NULL, 0, true);
	sweep(MX_DLT_PPP_SERIAL, fr.b, fr.n, NULL, 0, true);
	nflog(&fr, &ip4q, false);
	fr.n -= 3; /* the payload TLV without its padding, as the kernel may end it */
	sweep(MX_DLT_NFLOG, fr.b, fr.n, NULL, 0, true);
}

/* The capture-copy digest covers every byte it is meant to: of an IP payload
 * up to 64 bytes all of them, else the first 48 and the last 16. A packet
 * that differs from the one just before it in one such bit (here: in a DNS
 * byte, on both paths, for every length of the digest's tail) is not a copy.
 * Each pair is fed 3 ms after the last, so only the pair's first packet is
 * within the window: the digest of a packet differing from it in one word is
 * never the same (each step is a bijection of the word), but packets that
 * differ from each other in the high bytes of two words of one lane can
 * share a digest (xor-then-multiply carries a difference only upwards), so
 * variants are not compared with each other. */
static void capture_copy_digest_bytes(void **state)
{
	(void)state;
	struct mx_decoder *d = mk();
	static struct buf fr;
	uint64_t ts = 9000000, want = 0;
	for (size_t dnsn = 1; dnsn <= 80; dnsn++) {
		uint8_t q[96];
		for (size_t i = 0; i < dnsn; i++)
			q[i] = (uint8_t)(i * 7 + dnsn);
		struct buf u = { .n = 0 }, ip = { .n = 0 };
		udp(&u, 40000, 53, q, dnsn);
		ip4(&ip, CLI4, SRV4, 17, 0x4242, 0, dnsn % 3 == 0, u.b, u.n); /* option: general path */
		fr.n = 0;
		eth(&fr, NULL, 0, 0x0800, ip.b, ip.n);
		size_t l4 = fr.n - u.n; /* where UDP starts */
		for (size_t i = 8; i < u.n; i++) {
			if (u.n > 64 && i >= 48 && i < u.n - 16)
				continue; /* not digested */
			for (unsigned bit = 0; bit < 8; bit++) {
				ts += 3000;
				assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, ts), MX_V_OK);
				fr.b[l4 + i] ^= (uint8_t)(1u << bit);
				assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, ts + 1),
						 MX_V_OK);
				fr.b[l4 + i] ^= (uint8_t)(1u << bit);
				want += 2;
				assert_int_equal(mx_decode_peek_stats(d)->dns_udp, want);
			}
		}
		/* the unchanged packet right after: a copy */
		assert_int_equal(feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, ts + 2), MX_V_OK);
		assert_int_equal(mx_decode_peek_stats(d)->dns_udp, want);
		assert_int_equal(reason(d, MX_R_CAPTURE_DUP), dnsn);
	}
	mx_decoder_free(d);
}

/* Two digested bytes changed in the same bit at once (the top bits of two
 * words of one lane cancelled before the digest rotated its lanes): never
 * a copy, on the fast path (Ethernet) and the general one (IPv4 option). */
static void capture_copy_digest_pairs(void **state)
{
	(void)state;
	static const size_t sizes[] = {40, 64, 80};
	for (unsigned opt = 0; opt < 2; opt++)
		for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
			struct mx_decoder *d = mk();
			static struct buf fr;
			uint64_t ts = 9000000, want = 0;
			size_t dnsn = sizes[z];
			uint8_t q[96];
			for (size_t i = 0; i < dnsn; i++)
				q[i] = (uint8_t)(i * 13 + 5);
			struct buf u = { .n = 0 }, ip = { .n = 0 };
			udp(&u, 40000, 53, q, dnsn);
			ip4(&ip, CLI4, SRV4, 17, 0x4242, 0, opt, u.b, u.n);
			fr.n = 0;
			eth(&fr, NULL, 0, 0x0800, ip.b, ip.n);
			size_t l4 = fr.n - u.n;
			for (size_t i = 8; i < u.n; i++)
				for (size_t j = i + 1; j < u.n; j++) {
					if (u.n > 64 && ((i >= 48 && i < u.n - 16) || (j >= 48 && j < u.n - 16)))
						continue; /* not digested */
					unsigned bit = (unsigned)((i + j) % 8 == 0 ? 7 : (i + j) % 8);
					ts += 3000;
					feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, ts);
					fr.b[l4 + i] ^= (uint8_t)(1u << bit);
					fr.b[l4 + j] ^= (uint8_t)(1u << bit);
					feed_cut(d, MX_DLT_EN10MB, fr.b, fr.n, fr.n, ts + 1);
					fr.b[l4 + i] ^= (uint8_t)(1u << bit);
					fr.b[l4 + j] ^= (uint8_t)(1u << bit);
					want += 2;
				}
			assert_int_equal(mx_decode_peek_stats(d)->dns_udp, want);
			assert_int_equal(reason(d, MX_R_CAPTURE_DUP), 0);
			mx_decoder_free(d);
		}
}

/* ---- the fast path against the general one ------------------------------ *
 *
 * decode.c takes a shortcut for Ethernet + IPv4 (no options, not a fragment)
 * or IPv6 (next header UDP) + UDP on a DNS port, all captured. The same IP
 * packet under a Linux cooked header (SLL) always takes the general path. So
 * packets near the shortcut's edges (lengths one off, options, fragment bits,
 * other protocols, ports, versions, cut captures) go to decoder A as Ethernet
 * and to decoder B as SLL: verdicts, every counter and every message must be
 * the same. Copies follow some packets within microseconds in the other
 * framing, so the capture-copy digests of both paths must agree too. */

struct diffrec {
	unsigned n;
	struct mx_pkt p;
	uint8_t bytes[600];
};

static void diff_on_dns(void *ctx, const struct mx_pkt *p)
{
	struct diffrec *r = ctx;
	r->n++;
	r->p = *p;
	memset(r->bytes, 0, sizeof(r->bytes));
	memcpy(r->bytes, p->dns, p->dns_len < 600 ? p->dns_len : 600);
	r->p.dns = NULL;
}

static uint64_t diff_rng = 0x2545f4914f6cdd1dull;

static unsigned diff_rand(unsigned n)
{
	diff_rng ^= diff_rng << 13;
	diff_rng ^= diff_rng >> 7;
	diff_rng ^= diff_rng << 17;
	return (unsigned)((diff_rng >> 11) % n);
}

/* An IP packet (IPv4 or IPv6 by `v6`) built at the fast path's edges. */
static size_t diff_packet(uint8_t *out, size_t room, bool v6)
{
	uint8_t pl[256];
	size_t dnsn = diff_rand(90); /* 0..89 DNS bytes: every digest tail length */
	for (size_t i = 0; i < dnsn; i++)
		pl[8 + i] = (uint8_t)diff_rand(256);
	static const uint16_t ports[] = { 53, 53, 53, 5353, 40000, 4789, 25, 0 };
	uint16_t sp = ports[diff_rand(8)], dp = ports[diff_rand(8)];
	if (diff_rand(2))
		sp = (uint16_t)(1024 + diff_rand(60000));
	size_t ulen = 8 + dnsn;
	switch (diff_rand(8)) {
	case 0: ulen += 1; break;               /* claims one byte more */
	case 1: ulen = ulen ? ulen - 1 : 0; break;
	case 2: ulen = diff_rand(12); break;    /* below 8 */
	default: break;
	}
	pl[0] = (uint8_t)(sp >> 8);
	pl[1] = (uint8_t)sp;
	pl[2] = (uint8_t)(dp >> 8);
	pl[3] = (uint8_t)dp;
	pl[4] = (uint8_t)(ulen >> 8);
	pl[5] = (uint8_t)ulen;
	pl[6] = pl[7] = 0;
	size_t n = 8 + dnsn;
	if (diff_rand(6) == 0)
		n = diff_rand((unsigned)n + 1); /* less than a UDP header, maybe */
	struct buf ip = { .n = 0 };
	if (v6) {
		static const unsigned nhs[] = { 17, 17, 17, 17, 6, 0, 44, 58, 59 };
		ip6(&ip, CLI6, SRV6, nhs[diff_rand(9)], pl, n);
		if (diff_rand(6) == 0)
			ip.b[0] = (uint8_t)(diff_rand(16) << 4); /* another version */
		if (diff_rand(6) == 0) {                        /* payload length off */
			unsigned plen = (unsigned)n + diff_rand(3) - 1;
			ip.b[4] = (uint8_t)(plen >> 8);
			ip.b[5] = (uint8_t)plen;
		}
		ip.b[7] = (uint8_t)diff_rand(256);             /* hop limit */
	} else {
		static const unsigned protos[] = { 17, 17, 17, 17, 6, 1, 4, 47, 50 };
		static const unsigned frags[] = { 0, 0, 0x4000, 0x4000, 0x2000, 0x0001,
						  0x0100, 0x8000 };
		ip4(&ip, CLI4, SRV4, protos[diff_rand(9)], diff_rand(65536), frags[diff_rand(8)],
		    diff_rand(5) == 0, pl, n);
		if (diff_rand(8) == 0)
			ip.b[0] = (uint8_t)(diff_rand(16) << 4 | diff_rand(16)); /* version, IHL */
		if (diff_rand(5) == 0) { /* total length off (0 included: TSO) */
			unsigned tot = diff_rand(4) == 0 ? 0 : (unsigned)ip.n + diff_rand(5) - 2;
			ip.b[2] = (uint8_t)(tot >> 8);
			ip.b[3] = (uint8_t)tot;
		}
		ip.b[1] = (uint8_t)diff_rand(256); /* TOS */
		ip.b[8] = (uint8_t)diff_rand(256); /* TTL */
	}
	if (diff_rand(4) == 0) { /* Ethernet padding after the packet */
		uint8_t padding[6] = { 0 };
		put(&ip, padding, diff_rand(7));
	}
	assert_true(ip.n <= room);
	memcpy(out, ip.b, ip.n);
	return ip.n;
}

static enum mx_verdict diff_feed(struct mx_decoder *d, int dlt, const uint8_t *b, size_t caplen,
				 size_t len, uint64_t ts, uint64_t frame)
{
	struct mx_frame f = {
		.ts_us = ts, .frame = frame, .caplen = (uint32_t)caplen, .len = (uint32_t)len,
		.linktype = dlt, .data = b,
	};
	return mx_decode_frame(d, &f);
}

static void diff_check(struct mx_decoder *a, struct mx_decoder *b, const struct diffrec *ra,
		       const struct diffrec *rb)
{
	assert_memory_equal(mx_decode_peek_stats(a), mx_decode_peek_stats(b),
			    sizeof(struct mx_decode_stats));
	assert_int_equal(ra->n, rb->n);
	if (ra->n == 0)
		return;
	assert_memory_equal(&ra->p.src, &rb->p.src, sizeof(ra->p.src));
	assert_memory_equal(&ra->p.dst, &rb->p.dst, sizeof(ra->p.dst));
	assert_int_equal(ra->p.ts_us, rb->p.ts_us);
	assert_int_equal(ra->p.frame, rb->p.frame);
	assert_int_equal(ra->p.sport, rb->p.sport);
	assert_int_equal(ra->p.dport, rb->p.dport);
	assert_int_equal(ra->p.transport, rb->p.transport);
	assert_int_equal(ra->p.dns_len, rb->p.dns_len);
	assert_int_equal(ra->p.dns_wire_len, rb->p.dns_wire_len);
	assert_int_equal(ra->p.partial, rb->p.partial);
	assert_memory_equal(ra->bytes, rb->bytes, sizeof(ra->bytes));
}

static void fast_path_matches_general(void **state)
{
	(void)state;
	static struct diffrec ra, rb;
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	o.dns_ports[1] = 5353; /* two DNS ports: both bits of the port set */
	o.n_dns_ports = 2;
	struct mx_decode_cb ca = { .ctx = &ra, .dns = diff_on_dns };
	struct mx_decode_cb cbb = { .ctx = &rb, .dns = diff_on_dns };
	struct mx_decoder *a = mx_decoder_new(&o, &ca), *b = mx_decoder_new(&o, &cbb);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(mx_decode_is_dns_port(a, 53) && mx_decode_is_dns_port(a, 5353));
	assert_false(mx_decode_is_dns_port(a, 54) || mx_decode_is_dns_port(a, 5352) ||
		     mx_decode_is_dns_port(a, 0));
	static uint8_t pkt[600], eth_f[700], sll_f[700];
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint64_t ts = 7000000, frame = 0, fast = 0;
	for (int i = 0; i < 20000; i++) {
		bool v6 = diff_rand(3) == 0;
		size_t n = diff_packet(pkt, sizeof(pkt), v6);
		unsigned type = v6 ? 0x86dd : 0x0800;
		if (diff_rand(20) == 0)
			type = v6 ? 0x0800 : 0x86dd; /* the other version's EtherType */
		memcpy(eth_f, macs, 12);
		eth_f[12] = (uint8_t)(type >> 8);
		eth_f[13] = (uint8_t)type;
		memcpy(eth_f + 14, pkt, n);
		memset(sll_f, 0, 14);
		sll_f[1] = 4;  /* outgoing */
		sll_f[3] = 1;  /* ARPHRD_ETHER */
		sll_f[5] = 6;
		sll_f[14] = (uint8_t)(type >> 8);
		sll_f[15] = (uint8_t)type;
		memcpy(sll_f + 16, pkt, n);
		size_t len = n, cap = n;
		if (diff_rand(8) == 0) /* the capture cut it */
			cap = diff_rand((unsigned)n + 1);
		else if (diff_rand(8) == 0) /* shorter on the wire than it says */
			len = cap = n - diff_rand((unsigned)n + 1);
		ts += diff_rand(4) == 0 ? diff_rand(5000) : 0;
		frame++;
		uint64_t dns0 = mx_decode_peek_stats(a)->dns_udp;
		enum mx_verdict va = diff_feed(a, MX_DLT_EN10MB, eth_f, 14 + cap, 14 + len, ts, frame);
		enum mx_verdict vb = diff_feed(b, MX_DLT_LINUX_SLL, sll_f, 16 + cap, 16 + len, ts, frame);
		assert_int_equal(va, vb);
		diff_check(a, b, &ra, &rb);
		fast += mx_decode_peek_stats(a)->dns_udp != dns0;
		if (diff_rand(3) == 0) {
			/* a copy in the other framing (A) or the same one (B), a
			 * few microseconds on, TTL or hop limit changed */
			ts += diff_rand(3);
			frame++;
			sll_f[16 + (v6 ? 7 : 8)] ^= 0x55;
			va = diff_feed(a, MX_DLT_LINUX_SLL, sll_f, 16 + cap, 16 + len, ts, frame);
			vb = diff_feed(b, MX_DLT_LINUX_SLL, sll_f, 16 + cap, 16 + len, ts, frame);
			assert_int_equal(va, vb);
			diff_check(a, b, &ra, &rb);
		}
	}
	/* the common shape was common enough to have been exercised, and
	 * copies were found */
	assert_true(fast > 1000);
	assert_true(mx_decode_peek_stats(a)->reason[MX_R_CAPTURE_DUP] > 500);
	mx_decoder_free(a);
	mx_decoder_free(b);
}

/* mx_decode_dup_digest() against the plain form of the digest (two lanes
 * over the head, all of the payload up to 64 bytes else its first 48, a
 * zero-padded last word, then the last 16 bytes past a 48-byte head), on
 * every length 0..200 and random bytes: the unrolled form for long
 * payloads must give the same value. */
static uint64_t ref_step(uint64_t h, uint64_t w, uint64_t k)
{
	return (((h << 31) | (h >> 33)) ^ w) * k;
}

static uint64_t ref_load(const uint8_t *p, size_t k)
{
	uint64_t w = 0;
	for (size_t i = 0; i < k; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static uint64_t ref_digest(uint64_t hdr, const uint8_t *p, size_t n)
{
	const uint64_t k1 = 0x9e3779b97f4a7c15ull, k2 = 0xc2b2ae3d27d4eb4full;
	uint64_t a = (hdr ^ ((uint64_t)n << 48)) * k1, b = 0x6a09e667f3bcc909ull;
	size_t head = n <= 64 ? n : 48, i = 0;
	for (; i + 16 <= head; i += 16) {
		a = ref_step(a, ref_load(p + i, 8), k1);
		b = ref_step(b, ref_load(p + i + 8, 8), k2);
	}
	if (i + 8 <= head) {
		a = ref_step(a, ref_load(p + i, 8), k1);
		i += 8;
	}
	if (i < head)
		b = ref_step(b, ref_load(p + i, head - i), k2);
	if (head < n) {
		a = ref_step(a, ref_load(p + n - 16, 8), k1);
		b = ref_step(b, ref_load(p + n - 8, 8), k2);
	}
	uint64_t h = a ^ (b >> 31) ^ (a >> 29);
	h ^= b;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return h == 0 ? 1 : h;
}

static void test_dup_digest_forms(void **state)
{
	(void)state;
	uint8_t buf[256];
	uint64_t x = 0x243f6a8885a308d3ull;
	for (unsigned round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		for (size_t n = 0; n <= 200; n++) {
			uint64_t hdr = x * (n + 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* (the digest loads words in the machine's order; the
			 * plain form reads them little-endian) */
			if (mx_decode_dup_digest(hdr, buf, n) != ref_digest(hdr, buf, n))
				fail_msg("digest of %zu bytes differs from the plain form", n);
#endif
		}
	}
	/* one byte changed anywhere in what the digest covers changes it */
	for (size_t n = 65; n <= 200; n += 45) {
		uint64_t d0 = mx_decode_dup_digest(7, buf, n);
		for (size_t i = 0; i < n; i++) {
			if (i >= 48 && i < n - 16)
				continue;
			buf[i] ^= 0x40;
			assert_true(mx_decode_dup_digest(7, buf, n) != d0);
			buf[i] ^= 0x40;
		}
	}
}

/* --relayhost [HOST]:587: SYNs to the relay port are SMTP control segments
 * (tcpctl, tcp_smtp) only when the port is configured. */
static void smtp_relay_port(void **state)
{
	(void)state;
	struct buf fr = { .n = 0 }, t = { .n = 0 };
	tcp(&t, 50000, 587, 1, F_SYN, NULL, 0);
	ip4(&fr, CLI4, SRV4, 6, 1, 0, false, t.b, t.n);
	struct mx_decoder *d = mk();
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_NOT_DNS);
	assert_int_equal(R.n_ctl, 0);
	assert_int_equal(reason(d, MX_R_OTHER_PORT), 1);
	mx_decoder_free(d);
	struct mx_decode_opts o;
	mx_decode_opts_default(&o);
	o.smtp_ports[0] = 587;
	o.n_smtp_ports = 1;
	d = mk_opts(&o);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(reason(d, MX_R_TCP_SMTP), 1);
	assert_int_equal(R.n_ctl, 1);
	assert_int_equal(R.ctl[0].dport, 587);
	assert_true(R.ctl[0].syn);
	/* port 25 is still watched */
	t.n = fr.n = 0;
	tcp(&t, 50001, 25, 1, F_SYN, NULL, 0);
	ip4(&fr, CLI4, SRV4, 6, 1, 0, false, t.b, t.n);
	assert_int_equal(feed(d, MX_DLT_RAW, fr.b, fr.n), MX_V_OK);
	assert_int_equal(R.n_ctl, 2);
	mx_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dup_digest_forms),
		cmocka_unit_test(ethernet_udp4),
		cmocka_unit_test(offport_response),
		cmocka_unit_test(vlan_tags),
		cmocka_unit_test(cooked_sll_sll2),
		cmocka_unit_test(null_and_loop),
		cmocka_unit_test(raw_ip),
		cmocka_unit_test(ipv6_extension_headers),
		cmocka_unit_test(ipv4_malformed),
		cmocka_unit_test(ipv4_tso_zero_length),
		cmocka_unit_test(fragments),
		cmocka_unit_test(fragment_flood_bounded),
		cmocka_unit_test(tcp_streams),
		cmocka_unit_test(tcp_gap_over_ipv6),
		cmocka_unit_test(icmp_unreachable),
		cmocka_unit_test(truncation_sweep),
		cmocka_unit_test(garbage),
		cmocka_unit_test(names_and_options),
		cmocka_unit_test(capture_copies),
		cmocka_unit_test(capture_copies_interleaved),
		cmocka_unit_test(mpls_and_pppoe),
		cmocka_unit_test(ip_tunnels),
		cmocka_unit_test(tunnel_depth_frag_dup),
		cmocka_unit_test(ppp_hdlc_nflog_links),
		cmocka_unit_test(encap_truncation_sweep),
		cmocka_unit_test(fast_path_matches_general),
		cmocka_unit_test(capture_copy_digest_bytes),
		cmocka_unit_test(capture_copy_digest_pairs),
		cmocka_unit_test(smtp_relay_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
