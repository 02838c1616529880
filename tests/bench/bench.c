/* bench.c - mxsniff benchmark runner (test tool, not part of mxsniff).
 *
 *   bench [-n REPEAT] MXSNIFF FILE [EXTRA-ARGS...]
 *
 * Does: (1) time a bare libpcap loop over FILE (pcap_next_ex, touching one
 * byte in every 64 of each packet so the reads are real), best of REPEAT runs
 * (default 3) after one warm-up pass that also loads the page cache;
 * (2) run the real binary `MXSNIFF -r FILE -o /dev/null EXTRA-ARGS` (the
 * whole analysis and the default text report: the headline figure) REPEAT
 * times with fork/exec, taking its CPU time (user+sys) and peak resident set
 * (ru_maxrss) from wait4(); (3) the same with `-F json` (every transaction and
 * lookup streamed as JSON), printed for information on a second line.
 * Prints packets/s for each (by CPU time), the ratio to the bare loop and the
 * peak memory in MiB, then one machine-readable line starting with "BENCH "
 * for tests/bench/run.sh (ratio/rss_mib: text report; json_*: JSON output).
 * MXSNIFF "-" skips (2) and (3).
 * Exit status: 0, or 1 if the file cannot be read or mxsniff fails.
 * Does not: interpret mxsniff's output (it goes to /dev/null).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

struct bare {
	uint64_t packets, bytes, sum;
	double cpu, wall;
};

static int bare_loop(const char *path, struct bare *b)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "bench: %s\n", err);
		return -1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;
	uint64_t n = 0, bytes = 0, sum = 0;
	double c0 = self_cpu(), w0 = now_s();
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->caplen;
		for (uint32_t i = 0; i < h->caplen; i += 64)
			sum += d[i];
		if (h->caplen)
			sum += d[h->caplen - 1];
	}
	b->cpu = self_cpu() - c0;
	b->wall = now_s() - w0;
	if (rc == -1)
		fprintf(stderr, "bench: %s: %s (counted %llu packets before it)\n", path, pcap_geterr(p),
			(unsigned long long)n);
	pcap_close(p);
	b->packets = n;
	b->bytes = bytes;
	b->sum = sum;
	return 0;
}

struct run {
	double cpu, wall;
	long maxrss_kib;
	int status; /* exit code, or 128+signal */
};

static int run_mxsniff(const char *bin, const char *path, bool json, char **extra, int nextra,
		       struct run *r)
{
	char **av = calloc((size_t)nextra + 8, sizeof *av);
	if (!av)
		return -1;
	int k = 0;
	av[k++] = (char *)(uintptr_t)bin;
	av[k++] = (char *)(uintptr_t)"-r";
	av[k++] = (char *)(uintptr_t)path;
	if (json) {
		av[k++] = (char *)(uintptr_t)"-F";
		av[k++] = (char *)(uintptr_t)"json";
	}
	av[k++] = (char *)(uintptr_t)"-o";
	av[k++] = (char *)(uintptr_t)"/dev/null";
	for (int i = 0; i < nextra; i++)
		av[k++] = extra[i];
	av[k] = NULL;
	double w0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		free(av);
		return -1;
	}
	if (pid == 0) {
		execv(bin, av);
		fprintf(stderr, "bench: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	int st;
	struct rusage ru;
	pid_t w;
	do
		w = wait4(pid, &st, 0, &ru);
	while (w < 0 && errno == EINTR);
	free(av);
	if (w < 0)
		return -1;
	r->wall = now_s() - w0;
	r->cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	r->maxrss_kib = ru.ru_maxrss; /* Linux: KiB */
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

/* Best CPU time (and max peak RSS) of `repeat` runs of one command line. */
static int best_of(const char *bin, const char *path, bool json, char **extra, int nextra, int repeat,
		   const struct bare *bare, double bare_pps, struct run *best, long *maxrss)
{
	struct run r;
	*maxrss = 0;
	for (int i = 0; i < repeat; i++) {
		if (run_mxsniff(bin, path, json, extra, nextra, &r) != 0) {
			fprintf(stderr, "bench: cannot run %s: %s\n", bin, strerror(errno));
			return -1;
		}
		if (r.status != 0) {
			fprintf(stderr, "bench: %s%s exited with status %d\n", bin, json ? " -F json" : "",
				r.status);
			printf("BENCH packets=%llu bare_cpu=%.4f bare_pps=%.0f mx_status=%d\n",
			       (unsigned long long)bare->packets, bare->cpu, bare_pps, r.status);
			return -1;
		}
		if (i == 0 || r.cpu < best->cpu)
			*best = r;
		if (r.maxrss_kib > *maxrss)
			*maxrss = r.maxrss_kib;
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: bench [-n REPEAT] MXSNIFF|- FILE [EXTRA-ARGS...]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	int repeat = 3, opt;
	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt == 'n')
			repeat = atoi(optarg);
		else
			usage();
	}
	if (repeat < 1 || argc - optind < 2)
		usage();
	const char *bin = argv[optind], *path = argv[optind + 1];
	char **extra = argv + optind + 2;
	int nextra = argc - optind - 2;
	struct stat sb;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return 1;
	}

	struct bare best, b;
	if (bare_loop(path, &b) != 0) /* warm-up: page cache */
		return 1;
	best = b;
	for (int i = 0; i < repeat; i++) {
		if (bare_loop(path, &b) != 0)
			return 1;
		if (b.cpu < best.cpu)
			best = b;
	}
	if (best.packets == 0) {
		fprintf(stderr, "bench: %s: no packets\n", path);
		return 1;
	}
	double bare_cpu = best.cpu > 1e-6 ? best.cpu : 1e-6;
	double bare_pps = (double)best.packets / bare_cpu;

	printf("file        %s (%.1f MB, %llu packets, %.1f MB captured)\n", path, (double)sb.st_size / 1e6,
	       (unsigned long long)best.packets, (double)best.bytes / 1e6);
	printf("bare loop   %8.3f s cpu %8.3f s wall %12.0f pkt/s   (checksum %llu)\n", best.cpu, best.wall,
	       bare_pps, (unsigned long long)(best.sum & 0xffff));

	if (strcmp(bin, "-") == 0) {
		printf("BENCH packets=%llu bare_cpu=%.4f bare_pps=%.0f\n", (unsigned long long)best.packets,
		       best.cpu, bare_pps);
		return 0;
	}
	struct run text, json;
	long text_rss, json_rss;
	if (best_of(bin, path, false, extra, nextra, repeat, &best, bare_pps, &text, &text_rss) != 0 ||
	    best_of(bin, path, true, extra, nextra, repeat, &best, bare_pps, &json, &json_rss) != 0)
		return 1;
	double mx_cpu = text.cpu > 1e-6 ? text.cpu : 1e-6, js_cpu = json.cpu > 1e-6 ? json.cpu : 1e-6;
	double mx_pps = (double)best.packets / mx_cpu, js_pps = (double)best.packets / js_cpu;
	double ratio = mx_cpu / bare_cpu, js_ratio = js_cpu / bare_cpu;
	double mib = (double)text_rss / 1024.0, js_mib = (double)json_rss / 1024.0;
	printf("mxsniff     %8.3f s cpu %8.3f s wall %12.0f pkt/s   (-r FILE -o /dev/null: text report)\n",
	       text.cpu, text.wall, mx_pps);
	printf("ratio       %8.2fx (mxsniff cpu / bare loop cpu; target <= 5x)\n", ratio);
	printf("peak rss    %8.1f MiB (mxsniff, max of %d runs)\n", mib, repeat);
	printf("json        %8.3f s cpu %8.3f s wall %12.0f pkt/s   %.2fx, %.1f MiB (-F json, for information)\n",
	       json.cpu, json.wall, js_pps, js_ratio, js_mib);
	printf("BENCH packets=%llu bare_cpu=%.4f bare_pps=%.0f mx_cpu=%.4f mx_wall=%.4f mx_pps=%.0f "
	       "ratio=%.3f rss_mib=%.2f json_cpu=%.4f json_pps=%.0f json_ratio=%.3f json_rss_mib=%.2f "
	       "mx_status=0\n",
	       (unsigned long long)best.packets, best.cpu, bare_pps, text.cpu, text.wall, mx_pps, ratio, mib,
	       json.cpu, js_pps, js_ratio, js_mib);
	return 0;
}
