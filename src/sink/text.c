/* sink/text.c - the human-readable report, written at close (L6).
 *
 * Sections, in order: "Findings" (ranked as the snapshot gives them: per
 * finding a headline, title, time span, counts, resolvers, detail, the SMTP
 * status the sender most likely logged, cause, fix, the dig commands to
 * verify, and the evidence rows as a table; past the first 10 findings of a
 * pattern, one entry each after the others), "Chains" (grouped by sender,
 * then recipient domain: per attempt the verdict, the MX step and one line
 * per exchange), "Recipient domains" (past 50, the all-resolved ones on one
 * line), then the core tables: "Capture"
 * (source, time span, totals, decode problems, strays, evictions, pcap drops
 * when live, a warning when the input ended early), "Resolvers",
 * "Authoritative servers" (only when there are any), "Senders" (with the
 * chain fingerprint: family order, fallback, retry cadence) and "Top
 * failing names". Prose is wrapped at 100 columns; tables are aligned with
 * widths computed from their content; numbers are right-aligned; a section
 * without rows says "none". Latencies are milliseconds with three decimals,
 * times RFC 3339 UTC: the report is the same bytes on every run and machine
 * (no locale, no time zone, no floats). The sink streams nothing: events go
 * to json/ndjson. It decides nothing: findings come from the detectors.
 */
#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"
#include "sink_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer ---------------------------------------------------- */

/* Bytes gathered and handed to the stream in blocks (a table row, a
 * wrapped paragraph), so a cell or a word is a copy, not a stdio call. */
struct obuf {
	char b[4096];
	size_t n;
	FILE *out;
};

static void ob_flush(struct obuf *o)
{
	if (o->n)
		fwrite(o->b, 1, o->n, o->out);
	o->n = 0;
}

static void ob_put_slow(struct obuf *o, const char *p, size_t n)
{
	while (n) {
		if (o->n == sizeof o->b)
			ob_flush(o);
		size_t k = sizeof o->b - o->n;
		if (k > n)
			k = n;
		memcpy(o->b + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
	}
}

static inline void ob_put(struct obuf *o, const char *p, size_t n)
{
	if (n <= sizeof o->b - o->n) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
	} else {
		ob_put_slow(o, p, n);
	}
}

static inline void ob_c(struct obuf *o, char c)
{
	if (o->n == sizeof o->b)
		ob_flush(o);
	o->b[o->n++] = c;
}

static void ob_spaces(struct obuf *o, size_t n)
{
	while (n) {
		if (o->n == sizeof o->b)
			ob_flush(o);
		size_t k = sizeof o->b - o->n;
		if (k > n)
			k = n;
		memset(o->b + o->n, ' ', k);
		o->n += k;
		n -= k;
	}
}

/* ---- aligned tables --------------------------------------------------- */

#define TBL_MAXCOL 20

/* Cells are copied into one growing block of text; a cell is its offset
 * and length there. */
struct tbl {
	size_t ncol;
	unsigned right;      /* bit i: column i right-aligned */
	unsigned wrap;       /* bit i: column i (left-aligned names) at most
			      * TBL_WIDE wide (tbl_print_at) */
	size_t *cell;        /* nrow * ncol: offset in text, length */
	size_t nrow, cap;
	char *text;
	size_t tlen, tcap;
	bool oom;
};

static void tbl_init(struct tbl *t, size_t ncol, unsigned right)
{
	memset(t, 0, sizeof(*t));
	t->ncol = ncol < TBL_MAXCOL ? ncol : TBL_MAXCOL;
	t->right = right;
}

/* Append a row of t->ncol strings (copied; NULL = ""). */
static void tbl_row(struct tbl *t, ...)
{
	va_list ap;
	if (t->oom)
		return;
	if (t->nrow == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		size_t *n = realloc(t->cell, nc * t->ncol * 2 * sizeof(*n));
		if (!n) {
			t->oom = true;
			return;
		}
		t->cell = n;
		t->cap = nc;
	}
	va_start(ap, t);
	for (size_t c = 0; c < t->ncol; c++) {
		const char *s = va_arg(ap, const char *);
		size_t len = s ? strlen(s) : 0, *cl = &t->cell[2 * (t->nrow * t->ncol + c)];
		if (len > t->tcap - t->tlen) {
			size_t nc = t->tcap ? t->tcap : 4096;
			char *n;
			while (nc - t->tlen < len)
				nc *= 2;
			n = realloc(t->text, nc);
			if (!n) {
				t->oom = true; /* the cell stays empty */
				cl[0] = cl[1] = 0;
				continue;
			}
			t->text = n;
			t->tcap = nc;
		}
		if (len)
			memcpy(t->text + t->tlen, s, len);
		cl[0] = t->tlen;
		cl[1] = len;
		t->tlen += len;
	}
	va_end(ap);
	t->nrow++;
}

/* A column of names marked in t->wrap is at most TBL_WIDE wide: a longer
 * cell (DNS names run to 253 bytes) is written whole and the rest of its
 * row goes on the next line under the following columns, as df(1) does
 * with a long file system name, so that one such name does not widen every
 * row. 80 keeps an ip6.arpa PTR name (74 bytes) on its row. */
#define TBL_WIDE 80

static void tbl_print_at(struct tbl *t, FILE *out, size_t indent)
{
	size_t w[TBL_MAXCOL] = { 0 }, end[TBL_MAXCOL];
	struct obuf o;
	o.n = 0;
	o.out = out;
	for (size_t r = 0; r < t->nrow; r++)
		for (size_t c = 0; c < t->ncol; c++) {
			size_t l = t->cell[2 * (r * t->ncol + c) + 1];
			if ((t->wrap & (1u << c)) && l > TBL_WIDE)
				continue;
			if (l > w[c])
				w[c] = l;
		}
	/* where each column ends on the line */
	for (size_t c = 0, x = indent; c < t->ncol; c++) {
		x += (c ? 2 : 0) + w[c];
		end[c] = x;
	}
	for (size_t r = 0; r < t->nrow; r++) {
		const size_t *row = &t->cell[2 * r * t->ncol];
		size_t pad = 0;
		ob_spaces(&o, indent);
		/* the last non-empty cell ends the line: no trailing blanks */
		size_t last = t->ncol;
		while (last > 0 && !row[2 * (last - 1) + 1])
			last--;
		for (size_t c = 0; c < last; c++) {
			size_t l = row[2 * c + 1];
			if (c)
				pad += 2;
			if (t->right & (1u << c)) {
				pad += w[c] - l;
				ob_spaces(&o, pad);
				pad = 0;
			} else {
				ob_spaces(&o, pad);
				pad = l <= w[c] ? w[c] - l : 0;
			}
			if (l)
				ob_put(&o, t->text + row[2 * c], l);
			if (l > w[c] && c + 1 < last) {
				/* too long for its column: the row goes on below */
				ob_c(&o, '\n');
				ob_spaces(&o, end[c]);
			}
		}
		ob_c(&o, '\n');
	}
	ob_flush(&o);
}

static void tbl_print(struct tbl *t, FILE *out)
{
	tbl_print_at(t, out, 2);
}

static void tbl_fini(struct tbl *t)
{
	free(t->cell);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

/* ---- formatting helpers ----------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define MX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MX_PRINTF(a, b)
#endif

struct sbuf {
	char b[1024];
	size_t n;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) MX_PRINTF(2, 3);
static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	if (s->n >= sizeof s->b - 1)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(s->b + s->n, sizeof s->b - s->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->n += (size_t)k < sizeof s->b - s->n ? (size_t)k : sizeof s->b - s->n - 1;
}

/* sb_add's "%s" and "%" PRIu64 without printf: the same bytes, cut the
 * same way when the buffer is full. */
static void sb_put(struct sbuf *s, const char *p, size_t len)
{
	if (s->n >= sizeof s->b - 1)
		return;
	if (len > sizeof s->b - 1 - s->n)
		len = sizeof s->b - 1 - s->n;
	memcpy(s->b + s->n, p, len);
	s->n += len;
	s->b[s->n] = '\0';
}

static void sb_str(struct sbuf *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

static void sb_u64(struct sbuf *s, uint64_t v)
{
	char d[MX_JC_U64_MAX];
	sb_put(s, d, mx_jw_fmt_u64(d, v));
}

static const char *u64s(uint64_t v, char *buf, size_t n)
{
	char tmp[24];
	size_t k = 0;
	if (n == 0)
		return buf;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t i = 0;
	while (k && i + 1 < n)
		buf[i++] = tmp[--k];
	buf[i] = '\0';
	return buf;
}

static const char *capped_s(uint64_t v, char *buf, size_t n)
{
	if (v > MX_MODEL_DISTINCT_CAP)
		snprintf(buf, n, ">%u", (unsigned)MX_MODEL_DISTINCT_CAP);
	else
		u64s(v, buf, n); /* "%" PRIu64, cut the same way */
	return buf;
}

/* part/whole as "97.5%" (rounded to one decimal), "-" when whole is 0. */
static const char *pct_s(uint64_t part, uint64_t whole, char *buf, size_t n)
{
	if (!whole) {
		snprintf(buf, n, "-");
		return buf;
	}
	uint64_t p = (part * 1000 + whole / 2) / whole;
	snprintf(buf, n, "%" PRIu64 ".%u%%", p / 10, (unsigned)(p % 10));
	return buf;
}

static const char *ms_s(uint64_t us, bool have, char *buf, size_t n)
{
	if (!have) {
		snprintf(buf, n, "-");
		return buf;
	}
	return mx_fmt_ms(us, buf, n);
}

static void rcode_mix(struct sbuf *s, const uint64_t *rc)
{
	char nb[32];
	for (unsigned i = 0; i < MX_RCODE_SLOTS; i++) {
		if (!rc[i])
			continue;
		const char *name = i == MX_RCODE_SLOTS - 1
					   ? "other"
					   : mx_dns_rcode_name((uint16_t)i, nb, sizeof nb);
		sb_add(s, "%s%s %" PRIu64, s->n ? " " : "", name, rc[i]);
	}
}

static void outcome_mix(struct sbuf *s, const uint64_t *oc)
{
	for (unsigned i = 0; i < MX_O__COUNT; i++)
		if (oc[i])
			sb_add(s, "%s%s %" PRIu64, s->n ? " " : "",
			       mx_outcome_name((enum mx_outcome)i), oc[i]);
}

/* ---- sections --------------------------------------------------------- */

static void kv(struct tbl *t, const char *k, const char *fmt, ...) MX_PRINTF(3, 4);
static void kv(struct tbl *t, const char *k, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tbl_row(t, k, buf);
}

static void section_capture(FILE *out, const struct mx_snapshot *s)
{
	struct tbl t;
	char a[64], b[64];
	struct sbuf sb;
	const struct mx_txn_stats *x = &s->txn;
	const struct mx_decode_stats *d = &s->decode;

	tbl_init(&t, 2, 0);
	char safe[1024];
	kv(&t, "source", "%s", s->source[0] ? mx_sk_safe(s->source, safe, sizeof safe) : "-");
	kv(&t, "filter", "%s", s->filter[0] ? mx_sk_safe(s->filter, safe, sizeof safe) : "none");
	if (s->input_truncated || s->input_error[0])
		kv(&t, "WARNING", "the input ended early%s%s%s: this report covers only what was read",
		   s->input_error[0] ? " (" : "",
		   s->input_error[0] ? mx_sk_safe(s->input_error, safe, sizeof safe) : "",
		   s->input_error[0] ? ")" : "");
	if (s->first_us) {
		uint64_t dur = s->last_us > s->first_us ? s->last_us - s->first_us : 0;
		kv(&t, "first packet", "%s", mx_fmt_time(s->first_us, a, sizeof a));
		kv(&t, "last packet", "%s", mx_fmt_time(s->last_us, b, sizeof b));
		kv(&t, "duration", "%" PRIu64 ".%06u s", dur / 1000000u,
		   (unsigned)(dur % 1000000u));
	} else {
		kv(&t, "time span", "none (no packets)");
	}
	kv(&t, "packets", "%" PRIu64 " (%" PRIu64 " bytes)", s->packets, s->bytes);
	kv(&t, "DNS messages", "%" PRIu64, s->dns_messages);
	if (x->multicast_queries)
		kv(&t, "queries", "%" PRIu64 " (%" PRIu64 " retransmissions, %" PRIu64
		   " to a multicast group: mDNS/LLMNR, not tracked)", s->queries, x->retransmits, x->multicast_queries);
	else
		kv(&t, "queries", "%" PRIu64 " (%" PRIu64 " retransmissions)", s->queries, x->retransmits);
	kv(&t, "responses", "%" PRIu64, s->responses);
	memset(&sb, 0, sizeof sb);
	for (unsigned i = 0; i < MX_QS__COUNT; i++)
		if (s->qtype_counts[i])
			sb_add(&sb, "%s%s %" PRIu64, sb.n ? ", " : "",
			       mx_model_qtype_slot_name((enum mx_qtype_slot)i), s->qtype_counts[i]);
	if (s->by_qtype_other)
		sb_add(&sb, "%sother %" PRIu64, sb.n ? ", " : "", s->by_qtype_other);
	kv(&t, "query types", "%s", sb.n ? sb.b : "none");
	kv(&t, "transactions", "%" PRIu64, x->transactions);
	kv(&t, "answered", "%" PRIu64, x->answered);
	kv(&t, "unanswered", "%" PRIu64 " (timed out)", x->timeouts);
	if (x->icmp_responses)
		kv(&t, "ICMP unreachable", "%" PRIu64 " transactions (%" PRIu64
		   " ICMP messages quoting DNS, %" PRIu64 " matched no query, %" PRIu64
		   " quoted a response: the client's port was closed when the answer came)",
		   x->unreachable, s->icmp_dns, x->icmp_unmatched, x->icmp_responses);
	else
		kv(&t, "ICMP unreachable", "%" PRIu64 " transactions (%" PRIu64
		   " ICMP messages quoting DNS, %" PRIu64 " matched no query)",
		   x->unreachable, s->icmp_dns, x->icmp_unmatched);
	kv(&t, "pending at end", "%" PRIu64, x->pending_at_end);
	kv(&t, "late responses", "%" PRIu64, x->stray[MX_STRAY_LATE]);
	kv(&t, "duplicate responses", "%" PRIu64, x->stray[MX_STRAY_DUPLICATE]);
	kv(&t, "unsolicited responses", "%" PRIu64, x->stray[MX_STRAY_UNSOLICITED]);
	kv(&t, "wrong-source responses", "%" PRIu64, x->stray[MX_STRAY_WRONG_SOURCE]);
	kv(&t, "responses before query", "%" PRIu64 " (captured before their query; answered it)", x->reordered);
	memset(&sb, 0, sizeof sb);
	{
		/* by_outcome counts a lookup still waiting at the end under
		 * TIMEOUT (so the mix sums to lookups); show it as pending */
		uint64_t oc[MX_O__COUNT];
		memcpy(oc, s->lookup.by_outcome, sizeof oc);
		uint64_t pend = mx_sk_lookups_pending(s);
		oc[MX_O_TIMEOUT] -= pend;
		outcome_mix(&sb, oc);
		if (pend)
			sb_add(&sb, "%spending %" PRIu64, sb.n ? " " : "", pend);
	}
	if (sb.n)
		kv(&t, "lookups", "%" PRIu64 " (%s)", s->lookup.lookups, sb.b);
	else
		kv(&t, "lookups", "%" PRIu64, s->lookup.lookups);
	kv(&t, "lookups pending at end", "%" PRIu64, s->lookup.pending_at_end);
	if (s->lookup.forwarded)
		kv(&t, "forwarded lookups", "%" PRIu64 " (a forwarder's upstream queries for a DNS server "
		   "on this host; see Senders)", s->lookup.forwarded);
	kv(&t, "chains", "%" PRIu64 " (resolved %" PRIu64 ", deferred %" PRIu64 ", failed %" PRIu64
	   ", incomplete %" PRIu64 ")", s->chain.chains, s->chain.resolved, s->chain.deferred,
	   s->chain.failed, s->chain.incomplete);
	kv(&t, "SYNs to port 25", "%" PRIu64, s->chain.syns);
	if (s->chain.relay_syns)
		kv(&t, "SYNs to relay ports", "%" PRIu64 " (the ports given with --relayhost)", s->chain.relay_syns);
	kv(&t, "findings", "%zu", s->n_findings);
	kv(&t, "DNS malformed", "%" PRIu64, s->dns_malformed);
	kv(&t, "DNS truncated", "%" PRIu64, s->dns_truncated);
	kv(&t, "not DNS", "%" PRIu64, s->dns_not_dns);

	/* Frames that did not give DNS, by reason (non-zero only). */
	if (d->reason[MX_R_CAPTURE_DUP])
		kv(&t, "capture duplicates", "%" PRIu64 " frames skipped (the same IP packet again within %u ms, "
		   "as -i any records it)",
		   d->reason[MX_R_CAPTURE_DUP], MX_DECODE_DUP_WINDOW_US / 1000);
	if (d->reason[MX_R_RESPONSE_OTHER_PORT])
		kv(&t, "responses from other ports",
		   "%" PRIu64 " (answers to pending queries sent from no DNS port)",
		   d->reason[MX_R_RESPONSE_OTHER_PORT]);
	bool any = false;
	for (unsigned r = 0; r < MX_R__COUNT; r++) {
		enum mx_verdict v = mx_decode_reason_verdict((enum mx_reason)r);
		if (v == MX_V_OK || !d->reason[r])
			continue;
		kv(&t, any ? "" : "decode problems", "%s %" PRIu64 " (%s)",
		   mx_decode_reason_name((enum mx_reason)r), d->reason[r], mx_verdict_name(v));
		any = true;
	}
	if (!any)
		kv(&t, "decode problems", "none");

	struct {
		const char *name;
		uint64_t n;
		const char *opt; /* the option that sets the cap, NULL none */
	} ev[] = {
		{ "servers", s->evicted_servers, NULL },
		{ "senders", s->evicted_senders, NULL },
		{ "failing names", s->evicted_names, NULL },
		{ "pending queries", x->evicted_pending, "--max-pending" },
		{ "recent transactions", x->evicted_recent, "--max-recent" },
		{ "lookups", s->lookup.evicted, "--max-lookups" },
		{ "IP fragments", d->frag_evicted, NULL },
		{ "TCP flows", d->tcp_flows_evicted, NULL },
		{ "recipient domains", s->evicted_domains, NULL },
		{ "open chains", s->chain.evicted, "--max-chains" },
		{ "chain history", s->chain.history_evicted, NULL },
		{ "findings", s->findings_evicted, NULL },
	};
	any = false;
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		if (!ev[i].n)
			continue;
		if (ev[i].opt)
			kv(&t, any ? "" : "evictions", "%s %" PRIu64 " (cap: %s)", ev[i].name, ev[i].n, ev[i].opt);
		else
			kv(&t, any ? "" : "evictions", "%s %" PRIu64, ev[i].name, ev[i].n);
		any = true;
	}
	if (any)
		kv(&t, "", "total %" PRIu64, s->evicted_total);
	else
		kv(&t, "evictions", "none");
	if (s->capture.back_steps)
		kv(&t, "time order", "%" PRIu64 " step%s back in time, by up to %" PRIu64 ".%06" PRIu64
		   " s, first at frame %" PRIu64 " (not in time order: latencies and timeouts across it are not reliable)",
		   s->capture.back_steps, s->capture.back_steps == 1 ? "" : "s", s->capture.back_max_us / 1000000u,
		   s->capture.back_max_us % 1000000u, s->capture.back_first_frame);
	if (s->live || s->capture.live)
		kv(&t, "pcap drops", "%" PRIu64 " dropped, %" PRIu64 " dropped by interface (%" PRIu64
		   " received)", s->capture.ps_drop, s->capture.ps_ifdrop, s->capture.ps_recv);
	if (s->capture.saving) {
		char tail[256];
		mx_sk_save_tail(s, tail, sizeof tail);
		kv(&t, "saved to", "%s: %" PRIu64 " frames, %" PRIu64 " bytes (frame N of this report is "
		   "packet N of the file)%s", s->capture.save_path, s->capture.saved_frames,
		   s->capture.saved_bytes, tail);
	}
	if (s->capture.priv_dropped)
		kv(&t, "privileges", "root dropped to %s (uid %" PRIu32 ", gid %" PRIu32 ") once the input "
		   "and outputs were open", s->capture.priv_user, s->capture.priv_uid, s->capture.priv_gid);

	fputs("Capture\n", out);
	tbl_print(&t, out);
	tbl_fini(&t);
}

static void wrap(FILE *out, const char *lead, size_t hang, const char *text);

static void section_servers(FILE *out, const char *title, const struct mx_server_row *rows,
			    size_t n)
{
	struct tbl t;
	fprintf(out, "\n%s (%zu)\n", title, n);
	if (!n) {
		fputs("  none\n", out);
		return;
	}
	/* right-aligned: queries..clients (1..10) */
	tbl_init(&t, 12, 0x7feu);
	tbl_row(&t, "address", "queries", "answered", "p50 ms", "p95 ms", "p99 ms", "max ms",
		"timeouts", "unreach", "tcp", "clients", "rcodes");
	for (size_t i = 0; i < n; i++) {
		const struct mx_server_row *r = &rows[i];
		char ad[MX_ADDR_STRLEN], q[24], an[24], p50[32], p95[32], p99[32], mx[32], to[24],
			un[24], tc[24], cl[24];
		struct sbuf sb;
		bool lat = r->latency.count > 0;
		memset(&sb, 0, sizeof sb);
		rcode_mix(&sb, r->rcodes);
		tbl_row(&t, mx_addr_format(&r->addr, ad, sizeof ad), u64s(r->queries, q, sizeof q),
			pct_s(r->answered, r->answered + r->timeouts + r->unreachable, an, sizeof an),
			ms_s(r->latency.p50, lat, p50, sizeof p50),
			ms_s(r->latency.p95, lat, p95, sizeof p95),
			ms_s(r->latency.p99, lat, p99, sizeof p99),
			ms_s(r->latency.max, lat, mx, sizeof mx), u64s(r->timeouts, to, sizeof to),
			u64s(r->unreachable, un, sizeof un), u64s(r->tcp_queries, tc, sizeof tc),
			capped_s(r->clients, cl, sizeof cl), sb.n ? sb.b : "-");
	}
	tbl_print(&t, out);
	tbl_fini(&t);
	for (size_t i = 0; i < n; i++) {
		const struct mx_server_row *r = &rows[i];
		char ad[MX_ADDR_STRLEN], to[MX_ADDR_STRLEN], via[MX_ADDR_STRLEN];
		if (!r->forwarded)
			continue;
		char line[512];
		snprintf(line, sizeof line, "%s is a forwarder on this host: %" PRIu64 " of its questions went "
			 "upstream (the last from %s to %s); its answers relay the upstream server's",
			 mx_addr_format(&r->addr, ad, sizeof ad), r->forwarded,
			 mx_addr_format(&r->fwd_via, via, sizeof via), mx_addr_format(&r->fwd_to, to, sizeof to));
		wrap(out, "  ", 4, line);
	}
}

static void section_senders(FILE *out, const struct mx_snapshot *s)
{
	struct tbl t;
	fprintf(out, "\nSenders (%zu)\n", s->n_senders);
	if (!s->n_senders) {
		fputs("  none\n", out);
		return;
	}
	/* numbers right-aligned: queries .. chains, and the retry gaps */
	tbl_init(&t, 17, 0x1ffeu | (1u << 15) | (1u << 16));
	tbl_row(&t, "address", "queries", "lookups", "failed", "MX", "A", "AAAA", "other",
		"resolvers", "EDNS", "DO", "AD", "chains", "family order", "AAAA failure",
		"retry min s", "retry mean s");
	for (size_t i = 0; i < s->n_senders; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		char ad[MX_ADDR_STRLEN], b[14][24];
		if (r->retry_gaps) {
			mx_sk_secs(r->retry_gap_min_us, b[11], 24);
			mx_sk_secs(r->retry_gap_sum_us / r->retry_gaps, b[12], 24);
		} else {
			snprintf(b[11], 24, "-");
			snprintf(b[12], 24, "-");
		}
		tbl_row(&t, mx_addr_format(&r->addr, ad, sizeof ad), u64s(r->queries, b[0], 24),
			u64s(r->lookups, b[1], 24), u64s(r->failed, b[2], 24),
			u64s(r->mx_lookups, b[3], 24), u64s(r->a_lookups, b[4], 24),
			u64s(r->aaaa_lookups, b[5], 24), u64s(r->other_lookups, b[6], 24),
			capped_s(r->resolvers, b[7], 24), u64s(r->edns_queries, b[8], 24),
			u64s(r->do_queries, b[9], 24), u64s(r->ad_queries, b[13], 24),
			u64s(r->chains, b[10], 24), mx_sender_family_order(r), mx_sender_fallback(r), b[11], b[12]);
	}
	tbl_print(&t, out);
	tbl_fini(&t);
	for (size_t i = 0; i < s->n_senders; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		char ad[MX_ADDR_STRLEN], line[512];
		if (!r->multi_send)
			continue;
		snprintf(line, sizeof line, "%s sent %" PRIu64 " lookup%s to several resolvers at once (one query, "
			 "same ID and port): musl's stub resolver (Alpine Linux), whose getaddrinfo gives up "
			 "when A or AAAA gets SERVFAIL or no answer",
			 mx_addr_format(&r->addr, ad, sizeof ad), r->multi_send, r->multi_send == 1 ? "" : "s");
		wrap(out, "  ", 4, line);
	}
	for (size_t i = 0; i < s->n_senders; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		char ad[MX_ADDR_STRLEN], line[512];
		if (!r->any_lookups || !r->mx_lookups)
			continue;
		snprintf(line, sizeof line, "%s asked ANY %" PRIu64 " time%s beside its MX lookups: qmail-remote's "
			 "CNAME check of each recipient domain; a resolver that refuses or drops ANY stops its "
			 "mail (ANY_LOOKUP_FAIL)",
			 mx_addr_format(&r->addr, ad, sizeof ad), r->any_lookups, r->any_lookups == 1 ? "" : "s");
		wrap(out, "  ", 4, line);
	}
	for (size_t i = 0; i < s->n_senders; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		char ad[MX_ADDR_STRLEN], fw[MX_ADDR_STRLEN];
		if (!r->forwarded)
			continue;
		char line[512];
		snprintf(line, sizeof line, "%s forwarded %" PRIu64 " of %" PRIu64 " lookup%s for the DNS server %s "
			 "on this host (asked the same question while that server's answer was awaited); "
			 "forwarded lookups make no chain (the client's own lookups do)",
			 mx_addr_format(&r->addr, ad, sizeof ad), r->forwarded, r->lookups,
			 r->lookups == 1 ? "" : "s", mx_addr_format(&r->fwd_for, fw, sizeof fw));
		wrap(out, "  ", 4, line);
	}
}

static void section_failing(FILE *out, const struct mx_snapshot *s)
{
	struct tbl t;
	if (s->failing_total > s->n_failing)
		fprintf(out, "\nTop failing names (%zu of %zu%s; --top 0 shows all)\n", s->n_failing,
			s->failing_total, s->evicted_names ? " kept" : "");
	else
		fprintf(out, "\nTop failing names (%zu)\n", s->n_failing);
	if (!s->n_failing) {
		fputs("  none\n", out);
		return;
	}
	/* right-aligned: lookups, failed, clients, frame */
	tbl_init(&t, 8, (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6));
	t.wrap = 1u; /* name */
	tbl_row(&t, "name", "qtype", "lookups", "failed", "clients", "last outcome", "frame",
		"outcomes");
	for (size_t i = 0; i < s->n_failing; i++) {
		const struct mx_name_row *r = &s->failing[i];
		char nm[MX_DNAME_STRLEN], ty[32], lk[24], fl[24], cl[24], fr[24];
		struct sbuf sb;
		memset(&sb, 0, sizeof sb);
		outcome_mix(&sb, r->outcomes);
		if (r->last_frame)
			u64s(r->last_frame, fr, sizeof fr);
		else
			snprintf(fr, sizeof fr, "-");
		tbl_row(&t, mx_dname_format(&r->qname, nm, sizeof nm),
			mx_dns_type_name(r->qtype, ty, sizeof ty), u64s(r->lookups, lk, sizeof lk),
			u64s(r->failed, fl, sizeof fl), capped_s(r->clients, cl, sizeof cl),
			mx_outcome_name(r->last_outcome), fr, sb.n ? sb.b : "-");
	}
	tbl_print(&t, out);
	tbl_fini(&t);
}

/* ---- findings --------------------------------------------------------- */

/* Columns of UTF-8 text (continuation bytes take none). */
static size_t cols(const char *p, size_t len)
{
	size_t c = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Byte classes for wrap: W_COL takes a column (not a UTF-8 continuation
 * byte), W_CTL is a control byte or DEL, W_END ends a word (NUL, ' '). */
enum { W_COL = 1, W_CTL = 2, W_END = 4 };
static const unsigned char g_wcls[256] = {
	W_END, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	W_END, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3,
	/* 0x80-0xbf: continuation bytes */
	[0xc0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Print `lead` then `text` word by word, wrapped at MX_SK_WIDTH columns;
 * continuation lines are indented by `hang` spaces. Control bytes in text
 * become '?': detector texts are static, but names inside them are not. */
static void wrap_n(FILE *out, const char *lead, size_t ll, size_t hang, const char *text)
{
	struct obuf o;
	size_t col = cols(lead, ll);
	bool any = false;
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	o.n = 0;
	o.out = out;
	ob_put(&o, lead, ll);
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const unsigned char *w = p;
		size_t wc = 0;
		unsigned k, seen = 0;
		while (!((k = g_wcls[*p]) & W_END)) {
			wc += k & W_COL;
			seen |= k;
			p++;
		}
		size_t wl = (size_t)(p - w);
		if (any && col + 1 + wc > MX_SK_WIDTH) {
			ob_c(&o, '\n');
			ob_spaces(&o, hang);
			col = hang;
			any = false;
		}
		if (any) {
			ob_c(&o, ' ');
			col++;
		}
		if (!(seen & W_CTL)) {
			ob_put(&o, (const char *)w, wl);
		} else {
			for (size_t i = 0; i < wl; i++) {
				unsigned char c = w[i];
				ob_c(&o, c < 0x20 || c == 0x7f ? '?' : (char)c);
			}
		}
		col += wc;
		any = true;
	}
	ob_c(&o, '\n');
	ob_flush(&o);
}

static void wrap(FILE *out, const char *lead, size_t hang, const char *text)
{
	wrap_n(out, lead, strlen(lead), hang, text);
}

/* "Label: text" wrapped with a hanging indent under the text. */
static void labelled(FILE *out, size_t indent, const char *label, const char *text)
{
	char lead[64];
	size_t n = indent < sizeof lead - 1 ? indent : sizeof lead - 1, ll = strlen(label);
	/* what snprintf("%*s%s ") writes, cut at 63 bytes */
	memset(lead, ' ', n);
	if (ll > sizeof lead - 1 - n)
		ll = sizeof lead - 1 - n;
	memcpy(lead + n, label, ll);
	n += ll;
	if (n < sizeof lead - 1)
		lead[n++] = ' ';
	lead[n] = '\0';
	wrap_n(out, lead, n, indent + 2, text);
}

static void finding_block(FILE *out, const struct mx_snapshot *s, const struct mx_finding *f)
{
	const struct mx_server_row *fw = mx_snapshot_forwarder(s, f);
	char subj[2 * MX_DNAME_STRLEN + 128], lead[160], buf[2048], a[40], b[40];
	struct sbuf sb;

	mx_sk_subject(f, subj, sizeof subj);
	snprintf(lead, sizeof lead, "  [%s] %s%s", mx_sk_sev_upper(f->sev),
		 f->pattern ? f->pattern : "?", subj[0] ? "  " : "");
	wrap(out, lead, 6, subj);
	wrap(out, "    ", 4, mx_sk_sentence(f->title, buf, sizeof buf));

	if (f->first_us) {
		memset(&sb, 0, sizeof sb);
		sb_str(&sb, mx_fmt_time(f->first_us, a, sizeof a));
		if (f->last_us > f->first_us) {
			sb_put(&sb, " to ", 4);
			sb_str(&sb, mx_fmt_time(f->last_us, b, sizeof b));
		}
		labelled(out, 4, "Seen:", sb.b);
	}
	memset(&sb, 0, sizeof sb);
	sb_u64(&sb, f->count);
	sb_str(&sb, f->count == 1 ? " occurrence" : " occurrences");
	if (f->attempts) {
		sb_put(&sb, " in ", 4);
		sb_u64(&sb, f->attempts);
		sb_str(&sb, f->attempts == 1 ? " delivery attempt" : " delivery attempts");
	}
	labelled(out, 4, "Count:", sb.b);
	if (f->single_attempt)
		wrap(out, "    ", 4, "single attempt: capture too short to judge recurrence");
	if (f->recovered_attempt) {
		char tb[48], ad[MX_ADDR_STRLEN];
		memset(&sb, 0, sizeof sb);
		sb_str(&sb, "attempt ");
		sb_u64(&sb, f->recovered_attempt);
		sb_str(&sb, " (");
		sb_str(&sb, mx_fmt_time(f->recovered_us, tb, sizeof tb));
		sb_str(&sb, ") resolved and connected to ");
		sb_str(&sb, mx_addr_format(&f->recovered_to, ad, sizeof ad));
		if (f->recovered_frame) {
			sb_str(&sb, " (frame ");
			sb_u64(&sb, f->recovered_frame);
			sb_str(&sb, ")");
		}
		sb_str(&sb, "; severity lowered from ");
		sb_str(&sb, f->sev_was == MX_SEV_CRIT ? "CRIT" : "ERROR");
		labelled(out, 4, "Recovered:", sb.b);
	}
	if (f->n_resolvers) {
		memset(&sb, 0, sizeof sb);
		for (unsigned i = 0; i < f->n_resolvers && i < MX_FINDING_MAX_RESOLVERS; i++) {
			char ad[MX_ADDR_STRLEN];
			if (i)
				sb_put(&sb, ", ", 2);
			sb_str(&sb, mx_addr_format(&f->resolvers[i], ad, sizeof ad));
		}
		labelled(out, 4, f->authoritative ? "Authoritative servers:" : "Resolvers:", sb.b);
	}
	if (fw) {
		char a1[MX_ADDR_STRLEN], a2[MX_ADDR_STRLEN], note[256];
		snprintf(note, sizeof note, "%s is a forwarder on this host: its answers relay %s's (see that "
			 "resolver's findings)", mx_addr_format(&fw->addr, a1, sizeof a1),
			 mx_addr_format(&fw->fwd_to, a2, sizeof a2));
		labelled(out, 4, "Forwarder:", note);
	}
	if (f->detail[0]) {
		char d[sizeof f->detail + 1];
		memcpy(d, f->detail, sizeof f->detail);
		d[sizeof f->detail] = '\0';
		labelled(out, 4, "Detail:", d);
	}
	if (f->smtp_status) {
		char st[MX_STATUS_STRLEN];
		labelled(out, 4, "Most likely SMTP status:", mx_sk_status(mx_finding_status(f, st, sizeof st)));
	}
	if (f->cause)
		labelled(out, 4, "Cause:", mx_sk_sentence(f->cause, buf, sizeof buf));
	if (f->fix)
		labelled(out, 4, "Fix:", mx_sk_sentence(f->fix, buf, sizeof buf));
	if (f->verify[0]) {
		char v[sizeof f->verify + 1];
		const char *p = v, *line;
		size_t len;
		memcpy(v, f->verify, sizeof f->verify);
		v[sizeof f->verify] = '\0';
		fputs("    Verify:\n", out);
		while ((len = mx_sk_next_line(&p, &line)) != 0) {
			char one[sizeof f->verify + 1];
			memcpy(one, line, len);
			one[len] = '\0';
			wrap(out, "      ", 8, one);
		}
	}
	if (f->n_frames) {
		memset(&sb, 0, sizeof sb);
		for (unsigned i = 0; i < f->n_frames && i < MX_FINDING_MAX_FRAMES; i++) {
			if (i)
				sb_put(&sb, ", ", 2);
			sb_u64(&sb, f->frames[i]);
		}
		labelled(out, 4, "Evidence frames:", sb.b);
	}
	if (f->n_evidence) {
		struct tbl t;
		tbl_init(&t, 7, 1u | (1u << 6));
		t.wrap = 1u << 4; /* question */
		tbl_row(&t, "frame", "time", "from", "to", "question", "answer / rcode", "latency ms");
		for (unsigned i = 0; i < f->n_evidence && i < MX_FINDING_MAX_EVIDENCE; i++) {
			const struct mx_evidence *e = &f->evidence[i];
			char fr[24], tm[40], fa[MX_ADDR_STRLEN], ta[MX_ADDR_STRLEN],
				q[MX_DNAME_STRLEN + 40], an[256], lat[32];
			tbl_row(&t, u64s(e->frame, fr, sizeof fr), mx_fmt_time(e->ts_us, tm, sizeof tm),
				e->from.family ? mx_addr_format(&e->from, fa, sizeof fa) : "-",
				e->to.family ? mx_addr_format(&e->to, ta, sizeof ta) : "-",
				mx_sk_question(e->qtype, &e->qname, q, sizeof q),
				mx_sk_evidence_answer(e, an, sizeof an),
				ms_s(e->latency_us, e->response && e->outcome != MX_O_TIMEOUT && !e->unsolicited, lat,
				     sizeof lat));
		}
		tbl_print_at(&t, out, 6);
		tbl_fini(&t);
	}
}

/* A report written from the live view before the capture ended: the
 * pending findings (not made yet), one entry each. */
static void pending_findings(FILE *out, const struct mx_snapshot *s)
{
	char lead[160], line[2 * MX_DNAME_STRLEN + 512];
	if (!s->n_pending)
		return;
	fprintf(out, "\n  Pending (%zu): not findings yet; made when their window or the capture ends, if\n"
		"  nothing changes (the live view shows them as pending):\n", s->n_pending);
	if (s->pending_dropped)
		fprintf(out, "  (%" PRIu64 " more pending are not listed)\n", s->pending_dropped);
	for (size_t j = 0; j < s->n_pending; j++) {
		const struct mx_finding *f = &s->pending[j];
		snprintf(lead, sizeof lead, "  [%s] %s  ", mx_sk_sev_upper(f->sev), f->pattern ? f->pattern : "?");
		wrap(out, lead, 6, mx_sk_finding_line(f, line, sizeof line));
		snprintf(lead, sizeof lead, "      waiting: ");
		wrap(out, lead, 6, f->pending);
	}
}

static void section_findings(FILE *out, const struct mx_snapshot *s)
{
	if (!s->n_findings) {
		size_t cut = 0;
		if (s->packets == 0 && s->capture.ps_drop + s->capture.ps_ifdrop > 0) {
			fprintf(out, "Findings\n  none: every packet that passed the filter was dropped "
				"before mxsniff read it (%" PRIu64 " by the kernel, %" PRIu64 " by the "
				"interface: see pcap drops under Capture), so nothing could be judged\n",
				s->capture.ps_drop, s->capture.ps_ifdrop);
		} else if (s->packets == 0) {
			fprintf(out, "Findings\n  none: %s, so nothing could be judged\n",
				s->filter[0] ? "no packet passed the filter" : "the capture holds no packets");
		} else if (s->dns_messages == 0) {
			uint64_t bad = s->decode.verdict[MX_V_TRUNCATED] + s->decode.verdict[MX_V_MALFORMED] +
				       s->decode.verdict[MX_V_UNSUPPORTED];
			fprintf(out, "Findings\n  none: no DNS message in the %" PRIu64 " packet%s, so nothing could "
				"be judged\n", s->packets, s->packets == 1 ? "" : "s");
			if (bad)
				fprintf(out, "  (%" PRIu64 " could not be decoded: see \"decode problems\" under "
					"Capture)\n", bad);
			fputs("  (" MX_SK_NO_DNS_WHY_1 "\n   " MX_SK_NO_DNS_WHY_2 ")\n", out);
		} else if (s->no_detectors) {
			fputs("Findings\n  none: no detector ran (--detectors, --no-detectors), so no "
			      "failure pattern was looked for\n", out);
		} else {
			fputs("Findings\n  none: no failure pattern found\n", out);
		}
		for (size_t i = 0; i < s->n_chains; i++)
			cut += s->chains[i].cut_short;
		if (cut)
			fprintf(out,
				"  (%zu chain%s ended with the capture inside %s window: judging "
				"recurrence needs a longer capture)\n",
				cut, cut == 1 ? "" : "s", cut == 1 ? "its" : "their");
		if (s->findings_evicted)
			fprintf(out, "  (%" PRIu64 " findings were evicted)\n", s->findings_evicted);
		pending_findings(out, s);
		return;
	}
	fprintf(out, "Findings (%zu)\n", s->n_findings);
	if (s->findings_evicted) {
		char eb[512];
		mx_sk_evicted_by(s, eb, sizeof eb);
		fprintf(out, "  (%" PRIu64 " more were evicted: the findings table was full%s%s)\n",
			s->findings_evicted, eb[0] ? "; " : "", eb);
	}
	bool *full = malloc(s->n_findings * sizeof(*full));
	size_t *rest = malloc(s->n_findings * sizeof(*rest));
	size_t nrest = full && rest ? mx_sk_findings_split(s, full, rest) : SIZE_MAX;
	bool first = true;
	for (size_t i = 0; i < s->n_findings; i++) {
		if (nrest != SIZE_MAX && !full[i])
			continue;
		if (!first)
			fputc('\n', out);
		first = false;
		finding_block(out, s, &s->findings[i]);
	}
	if (nrest != SIZE_MAX && nrest) {
		char lead[160], line[2 * MX_DNAME_STRLEN + 512];
		fprintf(out,
			"\n  The other %zu findings, one entry each (the first %zu of each pattern are above;\n"
			"  --full-findings 0 shows every one in full, -F json has every field):\n",
			nrest, mx_sk_full_per_pattern(s));
		for (size_t j = 0; j < nrest; j++) {
			const struct mx_finding *f = &s->findings[rest[j]];
			snprintf(lead, sizeof lead, "  [%s] %s  ", mx_sk_sev_upper(f->sev),
				 f->pattern ? f->pattern : "?");
			wrap(out, lead, 6, mx_sk_finding_line(f, line, sizeof line));
		}
	}
	free(full);
	free(rest);
	pending_findings(out, s);
}

/* ---- chains ----------------------------------------------------------- */

/* Chains are grouped by sender, then domain, groups in order of first
 * appearance in the snapshot (oldest first), attempts by start time. */
struct chain_ix {
	const struct mx_chain *c;
	size_t idx;     /* position in the snapshot */
	size_t gs, gp;  /* first position of its sender / of its (sender, domain) */
};

static int cmp_pair(const void *pa, const void *pb)
{
	const struct chain_ix *x = pa, *y = pb;
	int c = mx_addr_cmp(&x->c->sender, &y->c->sender);
	if (!c)
		c = mx_dname_cmp(&x->c->domain, &y->c->domain);
	if (!c)
		c = x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
	return c;
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct chain_ix *x = pa, *y = pb;
	if (x->gs != y->gs)
		return x->gs < y->gs ? -1 : 1;
	if (x->gp != y->gp)
		return x->gp < y->gp ? -1 : 1;
	if (x->c->start_us != y->c->start_us)
		return x->c->start_us < y->c->start_us ? -1 : 1;
	if (x->c->seq != y->c->seq)
		return x->c->seq < y->c->seq ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

static void sort_chains(struct chain_ix *ix, size_t n)
{
	qsort(ix, n, sizeof(*ix), cmp_pair);
	for (size_t i = 0; i < n;) {
		size_t j = i, first = ix[i].idx;
		while (j < n && mx_addr_eq(&ix[j].c->sender, &ix[i].c->sender)) {
			if (ix[j].idx < first)
				first = ix[j].idx;
			j++;
		}
		for (size_t k = i; k < j; k++) {
			ix[k].gs = first;
			if (k == i || !mx_dname_eq(&ix[k].c->domain, &ix[k - 1].c->domain))
				ix[k].gp = ix[k].idx; /* runs are sorted by idx */
			else
				ix[k].gp = ix[k - 1].gp;
		}
		i = j;
	}
	qsort(ix, n, sizeof(*ix), cmp_group);
}

static void chain_lines(FILE *out, const struct mx_chain *c)
{
	char tm[40], gap[48], ad[MX_ADDR_STRLEN], buf[2 * MX_DNAME_STRLEN + 512], lead[96];
	struct sbuf sb;
	memset(&sb, 0, sizeof sb);
	sb_add(&sb, "%s: %s", mx_chain_verdict_name(c->verdict), c->why ? c->why : "-");
	if (c->connected)
		sb_add(&sb, "; connected to %s", mx_addr_format(&c->connected_to, ad, sizeof ad));
	if (c->connected && c->connected_port && c->connected_port != 25)
		sb_add(&sb, " port %u", (unsigned)c->connected_port);
	if (c->connected && c->syn_frame)
		sb_add(&sb, " (frame %" PRIu64 ")", c->syn_frame);
	if (c->syn_other)
		sb_add(&sb, "; %u SYN%s to port 25 that no chain of this sender explains",
		       (unsigned)c->syn_other, c->syn_other == 1 ? "" : "s");
	if (c->cut_short)
		sb_add(&sb, "; cut short (the capture ended inside the chain window)");
	if (c->evicted)
		sb_add(&sb, "; closed early (the open-chain table was full: --max-chains)");
	if (c->prev_start_us && c->start_us > c->prev_start_us)
		snprintf(gap, sizeof gap, c->new_delivery ? " (+%s s, another delivery)" : " (+%s s)",
			 mx_sk_secs(c->start_us - c->prev_start_us, buf, sizeof buf));
	else
		gap[0] = '\0';
	snprintf(lead, sizeof lead, "      attempt %u  %s%s  ", (unsigned)c->attempt,
		 mx_fmt_time(c->start_us, tm, sizeof tm), gap);
	wrap(out, lead, 10, sb.b);
	wrap(out, "        ", 10, mx_sk_mx_line(c, buf, sizeof buf));
	/* after a temporary MX failure there is no exchange, implicit or not
	 * (MTAs defer; RFC 5321 5.1 falls back to the domain only on NODATA
	 * and NXDOMAIN): the placeholder host is not shown unless asked */
	bool mx_temp = c->mx.asked && c->mx.outcome != MX_O_ANSWER && c->mx.outcome != MX_O_NODATA &&
		       c->mx.outcome != MX_O_NXDOMAIN;
	for (unsigned i = 0; i < c->n_hosts && i < MX_CHAIN_MAX_HOSTS; i++) {
		const struct mx_chain_host *h = &c->hosts[i];
		if (mx_temp && h->implicit && !h->a.asked && !h->aaaa.asked && !h->tlsa.asked)
			continue;
		wrap(out, "        ", 10, mx_sk_host_line(h, c->relay, buf, sizeof buf));
	}
	if (c->hosts_total > c->n_hosts)
		fprintf(out, "        (+%u more exchanges not kept)\n",
			(unsigned)(c->hosts_total - c->n_hosts));
}

static void section_chains(FILE *out, const struct mx_snapshot *s)
{
	struct chain_ix *idx;
	if (s->chain.chains > s->n_chains && s->n_chains_earlier_bad)
		fprintf(out, "\nChains (the last %zu of %" PRIu64 ", and %zu earlier ones that were deferred or "
			"failed)\n", s->n_chains - s->n_chains_earlier_bad, s->chain.chains, s->n_chains_earlier_bad);
	else if (s->chain.chains > s->n_chains)
		fprintf(out, "\nChains (the last %zu of %" PRIu64 ")\n", s->n_chains, s->chain.chains);
	else
		fprintf(out, "\nChains (%zu)\n", s->n_chains);
	if (!s->n_chains) {
		char hint[2 * MX_DNAME_STRLEN + 256];
		fputs("  none: no MX lookup by a sender was followed\n", out);
		if (mx_sk_relay_hint(s, hint, sizeof hint)[0]) {
			hint[0] = (char)(hint[0] - 'a' + 'A');
			wrap(out, "  ", 2, hint);
		}
		return;
	}
	idx = malloc(s->n_chains * sizeof(*idx));
	if (!idx) {
		fputs("  (out of memory)\n", out);
		return;
	}
	for (size_t i = 0; i < s->n_chains; i++)
		idx[i] = (struct chain_ix){ .c = &s->chains[i], .idx = i };
	sort_chains(idx, s->n_chains);
	for (size_t k = 0; k < s->n_chains; k++) {
		const struct mx_chain *c = idx[k].c;
		const struct mx_chain *p = k ? idx[k - 1].c : NULL;
		char ad[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN];
		bool new_sender = !p || !mx_addr_eq(&p->sender, &c->sender);
		if (new_sender)
			fprintf(out, "  sender %s\n", mx_addr_format(&c->sender, ad, sizeof ad));
		if (new_sender || !mx_dname_eq(&p->domain, &c->domain) || p->relay != c->relay)
			fprintf(out, "    %s%s\n", c->relay ? "relay host " : "", mx_sk_name(&c->domain, nm, sizeof nm));
		chain_lines(out, c);
	}
	free(idx);
}

#define MX_TEXT_DOMAINS_ALL 50
static void section_domains(FILE *out, const struct mx_snapshot *s)
{
	struct tbl t;
	fprintf(out, "\nRecipient domains (%zu)\n", s->n_domains);
	if (!s->n_domains) {
		fputs("  none\n", out);
		return;
	}
	/* Past MX_TEXT_DOMAINS_ALL rows, the domains whose every chain resolved
	 * are counted on one line instead: the table keeps the ones with a
	 * problem. */
	bool fold = s->n_domains > MX_TEXT_DOMAINS_ALL;
	uint64_t folded = 0, folded_chains = 0;
	tbl_init(&t, 10, 0xfeu);
	t.wrap = 1u; /* domain */
	tbl_row(&t, "domain", "chains", "resolved", "deferred", "failed", "incomplete", "senders",
		"attempts", "last verdict", "why");
	for (size_t i = 0; i < s->n_domains; i++) {
		const struct mx_domain_row *r = &s->domains[i];
		char nm[MX_DNAME_STRLEN], nr[MX_DNAME_STRLEN + 16], b[7][24];
		if (fold && r->chains && r->resolved == r->chains) {
			folded++;
			folded_chains += r->chains;
			continue;
		}
		snprintf(nr, sizeof nr, "%s%s", mx_sk_name(&r->domain, nm, sizeof nm), r->relay ? " (relay host)" : "");
		tbl_row(&t, nr, u64s(r->chains, b[0], 24),
			u64s(r->resolved, b[1], 24), u64s(r->deferred, b[2], 24),
			u64s(r->failed, b[3], 24), u64s(r->incomplete, b[4], 24),
			capped_s(r->senders, b[5], 24), u64s(r->max_attempt, b[6], 24),
			r->chains ? mx_chain_verdict_name(r->last_verdict) : "-",
			r->last_why ? r->last_why : "-");
	}
	tbl_print(&t, out);
	tbl_fini(&t);
	if (folded)
		fprintf(out,
			"  (and %" PRIu64 " domain%s whose every chain resolved, %" PRIu64 " chain%s in all; "
			"-F json lists every domain)\n",
			folded, folded == 1 ? "" : "s", folded_chains, folded_chains == 1 ? "" : "s");
}

static int text_open(void *st, FILE *out)
{
	(void)st;
	(void)out;
	return 0;
}

static int text_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	(void)st;
	section_findings(out, s);
	section_chains(out, s);
	section_domains(out, s);
	fputc('\n', out);
	section_capture(out, s);
	section_servers(out, "Resolvers", s->resolvers, s->n_resolvers);
	if (s->n_authoritatives)
		section_servers(out, "Authoritative servers", s->authoritatives,
				s->n_authoritatives);
	section_senders(out, s);
	section_failing(out, s);
	return 0;
}

const struct mx_sink_ops mx_sink_text = {
	.name = "text",
	.summary = "aligned plain-text report at the end (default)",
	.state_size = 0,
	.open = text_open,
	.txn = NULL,
	.lookup = NULL,
	.close = text_close,
};
