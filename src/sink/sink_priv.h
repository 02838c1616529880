/* sink_priv.h - JSON writers shared by sink/json.c and sink/ndjson.c (L6,
 * private to src/sink/).
 *
 * The *_members() functions write the members of one JSON object, without
 * the braces, so the JSON document and the NDJSON lines carry exactly the
 * same fields (NDJSON puts a "type" member first). docs/json-schema.md
 * describes every field.
 */
#ifndef MXSNIFF_SINK_PRIV_H
#define MXSNIFF_SINK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/txn.h"

#define MX_JSON_SCHEMA_VERSION 1

/* common.c */
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

#endif
