/* dns.c - DNS message bytes -> struct mx_dns_msg (L3); outcomes; mnemonics.
 *
 * What it does:
 *  - mx_dns_parse(): the hot path. Reads a message with the bounds-checked
 *    reader (rd.h) into the flat struct: header (RFC 1035 §4.1.1), question
 *    (§4.1.2), resource records (§4.1.3), names (§4.1.4), EDNS OPT (RFC 6891)
 *    with the Extended DNS Error option (RFC 8914). No allocation, no text.
 *  - mx_dns_parse_ldns(): the same fields through ldns (the reference decoder
 *    for the differential test and the fuzz target). Slow; never hot.
 *  - mx_dns_outcome(): PATTERNS.md §0 order of checks.
 *  - mnemonics for types, classes, rcodes (via ldns tables) and EDE codes.
 * What it does not: transport, matching, any state across messages. Nothing
 * of ldns leaves this file.
 *
 * The fast path reads the bytes through rd.h, validating every section and
 * digesting authority and additional as it goes. Answers are digested in the
 * same pass while the chain end is the question name (no CNAME record so
 * far, or a CNAME question); a kept MX exchange is copied by the walk that
 * validates it. Only when the answers hold a CNAME does a second pass walk
 * the answers already validated to follow the chain (by name, not by
 * position) and collect what the chain end owns, comparing owners in place;
 * a MALFORMED message keeps no digest. Record owners that are the root (OPT)
 * or a pointer straight to a pointer-free question name are judged without
 * a walk; an SOA's serial and minimum are read from the end of its RDATA.
 * Names are walked with one compare per label (bytes left and the 255-byte
 * limit in one), copied a contiguous run at a time and lowercased 16 bytes
 * (SSE2) or 8 bytes at a time; a pointer to a name this message already
 * validated (an owner pointing at the question) is checked against that
 * name's recorded length and pointer count instead of being walked again
 * (same rules, same result).
 * Measured on the (shared) development machine at -O2: ~25 ns for a query,
 * ~40 ns for an AAAA answer, ~105 ns for a two-MX answer with OPT; the ldns
 * path takes 10-20x as long on the same bytes.
 *
 * Validation scope (both decoders apply the same rules):
 *  - Framing is checked everywhere: every name, every RR header, and every
 *    RDLENGTH must lie inside the message. RDATA is checked only for the types
 *    we read: A (4 bytes), AAAA (16), CNAME, PTR, MX, SOA (their names and
 *    fixed fields must fill RDLENGTH exactly) and OPT in the additional section
 *    (owner must be the root, at most one, option TLVs must fill RDATA,
 *    RFC 6891 §6.1.1-6.1.2). Other RDATA is skipped by RDLENGTH, as stub
 *    resolvers do; a broken TXT next to a good MX answer is not MALFORMED.
 *  - Names: compression pointers must point strictly before the pointer
 *    itself and past the 12-byte header; at most MX_DNS_MAX_HOPS pointers per
 *    name; label types 0x40/0x80 are rejected (RFC 6891 §5 retired extended
 *    labels); a name may not exceed 255 bytes (RFC 1035 §2.3.4). Loops always
 *    end in one of these rules, so a loop is MALFORMED.
 *  - Running out of bytes: TRUNCATED (partial=true, what parsed is kept) when
 *    the capture cut the message (len < wire_len) or the server set TC=1
 *    (RFC 1035 §4.1.1; old servers cut at 512 bytes keeping the counts);
 *    otherwise MALFORMED (counts exceed records, RDLENGTH overrun). An RDLENGTH
 *    that reaches past the real message size (wire_len) is MALFORMED even in a
 *    cut capture. Bytes after the last section are ignored (OK).
 *  - NOT_DNS only for what clearly is not DNS: fewer than 12 bytes on the
 *    wire, opcode > 6, QDCOUNT > 4, counts that would need more than four
 *    times the message size (each RR is at least 11 bytes, a question 5), or a
 *    query (QR=0, opcode != DSO) with QDCOUNT 0, no OPT and more than a bare
 *    header. A cookie-only query (RFC 7873 §5.4: only an OPT) is DNS, and so
 *    is a header-only query (12 bytes, all counts 0): servers answer it
 *    (FORMERR), and that answer is DNS, so its query is too.
 *  - An EDE option shorter than its 2-byte INFO-CODE is ignored; the first
 *    EDE option is kept; EXTRA-TEXT is cut to MX_DNS_EDE_TEXT-1 bytes and every
 *    byte outside 0x20..0x7e becomes '?'.
 *
 * Reference decoder and the verdict mapping: ldns_wire2pkt() accepts things
 * our rules reject (forward pointers, RDATA longer than its fields: ldns then
 * reads the next record from the wrong place) and rejects things we accept
 * (bad RDATA of types we skip), and it reports no positions. So
 * mx_dns_parse_ldns() takes the header through ldns_wire2pkt() and the ldns
 * header macros, decodes every record with ldns_wire2rr() (the routine
 * ldns_wire2pkt() runs per record) and only adds the policy above: a record
 * must end where its RDLENGTH says, the pointer rules, and the RDATA scope.
 * EDNS values come from the ldns_pkt accessors and ldns' option parser. On
 * any failure the ldns path cannot tell "ran out" from "contradiction", so it
 * says TRUNCATED when len < wire_len or TC=1, else MALFORMED, where the fast
 * path may say the other one. Guarantee: for every input, both decoders give
 * OK, or both give not-OK; when both give OK every field agrees.
 */
#include "mxsniff/dns.h"

#include "mxsniff/decode.h"
#include "mxsniff/rd.h"

#include <ldns/ldns.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MX_DNS_MAX_HOPS 127  /* pointers per name: a legal name has <= 127 labels */
#define HDR_LEN 12

enum { NM_OK = 0, NM_SHORT, NM_BAD };   /* name/record read status */
enum { SEC_QD = 0, SEC_AN, SEC_NS, SEC_AR };

/* ------------------------------------------------------------------------ */
/* shared policy (header level, applied by both decoders)                     */

/* The question fields, as msg_reset_body() leaves them. */
static inline void msg_reset_question(struct mx_dns_msg *m)
{
	m->has_question = false;
	m->qname.len = 0;
	m->qname.labels = 0;
	m->qname_0x20 = 0;
	m->qtype = m->qclass = 0;
}

/* The OPT values, as msg_reset_body() leaves them. */
static inline void msg_reset_opt_values(struct mx_dns_msg *m)
{
	m->edns_payload = 0;
	m->edns_version = 0;
	m->edns_do = false;
}

/* Everything after the header but the question and the OPT values (which
 * the fast path writes only where it does not set them otherwise). */
static inline void msg_reset_rest(struct mx_dns_msg *m)
{
	m->edns = false;
	m->has_ede = false;
	m->ede_code = 0;
	m->ede_text[0] = '\0';
	m->an_parsed = m->an_qtype = m->an_other = 0;
	m->n_cname = 0;
	m->cname_loop = false;
	m->n_mx = m->mx_total = 0;
	m->n_addr = m->addr_total = 0;
	m->ptr.len = 0;
	m->ptr.labels = 0;
	m->min_ttl = 0;
	m->has_soa = false;
	m->soa_owner.len = 0;
	m->soa_owner.labels = 0;
	m->soa_ttl = m->soa_serial = m->soa_minimum = m->neg_ttl = 0;
	m->ns_auth = 0;
	m->verdict = MX_DNS_OK;
}

/* Everything after the header counts. */
static inline void msg_reset_body(struct mx_dns_msg *m)
{
	msg_reset_question(m);
	msg_reset_opt_values(m);
	msg_reset_rest(m);
}

static void msg_reset(struct mx_dns_msg *m, size_t wire_len)
{
	m->wire_len = wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)wire_len;
	m->id = 0;
	m->opcode = 0;
	m->rcode = 0;
	m->qr = m->aa = m->tc = m->rd = m->ra = m->ad = m->cd = false;
	m->partial = false;
	m->has_header = false;
	m->qdcount = m->ancount = m->nscount = m->arcount = 0;
	msg_reset_body(m);
}

/* Header checks before the sections (RFC 1035 §4.1.1; opcodes per IANA: 0-6). */
static bool header_not_dns(const struct mx_dns_msg *m, size_t wire_len)
{
	if (m->opcode > 6 || m->qdcount > 4)
		return true;
	uint64_t need = HDR_LEN + 5ull * m->qdcount +
			11ull * ((uint64_t)m->ancount + m->nscount + m->arcount);
	return need > 4ull * wire_len + 64;
}

/* After the sections: a query without a question and without OPT, unless
 * it is a bare 12-byte header with every count 0 (a probe or a junk query
 * that servers answer FORMERR: both sides count as DNS). */
static bool query_not_dns(const struct mx_dns_msg *m)
{
	bool header_only = m->wire_len == HDR_LEN && (m->ancount | m->nscount | m->arcount) == 0;
	return !m->qr && m->qdcount == 0 && m->opcode != 6 && !m->edns && !header_only;
}

static void ede_text_set(struct mx_dns_msg *m, const uint8_t *p, size_t n)
{
	if (n > MX_DNS_EDE_TEXT - 1)
		n = MX_DNS_EDE_TEXT - 1;
	for (size_t i = 0; i < n; i++)
		m->ede_text[i] = (p[i] >= 0x20 && p[i] <= 0x7e) ? (char)p[i] : '?';
	m->ede_text[n] = '\0';
}

static bool is_read_type(uint16_t type, int sec)
{
	switch (type) {
	case MX_TYPE_A:
	case MX_TYPE_AAAA:
	case MX_TYPE_CNAME:
	case MX_TYPE_PTR:
	case MX_TYPE_MX:
	case MX_TYPE_SOA:
		return true;
	case MX_TYPE_OPT:
		return sec == SEC_AR;
	default:
		return false;
	}
}

static bool kept_type(uint16_t t)
{
	return t == MX_TYPE_A || t == MX_TYPE_AAAA || t == MX_TYPE_MX || t == MX_TYPE_CNAME;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool dn_eq(const struct mx_dname *x, const struct mx_dname *y)
{
	return x->len == y->len && memcmp(x->wire, y->wire, x->len) == 0;
}

static inline void dn_copy(struct mx_dname *d, const struct mx_dname *s)
{
	d->len = s->len;
	d->labels = s->labels;
	memcpy(d->wire, s->wire, s->len);
}

/* ------------------------------------------------------------------------ */
/* fast path                                                                 */

/* The header flag bools qr, aa, tc, rd, ra, ad, cd and partial lie in that
 * order in eight consecutive bytes: on a little-endian machine they are
 * written as one word. Each byte of v holds its flag byte (f1 in bytes
 * 0..3, f2 in bytes 4..6) masked to the flag's bit; adding 0x7f to a byte
 * of at most 0x80 never carries, and puts 0x80 in it iff the bit was set.
 * Byte 7 (partial) stays 0. */
#define HDR_FLAG_AT(f, k) (offsetof(struct mx_dns_msg, f) == offsetof(struct mx_dns_msg, qr) + (k))
_Static_assert(HDR_FLAG_AT(aa, 1) && HDR_FLAG_AT(tc, 2) && HDR_FLAG_AT(rd, 3) &&
		       HDR_FLAG_AT(ra, 4) && HDR_FLAG_AT(ad, 5) && HDR_FLAG_AT(cd, 6) &&
		       HDR_FLAG_AT(partial, 7) && sizeof(bool) == 1,
	       "header flag bools are 8 consecutive bytes");

static inline void hdr_flags_set(struct mx_dns_msg *m, uint8_t f1, uint8_t f2)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* bytes 0..7: QR 0x80, AA 0x04, TC 0x02, RD 0x01 of f1; RA 0x80,
	 * AD 0x20, CD 0x10 of f2; 0 */
	uint64_t v = ((uint64_t)f1 * 0x01010101u) | ((uint64_t)f2 * 0x010101u) << 32;
	v &= 0x0010208001020480ull;
	v = ((v + 0x7f7f7f7f7f7f7f7full) & 0x8080808080808080ull) >> 7;
	memcpy(&m->qr, &v, 8);
#else
	m->qr = f1 & 0x80;
	m->aa = f1 & 0x04;
	m->tc = f1 & 0x02;
	m->rd = f1 & 0x01;
	m->ra = f2 & 0x80;
	m->ad = f2 & 0x20;
	m->cd = f2 & 0x10;
	m->partial = false;
#endif
}

/* Names already validated in this message, by start offset: a later pointer
 * to one of them (an owner pointing at the question, an exchange pointing at
 * an owner) is checked against its recorded length and pointer count instead
 * of walking it again. The rules are the same: the total length and the
 * total number of pointers are what a full walk would find. */
#define NCACHE 4

struct ncache {
	uint16_t off[NCACHE];   /* start offset */
	uint8_t len[NCACHE];    /* wire length incl. the root label */
	uint8_t hops[NCACHE];   /* pointers followed by that name */
	unsigned n;             /* names put so far: the next goes to slot n % NCACHE */
};

struct ctx {
	const uint8_t *msg;  /* message start (offset 0 for pointers) */
	size_t len;          /* captured bytes */
	size_t wire_len;     /* real size */
	bool tc;
	bool q_direct;       /* the first question name (offset 12) is valid and has no pointer */
	struct ncache *nc;
};

static inline uint8_t lower(uint8_t c, bool *up)
{
	if (c >= 'A' && c <= 'Z') {
		*up = true;
		return (uint8_t)(c | 0x20);
	}
	return c;
}

/* ASCII capitals in a word: 0x80 in each byte that holds 'A'..'Z', 0
 * elsewhere (each byte on its own: no carries cross bytes). */
static inline uint64_t caps8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t t = w & ~high;
	return (t + ones * (0x80 - 'A')) & ~(t + ones * (0x80 - 'Z' - 1)) & ~w & high;
}

#if defined(__SSE2__)
/* 16 bytes from src to dst with 'A'..'Z' lowered; returns the capitals as a
 * bit mask (bit i = byte i). Adding 0x80 - 'A' moves 'A'..'Z' (and only
 * them, modulo 256) to 0x80..0x99, the 26 smallest signed bytes: one signed
 * compare finds them. */
static inline unsigned lower16(uint8_t *dst, const uint8_t *src)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)src);
	__m128i t = _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - 'A')));
	__m128i cap = _mm_cmplt_epi8(t, _mm_set1_epi8((char)(0x80 + 26)));
	v = _mm_or_si128(v, _mm_and_si128(cap, _mm_set1_epi8(0x20)));
	_mm_storeu_si128((__m128i *)(void *)dst, v);
	return (unsigned)_mm_movemask_epi8(cap);
}
#endif

/* Copy k wire bytes from src (inside the captured message, which ends at
 * src_end) to out->wire + at, ASCII letters lowered, 16 (SSE2) or 8 bytes
 * at a time. Returns nonzero if a capital was seen. A tail is done as one
 * more overlapping block ending at k when k is at least a block, else as one
 * whole block when it fits both in the message and in wire[]: the bytes past
 * k are then copied too (they lie past the name, or are overwritten by the
 * next run or the root label) and are masked out of the result. */
static inline __attribute__((always_inline)) uint64_t copy_lower(struct mx_dname *out, size_t at,
								  const uint8_t *src,
								  const uint8_t *src_end, size_t k)
{
	uint8_t *dst = out->wire + at;
	uint64_t seen = 0, w, cap;
	size_t i = 0;

#if defined(__SSE2__)
	if (k >= 16) {
		unsigned m = 0;
		for (; i + 16 <= k; i += 16)
			m |= lower16(dst + i, src + i);
		if (i < k)
			m |= lower16(dst + k - 16, src + k - 16);
		return m;
	}
	if ((size_t)(src_end - src) >= 16 && at + 16 <= MX_DNAME_MAX)
		return lower16(dst, src) & ((1u << k) - 1);
#endif
	for (; i + 8 <= k; i += 8) {
		memcpy(&w, src + i, 8);
		cap = caps8(w);
		w |= cap >> 2;               /* 0x80 >> 2 = 0x20 */
		memcpy(dst + i, &w, 8);
		seen |= cap;
	}
	if (i == k)
		return seen;
	if (k >= 8) {
		/* the last 8 bytes again (overlapping: lowering is idempotent) */
		memcpy(&w, src + k - 8, 8);
		cap = caps8(w);
		w |= cap >> 2;
		memcpy(dst + k - 8, &w, 8);
		return seen | cap;
	}
	if ((size_t)(src_end - src) >= 8 && at + 8 <= MX_DNAME_MAX) {
		static const uint8_t keep[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		uint64_t live;
		memcpy(&live, keep + 8 - k, 8);
		memcpy(&w, src, 8);
		cap = caps8(w) & live;
		w |= cap >> 2;
		memcpy(dst, &w, 8);
		return cap;
	}
	bool up = false;
	for (; i < k; i++)
		dst[i] = lower(src[i], &up);
	return up;
}

static inline void ncache_put(struct ncache *nc, size_t off, size_t len, unsigned hops)
{
	if (off > UINT16_MAX)
		return;
	unsigned k = nc->n++ % NCACHE;
	nc->off[k] = (uint16_t)off;
	nc->len[k] = (uint8_t)len;
	nc->hops[k] = (uint8_t)hops;
}

static inline int ncache_find(const struct ncache *nc, size_t off)
{
	unsigned n = nc->n < NCACHE ? nc->n : NCACHE;
	for (unsigned k = 0; k < n; k++)
		if (nc->off[k] == off)
			return (int)k;
	return -1;
}

/* The byte at p (>= 0x40, inside [.., end)) as a compression pointer:
 * 0x40/0x80 label types are BAD, a pointer needs both its bytes (else
 * SHORT) and must point backwards into the message, past the header, within
 * MX_DNS_MAX_HOPS hops. On NM_OK *t is its target, and r is advanced past
 * the first pointer of the name (the rest is read elsewhere). */
static inline __attribute__((always_inline)) int ptr_step(const uint8_t *msg, struct mx_rd *r, const uint8_t *p,
							   const uint8_t *end, unsigned *hops, bool *jumped,
							   size_t *t)
{
	size_t b = *p;
	if (b < 0xC0)
		return NM_BAD; /* 0x40 extended label (RFC 6891 §5), 0x80 reserved */
	if (end - p < 2)
		return NM_SHORT;
	size_t off = (size_t)(p - msg);
	*t = ((b & 0x3F) << 8) | p[1];
	if (*t >= off || *t < HDR_LEN || ++*hops > MX_DNS_MAX_HOPS)
		return NM_BAD;
	if (!*jumped) {
		*jumped = true;
		r->left -= (size_t)(p + 2 - r->p);
		r->p = p + 2;
	}
	return NM_OK;
}

/* Validate the name at r (RFC 1035 §4.1.4) without keeping it. r advances
 * past the inline part (up to and including the first pointer). The first
 * segment is bounded by r, segments reached through pointers by the captured
 * message. One bounds check per label; the order of the checks decides
 * between NM_SHORT and NM_BAD exactly as a byte-by-byte walk would: a label
 * over the 255-byte limit is BAD before its bytes are looked for, a pointer
 * needs both its bytes before its target is judged.
 * name_check() walks the inline labels (one compare per label, as in
 * name_copy_inl()); at a byte that is no plain label it hands over to
 * name_check_ptr(), the general walk, with p at that byte. */
static __attribute__((noinline)) int name_check_ptr(const struct ctx *c, struct mx_rd *r,
						     const uint8_t *p)
{
	const uint8_t *msg = c->msg;
	const uint8_t *end = r->p + r->left;
	size_t start = (size_t)(r->p - msg), n = (size_t)(p - r->p);
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		if (p == end)
			return NM_SHORT;
		size_t b = *p;
		if (b < 0x40) {
			if (b == 0) {
				p++;
				break;
			}
			if (n + b + 2 > MX_DNAME_MAX)
				return NM_BAD; /* name longer than 255 bytes */
			if ((size_t)(end - p) <= b)
				return NM_SHORT;
			p += b + 1;
			n += b + 1;
			continue;
		}
		size_t t;
		int st = ptr_step(msg, r, p, end, &hops, &jumped, &t);
		if (st != NM_OK)
			return st;
		int k = ncache_find(c->nc, t);
		if (k >= 0) {
			/* the rest is a name already validated: same rules, no walk */
			if (hops + c->nc->hops[k] > MX_DNS_MAX_HOPS || n + c->nc->len[k] > MX_DNAME_MAX)
				return NM_BAD;
			hops += c->nc->hops[k];
			n += (size_t)c->nc->len[k] - 1;
			goto done;
		}
		p = msg + t;
		end = msg + c->len;
	}
	if (!jumped) {
		r->left -= (size_t)(p - r->p);
		r->p = p;
	}
done:
	ncache_put(c->nc, start, n + 1, hops);
	return NM_OK;
}

static int name_check(const struct ctx *c, struct mx_rd *r)
{
	const uint8_t *start = r->p, *p = start;

	if (r->bad || r->left == 0)
		return NM_SHORT;
	const uint8_t *lim = r->left > MX_DNAME_MAX ? start + (MX_DNAME_MAX - 1) : start + r->left - 1;
	for (;;) {
		size_t b = *p;
		if (b - 1 >= 0x3F) {
			if (b == 0)
				break;
			return name_check_ptr(c, r, p);
		}
		const uint8_t *q = p + b + 1;
		if (q > lim)
			return (size_t)(q - start) + 1 > MX_DNAME_MAX ? NM_BAD : NM_SHORT;
		p = q;
	}
	size_t n = (size_t)(p - start);
	ncache_put(c->nc, (size_t)(start - c->msg), n + 1, 0);
	r->left -= n + 1;
	r->p = p + 1;
	return NM_OK;
}

/* name_copy() after its first pointer or 0x40/0x80 label type: the general
 * walk. p is that byte's position inside r's bytes, n and labels what the
 * inline labels before it amount to; wire[0..n) is not yet copied. */
static __attribute__((noinline)) int name_copy_ptr(const struct ctx *c, struct mx_rd *r,
						    struct mx_dname *out, bool *up,
						    const uint8_t *p, size_t n, size_t labels)
{
	const uint8_t *msg = c->msg, *msg_end = msg + c->len;
	const uint8_t *end = r->p + r->left;
	const uint8_t *run = r->p;
	size_t start = (size_t)(r->p - msg), run_n = 0;
	unsigned hops = 0;
	uint64_t seen = 0;
	bool jumped = false;

	for (;;) {
		if (p == end)
			return NM_SHORT;
		size_t b = *p;
		if (b < 0x40) {
			if (b == 0)
				break;
			if (n + b + 2 > MX_DNAME_MAX)
				return NM_BAD;
			if ((size_t)(end - p) <= b)
				return NM_SHORT;
			p += b + 1;
			n += b + 1;
			labels++;
			continue;
		}
		size_t t;
		int st = ptr_step(msg, r, p, end, &hops, &jumped, &t);
		if (st != NM_OK)
			return st;
		seen |= copy_lower(out, run_n, run, msg_end, n - run_n);
		run = p = msg + t;
		run_n = n;
		end = msg_end;
	}
	seen |= copy_lower(out, run_n, run, msg_end, n - run_n);
	if (!jumped) {
		r->left -= (size_t)(p + 1 - r->p);
		r->p = p + 1;
	}
	out->wire[n] = 0;
	out->len = (uint8_t)(n + 1);
	out->labels = (uint8_t)labels;
	if (seen && up)
		*up = true;
	ncache_put(c->nc, start, n + 1, hops);
	return NM_OK;
}

/* name_copy_inl(), name_copy(): read the name at r into out, lowercased
 * (same rules and the same advance of r as name_check). *up (may be NULL) is set when an ASCII capital was
 * seen. A name without pointers (the question, most names) is walked once
 * and copied in one run; at the first pointer name_copy_ptr() goes on, and
 * copies a contiguous run at a time (the wire bytes of a run are exactly the
 * wire form). */
static inline __attribute__((always_inline)) int name_copy_inl(const struct ctx *c, struct mx_rd *r,
								struct mx_dname *out, bool *up)
{
	const uint8_t *start = r->p, *p = start;
	size_t labels = 0;

	if (r->bad || r->left == 0)
		return NM_SHORT;
	/* one compare per label covers its bytes, the byte after it (the next
	 * length) and the 255-byte limit: a label ending past start + 254
	 * makes n + b + 2 > 255 (BAD), else it or the next byte is missing */
	const uint8_t *lim = r->left > MX_DNAME_MAX ? start + (MX_DNAME_MAX - 1) : start + r->left - 1;
	for (;;) {
		size_t b = *p;
		if (b - 1 >= 0x3F) { /* the root label, or not a plain label */
			if (b == 0)
				break;
			return name_copy_ptr(c, r, out, up, p, (size_t)(p - start), labels);
		}
		const uint8_t *q = p + b + 1;
		if (q > lim)
			return (size_t)(q - start) + 1 > MX_DNAME_MAX ? NM_BAD : NM_SHORT;
		p = q;
		labels++;
	}
	size_t n = (size_t)(p - start);
	uint64_t seen = copy_lower(out, 0, start, c->msg + c->len, n);
	out->wire[n] = 0;
	out->len = (uint8_t)(n + 1);
	out->labels = (uint8_t)labels;
	if (seen && up)
		*up = true;
	ncache_put(c->nc, (size_t)(start - c->msg), n + 1, 0);
	r->left -= n + 1;
	r->p = p + 1;
	return NM_OK;
}

/* name_copy_inl() where a call is cheaper than the code. */
static __attribute__((noinline)) int name_copy(const struct ctx *c, struct mx_rd *r,
					       struct mx_dname *out, bool *up)
{
	return name_copy_inl(c, r, out, up);
}

/* Decode a name already validated at offset off. */
static void name_at(const struct ctx *c, size_t off, struct mx_dname *out)
{
	struct mx_rd r;
	mx_rd_init(&r, c->msg + off, c->len - off);
	if (name_copy(c, &r, out, NULL) != NM_OK)
		out->len = 0;
}

struct rrinfo {
	size_t owner_off, rd_off;
	uint16_t type, cls, rdlen;
	uint32_t ttl;
	bool owner_q;        /* the owner is a pointer straight to the question name */
};

/* One resource record (RFC 1035 §4.1.3): owner, TYPE, CLASS, TTL, RDLENGTH;
 * *rd is confined to the RDATA, which is skipped in r. The two commonest
 * owners are judged without name_check(), with its result: the root (OPT)
 * and a pointer to offset 12 when the question name there is valid and has
 * no pointer (the pointer points backwards past the header, 1 hop, and the
 * name is at most 255 bytes). */
static inline __attribute__((always_inline)) int rr_read(const struct ctx *c, struct mx_rd *r,
							     struct rrinfo *ri, struct mx_rd *rd)
{
	const uint8_t *o = r->p;
	ri->owner_off = (size_t)(o - c->msg);
	ri->owner_q = false;
	if (!r->bad && r->left >= 2 && o[0] == 0) {
		r->p = o + 1;
		r->left -= 1;
	} else if (!r->bad && r->left >= 2 && o[0] == 0xC0 && o[1] == HDR_LEN && c->q_direct) {
		r->p = o + 2;
		r->left -= 2;
		ri->owner_q = true;
	} else {
		int st = name_check(c, r);
		if (st != NM_OK)
			return st;
	}
	if (r->left < 10)
		return NM_SHORT;
	const uint8_t *p = r->p;
	ri->type = (uint16_t)(p[0] << 8 | p[1]);
	ri->cls = (uint16_t)(p[2] << 8 | p[3]);
	ri->ttl = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	ri->rdlen = (uint16_t)(p[8] << 8 | p[9]);
	ri->rd_off = (size_t)(p + 10 - c->msg);
	size_t left = r->left - 10;
	if (ri->rdlen > left) {
		if (!c->tc && ri->rd_off + ri->rdlen > c->wire_len)
			return NM_BAD; /* RDLENGTH overrun */
		return NM_SHORT;
	}
	rd->p = p + 10;
	rd->left = ri->rdlen;
	rd->bad = false;
	r->p = p + 10 + ri->rdlen;
	r->left = left - ri->rdlen;
	return NM_OK;
}

/* A name inside complete RDATA: running out of RDATA is a contradiction. */
static int rd_name(const struct ctx *c, struct mx_rd *rd, struct mx_dname *out)
{
	return name_copy(c, rd, out, NULL) == NM_OK ? NM_OK : NM_BAD;
}

static int rd_check(const struct ctx *c, struct mx_rd *rd)
{
	return name_check(c, rd) == NM_OK ? NM_OK : NM_BAD;
}

/* RDATA of the types we read must fill RDLENGTH exactly. */
/* An RR with no RDATA in class ANY or NONE: RFC 2136's prerequisites
 * ("RRset exists", "RRset does not exist", §2.4) and deletions ("delete an
 * RRset", §2.5.2) in UPDATE messages. Valid for every type; nothing of it
 * is read. */
static inline bool empty_meta_rr(uint16_t cls, const struct mx_rd *rd)
{
	return rd->left == 0 && (cls == 255 || cls == 254);
}

static int rdata_check(const struct ctx *c, uint16_t type, uint16_t cls, struct mx_rd rd)
{
	if (empty_meta_rr(cls, &rd))
		return NM_OK;
	switch (type) {
	case MX_TYPE_A:
		return rd.left == 4 ? NM_OK : NM_BAD;
	case MX_TYPE_AAAA:
		return rd.left == 16 ? NM_OK : NM_BAD;
	case MX_TYPE_CNAME: /* RFC 1035 §3.3.1 */
	case MX_TYPE_PTR:   /* §3.3.12 */
		break;
	case MX_TYPE_MX:    /* §3.3.9 */
		mx_rd_skip(&rd, 2);
		if (rd.bad)
			return NM_BAD;
		break;
	case MX_TYPE_SOA:   /* §3.3.13 */
		if (rd_check(c, &rd) != NM_OK)
			return NM_BAD;
		if (rd_check(c, &rd) != NM_OK)
			return NM_BAD;
		return rd.left == 20 ? NM_OK : NM_BAD;
	default:
		return NM_OK;
	}
	if (rd_check(c, &rd) != NM_OK)
		return NM_BAD;
	return rd.left == 0 ? NM_OK : NM_BAD;
}

/* The owner at off (a name rr_read() already judged: its pointers point
 * backwards into the message) is the root: a zero octet, or compression
 * pointers that end at one (a pointer to the question's root name is the
 * root too, as BIND and ldns take it). */
static bool owner_is_root(const struct ctx *c, size_t off)
{
	for (unsigned hops = 0; hops <= MX_DNS_MAX_HOPS && off < c->len; hops++) {
		uint8_t b = c->msg[off];
		if (b == 0)
			return true;
		if ((b & 0xC0) != 0xC0 || off + 1 >= c->len)
			return false;
		off = (size_t)(b & 0x3F) << 8 | c->msg[off + 1];
	}
	return false;
}

/* OPT pseudo-RR in the additional section, RFC 6891 §6.1. */
static int opt_read(const struct ctx *c, const struct rrinfo *ri, struct mx_rd rd,
		    struct mx_dns_msg *m, uint8_t *ext_rcode)
{
	if (m->edns || !owner_is_root(c, ri->owner_off))
		return NM_BAD; /* second OPT, or owner not the root (§6.1.1, §6.1.2) */
	m->edns = true;
	m->edns_payload = ri->cls;
	*ext_rcode = (uint8_t)(ri->ttl >> 24);
	m->edns_version = (uint8_t)(ri->ttl >> 16);
	m->edns_do = (ri->ttl & 0x8000u) != 0;
	while (rd.left > 0) { /* §6.1.2: {OPTION-CODE, OPTION-LENGTH, OPTION-DATA}* */
		uint16_t code = mx_rd_u16(&rd);
		uint16_t olen = mx_rd_u16(&rd);
		if (rd.bad || olen > rd.left)
			return NM_BAD;
		struct mx_rd od = mx_rd_sub(&rd, olen, NULL);
		if (code == 15 && olen >= 2 && !m->has_ede) { /* RFC 8914 §2 */
			m->has_ede = true;
			m->ede_code = mx_rd_u16(&od);
			ede_text_set(m, od.p, od.left);
		}
	}
	return NM_OK;
}

/* The second pass re-reads RRs the first pass validated: names are skipped
 * without following pointers, and owners are compared in place. */
static void name_skip(struct mx_rd *r)
{
	for (;;) {
		uint8_t b = mx_rd_u8(r);
		if (b == 0 || r->bad)
			return;
		if ((b & 0xC0) == 0xC0) {
			mx_rd_skip(r, 1);
			return;
		}
		mx_rd_skip(r, b);
	}
}

static void rr_next(const struct ctx *c, struct mx_rd *r, struct rrinfo *ri, struct mx_rd *rd)
{
	ri->owner_off = (size_t)(r->p - c->msg);
	name_skip(r);
	ri->type = mx_rd_u16(r);
	ri->cls = mx_rd_u16(r);
	ri->ttl = mx_rd_u32(r);
	ri->rdlen = mx_rd_u16(r);
	ri->rd_off = (size_t)(r->p - c->msg);
	*rd = mx_rd_sub(r, ri->rdlen, NULL);
}

/* Does the validated name at off equal x? at is an offset where a copy of x
 * is known to start (0: none): a pointer straight to it needs no walk. */
static bool name_is(const struct ctx *c, size_t off, const struct mx_dname *x, size_t at)
{
	struct mx_rd r;
	size_t i = 0;
	bool up = false;

	mx_rd_init(&r, c->msg + off, c->len - off);
	for (;;) {
		uint8_t b = mx_rd_u8(&r);
		if (r.bad)
			return false;
		if ((b & 0xC0) == 0xC0) {
			size_t t = ((size_t)(b & 0x3F) << 8) | mx_rd_u8(&r);
			if (r.bad || t >= c->len)
				return false;
			if (t == at && at != 0)
				return i == 0; /* the rest is x, so all of it is x iff no prefix */
			mx_rd_init(&r, c->msg + t, c->len - t);
			continue;
		}
		if (i >= x->len || x->wire[i] != b || !mx_rd_need(&r, b))
			return false;
		if (b == 0)
			return i + 1 == x->len;
		for (size_t k = 0; k < b; k++)
			if (lower(r.p[k], &up) != x->wire[i + 1 + k])
				return false;
		mx_rd_skip(&r, b);
		i += (size_t)b + 1;
	}
}

/* A zone transfer (AXFR, RFC 5936; IXFR, RFC 1995) answers with the zone's
 * records, owned by any name in it: every one counts as an answer. */
static inline bool is_xfr(uint16_t qtype)
{
	return qtype == 251 || qtype == 252;
}

/* One answer record of the question's type (an_qtype), with the lowest TTL. */
static inline void count_answer(struct mx_dns_msg *m, uint32_t ttl)
{
	if (m->an_qtype == 0 || ttl < m->min_ttl)
		m->min_ttl = ttl;
	m->an_qtype++;
}

/* Answer digest: CNAME chain from qname, then what the chain end owns. */
static void an_digest(const struct ctx *c, struct mx_rd an, unsigned n, struct mx_dns_msg *m)
{
	struct mx_dname tgt;
	struct rrinfo ri;
	struct mx_rd r, rd;
	const struct mx_dname *end = &m->qname;
	size_t end_at = HDR_LEN; /* the first question's name starts at 12 */

	if (m->has_question && m->qtype != MX_TYPE_CNAME) {
		for (;;) {
			bool found = false;
			size_t tgt_at = 0;
			r = an;
			for (unsigned i = 0; i < n; i++) {
				rr_next(c, &r, &ri, &rd);
				/* (an RFC 2136 empty record is no alias: the ldns
				 * path passes over it too) */
				if (ri.type != MX_TYPE_CNAME || empty_meta_rr(ri.cls, &rd) ||
				    !name_is(c, ri.owner_off, end, end_at))
					continue;
				found = rd_name(c, &rd, &tgt) == NM_OK;
				tgt_at = ri.rd_off;
				break;
			}
			if (!found)
				break;
			bool seen = dn_eq(&tgt, &m->qname);
			for (unsigned k = 0; k < m->n_cname && !seen; k++)
				seen = dn_eq(&tgt, &m->cname[k]);
			if (seen || m->n_cname == MX_DNS_MAX_CNAME) {
				m->cname_loop = true;
				break;
			}
			dn_copy(&m->cname[m->n_cname], &tgt);
			end = &m->cname[m->n_cname++];
			end_at = tgt_at;
		}
	}

	r = an;
	for (unsigned i = 0; i < n; i++) {
		rr_next(c, &r, &ri, &rd);
		uint16_t t = ri.type;
		if (!kept_type(t))
			m->an_other++;
		if (!m->has_question)
			continue;
		bool xfr = is_xfr(m->qtype);
		if (xfr)
			count_answer(m, ri.ttl); /* every record, once */
		bool want_q = !xfr && (t == m->qtype || m->qtype == MX_TYPE_ANY);
		bool want_end = t == MX_TYPE_MX || t == MX_TYPE_A || t == MX_TYPE_AAAA || t == MX_TYPE_PTR;
		if (!want_q && !want_end)
			continue;
		bool is_end = name_is(c, ri.owner_off, end, end_at);
		if (want_q && (is_end || (end != &m->qname &&
					  name_is(c, ri.owner_off, &m->qname, HDR_LEN)))) {
			count_answer(m, ri.ttl);
		}
		if (!is_end || empty_meta_rr(ri.cls, &rd))
			continue;
		if (t == MX_TYPE_PTR) {
			if (m->ptr.len == 0 && rd_name(c, &rd, &m->ptr) != NM_OK)
				m->ptr.len = m->ptr.labels = 0;
		} else if (t == MX_TYPE_MX) {
			m->mx_total++;
			if (m->n_mx < MX_DNS_MAX_MX) {
				struct mx_dns_mxrr *x = &m->mx[m->n_mx++];
				x->pref = mx_rd_u16(&rd);
				if (rd_name(c, &rd, &x->exchange) != NM_OK)
					x->exchange.len = 0;
			}
		} else if (t == MX_TYPE_A || t == MX_TYPE_AAAA) {
			m->addr_total++;
			if (m->n_addr < MX_DNS_MAX_ADDR) {
				struct mx_dns_addrrr *a = &m->addr[m->n_addr++];
				uint8_t b[16];
				if (t == MX_TYPE_A) {
					mx_rd_bytes(&rd, b, 4);
					mx_addr_set4(&a->addr, b);
				} else {
					mx_rd_bytes(&rd, b, 16);
					mx_addr_set6(&a->addr, b);
				}
				a->ttl = ri.ttl;
			}
		}
	}
}

/* The answer digest fields, as msg_reset_body() leaves them. */
static void an_digest_reset(struct mx_dns_msg *m)
{
	m->an_qtype = m->an_other = 0;
	m->n_cname = 0;
	m->cname_loop = false;
	m->n_mx = m->mx_total = 0;
	m->n_addr = m->addr_total = 0;
	m->ptr.len = 0;
	m->ptr.labels = 0;
	m->min_ttl = 0;
}

/* rdata_check() of one answer record and, if it passes, its part of the
 * digest with the question name as the chain end: what an_digest() does for
 * it when the answers hold no CNAME (or the question asks for CNAME). A kept
 * MX exchange is copied by the walk that validates it. */
static int an_record(const struct ctx *c, const struct rrinfo *ri, struct mx_rd rd,
		     struct mx_dns_msg *m)
{
	uint16_t t = ri->type;
	bool want_q = m->has_question && (t == m->qtype || m->qtype == MX_TYPE_ANY);
	bool want_end = m->has_question && (t == MX_TYPE_MX || t == MX_TYPE_A || t == MX_TYPE_AAAA ||
					    t == MX_TYPE_PTR);
	bool is_end = false;

	if (want_q || want_end)
		is_end = ri->owner_q || name_is(c, ri->owner_off, &m->qname, HDR_LEN);
	if (empty_meta_rr(ri->cls, &rd)) {
		/* RFC 2136: a prerequisite or a deletion: counted as records
		 * are, but it carries no exchange or address (an_digest() and
		 * the ldns path agree) */
		if (!kept_type(t))
			m->an_other++;
		if ((want_q && is_end) || (m->has_question && is_xfr(m->qtype)))
			count_answer(m, ri->ttl);
		return NM_OK;
	}
	if (t == MX_TYPE_MX && is_end && m->n_mx < MX_DNS_MAX_MX) {
		struct mx_dns_mxrr *x = &m->mx[m->n_mx];
		x->pref = mx_rd_u16(&rd);
		if (rd.bad || name_copy_inl(c, &rd, &x->exchange, NULL) != NM_OK || rd.left != 0)
			return NM_BAD;
		m->n_mx++;
	} else if (rdata_check(c, t, ri->cls, rd) != NM_OK) {
		return NM_BAD;
	}
	if (!kept_type(t))
		m->an_other++;
	if ((want_q && is_end) || (m->has_question && is_xfr(m->qtype)))
		count_answer(m, ri->ttl);
	if (!is_end)
		return NM_OK;
	if (t == MX_TYPE_PTR) {
		/* (rdata_check() passed: the name reads) */
		if (m->ptr.len == 0 && rd_name(c, &rd, &m->ptr) != NM_OK)
			m->ptr.len = m->ptr.labels = 0;
	} else if (t == MX_TYPE_MX) {
		m->mx_total++;
	} else if (t == MX_TYPE_A || t == MX_TYPE_AAAA) {
		m->addr_total++;
		if (m->n_addr < MX_DNS_MAX_ADDR) {
			struct mx_dns_addrrr *a = &m->addr[m->n_addr++];
			if (t == MX_TYPE_A)
				mx_addr_set4(&a->addr, rd.p);
			else
				mx_addr_set6(&a->addr, rd.p);
			a->ttl = ri->ttl;
		}
	}
	return NM_OK;
}

enum mx_dns_verdict mx_dns_parse(const uint8_t *wire, size_t len, size_t wire_len,
				 struct mx_dns_msg *m)
{
	struct mx_rd r, rd, an;
	struct rrinfo ri;
	struct ctx c;
	struct ncache nc;
	int st = NM_OK;
	unsigned i, n_cname_rr = 0;
	uint8_t ext_rcode = 0;

	if (!wire)
		len = 0;
	if (wire_len < len)
		wire_len = len;
	if (len < HDR_LEN) {
		msg_reset(m, wire_len);
		if (wire_len < HDR_LEN)
			return m->verdict = MX_DNS_NOT_DNS;
		m->partial = true;
		return m->verdict = MX_DNS_TRUNCATED;
	}

	/* header, RFC 1035 §4.1.1 (AD/CD: RFC 4035 §3.2); every header field is
	 * written here, the rest by msg_reset_body() */
	m->wire_len = wire_len > UINT32_MAX ? UINT32_MAX : (uint32_t)wire_len;
	m->id = (uint16_t)(wire[0] << 8 | wire[1]);
	uint8_t f1 = wire[2], f2 = wire[3];
	m->opcode = (f1 >> 3) & 0x0F;
	hdr_flags_set(m, f1, f2);
	m->rcode = f2 & 0x0F;
	m->has_header = true;
	const unsigned qd = (unsigned)(wire[4] << 8 | wire[5]);
	const unsigned an_n = (unsigned)(wire[6] << 8 | wire[7]);
	const unsigned ns_n = (unsigned)(wire[8] << 8 | wire[9]);
	const unsigned ar_n = (unsigned)(wire[10] << 8 | wire[11]);
	m->qdcount = (uint16_t)qd;
	m->ancount = (uint16_t)an_n;
	m->nscount = (uint16_t)ns_n;
	m->arcount = (uint16_t)ar_n;
	/* what msg_reset_body() does: the question fields are reset unless
	 * the question is read, the OPT values unless an OPT is (at stop) */
	msg_reset_rest(m);
	/* header_not_dns() on the locals; its size test cannot fail with at
	 * most 7 RRs (12 + 5 * 4 + 11 * 7 <= 4 * 12 + 64 <= 4 * wire_len + 64) */
	if (m->opcode > 6 || qd > 4 ||
	    (an_n + ns_n + ar_n > 7 && header_not_dns(m, wire_len))) {
		msg_reset_question(m);
		msg_reset_opt_values(m);
		return m->verdict = MX_DNS_NOT_DNS;
	}
	if (qd == 0)
		msg_reset_question(m);

	mx_rd_init(&r, wire + HDR_LEN, len - HDR_LEN);
	c.msg = wire;
	c.len = len;
	c.wire_len = wire_len;
	c.tc = m->tc;
	c.q_direct = false;
	nc.n = 0;
	c.nc = &nc;
	an = r;

	/* question, §4.1.2 */
	for (i = 0; i < qd; i++) {
		if (i == 0) {
			bool up = false;
			st = name_copy_inl(&c, &r, &m->qname, &up);
			if (st != NM_OK) {
				msg_reset_question(m);
				goto stop;
			}
			if (r.left < 4) {
				/* as the reset before the copy left it: the
				 * copied name's label count stays */
				uint8_t labels = m->qname.labels;
				msg_reset_question(m);
				m->qname.labels = labels;
				st = NM_SHORT;
				goto stop;
			}
			m->has_question = true;
			c.q_direct = nc.hops[0] == 0; /* name_copy_inl() put it first */
			m->qtype = (uint16_t)(r.p[0] << 8 | r.p[1]);
			m->qclass = (uint16_t)(r.p[2] << 8 | r.p[3]);
			m->qname_0x20 = up;
		} else {
			st = name_check(&c, &r);
			if (st == NM_OK && r.left < 4)
				st = NM_SHORT;
			if (st != NM_OK)
				goto stop;
		}
		r.p += 4;
		r.left -= 4;
	}

	/* answer, §4.1.3: digested as it is validated while the chain end is
	 * the question name (no CNAME yet, or a CNAME question) */
	an = r;
	for (i = 0; i < an_n; i++) {
		if ((st = rr_read(&c, &r, &ri, &rd)) != NM_OK)
			goto stop;
		if (ri.type == MX_TYPE_CNAME && m->has_question && m->qtype != MX_TYPE_CNAME)
			n_cname_rr++;
		if (n_cname_rr == 0)
			st = an_record(&c, &ri, rd, m);
		else
			st = rdata_check(&c, ri.type, ri.cls, rd);
		if (st != NM_OK)
			goto stop;
		m->an_parsed++;
	}

	/* authority: SOA for negative answers (RFC 2308 §5), NS for referrals */
	for (i = 0; i < ns_n; i++) {
		if ((st = rr_read(&c, &r, &ri, &rd)) != NM_OK)
			goto stop;
		if ((st = rdata_check(&c, ri.type, ri.cls, rd)) != NM_OK)
			goto stop;
		if (empty_meta_rr(ri.cls, &rd)) {
			/* an UPDATE's deletion (RFC 2136 §2.5.2): nothing to read */
		} else if (ri.type == MX_TYPE_NS) {
			m->ns_auth++;
		} else if (ri.type == MX_TYPE_SOA && !m->has_soa) {
			/* rdata_check() saw the two names end 20 bytes before
			 * the RDATA does: serial, refresh, retry, expire, minimum */
			const uint8_t *f = rd.p + rd.left - 20;
			m->has_soa = true;
			name_at(&c, ri.owner_off, &m->soa_owner);
			m->soa_ttl = ri.ttl;
			m->soa_serial = rd32(f);
			m->soa_minimum = rd32(f + 16);
			m->neg_ttl = m->soa_ttl < m->soa_minimum ? m->soa_ttl : m->soa_minimum;
		}
	}

	/* additional: OPT */
	for (i = 0; i < ar_n; i++) {
		if ((st = rr_read(&c, &r, &ri, &rd)) != NM_OK)
			goto stop;
		if (ri.type == MX_TYPE_OPT)
			st = opt_read(&c, &ri, rd, m, &ext_rcode);
		else
			st = rdata_check(&c, ri.type, ri.cls, rd);
		if (st != NM_OK)
			goto stop;
	}

stop:
	if (m->edns) /* RFC 6891 §6.1.3: upper 8 bits of the 12-bit RCODE */
		m->rcode = (uint16_t)(((unsigned)ext_rcode << 4) | m->rcode);
	else
		msg_reset_opt_values(m);
	if (st == NM_OK) {
		m->verdict = MX_DNS_OK;
	} else if (st == NM_SHORT && (len < wire_len || m->tc)) {
		m->verdict = MX_DNS_TRUNCATED;
		m->partial = true;
	} else {
		m->verdict = MX_DNS_MALFORMED;
	}
	if (m->verdict == MX_DNS_MALFORMED) {
		an_digest_reset(m); /* no digest of a MALFORMED message */
	} else if (n_cname_rr > 0) {
		an_digest_reset(m); /* the chain moves the end: digest again */
		an_digest(&c, an, m->an_parsed, m);
	}
	if (m->verdict != MX_DNS_TRUNCATED && query_not_dns(m))
		m->verdict = MX_DNS_NOT_DNS;
	return m->verdict;
}

/* ------------------------------------------------------------------------ */
/* reference decoder (ldns)                                                   */

enum { REF_OK = 0, REF_SHORT, REF_BAD };

/* The pointer rules (see the top comment) for a name ldns_wire2dname()
 * accepted at pos. Returns the offset after the inline part, 0 if broken. */
static size_t ref_name_rules(const uint8_t *w, size_t len, size_t pos)
{
	size_t end = 0, n = 0;
	unsigned hops = 0;

	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t b = w[pos];
		if (b == 0)
			return end ? end : pos + 1;
		if ((b & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return 0;
			size_t t = ((size_t)(b & 0x3F) << 8) | w[pos + 1];
			if (t >= pos || t < HDR_LEN || ++hops > MX_DNS_MAX_HOPS)
				return 0;
			if (!end)
				end = pos + 2;
			pos = t;
			continue;
		}
		if (b & 0xC0)
			return 0;
		n += (size_t)b + 1;
		if (n + 1 > MX_DNAME_MAX)
			return 0;
		pos += (size_t)b + 1;
	}
}

/* RDATA rules for the types we read, on a record ldns decoded exactly up to
 * its RDLENGTH: the right number of fields, names within the pointer rules. */
static bool ref_rdata_rules(const uint8_t *w, size_t len, const ldns_rr *rr, uint16_t type,
			    uint16_t cls, size_t rd, size_t rdlen)
{
	size_t cnt = ldns_rr_rd_count(rr), p;

	/* RFC 2136 §2.4, §2.5.2: class ANY or NONE with no RDATA, any type */
	if (rdlen == 0 && cnt == 0 && (cls == 255 || cls == 254) && type != MX_TYPE_OPT)
		return true;

	switch (type) {
	case MX_TYPE_A:
	case MX_TYPE_AAAA:
		return cnt == 1;
	case MX_TYPE_CNAME:
	case MX_TYPE_PTR:
		return cnt == 1 && ref_name_rules(w, len, rd) != 0;
	case MX_TYPE_MX:
		return cnt == 2 && ref_name_rules(w, len, rd + 2) != 0;
	case MX_TYPE_SOA:
		if (cnt != 7 || (p = ref_name_rules(w, len, rd)) == 0)
			return false;
		return ref_name_rules(w, len, p) != 0;
	case MX_TYPE_OPT:
		return ldns_rdf_size(ldns_rr_owner(rr)) == 1 && cnt == (rdlen ? 1u : 0u);
	default:
		return true;
	}
}

/* Decode every record with ldns_wire2rr() into lists, applying our rules. */
static int ref_walk(const uint8_t *w, size_t len, size_t wire_len, bool tc,
		    const uint16_t cnt[4], ldns_rr_list *const sec[4], unsigned *tolerated)
{
	static const ldns_pkt_section lsec[4] = {
		LDNS_SECTION_QUESTION, LDNS_SECTION_ANSWER,
		LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL,
	};
	size_t pos = HDR_LEN;
	unsigned n_opt = 0;

	for (int s = SEC_QD; s <= SEC_AR; s++) {
		for (unsigned i = 0; i < cnt[s]; i++) {
			ldns_rdf *own = NULL;
			ldns_rr *rr = NULL;
			size_t p = pos, q = pos;
			int ret = REF_SHORT;

			if (ldns_wire2dname(&own, w, len, &p) != LDNS_STATUS_OK)
				return REF_SHORT;
			if (!ref_name_rules(w, len, pos)) {
				ret = REF_BAD;
				goto fail;
			}
			if (s == SEC_QD) {
				if (ldns_wire2rr(&rr, w, len, &q, lsec[s]) != LDNS_STATUS_OK)
					goto fail;
				pos = q;
				goto push;
			}
			if (p + 10 > len)
				goto fail;
			uint16_t type = ldns_read_uint16(w + p);
			uint16_t cls = ldns_read_uint16(w + p + 2);
			uint32_t ttl = ldns_read_uint32(w + p + 4);
			size_t rdlen = ldns_read_uint16(w + p + 8);
			size_t rd = p + 10, end = rd + rdlen;
			if (end > len) {
				if (!tc && end > wire_len)
					ret = REF_BAD;
				goto fail;
			}
			bool good = ldns_wire2rr(&rr, w, len, &q, lsec[s]) == LDNS_STATUS_OK &&
				    q == end;
			if (is_read_type(type, s)) {
				if (!good || !ref_rdata_rules(w, len, rr, type, cls, rd, rdlen) ||
				    (type == MX_TYPE_OPT && ++n_opt > 1)) {
					ret = REF_BAD;
					goto fail;
				}
			} else if (!good) {
				/* RDATA we do not read: keep owner, type, class, TTL */
				(*tolerated)++;
				if (rr)
					ldns_rr_free(rr);
				if (!(rr = ldns_rr_new()))
					goto fail;
				ldns_rr_set_owner(rr, own);
				own = NULL;
				ldns_rr_set_type(rr, (ldns_rr_type)type);
				ldns_rr_set_class(rr, (ldns_rr_class)cls);
				ldns_rr_set_ttl(rr, ttl);
				/* its RDATA as one opaque field, so that a record
				 * with RDATA is not taken for RFC 2136's empty one
				 * (rd_count 0, class ANY/NONE) */
				if (rdlen) {
					ldns_rdf *raw = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, rdlen, w + rd);
					if (!raw || !ldns_rr_push_rdf(rr, raw)) {
						ldns_rdf_deep_free(raw);
						ldns_rr_free(rr);
						rr = NULL;
						goto fail;
					}
				}
			}
			pos = end;
push:
			ldns_rdf_deep_free(own);
			if (!ldns_rr_list_push_rr(sec[s], rr)) {
				ldns_rr_free(rr);
				return REF_BAD;
			}
			continue;
fail:
			ldns_rdf_deep_free(own);
			if (rr)
				ldns_rr_free(rr);
			return ret;
		}
	}
	return REF_OK;
}

static void ref_dname(const ldns_rdf *rdf, struct mx_dname *out, bool *up)
{
	size_t n = rdf ? ldns_rdf_size(rdf) : 0;
	const uint8_t *d = rdf ? ldns_rdf_data(rdf) : NULL;
	bool upper = false;

	if (!d || n == 0 || n > MX_DNAME_MAX) {
		out->len = 0;
		out->labels = 0;
		return;
	}
	for (size_t i = 0; i < n; i++)
		out->wire[i] = lower(d[i], &upper);
	out->len = (uint8_t)n;
	out->labels = ldns_dname_label_count(rdf);
	if (up && upper)
		*up = true;
}

static uint32_t ref_u32(const ldns_rdf *f)
{
	return f && ldns_rdf_size(f) == 4 ? ldns_rdf2native_int32(f) : 0;
}

static bool ref_name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return a && b && ldns_dname_compare(a, b) == 0;
}

static void ref_an_digest(const ldns_rr_list *an, const ldns_rdf *qname, struct mx_dns_msg *m)
{
	const ldns_rdf *chain[MX_DNS_MAX_CNAME];
	const ldns_rdf *end = qname;
	size_t n = ldns_rr_list_rr_count(an);

	m->an_parsed = (uint16_t)n;
	if (qname && m->qtype != MX_TYPE_CNAME) {
		for (;;) {
			const ldns_rdf *tgt = NULL;
			for (size_t i = 0; i < n && !tgt; i++) {
				const ldns_rr *rr = ldns_rr_list_rr(an, i);
				if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
				    ref_name_eq(ldns_rr_owner(rr), end))
					tgt = ldns_rr_rdf(rr, 0);
			}
			if (!tgt)
				break;
			bool seen = ref_name_eq(tgt, qname);
			for (unsigned k = 0; k < m->n_cname && !seen; k++)
				seen = ref_name_eq(tgt, chain[k]);
			if (seen || m->n_cname == MX_DNS_MAX_CNAME) {
				m->cname_loop = true;
				break;
			}
			chain[m->n_cname] = tgt;
			ref_dname(tgt, &m->cname[m->n_cname], NULL);
			end = chain[m->n_cname++];
		}
	}
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		uint16_t t = (uint16_t)ldns_rr_get_type(rr);
		if (!kept_type(t))
			m->an_other++;
		if (!qname)
			continue;
		const ldns_rdf *own = ldns_rr_owner(rr);
		bool is_end = ref_name_eq(own, end);
		if (((t == m->qtype || m->qtype == MX_TYPE_ANY) &&
		     (is_end || ref_name_eq(own, qname))) || is_xfr(m->qtype))
			count_answer(m, ldns_rr_ttl(rr));
		if (!is_end)
			continue;
		/* RFC 2136's class ANY/NONE record without RDATA: no data */
		uint16_t rc = (uint16_t)ldns_rr_get_class(rr);
		if (ldns_rr_rd_count(rr) == 0 && (rc == 255 || rc == 254))
			continue;
		if (t == MX_TYPE_PTR) {
			if (m->ptr.len == 0)
				ref_dname(ldns_rr_rdf(rr, 0), &m->ptr, NULL);
		} else if (t == MX_TYPE_MX) {
			m->mx_total++;
			if (m->n_mx < MX_DNS_MAX_MX) {
				struct mx_dns_mxrr *x = &m->mx[m->n_mx++];
				const ldns_rdf *pf = ldns_rr_mx_preference(rr);
				x->pref = pf && ldns_rdf_size(pf) == 2 ? ldns_rdf2native_int16(pf) : 0;
				ref_dname(ldns_rr_mx_exchange(rr), &x->exchange, NULL);
			}
		} else if (t == MX_TYPE_A || t == MX_TYPE_AAAA) {
			m->addr_total++;
			if (m->n_addr < MX_DNS_MAX_ADDR) {
				struct mx_dns_addrrr *a = &m->addr[m->n_addr++];
				const ldns_rdf *f = ldns_rr_a_address(rr);
				uint8_t z[16] = { 0 };
				const uint8_t *b = f ? ldns_rdf_data(f) : z;
				size_t need = t == MX_TYPE_A ? 4 : 16;
				if (!f || ldns_rdf_size(f) != need)
					b = z;
				if (t == MX_TYPE_A)
					mx_addr_set4(&a->addr, b);
				else
					mx_addr_set6(&a->addr, b);
				a->ttl = ldns_rr_ttl(rr);
			}
		}
	}
}

/* EDNS through ldns' own OPT handling (ldns_wire2pkt) when it decoded the
 * message, else from the OPT record; options through ldns' option parser. */
static int ref_edns(ldns_pkt *pkt, const ldns_rr *opt, struct mx_dns_msg *m, uint8_t *ext)
{
	ldns_pkt *tmp = NULL, *op = pkt;
	int ret = REF_OK;

	m->edns = true;
	if (pkt) {
		m->edns_payload = ldns_pkt_edns_udp_size(pkt);
		*ext = ldns_pkt_edns_extended_rcode(pkt);
		m->edns_version = ldns_pkt_edns_version(pkt);
		m->edns_do = ldns_pkt_edns_do(pkt);
	} else {
		uint32_t ttl = ldns_rr_ttl(opt);
		m->edns_payload = (uint16_t)ldns_rr_get_class(opt);
		*ext = (uint8_t)(ttl >> 24);
		m->edns_version = (uint8_t)(ttl >> 16);
		m->edns_do = (ttl & 0x8000u) != 0;
		if (ldns_rr_rd_count(opt) > 0) {
			if (!(tmp = ldns_pkt_new()))
				return REF_BAD;
			ldns_pkt_set_edns_data(tmp, ldns_rdf_clone(ldns_rr_rdf(opt, 0)));
		}
		op = tmp;
	}
	if (op && ldns_pkt_edns_data(op)) {
		ldns_edns_option_list *l = ldns_pkt_edns_get_option_list(op);
		if (!l) {
			ret = REF_BAD; /* option TLVs do not fill the RDATA */
		} else {
			size_t k = ldns_edns_option_list_get_count(l);
			for (size_t i = 0; i < k; i++) {
				ldns_edns_option *o = ldns_edns_option_list_get_option(l, i);
				size_t sz = ldns_edns_get_size(o);
				const uint8_t *d = ldns_edns_get_data(o);
				if (ldns_edns_get_code(o) != LDNS_EDNS_EDE || sz < 2)
					continue;
				m->has_ede = true;
				m->ede_code = ldns_read_uint16(d);
				ede_text_set(m, d + 2, sz - 2);
				break;
			}
		}
	}
	if (tmp)
		ldns_pkt_free(tmp);
	return ret;
}

enum mx_dns_verdict mx_dns_parse_ldns(const uint8_t *wire, size_t len, size_t wire_len,
				      struct mx_dns_msg *m)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *sec[4] = { NULL, NULL, NULL, NULL };
	const ldns_rr *opt = NULL;
	uint8_t ext = 0;
	int st;

	if (!wire)
		len = 0;
	if (wire_len < len)
		wire_len = len;
	msg_reset(m, wire_len);
	if (len < LDNS_HEADER_SIZE) {
		if (wire_len < LDNS_HEADER_SIZE)
			return m->verdict = MX_DNS_NOT_DNS;
		m->partial = true;
		return m->verdict = MX_DNS_TRUNCATED;
	}

	if (ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK) {
		m->id = ldns_pkt_id(pkt);
		m->qr = ldns_pkt_qr(pkt);
		m->opcode = (uint8_t)ldns_pkt_get_opcode(pkt);
		m->aa = ldns_pkt_aa(pkt);
		m->tc = ldns_pkt_tc(pkt);
		m->rd = ldns_pkt_rd(pkt);
		m->ra = ldns_pkt_ra(pkt);
		m->ad = ldns_pkt_ad(pkt);
		m->cd = ldns_pkt_cd(pkt);
		m->rcode = (uint16_t)ldns_pkt_get_rcode(pkt);
	} else {
		pkt = NULL;
		m->id = LDNS_ID_WIRE(wire);
		m->qr = LDNS_QR_WIRE(wire);
		m->opcode = (uint8_t)LDNS_OPCODE_WIRE(wire);
		m->aa = LDNS_AA_WIRE(wire);
		m->tc = LDNS_TC_WIRE(wire);
		m->rd = LDNS_RD_WIRE(wire);
		m->ra = LDNS_RA_WIRE(wire);
		m->ad = LDNS_AD_WIRE(wire);
		m->cd = LDNS_CD_WIRE(wire);
		m->rcode = (uint16_t)LDNS_RCODE_WIRE(wire);
	}
	/* ldns_pkt counts drop OPT and TSIG: take the wire counts */
	m->qdcount = LDNS_QDCOUNT(wire);
	m->ancount = LDNS_ANCOUNT(wire);
	m->nscount = LDNS_NSCOUNT(wire);
	m->arcount = LDNS_ARCOUNT(wire);
	m->has_header = true;
	if (header_not_dns(m, wire_len)) {
		m->verdict = MX_DNS_NOT_DNS;
		goto out;
	}

	for (int s = 0; s < 4; s++) {
		if (!(sec[s] = ldns_rr_list_new())) {
			m->verdict = MX_DNS_MALFORMED;
			goto out;
		}
	}
	const uint16_t cnt[4] = { m->qdcount, m->ancount, m->nscount, m->arcount };
	unsigned tolerated = 0;
	st = ref_walk(wire, len, wire_len, m->tc, cnt, sec, &tolerated);

	/* question */
	const ldns_rdf *qname = NULL;
	if (ldns_rr_list_rr_count(sec[SEC_QD]) > 0) {
		const ldns_rr *q = ldns_rr_list_rr(sec[SEC_QD], 0);
		bool up = false;
		qname = ldns_rr_owner(q);
		ref_dname(qname, &m->qname, &up);
		m->qname_0x20 = up;
		m->qtype = (uint16_t)ldns_rr_get_type(q);
		m->qclass = (uint16_t)ldns_rr_get_class(q);
		m->has_question = true;
	}
	/* authority */
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec[SEC_NS]); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec[SEC_NS], i);
		uint16_t rc = (uint16_t)ldns_rr_get_class(rr);
		if (ldns_rr_rd_count(rr) == 0 && (rc == 255 || rc == 254))
			continue; /* RFC 2136's deletion: no data (as mx_dns_parse) */
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS) {
			m->ns_auth++;
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && !m->has_soa) {
			m->has_soa = true;
			ref_dname(ldns_rr_owner(rr), &m->soa_owner, NULL);
			m->soa_ttl = ldns_rr_ttl(rr);
			m->soa_serial = ref_u32(ldns_rr_rdf(rr, 2));
			m->soa_minimum = ref_u32(ldns_rr_rdf(rr, 6));
			m->neg_ttl = m->soa_ttl < m->soa_minimum ? m->soa_ttl : m->soa_minimum;
		}
	}
	/* additional: OPT */
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec[SEC_AR]); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(sec[SEC_AR], i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT && !opt)
			opt = rr;
	}
	if (opt) {
		/* ldns_wire2pkt saw the same records only if ldns decoded each
		 * one exactly; after a tolerated record it may have read the rest
		 * from the wrong place */
		int e = ref_edns(st == REF_OK && tolerated == 0 ? pkt : NULL, opt, m, &ext);
		if (e != REF_OK && st == REF_OK)
			st = e;
		m->rcode = (uint16_t)(((unsigned)ext << 4) | m->rcode);
	}

	if (st == REF_OK) {
		m->verdict = MX_DNS_OK;
	} else if (st == REF_SHORT && (len < wire_len || m->tc)) {
		m->verdict = MX_DNS_TRUNCATED;
		m->partial = true;
	} else {
		m->verdict = MX_DNS_MALFORMED;
	}
	if (m->verdict != MX_DNS_MALFORMED)
		ref_an_digest(sec[SEC_AN], qname, m);
	if (m->verdict != MX_DNS_TRUNCATED && query_not_dns(m))
		m->verdict = MX_DNS_NOT_DNS;
out:
	for (int s = 0; s < 4; s++)
		if (sec[s])
			ldns_rr_list_deep_free(sec[s]);
	if (pkt)
		ldns_pkt_free(pkt);
	return m->verdict;
}

/* ------------------------------------------------------------------------ */
/* outcome, PATTERNS.md §0                                                    */

enum mx_outcome mx_dns_outcome(const struct mx_dns_msg *m)
{
	/* no header (capture cut it): nothing to classify */
	if (!m->has_header || m->verdict == MX_DNS_MALFORMED || m->verdict == MX_DNS_NOT_DNS)
		return MX_O_MALFORMED;
	if (m->tc && m->transport != MX_T_TCP)
		return MX_O_TRUNCATED;
	switch (m->rcode) {
	case MX_RCODE_NOERROR:
		break;
	case MX_RCODE_NXDOMAIN: /* with a CNAME chain it is about the last target, RFC 6604 */
		return MX_O_NXDOMAIN;
	case MX_RCODE_SERVFAIL:
		return MX_O_SERVFAIL;
	case MX_RCODE_REFUSED:
		return MX_O_REFUSED;
	case MX_RCODE_FORMERR:
		return MX_O_FORMERR;
	case MX_RCODE_NOTIMP:
		return MX_O_NOTIMP;
	default:
		return MX_O_OTHER;
	}
	if (m->an_qtype > 0)
		return MX_O_ANSWER;
	/* AXFR, IXFR and ANY (meta-QTYPEs, RFC 6895 §3.1) are never the type of
	 * a record: the zone's SOA (RFC 5936 §2.2, RFC 1995 §4) or whatever the
	 * server has (RFC 8482) is the answer; without this every zone transfer
	 * read as NODATA */
	if (m->an_parsed > 0 && (m->qtype == 251 || m->qtype == 252 || m->qtype == 255))
		return MX_O_ANSWER;
	/* snaplen cut the answer section: records were announced but not seen;
	 * calling it NODATA would invent a missing record, so trust the count */
	if (m->partial && m->an_parsed < m->ancount)
		return MX_O_ANSWER;
	if (!m->ra && !m->aa && m->an_parsed == 0 && m->ns_auth > 0)
		return MX_O_REFERRAL;
	return MX_O_NODATA; /* RFC 2308 §2.2 */
}

static const char *const outcome_names[MX_O__COUNT] = {
	[MX_O_ANSWER] = "ANSWER",
	[MX_O_NODATA] = "NODATA",
	[MX_O_NXDOMAIN] = "NXDOMAIN",
	[MX_O_REFERRAL] = "REFERRAL",
	[MX_O_SERVFAIL] = "SERVFAIL",
	[MX_O_REFUSED] = "REFUSED",
	[MX_O_FORMERR] = "FORMERR",
	[MX_O_NOTIMP] = "NOTIMP",
	[MX_O_OTHER] = "OTHER_RCODE",
	[MX_O_MALFORMED] = "MALFORMED",
	[MX_O_TRUNCATED] = "TRUNCATED",
	[MX_O_UNREACHABLE] = "UNREACHABLE",
	[MX_O_TIMEOUT] = "TIMEOUT",
};

const char *mx_outcome_name(enum mx_outcome o)
{
	if ((unsigned)o >= MX_O__COUNT)
		return "?";
	return outcome_names[o];
}

int mx_outcome_from_name(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < MX_O__COUNT; i++)
		if (strcasecmp(s, outcome_names[i]) == 0)
			return i;
	if (strcasecmp(s, "OTHER") == 0)
		return MX_O_OTHER;
	return -1;
}

bool mx_outcome_is_fail(enum mx_outcome o)
{
	switch (o) {
	case MX_O_ANSWER:
	case MX_O_NODATA:
	case MX_O_NXDOMAIN:
		return false;
	default:
		return (unsigned)o < MX_O__COUNT;
	}
}

/* ------------------------------------------------------------------------ */
/* mnemonics                                                                  */

const char *mx_dns_type_name(uint16_t type, char *buf, size_t n)
{
	/* QTYPEs ldns has no descriptor for: RFC 1035 §3.2.3, RFC 1995 */
	static const char *const meta[] = { "IXFR", "AXFR", "MAILB", "MAILA", "ANY" };
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (!buf || n == 0)
		return "";
	if (type >= 251 && type <= 255)
		snprintf(buf, n, "%s", meta[type - 251]);
	else if (d && d->_name && (uint16_t)d->_type == type)
		snprintf(buf, n, "%s", d->_name);
	else
		snprintf(buf, n, "TYPE%u", (unsigned)type); /* RFC 3597 §5 */
	return buf;
}

const char *mx_dns_rcode_name(uint16_t rcode, char *buf, size_t n)
{
	/* IANA "DNS RCODEs" beyond ldns' table (which stops at NOTZONE and says
	 * NOTIMPL for 4): 11 RFC 8490, 16-22 RFC 6891/8945, 23 RFC 7873. */
	static const char *const ext[] = {
		[4] = "NOTIMP", [11] = "DSOTYPENI", [16] = "BADVERS", [17] = "BADKEY",
		[18] = "BADTIME", [19] = "BADMODE", [20] = "BADNAME", [21] = "BADALG",
		[22] = "BADTRUNC", [23] = "BADCOOKIE",
	};
	const char *s = NULL;
	if (!buf || n == 0)
		return "";
	if (rcode < sizeof ext / sizeof ext[0])
		s = ext[rcode];
	if (!s) {
		ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rcode);
		s = t ? t->name : NULL;
	}
	if (s)
		snprintf(buf, n, "%s", s);
	else
		snprintf(buf, n, "RCODE%u", (unsigned)rcode);
	return buf;
}

const char *mx_dns_class_name(uint16_t cls, char *buf, size_t n)
{
	ldns_lookup_table *t = ldns_lookup_by_id(ldns_rr_classes, cls);
	if (!buf || n == 0)
		return "";
	if (t && t->name)
		snprintf(buf, n, "%s", t->name);
	else
		snprintf(buf, n, "CLASS%u", (unsigned)cls); /* RFC 3597 §5 */
	return buf;
}

const char *mx_dns_ede_name(uint16_t code)
{
	/* RFC 8914 §5.2 (initial registry) */
	static const char *const names[] = {
		"Other Error", "Unsupported DNSKEY Algorithm", "Unsupported DS Digest Type",
		"Stale Answer", "Forged Answer", "DNSSEC Indeterminate", "DNSSEC Bogus",
		"Signature Expired", "Signature Not Yet Valid", "DNSKEY Missing",
		"RRSIGs Missing", "No Zone Key Bit Set", "NSEC Missing", "Cached Error",
		"Not Ready", "Blocked", "Censored", "Filtered", "Prohibited",
		"Stale NXDOMAIN Answer", "Not Authoritative", "Not Supported",
		"No Reachable Authority", "Network Error", "Invalid Data",
	};
	if (code < sizeof names / sizeof names[0])
		return names[code];
	return "Unknown";
}

int mx_dns_type_from_name(const char *s)
{
	if (!s || !*s)
		return -1;
	ldns_rr_type t = ldns_get_rr_type_by_name(s);
	if (t == 0 && strcasecmp(s, "TYPE0") != 0)
		return -1;
	return (int)t;
}
