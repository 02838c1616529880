/* replay_main.c - run a fuzz target over files, without libFuzzer.
 *
 * Usage: <target>-replay PATH...   (a directory means every regular file in
 * it, in name order). A capture file (pcap or pcapng magic) goes frame by
 * frame through the target's mx_fuzz_pcap hooks, read by mxsniff's capture
 * module (as `mxsniff -r` reads it, pcapng included); other
 * files (and captures, for targets without hooks) go to
 * LLVMFuzzerTestOneInput() whole. Prints what it ran, so a run over nothing
 * says so. Exit status: 0, or 1 when a path could not be read; a target bug
 * aborts (and a sanitizer reports it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "mxsniff/capture.h"
#include "mxsniff/err.h"

static unsigned long n_inputs, n_captures, n_frames;
static int status;

static int read_file(const char *path, uint8_t **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	size_t cap = 0, len = 0;
	if (!f)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return -1;
			}
			b = nb;
		}
		size_t r = fread(b + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(b);
		return -1;
	}
	*out = b;
	*n = len;
	return 0;
}

static int is_capture(const uint8_t *b, size_t n)
{
	static const uint8_t magics[][4] = {
		{ 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 }, /* pcap us */
		{ 0xa1, 0xb2, 0x3c, 0x4d }, { 0x4d, 0x3c, 0xb2, 0xa1 }, /* pcap ns */
		{ 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng SHB */
	};
	if (n < 4)
		return 0;
	for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
		if (memcmp(b, magics[i], 4) == 0)
			return 1;
	return 0;
}

static void run_capture(const char *path)
{
	char err[512];
	struct mx_capture *cap = NULL;
	struct mx_frame f;
	uint64_t last = 0, frames = 0;
	int r;

	/* mxsniff's own reader: pcap through libpcap, pcapng (several link
	 * types, sections of either byte order) through capture.c */
	const char *paths[1] = { path };
	if (mx_capture_open_files(&cap, paths, 1, NULL, err, sizeof err) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, err);
		status = 1;
		return;
	}
	void *st = mx_fuzz_pcap->begin();
	while ((r = mx_capture_next(cap, &f, err, sizeof err)) == 1) {
		frames++;
		if (f.ts_us > last)
			last = f.ts_us;
		mx_fuzz_pcap->frame(st, &f);
	}
	if (r < 0) {
		/* a file cut off in a record is an input like any other; any
		 * other read error means frames were not replayed */
		fprintf(stderr, "replay: %s: %s (after %llu frames)\n", path, err,
			(unsigned long long)frames);
		if (r != MX_ETRUNC)
			status = 1;
	}
	mx_fuzz_pcap->end(st, last);
	mx_capture_free(cap);
	printf("replay: %s: %llu frames\n", path, (unsigned long long)frames);
	n_captures++;
	n_frames += frames;
}

static void run_path(const char *path);

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		status = 1;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof *names);
			if (!nn)
				abort();
			names = nn;
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		if (!(names[n] = malloc(l)))
			abort();
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

static void run_path(const char *path)
{
	struct stat sb;
	uint8_t *b;
	size_t n;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		status = 1;
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		run_dir(path);
		return;
	}
	if (read_file(path, &b, &n) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		status = 1;
		return;
	}
	if (mx_fuzz_pcap && is_capture(b, n)) {
		free(b);
		run_capture(path);
		return;
	}
	/* exact-size copy so a sanitizer sees any read past the end */
	uint8_t *x = malloc(n ? n : 1);
	if (!x)
		abort();
	memcpy(x, b, n);
	free(b);
	LLVMFuzzerTestOneInput(x, n);
	free(x);
	n_inputs++;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("replay: %lu inputs, %lu capture files (%lu frames)\n", n_inputs, n_captures,
	       n_frames);
	return status;
}
