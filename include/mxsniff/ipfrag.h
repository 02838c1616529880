/* ipfrag.h - IPv4 and IPv6 fragment reassembly (L2), used by decode.c.
 *
 * Keyed by (family, src, dst, protocol/next header, identification). Holds at
 * most `max` datagrams in progress, each at most 65535 bytes; the oldest is
 * evicted first (counted). Overlaps that disagree are MALFORMED (RFC 5722 for
 * IPv6: drop the datagram). Datagrams older than the timeout are dropped.
 */
#ifndef MXSNIFF_IPFRAG_H
#define MXSNIFF_IPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxsniff/addr.h"

struct mx_ipfrag;

struct mx_ipfrag_key {
	struct mx_addr src, dst;
	uint32_t id;     /* IPv4: 16-bit ID; IPv6: 32-bit fragment ID */
	uint8_t proto;   /* upper-layer protocol */
};

enum mx_ipfrag_res {
	MX_FRAG_HELD,      /* stored, waiting for more */
	MX_FRAG_DONE,      /* datagram complete: *out and *outlen valid until next call */
	MX_FRAG_BAD,       /* malformed (overlap conflict, too big): datagram dropped */
};

struct mx_ipfrag *mx_ipfrag_new(size_t max, uint64_t timeout_us);
void mx_ipfrag_free(struct mx_ipfrag *f);
/* Add the payload of one fragment at byte offset `off`; `more` = MF flag.
 * On DONE the reassembled upper-layer payload is in *out (owned by f, valid
 * until the next call). */
enum mx_ipfrag_res mx_ipfrag_add(struct mx_ipfrag *f, const struct mx_ipfrag_key *k,
				 uint64_t ts_us, uint32_t off, bool more,
				 const uint8_t *data, size_t len,
				 const uint8_t **out, size_t *outlen);
void mx_ipfrag_tick(struct mx_ipfrag *f, uint64_t now_us);
uint64_t mx_ipfrag_evicted(const struct mx_ipfrag *f);
uint64_t mx_ipfrag_timed_out(const struct mx_ipfrag *f);
size_t mx_ipfrag_count(const struct mx_ipfrag *f);

#endif
