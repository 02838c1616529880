/* detect.h - failure-pattern detectors as rows of a table, and findings (L4).
 *
 * Every pattern of PATTERNS.md §3 is a detector: one file in src/detect/, one
 * row in mx_detectors[] (detect.c). A detector is a set of callbacks over
 * lookups, chains, transactions, strays, TCP control segments and ticks, with
 * a fixed-size state the core allocates zeroed (a detector never mallocs) and
 * thresholds read from struct mx_detect_opts. It reports through mx_emit():
 * the core merges findings with the same key (pattern, sender, resolver,
 * domain, host, qtype) into one, adding counts, frames and evidence, keeping
 * the highest severity, and bounds the total (oldest evicted, counted).
 *
 * Detectors never print and never see ldns: they work on the flat structs.
 */
#ifndef MXSNIFF_DETECT_H
#define MXSNIFF_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/decode.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/lookup.h"
#include "mxsniff/txn.h"

enum mx_sev { MX_SEV_INFO = 0, MX_SEV_WARN, MX_SEV_ERROR, MX_SEV_CRIT };

#define MX_FINDING_MAX_FRAMES 32
#define MX_FINDING_MAX_EVIDENCE 12
#define MX_FINDING_MAX_RESOLVERS 4

/* One row of a finding's evidence table: a packet an operator can open. */
struct mx_evidence {
	uint64_t frame, ts_us;
	struct mx_addr from, to;
	bool response;
	struct mx_dname qname;
	uint16_t qtype;
	enum mx_outcome outcome;     /* responses; TIMEOUT rows for unanswered queries */
	uint16_t rcode;
	uint16_t ede;                /* 0xffff none */
	uint64_t latency_us;
	bool late;                   /* a response after the answer timeout (its try stays TIMEOUT);
				      * on a query row: its response came that late */
	bool open;                   /* a query row whose try was still waiting when its lookup
				      * ended (another try decided it: a parallel or failover
				      * query); outcome TIMEOUT, but no timeout was seen */
	char answer[96];             /* short answer text ("10 mx1.example.test.", "192.0.2.1") */
	bool unsolicited;            /* a response to no query seen: no latency */
};

struct mx_finding;
/* Writes a deferred text of f with mx_finding_detail() (or _verify(), for
 * verify_fn) from the raw record (n bytes) the detector kept. */
typedef void mx_finding_text_fn(struct mx_finding *f, const uint8_t *raw, size_t n);

struct mx_finding {
	const char *pattern;         /* "AAAA_SERVFAIL_LOOP" */
	const char *title;           /* one line for humans */
	enum mx_sev sev;
	struct mx_addr sender;       /* family 0 when not about one sender */
	uint8_t n_resolvers;
	struct mx_addr resolvers[MX_FINDING_MAX_RESOLVERS];
	struct mx_dname domain;      /* recipient domain (len 0 = none) */
	struct mx_dname host;        /* MX host or queried name (len 0 = none) */
	uint16_t qtype;              /* 0 = none */
	uint64_t first_us, last_us;
	uint64_t count;              /* occurrences merged */
	uint32_t attempts;           /* delivery attempts (chain recurrences) seen; 0 when the
				      * finding is not about one sender's deliveries to a domain
				      * (resolver-wide and per-lookup findings) */
	uint16_t n_frames;
	uint64_t frames[MX_FINDING_MAX_FRAMES];   /* sorted, unique: the earliest ones */
	uint64_t last_frame;         /* a frame of the latest occurrence (at last_us), also when
				      * frames[] is full; 0 = that occurrence had none */
	uint16_t n_evidence;
	struct mx_evidence evidence[MX_FINDING_MAX_EVIDENCE];
	char detail[320];            /* rcodes, EDE, latencies, counts in words */
	const char *smtp_status;     /* "most likely" status text, per MTA where they differ */
	const char *cause;
	const char *fix;
	char verify[640];            /* dig commands, one per line */
	bool single_attempt;         /* capture too short to judge recurrence */
	/* A later delivery attempt of the same sender and domain resolved and
	 * connected (sent its SYN to port 25): the deferral did not last. Set
	 * when that chain closes after the finding's last occurrence, for a
	 * finding about one sender's deliveries to one domain (attempts > 0)
	 * at ERROR or CRIT whose pattern means a deferral (MX_TARGET_TRANSIENT,
	 * AAAA_SERVFAIL_LOOP, AAAA_TIMEOUT_LOOP, TLSA_LOOKUP_FAIL,
	 * DOMAIN_SERVFAIL; a bounce is not undone by a later message); the
	 * severity is lowered to WARN (sev_was keeps the one before) and
	 * single_attempt is cleared. A later occurrence of the finding undoes
	 * it. recovered_attempt 0: not recovered. */
	uint32_t recovered_attempt;
	enum mx_sev sev_was;
	uint64_t recovered_us;       /* the recovering chain's start (its MX query) */
	uint64_t recovered_frame;    /* its SYN's frame */
	struct mx_addr recovered_to; /* the address it connected to */
	bool authoritative;          /* resolvers[] are authoritative servers queried with
				      * RD=0 (a resolver's iterative traffic), not resolvers */
	uint64_t seq;                /* order of first emission */
	/* NULL for a finding made. A pending one (mx_detect_pending(): what a
	 * detector would still report if the capture ended now, shown by the
	 * live view) says in words what it waits for. */
	const char *pending;
	/* A text made only when the finding is shown (mx_finding_defer()):
	 * while detail_fn (verify_fn) is set, detail[] (verify[]) holds the
	 * detector's raw record instead. mx_detect_peek() makes the texts:
	 * findings read from it have neither set. */
	mx_finding_text_fn *detail_fn, *verify_fn;
};

/* Options: windows and thresholds (PATTERNS.md §0 table and §3). */
struct mx_detect_opts {
	uint64_t answer_timeout_us;   /* 5 s */
	uint64_t chain_window_us;     /* 120 s */
	uint64_t fallback_window_us;  /* 10 s */
	uint64_t min_retry_gap_us;    /* 60 s */
	unsigned loop_min_attempts;   /* 2 */
	uint64_t stats_window_us;     /* 300 s */
	unsigned min_samples;         /* 20 */
	uint64_t disagree_window_us;  /* 600 s */
	uint64_t slow_warn_p95_us;    /* 1000 ms */
	uint64_t slow_warn_p50_us;    /* 250 ms */
	uint64_t slow_error_p95_us;   /* 3000 ms */
	unsigned slow_min_obvious;    /* 3: this many answers each >= slow_error_p95 are slow even below min_samples */
	unsigned timeout_warn_pct;    /* 1 */
	unsigned timeout_warn_min;    /* 3 */
	unsigned timeout_error_pct;   /* 20 */
	unsigned dead_min_queries;    /* 5 */
	struct mx_addr senders[16];   /* --sender (empty = any RD=1 MX client) */
	size_t n_senders;
	struct mx_addr public_resolvers[32];
	size_t n_public_resolvers;
	/* filled by mx_detect_new(): one bit per listed address (hash), so
	 * that most addresses are rejected without a scan; 0 = not built */
	uint64_t public_bloom[4];
	struct mx_dname dnsbl_zones[16];
	size_t n_dnsbl_zones;
	/* filled by mx_detect_new(): the last 8 wire bytes of each zone, when
	 * every zone has at least 8 (dnsbl_tails set): a name is tested with
	 * one load and a compare per zone */
	uint64_t dnsbl_tail[16];
	bool dnsbl_tails;
	/* with dnsbl_tails: bit mx_detect_tail_bit_() of each zone's last 8
	 * bytes, so that most names are rejected inline by one bit */
	uint64_t dnsbl_tail_bits;
	uint64_t enabled;             /* bit i = mx_detectors[i] enabled */
	size_t max_findings;          /* 1024 */
};

void mx_detect_opts_default(struct mx_detect_opts *o);
/* Fill the derived fields (public_bloom, dnsbl_tail): mx_detect_new() does
 * it on its copy of the options. */
void mx_detect_opts_prepare(struct mx_detect_opts *o);

/* Where detectors send findings. */
struct mx_emit;
/* Merge a copy of f into the findings; when the table is full the oldest
 * finding is evicted (counted). */
void mx_emit(struct mx_emit *e, const struct mx_finding *f);
/* mx_emit(e, f), then t's rows (mx_finding_add_txn()) added to the finding
 * f became or was merged into: a finding emitted once per packet builds
 * (and formats answers for) rows only while its table has room. */
void mx_emit_txn(struct mx_emit *e, const struct mx_finding *f, const struct mx_txn *t, const char *answer);
/* The same with a stray's rows (mx_finding_add_stray()). */
void mx_emit_stray(struct mx_emit *e, const struct mx_finding *f, const struct mx_stray *s);

/* Helpers for detectors (detect.c). */
void mx_finding_init(struct mx_finding *f, const char *pattern, enum mx_sev sev);
/* *dst = *src as readers see it: only the bytes in use (rows, frames and
 * resolvers up to their counts, names by length, texts to their end). */
void mx_finding_copy(struct mx_finding *dst, const struct mx_finding *src);
/* f's smtp_status as the operator will find it in the MTA's log: the
 * placeholders <host> and <relay> replaced by f's host, <domain> by its
 * domain and <type> by its query type's mnemonic, each only when f has it
 * (others, such as <file>, stay). Written to buf (cut at n - 1 bytes);
 * NULL when f has no status. */
#define MX_STATUS_STRLEN 4096 /* room for any status (under 1.2 KB) with names of 253 bytes filled in */
const char *mx_finding_status(const struct mx_finding *f, char *buf, size_t n);
void mx_finding_add_frame(struct mx_finding *f, uint64_t frame);
void mx_finding_add_resolver(struct mx_finding *f, const struct mx_addr *r);
/* Evidence rows (query + response per try) and frames from a lookup. */
void mx_finding_add_lookup(struct mx_finding *f, const struct mx_lookup *l);
/* Evidence rows of a transaction and their frames: its query (the first
 * copy) and, when it ended with one, its response (or the ICMP message):
 * time, latency, outcome, rcode, EDE, and as the answer `answer` or, when
 * NULL, a short text of t->resp (when set). A row the finding has (same
 * frame) or has no room for is not built. */
void mx_finding_add_txn(struct mx_finding *f, const struct mx_txn *t, const char *answer);
/* A transaction kept by a detector for a finding it makes later: what its
 * rows show but the answer text (mx_txn_keep() copies it; the detector
 * keeps a few, not one per packet). */
struct mx_txn_kept {
	uint64_t q_frame, r_frame, q_ts, latency_us;
	struct mx_addr client, server;
	uint16_t qtype, rcode, ede;
	uint8_t outcome;
	struct mx_dname qname;       /* last: copied by its length */
};
void mx_txn_keep(struct mx_txn_kept *k, const struct mx_txn *t);
/* Its rows and frames, as mx_finding_add_txn() with answer (may be NULL). */
void mx_finding_add_kept(struct mx_finding *f, const struct mx_txn_kept *k, const char *answer);
/* Rows of a stray response and their frames: the query it matched (LATE,
 * DUPLICATE, WRONG_SOURCE: sent to where the query went) and the response
 * itself, from where it came. Nothing when s->resp is NULL. */
void mx_finding_add_stray(struct mx_finding *f, const struct mx_stray *s);
/* The row of a stray response (s->resp set) with its answer text: to keep
 * for a finding made later. */
void mx_evidence_stray(struct mx_evidence *ev, const struct mx_stray *s);
/* A row (rows stay in frame order; dropped when f has a row of that frame
 * or no room) and its frame. */
void mx_finding_add_evidence(struct mx_finding *f, const struct mx_evidence *ev);
/* A lookup kept for later, serialized by length (~100 bytes for one try):
 * client, qname, qtype, times, outcome, attempts, latency, deciding frame,
 * EDE, resolvers and per try what evidence rows show. brief_put writes at
 * most MX_LOOKUP_BRIEF_MAX bytes; brief_get fills those fields (other
 * fields zero, answer NULL): enough for mx_finding_add_lookup(). */
#define MX_LOOKUP_BRIEF_MAX 1280
void mx_lookup_brief_put(uint8_t *buf, const struct mx_lookup *l);
void mx_lookup_brief_get(const uint8_t *buf, struct mx_lookup *l);
/* Frames, resolvers and times from a chain step, and evidence rows from the
 * step's lookups while the engine still remembers them (a bounded ring of
 * recent lookups: in very busy captures old steps give frames only). The
 * step names only its last lookup; the others merged into it are looked
 * for in the ring, near it, by client, question and first query frame, and
 * give rows when their outcome differs from the last one's. */
struct mx_detect_ctx;
void mx_finding_add_step(const struct mx_detect_ctx *c, struct mx_finding *f, const struct mx_chain_step *s);
/* Whether s can stand in a shell command as it is (only letters, digits
 * and %+,-./:=@_; "" too: verify lines do not pass empty arguments). */
bool mx_shell_safe(const char *s);
/* s as one single-quoted shell word ('it'\''s') in d (cap bytes, cut at a
 * whole character, always closed); returns its length. */
size_t mx_shell_word(const char *s, char *d, size_t cap);
/* Append one "dig ..." line to f->verify: a %s argument that is not
 * mx_shell_safe() is written as mx_shell_word() (names come from the wire
 * and the line is meant to be pasted into a shell). Conversions: %s, %u,
 * %llu and %% only. */
void mx_finding_verify(struct mx_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A latency in a finding's words, without the unit: three decimals below
 * 1 ms ("0.135"), one below 10 ms unless it would be ".0" ("2.5", "3"),
 * whole milliseconds above ("45"), so that a loopback answer is not "0 ms".
 * Returns buf. */
const char *mx_finding_ms(uint64_t us, char *buf, size_t n);
/* Append text to f->detail ("; " separated). */
void mx_finding_detail(struct mx_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Defer f's detail text (verify text with verify set: it must be empty):
 * raw (n bytes, at most sizeof f->detail - 2, resp. sizeof f->verify - 2)
 * is kept in its place, copied and merged as the text would be, and
 * fn(f, raw, n) writes the text when mx_detect_peek() shows the finding
 * (or mx_finding_text() asks). A finding merged with another keeps the
 * texts it would have kept: a deferred detail counts as not empty. Most
 * findings of a flood are evicted before they are shown, their text never
 * made: fn must write from raw and the finding's key fields only, the same
 * text whenever it runs. */
void mx_finding_defer(struct mx_finding *f, bool verify, mx_finding_text_fn *fn, const void *raw, size_t n);
/* Make f's deferred texts now. */
void mx_finding_text(struct mx_finding *f);
/* (inline: every detector asks per event, and mostly no --sender is given) */
bool mx_detect_is_listed_sender_(const struct mx_detect_opts *o, const struct mx_addr *a);
static inline bool mx_detect_is_sender(const struct mx_detect_opts *o, const struct mx_addr *a)
{
	return o->n_senders == 0 || mx_detect_is_listed_sender_(o, a);
}

/* Fixed-size keyed tables inside detector state: every entry starts with a
 * struct mx_slot. mx_slot_get() finds the entry for key (never 0) or takes the
 * least recently used one within a small probe window (zeroed, *fresh set);
 * *clock is the table's own use counter. Constant cost per call. */
struct mx_slot {
	uint64_t key;
	uint64_t used;
};
void *mx_slot_get(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh);
/* As mx_slot_get(), but a taken entry has only its struct mx_slot reset: for
 * large entries whose owner resets the few fields that matter on *fresh. */
void *mx_slot_take(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh);
/* Split tables: the struct mx_slot headers in an array of their own, the
 * entries (no header) in a parallel one, so that a probe reads 16 bytes an
 * entry. Same placement and LRU choice as mx_slot_get(); returns the index.
 * The entry is not touched: on *fresh its owner resets what matters. */
size_t mx_slot_index(struct mx_slot *hdr, size_t n, uint64_t key, uint64_t *clock, bool *fresh);

/* The probe itself, inline so that MX_SLOT_INDEX (a probe per transaction
 * in several detectors) runs with the table size a constant and no call.
 * A window of MX_SLOT_WINDOW entries from the key's home position (its high
 * bits scaled to n): the entry is found there, or the window's least
 * recently used one (the first of equal ones, home first) is taken: its
 * first `zero` bytes zeroed, then key and use set. One pass: the victim
 * only matters when the key is not in the window. */
#define MX_SLOT_WINDOW 4
static inline __attribute__((always_inline)) struct mx_slot *
mx_slot_probe_(void *base, size_t n, size_t size, uint64_t key, uint64_t *clock, bool *fresh, size_t zero)
{
	unsigned char *b = (unsigned char *)base;
	size_t home = (size_t)(((key >> 32) * (uint64_t)n) >> 32);
	uint64_t now = ++*clock;
	struct mx_slot *s = (struct mx_slot *)(void *)(b + home * size), *victim = s;
	if (s->key == key && s->used)
		goto hit;
	for (size_t k = 1, i = home; k < (n < MX_SLOT_WINDOW ? n : MX_SLOT_WINDOW); k++) {
		if (++i == n)
			i = 0;
		s = (struct mx_slot *)(void *)(b + i * size);
		if (s->key == key && s->used)
			goto hit;
		if (s->used < victim->used)
			victim = s;
	}
	memset(victim, 0, zero);
	victim->key = key;
	victim->used = now;
	if (fresh)
		*fresh = true;
	return victim;
hit:
	s->used = now;
	if (fresh)
		*fresh = false;
	return s;
}

static inline __attribute__((always_inline)) size_t
mx_slot_index_inline_(struct mx_slot *hdr, size_t n, uint64_t key, uint64_t *clock, bool *fresh)
{
	return (size_t)(mx_slot_probe_(hdr, n, sizeof(*hdr), key, clock, fresh, sizeof(*hdr)) - hdr);
}
#define MX_SLOT_INDEX(hdr, key, clock, fresh) \
	mx_slot_index_inline_((hdr), sizeof(hdr) / sizeof((hdr)[0]), (key), (clock), (fresh))
/* Find only; NULL when absent. */
void *mx_slot_find(void *base, size_t n, size_t size, uint64_t key);
/* (the macros probe inline: mx_slot_probe_ below) */
#define MX_SLOT_GET(arr, key, clock, fresh) \
	((void *)mx_slot_probe_((arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]), (key), (clock), (fresh), \
				sizeof((arr)[0])))
#define MX_SLOT_TAKE(arr, key, clock, fresh) \
	((void *)mx_slot_probe_((arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]), (key), (clock), (fresh), \
				sizeof(struct mx_slot)))
#define MX_SLOT_FIND(arr, key) mx_slot_find((arr), sizeof(arr) / sizeof((arr)[0]), sizeof((arr)[0]), (key))
/* Key helpers (never 0). */
uint64_t mx_key_addr(const struct mx_addr *a, uint64_t salt);
uint64_t mx_key_addr2(const struct mx_addr *a, const struct mx_addr *b, uint64_t salt);
uint64_t mx_key_name(const struct mx_dname *n, uint16_t qtype, uint64_t salt);
/* The zone a name most likely belongs to: the last two labels (three when the
 * second-level label is short, as in example.co.uk). */
void mx_zone_guess(const struct mx_dname *n, struct mx_dname *zone);
/* (inline: the bloom filter rejects most addresses without a call) */
bool mx_detect_is_listed_public_(const struct mx_detect_opts *o, const struct mx_addr *a);
static inline unsigned mx_detect_public_bit_(const struct mx_addr *a)
{
	return (unsigned)(mx_addr_hash(a, 0x9b) >> 56);
}
static inline bool mx_detect_is_public(const struct mx_detect_opts *o, const struct mx_addr *a)
{
	if (o->public_bloom[0] | o->public_bloom[1] | o->public_bloom[2] | o->public_bloom[3]) {
		unsigned b = mx_detect_public_bit_(a);
		if (!(o->public_bloom[b >> 6] >> (b & 63) & 1))
			return false;
	}
	return mx_detect_is_listed_public_(o, a);
}
/* True when n is a --dnsbl-zones zone or below one. (inline: query_volume
 * and public_resolver ask per transaction; with the tails prepared a name
 * whose last 8 bytes are no zone's is rejected by one bit) */
bool mx_detect_in_dnsbl_(const struct mx_detect_opts *o, const struct mx_dname *n);
static inline unsigned mx_detect_tail_bit_(uint64_t tail)
{
	return (unsigned)((tail * 0x9e3779b97f4a7c15ULL) >> 58);
}
static inline bool mx_detect_in_dnsbl(const struct mx_detect_opts *o, const struct mx_dname *n)
{
	if (o->dnsbl_tails) {
		/* every zone has 8 bytes or more: so has a name below one */
		if (n->len < 8 ||
		    !(o->dnsbl_tail_bits >> mx_detect_tail_bit_(mx_load64_(n->wire + n->len - 8)) & 1))
			return false;
	}
	return mx_detect_in_dnsbl_(o, n);
}

/* True when n has the shape of a blocklist query for an address, whatever
 * the zone: four numeric labels of at most 3 digits (a reversed IPv4
 * address) or 32 one-hex-digit labels (reversed IPv6 nibbles) in front of
 * at least one more label. No exchange or host name looks like this. */
static inline bool mx_detect_reversed_addr_name(const struct mx_dname *n)
{
	const uint8_t *w = n->wire;
	unsigned off = 0, len = n->len;
	if (n->labels >= 5 && len > 1 && w[0] >= 1 && w[0] <= 3 && w[1] >= '0' && w[1] <= '9') {
		for (unsigned k = 0; k < 4; k++) {
			unsigned ll = w[off];
			if (ll < 1 || ll > 3 || off + 1 + ll >= len)
				return false;
			for (unsigned i = 1; i <= ll; i++)
				if (w[off + i] < '0' || w[off + i] > '9')
					return false;
			off += 1 + ll;
		}
		return w[off] != 0;
	}
	if (n->labels >= 33 && len > 64) {
		for (unsigned k = 0; k < 32; k++, off += 2) {
			uint8_t c = w[off + 1];
			if (w[off] != 1 || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return false;
		}
		return w[off] != 0;
	}
	return false;
}

/* The outcomes of an AAAA lookup that RFC 4074 counts as mishandling the
 * type when A answers: SERVFAIL, no answer, NXDOMAIN, and the rcodes old
 * servers, proxies and firewalls give to a type they do not know (REFUSED,
 * NOTIMP, FORMERR). */
static inline bool mx_aaaa_broken_outcome(enum mx_outcome o)
{
	return o == MX_O_SERVFAIL || o == MX_O_TIMEOUT || o == MX_O_NXDOMAIN || o == MX_O_REFUSED ||
	       o == MX_O_NOTIMP || o == MX_O_FORMERR;
}

/* A blocklist lookup: under a --dnsbl-zones zone, or shaped like one. */
static inline bool mx_detect_blocklist_name(const struct mx_detect_opts *o, const struct mx_dname *n)
{
	return mx_detect_reversed_addr_name(n) || mx_detect_in_dnsbl(o, n);
}

struct mx_detect;
struct mx_pair_keys;
struct mx_detect_ctx {
	const struct mx_detect_opts *opts;
	uint64_t now_us;
	const struct mx_detect *engine;  /* for mx_finding_add_step's lookup memory */
	/* transactions and lookups: the detector keys of the event's (client,
	 * server) pair, kept by the core (src/detect/key_inline.h); else NULL */
	struct mx_pair_keys *pk;
	/* on_chain: how many chains of the event's (sender, domain) in a row,
	 * this one included, did not resolve (DEFERRED or FAILED; a RESOLVED
	 * chain sets it back to 0, an INCOMPLETE one leaves it): a failure
	 * that recurs, not a busy domain's Nth delivery. From a direct-mapped
	 * table of 1024 pairs (a pair that loses its place starts again).
	 * 0 for the other events. */
	uint32_t chain_fails;
};

/* What a detector's on_lookup needs of a lookup, declared in its row so
 * that the core does not call it for the others (most lookups are healthy
 * answers that most on_lookup callbacks return on at once). The core
 * computes a lookup's bits once and calls a callback when the lookup has
 * every bit of `all` and, when `any` is not 0, at least one bit of `any`
 * (a table per combination of bits, built by mx_detect_new()). A row may
 * declare only what its callback itself tests first and returns on without
 * any effect: skipping the call then changes nothing (the unit test
 * lookup_needs_are_early_returns checks it for every row). Transactions
 * have no such bits: nearly all of them are answers to RD=1 queries that
 * every on_txn handles, and the test per transaction cost more than the
 * calls it saved. */
enum {
	MX_NEED_RD = 1u << 0,        /* RD set */
	MX_NEED_IN = 1u << 1,        /* qclass IN */
	MX_NEED_RETRIED = 1u << 2,   /* two tries or more */
	MX_NEED_A_ANSWER = 1u << 3,  /* qtype A, outcome ANSWER */
	MX_NEED_AAAA_FAIL = 1u << 4, /* qtype AAAA, outcome SERVFAIL, TIMEOUT, NXDOMAIN, REFUSED, NOTIMP
				      * or FORMERR (mx_aaaa_broken_outcome) */
	MX_NEED_MX_POS = 1u << 5,    /* qtype MX, outcome ANSWER or NODATA, a resolver */
	MX_NEED_TC = 1u << 6,        /* one of the first MX_LOOKUP_MAX_TRIES tries is UDP with
				      * TC set or outcome TRUNCATED */
};
#define MX_NEED_BITS 0x7fu        /* all bits */
struct mx_needs {
	uint32_t all, any;
};
/* A lookup's bits (detect.c; for the unit tests). */
uint32_t mx_detect_lookup_bits(const struct mx_lookup *l);

struct mx_detector {
	const char *id;              /* "AAAA_SERVFAIL_LOOP": name used by --detectors */
	const char *pattern;         /* PATTERNS.md number: "P1" */
	const char *emits;           /* pattern IDs it can emit, comma separated */
	const char *summary;         /* one line for --list-detectors and the manual */
	size_t state_size;           /* zeroed by the core */
	void (*on_txn)(void *st, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e);
	void (*on_stray)(void *st, const struct mx_detect_ctx *c, const struct mx_stray *s, struct mx_emit *e);
	void (*on_lookup)(void *st, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e);
	void (*on_chain)(void *st, const struct mx_detect_ctx *c, const struct mx_chain *ch, struct mx_emit *e);
	void (*on_tcp)(void *st, const struct mx_detect_ctx *c, const struct mx_tcpctl *t, struct mx_emit *e);
	void (*on_tick)(void *st, const struct mx_detect_ctx *c, struct mx_emit *e);
	void (*on_finish)(void *st, const struct mx_detect_ctx *c, struct mx_emit *e);
	/* Emit what the detector holds back or would still make at the end
	 * (on_tick/on_finish), as it stands now, WITHOUT changing the state:
	 * the live view shows these as pending (mx_detect_pending()). Each
	 * finding's `pending` says what it waits for. NULL: nothing held. */
	void (*on_pending)(void *st, const struct mx_detect_ctx *c, struct mx_emit *e);
	struct mx_needs lookup_needs; /* {0, 0}: every lookup */
};

extern const struct mx_detector *const mx_detectors[];   /* NULL-terminated */
size_t mx_detector_count(void);
/* Index of a detector by id (case-insensitive), -1 if none. */
int mx_detector_find(const char *id);
/* Parse "A,B,C" into a bit set of detectors; 0 or MX_EINVAL (names the bad one in err). */
int mx_detect_parse_list(const char *list, uint64_t *bits, char *err, size_t errlen);

const char *mx_sev_name(enum mx_sev s);      /* "info", "warn", "error", "crit" */
int mx_sev_from_name(const char *s);          /* -1 if unknown */

struct mx_detect;

struct mx_detect *mx_detect_new(const struct mx_detect_opts *o);
void mx_detect_free(struct mx_detect *d);
void mx_detect_observe_txn(struct mx_detect *d, const struct mx_txn *t);
void mx_detect_observe_stray(struct mx_detect *d, const struct mx_stray *s);
void mx_detect_observe_lookup(struct mx_detect *d, const struct mx_lookup *l);
void mx_detect_observe_chain(struct mx_detect *d, const struct mx_chain *c);
void mx_detect_observe_tcp(struct mx_detect *d, const struct mx_tcpctl *t);
void mx_detect_tick(struct mx_detect *d, uint64_t now_us);
void mx_detect_finish(struct mx_detect *d, uint64_t end_us);
/* Findings so far, ranked (severity desc, count desc, first seen, key): a
 * borrowed array valid until the next observe call. */
const struct mx_finding *mx_detect_peek(struct mx_detect *d, size_t *n);
/* The pending findings now (each detector's on_pending), ranked as
 * mx_detect_peek() ranks: findings not made yet, which the detector makes
 * later (when a window ends, or at the end of the capture) if nothing
 * changes, or drops (e.g. MX_NXDOMAIN handed to RESOLVER_DISAGREEMENT).
 * A pending finding with the key of a made one is left out (the made one
 * is shown). At most MX_DETECT_MAX_PENDING (more are counted in *dropped
 * when not NULL). A borrowed array valid until the next call; the state
 * and the made findings do not change. */
#define MX_DETECT_MAX_PENDING 64
const struct mx_finding *mx_detect_pending(struct mx_detect *d, size_t *n, uint64_t *dropped);
/* The seq of the last finding made (each new finding gets the next; a
 * merge into a finding keeps its seq). */
uint64_t mx_detect_seq(const struct mx_detect *d);
/* Call fn, in the order they were made, for each finding still held whose
 * seq is above `since` (made since then; one evicted in between is gone),
 * with its counts and evidence so far and its texts written (a copy,
 * valid during the call). Returns how many, or SIZE_MAX without memory
 * (nothing was called). For streaming findings as they are made (NDJSON
 * "finding_made"). */
typedef void mx_detect_made_fn(void *ctx, const struct mx_finding *f);
size_t mx_detect_made_since(struct mx_detect *d, uint64_t since, mx_detect_made_fn *fn, void *ctx);
uint64_t mx_detect_evicted(const struct mx_detect *d);
/* Findings of one pattern evicted from the full findings table. */
struct mx_evicted_pattern {
	const char *pattern;         /* static: the detector's string */
	uint64_t n;
};
/* The patterns that lost findings, by count desc then name: the first max
 * of them into out; returns how many were written. */
size_t mx_detect_evicted_top(const struct mx_detect *d, struct mx_evicted_pattern *out, size_t max);

#endif
