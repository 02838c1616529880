/* gen_wire.c - file, link, IP, transport and DNS writers for mxsniff-gen.
 *
 * Does: write pcap (libpcap dumper) and pcapng (SHB/IDB/EPB by hand, little
 * endian, pcapng draft §4.1-4.3), build link headers, IPv4 (RFC 791), IPv6
 * (RFC 8200), UDP (RFC 768), TCP (RFC 9293) and ICMP headers with correct
 * checksums, and DNS messages through ldns. Does not: read anything, send
 * anything, or use a clock.
 */
#include "gen.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

void gen_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mxsniff-gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---------------------------------------------------------------- output */

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void ng_write(struct gen_out *o, const uint8_t *p, size_t n)
{
	if (fwrite(p, 1, n, o->ng) != n)
		gen_die("%s: write failed", o->path);
}

/* Section Header Block + one Interface Description Block (if_name "eth0",
 * if_tsresol 6 = microseconds). */
static void ng_header(struct gen_out *o)
{
	static const char appl[] = "mxsniff-gen";
	uint8_t b[128];
	size_t n = 0;
	/* SHB */
	le32(b + n, 0x0A0D0D0A); n += 4;
	n += 4; /* total length, patched below */
	le32(b + n, 0x1A2B3C4D); n += 4;
	le16(b + n, 1); n += 2;
	le16(b + n, 0); n += 2;
	memset(b + n, 0xff, 8); n += 8; /* section length unknown */
	le16(b + n, 4); n += 2;         /* shb_userappl */
	le16(b + n, (uint16_t)(sizeof appl - 1)); n += 2;
	memcpy(b + n, appl, sizeof appl - 1); n += sizeof appl - 1;
	while (n % 4) b[n++] = 0;
	le32(b + n, 0); n += 4;         /* opt_endofopt */
	le32(b + n, (uint32_t)(n + 4));
	le32(b + 4, (uint32_t)(n + 4));
	n += 4;
	ng_write(o, b, n);
	/* IDB */
	n = 0;
	le32(b + n, 1); n += 4;
	n += 4;
	le16(b + n, (uint16_t)o->dlt); n += 2;
	le16(b + n, 0); n += 2;
	le32(b + n, o->snaplen); n += 4;
	le16(b + n, 2); n += 2; /* if_name */
	le16(b + n, 4); n += 2;
	memcpy(b + n, "eth0", 4); n += 4;
	le16(b + n, 9); n += 2; /* if_tsresol */
	le16(b + n, 1); n += 2;
	b[n++] = 6;
	while (n % 4) b[n++] = 0;
	le32(b + n, 0); n += 4;
	le32(b + n, (uint32_t)(n + 4));
	le32(b + 4, (uint32_t)(n + 4));
	n += 4;
	ng_write(o, b, n);
}

void gen_out_open(struct gen_out *o, const char *path, int dlt, uint32_t snaplen,
		  bool nano, bool pcapng)
{
	memset(o, 0, sizeof *o);
	o->dlt = dlt;
	o->snaplen = snaplen;
	o->nano = nano;
	o->path = path;
	if (pcapng) {
		o->ng = fopen(path, "wb");
		if (!o->ng)
			gen_die("%s: cannot open for writing", path);
		ng_header(o);
		return;
	}
	o->pd = pcap_open_dead_with_tstamp_precision(dlt, (int)snaplen,
		nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (!o->pd)
		gen_die("pcap_open_dead failed");
	o->dump = pcap_dump_open(o->pd, path);
	if (!o->dump)
		gen_die("%s: %s", path, pcap_geterr(o->pd));
}

void gen_out_frame(struct gen_out *o, uint64_t ts_ns, const uint8_t *data, uint32_t len)
{
	uint32_t cap = len < o->snaplen ? len : o->snaplen;
	o->frames++;
	if (o->ng) {
		uint64_t ts = ts_ns / 1000; /* if_tsresol 6 */
		uint8_t h[28], pad[4] = {0, 0, 0, 0}, t[4];
		uint32_t padn = (4 - cap % 4) % 4;
		uint32_t total = 28 + cap + padn + 4;
		le32(h, 6);
		le32(h + 4, total);
		le32(h + 8, 0);
		le32(h + 12, (uint32_t)(ts >> 32));
		le32(h + 16, (uint32_t)ts);
		le32(h + 20, cap);
		le32(h + 24, len);
		ng_write(o, h, sizeof h);
		ng_write(o, data, cap);
		ng_write(o, pad, padn);
		le32(t, total);
		ng_write(o, t, 4);
		return;
	}
	struct pcap_pkthdr ph;
	memset(&ph, 0, sizeof ph);
	ph.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
	if (o->nano)
		ph.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ULL);
	else
		ph.ts.tv_usec = (suseconds_t)((ts_ns % 1000000000ULL) / 1000);
	ph.caplen = cap;
	ph.len = len;
	pcap_dump((u_char *)o->dump, &ph, data);
}

void gen_out_close(struct gen_out *o)
{
	if (o->ng) {
		if (fclose(o->ng) != 0)
			gen_die("%s: close failed", o->path);
	} else {
		if (pcap_dump_flush(o->dump) != 0)
			gen_die("%s: flush failed", o->path);
		pcap_dump_close(o->dump);
		pcap_close(o->pd);
	}
	o->ng = NULL;
	o->dump = NULL;
	o->pd = NULL;
}

/* ---------------------------------------------------------------- addresses */

struct gen_ep gen_ep(const char *ip, uint16_t port)
{
	struct gen_ep e;
	memset(&e, 0, sizeof e);
	e.port = port;
	if (inet_pton(AF_INET, ip, e.a) == 1)
		e.fam = 4;
	else if (inet_pton(AF_INET6, ip, e.a) == 1)
		e.fam = 6;
	else
		gen_die("bad address literal %s", ip);
	return e;
}

bool gen_ep_local(const struct gen_ep *e)
{
	if (e->fam == 4)
		return e->a[0] == 192 && e->a[1] == 0 && e->a[2] == 2;
	return e->a[0] == 0x20 && e->a[1] == 0x01 && e->a[2] == 0x0d && e->a[3] == 0xb8 &&
	       e->a[4] == 0 && e->a[5] == 0;
}

/* ---------------------------------------------------------------- link */

static const uint8_t mac_local[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a};
static const uint8_t mac_gw[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t gen_link_wrap(const struct gen_link *l, uint8_t *buf, int fam, bool out,
		     const uint8_t *ip, size_t iplen)
{
	size_t n = 0;
	uint16_t etype = fam == 4 ? 0x0800 : 0x86dd;
	switch (l->dlt) {
	case DLT_EN10MB:
		memcpy(buf, out ? mac_gw : mac_local, 6);
		memcpy(buf + 6, out ? mac_local : mac_gw, 6);
		n = 12;
		for (int i = 0; i < l->nvlan; i++) {
			be16(buf + n, l->tpid[i]);
			be16(buf + n + 2, l->tci[i]);
			n += 4;
		}
		be16(buf + n, etype);
		n += 2;
		break;
	case DLT_LINUX_SLL: /* pkttype, ARPHRD, addr len, addr[8], protocol */
		be16(buf, out ? 4 : 0);
		be16(buf + 2, 1);
		be16(buf + 4, 6);
		memset(buf + 6, 0, 8);
		memcpy(buf + 6, out ? mac_local : mac_gw, 6);
		be16(buf + 14, etype);
		n = 16;
		break;
	case DLT_LINUX_SLL2: /* protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr[8] */
		be16(buf, etype);
		be16(buf + 2, 0);
		be32(buf + 4, 2);
		be16(buf + 8, 1);
		buf[10] = out ? 4 : 0;
		buf[11] = 6;
		memset(buf + 12, 0, 8);
		memcpy(buf + 12, out ? mac_local : mac_gw, 6);
		n = 20;
		break;
	case DLT_NULL: /* address family in the writer's byte order (we write LE) */
		le32(buf, fam == 4 ? 2 : l->null_af6);
		n = 4;
		break;
	case DLT_RAW:
		n = 0;
		break;
	case 105: { /* IEEE 802.11 data frame, to-DS, + LLC/SNAP */
		static const uint8_t hdr[24] = {0x08, 0x01, 0x2c, 0x00};
		memcpy(buf, hdr, sizeof hdr);
		memcpy(buf + 4, mac_gw, 6);
		memcpy(buf + 10, mac_local, 6);
		memcpy(buf + 16, mac_gw, 6);
		n = 24;
		static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
		memcpy(buf + n, snap, 6);
		n += 6;
		be16(buf + n, etype);
		n += 2;
		break;
	}
	default:
		gen_die("link type %d not supported by the generator", l->dlt);
	}
	memcpy(buf + n, ip, iplen);
	return n + iplen;
}

/* ---------------------------------------------------------------- IP */

uint32_t gen_cksum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

uint16_t gen_cksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t gen_ip_hdr(uint8_t *b, int fam, const uint8_t *src, const uint8_t *dst,
		  uint8_t proto, size_t plen, uint16_t ipid, uint8_t ttl)
{
	if (fam == 4) {
		b[0] = 0x45;
		b[1] = 0;
		be16(b + 2, (uint16_t)(20 + plen));
		be16(b + 4, ipid);
		be16(b + 6, 0);
		b[8] = ttl;
		b[9] = proto;
		be16(b + 10, 0);
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		be16(b + 10, gen_cksum_fold(gen_cksum_add(0, b, 20)));
		return 20;
	}
	b[0] = 0x60;
	b[1] = 0;
	b[2] = 0;
	b[3] = 0;
	be16(b + 4, (uint16_t)plen);
	b[6] = proto;
	b[7] = ttl;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

uint16_t gen_l4_cksum(int fam, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		      const uint8_t *l4, size_t n)
{
	uint32_t s = 0;
	size_t al = fam == 4 ? 4 : 16;
	s = gen_cksum_add(s, src, al);
	s = gen_cksum_add(s, dst, al);
	s += proto;
	s += (uint32_t)(n & 0xffff) + (uint32_t)(n >> 16);
	s = gen_cksum_add(s, l4, n);
	uint16_t c = gen_cksum_fold(s);
	if (c == 0 && proto == 17)
		c = 0xffff; /* RFC 768: 0 means "no checksum" */
	return c;
}

size_t gen_udp_packet(uint8_t *b, const struct gen_ep *s, const struct gen_ep *d,
		      const uint8_t *pl, size_t n, uint16_t ipid)
{
	size_t h = gen_ip_hdr(b, s->fam, s->a, d->a, 17, 8 + n, ipid, 64);
	uint8_t *u = b + h;
	be16(u, s->port);
	be16(u + 2, d->port);
	be16(u + 4, (uint16_t)(8 + n));
	be16(u + 6, 0);
	memmove(u + 8, pl, n);
	be16(u + 6, gen_l4_cksum(s->fam, s->a, d->a, 17, u, 8 + n));
	return h + 8 + n;
}

size_t gen_tcp_packet(uint8_t *b, const struct gen_ep *s, const struct gen_ep *d,
		      uint32_t seq, uint32_t ack, uint8_t flags,
		      const uint8_t *pl, size_t n, uint16_t ipid)
{
	size_t h = gen_ip_hdr(b, s->fam, s->a, d->a, 6, 20 + n, ipid, 64);
	uint8_t *t = b + h;
	be16(t, s->port);
	be16(t + 2, d->port);
	be32(t + 4, seq);
	be32(t + 8, (flags & GEN_TH_ACK) ? ack : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	be16(t + 14, 65535);
	be16(t + 16, 0);
	be16(t + 18, 0);
	if (n)
		memmove(t + 20, pl, n);
	be16(t + 16, gen_l4_cksum(s->fam, s->a, d->a, 6, t, 20 + n));
	return h + 20 + n;
}

/* ---------------------------------------------------------------- DNS (ldns) */

static void push_list(ldns_pkt *p, ldns_pkt_section sec, const char *const *rrs)
{
	for (; rrs && *rrs; rrs++) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_str(&rr, *rrs, 3600, NULL, NULL);
		if (st != LDNS_STATUS_OK)
			gen_die("ldns: %s: %s", *rrs, ldns_get_errorstr_by_id(st));
		ldns_pkt_push_rr(p, sec, rr);
	}
}

size_t gen_dns_build(uint8_t *out, size_t cap, const struct gen_dns *d)
{
	ldns_pkt *p = ldns_pkt_new();
	if (!p)
		gen_die("ldns_pkt_new failed");
	ldns_pkt_set_id(p, d->id);
	ldns_pkt_set_qr(p, d->qr);
	ldns_pkt_set_aa(p, d->aa);
	ldns_pkt_set_tc(p, d->tc);
	ldns_pkt_set_rd(p, d->rd);
	ldns_pkt_set_ra(p, d->ra);
	ldns_pkt_set_ad(p, d->ad);
	ldns_pkt_set_cd(p, d->cd);
	ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
	ldns_pkt_set_rcode(p, d->rcode);
	if (d->q) {
		ldns_rr *q = NULL;
		ldns_status st = ldns_rr_new_question_frm_str(&q, d->q, NULL, NULL);
		if (st != LDNS_STATUS_OK)
			gen_die("ldns: %s: %s", d->q, ldns_get_errorstr_by_id(st));
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	}
	push_list(p, LDNS_SECTION_ANSWER, d->an);
	push_list(p, LDNS_SECTION_AUTHORITY, d->ns);
	push_list(p, LDNS_SECTION_ADDITIONAL, d->ar);
	if (d->edns) {
		ldns_pkt_set_edns_udp_size(p, d->edns);
		ldns_pkt_set_edns_do(p, d->edns_do);
	}
	uint8_t *wire = NULL;
	size_t n = 0;
	ldns_status st = ldns_pkt2wire(&wire, p, &n);
	if (st != LDNS_STATUS_OK)
		gen_die("ldns_pkt2wire: %s", ldns_get_errorstr_by_id(st));
	if (n > cap)
		gen_die("DNS message of %zu bytes does not fit", n);
	memcpy(out, wire, n);
	free(wire);
	ldns_pkt_free(p);
	return n;
}

/* ---------------------------------------------------------------- fast encoder */

static void wneed(struct gen_wbuf *w, size_t n)
{
	if (w->n + n > w->cap)
		gen_die("wire buffer overflow");
}

void gen_w8(struct gen_wbuf *w, uint8_t v)
{
	wneed(w, 1);
	w->b[w->n++] = v;
}

void gen_w16(struct gen_wbuf *w, uint16_t v)
{
	wneed(w, 2);
	be16(w->b + w->n, v);
	w->n += 2;
}

void gen_w32(struct gen_wbuf *w, uint32_t v)
{
	wneed(w, 4);
	be32(w->b + w->n, v);
	w->n += 4;
}

void gen_wbytes(struct gen_wbuf *w, const void *p, size_t n)
{
	wneed(w, n);
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

void gen_wname(struct gen_wbuf *w, const char *name)
{
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			gen_die("bad label in %s", name);
		gen_w8(w, (uint8_t)l);
		gen_wbytes(w, p, l);
		p += l;
		if (*p == '.')
			p++;
	}
	gen_w8(w, 0);
}

/* ---------------------------------------------------------------- PRNG */

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

uint64_t gen_rng_next(struct gen_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t gen_rng_below(struct gen_rng *r, uint32_t n)
{
	return n ? (uint32_t)((gen_rng_next(r) >> 32) * n >> 32) : 0;
}

double gen_rng_unit(struct gen_rng *r)
{
	return (double)(gen_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
