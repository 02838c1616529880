/* decode.h - frame -> IP -> UDP/TCP/ICMP -> DNS message bytes (L2).
 *
 * mx_decode_frame() peels the link layer (Ethernet + 802.1Q/802.1ad, Linux SLL
 * and SLL2, BSD NULL/LOOP, raw IPv4/IPv6, PPP, PPP in HDLC framing, Cisco
 * HDLC, PPPoE, Linux NFLOG), encapsulations (MPLS, PPPoE sessions, IP in IP,
 * GRE with ERSPAN or bridged Ethernet, VXLAN; at most MX_DECODE_ENCAP_MAX
 * levels), IPv4 or IPv6 (extension headers, fragments reassembled by
 * ipfrag), then UDP or TCP (stream reassembly by tcpre), and calls back with each DNS message found, each ICMP/ICMPv6
 * destination-unreachable that quotes a UDP datagram to/from a DNS port, and
 * each TCP control segment (SYN, RST, FIN) to or from a DNS port or port 25.
 * A UDP datagram on no DNS port is offered to cb.offport when its first 12
 * bytes look like the header of a DNS response (QR=1, opcode QUERY, one
 * question): a response whose source port NAT rewrote. It does not parse
 * DNS further (nor beyond the TCP length prefix): dns.c does that.
 *
 * Every frame gets exactly one verdict reason, counted in mx_decode_stats. All
 * tables are bounded (opts) and evictions are counted. Bytes given to callbacks
 * are borrowed for the callback only.
 */
#ifndef MXSNIFF_DECODE_H
#define MXSNIFF_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/capture.h"

enum mx_verdict { MX_V_OK, MX_V_NOT_DNS, MX_V_TRUNCATED, MX_V_MALFORMED, MX_V_UNSUPPORTED, MX_V__COUNT };

/* Why a frame got its verdict. One counter each; mx_decode_reason_name() gives
 * the stable snake_case name used in reports and JSON. */
enum mx_reason {
	MX_R_DNS = 0,          /* OK: carried (part of) a DNS message */
	MX_R_FRAGMENT_HELD,    /* OK: an IP fragment waiting for the rest */
	MX_R_TCP_HELD,         /* OK: TCP segment buffered or control only */
	MX_R_ICMP_DNS,         /* OK: ICMP unreachable quoting a DNS datagram */
	MX_R_TCP_SMTP,         /* OK: TCP control segment to/from port 25 */
	MX_R_CAPTURE_DUP,      /* OK: a capture copy of an IP packet seen within
				* MX_DECODE_DUP_WINDOW_US (skipped) */
	MX_R_RESPONSE_OTHER_PORT, /* OK: UDP on no DNS port, taken as DNS: a
				   * response header to a client port where a
				   * query with its ID is pending (cb.offport) */
	MX_R_NOT_IP,           /* NOT_DNS: ARP, LLDP, ... */
	MX_R_OTHER_PROTO,      /* NOT_DNS: IP but not UDP/TCP/ICMP */
	MX_R_OTHER_PORT,       /* NOT_DNS: UDP/TCP not on a DNS port */
	MX_R_ICMP_OTHER,       /* NOT_DNS: ICMP not about DNS */
	MX_R_SHORT_LINK,       /* TRUNCATED: snaplen cut the link header */
	MX_R_SHORT_IP,         /* TRUNCATED: snaplen cut the IP header */
	MX_R_SHORT_L4,         /* TRUNCATED: snaplen cut the UDP/TCP header */
	MX_R_SHORT_DNS,        /* TRUNCATED: DNS payload cut by snaplen (still delivered, partial) */
	MX_R_BAD_IP,           /* MALFORMED: bad version, header length, total length */
	MX_R_BAD_L4,           /* MALFORMED: bad UDP length, TCP data offset */
	MX_R_BAD_FRAGMENT,     /* MALFORMED: overlapping/oversized fragment */
	MX_R_BAD_TCP_PREFIX,   /* MALFORMED: TCP DNS length prefix < 12 */
	MX_R_BAD_ENCAP,        /* MALFORMED: a tunnel or encapsulation header that
				* contradicts itself (GRE version, PPPoE length, ...) */
	MX_R_LINK_UNSUPPORTED, /* UNSUPPORTED: link type we cannot decode */
	MX_R_ENCAP_TOO_DEEP,   /* UNSUPPORTED: more than MX_DECODE_ENCAP_MAX nested
				* encapsulations, or an MPLS stack deeper than
				* MX_DECODE_MPLS_MAX labels */
	MX_R__COUNT
};

struct mx_decode_stats {
	uint64_t frames;
	uint64_t reason[MX_R__COUNT];
	uint64_t verdict[MX_V__COUNT]; /* sums of reason[] by verdict */
	uint64_t ipv4, ipv6, udp, tcp, icmp, vlan_tagged;
	/* encapsulation headers met, one count per header (a GRE packet inside
	 * another counts 2): MPLS label stacks, PPPoE sessions, GRE (ERSPAN
	 * included), ERSPAN, VXLAN, IPv4/IPv6 inside IPv4/IPv6 */
	uint64_t mpls, pppoe, gre, erspan, vxlan, ip_in_ip;
	uint64_t dns_udp, dns_tcp;     /* DNS messages delivered by transport */
	uint64_t frag_reassembled, frag_timeout, frag_evicted;
	uint64_t tcp_retrans, tcp_out_of_order, tcp_gap, tcp_midstream,
		 tcp_flows_evicted, tcp_bytes_dropped;
};

/* The same IP packet (TTL/hop limit and IPv4 checksum aside) seen again
 * within this time is a capture copy, not a retransmission: `tcpdump -i any`
 * on a host with a bridge, veths or containers records each packet on every
 * interface it crosses, microseconds apart; a stub resends the same query
 * after a second or more. */
#define MX_DECODE_DUP_WINDOW_US 2000u

/* Encapsulation levels peeled in one frame (MPLS stack, PPPoE, GRE, VXLAN,
 * IP in IP each count one) and MPLS label stack entries popped; beyond either
 * the frame is MX_R_ENCAP_TOO_DEEP. */
#define MX_DECODE_ENCAP_MAX 4
#define MX_DECODE_MPLS_MAX 8

/* UDP destination ports of VXLAN (RFC 7348) and VXLAN-GPE. */
#define MX_DECODE_VXLAN_PORT 4789
#define MX_DECODE_VXLAN_GPE_PORT 4790

#define MX_T_UDP 17
#define MX_T_TCP 6

/* One DNS message's bytes with its addressing. */
struct mx_pkt {
	uint64_t ts_us;
	uint64_t frame;          /* frame that completed the message */
	struct mx_addr src, dst;
	uint16_t sport, dport;
	uint8_t transport;       /* MX_T_UDP or MX_T_TCP */
	const uint8_t *dns;      /* DNS message (TCP: after the length prefix) */
	size_t dns_len;          /* bytes available at dns */
	size_t dns_wire_len;     /* bytes the message really had (UDP length-8 or
				  * TCP prefix); > dns_len when snaplen cut it */
	bool partial;            /* dns_len < dns_wire_len */
};

/* ICMP(v6) destination unreachable quoting a UDP datagram with a DNS port. */
struct mx_icmp {
	uint64_t ts_us, frame;
	struct mx_addr reporter;      /* who sent the ICMP */
	uint8_t family;               /* 4 or 6 */
	uint8_t type, code;           /* as on the wire */
	bool port_unreachable;        /* v4 3/3, v6 1/4 */
	/* the quoted datagram (the original query) */
	struct mx_addr q_src, q_dst;
	uint16_t q_sport, q_dport;
	const uint8_t *dns;           /* quoted DNS bytes (often only a prefix) */
	size_t dns_len;
};

/* TCP segment with SYN, FIN or RST to or from a DNS port, port 25 or one
 * of mx_decode_opts.smtp_ports. */
struct mx_tcpctl {
	uint64_t ts_us, frame;
	struct mx_addr src, dst;
	uint16_t sport, dport;
	bool syn, ack, fin, rst;
};

struct mx_decode_cb {
	void *ctx;
	void (*dns)(void *ctx, const struct mx_pkt *p);
	void (*icmp)(void *ctx, const struct mx_icmp *m);      /* may be NULL */
	void (*tcpctl)(void *ctx, const struct mx_tcpctl *t);  /* may be NULL */
	/* A UDP datagram to and from no DNS port whose first 12 bytes are a
	 * DNS response header (QR=1, opcode 0, QDCOUNT 1). Return true to take
	 * it as a DNS message (then it was handled here, counted dns_udp and
	 * MX_R_RESPONSE_OTHER_PORT, and `dns` is not called for it); false
	 * leaves it MX_R_OTHER_PORT. May be NULL (never offered). Called only
	 * for frames that would otherwise be other_port. */
	bool (*offport)(void *ctx, const struct mx_pkt *p);
};

struct mx_decode_opts {
	uint16_t dns_ports[8];   /* default {53} */
	size_t n_dns_ports;
	/* Besides port 25, TCP ports whose SYN/FIN/RST segments are handed to
	 * the tcpctl callback and counted as tcp_smtp: the relay hosts' ports
	 * (--relayhost [HOST]:587). Default none. */
	uint16_t smtp_ports[8];
	size_t n_smtp_ports;
	/* Besides 4789 (VXLAN) and 4790 (VXLAN-GPE), UDP destination ports
	 * decoded as VXLAN when not a DNS port (--vxlan-port). Default {8472}:
	 * the Linux kernel's own default port, which flannel uses. */
	uint16_t vxlan_ports[4];
	size_t n_vxlan_ports;
	size_t frag_max;         /* reassembly buffers in total (default 1024) */
	uint64_t frag_timeout_us;/* default 30 s */
	size_t tcp_max_flows;    /* default 4096 */
	size_t tcp_max_flow_bytes; /* buffered bytes per flow direction (default 128 KiB) */
	uint64_t tcp_idle_us;    /* flow dropped after this idle time (default 120 s) */
};

void mx_decode_opts_default(struct mx_decode_opts *o);

struct mx_decoder;

struct mx_decoder *mx_decoder_new(const struct mx_decode_opts *o, const struct mx_decode_cb *cb);
void mx_decoder_free(struct mx_decoder *d);
/* True when we can decode this link type. */
bool mx_decode_linktype_ok(int dlt);
/* Decode one frame; returns its verdict (also counted). */
enum mx_verdict mx_decode_frame(struct mx_decoder *d, const struct mx_frame *f);
/* Advance the clock (expire fragments and idle TCP flows). */
void mx_decode_tick(struct mx_decoder *d, uint64_t now_us);
/* The counters. Those of fragment reassembly and TCP streams (frag_timeout,
 * frag_evicted, tcp_*) are brought up to date by this call; the others count
 * as frames are decoded. */
const struct mx_decode_stats *mx_decode_peek_stats(const struct mx_decoder *d);
bool mx_decode_is_dns_port(const struct mx_decoder *d, uint16_t port);

/* The capture-copy digest of an IP packet (decode.c top comment): header
 * word hdr, then n payload bytes at p. Exposed for the unit tests. */
uint64_t mx_decode_dup_digest(uint64_t hdr, const uint8_t *p, size_t n);
const char *mx_decode_reason_name(enum mx_reason r);
enum mx_verdict mx_decode_reason_verdict(enum mx_reason r);
const char *mx_verdict_name(enum mx_verdict v);

#endif
