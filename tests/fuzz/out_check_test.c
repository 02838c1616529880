/* out_check_test.c - the fuzz oracles of out_check.h accept what is right
 * and catch what is wrong (a broken oracle would let every fuzz run pass). */
#include <stdio.h>
#include <string.h>

#include "out_check.h"

static int failures;

static void expect(const char *what, const char *(*f)(const char *, size_t, size_t *),
		   const char *in, size_t n, int ok)
{
	size_t at;
	const char *why = f(in, n, &at);
	if ((why == NULL) != ok) {
		printf("FAIL %s: %s on \"%.*s\"%s%s\n", what, ok ? "rejected" : "accepted",
		       (int)n, in, why ? ": " : "", why ? why : "");
		failures++;
	}
}

#define J(s, ok) expect("json", mx_oc_json, s, sizeof(s) - 1, ok)
#define N(s, ok) expect("ndjson", mx_oc_ndjson, s, sizeof(s) - 1, ok)
#define T(s, ok) expect("text", mx_oc_text, s, sizeof(s) - 1, ok)

int main(void)
{
	char deep[2 * MX_OC_DEPTH + 2];

	J("{\"a\":[1,-2.5e+3,0.0,true,false,null,\"x\\u00e9\\n\"],\"b\":{}}", 1);
	J(" [] ", 1);
	J("\"caf\xc3\xa9 \xe2\x86\x92\"", 1);
	J("{\"a\":1,}", 0);          /* trailing comma */
	J("{\"a\" 1}", 0);           /* missing colon */
	J("{a:1}", 0);               /* bare key */
	J("[1 2]", 0);
	J("[01]", 0);                /* leading zero */
	J("[1.]", 0);
	J("[-]", 0);
	J("\"a\tb\"", 0);            /* raw control character */
	J("\"\\x41\"", 0);           /* bad escape */
	J("\"\\u12G4\"", 0);
	J("\"\xc3\"", 0);            /* cut UTF-8 */
	J("\"\xc0\xaf\"", 0);        /* overlong */
	J("\"\xed\xa0\x80\"", 0);    /* surrogate */
	J("\"abc", 0);
	J("{} {}", 0);               /* two values */
	J("tru", 0);
	J("", 0);
	memset(deep, '[', MX_OC_DEPTH + 1);
	memset(deep + MX_OC_DEPTH + 1, ']', MX_OC_DEPTH + 1);
	expect("json", mx_oc_json, deep, sizeof deep, 0);      /* too deep */
	expect("json", mx_oc_json, deep + 1, sizeof deep - 2, 1);

	N("{\"type\":\"a\"}\n{\"type\":\"b\"}\n", 1);
	N("", 1);
	N("{\"type\":\"a\"}", 0);     /* no final newline */
	N("{\"type\":\"a\"}\n\n", 0); /* empty line */
	N("[1]\n", 0);               /* not an object */
	N("{\"a\":1}\n{\"a\":}\n", 0);

	T("findings 3\n  CRIT \xe2\x80\x94 x\n", 1);
	T("a\x1b[31mred\n", 0);      /* escape sequence */
	T("a\tb\n", 0);
	T("a\rb\n", 0);
	T("a\x7f\n", 0);
	T("a\xc2\x9b" "31m\n", 0);   /* C1 CSI */
	T("a\xff\n", 0);
	T("caf\xc3\xa9\n", 1);

	if (failures == 0)
		puts("out_check: all cases pass");
	return failures != 0;
}
