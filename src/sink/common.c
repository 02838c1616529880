/* sink/common.c - helpers shared by the report writers (L6).
 *
 * Time stamps (RFC 3339, UTC, microseconds), milliseconds with three
 * decimals, and JSON strings (RFC 8259 §7) plus the small JSON value writers
 * json.c and ndjson.c share (sink_priv.h); and the prose pieces text.c and
 * md.c share: evidence cells, one-line summaries of a chain's MX step and of
 * its exchanges. Everything is integer arithmetic (time stamps too: civil
 * dates are computed here, not by gmtime), so output does not depend on the
 * locale, the time zone or the wall clock. The JSON writers format into a
 * struct mx_jw buffer (sink_priv.h) instead of one stdio call per
 * character. Nothing here allocates or decides anything about DNS.
 */
#include "mxsniff/sink.h"
#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/txn.h"
#include "sink_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "YYYY-MM-DDTHH:MM:SS" of secs since the epoch, as gmtime_r and
 * "%04d-%02d-%02dT%02d:%02d:%02d" would write it (proleptic Gregorian,
 * years past 9999 in full), into b (at least 32 bytes); returns the length.
 * The date is H. Hinnant's days-to-civil arithmetic, so no time zone lock
 * and no printf. */
static size_t fmt_civil(uint64_t secs, char *b)
{
	uint64_t days = secs / 86400u, rem = secs % 86400u;
	uint64_t z = days + 719468u;             /* days since 0000-03-01 */
	uint64_t era = z / 146097u;
	unsigned doe = (unsigned)(z - era * 146097u);                    /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u; /* [0, 399] */
	unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);       /* [0, 365] */
	unsigned mp = (5u * doy + 2u) / 153u;                            /* [0, 11] */
	unsigned day = doy - (153u * mp + 2u) / 5u + 1u;
	unsigned mon = mp < 10u ? mp + 3u : mp - 9u;
	uint64_t year = era * 400u + yoe + (mon <= 2u ? 1u : 0u);
	unsigned hms[3] = { (unsigned)(rem / 3600u), (unsigned)(rem / 60u % 60u), (unsigned)(rem % 60u) };
	char y[20];
	size_t n = 0, yl = mx_jw_fmt_u64(y, year);
	for (; yl + n < 4; n++)
		b[n] = '0';
	memcpy(b + n, y, yl);
	n += yl;
	b[n++] = '-';
	b[n++] = (char)('0' + mon / 10u);
	b[n++] = (char)('0' + mon % 10u);
	b[n++] = '-';
	b[n++] = (char)('0' + day / 10u);
	b[n++] = (char)('0' + day % 10u);
	for (int i = 0; i < 3; i++) {
		b[n++] = i ? ':' : 'T';
		b[n++] = (char)('0' + hms[i] / 10u);
		b[n++] = (char)('0' + hms[i] % 10u);
	}
	return n;
}

char *mx_fmt_time(uint64_t ts_us, char *buf, size_t n)
{
	char t[48];
	size_t l;
	unsigned frac = (unsigned)(ts_us % 1000000u);
	if (n == 0)
		return buf;
	l = fmt_civil(ts_us / 1000000u, t);
	t[l++] = '.';
	for (unsigned i = 6; i > 0; i--, frac /= 10u)
		t[l + i - 1] = (char)('0' + frac % 10u);
	l += 6;
	t[l++] = 'Z';
	if (l >= n)
		l = n - 1; /* truncated like snprintf */
	memcpy(buf, t, l);
	buf[l] = '\0';
	return buf;
}

char *mx_fmt_ms(uint64_t us, char *buf, size_t n)
{
	char t[32];
	size_t l;
	if (n == 0)
		return buf;
	l = mx_jw_fmt_u64(t, us / 1000u);
	t[l++] = '.';
	t[l++] = (char)('0' + us % 1000u / 100u);
	t[l++] = (char)('0' + us % 100u / 10u);
	t[l++] = (char)('0' + us % 10u);
	if (l >= n)
		l = n - 1;
	memcpy(buf, t, l);
	buf[l] = '\0';
	return buf;
}

/* Length of a valid UTF-8 sequence starting at p (RFC 3629 §4), 0 if none. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/* Bytes a JSON string carries as themselves: printable ASCII but '"' and
 * '\\' (control bytes, DEL and bytes >= 0x80 take the slow path). */
static const unsigned char g_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x20-0x2f, no '"' */
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* no '\\' */
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,   /* no DEL */
};

/* The escape of byte c of s (at p, not plain, not NUL) into e: returns its
 * length and how many input bytes it stands for in *used. */
static size_t json_escape(const unsigned char *p, char e[8], size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = *p;
	*used = 1;
	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	}
	if (c < 0x20 || c == 0x7f) {
		switch (c) {
		case '\b': memcpy(e, "\\b", 2); return 2;
		case '\f': memcpy(e, "\\f", 2); return 2;
		case '\n': memcpy(e, "\\n", 2); return 2;
		case '\r': memcpy(e, "\\r", 2); return 2;
		case '\t': memcpy(e, "\\t", 2); return 2;
		default:
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			return 6;
		}
	}
	/* Pass valid UTF-8 through; an invalid byte becomes U+FFFD so the
	 * document stays valid whatever bytes a name held. (The terminating
	 * NUL stops utf8_len before it reads past it.) */
	size_t k = utf8_len(p);
	if (k) {
		memcpy(e, p, k);
		*used = k;
		return k;
	}
	memcpy(e, "\\ufffd", 6);
	return 6;
}

void mx_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (;;) {
		const unsigned char *run = p;
		char e[8];
		size_t used, k;
		while (g_plain[*p])
			p++;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), out);
		if (!*p)
			break;
		k = json_escape(p, e, &used);
		fwrite(e, 1, k, out);
		p += used;
	}
	fputc('"', out);
}

/* ---- the JSON writers' buffer ----------------------------------------- */

void mx_jw_init(struct mx_jw *w, FILE *out)
{
	w->out = out;
	w->len = 0;
	w->t[0].valid = w->t[1].valid = false;
	w->d_valid = false;
	for (size_t k = 0; k < sizeof w->mn / sizeof w->mn[0]; k++)
		for (size_t i = 0; i < sizeof w->mn[0] / sizeof w->mn[0][0]; i++)
			w->mn[k][i].len = 0;
}

void mx_jw_flush(struct mx_jw *w)
{
	if (w->len && w->out)
		fwrite(w->buf, 1, w->len, w->out);
	w->len = 0;
}

void mx_jw_put_slow(struct mx_jw *w, const char *s, size_t n)
{
	mx_jw_flush(w);
	if (n > MX_JW_CAP) {
		if (w->out)
			fwrite(s, 1, n, w->out);
		return;
	}
	memcpy(w->buf, s, n);
	w->len = n;
}

const char mx_jw_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";
#define g_digits2 mx_jw_digits2

size_t mx_jw_fmt_u64(char *buf, uint64_t v)
{
	return (size_t)(mx_jc_u64(buf, v) - buf);
}

char *mx_jc_u64_big(char *d, uint64_t v)
{
	static const uint64_t p10[20] = {
		1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
		1000000000u, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
		100000000000000u, 1000000000000000u, 10000000000000000u, 100000000000000000u,
		1000000000000000000u, 10000000000000000000u,
	};
	/* digits: from the bit length, t = floor(bits * log10(2)) is the
	 * count or one less (1233 / 4096 ~ log10(2)); v >= 100, so bits >= 7 */
	unsigned t = (unsigned)(64 - __builtin_clzll(v)) * 1233u >> 12;
	char *e = d + t + (v >= p10[t] ? 1u : 0u);
	d = e;
	/* digits from the last one back, two at a time (in 32 bits once the
	 * value fits) */
	while (v > UINT32_MAX) {
		unsigned k = (unsigned)(v % 100u);
		v /= 100u;
		d -= 2;
		memcpy(d, g_digits2 + 2 * k, 2);
	}
	uint32_t x = (uint32_t)v;
	while (x >= 100u) {
		uint32_t k = x % 100u;
		x /= 100u;
		d -= 2;
		memcpy(d, g_digits2 + 2 * k, 2);
	}
	if (x >= 10u) {
		d -= 2;
		memcpy(d, g_digits2 + 2 * x, 2);
	} else {
		*--d = (char)('0' + x);
	}
	return e;
}

/* frac as exactly `digits` decimal digits (zero-padded; digits <= 9) */
static void fmt_frac(char *b, unsigned frac, unsigned digits)
{
	for (unsigned i = digits; i > 0; i--) {
		b[i - 1] = (char)('0' + frac % 10u);
		frac /= 10u;
	}
}

void mx_jw_fixed(struct mx_jw *w, uint64_t v, unsigned frac, unsigned digits)
{
	char b[32];
	size_t n = mx_jw_fmt_u64(b, v);
	b[n++] = '.';
	fmt_frac(b + n, frac, digits);
	mx_jw_put(w, b, n + digits);
}

/* The escaped body of s (no quotes) from p on. */
static void jw_body(struct mx_jw *w, const unsigned char *p)
{
	for (;;) {
		char *d = w->buf + w->len, *end = w->buf + MX_JW_CAP;
		char e[8];
		size_t used, k;
		/* copy the run of plain bytes while it fits */
		while (d < end && g_plain[*p])
			*d++ = (char)*p++;
		w->len = (size_t)(d - w->buf);
		if (d == end && g_plain[*p]) {
			mx_jw_flush(w);
			continue;
		}
		if (!*p)
			return;
		k = json_escape(p, e, &used);
		mx_jw_put(w, e, k);
		p += used;
	}
}

void mx_jw_str(struct mx_jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s) {
		mx_jw_put(w, "null", 4);
		return;
	}
	if (MX_JW_CAP - w->len >= 72) {
		/* the usual case: a short plain string copied in one go */
		char *d = w->buf + w->len, *lim = d + 68;
		*d++ = '"';
		while (d < lim && g_plain[*p])
			*d++ = (char)*p++;
		if (!*p) {
			*d++ = '"';
			w->len = (size_t)(d - w->buf);
			return;
		}
		w->len = (size_t)(d - w->buf); /* the rest from p on */
	} else {
		mx_jw_c(w, '"');
	}
	jw_body(w, p);
	mx_jw_c(w, '"');
}

void mx_jw_key(struct mx_jw *w, bool *first, const char *k)
{
	const unsigned char *p = (const unsigned char *)k;
	if (MX_JW_CAP - w->len >= 72) {
		/* the usual case: a short plain name copied in one go */
		char *d = w->buf + w->len, *lim = d + 68;
		if (!*first)
			*d++ = ',';
		*d++ = '"';
		while (d < lim && g_plain[*p])
			*d++ = (char)*p++;
		if (!*p) {
			*d++ = '"';
			*d++ = ':';
			w->len = (size_t)(d - w->buf);
			*first = false;
			return;
		}
	}
	if (!*first)
		mx_jw_c(w, ',');
	*first = false;
	mx_jw_str(w, k);
	mx_jw_c(w, ':');
}

char *mx_jc_addr(char *d, const struct mx_addr *a)
{
	*d++ = '"';
	d = mx_addr_text(d, a);
	*d++ = '"';
	return d;
}

void mx_sj_addr(struct mx_jw *out, const struct mx_addr *a)
{
	mx_jw_end(out, mx_jc_addr(mx_jw_room(out, MX_JC_ADDR_MAX), a));
}

/* Bytes mx_dname_format writes as they are (letters, digits, '-', '_',
 * '*'); none needs escaping in a JSON string. */
static const unsigned char g_ldh[256] = {
	['*'] = 1, ['-'] = 1, ['_'] = 1,
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['A'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['a'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The text mx_dname_format gives for a name of plain bytes only (letters,
 * digits, '-', '_', '*'): its labels joined and ended by dots, walking the
 * labels as mx_dname_format does. Written to o (room for MX_DNAME_MAX bytes:
 * a label of ll bytes and its length byte give ll characters and a dot);
 * returns the length, or SIZE_MAX at the first byte that is not plain. */
static size_t name_plain(const struct mx_dname *d, char *o)
{
	size_t n = d->len, i = 0, k = 0;
	if (n == 1) {
		o[0] = '.'; /* the root, whatever its byte */
		return 1;
	}
	while (i < n) {
		size_t ll = d->wire[i++];
		if (ll == 0 || i + ll > n)
			break;
		for (size_t j = 0; j < ll; j++) {
			uint8_t c = d->wire[i + j];
			if (!g_ldh[c])
				return SIZE_MAX;
			o[k + j] = (char)c;
		}
		k += ll;
		i += ll;
		o[k++] = '.';
	}
	return k;
}

void mx_sj_name(struct mx_jw *out, const struct mx_dname *d)
{
	/* the usual name straight into the buffer; any other goes through
	 * mx_dname_format then the JSON escaping */
	char *o = mx_jw_room(out, MX_DNAME_MAX + 2);
	size_t k = name_plain(d, o + 1);
	if (k != SIZE_MAX) {
		o[0] = '"';
		o[k + 1] = '"';
		mx_jw_end(out, o + k + 2);
		return;
	}
	char buf[MX_DNAME_STRLEN];
	mx_jw_str(out, mx_dname_format(d, buf, sizeof buf));
}

/* the six fraction digits of a time stamp */
static char *frac6(char *d, unsigned f)
{
	memcpy(d, g_digits2 + 2 * (f / 10000u), 2);
	memcpy(d + 2, g_digits2 + 2 * (f / 100u % 100u), 2);
	memcpy(d + 4, g_digits2 + 2 * (f % 100u), 2);
	return d + 6;
}

char *mx_jc_time(struct mx_jw *w, char *d, uint64_t ts_us)
{
	uint64_t sec = ts_us / 1000000u;
	if (!ts_us) {
		memcpy(d, "null", 4);
		return d + 4;
	}
	struct mx_jw_tpre *t = &w->t[sec & 1u];
	if (!t->valid || t->sec != sec) {
		/* the seconds part, kept while the following stamps fall in
		 * this second or the one beside it; the date part is kept
		 * while they fall in the same day */
		uint64_t day = sec / 86400u;
		if (w->d_valid && w->d_day == day) {
			unsigned rem = (unsigned)(sec - day * 86400u), h = rem / 3600u, mi = rem / 60u % 60u;
			char *p = t->pre + w->d_len;
			memcpy(t->pre, w->d_pre, sizeof w->d_pre);
			memcpy(p, g_digits2 + 2 * h, 2);
			p[2] = ':';
			memcpy(p + 3, g_digits2 + 2 * mi, 2);
			p[5] = ':';
			memcpy(p + 6, g_digits2 + 2 * (rem % 60u), 2);
			t->len = (uint8_t)(w->d_len + 8u);
		} else {
			t->len = (uint8_t)fmt_civil(sec, t->pre);
			/* "YYYY-MM-DDT" then "HH:MM:SS" */
			w->d_len = (uint8_t)(t->len - 8u);
			memcpy(w->d_pre, t->pre, w->d_len);
			w->d_day = day;
			w->d_valid = true;
		}
		t->pre[t->len++] = '.';
		t->sec = sec;
		t->valid = true;
	}
	*d++ = '"';
	/* the prefix is at most 23 bytes: copy a fixed 32 */
	memcpy(d, t->pre, 32);
	d = frac6(d + t->len, (unsigned)(ts_us - sec * 1000000u));
	d[0] = 'Z';
	d[1] = '"';
	return d + 2;
}

void mx_sj_time(struct mx_jw *out, uint64_t ts_us)
{
	mx_jw_end(out, mx_jc_time(out, mx_jw_room(out, MX_JC_TIME_MAX), ts_us));
}

char *mx_jc_ms(char *d, uint64_t us)
{
	unsigned f = (unsigned)(us % 1000u);
	d = mx_jc_u64(d, us / 1000u);
	*d++ = '.';
	*d++ = (char)('0' + f / 100u);
	memcpy(d, g_digits2 + 2 * (f % 100u), 2);
	return d + 2;
}

void mx_sj_ms(struct mx_jw *out, uint64_t us)
{
	mx_jw_end(out, mx_jc_ms(mx_jw_room(out, MX_JC_MS_MAX), us));
}

void mx_sj_bool(struct mx_jw *out, bool b)
{
	if (b)
		mx_jw_put(out, "true", 4);
	else
		mx_jw_put(out, "false", 5);
}

enum { MN_TYPE, MN_CLASS, MN_RCODE, MN_OUTCOME, MN_VERDICT, MN_KIND };

/* A mnemonic through its dns.c, chain.c or txn.c function, written as a JSON
 * string and remembered as written per code (the names are a function of
 * the code, so the cache cannot change a byte). */
static void mnemonic(struct mx_jw *out, int kind, uint16_t code)
{
	unsigned h = code % (sizeof out->mn[0] / sizeof out->mn[0][0]);
	char buf[32], *start;
	const char *name = buf;
	size_t n;
	if (out->mn[kind][h].len && out->mn[kind][h].code == code) {
		/* one fixed-size copy of the whole slot; the length says how
		 * much of it counts */
		char *d = mx_jw_room(out, sizeof out->mn[kind][h]);
		memcpy(d, &out->mn[kind][h], sizeof out->mn[kind][h]);
		mx_jw_end(out, d + out->mn[kind][h].len);
		return;
	}
	switch (kind) {
	case MN_TYPE: mx_dns_type_name(code, buf, sizeof buf); break;
	case MN_CLASS: mx_dns_class_name(code, buf, sizeof buf); break;
	case MN_RCODE: mx_dns_rcode_name(code, buf, sizeof buf); break;
	case MN_OUTCOME: name = mx_outcome_name((enum mx_outcome)code); break;
	case MN_VERDICT: name = mx_chain_verdict_name((enum mx_chain_verdict)code); break;
	default: name = mx_txn_kind_name((enum mx_txn_kind)code); break;
	}
	n = strlen(name);
	if (n >= sizeof buf) {
		mx_jw_str(out, name); /* too long to keep */
		return;
	}
	/* room for the whole string escaped (6 bytes a byte at most), so the
	 * written bytes stay in the buffer to be copied */
	start = mx_jw_room(out, 6 * sizeof buf + 2);
	mx_jw_str(out, name);
	n = (size_t)(out->buf + out->len - start);
	if (n <= sizeof out->mn[kind][h].text) {
		memcpy(out->mn[kind][h].text, start, n);
		out->mn[kind][h].code = code;
		out->mn[kind][h].len = (uint8_t)n;
	}
}

void mx_sj_type(struct mx_jw *out, uint16_t type)
{
	mnemonic(out, MN_TYPE, type);
}

void mx_sj_class(struct mx_jw *out, uint16_t cls)
{
	mnemonic(out, MN_CLASS, cls);
}

void mx_sj_rcode(struct mx_jw *out, uint16_t rcode)
{
	mnemonic(out, MN_RCODE, rcode);
}

void mx_sj_outcome(struct mx_jw *out, enum mx_outcome o)
{
	if ((unsigned)o <= 0xffffu)
		mnemonic(out, MN_OUTCOME, (uint16_t)o);
	else
		mx_jw_str(out, mx_outcome_name(o));
}

void mx_sj_txn_kind(struct mx_jw *out, enum mx_txn_kind k)
{
	if ((unsigned)k <= 0xffffu)
		mnemonic(out, MN_KIND, (uint16_t)k);
	else
		mx_jw_str(out, mx_txn_kind_name(k));
}

void mx_sj_verdict(struct mx_jw *out, enum mx_chain_verdict v)
{
	if ((unsigned)v <= 0xffffu)
		mnemonic(out, MN_VERDICT, (uint16_t)v);
	else
		mx_jw_str(out, mx_chain_verdict_name(v));
}

/* ---- prose ------------------------------------------------------------ */

/* Bounded appender: never overflows, always terminated. */
struct sk_buf {
	char *b;
	size_t n, len;
};

static void ska(struct sk_buf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ska(struct sk_buf *s, const char *fmt, ...)
{
	va_list ap;
	if (s->n == 0 || s->len + 1 >= s->n)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(s->b + s->len, s->n - s->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->len = (size_t)k < s->n - s->len ? s->len + (size_t)k : s->n - 1;
}

static struct sk_buf sk_start(char *buf, size_t n)
{
	struct sk_buf s = { buf, n, 0 };
	if (n)
		buf[0] = '\0';
	return s;
}

const char *mx_sk_evicted_by(const struct mx_snapshot *s, char *buf, size_t n)
{
	size_t o = 0;
	uint64_t listed = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n_findings_evicted_by && o < n; i++) {
		const struct mx_evicted_pattern *e = &s->findings_evicted_by[i];
		int w = snprintf(buf + o, n - o, "%s%s %" PRIu64, i ? ", " : "", e->pattern, e->n);
		if (w < 0)
			break;
		o += (size_t)w;
		listed += e->n;
	}
	if (listed && listed < s->findings_evicted && o < n)
		snprintf(buf + o, n - o, ", others %" PRIu64, s->findings_evicted - listed);
	return buf;
}

const char *mx_sk_name(const struct mx_dname *d, char *buf, size_t n)
{
	if (!n)
		return buf;
	if (!d || d->len == 0) {
		snprintf(buf, n, "-");
		return buf;
	}
	size_t l = n >= MX_DNAME_MAX + 2 ? name_plain(d, buf) : SIZE_MAX;
	if (l != SIZE_MAX) {
		buf[l] = '\0'; /* what mx_dname_format writes: it fits */
	} else {
		mx_dname_format(d, buf, n);
		l = strlen(buf);
	}
	/* drop the trailing dot unless it is the root or an escaped dot */
	if (l > 1 && buf[l - 1] == '.' && !(l >= 2 && buf[l - 2] == '\\'))
		buf[l - 1] = '\0';
	return buf;
}

const char *mx_sk_safe(const char *in, char *buf, size_t n)
{
	size_t o = 0;
	if (!n)
		return buf;
	for (const unsigned char *p = (const unsigned char *)in; p && *p && o + 5 < n; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
	}
	buf[o] = '\0';
	return buf;
}

const char *mx_sk_sev_upper(enum mx_sev s)
{
	switch (s) {
	case MX_SEV_INFO: return "INFO";
	case MX_SEV_WARN: return "WARN";
	case MX_SEV_ERROR: return "ERROR";
	case MX_SEV_CRIT: return "CRIT";
	}
	return "?";
}

const char *mx_sk_status(const char *smtp)
{
	static const char *const pre[] = { "most likely: ", "most likely ", "Most likely: ",
					   "Most likely " };
	if (!smtp)
		return NULL;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(smtp, pre[i], strlen(pre[i])) == 0)
			return smtp + strlen(pre[i]);
	return smtp;
}

const char *mx_sk_question(uint16_t qtype, const struct mx_dname *qname, char *buf, size_t n)
{
	char ty[32], nm[MX_DNAME_STRLEN];
	snprintf(buf, n, "%s %s", mx_dns_type_name(qtype, ty, sizeof ty),
		 mx_sk_name(qname, nm, sizeof nm));
	return buf;
}

static void ede_text(struct sk_buf *s, uint16_t ede)
{
	if (ede != 0xffff)
		ska(s, ", EDE %u %s", (unsigned)ede, mx_dns_ede_name(ede));
}

const char *mx_sk_evidence_answer(const struct mx_evidence *e, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char rc[32];
	if (!e->response) {
		ska(&s, e->late ? "(query, answered late)"
			    : e->open ? "(query, no response before the lookup ended)"
			    : e->outcome == MX_O_TIMEOUT ? "(query, no response)" : "(query)");
		return buf;
	}
	mx_dns_rcode_name(e->rcode, rc, sizeof rc);
	switch (e->outcome) {
	case MX_O_ANSWER:
		ska(&s, "%s%s%s", rc, e->answer[0] ? " " : "", e->answer);
		break;
	case MX_O_NODATA:
		ska(&s, "%s, no data%s%s", rc, e->answer[0] ? "; " : "", e->answer);
		break;
	case MX_O_REFERRAL:
		ska(&s, "%s, referral", rc);
		break;
	case MX_O_TRUNCATED:
		ska(&s, "%s, truncated (TC=1)", rc);
		break;
	case MX_O_MALFORMED:
		ska(&s, "malformed response");
		break;
	case MX_O_UNREACHABLE:
		ska(&s, "ICMP unreachable");
		break;
	case MX_O_TIMEOUT:
		ska(&s, "no response");
		break;
	default:
		ska(&s, "%s%s%s", rc, e->answer[0] ? "; " : "", e->answer);
		break;
	}
	ede_text(&s, e->ede);
	if (e->late)
		ska(&s, " (late)");
	return buf;
}

/* "ok", "NODATA", "SERVFAIL" (ANSWER: then the host's addresses of
 * `family` when given), with " (N queries)" when more than one query was
 * sent (not "xN", which reads as a count of addresses), "over TCP" (after
 * TC=1, or from the start) when a query went over TCP, and the EDE. */
static void step_result(struct sk_buf *s, const struct mx_chain_step *st,
			const struct mx_chain_host *h, uint8_t family);

static void addr_list(struct sk_buf *s, const struct mx_chain_host *h, uint8_t family);

static void step_result(struct sk_buf *s, const struct mx_chain_step *st,
			const struct mx_chain_host *h, uint8_t family)
{
	if (st->outcome == MX_O_ANSWER) {
		ska(s, "ok");
		if (h && family)
			addr_list(s, h, family);
	} else if (st->pending) {
		ska(s, "pending (capture ended)");
	} else {
		ska(s, "%s", mx_outcome_name(st->outcome));
	}
	/* " (N queries, over TCP after TC=1)": the count and the transport */
	const char *tcp = st->tcp == 1 ? "over TCP after TC=1" : st->tcp == 2 ? "over TCP" : NULL;
	if (st->attempts > 1)
		ska(s, tcp ? " (%u queries, %s)" : " (%u queries)", (unsigned)st->attempts, tcp);
	else if (tcp)
		ska(s, " (%s)", tcp);
	if (st->ede != 0xffff)
		ska(s, " (EDE %u %s)", (unsigned)st->ede, mx_dns_ede_name(st->ede));
}

static void frames_list(struct sk_buf *s, const uint64_t *fr, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ska(s, "%s%" PRIu64, i ? ", " : "", fr[i]);
}

const char *mx_sk_relay_hint(const struct mx_snapshot *s, char *buf, size_t n)
{
	buf[0] = '\0';
	if (s->chain.chains != 0)
		return buf;
	bool mx_less = false;
	for (size_t i = 0; i < s->n_senders && !mx_less; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		mx_less = r->mx_lookups == 0 && r->a_lookups + r->aaaa_lookups > 0;
	}
	if (!mx_less)
		return buf;
	/* an inbound server confirming its clients' PTR names: its failing
	 * A/AAAA lookups are those names, no relay host */
	for (size_t j = 0; j < s->n_findings; j++)
		if (strcmp(s->findings[j].pattern, "CLIENT_FCRDNS_FAIL") == 0)
			return buf;
	for (size_t i = 0; i < s->n_failing; i++) {
		const struct mx_name_row *r = &s->failing[i];
		if (r->qtype != MX_TYPE_A && r->qtype != MX_TYPE_AAAA)
			continue;
		char nm[MX_DNAME_STRLEN];
		mx_dname_format(&r->qname, nm, sizeof nm);
		size_t k = strlen(nm);
		if (k > 1 && nm[k - 1] == '.')
			nm[k - 1] = '\0';
		snprintf(buf, n,
			 "a mail server that sends through a relay host (Postfix relayhost = [host]) asks no MX, "
			 "only the relay host's A/AAAA: if %s is one, run again with --relayhost %s to follow its "
			 "lookups as chains ('[%s]:587' when it takes mail on port 587)",
			 nm, nm, nm);
		break;
	}
	return buf;
}

const char *mx_sk_mx_line(const struct mx_chain *c, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char a[MX_ADDR_STRLEN];
	const struct mx_chain_step *m = &c->mx;
	if (c->relay) {
		ska(&s, "no MX lookup: a relay host (--relayhost)");
		return buf;
	}
	if (!m->asked) {
		ska(&s, "MX not seen");
		return buf;
	}
	if (c->null_mx) {
		ska(&s, "MX null MX (\"%u .\": no mail accepted)", (unsigned)c->null_mx_pref);
	} else if (m->outcome == MX_O_ANSWER) {
		unsigned k = c->hosts_total > c->n_hosts ? c->hosts_total : c->n_hosts;
		ska(&s, "MX ok: %u exchange%s", k, k == 1 ? "" : "s");
		if (c->null_mx_mixed)
			ska(&s, " beside a null MX");
		const char *tcp = m->tcp == 1 ? "over TCP after TC=1" : m->tcp == 2 ? "over TCP" : NULL;
		if (m->attempts > 1)
			ska(&s, tcp ? " (%u queries, %s)" : " (%u queries)", (unsigned)m->attempts, tcp);
		else if (tcp)
			ska(&s, " (%s)", tcp);
	} else if (m->outcome == MX_O_NODATA) {
		ska(&s, "MX NODATA: the domain itself is the exchange (implicit MX)");
	} else {
		ska(&s, "MX ");
		step_result(&s, m, NULL, 0);
	}
	if (m->n_resolvers) {
		ska(&s, " via ");
		for (unsigned i = 0; i < m->n_resolvers; i++)
			ska(&s, "%s%s", i ? ", " : "", mx_addr_format(&m->resolvers[i], a, sizeof a));
	}
	if (m->n_frames) {
		ska(&s, " (frame%s ", m->n_frames == 1 ? "" : "s");
		frames_list(&s, m->frames, m->n_frames);
		ska(&s, ")");
	}
	if (c->search_lookups)
		ska(&s, "; %u failing MX lookup%s of the domain with a search domain appended "
			"(resolv.conf search list), folded into this chain", (unsigned)c->search_lookups,
		    c->search_lookups == 1 ? "" : "s");
	return buf;
}

/* "ok 192.0.2.1, 192.0.2.2" with the host's addresses of one family. */
static void addr_list(struct sk_buf *s, const struct mx_chain_host *h, uint8_t family)
{
	char a[MX_ADDR_STRLEN];
	unsigned shown = 0, more = 0;
	for (unsigned i = 0; i < h->n_addrs && i < MX_CHAIN_MAX_ADDRS; i++) {
		if (h->addrs[i].family != family)
			continue;
		if (shown < 3)
			ska(s, "%s%s", shown ? ", " : " ", mx_addr_format(&h->addrs[i], a, sizeof a));
		else
			more++;
		shown++;
	}
	if (more)
		ska(s, " +%u", more);
}

static void host_step(struct sk_buf *s, const struct mx_chain_host *h, const struct mx_chain_step *st,
		      const char *type, uint8_t family)
{
	ska(s, "%s ", type);
	step_result(s, st, h, family);
}

const char *mx_sk_host_line(const struct mx_chain_host *h, bool relay, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char nm[MX_DNAME_STRLEN];
	const struct mx_chain_step *first, *second;
	const char *t1, *t2;
	uint8_t f1, f2;

	ska(&s, "%s", mx_sk_name(&h->name, nm, sizeof nm));
	if (relay && h->implicit)
		ska(&s, " (relay host)");
	else if (h->implicit)
		ska(&s, " (implicit MX)");
	else if (h->ip_literal)
		ska(&s, " (%u, IP literal)", (unsigned)h->pref);
	else
		ska(&s, " (%u)", (unsigned)h->pref);
	ska(&s, ": ");
	if (h->first_family == 6) {
		first = &h->aaaa, second = &h->a, t1 = "AAAA", t2 = "A", f1 = 6, f2 = 4;
	} else {
		first = &h->a, second = &h->aaaa, t1 = "A", t2 = "AAAA", f1 = 4, f2 = 6;
	}
	if (!first->asked && !second->asked) {
		ska(&s, "no address lookup seen");
	} else if (!first->asked) {
		host_step(&s, h, second, t2, f2);
		ska(&s, ", %s not asked", t1);
	} else {
		/* "->": the second family was asked after the first failed
		 * (a fallback); asked in parallel, the two are a list */
		bool failed = first->outcome != MX_O_ANSWER && first->outcome != MX_O_NODATA;
		host_step(&s, h, first, t1, f1);
		if (second->asked) {
			ska(&s, failed && !mx_chain_host_parallel(h) ? " -> " : ", ");
			host_step(&s, h, second, t2, f2);
		} else {
			ska(&s, failed ? " -> %s never asked" : ", %s not asked", t2);
		}
	}
	if (h->cname.len)
		ska(&s, "; CNAME %s%s", mx_sk_name(&h->cname, nm, sizeof nm),
		    h->cname_loop ? " (loop)" : "");
	if (h->tlsa.asked) {
		ska(&s, ", ");
		host_step(&s, h, &h->tlsa, "TLSA", 0);
	}
	if (h->connected)
		ska(&s, "; connected");
	return buf;
}

size_t mx_sk_next_line(const char **p, const char **line)
{
	const char *q = *p;
	while (q && *q == '\n')
		q++;
	if (!q || !*q) {
		*p = q;
		return 0;
	}
	const char *e = strchr(q, '\n');
	size_t len = e ? (size_t)(e - q) : strlen(q);
	*line = q;
	*p = q + len;
	return len;
}

const char *mx_sk_secs(uint64_t us, char *buf, size_t n)
{
	uint64_t d = (us + 50000u) / 100000u; /* tenths, rounded */
	snprintf(buf, n, "%" PRIu64 ".%u", d / 10u, (unsigned)(d % 10u));
	return buf;
}

const char *mx_sk_sentence(const char *in, char *buf, size_t n)
{
	if (!n)
		return buf;
	size_t l = in ? strlen(in) : 0;
	if (l > n - 1)
		l = n - 1; /* cut like snprintf */
	memcpy(buf, in ? in : "", l);
	buf[l] = '\0';
	/* not when the first word is a DNS name ("m\032x.example.org. has
	 * ...", "mx1.example.test answers"): names keep their case */
	size_t w = strcspn(buf, " ");
	bool name = memchr(buf, '\\', w) != NULL;
	for (size_t i = 0; !name && i + 1 < w; i++)
		name = buf[i] == '.' && buf[i + 1] != ' ';
	if (l && buf[0] >= 'a' && buf[0] <= 'z' && !name)
		buf[0] = (char)(buf[0] - 'a' + 'A');
	while (l && buf[l - 1] == ' ')
		buf[--l] = '\0';
	if (l && !strchr(".!?", buf[l - 1]) && l + 1 < n) {
		buf[l] = '.';
		buf[l + 1] = '\0';
	}
	return buf;
}

const char *mx_sk_first_sentence(const char *in, char *buf, size_t n)
{
	mx_sk_sentence(in, buf, n);
	for (char *p = buf; *p; p++)
		if (p[0] == '.' && p[1] == ' ' && p[2] >= 'A' && p[2] <= 'Z') {
			p[1] = '\0';
			break;
		}
	return buf;
}

const char *mx_sk_subject(const struct mx_finding *f, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], ty[32];
	bool who = false, what = false;
	if (f->sender.family) {
		/* the inbound patterns' host receives mail: a server */
		ska(&s, "%s %s", strncmp(f->pattern, "CLIENT_", 7) == 0 ? "server" : "sender",
		    mx_addr_format(&f->sender, a, sizeof a));
		who = true;
	} else if (f->n_resolvers) {
		ska(&s, "%s %s", f->authoritative ? "authoritative" : "resolver",
		    mx_addr_format(&f->resolvers[0], a, sizeof a));
		if (f->n_resolvers > 1)
			ska(&s, " (+%u)", (unsigned)(f->n_resolvers - 1));
		who = true;
	}
	if (f->domain.len) {
		ska(&s, "%sdomain %s", who ? " -> " : "", mx_sk_name(&f->domain, nm, sizeof nm));
		what = true;
	}
	if (f->host.len && !(f->domain.len && mx_dname_eq(&f->host, &f->domain))) {
		ska(&s, "%shost %s", what ? ", " : (who ? " -> " : ""),
		    mx_sk_name(&f->host, nm, sizeof nm));
		what = true;
	}
	if (f->qtype)
		ska(&s, "%s%s", what ? ", " : (who ? " -> " : ""),
		    mx_dns_type_name(f->qtype, ty, sizeof ty));
	return buf;
}

size_t mx_sk_full_per_pattern(const struct mx_snapshot *s)
{
	return s->full_findings ? s->full_findings : MX_SNAP_FULL_FINDINGS;
}

size_t mx_sk_findings_split(const struct mx_snapshot *s, bool *full, size_t *rest)
{
	size_t n = s->n_findings, npat = 0, nrest = 0, nfull = mx_sk_full_per_pattern(s);
	/* per finding: its pattern's rank (order of first appearance); per
	 * pattern: its name, its findings so far, where its run in rest[] goes */
	size_t *rank = malloc((n ? n : 1) * 3 * sizeof(size_t));
	const char **pat = malloc((n ? n : 1) * sizeof(*pat));

	if (rank == NULL || pat == NULL) {
		free(rank);
		free(pat);
		if (full != NULL)
			for (size_t i = 0; i < n; i++)
				full[i] = true;
		return SIZE_MAX;
	}
	size_t *seen = rank + n, *start = seen + n;
	for (size_t i = 0; i < n; i++) {
		const char *p = s->findings[i].pattern ? s->findings[i].pattern : "?";
		size_t k = 0;

		while (k < npat && strcmp(pat[k], p) != 0)
			k++;
		if (k == npat) {
			pat[npat++] = p;
			seen[k] = 0;
		}
		rank[i] = k;
		if (full != NULL)
			full[i] = seen[k] < nfull;
		seen[k]++;
	}
	for (size_t k = 0; k < npat; k++) {
		start[k] = nrest;
		nrest += seen[k] > nfull ? seen[k] - nfull : 0;
		seen[k] = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (seen[rank[i]]++ >= nfull)
			rest[start[rank[i]]++] = i;
	free(rank);
	free(pat);
	return nrest;
}

const char *mx_sk_finding_line(const struct mx_finding *f, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char subj[2 * MX_DNAME_STRLEN + 128], t[40];

	mx_sk_subject(f, subj, sizeof subj);
	if (subj[0])
		ska(&s, "%s; ", subj);
	ska(&s, "%" PRIu64 " occurrence%s", f->count, f->count == 1 ? "" : "s");
	if (f->first_us)
		ska(&s, " from %s", mx_fmt_time(f->first_us, t, sizeof t));
	if (f->n_frames) {
		char fr[128];

		ska(&s, "; frame%s %s", f->n_frames == 1 ? "" : "s", mx_sk_frames_short(f, fr, sizeof fr));
	}
	return buf;
}

const char *mx_sk_frames_short(const struct mx_finding *f, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	unsigned k = f->n_frames < MX_FINDING_MAX_FRAMES ? f->n_frames : MX_FINDING_MAX_FRAMES;

	for (unsigned i = 0; i < k && i < 4; i++)
		ska(&s, "%s%" PRIu64, i ? ", " : "", f->frames[i]);
	if (k > 4)
		ska(&s, ", ...");
	return buf;
}

uint64_t mx_sk_lookups_pending(const struct mx_snapshot *s)
{
	uint64_t t = s->lookup.by_outcome[MX_O_TIMEOUT];
	return s->lookup.pending_at_end <= t ? s->lookup.pending_at_end : t;
}

const char *mx_sk_save_tail(const struct mx_snapshot *s, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (s->capture.save_failed)
		snprintf(buf, n, "; write error: %s (saving stopped)", s->capture.save_error);
	else if (s->capture.saved_stop_frame)
		snprintf(buf, n, "; stopped at frame %" PRIu64 " by --write-limit (later frames are not in "
			 "the file)", s->capture.saved_stop_frame);
	return buf;
}
