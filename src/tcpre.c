/* tcpre.c - DNS-over-TCP stream reassembly (L2), used by decode.c.
 *
 * What it does: keeps one flow per direction (src, sport, dst, dport) in a
 * bounded hash table with LRU eviction. Each flow has a window of stream
 * bytes starting at `base`, a sequence number that is always a DNS message
 * boundary, and a sorted list of the byte ranges present in the window. The
 * contiguous bytes from base are cut into messages by their 2-byte length
 * prefix (RFC 1035 §4.2.2, RFC 7766 §8), however segments split them.
 * Sequence numbers are compared modulo 2^32 (RFC 9293 §3.4).
 *
 * - SYN gives the initial sequence number (data starts at ISN+1).
 * - No SYN seen (capture started mid-connection): the flow synchronises on
 *   the first segment whose payload starts like a prefix + DNS header
 *   (length >= 12; opcode and QDCOUNT sane when visible); counted midstream.
 * - Data already consumed or already present: retransmission, dropped.
 * - Data beyond a hole: held (out of order) up to max_flow_bytes per flow.
 * - A hole that never fills (held bytes would exceed the cap, or data waited
 *   behind it for TCPRE_GAP_US of capture time, or FIN came): counted gap; we
 *   resynchronise on held data when it starts like a message, else drop and
 *   wait for the next plausible segment.
 * - A prefix < 12 cannot start a DNS message: bad_prefix, drop, resync.
 * - A segment cut by the snap length (wire_len > len): complete messages are
 *   delivered, the one the cut ends in is delivered partial (if a partial
 *   callback is set), and we stay in step if we know where it ends.
 * - FIN frees the flow (after its data); RST frees both directions; idle
 *   flows expire.
 *
 * What it does not do: parse DNS beyond the prefix, look at ACK numbers,
 * windows or checksums, or allocate per segment (one window buffer per flow,
 * kept for reuse when small).
 */
#include "mxsniff/tcpre.h"

#include <stdlib.h>
#include <string.h>

#define TCPRE_RANGES 16
#define TCPRE_GAP_US 3000000u  /* data waits this long behind a hole */
#define TCPRE_KEEP_BUF 4096u   /* a freed flow keeps a window this small */
#define TCPRE_OLD_SYN (1u << 30)
#define NIL UINT32_MAX
#define TCPRE_SEED 0x6d7874637072652bull

struct tcp_range {
	uint32_t a, b; /* [a, b) present, relative to base */
};

struct flow {
	struct mx_addr src, dst;
	uint16_t sport, dport;
	uint64_t hash;
	uint64_t last_ts;
	uint64_t hole_ts;   /* when data first waited behind a hole (0 = none) */
	bool used;
	bool have_seq;      /* synchronised: base is a message boundary */
	bool ever_synced;
	bool lost;          /* [lost_seq, base) was cut by the capture */
	uint32_t base;
	uint32_t lost_seq;
	uint8_t *win;
	size_t cap;
	struct tcp_range r[TCPRE_RANGES];
	unsigned nr;
	uint32_t hnext;      /* hash chain / free list */
	uint32_t prev, next; /* LRU: most recent at head */
};

struct mx_tcpre {
	struct flow *fl;
	size_t max;
	uint32_t *bucket;
	size_t nbucket;
	uint32_t head, tail, freelist;
	size_t count;
	size_t max_bytes;
	uint64_t idle_us;
	mx_tcpre_msg_fn fn;
	mx_tcpre_partial_fn pfn;
	void *ctx;
	struct mx_tcpre_stats st;
};

struct mx_tcpre *mx_tcpre_new(size_t max_flows, size_t max_flow_bytes, uint64_t idle_us,
			      mx_tcpre_msg_fn fn, void *ctx)
{
	if (max_flows == 0)
		max_flows = 1;
	if (max_flows > (1u << 20))
		max_flows = 1u << 20;
	if (max_flow_bytes < 14)
		max_flow_bytes = 14;
	if (max_flow_bytes > (1u << 30))
		max_flow_bytes = 1u << 30;
	struct mx_tcpre *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max_flows;
	t->nbucket = 16;
	while (t->nbucket < max_flows * 2)
		t->nbucket <<= 1;
	t->fl = calloc(max_flows, sizeof(*t->fl));
	t->bucket = malloc(t->nbucket * sizeof(*t->bucket));
	if (!t->fl || !t->bucket) {
		free(t->fl);
		free(t->bucket);
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < t->nbucket; i++)
		t->bucket[i] = NIL;
	for (size_t i = 0; i < max_flows; i++)
		t->fl[i].hnext = i + 1 < max_flows ? (uint32_t)(i + 1) : NIL;
	t->freelist = 0;
	t->head = t->tail = NIL;
	t->max_bytes = max_flow_bytes;
	t->idle_us = idle_us;
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

void mx_tcpre_free(struct mx_tcpre *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->max; i++)
		free(t->fl[i].win);
	free(t->fl);
	free(t->bucket);
	free(t);
}

void mx_tcpre_set_partial_fn(struct mx_tcpre *t, mx_tcpre_partial_fn fn)
{
	t->pfn = fn;
}

/* ---- window ---------------------------------------------------------- */

static size_t held(const struct flow *f)
{
	size_t n = 0;
	for (unsigned i = 0; i < f->nr; i++)
		n += f->r[i].b - f->r[i].a;
	return n;
}

static size_t contig(const struct flow *f)
{
	return f->nr && f->r[0].a == 0 ? f->r[0].b : 0;
}

static bool has_hole(const struct flow *f)
{
	return f->nr > 1 || (f->nr == 1 && f->r[0].a > 0);
}

/* Drop the first k window bytes (present or not) and move base past them. */
static void consume(struct flow *f, size_t k)
{
	if (k == 0)
		return;
	size_t ext = f->nr ? f->r[f->nr - 1].b : 0;
	unsigned n = 0;
	if (k < ext) {
		memmove(f->win, f->win + k, ext - k);
		for (unsigned i = 0; i < f->nr; i++) {
			if (f->r[i].b <= k)
				continue;
			uint32_t a = f->r[i].a > k ? (uint32_t)(f->r[i].a - k) : 0;
			f->r[n].a = a;
			f->r[n].b = (uint32_t)(f->r[i].b - k);
			n++;
		}
	}
	f->nr = n;
	f->base += (uint32_t)k;
	if (!has_hole(f))
		f->hole_ts = 0;
}

static void drop_window(struct mx_tcpre *t, struct flow *f)
{
	t->st.bytes_dropped += held(f);
	f->nr = 0;
	f->hole_ts = 0;
}

static void unsync(struct mx_tcpre *t, struct flow *f)
{
	drop_window(t, f);
	f->have_seq = false;
	f->lost = false;
}

static bool grow(struct mx_tcpre *t, struct flow *f, size_t need)
{
	if (need <= f->cap)
		return true;
	size_t cap = f->cap ? f->cap : 512;
	while (cap < need)
		cap *= 2;
	if (cap > t->max_bytes)
		cap = t->max_bytes;
	uint8_t *nb = realloc(f->win, cap);
	if (!nb)
		return false;
	f->win = nb;
	f->cap = cap;
	return true;
}

static bool covered(const struct flow *f, size_t a, size_t b)
{
	for (unsigned i = 0; i < f->nr; i++)
		if (f->r[i].a <= a && b <= f->r[i].b)
			return true;
	return false;
}

static bool add_range(struct flow *f, uint32_t a, uint32_t b)
{
	struct tcp_range out[TCPRE_RANGES + 2];
	unsigned n = 0;
	bool placed = false;
	for (unsigned i = 0; i < f->nr; i++) {
		struct tcp_range x = f->r[i];
		if (x.b < a) {
			out[n++] = x;
		} else if (x.a > b) {
			if (!placed) {
				out[n++] = (struct tcp_range){ a, b };
				placed = true;
			}
			out[n++] = x;
		} else {
			if (x.a < a)
				a = x.a;
			if (x.b > b)
				b = x.b;
		}
		if (n > TCPRE_RANGES)
			return false;
	}
	if (!placed)
		out[n++] = (struct tcp_range){ a, b };
	if (n > TCPRE_RANGES)
		return false;
	memcpy(f->r, out, n * sizeof(out[0]));
	f->nr = n;
	return true;
}

/* Does p start like a DNS-over-TCP message? RFC 7766 §8 prefix, then an
 * RFC 1035 §4.1.1 header: opcode assigned (0-2, 4-6), QDCOUNT 0 or 1. */
static bool plausible(const uint8_t *p, size_t n)
{
	if (n < 2)
		return false;
	size_t len = (size_t)p[0] << 8 | p[1];
	if (len < 12)
		return false;
	if (n >= 2 + 12) {
		unsigned opcode = (p[4] >> 3) & 0x0f;
		unsigned qd = (unsigned)p[6] << 8 | p[7];
		if (opcode == 3 || opcode > 6 || qd > 1)
			return false;
	}
	return true;
}

static size_t prefix_at(const struct flow *f, size_t off)
{
	return (size_t)f->win[off] << 8 | f->win[off + 1];
}

/* Deliver every complete message from base; keep the rest. */
static int drain(struct mx_tcpre *t, struct flow *f, const struct mx_tcp_seg *s)
{
	int n = 0;
	size_t off = 0, c = contig(f);
	while (c - off >= 2) {
		size_t len = prefix_at(f, off);
		if (len < 12) {
			t->st.bad_prefix++;
			consume(f, off);
			unsync(t, f);
			return n;
		}
		if (len + 2 > t->max_bytes) { /* can never fit: stream lost */
			t->st.gap++;
			consume(f, off);
			unsync(t, f);
			return n;
		}
		if (c - off - 2 < len)
			break;
		if (t->fn)
			t->fn(t->ctx, s, f->win + off + 2, len);
		n++;
		off += 2 + len;
	}
	consume(f, off);
	return n;
}

/* Bytes present in [0, k). */
static size_t held_before(const struct flow *f, size_t k)
{
	size_t n = 0;
	for (unsigned i = 0; i < f->nr; i++) {
		size_t a = f->r[i].a, b = f->r[i].b < k ? f->r[i].b : k;
		if (a < b)
			n += b - a;
	}
	return n;
}

/* Try to continue at window offset `at`: it must be present and start a
 * plausible message. */
static bool resync_at(struct mx_tcpre *t, struct flow *f, size_t at, uint64_t ts)
{
	for (unsigned i = 0; i < f->nr; i++) {
		if (f->r[i].a <= at && at < f->r[i].b) {
			if (!plausible(f->win + at, f->r[i].b - at))
				return false;
			t->st.bytes_dropped += held_before(f, at);
			consume(f, at);
			if (has_hole(f))
				f->hole_ts = ts ? ts : 1;
			return true;
		}
	}
	return false;
}

/* A hole will not fill: give up on it, continue on held data if it starts
 * like a message (first where the unfinished message should end, then at
 * the first held range), else wait for the next plausible segment. */
static int gap(struct mx_tcpre *t, struct flow *f, const struct mx_tcp_seg *s)
{
	t->st.gap++;
	size_t c = contig(f);
	if (c >= 2 && resync_at(t, f, 2 + prefix_at(f, 0), s->ts_us))
		return drain(t, f, s);
	for (unsigned i = 0; i < f->nr; i++) {
		if (f->r[i].a > c) {
			if (resync_at(t, f, f->r[i].a, s->ts_us))
				return drain(t, f, s);
			break;
		}
	}
	unsync(t, f);
	return 0;
}

/* The capture cut the segment: stream bytes up to sequence `wend` exist on
 * the wire but not here. */
static int cut_tail(struct mx_tcpre *t, struct flow *f, const struct mx_tcp_seg *s, uint32_t wend)
{
	int32_t we = (int32_t)(wend - f->base);
	size_t c = contig(f);
	if (we <= 0 || c >= (size_t)we)
		return 0; /* what was cut is here anyway (or long consumed) */
	int n = 0;
	if (c >= 2) {
		size_t len = prefix_at(f, 0); /* >= 12: drain checked it */
		if (t->pfn) {
			t->pfn(t->ctx, s, f->win + 2, c - 2, len);
			n = 1;
		}
		if (2 + len >= (size_t)we) {
			/* The message ends after the lost bytes: stay in step. */
			f->lost = true;
			f->lost_seq = f->base + (uint32_t)c;
			consume(f, 2 + len);
			if (has_hole(f) && !f->hole_ts)
				f->hole_ts = s->ts_us ? s->ts_us : 1;
			return n;
		}
		consume(f, c);
	}
	unsync(t, f); /* the next message boundary was lost */
	return n;
}

/* Place payload bytes [seq0, seq0+len0) of a segment (wire0 bytes on the
 * wire) into the flow and deliver what completes. */
static int place(struct mx_tcpre *t, struct flow *f, const struct mx_tcp_seg *s, uint32_t seq0,
		 const uint8_t *data0, size_t len0, size_t wire0)
{
	int n = 0;

	if (f->have_seq && f->hole_ts && s->ts_us > f->hole_ts &&
	    s->ts_us - f->hole_ts > TCPRE_GAP_US)
		n += gap(t, f, s);
	for (int pass = 0;; pass++) {
		const uint8_t *data = data0;
		size_t len = len0, wire = wire0;
		uint32_t dseq = seq0;
		bool retrans = false;

		if (!f->have_seq) {
			if (!plausible(data, len) || len > t->max_bytes) {
				t->st.bytes_dropped += len;
				return n;
			}
			f->have_seq = true;
			f->base = dseq;
			f->nr = 0;
			f->lost = false;
			if (!f->ever_synced)
				t->st.midstream++;
			f->ever_synced = true;
		}

		int32_t rel = (int32_t)(dseq - f->base);
		if (rel < 0) { /* starts before base: (partly) already consumed */
			size_t back = (size_t)(-(int64_t)rel);
			bool quiet = f->lost && (int32_t)(dseq - f->lost_seq) >= 0;
			if (!quiet)
				retrans = true;
			if (back >= wire) {
				if (retrans)
					t->st.retrans++;
				return n;
			}
			if (back >= len) {
				data += len;
				len = 0;
			} else {
				data += back;
				len -= back;
			}
			wire -= back;
			dseq = f->base;
			rel = 0;
		}
		size_t at = (size_t)rel;

		if (at + len > t->max_bytes) {
			/* Cannot hold this: whatever we waited for is not coming. Try
			 * the held data first, then this segment. */
			if (pass == 0 && f->nr > 0) {
				n += gap(t, f, s);
				continue;
			}
			if (pass == 0)
				t->st.gap++;
			unsync(t, f);
			if (retrans || !plausible(data, len) || len > t->max_bytes) {
				t->st.bytes_dropped += len;
				return n;
			}
			f->have_seq = true;
			f->base = dseq;
			at = 0;
		}

		bool cut = wire > len;
		if (at > contig(f)) {
			t->st.out_of_order++;
			if (cut) { /* a cut segment beyond a hole is of no use */
				t->st.bytes_dropped += len;
				return n;
			}
			if (!f->hole_ts)
				f->hole_ts = s->ts_us ? s->ts_us : 1;
		}
		if (len) {
			if (covered(f, at, at + len)) {
				retrans = true;
			} else if (!grow(t, f, at + len) ||
				   !add_range(f, (uint32_t)at, (uint32_t)(at + len))) {
				t->st.bytes_dropped += len;
				return n;
			} else {
				memcpy(f->win + at, data, len);
			}
		}
		if (retrans)
			t->st.retrans++;
		n += drain(t, f, s);
		if (cut && f->have_seq)
			n += cut_tail(t, f, s, dseq + (uint32_t)wire);
		return n;
	}
}

/* ---- flow table ------------------------------------------------------- */

static uint64_t flow_hash(const struct mx_addr *src, uint16_t sport, const struct mx_addr *dst,
			  uint16_t dport)
{
	uint8_t ports[4] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
			     (uint8_t)dport };
	uint64_t h = mx_addr_hash(src, TCPRE_SEED);
	h = mx_addr_hash(dst, h);
	return mx_hash_bytes(ports, sizeof(ports), h);
}

static uint32_t find(const struct mx_tcpre *t, const struct mx_addr *src, uint16_t sport,
		     const struct mx_addr *dst, uint16_t dport, uint64_t h)
{
	for (uint32_t i = t->bucket[h & (t->nbucket - 1)]; i != NIL; i = t->fl[i].hnext) {
		const struct flow *f = &t->fl[i];
		if (f->hash == h && f->sport == sport && f->dport == dport &&
		    mx_addr_eq(&f->src, src) && mx_addr_eq(&f->dst, dst))
			return i;
	}
	return NIL;
}

static void lru_unlink(struct mx_tcpre *t, uint32_t i)
{
	struct flow *f = &t->fl[i];
	if (f->prev != NIL)
		t->fl[f->prev].next = f->next;
	else
		t->head = f->next;
	if (f->next != NIL)
		t->fl[f->next].prev = f->prev;
	else
		t->tail = f->prev;
}

static void lru_push(struct mx_tcpre *t, uint32_t i)
{
	struct flow *f = &t->fl[i];
	f->prev = NIL;
	f->next = t->head;
	if (t->head != NIL)
		t->fl[t->head].prev = i;
	else
		t->tail = i;
	t->head = i;
}

static void release(struct mx_tcpre *t, uint32_t i)
{
	struct flow *f = &t->fl[i];
	t->st.bytes_dropped += held(f);
	f->nr = 0;
	uint32_t *pp = &t->bucket[f->hash & (t->nbucket - 1)];
	while (*pp != i)
		pp = &t->fl[*pp].hnext;
	*pp = f->hnext;
	lru_unlink(t, i);
	if (f->cap > TCPRE_KEEP_BUF) {
		free(f->win);
		f->win = NULL;
		f->cap = 0;
	}
	f->used = false;
	f->hnext = t->freelist;
	t->freelist = i;
	t->count--;
}

static uint32_t alloc_flow(struct mx_tcpre *t, const struct mx_tcp_seg *s, uint64_t h)
{
	if (t->freelist == NIL) {
		release(t, t->tail); /* least recently used */
		t->st.flows_evicted++;
	}
	uint32_t i = t->freelist;
	struct flow *f = &t->fl[i];
	t->freelist = f->hnext;
	uint8_t *win = f->win;
	size_t cap = f->cap;
	memset(f, 0, sizeof(*f));
	f->win = win;
	f->cap = cap;
	f->src = s->src;
	f->dst = s->dst;
	f->sport = s->sport;
	f->dport = s->dport;
	f->hash = h;
	f->used = true;
	f->last_ts = s->ts_us;
	size_t b = h & (t->nbucket - 1);
	f->hnext = t->bucket[b];
	t->bucket[b] = i;
	lru_push(t, i);
	t->count++;
	return i;
}

void mx_tcpre_tick(struct mx_tcpre *t, uint64_t now_us)
{
	while (t->tail != NIL) {
		const struct flow *f = &t->fl[t->tail];
		if (now_us < f->last_ts || now_us - f->last_ts <= t->idle_us)
			break;
		release(t, t->tail);
	}
}

int mx_tcpre_add(struct mx_tcpre *t, const struct mx_tcp_seg *s)
{
	mx_tcpre_tick(t, s->ts_us);
	size_t len = s->data ? s->len : 0;
	size_t wire = s->wire_len > len ? s->wire_len : len;
	uint64_t h = flow_hash(&s->src, s->sport, &s->dst, s->dport);
	uint32_t i = find(t, &s->src, s->sport, &s->dst, s->dport, h);

	if (s->rst) { /* RFC 9293 §3.10.7: the connection is gone, both ways */
		if (i != NIL)
			release(t, i);
		uint64_t hr = flow_hash(&s->dst, s->dport, &s->src, s->sport);
		uint32_t j = find(t, &s->dst, s->dport, &s->src, s->sport, hr);
		if (j != NIL)
			release(t, j);
		return 0;
	}
	if (i == NIL) {
		if (!s->syn && wire == 0)
			return 0; /* pure ACK or FIN on a flow we do not follow */
		i = alloc_flow(t, s, h);
	} else {
		lru_unlink(t, i);
		lru_push(t, i);
	}
	struct flow *f = &t->fl[i];
	if (s->ts_us > f->last_ts)
		f->last_ts = s->ts_us;

	uint32_t dseq = s->seq;
	if (s->syn) {
		/* RFC 9293 §3.4: the SYN occupies ISN; data starts at ISN+1. */
		uint32_t isn1 = s->seq + 1;
		bool old = f->have_seq && (uint32_t)(f->base - isn1) < TCPRE_OLD_SYN;
		if (!old) {
			unsync(t, f);
			f->have_seq = true;
			f->ever_synced = true;
			f->base = isn1;
		}
		dseq = isn1;
	}
	int n = 0;
	if (wire)
		n = place(t, f, s, dseq, s->data, len, wire);
	if (s->fin) {
		if (has_hole(f))
			t->st.gap++;
		release(t, i);
	}
	return n;
}

const struct mx_tcpre_stats *mx_tcpre_peek_stats(const struct mx_tcpre *t)
{
	return &t->st;
}

size_t mx_tcpre_flows(const struct mx_tcpre *t)
{
	return t->count;
}
