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
 * many closed chains are missing. A document rendered from a snapshot alone
 * (the live view) has the same fallback for chains and an empty "lookups"
 * array, which "lookups_omitted" and "note" then explain.
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
#include <unistd.h>

/* ---- small value writers ---------------------------------------------- */

/* Member names. KL("name") stands for the literal "\"name\":" and its
 * length: names written in this file are plain ASCII (nothing to escape),
 * so they are copied as they are. Names from tables go through
 * mx_jw_key, which escapes. */
#define KL(name) "\"" name "\":", sizeof(name) + 2

/* Everything below is inlined: the member name's length is a constant, so
 * its copy is a few moves, and `first` folds away in each writer. */
#define KV static inline __attribute__((always_inline))

/* Room for a ',', the member name and `val` more bytes; writes the ',' (not
 * before the first member) and the name, and returns the cursor for the
 * value (hand its end back with mx_jw_end). */
KV char *kbeg(struct mx_jw *out, bool *first, const char *k, size_t kn, size_t val)
{
	char *d = mx_jw_room(out, kn + 1 + val);
	if (!*first)
		*d++ = ',';
	*first = false;
	memcpy(d, k, kn);
	return d + kn;
}

KV void key(struct mx_jw *out, bool *first, const char *k, size_t kn)
{
	mx_jw_end(out, kbeg(out, first, k, kn, 0));
}

/* name: a member name from a table, escaped */
static void kv_u64_name(struct mx_jw *out, bool *first, const char *name, uint64_t v)
{
	mx_jw_key(out, first, name);
	mx_jw_u64(out, v);
}

KV void kv_u64(struct mx_jw *out, bool *first, const char *k, size_t kn, uint64_t v)
{
	mx_jw_end(out, mx_jc_u64(kbeg(out, first, k, kn, MX_JC_U64_MAX), v));
}

KV char *jc_bool(char *d, bool v)
{
	if (v) {
		memcpy(d, "true", 4);
		return d + 4;
	}
	memcpy(d, "false", 5);
	return d + 5;
}

KV char *jc_null(char *d)
{
	memcpy(d, "null", 4);
	return d + 4;
}

KV void kv_bool(struct mx_jw *out, bool *first, const char *k, size_t kn, bool v)
{
	mx_jw_end(out, jc_bool(kbeg(out, first, k, kn, 5), v));
}

KV void kv_str(struct mx_jw *out, bool *first, const char *k, size_t kn, const char *v)
{
	key(out, first, k, kn);
	mx_jw_str(out, v);
}

KV void kv_time(struct mx_jw *out, bool *first, const char *k, size_t kn, uint64_t ts)
{
	mx_jw_end(out, mx_jc_time(out, kbeg(out, first, k, kn, MX_JC_TIME_MAX), ts));
}

/* milliseconds, or null when !have */
KV void kv_ms(struct mx_jw *out, bool *first, const char *k, size_t kn, bool have, uint64_t us)
{
	char *d = kbeg(out, first, k, kn, MX_JC_MS_MAX);
	mx_jw_end(out, have ? mx_jc_ms(d, us) : jc_null(d));
}

/* a number, or null when !have */
KV void kv_u64_or_null(struct mx_jw *out, bool *first, const char *k, size_t kn, bool have,
		       uint64_t v)
{
	char *d = kbeg(out, first, k, kn, MX_JC_U64_MAX);
	mx_jw_end(out, have ? mx_jc_u64(d, v) : jc_null(d));
}

KV void kv_addr(struct mx_jw *out, bool *first, const char *k, size_t kn, const struct mx_addr *a)
{
	mx_jw_end(out, mx_jc_addr(kbeg(out, first, k, kn, MX_JC_ADDR_MAX), a));
}

KV void kv_name(struct mx_jw *out, bool *first, const char *k, size_t kn, const struct mx_dname *d)
{
	key(out, first, k, kn);
	mx_sj_name(out, d);
}

KV void kv_type(struct mx_jw *out, bool *first, const char *k, size_t kn, uint16_t t)
{
	key(out, first, k, kn);
	mx_sj_type(out, t);
}

KV void kv_class(struct mx_jw *out, bool *first, const char *k, size_t kn, uint16_t c)
{
	key(out, first, k, kn);
	mx_sj_class(out, c);
}

KV void kv_outcome(struct mx_jw *out, bool *first, const char *k, size_t kn, enum mx_outcome o)
{
	key(out, first, k, kn);
	mx_sj_outcome(out, o);
}

KV void kv_verdict(struct mx_jw *out, bool *first, const char *k, size_t kn, enum mx_chain_verdict v)
{
	key(out, first, k, kn);
	mx_sj_verdict(out, v);
}

KV void kv_ede(struct mx_jw *out, bool *first, const char *k, size_t kn, uint16_t ede)
{
	kv_u64_or_null(out, first, k, kn, ede != 0xffff, ede);
}

/* null for "no such value" members */
KV void kv_null(struct mx_jw *out, bool *first, const char *k, size_t kn)
{
	mx_jw_end(out, jc_null(kbeg(out, first, k, kn, 4)));
}

/* The EXTRA-TEXT of message m's Extended DNS Error (RFC 8914 §2), null when
 * there is no message at hand, no EDE or no text. */
KV void kv_ede_text(struct mx_jw *out, bool *first, const char *k, size_t kn, const struct mx_dns_msg *m)
{
	if (m && m->has_ede && m->ede_text[0])
		kv_str(out, first, k, kn, m->ede_text);
	else
		kv_null(out, first, k, kn);
}

KV void kv_addr_or_null(struct mx_jw *out, bool *first, const char *k, size_t kn, const struct mx_addr *a)
{
	if (a->family)
		kv_addr(out, first, k, kn, a);
	else
		kv_null(out, first, k, kn);
}

KV void kv_name_or_null(struct mx_jw *out, bool *first, const char *k, size_t kn, const struct mx_dname *d)
{
	if (d->len)
		kv_name(out, first, k, kn, d);
	else
		kv_null(out, first, k, kn);
}

/* seconds with six decimals, as duration_s */
static void kv_secs(struct mx_jw *out, bool *first, const char *k, size_t kn, uint64_t us)
{
	key(out, first, k, kn);
	mx_jw_fixed(out, us / 1000000u, (unsigned)(us % 1000000u), 6);
}

static void addr_array(struct mx_jw *out, const struct mx_addr *a, size_t n)
{
	mx_jw_c(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			mx_jw_c(out, ',');
		mx_sj_addr(out, &a[i]);
	}
	mx_jw_c(out, ']');
}

static void u64_array(struct mx_jw *out, const uint64_t *v, size_t n)
{
	mx_jw_c(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			mx_jw_c(out, ',');
		mx_jw_u64(out, v[i]);
	}
	mx_jw_c(out, ']');
}

/* The outcome carries no DNS response (so no rcode, no latency). */
static bool no_response(enum mx_outcome o)
{
	return o == MX_O_TIMEOUT || o == MX_O_UNREACHABLE;
}

/* "transport": "tcp", "udp" or "other" */
KV void kv_transport(struct mx_jw *out, bool *first, const char *k, size_t kn, uint8_t t)
{
	char *d = kbeg(out, first, k, kn, 8);
	if (t == MX_T_TCP)
		memcpy(d, "\"tcp\"", 5);
	else if (t == MX_T_UDP)
		memcpy(d, "\"udp\"", 5);
	else
		memcpy(d, "\"other\"", 7);
	mx_jw_end(out, d + (t == MX_T_TCP || t == MX_T_UDP ? 5 : 7));
}

/* {"NOERROR":n,...}: non-zero slots; the last slot is "other". */
static void rcode_map(struct mx_jw *out, const uint64_t *rc)
{
	bool f = true;
	char buf[32];
	mx_jw_c(out, '{');
	for (unsigned i = 0; i < MX_RCODE_SLOTS; i++) {
		if (!rc[i])
			continue;
		const char *n = i == MX_RCODE_SLOTS - 1 ? "other"
							: mx_dns_rcode_name((uint16_t)i, buf, sizeof buf);
		kv_u64_name(out, &f, n, rc[i]);
	}
	mx_jw_c(out, '}');
}

static void outcome_map(struct mx_jw *out, const uint64_t *oc)
{
	bool f = true;
	mx_jw_c(out, '{');
	for (unsigned i = 0; i < MX_O__COUNT; i++)
		if (oc[i])
			kv_u64_name(out, &f, mx_outcome_name((enum mx_outcome)i), oc[i]);
	mx_jw_c(out, '}');
}

KV void capped(struct mx_jw *out, bool *first, const char *k, size_t kn, const char *kc, size_t kcn, uint64_t v)
{
	kv_u64(out, first, k, kn, v > MX_MODEL_DISTINCT_CAP ? MX_MODEL_DISTINCT_CAP : v);
	kv_bool(out, first, kc, kcn, v > MX_MODEL_DISTINCT_CAP);
}

/* ---- lookups and transactions ----------------------------------------- */

static bool try_has_response(const struct mx_lookup_try *t)
{
	return !t->open && t->r_frame && t->outcome != MX_O_TIMEOUT &&
	       t->outcome != MX_O_UNREACHABLE;
}

static void write_try(struct mx_jw *out, const struct mx_lookup_try *t)
{
	bool f = true;
	mx_jw_c(out, '{');
	kv_addr(out, &f, KL("server"), &t->server);
	kv_transport(out, &f, KL("transport"), t->transport);
	kv_u64(out, &f, KL("sport"), t->sport);
	kv_outcome(out, &f, KL("outcome"), t->outcome);
	kv_bool(out, &f, KL("open"), t->open);
	kv_bool(out, &f, KL("tc"), t->tc);
	if (try_has_response(t)) {
		key(out, &f, KL("rcode"));
		mx_sj_rcode(out, t->rcode);
	} else {
		kv_null(out, &f, KL("rcode"));
	}
	kv_ede(out, &f, KL("ede"), t->ede);
	kv_ms(out, &f, KL("latency_ms"), t->r_frame && !t->open, t->latency_us);
	kv_u64(out, &f, KL("sends"), t->sends);
	kv_time(out, &f, KL("ts"), t->q_ts);
	if (t->late_frame) {
		bool g = true;
		key(out, &f, KL("late"));
		mx_jw_c(out, '{');
		kv_u64(out, &g, KL("frame"), t->late_frame);
		kv_outcome(out, &g, KL("outcome"), (enum mx_outcome)t->late_outcome);
		key(out, &g, KL("rcode"));
		mx_sj_rcode(out, t->late_rcode);
		kv_ms(out, &g, KL("latency_ms"), true, t->late_latency_us);
		mx_jw_c(out, '}');
	} else {
		kv_null(out, &f, KL("late"));
	}
	{
		char *d = kbeg(out, &f, KL("frames"), 3 * MX_JC_U64_MAX + 5);
		bool any = false;
		*d++ = '[';
		const uint64_t fr[3] = { t->q_frame, t->r_frame, t->late_frame };
		for (unsigned k = 0; k < 3; k++) {
			if (!fr[k])
				continue;
			if (any)
				*d++ = ',';
			d = mx_jc_u64(d, fr[k]);
			any = true;
		}
		*d++ = ']';
		*d++ = '}';
		mx_jw_end(out, d);
	}
}

void mx_sj_lookup_members(struct mx_jw *out, const struct mx_lookup *l)
{
	bool f = true;
	uint64_t frames[3 * MX_LOOKUP_MAX_TRIES + 1];
	size_t nf = 0;
	unsigned ntries = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	unsigned nres = l->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? l->n_resolvers
								 : MX_LOOKUP_MAX_RESOLVERS;

	kv_addr(out, &f, KL("client"), &l->client);
	kv_name(out, &f, KL("qname"), &l->qname);
	kv_type(out, &f, KL("qtype"), l->qtype);
	kv_class(out, &f, KL("qclass"), l->qclass);
	kv_outcome(out, &f, KL("outcome"), l->outcome);
	kv_bool(out, &f, KL("rd"), l->rd);
	kv_bool(out, &f, KL("edns"), l->q_edns);
	kv_bool(out, &f, KL("do"), l->q_do);
	kv_bool(out, &f, KL("ad"), l->answer && l->answer->ad);
	kv_time(out, &f, KL("first_seen"), l->first_us);
	kv_time(out, &f, KL("last_seen"), l->last_us);
	kv_ms(out, &f, KL("latency_ms"), l->decided_frame || l->latency_us, l->latency_us);
	kv_u64_or_null(out, &f, KL("decided_frame"), l->decided_frame != 0, l->decided_frame);
	kv_ede(out, &f, KL("ede"), l->ede);
	if (l->ede != 0xffff && l->ede_text)
		kv_str(out, &f, KL("ede_text"), l->ede_text);
	else
		kv_null(out, &f, KL("ede_text"));
	kv_u64(out, &f, KL("attempts"), l->attempts);
	kv_bool(out, &f, KL("failover"), l->failover);
	kv_bool(out, &f, KL("tcp_retry"), l->tcp_retry);
	kv_bool(out, &f, KL("pending_at_end"), l->pending_at_end);
	kv_bool(out, &f, KL("evicted"), l->evicted);
	if (l->forwarded) {
		bool g = true;
		key(out, &f, KL("forwarded_for"));
		mx_jw_c(out, '{');
		kv_addr(out, &g, KL("server"), &l->fwd_server);
		kv_addr(out, &g, KL("client"), &l->fwd_client);
		mx_jw_c(out, '}');
	}

	key(out, &f, KL("resolvers"));
	mx_jw_c(out, '[');
	for (unsigned i = 0; i < nres; i++) {
		if (i)
			mx_jw_c(out, ',');
		mx_sj_addr(out, &l->resolvers[i]);
	}
	mx_jw_c(out, ']');

	kv_u64(out, &f, KL("tries_total"), l->tries_total > ntries ? l->tries_total : ntries);
	key(out, &f, KL("tries"));
	mx_jw_c(out, '[');
	for (unsigned i = 0; i < ntries; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (i)
			mx_jw_c(out, ',');
		write_try(out, t);
		if (t->q_frame)
			frames[nf++] = t->q_frame;
		if (t->r_frame)
			frames[nf++] = t->r_frame;
		if (t->late_frame)
			frames[nf++] = t->late_frame;
	}
	mx_jw_c(out, ']');
	if (l->decided_frame)
		frames[nf++] = l->decided_frame;
	/* at most 3 * MX_LOOKUP_MAX_TRIES + 1 frames, mostly in order already */
	for (size_t i = 1; i < nf; i++) {
		uint64_t v = frames[i];
		size_t j = i;
		for (; j > 0 && frames[j - 1] > v; j--)
			frames[j] = frames[j - 1];
		frames[j] = v;
	}
	key(out, &f, KL("frames"));
	mx_jw_c(out, '[');
	for (size_t i = 0, w = 0; i < nf; i++) {
		if (i && frames[i] == frames[i - 1])
			continue;
		if (w++)
			mx_jw_c(out, ',');
		mx_jw_u64(out, frames[i]);
	}
	mx_jw_c(out, ']');

	key(out, &f, KL("answers"));
	{
		bool g = true;
		mx_jw_c(out, '{');
		kv_u64(out, &g, KL("count"), l->an_qtype);
		if (l->has_soa)
			kv_u64(out, &g, KL("neg_ttl"), l->neg_ttl);
		mx_jw_c(out, '}');
	}

	const struct mx_dns_msg *a = l->answer;
	if (a) {
		unsigned nmx = a->n_mx < MX_DNS_MAX_MX ? a->n_mx : MX_DNS_MAX_MX;
		unsigned nad = a->n_addr < MX_DNS_MAX_ADDR ? a->n_addr : MX_DNS_MAX_ADDR;
		unsigned ncn = a->n_cname < MX_DNS_MAX_CNAME ? a->n_cname : MX_DNS_MAX_CNAME;
		key(out, &f, KL("mx"));
		mx_jw_c(out, '[');
		for (unsigned i = 0; i < nmx; i++) {
			bool g = true;
			mx_jw_s(out, i ? ",{" : "{");
			kv_u64(out, &g, KL("preference"), a->mx[i].pref);
			kv_name(out, &g, KL("exchange"), &a->mx[i].exchange);
			mx_jw_c(out, '}');
		}
		mx_jw_c(out, ']');
		kv_u64(out, &f, KL("mx_total"), a->mx_total > nmx ? a->mx_total : nmx);
		key(out, &f, KL("addresses"));
		mx_jw_c(out, '[');
		for (unsigned i = 0; i < nad; i++) {
			if (i)
				mx_jw_c(out, ',');
			mx_sj_addr(out, &a->addr[i].addr);
		}
		mx_jw_c(out, ']');
		kv_u64(out, &f, KL("addresses_total"), a->addr_total > nad ? a->addr_total : nad);
		key(out, &f, KL("cname"));
		mx_jw_c(out, '[');
		for (unsigned i = 0; i < ncn; i++) {
			if (i)
				mx_jw_c(out, ',');
			mx_sj_name(out, &a->cname[i]);
		}
		mx_jw_c(out, ']');
	}
}

void mx_sj_txn_members(struct mx_jw *out, const struct mx_txn *t)
{
	bool f = true;
	bool answered = t->kind == MX_TXN_ANSWERED;
	unsigned nq = t->n_q_frames < MX_TXN_MAX_FRAMES ? t->n_q_frames : MX_TXN_MAX_FRAMES;

	kv_time(out, &f, KL("ts"), t->q_ts);
	kv_addr(out, &f, KL("client"), &t->client);
	kv_u64(out, &f, KL("cport"), t->cport);
	kv_addr(out, &f, KL("server"), &t->server);
	kv_u64(out, &f, KL("sport"), t->sport);
	kv_transport(out, &f, KL("transport"), t->transport);
	kv_u64(out, &f, KL("id"), t->id);
	kv_name(out, &f, KL("qname"), &t->qname);
	kv_type(out, &f, KL("qtype"), t->qtype);
	kv_class(out, &f, KL("qclass"), t->qclass);
	key(out, &f, KL("kind"));
	mx_sj_txn_kind(out, t->kind);
	kv_outcome(out, &f, KL("outcome"), t->outcome);
	key(out, &f, KL("rcode"));
	if (answered)
		mx_sj_rcode(out, t->rcode);
	else
		mx_jw_s(out, "null");
	kv_ede(out, &f, KL("ede"), answered ? t->ede : 0xffff);
	kv_ede_text(out, &f, KL("ede_text"), answered && t->ede != 0xffff ? t->resp : NULL);
	kv_ms(out, &f, KL("latency_ms"), answered || t->kind == MX_TXN_UNREACHABLE, t->latency_us);
	kv_bool(out, &f, KL("rd"), t->rd);
	kv_bool(out, &f, KL("edns"), t->q_edns);
	kv_bool(out, &f, KL("do"), t->q_do);
	kv_bool(out, &f, KL("aa"), answered && t->aa);
	kv_bool(out, &f, KL("ra"), answered && t->ra);
	kv_bool(out, &f, KL("tc"), answered && t->tc);
	kv_bool(out, &f, KL("ad"), answered && t->ad);
	kv_u64_or_null(out, &f, KL("r_size"), answered, t->r_size);
	kv_u64(out, &f, KL("sends"), t->sends);
	kv_u64(out, &f, KL("q_frame"), t->q_frame);
	key(out, &f, KL("q_frames"));
	mx_jw_c(out, '[');
	if (nq == 0 && t->q_frame)
		mx_jw_u64(out, t->q_frame);
	for (unsigned i = 0; i < nq; i++) {
		if (i)
			mx_jw_c(out, ',');
		mx_jw_u64(out, t->q_frames[i]);
	}
	mx_jw_c(out, ']');
	kv_u64_or_null(out, &f, KL("r_frame"), t->r_frame != 0, t->r_frame);
	kv_time(out, &f, KL("r_ts"), t->r_frame ? t->r_ts : 0);
}

/* ---- snapshot parts --------------------------------------------------- */

void mx_sj_source_members(struct mx_jw *out, const struct mx_snapshot *s)
{
	bool f = true;
	kv_str(out, &f, KL("source"), s->source);
	kv_str(out, &f, KL("filter"), s->filter);
	kv_bool(out, &f, KL("live"), s->live);
}

void mx_sj_stats_members(struct mx_jw *out, const struct mx_snapshot *s)
{
	bool f = true, g;
	const struct mx_txn_stats *t = &s->txn;
	const struct mx_decode_stats *d = &s->decode;
	uint64_t dur = s->last_us > s->first_us ? s->last_us - s->first_us : 0;

	kv_time(out, &f, KL("first_seen"), s->first_us);
	kv_time(out, &f, KL("last_seen"), s->last_us);
	key(out, &f, KL("duration_s"));
	mx_jw_fixed(out, dur / 1000000u, (unsigned)(dur % 1000000u), 6);
	kv_u64(out, &f, KL("packets"), s->packets);
	kv_u64(out, &f, KL("bytes"), s->bytes);
	kv_u64(out, &f, KL("dns_messages"), s->dns_messages);
	kv_u64(out, &f, KL("queries"), s->queries);
	kv_u64(out, &f, KL("responses"), s->responses);
	kv_u64(out, &f, KL("malformed"), s->dns_malformed);
	kv_u64(out, &f, KL("truncated"), s->dns_truncated);
	kv_u64(out, &f, KL("not_dns"), s->dns_not_dns);
	kv_u64(out, &f, KL("transactions"), t->transactions);
	kv_u64(out, &f, KL("answered"), t->answered);
	kv_u64(out, &f, KL("unanswered"), t->timeouts);
	kv_u64(out, &f, KL("unreachable"), t->unreachable);
	kv_u64(out, &f, KL("pending_at_end"), t->pending_at_end);
	kv_u64(out, &f, KL("retransmits"), t->retransmits);
	kv_u64(out, &f, KL("late"), t->stray[MX_STRAY_LATE]);
	kv_u64(out, &f, KL("duplicate"), t->stray[MX_STRAY_DUPLICATE]);
	kv_u64(out, &f, KL("unsolicited"), t->stray[MX_STRAY_UNSOLICITED]);
	kv_u64(out, &f, KL("wrong_source"), t->stray[MX_STRAY_WRONG_SOURCE]);
	kv_u64(out, &f, KL("reordered"), t->reordered);
	kv_u64(out, &f, KL("multicast_queries"), t->multicast_queries);
	kv_u64(out, &f, KL("icmp_unreachables"), s->icmp_dns);
	kv_u64(out, &f, KL("icmp_unmatched"), t->icmp_unmatched);
	kv_u64(out, &f, KL("icmp_responses"), t->icmp_responses);
	kv_u64(out, &f, KL("lookups"), s->lookup.lookups);
	key(out, &f, KL("lookup_outcomes"));
	outcome_map(out, s->lookup.by_outcome);
	kv_u64(out, &f, KL("lookups_pending_at_end"), s->lookup.pending_at_end);
	kv_u64(out, &f, KL("lookups_forwarded"), s->lookup.forwarded);
	kv_u64(out, &f, KL("orphan_results"), s->lookup.orphan_results);
	kv_u64(out, &f, KL("evicted"), s->evicted_total);

	key(out, &f, KL("qtypes"));
	mx_jw_c(out, '{');
	g = true;
	for (unsigned i = 0; i < MX_QS__COUNT; i++)
		kv_u64_name(out, &g, mx_model_qtype_slot_name((enum mx_qtype_slot)i), s->qtype_counts[i]);
	kv_u64(out, &g, KL("other"), s->by_qtype_other);
	mx_jw_c(out, '}');

	key(out, &f, KL("decode"));
	mx_jw_c(out, '{');
	g = true;
	for (unsigned i = 0; i < MX_R__COUNT; i++)
		kv_u64_name(out, &g, mx_decode_reason_name((enum mx_reason)i), d->reason[i]);
	mx_jw_c(out, '}');

	key(out, &f, KL("verdicts"));
	mx_jw_c(out, '{');
	g = true;
	for (unsigned i = 0; i < MX_V__COUNT; i++)
		kv_u64_name(out, &g, mx_verdict_name((enum mx_verdict)i), d->verdict[i]);
	mx_jw_c(out, '}');

	key(out, &f, KL("layers"));
	mx_jw_c(out, '{');
	g = true;
	kv_u64(out, &g, KL("frames"), d->frames);
	kv_u64(out, &g, KL("ipv4"), d->ipv4);
	kv_u64(out, &g, KL("ipv6"), d->ipv6);
	kv_u64(out, &g, KL("udp"), d->udp);
	kv_u64(out, &g, KL("tcp"), d->tcp);
	kv_u64(out, &g, KL("icmp"), d->icmp);
	kv_u64(out, &g, KL("vlan_tagged"), d->vlan_tagged);
	kv_u64(out, &g, KL("mpls"), d->mpls);
	kv_u64(out, &g, KL("pppoe"), d->pppoe);
	kv_u64(out, &g, KL("gre"), d->gre);
	kv_u64(out, &g, KL("erspan"), d->erspan);
	kv_u64(out, &g, KL("vxlan"), d->vxlan);
	kv_u64(out, &g, KL("ip_in_ip"), d->ip_in_ip);
	kv_u64(out, &g, KL("dns_udp"), d->dns_udp);
	kv_u64(out, &g, KL("dns_tcp"), d->dns_tcp);
	kv_u64(out, &g, KL("frag_reassembled"), d->frag_reassembled);
	kv_u64(out, &g, KL("frag_timeout"), d->frag_timeout);
	kv_u64(out, &g, KL("tcp_retrans"), d->tcp_retrans);
	kv_u64(out, &g, KL("tcp_out_of_order"), d->tcp_out_of_order);
	kv_u64(out, &g, KL("tcp_gap"), d->tcp_gap);
	kv_u64(out, &g, KL("tcp_midstream"), d->tcp_midstream);
	kv_u64(out, &g, KL("tcp_bytes_dropped"), d->tcp_bytes_dropped);
	mx_jw_c(out, '}');

	key(out, &f, KL("evictions"));
	mx_jw_c(out, '{');
	g = true;
	kv_u64(out, &g, KL("servers"), s->evicted_servers);
	kv_u64(out, &g, KL("senders"), s->evicted_senders);
	kv_u64(out, &g, KL("failing_names"), s->evicted_names);
	kv_u64(out, &g, KL("pending_queries"), t->evicted_pending);
	kv_u64(out, &g, KL("recent_transactions"), t->evicted_recent);
	kv_u64(out, &g, KL("lookups"), s->lookup.evicted);
	kv_u64(out, &g, KL("fragments"), d->frag_evicted);
	kv_u64(out, &g, KL("tcp_flows"), d->tcp_flows_evicted);
	kv_u64(out, &g, KL("domains"), s->evicted_domains);
	kv_u64(out, &g, KL("open_chains"), s->chain.evicted);
	kv_u64(out, &g, KL("chain_history"), s->chain.history_evicted);
	kv_u64(out, &g, KL("findings"), s->findings_evicted);
	mx_jw_c(out, '}');

	key(out, &f, KL("capture"));
	mx_jw_c(out, '{');
	g = true;
	kv_bool(out, &g, KL("live"), s->capture.live);
	kv_u64(out, &g, KL("frames"), s->capture.frames);
	kv_u64(out, &g, KL("received"), s->capture.ps_recv);
	kv_u64(out, &g, KL("dropped"), s->capture.ps_drop);
	kv_u64(out, &g, KL("if_dropped"), s->capture.ps_ifdrop);
	kv_u64(out, &g, KL("time_back_steps"), s->capture.back_steps);
	kv_secs(out, &g, KL("time_back_max_s"), s->capture.back_max_us);
	kv_u64_or_null(out, &g, KL("time_back_first_frame"), s->capture.back_steps > 0, s->capture.back_first_frame);
	if (s->capture.saving) {
		/* -w FILE: what of the capture is in the file */
		bool h = true;
		key(out, &g, KL("saved"));
		mx_jw_c(out, '{');
		kv_str(out, &h, KL("path"), s->capture.save_path);
		kv_u64(out, &h, KL("frames"), s->capture.saved_frames);
		kv_u64(out, &h, KL("bytes"), s->capture.saved_bytes);
		kv_u64_or_null(out, &h, KL("stopped_at_frame"), s->capture.saved_stop_frame != 0,
			       s->capture.saved_stop_frame);
		if (s->capture.save_failed)
			kv_str(out, &h, KL("error"), s->capture.save_error);
		else
			kv_null(out, &h, KL("error"));
		mx_jw_c(out, '}');
	} else {
		kv_null(out, &g, KL("saved"));
	}
	if (s->capture.priv_dropped) {
		/* root given up once input and outputs were open */
		bool h = true;
		key(out, &g, KL("privileges"));
		mx_jw_c(out, '{');
		kv_str(out, &h, KL("user"), s->capture.priv_user);
		kv_u64(out, &h, KL("uid"), s->capture.priv_uid);
		kv_u64(out, &h, KL("gid"), s->capture.priv_gid);
		mx_jw_c(out, '}');
	} else {
		kv_null(out, &g, KL("privileges"));
	}
	mx_jw_c(out, '}');

	key(out, &f, KL("chains"));
	mx_jw_c(out, '{');
	g = true;
	kv_u64(out, &g, KL("chains"), s->chain.chains);
	kv_u64(out, &g, KL("resolved"), s->chain.resolved);
	kv_u64(out, &g, KL("deferred"), s->chain.deferred);
	kv_u64(out, &g, KL("failed"), s->chain.failed);
	kv_u64(out, &g, KL("incomplete"), s->chain.incomplete);
	kv_u64(out, &g, KL("evicted"), s->chain.evicted);
	kv_u64(out, &g, KL("history_evicted"), s->chain.history_evicted);
	kv_u64(out, &g, KL("lookups_joined"), s->chain.lookups_joined);
	kv_u64(out, &g, KL("syns"), s->chain.syns);
	kv_u64(out, &g, KL("relay_syns"), s->chain.relay_syns);
	mx_jw_c(out, '}');
	kv_u64(out, &f, KL("findings"), s->n_findings);
	kv_u64(out, &f, KL("findings_evicted"), s->findings_evicted);
	key(out, &f, KL("findings_evicted_by"));
	{
		bool ef = true;
		mx_jw_c(out, '{');
		for (size_t i = 0; i < s->n_findings_evicted_by; i++)
			kv_u64_name(out, &ef, s->findings_evicted_by[i].pattern, s->findings_evicted_by[i].n);
		mx_jw_c(out, '}');
	}
	kv_bool(out, &f, KL("input_truncated"), s->input_truncated);
	kv_str(out, &f, KL("input_error"), s->input_error[0] ? s->input_error : NULL);
}

void mx_sj_server_members(struct mx_jw *out, const struct mx_server_row *r)
{
	bool f = true;
	kv_addr(out, &f, KL("address"), &r->addr);
	kv_u64(out, &f, KL("queries"), r->queries);
	kv_u64(out, &f, KL("transactions"), r->transactions);
	kv_u64(out, &f, KL("answered"), r->answered);
	kv_u64(out, &f, KL("timeouts"), r->timeouts);
	kv_u64(out, &f, KL("unreachable"), r->unreachable);
	kv_u64(out, &f, KL("pending"), r->pending);
	kv_u64(out, &f, KL("late"), r->late);
	kv_u64(out, &f, KL("duplicate"), r->duplicate);
	kv_u64(out, &f, KL("wrong_source"), r->wrong_source);
	kv_u64(out, &f, KL("tcp_queries"), r->tcp_queries);
	kv_u64(out, &f, KL("truncated"), r->truncated);
	key(out, &f, KL("latency_ms"));
	if (r->latency.count) {
		bool g = true;
		mx_jw_c(out, '{');
		kv_u64(out, &g, KL("count"), r->latency.count);
		key(out, &g, KL("p50"));
		mx_sj_ms(out, r->latency.p50);
		key(out, &g, KL("p95"));
		mx_sj_ms(out, r->latency.p95);
		key(out, &g, KL("p99"));
		mx_sj_ms(out, r->latency.p99);
		key(out, &g, KL("max"));
		mx_sj_ms(out, r->latency.max);
		mx_jw_c(out, '}');
	} else {
		mx_jw_s(out, "null");
	}
	key(out, &f, KL("rcodes"));
	rcode_map(out, r->rcodes);
	key(out, &f, KL("outcomes"));
	outcome_map(out, r->outcomes);
	capped(out, &f, KL("clients"), KL("clients_capped"), r->clients);
	kv_time(out, &f, KL("first_seen"), r->first_us);
	kv_time(out, &f, KL("last_seen"), r->last_us);
	kv_u64(out, &f, KL("forwarded_lookups"), r->forwarded);
	kv_addr_or_null(out, &f, KL("forwards_to"), &r->fwd_to);
}

void mx_sj_sender_members(struct mx_jw *out, const struct mx_sender_row *r)
{
	bool f = true;
	kv_addr(out, &f, KL("address"), &r->addr);
	kv_u64(out, &f, KL("queries"), r->queries);
	kv_u64(out, &f, KL("lookups"), r->lookups);
	kv_u64(out, &f, KL("failed"), r->failed);
	key(out, &f, KL("outcomes"));
	outcome_map(out, r->outcomes);
	kv_u64(out, &f, KL("mx_lookups"), r->mx_lookups);
	kv_u64(out, &f, KL("a_lookups"), r->a_lookups);
	kv_u64(out, &f, KL("aaaa_lookups"), r->aaaa_lookups);
	kv_u64(out, &f, KL("other_lookups"), r->other_lookups);
	kv_u64(out, &f, KL("edns_queries"), r->edns_queries);
	kv_u64(out, &f, KL("do_queries"), r->do_queries);
	kv_u64(out, &f, KL("ad_queries"), r->ad_queries);
	kv_u64(out, &f, KL("cd_queries"), r->cd_queries);
	capped(out, &f, KL("resolvers"), KL("resolvers_capped"), r->resolvers);
	kv_time(out, &f, KL("first_seen"), r->first_us);
	kv_time(out, &f, KL("last_seen"), r->last_us);
	/* fingerprint from its chains (PATTERNS.md §1.9) */
	const char *fb = mx_sender_fallback(r);
	kv_u64(out, &f, KL("chains"), r->chains);
	kv_u64(out, &f, KL("chains_deferred"), r->chains_deferred);
	kv_u64(out, &f, KL("chains_failed"), r->chains_failed);
	kv_u64(out, &f, KL("hosts_aaaa_first"), r->hosts_aaaa_first);
	kv_u64(out, &f, KL("hosts_a_first"), r->hosts_a_first);
	kv_u64(out, &f, KL("hosts_parallel"), r->hosts_parallel);
	kv_u64(out, &f, KL("hosts_a_only"), r->hosts_a_only);
	kv_u64(out, &f, KL("hosts_aaaa_only"), r->hosts_aaaa_only);
	kv_str(out, &f, KL("family_order"), mx_sender_family_order(r));
	kv_u64(out, &f, KL("forwarded_lookups"), r->forwarded);
	kv_addr_or_null(out, &f, KL("forwards_for"), &r->fwd_for);
	kv_u64(out, &f, KL("aaaa_failures"), r->aaaa_fail);
	kv_u64(out, &f, KL("aaaa_failures_then_a"), r->aaaa_fail_then_a);
	kv_str(out, &f, KL("fallback"), strcmp(fb, "-") == 0 ? NULL : fb);
	kv_u64(out, &f, KL("retry_gaps"), r->retry_gaps);
	if (r->retry_gaps) {
		kv_secs(out, &f, KL("retry_gap_min_s"), r->retry_gap_min_us);
		kv_secs(out, &f, KL("retry_gap_mean_s"), r->retry_gap_sum_us / r->retry_gaps);
	} else {
		kv_null(out, &f, KL("retry_gap_min_s"));
		kv_null(out, &f, KL("retry_gap_mean_s"));
	}
	kv_u64(out, &f, KL("multi_send_lookups"), r->multi_send);
	kv_str(out, &f, KL("stub"), r->multi_send ? "musl" : NULL);
	kv_u64(out, &f, KL("any_lookups"), r->any_lookups);
}

void mx_sj_failing_members(struct mx_jw *out, const struct mx_name_row *r)
{
	bool f = true;
	kv_name(out, &f, KL("qname"), &r->qname);
	kv_type(out, &f, KL("qtype"), r->qtype);
	kv_u64(out, &f, KL("lookups"), r->lookups);
	kv_u64(out, &f, KL("failed"), r->failed);
	key(out, &f, KL("outcomes"));
	outcome_map(out, r->outcomes);
	kv_outcome(out, &f, KL("last_outcome"), r->last_outcome);
	capped(out, &f, KL("clients"), KL("clients_capped"), r->clients);
	kv_time(out, &f, KL("first_seen"), r->first_us);
	kv_time(out, &f, KL("last_seen"), r->last_us);
	kv_u64_or_null(out, &f, KL("frame"), r->last_frame != 0, r->last_frame);
}

/* ---- findings, chains, domains ---------------------------------------- */

static void write_evidence(struct mx_jw *out, const struct mx_evidence *e)
{
	bool f = true;
	mx_jw_c(out, '{');
	kv_u64(out, &f, KL("frame"), e->frame);
	kv_time(out, &f, KL("time"), e->ts_us);
	kv_addr_or_null(out, &f, KL("from"), &e->from);
	kv_addr_or_null(out, &f, KL("to"), &e->to);
	kv_bool(out, &f, KL("response"), e->response);
	kv_name_or_null(out, &f, KL("qname"), &e->qname);
	kv_type(out, &f, KL("qtype"), e->qtype);
	kv_outcome(out, &f, KL("outcome"), e->outcome);
	if (e->response && !no_response(e->outcome))
		{
		key(out, &f, KL("rcode"));
		mx_sj_rcode(out, e->rcode);
	}
	else
		kv_null(out, &f, KL("rcode"));
	kv_ede(out, &f, KL("ede"), e->response ? e->ede : 0xffff);
	kv_ms(out, &f, KL("latency_ms"), e->response && e->outcome != MX_O_TIMEOUT && !e->unsolicited,
	      e->latency_us);
	kv_bool(out, &f, KL("late"), e->late);
	kv_bool(out, &f, KL("open"), e->open);
	kv_str(out, &f, KL("answer"), e->answer[0] ? e->answer : NULL);
	mx_jw_c(out, '}');
}

void mx_sj_finding_members(struct mx_jw *out, const struct mx_finding *fi)
{
	bool f = true;
	unsigned nres = fi->n_resolvers < MX_FINDING_MAX_RESOLVERS ? fi->n_resolvers
								    : MX_FINDING_MAX_RESOLVERS;
	unsigned nfr = fi->n_frames < MX_FINDING_MAX_FRAMES ? fi->n_frames : MX_FINDING_MAX_FRAMES;
	unsigned nev = fi->n_evidence < MX_FINDING_MAX_EVIDENCE ? fi->n_evidence
								  : MX_FINDING_MAX_EVIDENCE;
	char vbuf[sizeof fi->verify + 1];

	kv_str(out, &f, KL("pattern"), fi->pattern ? fi->pattern : "");
	kv_str(out, &f, KL("severity"), mx_sev_name(fi->sev));
	kv_str(out, &f, KL("title"), fi->title);
	kv_addr_or_null(out, &f, KL("sender"), &fi->sender);
	key(out, &f, KL("resolvers"));
	addr_array(out, fi->resolvers, nres);
	kv_name_or_null(out, &f, KL("domain"), &fi->domain);
	kv_name_or_null(out, &f, KL("host"), &fi->host);
	if (fi->qtype)
		kv_type(out, &f, KL("qtype"), fi->qtype);
	else
		kv_null(out, &f, KL("qtype"));
	kv_time(out, &f, KL("first_seen"), fi->first_us);
	kv_time(out, &f, KL("last_seen"), fi->last_us);
	kv_u64(out, &f, KL("count"), fi->count);
	kv_u64(out, &f, KL("attempts"), fi->attempts);
	kv_bool(out, &f, KL("single_attempt"), fi->single_attempt);
	if (fi->recovered_attempt) {
		bool g = true;
		key(out, &f, KL("recovered"));
		mx_jw_c(out, '{');
		kv_u64(out, &g, KL("attempt"), fi->recovered_attempt);
		kv_time(out, &g, KL("start"), fi->recovered_us);
		kv_addr_or_null(out, &g, KL("connected_to"), &fi->recovered_to);
		kv_u64_or_null(out, &g, KL("syn_frame"), fi->recovered_frame != 0, fi->recovered_frame);
		kv_str(out, &g, KL("severity_was"), mx_sev_name(fi->sev_was));
		mx_jw_c(out, '}');
	} else {
		kv_null(out, &f, KL("recovered"));
	}
	kv_str(out, &f, KL("server_role"), fi->authoritative ? "authoritative" : "resolver");
	key(out, &f, KL("frames"));
	u64_array(out, fi->frames, nfr);
	/* fixed-size text fields: never read past the array */
	memcpy(vbuf, fi->detail, sizeof fi->detail);
	vbuf[sizeof fi->detail] = '\0';
	kv_str(out, &f, KL("detail"), vbuf);
	char st[MX_STATUS_STRLEN];
	kv_str(out, &f, KL("smtp_status"), mx_finding_status(fi, st, sizeof st));
	kv_str(out, &f, KL("cause"), fi->cause);
	kv_str(out, &f, KL("fix"), fi->fix);
	key(out, &f, KL("verify"));
	mx_jw_c(out, '[');
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
				mx_jw_c(out, ',');
			mx_jw_str(out, one);
		}
	}
	mx_jw_c(out, ']');
	key(out, &f, KL("evidence"));
	mx_jw_c(out, '[');
	for (unsigned i = 0; i < nev; i++) {
		if (i)
			mx_jw_c(out, ',');
		write_evidence(out, &fi->evidence[i]);
	}
	mx_jw_c(out, ']');
}

static void write_step(struct mx_jw *out, const struct mx_chain_step *st)
{
	bool f = true;
	unsigned nres = st->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? st->n_resolvers
								  : MX_LOOKUP_MAX_RESOLVERS;
	unsigned nfr = st->n_frames < MX_CHAIN_MAX_FRAMES ? st->n_frames : MX_CHAIN_MAX_FRAMES;
	mx_jw_c(out, '{');
	kv_bool(out, &f, KL("asked"), st->asked);
	if (st->asked) {
		kv_outcome(out, &f, KL("outcome"), st->outcome);
		if (!no_response(st->outcome))
			{
			key(out, &f, KL("rcode"));
			mx_sj_rcode(out, st->rcode);
		}
		else
			kv_null(out, &f, KL("rcode"));
		kv_ede(out, &f, KL("ede"), st->ede);
	} else {
		kv_null(out, &f, KL("outcome"));
		kv_null(out, &f, KL("rcode"));
		kv_null(out, &f, KL("ede"));
	}
	kv_u64(out, &f, KL("lookups"), st->lookups);
	kv_u64(out, &f, KL("attempts"), st->attempts);
	kv_time(out, &f, KL("first_seen"), st->asked ? st->first_us : 0);
	kv_time(out, &f, KL("last_seen"), st->asked ? st->end_us : 0);
	kv_ms(out, &f, KL("latency_ms"), st->asked && !no_response(st->outcome), st->latency_us);
	kv_bool(out, &f, KL("timeouts"), st->timeouts);
	kv_str(out, &f, KL("tcp"), st->tcp == 1 ? "after_tc" : st->tcp == 2 ? "only" : NULL);
	key(out, &f, KL("resolvers"));
	addr_array(out, st->resolvers, nres);
	key(out, &f, KL("frames"));
	u64_array(out, st->frames, nfr);
	mx_jw_c(out, '}');
}

static void write_host(struct mx_jw *out, const struct mx_chain_host *h)
{
	bool f = true;
	unsigned na = h->n_addrs < MX_CHAIN_MAX_ADDRS ? h->n_addrs : MX_CHAIN_MAX_ADDRS;
	mx_jw_c(out, '{');
	kv_name_or_null(out, &f, KL("name"), &h->name);
	kv_u64(out, &f, KL("preference"), h->pref);
	kv_bool(out, &f, KL("implicit"), h->implicit);
	kv_bool(out, &f, KL("ip_literal"), h->ip_literal);
	kv_name_or_null(out, &f, KL("cname"), &h->cname);
	kv_bool(out, &f, KL("cname_loop"), h->cname_loop);
	kv_str(out, &f, KL("first_family"),
	       h->first_family == 6 ? "AAAA" : (h->first_family == 4 ? "A" : NULL));
	key(out, &f, KL("a"));
	write_step(out, &h->a);
	key(out, &f, KL("aaaa"));
	write_step(out, &h->aaaa);
	key(out, &f, KL("tlsa"));
	write_step(out, &h->tlsa);
	key(out, &f, KL("addresses"));
	addr_array(out, h->addrs, na);
	kv_bool(out, &f, KL("connected"), h->connected);
	mx_jw_c(out, '}');
}

void mx_sj_chain_members(struct mx_jw *out, const struct mx_chain *c)
{
	bool f = true;
	unsigned nh = c->n_hosts < MX_CHAIN_MAX_HOSTS ? c->n_hosts : MX_CHAIN_MAX_HOSTS;
	kv_addr_or_null(out, &f, KL("sender"), &c->sender);
	kv_name_or_null(out, &f, KL("domain"), &c->domain);
	kv_u64(out, &f, KL("attempt"), c->attempt);
	kv_time(out, &f, KL("prev_start"), c->prev_start_us);
	kv_bool(out, &f, KL("new_delivery"), c->new_delivery);
	kv_time(out, &f, KL("start"), c->start_us);
	kv_time(out, &f, KL("end"), c->end_us);
	kv_verdict(out, &f, KL("verdict"), c->verdict);
	kv_str(out, &f, KL("why"), c->why);
	kv_bool(out, &f, KL("cut_short"), c->cut_short);
	kv_bool(out, &f, KL("evicted"), c->evicted);
	kv_bool(out, &f, KL("connected"), c->connected);
	if (c->connected)
		kv_addr_or_null(out, &f, KL("connected_to"), &c->connected_to);
	else
		kv_null(out, &f, KL("connected_to"));
	kv_u64_or_null(out, &f, KL("connected_port"), c->connected,
		       c->connected_port ? c->connected_port : 25u);
	kv_u64_or_null(out, &f, KL("syn_frame"), c->syn_frame != 0, c->syn_frame);
	kv_u64(out, &f, KL("syn_other"), c->syn_other);
	key(out, &f, KL("mx"));
	write_step(out, &c->mx);
	kv_u64(out, &f, KL("mx_total"), c->mx_total);
	kv_u64(out, &f, KL("search_lookups"), c->search_lookups);
	kv_bool(out, &f, KL("null_mx"), c->null_mx);
	kv_bool(out, &f, KL("null_mx_mixed"), c->null_mx_mixed);
	kv_bool(out, &f, KL("relay"), c->relay);
	kv_name_or_null(out, &f, KL("soa"), &c->soa_owner);
	if (c->soa_owner.len)
		kv_u64(out, &f, KL("neg_ttl"), c->neg_ttl);
	else
		kv_null(out, &f, KL("neg_ttl"));
	kv_u64(out, &f, KL("hosts_total"), c->hosts_total > nh ? c->hosts_total : nh);
	key(out, &f, KL("hosts"));
	mx_jw_c(out, '[');
	for (unsigned i = 0; i < nh; i++) {
		if (i)
			mx_jw_c(out, ',');
		write_host(out, &c->hosts[i]);
	}
	mx_jw_c(out, ']');
}

void mx_sj_domain_members(struct mx_jw *out, const struct mx_domain_row *r)
{
	bool f = true;
	kv_name_or_null(out, &f, KL("domain"), &r->domain);
	kv_bool(out, &f, KL("relay"), r->relay);
	kv_u64(out, &f, KL("chains"), r->chains);
	kv_u64(out, &f, KL("resolved"), r->resolved);
	kv_u64(out, &f, KL("deferred"), r->deferred);
	kv_u64(out, &f, KL("failed"), r->failed);
	kv_u64(out, &f, KL("incomplete"), r->incomplete);
	capped(out, &f, KL("senders"), KL("senders_capped"), r->senders);
	kv_u64(out, &f, KL("max_attempt"), r->max_attempt);
	if (r->chains) {
		kv_verdict(out, &f, KL("last_verdict"), r->last_verdict);
		kv_str(out, &f, KL("last_why"), r->last_why);
	} else {
		kv_null(out, &f, KL("last_verdict"));
		kv_null(out, &f, KL("last_why"));
	}
	kv_time(out, &f, KL("first_seen"), r->first_us);
	kv_time(out, &f, KL("last_seen"), r->last_us);
}

/* ---- the sink --------------------------------------------------------- */

struct json_state {
	uint64_t n_lookups;
	FILE *chains;          /* temporary file of streamed chain elements */
	uint64_t n_chains;     /* elements written to it */
	bool chains_failed;    /* tmpfile() or a write failed: use the snapshot's */
	struct mx_jw w;        /* the document */
	struct mx_jw cw;       /* the chains file */
	bool eager;            /* out is a terminal: hand over every lookup */
};

static int json_open(void *st, FILE *out)
{
	struct json_state *js = st;
	mx_jw_init(&js->w, out);
	js->eager = isatty(fileno(out)) == 1;
	mx_jw_s(&js->w, "{\"version\":");
	mx_jw_u64(&js->w, MX_JSON_SCHEMA_VERSION);
	mx_jw_s(&js->w, ",\"lookups\":[");
	mx_jw_flush(&js->w);
	return 0;
}

static void json_lookup(void *st, FILE *out, const struct mx_lookup *l)
{
	struct json_state *js = st;
	(void)out;
	mx_jw_s(&js->w, js->n_lookups++ ? ",\n{" : "\n{");
	mx_sj_lookup_members(&js->w, l);
	mx_jw_c(&js->w, '}');
	/* on a terminal each element is shown as it closes; elsewhere the
	 * buffer goes out when full (and at close) */
	if (js->eager)
		mx_jw_flush(&js->w);
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
		mx_jw_init(&js->cw, js->chains);
	}
	mx_jw_s(&js->cw, js->n_chains++ ? ",\n{" : "\n{");
	mx_sj_chain_members(&js->cw, c);
	mx_jw_c(&js->cw, '}');
	if (ferror(js->chains))
		js->chains_failed = true;
}

/* Copy the streamed chains into the document; false when they cannot be
 * used. */
static bool copy_chains(struct json_state *js)
{
	size_t k;
	mx_jw_flush(&js->cw);
	if (!js->chains || js->chains_failed || ferror(js->chains) || fflush(js->chains) != 0 ||
	    fseek(js->chains, 0, SEEK_SET) != 0)
		return false;
	mx_jw_flush(&js->w);
	/* the document's buffer is the copy buffer */
	while ((k = fread(js->w.buf, 1, sizeof js->w.buf, js->chains)) > 0)
		fwrite(js->w.buf, 1, k, js->w.out);
	return !ferror(js->chains);
}

typedef void (*row_fn)(struct mx_jw *out, const void *row);

static void row_server(struct mx_jw *out, const void *r)
{
	mx_sj_server_members(out, r);
}

static void row_sender(struct mx_jw *out, const void *r)
{
	mx_sj_sender_members(out, r);
}

static void row_failing(struct mx_jw *out, const void *r)
{
	mx_sj_failing_members(out, r);
}

static void array(struct mx_jw *out, const char *name, const void *rows, size_t n, size_t size,
		  row_fn fn)
{
	mx_jw_s(out, ",\n\"");
	mx_jw_s(out, name);
	mx_jw_s(out, "\":[");
	for (size_t i = 0; i < n; i++) {
		mx_jw_s(out, i ? ",\n{" : "\n{");
		fn(out, (const unsigned char *)rows + i * size);
		mx_jw_c(out, '}');
	}
	mx_jw_s(out, n ? "\n]" : "]");
}

static void row_finding(struct mx_jw *out, const void *r)
{
	mx_sj_finding_members(out, r);
}

static void row_chain(struct mx_jw *out, const void *r)
{
	mx_sj_chain_members(out, r);
}

static void row_domain(struct mx_jw *out, const void *r)
{
	mx_sj_domain_members(out, r);
}

static int json_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	struct json_state *js = st;
	struct mx_jw *w = &js->w;
	uint64_t listed;
	int rc = 0;
	(void)out;
	mx_jw_s(w, js->n_lookups ? "\n]" : "]");
	array(w, "findings", s->findings, s->n_findings, sizeof(*s->findings), row_finding);
	/* chains: the streamed ones, else those the model kept */
	if (js->n_chains && !js->chains_failed) {
		mx_jw_s(w, ",\n\"chains\":[");
		if (!copy_chains(js))
			rc = MX_EIO; /* the document is incomplete: say so */
		mx_jw_s(w, "\n]");
		listed = js->n_chains;
	} else {
		array(w, "chains", s->chains, s->n_chains, sizeof(*s->chains), row_chain);
		listed = s->n_chains;
	}
	if (js->chains)
		fclose(js->chains);
	js->chains = NULL;
	mx_jw_s(w, ",\n\"chains_omitted\":");
	mx_jw_u64(w, s->chain.chains > listed ? s->chain.chains - listed : 0);
	if (js->n_lookups == 0 && s->lookup.lookups > 0) {
		/* rendered from a snapshot: say what "lookups" lacks and why */
		mx_jw_s(w, ",\n\"lookups_omitted\":");
		mx_jw_u64(w, s->lookup.lookups);
		mx_jw_s(w, ",\n\"note\":");
		mx_jw_str(w, MX_SJ_SNAPSHOT_NOTE);
	}
	mx_jw_s(w, ",\n");
	mx_sj_source_members(w, s);
	mx_jw_s(w, ",\n\"stats\":{");
	mx_sj_stats_members(w, s);
	mx_jw_c(w, '}');
	array(w, "domains", s->domains, s->n_domains, sizeof(*s->domains), row_domain);
	array(w, "resolvers", s->resolvers, s->n_resolvers, sizeof(*s->resolvers), row_server);
	array(w, "authoritatives", s->authoritatives, s->n_authoritatives,
	      sizeof(*s->authoritatives), row_server);
	array(w, "senders", s->senders, s->n_senders, sizeof(*s->senders), row_sender);
	array(w, "failing_names", s->failing, s->n_failing, sizeof(*s->failing), row_failing);
	mx_jw_s(w, "\n}\n");
	mx_jw_flush(w);
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
