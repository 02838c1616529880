/* pipeline.h - wires decode -> dns -> txn -> lookup -> model -> sinks (L7).
 *
 * One pipeline per run: frames go in, events flow down, sinks receive
 * transactions, lookups and chains as they complete and the final snapshot
 * (with the detectors' findings) at the end. Single-threaded and push-based; time is capture time (live mode calls
 * mx_pipeline_tick() with the wall clock when idle).
 */
#ifndef MXSNIFF_PIPELINE_H
#define MXSNIFF_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mxsniff/capture.h"
#include "mxsniff/chain.h"
#include "mxsniff/decode.h"
#include "mxsniff/detect.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"

struct mx_pipeline_opts {
	struct mx_decode_opts decode;
	struct mx_txn_opts txn;
	struct mx_lookup_opts lookup;
	struct mx_model_opts model;
	struct mx_chain_opts chain;
	struct mx_detect_opts detect;
};

void mx_pipeline_opts_default(struct mx_pipeline_opts *o);

struct mx_pipeline;

struct mx_pipeline *mx_pipeline_new(const struct mx_pipeline_opts *o);
void mx_pipeline_free(struct mx_pipeline *p);
/* Sinks receive streamed events; up to 4, not owned. */
int mx_pipeline_add_sink(struct mx_pipeline *p, struct mx_sink *s);
void mx_pipeline_set_source(struct mx_pipeline *p, const char *source, const char *filter, bool live);
void mx_pipeline_frame(struct mx_pipeline *p, const struct mx_frame *f);
void mx_pipeline_tick(struct mx_pipeline *p, uint64_t now_us);
/* End of input at capture time end_us (last frame's time): flush everything. */
void mx_pipeline_finish(struct mx_pipeline *p, uint64_t end_us);
void mx_pipeline_set_capture_stats(struct mx_pipeline *p, const struct mx_capture_stats *c);
/* Snapshots also carry the pending findings (mx_detect_pending()): for
 * the live view, which shows what is held back before it is made. Off by
 * default: reports show made findings only. */
void mx_pipeline_set_pending(struct mx_pipeline *p, bool on);
/* Whether snapshots carry the chains open at the time (open_chains; off by
 * default: only the live view shows them). Costs only at a snapshot. */
void mx_pipeline_set_open_chains(struct mx_pipeline *p, bool on);
/* Snapshot of the model with current lower-layer stats. */
int mx_pipeline_snapshot(struct mx_pipeline *p, struct mx_snapshot *s);
/* Direct DNS feed (tests, fuzzing): as if decode produced this message. */
void mx_pipeline_dns(struct mx_pipeline *p, const struct mx_pkt *pk);

#endif
