/* main.c - the mxsniff program: options, input, privileges, the loop (L7).
 *
 * Parses the command line (getopt_long; numbers are checked strictly), opens
 * the input (files with -r, read in order as one capture, or an interface
 * with -i), refuses link types the decoder cannot handle, opens the output,
 * drops root (live: always when root, to -Z USER or "nobody"; files: only
 * with -Z), then feeds every frame to the pipeline and writes the report
 * with the chosen sink when the input ends, -c frames were read, or SIGINT
 * or SIGTERM arrive.
 *
 * Live captures use a BPF filter by default (DNS on the --dns-port ports,
 * IP fragments, ICMP/ICMPv6 unreachables, SYNs to port 25) so the kernel
 * drops the rest; files are read unfiltered unless an expression is given,
 * so their verdict counts cover every frame and VLAN-tagged frames (which a
 * plain `udp port 53` filter misses) are decoded too.
 *
 * main.c is the only place that decides what is fatal: a bad option, an
 * unreadable or non-pcap file, an unsupported link type, a failed privilege
 * drop or an unwritable output exit with status 2 and one line on stderr. A
 * file cut off inside a record is a warning: the report covers the frames
 * before it and says so. Exit status 1 means --fail-on found a finding at or
 * above the given severity.
 *
 * What it does not do: analysis (pipeline.c and below) or formatting (sinks).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mxsniff/capture.h"
#include "mxsniff/decode.h"
#include "mxsniff/detect.h"
#include "mxsniff/err.h"
#include "mxsniff/model.h"
#include "mxsniff/pipeline.h"
#include "mxsniff/priv.h"
#include "mxsniff/sink.h"

#ifndef MXSNIFF_VERSION
#define MXSNIFF_VERSION "unknown"
#endif

#define EXIT_ERR 2
#define MAX_FILES 4096
#define MAX_TABLE 4194304u          /* --max-pending, --max-lookups */
#define POLL_MS 250
#define DRAIN_MAX 4096              /* frames per poll round before ticking */

enum {
	OPT_DNS_PORT = 256,
	OPT_ANSWER_TIMEOUT,
	OPT_RETX_GAP,
	OPT_MAX_PENDING,
	OPT_MAX_LOOKUPS,
	OPT_TOP,
	OPT_LIST_DETECTORS,
	OPT_DETECTORS,
	OPT_NO_DETECTORS,
	OPT_SENDER,
	OPT_PUBLIC_RESOLVERS,
	OPT_DNSBL_ZONES,
	OPT_CHAIN_WINDOW,
	OPT_FALLBACK_WINDOW,
	OPT_MIN_RETRY_GAP,
	OPT_STATS_WINDOW,
	OPT_DISAGREE_WINDOW,
	OPT_THRESHOLD,
	OPT_FAIL_ON,
};

struct opts {
	const char **files;
	size_t nfiles;
	const char *iface;
	int snaplen, buffer_kib;
	bool promisc;
	uint64_t count;              /* 0 = no limit */
	bool list;
	const char *user;
	const struct mx_sink_ops *sink;
	const char *output;
	bool quiet;
	char *expr;                  /* trailing arguments joined, or NULL */
	struct mx_pipeline_opts po;
	bool list_detectors;
	int fail_on;                 /* -1 = off, else enum mx_sev */
	bool detectors_set;          /* --detectors given: start from none */
	uint64_t det_on, det_off;
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static const struct option g_long[] = {
	{"no-ui", no_argument, NULL, 'n'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"dns-port", required_argument, NULL, OPT_DNS_PORT},
	{"answer-timeout", required_argument, NULL, OPT_ANSWER_TIMEOUT},
	{"retx-gap", required_argument, NULL, OPT_RETX_GAP},
	{"max-pending", required_argument, NULL, OPT_MAX_PENDING},
	{"max-lookups", required_argument, NULL, OPT_MAX_LOOKUPS},
	{"top", required_argument, NULL, OPT_TOP},
	{"list-detectors", no_argument, NULL, OPT_LIST_DETECTORS},
	{"detectors", required_argument, NULL, OPT_DETECTORS},
	{"no-detectors", required_argument, NULL, OPT_NO_DETECTORS},
	{"sender", required_argument, NULL, OPT_SENDER},
	{"public-resolvers", required_argument, NULL, OPT_PUBLIC_RESOLVERS},
	{"dnsbl-zones", required_argument, NULL, OPT_DNSBL_ZONES},
	{"chain-window", required_argument, NULL, OPT_CHAIN_WINDOW},
	{"fallback-window", required_argument, NULL, OPT_FALLBACK_WINDOW},
	{"min-retry-gap", required_argument, NULL, OPT_MIN_RETRY_GAP},
	{"stats-window", required_argument, NULL, OPT_STATS_WINDOW},
	{"disagree-window", required_argument, NULL, OPT_DISAGREE_WINDOW},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{NULL, 0, NULL, 0},
};

static void usage_lines(FILE *out)
{
	fputs("Usage: mxsniff [options] -r FILE [-r FILE ...] [EXPRESSION]\n"
	      "       mxsniff [options] -i INTERFACE [EXPRESSION]\n"
	      "       mxsniff -D\n", out);
}

static void short_usage(void)
{
	usage_lines(stderr);
	fputs("Try 'mxsniff --help' for more information.\n", stderr);
}

/* "text, json or ndjson" from the sink table. */
static void sink_names(FILE *out)
{
	size_t n = 0, i;

	while (mx_sinks[n] != NULL)
		n++;
	for (i = 0; i < n; i++)
		fprintf(out, "%s%s", i == 0 ? "" : (i + 1 == n ? " or " : ", "), mx_sinks[i]->name);
}

/* Named thresholds for --threshold NAME=VALUE (PATTERNS.md §3 defaults). */
struct threshold {
	const char *name;
	const char *what;
	size_t off;                  /* offset in struct mx_detect_opts */
	bool is_ms;                  /* uint64_t microseconds given in ms; else unsigned */
};

static const struct threshold g_thresholds[] = {
	{"loop-attempts", "attempts of one domain before a failure is a loop (CRIT)",
	 offsetof(struct mx_detect_opts, loop_min_attempts), false},
	{"min-samples", "answers needed before latency percentiles are judged",
	 offsetof(struct mx_detect_opts, min_samples), false},
	{"slow-p50-ms", "p50 latency at or above which a resolver is slow (WARN)",
	 offsetof(struct mx_detect_opts, slow_warn_p50_us), true},
	{"slow-p95-ms", "p95 latency at or above which a resolver is slow (WARN)",
	 offsetof(struct mx_detect_opts, slow_warn_p95_us), true},
	{"slow-error-p95-ms", "p95 latency at or above which a resolver is slow (ERROR)",
	 offsetof(struct mx_detect_opts, slow_error_p95_us), true},
	{"slow-obvious", "slow answers that make a slow resolver even below min-samples",
	 offsetof(struct mx_detect_opts, slow_min_obvious), false},
	{"timeout-warn-pct", "unanswered share (%) for a WARN",
	 offsetof(struct mx_detect_opts, timeout_warn_pct), false},
	{"timeout-warn-min", "unanswered queries needed for a WARN",
	 offsetof(struct mx_detect_opts, timeout_warn_min), false},
	{"timeout-error-pct", "unanswered share (%) for an ERROR",
	 offsetof(struct mx_detect_opts, timeout_error_pct), false},
	{"dead-min-queries", "unanswered queries (and no answer) that make a dead resolver",
	 offsetof(struct mx_detect_opts, dead_min_queries), false},
};

static uint64_t threshold_value(const struct mx_detect_opts *d, const struct threshold *t)
{
	const char *base = (const char *)d + t->off;
	uint64_t v64;
	unsigned v;

	if (t->is_ms) {
		memcpy(&v64, base, sizeof(v64));
		return v64 / 1000u;
	}
	memcpy(&v, base, sizeof(v));
	return v;
}

static void list_detectors(FILE *out)
{
	for (size_t i = 0; mx_detectors[i] != NULL; i++)
		fprintf(out, "%-4s %-24s %s\n     emits: %s\n", mx_detectors[i]->pattern, mx_detectors[i]->id,
			mx_detectors[i]->summary, mx_detectors[i]->emits);
}

static void help(void)
{
	struct mx_pipeline_opts d;
	FILE *o = stdout;

	mx_pipeline_opts_default(&d);
	usage_lines(o);
	fputs("\nWatch DNS traffic and explain why mail is not delivered: reads capture\n"
	      "files or an interface, matches queries to responses, groups them into\n"
	      "lookups and prints a report.\n"
	      "\nInput:\n"
	      "  -r FILE                 read a pcap or pcapng file ('-' = standard input);\n"
	      "                          repeat to read several files in order as one capture\n"
	      "  -i INTERFACE            capture live on INTERFACE ('any' = all of them)\n"
	      "  -D                      list the interfaces that can be captured on and exit\n"
	      "  -s SNAPLEN              live: bytes kept of each packet (default 262144)\n"
	      "  -B KIB                  live: capture buffer size in KiB\n"
	      "  -p                      live: do not put the interface in promiscuous mode\n"
	      "  -c COUNT                stop after COUNT packets\n"
	      "  -Z USER                 after opening input and output, drop root\n"
	      "                          privileges to USER (live capture as root: default\n"
	      "                          nobody; files: only when given)\n"
	      "  EXPRESSION              pcap-filter(7) expression replacing the default;\n"
	      "                          live default: DNS on the DNS ports, IP fragments,\n"
	      "                          ICMP/ICMPv6 unreachables and TCP SYNs to port 25;\n"
	      "                          files are read unfiltered unless one is given\n"
	      "\nAnalysis:\n"
	      "  --dns-port PORT         a port that carries DNS, in place of 53\n"
	      "                          (repeatable, up to 8)\n", o);
	fprintf(o, "  --answer-timeout SEC    a query without a response after SEC seconds\n"
		   "                          is unanswered (fractions allowed; default %g)\n",
		(double)d.txn.answer_timeout_us / 1e6);
	fprintf(o, "  --retx-gap SEC          queries for the same question at most SEC\n"
		   "                          seconds apart form one lookup (default %g)\n",
		(double)d.lookup.retx_gap_us / 1e6);
	fprintf(o, "  --max-pending N         queries kept waiting for a response (default %zu)\n",
		d.txn.max_pending);
	fprintf(o, "  --max-lookups N         open lookups kept (default %zu)\n",
		d.lookup.max_open);
	fprintf(o, "  --top N                 rows of failing names (default %zu, 0 = all)\n",
		d.model.top_failing);
	fputs("\nDetectors:\n"
	      "  --list-detectors        list the failure-pattern detectors and exit\n"
	      "  --detectors LIST        run only these detectors (IDs or P-numbers,\n"
	      "                          comma separated; 'all' = every one)\n"
	      "  --no-detectors LIST     do not run these detectors\n"
	      "  --sender ADDR           the mail server(s) to judge (repeatable, up to 16);\n"
	      "                          default: every host that sends RD=1 queries\n"
	      "  --public-resolvers LIST addresses counted as public resolvers (comma\n"
	      "                          separated; replaces the built-in list)\n"
	      "  --dnsbl-zones LIST      DNS blocklist zones (comma separated; replaces\n"
	      "                          the built-in list)\n", o);
	fprintf(o, "  --chain-window SEC      address lookups that follow an MX lookup within\n"
		   "                          SEC seconds belong to its chain (default %g)\n",
		(double)d.chain.chain_window_us / 1e6);
	fprintf(o, "  --fallback-window SEC   an A query within SEC seconds of a failed AAAA\n"
		   "                          lookup is a fallback (default %g)\n",
		(double)d.detect.fallback_window_us / 1e6);
	fprintf(o, "  --min-retry-gap SEC     a new chain for the same sender and domain at\n"
		   "                          least SEC seconds later is a new attempt (default %g)\n",
		(double)d.chain.min_retry_gap_us / 1e6);
	fprintf(o, "  --stats-window SEC      window for resolver latency and timeout ratios\n"
		   "                          (default %g)\n", (double)d.detect.stats_window_us / 1e6);
	fprintf(o, "  --disagree-window SEC   two resolvers' answers to one question this close\n"
		   "                          are compared (default %g)\n",
		(double)d.detect.disagree_window_us / 1e6);
	fputs("  --threshold NAME=VALUE  change a detector threshold (repeatable):\n", o);
	for (size_t i = 0; i < sizeof(g_thresholds) / sizeof(g_thresholds[0]); i++)
		fprintf(o, "                            %s (default %llu): %s\n", g_thresholds[i].name,
			(unsigned long long)threshold_value(&d.detect, &g_thresholds[i]), g_thresholds[i].what);
	fputs("  --fail-on SEVERITY      exit with status 1 when a finding of SEVERITY\n"
	      "                          (info, warn, error or crit) or above exists\n", o);
	fputs("\nOutput:\n"
	      "  -F FORMAT               report format: ", o);
	sink_names(o);
	fputs(" (default text)\n"
	      "  -o FILE                 write the report to FILE (default standard output)\n"
	      "  -n, --no-ui             write the report when the input ends (always so\n"
	      "                          in this version)\n"
	      "  -q                      print nothing on standard error but warnings\n"
	      "                          and errors\n"
	      "  -h, --help              show this help and exit\n"
	      "  -V, --version           show the version and exit\n"
	      "\nTimes are taken from the packets, so a file gives the same report on every\n"
	      "run. Frame numbers are the ones Wireshark shows (continued across files).\n"
	      "\nExit status: 0 when the report was written (also for a file cut off in\n"
	      "the middle of a packet: a warning says so); 1 when --fail-on is given and\n"
	      "a finding at or above that severity exists; 2 on errors (bad option,\n"
	      "unreadable or unsupported input, privileges, output).\n", o);
}

/* Strict unsigned decimal in [lo, hi]. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Strict decimal seconds ("5", "0.25") in (0, max_s], as microseconds. */
static bool parse_seconds(const char *s, double max_s, uint64_t *out_us)
{
	const char *p;
	unsigned digits = 0, dots = 0;
	double v;
	char *end;

	if (s == NULL || *s == '\0')
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.')
			dots++;
		else
			return false;
	}
	if (digits == 0 || dots > 1)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v > 0) || v > max_s)
		return false;
	if (v * 1e6 < 1.0)
		return false;
	*out_us = (uint64_t)(v * 1e6 + 0.5);
	return true;
}

static int bad_value(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "mxsniff: %s: '%s' is not %s\n", opt, val, what);
	return -1;
}

static int add_port(struct opts *o, const char *val)
{
	struct mx_decode_opts *d = &o->po.decode;
	static bool custom;
	uint64_t v;
	size_t i;

	if (!parse_u64(val, 1, 65535, &v))
		return bad_value("--dns-port", val, "a port number from 1 to 65535");
	if (!custom) {
		d->n_dns_ports = 0;   /* the first --dns-port replaces the default 53 */
		custom = true;
	}
	for (i = 0; i < d->n_dns_ports; i++)
		if (d->dns_ports[i] == v)
			return 0;
	if (d->n_dns_ports >= sizeof(d->dns_ports) / sizeof(d->dns_ports[0])) {
		fprintf(stderr, "mxsniff: --dns-port: at most %zu ports\n",
			sizeof(d->dns_ports) / sizeof(d->dns_ports[0]));
		return -1;
	}
	d->dns_ports[d->n_dns_ports++] = (uint16_t)v;
	return 0;
}

/* "a,b,c" -> addresses (replacing what was there). */
static int parse_addr_list(const char *opt, const char *val, struct mx_addr *arr, size_t max, size_t *n)
{
	char buf[2048], *save = NULL, *tok;
	size_t k = 0;

	if (strlen(val) >= sizeof(buf))
		return bad_value(opt, val, "a list of at most 2047 characters");
	strcpy(buf, val);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if (k >= max) {
			fprintf(stderr, "mxsniff: %s: at most %zu addresses\n", opt, max);
			return -1;
		}
		if (mx_addr_parse(tok, &arr[k]) != 0)
			return bad_value(opt, tok, "an IPv4 or IPv6 address");
		k++;
	}
	*n = k;
	return 0;
}

static int parse_zone_list(const char *val, struct mx_detect_opts *d)
{
	char buf[2048], *save = NULL, *tok;
	size_t k = 0, max = sizeof(d->dnsbl_zones) / sizeof(d->dnsbl_zones[0]);

	if (strlen(val) >= sizeof(buf))
		return bad_value("--dnsbl-zones", val, "a list of at most 2047 characters");
	strcpy(buf, val);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if (k >= max) {
			fprintf(stderr, "mxsniff: --dnsbl-zones: at most %zu zones\n", max);
			return -1;
		}
		if (mx_dname_from_text(tok, &d->dnsbl_zones[k]) != 0)
			return bad_value("--dnsbl-zones", tok, "a domain name");
		k++;
	}
	d->n_dnsbl_zones = k;
	return 0;
}

static int parse_threshold(const char *val, struct mx_detect_opts *d)
{
	const char *eq = strchr(val, '=');
	uint64_t v;

	if (eq == NULL)
		return bad_value("--threshold", val, "NAME=VALUE (see --help for the names)");
	for (size_t i = 0; i < sizeof(g_thresholds) / sizeof(g_thresholds[0]); i++) {
		const struct threshold *t = &g_thresholds[i];
		char *base = (char *)d + t->off;

		if (strlen(t->name) != (size_t)(eq - val) || strncmp(t->name, val, (size_t)(eq - val)) != 0)
			continue;
		if (!parse_u64(eq + 1, 0, t->is_ms ? 3600000u : 1000000u, &v))
			return bad_value("--threshold", eq + 1, "a whole number in range");
		if (t->is_ms) {
			uint64_t us = v * 1000u;
			memcpy(base, &us, sizeof(us));
		} else {
			unsigned u = (unsigned)v;
			memcpy(base, &u, sizeof(u));
		}
		return 0;
	}
	fprintf(stderr, "mxsniff: --threshold: unknown name in '%s' (see --help)\n", val);
	return -1;
}

static char *join_args(int argc, char **argv)
{
	size_t len = 0, used = 0;
	int i;
	char *s;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i > 0)
			s[used++] = ' ';
		memcpy(s + used, argv[i], n);
		used += n;
		s[used] = '\0';
	}
	return s;
}

/* 0 = go on, 1 = done (help/version printed), -1 = error (message printed). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	int c;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->promisc = true;
	o->fail_on = -1;
	o->sink = mx_sink_find("text");
	mx_pipeline_opts_default(&o->po);
	o->files = calloc(MAX_FILES, sizeof(*o->files));
	if (o->files == NULL) {
		fputs("mxsniff: out of memory\n", stderr);
		return -1;
	}
	while ((c = getopt_long(argc, argv, "r:i:s:B:pc:DZ:F:o:nqhV", g_long, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->nfiles >= MAX_FILES) {
				fprintf(stderr, "mxsniff: -r: at most %d files\n", MAX_FILES);
				return -1;
			}
			o->files[o->nfiles++] = optarg;
			break;
		case 'i':
			if (o->iface != NULL) {
				fputs("mxsniff: -i: only one interface\n", stderr);
				return -1;
			}
			o->iface = optarg;
			break;
		case 's':
			if (!parse_u64(optarg, 1, 262144, &v))
				return bad_value("-s", optarg, "a snapshot length from 1 to 262144");
			o->snaplen = (int)v;
			break;
		case 'B':
			if (!parse_u64(optarg, 1, 2097151, &v))
				return bad_value("-B", optarg, "a buffer size from 1 to 2097151 KiB");
			o->buffer_kib = (int)v;
			break;
		case 'p':
			o->promisc = false;
			break;
		case 'c':
			if (!parse_u64(optarg, 1, UINT64_MAX, &o->count))
				return bad_value("-c", optarg, "a positive count");
			break;
		case 'D':
			o->list = true;
			break;
		case 'Z':
			if (optarg[0] == '\0')
				return bad_value("-Z", optarg, "a user name");
			o->user = optarg;
			break;
		case 'F':
			o->sink = mx_sink_find(optarg);
			if (o->sink == NULL) {
				fprintf(stderr, "mxsniff: -F: unknown format '%s' (choose ", optarg);
				sink_names(stderr);
				fputs(")\n", stderr);
				return -1;
			}
			break;
		case 'o':
			if (optarg[0] == '\0')
				return bad_value("-o", optarg, "a file name");
			o->output = optarg;
			break;
		case 'n':
			break;   /* reports are always written; accepted for scripts */
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("mxsniff %s (%s)\n", MXSNIFF_VERSION, mx_capture_lib_version());
			return 1;
		case OPT_DNS_PORT:
			if (add_port(o, optarg) != 0)
				return -1;
			break;
		case OPT_ANSWER_TIMEOUT:
			if (!parse_seconds(optarg, 3600, &o->po.txn.answer_timeout_us))
				return bad_value("--answer-timeout", optarg,
						 "a number of seconds above 0 and at most 3600");
			o->po.lookup.answer_timeout_us = o->po.txn.answer_timeout_us;
			break;
		case OPT_RETX_GAP:
			if (!parse_seconds(optarg, 86400, &o->po.lookup.retx_gap_us))
				return bad_value("--retx-gap", optarg,
						 "a number of seconds above 0 and at most 86400");
			break;
		case OPT_MAX_PENDING:
			if (!parse_u64(optarg, 1, MAX_TABLE, &v))
				return bad_value("--max-pending", optarg, "a number from 1 to 4194304");
			o->po.txn.max_pending = (size_t)v;
			break;
		case OPT_MAX_LOOKUPS:
			if (!parse_u64(optarg, 1, MAX_TABLE, &v))
				return bad_value("--max-lookups", optarg, "a number from 1 to 4194304");
			o->po.lookup.max_open = (size_t)v;
			break;
		case OPT_TOP:
			if (!parse_u64(optarg, 0, 1000000, &v))
				return bad_value("--top", optarg, "a number from 0 to 1000000");
			o->po.model.top_failing = (size_t)v;
			break;
		case OPT_LIST_DETECTORS:
			o->list_detectors = true;
			break;
		case OPT_DETECTORS:
		case OPT_NO_DETECTORS: {
			char err[160];
			uint64_t bits;

			if (mx_detect_parse_list(optarg, &bits, err, sizeof(err)) != 0) {
				fprintf(stderr, "mxsniff: %s: %s\n",
					c == OPT_DETECTORS ? "--detectors" : "--no-detectors", err);
				return -1;
			}
			if (c == OPT_DETECTORS) {
				o->detectors_set = true;
				o->det_on |= bits;
			} else {
				o->det_off |= bits;
			}
			break;
		}
		case OPT_SENDER: {
			struct mx_detect_opts *d = &o->po.detect;

			if (d->n_senders >= sizeof(d->senders) / sizeof(d->senders[0])) {
				fprintf(stderr, "mxsniff: --sender: at most %zu senders\n",
					sizeof(d->senders) / sizeof(d->senders[0]));
				return -1;
			}
			if (mx_addr_parse(optarg, &d->senders[d->n_senders]) != 0)
				return bad_value("--sender", optarg, "an IPv4 or IPv6 address");
			d->n_senders++;
			break;
		}
		case OPT_PUBLIC_RESOLVERS:
			if (parse_addr_list("--public-resolvers", optarg, o->po.detect.public_resolvers,
					    sizeof(o->po.detect.public_resolvers) /
						    sizeof(o->po.detect.public_resolvers[0]),
					    &o->po.detect.n_public_resolvers) != 0)
				return -1;
			break;
		case OPT_DNSBL_ZONES:
			if (parse_zone_list(optarg, &o->po.detect) != 0)
				return -1;
			break;
		case OPT_CHAIN_WINDOW:
			if (!parse_seconds(optarg, 86400, &o->po.chain.chain_window_us))
				return bad_value("--chain-window", optarg, "a number of seconds above 0 and at most 86400");
			o->po.detect.chain_window_us = o->po.chain.chain_window_us;
			break;
		case OPT_FALLBACK_WINDOW:
			if (!parse_seconds(optarg, 3600, &o->po.detect.fallback_window_us))
				return bad_value("--fallback-window", optarg, "a number of seconds above 0 and at most 3600");
			break;
		case OPT_MIN_RETRY_GAP:
			if (!parse_seconds(optarg, 86400, &o->po.chain.min_retry_gap_us))
				return bad_value("--min-retry-gap", optarg, "a number of seconds above 0 and at most 86400");
			o->po.detect.min_retry_gap_us = o->po.chain.min_retry_gap_us;
			break;
		case OPT_STATS_WINDOW:
			if (!parse_seconds(optarg, 86400, &o->po.detect.stats_window_us))
				return bad_value("--stats-window", optarg, "a number of seconds above 0 and at most 86400");
			break;
		case OPT_DISAGREE_WINDOW:
			if (!parse_seconds(optarg, 86400, &o->po.detect.disagree_window_us))
				return bad_value("--disagree-window", optarg, "a number of seconds above 0 and at most 86400");
			break;
		case OPT_THRESHOLD:
			if (parse_threshold(optarg, &o->po.detect) != 0)
				return -1;
			break;
		case OPT_FAIL_ON:
			o->fail_on = mx_sev_from_name(optarg);
			if (o->fail_on < 0)
				return bad_value("--fail-on", optarg, "a severity: info, warn, error or crit");
			break;
		default:
			short_usage();
			return -1;
		}
	}
	/* windows shared by layers stay consistent */
	o->po.detect.answer_timeout_us = o->po.txn.answer_timeout_us;
	o->po.chain.retx_gap_us = o->po.lookup.retx_gap_us;
	if (o->detectors_set)
		o->po.detect.enabled = o->det_on;
	o->po.detect.enabled &= ~o->det_off;
	if (o->list_detectors) {
		list_detectors(stdout);
		return 1;
	}
	if (o->list)
		return 0;
	if (o->nfiles > 0 && o->iface != NULL) {
		fputs("mxsniff: -r and -i exclude each other: read files or capture live\n", stderr);
		return -1;
	}
	if (o->nfiles == 0 && o->iface == NULL) {
		fputs("mxsniff: give -r FILE to read a capture or -i INTERFACE to capture live\n",
		      stderr);
		short_usage();
		return -1;
	}
	if (o->sink == NULL) {
		fputs("mxsniff: no report format is built in\n", stderr);
		return -1;
	}
	if (optind < argc) {
		o->expr = join_args(argc - optind, argv + optind);
		if (o->expr == NULL) {
			fputs("mxsniff: out of memory\n", stderr);
			return -1;
		}
	}
	return 0;
}

/* "EN10MB, LINUX_SLL, ..." : the link types the decoder accepts. */
static void supported_links(char *buf, size_t n)
{
	static const int dlts[] = {MX_DLT_EN10MB, MX_DLT_LINUX_SLL, MX_DLT_LINUX_SLL2, MX_DLT_NULL,
				   MX_DLT_LOOP, MX_DLT_RAW, MX_DLT_RAW_ALT, MX_DLT_RAW_LINKTYPE,
				   MX_DLT_IPV4, MX_DLT_IPV6};
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]) && used < n; i++) {
		const char *name = mx_capture_dlt_name(dlts[i]);

		if (!mx_decode_linktype_ok(dlts[i]) || strncmp(name, "DLT ", 4) == 0)
			continue;
		if (strstr(buf, name) != NULL)   /* RAW under two numbers */
			continue;
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", name);
	}
}

static int check_links(const struct mx_capture *c)
{
	size_t i;

	for (i = 0; i < mx_capture_ninputs(c); i++) {
		int dlt = mx_capture_input_dlt(c, i);
		char sup[256];

		if (mx_decode_linktype_ok(dlt))
			continue;
		supported_links(sup, sizeof(sup));
		fprintf(stderr, "mxsniff: %s: link type %s (%d) is not supported (supported: %s)\n",
			mx_capture_input_name(c, i), mx_capture_dlt_name(dlt), dlt, sup);
		return -1;
	}
	return 0;
}

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void note_input_error(char *buf, size_t n, const char *msg)
{
	size_t used = strlen(buf), len = strlen(msg);

	if (used > 0) {
		if (used + 3 >= n)
			return;
		memcpy(buf + used, "; ", 2);
		used += 2;
	}
	if (len > n - used - 1)
		len = n - used - 1;   /* cut: the report gets the start of it */
	memcpy(buf + used, msg, len);
	buf[used + len] = '\0';
}

struct run {
	struct mx_capture *cap;
	struct mx_pipeline *pipe;
	uint64_t frames, last_ts;
	bool truncated;
	char input_error[256];
	bool failed;                 /* a live capture broke */
};

static void feed(struct run *r, const struct mx_frame *f)
{
	mx_pipeline_frame(r->pipe, f);
	r->frames++;
	if (f->ts_us > r->last_ts)
		r->last_ts = f->ts_us;
}

static void run_files(struct run *r, const struct opts *o)
{
	struct mx_frame f;
	char err[512];
	int rc;

	while (!g_stop) {
		rc = mx_capture_next(r->cap, &f, err, sizeof(err));
		if (rc == 1) {
			feed(r, &f);
			if (o->count != 0 && r->frames >= o->count)
				break;
			continue;
		}
		if (rc == 0)
			break;
		/* the file ended early: what was read still counts; go on with
		 * the next file */
		fprintf(stderr, "mxsniff: warning: %s; the report covers the frames before it\n", err);
		r->truncated = true;
		note_input_error(r->input_error, sizeof(r->input_error), err);
	}
}

static void run_live(struct run *r, const struct opts *o)
{
	struct mx_frame f;
	char err[512];
	int fd = mx_capture_fd(r->cap);

	while (!g_stop) {
		struct pollfd pfd = {fd, POLLIN, 0};
		unsigned n = 0;
		int rc;

		if (fd >= 0)
			rc = poll(&pfd, 1, POLL_MS);
		else
			rc = poll(NULL, 0, 100);   /* no selectable fd: just wait a bit */
		if (rc < 0 && errno != EINTR) {
			fprintf(stderr, "mxsniff: poll: %s\n", strerror(errno));
			r->failed = true;
			return;
		}
		if (g_stop)
			break;
		while (n < DRAIN_MAX && (rc = mx_capture_next(r->cap, &f, err, sizeof(err))) == 1) {
			feed(r, &f);
			n++;
			if (o->count != 0 && r->frames >= o->count)
				return;
		}
		if (rc < 0) {
			fprintf(stderr, "mxsniff: %s\n", err);
			r->failed = true;
			return;
		}
		if (n == 0)
			mx_pipeline_tick(r->pipe, wall_us());
	}
}

static FILE *open_output(const struct opts *o)
{
	FILE *out;

	if (o->output == NULL || strcmp(o->output, "-") == 0)
		return stdout;
	out = fopen(o->output, "w");
	if (out == NULL)
		fprintf(stderr, "mxsniff: cannot write %s: %s\n", o->output, strerror(errno));
	return out;
}

static int drop_privileges(const struct opts *o, bool live)
{
	char err[256];
	const char *user = o->user;

	if (geteuid() != 0) {
		if (o->user != NULL && !o->quiet)
			fprintf(stderr, "mxsniff: note: not running as root, -Z %s has nothing to do\n",
				o->user);
		return 0;
	}
	if (user == NULL) {
		if (!live)
			return 0;   /* reading files needs no root; keep what we are told */
		user = "nobody";
	}
	if (mx_priv_drop(user, err, sizeof(err)) != 0) {
		fprintf(stderr, "mxsniff: %s%s\n", err,
			o->user == NULL ? " (choose another user with -Z)" : "");
		return -1;
	}
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;  /* a second ^C ends the program at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct mx_capture_stats cs;
	struct mx_snapshot snap;
	struct mx_sink *sink = NULL;
	FILE *out = NULL;
	char err[512], filter[1024];
	const char *flt;
	bool live;
	int rc, status = 0;

	rc = parse_args(argc, argv, &o);
	if (rc != 0) {
		free(o.files);
		free(o.expr);
		return rc > 0 ? 0 : EXIT_ERR;
	}
	if (o.list) {
		free(o.files);
		if (mx_capture_list_ifaces(stdout, err, sizeof(err)) != 0) {
			fprintf(stderr, "mxsniff: %s\n", err);
			return EXIT_ERR;
		}
		return 0;
	}
	memset(&r, 0, sizeof(r));
	live = o.iface != NULL;

	/* 1. input (and its filter) */
	if (o.expr != NULL) {
		flt = o.expr;
	} else if (live) {
		mx_capture_default_filter(filter, sizeof(filter), o.po.decode.dns_ports,
					  o.po.decode.n_dns_ports);
		flt = filter;
	} else {
		flt = NULL;
	}
	err[0] = '\0';
	if (live) {
		struct mx_live_opts lo;

		memset(&lo, 0, sizeof(lo));
		lo.iface = o.iface;
		lo.snaplen = o.snaplen;
		lo.buffer_kib = o.buffer_kib;
		lo.promisc = o.promisc;
		lo.immediate = true;
		rc = mx_capture_open_live(&r.cap, &lo, flt, err, sizeof(err));
		if (rc == 0 && err[0] != '\0')
			fprintf(stderr, "mxsniff: warning: %s\n", err);
	} else {
		rc = mx_capture_open_files(&r.cap, o.files, o.nfiles, flt, err, sizeof(err));
	}
	if (rc != 0) {
		fprintf(stderr, "mxsniff: %s\n", err);
		status = EXIT_ERR;
		goto out;
	}
	if (check_links(r.cap) != 0) {
		status = EXIT_ERR;
		goto out;
	}

	/* 2. output */
	out = open_output(&o);
	if (out == NULL) {
		status = EXIT_ERR;
		goto out;
	}

	/* 3. privileges: nothing is opened after this */
	if (drop_privileges(&o, live) != 0) {
		status = EXIT_ERR;
		goto out;
	}

	r.pipe = mx_pipeline_new(&o.po);
	sink = mx_sink_new(o.sink, out);
	if (r.pipe == NULL || sink == NULL) {
		fputs("mxsniff: out of memory\n", stderr);
		status = EXIT_ERR;
		goto out;
	}
	mx_pipeline_set_source(r.pipe, mx_capture_source(r.cap), mx_capture_filter(r.cap), live);
	if (mx_sink_open(sink) != 0 || mx_pipeline_add_sink(r.pipe, sink) != 0) {
		fprintf(stderr, "mxsniff: cannot start the %s report\n", o.sink->name);
		status = EXIT_ERR;
		goto out;
	}
	install_signals();
	if (live) {
		if (!o.quiet) {
			fprintf(stderr, "mxsniff: listening on %s, link-type %s, snapshot length %d bytes\n",
				o.iface, mx_capture_dlt_name(mx_capture_input_dlt(r.cap, 0)),
				o.snaplen > 0 ? o.snaplen : 262144);
			fprintf(stderr, "mxsniff: filter: %s\n", flt != NULL ? flt : "(none)");
		}
		run_live(&r, &o);
	} else {
		run_files(&r, &o);
	}

	/* 4. the report */
	mx_capture_stats(r.cap, &cs);
	mx_pipeline_set_capture_stats(r.pipe, &cs);
	mx_pipeline_finish(r.pipe, live && wall_us() > r.last_ts ? wall_us() : r.last_ts);
	if (mx_pipeline_snapshot(r.pipe, &snap) != 0) {
		fputs("mxsniff: out of memory writing the report\n", stderr);
		status = EXIT_ERR;
		goto out;
	}
	snap.input_truncated = r.truncated;
	memcpy(snap.input_error, r.input_error, sizeof(snap.input_error));
	if (mx_sink_close(sink, &snap) != 0 || fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "mxsniff: cannot write %s: %s\n",
			o.output != NULL ? o.output : "the report", strerror(errno));
		status = EXIT_ERR;
	}
	if (o.fail_on >= 0)
		for (size_t i = 0; i < snap.n_findings; i++)
			if ((int)snap.findings[i].sev >= o.fail_on && status == 0)
				status = 1;
	mx_snapshot_fini(&snap);
	if (live && !o.quiet)
		fprintf(stderr, "mxsniff: %llu frames captured, %llu received by filter, "
			"%llu dropped by kernel, %llu dropped by interface\n",
			(unsigned long long)cs.frames, (unsigned long long)cs.ps_recv,
			(unsigned long long)cs.ps_drop, (unsigned long long)cs.ps_ifdrop);
	if (r.failed)
		status = EXIT_ERR;
out:
	mx_sink_free(sink);
	mx_pipeline_free(r.pipe);
	mx_capture_free(r.cap);
	if (out != NULL && out != stdout && fclose(out) != 0 && status == 0) {
		fprintf(stderr, "mxsniff: cannot write %s: %s\n", o.output, strerror(errno));
		status = EXIT_ERR;
	}
	free(o.files);
	free(o.expr);
	return status;
}
