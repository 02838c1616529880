/* sink/json.c - the JSON report (one document) and the JSON object writers
 * the NDJSON sink shares (L6).
 *
 * The document is written as the run goes: open() writes
 * `{"version":1,"lookups":[`, each closed lookup is appended as one line, and
 * close() ends the array and adds findings, chains, source, stats, domains,
 * resolvers, authoritatives, senders and failing_names from the final
 * snapshot. Arrays hold one element per line so the output diffs well and
 * streams. docs/json-schema.md is the reference for every field.
 *
 * Chains arrive streamed too, interleaved with lookups, but one document can
 * only grow one array at a time: each chain is written as it closes to an
 * anonymous temporary file (tmpfile(3)), which close() copies into the
 * document's "chains" array. Memory stays bounded whatever the run's length
 * (the file is bounded by disk, and removed by the C library when closed).
 * If the file cannot be created or written, the array falls back to the
 * chains the model kept (the most recent ones) and "chains_omitted" says how
 * many closed chains are missing.
 *
 * Conventions: times are RFC 3339 UTC strings with microseconds, latencies
 * are milliseconds with three decimals, names have a trailing dot, types,
 * rcodes and outcomes are mnemonics. Absent values are null. Maps of counts
 * ("rcodes", "outcomes") list non-zero entries in numeric order. No floating
 * point, no wall clock, no pointers: the same input gives the same bytes.
 * This file does not decide anything and never reads the model's tables.
 */
#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
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

/* null for "no such value" members */
static void kv_null(FILE *out, bool *first, const char *k)
{
	key(out, first, k);
	fputs("null", out);
}

static void kv_addr_or_null(FILE *out, bool *first, const char *k, const struct mx_addr *a)
{
	if (a->family)
		kv_addr(out, first, k, a);
	else
		kv_null(out, first, k);
}

static void kv_name_or_null(FILE *out, bool *first, const char *k, const struct mx_dname *d)
{
	if (d->len)
		kv_name(out, first, k, d);
	else
		kv_null(out, first, k);
}

/* seconds with six decimals, as duration_s */
static void kv_secs(FILE *out, bool *first, const char *k, uint64_t us)
{
	key(out, first, k);
	fprintf(out, "%" PRIu64 ".%06u", us / 1000000u, (unsigned)(us % 1000000u));
}

static void addr_array(FILE *out, const struct mx_addr *a, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		mx_sj_addr(out, &a[i]);
	}
	fputc(']', out);
}

static void u64_array(FILE *out, const uint64_t *v, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", v[i]);
	fputc(']', out);
}

/* The outcome carries no DNS response (so no rcode, no latency). */
static bool no_response(enum mx_outcome o)
{
	return o == MX_O_TIMEOUT || o == MX_O_UNREACHABLE;
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
	kv_u64(out, &g, "domains", s->evicted_domains);
	kv_u64(out, &g, "open_chains", s->chain.evicted);
	kv_u64(out, &g, "chain_history", s->chain.history_evicted);
	kv_u64(out, &g, "findings", s->findings_evicted);
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

	key(out, &f, "chains");
	fputc('{', out);
	g = true;
	kv_u64(out, &g, "chains", s->chain.chains);
	kv_u64(out, &g, "resolved", s->chain.resolved);
	kv_u64(out, &g, "deferred", s->chain.deferred);
	kv_u64(out, &g, "failed", s->chain.failed);
	kv_u64(out, &g, "incomplete", s->chain.incomplete);
	kv_u64(out, &g, "evicted", s->chain.evicted);
	kv_u64(out, &g, "history_evicted", s->chain.history_evicted);
	kv_u64(out, &g, "lookups_joined", s->chain.lookups_joined);
	kv_u64(out, &g, "syns", s->chain.syns);
	fputc('}', out);
	kv_u64(out, &f, "findings", s->n_findings);
	kv_u64(out, &f, "findings_evicted", s->findings_evicted);
	kv_bool(out, &f, "input_truncated", s->input_truncated);
	kv_str(out, &f, "input_error", s->input_error[0] ? s->input_error : NULL);
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
	/* fingerprint from its chains (PATTERNS.md §1.9) */
	const char *fb = mx_sender_fallback(r);
	kv_u64(out, &f, "chains", r->chains);
	kv_u64(out, &f, "chains_deferred", r->chains_deferred);
	kv_u64(out, &f, "chains_failed", r->chains_failed);
	kv_u64(out, &f, "hosts_aaaa_first", r->hosts_aaaa_first);
	kv_u64(out, &f, "hosts_a_first", r->hosts_a_first);
	kv_u64(out, &f, "hosts_parallel", r->hosts_parallel);
	kv_str(out, &f, "family_order", mx_sender_family_order(r));
	kv_u64(out, &f, "aaaa_failures", r->aaaa_fail);
	kv_u64(out, &f, "aaaa_failures_then_a", r->aaaa_fail_then_a);
	kv_str(out, &f, "fallback", strcmp(fb, "-") == 0 ? NULL : fb);
	kv_u64(out, &f, "retry_gaps", r->retry_gaps);
	if (r->retry_gaps) {
		kv_secs(out, &f, "retry_gap_min_s", r->retry_gap_min_us);
		kv_secs(out, &f, "retry_gap_mean_s", r->retry_gap_sum_us / r->retry_gaps);
	} else {
		kv_null(out, &f, "retry_gap_min_s");
		kv_null(out, &f, "retry_gap_mean_s");
	}
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

/* ---- findings, chains, domains ---------------------------------------- */

static void write_evidence(FILE *out, const struct mx_evidence *e)
{
	bool f = true;
	char buf[32];
	fputc('{', out);
	kv_u64(out, &f, "frame", e->frame);
	kv_time(out, &f, "time", e->ts_us);
	kv_addr_or_null(out, &f, "from", &e->from);
	kv_addr_or_null(out, &f, "to", &e->to);
	kv_bool(out, &f, "response", e->response);
	kv_name_or_null(out, &f, "qname", &e->qname);
	kv_type(out, &f, "qtype", e->qtype);
	kv_outcome(out, &f, "outcome", e->outcome);
	if (e->response && !no_response(e->outcome))
		kv_str(out, &f, "rcode", mx_dns_rcode_name(e->rcode, buf, sizeof buf));
	else
		kv_null(out, &f, "rcode");
	kv_ede(out, &f, "ede", e->response ? e->ede : 0xffff);
	key(out, &f, "latency_ms");
	if (e->response && e->outcome != MX_O_TIMEOUT)
		mx_sj_ms(out, e->latency_us);
	else
		fputs("null", out);
	kv_str(out, &f, "answer", e->answer[0] ? e->answer : NULL);
	fputc('}', out);
}

void mx_sj_finding_members(FILE *out, const struct mx_finding *fi)
{
	bool f = true;
	unsigned nres = fi->n_resolvers < MX_FINDING_MAX_RESOLVERS ? fi->n_resolvers
								    : MX_FINDING_MAX_RESOLVERS;
	unsigned nfr = fi->n_frames < MX_FINDING_MAX_FRAMES ? fi->n_frames : MX_FINDING_MAX_FRAMES;
	unsigned nev = fi->n_evidence < MX_FINDING_MAX_EVIDENCE ? fi->n_evidence
								  : MX_FINDING_MAX_EVIDENCE;
	char vbuf[sizeof fi->verify + 1];

	kv_str(out, &f, "pattern", fi->pattern ? fi->pattern : "");
	kv_str(out, &f, "severity", mx_sev_name(fi->sev));
	kv_str(out, &f, "title", fi->title);
	kv_addr_or_null(out, &f, "sender", &fi->sender);
	key(out, &f, "resolvers");
	addr_array(out, fi->resolvers, nres);
	kv_name_or_null(out, &f, "domain", &fi->domain);
	kv_name_or_null(out, &f, "host", &fi->host);
	if (fi->qtype)
		kv_type(out, &f, "qtype", fi->qtype);
	else
		kv_null(out, &f, "qtype");
	kv_time(out, &f, "first_seen", fi->first_us);
	kv_time(out, &f, "last_seen", fi->last_us);
	kv_u64(out, &f, "count", fi->count);
	kv_u64(out, &f, "attempts", fi->attempts);
	kv_bool(out, &f, "single_attempt", fi->single_attempt);
	key(out, &f, "frames");
	u64_array(out, fi->frames, nfr);
	/* fixed-size text fields: never read past the array */
	memcpy(vbuf, fi->detail, sizeof fi->detail);
	vbuf[sizeof fi->detail] = '\0';
	kv_str(out, &f, "detail", vbuf);
	kv_str(out, &f, "smtp_status", fi->smtp_status);
	kv_str(out, &f, "cause", fi->cause);
	kv_str(out, &f, "fix", fi->fix);
	key(out, &f, "verify");
	fputc('[', out);
	memcpy(vbuf, fi->verify, sizeof fi->verify);
	vbuf[sizeof fi->verify] = '\0';
	{
		const char *p = vbuf, *line;
		size_t len, k = 0;
		while ((len = mx_sk_next_line(&p, &line)) != 0) {
			char one[sizeof fi->verify + 1];
			memcpy(one, line, len);
			one[len] = '\0';
			if (k++)
				fputc(',', out);
			mx_json_str(out, one);
		}
	}
	fputc(']', out);
	key(out, &f, "evidence");
	fputc('[', out);
	for (unsigned i = 0; i < nev; i++) {
		if (i)
			fputc(',', out);
		write_evidence(out, &fi->evidence[i]);
	}
	fputc(']', out);
}

static void write_step(FILE *out, const struct mx_chain_step *st)
{
	bool f = true;
	char buf[32];
	unsigned nres = st->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? st->n_resolvers
								  : MX_LOOKUP_MAX_RESOLVERS;
	unsigned nfr = st->n_frames < MX_CHAIN_MAX_FRAMES ? st->n_frames : MX_CHAIN_MAX_FRAMES;
	fputc('{', out);
	kv_bool(out, &f, "asked", st->asked);
	if (st->asked) {
		kv_outcome(out, &f, "outcome", st->outcome);
		if (!no_response(st->outcome))
			kv_str(out, &f, "rcode", mx_dns_rcode_name(st->rcode, buf, sizeof buf));
		else
			kv_null(out, &f, "rcode");
		kv_ede(out, &f, "ede", st->ede);
	} else {
		kv_null(out, &f, "outcome");
		kv_null(out, &f, "rcode");
		kv_null(out, &f, "ede");
	}
	kv_u64(out, &f, "lookups", st->lookups);
	kv_u64(out, &f, "attempts", st->attempts);
	kv_time(out, &f, "first_seen", st->asked ? st->first_us : 0);
	kv_time(out, &f, "last_seen", st->asked ? st->end_us : 0);
	key(out, &f, "latency_ms");
	if (st->asked && !no_response(st->outcome))
		mx_sj_ms(out, st->latency_us);
	else
		fputs("null", out);
	kv_bool(out, &f, "timeouts", st->timeouts);
	key(out, &f, "resolvers");
	addr_array(out, st->resolvers, nres);
	key(out, &f, "frames");
	u64_array(out, st->frames, nfr);
	fputc('}', out);
}

static void write_host(FILE *out, const struct mx_chain_host *h)
{
	bool f = true;
	unsigned na = h->n_addrs < MX_CHAIN_MAX_ADDRS ? h->n_addrs : MX_CHAIN_MAX_ADDRS;
	fputc('{', out);
	kv_name_or_null(out, &f, "name", &h->name);
	kv_u64(out, &f, "preference", h->pref);
	kv_bool(out, &f, "implicit", h->implicit);
	kv_bool(out, &f, "ip_literal", h->ip_literal);
	kv_name_or_null(out, &f, "cname", &h->cname);
	kv_bool(out, &f, "cname_loop", h->cname_loop);
	kv_str(out, &f, "first_family",
	       h->first_family == 6 ? "AAAA" : (h->first_family == 4 ? "A" : NULL));
	key(out, &f, "a");
	write_step(out, &h->a);
	key(out, &f, "aaaa");
	write_step(out, &h->aaaa);
	key(out, &f, "tlsa");
	write_step(out, &h->tlsa);
	key(out, &f, "addresses");
	addr_array(out, h->addrs, na);
	kv_bool(out, &f, "connected", h->connected);
	fputc('}', out);
}

void mx_sj_chain_members(FILE *out, const struct mx_chain *c)
{
	bool f = true;
	unsigned nh = c->n_hosts < MX_CHAIN_MAX_HOSTS ? c->n_hosts : MX_CHAIN_MAX_HOSTS;
	kv_addr_or_null(out, &f, "sender", &c->sender);
	kv_name_or_null(out, &f, "domain", &c->domain);
	kv_u64(out, &f, "attempt", c->attempt);
	kv_time(out, &f, "prev_start", c->prev_start_us);
	kv_time(out, &f, "start", c->start_us);
	kv_time(out, &f, "end", c->end_us);
	kv_str(out, &f, "verdict", mx_chain_verdict_name(c->verdict));
	kv_str(out, &f, "why", c->why);
	kv_bool(out, &f, "cut_short", c->cut_short);
	kv_bool(out, &f, "connected", c->connected);
	if (c->connected)
		kv_addr_or_null(out, &f, "connected_to", &c->connected_to);
	else
		kv_null(out, &f, "connected_to");
	key(out, &f, "syn_frame");
	if (c->syn_frame)
		fprintf(out, "%" PRIu64, c->syn_frame);
	else
		fputs("null", out);
	kv_u64(out, &f, "syn_other", c->syn_other);
	key(out, &f, "mx");
	write_step(out, &c->mx);
	kv_u64(out, &f, "mx_total", c->mx_total);
	kv_bool(out, &f, "null_mx", c->null_mx);
	kv_bool(out, &f, "null_mx_mixed", c->null_mx_mixed);
	kv_name_or_null(out, &f, "soa", &c->soa_owner);
	if (c->soa_owner.len)
		kv_u64(out, &f, "neg_ttl", c->neg_ttl);
	else
		kv_null(out, &f, "neg_ttl");
	kv_u64(out, &f, "hosts_total", c->hosts_total > nh ? c->hosts_total : nh);
	key(out, &f, "hosts");
	fputc('[', out);
	for (unsigned i = 0; i < nh; i++) {
		if (i)
			fputc(',', out);
		write_host(out, &c->hosts[i]);
	}
	fputc(']', out);
}

void mx_sj_domain_members(FILE *out, const struct mx_domain_row *r)
{
	bool f = true;
	kv_name_or_null(out, &f, "domain", &r->domain);
	kv_u64(out, &f, "chains", r->chains);
	kv_u64(out, &f, "resolved", r->resolved);
	kv_u64(out, &f, "deferred", r->deferred);
	kv_u64(out, &f, "failed", r->failed);
	kv_u64(out, &f, "incomplete", r->incomplete);
	capped(out, &f, "senders", "senders_capped", r->senders);
	kv_u64(out, &f, "max_attempt", r->max_attempt);
	if (r->chains) {
		kv_str(out, &f, "last_verdict", mx_chain_verdict_name(r->last_verdict));
		kv_str(out, &f, "last_why", r->last_why);
	} else {
		kv_null(out, &f, "last_verdict");
		kv_null(out, &f, "last_why");
	}
	kv_time(out, &f, "first_seen", r->first_us);
	kv_time(out, &f, "last_seen", r->last_us);
}

/* ---- the sink --------------------------------------------------------- */

struct json_state {
	uint64_t n_lookups;
	FILE *chains;          /* temporary file of streamed chain elements */
	uint64_t n_chains;     /* elements written to it */
	bool chains_failed;    /* tmpfile() or a write failed: use the snapshot's */
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

static void json_chain(void *st, FILE *out, const struct mx_chain *c)
{
	struct json_state *js = st;
	(void)out;
	if (js->chains_failed)
		return;
	if (!js->chains) {
		js->chains = tmpfile();
		if (!js->chains) {
			js->chains_failed = true;
			return;
		}
	}
	fputs(js->n_chains++ ? ",\n{" : "\n{", js->chains);
	mx_sj_chain_members(js->chains, c);
	fputc('}', js->chains);
	if (ferror(js->chains))
		js->chains_failed = true;
}

/* Copy the streamed chains into out; false when they cannot be used. */
static bool copy_chains(struct json_state *js, FILE *out)
{
	char buf[8192];
	size_t k;
	if (!js->chains || js->chains_failed || fflush(js->chains) != 0 ||
	    fseek(js->chains, 0, SEEK_SET) != 0)
		return false;
	while ((k = fread(buf, 1, sizeof buf, js->chains)) > 0)
		fwrite(buf, 1, k, out);
	return !ferror(js->chains);
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

static void row_finding(FILE *out, const void *r)
{
	mx_sj_finding_members(out, r);
}

static void row_chain(FILE *out, const void *r)
{
	mx_sj_chain_members(out, r);
}

static void row_domain(FILE *out, const void *r)
{
	mx_sj_domain_members(out, r);
}

static int json_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	struct json_state *js = st;
	uint64_t listed;
	int rc = 0;
	fputs(js->n_lookups ? "\n]" : "]", out);
	array(out, "findings", s->findings, s->n_findings, sizeof(*s->findings), row_finding);
	/* chains: the streamed ones, else those the model kept */
	if (js->n_chains && !js->chains_failed) {
		fputs(",\n\"chains\":[", out);
		if (!copy_chains(js, out))
			rc = MX_EIO; /* the document is incomplete: say so */
		fputs("\n]", out);
		listed = js->n_chains;
	} else {
		array(out, "chains", s->chains, s->n_chains, sizeof(*s->chains), row_chain);
		listed = s->n_chains;
	}
	if (js->chains)
		fclose(js->chains);
	js->chains = NULL;
	fprintf(out, ",\n\"chains_omitted\":%" PRIu64, s->chain.chains > listed ? s->chain.chains - listed : 0);
	fputs(",\n", out);
	mx_sj_source_members(out, s);
	fputs(",\n\"stats\":{", out);
	mx_sj_stats_members(out, s);
	fputc('}', out);
	array(out, "domains", s->domains, s->n_domains, sizeof(*s->domains), row_domain);
	array(out, "resolvers", s->resolvers, s->n_resolvers, sizeof(*s->resolvers), row_server);
	array(out, "authoritatives", s->authoritatives, s->n_authoritatives,
	      sizeof(*s->authoritatives), row_server);
	array(out, "senders", s->senders, s->n_senders, sizeof(*s->senders), row_sender);
	array(out, "failing_names", s->failing, s->n_failing, sizeof(*s->failing), row_failing);
	fputs("\n}\n", out);
	return rc;
}

const struct mx_sink_ops mx_sink_json = {
	.name = "json",
	.summary = "one JSON document: lookups and chains as they complete, then findings, stats and tables",
	.state_size = sizeof(struct json_state),
	.open = json_open,
	.txn = NULL,
	.lookup = json_lookup,
	.close = json_close,
	.chain = json_chain,
};
