/* sink/common.c - helpers shared by the report writers (L6).
 *
 * Time stamps (RFC 3339, UTC, microseconds), milliseconds with three
 * decimals, and JSON strings (RFC 8259 §7) plus the small JSON value writers
 * json.c and ndjson.c share (sink_priv.h); and the prose pieces text.c and
 * md.c share: evidence cells, one-line summaries of a chain's MX step and of
 * its exchanges. Everything is integer arithmetic and gmtime_r, so output
 * does not depend on the locale, the time zone or the wall clock. Nothing
 * here allocates or decides anything about DNS.
 */
#include "mxsniff/sink.h"
#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "sink_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

char *mx_fmt_time(uint64_t ts_us, char *buf, size_t n)
{
	struct tm tm;
	time_t secs = (time_t)(ts_us / 1000000u);
	if (n == 0)
		return buf;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, n, "-");
		return buf;
	}
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(ts_us % 1000000u));
	return buf;
}

char *mx_fmt_ms(uint64_t us, char *buf, size_t n)
{
	if (n)
		snprintf(buf, n, "%" PRIu64 ".%03u", us / 1000u, (unsigned)(us % 1000u));
	return buf;
}

/* Length of a valid UTF-8 sequence starting at p (RFC 3629 §4), 0 if none. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

void mx_json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\b': fputs("\\b", out); break;
			case '\f': fputs("\\f", out); break;
			case '\n': fputs("\\n", out); break;
			case '\r': fputs("\\r", out); break;
			case '\t': fputs("\\t", out); break;
			default: fprintf(out, "\\u%04x", c); break;
			}
			p++;
		} else if (c < 0x80) {
			fputc(c, out);
			p++;
		} else {
			/* Pass valid UTF-8 through; an invalid byte becomes U+FFFD so
			 * the document stays valid whatever bytes a name held. (The
			 * terminating NUL stops utf8_len before it reads past it.) */
			size_t k = utf8_len(p);
			if (k) {
				fwrite(p, 1, k, out);
				p += k;
			} else {
				fputs("\\ufffd", out);
				p++;
			}
		}
	}
	fputc('"', out);
}

void mx_sj_addr(FILE *out, const struct mx_addr *a)
{
	char buf[MX_ADDR_STRLEN];
	mx_json_str(out, mx_addr_format(a, buf, sizeof buf));
}

void mx_sj_name(FILE *out, const struct mx_dname *d)
{
	char buf[MX_DNAME_STRLEN];
	mx_json_str(out, mx_dname_format(d, buf, sizeof buf));
}

void mx_sj_time(FILE *out, uint64_t ts_us)
{
	char buf[40];
	if (!ts_us) {
		fputs("null", out);
		return;
	}
	fprintf(out, "\"%s\"", mx_fmt_time(ts_us, buf, sizeof buf));
}

void mx_sj_ms(FILE *out, uint64_t us)
{
	char buf[32];
	fputs(mx_fmt_ms(us, buf, sizeof buf), out);
}

void mx_sj_bool(FILE *out, bool b)
{
	fputs(b ? "true" : "false", out);
}

/* ---- prose ------------------------------------------------------------ */

/* Bounded appender: never overflows, always terminated. */
struct sk_buf {
	char *b;
	size_t n, len;
};

static void ska(struct sk_buf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ska(struct sk_buf *s, const char *fmt, ...)
{
	va_list ap;
	if (s->n == 0 || s->len + 1 >= s->n)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(s->b + s->len, s->n - s->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->len = (size_t)k < s->n - s->len ? s->len + (size_t)k : s->n - 1;
}

static struct sk_buf sk_start(char *buf, size_t n)
{
	struct sk_buf s = { buf, n, 0 };
	if (n)
		buf[0] = '\0';
	return s;
}

const char *mx_sk_name(const struct mx_dname *d, char *buf, size_t n)
{
	if (!n)
		return buf;
	if (!d || d->len == 0) {
		snprintf(buf, n, "-");
		return buf;
	}
	mx_dname_format(d, buf, n);
	size_t l = strlen(buf);
	/* drop the trailing dot unless it is the root or an escaped dot */
	if (l > 1 && buf[l - 1] == '.' && !(l >= 2 && buf[l - 2] == '\\'))
		buf[l - 1] = '\0';
	return buf;
}

const char *mx_sk_safe(const char *in, char *buf, size_t n)
{
	size_t o = 0;
	if (!n)
		return buf;
	for (const unsigned char *p = (const unsigned char *)in; p && *p && o + 5 < n; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
	}
	buf[o] = '\0';
	return buf;
}

const char *mx_sk_sev_upper(enum mx_sev s)
{
	switch (s) {
	case MX_SEV_INFO: return "INFO";
	case MX_SEV_WARN: return "WARN";
	case MX_SEV_ERROR: return "ERROR";
	case MX_SEV_CRIT: return "CRIT";
	}
	return "?";
}

const char *mx_sk_status(const char *smtp)
{
	static const char *const pre[] = { "most likely: ", "most likely ", "Most likely: ",
					   "Most likely " };
	if (!smtp)
		return NULL;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (strncmp(smtp, pre[i], strlen(pre[i])) == 0)
			return smtp + strlen(pre[i]);
	return smtp;
}

const char *mx_sk_question(uint16_t qtype, const struct mx_dname *qname, char *buf, size_t n)
{
	char ty[32], nm[MX_DNAME_STRLEN];
	snprintf(buf, n, "%s %s", mx_dns_type_name(qtype, ty, sizeof ty),
		 mx_sk_name(qname, nm, sizeof nm));
	return buf;
}

static void ede_text(struct sk_buf *s, uint16_t ede)
{
	if (ede != 0xffff)
		ska(s, ", EDE %u %s", (unsigned)ede, mx_dns_ede_name(ede));
}

const char *mx_sk_evidence_answer(const struct mx_evidence *e, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char rc[32];
	if (!e->response) {
		ska(&s, e->outcome == MX_O_TIMEOUT ? "(query, no response)" : "(query)");
		return buf;
	}
	mx_dns_rcode_name(e->rcode, rc, sizeof rc);
	switch (e->outcome) {
	case MX_O_ANSWER:
		ska(&s, "%s%s%s", rc, e->answer[0] ? " " : "", e->answer);
		break;
	case MX_O_NODATA:
		ska(&s, "%s, no data%s%s", rc, e->answer[0] ? "; " : "", e->answer);
		break;
	case MX_O_REFERRAL:
		ska(&s, "%s, referral", rc);
		break;
	case MX_O_TRUNCATED:
		ska(&s, "%s, truncated (TC=1)", rc);
		break;
	case MX_O_MALFORMED:
		ska(&s, "malformed response");
		break;
	case MX_O_UNREACHABLE:
		ska(&s, "ICMP unreachable");
		break;
	case MX_O_TIMEOUT:
		ska(&s, "no response");
		break;
	default:
		ska(&s, "%s%s%s", rc, e->answer[0] ? "; " : "", e->answer);
		break;
	}
	ede_text(&s, e->ede);
	return buf;
}

/* "ok", "NODATA", "SERVFAIL" (ANSWER: then the host's addresses of
 * `family` when given), with " xN" for N queries and the EDE. */
static void step_result(struct sk_buf *s, const struct mx_chain_step *st,
			const struct mx_chain_host *h, uint8_t family);

static void addr_list(struct sk_buf *s, const struct mx_chain_host *h, uint8_t family);

static void step_result(struct sk_buf *s, const struct mx_chain_step *st,
			const struct mx_chain_host *h, uint8_t family)
{
	if (st->outcome == MX_O_ANSWER) {
		ska(s, "ok");
		if (h && family)
			addr_list(s, h, family);
	} else if (st->pending) {
		ska(s, "pending (capture ended)");
	} else {
		ska(s, "%s", mx_outcome_name(st->outcome));
	}
	if (st->attempts > 1)
		ska(s, " x%u", (unsigned)st->attempts);
	if (st->ede != 0xffff)
		ska(s, " (EDE %u %s)", (unsigned)st->ede, mx_dns_ede_name(st->ede));
}

static void frames_list(struct sk_buf *s, const uint64_t *fr, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ska(s, "%s%" PRIu64, i ? ", " : "", fr[i]);
}

const char *mx_sk_mx_line(const struct mx_chain *c, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char a[MX_ADDR_STRLEN];
	const struct mx_chain_step *m = &c->mx;
	if (!m->asked) {
		ska(&s, "MX not seen");
		return buf;
	}
	if (c->null_mx) {
		ska(&s, "MX null MX (\"0 .\": no mail accepted)");
	} else if (m->outcome == MX_O_ANSWER) {
		unsigned k = c->hosts_total > c->n_hosts ? c->hosts_total : c->n_hosts;
		ska(&s, "MX ok: %u exchange%s", k, k == 1 ? "" : "s");
		if (c->null_mx_mixed)
			ska(&s, " beside a null MX");
		if (m->attempts > 1)
			ska(&s, " (%u queries)", (unsigned)m->attempts);
	} else if (m->outcome == MX_O_NODATA) {
		ska(&s, "MX NODATA: the domain itself is the exchange (implicit MX)");
	} else {
		ska(&s, "MX ");
		step_result(&s, m, NULL, 0);
	}
	if (m->n_resolvers) {
		ska(&s, " via ");
		for (unsigned i = 0; i < m->n_resolvers; i++)
			ska(&s, "%s%s", i ? ", " : "", mx_addr_format(&m->resolvers[i], a, sizeof a));
	}
	if (m->n_frames) {
		ska(&s, " (frame%s ", m->n_frames == 1 ? "" : "s");
		frames_list(&s, m->frames, m->n_frames);
		ska(&s, ")");
	}
	return buf;
}

/* "ok 192.0.2.1, 192.0.2.2" with the host's addresses of one family. */
static void addr_list(struct sk_buf *s, const struct mx_chain_host *h, uint8_t family)
{
	char a[MX_ADDR_STRLEN];
	unsigned shown = 0, more = 0;
	for (unsigned i = 0; i < h->n_addrs && i < MX_CHAIN_MAX_ADDRS; i++) {
		if (h->addrs[i].family != family)
			continue;
		if (shown < 3)
			ska(s, "%s%s", shown ? ", " : " ", mx_addr_format(&h->addrs[i], a, sizeof a));
		else
			more++;
		shown++;
	}
	if (more)
		ska(s, " +%u", more);
}

static void host_step(struct sk_buf *s, const struct mx_chain_host *h, const struct mx_chain_step *st,
		      const char *type, uint8_t family)
{
	ska(s, "%s ", type);
	step_result(s, st, h, family);
}

const char *mx_sk_host_line(const struct mx_chain_host *h, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char nm[MX_DNAME_STRLEN];
	const struct mx_chain_step *first, *second;
	const char *t1, *t2;
	uint8_t f1, f2;

	ska(&s, "%s", mx_sk_name(&h->name, nm, sizeof nm));
	if (h->implicit)
		ska(&s, " (implicit MX)");
	else if (h->ip_literal)
		ska(&s, " (%u, IP literal)", (unsigned)h->pref);
	else
		ska(&s, " (%u)", (unsigned)h->pref);
	ska(&s, ": ");
	if (h->first_family == 6) {
		first = &h->aaaa, second = &h->a, t1 = "AAAA", t2 = "A", f1 = 6, f2 = 4;
	} else {
		first = &h->a, second = &h->aaaa, t1 = "A", t2 = "AAAA", f1 = 4, f2 = 6;
	}
	if (!first->asked && !second->asked) {
		ska(&s, "no address lookup seen");
	} else if (!first->asked) {
		host_step(&s, h, second, t2, f2);
		ska(&s, ", %s not asked", t1);
	} else {
		bool failed = first->outcome != MX_O_ANSWER && first->outcome != MX_O_NODATA;
		host_step(&s, h, first, t1, f1);
		if (second->asked) {
			ska(&s, failed ? " -> " : ", ");
			host_step(&s, h, second, t2, f2);
		} else {
			ska(&s, failed ? " -> %s never asked" : ", %s not asked", t2);
		}
	}
	if (h->cname.len)
		ska(&s, "; CNAME %s%s", mx_sk_name(&h->cname, nm, sizeof nm),
		    h->cname_loop ? " (loop)" : "");
	if (h->tlsa.asked) {
		ska(&s, ", ");
		host_step(&s, h, &h->tlsa, "TLSA", 0);
	}
	if (h->connected)
		ska(&s, "; connected");
	return buf;
}

size_t mx_sk_next_line(const char **p, const char **line)
{
	const char *q = *p;
	while (q && *q == '\n')
		q++;
	if (!q || !*q) {
		*p = q;
		return 0;
	}
	const char *e = strchr(q, '\n');
	size_t len = e ? (size_t)(e - q) : strlen(q);
	*line = q;
	*p = q + len;
	return len;
}

const char *mx_sk_secs(uint64_t us, char *buf, size_t n)
{
	uint64_t d = (us + 50000u) / 100000u; /* tenths, rounded */
	snprintf(buf, n, "%" PRIu64 ".%u", d / 10u, (unsigned)(d % 10u));
	return buf;
}

const char *mx_sk_sentence(const char *in, char *buf, size_t n)
{
	if (!n)
		return buf;
	snprintf(buf, n, "%s", in ? in : "");
	size_t l = strlen(buf);
	if (l && buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	while (l && buf[l - 1] == ' ')
		buf[--l] = '\0';
	if (l && !strchr(".!?", buf[l - 1]) && l + 1 < n) {
		buf[l] = '.';
		buf[l + 1] = '\0';
	}
	return buf;
}

const char *mx_sk_first_sentence(const char *in, char *buf, size_t n)
{
	mx_sk_sentence(in, buf, n);
	for (char *p = buf; *p; p++)
		if (p[0] == '.' && p[1] == ' ' && p[2] >= 'A' && p[2] <= 'Z') {
			p[1] = '\0';
			break;
		}
	return buf;
}

const char *mx_sk_subject(const struct mx_finding *f, char *buf, size_t n)
{
	struct sk_buf s = sk_start(buf, n);
	char a[MX_ADDR_STRLEN], nm[MX_DNAME_STRLEN], ty[32];
	bool who = false, what = false;
	if (f->sender.family) {
		ska(&s, "sender %s", mx_addr_format(&f->sender, a, sizeof a));
		who = true;
	} else if (f->n_resolvers) {
		ska(&s, "resolver %s", mx_addr_format(&f->resolvers[0], a, sizeof a));
		if (f->n_resolvers > 1)
			ska(&s, " (+%u)", (unsigned)(f->n_resolvers - 1));
		who = true;
	}
	if (f->domain.len) {
		ska(&s, "%sdomain %s", who ? " -> " : "", mx_sk_name(&f->domain, nm, sizeof nm));
		what = true;
	}
	if (f->host.len && !(f->domain.len && mx_dname_eq(&f->host, &f->domain))) {
		ska(&s, "%shost %s", what ? ", " : (who ? " -> " : ""),
		    mx_sk_name(&f->host, nm, sizeof nm));
		what = true;
	}
	if (f->qtype)
		ska(&s, "%s%s", what ? ", " : (who ? " -> " : ""),
		    mx_dns_type_name(f->qtype, ty, sizeof ty));
	return buf;
}
