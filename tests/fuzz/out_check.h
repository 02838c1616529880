/* out_check.h - oracles for the reports the fuzz targets write (tests only).
 *
 * mx_oc_json(): the bytes are exactly one JSON value (RFC 8259: strict
 * grammar, strings without raw control characters, valid UTF-8, nesting at
 * most MX_OC_DEPTH), surrounded by optional whitespace.
 * mx_oc_ndjson(): every line is one JSON object, the last line ends in '\n'.
 * mx_oc_text(): valid UTF-8 without control characters other than '\n' (a
 * report must not carry bytes from the wire that a terminal would act on).
 * Each returns NULL when the output is fine, else a short reason; *at is the
 * byte offset of the fault.
 */
#ifndef MXSNIFF_TEST_OUT_CHECK_H
#define MXSNIFF_TEST_OUT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MX_OC_DEPTH 64

struct mx_oc {
	const uint8_t *p;
	size_t n, i;
	const char *err;
};

/* Length of the UTF-8 sequence at s[i..n) (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), 0 when invalid. */
static inline size_t mx_oc_utf8(const uint8_t *s, size_t n, size_t i)
{
	uint8_t c = s[i];
	size_t len;
	uint8_t lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n - i < len)
		return 0;
	if (s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[i + k] < 0x80 || s[i + k] > 0xBF)
			return 0;
	return len;
}

static inline void mx_oc_ws(struct mx_oc *o)
{
	while (o->i < o->n && (o->p[o->i] == ' ' || o->p[o->i] == '\t' ||
			       o->p[o->i] == '\n' || o->p[o->i] == '\r'))
		o->i++;
}

static inline int mx_oc_fail(struct mx_oc *o, const char *why)
{
	if (!o->err)
		o->err = why;
	return -1;
}

static inline int mx_oc_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int mx_oc_string(struct mx_oc *o)
{
	o->i++; /* the opening quote */
	while (o->i < o->n) {
		uint8_t c = o->p[o->i];
		if (c == '"') {
			o->i++;
			return 0;
		}
		if (c < 0x20)
			return mx_oc_fail(o, "raw control character in a string");
		if (c == '\\') {
			if (o->i + 1 >= o->n)
				return mx_oc_fail(o, "string ends in a backslash");
			uint8_t e = o->p[o->i + 1];
			if (e == 'u') {
				if (o->n - o->i < 6)
					return mx_oc_fail(o, "short \\u escape");
				for (size_t k = 2; k < 6; k++)
					if (!mx_oc_hex(o->p[o->i + k]))
						return mx_oc_fail(o, "bad \\u escape");
				o->i += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == 0)
				return mx_oc_fail(o, "bad escape");
			o->i += 2;
			continue;
		}
		size_t l = mx_oc_utf8(o->p, o->n, o->i);
		if (l == 0)
			return mx_oc_fail(o, "invalid UTF-8 in a string");
		o->i += l;
	}
	return mx_oc_fail(o, "unterminated string");
}

static inline int mx_oc_number(struct mx_oc *o)
{
	size_t s = o->i;
	if (o->i < o->n && o->p[o->i] == '-')
		o->i++;
	if (o->i >= o->n)
		return mx_oc_fail(o, "bad number");
	if (o->p[o->i] == '0')
		o->i++;
	else if (o->p[o->i] >= '1' && o->p[o->i] <= '9')
		while (o->i < o->n && o->p[o->i] >= '0' && o->p[o->i] <= '9')
			o->i++;
	else
		return mx_oc_fail(o, "bad number");
	if (o->i < o->n && o->p[o->i] == '.') {
		o->i++;
		size_t d = o->i;
		while (o->i < o->n && o->p[o->i] >= '0' && o->p[o->i] <= '9')
			o->i++;
		if (o->i == d)
			return mx_oc_fail(o, "bad fraction");
	}
	if (o->i < o->n && (o->p[o->i] == 'e' || o->p[o->i] == 'E')) {
		o->i++;
		if (o->i < o->n && (o->p[o->i] == '+' || o->p[o->i] == '-'))
			o->i++;
		size_t d = o->i;
		while (o->i < o->n && o->p[o->i] >= '0' && o->p[o->i] <= '9')
			o->i++;
		if (o->i == d)
			return mx_oc_fail(o, "bad exponent");
	}
	return o->i > s ? 0 : mx_oc_fail(o, "bad number");
}

static inline int mx_oc_value(struct mx_oc *o, int depth);

static inline int mx_oc_container(struct mx_oc *o, int depth, uint8_t close, int object)
{
	if (depth >= MX_OC_DEPTH)
		return mx_oc_fail(o, "nested too deep");
	o->i++;
	mx_oc_ws(o);
	if (o->i < o->n && o->p[o->i] == close) {
		o->i++;
		return 0;
	}
	for (;;) {
		if (object) {
			mx_oc_ws(o);
			if (o->i >= o->n || o->p[o->i] != '"')
				return mx_oc_fail(o, "object key is not a string");
			if (mx_oc_string(o) != 0)
				return -1;
			mx_oc_ws(o);
			if (o->i >= o->n || o->p[o->i] != ':')
				return mx_oc_fail(o, "missing ':'");
			o->i++;
		}
		if (mx_oc_value(o, depth + 1) != 0)
			return -1;
		mx_oc_ws(o);
		if (o->i >= o->n)
			return mx_oc_fail(o, "unterminated object or array");
		if (o->p[o->i] == ',') {
			o->i++;
			continue;
		}
		if (o->p[o->i] == close) {
			o->i++;
			return 0;
		}
		return mx_oc_fail(o, "expected ',' or a closing bracket");
	}
}

static inline int mx_oc_value(struct mx_oc *o, int depth)
{
	mx_oc_ws(o);
	if (o->i >= o->n)
		return mx_oc_fail(o, "missing value");
	switch (o->p[o->i]) {
	case '{':
		return mx_oc_container(o, depth, '}', 1);
	case '[':
		return mx_oc_container(o, depth, ']', 0);
	case '"':
		return mx_oc_string(o);
	case 't':
		if (o->n - o->i >= 4 && memcmp(o->p + o->i, "true", 4) == 0)
			return o->i += 4, 0;
		break;
	case 'f':
		if (o->n - o->i >= 5 && memcmp(o->p + o->i, "false", 5) == 0)
			return o->i += 5, 0;
		break;
	case 'n':
		if (o->n - o->i >= 4 && memcmp(o->p + o->i, "null", 4) == 0)
			return o->i += 4, 0;
		break;
	default:
		return mx_oc_number(o);
	}
	return mx_oc_fail(o, "bad literal");
}

static inline const char *mx_oc_json(const char *s, size_t n, size_t *at)
{
	struct mx_oc o = { (const uint8_t *)s, n, 0, NULL };
	if (mx_oc_value(&o, 0) == 0) {
		mx_oc_ws(&o);
		if (o.i != o.n)
			mx_oc_fail(&o, "bytes after the value");
	}
	*at = o.i;
	return o.err;
}

static inline const char *mx_oc_ndjson(const char *s, size_t n, size_t *at)
{
	size_t i = 0;
	*at = 0;
	if (n > 0 && s[n - 1] != '\n')
		return *at = n, "last line without a newline";
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = (size_t)(nl - (s + i));
		size_t sub;
		if (len == 0 || s[i] != '{')
			return *at = i, "a line that is not an object";
		const char *e = mx_oc_json(s + i, len, &sub);
		if (e)
			return *at = i + sub, e;
		i += len + 1;
	}
	return NULL;
}

static inline const char *mx_oc_text(const char *s, size_t n, size_t *at)
{
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < n;) {
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f)
			return *at = i, "control character in a text report";
		size_t l = mx_oc_utf8(p, n, i);
		if (l == 0)
			return *at = i, "invalid UTF-8 in a text report";
		if (l == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)
			return *at = i, "C1 control character in a text report";
		i += l;
	}
	*at = n;
	return NULL;
}

#endif
