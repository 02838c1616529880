/* model.h - all counters and tables the reports and the UI read (L5).
 *
 * The model is fed by the pipeline (messages, transactions, lookups, strays,
 * decoder and capture statistics) and owns all mutable report state:
 * per-resolver, per-sender and per-failing-name tables (each bounded, the least
 * recently seen evicted first and counted), latency histograms (log-linear,
 * deterministic percentiles), and totals. mx_model_snapshot() copies it into a
 * plain value that sinks and the UI read; nothing outside model.c mutates it.
 *
 * Servers that receive RD=1 queries are "resolvers"; servers that only get
 * RD=0 queries (a resolver's iterative traffic) are "authoritatives". Clients
 * that send RD=1 queries are "senders".
 */
#ifndef MXSNIFF_MODEL_H
#define MXSNIFF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/capture.h"
#include "mxsniff/chain.h"
#include "mxsniff/decode.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/lookup.h"
#include "mxsniff/txn.h"

#define MX_RCODE_SLOTS 24 /* rcodes 0..22 individually, 23 = any other */

/* Distinct-address counts (server clients, sender resolvers, name clients)
 * are exact up to MX_MODEL_DISTINCT_CAP; the value MX_MODEL_DISTINCT_CAP + 1
 * means "more than MX_MODEL_DISTINCT_CAP" (reports print ">64"). */
#define MX_MODEL_DISTINCT_CAP 64

/* Index into mx_snapshot.qtype_counts[] (query messages by qtype). */
enum mx_qtype_slot {
	MX_QS_A, MX_QS_AAAA, MX_QS_MX, MX_QS_TXT, MX_QS_PTR, MX_QS_TLSA,
	MX_QS_OTHER_KNOWN, /* NS, CNAME, SOA, SRV, DS, DNSKEY, SVCB, ANY */
	MX_QS_HTTPS,
	MX_QS__COUNT
};
/* "A", "AAAA", "MX", "TXT", "PTR", "TLSA", "other_known", "HTTPS"; "?" beyond. */
const char *mx_model_qtype_slot_name(enum mx_qtype_slot s);

struct mx_latency {           /* microseconds; all 0 when count == 0 */
	uint64_t count;
	uint64_t p50, p95, p99, max;
};

struct mx_server_row {
	struct mx_addr addr;
	bool recursive;              /* received RD=1 queries */
	uint64_t queries;            /* query messages (incl. retransmissions) */
	uint64_t transactions;
	uint64_t answered;           /* transactions with a response */
	uint64_t timeouts, unreachable, pending;
	uint64_t late, duplicate, wrong_source;
	uint64_t tcp_queries, truncated;   /* TC=1 responses */
	uint64_t rcodes[MX_RCODE_SLOTS];   /* responses by rcode */
	uint64_t outcomes[MX_O__COUNT];    /* transactions by outcome */
	uint64_t clients;                  /* distinct clients (capped count) */
	struct mx_latency latency;
	uint64_t first_us, last_us;
	/* a DNS server on this host whose questions a forwarder asked upstream
	 * (struct mx_lookup.forwarded): how many lookups, the upstream server
	 * of the last one and the address it asked from */
	uint64_t forwarded;
	struct mx_addr fwd_to, fwd_via;
};

struct mx_sender_row {
	struct mx_addr addr;
	uint64_t queries;            /* RD=1 query messages */
	uint64_t lookups;
	uint64_t outcomes[MX_O__COUNT]; /* lookups by final outcome */
	uint64_t failed;             /* lookups whose outcome is Fail class (not pending_at_end) */
	uint64_t mx_lookups, a_lookups, aaaa_lookups, other_lookups;
	uint64_t edns_queries, do_queries;
	uint64_t ad_queries, cd_queries;   /* RD=1 queries with AD (asks for the resolver's AD
					    * bit: RFC 6840 5.7, glibc trust-ad) or CD set */
	uint64_t resolvers;          /* distinct resolvers (capped count) */
	uint64_t first_us, last_us;
	/* fingerprint from its chains (PATTERNS.md §1.9) */
	uint64_t chains, chains_deferred, chains_failed;
	uint64_t hosts_aaaa_first, hosts_a_first, hosts_parallel; /* exchanges by which family came first */
	uint64_t hosts_a_only, hosts_aaaa_only;  /* of the first two: the other family never asked */
	uint64_t aaaa_fail, aaaa_fail_then_a;  /* exchanges whose AAAA failed; of those, A asked after */
	uint64_t retry_gaps, retry_gap_sum_us, retry_gap_min_us; /* gaps between attempts of one domain */
	/* lookups forwarded for a DNS server on this host (struct
	 * mx_lookup.forwarded): they make no chain; fwd_for is the last one's
	 * server (the stub it forwards for) */
	uint64_t forwarded;
	struct mx_addr fwd_for;
	/* lookups that sent one query (same ID and port) to several resolvers
	 * at once (mx_lookup_multi_send): musl's stub resolver */
	uint64_t multi_send;
	/* RD=1 class IN lookups of type ANY (also in other_lookups): qmail-
	 * remote asks ANY of every recipient domain before its MX lookup (its
	 * CNAME check; ANY_LOOKUP_FAIL) */
	uint64_t any_lookups;
};

/* The sender's address-family habit in words: "AAAA-first", "A-first",
 * "A-only" or "AAAA-only" (every exchange asked one family only: IPv4- or
 * IPv6-only MTAs, glibc's no-aaaa option; AAAA-only only without an AAAA
 * failure, else it is the AAAA-first sender that never asks A), "parallel", "mixed" or "unknown" ("forwarder" when most of its lookups
 * were forwarded for a local DNS server: its chains are its clients'); and whether it falls back after an AAAA
 * failure: "falls back to A", "never asks A", or "-". */
const char *mx_sender_family_order(const struct mx_sender_row *r);
const char *mx_sender_fallback(const struct mx_sender_row *r);

struct mx_domain_row {           /* a recipient domain, from the chains */
	struct mx_dname domain;
	uint64_t chains, resolved, deferred, failed, incomplete;
	uint64_t senders;            /* distinct senders (capped count) */
	uint32_t max_attempt;
	enum mx_chain_verdict last_verdict;
	const char *last_why;        /* static text */
	uint64_t first_us, last_us;
	bool relay;                  /* from relay chains (--relayhost): the name is a relay host */
};

struct mx_name_row {             /* a (qname, qtype) with failing lookups */
	struct mx_dname qname;
	uint16_t qtype;
	uint64_t lookups, failed;
	uint64_t outcomes[MX_O__COUNT];
	enum mx_outcome last_outcome;
	uint64_t clients;            /* distinct clients (capped count) */
	uint64_t first_us, last_us;
	uint64_t last_frame;         /* a frame to open in Wireshark */
};

struct mx_recent_txn {           /* for the UI's live view */
	uint64_t ts_us, frame;
	struct mx_addr client, server;
	struct mx_dname qname;
	uint16_t qtype;
	enum mx_outcome outcome;
	uint64_t latency_us;
};

/* Patterns named in a snapshot's findings_evicted_by. */
#define MX_SNAP_EVICTED_PATTERNS 8

struct mx_snapshot {
	/* source */
	char source[256];
	char filter[512];
	bool live;
	/* input that ended early: a file cut off inside a record (or damaged);
	 * the report covers what was read. Set by main.c after the snapshot. */
	bool input_truncated;
	char input_error[256];       /* the reader's message(s), "" when none */
	/* --detectors/--no-detectors left none running: no finding could be
	 * made (set by main.c, like input_truncated) */
	bool no_detectors;
	/* time span (capture time) */
	uint64_t first_us, last_us;
	/* totals */
	uint64_t packets;            /* frames read */
	uint64_t bytes;              /* bytes on the wire */
	uint64_t dns_messages;       /* DNS messages decoded (OK or partial) */
	uint64_t queries, responses;
	uint64_t dns_malformed, dns_truncated, dns_not_dns;
	uint64_t icmp_dns;           /* ICMP unreachables quoting DNS */
	struct mx_decode_stats decode;
	struct mx_txn_stats txn;
	struct mx_lookup_stats lookup;
	struct mx_capture_stats capture;
	uint64_t evicted_servers, evicted_senders, evicted_names;
	uint64_t evicted_total;      /* all tables' evictions added up */
	uint64_t by_qtype_other;     /* queries of types in no slot of qtype_counts */
	uint64_t qtype_counts[8];    /* by enum mx_qtype_slot (MX_QS__COUNT == 8) */
	/* tables, sorted; arrays owned by the snapshot */
	struct mx_server_row *resolvers;     size_t n_resolvers;     /* by queries desc, addr */
	struct mx_server_row *authoritatives; size_t n_authoritatives;
	struct mx_sender_row *senders;       size_t n_senders;       /* by queries desc, addr */
	struct mx_name_row *failing;         size_t n_failing;       /* by failed desc, name */
	size_t failing_total;        /* names with a failed lookup the model keeps (the
	                              * first n_failing are in `failing`; evicted_names
	                              * more were dropped) */
	struct mx_recent_txn *recent;        size_t n_recent;        /* newest last */
	/* chains and findings (issue 3) */
	struct mx_chain_stats chain;
	struct mx_chain *chains;             size_t n_chains;        /* closed, in close order: the last
									* recent_chains, and before them up
									* to recent_chains more that were
									* deferred or failed */
	size_t n_chains_earlier_bad;  /* of n_chains: the deferred or failed ones closed before the
				       * last recent_chains */
	/* chains still open when the snapshot was taken, newest first, at most
	 * MX_SNAP_OPEN_CHAINS, each marked open (mx_chain_peek_open): only when
	 * the pipeline is told to (mx_pipeline_set_open_chains, the live view);
	 * NULL and 0 otherwise. Not judged yet: no report reads them. */
	struct mx_chain *open_chains;        size_t n_open_chains;
	struct mx_domain_row *domains;       size_t n_domains;       /* by failed+deferred desc, chains desc, name */
	uint64_t evicted_domains;
	struct mx_finding *findings;         size_t n_findings;      /* ranked: severity, impact */
	/* pending findings (mx_pipeline_set_pending(): the live view only),
	 * ranked; each has `pending` set. Not made yet: no report shows them */
	struct mx_finding *pending;          size_t n_pending;
	uint64_t pending_dropped;    /* more than MX_DETECT_MAX_PENDING */
	uint64_t findings_evicted;
	/* the patterns whose findings were evicted, by count desc then name;
	 * the first MX_SNAP_EVICTED_PATTERNS of them */
	struct mx_evicted_pattern findings_evicted_by[MX_SNAP_EVICTED_PATTERNS];
	size_t n_findings_evicted_by;
	/* presentation: findings of one pattern the text and Markdown reports
	 * show in full before one line each for the rest (the model copies
	 * mx_model_opts.full_findings: SIZE_MAX = all; 0, as in a zeroed
	 * snapshot, = MX_SNAP_FULL_FINDINGS) */
	size_t full_findings;
};

/* Open chains a snapshot holds at most (mx_snapshot.open_chains). */
#define MX_SNAP_OPEN_CHAINS 64

/* Findings of one pattern a human report shows in full by default. */
#define MX_SNAP_FULL_FINDINGS 10

struct mx_model_opts {
	size_t max_servers;   /* default 4096 */
	size_t max_senders;   /* default 16384 */
	size_t max_names;     /* failing-name table, default 8192 */
	size_t recent;        /* live-view ring, default 256 */
	size_t top_failing;   /* rows of `failing` in a snapshot, default 20 (0 = all) */
	size_t recent_chains; /* closed chains kept for reports and the UI, default 256 */
	size_t max_domains;   /* recipient-domain table, default 4096 */
	size_t full_findings; /* findings of a pattern shown in full by text and
	                       * Markdown, default MX_SNAP_FULL_FINDINGS (0 = all) */
};

void mx_model_opts_default(struct mx_model_opts *o);

struct mx_model;

struct mx_model *mx_model_new(const struct mx_model_opts *o);
void mx_model_free(struct mx_model *m);
void mx_model_set_source(struct mx_model *m, const char *source, const char *filter, bool live);
void mx_model_observe_frame(struct mx_model *m, const struct mx_frame *f);
void mx_model_observe_msg(struct mx_model *m, const struct mx_dns_msg *msg);
void mx_model_observe_dns_verdict(struct mx_model *m, enum mx_dns_verdict v);
void mx_model_observe_icmp(struct mx_model *m, const struct mx_icmp *ic);
void mx_model_observe_txn(struct mx_model *m, const struct mx_txn *t);
void mx_model_observe_stray(struct mx_model *m, const struct mx_stray *s);
void mx_model_observe_lookup(struct mx_model *m, const struct mx_lookup *l);
void mx_model_observe_chain(struct mx_model *m, const struct mx_chain *c);
/* Replace the findings (copied; ranked order kept) and chain statistics. */
int mx_model_set_findings(struct mx_model *m, const struct mx_finding *f, size_t n, uint64_t evicted);
void mx_model_set_chain_stats(struct mx_model *m, const struct mx_chain_stats *c);
/* Copy lower layers' statistics (pointers are read during the call only). */
void mx_model_set_stats(struct mx_model *m, const struct mx_decode_stats *d,
			const struct mx_txn_stats *t, const struct mx_lookup_stats *l,
			const struct mx_capture_stats *c);
/* Fill *s (heap arrays inside); release with mx_snapshot_fini(). 0 or MX_ENOMEM. */
int mx_model_snapshot(const struct mx_model *m, struct mx_snapshot *s);
void mx_snapshot_fini(struct mx_snapshot *s);
/* The resolver row of a among the finding's resolvers of f that is a
 * forwarder on this host (forwarded > 0), the first such; NULL when none. */
const struct mx_server_row *mx_snapshot_forwarder(const struct mx_snapshot *s, const struct mx_finding *f);

#endif
