/* test_capture.c - L1 input: pcap/pcapng files, stdin, filters, truncation,
 * link-type names, the default filter, and a live capture on loopback.
 *
 * Capture files are written here with libpcap (pcap_open_dead + pcap_dump)
 * into a temporary directory; pcapng (which libpcap 1.10 cannot write) is
 * built byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mxsniff/capture.h"
#include "mxsniff/err.h"

static char g_dir[64];

static const char *tmp_path(const char *name)
{
	static char buf[4][160];
	static unsigned k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", g_dir, name);
	return buf[k];
}

/* Ethernet + IPv4 + UDP or TCP with `plen` payload bytes; returns length. */
static size_t build_frame(uint8_t *b, uint8_t proto, uint16_t sport, uint16_t dport,
			  uint8_t tcpflags, size_t plen)
{
	size_t l4 = proto == 6 ? 20 : 8;
	size_t iplen = 20 + l4 + plen, i;
	uint8_t *ip = b + 14, *p = ip + 20;

	memset(b, 0, 14 + iplen);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x35", 8);
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	if (proto == 17) {
		p[4] = (uint8_t)((8 + plen) >> 8);
		p[5] = (uint8_t)(8 + plen);
	} else {
		p[12] = 0x50;
		p[13] = tcpflags;
	}
	for (i = 0; i < plen; i++)
		p[l4 + i] = (uint8_t)i;
	return 14 + iplen;
}

struct rec {
	long sec, frac;   /* frac: µs or ns depending on the file */
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;
};

static void write_pcap(const char *path, int dlt, int precision, const struct rec *r, size_t n)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(dlt, 65535, (u_int)precision);
	pcap_dumper_t *dp;
	size_t i;

	assert_non_null(pd);
	dp = pcap_dump_open(pd, path);
	assert_non_null(dp);
	for (i = 0; i < n; i++) {
		uint8_t b[256];
		struct pcap_pkthdr h;
		size_t len = build_frame(b, r[i].proto, r[i].sport, r[i].dport, r[i].flags, 20);

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = r[i].sec;
		h.ts.tv_usec = r[i].frac;
		h.caplen = (bpf_u_int32)len;
		h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)dp, &h, b);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static long file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/mxcaptestXXXXXX");
	return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct rec udp53 = {1000, 1, 17, 40000, 53, 0};

static void two_files_number_on(void **state)
{
	struct rec a[2] = {udp53, udp53}, b1[1] = {udp53};
	const char *paths[2];
	struct mx_capture *c = NULL;
	struct mx_capture_stats st;
	struct mx_frame f;
	char err[256];

	(void)state;
	a[1].sec = 1000;
	a[1].frac = 500000;
	b1[0].sec = 1001;
	b1[0].frac = 999999;
	paths[0] = tmp_path("a.pcap");
	paths[1] = tmp_path("b.pcap");
	write_pcap(paths[0], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, a, 2);
	write_pcap(paths[1], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, b1, 1);
	assert_int_equal(mx_capture_open_files(&c, paths, 2, NULL, err, sizeof(err)), 0);
	assert_false(mx_capture_is_live(c));
	assert_int_equal(mx_capture_fd(c), -1);
	assert_int_equal(mx_capture_ninputs(c), 2);
	assert_int_equal(mx_capture_input_dlt(c, 0), DLT_EN10MB);
	assert_int_equal(mx_capture_input_dlt(c, 1), DLT_EN10MB);
	assert_int_equal(mx_capture_input_dlt(c, 2), -1);
	assert_string_equal(mx_capture_filter(c), "");
	assert_non_null(strstr(mx_capture_source(c), "2 files:"));
	assert_non_null(strstr(mx_capture_source(c), "b.pcap"));

	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 1);
	assert_int_equal(f.ts_us, 1000000001ULL);
	assert_int_equal(f.linktype, DLT_EN10MB);
	assert_int_equal(f.caplen, 14 + 20 + 8 + 20);
	assert_int_equal(f.len, f.caplen);
	assert_int_equal(f.data[12], 0x08);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 2);
	assert_int_equal(f.ts_us, 1000500000ULL);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 3);
	assert_int_equal(f.ts_us, 1001999999ULL);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_stats(c, &st);
	assert_int_equal(st.frames, 3);
	assert_false(st.live);
	mx_capture_free(c);
	mx_capture_free(NULL);

	/* one file: source names it */
	assert_int_equal(mx_capture_open_files(&c, paths, 1, "", err, sizeof(err)), 0);
	assert_non_null(strstr(mx_capture_source(c), "file "));
	assert_non_null(strstr(mx_capture_source(c), "a.pcap"));
	mx_capture_free(c);
}

static void nanosecond_file_reads_as_micro(void **state)
{
	struct rec r[2] = {udp53, udp53};
	const char *p = tmp_path("nano.pcap");
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];

	(void)state;
	r[0].sec = 1700000000;
	r[0].frac = 123456789;   /* ns */
	r[1].sec = 1700000001;
	r[1].frac = 999;         /* < 1 µs */
	write_pcap(p, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, r, 2);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.ts_us, 1700000000ULL * 1000000 + 123456);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.ts_us, 1700000001ULL * 1000000);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

/* -w is for live captures: a file capture refuses it, with a message;
 * the stats of a capture that saves nothing say so. (The live path is
 * tested end to end in e2e.live: the file is read back.) */
static void save_refused_for_files(void **state)
{
	struct rec r[1] = {udp53};
	const char *p = tmp_path("save-src.pcap");
	const char *out = tmp_path("save-out.pcap");
	struct mx_capture *c = NULL;
	struct mx_capture_stats st;
	char err[256];

	(void)state;
	write_pcap(p, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 1);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_save(c, out, 0, err, sizeof(err)), MX_EINVAL);
	assert_non_null(strstr(err, "-w writes a live capture"));
	assert_int_equal(mx_capture_save(c, "", 0, err, sizeof(err)), MX_EINVAL);
	assert_int_equal(mx_capture_save(NULL, out, 0, err, sizeof(err)), MX_EINVAL);
	assert_int_equal(access(out, F_OK), -1);   /* nothing created */
	mx_capture_stats(c, &st);
	assert_false(st.saving);
	assert_int_equal(st.saved_frames, 0);
	mx_capture_free(c);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);   /* pcapng is written in host byte order */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void pcapng_is_read(void **state)
{
	uint8_t b[512], fr[256];
	size_t n = 0, flen = build_frame(fr, 17, 40000, 53, 0, 20), pad = (flen + 3) & ~(size_t)3;
	uint64_t ts = 1700000000ULL * 1000000 + 42;   /* default if_tsresol: µs */
	const char *p = tmp_path("x.pcapng");
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];
	uint32_t epb_len = (uint32_t)(32 + pad);

	(void)state;
	memset(b, 0, sizeof(b));
	/* Section Header Block */
	put32(b + n, 0x0A0D0D0A); put32(b + n + 4, 28); put32(b + n + 8, 0x1A2B3C4D);
	put16(b + n + 12, 1); put16(b + n + 14, 0);
	put32(b + n + 16, 0xffffffff); put32(b + n + 20, 0xffffffff); put32(b + n + 24, 28);
	n += 28;
	/* Interface Description Block: Ethernet */
	put32(b + n, 1); put32(b + n + 4, 20); put16(b + n + 8, 1); put16(b + n + 10, 0);
	put32(b + n + 12, 65535); put32(b + n + 16, 20);
	n += 20;
	/* Enhanced Packet Block */
	put32(b + n, 6); put32(b + n + 4, epb_len); put32(b + n + 8, 0);
	put32(b + n + 12, (uint32_t)(ts >> 32)); put32(b + n + 16, (uint32_t)ts);
	put32(b + n + 20, (uint32_t)flen); put32(b + n + 24, (uint32_t)flen);
	memcpy(b + n + 28, fr, flen);
	put32(b + n + 28 + pad, epb_len);
	n += epb_len;
	write_bytes(p, b, n);

	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp port 53", err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlt(c, 0), DLT_EN10MB);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 1);
	assert_int_equal(f.ts_us, ts);
	assert_int_equal(f.caplen, flen);
	assert_memory_equal(f.data, fr, flen);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	/* the same pcapng cut inside the packet block */
	write_bytes(p, b, n - 10);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), MX_ETRUNC);
	assert_non_null(strstr(err, "cut off"));
	assert_non_null(strstr(err, "after 0 frames"));
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

/* ---- pcapng built block by block in either byte order ---- */
struct ngb {
	uint8_t b[4096];
	size_t n;
	bool be;
};

static void ngb_put(struct ngb *g, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		g->b[g->n + (size_t)i] = (uint8_t)(v >> (8 * (g->be ? bytes - 1 - i : i)));
	g->n += (size_t)bytes;
}

static void ngb_block(struct ngb *g, uint32_t type, const uint8_t *body, size_t len)
{
	size_t pad = (len + 3) & ~(size_t)3;

	assert_true(g->n + pad + 12 <= sizeof(g->b));
	ngb_put(g, type, 4);
	ngb_put(g, pad + 12, 4);
	memcpy(g->b + g->n, body, len);
	memset(g->b + g->n + len, 0, pad - len);
	g->n += pad;
	ngb_put(g, pad + 12, 4);
}

static void ngb_shb(struct ngb *g, bool be)
{
	struct ngb t = {.be = be};

	g->be = be;
	ngb_put(&t, 0x1A2B3C4D, 4);
	ngb_put(&t, 1, 2);
	ngb_put(&t, 0, 2);
	ngb_put(&t, UINT64_MAX, 8);
	ngb_block(g, 0x0A0D0D0A, t.b, t.n);
}

static void ngb_idb(struct ngb *g, int dlt, int tsresol, int64_t tsoffset)
{
	struct ngb t = {.be = g->be};

	ngb_put(&t, (uint64_t)dlt, 2);
	ngb_put(&t, 0, 2);
	ngb_put(&t, 65535, 4);
	if (tsresol >= 0) {
		ngb_put(&t, 9, 2);
		ngb_put(&t, 1, 2);
		ngb_put(&t, (uint64_t)tsresol, 1);
		ngb_put(&t, 0, 3);
	}
	if (tsoffset != 0) {
		ngb_put(&t, 14, 2);
		ngb_put(&t, 8, 2);
		ngb_put(&t, (uint64_t)tsoffset, 8);
	}
	ngb_put(&t, 0, 4);
	ngb_block(g, 1, t.b, t.n);
}

static void ngb_epb(struct ngb *g, uint32_t ifid, uint64_t units, const uint8_t *d, size_t len)
{
	struct ngb t = {.be = g->be};

	ngb_put(&t, ifid, 4);
	ngb_put(&t, units >> 32, 4);
	ngb_put(&t, units & 0xffffffffu, 4);
	ngb_put(&t, len, 4);
	ngb_put(&t, len, 4);
	memcpy(t.b + t.n, d, len);
	ngb_block(g, 6, t.b, t.n + len);
}

static void ngb_spb(struct ngb *g, const uint8_t *d, size_t len)
{
	struct ngb t = {.be = g->be};

	ngb_put(&t, len, 4);
	memcpy(t.b + t.n, d, len);
	ngb_block(g, 3, t.b, t.n + len);
}

/* The Ethernet frame fr (IPv4 from byte 14) re-framed as Linux SLL (16-byte
 * header) or SLL2 (20 bytes). */
static size_t to_cooked(uint8_t *out, const uint8_t *fr, size_t flen, bool sll2)
{
	size_t h = sll2 ? 20 : 16;

	memset(out, 0, h);
	if (sll2) {
		out[0] = 0x08;          /* protocol IPv4 */
		out[9] = 1;             /* ARPHRD_ETHER */
		out[11] = 6;
	} else {
		out[3] = 1;
		out[5] = 6;
		out[14] = 0x08;
	}
	memcpy(out + h, fr + 14, flen - 14);
	return h + flen - 14;
}

/* What dumpcap/editcap/cat write and libpcap 1.10 refuses ("an interface has a
 * type 113 different from the type of the first interface", "block size ...
 * > maximum" on a big-endian second section): frames keep their interface's
 * link type, times follow each interface's if_tsresol/if_tsoffset, the filter
 * is compiled per link type, frame numbers count every packet block. */
static void pcapng_interfaces_and_sections(void **state)
{
	struct ngb g = {.n = 0};
	uint8_t eth[256], sll[256], sll2[256], web[256], webe[256];
	size_t ne = build_frame(eth, 17, 40000, 53, 0, 20);
	size_t ns = to_cooked(sll, eth, ne, false), ns2 = to_cooked(sll2, eth, ne, true);
	size_t nw = build_frame(webe, 17, 40000, 80, 0, 20);
	const uint64_t t0 = 1700000000ULL;
	const char *p = tmp_path("multi.pcapng");
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];
	int dlts[MX_CAPTURE_MAX_DLTS];
	static const uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};

	(void)state;
	nw = to_cooked(web, webe, nw, false);
	ngb_shb(&g, false);
	ngb_idb(&g, DLT_EN10MB, -1, 0);                     /* µs by default */
	ngb_idb(&g, DLT_LINUX_SLL, 9, 0);                   /* ns */
	ngb_block(&g, 0x00000BADu, junk, sizeof(junk));     /* frame 1 for Wireshark: numbered, not read */
	ngb_epb(&g, 0, t0 * 1000000 + 5, eth, ne);                   /* frame 2 */
	ngb_epb(&g, 1, t0 * 1000000000 + 7000999, sll, ns);          /* frame 3 */
	ngb_epb(&g, 1, t0 * 1000000000 + 8000000, web, nw);          /* frame 4: filtered */
	ngb_spb(&g, eth, ne);                                        /* frame 5 */
	ngb_shb(&g, true);                                  /* new section, big endian */
	ngb_idb(&g, DLT_LINUX_SLL2, 0x80 | 20, (int64_t)t0); /* 2^-20 s after t0 */
	ngb_epb(&g, 0, 3ULL << 19, sll2, ns2);                       /* frame 6: t0 + 1.5 s */
	write_bytes(p, g.b, g.n);

	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp port 53", err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlt(c, 0), DLT_EN10MB);
	assert_int_equal(mx_capture_input_dlts(c, 0, dlts, MX_CAPTURE_MAX_DLTS), 2);
	assert_int_equal(dlts[1], DLT_LINUX_SLL);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 2);
	assert_int_equal(f.linktype, DLT_EN10MB);
	assert_int_equal(f.ts_us, t0 * 1000000 + 5);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 3);
	assert_int_equal(f.linktype, DLT_LINUX_SLL);
	assert_int_equal(f.ts_us, t0 * 1000000 + 7000);
	assert_int_equal(f.caplen, ns);
	assert_memory_equal(f.data, sll, ns);
	/* frame 4 (port 80) fails the filter; the SPB has no time: it keeps frame 4's */
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 5);
	assert_int_equal(f.linktype, DLT_EN10MB);
	assert_int_equal(f.ts_us, t0 * 1000000 + 8000);
	assert_int_equal(f.caplen, ne);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 6);
	assert_int_equal(f.linktype, DLT_LINUX_SLL2);
	assert_int_equal(f.ts_us, t0 * 1000000 + 1500000);
	assert_memory_equal(f.data, sll2, ns2);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	/* a packet for an interface the section does not describe is damage */
	g.n = 0;
	ngb_shb(&g, true);
	ngb_idb(&g, DLT_EN10MB, -1, 0);
	ngb_epb(&g, 0, t0 * 1000000, eth, ne);
	ngb_epb(&g, 3, t0 * 1000000, eth, ne);
	write_bytes(p, g.b, g.n);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), MX_EFORMAT);
	assert_non_null(strstr(err, "damaged after 1 frame"));
	assert_non_null(strstr(err, "interface 3"));
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	/* an absurd if_tsoffset (damage) is ignored, not multiplied into an
	 * overflow (UBSan found it with a mutated pcapng-multi.pcapng) */
	g.n = 0;
	ngb_shb(&g, false);
	ngb_idb(&g, DLT_EN10MB, -1, INT64_C(3674937297701550336));
	ngb_epb(&g, 0, t0 * 1000000, eth, ne);
	write_bytes(p, g.b, g.n);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.ts_us, t0 * 1000000);
	mx_capture_free(c);

	/* LINKTYPE_RAW (101) in the file is DLT_RAW for the filter and the
	 * decoder (the filter failed to compile: "unknown data link type 101") */
	g.n = 0;
	ngb_shb(&g, false);
	ngb_idb(&g, 101, -1, 0);
	ngb_epb(&g, 0, t0 * 1000000, eth + 14, ne - 14);
	write_bytes(p, g.b, g.n);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp port 53", err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.linktype, DLT_RAW);
	assert_int_equal(f.caplen, ne - 14);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	/* a section header alone: no interface, no frame, not an error */
	g.n = 0;
	ngb_shb(&g, false);
	write_bytes(p, g.b, g.n);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp", err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlts(c, 0, dlts, MX_CAPTURE_MAX_DLTS), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

/* Time going back by a second or more (files given out of order, `mergecap
 * -a`, `cat`) is counted with its largest step and first frame; the
 * microseconds of reordering `-i any` produces are not. Times are handed out
 * as recorded. */
static void time_going_back(void **state)
{
	const struct rec r[] = {
		{10, 0, 17, 40000, 53, 0},
		{11, 0, 17, 53, 40000, 0},
		{9, 500000, 17, 40000, 53, 0},   /* 1.5 s back: counted */
		{9, 600000, 17, 53, 40000, 0},
		{9, 599990, 17, 53, 40000, 0},   /* 10 µs back: not */
		{3, 0, 17, 40000, 53, 0},        /* 6.59999 s back */
	};
	const char *p = tmp_path("back.pcap");
	struct mx_capture *c = NULL;
	struct mx_capture_stats st;
	struct mx_frame f;
	char err[256];
	int k = 0;

	(void)state;
	write_pcap(p, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 6);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	while (mx_capture_next(c, &f, err, sizeof(err)) == 1) {
		assert_int_equal(f.ts_us, (uint64_t)r[k].sec * 1000000 + (uint64_t)r[k].frac);
		k++;
	}
	assert_int_equal(k, 6);
	mx_capture_stats(c, &st);
	assert_int_equal(st.back_steps, 2);
	assert_int_equal(st.back_first_frame, 3);
	assert_int_equal(st.back_max_us, 6599990);
	mx_capture_free(c);
}

/* The mapped reader's fast path (capture.c pf_fast) against libpcap on a
 * file larger than two page-drop steps (PF_DROP, 4 MiB), with records of
 * every length around the snap length (longer ones are cut to it), len above
 * caplen, times in micro- or nanoseconds that sometimes go back by seconds,
 * and a second file after it (numbering goes on). Every frame must be the one
 * libpcap reads; then mx_capture_break() ends a read at once. */
static void write_many(const char *path, int precision, unsigned n, unsigned seed)
{
	pcap_t *pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 128, (u_int)precision);
	pcap_dumper_t *dp;
	static uint8_t b[300];
	unsigned i, x = seed;

	assert_non_null(pd);
	dp = pcap_dump_open(pd, path);
	assert_non_null(dp);
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;
		size_t len;

		x = x * 1103515245u + 12345u;
		len = 14 + (x >> 8) % 187; /* 14..200: some above the 128 snap length */
		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)(x >> (k % 24) ^ k);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000 + (long)(i / 50) - ((i % 997) == 0 ? 3 : 0);
		h.ts.tv_usec = (long)((x >> 4) % (precision == PCAP_TSTAMP_PRECISION_NANO ?
						 1000000000u : 1000000u));
		h.caplen = (bpf_u_int32)len;
		h.len = (bpf_u_int32)(len + (i % 3));
		pcap_dump((u_char *)dp, &h, b);
	}
	pcap_dump_close(dp);
	pcap_close(pd);
}

static void mapped_reader_matches_libpcap(void **state)
{
	const char *paths[2] = {tmp_path("many-us.pcap"), tmp_path("many-ns.pcap")};
	const int prec[2] = {PCAP_TSTAMP_PRECISION_MICRO, PCAP_TSTAMP_PRECISION_NANO};
	const unsigned counts[2] = {80000, 3000};
	struct mx_capture *c = NULL;
	struct mx_capture_stats st;
	struct mx_frame f;
	char err[256], perr[PCAP_ERRBUF_SIZE];
	uint64_t frame = 0, prev = 0, back = 0;

	(void)state;
	for (int k = 0; k < 2; k++)
		write_many(paths[k], prec[k], counts[k], 7u + (unsigned)k);
	assert_true(file_size(paths[0]) > 8L * 1024 * 1024);
	assert_int_equal(mx_capture_open_files(&c, paths, 2, NULL, err, sizeof(err)), 0);
	for (int k = 0; k < 2; k++) {
		pcap_t *pc = pcap_open_offline_with_tstamp_precision(paths[k],
								     PCAP_TSTAMP_PRECISION_MICRO, perr);
		struct pcap_pkthdr *h;
		const u_char *data;

		assert_non_null(pc);
		while (pcap_next_ex(pc, &h, &data) == 1) {
			uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;

			assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
			assert_int_equal(f.frame, ++frame);
			assert_int_equal(f.ts_us, ts);
			assert_int_equal(f.caplen, h->caplen);
			assert_int_equal(f.len, h->len);
			assert_int_equal(f.linktype, DLT_EN10MB);
			assert_memory_equal(f.data, data, h->caplen);
			if (ts + MX_CAPTURE_BACKSTEP_US <= prev)
				back++;
			prev = ts;
		}
		pcap_close(pc);
	}
	assert_int_equal(frame, counts[0] + counts[1]);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_stats(c, &st);
	assert_int_equal(st.frames, frame);
	assert_int_equal(st.back_steps, back);
	assert_true(back > 50);
	mx_capture_free(c);

	/* records the fast path reads (all short): a break stops it too */
	struct rec r[20];
	for (int i = 0; i < 20; i++)
		r[i] = udp53;
	write_pcap(paths[1], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 20);
	assert_int_equal(mx_capture_open_files(&c, &paths[1], 1, NULL, err, sizeof(err)), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	mx_capture_break(c);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_stats(c, &st);
	assert_int_equal(st.frames, 10);
	mx_capture_free(c);
}

/* Runs in a forked child: fd 0 becomes the file, "-" reads it. Returns the
 * exit code: 0 when everything matched. */
static int stdin_child(const char *path)
{
	const char *dash = "-";
	const char *twice[2] = {"-", "-"};
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];
	int fd = open(path, O_RDONLY);

	if (fd < 0 || dup2(fd, 0) != 0)
		return 10;
	close(fd);
	if (mx_capture_open_files(&c, twice, 2, NULL, err, sizeof(err)) != MX_EINVAL)
		return 11;
	if (mx_capture_open_files(&c, &dash, 1, NULL, err, sizeof(err)) != 0)
		return 12;
	if (strstr(mx_capture_source(c), "standard input") == NULL)
		return 13;
	if (mx_capture_next(c, &f, err, sizeof(err)) != 1 || f.frame != 1 || f.ts_us != 1000000001ULL)
		return 14;
	if (mx_capture_next(c, &f, err, sizeof(err)) != 1 || f.frame != 2)
		return 15;
	if (mx_capture_next(c, &f, err, sizeof(err)) != 0)
		return 16;
	mx_capture_free(c);
	return 0;
}

static void stdin_dash(void **state)
{
	struct rec r[2] = {udp53, udp53};
	const char *p = tmp_path("stdin.pcap");
	pid_t pid;
	int status = -1;

	(void)state;
	write_pcap(p, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 2);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(stdin_child(p));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void truncated_file(void **state)
{
	struct rec r[3] = {udp53, udp53, udp53}, g[1] = {udp53};
	const char *paths[2] = {tmp_path("cut.pcap"), tmp_path("good.pcap")};
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];

	(void)state;
	write_pcap(paths[0], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 3);
	write_pcap(paths[1], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, g, 1);
	assert_int_equal(truncate(paths[0], file_size(paths[0]) - 7), 0);

	assert_int_equal(mx_capture_open_files(&c, paths, 2, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 1);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 2);
	err[0] = '\0';
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), MX_ETRUNC);
	assert_non_null(strstr(err, "cut.pcap"));
	assert_non_null(strstr(err, "cut off in the middle of a packet after 2 frames"));
	/* goes on with the next file; the cut record is no frame (Wireshark
	 * does not show it either) */
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 3);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	/* cut inside a record header (16 bytes): also a truncation */
	assert_int_equal(truncate(paths[0], 24 + 16 + 62 + 5), 0);
	assert_int_equal(mx_capture_open_files(&c, paths, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), MX_ETRUNC);
	assert_non_null(strstr(err, "after 1 frame"));
	mx_capture_free(c);

	/* header only: a valid, empty capture */
	assert_int_equal(truncate(paths[0], 24), 0);
	assert_int_equal(mx_capture_open_files(&c, paths, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);
}

static void unreadable_files(void **state)
{
	const char *p = tmp_path("garbage.pcap");
	const char *missing = tmp_path("missing.pcap");
	const char *empty = tmp_path("empty.pcap");
	const char *both[2];
	struct mx_capture *c = NULL;
	char err[256];
	static const char junk[] = "From: someone\nSubject: not a capture file at all\n";

	(void)state;
	write_bytes(p, junk, sizeof(junk));
	write_bytes(empty, "", 0);
	err[0] = '\0';
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), MX_EFORMAT);
	assert_null(c);
	assert_non_null(strstr(err, "garbage.pcap"));
	assert_non_null(strstr(err, "not a pcap or pcapng file"));
	assert_null(strchr(err, '\n'));

	assert_int_equal(mx_capture_open_files(&c, &missing, 1, NULL, err, sizeof(err)), MX_EIO);
	assert_non_null(strstr(err, "cannot read"));
	assert_non_null(strstr(err, strerror(ENOENT)));

	assert_int_equal(mx_capture_open_files(&c, &empty, 1, NULL, err, sizeof(err)), MX_EFORMAT);
	assert_non_null(strstr(err, "empty"));

	assert_int_equal(mx_capture_open_files(&c, (const char *const *)&g_dir, 0, NULL, err,
					       sizeof(err)), MX_EINVAL);
	{
		const char *d = g_dir;

		assert_int_equal(mx_capture_open_files(&c, &d, 1, NULL, err, sizeof(err)), MX_EIO);
		assert_non_null(strstr(err, "directory"));
	}
	/* a bad second file fails the whole open */
	{
		struct rec r[1] = {udp53};

		both[0] = tmp_path("ok1.pcap");
		both[1] = p;
		write_pcap(both[0], DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 1);
		assert_int_equal(mx_capture_open_files(&c, both, 2, NULL, err, sizeof(err)), MX_EFORMAT);
		assert_null(c);
	}
}

/* A file that is another format says what it is and how to read it:
 * compressed captures can be piped in, other capture formats converted. The
 * message names the file and stays one line; unknown bytes get no hint. */
static void other_formats_named(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *kind, *how;
	} cases[] = {
		{"\x1f\x8b\x08\x00xxxxxxxxxxxxxxxxxxxxxxxx", 28, "gzip-compressed", "zcat "},
		{"BZh91AY&SYxxxxxxxxxxxxxxxxxxxxxx", 32, "bzip2-compressed", "bzcat "},
		{"\xfd" "7zXZ\x00\x00\x04xxxxxxxxxxxxxxxxxxxxxxxx", 32, "xz-compressed", "xzcat "},
		{"\x28\xb5\x2f\xfdxxxxxxxxxxxxxxxxxxxxxxxx", 28, "zstd-compressed", "zstdcat "},
		{"\x04\x22\x4d\x18xxxxxxxxxxxxxxxxxxxxxxxx", 28, "lz4-compressed", "lz4cat "},
		{"PK\x03\x04xxxxxxxxxxxxxxxxxxxxxxxx", 28, "zip archive", "unzip -p "},
		{"snoop\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04xxxxxxxxxxxx", 28, "snoop capture", "editcap -F pcap "},
		{"GMBU\x02\x00xxxxxxxxxxxxxxxxxxxxxx", 28, "Network Monitor", "editcap -F pcap "},
		{"RTSS\x01\x00xxxxxxxxxxxxxxxxxxxxxx", 28, "Network Monitor", "editcap -F pcap "},
	};
	const char *p = tmp_path("other-format.bin");
	struct mx_capture *c = NULL;
	char err[512], want[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_bytes(p, cases[i].bytes, cases[i].len);
		err[0] = '\0';
		assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), MX_EFORMAT);
		assert_null(c);
		assert_non_null(strstr(err, "not a pcap or pcapng file: it is "));
		assert_non_null(strstr(err, cases[i].kind));
		snprintf(want, sizeof want, "%s%s", cases[i].how, p);
		assert_non_null(strstr(err, want));
		assert_null(strchr(err, '\n'));
	}
	/* a prefix of a magic is not the format; neither is text */
	write_bytes(p, "\x1f\x00xxxxxxxxxxxxxxxxxxxxxxxxxx", 28);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), MX_EFORMAT);
	assert_null(strstr(err, ": it is"));
	write_bytes(p, "snoop dogg xxxxxxxxxxxxxxxxxxxxx", 28);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), MX_EFORMAT);
	assert_null(strstr(err, ": it is"));
}

static void filter_keeps_frame_numbers(void **state)
{
	struct rec r[4] = {udp53, udp53, udp53, udp53};
	const char *p = tmp_path("mixed.pcap");
	struct mx_capture *c = NULL;
	struct mx_frame f;
	char err[256];

	(void)state;
	r[1].proto = 6;
	r[1].dport = 80;
	r[2].dport = 123;
	r[3].sport = 53;
	r[3].dport = 40000;
	write_pcap(p, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, r, 4);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp port 53", err, sizeof(err)), 0);
	assert_string_equal(mx_capture_filter(c), "udp port 53");
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 1);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 1);
	assert_int_equal(f.frame, 4);   /* Wireshark's number, not the 2nd delivered */
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	{
		struct mx_capture_stats st;

		mx_capture_stats(c, &st);
		assert_int_equal(st.frames, 2);
	}
	mx_capture_free(c);

	c = NULL;
	assert_int_equal(mx_capture_open_files(&c, &p, 1, "udp port banana", err, sizeof(err)),
			 MX_EFILTER);
	assert_null(c);
	assert_non_null(strstr(err, "filter"));
}

static void link_type_names(void **state)
{
	struct rec r[1] = {udp53};
	const char *p = tmp_path("radiotap.pcap");
	struct mx_capture *c = NULL;
	char err[256];

	(void)state;
	write_pcap(p, DLT_IEEE802_11_RADIO, PCAP_TSTAMP_PRECISION_MICRO, r, 1);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlt(c, 0), 127);
	assert_string_equal(mx_capture_input_name(c, 0), p);
	assert_string_equal(mx_capture_dlt_name(mx_capture_input_dlt(c, 0)), "IEEE802_11_RADIO");
	mx_capture_free(c);
	assert_string_equal(mx_capture_dlt_name(MX_DLT_EN10MB), "EN10MB");
	assert_string_equal(mx_capture_dlt_name(MX_DLT_LINUX_SLL2), "LINUX_SLL2");
	assert_string_equal(mx_capture_dlt_name(MX_DLT_RAW), "RAW");
	assert_string_equal(mx_capture_dlt_name(9999), "DLT 9999");
	assert_non_null(strstr(mx_capture_lib_version(), "libpcap"));

	/* LINKTYPE_RAW (101) in a file comes out as DLT_RAW */
	write_pcap(p, DLT_RAW, PCAP_TSTAMP_PRECISION_MICRO, r, 1);
	assert_int_equal(mx_capture_open_files(&c, &p, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(mx_capture_input_dlt(c, 0), MX_DLT_RAW);
	mx_capture_free(c);
}

/* Does `filter`, compiled for Ethernet, accept this frame? */
static int matches(const char *filter, const uint8_t *b, size_t len)
{
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 262144);
	struct bpf_program prog;
	struct pcap_pkthdr h;
	int m;

	assert_non_null(pd);
	assert_int_equal(pcap_compile(pd, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
	memset(&h, 0, sizeof(h));
	h.caplen = h.len = (bpf_u_int32)len;
	m = pcap_offline_filter(&prog, &h, b) != 0;
	pcap_freecode(&prog);
	pcap_close(pd);
	return m;
}

static void default_filter(void **state)
{
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL2, DLT_RAW, DLT_LINUX_SLL, DLT_NULL,
				   DLT_LOOP, DLT_IPV4, DLT_IPV6};
	const uint16_t one[1] = {53};
	const uint16_t two[2] = {53, 5353};
	char buf[1024], b2[1024];
	uint8_t fr[256];
	size_t i, n;

	(void)state;
	mx_capture_default_filter(buf, sizeof(buf), one, 1, NULL, 0);
	assert_non_null(strstr(buf, "udp port 53 or tcp port 53"));
	assert_non_null(strstr(buf, "icmp[icmptype] == icmp-unreach"));
	assert_non_null(strstr(buf, "(icmp6 and ip6[40] == 1)"));
	assert_non_null(strstr(buf, "(tcp dst port 25 and tcp[tcpflags] & tcp-syn != 0)"));
	mx_capture_default_filter(b2, sizeof(b2), NULL, 0, NULL, 0);
	assert_string_equal(buf, b2);
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		pcap_t *pd = pcap_open_dead(dlts[i], 262144);
		struct bpf_program prog;
		int rc = pcap_compile(pd, &prog, buf, 1, PCAP_NETMASK_UNKNOWN);

		if (rc != 0)
			fail_msg("default filter does not compile for %s: %s",
				 mx_capture_dlt_name(dlts[i]), pcap_geterr(pd));
		pcap_freecode(&prog);
		pcap_close(pd);
	}
	mx_capture_default_filter(b2, sizeof(b2), two, 2, NULL, 0);
	assert_non_null(strstr(b2, "udp port 5353 or tcp port 5353"));

	/* what it accepts: the precedence of and/or matters here */
	n = build_frame(fr, 17, 40000, 53, 0, 20);
	assert_true(matches(buf, fr, n));
	n = build_frame(fr, 17, 40000, 5353, 0, 20);
	assert_false(matches(buf, fr, n));
	assert_true(matches(b2, fr, n));
	n = build_frame(fr, 6, 40000, 53, 0x10, 20);
	assert_true(matches(buf, fr, n));        /* DNS over TCP, any segment */
	n = build_frame(fr, 6, 40000, 25, 0x02, 0);
	assert_true(matches(buf, fr, n));        /* SYN to 25 */
	n = build_frame(fr, 6, 40000, 25, 0x10, 20);
	assert_false(matches(buf, fr, n));       /* data to 25 */
	n = build_frame(fr, 6, 40000, 80, 0x02, 0);
	assert_false(matches(buf, fr, n));       /* SYN to 80 */
	n = build_frame(fr, 17, 40000, 123, 0, 20);
	assert_false(matches(buf, fr, n));
	fr[14 + 6] = 0x00;                       /* non-first fragment: offset 0x40 */
	fr[14 + 7] = 0x40;
	assert_true(matches(buf, fr, n));
	n = build_frame(fr, 1, 0, 0, 0, 20);     /* ICMP type 3 */
	fr[14 + 20] = 3;
	assert_true(matches(buf, fr, n));
	fr[14 + 20] = 8;                         /* echo request */
	assert_false(matches(buf, fr, n));

	/* relay hosts' ports (--relayhost [HOST]:587): their SYNs too */
	const uint16_t sub[2] = {587, 25};
	char b3[1024];
	mx_capture_default_filter(b3, sizeof(b3), one, 1, sub, 2);
	assert_non_null(strstr(b3, "(tcp dst port 587 and tcp[tcpflags] & tcp-syn != 0)"));
	assert_null(strstr(strstr(b3, "tcp dst port 25 and") + 1, "tcp dst port 25 and"));
	n = build_frame(fr, 6, 40000, 587, 0x02, 0);
	assert_false(matches(buf, fr, n));
	assert_true(matches(b3, fr, n));         /* SYN to 587 */
	n = build_frame(fr, 6, 40000, 587, 0x10, 20);
	assert_false(matches(b3, fr, n));        /* data to 587 */
	n = build_frame(fr, 6, 40000, 25, 0x02, 0);
	assert_true(matches(b3, fr, n));

	/* a small buffer gets a terminated prefix, never an overflow */
	memset(b2, 'x', sizeof(b2));
	mx_capture_default_filter(b2, 10, one, 1, NULL, 0);
	assert_int_equal(strlen(b2), 9);
	assert_int_equal(b2[10], 'x');
}

static void live_loopback(void **state)
{
	struct mx_live_opts o = {"lo", 0, 0, true, true, false};
	struct mx_capture *c = NULL;
	struct mx_capture_stats st;
	struct mx_frame f;
	char err[512];
	int rc, got = 0, tries;

	(void)state;
	rc = mx_capture_open_live(&c, &o, "udp port 53535", err, sizeof(err));
	if (geteuid() != 0 || rc == MX_EPRIV) {
		/* without root (or CAP_NET_RAW, in a container) the error must
		 * say what to do */
		assert_int_equal(rc, MX_EPRIV);
		assert_non_null(strstr(err, "sudo"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_true(mx_capture_is_live(c));
	assert_true(mx_capture_fd(c) >= 0);
	assert_string_equal(mx_capture_source(c), "interface lo");
	assert_int_equal(mx_capture_input_dlt(c, 0), DLT_EN10MB);
	/* nothing yet: non-blocking read returns 0 at once */
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	{
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to;

		assert_true(s >= 0);
		memset(&to, 0, sizeof(to));
		to.sin_family = AF_INET;
		to.sin_port = htons(53535);
		to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(sendto(s, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to)), 5);
		close(s);
	}
	for (tries = 0; tries < 40 && !got; tries++) {
		struct pollfd pfd = {mx_capture_fd(c), POLLIN, 0};

		(void)poll(&pfd, 1, 50);
		while ((rc = mx_capture_next(c, &f, err, sizeof(err))) == 1) {
			got++;
			assert_int_equal(f.frame, (uint64_t)got);
			assert_int_equal(f.linktype, DLT_EN10MB);
			assert_int_equal(f.caplen, 14 + 20 + 8 + 5);
			assert_true(f.ts_us > 1600000000ULL * 1000000);
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 1);
	mx_capture_stats(c, &st);
	assert_true(st.live);
	assert_int_equal(st.frames, 1);
	assert_true(st.ps_recv >= 1);
	mx_capture_break(c);
	assert_int_equal(mx_capture_next(c, &f, err, sizeof(err)), 0);
	mx_capture_free(c);

	o.iface = "mxnosuchif0";
	assert_int_not_equal(mx_capture_open_live(&c, &o, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "mxnosuchif0"));
	assert_non_null(strstr(err, "no such interface"));
	o.iface = "lo";
	assert_int_equal(mx_capture_open_live(&c, &o, "port banana", err, sizeof(err)), MX_EFILTER);
}

static void list_ifaces(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char err[256];

	(void)state;
	assert_non_null(m);
	assert_int_equal(mx_capture_list_ifaces(m, err, sizeof(err)), 0);
	fclose(m);
	assert_non_null(strstr(buf, "1."));
	assert_non_null(strstr(buf, "lo"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_files_number_on),
		cmocka_unit_test(nanosecond_file_reads_as_micro),
		cmocka_unit_test(save_refused_for_files),
		cmocka_unit_test(pcapng_is_read),
		cmocka_unit_test(pcapng_interfaces_and_sections),
		cmocka_unit_test(time_going_back),
		cmocka_unit_test(mapped_reader_matches_libpcap),
		cmocka_unit_test(stdin_dash),
		cmocka_unit_test(truncated_file),
		cmocka_unit_test(unreadable_files),
		cmocka_unit_test(other_formats_named),
		cmocka_unit_test(filter_keeps_frame_numbers),
		cmocka_unit_test(link_type_names),
		cmocka_unit_test(default_filter),
		cmocka_unit_test(live_loopback),
		cmocka_unit_test(list_ifaces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
