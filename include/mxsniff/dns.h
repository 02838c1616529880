/* dns.h - DNS message -> flat, owned struct (L3). The only user of ldns.
 *
 * mx_dns_parse() reads header, question, answer, authority and additional
 * sections with the bounds-checked reader (rd.h) into struct mx_dns_msg: no
 * allocation, no text. Names follow compression pointers only backwards, at
 * most 255 bytes and a bounded number of hops (RFC 1035 §4.1.4). A message cut
 * short (snaplen) keeps what parsed and is marked partial (TRUNCATED), so a
 * response still matches its query.
 *
 * ldns is used here for what it does best: mnemonics (mx_dns_type_name,
 * mx_dns_rcode_name), presentation of unusual records, and as the reference
 * decoder: mx_dns_parse_ldns() fills the same struct through ldns_wire2pkt()
 * so a differential test and fuzz target can compare the two on any bytes.
 * No ldns type appears in this header.
 */
#ifndef MXSNIFF_DNS_H
#define MXSNIFF_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"

#define MX_DNS_MAX_MX 16     /* MX RRs kept from one answer (more are counted) */
#define MX_DNS_MAX_ADDR 32   /* A/AAAA RRs kept */
#define MX_DNS_MAX_CNAME 10  /* CNAME chain hops kept (RFC: loops end at 10) */
#define MX_DNS_EDE_TEXT 64   /* EDE EXTRA-TEXT bytes kept (NUL-terminated) */

/* Record types and rcodes we name in code. */
enum {
	MX_TYPE_A = 1, MX_TYPE_NS = 2, MX_TYPE_CNAME = 5, MX_TYPE_SOA = 6, MX_TYPE_PTR = 12,
	MX_TYPE_MX = 15, MX_TYPE_TXT = 16, MX_TYPE_AAAA = 28, MX_TYPE_SRV = 33,
	MX_TYPE_OPT = 41, MX_TYPE_RRSIG = 46, MX_TYPE_TLSA = 52, MX_TYPE_HTTPS = 65,
	MX_TYPE_ANY = 255,
};
enum {
	MX_RCODE_NOERROR = 0, MX_RCODE_FORMERR = 1, MX_RCODE_SERVFAIL = 2, MX_RCODE_NXDOMAIN = 3,
	MX_RCODE_NOTIMP = 4, MX_RCODE_REFUSED = 5, MX_RCODE_BADVERS = 16,
};

enum mx_dns_verdict {
	MX_DNS_OK,         /* parsed completely */
	MX_DNS_TRUNCATED,  /* cut short by the capture: header (+ what parsed) valid, partial set */
	MX_DNS_MALFORMED,  /* bytes contradict themselves: counts exceed records, bad pointer, ... */
	MX_DNS_NOT_DNS,    /* does not look like DNS at all (shorter than a header, opcode > 6, ...) */
};

/* Outcome of a response (PATTERNS.md §0), ordered best first: a lookup's final
 * outcome is the lowest value among its transactions. */
enum mx_outcome {
	MX_O_ANSWER = 0,
	MX_O_NODATA,
	MX_O_NXDOMAIN,
	MX_O_REFERRAL,
	MX_O_SERVFAIL,
	MX_O_REFUSED,
	MX_O_FORMERR,
	MX_O_NOTIMP,
	MX_O_OTHER,        /* other rcode, incl. extended (BADVERS) */
	MX_O_MALFORMED,
	MX_O_TRUNCATED,    /* UDP TC=1 */
	MX_O_UNREACHABLE,  /* only an ICMP unreachable came back */
	MX_O_TIMEOUT,
	MX_O__COUNT
};

struct mx_dns_mxrr {
	uint16_t pref;
	struct mx_dname exchange;   /* len==1 (root only) for a null MX */
};

struct mx_dns_addrrr {
	struct mx_addr addr;
	uint32_t ttl;
};

struct mx_dns_msg {
	/* addressing, filled by the caller (pipeline) from struct mx_pkt */
	uint64_t ts_us, frame;
	struct mx_addr src, dst;
	uint16_t sport, dport;
	uint8_t transport;          /* 17 UDP, 6 TCP */
	uint32_t wire_len;          /* message size on the wire */

	/* header, RFC 1035 §4.1.1 */
	uint16_t id;
	uint8_t opcode;
	uint16_t rcode;             /* 12-bit: OPT extended rcode folded in (RFC 6891 §6.1.3) */
	bool qr, aa, tc, rd, ra, ad, cd;
	bool partial;               /* cut short by the capture (or by the server: TC=1) */
	bool has_header;            /* the 12-byte header was captured (false: len < 12) */
	uint16_t qdcount, ancount, nscount, arcount;

	/* question (first entry), RFC 1035 §4.1.2 */
	bool has_question;
	struct mx_dname qname;      /* lowercased */
	uint8_t qname_0x20;         /* 1 when the wire name had mixed case (0x20 randomisation) */
	uint16_t qtype, qclass;

	/* EDNS, RFC 6891 / RFC 8914 */
	bool edns;
	uint16_t edns_payload;
	uint8_t edns_version;
	bool edns_do;
	bool has_ede;
	uint16_t ede_code;
	char ede_text[MX_DNS_EDE_TEXT];

	/* answer section digest */
	uint16_t an_parsed;          /* answer RRs parsed */
	uint16_t an_qtype;           /* RRs of qtype owned by qname or the CNAME chain end
	                              * (AXFR/IXFR: every answer RR of this message) */
	uint16_t an_other;           /* answer RRs of types we do not keep */
	uint16_t n_cname;            /* CNAME chain from qname, in order */
	struct mx_dname cname[MX_DNS_MAX_CNAME];
	bool cname_loop;             /* the chain revisits a name or exceeds MAX */
	uint16_t n_mx, mx_total;     /* kept / seen MX RRs owned by the chain end */
	struct mx_dns_mxrr mx[MX_DNS_MAX_MX];
	uint16_t n_addr, addr_total; /* kept / seen A+AAAA RRs owned by the chain end */
	struct mx_dns_addrrr addr[MX_DNS_MAX_ADDR];
	struct mx_dname ptr;         /* the first PTR RR owned by the chain end: its name (len 0 = none) */
	uint32_t min_ttl;            /* smallest TTL among answer RRs of qtype */

	/* authority section digest */
	bool has_soa;
	struct mx_dname soa_owner;
	uint32_t soa_ttl, soa_serial, soa_minimum;
	uint32_t neg_ttl;            /* min(SOA TTL, MINIMUM), RFC 2308 §5 */
	uint16_t ns_auth;            /* NS RRs in authority (referral test) */

	enum mx_dns_verdict verdict;
};

/* Parse `len` bytes at `wire` (the message's real size is wire_len >= len when
 * the capture cut it). Fills every field but the addressing ones. Never fails:
 * the verdict says how it went. */
enum mx_dns_verdict mx_dns_parse(const uint8_t *wire, size_t len, size_t wire_len,
				 struct mx_dns_msg *m);
/* The same through ldns_wire2pkt (reference decoder for tests and fuzzing).
 * Fills the same fields; on an ldns parse error returns MALFORMED (or
 * TRUNCATED when len < wire_len or TC=1). Both decoders give OK on the same
 * inputs and then agree on every field (dns.c top comment has the rules).
 * Slow: never on the hot path. */
enum mx_dns_verdict mx_dns_parse_ldns(const uint8_t *wire, size_t len, size_t wire_len,
				      struct mx_dns_msg *m);

/* Outcome of a response message (PATTERNS.md §0 order of checks). */
enum mx_outcome mx_dns_outcome(const struct mx_dns_msg *m);
const char *mx_outcome_name(enum mx_outcome o);   /* "ANSWER", "SERVFAIL", ... */
/* Parse an outcome name (case-insensitive); -1 if unknown. */
int mx_outcome_from_name(const char *s);
/* True for the "Fail" class of PATTERNS.md §3 (SERVFAIL..TIMEOUT, REFERRAL). */
bool mx_outcome_is_fail(enum mx_outcome o);

/* Mnemonics via ldns ("AAAA", "TYPE65280"; "NXDOMAIN", "BADVERS", "RCODE24"). The text
 * goes into buf (at least 16 bytes) which is returned. */
const char *mx_dns_type_name(uint16_t type, char *buf, size_t n);
const char *mx_dns_rcode_name(uint16_t rcode, char *buf, size_t n);
const char *mx_dns_class_name(uint16_t cls, char *buf, size_t n);
/* EDE info-code name (RFC 8914 §5.2: "DNSSEC Bogus"), or "Unknown" (static
 * strings; sinks print the number beside it). */
const char *mx_dns_ede_name(uint16_t code);
/* Type mnemonic -> number (for options); -1 if unknown. */
int mx_dns_type_from_name(const char *s);

#endif
