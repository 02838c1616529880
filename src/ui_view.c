/* ui_view.c - the live view as data: snapshot + UI state -> screen rows (L6).
 *
 * Builds every row of the live UI from a struct mx_snapshot and struct
 * mx_ui_state: two header rows, the tab row, column titles, the body (a
 * sorted and filtered list, a detail page or the help page) and the status
 * line. Each row is the exact text shown (printable ASCII, one column per
 * character: a character outside ASCII has a one-column ASCII stand-in and,
 * when it is known to take one column, a glyph holding its UTF-8 for
 * terminals that can show it; anything else becomes '?') plus spans tagged
 * with colour roles. Also applies
 * keys to the state (movement, views, filter editing, sort, pause, detail).
 *
 * Views: Findings (severity, newest first), Chains (sender -> domain ->
 * exchanges with each step's outcome), Senders (fingerprint), Resolvers
 * (latency percentiles, rcode mix), Domains (verdicts), Live (recent
 * transactions, newest first). Every list is filtered by a case-insensitive
 * substring of its row text and sorted stably (ties keep snapshot order).
 * The selected item is followed by a key across refreshes, except at the top
 * row, which stays on the newest item.
 *
 * What it does not do: curses, keyboard decoding, timing, or reading
 * anything but the snapshot (ui_curses.c and main.c do those). Times shown
 * are capture times in UTC, never the local clock.
 */
#include "mxsniff/ui_view.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"

#define MAXCOL 12
#define CELL 512
#define LABEL_W 11

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define PRINTF_LIKE(a, b)
#endif

/* ---- small text helpers ------------------------------------------------ */

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive substring (ASCII). An empty needle matches. */
static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return true;
	for (; *hay != '\0'; hay++) {
		size_t i;

		for (i = 0; i < n && hay[i] != '\0' && lower(hay[i]) == lower(needle[i]); i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static void sfmt(char *buf, size_t n, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void sfmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

/* Append to a NUL-terminated buffer of size n (cut when full). */
static void sadd(char *buf, size_t n, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void sadd(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}

/* "20.0ms", "1.53s", "12.3s", "-" when none. */
static const char *ms_short(uint64_t us, bool have, char *buf, size_t n)
{
	if (!have)
		sfmt(buf, n, "-");
	else if (us < 1000000u)
		sfmt(buf, n, "%" PRIu64 ".%" PRIu64 "ms", us / 1000u, (us % 1000u) / 100u);
	else if (us < 10000000u)
		sfmt(buf, n, "%" PRIu64 ".%02" PRIu64 "s", us / 1000000u, (us % 1000000u) / 10000u);
	else
		sfmt(buf, n, "%" PRIu64 ".%" PRIu64 "s", us / 1000000u, (us % 1000000u) / 100000u);
	return buf;
}

/* Capture time of day, UTC: "09:40:01.123"; "-" for 0. */
static const char *hms(uint64_t ts_us, char *buf, size_t n)
{
	time_t t = (time_t)(ts_us / 1000000u);
	struct tm tm;

	if (ts_us == 0 || gmtime_r(&t, &tm) == NULL) {
		sfmt(buf, n, "-");
		return buf;
	}
	sfmt(buf, n, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
	     (unsigned)((ts_us % 1000000u) / 1000u));
	return buf;
}

/* "2026-01-01 09:40:01.123Z"; "-" for 0. */
static const char *datetime(uint64_t ts_us, char *buf, size_t n)
{
	time_t t = (time_t)(ts_us / 1000000u);
	struct tm tm;

	if (ts_us == 0 || gmtime_r(&t, &tm) == NULL) {
		sfmt(buf, n, "-");
		return buf;
	}
	sfmt(buf, n, "%04d-%02d-%02d %02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
	     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)((ts_us % 1000000u) / 1000u));
	return buf;
}

static const char *addr_s(const struct mx_addr *a, char *buf, size_t n)
{
	if (a->family == 0) {
		sfmt(buf, n, "-");
		return buf;
	}
	return mx_addr_format(a, buf, n);
}

static const char *name_s(const struct mx_dname *d, char *buf, size_t n)
{
	if (d->len == 0) {
		sfmt(buf, n, "-");
		return buf;
	}
	return mx_dname_format(d, buf, n);
}

static const char *type_s(uint16_t t, char *buf, size_t n)
{
	if (t == 0) {
		sfmt(buf, n, "-");
		return buf;
	}
	return mx_dns_type_name(t, buf, n);
}

/* "97.5%", "-" when whole is 0. */
static const char *pct_s(uint64_t part, uint64_t whole, char *buf, size_t n)
{
	uint64_t p;

	if (whole == 0) {
		sfmt(buf, n, "-");
		return buf;
	}
	p = (part * 1000u + whole / 2u) / whole;
	sfmt(buf, n, "%" PRIu64 ".%u%%", p / 10u, (unsigned)(p % 10u));
	return buf;
}

/* ---- roles --------------------------------------------------------------- */

enum mx_ui_role mx_ui_sev_role(enum mx_sev s)
{
	switch (s) {
	case MX_SEV_INFO: return MX_ROLE_INFO;
	case MX_SEV_WARN: return MX_ROLE_WARN;
	case MX_SEV_ERROR: return MX_ROLE_ERROR;
	case MX_SEV_CRIT: return MX_ROLE_CRIT;
	}
	return MX_ROLE_NORMAL;
}

static enum mx_ui_role outcome_role(enum mx_outcome o)
{
	switch (o) {
	case MX_O_ANSWER: case MX_O_REFERRAL: return MX_ROLE_OK;
	case MX_O_NODATA: return MX_ROLE_NORMAL;
	case MX_O_NXDOMAIN: case MX_O_TRUNCATED: return MX_ROLE_WARN;
	default: return MX_ROLE_ERROR;
	}
}

static enum mx_ui_role verdict_role(enum mx_chain_verdict v)
{
	switch (v) {
	case MX_CHAIN_RESOLVED: return MX_ROLE_OK;
	case MX_CHAIN_DEFERRED: return MX_ROLE_WARN;
	case MX_CHAIN_FAILED: return MX_ROLE_ERROR;
	case MX_CHAIN_INCOMPLETE: return MX_ROLE_DIM;
	}
	return MX_ROLE_NORMAL;
}

/* ---- rows ---------------------------------------------------------------- */

static void row_clear(struct mx_ui_row *r, int w, enum mx_ui_role role)
{
	memset(r->text, ' ', (size_t)w);
	r->text[w] = '\0';
	r->role = (uint8_t)role;
	r->selected = false;
	r->n_spans = 0;
	r->n_glyphs = 0;
}

/* ---- characters -------------------------------------------------------- */

/* One character of a text: how many bytes it takes, its one-column ASCII
 * stand-in, and whether a UTF-8 terminal may draw it (a glyph). */
struct uch {
	size_t n;        /* bytes of the text it takes (>= 1) */
	char ascii;      /* printable ASCII shown without UTF-8 */
	bool glyph;      /* valid UTF-8 of a known one-column character */
};

/* Length of a valid UTF-8 sequence at p (RFC 3629 §4) and its code point;
 * 0 if none. The terminating NUL stops it before it reads past the end. */
static size_t utf8_dec(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf) {
		if ((p[1] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x1f) << 6 | (p[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		      (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return 4;
	}
	return 0;
}

/* Code points drawn as themselves: assigned, one column wide in every
 * UTF-8 terminal (no combining marks, no controls, no wide East Asian
 * forms), with the ASCII stand-in for terminals without UTF-8. */
static bool one_column(uint32_t cp, char *ascii)
{
	static const struct {
		uint32_t lo, hi;
		char ascii;
	} known[] = {
		{0x00a0, 0x00a0, ' '}, {0x00a7, 0x00a7, '#'}, {0x00ab, 0x00ab, '"'},
		{0x00b7, 0x00b7, '.'}, {0x00bb, 0x00bb, '"'},
		{0x00d7, 0x00d7, 'x'}, {0x00a1, 0x017f, '?'},            /* Latin-1, Extended-A */
		{0x2010, 0x2015, '-'}, {0x2018, 0x201b, '\''}, {0x201c, 0x201f, '"'},
		{0x2022, 0x2022, '*'}, {0x2026, 0x2026, '.'}, {0x2016, 0x2027, '?'},
		{0x2030, 0x203e, '?'}, {0x2190, 0x2190, '<'}, {0x2191, 0x2191, '^'},
		{0x2192, 0x2192, '>'}, {0x2193, 0x2193, 'v'}, {0x2194, 0x2199, '?'},
		{0x2212, 0x2212, '-'}, {0x2260, 0x2260, '#'}, {0x2264, 0x2264, '<'},
		{0x2265, 0x2265, '>'},
	};
	size_t i;

	if (cp == 0x00ad) {  /* soft hyphen: zero width in some terminals */
		*ascii = '-';
		return false;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (cp >= known[i].lo && cp <= known[i].hi) {
			*ascii = known[i].ascii;
			return true;
		}
	*ascii = '?';
	return false;
}

static struct uch next_char(const unsigned char *p)
{
	struct uch u = { 1, '?', false };
	uint32_t cp = 0;
	size_t k;

	if (*p >= 0x20 && *p < 0x7f) {
		u.ascii = (char)*p;
		return u;
	}
	if (*p < 0x80)
		return u;           /* control byte, DEL */
	k = utf8_dec(p, &cp);
	if (k == 0)
		return u;           /* an invalid byte: one '?' each */
	u.n = k;
	u.glyph = one_column(cp, &u.ascii);
	return u;
}

int mx_ui_text_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	while (*p != '\0') {
		p += next_char(p).n;
		n++;
	}
	return n;
}

/* Bytes of the first `cols` characters of s (at most nb bytes). */
static size_t cols_bytes(const char *s, size_t nb, int cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (cols-- > 0 && o < nb && p[o] != '\0')
		o += next_char(p + o).n;
	return o < nb ? o : nb;
}

/* Columns of the first nb bytes of s. */
static int bytes_cols(const char *s, size_t nb)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	int n = 0;

	while (o < nb && p[o] != '\0') {
		o += next_char(p + o).n;
		n++;
	}
	return n;
}

/* Forget the glyphs in columns [x0, x1) (about to be written over). */
static void drop_glyphs(struct mx_ui_row *r, int x0, int x1)
{
	unsigned i, o = 0;

	for (i = 0; i < r->n_glyphs; i++)
		if (r->glyphs[i].x < x0 || r->glyphs[i].x >= x1)
			r->glyphs[o++] = r->glyphs[i];
	r->n_glyphs = (uint8_t)o;
}

const char *mx_ui_row_glyph_at(const struct mx_ui_row *r, int x)
{
	unsigned i;

	for (i = 0; i < r->n_glyphs; i++)
		if (r->glyphs[i].x == x)
			return r->glyphs[i].utf8;
	return NULL;
}

/* Write s into columns [x, x+cw) of a row of width w (cw < 0: the text's
 * length in columns, one per character), right-aligned if asked, clipped at
 * the row's end; characters outside ASCII get their stand-in in the text
 * and a glyph, others that cannot be shown become '?'. Adds a span for role
 * unless it is the row's own. Returns the column after the field. */
static int row_put(struct mx_ui_row *r, int w, int x, int cw, const char *s, enum mx_ui_role role,
		   bool right)
{
	const unsigned char *p = (const unsigned char *)s;
	int len = mx_ui_text_cols(s), start, end, i;

	if (cw < 0)
		cw = len;
	if (x >= w || cw == 0)
		return x + cw;
	if (len > cw)
		len = cw;
	start = right ? x + cw - len : x;
	end = start + len < w ? start + len : w;
	if (r->n_glyphs)
		drop_glyphs(r, start, end);
	for (i = start; i < end; i++) {
		struct uch u = next_char(p);

		r->text[i] = u.ascii;
		if (u.glyph && r->n_glyphs < MX_UI_MAX_GLYPHS) {
			struct mx_ui_glyph *g = &r->glyphs[r->n_glyphs++];

			g->x = (uint16_t)i;
			memcpy(g->utf8, p, u.n);
			g->utf8[u.n] = '\0';
		}
		p += u.n;
	}
	if (role != (enum mx_ui_role)r->role && r->n_spans < MX_UI_MAX_SPANS) {
		struct mx_ui_span *sp = &r->spans[r->n_spans++];

		sp->x = (uint16_t)x;
		sp->w = (uint16_t)(x + cw > w ? w - x : cw);
		sp->role = (uint8_t)role;
	}
	return x + cw;
}

bool mx_ui_row_has(const struct mx_ui_row *r, const char *needle)
{
	return ci_contains(r->text, needle);
}

enum mx_ui_role mx_ui_row_role_at(const struct mx_ui_row *r, int x)
{
	enum mx_ui_role role = (enum mx_ui_role)r->role;
	unsigned i;

	for (i = 0; i < r->n_spans; i++)
		if (x >= r->spans[i].x && x < r->spans[i].x + r->spans[i].w)
			role = (enum mx_ui_role)r->spans[i].role;
	return role;
}

/* A growing list of rows (detail pages). */
struct rows {
	struct mx_ui_row *v;
	size_t n, cap;
	int w;
	bool oom;
};

static struct mx_ui_row *rows_add(struct rows *rs, enum mx_ui_role role)
{
	if (rs->oom)
		return NULL;
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 32;
		struct mx_ui_row *nv = realloc(rs->v, nc * sizeof(*nv));

		if (nv == NULL) {
			rs->oom = true;
			return NULL;
		}
		rs->v = nv;
		rs->cap = nc;
	}
	row_clear(&rs->v[rs->n], rs->w, role);
	return &rs->v[rs->n++];
}

/* Word-wrapped text: the first line starts at column x0 of row first (or of
 * a new row when first is NULL), continuation lines at column indent. Hard
 * line breaks ('\n') are kept. */
static void wrap(struct rows *rs, struct mx_ui_row *first, int x0, int indent, const char *text,
		 enum mx_ui_role role)
{
	struct mx_ui_row *r = first;
	int x = x0, w = rs->w;
	bool fresh = true;    /* nothing written on this line yet */
	const char *p = text;

	if (r == NULL)
		r = rows_add(rs, MX_ROLE_NORMAL);
	if (r == NULL)
		return;
	if (indent >= w - 8)
		indent = w > 8 ? w - 8 : 0;
	while (*p != '\0') {
		const char *e = p;
		int wl;
		size_t nb;
		char word[4 * MX_UI_MAX_WIDTH + 1];

		if (*p == '\n' || (*p == ' ' && x >= w - 1)) {
			x = *p == '\n' && x0 < w - 8 ? x0 : indent;   /* a new line starts where the first did */
			p++;
			if ((r = rows_add(rs, MX_ROLE_NORMAL)) == NULL)
				return;
			fresh = true;
			continue;
		}
		if (*p == ' ') {
			if (!fresh)
				x++;
			p++;
			continue;
		}
		while (*e != '\0' && *e != ' ' && *e != '\n')
			e++;
		wl = bytes_cols(p, (size_t)(e - p));   /* columns of the word */
		if (x + wl > w && !fresh) {
			if ((r = rows_add(rs, MX_ROLE_NORMAL)) == NULL)
				return;
			x = indent;
		}
		if (wl > w - x)
			wl = w - x > 0 ? w - x : 1;   /* longer than a line: split it */
		if (wl > MX_UI_MAX_WIDTH)
			wl = MX_UI_MAX_WIDTH;
		nb = cols_bytes(p, (size_t)(e - p), wl);
		memcpy(word, p, nb);
		word[nb] = '\0';
		x = row_put(r, w, x, wl, word, role, false);
		fresh = false;
		p += nb;
	}
}

/* "label      value..." with the value wrapped under itself. */
static void kv(struct rows *rs, const char *label, enum mx_ui_role role, const char *fmt, ...)
	PRINTF_LIKE(4, 5);
static void kv(struct rows *rs, const char *label, enum mx_ui_role role, const char *fmt, ...)
{
	char val[2048];
	struct mx_ui_row *r;
	va_list ap;
	int lw = rs->w > 40 ? LABEL_W + 2 : 2;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	r = rows_add(rs, MX_ROLE_NORMAL);
	if (r == NULL)
		return;
	row_put(r, rs->w, 2, lw > 2 ? LABEL_W : -1, label, MX_ROLE_LABEL, false);
	if (lw == 2) {
		wrap(rs, NULL, 4, 4, val, role);
		return;
	}
	wrap(rs, r, lw, lw, val, role);
}

static void heading(struct rows *rs, const char *title)
{
	struct mx_ui_row *r;

	rows_add(rs, MX_ROLE_NORMAL);
	r = rows_add(rs, MX_ROLE_NORMAL);
	if (r != NULL)
		row_put(r, rs->w, 1, -1, title, MX_ROLE_LABEL, false);
}

static void line(struct rows *rs, int x, enum mx_ui_role role, const char *fmt, ...) PRINTF_LIKE(4, 5);
static void line(struct rows *rs, int x, enum mx_ui_role role, const char *fmt, ...)
{
	char val[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	wrap(rs, NULL, x, x + 2, val, role);
}

/* ---- chains in words ----------------------------------------------------- */

/* "AAAA SERVFAIL x3 1.50s", "A ok 4.0ms", "A never asked". */
static void step_words(char *buf, size_t n, const char *fam, const struct mx_chain_step *st)
{
	char ms[32];

	if (!st->asked) {
		sadd(buf, n, "%s never asked", fam);
		return;
	}
	sadd(buf, n, "%s %s", fam, st->outcome == MX_O_ANSWER ? "ok" : st->pending ? "pending" : mx_outcome_name(st->outcome));
	if (st->attempts > 1)
		sadd(buf, n, " x%" PRIu32, st->attempts);
	if (st->outcome != MX_O_TIMEOUT && st->latency_us > 0)
		sadd(buf, n, " %s", ms_short(st->latency_us, true, ms, sizeof(ms)));
}

/* The two address steps of a host in the order the sender asked them. */
static void host_order(const struct mx_chain_host *h, const struct mx_chain_step **s1, const char **f1,
		       const struct mx_chain_step **s2, const char **f2)
{
	bool a_first;

	if (h->first_family == 4)
		a_first = true;
	else if (h->first_family == 6)
		a_first = false;
	else if (h->a.asked && h->aaaa.asked)
		a_first = h->a.first_us <= h->aaaa.first_us;
	else
		a_first = !h->aaaa.asked;
	*s1 = a_first ? &h->a : &h->aaaa;
	*f1 = a_first ? "A" : "AAAA";
	*s2 = a_first ? &h->aaaa : &h->a;
	*f2 = a_first ? "AAAA" : "A";
}

/* "MX ok 20.0ms -> mx1.example.com.: AAAA SERVFAIL x3 -> A never asked; ..." */
static void chain_words(const struct mx_chain *c, char *buf, size_t n)
{
	char nm[MX_DNAME_STRLEN];
	unsigned i;

	buf[0] = '\0';
	step_words(buf, n, "MX", &c->mx);
	if (c->null_mx)
		sadd(buf, n, " (null MX \"%u .\")", (unsigned)c->null_mx_pref);
	for (i = 0; i < c->n_hosts && i < MX_CHAIN_MAX_HOSTS; i++) {
		const struct mx_chain_host *h = &c->hosts[i];
		const struct mx_chain_step *s1, *s2;
		const char *f1, *f2;

		host_order(h, &s1, &f1, &s2, &f2);
		sadd(buf, n, "%s%s%s: ", i == 0 ? " -> " : "; ", name_s(&h->name, nm, sizeof(nm)),
		     h->implicit ? (c->relay ? " (relay host)" : " (implicit MX)") : "");
		step_words(buf, n, f1, s1);
		sadd(buf, n, mx_chain_host_parallel(h) ? ", " : " -> ");
		step_words(buf, n, f2, s2);
		if (h->tlsa.asked) {
			sadd(buf, n, " -> ");
			step_words(buf, n, "TLSA", &h->tlsa);
		}
	}
	if (c->hosts_total > c->n_hosts)
		sadd(buf, n, "; %u more exchanges", (unsigned)(c->hosts_total - c->n_hosts));
	if (c->connected)
		sadd(buf, n, " => SYN to %s", addr_s(&c->connected_to, nm, sizeof(nm)));
}

/* ---- the views ------------------------------------------------------------- */

struct col {
	const char *title;
	int w;          /* 0 = the rest of the row */
	bool right;
};

struct cells {
	char t[MAXCOL][CELL];
	uint8_t role[MAXCOL];
};

struct vdef {
	const char *name;
	const char *empty;                     /* body text when there are no rows */
	const struct col *cols;
	unsigned ncols;
	const char *const *sorts;
	const int *sort_col;                   /* column each sort order belongs to */
	unsigned nsorts;
	size_t (*count)(const struct mx_snapshot *s);
	void (*cells)(const struct mx_snapshot *s, size_t i, struct cells *c);
	uint64_t (*key)(const struct mx_snapshot *s, size_t i);
	int (*cmp)(const struct mx_snapshot *s, unsigned sort, size_t a, size_t b);
	void (*detail)(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn);
};

static void cells_clear(struct cells *c)
{
	unsigned i;

	for (i = 0; i < MAXCOL; i++) {
		c->t[i][0] = '\0';
		c->role[i] = MX_ROLE_NORMAL;
	}
}

#define CMP(a, b) ((a) < (b) ? -1 : ((a) > (b) ? 1 : 0))

/* Names in the order a reader expects: by their text. */
static int name_cmp(const struct mx_dname *a, const struct mx_dname *b)
{
	char x[MX_DNAME_STRLEN], y[MX_DNAME_STRLEN];

	return strcmp(mx_dname_format(a, x, sizeof(x)), mx_dname_format(b, y, sizeof(y)));
}
#define NCOLS(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/* The Findings view lists the made findings, then the pending ones (not
 * made yet: mx_detect_pending()), as one list. */
static size_t f_total(const struct mx_snapshot *s)
{
	return s->n_findings + s->n_pending;
}

static const struct mx_finding *f_at(const struct mx_snapshot *s, size_t i)
{
	return i < s->n_findings ? &s->findings[i] : &s->pending[i - s->n_findings];
}

/* Findings about an address/domain, for sender and domain detail pages. */
static void related_findings(const struct mx_snapshot *s, struct rows *rs, const struct mx_addr *sender,
			     const struct mx_dname *domain)
{
	size_t i, k = 0;
	int x;

	heading(rs, "Findings");
	for (i = 0; i < f_total(s); i++) {
		const struct mx_finding *f = f_at(s, i);
		struct mx_ui_row *r;
		char nm[MX_DNAME_STRLEN];

		if (sender != NULL && !mx_addr_eq(&f->sender, sender))
			continue;
		if (domain != NULL && !mx_dname_eq(&f->domain, domain) && !mx_dname_eq(&f->host, domain))
			continue;
		r = rows_add(rs, MX_ROLE_NORMAL);
		if (r == NULL)
			return;
		row_put(r, rs->w, 3, 6, mx_sev_name(f->sev), mx_ui_sev_role(f->sev), false);
		row_put(r, rs->w, 10, 26, f->pattern, MX_ROLE_NORMAL, false);
		x = row_put(r, rs->w, 37, -1, f->domain.len ? name_s(&f->domain, nm, sizeof(nm)) :
			    name_s(&f->host, nm, sizeof(nm)), MX_ROLE_NORMAL, false) + 1;
		if (f->pending)
			row_put(r, rs->w, x, -1, "(pending)", MX_ROLE_DIM, false);
		k++;
	}
	if (k == 0)
		line(rs, 3, MX_ROLE_DIM, "none");
}

static void chain_row(struct rows *rs, const struct mx_chain *c)
{
	struct mx_ui_row *r = rows_add(rs, MX_ROLE_NORMAL);
	char t[32], a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], words[2048];
	int x;

	if (r == NULL)
		return;
	x = row_put(r, rs->w, 3, 12, hms(c->start_us, t, sizeof(t)), MX_ROLE_NORMAL, false) + 1;
	x = row_put(r, rs->w, x, 16, addr_s(&c->sender, a, sizeof(a)), MX_ROLE_NORMAL, false) + 1;
	x = row_put(r, rs->w, x, 24, name_s(&c->domain, nm, sizeof(nm)), MX_ROLE_NORMAL, false) + 1;
	x = row_put(r, rs->w, x, 10, mx_chain_verdict_name(c->verdict), verdict_role(c->verdict), false) + 1;
	chain_words(c, words, sizeof(words));
	row_put(r, rs->w, x, -1, words, MX_ROLE_NORMAL, false);
}

static void related_chains(const struct mx_snapshot *s, struct rows *rs, const struct mx_addr *sender,
			   const struct mx_dname *domain)
{
	size_t i, k = 0;

	heading(rs, "Chains (newest first)");
	for (i = s->n_chains; i-- > 0;) {
		const struct mx_chain *c = &s->chains[i];

		if (sender != NULL && !mx_addr_eq(&c->sender, sender))
			continue;
		if (domain != NULL && !mx_dname_eq(&c->domain, domain))
			continue;
		chain_row(rs, c);
		k++;
	}
	if (k == 0)
		line(rs, 3, MX_ROLE_DIM, "none in the recent chains");
}

/* ---- Findings ---- */

static const struct col fcols[] = {
	{"SEV", 5, false}, {"PATTERN", 26, false}, {"COUNT", 6, true}, {"LAST", 12, false},
	{"SENDER", 16, false}, {"DOMAIN / HOST", 28, false}, {"TITLE", 0, false},
};
static const char *const fsorts[] = {"severity", "count", "newest", "pattern"};
static const int fsort_col[] = {0, 2, 3, 1};

static size_t f_count(const struct mx_snapshot *s)
{
	return f_total(s);
}

static void f_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_finding *f = f_at(s, i);
	char nm[MX_DNAME_STRLEN], h[MX_DNAME_STRLEN];

	/* a pending finding: its severity dim, its title after "pending:" */
	sfmt(c->t[0], CELL, "%s", mx_sev_name(f->sev));
	c->role[0] = (uint8_t)(f->pending ? MX_ROLE_DIM : mx_ui_sev_role(f->sev));
	sfmt(c->t[1], CELL, "%s", f->pattern != NULL ? f->pattern : "?");
	sfmt(c->t[2], CELL, "%" PRIu64, f->count);
	hms(f->last_us, c->t[3], CELL);
	addr_s(&f->sender, c->t[4], CELL);
	if (f->domain.len && f->host.len && !mx_dname_eq(&f->domain, &f->host))
		sfmt(c->t[5], CELL, "%s %s", name_s(&f->domain, nm, sizeof(nm)), name_s(&f->host, h, sizeof(h)));
	else if (f->domain.len)
		name_s(&f->domain, c->t[5], CELL);
	else
		name_s(&f->host, c->t[5], CELL);
	sfmt(c->t[6], CELL, "%s%s", f->pending ? "pending: " : "", f->title != NULL ? f->title : "");
}

static uint64_t f_key(const struct mx_snapshot *s, size_t i)
{
	return f_at(s, i)->seq;
}

static int f_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_finding *a = f_at(s, ia), *b = f_at(s, ib);
	int r = 0;

	switch (sort) {
	case 1:
		r = -CMP(a->count, b->count);
		break;
	case 2:
		break;
	case 3:
		r = strcmp(a->pattern ? a->pattern : "", b->pattern ? b->pattern : "");
		break;
	default:
		break;
	}
	if (r == 0 && sort != 2)
		r = -CMP(a->sev, b->sev);
	if (r == 0)
		r = -CMP(a->last_us, b->last_us);
	if (r == 0)
		r = -CMP(a->seq, b->seq);
	return r;
}

static void evidence_rows(struct rows *rs, const struct mx_finding *f)
{
	unsigned i;

	for (i = 0; i < f->n_evidence && i < MX_FINDING_MAX_EVIDENCE; i++) {
		const struct mx_evidence *e = &f->evidence[i];
		struct mx_ui_row *r = rows_add(rs, MX_ROLE_NORMAL);
		char fr[24], t[32], a[MX_ADDR_STRLEN], b[MX_ADDR_STRLEN], ft[2 * MX_ADDR_STRLEN + 8],
			nm[MX_DNAME_STRLEN], ty[16], res[160], ms[32], rc[24];
		int x;

		if (r == NULL)
			return;
		sfmt(fr, sizeof(fr), "#%" PRIu64, e->frame);
		x = row_put(r, rs->w, 3, 7, fr, MX_ROLE_NORMAL, true) + 1;
		x = row_put(r, rs->w, x, 12, hms(e->ts_us, t, sizeof(t)), MX_ROLE_NORMAL, false) + 1;
		sfmt(ft, sizeof(ft), "%s -> %s", addr_s(&e->from, a, sizeof(a)), addr_s(&e->to, b, sizeof(b)));
		x = row_put(r, rs->w, x, 34, ft, MX_ROLE_NORMAL, false) + 1;
		x = row_put(r, rs->w, x, 1, e->response ? "R" : "Q", MX_ROLE_DIM, false) + 1;
		x = row_put(r, rs->w, x, -1, name_s(&e->qname, nm, sizeof(nm)), MX_ROLE_NORMAL, false) + 1;
		x = row_put(r, rs->w, x, -1, type_s(e->qtype, ty, sizeof(ty)), MX_ROLE_NORMAL, false) + 1;
		if (!e->response && e->outcome != MX_O_TIMEOUT)
			continue;
		res[0] = '\0';
		sadd(res, sizeof(res), "%s", mx_outcome_name(e->outcome));
		if (e->response && mx_dns_rcode_name(e->rcode, rc, sizeof(rc)) != NULL &&
		    strcmp(rc, mx_outcome_name(e->outcome)) != 0)
			sadd(res, sizeof(res), " (%s)", rc);
		x = row_put(r, rs->w, x, -1, res, outcome_role(e->outcome), false) + 1;
		if (e->response && e->latency_us)
			x = row_put(r, rs->w, x, -1, ms_short(e->latency_us, true, ms, sizeof(ms)),
				    MX_ROLE_NORMAL, false) + 1;
		if (e->ede != 0xffff) {
			sfmt(res, sizeof(res), "EDE %u %s", e->ede, mx_dns_ede_name(e->ede));
			x = row_put(r, rs->w, x, -1, res, MX_ROLE_WARN, false) + 1;
		}
		if (e->answer[0] != '\0')
			row_put(r, rs->w, x, -1, e->answer, MX_ROLE_DIM, false);
	}
	if (f->n_evidence == 0)
		line(rs, 3, MX_ROLE_DIM, "no evidence rows (see the frames)");
}

static void f_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_finding *f = f_at(s, i);
	char a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], t1[40], t2[40], buf[1024];
	unsigned k;

	sfmt(title, tn, "%s %s (%s)", f->pending ? "Pending finding" : "Finding", f->pattern ? f->pattern : "?",
	     mx_sev_name(f->sev));
	if (f->pending)
		kv(rs, "pending", MX_ROLE_WARN, "not made yet: %s", f->pending);
	kv(rs, "what", MX_ROLE_NORMAL, "%s", f->title ? f->title : "-");
	kv(rs, "severity", mx_ui_sev_role(f->sev), "%s", mx_sev_name(f->sev));
	if (f->sender.family)
		kv(rs, "sender", MX_ROLE_NORMAL, "%s", addr_s(&f->sender, a, sizeof(a)));
	if (f->n_resolvers) {
		buf[0] = '\0';
		for (k = 0; k < f->n_resolvers && k < MX_FINDING_MAX_RESOLVERS; k++)
			sadd(buf, sizeof(buf), "%s%s", k ? ", " : "", addr_s(&f->resolvers[k], a, sizeof(a)));
		kv(rs, f->authoritative ? "authoritative" : "resolvers", MX_ROLE_NORMAL, "%s", buf);
	}
	const struct mx_server_row *fw = mx_snapshot_forwarder(s, f);
	if (fw) {
		char a2[MX_ADDR_STRLEN];
		kv(rs, "forwarder", MX_ROLE_NORMAL, "%s is a forwarder on this host: its answers relay %s's",
		   addr_s(&fw->addr, a, sizeof(a)), addr_s(&fw->fwd_to, a2, sizeof(a2)));
	}
	if (f->domain.len)
		kv(rs, "domain", MX_ROLE_NORMAL, "%s", name_s(&f->domain, nm, sizeof(nm)));
	if (f->host.len)
		kv(rs, "host", MX_ROLE_NORMAL, "%s", name_s(&f->host, nm, sizeof(nm)));
	if (f->qtype)
		kv(rs, "qtype", MX_ROLE_NORMAL, "%s", type_s(f->qtype, nm, sizeof(nm)));
	/* attempts 0: not about deliveries (no attempts to count) */
	buf[0] = '\0';
	if (f->attempts)
		sadd(buf, sizeof(buf), ", %" PRIu32 " attempt%s", f->attempts, f->attempts == 1 ? "" : "s");
	kv(rs, "seen", MX_ROLE_NORMAL, "%s .. %s, %" PRIu64 " time%s%s%s",
	   datetime(f->first_us, t1, sizeof(t1)), datetime(f->last_us, t2, sizeof(t2)), f->count,
	   f->count == 1 ? "" : "s", buf, f->single_attempt ? " (capture too short to judge recurrence)" : "");
	if (f->recovered_attempt) {
		char ad[MX_ADDR_STRLEN];
		kv(rs, "recovered", MX_ROLE_NORMAL, "attempt %" PRIu32 " at %s resolved and connected to %s; was %s",
		   f->recovered_attempt, datetime(f->recovered_us, t1, sizeof(t1)),
		   mx_addr_format(&f->recovered_to, ad, sizeof ad), f->sev_was == MX_SEV_CRIT ? "CRIT" : "ERROR");
	}
	if (f->detail[0])
		kv(rs, "detail", MX_ROLE_NORMAL, "%s", f->detail);
	if (f->smtp_status) {
		char st[MX_STATUS_STRLEN];
		kv(rs, "smtp", MX_ROLE_NORMAL, "%s", mx_finding_status(f, st, sizeof st));
	}
	kv(rs, "cause", MX_ROLE_NORMAL, "%s", f->cause ? f->cause : "-");
	kv(rs, "fix", MX_ROLE_NORMAL, "%s", f->fix ? f->fix : "-");
	buf[0] = '\0';
	for (k = 0; k < f->n_frames && k < MX_FINDING_MAX_FRAMES; k++)
		sadd(buf, sizeof(buf), "%s%" PRIu64, k ? " " : "", f->frames[k]);
	if (f->n_frames)
		kv(rs, "frames", MX_ROLE_NORMAL, "%s  (Wireshark: frame.number in {%s})", buf, buf);
	heading(rs, "Evidence");
	evidence_rows(rs, f);
	heading(rs, "Verify");
	if (f->verify[0])
		line(rs, 3, MX_ROLE_NORMAL, "%s", f->verify);
	else
		line(rs, 3, MX_ROLE_DIM, "none");
}

/* ---- Chains ---- */

static const struct col ccols[] = {
	{"START", 12, false}, {"SENDER", 16, false}, {"DOMAIN", 24, false}, {"TRY", 3, true},
	{"VERDICT", 10, false}, {"RESOLUTION", 0, false},
};
static const char *const csorts[] = {"newest", "verdict", "sender", "domain"};
static const int csort_col[] = {0, 4, 1, 2};

/* The view's items: the closed chains, then the open ones (the live view's
 * snapshots carry them; not judged yet, so their verdict shows "open"). */
static size_t c_count(const struct mx_snapshot *s)
{
	return s->n_chains + s->n_open_chains;
}

static const struct mx_chain *c_item(const struct mx_snapshot *s, size_t i)
{
	return i < s->n_chains ? &s->chains[i] : &s->open_chains[i - s->n_chains];
}

static void c_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_chain *ch = c_item(s, i);

	hms(ch->start_us, c->t[0], CELL);
	addr_s(&ch->sender, c->t[1], CELL);
	name_s(&ch->domain, c->t[2], CELL);
	sfmt(c->t[3], CELL, "%" PRIu32, ch->attempt);
	if (ch->open) {
		sfmt(c->t[4], CELL, "open");
		c->role[4] = (uint8_t)MX_ROLE_NORMAL;
	} else {
		sfmt(c->t[4], CELL, "%s", mx_chain_verdict_name(ch->verdict));
		c->role[4] = (uint8_t)verdict_role(ch->verdict);
	}
	chain_words(ch, c->t[5], CELL);
}

/* The chain's number: an open chain keeps it when it closes, so the
 * selection stays on it. */
static uint64_t c_key(const struct mx_snapshot *s, size_t i)
{
	return c_item(s, i)->seq;
}

/* By verdict: failures first; open chains after the deferred ones. */
static int verdict_rank(const struct mx_chain *c)
{
	if (c->open)
		return 2;
	switch (c->verdict) {
	case MX_CHAIN_FAILED: return 0;
	case MX_CHAIN_DEFERRED: return 1;
	case MX_CHAIN_INCOMPLETE: return 3;
	case MX_CHAIN_RESOLVED: return 4;
	}
	return 5;
}

static int c_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_chain *a = c_item(s, ia), *b = c_item(s, ib);
	int r = 0;

	if (sort == 1)
		r = CMP(verdict_rank(a), verdict_rank(b));
	else if (sort == 2)
		r = mx_addr_cmp(&a->sender, &b->sender);
	else if (sort == 3)
		r = name_cmp(&a->domain, &b->domain);
	if (r == 0)
		r = -CMP(a->start_us, b->start_us);
	if (r == 0)
		r = -CMP(a->seq, b->seq);
	return r;
}

struct tl {
	const struct mx_chain_step *st;
	const char *fam;
	const struct mx_dname *name;
};

static void timeline_row(struct rows *rs, const struct tl *e)
{
	const struct mx_chain_step *st = e->st;
	struct mx_ui_row *r = rows_add(rs, MX_ROLE_NORMAL);
	char t[32], nm[MX_DNAME_STRLEN], res[64], ms[32], buf[512], a[MX_ADDR_STRLEN];
	unsigned k;
	int x;

	if (r == NULL)
		return;
	x = row_put(r, rs->w, 3, 12, st->asked ? hms(st->first_us, t, sizeof(t)) : "", MX_ROLE_NORMAL,
		    false) + 1;
	x = row_put(r, rs->w, x, 4, e->fam, MX_ROLE_NORMAL, false) + 1;
	x = row_put(r, rs->w, x, 28, name_s(e->name, nm, sizeof(nm)), MX_ROLE_NORMAL, false) + 1;
	if (!st->asked) {
		row_put(r, rs->w, x, -1, "never asked", MX_ROLE_DIM, false);
		return;
	}
	sfmt(res, sizeof(res), "%s", mx_outcome_name(st->outcome));
	if (st->attempts > 1)
		sadd(res, sizeof(res), " x%" PRIu32, st->attempts);
	x = row_put(r, rs->w, x, 13, res, outcome_role(st->outcome), false) + 1;
	x = row_put(r, rs->w, x, 8, ms_short(st->latency_us, st->outcome != MX_O_TIMEOUT, ms, sizeof(ms)),
		    MX_ROLE_NORMAL, true) + 2;
	buf[0] = '\0';
	for (k = 0; k < st->n_resolvers && k < MX_LOOKUP_MAX_RESOLVERS; k++)
		sadd(buf, sizeof(buf), "%s%s", k ? "," : "via ", addr_s(&st->resolvers[k], a, sizeof(a)));
	if (st->timeouts)
		sadd(buf, sizeof(buf), " (some tries timed out)");
	if (st->ede != 0xffff)
		sadd(buf, sizeof(buf), " EDE %u %s", st->ede, mx_dns_ede_name(st->ede));
	for (k = 0; k < st->n_frames && k < MX_CHAIN_MAX_FRAMES; k++)
		sadd(buf, sizeof(buf), "%s%" PRIu64, k ? "," : "  frames ", st->frames[k]);
	row_put(r, rs->w, x, -1, buf, MX_ROLE_DIM, false);
}

static void c_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_chain *c = c_item(s, i);
	char a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], t1[40], t2[40], words[2048];
	struct tl tl[1 + 3 * MX_CHAIN_MAX_HOSTS], tmp;
	size_t n = 0, j, k;
	unsigned h;

	sfmt(title, tn, "Chain %s -> %s (attempt %" PRIu32 "%s)", addr_s(&c->sender, a, sizeof(a)),
	     name_s(&c->domain, nm, sizeof(nm)), c->attempt, c->open ? ", open" : "");
	if (c->open) {
		/* not judged yet: the steps are those seen so far */
		kv(rs, "open", MX_ROLE_INFO, "still open: its window ends at %s; the steps so far",
		   datetime(c->start_us + (uint64_t)c->open_window_ms * 1000u, t1, sizeof(t1)));
	}
	kv(rs, "sender", MX_ROLE_NORMAL, "%s", addr_s(&c->sender, a, sizeof(a)));
	kv(rs, "domain", MX_ROLE_NORMAL, "%s", name_s(&c->domain, nm, sizeof(nm)));
	if (c->open)
		kv(rs, "verdict", MX_ROLE_NORMAL, "open: judged when the window ends (so far %s: %s)",
		   mx_chain_verdict_name(c->verdict), c->why ? c->why : "-");
	else
		kv(rs, "verdict", verdict_role(c->verdict), "%s: %s", mx_chain_verdict_name(c->verdict),
		   c->why ? c->why : "-");
	kv(rs, "span", MX_ROLE_NORMAL, "%s .. %s%s", datetime(c->start_us, t1, sizeof(t1)),
	   datetime(c->end_us, t2, sizeof(t2)),
	   c->cut_short ? " (the capture ended inside the window)"
			: c->evicted ? " (closed early: the open-chain table was full)" : "");
	if (c->prev_start_us)
		kv(rs, "attempt", MX_ROLE_NORMAL, "%" PRIu32 ", previous attempt started %s%s", c->attempt,
		   datetime(c->prev_start_us, t1, sizeof(t1)),
		   c->new_delivery ? " (another delivery: the previous one had connected)" : "");
	else
		kv(rs, "attempt", MX_ROLE_NORMAL, "%" PRIu32, c->attempt);
	chain_words(c, words, sizeof(words));
	kv(rs, "resolution", MX_ROLE_NORMAL, "%s", words);
	if (c->relay)
		kv(rs, "MX", MX_ROLE_NORMAL, "none asked: %s is a relay host (--relayhost)", name_s(&c->domain, nm, sizeof(nm)));
	else if (c->null_mx)
		kv(rs, "MX", MX_ROLE_ERROR, "null MX (\"%u .\"): the domain accepts no mail", (unsigned)c->null_mx_pref);
	else if (c->null_mx_mixed)
		kv(rs, "MX", MX_ROLE_ERROR, "null MX (\"%u .\") beside other MX records", (unsigned)c->null_mx_pref);
	else if (c->mx.asked)
		kv(rs, "MX", MX_ROLE_NORMAL, "%u exchange%s in the answer", (unsigned)c->mx_total,
		   c->mx_total == 1 ? "" : "s");
	if (c->search_lookups)
		kv(rs, "search list", MX_ROLE_WARN, "%u failing MX lookup%s of %s with a search domain appended "
		   "(resolv.conf search list) belong to this chain", (unsigned)c->search_lookups, c->search_lookups == 1 ? "" : "s",
		   name_s(&c->domain, nm, sizeof(nm)));
	if (c->soa_owner.len)
		kv(rs, "negative", MX_ROLE_NORMAL, "SOA %s, negative TTL %" PRIu32 " s",
		   name_s(&c->soa_owner, nm, sizeof(nm)), c->neg_ttl);
	if (c->connected)
		kv(rs, "connected", MX_ROLE_OK, "SYN to %s port %u (frame %" PRIu64 ")",
		   addr_s(&c->connected_to, a, sizeof(a)), c->connected_port ? (unsigned)c->connected_port : 25u,
		   c->syn_frame);
	else
		kv(rs, "connected", MX_ROLE_DIM, "no SYN to a resolved address seen%s",
		   c->syn_other ? " (SYNs to other addresses)" : "");

	/* the timeline: every asked step by time, then the steps never asked */
	tl[n].st = &c->mx;
	tl[n].fam = "MX";
	tl[n++].name = &c->domain;
	for (h = 0; h < c->n_hosts && h < MX_CHAIN_MAX_HOSTS; h++) {
		const struct mx_chain_host *ho = &c->hosts[h];
		const struct mx_chain_step *s1, *s2;
		const char *f1, *f2;

		host_order(ho, &s1, &f1, &s2, &f2);
		tl[n].st = s1;
		tl[n].fam = f1;
		tl[n++].name = &ho->name;
		tl[n].st = s2;
		tl[n].fam = f2;
		tl[n++].name = &ho->name;
		if (ho->tlsa.asked) {
			tl[n].st = &ho->tlsa;
			tl[n].fam = "TLSA";
			tl[n++].name = &ho->name;
		}
	}
	for (j = 1; j < n; j++)   /* insertion sort: asked by time, never asked last, stable */
		for (k = j; k > 0; k--) {
			const struct mx_chain_step *x = tl[k - 1].st, *y = tl[k].st;
			bool swap = (!x->asked && y->asked) ||
				    (x->asked && y->asked && y->first_us < x->first_us);

			if (!swap)
				break;
			tmp = tl[k - 1];
			tl[k - 1] = tl[k];
			tl[k] = tmp;
		}
	heading(rs, "Timeline");
	for (j = 0; j < n; j++)
		timeline_row(rs, &tl[j]);
	heading(rs, "Exchanges");
	for (h = 0; h < c->n_hosts && h < MX_CHAIN_MAX_HOSTS; h++) {
		const struct mx_chain_host *ho = &c->hosts[h];
		char buf[1024];
		unsigned q;

		buf[0] = '\0';
		if (ho->implicit)
			sadd(buf, sizeof(buf), c->relay ? "(relay host) " : "(implicit MX) ");
		else
			sadd(buf, sizeof(buf), "%u ", ho->pref);
		sadd(buf, sizeof(buf), "%s", name_s(&ho->name, nm, sizeof(nm)));
		if (ho->cname.len)
			sadd(buf, sizeof(buf), " CNAME %s%s", name_s(&ho->cname, nm, sizeof(nm)),
			     ho->cname_loop ? " (loop)" : "");
		if (ho->ip_literal)
			sadd(buf, sizeof(buf), " (an IP address, not a host name)");
		for (q = 0; q < ho->n_addrs && q < MX_CHAIN_MAX_ADDRS; q++)
			sadd(buf, sizeof(buf), "%s%s", q ? ", " : "  ", addr_s(&ho->addrs[q], a, sizeof(a)));
		if (ho->n_addrs == 0)
			sadd(buf, sizeof(buf), "  no address");
		if (ho->connected)
			sadd(buf, sizeof(buf), "  (connected)");
		line(rs, 3, ho->n_addrs ? MX_ROLE_NORMAL : MX_ROLE_WARN, "%s", buf);
	}
	if (c->n_hosts == 0)
		line(rs, 3, MX_ROLE_DIM, "none");
}

/* ---- Senders ---- */

static const struct col scols[] = {
	{"SENDER", 16, false}, {"QUERIES", 8, true}, {"LOOKUPS", 8, true}, {"FAILED", 7, true},
	{"CHAINS", 7, true}, {"DEFER", 6, true}, {"FAIL", 5, true}, {"MX/A/AAAA", 14, true},
	{"ORDER", 10, false}, {"FALLBACK", 0, false},
};
static const char *const ssorts[] = {"queries", "failures", "lookups", "address"};
static const int ssort_col[] = {1, 3, 2, 0};

static size_t s_count(const struct mx_snapshot *s)
{
	return s->n_senders;
}

static void s_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_sender_row *r = &s->senders[i];

	addr_s(&r->addr, c->t[0], CELL);
	sfmt(c->t[1], CELL, "%" PRIu64, r->queries);
	sfmt(c->t[2], CELL, "%" PRIu64, r->lookups);
	sfmt(c->t[3], CELL, "%" PRIu64, r->failed);
	if (r->failed)
		c->role[3] = MX_ROLE_WARN;
	sfmt(c->t[4], CELL, "%" PRIu64, r->chains);
	sfmt(c->t[5], CELL, "%" PRIu64, r->chains_deferred);
	sfmt(c->t[6], CELL, "%" PRIu64, r->chains_failed);
	if (r->chains_deferred)
		c->role[5] = MX_ROLE_WARN;
	if (r->chains_failed)
		c->role[6] = MX_ROLE_ERROR;
	sfmt(c->t[7], CELL, "%" PRIu64 "/%" PRIu64 "/%" PRIu64, r->mx_lookups, r->a_lookups, r->aaaa_lookups);
	sfmt(c->t[8], CELL, "%s", mx_sender_family_order(r));
	sfmt(c->t[9], CELL, "%s", mx_sender_fallback(r));
	if (strcmp(c->t[9], "never asks A") == 0)
		c->role[9] = MX_ROLE_ERROR;
}

static uint64_t s_key(const struct mx_snapshot *s, size_t i)
{
	return mx_addr_hash(&s->senders[i].addr, 1);
}

static int s_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_sender_row *a = &s->senders[ia], *b = &s->senders[ib];
	int r = 0;

	if (sort == 0)
		r = -CMP(a->queries, b->queries);
	else if (sort == 1)
		r = -CMP(a->failed + a->chains_failed + a->chains_deferred,
			 b->failed + b->chains_failed + b->chains_deferred);
	else if (sort == 2)
		r = -CMP(a->lookups, b->lookups);
	if (r == 0)
		r = mx_addr_cmp(&a->addr, &b->addr);
	return r;
}

static void s_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_sender_row *r = &s->senders[i];
	char a[MX_ADDR_STRLEN], t1[40], t2[40], ms[32], buf[1024];
	unsigned k;

	sfmt(title, tn, "Sender %s", addr_s(&r->addr, a, sizeof(a)));
	kv(rs, "address", MX_ROLE_NORMAL, "%s", addr_s(&r->addr, a, sizeof(a)));
	kv(rs, "seen", MX_ROLE_NORMAL, "%s .. %s", datetime(r->first_us, t1, sizeof(t1)),
	   datetime(r->last_us, t2, sizeof(t2)));
	kv(rs, "queries", MX_ROLE_NORMAL, "%" PRIu64 " (EDNS %" PRIu64 ", DO %" PRIu64 ", AD %" PRIu64
	   ", CD %" PRIu64 ")", r->queries, r->edns_queries, r->do_queries, r->ad_queries, r->cd_queries);
	kv(rs, "lookups", MX_ROLE_NORMAL, "%" PRIu64 ": MX %" PRIu64 ", A %" PRIu64 ", AAAA %" PRIu64
	   ", other %" PRIu64, r->lookups, r->mx_lookups, r->a_lookups, r->aaaa_lookups, r->other_lookups);
	if (r->multi_send)
		kv(rs, "stub", MX_ROLE_NORMAL, "musl: %" PRIu64 " lookup%s sent to several resolvers at once; its "
		   "getaddrinfo gives up when A or AAAA fails", r->multi_send, r->multi_send == 1 ? "" : "s");
	if (r->any_lookups && r->mx_lookups)
		kv(rs, "ANY", MX_ROLE_NORMAL, "%" PRIu64 " lookup%s beside MX: qmail-remote's CNAME check; a "
		   "resolver that refuses or drops ANY stops its mail", r->any_lookups, r->any_lookups == 1 ? "" : "s");
	buf[0] = '\0';
	for (k = 0; k < MX_O__COUNT; k++)
		if (r->outcomes[k])
			sadd(buf, sizeof(buf), "%s%s %" PRIu64, buf[0] ? ", " : "",
			     mx_outcome_name((enum mx_outcome)k), r->outcomes[k]);
	kv(rs, "outcomes", MX_ROLE_NORMAL, "%s", buf[0] ? buf : "-");
	kv(rs, "failed", r->failed ? MX_ROLE_WARN : MX_ROLE_NORMAL, "%" PRIu64 " lookups", r->failed);
	if (r->resolvers > MX_MODEL_DISTINCT_CAP)
		kv(rs, "resolvers", MX_ROLE_NORMAL, ">%u", (unsigned)MX_MODEL_DISTINCT_CAP);
	else
		kv(rs, "resolvers", MX_ROLE_NORMAL, "%" PRIu64, r->resolvers);
	heading(rs, "Fingerprint");
	kv(rs, "chains", MX_ROLE_NORMAL, "%" PRIu64 " (%" PRIu64 " deferred, %" PRIu64 " failed)", r->chains,
	   r->chains_deferred, r->chains_failed);
	kv(rs, "order", MX_ROLE_NORMAL, "%s (exchanges: AAAA first %" PRIu64 ", A first %" PRIu64
	   ", parallel %" PRIu64 "; AAAA only %" PRIu64 ", A only %" PRIu64 ")", mx_sender_family_order(r),
	   r->hosts_aaaa_first, r->hosts_a_first, r->hosts_parallel, r->hosts_aaaa_only, r->hosts_a_only);
	kv(rs, "fallback", strcmp(mx_sender_fallback(r), "never asks A") == 0 ? MX_ROLE_ERROR : MX_ROLE_NORMAL,
	   "%s (AAAA failed %" PRIu64 ", then A asked %" PRIu64 ")", mx_sender_fallback(r), r->aaaa_fail,
	   r->aaaa_fail_then_a);
	if (r->retry_gaps)
		kv(rs, "retries", MX_ROLE_NORMAL, "%" PRIu64 " gaps between attempts, mean %s, shortest %s",
		   r->retry_gaps, ms_short(r->retry_gap_sum_us / r->retry_gaps, true, t1, sizeof(t1)),
		   ms_short(r->retry_gap_min_us, true, ms, sizeof(ms)));
	if (r->forwarded) {
		char fw[MX_ADDR_STRLEN];
		kv(rs, "forwarder", MX_ROLE_NORMAL, "%" PRIu64 " of %" PRIu64 " lookups forwarded for %s on this "
		   "host (they make no chain)", r->forwarded, r->lookups, mx_addr_format(&r->fwd_for, fw, sizeof fw));
	}
	related_findings(s, rs, &r->addr, NULL);
	related_chains(s, rs, &r->addr, NULL);
}

/* ---- Resolvers (recursive first, then authoritative servers) ---- */

static const struct col rcols[] = {
	{"SERVER", 16, false}, {"KIND", 4, false}, {"QUERIES", 8, true}, {"ANSWERED", 8, true},
	{"P50", 8, true}, {"P95", 8, true}, {"P99", 8, true}, {"TIMEOUTS", 8, true},
	{"REFUSED", 7, true}, {"SERVFAIL", 8, true}, {"RCODES", 0, false},
};
static const char *const rsorts[] = {"queries", "answered", "p95", "timeouts", "address"};
static const int rsort_col[] = {2, 3, 5, 7, 0};

static size_t r_count(const struct mx_snapshot *s)
{
	return s->n_resolvers + s->n_authoritatives;
}

static const struct mx_server_row *r_row(const struct mx_snapshot *s, size_t i)
{
	return i < s->n_resolvers ? &s->resolvers[i] : &s->authoritatives[i - s->n_resolvers];
}

static void rcode_mix(const uint64_t *rc, char *buf, size_t n)
{
	char nb[32];
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < MX_RCODE_SLOTS; i++)
		if (rc[i])
			sadd(buf, n, "%s%s %" PRIu64, buf[0] ? " " : "",
			     i == MX_RCODE_SLOTS - 1 ? "other" : mx_dns_rcode_name((uint16_t)i, nb, sizeof(nb)),
			     rc[i]);
	if (buf[0] == '\0')
		sfmt(buf, n, "-");
}

static uint64_t r_sent(const struct mx_server_row *r)
{
	return r->answered + r->timeouts + r->unreachable;
}

static void r_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_server_row *r = r_row(s, i);
	bool lat = r->latency.count > 0;

	addr_s(&r->addr, c->t[0], CELL);
	sfmt(c->t[1], CELL, "%s", r->recursive ? "rec" : "auth");
	c->role[1] = MX_ROLE_DIM;
	sfmt(c->t[2], CELL, "%" PRIu64, r->queries);
	pct_s(r->answered, r_sent(r), c->t[3], CELL);
	if (r_sent(r) && r->answered * 100u < r_sent(r) * 99u)
		c->role[3] = r->answered * 100u < r_sent(r) * 80u ? MX_ROLE_ERROR : MX_ROLE_WARN;
	ms_short(r->latency.p50, lat, c->t[4], CELL);
	ms_short(r->latency.p95, lat, c->t[5], CELL);
	ms_short(r->latency.p99, lat, c->t[6], CELL);
	if (lat && r->latency.p95 >= 1000000u)
		c->role[5] = MX_ROLE_WARN;
	sfmt(c->t[7], CELL, "%" PRIu64, r->timeouts);
	if (r->timeouts)
		c->role[7] = MX_ROLE_WARN;
	sfmt(c->t[8], CELL, "%" PRIu64, r->rcodes[5]);
	if (r->rcodes[5])
		c->role[8] = MX_ROLE_ERROR;
	sfmt(c->t[9], CELL, "%" PRIu64, r->rcodes[2]);
	if (r->rcodes[2])
		c->role[9] = MX_ROLE_WARN;
	rcode_mix(r->rcodes, c->t[10], CELL);
}

static uint64_t r_key(const struct mx_snapshot *s, size_t i)
{
	return mx_addr_hash(&r_row(s, i)->addr, i < s->n_resolvers ? 2 : 3);
}

static int r_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_server_row *a = r_row(s, ia), *b = r_row(s, ib);
	int r = 0;

	switch (sort) {
	case 0:
		r = -CMP(a->queries, b->queries);
		break;
	case 1: {   /* worst answered share first: a/sa < b/sb */
		uint64_t sa = r_sent(a), sb = r_sent(b);

		if (sa == 0 || sb == 0)
			r = -CMP(sa != 0, sb != 0);
		else
			r = CMP(a->answered * sb, b->answered * sa);
		break;
	}
	case 2:
		r = -CMP(a->latency.p95, b->latency.p95);
		break;
	case 3:
		r = -CMP(a->timeouts, b->timeouts);
		break;
	default:
		break;
	}
	if (r == 0)
		r = CMP(a->recursive ? 0 : 1, b->recursive ? 0 : 1);
	if (r == 0)
		r = mx_addr_cmp(&a->addr, &b->addr);
	return r;
}

static void r_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_server_row *r = r_row(s, i);
	char a[MX_ADDR_STRLEN], t1[40], t2[40], p[5][32], buf[1024];
	bool lat = r->latency.count > 0;
	unsigned k;

	sfmt(title, tn, "%s %s", r->recursive ? "Resolver" : "Authoritative server",
	     addr_s(&r->addr, a, sizeof(a)));
	kv(rs, "address", MX_ROLE_NORMAL, "%s (%s)", addr_s(&r->addr, a, sizeof(a)),
	   r->recursive ? "received RD=1 queries" : "only RD=0 queries");
	kv(rs, "seen", MX_ROLE_NORMAL, "%s .. %s", datetime(r->first_us, t1, sizeof(t1)),
	   datetime(r->last_us, t2, sizeof(t2)));
	kv(rs, "queries", MX_ROLE_NORMAL, "%" PRIu64 " messages, %" PRIu64 " transactions, %" PRIu64
	   " over TCP", r->queries, r->transactions, r->tcp_queries);
	kv(rs, "answered", MX_ROLE_NORMAL, "%" PRIu64 " (%s)", r->answered,
	   pct_s(r->answered, r_sent(r), a, sizeof(a)));
	kv(rs, "timeouts", r->timeouts ? MX_ROLE_WARN : MX_ROLE_NORMAL, "%" PRIu64 " (unreachable %" PRIu64
	   ", pending %" PRIu64 ")", r->timeouts, r->unreachable, r->pending);
	kv(rs, "latency", MX_ROLE_NORMAL, "p50 %s  p95 %s  p99 %s  max %s  (%" PRIu64 " samples)",
	   ms_short(r->latency.p50, lat, p[0], 32), ms_short(r->latency.p95, lat, p[1], 32),
	   ms_short(r->latency.p99, lat, p[2], 32), ms_short(r->latency.max, lat, p[3], 32),
	   r->latency.count);
	rcode_mix(r->rcodes, buf, sizeof(buf));
	kv(rs, "rcodes", MX_ROLE_NORMAL, "%s", buf);
	buf[0] = '\0';
	for (k = 0; k < MX_O__COUNT; k++)
		if (r->outcomes[k])
			sadd(buf, sizeof(buf), "%s%s %" PRIu64, buf[0] ? ", " : "",
			     mx_outcome_name((enum mx_outcome)k), r->outcomes[k]);
	kv(rs, "outcomes", MX_ROLE_NORMAL, "%s", buf[0] ? buf : "-");
	kv(rs, "truncated", MX_ROLE_NORMAL, "%" PRIu64 " TC=1 responses", r->truncated);
	kv(rs, "strays", MX_ROLE_NORMAL, "late %" PRIu64 ", duplicate %" PRIu64 ", wrong source %" PRIu64,
	   r->late, r->duplicate, r->wrong_source);
	if (r->clients > MX_MODEL_DISTINCT_CAP)
		kv(rs, "clients", MX_ROLE_NORMAL, ">%u", (unsigned)MX_MODEL_DISTINCT_CAP);
	else
		kv(rs, "clients", MX_ROLE_NORMAL, "%" PRIu64, r->clients);
	if (r->forwarded) {
		char to[MX_ADDR_STRLEN], via[MX_ADDR_STRLEN];
		kv(rs, "forwards", MX_ROLE_NORMAL, "a forwarder on this host: %" PRIu64 " questions went upstream "
		   "(the last from %s to %s)", r->forwarded, mx_addr_format(&r->fwd_via, via, sizeof via),
		   mx_addr_format(&r->fwd_to, to, sizeof to));
	}
	(void)p[4];
}

/* ---- Domains ---- */

static const struct col dcols[] = {
	{"DOMAIN", 28, false}, {"CHAINS", 6, true}, {"OK", 5, true}, {"DEFER", 5, true},
	{"FAIL", 5, true}, {"INCMP", 5, true}, {"SENDERS", 7, true}, {"TRY", 3, true},
	{"VERDICT", 10, false}, {"WHY", 0, false},
};
static const char *const dsorts[] = {"failures", "chains", "name", "newest"};
static const int dsort_col[] = {4, 1, 0, 8};

static size_t d_count(const struct mx_snapshot *s)
{
	return s->n_domains;
}

static void d_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_domain_row *d = &s->domains[i];

	name_s(&d->domain, c->t[0], CELL);
	sfmt(c->t[1], CELL, "%" PRIu64, d->chains);
	sfmt(c->t[2], CELL, "%" PRIu64, d->resolved);
	sfmt(c->t[3], CELL, "%" PRIu64, d->deferred);
	sfmt(c->t[4], CELL, "%" PRIu64, d->failed);
	sfmt(c->t[5], CELL, "%" PRIu64, d->incomplete);
	if (d->deferred)
		c->role[3] = MX_ROLE_WARN;
	if (d->failed)
		c->role[4] = MX_ROLE_ERROR;
	if (d->senders > MX_MODEL_DISTINCT_CAP)
		sfmt(c->t[6], CELL, ">%u", (unsigned)MX_MODEL_DISTINCT_CAP);
	else
		sfmt(c->t[6], CELL, "%" PRIu64, d->senders);
	sfmt(c->t[7], CELL, "%" PRIu32, d->max_attempt);
	sfmt(c->t[8], CELL, "%s", mx_chain_verdict_name(d->last_verdict));
	c->role[8] = (uint8_t)verdict_role(d->last_verdict);
	sfmt(c->t[9], CELL, "%s", d->last_why ? d->last_why : "");
}

static uint64_t d_key(const struct mx_snapshot *s, size_t i)
{
	return mx_dname_hash(&s->domains[i].domain, 4);
}

static int d_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_domain_row *a = &s->domains[ia], *b = &s->domains[ib];
	int r = 0;

	if (sort == 1)
		r = -CMP(a->chains, b->chains);
	else if (sort == 2)
		r = name_cmp(&a->domain, &b->domain);
	else if (sort == 3)
		r = -CMP(a->last_us, b->last_us);
	if (r == 0)
		r = CMP(ia, ib);   /* the model's order: failed+deferred, chains, name */
	return r;
}

static void d_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_domain_row *d = &s->domains[i];
	char nm[MX_DNAME_STRLEN], t1[40], t2[40];

	sfmt(title, tn, "Domain %s", name_s(&d->domain, nm, sizeof(nm)));
	kv(rs, "domain", MX_ROLE_NORMAL, "%s", name_s(&d->domain, nm, sizeof(nm)));
	kv(rs, "verdict", verdict_role(d->last_verdict), "%s: %s", mx_chain_verdict_name(d->last_verdict),
	   d->last_why ? d->last_why : "-");
	kv(rs, "chains", MX_ROLE_NORMAL, "%" PRIu64 ": resolved %" PRIu64 ", deferred %" PRIu64 ", failed %"
	   PRIu64 ", incomplete %" PRIu64, d->chains, d->resolved, d->deferred, d->failed, d->incomplete);
	if (d->senders > MX_MODEL_DISTINCT_CAP)
		kv(rs, "senders", MX_ROLE_NORMAL, ">%u", (unsigned)MX_MODEL_DISTINCT_CAP);
	else
		kv(rs, "senders", MX_ROLE_NORMAL, "%" PRIu64, d->senders);
	kv(rs, "attempts", MX_ROLE_NORMAL, "up to %" PRIu32, d->max_attempt);
	kv(rs, "seen", MX_ROLE_NORMAL, "%s .. %s", datetime(d->first_us, t1, sizeof(t1)),
	   datetime(d->last_us, t2, sizeof(t2)));
	related_findings(s, rs, NULL, &d->domain);
	related_chains(s, rs, NULL, &d->domain);
}

/* ---- Live (recent transactions, newest first) ---- */

static const struct col lcols[] = {
	{"TIME", 12, false}, {"CLIENT", 16, false}, {"SERVER", 16, false}, {"TYPE", 5, false},
	{"OUTCOME", 11, false}, {"LATENCY", 8, true}, {"FRAME", 7, true}, {"NAME", 0, false},
};
static const char *const lsorts[] = {"newest", "latency", "outcome", "name"};
static const int lsort_col[] = {0, 5, 4, 7};

static size_t l_count(const struct mx_snapshot *s)
{
	return s->n_recent;
}

static void l_cells(const struct mx_snapshot *s, size_t i, struct cells *c)
{
	const struct mx_recent_txn *t = &s->recent[i];

	hms(t->ts_us, c->t[0], CELL);
	addr_s(&t->client, c->t[1], CELL);
	addr_s(&t->server, c->t[2], CELL);
	type_s(t->qtype, c->t[3], CELL);
	sfmt(c->t[4], CELL, "%s", mx_outcome_name(t->outcome));
	c->role[4] = (uint8_t)outcome_role(t->outcome);
	ms_short(t->latency_us, t->outcome != MX_O_TIMEOUT, c->t[5], CELL);
	sfmt(c->t[6], CELL, "%" PRIu64, t->frame);
	name_s(&t->qname, c->t[7], CELL);
}

static uint64_t l_key(const struct mx_snapshot *s, size_t i)
{
	uint64_t v[2] = {s->recent[i].ts_us, s->recent[i].frame};

	return mx_hash_bytes(v, sizeof(v), 5);
}

static int l_cmp(const struct mx_snapshot *s, unsigned sort, size_t ia, size_t ib)
{
	const struct mx_recent_txn *a = &s->recent[ia], *b = &s->recent[ib];
	int r = 0;

	if (sort == 1)
		r = -CMP(a->latency_us, b->latency_us);
	else if (sort == 2)
		r = -CMP(mx_outcome_is_fail(a->outcome), mx_outcome_is_fail(b->outcome));
	else if (sort == 3)
		r = name_cmp(&a->qname, &b->qname);
	if (r == 0)
		r = -CMP(ia, ib);   /* newest last in the snapshot */
	return r;
}

static void l_detail(const struct mx_snapshot *s, size_t i, struct rows *rs, char *title, size_t tn)
{
	const struct mx_recent_txn *t = &s->recent[i];
	char a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], ty[16], t1[40], ms[32];

	sfmt(title, tn, "Transaction %s %s", name_s(&t->qname, nm, sizeof(nm)), type_s(t->qtype, ty, sizeof(ty)));
	kv(rs, "time", MX_ROLE_NORMAL, "%s", datetime(t->ts_us, t1, sizeof(t1)));
	kv(rs, "frame", MX_ROLE_NORMAL, "%" PRIu64, t->frame);
	kv(rs, "client", MX_ROLE_NORMAL, "%s", addr_s(&t->client, a, sizeof(a)));
	kv(rs, "server", MX_ROLE_NORMAL, "%s", addr_s(&t->server, a, sizeof(a)));
	kv(rs, "question", MX_ROLE_NORMAL, "%s %s", name_s(&t->qname, nm, sizeof(nm)),
	   type_s(t->qtype, ty, sizeof(ty)));
	kv(rs, "outcome", outcome_role(t->outcome), "%s", mx_outcome_name(t->outcome));
	kv(rs, "latency", MX_ROLE_NORMAL, "%s", ms_short(t->latency_us, t->outcome != MX_O_TIMEOUT, ms, sizeof(ms)));
}

static const struct vdef g_views[MX_UI__VIEWS] = {
	{"Findings", "no findings yet", fcols, NCOLS(fcols), fsorts, fsort_col, NCOLS(fsorts),
	 f_count, f_cells, f_key, f_cmp, f_detail},
	{"Chains", "no chains yet", ccols, NCOLS(ccols), csorts, csort_col, NCOLS(csorts),
	 c_count, c_cells, c_key, c_cmp, c_detail},
	{"Senders", "no senders yet", scols, NCOLS(scols), ssorts, ssort_col, NCOLS(ssorts),
	 s_count, s_cells, s_key, s_cmp, s_detail},
	{"Resolvers", "no DNS servers yet", rcols, NCOLS(rcols), rsorts, rsort_col, NCOLS(rsorts),
	 r_count, r_cells, r_key, r_cmp, r_detail},
	{"Domains", "no recipient domains yet", dcols, NCOLS(dcols), dsorts, dsort_col, NCOLS(dsorts),
	 d_count, d_cells, d_key, d_cmp, d_detail},
	{"Live", "no transactions yet", lcols, NCOLS(lcols), lsorts, lsort_col, NCOLS(lsorts),
	 l_count, l_cells, l_key, l_cmp, l_detail},
};

unsigned mx_ui_sort_count(enum mx_ui_view v)
{
	return (unsigned)v < MX_UI__VIEWS ? g_views[v].nsorts : 0;
}

const char *mx_ui_sort_name(enum mx_ui_view v, unsigned sort)
{
	if ((unsigned)v >= MX_UI__VIEWS || sort >= g_views[v].nsorts)
		return "?";
	return g_views[v].sorts[sort];
}

const char *mx_ui_view_name(enum mx_ui_view v)
{
	return (unsigned)v < MX_UI__VIEWS ? g_views[v].name : "?";
}

/* ---- help ---------------------------------------------------------------- */

const char *const mx_ui_help_lines[] = {
	"1 .. 6         Findings, Chains, Senders, Resolvers, Domains, Live",
	"Tab, Shift-Tab next / previous view",
	"Up, k          previous row (in a detail page: scroll up)",
	"Down, j        next row (in a detail page: scroll down)",
	"PgUp, PgDn     a page up / down (also Ctrl-B, Ctrl-F, space)",
	"Home, g        first row",
	"End, G         last row",
	"Enter, Right   open the detail page of the selected row",
	"Esc, Left, h   close the detail or help page; clear the filter",
	"/              filter rows by text (Enter keeps it, Esc clears it)",
	"s              next sort order of this view",
	"p              pause / resume the display (capture continues)",
	"w              write the current report to a file and show where",
	"?              this help (any key closes it)",
	"Ctrl-L         redraw the screen",
	"q              quit (prints the path of any report written)",
	NULL,
};

/* ---- sorting and filtering ----------------------------------------------- */

struct sortctx {
	const struct mx_snapshot *s;
	const struct vdef *v;
	unsigned sort;
};

static int item_cmp(const struct sortctx *c, size_t a, size_t b)
{
	int r = c->v->cmp(c->s, c->sort, a, b);

	return r != 0 ? r : CMP(a, b);
}

/* Stable top-down merge sort of a[0..n) using tmp[0..n). */
static void msort(size_t *a, size_t *tmp, size_t n, const struct sortctx *c)
{
	size_t mid = n / 2, i = 0, j, k = 0;

	if (n < 2)
		return;
	msort(a, tmp, mid, c);
	msort(a + mid, tmp, n - mid, c);
	j = mid;
	while (i < mid && j < n)
		tmp[k++] = item_cmp(c, a[j], a[i]) < 0 ? a[j++] : a[i++];
	while (i < mid)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

static bool cells_match(const struct cells *c, unsigned ncols, const char *filter)
{
	unsigned k;

	for (k = 0; k < ncols && k < MAXCOL; k++)
		if (ci_contains(c->t[k], filter))
			return true;
	return false;
}

/* The view's items, filtered and sorted, as indexes into the snapshot. */
static int list_items(const struct mx_snapshot *s, const struct mx_ui_state *st, const struct vdef *v,
		      struct cells *cbuf, size_t **out, size_t *nout)
{
	size_t total = s != NULL ? v->count(s) : 0, n = 0, i;
	size_t *idx, *tmp;
	struct sortctx sc;

	idx = malloc((total ? total : 1) * sizeof(*idx));
	tmp = malloc((total ? total : 1) * sizeof(*tmp));
	if (idx == NULL || tmp == NULL) {
		free(idx);
		free(tmp);
		return MX_ENOMEM;
	}
	for (i = 0; i < total; i++) {
		if (st->filter[0] != '\0') {
			cells_clear(cbuf);
			v->cells(s, i, cbuf);
			if (!cells_match(cbuf, v->ncols, st->filter))
				continue;
		}
		idx[n++] = i;
	}
	sc.s = s;
	sc.v = v;
	sc.sort = st->sort[st->view] < v->nsorts ? st->sort[st->view] : 0;
	msort(idx, tmp, n, &sc);
	free(tmp);
	*out = idx;
	*nout = n;
	return 0;
}

/* ---- the frame ----------------------------------------------------------- */

int mx_ui_frame_init(struct mx_ui_frame *f, int width, int height)
{
	memset(f, 0, sizeof(*f));
	width = clampi(width, 1, MX_UI_MAX_WIDTH);
	height = clampi(height, 1, MX_UI_MAX_HEIGHT);
	f->rows = calloc((size_t)height, sizeof(*f->rows));
	if (f->rows == NULL)
		return MX_ENOMEM;
	f->width = width;
	f->height = height;
	f->cursor_x = f->cursor_y = -1;
	return 0;
}

void mx_ui_frame_fini(struct mx_ui_frame *f)
{
	if (f == NULL)
		return;
	free(f->rows);
	memset(f, 0, sizeof(*f));
}

void mx_ui_state_init(struct mx_ui_state *st)
{
	memset(st, 0, sizeof(*st));
	st->view = MX_UI_FINDINGS;
}

/* Copy of a free-form string (file name, BPF filter), cut at a character
 * boundary; row_put turns what cannot be shown into '?'. */
static const char *safe_s(const char *in, char *buf, size_t n)
{
	size_t o = 0;

	while (in[o] != '\0') {
		size_t k = next_char((const unsigned char *)in + o).n;

		if (o + k + 1 > n)
			break;
		o += k;
	}
	memcpy(buf, in, o);
	buf[o] = '\0';
	return buf;
}

static void header(struct mx_ui_frame *f, const struct mx_snapshot *s, const struct mx_ui_state *st)
{
	struct mx_ui_row *r0 = &f->rows[0], *r1 = &f->rows[1];
	int w = f->width, x;
	char buf[1024], t1[48], t2[48], src[300];

	row_clear(r0, w, MX_ROLE_TITLE);
	x = row_put(r0, w, 1, -1, "mxsniff", MX_ROLE_TITLE, false) + 2;
	if (s == NULL) {
		row_put(r0, w, x, -1, "starting", MX_ROLE_TITLE, false);
	} else {
		x = row_put(r0, w, x, -1, s->source[0] ? safe_s(s->source, src, sizeof(src)) : "-",
			    MX_ROLE_TITLE, false) + 2;
		if (st->live) {
			uint64_t u = st->uptime_us / 1000000u;

			sfmt(buf, sizeof(buf), "up %" PRIu64 ":%02u:%02u", u / 3600u, (unsigned)(u / 60u % 60u),
			     (unsigned)(u % 60u));
		} else {
			uint64_t d = s->last_us > s->first_us ? s->last_us - s->first_us : 0;

			sfmt(buf, sizeof(buf), "capture %s (+%s)", datetime(s->last_us, t1, sizeof(t1)),
			     ms_short(d, true, t2, sizeof(t2)));
		}
		x = row_put(r0, w, x, -1, buf, MX_ROLE_TITLE, false) + 2;
		if (st->speed[0]) {
			sfmt(buf, sizeof(buf), "speed %s", st->speed);
			x = row_put(r0, w, x, -1, buf, MX_ROLE_TITLE, false) + 2;
		}
	}
	if (st->paused)
		x = row_put(r0, w, x, -1, "PAUSED", MX_ROLE_PAUSED, false) + 2;
	if (st->ended)
		x = row_put(r0, w, x, -1, st->live ? "STOPPED" : "END OF INPUT", MX_ROLE_PAUSED, false) + 2;
	if (s != NULL && s->filter[0]) {
		sfmt(buf, sizeof(buf), "filter: %s", safe_s(s->filter, src, sizeof(src)));
		row_put(r0, w, x, -1, buf, MX_ROLE_TITLE, false);
	}

	row_clear(r1, w, MX_ROLE_TITLE);
	if (s == NULL)
		return;
	{
		uint64_t drops = s->capture.ps_drop + s->capture.ps_ifdrop;
		uint64_t dprob = s->decode.verdict[MX_V_TRUNCATED] + s->decode.verdict[MX_V_MALFORMED] +
				 s->decode.verdict[MX_V_UNSUPPORTED] + s->dns_malformed + s->dns_truncated;
		unsigned k;
		uint64_t bysev[4] = {0, 0, 0, 0};

		sfmt(buf, sizeof(buf), "packets %" PRIu64, s->packets);
		x = row_put(r1, w, 1, -1, buf, MX_ROLE_TITLE, false) + 2;
		sfmt(buf, sizeof(buf), "DNS %" PRIu64 " msgs, %" PRIu64 ".%u/s", s->dns_messages,
		     st->rate_x10 / 10u, (unsigned)(st->rate_x10 % 10u));
		x = row_put(r1, w, x, -1, buf, MX_ROLE_TITLE, false) + 2;
		if (s->live || s->capture.live)
			sfmt(buf, sizeof(buf), "drops %" PRIu64, drops);
		else
			sfmt(buf, sizeof(buf), "drops -");
		x = row_put(r1, w, x, -1, buf, drops ? MX_ROLE_ERROR : MX_ROLE_TITLE, false) + 2;
		sfmt(buf, sizeof(buf), "decode problems %" PRIu64, dprob);
		x = row_put(r1, w, x, -1, buf, dprob ? MX_ROLE_WARN : MX_ROLE_TITLE, false) + 2;
		sfmt(buf, sizeof(buf), "evicted %" PRIu64, s->evicted_total + s->findings_evicted);
		x = row_put(r1, w, x, -1, buf, s->evicted_total + s->findings_evicted ? MX_ROLE_WARN : MX_ROLE_TITLE,
			    false) + 2;
		for (k = 0; k < s->n_findings; k++)
			if ((unsigned)s->findings[k].sev < 4)
				bysev[s->findings[k].sev]++;
		sfmt(buf, sizeof(buf), "findings %zu", s->n_findings);
		if (bysev[MX_SEV_CRIT] || bysev[MX_SEV_ERROR])
			sadd(buf, sizeof(buf), " (%" PRIu64 " crit, %" PRIu64 " error)", bysev[MX_SEV_CRIT],
			     bysev[MX_SEV_ERROR]);
		if (s->n_pending)
			sadd(buf, sizeof(buf), " +%zu pending", s->n_pending);
		if (s->pending_dropped)   /* past MX_DETECT_MAX_PENDING: not listed */
			sadd(buf, sizeof(buf), " (%" PRIu64 " more not listed)", s->pending_dropped);
		x = row_put(r1, w, x, -1, buf, bysev[MX_SEV_CRIT] ? MX_ROLE_CRIT :
			    (bysev[MX_SEV_ERROR] ? MX_ROLE_ERROR : MX_ROLE_TITLE), false) + 2;
		if (s->capture.saving) {
			/* -w FILE: how much of the capture is in it */
			bool bad = s->capture.save_failed || s->capture.saved_stop_frame;
			sfmt(buf, sizeof(buf), "saved %" PRIu64 "%s", s->capture.saved_frames,
			     s->capture.save_failed ? " (write error)" :
			     s->capture.saved_stop_frame ? " (limit reached)" : "");
			x = row_put(r1, w, x, -1, buf, bad ? MX_ROLE_WARN : MX_ROLE_TITLE, false) + 2;
		}
		if (st->paused && !st->ended) {
			sfmt(buf, sizeof(buf), "(capture continues: %" PRIu64 " packets read)", st->frames_now);
			row_put(r1, w, x, -1, buf, MX_ROLE_TITLE, false);
		}
	}
}

static void tabs(struct mx_ui_frame *f, const struct mx_snapshot *s, const struct mx_ui_state *st)
{
	struct mx_ui_row *r = &f->rows[2];
	int x = 0;
	unsigned v;

	row_clear(r, f->width, MX_ROLE_NORMAL);
	for (v = 0; v < MX_UI__VIEWS; v++) {
		char buf[64];

		sfmt(buf, sizeof(buf), " %u %s %zu ", v + 1, g_views[v].name, s ? g_views[v].count(s) : (size_t)0);
		x = row_put(r, f->width, x, -1, buf, v == (unsigned)st->view ? MX_ROLE_TAB_ACTIVE : MX_ROLE_TAB,
			    false) + 1;
	}
}

static void status(struct mx_ui_frame *f, const struct mx_ui_state *st, size_t sel, size_t count)
{
	struct mx_ui_row *r = &f->rows[f->height - 1];
	const struct vdef *v = &g_views[st->view];
	char buf[512];
	int x;

	row_clear(r, f->width, MX_ROLE_STATUS);
	if (st->editing) {
		x = row_put(r, f->width, 0, -1, "Filter: ", MX_ROLE_PROMPT, false);
		x = row_put(r, f->width, x, -1, st->filter, MX_ROLE_PROMPT, false);
		f->cursor_x = x < f->width ? x : f->width - 1;
		f->cursor_y = f->height - 1;
		row_put(r, f->width, x + 2, -1, "(Enter keeps, Esc clears)", MX_ROLE_STATUS, false);
		return;
	}
	if (st->status[0]) {
		row_put(r, f->width, 1, -1, st->status, st->status_error ? MX_ROLE_ERROR : MX_ROLE_STATUS, false);
		return;
	}
	buf[0] = '\0';
	if (st->help)
		sadd(buf, sizeof(buf), "any key closes the help");
	else if (st->detail)
		sadd(buf, sizeof(buf), "line %zu/%zu  Esc:back  Up/Down:scroll  w:write  q:quit",
		     st->detail_lines ? st->detail_top + 1 : 0, st->detail_lines);
	else {
		sadd(buf, sizeof(buf), "row %zu/%zu  sort: %s", count ? sel + 1 : 0, count,
		     v->sorts[st->sort[st->view] < v->nsorts ? st->sort[st->view] : 0]);
		if (st->filter[0])
			sadd(buf, sizeof(buf), "  filter: %s", st->filter);
		sadd(buf, sizeof(buf), "  | ?:help Tab/1-6:view Enter:detail /:filter s:sort p:pause w:write q:quit");
	}
	row_put(r, f->width, 1, -1, buf, MX_ROLE_STATUS, false);
}

static void colheads(struct mx_ui_row *r, int w, const struct vdef *v, unsigned sort)
{
	int x = 1;
	unsigned k;
	int scol = v->sort_col[sort < v->nsorts ? sort : 0];

	row_clear(r, w, MX_ROLE_COLHEAD);
	for (k = 0; k < v->ncols; k++) {
		int cw = v->cols[k].w ? v->cols[k].w : w - x;

		if (cw <= 0)
			break;
		row_put(r, w, x, cw, v->cols[k].title, (int)k == scol ? MX_ROLE_TAB_ACTIVE : MX_ROLE_COLHEAD,
			v->cols[k].right);
		x += cw + 1;
	}
}

static void list_row(struct mx_ui_row *r, int w, const struct vdef *v, const struct cells *c)
{
	int x = 1;
	unsigned k;

	row_clear(r, w, MX_ROLE_NORMAL);
	for (k = 0; k < v->ncols; k++) {
		int cw = v->cols[k].w ? v->cols[k].w : w - x;

		if (cw <= 0)
			break;
		row_put(r, w, x, cw, c->t[k], (enum mx_ui_role)c->role[k], v->cols[k].right);
		x += cw + 1;
	}
}

static void set_status(struct mx_ui_state *st, bool error, const char *msg)
{
	sfmt(st->status, sizeof(st->status), "%s", msg);
	st->status_error = error;
}

int mx_ui_build(struct mx_ui_frame *f, const struct mx_snapshot *s, struct mx_ui_state *st)
{
	const struct vdef *v;
	struct cells *cbuf;
	size_t *ord = NULL, n = 0, page, i, pos;
	int w = f->width, h = f->height, y, rc = 0;
	enum mx_ui_view vw;

	f->cursor_x = f->cursor_y = -1;
	if ((unsigned)st->view >= MX_UI__VIEWS)
		st->view = MX_UI_FINDINGS;
	vw = st->view;
	v = &g_views[vw];
	if (st->sort[vw] >= v->nsorts)
		st->sort[vw] = 0;
	if (w < MX_UI_MIN_WIDTH || h < MX_UI_MIN_HEIGHT) {
		for (y = 0; y < h; y++)
			row_clear(&f->rows[y], w, MX_ROLE_NORMAL);
		row_put(&f->rows[0], w, 0, -1, "mxsniff: terminal too small", MX_ROLE_WARN, false);
		st->page = 1;
		return 0;
	}
	page = (size_t)(h - MX_UI_BODY_TOP - 1);
	st->page = page;
	cbuf = malloc(sizeof(*cbuf));
	if (cbuf == NULL)
		return MX_ENOMEM;
	rc = list_items(s, st, v, cbuf, &ord, &n);
	if (rc != 0) {
		free(cbuf);
		return rc;
	}
	st->count = n;

	/* follow the selected item by its key (the top row stays on top) */
	if (st->sel_keyed[vw] && (st->sel[vw] > 0 || st->detail)) {
		bool found = false;

		for (pos = 0; pos < n; pos++)
			if (v->key(s, ord[pos]) == st->sel_key[vw]) {
				st->sel[vw] = pos;
				found = true;
				break;
			}
		if (!found && st->detail) {
			st->detail = false;
			set_status(st, false, "the item shown is no longer in the tables");
		}
	}
	if (n == 0)
		st->sel[vw] = 0;
	else if (st->sel[vw] >= n)
		st->sel[vw] = n - 1;
	if (st->top[vw] > st->sel[vw])
		st->top[vw] = st->sel[vw];
	if (st->sel[vw] >= st->top[vw] + page)
		st->top[vw] = st->sel[vw] - page + 1;
	if (n > page && st->top[vw] > n - page)
		st->top[vw] = n - page;
	if (n <= page)
		st->top[vw] = 0;
	st->sel_keyed[vw] = n > 0;
	st->sel_key[vw] = n > 0 ? v->key(s, ord[st->sel[vw]]) : 0;
	if (n == 0)
		st->detail = false;

	header(f, s, st);
	tabs(f, s, st);
	for (y = MX_UI_BODY_TOP - 1; y < h - 1; y++)
		row_clear(&f->rows[y], w, MX_ROLE_NORMAL);

	if (st->help) {
		struct mx_ui_row *r = &f->rows[MX_UI_BODY_TOP - 1];

		row_clear(r, w, MX_ROLE_COLHEAD);
		row_put(r, w, 1, -1, "Keys", MX_ROLE_COLHEAD, false);
		for (i = 0; mx_ui_help_lines[i] != NULL && i < page; i++)
			row_put(&f->rows[MX_UI_BODY_TOP + i], w, 2, -1, mx_ui_help_lines[i], MX_ROLE_NORMAL,
				false);
	} else if (st->detail) {
		struct rows rs;
		char title[512];

		memset(&rs, 0, sizeof(rs));
		rs.w = w;
		title[0] = '\0';
		v->detail(s, ord[st->sel[vw]], &rs, title, sizeof(title));
		if (rs.oom)
			rc = MX_ENOMEM;
		st->detail_lines = rs.n;
		if (rs.n > page && st->detail_top > rs.n - page)
			st->detail_top = rs.n - page;
		if (rs.n <= page)
			st->detail_top = 0;
		row_clear(&f->rows[MX_UI_BODY_TOP - 1], w, MX_ROLE_COLHEAD);
		row_put(&f->rows[MX_UI_BODY_TOP - 1], w, 1, -1, title, MX_ROLE_COLHEAD, false);
		for (i = 0; i < page && st->detail_top + i < rs.n; i++)
			f->rows[MX_UI_BODY_TOP + i] = rs.v[st->detail_top + i];
		free(rs.v);
	} else {
		colheads(&f->rows[MX_UI_BODY_TOP - 1], w, v, st->sort[vw]);
		for (i = 0; i < page && st->top[vw] + i < n; i++) {
			struct mx_ui_row *r = &f->rows[MX_UI_BODY_TOP + i];

			cells_clear(cbuf);
			v->cells(s, ord[st->top[vw] + i], cbuf);
			list_row(r, w, v, cbuf);
			r->selected = st->top[vw] + i == st->sel[vw];
		}
		if (n == 0) {
			char buf[160];

			if (st->filter[0] && s != NULL && v->count(s) > 0)
				sfmt(buf, sizeof(buf), "no rows match the filter \"%s\" (Esc clears it)", st->filter);
			else
				sfmt(buf, sizeof(buf), "%s", s == NULL ? "waiting for data" : v->empty);
			row_put(&f->rows[MX_UI_BODY_TOP], w, 2, -1, buf, MX_ROLE_DIM, false);
		}
	}
	status(f, st, st->sel[vw], n);
	free(ord);
	free(cbuf);
	return rc;
}

/* ---- keys ---------------------------------------------------------------- */

static void move_sel(struct mx_ui_state *st, long delta, bool absolute)
{
	enum mx_ui_view vw = st->view;

	if (st->detail) {
		size_t maxtop = st->detail_lines > st->page ? st->detail_lines - st->page : 0;
		long t = absolute ? delta : (long)st->detail_top + delta;

		if (t < 0)
			t = 0;
		st->detail_top = (size_t)t > maxtop ? maxtop : (size_t)t;
		return;
	}
	{
		long t = absolute ? delta : (long)st->sel[vw] + delta;

		if (t < 0 || st->count == 0)
			t = 0;
		else if ((size_t)t >= st->count)
			t = (long)st->count - 1;
		st->sel[vw] = (size_t)t;
		st->sel_keyed[vw] = false;   /* the index now decides */
	}
}

static void switch_view(struct mx_ui_state *st, enum mx_ui_view v)
{
	st->view = v;
	st->detail = false;
	st->detail_top = 0;
}

enum mx_ui_action mx_ui_key(struct mx_ui_state *st, int key)
{
	long page = st->page > 1 ? (long)st->page - 1 : 1;

	if (key == MX_KEY_NONE)
		return MX_UI_ACT_NONE;
	if (key == MX_KEY_RESIZE || key == MX_KEY_REDRAW)
		return MX_UI_ACT_REDRAW;
	st->status[0] = '\0';
	if (st->editing) {
		size_t len = strlen(st->filter);

		if (key == MX_KEY_ENTER || key == '\r') {
			st->editing = false;
		} else if (key == MX_KEY_ESC) {
			st->editing = false;
			st->filter[0] = '\0';
		} else if (key == MX_KEY_BACKSPACE || key == 8) {
			if (len > 0)
				st->filter[len - 1] = '\0';
		} else if (key >= 0x20 && key < 0x7f) {
			if (len < MX_UI_FILTER_MAX) {
				st->filter[len] = (char)key;
				st->filter[len + 1] = '\0';
			}
		} else {
			return MX_UI_ACT_REDRAW;
		}
		st->sel[st->view] = 0;
		st->top[st->view] = 0;
		st->sel_keyed[st->view] = false;
		return MX_UI_ACT_REDRAW;
	}
	if (st->help) {
		if (key == 'q' || key == 'Q')
			return MX_UI_ACT_QUIT;
		st->help = false;
		return MX_UI_ACT_REDRAW;
	}
	switch (key) {
	case 'q': case 'Q':
		return MX_UI_ACT_QUIT;
	case '1': case '2': case '3': case '4': case '5': case '6':
		switch_view(st, (enum mx_ui_view)(key - '1'));
		break;
	case MX_KEY_TAB:
		switch_view(st, (enum mx_ui_view)((st->view + 1) % MX_UI__VIEWS));
		break;
	case MX_KEY_BTAB:
		switch_view(st, (enum mx_ui_view)((st->view + MX_UI__VIEWS - 1) % MX_UI__VIEWS));
		break;
	case MX_KEY_UP: case 'k':
		move_sel(st, -1, false);
		break;
	case MX_KEY_DOWN: case 'j':
		move_sel(st, 1, false);
		break;
	case MX_KEY_PGUP: case 2: /* ^B */
		move_sel(st, -page, false);
		break;
	case MX_KEY_PGDN: case 6: /* ^F */ case ' ':
		move_sel(st, page, false);
		break;
	case MX_KEY_HOME: case 'g':
		move_sel(st, 0, true);
		break;
	case MX_KEY_END: case 'G':
		move_sel(st, st->detail ? (long)st->detail_lines : (long)st->count, true);
		break;
	case MX_KEY_ENTER: case '\r': case MX_KEY_RIGHT: case 'l':
		if (st->detail || st->count == 0)
			return MX_UI_ACT_NONE;
		st->detail = true;
		st->detail_top = 0;
		st->sel_keyed[st->view] = st->sel_keyed[st->view] && st->sel[st->view] < st->count;
		break;
	case MX_KEY_ESC: case MX_KEY_LEFT: case 'h': case MX_KEY_BACKSPACE: case 8:
		if (st->detail) {
			st->detail = false;
		} else if (st->filter[0]) {
			st->filter[0] = '\0';
			st->sel_keyed[st->view] = st->sel[st->view] > 0 && st->sel_keyed[st->view];
		} else {
			return MX_UI_ACT_NONE;
		}
		break;
	case '/':
		st->detail = false;
		st->editing = true;
		break;
	case 's':
		if (st->detail)
			return MX_UI_ACT_NONE;
		st->sort[st->view] = (st->sort[st->view] + 1) % (g_views[st->view].nsorts ?
								  g_views[st->view].nsorts : 1);
		st->sel[st->view] = 0;
		st->top[st->view] = 0;
		st->sel_keyed[st->view] = false;
		break;
	case 'p':
		st->paused = !st->paused;
		return MX_UI_ACT_PAUSE;
	case 'w':
		return MX_UI_ACT_WRITE;
	case '?':
		st->help = true;
		break;
	default:
		return MX_UI_ACT_NONE;
	}
	return MX_UI_ACT_REDRAW;
}
