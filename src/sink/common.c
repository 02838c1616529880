/* sink/common.c - helpers shared by the report writers (L6).
 *
 * Time stamps (RFC 3339, UTC, microseconds), milliseconds with three
 * decimals, and JSON strings (RFC 8259 §7) plus the small JSON value writers
 * json.c and ndjson.c share (sink_priv.h). Everything is integer arithmetic
 * and gmtime_r, so output does not depend on the locale, the time zone or
 * the wall clock. Nothing here allocates.
 */
#include "mxsniff/sink.h"
#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "sink_priv.h"

#include <inttypes.h>
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
