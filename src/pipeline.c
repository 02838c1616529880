/* pipeline.c - wires decode -> dns -> txn -> lookup -> chain -> detect ->
 * model -> sinks (L7).
 *
 * Owns the decoder, the transaction, lookup and chain tables, the detectors
 * and the model, and connects their callbacks:
 *   decoder dns   -> mx_dns_parse() into one reused message (allocated once
 *                    with the pipeline, never per packet) + the addressing from
 *                    struct mx_pkt -> model (verdict unless OK, message) -> txn
 *   decoder offport -> a UDP datagram on no DNS port with a DNS response
 *                    header: parsed, and taken as DNS (as above) only when
 *                    txn has a query pending that it answers from the wrong
 *                    source (mx_txn_expects_wrong_source), else left
 *                    other_port
 *   decoder icmp  -> txn (may end a transaction UNREACHABLE) + model
 *   txn query     -> lookup
 *   txn done      -> model, sinks' txn, then lookup (which may close a lookup,
 *                    so sinks see a transaction before the lookup it ends)
 *   txn stray     -> model, detectors
 *   lookup done   -> model, sinks' lookup, chains, detectors
 *   decoder tcpctl-> chains (SYN to port 25), detectors
 *   chain done    -> model, sinks' chain, detectors
 * Transactions also go to the detectors. Detectors are ticked once per
 * second of capture time; their findings are copied into each snapshot when
 * it is taken (straight from the detectors: the model keeps only the count
 * of evicted findings). With mx_pipeline_set_open_chains() on (the live
 * view), a snapshot also gets the open chains, peeked at from the chain
 * table when it is taken (bounded: MX_SNAP_OPEN_CHAINS); with
 * mx_pipeline_set_pending() on, the pending findings (mx_detect_pending()),
 * until the end of the input makes or drops them.
 * Time: the clock is the largest capture timestamp seen; when a frame moves
 * it by a millisecond or more, the lower layers are ticked (fragments, idle
 * TCP flows, timeouts, idle lookups) before the frame is decoded. Messages
 * advance txn's own clock exactly, so the millisecond grain only affects
 * expiries in quiet stretches. Live mode ticks from the wall clock when idle.
 *
 * What it does not do: read packets (capture.c), decide what is fatal
 * (main.c), or format anything (sinks).
 */
#include "mxsniff/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "mxsniff/dns.h"
#include "mxsniff/err.h"

#define MX_PIPELINE_MAX_SINKS 4
#define MX_TICK_GRAIN_US 1000u
#define MX_DETECT_TICK_US 1000000u

struct mx_pipeline {
	struct mx_decoder *dec;
	struct mx_txn_table *txn;
	struct mx_lookup_table *lookup;
	struct mx_chain_table *chain;
	struct mx_detect *detect;
	struct mx_model *model;
	struct mx_dns_msg *msg;          /* reused for every message */
	struct mx_sink *sinks[MX_PIPELINE_MAX_SINKS];
	size_t n_sinks;
	struct mx_capture_stats cap;
	uint64_t now;                    /* capture clock: largest timestamp seen */
	uint64_t next_tick;              /* tick the lower layers when now reaches it */
	uint64_t next_detect_tick;
	bool pending;                    /* snapshots carry the pending findings */
	bool open_chains;                /* snapshots carry the open chains */
	bool stream_findings;            /* a sink takes findings as they are made */
	uint64_t streamed_seq;           /* findings up to this seq went to the sinks */
};

void mx_pipeline_opts_default(struct mx_pipeline_opts *o)
{
	memset(o, 0, sizeof(*o));
	mx_decode_opts_default(&o->decode);
	mx_txn_opts_default(&o->txn);
	mx_lookup_opts_default(&o->lookup);
	mx_model_opts_default(&o->model);
	mx_chain_opts_default(&o->chain);
	mx_detect_opts_default(&o->detect);
}

/* ---- callbacks -------------------------------------------------------- */

static void on_lookup_done(void *ctx, const struct mx_lookup *l)
{
	struct mx_pipeline *p = ctx;
	size_t i;

	mx_model_observe_lookup(p->model, l);
	for (i = 0; i < p->n_sinks; i++)
		mx_sink_lookup(p->sinks[i], l);
	mx_detect_observe_lookup(p->detect, l);
	mx_chain_observe_lookup(p->chain, l);
}

static void on_chain_done(void *ctx, const struct mx_chain *c)
{
	struct mx_pipeline *p = ctx;
	size_t i;

	mx_model_observe_chain(p->model, c);
	for (i = 0; i < p->n_sinks; i++)
		mx_sink_chain(p->sinks[i], c);
	mx_detect_observe_chain(p->detect, c);
}

static void on_tcpctl(void *ctx, const struct mx_tcpctl *t)
{
	struct mx_pipeline *p = ctx;

	mx_chain_observe_tcp(p->chain, t);
	mx_detect_observe_tcp(p->detect, t);
}

static void on_txn_query(void *ctx, const struct mx_txn *t, bool retransmit)
{
	struct mx_pipeline *p = ctx;

	mx_lookup_observe_query(p->lookup, t, retransmit);
}

static void on_txn_done(void *ctx, const struct mx_txn *t)
{
	struct mx_pipeline *p = ctx;
	size_t i;

	mx_model_observe_txn(p->model, t);
	for (i = 0; i < p->n_sinks; i++)
		mx_sink_txn(p->sinks[i], t);
	mx_detect_observe_txn(p->detect, t);
	mx_lookup_observe_done(p->lookup, t);
}

static void on_txn_stray(void *ctx, const struct mx_stray *s)
{
	struct mx_pipeline *p = ctx;

	mx_model_observe_stray(p->model, s);
	mx_detect_observe_stray(p->detect, s);
	mx_lookup_observe_stray(p->lookup, s);
}

/* Parse pk into m (p->msg) with its addressing; the parse verdict. Inlined
 * in both callers: on_dns, once per message, would otherwise pay a call. */
static inline __attribute__((always_inline)) enum mx_dns_verdict parse_pkt(struct mx_dns_msg *m,
									    const struct mx_pkt *pk)
{
	enum mx_dns_verdict v;

	v = mx_dns_parse(pk->dns, pk->dns_len, pk->dns_wire_len, m);
	m->ts_us = pk->ts_us;
	m->frame = pk->frame;
	m->src = pk->src;
	m->dst = pk->dst;
	m->sport = pk->sport;
	m->dport = pk->dport;
	m->transport = pk->transport;
	m->wire_len = pk->dns_wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)pk->dns_wire_len;
	if (pk->partial)
		m->partial = true;
	return v;
}

/* The parsed message m (p->msg, verdict v) to the model and txn. */
static inline __attribute__((always_inline)) void deliver(struct mx_pipeline *p, const struct mx_dns_msg *m,
							  enum mx_dns_verdict v)
{
	if (v != MX_DNS_OK) {
		/* the model counts only the other verdicts: no call for an OK one */
		mx_model_observe_dns_verdict(p->model, v);
		if (v == MX_DNS_NOT_DNS)
			return;
	}
	mx_model_observe_msg(p->model, m);
	mx_txn_observe(p->txn, m);
}

static void on_dns(void *ctx, const struct mx_pkt *pk)
{
	struct mx_pipeline *p = ctx;
	struct mx_dns_msg *m = p->msg;

	deliver(p, m, parse_pkt(m, pk));
}

/* A UDP datagram on no DNS port with a response header (decode.h
 * cb.offport): DNS when it parses with a question and a query from its
 * destination address and port with its ID and question is pending, i.e.
 * when txn will report it WRONG_SOURCE (a response whose source port NAT
 * rewrote). Anything else stays other_port, so NTP, QUIC and the like to a
 * client's port are not taken for DNS. */
static bool on_offport(void *ctx, const struct mx_pkt *pk)
{
	struct mx_pipeline *p = ctx;
	struct mx_dns_msg *m = p->msg;
	enum mx_dns_verdict v = parse_pkt(m, pk);

	if (v == MX_DNS_NOT_DNS || !mx_txn_expects_wrong_source(p->txn, m))
		return false;
	deliver(p, m, v);
	return true;
}

static void on_icmp(void *ctx, const struct mx_icmp *ic)
{
	struct mx_pipeline *p = ctx;

	mx_model_observe_icmp(p->model, ic);
	mx_txn_observe_icmp(p->txn, ic);
}

/* ---- lifecycle -------------------------------------------------------- */

struct mx_pipeline *mx_pipeline_new(const struct mx_pipeline_opts *o)
{
	struct mx_pipeline_opts def;
	struct mx_pipeline *p;
	struct mx_decode_cb dcb;
	struct mx_txn_cb tcb;
	struct mx_lookup_cb lcb;
	struct mx_chain_cb ccb;

	if (o == NULL) {
		mx_pipeline_opts_default(&def);
		o = &def;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->msg = calloc(1, sizeof(*p->msg));
	p->model = mx_model_new(&o->model);
	p->detect = mx_detect_new(&o->detect);

	memset(&ccb, 0, sizeof(ccb));
	ccb.ctx = p;
	ccb.done = on_chain_done;
	struct mx_chain_opts copts = o->chain;
	if (copts.n_senders == 0 && o->detect.n_senders) {
		/* --sender: one mail server's addresses, for SYN matching too */
		size_t n = o->detect.n_senders;
		if (n > sizeof(copts.senders) / sizeof(copts.senders[0]))
			n = sizeof(copts.senders) / sizeof(copts.senders[0]);
		memcpy(copts.senders, o->detect.senders, n * sizeof(copts.senders[0]));
		copts.n_senders = n;
	}
	p->chain = mx_chain_new(&copts, &ccb);

	memset(&lcb, 0, sizeof(lcb));
	lcb.ctx = p;
	lcb.done = on_lookup_done;
	p->lookup = mx_lookup_new(&o->lookup, &lcb);

	memset(&tcb, 0, sizeof(tcb));
	tcb.ctx = p;
	tcb.query = on_txn_query;
	tcb.done = on_txn_done;
	tcb.stray = on_txn_stray;
	p->txn = mx_txn_new(&o->txn, &tcb);

	memset(&dcb, 0, sizeof(dcb));
	dcb.ctx = p;
	dcb.dns = on_dns;
	dcb.icmp = on_icmp;
	dcb.tcpctl = on_tcpctl;
	dcb.offport = on_offport;
	p->dec = mx_decoder_new(&o->decode, &dcb);

	if (p->msg == NULL || p->model == NULL || p->lookup == NULL || p->txn == NULL ||
	    p->dec == NULL || p->chain == NULL || p->detect == NULL) {
		mx_pipeline_free(p);
		return NULL;
	}
	return p;
}

void mx_pipeline_free(struct mx_pipeline *p)
{
	if (p == NULL)
		return;
	mx_decoder_free(p->dec);
	mx_txn_free(p->txn);
	mx_lookup_free(p->lookup);
	mx_chain_free(p->chain);
	mx_detect_free(p->detect);
	mx_model_free(p->model);
	free(p->msg);
	free(p);
}

int mx_pipeline_add_sink(struct mx_pipeline *p, struct mx_sink *s)
{
	if (p == NULL || s == NULL)
		return MX_EINVAL;
	if (p->n_sinks >= MX_PIPELINE_MAX_SINKS)
		return MX_EINVAL;
	p->sinks[p->n_sinks++] = s;
	if (mx_sink_streams_findings(s))
		p->stream_findings = true;
	return 0;
}

void mx_pipeline_set_source(struct mx_pipeline *p, const char *source, const char *filter, bool live)
{
	mx_model_set_source(p->model, source != NULL ? source : "", filter != NULL ? filter : "", live);
}

/* ---- time ------------------------------------------------------------- */

static void made_to_sinks(void *ctx, const struct mx_finding *f)
{
	struct mx_pipeline *p = ctx;
	for (size_t i = 0; i < p->n_sinks; i++)
		mx_sink_finding(p->sinks[i], f);
}

/* Findings made since the last call go to the sinks that stream them: after
 * each detector tick (once a second of capture time) and at the end. */
static void stream_findings(struct mx_pipeline *p)
{
	uint64_t seq = mx_detect_seq(p->detect);
	if (!p->stream_findings || seq == p->streamed_seq)
		return;
	if (mx_detect_made_since(p->detect, p->streamed_seq, made_to_sinks, p) != SIZE_MAX)
		p->streamed_seq = seq;
}

static void tick_lower(struct mx_pipeline *p)
{
	mx_decode_tick(p->dec, p->now);
	mx_txn_tick(p->txn, p->now);
	mx_lookup_tick(p->lookup, p->now);
	mx_chain_tick(p->chain, p->now);
	if (p->now >= p->next_detect_tick) {
		mx_detect_tick(p->detect, p->now);
		p->next_detect_tick = p->now + MX_DETECT_TICK_US;
		stream_findings(p);
	}
	p->next_tick = p->now + MX_TICK_GRAIN_US;
}

void mx_pipeline_frame(struct mx_pipeline *p, const struct mx_frame *f)
{
	mx_model_observe_frame(p->model, f);
	if (f->ts_us > p->now) {
		p->now = f->ts_us;
		if (p->now >= p->next_tick)
			tick_lower(p);
	}
	(void)mx_decode_frame(p->dec, f);
}

void mx_pipeline_tick(struct mx_pipeline *p, uint64_t now_us)
{
	if (now_us > p->now)
		p->now = now_us;
	tick_lower(p);
}

void mx_pipeline_finish(struct mx_pipeline *p, uint64_t end_us)
{
	if (end_us > p->now)
		p->now = end_us;
	mx_decode_tick(p->dec, p->now);
	mx_txn_finish(p->txn, p->now);
	mx_lookup_finish(p->lookup, p->now);
	mx_chain_finish(p->chain, p->now);
	mx_detect_finish(p->detect, p->now);
	stream_findings(p);
	p->pending = false;   /* every finding is made or dropped now */
}

void mx_pipeline_set_capture_stats(struct mx_pipeline *p, const struct mx_capture_stats *c)
{
	if (c != NULL)
		p->cap = *c;
}

void mx_pipeline_set_pending(struct mx_pipeline *p, bool on)
{
	p->pending = on;
}

void mx_pipeline_set_open_chains(struct mx_pipeline *p, bool on)
{
	p->open_chains = on;
}

int mx_pipeline_snapshot(struct mx_pipeline *p, struct mx_snapshot *s)
{
	size_t n;
	const struct mx_finding *f;
	int rc;

	mx_model_set_stats(p->model, mx_decode_peek_stats(p->dec), mx_txn_peek_stats(p->txn),
			   mx_lookup_peek_stats(p->lookup), &p->cap);
	mx_model_set_chain_stats(p->model, mx_chain_peek_stats(p->chain));
	/* The findings go from the detectors straight into the snapshot: one
	 * copy (the model keeps only their eviction count), not two. */
	rc = mx_model_set_findings(p->model, NULL, 0, mx_detect_evicted(p->detect));
	if (rc)
		return rc;
	rc = mx_model_snapshot(p->model, s);
	if (rc)
		return rc;
	s->n_findings_evicted_by = mx_detect_evicted_top(p->detect, s->findings_evicted_by, MX_SNAP_EVICTED_PATTERNS);
	f = mx_detect_peek(p->detect, &n);
	if (n) {
		/* calloc: fresh zero pages; each finding is copied by the bytes
		 * it uses (~1 KiB of its 7 KiB), so untouched pages stay unmapped */
		s->findings = calloc(n, sizeof(*s->findings));
		if (s->findings == NULL) {
			mx_snapshot_fini(s);
			return MX_ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			mx_finding_copy(&s->findings[i], &f[i]);
		s->n_findings = n;
	}
	if (p->pending) {
		f = mx_detect_pending(p->detect, &n, &s->pending_dropped);
		if (n) {
			s->pending = calloc(n, sizeof(*s->pending));
			if (s->pending == NULL) {
				mx_snapshot_fini(s);
				return MX_ENOMEM;
			}
			for (size_t i = 0; i < n; i++)
				mx_finding_copy(&s->pending[i], &f[i]);
			s->n_pending = n;
		}
	}
	n = p->open_chains ? mx_chain_open_count(p->chain) : 0;
	if (n) {
		if (n > MX_SNAP_OPEN_CHAINS)
			n = MX_SNAP_OPEN_CHAINS;
		s->open_chains = malloc(n * sizeof(*s->open_chains));
		if (s->open_chains == NULL) {
			mx_snapshot_fini(s);
			return MX_ENOMEM;
		}
		s->n_open_chains = mx_chain_peek_open(p->chain, s->open_chains, n);
	}
	return 0;
}

void mx_pipeline_dns(struct mx_pipeline *p, const struct mx_pkt *pk)
{
	if (pk->ts_us > p->now) {
		p->now = pk->ts_us;
		if (p->now >= p->next_tick)
			tick_lower(p);
	}
	on_dns(p, pk);
}
