/* gen.c - mxsniff-gen: writes the synthetic edge-case captures and the
 * benchmark capture (test tool, not part of mxsniff).
 *
 *   mxsniff-gen <scenario> <out>          one of the scenarios below
 *   mxsniff-gen bench [N [SEED]] <out>    benchmark capture of N packets
 *   mxsniff-gen list                      scenario names, one per line
 *
 * Does: build each scenario's frames with fixed timestamps (from
 * 2026-01-01T00:00:00Z), fixed DNS IDs and ports and a seeded PRNG, so the
 * output is byte-for-byte reproducible; captures/synthetic/README.md lists what
 * each file contains and what an analyser should observe. Does not: send any
 * packet (documentation addresses only, RFC 5737 / RFC 3849), read a clock, or
 * decide anything about the traffic.
 */
#include "gen.h"
#include "gen_patterns.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Senders (the "local" host), resolvers, others. */
#define S4 "192.0.2.10"
#define S6 "2001:db8::10"
#define R1 "198.51.100.53"
#define R2 "198.51.100.54"
#define R6 "2001:db8:53::53"
#define RWRONG "198.51.100.99"
#define ROUTER4 "192.0.2.1"

#define RR(...) ((const char *const[]){__VA_ARGS__, NULL})

struct g {
	struct gen_out o;
	struct gen_link l;
	uint16_t ipid;
	int encap;      /* E_NONE, or what emit_ip() wraps packets in (encap_wrap) */
};

static uint8_t ipbuf[GEN_MAX_FRAME];
static uint8_t frbuf[GEN_MAX_FRAME + 128];
static uint8_t dnsbuf[65536];
static uint8_t dnsbuf2[65536];

static void g_open(struct g *g, const char *path, int dlt, uint32_t snaplen, bool nano, bool ng)
{
	memset(g, 0, sizeof *g);
	gen_out_open(&g->o, path, dlt, snaplen, nano, ng);
	g->l.dlt = dlt;
	g->l.null_af6 = 30;
	g->ipid = 0x1000;
}

static int g_close(struct g *g)
{
	fprintf(stderr, "%s: %llu frames\n", g->o.path, (unsigned long long)g->o.frames);
	gen_out_close(&g->o);
	return 0;
}

static size_t encap_wrap(struct g *g, uint8_t *buf, int fam, bool out, const uint8_t *ip,
			 size_t n);

static void emit_ip(struct g *g, uint64_t ts, int fam, bool out, const uint8_t *ip, size_t n)
{
	size_t fl = g->encap ? encap_wrap(g, frbuf, fam, out, ip, n)
			     : gen_link_wrap(&g->l, frbuf, fam, out, ip, n);
	gen_out_frame(&g->o, GEN_T0_NS + ts, frbuf, (uint32_t)fl);
}

static void emit_raw(struct g *g, uint64_t ts, const uint8_t *b, size_t n)
{
	gen_out_frame(&g->o, GEN_T0_NS + ts, b, (uint32_t)n);
}

static void udp(struct g *g, uint64_t ts, const struct gen_ep *s, const struct gen_ep *d,
		const uint8_t *pl, size_t n)
{
	size_t l = gen_udp_packet(ipbuf, s, d, pl, n, g->ipid++);
	emit_ip(g, ts, s->fam, gen_ep_local(s), ipbuf, l);
}

/* A recursive query (RD=1) for "name. IN TYPE". */
static size_t query(uint8_t *b, uint16_t id, const char *q, uint16_t edns)
{
	struct gen_dns d = {.id = id, .rd = true, .q = q, .edns = edns};
	return gen_dns_build(b, 65535, &d);
}

static void dq(struct g *g, uint64_t ts, const struct gen_ep *s, const struct gen_ep *d,
	       uint16_t id, const char *q)
{
	size_t n = query(dnsbuf, id, q, 0);
	udp(g, ts, s, d, dnsbuf, n);
}

/* Response from d to s; spec->qr/rd/ra default to a recursive answer. */
static void dr(struct g *g, uint64_t ts, const struct gen_ep *from, const struct gen_ep *to,
	       struct gen_dns spec)
{
	spec.qr = true;
	spec.rd = true;
	spec.ra = true;
	size_t n = gen_dns_build(dnsbuf, sizeof dnsbuf, &spec);
	udp(g, ts, from, to, dnsbuf, n);
}

/* A query and its NOERROR answer `lat` later. */
static void pair(struct g *g, uint64_t ts, uint64_t lat, const struct gen_ep *c,
		 const struct gen_ep *s, uint16_t id, const char *q, const char *const *an)
{
	dq(g, ts, c, s, id, q);
	dr(g, ts + lat, s, c, (struct gen_dns){.id = id, .q = q, .an = an});
}

/* Fragment one UDP datagram (RFC 791 §2.3 / RFC 8200 §4.5) at `mtu` and emit
 * the fragments in `order` (indexes), `step` ns apart. */
static void udp_frag(struct g *g, uint64_t ts, uint64_t step, const struct gen_ep *s,
		     const struct gen_ep *d, const uint8_t *pl, size_t n, size_t mtu,
		     const int *order, int norder, uint32_t fragid)
{
	static uint8_t full[GEN_MAX_FRAME], fb[2048];
	size_t l = gen_udp_packet(full, s, d, pl, n, 0);
	size_t h = s->fam == 4 ? 20 : 40;
	const uint8_t *l4 = full + h;
	size_t l4n = l - h;
	size_t per = s->fam == 4 ? ((mtu - 20) & ~(size_t)7) : ((mtu - 48) & ~(size_t)7);
	int nfrag = (int)((l4n + per - 1) / per);
	if (norder != nfrag)
		gen_die("udp_frag: %d fragments, order lists %d", nfrag, norder);
	for (int i = 0; i < norder; i++) {
		int k = order[i];
		size_t off = (size_t)k * per;
		size_t len = l4n - off < per ? l4n - off : per;
		bool more = k < nfrag - 1;
		size_t fl;
		if (s->fam == 4) {
			gen_ip_hdr(fb, 4, s->a, d->a, 17, len, (uint16_t)fragid, 64);
			uint16_t fo = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
			fb[6] = (uint8_t)(fo >> 8);
			fb[7] = (uint8_t)fo;
			fb[10] = fb[11] = 0;
			uint16_t c = gen_cksum_fold(gen_cksum_add(0, fb, 20));
			fb[10] = (uint8_t)(c >> 8);
			fb[11] = (uint8_t)c;
			memcpy(fb + 20, l4 + off, len);
			fl = 20 + len;
		} else {
			gen_ip_hdr(fb, 6, s->a, d->a, 44, 8 + len, 0, 64);
			uint8_t *f = fb + 40;
			f[0] = 17;
			f[1] = 0;
			uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
			f[2] = (uint8_t)(fo >> 8);
			f[3] = (uint8_t)fo;
			f[4] = (uint8_t)(fragid >> 24);
			f[5] = (uint8_t)(fragid >> 16);
			f[6] = (uint8_t)(fragid >> 8);
			f[7] = (uint8_t)fragid;
			memcpy(fb + 48, l4 + off, len);
			fl = 48 + len;
		}
		emit_ip(g, ts + (uint64_t)i * step, s->fam, gen_ep_local(s), fb, fl);
	}
}

/* TCP segment with explicit sequence numbers. */
static void tcp(struct g *g, uint64_t ts, const struct gen_ep *s, const struct gen_ep *d,
		uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
	size_t l = gen_tcp_packet(ipbuf, s, d, seq, ack, flags, pl, n, g->ipid++);
	emit_ip(g, ts, s->fam, gen_ep_local(s), ipbuf, l);
}

/* ICMP destination unreachable (RFC 792; ICMPv6 RFC 4443 §3.1) from
 * `rep` to `to`, quoting `orig` (an IP packet) as far as the size rules allow
 * (576 bytes total for v4, RFC 1812 §4.3.2.3; 1280 for v6). */
static void icmp_unreach(struct g *g, uint64_t ts, const struct gen_ep *rep, const struct gen_ep *to,
			 uint8_t type, uint8_t code, const uint8_t *orig, size_t olen)
{
	static uint8_t m[1400], pk[1500];
	size_t max = rep->fam == 4 ? 576 - 20 - 8 : 1280 - 40 - 8;
	if (olen > max)
		olen = max;
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	memset(m + 4, 0, 4);
	memcpy(m + 8, orig, olen);
	size_t n = 8 + olen;
	uint16_t c;
	if (rep->fam == 4)
		c = gen_cksum_fold(gen_cksum_add(0, m, n));
	else
		c = gen_l4_cksum(6, rep->a, to->a, 58, m, n);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	size_t h = gen_ip_hdr(pk, rep->fam, rep->a, to->a, rep->fam == 4 ? 1 : 58, n, g->ipid++, 64);
	memcpy(pk + h, m, n);
	emit_ip(g, ts, rep->fam, gen_ep_local(rep), pk, h + n);
}

/* ================================================================ scenarios */

/* DNS over TCP (RFC 7766 §8, RFC 1035 §4.2.2): length prefix split across
 * segments, two messages in one segment, a retransmitted segment, an
 * out-of-order segment; then a second flow joined mid-stream. */
static int sc_tcp_split(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40001), s = gen_ep(R1, 53);
	uint8_t cs[2048], ss[4096];
	size_t cn = 0, sn = 0, m1, m2, m3, r1, r2, r3;
	const uint32_t ci = 1000, si = 5000; /* initial sequence numbers */

	/* client stream: [q1][q2][q3], server stream: [r1][r2][r3] */
#define APPEND(buf, n, msg, len) do { (buf)[(n)] = (uint8_t)((len) >> 8); (buf)[(n)+1] = (uint8_t)(len); \
		memcpy((buf) + (n) + 2, (msg), (len)); (n) += 2 + (len); } while (0)
	m1 = query(dnsbuf, 0x1001, "example.com. IN MX", 0);
	APPEND(cs, cn, dnsbuf, m1);
	m2 = query(dnsbuf, 0x1002, "mx1.example.com. IN A", 0);
	APPEND(cs, cn, dnsbuf, m2);
	m3 = query(dnsbuf, 0x1003, "mx1.example.com. IN AAAA", 0);
	APPEND(cs, cn, dnsbuf, m3);
	r1 = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x1001, .qr = true, .rd = true, .ra = true,
		.q = "example.com. IN MX",
		.an = RR("example.com. 3600 IN MX 10 mx1.example.com.", "example.com. 3600 IN MX 20 mx2.example.com.")});
	APPEND(ss, sn, dnsbuf, r1);
	r2 = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x1002, .qr = true, .rd = true, .ra = true,
		.q = "mx1.example.com. IN A", .an = RR("mx1.example.com. 300 IN A 203.0.113.25")});
	APPEND(ss, sn, dnsbuf, r2);
	r3 = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x1003, .qr = true, .rd = true, .ra = true,
		.q = "mx1.example.com. IN AAAA", .an = RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25")});
	APPEND(ss, sn, dnsbuf, r3);

	const uint32_t c0 = ci + 1, s0 = si + 1; /* first data byte */
	size_t q1e = 2 + m1, q3e = q1e + 2 + m2 + 2 + m3;
	size_t r1e = 2 + r1, r2e = r1e + 2 + r2, r3e = r2e + 2 + r3;
	size_t r3mid = r2e + (r3e - r2e) / 2;
	const uint8_t F = GEN_TH_ACK | GEN_TH_PSH;

	tcp(&g, GEN_US(0), &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
	tcp(&g, GEN_US(100), &s, &c, si, ci + 1, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
	tcp(&g, GEN_US(200), &c, &s, c0, s0, GEN_TH_ACK, NULL, 0);
	/* q1: first prefix byte alone, then the second prefix byte + message */
	tcp(&g, GEN_MS(1), &c, &s, c0, s0, F, cs, 1);
	tcp(&g, GEN_MS(2), &c, &s, c0 + 1, s0, F, cs + 1, q1e - 1);
	/* r1: prefix + 10 bytes, then the rest */
	tcp(&g, GEN_MS(10), &s, &c, s0, c0 + (uint32_t)q1e, F, ss, 12);
	tcp(&g, GEN_MS(11), &s, &c, s0 + 12, c0 + (uint32_t)q1e, F, ss + 12, r1e - 12);
	/* q2 + q3 in one segment */
	tcp(&g, GEN_MS(20), &c, &s, c0 + (uint32_t)q1e, s0 + (uint32_t)r1e, F, cs + q1e, q3e - q1e);
	/* r2, then the same segment again (retransmission) */
	tcp(&g, GEN_MS(30), &s, &c, s0 + (uint32_t)r1e, c0 + (uint32_t)q3e, F, ss + r1e, r2e - r1e);
	tcp(&g, GEN_MS(35), &s, &c, s0 + (uint32_t)r1e, c0 + (uint32_t)q3e, F, ss + r1e, r2e - r1e);
	/* r3: second half first (out of order), then the first half */
	tcp(&g, GEN_MS(40), &s, &c, s0 + (uint32_t)r3mid, c0 + (uint32_t)q3e, F, ss + r3mid, r3e - r3mid);
	tcp(&g, GEN_MS(41), &s, &c, s0 + (uint32_t)r2e, c0 + (uint32_t)q3e, F, ss + r2e, r3mid - r2e);
	/* close */
	tcp(&g, GEN_MS(42), &c, &s, c0 + (uint32_t)q3e, s0 + (uint32_t)r3e, GEN_TH_ACK, NULL, 0);
	tcp(&g, GEN_MS(50), &c, &s, c0 + (uint32_t)q3e, s0 + (uint32_t)r3e, GEN_TH_FIN | GEN_TH_ACK, NULL, 0);
	tcp(&g, GEN_MS(51), &s, &c, s0 + (uint32_t)r3e, c0 + (uint32_t)q3e + 1, GEN_TH_FIN | GEN_TH_ACK, NULL, 0);
	tcp(&g, GEN_MS(52), &c, &s, c0 + (uint32_t)q3e + 1, s0 + (uint32_t)r3e + 1, GEN_TH_ACK, NULL, 0);

	/* second flow, joined mid-stream (no SYN): one query, one response */
	struct gen_ep c2 = gen_ep(S4, 40002);
	uint8_t b[1024];
	size_t bn = 0, n;
	n = query(dnsbuf, 0x1004, "example.net. IN MX", 0);
	APPEND(b, bn, dnsbuf, n);
	tcp(&g, GEN_MS(100), &c2, &s, 777000, 888000, F, b, bn);
	uint32_t cack = 777000 + (uint32_t)bn;
	bn = 0;
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x1004, .qr = true, .rd = true, .ra = true,
		.q = "example.net. IN MX", .an = RR("example.net. 3600 IN MX 10 mail.example.net.")});
	APPEND(b, bn, dnsbuf, n);
	tcp(&g, GEN_MS(110), &s, &c2, 888000, cack, F, b, bn);
#undef APPEND
	return g_close(&g);
}

/* Large answer (owner, count, type) as a NULL-terminated list in static storage. */
static const char *const *many_rrs(const char *owner, const char *type, int n)
{
	static char text[400][96];
	static const char *list[401];
	if (n > 400)
		gen_die("many_rrs: too many");
	for (int i = 0; i < n; i++) {
		if (strcmp(type, "A") == 0)
			snprintf(text[i], sizeof text[i], "%s 300 IN A 203.0.113.%d", owner, i % 250 + 1);
		else
			snprintf(text[i], sizeof text[i], "%s 300 IN AAAA 2001:db8:aa::%x", owner, i + 1);
		list[i] = text[i];
	}
	list[n] = NULL;
	return list;
}

/* Large UDP responses (EDNS 4096) fragmented at MTU 1500: one set in order,
 * one set out of order. */
static int sc_frag(const char *path, int fam)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = fam == 4 ? gen_ep(S4, 40010) : gen_ep(S6, 40020);
	struct gen_ep s = fam == 4 ? gen_ep(R1, 53) : gen_ep(R6, 53);
	const char *type = fam == 4 ? "A" : "AAAA";
	int count = fam == 4 ? 200 : 150;
	char q1[96], q2[96], o1[32], o2[32];
	snprintf(o1, sizeof o1, "big.example.com.");
	snprintf(o2, sizeof o2, "big2.example.com.");
	snprintf(q1, sizeof q1, "%s IN %s", o1, type);
	snprintf(q2, sizeof q2, "%s IN %s", o2, type);
	static const int inorder[3] = {0, 1, 2}, shuffled[3] = {2, 0, 1};

	size_t n = query(dnsbuf, 0x2001, q1, 4096);
	udp(&g, GEN_MS(0), &c, &s, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x2001, .qr = true, .rd = true,
		.ra = true, .q = q1, .an = many_rrs(o1, type, count), .edns = 1232});
	udp_frag(&g, GEN_MS(20), GEN_US(10), &s, &c, dnsbuf, n, 1500, inorder, 3, 0x3001);

	n = query(dnsbuf, 0x2002, q2, 4096);
	udp(&g, GEN_MS(100), &c, &s, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x2002, .qr = true, .rd = true,
		.ra = true, .q = q2, .an = many_rrs(o2, type, count), .edns = 1232});
	udp_frag(&g, GEN_MS(120), GEN_US(10), &s, &c, dnsbuf, n, 1500, shuffled, 3, 0x3002);
	return g_close(&g);
}

static int sc_ipv4_frag(const char *path) { return sc_frag(path, 4); }
static int sc_ipv6_frag(const char *path) { return sc_frag(path, 6); }

/* Four query/response pairs, v4 and v6, for the link-type captures. */
static void four_pairs(struct g *g)
{
	struct gen_ep c4 = gen_ep(S4, 40030), r4 = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40031), r6 = gen_ep(R6, 53);
	pair(g, GEN_MS(0), GEN_MS(5), &c4, &r4, 0x3001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	pair(g, GEN_MS(10), GEN_MS(5), &c6, &r6, 0x3002, "mx1.example.com. IN AAAA",
	     RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25"));
	pair(g, GEN_MS(20), GEN_MS(5), &c4, &r4, 0x3003, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	pair(g, GEN_MS(30), GEN_MS(5), &c6, &r6, 0x3004, "example.net. IN MX",
	     RR("example.net. 3600 IN MX 10 mail.example.net."));
}

/* 802.1Q (VID 100) and QinQ (802.1ad 0x88a8 VID 200 outside, 802.1Q VID 300 inside). */
static int sc_vlan(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c4 = gen_ep(S4, 40040), r4 = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40041), r6 = gen_ep(R6, 53);
	g.l.nvlan = 1;
	g.l.tpid[0] = 0x8100;
	g.l.tci[0] = 100;
	pair(&g, GEN_MS(0), GEN_MS(5), &c4, &r4, 0x4001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	pair(&g, GEN_MS(10), GEN_MS(5), &c6, &r6, 0x4002, "mx1.example.com. IN AAAA",
	     RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25"));
	g.l.nvlan = 2;
	g.l.tpid[0] = 0x88a8;
	g.l.tci[0] = 200;
	g.l.tpid[1] = 0x8100;
	g.l.tci[1] = 300;
	pair(&g, GEN_MS(20), GEN_MS(5), &c4, &r4, 0x4003, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	pair(&g, GEN_MS(30), GEN_MS(5), &c6, &r6, 0x4004, "example.net. IN MX",
	     RR("example.net. 3600 IN MX 10 mail.example.net."));
	return g_close(&g);
}

/* An ARP request as the link layer would carry it (after the link header). */
static size_t arp_body(uint8_t *b)
{
	static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1,
		0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a, 192, 0, 2, 10,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 1};
	memcpy(b, arp, sizeof arp);
	return sizeof arp;
}

static int sc_sll(const char *path, int dlt)
{
	struct g g;
	g_open(&g, path, dlt, 262144, false, false);
	four_pairs(&g);
	/* one ARP frame: protocol 0x0806, not IP */
	uint8_t f[64];
	size_t n;
	if (dlt == DLT_LINUX_SLL) {
		static const uint8_t h[16] = {0, 4, 0, 1, 0, 6, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a, 0, 0, 0x08, 0x06};
		memcpy(f, h, 16);
		n = 16;
	} else {
		static const uint8_t h[20] = {0x08, 0x06, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6,
			0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a, 0, 0};
		memcpy(f, h, 20);
		n = 20;
	}
	n += arp_body(f + n);
	emit_raw(&g, GEN_MS(40), f, n);
	return g_close(&g);
}

static int sc_sll1(const char *path) { return sc_sll(path, DLT_LINUX_SLL); }
static int sc_sll2(const char *path) { return sc_sll(path, DLT_LINUX_SLL2); }

/* BSD loopback: AF_INET = 2; AF_INET6 = 30 (Darwin), 28 (FreeBSD), 24 (NetBSD/OpenBSD). */
static int sc_null(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_NULL, 262144, false, false);
	struct gen_ep c4 = gen_ep(S4, 40050), r4 = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40051), r6 = gen_ep(R6, 53);
	pair(&g, GEN_MS(0), GEN_MS(5), &c4, &r4, 0x5001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	g.l.null_af6 = 30;
	pair(&g, GEN_MS(10), GEN_MS(5), &c6, &r6, 0x5002, "mx1.example.com. IN AAAA",
	     RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25"));
	g.l.null_af6 = 28;
	pair(&g, GEN_MS(20), GEN_MS(5), &c6, &r6, 0x5003, "mx2.example.com. IN AAAA",
	     RR("mx2.example.com. 300 IN AAAA 2001:db8:25::26"));
	g.l.null_af6 = 24;
	pair(&g, GEN_MS(30), GEN_MS(5), &c6, &r6, 0x5004, "example.net. IN MX",
	     RR("example.net. 3600 IN MX 10 mail.example.net."));
	return g_close(&g);
}

static int sc_raw(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_RAW, 262144, false, false);
	four_pairs(&g);
	return g_close(&g);
}

/* snaplen 96: queries fit, responses are cut. */
static int sc_snaplen(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 96, false, false);
	struct gen_ep c4 = gen_ep(S4, 40060), r4 = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40061), r6 = gen_ep(R6, 53);
	pair(&g, GEN_MS(0), GEN_MS(5), &c4, &r4, 0x6001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com.", "example.com. 3600 IN MX 20 mx2.example.com."));
	dq(&g, GEN_MS(10), &c4, &r4, 0x6002, "nx.example.com. IN MX");
	dr(&g, GEN_MS(15), &r4, &c4, (struct gen_dns){.id = 0x6002, .rcode = 3, .q = "nx.example.com. IN MX",
		.ns = RR("example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2026010101 7200 3600 1209600 900")});
	pair(&g, GEN_MS(20), GEN_MS(5), &c6, &r6, 0x6003, "mail.example.org. IN AAAA",
	     RR("mail.example.org. 300 IN AAAA 2001:db8:25::30"));
	return g_close(&g);
}

/* Malformed responses (RFC 1035 §4.1.4 compression) built by hand; the header
 * and question are intact so each still matches its query. */
static size_t bad_resp(uint8_t *b, uint16_t id, const char *qname, uint16_t ancount)
{
	struct gen_wbuf w = {.b = b, .n = 0, .cap = 512};
	gen_w16(&w, id);
	gen_w16(&w, 0x8180); /* QR RD RA, NOERROR */
	gen_w16(&w, 1);
	gen_w16(&w, ancount);
	gen_w16(&w, 0);
	gen_w16(&w, 0);
	gen_wname(&w, qname);
	gen_w16(&w, 1);
	gen_w16(&w, 1);
	return w.n;
}

static void a_rr_tail(struct gen_wbuf *w)
{
	gen_w16(w, 1);
	gen_w16(w, 1);
	gen_w32(w, 300);
	gen_w16(w, 4);
	gen_w8(w, 203);
	gen_w8(w, 0);
	gen_w8(w, 113);
	gen_w8(w, 7);
}

static int sc_compression(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40070), s = gen_ep(R1, 53);
	struct gen_wbuf w;
	size_t off;

	/* 1: owner name is a pointer to itself */
	dq(&g, GEN_MS(0), &c, &s, 0x7001, "loop.example.com. IN A");
	w = (struct gen_wbuf){.b = dnsbuf2, .cap = 512};
	w.n = bad_resp(dnsbuf2, 0x7001, "loop.example.com", 1);
	off = w.n;
	gen_w16(&w, (uint16_t)(0xc000 | off));
	a_rr_tail(&w);
	udp(&g, GEN_MS(5), &s, &c, dnsbuf2, w.n);

	/* 2: forward pointer: the owner points at a name placed after it */
	dq(&g, GEN_MS(10), &c, &s, 0x7002, "fwd.example.com. IN A");
	w = (struct gen_wbuf){.b = dnsbuf2, .cap = 512};
	w.n = bad_resp(dnsbuf2, 0x7002, "fwd.example.com", 1);
	off = w.n;
	gen_w16(&w, (uint16_t)(0xc000 | (off + 16))); /* owner -> name after the RR */
	a_rr_tail(&w);                                  /* 14 bytes: ends at off+16 */
	gen_wname(&w, "fwd.example.com");             /* trailing bytes, target of the pointer */
	udp(&g, GEN_MS(15), &s, &c, dnsbuf2, w.n);

	/* 3: ANCOUNT 3, one record present */
	dq(&g, GEN_MS(20), &c, &s, 0x7003, "count.example.com. IN A");
	w = (struct gen_wbuf){.b = dnsbuf2, .cap = 512};
	w.n = bad_resp(dnsbuf2, 0x7003, "count.example.com", 3);
	gen_w16(&w, 0xc00c);
	a_rr_tail(&w);
	udp(&g, GEN_MS(25), &s, &c, dnsbuf2, w.n);

	/* 4: pointer past the end of the message */
	dq(&g, GEN_MS(30), &c, &s, 0x7004, "oob.example.com. IN A");
	w = (struct gen_wbuf){.b = dnsbuf2, .cap = 512};
	w.n = bad_resp(dnsbuf2, 0x7004, "oob.example.com", 1);
	gen_w16(&w, 0xc000 | 0x3f0);
	a_rr_tail(&w);
	udp(&g, GEN_MS(35), &s, &c, dnsbuf2, w.n);

	/* 5: two-name loop: RR1 owner "a" -> RR2 owner; RR2 owner "b" -> RR1 owner */
	dq(&g, GEN_MS(40), &c, &s, 0x7005, "loop2.example.com. IN A");
	w = (struct gen_wbuf){.b = dnsbuf2, .cap = 512};
	w.n = bad_resp(dnsbuf2, 0x7005, "loop2.example.com", 2);
	off = w.n;                   /* RR1 owner: 1 'a' ptr(off2) = 4 bytes, then 14 bytes */
	size_t off2 = off + 4 + 14;  /* RR2 owner */
	gen_w8(&w, 1);
	gen_w8(&w, 'a');
	gen_w16(&w, (uint16_t)(0xc000 | off2));
	a_rr_tail(&w);
	gen_w8(&w, 1);
	gen_w8(&w, 'b');
	gen_w16(&w, (uint16_t)(0xc000 | off));
	a_rr_tail(&w);
	udp(&g, GEN_MS(45), &s, &c, dnsbuf2, w.n);
	return g_close(&g);
}

/* Ethernet frame around an arbitrary IPv4 packet we build by hand. */
static void raw_ip4(struct g *g, uint64_t ts, const uint8_t *ip, size_t n)
{
	emit_ip(g, ts, 4, true, ip, n);
}

static int sc_garbage(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40100), s = gen_ep(R1, 53);
	struct gen_rng rng;
	gen_rng_seed(&rng, 53);
	uint8_t f[512];
	size_t n;
	uint64_t t = 0;

	/* 1: ARP */
	memset(f, 0xff, 6);
	memcpy(f + 6, (const uint8_t[]){0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a}, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	n = 14 + arp_body(f + 14);
	emit_raw(&g, t, f, n);
	/* 2: HTTP text on UDP 53 (opcode 10: not DNS) */
	static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	udp(&g, t += GEN_MS(10), &c, &s, (const uint8_t *)http, sizeof http - 1);
	/* 3: 5 bytes on UDP 53 (shorter than a DNS header) */
	udp(&g, t += GEN_MS(10), &c, &s, (const uint8_t *)"\x12\x34\x01\x00\x00", 5);
	/* 4-6: random payloads on UDP 53, opcode forced to 15 */
	for (int i = 0; i < 3; i++) {
		n = 40 + gen_rng_below(&rng, 160);
		for (size_t k = 0; k < n; k++)
			f[k] = (uint8_t)gen_rng_next(&rng);
		f[2] = (uint8_t)(f[2] | 0x78);
		udp(&g, t += GEN_MS(10), &c, &s, f, n);
	}
	/* 7: IPv4 header length 3 words (bad) */
	n = gen_udp_packet(ipbuf, &c, &s, (const uint8_t *)"xxxxxxxxxxxxxxxx", 16, 0x4444);
	ipbuf[0] = 0x43;
	raw_ip4(&g, t += GEN_MS(10), ipbuf, n);
	/* 8: UDP length 2000 in a 46-byte datagram */
	n = gen_udp_packet(ipbuf, &c, &s, (const uint8_t *)"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 38, 0x4445);
	ipbuf[24] = 2000 >> 8;
	ipbuf[25] = 2000 & 0xff;
	raw_ip4(&g, t += GEN_MS(10), ipbuf, n);
	/* 9: IPv4 protocol 50 (ESP: encrypted, nothing to decode) */
	n = gen_ip_hdr(ipbuf, 4, c.a, s.a, 50, 8, 0x4446, 64);
	memset(ipbuf + n, 0, 8);
	raw_ip4(&g, t += GEN_MS(10), ipbuf, n + 8);
	/* 10: UDP to port 123 */
	struct gen_ep ntp = gen_ep(R1, 123);
	memset(f, 0, 48);
	f[0] = 0x23;
	udp(&g, t += GEN_MS(10), &c, &ntp, f, 48);
	/* 11-14: random Ethernet frames, ethertype 0x88b5 (local experimental) */
	for (int i = 0; i < 4; i++) {
		n = 60 + gen_rng_below(&rng, 200);
		for (size_t k = 0; k < n; k++)
			f[k] = (uint8_t)gen_rng_next(&rng);
		f[12] = 0x88;
		f[13] = 0xb5;
		emit_raw(&g, t += GEN_MS(10), f, n);
	}
	/* 15: IPv6, next header 59 (no next header) */
	struct gen_ep c6 = gen_ep(S6, 0), s6 = gen_ep(R6, 0);
	n = gen_ip_hdr(ipbuf, 6, c6.a, s6.a, 59, 0, 0, 64);
	emit_ip(&g, t += GEN_MS(10), 6, true, ipbuf, n);
	/* 16-19: TCP 53 handshake, then a length prefix of 5 (< 12 header bytes) */
	struct gen_ep tc = gen_ep(S4, 40101);
	tcp(&g, t += GEN_MS(10), &tc, &s, 100, 0, GEN_TH_SYN, NULL, 0);
	tcp(&g, t += GEN_US(100), &s, &tc, 900, 101, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
	tcp(&g, t += GEN_US(100), &tc, &s, 101, 901, GEN_TH_ACK, NULL, 0);
	tcp(&g, t += GEN_MS(1), &tc, &s, 101, 901, GEN_TH_ACK | GEN_TH_PSH,
	    (const uint8_t *)"\x00\x05hello", 7);
	return g_close(&g);
}

/* DLT_IEEE802_11 (105): a data frame carrying a DNS query. */
static int sc_unsupported(const char *path)
{
	struct g g;
	g_open(&g, path, 105, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40110), s = gen_ep(R1, 53);
	dq(&g, 0, &c, &s, 0x8001, "example.com. IN MX");
	return g_close(&g);
}

/* A valid capture cut in the middle of the 4th record's packet data. */
static int sc_truncated(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40120), s = gen_ep(R1, 53);
	pair(&g, GEN_MS(0), GEN_MS(5), &c, &s, 0x9001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	pair(&g, GEN_MS(10), GEN_MS(5), &c, &s, 0x9002, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	g_close(&g);
	/* last record: 16-byte header + frame; cut 20 bytes before the end */
	FILE *fp = fopen(path, "r+b");
	if (!fp || fseek(fp, 0, SEEK_END) != 0)
		gen_die("%s: reopen failed", path);
	long sz = ftell(fp);
	fclose(fp);
	if (sz < 40 || truncate(path, (off_t)(sz - 20)) != 0)
		gen_die("%s: truncate failed", path);
	return 0;
}

/* Nanosecond-precision pcap; latencies are exact in ns, floored to us. */
static int sc_nano(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, true, false);
	struct gen_ep c = gen_ep(S4, 40130), s = gen_ep(R1, 53);
	dq(&g, GEN_S(1) + 1234, &c, &s, 0xa001, "example.com. IN MX");
	dr(&g, GEN_S(1) + 12345678, &s, &c, (struct gen_dns){.id = 0xa001, .q = "example.com. IN MX",
		.an = RR("example.com. 3600 IN MX 10 mx1.example.com.")});
	dq(&g, GEN_S(2) + 999, &c, &s, 0xa002, "mx1.example.com. IN A");
	dr(&g, GEN_S(2) + 1001, &s, &c, (struct gen_dns){.id = 0xa002, .q = "mx1.example.com. IN A",
		.an = RR("mx1.example.com. 300 IN A 203.0.113.25")});
	return g_close(&g);
}

/* Queries answered by ICMP/ICMPv6 destination unreachable. */
static int sc_icmp(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c4 = gen_ep(S4, 40140), r1 = gen_ep(R1, 53), r2 = gen_ep(R2, 53);
	struct gen_ep c6 = gen_ep(S6, 40141), r6 = gen_ep(R6, 53);
	struct gen_ep router = gen_ep(ROUTER4, 0);
	size_t n, l;

	/* v4 port unreachable from the resolver */
	n = query(dnsbuf, 0xb001, "example.com. IN MX", 0);
	l = gen_udp_packet(ipbuf, &c4, &r1, dnsbuf, n, g.ipid++);
	emit_ip(&g, GEN_MS(0), 4, true, ipbuf, l);
	memcpy(dnsbuf2, ipbuf, l);
	icmp_unreach(&g, GEN_MS(1), &r1, &c4, 3, 3, dnsbuf2, l);
	/* v6 port unreachable */
	n = query(dnsbuf, 0xb002, "example.com. IN AAAA", 0);
	l = gen_udp_packet(ipbuf, &c6, &r6, dnsbuf, n, 0);
	emit_ip(&g, GEN_MS(10), 6, true, ipbuf, l);
	memcpy(dnsbuf2, ipbuf, l);
	icmp_unreach(&g, GEN_MS(11), &r6, &c6, 1, 4, dnsbuf2, l);
	/* v4 host unreachable from a router, quoting a query to R2 */
	n = query(dnsbuf, 0xb003, "example.net. IN MX", 0);
	l = gen_udp_packet(ipbuf, &c4, &r2, dnsbuf, n, g.ipid++);
	emit_ip(&g, GEN_MS(20), 4, true, ipbuf, l);
	memcpy(dnsbuf2, ipbuf, l);
	icmp_unreach(&g, GEN_MS(23), &router, &c4, 3, 1, dnsbuf2, l);
	/* NTP to port 123 and its port unreachable: not DNS */
	struct gen_ep ntpc = gen_ep(S4, 123), ntps = gen_ep(R1, 123);
	uint8_t ntp[48] = {0x23};
	l = gen_udp_packet(ipbuf, &ntpc, &ntps, ntp, sizeof ntp, g.ipid++);
	emit_ip(&g, GEN_MS(30), 4, true, ipbuf, l);
	memcpy(dnsbuf2, ipbuf, l);
	icmp_unreach(&g, GEN_MS(31), &r1, &ntpc, 3, 3, dnsbuf2, l);
	return g_close(&g);
}

/* Transaction edge cases (txn.h). Times are seconds from T0. */
static int sc_txn_edge(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep r1 = gen_ep(R1, 53), r2 = gen_ep(R2, 53), wrong = gen_ep(RWRONG, 53);
	struct gen_ep c;
	char rr[128];
#define A_RR(name, ip) (snprintf(rr, sizeof rr, "%s 300 IN A %s", name, ip), RR(rr))

	/* a: late response (7 s after the query: after the 5 s timeout) */
	c = gen_ep(S4, 30001);
	dq(&g, GEN_S(0), &c, &r1, 0x2001, "late.example.com. IN A");
	/* b: answered, then the same response again (duplicate) */
	c = gen_ep(S4, 30002);
	dq(&g, GEN_S(1), &c, &r1, 0x2002, "dup.example.com. IN A");
	dr(&g, GEN_S(1) + GEN_MS(10), &r1, &c, (struct gen_dns){.id = 0x2002, .q = "dup.example.com. IN A",
		.an = A_RR("dup.example.com.", "203.0.113.41")});
	dr(&g, GEN_S(1) + GEN_MS(20), &r1, &c, (struct gen_dns){.id = 0x2002, .q = "dup.example.com. IN A",
		.an = A_RR("dup.example.com.", "203.0.113.41")});
	/* c: unsolicited response (no query) */
	c = gen_ep(S4, 30003);
	dr(&g, GEN_S(2), &r1, &c, (struct gen_dns){.id = 0x2003, .q = "unsol.example.com. IN A",
		.an = A_RR("unsol.example.com.", "203.0.113.42")});
	/* d: a response from the wrong server address, then the right one */
	c = gen_ep(S4, 30004);
	dq(&g, GEN_S(3), &c, &r1, 0x2004, "wrongsrc.example.com. IN A");
	dr(&g, GEN_S(3) + GEN_MS(5), &wrong, &c, (struct gen_dns){.id = 0x2004, .q = "wrongsrc.example.com. IN A",
		.an = A_RR("wrongsrc.example.com.", "203.0.113.66")});
	dr(&g, GEN_S(3) + GEN_MS(20), &r1, &c, (struct gen_dns){.id = 0x2004, .q = "wrongsrc.example.com. IN A",
		.an = A_RR("wrongsrc.example.com.", "203.0.113.43")});
	/* e: REFUSED without a question section */
	c = gen_ep(S4, 30005);
	dq(&g, GEN_S(4), &c, &r2, 0x2005, "refused.example.com. IN MX");
	{
		struct gen_dns d = {.id = 0x2005, .qr = true, .rd = true, .rcode = 5};
		size_t n = gen_dns_build(dnsbuf, sizeof dnsbuf, &d);
		udp(&g, GEN_S(4) + GEN_MS(1), &r2, &c, dnsbuf, n);
	}
	/* the late response for (a) */
	c = gen_ep(S4, 30001);
	dr(&g, GEN_S(7), &r1, &c, (struct gen_dns){.id = 0x2001, .q = "late.example.com. IN A",
		.an = A_RR("late.example.com.", "203.0.113.44")});
	/* f: retransmission (same ID, same port) 2 s later, then the answer */
	c = gen_ep(S4, 30006);
	dq(&g, GEN_S(10), &c, &r1, 0x2006, "retx.example.com. IN A");
	dq(&g, GEN_S(12), &c, &r1, 0x2006, "retx.example.com. IN A");
	dr(&g, GEN_S(12) + GEN_MS(30), &r1, &c, (struct gen_dns){.id = 0x2006, .q = "retx.example.com. IN A",
		.an = A_RR("retx.example.com.", "203.0.113.45")});
	/* g: glibc-like retries, new ID and port each time, R1 R2 R1, 5 s apart */
	c = gen_ep(S4, 30007);
	dq(&g, GEN_S(20), &c, &r1, 0x2007, "retry.example.com. IN AAAA");
	c = gen_ep(S4, 30008);
	dq(&g, GEN_S(25), &c, &r2, 0x2008, "retry.example.com. IN AAAA");
	c = gen_ep(S4, 30009);
	dq(&g, GEN_S(30), &c, &r1, 0x2009, "retry.example.com. IN AAAA");
	dr(&g, GEN_S(30) + GEN_MS(50), &r1, &c, (struct gen_dns){.id = 0x2009, .q = "retry.example.com. IN AAAA",
		.an = RR("retry.example.com. 300 IN AAAA 2001:db8:25::45")});
	/* h: a query in the last second, never answered; then a last answered pair */
	c = gen_ep(S4, 30010);
	dq(&g, GEN_S(59) + GEN_MS(500), &c, &r1, 0x200a, "pending.example.com. IN MX");
	c = gen_ep(S4, 30011);
	pair(&g, GEN_S(59) + GEN_MS(600), GEN_MS(10), &c, &r1, 0x200b, "tail.example.com. IN A",
	     A_RR("tail.example.com.", "203.0.113.46"));
#undef A_RR
	return g_close(&g);
}

/* A response whose source port NAT rewrote: the query goes to R1 port 53,
 * the answer comes back from R1 port 10053 to the client's port (decode
 * reason response_other_port, stray WRONG_SOURCE, the query times out).
 * Around it, datagrams to the same client port that are no such response
 * stay other_port: NTP, and a response header with another ID. */
static int sc_wrong_port(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep r1 = gen_ep(R1, 53), nat = gen_ep(R1, 10053), ntps = gen_ep(R1, 123), c;

	c = gen_ep(S4, 31001);
	dq(&g, GEN_S(1), &c, &r1, 0x3001, "natport.example.com. IN A");
	uint8_t ntp[48] = {0x24, 2, 6, 0xe9}; /* server reply, stratum 2, poll 6 */
	udp(&g, GEN_S(1) + GEN_MS(4), &ntps, &c, ntp, sizeof ntp);
	dr(&g, GEN_S(1) + GEN_MS(5), &nat, &c, (struct gen_dns){.id = 0x3002, .q = "natport.example.com. IN A",
		.an = RR("natport.example.com. 300 IN A 203.0.113.47")});
	dr(&g, GEN_S(1) + GEN_MS(10), &nat, &c, (struct gen_dns){.id = 0x3001, .q = "natport.example.com. IN A",
		.an = RR("natport.example.com. 300 IN A 203.0.113.47")});
	c = gen_ep(S4, 31002);
	pair(&g, GEN_S(7), GEN_MS(10), &c, &r1, 0x3003, "tail.example.com. IN A",
	     RR("tail.example.com. 300 IN A 203.0.113.46"));
	return g_close(&g);
}

/* Responses captured before their query: a mirror (SPAN) port or a
 * multi-queue NIC can deliver a fast cached answer ahead of the query it
 * answers, and merged files are not always in time order. (a) the MX answer
 * 50 us before its query; (b) file order answer then query, timestamps in
 * order (the answer 300 us after); (c) an AAAA SERVFAIL before its query,
 * then the A query answered normally; (d) a true unsolicited response (no
 * query ever); (e) an answer 2 s before a query with its key: too far apart
 * to pair (unsolicited; the query is unanswered). */
static int sc_reordered(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep r = gen_ep(R1, 53), c;

	c = gen_ep(S4, 42001); /* (a) */
	dr(&g, GEN_S(1), &r, &c, (struct gen_dns){.id = 0xd001, .q = "example.com. IN MX",
		.an = RR("example.com. 3600 IN MX 10 mx1.example.com.")});
	dq(&g, GEN_S(1) + GEN_US(50), &c, &r, 0xd001, "example.com. IN MX");
	c = gen_ep(S4, 42002); /* (b) */
	dr(&g, GEN_S(2) + GEN_US(300), &r, &c, (struct gen_dns){.id = 0xd002, .q = "mx1.example.com. IN A",
		.an = RR("mx1.example.com. 300 IN A 203.0.113.25")});
	dq(&g, GEN_S(2), &c, &r, 0xd002, "mx1.example.com. IN A");
	c = gen_ep(S4, 42003); /* (c) */
	dr(&g, GEN_S(3), &r, &c, (struct gen_dns){.id = 0xd003, .rcode = 2, .q = "mx1.example.com. IN AAAA"});
	dq(&g, GEN_S(3) + GEN_US(20), &c, &r, 0xd003, "mx1.example.com. IN AAAA");
	c = gen_ep(S4, 42004);
	pair(&g, GEN_S(3) + GEN_MS(2), GEN_MS(1), &c, &r, 0xd004, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	c = gen_ep(S4, 42005); /* (d) */
	dr(&g, GEN_S(4), &r, &c, (struct gen_dns){.id = 0xd005, .q = "nobody-asked.example. IN A",
		.an = RR("nobody-asked.example. 300 IN A 203.0.113.99")});
	c = gen_ep(S4, 42006); /* (e) */
	dr(&g, GEN_S(6), &r, &c, (struct gen_dns){.id = 0xd006, .q = "far.example. IN A",
		.an = RR("far.example. 300 IN A 203.0.113.98")});
	dq(&g, GEN_S(8), &c, &r, 0xd006, "far.example. IN A");
	/* a last ordinary pair 10 s on, so (e) ends unanswered, not pending */
	c = gen_ep(S4, 42007);
	pair(&g, GEN_S(18), GEN_MS(1), &c, &r, 0xd007, "tail.example. IN A", RR("tail.example. 300 IN A 203.0.113.97"));
	return g_close(&g);
}

/* An MTA (Postfix-like: MX, then A then AAAA per exchange) delivering to
 * example.com (mx1 AAAA SERVFAIL, A ok; mx2 both ok; then a TCP SYN to port 25)
 * and to no-such-domain.example (MX NXDOMAIN). */
static int sc_mail_chain(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep r = gen_ep(R1, 53), c;

	c = gen_ep(S4, 41001);
	pair(&g, GEN_MS(0), GEN_MS(20), &c, &r, 0xc001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com.", "example.com. 3600 IN MX 20 mx2.example.com."));
	c = gen_ep(S4, 41002);
	pair(&g, GEN_MS(21), GEN_MS(4), &c, &r, 0xc002, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	c = gen_ep(S4, 41003);
	dq(&g, GEN_MS(26), &c, &r, 0xc003, "mx1.example.com. IN AAAA");
	dr(&g, GEN_MS(526), &r, &c, (struct gen_dns){.id = 0xc003, .rcode = 2, .q = "mx1.example.com. IN AAAA"});
	c = gen_ep(S4, 41004);
	pair(&g, GEN_MS(527), GEN_MS(3), &c, &r, 0xc004, "mx2.example.com. IN A",
	     RR("mx2.example.com. 300 IN A 203.0.113.26"));
	c = gen_ep(S4, 41005);
	pair(&g, GEN_MS(531), GEN_MS(9), &c, &r, 0xc005, "mx2.example.com. IN AAAA",
	     RR("mx2.example.com. 300 IN AAAA 2001:db8:25::26"));
	/* delivery: SYN to mx1 (203.0.113.25:25) and its SYN-ACK */
	struct gen_ep smtpc = gen_ep(S4, 45001), smtps = gen_ep("203.0.113.25", 25);
	tcp(&g, GEN_MS(600), &smtpc, &smtps, 11111, 0, GEN_TH_SYN, NULL, 0);
	tcp(&g, GEN_MS(650), &smtps, &smtpc, 22222, 11112, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
	/* second domain: NXDOMAIN with the root zone's-style SOA of .example */
	c = gen_ep(S4, 41006);
	dq(&g, GEN_S(5), &c, &r, 0xc006, "no-such-domain.example. IN MX");
	dr(&g, GEN_S(5) + GEN_MS(30), &r, &c, (struct gen_dns){.id = 0xc006, .rcode = 3,
		.q = "no-such-domain.example. IN MX",
		.ns = RR("example. 3600 IN SOA ns.example. hostmaster.example. 2026010101 7200 3600 1209600 900")});
	return g_close(&g);
}

/* pcapng (SHB, IDB EN10MB, EPBs): two query/response pairs. */
static int sc_pcapng(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, true);
	struct gen_ep c = gen_ep(S4, 40150), s = gen_ep(R1, 53);
	pair(&g, GEN_MS(0), GEN_MS(7), &c, &s, 0xd001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	pair(&g, GEN_MS(10), GEN_MS(3), &c, &s, 0xd002, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	return g_close(&g);
}

/* ---- capture duplicates (tcpdump -i any on a host with a bridge) ---- */

/* The last frame written by emit_ip()/udp() again, `after` ns later, as the
 * SLL2 header of another interface shows it (ifindex, packet type): what
 * `tcpdump -i any` records when the packet crosses a veth and a bridge. */
static void dup_last(struct g *g, uint64_t ts, uint64_t after, uint32_t ifindex, uint8_t pkttype,
		     size_t n)
{
	frbuf[4] = (uint8_t)(ifindex >> 24);
	frbuf[5] = (uint8_t)(ifindex >> 16);
	frbuf[6] = (uint8_t)(ifindex >> 8);
	frbuf[7] = (uint8_t)ifindex;
	frbuf[10] = pkttype;
	gen_out_frame(&g->o, GEN_T0_NS + ts + after, frbuf, (uint32_t)n);
}

static size_t udp_len(struct g *g, uint64_t ts, const struct gen_ep *s, const struct gen_ep *d,
		      const uint8_t *pl, size_t n)
{
	size_t l = gen_udp_packet(ipbuf, s, d, pl, n, g->ipid++);
	size_t fl = gen_link_wrap(&g->l, frbuf, s->fam, gen_ep_local(s), ipbuf, l);
	gen_out_frame(&g->o, GEN_T0_NS + ts, frbuf, (uint32_t)fl);
	return fl;
}

/* Every DNS packet twice within 30 µs on two interfaces (Linux SLL2, as
 * `tcpdump -i any` writes it), and a real retransmission: the AAAA query
 * unanswered for 2 s and sent again with the same bytes (glibc), both copies
 * duplicated too. */
static int sc_dup_capture(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_LINUX_SLL2, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40170), r = gen_ep(R1, 53);
	struct {
		uint16_t id;
		const char *q;
		const char *const *an;
		uint64_t t;
	} x[] = {
		{0xf001, "example.com. IN MX", RR("example.com. 3600 IN MX 10 mx1.example.com."), 0},
		{0xf002, "mx1.example.com. IN A", RR("mx1.example.com. 300 IN A 203.0.113.25"), GEN_MS(20)},
		{0xf003, "mx1.example.com. IN AAAA", RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25"),
		 GEN_MS(25)},
	};
	for (size_t i = 0; i < 3; i++) {
		size_t n = query(dnsbuf, x[i].id, x[i].q, 0), fl;
		uint64_t t = x[i].t;
		c.port = (uint16_t)(40170 + i);
		fl = udp_len(&g, t, &c, &r, dnsbuf, n);                 /* veth, outgoing */
		dup_last(&g, t, GEN_US(12), 3, 0, fl);                  /* bridge */
		if (i == 2) {
			/* no answer: glibc ("options timeout:2") resends the same
			 * datagram 2 s later */
			t += GEN_S(2);
			g.ipid--;   /* same bytes, IP ID included */
			fl = udp_len(&g, t, &c, &r, dnsbuf, n);
			dup_last(&g, t, GEN_US(15), 3, 0, fl);
		}
		n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = x[i].id, .qr = true,
			.rd = true, .ra = true, .q = x[i].q, .an = x[i].an});
		fl = udp_len(&g, t + GEN_MS(4), &r, &c, dnsbuf, n);      /* eth0, incoming */
		dup_last(&g, t + GEN_MS(4), GEN_US(30), 3, 4, fl);      /* bridge, outgoing */
	}
	return g_close(&g);
}

/* ---- DNS shapes other than one stub query and its answer ---- */

/* One TCP DNS message (length prefix + msg) from s to d at *seq. */
static void tcp_msg(struct g *g, uint64_t ts, const struct gen_ep *s, const struct gen_ep *d,
		    uint32_t *seq, uint32_t ack, const uint8_t *m, size_t n)
{
	static uint8_t b[70000];
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	memcpy(b + 2, m, n);
	tcp(g, ts, s, d, *seq, ack, GEN_TH_ACK | GEN_TH_PSH, b, n + 2);
	*seq += (uint32_t)(n + 2);
}

/* A raw message: header fields, then `q` questions "name type" (class IN). */
static size_t raw_msg(uint8_t *out, uint16_t id, uint16_t flags, const char *const *qs, int nq,
		      bool opt)
{
	struct gen_wbuf w = {out, 0, 65535};
	gen_w16(&w, id);
	gen_w16(&w, flags);
	gen_w16(&w, (uint16_t)nq);
	gen_w16(&w, 0);
	gen_w16(&w, 0);
	gen_w16(&w, opt ? 1 : 0);
	for (int i = 0; i < nq; i++) {
		gen_wname(&w, qs[2 * i]);
		gen_w16(&w, (uint16_t)atoi(qs[2 * i + 1]));
		gen_w16(&w, 1);
	}
	if (opt) {
		/* root, OPT, 1232, ext rcode/version/flags 0, COOKIE option (RFC
		 * 7873 §4): 8-byte client cookie */
		static const uint8_t o[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12,
					    0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
		gen_wbytes(&w, o, sizeof o);
	}
	return w.n;
}

/* AXFR over TCP answered in three messages (RFC 5936 §2.2), IXFR over TCP in
 * one, NOTIFY (RFC 1996) and UPDATE (RFC 2136) with their responses, a
 * cookie-only query (QDCOUNT 0, RFC 7873 §5.4) and its answer, a query with
 * two questions answered FORMERR, a server-to-server query 53 -> 53 (RD=0),
 * and a 0x20 mixed-case MX query whose answer owners are in lower case. */
static int sc_dns_shapes(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep sec = gen_ep("192.0.2.53", 40200), pri = gen_ep(R1, 53);
	struct gen_ep c = gen_ep(S4, 40210), r = gen_ep(R2, 53);
	const char *soa = "example.com. 3600 IN SOA ns.example.com. hostmaster.example.com. 7 7200 3600 1209600 300";
	uint32_t cs = 1000, ss = 9000;
	size_t n;

	/* AXFR: handshake, query, three response messages, close */
	tcp(&g, GEN_MS(0), &sec, &pri, cs, 0, GEN_TH_SYN, NULL, 0);
	tcp(&g, GEN_MS(1), &pri, &sec, ss, cs + 1, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
	cs++, ss++;
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa001, .q = "example.com. IN AXFR"});
	tcp_msg(&g, GEN_MS(2), &sec, &pri, &cs, ss, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa001, .qr = true, .aa = true,
		.q = "example.com. IN AXFR", .an = RR(soa, "example.com. 3600 IN NS ns.example.com.",
		"example.com. 3600 IN MX 10 mx1.example.com.")});
	tcp_msg(&g, GEN_MS(5), &pri, &sec, &ss, cs, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa001, .qr = true, .aa = true,
		.an = RR("mx1.example.com. 300 IN A 203.0.113.25", "ns.example.com. 300 IN A 203.0.113.53")});
	tcp_msg(&g, GEN_MS(6), &pri, &sec, &ss, cs, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa001, .qr = true, .aa = true,
		.an = RR("mx1.example.com. 300 IN AAAA 2001:db8:25::25", soa)});
	tcp_msg(&g, GEN_MS(7), &pri, &sec, &ss, cs, dnsbuf, n);
	/* IXFR on the same connection (RFC 1995 §4: one message, up to date) */
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa002,
		.q = "example.com. IN IXFR", .ns = RR(soa)});
	tcp_msg(&g, GEN_MS(8), &sec, &pri, &cs, ss, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa002, .qr = true, .aa = true,
		.q = "example.com. IN IXFR", .an = RR(soa)});
	tcp_msg(&g, GEN_MS(9), &pri, &sec, &ss, cs, dnsbuf, n);
	tcp(&g, GEN_MS(10), &sec, &pri, cs, ss, GEN_TH_FIN | GEN_TH_ACK, NULL, 0);
	tcp(&g, GEN_MS(11), &pri, &sec, ss, cs + 1, GEN_TH_FIN | GEN_TH_ACK, NULL, 0);

	/* NOTIFY (opcode 4, AA) primary -> secondary, and its response */
	struct gen_ep pri_n = gen_ep(R1, 40300), sec53 = gen_ep("192.0.2.53", 53);
	n = raw_msg(dnsbuf, 0xa003, 0x2400, (const char *const[]){"example.com", "6"}, 1, false);
	udp(&g, GEN_MS(20), &pri_n, &sec53, dnsbuf, n);
	n = raw_msg(dnsbuf, 0xa003, 0xa400, (const char *const[]){"example.com", "6"}, 1, false);
	udp(&g, GEN_MS(21), &sec53, &pri_n, dnsbuf, n);
	/* UPDATE (opcode 5): zone example.com SOA, empty prerequisites/updates */
	c.port = 40211;
	n = raw_msg(dnsbuf, 0xa004, 0x2800, (const char *const[]){"example.com", "6"}, 1, false);
	udp(&g, GEN_MS(30), &c, &pri, dnsbuf, n);
	n = raw_msg(dnsbuf, 0xa004, 0xa805, (const char *const[]){"example.com", "6"}, 1, false);
	udp(&g, GEN_MS(31), &pri, &c, dnsbuf, n);   /* REFUSED */
	/* cookie-only query (QDCOUNT 0 + OPT COOKIE) and its BADCOOKIE-free answer */
	c.port = 40212;
	n = raw_msg(dnsbuf, 0xa005, 0x0100, NULL, 0, true);
	udp(&g, GEN_MS(40), &c, &r, dnsbuf, n);
	n = raw_msg(dnsbuf, 0xa005, 0x8180, NULL, 0, true);
	udp(&g, GEN_MS(41), &r, &c, dnsbuf, n);
	/* two questions: FORMERR with the questions echoed */
	c.port = 40213;
	const char *const two[] = {"example.com", "15", "example.com", "28"};
	n = raw_msg(dnsbuf, 0xa006, 0x0100, two, 2, false);
	udp(&g, GEN_MS(50), &c, &r, dnsbuf, n);
	n = raw_msg(dnsbuf, 0xa006, 0x8181, two, 2, false);
	udp(&g, GEN_MS(51), &r, &c, dnsbuf, n);
	/* server to server, 53 -> 53, RD=0, answer AA */
	struct gen_ep rs = gen_ep(R2, 53), auth = gen_ep("203.0.113.53", 53);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa007,
		.q = "example.org. IN MX"});
	udp(&g, GEN_MS(60), &rs, &auth, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xa007, .qr = true, .aa = true,
		.q = "example.org. IN MX", .an = RR("example.org. 300 IN MX 10 mail.example.org.")});
	udp(&g, GEN_MS(62), &auth, &rs, dnsbuf, n);
	/* 0x20: the question as sent, answer owners in lower case (a cache) */
	c.port = 40214;
	dq(&g, GEN_MS(70), &c, &r, 0xa008, "ExAmPlE.nEt. IN MX");
	dr(&g, GEN_MS(72), &r, &c, (struct gen_dns){.id = 0xa008, .q = "ExAmPlE.nEt. IN MX",
		.an = RR("example.net. 300 IN MX 10 MaIl.ExAmPlE.nEt.")});
	c.port = 40215;
	dq(&g, GEN_MS(73), &c, &r, 0xa009, "mAiL.eXaMpLe.NeT. IN A");
	dr(&g, GEN_MS(75), &r, &c, (struct gen_dns){.id = 0xa009, .q = "mAiL.eXaMpLe.NeT. IN A",
		.an = RR("mail.example.net. 300 IN CNAME Host.Example.Net.",
			 "host.example.net. 300 IN A 203.0.113.80")});
	return g_close(&g);
}

/* mDNS (RFC 6762) and LLMNR (RFC 4795), read with --dns-port 5353
 * --dns-port 5355: queries to the multicast groups, answers to the group
 * without a question (mDNS), a legacy unicast mDNS query answered unicast
 * with the question (§6.7), an LLMNR query answered unicast by the owner of
 * the name, and an mDNS query nobody answers. */
static int sc_mdns_llmnr(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 5353), grp = gen_ep("224.0.0.251", 5353);
	struct gen_ep peer = gen_ep("192.0.2.20", 5353), owner = gen_ep("192.0.2.30", 5355);
	struct gen_ep llmnr = gen_ep("224.0.0.252", 5355), c6 = gen_ep(S6, 5353);
	struct gen_ep grp6 = gen_ep("ff02::fb", 5353);
	size_t n;

	/* QM query for printer.local A, answered to the group (ID 0, no question) */
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .q = "printer.local. IN A"});
	udp(&g, GEN_MS(0), &c, &grp, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .qr = true, .aa = true,
		.an = RR("printer.local. 120 IN A 192.0.2.20")});
	udp(&g, GEN_MS(3), &peer, &grp, dnsbuf, n);
	/* the same query over IPv6, answered to ff02::fb */
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .q = "printer.local. IN AAAA"});
	udp(&g, GEN_MS(5), &c6, &grp6, dnsbuf, n);
	/* an unsolicited announcement to the group */
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .qr = true, .aa = true,
		.an = RR("scanner.local. 120 IN A 192.0.2.21")});
	udp(&g, GEN_MS(10), &peer, &grp, dnsbuf, n);
	/* legacy unicast: from an ephemeral port, answered unicast with the question */
	c.port = 40300;
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xb001, .q = "printer.local. IN A"});
	udp(&g, GEN_MS(20), &c, &grp, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xb001, .qr = true, .aa = true,
		.q = "printer.local. IN A", .an = RR("printer.local. 10 IN A 192.0.2.20")});
	udp(&g, GEN_MS(22), &peer, &c, dnsbuf, n);
	/* LLMNR: to 224.0.0.252:5355, the owner answers unicast */
	c.port = 40301;
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xb002, .q = "fileserver. IN A"});
	udp(&g, GEN_MS(30), &c, &llmnr, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xb002, .qr = true,
		.q = "fileserver. IN A", .an = RR("fileserver. 30 IN A 192.0.2.30")});
	udp(&g, GEN_MS(31), &owner, &c, dnsbuf, n);
	/* an mDNS query nobody answers, and a last packet 10 s on */
	c.port = 5353;
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .q = "nobody.local. IN A"});
	udp(&g, GEN_MS(40), &c, &grp, dnsbuf, n);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0, .qr = true, .aa = true,
		.an = RR("printer.local. 120 IN A 192.0.2.20")});
	udp(&g, GEN_S(10), &peer, &grp, dnsbuf, n);
	return g_close(&g);
}

/* ---- IP and link details real captures have ---- */

/* An Ethernet frame around ip[0..n), then `trail` bytes of 0xee (an FCS or
 * trailer the NIC kept), padded with zeros to the 60-byte minimum. */
static void eth_frame(struct g *g, uint64_t ts, int fam, bool out, const uint8_t *ip, size_t n,
		      size_t trail)
{
	size_t fl = gen_link_wrap(&g->l, frbuf, fam, out, ip, n);
	memset(frbuf + fl, 0xee, trail);
	fl += trail;
	while (fl < 60)
		frbuf[fl++] = 0;
	gen_out_frame(&g->o, GEN_T0_NS + ts, frbuf, (uint32_t)fl);
}

/* IPv4 options (Router Alert, RFC 2113, + NOP/EOL), a query padded to the
 * Ethernet minimum, a response with a 4-byte FCS after the IP datagram, an
 * answer with junk after the DNS message inside the UDP payload, an IPv6
 * answer behind hop-by-hop and destination options and cut in two fragments
 * (RFC 8200 §4.1 order), and an ICMP port unreachable quoting only the UDP
 * header of a query (RFC 792's minimum: no DNS ID). */
static int sc_ip_details(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c = gen_ep(S4, 40400), r = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40401), r6 = gen_ep(R6, 53);
	static uint8_t ip[4096], fr6[2048];
	size_t n, l;

	/* 1-2: query and answer with IPv4 options: IHL 6 */
	n = query(dnsbuf, 0xc101, "example.com. IN MX", 0);
	l = gen_udp_packet(ipbuf, &c, &r, dnsbuf, n, 0x2001);
	memcpy(ip, ipbuf, 20);
	memcpy(ip + 20, "\x94\x04\x00\x00", 4);     /* Router Alert */
	memcpy(ip + 24, ipbuf + 20, l - 20);
	ip[0] = 0x46;
	ip[2] = (uint8_t)((l + 4) >> 8);
	ip[3] = (uint8_t)(l + 4);
	ip[10] = ip[11] = 0;
	{
		uint16_t ck = gen_cksum_fold(gen_cksum_add(0, ip, 24));
		ip[10] = (uint8_t)(ck >> 8);
		ip[11] = (uint8_t)ck;
	}
	eth_frame(&g, GEN_MS(0), 4, true, ip, l + 4, 0);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc101, .qr = true, .rd = true,
		.ra = true, .q = "example.com. IN MX", .an = RR("example.com. 3600 IN MX 10 mx1.example.com.")});
	l = gen_udp_packet(ip, &r, &c, dnsbuf, n, 0x3001);
	eth_frame(&g, GEN_MS(3), 4, false, ip, l, 4);   /* 2: with an FCS */
	/* 3-4: ". IN NS": a 45-byte datagram, padded to 60 with zeros */
	c.port = 40402;
	n = query(dnsbuf, 0xc102, ". IN NS", 0);
	l = gen_udp_packet(ip, &c, &r, dnsbuf, n, 0x2002);
	eth_frame(&g, GEN_MS(10), 4, true, ip, l, 0);
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc102, .qr = true, .rd = true,
		.ra = true, .q = ". IN NS", .an = RR(". 86400 IN NS a.root-servers.net.")});
	l = gen_udp_packet(ip, &r, &c, dnsbuf, n, 0x3002);
	eth_frame(&g, GEN_MS(12), 4, false, ip, l, 0);
	/* 5-6: the answer carries 6 junk bytes after the message, inside UDP */
	c.port = 40403;
	dq(&g, GEN_MS(20), &c, &r, 0xc103, "mx1.example.com. IN A");
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc103, .qr = true, .rd = true,
		.ra = true, .q = "mx1.example.com. IN A", .an = RR("mx1.example.com. 300 IN A 203.0.113.25")});
	memcpy(dnsbuf + n, "\xde\xad\xbe\xef\x00\x00", 6);
	udp(&g, GEN_MS(22), &r, &c, dnsbuf, n + 6);
	/* 7-9: IPv6 AAAA query; its answer as HBH + DSTOPT + fragment header, 2 fragments */
	dq(&g, GEN_MS(30), &c6, &r6, 0xc104, "mx1.example.com. IN AAAA");
	n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc104, .qr = true, .rd = true,
		.ra = true, .q = "mx1.example.com. IN AAAA",
		.an = many_rrs("mx1.example.com.", "AAAA", 8)});
	l = gen_udp_packet(ip, &r6, &c6, dnsbuf, n, 0);   /* 40-byte IPv6 + UDP */
	{
		const uint8_t *udpd = ip + 40;
		size_t ul = l - 40, first = 128, off;
		for (int k = 0; k < 2; k++) {
			size_t part = k == 0 ? first : ul - first, m = 0;
			off = k == 0 ? 0 : first;
			memcpy(fr6, ip, 40);
			fr6[6] = 0;                                        /* next: hop-by-hop */
			m = 40;
			memcpy(fr6 + m, "\x3c\x00\x01\x04\x00\x00\x00\x00", 8); /* HBH: next DSTOPT, PadN */
			m += 8;
			memcpy(fr6 + m, "\x2c\x00\x01\x04\x00\x00\x00\x00", 8); /* DSTOPT: next fragment */
			m += 8;
			fr6[m] = 17;
			fr6[m + 1] = 0;
			fr6[m + 2] = (uint8_t)((off >> 8) & 0xff);
			fr6[m + 3] = (uint8_t)((off & 0xf8) | (k == 0 ? 1 : 0));
			memcpy(fr6 + m + 4, "\x00\x00\xc1\x04", 4);            /* identification */
			m += 8;
			memcpy(fr6 + m, udpd + off, part);
			m += part;
			fr6[4] = (uint8_t)((m - 40) >> 8);
			fr6[5] = (uint8_t)(m - 40);
			eth_frame(&g, GEN_MS(33) + (uint64_t)k * GEN_US(20), 6, false, fr6, m, 0);
		}
	}
	/* 10-11: a query, and a port unreachable quoting its IP header and only
	 * the 8 bytes of UDP header */
	c.port = 40404;
	struct gen_ep r2 = gen_ep(R2, 53);
	n = query(dnsbuf, 0xc105, "example.org. IN MX", 0);
	l = gen_udp_packet(ip, &c, &r2, dnsbuf, n, 0x2005);
	eth_frame(&g, GEN_MS(40), 4, true, ip, l, 0);
	icmp_unreach(&g, GEN_MS(41), &r2, &c, 3, 3, ip, 28);
	/* 12-14: a DNS-over-TCP session that began before the capture, joined
	 * in the middle of a response: its last 40 bytes first, then a query and
	 * its answer on the same connection */
	{
		struct gen_ep tc = gen_ep(S4, 40405);
		uint32_t cseq = 500000, sseq = 700000;
		n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc106, .qr = true,
			.rd = true, .ra = true, .q = "example.net. IN MX",
			.an = RR("example.net. 3600 IN MX 10 mail.example.net.")});
		tcp(&g, GEN_MS(50), &r, &tc, sseq, cseq, GEN_TH_ACK | GEN_TH_PSH, dnsbuf + n - 40, 40);
		sseq += 40;
		n = query(dnsbuf, 0xc107, "mail.example.net. IN A", 0);
		tcp_msg(&g, GEN_MS(60), &tc, &r, &cseq, sseq, dnsbuf, n);
		n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0xc107, .qr = true,
			.rd = true, .ra = true, .q = "mail.example.net. IN A",
			.an = RR("mail.example.net. 300 IN A 203.0.113.80")});
		tcp_msg(&g, GEN_MS(62), &r, &tc, &sseq, cseq, dnsbuf, n);
	}
	return g_close(&g);
}

/* ---- pcapng written block by block, in either byte order ----
 * (draft-ietf-opsawg-pcapng §4); gen_out writes only the simple case. */
struct ngw {
	FILE *fp;
	bool be;
	const char *path;
	uint64_t frames;
};

static size_t ngw_put(const struct ngw *w, uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (w->be ? bytes - 1 - i : i)));
	return (size_t)bytes;
}

/* One block: type, body (padded to 4), total length twice. */
static void ngw_block(struct ngw *w, uint32_t type, const uint8_t *body, size_t n)
{
	static uint8_t b[GEN_MAX_FRAME + 256];
	size_t pad = (n + 3) & ~(size_t)3, len = pad + 12, k = 0;
	if (len > sizeof b)
		gen_die("%s: pcapng block too large", w->path);
	k += ngw_put(w, b + k, type, 4);
	k += ngw_put(w, b + k, len, 4);
	memcpy(b + k, body, n);
	memset(b + k + n, 0, pad - n);
	k += pad;
	k += ngw_put(w, b + k, len, 4);
	if (fwrite(b, 1, k, w->fp) != k)
		gen_die("%s: write failed", w->path);
}

static void ngw_shb(struct ngw *w, bool be)
{
	uint8_t b[16];
	size_t k = 0;
	w->be = be;
	k += ngw_put(w, b + k, 0x1A2B3C4D, 4);
	k += ngw_put(w, b + k, 1, 2);
	k += ngw_put(w, b + k, 0, 2);
	k += ngw_put(w, b + k, UINT64_MAX, 8);
	ngw_block(w, 0x0A0D0D0A, b, k);
}

/* IDB with if_tsresol (when tsresol != 6) and if_tsoffset (when != 0). */
static void ngw_idb(struct ngw *w, int linktype, uint8_t tsresol, int64_t tsoffset)
{
	uint8_t b[64];
	size_t k = 0;
	k += ngw_put(w, b + k, (uint64_t)linktype, 2);
	k += ngw_put(w, b + k, 0, 2);
	k += ngw_put(w, b + k, 262144, 4);
	if (tsresol != 6) {
		k += ngw_put(w, b + k, 9, 2);
		k += ngw_put(w, b + k, 1, 2);
		b[k] = tsresol;
		memset(b + k + 1, 0, 3);
		k += 4;
	}
	if (tsoffset != 0) {
		k += ngw_put(w, b + k, 14, 2);
		k += ngw_put(w, b + k, 8, 2);
		k += ngw_put(w, b + k, (uint64_t)tsoffset, 8);
	}
	k += ngw_put(w, b + k, 0, 4);   /* opt_endofopt */
	ngw_block(w, 1, b, k);
}

static void ngw_epb(struct ngw *w, uint32_t ifid, uint64_t units, const uint8_t *d, size_t n)
{
	static uint8_t b[GEN_MAX_FRAME + 64];
	size_t k = 0;
	k += ngw_put(w, b + k, ifid, 4);
	k += ngw_put(w, b + k, units >> 32, 4);
	k += ngw_put(w, b + k, units & 0xffffffffu, 4);
	k += ngw_put(w, b + k, n, 4);
	k += ngw_put(w, b + k, n, 4);
	memcpy(b + k, d, n);
	ngw_block(w, 6, b, k + n);
	w->frames++;
}

static void ngw_spb(struct ngw *w, const uint8_t *d, size_t n)
{
	static uint8_t b[GEN_MAX_FRAME + 64];
	size_t k = ngw_put(w, b, n, 4);
	memcpy(b + k, d, n);
	ngw_block(w, 3, b, k + n);
	w->frames++;
}

/* IP+UDP DNS datagram framed for link type `dlt` into frbuf; returns length. */
static size_t ng_frame(int dlt, const struct gen_ep *s, const struct gen_ep *d,
		       const struct gen_dns *m, uint16_t ipid)
{
	struct gen_link l = {.dlt = dlt};
	size_t n = gen_dns_build(dnsbuf, sizeof dnsbuf, m);
	size_t ipl = gen_udp_packet(ipbuf, s, d, dnsbuf, n, ipid);
	return gen_link_wrap(&l, frbuf, s->fam, gen_ep_local(s), ipbuf, ipl);
}

/* pcapng with what dumpcap, editcap and `cat` produce and libpcap 1.10 cannot
 * read: two sections (little then big endian), several interfaces with
 * different link types in each, nanosecond and power-of-two resolutions, an
 * if_tsoffset, a Simple Packet Block, and block types to skip. Three lookups
 * (MX, A, AAAA) for example.com; README.md lists the expected times. */
static int sc_pcapng_multi(const char *path)
{
	struct ngw w = {.path = path};
	struct gen_ep c = gen_ep(S4, 40160), r = gen_ep(R1, 53);
	const uint64_t t0_us = GEN_T0_NS / 1000, t0_s = GEN_T0_NS / 1000000000ULL;
	const char *qmx = "example.com. IN MX", *qa = "mx1.example.com. IN A",
		   *qaaaa = "mx1.example.com. IN AAAA";
	static const uint8_t custom[12] = {0, 0, 0x7e, 0x3d, 'x', 'y', 'z', 'z', 'y', 0, 0, 0};
	size_t n;

	w.fp = fopen(path, "wb");
	if (!w.fp)
		gen_die("%s: cannot open for writing", path);
	/* section 1, little endian: Ethernet (µs) and Linux SLL (ns) */
	ngw_shb(&w, false);
	ngw_idb(&w, DLT_EN10MB, 6, 0);
	ngw_idb(&w, DLT_LINUX_SLL, 9, 0);
	ngw_block(&w, 0x40000BAD, custom, sizeof custom);   /* custom block (§4.8) */
	ngw_block(&w, 0x00000123, custom, 5);               /* unknown type */
	/* frame 1: MX query on eth, 00:00:00.000000 */
	n = ng_frame(DLT_EN10MB, &c, &r, &(struct gen_dns){.id = 0xe001, .rd = true, .q = qmx}, 1);
	ngw_epb(&w, 0, t0_us, frbuf, n);
	/* frame 2: MX answer on the cooked interface, 7.000999 ms in ns */
	n = ng_frame(DLT_LINUX_SLL, &r, &c, &(struct gen_dns){.id = 0xe001, .qr = true, .rd = true,
		.ra = true, .q = qmx, .an = RR("example.com. 3600 IN MX 10 mx1.example.com.")}, 2);
	ngw_epb(&w, 1, GEN_T0_NS + 7000999, frbuf, n);
	/* frame 3: SPB (interface 0, no timestamp): A query, inherits 00:00:00.007000 */
	c.port = 40161;
	n = ng_frame(DLT_EN10MB, &c, &r, &(struct gen_dns){.id = 0xe002, .rd = true, .q = qa}, 3);
	ngw_spb(&w, frbuf, n);
	/* frame 4: A answer, 00:00:00.010000 */
	n = ng_frame(DLT_LINUX_SLL, &r, &c, &(struct gen_dns){.id = 0xe002, .qr = true, .rd = true,
		.ra = true, .q = qa, .an = RR("mx1.example.com. 300 IN A 203.0.113.25")}, 4);
	ngw_epb(&w, 1, GEN_T0_NS + GEN_MS(10), frbuf, n);
	/* section 2, big endian, new interface numbering: SLL2 with 2^-20 s units
	 * and if_tsoffset = T0 (times relative to it), raw IP in ns */
	ngw_shb(&w, true);
	ngw_idb(&w, DLT_LINUX_SLL2, 0x80 | 20, (int64_t)t0_s);
	ngw_idb(&w, 101 /* LINKTYPE_RAW */, 9, 0);
	/* frame 5: AAAA query at T0 + 1.5 s = 1.5 * 2^20 units */
	c.port = 40162;
	n = ng_frame(DLT_LINUX_SLL2, &c, &r, &(struct gen_dns){.id = 0xe003, .rd = true, .q = qaaaa}, 5);
	ngw_epb(&w, 0, 3ULL << 19, frbuf, n);
	/* frame 6: AAAA NODATA on raw IP at 00:00:01.512345 */
	n = ng_frame(DLT_RAW, &r, &c, &(struct gen_dns){.id = 0xe003, .qr = true, .rd = true,
		.ra = true, .q = qaaaa,
		.ns = RR("example.com. 3600 IN SOA ns.example.com. hostmaster.example.com. 1 7200 3600 1209600 300")}, 6);
	ngw_epb(&w, 1, GEN_T0_NS + GEN_US(1512345), frbuf, n);
	if (fclose(w.fp) != 0)
		gen_die("%s: write failed", path);
	fprintf(stderr, "%s: %llu frames\n", path, (unsigned long long)w.frames);
	return 0;
}

/* ================================================================ encapsulations */

/* What emit_ip() wraps each IP packet in when g->encap is set (see
 * encap_wrap()); the link header, when there is one, is Ethernet. */
enum {
	E_NONE,
	E_MPLS1,      /* one label */
	E_MPLS2,      /* two labels */
	E_MPLS_PW,    /* label + RFC 4385 control word + Ethernet (RFC 4448) */
	E_VLAN_MPLS,  /* 802.1Q, then one label */
	E_PPPOE,      /* PPPoE session, PPP IPv4/IPv6 */
	E_QINQ_PPPOE, /* 802.1ad + 802.1Q, then PPPoE */
	E_IP4TUN,     /* IPv4 outside: protocol 4 or 41 */
	E_IP6TUN,     /* IPv6 outside: next header 4 or 41 */
	E_GRE,        /* IPv4 + plain GRE */
	E_GRE_CKS,    /* IPv4 + GRE with checksum, key and sequence */
	E_GRE6,       /* IPv6 + plain GRE */
	E_GRE_TEB,    /* IPv4 + GRE 0x6558 + Ethernet */
	E_GRE_MPLS,   /* IPv4 + GRE 0x8847 + one label */
	E_ERSPAN2,    /* IPv4 + GRE(S) 0x88be + ERSPAN II + Ethernet */
	E_ERSPAN3,    /* IPv4 + GRE(S) 0x22eb + ERSPAN III (+ subheader) + Ethernet */
	E_VXLAN,      /* IPv4 + UDP 4789 + VXLAN + Ethernet */
	E_VXLAN_VLAN, /* as E_VXLAN with an 802.1Q tag inside */
	E_VXLAN_GPE,  /* IPv4 + UDP 4790 + VXLAN-GPE (next protocol IPv4/IPv6) */
	E_PPP,        /* DLT_PPP / PPP_SERIAL: ff 03 + protocol */
	E_PPP_BARE,   /* DLT_PPP: protocol only (address and control compressed) */
	E_CHDLC,      /* Cisco HDLC: 0f 00 + EtherType */
	E_PPP_ETHER,  /* DLT_PPP_ETHER: PPPoE header + protocol */
	E_NFLOG,      /* DLT_NFLOG, TLVs in little-endian order */
	E_NFLOG_BE,   /* DLT_NFLOG, TLVs in big-endian order */
};

/* Tunnel endpoints (documentation ranges). */
#define T4A "203.0.113.1"
#define T4B "203.0.113.2"
#define T6A "2001:db8:ffff::1"
#define T6B "2001:db8:ffff::2"

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static uint8_t *put_eth(uint8_t *p, bool out, uint16_t type)
{
	static const uint8_t a[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01},
			     b[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a};
	memcpy(p, out ? a : b, 6);
	memcpy(p + 6, out ? b : a, 6);
	return put16(p + 12, type);
}

/* MPLS label stack entry (RFC 3032 §2.1). */
static uint8_t *put_lse(uint8_t *p, uint32_t label, bool bos)
{
	return put32(p, label << 12 | (bos ? 0x100u : 0u) | 64u);
}

static uint16_t etype(int fam) { return fam == 4 ? 0x0800 : 0x86dd; }
static uint16_t pppproto(int fam) { return fam == 4 ? 0x0021 : 0x0057; }

/* An outer IP header (tunnel endpoints, `out` = from A) for plen bytes of proto. */
static uint8_t *put_outer(uint8_t *p, int ofam, bool out, uint8_t proto, size_t plen, uint16_t id)
{
	struct gen_ep a = gen_ep(ofam == 4 ? T4A : T6A, 0), b = gen_ep(ofam == 4 ? T4B : T6B, 0);
	return p + gen_ip_hdr(p, ofam, out ? a.a : b.a, out ? b.a : a.a, proto, plen, id, 62);
}

static uint32_t encap_seq;

/* Builds the frame for one inner IP packet under the encapsulation `e`. */
static size_t encap_build(int e, uint8_t *buf, int fam, bool out, const uint8_t *ip, size_t n,
			  uint16_t id)
{
	uint8_t hdr[256], *p = hdr, *o;
	size_t h;
	switch (e) {
	case E_MPLS1:
	case E_MPLS2:
	case E_MPLS_PW:
		p = put_eth(p, out, 0x8847);
		if (e == E_MPLS2)
			p = put_lse(p, 16001, false);
		p = put_lse(p, e == E_MPLS_PW ? 300 : 100, true);
		if (e == E_MPLS_PW) {
			p = put32(p, 0); /* control word */
			p = put_eth(p, out, etype(fam));
		}
		break;
	case E_VLAN_MPLS:
		p = put_eth(p, out, 0x8100);
		p = put16(p, 10);
		p = put16(p, 0x8847);
		p = put_lse(p, 100, true);
		break;
	case E_PPPOE:
	case E_QINQ_PPPOE:
		if (e == E_QINQ_PPPOE) {
			p = put_eth(p, out, 0x88a8);
			p = put16(p, 20);
			p = put16(p, 0x8100);
			p = put16(p, 30);
			p = put16(p, 0x8864);
		} else {
			p = put_eth(p, out, 0x8864);
		}
		/* fallthrough */
	case E_PPP_ETHER:
		*p++ = 0x11;
		*p++ = 0;
		p = put16(p, 0x0042);
		p = put16(p, (uint16_t)(n + 2));
		p = put16(p, pppproto(fam));
		break;
	case E_IP4TUN:
	case E_IP6TUN:
		p = put_eth(p, out, e == E_IP4TUN ? 0x0800 : 0x86dd);
		p = put_outer(p, e == E_IP4TUN ? 4 : 6, out, fam == 4 ? 4 : 41, n, id);
		break;
	case E_GRE:
	case E_GRE6:
		p = put_eth(p, out, e == E_GRE ? 0x0800 : 0x86dd);
		p = put_outer(p, e == E_GRE ? 4 : 6, out, 47, n + 4, id);
		p = put16(p, 0);
		p = put16(p, etype(fam));
		break;
	case E_GRE_CKS:
		p = put_eth(p, out, 0x0800);
		p = put_outer(p, 4, out, 47, n + 16, id);
		p = put16(p, 0xb000); /* C, K, S */
		p = put16(p, etype(fam));
		p = put32(p, 0);      /* checksum (not computed: nobody checks), reserved */
		p = put32(p, 0x00001234);
		p = put32(p, ++encap_seq);
		break;
	case E_GRE_TEB:
	case E_GRE_MPLS:
		p = put_eth(p, out, 0x0800);
		p = put_outer(p, 4, out, 47, n + 4 + (e == E_GRE_TEB ? 14 : 4), id);
		p = put16(p, 0);
		if (e == E_GRE_TEB) {
			p = put16(p, 0x6558);
			p = put_eth(p, out, etype(fam));
		} else {
			p = put16(p, 0x8847);
			p = put_lse(p, 500, true);
		}
		break;
	case E_ERSPAN2:
	case E_ERSPAN3: {
		size_t eh = e == E_ERSPAN2 ? 8 : 12 + 8;
		p = put_eth(p, out, 0x0800);
		p = put_outer(p, 4, out, 47, n + 8 + eh + 14, id);
		p = put16(p, 0x1000); /* S */
		p = put16(p, e == E_ERSPAN2 ? 0x88be : 0x22eb);
		p = put32(p, ++encap_seq);
		if (e == E_ERSPAN2) {
			p = put16(p, 0x1000 | 5);  /* version 1, VLAN 5 */
			p = put16(p, 0x0000 | 7);  /* COS, En, T, session 7 */
			p = put32(p, 0x00000001);  /* reserved, index */
		} else {
			p = put16(p, 0x2000 | 5);  /* version 2, VLAN 5 */
			p = put16(p, 7);           /* session 7 */
			p = put32(p, encap_seq * 100u); /* timestamp */
			p = put16(p, 0);           /* SGT */
			p = put16(p, 0x0001);      /* P, frame type 0 (Ethernet), HW id, D, Gra, O */
			p = put32(p, 0x00000000);  /* platform subheader */
			p = put32(p, 0x00000000);
		}
		p = put_eth(p, out, etype(fam));
		break;
	}
	case E_VXLAN:
	case E_VXLAN_VLAN:
	case E_VXLAN_GPE: {
		size_t inner = e == E_VXLAN_GPE ? n : n + 14 + (e == E_VXLAN_VLAN ? 4 : 0);
		p = put_eth(p, out, 0x0800);
		p = put_outer(p, 4, out, 17, 8 + 8 + inner, id);
		p = put16(p, (uint16_t)(49152 + (id & 0xff))); /* source port: flow entropy */
		p = put16(p, e == E_VXLAN_GPE ? 4790 : 4789);
		p = put16(p, (uint16_t)(8 + 8 + inner));
		p = put16(p, 0); /* no checksum */
		if (e == E_VXLAN_GPE) {
			p = put32(p, 0x0c000000u | (fam == 4 ? 1u : 2u)); /* I, P, next protocol */
		} else {
			p = put32(p, 0x08000000u);
		}
		p = put32(p, 0x00138800u); /* VNI 5000 */
		if (e == E_VXLAN_VLAN) {
			p = put_eth(p, out, 0x8100);
			p = put16(p, 40);
			p = put16(p, etype(fam));
		} else if (e != E_VXLAN_GPE) {
			p = put_eth(p, out, etype(fam));
		}
		break;
	}
	case E_PPP:
		*p++ = 0xff;
		*p++ = 0x03;
		/* fallthrough */
	case E_PPP_BARE:
		p = put16(p, pppproto(fam));
		break;
	case E_CHDLC:
		*p++ = 0x0f;
		*p++ = 0x00;
		p = put16(p, etype(fam));
		break;
	case E_NFLOG:
	case E_NFLOG_BE: {
		bool be = e == E_NFLOG_BE;
#define TLV16(q, v) do { uint16_t v_ = (uint16_t)(v); \
		if (be) { (q)[0] = (uint8_t)(v_ >> 8); (q)[1] = (uint8_t)v_; } \
		else { (q)[0] = (uint8_t)v_; (q)[1] = (uint8_t)(v_ >> 8); } (q) += 2; } while (0)
		*p++ = fam == 4 ? 2 : 10; /* AF_INET, AF_INET6 */
		*p++ = 0;
		p = put16(p, 5);          /* nflog group */
		TLV16(p, 8);              /* NFULA_PACKET_HDR: hw protocol, hook, pad */
		TLV16(p, 1);
		p = put16(p, etype(fam));
		*p++ = out ? 3 : 1;       /* NF_INET_LOCAL_OUT / LOCAL_IN */
		*p++ = 0;
		TLV16(p, 8);              /* NFULA_PREFIX "dns" */
		TLV16(p, 10);
		memcpy(p, "dns", 4);
		p += 4;
		TLV16(p, 4 + n);          /* NFULA_PAYLOAD */
		TLV16(p, 9);
#undef TLV16
		break;
	}
	default:
		gen_die("encapsulation %d not supported by the generator", e);
	}
	h = (size_t)(p - hdr);
	memcpy(buf, hdr, h);
	memcpy(buf + h, ip, n);
	o = buf + h + n;
	if (e == E_NFLOG || e == E_NFLOG_BE)
		while ((size_t)(o - buf) & 3)
			*o++ = 0;
	return (size_t)(o - buf);
}

static size_t encap_wrap(struct g *g, uint8_t *buf, int fam, bool out, const uint8_t *ip, size_t n)
{
	return encap_build(g->encap, buf, fam, out, ip, n, g->ipid++);
}

/* One query/response pair (v4 or v6) under g->encap. */
static void enc_pair(struct g *g, uint64_t ts, int fam, uint16_t port, uint16_t id, const char *q,
		     const char *an)
{
	struct gen_ep c = gen_ep(fam == 4 ? S4 : S6, port), r = gen_ep(fam == 4 ? R1 : R6, 53);
	pair(g, ts, GEN_MS(5), &c, &r, id, q, (const char *const[]){an, NULL});
}

/* Ethernet: MPLS (one and two labels, an Ethernet pseudowire with the
 * control word, under an 802.1Q tag), PPPoE sessions (plain and under QinQ);
 * then frames that are no DNS: PPPoE discovery, PPP LCP, a 9-label stack, a
 * PPPoE header of version 2. */
static int sc_mpls_pppoe(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	static const int modes[] = {E_MPLS1, E_MPLS2, E_MPLS_PW, E_VLAN_MPLS, E_PPPOE, E_QINQ_PPPOE};
	uint16_t id = 0x6101;
	uint64_t ts = 0;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		g.encap = modes[i];
		enc_pair(&g, ts, 4, (uint16_t)(40200 + i), id++, "example.com. IN MX",
			 "example.com. 3600 IN MX 10 mx1.example.com.");
		enc_pair(&g, ts + GEN_MS(10), 6, (uint16_t)(40210 + i), id++, "mx1.example.com. IN AAAA",
			 "mx1.example.com. 300 IN AAAA 2001:db8:25::25");
		ts += GEN_MS(100);
	}
	g.encap = E_NONE;
	uint8_t f[128], *p;
	/* PPPoE discovery: PADI with a Service-Name tag */
	p = put_eth(f, true, 0x8863);
	*p++ = 0x11;
	*p++ = 0x09;
	p = put16(p, 0);
	p = put16(p, 4);
	p = put32(p, 0x01010000);
	emit_raw(&g, ts, f, (size_t)(p - f));
	/* PPPoE session carrying LCP (0xc021) echo request */
	p = put_eth(f, true, 0x8864);
	*p++ = 0x11;
	*p++ = 0;
	p = put16(p, 0x0042);
	p = put16(p, 10);
	p = put16(p, 0xc021);
	p = put32(p, 0x09010008);
	p = put32(p, 0x12345678);
	emit_raw(&g, ts + GEN_MS(1), f, (size_t)(p - f));
	/* nine labels: deeper than mxsniff pops */
	size_t n = query(dnsbuf, 0x61ff, "example.com. IN MX", 0);
	struct gen_ep c = gen_ep(S4, 40299), r = gen_ep(R1, 53);
	size_t l = gen_udp_packet(ipbuf, &c, &r, dnsbuf, n, 0x7000);
	p = put_eth(frbuf, true, 0x8847);
	for (int k = 0; k < 9; k++)
		p = put_lse(p, (uint32_t)(1000 + k), k == 8);
	memcpy(p, ipbuf, l);
	emit_raw(&g, ts + GEN_MS(2), frbuf, (size_t)(p - frbuf) + l);
	/* PPPoE version 2: malformed */
	p = put_eth(frbuf, true, 0x8864);
	*p++ = 0x21;
	*p++ = 0;
	p = put16(p, 0x0042);
	p = put16(p, (uint16_t)(l + 2));
	p = put16(p, 0x0021);
	memcpy(p, ipbuf, l);
	emit_raw(&g, ts + GEN_MS(3), frbuf, (size_t)(p - frbuf) + l);
	return g_close(&g);
}

/* IP tunnels on Ethernet: IPv4 and IPv6 inside IPv4 and IPv6, GRE (plain,
 * with checksum/key/sequence, over IPv6, bridging Ethernet, carrying MPLS),
 * a large GRE-tunnelled response whose outer IPv4 packet is fragmented, and
 * five nested IP-in-IP headers (one too many). */
static int sc_ip_tunnels(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	static const int modes[] = {E_IP4TUN, E_IP6TUN, E_GRE, E_GRE_CKS, E_GRE6, E_GRE_TEB,
				    E_GRE_MPLS};
	uint16_t id = 0x6201;
	uint64_t ts = 0;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		g.encap = modes[i];
		enc_pair(&g, ts, 4, (uint16_t)(40300 + i), id++, "example.com. IN MX",
			 "example.com. 3600 IN MX 10 mx1.example.com.");
		enc_pair(&g, ts + GEN_MS(10), 6, (uint16_t)(40310 + i), id++, "mx1.example.com. IN AAAA",
			 "mx1.example.com. 300 IN AAAA 2001:db8:25::25");
		ts += GEN_MS(100);
	}
	/* A 1400-byte response in GRE; the outer IPv4 packet cut at MTU 1000. */
	g.encap = E_NONE;
	struct gen_ep c = gen_ep(S4, 40320), r = gen_ep(R1, 53);
	const char *qb = "big.example.com. IN A";
	dq(&g, ts, &c, &r, 0x62f0, qb); /* the query, untunnelled */
	size_t n = gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = 0x62f0, .qr = true,
		.rd = true, .ra = true, .q = qb, .an = many_rrs("big.example.com.", "A", 80)});
	size_t l = gen_udp_packet(ipbuf, &r, &c, dnsbuf, n, 0x7001);
	static uint8_t whole[GEN_MAX_FRAME];
	size_t wn = encap_build(E_GRE, whole, 4, false, ipbuf, l, 0x7101);
	const size_t eh = 14, per = 976; /* outer payload bytes per fragment (multiple of 8) */
	size_t opl = wn - eh - 20;
	for (size_t off = 0, k = 0; off < opl; off += per, k++) {
		size_t len = opl - off < per ? opl - off : per;
		uint8_t *f = frbuf;
		memcpy(f, whole, eh + 20);
		uint8_t *ih = f + eh;
		ih[2] = (uint8_t)((20 + len) >> 8);
		ih[3] = (uint8_t)(20 + len);
		uint16_t fo = (uint16_t)((off + len < opl ? 0x2000 : 0) | (off / 8));
		ih[6] = (uint8_t)(fo >> 8);
		ih[7] = (uint8_t)fo;
		ih[10] = ih[11] = 0;
		uint16_t cs = gen_cksum_fold(gen_cksum_add(0, ih, 20));
		ih[10] = (uint8_t)(cs >> 8);
		ih[11] = (uint8_t)cs;
		memcpy(f + eh + 20, whole + eh + 20 + off, len);
		emit_raw(&g, ts + GEN_MS(8) + GEN_US(10 * k), f, eh + 20 + len);
	}
	/* five IPv4-in-IPv4 headers around a query: encap_too_deep */
	n = query(dnsbuf, 0x62f1, "example.com. IN MX", 0);
	c.port = 40321;
	l = gen_udp_packet(ipbuf, &c, &r, dnsbuf, n, 0x7002);
	static uint8_t nest[GEN_MAX_FRAME];
	memcpy(nest, ipbuf, l);
	for (int k = 0; k < 5; k++) {
		uint8_t t[GEN_MAX_FRAME];
		struct gen_ep a = gen_ep(T4A, 0), b = gen_ep(T4B, 0);
		size_t hl = gen_ip_hdr(t, 4, a.a, b.a, 4, l, (uint16_t)(0x7200 + k), 62);
		memcpy(t + hl, nest, l);
		l += hl;
		memcpy(nest, t, l);
	}
	uint8_t *p = put_eth(frbuf, true, 0x0800);
	memcpy(p, nest, l);
	emit_raw(&g, ts + GEN_MS(50), frbuf, 14 + l);
	return g_close(&g);
}

/* ERSPAN type II and III mirror sessions: each packet is mirrored twice (as
 * it enters and as it leaves the switch), 20 us apart, under different GRE
 * sequence numbers: the second copy is a capture duplicate. */
static int sc_erspan(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	struct gen_ep c4 = gen_ep(S4, 40400), r4 = gen_ep(R1, 53);
	struct gen_ep c6 = gen_ep(S6, 40401), r6 = gen_ep(R6, 53);
	const struct { int e; const struct gen_ep *c, *r; uint16_t id; const char *q, *an; } m[] = {
		{E_ERSPAN2, &c4, &r4, 0x6301, "example.com. IN MX", "example.com. 3600 IN MX 10 mx1.example.com."},
		{E_ERSPAN2, &c6, &r6, 0x6302, "mx1.example.com. IN AAAA", "mx1.example.com. 300 IN AAAA 2001:db8:25::25"},
		{E_ERSPAN3, &c4, &r4, 0x6303, "mx1.example.com. IN A", "mx1.example.com. 300 IN A 203.0.113.25"},
		{E_ERSPAN3, &c6, &r6, 0x6304, "example.net. IN MX", "example.net. 3600 IN MX 10 mail.example.net."},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		uint64_t ts = GEN_MS(100 * i);
		for (int dir = 0; dir < 2; dir++) {
			const struct gen_ep *s = dir ? m[i].r : m[i].c, *d = dir ? m[i].c : m[i].r;
			size_t n = dir ? gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){
						.id = m[i].id, .qr = true, .rd = true, .ra = true,
						.q = m[i].q, .an = (const char *const[]){m[i].an, NULL}})
				       : query(dnsbuf, m[i].id, m[i].q, 0);
			size_t l = gen_udp_packet(ipbuf, s, d, dnsbuf, n, g.ipid++);
			for (int copy = 0; copy < 2; copy++) {
				size_t fl = encap_build(m[i].e, frbuf, s->fam, true, ipbuf, l, g.ipid++);
				emit_raw(&g, ts + GEN_MS(5 * dir) + GEN_US(20 * copy), frbuf, fl);
			}
		}
	}
	return g_close(&g);
}

/* VXLAN (RFC 7348) with and without an 802.1Q tag inside, and VXLAN-GPE. */
static int sc_vxlan(const char *path)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, false, false);
	static const int modes[] = {E_VXLAN, E_VXLAN_VLAN, E_VXLAN_GPE};
	uint16_t id = 0x6401;
	uint64_t ts = 0;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		g.encap = modes[i];
		enc_pair(&g, ts, 4, (uint16_t)(40500 + i), id++, "example.com. IN MX",
			 "example.com. 3600 IN MX 10 mx1.example.com.");
		enc_pair(&g, ts + GEN_MS(10), 6, (uint16_t)(40510 + i), id++, "mx1.example.com. IN AAAA",
			 "mx1.example.com. 300 IN AAAA 2001:db8:25::25");
		ts += GEN_MS(100);
	}
	return g_close(&g);
}

/* PPP link types in one pcapng file, one interface each: PPP (address and
 * control bytes, then without them), PPP in HDLC framing (and Cisco HDLC
 * framing under the same link type), Cisco HDLC, PPPoE without Ethernet;
 * then a PPP LCP frame and a Cisco SLARP frame, which are not IP. */
static int sc_ppp_links(const char *path)
{
	struct ngw w = {.path = path};
	const uint64_t t0_us = GEN_T0_NS / 1000;
	static const struct { int ifid, dlt, e; } m[] = {
		{0, 9, E_PPP}, {0, 9, E_PPP_BARE}, {1, 50, E_PPP}, {1, 50, E_CHDLC},
		{2, 104, E_CHDLC}, {3, 51, E_PPP_ETHER},
	};
	w.fp = fopen(path, "wb");
	if (!w.fp)
		gen_die("%s: cannot open for writing", path);
	ngw_shb(&w, false);
	ngw_idb(&w, 9, 6, 0);   /* LINKTYPE_PPP */
	ngw_idb(&w, 50, 6, 0);  /* LINKTYPE_PPP_HDLC */
	ngw_idb(&w, 104, 6, 0); /* LINKTYPE_C_HDLC */
	ngw_idb(&w, 51, 6, 0);  /* LINKTYPE_PPP_ETHER */
	uint16_t id = 0x6501, ipid = 0x7300;
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		int fam = i & 1 ? 6 : 4;
		struct gen_ep c = gen_ep(fam == 4 ? S4 : S6, (uint16_t)(40600 + i)),
			      r = gen_ep(fam == 4 ? R1 : R6, 53);
		const char *q = fam == 4 ? "example.com. IN MX" : "mx1.example.com. IN AAAA";
		const char *an = fam == 4 ? "example.com. 3600 IN MX 10 mx1.example.com."
					  : "mx1.example.com. 300 IN AAAA 2001:db8:25::25";
		for (int dir = 0; dir < 2; dir++) {
			size_t n = dir ? gen_dns_build(dnsbuf, sizeof dnsbuf, &(struct gen_dns){.id = id,
						.qr = true, .rd = true, .ra = true, .q = q,
						.an = (const char *const[]){an, NULL}})
				       : query(dnsbuf, id, q, 0);
			size_t l = dir ? gen_udp_packet(ipbuf, &r, &c, dnsbuf, n, ipid++)
				       : gen_udp_packet(ipbuf, &c, &r, dnsbuf, n, ipid++);
			size_t fl = encap_build(m[i].e, frbuf, fam, !dir, ipbuf, l, 0);
			ngw_epb(&w, (uint32_t)m[i].ifid, t0_us + 100000u * i + 5000u * (unsigned)dir,
				frbuf, fl);
		}
		id++;
	}
	static const uint8_t lcp[] = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78};
	ngw_epb(&w, 0, t0_us + 700000u, lcp, sizeof lcp);
	static const uint8_t slarp[] = {0x8f, 0x00, 0x80, 0x35, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0,
					0xff, 0xff, 0, 0};
	ngw_epb(&w, 2, t0_us + 710000u, slarp, sizeof slarp);
	if (fclose(w.fp) != 0)
		gen_die("%s: write failed", path);
	fprintf(stderr, "%s: %llu frames\n", path, (unsigned long long)w.frames);
	return 0;
}

/* Linux NFLOG (tcpdump -i nflog:5): TLVs in little-endian order, one pair
 * with big-endian TLVs (a capture written on a big-endian host, read as
 * written), and a message without a payload TLV. */
static int sc_nflog(const char *path)
{
	struct g g;
	g_open(&g, path, 239, 262144, false, false);
	g.encap = E_NFLOG;
	enc_pair(&g, 0, 4, 40700, 0x6601, "example.com. IN MX", "example.com. 3600 IN MX 10 mx1.example.com.");
	enc_pair(&g, GEN_MS(10), 6, 40701, 0x6602, "mx1.example.com. IN AAAA",
		 "mx1.example.com. 300 IN AAAA 2001:db8:25::25");
	g.encap = E_NFLOG_BE;
	enc_pair(&g, GEN_MS(20), 4, 40702, 0x6603, "mx1.example.com. IN A",
		 "mx1.example.com. 300 IN A 203.0.113.25");
	static const uint8_t nopl[] = {2, 0, 0, 5, 8, 0, 1, 0, 0x08, 0x00, 1, 0};
	emit_raw(&g, GEN_MS(30), nopl, sizeof nopl);
	return g_close(&g);
}

/* ================================================ classic pcap edge cases
 *
 * captures/synthetic/pcap-edge/: the record and header shapes capture.c's
 * pcap reader must read as libpcap does (unit test test_pcapread.c compares
 * both on every capture). A small exchange is written by libpcap, read back,
 * and written again field by field with the shape under test. Files named
 * bad-* are refused by libpcap and mxsniff alike (not replayed by the fuzz
 * tests, which want readable input). */

struct pe_rec {
	uint32_t sec, frac, caplen, len;
	const uint8_t *data;
};

struct pe_file {
	uint8_t *raw;
	size_t n;
	struct pe_rec rec[16];
	size_t nrec;
};

/* The base exchange: MX then A of example.com, 4 Ethernet frames. */
static void pe_base(struct pe_file *pf, const char *path, bool nano)
{
	struct g g;
	g_open(&g, path, DLT_EN10MB, 262144, nano, false);
	struct gen_ep c = gen_ep(S4, 40190), s = gen_ep(R1, 53);
	pair(&g, GEN_MS(0) + 1, GEN_MS(5) + 999, &c, &s, 0xd001, "example.com. IN MX",
	     RR("example.com. 3600 IN MX 10 mx1.example.com."));
	pair(&g, GEN_MS(10) + 999, GEN_MS(5), &c, &s, 0xd002, "mx1.example.com. IN A",
	     RR("mx1.example.com. 300 IN A 203.0.113.25"));
	g_close(&g);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		gen_die("%s: reopen failed", path);
	pf->raw = malloc(1 << 16);
	if (!pf->raw)
		gen_die("out of memory");
	pf->n = fread(pf->raw, 1, 1 << 16, fp);
	fclose(fp);
	/* written by libpcap in this host's order */
	size_t off = 24;
	pf->nrec = 0;
	while (off + 16 <= pf->n && pf->nrec < 16) {
		struct pe_rec *r = &pf->rec[pf->nrec++];
		memcpy(&r->sec, pf->raw + off, 4);
		memcpy(&r->frac, pf->raw + off + 4, 4);
		memcpy(&r->caplen, pf->raw + off + 8, 4);
		memcpy(&r->len, pf->raw + off + 12, 4);
		r->data = pf->raw + off + 16;
		off += 16 + r->caplen;
	}
}

struct pe_out {
	FILE *fp;
	bool be;
	const char *path;
};

static void pe_put(struct pe_out *o, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, o->fp) != n)
		gen_die("%s: write failed", o->path);
}

static void pe_u32(struct pe_out *o, uint32_t v)
{
	uint8_t b[4];
	if (o->be) {
		b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
	} else {
		b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)(v >> 16), b[3] = (uint8_t)(v >> 24);
	}
	pe_put(o, b, 4);
}

static void pe_u16(struct pe_out *o, uint16_t v)
{
	uint8_t b[2];
	if (o->be)
		b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
	else
		b[0] = (uint8_t)v, b[1] = (uint8_t)(v >> 8);
	pe_put(o, b, 2);
}

static void pe_open(struct pe_out *o, const char *path, bool be, uint32_t magic, uint16_t major,
		    uint16_t minor, uint32_t snaplen, uint32_t linktype)
{
	o->fp = fopen(path, "wb");
	o->be = be;
	o->path = path;
	if (!o->fp)
		gen_die("%s: cannot open for writing", path);
	pe_u32(o, magic);
	pe_u16(o, major);
	pe_u16(o, minor);
	pe_u32(o, 0);
	pe_u32(o, 0);
	pe_u32(o, snaplen);
	pe_u32(o, linktype);
}

/* One record: header fields as given (caplen and len as they go in the
 * file), then `ndata` bytes of data. kuz: the 8 more bytes of Kuznetzov's
 * header (interface index 2, protocol 0x0800, packet type 4 = outgoing). */
static void pe_rec(struct pe_out *o, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
		   bool kuz, const uint8_t *data, size_t ndata)
{
	pe_u32(o, sec);
	pe_u32(o, frac);
	pe_u32(o, caplen);
	pe_u32(o, len);
	if (kuz) {
		static const uint8_t pad = 0;
		uint8_t type = 4;
		pe_u32(o, 2);
		pe_u16(o, 0x0800);
		pe_put(o, &type, 1);
		pe_put(o, &pad, 1);
	}
	pe_put(o, data, ndata);
}

static int pe_close(struct pe_out *o, struct pe_file *pf)
{
	if (fclose(o->fp) != 0)
		gen_die("%s: write failed", o->path);
	free(pf->raw);
	return 0;
}

/* The base records in another byte order, or with the ns magic. */
static int pe_order(const char *path, bool be, bool nano)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, nano);
	pe_open(&o, path, be, nano ? 0xa1b23c4d : 0xa1b2c3d4, 2, 4, 262144, 1);
	for (size_t i = 0; i < pf.nrec; i++)
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, pf.rec[i].caplen, pf.rec[i].len, false,
		       pf.rec[i].data, pf.rec[i].caplen);
	return pe_close(&o, &pf);
}

static int sc_pe_be_usec(const char *path) { return pe_order(path, true, false); }
static int sc_pe_be_nsec(const char *path) { return pe_order(path, true, true); }

/* Cut `cut` bytes off the end of a file written by another scenario. */
static void pe_cut(const char *path, long cut)
{
	FILE *fp = fopen(path, "rb");
	if (!fp || fseek(fp, 0, SEEK_END) != 0)
		gen_die("%s: reopen failed", path);
	long sz = ftell(fp);
	fclose(fp);
	if (sz < cut || truncate(path, (off_t)(sz - cut)) != 0)
		gen_die("%s: truncate failed", path);
}

/* Big endian, ns, the last record's data cut 10 bytes short. */
static int sc_pe_cut_data(const char *path)
{
	pe_order(path, true, true);
	pe_cut(path, 10);
	return 0;
}

/* The last record's header cut after 7 of its 16 bytes. */
static int sc_pe_cut_header(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 262144, 1);
	for (size_t i = 0; i < pf.nrec; i++)
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, pf.rec[i].caplen, pf.rec[i].len, false,
		       pf.rec[i].data, pf.rec[i].caplen);
	pe_rec(&o, pf.rec[0].sec + 1, 0, 60, 60, false, NULL, 0);
	pe_close(&o, &pf);
	pe_cut(path, 16 - 7);
	return 0;
}

/* Snap length 64 in the file header, every record stored whole (longer):
 * libpcap cuts each to 64 bytes and skips the rest. */
static int sc_pe_caplen_over_snaplen(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 64, 1);
	for (size_t i = 0; i < pf.nrec; i++)
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, pf.rec[i].caplen, pf.rec[i].len, false,
		       pf.rec[i].data, pf.rec[i].caplen);
	return pe_close(&o, &pf);
}

/* A record whose captured length exceeds its wire length (passed through),
 * in a file with snap length 0 (= the largest, 262144). */
static int sc_pe_caplen_over_len(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 0, 1);
	for (size_t i = 0; i < pf.nrec; i++)
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, pf.rec[i].caplen,
		       i == 1 ? pf.rec[i].len - 20 : pf.rec[i].len, false, pf.rec[i].data, pf.rec[i].caplen);
	return pe_close(&o, &pf);
}

/* Versions 2.2 (caplen and len stored the other way round) and 2.3 (some
 * writers did, some did not: exchanged when caplen > len). */
static int pe_version(const char *path, uint16_t minor)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, minor, 262144, 1);
	for (size_t i = 0; i < pf.nrec; i++) {
		/* 2.3: frames 2 and 4 exchanged and cut to 40 bytes (len > caplen
		 * read the other way round), 1 and 3 as in 2.4 */
		bool x = minor < 3 || (i % 2 == 1);
		uint32_t cap = minor == 3 && x ? 40 : pf.rec[i].caplen;
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, x ? pf.rec[i].len : cap,
		       x ? cap : pf.rec[i].len, false, pf.rec[i].data, cap);
	}
	return pe_close(&o, &pf);
}

static int sc_pe_v22(const char *path) { return pe_version(path, 2); }
static int sc_pe_v23(const char *path) { return pe_version(path, 3); }

/* Alexey Kuznetzov's modified format (magic 0xa1b2cd34): 24-byte record
 * headers; snap length 64 + the 14 libpcap adds for Ethernet = 78. */
static int sc_pe_kuznetzov(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2cd34, 2, 4, 64, 1);
	for (size_t i = 0; i < pf.nrec; i++) {
		uint32_t cap = pf.rec[i].caplen < 78 ? pf.rec[i].caplen : 78;
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, cap, pf.rec[i].len, true, pf.rec[i].data, cap);
	}
	return pe_close(&o, &pf);
}

/* Link-type field 0x14000001: Ethernet, FCS-length bits set (f = 1, 1). */
static int sc_pe_fcs_bits(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	/* FCS present (bit 26), 2 16-bit words: each frame carries its 4-byte
	 * FCS at the end, as the header says (tshark strips it) */
	pe_open(&o, path, true, 0xa1b2c3d4, 2, 4, 262144, 0x24000001);
	for (size_t i = 0; i < pf.nrec; i++) {
		uint8_t fr[2048];
		size_t n = pf.rec[i].caplen;
		if (n + 4 > sizeof fr)
			gen_die("%s: frame too large", path);
		memcpy(fr, pf.rec[i].data, n);
		memcpy(fr + n, "\xde\xad\xbe\xef", 4);
		pe_rec(&o, pf.rec[i].sec, pf.rec[i].frac, (uint32_t)n + 4, pf.rec[i].len + 4, false, fr, n + 4);
	}
	return pe_close(&o, &pf);
}

/* Times after 2038 (seconds >= 2^31; libpcap 1.10 reads them negative):
 * 2040-01-01T00:00:00Z + the base offsets. */
static int sc_pe_after_2038(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 262144, 1);
	for (size_t i = 0; i < pf.nrec; i++)
		pe_rec(&o, pf.rec[i].sec - 1767225600u + 2208988800u, pf.rec[i].frac, pf.rec[i].caplen,
		       pf.rec[i].len, false, pf.rec[i].data, pf.rec[i].caplen);
	return pe_close(&o, &pf);
}

/* The file header and no record. */
static int sc_pe_header_only(const char *path)
{
	struct pe_out o;
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 262144, 1);
	if (fclose(o.fp) != 0)
		gen_die("%s: write failed", path);
	return 0;
}

/* Nothing at all. */
static int sc_pe_empty(const char *path)
{
	FILE *fp = fopen(path, "wb");
	if (!fp || fclose(fp) != 0)
		gen_die("%s: cannot write", path);
	return 0;
}

/* A second record claiming 300000 captured bytes: above what libpcap
 * accepts for Ethernet (262144), "invalid packet capture length". */
static int sc_pe_caplen_over_max(const char *path)
{
	struct pe_file pf;
	struct pe_out o;
	pe_base(&pf, path, false);
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 4, 262144, 1);
	pe_rec(&o, pf.rec[0].sec, pf.rec[0].frac, pf.rec[0].caplen, pf.rec[0].len, false,
	       pf.rec[0].data, pf.rec[0].caplen);
	pe_rec(&o, pf.rec[1].sec, pf.rec[1].frac, 300000, 300000, false, pf.rec[1].data,
	       pf.rec[1].caplen);
	return pe_close(&o, &pf);
}

/* Version 2.5: newer than libpcap reads ("unsupported pcap savefile
 * version 2.5"). */
static int sc_pe_version_25(const char *path)
{
	struct pe_out o;
	pe_open(&o, path, false, 0xa1b2c3d4, 2, 5, 262144, 1);
	if (fclose(o.fp) != 0)
		gen_die("%s: write failed", path);
	return 0;
}

/* ================================================================ main */

struct scenario {
	const char *name; /* also the committed file name */
	int (*fn)(const char *path);
};

static const struct scenario scenarios[] = {
	{"tcp-split-prefix.pcap", sc_tcp_split},
	{"ipv4-frag.pcap", sc_ipv4_frag},
	{"ipv6-frag.pcap", sc_ipv6_frag},
	{"vlan.pcap", sc_vlan},
	{"sll.pcap", sc_sll1},
	{"sll2.pcap", sc_sll2},
	{"null-loop.pcap", sc_null},
	{"raw-ip.pcap", sc_raw},
	{"snaplen.pcap", sc_snaplen},
	{"compression-loop.pcap", sc_compression},
	{"garbage.pcap", sc_garbage},
	{"unsupported-link.pcap", sc_unsupported},
	{"truncated-file.pcap", sc_truncated},
	{"nanosecond.pcap", sc_nano},
	{"icmp-unreach.pcap", sc_icmp},
	{"txn-edge.pcap", sc_txn_edge},
	{"wrong-port.pcap", sc_wrong_port},
	{"mail-chain.pcap", sc_mail_chain},
	{"pcapng-basic.pcapng", sc_pcapng},
	{"pcapng-multi.pcapng", sc_pcapng_multi},
	{"dup-capture.pcap", sc_dup_capture},
	{"reordered.pcap", sc_reordered},
	{"dns-shapes.pcap", sc_dns_shapes},
	{"mdns-llmnr.pcap", sc_mdns_llmnr},
	{"ip-details.pcap", sc_ip_details},
	{"mpls-pppoe.pcap", sc_mpls_pppoe},
	{"ip-tunnels.pcap", sc_ip_tunnels},
	{"erspan.pcap", sc_erspan},
	{"vxlan.pcap", sc_vxlan},
	{"ppp-links.pcapng", sc_ppp_links},
	{"nflog.pcap", sc_nflog},
	/* failure patterns and healthy traffic (gen_patterns.c) */
	{"p1-exchange-like.pcap", gen_sc_p1_exchange},
	{"p5-p8-names.pcap", gen_sc_p5_p8_names},
	{"p9-slow.pcap", gen_sc_p9_slow},
	{"p12-public-resolver.pcap", gen_sc_p12_public},
	{"p13-disagreement.pcap", gen_sc_p13_disagreement},
	{"p14-tc.pcap", gen_sc_p14_tc},
	{"p15-edns.pcap", gen_sc_p15_edns},
	{"p16-query-volume.pcap", gen_sc_p16_query_volume},
	{"p17-servfail-storm.pcap", gen_sc_p17_servfail_storm},
	{"p17-domain-servfail.pcap", gen_sc_p17_domain_servfail},
	{"p18-dnssec.pcap", gen_sc_p18_dnssec},
	{"p20-diagnostics.pcap", gen_sc_p20_diagnostics},
	{"healthy-busy.pcap", gen_sc_healthy_busy},
	{"p4-mx-nodata.pcap", gen_sc_p4_mx_nodata},
	{"p19-tlsa.pcap", gen_sc_p19_tlsa},
	{"p1-timeout.pcap", gen_sc_p1_timeout},
	{"p10-dead.pcap", gen_sc_p10_dead},
	{"p11-referral.pcap", gen_sc_p11_referral},
	{"p6-partial.pcap", gen_sc_p6_partial},
	{"p12-public-in-use.pcap", gen_sc_p12_public_in_use},
	/* classic pcap edge cases */
	{"pcap-edge/be-usec.pcap", sc_pe_be_usec},
	{"pcap-edge/be-nsec.pcap", sc_pe_be_nsec},
	{"pcap-edge/cut-data.pcap", sc_pe_cut_data},
	{"pcap-edge/cut-header.pcap", sc_pe_cut_header},
	{"pcap-edge/caplen-over-snaplen.pcap", sc_pe_caplen_over_snaplen},
	{"pcap-edge/caplen-over-len.pcap", sc_pe_caplen_over_len},
	{"pcap-edge/version-2.2.pcap", sc_pe_v22},
	{"pcap-edge/version-2.3.pcap", sc_pe_v23},
	{"pcap-edge/kuznetzov.pcap", sc_pe_kuznetzov},
	{"pcap-edge/fcs-bits.pcap", sc_pe_fcs_bits},
	{"pcap-edge/after-2038.pcap", sc_pe_after_2038},
	{"pcap-edge/header-only.pcap", sc_pe_header_only},
	{"pcap-edge/bad-empty.pcap", sc_pe_empty},
	{"pcap-edge/bad-caplen-over-max.pcap", sc_pe_caplen_over_max},
	{"pcap-edge/bad-version-2.5.pcap", sc_pe_version_25},
};

static void usage(void)
{
	fputs("usage: mxsniff-gen <scenario> <out>\n"
	      "       mxsniff-gen bench [N [SEED]] <out>\n"
	      "       mxsniff-gen list\n", stderr);
	exit(2);
}

static uint64_t parse_count(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s)
		usage();
	if (*end == 'k' || *end == 'K')
		v *= 1000ULL, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1000000ULL, end++;
	if (*end)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
			puts(scenarios[i].name);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "bench") == 0) {
		uint64_t n = 1000000, seed = 1;
		if (argc > 5)
			usage();
		if (argc >= 4)
			n = parse_count(argv[2]);
		if (argc == 5)
			seed = parse_count(argv[3]);
		return gen_bench(argv[argc - 1], n, seed);
	}
	if (argc != 3)
		usage();
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		const char *nm = scenarios[i].name;
		size_t k = strcspn(nm, ".");
		if (strcmp(argv[1], nm) == 0 || (strlen(argv[1]) == k && strncmp(argv[1], nm, k) == 0))
			return scenarios[i].fn(argv[2]);
	}
	fprintf(stderr, "mxsniff-gen: unknown scenario %s (try: mxsniff-gen list)\n", argv[1]);
	return 2;
}
