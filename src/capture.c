/* capture.c - packet input: pcap/pcapng files, stdin, live interfaces (L1).
 *
 * The only file that includes <pcap.h>. Files given with -r are all opened
 * (and checked: readable, pcap or pcapng, filter compiles) before the first
 * frame is read, so every error is reported up front and privileges can be
 * dropped afterwards; they are then read one after the other as one stream.
 * Frame numbers count every record of every file, also records the filter
 * rejects, so a frame number is the one Wireshark shows (for several files:
 * the one a `mergecap -a` concatenation shows). That is why a file's filter
 * runs here through pcap_offline_filter() rather than pcap_setfilter(), which
 * would hide rejected records from us. Nanosecond files are read at
 * microsecond precision (ns / 1000, as libpcap scales them). Files are read by
 * our own readers below, libpcap only compiles and runs their filters: pcapng
 * (ng_*) because libpcap 1.10 refuses files whose interfaces have different
 * link types and sections of different byte order (see the comment above
 * NG_SHB), classic pcap (pf_*) because handing out frames from a mapping
 * costs a fraction of libpcap's per-record reads (see the comment above
 * PF_MAGIC_US). Live captures are libpcap's.
 *
 * A file that ends inside a record gives MX_ETRUNC once (the frames before it
 * were delivered); the next call goes on with the next file. Live captures
 * are non-blocking: the caller polls mx_capture_fd() and drains frames.
 *
 * What it does not do: decode anything, or decide which link types are
 * acceptable (decode.c knows; main.c asks it about mx_capture_input_dlt()).
 */
#include "mxsniff/capture.h"

#include <errno.h>
#include <pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxsniff/err.h"

#define MX_SNAPLEN_DEFAULT 262144
#define MX_LIVE_TIMEOUT_MS 100

struct mx_input {
	pcap_t *pc;
	char *name;             /* path as given; "-" for stdin */
	int dlt;
	bool has_prog;
	struct bpf_program prog;
	uint64_t records;       /* records read from this input (filtered or not) */
	struct mx_ng *ng;       /* pcapng: read by ng_*() below, pc is NULL */
	FILE *ngfp;
	struct mx_pf *pf;       /* pcap file: read by pf_*() below, pc is NULL */
};

struct mx_capture {
	bool live;
	bool stop;              /* mx_capture_break() was called */
	struct mx_input *in;
	size_t n, cur;
	struct mx_input *fast;  /* the input being read when pf_fast() can read
				 * it (set by the general path), else NULL */
	uint64_t frameno;       /* records seen in all inputs so far */
	uint64_t handed;        /* frames handed out */
	uint64_t prev_ts;       /* time of the previous frame handed out */
	uint64_t back_steps, back_max_us, back_first_frame;
	int fd;
	char *filter;           /* "" when none */
	char source[256];
	/* -w FILE (live): see mx_capture_save() */
	pcap_dumper_t *dump;
	char *dump_path;
	uint64_t dump_limit, dump_frames, dump_bytes, dump_stop_frame;
	bool dump_failed;
	char dump_err[128];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static const char *input_label(const char *name)
{
	return strcmp(name, "-") == 0 ? "standard input" : name;
}

struct mx_ng;
static void ng_free(struct mx_ng *g);
struct mx_pf;
static void pf_free(struct mx_pf *p);
static FILE *pf_file(const struct mx_pf *p);

static void input_close(struct mx_input *in)
{
	if (in->ng != NULL) {
		ng_free(in->ng);
		in->ng = NULL;
		fclose(in->ngfp);   /* as pcap_close() does, stdin included */
		in->ngfp = NULL;
	}
	if (in->pf != NULL) {
		FILE *fp = pf_file(in->pf);

		pf_free(in->pf);
		in->pf = NULL;
		fclose(fp);         /* stdin included, as before */
	}
	if (in->has_prog)
		pcap_freecode(&in->prog);
	in->has_prog = false;
	if (in->pc != NULL)
		pcap_close(in->pc);   /* also fcloses the FILE, stdin included */
	in->pc = NULL;
}

/* A libpcap handle to compile a file's filter with: libpcap reading a pcap
 * file header (our link type and snap length, in the file's byte order) from
 * memory, `hdr` (24 bytes, kept by the caller until pcap_close()), and
 * nothing else. Not pcap_open_dead(): what libpcap generates depends on the
 * handle reading a file, and in which byte order. For DLT_NULL, `ip6` (and so
 * `udp`) matches the three BSD AF_INET6 values only when reading a file (for
 * a dead handle, this host's AF_INET6: 10 on Linux, which no BSD capture
 * carries), and the AF word is compared in the file's byte order. */
static pcap_t *file_filter_handle(uint8_t *hdr, int dlt, uint32_t snaplen, bool swap,
				  char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	uint32_t magic = 0xa1b2c3d4u, zero = 0, snap = snaplen, lt = (uint32_t)dlt;
	uint16_t major = 2, minor = 4;
	FILE *mf;
	pcap_t *pc;

	if (swap) {
		/* libpcap then reads it "swapped", as it would the file */
		magic = __builtin_bswap32(magic);
		snap = __builtin_bswap32(snap);
		lt = __builtin_bswap32(lt);
		major = __builtin_bswap16(major);
		minor = __builtin_bswap16(minor);
	}
	memcpy(hdr, &magic, 4);
	memcpy(hdr + 4, &major, 2);
	memcpy(hdr + 6, &minor, 2);
	memcpy(hdr + 8, &zero, 4);
	memcpy(hdr + 12, &zero, 4);
	memcpy(hdr + 16, &snap, 4);
	memcpy(hdr + 20, &lt, 4);
	mf = fmemopen(hdr, 24, "rb");
	if (mf == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	ebuf[0] = '\0';
	pc = pcap_fopen_offline(mf, ebuf);   /* pcap_close() fcloses mf */
	if (pc == NULL)
		fclose(mf);
	if (pc == NULL || pcap_datalink(pc) != dlt) {
		/* not expected (the DLT values we hand out read back as
		 * themselves); a dead handle is the next best */
		if (pc != NULL)
			pcap_close(pc);
		pc = pcap_open_dead(dlt, (int)snaplen);
		if (pc == NULL)
			set_err(err, errlen, "out of memory");
	}
	return pc;
}

/* Compile `filter` for pc's link type into prog. */
static int compile_filter(pcap_t *pc, const char *filter, struct bpf_program *prog,
			  const char *what, char *err, size_t errlen)
{
	if (pcap_compile(pc, prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		set_err(err, errlen, "bad filter expression for %s: %s", what, pcap_geterr(pc));
		return MX_EFILTER;
	}
	return 0;
}

/* ---- pcapng, read here rather than by libpcap ----
 *
 * libpcap 1.10 refuses a pcapng file whose interfaces have different link
 * types ("an interface has a type 113 different from the type of the first
 * interface") and a second section in the other byte order ("block size
 * 469762048 > maximum"). Both are ordinary: dumpcap writes one IDB per
 * interface captured (Ethernet + Linux cooked, or + raw IP for a tunnel), and
 * `cat a.pcapng b.pcapng` of files from two hosts concatenates sections. So
 * pcapng files are read by this small reader (draft-ietf-opsawg-pcapng §4):
 *  - SHB (§4.1): byte order from its magic; a new SHB starts a section with
 *    its own byte order and forgets the previous section's interfaces;
 *  - IDB (§4.2): link type, snap length, if_tsresol (option 9: 10^-n or,
 *    with the high bit set, 2^-n seconds) and if_tsoffset (option 14, s);
 *  - EPB (§4.3), SPB (§4.4, always interface 0) and the obsolete Packet
 *    Block (type 2) are frames; every other block type is skipped.
 * Every frame carries the link type of its own interface and is numbered as
 * Wireshark numbers it (one per packet block). An SPB has no timestamp: it
 * gets the previous frame's time (0 before any), so the clock does not jump
 * back to 1970 in the middle of a capture. The filter is compiled once per
 * link type (pcap_open_dead), because BPF offsets depend on it. */

#define NG_SHB 0x0A0D0D0Au
#define NG_IDB 1u
#define NG_OPB 2u
#define NG_SPB 3u
#define NG_EPB 6u
#define NG_SJE 9u            /* systemd journal export */
#define NG_CB 0x00000BADu    /* custom block, may be copied */
#define NG_CB_NOCOPY 0x40000BADu
#define NG_BOM 0x1A2B3C4Du
#define NG_MAX_BLOCK (16u * 1024u * 1024u)   /* libpcap's limit too */
#define NG_MAX_IFS 4096u
#define NG_MAX_PROGS 16u

struct ng_if {
	int dlt;
	uint32_t snaplen;       /* 0 = no limit */
	uint8_t tsresol;        /* if_tsresol as in the file (default 6) */
	int64_t tsoffset;       /* if_tsoffset, seconds */
};

struct ng_prog {
	int dlt;
	struct bpf_program prog;
};

struct mx_ng {
	FILE *fp;
	bool be;                /* this section is big endian */
	bool pending;           /* buf holds a packet block read at open */
	int deferred;           /* error met at open after the first SHB, or 0 */
	char deferred_why[200];
	struct ng_if *ifs;
	size_t nifs;
	uint8_t *buf;           /* current block body (after type and length) */
	size_t bufcap;
	uint32_t btype, blen;   /* current block type, body length (with trailer) */
	uint64_t last_ts;
	int dlts[MX_CAPTURE_MAX_DLTS]; /* distinct link types of the IDBs seen at open */
	size_t ndlts;
	struct ng_prog progs[NG_MAX_PROGS];
	size_t nprogs;
	/* records without a packet that Wireshark numbers as frames (custom
	 * blocks, systemd journal entries), not yet added to the frame number:
	 * frame numbers stay Wireshark's */
	uint64_t nonpacket;
};

static uint32_t ng_u32(const struct mx_ng *g, const uint8_t *p)
{
	if (g->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t ng_u16(const struct mx_ng *g, const uint8_t *p)
{
	return g->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static void ng_free(struct mx_ng *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nprogs; i++)
		pcap_freecode(&g->progs[i].prog);
	free(g->ifs);
	free(g->buf);
	free(g);
}

/* Capture time in microseconds of `units` ticks of interface `i`. */
static uint64_t ng_ts_us(const struct ng_if *i, uint64_t units)
{
	unsigned n = i->tsresol & 0x7f;
	uint64_t us;

	if (i->tsresol & 0x80) {
		/* 2^-n seconds */
		uint64_t sec, frac;

		if (n >= 64)
			return 0;
		sec = n ? units >> n : units;
		frac = n ? units & ((UINT64_C(1) << n) - 1) : 0;
		if (n > 43) {     /* keep frac * 10^6 below 2^64 */
			frac >>= n - 43;
			n = 43;
		}
		us = sec * 1000000u + (n ? (frac * 1000000u) >> n : 0);
	} else if (n >= 6) {
		uint64_t div = 1;

		if (n - 6 > 19)
			return 0;
		while (n-- > 6)
			div *= 10;
		us = units / div;
	} else {
		us = units;
		while (n++ < 6)
			us *= 10;
	}
	/* an offset beyond 10^11 s (3000 years) is damage: ignored */
	if (i->tsoffset != 0 && i->tsoffset < INT64_C(100000000000) &&
	    i->tsoffset > -INT64_C(100000000000)) {
		int64_t off = i->tsoffset * 1000000;

		us = off < 0 && (uint64_t)-off > us ? 0 : us + (uint64_t)off;
	}
	return us;
}

/* Read the next block into g->buf. 1 = a block, 0 = clean end of file,
 * MX_ETRUNC = the file ends inside a block, MX_EFORMAT = not a valid block
 * (message in err). A Section Header Block sets the byte order. */
static int ng_read_block(struct mx_ng *g, char *err, size_t errlen)
{
	uint8_t head[12];
	size_t got = fread(head, 1, 8, g->fp);
	uint32_t type, len;

	if (got == 0)
		return ferror(g->fp) ? MX_EIO : 0;
	if (got < 8)
		return MX_ETRUNC;
	type = ng_u32(g, head);
	if (type == NG_SHB) {
		uint32_t bom;

		if (fread(head + 8, 1, 4, g->fp) != 4)
			return MX_ETRUNC;
		bom = (uint32_t)head[8] << 24 | (uint32_t)head[9] << 16 | (uint32_t)head[10] << 8 |
		      head[11];
		if (bom == NG_BOM)
			g->be = true;
		else if (__builtin_bswap32(bom) == NG_BOM)
			g->be = false;
		else {
			set_err(err, errlen, "bad pcapng section header (byte-order magic 0x%08x)",
				(unsigned)bom);
			return MX_EFORMAT;
		}
	}
	len = ng_u32(g, head + 4);
	if (len < 12 || len % 4 != 0 || len > NG_MAX_BLOCK || (type == NG_SHB && len < 28)) {
		set_err(err, errlen, "bad pcapng block length %lu (block type 0x%08lx)",
			(unsigned long)len, (unsigned long)type);
		return MX_EFORMAT;
	}
	len -= 8;
	if (len > g->bufcap) {
		size_t cap = g->bufcap ? g->bufcap : 4096;
		uint8_t *nb;

		while (cap < len)
			cap *= 2;
		nb = realloc(g->buf, cap);
		if (nb == NULL) {
			set_err(err, errlen, "out of memory");
			return MX_ENOMEM;
		}
		g->buf = nb;
		g->bufcap = cap;
	}
	got = 0;
	if (type == NG_SHB) {
		memcpy(g->buf, head + 8, 4);
		got = 4;
	}
	if (fread(g->buf + got, 1, len - got, g->fp) != len - got)
		return MX_ETRUNC;
	if (ng_u32(g, g->buf + len - 4) != len + 8) {
		set_err(err, errlen, "pcapng block lengths disagree (block type 0x%08lx)",
			(unsigned long)type);
		return MX_EFORMAT;
	}
	g->btype = type;
	g->blen = len - 4;   /* body without the trailing length */
	return 1;
}

/* Files carry LINKTYPE_ values; libpcap, its filter compiler and decode.c
 * speak DLT_ values. They differ for a few numbers only (libpcap's
 * pcap-common.c), which is what a pcap read through libpcap gets too. */
static int ng_linktype_to_dlt(int lt)
{
	switch (lt) {
	case 100: return DLT_ATM_RFC1483;  /* LINKTYPE_ATM_RFC1483 */
	case 101: return DLT_RAW;          /* LINKTYPE_RAW */
	case 102: return DLT_SLIP_BSDOS;   /* LINKTYPE_SLIP_BSDOS */
	case 103: return DLT_PPP_BSDOS;    /* LINKTYPE_PPP_BSDOS */
	case 106: return DLT_ATM_CLIP;     /* LINKTYPE_ATM_CLIP */
	default: return lt;
	}
}

/* Handle a non-packet block. 0 or MX_EFORMAT / MX_ENOMEM. */
static int ng_meta_block(struct mx_ng *g, char *err, size_t errlen)
{
	const uint8_t *b = g->buf;

	if (g->btype == NG_CB || g->btype == NG_CB_NOCOPY || g->btype == NG_SJE)
		g->nonpacket++;

	if (g->btype == NG_SHB) {
		uint16_t major = ng_u16(g, b + 4);

		if (major != 1) {
			set_err(err, errlen, "pcapng section version %u is not supported", major);
			return MX_EFORMAT;
		}
		g->nifs = 0;   /* interfaces are numbered per section */
		return 0;
	}
	if (g->btype == NG_IDB) {
		struct ng_if i = {0, 0, 6, 0};
		size_t off = 8;

		if (g->blen < 8) {
			set_err(err, errlen, "pcapng interface block too short");
			return MX_EFORMAT;
		}
		if (g->nifs >= NG_MAX_IFS) {
			set_err(err, errlen, "more than %u interfaces in a pcapng section", NG_MAX_IFS);
			return MX_EFORMAT;
		}
		i.dlt = ng_linktype_to_dlt(ng_u16(g, b));
		i.snaplen = ng_u32(g, b + 4);
		while (off + 4 <= g->blen) {
			uint16_t code = ng_u16(g, b + off), olen = ng_u16(g, b + off + 2);

			off += 4;
			if (code == 0 || olen > g->blen - off)
				break;
			if (code == 9 && olen >= 1)
				i.tsresol = b[off];
			else if (code == 14 && olen >= 8)
				i.tsoffset = (int64_t)((uint64_t)ng_u32(g, b + off + (g->be ? 0 : 4)) << 32 |
						       ng_u32(g, b + off + (g->be ? 4 : 0)));
			off += ((size_t)olen + 3) & ~(size_t)3;
		}
		if (g->nifs % 16 == 0) {
			struct ng_if *n = realloc(g->ifs, (g->nifs + 16) * sizeof(*n));

			if (n == NULL) {
				set_err(err, errlen, "out of memory");
				return MX_ENOMEM;
			}
			g->ifs = n;
		}
		g->ifs[g->nifs++] = i;
		return 0;
	}
	return 0;   /* name resolution, statistics, decryption secrets, custom, unknown */
}

static bool ng_is_packet(uint32_t type)
{
	return type == NG_EPB || type == NG_SPB || type == NG_OPB;
}

/* Fill h/data from the packet block in g->buf; returns the interface, or
 * NULL with a message in err. */
static const struct ng_if *ng_packet(struct mx_ng *g, struct pcap_pkthdr *h, const uint8_t **data,
				     uint64_t *ts_us, char *err, size_t errlen)
{
	const uint8_t *b = g->buf;
	uint32_t ifid, caplen, len, hdr;
	uint64_t units = 0;
	const struct ng_if *i;

	if (g->btype == NG_SPB) {
		hdr = 4;
		if (g->blen < hdr)
			goto short_block;
		ifid = 0;
		len = ng_u32(g, b);
		caplen = len;
	} else {
		hdr = 20;
		if (g->blen < hdr)
			goto short_block;
		if (g->btype == NG_EPB)
			ifid = ng_u32(g, b);
		else
			ifid = ng_u16(g, b);
		units = (uint64_t)ng_u32(g, b + 4) << 32 | ng_u32(g, b + 8);
		caplen = ng_u32(g, b + 12);
		len = ng_u32(g, b + 16);
	}
	if (ifid >= g->nifs) {
		set_err(err, errlen, "pcapng packet for interface %lu, but the section describes %zu",
			(unsigned long)ifid, g->nifs);
		return NULL;
	}
	i = &g->ifs[ifid];
	if (g->btype == NG_SPB) {
		/* §4.4: captured length = min(original length, snap length, block room) */
		if (i->snaplen != 0 && caplen > i->snaplen)
			caplen = i->snaplen;
		if (caplen > g->blen - hdr)
			caplen = g->blen - hdr;
		*ts_us = g->last_ts;
	} else {
		if (caplen > g->blen - hdr)
			goto short_block;
		*ts_us = ng_ts_us(i, units);
	}
	if (len < caplen)
		len = caplen;
	g->last_ts = *ts_us;
	h->ts.tv_sec = (time_t)(*ts_us / 1000000u);
	h->ts.tv_usec = (suseconds_t)(*ts_us % 1000000u);
	h->caplen = caplen;
	h->len = len;
	*data = b + hdr;
	return i;
short_block:
	set_err(err, errlen, "pcapng packet block (type %lu) shorter than its contents",
		(unsigned long)g->btype);
	return NULL;
}

static void ng_note_dlt(struct mx_ng *g, int dlt)
{
	size_t k;

	for (k = 0; k < g->ndlts; k++)
		if (g->dlts[k] == dlt)
			return;
	if (g->ndlts < MX_CAPTURE_MAX_DLTS)
		g->dlts[g->ndlts++] = dlt;
}

/* Open: the SHB and every block up to the first packet block (kept pending),
 * so that the interfaces described up front are known to the caller. */
static int ng_open(struct mx_ng **out, FILE *fp, const char *label, char *err, size_t errlen)
{
	struct mx_ng *g = calloc(1, sizeof(*g));
	char why[200];
	bool have_shb = false;
	int rc;
	size_t k;

	if (g == NULL) {
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	g->fp = fp;
	why[0] = '\0';
	rc = ng_read_block(g, why, sizeof(why));
	if (rc == 1 && g->btype != NG_SHB) {
		rc = MX_EFORMAT;
		snprintf(why, sizeof(why), "no section header block");
	}
	if (rc == 1)
		rc = ng_meta_block(g, why, sizeof(why));
	if (rc == 0) {
		have_shb = true;
		rc = ng_read_block(g, why, sizeof(why));
	}
	while (rc == 1) {
		if (ng_is_packet(g->btype)) {
			g->pending = true;
			break;
		}
		rc = ng_meta_block(g, why, sizeof(why));
		if (rc == 0)
			rc = ng_read_block(g, why, sizeof(why));
	}
	if (rc < 0 && have_shb) {
		/* damage after a valid section header shows when the frames are read,
		 * as for a pcap (libpcap reports a cut-off first record there too) */
		g->deferred = rc;
		snprintf(g->deferred_why, sizeof(g->deferred_why), "%s", why);
		rc = 0;
	}
	if (rc < 0) {
		if (rc == MX_ETRUNC)
			set_err(err, errlen, "cannot read %s: the file header is cut off", label);
		else
			set_err(err, errlen, "cannot read %s: %s", label, why);
		ng_free(g);
		return rc == MX_ETRUNC ? MX_EFORMAT : rc;
	}
	for (k = 0; k < g->nifs; k++)
		ng_note_dlt(g, g->ifs[k].dlt);
	*out = g;
	return 0;
}

static const struct bpf_program *ng_filter(struct mx_ng *g, int dlt, const char *filter,
					   const char *label, char *err, size_t errlen)
{
	struct ng_prog *p;
	pcap_t *dead;
	uint8_t hdr[24];
	size_t k;

	for (k = 0; k < g->nprogs; k++)
		if (g->progs[k].dlt == dlt)
			return &g->progs[k].prog;
	if (g->nprogs == NG_MAX_PROGS) {
		set_err(err, errlen, "more than %u link types in one file", NG_MAX_PROGS);
		return NULL;
	}
	/* as for a pcap file (file_filter_handle()); the filter is compiled
	 * per link type, not per section, so in this host's byte order */
	dead = file_filter_handle(hdr, dlt, MX_SNAPLEN_DEFAULT, false, err, errlen);
	if (dead == NULL)
		return NULL;
	p = &g->progs[g->nprogs];
	if (pcap_compile(dead, &p->prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		set_err(err, errlen, "bad filter expression for %s (link type %s): %s", label,
			mx_capture_dlt_name(dlt), pcap_geterr(dead));
		pcap_close(dead);
		return NULL;
	}
	pcap_close(dead);
	p->dlt = dlt;
	g->nprogs++;
	return &p->prog;
}

/* ---- classic pcap, read here rather than by libpcap ----
 *
 * libpcap reads a record with two fread() calls into its own buffer, swaps
 * and checks the header, and that costs more than a tenth of the whole
 * analysis of a large file. This reader hands out frames where they lie:
 *  - a regular file is mapped whole (read-only, MAP_PRIVATE) and each frame
 *    points into the mapping; pages behind the reader are dropped every
 *    PF_DROP bytes, so memory stays bounded whatever the file size. A file
 *    that is being written to is read up to its size at open: records added
 *    later are not seen, and a record cut by the writer at that point ends
 *    the file as "cut off". A file shortened while it is mapped (tcpdump -W
 *    going round its ring of files reopens the oldest with O_TRUNC, a
 *    logrotate copytruncate) would stop the process with SIGBUS on the first
 *    touch of a page past the new end: pf_bus() catches that for the
 *    mappings on the pf_mapped list, puts zero pages over the rest of the
 *    mapping and marks the reader, which then ends the file as "shortened
 *    while being read". Before a record is handed out its last byte is
 *    read, so a record whose end lies in a page past the cut is not handed
 *    out; one whose end lies in the page of the cut reads as zeros past the
 *    cut, and the zeros after it (a record of length 0) make the reader ask
 *    the file's size. A cut that comes while a frame is being decoded turns
 *    the rest of that frame to zeros. A SIGBUS anywhere else goes to the
 *    handler that was there before (the default: the process stops).
 *    Once a record of such a file without a filter has been read, the next
 *    ones are read by pf_fast() straight from mx_capture_next() while they
 *    are plain (own byte order, 16-byte headers, not longer than the snap
 *    length, whole, no page drop due); any other record, the end of the
 *    file or a break goes back to the general path (pf_next);
 *  - anything else (standard input, a pipe, a FIFO, or a file mmap() refuses)
 *    is read with read(2) into a buffer refilled PF_CHUNK at a time (grown
 *    for a record larger than that): a read returns what is there, so frames
 *    from a live pipe are not held back to fill the buffer. A read
 *    interrupted by a signal goes on, unless mx_capture_break() was called.
 * What libpcap 1.10 accepts is accepted the same way (and tests/unit/
 * test_pcapread.c compares both readers on every capture under captures/):
 *  - magic 0xa1b2c3d4 (us) and 0xa1b23c4d (ns) in either byte order, and
 *    0xa1b2cd34, Alexey Kuznetzov's modified format: 24-byte record headers
 *    (interface index, protocol, packet type after the lengths; skipped),
 *    and 14 more bytes of snap length for Ethernet, as libpcap does;
 *  - versions 2.0-2.4 and 543.0 (DG/UX); caplen and len are exchanged
 *    before 2.3 and in 543.0, and in 2.3 when caplen > len;
 *  - the snap length: 0 or above the largest for the link type (256 KiB;
 *    1 MiB USBPCAP, 8 MiB EBHSCR, 128 MiB D-Bus) means that largest; a
 *    record longer than the snap length is cut to it (the rest is skipped),
 *    one longer than the largest is damage;
 *  - times scaled to microseconds by truncation (ns / 1000).
 * Differences, on purpose: the link type is the low 16 bits of the header's
 * field (draft-ietf-opsawg-pcap: above them are the FCS length and reserved
 * bits; libpcap keeps 26 bits), and the seconds and fraction of a record are
 * unsigned as the format says (libpcap 1.10 reads them signed: a time after
 * 2038 came out negative). The pseudo-headers libpcap byte-swaps in files of
 * the other byte order (USB, NFLOG) are left as they are: mxsniff does not
 * decode those link types. */

#define PF_MAGIC_US 0xa1b2c3d4u
#define PF_MAGIC_NS 0xa1b23c4du
#define PF_MAGIC_KUZ 0xa1b2cd34u
#define PF_CHUNK ((size_t)1 << 20)
#define PF_DROP ((size_t)4 << 20)
#define PF_SNAP_MAX 262144u      /* libpcap's MAXIMUM_SNAPLEN */

enum { PF_LEN_PLAIN, PF_LEN_SWAPPED, PF_LEN_MAYBE };

struct mx_pf {
	FILE *fp;
	int fd;
	const uint8_t *map;     /* the whole file (regular files), or NULL */
	size_t maplen;
	size_t pos;             /* map: offset of the next record */
	size_t dropped;         /* map: pages before this were given back */
	struct mx_pf *mapped_next; /* map: the pf_mapped list */
	volatile sig_atomic_t bus; /* map: the file was shortened under it */
	uint8_t *buf;           /* otherwise: buffered input, [beg, end) unread */
	size_t bufcap, beg, end;
	bool eof;               /* read(2) returned 0 or failed (rd_errno) */
	const volatile bool *stop; /* the capture's mx_capture_break() flag */
	int rd_errno;
	bool swap;              /* the file's byte order is not ours */
	bool nano;
	uint8_t lengths;        /* PF_LEN_*: caplen and len exchanged? */
	uint32_t hdrsize;       /* record header: 16, or 24 (Kuznetzov) */
	uint32_t snapshot;      /* snap length as libpcap adjusts it */
	uint32_t maxcap;        /* largest caplen for the link type */
	uint32_t limit;         /* min(snapshot, maxcap): above it, a closer look */
	int dlt;
};

struct pf_rec {
	uint64_t ts_us;
	uint32_t caplen, len;
	const uint8_t *data;
};

static inline uint32_t pf_u32(const struct mx_pf *p, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return p->swap ? __builtin_bswap32(v) : v;
}

static uint16_t pf_u16(const struct mx_pf *p, const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return p->swap ? __builtin_bswap16(v) : v;
}

static FILE *pf_file(const struct mx_pf *p)
{
	return p->fp;
}

/* ---- a file shortened while it is mapped (see the comment above) ----
 * SIGBUS for a memory access is delivered to the thread that made it, at
 * that instruction: only while this thread is inside the reader or the
 * decoder. The list and the handler are only changed outside of that. */
static struct mx_pf *pf_mapped;
/* Where the byte read to see a cut goes: a load whose value is not used may
 * be dropped (valgrind's translation drops it), a load that is stored is
 * not. */
static volatile uint8_t pf_probe;
static struct sigaction pf_bus_old;
static bool pf_bus_set;
static uintptr_t pf_pagesize;

static void pf_bus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	for (struct mx_pf *p = si->si_code > 0 ? pf_mapped : NULL; p != NULL; p = p->mapped_next) {
		uintptr_t b = (uintptr_t)p->map, e = b + p->maplen;

		if (a < b || a >= e)
			continue;
		a &= ~(pf_pagesize - 1);
		e = (e + pf_pagesize - 1) & ~(pf_pagesize - 1);
		if (mmap((void *)a, e - a, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			break;
		p->bus = 1;
		return;
	}
	/* not a mapped capture file: what was there before, from the same
	 * instruction (it faults again), or for a signal sent by kill() or
	 * raise(), sent again (blocked until this returns) */
	sigaction(SIGBUS, &pf_bus_old, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void pf_map_add(struct mx_pf *p)
{
	if (!pf_bus_set) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = pf_bus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		pf_pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
		if (pf_pagesize == 0 || (pf_pagesize & (pf_pagesize - 1)) != 0)
			pf_pagesize = 4096;
		if (sigaction(SIGBUS, &sa, &pf_bus_old) == 0)
			pf_bus_set = true;
	}
	p->mapped_next = pf_mapped;
	pf_mapped = p;
}

static void pf_map_del(struct mx_pf *p)
{
	struct mx_pf **pp = &pf_mapped;

	while (*pp != NULL && *pp != p)
		pp = &(*pp)->mapped_next;
	if (*pp != NULL)
		*pp = p->mapped_next;
	if (pf_mapped == NULL && pf_bus_set) {
		sigaction(SIGBUS, &pf_bus_old, NULL);
		pf_bus_set = false;
	}
}

/* A mapped file is shorter than it was at open: mark the reader. For what
 * SIGBUS does not show: the part of the last page past the new end reads as
 * zeros, and a file rewritten since (truncated, then written again) shows its
 * new bytes, which read as damage. */
static bool pf_shrunk(struct mx_pf *p)
{
	struct stat st;

	if (p->map != NULL && !p->bus && fstat(p->fd, &st) == 0 && st.st_size >= 0 &&
	    (uint64_t)st.st_size < p->maplen)
		p->bus = 1;
	return p->map != NULL && p->bus;
}

static void pf_free(struct mx_pf *p)
{
	if (p == NULL)
		return;
	if (p->map != NULL) {
		pf_map_del(p);
		munmap((void *)(uintptr_t)p->map, p->maplen);
	}
	free(p->buf);
	free(p);
}

/* Buffered input: make `need` bytes from beg readable if the input has them.
 * Returns the bytes readable (fewer than need at the end of the input or
 * after a read error, rd_errno), or 0 with rd_errno = ENOMEM. */
static size_t pf_fill(struct mx_pf *p, size_t need)
{
	size_t have = p->end - p->beg;

	if (have >= need || p->eof)
		return have;
	if (p->beg > 0) {
		memmove(p->buf, p->buf + p->beg, have);
		p->beg = 0;
		p->end = have;
	}
	if (need > p->bufcap) {
		size_t cap = (need + PF_CHUNK - 1) / PF_CHUNK * PF_CHUNK;
		uint8_t *nb = realloc(p->buf, cap);

		if (nb == NULL) {
			p->rd_errno = ENOMEM;
			p->eof = true;
			return have;
		}
		p->buf = nb;
		p->bufcap = cap;
	}
	while (p->end < need) {
		ssize_t n = read(p->fd, p->buf + p->end, p->bufcap - p->end);

		if (n > 0) {
			p->end += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			/* a signal with a handler (not restarted): go on reading
			 * unless mx_capture_break() asked to stop, which ends the
			 * input (a record cut short by it reads as cut off) */
			if (p->stop != NULL && *p->stop) {
				p->eof = true;
				break;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a non-blocking descriptor (inherited stdin): wait */
			struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

			if (poll(&pfd, 1, -1) >= 0 || (errno == EINTR && (p->stop == NULL || !*p->stop)))
				continue;
			if (errno == EINTR) {
				p->eof = true;   /* as above */
				break;
			}
		}
		if (n < 0)
			p->rd_errno = errno;
		p->eof = true;
		break;
	}
	return p->end - p->beg;
}

/* The largest record libpcap 1.10 accepts for a link type (its
 * max_snaplen_for_dlt()). */
static uint32_t pf_max_snaplen(int dlt)
{
	switch (dlt) {
	case 231: return 128u * 1024u * 1024u;   /* DLT_DBUS */
	case 249: return 1024u * 1024u;          /* DLT_USBPCAP */
	case 279: return 8u * 1024u * 1024u;     /* DLT_EBHSCR */
	default: return PF_SNAP_MAX;
	}
}

/* What a file that is neither pcap nor pcapng is, from its first n bytes,
 * as the end of the error message: ": it is KIND (read it: COMMAND)", the
 * command naming the file, or "" when nothing is recognised. Rotated
 * tcpdump files are often compressed and can be piped in; other capture
 * formats need converting. */
static void format_hint(char *out, size_t outlen, const uint8_t *h, size_t n, const char *name)
{
	static const char pipe[] = " | mxsniff -r -", conv[] = " out.pcap";
	static const struct {
		const char *magic;
		size_t len;
		const char *kind, *verb, *pre, *post;
	} known[] = {
		{"\x1f\x8b", 2, "gzip-compressed", "read", "zcat ", pipe},
		{"BZh", 3, "bzip2-compressed", "read", "bzcat ", pipe},
		{"\xfd" "7zXZ\x00", 6, "xz-compressed", "read", "xzcat ", pipe},
		{"\x28\xb5\x2f\xfd", 4, "zstd-compressed", "read", "zstdcat ", pipe},
		{"\x04\x22\x4d\x18", 4, "lz4-compressed", "read", "lz4cat ", pipe},
		{"PK\x03\x04", 4, "a zip archive", "read", "unzip -p ", pipe},
		{"snoop\x00\x00\x00", 8, "a snoop capture", "convert", "editcap -F pcap ", conv},
		{"GMBU", 4, "a Microsoft Network Monitor capture", "convert", "editcap -F pcap ", conv},
		{"RTSS", 4, "a Microsoft Network Monitor capture", "convert", "editcap -F pcap ", conv},
	};

	out[0] = '\0';
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (n >= known[i].len && memcmp(h, known[i].magic, known[i].len) == 0) {
			snprintf(out, outlen, ": it is %s (%s it: %s%s%s)", known[i].kind, known[i].verb,
				 known[i].pre, name, known[i].post);
			return;
		}
}

/* Open a pcap file on fp (descriptor fd). `off` >= 0: a regular file of
 * `size` bytes whose data starts at off (nothing read yet); off < 0: a
 * stream, whose first byte (first >= 0) the caller has read already. On
 * failure the message is the one libpcap's refusals were turned into. */
static int pf_open(struct mx_pf **out, FILE *fp, int fd, off_t off, off_t size, int first,
		   const char *label, char *err, size_t errlen)
{
	struct mx_pf *p = calloc(1, sizeof(*p));
	const uint8_t *h;
	size_t avail;
	uint32_t magic, snaplen, lt;
	uint16_t major, minor;

	if (p == NULL) {
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	p->fp = fp;
	p->fd = fd;
	if (off >= 0 && size > off && (uint64_t)size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			(void)madvise(m, (size_t)size, MADV_SEQUENTIAL);
			p->map = m;
			p->maplen = (size_t)size;
			p->pos = (size_t)off;
			p->dropped = 0;
			pf_map_add(p);
		}
	}
	if (p->map == NULL) {
		p->buf = malloc(PF_CHUNK);
		if (p->buf == NULL) {
			pf_free(p);
			set_err(err, errlen, "out of memory");
			return MX_ENOMEM;
		}
		p->bufcap = PF_CHUNK;
		if (first >= 0)
			p->buf[p->end++] = (uint8_t)first;
		avail = pf_fill(p, 24);
		h = p->buf + p->beg;
	} else {
		avail = p->maplen - p->pos;
		h = p->map + p->pos;
	}
	if (avail < 4 || (avail < 24 && p->rd_errno != 0)) {
		if (p->rd_errno != 0) {
			set_err(err, errlen, "cannot read %s: error reading dump file: %s", label,
				strerror(p->rd_errno));
			pf_free(p);
			return MX_EIO;
		}
		if (avail == 0)
			set_err(err, errlen, "cannot read %s: the file is empty", label);
		else
			set_err(err, errlen, "cannot read %s: the file header is cut off", label);
		pf_free(p);
		return MX_EFORMAT;
	}
	memcpy(&magic, h, 4);
	if (p->map != NULL && avail >= 24)
		pf_probe = h[23];
	if (p->map != NULL && p->bus) {
		set_err(err, errlen, "cannot read %s: the file was shortened while being read", label);
		pf_free(p);
		return MX_EFORMAT;
	}
	if (magic != PF_MAGIC_US && magic != PF_MAGIC_NS && magic != PF_MAGIC_KUZ) {
		magic = __builtin_bswap32(magic);
		if (magic != PF_MAGIC_US && magic != PF_MAGIC_NS && magic != PF_MAGIC_KUZ) {
			char hint[512];

			format_hint(hint, sizeof hint, h, avail, fp == stdin ? "FILE" : label);
			set_err(err, errlen, "cannot read %s: not a pcap or pcapng file%s", label, hint);
			pf_free(p);
			return MX_EFORMAT;
		}
		p->swap = true;
	}
	if (avail < 24) {
		set_err(err, errlen, "cannot read %s: the file header is cut off", label);
		pf_free(p);
		return MX_EFORMAT;
	}
	major = pf_u16(p, h + 4);
	minor = pf_u16(p, h + 6);
	snaplen = pf_u32(p, h + 16);
	lt = pf_u32(p, h + 20);
	if (major < 2) {
		set_err(err, errlen, "cannot read %s: archaic pcap savefile format", label);
		pf_free(p);
		return MX_EFORMAT;
	}
	if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
		set_err(err, errlen, "cannot read %s: unsupported pcap savefile version %u.%u", label,
			(unsigned)major, (unsigned)minor);
		pf_free(p);
		return MX_EFORMAT;
	}
	p->nano = magic == PF_MAGIC_NS;
	p->hdrsize = magic == PF_MAGIC_KUZ ? 24 : 16;
	p->dlt = ng_linktype_to_dlt((int)(lt & 0xffffu));
	p->maxcap = pf_max_snaplen(p->dlt);
	p->snapshot = snaplen == 0 || snaplen > p->maxcap ? p->maxcap : snaplen;
	if (magic == PF_MAGIC_KUZ && p->dlt == DLT_EN10MB)
		p->snapshot += 14;   /* a cooked capture with a made-up Ethernet header */
	p->limit = p->snapshot < p->maxcap ? p->snapshot : p->maxcap;
	if (major == 543 || minor < 3)
		p->lengths = PF_LEN_SWAPPED;
	else if (minor == 3)
		p->lengths = PF_LEN_MAYBE;
	else
		p->lengths = PF_LEN_PLAIN;
	if (p->map != NULL)
		p->pos += 24;
	else
		p->beg += 24;
	*out = p;
	return 0;
}

/* The next record: 1 = r filled (r->data borrowed until the next call), 0 =
 * end of the file, MX_ETRUNC = cut off inside a record, MX_EFORMAT = damaged
 * or unreadable (why). */
static inline int pf_next(struct mx_pf *p, struct pf_rec *r, char *why, size_t whylen)
{
	const uint8_t *h;
	size_t avail, need;
	uint32_t caplen, len, take, frac;

	if (p->map != NULL) {
		if (p->bus)
			goto shortened;
		if (p->pos - p->dropped >= PF_DROP) {
			/* give back the pages behind the reader (the file stays in the
			 * page cache); the frame handed out last is no longer borrowed */
			size_t upto = p->pos & ~(size_t)(PF_DROP - 1);

			(void)madvise((void *)(uintptr_t)(p->map + p->dropped), upto - p->dropped,
				      MADV_DONTNEED);
			p->dropped = upto;
		}
		avail = p->maplen - p->pos;
		h = p->map + p->pos;
	} else {
		avail = p->end - p->beg;
		if (avail < p->hdrsize)
			avail = pf_fill(p, p->hdrsize);
		h = p->buf + p->beg;
	}
	if (avail < p->hdrsize)
		goto short_read;
	caplen = pf_u32(p, h + 8);
	len = pf_u32(p, h + 12);
	if (p->lengths != PF_LEN_PLAIN && (p->lengths == PF_LEN_SWAPPED || caplen > len)) {
		uint32_t t = caplen;

		caplen = len;
		len = t;
	}
	take = caplen;
	if (caplen > p->limit) {
		if (caplen > p->maxcap) {
			/* a damaged or fuzzed file; libpcap's words */
			if (pf_shrunk(p))
				goto shortened;
			if (caplen > p->snapshot)
				set_err(why, whylen, "invalid packet capture length %lu, bigger than "
					"snaplen of %lu", (unsigned long)caplen, (unsigned long)p->snapshot);
			else
				set_err(why, whylen, "invalid packet capture length %lu, bigger than "
					"maximum of %lu", (unsigned long)caplen, (unsigned long)p->maxcap);
			return MX_EFORMAT;
		}
		caplen = p->snapshot;   /* cut to the snap length; the rest is skipped */
	}
	need = (size_t)p->hdrsize + take;
	if (avail < need) {
		if (p->map == NULL) {
			avail = pf_fill(p, need);
			h = p->buf + p->beg;
		}
		if (avail < need)
			goto short_read;
	}
	if (p->map != NULL) {
		/* the record's last byte: a cut that reaches this record's page
		 * shows now; a record of length 0 (the zeros past a cut inside a
		 * page; never a real packet) asks the file's size */
		pf_probe = h[need - 1];
		if (p->bus || (len == 0 && pf_shrunk(p)))
			goto shortened;
	}
	frac = pf_u32(p, h + 4);
	r->ts_us = (uint64_t)pf_u32(p, h) * 1000000u + (p->nano ? frac / 1000u : frac);
	r->caplen = caplen;
	r->len = len;
	r->data = h + p->hdrsize;
	if (p->map != NULL)
		p->pos += need;
	else
		p->beg += need;
	return 1;
shortened:
	set_err(why, whylen, "shortened while being read");
	return MX_ETRUNC;
short_read:
	if (pf_shrunk(p))
		goto shortened;
	if (p->rd_errno != 0) {
		set_err(why, whylen, "error reading dump file: %s", strerror(p->rd_errno));
		return MX_EFORMAT;
	}
	return avail == 0 ? 0 : MX_ETRUNC;
}

static int open_one_file(struct mx_input *in, const char *path, const char *filter,
			 const volatile bool *stop, char *err, size_t errlen)
{
	const char *label = input_label(path);
	FILE *fp;
	struct stat st;
	off_t off = -1, size = 0;
	int fd, first = -1, rc;
	unsigned char ch;
	ssize_t got;

	memset(in, 0, sizeof(*in));
	in->name = dup_str(path);
	if (in->name == NULL) {
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	if (strcmp(path, "-") == 0) {
		fp = stdin;
	} else {
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			set_err(err, errlen, "cannot read %s: is a directory", label);
			return MX_EIO;
		}
		fp = fopen(path, "rb");
		if (fp == NULL) {
			set_err(err, errlen, "cannot read %s: %s", label, strerror(errno));
			return MX_EIO;
		}
	}
	/* One byte of look-ahead tells the formats apart: pcapng starts with
	 * 0x0A (its block type), a pcap never does. A regular file is peeked at
	 * with pread() (nothing consumed: the pcap reader maps it, the pcapng one
	 * reads the FILE from where it stands); a stream gives its byte up, and it
	 * goes back into the FILE for pcapng or to the pcap reader's buffer. */
	fd = fileno(fp);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off = lseek(fd, 0, SEEK_CUR);
		size = st.st_size;
	}
	do {
		got = off >= 0 ? pread(fd, &ch, 1, off) : read(fd, &ch, 1);
	} while (got < 0 && errno == EINTR);
	if (got < 0) {
		set_err(err, errlen, "cannot read %s: error reading dump file: %s", label,
			strerror(errno));
		if (fp != stdin)
			fclose(fp);
		return MX_EIO;
	}
	if (got == 1 && ch == 0x0A) {
		if (off < 0)
			ungetc(ch, fp);
		rc = ng_open(&in->ng, fp, label, err, errlen);
		if (rc != 0) {
			if (fp != stdin)
				fclose(fp);
			return rc;
		}
		in->ngfp = fp;
		in->dlt = in->ng->ndlts ? in->ng->dlts[0] : -1;
		if (filter != NULL && filter[0] != '\0') {
			/* compile now for the interfaces described up front, so a
			 * bad expression is reported before reading */
			size_t k;

			for (k = 0; k < in->ng->ndlts; k++)
				if (ng_filter(in->ng, in->ng->dlts[k], filter, label, err,
					      errlen) == NULL)
					return MX_EFILTER;
		}
		return 0;
	}
	if (got == 1 && off < 0)
		first = ch;
	rc = pf_open(&in->pf, fp, fd, off, size, first, label, err, errlen);
	if (rc != 0) {
		if (fp != stdin)
			fclose(fp);
		return rc;
	}
	in->dlt = in->pf->dlt;
	in->pf->stop = stop;
	if (filter != NULL && filter[0] != '\0') {
		uint8_t hdr[24];
		pcap_t *fake = file_filter_handle(hdr, in->dlt, in->pf->snapshot, in->pf->swap,
						  err, errlen);

		if (fake == NULL)
			return MX_ENOMEM;
		rc = compile_filter(fake, filter, &in->prog, label, err, errlen);
		pcap_close(fake);
		if (rc != 0)
			return rc;
		in->has_prog = true;
	}
	return 0;
}

static struct mx_capture *capture_alloc(const char *filter)
{
	struct mx_capture *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = -1;
	c->filter = dup_str(filter != NULL ? filter : "");
	if (c->filter == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void describe_files(struct mx_capture *c)
{
	size_t used, i;

	if (c->n == 1) {
		if (strcmp(c->in[0].name, "-") == 0)
			snprintf(c->source, sizeof(c->source), "standard input");
		else
			snprintf(c->source, sizeof(c->source), "file %s", c->in[0].name);
		return;
	}
	used = (size_t)snprintf(c->source, sizeof(c->source), "%zu files:", c->n);
	for (i = 0; i < c->n && used < sizeof(c->source); i++) {
		const char *nm = input_label(c->in[i].name);
		size_t need = strlen(nm) + 2;

		/* keep room for ", ..." when the list does not fit */
		if (used + need + 5 >= sizeof(c->source) && i + 1 < c->n) {
			snprintf(c->source + used, sizeof(c->source) - used, " ...");
			return;
		}
		used += (size_t)snprintf(c->source + used, sizeof(c->source) - used, "%s %s",
					 i ? "," : "", nm);
	}
}

int mx_capture_open_files(struct mx_capture **out, const char *const *paths,
			  size_t npaths, const char *filter, char *err, size_t errlen)
{
	struct mx_capture *c;
	size_t i, nstdin = 0;
	int rc;

	if (out == NULL || paths == NULL || npaths == 0) {
		set_err(err, errlen, "no capture file given");
		return MX_EINVAL;
	}
	for (i = 0; i < npaths; i++) {
		if (paths[i] == NULL || paths[i][0] == '\0') {
			set_err(err, errlen, "empty capture file name");
			return MX_EINVAL;
		}
		if (strcmp(paths[i], "-") == 0)
			nstdin++;
	}
	if (nstdin > 1) {
		set_err(err, errlen, "standard input ('-') can be read only once");
		return MX_EINVAL;
	}
	c = capture_alloc(filter);
	if (c == NULL || (c->in = calloc(npaths, sizeof(*c->in))) == NULL) {
		if (c != NULL)
			free(c->filter);
		free(c);
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	for (i = 0; i < npaths; i++) {
		c->n = i + 1;   /* so that mx_capture_free() releases this one too */
		rc = open_one_file(&c->in[i], paths[i], filter, &c->stop, err, errlen);
		if (rc != 0) {
			mx_capture_free(c);
			return rc;
		}
	}
	describe_files(c);
	*out = c;
	return 0;
}

int mx_capture_open_live(struct mx_capture **out, const struct mx_live_opts *o,
			 const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct mx_capture *c;
	struct mx_input *in;
	pcap_t *pc;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || o == NULL || o->iface == NULL || o->iface[0] == '\0') {
		set_err(err, errlen, "no interface given");
		return MX_EINVAL;
	}
	ebuf[0] = '\0';
	pc = pcap_create(o->iface, ebuf);
	if (pc == NULL) {
		set_err(err, errlen, "cannot capture on %s: %s", o->iface, ebuf);
		return MX_EIO;
	}
	pcap_set_snaplen(pc, o->snaplen > 0 ? o->snaplen : MX_SNAPLEN_DEFAULT);
	pcap_set_promisc(pc, o->promisc ? 1 : 0);
	pcap_set_timeout(pc, MX_LIVE_TIMEOUT_MS);
	if (o->buffer_kib > 0)
		pcap_set_buffer_size(pc, o->buffer_kib * 1024);
	if (o->immediate)
		pcap_set_immediate_mode(pc, 1);
	pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_MICRO);

	rc = pcap_activate(pc);
	if (rc < 0) {
		const char *why = pcap_geterr(pc);

		switch (rc) {
		case PCAP_ERROR_NO_SUCH_DEVICE:
			set_err(err, errlen, "cannot capture on %s: no such interface (mxsniff -D lists them)",
				o->iface);
			break;
		case PCAP_ERROR_PERM_DENIED:
			set_err(err, errlen, "cannot capture on %s: permission denied (%s); run as root, "
				"e.g. with sudo, or give the program CAP_NET_RAW", o->iface, why);
			break;
		case PCAP_ERROR_PROMISC_PERM_DENIED:
			set_err(err, errlen, "cannot capture on %s: no permission for promiscuous mode "
				"(run with sudo, or use -p)", o->iface);
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			set_err(err, errlen, "cannot capture on %s: the interface is down", o->iface);
			break;
		default:
			/* libpcap cannot lay out its ring in a very small -B */
			set_err(err, errlen, "cannot capture on %s: %s%s", o->iface,
				why[0] ? why : pcap_statustostr(rc),
				o->buffer_kib > 0 ? " (a larger -B may help)" : "");
			break;
		}
		pcap_close(pc);
		return rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED
			? MX_EPRIV : MX_EIO;
	}
	if (rc > 0) {
		/* A warning: the capture works. Leave it in err for the caller. */
		if (rc == PCAP_WARNING_PROMISC_NOTSUP)
			set_err(err, errlen, "%s does not support promiscuous mode: %s", o->iface,
				pcap_geterr(pc));
		else if (rc == PCAP_WARNING_TSTAMP_TYPE_NOTSUP)
			set_err(err, errlen, "%s: requested time stamp type not supported", o->iface);
		else
			set_err(err, errlen, "%s: %s", o->iface, pcap_geterr(pc));
	}

	/* "any": ask for LINUX_SLL2 (libpcap gives SLL v1 unless asked, as
	 * tcpdump does): its interface index tells the copies of a packet on
	 * a veth and its bridge apart in a -w file. Not an error if refused. */
	if (strcmp(o->iface, "any") == 0 && pcap_datalink(pc) == MX_DLT_LINUX_SLL)
		(void)pcap_set_datalink(pc, MX_DLT_LINUX_SLL2);

	/* libpcap compiles no IP-level filter for NFLOG; there the iptables rule
	 * that feeds the nflog group does the selecting */
	if (o->filter_is_default && pcap_datalink(pc) == MX_DLT_NFLOG)
		filter = NULL;
	c = capture_alloc(filter);
	if (c == NULL || (c->in = calloc(1, sizeof(*c->in))) == NULL) {
		if (c != NULL)
			free(c->filter);
		free(c);
		pcap_close(pc);
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	c->live = true;
	c->n = 1;
	in = &c->in[0];
	in->pc = pc;
	in->dlt = pcap_datalink(pc);
	in->name = dup_str(o->iface);
	if (in->name == NULL) {
		mx_capture_free(c);
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	snprintf(c->source, sizeof(c->source), "interface %s", o->iface);
	if (filter != NULL && filter[0] != '\0') {
		struct bpf_program prog;

		rc = compile_filter(pc, filter, &prog, o->iface, err, errlen);
		if (rc != 0) {
			mx_capture_free(c);
			return rc;
		}
		if (pcap_setfilter(pc, &prog) != 0) {
			set_err(err, errlen, "cannot set the filter on %s: %s", o->iface, pcap_geterr(pc));
			pcap_freecode(&prog);
			mx_capture_free(c);
			return MX_EFILTER;
		}
		pcap_freecode(&prog);
	}
	ebuf[0] = '\0';
	if (pcap_setnonblock(pc, 1, ebuf) != 0) {
		set_err(err, errlen, "cannot make the capture on %s non-blocking: %s", o->iface, ebuf);
		mx_capture_free(c);
		return MX_EIO;
	}
	c->fd = pcap_get_selectable_fd(pc);
	*out = c;
	return 0;
}

static void dump_flush(struct mx_capture *c);

int mx_capture_save(struct mx_capture *c, const char *path, uint64_t limit_bytes, char *err,
		    size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (c == NULL || path == NULL || path[0] == '\0') {
		set_err(err, errlen, "no file to write the packets to");
		return MX_EINVAL;
	}
	if (!c->live || c->in[0].pc == NULL) {
		set_err(err, errlen, "-w writes a live capture (-i): a file read with -r already holds its frames");
		return MX_EINVAL;
	}
	if (c->dump != NULL) {
		set_err(err, errlen, "the capture is already written to %s", c->dump_path);
		return MX_EINVAL;
	}
	if (c->frameno != 0) {
		set_err(err, errlen, "-w must be set before the first frame is read");
		return MX_EINVAL;
	}
	if (limit_bytes && limit_bytes < 24u) {
		set_err(err, errlen, "a write limit of %llu bytes cannot hold the file header",
			(unsigned long long)limit_bytes);
		return MX_EINVAL;
	}
	c->dump_path = dup_str(path);
	if (c->dump_path == NULL) {
		set_err(err, errlen, "out of memory");
		return MX_ENOMEM;
	}
	c->dump = pcap_dump_open(c->in[0].pc, path);
	if (c->dump == NULL) {
		/* libpcap's message is "PATH: strerror" */
		const char *why = pcap_geterr(c->in[0].pc);
		size_t pl = strlen(path);
		if (strncmp(why, path, pl) == 0 && why[pl] == ':' && why[pl + 1] == ' ')
			why += pl + 2;
		set_err(err, errlen, "cannot write %s: %s", path, why);
		free(c->dump_path);
		c->dump_path = NULL;
		return MX_EIO;
	}
	c->dump_limit = limit_bytes;
	c->dump_bytes = 24; /* the file header */
	c->dump_frames = c->dump_stop_frame = 0;
	c->dump_failed = false;
	c->dump_err[0] = '\0';
	/* the header on disk at once: a capture killed before its first frame
	 * still leaves a readable (empty) file */
	dump_flush(c);
	if (c->dump_failed) {
		set_err(err, errlen, "cannot write %s: %s", path, c->dump_err);
		pcap_dump_close(c->dump);
		c->dump = NULL;
		free(c->dump_path);
		c->dump_path = NULL;
		return MX_EIO;
	}
	return 0;
}

/* Time order: a step back of MX_CAPTURE_BACKSTEP_US or more from the
 * previous frame is counted (files given out of order, `mergecap -a` or `cat`
 * of captures, a clock stepped back during a live capture). Times are handed
 * out as recorded, so that they match what Wireshark shows; the analysis
 * raises a time older than its clock to it (txn.c), which is harmless for
 * the microseconds of reordering `-i any` produces, but not for seconds. */
static inline void note_time(struct mx_capture *c, uint64_t ts, uint64_t frame)
{
	if (ts + MX_CAPTURE_BACKSTEP_US <= c->prev_ts) {
		if (c->back_steps++ == 0)
			c->back_first_frame = frame;
		if (c->prev_ts - ts > c->back_max_us)
			c->back_max_us = c->prev_ts - ts;
	}
	c->prev_ts = ts;
}

static void fill_frame(struct mx_capture *c, struct mx_frame *f, const struct pcap_pkthdr *h,
		       const u_char *data, int dlt)
{
	uint64_t sec = h->ts.tv_sec < 0 ? 0 : (uint64_t)h->ts.tv_sec;
	uint64_t usec = h->ts.tv_usec < 0 ? 0 : (uint64_t)h->ts.tv_usec;

	c->handed++;
	f->ts_us = sec * 1000000u + usec;
	f->frame = c->frameno;
	note_time(c, f->ts_us, f->frame);
	f->caplen = h->caplen;
	f->len = h->len;
	f->linktype = dlt;
	f->data = data;
}

/* -w: the write error of the saved file's stream, if any; writing stops. */
static void dump_check(struct mx_capture *c, int flush_rc)
{
	FILE *fp;

	if (c->dump == NULL || c->dump_failed)
		return;
	fp = pcap_dump_file(c->dump);
	if (flush_rc == 0 && (fp == NULL || !ferror(fp)))
		return;
	c->dump_failed = true;
	snprintf(c->dump_err, sizeof(c->dump_err), "%s", strerror(errno ? errno : EIO));
}

static void dump_flush(struct mx_capture *c)
{
	if (c->dump != NULL && !c->dump_failed) {
		errno = 0;
		dump_check(c, pcap_dump_flush(c->dump));
	}
}

static void dump_frame(struct mx_capture *c, const struct pcap_pkthdr *h, const u_char *data)
{
	uint64_t rec = 16u + (uint64_t)h->caplen; /* record header + bytes */

	if (c->dump_failed || c->dump_stop_frame)
		return;
	if (c->dump_limit && c->dump_bytes + rec > c->dump_limit) {
		c->dump_stop_frame = c->frameno;
		dump_flush(c);
		return;
	}
	errno = 0;
	pcap_dump((u_char *)c->dump, h, data);
	if (ferror(pcap_dump_file(c->dump))) {
		dump_check(c, -1);
		return;
	}
	c->dump_frames++;
	c->dump_bytes += rec;
}

static int next_live(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	struct mx_input *in = &c->in[0];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (c->stop) {
		dump_flush(c);
		return 0;
	}
	rc = pcap_next_ex(in->pc, &h, &data);
	if (rc == 1) {
		c->frameno++;
		fill_frame(c, f, h, data, in->dlt);
		if (c->dump != NULL)
			dump_frame(c, h, data);
		return 1;
	}
	if (rc == 0 || rc == PCAP_ERROR_BREAK) {
		/* nothing now: what was written reaches the file */
		dump_flush(c);
		return 0;
	}
	dump_flush(c);
	set_err(err, errlen, "capture on %s failed: %s", in->name, pcap_geterr(in->pc));
	return MX_EIO;
}

/* One frame of a pcapng input: 1 = a frame in f, 2 = a record the filter
 * rejected, 0 = end of this input, negative = error (input closed). */
static int next_ng(struct mx_capture *c, struct mx_input *in, struct mx_frame *f, char *err,
		   size_t errlen)
{
	struct mx_ng *g = in->ng;
	const char *label = input_label(in->name);
	char why[200];
	int rc = 1;

	why[0] = '\0';
	if (g->deferred != 0) {
		rc = g->deferred;
		snprintf(why, sizeof(why), "%s", g->deferred_why);
	} else if (g->pending)
		g->pending = false;
	else
		rc = ng_read_block(g, why, sizeof(why));
	while (rc == 1 && !ng_is_packet(g->btype)) {
		rc = ng_meta_block(g, why, sizeof(why));
		if (rc == 0)
			rc = ng_read_block(g, why, sizeof(why));
	}
	if (rc == 1) {
		struct pcap_pkthdr h;
		const uint8_t *data;
		uint64_t ts;
		const struct ng_if *i = ng_packet(g, &h, &data, &ts, why, sizeof(why));

		if (i == NULL) {
			rc = MX_EFORMAT;
		} else {
			c->frameno += g->nonpacket + 1u;
			g->nonpacket = 0;
			in->records++;
			if (c->filter[0] != '\0') {
				const struct bpf_program *prog =
					ng_filter(g, i->dlt, c->filter, label, err, errlen);

				if (prog == NULL) {
					input_close(in);
					c->cur++;
					return MX_EFILTER;
				}
				if (pcap_offline_filter(prog, &h, data) == 0)
					return 2;
			}
			c->handed++;
			f->ts_us = ts;
			f->frame = c->frameno;
			note_time(c, ts, f->frame);
			f->caplen = h.caplen;
			f->len = h.len;
			f->linktype = i->dlt;
			f->data = data;
			return 1;
		}
	}
	if (rc == 0)
		return 0;
	if (rc == MX_ETRUNC)
		set_err(err, errlen, "file %s is cut off in the middle of a packet after %llu frame%s",
			label, (unsigned long long)in->records, in->records == 1 ? "" : "s");
	else
		set_err(err, errlen, "file %s is damaged after %llu frame%s: %s", label,
			(unsigned long long)in->records, in->records == 1 ? "" : "s",
			why[0] ? why : "read error");
	input_close(in);
	c->cur++;
	return rc == MX_ETRUNC ? MX_ETRUNC : MX_EFORMAT;
}

/* True when pf_fast() can read p: a mapped file in our byte order, with
 * 16-byte record headers and caplen and len in their places. */
static bool pf_fast_ok(const struct mx_pf *p)
{
	return p->map != NULL && !p->swap && p->lengths == PF_LEN_PLAIN && p->hdrsize == 16;
}

/* The common record of a mapped pcap file without a filter (see pf_fast_ok):
 * whole, no longer than the limit, and no page drop due. Hands it out as
 * mx_capture_next() would and returns 1; anything else returns 0 having
 * changed nothing, and the general path (pf_next) deals with it. */
static inline int pf_fast(struct mx_capture *c, struct mx_input *in, struct mx_frame *f)
{
	struct mx_pf *p = in->pf;
	size_t pos = p->pos, avail = p->maplen - pos;
	uint32_t hd[4];

	if (avail < 16 || pos - p->dropped >= PF_DROP)
		return 0;
	memcpy(hd, p->map + pos, 16);
	if (hd[2] > p->limit || avail - 16 < hd[2])
		return 0;
	pf_probe = p->map[pos + 15 + hd[2]];   /* see pf_next */
	if (p->bus || hd[3] == 0)
		return 0;
	p->pos = pos + 16 + hd[2];
	c->frameno++;
	in->records++;
	c->handed++;
	f->ts_us = (uint64_t)hd[0] * 1000000u + (p->nano ? hd[1] / 1000u : hd[1]);
	f->frame = c->frameno;
	note_time(c, f->ts_us, f->frame);
	f->caplen = hd[2];
	f->len = hd[3];
	f->linktype = in->dlt;
	f->data = p->map + pos + 16;
	return 1;
}

/* Out of line, so that the fast path pays for none of its registers and
 * stack. */
static int next_slow(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
	__attribute__((noinline));
static int next_files(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen);

int mx_capture_next(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	if (c != NULL && f != NULL && c->fast != NULL && !c->stop && pf_fast(c, c->fast, f))
		return 1;
	return next_slow(c, f, err, errlen);
}

static int next_slow(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	if (c == NULL || f == NULL)
		return MX_EINVAL;
	if (c->live)
		return next_live(c, f, err, errlen);
	return next_files(c, f, err, errlen);
}

/* Files: the general path. */
static int next_files(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	c->fast = NULL;
	while (!c->stop && c->cur < c->n) {
		struct mx_input *in = &c->in[c->cur];
		int rc;

		if (in->pf != NULL) {
			struct pf_rec r;
			char why[200];

			rc = pf_next(in->pf, &r, why, sizeof(why));
			if (rc == 1) {
				c->frameno++;
				in->records++;
				if (in->has_prog) {
					struct pcap_pkthdr ph;

					ph.ts.tv_sec = (time_t)(r.ts_us / 1000000u);
					ph.ts.tv_usec = (suseconds_t)(r.ts_us % 1000000u);
					ph.caplen = r.caplen;
					ph.len = r.len;
					if (pcap_offline_filter(&in->prog, &ph, r.data) == 0)
						continue;
				}
				c->handed++;
				f->ts_us = r.ts_us;
				f->frame = c->frameno;
				note_time(c, r.ts_us, f->frame);
				f->caplen = r.caplen;
				f->len = r.len;
				f->linktype = in->dlt;
				f->data = r.data;
				if (!in->has_prog && pf_fast_ok(in->pf))
					c->fast = in;
				return 1;
			}
			if (rc == 0) {
				/* end of this file: go on with the next */
				input_close(in);
				c->cur++;
				continue;
			}
			if (rc == MX_ETRUNC && in->pf->bus)
				set_err(err, errlen, "file %s was shortened while being read, after "
					"%llu frame%s", input_label(in->name),
					(unsigned long long)in->records, in->records == 1 ? "" : "s");
			else if (rc == MX_ETRUNC)
				set_err(err, errlen, "file %s is cut off in the middle of a packet after "
					"%llu frame%s", input_label(in->name),
					(unsigned long long)in->records, in->records == 1 ? "" : "s");
			else
				set_err(err, errlen, "file %s is damaged after %llu frame%s: %s",
					input_label(in->name), (unsigned long long)in->records,
					in->records == 1 ? "" : "s", why);
			input_close(in);
			c->cur++;
			return rc;
		}
		/* the only other kind of file input: pcapng */
		rc = next_ng(c, in, f, err, errlen);
		if (rc == 2)
			continue;
		if (rc != 0)
			return rc;
		input_close(in);
		c->cur++;
	}
	return 0;
}

bool mx_capture_is_live(const struct mx_capture *c)
{
	return c != NULL && c->live;
}

int mx_capture_fd(const struct mx_capture *c)
{
	return c != NULL && c->live ? c->fd : -1;
}

const char *mx_capture_source(const struct mx_capture *c)
{
	return c != NULL ? c->source : "";
}

const char *mx_capture_filter(const struct mx_capture *c)
{
	return c != NULL ? c->filter : "";
}

size_t mx_capture_ninputs(const struct mx_capture *c)
{
	return c != NULL ? c->n : 0;
}

int mx_capture_input_dlt(const struct mx_capture *c, size_t i)
{
	return c != NULL && i < c->n ? c->in[i].dlt : -1;
}

size_t mx_capture_input_dlts(const struct mx_capture *c, size_t i, int *dlts, size_t max)
{
	const struct mx_input *in;
	size_t k;

	if (c == NULL || i >= c->n || max == 0)
		return 0;
	in = &c->in[i];
	if (in->ng == NULL) {
		if (in->dlt < 0)
			return 0;
		dlts[0] = in->dlt;
		return 1;
	}
	for (k = 0; k < in->ng->ndlts && k < max; k++)
		dlts[k] = in->ng->dlts[k];
	return k;
}

const char *mx_capture_input_name(const struct mx_capture *c, size_t i)
{
	if (c == NULL || i >= c->n)
		return "";
	return c->live ? c->in[i].name : input_label(c->in[i].name);
}

void mx_capture_stats(struct mx_capture *c, struct mx_capture_stats *st)
{
	struct pcap_stat ps;

	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (c == NULL)
		return;
	st->frames = c->handed;
	st->live = c->live;
	st->back_steps = c->back_steps;
	st->back_max_us = c->back_max_us;
	st->back_first_frame = c->back_first_frame;
	if (c->dump != NULL) {
		dump_flush(c);
		st->saving = true;
		st->saved_frames = c->dump_frames;
		st->saved_bytes = c->dump_bytes;
		st->saved_stop_frame = c->dump_stop_frame;
		st->save_failed = c->dump_failed;
		snprintf(st->save_path, sizeof(st->save_path), "%s", c->dump_path);
		snprintf(st->save_error, sizeof(st->save_error), "%s", c->dump_err);
	}
	if (c->live && c->in[0].pc != NULL && pcap_stats(c->in[0].pc, &ps) == 0) {
		st->ps_recv = ps.ps_recv;
		st->ps_drop = ps.ps_drop;
		st->ps_ifdrop = ps.ps_ifdrop;
	}
}

void mx_capture_break(struct mx_capture *c)
{
	if (c == NULL)
		return;
	c->stop = true;
	if (c->cur < c->n && c->in[c->cur].pc != NULL)
		pcap_breakloop(c->in[c->cur].pc);
}

void mx_capture_free(struct mx_capture *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->dump != NULL)
		pcap_dump_close(c->dump);
	free(c->dump_path);
	for (i = 0; i < c->n; i++) {
		input_close(&c->in[i]);
		free(c->in[i].name);
	}
	free(c->in);
	free(c->filter);
	free(c);
}

int mx_capture_list_ifaces(FILE *out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL, *d;
	unsigned i = 0;

	ebuf[0] = '\0';
	if (pcap_findalldevs(&all, ebuf) != 0) {
		set_err(err, errlen, "cannot list interfaces: %s", ebuf);
		return MX_EIO;
	}
	for (d = all; d != NULL; d = d->next) {
		bool first = true;

		fprintf(out, "%u.%s", ++i, d->name);
		if (d->description != NULL)
			fprintf(out, " (%s)", d->description);
		fputs(" [", out);
#define MX_FLAG(bit, text) \
		if (d->flags & (bit)) { fprintf(out, "%s%s", first ? "" : ", ", text); first = false; }
		MX_FLAG(PCAP_IF_UP, "Up")
		MX_FLAG(PCAP_IF_RUNNING, "Running")
		MX_FLAG(PCAP_IF_LOOPBACK, "Loopback")
		MX_FLAG(PCAP_IF_WIRELESS, "Wireless")
#undef MX_FLAG
		fputs("]\n", out);
	}
	if (i == 0)
		fputs("no capture interfaces found (capturing may need root)\n", out);
	pcap_freealldevs(all);
	return 0;
}

const char *mx_capture_dlt_name(int dlt)
{
	static char buf[32];
	const char *n = pcap_datalink_val_to_name(dlt);

	if (n != NULL)
		return n;
	snprintf(buf, sizeof(buf), "DLT %d", dlt);
	return buf;
}

const char *mx_capture_lib_version(void)
{
	return pcap_lib_version();
}

/* Operators `and` and `or` have equal precedence in pcap-filter(7) and group
 * left to right, so every conjunction inside the alternation is bracketed.
 * Terms:
 *  - DNS over UDP and TCP on each port;
 *  - non-first IPv4 fragments and IPv6 fragments (a large DNS response over
 *    UDP arrives in fragments; only the first carries the UDP ports, and
 *    ipfrag.c needs all of them);
 *  - ICMP destination unreachable, ICMPv6 destination unreachable (type 1 as
 *    the first byte after a 40-byte IPv6 header: an ICMPv6 message behind
 *    extension headers is not matched, an accepted gap);
 *  - TCP SYNs to port 25 (the MTA connects after resolving) and to each of
 *    smtp_ports (relay hosts on other ports, such as 587).
 * VLAN-tagged frames in files are not matched (the `vlan` keyword exists only
 * for some link types); give an expression such as `vlan and udp port 53`. */
void mx_capture_default_filter(char *buf, size_t n, const uint16_t *ports, size_t nports,
			       const uint16_t *smtp_ports, size_t n_smtp_ports)
{
	size_t used = 0, i;
	static const uint16_t dflt = 53;

	if (buf == NULL || n == 0)
		return;
	buf[0] = '\0';
	if (ports == NULL || nports == 0) {
		ports = &dflt;
		nports = 1;
	}
#define MX_APPEND(...) do { \
		if (used < n) \
			used += (size_t)snprintf(buf + used, n - used, __VA_ARGS__); \
	} while (0)
	for (i = 0; i < nports; i++)
		MX_APPEND("%sudp port %u or tcp port %u", i ? " or " : "",
			  (unsigned)ports[i], (unsigned)ports[i]);
	MX_APPEND(" or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)");
	MX_APPEND(" or icmp[icmptype] == icmp-unreach or (icmp6 and ip6[40] == 1)");
	MX_APPEND(" or (tcp dst port 25 and tcp[tcpflags] & tcp-syn != 0)");
	for (i = 0; smtp_ports && i < n_smtp_ports; i++)
		if (smtp_ports[i] != 25)
			MX_APPEND(" or (tcp dst port %u and tcp[tcpflags] & tcp-syn != 0)", (unsigned)smtp_ports[i]);
#undef MX_APPEND
	if (used >= n)
		buf[n - 1] = '\0';
}
