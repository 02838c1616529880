/* sink_priv.h - helpers shared by the report writers (L6, private to
 * src/sink/).
 *
 * JSON: the *_members() functions write the members of one JSON object,
 * without the braces, so the JSON document and the NDJSON lines carry exactly
 * the same fields (NDJSON puts a "type" member first). docs/json-schema.md
 * describes every field.
 *
 * Prose (text.c and md.c): names without the trailing dot, the short
 * "answer / rcode" cell of an evidence row, the one-line summary of a chain's
 * MX step and of each exchange, sentence helpers. They write into caller
 * buffers and never allocate.
 */
#ifndef MXSNIFF_SINK_PRIV_H
#define MXSNIFF_SINK_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/txn.h"

#define MX_JSON_SCHEMA_VERSION 1

/* common.c: the JSON writers' output buffer. The JSON and NDJSON sinks
 * format into it and hand it to the stream in large blocks (mx_jw_flush), so
 * a value costs a few stores instead of one stdio call per character. It
 * also keeps the last RFC 3339 "YYYY-MM-DDTHH:MM:SS." prefixes (one of an
 * even second, one of an odd one) and the last "YYYY-MM-DDT" date, so a time
 * stamp in a second seen just before costs only its six fraction digits and
 * one in the same day its time of day, and the last few mnemonics (type,
 * class, rcode, outcome, chain verdict, transaction kind) as written
 * (quoted). Numbers, times and addresses are formatted here, not by printf
 * or inet_ntop. The bytes written are exactly those the stdio calls would
 * have written. */
#define MX_JW_CAP 32768

struct mx_jw {
	FILE *out;
	size_t len;                /* bytes in buf not yet handed to out */
	struct mx_jw_tpre {        /* time prefixes, by the second's parity */
		uint64_t sec;      /* seconds of the cached prefix */
		bool valid;        /* pre/len hold the prefix of sec */
		uint8_t len;
		char pre[38];
	} t[2];
	uint64_t d_day;            /* days since the epoch of d_pre */
	bool d_valid;
	uint8_t d_len;
	char d_pre[30];            /* "YYYY-MM-DDT" of d_day */
	struct {                   /* recent type, class, rcode, outcome, chain
				    * verdict and transaction kind mnemonics */
		char text[45];     /* the JSON string, quotes included (first:
				    * the slot is copied whole) */
		uint8_t len;       /* 0: empty slot */
		uint16_t code;
	} mn[6][16];
	char buf[MX_JW_CAP];
};

void mx_jw_init(struct mx_jw *w, FILE *out);
/* Hand the buffered bytes to the stream (fwrite; no fflush). */
void mx_jw_flush(struct mx_jw *w);
/* Slow path of mx_jw_put: flush, then copy or write through. */
void mx_jw_put_slow(struct mx_jw *w, const char *s, size_t n);

#define MX_JW_INLINE static inline __attribute__((always_inline))

MX_JW_INLINE void mx_jw_put(struct mx_jw *w, const char *s, size_t n)
{
	if (n <= MX_JW_CAP - w->len) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	} else {
		mx_jw_put_slow(w, s, n);
	}
}

MX_JW_INLINE void mx_jw_c(struct mx_jw *w, char c)
{
	if (w->len == MX_JW_CAP)
		mx_jw_flush(w);
	w->buf[w->len++] = c;
}

MX_JW_INLINE void mx_jw_s(struct mx_jw *w, const char *s)
{
	mx_jw_put(w, s, strlen(s));
}

/* Cursor writing, for values of bounded length: mx_jw_room(w, n) makes n
 * bytes free (n <= MX_JW_CAP, flushing when fewer are) and returns where the
 * next byte goes; the caller stores at most n bytes from there and hands the
 * new end back with mx_jw_end(). The mx_jc_* writers store one value at a
 * cursor and return the new end; MX_JC_*_MAX is the most each stores. */
MX_JW_INLINE char *mx_jw_room(struct mx_jw *w, size_t n)
{
	if (MX_JW_CAP - w->len < n)
		mx_jw_flush(w);
	return w->buf + w->len;
}

MX_JW_INLINE void mx_jw_end(struct mx_jw *w, char *end)
{
	w->len = (size_t)(end - w->buf);
}

extern const char mx_jw_digits2[201]; /* "00" "01" ... "99" */

#define MX_JC_U64_MAX 20
char *mx_jc_u64_big(char *d, uint64_t v); /* v >= 100 */

/* v in decimal, as printf's %llu */
MX_JW_INLINE char *mx_jc_u64(char *d, uint64_t v)
{
	if (v < 10) {
		*d = (char)('0' + v);
		return d + 1;
	}
	if (v < 100) {
		memcpy(d, mx_jw_digits2 + 2 * v, 2);
		return d + 2;
	}
	return mx_jc_u64_big(d, v);
}

#define MX_JC_TIME_MAX 48
/* mx_sj_time at a cursor (uses and updates w's time prefix, never flushes) */
char *mx_jc_time(struct mx_jw *w, char *d, uint64_t ts_us);
#define MX_JC_MS_MAX 26
/* mx_sj_ms at a cursor */
char *mx_jc_ms(char *d, uint64_t us);
#define MX_JC_ADDR_MAX 48
/* mx_sj_addr at a cursor: the quoted text mx_addr_format gives */
char *mx_jc_addr(char *d, const struct mx_addr *a);

/* Decimal digits of v into buf (at least 20 bytes, not terminated);
 * returns the length. Same digits as printf's %llu. */
size_t mx_jw_fmt_u64(char *buf, uint64_t v);
MX_JW_INLINE void mx_jw_u64(struct mx_jw *w, uint64_t v)
{
	mx_jw_end(w, mx_jc_u64(mx_jw_room(w, MX_JC_U64_MAX), v));
}
/* v, a '.', then frac zero-padded to `digits` digits ("12.034"). */
void mx_jw_fixed(struct mx_jw *w, uint64_t v, unsigned frac, unsigned digits);
/* s as a JSON string like mx_json_str; null for NULL. */
void mx_jw_str(struct mx_jw *w, const char *s);
/* An object member's name: ',' unless *first (which is then cleared), the
 * name as a JSON string, ':'. */
void mx_jw_key(struct mx_jw *w, bool *first, const char *k);

/* common.c: JSON values */
void mx_sj_addr(struct mx_jw *out, const struct mx_addr *a);  /* "192.0.2.1" */
void mx_sj_name(struct mx_jw *out, const struct mx_dname *d); /* "mx1.example.com." */
void mx_sj_time(struct mx_jw *out, uint64_t ts_us);           /* RFC 3339 string; null for 0 */
void mx_sj_ms(struct mx_jw *out, uint64_t us);                /* 12.345 */
void mx_sj_bool(struct mx_jw *out, bool b);
/* mx_dns_type_name / mx_dns_class_name / mx_dns_rcode_name as JSON strings */
void mx_sj_type(struct mx_jw *out, uint16_t type);
void mx_sj_class(struct mx_jw *out, uint16_t cls);
void mx_sj_rcode(struct mx_jw *out, uint16_t rcode);
/* mx_outcome_name / mx_chain_verdict_name / mx_txn_kind_name as JSON
 * strings */
void mx_sj_outcome(struct mx_jw *out, enum mx_outcome o);
void mx_sj_verdict(struct mx_jw *out, enum mx_chain_verdict v);
void mx_sj_txn_kind(struct mx_jw *out, enum mx_txn_kind k);

/* A report rendered from a snapshot alone (the live view's "w" key and its
 * report after "q") receives no lookups, transactions or chains as they
 * close: the model keeps tables, findings and the most recent chains, not
 * every lookup. The JSON document and the NDJSON stats line then carry
 * "lookups_omitted" (and NDJSON "transactions_omitted") with this note. Never
 * written when the lookups were streamed, so normal reports are unchanged. */
#define MX_SJ_SNAPSHOT_NOTE                                                                     \
	"written from a snapshot (the live view): a snapshot keeps the tables, findings and the " \
	"most recent chains, not the individual lookups and transactions, which are streamed "    \
	"only to a report open from the start; run without --ui (-F json or ndjson -o FILE) for " \
	"every lookup"

/* json.c */
void mx_sj_lookup_members(struct mx_jw *out, const struct mx_lookup *l);
void mx_sj_txn_members(struct mx_jw *out, const struct mx_txn *t);
void mx_sj_source_members(struct mx_jw *out, const struct mx_snapshot *s);
void mx_sj_stats_members(struct mx_jw *out, const struct mx_snapshot *s);
void mx_sj_server_members(struct mx_jw *out, const struct mx_server_row *r);
void mx_sj_sender_members(struct mx_jw *out, const struct mx_sender_row *r);
void mx_sj_failing_members(struct mx_jw *out, const struct mx_name_row *r);
void mx_sj_finding_members(struct mx_jw *out, const struct mx_finding *f);
void mx_sj_chain_members(struct mx_jw *out, const struct mx_chain *c);
void mx_sj_domain_members(struct mx_jw *out, const struct mx_domain_row *r);

/* common.c: prose */
#define MX_SK_WIDTH 100  /* text is wrapped to this many columns */

/* Name without the trailing dot ("." for the root, "-" when there is none). */
const char *mx_sk_name(const struct mx_dname *d, char *buf, size_t n);
/* "MX_NXDOMAIN 9800, SLOW_CHAIN 12, others 3": the patterns that lost
 * findings (s->findings_evicted_by), "" when none is known. */
const char *mx_sk_evicted_by(const struct mx_snapshot *s, char *buf, size_t n);
/* Printable copy of a free-form string: control bytes, DEL, backslash and
 * bytes >= 0x80 become \xHH. */
const char *mx_sk_safe(const char *in, char *buf, size_t n);
/* Lookups still waiting at the end: counted under TIMEOUT in by_outcome
 * (so it sums to lookups), shown apart as "pending" by text and md. */
uint64_t mx_sk_lookups_pending(const struct mx_snapshot *s);
/* The -w file's ending: "; write error: ... (saving stopped)", "; stopped
 * at frame N by --write-limit (...)", or "". */
const char *mx_sk_save_tail(const struct mx_snapshot *s, char *buf, size_t n);
/* "INFO", "WARN", "ERROR", "CRIT". */
const char *mx_sk_sev_upper(enum mx_sev s);
/* A finding's SMTP status without a leading "most likely:"; NULL stays NULL. */
const char *mx_sk_status(const char *smtp);
/* "AAAA mx1.example.test" */
const char *mx_sk_question(uint16_t qtype, const struct mx_dname *qname, char *buf, size_t n);
/* The "answer / rcode" cell of an evidence row: "(query)", "(query, no
 * response)", "NOERROR 192.0.2.1", "SERVFAIL, EDE 22 No Reachable Authority". */
const char *mx_sk_evidence_answer(const struct mx_evidence *e, char *buf, size_t n);
/* "MX ok: 2 exchanges via 198.51.100.53 (frames 1, 2)", "MX NXDOMAIN ...". */
const char *mx_sk_mx_line(const struct mx_chain *c, char *buf, size_t n);
/* Without any chain, when a sender asked A/AAAA but never MX and an A/AAAA
 * name failed: a sentence (no final period) suggesting --relayhost for
 * the first such name; "" otherwise. */
const char *mx_sk_relay_hint(const struct mx_snapshot *s, char *buf, size_t n);
/* "mx1.example.test (10): AAAA SERVFAIL x3 -> A never asked"; relay: the
 * host of a relay chain ("(relay host)", not "(implicit MX)"). */
const char *mx_sk_host_line(const struct mx_chain_host *h, bool relay, char *buf, size_t n);
/* Iterate the lines of a "\n"-separated text: returns the next non-empty
 * line's length and start (*p advances), 0 at the end. */
size_t mx_sk_next_line(const char **p, const char **line);
/* Copy of a detector's sentence with the first letter upper-cased (unless
 * the first word is a DNS name: it has a backslash, or a dot before its
 * last character) and a final period added when missing ("" for NULL). */
const char *mx_sk_sentence(const char *in, char *buf, size_t n);
/* The first sentence of a text (up to ". " before an upper-case letter). */
const char *mx_sk_first_sentence(const char *in, char *buf, size_t n);
/* Who and what a finding is about: "sender 192.0.2.10 -> domain
 * example.test, host mx1.example.test, AAAA" ("" when nothing). */
const char *mx_sk_subject(const struct mx_finding *f, char *buf, size_t n);
/* Findings a human report (text, md) shows in full: the first
 * mx_sk_full_per_pattern(s) of each pattern, in snapshot order; the others
 * get one line each after them (every field stays in the JSON outputs).
 * Fills rest[] (s->n_findings entries) with the indexes of the others,
 * grouped by pattern in order of the pattern's first finding, then in
 * snapshot order, and returns how many; full[i] (may be NULL) tells finding
 * i is shown in full. Returns SIZE_MAX when out of memory (then everything
 * is in full). */
size_t mx_sk_full_per_pattern(const struct mx_snapshot *s);
size_t mx_sk_findings_split(const struct mx_snapshot *s, bool *full, size_t *rest);
/* The one line of a finding not shown in full: "sender 192.0.2.10 ->
 * domain example.test; 3 occurrences from 2026-...Z; frames 7, 9, 12" (up
 * to 4 frames, "..." after them when there are more). */
const char *mx_sk_finding_line(const struct mx_finding *f, char *buf, size_t n);
/* A finding's first frames, at most 4: "7, 9, 12, ..." ("" when none). */
const char *mx_sk_frames_short(const struct mx_finding *f, char *buf, size_t n);

/* Why a capture with packets but no DNS message shows nothing, and where
 * the DNS traffic may be instead (one sentence, for the text and Markdown
 * reports). */
#define MX_SK_NO_DNS_WHY_1 \
	"DNS on another port needs --dns-port; a mail host's local resolver (127.0.0.1, 127.0.0.53)"
#define MX_SK_NO_DNS_WHY_2 \
	"is seen only on the loopback interface (-i lo or -i any); DNS over TLS or HTTPS is encrypted"
#define MX_SK_NO_DNS_WHY MX_SK_NO_DNS_WHY_1 " " MX_SK_NO_DNS_WHY_2
/* Seconds with one decimal from microseconds: "300.0". */
const char *mx_sk_secs(uint64_t us, char *buf, size_t n);

#endif
