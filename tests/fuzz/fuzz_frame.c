/* fuzz_frame.c - libFuzzer target: link-layer frames -> the whole pipeline.
 *
 * Input: [selector][bytes]. The low 4 bits of the selector pick the link type
 * (table below). With the selector's high bit clear the bytes are one frame;
 * with it set they are a sequence of [u16 length][frame] records, so queries
 * and their responses can meet in the transaction table. Frames get capture
 * times 1 ms apart. Each input gets a fresh pipeline: decode -> dns -> txn ->
 * lookup -> model; then finish and a snapshot. Sanitizers do the checking.
 * Raw inputs run with tiny table caps, so evictions are exercised and a
 * fresh pipeline per input stays cheap.
 *
 * Capture files: mx_fuzz_pcap gives replay_main.c hooks that run one pipeline
 * per file over its real frames (link type and timestamps from the file).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mxsniff/pipeline.h"

#include "fuzz.h"

static const int linktypes[16] = {
	MX_DLT_EN10MB, MX_DLT_RAW, MX_DLT_LINUX_SLL, MX_DLT_LINUX_SLL2,
	MX_DLT_NULL, MX_DLT_LOOP, MX_DLT_RAW_LINKTYPE, MX_DLT_IPV4,
	MX_DLT_IPV6, MX_DLT_RAW_ALT, MX_DLT_PPP_SERIAL, MX_DLT_PPP_ETHER,
	MX_DLT_C_HDLC, MX_DLT_NFLOG, 147 /* a DLT we do not decode */, MX_DLT_EN10MB,
};

static void *pipeline_begin(bool small)
{
	struct mx_pipeline_opts o;
	mx_pipeline_opts_default(&o);
	if (small) {
		o.decode.frag_max = 4;
		o.decode.tcp_max_flows = 4;
		o.decode.tcp_max_flow_bytes = 4096;
		o.txn.max_pending = 8;
		o.txn.max_recent = 8;
		o.lookup.max_open = 8;
		o.model.max_servers = 8;
		o.model.max_senders = 8;
		o.model.max_names = 8;
		o.model.recent = 8;
		o.model.recent_chains = 8;
		o.model.max_domains = 8;
	}
	struct mx_pipeline *p = mx_pipeline_new(&o);
	if (!p)
		abort();
	return p;
}

/* capture files: the defaults the program uses */
static void *run_begin(void)
{
	return pipeline_begin(false);
}

static void run_frame(void *st, const struct mx_frame *f)
{
	mx_pipeline_frame(st, f);
}

static void run_end(void *st, uint64_t end_us)
{
	struct mx_pipeline *p = st;
	struct mx_snapshot s;
	mx_pipeline_finish(p, end_us);
	if (mx_pipeline_snapshot(p, &s) == 0)
		mx_snapshot_fini(&s);
	mx_pipeline_free(p);
}

static const struct mx_fuzz_pcap_hooks hooks = { run_begin, run_frame, run_end };
const struct mx_fuzz_pcap_hooks *const mx_fuzz_pcap = &hooks;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	struct mx_frame f;
	void *p = pipeline_begin(true);
	uint64_t ts = 1700000000000000ull;

	memset(&f, 0, sizeof f);
	f.linktype = linktypes[sel & 0x0F];
	data++, size--;
	if (!(sel & 0x80)) {
		f.ts_us = ts;
		f.frame = 1;
		f.caplen = (uint32_t)size;
		f.len = (uint32_t)size;
		f.data = data;
		run_frame(p, &f);
	} else {
		uint64_t n = 0;
		while (size >= 2) {
			size_t l = (size_t)data[0] << 8 | data[1];
			data += 2, size -= 2;
			if (l > size)
				l = size;
			f.ts_us = ts + n * 1000;
			f.frame = ++n;
			f.caplen = (uint32_t)l;
			/* bit 6: pretend the wire had more (a snaplen cut) */
			f.len = (uint32_t)l + ((sel & 0x40) ? 100u : 0u);
			f.data = data;
			run_frame(p, &f);
			data += l, size -= l;
		}
		ts += n * 1000;
	}
	run_end(p, ts + 10000000ull); /* 10 s later: timeouts fire */
	return 0;
}
