/* txn.h - transactions: a query matched to its response, or its timeout (L4).
 *
 * Key (PATTERNS.md §0): client ip+port, server ip+port, transport, DNS ID and
 * the question (qname case-folded, qtype, qclass). A response without a
 * question section (REFUSED often has none) matches on addresses, ports, ID.
 * The same query seen again before its response (same key) is a
 * retransmission of the same transaction (`sends` counts them).
 *
 * Time is capture time: mx_txn_tick() expires queries older than
 * answer_timeout (TIMEOUT). A response that arrives after that is LATE; a
 * second response is a DUPLICATE; a response to no query we saw is
 * UNSOLICITED; a response whose client port, ID and question match a pending
 * query but that comes from another server address or port is WRONG_SOURCE
 * (stubs discard it, PATTERNS.md P10) and leaves the query pending.
 * mx_txn_finish() ends the capture: queries still inside their timeout are
 * reported PENDING (not unanswered). An ICMP unreachable quoting a pending
 * query ends it as UNREACHABLE.
 *
 * Tables are bounded (opts.max_pending, opts.max_recent); the oldest entry is
 * evicted first and counted in mx_txn_stats.
 */
#ifndef MXSNIFF_TXN_H
#define MXSNIFF_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mxsniff/addr.h"
#include "mxsniff/decode.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"

#define MX_TXN_MAX_FRAMES 8 /* query frames kept per transaction */

enum mx_txn_kind {
	MX_TXN_OPEN,        /* in the query callback: sent, no result yet */
	MX_TXN_ANSWERED,    /* matched to its first response */
	MX_TXN_TIMEOUT,     /* no response within answer_timeout */
	MX_TXN_UNREACHABLE, /* ICMP/ICMPv6 unreachable quoted the query */
	MX_TXN_PENDING,     /* capture ended inside the timeout */
};

struct mx_txn {
	uint64_t seq;               /* unique, increasing in order of first query */
	enum mx_txn_kind kind;
	struct mx_addr client, server;
	uint16_t cport, sport;
	uint8_t transport;
	uint16_t id;
	struct mx_dname qname;
	uint16_t qtype, qclass;
	/* from the (first) query */
	bool rd, cd, q_edns, q_do;
	uint8_t q_edns_version;     /* OPT's VERSION (RFC 6891 §6.1.3); 0 without OPT */
	uint16_t q_payload;
	uint64_t q_ts, q_frame;     /* first copy of the query */
	uint64_t last_q_ts;         /* last copy */
	uint32_t sends;             /* copies of the query seen (>= 1) */
	uint8_t n_q_frames;
	uint64_t q_frames[MX_TXN_MAX_FRAMES];
	/* result */
	uint64_t r_ts, r_frame;     /* response or ICMP; 0 when none */
	uint64_t latency_us;        /* r_ts - q_ts (ANSWERED, UNREACHABLE) */
	enum mx_outcome outcome;    /* ANSWERED: mx_dns_outcome(); TIMEOUT/PENDING:
				     * MX_O_TIMEOUT; UNREACHABLE: MX_O_UNREACHABLE */
	uint16_t rcode;             /* ANSWERED only */
	bool aa, ra, tc, ad, r_edns;
	uint8_t r_edns_version;     /* the response OPT's VERSION: with BADVERS, the highest
				     * the server implements (RFC 6891 §6.1.3); 0 without OPT */
	uint16_t ede;               /* EDE info-code, 0xffff when none */
	uint32_t r_size;            /* response size on the wire */
	const struct mx_dns_msg *resp; /* ANSWERED: the response, borrowed for the
					* callback only; NULL otherwise */
	/* Hashes txn.c computes once when the transaction opens, for readers
	 * that key tables on the client or the question (lookup.c). Zero in a
	 * struct built elsewhere (tests): a reader that finds 0 computes the
	 * value with the function below (a real hash of 0 recomputes to 0, so
	 * both ways agree). */
	uint64_t client_hash;       /* mx_txn_client_hash(&client) */
	uint64_t qhash;             /* mx_txn_question_hash(&qname, qtype, qclass) */
};

#define MX_TXN_CLIENT_SEED 0x74786e5f636c6e74ULL
#define MX_TXN_QUESTION_SEED 0x74786e2e181d0012ULL

/* mx_addr_hash() of the client address with a fixed seed. */
static inline uint64_t mx_txn_client_hash(const struct mx_addr *client)
{
	return mx_addr_hash(client, MX_TXN_CLIENT_SEED);
}

/* mx_dname_hash() of the (case-folded) qname, qtype and qclass in the seed,
 * i.e. mx_hash_bytes() (addr.c) of the wire bytes, computed here inline with
 * the same steps (length first, 8-byte words, a 1..7 byte tail as one word,
 * the splitmix64 finaliser) so the value is the same: other modules compare
 * it with mx_hash_bytes()/mx_dname_hash() results (chain.c NAME_HASH_SEED). */
static inline uint64_t mx_txn_question_hash(const struct mx_dname *qname, uint16_t qtype, uint16_t qclass)
{
	const uint8_t *b = qname->wire;
	size_t n = qname->len;
	uint64_t seed = MX_TXN_QUESTION_SEED ^ ((uint64_t)qtype << 16) ^ qclass;
	uint64_t h = mx_mix_word_(seed ^ 0xcbf29ce484222325ULL, (uint64_t)n);
	for (; n >= 8; n -= 8, b += 8)
		h = mx_mix_word_(h, mx_load64_(b));
	if (n >= 4)
		h = mx_mix_word_(h, (uint64_t)mx_dname_ld4_(b) << 32 | mx_dname_ld4_(b + n - 4));
	else if (n)
		h = mx_mix_word_(h, (uint64_t)b[0] << 16 | (uint64_t)b[n >> 1] << 8 | b[n - 1]);
	return mx_avalanche_(h);
}

static inline uint64_t mx_txn_client_hash_of(const struct mx_txn *t)
{
	return t->client_hash ? t->client_hash : mx_txn_client_hash(&t->client);
}

static inline uint64_t mx_txn_qhash_of(const struct mx_txn *t)
{
	return t->qhash ? t->qhash : mx_txn_question_hash(&t->qname, t->qtype, t->qclass);
}

/* The copy txn.c and lookup.c make of a qname (message -> transaction ->
 * lookup): the same result as mx_dname_copy() for every byte a reader may
 * read (len, labels, wire[0..len)), but a name of up to 30 (62) wire bytes,
 * nearly every one, is moved as one fixed 32 (64) byte block from the start
 * of the struct: a few vector moves instead of a loop. The bytes of the
 * block past len come along; nothing reads them (dname.h). */
_Static_assert(offsetof(struct mx_dname, wire) == 2 && sizeof(struct mx_dname) >= 64,
	       "a name's first 64 bytes are len, labels and wire[0..62)");
static inline void mx_txn_name_copy(struct mx_dname *dst, const struct mx_dname *src)
{
	if (src->len <= 30)
		memcpy(dst, src, 32);
	else if (src->len <= 62)
		memcpy(dst, src, 64);
	else
		mx_dname_copy(dst, src);
}

enum mx_stray_kind {
	MX_STRAY_LATE,         /* matched a query that had already timed out */
	MX_STRAY_DUPLICATE,    /* matched a query already answered */
	MX_STRAY_UNSOLICITED,  /* matches no query seen */
	MX_STRAY_WRONG_SOURCE, /* matches a pending query but from another address/port */
	MX_STRAY__COUNT
};

struct mx_stray {
	enum mx_stray_kind kind;
	const struct mx_dns_msg *resp; /* borrowed */
	/* LATE/DUPLICATE/WRONG_SOURCE: the query it matched */
	uint64_t q_ts, q_frame, txn_seq;
	uint64_t latency_us;           /* resp - first query */
	struct mx_addr expected;       /* WRONG_SOURCE: where the query went */
	uint16_t expected_port;
};

struct mx_txn_stats {
	uint64_t queries;       /* query messages seen (incl. retransmissions) */
	uint64_t responses;     /* response messages seen */
	uint64_t transactions;  /* distinct transactions opened */
	uint64_t retransmits;   /* query copies beyond the first */
	uint64_t answered, timeouts, unreachable, pending_at_end;
	uint64_t stray[MX_STRAY__COUNT];
	uint64_t evicted_pending; /* pending queries evicted by the cap (reported as TIMEOUT) */
	uint64_t evicted_recent;  /* closed entries forgotten early (late/dup detection) */
	uint64_t icmp_unmatched;  /* ICMP quoting no pending query (a query, or bytes too
				   * few to tell) */
	uint64_t icmp_responses;  /* ICMP quoting a DNS response (QR=1): the client had
				   * closed its port (an answer after it gave up, or a
				   * second server's answer to a query sent to several) */
	uint64_t reordered;       /* responses captured before their query, and
				   * paired with it (counted in answered) */
	uint64_t multicast_queries; /* queries sent to a multicast group (mDNS,
				     * LLMNR): counted in queries, not tracked */
};

struct mx_txn_cb {
	void *ctx;
	/* a query copy was seen; t->kind == MX_TXN_OPEN; retransmit = not the first */
	void (*query)(void *ctx, const struct mx_txn *t, bool retransmit);
	/* a transaction ended (ANSWERED, TIMEOUT, UNREACHABLE, PENDING) */
	void (*done)(void *ctx, const struct mx_txn *t);
	void (*stray)(void *ctx, const struct mx_stray *s);
};

struct mx_txn_opts {
	uint64_t answer_timeout_us; /* default 5 s */
	uint64_t recent_us;         /* how long closed transactions are remembered
				     * to classify LATE/DUPLICATE (default 60 s) */
	size_t max_pending;         /* default 65536 */
	size_t max_recent;          /* default 65536 */
};

void mx_txn_opts_default(struct mx_txn_opts *o);

struct mx_txn_table;

struct mx_txn_table *mx_txn_new(const struct mx_txn_opts *o, const struct mx_txn_cb *cb);
void mx_txn_free(struct mx_txn_table *t);
/* Feed a parsed message (query or response). Messages without a usable header
 * (verdict NOT_DNS) must not be fed. Advances the clock to m->ts_us first. */
void mx_txn_observe(struct mx_txn_table *t, const struct mx_dns_msg *m);
/* True when response m (parsed, with a header and a question) would be
 * reported WRONG_SOURCE by mx_txn_observe(): a query from m's destination
 * address and port with m's ID, transport and question is pending, and m
 * matches no pending query exactly. Changes no state that a report shows
 * (it may build the secondary index, as WRONG_SOURCE and ICMP lookups do),
 * and does not advance the clock. For the pipeline's choice whether a
 * datagram on no DNS port is DNS (decode.h cb.offport). */
bool mx_txn_expects_wrong_source(struct mx_txn_table *t, const struct mx_dns_msg *m);
/* Feed an ICMP unreachable quoting a DNS datagram. */
void mx_txn_observe_icmp(struct mx_txn_table *t, const struct mx_icmp *ic);
/* Advance capture time: fire timeouts. Time never goes backwards (older
 * timestamps are treated as now). */
void mx_txn_tick(struct mx_txn_table *t, uint64_t now_us);
/* End of capture: everything still pending ends as PENDING (if within its
 * timeout at `end_us`) or TIMEOUT. */
void mx_txn_finish(struct mx_txn_table *t, uint64_t end_us);
const struct mx_txn_stats *mx_txn_peek_stats(const struct mx_txn_table *t);
size_t mx_txn_pending(const struct mx_txn_table *t);
const char *mx_txn_kind_name(enum mx_txn_kind k);
const char *mx_stray_name(enum mx_stray_kind k);   /* "late", "duplicate", ... */

#endif
