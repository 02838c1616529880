/* query_volume.c - P16 QUERY_VOLUME_STARVATION and QUERY_MIX.
 *
 * Per sender in 10 s buckets: queries by category (mail chain: MX/TLSA and
 * A/AAAA outside blocklists; PTR; DNSBL: reversed address under a blocklist
 * zone; reputation: other names under blocklist zones; TXT/SPF/DKIM/DMARC;
 * other). A bucket whose rate is >= 50 q/s and >= 3x the sender's median
 * bucket, followed in the same or the next bucket by a mail-chain timeout
 * ratio >= 2x its baseline (at least 1 %), is QUERY_VOLUME_STARVATION (WARN):
 * non-delivery lookups starve the resolver. QUERY_MIX (INFO) at the end when
 * PTR + DNSBL + reputation exceed 80 % of a sender's >= 100 queries.
 * Transactions are bucketed by their query's time (they complete later: a
 * timeout answer_timeout after it, so a bucket is judged when a transaction
 * of a later one completes).
 *
 * A burst is a run of spiking buckets (and the bucket after the last): each
 * starving bucket of it emits the finding again, over the whole burst so
 * far (its first query to its last, its category shares, the mail-chain
 * lookups that timed out in it, which resolvers they went to, the first of
 * them as evidence): merged, the finding describes the burst. A deferred
 * or failed chain of the sender that started inside the burst raises it to
 * ERROR (PATTERNS P16: "ERROR if chains fail").
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

/* senders followed at once (LRU): a mail server has a few addresses, a
 * resolver-side capture a few dozen mail servers */
#define SENDERS 64
#define HIST 30
#define BUCKET_US 10000000ULL

enum cat { CAT_CHAIN, CAT_PTR, CAT_DNSBL, CAT_REP, CAT_TXT, CAT_OTHER, CAT_N };
static const char *const cat_names[CAT_N] = {"mail chain", "PTR", "DNSBL", "reputation", "TXT", "other"};

#define BURST_EV 4

struct snd {
	struct mx_addr addr;
	uint64_t bucket;                 /* index of the current bucket */
	uint64_t cur[CAT_N], cur_total, cur_chain, cur_chain_lost, cur_first_us, cur_last_us;
	unsigned n_cur_lost;             /* kept in struct kept's cur_lost */
	uint64_t hist[HIST];
	unsigned nhist;
	uint64_t base_chain, base_lost;  /* before the current bucket */
	bool spike_pending;              /* previous bucket spiked: check this one too */
	/* the burst: the spiking buckets in a row, and the one after */
	uint64_t b_first_us, b_last_us, b_total, b_peak, b_median;
	uint64_t b_cat[CAT_N], b_chain, b_lost;
	unsigned n_b_ev;                 /* kept in struct kept's b_ev */
	struct mx_addr b_res[MX_FINDING_MAX_RESOLVERS];
	unsigned n_b_res;
	bool b_fired;                    /* the finding was made for this burst */
	unsigned b_failed_chains;        /* deferred or failed chains that started in it */
	uint64_t all[CAT_N], all_total, first_us, last_us;
};

/* A sender's kept transactions, apart from its counters: a slot taken
 * afresh clears only the counters (the counts above say what is valid). */
struct kept {
	struct mx_txn_kept cur_lost[BURST_EV]; /* the bucket's first timed-out mail-chain queries */
	struct mx_txn_kept b_ev[BURST_EV];     /* the burst's */
};

struct st {
	struct mx_slot hdr[SENDERS];   /* the table's keys, apart: a probe reads 16 bytes an entry */
	struct snd s[SENDERS];
	struct kept k[SENDERS];
	uint64_t clock;
	unsigned bursts;                /* findings made: chains are looked at only then */
};

static enum cat categorize(const struct mx_detect_opts *o, const struct mx_txn *t)
{
	switch (t->qtype) {
	case MX_TYPE_MX:
	case MX_TYPE_TLSA:
		return CAT_CHAIN;
	case MX_TYPE_PTR:
		return CAT_PTR;
	default:
		break;
	}
	/* any type under a blocklist zone: Postfix asks A, then TXT for the
	 * reply text (also when its reply filter ignores the answer) */
	if (mx_detect_in_dnsbl(o, &t->qname)) {
		uint8_t ll = t->qname.wire[0];
		uint8_t c0 = t->qname.len > 1 ? t->qname.wire[1] : 0;
		bool numeric = ll >= 1 && ll <= 3 && c0 >= '0' && c0 <= '9';
		bool nibble = ll == 1 && ((c0 >= '0' && c0 <= '9') || (c0 >= 'a' && c0 <= 'f'));
		return numeric || nibble ? CAT_DNSBL : CAT_REP;
	}
	/* a reversed address in front of a zone not listed: a blocklist too */
	if (mx_detect_reversed_addr_name(&t->qname))
		return CAT_DNSBL;
	if (t->qtype == MX_TYPE_TXT || (t->qname.len > 1 && t->qname.wire[1] == '_'))
		return CAT_TXT; /* SPF, _dmarc, _domainkey, _mta-sts ... */
	if (t->qtype == MX_TYPE_A || t->qtype == MX_TYPE_AAAA)
		return CAT_CHAIN;
	return CAT_OTHER;
}

static uint64_t median(const struct snd *s)
{
	uint64_t v[HIST];
	unsigned n = s->nhist < HIST ? s->nhist : HIST;
	memcpy(v, s->hist, n * sizeof v[0]);
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return n ? v[n / 2] : 0;
}

/* The finding over the burst so far; count: occurrences it adds (1 for a
 * starving bucket, 0 when a failed chain raises it to ERROR). */
static void emit_starvation(struct snd *s, const struct kept *kp, uint64_t count, struct mx_emit *e)
{
	struct mx_finding f;
	mx_finding_init(&f, "QUERY_VOLUME_STARVATION", s->b_failed_chains ? MX_SEV_ERROR : MX_SEV_WARN);
	f.title = "a burst of non-delivery lookups coincides with mail lookups timing out";
	f.sender = s->addr;
	f.first_us = s->b_first_us;
	f.last_us = s->b_last_us;
	f.count = count;
	/* the deliveries it made wait: ranks it before the RESOLVER_TIMEOUT it
	 * causes (whose queries it counts by the thousand) */
	f.attempts = s->b_failed_chains;
	double secs = (double)(s->b_last_us - s->b_first_us) / 1e6;
	/* (detail holds 320 bytes) */
	mx_finding_detail(&f, "burst of %llu queries in %.1f s, up to %.0f/s in a 10 s bucket (median bucket "
			  "before: %.1f/s)",
			  (unsigned long long)s->b_total, secs, (double)s->b_peak / 10.0, (double)s->b_median / 10.0);
	char mixb[120];
	size_t o = 0;
	mixb[0] = '\0';
	for (int c = 0; c < CAT_N; c++)
		if (s->b_cat[c] && o < sizeof mixb) {
			uint64_t pct = s->b_cat[c] * 100 / (s->b_total ? s->b_total : 1);
			o += (size_t)snprintf(mixb + o, sizeof mixb - o, pct ? "%s%s %llu%%" : "%s%s <1%%",
					      o ? ", " : "", cat_names[c], (unsigned long long)pct);
		}
	mx_finding_detail(&f, "%s", mixb);
	mx_finding_detail(&f, "mail-chain lookups timed out: %llu of %llu", (unsigned long long)s->b_lost,
			  (unsigned long long)s->b_chain);
	if (s->b_failed_chains)
		mx_finding_detail(&f, "%u delivery attempt%s begun in it deferred or failed", s->b_failed_chains,
				  s->b_failed_chains == 1 ? "" : "s");
	for (unsigned i = 0; i < s->n_b_res; i++)
		mx_finding_add_resolver(&f, &s->b_res[i]);
	for (unsigned i = 0; i < s->n_b_ev; i++)
		mx_finding_add_kept(&f, &kp->b_ev[i], NULL);
	f.smtp_status = "most likely a deferral of the mail whose lookups timed out: Postfix 4.4.3 \"Host or "
			"domain name not found. Name service error for name=<domain> type=MX: Host not "
			"found, try again\"; Exim \"host lookup did not complete\"; Messaging Gateway \"421 "
			"4.4.4 [internal] domain does not resolve\"; others 4.4.3";
	f.cause = "an inbound spam wave (reverse DNS and blocklist lookups per connection) or URL scanning "
		  "exceeds the resolver's per-client limit (unbound ip-ratelimit or wait-limit, dnsdist "
		  "MaxQPSIPRule, a public or cloud resolver's quota), which then drops the mail server's "
		  "delivery lookups along with the rest";
	f.fix = "a local caching resolver on the mail server, a separate resolver for filtering lookups, a "
		"higher per-client limit for the mail server, or fewer DNS-based checks";
	mx_emit(e, &f);
	s->b_fired = true;
}

static void roll(struct snd *s, struct kept *kp, uint64_t bucket, const struct mx_detect_opts *o, struct mx_emit *e)
{
	(void)o;
	/* judge the bucket that ends */
	uint64_t med = median(s);
	bool spike = s->nhist >= 3 && s->cur_total >= 500 && s->cur_total >= 3 * (med ? med : 1);
	uint64_t base_pct = s->base_chain ? s->base_lost * 10000 / s->base_chain : 0;
	if (base_pct < 100)
		base_pct = 100; /* at least 1 % */
	uint64_t cur_pct = s->cur_chain ? s->cur_chain_lost * 10000 / s->cur_chain : 0;
	bool starving = s->cur_chain_lost >= 3 && cur_pct >= 2 * base_pct;
	if (spike && !s->spike_pending) {
		/* a burst begins */
		s->b_first_us = s->cur_first_us;
		s->b_last_us = s->cur_last_us;
		s->b_total = s->b_peak = s->b_chain = s->b_lost = 0;
		memset(s->b_cat, 0, sizeof s->b_cat);
		s->n_b_ev = s->n_b_res = 0;
		s->b_fired = false;
		s->b_failed_chains = 0;
		s->b_median = med;
	}
	if (spike || s->spike_pending) {
		/* a spiking bucket or the one after it: part of the burst */
		if (s->cur_last_us > s->b_last_us)
			s->b_last_us = s->cur_last_us;
		s->b_total += s->cur_total;
		if (s->cur_total > s->b_peak)
			s->b_peak = s->cur_total;
		for (int k = 0; k < CAT_N; k++)
			s->b_cat[k] += s->cur[k];
		s->b_chain += s->cur_chain;
		s->b_lost += s->cur_chain_lost;
		for (unsigned i = 0; i < s->n_cur_lost; i++) {
			const struct mx_txn_kept *k = &kp->cur_lost[i];
			if (s->n_b_ev < BURST_EV)
				kp->b_ev[s->n_b_ev++] = *k;
			bool have = false;
			for (unsigned r = 0; r < s->n_b_res && !have; r++)
				have = mx_addr_eq(&s->b_res[r], &k->server);
			if (!have && s->n_b_res < MX_FINDING_MAX_RESOLVERS)
				s->b_res[s->n_b_res++] = k->server;
		}
		if (starving)
			emit_starvation(s, kp, 1, e);
	}
	s->spike_pending = spike;
	s->hist[s->nhist % HIST] = s->cur_total;
	s->nhist++;
	s->base_chain += s->cur_chain;
	s->base_lost += s->cur_chain_lost;
	memset(s->cur, 0, sizeof s->cur);
	s->cur_total = s->cur_chain = s->cur_chain_lost = 0;
	s->cur_first_us = s->cur_last_us = 0;
	s->n_cur_lost = 0;
	/* empty buckets in between count as zero-rate history */
	for (uint64_t b = s->bucket + 1; b < bucket && b < s->bucket + HIST; b++)
		s->hist[s->nhist++ % HIST] = 0;
	s->bucket = bucket;
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *st = vs;
	if (!t->rd || t->kind == MX_TXN_OPEN || t->kind == MX_TXN_PENDING || !mx_detect_is_sender(c->opts, &t->client))
		return;
	bool fresh;
	size_t si = MX_SLOT_INDEX_PK(c, MX_PK_QVOL, st->hdr, mx_key_addr_inline(&t->client, MX_SALT_QVOL),
				     &st->clock, &fresh);
	struct snd *s = &st->s[si];
	struct kept *kp = &st->k[si];
	uint64_t b = t->q_ts / BUCKET_US;
	if (fresh) {
		memset(s, 0, sizeof(*s));
		s->addr = t->client;
		s->bucket = b;
		s->first_us = t->q_ts;
	}
	if (b > s->bucket) {
		roll(s, kp, b, c->opts, e);
		st->bursts |= s->b_fired;
	}
	enum cat k = categorize(c->opts, t);
	s->cur[k]++;
	s->cur_total++;
	s->all[k]++;
	s->all_total++;
	s->last_us = t->q_ts;
	/* transactions complete out of query order: the bucket's span */
	if (!s->cur_first_us || t->q_ts < s->cur_first_us)
		s->cur_first_us = t->q_ts;
	if (t->q_ts > s->cur_last_us)
		s->cur_last_us = t->q_ts;
	if (k == CAT_CHAIN) {
		s->cur_chain++;
		if (t->kind == MX_TXN_TIMEOUT) {
			s->cur_chain_lost++;
			if (s->n_cur_lost < BURST_EV)
				mx_txn_keep(&kp->cur_lost[s->n_cur_lost++], t);
		}
	}
}

/* A deferred or failed chain of a sender that started inside its burst
 * (after the finding was made): the burst made mail wait. */
static void on_chain(void *vs, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e)
{
	struct st *st = vs;
	if (!st->bursts || (ch->verdict != MX_CHAIN_DEFERRED && ch->verdict != MX_CHAIN_FAILED))
		return;
	for (unsigned i = 0; i < SENDERS; i++) {
		struct snd *s = &st->s[i];
		if (!st->hdr[i].used || !s->b_fired || !mx_addr_eq(&s->addr, &ch->sender))
			continue;
		if (ch->start_us < s->b_first_us || ch->start_us > s->b_last_us + c->opts->answer_timeout_us)
			continue;
		s->b_failed_chains++;
		emit_starvation(s, &st->k[i], 0, e);
	}
}

/* QUERY_MIX of one sender over the whole capture; pending: NULL at its end
 * (the finding is made), else why it is pending (on_pending) */
static void mix(const struct snd *s, struct mx_emit *e, const char *pending)
{
	uint64_t filt = s->all[CAT_PTR] + s->all[CAT_DNSBL] + s->all[CAT_REP];
	if (s->all_total < 100 || filt * 10 < s->all_total * 8)
		return;
	struct mx_finding f;
	mx_finding_init(&f, "QUERY_MIX", MX_SEV_INFO);
	f.title = "most of the sender's lookups are for filtering, not delivery";
	f.sender = s->addr;
	f.first_us = s->first_us;
	f.last_us = s->last_us;
	f.count = s->all_total;
	for (int k = 0; k < CAT_N; k++)
		if (s->all[k])
			mx_finding_detail(&f, "%s %llu%%", cat_names[k],
					  (unsigned long long)(s->all[k] * 100 / s->all_total));
	f.smtp_status = "none by itself";
	f.cause = "reverse DNS, blocklist and reputation lookups for inbound mail dominate";
	f.fix = "make sure a local caching resolver absorbs them so delivery lookups are not starved";
	f.pending = pending;
	mx_emit(e, &f);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	struct st *st = vs;
	for (unsigned i = 0; i < SENDERS; i++) {
		struct snd *s = &st->s[i];
		if (!st->hdr[i].used)
			continue;
		roll(s, &st->k[i], s->bucket + 1, c->opts, e);
		mix(s, e, NULL);
	}
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	const struct st *st = vs;
	(void)c;
	for (unsigned i = 0; i < SENDERS; i++)
		if (st->hdr[i].used)
			mix(&st->s[i], e, "judged on the whole capture when it ends: the counts so far");
}

const struct mx_detector mx_det_query_volume = {
	.id = "QUERY_VOLUME_STARVATION",
	.pattern = "P16",
	.emits = "QUERY_VOLUME_STARVATION,QUERY_MIX",
	.summary = "bursts of PTR/DNSBL/reputation lookups that starve delivery lookups",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_chain = on_chain,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
