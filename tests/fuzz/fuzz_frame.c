/* fuzz_frame.c - libFuzzer target: link-layer frames -> the whole pipeline.
 *
 * Input: [selector][bytes]. The low 4 bits of the selector pick the link type
 * (table below). With the selector's high bit clear the bytes are one frame;
 * with it set they are a sequence of [u16 length][frame] records, so queries
 * and their responses can meet in the transaction table. Frames get capture
 * times 1 ms apart. Each input gets a fresh pipeline: decode -> dns -> txn ->
 * lookup -> chain -> detectors -> model, with the JSON and NDJSON sinks
 * streaming; then finish and every output there is. Raw inputs run with tiny
 * table caps, so evictions are exercised and a fresh pipeline per input
 * stays cheap.
 *
 * Besides the sanitizers, the outputs are checked (out_check.h): the JSON
 * document and each NDJSON line must be valid JSON, the text and Markdown
 * reports valid UTF-8 without control characters, and every row of the
 * live view (each view, its list and a detail page, two screen sizes) exactly
 * its width of printable ASCII. Reports and views are also made from
 * snapshots taken during the run (with pending findings and open chains, as
 * the live view and its 'w' key take them). A fault prints the reason and
 * the output around it, then aborts.
 *
 * Capture files: mx_fuzz_pcap gives replay_main.c hooks that run one pipeline
 * per file over its real frames (link type and timestamps from the file).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxsniff/pipeline.h"
#include "mxsniff/ui_view.h"

#include "fuzz.h"
#include "out_check.h"

static const int linktypes[16] = {
	MX_DLT_EN10MB, MX_DLT_RAW, MX_DLT_LINUX_SLL, MX_DLT_LINUX_SLL2,
	MX_DLT_NULL, MX_DLT_LOOP, MX_DLT_RAW_LINKTYPE, MX_DLT_IPV4,
	MX_DLT_IPV6, MX_DLT_RAW_ALT, MX_DLT_PPP_SERIAL, MX_DLT_PPP_ETHER,
	MX_DLT_C_HDLC, MX_DLT_NFLOG, 147 /* a DLT we do not decode */, MX_DLT_EN10MB,
};

struct run {
	struct mx_pipeline *p;
	struct { char *buf; size_t n; FILE *f; struct mx_sink *k; } out[2]; /* json, ndjson */
	uint64_t frames, next_peek;
};

static void fault(const char *what, const char *why, const char *buf, size_t n, size_t at)
{
	size_t from = at > 120 ? at - 120 : 0, to = n - at > 120 ? at + 120 : n;
	fprintf(stderr, "fuzz_frame: %s: %s at byte %zu of %zu:\n", what, why, at, n);
	fwrite(buf + from, 1, to - from, stderr);
	fputs("\n", stderr);
	abort();
}

/* Render snapshot s with a fresh sink of ops into memory and check it. */
static void check_report(const struct mx_sink_ops *ops, const struct mx_snapshot *s)
{
	char *buf = NULL;
	size_t n = 0, at;
	FILE *f = open_memstream(&buf, &n);
	struct mx_sink *k;
	const char *why;
	if (!f)
		abort();
	k = mx_sink_new(ops, f);
	if (!k || mx_sink_open(k) != 0 || mx_sink_close(k, s) != 0)
		abort();
	mx_sink_free(k);
	if (fclose(f) != 0)
		abort();
	if (strcmp(ops->name, "json") == 0)
		why = mx_oc_json(buf, n, &at);
	else if (strcmp(ops->name, "ndjson") == 0)
		why = mx_oc_ndjson(buf, n, &at);
	else
		why = mx_oc_text(buf, n, &at);
	if (why)
		fault(ops->name, why, buf, n, at);
	free(buf);
}

static char printable[0x7f - 0x20 + 1];

/* (strspn() over the printable set: a byte loop here would be instrumented
 * for coverage and cost more than the view itself) */
static void check_frame(const struct mx_ui_frame *fr, enum mx_ui_view v, bool detail)
{
	if (!printable[0])
		for (int c = 0x20; c < 0x7f; c++)
			printable[c - 0x20] = (char)c;
	for (int y = 0; y < fr->height; y++) {
		const char *t = fr->rows[y].text;
		size_t len = strlen(t), x = strspn(t, printable);
		if (x != len)
			fault(mx_ui_view_name(v), detail ? "detail row byte not printable ASCII"
				: "row byte not printable ASCII", t, len, x);
		if (len != (size_t)fr->width)
			fault(mx_ui_view_name(v), "row is not the frame's width", t, len, len);
	}
}

/* Every view of the live view, its list and the detail page of the first
 * and the last row; at the end also on a tiny screen. */
static void check_views(const struct mx_snapshot *s, bool ended)
{
	static const int sizes[2][2] = { { 132, 40 }, { 24, 6 } };
	for (int z = 0; z < (ended ? 2 : 1); z++) {
		struct mx_ui_frame fr;
		struct mx_ui_state st;
		if (mx_ui_frame_init(&fr, sizes[z][0], sizes[z][1]) != 0)
			abort();
		mx_ui_state_init(&st);
		st.ended = ended;
		for (int v = 0; v < MX_UI__VIEWS; v++) {
			st.view = (enum mx_ui_view)v;
			st.detail = false;
			if (mx_ui_build(&fr, s, &st) != 0)
				abort();
			check_frame(&fr, st.view, false);
			for (int k = 0; k < 2; k++) {
				if (st.count == 0)
					break;
				if (k == 1) {
					st.detail = false;
					mx_ui_key(&st, MX_KEY_END);
				}
				mx_ui_key(&st, MX_KEY_ENTER);
				if (mx_ui_build(&fr, s, &st) != 0)
					abort();
				check_frame(&fr, st.view, true);
				mx_ui_key(&st, MX_KEY_END); /* the detail page's end */
				if (mx_ui_build(&fr, s, &st) != 0)
					abort();
				check_frame(&fr, st.view, true);
			}
		}
		mx_ui_frame_fini(&fr);
	}
}

/* What the live view shows and what 'w' writes, mid-run. */
static void peek(struct run *r)
{
	struct mx_snapshot s;
	if (mx_pipeline_snapshot(r->p, &s) != 0)
		abort();
	check_views(&s, false);
	check_report(&mx_sink_text, &s);
	check_report(&mx_sink_md, &s);
	mx_snapshot_fini(&s);
}

static void *pipeline_begin(bool small)
{
	struct mx_pipeline_opts o;
	struct run *r = calloc(1, sizeof *r);
	if (!r)
		abort();
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
		/* relay chains too (--relayhost): names the captures and the
		 * corpus ask A/AAAA of, with and without an MX chain */
		static const char *const relays[] = { "mx.broken-aaaa.test", "relay.nonexistent.test",
						      "mx6.broken-aaaa.test", "example.com", "mx1.example.com" };
		for (size_t i = 0; i < sizeof relays / sizeof relays[0]; i++)
			if (mx_dname_from_text(relays[i], &o.chain.relays[o.chain.n_relays]) == 0) {
				/* one on a submission port ([HOST]:587) */
				o.chain.relay_ports[o.chain.n_relays] = i == 1 ? 587 : 25;
				o.chain.n_relays++;
			}
		o.decode.smtp_ports[0] = 587;
		o.decode.n_smtp_ports = 1;
	}
	r->p = mx_pipeline_new(&o);
	if (!r->p)
		abort();
	mx_pipeline_set_source(r->p, "fuzz", "", false);
	mx_pipeline_set_pending(r->p, true);
	mx_pipeline_set_open_chains(r->p, true);
	for (int i = 0; i < 2; i++) {
		r->out[i].f = open_memstream(&r->out[i].buf, &r->out[i].n);
		if (!r->out[i].f)
			abort();
		r->out[i].k = mx_sink_new(i == 0 ? &mx_sink_json : &mx_sink_ndjson, r->out[i].f);
		if (!r->out[i].k || mx_sink_open(r->out[i].k) != 0 ||
		    mx_pipeline_add_sink(r->p, r->out[i].k) != 0)
			abort();
	}
	r->next_peek = 1;
	return r;
}

/* capture files: the defaults the program uses */
static void *run_begin(void)
{
	return pipeline_begin(false);
}

/* Views and reports mid-run after frames 1, 2, 4, 8 ... (a few per input). */
static void run_frame(void *st, const struct mx_frame *f)
{
	struct run *r = st;
	mx_pipeline_frame(r->p, f);
	if (++r->frames == r->next_peek) {
		r->next_peek *= 2;
		peek(r);
	}
}

static void run_end(void *st, uint64_t end_us)
{
	struct run *r = st;
	struct mx_snapshot s;
	mx_pipeline_finish(r->p, end_us);
	if (mx_pipeline_snapshot(r->p, &s) != 0)
		abort();
	for (int i = 0; i < 2; i++) {
		const char *why;
		size_t at;
		if (mx_sink_close(r->out[i].k, &s) != 0 || fclose(r->out[i].f) != 0)
			abort();
		mx_sink_free(r->out[i].k);
		why = i == 0 ? mx_oc_json(r->out[i].buf, r->out[i].n, &at)
			     : mx_oc_ndjson(r->out[i].buf, r->out[i].n, &at);
		if (why)
			fault(i == 0 ? "json" : "ndjson", why, r->out[i].buf, r->out[i].n, at);
		free(r->out[i].buf);
	}
	check_report(&mx_sink_text, &s);
	check_report(&mx_sink_md, &s);
	check_views(&s, true);
	mx_snapshot_fini(&s);
	mx_pipeline_free(r->p);
	free(r);
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
