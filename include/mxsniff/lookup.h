/* lookup.h - lookups: one client's attempts at one question (L4).
 *
 * PATTERNS.md §0: all transactions from client S for the same (qname, qtype,
 * qclass) where each query is sent at most retx_gap after the previous one,
 * closed by the first ANSWER/NODATA/NXDOMAIN. This groups retransmissions
 * (new ID or port, as glibc and others do), resolver failover and TC -> TCP
 * retries. Never keyed on DNS ID or source port.
 *
 * The final outcome is the best outcome among the transactions (enum
 * mx_outcome order). Each transaction is a "try" with its evidence (frames,
 * server, latency, rcode, EDE). A try still open when the lookup closes keeps
 * outcome TIMEOUT-unresolved (try.open = true) and its later result is ignored.
 *
 * The open-lookup table is bounded (max_open); the oldest is closed early and
 * counted as evicted.
 */
#ifndef MXSNIFF_LOOKUP_H
#define MXSNIFF_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/txn.h"

#define MX_LOOKUP_MAX_TRIES 12    /* tries kept (more are counted in tries_total) */
#define MX_LOOKUP_MAX_RESOLVERS 4 /* distinct servers kept */

struct mx_lookup_try {
	uint64_t txn_seq;
	uint64_t q_ts, q_frame;   /* first copy of this try's query */
	uint64_t r_frame;         /* response/ICMP frame, 0 when none */
	struct mx_addr server;
	uint16_t sport;           /* the client's source port */
	uint8_t transport;
	bool open;                /* no result when the lookup closed */
	bool tc;                  /* response had TC=1 */
	uint16_t id;              /* the query's DNS ID */
	enum mx_outcome outcome;
	uint16_t rcode;
	uint16_t ede;             /* 0xffff when none */
	uint32_t sends;           /* copies of this query (same ID/port) */
	uint64_t latency_us;
	/* A response that came after answer_timeout (txn.h MX_STRAY_LATE: the
	 * try stays TIMEOUT) while the lookup was still open; 0 when none. */
	uint64_t late_frame;
	uint32_t late_latency_us; /* from the try's first query, saturating */
	uint16_t late_rcode;
	uint8_t late_outcome;     /* enum mx_outcome of the late response */
};

struct mx_lookup {
	uint64_t seq;                 /* increasing in order of the first query */
	/* Hashes of the key, copied by lookup.c from the lookup's first
	 * transaction (struct mx_txn's fields of the same names), for readers
	 * that key tables on the client or the question (model.c):
	 *   client_hash = mx_txn_client_hash(&client)
	 *   qhash       = mx_txn_question_hash(&qname, qtype, qclass)
	 * Zero in a struct built elsewhere (tests): read them through
	 * mx_lookup_client_hash_of() / mx_lookup_qhash_of(), which compute the
	 * value when the field is 0 (a real hash of 0 recomputes to 0, so both
	 * ways agree). */
	uint64_t client_hash;
	uint64_t qhash;
	struct mx_addr client;
	struct mx_dname qname;
	uint16_t qtype, qclass;
	bool rd;                      /* RD of the first query */
	bool q_edns, q_do;            /* first query carried OPT / DO */
	uint64_t first_us, last_us;   /* first query, last packet (query or response) */
	enum mx_outcome outcome;      /* final outcome */
	bool pending_at_end;          /* capture ended with the lookup unresolved and
				       * its last try inside the answer timeout */
	bool evicted;                 /* closed early by the table cap */
	uint32_t attempts;            /* queries sent: sum of tries' sends */
	uint16_t n_tries, tries_total;
	struct mx_lookup_try tries[MX_LOOKUP_MAX_TRIES];
	uint16_t n_resolvers;
	struct mx_addr resolvers[MX_LOOKUP_MAX_RESOLVERS]; /* in order of first use */
	uint64_t latency_us;          /* first query -> response that decided the
				       * outcome; 0 when no response */
	uint64_t decided_frame;       /* frame of that response, 0 when none */
	bool failover;                /* more than one server asked */
	bool tcp_retry;               /* a UDP TC=1 answer was followed by TCP */
	/* The response that decided the outcome, borrowed for the done callback
	 * only (ANSWER/NODATA/NXDOMAIN/REFERRAL/rcode outcomes when that response
	 * is the message being processed); NULL otherwise. Use for MX targets,
	 * addresses, CNAMEs and SOA. */
	const struct mx_dns_msg *answer;
	/* Digest kept from the deciding response even when `answer` is NULL. */
	uint16_t an_qtype;            /* answer RRs of qtype */
	bool has_soa;
	uint32_t neg_ttl;
	uint16_t ede;                 /* EDE of the deciding response, 0xffff none */
	/* Forwarded: the lookup's first query repeats a question that another
	 * query (from fwd_client to fwd_server) asked at most
	 * MX_LOOKUP_FWD_WINDOW_US earlier, where fwd_server is on this host (a
	 * loopback address, or this lookup's own client address) and is not
	 * the server this lookup asks. This client is then a forwarder (a stub
	 * like systemd-resolved's 127.0.0.53, dnsmasq, unbound or BIND in
	 * forward mode) asking upstream on fwd_client's behalf, seen because the
	 * capture holds both legs (-i any). Only RD=1 lookups are judged. */
	bool forwarded;
	struct mx_addr fwd_client, fwd_server;
	/* Its EXTRA-TEXT (RFC 8914 §2), borrowed for the done callback only
	 * (kept by lookup.c from the response, which is gone by then: SERVFAIL
	 * waits for retries); NULL when it had none. */
	const char *ede_text;
};

static inline uint64_t mx_lookup_client_hash_of(const struct mx_lookup *l)
{
	return l->client_hash ? l->client_hash : mx_txn_client_hash(&l->client);
}

static inline uint64_t mx_lookup_qhash_of(const struct mx_lookup *l)
{
	return l->qhash ? l->qhash : mx_txn_question_hash(&l->qname, l->qtype, l->qclass);
}

/* Whether l sent one query, with the same ID and port, to several servers
 * within 1 ms: musl's stub asks every nameserver at once
 * (captures/lab-musl-*); glibc, c-ares and the others ask one at a time. */
static inline bool mx_lookup_multi_send(const struct mx_lookup *l)
{
	const struct mx_lookup_try *t0 = &l->tries[0];
	for (unsigned i = 1; i < l->n_tries && i < MX_LOOKUP_MAX_TRIES; i++) {
		const struct mx_lookup_try *t = &l->tries[i];
		if (t->q_ts - t0->q_ts >= 1000u)
			break;
		if (t->id == t0->id && t->sport == t0->sport && t->sport && !mx_addr_eq(&t->server, &t0->server))
			return true;
	}
	return false;
}

/* A forwarder sends its upstream query within milliseconds of its client's
 * query; glibc's shortest timeout before asking the next server is 1 s. */
#define MX_LOOKUP_FWD_WINDOW_US 250000u

struct mx_lookup_stats {
	uint64_t lookups;             /* closed lookups */
	uint64_t forwarded;           /* closed lookups that were forwarded */
	uint64_t by_outcome[MX_O__COUNT];
	uint64_t evicted;             /* closed early by the cap */
	uint64_t orphan_results;      /* txn results for lookups already closed */
	uint64_t late_kept;           /* late responses noted on an open lookup's try */
	uint64_t pending_at_end;
};

struct mx_lookup_cb {
	void *ctx;
	void (*done)(void *ctx, const struct mx_lookup *l);
};

struct mx_lookup_opts {
	uint64_t retx_gap_us;        /* default 45 s */
	uint64_t answer_timeout_us;  /* default 5 s (for pending_at_end) */
	size_t max_open;             /* default 65536 */
};

void mx_lookup_opts_default(struct mx_lookup_opts *o);

struct mx_lookup_table;

struct mx_lookup_table *mx_lookup_new(const struct mx_lookup_opts *o, const struct mx_lookup_cb *cb);
void mx_lookup_free(struct mx_lookup_table *t);
/* Wire these to struct mx_txn_cb's query and done. */
void mx_lookup_observe_query(struct mx_lookup_table *t, const struct mx_txn *x, bool retransmit);
void mx_lookup_observe_done(struct mx_lookup_table *t, const struct mx_txn *x);
/* Wire to struct mx_txn_cb's stray: a LATE response with a question is noted
 * on its try (late_frame ...) when the lookup is still open; other strays and
 * late responses to closed lookups are ignored here. */
void mx_lookup_observe_stray(struct mx_lookup_table *t, const struct mx_stray *s);
/* Close lookups idle for retx_gap (and with no open try). */
void mx_lookup_tick(struct mx_lookup_table *t, uint64_t now_us);
/* End of capture: close all, in order of first query. */
void mx_lookup_finish(struct mx_lookup_table *t, uint64_t end_us);
const struct mx_lookup_stats *mx_lookup_peek_stats(const struct mx_lookup_table *t);
size_t mx_lookup_open_count(const struct mx_lookup_table *t);

#endif
