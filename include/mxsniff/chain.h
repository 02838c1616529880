/* chain.h - resolution chains: one sender's MX -> A/AAAA/TLSA lookups for a
 * recipient domain (L4). PATTERNS.md §0.
 *
 * A chain C(S,D) opens with a closed RD=1 MX lookup by sender S for domain D.
 * Member lookups, by S, whose first query falls within chain_window after the
 * MX lookup ended: A/AAAA of every MX exchange (and of names reached from it by
 * CNAME), A/AAAA of D itself (implicit MX when MX was NODATA, or a sender that
 * falls back after NXDOMAIN), and TLSA of _25._tcp.<exchange>. A lookup whose
 * name appears in several open chains of S belongs to each of them. Lookups
 * close in answer order, not query order (a failed MX lookup closes only
 * retx_gap after its last query), so recently closed A/AAAA/TLSA lookups are
 * kept in a bounded ring and attached when their MX lookup closes later.
 *
 * A chain is complete when chain_window (+ retx_gap, so that its member
 * lookups have closed) has passed since the MX lookup ended, or at the end of
 * the capture (then `cut_short` says the window was not over). Its verdict:
 * RESOLVED (some exchange has an address), DEFERRED (a temporary DNS failure
 * decides it), FAILED (NXDOMAIN, null MX, no exchange has an address), or
 * INCOMPLETE (the sender asked no address yet, or the capture ended first).
 *
 * Attempts: a new chain for the same (S,D) starting >= min_retry_gap after the
 * previous one is the next attempt (queue runs); `attempt` numbers them. TCP
 * SYNs from S to port 25 within the window tie the chain to a connection. A
 * chain ends at its SYN: an MX lookup of D asked after it is the next
 * delivery's chain (new_delivery), and an A/AAAA lookup asked after it of an
 * exchange the chain had already asked joins it no more.
 * Tables are bounded (max_open chains, max_history (S,D) pairs), oldest first.
 */
#ifndef MXSNIFF_CHAIN_H
#define MXSNIFF_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"
#include "mxsniff/decode.h"
#include "mxsniff/dname.h"
#include "mxsniff/dns.h"
#include "mxsniff/lookup.h"

#define MX_CHAIN_MAX_HOSTS 8     /* exchanges kept per chain */
#define MX_CHAIN_MAX_ADDRS 8     /* addresses kept per host */
#define MX_CHAIN_MAX_FRAMES 16   /* evidence frames per lookup slot */

enum mx_chain_verdict { MX_CHAIN_RESOLVED, MX_CHAIN_DEFERRED, MX_CHAIN_FAILED, MX_CHAIN_INCOMPLETE };

/* What one lookup slot of a chain saw (MX, or A/AAAA/TLSA of a host). */
struct mx_chain_step {
	bool asked;
	uint16_t sport;                /* the client's source port of the earliest query (0: unknown) */
	enum mx_outcome outcome;       /* best final outcome among the lookups merged here */
	uint16_t lookups;              /* lookups merged into this slot (retries inside the window) */
	uint32_t attempts;             /* queries sent */
	uint64_t first_us, end_us;     /* first query, last merged lookup's last packet */
	uint64_t first_end_us;         /* last packet of the first merged lookup */
	uint64_t latency_us;
	uint16_t rcode;                /* of the deciding response */
	uint16_t ede;                  /* 0xffff none */
	bool timeouts;                 /* some try timed out */
	bool pending;                  /* the capture ended while this slot's lookup was unresolved */
	uint8_t n_resolvers;
	/* some query went over TCP: 1 = after a TC=1 answer (a truncated UDP
	 * answer retried, RFC 7766), 2 = with no TC=1 before (a use-vc
	 * sender); 0 = UDP only */
	uint8_t tcp;
	uint64_t lookup_seq;           /* last lookup merged (beside the other scalars: one cache line) */
	struct mx_addr resolvers[MX_LOOKUP_MAX_RESOLVERS];
	uint16_t n_frames;
	uint64_t frames[MX_CHAIN_MAX_FRAMES];
};

struct mx_chain_host {
	struct mx_dname name;          /* the exchange (or D for implicit MX) */
	uint16_t pref;
	bool implicit;                 /* D itself (no MX, or fallback) */
	bool ip_literal;               /* exchange looks like an IP address */
	struct mx_dname cname;         /* CNAME target seen in an A/AAAA answer (len 0 = none) */
	bool cname_loop;
	uint8_t first_family;          /* 4 or 6: which of A/AAAA S asked first; 0 none */
	struct mx_chain_step a, aaaa, tlsa;
	uint8_t n_addrs;
	struct mx_addr addrs[MX_CHAIN_MAX_ADDRS];
	bool connected;                /* S sent a SYN to one of addrs on port 25 */
	/* An address answered, yet the sender got none: its musl getaddrinfo
	 * (A and AAAA on one port, every query to every nameserver at once)
	 * gave up on the other family's SERVFAIL or missing answer. Set only
	 * on a chain judged DEFERRED for it (no SYN, no other address). */
	bool gai_failed;
};

struct mx_chain {
	uint64_t seq;
	struct mx_addr sender;
	struct mx_dname domain;
	uint32_t attempt;              /* 1-based attempt number for (sender, domain) */
	uint64_t prev_start_us;        /* start of the previous attempt, 0 for the first */
	/* The sender asked MX again after its previous chain for the domain
	 * had connected, sooner than min_retry_gap: another delivery (another
	 * message, another program on the host), not a retry of a failed one.
	 * attempt counts it; retry-gap figures leave it out. */
	bool new_delivery;
	uint64_t start_us, end_us;     /* first query of the MX lookup; last member activity */
	struct mx_chain_step mx;
	uint16_t mx_total;             /* MX RRs in the answer */
	/* An MX whose exchange is "." (the root) names no host. RFC 7505's
	 * null MX is "0 ."; a "." at another preference is judged alike,
	 * as Postfix does (any "." exchange: nullMX, 5.1.0) and Exim does
	 * (lowest MX "." and no usable host: "an MX or SRV record indicated
	 * no SMTP service"); null_mx_pref keeps the preference for the texts. */
	bool null_mx;                  /* only "." exchange(s) */
	bool null_mx_mixed;            /* a "." beside other MX RRs */
	uint16_t null_mx_pref;         /* preference of the (lowest) "." MX */
	struct mx_dname soa_owner;     /* authority SOA owner of a negative MX answer */
	uint32_t neg_ttl;
	uint8_t n_hosts;
	uint8_t hosts_total;           /* exchanges in the answer (beyond MAX are dropped) */
	struct mx_chain_host hosts[MX_CHAIN_MAX_HOSTS];
	enum mx_chain_verdict verdict;
	const char *why;               /* one line: "AAAA SERVFAIL for mx1.example.test, A never asked" */
	bool cut_short;                /* capture ended inside the window */
	bool evicted;                  /* closed early: the open-chain table was full (max_open) */
	bool connected;                /* any SYN to a resolved address */
	/* Still open: a record mx_chain_peek_open() wrote (its window has not
	 * ended; verdict and why as judged at the peek, steps so far). false
	 * for every chain the done callback sees. Placed in padding, as is
	 * open_window_ms: the record's size and layout are those of before. */
	bool open;
	/* A relay chain (--relayhost): the sender's A/AAAA lookups of a relay
	 * host (smarthost: Postfix "relayhost = [host]") it sends all its mail
	 * through, without an MX lookup. domain is the relay host, which is
	 * also the one (implicit) host; mx is never asked. */
	bool relay;
	uint16_t connected_port;       /* where connected_to was: 25, or a relay host's port */
	/* MX lookups of domain.X (X a search domain) that the sender's
	 * res_search() asked after the domain's MX lookup failed, folded into
	 * this chain instead of making chains of their own (at most 255) */
	uint8_t search_lookups;
	struct mx_addr connected_to;
	uint64_t syn_frame;
	uint64_t syn_us;               /* the connecting SYN's time (0 when not connected) */
	uint32_t syn_other;            /* SYNs to port 25 while open that no chain of S explains */
	/* open: the chain closes this long after start_us (its MX lookup's
	 * end + chain_window + retx_gap, as of the peek; UINT32_MAX if later);
	 * 0 when closed */
	uint32_t open_window_ms;
};

struct mx_chain_stats {
	uint64_t chains, resolved, deferred, failed, incomplete;
	uint64_t evicted, history_evicted, lookups_joined, syns;
	uint64_t relay_syns;         /* SYNs to a --relayhost port other than 25 */
};

struct mx_chain_cb {
	void *ctx;
	void (*done)(void *ctx, const struct mx_chain *c);
};

#define MX_CHAIN_MAX_RELAYS 8

struct mx_chain_opts {
	uint64_t chain_window_us;    /* 120 s */
	uint64_t retx_gap_us;        /* 45 s: chain closes window + this after the MX lookup */
	uint64_t min_retry_gap_us;   /* 60 s */
	size_t max_open;             /* 4096 (1 KiB each, allocated as used; more for a big chain) */
	size_t max_history;          /* 16384 (sender, domain) pairs */
	/* --sender: the addresses of one mail server (IPv4 and IPv6). A SYN to
	 * port 25 from one of them is matched against the open chains of all
	 * of them (a dual-stack MTA asks DNS over IPv4 and connects over IPv6).
	 * Empty: a SYN whose source has no open chain is tied to the chains of
	 * the one other sender that resolved its destination, if exactly one
	 * did. */
	struct mx_addr senders[16];
	size_t n_senders;
	/* --relayhost: relay hosts (smarthosts). A sender's A or AAAA lookup
	 * of one that joins no open chain starts a relay chain (struct
	 * mx_chain.relay) or joins the sender's open one for it; one at least
	 * min_retry_gap from that chain's start begins the next attempt. */
	struct mx_dname relays[MX_CHAIN_MAX_RELAYS];
	uint16_t relay_ports[MX_CHAIN_MAX_RELAYS]; /* where the sender connects: a SYN to an
						    * address of the relay chain on this port
						    * (0: 25) ties it */
	size_t n_relays;
};

void mx_chain_opts_default(struct mx_chain_opts *o);

struct mx_chain_table;

struct mx_chain_table *mx_chain_new(const struct mx_chain_opts *o, const struct mx_chain_cb *cb);
void mx_chain_free(struct mx_chain_table *t);
/* Every closed lookup (only RD=1 ones matter). */
void mx_chain_observe_lookup(struct mx_chain_table *t, const struct mx_lookup *l);
/* TCP control segments (SYN to port 25). */
void mx_chain_observe_tcp(struct mx_chain_table *t, const struct mx_tcpctl *s);

/* The start of struct mx_chain_table, read by the inline mx_chain_tick():
 * the clock (latest time seen) and a lower bound on the time the oldest
 * open chain closes (UINT64_MAX with none open), so that a tick with
 * nothing due costs a compare and no call. */
struct mx_chain_clock {
	uint64_t now;
	uint64_t due;
};

/* Closes the chains due at the clock (mx_chain_tick's out-of-line part). */
void mx_chain_tick_due(struct mx_chain_table *t);

/* Advance the clock to now_us (it never goes back) and close the chains
 * whose window and retransmission gap have passed, oldest first. */
static inline void mx_chain_tick(struct mx_chain_table *t, uint64_t now_us)
{
	struct mx_chain_clock *k = (struct mx_chain_clock *)(void *)t;
	if (now_us > k->now)
		k->now = now_us;
	if (k->now >= k->due)
		mx_chain_tick_due(t);
}
void mx_chain_finish(struct mx_chain_table *t, uint64_t end_us);
/* Open chains right now. */
size_t mx_chain_open_count(const struct mx_chain_table *t);
/* Write the open chains, the most recently started first, at most max of
 * them, into out[0..] as the records the done callback would get if they
 * closed now (cut_short and evicted false), marked open (with
 * open_window_ms); the number written. Reads the table only: no state
 * changes, so the chains close later exactly as without the peek. Each
 * record written is cleared first (out need not be zeroed). Costs one
 * record build per chain written: for a display, not per packet. */
size_t mx_chain_peek_open(const struct mx_chain_table *t, struct mx_chain *out, size_t max);
const struct mx_chain_stats *mx_chain_peek_stats(const struct mx_chain_table *t);
const char *mx_chain_verdict_name(enum mx_chain_verdict v); /* "resolved", ... */

/* Whether the sender asked the exchange's A and AAAA in parallel
 * (getaddrinfo, c-ares) rather than one family after the other: both asked,
 * the second family's first query within 5 ms of the first family's, and
 * either before the first family's first lookup ended or from the same
 * client port. A sequential client opens a new socket for each query
 * (glibc res_query, OpenBSD asr) and, on a fast resolver, sends its second
 * query microseconds after the first answer; c-ares sends both families on
 * one socket, and the first answer may be captured before the second query
 * leaves. */
bool mx_chain_host_parallel(const struct mx_chain_host *h);

#endif
