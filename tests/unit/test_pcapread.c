/* test_pcapread.c - capture.c's own classic-pcap reader against libpcap.
 *
 * Every capture under captures/ (any depth; pcapng files, which libpcap 1.10
 * cannot always read, are left to test_capture.c) is read twice by
 * mx_capture_* and once by libpcap (pcap_open_offline_with_tstamp_precision,
 * microseconds, then pcap_next_ex), and any difference in frame count, time
 * (us), caplen, len, link type, frame bytes, or in how the file ends (clean,
 * cut off, damaged, refused at open) fails the test:
 *  - from the file itself (a regular file: capture.c maps it);
 *  - through a FIFO fed by a child in pieces of changing size (capture.c's
 *    buffered reader, as for stdin or a pipe).
 * More files can be given in MXSNIFF_PCAPREAD_EXTRA (colon-separated; e.g.
 * the benchmark capture), not by ctest.
 *
 * The two differences capture.c makes on purpose are checked as such:
 * record times are unsigned (libpcap 1.10 reads a second count >= 2^31, a
 * time after 2038, as negative), and the link type is the low 16 bits of
 * the header field (libpcap keeps 26).
 * A record larger than the 1 MiB read buffer (D-Bus link type, whose limit
 * is 128 MiB) is checked through the FIFO as well, and a file that grows
 * while it is read is read up to its size at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mxsniff/capture.h"
#include "mxsniff/err.h"

static char g_dir[64];
static char g_fifo[128];
static unsigned g_files, g_frames, g_failures, g_unsigned_times;

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/mxsniff-pcapread-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	snprintf(g_fifo, sizeof(g_fifo), "%s/fifo", g_dir);
	if (mkfifo(g_fifo, 0600) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(g_fifo);
	snprintf(p, sizeof(p), "%s/big.pcap", g_dir);
	unlink(p);
	rmdir(g_dir);
	return 0;
}

static void failf(const char *path, const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failf(const char *path, const char *mode, const char *fmt, ...)
{
	va_list ap;

	printf("DIFFERENCE %s (%s): ", path, mode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	g_failures++;
}

/* A child writes `path` into the FIFO in pieces of 1 to 4099 bytes (a
 * fixed sequence), so that the reader sees short reads at every offset. */
static pid_t feed_fifo(const char *path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	{
		FILE *in = fopen(path, "rb");
		int out = open(g_fifo, O_WRONLY);
		static uint8_t buf[1 << 16];
		unsigned seed = 7;
		size_t n, k;

		if (in == NULL || out < 0)
			_exit(1);
		for (;;) {
			seed = seed * 1103515245u + 12345u;
			n = fread(buf, 1, 1 + (seed >> 16) % 4099, in);
			if (n == 0)
				break;
			for (k = 0; k < n;) {
				ssize_t w = write(out, buf + k, n - k);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					_exit(0);   /* the reader stopped (EPIPE) */
				k += (size_t)w;
			}
		}
		_exit(0);
	}
}

static bool is_pcapng(const char *path)
{
	FILE *fp = fopen(path, "rb");
	int ch = fp != NULL ? getc(fp) : EOF;

	if (fp != NULL)
		fclose(fp);
	return ch == 0x0A;
}

/* Our open error for libpcap's: the texts mxsniff has always shown. */
static bool open_errors_agree(const char *lp, const char *ours)
{
	if (strstr(lp, "unknown file format") != NULL)
		return strstr(ours, "not a pcap or pcapng file") != NULL;
	if (strstr(lp, "only got 0") != NULL && strstr(lp, "file header") != NULL)
		return strstr(ours, "the file is empty") != NULL;
	if (strstr(lp, "truncated") != NULL)
		return strstr(ours, "the file header is cut off") != NULL;
	return strstr(ours, lp) != NULL;
}

/* Compare one file: ours read from `ourpath` (the file, or the FIFO fed
 * with it), libpcap's from the file. */
static void compare(const char *path, bool fifo)
{
	const char *mode = fifo ? "fifo" : "file";
	char ebuf[PCAP_ERRBUF_SIZE], err[512];
	const char *ourpath = fifo ? g_fifo : path;
	struct mx_capture *c = NULL;
	pcap_t *lp;
	pid_t child = -1;
	int rc, rl;
	uint64_t n = 0;

	ebuf[0] = err[0] = '\0';
	if (fifo)
		child = feed_fifo(path);   /* first: the child holds nothing to free */
	lp = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	rc = mx_capture_open_files(&c, &ourpath, 1, NULL, err, sizeof(err));
	if (lp == NULL || rc != 0) {
		if (lp != NULL)
			failf(path, mode, "libpcap opens it, mxsniff does not: %s", err);
		else if (rc == 0)
			failf(path, mode, "mxsniff opens it, libpcap does not: %s", ebuf);
		else if (!open_errors_agree(ebuf, err))
			failf(path, mode, "refused for other reasons: libpcap \"%s\", mxsniff \"%s\"",
			      ebuf, err);
		goto out;
	}
	g_files++;
	if (mx_capture_input_dlt(c, 0) != pcap_datalink(lp))
		failf(path, mode, "link type %d, libpcap %d", mx_capture_input_dlt(c, 0),
		      pcap_datalink(lp));
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		struct mx_frame f;

		rl = pcap_next_ex(lp, &h, &d);
		rc = mx_capture_next(c, &f, err, sizeof(err));
		if (rl != 1 || rc != 1)
			break;
		n++;
		g_frames++;
		{
			uint64_t want;

			if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0) {
				/* libpcap 1.10 read a field >= 2^31 as negative; the
				 * format says unsigned (only a microsecond file can be
				 * undone here: the nanosecond scaling lost the bits) */
				want = (uint64_t)(uint32_t)h->ts.tv_sec * 1000000u +
				       (uint32_t)h->ts.tv_usec;
				g_unsigned_times++;
			} else {
				want = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			}
			if (f.ts_us != want)
				failf(path, mode, "frame %llu: time %llu us, libpcap %llu us",
				      (unsigned long long)n, (unsigned long long)f.ts_us,
				      (unsigned long long)want);
		}
		if (f.frame != n)
			failf(path, mode, "frame %llu numbered %llu", (unsigned long long)n,
			      (unsigned long long)f.frame);
		if (f.caplen != h->caplen || f.len != h->len)
			failf(path, mode, "frame %llu: caplen/len %u/%u, libpcap %u/%u",
			      (unsigned long long)n, f.caplen, f.len, h->caplen, h->len);
		else if (memcmp(f.data, d, h->caplen) != 0)
			failf(path, mode, "frame %llu: bytes differ", (unsigned long long)n);
		if (f.linktype != pcap_datalink(lp))
			failf(path, mode, "frame %llu: link type %d, libpcap %d",
			      (unsigned long long)n, f.linktype, pcap_datalink(lp));
	}
	if (rl == 1 || rc == 1) {
		failf(path, mode, "after %llu frames: %s ends first", (unsigned long long)n,
		      rl == 1 ? "mxsniff" : "libpcap");
	} else if (rl == PCAP_ERROR_BREAK) {
		if (rc != 0)
			failf(path, mode, "libpcap ends cleanly after %llu frames, mxsniff: %s",
			      (unsigned long long)n, err);
	} else {
		const char *why = pcap_geterr(lp);
		bool cut = strstr(why, "truncated") != NULL;

		if (cut && rc != MX_ETRUNC)
			failf(path, mode, "libpcap: cut off (%s); mxsniff: %d %s", why, rc, err);
		else if (!cut && (rc != MX_EFORMAT || strstr(err, why) == NULL))
			failf(path, mode, "libpcap: damaged (%s); mxsniff: %d %s", why, rc, err);
	}
out:
	mx_capture_free(c);
	if (lp != NULL)
		pcap_close(lp);
	if (child > 0) {
		int st;

		/* a reader that stopped early leaves the writer blocked on a
		 * full pipe or opening the FIFO: it is not needed any more */
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
	}
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t l = strlen(path);

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (!(l > 5 && strcmp(path + l - 5, ".pcap") == 0) &&
	    !(l > 4 && strcmp(path + l - 4, ".cap") == 0) &&
	    !(l > 7 && strcmp(path + l - 7, ".pcapng") == 0))
		return 0;
	if (is_pcapng(path))
		return 0;
	compare(path, false);
	compare(path, true);
	return 0;
}

static void every_capture_as_libpcap_reads_it(void **state)
{
	const char *extra = getenv("MXSNIFF_PCAPREAD_EXTRA");

	(void)state;
	g_files = g_frames = g_failures = g_unsigned_times = 0;
	assert_int_equal(nftw(MX_CAPTURES, visit, 16, FTW_PHYS), 0);
	if (extra != NULL && extra[0] != '\0') {
		char *list = strdup(extra), *save = NULL, *p;

		assert_non_null(list);
		for (p = strtok_r(list, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
			compare(p, false);
			compare(p, true);
		}
		free(list);
	}
	printf("pcapread: %u file reads, %u frames compared, %u times libpcap read as "
	       "negative, %u differences\n", g_files, g_frames, g_unsigned_times, g_failures);
	/* the edge cases are there: captures/synthetic/pcap-edge/ */
	assert_true(g_files > 100);
	assert_true(g_unsigned_times > 0);
	assert_int_equal(g_failures, 0);
}

static void put32(FILE *fp, uint32_t v)
{
	assert_int_equal(fwrite(&v, 4, 1, fp), 1);
}

/* A microsecond pcap 2.4 header in our byte order. */
static void put_header(FILE *fp, uint32_t snaplen, uint32_t linktype)
{
	put32(fp, 0xa1b2c3d4);
	put32(fp, 2 | 4u << 16);
	put32(fp, 0);
	put32(fp, 0);
	put32(fp, snaplen);
	put32(fp, linktype);
}

/* The same, snap length 65535, Ethernet. */
static void put_eth_header(FILE *fp)
{
	put_header(fp, 65535, 1);
}

/* A record of 4 bytes, 01 02 03 04 (or `data` in our byte order). */
static void put_small_record(FILE *fp, uint32_t sec, uint32_t usec, uint32_t data)
{
	put32(fp, sec);
	put32(fp, usec);
	put32(fp, 4);
	put32(fp, 4);
	put32(fp, data);
}

/* Records larger than the reader's 1 MiB buffer, through the FIFO. */
static void records_larger_than_the_buffer(void **state)
{
	static const uint32_t sizes[] = {3u << 20, 10, (3u << 19) + 7, 1, 0, 2u << 20};
	char path[160];
	FILE *fp;
	uint8_t *b = malloc(3u << 20);
	size_t i, k;

	(void)state;
	assert_non_null(b);
	snprintf(path, sizeof(path), "%s/big.pcap", g_dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	put_header(fp, 0, 231);   /* LINKTYPE_DBUS, snap length 0: 128 MiB for D-Bus */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (k = 0; k < sizes[i]; k++)
			b[k] = (uint8_t)(k * 7 + i);
		put32(fp, 1767225600u + (uint32_t)i);
		put32(fp, (uint32_t)i * 1000u);
		put32(fp, sizes[i]);
		put32(fp, sizes[i]);
		assert_int_equal(fwrite(b, 1, sizes[i], fp), sizes[i]);
	}
	assert_int_equal(fclose(fp), 0);
	free(b);
	g_failures = 0;
	compare(path, true);
	compare(path, false);
	assert_int_equal(g_failures, 0);
}

/* The two differences from libpcap 1.10, on purpose. */
static void unsigned_times_and_16_bit_link_type(void **state)
{
	char path[160], err[256];
	const char *p = path;
	struct mx_capture *c = NULL;
	struct mx_frame f;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.pcap", g_dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	put_header(fp, 65535, 0x00030001);  /* reserved bits 16-25 set: Ethernet all the same */
	put32(fp, 0xfffffffe);  /* 2106-02-07T06:28:14Z */
	put32(fp, 0x80000000);  /* 2147483648 us, as the field says */
	put32(fp, 4);
	put32(fp, 4);
	put32(fp, 0x01020304);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlt(c, 0), MX_DLT_EN10MB);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_true(f.ts_us == UINT64_C(0xfffffffe) * 1000000u + UINT64_C(0x80000000));
	assert_int_equal(f.linktype, MX_DLT_EN10MB);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

/* A file that grows while it is read (a capture still being written): read
 * up to the size it had at open, and that end is a clean one. */
static void file_growing_while_read(void **state)
{
	char path[160], err[256];
	const char *p = path;
	struct mx_capture *c = NULL;
	struct mx_frame f;
	FILE *fp;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/big.pcap", g_dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	put_eth_header(fp);
	for (i = 0; i < 2; i++) {
		put_small_record(fp, 1767225600u, (uint32_t)i, 0x01020304);
	}
	assert_int_equal(fflush(fp), 0);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	/* the writer goes on: a whole record and half of the next */
	put_small_record(fp, 1767225601u, 0, 0x01020304);
	put32(fp, 1767225602u);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_true(f.ts_us == UINT64_C(1767225600000001));
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

/* A file shortened while it is read (tcpdump -W reopening the oldest file
 * of its ring with O_TRUNC): no SIGBUS, the frames before the cut come out
 * whole, then MX_ETRUNC says the file was shortened, and no frame of zeros
 * from past the cut is handed out. `how`: 0 = cut inside the record that
 * straddles the first page boundary (its last byte faults), 1 = cut at the
 * start of that record, inside the page (the rest of the page reads as
 * zeros), 2 = truncated to nothing and written again with a small pcap. */
#define SHORT_LEN 200u
static void shortened_case(int how)
{
	char path[160], err[256];
	const char *p = path;
	struct mx_capture *c = NULL;
	struct mx_frame f;
	struct sigaction before, now;
	FILE *fp;
	uint8_t b[SHORT_LEN];
	size_t page = (size_t)sysconf(_SC_PAGESIZE), rec = 16 + SHORT_LEN, n = 3 * page / rec + 2;
	size_t straddle = (page - 24) / rec;   /* the record across the first boundary */
	size_t cut, got = 0, k;
	int rc;

	snprintf(path, sizeof(path), "%s/shrink.pcap", g_dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	put_eth_header(fp);
	for (size_t i = 0; i < n; i++) {
		memset(b, (int)(i % 251) + 1, sizeof(b));
		put32(fp, 1767225600u + (uint32_t)i);
		put32(fp, 0);
		put32(fp, SHORT_LEN);
		put32(fp, SHORT_LEN);
		assert_int_equal(fwrite(b, 1, sizeof(b), fp), sizeof(b));
	}
	assert_int_equal(fclose(fp), 0);
	assert_true(24 + straddle * rec < page && 24 + (straddle + 1) * rec > page);
	assert_int_equal(sigaction(SIGBUS, NULL, &before), 0);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	/* three frames read before the cut: the fast path is in use by then */
	for (; got < 3; got++)
		assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	cut = how == 0 ? page - 8 : how == 1 ? 24 + straddle * rec : 0;
	assert_int_equal(truncate(path, (off_t)cut), 0);
	if (how == 2) {
		/* a new capture in its place: header and one record */
		fp = fopen(path, "r+b");
		assert_non_null(fp);
		put_eth_header(fp);
		put_small_record(fp, 1767230000u, 0, 0x05060708);
		assert_int_equal(fclose(fp), 0);
	}
	err[0] = '\0';
	while ((rc = mx_capture_next(c, &f, err, sizeof(err))) == 1) {
		assert_true(f.len > 0);
		/* every frame handed out is the one written, whole */
		assert_int_equal(f.caplen, SHORT_LEN);
		assert_true(f.ts_us == (1767225600u + (uint64_t)got) * 1000000u);
		for (k = 0; k < SHORT_LEN; k++)
			assert_int_equal(f.data[k], (uint8_t)(got % 251 + 1));
		got++;
	}
	assert_int_equal(rc, MX_ETRUNC);
	assert_non_null(strstr(err, "shortened while being read"));
	if (how == 0 || how == 1)
		assert_int_equal(got, straddle);   /* everything before the cut's record */
	else
		assert_true(got <= straddle + 1);  /* the fault comes at the latest on the next page */
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
	/* the handler is gone with the mapping: the one before is back (cmocka's) */
	assert_int_equal(sigaction(SIGBUS, NULL, &now), 0);
	assert_true(now.sa_handler == before.sa_handler);
}

static void file_shortened_while_read(void **state)
{
	(void)state;
	shortened_case(0);
	shortened_case(1);
	shortened_case(2);
}

/* A SIGBUS that is not a capture file's still stops the process. */
static void foreign_sigbus_still_stops(void **state)
{
	char path[160], err[256];
	const char *p = path;
	struct mx_capture *c = NULL;
	FILE *fp;
	pid_t pid;
	int st;

	(void)state;
	snprintf(path, sizeof(path), "%s/one.pcap", g_dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	put_eth_header(fp);
	put_small_record(fp, 1767225600u, 0, 0x01020304);
	assert_int_equal(fclose(fp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);   /* not cmocka's */
		if (mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)) != 0)
			_exit(3);
		raise(SIGBUS);   /* si_addr is not in the mapping */
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_capture_as_libpcap_reads_it),
		cmocka_unit_test(records_larger_than_the_buffer),
		cmocka_unit_test(unsigned_times_and_16_bit_link_type),
		cmocka_unit_test(file_growing_while_read),
		cmocka_unit_test(file_shortened_while_read),
		cmocka_unit_test(foreign_sigbus_still_stops),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
