/* test_sink.c - L6: the text, json, ndjson and md sinks and their helpers.
 *
 * A hand-made snapshot (with findings, chains, recipient domains and sender
 * fingerprints), lookups, transactions and chains are rendered through each
 * sink into memory (open_memstream). JSON is checked with a small strict
 * RFC 8259 validator written here, plus the member names and value types of
 * findings and chains, escaping of hostile names and strings, and
 * byte-identical output across runs and time zones. The text report must
 * lead with the findings; the Markdown write-up must have its sections and
 * well-formed tables with escaped pipes. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"
#include "../../src/sink/sink_priv.h"

/* ---- a strict JSON validator (RFC 8259) ------------------------------- */

struct jp {
	const char *p, *end;
	int depth;
};

static void j_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool j_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool j_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool j_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (j->p >= j->end)
				return false;
			char e = *j->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++)
					if (j->p >= j->end || !j_hex(*j->p++))
						return false;
			} else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
				return false;
			}
		}
	}
	return false;
}

static bool j_digits(struct jp *j)
{
	const char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool j_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!j_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!j_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!j_digits(j))
			return false;
	}
	return true;
}

static bool j_value(struct jp *j);

static bool j_object(struct jp *j)
{
	j->p++; /* '{' */
	j_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		j_ws(j);
		if (!j_string(j))
			return false;
		j_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return false;
		if (!j_value(j))
			return false;
		j_ws(j);
		if (j->p >= j->end)
			return false;
		char c = *j->p++;
		if (c == '}')
			return true;
		if (c != ',')
			return false;
	}
}

static bool j_array(struct jp *j)
{
	j->p++; /* '[' */
	j_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		if (!j_value(j))
			return false;
		j_ws(j);
		if (j->p >= j->end)
			return false;
		char c = *j->p++;
		if (c == ']')
			return true;
		if (c != ',')
			return false;
	}
}

static bool j_value(struct jp *j)
{
	bool ok;
	j_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{': ok = j_object(j); break;
	case '[': ok = j_array(j); break;
	case '"': ok = j_string(j); break;
	case 't': ok = j_lit(j, "true"); break;
	case 'f': ok = j_lit(j, "false"); break;
	case 'n': ok = j_lit(j, "null"); break;
	default: ok = j_number(j); break;
	}
	j->depth--;
	return ok;
}

/* exactly one JSON value (of kind `first`) and nothing else */
static bool json_valid(const char *s, size_t n, char first)
{
	struct jp j = { s, s + n, 0 };
	j_ws(&j);
	if (j.p >= j.end || *j.p != first)
		return false;
	if (!j_value(&j))
		return false;
	j_ws(&j);
	return j.p == j.end;
}

static void validator_self_test(void **state)
{
	(void)state;
	const char *good[] = { "{}", "{\"a\":[1,-2.5,3e4,true,false,null,\"x\\u00e9\\n\"]}",
			       " {\"a\" : {\"b\":[]}} \n" };
	const char *bad[] = { "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":01}",
			      "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{} {}", "{\"a\":1.}",
			      "{'a':1}", "{\"a\":tru}" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(json_valid(good[i], strlen(good[i]), '{'));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(json_valid(bad[i], strlen(bad[i]), '{'));
}

/* ---- fixtures --------------------------------------------------------- */

static struct mx_addr A4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct mx_addr x;
	const uint8_t v[4] = { a, b, c, d };
	mx_addr_set4(&x, v);
	return x;
}

static struct mx_dname N(const char *s)
{
	struct mx_dname d;
	memset(&d, 0, sizeof d);
	assert_int_equal(mx_dname_from_text(s, &d), 0);
	return d;
}

/* a name whose first label holds '"', a newline and 0xff */
static struct mx_dname hostile_name(void)
{
	struct mx_dname d;
	const uint8_t w[] = { 5, 'a', '"', '\n', 0xff, 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	memset(&d, 0, sizeof d);
	memcpy(d.wire, w, sizeof w);
	d.len = sizeof w;
	d.labels = 2;
	return d;
}

#define T0 1795513201123456ULL /* 2026-11-24T09:40:01.123456Z */

struct fixture {
	struct mx_snapshot s;
	struct mx_server_row res[2], auth[1];
	struct mx_sender_row snd[1];
	struct mx_name_row fail[2];
	struct mx_lookup l1, l2;
	struct mx_dns_msg ans;
	struct mx_txn t1, t2;
	struct mx_finding fnd[2];
	struct mx_chain ch[2];
	struct mx_domain_row dom[2];
};


#define LONG_FIX                                                                             \
	"recipient: make every authoritative server answer AAAA with NOERROR/NODATA (RFC 4074 " \
	"\xc2\xa7" "3). Sender, Exchange: Set-SendConnector -UseExternalDNSServersEnabled $true "  \
	"with a resolver that answers NODATA, or DnsFaultTolerance=Lenient (KB 972744); "       \
	"Sendmail: O ResolverOptions=+WorkAroundBrokenAAAA."

static void step(struct mx_chain_step *st, enum mx_outcome o, uint16_t rcode, uint32_t attempts,
		 uint64_t first, uint64_t f1, uint64_t f2)
{
	memset(st, 0, sizeof(*st));
	st->asked = true;
	st->outcome = o;
	st->rcode = rcode;
	st->lookups = 1;
	st->attempts = attempts;
	st->first_us = first;
	st->end_us = first + 500000;
	st->latency_us = o == MX_O_TIMEOUT ? 0 : 500000;
	st->ede = 0xffff;
	st->n_resolvers = 1;
	st->resolvers[0] = A4(198, 51, 100, 53);
	st->n_frames = 2;
	st->frames[0] = f1;
	st->frames[1] = f2;
}

/* Issue 3 parts: two findings, two chains, two domains, a fingerprint. */
static void fill_issue3(struct fixture *f)
{
	struct mx_snapshot *s = &f->s;
	struct mx_finding *x = &f->fnd[0];
	x->pattern = "AAAA_SERVFAIL_LOOP";
	x->title = "AAAA-first sender gets a failure for AAAA and never asks A";
	x->sev = MX_SEV_CRIT;
	x->sender = A4(192, 0, 2, 10);
	x->n_resolvers = 1;
	x->resolvers[0] = A4(198, 51, 100, 53);
	x->domain = N("example.test");
	x->host = N("mx1.example.test");
	x->qtype = MX_TYPE_AAAA;
	x->first_us = T0;
	x->last_us = T0 + 300500000;
	x->count = 3;
	x->attempts = 2;
	x->n_frames = 3;
	x->frames[0] = 1;
	x->frames[1] = 3;
	x->frames[2] = 4;
	x->n_evidence = 3;
	struct mx_evidence *e = &x->evidence[0];
	e->frame = 3;
	e->ts_us = T0 + 21000;
	e->from = A4(192, 0, 2, 10);
	e->to = A4(198, 51, 100, 53);
	e->qname = N("mx1.example.test");
	e->qtype = MX_TYPE_AAAA;
	e->outcome = MX_O_SERVFAIL;
	e->ede = 0xffff;
	e = &x->evidence[1];
	e->frame = 4;
	e->ts_us = T0 + 521000;
	e->from = A4(198, 51, 100, 53);
	e->to = A4(192, 0, 2, 10);
	e->response = true;
	e->qname = N("mx1.example.test");
	e->qtype = MX_TYPE_AAAA;
	e->outcome = MX_O_SERVFAIL;
	e->rcode = 2;
	e->ede = 22;
	e->latency_us = 500000;
	e = &x->evidence[2];
	e->frame = 2;
	e->ts_us = T0 + 9000;
	e->from = A4(198, 51, 100, 53);
	e->to = A4(192, 0, 2, 10);
	e->response = true;
	e->qname = N("example.test");
	e->qtype = MX_TYPE_MX;
	e->outcome = MX_O_ANSWER;
	e->ede = 0xffff;
	e->latency_us = 9000;
	snprintf(e->answer, sizeof e->answer, "MX 10 a|b.example.test.");
	snprintf(x->detail, sizeof x->detail, "AAAA SERVFAIL x1 (3 queries); EDE 22; A never asked");
	x->smtp_status = "most likely: Exchange 2007/2010 \"451 4.4.0 DNS query failed\"; others 4.4.3";
	x->cause = "the recipient's authoritative servers mishandle AAAA queries";
	x->fix = LONG_FIX;
	snprintf(x->verify, sizeof x->verify,
		 "dig AAAA mx1.example.test. @198.51.100.53\n"
		 "dig +norec AAAA mx1.example.test. @<each NS of example.test.>");

	x = &f->fnd[1];
	x->pattern = "QUERY_VOLUME";
	x->title = "note: many queries";
	x->sev = MX_SEV_INFO;
	x->count = 1;
	x->single_attempt = true;
	s->findings = f->fnd;
	s->n_findings = 2;
	s->findings_evicted = 4;
	s->findings_evicted_by[0] = (struct mx_evicted_pattern){"MX_NXDOMAIN", 3};
	s->findings_evicted_by[1] = (struct mx_evicted_pattern){"SLOW_CHAIN", 1};
	s->n_findings_evicted_by = 2;

	/* chain 1: deferred, AAAA SERVFAIL x3, A never asked (second attempt) */
	struct mx_chain *c = &f->ch[0];
	c->seq = 7;
	c->sender = A4(192, 0, 2, 10);
	c->domain = N("example.test");
	c->attempt = 2;
	c->prev_start_us = T0;
	c->start_us = T0 + 300000000;
	c->end_us = T0 + 300600000;
	step(&c->mx, MX_O_ANSWER, 0, 1, T0 + 300000000, 1, 2);
	c->mx_total = 1;
	c->n_hosts = c->hosts_total = 1;
	struct mx_chain_host *h = &c->hosts[0];
	h->name = N("mx1.example.test");
	h->pref = 10;
	h->first_family = 6;
	step(&h->aaaa, MX_O_SERVFAIL, 2, 3, T0 + 300021000, 3, 4);
	h->aaaa.ede = 22;
	h->a.ede = h->tlsa.ede = 0xffff;
	c->verdict = MX_CHAIN_DEFERRED;
	c->why = "address lookups failed temporarily and none answered";
	/* chain 2: resolved and connected, cut short by the end of the capture */
	c = &f->ch[1];
	c->seq = 8;
	c->sender = A4(192, 0, 2, 10);
	c->domain = N("ok.test");
	c->attempt = 1;
	c->start_us = T0 + 301000000;
	c->end_us = T0 + 301100000;
	step(&c->mx, MX_O_NODATA, 0, 1, T0 + 301000000, 20, 21);
	c->soa_owner = N("ok.test");
	c->neg_ttl = 300;
	c->n_hosts = c->hosts_total = 1;
	h = &c->hosts[0];
	h->name = N("ok.test");
	h->implicit = true;
	h->first_family = 4;
	step(&h->a, MX_O_ANSWER, 0, 1, T0 + 301020000, 22, 23);
	step(&h->aaaa, MX_O_NODATA, 0, 1, T0 + 301030000, 24, 25);
	h->tlsa.ede = 0xffff;
	h->n_addrs = 1;
	h->addrs[0] = A4(203, 0, 113, 25);
	h->connected = true;
	c->verdict = MX_CHAIN_RESOLVED;
	c->why = "the domain itself has an address (implicit MX)";
	c->cut_short = true;
	c->connected = true;
	c->connected_to = A4(203, 0, 113, 25);
	c->syn_frame = 26;
	s->chains = f->ch;
	s->n_chains = 2;
	s->chain.chains = 5; /* three more closed than the model kept */
	s->chain.resolved = 2;
	s->chain.deferred = 3;
	s->chain.syns = 1;

	struct mx_domain_row *d = &f->dom[0];
	d->domain = N("example.test");
	d->chains = 3;
	d->deferred = 3;
	d->senders = 1;
	d->max_attempt = 3;
	d->last_verdict = MX_CHAIN_DEFERRED;
	d->last_why = "address lookups failed temporarily and none answered";
	d->first_us = T0;
	d->last_us = T0 + 300600000;
	d = &f->dom[1];
	d->domain = N("ok.test");
	d->chains = 2;
	d->resolved = 2;
	d->senders = MX_MODEL_DISTINCT_CAP + 1;
	d->max_attempt = 1;
	d->last_verdict = MX_CHAIN_RESOLVED;
	d->last_why = "the domain itself has an address (implicit MX)";
	s->domains = f->dom;
	s->n_domains = 2;
	s->evicted_domains = 1;

	struct mx_sender_row *r = &f->snd[0];
	r->chains = 5;
	r->chains_deferred = 3;
	r->hosts_aaaa_first = 4;
	r->aaaa_fail = 3;
	r->retry_gaps = 2;
	r->retry_gap_min_us = 300000000;
	r->retry_gap_sum_us = 900000000;
}

static void fill(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	struct mx_snapshot *s = &f->s;
	snprintf(s->source, sizeof s->source, "file \"x\"\\y\n\x01\xff \xc3\xa9.pcap");
	snprintf(s->filter, sizeof s->filter, "udp port 53");
	s->first_us = T0;
	s->last_us = T0 + 61500000;
	s->packets = 1000;
	s->bytes = 123456;
	s->dns_messages = 900;
	s->queries = 500;
	s->responses = 400;
	s->dns_malformed = 2;
	s->dns_truncated = 1;
	s->icmp_dns = 3;
	s->decode.reason[MX_R_DNS] = 900;
	s->decode.reason[MX_R_OTHER_PORT] = 77;
	s->decode.reason[MX_R_SHORT_DNS] = 5;
	s->txn.transactions = 480;
	s->txn.answered = 400;
	s->txn.timeouts = 70;
	s->txn.unreachable = 3;
	s->txn.pending_at_end = 7;
	s->txn.retransmits = 20;
	s->txn.stray[MX_STRAY_LATE] = 4;
	s->txn.stray[MX_STRAY_WRONG_SOURCE] = 1;
	s->lookup.lookups = 300;
	s->lookup.by_outcome[MX_O_ANSWER] = 250;
	s->lookup.by_outcome[MX_O_SERVFAIL] = 50;
	s->evicted_senders = 2;
	s->txn.evicted_pending = 5;
	s->evicted_total = 7;
	s->qtype_counts[MX_QS_MX] = 100;
	s->qtype_counts[MX_QS_AAAA] = 200;
	s->by_qtype_other = 9;

	struct mx_server_row *r = &f->res[0];
	r->addr = A4(192, 0, 2, 53);
	r->recursive = true;
	r->queries = 400;
	r->transactions = 380;
	r->answered = 300;
	r->timeouts = 70;
	r->unreachable = 3;
	r->pending = 7;
	r->rcodes[0] = 280;
	r->rcodes[2] = 17;
	r->rcodes[3] = 3;
	r->outcomes[MX_O_ANSWER] = 280;
	r->clients = MX_MODEL_DISTINCT_CAP + 1;
	r->latency.count = 300;
	r->latency.p50 = 1234;
	r->latency.p95 = 45678;
	r->latency.p99 = 1234567;
	r->latency.max = 2000000;
	r->first_us = T0;
	r->last_us = T0 + 1;
	r = &f->res[1];
	r->addr = A4(8, 8, 8, 8);
	r->recursive = true;
	r->queries = 5;
	r->transactions = 5;
	r->timeouts = 5;
	r->outcomes[MX_O_TIMEOUT] = 5;
	r->clients = 1;
	r = &f->auth[0];
	r->addr = A4(198, 51, 100, 1);
	r->queries = 10;
	r->answered = 10;
	r->rcodes[MX_RCODE_SLOTS - 1] = 10;
	s->resolvers = f->res;
	s->n_resolvers = 2;
	s->authoritatives = f->auth;
	s->n_authoritatives = 1;

	struct mx_sender_row *c = &f->snd[0];
	c->addr = A4(10, 0, 0, 25);
	c->queries = 500;
	c->lookups = 300;
	c->failed = 50;
	c->mx_lookups = 100;
	c->aaaa_lookups = 100;
	c->a_lookups = 90;
	c->other_lookups = 10;
	c->edns_queries = 500;
	c->do_queries = 0;
	c->resolvers = 2;
	s->senders = f->snd;
	s->n_senders = 1;

	struct mx_name_row *n = &f->fail[0];
	n->qname = hostile_name();
	n->qtype = MX_TYPE_AAAA;
	n->lookups = 12;
	n->failed = 12;
	n->outcomes[MX_O_SERVFAIL] = 10;
	n->outcomes[MX_O_TIMEOUT] = 2;
	n->last_outcome = MX_O_TIMEOUT;
	n->clients = 1;
	n->last_frame = 4242;
	n = &f->fail[1];
	n->qname = N("nx.example.net");
	n->qtype = MX_TYPE_MX;
	n->lookups = 1;
	n->failed = 1;
	n->outcomes[MX_O_NXDOMAIN] = 1;
	n->last_outcome = MX_O_NXDOMAIN;
	s->failing = f->fail;
	s->n_failing = 2;

	/* a lookup: UDP timeout to one resolver, then an answer from another */
	struct mx_lookup *l = &f->l1;
	l->client = A4(10, 0, 0, 25);
	l->qname = N("example.com");
	l->qtype = MX_TYPE_MX;
	l->qclass = 1;
	l->rd = true;
	l->q_edns = true;
	l->first_us = T0;
	l->last_us = T0 + 5012345;
	l->outcome = MX_O_ANSWER;
	l->attempts = 3;
	l->n_tries = 2;
	l->tries_total = 2;
	l->tries[0].q_frame = 1;
	l->tries[0].q_ts = T0;
	l->tries[0].server = A4(8, 8, 8, 8);
	l->tries[0].sport = 40000;
	l->tries[0].transport = MX_T_UDP;
	l->tries[0].outcome = MX_O_TIMEOUT;
	l->tries[0].sends = 2;
	l->tries[0].ede = 0xffff;
	l->tries[1].q_frame = 3;
	l->tries[1].r_frame = 4;
	l->tries[1].q_ts = T0 + 5000000;
	l->tries[1].server = A4(192, 0, 2, 53);
	l->tries[1].sport = 40001;
	l->tries[1].transport = MX_T_TCP;
	l->tries[1].outcome = MX_O_ANSWER;
	l->tries[1].rcode = 0;
	l->tries[1].ede = 3;
	l->tries[1].sends = 1;
	l->tries[1].latency_us = 12345;
	l->n_resolvers = 2;
	l->resolvers[0] = A4(8, 8, 8, 8);
	l->resolvers[1] = A4(192, 0, 2, 53);
	l->latency_us = 5012345;
	l->decided_frame = 4;
	l->failover = true;
	l->an_qtype = 2;
	l->ede = 0xffff;
	struct mx_dns_msg *a = &f->ans;
	a->n_mx = 2;
	a->mx_total = 2;
	a->mx[0].pref = 10;
	a->mx[0].exchange = N("mx1.example.com");
	a->mx[1].pref = 20;
	a->mx[1].exchange = N("mx2.example.com");
	a->n_cname = 1;
	a->cname[0] = N("alias.example.com");
	a->n_addr = 1;
	a->addr_total = 1;
	a->addr[0].addr = A4(203, 0, 113, 7);
	l->answer = a;

	/* a lookup with no answer, hostile name, negative TTL */
	l = &f->l2;
	l->client = A4(10, 0, 0, 25);
	l->qname = hostile_name();
	l->qtype = MX_TYPE_AAAA;
	l->qclass = 1;
	l->rd = true;
	l->first_us = T0;
	l->last_us = T0;
	l->outcome = MX_O_TIMEOUT;
	l->n_tries = 1;
	l->tries_total = 1;
	l->tries[0].q_frame = 9;
	l->tries[0].server = A4(8, 8, 8, 8);
	l->tries[0].transport = MX_T_UDP;
	l->tries[0].outcome = MX_O_TIMEOUT;
	l->tries[0].open = true;
	l->tries[0].ede = 0xffff;
	l->has_soa = true;
	l->neg_ttl = 300;
	l->ede = 0xffff;
	l->pending_at_end = true;

	struct mx_txn *t = &f->t1;
	t->kind = MX_TXN_ANSWERED;
	t->client = A4(10, 0, 0, 25);
	t->cport = 40001;
	t->server = A4(192, 0, 2, 53);
	t->sport = 53;
	t->transport = MX_T_UDP;
	t->id = 0xbeef;
	t->qname = N("example.com");
	t->qtype = MX_TYPE_MX;
	t->qclass = 1;
	t->rd = true;
	t->q_ts = T0;
	t->q_frame = 1;
	t->n_q_frames = 2;
	t->q_frames[0] = 1;
	t->q_frames[1] = 2;
	t->sends = 2;
	t->r_ts = T0 + 12345;
	t->r_frame = 4;
	t->latency_us = 12345;
	t->outcome = MX_O_ANSWER;
	t->ede = 0xffff;
	t->ra = true;
	t->r_size = 120;
	f->t2 = f->t1;
	f->t2.kind = MX_TXN_TIMEOUT;
	f->t2.outcome = MX_O_TIMEOUT;
	f->t2.r_frame = 0;
	f->t2.r_ts = 0;
	f->t2.latency_us = 0;
	fill_issue3(f);
}

/* Run one sink over the fixture into memory; returns malloc'd output. */
static char *render(const struct mx_sink_ops *ops, struct fixture *f, bool events, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	assert_non_null(mem);
	struct mx_sink *s = mx_sink_new(ops, mem);
	assert_non_null(s);
	mx_sink_lookup(s, &f->l1); /* before open: ignored */
	assert_int_equal(mx_sink_open(s), 0);
	if (events) {
		mx_sink_txn(s, &f->t1);
		mx_sink_lookup(s, &f->l1);
		mx_sink_chain(s, &f->ch[0]);
		mx_sink_txn(s, &f->t2);
		mx_sink_lookup(s, &f->l2);
		mx_sink_chain(s, &f->ch[1]);
	}
	assert_int_equal(mx_sink_close(s, &f->s), 0);
	assert_int_not_equal(mx_sink_close(s, &f->s), 0); /* once only */
	mx_sink_lookup(s, &f->l1);                       /* after close: ignored */
	mx_sink_chain(s, &f->ch[0]);
	mx_sink_free(s);
	fclose(mem);
	*len = n;
	return buf;
}

static struct fixture *fx(void)
{
	struct fixture *f = malloc(sizeof(*f));
	assert_non_null(f);
	fill(f);
	return f;
}

/* ---- helpers ---------------------------------------------------------- */

/* A try still waiting when another try decided its lookup (musl asks every
 * resolver at once; glibc fails over after its timeout) is no timeout seen:
 * its evidence row is "open" and says so, while a try that timed out keeps
 * "no response". */
static void evidence_open_try(void **state)
{
	(void)state;
	struct mx_lookup l;
	memset(&l, 0, sizeof l);
	assert_int_equal(mx_addr_parse("192.0.2.10", &l.client), 0);
	assert_int_equal(mx_dname_from_text("mx.example.test", &l.qname), 0);
	l.qtype = MX_TYPE_A;
	l.qclass = 1;
	l.rd = true;
	l.outcome = MX_O_ANSWER;
	l.n_tries = 3;
	l.first_us = 1000;
	l.last_us = 3000;
	for (unsigned i = 0; i < 3; i++) {
		struct mx_lookup_try *t = &l.tries[i];
		t->q_ts = 1000 + i;
		t->q_frame = 1 + i;
		t->ede = 0xffff;
		t->outcome = MX_O_TIMEOUT;
		assert_int_equal(mx_addr_parse(i == 2 ? "192.0.2.53" : "192.0.2.55", &t->server), 0);
	}
	l.tries[0].open = false;          /* timed out */
	l.tries[1].open = true;           /* still waiting at the end */
	l.tries[2].outcome = MX_O_ANSWER; /* decided it */
	l.tries[2].r_frame = 9;
	l.tries[2].latency_us = 200;
	l.decided_frame = 9;
	struct mx_finding f;
	mx_finding_init(&f, "TEST", MX_SEV_INFO);
	mx_finding_add_lookup(&f, &l);
	assert_int_equal(f.n_evidence, 4);
	char buf[128];
	assert_false(f.evidence[0].open);
	assert_string_equal(mx_sk_evidence_answer(&f.evidence[0], buf, sizeof buf), "(query, no response)");
	assert_true(f.evidence[1].open);
	assert_int_equal(f.evidence[1].outcome, MX_O_TIMEOUT);
	assert_string_equal(mx_sk_evidence_answer(&f.evidence[1], buf, sizeof buf),
			    "(query, no response before the lookup ended)");
	assert_false(f.evidence[2].open);
	assert_string_equal(mx_sk_evidence_answer(&f.evidence[2], buf, sizeof buf), "(query)");
}

static void helpers(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(mx_fmt_time(T0, b, sizeof b), "2026-11-24T09:40:01.123456Z");
	assert_string_equal(mx_fmt_time(0, b, sizeof b), "1970-01-01T00:00:00.000000Z");
	assert_string_equal(mx_fmt_time(951868799000001ULL, b, sizeof b),
			    "2000-02-29T23:59:59.000001Z");
	assert_string_equal(mx_fmt_ms(12345, b, sizeof b), "12.345");
	assert_string_equal(mx_fmt_ms(5, b, sizeof b), "0.005");
	assert_string_equal(mx_fmt_ms(0, b, sizeof b), "0.000");
	assert_string_equal(mx_fmt_ms(1000000, b, sizeof b), "1000.000");
	char small[8];
	mx_fmt_time(T0, small, sizeof small); /* truncates, stays terminated */
	assert_int_equal(strlen(small), 7);

	char *out = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&out, &n);
	assert_non_null(mem);
	mx_json_str(mem, "a\"b\\c\n\t\r\b\f\x01\x1f\x7f \xc3\xa9 \xff \xe2\x82 \xf0\x9f\x98\x80");
	fputc(' ', mem);
	mx_json_str(mem, NULL);
	fputc(' ', mem);
	mx_json_str(mem, "");
	fclose(mem);
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f \xc3\xa9 "
				 "\\ufffd \\ufffd\\ufffd \xf0\x9f\x98\x80\" null \"\"");
	free(out);
}

static void table(void **state)
{
	(void)state;
	size_t k = 0;
	while (mx_sinks[k])
		k++;
	assert_int_equal(k, 4);
	assert_ptr_equal(mx_sink_find("text"), &mx_sink_text);
	assert_ptr_equal(mx_sink_find("json"), &mx_sink_json);
	assert_ptr_equal(mx_sink_find("ndjson"), &mx_sink_ndjson);
	assert_ptr_equal(mx_sink_find("md"), &mx_sink_md);
	assert_null(mx_sink_find("JSON"));
	assert_null(mx_sink_find("markdown"));
	assert_null(mx_sink_find(NULL));
	for (k = 0; mx_sinks[k]; k++) {
		assert_non_null(mx_sinks[k]->summary);
		assert_non_null(mx_sinks[k]->open);
		assert_non_null(mx_sinks[k]->close);
	}
	assert_null(mx_sink_new(&mx_sink_json, NULL));
	mx_sink_free(NULL);
}

/* ---- json ------------------------------------------------------------- */

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing: %s", needle);
}

static void json_document(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_json, f, true, &n);
	assert_true(json_valid(out, n, '{'));
	assert_int_equal(strlen(out), n); /* no NUL inside */
	assert_int_equal(out[n - 1], '\n');
	const char *keys[] = {
		"{\"version\":1,\"lookups\":[\n{", "\"source\":", "\"filter\":\"udp port 53\"",
		"\"stats\":{", "\"packets\":1000", "\"dns_messages\":900", "\"queries\":500",
		"\"responses\":400", "\"malformed\":2", "\"truncated\":1", "\"not_dns\":0",
		"\"unanswered\":70", "\"evicted\":7", "\"pending_at_end\":7", "\"late\":4",
		"\"duplicate\":0", "\"unsolicited\":0", "\"wrong_source\":1",
		"\"unreachable\":3", "\"retransmits\":20", "\"transactions\":480",
		"\"lookups\":300", "\"first_seen\":\"2026-11-24T09:40:01.123456Z\"",
		"\"last_seen\":\"2026-11-24T09:41:02.623456Z\"", "\"duration_s\":61.500000",
		"\"decode\":{", "\"evictions\":{", "\"senders\":2", "\"pending_queries\":5",
		"\"capture\":{", "\"qtypes\":{\"A\":0,\"AAAA\":200,\"MX\":100",
		"\"other_known\":0,\"HTTPS\":0,\"other\":9}",
		"\"lookup_outcomes\":{\"ANSWER\":250,\"SERVFAIL\":50}",
		"\"resolvers\":[\n{\"address\":\"192.0.2.53\"",
		"\"latency_ms\":{\"count\":300,\"p50\":1.234,\"p95\":45.678,\"p99\":1234.567,"
		"\"max\":2000.000}",
		"\"rcodes\":{\"NOERROR\":280,\"SERVFAIL\":17,\"NXDOMAIN\":3}",
		"\"clients\":64,\"clients_capped\":true",
		"{\"address\":\"8.8.8.8\"", "\"latency_ms\":null,\"rcodes\":{}",
		"\"authoritatives\":[\n{\"address\":\"198.51.100.1\"", "\"rcodes\":{\"other\":10}",
		"\"senders\":[\n{\"address\":\"10.0.0.25\"", "\"failed\":50",
		"\"resolvers\":2,\"resolvers_capped\":false",
		"\"failing_names\":[\n{\"qname\":",
		"\"last_outcome\":\"TIMEOUT\"", "\"frame\":4242",
		"\"outcomes\":{\"SERVFAIL\":10,\"TIMEOUT\":2}",
		/* lookup 1 */
		"\"client\":\"10.0.0.25\",\"qname\":\"example.com.\",\"qtype\":\"MX\","
		"\"qclass\":\"IN\",\"outcome\":\"ANSWER\"",
		"\"latency_ms\":5012.345", "\"decided_frame\":4", "\"attempts\":3",
		"\"failover\":true", "\"tcp_retry\":false", "\"evicted\":false",
		"\"resolvers\":[\"8.8.8.8\",\"192.0.2.53\"]",
		"\"tries\":[{\"server\":\"8.8.8.8\",\"transport\":\"udp\",\"sport\":40000,"
		"\"outcome\":\"TIMEOUT\",\"open\":false,\"tc\":false,\"rcode\":null,\"ede\":null,"
		"\"latency_ms\":null,\"sends\":2",
		"\"frames\":[1]}",
		"{\"server\":\"192.0.2.53\",\"transport\":\"tcp\",\"sport\":40001,"
		"\"outcome\":\"ANSWER\",\"open\":false,\"tc\":false,\"rcode\":\"NOERROR\","
		"\"ede\":3,\"latency_ms\":12.345,\"sends\":1",
		"\"frames\":[3,4]}]", "\"frames\":[1,3,4]",
		"\"answers\":{\"count\":2}",
		"\"mx\":[{\"preference\":10,\"exchange\":\"mx1.example.com.\"},"
		"{\"preference\":20,\"exchange\":\"mx2.example.com.\"}]",
		"\"addresses\":[\"203.0.113.7\"]", "\"cname\":[\"alias.example.com.\"]",
		/* lookup 2 */
		"\"latency_ms\":null,\"decided_frame\":null", "\"pending_at_end\":true",
		"\"open\":true", "\"answers\":{\"count\":0,\"neg_ttl\":300}",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		assert_has(out, keys[i]);
	/* hostile bytes: the name is escaped by mx_dname_format, then for JSON */
	assert_has(out, "\"qname\":\"a\\\\\\\"\\\\010\\\\255b.example.\"");
	assert_has(out, "\"source\":\"file \\\"x\\\"\\\\y\\n\\u0001\\ufffd \xc3\xa9.pcap\"");
	/* transactions are not part of the JSON document */
	assert_null(strstr(out, "\"kind\""));
	/* two lookups streamed, one per line */
	assert_non_null(strstr(out, "\n{\"client\""));
	const char *second = strstr(strstr(out, "\n{\"client\"") + 1, "\n{\"client\"");
	assert_non_null(second);
	assert_null(strstr(second + 1, "\n{\"client\""));

	/* deterministic, also under another time zone */
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	size_t n2;
	char *again = render(&mx_sink_json, f, true, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	unsetenv("TZ");
	tzset();
	free(again);
	free(out);
	free(f);
}

static void json_empty(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	memset(&f->s, 0, sizeof f->s);
	char *out = render(&mx_sink_json, f, false, &n);
	assert_true(json_valid(out, n, '{'));
	assert_has(out, "{\"version\":1,\"lookups\":[],");
	assert_has(out, "\"resolvers\":[]");
	assert_has(out, "\"authoritatives\":[]");
	assert_has(out, "\"senders\":[]");
	assert_has(out, "\"failing_names\":[]");
	assert_has(out, "\"first_seen\":null,\"last_seen\":null,\"duration_s\":0.000000");
	assert_has(out, "\"source\":\"\"");
	free(out);
	free(f);
}

/* ---- ndjson ----------------------------------------------------------- */

/* A response's EDE EXTRA-TEXT (RFC 8914 §2) goes into the transaction's and
 * the lookup's ede_text (lent by lookup.c), JSON-escaped; none: null. */
static void ndjson_ede_text(void **state)
{
	(void)state;
	struct fixture *f = fx();
	static struct mx_dns_msg m;
	memset(&m, 0, sizeof m);
	m.has_ede = true;
	m.ede_code = 7;
	snprintf(m.ede_text, sizeof m.ede_text, "signature \"expired\" from 10.53.0.5");
	f->t1.ede = 7;
	f->t1.resp = &m;
	f->l1.ede = 7;
	f->l1.ede_text = m.ede_text; /* lookup.c lends the text it kept */
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	assert_non_null(mem);
	struct mx_sink *s = mx_sink_new(&mx_sink_ndjson, mem);
	assert_non_null(s);
	assert_int_equal(mx_sink_open(s), 0);
	mx_sink_txn(s, &f->t1);
	mx_sink_lookup(s, &f->l1);
	f->l1.ede_text = NULL; /* the deciding response had no text */
	mx_sink_lookup(s, &f->l1);
	assert_int_equal(mx_sink_close(s, &f->s), 0);
	mx_sink_free(s);
	fclose(mem);
	assert_has(buf, "\"ede\":7,\"ede_text\":\"signature \\\"expired\\\" from 10.53.0.5\",\"latency_ms\":12.345");
	const char *l1 = strstr(buf, "{\"type\":\"lookup\"");
	assert_non_null(l1);
	assert_non_null(strstr(l1, "\"ede\":7,\"ede_text\":\"signature \\\"expired\\\" from 10.53.0.5\",\"attempts\""));
	const char *l2 = strstr(l1 + 1, "{\"type\":\"lookup\"");
	assert_non_null(l2);
	assert_non_null(strstr(l2, "\"ede\":7,\"ede_text\":null,\"attempts\""));
	free(buf);
	free(f);
}

static void ndjson_lines(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_ndjson, f, true, &n);
	const char *want[] = { "transaction", "lookup", "chain", "transaction", "lookup", "chain",
			       "stats", "finding", "finding", "domain", "domain", "resolver",
			       "resolver", "authoritative", "sender", "failing_name",
			       "failing_name" };
	size_t nl = 0;
	char *p = out;
	assert_int_equal(out[n - 1], '\n');
	while (p < out + n) {
		char *e = memchr(p, '\n', (size_t)(out + n - p));
		assert_non_null(e);
		assert_true(nl < sizeof want / sizeof want[0]);
		assert_true(json_valid(p, (size_t)(e - p), '{'));
		char pre[64];
		snprintf(pre, sizeof pre, "{\"type\":\"%s\",", want[nl]);
		assert_memory_equal(p, pre, strlen(pre));
		nl++;
		p = e + 1;
	}
	assert_int_equal(nl, sizeof want / sizeof want[0]);
	assert_has(out, "{\"type\":\"transaction\",\"ts\":\"2026-11-24T09:40:01.123456Z\","
			"\"client\":\"10.0.0.25\",\"cport\":40001,\"server\":\"192.0.2.53\","
			"\"sport\":53,\"transport\":\"udp\",\"id\":48879,"
			"\"qname\":\"example.com.\",\"qtype\":\"MX\",\"qclass\":\"IN\"");
	assert_has(out, "\"outcome\":\"ANSWER\",\"rcode\":\"NOERROR\",\"ede\":null,"
			"\"ede_text\":null,\"latency_ms\":12.345");
	assert_has(out, "\"q_frame\":1,\"q_frames\":[1,2],\"r_frame\":4,"
			"\"r_ts\":\"2026-11-24T09:40:01.135801Z\"}");
	assert_has(out, "\"outcome\":\"TIMEOUT\",\"rcode\":null,\"ede\":null,\"ede_text\":null,"
			"\"latency_ms\":null");
	assert_has(out, "\"r_frame\":null,\"r_ts\":null}");
	assert_has(out, "{\"type\":\"stats\",\"version\":1,\"source\":");
	assert_has(out, "{\"type\":\"lookup\",\"client\":\"10.0.0.25\",\"qname\":\"example.com.\"");
	assert_has(out, "\"mx\":[{\"preference\":10,\"exchange\":\"mx1.example.com.\"}");
	/* the open transaction callback is not a finished transaction */
	char *buf = NULL;
	size_t bn = 0;
	FILE *mem = open_memstream(&buf, &bn);
	struct mx_sink *s = mx_sink_new(&mx_sink_ndjson, mem);
	assert_int_equal(mx_sink_open(s), 0);
	struct mx_txn t = f->t1;
	t.kind = MX_TXN_OPEN;
	mx_sink_txn(s, &t);
	fflush(mem);
	assert_int_equal(bn, 0);
	mx_sink_txn(s, &f->t1);
	fflush(mem);
	assert_true(bn > 0); /* written (and flushed) at once */
	mx_sink_free(s);
	fclose(mem);
	free(buf);
	free(out);
	free(f);
}

/* ---- text ------------------------------------------------------------- */

static const char *line_with(const char *text, const char *needle, char *line, size_t n)
{
	const char *p = strstr(text, needle);
	if (!p)
		return NULL;
	while (p > text && p[-1] != '\n')
		p--;
	const char *e = strchr(p, '\n');
	size_t l = e ? (size_t)(e - p) : strlen(p);
	if (l >= n)
		l = n - 1;
	memcpy(line, p, l);
	line[l] = '\0';
	return line;
}

static void text_report(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_text, f, true, &n);
	char l1[512], l2[512], l3[512];
	assert_true(strncmp(out, "Findings (2)\n", 13) == 0);
	assert_has(out, "\n\nCapture\n");
	assert_has(out, "\nResolvers (2)\n");
	assert_has(out, "\nAuthoritative servers (1)\n");
	assert_has(out, "\nSenders (1)\n");
	assert_has(out, "\nTop failing names (2)\n");
	assert_has(out, "2026-11-24T09:40:01.123456Z");
	assert_has(out, "61.500000 s");
	char want[128];
	snprintf(want, sizeof want, "%s 77 (%s)", mx_decode_reason_name(MX_R_OTHER_PORT),
		 mx_verdict_name(MX_V_NOT_DNS));
	assert_has(out, want);
	snprintf(want, sizeof want, "%s 5 (%s)", mx_decode_reason_name(MX_R_SHORT_DNS),
		 mx_verdict_name(MX_V_TRUNCATED));
	assert_has(out, want);
	snprintf(want, sizeof want, "%s 900", mx_decode_reason_name(MX_R_DNS));
	assert_null(strstr(out, want)); /* OK reasons are not problems */
	assert_has(out, "senders 2");
	assert_has(out, "pending queries 5");
	assert_has(out, "total 7");
	assert_has(out, "AAAA 200, MX 100, other 9");
	assert_non_null(line_with(out, "  lookups  ", l1, sizeof l1));
	assert_has(l1, " 300 (ANSWER 250 SERVFAIL 50)");
	/* control bytes of a file name do not reach the terminal */
	assert_has(out, "file \"x\"\\x5cy\\x0a\\x01\\xff \\xc3\\xa9.pcap\n");
	assert_null(strstr(out, "pcap drops")); /* not live */
	/* resolvers: header and rows aligned, rcode mix, percentages, latency */
	assert_non_null(line_with(strstr(out, "\nResolvers (2)\n"), "  address", l1, sizeof l1));
	assert_non_null(line_with(out, "192.0.2.53", l2, sizeof l2));
	assert_non_null(line_with(out, "  8.8.8.8", l3, sizeof l3));
	assert_has(l2, "NOERROR 280 SERVFAIL 17 NXDOMAIN 3");
	assert_has(l2, " 80.4% "); /* 300 / (300 + 70 + 3) */
	assert_has(l2, "1.234");
	assert_has(l2, "1234.567");
	assert_has(l2, ">64");
	assert_has(l3, "0.0%");
	size_t col = (size_t)(strstr(l1, "rcodes") - l1);
	assert_int_equal((size_t)(strstr(l2, "NOERROR") - l2), col);
	assert_int_equal(strlen(l3), col + 1); /* "-": no rcodes */
	/* right-aligned numbers: "queries" ends where the numbers end */
	size_t qend = (size_t)(strstr(l1, "queries") - l1) + strlen("queries");
	assert_true(qend <= strlen(l2));
	assert_memory_equal(l2 + qend - 3, "400", 3);
	assert_memory_equal(l3 + qend - 2, " 5", 2);
	/* failing names: the hostile name in presentation form */
	assert_has(out, "a\\\"\\010\\255b.example.");
	assert_has(out, "nx.example.net.");
	assert_has(out, "SERVFAIL 10 TIMEOUT 2");
	assert_has(out, "4242");
	/* no trailing blanks anywhere */
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		if (p > out)
			assert_true(p[-1] != ' ');
	/* deterministic */
	size_t n2;
	char *again = render(&mx_sink_text, f, false, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	free(again);
	free(out);

	/* empty sections say none; no authoritatives section; live drops */
	memset(&f->s, 0, sizeof f->s);
	f->s.live = true;
	f->s.capture.ps_drop = 11;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "\nResolvers (0)\n  none\n");
	assert_null(strstr(out, "Authoritative"));
	assert_has(out, "\nSenders (0)\n  none\n");
	assert_has(out, "\nTop failing names (0)\n  none\n");
	assert_has(out, "none (no packets)");
	assert_has(out, "pcap drops");
	assert_has(out, "11 dropped");
	assert_non_null(line_with(out, "decode problems", l1, sizeof l1));
	assert_has(l1, "none");
	assert_non_null(line_with(out, "evictions", l1, sizeof l1));
	assert_has(l1, "none");
	free(out);
	free(f);
}

/* ---- findings and chains: member names and types ---------------------- */

/* The type of the JSON value at p: 's', 'n', 'b', 'z' (null), 'a', 'o'. */
static char j_kind(const char *p)
{
	switch (*p) {
	case '"': return 's';
	case 't': case 'f': return 'b';
	case 'n': return 'z';
	case '[': return 'a';
	case '{': return 'o';
	default: return 'n';
	}
}

struct member {
	char name[40];
	char kind;
	const char *val;
};

/* Members of the object at *p (which must be valid JSON), in order. */
static size_t j_members(const char *p, const char *end, struct member *m, size_t max)
{
	struct jp j = { p, end, 0 };
	size_t n = 0;
	assert_int_equal(*j.p, '{');
	j.p++;
	for (;;) {
		j_ws(&j);
		if (*j.p == '}')
			return n;
		const char *k = j.p + 1;
		assert_true(j_string(&j));
		assert_true(n < max);
		size_t kl = (size_t)(j.p - 1 - k);
		assert_true(kl < sizeof m[n].name);
		memcpy(m[n].name, k, kl);
		m[n].name[kl] = '\0';
		j_ws(&j);
		assert_int_equal(*j.p++, ':');
		j_ws(&j);
		m[n].kind = j_kind(j.p);
		m[n].val = j.p;
		assert_true(j_value(&j));
		n++;
		j_ws(&j);
		if (*j.p == ',')
			j.p++;
	}
}

/* Check an object's members against "name:kinds" specs, in order (kinds:
 * any of s n b z a o). */
static void check_members(const char *obj, const char *end, const char *const *spec, size_t nspec,
			  const char *skip_first)
{
	struct member m[48];
	size_t n = j_members(obj, end, m, 48), off = 0;
	if (skip_first) {
		assert_string_equal(m[0].name, skip_first);
		off = 1;
	}
	if (n - off != nspec)
		fail_msg("%zu members, want %zu", n - off, nspec);
	for (size_t i = 0; i < nspec; i++) {
		const char *colon = strchr(spec[i], ':');
		char name[40];
		memcpy(name, spec[i], (size_t)(colon - spec[i]));
		name[colon - spec[i]] = '\0';
		if (strcmp(m[i + off].name, name) != 0)
			fail_msg("member %zu is %s, want %s", i, m[i + off].name, name);
		if (!strchr(colon + 1, m[i + off].kind))
			fail_msg("member %s has type %c, want one of %s", name, m[i + off].kind, colon + 1);
	}
}

static const char *const finding_spec[] = {
	"pattern:s", "severity:s", "title:sz", "sender:sz", "resolvers:a", "domain:sz", "host:sz",
	"qtype:sz", "first_seen:sz", "last_seen:sz", "count:n", "attempts:n", "single_attempt:b", "recovered:oz", "server_role:s",
	"frames:a", "detail:s", "smtp_status:sz", "cause:sz", "fix:sz", "verify:a", "evidence:a",
};
static const char *const evidence_spec[] = {
	"frame:n", "time:s", "from:sz", "to:sz", "response:b", "qname:sz", "qtype:s",
	"outcome:s", "rcode:sz", "ede:nz", "latency_ms:nz", "late:b", "open:b", "answer:sz",
};
static const char *const chain_spec[] = {
	"sender:s", "domain:s", "attempt:n", "prev_start:sz", "new_delivery:b", "start:s", "end:s", "verdict:s",
	"why:s", "cut_short:b", "evicted:b", "connected:b", "connected_to:sz", "connected_port:nz", "syn_frame:nz", "syn_other:n",
	"mx:o", "mx_total:n", "search_lookups:n", "null_mx:b", "null_mx_mixed:b", "relay:b", "soa:sz", "neg_ttl:nz",
	"hosts_total:n", "hosts:a",
};
static const char *const host_spec[] = {
	"name:s", "preference:n", "implicit:b", "ip_literal:b", "cname:sz", "cname_loop:b",
	"first_family:sz", "a:o", "aaaa:o", "tlsa:o", "addresses:a", "connected:b",
};
static const char *const step_spec[] = {
	"asked:b", "outcome:sz", "rcode:sz", "ede:nz", "lookups:n", "attempts:n",
	"first_seen:sz", "last_seen:sz", "latency_ms:nz", "timeouts:b", "tcp:sz", "resolvers:a", "frames:a",
};
static const char *const domain_spec[] = {
	"domain:s", "relay:b", "chains:n", "resolved:n", "deferred:n", "failed:n", "incomplete:n",
	"senders:n", "senders_capped:b", "max_attempt:n", "last_verdict:sz", "last_why:sz",
	"first_seen:sz", "last_seen:sz",
};

#define SPEC(a) (a), sizeof(a) / sizeof((a)[0])

/* The value of member `name` of the object at obj. */
static const char *member_val(const char *obj, const char *end, const char *name, char *kind)
{
	struct member m[48];
	size_t n = j_members(obj, end, m, 48);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0) {
			if (kind)
				*kind = m[i].kind;
			return m[i].val;
		}
	fail_msg("no member %s", name);
	return NULL;
}

/* Elements of the array at p. */
static size_t j_elems(const char *p, const char *end, const char **el, size_t max)
{
	struct jp j = { p, end, 0 };
	size_t n = 0;
	assert_int_equal(*j.p, '[');
	j.p++;
	for (;;) {
		j_ws(&j);
		if (*j.p == ']')
			return n;
		assert_true(n < max);
		el[n++] = j.p;
		assert_true(j_value(&j));
		j_ws(&j);
		if (*j.p == ',')
			j.p++;
	}
}

static void check_chain(const char *obj, const char *end, const char *skip)
{
	const char *hosts[8], *v;
	check_members(obj, end, SPEC(chain_spec), skip);
	check_members(member_val(obj, end, "mx", NULL), end, SPEC(step_spec), NULL);
	size_t nh = j_elems(member_val(obj, end, "hosts", NULL), end, hosts, 8);
	assert_int_equal(nh, 1);
	check_members(hosts[0], end, SPEC(host_spec), NULL);
	v = member_val(hosts[0], end, "aaaa", NULL);
	check_members(v, end, SPEC(step_spec), NULL);
	check_members(member_val(hosts[0], end, "tlsa", NULL), end, SPEC(step_spec), NULL);
}

static void check_finding(const char *obj, const char *end, const char *skip)
{
	const char *ev[16];
	check_members(obj, end, SPEC(finding_spec), skip);
	size_t n = j_elems(member_val(obj, end, "evidence", NULL), end, ev, 16);
	for (size_t i = 0; i < n; i++)
		check_members(ev[i], end, SPEC(evidence_spec), NULL);
}

static void json_findings_chains(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_json, f, true, &n);
	const char *end = out + n;
	const char *el[16];
	assert_true(json_valid(out, n, '{'));

	/* top-level order */
	const char *top[] = { "\"lookups\":[", "\"findings\":[", "\"chains\":[", "\"chains_omitted\":",
			      "\"source\":", "\"stats\":{", "\"domains\":[", "\"resolvers\":[",
			      "\"authoritatives\":[", "\"senders\":[", "\"failing_names\":[" };
	const char *prev = out;
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		const char *p = strstr(prev, top[i]);
		if (!p)
			fail_msg("missing or out of order: %s", top[i]);
		prev = p;
	}

	/* findings: every name typed right; values of the CRIT one */
	const char *fa = strchr(strstr(out, "\"findings\":["), '[');
	assert_int_equal(j_elems(fa, end, el, 16), 2);
	check_finding(el[0], end, NULL);
	check_finding(el[1], end, NULL);
	assert_has(out, "{\"pattern\":\"AAAA_SERVFAIL_LOOP\",\"severity\":\"crit\","
			"\"title\":\"AAAA-first sender gets a failure for AAAA and never asks A\","
			"\"sender\":\"192.0.2.10\",\"resolvers\":[\"198.51.100.53\"],"
			"\"domain\":\"example.test.\",\"host\":\"mx1.example.test.\",\"qtype\":\"AAAA\","
			"\"first_seen\":\"2026-11-24T09:40:01.123456Z\","
			"\"last_seen\":\"2026-11-24T09:45:01.623456Z\",\"count\":3,\"attempts\":2,"
			"\"single_attempt\":false,\"recovered\":null,\"server_role\":\"resolver\",\"frames\":[1,3,4],");
	assert_has(out, "\"smtp_status\":\"most likely: Exchange 2007/2010 \\\"451 4.4.0 DNS query "
			"failed\\\"; others 4.4.3\"");
	assert_has(out, "\"fix\":\"recipient: make every authoritative server answer AAAA with "
			"NOERROR/NODATA (RFC 4074 \xc2\xa7" "3).");
	assert_has(out, "\"verify\":[\"dig AAAA mx1.example.test. @198.51.100.53\","
			"\"dig +norec AAAA mx1.example.test. @<each NS of example.test.>\"]");
	assert_has(out, "{\"frame\":3,\"time\":\"2026-11-24T09:40:01.144456Z\",\"from\":\"192.0.2.10\","
			"\"to\":\"198.51.100.53\",\"response\":false,\"qname\":\"mx1.example.test.\","
			"\"qtype\":\"AAAA\",\"outcome\":\"SERVFAIL\",\"rcode\":null,\"ede\":null,"
			"\"latency_ms\":null,\"late\":false,\"open\":false,\"answer\":null}");
	assert_has(out, "\"response\":true,\"qname\":\"mx1.example.test.\",\"qtype\":\"AAAA\","
			"\"outcome\":\"SERVFAIL\",\"rcode\":\"SERVFAIL\",\"ede\":22,\"latency_ms\":500.000,"
			"\"late\":false,\"open\":false,\"answer\":null}");
	assert_has(out, "\"answer\":\"MX 10 a|b.example.test.\"}");
	/* the INFO finding: absent values are null, arrays empty */
	assert_has(out, "{\"pattern\":\"QUERY_VOLUME\",\"severity\":\"info\",\"title\":\"note: many "
			"queries\",\"sender\":null,\"resolvers\":[],\"domain\":null,\"host\":null,"
			"\"qtype\":null,\"first_seen\":null,\"last_seen\":null,\"count\":1,\"attempts\":0,"
			"\"single_attempt\":true,\"recovered\":null,\"server_role\":\"resolver\",\"frames\":[],\"detail\":\"\",\"smtp_status\":null,"
			"\"cause\":null,\"fix\":null,\"verify\":[],\"evidence\":[]}");

	/* chains: streamed in closing order, one per line */
	const char *ca = strchr(strstr(out, "\"chains\":["), '[');
	assert_int_equal(j_elems(ca, end, el, 16), 2);
	check_chain(el[0], end, NULL);
	check_chain(el[1], end, NULL);
	assert_has(out, "\"chains\":[\n{\"sender\":\"192.0.2.10\",\"domain\":\"example.test.\","
			"\"attempt\":2,\"prev_start\":\"2026-11-24T09:40:01.123456Z\",\"new_delivery\":false,"
			"\"start\":\"2026-11-24T09:45:01.123456Z\",\"end\":\"2026-11-24T09:45:01.723456Z\","
			"\"verdict\":\"deferred\",\"why\":\"address lookups failed temporarily and none "
			"answered\",\"cut_short\":false,\"evicted\":false,\"connected\":false,\"connected_to\":null,"
			"\"connected_port\":null,\"syn_frame\":null,\"syn_other\":0,\"mx\":{\"asked\":true,\"outcome\":\"ANSWER\","
			"\"rcode\":\"NOERROR\",\"ede\":null,\"lookups\":1,\"attempts\":1,");
	assert_has(out, "\"first_family\":\"AAAA\",\"a\":{\"asked\":false,\"outcome\":null,"
			"\"rcode\":null,\"ede\":null,\"lookups\":0,\"attempts\":0,\"first_seen\":null,"
			"\"last_seen\":null,\"latency_ms\":null,\"timeouts\":false,\"tcp\":null,\"resolvers\":[],"
			"\"frames\":[]},\"aaaa\":{\"asked\":true,\"outcome\":\"SERVFAIL\","
			"\"rcode\":\"SERVFAIL\",\"ede\":22,\"lookups\":1,\"attempts\":3,");
	assert_has(out, "\"latency_ms\":500.000,\"timeouts\":false,\"tcp\":null,\"resolvers\":[\"198.51.100.53\"],"
			"\"frames\":[3,4]}");
	assert_has(out, "},\n{\"sender\":\"192.0.2.10\",\"domain\":\"ok.test.\",\"attempt\":1,"
			"\"prev_start\":null,");
	assert_has(out, "\"cut_short\":true,\"evicted\":false,\"connected\":true,\"connected_to\":\"203.0.113.25\","
			"\"connected_port\":25,\"syn_frame\":26,");
	assert_has(out, "\"soa\":\"ok.test.\",\"neg_ttl\":300,\"hosts_total\":1,\"hosts\":[{"
			"\"name\":\"ok.test.\",\"preference\":0,\"implicit\":true,\"ip_literal\":false,"
			"\"cname\":null,\"cname_loop\":false,\"first_family\":\"A\",");
	assert_has(out, "\"addresses\":[\"203.0.113.25\"],\"connected\":true}]}");
	/* stats: chains streamed 2, the model closed 5 */
	assert_has(out, "\"chains_omitted\":3,\n");

	/* domains, sender fingerprint, stats */
	const char *da = strchr(strstr(out, "\"domains\":["), '[');
	assert_int_equal(j_elems(da, end, el, 16), 2);
	check_members(el[0], end, SPEC(domain_spec), NULL);
	assert_has(out, "\"domains\":[\n{\"domain\":\"example.test.\",\"relay\":false,\"chains\":3,\"resolved\":0,"
			"\"deferred\":3,\"failed\":0,\"incomplete\":0,\"senders\":1,"
			"\"senders_capped\":false,\"max_attempt\":3,\"last_verdict\":\"deferred\",");
	assert_has(out, "\"senders\":64,\"senders_capped\":true");
	assert_has(out, "\"chains\":5,\"chains_deferred\":3,\"chains_failed\":0,"
			"\"hosts_aaaa_first\":4,\"hosts_a_first\":0,\"hosts_parallel\":0,\"hosts_a_only\":0,\"hosts_aaaa_only\":0,"
			"\"family_order\":\"AAAA-first\",\"forwarded_lookups\":0,\"forwards_for\":null,\"aaaa_failures\":3,\"aaaa_failures_then_a\":0,"
			"\"fallback\":\"never asks A\",\"retry_gaps\":2,\"retry_gap_min_s\":300.000000,"
			"\"retry_gap_mean_s\":450.000000,\"multi_send_lookups\":0,\"stub\":null,\"any_lookups\":0}");
	assert_has(out, "\"chains\":{\"chains\":5,\"resolved\":2,\"deferred\":3,\"failed\":0,"
			"\"incomplete\":0,\"evicted\":0,\"history_evicted\":0,\"lookups_joined\":0,"
			"\"syns\":1,\"relay_syns\":0},\"findings\":2,\"findings_evicted\":4,"
			"\"findings_evicted_by\":{\"MX_NXDOMAIN\":3,\"SLOW_CHAIN\":1},\"input_truncated\":false,"
			"\"input_error\":null}");
	assert_has(out, "\"domains\":1,\"open_chains\":0,\"chain_history\":0,\"findings\":4}");
	free(out);

	/* without streamed chains, the snapshot's are listed */
	out = render(&mx_sink_json, f, false, &n);
	assert_true(json_valid(out, n, '{'));
	ca = strchr(strstr(out, "\"chains\":["), '[');
	assert_int_equal(j_elems(ca, out + n, el, 16), 2);
	assert_has(out, "\"chains_omitted\":3,\n");
	free(out);

	/* input cut off: flagged with its message */
	f->s.input_truncated = true;
	snprintf(f->s.input_error, sizeof f->s.input_error, "truncated \"record\"");
	out = render(&mx_sink_json, f, false, &n);
	assert_true(json_valid(out, n, '{'));
	assert_has(out, "\"input_truncated\":true,\"input_error\":\"truncated \\\"record\\\"\"}");
	free(out);
	free(f);
}

/* Many chains stream through the temporary file into one valid document. */
static void json_many_chains(void **state)
{
	(void)state;
	struct fixture *f = fx();
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	struct mx_sink *s = mx_sink_new(&mx_sink_json, mem);
	assert_int_equal(mx_sink_open(s), 0);
	for (unsigned i = 0; i < 3000; i++) {
		f->ch[0].attempt = i + 1;
		mx_sink_chain(s, &f->ch[i % 2]);
		if (i % 100 == 0)
			mx_sink_lookup(s, &f->l1);
	}
	f->s.chain.chains = 3000;
	assert_int_equal(mx_sink_close(s, &f->s), 0);
	mx_sink_free(s);
	fclose(mem);
	assert_true(json_valid(buf, n, '{'));
	assert_has(buf, "\"chains_omitted\":0,\n");
	const char *ca = strchr(strstr(buf, "\"chains\":["), '[');
	static const char *el[3001];
	assert_int_equal(j_elems(ca, buf + n, el, 3001), 3000);
	assert_has(buf, "\"attempt\":2999,");
	free(buf);
	free(f);
}

static void ndjson_findings_chains(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_ndjson, f, true, &n);
	size_t chains = 0, findings = 0, domains = 0;
	for (char *p = out; p < out + n;) {
		char *e = memchr(p, '\n', (size_t)(out + n - p));
		assert_non_null(e);
		assert_true(json_valid(p, (size_t)(e - p), '{'));
		if (strncmp(p, "{\"type\":\"chain\",", 16) == 0) {
			check_chain(p, e, "type");
			chains++;
		} else if (strncmp(p, "{\"type\":\"finding\",", 18) == 0) {
			check_finding(p, e, "type");
			findings++;
		} else if (strncmp(p, "{\"type\":\"domain\",", 17) == 0) {
			check_members(p, e, SPEC(domain_spec), "type");
			domains++;
		}
		p = e + 1;
	}
	assert_int_equal(chains, 2);
	assert_int_equal(findings, 2);
	assert_int_equal(domains, 2);
	assert_has(out, "{\"type\":\"finding\",\"pattern\":\"AAAA_SERVFAIL_LOOP\",\"severity\":\"crit\",");
	assert_has(out, "{\"type\":\"chain\",\"sender\":\"192.0.2.10\",\"domain\":\"example.test.\",");
	assert_has(out, "{\"type\":\"domain\",\"domain\":\"example.test.\",\"relay\":false,\"chains\":3,");
	assert_null(strstr(out, "chains_omitted"));
	/* a chain line is written (and flushed) as the chain closes */
	char *buf = NULL;
	size_t bn = 0;
	FILE *mem = open_memstream(&buf, &bn);
	struct mx_sink *s = mx_sink_new(&mx_sink_ndjson, mem);
	assert_int_equal(mx_sink_open(s), 0);
	mx_sink_chain(s, &f->ch[1]);
	assert_true(bn > 0);
	assert_int_equal(buf[bn - 1], '\n');
	mx_sink_free(s);
	fclose(mem);
	free(buf);
	free(out);
	free(f);
}

/* ---- text: findings first, chains, domains ---------------------------- */

static void text_findings_chains(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_text, f, true, &n);
	const char *order[] = { "Findings (2)\n", "\nChains (the last 2 of 5)\n",
				"\nRecipient domains (2)\n", "\nCapture\n", "\nResolvers (2)\n",
				"\nSenders (1)\n", "\nTop failing names (2)\n" };
	const char *prev = out;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *p = strstr(prev, order[i]);
		if (!p)
			fail_msg("missing or out of order: %s", order[i]);
		prev = p;
	}
	assert_true(strncmp(out, "Findings (2)\n  (4 more were evicted: the findings table was full; MX_NXDOMAIN 3, SLOW_CHAIN 1)\n"
				 "  [CRIT] AAAA_SERVFAIL_LOOP  sender 192.0.2.10 -> domain example.test, "
				 "host mx1.example.test, AAAA\n"
				 "    AAAA-first sender gets a failure for AAAA and never asks A.\n"
				 "    Seen: 2026-11-24T09:40:01.123456Z to 2026-11-24T09:45:01.623456Z\n"
				 "    Count: 3 occurrences in 2 delivery attempts\n"
				 "    Resolvers: 198.51.100.53\n",
			    strlen("Findings (2)\n  (4 more were evicted: the findings table was full; MX_NXDOMAIN 3, SLOW_CHAIN 1)\n"
				   "  [CRIT] AAAA_SERVFAIL_LOOP  sender 192.0.2.10 -> domain example.test, "
				   "host mx1.example.test, AAAA\n"
				   "    AAAA-first sender gets a failure for AAAA and never asks A.\n"
				   "    Seen: 2026-11-24T09:40:01.123456Z to 2026-11-24T09:45:01.623456Z\n"
				   "    Count: 3 occurrences in 2 delivery attempts\n"
				   "    Resolvers: 198.51.100.53\n")) == 0);
	assert_has(out, "    Most likely SMTP status: Exchange 2007/2010 \"451 4.4.0 DNS query failed\"; "
			"others 4.4.3\n");
	assert_has(out, "    Cause: The recipient's authoritative servers mishandle AAAA queries.\n");
	assert_has(out, "    Fix: Recipient: make every authoritative server answer AAAA with");
	assert_has(out, "    Verify:\n      dig AAAA mx1.example.test. @198.51.100.53\n"
			"      dig +norec AAAA mx1.example.test. @<each NS of example.test.>\n"
			"    Evidence frames: 1, 3, 4\n"
			"      frame  time ");
	char l1[512];
	assert_non_null(line_with(out, "      frame  time", l1, sizeof l1));
	assert_has(l1, "from");
	assert_has(l1, "question");
	assert_has(l1, "answer / rcode");
	assert_has(l1, "latency ms");
	assert_non_null(line_with(out, "SERVFAIL, EDE 22 No Reachable Authority", l1, sizeof l1));
	assert_has(l1, "      4  2026-11-24T09:40:01.644456Z  198.51.100.53  192.0.2.10");
	assert_has(l1, "AAAA mx1.example.test");
	assert_has(l1, "500.000");
	assert_non_null(line_with(out, "(query)", l1, sizeof l1));
	assert_has(l1, "      3  ");
	assert_has(out, "NOERROR MX 10 a|b.example.test.");
	assert_has(out, "  [INFO] QUERY_VOLUME\n    Note: many queries.\n    Count: 1 occurrence\n"
			"    single attempt: capture too short to judge recurrence\n");
	/* prose wraps at 100 columns with a hanging indent: no line is wider,
	 * and the long fix continues on indented lines */
	for (const char *p = out; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p), cols = 0;
		for (size_t i = 0; i < len; i++)
			cols += ((unsigned char)p[i] & 0xc0) != 0x80;
		if (strncmp(p, "    ", 4) == 0 && !strstr(p, "  ") /* not a table */)
			assert_true(cols <= 100);
		if (strncmp(p, "    Fix:", 8) == 0) {
			assert_true(cols <= 100 && cols > 80);
			assert_non_null(e);
			assert_memory_equal(e + 1, "      ", 6);
			assert_true(e[7] != ' ');
		}
		if (!e)
			break;
		p = e + 1;
	}
	/* chains grouped by sender, then domain; compact exchange lines */
	assert_has(out, "\n  sender 192.0.2.10\n    example.test\n      attempt 2  "
			"2026-11-24T09:45:01.123456Z (+300.0 s)  deferred: address lookups failed\n"
			"          temporarily and none answered\n"
			"        MX ok: 1 exchange via 198.51.100.53 (frames 1, 2)\n"
			"        mx1.example.test (10): AAAA SERVFAIL (3 queries) (EDE 22 No Reachable Authority) "
			"-> A never\n          asked\n"
			"    ok.test\n      attempt 1  2026-11-24T09:45:02.123456Z  resolved: the domain "
			"itself has an address (implicit\n          MX); connected to 203.0.113.25 (frame "
			"26); cut short (the capture ended inside the chain\n          window)\n");
	assert_has(out, "        MX NODATA: the domain itself is the exchange (implicit MX) via "
			"198.51.100.53 (frames 20, 21)\n"
			"        ok.test (implicit MX): A ok 203.0.113.25, AAAA NODATA; connected\n");
	/* recipient domains and the fingerprint columns */
	assert_non_null(line_with(out, "  example.test  ", l1, sizeof l1));
	assert_has(l1, "  deferred  ");
	assert_has(l1, "  address lookups failed temporarily and none answered");
	assert_non_null(line_with(out, "  ok.test  ", l1, sizeof l1));
	assert_has(l1, ">64");
	assert_non_null(line_with(out, "family order", l1, sizeof l1));
	assert_has(l1, "chains  family order  AAAA failure  retry min s  retry mean s");
	assert_non_null(line_with(out, "  10.0.0.25  ", l1, sizeof l1));
	assert_has(l1, "  5  AAAA-first    never asks A        300.0         450.0");
	/* capture: chains, findings, new evictions */
	assert_has(out, "chains                  5 (resolved 2, deferred 3, failed 0, incomplete 0)");
	assert_has(out, "recipient domains 1");
	assert_has(out, "findings 4");
	assert_null(strstr(out, "WARNING"));
	/* no trailing blanks, deterministic */
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		if (p > out)
			assert_true(p[-1] != ' ');
	size_t n2;
	char *again = render(&mx_sink_text, f, true, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	free(again);
	free(out);

	/* no findings: says so, and that the capture was too short to judge */
	f->s.n_findings = 0;
	f->s.findings_evicted = 0;
	f->s.input_truncated = true;
	snprintf(f->s.input_error, sizeof f->s.input_error, "file cut off\n\x1b[31m");
	out = render(&mx_sink_text, f, false, &n);
	assert_true(strncmp(out, "Findings\n  none: no failure pattern found\n  (1 chain ended with "
				 "the capture inside its window: judging recurrence needs a longer "
				 "capture)\n\nChains", 130) == 0);
	assert_has(out, "  WARNING                 the input ended early (file cut off\\x0a\\x1b[31m): "
			"this report covers only what was read\n");
	free(out);
	f->s.n_chains = 0;
	f->s.chain.chains = 0;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no failure pattern found\n\nChains (0)\n  none: no MX lookup "
			"by a sender was followed\n");
	free(out);
	/* nothing to judge: no DNS message at all says why, not "no failure" */
	uint64_t dns = f->s.dns_messages;
	f->s.dns_messages = 0;
	f->s.packets = 15;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no DNS message in the 15 packets, so nothing could be judged\n"
			"  (DNS on another port needs --dns-port;");
	assert_has(out, "(-i lo or -i any)");
	assert_null(strstr(out, "no failure pattern found"));
	assert_null(strstr(out, "could not be decoded"));
	free(out);
	uint64_t mal = f->s.decode.verdict[MX_V_MALFORMED];
	f->s.decode.verdict[MX_V_MALFORMED] = 2;
	f->s.decode.verdict[MX_V_TRUNCATED] = 1;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "so nothing could be judged\n  (3 could not be decoded: see \"decode problems\" under "
			"Capture)\n  (DNS on another port");
	free(out);
	f->s.decode.verdict[MX_V_MALFORMED] = mal;
	f->s.decode.verdict[MX_V_TRUNCATED] = 0;
	f->s.packets = 0;
	f->s.filter[0] = '\0';
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: the capture holds no packets, so nothing could be judged\n\n");
	free(out);
	snprintf(f->s.filter, sizeof f->s.filter, "tcp port 9");
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no packet passed the filter, so nothing could be judged\n\n");
	free(out);
	/* live, every packet dropped before it was read: not "no packet passed" */
	f->s.capture.live = true;
	f->s.capture.ps_recv = 40;
	f->s.capture.ps_drop = 38;
	f->s.capture.ps_ifdrop = 2;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: every packet that passed the filter was dropped before mxsniff "
			"read it (38 by the kernel, 2 by the interface: see pcap drops under Capture), so "
			"nothing could be judged\n");
	assert_null(strstr(out, "no packet passed the filter"));
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "Every packet that passed the filter was dropped before mxsniff read it (38 by "
			"the kernel, 2 by the interface), so mxsniff could judge nothing.");
	assert_null(strstr(out, "No packet passed the filter"));
	free(out);
	f->s.capture.live = false;
	f->s.capture.ps_recv = f->s.capture.ps_drop = f->s.capture.ps_ifdrop = 0;
	f->s.dns_messages = dns > 0 ? dns : 1;
	f->s.packets = 15;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no failure pattern found\n");
	free(out);
	free(f);
}

/* ---- md --------------------------------------------------------------- */

/* Count the '|' of a Markdown table row that are not escaped. */
static size_t md_pipes(const char *line, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		n += line[i] == '|';
	}
	return n;
}

/* Every table in the document: header, separator, rows with the same
 * number of unescaped pipes as the header. Returns the number of tables. */
static size_t md_tables_ok(const char *doc)
{
	size_t tables = 0, want = 0;
	bool in = false, sep = false;
	for (const char *p = doc; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len && p[0] == '|') {
			size_t k = md_pipes(p, len);
			if (!in) {
				in = true;
				sep = true;
				want = k;
				tables++;
			} else if (sep) {
				sep = false;
				for (size_t i = 0; i < len; i++)
					assert_non_null(strchr("|-: ", p[i]));
			}
			if (k != want)
				fail_msg("table row with %zu pipes, want %zu: %.*s", k, want, (int)len, p);
			assert_int_equal(p[len - 1], '|');
		} else {
			assert_false(in && sep); /* a header needs its separator */
			in = false;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return tables;
}

static void md_writeup(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_md, f, true, &n);
	assert_int_equal(strlen(out), n);
	assert_true(strncmp(out, "# Mail delivery incident: mail to `example.test` deferred: AAAA lookups "
				 "for `mx1.example.test` fail (SERVFAIL)\n\n", 102) == 0);
	const char *order[] = { "\n\nBetween 2026-11-24T09:40:01.123456Z and 2026-11-24T09:45:01.623456Z, "
				"the mail server `192.0.2.10` made 2 delivery attempts to `example.test`; "
				"every attempt was deferred. AAAA-first sender gets a failure for AAAA and "
				"never asks A. In this capture, AAAA lookups for `mx1.example.test` fail "
				"(SERVFAIL). Most likely SMTP status: Exchange 2007/2010 \"451 4.4.0 DNS "
				"query failed\"; others 4.4.3. Fix: Recipient: make every authoritative "
				"server answer AAAA with NOERROR/NODATA (RFC 4074 \xc2\xa7" "3).\n\n",
				"## Impact\n\n- **Senders:** `10.0.0.25` (asks AAAA first, never asks A "
				"after an AAAA failure; 5 chains, 3 deferred, 0 failed)\n",
				"- **Recipient domains:** `example.test` (3 chains: 0 resolved, 3 deferred",
				"- **Delivery attempts:** 5 resolution chains",
				"- **Time span:** failures seen between",
				"- **Findings:** 1 crit, 1 info (4 more evicted",
				"\n## Timeline\n\nOnly the last 2 of 5 resolution chains were kept",
				"\n- 2026-11-24T09:40:01.123456Z (frame 1): first evidence of CRIT "
				"AAAA_SERVFAIL_LOOP (`sender 192.0.2.10 -> ",
				"`): AAAA-first sender gets a failure for AAAA and never asks A.\n",
				"\n- 2026-11-24T09:45:01.123456Z (frame 1): `192.0.2.10` asks for the MX records "
				"of `example.test` (attempt 2, a retry 300.0 s after the previous one).\n",
				"\n- 2026-11-24T09:45:01.644456Z (frame 4): first failure of attempt 2: the AAAA "
				"lookup for `mx1.example.test` ends SERVFAIL after 3 queries (EDE 22, No "
				"Reachable Authority).\n",
				"attempt 2 for `example.test` ends **deferred**: address lookups failed",
				"\n## Findings\n\n### CRIT AAAA_SERVFAIL_LOOP: AAAA-first sender gets a failure "
				"for AAAA and never asks A\n\nSender `192.0.2.10`, recipient domain "
				"`example.test`, host `mx1.example.test`, query type AAAA; resolver "
				"`198.51.100.53`. Seen 3 times between",
				"| Frame | Time | From | To | Question | Answer / rcode | Latency |\n"
				"|---:|---|---|---|---|---|---:|\n"
				"| 3 | 2026-11-24T09:40:01.144456Z | `192.0.2.10` | `198.51.100.53` | "
				"`AAAA mx1.example.test` | (query) | - |\n"
				"| 4 | 2026-11-24T09:40:01.644456Z | `198.51.100.53` | `192.0.2.10` | "
				"`AAAA mx1.example.test` | SERVFAIL, EDE 22 No Reachable Authority | 500.000 ms |\n"
				"| 2 | 2026-11-24T09:40:01.132456Z | `198.51.100.53` | `192.0.2.10` | "
				"`MX example.test` | NOERROR MX 10 a\\|b.example.test. | 9.000 ms |\n\n",
				"**Root cause.** The recipient's authoritative servers mishandle AAAA queries.\n\n",
				"**Fix.** Recipient: make every authoritative server answer AAAA",
				"**Verify.**\n\n```sh\ndig AAAA mx1.example.test. @198.51.100.53\n"
				"dig +norec AAAA mx1.example.test. @<each NS of example.test.>\n```\n\n",
				"**Most likely SMTP status.** Exchange 2007/2010",
				"### INFO QUERY_VOLUME: note: many queries\n\nSeen once.\n\n> Only one delivery "
				"attempt was captured",
				"## Appendix: capture statistics\n\n| Item | Value |\n|---|---|\n| Source | "
				"`file \"x\"\\y\\x0a\\x01\\xff \\xc3\\xa9.pcap` |\n| Filter | `udp port 53` |\n",
				"| Evictions (bounded tables) | senders 2, recipient domains 1, pending queries 5, "
				"findings 4 |\n",
				"\n### Resolvers\n\n| Resolver | Queries |",
				"| `8.8.8.8` | 5 | 0.0% | - | - | - | 5 | 0 | - |\n" };
	const char *prev = out;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const char *p = strstr(prev, order[i]);
		if (!p)
			fail_msg("missing or out of order: %s", order[i]);
		prev = p;
	}
	assert_int_equal(md_tables_ok(out), 3); /* evidence, statistics, resolvers */
	/* prose escapes markup: '<' in the fix text would be read as HTML */
	assert_null(strstr(out, "Fix:** <"));
	assert_int_equal(out[n - 1], '\n');
	size_t n2;
	char *again = render(&mx_sink_md, f, true, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	free(again);
	free(out);

	/* hostile text: pipes and markup in a detector's words and a title */
	f->fnd[0].title = "a|b <c> *d* [e](f) _g_ `h`";
	f->fnd[0].cause = "x | y";
	snprintf(f->fnd[0].evidence[0].answer, sizeof f->fnd[0].evidence[0].answer, "z");
	f->fnd[0].evidence[0].qname = hostile_name();
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "### CRIT AAAA_SERVFAIL_LOOP: a\\|b \\<c\\> \\*d\\* \\[e\\](f) \\_g\\_ \\`h\\`\n");
	assert_has(out, "**Root cause.** X \\| y.\n");
	assert_has(out, "`AAAA a\\\"\\010\\255b.example` |");
	assert_int_equal(md_tables_ok(out), 3);
	free(out);

	/* info only: a short write-up saying nothing failed, with statistics */
	f->s.findings = &f->fnd[1];
	f->s.n_findings = 1;
	out = render(&mx_sink_md, f, false, &n);
	assert_true(strncmp(out, "# Mail delivery check: no failure pattern found\n\n", 49) == 0);
	assert_has(out, "It shows 5 mail resolution chains (2 resolved, 3 deferred, 0 failed, 0 "
			"incomplete) from 1 sender to 2 recipient domains; mxsniff found no failure "
			"pattern in them. 1 chain ended with the capture inside its window");
	assert_has(out, "## Observations\n\n");
	assert_has(out, "### INFO QUERY_VOLUME");
	assert_has(out, "## Appendix: capture statistics");
	assert_null(strstr(out, "## Timeline"));
	free(out);
	/* nothing at all */
	memset(&f->s, 0, sizeof f->s);
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "# Mail delivery check: nothing could be judged\n\nThe capture holds no "
			"packets. So mxsniff could judge nothing.\n");
	assert_null(strstr(out, "no failure pattern"));
	free(out);
	/* packets but no DNS message: says why nothing could be judged */
	f->s.packets = 15;
	f->s.first_us = f->s.last_us = 1;
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "# Mail delivery check: nothing could be judged\n\n");
	assert_has(out, "and holds 15 packets. None of its packets holds a DNS message, so mxsniff could "
			"judge nothing: DNS on another port needs --dns-port; ");
	assert_null(strstr(out, "No MX lookup by a sender was seen"));
	f->s.packets = 0;
	f->s.first_us = f->s.last_us = 0;
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "| Time span | none (no packets) |");
	assert_has(out, "No resolver (server receiving RD=1 queries) was seen.\n");
	assert_int_equal(md_tables_ok(out), 1);
	free(out);
	free(f);
}

/* A long timeline leaves out the attempts that resolved (and says how
 * many), so that the deferred one and the findings show. */
static void md_timeline_leaves_out_resolved(void **state)
{
	(void)state;
	struct fixture *f = fx();
	enum { NCH = 40 };
	struct mx_chain *many = calloc(NCH, sizeof *many);
	assert_non_null(many);
	for (int i = 0; i < NCH; i++) {
		many[i] = f->ch[1]; /* resolved, connected */
		many[i].start_us = f->ch[1].start_us + (uint64_t)i * 1000000u;
		many[i].end_us = many[i].start_us + 100000u;
	}
	many[NCH - 1] = f->ch[0]; /* the deferred one, last */
	f->s.chains = many;
	f->s.n_chains = NCH;
	size_t n;
	char *out = render(&mx_sink_md, f, true, &n);
	assert_has(out, "## Timeline\n\n");
	assert_has(out, "39 delivery attempts that resolved are left out.\n\n");
	assert_has(out, "attempt 2 for `example.test` ends **deferred**");
	assert_null(strstr(out, "ends **resolved**"));
	assert_null(strstr(out, "more events"));
	free(out);
	/* a short one lists them all */
	f->s.n_chains = 3;
	out = render(&mx_sink_md, f, true, &n);
	assert_has(out, "ends **resolved**");
	assert_null(strstr(out, "that resolved are left out"));
	free(out);
	free(many);
	free(f);
}

/* A failing step that merged two lookups (another process asked the same
 * name 2.2 s later) failed when its first lookup ended: the timeline's
 * "first failure" is stamped then, without claiming the last frame. */
static void md_first_failure_of_merged_step(void **state)
{
	(void)state;
	struct fixture *f = fx();
	struct mx_chain_step *st = &f->ch[0].hosts[0].aaaa;
	st->lookups = 2;
	st->attempts = 5;
	st->first_end_us = st->first_us + 100000;
	st->end_us = st->first_us + 2300000;
	size_t n;
	char *out = render(&mx_sink_md, f, true, &n);
	assert_has(out, "\n- 2026-11-24T09:45:01.244456Z: first failure of attempt 2: the AAAA lookup for "
			"`mx1.example.test` ends SERVFAIL (the first of 2 lookups of it in this attempt, 5 "
			"queries in all) (EDE 22, No Reachable Authority).\n");
	assert_null(strstr(out, "09:45:03.444456Z (frame 4): first failure"));
	free(out);
	free(f);
}

/* ---- the JSON writers' buffer (sink_priv.h) ---------------------------- */

/* The JSON string escaping as RFC 8259 and the JSON schema define it, byte
 * by byte (what the writers did before they had a buffer): the reference
 * the fast paths must match exactly. */
static size_t ref_utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
														  : 0;
	}
	return 0;
}

static void ref_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		unsigned char c = *p;
		size_t k;
		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *e = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n"
				      : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
			if (e)
				fputs(e, out);
			else
				fprintf(out, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			fputc(c, out);
			p++;
		} else if ((k = ref_utf8_len(p)) != 0) {
			fwrite(p, 1, k, out);
			p += k;
		} else {
			fputs("\\ufffd", out);
			p++;
		}
	}
	fputc('"', out);
}

/* gmtime_r + printf: the reference for the time stamps */
static void ref_time(uint64_t ts, char *buf, size_t n)
{
	struct tm tm;
	time_t secs = (time_t)(ts / 1000000u);
	assert_non_null(gmtime_r(&secs, &tm));
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts % 1000000u));
}

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x;
}

/* A writer on a memory stream; jw_done() flushes, closes and returns the
 * bytes (free them). */
struct jwm {
	char *buf;
	size_t n;
	FILE *mem;
	struct mx_jw *w;
};

static void jw_start(struct jwm *m)
{
	m->buf = NULL;
	m->n = 0;
	m->mem = open_memstream(&m->buf, &m->n);
	assert_non_null(m->mem);
	m->w = malloc(sizeof *m->w);
	assert_non_null(m->w);
	mx_jw_init(m->w, m->mem);
}

static char *jw_done(struct jwm *m)
{
	mx_jw_flush(m->w);
	free(m->w);
	assert_int_equal(fclose(m->mem), 0);
	return m->buf;
}

/* The reference side of a writer test: what stdio writes for the same
 * values. */
static void ref_start(struct jwm *r)
{
	r->buf = NULL;
	r->n = 0;
	r->w = NULL;
	r->mem = open_memstream(&r->buf, &r->n);
	assert_non_null(r->mem);
}

/* The writer's bytes must equal the reference's. */
static void jw_expect_ref(struct jwm *m, struct jwm *r)
{
	assert_int_equal(fclose(r->mem), 0);
	char *got = jw_done(m);
	assert_int_equal(m->n, r->n);
	assert_memory_equal(got, r->buf, r->n);
	free(got);
	free(r->buf);
}

static void jw_numbers_time(void **state)
{
	(void)state;
	struct jwm m, r;
	uint64_t x = 42;
	char t[64], u[64];
	static const uint64_t fixed_ts[] = {
		1, 999999, 1000000, 86399999999ULL, 86400000000ULL,
		951782400000000ULL,       /* 2000-02-29 */
		4107456000000000ULL,      /* 2100-02-28 */
		4107542399999999ULL,      /* 2100-02-28T23:59:59.999999 */
		4107542400000000ULL,      /* 2100-03-01 */
		253402300799999999ULL,    /* 9999-12-31T23:59:59.999999 */
		253402300800000000ULL,    /* 10000-01-01 */
		UINT64_MAX,
	};
	jw_start(&m);
	ref_start(&r);
	for (uint64_t v = 0; v < 1100; v++) {
		mx_jw_u64(m.w, v);
		fprintf(r.mem, "%" PRIu64, v);
	}
	for (uint64_t p = 1; p && p <= UINT64_MAX / 10; p *= 10) {
		mx_jw_u64(m.w, p - 1);
		mx_jw_u64(m.w, p);
		mx_jw_u64(m.w, p + 1);
		fprintf(r.mem, "%" PRIu64 "%" PRIu64 "%" PRIu64, p - 1, p, p + 1);
	}
	for (int i = 0; i < 20000; i++) {
		uint64_t v = lcg(&x) >> (lcg(&x) % 64);
		unsigned frac = (unsigned)(v % 1000000u);
		mx_jw_u64(m.w, v);
		mx_jw_c(m.w, ' ');
		mx_jw_fixed(m.w, v / 1000u, frac % 1000u, 3);
		mx_jw_c(m.w, ' ');
		mx_jw_fixed(m.w, v, frac, 6);
		mx_sj_ms(m.w, v);
		fprintf(r.mem, "%" PRIu64 " %" PRIu64 ".%03u %" PRIu64 ".%06u%" PRIu64 ".%03u", v, v / 1000u,
			frac % 1000u, v, frac, v / 1000u, (unsigned)(v % 1000u));
	}
	mx_jw_u64(m.w, UINT64_MAX);
	fprintf(r.mem, "%" PRIu64, UINT64_MAX);
	/* time stamps: fixed edges, random ones in 1970..2200, any 64-bit
	 * value, and runs in the same second (the cached prefix) */
	for (size_t i = 0; i < sizeof fixed_ts / sizeof fixed_ts[0]; i++) {
		ref_time(fixed_ts[i], t, sizeof t);
		assert_string_equal(mx_fmt_time(fixed_ts[i], u, sizeof u), t);
		mx_sj_time(m.w, fixed_ts[i]);
		fprintf(r.mem, "\"%s\"", t);
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t ts = i % 3 ? lcg(&x) % 7258118400000000ULL : lcg(&x);
		for (int k = 0; k < 3; k++, ts += lcg(&x) % 400000u) {
			ref_time(ts, t, sizeof t);
			if (k == 0)
				assert_string_equal(mx_fmt_time(ts, u, sizeof u), t);
			mx_sj_time(m.w, ts);
			fprintf(r.mem, "\"%s\"", t);
		}
	}
	/* a walk through the days, seconds to hours apart (the kept date) */
	for (uint64_t i = 0, ts = 1700000000000000ULL; i < 50000; i++) {
		ts += lcg(&x) % (i % 2 ? 7200000000ULL : 3000000ULL);
		ref_time(ts, t, sizeof t);
		mx_sj_time(m.w, ts);
		fprintf(r.mem, "\"%s\"", t);
	}
	mx_sj_time(m.w, 0);
	fputs("null", r.mem);
	/* truncated like snprintf */
	assert_string_equal(mx_fmt_time(951782400000000ULL, u, 11), "2000-02-29");
	assert_string_equal(mx_fmt_ms(12345, u, 4), "12.");
	assert_string_equal(mx_fmt_ms(12345, u, sizeof u), "12.345");
	assert_string_equal(mx_fmt_ms(7, u, sizeof u), "0.007");
	jw_expect_ref(&m, &r);
}

static void jw_strings(void **state)
{
	(void)state;
	struct jwm m, r;
	static char big[100000], all[256];
	const char *cases[] = {
		"", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t\x01\x1f\x7f",
		"\xc2\xa7 \xe2\x80\x94 \xf0\x9f\x98\x80 \xef\xbf\xbd", "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80",
		"\xe2\x82", "\xf0\x9f\x98", "\xff\xfe", "tail \xc2", all, big, NULL,
	};
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = "ab\"\\\xc2\xa7\n\x01xyz"[i % 11];
	jw_start(&m);
	ref_start(&r);
	/* every case at every offset around the buffer's end */
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (size_t pad = MX_JW_CAP - 12; pad <= MX_JW_CAP + 2; pad++) {
			mx_jw_flush(m.w);
			for (size_t i = 0; i < pad % MX_JW_CAP; i++) {
				mx_jw_c(m.w, '.');
				fputc('.', r.mem);
			}
			mx_jw_str(m.w, cases[c]);
			ref_json_str(r.mem, cases[c]);
			mx_jw_key(m.w, &(bool){ pad & 1 }, cases[c] ? cases[c] : "k");
			fputs(pad & 1 ? "" : ",", r.mem);
			ref_json_str(r.mem, cases[c] ? cases[c] : "k");
			fputc(':', r.mem);
		}
	/* the public FILE writer is the same */
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		mx_json_str(r.mem, cases[c]);
		mx_jw_flush(m.w);
		ref_json_str(m.mem, cases[c]);
	}
	jw_expect_ref(&m, &r);
}

static void jw_addrs_mnemonics(void **state)
{
	(void)state;
	struct jwm m, r;
	uint64_t x = 7;
	char buf[MX_ADDR_STRLEN], mn[32];
	struct mx_addr a[64];
	memset(a, 0, sizeof a);
	/* IPv6: the special forms, and addresses that share the bytes the cache
	 * is indexed by */
	static const char *const v6[] = {
		"::", "::1", "::ffff:192.0.2.1", "::192.0.2.1", "2001:db8::1", "2001:db8:0:0:1::1",
		"2001:db8::1:0:0:1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "2001:db8:1::", "ff02::1:ff00:1",
		"64:ff9b::192.0.2.33",
	};
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++)
		assert_int_equal(mx_addr_parse(v6[i], &a[i]), 0);
	for (size_t i = 12; i < 64; i++) {
		uint64_t v = lcg(&x);
		if (i % 4 == 0) {
			a[i] = A4((uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24));
		} else {
			a[i] = a[i - 1].family == 6 ? a[i - 1] : a[4];
			a[i].a[(v >> 8) % 11] ^= (uint8_t)(v | 1);   /* same a[11], a[13], a[15] */
			if (i % 7 == 0)
				memset(a[i].a, 0, 10);
		}
	}
	a[63].family = 0;
	jw_start(&m);
	ref_start(&r);
	for (int round = 0; round < 2000; round++) {
		size_t i = (size_t)(lcg(&x) % 64);
		uint16_t code = (uint16_t)(round % 5 == 0 ? lcg(&x) : lcg(&x) % 300);
		mx_sj_addr(m.w, &a[i]);
		ref_json_str(r.mem, mx_addr_format(&a[i], buf, sizeof buf));
		mx_sj_type(m.w, code);
		ref_json_str(r.mem, mx_dns_type_name(code, mn, sizeof mn));
		mx_sj_class(m.w, code);
		ref_json_str(r.mem, mx_dns_class_name(code, mn, sizeof mn));
		mx_sj_rcode(m.w, code);
		ref_json_str(r.mem, mx_dns_rcode_name(code, mn, sizeof mn));
		/* the enum names, in range and past it */
		unsigned e = (unsigned)(round % 40);
		mx_sj_outcome(m.w, (enum mx_outcome)e);
		ref_json_str(r.mem, mx_outcome_name((enum mx_outcome)e));
		mx_sj_verdict(m.w, (enum mx_chain_verdict)e);
		ref_json_str(r.mem, mx_chain_verdict_name((enum mx_chain_verdict)e));
		mx_sj_txn_kind(m.w, (enum mx_txn_kind)e);
		ref_json_str(r.mem, mx_txn_kind_name((enum mx_txn_kind)e));
	}
	jw_expect_ref(&m, &r);
}

/* mx_sj_addr writes mx_addr_text's text (test_base compares that with
 * inet_ntop on every form) as a JSON string: the same bytes as
 * mx_addr_format then the JSON quoting, for IPv4, no address and the
 * special IPv6 forms. */
static void jw_addrs_every_form(void **state)
{
	(void)state;
	struct jwm m, r;
	char buf[MX_ADDR_STRLEN];
	struct mx_addr a;
	jw_start(&m);
	ref_start(&r);
	for (unsigned v = 0; v < 256; v++) {
		a = A4((uint8_t)v, (uint8_t)(255 - v), (uint8_t)(v * 7), (uint8_t)(v / 3));
		mx_sj_addr(m.w, &a);
		ref_json_str(r.mem, mx_addr_format(&a, buf, sizeof buf));
	}
	memset(&a, 0, sizeof a);
	mx_sj_addr(m.w, &a); /* no address */
	ref_json_str(r.mem, mx_addr_format(&a, buf, sizeof buf));
	static const char *const special[] = {
		"::", "::1", "::2", "::ffff:0.0.0.0", "::ffff:1.2.3.4", "::1.2.3.4", "::0.0.1.0",
		"::fffe:1.2.3.4", "0:0:0:0:1:ffff:1.2.3.4", "1::ffff:1.2.3.4", "::ffff:0:1.2.3.4",
		"64:ff9b::1.2.3.4", "fe80::", "1::", "1:0:0:2::3", "1::2:0:0:3", "0:1::",
		"255.255.255.255", "0.0.0.0",
	};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
		assert_int_equal(mx_addr_parse(special[i], &a), 0);
		mx_sj_addr(m.w, &a);
		ref_json_str(r.mem, mx_addr_format(&a, buf, sizeof buf));
	}
	jw_expect_ref(&m, &r);
}

/* mx_sj_name's fast path for plain names: the same bytes as
 * mx_dname_format then the JSON escaping, for random names of plain and
 * unusual bytes, and for wire forms the parser would never make (a zero
 * label inside, a label running past len, a one-byte name that is not the
 * root), at every offset around the buffer's end. */
static void jw_names(void **state)
{
	(void)state;
	struct jwm m, r;
	uint64_t x = 5;
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-_*";
	static const char odd[] = "ABCZ.\\\"()@;$ \x01\x7f\x80\xc3\xff/:";
	char buf[MX_DNAME_STRLEN];
	struct mx_dname d;
	jw_start(&m);
	ref_start(&r);
	for (int round = 0; round < 60000; round++) {
		unsigned kind = (unsigned)(lcg(&x) % 8);
		size_t o = 0;
		memset(&d, 0, sizeof d);
		if (kind == 0) {
			/* any bytes at all, any len */
			d.len = (uint8_t)(lcg(&x) % 256);
			for (size_t i = 0; i < MX_DNAME_MAX; i++)
				d.wire[i] = (uint8_t)(lcg(&x) >> 33);
			if (lcg(&x) % 2)
				d.wire[0] = (uint8_t)(lcg(&x) % 8);
		} else {
			/* labels of plain bytes, now and then an odd one, up
			 * to the longest names */
			unsigned maxl = kind == 1 ? 63 : (unsigned)(lcg(&x) % 20 + 1);
			while (o < MX_DNAME_MAX - 1) {
				size_t ll = lcg(&x) % maxl + 1;
				if (o + 1 + ll > MX_DNAME_MAX - 1)
					ll = MX_DNAME_MAX - 2 - o;
				if (ll == 0 || lcg(&x) % 6 == 0)
					break;
				d.wire[o++] = (uint8_t)ll;
				for (size_t i = 0; i < ll; i++) {
					uint64_t v = lcg(&x);
					d.wire[o++] = kind == 2 && v % 50 == 0
						      ? (uint8_t)odd[(v >> 8) % (sizeof odd - 1)]
						      : (uint8_t)alpha[(v >> 8) % (sizeof alpha - 1)];
				}
			}
			d.wire[o++] = 0;
			d.len = (uint8_t)o;
			if (kind == 3 && o > 2)   /* cut inside a label */
				d.len = (uint8_t)(lcg(&x) % o);
			if (kind == 4 && o > 2)   /* a zero label inside */
				d.wire[lcg(&x) % (o - 1)] = 0;
			if (kind == 5 && o > 2)   /* a label longer than the rest */
				d.wire[0] = (uint8_t)(o + lcg(&x) % 4);
			if (kind == 6)            /* one byte, not necessarily 0 */
				d.len = 1, d.wire[0] = (uint8_t)(lcg(&x) % 3);
		}
		if (round % 997 == 0) {
			size_t pad = MX_JW_CAP - m.w->len - (size_t)(lcg(&x) % 300);
			for (size_t i = 0; i < pad && i < MX_JW_CAP; i++) {
				mx_jw_c(m.w, '.');
				fputc('.', r.mem);
			}
		}
		mx_sj_name(m.w, &d);
		ref_json_str(r.mem, mx_dname_format(&d, buf, sizeof buf));
		/* the prose form: no trailing dot (but for the root and an
		 * escaped dot), "-" for no name, in buffers of any size */
		static const size_t sizes[] = { MX_DNAME_STRLEN, MX_DNAME_MAX + 2, MX_DNAME_MAX + 1, 40, 2 };
		for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
			char want[MX_DNAME_STRLEN], got[MX_DNAME_STRLEN];
			if (d.len == 0) {
				snprintf(want, sizes[z], "-");
			} else {
				mx_dname_format(&d, want, sizes[z]);
				size_t l = strlen(want);
				if (l > 1 && want[l - 1] == '.' && want[l - 2] != '\\')
					want[l - 1] = '\0';
			}
			assert_string_equal(mx_sk_name(&d, got, sizes[z]), want);
		}
	}
	jw_expect_ref(&m, &r);
}

/* The evicted-findings note: patterns as listed, the rest as "others",
 * cut (never overrun) in a small buffer. */
static void evicted_by_text(void **state)
{
	(void)state;
	struct mx_snapshot s;
	char buf[64];
	memset(&s, 0, sizeof s);
	assert_string_equal(mx_sk_evicted_by(&s, buf, sizeof buf), "");
	s.findings_evicted = 120;
	s.findings_evicted_by[0] = (struct mx_evicted_pattern){"MX_NXDOMAIN", 100};
	s.findings_evicted_by[1] = (struct mx_evicted_pattern){"SLOW_CHAIN", 15};
	s.n_findings_evicted_by = 2;
	assert_string_equal(mx_sk_evicted_by(&s, buf, sizeof buf), "MX_NXDOMAIN 100, SLOW_CHAIN 15, others 5");
	s.findings_evicted = 115;
	assert_string_equal(mx_sk_evicted_by(&s, buf, sizeof buf), "MX_NXDOMAIN 100, SLOW_CHAIN 15");
	char small[12];
	memset(small, 'x', sizeof small);
	mx_sk_evicted_by(&s, small, 10);
	assert_string_equal(small, "MX_NXDOMA");
	assert_int_equal(small[10], 'x');
}

static size_t count_str(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Past the first MX_SNAP_FULL_FINDINGS findings of a pattern, text and
 * Markdown give one entry each, grouped by pattern in order of the
 * pattern's first finding; JSON keeps them all in full. */
static void many_findings_per_pattern(void **state)
{
	(void)state;
	enum { NA = MX_SNAP_FULL_FINDINGS + 3, NB = 2, NC = MX_SNAP_FULL_FINDINGS + 1, NF = NA + NB + NC };
	struct fixture *f = fx();
	struct mx_finding *fs = calloc(NF, sizeof(*fs));
	size_t ia = 0, ib = 0, ic = 0;
	assert_non_null(fs);
	/* C first, then A, B and C interleaved: C's extra one comes first */
	for (size_t i = 0; i < NF; i++) {
		struct mx_finding *x = &fs[i];
		size_t k;
		if (i == 0 || (i % 3 == 2 && ic < NC))
			x->pattern = "CCC", k = ic++;
		else if ((i % 3 == 1 || ib >= NB) && ia < NA)
			x->pattern = "AAA", k = ia++;
		else if (ib < NB)
			x->pattern = "BBB", k = ib++;
		else
			x->pattern = "CCC", k = ic++;
		x->title = "t";
		x->sev = MX_SEV_ERROR;
		x->sender = A4(192, 0, 2, (uint8_t)(k + 1));
		x->count = 100 + i;
		x->first_us = T0 + i;
		x->n_frames = 6;
		for (unsigned j = 0; j < 6; j++)
			x->frames[j] = 1000 * i + j;
		snprintf(x->detail, sizeof x->detail, "detail %zu", i);
	}
	assert_int_equal(ia, NA);
	assert_int_equal(ib, NB);
	assert_int_equal(ic, NC);
	f->s.findings = fs;
	f->s.n_findings = NF;
	f->s.findings_evicted = 0;
	f->s.n_findings_evicted_by = 0;

	bool full[NF];
	size_t rest[NF];
	assert_int_equal(mx_sk_findings_split(&f->s, full, rest), NA + NC - 2 * MX_SNAP_FULL_FINDINGS);
	size_t seen_a = 0, seen_c = 0;
	for (size_t i = 0; i < NF; i++) {
		size_t *c = fs[i].pattern[0] == 'A' ? &seen_a : fs[i].pattern[0] == 'C' ? &seen_c : NULL;
		assert_true(full[i] == (c == NULL || (*c)++ < MX_SNAP_FULL_FINDINGS));
	}
	/* C's extra one first (C's first finding came first), then A's three
	 * in snapshot order */
	assert_string_equal(fs[rest[0]].pattern, "CCC");
	for (size_t j = 1; j < 4; j++) {
		assert_string_equal(fs[rest[j]].pattern, "AAA");
		if (j > 1)
			assert_true(rest[j] > rest[j - 1]);
	}
	/* the 11th finding of a pattern is sender 192.0.2.11 (k + 1) */
	char line[512], exp[1024], tm[40];
	size_t i1 = rest[1], i0 = rest[0];
	snprintf(exp, sizeof exp,
		 "sender 192.0.2.11; %zu occurrences from %s; frames %zu, %zu, %zu, %zu, ...", 100 + i1,
		 mx_fmt_time(T0 + i1, tm, sizeof tm), 1000 * i1, 1000 * i1 + 1, 1000 * i1 + 2,
		 1000 * i1 + 3);
	assert_string_equal(mx_sk_finding_line(&fs[i1], line, sizeof line), exp);
	fs[i1].n_frames = 1;
	snprintf(exp, sizeof exp, "sender 192.0.2.11; %zu occurrences from %s; frame %zu", 100 + i1,
		 mx_fmt_time(T0 + i1, tm, sizeof tm), 1000 * i1);
	assert_string_equal(mx_sk_finding_line(&fs[i1], line, sizeof line), exp);
	fs[i1].n_frames = 6;

	size_t n;
	char *out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings (26)\n");
	assert_int_equal(count_str(out, "    Detail: detail "), 2 * MX_SNAP_FULL_FINDINGS + NB);
	snprintf(exp, sizeof exp,
		 "\n  The other 4 findings, one entry each (the first 10 of each pattern are above;\n"
		 "  --full-findings 0 shows every one in full, -F json has every field):\n"
		 "  [ERROR] CCC  sender 192.0.2.11; %zu occurrences from %s; frames %zu,\n"
		 "      %zu, %zu, %zu, ...\n"
		 "  [ERROR] AAA  sender 192.0.2.11; %zu occurrences",
		 100 + i0, mx_fmt_time(T0 + i0, tm, sizeof tm), 1000 * i0, 1000 * i0 + 1, 1000 * i0 + 2,
		 1000 * i0 + 3, 100 + i1);
	assert_has(out, exp);
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_int_equal(count_str(out, "\n### ERROR "), 2 * MX_SNAP_FULL_FINDINGS + NB);
	assert_has(out, "### Other findings (4)\n\nThe first 10 findings of each pattern are above");
	snprintf(exp, sizeof exp,
		 "| ERROR | `CCC` | `sender 192.0.2.11` | %zu | %s | %zu, %zu, %zu, %zu, ... |\n"
		 "| ERROR | `AAA` |",
		 100 + i0, mx_fmt_time(T0 + i0, tm, sizeof tm), 1000 * i0, 1000 * i0 + 1, 1000 * i0 + 2,
		 1000 * i0 + 3);
	assert_has(out, exp);
	free(out);
	out = render(&mx_sink_json, f, false, &n);
	assert_int_equal(count_str(out, "\"detail\":\"detail "), NF);
	free(out);

	/* --full-findings 2: two of each pattern in full, the rest one line */
	f->s.full_findings = 2;
	assert_int_equal(mx_sk_findings_split(&f->s, full, rest), NF - 3 * 2);
	out = render(&mx_sink_text, f, false, &n);
	assert_int_equal(count_str(out, "    Detail: detail "), 3 * 2);
	assert_has(out, "The other 20 findings, one entry each (the first 2 of each pattern are above;");
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_int_equal(count_str(out, "\n### ERROR "), 3 * 2);
	assert_has(out, "### Other findings (20)\n\nThe first 2 findings of each pattern are above");
	free(out);
	/* --full-findings 0 (the model stores SIZE_MAX): every one in full */
	f->s.full_findings = SIZE_MAX;
	assert_int_equal(mx_sk_findings_split(&f->s, full, rest), 0);
	for (size_t i = 0; i < NF; i++)
		assert_true(full[i]);
	out = render(&mx_sink_text, f, false, &n);
	assert_int_equal(count_str(out, "    Detail: detail "), NF);
	assert_null(strstr(out, "The other "));
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_int_equal(count_str(out, "\n### ERROR "), NF);
	assert_null(strstr(out, "Other findings"));
	free(out);
	free(fs);
	free(f);
}

/* With every detector switched off, no report says nothing failed. */
static void no_detectors_said(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	f->s.n_findings = 0;
	f->s.no_detectors = true;
	char *out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no detector ran (--detectors, --no-detectors), so no failure "
			"pattern was looked for\n");
	assert_null(strstr(out, "no failure pattern found"));
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "# Mail delivery check: no detector ran\n\n");
	assert_has(out, "no detector ran (--detectors, --no-detectors), so no failure pattern was looked for");
	assert_null(strstr(out, "no failure pattern found"));
	assert_null(strstr(out, "found no failure pattern"));
	free(out);
	free(f);
}

/* A report written from the live view lists the pending findings apart,
 * after the made ones, with what they wait for; JSON and NDJSON have the
 * made findings only. */
static void pending_listed_apart(void **state)
{
	(void)state;
	struct fixture *f = fx();
	struct mx_finding *p = calloc(1, sizeof(*p));
	size_t n;
	assert_non_null(p);
	mx_finding_copy(p, &f->fnd[0]);
	p->pattern = "RESOLVER_DEAD";
	p->pending = "the counts of the current --stats-window so far: judged when the window ends";
	f->s.pending = p;
	f->s.n_pending = 1;
	char *out = render(&mx_sink_text, f, false, &n);
	const char *at = strstr(out, "\n  Pending (1): not findings yet;");
	assert_non_null(at);
	assert_true(at > strstr(out, "Findings ("));
	assert_has(at, "  [");
	assert_has(at, "] RESOLVER_DEAD  ");
	assert_has(at, "      waiting: the counts of the current --stats-window so far");
	assert_null(strstr(out, "not listed"));
	free(out);
	f->s.pending_dropped = 5;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "  (5 more pending are not listed)\n");
	free(out);
	out = render(&mx_sink_md, f, false, &n);
	assert_has(out, "(the live view shows them as pending). 5 more are not listed.\n\n");
	free(out);
	f->s.pending_dropped = 0;
	out = render(&mx_sink_md, f, false, &n);
	at = strstr(out, "### Pending (1)\n");
	assert_non_null(at);
	assert_has(at, "| `RESOLVER_DEAD` |");
	assert_has(at, "| the counts of the current --stats-window so far");
	free(out);
	out = render(&mx_sink_json, f, false, &n);
	assert_null(strstr(out, "RESOLVER_DEAD"));
	free(out);
	/* none made: the pending ones still listed */
	f->s.n_findings = 0;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "Findings\n  none: no failure pattern found\n");
	assert_has(out, "\n  Pending (1): not findings yet;");
	free(out);
	free(p);
	free(f);
}

/* A detector sentence gets a capital and a period, but a DNS name that
 * starts it keeps its case. */
static void sentence_keeps_names(void **state)
{
	(void)state;
	char b[128];
	assert_string_equal(mx_sk_sentence("the resolver fails", b, sizeof b), "The resolver fails.");
	assert_string_equal(mx_sk_sentence("m\\032x.example.org. has no A", b, sizeof b),
			    "m\\032x.example.org. has no A.");
	assert_string_equal(mx_sk_sentence("mx1.example.test answers", b, sizeof b), "mx1.example.test answers.");
	assert_string_equal(mx_sk_sentence("a\\.b answers", b, sizeof b), "a\\.b answers.");
	assert_string_equal(mx_sk_sentence("done. then more", b, sizeof b), "Done. then more.");
	assert_string_equal(mx_sk_sentence("ok", b, sizeof b), "Ok.");
	assert_string_equal(mx_sk_sentence(NULL, b, sizeof b), "");
}

/* Past 50 recipient domains, the text report counts the ones whose every
 * chain resolved on one line; the rest keep their rows. */
static void many_domains_fold_resolved(void **state)
{
	(void)state;
	struct fixture *f = fx();
	enum { ND = 56 };
	struct mx_domain_row *ds = calloc(ND, sizeof(*ds));
	assert_non_null(ds);
	uint64_t want_chains = 0;
	for (size_t i = 0; i < ND; i++) {
		char nm[64];
		snprintf(nm, sizeof nm, "d%zu.example", i);
		ds[i].domain = N(nm);
		ds[i].chains = 2 + i;
		ds[i].senders = 1;
		ds[i].max_attempt = 1;
		if (i % 10 == 3) {   /* 6 with a problem: one deferred chain */
			ds[i].resolved = ds[i].chains - 1;
			ds[i].deferred = 1;
			ds[i].last_verdict = MX_CHAIN_DEFERRED;
		} else {
			ds[i].resolved = ds[i].chains;
			ds[i].last_verdict = MX_CHAIN_RESOLVED;
			want_chains += ds[i].chains;
		}
	}
	f->s.domains = ds;
	f->s.n_domains = ND;
	size_t n;
	char *out = render(&mx_sink_text, f, false, &n);
	char exp[160];
	assert_has(out, "Recipient domains (56)\n");
	snprintf(exp, sizeof exp,
		 "  (and 50 domains whose every chain resolved, %" PRIu64 " chains in all; -F json lists "
		 "every domain)\n",
		 want_chains);
	assert_has(out, exp);
	for (size_t i = 0; i < ND; i++) {
		snprintf(exp, sizeof exp, "\n  d%zu.example ", i);
		assert_true((strstr(out, exp) != NULL) == (i % 10 == 3));
	}
	free(out);
	/* 50 domains: every row */
	f->s.n_domains = 50;
	out = render(&mx_sink_text, f, false, &n);
	assert_null(strstr(out, "whose every chain resolved"));
	for (size_t i = 0; i < 50; i++) {
		snprintf(exp, sizeof exp, "\n  d%zu.example ", i);
		assert_non_null(strstr(out, exp));
	}
	free(out);
	free(ds);
	free(f);
}

/* A report rendered from a snapshot alone (the live view's "w") says that
 * the lookups are not in it; one that streamed them does not. */
static void snapshot_reports_say_what_is_missing(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_json, f, false, &n);
	assert_true(json_valid(out, n, '{'));
	assert_has(out, "{\"version\":1,\"lookups\":[],");
	assert_has(out, "\"chains_omitted\":3,\n\"lookups_omitted\":300,\n\"note\":\"written from a "
			"snapshot (the live view)");
	free(out);
	out = render(&mx_sink_json, f, true, &n);
	assert_true(json_valid(out, n, '{'));
	assert_null(strstr(out, "lookups_omitted"));
	assert_null(strstr(out, "\"note\""));
	free(out);

	/* NDJSON: the kept chains as chain lines, then the stats line says
	 * what is missing */
	out = render(&mx_sink_ndjson, f, false, &n);
	size_t chains = 0, stats = 0;
	for (char *p = out; p < out + n;) {
		char *e = memchr(p, '\n', (size_t)(out + n - p));
		assert_non_null(e);
		assert_true(json_valid(p, (size_t)(e - p), '{'));
		assert_true(strncmp(p, "{\"type\":\"lookup\"", 16) != 0);
		assert_true(strncmp(p, "{\"type\":\"transaction\"", 21) != 0);
		if (strncmp(p, "{\"type\":\"chain\",", 16) == 0) {
			check_chain(p, e, "type");
			assert_int_equal(stats, 0);   /* before the stats line */
			chains++;
		}
		if (strncmp(p, "{\"type\":\"stats\",", 16) == 0) {
			stats++;
			*e = '\0';
			assert_has(p, ",\"lookups_omitted\":300,\"transactions_omitted\":");
			assert_has(p, ",\"chains_omitted\":3,\"note\":\"written from a snapshot");
			*e = '\n';
		}
		p = e + 1;
	}
	assert_int_equal(chains, f->s.n_chains);
	assert_int_equal(stats, 1);
	free(out);
	out = render(&mx_sink_ndjson, f, true, &n);
	assert_null(strstr(out, "lookups_omitted"));
	assert_null(strstr(out, "\"note\""));
	free(out);
	/* nothing looked up at all: nothing to explain */
	f->s.lookup.lookups = 0;
	out = render(&mx_sink_json, f, false, &n);
	assert_null(strstr(out, "lookups_omitted"));
	free(out);
	free(f);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validator_self_test),
		cmocka_unit_test(helpers),
		cmocka_unit_test(table),
		cmocka_unit_test(json_document),
		cmocka_unit_test(json_empty),
		cmocka_unit_test(ndjson_lines),
		cmocka_unit_test(ndjson_ede_text),
		cmocka_unit_test(text_report),
		cmocka_unit_test(json_findings_chains),
		cmocka_unit_test(evidence_open_try),
		cmocka_unit_test(json_many_chains),
		cmocka_unit_test(ndjson_findings_chains),
		cmocka_unit_test(text_findings_chains),
		cmocka_unit_test(md_writeup),
		cmocka_unit_test(md_first_failure_of_merged_step),
		cmocka_unit_test(md_timeline_leaves_out_resolved),
		cmocka_unit_test(jw_numbers_time),
		cmocka_unit_test(jw_strings),
		cmocka_unit_test(jw_addrs_mnemonics),
		cmocka_unit_test(jw_addrs_every_form),
		cmocka_unit_test(jw_names),
		cmocka_unit_test(snapshot_reports_say_what_is_missing),
		cmocka_unit_test(evicted_by_text),
		cmocka_unit_test(many_findings_per_pattern),
		cmocka_unit_test(sentence_keeps_names),
		cmocka_unit_test(no_detectors_said),
		cmocka_unit_test(pending_listed_apart),
		cmocka_unit_test(many_domains_fold_resolved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
