/* decode.c - frame -> link -> IPv4/IPv6 -> UDP/TCP/ICMP -> DNS bytes (L2).
 *
 * What it does: peels the link layer (Ethernet II with up to 4 802.1Q/802.1ad
 * tags, Linux cooked SLL/SLL2, BSD NULL/LOOP, raw IP), IPv4 (RFC 791) or IPv6
 * (RFC 8200, extension headers walked, bounded), hands fragments to ipfrag.c
 * and goes on with the reassembled datagram only, then UDP (RFC 768), TCP
 * (RFC 9293; DNS streams reassembled by tcpre.c, RFC 7766) or ICMP (RFC 792)
 * / ICMPv6 (RFC 4443) destination unreachable quoting a DNS datagram. Every
 * length a header declares becomes a sub-reader (rd.h). Each frame gets one
 * reason (enum mx_reason), counted with its verdict.
 *
 * Capture copies: `tcpdump -i any` on a host with a bridge, veths or
 * containers records each packet once per interface it crosses, microseconds
 * apart, under another link header (and one hop on, another TTL). Left in,
 * every query counts as a retransmission and every response as a duplicate.
 * So each IP packet's digest (addresses, lengths, IPv4 ID and fragment field,
 * protocol, options, the payload: all of it up to 64 bytes, else its first 48
 * and last 16; not TOS/TTL/checksum/flow label/hop limit) goes into a 256-slot
 * direct-mapped table, and a packet whose digest was seen at most
 * MX_DECODE_DUP_WINDOW_US (2 ms) earlier is skipped as MX_R_CAPTURE_DUP
 * before fragments or TCP see it. A stub's retransmission (the same bytes
 * a second or more later) is kept; a NATed copy differs and is kept.
 *
 * The common shape (Ethernet without a tag, IPv4 without options and not a
 * fragment or IPv6 with UDP as next header, UDP to or from a DNS port, all
 * of it captured) is recognised by dec_fast() before anything is counted and
 * then handled as the general path would handle it (same counters, digest
 * and message); every other frame takes the general path.
 *
 * A UDP datagram on no DNS port whose payload starts with a DNS response
 * header (QR=1, opcode QUERY, one question) is offered to cb.offport before
 * it is counted other_port: a response whose source port NAT or a broken
 * middlebox rewrote still reaches the client's port, and the pipeline takes
 * it when a query from that address and port with its ID is pending
 * (MX_R_RESPONSE_OTHER_PORT). Nothing else pays for this check.
 *
 * Truncated versus malformed: a frame shorter than what its IP or UDP header
 * declares is TRUNCATED when the capture cut it (caplen < len) and MALFORMED
 * when it was that short on the wire. A UDP DNS datagram cut by the snap
 * length is still delivered, marked partial.
 *
 * What it does not do: verify checksums (offloading makes them wrong in most
 * captures), look at DNS content beyond the TCP length prefix and the header
 * flags of an off-port datagram (dns.c judges whether payloads are DNS), or keep any frame bytes after returning.
 */
#include "mxsniff/decode.h"

#include <stdlib.h>
#include <string.h>

#include "mxsniff/ipfrag.h"
#include "mxsniff/rd.h"
#include "mxsniff/tcpre.h"

#define VLAN_MAX 4       /* tags peeled before we give up */
#define V6_EXT_MAX 8     /* extension headers walked */
#define TICK_EVERY_US 1000000u
#define PORT_SMTP 25

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_8021Q 0x8100
#define ETH_8021AD 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_MPLS 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_SESSION 0x8864
#define ETH_TEB 0x6558      /* transparent Ethernet bridging (GRE, RFC 1701) */
#define ETH_ERSPAN2 0x88be  /* ERSPAN type I/II (GRE) */
#define ETH_ERSPAN3 0x22eb  /* ERSPAN type III (GRE) */
#define ETH_PPP 0x880b      /* PPP (enhanced GRE, RFC 2637) */

#define PPP_IPV4 0x0021     /* RFC 1332 */
#define PPP_IPV6 0x0057     /* RFC 5072 */
#define PPP_MPLS 0x0281     /* RFC 3032 §4.3 */
#define PPP_MPLS_MC 0x0283

#define NFLOG_PAYLOAD 9     /* NFULA_PAYLOAD TLV: the packet from its IP header */

#define IPP_ICMP 1
#define IPP_IPIP 4
#define IPP_IPV6 41
#define IPP_GRE 47
#define IPP_TCP 6
#define IPP_UDP 17
#define IPP_ICMPV6 58
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_ESP 50
#define IP6_AH 51
#define IP6_NONE 59
#define IP6_DSTOPTS 60

/* Capture-copy detection: a 4-way set-associative table of recent IP
 * packets by digest (256 sets of one cache line, 16 KiB). A slot keeps the first
 * copy's time, so a run of copies is measured from the original. A new
 * packet takes the set's oldest slot: at worst a copy goes undetected and
 * is counted as before (a retransmission or duplicate); that needs four
 * packets of the same set between a packet and its copy. 256 direct-mapped
 * slots missed about one copy in 25000 at 40000 packets/s on -i any
 * (soak-live.sh), each then a "duplicate response". */
#define DUP_SLOTS 1024u
#define DUP_WAYS 4u
struct dup_slot {
	uint64_t digest;
	uint64_t ts_us;
};

struct mx_decoder {
	struct mx_decode_opts o;
	struct mx_decode_cb cb;
	struct mx_decode_stats st;
	struct mx_ipfrag *frag;
	struct mx_tcpre *tcp;
	const struct mx_frame *f; /* frame being decoded */
	bool snapcut;             /* the capture cut this frame */
	unsigned tcp_partial;     /* partial TCP messages delivered for this frame */
	unsigned encap;           /* encapsulation levels entered in this frame */
	uint64_t last_tick;
	_Alignas(64) struct dup_slot dup[DUP_SLOTS];
	/* The fast path's message templates (IPv4 and IPv6 UDP): the fields
	 * every datagram shares (address families and zero padding, transport,
	 * partial) are written once, at creation. */
	struct mx_pkt udp4, udp6;
	/* Bit p set: p is one of o.dns_ports (is_dns() without the loop). */
	uint64_t dns_port_bit[65536 / 64];
};

/* What the IP layer hands to the transport layer. */
struct l3 {
	struct mx_addr src, dst;
	uint8_t family;   /* 4 or 6 */
	bool cut;         /* payload shorter than declared because of the capture */
	size_t shortfall; /* declared minus captured payload bytes */
};

/* ---- names and options ------------------------------------------------ */

static const char *const reason_names[MX_R__COUNT] = {
	[MX_R_DNS] = "dns",
	[MX_R_FRAGMENT_HELD] = "fragment_held",
	[MX_R_TCP_HELD] = "tcp_held",
	[MX_R_ICMP_DNS] = "icmp_dns",
	[MX_R_TCP_SMTP] = "tcp_smtp",
	[MX_R_CAPTURE_DUP] = "capture_duplicate",
	[MX_R_RESPONSE_OTHER_PORT] = "response_other_port",
	[MX_R_NOT_IP] = "not_ip",
	[MX_R_OTHER_PROTO] = "other_proto",
	[MX_R_OTHER_PORT] = "other_port",
	[MX_R_ICMP_OTHER] = "icmp_other",
	[MX_R_SHORT_LINK] = "short_link",
	[MX_R_SHORT_IP] = "short_ip",
	[MX_R_SHORT_L4] = "short_l4",
	[MX_R_SHORT_DNS] = "short_dns",
	[MX_R_BAD_IP] = "bad_ip",
	[MX_R_BAD_L4] = "bad_l4",
	[MX_R_BAD_FRAGMENT] = "bad_fragment",
	[MX_R_BAD_TCP_PREFIX] = "bad_tcp_prefix",
	[MX_R_BAD_ENCAP] = "bad_encap",
	[MX_R_LINK_UNSUPPORTED] = "link_unsupported",
	[MX_R_ENCAP_TOO_DEEP] = "encap_too_deep",
};

/* The mapping of mx_decode_reason_verdict() as a table, for the per-frame
 * count (keep the two in step). */
static const uint8_t reason_verdict[MX_R__COUNT] = {
	[MX_R_DNS] = MX_V_OK,
	[MX_R_FRAGMENT_HELD] = MX_V_OK,
	[MX_R_TCP_HELD] = MX_V_OK,
	[MX_R_ICMP_DNS] = MX_V_OK,
	[MX_R_TCP_SMTP] = MX_V_OK,
	[MX_R_CAPTURE_DUP] = MX_V_OK,
	[MX_R_RESPONSE_OTHER_PORT] = MX_V_OK,
	[MX_R_NOT_IP] = MX_V_NOT_DNS,
	[MX_R_OTHER_PROTO] = MX_V_NOT_DNS,
	[MX_R_OTHER_PORT] = MX_V_NOT_DNS,
	[MX_R_ICMP_OTHER] = MX_V_NOT_DNS,
	[MX_R_SHORT_LINK] = MX_V_TRUNCATED,
	[MX_R_SHORT_IP] = MX_V_TRUNCATED,
	[MX_R_SHORT_L4] = MX_V_TRUNCATED,
	[MX_R_SHORT_DNS] = MX_V_TRUNCATED,
	[MX_R_BAD_IP] = MX_V_MALFORMED,
	[MX_R_BAD_L4] = MX_V_MALFORMED,
	[MX_R_BAD_FRAGMENT] = MX_V_MALFORMED,
	[MX_R_BAD_TCP_PREFIX] = MX_V_MALFORMED,
	[MX_R_BAD_ENCAP] = MX_V_MALFORMED,
	[MX_R_LINK_UNSUPPORTED] = MX_V_UNSUPPORTED,
	[MX_R_ENCAP_TOO_DEEP] = MX_V_UNSUPPORTED,
};

const char *mx_decode_reason_name(enum mx_reason r)
{
	if ((unsigned)r >= MX_R__COUNT)
		return "unknown";
	return reason_names[r];
}

enum mx_verdict mx_decode_reason_verdict(enum mx_reason r)
{
	switch (r) {
	case MX_R_DNS:
	case MX_R_FRAGMENT_HELD:
	case MX_R_TCP_HELD:
	case MX_R_ICMP_DNS:
	case MX_R_TCP_SMTP:
	case MX_R_CAPTURE_DUP:
	case MX_R_RESPONSE_OTHER_PORT:
		return MX_V_OK;
	case MX_R_NOT_IP:
	case MX_R_OTHER_PROTO:
	case MX_R_OTHER_PORT:
	case MX_R_ICMP_OTHER:
		return MX_V_NOT_DNS;
	case MX_R_SHORT_LINK:
	case MX_R_SHORT_IP:
	case MX_R_SHORT_L4:
	case MX_R_SHORT_DNS:
		return MX_V_TRUNCATED;
	case MX_R_BAD_IP:
	case MX_R_BAD_L4:
	case MX_R_BAD_FRAGMENT:
	case MX_R_BAD_TCP_PREFIX:
	case MX_R_BAD_ENCAP:
		return MX_V_MALFORMED;
	case MX_R_LINK_UNSUPPORTED:
	case MX_R_ENCAP_TOO_DEEP:
	case MX_R__COUNT:
	default:
		return MX_V_UNSUPPORTED;
	}
}

const char *mx_verdict_name(enum mx_verdict v)
{
	static const char *const n[MX_V__COUNT] = { "ok", "not_dns", "truncated", "malformed",
						    "unsupported" };
	if ((unsigned)v >= MX_V__COUNT)
		return "unknown";
	return n[v];
}

void mx_decode_opts_default(struct mx_decode_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dns_ports[0] = 53;
	o->n_dns_ports = 1;
	o->vxlan_ports[0] = 8472;
	o->n_vxlan_ports = 1;
	o->frag_max = 1024;
	o->frag_timeout_us = 30u * 1000000u;
	o->tcp_max_flows = 4096;
	o->tcp_max_flow_bytes = 128u * 1024u;
	o->tcp_idle_us = 120u * 1000000u;
}

bool mx_decode_linktype_ok(int dlt)
{
	switch (dlt) {
	case MX_DLT_NULL:
	case MX_DLT_EN10MB:
	case MX_DLT_RAW:
	case MX_DLT_RAW_ALT:
	case MX_DLT_LOOP:
	case MX_DLT_LINUX_SLL:
	case MX_DLT_RAW_LINKTYPE:
	case MX_DLT_IPV4:
	case MX_DLT_IPV6:
	case MX_DLT_LINUX_SLL2:
	case MX_DLT_PPP:
	case MX_DLT_PPP_SERIAL:
	case MX_DLT_PPP_ETHER:
	case MX_DLT_C_HDLC:
	case MX_DLT_NFLOG:
		return true;
	default:
		return false;
	}
}

static inline bool dns_port(const struct mx_decoder *d, uint16_t port)
{
	return (d->dns_port_bit[port >> 6] >> (port & 63)) & 1u;
}

bool mx_decode_is_dns_port(const struct mx_decoder *d, uint16_t port)
{
	return dns_port(d, port);
}

/* ---- lifecycle -------------------------------------------------------- */

static void on_tcp_msg(void *ctx, const struct mx_tcp_seg *seg, const uint8_t *msg, size_t len)
{
	struct mx_decoder *d = ctx;
	struct mx_pkt p = {
		.ts_us = seg->ts_us,
		.frame = seg->frame,
		.src = seg->src,
		.dst = seg->dst,
		.sport = seg->sport,
		.dport = seg->dport,
		.transport = MX_T_TCP,
		.dns = msg,
		.dns_len = len,
		.dns_wire_len = len,
		.partial = false,
	};
	d->st.dns_tcp++;
	if (d->cb.dns)
		d->cb.dns(d->cb.ctx, &p);
}

static void on_tcp_partial(void *ctx, const struct mx_tcp_seg *seg, const uint8_t *msg, size_t len,
			   size_t wire_len)
{
	struct mx_decoder *d = ctx;
	struct mx_pkt p = {
		.ts_us = seg->ts_us,
		.frame = seg->frame,
		.src = seg->src,
		.dst = seg->dst,
		.sport = seg->sport,
		.dport = seg->dport,
		.transport = MX_T_TCP,
		.dns = msg,
		.dns_len = len,
		.dns_wire_len = wire_len,
		.partial = len < wire_len,
	};
	d->st.dns_tcp++;
	d->tcp_partial++;
	if (d->cb.dns)
		d->cb.dns(d->cb.ctx, &p);
}

struct mx_decoder *mx_decoder_new(const struct mx_decode_opts *o, const struct mx_decode_cb *cb)
{
	/* 64-byte aligned: the copy table's sets are cache lines */
	struct mx_decoder *d = aligned_alloc(64, (sizeof(*d) + 63) & ~(size_t)63);
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	if (o)
		d->o = *o;
	else
		mx_decode_opts_default(&d->o);
	if (d->o.n_dns_ports == 0) {
		d->o.dns_ports[0] = 53;
		d->o.n_dns_ports = 1;
	}
	if (d->o.n_dns_ports > sizeof(d->o.dns_ports) / sizeof(d->o.dns_ports[0]))
		d->o.n_dns_ports = sizeof(d->o.dns_ports) / sizeof(d->o.dns_ports[0]);
	for (size_t i = 0; i < d->o.n_dns_ports; i++)
		d->dns_port_bit[d->o.dns_ports[i] >> 6] |= (uint64_t)1 << (d->o.dns_ports[i] & 63);
	if (d->o.n_smtp_ports > sizeof(d->o.smtp_ports) / sizeof(d->o.smtp_ports[0]))
		d->o.n_smtp_ports = sizeof(d->o.smtp_ports) / sizeof(d->o.smtp_ports[0]);
	if (d->o.n_vxlan_ports > sizeof(d->o.vxlan_ports) / sizeof(d->o.vxlan_ports[0]))
		d->o.n_vxlan_ports = sizeof(d->o.vxlan_ports) / sizeof(d->o.vxlan_ports[0]);
	d->udp4.src.family = d->udp4.dst.family = 4;
	d->udp6.src.family = d->udp6.dst.family = 6;
	d->udp4.transport = d->udp6.transport = MX_T_UDP;
	if (cb)
		d->cb = *cb;
	d->frag = mx_ipfrag_new(d->o.frag_max, d->o.frag_timeout_us);
	d->tcp = mx_tcpre_new(d->o.tcp_max_flows, d->o.tcp_max_flow_bytes, d->o.tcp_idle_us,
			      on_tcp_msg, d);
	if (!d->frag || !d->tcp) {
		mx_decoder_free(d);
		return NULL;
	}
	mx_tcpre_set_partial_fn(d->tcp, on_tcp_partial);
	return d;
}

void mx_decoder_free(struct mx_decoder *d)
{
	if (!d)
		return;
	mx_ipfrag_free(d->frag);
	mx_tcpre_free(d->tcp);
	free(d);
}

static void sync_stats(struct mx_decoder *d)
{
	const struct mx_tcpre_stats *t = mx_tcpre_peek_stats(d->tcp);
	d->st.frag_timeout = mx_ipfrag_timed_out(d->frag);
	d->st.frag_evicted = mx_ipfrag_evicted(d->frag);
	d->st.tcp_retrans = t->retrans;
	d->st.tcp_out_of_order = t->out_of_order;
	d->st.tcp_gap = t->gap;
	d->st.tcp_midstream = t->midstream;
	d->st.tcp_flows_evicted = t->flows_evicted;
	d->st.tcp_bytes_dropped = t->bytes_dropped;
}

void mx_decode_tick(struct mx_decoder *d, uint64_t now_us)
{
	mx_ipfrag_tick(d->frag, now_us);
	mx_tcpre_tick(d->tcp, now_us);
	if (now_us > d->last_tick)
		d->last_tick = now_us;
}

/* The counters ipfrag and tcpre keep are copied here, when asked for, rather
 * than after every frame or tick that ran them. A decoder is only ever made
 * by mx_decoder_new() (never a const object), so writing through the cast is
 * defined; to the caller the call changes nothing it could observe. */
const struct mx_decode_stats *mx_decode_peek_stats(const struct mx_decoder *d)
{
	struct mx_decoder *w = (struct mx_decoder *)(uintptr_t)d;

	sync_stats(w);
	return &d->st;
}

/* ---- transport -------------------------------------------------------- */

/* Encapsulations (below, after the link layer): entered from UDP (VXLAN) and
 * from IP (IP in IP, GRE), never on the common Ethernet/IP/UDP/DNS path. */
static enum mx_reason dec_vxlan(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r,
				bool gpe);
static enum mx_reason dec_l4_other(struct mx_decoder *d, const struct l3 *l, uint8_t proto,
				   struct mx_rd *r);

static inline bool is_dns(const struct mx_decoder *d, uint16_t sport, uint16_t dport)
{
	return dns_port(d, sport) || dns_port(d, dport);
}

/* Port 25 or a relay host's port (mx_decode_opts.smtp_ports). */
static inline bool smtp_port(const struct mx_decoder *d, uint16_t p)
{
	if (p == PORT_SMTP)
		return true;
	for (size_t i = 0; i < d->o.n_smtp_ports; i++)
		if (d->o.smtp_ports[i] == p)
			return true;
	return false;
}

/* A header that does not fit: the capture's fault or the packet's. */
static enum mx_reason short_or(bool cut, enum mx_reason s, enum mx_reason b)
{
	return cut ? s : b;
}

/* The first 12 bytes of a datagram on no DNS port are a DNS response header
 * (RFC 1035 §4.1.1): QR set, opcode QUERY, exactly one question. Only
 * frames on their way to MX_R_OTHER_PORT get here; NTP (its third byte is
 * the poll exponent, a small number) fails at once, and what passes still
 * needs a pending query to its client port with its ID (cb.offport). */
static inline bool looks_like_response(const struct mx_rd *pl)
{
	const uint8_t *h = pl->p;
	return pl->left >= 12 && (h[2] & 0xf8) == 0x80 && h[4] == 0 && h[5] == 1;
}

/* The DNS payload pl of a UDP datagram, as the DNS callbacks get it. */
static inline struct mx_pkt udp_pkt(const struct mx_decoder *d, const struct l3 *l, const struct mx_rd *pl,
				    uint16_t sport, uint16_t dport, uint16_t ulen)
{
	return (struct mx_pkt){
		.ts_us = d->f->ts_us,
		.frame = d->f->frame,
		.src = l->src,
		.dst = l->dst,
		.sport = sport,
		.dport = dport,
		.transport = MX_T_UDP,
		.dns = pl->p,
		.dns_len = pl->left,
		.dns_wire_len = (size_t)ulen - 8,
		.partial = pl->left < (size_t)ulen - 8,
	};
}

/* A datagram that looks_like_response(): offered to cb.offport, which takes
 * it as DNS (a response whose source port NAT or a middlebox rewrote: the
 * transaction layer reports it WRONG_SOURCE) or leaves it other_port. Out of
 * line: ordinary traffic never comes here. */
static __attribute__((noinline)) enum mx_reason udp_offport(struct mx_decoder *d, const struct l3 *l,
							    const struct mx_rd *pl, uint16_t sport,
							    uint16_t dport, uint16_t ulen)
{
	struct mx_pkt p = udp_pkt(d, l, pl, sport, dport, ulen);
	if (!d->cb.offport(d->cb.ctx, &p))
		return MX_R_OTHER_PORT;
	d->st.dns_udp++;
	return MX_R_RESPONSE_OTHER_PORT;
}

/* RFC 768. */
static enum mx_reason dec_udp(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r)
{
	d->st.udp++;
	if (r->left < 8)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_L4);
	const uint8_t *h = r->p; /* ports, length, checksum */
	uint16_t sport = (uint16_t)(h[0] << 8 | h[1]), dport = (uint16_t)(h[2] << 8 | h[3]);
	uint16_t ulen = (uint16_t)(h[4] << 8 | h[5]);
	r->p += 8;
	r->left -= 8;
	if (ulen < 8) /* also a jumbogram's 0 (RFC 2675), which we do not support */
		return MX_R_BAD_L4;
	bool clamped;
	struct mx_rd pl = mx_rd_sub(r, (size_t)ulen - 8, &clamped);
	if (clamped && !l->cut)
		return MX_R_BAD_L4;
	if (!is_dns(d, sport, dport)) {
		if (dport == MX_DECODE_VXLAN_PORT || dport == MX_DECODE_VXLAN_GPE_PORT)
			return dec_vxlan(d, l, &pl, dport == MX_DECODE_VXLAN_GPE_PORT);
		for (size_t i = 0; i < d->o.n_vxlan_ports; i++)
			if (dport == d->o.vxlan_ports[i])
				return dec_vxlan(d, l, &pl, false);
		if (d->cb.offport && looks_like_response(&pl))
			return udp_offport(d, l, &pl, sport, dport, ulen);
		return MX_R_OTHER_PORT;
	}
	struct mx_pkt p = udp_pkt(d, l, &pl, sport, dport, ulen);
	d->st.dns_udp++;
	if (d->cb.dns)
		d->cb.dns(d->cb.ctx, &p);
	return p.partial ? MX_R_SHORT_DNS : MX_R_DNS;
}

/* RFC 9293 §3.1. */
static enum mx_reason dec_tcp(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r)
{
	d->st.tcp++;
	size_t declared = r->left + l->shortfall; /* segment length per the IP header */
	uint16_t sport = mx_rd_u16(r), dport = mx_rd_u16(r);
	uint32_t seq = mx_rd_u32(r);
	mx_rd_skip(r, 4); /* ack */
	uint8_t off = mx_rd_u8(r), fl = mx_rd_u8(r);
	mx_rd_skip(r, 6); /* window, checksum, urgent pointer */
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_L4);
	size_t hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20 || hlen > declared)
		return MX_R_BAD_L4;
	mx_rd_skip(r, hlen - 20); /* options */
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_L4);
	bool fin = fl & 0x01, syn = fl & 0x02, rst = fl & 0x04, ack = fl & 0x10;
	bool dns = is_dns(d, sport, dport);
	bool smtp = !dns && (smtp_port(d, sport) || smtp_port(d, dport));
	bool ctl = (syn || fin || rst) && (dns || smtp);
	struct mx_tcpctl c = {
		.ts_us = d->f->ts_us, .frame = d->f->frame, .src = l->src, .dst = l->dst,
		.sport = sport, .dport = dport, .syn = syn, .ack = ack, .fin = fin, .rst = rst,
	};
	if (ctl && syn && d->cb.tcpctl)
		d->cb.tcpctl(d->cb.ctx, &c);
	enum mx_reason why;
	if (dns) {
		struct mx_tcp_seg s = {
			.ts_us = d->f->ts_us, .frame = d->f->frame, .src = l->src, .dst = l->dst,
			.sport = sport, .dport = dport, .seq = seq, .syn = syn, .fin = fin, .rst = rst,
			.data = r->p, .len = r->left, .wire_len = declared - hlen,
		};
		const struct mx_tcpre_stats *ts = mx_tcpre_peek_stats(d->tcp);
		uint64_t bad0 = ts->bad_prefix;
		d->tcp_partial = 0;
		int n = mx_tcpre_add(d->tcp, &s);
		if (l->cut || d->tcp_partial)
			why = MX_R_SHORT_DNS;
		else if (n > 0)
			why = MX_R_DNS;
		else if (ts->bad_prefix != bad0)
			why = MX_R_BAD_TCP_PREFIX;
		else
			why = MX_R_TCP_HELD;
	} else {
		why = ctl ? MX_R_TCP_SMTP : MX_R_OTHER_PORT;
	}
	if (ctl && !syn && d->cb.tcpctl)
		d->cb.tcpctl(d->cb.ctx, &c);
	return why;
}

/* Quoted UDP header of an ICMP error: ports, then whatever DNS bytes exist.
 * `room` is what the quoted IP header says follows it (0 = unknown). */
static enum mx_reason icmp_quote_udp(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r,
				     struct mx_icmp *m, size_t room)
{
	m->q_sport = mx_rd_u16(r);
	m->q_dport = mx_rd_u16(r);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_ICMP_OTHER);
	if (!is_dns(d, m->q_sport, m->q_dport))
		return MX_R_ICMP_OTHER;
	uint16_t ulen = mx_rd_u16(r);
	mx_rd_skip(r, 2);
	size_t n = r->bad ? 0 : r->left;
	if (ulen >= 8 && n > (size_t)ulen - 8)
		n = (size_t)ulen - 8;
	if (room >= 8 && n > room - 8)
		n = room - 8;
	m->dns = r->p;
	m->dns_len = n;
	m->ts_us = d->f->ts_us;
	m->frame = d->f->frame;
	m->reporter = l->src;
	if (d->cb.icmp)
		d->cb.icmp(d->cb.ctx, m);
	return MX_R_ICMP_DNS;
}

/* RFC 792: type 3 carries the original IP header + at least 64 bits. */
static enum mx_reason dec_icmp4(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r)
{
	d->st.icmp++;
	uint8_t type = mx_rd_u8(r), code = mx_rd_u8(r);
	mx_rd_skip(r, 6); /* checksum, unused / next-hop MTU */
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_L4);
	if (type != 3)
		return MX_R_ICMP_OTHER;
	uint8_t vihl = mx_rd_u8(r);
	mx_rd_skip(r, 1);
	uint16_t tot = mx_rd_u16(r);
	mx_rd_skip(r, 2);
	uint16_t fo = mx_rd_u16(r);
	mx_rd_skip(r, 1);
	uint8_t proto = mx_rd_u8(r);
	mx_rd_skip(r, 2);
	uint8_t s4[4], d4[4];
	mx_rd_bytes(r, s4, 4);
	mx_rd_bytes(r, d4, 4);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_ICMP_OTHER);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || ihl < 20 || proto != IPP_UDP || (fo & 0x1fff))
		return MX_R_ICMP_OTHER;
	mx_rd_skip(r, ihl - 20);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_ICMP_OTHER);
	struct mx_icmp m = { .family = 4, .type = type, .code = code, .port_unreachable = code == 3 };
	mx_addr_set4(&m.q_src, s4);
	mx_addr_set4(&m.q_dst, d4);
	return icmp_quote_udp(d, l, r, &m, tot > ihl ? tot - ihl : 0);
}

struct v6frag {
	uint8_t nh;
	uint16_t off; /* in 8-octet units */
	bool more;
	uint32_t id;
};

enum { V6_UPPER, V6_FRAG, V6_SHORT, V6_TOO_MANY };

/* RFC 8200 §4: walk extension headers from *nh. V6_UPPER: *nh is not one we
 * walk (r at its header); V6_FRAG: a fragment header was read into *fr (r at
 * the fragmentable part, *nh unchanged). AH length per RFC 4302 §2.2. */
static int v6_walk(struct mx_rd *r, uint8_t *nh, struct v6frag *fr, unsigned *count)
{
	for (;;) {
		switch (*nh) {
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
		case IP6_AH:
		case IP6_FRAGMENT: {
			if (++*count > V6_EXT_MAX)
				return V6_TOO_MANY;
			uint8_t next = mx_rd_u8(r), hl = mx_rd_u8(r);
			if (*nh == IP6_FRAGMENT) {
				uint16_t om = mx_rd_u16(r);
				fr->id = mx_rd_u32(r);
				if (r->bad)
					return V6_SHORT;
				fr->nh = next;
				fr->off = om >> 3;
				fr->more = om & 1;
				return V6_FRAG;
			}
			size_t total = *nh == IP6_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
			mx_rd_skip(r, total - 2);
			if (r->bad)
				return V6_SHORT;
			*nh = next;
			break;
		}
		default:
			return V6_UPPER;
		}
	}
}

/* RFC 4443 §3.1: type 1 carries as much of the invoking packet as fits. */
static enum mx_reason dec_icmp6(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r)
{
	d->st.icmp++;
	uint8_t type = mx_rd_u8(r), code = mx_rd_u8(r);
	mx_rd_skip(r, 6);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_L4);
	if (type != 1)
		return MX_R_ICMP_OTHER;
	uint32_t vtf = mx_rd_u32(r);
	uint16_t plen = mx_rd_u16(r);
	uint8_t nh = mx_rd_u8(r);
	mx_rd_skip(r, 1);
	uint8_t s6[16], d6[16];
	mx_rd_bytes(r, s6, 16);
	mx_rd_bytes(r, d6, 16);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_ICMP_OTHER);
	if ((vtf >> 28) != 6)
		return MX_R_ICMP_OTHER;
	const uint8_t *start = r->p;
	unsigned count = 0;
	struct v6frag fr;
	for (;;) {
		int w = v6_walk(r, &nh, &fr, &count);
		if (w == V6_SHORT)
			return short_or(l->cut, MX_R_SHORT_L4, MX_R_ICMP_OTHER);
		if (w == V6_TOO_MANY)
			return MX_R_ICMP_OTHER;
		if (w == V6_FRAG) {
			if (fr.off != 0)
				return MX_R_ICMP_OTHER; /* no UDP header in this piece */
			nh = fr.nh;
			continue;
		}
		break;
	}
	if (nh != IPP_UDP)
		return MX_R_ICMP_OTHER;
	size_t used = (size_t)(r->p - start);
	struct mx_icmp m = { .family = 6, .type = type, .code = code, .port_unreachable = code == 4 };
	mx_addr_set6(&m.q_src, s6);
	mx_addr_set6(&m.q_dst, d6);
	return icmp_quote_udp(d, l, r, &m, plen > used ? plen - used : 0);
}

static enum mx_reason dec_l4(struct mx_decoder *d, const struct l3 *l, uint8_t proto, struct mx_rd *r)
{
	switch (proto) {
	case IPP_UDP:
		return dec_udp(d, l, r);
	case IPP_TCP:
		return dec_tcp(d, l, r);
	case IPP_ICMP:
		return l->family == 4 ? dec_icmp4(d, l, r) : MX_R_OTHER_PROTO;
	case IPP_ICMPV6:
		return l->family == 6 ? dec_icmp6(d, l, r) : MX_R_OTHER_PROTO;
	default:
		return dec_l4_other(d, l, proto, r);
	}
}

/* ---- IP --------------------------------------------------------------- */

/* mx_addr_set4() without the call: struct l3 starts zeroed, so only the
 * family and the four bytes are written. */
static inline void addr4(struct mx_addr *x, const uint8_t *b)
{
	x->family = 4;
	memcpy(x->a, b, 4);
}

static enum mx_reason frag_result(struct mx_decoder *d, enum mx_ipfrag_res res)
{
	if (res == MX_FRAG_HELD)
		return MX_R_FRAGMENT_HELD;
	if (res == MX_FRAG_BAD)
		return MX_R_BAD_FRAGMENT;
	d->st.frag_reassembled++;
	return MX_R__COUNT; /* done: go on */
}

/* ---- capture copies ---------------------------------------------------- */

static inline uint64_t dup_mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* Digest of an IP packet: `hdr` are the header words (fields a router or a
 * second interface changes already masked out), then the payload captured:
 * all of it up to 64 bytes, else its first 48 and last 16 bytes (UDP header,
 * DNS header and question, the end of the message), and its length. Two
 * lanes of a rotate, an xor and a multiply per word (a bijection each step),
 * mixed at the end: about half the work of a full mix per word. Without the
 * rotate a difference in a lane's top bit stayed there (a multiply carries
 * upwards only), so two packets differing in the top bits of two words of
 * one lane had the same digest and the second counted as a copy. */
#define DUP_K1 0x9e3779b97f4a7c15ull
#define DUP_K2 0xc2b2ae3d27d4eb4full
#define DUP_STEP(h, w, k) (((((h) << 31) | ((h) >> 33)) ^ (w)) * (k))
static inline __attribute__((always_inline)) uint64_t dup_digest_inline(uint64_t hdr,
									 const uint8_t *p, size_t n)
{
	uint64_t a = (hdr ^ ((uint64_t)n << 48)) * DUP_K1, b = 0x6a09e667f3bcc909ull;

	if (n > 64) {
		/* the loop below for a head of 48 bytes, unrolled (same words,
		 * same order): three pairs, no remainder, then the last 16 */
		a = DUP_STEP(a, load64(p), DUP_K1);
		b = DUP_STEP(b, load64(p + 8), DUP_K2);
		a = DUP_STEP(a, load64(p + 16), DUP_K1);
		b = DUP_STEP(b, load64(p + 24), DUP_K2);
		a = DUP_STEP(a, load64(p + 32), DUP_K1);
		b = DUP_STEP(b, load64(p + 40), DUP_K2);
		a = DUP_STEP(a, load64(p + n - 16), DUP_K1);
		b = DUP_STEP(b, load64(p + n - 8), DUP_K2);
		a = dup_mix(a ^ (b >> 31) ^ (a >> 29), b);
		return a == 0 ? 1 : a;
	}

	size_t head = n <= 64 ? n : 48, i = 0;

	for (; i + 16 <= head; i += 16) {
		a = DUP_STEP(a, load64(p + i), DUP_K1);
		b = DUP_STEP(b, load64(p + i + 8), DUP_K2);
	}
	if (i + 8 <= head) {
		a = DUP_STEP(a, load64(p + i), DUP_K1);
		i += 8;
	}
	if (i < head) {
		uint64_t w = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* the last head - i (1..7) bytes as the zero-padded load below
		 * gives them: one load ending at head, shifted down */
		if (head >= 8)
			w = load64(p + head - 8) >> (64 - 8 * (head - i));
		else
#endif
			memcpy(&w, p + i, head - i);
		b = DUP_STEP(b, w, DUP_K2);
	}
	if (head < n) {
		a = DUP_STEP(a, load64(p + n - 16), DUP_K1);
		b = DUP_STEP(b, load64(p + n - 8), DUP_K2);
	}
	a = dup_mix(a ^ (b >> 31) ^ (a >> 29), b);
	return a == 0 ? 1 : a;
}

/* The same, out of line, for the general path. */
static uint64_t dup_digest(uint64_t hdr, const uint8_t *p, size_t n)
{
	return dup_digest_inline(hdr, p, n);
}

uint64_t mx_decode_dup_digest(uint64_t hdr, const uint8_t *p, size_t n)
{
	return dup_digest(hdr, p, n);
}

/* The digest's header word of an IPv6 packet: payload length, next header,
 * addresses. */
static inline uint64_t v6_hdr_word(uint16_t plen, uint8_t nh, const uint8_t *s6, const uint8_t *d6)
{
	return dup_mix(dup_mix((uint64_t)plen | (uint64_t)nh << 16, load64(s6)) ^ load64(s6 + 8),
		       load64(d6)) ^
	       load64(d6 + 8);
}

/* The digest's header word of an IPv4 header h (20 bytes at least): total
 * length, ID, flags/offset, protocol, addresses (not TOS, TTL, checksum). */
static inline uint64_t v4_hdr_word(const uint8_t *h, uint16_t tot)
{
	uint64_t id = (uint64_t)(h[4] << 8 | h[5]), fo = (uint64_t)(h[6] << 8 | h[7]);

	return dup_mix((uint64_t)h[0] | (uint64_t)tot << 8 | id << 24 | fo << 40 |
			       (uint64_t)h[9] << 56,
		       load64(h + 12));
}

/* True when this packet is a copy of one seen within the window. */
static inline bool dup_seen(struct mx_decoder *d, uint64_t ts, uint64_t digest)
{
	struct dup_slot *s = &d->dup[(digest & (DUP_SLOTS / DUP_WAYS - 1)) * DUP_WAYS];

	for (unsigned w = 0; w < DUP_WAYS; w++)
		if (s[w].digest == digest && ts >= s[w].ts_us && ts - s[w].ts_us <= MX_DECODE_DUP_WINDOW_US)
			return true;
	/* the oldest way gives way (ts_us 0: never used) */
	struct dup_slot *v = &s[0];
	for (unsigned w = 1; w < DUP_WAYS; w++)
		if (s[w].ts_us < v->ts_us)
			v = &s[w];
	v->digest = digest;
	v->ts_us = ts;
	return false;
}

/* RFC 791 §3.1. */
static enum mx_reason dec_ipv4(struct mx_decoder *d, struct mx_rd *r)
{
	if (r->left < 1)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	if ((r->p[0] >> 4) != 4)
		return MX_R_BAD_IP;
	if (r->left < 20)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	/* version/IHL, TOS, total length, id, flags/fragment offset, TTL,
	 * protocol, checksum, source, destination */
	const uint8_t *h = r->p;
	uint8_t vihl = h[0];
	uint16_t tot = (uint16_t)(h[2] << 8 | h[3]), id = (uint16_t)(h[4] << 8 | h[5]);
	uint16_t fo = (uint16_t)(h[6] << 8 | h[7]);
	uint8_t proto = h[9];
	r->p += 20;
	r->left -= 20;
	d->st.ipv4++;
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if (tot == 0 && (fo & 0x3fff) == 0)
		/* a packet the sender's NIC segments (TSO/GSO), captured on that
		 * host before it: Linux leaves the total length 0 (Wireshark
		 * assumes the same); the frame gives the length */
		tot = (uint16_t)(r->left + 20u > 65535u ? 65535u : r->left + 20u);
	if (ihl < 20 || tot < ihl)
		return MX_R_BAD_IP;
	mx_rd_skip(r, ihl - 20); /* options */
	if (r->bad)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	bool clamped;
	struct mx_rd pl = mx_rd_sub(r, tot - ihl, &clamped);
	if (clamped && !d->snapcut)
		return MX_R_BAD_IP; /* shorter on the wire than it says */
	/* total length, ID, flags/offset, protocol, addresses (not TOS, TTL,
	 * checksum), and the options */
	{
		uint64_t hw = v4_hdr_word(h, tot);

		if (ihl > 20)
			hw = dup_mix(hw, dup_digest(0, h + 20, ihl - 20));
		if (dup_seen(d, d->f->ts_us, dup_digest(hw, pl.p, pl.left)))
			return MX_R_CAPTURE_DUP;
	}
	struct l3 l = { .family = 4, .cut = clamped, .shortfall = tot - ihl - pl.left };
	addr4(&l.src, h + 12);
	addr4(&l.dst, h + 16);

	bool more = fo & 0x2000;
	uint32_t off = (uint32_t)(fo & 0x1fff) * 8;
	if (more || off) {
		if (proto != IPP_UDP && proto != IPP_TCP && proto != IPP_ICMP && proto != IPP_IPIP &&
		    proto != IPP_IPV6 && proto != IPP_GRE)
			return MX_R_OTHER_PROTO;
		if (clamped)
			return MX_R_SHORT_IP; /* a cut fragment cannot complete anything */
		struct mx_ipfrag_key k = { .src = l.src, .dst = l.dst, .id = id, .proto = proto };
		const uint8_t *out = NULL;
		size_t outlen = 0;
		enum mx_reason why = frag_result(d, mx_ipfrag_add(d->frag, &k, d->f->ts_us, off, more,
								 pl.p, pl.left, &out, &outlen));
		if (why != MX_R__COUNT)
			return why;
		mx_rd_init(&pl, out, outlen);
	}
	return dec_l4(d, &l, proto, &pl);
}

static bool v6_frag_proto_ok(uint8_t nh)
{
	return nh == IPP_UDP || nh == IPP_TCP || nh == IPP_ICMPV6 || nh == IP6_DSTOPTS ||
	       nh == IP6_AH || nh == IPP_IPIP || nh == IPP_IPV6 || nh == IPP_GRE;
}

/* RFC 8200 §3, §4. */
static enum mx_reason dec_ipv6(struct mx_decoder *d, struct mx_rd *r)
{
	if (r->left < 1)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	if ((r->p[0] >> 4) != 6)
		return MX_R_BAD_IP;
	mx_rd_skip(r, 4); /* version, traffic class, flow label */
	uint16_t plen = mx_rd_u16(r);
	uint8_t nh = mx_rd_u8(r);
	mx_rd_skip(r, 1); /* hop limit */
	uint8_t s6[16], d6[16];
	mx_rd_bytes(r, s6, 16);
	mx_rd_bytes(r, d6, 16);
	if (r->bad)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	d->st.ipv6++;
	if (plen == 0) /* jumbogram (RFC 2675) unless nothing follows */
		return nh == IP6_NONE ? MX_R_OTHER_PROTO : MX_R_BAD_IP;
	bool clamped;
	struct mx_rd pl = mx_rd_sub(r, plen, &clamped);
	if (clamped && !d->snapcut)
		return MX_R_BAD_IP;
	/* payload length, next header, addresses (not traffic class, flow label,
	 * hop limit); extension headers are part of the payload */
	if (dup_seen(d, d->f->ts_us, dup_digest(v6_hdr_word(plen, nh, s6, d6), pl.p, pl.left)))
		return MX_R_CAPTURE_DUP;
	struct l3 l = { .family = 6, .cut = clamped, .shortfall = plen - pl.left };
	mx_addr_set6(&l.src, s6);
	mx_addr_set6(&l.dst, d6);

	unsigned count = 0;
	bool reassembled = false;
	struct v6frag fr;
	for (;;) {
		int w = v6_walk(&pl, &nh, &fr, &count);
		if (w == V6_SHORT)
			return short_or(l.cut, MX_R_SHORT_IP, MX_R_BAD_IP);
		if (w == V6_TOO_MANY)
			return MX_R_BAD_IP;
		if (w == V6_UPPER)
			break;
		/* Fragment header (RFC 8200 §4.5). */
		if (fr.off == 0 && !fr.more) { /* atomic fragment, RFC 6946 */
			nh = fr.nh;
			continue;
		}
		if (reassembled)
			return MX_R_BAD_FRAGMENT;
		if (!v6_frag_proto_ok(fr.nh))
			return MX_R_OTHER_PROTO;
		if (l.cut)
			return MX_R_SHORT_IP;
		struct mx_ipfrag_key k = { .src = l.src, .dst = l.dst, .id = fr.id, .proto = fr.nh };
		const uint8_t *out = NULL;
		size_t outlen = 0;
		enum mx_reason why = frag_result(d, mx_ipfrag_add(d->frag, &k, d->f->ts_us,
								 (uint32_t)fr.off * 8, fr.more, pl.p,
								 pl.left, &out, &outlen));
		if (why != MX_R__COUNT)
			return why;
		mx_rd_init(&pl, out, outlen);
		nh = fr.nh;
		reassembled = true;
	}
	if (nh == IP6_ESP || nh == IP6_NONE)
		return MX_R_OTHER_PROTO;
	return dec_l4(d, &l, nh, &pl);
}

static enum mx_reason dec_ip_version(struct mx_decoder *d, struct mx_rd *r, int want)
{
	if (r->left < 1)
		return short_or(d->snapcut, MX_R_SHORT_IP, MX_R_BAD_IP);
	int v = r->p[0] >> 4;
	if (want && v != want)
		return MX_R_BAD_IP;
	if (v == 4)
		return dec_ipv4(d, r);
	if (v == 6)
		return dec_ipv6(d, r);
	return MX_R_BAD_IP;
}

/* ---- link ------------------------------------------------------------- */

static enum mx_reason dec_ethertype_other(struct mx_decoder *d, struct mx_rd *r, uint16_t type);

/* An EtherType, after peeling 802.1Q / 802.1ad tags (IEEE 802.1Q §9.6). */
static enum mx_reason dec_ethertype(struct mx_decoder *d, struct mx_rd *r, uint16_t type)
{
	unsigned tags = 0;
	while (type == ETH_8021Q || type == ETH_8021AD || type == ETH_QINQ_OLD) {
		if (tags == VLAN_MAX)
			return MX_R_NOT_IP;
		mx_rd_skip(r, 2); /* TCI */
		type = mx_rd_u16(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
		if (tags++ == 0)
			d->st.vlan_tagged++;
	}
	if (type == ETH_IPV4)
		return dec_ipv4(d, r);
	if (type == ETH_IPV6)
		return dec_ipv6(d, r);
	return dec_ethertype_other(d, r, type);
}

/* BSD loopback address families: AF_INET, and AF_INET6 as NetBSD/OpenBSD,
 * FreeBSD and Darwin number it. */
static int null_family(uint32_t af)
{
	if (af == 2)
		return 4;
	if (af == 24 || af == 28 || af == 30)
		return 6;
	return 0;
}

static enum mx_reason dec_link_other(struct mx_decoder *d, struct mx_rd *r, int dlt);

static enum mx_reason dec_link(struct mx_decoder *d, struct mx_rd *r, int dlt)
{
	switch (dlt) {
	case MX_DLT_EN10MB: {
		mx_rd_skip(r, 12); /* destination, source */
		uint16_t type = mx_rd_u16(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
		return dec_ethertype(d, r, type);
	}
	case MX_DLT_LINUX_SLL: {
		/* packet type, ARPHRD, address length, 8 address bytes, protocol */
		mx_rd_skip(r, 14);
		uint16_t type = mx_rd_u16(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
		return dec_ethertype(d, r, type);
	}
	case MX_DLT_LINUX_SLL2: {
		/* protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes */
		uint16_t type = mx_rd_u16(r);
		mx_rd_skip(r, 18);
		if (r->bad)
			return MX_R_SHORT_LINK;
		return dec_ethertype(d, r, type);
	}
	case MX_DLT_NULL:
	case MX_DLT_LOOP: {
		uint32_t af = mx_rd_u32(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
		int v = null_family(af);
		if (!v && dlt == MX_DLT_NULL) /* host byte order of the writer */
			v = null_family((af >> 24) | ((af >> 8) & 0xff00) | ((af << 8) & 0xff0000) |
					(af << 24));
		if (v == 4)
			return dec_ipv4(d, r);
		if (v == 6)
			return dec_ipv6(d, r);
		return MX_R_NOT_IP;
	}
	case MX_DLT_RAW:
	case MX_DLT_RAW_ALT:
	case MX_DLT_RAW_LINKTYPE:
		return dec_ip_version(d, r, 0);
	case MX_DLT_IPV4:
		return dec_ip_version(d, r, 4);
	case MX_DLT_IPV6:
		return dec_ip_version(d, r, 6);
	default:
		return dec_link_other(d, r, dlt);
	}
}

/* ---- encapsulations ---------------------------------------------------- *
 *
 * Reached only from the `default` arms of the EtherType, link type and IP
 * protocol switches and from a UDP datagram to port 4789/4790 that is not
 * DNS, so the common Ethernet/IP/UDP path does not pass here. Each level
 * (an MPLS label stack, a PPPoE session, GRE, VXLAN, IP in IP) counts one
 * against MX_DECODE_ENCAP_MAX; what it carries is decoded as if it had been
 * captured alone: the inner IP packet gives the addresses and ports, is
 * checked for capture copies and has its fragments reassembled under its own
 * addresses. The outer packet is only transport; outer IP fragments of a
 * tunnel packet (IP in IP, GRE) are reassembled like any other before the
 * inner packet is looked at.
 *
 * A header cut by the capture is SHORT_LINK (link-level: MPLS, PPP, PPPoE,
 * HDLC, NFLOG) or SHORT_L4 (inside IP: GRE, VXLAN); one that contradicts
 * itself, or is too short on the wire, is BAD_ENCAP. */

static bool encap_enter(struct mx_decoder *d)
{
	return ++d->encap <= MX_DECODE_ENCAP_MAX;
}

/* An Ethernet header (the inner frame of a pseudowire, GRE bridging,
 * ERSPAN or VXLAN). */
static enum mx_reason dec_eth(struct mx_decoder *d, struct mx_rd *r)
{
	mx_rd_skip(r, 12); /* destination, source */
	uint16_t type = mx_rd_u16(r);
	if (r->bad)
		return MX_R_SHORT_LINK;
	return dec_ethertype(d, r, type);
}

/* RFC 3032: label stack entries (label 20 bits, TC 3, bottom of stack 1, TTL
 * 8) until the bottom-of-stack bit. No signalling tells what follows, so as
 * tcpdump and Wireshark do we look at the first nibble: 4 IPv4, 6 IPv6, 0 the
 * pseudowire control word of RFC 4385 followed by Ethernet (RFC 4448).
 * Ethernet pseudowires without the control word cannot be told from the
 * bytes and are not decoded (most are NOT_IP, a destination MAC starting
 * with nibble 4 or 6 BAD_IP). */
static enum mx_reason dec_mpls(struct mx_decoder *d, struct mx_rd *r)
{
	if (!encap_enter(d))
		return MX_R_ENCAP_TOO_DEEP;
	d->st.mpls++;
	for (unsigned n = 1;; n++) {
		uint32_t lse = mx_rd_u32(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
		if (lse & 0x100)
			break;
		if (n == MX_DECODE_MPLS_MAX)
			return MX_R_ENCAP_TOO_DEEP;
	}
	if (r->left < 1)
		return short_or(d->snapcut, MX_R_SHORT_LINK, MX_R_BAD_ENCAP);
	switch (r->p[0] >> 4) {
	case 4:
		return dec_ipv4(d, r);
	case 6:
		return dec_ipv6(d, r);
	case 0:
		mx_rd_skip(r, 4); /* control word: 0000, flags, length, sequence */
		if (r->bad)
			return MX_R_SHORT_LINK;
		return dec_eth(d, r);
	default:
		return MX_R_NOT_IP; /* G-ACh (0001), or a pseudowire of another kind */
	}
}

/* RFC 1661 §2: the PPP protocol field (one byte when protocol-field
 * compression made it so: an odd first byte), then what it names. */
static enum mx_reason dec_ppp(struct mx_decoder *d, struct mx_rd *r)
{
	if (r->left < 1)
		return MX_R_SHORT_LINK;
	uint16_t proto = r->p[0];
	if (proto & 1) {
		mx_rd_skip(r, 1);
	} else {
		proto = mx_rd_u16(r);
		if (r->bad)
			return MX_R_SHORT_LINK;
	}
	switch (proto) {
	case PPP_IPV4:
		return dec_ip_version(d, r, 4);
	case PPP_IPV6:
		return dec_ip_version(d, r, 6);
	case PPP_MPLS:
	case PPP_MPLS_MC:
		return dec_mpls(d, r);
	default:
		return MX_R_NOT_IP; /* LCP, IPCP, CHAP, ... */
	}
}

/* PPP with the RFC 1662 address and control bytes (0xff 0x03) or without
 * (address-and-control-field compression). */
static enum mx_reason dec_ppp_hdlc(struct mx_decoder *d, struct mx_rd *r)
{
	if (r->left < 2) /* no room for a protocol and a packet */
		return short_or(d->snapcut, MX_R_SHORT_LINK, MX_R_BAD_ENCAP);
	if (r->p[0] == 0xff && r->p[1] == 0x03)
		mx_rd_skip(r, 2);
	return dec_ppp(d, r);
}

/* RFC 2516 §4: PPPoE session stage, version 1 type 1 code 0, then PPP. */
static enum mx_reason dec_pppoe(struct mx_decoder *d, struct mx_rd *r)
{
	if (!encap_enter(d))
		return MX_R_ENCAP_TOO_DEEP;
	uint8_t vt = mx_rd_u8(r), code = mx_rd_u8(r);
	mx_rd_skip(r, 2); /* session id */
	uint16_t len = mx_rd_u16(r);
	if (r->bad)
		return MX_R_SHORT_LINK;
	d->st.pppoe++;
	if (vt != 0x11 || code != 0)
		return MX_R_BAD_ENCAP;
	bool clamped;
	struct mx_rd pl = mx_rd_sub(r, len, &clamped);
	if (clamped && !d->snapcut)
		return MX_R_BAD_ENCAP;
	return dec_ppp(d, &pl);
}

static enum mx_reason dec_ethertype_other(struct mx_decoder *d, struct mx_rd *r, uint16_t type)
{
	switch (type) {
	case ETH_MPLS:
	case ETH_MPLS_MC:
		return dec_mpls(d, r);
	case ETH_PPPOE_SESSION:
		return dec_pppoe(d, r);
	default:
		return MX_R_NOT_IP; /* ARP, LLDP, PPPoE discovery (0x8863), ... */
	}
}

/* ERSPAN (draft-foschiano-erspan): type II (0x88be with the GRE sequence
 * bit) has an 8-byte header, version 1; type I (0x88be without it) none;
 * type III (0x22eb) 12 bytes, version 2, then an 8-byte platform subheader
 * when its O bit is set. What follows is the mirrored Ethernet frame (type
 * III frame type 0; others are not decoded). */
static enum mx_reason dec_erspan(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r,
				 uint16_t proto, bool seq)
{
	d->st.erspan++;
	if (proto == ETH_ERSPAN2 && !seq)
		return dec_eth(d, r);
	size_t need = proto == ETH_ERSPAN2 ? 8 : 12;
	if (r->left < need)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_ENCAP);
	const uint8_t *h = r->p;
	unsigned ver = h[0] >> 4;
	if (ver != (proto == ETH_ERSPAN2 ? 1u : 2u))
		return MX_R_BAD_ENCAP;
	mx_rd_skip(r, need);
	if (proto == ETH_ERSPAN3) {
		unsigned ft = (h[10] >> 2) & 0x1f;
		if (h[11] & 0x01) { /* O: platform-specific subheader */
			mx_rd_skip(r, 8);
			if (r->bad)
				return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_ENCAP);
		}
		if (ft != 0)
			return MX_R_NOT_IP;
	}
	return dec_eth(d, r);
}

/* RFC 2784 with the RFC 2890 key and sequence number (and the RFC 1701
 * layout they come from: a checksum or routing bit brings both 16-bit
 * fields); version 1 is the enhanced GRE of PPTP (RFC 2637 §4.1: key
 * mandatory, optional acknowledgement, PPP inside). Source routing (RFC
 * 1701) is not decoded. */
static enum mx_reason dec_gre(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r)
{
	if (!encap_enter(d))
		return MX_R_ENCAP_TOO_DEEP;
	d->st.gre++;
	uint8_t f0 = mx_rd_u8(r), f1 = mx_rd_u8(r);
	uint16_t proto = mx_rd_u16(r);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_ENCAP);
	bool csum = f0 & 0x80, routing = f0 & 0x40, key = f0 & 0x20, seq = f0 & 0x10;
	unsigned ver = f1 & 0x07;
	if (routing || ver > 1 || (ver == 1 && (!key || csum || proto != ETH_PPP)))
		return MX_R_BAD_ENCAP;
	size_t opt = (csum ? 4u : 0u) + (key ? 4u : 0u) + (seq ? 4u : 0u) +
		     (ver == 1 && (f1 & 0x80) ? 4u : 0u); /* acknowledgement */
	mx_rd_skip(r, opt);
	if (r->bad)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_ENCAP);
	switch (proto) {
	case ETH_TEB:
		return dec_eth(d, r);
	case ETH_ERSPAN2:
	case ETH_ERSPAN3:
		return dec_erspan(d, l, r, proto, seq);
	case ETH_PPP:
		return dec_ppp_hdlc(d, r);
	default:
		return dec_ethertype(d, r, proto); /* IPv4, IPv6, MPLS (RFC 4023), ... */
	}
}

/* RFC 7348 §5: flags (I = VNI valid), 24 reserved bits, VNI, 8 reserved
 * bits, then Ethernet. VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe) names what
 * follows in its fourth byte when its P bit is set: 1 IPv4, 2 IPv6, 3
 * Ethernet, 5 MPLS; without P it is Ethernet. */
static enum mx_reason dec_vxlan(struct mx_decoder *d, const struct l3 *l, struct mx_rd *r,
				bool gpe)
{
	if (r->left < 8)
		return short_or(l->cut, MX_R_SHORT_L4, MX_R_BAD_ENCAP);
	if (!encap_enter(d))
		return MX_R_ENCAP_TOO_DEEP;
	d->st.vxlan++;
	uint8_t flags = r->p[0], next = r->p[3];
	mx_rd_skip(r, 8);
	if (!gpe) {
		if (!(flags & 0x08))
			return MX_R_BAD_ENCAP;
		return dec_eth(d, r);
	}
	if (!(flags & 0x04))
		next = 3;
	switch (next) {
	case 1:
		return dec_ip_version(d, r, 4);
	case 2:
		return dec_ip_version(d, r, 6);
	case 3:
		return dec_eth(d, r);
	case 5:
		return dec_mpls(d, r);
	default:
		return MX_R_NOT_IP; /* NSH, ... */
	}
}

/* IP protocols past UDP, TCP and ICMP: IPv4 in IP (RFC 2003), IPv6 in IP
 * (RFC 4213 §3.5, RFC 2473), GRE. */
static enum mx_reason dec_l4_other(struct mx_decoder *d, const struct l3 *l, uint8_t proto,
				   struct mx_rd *r)
{
	switch (proto) {
	case IPP_IPIP:
	case IPP_IPV6:
		if (!encap_enter(d))
			return MX_R_ENCAP_TOO_DEEP;
		d->st.ip_in_ip++;
		return dec_ip_version(d, r, proto == IPP_IPIP ? 4 : 6);
	case IPP_GRE:
		return dec_gre(d, l, r);
	default:
		return MX_R_OTHER_PROTO;
	}
}

/* Linux NFLOG (libpcap's pcap/nflog.h): family, version, resource id, then
 * TLVs whose 16-bit length (header included, padding not) and type are in
 * the byte order of the host that wrote the capture, each padded to 4 bytes.
 * The packet, from its IP header, is the NFULA_PAYLOAD TLV. Attribute types
 * are small numbers, so a type with a zero low byte tells the other order
 * (libpcap turns pcap files to ours; pcapng files are read as written). */
static enum mx_reason dec_nflog(struct mx_decoder *d, struct mx_rd *r)
{
	mx_rd_skip(r, 4);
	if (r->bad)
		return MX_R_SHORT_LINK;
	for (unsigned n = 0; n < 64; n++) {
		uint16_t len, type;
		if (r->left < 4)
			return short_or(d->snapcut, MX_R_SHORT_LINK, MX_R_NOT_IP);
		memcpy(&len, r->p, 2);
		memcpy(&type, r->p + 2, 2);
		if (type > 0xff) {
			len = (uint16_t)(len << 8 | len >> 8);
			type = (uint16_t)(type << 8 | type >> 8);
		}
		if (len < 4)
			return MX_R_BAD_ENCAP;
		mx_rd_skip(r, 4);
		if ((type & 0x7fff) == NFLOG_PAYLOAD) {
			bool clamped;
			struct mx_rd pl = mx_rd_sub(r, (size_t)len - 4, &clamped);
			if (clamped && !d->snapcut)
				return MX_R_BAD_ENCAP;
			return dec_ip_version(d, &pl, 0);
		}
		mx_rd_skip(r, (((size_t)len + 3) & ~(size_t)3) - 4);
		if (r->bad)
			return short_or(d->snapcut, MX_R_SHORT_LINK, MX_R_BAD_ENCAP);
	}
	return MX_R_BAD_ENCAP;
}

/* Link types past the common ones. */
static enum mx_reason dec_link_other(struct mx_decoder *d, struct mx_rd *r, int dlt)
{
	switch (dlt) {
	case MX_DLT_PPP:
		return dec_ppp_hdlc(d, r);
	case MX_DLT_PPP_SERIAL:
		/* RFC 1662 framing, or Cisco HDLC as libpcap also gives it here */
		if (r->left >= 1 && (r->p[0] == 0x0f || r->p[0] == 0x8f))
			break;
		return dec_ppp_hdlc(d, r);
	case MX_DLT_C_HDLC:
		break;
	case MX_DLT_PPP_ETHER:
		return dec_pppoe(d, r);
	case MX_DLT_NFLOG:
		return dec_nflog(d, r);
	default:
		return MX_R_LINK_UNSUPPORTED;
	}
	/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, EtherType */
	mx_rd_skip(r, 2);
	uint16_t type = mx_rd_u16(r);
	if (r->bad)
		return MX_R_SHORT_LINK;
	return dec_ethertype(d, r, type);
}

/* ---- the common shape ---------------------------------------------------
 *
 * Most frames are Ethernet (no VLAN tag), IPv4 without options and not a
 * fragment or IPv6 with UDP as the next header, and a UDP datagram to or from
 * a DNS port, all of it captured and every length consistent. dec_fast()
 * recognises exactly that before it changes anything and then does what the
 * general path (dec_link, dec_ipv4/dec_ipv6, dec_udp) would do for it: the
 * same counters in the same order, the same capture-copy digest and the same
 * message, written into a template whose constant fields were set once. Any
 * other frame returns MX_R__COUNT untouched and takes the general path. */

static inline uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FAST_LE 1
#else
#define FAST_LE 0
#endif

/* An IPv4 header h without options, not a fragment (MF clear, offset 0),
 * protocol UDP: version/IHL 0x45, the flags byte's low 6 bits and the
 * offset's low byte 0, in one masked compare of the first 8 bytes. */
static inline bool v4_plain_udp(const uint8_t *h)
{
	if (FAST_LE)
		return (load64(h) & 0xff3f0000000000ffull) == 0x45 && h[9] == IPP_UDP;
	return h[0] == 0x45 && (h[6] & 0x3f) == 0 && h[7] == 0 && h[9] == IPP_UDP;
}

/* v4_hdr_word(h, total length as in the header), from two loads: bytes 2..9
 * (total length, ID, flags/offset, TTL, protocol) with the bytes of each pair
 * swapped are the word's bytes 1..7 (the TTL falls off the top). */
static inline uint64_t v4_plain_hdr_word(const uint8_t *h)
{
	if (FAST_LE) {
		uint64_t y = load64(h + 2), m = 0x00ff00ff00ff00ffull;

		return dup_mix(((y & m) << 8 | (y >> 8 & m)) << 8 | h[0], load64(h + 12));
	}
	return v4_hdr_word(h, be16(h + 2));
}

static inline enum mx_reason dec_fast(struct mx_decoder *d, const struct mx_frame *f)
{
	const uint8_t *e = f->data, *u;
	size_t cap = f->caplen, n;
	uint16_t ulen;
	uint64_t hw;
	struct mx_pkt *p;

	if (f->linktype != MX_DLT_EN10MB || e == NULL || cap < 14 + 20 + 8)
		return MX_R__COUNT;
	uint16_t type = be16(e + 12);
	if (type == ETH_IPV4) {
		const uint8_t *h = e + 14;
		uint16_t tot = be16(h + 2);
		u = h + 20;
		ulen = be16(u + 4);
		if (!v4_plain_udp(h) || tot < 20 + 8 || tot > cap - 14 || ulen < 8 ||
		    ulen > tot - 20 || !is_dns(d, be16(u), be16(u + 2)))
			return MX_R__COUNT;
		d->st.ipv4++;
		hw = v4_plain_hdr_word(h);
		n = (size_t)tot - 20;
		p = &d->udp4;
		memcpy(p->src.a, h + 12, 4);
		memcpy(p->dst.a, h + 16, 4);
	} else if (type == ETH_IPV6 && cap >= 14 + 40 + 8) {
		const uint8_t *h = e + 14;
		uint16_t plen = be16(h + 4);
		u = h + 40;
		ulen = be16(u + 4);
		if ((h[0] >> 4) != 6 || h[6] != IPP_UDP || plen < 8 || plen > cap - 14 - 40 ||
		    ulen < 8 || ulen > plen || !is_dns(d, be16(u), be16(u + 2)))
			return MX_R__COUNT;
		d->st.ipv6++;
		hw = v6_hdr_word(plen, IPP_UDP, h + 8, h + 24);
		n = plen;
		p = &d->udp6;
		memcpy(p->src.a, h + 8, 16);
		memcpy(p->dst.a, h + 24, 16);
	} else {
		return MX_R__COUNT;
	}
	/* (the template's addresses are written before the copy check: they
	 * are read only when a message is delivered) */
	if (dup_seen(d, f->ts_us, dup_digest_inline(hw, u, n)))
		return MX_R_CAPTURE_DUP;
	d->st.udp++;
	p->ts_us = f->ts_us;
	p->frame = f->frame;
	p->sport = be16(u);
	p->dport = be16(u + 2);
	p->dns = u + 8;
	p->dns_len = p->dns_wire_len = (size_t)ulen - 8;
	d->st.dns_udp++;
	if (d->cb.dns)
		d->cb.dns(d->cb.ctx, p);
	return MX_R_DNS;
}

enum mx_verdict mx_decode_frame(struct mx_decoder *d, const struct mx_frame *f)
{
	d->st.frames++;
	if (f->ts_us > d->last_tick && f->ts_us - d->last_tick >= TICK_EVERY_US) {
		mx_ipfrag_tick(d->frag, f->ts_us);
		mx_tcpre_tick(d->tcp, f->ts_us);
		d->last_tick = f->ts_us;
	}
	enum mx_reason why = dec_fast(d, f);
	if (why == MX_R__COUNT) {
		d->f = f;
		d->snapcut = f->len > f->caplen;
		d->encap = 0;
		struct mx_rd r;
		mx_rd_init(&r, f->data, f->data ? f->caplen : 0);
		why = dec_link(d, &r, f->linktype);
		d->f = NULL;
		if ((unsigned)why >= MX_R__COUNT)
			why = MX_R_LINK_UNSUPPORTED;
	}
	enum mx_verdict v = (enum mx_verdict)reason_verdict[why];
	d->st.reason[why]++;
	d->st.verdict[v]++;
	return v;
}
