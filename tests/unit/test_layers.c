/* test_layers.c - the include graph follows ARCHITECTURE.md §2.
 *
 * Reads every .c and .h file under src/ and every header in include/mxsniff/
 * and checks each
 * `#include "mxsniff/X.h"` against the layer table below: a file includes
 * its own layer or lower ones, never higher. Within L4 the order is txn ->
 * lookup -> chain -> detect (txn.c never includes chain.h). Sinks
 * (src/sink/) may include only L0 headers and sink.h, lookup.h, txn.h,
 * model.h: "a sink never includes dns.h; if a report needs a field, it
 * belongs in the snapshot". Only capture.c includes <pcap.h>, only dns.c
 * includes ldns, only ui_curses.c includes curses.
 *
 * The source directory is MX_CAPTURES without its trailing "/captures".
 * A module missing from the table fails the test: add it to the table (and
 * to ARCHITECTURE.md) when you add a module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef MX_CAPTURES
#error "MX_CAPTURES must give the captures/ directory"
#endif

struct layer {
	const char *module;
	int rank;   /* layer * 10, plus an order inside L4 and L6 */
};

static const struct layer g_layers[] = {
	/* L0 base */
	{"rd", 0}, {"err", 0}, {"mem", 0}, {"addr", 0}, {"dname", 0}, {"htab", 0}, {"clock", 0}, {"hist", 0},
	/* L1 input */
	{"capture", 10}, {"priv", 10},
	/* L2 decode */
	{"decode", 20}, {"ipfrag", 20}, {"tcpre", 20},
	/* L3 dns */
	{"dns", 30},
	/* L4 analysis, in pipeline order */
	{"txn", 40}, {"lookup", 41}, {"chain", 42}, {"detect", 43},
	/* L5 model */
	{"model", 50},
	/* L6 sinks and UI */
	{"sink", 60}, {"text", 60}, {"json", 60}, {"ndjson", 60}, {"md", 60}, {"common", 60},
	{"ui_view", 60}, {"ui_curses", 61},
	/* L7 app */
	{"main", 70}, {"pipeline", 70},
};

/* What src/sink/ files may include besides L0. */
static const char *const g_sink_allowed[] = {"sink", "lookup", "txn", "model", "chain", "detect"};

struct src_file {
	char path[512];     /* relative to the source dir */
	char module[64];
	bool in_sink_dir;
};

static char g_root[512];
static struct src_file *g_files;
static size_t g_nfiles, g_capfiles;
static char g_failures[16384];
static size_t g_nfail;

static void fail_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail_note(const char *fmt, ...)
{
	size_t used = strlen(g_failures);
	va_list ap;

	g_nfail++;
	if (used + 2 >= sizeof(g_failures))
		return;
	va_start(ap, fmt);
	vsnprintf(g_failures + used, sizeof(g_failures) - used - 1, fmt, ap);
	va_end(ap);
	used = strlen(g_failures);
	g_failures[used] = '\n';
	g_failures[used + 1] = '\0';
}

static int rank_of(const char *module)
{
	size_t i;
	char pre[64];
	const char *us;

	for (i = 0; i < sizeof(g_layers) / sizeof(g_layers[0]); i++)
		if (strcmp(g_layers[i].module, module) == 0)
			return g_layers[i].rank;
	/* private helpers take their module's layer: detect_table -> detect */
	us = strchr(module, '_');
	if (us != NULL && (size_t)(us - module) < sizeof(pre)) {
		memcpy(pre, module, (size_t)(us - module));
		pre[us - module] = '\0';
		for (i = 0; i < sizeof(g_layers) / sizeof(g_layers[0]); i++)
			if (strcmp(g_layers[i].module, pre) == 0)
				return g_layers[i].rank;
	}
	return -1;
}

/* dst = a "/" b; false when it does not fit. */
static bool join(char *dst, size_t n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + 1 + lb + 1 > n)
		return false;
	memcpy(dst, a, la);
	dst[la] = '/';
	memcpy(dst + la + 1, b, lb + 1);
	return true;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static void add_file(const char *rel, const char *module, bool sink_dir)
{
	struct src_file *f;

	if (g_nfiles == g_capfiles) {
		size_t cap = g_capfiles ? g_capfiles * 2 : 64;
		struct src_file *n = realloc(g_files, cap * sizeof(*n));

		assert_non_null(n);
		g_files = n;
		g_capfiles = cap;
	}
	f = &g_files[g_nfiles++];
	snprintf(f->path, sizeof(f->path), "%s", rel);
	snprintf(f->module, sizeof(f->module), "%s", module);
	f->in_sink_dir = sink_dir;
}

/* Walk dir (relative to root). Files in src/sink/ belong to "sink", files
 * in src/detect/ to "detect"; otherwise the basename is the module. */
static void walk(const char *rel, bool recurse, const char *force_module, bool sink_dir)
{
	char full[1024];
	DIR *d;
	struct dirent *e;

	if (!join(full, sizeof(full), g_root, rel))
		return;
	d = opendir(full);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[512], p[1024];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (!join(sub, sizeof(sub), rel, e->d_name) || !join(p, sizeof(p), g_root, sub))
			continue;
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!recurse)
				continue;
			if (strcmp(e->d_name, "sink") == 0)
				walk(sub, true, "sink", true);
			else if (strcmp(e->d_name, "detect") == 0)
				walk(sub, true, "detect", false);
			else
				walk(sub, true, force_module, sink_dir);
			continue;
		}
		if (ends_with(e->d_name, ".c") || ends_with(e->d_name, ".h")) {
			char mod[64];
			size_t ml = strlen(e->d_name) - 2;

			if (force_module != NULL) {
				snprintf(mod, sizeof(mod), "%s", force_module);
			} else {
				if (ml >= sizeof(mod))
					ml = sizeof(mod) - 1;
				memcpy(mod, e->d_name, ml);
				mod[ml] = '\0';
			}
			add_file(sub, mod, sink_dir);
		}
	}
	closedir(d);
}

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct src_file *)a)->path, ((const struct src_file *)b)->path);
}

static int setup(void **state)
{
	const char *cap = MX_CAPTURES;
	size_t n = strlen(cap);

	(void)state;
	if (!ends_with(cap, "/captures") || n >= sizeof(g_root))
		return -1;
	memcpy(g_root, cap, n - strlen("/captures"));
	g_root[n - strlen("/captures")] = '\0';
	walk("src", true, NULL, false);
	walk("include/mxsniff", false, NULL, false);
	if (g_nfiles > 1)
		qsort(g_files, g_nfiles, sizeof(*g_files), cmp_files);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(g_files);
	return 0;
}

/* Call fn(file, line_no, target) for each #include line; target is what is
 * between the quotes or angle brackets, and `quoted` tells which. */
static void each_include(const struct src_file *f,
			 void (*fn)(const struct src_file *, unsigned, const char *, bool))
{
	char full[1100], line[1024];
	FILE *fp;
	unsigned no = 0;
	bool in_comment = false;

	assert_true(join(full, sizeof(full), g_root, f->path));
	fp = fopen(full, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *p = line;
		char target[256];
		size_t k = 0;
		char close;
		bool quoted;

		no++;
		/* skip lines inside block comments (good enough for our style) */
		if (in_comment) {
			if (strstr(line, "*/") != NULL)
				in_comment = false;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/") == NULL) {
			in_comment = true;
			continue;
		}
		if (*p != '#')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "include", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"')
			close = '"';
		else if (*p == '<')
			close = '>';
		else
			continue;
		quoted = close == '"';
		p++;
		while (*p != '\0' && *p != close && k + 1 < sizeof(target))
			target[k++] = *p++;
		target[k] = '\0';
		fn(f, no, target, quoted);
	}
	fclose(fp);
}

static bool sink_may_include(const char *mod, int rank)
{
	size_t i;

	if (rank == 0)
		return true;
	for (i = 0; i < sizeof(g_sink_allowed) / sizeof(g_sink_allowed[0]); i++)
		if (strcmp(g_sink_allowed[i], mod) == 0)
			return true;
	return false;
}

static void check_layer(const struct src_file *f, unsigned no, const char *target, bool quoted)
{
	char mod[64];
	int own, inc;
	size_t n;

	if (!quoted || strncmp(target, "mxsniff/", 8) != 0)
		return;
	n = strlen(target + 8);
	if (n < 3 || n - 2 >= sizeof(mod) || !ends_with(target, ".h")) {
		fail_note("%s:%u: odd include \"%s\"", f->path, no, target);
		return;
	}
	memcpy(mod, target + 8, n - 2);
	mod[n - 2] = '\0';
	own = rank_of(f->module);
	inc = rank_of(mod);
	if (own < 0) {
		fail_note("%s: module '%s' is not in the layer table", f->path, f->module);
		return;
	}
	if (inc < 0) {
		fail_note("%s:%u: includes %s, not in the layer table", f->path, no, target);
		return;
	}
	if (inc / 10 > own / 10 || (inc / 10 == own / 10 && inc > own))
		fail_note("%s:%u: %s (L%d) includes %s (L%d): higher layer", f->path, no,
			  f->module, own / 10, target, inc / 10);
	else if (f->in_sink_dir && !sink_may_include(mod, inc))
		fail_note("%s:%u: a sink includes %s; put what it needs in the snapshot",
			  f->path, no, target);
}

static void layering(void **state)
{
	size_t i;
	bool seen_capture = false, seen_main = false, seen_hdr = false;

	(void)state;
	g_nfail = 0;
	g_failures[0] = '\0';
	assert_true(g_nfiles > 10);
	for (i = 0; i < g_nfiles; i++) {
		seen_capture |= strcmp(g_files[i].path, "src/capture.c") == 0;
		seen_main |= strcmp(g_files[i].path, "src/main.c") == 0;
		seen_hdr |= strcmp(g_files[i].path, "include/mxsniff/pipeline.h") == 0;
		each_include(&g_files[i], check_layer);
	}
	assert_true(seen_capture && seen_main && seen_hdr);
	if (g_nfail != 0)
		fail_msg("%zu include(s) break the layering:\n%s", g_nfail, g_failures);
}

struct exclusive {
	const char *prefix;   /* matched against <...> targets */
	const char *only;     /* the one file allowed (basename) */
};

static const struct exclusive g_excl[] = {
	{"pcap.h", "capture.c"}, {"pcap/", "capture.c"}, {"pcap-", "capture.c"},
	{"ldns/", "dns.c"},
	{"curses.h", "ui_curses.c"}, {"ncurses", "ui_curses.c"}, {"ncursesw/", "ui_curses.c"},
};

static unsigned g_seen_pcap, g_seen_ldns;

static void check_exclusive(const struct src_file *f, unsigned no, const char *target, bool quoted)
{
	const char *base = strrchr(f->path, '/');
	size_t i;

	(void)quoted;
	base = base != NULL ? base + 1 : f->path;
	for (i = 0; i < sizeof(g_excl) / sizeof(g_excl[0]); i++) {
		if (strncmp(target, g_excl[i].prefix, strlen(g_excl[i].prefix)) != 0)
			continue;
		if (strcmp(base, g_excl[i].only) != 0 || strncmp(f->path, "include/", 8) == 0)
			fail_note("%s:%u: includes <%s>; only %s may", f->path, no, target,
				  g_excl[i].only);
		else if (strcmp(g_excl[i].only, "capture.c") == 0)
			g_seen_pcap++;
		else if (strcmp(g_excl[i].only, "dns.c") == 0)
			g_seen_ldns++;
	}
}

static void exclusive_libraries(void **state)
{
	size_t i;

	(void)state;
	g_nfail = 0;
	g_failures[0] = '\0';
	for (i = 0; i < g_nfiles; i++)
		each_include(&g_files[i], check_exclusive);
	if (g_nfail != 0)
		fail_msg("%zu include(s) of a wrapped library outside its module:\n%s", g_nfail,
			 g_failures);
	assert_true(g_seen_pcap >= 1);   /* capture.c does use libpcap */
}

/* The checker itself: feed it a made-up file and see it complain. */
static void checker_catches(void **state)
{
	struct src_file f;

	(void)state;
	g_nfail = 0;
	g_failures[0] = '\0';
	memset(&f, 0, sizeof(f));
	snprintf(f.path, sizeof(f.path), "src/txn.c");
	snprintf(f.module, sizeof(f.module), "txn");
	check_layer(&f, 1, "mxsniff/chain.h", true);     /* L4 order: no */
	check_layer(&f, 2, "mxsniff/dns.h", true);       /* lower: yes */
	check_layer(&f, 3, "mxsniff/model.h", true);     /* higher: no */
	assert_int_equal(g_nfail, 2);
	snprintf(f.path, sizeof(f.path), "src/sink/text.c");
	snprintf(f.module, sizeof(f.module), "sink");
	f.in_sink_dir = true;
	check_layer(&f, 4, "mxsniff/dns.h", true);       /* sink -> dns: no */
	check_layer(&f, 5, "mxsniff/model.h", true);     /* yes */
	check_layer(&f, 6, "mxsniff/dname.h", true);     /* L0: yes */
	check_layer(&f, 7, "mxsniff/bogus.h", true);     /* unknown: no */
	assert_int_equal(g_nfail, 4);
	snprintf(f.path, sizeof(f.path), "src/detect_table.h");
	snprintf(f.module, sizeof(f.module), "detect_table");
	f.in_sink_dir = false;
	check_layer(&f, 8, "mxsniff/lookup.h", true);    /* detect_ -> detect: yes */
	assert_int_equal(g_nfail, 4);
	check_exclusive(&f, 9, "pcap.h", false);
	assert_int_equal(g_nfail, 5);
	g_nfail = 0;
	g_failures[0] = '\0';
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checker_catches),
		cmocka_unit_test(layering),
		cmocka_unit_test(exclusive_libraries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
