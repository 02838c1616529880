/* capture.c - packet input through libpcap: files, stdin, live interfaces (L1).
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
 * microsecond precision (libpcap scales the timestamps).
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
#include <stdarg.h>
#include <pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
};

struct mx_capture {
	bool live;
	bool stop;              /* mx_capture_break() was called */
	struct mx_input *in;
	size_t n, cur;
	uint64_t frameno;       /* records seen in all inputs so far */
	uint64_t handed;        /* frames handed out */
	int fd;
	char *filter;           /* "" when none */
	char source[256];
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

static void input_close(struct mx_input *in)
{
	if (in->has_prog)
		pcap_freecode(&in->prog);
	in->has_prog = false;
	if (in->pc != NULL)
		pcap_close(in->pc);   /* also fcloses the FILE, stdin included */
	in->pc = NULL;
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

static int open_one_file(struct mx_input *in, const char *path, const char *filter,
			 char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	const char *label = input_label(path);
	FILE *fp;
	struct stat st;

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
	ebuf[0] = '\0';
	in->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (in->pc == NULL) {
		/* libpcap leaves the FILE to us on failure. */
		int rc = MX_EFORMAT;

		if (fp != stdin)
			fclose(fp);
		if (strstr(ebuf, "unknown file format") != NULL)
			set_err(err, errlen, "cannot read %s: not a pcap or pcapng file", label);
		else if (strstr(ebuf, "only got 0") != NULL && strstr(ebuf, "file header") != NULL)
			set_err(err, errlen, "cannot read %s: the file is empty", label);
		else if (strstr(ebuf, "truncated") != NULL)
			set_err(err, errlen, "cannot read %s: the file header is cut off", label);
		else if (strncmp(ebuf, "error reading", 13) == 0) {
			set_err(err, errlen, "cannot read %s: %s", label, ebuf);
			rc = MX_EIO;
		} else
			set_err(err, errlen, "cannot read %s: %s", label, ebuf);
		return rc;
	}
	in->dlt = pcap_datalink(in->pc);
	if (filter != NULL && filter[0] != '\0') {
		int rc = compile_filter(in->pc, filter, &in->prog, label, err, errlen);

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
		rc = open_one_file(&c->in[i], paths[i], filter, err, errlen);
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
			set_err(err, errlen, "cannot capture on %s: %s", o->iface,
				why[0] ? why : pcap_statustostr(rc));
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

static void fill_frame(struct mx_capture *c, struct mx_frame *f, const struct pcap_pkthdr *h,
		       const u_char *data, int dlt)
{
	uint64_t sec = h->ts.tv_sec < 0 ? 0 : (uint64_t)h->ts.tv_sec;
	uint64_t usec = h->ts.tv_usec < 0 ? 0 : (uint64_t)h->ts.tv_usec;

	c->handed++;
	f->ts_us = sec * 1000000u + usec;
	f->frame = c->frameno;
	f->caplen = h->caplen;
	f->len = h->len;
	f->linktype = dlt;
	f->data = data;
}

static int next_live(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	struct mx_input *in = &c->in[0];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (c->stop)
		return 0;
	rc = pcap_next_ex(in->pc, &h, &data);
	if (rc == 1) {
		c->frameno++;
		fill_frame(c, f, h, data, in->dlt);
		return 1;
	}
	if (rc == 0 || rc == PCAP_ERROR_BREAK)
		return 0;
	set_err(err, errlen, "capture on %s failed: %s", in->name, pcap_geterr(in->pc));
	return MX_EIO;
}

int mx_capture_next(struct mx_capture *c, struct mx_frame *f, char *err, size_t errlen)
{
	if (c == NULL || f == NULL)
		return MX_EINVAL;
	if (c->live)
		return next_live(c, f, err, errlen);
	while (!c->stop && c->cur < c->n) {
		struct mx_input *in = &c->in[c->cur];
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc = pcap_next_ex(in->pc, &h, &data);

		if (rc == 1) {
			c->frameno++;
			in->records++;
			if (in->has_prog && pcap_offline_filter(&in->prog, h, data) == 0)
				continue;
			fill_frame(c, f, h, data, in->dlt);
			return 1;
		}
		if (rc == PCAP_ERROR_BREAK || rc == 0) {
			/* end of this file: go on with the next */
			input_close(in);
			c->cur++;
			continue;
		}
		{
			const char *why = pcap_geterr(in->pc);
			const char *label = input_label(in->name);
			int code = MX_EFORMAT;

			if (strstr(why, "truncated") != NULL) {
				set_err(err, errlen, "file %s is cut off in the middle of a packet after "
					"%llu frame%s", label, (unsigned long long)in->records,
					in->records == 1 ? "" : "s");
				code = MX_ETRUNC;
			} else {
				set_err(err, errlen, "file %s is damaged after %llu frame%s: %s", label,
					(unsigned long long)in->records, in->records == 1 ? "" : "s", why);
			}
			input_close(in);
			c->cur++;
			return code;
		}
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
 *  - TCP SYNs to port 25 (the MTA connects after resolving).
 * VLAN-tagged frames in files are not matched (the `vlan` keyword exists only
 * for some link types); give an expression such as `vlan and udp port 53`. */
void mx_capture_default_filter(char *buf, size_t n, const uint16_t *ports, size_t nports)
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
#undef MX_APPEND
	if (used >= n)
		buf[n - 1] = '\0';
}
