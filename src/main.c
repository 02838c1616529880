/* main.c - the mxsniff program: options, input, privileges, the loop (L7).
 *
 * Parses the command line (getopt_long; numbers are checked strictly), opens
 * the input (files with -r, read in order as one capture, or an interface
 * with -i), refuses link types the decoder cannot handle, opens the output,
 * drops root (live: always when root, to -Z USER or "nobody"; files: only
 * with -Z), then feeds every frame to the pipeline and writes the report
 * with the chosen sink when the input ends, -c frames were read, or SIGINT
 * or SIGTERM arrive (live: after reading the frames the kernel already
 * holds, drain_live()). Kernel and interface drops of a live capture are a
 * warning at the end; a -B smaller than the snap length is refused.
 *
 * Live captures use a BPF filter by default (DNS on the --dns-port ports,
 * IP fragments, ICMP/ICMPv6 unreachables, SYNs to port 25) so the kernel
 * drops the rest; files are read unfiltered unless an expression is given,
 * so their verdict counts cover every frame and VLAN-tagged frames (which a
 * plain `udp port 53` filter misses) are decoded too.
 *
 * main.c is the only place that decides what is fatal: a bad option, an
 * unreadable or non-pcap file, an unsupported link type, a failed privilege
 * drop or an unwritable output exit with status 2 and one line on stderr
 * (an option the parser refuses, or no input, adds "Try 'mxsniff --help'").
 * A file cut off inside a record is a warning: the report covers the frames
 * before it and says so. Options that will do nothing (live-capture options
 * with -r, --speed without --ui, no detector left) are warnings, and a
 * --sender that sent no query is a note at the end. Exit status 1 means --fail-on found a finding at or
 * above the given severity.
 *
 * The live view (issue 4): on a terminal, a live capture opens a full-screen
 * view instead of printing the report at the end (--ui forces it, also for
 * files, replayed at their recorded pace or --speed N|max; --no-ui or a
 * standard output that is not a terminal keep the report, and then no curses
 * code runs at all). Its order: open the capture, open the -o output, start
 * curses (it may open /dev/tty), then drop privileges. One loop polls the
 * capture's selectable descriptor and the terminal together: every packet
 * available is read before drawing, the model is copied into a snapshot at
 * most four times a second (once a second when idle), and ui_view.c builds the
 * rows that ui_curses.c draws. Reports written from the view ('w', and the
 * final -o report) are rendered from a snapshot by a fresh sink (md unless -F
 * says otherwise), so streamed parts of json/ndjson stay empty there.
 *
 * What it does not do: analysis (pipeline.c and below) or formatting (sinks,
 * ui_view.c, ui_curses.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxsniff/capture.h"
#include "mxsniff/decode.h"
#include "mxsniff/detect.h"
#include "mxsniff/err.h"
#include "mxsniff/model.h"
#include "mxsniff/pipeline.h"
#include "mxsniff/priv.h"
#include "mxsniff/sink.h"
#include "mxsniff/ui_curses.h"
#include "mxsniff/ui_view.h"

#ifndef MXSNIFF_VERSION
#define MXSNIFF_VERSION "unknown"
#endif

#define EXIT_ERR 2
#define MAX_FILES 4096
#define MAX_TABLE 4194304u          /* --max-pending, --max-recent, --max-lookups */
#define POLL_MS 250
#define DRAIN_MAX 4096              /* frames per poll round before ticking */
#define STOP_DRAIN_US 1000000u      /* at most this long reading what a stop left behind */

enum {
	OPT_DNS_PORT = 256,
	OPT_ANSWER_TIMEOUT,
	OPT_RETX_GAP,
	OPT_MAX_PENDING,
	OPT_MAX_RECENT,
	OPT_MAX_LOOKUPS,
	OPT_MAX_CHAINS,
	OPT_TOP,
	OPT_FULL_FINDINGS,
	OPT_LIST_DETECTORS,
	OPT_DETECTORS,
	OPT_NO_DETECTORS,
	OPT_SENDER,
	OPT_RELAYHOST,
	OPT_PUBLIC_RESOLVERS,
	OPT_DNSBL_ZONES,
	OPT_CHAIN_WINDOW,
	OPT_FALLBACK_WINDOW,
	OPT_MIN_RETRY_GAP,
	OPT_STATS_WINDOW,
	OPT_DISAGREE_WINDOW,
	OPT_THRESHOLD,
	OPT_FAIL_ON,
	OPT_UI,
	OPT_SPEED,
	OPT_WRITE_LIMIT,
	OPT_VXLAN_PORT,
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
	const char *expr_file;       /* its first word when that names an existing
				      * file (mxsniff -r *.pcap), NULL otherwise */
	struct mx_pipeline_opts po;
	bool list_detectors;
	int ui;                      /* live view: -1 = on a terminal for -i, 0 = no, 1 = forced */
	double speed;                /* replay speed with --ui -r: 1 = recorded pace, 0 = max */
	bool speed_set;              /* --speed given */
	bool format_set;             /* -F given */
	int fail_on;                 /* -1 = off, else enum mx_sev */
	bool detectors_set;          /* --detectors given: start from none */
	uint64_t det_on, det_off;
	const char *write_path;      /* -w FILE: save the live capture */
	uint64_t write_limit;        /* --write-limit: bytes, 0 = none */
};

static volatile sig_atomic_t g_stop;
/* Files only: a read blocked on a silent pipe (-r -) is ended by a signal
 * (capture.c goes on after other interrupted reads, e.g. SIGWINCH). */
static struct mx_capture *volatile g_file_cap;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_file_cap != NULL)
		mx_capture_break(g_file_cap);
}

static const struct option g_long[] = {
	{"no-ui", no_argument, NULL, 'n'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"dns-port", required_argument, NULL, OPT_DNS_PORT},
	{"vxlan-port", required_argument, NULL, OPT_VXLAN_PORT},
	{"answer-timeout", required_argument, NULL, OPT_ANSWER_TIMEOUT},
	{"retx-gap", required_argument, NULL, OPT_RETX_GAP},
	{"max-pending", required_argument, NULL, OPT_MAX_PENDING},
	{"max-recent", required_argument, NULL, OPT_MAX_RECENT},
	{"max-lookups", required_argument, NULL, OPT_MAX_LOOKUPS},
	{"max-chains", required_argument, NULL, OPT_MAX_CHAINS},
	{"top", required_argument, NULL, OPT_TOP},
	{"full-findings", required_argument, NULL, OPT_FULL_FINDINGS},
	{"list-detectors", no_argument, NULL, OPT_LIST_DETECTORS},
	{"detectors", required_argument, NULL, OPT_DETECTORS},
	{"no-detectors", required_argument, NULL, OPT_NO_DETECTORS},
	{"sender", required_argument, NULL, OPT_SENDER},
	{"relayhost", required_argument, NULL, OPT_RELAYHOST},
	{"public-resolvers", required_argument, NULL, OPT_PUBLIC_RESOLVERS},
	{"dnsbl-zones", required_argument, NULL, OPT_DNSBL_ZONES},
	{"chain-window", required_argument, NULL, OPT_CHAIN_WINDOW},
	{"fallback-window", required_argument, NULL, OPT_FALLBACK_WINDOW},
	{"min-retry-gap", required_argument, NULL, OPT_MIN_RETRY_GAP},
	{"stats-window", required_argument, NULL, OPT_STATS_WINDOW},
	{"disagree-window", required_argument, NULL, OPT_DISAGREE_WINDOW},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"ui", no_argument, NULL, OPT_UI},
	{"speed", required_argument, NULL, OPT_SPEED},
	{"write-limit", required_argument, NULL, OPT_WRITE_LIMIT},
	{NULL, 0, NULL, 0},
};

static void usage_lines(FILE *out)
{
	fputs("Usage: mxsniff [options] -r FILE [-r FILE ...] [EXPRESSION]\n"
	      "       mxsniff [options] -i INTERFACE [EXPRESSION]\n"
	      "       mxsniff -D\n", out);
}

/* A usage error: one line naming it, then the pointer to --help (as GNU
 * tools do for an option the parser refuses). Errors in an option's value
 * are one line only: they say what the value must be. */
static int usage_error(const char *msg)
{
	fprintf(stderr, "mxsniff: %s\nTry 'mxsniff --help' for more information.\n", msg);
	return -1;
}

/* The long option whose getopt value is val ("?" when none). */
static const char *long_name(int val)
{
	for (size_t i = 0; g_long[i].name != NULL; i++)
		if (g_long[i].val == val)
			return g_long[i].name;
	return "?";
}

/* What getopt_long refused (opterr is 0, so it printed nothing): c is '?'
 * or ':' (the option string starts with ':'). glibc sets optopt to the
 * option character, or for a long option to its value (0 when the name is
 * unknown or ambiguous; then argv[optind - 1] is the argument). */
static int option_error(int c, char **argv)
{
	char msg[600], list[400];
	size_t len, n = 0, used = 0;
	const char *arg, *a;

	if (c == ':') {
		if (optopt >= 256)
			snprintf(msg, sizeof(msg), "option '--%s' needs an argument", long_name(optopt));
		else
			snprintf(msg, sizeof(msg), "option '-%c' needs an argument", optopt);
		return usage_error(msg);
	}
	if (optopt >= 256 || (optopt != 0 && strchr("nhV", optopt) != NULL)) {
		/* a long option that takes no argument, given "=VALUE" (an
		 * unknown short option is never one of n, h, V) */
		snprintf(msg, sizeof(msg), "option '--%s' takes no argument", long_name(optopt));
		return usage_error(msg);
	}
	if (optopt != 0) {
		if (optopt > ' ' && optopt < 127)
			snprintf(msg, sizeof(msg), "unknown option '-%c'", optopt);
		else
			snprintf(msg, sizeof(msg), "unknown option character 0x%02x",
				 (unsigned)(unsigned char)optopt);
		return usage_error(msg);
	}
	/* an unknown or ambiguous long option: "--na" or "--name=value" */
	arg = optind > 0 ? argv[optind - 1] : "";
	a = strncmp(arg, "--", 2) == 0 ? arg + 2 : arg;
	len = strcspn(a, "=");
	list[0] = '\0';
	for (size_t i = 0; g_long[i].name != NULL && len > 0; i++) {
		if (strncmp(g_long[i].name, a, len) != 0)
			continue;
		n++;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s--%s", n > 1 ? ", " : "",
						 g_long[i].name);
	}
	if (n > 1)
		snprintf(msg, sizeof(msg), "option '--%.*s' is ambiguous (%s)", (int)(len < 60 ? len : 60), a, list);
	else
		snprintf(msg, sizeof(msg), "unknown option '--%.*s'", (int)(len < 60 ? len : 60), a);
	return usage_error(msg);
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

/* Named thresholds for --threshold NAME=VALUE (PATTERNS.md §3 defaults),
 * with the values that make sense: a count of 0 would make every resolver
 * or failure qualify (or mean the same as 1: the detectors judge only what
 * was seen at least once), a latency of 0 ms would call every resolver
 * slow; a share is a per cent, where 0 means "any share". */
struct threshold {
	const char *name;
	const char *what;
	size_t off;                  /* offset in struct mx_detect_opts */
	bool is_ms;                  /* uint64_t microseconds given in ms; else unsigned */
	uint64_t lo, hi;             /* accepted values (ms for is_ms) */
};

#define T_COUNT 1, 1000000
#define T_MS 1, 3600000
#define T_PCT 0, 100

static const struct threshold g_thresholds[] = {
	{"loop-attempts", "failing chains of one domain in a row before a failure is a loop (CRIT)",
	 offsetof(struct mx_detect_opts, loop_min_attempts), false, T_COUNT},
	{"min-samples", "answers needed before latency percentiles (and truncated shares) are judged",
	 offsetof(struct mx_detect_opts, min_samples), false, T_COUNT},
	{"slow-p50-ms", "p50 latency at or above which a resolver is slow (WARN)",
	 offsetof(struct mx_detect_opts, slow_warn_p50_us), true, T_MS},
	{"slow-p95-ms", "p95 latency at or above which a resolver is slow (WARN)",
	 offsetof(struct mx_detect_opts, slow_warn_p95_us), true, T_MS},
	{"slow-error-p95-ms", "p95 latency at or above which a resolver is slow (ERROR)",
	 offsetof(struct mx_detect_opts, slow_error_p95_us), true, T_MS},
	{"slow-obvious", "slow answers that make a slow resolver even below min-samples",
	 offsetof(struct mx_detect_opts, slow_min_obvious), false, T_COUNT},
	{"timeout-warn-pct", "unanswered share (%) for a WARN",
	 offsetof(struct mx_detect_opts, timeout_warn_pct), false, T_PCT},
	{"timeout-warn-min", "unanswered queries needed for a WARN",
	 offsetof(struct mx_detect_opts, timeout_warn_min), false, T_COUNT},
	{"timeout-error-pct", "unanswered share (%) for an ERROR",
	 offsetof(struct mx_detect_opts, timeout_error_pct), false, T_PCT},
	{"dead-min-queries", "unanswered queries (and no answer) that make a dead resolver",
	 offsetof(struct mx_detect_opts, dead_min_queries), false, T_COUNT},
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
	      "  -B KIB                  live: capture buffer size in KiB (at least the\n"
	      "                          snap length)\n"
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
	      "                          (repeatable, up to 8)\n"
	      "  --vxlan-port PORT       a UDP port that carries VXLAN, besides 4789,\n"
	      "                          4790 (VXLAN-GPE) and 8472 (Linux, flannel)\n"
	      "                          (repeatable, up to 3)\n", o);
	fprintf(o, "  --answer-timeout SEC    a query without a response after SEC seconds\n"
		   "                          is unanswered (fractions allowed; default %g)\n",
		(double)d.txn.answer_timeout_us / 1e6);
	fprintf(o, "  --retx-gap SEC          queries for the same question at most SEC\n"
		   "                          seconds apart form one lookup (default %g)\n",
		(double)d.lookup.retx_gap_us / 1e6);
	fprintf(o, "  --max-pending N         queries kept waiting for a response (default %zu)\n",
		d.txn.max_pending);
	fprintf(o, "  --max-recent N          answered and timed-out queries remembered for\n"
		   "                          %u s to tell late and duplicate responses\n"
		   "                          (default %zu, about 100 bytes each)\n",
		(unsigned)(d.txn.recent_us / 1000000u), d.txn.max_recent);
	fprintf(o, "  --max-lookups N         open lookups kept (default %zu)\n",
		d.lookup.max_open);
	fprintf(o, "  --max-chains N          open resolution chains kept (default %zu,\n"
		   "                          about 1 KiB each)\n",
		d.chain.max_open);
	fprintf(o, "  --top N                 rows of failing names (default %zu, 0 = all)\n",
		d.model.top_failing);
	fprintf(o, "  --full-findings N       findings of each pattern the text and Markdown\n"
		   "                          reports show in full, the rest one line each\n"
		   "                          (default %zu, 0 = all)\n",
		d.model.full_findings);
	fputs("\nDetectors:\n"
	      "  --list-detectors        list the failure-pattern detectors and exit\n"
	      "  --detectors LIST        run only these detectors (IDs or P-numbers,\n"
	      "                          comma separated; 'all' = every one)\n"
	      "  --no-detectors LIST     do not run these detectors\n"
	      "  --sender ADDR           the mail server(s) to judge (repeatable, up to 16);\n"
	      "                          default: every host that sends RD=1 queries\n"
	      "  --relayhost HOST        a relay host (smarthost) the sender sends all its\n"
	      "                          mail through without an MX lookup (Postfix\n"
	      "                          relayhost = [HOST]; \"[HOST]:PORT\" accepted, the\n"
	      "                          port where it connects, default 25): its address\n"
	      "                          lookups form chains (repeatable, up to 8)\n"
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
	fprintf(o, "  --stats-window SEC      window for resolver latency, timeout ratios and\n"
		   "                          truncation shares (default %g)\n", (double)d.detect.stats_window_us / 1e6);
	fprintf(o, "  --disagree-window SEC   two resolvers' answers to one question this close\n"
		   "                          are compared (default %g)\n",
		(double)d.detect.disagree_window_us / 1e6);
	fputs("  --threshold NAME=VALUE  change a detector threshold (repeatable):\n", o);
	for (size_t i = 0; i < sizeof(g_thresholds) / sizeof(g_thresholds[0]); i++) {
		/* "name (default N): what", its words wrapped at 80 columns */
		const char *w = g_thresholds[i].what;
		int col = fprintf(o, "                            %s (default %llu):", g_thresholds[i].name,
				  (unsigned long long)threshold_value(&d.detect, &g_thresholds[i]));

		while (*w != '\0') {
			int len = (int)strcspn(w, " ");

			if (col + 1 + len > 80)
				col = fprintf(o, "\n                              %.*s", len, w) - 1;
			else
				col += fprintf(o, " %.*s", len, w);
			w += len;
			w += strspn(w, " ");
		}
		fputc('\n', o);
	}
	fputs("  --fail-on SEVERITY      exit with status 1 when a finding of SEVERITY\n"
	      "                          (info, warn, error or crit) or above exists\n", o);
	fputs("\nOutput:\n"
	      "  -F FORMAT               report format: ", o);
	sink_names(o);
	fputs(" (default text)\n"
	      "  -o FILE                 write the report to FILE (default standard output)\n"
	      "  -w FILE                 live: also save the captured packets to FILE (pcap),\n"
	      "                          so that the report's frame numbers open in Wireshark\n"
	      "  --write-limit SIZE      stop saving before FILE grows past SIZE bytes (K, M,\n"
	      "                          G: KiB, MiB, GiB); the analysis goes on\n"
	      "  -n, --no-ui             no live view: write the report when the input ends\n"
	      "                          (the default unless -i and a terminal)\n"
	      "  --ui                    open the live view even for -r FILE or when standard\n"
	      "                          output is not a terminal (keys: see the manual or\n"
	      "                          press ? in the view)\n"
	      "  --speed N|max           with --ui -r: replay N times faster than recorded\n"
	      "                          (default 1, the recorded pace) or as fast as possible\n"
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

/* --write-limit: digits and an optional K, M or G (powers of 1024), from
 * 1 KiB to 1 TiB. */
static bool parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = s != NULL ? strlen(s) : 0;
	uint64_t mult = 1, v;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mult = 1024u; break;
	case 'm': case 'M': mult = 1024u * 1024u; break;
	case 'g': case 'G': mult = 1024u * 1024u * 1024u; break;
	default: break;
	}
	if (mult != 1)
		num[--n] = '\0';
	if (!parse_u64(num, 1, (1024ULL << 30) / mult, &v))
		return false;
	v *= mult;
	if (v < 1024u)
		return false;
	*out = v;
	return true;
}

/* Strict decimal seconds ("5", "0.25", ".5": digits and at most one point;
 * no sign, exponent, hex, inf or nan) from 0.000001 (one microsecond, the
 * clock's unit) to max_s, as microseconds. */
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

/* --speed: "max" (0) or a decimal factor in (0, 1e6]. */
static bool parse_speed(const char *s, double *out)
{
	uint64_t us;

	if (strcmp(s, "max") == 0) {
		*out = 0;
		return true;
	}
	if (!parse_seconds(s, 1e6, &us))   /* same syntax: digits and one dot */
		return false;
	*out = (double)us / 1e6;
	return true;
}

static int bad_value(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "mxsniff: %s: '%s' is not %s\n", opt, val, what);
	return -1;
}

/* --relayhost HOST, [HOST], [HOST]:PORT or HOST:PORT (Postfix's relayhost
 * syntax). PORT (default 25) is where the sender connects: a SYN to it at
 * an address of the relay chain ties the chain, and the decoder and the
 * live filter watch SYNs to it. An address literal needs no lookup and is
 * refused. */
static int parse_relayhost(const char *val, struct mx_pipeline_opts *po)
{
	struct mx_chain_opts *c = &po->chain;
	char buf[MX_DNAME_STRLEN];
	const char *s = val, *e;
	if (*s == '[') {
		s++;
		e = strchr(s, ']');
		if (!e || (e[1] != '\0' && e[1] != ':'))
			return bad_value("--relayhost", val, "HOST, [HOST] or [HOST]:PORT");
	} else {
		struct mx_addr a6;
		if (mx_addr_parse(s, &a6) == 0) /* a bare address, IPv6 included */
			return bad_value("--relayhost", val, "a host name (an address is used without a DNS lookup)");
		e = strchr(s, ':');
		if (!e)
			e = s + strlen(s);
	}
	size_t n = (size_t)(e - s);
	if (n == 0 || n >= sizeof buf)
		return bad_value("--relayhost", val, "a host name");
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct mx_addr a;
	if (mx_addr_parse(buf, &a) == 0)
		return bad_value("--relayhost", val, "a host name (an address is used without a DNS lookup)");
	uint16_t port = 25;
	const char *pe = s != val ? e + 1 : e; /* [HOST]: past the ']' */
	if (*pe == ':') {
		unsigned long v = 0;
		const char *d = pe + 1;
		if (!*d)
			return bad_value("--relayhost", val, "HOST, [HOST] or [HOST]:PORT");
		for (; *d; d++) {
			if (*d < '0' || *d > '9' || (v = v * 10 + (unsigned long)(*d - '0')) > 65535)
				return bad_value("--relayhost", val, "a relay host with a port from 1 to 65535");
		}
		if (v == 0)
			return bad_value("--relayhost", val, "a relay host with a port from 1 to 65535");
		port = (uint16_t)v;
	}
	if (c->n_relays >= MX_CHAIN_MAX_RELAYS) {
		fprintf(stderr, "mxsniff: --relayhost: at most %d relay hosts\n", MX_CHAIN_MAX_RELAYS);
		return -1;
	}
	if (mx_dname_from_text(buf, &c->relays[c->n_relays]) != 0 || c->relays[c->n_relays].len <= 1)
		return bad_value("--relayhost", val, "a host name");
	c->relay_ports[c->n_relays] = port;
	c->n_relays++;
	struct mx_decode_opts *d = &po->decode;
	bool have = port == 25;
	for (size_t i = 0; i < d->n_smtp_ports && !have; i++)
		have = d->smtp_ports[i] == port;
	if (!have && d->n_smtp_ports < sizeof d->smtp_ports / sizeof d->smtp_ports[0])
		d->smtp_ports[d->n_smtp_ports++] = port;
	return 0;
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

/* --vxlan-port: one more UDP port decoded as VXLAN (the defaults stay). */
static int add_vxlan_port(struct opts *o, const char *val)
{
	struct mx_decode_opts *d = &o->po.decode;
	uint64_t v;

	if (!parse_u64(val, 1, 65535, &v))
		return bad_value("--vxlan-port", val, "a port number from 1 to 65535");
	if (v == MX_DECODE_VXLAN_PORT || v == MX_DECODE_VXLAN_GPE_PORT)
		return 0;
	for (size_t i = 0; i < d->n_vxlan_ports; i++)
		if (d->vxlan_ports[i] == v)
			return 0;
	if (d->n_vxlan_ports >= sizeof(d->vxlan_ports) / sizeof(d->vxlan_ports[0])) {
		fprintf(stderr, "mxsniff: --vxlan-port: at most %zu ports besides 4789 and 4790\n",
			sizeof(d->vxlan_ports) / sizeof(d->vxlan_ports[0]));
		return -1;
	}
	d->vxlan_ports[d->n_vxlan_ports++] = (uint16_t)v;
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
		if (!parse_u64(eq + 1, t->lo, t->hi, &v)) {
			fprintf(stderr, "mxsniff: --threshold %s: '%s' is not a whole number from %llu to %llu\n",
				t->name, eq + 1, (unsigned long long)t->lo, (unsigned long long)t->hi);
			return -1;
		}
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
	o->ui = -1;
	o->speed = 1.0;
	o->sink = mx_sink_find("text");
	mx_pipeline_opts_default(&o->po);
	o->files = calloc(MAX_FILES, sizeof(*o->files));
	if (o->files == NULL) {
		fputs("mxsniff: out of memory\n", stderr);
		return -1;
	}
	opterr = 0;   /* option_error() says what is wrong, as "mxsniff: ..." */
	while ((c = getopt_long(argc, argv, ":r:i:s:B:pc:DZ:F:o:w:nqhV", g_long, NULL)) != -1) {
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
			o->format_set = true;
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
		case 'w':
			if (optarg[0] == '\0' || strcmp(optarg, "-") == 0)
				return bad_value("-w", optarg, "a file name (not standard output)");
			o->write_path = optarg;
			break;
		case OPT_WRITE_LIMIT:
			if (!parse_size(optarg, &o->write_limit))
				return bad_value("--write-limit", optarg,
						 "a size in bytes, with K, M or G for KiB, MiB or GiB, "
						 "from 1K to 1024G");
			break;
		case 'n':
			o->ui = 0;
			break;
		case OPT_UI:
			o->ui = 1;
			break;
		case OPT_SPEED:
			if (!parse_speed(optarg, &o->speed))
				return bad_value("--speed", optarg,
						 "'max' or a number like 2.5, from 0.000001 to 1000000");
			o->speed_set = true;
			break;
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
		case OPT_VXLAN_PORT:
			if (add_vxlan_port(o, optarg) != 0)
				return -1;
			break;
		case OPT_ANSWER_TIMEOUT:
			if (!parse_seconds(optarg, 3600, &o->po.txn.answer_timeout_us))
				return bad_value("--answer-timeout", optarg,
						 "a number of seconds like 2.5, from 0.000001 to 3600");
			o->po.lookup.answer_timeout_us = o->po.txn.answer_timeout_us;
			break;
		case OPT_RETX_GAP:
			if (!parse_seconds(optarg, 86400, &o->po.lookup.retx_gap_us))
				return bad_value("--retx-gap", optarg,
						 "a number of seconds like 2.5, from 0.000001 to 86400");
			break;
		case OPT_MAX_PENDING:
			if (!parse_u64(optarg, 1, MAX_TABLE, &v))
				return bad_value("--max-pending", optarg, "a number from 1 to 4194304");
			o->po.txn.max_pending = (size_t)v;
			break;
		case OPT_MAX_RECENT:
			if (!parse_u64(optarg, 1, MAX_TABLE, &v))
				return bad_value("--max-recent", optarg, "a number from 1 to 4194304");
			o->po.txn.max_recent = (size_t)v;
			break;
		case OPT_MAX_LOOKUPS:
			if (!parse_u64(optarg, 1, MAX_TABLE, &v))
				return bad_value("--max-lookups", optarg, "a number from 1 to 4194304");
			o->po.lookup.max_open = (size_t)v;
			break;
		case OPT_MAX_CHAINS:
			if (!parse_u64(optarg, 1, 65536, &v))
				return bad_value("--max-chains", optarg, "a number from 1 to 65536");
			o->po.chain.max_open = (size_t)v;
			break;
		case OPT_TOP:
			if (!parse_u64(optarg, 0, 1000000, &v))
				return bad_value("--top", optarg, "a number from 0 to 1000000");
			o->po.model.top_failing = (size_t)v;
			break;
		case OPT_FULL_FINDINGS:
			if (!parse_u64(optarg, 0, 1000000, &v))
				return bad_value("--full-findings", optarg, "a number from 0 to 1000000");
			o->po.model.full_findings = (size_t)v;
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
			/* every name in a list sets a bit: none set = nothing named
			 * (an empty variable in a script). Running no detector
			 * would report "no failure pattern found" without looking;
			 * an empty --no-detectors list just turns nothing off. */
			if (c == OPT_DETECTORS && bits == 0) {
				fputs("mxsniff: --detectors: the list is empty (give IDs or P-numbers, or 'all'; "
				      "see --list-detectors)\n", stderr);
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
		case OPT_RELAYHOST:
			if (parse_relayhost(optarg, &o->po) != 0)
				return -1;
			break;
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
				return bad_value("--chain-window", optarg, "a number of seconds like 2.5, from 0.000001 to 86400");
			o->po.detect.chain_window_us = o->po.chain.chain_window_us;
			break;
		case OPT_FALLBACK_WINDOW:
			if (!parse_seconds(optarg, 3600, &o->po.detect.fallback_window_us))
				return bad_value("--fallback-window", optarg, "a number of seconds like 2.5, from 0.000001 to 3600");
			break;
		case OPT_MIN_RETRY_GAP:
			if (!parse_seconds(optarg, 86400, &o->po.chain.min_retry_gap_us))
				return bad_value("--min-retry-gap", optarg, "a number of seconds like 2.5, from 0.000001 to 86400");
			o->po.detect.min_retry_gap_us = o->po.chain.min_retry_gap_us;
			break;
		case OPT_STATS_WINDOW:
			if (!parse_seconds(optarg, 86400, &o->po.detect.stats_window_us))
				return bad_value("--stats-window", optarg, "a number of seconds like 2.5, from 0.000001 to 86400");
			break;
		case OPT_DISAGREE_WINDOW:
			if (!parse_seconds(optarg, 86400, &o->po.detect.disagree_window_us))
				return bad_value("--disagree-window", optarg, "a number of seconds like 2.5, from 0.000001 to 86400");
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
		default:   /* '?' or ':' */
			return option_error(c, argv);
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
	if (o->nfiles == 0 && o->iface == NULL)
		return usage_error("give -r FILE to read a capture or -i INTERFACE to capture live");
	if (o->write_path != NULL && o->iface == NULL) {
		fputs("mxsniff: -w: writes a live capture (-i); a file read with -r already holds its "
		      "frames, numbered as the report numbers them\n", stderr);
		return -1;
	}
	if (o->write_limit && o->write_path == NULL) {
		fputs("mxsniff: --write-limit: only with -w FILE\n", stderr);
		return -1;
	}
	if (o->write_path != NULL && o->output != NULL && strcmp(o->write_path, o->output) == 0) {
		fputs("mxsniff: -w and -o name the same file\n", stderr);
		return -1;
	}
	if (o->po.detect.enabled == 0 && o->fail_on >= 0) {
		fputs("mxsniff: --fail-on: no detector runs (see --detectors and --no-detectors), "
		      "so it can never trigger\n", stderr);
		return -1;
	}
	if (o->sink == NULL) {
		fputs("mxsniff: no report format is built in\n", stderr);
		return -1;
	}
	if (optind < argc) {
		struct stat st;
		o->expr = join_args(argc - optind, argv + optind);
		if (o->expr == NULL) {
			fputs("mxsniff: out of memory\n", stderr);
			return -1;
		}
		if (stat(argv[optind], &st) == 0 && S_ISREG(st.st_mode))
			o->expr_file = argv[optind];
	}
	/* A capture buffer smaller than one packet of the snap length: Linux's
	 * ring then drops every packet that does not fit (with -B 64 and the
	 * default snap length: all of them), and the report would look like a
	 * quiet wire. */
	if (o->iface != NULL && o->buffer_kib > 0) {
		int snap = o->snaplen > 0 ? o->snaplen : 262144;
		int need = (snap + 1023) / 1024;

		if (o->buffer_kib < need) {
			fprintf(stderr, "mxsniff: -B %d: the capture buffer is smaller than the snapshot "
				"length (%d bytes), so the kernel would drop packets; give -B %d or more, "
				"or a smaller -s\n", o->buffer_kib, snap, need);
			return -1;
		}
	}
	/* accepted, but say what will not happen */
	if (o->po.detect.enabled == 0)
		fputs("mxsniff: warning: no detector runs: the report cannot show findings\n", stderr);
	if (o->nfiles > 0) {
		if (o->snaplen > 0)
			fputs("mxsniff: warning: -s has no effect when reading files\n", stderr);
		if (o->buffer_kib > 0)
			fputs("mxsniff: warning: -B has no effect when reading files\n", stderr);
		if (!o->promisc)
			fputs("mxsniff: warning: -p has no effect when reading files\n", stderr);
	}
	if (o->speed_set && o->iface != NULL)
		fputs("mxsniff: warning: --speed has no effect on a live capture\n", stderr);
	else if (o->speed_set && o->ui != 1)
		fputs("mxsniff: warning: --speed has no effect without --ui\n", stderr);
	return 0;
}

/* "EN10MB, LINUX_SLL, ..." : the link types the decoder accepts. */
static void supported_links(char *buf, size_t n)
{
	static const int dlts[] = {MX_DLT_EN10MB, MX_DLT_LINUX_SLL, MX_DLT_LINUX_SLL2, MX_DLT_NULL,
				   MX_DLT_LOOP, MX_DLT_RAW, MX_DLT_RAW_ALT, MX_DLT_RAW_LINKTYPE,
				   MX_DLT_IPV4, MX_DLT_IPV6, MX_DLT_PPP, MX_DLT_PPP_SERIAL,
				   MX_DLT_PPP_ETHER, MX_DLT_C_HDLC, MX_DLT_NFLOG};
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
		int dlt = mx_capture_input_dlt(c, i), dlts[MX_CAPTURE_MAX_DLTS];
		size_t k, nd = mx_capture_input_dlts(c, i, dlts, MX_CAPTURE_MAX_DLTS);
		char sup[256];

		/* a pcapng file is refused only when none of its interfaces can be
		 * decoded (frames of the others are counted link_unsupported); one
		 * that describes no interface has no frames */
		for (k = 0; k < nd && !mx_decode_linktype_ok(dlts[k]); k++)
			;
		if (nd == 0 || k < nd)
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

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
	/* privileges dropped (drop_privileges): reported with the capture */
	bool priv_dropped;
	char priv_user[64];
	uint32_t priv_uid, priv_gid;
};

/* The capture's counters, with the privilege drop main.c made. */
static void capture_stats(const struct run *r, struct mx_capture_stats *cs)
{
	mx_capture_stats(r->cap, cs);
	cs->priv_dropped = r->priv_dropped;
	if (r->priv_dropped) {
		snprintf(cs->priv_user, sizeof cs->priv_user, "%s", r->priv_user);
		cs->priv_uid = r->priv_uid;
		cs->priv_gid = r->priv_gid;
	}
}

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

/* Live, stopped by a signal (or q in the live view): the frames the kernel
 * already holds were captured before the stop, so they belong in the report
 * (a response left behind would make its query look unanswered). Reads
 * without waiting until the buffer is empty, -c is reached, or STOP_DRAIN_US
 * have passed (a busy wire keeps refilling it). */
static void drain_live(struct run *r, const struct opts *o)
{
	struct mx_frame f;
	char err[512];
	uint64_t start = mono_us(), n = 0;
	int rc, fd = mx_capture_fd(r->cap);

	while (o->count == 0 || r->frames < o->count) {
		rc = mx_capture_next(r->cap, &f, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "mxsniff: %s\n", err);
			r->failed = true;
		}
		if (rc == 0 && fd >= 0 && mono_us() - start < STOP_DRAIN_US) {
			/* the capture is buffered: the kernel hands over its
			 * current block within 100 ms (capture.c); wait for it
			 * once, and stop when nothing more comes */
			struct pollfd pfd = {fd, POLLIN, 0};
			if (poll(&pfd, 1, 250) > 0)
				continue;
		}
		if (rc != 1)
			return;
		feed(r, &f);
		if ((++n & 255u) == 0 && mono_us() - start >= STOP_DRAIN_US)
			return;
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
	drain_live(r, o);
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

/* 0 or -1; a note or the error goes into msg ("" when none) for the caller
 * to print (after the live view has given the terminal back). */
static int drop_privileges(const struct opts *o, bool live, struct run *r, char *msg, size_t n)
{
	char err[256];
	const char *user = o->user;

	msg[0] = '\0';
	if (geteuid() != 0) {
		if (o->user != NULL && !o->quiet)
			snprintf(msg, n, "mxsniff: note: not running as root, -Z %s has nothing to do\n",
				 o->user);
		return 0;
	}
	if (user == NULL) {
		if (!live)
			return 0;   /* reading files needs no root; keep what we are told */
		user = "nobody";
	}
	if (mx_priv_drop(user, err, sizeof(err)) != 0) {
		snprintf(msg, n, "mxsniff: %s%s\n", err, o->user == NULL ? " (choose another user with -Z)" : "");
		return -1;
	}
	r->priv_dropped = true;
	snprintf(r->priv_user, sizeof r->priv_user, "%s", user);
	r->priv_uid = (uint32_t)getuid();
	r->priv_gid = (uint32_t)getgid();
	return 0;
}

/* At the end of the input: a --sender address that sent no query has
 * nothing for the detectors to judge, and a report without findings would
 * read as a clean bill of health. The model's sender table holds every
 * source of RD=1 queries unless rows were evicted (then a missing row proves
 * nothing, and the note says so). Runs once, after the snapshot. */
static void note_silent_senders(const struct opts *o, const struct mx_snapshot *s)
{
	const struct mx_detect_opts *d = &o->po.detect;
	char a[MX_ADDR_STRLEN];

	if (o->quiet)
		return;
	for (size_t i = 0; i < d->n_senders; i++) {
		size_t k;

		for (k = 0; k < s->n_senders && !mx_addr_eq(&s->senders[k].addr, &d->senders[i]); k++)
			;
		if (k < s->n_senders)
			continue;
		mx_addr_format(&d->senders[i], a, sizeof(a));
		if (s->evicted_senders == 0)
			fprintf(stderr, "mxsniff: note: --sender %s sent no recursive (RD=1) DNS query in the "
				"capture\n", a);
		else
			fprintf(stderr, "mxsniff: note: --sender %s is not in the sender table (%llu rows "
				"evicted: its queries may have been among them)\n", a,
				(unsigned long long)s->evicted_senders);
	}
}

/* Live: packets the kernel or the interface dropped are missing from the
 * report, and a lost response looks like a timeout. A warning (also with
 * -q), after the statistics line. */
static void warn_drops(const struct mx_capture_stats *cs)
{
	if (!cs->live || (cs->ps_drop == 0 && cs->ps_ifdrop == 0))
		return;
	fprintf(stderr, "mxsniff: warning: %llu packets dropped by the kernel and %llu by the "
		"interface are not in the report; a query whose response was dropped looks "
		"unanswered (a larger -B helps)\n", (unsigned long long)cs->ps_drop,
		(unsigned long long)cs->ps_ifdrop);
}

/* Report mode: SIGINT/SIGTERM end the capture (a second ^C ends the program
 * at once). Live view: SIGHUP and SIGQUIT too, and every one only sets the
 * flag, so the loop always gets to restore the terminal. */
static void install_signals(bool ui)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = ui ? 0 : SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ui) {
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
	}
}

/* ---- the live view ------------------------------------------------------ */

#define UI_REFRESH_US 250000u       /* a new snapshot at most 4 times a second */
#define UI_IDLE_US 1000000u         /* and once a second when nothing moves */
#define UI_BUDGET_US 30000u         /* input read per round before keys and drawing */
#define UI_TICK_US 500000u          /* tick the pipeline between frames (quiet wire, paced replay) */

struct ui {
	struct run *r;
	const struct opts *o;
	bool live;
	struct mx_ui_curses *term;
	struct mx_ui_state st;
	struct mx_ui_frame fr;
	struct mx_snapshot snap;         /* what is shown */
	bool have_snap;
	const struct mx_sink_ops *ops;   /* report format */
	FILE *out;                       /* -o FILE (opened before the privilege drop) or NULL */
	bool input_done, finished, quit;
	bool fed;                        /* frames fed since the last snapshot */
	uint64_t start, next_snap, next_idle, next_tick;
	/* file replay */
	bool pending;                    /* pf holds a frame not yet due */
	struct mx_frame pf;
	bool paced;                      /* ts0/mono0 set */
	uint64_t ts0, mono0;
	/* DNS messages per second */
	bool rate_init, rate_windowed;
	uint64_t rate_t, rate_msgs;
	char written[1024];              /* the last report written from the view */
	char error[600];                 /* a capture error, printed after the view */
};

/* Render a snapshot with a fresh sink of the report format. */
static int write_snapshot_report(const struct mx_sink_ops *ops, FILE *f, const struct mx_snapshot *s)
{
	struct mx_sink *k = mx_sink_new(ops, f);
	int rc;

	if (k == NULL)
		return MX_ENOMEM;
	rc = mx_sink_open(k);
	if (rc == 0)
		rc = mx_sink_close(k, s);
	mx_sink_free(k);
	if (fflush(f) != 0 || ferror(f))
		rc = MX_EIO;
	return rc;
}

static void ui_stats(struct ui *u)
{
	struct mx_capture_stats cs;

	capture_stats(u->r, &cs);
	mx_pipeline_set_capture_stats(u->r->pipe, &cs);
}

/* A fresh snapshot of the model (with the input's own state). */
static int ui_take(struct ui *u, struct mx_snapshot *s)
{
	ui_stats(u);
	if (mx_pipeline_snapshot(u->r->pipe, s) != 0)
		return MX_ENOMEM;
	s->input_truncated = u->r->truncated;
	s->no_detectors = u->o->po.detect.enabled == 0;
	memcpy(s->input_error, u->r->input_error, sizeof(s->input_error));
	return 0;
}

static void ui_refresh(struct ui *u, uint64_t now)
{
	struct mx_snapshot s;
	uint64_t t;

	if (ui_take(u, &s) != 0) {
		snprintf(u->st.status, sizeof(u->st.status), "out of memory: the display is not refreshed");
		u->st.status_error = true;
		return;
	}
	if (u->have_snap)
		mx_snapshot_fini(&u->snap);
	u->snap = s;
	u->have_snap = true;
	u->fed = false;
	u->next_snap = now + UI_REFRESH_US;
	u->next_idle = now + UI_IDLE_US;
	/* DNS messages per second: wall clock live, capture time for files */
	t = u->live ? mono_us() : s.last_us;
	if (!u->rate_init) {
		u->rate_init = true;
		u->rate_t = t;
		u->rate_msgs = s.dns_messages;
	} else if (t >= u->rate_t + 1000000u) {
		uint64_t d = s.dns_messages - u->rate_msgs;

		u->st.rate_x10 = d * 10000000u / (t - u->rate_t);
		u->rate_windowed = true;
		u->rate_t = t;
		u->rate_msgs = s.dns_messages;
	} else if (!u->live && u->finished && !u->rate_windowed && s.last_us > s.first_us) {
		/* a short file (or --speed max): the average over the capture */
		u->st.rate_x10 = s.dns_messages * 10000000u / (s.last_us - s.first_us);
	}
}

static void ui_finish(struct ui *u)
{
	uint64_t end = u->r->last_ts;

	if (u->finished)
		return;
	if (u->live && wall_us() > end)
		end = wall_us();
	ui_stats(u);
	mx_pipeline_finish(u->r->pipe, end);
	u->finished = true;
	u->input_done = true;
	u->st.ended = true;
	u->fed = true;
}

/* "mxsniff-report-20260101T000000Z.md" from the capture time. */
static void report_name(const struct ui *u, const struct mx_snapshot *s, char *buf, size_t n)
{
	uint64_t ts = s->last_us ? s->last_us : wall_us();
	time_t t = (time_t)(ts / 1000000u);
	struct tm tm;
	const char *ext = strcmp(u->ops->name, "text") == 0 ? "txt" : u->ops->name;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, n, "mxsniff-report-%04d%02d%02dT%02d%02d%02dZ.%s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ext);
}

/* 'w': the current report to -o FILE, or to a new file in the current
 * directory (the temporary directory when that is not writable, e.g. after
 * dropping root). Says where on the status line. */
static void ui_write(struct ui *u)
{
	struct mx_snapshot s;
	char name[256], path[1024];
	FILE *f;
	int rc;

	u->st.status_error = true;
	if (ui_take(u, &s) != 0) {
		snprintf(u->st.status, sizeof(u->st.status), "out of memory: no report written");
		return;
	}
	if (u->out != NULL) {
		rewind(u->out);
		if (ftruncate(fileno(u->out), 0) != 0 && errno != EINVAL)   /* EINVAL: a pipe */
			clearerr(u->out);
		rc = write_snapshot_report(u->ops, u->out, &s);
		snprintf(path, sizeof(path), "%s", u->o->output);
	} else {
		const char *tmp = getenv("TMPDIR");

		report_name(u, &s, name, sizeof(name));
		snprintf(path, sizeof(path), "./%s", name);
		f = fopen(path, "w");
		if (f == NULL && (errno == EACCES || errno == EROFS || errno == EPERM)) {
			snprintf(path, sizeof(path), "%s/%s", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp", name);
			f = fopen(path, "w");
		}
		if (f == NULL) {
			snprintf(u->st.status, sizeof(u->st.status), "cannot write %.180s: %s", path, strerror(errno));
			mx_snapshot_fini(&s);
			return;
		}
		rc = write_snapshot_report(u->ops, f, &s);
		if (fclose(f) != 0 && rc == 0)
			rc = MX_EIO;
	}
	if (rc != 0) {
		snprintf(u->st.status, sizeof(u->st.status), "cannot write %.180s: %s", path,
			 errno ? strerror(errno) : mx_strerror(rc));
	} else {
		snprintf(u->written, sizeof(u->written), "%s", path);
		snprintf(u->st.status, sizeof(u->st.status), "%s report written to %.160s (%zu findings, %" PRIu64
			 " packets)", u->ops->name, path, s.n_findings, s.packets);
		u->st.status_error = false;
	}
	mx_snapshot_fini(&s);
}

static void ui_input_error(struct ui *u, const char *err, bool fatal)
{
	if (fatal) {
		snprintf(u->error, sizeof(u->error), "mxsniff: %s", err);
		u->r->failed = true;
		snprintf(u->st.status, sizeof(u->st.status), "capture stopped: %s (q quits)", err);
	} else {
		u->r->truncated = true;
		note_input_error(u->r->input_error, sizeof(u->r->input_error), err);
		snprintf(u->st.status, sizeof(u->st.status), "warning: %s; frames before it count", err);
	}
	u->st.status_error = true;
}

static bool ui_count_reached(const struct ui *u)
{
	return u->o->count != 0 && u->r->frames >= u->o->count;
}

/* Live: every frame available now, within a time budget. */
static void ui_read_live(struct ui *u, uint64_t now)
{
	struct mx_frame f;
	char err[512];
	uint64_t n = 0;
	int rc;

	while (!g_stop) {
		rc = mx_capture_next(u->r->cap, &f, err, sizeof(err));
		if (rc == 1) {
			feed(u->r, &f);
			u->fed = true;
			if (ui_count_reached(u)) {
				ui_finish(u);
				return;
			}
			if ((++n & 255u) == 0 && mono_us() - now >= UI_BUDGET_US)
				return;
			continue;
		}
		if (rc < 0) {
			ui_input_error(u, err, true);
			ui_finish(u);
		}
		break;
	}
	if (n == 0 && now >= u->next_tick) {   /* a quiet wire: timeouts still fire */
		mx_pipeline_tick(u->r->pipe, wall_us());   /* shown by the idle refresh */
		u->next_tick = now + UI_TICK_US;
	}
}

/* Files: frames that are due (recorded pace / N times faster / at once). */
static void ui_read_files(struct ui *u, uint64_t now, uint64_t *wait_us)
{
	char err[512];
	double speed = u->o->speed;
	uint64_t n = 0;
	int rc;

	*wait_us = 0;
	while (!g_stop) {
		if (!u->pending) {
			rc = mx_capture_next(u->r->cap, &u->pf, err, sizeof(err));
			if (rc == 0) {
				ui_finish(u);
				return;
			}
			if (rc < 0) {   /* a file cut short: go on with the next one */
				ui_input_error(u, err, false);
				continue;
			}
			u->pending = true;
		}
		if (speed > 0) {
			uint64_t due;

			if (!u->paced) {
				u->paced = true;
				u->ts0 = u->pf.ts_us;
				u->mono0 = now;
			}
			due = u->pf.ts_us <= u->ts0 ? u->mono0 :
			      u->mono0 + (uint64_t)((double)(u->pf.ts_us - u->ts0) / speed);
			if (due > now) {
				uint64_t vt = u->ts0 + (uint64_t)((double)(now - u->mono0) * speed);

				/* capture time goes on between frames, so timeouts show up
				 * when they would have (never beyond the next frame) */
				if (now >= u->next_tick && vt > u->r->last_ts && vt < u->pf.ts_us) {
					mx_pipeline_tick(u->r->pipe, vt);
					u->next_tick = now + UI_TICK_US;
					u->fed = true;
				}
				*wait_us = due - now;
				return;
			}
		}
		feed(u->r, &u->pf);
		u->pending = false;
		u->fed = true;
		if (ui_count_reached(u)) {
			ui_finish(u);
			return;
		}
		if ((++n & 255u) == 0 && mono_us() - now >= UI_BUDGET_US)
			return;
	}
}

static void ui_draw(struct ui *u)
{
	int w, h;

	if (mx_ui_curses_size(u->term, &w, &h) || u->fr.rows == NULL ||
	    w != u->fr.width || h != u->fr.height) {
		mx_ui_frame_fini(&u->fr);
		if (mx_ui_frame_init(&u->fr, w, h) != 0)
			return;
	}
	u->st.live = u->live;
	u->st.uptime_us = mono_us() - u->start;
	u->st.frames_now = u->r->frames;
	if (mx_ui_build(&u->fr, u->have_snap ? &u->snap : NULL, &u->st) != 0) {
		snprintf(u->st.status, sizeof(u->st.status), "out of memory drawing the view");
		u->st.status_error = true;
	}
	mx_ui_curses_draw(u->term, &u->fr);
}

static void ui_keys(struct ui *u, bool *redraw)
{
	int k;

	while ((k = mx_ui_curses_key(u->term)) != MX_KEY_NONE) {
		switch (mx_ui_key(&u->st, k)) {
		case MX_UI_ACT_NONE:
			break;
		case MX_UI_ACT_REDRAW:
			*redraw = true;
			break;
		case MX_UI_ACT_PAUSE:
			if (!u->st.paused)
				u->next_snap = 0;   /* resumed: show what happened meanwhile */
			*redraw = true;
			break;
		case MX_UI_ACT_WRITE:
			ui_write(u);
			*redraw = true;
			break;
		case MX_UI_ACT_QUIT:
			u->quit = true;
			return;
		}
	}
}

static void run_ui(struct ui *u)
{
	int cap_fd = u->live ? mx_capture_fd(u->r->cap) : -1;
	bool redraw = true;

	u->start = mono_us();
	while (!g_stop && !u->quit) {
		uint64_t now = mono_us(), wait = 0, timeout;
		struct pollfd pfd[2];
		nfds_t nfd = 0;
		int rc;

		/* 1. input first: the capture never waits for the screen */
		if (!u->input_done) {
			if (u->live)
				ui_read_live(u, now);
			else
				ui_read_files(u, now, &wait);
		}
		/* 2. keys */
		ui_keys(u, &redraw);
		if (u->quit || g_stop)
			break;
		/* 3. a new snapshot when due (not while paused) */
		now = mono_us();
		if (!u->st.paused && ((u->fed && now >= u->next_snap) || (u->live && now >= u->next_idle) ||
				      !u->have_snap)) {
			ui_refresh(u, now);
			redraw = true;
		} else if (u->st.paused && !u->input_done && now >= u->next_idle) {
			u->next_idle = now + UI_IDLE_US;   /* the packet count while paused */
			redraw = true;
		}
		/* 4. draw */
		if (redraw) {
			ui_draw(u);
			redraw = false;
		}
		/* 5. wait for the capture, a key, or the next refresh */
		if (!u->input_done && !u->live && u->o->speed <= 0)
			timeout = 0;   /* --speed max: more frames are waiting */
		else if (!u->input_done && !u->live)
			timeout = wait < UI_REFRESH_US ? wait : UI_REFRESH_US;
		else
			timeout = u->live && !u->input_done ? UI_REFRESH_US : UI_IDLE_US;
		if (u->fed && !u->st.paused && u->next_snap > now && u->next_snap - now < timeout)
			timeout = u->next_snap - now;
		pfd[nfd].fd = mx_ui_curses_fd(u->term);
		pfd[nfd].events = POLLIN;
		pfd[nfd++].revents = 0;
		if (cap_fd >= 0 && !u->input_done) {
			pfd[nfd].fd = cap_fd;
			pfd[nfd].events = POLLIN;
			pfd[nfd++].revents = 0;
		}
		rc = poll(pfd, nfd, (int)((timeout + 999u) / 1000u));
		if (rc < 0 && errno != EINTR) {
			snprintf(u->error, sizeof(u->error), "mxsniff: poll: %s", strerror(errno));
			u->r->failed = true;
			break;
		}
		if (rc < 0 || (rc > 0 && (pfd[0].revents & (POLLHUP | POLLERR)) != 0 &&
			       (pfd[0].revents & POLLIN) == 0)) {
			if (rc > 0) {   /* the terminal went away */
				g_stop = 1;
				break;
			}
			redraw = true;   /* EINTR: maybe SIGWINCH */
		}
	}
}

/* The whole live view: loop, terminal restored, then the final report (to
 * -o when given) and the paths of the reports written. Returns the status. */
static int ui_main(const struct opts *o, struct run *r, bool live, struct mx_ui_curses *term, FILE *out,
		   const char *note)
{
	struct ui u;
	struct mx_snapshot snap;
	int status = 0;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.o = o;
	u.live = live;
	u.term = term;
	mx_ui_state_init(&u.st);
	u.ops = o->format_set ? o->sink : mx_sink_find("md");
	if (u.ops == NULL)
		u.ops = mx_sink_find("text");
	u.out = out != stdout ? out : NULL;
	if (!live) {
		if (o->speed <= 0)
			snprintf(u.st.speed, sizeof(u.st.speed), "max");
		else
			snprintf(u.st.speed, sizeof(u.st.speed), "x%g", o->speed);
	}
	if (note[0] != '\0') {
		snprintf(u.st.status, sizeof(u.st.status), "%s", note + (strncmp(note, "mxsniff: ", 9) ? 0 : 9));
		u.st.status[strcspn(u.st.status, "\n")] = '\0';
	}
	run_ui(&u);
	if (live && !u.input_done)
		drain_live(r, o);   /* stopped by q or a signal: what the kernel holds */
	mx_ui_curses_close(term);   /* the terminal is back: messages may follow */
	mx_ui_frame_fini(&u.fr);
	if (u.have_snap)
		mx_snapshot_fini(&u.snap);
	if (note[0] != '\0')
		fputs(note, stderr);
	if (u.error[0] != '\0')
		fprintf(stderr, "%s\n", u.error);
	if (r->truncated)
		fprintf(stderr, "mxsniff: warning: %s; the report covers the frames before it\n", r->input_error);
	ui_finish(&u);
	if (ui_take(&u, &snap) != 0) {
		fputs("mxsniff: out of memory writing the report\n", stderr);
		return EXIT_ERR;
	}
	if (out != NULL) {
		if (out != stdout) {
			rewind(out);
			if (ftruncate(fileno(out), 0) != 0)
				clearerr(out);
		}
		if (write_snapshot_report(u.ops, out, &snap) != 0) {
			fprintf(stderr, "mxsniff: cannot write %s: %s\n", o->output, strerror(errno));
			status = EXIT_ERR;
		} else if (out != stdout && !o->quiet) {
			fprintf(stderr, "mxsniff: %s report written to %s\n", u.ops->name, o->output);
		}
	} else if (u.written[0] != '\0' && !o->quiet) {
		fprintf(stderr, "mxsniff: %s report written to %s\n", u.ops->name, u.written);
	}
	note_silent_senders(o, &snap);
	if (o->fail_on >= 0)
		for (size_t i = 0; i < snap.n_findings; i++)
			if ((int)snap.findings[i].sev >= o->fail_on && status == 0)
				status = 1;
	if (live && !o->quiet)
		fprintf(stderr, "mxsniff: %llu frames captured, %llu received by filter, "
			"%llu dropped by kernel, %llu dropped by interface\n",
			(unsigned long long)snap.capture.frames, (unsigned long long)snap.capture.ps_recv,
			(unsigned long long)snap.capture.ps_drop, (unsigned long long)snap.capture.ps_ifdrop);
	if (live)
		warn_drops(&snap.capture);
	mx_snapshot_fini(&snap);
	if (r->failed)
		status = EXIT_ERR;
	return status;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	struct mx_capture_stats cs;
	struct mx_snapshot snap;
	struct mx_sink *sink = NULL;
	struct mx_ui_curses *term = NULL;
	FILE *out = NULL;
	char err[512], filter[1024], note[512];
	const char *flt;
	bool live, use_ui;
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
					  o.po.decode.n_dns_ports, o.po.decode.smtp_ports,
					  o.po.decode.n_smtp_ports);
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
		/* not immediate mode: libpcap then uses fixed-size ring frames
		 * of the snap length (262144), and the default 2 MiB buffer
		 * holds 4 to 16 packets: a burst is dropped by the kernel
		 * (soak-live.sh: 592 of 600). Buffered (TPACKET_V3 blocks of
		 * packed packets, handed over at least every 100 ms) the same
		 * buffer holds thousands; the live view refreshes 4 times a
		 * second anyway. */
		lo.immediate = false;
		lo.filter_is_default = o.expr == NULL;
		rc = mx_capture_open_live(&r.cap, &lo, flt, err, sizeof(err));
		if (rc == 0 && err[0] != '\0')
			fprintf(stderr, "mxsniff: warning: %s\n", err);
		/* -w: created now, while privileged, like -o */
		if (rc == 0 && o.write_path != NULL)
			rc = mx_capture_save(r.cap, o.write_path, o.write_limit, err, sizeof(err));
	} else {
		rc = mx_capture_open_files(&r.cap, o.files, o.nfiles, flt, err, sizeof(err));
		if (rc == 0)
			g_file_cap = r.cap;
	}
	if (rc != 0) {
		fprintf(stderr, "mxsniff: %s\n", err);
		/* mxsniff -r *.pcap: the shell made the second file the start
		 * of a filter expression */
		if (o.expr_file != NULL && strstr(err, "filter expression") != NULL)
			fprintf(stderr, "mxsniff: '%s' is a file, read here as the start of a filter expression: "
				"give each file its own -r (mxsniff -r FILE1 -r FILE2 ...)\n", o.expr_file);
		status = EXIT_ERR;
		goto out;
	}
	if (check_links(r.cap) != 0) {
		status = EXIT_ERR;
		goto out;
	}

	/* 2. output. The live view: on a terminal for -i, or --ui; its reports
	 * go to -o FILE (opened now, while privileged) or to files that 'w'
	 * creates, never to the terminal it draws on. */
	use_ui = o.ui == 1 || (o.ui < 0 && live && mx_ui_curses_isatty());
	if (!use_ui || o.output != NULL) {
		out = open_output(&o);
		if (out == NULL) {
			status = EXIT_ERR;
			goto out;
		}
	}
	install_signals(use_ui);
	if (use_ui) {
		/* curses starts before the privilege drop (it may open /dev/tty) */
		rc = mx_ui_curses_open(&term, err, sizeof(err));
		if (rc != 0 && o.ui == 1) {
			fprintf(stderr, "mxsniff: --ui: %s\n", err);
			status = EXIT_ERR;
			goto out;
		}
		if (rc != 0) {
			fprintf(stderr, "mxsniff: warning: %s; writing the report instead\n", err);
			use_ui = false;
			install_signals(false);
			if (out == NULL)
				out = stdout;
		}
	}

	/* 3. privileges: nothing is opened after this */
	if (drop_privileges(&o, live, &r, note, sizeof(note)) != 0) {
		mx_ui_curses_close(term);
		term = NULL;
		fputs(note, stderr);
		status = EXIT_ERR;
		goto out;
	}
	if (!use_ui)
		fputs(note, stderr);

	/* Only the live view shows the recent-transaction list: without it the
	 * model need not keep one (a cache line written per transaction). */
	if (!use_ui)
		o.po.model.recent = 0;
	r.pipe = mx_pipeline_new(&o.po);
	/* and only it shows the chains still open (the reports judge closed
	 * ones only): their records are built when a snapshot is taken */
	if (r.pipe != NULL && use_ui)
		mx_pipeline_set_open_chains(r.pipe, true);
	if (!use_ui)
		sink = mx_sink_new(o.sink, out);
	if (r.pipe == NULL || (!use_ui && sink == NULL)) {
		mx_ui_curses_close(term);
		term = NULL;
		fputs("mxsniff: out of memory\n", stderr);
		status = EXIT_ERR;
		goto out;
	}
	mx_pipeline_set_source(r.pipe, mx_capture_source(r.cap), mx_capture_filter(r.cap), live);
	/* the live view shows what the detectors hold back (pending findings) */
	mx_pipeline_set_pending(r.pipe, use_ui);
	if (use_ui) {
		status = ui_main(&o, &r, live, term, out, note);
		term = NULL;   /* closed by ui_main */
		goto out;
	}
	if (mx_sink_open(sink) != 0 || mx_pipeline_add_sink(r.pipe, sink) != 0) {
		fprintf(stderr, "mxsniff: cannot start the %s report\n", o.sink->name);
		status = EXIT_ERR;
		goto out;
	}
	if (live) {
		if (!o.quiet) {
			fprintf(stderr, "mxsniff: listening on %s, link-type %s, snapshot length %d bytes\n",
				o.iface, mx_capture_dlt_name(mx_capture_input_dlt(r.cap, 0)),
				o.snaplen > 0 ? o.snaplen : 262144);
			flt = mx_capture_filter(r.cap);
			fprintf(stderr, "mxsniff: filter: %s\n",
				flt != NULL && flt[0] != '\0' ? flt : "(none)");
		}
		run_live(&r, &o);
	} else {
		run_files(&r, &o);
	}

	/* 4. the report */
	capture_stats(&r, &cs);
	if (cs.back_steps > 0)
		fprintf(stderr, "mxsniff: warning: time goes back %llu time%s, by up to %llu.%06llu s, "
			"first at frame %llu: the capture is not in time order (files given out of "
			"order, or joined with mergecap -a or cat); latencies and timeouts across "
			"such a step are not reliable\n", (unsigned long long)cs.back_steps,
			cs.back_steps == 1 ? "" : "s", (unsigned long long)(cs.back_max_us / 1000000u),
			(unsigned long long)(cs.back_max_us % 1000000u),
			(unsigned long long)cs.back_first_frame);
	mx_pipeline_set_capture_stats(r.pipe, &cs);
	mx_pipeline_finish(r.pipe, live && wall_us() > r.last_ts ? wall_us() : r.last_ts);
	if (mx_pipeline_snapshot(r.pipe, &snap) != 0) {
		fputs("mxsniff: out of memory writing the report\n", stderr);
		status = EXIT_ERR;
		goto out;
	}
	snap.input_truncated = r.truncated;
	snap.no_detectors = o.po.detect.enabled == 0;
	memcpy(snap.input_error, r.input_error, sizeof(snap.input_error));
	if (mx_sink_close(sink, &snap) != 0 || fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "mxsniff: cannot write %s: %s\n",
			o.output != NULL ? o.output : "the report", strerror(errno));
		status = EXIT_ERR;
	}
	note_silent_senders(&o, &snap);
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
	warn_drops(&cs);
	if (r.failed)
		status = EXIT_ERR;
out:
	mx_ui_curses_close(term);
	mx_sink_free(sink);
	mx_pipeline_free(r.pipe);
	g_file_cap = NULL;
	mx_capture_free(r.cap);
	if (out != NULL && out != stdout && fclose(out) != 0 && status == 0) {
		fprintf(stderr, "mxsniff: cannot write %s: %s\n", o.output, strerror(errno));
		status = EXIT_ERR;
	}
	free(o.files);
	free(o.expr);
	return status;
}
