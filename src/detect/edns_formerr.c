/* edns_formerr.c - P15 EDNS_FORMERR / EDNS_DROP.
 *
 * EDNS_FORMERR: a query with an OPT record answered FORMERR (an old server
 * or a middlebox that does not know EDNS): INFO when the sender retried
 * without OPT within 5 s and got an answer (RFC 6891 §6.2.2), ERROR when it
 * did not. Or answered BADVERS: the server implements EDNS but not the
 * version asked; its OPT carries the highest version it implements and the
 * client retries at that version (RFC 6891 §6.1.3): a retry at a lower
 * version (or without OPT) answered within 5 s is the fallback working
 * (INFO), none is ERROR. EDNS_DROP (WARN): >= 3 OPT-carrying queries to a resolver
 * went unanswered while its answers to queries without OPT (or over TCP)
 * arrived and none with OPT did, while fewer than 20 % of the plain queries
 * were lost (else the resolver is simply down: P10) (RFC 8906
 * non-responders, firewalls that enforce 512 bytes).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define PEND 64
#define RES 32
#define RETRY_US 5000000ULL
#define DROP_ROWS 3

struct pend {
	struct mx_slot s;
	struct mx_addr client, server;
	struct mx_dname qname;
	uint16_t qtype, rcode;
	uint8_t q_ver, r_ver;       /* EDNS versions of the query and of the BADVERS answer */
	bool edns_ok;               /* the server answered another query of the client's with OPT
				     * (not FORMERR): EDNS works, the FORMERR is the type's (RFC
				     * 4074, AAAA_SERVFAIL_A_OK) */
	uint64_t ts, q_frame, r_frame;
	struct mx_txn_kept tx;      /* the query with OPT and its FORMERR, for the rows */
};

struct res {
	struct mx_addr addr, client;
	uint64_t edns_lost, edns_answered, plain_answered, plain_lost, first_us, last_us;
	uint64_t edns_ok;           /* answered with OPT, other than FORMERR/BADVERS */
	uint64_t frames[6];
	unsigned nframes;
	/* the first lost EDNS queries, for the rows (a new entry zeroes the
	 * fields above only: these are read under nframes) */
	struct mx_txn_kept lost[DROP_ROWS];
};

struct st {
	struct pend pend[PEND];
	struct mx_slot rhdr[RES];   /* res's keys, apart: a probe reads 16 bytes an entry */
	struct res res[RES];
	uint64_t pclock, rclock;
	unsigned n_pend;            /* pend entries in use */
};

static void count_pend(struct st *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PEND; i++)
		n += s->pend[i].s.used != 0;
	s->n_pend = n;
}

static void emit_formerr(const struct pend *p, bool recovered, const struct mx_txn *retry, struct mx_emit *e)
{
	if (p->edns_ok && p->rcode == MX_RCODE_FORMERR)
		return;
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], rc[16];
	bool badvers = p->rcode == MX_RCODE_BADVERS;
	mx_finding_init(&f, "EDNS_FORMERR", recovered ? MX_SEV_INFO : MX_SEV_ERROR);
	if (badvers)
		f.title = recovered ? "the resolver does not implement the EDNS version asked; the sender "
				      "retries at a lower version"
				    : "the resolver does not implement the EDNS version asked and the sender "
				      "does not retry at a lower version";
	else
		f.title = recovered ? "the resolver rejects EDNS; the sender falls back to plain DNS"
				    : "the resolver rejects EDNS and the sender does not fall back";
	f.sender = p->client;
	mx_finding_add_resolver(&f, &p->server);
	mx_dname_copy(&f.host, &p->qname);
	f.qtype = p->qtype;
	f.first_us = p->ts;
	f.last_us = retry ? retry->r_ts : p->ts;
	mx_finding_add_frame(&f, p->q_frame);
	mx_finding_add_frame(&f, p->r_frame);
	mx_finding_add_kept(&f, &p->tx, NULL);
	if (retry) {
		mx_finding_add_frame(&f, retry->q_frame);
		mx_finding_add_frame(&f, retry->r_frame);
	}
	mx_dname_format(&p->qname, qn, sizeof qn);
	mx_addr_format(&p->server, rs, sizeof rs);
	if (badvers) {
		mx_finding_detail(&f, "query with OPT version %u answered BADVERS; the server implements EDNS up "
				      "to version %u",
				  (unsigned)p->q_ver, (unsigned)p->r_ver);
		if (!recovered)
			mx_finding_detail(&f, "no retry at a lower EDNS version within 5 s");
		else if (retry->q_edns)
			mx_finding_detail(&f, "retried at version %u and answered", (unsigned)retry->q_edns_version);
		else
			mx_finding_detail(&f, "retried without OPT and answered");
		f.smtp_status = recovered ? "none: the retry at a lower EDNS version works (one extra round trip "
					    "per lookup)"
					  : "most likely a DNS failure for the sender: 4.4.3 or Exchange \"451 4.4.0 "
					    "DNS query failed\"";
		f.cause = "the query asked for an EDNS version the server does not implement (only version 0 "
			  "is defined); RFC 6891 §6.1.3: the server answers BADVERS with the highest version it "
			  "implements and the client retries at that version";
		f.fix = recovered ? "nothing on the DNS side; the sender's resolver library could ask version 0 "
				    "first and save the round trip"
				  : "make the sender's resolver library ask EDNS version 0, or retry at the version "
				    "the BADVERS answer names";
	} else {
		mx_finding_detail(&f, "query with OPT answered %s%s", mx_dns_rcode_name(p->rcode, rc, sizeof rc),
				  recovered ? "; retried without OPT and answered"
					    : "; no retry without OPT within 5 s");
		f.smtp_status = recovered ? "none: the retry without EDNS works (one extra round trip per lookup)"
					  : "most likely: Postfix bounces 5.4.3 \"Name service error for name=<host> "
					    "type=<type>: Non-recoverable error\" (glibc takes FORMERR as final, "
					    "NO_RECOVERY, and neither retries without EDNS nor asks the next server); "
					    "elsewhere a DNS failure, 4.4.3 or Exchange \"451 4.4.0 DNS query failed\"";
		f.cause = "an old resolver or a firewall's DNS inspection does not accept EDNS (RFC 6891) queries";
		f.fix = "upgrade the resolver or relax the middlebox; advertise an EDNS buffer of 1232 bytes";
	}
	mx_finding_verify(&f, "dig +edns=0 %s @%s", qn, rs);
	mx_finding_verify(&f, "dig +noedns %s @%s", qn, rs);
	if (retry)
		mx_emit_txn(e, &f, retry, NULL);
	else
		mx_emit(e, &f);
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (!mx_detect_is_sender(c->opts, &t->client) || t->kind == MX_TXN_OPEN || t->kind == MX_TXN_PENDING)
		return;
	bool answered = t->kind == MX_TXN_ANSWERED;
	/* A server without EDNS answers FORMERR without OPT (RFC 6891 §7); a
	 * FORMERR that carries OPT comes from a server that speaks EDNS and
	 * objects to something else (a TSIG it cannot check, two questions) */
	bool formerr = answered && t->q_edns &&
		       ((t->rcode == MX_RCODE_FORMERR && !t->r_edns) || t->rcode == MX_RCODE_BADVERS);
	/* the pending table is almost always empty: no key to hash then; a
	 * retry is an answer without OPT, or (after BADVERS) with OPT at a
	 * lower version, checked below */
	uint64_t key = formerr || (s->n_pend && answered && t->outcome <= MX_O_NXDOMAIN)
		? mx_key_addr_inline(&t->client, mx_key_name(&t->qname, t->qtype, 15)) : 0;
	/* EDNS_DROP bookkeeping per resolver */
	bool fresh;
	struct res *r = &s->res[MX_SLOT_INDEX_PK(c, MX_PK_EDNS, s->rhdr,
						       mx_key_addr2_inline(&t->client, &t->server, MX_SALT_EDNS), &s->rclock, &fresh)];
	if (fresh) {
		memset(r, 0, offsetof(struct res, lost));
		r->addr = t->server;
		r->client = t->client;
		r->first_us = t->q_ts;
	}
	r->last_us = t->q_ts;
	if (t->q_edns && answered && !formerr) {
		/* EDNS works between them: a FORMERR pending or to come is the
		 * query type's */
		r->edns_ok++;
		for (unsigned i = 0; s->n_pend && i < PEND; i++)
			if (s->pend[i].s.used && mx_addr_eq(&s->pend[i].client, &t->client) &&
			    mx_addr_eq(&s->pend[i].server, &t->server))
				s->pend[i].edns_ok = true;
	}
	if (t->q_edns && t->transport == MX_T_UDP) {
		if (answered) {
			r->edns_answered++;
		} else if (t->kind == MX_TXN_TIMEOUT) {
			r->edns_lost++;
			if (r->nframes < DROP_ROWS)
				mx_txn_keep(&r->lost[r->nframes], t);
			if (r->nframes < 6)
				r->frames[r->nframes++] = t->q_frame;
		}
	} else if (answered) {
		r->plain_answered++;
	} else if (t->kind == MX_TXN_TIMEOUT) {
		r->plain_lost++;
	}
	if (formerr) {
		bool pfresh;
		struct pend *p = MX_SLOT_GET(s->pend, key, &s->pclock, &pfresh);
		if (!pfresh && p->ts + RETRY_US < t->q_ts)
			emit_formerr(p, false, NULL, e);
		if (pfresh || p->ts + RETRY_US < t->q_ts) {
			p->client = t->client;
			p->server = t->server;
			mx_dname_copy(&p->qname, &t->qname);
			p->qtype = t->qtype;
			p->rcode = t->rcode;
			p->q_ver = t->q_edns_version;
			p->r_ver = t->r_edns_version;
			p->ts = t->q_ts;
			p->q_frame = t->q_frame;
			p->r_frame = t->r_frame;
			p->edns_ok = r->edns_ok > 0;
			mx_txn_keep(&p->tx, t);
		}
		count_pend(s);
	} else if (key) {
		struct pend *p = MX_SLOT_FIND(s->pend, key);
		bool retry = p && (!t->q_edns || (p->rcode == MX_RCODE_BADVERS && t->q_edns_version < p->q_ver));
		if (retry && t->q_ts <= p->ts + RETRY_US) {
			emit_formerr(p, true, t, e);
			memset(p, 0, sizeof(*p));
			count_pend(s);
		}
	}
}

static void expire(struct st *s, uint64_t now, bool all, struct mx_emit *e)
{
	if (!s->n_pend)
		return;
	for (unsigned i = 0; i < PEND; i++) {
		struct pend *p = &s->pend[i];
		if (p->s.used && p->ts && (all || p->ts + RETRY_US < now)) {
			emit_formerr(p, false, NULL, e);
			memset(p, 0, sizeof(*p));
		}
	}
	count_pend(s);
}

static void on_tick(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	expire(vs, c->now_us, false, e);
}

/* EDNS_DROP, judged on the whole capture; pending: NULL at its end (the
 * findings are made), else why they are pending (on_pending) */
static void drops(const struct st *s, struct mx_emit *e, const char *pending)
{
	for (unsigned i = 0; i < RES; i++) {
		const struct res *r = &s->res[i];
		/* the drop must be specific to EDNS: when plain queries to R are
		 * lost too (>= 20 %), R is down or overloaded (P10), not EDNS-blind */
		if (!s->rhdr[i].used || r->edns_lost < 3 || r->edns_answered > 0 || r->plain_answered == 0 ||
		    r->plain_lost * 4 >= r->plain_answered)
			continue;
		struct mx_finding f;
		char rs[MX_ADDR_STRLEN];
		mx_finding_init(&f, "EDNS_DROP", MX_SEV_WARN);
		f.title = "queries with EDNS go unanswered while plain queries are answered";
		f.sender = r->client;
		mx_finding_add_resolver(&f, &r->addr);
		f.first_us = r->first_us;
		f.last_us = r->last_us;
		f.count = r->edns_lost;
		for (unsigned k = 0; k < r->nframes; k++)
			mx_finding_add_frame(&f, r->frames[k]);
		for (unsigned k = 0; k < r->nframes && k < DROP_ROWS; k++)
			mx_finding_add_kept(&f, &r->lost[k], NULL);
		mx_addr_format(&r->addr, rs, sizeof rs);
		mx_finding_detail(&f, "%llu EDNS queries unanswered, %llu plain/TCP queries answered",
				  (unsigned long long)r->edns_lost, (unsigned long long)r->plain_answered);
		f.smtp_status = "most likely 4.4.3 / \"451 4.4.0 DNS query failed\" for lookups that need EDNS";
		f.cause = "a firewall or old server drops EDNS queries or large (fragmented) answers (RFC 8906, "
			  "DNS Flag Day 2020)";
		f.fix = "upgrade or reconfigure the middlebox; advertise an EDNS buffer of 1232 bytes";
		mx_finding_verify(&f, "dig +edns=0 +bufsize=1232 . SOA @%s", rs);
		f.pending = pending;
		mx_emit(e, &f);
	}
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *s = vs;
	expire(s, c->now_us, true, e);
	drops(s, e, NULL);
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	drops(vs, e, "judged on the whole capture when it ends: the counts so far");
}

const struct mx_detector mx_det_edns_formerr = {
	.id = "EDNS_FORMERR",
	.pattern = "P15",
	.emits = "EDNS_FORMERR,EDNS_DROP",
	.summary = "EDNS queries answered FORMERR/BADVERS, or silently dropped",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_tick = on_tick,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
