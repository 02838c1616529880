/* dns_diff.h - field-by-field comparison of two struct mx_dns_msg (tests only).
 *
 * Shared by tests/unit/test_dns.c and tests/fuzz/fuzz_dns.c: the differential
 * test between mx_dns_parse() and mx_dns_parse_ldns(). mx_dns_diff() returns
 * the name of the first field that differs, or NULL. Arrays are compared up
 * to their counts only (entries past n_* are undefined). With full=false only
 * the header and the question are compared.
 */
#ifndef MXSNIFF_TEST_DNS_DIFF_H
#define MXSNIFF_TEST_DNS_DIFF_H

#include <stdbool.h>
#include <string.h>

#include "mxsniff/dns.h"

static inline bool mx_test_dname_same(const struct mx_dname *a, const struct mx_dname *b)
{
	return a->len == b->len && (a->len == 0 || (a->labels == b->labels &&
						    memcmp(a->wire, b->wire, a->len) == 0));
}

#define MX_DIFF_F(f)                                                                               \
	do {                                                                                       \
		if (a->f != b->f)                                                                  \
			return #f;                                                                 \
	} while (0)
#define MX_DIFF_N(f)                                                                               \
	do {                                                                                       \
		if (!mx_test_dname_same(&a->f, &b->f))                                             \
			return #f;                                                                 \
	} while (0)

static inline const char *mx_dns_diff(const struct mx_dns_msg *a, const struct mx_dns_msg *b,
				      bool full)
{
	MX_DIFF_F(verdict);
	MX_DIFF_F(wire_len);
	MX_DIFF_F(has_header);
	MX_DIFF_F(partial);
	MX_DIFF_F(id);
	MX_DIFF_F(opcode);
	MX_DIFF_F(qr);
	MX_DIFF_F(aa);
	MX_DIFF_F(tc);
	MX_DIFF_F(rd);
	MX_DIFF_F(ra);
	MX_DIFF_F(ad);
	MX_DIFF_F(cd);
	MX_DIFF_F(qdcount);
	MX_DIFF_F(ancount);
	MX_DIFF_F(nscount);
	MX_DIFF_F(arcount);
	MX_DIFF_F(has_question);
	MX_DIFF_N(qname);
	MX_DIFF_F(qname_0x20);
	MX_DIFF_F(qtype);
	MX_DIFF_F(qclass);
	if (!full)
		return NULL;
	MX_DIFF_F(rcode);
	MX_DIFF_F(edns);
	MX_DIFF_F(edns_payload);
	MX_DIFF_F(edns_version);
	MX_DIFF_F(edns_do);
	MX_DIFF_F(has_ede);
	MX_DIFF_F(ede_code);
	if (strcmp(a->ede_text, b->ede_text) != 0)
		return "ede_text";
	MX_DIFF_F(an_parsed);
	MX_DIFF_F(an_qtype);
	MX_DIFF_F(an_other);
	MX_DIFF_F(n_cname);
	for (unsigned i = 0; i < a->n_cname && i < MX_DNS_MAX_CNAME; i++)
		MX_DIFF_N(cname[i]);
	MX_DIFF_F(cname_loop);
	MX_DIFF_N(ptr);
	MX_DIFF_F(n_mx);
	MX_DIFF_F(mx_total);
	for (unsigned i = 0; i < a->n_mx && i < MX_DNS_MAX_MX; i++) {
		MX_DIFF_F(mx[i].pref);
		MX_DIFF_N(mx[i].exchange);
	}
	MX_DIFF_F(n_addr);
	MX_DIFF_F(addr_total);
	for (unsigned i = 0; i < a->n_addr && i < MX_DNS_MAX_ADDR; i++) {
		MX_DIFF_F(addr[i].ttl);
		MX_DIFF_F(addr[i].addr.family);
		if (memcmp(a->addr[i].addr.a, b->addr[i].addr.a, 16) != 0)
			return "addr[i].addr";
	}
	MX_DIFF_F(min_ttl);
	MX_DIFF_F(has_soa);
	if (a->has_soa) {
		MX_DIFF_N(soa_owner);
		MX_DIFF_F(soa_ttl);
		MX_DIFF_F(soa_serial);
		MX_DIFF_F(soa_minimum);
		MX_DIFF_F(neg_ttl);
	}
	MX_DIFF_F(ns_auth);
	return NULL;
}

#undef MX_DIFF_F
#undef MX_DIFF_N

/* The verdict contract between the two decoders: OK on both or on neither;
 * with OK on both every field agrees; with TRUNCATED on both the header and
 * question agree. Returns NULL or what broke it. */
static inline const char *mx_dns_diff_contract(const struct mx_dns_msg *fast,
					       const struct mx_dns_msg *ref)
{
	bool fo = fast->verdict == MX_DNS_OK, ro = ref->verdict == MX_DNS_OK;
	if (fo != ro)
		return "verdict (OK on one decoder only)";
	if (fo)
		return mx_dns_diff(fast, ref, true);
	if (fast->verdict == MX_DNS_TRUNCATED && ref->verdict == MX_DNS_TRUNCATED)
		return mx_dns_diff(fast, ref, false);
	return NULL;
}

#endif
