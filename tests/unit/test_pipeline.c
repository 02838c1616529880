/* test_pipeline.c - L7: frames built here go through decode -> dns -> txn ->
 * lookup -> model, and the snapshot and a recording sink tell what came out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/pipeline.h"

#define T0 1700000000000000ULL   /* capture time of the first frame, µs */

/* ---- frames ----------------------------------------------------------- */

static const uint8_t CLIENT[4] = {192, 0, 2, 1};
static const uint8_t RESOLVER[4] = {192, 0, 2, 53};
static const uint8_t RESOLVER2[4] = {192, 0, 2, 54};

/* DNS message: header + question (+ one MX answer when `mx`). */
static size_t build_dns(uint8_t *b, uint16_t id, bool qr, const char *qname_wire, size_t qlen,
			uint16_t qtype, bool mx)
{
	size_t n = 0;

	b[n++] = (uint8_t)(id >> 8);
	b[n++] = (uint8_t)id;
	b[n++] = (uint8_t)((qr ? 0x80 : 0) | 0x01);   /* QR, RD */
	b[n++] = qr ? 0x80 : 0x00;                    /* RA, rcode 0 */
	b[n++] = 0; b[n++] = 1;                       /* QDCOUNT */
	b[n++] = 0; b[n++] = mx ? 1 : 0;              /* ANCOUNT */
	b[n++] = 0; b[n++] = 0;
	b[n++] = 0; b[n++] = 0;
	memcpy(b + n, qname_wire, qlen);
	n += qlen;
	b[n++] = (uint8_t)(qtype >> 8); b[n++] = (uint8_t)qtype;
	b[n++] = 0; b[n++] = 1;                       /* IN */
	if (mx) {
		/* owner: pointer to the question name (offset 12), RFC 1035 §4.1.4 */
		static const uint8_t rr[] = {0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 0x0e, 0x10,
					     0, 7, 0, 10, 2, 'm', 'x', 0xc0, 0x0c};
		memcpy(b + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

/* Ethernet + IPv4 + UDP around `dns`. */
static size_t build_udp(uint8_t *f, const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
			uint16_t dport, const uint8_t *dns, size_t dlen)
{
	size_t iplen = 20 + 8 + dlen;
	uint8_t *ip = f + 14, *u = ip + 20;
	uint32_t sum = 0;
	size_t i;

	memset(f, 0, 14 + iplen);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	u[0] = (uint8_t)(sport >> 8); u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8); u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + dlen) >> 8); u[5] = (uint8_t)(8 + dlen);
	memcpy(u + 8, dns, dlen);
	return 14 + iplen;
}

static struct mx_frame frame_of(const uint8_t *b, size_t n, uint64_t ts, uint64_t no)
{
	struct mx_frame f;

	memset(&f, 0, sizeof(f));
	f.ts_us = ts;
	f.frame = no;
	f.caplen = (uint32_t)n;
	f.len = (uint32_t)n;
	f.linktype = MX_DLT_EN10MB;
	f.data = b;
	return f;
}

static const char EXAMPLE_COM[] = "\x07" "example" "\x03" "com";   /* + final 0 */
static const char EXAMPLE_ORG[] = "\x07" "example" "\x03" "org";

/* ---- a sink that records events -------------------------------------- */

struct rec_state {
	unsigned opens, txns, lookups, closes;
	char order[64];               /* 't' per txn, 'l' per lookup */
	enum mx_txn_kind kinds[16];
	uint64_t latency[16];
	enum mx_outcome lookup_outcome[16];
	uint64_t snap_packets;
	unsigned findings;            /* findings streamed as made */
	const char *f_pattern[16];
	uint64_t f_first[16], f_seq[16];
};

static struct rec_state *g_rec;

static int rec_open(void *st, FILE *out)
{
	(void)out;
	g_rec = st;
	g_rec->opens++;
	return 0;
}

static void rec_txn(void *st, FILE *out, const struct mx_txn *t)
{
	struct rec_state *r = st;
	size_t n = strlen(r->order);

	(void)out;
	if (r->txns < 16) {
		r->kinds[r->txns] = t->kind;
		r->latency[r->txns] = t->latency_us;
	}
	r->txns++;
	if (n + 1 < sizeof(r->order))
		r->order[n] = 't';
}

static void rec_lookup(void *st, FILE *out, const struct mx_lookup *l)
{
	struct rec_state *r = st;
	size_t n = strlen(r->order);

	(void)out;
	if (r->lookups < 16)
		r->lookup_outcome[r->lookups] = l->outcome;
	r->lookups++;
	if (n + 1 < sizeof(r->order))
		r->order[n] = 'l';
}

static int rec_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	struct rec_state *r = st;

	(void)out;
	r->closes++;
	r->snap_packets = s->packets;
	return 0;
}

static void rec_finding(void *st, FILE *out, const struct mx_finding *f)
{
	struct rec_state *r = st;

	(void)out;
	if (r->findings < 16) {
		r->f_pattern[r->findings] = f->pattern;
		r->f_first[r->findings] = f->first_us;
		r->f_seq[r->findings] = f->seq;
	}
	r->findings++;
}

static const struct mx_sink_ops rec_ops = {
	"record", "records events for the test", sizeof(struct rec_state),
	rec_open, rec_txn, rec_lookup, rec_close, NULL, rec_finding,
};

/* ---- tests ------------------------------------------------------------ */

static void query_and_response(void **state)
{
	struct mx_pipeline_opts o;
	struct mx_pipeline *p;
	struct mx_sink *sink;
	struct mx_snapshot s;
	struct mx_addr res;
	uint8_t dns[512], fr[600], arp[60];
	struct mx_frame f;
	size_t dl, fl;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(devnull);
	mx_pipeline_opts_default(&o);
	assert_int_equal(o.decode.n_dns_ports, 1);
	assert_int_equal(o.decode.dns_ports[0], 53);
	p = mx_pipeline_new(&o);
	assert_non_null(p);
	sink = mx_sink_new(&rec_ops, devnull);
	assert_non_null(sink);
	assert_int_equal(mx_sink_open(sink), 0);
	assert_int_equal(mx_pipeline_add_sink(p, sink), 0);
	mx_pipeline_set_source(p, "file test.pcap", "", false);

	/* 1: MX query example.com, 2: its answer 12.345 ms later */
	dl = build_dns(dns, 0x1234, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, 1);
	mx_pipeline_frame(p, &f);
	dl = build_dns(dns, 0x1234, true, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, true);
	fl = build_udp(fr, RESOLVER, 53, CLIENT, 40000, dns, dl);
	f = frame_of(fr, fl, T0 + 12345, 2);
	mx_pipeline_frame(p, &f);
	assert_int_equal(g_rec->txns, 1);
	assert_int_equal(g_rec->kinds[0], MX_TXN_ANSWERED);
	assert_int_equal(g_rec->latency[0], 12345);

	/* 3: an ARP frame (not DNS) */
	memset(arp, 0, sizeof(arp));
	memcpy(arp, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x02\x08\x06", 14);
	f = frame_of(arp, sizeof(arp), T0 + 20000, 3);
	mx_pipeline_frame(p, &f);

	/* 4: A query for example.org that is never answered */
	dl = build_dns(dns, 0x4321, false, EXAMPLE_ORG, sizeof(EXAMPLE_ORG), MX_TYPE_A, false);
	fl = build_udp(fr, CLIENT, 40001, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0 + 1000000, 4);
	mx_pipeline_frame(p, &f);
	assert_int_equal(g_rec->txns, 1);

	/* 5: seven seconds later an unrelated frame moves the clock: the
	 * timeout fires before the end of the capture */
	f = frame_of(arp, sizeof(arp), T0 + 8000000, 5);
	mx_pipeline_frame(p, &f);
	assert_int_equal(g_rec->txns, 2);
	assert_int_equal(g_rec->kinds[1], MX_TXN_TIMEOUT);

	mx_pipeline_finish(p, T0 + 8000000);
	/* both lookups closed at the end; each after its transaction */
	assert_int_equal(g_rec->lookups, 2);
	assert_non_null(strstr(g_rec->order, "t"));
	assert_int_equal(g_rec->order[0], 't');
	assert_int_equal(g_rec->lookup_outcome[0] == MX_O_ANSWER ||
			 g_rec->lookup_outcome[1] == MX_O_ANSWER, 1);

	{
		struct mx_capture_stats cs;

		memset(&cs, 0, sizeof(cs));
		cs.frames = 5;
		mx_pipeline_set_capture_stats(p, &cs);
	}
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_string_equal(s.source, "file test.pcap");
	assert_false(s.live);
	assert_false(s.input_truncated);
	assert_string_equal(s.input_error, "");
	assert_int_equal(s.packets, 5);
	assert_int_equal(s.capture.frames, 5);
	assert_int_equal(s.first_us, T0);
	assert_int_equal(s.last_us, T0 + 8000000);
	assert_int_equal(s.dns_messages, 3);
	assert_int_equal(s.dns_malformed, 0);
	assert_int_equal(s.dns_truncated, 0);
	assert_int_equal(s.queries, 2);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.decode.frames, 5);
	assert_int_equal(s.decode.verdict[MX_V_OK], 3);
	assert_int_equal(s.decode.verdict[MX_V_NOT_DNS], 2);
	assert_int_equal(s.txn.transactions, 2);
	assert_int_equal(s.txn.answered, 1);
	assert_int_equal(s.txn.timeouts, 1);
	assert_int_equal(s.lookup.lookups, 2);
	assert_int_equal(s.lookup.by_outcome[MX_O_ANSWER], 1);
	assert_int_equal(s.lookup.by_outcome[MX_O_TIMEOUT], 1);

	/* the resolver row */
	assert_int_equal(s.n_resolvers, 1);
	mx_addr_set4(&res, RESOLVER);
	assert_true(mx_addr_eq(&s.resolvers[0].addr, &res));
	assert_true(s.resolvers[0].recursive);
	assert_int_equal(s.resolvers[0].queries, 2);
	assert_int_equal(s.resolvers[0].transactions, 2);
	assert_int_equal(s.resolvers[0].answered, 1);
	assert_int_equal(s.resolvers[0].timeouts, 1);
	assert_int_equal(s.resolvers[0].latency.count, 1);
	assert_int_equal(s.resolvers[0].latency.max, 12345);
	assert_int_equal(s.resolvers[0].latency.p50, 12345);
	assert_int_equal(s.n_senders, 1);
	assert_int_equal(s.senders[0].queries, 2);

	assert_int_equal(mx_sink_close(sink, &s), 0);
	assert_int_equal(g_rec->closes, 1);
	assert_int_equal(g_rec->snap_packets, 5);
	mx_snapshot_fini(&s);
	mx_sink_free(sink);
	mx_pipeline_free(p);
	mx_pipeline_free(NULL);
	fclose(devnull);
}

/* The direct feed: no frames, a message as decode would hand it over. */
static void direct_dns_feed(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_snapshot s;
	struct mx_pkt pk;
	uint8_t dns[512];
	size_t dl;

	(void)state;
	assert_non_null(p);
	dl = build_dns(dns, 7, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	memset(&pk, 0, sizeof(pk));
	pk.ts_us = T0;
	pk.frame = 1;
	mx_addr_set4(&pk.src, CLIENT);
	mx_addr_set4(&pk.dst, RESOLVER);
	pk.sport = 5353;
	pk.dport = 53;
	pk.transport = MX_T_UDP;
	pk.dns = dns;
	pk.dns_len = dl;
	pk.dns_wire_len = dl;
	mx_pipeline_dns(p, &pk);
	dl = build_dns(dns, 7, true, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, true);
	mx_addr_set4(&pk.src, RESOLVER);
	mx_addr_set4(&pk.dst, CLIENT);
	pk.sport = 53;
	pk.dport = 5353;
	pk.ts_us = T0 + 500;
	pk.frame = 2;
	pk.dns_len = dl;
	pk.dns_wire_len = dl;
	mx_pipeline_dns(p, &pk);

	/* bytes that are not DNS are counted, not fed on */
	pk.dns_len = 5;
	pk.dns_wire_len = 5;
	pk.frame = 3;
	mx_pipeline_dns(p, &pk);

	mx_pipeline_finish(p, T0 + 500);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.txn.answered, 1);
	assert_int_equal(s.dns_not_dns, 1);
	assert_int_equal(s.n_resolvers, 1);
	assert_int_equal(s.resolvers[0].latency.max, 500);
	mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

/* A response whose source port NAT rewrote (from RESOLVER port 10053 to
 * the client's port): taken as DNS and reported as from the wrong source,
 * while other datagrams to that client port stay other_port. */
static void response_from_other_port(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_snapshot s;
	uint8_t dns[512], fr[600];
	struct mx_frame f;
	size_t dl, fl;
	uint64_t no = 0;

	(void)state;
	assert_non_null(p);
	/* the query, to port 53 */
	dl = build_dns(dns, 0x5151, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_A, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, ++no);
	mx_pipeline_frame(p, &f);

	/* not taken: NTP to the client's port (third byte: poll 6, QR clear) */
	uint8_t ntp[48] = {0x24, 2, 6, 0xe9};
	fl = build_udp(fr, RESOLVER, 123, CLIENT, 40000, ntp, sizeof(ntp));
	f = frame_of(fr, fl, T0 + 1000, ++no);
	mx_pipeline_frame(p, &f);
	/* not taken: random bytes that pass the header test (QR set, opcode
	 * 0, one question) but do not parse as a message with a question */
	uint8_t junk[40];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	junk[0] = 0x51; junk[1] = 0x51; junk[2] = 0x80; junk[4] = 0; junk[5] = 1;
	fl = build_udp(fr, RESOLVER, 443, CLIENT, 40000, junk, sizeof(junk));
	f = frame_of(fr, fl, T0 + 2000, ++no);
	mx_pipeline_frame(p, &f);
	/* not taken: a response with another ID, another question, or to
	 * another client port */
	dl = build_dns(dns, 0x5152, true, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_A, false);
	fl = build_udp(fr, RESOLVER, 10053, CLIENT, 40000, dns, dl);
	f = frame_of(fr, fl, T0 + 3000, ++no);
	mx_pipeline_frame(p, &f);
	dl = build_dns(dns, 0x5151, true, EXAMPLE_ORG, sizeof(EXAMPLE_ORG), MX_TYPE_A, false);
	fl = build_udp(fr, RESOLVER, 10053, CLIENT, 40000, dns, dl);
	f = frame_of(fr, fl, T0 + 4000, ++no);
	mx_pipeline_frame(p, &f);
	dl = build_dns(dns, 0x5151, true, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_A, false);
	fl = build_udp(fr, RESOLVER, 10053, CLIENT, 40001, dns, dl);
	f = frame_of(fr, fl, T0 + 5000, ++no);
	mx_pipeline_frame(p, &f);

	/* taken: the response itself, from port 10053 */
	fl = build_udp(fr, RESOLVER, 10053, CLIENT, 40000, dns, dl);
	f = frame_of(fr, fl, T0 + 6000, ++no);
	mx_pipeline_frame(p, &f);

	mx_pipeline_finish(p, T0 + 6000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.decode.reason[MX_R_OTHER_PORT], 5);
	assert_int_equal(s.decode.reason[MX_R_RESPONSE_OTHER_PORT], 1);
	assert_int_equal(s.decode.dns_udp, 2);
	assert_int_equal(s.dns_messages, 2);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.txn.stray[MX_STRAY_WRONG_SOURCE], 1);
	assert_int_equal(s.txn.stray[MX_STRAY_UNSOLICITED], 0);
	/* the stub drops it: the query still times out */
	assert_int_equal(s.txn.timeouts, 1);
	assert_int_equal(s.txn.answered, 0);
	bool found = false;
	for (size_t i = 0; i < s.n_findings; i++)
		if (strcmp(s.findings[i].pattern, "RESPONSE_WRONG_SOURCE") == 0)
			found = true;
	assert_true(found);
	mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

/* Idle ticks advance the clock as live mode does; time never goes back. */
static void idle_tick_expires(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_snapshot s;
	uint8_t dns[512], fr[600];
	struct mx_frame f;
	size_t dl, fl;

	(void)state;
	assert_non_null(p);
	dl = build_dns(dns, 9, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, 1);
	mx_pipeline_frame(p, &f);
	mx_pipeline_tick(p, T0 + 1000000);
	mx_pipeline_tick(p, T0 + 500);            /* older: ignored */
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.txn.timeouts, 0);
	mx_snapshot_fini(&s);
	mx_pipeline_tick(p, T0 + 6000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.txn.timeouts, 1);
	mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

/* Pending findings reach the snapshot only when the pipeline is told so
 * (the live view); the end of the input makes them, and then none is
 * pending. */
static void pending_in_snapshot(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_snapshot s;
	uint8_t dns[512], fr[600];
	struct mx_frame f;
	size_t dl, fl;
	bool made;

	(void)state;
	assert_non_null(p);
	/* a query never answered: after the answer timeout the pair has a
	 * timeout, judged when the 300 s statistics window ends */
	dl = build_dns(dns, 9, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, 1);
	mx_pipeline_frame(p, &f);
	mx_pipeline_tick(p, T0 + 10000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);   /* off by default */
	assert_null(s.pending);
	assert_int_equal(s.n_pending, 0);
	mx_snapshot_fini(&s);

	mx_pipeline_set_pending(p, true);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.n_pending, 1);
	assert_string_equal(s.pending[0].pattern, "RESOLVER_TIMEOUT");
	assert_non_null(strstr(s.pending[0].pending, "--stats-window"));
	for (size_t i = 0; i < s.n_findings; i++)
		assert_string_not_equal(s.findings[i].pattern, "RESOLVER_TIMEOUT");
	mx_snapshot_fini(&s);

	mx_pipeline_finish(p, T0 + 20000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_null(s.pending);
	assert_int_equal(s.n_pending, 0);
	made = false;
	for (size_t i = 0; i < s.n_findings; i++)
		made |= strcmp(s.findings[i].pattern, "RESOLVER_TIMEOUT") == 0;
	assert_true(made);
	mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

/* A sink with a finding op gets each finding once, when it is made: after
 * the detector tick that made it (not at the end), in the order made; by
 * the end every finding of the report has been streamed. */
static void findings_streamed_as_made(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_sink *k = mx_sink_new(&rec_ops, stdout);
	struct mx_snapshot s;
	uint8_t dns[512], fr[600];
	struct mx_frame f;
	size_t dl, fl;

	(void)state;
	assert_non_null(p);
	assert_non_null(k);
	assert_true(mx_sink_streams_findings(k));
	assert_int_equal(mx_sink_open(k), 0);
	assert_int_equal(mx_pipeline_add_sink(p, k), 0);
	/* unanswered queries to two resolvers: RESOLVER_TIMEOUT for each when
	 * the 300 s statistics window ends */
	dl = build_dns(dns, 9, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, 1);
	mx_pipeline_frame(p, &f);
	mx_pipeline_tick(p, T0 + 10000000);
	assert_int_equal(g_rec->findings, 0);          /* not made yet */
	mx_pipeline_tick(p, T0 + 301000000);
	assert_int_equal(g_rec->findings, 1);          /* made by the window's end */
	assert_string_equal(g_rec->f_pattern[0], "RESOLVER_TIMEOUT");
	assert_int_equal(g_rec->f_first[0], T0);
	mx_pipeline_tick(p, T0 + 303000000);
	assert_int_equal(g_rec->findings, 1);          /* once */
	fl = build_udp(fr, CLIENT, 40001, RESOLVER2, 53, dns, dl);
	f = frame_of(fr, fl, T0 + 304000000, 2);
	mx_pipeline_frame(p, &f);
	mx_pipeline_finish(p, T0 + 320000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	/* the end made the second resolver's: streamed before the report */
	assert_int_equal(g_rec->findings, s.n_findings);
	assert_true(s.n_findings >= 2);
	for (size_t i = 0; i < s.n_findings && i < 16; i++) {
		bool seen = false;
		for (unsigned j = 0; j < g_rec->findings; j++)
			seen |= g_rec->f_first[j] == s.findings[i].first_us &&
				strcmp(g_rec->f_pattern[j], s.findings[i].pattern) == 0;
		assert_true(seen);
	}
	for (unsigned j = 1; j < g_rec->findings && j < 16; j++)
		assert_true(g_rec->f_seq[j] > g_rec->f_seq[j - 1]);
	assert_int_equal(mx_sink_close(k, &s), 0);
	mx_snapshot_fini(&s);
	mx_sink_free(k);
	mx_pipeline_free(p);
}

/* Open chains reach the snapshot only when the pipeline is told so (the
 * live view), newest first and marked open; the reports' closed chains do
 * not include them, and once the chain closes it is a closed one only. */
static void open_chains_in_snapshot(void **state)
{
	struct mx_pipeline *p = mx_pipeline_new(NULL);
	struct mx_snapshot s;
	uint8_t dns[512], fr[600];
	struct mx_frame f;
	size_t dl, fl;

	(void)state;
	assert_non_null(p);
	/* an MX lookup of example.com, answered: the chain opens */
	dl = build_dns(dns, 0x1234, false, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, false);
	fl = build_udp(fr, CLIENT, 40000, RESOLVER, 53, dns, dl);
	f = frame_of(fr, fl, T0, 1);
	mx_pipeline_frame(p, &f);
	dl = build_dns(dns, 0x1234, true, EXAMPLE_COM, sizeof(EXAMPLE_COM), MX_TYPE_MX, true);
	fl = build_udp(fr, RESOLVER, 53, CLIENT, 40000, dns, dl);
	f = frame_of(fr, fl, T0 + 12345, 2);
	mx_pipeline_frame(p, &f);

	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);   /* off by default */
	assert_null(s.open_chains);
	assert_int_equal(s.n_open_chains, 0);
	assert_int_equal(s.n_chains, 0);
	mx_snapshot_fini(&s);

	mx_pipeline_set_open_chains(p, true);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.n_open_chains, 1);
	assert_true(s.open_chains[0].open);
	assert_true(s.open_chains[0].mx.asked);
	assert_int_equal(s.open_chains[0].n_hosts, 1);
	assert_int_equal(s.n_chains, 0);
	assert_int_equal(s.chain.chains, 0);
	mx_snapshot_fini(&s);
	assert_null(s.open_chains);
	assert_int_equal(s.n_open_chains, 0);

	mx_pipeline_finish(p, T0 + 1000000);
	assert_int_equal(mx_pipeline_snapshot(p, &s), 0);
	assert_int_equal(s.n_open_chains, 0);
	assert_int_equal(s.n_chains, 1);
	assert_false(s.chains[0].open);
	mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_and_response),
		cmocka_unit_test(direct_dns_feed),
		cmocka_unit_test(idle_tick_expires),
		cmocka_unit_test(response_from_other_port),
		cmocka_unit_test(open_chains_in_snapshot),
		cmocka_unit_test(pending_in_snapshot),
		cmocka_unit_test(findings_streamed_as_made),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
