/* sink.h - report writers sharing one ops table (L6).
 *
 * Every output is a row of struct mx_sink_ops (bmon's output modules are the
 * model): open, then streamed events (transactions, lookups) as they complete,
 * then close with the final snapshot. Sinks read only what they are given;
 * they never include dns.h, decode internals or the model's tables.
 * Output for a file is deterministic: no wall-clock time, no pointers, stable
 * sort orders.
 */
#ifndef MXSNIFF_SINK_H
#define MXSNIFF_SINK_H

#include <stdbool.h>
#include <stdio.h>

#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/txn.h"

struct mx_sink;

struct mx_sink_ops {
	const char *name;     /* "text", "json", "ndjson", "md" */
	const char *summary;  /* one line for --help */
	size_t state_size;    /* zeroed state handed to each call */
	int (*open)(void *st, FILE *out);
	void (*txn)(void *st, FILE *out, const struct mx_txn *t);          /* may be NULL */
	void (*lookup)(void *st, FILE *out, const struct mx_lookup *l);    /* may be NULL */
	int (*close)(void *st, FILE *out, const struct mx_snapshot *s);
	void (*chain)(void *st, FILE *out, const struct mx_chain *c);      /* may be NULL */
	/* a finding as it is made (mx_detect_made_since()); may be NULL */
	void (*finding)(void *st, FILE *out, const struct mx_finding *f);
};

extern const struct mx_sink_ops mx_sink_text;
extern const struct mx_sink_ops mx_sink_json;
extern const struct mx_sink_ops mx_sink_ndjson;
extern const struct mx_sink_ops mx_sink_md;

/* NULL-terminated table of all sinks; mx_sink_find("json"). */
extern const struct mx_sink_ops *const mx_sinks[];
const struct mx_sink_ops *mx_sink_find(const char *name);

/* An opened sink: ops + state + stream. */
struct mx_sink *mx_sink_new(const struct mx_sink_ops *ops, FILE *out);
int mx_sink_open(struct mx_sink *s);
void mx_sink_txn(struct mx_sink *s, const struct mx_txn *t);
void mx_sink_lookup(struct mx_sink *s, const struct mx_lookup *l);
void mx_sink_chain(struct mx_sink *s, const struct mx_chain *c);
void mx_sink_finding(struct mx_sink *s, const struct mx_finding *f);
/* Whether the sink takes findings as they are made (ops->finding). */
bool mx_sink_streams_findings(const struct mx_sink *s);
int mx_sink_close(struct mx_sink *s, const struct mx_snapshot *snap);
void mx_sink_free(struct mx_sink *s);

/* Shared helpers for sinks (sink/common.c). */
/* RFC 3339 UTC with microseconds: "2026-11-24T09:40:01.123456Z". */
char *mx_fmt_time(uint64_t ts_us, char *buf, size_t n);
/* Milliseconds with 3 decimals: "12.345". */
char *mx_fmt_ms(uint64_t us, char *buf, size_t n);
/* Write s as a JSON string (with quotes), escaping as RFC 8259 requires. */
void mx_json_str(FILE *out, const char *s);

#endif
