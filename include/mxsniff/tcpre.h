/* tcpre.h - DNS-over-TCP stream reassembly (L2), used by decode.c.
 *
 * One flow per direction (src, sport, dst, dport). Segments are placed by
 * sequence number: retransmissions are dropped, out-of-order segments are held
 * (bounded per flow), and the in-order byte stream is cut into DNS messages by
 * their 2-byte length prefix (RFC 7766 §8), also when a prefix is split across
 * segments or several messages share one segment. A stream joined mid-way (no
 * SYN seen) is synchronised on the first segment whose payload starts with a
 * plausible prefix + DNS header. A gap (lost segment) resynchronises the same
 * way. Flows are bounded in number (oldest evicted) and bytes (counted).
 */
#ifndef MXSNIFF_TCPRE_H
#define MXSNIFF_TCPRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"

struct mx_tcpre;

struct mx_tcp_seg {
	uint64_t ts_us, frame;
	struct mx_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq;
	bool syn, fin, rst;
	const uint8_t *data; /* payload (borrowed) */
	size_t len;
	size_t wire_len;     /* payload bytes on the wire; 0 or <= len: all captured.
			      * > len: the capture cut the segment (snaplen) */
};

struct mx_tcpre_stats {
	uint64_t retrans, out_of_order, gap, midstream, flows_evicted, bytes_dropped, bad_prefix;
};

/* Called for each complete DNS message (without its prefix); bytes borrowed.
 * `frame`/`ts_us` are those of the segment that completed the message. */
typedef void (*mx_tcpre_msg_fn)(void *ctx, const struct mx_tcp_seg *seg,
				const uint8_t *msg, size_t len);

/* Called for a message the capture cut short (a segment with wire_len > len
 * ended inside it): len bytes of a message whose prefix said wire_len. */
typedef void (*mx_tcpre_partial_fn)(void *ctx, const struct mx_tcp_seg *seg,
				    const uint8_t *msg, size_t len, size_t wire_len);

struct mx_tcpre *mx_tcpre_new(size_t max_flows, size_t max_flow_bytes, uint64_t idle_us,
			      mx_tcpre_msg_fn fn, void *ctx);
void mx_tcpre_free(struct mx_tcpre *t);
/* Optional: also deliver messages cut by the capture (default: none). */
void mx_tcpre_set_partial_fn(struct mx_tcpre *t, mx_tcpre_partial_fn fn);
/* Feed one segment; returns the number of DNS messages it completed (partial
 * ones included). */
int mx_tcpre_add(struct mx_tcpre *t, const struct mx_tcp_seg *s);
void mx_tcpre_tick(struct mx_tcpre *t, uint64_t now_us);
const struct mx_tcpre_stats *mx_tcpre_peek_stats(const struct mx_tcpre *t);
size_t mx_tcpre_flows(const struct mx_tcpre *t);

#endif
