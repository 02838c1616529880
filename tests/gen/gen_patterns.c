/* gen_patterns.c - mxsniff-gen scenarios for the PATTERNS.md §3 patterns that
 * cannot reasonably be recorded from real software here, and a busy healthy
 * mail server capture (test tool, not part of mxsniff).
 *
 * Does: script each scenario as DNS exchanges (a query and its response after
 * a latency, or no response), TCP SYNs to port 25 and DNS over TCP, with fixed
 * times and a seeded PRNG (ports, IDs, and the busy captures' traffic). Frames
 * are collected, ordered by time (ties: order of scheduling) and written as
 * one Ethernet pcap, so overlapping conversations interleave as on a wire.
 * DNS messages come from ldns (gen_dns_build); an Extended DNS Error option
 * (RFC 8914 §2) is appended to ldns' OPT record by hand, and the one
 * middlebox-cut answer is cut by hand. captures/synthetic/README.md says what
 * each file shows and which findings it must produce.
 * Does not: send anything (documentation addresses, RFC 5737 / RFC 3849, and
 * 8.8.8.8 written into one file as the public resolver), read a clock, or
 * decide anything about the traffic.
 */
#include "gen.h"
#include "gen_patterns.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* times in microseconds from GEN_T0 */
#define US(x) ((uint64_t)(x))
#define MS(x) ((uint64_t)(x) * 1000ULL)
#define SEC(x) ((uint64_t)(x) * 1000000ULL)

#define RR(...) ((const char *const[]){__VA_ARGS__, NULL})
#define LST1(x) lst((x), NULL)

#define R1 "198.51.100.53"
#define R2 "198.51.100.54"
#define R6 "2001:db8:53::53"

enum { NOOPT = 0, EDNS = 1, EDNS_DO = 2 };

/* ================================================================ frames */

struct fr {
	uint64_t us, seq;
	size_t off;
	uint32_t len;
};

struct pg {
	const char *path;
	struct gen_link l;
	struct gen_rng rng;
	uint16_t ipid;
	struct fr *fr;
	size_t nfr, capfr;
	uint8_t *blob;
	size_t nblob, capblob;
};

static uint8_t ipb[GEN_MAX_FRAME];
static uint8_t frb[GEN_MAX_FRAME + 128];
static uint8_t msg[65536];

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q)
		gen_die("out of memory");
	return q;
}

static void pg_open(struct pg *g, const char *path, uint64_t seed)
{
	memset(g, 0, sizeof *g);
	g->path = path;
	g->l.dlt = DLT_EN10MB;
	g->ipid = 0x2000;
	gen_rng_seed(&g->rng, seed);
}

static void put_ip(struct pg *g, uint64_t us, int fam, bool out, const uint8_t *ip, size_t n)
{
	size_t fl = gen_link_wrap(&g->l, frb, fam, out, ip, n);
	if (g->nfr == g->capfr) {
		g->capfr = g->capfr ? 2 * g->capfr : 1024;
		g->fr = xrealloc(g->fr, g->capfr * sizeof *g->fr);
	}
	while (g->nblob + fl > g->capblob) {
		g->capblob = g->capblob ? 2 * g->capblob : (size_t)1 << 20;
		g->blob = xrealloc(g->blob, g->capblob);
	}
	memcpy(g->blob + g->nblob, frb, fl);
	g->fr[g->nfr] = (struct fr){.us = us, .seq = g->nfr, .off = g->nblob, .len = (uint32_t)fl};
	g->nfr++;
	g->nblob += fl;
}

static int fr_cmp(const void *a, const void *b)
{
	const struct fr *x = a, *y = b;
	if (x->us != y->us)
		return x->us < y->us ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort by time and write the file. */
static int pg_close(struct pg *g)
{
	struct gen_out o;
	qsort(g->fr, g->nfr, sizeof *g->fr, fr_cmp);
	gen_out_open(&o, g->path, DLT_EN10MB, 262144, false, false);
	for (size_t i = 0; i < g->nfr; i++)
		gen_out_frame(&o, GEN_T0_NS + g->fr[i].us * 1000ULL, g->blob + g->fr[i].off, g->fr[i].len);
	fprintf(stderr, "%s: %llu frames\n", g->path, (unsigned long long)o.frames);
	gen_out_close(&o);
	free(g->fr);
	free(g->blob);
	return 0;
}

static void put_udp(struct pg *g, uint64_t us, const struct gen_ep *s, const struct gen_ep *d,
		    const uint8_t *pl, size_t n)
{
	size_t l = gen_udp_packet(ipb, s, d, pl, n, g->ipid++);
	put_ip(g, us, s->fam, gen_ep_local(s), ipb, l);
}

static void put_tcp(struct pg *g, uint64_t us, const struct gen_ep *s, const struct gen_ep *d,
		    uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *pl, size_t n)
{
	size_t l = gen_tcp_packet(ipb, s, d, seq, ack, flags, pl, n, g->ipid++);
	put_ip(g, us, s->fam, gen_ep_local(s), ipb, l);
}

/* Linux ephemeral range 32768-60999 (ip_local_port_range). */
static uint16_t eph(struct pg *g)
{
	return (uint16_t)(32768 + gen_rng_below(&g->rng, 28232));
}

static uint16_t rid(struct pg *g)
{
	return (uint16_t)(1 + gen_rng_below(&g->rng, 65535));
}

/* Uniform in [lo, hi) microseconds. */
static uint64_t jit(struct pg *g, uint64_t lo, uint64_t hi)
{
	return lo + gen_rng_below(&g->rng, (uint32_t)(hi - lo));
}

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* Formatted text in one of 64 rotating buffers (enough for one exchange). */
static const char *fmt(const char *f, ...)
{
	static char pool[64][256];
	static unsigned k;
	char *b = pool[k++ % 64];
	va_list ap;
	va_start(ap, f);
	vsnprintf(b, sizeof pool[0], f, ap);
	va_end(ap);
	return b;
}

/* A NULL-terminated list of one or two records in one of 16 rotating static
 * lists (so a struct rsp can be returned or assigned in a branch). */
static const char *const *lst(const char *a, const char *b)
{
	static const char *pool[16][3];
	static unsigned k;
	const char **l = pool[k++ % 16];
	l[0] = a;
	l[1] = b;
	l[2] = NULL;
	return l;
}

/* A negative answer's authority record (RFC 2308 §3): zone with trailing dot. */
static const char *soa(const char *zone)
{
	return fmt("%s 300 IN SOA ns1.%s hostmaster.%s 2026010101 3600 600 604800 300", zone, zone, zone);
}

/* ================================================================ DNS */

/* Who asks whom. */
struct q {
	const char *c;   /* client address */
	uint16_t port;   /* client port; 0 = a fresh ephemeral port */
	const char *r;   /* server address (port 53) */
	uint16_t id;     /* 0 = random */
	int opt;         /* NOOPT, EDNS (payload 1232), EDNS_DO */
	bool norec;      /* RD=0: a resolver's iterative query */
};

/* What comes back. Flags follow the query: RD copied, RA=1 for recursive
 * answers (RA=0 for iterative ones), OPT echoed (payload 1232, DO copied)
 * when the query had one. */
struct rsp {
	uint8_t rcode;
	const char *const *an, *const *ns, *const *ar;
	bool aa, tc;
	bool no_ra;              /* RA=0 although RD=1 (a non-recursive server) */
	int opt;                 /* 0: echo the query's OPT; -1: none; 1: always */
	int ede;                 /* EDE info-code (RFC 8914 §4); 0 = none */
	const char *ede_text;
};

/* Appends an EDE option to the OPT pseudo-RR that ldns writes last with empty
 * RDATA (RFC 6891 §6.1.2: root owner, type 41, class, TTL, RDLENGTH). */
static size_t add_ede(uint8_t *m, size_t n, int code, const char *text)
{
	size_t tl = text ? strlen(text) : 0, ol = 4 + 2 + tl;
	if (n < 11 || m[n - 11] != 0 || m[n - 10] != 0 || m[n - 9] != 41 || m[n - 2] || m[n - 1])
		gen_die("add_ede: no empty OPT record at the end of the message");
	if (n + ol > sizeof msg)
		gen_die("add_ede: message too long");
	m[n - 2] = (uint8_t)(ol >> 8);
	m[n - 1] = (uint8_t)ol;
	m[n] = 0;
	m[n + 1] = 15; /* OPTION-CODE EDE */
	m[n + 2] = (uint8_t)((2 + tl) >> 8);
	m[n + 3] = (uint8_t)(2 + tl);
	m[n + 4] = (uint8_t)(code >> 8);
	m[n + 5] = (uint8_t)code;
	if (tl)
		memcpy(m + n + 6, text, tl);
	return n + ol;
}

static size_t build_query(const struct q *q, const char *question)
{
	struct gen_dns d = {.id = q->id, .rd = !q->norec, .q = question,
			    .edns = q->opt ? 1232 : 0, .edns_do = q->opt == EDNS_DO};
	return gen_dns_build(msg, sizeof msg, &d);
}

static size_t build_resp(const struct q *q, const char *question, const struct rsp *a)
{
	struct gen_dns d = {.id = q->id, .qr = true, .aa = a->aa, .tc = a->tc, .rd = !q->norec,
			    .ra = !q->norec && !a->no_ra, .rcode = a->rcode, .q = question,
			    .an = a->an, .ns = a->ns, .ar = a->ar};
	if (a->opt > 0 || (a->opt == 0 && q->opt)) {
		d.edns = 1232;
		d.edns_do = q->opt == EDNS_DO;
	}
	size_t n = gen_dns_build(msg, sizeof msg, &d);
	if (a->ede) {
		if (!d.edns)
			gen_die("EDE without OPT");
		n = add_ede(msg, n, a->ede, a->ede_text);
	}
	return n;
}

/* One UDP exchange: the query at ts and, unless a is NULL, its response lat
 * later. Returns the query with its port and ID filled in. */
static struct q dx(struct pg *g, uint64_t ts, struct q q, const char *question, uint64_t lat,
		   const struct rsp *a)
{
	if (!q.port)
		q.port = eph(g);
	if (!q.id)
		q.id = rid(g);
	struct gen_ep c = gen_ep(q.c, q.port), s = gen_ep(q.r, 53);
	size_t n = build_query(&q, question);
	put_udp(g, ts, &c, &s, msg, n);
	if (a) {
		n = build_resp(&q, question, a);
		put_udp(g, ts + lat, &s, &c, msg, n);
	}
	return q;
}

/* A response alone (its query was sent before the capture started). */
static void resp_only(struct pg *g, uint64_t ts, struct q q, const char *question, const struct rsp *a)
{
	struct gen_ep c = gen_ep(q.c, q.port), s = gen_ep(q.r, 53);
	size_t n = build_resp(&q, question, a);
	put_udp(g, ts, &s, &c, msg, n);
}

/* TCP SYN from `from` to to:25 and, when rtt > 0, the SYN-ACK: delivery
 * starts (the live filter keeps SYNs to and from port 25). */
static void smtp_syn(struct pg *g, uint64_t ts, const char *from, const char *to, uint64_t rtt)
{
	struct gen_ep c = gen_ep(from, eph(g)), s = gen_ep(to, 25);
	uint32_t ci = (uint32_t)gen_rng_next(&g->rng), si = (uint32_t)gen_rng_next(&g->rng);
	put_tcp(g, ts, &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
	if (rtt)
		put_tcp(g, ts + rtt, &s, &c, si, ci + 1, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
}

/* ================================================================ P1 */

/* An Exchange-like AAAA-first sender (192.0.2.20) stuck on AAAA SERVFAIL for
 * the only MX host of fabrikam.example in three queue runs 10 minutes apart,
 * never asking A; a Postfix-like A-then-AAAA sender (192.0.2.10) delivers to
 * the same host over IPv4. */
int gen_sc_p1_exchange(const char *path)
{
	struct pg g;
	pg_open(&g, path, 101);
	const struct q E = {.c = "192.0.2.20", .r = R1};
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const char *mxq = "fabrikam.example. IN MX";
	const struct rsp mx = {.an = RR("fabrikam.example. 300 IN MX 10 mx1.fabrikam.example.")};
	const struct rsp sf = {.rcode = 2};
	uint64_t t;

	for (int k = 0; k < 3; k++) {
		t = SEC(600) * (uint64_t)k + MS(250);
		dx(&g, t, E, mxq, MS(31) + US(k * 211), &mx);
		t += MS(33) + US(k * 211);
		dx(&g, t, E, "mx1.fabrikam.example. IN AAAA", MS(46) + US(k * 97), &sf);
	}
	/* the same Exchange delivers to a domain whose host has no AAAA: AAAA
	 * NODATA, then A (it falls back on a negative answer) */
	t = SEC(95);
	dx(&g, t, E, "contoso.example. IN MX", MS(27),
	   &(struct rsp){.an = RR("contoso.example. 300 IN MX 10 mail.contoso.example.")});
	t += MS(28);
	dx(&g, t, E, "mail.contoso.example. IN AAAA", MS(19), &(struct rsp){.ns = RR(soa("contoso.example."))});
	t += MS(20);
	dx(&g, t, E, "mail.contoso.example. IN A", MS(1),
	   &(struct rsp){.an = RR("mail.contoso.example. 300 IN A 203.0.113.40")});
	smtp_syn(&g, t + MS(2), E.c, "203.0.113.40", MS(38));

	/* Postfix: MX, A, AAAA (SERVFAIL), then connects over IPv4 */
	t = SEC(30);
	dx(&g, t, P, mxq, MS(29), &mx);
	t += MS(30);
	dx(&g, t, P, "mx1.fabrikam.example. IN A", MS(24),
	   &(struct rsp){.an = RR("mx1.fabrikam.example. 300 IN A 203.0.113.25")});
	t += MS(25);
	dx(&g, t, P, "mx1.fabrikam.example. IN AAAA", MS(44), &sf);
	smtp_syn(&g, t + MS(46), P.c, "203.0.113.25", MS(41));
	return pg_close(&g);
}

/* ================================================================ P5-P8 */

/* A Postfix-like sender meets every kind of bad MX target. */
int gen_sc_p5_p8_names(const char *path)
{
	struct pg g;
	pg_open(&g, path, 105);
	const struct q P = {.c = "192.0.2.10", .r = R1};
	uint64_t t;

	/* P5 NULL_MX: the lone "0 ." (RFC 7505); Postfix bounces 5.1.0 */
	dx(&g, MS(100), P, "nomail.example. IN MX", MS(22),
	   &(struct rsp){.an = RR("nomail.example. 3600 IN MX 0 .")});
	/* P5 NULL_MX_MIXED: "0 ." beside a real MX (RFC 7505 §3 violation) */
	dx(&g, SEC(4), P, "mixed.example. IN MX", MS(27),
	   &(struct rsp){.an = RR("mixed.example. 3600 IN MX 0 .", "mixed.example. 3600 IN MX 10 mx1.mixed.example.")});
	/* P7 MX_TARGET_CNAME: the exchange is an alias; Postfix follows it */
	t = SEC(8);
	dx(&g, t, P, "alias.example. IN MX", MS(25),
	   &(struct rsp){.an = RR("alias.example. 3600 IN MX 10 mail.alias.example.")});
	t += MS(26);
	dx(&g, t, P, "mail.alias.example. IN A", MS(31),
	   &(struct rsp){.an = RR("mail.alias.example. 3600 IN CNAME mailhost.hosting.example.",
				  "mailhost.hosting.example. 300 IN A 203.0.113.30")});
	t += MS(32);
	dx(&g, t, P, "mail.alias.example. IN AAAA", MS(18),
	   &(struct rsp){.an = RR("mail.alias.example. 3600 IN CNAME mailhost.hosting.example."),
			 .ns = RR(soa("hosting.example."))});
	smtp_syn(&g, t + MS(19), P.c, "203.0.113.30", MS(35));
	/* P7 MX_TARGET_IP_LITERAL: Postfix uses the numeric exchange without a query */
	t = SEC(12);
	dx(&g, t, P, "literal.example. IN MX", MS(24),
	   &(struct rsp){.an = RR("literal.example. 3600 IN MX 10 203.0.113.31.")});
	smtp_syn(&g, t + MS(25), P.c, "203.0.113.31", MS(37));
	/* P8 MX_TARGET_BOGUS_ADDR: the host is 127.0.0.1; Postfix 5.4.6 "loops back to myself" */
	t = SEC(16);
	dx(&g, t, P, "loopback.example. IN MX", MS(23),
	   &(struct rsp){.an = RR("loopback.example. 3600 IN MX 10 mx.loopback.example.")});
	t += MS(24);
	dx(&g, t, P, "mx.loopback.example. IN A", MS(21),
	   &(struct rsp){.an = RR("mx.loopback.example. 3600 IN A 127.0.0.1")});
	t += MS(22);
	dx(&g, t, P, "mx.loopback.example. IN AAAA", MS(20), &(struct rsp){.ns = RR(soa("loopback.example."))});
	/* P6 MX_TARGET_UNRESOLVABLE: "mx.d.test" written without its trailing
	 * dot in the zone file of d.test becomes mx.d.test.d.test */
	t = SEC(20);
	dx(&g, t, P, "d.test. IN MX", MS(26), &(struct rsp){.an = RR("d.test. 3600 IN MX 10 mx.d.test.d.test.")});
	t += MS(27);
	dx(&g, t, P, "mx.d.test.d.test. IN A", MS(22), &(struct rsp){.rcode = 3, .ns = RR(soa("d.test."))});
	t += MS(23);
	dx(&g, t, P, "mx.d.test.d.test. IN AAAA", MS(1), &(struct rsp){.rcode = 3, .ns = RR(soa("d.test."))});
	return pg_close(&g);
}

/* ================================================================ P9 */

/* A sender whose only resolver is a distant forwarder: every answer takes
 * about 2 s, and the first MX query is lost, so the chain takes 11.6 s. */
int gen_sc_p9_slow(const char *path)
{
	struct pg g;
	pg_open(&g, path, 109);
	const struct q P = {.c = "192.0.2.10", .r = R2};
	uint64_t t = MS(200);

	dx(&g, t, P, "slow.example. IN MX", 0, NULL); /* lost */
	t += SEC(5);                                   /* glibc RES_TIMEOUT, new socket */
	dx(&g, t, P, "slow.example. IN MX", MS(2114),
	   &(struct rsp){.an = RR("slow.example. 3600 IN MX 10 mx1.slow.example.")});
	t += MS(2115);
	dx(&g, t, P, "mx1.slow.example. IN A", MS(2087),
	   &(struct rsp){.an = RR("mx1.slow.example. 3600 IN A 203.0.113.50")});
	t += MS(2088);
	dx(&g, t, P, "mx1.slow.example. IN AAAA", MS(2131), &(struct rsp){.ns = RR(soa("slow.example."))});
	t += MS(2132);
	smtp_syn(&g, t, P.c, "203.0.113.50", MS(36));
	return pg_close(&g);
}

/* ================================================================ P12 */

/* Reversed IPv4 octets of a.b.c.d followed by `zone`. */
static const char *rev4(const char *ip, const char *zone)
{
	unsigned a, b, c, d;
	if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		gen_die("rev4: %s", ip);
	return fmt("%u.%u.%u.%u.%s", d, c, b, a, zone);
}

/* A small mail server that resolves everything through 8.8.8.8: a few
 * queries go unanswered (throttled) and are retried; Spamhaus answers every
 * blocklist query with 127.255.255.254 ("query via public resolver"). */
int gen_sc_p12_public(const char *path)
{
	struct pg g;
	pg_open(&g, path, 112);
	const struct q S = {.c = "192.0.2.10", .r = "8.8.8.8"};
	unsigned nq = 0;
	const unsigned lose_every = 29;
#define ASK(tt, question, lat, ...) do { \
		char q_[160]; \
		uint64_t l_ = (lat); \
		snprintf(q_, sizeof q_, "%s", (question)); \
		if (++nq % lose_every == 0) { dx(&g, (tt), S, q_, 0, NULL); (tt) += SEC(5); } \
		dx(&g, (tt), S, q_, l_, &(struct rsp){__VA_ARGS__}); (tt) += l_ + US(300); \
	} while (0)

	for (int i = 0; i < 60; i++) {
		uint64_t t = SEC(5) * (uint64_t)i + jit(&g, 0, MS(3000));
		if (i % 3 == 0) {
			/* outbound delivery */
			const char *d = fmt("out%02d.example", i / 3);
			char dom[64], mxh[80];
			snprintf(dom, sizeof dom, "%s.", d);
			snprintf(mxh, sizeof mxh, "mx.%s.", d);
			ASK(t, fmt("%s IN MX", dom), jit(&g, MS(9), MS(40)),
			    .an = RR(fmt("%s 300 IN MX 10 %s", dom, mxh)));
			ASK(t, fmt("%s IN A", mxh), jit(&g, MS(8), MS(35)),
			    .an = RR(fmt("%s 300 IN A 203.0.113.%d", mxh, 60 + i / 3)));
			ASK(t, fmt("%s IN AAAA", mxh), jit(&g, MS(8), MS(35)), .ns = RR(soa(dom)));
			smtp_syn(&g, t, S.c, fmt("203.0.113.%d", 60 + i / 3), MS(40));
		} else {
			/* inbound connection: rDNS, blocklist, SPF */
			char ip[32];
			snprintf(ip, sizeof ip, "198.51.100.%d", 100 + i);
			const char *ptr = rev4(ip, "in-addr.arpa.");
			char ptrq[96];
			snprintf(ptrq, sizeof ptrq, "%s", ptr);
			if (i % 4 == 1)
				ASK(t, fmt("%s IN PTR", ptrq), jit(&g, MS(20), MS(60)),
				    .rcode = 3, .ns = RR(soa("100.51.198.in-addr.arpa.")));
			else
				ASK(t, fmt("%s IN PTR", ptrq), jit(&g, MS(20), MS(60)),
				    .an = RR(fmt("%s 3600 IN PTR host-%d.isp.example.", ptrq, 100 + i)));
			char bl[96];
			snprintf(bl, sizeof bl, "%s", rev4(ip, "zen.spamhaus.org."));
			ASK(t, fmt("%s IN A", bl), jit(&g, MS(15), MS(45)),
			    .an = RR(fmt("%s 60 IN A 127.255.255.254", bl)));
			ASK(t, fmt("sender%02d.example. IN TXT", i % 17), jit(&g, MS(9), MS(40)),
			    .an = RR(fmt("sender%02d.example. 300 IN TXT \"v=spf1 mx -all\"", i % 17)));
		}
	}
#undef ASK
	fprintf(stderr, "p12: %u questions, %u lost\n", nq, nq / lose_every);
	return pg_close(&g);
}

/* ================================================================ P13 */

/* An Exim-like sender (EDNS DO, AAAA then A) with "options rotate" over an
 * internal resolver holding a stale copy of partner.example (NXDOMAIN for the
 * newer eu.partner.example) and an external one that answers. */
int gen_sc_p13_disagreement(const char *path)
{
	struct pg g;
	pg_open(&g, path, 113);
	const struct q X1 = {.c = "192.0.2.11", .r = R1, .opt = EDNS_DO};
	const struct q X2 = {.c = "192.0.2.11", .r = R2, .opt = EDNS_DO};
	const char *mxq = "eu.partner.example. IN MX";
	uint64_t t;

	/* message 1: the MX query goes to the internal resolver: NXDOMAIN,
	 * authoritative from its stale zone; Exim bounces "Unrouteable address" */
	dx(&g, MS(500), X1, mxq, MS(2), &(struct rsp){.rcode = 3, .aa = true, .ns = RR(soa("partner.example."))});
	/* message 2, four minutes later: rotate picks the external resolver */
	t = SEC(240);
	dx(&g, t, X2, mxq, MS(44),
	   &(struct rsp){.an = RR("eu.partner.example. 3600 IN MX 10 mx1.mailhost.example.")});
	t += MS(45);
	dx(&g, t, X1, "mx1.mailhost.example. IN AAAA", MS(38), &(struct rsp){.ns = RR(soa("mailhost.example."))});
	t += MS(39);
	dx(&g, t, X2, "mx1.mailhost.example. IN A", MS(31),
	   &(struct rsp){.an = RR("mx1.mailhost.example. 3600 IN A 203.0.113.25")});
	smtp_syn(&g, t + MS(32), X1.c, "203.0.113.25", MS(40));
	return pg_close(&g);
}

/* ================================================================ P14 */

/* DNS over TCP to the resolver: handshake, the query (2-byte length prefix,
 * RFC 1035 §4.2.2), the server's ACK and no response; the client closes at
 * close_at. */
static void tcp_dns_unanswered(struct pg *g, uint64_t ts, struct q q, const char *question, uint64_t close_at)
{
	uint8_t b[600];
	q.port = eph(g);
	q.id = rid(g);
	struct gen_ep c = gen_ep(q.c, q.port), s = gen_ep(q.r, 53);
	uint32_t ci = (uint32_t)gen_rng_next(&g->rng), si = (uint32_t)gen_rng_next(&g->rng);
	size_t n = build_query(&q, question);
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	memcpy(b + 2, msg, n);
	put_tcp(g, ts, &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
	put_tcp(g, ts + US(310), &s, &c, si, ci + 1, GEN_TH_SYN | GEN_TH_ACK, NULL, 0);
	put_tcp(g, ts + US(340), &c, &s, ci + 1, si + 1, GEN_TH_ACK, NULL, 0);
	put_tcp(g, ts + US(400), &c, &s, ci + 1, si + 1, GEN_TH_ACK | GEN_TH_PSH, b, n + 2);
	put_tcp(g, ts + US(700), &s, &c, si + 1, ci + 1 + (uint32_t)(n + 2), GEN_TH_ACK, NULL, 0);
	put_tcp(g, close_at, &c, &s, ci + 1 + (uint32_t)(n + 2), si + 1, GEN_TH_FIN | GEN_TH_ACK, NULL, 0);
	put_tcp(g, close_at + US(300), &s, &c, si + 1, ci + 2 + (uint32_t)(n + 2), GEN_TH_FIN | GEN_TH_ACK, NULL, 0);
	put_tcp(g, close_at + US(320), &c, &s, ci + 2 + (uint32_t)(n + 2), si + 2, GEN_TH_ACK, NULL, 0);
}

/* Truncated UDP answers (TC=1, header and question only): one with no TCP
 * retry at all, one whose TCP retry is accepted but never answered, one whose
 * SYNs go unanswered (TCP/53 filtered); then a normal lookup. */
int gen_sc_p14_tc(const char *path)
{
	struct pg g;
	pg_open(&g, path, 114);
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const struct rsp tc = {.tc = true};
	uint64_t t;

	/* 1: MX big.example, TC=1, nothing over TCP */
	dx(&g, MS(100), P, "big.example. IN MX", MS(28), &tc);
	/* 2: MX large.example, TC=1; the TCP connection is accepted, the query is
	 * ACKed and never answered; the client gives up after 10 s */
	t = SEC(3);
	dx(&g, t, P, "large.example. IN MX", MS(25), &tc);
	tcp_dns_unanswered(&g, t + MS(26), P, "large.example. IN MX", t + MS(26) + SEC(10));
	/* 3: A pool.example, TC=1; SYNs to port 53 get no SYN-ACK */
	t = SEC(16);
	dx(&g, t, P, "pool.example. IN A", MS(21), &tc);
	{
		struct gen_ep c = gen_ep(P.c, eph(&g)), s = gen_ep(R1, 53);
		uint32_t ci = (uint32_t)gen_rng_next(&g.rng);
		put_tcp(&g, t + MS(22), &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
		put_tcp(&g, t + MS(22) + SEC(1), &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
		put_tcp(&g, t + MS(22) + SEC(3), &c, &s, ci, 0, GEN_TH_SYN, NULL, 0);
	}
	/* 4: a normal lookup: UDP works */
	t = SEC(30);
	dx(&g, t, P, "example.net. IN MX", MS(19),
	   &(struct rsp){.an = RR("example.net. 3600 IN MX 10 mail.example.net.")});
	t += MS(20);
	dx(&g, t, P, "mail.example.net. IN A", MS(17),
	   &(struct rsp){.an = RR("mail.example.net. 3600 IN A 203.0.113.70")});
	t += MS(18);
	dx(&g, t, P, "mail.example.net. IN AAAA", MS(15), &(struct rsp){.ns = RR(soa("example.net."))});
	smtp_syn(&g, t + MS(16), P.c, "203.0.113.70", MS(33));
	return pg_close(&g);
}

/* ================================================================ P15 */

/* An EDNS-intolerant resolver (FORMERR without OPT) with a sender that
 * retries without OPT and one that does not; and a resolver behind a
 * firewall that drops EDNS queries, asked by a forwarding unbound that falls
 * back to plain DNS after two lost EDNS tries. */
int gen_sc_p15_edns(const char *path)
{
	struct pg g;
	pg_open(&g, path, 115);
	const struct q S1 = {.c = "192.0.2.10", .r = R1, .opt = EDNS};
	const struct q S1plain = {.c = "192.0.2.10", .r = R1};
	const struct q S2 = {.c = "192.0.2.11", .r = R1, .opt = EDNS};
	const struct q S3 = {.c = "192.0.2.12", .r = R2, .opt = EDNS_DO};
	const struct q S3plain = {.c = "192.0.2.12", .r = R2};
	const struct rsp formerr = {.rcode = 1, .opt = -1};
	uint64_t t;

	/* EDNS_DROP: three lookups, each two lost EDNS queries, then plain */
	static const char *const names[3][2] = {
		{"example.net. IN MX", "example.net. 3600 IN MX 10 mail.example.net."},
		{"mail.example.net. IN A", "mail.example.net. 3600 IN A 203.0.113.70"},
		{"mail.example.net. IN AAAA", NULL},
	};
	t = MS(100);
	for (int i = 0; i < 3; i++) {
		dx(&g, t, S3, names[i][0], 0, NULL);
		dx(&g, t + MS(376), S3, names[i][0], 0, NULL);
		t += MS(376) + MS(1128);
		if (names[i][1])
			dx(&g, t, S3plain, names[i][0], MS(23), &(struct rsp){.an = RR(names[i][1])});
		else
			dx(&g, t, S3plain, names[i][0], MS(21), &(struct rsp){.ns = RR(soa("example.net."))});
		t += MS(24);
	}
	smtp_syn(&g, t, S3.c, "203.0.113.70", MS(35));

	/* EDNS_FORMERR, recovered: glibc (options edns0) retries without OPT */
	t = SEC(12);
	dx(&g, t, S1, "example.org. IN MX", MS(3), &formerr);
	t += MS(3) + US(150);
	dx(&g, t, S1plain, "example.org. IN MX", MS(22),
	   &(struct rsp){.an = RR("example.org. 3600 IN MX 10 mx1.example.org.")});
	t += MS(23);
	dx(&g, t, S1plain, "mx1.example.org. IN A", MS(19),
	   &(struct rsp){.an = RR("mx1.example.org. 3600 IN A 203.0.113.71")});
	t += MS(20);
	dx(&g, t, S1plain, "mx1.example.org. IN AAAA", MS(18), &(struct rsp){.ns = RR(soa("example.org."))});
	smtp_syn(&g, t + MS(19), S1.c, "203.0.113.71", MS(36));

	/* EDNS_FORMERR, not recovered: this sender's library does not fall back */
	t = SEC(20);
	dx(&g, t, S2, "example.com. IN MX", MS(3), &formerr);

	/* later traffic, so the capture outlasts every timeout */
	t = SEC(40);
	dx(&g, t, S1plain, "example.com. IN MX", MS(21),
	   &(struct rsp){.an = RR("example.com. 3600 IN MX 10 mx1.example.com.")});
	return pg_close(&g);
}

/* ================================================================ P16 */

struct p16 {
	struct pg g;
	unsigned lost_every;   /* 0 = nothing lost */
	unsigned n;
};

/* An inbound connection's checks: PTR (spam bots mostly without rDNS) and the
 * DNSBL query; some go unanswered when `lossy`. */
static void p16_inbound(struct p16 *p, uint64_t t, const struct q *S, unsigned client, bool bot, uint64_t lat)
{
	char ip[32], ptr[96], bl[96];
	if (client < 200)
		snprintf(ip, sizeof ip, "198.51.100.%u", client + 30);
	else
		snprintf(ip, sizeof ip, "203.0.113.%u", client - 190);
	snprintf(ptr, sizeof ptr, "%s", rev4(ip, "in-addr.arpa."));
	snprintf(bl, sizeof bl, "%s", rev4(ip, "zen.spamhaus.org."));
	const char *rz = client < 200 ? "100.51.198.in-addr.arpa." : "113.0.203.in-addr.arpa.";
	bool lose = p->lost_every && ++p->n % p->lost_every == 0;
	if (bot || client % 5 == 0)
		dx(&p->g, t, *S, fmt("%s IN PTR", ptr), lat, lose ? NULL : &(struct rsp){.rcode = 3, .ns = RR(soa(rz))});
	else
		dx(&p->g, t, *S, fmt("%s IN PTR", ptr), lat,
		   lose ? NULL : &(struct rsp){.an = RR(fmt("%s 3600 IN PTR mail%u.isp.example.", ptr, client))});
	t += US(200);
	lose = p->lost_every && ++p->n % p->lost_every == 0;
	if (bot && client % 3 == 0)
		dx(&p->g, t, *S, fmt("%s IN A", bl), lat,
		   lose ? NULL : &(struct rsp){.an = RR(fmt("%s 60 IN A 127.0.0.4", bl))});
	else
		dx(&p->g, t, *S, fmt("%s IN A", bl), lat,
		   lose ? NULL : &(struct rsp){.rcode = 3, .ns = RR("zen.spamhaus.org. 150 IN SOA need.to.know.only. "
							     "hostmaster.spamhaus.org. 2601010000 3600 600 432000 10")});
}

/* An outbound delivery: MX, A, AAAA of the one exchange; the A query is lost
 * and retried after 5 s when lose_a. */
static void p16_deliver(struct p16 *p, uint64_t t, const struct q *S, unsigned dom, bool lose_a, uint64_t lat)
{
	char d[64], h[80];
	snprintf(d, sizeof d, "dest%02u.example.", dom);
	snprintf(h, sizeof h, "mx.dest%02u.example.", dom);
	dx(&p->g, t, *S, fmt("%s IN MX", d), lat, &(struct rsp){.an = RR(fmt("%s 300 IN MX 10 %s", d, h))});
	t += lat + US(400);
	if (lose_a) {
		dx(&p->g, t, *S, fmt("%s IN A", h), 0, NULL);
		t += SEC(5);
	}
	dx(&p->g, t, *S, fmt("%s IN A", h), lat,
	   &(struct rsp){.an = RR(fmt("%s 300 IN A 203.0.113.%u", h, 100 + dom))});
	t += lat + US(300);
	dx(&p->g, t, *S, fmt("%s IN AAAA", h), lat, &(struct rsp){.ns = RR(soa(d))});
	t += lat + US(300);
	smtp_syn(&p->g, t, S->c, fmt("203.0.113.%u", 100 + dom), MS(38));
}

/* A mail server (192.0.2.10) that filters inbound mail and delivers
 * outbound through one resolver: quiet for 60 s, then a spam wave (600
 * PTR/DNSBL queries in 10 s) during which its own delivery lookups time out;
 * and a filtering host (192.0.2.12) that asks almost only PTR/DNSBL. */
int gen_sc_p16_query_volume(const char *path)
{
	struct p16 p = {0};
	pg_open(&p.g, path, 116);
	const struct q S = {.c = "192.0.2.10", .r = R1};
	const struct q F = {.c = "192.0.2.12", .r = R1};
	unsigned dom = 0, client = 0;

	for (unsigned b = 0; b < 10; b++) {
		uint64_t t0 = SEC(10) * b;
		if (b == 6) {
			/* the wave: 300 connections in 10 s (60 queries/s), 1 in 8
			 * queries lost; delivery lookups wait in the resolver's queue */
			p.lost_every = 8;
			for (unsigned i = 0; i < 300; i++)
				p16_inbound(&p, t0 + SEC(10) * i / 300 + US(50), &S, client++ % 250, true,
					    jit(&p.g, MS(150), MS(900)));
			p.lost_every = 0;
			for (unsigned k = 0; k < 5; k++)
				p16_deliver(&p, t0 + MS(300) + MS(900) * k, &S, dom++ % 40, true,
					    jit(&p.g, MS(300), MS(800)));
			continue;
		}
		if (b == 7) {
			/* the tail of the wave: 80 connections */
			p.lost_every = 20;
			for (unsigned i = 0; i < 80; i++)
				p16_inbound(&p, t0 + SEC(10) * i / 80 + US(70), &S, client++ % 250, true,
					    jit(&p.g, MS(40), MS(300)));
			p.lost_every = 0;
			p16_deliver(&p, t0 + MS(1500), &S, dom++ % 40, false, jit(&p.g, MS(20), MS(80)));
			p16_deliver(&p, t0 + MS(6500), &S, dom++ % 40, false, jit(&p.g, MS(20), MS(80)));
			continue;
		}
		/* quiet: 3 deliveries and 5 inbound connections per 10 s */
		for (unsigned k = 0; k < 3; k++)
			p16_deliver(&p, t0 + MS(900) + MS(3100) * k, &S, dom++ % 40, false, jit(&p.g, MS(8), MS(60)));
		for (unsigned k = 0; k < 5; k++)
			p16_inbound(&p, t0 + MS(400) + MS(1900) * k, &S, client++ % 250, false, jit(&p.g, MS(10), MS(70)));
		/* the filtering host: 6 connections per 10 s, one SPF TXT */
		for (unsigned k = 0; k < 6; k++)
			p16_inbound(&p, t0 + MS(700) + MS(1600) * k, &F, 120 + (b * 6 + k) % 80, k % 2 == 0,
				    jit(&p.g, MS(10), MS(70)));
		dx(&p.g, t0 + MS(5200), F, fmt("sender%02u.example. IN TXT", b), MS(31),
		   &(struct rsp){.an = RR(fmt("sender%02u.example. 300 IN TXT \"v=spf1 mx -all\"", b))});
	}
	return pg_close(&p.g);
}

/* ================================================================ P17 */

/* One delivery by a Postfix-like sender through a resolver that answers. */
static uint64_t deliver_ok(struct pg *g, uint64_t t, const struct q *S, const char *dom, unsigned hostno,
			   uint64_t lat)
{
	char d[64], h[80];
	snprintf(d, sizeof d, "%s.", dom);
	snprintf(h, sizeof h, "mx.%s.", dom);
	dx(g, t, *S, fmt("%s IN MX", d), lat, &(struct rsp){.an = RR(fmt("%s 300 IN MX 10 %s", d, h))});
	t += lat + US(350);
	dx(g, t, *S, fmt("%s IN A", h), lat,
	   &(struct rsp){.an = RR(fmt("%s 300 IN A 203.0.113.%u", h, hostno))});
	t += lat + US(300);
	dx(g, t, *S, fmt("%s IN AAAA", h), lat, &(struct rsp){.ns = RR(soa(d))});
	t += lat + US(300);
	smtp_syn(g, t, S->c, fmt("203.0.113.%u", hostno), MS(37));
	return t;
}

/* Two Postfix-like senders behind one resolver whose upstream fails 15 s
 * into the capture: from then on every name not in its cache gets SERVFAIL
 * (glibc asks twice: SERVFAIL moves on to the next pass), across 14 zones. */
int gen_sc_p17_servfail_storm(const char *path)
{
	struct pg g;
	pg_open(&g, path, 117);
	const struct q P[2] = {{.c = "192.0.2.10", .r = R1}, {.c = "192.0.2.11", .r = R1}};
	static const char *const cached[8] = {"alpha.example", "bravo.example.com", "charlie.example.org",
					      "delta.example", "sierra.example", "tango.example.com",
					      "uniform.example.org", "victor.example"};
	static const char *const zones[14] = {
		"echo.example", "foxtrot.example.com", "golf.example.org", "hotel.example", "india.example.net",
		"juliet.example", "kilo.example.com", "lima.example.org", "mike.example", "november.example.net",
		"oscar.example", "papa.example.com", "quebec.example.org", "romeo.example"};
	uint64_t t;

	/* before: healthy deliveries (these names are then in the cache) */
	for (unsigned i = 0; i < 8; i++)
		deliver_ok(&g, MS(300) + MS(1700) * i, &P[i % 2], cached[i], 20 + i, jit(&g, MS(12), MS(60)));
	/* the storm: 24 deliveries over 40 s */
	for (unsigned i = 0; i < 24; i++) {
		t = SEC(16) + MS(1650) * i + jit(&g, 0, MS(400));
		const struct q *s = &P[i % 2];
		if (i % 6 == 5) {
			/* cached names still answer */
			deliver_ok(&g, t, s, cached[(i / 6) * 2], 20 + (i / 6) * 2, US(400));
			continue;
		}
		const char *z = zones[i % 14];
		const char *mq = fmt("%s. IN MX", z);
		char mqs[96];
		snprintf(mqs, sizeof mqs, "%s", mq);
		uint64_t lat = jit(&g, MS(3), MS(14));
		dx(&g, t, *s, mqs, lat, &(struct rsp){.rcode = 2});
		t += lat + US(120);
		dx(&g, t, *s, mqs, US(350), &(struct rsp){.rcode = 2});
	}
	return pg_close(&g);
}

/* One zone's DNS is down: SERVFAIL for MX of broken.example (a Postfix-like
 * sender, twice, and again at its queue retry) and for A/AAAA of
 * www.broken.example (an application host using glibc getaddrinfo), while
 * every other zone answers. */
int gen_sc_p17_domain_servfail(const char *path)
{
	struct pg g;
	pg_open(&g, path, 118);
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const struct q W = {.c = "192.0.2.11", .r = R1};
	static const char *const ok[5] = {"alpha.example", "bravo.example.com", "charlie.example.org",
					  "delta.example", "echo.example.net"};
	uint64_t t;

	for (unsigned i = 0; i < 4; i++)
		deliver_ok(&g, MS(200) + SEC(2) * i, &P, ok[i], 30 + i, jit(&g, MS(10), MS(50)));
	/* Postfix: MX SERVFAIL after the resolver gave up on the authoritatives,
	 * then the second pass gets the cached failure (RFC 9520) */
	t = SEC(10);
	dx(&g, t, P, "broken.example. IN MX", MS(1610), &(struct rsp){.rcode = 2});
	t += MS(1611);
	dx(&g, t, P, "broken.example. IN MX", US(410), &(struct rsp){.rcode = 2});
	/* getaddrinfo: A and AAAA back to back on one port, both SERVFAIL, twice */
	for (unsigned pass = 0; pass < 2; pass++) {
		t = SEC(25) + MS(1700) * pass;
		struct q w = W;
		w.port = eph(&g);
		uint64_t lat = pass ? US(380) : MS(1580);
		dx(&g, t, w, "www.broken.example. IN A", lat, &(struct rsp){.rcode = 2});
		dx(&g, t + US(40), w, "www.broken.example. IN AAAA", lat + US(60), &(struct rsp){.rcode = 2});
	}
	deliver_ok(&g, SEC(40), &P, ok[4], 34, MS(33));
	/* Postfix's queue retry 5 minutes later: still SERVFAIL */
	t = SEC(310);
	dx(&g, t, P, "broken.example. IN MX", MS(1604), &(struct rsp){.rcode = 2});
	t += MS(1605);
	dx(&g, t, P, "broken.example. IN MX", US(390), &(struct rsp){.rcode = 2});
	return pg_close(&g);
}

/* ================================================================ P18 */

/* An Exim-like sender (EDNS DO) behind a validating resolver that reports
 * Extended DNS Errors: DNSSEC Bogus for bogus.example, Signature Expired for
 * expired.example; a signed-and-valid domain delivers. */
int gen_sc_p18_dnssec(const char *path)
{
	struct pg g;
	pg_open(&g, path, 119);
	const struct q X = {.c = "192.0.2.11", .r = R1, .opt = EDNS_DO};
	uint64_t t = MS(100);

	dx(&g, t, X, "example.org. IN MX", MS(26),
	   &(struct rsp){.an = RR("example.org. 3600 IN MX 10 mx1.example.org.")});
	t += MS(27);
	dx(&g, t, X, "mx1.example.org. IN AAAA", MS(18), &(struct rsp){.ns = RR(soa("example.org."))});
	t += MS(19);
	dx(&g, t, X, "mx1.example.org. IN A", MS(17),
	   &(struct rsp){.an = RR("mx1.example.org. 3600 IN A 203.0.113.71")});
	smtp_syn(&g, t + MS(18), X.c, "203.0.113.71", MS(35));

	t = SEC(5);
	for (int pass = 0; pass < 2; pass++) {
		dx(&g, t, X, "bogus.example. IN MX", pass ? US(390) : MS(212),
		   &(struct rsp){.rcode = 2, .ede = 6, .ede_text = "signature crypto failed"});
		t += (pass ? US(390) : MS(212)) + US(100);
	}
	t = SEC(15);
	for (int pass = 0; pass < 2; pass++) {
		dx(&g, t, X, "expired.example. IN MX", pass ? US(370) : MS(187),
		   &(struct rsp){.rcode = 2, .ede = 7, .ede_text = "signature expired"});
		t += (pass ? US(370) : MS(187)) + US(100);
	}
	return pg_close(&g);
}

/* ================================================================ P20 */

/* A mirror port that sees the mail server 192.0.2.10 (EDNS queries), its
 * local resolver 192.0.2.53 with that resolver's iterative traffic, and a
 * second resolver reached through a firewall: unmatched responses at the
 * start, a 512-byte answer cut by the firewall without TC, serve-stale (EDE
 * 3), a DNS64 AAAA, and an authoritative that answers A but NOTIMP for AAAA. */
int gen_sc_p20_diagnostics(const char *path)
{
	struct pg g;
	pg_open(&g, path, 120);
	const struct q S = {.c = "192.0.2.10", .r = "192.0.2.53", .opt = EDNS};
	const struct q Sfw = {.c = "192.0.2.10", .r = R1};
	const struct q RI = {.c = "192.0.2.53", .r = "203.0.113.53", .opt = EDNS_DO, .norec = true};
	uint64_t t;

	/* UNMATCHED_RESPONSE: answers to queries sent before the capture began */
	{
		struct q u = S;
		u.port = 40001;
		u.id = 0x5a01;
		resp_only(&g, US(120), u, "example.org. IN MX",
			  &(struct rsp){.an = RR("example.org. 3600 IN MX 10 mx1.example.org.")});
		u.port = 40002;
		u.id = 0x5a02;
		resp_only(&g, US(1890), u, "mx1.example.org. IN A",
			  &(struct rsp){.an = RR("mx1.example.org. 3600 IN A 203.0.113.71")});
		u.port = 40003;
		u.id = 0x5a03;
		resp_only(&g, US(2410), u, "mx1.example.org. IN AAAA", &(struct rsp){.ns = RR(soa("example.org."))});
	}

	/* MALFORMED_RESPONSE: 40 A records (656 bytes) cut at 512 bytes by the
	 * firewall, counts kept, TC not set: exactly 30 records remain */
	t = SEC(1);
	{
		struct q q = dx(&g, t, Sfw, "mailgw.example. IN A", 0, NULL);
		static char text[40][64];
		static const char *list[41];
		for (int i = 0; i < 40; i++) {
			snprintf(text[i], sizeof text[i], "mailgw.example. 300 IN A 203.0.113.%d", 150 + i);
			list[i] = text[i];
		}
		list[40] = NULL;
		size_t n = build_resp(&q, "mailgw.example. IN A", &(struct rsp){.an = list});
		if (n <= 512 || 12 + 20 + 30 * 16 != 512)
			gen_die("p20: the answer should exceed 512 bytes");
		struct gen_ep c = gen_ep(q.c, q.port), s = gen_ep(q.r, 53);
		put_udp(&g, t + MS(14), &s, &c, msg, 512);
	}

	/* STALE_ANSWER: the resolver cannot reach stale.example's servers and
	 * serves expired data (RFC 8767), EDE 3 */
	t = SEC(3);
	dx(&g, t, S, "stale.example. IN MX", MS(1803),
	   &(struct rsp){.an = RR("stale.example. 30 IN MX 10 mx1.stale.example."), .ede = 3});
	t += MS(1804);
	dx(&g, t, S, "mx1.stale.example. IN A", MS(1799),
	   &(struct rsp){.an = RR("mx1.stale.example. 30 IN A 203.0.113.80"), .ede = 3});
	t += MS(1800);
	dx(&g, t, S, "mx1.stale.example. IN AAAA", MS(1801),
	   &(struct rsp){.ns = RR(soa("stale.example.")), .ede = 3});
	smtp_syn(&g, t + MS(1802), S.c, "203.0.113.80", MS(39));

	/* DNS64_SYNTHESIZED: the resolver synthesizes AAAA from A (RFC 6147) */
	t = SEC(10);
	dx(&g, t, S, "v4only.example. IN MX", MS(22),
	   &(struct rsp){.an = RR("v4only.example. 3600 IN MX 10 mx.v4only.example.")});
	t += MS(23);
	dx(&g, t, S, "mx.v4only.example. IN A", MS(19),
	   &(struct rsp){.an = RR("mx.v4only.example. 3600 IN A 203.0.113.26")});
	t += MS(20);
	dx(&g, t, S, "mx.v4only.example. IN AAAA", MS(2),
	   &(struct rsp){.an = RR("mx.v4only.example. 3600 IN AAAA 64:ff9b::cb00:711a")});
	smtp_syn(&g, t + MS(3), S.c, "203.0.113.26", MS(38));

	/* AUTH_AAAA_MISBEHAVIOR: the resolver's iterative queries: A answered
	 * authoritatively, AAAA NOTIMP (RFC 4074 §4.3); the client gets
	 * the A and a SERVFAIL for AAAA */
	t = SEC(14);
	dx(&g, t, S, "broken-aaaa.example. IN MX", MS(31),
	   &(struct rsp){.an = RR("broken-aaaa.example. 3600 IN MX 10 mx1.broken-aaaa.example.")});
	t += MS(32);
	{
		struct q c = dx(&g, t, S, "mx1.broken-aaaa.example. IN A", 0, NULL);
		dx(&g, t + US(200), RI, "mx1.broken-aaaa.example. IN A", MS(17),
		   &(struct rsp){.aa = true, .an = RR("mx1.broken-aaaa.example. 3600 IN A 203.0.113.27")});
		resp_only(&g, t + MS(18), c, "mx1.broken-aaaa.example. IN A",
			  &(struct rsp){.an = RR("mx1.broken-aaaa.example. 3600 IN A 203.0.113.27")});
		t += MS(19);
		c = dx(&g, t, S, "mx1.broken-aaaa.example. IN AAAA", 0, NULL);
		dx(&g, t + US(200), RI, "mx1.broken-aaaa.example. IN AAAA", MS(16), &(struct rsp){.rcode = 4, .opt = -1});
		dx(&g, t + MS(17), RI, "mx1.broken-aaaa.example. IN AAAA", MS(16), &(struct rsp){.rcode = 4, .opt = -1});
		resp_only(&g, t + MS(34), c, "mx1.broken-aaaa.example. IN AAAA", &(struct rsp){.rcode = 2});
		smtp_syn(&g, t + MS(35), S.c, "203.0.113.27", MS(40));
	}
	return pg_close(&g);
}

/* ================================================================ healthy-busy */

/* A resolver's cache, to give repeated questions cache-hit latencies: a
 * direct-mapped table of (resolver, question) hashes and expiry times. */
#define HCACHE 4096
struct hcache {
	uint64_t key[HCACHE], exp[HCACHE];
};

static uint64_t fnv(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = a; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = b; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h | 1;
}

/* Latency of a question at `now`: a cache hit (0.15-0.9 ms) while cached,
 * else recursion (8-90 ms, 1 in 16 150-450 ms), then cached for ttl. */
static uint64_t hlat(struct pg *g, struct hcache *c, const char *res, const char *question, uint64_t now,
		     uint64_t ttl)
{
	uint64_t k = fnv(res, question);
	size_t i = (size_t)(k % HCACHE);
	if (c->key[i] == k && c->exp[i] > now)
		return jit(g, US(150), US(900));
	c->key[i] = k;
	c->exp[i] = now + ttl;
	if (gen_rng_below(&g->rng, 16) == 0)
		return jit(g, MS(150), MS(450));
	return jit(g, MS(8), MS(90));
}

struct hhost {
	char name[64];   /* with trailing dot */
	char zone[48];
	char v4[32], v6[48];
	bool has6, tlsa;
};

struct hdom {
	char name[48];   /* with trailing dot */
	int nmx, mx[2];  /* host indexes; nmx 0 = no MX (implicit) */
	char v4[32];     /* implicit MX address */
};

#define HHOSTS 64
#define HDOMS 48

struct healthy {
	struct pg g;
	struct hcache cache;
	struct hhost h[HHOSTS];
	struct hdom d[HDOMS];
	int nh, nd;
};

static void hb_setup(struct healthy *b)
{
	/* 4 providers with two exchanges each; providers 1 and 2 have IPv6,
	 * provider 3 publishes TLSA (DANE) */
	for (int p = 0; p < 4; p++)
		for (int k = 0; k < 2; k++) {
			struct hhost *h = &b->h[b->nh];
			char zone[48];
			snprintf(zone, sizeof zone, "provider%d.example.net.", p + 1);
			snprintf(h->zone, sizeof h->zone, "%s", zone);
			snprintf(h->name, sizeof h->name, "mx%d.%s", k + 1, zone);
			snprintf(h->v4, sizeof h->v4, "203.0.113.%d", 20 + b->nh);
			snprintf(h->v6, sizeof h->v6, "2001:db8:25::%x", 0x20 + b->nh);
			h->has6 = p < 2;
			h->tlsa = p == 2;
			b->nh++;
		}
	static const char *const tld[3] = {"example", "example.com", "example.org"};
	static const char *const stem[3] = {"customer", "shop", "club"};
	for (int i = 0; i < HDOMS - 1; i++) {
		struct hdom *d = &b->d[b->nd++];
		snprintf(d->name, sizeof d->name, "%s%02d.%s.", stem[i % 3], i, tld[i % 3]);
		if (i % 2 == 0) {
			int p = (i / 2) % 4;
			d->nmx = 2;
			d->mx[0] = 2 * p;
			d->mx[1] = 2 * p + 1;
		} else {
			struct hhost *h = &b->h[b->nh];
			char zone[48];
			snprintf(zone, sizeof zone, "%s", d->name);
			snprintf(h->zone, sizeof h->zone, "%s", zone);
			snprintf(h->name, sizeof h->name, "mail.%s", zone);
			snprintf(h->v4, sizeof h->v4, "203.0.113.%d", 20 + b->nh);
			snprintf(h->v6, sizeof h->v6, "2001:db8:25::%x", 0x20 + b->nh);
			h->has6 = i % 4 == 1;
			d->nmx = 1;
			d->mx[0] = b->nh++;
		}
	}
	/* one domain without MX: mail goes to its own A (RFC 5321 §5.1) */
	struct hdom *d = &b->d[b->nd++];
	snprintf(d->name, sizeof d->name, "legacy.example.org.");
	snprintf(d->v4, sizeof d->v4, "203.0.113.9");
}

/* Popular domains first: index = N * u^2. */
static int hb_pick(struct healthy *b)
{
	double u = gen_rng_unit(&b->g.rng);
	int i = (int)(u * u * b->nd);
	return i < b->nd ? i : b->nd - 1;
}

static const char *mx_rrs_text(const struct healthy *b, const struct hdom *d, int k)
{
	return fmt("%s 3600 IN MX %d %s", d->name, 10 * (k + 1), b->h[d->mx[k]].name);
}

/* The answer for A or AAAA of host h. */
static struct rsp host_rsp(const struct hhost *h, bool v6)
{
	if (!v6)
		return (struct rsp){.an = lst(fmt("%s 300 IN A %s", h->name, h->v4), NULL)};
	if (h->has6)
		return (struct rsp){.an = lst(fmt("%s 300 IN AAAA %s", h->name, h->v6), NULL)};
	return (struct rsp){.ns = lst(soa(h->zone), NULL)};
}

static struct rsp mx_rsp(const struct healthy *b, const struct hdom *d)
{
	if (d->nmx == 0)
		return (struct rsp){.ns = lst(soa(d->name), NULL)};
	if (d->nmx == 1)
		return (struct rsp){.an = lst(mx_rrs_text(b, d, 0), NULL)};
	return (struct rsp){.an = lst(mx_rrs_text(b, d, 0), mx_rrs_text(b, d, 1))};
}

/* One exchange through the cache model; `lost` drops the first query and
 * retries it after 5 s, to `retry_r` (NULL: the same resolver). Returns the
 * time the answer arrives. */
static uint64_t hb_ask(struct healthy *b, uint64_t t, struct q q, const char *question, const struct rsp *a,
		       uint64_t ttl, bool lost, const char *retry_r)
{
	char qs[160];
	snprintf(qs, sizeof qs, "%s", question);
	if (lost) {
		dx(&b->g, t, q, qs, 0, NULL);
		t += SEC(5);
		if (retry_r)
			q.r = retry_r;
	}
	uint64_t lat = hlat(&b->g, &b->cache, q.r, qs, t, ttl);
	dx(&b->g, t, q, qs, lat, a);
	return t + lat;
}

/* Postfix-like (192.0.2.10 via R1; R2 second in resolv.conf): MX, then for
 * every exchange A then AAAA, then SMTP to the first. */
static void hb_postfix(struct healthy *b, uint64_t t, bool lose)
{
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const struct hdom *d = &b->d[hb_pick(b)];
	struct rsp a = mx_rsp(b, d);
	t = hb_ask(b, t, P, fmt("%s IN MX", d->name), &a, 3600, lose, R2) + jit(&b->g, US(150), US(600));
	if (d->nmx == 0) {
		a = (struct rsp){.an = LST1(fmt("%s 300 IN A %s", d->name, d->v4))};
		t = hb_ask(b, t, P, fmt("%s IN A", d->name), &a, 300, false, NULL) + US(200);
		a = (struct rsp){.ns = LST1(soa(d->name))};
		t = hb_ask(b, t, P, fmt("%s IN AAAA", d->name), &a, 300, false, NULL) + US(200);
		smtp_syn(&b->g, t, P.c, d->v4, jit(&b->g, MS(20), MS(90)));
		return;
	}
	for (int k = 0; k < d->nmx; k++) {
		const struct hhost *h = &b->h[d->mx[k]];
		a = host_rsp(h, false);
		t = hb_ask(b, t, P, fmt("%s IN A", h->name), &a, 300, false, NULL) + jit(&b->g, US(100), US(400));
		a = host_rsp(h, true);
		t = hb_ask(b, t, P, fmt("%s IN AAAA", h->name), &a, 300, false, NULL) + jit(&b->g, US(100), US(400));
	}
	smtp_syn(&b->g, t, P.c, b->h[d->mx[0]].v4, jit(&b->g, MS(20), MS(90)));
}

/* Exim-like (192.0.2.11 via R2 only, EDNS DO): MX, then AAAA then A per
 * exchange, TLSA for DANE hosts, then SMTP. */
static void hb_exim(struct healthy *b, uint64_t t, bool lose)
{
	const struct q X = {.c = "192.0.2.11", .r = R2, .opt = EDNS_DO};
	const struct hdom *d = &b->d[hb_pick(b)];
	if (d->nmx == 0)
		d = &b->d[0];
	struct rsp a = mx_rsp(b, d);
	t = hb_ask(b, t, X, fmt("%s IN MX", d->name), &a, 3600, false, NULL) + jit(&b->g, US(150), US(600));
	for (int k = 0; k < d->nmx; k++) {
		const struct hhost *h = &b->h[d->mx[k]];
		a = host_rsp(h, true);
		t = hb_ask(b, t, X, fmt("%s IN AAAA", h->name), &a, 300, lose && k == 0, NULL) + US(250);
		a = host_rsp(h, false);
		t = hb_ask(b, t, X, fmt("%s IN A", h->name), &a, 300, false, NULL) + US(250);
		if (h->tlsa) {
			a = (struct rsp){.an = LST1(fmt("_25._tcp.%s 300 IN TLSA 3 1 1 "
						      "8e5b3a4b7e4f1c2d3a6b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
						      h->name))};
			t = hb_ask(b, t, X, fmt("_25._tcp.%s IN TLSA", h->name), &a, 300, false, NULL) + US(250);
		}
	}
	smtp_syn(&b->g, t, X.c, b->h[d->mx[0]].v4, jit(&b->g, MS(20), MS(90)));
}

/* An application mailer on 2001:db8::12 using R6: res_query MX, then glibc
 * getaddrinfo: A and AAAA back to back on one socket (A first). */
static void hb_glibc(struct healthy *b, uint64_t t)
{
	struct q G = {.c = "2001:db8::12", .r = R6};
	const struct hdom *d = &b->d[hb_pick(b)];
	if (d->nmx == 0)
		d = &b->d[1];
	struct rsp a = mx_rsp(b, d);
	t = hb_ask(b, t, G, fmt("%s IN MX", d->name), &a, 3600, false, NULL) + US(300);
	const struct hhost *h = &b->h[d->mx[0]];
	G.port = eph(&b->g);
	char qa[96], q6[96];
	snprintf(qa, sizeof qa, "%s IN A", h->name);
	snprintf(q6, sizeof q6, "%s IN AAAA", h->name);
	uint64_t la = hlat(&b->g, &b->cache, R6, qa, t, 300), l6 = hlat(&b->g, &b->cache, R6, q6, t, 300);
	a = host_rsp(h, false);
	dx(&b->g, t, G, qa, la, &a);
	a = host_rsp(h, true);
	dx(&b->g, t + US(35), G, q6, l6 + US(35), &a);
	t += (la > l6 ? la : l6) + US(400);
	if (h->has6)
		smtp_syn(&b->g, t, G.c, h->v6, jit(&b->g, MS(20), MS(90)));
	else
		smtp_syn(&b->g, t, "192.0.2.13", h->v4, jit(&b->g, MS(20), MS(90)));
}

/* Inbound gateway (192.0.2.12 via R1): PTR of the client, the forward
 * A of that name, DNSBL (mostly not listed: NXDOMAIN), SPF and DMARC TXT.
 * Answers depend only on the client and the sender domain, so they are the
 * same every time. */
static void hb_inbound(struct healthy *b, uint64_t t)
{
	const struct q I = {.c = "192.0.2.12", .r = R1};
	unsigned cl = gen_rng_below(&b->g.rng, 120);
	char ip[32], ptr[96], bl[96], name[64];
	snprintf(ip, sizeof ip, "198.51.100.%u", 100 + cl);
	snprintf(ptr, sizeof ptr, "%s", rev4(ip, "in-addr.arpa."));
	snprintf(bl, sizeof bl, "%s", rev4(ip, "zen.spamhaus.org."));
	snprintf(name, sizeof name, "smtp%u.sender%u.example.", 100 + cl, cl % 23);
	struct rsp a;
	if (cl == 7 || cl == 77) {
		/* a lame reverse zone: SERVFAIL after the resolver gives up */
		uint64_t lat = jit(&b->g, MS(1100), MS(1400));
		dx(&b->g, t, I, fmt("%s IN PTR", ptr), lat, &(struct rsp){.rcode = 2});
		t += lat + US(300);
	} else if (cl % 7 == 3) {
		a = (struct rsp){.rcode = 3, .ns = LST1(soa("100.51.198.in-addr.arpa."))};
		t = hb_ask(b, t, I, fmt("%s IN PTR", ptr), &a, 300, false, NULL) + US(300);
	} else {
		a = (struct rsp){.an = LST1(fmt("%s 3600 IN PTR %s", ptr, name))};
		t = hb_ask(b, t, I, fmt("%s IN PTR", ptr), &a, 3600, false, NULL) + US(300);
		a = (struct rsp){.an = LST1(fmt("%s 3600 IN A %s", name, ip))};
		t = hb_ask(b, t, I, fmt("%s IN A", name), &a, 3600, false, NULL) + US(300);
	}
	if (cl % 13 == 5)
		a = (struct rsp){.an = LST1(fmt("%s 60 IN A 127.0.0.2", bl))};
	else
		a = (struct rsp){.rcode = 3, .ns = LST1("zen.spamhaus.org. 150 IN SOA need.to.know.only. "
						       "hostmaster.spamhaus.org. 2601010000 3600 600 432000 10")};
	t = hb_ask(b, t, I, fmt("%s IN A", bl), &a, 60, false, NULL) + US(300);
	unsigned sd = cl % 23;
	a = (struct rsp){.an = LST1(fmt("sender%u.example. 3600 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"", sd))};
	t = hb_ask(b, t, I, fmt("sender%u.example. IN TXT", sd), &a, 3600, false, NULL) + US(300);
	if (sd % 3 == 0)
		a = (struct rsp){.rcode = 3, .ns = LST1(soa(fmt("sender%u.example.", sd)))};
	else
		a = (struct rsp){.an = LST1(fmt("_dmarc.sender%u.example. 3600 IN TXT \"v=DMARC1; p=none\"", sd))};
	hb_ask(b, t, I, fmt("_dmarc.sender%u.example. IN TXT", sd), &a, 3600, false, NULL);
}

struct hjob {
	uint64_t t;
	int kind;
	unsigned n;
};

static int hjob_cmp(const void *a, const void *b)
{
	const struct hjob *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

/* Ten minutes of a healthy, busy mail site: two outbound MTAs, an
 * application mailer over IPv6, an inbound gateway; every lookup answered
 * (one lost query retransmitted), NODATA for AAAA of hosts without IPv6,
 * NXDOMAIN for unlisted DNSBL entries and some PTRs, two PTR SERVFAILs. */
int gen_sc_healthy_busy(const char *path)
{
	static struct healthy b;
	memset(&b, 0, sizeof b);
	pg_open(&b.g, path, 200);
	hb_setup(&b);
	enum { J_POSTFIX, J_EXIM, J_GLIBC, J_INBOUND };
	static const unsigned count[4] = {150, 80, 45, 130};
	static struct hjob jobs[405];
	unsigned nj = 0;
	for (int k = 0; k < 4; k++)
		for (unsigned i = 0; i < count[k]; i++) {
			jobs[nj] = (struct hjob){.t = SEC(1) + jit(&b.g, 0, SEC(588)), .kind = k, .n = nj};
			nj++;
		}
	qsort(jobs, nj, sizeof jobs[0], hjob_cmp);
	unsigned exim_seen = 0, pf_seen = 0;
	for (unsigned i = 0; i < nj; i++) {
		switch (jobs[i].kind) {
		case J_POSTFIX:
			hb_postfix(&b, jobs[i].t, ++pf_seen == 97);
			break;
		case J_EXIM:
			hb_exim(&b, jobs[i].t, ++exim_seen == 40);
			break;
		case J_GLIBC:
			hb_glibc(&b, jobs[i].t);
			break;
		default:
			hb_inbound(&b, jobs[i].t);
			break;
		}
	}
	return pg_close(&b.g);
}

/* ================================================================ P4 */

/* A normal delivery by the Postfix-like sender (MX, A, AAAA NODATA, SYN). */
static void later_delivery(struct pg *g, uint64_t t, const struct q *P, const char *dom, const char *host,
		       const char *ip)
{
	dx(g, t, *P, fmt("%s IN MX", dom), MS(21), &(struct rsp){.an = RR(fmt("%s 3600 IN MX 10 %s", dom, host))});
	t += MS(22);
	dx(g, t, *P, fmt("%s IN A", host), MS(18), &(struct rsp){.an = RR(fmt("%s 300 IN A %s", host, ip))});
	t += MS(19);
	dx(g, t, *P, fmt("%s IN AAAA", host), MS(17), &(struct rsp){.ns = RR(soa(dom))});
	smtp_syn(g, t + MS(18), P->c, ip, MS(37));
}

/* Domains without MX records (NODATA): the Postfix-like sender falls back on
 * the domain's own address (found for implicit.example, NODATA for A and AAAA
 * of noroute.example); the Exim-like sender (mx_domains-like) asks nothing
 * after the MX NODATA for skipped.example; the capture runs on to 250 s. */
int gen_sc_p4_mx_nodata(const char *path)
{
	struct pg g;
	pg_open(&g, path, 104);
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const struct q X = {.c = "192.0.2.11", .r = R1, .opt = EDNS_DO};
	uint64_t t;

	/* IMPLICIT_OK: MX NODATA, A answered, AAAA NODATA, SYN to the A */
	t = MS(100);
	dx(&g, t, P, "implicit.example. IN MX", MS(24), &(struct rsp){.ns = RR(soa("implicit.example."))});
	t += MS(25);
	dx(&g, t, P, "implicit.example. IN A", MS(19),
	   &(struct rsp){.an = RR("implicit.example. 300 IN A 203.0.113.90")});
	t += MS(20);
	dx(&g, t, P, "implicit.example. IN AAAA", MS(18), &(struct rsp){.ns = RR(soa("implicit.example."))});
	smtp_syn(&g, t + MS(19), P.c, "203.0.113.90", MS(36));

	/* NO_MAIL_ROUTE: MX, A and AAAA all NODATA */
	t = SEC(5);
	dx(&g, t, P, "noroute.example. IN MX", MS(23), &(struct rsp){.ns = RR(soa("noroute.example."))});
	t += MS(24);
	dx(&g, t, P, "noroute.example. IN A", MS(20), &(struct rsp){.ns = RR(soa("noroute.example."))});
	t += MS(21);
	dx(&g, t, P, "noroute.example. IN AAAA", MS(19), &(struct rsp){.ns = RR(soa("noroute.example."))});

	/* IMPLICIT_SKIPPED: MX NODATA and nothing more from this sender */
	t = SEC(10);
	dx(&g, t, X, "skipped.example. IN MX", MS(26), &(struct rsp){.ns = RR(soa("skipped.example."))});

	/* later traffic: the capture outlasts the chain window (120 s + 45 s) */
	later_delivery(&g, SEC(250), &P, "later.example.", "mx1.later.example.", "203.0.113.91");
	return pg_close(&g);
}

/* ================================================================ P19 */

/* A DANE-enabled Postfix-like sender (EDNS DO): MX, A, AAAA of mx.dane.test,
 * then TLSA _25._tcp.mx.dane.test SERVFAIL, retried once 5 s later (also
 * SERVFAIL); no SMTP (4.7.5 deferral). A second sender's TLSA lookup for a
 * domain without DANE gets NXDOMAIN: no DANE, delivery goes on. */
int gen_sc_p19_tlsa(const char *path)
{
	struct pg g;
	pg_open(&g, path, 119);
	const struct q P = {.c = "192.0.2.10", .r = R1, .opt = EDNS_DO};
	const struct q X = {.c = "192.0.2.11", .r = R1, .opt = EDNS_DO};
	const struct rsp sf = {.rcode = 2};
	uint64_t t;

	t = MS(100);
	dx(&g, t, P, "dane.test. IN MX", MS(27), &(struct rsp){.an = RR("dane.test. 3600 IN MX 10 mx.dane.test.")});
	t += MS(28);
	dx(&g, t, P, "mx.dane.test. IN A", MS(22), &(struct rsp){.an = RR("mx.dane.test. 3600 IN A 203.0.113.95")});
	t += MS(23);
	dx(&g, t, P, "mx.dane.test. IN AAAA", MS(21), &(struct rsp){.ns = RR(soa("dane.test."))});
	t += MS(22);
	dx(&g, t, P, "_25._tcp.mx.dane.test. IN TLSA", MS(1207), &sf);
	t += SEC(5);
	dx(&g, t, P, "_25._tcp.mx.dane.test. IN TLSA", MS(1193), &sf);

	/* no DANE: TLSA NXDOMAIN, then SMTP */
	t = SEC(20);
	dx(&g, t, X, "nodane.example. IN MX", MS(25),
	   &(struct rsp){.an = RR("nodane.example. 3600 IN MX 10 mx.nodane.example.")});
	t += MS(26);
	dx(&g, t, X, "mx.nodane.example. IN AAAA", MS(19), &(struct rsp){.ns = RR(soa("nodane.example."))});
	t += MS(20);
	dx(&g, t, X, "mx.nodane.example. IN A", MS(18),
	   &(struct rsp){.an = RR("mx.nodane.example. 3600 IN A 203.0.113.96")});
	t += MS(19);
	dx(&g, t, X, "_25._tcp.mx.nodane.example. IN TLSA", MS(20),
	   &(struct rsp){.rcode = 3, .ns = RR(soa("nodane.example."))});
	smtp_syn(&g, t + MS(21), X.c, "203.0.113.96", MS(38));
	return pg_close(&g);
}

/* ================================================================ P1 timeout */

/* The Exchange-like AAAA-first sender (192.0.2.20) in two queue runs 10
 * minutes apart: MX answered, then AAAA mx1.silent.example gets no response
 * at all (the zone's servers drop AAAA and the resolver gives no answer);
 * sent twice 5 s apart on new ports (glibc-like), never A. The Postfix-like
 * sender asks A for the same host at 700 s (answered), and delivers to
 * another domain at 800 s, past the second attempt's chain window. */
int gen_sc_p1_timeout(const char *path)
{
	struct pg g;
	pg_open(&g, path, 121);
	const struct q E = {.c = "192.0.2.20", .r = R1};
	const struct q P = {.c = "192.0.2.10", .r = R1};
	const char *mxq = "silent.example. IN MX";
	const struct rsp mx = {.an = RR("silent.example. 300 IN MX 10 mx1.silent.example.")};
	uint64_t t;

	for (int k = 0; k < 2; k++) {
		t = SEC(600) * (uint64_t)k + MS(300);
		dx(&g, t, E, mxq, MS(29) + US(k * 173), &mx);
		t += MS(31);
		dx(&g, t, E, "mx1.silent.example. IN AAAA", 0, NULL);
		dx(&g, t + SEC(5), E, "mx1.silent.example. IN AAAA", 0, NULL);
	}
	/* Postfix: MX, A (answered), SYN */
	t = SEC(700);
	dx(&g, t, P, mxq, MS(28), &mx);
	t += MS(29);
	dx(&g, t, P, "mx1.silent.example. IN A", MS(24),
	   &(struct rsp){.an = RR("mx1.silent.example. 300 IN A 203.0.113.97")});
	smtp_syn(&g, t + MS(25), P.c, "203.0.113.97", MS(39));
	/* the capture runs on past the second attempt's chain window */
	later_delivery(&g, SEC(800), &P, "later.example.", "mx1.later.example.", "203.0.113.91");
	return pg_close(&g);
}

/* ================================================================ P10 */

/* The Postfix-like sender lists R1 first and R2 second; R1 is down: three
 * deliveries 20 s apart, each query goes to R1, is not answered, and glibc
 * asks R2 5 s later (answered): 9 unanswered queries to R1 in 50 s. A second
 * sender asks a multi-homed resolver (198.51.100.55) whose answers come from
 * 198.51.100.56: the stub drops them, resends after 5 s, gives up. */
int gen_sc_p10_dead(const char *path)
{
	struct pg g;
	pg_open(&g, path, 110);
	const struct q P1 = {.c = "192.0.2.10", .r = R1};
	const struct q P2 = {.c = "192.0.2.10", .r = R2};
	const struct q M = {.c = "192.0.2.11", .r = "198.51.100.55"};
	uint64_t t;

	for (int k = 0; k < 3; k++) {
		char dom[48], host[64], ip[32];
		snprintf(dom, sizeof dom, "dest%d.example.", k + 1);
		snprintf(host, sizeof host, "mx.dest%d.example.", k + 1);
		snprintf(ip, sizeof ip, "203.0.113.%d", 100 + k);
		const char *qs[3] = {fmt("%s IN MX", dom), fmt("%s IN A", host), fmt("%s IN AAAA", host)};
		const struct rsp rs[3] = {
			{.an = RR(fmt("%s 3600 IN MX 10 %s", dom, host))},
			{.an = RR(fmt("%s 300 IN A %s", host, ip))},
			{.ns = RR(soa(dom))},
		};
		t = SEC(20) * (uint64_t)k + MS(100);
		for (int i = 0; i < 3; i++) {
			dx(&g, t, P1, qs[i], 0, NULL);
			t += SEC(5);
			dx(&g, t, P2, qs[i], MS(23) + US(i * 31), &rs[i]);
			t += MS(24) + US(i * 31);
		}
		smtp_syn(&g, t, P1.c, ip, MS(35));
	}

	/* RESPONSE_WRONG_SOURCE: the answer to each copy comes from .56 */
	t = SEC(70);
	for (int i = 0; i < 2; i++) {
		struct q q = dx(&g, t, M, "wrongsrc.example. IN MX", 0, NULL);
		size_t n = build_resp(&q, "wrongsrc.example. IN MX",
				      &(struct rsp){.an = RR("wrongsrc.example. 3600 IN MX 10 mx.wrongsrc.example.")});
		struct gen_ep c = gen_ep(q.c, q.port), s = gen_ep("198.51.100.56", 53);
		put_udp(&g, t + MS(19), &s, &c, msg, n);
		t += SEC(5);
	}
	/* later traffic (an SPF lookup): the capture outlasts the answer timeout */
	dx(&g, SEC(90), P2, "dest1.example. IN TXT", MS(21),
	   &(struct rsp){.an = RR("dest1.example. 3600 IN TXT \"v=spf1 mx -all\"")});
	return pg_close(&g);
}

/* ================================================================ P11 */

/* The Postfix-like sender's resolver list names an authoritative-only server
 * (R2): its RD=1 MX query is answered NOERROR, RA=0, AA=0, no answer, a
 * referral to partner.example's servers in the authority section. */
int gen_sc_p11_referral(const char *path)
{
	struct pg g;
	pg_open(&g, path, 111);
	const struct q P = {.c = "192.0.2.10", .r = R2};
	const struct rsp ref = {
		.no_ra = true,
		.ns = RR("partner.example. 172800 IN NS ns1.partner.example.",
			 "partner.example. 172800 IN NS ns2.partner.example."),
		.ar = RR("ns1.partner.example. 172800 IN A 203.0.113.201",
			 "ns2.partner.example. 172800 IN A 203.0.113.202"),
	};
	dx(&g, MS(100), P, "partner.example. IN MX", MS(2), &ref);
	/* the next queue run asks again (within the retransmission gap: one lookup) */
	dx(&g, SEC(30), P, "partner.example. IN MX", MS(2), &ref);
	return pg_close(&g);
}

/* ================================================================ P6 partial */

/* Two exchanges: mx1 has an address, mx2 does not exist (NXDOMAIN for A and
 * AAAA); Postfix delivers to mx1. */
int gen_sc_p6_partial(const char *path)
{
	struct pg g;
	pg_open(&g, path, 106);
	const struct q P = {.c = "192.0.2.10", .r = R1};
	uint64_t t = MS(100);

	dx(&g, t, P, "halfway.example. IN MX", MS(25),
	   &(struct rsp){.an = RR("halfway.example. 3600 IN MX 10 mx1.halfway.example.",
				  "halfway.example. 3600 IN MX 20 mx2.halfway.example.")});
	t += MS(26);
	dx(&g, t, P, "mx1.halfway.example. IN A", MS(21),
	   &(struct rsp){.an = RR("mx1.halfway.example. 3600 IN A 203.0.113.98")});
	t += MS(22);
	dx(&g, t, P, "mx1.halfway.example. IN AAAA", MS(19), &(struct rsp){.ns = RR(soa("halfway.example."))});
	t += MS(20);
	dx(&g, t, P, "mx2.halfway.example. IN A", MS(20), &(struct rsp){.rcode = 3, .ns = RR(soa("halfway.example."))});
	t += MS(21);
	dx(&g, t, P, "mx2.halfway.example. IN AAAA", MS(1), &(struct rsp){.rcode = 3, .ns = RR(soa("halfway.example."))});
	smtp_syn(&g, t + MS(2), P.c, "203.0.113.98", MS(36));
	return pg_close(&g);
}

/* ================================================================ P12 healthy */

/* A healthy mail server resolving through 9.9.9.9: twelve deliveries 20 s
 * apart, every query answered in 9-40 ms. */
int gen_sc_p12_public_in_use(const char *path)
{
	struct pg g;
	pg_open(&g, path, 212);
	const struct q S = {.c = "192.0.2.10", .r = "9.9.9.9"};
	for (int i = 0; i < 12; i++) {
		uint64_t t = SEC(20) * (uint64_t)i + jit(&g, 0, MS(3000)), l;
		char dom[48], host[64], ip[32];
		snprintf(dom, sizeof dom, "dest%02d.example.", i);
		snprintf(host, sizeof host, "mx.dest%02d.example.", i);
		snprintf(ip, sizeof ip, "203.0.113.%d", 110 + i);
		l = jit(&g, MS(9), MS(40));
		dx(&g, t, S, fmt("%s IN MX", dom), l, &(struct rsp){.an = RR(fmt("%s 3600 IN MX 10 %s", dom, host))});
		t += l + US(300);
		l = jit(&g, MS(9), MS(40));
		dx(&g, t, S, fmt("%s IN A", host), l, &(struct rsp){.an = RR(fmt("%s 300 IN A %s", host, ip))});
		t += l + US(300);
		l = jit(&g, MS(9), MS(40));
		dx(&g, t, S, fmt("%s IN AAAA", host), l, &(struct rsp){.ns = RR(soa(dom))});
		t += l + US(300);
		smtp_syn(&g, t, S.c, ip, jit(&g, MS(20), MS(60)));
	}
	return pg_close(&g);
}
