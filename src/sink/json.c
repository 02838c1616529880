/* sink/json.c - the JSON report (one document) and the JSON object writers
 * the NDJSON sink shares (L6).
 *
 * The document is written as the run goes: open() writes
 * `{"version":1,"lookups":[`, each closed lookup is appended as one line, and
 * close() ends the array and adds source, stats, resolvers, authoritatives,
 * senders and failing_names from the final snapshot. Arrays hold one element
 * per line so the output diffs well and streams. docs/json-schema.md is the
 * reference for every field.
 *
 * Conventions: times are RFC 3339 UTC strings with microseconds, latencies
 * are milliseconds with three decimals, names have a trailing dot, types,
 * rcodes and outcomes are mnemonics. Absent values are null. Maps of counts
 * ("rcodes", "outcomes") list non-zero entries in numeric order. No floating
 * point, no wall clock, no pointers: the same input gives the same bytes.
 * This file does not decide anything and never reads the model's tables.
 */
#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"
#include "sink_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small value writers ---------------------------------------------- */

static void key(FILE *out, bool *first, const char *k)
{
	if (!*first)
		fputc(',', out);
	*first = false;
	mx_json_str(out, k);
	fputc(':', out);
}

static void kv_u64(FILE *out, bool *first, const char *k, uint64_t v)
{
	key(out, first, k);
	fprintf(out, "%" PRIu64, v);
}

static void kv_bool(FILE *out, bool *first, const char *k, bool v)
{
	key(out, first, k);
	mx_sj_bool(out, v);
}

static void kv_str(FILE *out, bool *first, const char *k, const char *v)
{
	key(out, first, k);
	mx_json_str(out, v);
}

static void kv_time(FILE *out, bool *first, const char *k, uint64_t ts)
{
	key(out, first, k);
	mx_sj_time(out, ts);
}

static void kv_addr(FILE *out, bool *first, const char *k, const struct mx_addr *a)
{
	key(out, first, k);
	mx_sj_addr(out, a);
}

static void kv_name(FILE *out, bool *first, const char *k, const struct mx_dname *d)
{
	key(out, first, k);
	mx_sj_name(out, d);
}

static void kv_type(FILE *out, bool *first, const char *k, uint16_t t)
{
	char buf[32];
	kv_str(out, first, k, mx_dns_type_name(t, buf, sizeof buf));
}

static void kv_class(FILE *out, bool *first, const char *k, uint16_t c)
{
	char buf[32];
	kv_str(out, first, k, mx_dns_class_name(c, buf, sizeof buf));
}

static void kv_outcome(FILE *out, bool *first, const char *k, enum mx_outcome o)
{
	kv_str(out, first, k, mx_outcome_name(o));
}

static void kv_ede(FILE *out, bool *first, const char *k, uint16_t ede)
{
	key(out, first, k);
	if (ede == 0xffff)
		fputs("null", out);
	else
		fprintf(out, "%u", (unsigned)ede);
}

static const char *transport_name(uint8_t t)
{
	return t == MX_T_TCP ? "tcp" : (t == MX_T_UDP ? "udp" : "other");
}

/* {"NOERROR":n,...}: non-zero slots; the last slot is "other". */
static void rcode_map(FILE *out, const uint64_t *rc)
{
	bool f = true;
	char buf[32];
	fputc('{', out);
	for (unsigned i = 0; i < MX_RCODE_SLOTS; i++) {
		if (!rc[i])
			continue;
		const char *n = i == MX_RCODE_SLOTS - 1 ? "other"
							: mx_dns_rcode_name((uint16_t)i, buf, sizeof buf);
		kv_u64(out, &f, n, rc[i]);
	}
	fputc('}', out);
}

static void outcome_map(FILE *out, const uint64_t *oc)
{
	bool f = true;
	fputc('{', out);
	for (unsigned i = 0; i < MX_O__COUNT; i++)
		if (oc[i])
			kv_u64(out, &f, mx_outcome_name((enum mx_outcome)i), oc[i]);
	fputc('}', out);
}

static void capped(FILE *out, bool *first, const char *k, const char *kc, uint64_t v)
{
	kv_u64(out, first, k, v > MX_MODEL_DISTINCT_CAP ? MX_MODEL_DISTINCT_CAP : v);
	kv_bool(out, first, kc, v > MX_MODEL_DISTINCT_CAP);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : (x > y ? 1 : 0);
}

/* ---- lookups and transactions ----------------------------------------- */

static bool try_has_response(const struct mx_lookup_try *t)
{
	return !t->open && t->r_frame && t->outcome != MX_O_TIMEOUT &&
	       t->outcome != MX_O_UNREACHABLE;
}

static void write_try(FILE *out, const struct mx_lookup_try *t)
{
	bool f = true;
	char buf[32];
	fputc('{', out);
	kv_addr(out, &f, "server", &t->server);
	kv_str(out, &f, "transport", transport_name(t->transport));
	kv_u64(out, &f, "sport", t->sport);
	kv_outcome(out, &f, "outcome", t->outcome);
	kv_bool(out, &f, "open", t->open);
	kv_bool(out, &f, "tc", t->tc);
	key(out, &f, "rcode");
	if (try_has_response(t))
		mx_json_str(out, mx_dns_rcode_name(t->rcode, buf, sizeof buf));
	else
		fputs("null", out);
	kv_ede(out, &f, "ede", t->ede);
	key(out, &f, "latency_ms");
	if (t->r_frame && !t->open)
		mx_sj_ms(out, t->latency_us);
	else
		fputs("null", out);
	kv_u64(out, &f, "sends", t->sends);
	kv_time(out, &f, "ts", t->q_ts);
	key(out, &f, "frames");
	fputc('[', out);
	if (t->q_frame)
		fprintf(out, "%" PRIu64, t->q_frame);
	if (t->r_frame)
		fprintf(out, "%s%" PRIu64, t->q_frame ? "," : "", t->r_frame);
	fputs("]}", out);
}

void mx_sj_lookup_members(FILE *out, const struct mx_lookup *l)
{
	bool f = true;
	uint64_t frames[2 * MX_LOOKUP_MAX_TRIES + 1];
	size_t nf = 0;
	unsigned ntries = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	unsigned nres = l->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? l->n_resolvers
								 : MX_LOOKUP_MAX_RESOLVERS;

	kv_addr(out, &f, "client", &l->client);
	kv_name(out, &f, "qname", &l->qname);
	kv_type(out, &f, "qtype", l->qtype);
	kv_class(out, &f, "qclass", l->qclass);
	kv_outcome(out, &f, "outcome", l->outcome);
	kv_bool(out, &f, "rd", l->rd);
	kv_bool(out, &f, "edns", l->q_edns);
	kv_bool(out, &f, "do", l->q_do);
	kv_time(out, &f, "first_seen", l->first_us);
	kv_time(out, &f, "last_seen", l->last_us);
	key(out, &f, "latency_ms");
	if (l->decided_frame || l->latency_us)
		mx_sj_ms(out, l->latency_us);
	else
		fputs("null", out);
	key(out, &f, "decided_frame");
	if (l->decided_frame)
		fprintf(out, "%" PRIu64, l->decided_frame);
	else
		fputs("null", out);
	kv_ede(out, &f, "ede", l->ede);
	kv_u64(out, &f, "attempts", l->attempts);
	kv_bool(out, &f, "failover", l->failover);
	kv_bool(out, &f, "tcp_retry", l->tcp_retry);
	kv_bool(out, &f, "pending_at_end", l->pending_at_end);
	kv_bool(out, &f, "evicted", l->evicted);

	key(out, &f, "resolvers");
	fputc('[', out);
	for (unsigned i = 0; i < nres; i++) {
		if (i)
			fputc(',', out);
		mx_sj_addr(out, &l->resolvers[i]);
	}
	fputc(']', out);

	kv_u64(out, &f, "tries_total", l->tries_total > ntries ? l->tries_total : ntries);
	key(out, &f, "tries");
	fputc('[', out);
	for (unsigned i = 0; i < ntries; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (i)
			fputc(',', out);
		write_try(out, t);
		if (t->q_frame)
			frames[nf++] = t->q_frame;
		if (t->r_frame)
			frames[nf++] = t->r_frame;
	}
	fputc(']', out);
	if (l->decided_frame)
		frames[nf++] = l->decided_frame;
	qsort(frames, nf, sizeof(frames[0]), cmp_u64);
	key(out, &f, "frames");
	fputc('[', out);
	for (size_t i = 0, w = 0; i < nf; i++) {
		if (i && frames[i] == frames[i - 1])
			continue;
		fprintf(out, "%s%" PRIu64, w++ ? "," : "", frames[i]);
	}
	fputc(']', out);

	key(out, &f, "answers");
	{
		bool g = true;
		fputc('{', out);
		kv_u64(out, &g, "count", l->an_qtype);
		if (l->has_soa)
			kv_u64(out, &g, "neg_ttl", l->neg_ttl);
		fputc('}', out);
	}

	const struct mx_dns_msg *a = l->answer;
	if (a) {
		unsigned nmx = a->n_mx < MX_DNS_MAX_MX ? a->n_mx : MX_DNS_MAX_MX;
		unsigned nad = a->n_addr < MX_DNS_MAX_ADDR ? a->n_addr : MX_DNS_MAX_ADDR;
		unsigned ncn = a->n_cname < MX_DNS_MAX_CNAME ? a->n_cname : MX_DNS_MAX_CNAME;
		key(out, &f, "mx");
		fputc('[', out);
		for (unsigned i = 0; i < nmx; i++) {
			bool g = true;
			fputs(i ? ",{" : "{", out);
			kv_u64(out, &g, "preference", a->mx[i].pref);
			kv_name(out, &g, "exchange", &a->mx[i].exchange);
			fputc('}', out);
		}
		fputc(']', out);
		kv_u64(out, &f, "mx_total", a->mx_total > nmx ? a->mx_total : nmx);
		key(out, &f, "addresses");
		fputc('[', out);
		for (unsigned i = 0; i < nad; i++) {
			if (i)
				fputc(',', out);
			mx_sj_addr(out, &a->addr[i].addr);
		}
		fputc(']', out);
		kv_u64(out, &f, "addresses_total", a->addr_total > nad ? a->addr_total : nad);
		key(out, &f, "cname");
		fputc('[', out);
		for (unsigned i = 0; i < ncn; i++) {
			if (i)
				fputc(',', out);
			mx_sj_name(out, &a->cname[i]);
		}
		fputc(']', out);
	}
}

void mx_sj_txn_members(FILE *out, const struct mx_txn *t)
{
	bool f = true;
	bool answered = t->kind == MX_TXN_ANSWERED;
	char buf[32];
	unsigned nq = t->n_q_frames < MX_TXN_MAX_FRAMES ? t->n_q_frames : MX_TXN_MAX_FRAMES;

	kv_time(out, &f, "ts", t->q_ts);
	kv_addr(out, &f, "client", &t->client);
	kv_u64(out, &f, "cport", t->cport);
	kv_addr(out, &f, "server", &t->server);
	kv_u64(out, &f, "sport", t->sport);
	kv_str(out, &f, "transport", transport_name(t->transport));
	kv_u64(out, &f, "id", t->id);
	kv_name(out, &f, "qname", &t->qname);
	kv_type(out, &f, "qtype", t->qtype);
	kv_class(out, &f, "qclass", t->qclass);
	kv_str(out, &f, "kind", mx_txn_kind_name(t->kind));
	kv_outcome(out, &f, "outcome", t->outcome);
	key(out, &f, "rcode");
	if (answered)
		mx_json_str(out, mx_dns_rcode_name(t->rcode, buf, sizeof buf));
	else
		fputs("null", out);
	kv_ede(out, &f, "ede", answered ? t->ede : 0xffff);
	key(out, &f, "latency_ms");
	if (answered || t->kind == MX_TXN_UNREACHABLE)
		mx_sj_ms(out, t->latency_us);
	else
		fputs("null", out);
	kv_bool(out, &f, "rd", t->rd);
	kv_bool(out, &f, "edns", t->q_edns);
	kv_bool(out, &f, "do", t->q_do);
	kv_bool(out, &f, "aa", answered && t->aa);
	kv_bool(out, &f, "ra", answered && t->ra);
	kv_bool(out, &f, "tc", answered && t->tc);
	key(out, &f, "r_size");
	if (answered)
		fprintf(out, "%" PRIu32, t->r_size);
	else
		fputs("null", out);
	kv_u64(out, &f, "sends", t->sends);
	key(out, &f, "q_frame");
	fprintf(out, "%" PRIu64, t->q_frame);
	key(out, &f, "q_frames");
	fputc('[', out);
	if (nq == 0 && t->q_frame)
		fprintf(out, "%" PRIu64, t->q_frame);
	for (unsigned i = 0; i < nq; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", t->q_frames[i]);
	fputc(']', out);
	key(out, &f, "r_frame");
	if (t->r_frame)
		fprintf(out, "%" PRIu64, t->r_frame);
	else
		fputs("null", out);
	kv_time(out, &f, "r_ts", t->r_frame ? t->r_ts : 0);
}

/* ---- snapshot parts --------------------------------------------------- */

void mx_sj_source_members(FILE *out, const struct mx_snapshot *s)
{
	bool f = true;
	kv_str(out, &f, "source", s->source);
	kv_str(out, &f, "filter", s->filter);
	kv_bool(out, &f, "live", s->live);
}

void mx_sj_stats_members(FILE *out, const struct mx_snapshot *s)
{
	bool f = true, g;
	const struct mx_txn_stats *t = &s->txn;
	const struct mx_decode_stats *d = &s->decode;
	uint64_t dur = s->last_us > s->first_us ? s->last_us - s->first_us : 0;

	kv_time(out, &f, "first_seen", s->first_us);
	kv_time(out, &f, "last_seen", s->last_us);
	key(out, &f, "duration_s");
	fprintf(out, "%" PRIu64 ".%06u", dur / 1000000u, (unsigned)(dur % 1000000u));
	kv_u64(out, &f, "packets", s->packets);
	kv_u64(out, &f, "bytes", s->bytes);
	kv_u64(out, &f, "dns_messages", s->dns_messages);
	kv_u64(out, &f, "queries", s->queries);
	kv_u64(out, &f, "responses", s->responses);
	kv_u64(out, &f, "malformed", s->dns_malformed);
	kv_u64(out, &f, "truncated", s->dns_truncated);
	kv_u64(out, &f, "not_dns", s->dns_not_dns);
	kv_u64(out, &f, "transactions", t->transactions);
	kv_u64(out, &f, "answered", t->answered);
	kv_u64(out, &f, "unanswered", t->timeouts);
	kv_u64(out, &f, "unreachable", t->unreachable);
	kv_u64(out, &f, "pending_at_end", t->pending_at_end);
	kv_u64(out, &f, "retransmits", t->retransmits);
	kv_u64(out, &f, "late", t->stray[MX_STRAY_LATE]);
	kv_u64(out, &f, "duplicate", t->stray[MX_STRAY_DUPLICATE]);
	kv_u64(out, &f, "unsolicited", t->stray[MX_STRAY_UNSOLICITED]);
	kv_u64(out, &f, "wrong_source", t->stray[MX_STRAY_WRONG_SOURCE]);
	kv_u64(out, &f, "icmp_unreachables", s->icmp_dns);
	kv_u64(out, &f, "icmp_unmatched", t->icmp_unmatched);
	kv_u64(out, &f, "lookups", s->lookup.lookups);
	key(out, &f, "lookup_outcomes");
	outcome_map(out, s->lookup.by_outcome);
	kv_u64(out, &f, "lookups_pending_at_end", s->lookup.pending_at_end);
	kv_u64(out, &f, "orphan_results", s->lookup.orphan_results);
	kv_u64(out, &f, "evicted", s->evicted_total);

	key(out, &f, "qtypes");
	fputc('{', out);
	g = true;
	for (unsigned i = 0; i < MX_QS__COUNT; i++)
		kv_u64(out, &g, mx_model_qtype_slot_name((enum mx_qtype_slot)i), s->qtype_counts[i]);
	kv_u64(out, &g, "other", s->by_qtype_other);
	fputc('}', out);

	key(out, &f, "decode");
	fputc('{', out);
	g = true;
	for (unsigned i = 0; i < MX_R__COUNT; i++)
		kv_u64(out, &g, mx_decode_reason_name((enum mx_reason)i), d->reason[i]);
	fputc('}', out);

	key(out, &f, "verdicts");
	fputc('{', out);
	g = true;
	for (unsigned i = 0; i < MX_V__COUNT; i++)
		kv_u64(out, &g, mx_verdict_name((enum mx_verdict)i), d->verdict[i]);
	fputc('}', out);

	key(out, &f, "layers");
	fputc('{', out);
	g = true;
	kv_u64(out, &g, "frames", d->frames);
	kv_u64(out, &g, "ipv4", d->ipv4);
	kv_u64(out, &g, "ipv6", d->ipv6);
	kv_u64(out, &g, "udp", d->udp);
	kv_u64(out, &g, "tcp", d->tcp);
	kv_u64(out, &g, "icmp", d->icmp);
	kv_u64(out, &g, "vlan_tagged", d->vlan_tagged);
	kv_u64(out, &g, "dns_udp", d->dns_udp);
	kv_u64(out, &g, "dns_tcp", d->dns_tcp);
	kv_u64(out, &g, "frag_reassembled", d->frag_reassembled);
	kv_u64(out, &g, "frag_timeout", d->frag_timeout);
	kv_u64(out, &g, "tcp_retrans", d->tcp_retrans);
	kv_u64(out, &g, "tcp_out_of_order", d->tcp_out_of_order);
	kv_u64(out, &g, "tcp_gap", d->tcp_gap);
	kv_u64(out, &g, "tcp_midstream", d->tcp_midstream);
	kv_u64(out, &g, "tcp_bytes_dropped", d->tcp_bytes_dropped);
	fputc('}', out);

	key(out, &f, "evictions");
	fputc('{', out);
	g = true;
	kv_u64(out, &g, "servers", s->evicted_servers);
	kv_u64(out, &g, "senders", s->evicted_senders);
	kv_u64(out, &g, "failing_names", s->evicted_names);
	kv_u64(out, &g, "pending_queries", t->evicted_pending);
	kv_u64(out, &g, "recent_transactions", t->evicted_recent);
	kv_u64(out, &g, "lookups", s->lookup.evicted);
	kv_u64(out, &g, "fragments", d->frag_evicted);
	kv_u64(out, &g, "tcp_flows", d->tcp_flows_evicted);
	fputc('}', out);

	key(out, &f, "capture");
	fputc('{', out);
	g = true;
	kv_bool(out, &g, "live", s->capture.live);
	kv_u64(out, &g, "frames", s->capture.frames);
	kv_u64(out, &g, "received", s->capture.ps_recv);
	kv_u64(out, &g, "dropped", s->capture.ps_drop);
	kv_u64(out, &g, "if_dropped", s->capture.ps_ifdrop);
	fputc('}', out);
}

void mx_sj_server_members(FILE *out, const struct mx_server_row *r)
{
	bool f = true;
	kv_addr(out, &f, "address", &r->addr);
	kv_u64(out, &f, "queries", r->queries);
	kv_u64(out, &f, "transactions", r->transactions);
	kv_u64(out, &f, "answered", r->answered);
	kv_u64(out, &f, "timeouts", r->timeouts);
	kv_u64(out, &f, "unreachable", r->unreachable);
	kv_u64(out, &f, "pending", r->pending);
	kv_u64(out, &f, "late", r->late);
	kv_u64(out, &f, "duplicate", r->duplicate);
	kv_u64(out, &f, "wrong_source", r->wrong_source);
	kv_u64(out, &f, "tcp_queries", r->tcp_queries);
	kv_u64(out, &f, "truncated", r->truncated);
	key(out, &f, "latency_ms");
	if (r->latency.count) {
		bool g = true;
		fputc('{', out);
		kv_u64(out, &g, "count", r->latency.count);
		key(out, &g, "p50");
		mx_sj_ms(out, r->latency.p50);
		key(out, &g, "p95");
		mx_sj_ms(out, r->latency.p95);
		key(out, &g, "p99");
		mx_sj_ms(out, r->latency.p99);
		key(out, &g, "max");
		mx_sj_ms(out, r->latency.max);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	key(out, &f, "rcodes");
	rcode_map(out, r->rcodes);
	key(out, &f, "outcomes");
	outcome_map(out, r->outcomes);
	capped(out, &f, "clients", "clients_capped", r->clients);
	kv_time(out, &f, "first_seen", r->first_us);
	kv_time(out, &f, "last_seen", r->last_us);
}

void mx_sj_sender_members(FILE *out, const struct mx_sender_row *r)
{
	bool f = true;
	kv_addr(out, &f, "address", &r->addr);
	kv_u64(out, &f, "queries", r->queries);
	kv_u64(out, &f, "lookups", r->lookups);
	kv_u64(out, &f, "failed", r->failed);
	key(out, &f, "outcomes");
	outcome_map(out, r->outcomes);
	kv_u64(out, &f, "mx_lookups", r->mx_lookups);
	kv_u64(out, &f, "a_lookups", r->a_lookups);
	kv_u64(out, &f, "aaaa_lookups", r->aaaa_lookups);
	kv_u64(out, &f, "other_lookups", r->other_lookups);
	kv_u64(out, &f, "edns_queries", r->edns_queries);
	kv_u64(out, &f, "do_queries", r->do_queries);
	capped(out, &f, "resolvers", "resolvers_capped", r->resolvers);
	kv_time(out, &f, "first_seen", r->first_us);
	kv_time(out, &f, "last_seen", r->last_us);
}

void mx_sj_failing_members(FILE *out, const struct mx_name_row *r)
{
	bool f = true;
	kv_name(out, &f, "qname", &r->qname);
	kv_type(out, &f, "qtype", r->qtype);
	kv_u64(out, &f, "lookups", r->lookups);
	kv_u64(out, &f, "failed", r->failed);
	key(out, &f, "outcomes");
	outcome_map(out, r->outcomes);
	kv_outcome(out, &f, "last_outcome", r->last_outcome);
	capped(out, &f, "clients", "clients_capped", r->clients);
	kv_time(out, &f, "first_seen", r->first_us);
	kv_time(out, &f, "last_seen", r->last_us);
	key(out, &f, "frame");
	if (r->last_frame)
		fprintf(out, "%" PRIu64, r->last_frame);
	else
		fputs("null", out);
}

/* ---- the sink --------------------------------------------------------- */

struct json_state {
	uint64_t n_lookups;
};

static int json_open(void *st, FILE *out)
{
	(void)st;
	fprintf(out, "{\"version\":%d,\"lookups\":[", MX_JSON_SCHEMA_VERSION);
	return 0;
}

static void json_lookup(void *st, FILE *out, const struct mx_lookup *l)
{
	struct json_state *js = st;
	fputs(js->n_lookups++ ? ",\n{" : "\n{", out);
	mx_sj_lookup_members(out, l);
	fputc('}', out);
}

typedef void (*row_fn)(FILE *out, const void *row);

static void row_server(FILE *out, const void *r)
{
	mx_sj_server_members(out, r);
}

static void row_sender(FILE *out, const void *r)
{
	mx_sj_sender_members(out, r);
}

static void row_failing(FILE *out, const void *r)
{
	mx_sj_failing_members(out, r);
}

static void array(FILE *out, const char *name, const void *rows, size_t n, size_t size, row_fn fn)
{
	fprintf(out, ",\n\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n{" : "\n{", out);
		fn(out, (const unsigned char *)rows + i * size);
		fputc('}', out);
	}
	fputs(n ? "\n]" : "]", out);
}

static int json_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	struct json_state *js = st;
	fputs(js->n_lookups ? "\n]," : "],", out);
	fputc('\n', out);
	mx_sj_source_members(out, s);
	fputs(",\n\"stats\":{", out);
	mx_sj_stats_members(out, s);
	fputc('}', out);
	array(out, "resolvers", s->resolvers, s->n_resolvers, sizeof(*s->resolvers), row_server);
	array(out, "authoritatives", s->authoritatives, s->n_authoritatives,
	      sizeof(*s->authoritatives), row_server);
	array(out, "senders", s->senders, s->n_senders, sizeof(*s->senders), row_sender);
	array(out, "failing_names", s->failing, s->n_failing, sizeof(*s->failing), row_failing);
	fputs("\n}\n", out);
	return 0;
}

const struct mx_sink_ops mx_sink_json = {
	.name = "json",
	.summary = "one JSON document: lookups as they complete, then stats and tables",
	.state_size = sizeof(struct json_state),
	.open = json_open,
	.txn = NULL,
	.lookup = json_lookup,
	.close = json_close,
};
