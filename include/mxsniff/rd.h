/* rd.h - bounds-checked byte reader with a sticky error (L0).
 *
 * A reader tracks what is left, never an end pointer. Every read past the end
 * returns 0 and sets `bad`; callers read a whole header and test `bad` once.
 * mx_rd_sub() confines an inner layer to a length the outer layer declared,
 * clamped to what was actually captured, and reports whether it was clamped so
 * a decoder can tell TRUNCATED (snaplen) from MALFORMED. Never cast packet bytes
 * to structs: all multi-byte reads are big-endian (network order) byte by byte.
 */
#ifndef MXSNIFF_RD_H
#define MXSNIFF_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mx_rd {
	const uint8_t *p; /* next byte */
	size_t left;      /* bytes left */
	bool bad;         /* a read went past the end (sticky) */
};

static inline void mx_rd_init(struct mx_rd *r, const void *p, size_t n)
{
	r->p = (const uint8_t *)p;
	r->left = n;
	r->bad = false;
}

static inline bool mx_rd_need(struct mx_rd *r, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static inline uint8_t mx_rd_u8(struct mx_rd *r)
{
	if (!mx_rd_need(r, 1))
		return 0;
	uint8_t v = r->p[0];
	r->p += 1;
	r->left -= 1;
	return v;
}

static inline uint16_t mx_rd_u16(struct mx_rd *r)
{
	if (!mx_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((uint16_t)r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return v;
}

static inline uint32_t mx_rd_u32(struct mx_rd *r)
{
	if (!mx_rd_need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
		     (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

/* Skip n bytes; sets bad (and skips nothing) when fewer are left. */
static inline void mx_rd_skip(struct mx_rd *r, size_t n)
{
	if (!mx_rd_need(r, n))
		return;
	r->p += n;
	r->left -= n;
}

/* Copy n bytes into dst; on short input dst is zeroed and bad is set. */
static inline void mx_rd_bytes(struct mx_rd *r, void *dst, size_t n)
{
	if (!mx_rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
}

/* A reader over the next n bytes of r, which are skipped in r. When fewer than
 * n bytes are left the sub-reader gets what there is, r is emptied (not made
 * bad) and *clamped (if non-NULL) is set true: the caller decides whether that
 * is snaplen truncation or a lying length field. */
static inline struct mx_rd mx_rd_sub(struct mx_rd *r, size_t n, bool *clamped)
{
	struct mx_rd s;
	size_t take = n <= r->left ? n : r->left;
	s.p = r->p;
	s.left = r->bad ? 0 : take;
	s.bad = false;
	if (clamped)
		*clamped = r->bad || take < n;
	if (!r->bad) {
		r->p += take;
		r->left -= take;
	}
	return s;
}

#endif
