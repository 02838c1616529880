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
 * Transactions are bucketed when they complete, so a timeout lands up to
 * answer_timeout later than its query.
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define SENDERS 32
#define HIST 30
#define BUCKET_US 10000000ULL

enum cat { CAT_CHAIN, CAT_PTR, CAT_DNSBL, CAT_REP, CAT_TXT, CAT_OTHER, CAT_N };
static const char *const cat_names[CAT_N] = {"mail chain", "PTR", "DNSBL", "reputation", "TXT", "other"};

struct snd {
	struct mx_addr addr;
	uint64_t bucket;                 /* index of the current bucket */
	uint64_t cur[CAT_N], cur_total, cur_chain, cur_chain_lost;
	uint64_t hist[HIST];
	unsigned nhist;
	uint64_t base_chain, base_lost;  /* before the current bucket */
	bool spike_pending;              /* previous bucket spiked: check this one too */
	uint64_t spike_total, spike_start;
	uint64_t all[CAT_N], all_total, first_us, last_us;
	bool fired;
};

struct st {
	struct mx_slot hdr[SENDERS];   /* the table's keys, apart: a probe reads 16 bytes an entry */
	struct snd s[SENDERS];
	uint64_t clock;
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

static void emit_starvation(struct snd *s, struct mx_emit *e)
{
	struct mx_finding f;
	mx_finding_init(&f, "QUERY_VOLUME_STARVATION", MX_SEV_WARN);
	f.title = "a burst of non-delivery lookups coincides with mail lookups timing out";
	f.sender = s->addr;
	f.first_us = s->spike_start;
	f.last_us = s->last_us;
	f.count = s->spike_total;
	mx_finding_detail(&f, "%.0f queries/s in a 10 s bucket (median %.0f); mail-chain timeouts rose to %llu of %llu",
			  (double)s->spike_total / 10.0, (double)median(s) / 10.0,
			  (unsigned long long)s->cur_chain_lost, (unsigned long long)s->cur_chain);
	for (int c = 0; c < CAT_N; c++)
		if (s->all[c])
			mx_finding_detail(&f, "%s %llu%%", cat_names[c],
					  (unsigned long long)(s->all[c] * 100 / (s->all_total ? s->all_total : 1)));
	f.smtp_status = "most likely: Messaging Gateway \"421 4.4.4 [internal] domain does not resolve\"; "
			"others 4.4.3";
	f.cause = "an inbound spam wave (reverse DNS and blocklist lookups per connection) or URL scanning "
		  "exhausts the resolver's per-client capacity (unbound wait-limit, public resolver limits)";
	f.fix = "a local caching resolver on the mail server, a separate resolver for filtering lookups, or "
		"fewer DNS-based checks";
	mx_emit(e, &f);
	s->fired = true;
}

static void roll(struct snd *s, uint64_t bucket, const struct mx_detect_opts *o, struct mx_emit *e)
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
	if (spike) {
		s->spike_total = s->cur_total;
		s->spike_start = s->bucket * BUCKET_US;
	}
	if (!s->fired && starving && (spike || s->spike_pending))
		emit_starvation(s, e);
	s->spike_pending = spike;
	s->hist[s->nhist % HIST] = s->cur_total;
	s->nhist++;
	s->base_chain += s->cur_chain;
	s->base_lost += s->cur_chain_lost;
	memset(s->cur, 0, sizeof s->cur);
	s->cur_total = s->cur_chain = s->cur_chain_lost = 0;
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
	struct snd *s = &st->s[MX_SLOT_INDEX_PK(c, MX_PK_QVOL, st->hdr, mx_key_addr_inline(&t->client, MX_SALT_QVOL),
						   &st->clock, &fresh)];
	uint64_t b = t->q_ts / BUCKET_US;
	if (fresh) {
		memset(s, 0, sizeof(*s));
		s->addr = t->client;
		s->bucket = b;
		s->first_us = t->q_ts;
	}
	if (b > s->bucket)
		roll(s, b, c->opts, e);
	enum cat k = categorize(c->opts, t);
	s->cur[k]++;
	s->cur_total++;
	s->all[k]++;
	s->all_total++;
	s->last_us = t->q_ts;
	if (k == CAT_CHAIN) {
		s->cur_chain++;
		if (t->kind == MX_TXN_TIMEOUT)
			s->cur_chain_lost++;
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
		roll(s, s->bucket + 1, c->opts, e);
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
	.on_finish = on_finish,
	.on_pending = on_pending,
};
