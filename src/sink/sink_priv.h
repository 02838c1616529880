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

#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/txn.h"

#define MX_JSON_SCHEMA_VERSION 1

/* common.c: JSON values */
void mx_sj_addr(FILE *out, const struct mx_addr *a);  /* "192.0.2.1" */
void mx_sj_name(FILE *out, const struct mx_dname *d); /* "mx1.example.com." */
void mx_sj_time(FILE *out, uint64_t ts_us);           /* RFC 3339 string; null for 0 */
void mx_sj_ms(FILE *out, uint64_t us);                /* 12.345 */
void mx_sj_bool(FILE *out, bool b);

/* json.c */
void mx_sj_lookup_members(FILE *out, const struct mx_lookup *l);
void mx_sj_txn_members(FILE *out, const struct mx_txn *t);
void mx_sj_source_members(FILE *out, const struct mx_snapshot *s);
void mx_sj_stats_members(FILE *out, const struct mx_snapshot *s);
void mx_sj_server_members(FILE *out, const struct mx_server_row *r);
void mx_sj_sender_members(FILE *out, const struct mx_sender_row *r);
void mx_sj_failing_members(FILE *out, const struct mx_name_row *r);
void mx_sj_finding_members(FILE *out, const struct mx_finding *f);
void mx_sj_chain_members(FILE *out, const struct mx_chain *c);
void mx_sj_domain_members(FILE *out, const struct mx_domain_row *r);

/* common.c: prose */
#define MX_SK_WIDTH 100  /* text is wrapped to this many columns */

/* Name without the trailing dot ("." for the root, "-" when there is none). */
const char *mx_sk_name(const struct mx_dname *d, char *buf, size_t n);
/* Printable copy of a free-form string: control bytes, DEL, backslash and
 * bytes >= 0x80 become \xHH. */
const char *mx_sk_safe(const char *in, char *buf, size_t n);
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
/* "mx1.example.test (10): AAAA SERVFAIL x3 -> A never asked" */
const char *mx_sk_host_line(const struct mx_chain_host *h, char *buf, size_t n);
/* Iterate the lines of a "\n"-separated text: returns the next non-empty
 * line's length and start (*p advances), 0 at the end. */
size_t mx_sk_next_line(const char **p, const char **line);
/* Copy of a detector's sentence with the first letter upper-cased and a
 * final period added when missing ("" for NULL). */
const char *mx_sk_sentence(const char *in, char *buf, size_t n);
/* The first sentence of a text (up to ". " before an upper-case letter). */
const char *mx_sk_first_sentence(const char *in, char *buf, size_t n);
/* Who and what a finding is about: "sender 192.0.2.10 -> domain
 * example.test, host mx1.example.test, AAAA" ("" when nothing). */
const char *mx_sk_subject(const struct mx_finding *f, char *buf, size_t n);
/* Seconds with one decimal from microseconds: "300.0". */
const char *mx_sk_secs(uint64_t us, char *buf, size_t n);

#endif
