/* client_rdns.c - CLIENT_RDNS (P24, mxsniff's own pattern): the inbound
 * side. A client connects to port 25 and the mail server's reverse lookup
 * of the client's address fails.
 *
 * An SMTP server looks the connecting client up as it accepts the
 * connection: PTR of the reversed address (in-addr.arpa, ip6.arpa), then the
 * name's A/AAAA (forward-confirmed reverse DNS). Postfix with
 * reject_unknown_client_hostname or reject_unknown_reverse_client_hostname
 * answers a failed lookup with "450 4.7.25 Client host rejected: cannot find
 * your hostname" (or "... your reverse hostname"): temporary, so the
 * sending side queues the mail and retries, and mail from that client is
 * not delivered while the reverse lookups fail. Without those restrictions
 * the client is only logged as unknown[ADDR]; Exim's host_lookup_failed
 * ACL condition and Sendmail's "may be forged" are the other MTAs' forms.
 *
 * On the wire: a TCP SYN from client C to port 25 of server S (the default
 * live filter keeps SYNs to port 25 both ways), then within SYN_WAIT an
 * RD=1 PTR lookup of C's reverse name asked by S, or by an address of the
 * other family that took SYNs to port 25 itself (a dual-stack server
 * asking DNS over IPv4 for an IPv6 client); never by C itself. Its
 * outcome:
 *  - SERVFAIL, TIMEOUT, REFUSED, NOTIMP, UNREACHABLE, MALFORMED,
 *    TRUNCATED: CLIENT_PTR_TEMPFAIL. WARN; ERROR when the failures are
 *    systematic: at least SYS_MIN distinct clients of one server and
 *    resolver failed, and they are at least half of the latest RECENT
 *    distinct clients it looked up after a SYN (the resolver cannot reach
 *    the reverse zones: every client meets the restriction). One client
 *    retrying is not systematic.
 *  - NXDOMAIN or NODATA: CLIENT_PTR_NXDOMAIN, INFO (the client has no
 *    reverse DNS: its operator's fix; a reject_unknown_* server defers it
 *    with unknown_client_reject_code, 450 by default).
 *  - ANSWER: the server's A (IPv4 client) or AAAA (IPv6 client) lookup of
 *    the PTR answer's name (mx_dns_msg.ptr), started within FWD_WAIT of
 *    the answer, is the forward confirmation (Postfix asks only the
 *    client's family). When the answer is not at hand, the server's next
 *    such lookup that is no blocklist query stands in for it.
 *    Failing temporarily: CLIENT_FCRDNS_FAIL WARN (Postfix "hostname H does
 *    not resolve to address C: Temporary failure in name resolution", then
 *    450 4.7.25); NXDOMAIN, NODATA, or an answer without the client's
 *    address: CLIENT_FCRDNS_FAIL INFO.
 * Postfix sends the 450 at RCPT TO (smtpd_delay_reject). Recorded with a
 * real Postfix in captures/lab-inbound-*.pcap. Findings are one per (mail
 * server, resolver, pattern) (and family for CLIENT_FCRDNS_FAIL): the detail
 * names the latest client and counts the clients so far.
 *
 * Cost: a SYN to port 25 takes two probes of small tables (its client, its
 * server); a PTR lookup parses its name (at most 34 labels) and probes
 * them; an A/AAAA lookup scans FWD entries only while a PTR answer waits.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"

#define SYNS 256                 /* clients' recent SYNs to port 25 */
#define SYN_WAIT_US 10000000ULL  /* the server asks PTR as it accepts */
#define PAIRS 64                 /* (server, resolver) tallies */
#define SYS_MIN 3                /* distinct clients failed before "systematic" */
#define SYN_KEEP 4               /* a client's latest SYNs (a failing lookup closes late,
				  * after the client's next connection) */
#define RECENT 16                /* distinct clients a pair remembers */
#define FWD 16                   /* answered PTR lookups waiting for their forward lookup */
#define FWD_WAIT_US 2000000ULL   /* the forward lookup follows the PTR answer at once */
#define FWD_LATE_US 30000000ULL  /* lookups reach the detector this much out of order, at most */

struct syn {
	struct mx_slot s;
	struct mx_addr client;
	uint8_t n, pos;
	struct {
		struct mx_addr server;
		uint64_t ts_us, frame;
	} at[SYN_KEEP];
};

struct pair {
	struct mx_slot s;
	uint32_t after_syn;          /* PTR lookups after a SYN */
	uint32_t temp, neg;          /* of them failed temporarily / no PTR */
	uint64_t ck[RECENT];         /* distinct clients looked up, the latest RECENT */
	uint16_t failed;             /* ck[i] failed temporarily: bit i */
	uint8_t ck_pos;
};

/* An answered PTR lookup of a connecting client: the server's next A
 * (IPv4 client) or AAAA (IPv6) lookup is the forward confirmation. */
struct fwd {
	bool used;
	struct mx_addr server, client, at_server;
	uint64_t ptr_end_us, syn_frame, ptr_frame;
	struct mx_dname name;        /* the PTR answer's name; len 0 when not known */
};

/* An address that took a SYN to port 25: a mail server (inbound). */
struct srv {
	struct mx_slot s;
};

struct st {
	struct syn syn[SYNS];
	uint64_t syn_clock;
	struct srv srv[64];
	uint64_t srv_clock;
	struct pair pair[PAIRS];
	uint64_t pair_clock;
	struct fwd fwd[FWD];
	unsigned n_fwd;
};

/* The address a reverse name stands for: d.c.b.a.in-addr.arpa (4 decimal
 * labels, 0-255, no leading zeros beyond "0") or 32 one-nibble labels
 * under ip6.arpa. false for anything else (a zone's own name, classless
 * delegations such as 0/25.2.0.192.in-addr.arpa). */
static bool reverse_addr(const struct mx_dname *n, struct mx_addr *out)
{
	const uint8_t *w = n->wire;
	unsigned len = n->len, off = 0;
	static const uint8_t v4tail[] = "\x07in-addr\x04" "arpa";
	static const uint8_t v6tail[] = "\x03ip6\x04" "arpa";
	if (n->labels == 6 && len > sizeof v4tail &&
	    memcmp(w + len - sizeof v4tail, v4tail, sizeof v4tail - 1) == 0) {
		uint8_t b[4];
		for (unsigned k = 0; k < 4; k++) {
			unsigned ll = w[off], v = 0;
			if (ll < 1 || ll > 3 || (ll > 1 && w[off + 1] == '0'))
				return false;
			for (unsigned i = 1; i <= ll; i++) {
				if (w[off + i] < '0' || w[off + i] > '9')
					return false;
				v = v * 10u + (unsigned)(w[off + i] - '0');
			}
			if (v > 255)
				return false;
			b[3 - k] = (uint8_t)v;
			off += 1u + ll;
		}
		if (off != len - sizeof v4tail)
			return false;
		mx_addr_set4(out, b);
		return true;
	}
	if (n->labels == 34 && len == 64 + sizeof v6tail &&
	    memcmp(w + 64, v6tail, sizeof v6tail - 1) == 0) {
		uint8_t b[16];
		for (unsigned k = 0; k < 32; k++, off += 2) {
			uint8_t c = w[off + 1];
			unsigned v;
			if (w[off] != 1)
				return false;
			if (c >= '0' && c <= '9')
				v = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = (unsigned)(c - 'a' + 10);
			else
				return false;
			/* label k is nibble 31 - k */
			unsigned nib = 31u - k;
			if (nib & 1)
				b[nib >> 1] = (uint8_t)((b[nib >> 1] & 0xf0u) | v);
			else
				b[nib >> 1] = (uint8_t)((b[nib >> 1] & 0x0fu) | (v << 4));
		}
		mx_addr_set6(out, b);
		return true;
	}
	return false;
}

static uint64_t syn_key(const struct mx_addr *client)
{
	return mx_key_addr(client, 0x24a1);
}

static void on_tcp(void *vs, const struct mx_detect_ctx *c, const struct mx_tcpctl *t, struct mx_emit *e)
{
	(void)c;
	(void)e;
	struct st *s = vs;
	if (!t->syn || t->ack || t->dport != 25)
		return;
	bool fresh;
	struct syn *y = MX_SLOT_GET(s->syn, syn_key(&t->src), &s->syn_clock, &fresh);
	if (fresh || !mx_addr_eq(&y->client, &t->src)) {
		y->client = t->src;
		y->n = y->pos = 0;
	}
	(void)MX_SLOT_GET(s->srv, mx_key_addr(&t->dst, 0x24a3), &s->srv_clock, NULL);
	y->at[y->pos].server = t->dst;
	y->at[y->pos].ts_us = t->ts_us;
	y->at[y->pos].frame = t->frame;
	y->pos = (uint8_t)((y->pos + 1u) % SYN_KEEP);
	if (y->n < SYN_KEEP)
		y->n++;
}

/* The latest of client's SYNs at most SYN_WAIT before t; -1 when none. */
static int syn_before(const struct syn *y, uint64_t t)
{
	int best = -1;
	for (unsigned i = 0; i < y->n; i++)
		if (y->at[i].ts_us <= t && t <= y->at[i].ts_us + SYN_WAIT_US &&
		    (best < 0 || y->at[i].ts_us > y->at[best].ts_us))
			best = (int)i;
	return best;
}

/* Note client key k (failed: temporarily) in the pair's distinct clients;
 * the distinct clients and the failed ones among them. */
static void pair_note(struct pair *p, uint64_t k, bool failed, unsigned *n, unsigned *nf)
{
	unsigned i;
	for (i = 0; i < RECENT && p->ck[i] != k; i++)
		;
	if (i == RECENT) {
		i = p->ck_pos;
		p->ck_pos = (uint8_t)((p->ck_pos + 1u) % RECENT);
		p->ck[i] = k;
		p->failed &= (uint16_t)~(1u << i);
	}
	if (failed)
		p->failed |= (uint16_t)(1u << i);
	*n = 0;
	for (unsigned j = 0; j < RECENT; j++)
		*n += p->ck[j] != 0;
	*nf = (unsigned)__builtin_popcount(p->failed);
}

static bool temp_outcome(enum mx_outcome o)
{
	switch (o) {
	case MX_O_SERVFAIL:
	case MX_O_TIMEOUT:
	case MX_O_REFUSED:
	case MX_O_NOTIMP:
	case MX_O_UNREACHABLE:
	case MX_O_MALFORMED:
	case MX_O_TRUNCATED:
		return true;
	default:
		return false;
	}
}

static void add_verify(struct mx_finding *f, const char *cs, const struct mx_addr *res)
{
	mx_finding_verify(f, "dig -x %s", cs);
	if (res) {
		char rs[MX_ADDR_STRLEN];
		mx_addr_format(res, rs, sizeof rs);
		mx_finding_verify(f, "dig -x %s @%s", cs, rs);
	}
}

/* l is an A or AAAA lookup of the server: the forward confirmation of a
 * connecting client's PTR answer? */
static __attribute__((noinline)) void forward(struct st *s, const struct mx_detect_ctx *c,
						    const struct mx_lookup *l, struct mx_emit *e)
{
	struct fwd *w = NULL;
	uint8_t fam = l->qtype == MX_TYPE_A ? 4 : 6;
	for (unsigned i = 0; i < FWD; i++) {
		struct fwd *x = &s->fwd[i];
		if (!x->used)
			continue;
		if (l->first_us > x->ptr_end_us + FWD_WAIT_US + FWD_LATE_US) {
			/* no forward lookup came: the server does not confirm */
			x->used = false;
			s->n_fwd--;
			continue;
		}
		if (!w && x->client.family == fam && l->first_us >= x->ptr_end_us &&
		    l->first_us <= x->ptr_end_us + FWD_WAIT_US && mx_addr_eq(&x->server, &l->client) &&
		    (x->name.len == 0 || mx_dname_eq(&x->name, &l->qname)))
			w = x;
	}
	if (!w)
		return;
	/* without the PTR's name, by time and family: a blocklist query
	 * (reversed address under a zone) is no forward confirmation, servers
	 * ask those at connect time too */
	if (w->name.len == 0 && mx_detect_blocklist_name(c->opts, &l->qname))
		return;
	w->used = false;
	s->n_fwd--;
	if (l->pending_at_end)
		return;
	bool temp = temp_outcome(l->outcome);
	bool match = false;
	if (l->outcome == MX_O_ANSWER) {
		if (!l->answer)
			return; /* the addresses are not known: not judged */
		for (unsigned i = 0; i < l->answer->n_addr && !match; i++)
			match = mx_addr_eq(&l->answer->addr[i].addr, &w->client);
		if (match || l->answer->addr_total > l->answer->n_addr)
			return; /* confirmed, or not all addresses kept */
	}
	char cs[MX_ADDR_STRLEN], ss[MX_ADDR_STRLEN], hn[MX_DNAME_STRLEN], tn[16];
	mx_addr_format(&w->client, cs, sizeof cs);
	mx_addr_format(&w->at_server, ss, sizeof ss);
	mx_dname_format(&l->qname, hn, sizeof hn);
	mx_dns_type_name(l->qtype, tn, sizeof tn);
	struct mx_finding f;
	mx_finding_init(&f, "CLIENT_FCRDNS_FAIL", temp ? MX_SEV_WARN : MX_SEV_INFO);
	f.title = temp ? "the forward lookup of a connecting client's PTR name fails: the server may defer its "
			 "mail (450 4.7.25)"
		       : "a connecting client's PTR name does not resolve back to its address (no forward-"
			 "confirmed reverse DNS)";
	mx_finding_detail(&f, "client %s connected to %s:25 (frame %llu); its PTR answered (frame %llu), then %s "
			      "%s %s%s", cs, ss, (unsigned long long)w->syn_frame, (unsigned long long)w->ptr_frame,
			  tn, hn, mx_outcome_name(l->outcome),
			  l->outcome == MX_O_ANSWER ? " without the client's address" : "");
	f.smtp_status = temp ? "most likely: to the client, Postfix with reject_unknown_client_hostname \"450 4.7.25 "
			       "Client host rejected: cannot find your hostname, [<client>]\" after \"warning: "
			       "hostname <name> does not resolve to address <client>: Temporary failure in name "
			       "resolution\" (temporary: the sending side retries)"
			     : "with reject_unknown_client_hostname, Postfix \"450 4.7.25 Client host rejected: "
			       "cannot find your hostname\" (unknown_client_reject_code); the log warns \"hostname "
			       "<name> does not resolve to address <client>\"";
	f.cause = temp ? "the zone of the client's PTR name fails (or the resolver fails for it)"
		       : "the client's PTR names a host whose A/AAAA records do not include the client's address";
	f.fix = "the client's operator makes the PTR name resolve to the client's address (forward-confirmed "
		"reverse DNS)";
	/* one finding per server, resolver and family, not per name: a busy
	 * server meets many clients whose PTR names do not resolve back */
	f.sender = l->client;
	f.qtype = l->qtype;
	mx_finding_add_frame(&f, w->syn_frame);
	mx_finding_add_frame(&f, w->ptr_frame);
	mx_finding_add_lookup(&f, l);
	mx_finding_verify(&f, "dig -x %s", cs);
	mx_finding_verify(&f, "dig %s %s", tn, hn);
	mx_emit(e, &f);
}

static void ptr_lookup(struct st *s, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e);

/* Every RD=1 class IN lookup comes here and most return at once: A/AAAA
 * only while a PTR answer waits for its forward lookup, PTR only once a
 * SYN to port 25 was seen. */
static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	if (!l->rd || l->qclass != 1)
		return;
	if (l->qtype == MX_TYPE_A || l->qtype == MX_TYPE_AAAA) {
		if (s->n_fwd)
			forward(s, c, l, e);
		return;
	}
	if (l->qtype == MX_TYPE_PTR && s->syn_clock)
		ptr_lookup(s, c, l, e);
}

static __attribute__((noinline)) void ptr_lookup(struct st *s, const struct mx_detect_ctx *c,
						 const struct mx_lookup *l, struct mx_emit *e)
{
	if (l->pending_at_end)
		return;
	struct mx_addr client;
	if (!reverse_addr(&l->qname, &client))
		return;
	/* a host looking up its own address after its own (outbound) SYN */
	if (mx_addr_eq(&client, &l->client))
		return;
	struct syn *y = MX_SLOT_FIND(s->syn, syn_key(&client));
	int k = y && mx_addr_eq(&y->client, &client) ? syn_before(y, l->first_us) : -1;
	if (k < 0 || !mx_detect_is_sender(c->opts, &l->client))
		return;
	const struct mx_addr *server = &y->at[k].server;
	/* the server asks: the SYN's destination itself, or (a dual-stack
	 * host taking the connection over one family and asking DNS over the
	 * other) an address of the other family that took SYNs to port 25
	 * itself. Another host looking the client up (a mail server checking
	 * an address it met elsewhere, a log resolver) is not this
	 * connection's server. */
	if (!mx_addr_eq(server, &l->client) &&
	    (server->family == l->client.family || !MX_SLOT_FIND(s->srv, mx_key_addr(&l->client, 0x24a3))))
		return;
	uint64_t syn_us = y->at[k].ts_us, syn_frame = y->at[k].frame;
	bool temp = temp_outcome(l->outcome);
	bool neg = l->outcome == MX_O_NXDOMAIN || l->outcome == MX_O_NODATA;
	if (l->outcome == MX_O_ANSWER) {
		/* its forward lookup comes next */
		struct fwd *w = NULL;
		for (unsigned i = 0; i < FWD && !w; i++)
			if (!s->fwd[i].used)
				w = &s->fwd[i];
		if (!w) {
			w = &s->fwd[0]; /* full: the oldest waits no longer */
			for (unsigned i = 1; i < FWD; i++)
				if (s->fwd[i].ptr_end_us < w->ptr_end_us)
					w = &s->fwd[i];
			s->n_fwd--;
		}
		w->used = true;
		w->server = l->client;
		w->client = client;
		w->at_server = *server;
		w->ptr_end_us = l->last_us;
		w->syn_frame = syn_frame;
		w->ptr_frame = l->decided_frame;
		w->name.len = w->name.labels = 0;
		if (l->answer && l->answer->ptr.len)
			mx_dname_copy(&w->name, &l->answer->ptr);
		s->n_fwd++;
	}
	const struct mx_addr *res = l->n_resolvers ? &l->resolvers[0] : NULL;
	struct mx_addr none = {0};
	struct pair *p = MX_SLOT_GET(s->pair, mx_key_addr2(&l->client, res ? res : &none, 0x24a2), &s->pair_clock,
				     NULL);
	p->after_syn++;
	p->temp += temp;
	p->neg += neg;
	unsigned nc, nf;
	pair_note(p, syn_key(&client), temp, &nc, &nf);
	if (!temp && !neg)
		return;
	char cs[MX_ADDR_STRLEN], ss[MX_ADDR_STRLEN], qn[MX_DNAME_STRLEN];
	mx_addr_format(&client, cs, sizeof cs);
	mx_addr_format(server, ss, sizeof ss);
	mx_dname_format(&l->qname, qn, sizeof qn);
	unsigned long long ms = (l->first_us - syn_us) / 1000u;
	struct mx_finding f;
	if (temp) {
		bool sys = nf >= SYS_MIN && 2u * nf >= nc;
		mx_finding_init(&f, "CLIENT_PTR_TEMPFAIL", sys ? MX_SEV_ERROR : MX_SEV_WARN);
		f.title = sys ? "the mail server's reverse lookups of connecting clients fail: inbound mail is "
				"deferred where the server requires a client hostname"
			      : "the reverse lookup of a client connecting to port 25 fails: the server may "
				"defer its mail (450 4.7.25)";
		mx_finding_detail(&f, "client %s connected to %s:25 (frame %llu); %llu ms later PTR %s %s "
				      "(%u quer%s)", cs, ss, (unsigned long long)syn_frame, ms, qn,
				  mx_outcome_name(l->outcome), l->attempts, l->attempts == 1 ? "y" : "ies");
		mx_finding_detail(&f, "%u of %u reverse lookups of connecting clients through this resolver "
				      "failed temporarily (%u of the latest %u distinct clients)", p->temp,
				  p->after_syn, nf, nc);
		f.smtp_status = "most likely: to the client, Postfix with reject_unknown_client_hostname or "
				"reject_unknown_reverse_client_hostname \"450 4.7.25 Client host rejected: cannot "
				"find your hostname, [<client>]\" at RCPT TO (temporary: the sending side queues and "
				"retries); without those restrictions the client is logged as unknown[<client>] and "
				"the mail goes on; Exim ACLs with host_lookup_failed, Sendmail \"may be forged\"";
		f.cause = sys ? "the resolver fails for reverse zones (it cannot reach the in-addr.arpa / ip6.arpa "
				"servers, a forwarder or firewall drops or refuses PTR queries, a broken local "
				"reverse zone)"
			      : "the client's reverse zone is broken (lame delegation, unreachable or failing "
				"authoritative servers) or the resolver fails for it";
		f.fix = sys ? "repair the resolver's reverse resolution (dig -x <client> on the mail server); "
			      "meanwhile reject_unknown_client_hostname defers every client"
			    : "the client's network owner repairs its reverse DNS; a server that requires client "
			      "hostnames can list the client in a check_client_access permit";
	} else {
		mx_finding_init(&f, "CLIENT_PTR_NXDOMAIN", MX_SEV_INFO);
		f.title = "a client connecting to port 25 has no reverse DNS (PTR)";
		mx_finding_detail(&f, "client %s connected to %s:25 (frame %llu); %llu ms later PTR %s %s", cs, ss,
				  (unsigned long long)syn_frame, ms, qn, mx_outcome_name(l->outcome));
		mx_finding_detail(&f, "%u of %u reverse lookups after a connection found no PTR", p->neg, p->after_syn);
		f.smtp_status = "with reject_unknown_reverse_client_hostname or reject_unknown_client_hostname, "
				"Postfix \"450 4.7.25 Client host rejected: cannot find your hostname\" at RCPT TO "
				"(unknown_client_reject_code, 450 by default); many receivers reject such clients";
		f.cause = "no PTR record for the client's address: common for spam sources, a mistake for a mail "
			  "server";
		f.fix = "the client's operator publishes a PTR that names a host whose A/AAAA is the client's "
			"address (forward-confirmed reverse DNS)";
	}
	f.sender = l->client;
	f.qtype = MX_TYPE_PTR;
	f.first_us = syn_us;
	f.last_us = l->last_us;
	mx_finding_add_frame(&f, syn_frame);
	mx_finding_add_lookup(&f, l);
	add_verify(&f, cs, res);
	mx_emit(e, &f);
}

const struct mx_detector mx_det_client_rdns = {
	.id = "CLIENT_RDNS",
	.pattern = "P24",
	.emits = "CLIENT_PTR_TEMPFAIL,CLIENT_PTR_NXDOMAIN,CLIENT_FCRDNS_FAIL",
	.summary = "inbound: the reverse (PTR) lookup of a client that connected to port 25 fails (450 4.7.25 "
		   "where client hostnames are required), finds no PTR, or its name does not resolve back",
	.state_size = sizeof(struct st),
	.on_lookup = on_lookup,
	.on_tcp = on_tcp,
	.lookup_needs = {MX_NEED_RD | MX_NEED_IN, 0},
};
