/* xcheck_dump.c - mxsniff's own per-frame and per-message view of captures,
 * for the tshark cross-check (tests/xcheck/xcheck.py). Test tool only.
 *
 * mxsniff has no per-message output (its NDJSON starts at transactions), so
 * this tool reads the files as `mxsniff -r` does (capture.c), runs each
 * frame through the same decoder (decode.c, default options: DNS on port 53)
 * with the same clock ticks as pipeline.c, parses each DNS message with the
 * same mx_dns_parse() the pipeline calls, and prints, tab-separated (a UDP
 * datagram on no DNS port is a DNS message when pipeline.c would take it:
 * it is offered with a response header and mx_txn_expects_wrong_source()
 * says so, so the messages also go through a transaction table of default
 * options, ticked as pipeline.c ticks it):
 *
 *   F frame reason                         one per frame: its decode reason
 *                                          (mx_decode_reason_name)
 *   M frame src sport dst dport transport verdict id qr opcode rcode tc rd ra
 *     ad cd aa qname qtype qclass qd an ns ar edns_payload do ede
 *                                          one per DNS message delivered
 *                                          (rcode: 12 bits, OPT folded in;
 *                                          '-' where the message has none)
 *   W frame hex                            after the M line of a message the
 *                                          parser calls malformed: its bytes
 *                                          (xcheck.py checks the pointer rules
 *                                          of dns.c on them)
 *   I frame q_src q_sport q_dst q_dport id one per ICMP unreachable quoting a
 *                                          DNS datagram (id '-' when fewer
 *                                          than 2 bytes of it are quoted)
 *
 * Usage: xcheck_dump FILE...
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxsniff/addr.h"
#include "mxsniff/capture.h"
#include "mxsniff/decode.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/txn.h"

#define TICK_GRAIN_US 1000u /* pipeline.c MX_TICK_GRAIN_US */

static struct mx_dns_msg msg;
static struct mx_txn_table *txn;

static const char *verdict_name(enum mx_dns_verdict v)
{
	switch (v) {
	case MX_DNS_OK: return "ok";
	case MX_DNS_TRUNCATED: return "truncated";
	case MX_DNS_MALFORMED: return "malformed";
	case MX_DNS_NOT_DNS: return "not_dns";
	}
	return "?";
}

/* p parsed into msg with its addressing, as pipeline.c does. */
static enum mx_dns_verdict parse(const struct mx_pkt *p)
{
	struct mx_dns_msg *m = &msg;
	enum mx_dns_verdict v = mx_dns_parse(p->dns, p->dns_len, p->dns_wire_len, m);

	m->ts_us = p->ts_us;
	m->frame = p->frame;
	m->src = p->src;
	m->dst = p->dst;
	m->sport = p->sport;
	m->dport = p->dport;
	m->transport = p->transport;
	m->wire_len = p->dns_wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)p->dns_wire_len;
	if (p->partial)
		m->partial = true;
	return v;
}

static void print_msg(const struct mx_pkt *p, enum mx_dns_verdict v)
{
	char s[64], d[64], name[MX_DNAME_STRLEN];
	struct mx_dns_msg *m = &msg;

	if (v != MX_DNS_NOT_DNS)
		mx_txn_observe(txn, m);
	mx_addr_format(&p->src, s, sizeof(s));
	mx_addr_format(&p->dst, d, sizeof(d));
	printf("M\t%" PRIu64 "\t%s\t%u\t%s\t%u\t%s\t%s", p->frame, s, p->sport, d, p->dport,
	       p->transport == MX_T_TCP ? "tcp" : "udp", verdict_name(v));
	if (!m->has_header) {
		printf("%s\n", "\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-");
		return;
	}
	printf("\t%u\t%d\t%u\t%u\t%d\t%d\t%d\t%d\t%d\t%d", m->id, m->qr, m->opcode, m->rcode, m->tc,
	       m->rd, m->ra, m->ad, m->cd, m->aa);
	if (m->has_question)
		printf("\t%s\t%u\t%u", mx_dname_format(&m->qname, name, sizeof(name)), m->qtype,
		       m->qclass);
	else
		printf("\t-\t-\t-");
	printf("\t%u\t%u\t%u\t%u", m->qdcount, m->ancount, m->nscount, m->arcount);
	if (m->edns)
		printf("\t%u\t%d", m->edns_payload, m->edns_do);
	else
		printf("\t-\t-");
	if (m->has_ede)
		printf("\t%u\n", m->ede_code);
	else
		printf("\t-\n");
}

/* The bytes of a malformed message, hex, on a W line after its M line. */
static void print_wire(const struct mx_pkt *p)
{
	printf("W\t%" PRIu64 "\t", p->frame);
	for (size_t i = 0; i < p->dns_len; i++)
		printf("%02x", p->dns[i]);
	printf("\n");
}

static void on_dns(void *ctx, const struct mx_pkt *p)
{
	enum mx_dns_verdict v = parse(p);

	(void)ctx;
	print_msg(p, v);
	if (v == MX_DNS_MALFORMED)
		print_wire(p);
}

static bool on_offport(void *ctx, const struct mx_pkt *p)
{
	enum mx_dns_verdict v = parse(p);

	(void)ctx;
	if (v == MX_DNS_NOT_DNS || !mx_txn_expects_wrong_source(txn, &msg))
		return false;
	print_msg(p, v);
	if (v == MX_DNS_MALFORMED)
		print_wire(p);
	return true;
}

static void on_icmp(void *ctx, const struct mx_icmp *ic)
{
	char s[64], d[64];

	(void)ctx;
	mx_addr_format(&ic->q_src, s, sizeof(s));
	mx_addr_format(&ic->q_dst, d, sizeof(d));
	printf("I\t%" PRIu64 "\t%s\t%u\t%s\t%u", ic->frame, s, ic->q_sport, d, ic->q_dport);
	if (ic->dns_len >= 2)
		printf("\t%u\n", (unsigned)(ic->dns[0] << 8 | ic->dns[1]));
	else
		printf("\t-\n");
}

int main(int argc, char **argv)
{
	struct mx_decode_opts o;
	struct mx_decode_cb cb;
	struct mx_decoder *dec;
	struct mx_capture *cap = NULL;
	struct mx_frame f;
	uint64_t before[MX_R__COUNT];
	uint64_t now = 0, next_tick = 0;
	char err[512];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: xcheck_dump FILE...\n");
		return 2;
	}
	mx_decode_opts_default(&o);
	memset(&cb, 0, sizeof(cb));
	cb.dns = on_dns;
	cb.icmp = on_icmp;
	cb.offport = on_offport;
	dec = mx_decoder_new(&o, &cb);
	txn = mx_txn_new(NULL, NULL);
	if (dec == NULL || txn == NULL)
		return 1;
	rc = mx_capture_open_files(&cap, (const char *const *)(argv + 1), (size_t)(argc - 1), NULL,
				   err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "xcheck_dump: %s\n", err);
		return 1;
	}
	while ((rc = mx_capture_next(cap, &f, err, sizeof(err))) == 1) {
		const struct mx_decode_stats *st = mx_decode_peek_stats(dec);
		/* the clock as pipeline.c keeps it: ticked before the frame */
		if (f.ts_us > now) {
			now = f.ts_us;
			if (now >= next_tick) {
				mx_decode_tick(dec, now);
				mx_txn_tick(txn, now);
				next_tick = now + TICK_GRAIN_US;
			}
		}
		memcpy(before, st->reason, sizeof(before));
		(void)mx_decode_frame(dec, &f);
		for (int r = 0; r < MX_R__COUNT; r++)
			if (st->reason[r] != before[r])
				printf("F\t%" PRIu64 "\t%s\n", f.frame, mx_decode_reason_name((enum mx_reason)r));
	}
	if (rc < 0)
		fprintf(stderr, "xcheck_dump: %s\n", err);
	mx_capture_free(cap);
	mx_decoder_free(dec);
	mx_txn_free(txn);
	return 0;
}
