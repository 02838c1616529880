/* gen_bench.c - `mxsniff-gen bench N out.pcap`: a realistic mail-server DNS
 * capture of exactly N Ethernet frames for the benchmark (test tool).
 *
 * Does: simulate 50 senders (40 IPv4, 10 IPv6) and 4 resolvers, ~2,500
 * packets per second of capture time. 85% of the attempts are deliveries: an
 * MX lookup for a domain (Zipf-like over 20,000 names, 20% from a stream of
 * never-repeated names), then A/AAAA lookups of up to two exchanges in the
 * sender's style (Postfix-like A then AAAA; Exim-like AAAA then A with
 * EDNS+DO; glibc getaddrinfo A+AAAA back to back on one port), then for a
 * third of them a TCP SYN to port 25. 15% are inbound-mail checks (PTR, a
 * DNSBL A query, SPF TXT). Resolvers answer with cache-like latencies; some
 * queries are lost (resent after 5 s, sometimes never answered), some domains
 * are NXDOMAIN/NODATA/SERVFAIL, 2% of exchanges fail AAAA with SERVFAIL, one
 * resolver REFUSES two senders (they fail over), and 1% of MX/TXT answers are
 * TC=1 and retried over TCP.
 *
 * Streaming, bounded memory: an attempt's packets are scheduled into a
 * time-ordered heap as compact descriptors and rendered only when written
 * (the heap peaks at ~1,500 entries). Every 997th DNS message is re-parsed
 * with ldns_wire2pkt as a self-check. Output is a function of (N, seed) only.
 * Does not: send anything; use a clock.
 */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#define NSENDERS 50
#define NRES 4
#define NDOMAINS 20000
#define NPROVIDERS 20

/* name kinds */
enum { NK_DOM, NK_HOST_OWN, NK_HOST_PROV, NK_PTR, NK_DNSBL };
/* event kinds */
enum { EV_UQ, EV_UR, EV_TSYN, EV_TSYNACK, EV_TACK, EV_TQ, EV_TR, EV_TFIN_C, EV_TFIN_S, EV_TLAST,
	EV_SMTP_SYN, EV_SMTP_SYNACK };
/* response kinds */
enum { RK_ANSWER, RK_NODATA, RK_NXDOMAIN, RK_SERVFAIL, RK_REFUSED, RK_TC };

#define DOM_UNIQ 0x80000000u

struct name {
	uint32_t a;   /* domain (DOM_UNIQ flag) / provider / address */
	uint8_t kind;
	uint8_t b;    /* exchange number */
};

struct ev {
	uint64_t t;   /* ns from T0 */
	uint32_t seq; /* tie break: order of scheduling */
	struct name nm;
	uint16_t qtype, id, sport;
	uint8_t kind, sender, res, rk;
	uint8_t edns; /* 0 none, 1 EDNS, 2 EDNS+DO */
};

struct heap {
	struct ev *v;
	size_t n, cap, peak;
};

struct bench {
	struct gen_out o;
	struct gen_rng rng;
	struct heap h;
	uint32_t seq;
	uint32_t uniq;     /* next unique-domain number */
	uint64_t scheduled, written, target;
	uint16_t ipid;
	uint64_t checked;
	struct gen_ep snd[NSENDERS], res[NRES];
};

/* ---------------------------------------------------------------- heap */

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(struct heap *h, const struct ev *e)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 4096;
		if (nc > (1u << 22))
			gen_die("bench: event heap over 4M entries");
		struct ev *nv = realloc(h->v, nc * sizeof *nv);
		if (!nv)
			gen_die("bench: out of memory");
		h->v = nv;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_less(e, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = *e;
	if (h->n > h->peak)
		h->peak = h->n;
}

static struct ev heap_pop(struct heap *h)
{
	struct ev top = h->v[0];
	struct ev last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && ev_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!ev_less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* ---------------------------------------------------------------- properties */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct dom_props {
	int mx_rk;       /* RK_ANSWER / RK_NODATA / RK_NXDOMAIN / RK_SERVFAIL */
	int nmx;         /* 1..3 */
	bool provider;   /* exchanges at a shared provider */
	uint32_t prov;
};

static void dom_props(uint32_t dom, struct dom_props *p)
{
	uint64_t h = mix(dom ^ 0xd0d0);
	unsigned r = (unsigned)(h % 1000);
	bool uniq = (dom & DOM_UNIQ) != 0;
	if (uniq ? r < 250 : r < 30)
		p->mx_rk = RK_NXDOMAIN;        /* typos and dead domains */
	else if (r < (uniq ? 270u : 50u))
		p->mx_rk = RK_NODATA;          /* implicit MX */
	else if (r < (uniq ? 290u : 60u))
		p->mx_rk = RK_SERVFAIL;        /* broken authoritative */
	else
		p->mx_rk = RK_ANSWER;
	p->nmx = 1 + (int)((h >> 16) % 3);
	p->provider = ((h >> 24) % 10) < 4;
	p->prov = (uint32_t)((h >> 32) % NPROVIDERS);
}

/* Exchange k of a domain as a name. */
static struct name mx_host(uint32_t dom, int k)
{
	struct dom_props p;
	dom_props(dom, &p);
	struct name n = {.a = p.provider ? p.prov : dom, .kind = p.provider ? NK_HOST_PROV : NK_HOST_OWN,
		.b = (uint8_t)(k + 1)};
	return n;
}

static uint64_t name_hash(const struct name *n)
{
	return mix(((uint64_t)n->kind << 56) ^ ((uint64_t)n->b << 40) ^ n->a);
}

/* What a host has: A always, AAAA for 40%, AAAA SERVFAIL for 2%. */
static int host_rk(const struct name *n, uint16_t qtype)
{
	unsigned r = (unsigned)(name_hash(n) % 1000);
	if (qtype == 1)
		return RK_ANSWER;
	if (r < 20)
		return RK_SERVFAIL;
	return r < 420 ? RK_ANSWER : RK_NODATA;
}

static int name_len(const struct name *n, char *buf, size_t cap)
{
	uint32_t d = n->a & ~DOM_UNIQ;
	bool uniq = (n->a & DOM_UNIQ) != 0;
	static const char *const tld[3] = {"com", "net", "org"};
	switch (n->kind) {
	case NK_DOM:
		if (uniq)
			return snprintf(buf, cap, "n%u-%04x.example.org", d, (unsigned)(mix(d) & 0xffff));
		return snprintf(buf, cap, "d%u.example.%s", d, tld[d % 3]);
	case NK_HOST_OWN:
		if (uniq)
			return snprintf(buf, cap, "mx%u.n%u-%04x.example.org", n->b, d, (unsigned)(mix(d) & 0xffff));
		return snprintf(buf, cap, "mx%u.d%u.example.%s", n->b, d, tld[d % 3]);
	case NK_HOST_PROV:
		return snprintf(buf, cap, "mx%u.mailhost%u.example.net", n->b, d);
	case NK_PTR:
		return snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa", n->a & 0xff, (n->a >> 8) & 0xff,
				(n->a >> 16) & 0xff, n->a >> 24);
	default: /* NK_DNSBL */
		return snprintf(buf, cap, "%u.%u.%u.%u.dnsbl.example.net", n->a & 0xff, (n->a >> 8) & 0xff,
				(n->a >> 16) & 0xff, n->a >> 24);
	}
}

/* ---------------------------------------------------------------- rendering */

static void soa(struct gen_wbuf *w, const char *zone)
{
	gen_wname(w, zone);
	gen_w16(w, 6);
	gen_w16(w, 1);
	gen_w32(w, 900);
	size_t lpos = w->n;
	gen_w16(w, 0);
	size_t start = w->n;
	char b[128];
	snprintf(b, sizeof b, "ns1.%s", zone);
	gen_wname(w, b);
	snprintf(b, sizeof b, "hostmaster.%s", zone);
	gen_wname(w, b);
	gen_w32(w, 2026010101);
	gen_w32(w, 7200);
	gen_w32(w, 3600);
	gen_w32(w, 1209600);
	gen_w32(w, 300);
	size_t l = w->n - start;
	w->b[lpos] = (uint8_t)(l >> 8);
	w->b[lpos + 1] = (uint8_t)l;
}

static const char *zone_of(const char *name)
{
	/* last two labels: example.com / example.net / in-addr.arpa */
	const char *p = name + strlen(name);
	int dots = 0;
	while (p > name) {
		p--;
		if (*p == '.' && ++dots == 2)
			return p + 1;
	}
	return name;
}

static void opt_rr(struct gen_wbuf *w, uint8_t edns)
{
	gen_w8(w, 0);
	gen_w16(w, 41);
	gen_w16(w, 1232);
	gen_w32(w, edns == 2 ? 0x8000 : 0);
	gen_w16(w, 0);
}

static size_t render_query(uint8_t *b, size_t cap, const struct ev *e)
{
	char nm[128];
	struct gen_wbuf w = {.b = b, .cap = cap};
	name_len(&e->nm, nm, sizeof nm);
	gen_w16(&w, e->id);
	gen_w16(&w, 0x0100); /* RD */
	gen_w16(&w, 1);
	gen_w16(&w, 0);
	gen_w16(&w, 0);
	gen_w16(&w, e->edns ? 1 : 0);
	gen_wname(&w, nm);
	gen_w16(&w, e->qtype);
	gen_w16(&w, 1);
	if (e->edns)
		opt_rr(&w, e->edns);
	return w.n;
}

static size_t render_resp(uint8_t *b, size_t cap, const struct ev *e, bool over_tcp)
{
	char nm[128], x[128];
	struct gen_wbuf w = {.b = b, .cap = cap};
	int rk = e->rk;
	if (over_tcp && rk == RK_TC)
		rk = RK_ANSWER;
	uint16_t rcode = rk == RK_NXDOMAIN ? 3 : rk == RK_SERVFAIL ? 2 : rk == RK_REFUSED ? 5 : 0;
	uint16_t flags = (uint16_t)(0x8000 | 0x0100 | (rk == RK_REFUSED ? 0 : 0x0080) | rcode |
				    (rk == RK_TC ? 0x0200 : 0));
	name_len(&e->nm, nm, sizeof nm);
	uint64_t h = name_hash(&e->nm);
	uint16_t an = 0, ns = 0;
	if (rk == RK_ANSWER) {
		if (e->qtype == 15) {
			struct dom_props p;
			dom_props(e->nm.a, &p);
			an = (uint16_t)p.nmx;
		} else if (e->qtype == 1) {
			an = (uint16_t)(1 + h % 2);
		} else {
			an = 1;
		}
	} else if (rk == RK_NODATA || rk == RK_NXDOMAIN) {
		ns = 1;
	}
	gen_w16(&w, e->id);
	gen_w16(&w, flags);
	gen_w16(&w, 1);
	gen_w16(&w, an);
	gen_w16(&w, ns);
	gen_w16(&w, e->edns ? 1 : 0);
	gen_wname(&w, nm);
	gen_w16(&w, e->qtype);
	gen_w16(&w, 1);
	for (uint16_t i = 0; i < an; i++) {
		gen_w16(&w, 0xc00c);
		gen_w16(&w, e->qtype);
		gen_w16(&w, 1);
		size_t lpos;
		switch (e->qtype) {
		case 15: {
			gen_w32(&w, 3600);
			struct name hn = mx_host(e->nm.a, i);
			name_len(&hn, x, sizeof x);
			lpos = w.n;
			gen_w16(&w, 0);
			gen_w16(&w, (uint16_t)(10 * (i + 1)));
			gen_wname(&w, x);
			break;
		}
		case 1:
			gen_w32(&w, 300);
			lpos = w.n;
			gen_w16(&w, 0);
			gen_w8(&w, 203);
			gen_w8(&w, 0);
			gen_w8(&w, 113);
			gen_w8(&w, (uint8_t)(1 + (h >> (8 * i)) % 254));
			break;
		case 28: {
			gen_w32(&w, 300);
			lpos = w.n;
			gen_w16(&w, 0);
			uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x25};
			for (int k = 8; k < 16; k++)
				a6[k] = (uint8_t)(h >> (8 * (k - 8)));
			gen_wbytes(&w, a6, 16);
			break;
		}
		case 12:
			gen_w32(&w, 3600);
			lpos = w.n;
			gen_w16(&w, 0);
			snprintf(x, sizeof x, "mail%u.example.net", (unsigned)(h % 5000));
			gen_wname(&w, x);
			break;
		default: { /* 16 TXT */
			static const char spf[] = "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:25::/48 -all";
			gen_w32(&w, 3600);
			lpos = w.n;
			gen_w16(&w, 0);
			gen_w8(&w, (uint8_t)(sizeof spf - 1));
			gen_wbytes(&w, spf, sizeof spf - 1);
			break;
		}
		}
		size_t l = w.n - lpos - 2;
		w.b[lpos] = (uint8_t)(l >> 8);
		w.b[lpos + 1] = (uint8_t)l;
	}
	if (ns) /* NODATA for a domain: its own SOA; otherwise the parent zone's */
		soa(&w, e->nm.kind == NK_DOM && rk == RK_NODATA ? nm : zone_of(nm));
	if (e->edns)
		opt_rr(&w, e->edns == 2 ? 2 : 1);
	return w.n;
}

static void self_check(struct bench *B, const uint8_t *m, size_t n)
{
	if (++B->checked % 997)
		return;
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, m, n) != LDNS_STATUS_OK)
		gen_die("bench: ldns rejects a generated message (%zu bytes)", n);
	ldns_pkt_free(p);
}

/* ---------------------------------------------------------------- emission */

static uint8_t ipb[4096], frb[4200], msgb[2048], tcpb[2100];

static void put_ip(struct bench *B, uint64_t t, const struct gen_ep *s, size_t iplen)
{
	struct gen_link l = {.dlt = DLT_EN10MB};
	size_t fl = gen_link_wrap(&l, frb, s->fam, gen_ep_local(s), ipb, iplen);
	gen_out_frame(&B->o, GEN_T0_NS + t, frb, (uint32_t)fl);
	B->written++;
}

static uint32_t isn(const struct ev *e, bool server)
{
	return (uint32_t)mix(((uint64_t)e->sport << 16 | e->id) ^ (server ? 0x5e55 : 0xc11e));
}

static void emit(struct bench *B, const struct ev *e)
{
	struct gen_ep c = B->snd[e->sender], s = B->res[e->res];
	c.port = e->sport;
	s.port = 53;
	size_t n, qn, rn;
	uint32_t ci = isn(e, false), si = isn(e, true);
	const uint8_t A = GEN_TH_ACK, PA = GEN_TH_ACK | GEN_TH_PSH;
	switch (e->kind) {
	case EV_UQ:
		n = render_query(msgb, sizeof msgb, e);
		self_check(B, msgb, n);
		put_ip(B, e->t, &c, gen_udp_packet(ipb, &c, &s, msgb, n, B->ipid++));
		return;
	case EV_UR:
		n = render_resp(msgb, sizeof msgb, e, false);
		self_check(B, msgb, n);
		put_ip(B, e->t, &s, gen_udp_packet(ipb, &s, &c, msgb, n, B->ipid++));
		return;
	case EV_SMTP_SYN:
	case EV_SMTP_SYNACK: {
		struct gen_ep m = {.fam = c.fam, .port = 25};
		uint64_t h = name_hash(&e->nm);
		if (c.fam == 4) {
			m.a[0] = 203, m.a[2] = 113, m.a[3] = (uint8_t)(1 + h % 254);
		} else {
			static const uint8_t p6[6] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x25};
			memcpy(m.a, p6, 6);
			for (int k = 8; k < 16; k++)
				m.a[k] = (uint8_t)(h >> (8 * (k - 8)));
		}
		if (e->kind == EV_SMTP_SYN)
			put_ip(B, e->t, &c, gen_tcp_packet(ipb, &c, &m, ci, 0, GEN_TH_SYN, NULL, 0, B->ipid++));
		else
			put_ip(B, e->t, &m, gen_tcp_packet(ipb, &m, &c, si, ci + 1, GEN_TH_SYN | A, NULL, 0,
							 B->ipid++));
		return;
	}
	default:
		break;
	}
	/* DNS over TCP: lengths of both messages fix the sequence numbers */
	qn = render_query(tcpb + 2, sizeof tcpb - 2, e);
	rn = render_resp(msgb + 2, sizeof msgb - 2, e, true);
	switch (e->kind) {
	case EV_TSYN:
		n = gen_tcp_packet(ipb, &c, &s, ci, 0, GEN_TH_SYN, NULL, 0, B->ipid++);
		put_ip(B, e->t, &c, n);
		break;
	case EV_TSYNACK:
		put_ip(B, e->t, &s, gen_tcp_packet(ipb, &s, &c, si, ci + 1, GEN_TH_SYN | A, NULL, 0, B->ipid++));
		break;
	case EV_TACK:
		put_ip(B, e->t, &c, gen_tcp_packet(ipb, &c, &s, ci + 1, si + 1, A, NULL, 0, B->ipid++));
		break;
	case EV_TQ:
		tcpb[0] = (uint8_t)(qn >> 8);
		tcpb[1] = (uint8_t)qn;
		self_check(B, tcpb + 2, qn);
		put_ip(B, e->t, &c, gen_tcp_packet(ipb, &c, &s, ci + 1, si + 1, PA, tcpb, qn + 2, B->ipid++));
		break;
	case EV_TR:
		msgb[0] = (uint8_t)(rn >> 8);
		msgb[1] = (uint8_t)rn;
		self_check(B, msgb + 2, rn);
		put_ip(B, e->t, &s, gen_tcp_packet(ipb, &s, &c, si + 1, ci + 1 + (uint32_t)qn + 2, PA, msgb,
						 rn + 2, B->ipid++));
		break;
	case EV_TFIN_C:
		put_ip(B, e->t, &c, gen_tcp_packet(ipb, &c, &s, ci + 3 + (uint32_t)qn, si + 3 + (uint32_t)rn,
						 GEN_TH_FIN | A, NULL, 0, B->ipid++));
		break;
	case EV_TFIN_S:
		put_ip(B, e->t, &s, gen_tcp_packet(ipb, &s, &c, si + 3 + (uint32_t)rn, ci + 4 + (uint32_t)qn,
						 GEN_TH_FIN | A, NULL, 0, B->ipid++));
		break;
	default: /* EV_TLAST */
		put_ip(B, e->t, &c, gen_tcp_packet(ipb, &c, &s, ci + 4 + (uint32_t)qn, si + 4 + (uint32_t)rn,
						 A, NULL, 0, B->ipid++));
		break;
	}
}

/* ---------------------------------------------------------------- simulation */

static void sched(struct bench *B, struct ev e, uint8_t kind, uint64_t t)
{
	e.kind = kind;
	e.t = t;
	e.seq = B->seq++;
	heap_push(&B->h, &e);
	B->scheduled++;
}

static uint64_t latency(struct bench *B, const struct name *n)
{
	double u = gen_rng_unit(&B->rng);
	bool popular = n->kind == NK_HOST_PROV || (n->kind == NK_DOM && !(n->a & DOM_UNIQ) && n->a < 1000) ||
		       n->kind == NK_DNSBL;
	double pc = popular ? 0.9 : 0.35;
	if (u < pc)
		return GEN_US(80 + gen_rng_below(&B->rng, 900));        /* cache hit */
	if (u > 0.995)
		return GEN_MS(800 + gen_rng_below(&B->rng, 2500));      /* slow authoritative */
	return GEN_MS(4) + GEN_US(gen_rng_below(&B->rng, 150000)); /* recursion */
}

static bool refuses(int sender, int res)
{
	return res == 2 && (sender == 32 || sender == 35);
}

/* One lookup from sender s at time t; schedules its packets and returns the
 * time the sender has a result, with *rk_out the final response kind (-1 =
 * gave up after timeouts). sport: 0 = random per try. */
static uint64_t lookup(struct bench *B, int s, uint64_t t, struct name nm, uint16_t qtype,
		       int rk_truth, uint16_t sport, int *rk_out)
{
	int style = s % 3;
	int primary = s < 40 ? s % 3 : 3, secondary = s < 40 ? (s + 1) % 3 : 3;
	struct ev e;
	memset(&e, 0, sizeof e);
	e.nm = nm;
	e.qtype = qtype;
	e.sender = (uint8_t)s;
	e.edns = style == 1 ? 2 : 0;
	e.id = (uint16_t)gen_rng_next(&B->rng);
	e.sport = sport ? sport : (uint16_t)(1024 + gen_rng_below(&B->rng, 64511));
	for (int tr = 0; tr < 4; tr++) {
		e.res = (uint8_t)((tr % 2) ? secondary : primary);
		sched(B, e, EV_UQ, t);
		if (refuses(s, e.res)) {
			e.rk = RK_REFUSED;
			uint64_t l = GEN_US(150 + gen_rng_below(&B->rng, 200));
			sched(B, e, EV_UR, t + l);
			t += l + GEN_US(20);
			if (style == 1)
				e.id = (uint16_t)gen_rng_next(&B->rng);
			continue;
		}
		if (gen_rng_below(&B->rng, 1000) < (tr ? 250u : 6u)) {
			/* lost: the stub waits 5 s and sends again (same buffer for
			 * glibc-based styles, a new ID for the Exim-like one) */
			t += GEN_S(5);
			if (style == 1)
				e.id = (uint16_t)gen_rng_next(&B->rng);
			continue;
		}
		uint64_t l = latency(B, &nm);
		e.rk = (uint8_t)rk_truth;
		if (rk_truth == RK_ANSWER && (qtype == 15 || qtype == 16) && gen_rng_below(&B->rng, 100) == 0) {
			/* TC=1, then the same question over TCP to the same server */
			e.rk = RK_TC;
			sched(B, e, EV_UR, t + l);
			uint64_t u = t + l + GEN_US(50), rtt = GEN_US(200 + gen_rng_below(&B->rng, 800));
			struct ev te = e;
			te.sport = (uint16_t)(1024 + gen_rng_below(&B->rng, 64511));
			sched(B, te, EV_TSYN, u);
			sched(B, te, EV_TSYNACK, u + rtt);
			sched(B, te, EV_TACK, u + rtt + GEN_US(10));
			sched(B, te, EV_TQ, u + rtt + GEN_US(20));
			sched(B, te, EV_TR, u + 2 * rtt + GEN_US(100));
			sched(B, te, EV_TFIN_C, u + 2 * rtt + GEN_US(200));
			sched(B, te, EV_TFIN_S, u + 3 * rtt + GEN_US(200));
			sched(B, te, EV_TLAST, u + 4 * rtt + GEN_US(200));
			*rk_out = rk_truth;
			return u + 2 * rtt + GEN_US(150);
		}
		sched(B, e, EV_UR, t + l);
		*rk_out = rk_truth;
		return t + l + GEN_US(30);
	}
	*rk_out = -1;
	return t;
}

static uint64_t resolve_host(struct bench *B, int s, uint64_t t, struct name h, bool *have_addr)
{
	int style = s % 3, rk4, rk6;
	uint64_t t4, t6;
	if (style == 2) { /* getaddrinfo: A then AAAA back to back, one port */
		uint16_t port = (uint16_t)(1024 + gen_rng_below(&B->rng, 64511));
		t4 = lookup(B, s, t, h, 1, host_rk(&h, 1), port, &rk4);
		t6 = lookup(B, s, t + GEN_US(15), h, 28, host_rk(&h, 28), port, &rk6);
		*have_addr = rk4 == RK_ANSWER || rk6 == RK_ANSWER;
		return t4 > t6 ? t4 : t6;
	}
	if (style == 0) { /* A then AAAA */
		t = lookup(B, s, t, h, 1, host_rk(&h, 1), 0, &rk4);
		t = lookup(B, s, t, h, 28, host_rk(&h, 28), 0, &rk6);
	} else {          /* AAAA then A */
		t = lookup(B, s, t, h, 28, host_rk(&h, 28), 0, &rk6);
		t = lookup(B, s, t, h, 1, host_rk(&h, 1), 0, &rk4);
	}
	*have_addr = rk4 == RK_ANSWER || rk6 == RK_ANSWER;
	return t;
}

static void smtp_syn(struct bench *B, int s, uint64_t t, struct name h)
{
	/* MTAs reuse connections (Postfix's connection cache): a SYN for about
	 * a third of the deliveries */
	if (gen_rng_below(&B->rng, 100) >= 35)
		return;
	struct ev e;
	memset(&e, 0, sizeof e);
	e.nm = h;
	e.sender = (uint8_t)s;
	e.sport = (uint16_t)(1024 + gen_rng_below(&B->rng, 64511));
	e.id = (uint16_t)gen_rng_next(&B->rng);
	sched(B, e, EV_SMTP_SYN, t);
	sched(B, e, EV_SMTP_SYNACK, t + GEN_MS(20) + GEN_US(gen_rng_below(&B->rng, 80000)));
}

static uint32_t pick_domain(struct bench *B)
{
	if (gen_rng_below(&B->rng, 100) < 20)
		return DOM_UNIQ | B->uniq++;
	/* Zipf (s = 1): rank log-uniform over [1, NDOMAINS] */
	double u = gen_rng_unit(&B->rng);
	uint32_t r = (uint32_t)(exp(u * log((double)NDOMAINS + 1.0)) - 1.0);
	return r < NDOMAINS ? r : NDOMAINS - 1;
}

/* Outbound delivery: MX, exchanges' addresses, SYN to port 25. */
static void delivery(struct bench *B, int s, uint64_t t)
{
	uint32_t dom = pick_domain(B);
	struct dom_props p;
	dom_props(dom, &p);
	struct name d = {.a = dom, .kind = NK_DOM};
	int rk;
	t = lookup(B, s, t, d, 15, p.mx_rk, 0, &rk);
	if (rk == RK_ANSWER) {
		for (int k = 0; k < p.nmx && k < 2; k++) {
			struct name h = mx_host(dom, k);
			bool ok;
			t = resolve_host(B, s, t + GEN_US(40), h, &ok);
			if (ok) {
				smtp_syn(B, s, t + GEN_US(100), h);
				break;
			}
		}
	} else if (rk == RK_NODATA) {
		bool ok;
		t = resolve_host(B, s, t + GEN_US(40), d, &ok);
		if (ok)
			smtp_syn(B, s, t + GEN_US(100), d);
	}
}

/* Inbound checks: PTR of the client, a DNSBL, SPF TXT of the envelope domain. */
static void inbound(struct bench *B, int s, uint64_t t)
{
	static const uint32_t nets[3] = {0xc0000200u, 0xc6336400u, 0xcb007100u};
	uint32_t ip = nets[gen_rng_below(&B->rng, 3)] | gen_rng_below(&B->rng, 256);
	int rk;
	struct name ptr = {.a = ip, .kind = NK_PTR};
	t = lookup(B, s, t, ptr, 12, (mix(ip) % 10) < 7 ? RK_ANSWER : RK_NXDOMAIN, 0, &rk);
	struct name bl = {.a = ip, .kind = NK_DNSBL};
	t = lookup(B, s, t + GEN_US(30), bl, 1, (mix(ip ^ 0xb1) % 100) < 5 ? RK_ANSWER : RK_NXDOMAIN, 0, &rk);
	uint32_t dom = pick_domain(B);
	struct dom_props p;
	dom_props(dom, &p);
	struct name d = {.a = dom, .kind = NK_DOM};
	lookup(B, s, t + GEN_US(30), d, 16, p.mx_rk == RK_ANSWER ? RK_ANSWER : p.mx_rk, 0, &rk);
}

int gen_bench(const char *path, uint64_t npackets, uint64_t seed)
{
	static struct bench B;
	memset(&B, 0, sizeof B);
	gen_rng_seed(&B.rng, seed);
	B.target = npackets;
	for (int i = 0; i < NSENDERS; i++) {
		char a[64];
		if (i < 40)
			snprintf(a, sizeof a, "192.0.2.%d", 20 + i);
		else
			snprintf(a, sizeof a, "2001:db8::%x", 0x20 + i);
		B.snd[i] = gen_ep(a, 0);
	}
	B.res[0] = gen_ep("198.51.100.1", 53);
	B.res[1] = gen_ep("198.51.100.2", 53);
	B.res[2] = gen_ep("198.51.100.3", 53);
	B.res[3] = gen_ep("2001:db8:53::1", 53);
	gen_out_open(&B.o, path, DLT_EN10MB, 262144, false, false);

	uint64_t next = 0; /* start of the next attempt, ns from T0 */
	while (B.written < B.target) {
		bool more = B.scheduled < B.target;
		if (B.h.n && (!more || B.h.v[0].t < next)) {
			struct ev e = heap_pop(&B.h);
			emit(&B, &e);
			continue;
		}
		if (!more)
			break;
		int s = (int)gen_rng_below(&B.rng, NSENDERS);
		if (gen_rng_below(&B.rng, 100) < 15)
			inbound(&B, s, next);
		else
			delivery(&B, s, next);
		/* ~330 attempts per second, exponential gaps */
		double u = gen_rng_unit(&B.rng);
		next += (uint64_t)(-log(1.0 - u) * 3.0e6);
	}
	gen_out_close(&B.o);
	fprintf(stderr, "%s: %llu frames, %.1f s of traffic, %u unique domains, heap peak %zu\n", path,
		(unsigned long long)B.written, (double)next / 1e9, B.uniq, B.h.peak);
	free(B.h.v);
	return 0;
}
