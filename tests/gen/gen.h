/* gen.h - shared writers for mxsniff-gen (test tool, not part of mxsniff).
 *
 * Output files (pcap through libpcap's pcap_open_dead + pcap_dump, pcapng
 * written by hand), link headers (Ethernet + 802.1Q/QinQ, Linux SLL/SLL2,
 * BSD NULL, raw IP, 802.11), IPv4/IPv6/UDP/TCP/ICMP headers with checksums,
 * IP fragmentation, DNS messages (ldns for readable ones, a tiny encoder for
 * the fast benchmark path) and a seeded PRNG. Everything is deterministic:
 * timestamps come from the caller, never from a clock.
 *
 * Addresses are from the documentation ranges (RFC 5737, RFC 3849); these
 * packets are only ever written to files.
 */
#ifndef MXSNIFF_GEN_H
#define MXSNIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

/* 2026-01-01T00:00:00Z in nanoseconds since the epoch. */
#define GEN_T0_NS (1767225600ULL * 1000000000ULL)
#define GEN_MS(x) ((uint64_t)(x) * 1000000ULL)   /* milliseconds -> ns */
#define GEN_US(x) ((uint64_t)(x) * 1000ULL)      /* microseconds -> ns */
#define GEN_S(x) ((uint64_t)(x) * 1000000000ULL) /* seconds -> ns */

#define GEN_MAX_FRAME 70000

/* ---- output file ---- */
struct gen_out {
	pcap_t *pd;
	pcap_dumper_t *dump;
	FILE *ng;          /* pcapng: written by hand */
	int dlt;
	uint32_t snaplen;
	bool nano;
	uint64_t frames;
	const char *path;
};

/* Opens `path` for writing. pcapng=true writes SHB+IDB, else a classic pcap
 * (nano=true: nanosecond magic). Exits on error. */
void gen_out_open(struct gen_out *o, const char *path, int dlt, uint32_t snaplen,
		  bool nano, bool pcapng);
/* One record; caplen = min(len, snaplen). */
void gen_out_frame(struct gen_out *o, uint64_t ts_ns, const uint8_t *data, uint32_t len);
void gen_out_close(struct gen_out *o);

/* ---- addressing ---- */
struct gen_ep {
	int fam;            /* 4 or 6 */
	uint8_t a[16];
	uint16_t port;
};

struct gen_ep gen_ep(const char *ip, uint16_t port); /* exits on a bad literal */
/* A "local" host is the one whose link we capture on (SLL pkttype
 * OUTGOING): 192.0.2.0/24 and 2001:db8:0::/48. */
bool gen_ep_local(const struct gen_ep *e);

/* ---- link framing ---- */
struct gen_link {
	int dlt;            /* DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_RAW, 105 */
	int nvlan;          /* Ethernet: 0..2 tags, outermost first */
	uint16_t tpid[2];
	uint16_t tci[2];
	uint32_t null_af6;  /* DLT_NULL value for IPv6 (24, 28, 30) */
};

/* Writes the link header for an IP packet of family fam (4/6) into buf and
 * copies the packet after it; returns the frame length. `out` = sent by the
 * local host. */
size_t gen_link_wrap(const struct gen_link *l, uint8_t *buf, int fam, bool out,
		     const uint8_t *ip, size_t iplen);

/* ---- IP / transport ---- */
#define GEN_TH_FIN 0x01
#define GEN_TH_SYN 0x02
#define GEN_TH_RST 0x04
#define GEN_TH_PSH 0x08
#define GEN_TH_ACK 0x10

uint16_t gen_cksum_fold(uint32_t sum);
uint32_t gen_cksum_add(uint32_t sum, const uint8_t *p, size_t n);

/* IP header (v4: 20 bytes, DF clear; v6: 40) for `plen` payload bytes of
 * protocol `proto`; returns header length. */
size_t gen_ip_hdr(uint8_t *b, int fam, const uint8_t *src, const uint8_t *dst,
		  uint8_t proto, size_t plen, uint16_t ipid, uint8_t ttl);
/* L4 checksum over the pseudo header (RFC 768, RFC 793, RFC 8200 §8.1). */
uint16_t gen_l4_cksum(int fam, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		      const uint8_t *l4, size_t n);
/* Complete IP+UDP datagram into b; returns its length. */
size_t gen_udp_packet(uint8_t *b, const struct gen_ep *s, const struct gen_ep *d,
		      const uint8_t *pl, size_t n, uint16_t ipid);
/* Complete IP+TCP segment (20-byte TCP header, window 65535) into b. */
size_t gen_tcp_packet(uint8_t *b, const struct gen_ep *s, const struct gen_ep *d,
		      uint32_t seq, uint32_t ack, uint8_t flags,
		      const uint8_t *pl, size_t n, uint16_t ipid);

/* ---- DNS via ldns ---- */
struct gen_dns {
	uint16_t id;
	bool qr, aa, tc, rd, ra, ad, cd;
	uint8_t rcode;
	const char *q;              /* "example.com. IN MX", NULL = no question */
	const char *const *an;      /* NULL-terminated RR strings, or NULL */
	const char *const *ns;
	const char *const *ar;
	uint16_t edns;              /* UDP payload size; 0 = no OPT RR */
	bool edns_do;
};
/* Builds the message with ldns_pkt2wire (name compression as ldns does it);
 * returns its length (exits on an ldns error or if it does not fit). */
size_t gen_dns_build(uint8_t *out, size_t cap, const struct gen_dns *d);

/* ---- fast DNS encoder (benchmark) ---- */
struct gen_wbuf {
	uint8_t *b;
	size_t n, cap;
};
void gen_w8(struct gen_wbuf *w, uint8_t v);
void gen_w16(struct gen_wbuf *w, uint16_t v);
void gen_w32(struct gen_wbuf *w, uint32_t v);
void gen_wbytes(struct gen_wbuf *w, const void *p, size_t n);
/* Presentation name ("a.example.com", no trailing dot needed) as labels. */
void gen_wname(struct gen_wbuf *w, const char *name);

/* ---- PRNG (splitmix64 seeded xorshift; same sequence on every host) ---- */
struct gen_rng {
	uint64_t s;
};
void gen_rng_seed(struct gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(struct gen_rng *r);
uint32_t gen_rng_below(struct gen_rng *r, uint32_t n); /* [0, n) */
double gen_rng_unit(struct gen_rng *r);                /* [0, 1) */

/* The benchmark scenario (gen_bench.c). */
int gen_bench(const char *path, uint64_t npackets, uint64_t seed);

void gen_die(const char *fmt, ...);

#endif
