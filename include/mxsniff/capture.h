/* capture.h - packet input: pcap/pcapng files, stdin, live interfaces (L1).
 *
 * The only module that includes <pcap.h>. It hands out frames one at a time,
 * numbered from 1 as Wireshark numbers them; several files given with -r are
 * read one after the other as one stream and the numbering continues across
 * them (as a `mergecap -a` concatenation would number them). Timestamps are
 * microseconds since the epoch (nanosecond pcaps are read at microsecond
 * precision). Frame bytes are borrowed until the next mx_capture_next() call.
 * Files are read by capture.c itself (libpcap reads live captures and runs
 * the filters): a pcap file's frames point into a read-only mapping of the
 * file (a pipe or stdin goes through a large buffer instead); in a pcapng
 * file each frame carries the link type of its own interface (several per
 * file, several sections of either byte order), and times follow each
 * interface's if_tsresol/if_tsoffset.
 */
#ifndef MXSNIFF_CAPTURE_H
#define MXSNIFF_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Link types we decode (values are the DLT_ numbers libpcap uses). */
#define MX_DLT_NULL 0
#define MX_DLT_EN10MB 1
#define MX_DLT_RAW 12        /* OpenBSD/Linux DLT_RAW value as libpcap maps it */
#define MX_DLT_RAW_ALT 14    /* DLT_RAW on some BSDs */
#define MX_DLT_LOOP 108
#define MX_DLT_LINUX_SLL 113
#define MX_DLT_RAW_LINKTYPE 101 /* LINKTYPE_RAW in files */
#define MX_DLT_IPV4 228
#define MX_DLT_IPV6 229
#define MX_DLT_LINUX_SLL2 276
#define MX_DLT_PPP 9            /* PPP, with or without the HDLC address/control bytes */
#define MX_DLT_PPP_SERIAL 50    /* PPP in HDLC-like framing, or Cisco HDLC */
#define MX_DLT_PPP_ETHER 51     /* PPPoE session header without Ethernet */
#define MX_DLT_C_HDLC 104       /* Cisco HDLC */
#define MX_DLT_NFLOG 239        /* Linux netfilter NFLOG (tcpdump -i nflog:N) */

struct mx_frame {
	uint64_t ts_us;      /* capture time, microseconds since the epoch */
	uint64_t frame;      /* 1-based frame number */
	uint32_t caplen;     /* bytes captured (data[0..caplen)) */
	uint32_t len;        /* bytes on the wire */
	int linktype;        /* DLT of this frame (files may differ) */
	const uint8_t *data; /* borrowed */
};

struct mx_capture_stats {
	uint64_t frames;     /* frames handed out */
	uint64_t ps_recv;    /* live only: pcap_stats() */
	uint64_t ps_drop;
	uint64_t ps_ifdrop;
	bool live;
	/* frames that went back in time by MX_CAPTURE_BACKSTEP_US or more from
	 * the frame before them; the largest step; the first such frame */
	uint64_t back_steps, back_max_us, back_first_frame;
	/* live -w FILE (mx_capture_save): frames and bytes written (the file's
	 * size, its 24-byte header included); the first frame not written
	 * because the size limit was reached (0 = none); a write error (then
	 * the file ends at saved_frames, and save_error says why) */
	bool saving;
	uint64_t saved_frames, saved_bytes, saved_stop_frame;
	bool save_failed;
	char save_path[256];
	char save_error[128];
	/* root given up once input and outputs were open (-Z, or nobody for a
	 * live capture as root): the user and the ids the analysis ran as.
	 * Not the capture module's: main.c adds it to what mx_capture_stats()
	 * fills in (priv_dropped false there). */
	bool priv_dropped;
	char priv_user[64];
	uint32_t priv_uid, priv_gid;
};

#define MX_CAPTURE_BACKSTEP_US 1000000u

struct mx_live_opts {
	const char *iface;   /* "any" allowed */
	int snaplen;         /* 0 = 262144 */
	int buffer_kib;      /* 0 = libpcap default */
	bool promisc;        /* -p clears it */
	bool immediate;      /* immediate mode (mxsniff: off; packets are handed over
			      * within MX_LIVE_TIMEOUT_MS, 100 ms) */
	bool filter_is_default; /* the filter is mx_capture_default_filter()'s: on a
				 * link type whose IP fields BPF cannot reach
				 * (NFLOG) the capture is left unfiltered */
};

struct mx_capture;

/* Open one or more files (path "-" = stdin) read in order. `filter` is a BPF
 * expression compiled for each file (NULL or "" = none). On failure returns a
 * negative code and writes a one-line message into err. */
int mx_capture_open_files(struct mx_capture **out, const char *const *paths,
			  size_t npaths, const char *filter, char *err, size_t errlen);
/* Live capture (non-blocking). On success err holds a warning from
 * pcap_activate() (e.g. promiscuous mode not supported), or "". */
int mx_capture_open_live(struct mx_capture **out, const struct mx_live_opts *o,
			 const char *filter, char *err, size_t errlen);
/* Live only: write every frame handed out from now on to a pcap file at
 * path (libpcap's pcap_dump, the capture's link type and snap length), so
 * that frame N of the report is packet N of the file (frames are numbered
 * from the first one captured: call this before reading). limit_bytes > 0
 * stops writing before the file would grow past it (counted in
 * saved_stop_frame). The file is opened here, so that it can be created
 * before privileges are dropped; it is flushed by mx_capture_stats() and
 * when the input ends, closed by mx_capture_free(). A write error stops the
 * writing and is reported in the stats, never ends the capture. */
int mx_capture_save(struct mx_capture *c, const char *path, uint64_t limit_bytes, char *err,
		    size_t errlen);
/* 1 = a frame in *f; 0 = end of input; negative = error with a message in err
 * (MX_ETRUNC for a file cut off in a record: frames before it were delivered).
 * Live: 0 also means "nothing now" when mx_capture_is_live(); poll the fd. */
int mx_capture_next(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen);
bool mx_capture_is_live(const struct mx_capture *c);
/* Selectable fd for poll() in live mode, -1 otherwise. */
int mx_capture_fd(const struct mx_capture *c);
/* Source description for reports ("file a.pcap", "2 files: a.pcap, b.pcap",
 * "interface eth0"). */
const char *mx_capture_source(const struct mx_capture *c);
/* The filter actually applied. */
const char *mx_capture_filter(const struct mx_capture *c);
/* Flushes the -w file first (mx_capture_save). */
void mx_capture_stats(struct mx_capture *c, struct mx_capture_stats *st);
/* Inputs opened (files in order; 1 for live), and each one's link type and
 * name, so that the caller can refuse link types it cannot decode before
 * reading (capture.c does not know which ones decode.c handles). */
size_t mx_capture_ninputs(const struct mx_capture *c);
int mx_capture_input_dlt(const struct mx_capture *c, size_t i);
/* All link types input i describes before its first frame (a pcapng file may
 * have several interfaces, each with its own; a pcap has one): up to max
 * written into dlts, count returned. A pcapng file can add interfaces later;
 * their frames carry their own linktype in struct mx_frame. */
#define MX_CAPTURE_MAX_DLTS 8
size_t mx_capture_input_dlts(const struct mx_capture *c, size_t i, int *dlts, size_t max);
const char *mx_capture_input_name(const struct mx_capture *c, size_t i);
/* Stop a blocking read from a signal handler (pcap_breakloop). */
void mx_capture_break(struct mx_capture *c);
void mx_capture_free(struct mx_capture *c);

/* Print capture interfaces (-D) like tcpdump: "1.eth0 (description)". */
int mx_capture_list_ifaces(FILE *out, char *err, size_t errlen);
/* Name of a DLT ("EN10MB"), or "DLT <n>" into a static buffer. */
const char *mx_capture_dlt_name(int dlt);
/* libpcap's version string (for --version). */
const char *mx_capture_lib_version(void);
/* Default BPF filter for DNS on `port` plus ICMP/ICMPv6 unreachables and
 * TCP SYNs to port 25, written into buf. */
void mx_capture_default_filter(char *buf, size_t n, const uint16_t *ports, size_t nports,
			       const uint16_t *smtp_ports, size_t n_smtp_ports);

#endif
