/* detect.c - the detector table's core: dispatch, finding merge, ranking.
 *
 * Each detector (src/detect/<pattern>.c) is a row in mx_detectors[]. The core
 * allocates every enabled detector's fixed-size state zeroed, hands it the
 * analysis events, and merges what the detectors emit: findings with the same
 * key (pattern, sender, first resolver, domain, host, qtype) become one, with
 * counts, frames, evidence rows and resolvers added up and the highest
 * severity kept. The table is bounded (max_findings); when it is full a
 * finding is evicted and counted: the lowest-severity, oldest one of the
 * pattern that holds the most findings. A flood of one pattern (thousands
 * of MX_NXDOMAIN for unknown recipient domains) thus takes the table's
 * slots one by one from itself and cannot push out the one AAAA_SERVFAIL_A_OK
 * that explains the deferred mail.
 *
 * Transactions and lookups reach the detectors with the table keys of their
 * (client, server) pair, kept in a small memo across events (most events
 * come from a handful of pairs): see key_inline.h. A lookup reaches only the
 * on_lookup callbacks whose row's lookup_needs its bits meet (detect.h): the
 * callbacks a healthy answer would only enter and leave are not called.
 *
 * A detector may defer a finding's detail or verify text (mx_finding_defer):
 * the raw record it keeps in the text's place is copied and merged as the
 * text would be, and mx_detect_peek() writes the texts of the findings it
 * shows. Floods (MX_NXDOMAIN, MX_NODATA_*, SLOW_CHAIN) evict most of their
 * findings before anything is shown: their text was most of their cost.
 *
 * It does not decide anything about DNS itself: that is the detectors' job.
 */
#include "mxsniff/detect.h"
#include "mxsniff/err.h"
#include "detect/key_inline.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The table: one row per detector, in PATTERNS.md order (the order of
 * --list-detectors and of the manual's DETECTORS section). */
#include "detect_table.h"

size_t mx_detector_count(void)
{
	size_t n = 0;
	while (mx_detectors[n])
		n++;
	return n;
}

int mx_detector_find(const char *id)
{
	for (size_t i = 0; mx_detectors[i]; i++)
		if (strcasecmp(mx_detectors[i]->id, id) == 0 ||
		    strcasecmp(mx_detectors[i]->pattern, id) == 0)
			return (int)i;
	return -1;
}

int mx_detect_parse_list(const char *list, uint64_t *bits, char *err, size_t errlen)
{
	uint64_t b = 0;
	char buf[1024];
	if (!list || strlen(list) >= sizeof buf) {
		snprintf(err, errlen, "detector list too long");
		return MX_EINVAL;
	}
	strcpy(buf, list);
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcasecmp(tok, "all") == 0) {
			b |= (mx_detector_count() >= 64) ? ~0ULL : ((1ULL << mx_detector_count()) - 1);
			continue;
		}
		int i = mx_detector_find(tok);
		if (i < 0) {
			snprintf(err, errlen, "unknown detector '%s' (see --list-detectors)", tok);
			return MX_EINVAL;
		}
		b |= 1ULL << i;
	}
	*bits = b;
	return 0;
}

const char *mx_sev_name(enum mx_sev s)
{
	switch (s) {
	case MX_SEV_INFO: return "info";
	case MX_SEV_WARN: return "warn";
	case MX_SEV_ERROR: return "error";
	case MX_SEV_CRIT: return "crit";
	}
	return "?";
}

int mx_sev_from_name(const char *s)
{
	static const char *const names[] = {"info", "warn", "error", "crit"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return MX_SEV_WARN;
	if (strcasecmp(s, "critical") == 0)
		return MX_SEV_CRIT;
	return -1;
}

void mx_detect_opts_default(struct mx_detect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->answer_timeout_us = 5000000ULL;
	o->chain_window_us = 120000000ULL;
	o->fallback_window_us = 10000000ULL;
	o->min_retry_gap_us = 60000000ULL;
	o->loop_min_attempts = 2;
	o->stats_window_us = 300000000ULL;
	o->min_samples = 20;
	o->disagree_window_us = 600000000ULL;
	o->slow_warn_p95_us = 1000000ULL;
	o->slow_warn_p50_us = 250000ULL;
	o->slow_error_p95_us = 3000000ULL;
	o->slow_min_obvious = 3;
	o->timeout_warn_pct = 1;
	o->timeout_warn_min = 3;
	o->timeout_error_pct = 20;
	o->dead_min_queries = 5;
	o->max_findings = 1024;
	/* PATTERNS.md P12 default public resolvers */
	static const char *const pub[] = {
		"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844",
		"1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001",
		"9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9",
		"208.67.222.222", "208.67.220.220",
	};
	for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
		if (mx_addr_parse(pub[i], &o->public_resolvers[o->n_public_resolvers]) == 0)
			o->n_public_resolvers++;
	static const char *const bl[] = {
		"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org",
		"dbl.spamhaus.org", "multi.uribl.com", "multi.surbl.org",
	};
	for (size_t i = 0; i < sizeof bl / sizeof bl[0]; i++)
		if (mx_dname_from_text(bl[i], &o->dnsbl_zones[o->n_dnsbl_zones]) == 0)
			o->n_dnsbl_zones++;
	size_t n = mx_detector_count();
	o->enabled = n >= 64 ? ~0ULL : ((1ULL << n) - 1);
}

bool mx_detect_is_listed_sender_(const struct mx_detect_opts *o, const struct mx_addr *a)
{
	for (size_t i = 0; i < o->n_senders; i++)
		if (mx_addr_eq(&o->senders[i], a))
			return true;
	return false;
}

bool mx_detect_is_listed_public_(const struct mx_detect_opts *o, const struct mx_addr *a)
{
	for (size_t i = 0; i < o->n_public_resolvers; i++)
		if (mx_addr_eq(&o->public_resolvers[i], a))
			return true;
	return false;
}

bool mx_detect_in_dnsbl_(const struct mx_detect_opts *o, const struct mx_dname *n)
{
	if (o->dnsbl_tails) {
		/* every zone has 8 bytes or more: so has a name below one */
		if (n->len < 8)
			return false;
		uint64_t w = mx_load64_(n->wire + n->len - 8);
		for (size_t i = 0; i < o->n_dnsbl_zones; i++)
			if (w == o->dnsbl_tail[i] && n->len >= o->dnsbl_zones[i].len &&
			    mx_dname_is_subdomain(n, &o->dnsbl_zones[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < o->n_dnsbl_zones; i++) {
		const struct mx_dname *z = &o->dnsbl_zones[i];
		/* a name below z ends with z's wire bytes: compare the last
		 * word first (most names are not under any blocklist zone) */
		if (z->len >= 8 && (n->len < z->len ||
				    mx_load64_(n->wire + n->len - 8) != mx_load64_(z->wire + z->len - 8)))
			continue;
		if (mx_dname_is_subdomain(n, z))
			return true;
	}
	return false;
}

struct mx_emit {
	struct mx_detect *d;
	bool pending;           /* into d->pend (mx_detect_pending()), not the findings */
};

/* Recent lookups, so that chain-based findings can show evidence rows:
 * indexed by lookup seq modulo the ring size. Each slot holds one lookup
 * serialized by length (addresses in 4 bytes where they fit, names by
 * length, integers as varints): ~100 bytes, so remembering a lookup writes
 * two cache lines instead of a ~900-byte struct's five or six. The seqs sit
 * in their own small array (0 = empty). */
#define RECENT_LOOKUPS 2048
#define RECENT_TRIES 4
/* the longest record: client, qtype, n_tries, decided frame, qname, four
 * tries and an answer with a full name */
#define RECENT_SLOT 896

/* The deciding answer in brief, kept raw and formatted only when a finding
 * shows it ("MX 10 mx1.example ...", "192.0.2.1 ...", "CNAME x", "SOA z
 * (negative TTL n)"). */
enum ans_kind { ANS_NONE, ANS_MX, ANS_ADDR, ANS_CNAME, ANS_SOA };
struct ans_sum {
	uint8_t kind;
	bool more;
	uint16_t pref;
	uint32_t neg_ttl;
	struct mx_addr addr;
	struct mx_dname name;
};

/* A remembered lookup, decoded from its slot when a finding asks for it. */
struct recent_lookup {
	struct mx_addr client;
	struct mx_dname qname;
	uint16_t qtype;
	uint64_t decided_frame;
	uint8_t n_tries;
	struct mx_lookup_try tries[RECENT_TRIES];
	struct ans_sum ans;         /* what the evidence row shows as the answer */
};

/* The enabled detectors that have a given callback, in table order, each
 * as its callback and its state: events walk these short lists instead of
 * every row of the table, without going through the row per call. */
#define CB_LIST(tag, ...)                                                                   \
	struct tag {                                                                        \
		unsigned n;                                                                 \
		struct {                                                                    \
			void (*fn)(void *st, const struct mx_detect_ctx *c, __VA_ARGS__);   \
			void *st;                                                           \
		} e[64];                                                                    \
	}
CB_LIST(cb_txn, const struct mx_txn *t, struct mx_emit *e);
CB_LIST(cb_stray, const struct mx_stray *s, struct mx_emit *e);
CB_LIST(cb_lookup, const struct mx_lookup *l, struct mx_emit *e);
CB_LIST(cb_chain, const struct mx_chain *ch, struct mx_emit *e);
CB_LIST(cb_tcp, const struct mx_tcpctl *t, struct mx_emit *e);
CB_LIST(cb_emit, struct mx_emit *e);
#undef CB_LIST

/* A heap entry: a finding's eviction rank (sev << 56 | seq) beside its
 * index, so that sifting reads the heap array only. */
struct hent {
	uint64_t rank;
	uint32_t idx;
};

/* The findings of one pattern as a binary min-heap on rank. Patterns are
 * told apart by name; past MAX_PATTERNS distinct names the last heap takes
 * all the others (the detectors emit about 45). */
#define MAX_PATTERNS 64
struct pheap {
	const char *name;
	struct hent *h;
	uint32_t n, alloc;
	uint64_t evicted;       /* findings of this pattern evicted */
};

struct mx_detect {
	struct mx_detect_opts o;
	void *state[64];        /* state_raw[i] rounded up to a cache line */
	void *state_raw[64];
	struct cb_txn l_txn;
	struct cb_stray l_stray;
	struct cb_lookup l_lookup;
	struct cb_chain l_chain;
	struct cb_tcp l_tcp;
	struct cb_emit l_tick, l_finish, l_pending;
	/* per combination of a lookup's need bits, the l_lookup positions
	 * to call (bit k: e[k]) */
	uint64_t sel_lookup[MX_NEED_BITS + 1];
	struct mx_finding *f;
	size_t n, cap;          /* cap: the bound; alloc: what is allocated (grows) */
	size_t alloc;
	uint64_t *fkey;         /* key hash of each finding (parallel to f) */
	uint8_t *fpat;          /* each finding's pattern heap (parallel to f) */
	uint32_t *hpos;         /* each finding's position in its pattern heap */
	struct pheap ph[MAX_PATTERNS];
	unsigned n_pat;
	uint32_t *fidx;         /* open-addressing index: finding + 1, 0 = empty */
	size_t fmask;
	uint64_t evicted, seq;
	bool dirty;
	struct mx_emit em;
	struct mx_emit pem;             /* pending: mx_detect_pending() */
	struct mx_finding *pend;        /* MX_DETECT_MAX_PENDING, allocated on first use */
	size_t n_pend;
	uint64_t pend_dropped;
	uint64_t now;
	uint64_t *recent_seq;           /* RECENT_LOOKUPS seqs, allocated on first use */
	uint64_t *recent_f0;            /* each slot's first query frame (step_merged's bound) */
	uint8_t *recent;                /* RECENT_LOOKUPS slots of RECENT_SLOT bytes */
	uint64_t recent_base;           /* query times are kept relative to this */
	struct mx_pair_keys *pk;        /* PK_SLOTS pair keys, direct-mapped */
	struct mx_pair_keys *pk_last;   /* the entry used last (NULL: none yet) */
	/* findings a later connected chain may mark recovered (rec_candidate):
	 * how many were made, and a filter of their (sender, domain) hashes */
	uint64_t n_rec_cand;
	uint64_t rec_bloom[64];
	/* (sender, domain) -> chains in a row that did not resolve
	 * (mx_detect_ctx.chain_fails), direct-mapped */
	struct fail_run {
		uint64_t key;
		uint32_t n;
	} fail_run[1024];
	uint32_t chain_fails;           /* the chain being dispatched's (0 otherwise) */
};

/* ---- the pair keys memo ------------------------------------------------------ */

/* The pair keys (key_inline.h) of up to PK_SLOTS (client, server) pairs, one
 * place per pair from the client's hash (txn.c computes it once per
 * transaction; lookups copy it) and a cheap mix of the server's words: an
 * entry serves only the pair whose addresses it holds, any other pair that
 * lands there refills it. An entry holds its pair only at the pair's place:
 * when the entry used last holds the event's pair it is the one the place
 * gives, and a lookup skips the hash: it mostly comes right after its last
 * transaction, of the same pair (try_last; consecutive transactions are
 * mostly of different pairs, and the test would cost them more than it
 * saves: -6.7 M Ir on lookups, +3 M on transactions at 1M frames). */
#define PK_SLOTS 256

static inline size_t pk_place(uint64_t client_hash, const struct mx_addr *s)
{
	uint64_t h = client_hash ^ (mx_load64_(s->a) + s->family) * 0x9e3779b97f4a7c15ULL ^
		     mx_load64_(s->a + 8) * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)((h ^ h >> 31) * 0xbf58476d1ce4e5b9ULL >> 56) & (PK_SLOTS - 1);
}

/* The keys of (client, server); NULL when the memo could not be allocated. */
static inline __attribute__((always_inline)) struct mx_pair_keys *
pair_keys(struct mx_detect *d, uint64_t client_hash, const struct mx_addr *client, const struct mx_addr *server,
	  bool try_last)
{
	struct mx_pair_keys *e = d->pk_last;
	if (try_last && e && mx_addr_eq(&e->client, client) && mx_addr_eq(&e->server, server))
		return e;
	if (!d->pk)
		return NULL;
	e = &d->pk[pk_place(client_hash, server)];
	if (!mx_addr_eq(&e->client, client) || !mx_addr_eq(&e->server, server))
		mx_pair_keys_fill(e, client, server);
	d->pk_last = e;
	return e;
}

/* (not static: the unit test checks the shortcut against the place) The
 * pair keys of (client, server) as an event with try_last finds them. */
const struct mx_pair_keys *mx_detect_pair_keys_(struct mx_detect *d, const struct mx_addr *client,
						const struct mx_addr *server, bool try_last);
const struct mx_pair_keys *mx_detect_pair_keys_(struct mx_detect *d, const struct mx_addr *client,
						const struct mx_addr *server, bool try_last)
{
	return pair_keys(d, mx_txn_client_hash(client), client, server, try_last);
}

/* ---- keyed slots for detector state ---------------------------------------- */

/* The probe is mx_slot_probe_() (detect.h, inline); the entry points give
 * it each table's entry size and how much of a taken entry to zero. */
void *mx_slot_get(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh)
{
	return mx_slot_probe_(base, n, size, key, clock, fresh, size);
}

void *mx_slot_take(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh)
{
	return mx_slot_probe_(base, n, size, key, clock, fresh, sizeof(struct mx_slot));
}

size_t mx_slot_index(struct mx_slot *hdr, size_t n, uint64_t key, uint64_t *clock, bool *fresh)
{
	return mx_slot_index_inline_(hdr, n, key, clock, fresh);
}

void *mx_slot_find(void *base, size_t n, size_t size, uint64_t key)
{
	uint8_t *b = base;
	size_t i = (size_t)(((key >> 32) * (uint64_t)n) >> 32), w = n < MX_SLOT_WINDOW ? n : MX_SLOT_WINDOW;
	for (size_t k = 0; k < w; k++) {
		struct mx_slot *s = (struct mx_slot *)(b + i * size);
		if (s->key == key && s->used)
			return s;
		if (++i == n)
			i = 0;
	}
	return NULL;
}

uint64_t mx_key_addr(const struct mx_addr *a, uint64_t salt)
{
	return mx_key_addr_inline(a, salt);
}

uint64_t mx_key_addr2(const struct mx_addr *a, const struct mx_addr *b, uint64_t salt)
{
	return mx_key_addr2_inline(a, b, salt);
}

uint64_t mx_key_name(const struct mx_dname *n, uint16_t qtype, uint64_t salt)
{
	return mx_key_name_inline(n, qtype, salt);
}

void mx_zone_guess(const struct mx_dname *n, struct mx_dname *zone)
{
	struct mx_dname two;
	mx_dname_suffix(n, 2, &two);
	/* "co.uk", "com.au": a short second-level label under a 2-letter TLD */
	if (n->labels >= 3 && two.len >= 2 && two.wire[0] <= 3 && two.len - 1 - two.wire[0] - 1 == 3)
		mx_dname_suffix(n, 3, zone);
	else
		mx_dname_copy(zone, &two);
}

/* ---- finding helpers ---------------------------------------------------- */

/* Evidence rows are written whole when added (n_evidence counts them) and
 * every reader stops at n_evidence: the 5 KiB row array is neither zeroed
 * nor copied past the rows in use. */
#define EV_OFF offsetof(struct mx_finding, evidence)
#define EV_END offsetof(struct mx_finding, detail)

/* A text field's bytes up to and including its terminator (all of it when
 * unterminated): readers treat detail and verify as strings. */
static void copy_text(char *dst, const char *src, size_t size)
{
	const char *z = memchr(src, '\0', size);
	memcpy(dst, src, z ? (size_t)(z - src) + 1 : size);
}

/* A text field or, while its fn is set, the raw record deferred in its
 * place (a 2-byte length and the bytes): what is in use of it. */
static void copy_field(char *dst, mx_finding_text_fn **dst_fn, const char *src, mx_finding_text_fn *src_fn,
		       size_t size)
{
	if (src_fn) {
		uint16_t n;
		memcpy(&n, src, 2);
		memcpy(dst, src, 2u + n);
	} else {
		copy_text(dst, src, size);
	}
	*dst_fn = src_fn;
}

void mx_finding_defer(struct mx_finding *f, bool verify, mx_finding_text_fn *fn, const void *raw, size_t n)
{
	char *buf = verify ? f->verify : f->detail;
	size_t size = verify ? sizeof f->verify : sizeof f->detail;
	if (n + 2 > size) {
		/* cannot be kept: the text now */
		fn(f, raw, n);
		return;
	}
	uint16_t len = (uint16_t)n;
	memcpy(buf, &len, 2);
	if (n)
		memcpy(buf + 2, raw, n);
	if (verify)
		f->verify_fn = fn;
	else
		f->detail_fn = fn;
}

/* The deferred text in buf (fn's), made in place. */
static void make_text(struct mx_finding *f, char *buf, mx_finding_text_fn **fnp)
{
	mx_finding_text_fn *fn = *fnp;
	uint8_t raw[sizeof f->verify];
	uint16_t n;
	memcpy(&n, buf, 2);
	memcpy(raw, buf + 2, n);
	*fnp = NULL;
	buf[0] = '\0';
	fn(f, raw, n);
}

void mx_finding_text(struct mx_finding *f)
{
	if (f->detail_fn)
		make_text(f, f->detail, &f->detail_fn);
	if (f->verify_fn)
		make_text(f, f->verify, &f->verify_fn);
}

/* Every reader stops at the counts and lengths (n_resolvers, n_frames,
 * n_evidence, name lengths, text terminators): the copy writes only the
 * bytes in use, a few cache lines instead of the 2 KiB fixed part. */
void mx_finding_copy(struct mx_finding *dst, const struct mx_finding *src)
{
	unsigned nev = src->n_evidence < MX_FINDING_MAX_EVIDENCE ? src->n_evidence : MX_FINDING_MAX_EVIDENCE;
	unsigned nfr = src->n_frames < MX_FINDING_MAX_FRAMES ? src->n_frames : MX_FINDING_MAX_FRAMES;
	unsigned nrs = src->n_resolvers < MX_FINDING_MAX_RESOLVERS ? src->n_resolvers : MX_FINDING_MAX_RESOLVERS;
	dst->pattern = src->pattern;
	dst->title = src->title;
	dst->sev = src->sev;
	dst->sender = src->sender;
	dst->n_resolvers = src->n_resolvers;
	memcpy(dst->resolvers, src->resolvers, nrs * sizeof(src->resolvers[0]));
	mx_dname_copy(&dst->domain, &src->domain);
	mx_dname_copy(&dst->host, &src->host);
	dst->qtype = src->qtype;
	dst->first_us = src->first_us;
	dst->last_us = src->last_us;
	dst->count = src->count;
	dst->attempts = src->attempts;
	dst->n_frames = src->n_frames;
	memcpy(dst->frames, src->frames, nfr * sizeof(src->frames[0]));
	dst->last_frame = src->last_frame;
	dst->n_evidence = src->n_evidence;
	memcpy(dst->evidence, src->evidence, nev * sizeof(src->evidence[0]));
	copy_field(dst->detail, &dst->detail_fn, src->detail, src->detail_fn, sizeof dst->detail);
	dst->smtp_status = src->smtp_status;
	dst->cause = src->cause;
	dst->fix = src->fix;
	copy_field(dst->verify, &dst->verify_fn, src->verify, src->verify_fn, sizeof dst->verify);
	dst->single_attempt = src->single_attempt;
	dst->recovered_attempt = src->recovered_attempt;
	dst->sev_was = src->sev_was;
	dst->recovered_us = src->recovered_us;
	dst->recovered_frame = src->recovered_frame;
	dst->recovered_to = src->recovered_to;
	dst->authoritative = src->authoritative;
	dst->seq = src->seq;
	dst->pending = src->pending;
}

const char *mx_finding_status(const struct mx_finding *f, char *buf, size_t n)
{
	if (!f->smtp_status)
		return NULL;
	if (n == 0)
		return buf;
	char host[MX_DNAME_STRLEN], dom[MX_DNAME_STRLEN], ty[32], res[MX_ADDR_STRLEN + 2];
	/* as MTAs log names: no trailing dot */
	mx_dname_format(&f->host, host, sizeof host);
	mx_dname_format(&f->domain, dom, sizeof dom);
	for (char *nm = host; nm; nm = nm == host ? dom : NULL) {
		size_t l = strlen(nm);
		if (l > 1 && nm[l - 1] == '.')
			nm[l - 1] = '\0';
	}
	if (f->qtype)
		mx_dns_type_name(f->qtype, ty, sizeof ty);
	/* the first resolver; "<resolver>:53" as Go logs it ("[fd53::53]:53") */
	char ra[MX_ADDR_STRLEN];
	bool res_v6 = f->n_resolvers && f->resolvers[0].family == 6;
	if (f->n_resolvers)
		mx_addr_format(&f->resolvers[0], ra, sizeof ra);
	static const struct {
		const char *ph;
		int what; /* 0 host, 1 domain, 2 type, 3 resolver */
	} subs[] = { { "<host>", 0 }, { "<relay>", 0 }, { "<domain>", 1 }, { "<type>", 2 }, { "<resolver>", 3 } };
	size_t o = 0;
	for (const char *p = f->smtp_status; *p && o + 1 < n;) {
		const char *with = NULL;
		size_t plen = 0;
		if (*p == '<')
			for (size_t i = 0; i < sizeof subs / sizeof subs[0] && !with; i++) {
				size_t l = strlen(subs[i].ph);
				if (strncmp(p, subs[i].ph, l) != 0)
					continue;
				const char *v = NULL;
				if (subs[i].what == 0)
					v = f->host.len ? host : NULL;
				else if (subs[i].what == 1)
					v = f->domain.len ? dom : NULL;
				else if (subs[i].what == 2)
					v = f->qtype ? ty : NULL;
				else if (f->n_resolvers) {
					snprintf(res, sizeof res, res_v6 && p[l] == ':' ? "[%s]" : "%s", ra);
					v = res;
				}
				if (v) {
					with = v;
					plen = l;
				}
			}
		if (!with) {
			buf[o++] = *p++;
			continue;
		}
		for (const char *v = with; *v && o + 1 < n; v++)
			buf[o++] = *v;
		p += plen;
	}
	buf[o] = '\0';
	return buf;
}

void mx_finding_init(struct mx_finding *f, const char *pattern, enum mx_sev sev)
{
	memset(f, 0, EV_OFF);
	memset((char *)f + EV_END, 0, sizeof(*f) - EV_END);
	f->pattern = pattern;
	f->sev = sev;
	f->count = 1;
	f->attempts = 0;  /* not about deliveries until a detector sets it */
}

void mx_finding_add_frame(struct mx_finding *f, uint64_t frame)
{
	if (frame == 0)
		return;
	if (frame > f->last_frame)
		f->last_frame = frame;
	unsigned i = 0;
	while (i < f->n_frames && f->frames[i] < frame)
		i++;
	if (i < f->n_frames && f->frames[i] == frame)
		return;
	if (f->n_frames >= MX_FINDING_MAX_FRAMES) {
		if (i >= MX_FINDING_MAX_FRAMES)
			return; /* keep the earliest frames */
		f->n_frames--;
	}
	memmove(&f->frames[i + 1], &f->frames[i], (f->n_frames - i) * sizeof(f->frames[0]));
	f->frames[i] = frame;
	f->n_frames++;
}

void mx_finding_add_resolver(struct mx_finding *f, const struct mx_addr *r)
{
	if (r->family == 0)
		return;
	for (unsigned i = 0; i < f->n_resolvers; i++)
		if (mx_addr_eq(&f->resolvers[i], r))
			return;
	if (f->n_resolvers < MX_FINDING_MAX_RESOLVERS)
		f->resolvers[f->n_resolvers++] = *r;
}

static void add_evidence(struct mx_finding *f, const struct mx_evidence *ev)
{
	for (unsigned i = 0; i < f->n_evidence; i++)
		if (f->evidence[i].frame == ev->frame && f->evidence[i].response == ev->response)
			return;
	if (f->n_evidence >= MX_FINDING_MAX_EVIDENCE)
		return;
	/* keep rows in frame order */
	unsigned i = f->n_evidence;
	while (i > 0 && f->evidence[i - 1].frame > ev->frame) {
		f->evidence[i] = f->evidence[i - 1];
		i--;
	}
	f->evidence[i] = *ev;
	f->n_evidence++;
}

/* The brief of response m (NULL: none) whose outcome is `outcome`. */
static void answer_sum_msg(const struct mx_dns_msg *m, enum mx_outcome outcome, struct ans_sum *s)
{
	s->kind = ANS_NONE;
	if (!m)
		return;
	if (outcome == MX_O_ANSWER && m->n_mx > 0) {
		s->kind = ANS_MX;
		s->pref = m->mx[0].pref;
		mx_dname_copy(&s->name, &m->mx[0].exchange);
		s->more = m->mx_total > 1;
	} else if (outcome == MX_O_ANSWER && m->n_addr > 0) {
		s->kind = ANS_ADDR;
		s->addr = m->addr[0].addr;
		s->more = m->addr_total > 1;
	} else if (m->n_cname > 0) {
		s->kind = ANS_CNAME;
		mx_dname_copy(&s->name, &m->cname[0]);
	} else if (m->has_soa) {
		s->kind = ANS_SOA;
		mx_dname_copy(&s->name, &m->soa_owner);
		s->neg_ttl = m->neg_ttl;
	}
}

static void answer_sum(const struct mx_lookup *l, struct ans_sum *s)
{
	answer_sum_msg(l->answer, l->outcome, s);
}

static void answer_format(const struct ans_sum *s, char *buf, size_t n)
{
	char name[MX_DNAME_STRLEN], a[MX_ADDR_STRLEN];
	buf[0] = '\0';
	switch (s->kind) {
	case ANS_MX:
		snprintf(buf, n, "MX %u %s%s", s->pref, mx_dname_format(&s->name, name, sizeof name),
			 s->more ? " ..." : "");
		break;
	case ANS_ADDR:
		snprintf(buf, n, "%s%s", mx_addr_format(&s->addr, a, sizeof a), s->more ? " ..." : "");
		break;
	case ANS_CNAME:
		snprintf(buf, n, "CNAME %s", mx_dname_format(&s->name, name, sizeof name));
		break;
	case ANS_SOA:
		snprintf(buf, n, "SOA %s (negative TTL %u)", mx_dname_format(&s->name, name, sizeof name),
			 s->neg_ttl);
		break;
	default:
		break;
	}
}

/* ---- the recent-lookup ring's records -------------------------------------- */

/* Integers: 4 bytes in a narrow record (every frame number and latency
 * below 2^32), 8 otherwise. */
static uint8_t *put_n(uint8_t *p, uint64_t v, bool narrow)
{
	if (narrow) {
		uint32_t w = (uint32_t)v;
		memcpy(p, &w, 4);
		return p + 4;
	}
	memcpy(p, &v, 8);
	return p + 8;
}

static const uint8_t *get_n(const uint8_t *p, uint64_t *v, bool narrow)
{
	if (narrow) {
		uint32_t w;
		memcpy(&w, p, 4);
		*v = w;
		return p + 4;
	}
	memcpy(v, p, 8);
	return p + 8;
}

static uint8_t *put_8(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
	return p + 8;
}

static const uint8_t *get_8(const uint8_t *p, uint64_t *v)
{
	memcpy(v, p, 8);
	return p + 8;
}

static uint8_t *put_2(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

static const uint8_t *get_2(const uint8_t *p, uint16_t *v)
{
	memcpy(v, p, 2);
	return p + 2;
}

/* An address: its family byte, with 0x80 set when bytes 4..15 are zero and
 * only the first four follow. */
static uint8_t *put_addr(uint8_t *p, const struct mx_addr *a)
{
	uint64_t w;
	uint32_t v;
	memcpy(&w, a->a + 4, 8);
	memcpy(&v, a->a + 12, 4);
	if ((w | v) == 0 && a->family < 0x80) {
		*p++ = (uint8_t)(a->family | 0x80);
		memcpy(p, a->a, 4);
		return p + 4;
	}
	*p++ = a->family;
	memcpy(p, a->a, 16);
	return p + 16;
}

static const uint8_t *get_addr(const uint8_t *p, struct mx_addr *a)
{
	uint8_t t = *p++;
	if (t & 0x80) {
		a->family = (uint8_t)(t & 0x7f);
		memcpy(a->a, p, 4);
		memset(a->a + 4, 0, 12);
		return p + 4;
	}
	a->family = t;
	memcpy(a->a, p, 16);
	return p + 16;
}

/* A name of up to 64 bytes is copied as 64 (a fixed-size copy, no length
 * dispatch): the bytes past it are overwritten by the fields that follow or
 * lie past the record's end, and every name starts early enough in a ring
 * slot or a brief for 64 bytes to fit (asserted where records are laid
 * out). */
static uint8_t *put_name(uint8_t *p, const struct mx_dname *n)
{
	*p++ = n->len;
	*p++ = n->labels;
	if (n->len <= 64)
		memcpy(p, n->wire, 64);
	else
		memcpy(p, n->wire, n->len);
	return p + n->len;
}

static const uint8_t *get_name(const uint8_t *p, struct mx_dname *n)
{
	n->len = *p++;
	n->labels = *p++;
	memcpy(n->wire, p, n->len);
	return p + n->len;
}

/* What answer_sum() keeps, serialized. */
static uint8_t *put_ans(uint8_t *p, const struct mx_lookup *l)
{
	const struct mx_dns_msg *m = l->answer;
	if (!m) {
		*p++ = ANS_NONE;
	} else if (l->outcome == MX_O_ANSWER && m->n_mx > 0) {
		*p++ = ANS_MX;
		*p++ = m->mx_total > 1;
		p = put_2(p, m->mx[0].pref);
		p = put_name(p, &m->mx[0].exchange);
	} else if (l->outcome == MX_O_ANSWER && m->n_addr > 0) {
		*p++ = ANS_ADDR;
		*p++ = m->addr_total > 1;
		p = put_addr(p, &m->addr[0].addr);
	} else if (m->n_cname > 0) {
		*p++ = ANS_CNAME;
		p = put_name(p, &m->cname[0]);
	} else if (m->has_soa) {
		*p++ = ANS_SOA;
		memcpy(p, &m->neg_ttl, 4);
		p += 4;
		p = put_name(p, &m->soa_owner);
	} else {
		*p++ = ANS_NONE;
	}
	return p;
}

static const uint8_t *get_ans(const uint8_t *p, struct ans_sum *s)
{
	s->kind = *p++;
	switch (s->kind) {
	case ANS_MX:
		s->more = *p++ != 0;
		p = get_2(p, &s->pref);
		p = get_name(p, &s->name);
		break;
	case ANS_ADDR:
		s->more = *p++ != 0;
		p = get_addr(p, &s->addr);
		break;
	case ANS_CNAME:
		p = get_name(p, &s->name);
		break;
	case ANS_SOA:
		memcpy(&s->neg_ttl, p, 4);
		p += 4;
		p = get_name(p, &s->name);
		break;
	default:
		break;
	}
	return p;
}

/* The tries of a record (shared by the ring and the brief codec). */
static uint8_t *put_tries(uint8_t *p, const struct mx_lookup_try *tries, unsigned nt, bool narrow)
{
	for (unsigned i = 0; i < nt; i++) {
		const struct mx_lookup_try *t = &tries[i];
		p = put_8(p, t->q_ts);
		p = put_n(p, t->q_frame, narrow);
		p = put_n(p, t->r_frame, narrow);
		p = put_n(p, t->latency_us, narrow);
		p = put_addr(p, &t->server);
		uint32_t oc = (uint32_t)t->outcome;
		memcpy(p, &oc, 4);
		p += 4;
		*p++ = (uint8_t)(t->open | (t->late_frame ? 2 : 0));
		p = put_2(p, t->rcode);
		p = put_2(p, t->ede);
		if (t->late_frame) {
			p = put_n(p, t->late_frame, narrow);
			memcpy(p, &t->late_latency_us, 4);
			p += 4;
			p = put_2(p, t->late_rcode);
			*p++ = t->late_outcome;
		}
	}
	return p;
}

static const uint8_t *get_tries(const uint8_t *p, struct mx_lookup_try *tries, unsigned nt, bool narrow)
{
	for (unsigned i = 0; i < nt; i++) {
		struct mx_lookup_try *t = &tries[i];
		memset(t, 0, sizeof(*t));
		p = get_8(p, &t->q_ts);
		p = get_n(p, &t->q_frame, narrow);
		p = get_n(p, &t->r_frame, narrow);
		p = get_n(p, &t->latency_us, narrow);
		p = get_addr(p, &t->server);
		uint32_t oc;
		memcpy(&oc, p, 4);
		p += 4;
		t->outcome = (enum mx_outcome)oc;
		uint8_t fl = *p++;
		t->open = fl & 1;
		p = get_2(p, &t->rcode);
		p = get_2(p, &t->ede);
		if (fl & 2) {
			p = get_n(p, &t->late_frame, narrow);
			memcpy(&t->late_latency_us, p, 4);
			p += 4;
			p = get_2(p, &t->late_rcode);
			t->late_outcome = *p++;
		}
	}
	return p;
}

/* Only the fields evidence rows show: client, qname, qtype, the deciding
 * frame, per try the query and response frames and times, server, outcome,
 * rcode, EDE and whether it was still open, and the deciding answer. */
/* the longest record: address, qtype, tries byte, decided frame, name; four
 * tries of q_ts, three frame-sized fields, server, outcome, open, rcode, EDE
 * and a late response (frame, latency, rcode, outcome); an SOA answer with a
 * full name */
#define RECENT_TRY_MAX (8 + 3 * 8 + 17 + 4 + 1 + 2 + 2 + 8 + 4 + 2 + 1)
_Static_assert(17 + 2 + 1 + 8 + 2 + MX_DNAME_MAX + RECENT_TRIES * RECENT_TRY_MAX +
		       1 + 4 + 2 + MX_DNAME_MAX <= RECENT_SLOT && RECENT_SLOT % 64 == 0,
	       "RECENT_SLOT holds the longest record, in whole cache lines");

/* put_name's 64-byte copy stays inside: the ring's last name (an answer's,
 * after a full qname and four wide tries) and a brief's only name. */
_Static_assert(17 + 2 + 1 + 8 + 2 + MX_DNAME_MAX + RECENT_TRIES * RECENT_TRY_MAX + 1 + 4 + 2 + 64 <=
		       RECENT_SLOT,
	       "a ring record's names have 64 bytes of room");
_Static_assert(17 + 2 + 1 + 8 * 4 + 4 + 4 + 2 + 1 + MX_LOOKUP_MAX_RESOLVERS * 17 + 2 + 64 <= MX_LOOKUP_BRIEF_MAX,
	       "a brief's name has 64 bytes of room");

/* Little-endian integers of k bytes (k <= 8). On a little-endian host all
 * 8 bytes of v are stored in one go and the k wanted ones kept: a record's
 * put_k is always followed by at least 8 - k more bytes of it (an address,
 * rcode and EDE, the answer), which overwrite the rest, and a narrow record
 * is far shorter than the slot. */
static uint8_t *put_k(uint8_t *p, uint64_t v, unsigned k)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
#else
	for (unsigned i = 0; i < k; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
	return p + k;
}

static const uint8_t *get_k(const uint8_t *p, uint64_t *v, unsigned k)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < k; i++)
		x |= (uint64_t)p[i] << (8 * i);
	*v = x;
	return p + k;
}

/* A ring record: client, qtype, a byte with the number of tries, the
 * narrow flag and where the deciding frame is (0: none, k: try k's
 * response, 7: in 8 bytes after the byte), the name, the tries and the
 * answer. Narrow records (frames and latencies below 2^24, query times
 * within 2^40 us after the ring's base time, outcomes below 64) keep a try
 * in 17 bytes, 24 with a response: most records fit one cache line. A try
 * with a late response (flag 2 beside the open bit) adds its frame, latency,
 * rcode and outcome. */
#define RT_NARROW 0x08
#define RT_DSHIFT 4

static void recent_put(uint8_t *p, const struct mx_lookup *l, uint64_t base)
{
	unsigned nt = l->n_tries < RECENT_TRIES ? l->n_tries : RECENT_TRIES;
	bool narrow = true;
	unsigned dcode = l->decided_frame ? 7 : 0;
	for (unsigned i = 0; i < nt; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		uint64_t big = t->q_frame | t->r_frame | (t->r_frame ? t->latency_us : 0) | t->late_frame;
		if (big >> 24 || t->q_ts < base || (t->q_ts - base) >> 40 || (uint32_t)t->outcome >= 64)
			narrow = false;
		if (dcode == 7 && t->r_frame == l->decided_frame)
			dcode = i + 1;
	}
	p = put_addr(p, &l->client);
	p = put_2(p, l->qtype);
	*p++ = (uint8_t)(nt | (narrow ? RT_NARROW : 0) | dcode << RT_DSHIFT);
	if (dcode == 7)
		p = put_8(p, l->decided_frame);
	p = put_name(p, &l->qname);
	for (unsigned i = 0; i < nt; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (narrow) {
			p = put_k(p, t->q_ts - base, 5);
			p = put_k(p, t->q_frame, 3);
			p = put_k(p, t->r_frame, 3);
			p = put_addr(p, &t->server);
			*p++ = (uint8_t)((uint32_t)t->outcome << 2 | (t->late_frame ? 2u : 0u) | t->open);
		} else {
			p = put_8(p, t->q_ts);
			p = put_8(p, t->q_frame);
			p = put_8(p, t->r_frame);
			p = put_addr(p, &t->server);
			uint32_t oc = (uint32_t)t->outcome;
			memcpy(p, &oc, 4);
			p += 4;
			*p++ = (uint8_t)((t->late_frame ? 2u : 0u) | t->open);
		}
		/* the rest shows only in a response's row */
		if (t->r_frame) {
			p = put_k(p, t->latency_us, narrow ? 3 : 8);
			p = put_2(p, t->rcode);
			p = put_2(p, t->ede);
		}
		if (t->late_frame) {
			p = put_k(p, t->late_frame, narrow ? 3 : 8);
			memcpy(p, &t->late_latency_us, 4);
			p += 4;
			p = put_2(p, t->late_rcode);
			*p++ = t->late_outcome;
		}
	}
	/* only where evidence tables show it: MX answers and failures */
	if (l->qtype == MX_TYPE_MX || l->outcome != MX_O_ANSWER)
		put_ans(p, l);
	else
		*p = ANS_NONE;
}

static void recent_get(const uint8_t *p, struct recent_lookup *r, uint64_t base)
{
	p = get_addr(p, &r->client);
	p = get_2(p, &r->qtype);
	uint8_t b = *p++;
	bool narrow = b & RT_NARROW;
	unsigned dcode = b >> RT_DSHIFT & 7;
	r->n_tries = b & 7;
	if (r->n_tries > RECENT_TRIES) /* never written so (recent_put caps it) */
		r->n_tries = RECENT_TRIES;
	r->decided_frame = 0;
	if (dcode == 7)
		p = get_8(p, &r->decided_frame);
	p = get_name(p, &r->qname);
	for (unsigned i = 0; i < r->n_tries; i++) {
		struct mx_lookup_try *t = &r->tries[i];
		bool late;
		memset(t, 0, sizeof(*t));
		if (narrow) {
			p = get_k(p, &t->q_ts, 5);
			t->q_ts += base;
			p = get_k(p, &t->q_frame, 3);
			p = get_k(p, &t->r_frame, 3);
			p = get_addr(p, &t->server);
			t->outcome = (enum mx_outcome)(*p >> 2);
			late = *p & 2;
			t->open = *p++ & 1;
		} else {
			p = get_8(p, &t->q_ts);
			p = get_8(p, &t->q_frame);
			p = get_8(p, &t->r_frame);
			p = get_addr(p, &t->server);
			uint32_t oc;
			memcpy(&oc, p, 4);
			p += 4;
			t->outcome = (enum mx_outcome)oc;
			late = *p & 2;
			t->open = *p++ & 1;
		}
		if (t->r_frame) {
			p = get_k(p, &t->latency_us, narrow ? 3 : 8);
			p = get_2(p, &t->rcode);
			p = get_2(p, &t->ede);
		}
		if (late) {
			p = get_k(p, &t->late_frame, narrow ? 3 : 8);
			memcpy(&t->late_latency_us, p, 4);
			p += 4;
			p = get_2(p, &t->late_rcode);
			t->late_outcome = *p++;
		}
	}
	if (dcode >= 1 && dcode <= RECENT_TRIES)
		r->decided_frame = r->tries[dcode - 1].r_frame;
	get_ans(p, &r->ans);
}

_Static_assert(17 + 2 + 1 + 8 * 4 + 4 + 4 + 2 + 1 + MX_LOOKUP_MAX_RESOLVERS * 17 + 2 + MX_DNAME_MAX +
		       MX_LOOKUP_MAX_TRIES * RECENT_TRY_MAX <= MX_LOOKUP_BRIEF_MAX,
	       "MX_LOOKUP_BRIEF_MAX holds the longest brief");

void mx_lookup_brief_put(uint8_t *p, const struct mx_lookup *l)
{
	unsigned nt = l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES;
	unsigned nr = l->n_resolvers < MX_LOOKUP_MAX_RESOLVERS ? l->n_resolvers : MX_LOOKUP_MAX_RESOLVERS;
	uint64_t wide = l->decided_frame;
	for (unsigned i = 0; i < nt; i++)
		wide |= l->tries[i].q_frame | l->tries[i].r_frame | l->tries[i].latency_us | l->tries[i].late_frame;
	bool narrow = wide >> 32 == 0;
	p = put_addr(p, &l->client);
	p = put_2(p, l->qtype);
	*p++ = (uint8_t)(nt | (narrow ? 0x80 : 0));
	p = put_8(p, l->first_us);
	p = put_8(p, l->last_us);
	p = put_8(p, l->latency_us);
	p = put_8(p, l->decided_frame);
	/* the outcome, and in the top bit whether the first query had OPT */
	uint32_t oc = (uint32_t)l->outcome | (l->q_edns ? 0x80000000u : 0);
	memcpy(p, &oc, 4);
	p += 4;
	memcpy(p, &l->attempts, 4);
	p += 4;
	p = put_2(p, l->ede);
	*p++ = (uint8_t)nr;
	for (unsigned i = 0; i < nr; i++)
		p = put_addr(p, &l->resolvers[i]);
	p = put_name(p, &l->qname);
	put_tries(p, l->tries, nt, narrow);
}

void mx_lookup_brief_get(const uint8_t *p, struct mx_lookup *l)
{
	memset(l, 0, offsetof(struct mx_lookup, qname));
	memset(&l->qtype, 0, offsetof(struct mx_lookup, tries) - offsetof(struct mx_lookup, qtype));
	memset(&l->n_resolvers, 0, sizeof(*l) - offsetof(struct mx_lookup, n_resolvers));
	p = get_addr(p, &l->client);
	p = get_2(p, &l->qtype);
	uint8_t b = *p++;
	bool narrow = b & 0x80;
	l->n_tries = b & 0x7f;
	p = get_8(p, &l->first_us);
	p = get_8(p, &l->last_us);
	p = get_8(p, &l->latency_us);
	p = get_8(p, &l->decided_frame);
	uint32_t oc;
	memcpy(&oc, p, 4);
	p += 4;
	l->outcome = (enum mx_outcome)(oc & 0x7fffffffu);
	l->q_edns = oc >> 31;
	memcpy(&l->attempts, p, 4);
	p += 4;
	p = get_2(p, &l->ede);
	l->n_resolvers = *p++;
	for (unsigned i = 0; i < l->n_resolvers; i++)
		p = get_addr(p, &l->resolvers[i]);
	p = get_name(p, &l->qname);
	get_tries(p, l->tries, l->n_tries, narrow);
	l->answer = NULL;
}

/* The row of a response to query row q: from its server back to its client. */
static struct mx_evidence response_row(const struct mx_evidence *q, uint64_t frame, uint64_t latency_us,
				       enum mx_outcome outcome, uint16_t rcode)
{
	struct mx_evidence r = *q;
	r.frame = frame;
	r.ts_us = q->ts_us + latency_us;
	r.from = q->to;
	r.to = q->from;
	r.response = true;
	r.late = false;
	r.outcome = outcome;
	r.rcode = rcode;
	r.latency_us = latency_us;
	return r;
}

/* Evidence rows (query, and response when one came) of a lookup's tries;
 * `answer` labels the response that decided the outcome. */
static void add_tries(struct mx_finding *f, const struct mx_addr *client, const struct mx_dname *qname,
		      uint16_t qtype, const struct mx_lookup_try *tries, unsigned n, uint64_t decided_frame,
		      const struct ans_sum *answer)
{
	for (unsigned i = 0; i < n; i++) {
		const struct mx_lookup_try *t = &tries[i];
		struct mx_evidence q;
		memset(&q, 0, sizeof q);
		q.frame = t->q_frame;
		q.ts_us = t->q_ts;
		q.from = *client;
		q.to = t->server;
		mx_dname_copy(&q.qname, qname);
		q.qtype = qtype;
		q.ede = 0xffff;
		q.outcome = t->r_frame ? t->outcome : (t->open ? MX_O_TIMEOUT : t->outcome);
		q.late = t->late_frame != 0;
		q.open = t->open && !t->r_frame && !t->late_frame;
		mx_finding_add_frame(f, t->q_frame);
		add_evidence(f, &q);
		if (t->r_frame) {
			struct mx_evidence r = response_row(&q, t->r_frame, t->latency_us, t->outcome, t->rcode);
			r.ede = t->ede;
			if (t->r_frame == decided_frame && answer)
				answer_format(answer, r.answer, sizeof r.answer);
			mx_finding_add_frame(f, t->r_frame);
			add_evidence(f, &r);
		}
		if (t->late_frame) {
			/* the response the client no longer waited for */
			struct mx_evidence r = response_row(&q, t->late_frame, t->late_latency_us,
							    (enum mx_outcome)t->late_outcome, t->late_rcode);
			r.late = true;
			mx_finding_add_frame(f, t->late_frame);
			add_evidence(f, &r);
		}
	}
}

void mx_finding_add_lookup(struct mx_finding *f, const struct mx_lookup *l)
{
	struct ans_sum answer;
	for (unsigned i = 0; i < l->n_resolvers; i++)
		mx_finding_add_resolver(f, &l->resolvers[i]);
	answer_sum(l, &answer);
	add_tries(f, &l->client, &l->qname, l->qtype, l->tries,
		  l->n_tries < MX_LOOKUP_MAX_TRIES ? l->n_tries : MX_LOOKUP_MAX_TRIES, l->decided_frame, &answer);
	if (f->first_us == 0 || l->first_us < f->first_us)
		f->first_us = l->first_us;
	if (l->last_us > f->last_us)
		f->last_us = l->last_us;
}

/* Whether f can take no row of this frame (of a response when response):
 * it has one, or no room. Checked before a row is built, so that a finding
 * emitted again and again formats no answer once its table is full. */
static bool row_taken(const struct mx_finding *f, uint64_t frame, bool response)
{
	if (f->n_evidence >= MX_FINDING_MAX_EVIDENCE)
		return true;
	for (unsigned i = 0; i < f->n_evidence; i++)
		if (f->evidence[i].frame == frame && f->evidence[i].response == response)
			return true;
	return false;
}

static void txn_rows(struct mx_finding *f, const struct mx_txn *t, const char *answer)
{
	bool qrow = t->q_frame && !row_taken(f, t->q_frame, false);
	bool rrow = t->r_frame && !row_taken(f, t->r_frame, true);
	if (!qrow && !rrow)
		return;
	struct mx_evidence q;
	memset(&q, 0, sizeof q);
	q.frame = t->q_frame;
	q.ts_us = t->q_ts;
	q.from = t->client;
	q.to = t->server;
	mx_dname_copy(&q.qname, &t->qname);
	q.qtype = t->qtype;
	q.outcome = t->outcome;
	q.ede = 0xffff;
	if (qrow)
		add_evidence(f, &q);
	if (rrow) {
		struct mx_evidence r = response_row(&q, t->r_frame, t->latency_us, t->outcome, t->rcode);
		r.ede = t->ede;
		if (answer) {
			snprintf(r.answer, sizeof r.answer, "%s", answer);
		} else if (t->resp) {
			struct ans_sum a;
			answer_sum_msg(t->resp, t->outcome, &a);
			answer_format(&a, r.answer, sizeof r.answer);
		}
		add_evidence(f, &r);
	}
}

void mx_finding_add_txn(struct mx_finding *f, const struct mx_txn *t, const char *answer)
{
	mx_finding_add_frame(f, t->q_frame);
	mx_finding_add_frame(f, t->r_frame);
	txn_rows(f, t, answer);
}

void mx_txn_keep(struct mx_txn_kept *k, const struct mx_txn *t)
{
	k->q_frame = t->q_frame;
	k->r_frame = t->r_frame;
	k->q_ts = t->q_ts;
	k->latency_us = t->latency_us;
	k->client = t->client;
	k->server = t->server;
	k->qtype = t->qtype;
	k->rcode = t->rcode;
	k->ede = t->ede;
	k->outcome = (uint8_t)t->outcome;
	mx_txn_name_copy(&k->qname, &t->qname);
}

void mx_finding_add_kept(struct mx_finding *f, const struct mx_txn_kept *k, const char *answer)
{
	struct mx_txn t;
	memset(&t, 0, sizeof t);
	t.q_frame = k->q_frame;
	t.r_frame = k->r_frame;
	t.q_ts = k->q_ts;
	t.r_ts = k->r_frame ? k->q_ts + k->latency_us : 0;
	t.latency_us = k->latency_us;
	t.client = k->client;
	t.server = k->server;
	t.qtype = k->qtype;
	t.rcode = k->rcode;
	t.ede = k->ede;
	t.outcome = (enum mx_outcome)k->outcome;
	mx_dname_copy(&t.qname, &k->qname);
	mx_finding_add_txn(f, &t, answer);
}

void mx_evidence_stray(struct mx_evidence *ev, const struct mx_stray *s)
{
	const struct mx_dns_msg *m = s->resp;
	struct ans_sum a;
	memset(ev, 0, sizeof(*ev));
	ev->frame = m->frame;
	ev->ts_us = m->ts_us;
	ev->from = m->src;
	ev->to = m->dst;
	ev->response = true;
	if (m->has_question) {
		mx_dname_copy(&ev->qname, &m->qname);
		ev->qtype = m->qtype;
	}
	ev->outcome = mx_dns_outcome(m);
	ev->rcode = m->rcode;
	ev->ede = m->has_ede ? m->ede_code : 0xffff;
	ev->late = s->kind == MX_STRAY_LATE;
	if (s->kind != MX_STRAY_UNSOLICITED)
		ev->latency_us = s->latency_us;
	ev->unsolicited = s->kind == MX_STRAY_UNSOLICITED;
	answer_sum_msg(m, ev->outcome, &a);
	answer_format(&a, ev->answer, sizeof ev->answer);
}

void mx_finding_add_evidence(struct mx_finding *f, const struct mx_evidence *ev)
{
	mx_finding_add_frame(f, ev->frame);
	add_evidence(f, ev);
}

static void stray_rows(struct mx_finding *f, const struct mx_stray *s)
{
	const struct mx_dns_msg *m = s->resp;
	if (!m)
		return;
	if (s->kind != MX_STRAY_UNSOLICITED && s->q_frame && !row_taken(f, s->q_frame, false)) {
		/* the query it matched: from the response's destination to
		 * where the query went */
		struct mx_evidence q;
		memset(&q, 0, sizeof q);
		q.frame = s->q_frame;
		q.ts_us = s->q_ts;
		q.from = m->dst;
		q.to = s->kind == MX_STRAY_WRONG_SOURCE ? s->expected : m->src;
		if (m->has_question) {
			mx_dname_copy(&q.qname, &m->qname);
			q.qtype = m->qtype;
		}
		q.outcome = mx_dns_outcome(m);
		q.ede = 0xffff;
		q.late = s->kind == MX_STRAY_LATE;
		add_evidence(f, &q);
	}
	if (!row_taken(f, m->frame, true)) {
		struct mx_evidence r;
		mx_evidence_stray(&r, s);
		add_evidence(f, &r);
	}
}

void mx_finding_add_stray(struct mx_finding *f, const struct mx_stray *s)
{
	if (!s->resp)
		return;
	if (s->kind != MX_STRAY_UNSOLICITED)
		mx_finding_add_frame(f, s->q_frame);
	mx_finding_add_frame(f, s->resp->frame);
	stray_rows(f, s);
}

/* A remembered lookup's outcome: its deciding response's, else its last
 * try's. */
static enum mx_outcome ring_outcome(const struct recent_lookup *r)
{
	for (unsigned i = 0; i < r->n_tries; i++)
		if (r->decided_frame && r->tries[i].r_frame == r->decided_frame)
			return r->tries[i].outcome;
	return r->n_tries ? (r->tries[r->n_tries - 1].open ? MX_O_TIMEOUT : r->tries[r->n_tries - 1].outcome)
			  : MX_O_TIMEOUT;
}

/* The ring's other lookups merged into step s (s->lookups > 1) besides
 * `last` (the step's lookup_seq): the step keeps only the last seq, so the
 * ring is walked back from it for lookups of the same client and question
 * whose first query is one of the step's frames (rows only for those whose
 * outcome differs from the last one's: a step that merged an answer and an
 * NXDOMAIN shows both), until all are found, the
 * finding's table is full, or the walk reaches a lookup opened before the
 * step's earliest frame (seqs follow the order in which lookups open, at
 * their first query) or STEP_WALK seqs back. Only at finding time; most
 * slots are rejected by their first query frame and their first 8 bytes
 * (client, qtype) before one is decoded. On the 1M-packet benchmark most
 * such steps' other lookups are not found within the ring at all: the walk
 * is bounded so that those cost little. */
#define STEP_WALK 256
_Static_assert(STEP_WALK < RECENT_LOOKUPS, "the walk stays inside the ring");
static void step_merged(const struct mx_detect *d, struct mx_finding *f, const struct mx_chain_step *s,
			const struct recent_lookup *last)
{
	uint8_t key[17 + 8];
	memset(key, 0, sizeof key);
	uint8_t *e = put_addr(key, &last->client);
	e = put_2(e, last->qtype);
	size_t klen = (size_t)(e - key);
	uint64_t k8, m8 = klen >= 8 ? ~0ULL : (1ULL << (8 * klen)) - 1;
	memcpy(&k8, key, 8);
	k8 &= m8;
	uint64_t lo = UINT64_MAX;
	for (unsigned i = 0; i < s->n_frames; i++)
		if (s->frames[i] < lo)
			lo = s->frames[i];
	unsigned want = s->lookups - 1u, found = 0;
	for (uint64_t seq = s->lookup_seq - 1; seq >= 1 && s->lookup_seq - seq <= STEP_WALK && found < want &&
					       f->n_evidence < MX_FINDING_MAX_EVIDENCE;
	     seq--) {
		size_t k = seq % RECENT_LOOKUPS;
		if (d->recent_seq[k] != seq)
			continue;
		if (d->recent_f0[k] && d->recent_f0[k] < lo)
			break;
		const uint8_t *slot = d->recent + k * RECENT_SLOT;
		uint64_t w;
		memcpy(&w, slot, 8);
		if ((w & m8) != k8 || (klen > 8 && memcmp(slot + 8, key + 8, klen - 8) != 0))
			continue;
		struct recent_lookup r;
		recent_get(slot, &r, d->recent_base);
		if (!r.n_tries || !mx_dname_eq(&r.qname, &last->qname))
			continue;
		bool mine = false;
		for (unsigned i = 0; i < s->n_frames && !mine; i++)
			mine = s->frames[i] == r.tries[0].q_frame;
		if (!mine)
			continue;
		found++;
		/* a repeat of the last lookup's outcome adds nothing but rows
		 * that push others out of the table */
		if (ring_outcome(&r) != ring_outcome(last))
			add_tries(f, &r.client, &r.qname, r.qtype, r.tries, r.n_tries, r.decided_frame, &r.ans);
	}
}

void mx_finding_add_step(const struct mx_detect_ctx *c, struct mx_finding *f, const struct mx_chain_step *s)
{
	/* lookup_seq 0: a step no lookup filled (tests build such steps); the
	 * ring never stores seq 0, and an unused ring entry's recent_seq is 0 */
	if (s->asked && s->lookup_seq && c && c->engine && c->engine->recent) {
		const struct mx_detect *d = c->engine;
		size_t k = s->lookup_seq % RECENT_LOOKUPS;
		if (d->recent_seq[k] == s->lookup_seq) {
			struct recent_lookup r;
			recent_get(d->recent + k * RECENT_SLOT, &r, d->recent_base);
			add_tries(f, &r.client, &r.qname, r.qtype, r.tries, r.n_tries, r.decided_frame, &r.ans);
			if (s->lookups > 1)
				step_merged(d, f, s, &r);
		}
	}
	for (unsigned i = 0; i < s->n_frames; i++)
		mx_finding_add_frame(f, s->frames[i]);
	for (unsigned i = 0; i < s->n_resolvers; i++)
		mx_finding_add_resolver(f, &s->resolvers[i]);
	if (s->asked) {
		if (f->first_us == 0 || s->first_us < f->first_us)
			f->first_us = s->first_us;
		if (s->end_us > f->last_us)
			f->last_us = s->end_us;
	}
}

/* Decimal digits of v at the end of buf[20]; returns the first. */
static char *dec_u64(char *end, uint64_t v)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* vsnprintf(d, cap, fmt, ap) (cap >= 1) for the formats detectors use most:
 * conversions %s, %u, %llu and %% only, without flags, width or precision.
 * False as soon as the format has another one: then d holds nothing
 * promised and the caller formats with vsnprintf from a copy of ap. The
 * output is cut at cap - 1 bytes as vsnprintf cuts it; once it is full the
 * rest of the format cannot change it and is not read. A finding's detail
 * and verify lines are made thousands of times, mostly merged into a
 * finding that already exists: vsnprintf was most of the cost.
 * With shell set (verify lines: commands an operator pastes into a shell)
 * a %s argument that holds anything but letters, digits and %+,-./:=@_ is
 * written as one single-quoted shell word (mx_shell_word()): names come
 * from the wire, and "dig MX `id`.example." must not run id, nor
 * "a\.b.example." reach dig as a.b.example. */
static bool fast_vformat(char *d, size_t cap, const char *fmt, va_list ap, bool shell)
{
	size_t o = 0, lim = cap - 1;
	const char *p = fmt;
	while (o < lim) {
		char ch = *p;
		if (ch == '\0')
			break;
		if (ch != '%') {
			d[o++] = ch;
			p++;
			continue;
		}
		const char *s;
		size_t n;
		char num[20];
		if (p[1] == 's') {
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			p += 2;
			if (shell && !mx_shell_safe(s)) {
				o += mx_shell_word(s, d + o, cap - o);
				continue;
			}
			n = strlen(s);
		} else if (p[1] == 'u') {
			s = dec_u64(num + sizeof num, va_arg(ap, unsigned));
			n = (size_t)(num + sizeof num - s);
			p += 2;
		} else if (p[1] == 'l' && p[2] == 'l' && p[3] == 'u') {
			s = dec_u64(num + sizeof num, va_arg(ap, unsigned long long));
			n = (size_t)(num + sizeof num - s);
			p += 4;
		} else if (p[1] == '%') {
			s = "%";
			n = 1;
			p += 2;
		} else {
			return false;
		}
		if (n > lim - o)
			n = lim - o;
		memcpy(d + o, s, n);
		o += n;
	}
	d[o] = '\0';
	return true;
}

bool mx_shell_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr("%+,-./:=@_", ch) != NULL))
			return false;
	}
	return true;
}

size_t mx_shell_word(const char *s, char *d, size_t cap)
{
	/* 'it'\''s' : a quote inside closes the word, adds an escaped quote
	 * and reopens it; cut short at cap - 1 bytes, never inside that group
	 * or without the closing quote */
	size_t o = 0;
	if (cap < 3) {
		if (cap)
			d[0] = '\0';
		return 0;
	}
	d[o++] = '\'';
	for (; *s; s++) {
		size_t need = *s == '\'' ? 4 : 1;
		if (o + need + 1 > cap - 1)
			break;
		if (*s == '\'') {
			memcpy(d + o, "'\\''", 4);
		} else {
			d[o] = *s;
		}
		o += need;
	}
	d[o++] = '\'';
	d[o] = '\0';
	return o;
}

static void vappend(char *buf, size_t size, const char *sep, const char *fmt, va_list ap, bool shell)
{
	size_t len = strlen(buf);
	if (len > 0 && sep && len + strlen(sep) < size) {
		strcpy(buf + len, sep);
		len += strlen(sep);
	}
	if (len < size) {
		va_list cp;
		va_copy(cp, ap);
		if (!fast_vformat(buf + len, size - len, fmt, cp, shell))
			vsnprintf(buf + len, size - len, fmt, ap);
		va_end(cp);
	}
	/* a detail cut by its size says so rather than ending mid-word */
	if (!shell && size > 4 && strlen(buf) >= size - 1)
		memcpy(buf + size - 4, "...", 4);
}

void mx_finding_verify(struct mx_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappend(f->verify, sizeof f->verify, "\n", fmt, ap, true);
	va_end(ap);
}

const char *mx_finding_ms(uint64_t us, char *buf, size_t n)
{
	if (us < 1000u)
		snprintf(buf, n, "%.3f", (double)us / 1000.0);
	else if (us < 10000u && us % 1000u >= 50u && us % 1000u < 950u)
		snprintf(buf, n, "%.1f", (double)us / 1000.0);
	else
		snprintf(buf, n, "%.0f", (double)us / 1000.0);
	return buf;
}

void mx_finding_detail(struct mx_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vappend(f->detail, sizeof f->detail, "; ", fmt, ap, false);
	va_end(ap);
}

/* ---- the engine ----------------------------------------------------------- */


void mx_detect_opts_prepare(struct mx_detect_opts *o)
{
	o->dnsbl_tails = o->n_dnsbl_zones <= sizeof o->dnsbl_tail / sizeof o->dnsbl_tail[0];
	o->dnsbl_tail_bits = 0;
	for (size_t i = 0; o->dnsbl_tails && i < o->n_dnsbl_zones; i++) {
		const struct mx_dname *z = &o->dnsbl_zones[i];
		if (z->len < 8) {
			o->dnsbl_tails = false;
		} else {
			o->dnsbl_tail[i] = mx_load64_(z->wire + z->len - 8);
			o->dnsbl_tail_bits |= 1ULL << mx_detect_tail_bit_(o->dnsbl_tail[i]);
		}
	}
	memset(o->public_bloom, 0, sizeof o->public_bloom);
	for (size_t i = 0; i < o->n_public_resolvers; i++) {
		unsigned b = mx_detect_public_bit_(&o->public_resolvers[i]);
		o->public_bloom[b >> 6] |= 1ULL << (b & 63);
	}
}

/* Whether an event with need bits b is for a callback that needs n. */
static bool needs_met(const struct mx_needs *n, uint32_t b)
{
	return !(n->all & ~b) && (!n->any || (n->any & b));
}

struct mx_detect *mx_detect_new(const struct mx_detect_opts *o)
{
	struct mx_detect *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o)
		d->o = *o;
	else
		mx_detect_opts_default(&d->o);
	d->cap = d->o.max_findings ? d->o.max_findings : 1024;
	mx_detect_opts_prepare(&d->o);
	struct mx_needs lneed[64];      /* each l_lookup entry's needs */
	for (size_t i = 0; mx_detectors[i] && i < 64; i++) {
		if (!(d->o.enabled & (1ULL << i)))
			continue;
		/* zeroed by calloc (pages untouched until used) and aligned to
		 * a cache line: detectors align hot arrays to lines */
		d->state_raw[i] = calloc(1, mx_detectors[i]->state_size + 64);
		if (!d->state_raw[i]) {
			mx_detect_free(d);
			return NULL;
		}
		d->state[i] = (void *)(((uintptr_t)d->state_raw[i] + 63) & ~(uintptr_t)63);
		const struct mx_detector *x = mx_detectors[i];
#define ADD_CB(list, cb)                                                  \
		if (x->cb) {                                              \
			d->list.e[d->list.n].fn = x->cb;                  \
			d->list.e[d->list.n++].st = d->state[i];          \
		}
		ADD_CB(l_txn, on_txn);
		ADD_CB(l_stray, on_stray);
		ADD_CB(l_lookup, on_lookup);
		ADD_CB(l_chain, on_chain);
		ADD_CB(l_tcp, on_tcp);
		ADD_CB(l_tick, on_tick);
		ADD_CB(l_finish, on_finish);
		ADD_CB(l_pending, on_pending);
#undef ADD_CB
		if (x->on_lookup)
			lneed[d->l_lookup.n - 1] = x->lookup_needs;
	}
	for (uint32_t b = 0; b <= MX_NEED_BITS; b++) {
		for (unsigned k = 0; k < d->l_lookup.n; k++)
			if (needs_met(&lneed[k], b))
				d->sel_lookup[b] |= 1ULL << k;
	}
	/* every entry starts filled for the pair of two absent addresses
	 * (family 0): a pair compares equal to an entry only once filled */
	d->pk = malloc(PK_SLOTS * sizeof(*d->pk));
	if (d->pk) {
		static const struct mx_addr none;
		for (size_t i = 0; i < PK_SLOTS; i++)
			mx_pair_keys_fill(&d->pk[i], &none, &none);
	}
	d->em.d = d;
	return d;
}

void mx_detect_free(struct mx_detect *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < 64; i++)
		free(d->state_raw[i]);
	free(d->f);
	free(d->pend);
	free(d->recent);
	free(d->recent_seq);
	free(d->recent_f0);
	free(d->fkey);
	free(d->fpat);
	for (unsigned p = 0; p < d->n_pat; p++)
		free(d->ph[p].h);
	free(d->hpos);
	free(d->fidx);
	free(d->pk);
	free(d);
}

uint64_t mx_detect_evicted(const struct mx_detect *d)
{
	return d->evicted;
}

size_t mx_detect_evicted_top(const struct mx_detect *d, struct mx_evicted_pattern *out, size_t max)
{
	size_t k = 0;
	for (unsigned p = 0; p < d->n_pat; p++) {
		uint64_t n = d->ph[p].evicted;
		const char *name = d->ph[p].name;
		if (!n)
			continue;
		/* insert into the sorted out[0..k), dropping what falls past max */
		size_t j = k < max ? k++ : max;
		while (j > 0 && (out[j - 1].n < n || (out[j - 1].n == n && strcmp(out[j - 1].pattern, name) > 0))) {
			if (j < max)
				out[j] = out[j - 1];
			j--;
		}
		if (j < max)
			out[j] = (struct mx_evicted_pattern){name, n};
	}
	return k;
}

static bool same_key(const struct mx_finding *a, const struct mx_finding *b)
{
	if (strcmp(a->pattern, b->pattern) != 0 || a->qtype != b->qtype ||
	    !mx_addr_eq(&a->sender, &b->sender) || !mx_dname_eq(&a->domain, &b->domain) ||
	    !mx_dname_eq(&a->host, &b->host))
		return false;
	struct mx_addr none = {0};
	const struct mx_addr *ra = a->n_resolvers ? &a->resolvers[0] : &none;
	const struct mx_addr *rb = b->n_resolvers ? &b->resolvers[0] : &none;
	return mx_addr_eq(ra, rb);
}

static void merge(struct mx_finding *into, const struct mx_finding *f)
{
	if (into->recovered_attempt && f->last_us >= into->recovered_us) {
		/* it happened again after the recovery */
		if (into->sev_was > into->sev)
			into->sev = into->sev_was;
		into->recovered_attempt = 0;
	}
	/* last_frame follows the latest occurrence (frames[] keeps the earliest) */
	uint64_t last_frame = f->last_us >= into->last_us ? f->last_frame : into->last_frame;
	into->count += f->count;
	if (f->first_us && (into->first_us == 0 || f->first_us < into->first_us))
		into->first_us = f->first_us;
	if (f->last_us > into->last_us)
		into->last_us = f->last_us;
	if (f->attempts > into->attempts)
		into->attempts = f->attempts;
	if (f->sev >= into->sev) {
		/* the latest occurrence at the highest severity describes it */
		into->sev = f->sev;
		if (f->title)
			into->title = f->title;
		if (f->detail_fn || f->detail[0])
			copy_field(into->detail, &into->detail_fn, f->detail, f->detail_fn, sizeof into->detail);
		if (f->smtp_status)
			into->smtp_status = f->smtp_status;
		if (f->cause)
			into->cause = f->cause;
		if (f->fix)
			into->fix = f->fix;
	}
	into->single_attempt = into->single_attempt && f->single_attempt;
	into->authoritative = into->authoritative && f->authoritative;
	for (unsigned i = 0; i < f->n_frames; i++)
		mx_finding_add_frame(into, f->frames[i]);
	into->last_frame = last_frame;
	for (unsigned i = 0; i < f->n_resolvers; i++)
		mx_finding_add_resolver(into, &f->resolvers[i]);
	for (unsigned i = 0; i < f->n_evidence; i++)
		add_evidence(into, &f->evidence[i]);
	if (!into->verify_fn && !into->verify[0])
		copy_field(into->verify, &into->verify_fn, f->verify, f->verify_fn, sizeof into->verify);
}

/* Rank: severity desc, attempts desc (a finding not about deliveries, 0,
 * ranks as one attempt), count desc, first seen, emission order. */
static int rank_cmp(const void *x, const void *y)
{
	const struct mx_finding *a = x, *b = y;
	uint32_t aa = a->attempts ? a->attempts : 1, ba = b->attempts ? b->attempts : 1;
	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	if (aa != ba)
		return aa > ba ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->first_us != b->first_us)
		return a->first_us < b->first_us ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static int rank_ptr_cmp(const void *x, const void *y)
{
	return rank_cmp(*(const struct mx_finding *const *)x, *(const struct mx_finding *const *)y);
}

/* Rank n findings in place. glibc's qsort of the ~7 KB structs is a merge
 * sort that copies each one about log2(n) times (1.6 % of a 1M-packet run);
 * here pointers are sorted and each finding then moves once, along the
 * cycles of the permutation. rank_cmp is a total order (seq is unique), so
 * the result is the same. Falls back to qsort when memory is short. */
static void rank_findings(struct mx_finding *f, size_t n)
{
	if (n < 2)
		return;
	const struct mx_finding **p = malloc(n * sizeof(*p));
	struct mx_finding *tmp = malloc(sizeof(*tmp));
	if (!p || !tmp) {
		free(p);
		free(tmp);
		qsort(f, n, sizeof(*f), rank_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = &f[i];
	qsort(p, n, sizeof(*p), rank_ptr_cmp);
	/* position i takes the finding now at p[i]; p[j] = NULL marks j done */
	for (size_t i = 0; i < n; i++) {
		if (!p[i] || p[i] == &f[i]) {
			p[i] = NULL;
			continue;
		}
		*tmp = f[i];
		size_t j = i;
		for (;;) {
			size_t k = (size_t)(p[j] - f);
			p[j] = NULL;
			if (k == i) {
				f[j] = *tmp;
				break;
			}
			f[j] = f[k];
			j = k;
		}
	}
	free(p);
	free(tmp);
}

static uint64_t finding_key(const struct mx_finding *f)
{
	uint64_t h = mx_hash_bytes(f->pattern, strlen(f->pattern), f->qtype);
	h = mx_addr_hash(&f->sender, h);
	h = mx_dname_hash(&f->domain, h);
	h = mx_dname_hash(&f->host, h);
	if (f->n_resolvers)
		h = mx_addr_hash(&f->resolvers[0], h);
	return h;
}

static void index_put(struct mx_detect *d, size_t i)
{
	size_t k = (size_t)d->fkey[i] & d->fmask;
	while (d->fidx[k])
		k = (k + 1) & d->fmask;
	d->fidx[k] = (uint32_t)(i + 1);
}

/* The index position holding finding i (it is there: every finding is). */
static size_t index_pos(const struct mx_detect *d, size_t i)
{
	size_t k = (size_t)d->fkey[i] & d->fmask;
	while (d->fidx[k] != i + 1)
		k = (k + 1) & d->fmask;
	return k;
}

/* Remove finding i's entry: linear-probing deletion by backward shift (the
 * entries after the hole that would no longer be found move up). */
static void index_del(struct mx_detect *d, size_t i)
{
	size_t hole = index_pos(d, i);
	size_t k = hole;
	for (;;) {
		k = (k + 1) & d->fmask;
		if (!d->fidx[k])
			break;
		size_t home = (size_t)d->fkey[d->fidx[k] - 1] & d->fmask;
		/* the entry at k may fill the hole unless its home lies in (hole, k] */
		bool stays = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
		if (stays)
			continue;
		d->fidx[hole] = d->fidx[k];
		hole = k;
	}
	d->fidx[hole] = 0;
}

/* The eviction victim is, in the pattern with the most findings (ties:
 * the pattern whose victim ranks lower), the finding with the smallest rank
 * (lowest severity, then first emitted; ranks are unique): each pattern's
 * findings form a binary min-heap that keeps it at the top. A finding's
 * rank only grows (a merge may raise its severity), so updates sift down. */
static uint64_t frank(const struct mx_finding *f)
{
	return (uint64_t)f->sev << 56 | f->seq;
}

/* The heap of findings named pattern; a new one when none is yet. */
static unsigned pat_id(struct mx_detect *d, const char *pattern)
{
	for (unsigned p = 0; p < d->n_pat; p++)
		if (d->ph[p].name == pattern || strcmp(d->ph[p].name, pattern) == 0)
			return p;
	if (d->n_pat == MAX_PATTERNS)
		return MAX_PATTERNS - 1;
	d->ph[d->n_pat].name = pattern;
	return d->n_pat++;
}

static void heap_set(struct mx_detect *d, struct pheap *h, size_t k, struct hent e)
{
	h->h[k] = e;
	d->hpos[e.idx] = (uint32_t)k;
}

static void heap_up(struct mx_detect *d, struct pheap *h, size_t k)
{
	struct hent e = h->h[k];
	while (k > 0) {
		size_t p = (k - 1) / 2;
		if (h->h[p].rank <= e.rank)
			break;
		heap_set(d, h, k, h->h[p]);
		k = p;
	}
	heap_set(d, h, k, e);
}

static void heap_down(struct mx_detect *d, struct pheap *h, size_t k)
{
	struct hent e = h->h[k];
	size_t n = h->n;
	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h->h[c + 1].rank < h->h[c].rank)
			c++;
		if (h->h[c].rank >= e.rank)
			break;
		heap_set(d, h, k, h->h[c]);
		k = c;
	}
	heap_set(d, h, k, e);
}

/* Room for one more entry in h (its size follows its findings, up to the
 * table's bound). */
static bool heap_room(struct mx_detect *d, struct pheap *h)
{
	if (h->n < h->alloc)
		return true;
	size_t na = h->alloc ? (size_t)h->alloc * 2 : 16;
	if (na > d->cap)
		na = d->cap;
	if (na <= h->n)
		return false;
	struct hent *nh = realloc(h->h, na * sizeof(*nh));
	if (!nh)
		return false;
	h->h = nh;
	h->alloc = (uint32_t)na;
	return true;
}

/* Finding i (its pattern heap has room) enters its heap. */
static void heap_push(struct mx_detect *d, size_t i)
{
	struct pheap *h = &d->ph[d->fpat[i]];
	h->h[h->n] = (struct hent){frank(&d->f[i]), (uint32_t)i};
	heap_up(d, h, h->n++);
}

/* The heap to take the eviction victim from (the table is full). */
static struct pheap *victim_heap(struct mx_detect *d)
{
	struct pheap *best = NULL;
	for (unsigned p = 0; p < d->n_pat; p++) {
		struct pheap *h = &d->ph[p];
		if (h->n && (!best || h->n > best->n || (h->n == best->n && h->h[0].rank < best->h[0].rank)))
			best = h;
	}
	return best;
}

static void heap_build(struct mx_detect *d)
{
	for (unsigned p = 0; p < d->n_pat; p++)
		d->ph[p].n = 0;
	for (size_t i = 0; i < d->n; i++)
		heap_push(d, i);
}

/* ---- recovery: a later attempt that connected ---------------------------- */

/* The patterns whose ERROR or CRIT means the sender defers the mail (a
 * temporary failure): a later attempt that connects delivers it late. A
 * permanent failure (MX_NXDOMAIN, NULL_MX, MX_TARGET_UNRESOLVABLE: the
 * sender bounces) is not undone by a later message that gets through. */
static const char *const rec_patterns[] = {
	"MX_TARGET_TRANSIENT", "AAAA_SERVFAIL_LOOP", "AAAA_TIMEOUT_LOOP", "TLSA_LOOKUP_FAIL", "DOMAIN_SERVFAIL",
	"ANY_LOOKUP_FAIL", "ANY_ANSWER_OVERSIZE",
};

static bool rec_candidate(const struct mx_finding *f)
{
	if (f->sev < MX_SEV_ERROR || f->attempts == 0 || !f->sender.family || f->domain.len <= 1)
		return false;
	for (size_t i = 0; i < sizeof rec_patterns / sizeof rec_patterns[0]; i++)
		if (strcmp(f->pattern, rec_patterns[i]) == 0)
			return true;
	return false;
}

static uint64_t rec_hash(const struct mx_addr *s, const struct mx_dname *dom)
{
	return mx_dname_hash(dom, mx_addr_hash(s, 0x7265636fULL));
}

static void rec_note(struct mx_detect *d, const struct mx_finding *f)
{
	if (!rec_candidate(f))
		return;
	uint64_t h = rec_hash(&f->sender, &f->domain) & 4095u;
	d->rec_bloom[h >> 6] |= 1ULL << (h & 63);
	d->n_rec_cand++;
}

/* Chain c (hash: rec_hash of its sender and domain) resolved and connected:
 * the findings about its sender and domain (ERROR or CRIT, about
 * deliveries) whose last occurrence came before it started are marked
 * recovered by it and lowered to WARN. The first such chain marks them;
 * one that is marked keeps it. */
static void rec_check(struct mx_detect *d, const struct mx_chain *c, uint64_t hash)
{
	uint64_t h = hash & 4095u;
	if (!(d->rec_bloom[h >> 6] >> (h & 63) & 1))
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct mx_finding *f = &d->f[i];
		if (f->recovered_attempt || !rec_candidate(f) || f->last_us >= c->start_us ||
		    !mx_addr_eq(&f->sender, &c->sender) || !mx_dname_eq(&f->domain, &c->domain))
			continue;
		f->recovered_attempt = c->attempt ? c->attempt : 1;
		f->sev_was = f->sev;
		f->sev = MX_SEV_WARN;
		f->single_attempt = false;
		f->recovered_us = c->start_us;
		f->recovered_frame = c->syn_frame;
		f->recovered_to = c->connected_to;
		struct pheap *ph = &d->ph[d->fpat[i]];
		size_t hk = d->hpos[i];
		ph->h[hk].rank = frank(f);
		heap_up(d, ph, hk);
		d->dirty = true;
	}
}

/* mx_emit(): the finding f became or was merged into; NULL when it was
 * dropped (no memory). */
static struct mx_finding *pend_emit(struct mx_detect *d, const struct mx_finding *f);

static struct mx_finding *emit(struct mx_emit *e, const struct mx_finding *f)
{
	struct mx_detect *d = e->d;
	if (e->pending)
		return pend_emit(d, f);
	d->dirty = true;
	if (!d->fidx) {
		size_t sz = 16;
		while (sz < d->cap * 2)
			sz *= 2;
		d->fidx = calloc(sz, sizeof(*d->fidx));
		if (!d->fidx)
			return NULL;
		d->fmask = sz - 1;
	}
	uint64_t key = finding_key(f);
	for (size_t k = (size_t)key & d->fmask; d->fidx[k]; k = (k + 1) & d->fmask) {
		size_t i = d->fidx[k] - 1;
		if (d->fkey[i] == key && same_key(&d->f[i], f)) {
			merge(&d->f[i], f);
			rec_note(d, &d->f[i]);
			struct pheap *h = &d->ph[d->fpat[i]];
			size_t hk = d->hpos[i];
			h->h[hk].rank = frank(&d->f[i]);
			heap_down(d, h, hk);
			return &d->f[i];
		}
	}
	size_t at;
	unsigned pid = pat_id(d, f->pattern);
	bool evict = d->n == d->cap;
	if (evict) {
		/* the most crowded pattern's lowest severity, then oldest, leaves;
		 * the new finding takes its place (the array's order does not
		 * matter: peek ranks by a total order) */
		struct pheap *vh = victim_heap(d);
		if (vh != &d->ph[pid] && !heap_room(d, &d->ph[pid]))
			return NULL;
		size_t v = vh->h[0].idx;
		index_del(d, v);
		d->evicted++;
		vh->evicted++;
		at = v;
		if (--vh->n) {
			vh->h[0] = vh->h[vh->n];
			heap_down(d, vh, 0);
		}
	} else {
		if (!heap_room(d, &d->ph[pid]))
			return NULL;
		if (d->n == d->alloc) {
			/* memory follows the findings actually made, up to cap */
			size_t na = d->alloc ? d->alloc * 2 : 16;
			if (na > d->cap)
				na = d->cap;
			struct mx_finding *nf = realloc(d->f, na * sizeof(*nf));
			if (!nf)
				return NULL;
			d->f = nf;
			uint64_t *nk = realloc(d->fkey, na * sizeof(*nk));
			if (!nk)
				return NULL;
			d->fkey = nk;
			uint8_t *npat = realloc(d->fpat, na * sizeof(*npat));
			if (!npat)
				return NULL;
			d->fpat = npat;
			uint32_t *np = realloc(d->hpos, na * sizeof(*np));
			if (!np)
				return NULL;
			d->hpos = np;
			d->alloc = na;
		}
		at = d->n++;
	}
	struct mx_finding *nf = &d->f[at];
	mx_finding_copy(nf, f);
	nf->seq = ++d->seq;
	if (nf->count == 0)
		nf->count = 1;
	d->fkey[at] = key;
	d->fpat[at] = (uint8_t)pid;
	heap_push(d, at);
	index_put(d, at);
	rec_note(d, nf);
	return nf;
}

/* A pending finding (mx_detect_pending()): left out when a made finding
 * has its key, merged into a pending one with its key, else added while
 * there is room. Its seq is its key's hash with the top bit set: the same
 * pending finding keeps it across calls (the live view follows the
 * selection by seq), and it is no made finding's. */
static struct mx_finding *pend_emit(struct mx_detect *d, const struct mx_finding *f)
{
	uint64_t key = finding_key(f);
	if (d->fidx)
		for (size_t k = (size_t)key & d->fmask; d->fidx[k]; k = (k + 1) & d->fmask) {
			size_t i = d->fidx[k] - 1;
			if (d->fkey[i] == key && same_key(&d->f[i], f))
				return NULL;
		}
	for (size_t i = 0; i < d->n_pend; i++)
		if (same_key(&d->pend[i], f)) {
			merge(&d->pend[i], f);
			return &d->pend[i];
		}
	if (!d->pend) {
		d->pend = malloc(MX_DETECT_MAX_PENDING * sizeof(*d->pend));
		if (!d->pend)
			return NULL;
	}
	if (d->n_pend == MX_DETECT_MAX_PENDING) {
		d->pend_dropped++;
		return NULL;
	}
	struct mx_finding *nf = &d->pend[d->n_pend++];
	mx_finding_copy(nf, f);
	nf->seq = key | 1ULL << 63;
	if (nf->count == 0)
		nf->count = 1;
	if (!nf->pending)
		nf->pending = "not made yet: the detector makes it when its window or the capture ends, if nothing "
			      "changes";
	return nf;
}

void mx_emit(struct mx_emit *e, const struct mx_finding *f)
{
	(void)emit(e, f);
}

void mx_emit_txn(struct mx_emit *e, const struct mx_finding *f, const struct mx_txn *t, const char *answer)
{
	struct mx_finding *into = emit(e, f);
	if (into) {
		mx_finding_add_frame(into, t->q_frame);
		mx_finding_add_frame(into, t->r_frame);
		txn_rows(into, t, answer);
	}
}

void mx_emit_stray(struct mx_emit *e, const struct mx_finding *f, const struct mx_stray *s)
{
	struct mx_finding *into = emit(e, f);
	if (into)
		mx_finding_add_stray(into, s);
}

#define DISPATCH_PK(pk, list, cb, ...)                                             \
	do {                                                                       \
		struct mx_detect_ctx ctx = {&d->o, d->now, d, (pk), d->chain_fails};   \
		for (unsigned k_ = 0; k_ < d->list.n; k_++)                            \
			d->list.e[k_].fn(d->list.e[k_].st, &ctx, __VA_ARGS__);         \
	} while (0)
#define DISPATCH(list, cb, ...) DISPATCH_PK(NULL, list, cb, __VA_ARGS__)
/* DISPATCH_PK to the entries of the event's bits' selection (sel: a mask
 * of list positions, ascending = table order). */
#define DISPATCH_SEL(pk, sel, list, cb, ...)                                      \
	do {                                                                       \
		struct mx_detect_ctx ctx = {&d->o, d->now, d, (pk), 0};                \
		for (uint64_t m_ = (sel); m_; m_ &= m_ - 1) {                          \
			unsigned k_ = (unsigned)__builtin_ctzll(m_);                   \
			d->list.e[k_].fn(d->list.e[k_].st, &ctx, __VA_ARGS__);         \
		}                                                                      \
	} while (0)

static inline uint32_t lookup_bits(const struct mx_lookup *l)
{
	uint32_t b = l->rd ? MX_NEED_RD : 0;
	if (l->qclass == 1)
		b |= MX_NEED_IN;
	if (l->n_tries >= 2)
		b |= MX_NEED_RETRIED;
	if (l->qtype == MX_TYPE_A && l->outcome == MX_O_ANSWER)
		b |= MX_NEED_A_ANSWER;
	if (l->qtype == MX_TYPE_AAAA && mx_aaaa_broken_outcome(l->outcome))
		b |= MX_NEED_AAAA_FAIL;
	if (l->qtype == MX_TYPE_MX && (l->outcome == MX_O_ANSWER || l->outcome == MX_O_NODATA) && l->n_resolvers)
		b |= MX_NEED_MX_POS;
	for (unsigned i = 0; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (t->transport == MX_T_UDP && (t->tc || t->outcome == MX_O_TRUNCATED)) {
			b |= MX_NEED_TC;
			break;
		}
	}
	return b;
}

uint32_t mx_detect_lookup_bits(const struct mx_lookup *l)
{
	return lookup_bits(l);
}

void mx_detect_observe_txn(struct mx_detect *d, const struct mx_txn *t)
{
	if (t->r_ts > d->now)
		d->now = t->r_ts;
	DISPATCH_PK(pair_keys(d, mx_txn_client_hash_of(t), &t->client, &t->server, false), l_txn, on_txn, t, &d->em);
}

void mx_detect_observe_stray(struct mx_detect *d, const struct mx_stray *s)
{
	DISPATCH(l_stray, on_stray, s, &d->em);
}

static void remember(struct mx_detect *d, const struct mx_lookup *l)
{
	if (!l->rd || (l->qtype != MX_TYPE_MX && l->qtype != MX_TYPE_A && l->qtype != MX_TYPE_AAAA &&
		       l->qtype != MX_TYPE_TLSA))
		return;
	if (!d->recent) {
		d->recent_seq = calloc(RECENT_LOOKUPS, sizeof(*d->recent_seq));
		d->recent_f0 = calloc(RECENT_LOOKUPS, sizeof(*d->recent_f0));
		d->recent = aligned_alloc(64, (size_t)RECENT_LOOKUPS * RECENT_SLOT);
		if (!d->recent_seq || !d->recent_f0 || !d->recent) {
			free(d->recent_seq);
			free(d->recent_f0);
			free(d->recent);
			d->recent_seq = NULL;
			d->recent_f0 = NULL;
			d->recent = NULL;
			return;
		}
		d->recent_base = l->first_us;
	}
	size_t k = l->seq % RECENT_LOOKUPS;
	d->recent_seq[k] = l->seq ? l->seq : 1;
	d->recent_f0[k] = l->n_tries ? l->tries[0].q_frame : 0;
	recent_put(d->recent + k * RECENT_SLOT, l, d->recent_base);
}

void mx_detect_observe_lookup(struct mx_detect *d, const struct mx_lookup *l)
{
	if (l->last_us > d->now)
		d->now = l->last_us;
	remember(d, l);
	static const struct mx_addr none;
	DISPATCH_SEL(pair_keys(d, mx_lookup_client_hash_of(l), &l->client, l->n_resolvers ? &l->resolvers[0] : &none, true),
		     d->sel_lookup[lookup_bits(l)], l_lookup, on_lookup, l, &d->em);
}

void mx_detect_observe_chain(struct mx_detect *d, const struct mx_chain *c)
{
	/* one hash of (sender, domain) for the failure run and the recovery */
	uint64_t hash = rec_hash(&c->sender, &c->domain), k = hash | 1u;
	struct fail_run *fr = &d->fail_run[(k >> 20) & 1023u];
	if (fr->key != k) {
		fr->key = k;
		fr->n = 0;
	}
	if (c->verdict == MX_CHAIN_DEFERRED || c->verdict == MX_CHAIN_FAILED)
		fr->n++;
	else if (c->verdict == MX_CHAIN_RESOLVED)
		fr->n = 0;
	d->chain_fails = fr->n;
	DISPATCH(l_chain, on_chain, c, &d->em);
	d->chain_fails = 0;
	if (d->n_rec_cand && c->verdict == MX_CHAIN_RESOLVED && c->connected && !c->open)
		rec_check(d, c, hash);
}

void mx_detect_observe_tcp(struct mx_detect *d, const struct mx_tcpctl *t)
{
	if (t->ts_us > d->now)
		d->now = t->ts_us;
	DISPATCH(l_tcp, on_tcp, t, &d->em);
}

void mx_detect_tick(struct mx_detect *d, uint64_t now_us)
{
	if (now_us > d->now)
		d->now = now_us;
	DISPATCH(l_tick, on_tick, &d->em);
}

void mx_detect_finish(struct mx_detect *d, uint64_t end_us)
{
	if (end_us > d->now)
		d->now = end_us;
	DISPATCH(l_finish, on_finish, &d->em);
}

const struct mx_finding *mx_detect_pending(struct mx_detect *d, size_t *n, uint64_t *dropped)
{
	d->n_pend = 0;
	d->pend_dropped = 0;
	d->pem.d = d;
	d->pem.pending = true;
	DISPATCH(l_pending, on_pending, &d->pem);
	for (size_t i = 0; i < d->n_pend; i++)
		mx_finding_text(&d->pend[i]);
	if (d->n_pend > 1)
		rank_findings(d->pend, d->n_pend);
	*n = d->n_pend;
	if (dropped)
		*dropped = d->pend_dropped;
	return d->pend;
}

uint64_t mx_detect_seq(const struct mx_detect *d)
{
	return d->seq;
}

static int made_seq_cmp(const void *a, const void *b)
{
	const struct mx_finding *x = *(const struct mx_finding *const *)a, *y = *(const struct mx_finding *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t mx_detect_made_since(struct mx_detect *d, uint64_t since, mx_detect_made_fn *fn, void *ctx)
{
	size_t k = 0;
	if (d->seq <= since || d->n == 0)
		return 0;
	const struct mx_finding **v = malloc(d->n * sizeof(*v));
	struct mx_finding *tmp = malloc(sizeof(*tmp));
	if (!v || !tmp) {
		free(v);
		free(tmp);
		return SIZE_MAX; /* the caller tries again later */
	}
	{
		for (size_t i = 0; i < d->n; i++)
			if (d->f[i].seq > since)
				v[k++] = &d->f[i];
		if (k > 1)
			qsort(v, k, sizeof(*v), made_seq_cmp);
		/* a copy gets the texts: the finding itself stays as it is */
		for (size_t i = 0; i < k; i++) {
			mx_finding_copy(tmp, v[i]);
			tmp->seq = v[i]->seq;
			mx_finding_text(tmp);
			fn(ctx, tmp);
		}
	}
	free(v);
	free(tmp);
	return k;
}

const struct mx_finding *mx_detect_peek(struct mx_detect *d, size_t *n)
{
	if (d->dirty) {
		/* rank in place (no second 7 KB-per-finding array), then
		 * rebuild the parallel keys and the index */
		rank_findings(d->f, d->n);
		for (size_t i = 0; i < d->n; i++) {
			mx_finding_text(&d->f[i]);
			d->fkey[i] = finding_key(&d->f[i]);
			d->fpat[i] = (uint8_t)pat_id(d, d->f[i].pattern);
		}
		heap_build(d);
		if (d->fidx) {
			memset(d->fidx, 0, (d->fmask + 1) * sizeof(*d->fidx));
			for (size_t i = 0; i < d->n; i++)
				index_put(d, i);
		}
		d->dirty = false;
	}
	*n = d->n;
	return d->f;
}
