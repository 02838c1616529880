/* test_sink.c - L6: the text, json and ndjson sinks and their helpers.
 *
 * A hand-made snapshot, lookups and transactions are rendered through each
 * sink into memory (open_memstream). JSON is checked with a small strict
 * RFC 8259 validator written here, plus required keys, escaping of hostile
 * names and strings, and byte-identical output across runs and time zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/err.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"

/* ---- a strict JSON validator (RFC 8259) ------------------------------- */

struct jp {
	const char *p, *end;
	int depth;
};

static void j_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool j_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool j_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool j_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (j->p >= j->end)
				return false;
			char e = *j->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++)
					if (j->p >= j->end || !j_hex(*j->p++))
						return false;
			} else if (!strchr("\"\\/bfnrt", e) || e == '\0') {
				return false;
			}
		}
	}
	return false;
}

static bool j_digits(struct jp *j)
{
	const char *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool j_number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!j_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!j_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!j_digits(j))
			return false;
	}
	return true;
}

static bool j_value(struct jp *j);

static bool j_object(struct jp *j)
{
	j->p++; /* '{' */
	j_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return true;
	}
	for (;;) {
		j_ws(j);
		if (!j_string(j))
			return false;
		j_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return false;
		if (!j_value(j))
			return false;
		j_ws(j);
		if (j->p >= j->end)
			return false;
		char c = *j->p++;
		if (c == '}')
			return true;
		if (c != ',')
			return false;
	}
}

static bool j_array(struct jp *j)
{
	j->p++; /* '[' */
	j_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return true;
	}
	for (;;) {
		if (!j_value(j))
			return false;
		j_ws(j);
		if (j->p >= j->end)
			return false;
		char c = *j->p++;
		if (c == ']')
			return true;
		if (c != ',')
			return false;
	}
}

static bool j_value(struct jp *j)
{
	bool ok;
	j_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{': ok = j_object(j); break;
	case '[': ok = j_array(j); break;
	case '"': ok = j_string(j); break;
	case 't': ok = j_lit(j, "true"); break;
	case 'f': ok = j_lit(j, "false"); break;
	case 'n': ok = j_lit(j, "null"); break;
	default: ok = j_number(j); break;
	}
	j->depth--;
	return ok;
}

/* exactly one JSON value (of kind `first`) and nothing else */
static bool json_valid(const char *s, size_t n, char first)
{
	struct jp j = { s, s + n, 0 };
	j_ws(&j);
	if (j.p >= j.end || *j.p != first)
		return false;
	if (!j_value(&j))
		return false;
	j_ws(&j);
	return j.p == j.end;
}

static void validator_self_test(void **state)
{
	(void)state;
	const char *good[] = { "{}", "{\"a\":[1,-2.5,3e4,true,false,null,\"x\\u00e9\\n\"]}",
			       " {\"a\" : {\"b\":[]}} \n" };
	const char *bad[] = { "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":01}",
			      "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{} {}", "{\"a\":1.}",
			      "{'a':1}", "{\"a\":tru}" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(json_valid(good[i], strlen(good[i]), '{'));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(json_valid(bad[i], strlen(bad[i]), '{'));
}

/* ---- fixtures --------------------------------------------------------- */

static struct mx_addr A4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct mx_addr x;
	const uint8_t v[4] = { a, b, c, d };
	mx_addr_set4(&x, v);
	return x;
}

static struct mx_dname N(const char *s)
{
	struct mx_dname d;
	memset(&d, 0, sizeof d);
	assert_int_equal(mx_dname_from_text(s, &d), 0);
	return d;
}

/* a name whose first label holds '"', a newline and 0xff */
static struct mx_dname hostile_name(void)
{
	struct mx_dname d;
	const uint8_t w[] = { 5, 'a', '"', '\n', 0xff, 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	memset(&d, 0, sizeof d);
	memcpy(d.wire, w, sizeof w);
	d.len = sizeof w;
	d.labels = 2;
	return d;
}

#define T0 1795513201123456ULL /* 2026-11-24T09:40:01.123456Z */

struct fixture {
	struct mx_snapshot s;
	struct mx_server_row res[2], auth[1];
	struct mx_sender_row snd[1];
	struct mx_name_row fail[2];
	struct mx_lookup l1, l2;
	struct mx_dns_msg ans;
	struct mx_txn t1, t2;
};

static void fill(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	struct mx_snapshot *s = &f->s;
	snprintf(s->source, sizeof s->source, "file \"x\"\\y\n\x01\xff \xc3\xa9.pcap");
	snprintf(s->filter, sizeof s->filter, "udp port 53");
	s->first_us = T0;
	s->last_us = T0 + 61500000;
	s->packets = 1000;
	s->bytes = 123456;
	s->dns_messages = 900;
	s->queries = 500;
	s->responses = 400;
	s->dns_malformed = 2;
	s->dns_truncated = 1;
	s->icmp_dns = 3;
	s->decode.reason[MX_R_DNS] = 900;
	s->decode.reason[MX_R_OTHER_PORT] = 77;
	s->decode.reason[MX_R_SHORT_DNS] = 5;
	s->txn.transactions = 480;
	s->txn.answered = 400;
	s->txn.timeouts = 70;
	s->txn.unreachable = 3;
	s->txn.pending_at_end = 7;
	s->txn.retransmits = 20;
	s->txn.stray[MX_STRAY_LATE] = 4;
	s->txn.stray[MX_STRAY_WRONG_SOURCE] = 1;
	s->lookup.lookups = 300;
	s->lookup.by_outcome[MX_O_ANSWER] = 250;
	s->lookup.by_outcome[MX_O_SERVFAIL] = 50;
	s->evicted_senders = 2;
	s->txn.evicted_pending = 5;
	s->evicted_total = 7;
	s->qtype_counts[MX_QS_MX] = 100;
	s->qtype_counts[MX_QS_AAAA] = 200;
	s->by_qtype_other = 9;

	struct mx_server_row *r = &f->res[0];
	r->addr = A4(192, 0, 2, 53);
	r->recursive = true;
	r->queries = 400;
	r->transactions = 380;
	r->answered = 300;
	r->timeouts = 70;
	r->unreachable = 3;
	r->pending = 7;
	r->rcodes[0] = 280;
	r->rcodes[2] = 17;
	r->rcodes[3] = 3;
	r->outcomes[MX_O_ANSWER] = 280;
	r->clients = MX_MODEL_DISTINCT_CAP + 1;
	r->latency.count = 300;
	r->latency.p50 = 1234;
	r->latency.p95 = 45678;
	r->latency.p99 = 1234567;
	r->latency.max = 2000000;
	r->first_us = T0;
	r->last_us = T0 + 1;
	r = &f->res[1];
	r->addr = A4(8, 8, 8, 8);
	r->recursive = true;
	r->queries = 5;
	r->transactions = 5;
	r->timeouts = 5;
	r->outcomes[MX_O_TIMEOUT] = 5;
	r->clients = 1;
	r = &f->auth[0];
	r->addr = A4(198, 51, 100, 1);
	r->queries = 10;
	r->answered = 10;
	r->rcodes[MX_RCODE_SLOTS - 1] = 10;
	s->resolvers = f->res;
	s->n_resolvers = 2;
	s->authoritatives = f->auth;
	s->n_authoritatives = 1;

	struct mx_sender_row *c = &f->snd[0];
	c->addr = A4(10, 0, 0, 25);
	c->queries = 500;
	c->lookups = 300;
	c->failed = 50;
	c->mx_lookups = 100;
	c->aaaa_lookups = 100;
	c->a_lookups = 90;
	c->other_lookups = 10;
	c->edns_queries = 500;
	c->do_queries = 0;
	c->resolvers = 2;
	s->senders = f->snd;
	s->n_senders = 1;

	struct mx_name_row *n = &f->fail[0];
	n->qname = hostile_name();
	n->qtype = MX_TYPE_AAAA;
	n->lookups = 12;
	n->failed = 12;
	n->outcomes[MX_O_SERVFAIL] = 10;
	n->outcomes[MX_O_TIMEOUT] = 2;
	n->last_outcome = MX_O_TIMEOUT;
	n->clients = 1;
	n->last_frame = 4242;
	n = &f->fail[1];
	n->qname = N("nx.example.net");
	n->qtype = MX_TYPE_MX;
	n->lookups = 1;
	n->failed = 1;
	n->outcomes[MX_O_NXDOMAIN] = 1;
	n->last_outcome = MX_O_NXDOMAIN;
	s->failing = f->fail;
	s->n_failing = 2;

	/* a lookup: UDP timeout to one resolver, then an answer from another */
	struct mx_lookup *l = &f->l1;
	l->client = A4(10, 0, 0, 25);
	l->qname = N("example.com");
	l->qtype = MX_TYPE_MX;
	l->qclass = 1;
	l->rd = true;
	l->q_edns = true;
	l->first_us = T0;
	l->last_us = T0 + 5012345;
	l->outcome = MX_O_ANSWER;
	l->attempts = 3;
	l->n_tries = 2;
	l->tries_total = 2;
	l->tries[0].q_frame = 1;
	l->tries[0].q_ts = T0;
	l->tries[0].server = A4(8, 8, 8, 8);
	l->tries[0].sport = 40000;
	l->tries[0].transport = MX_T_UDP;
	l->tries[0].outcome = MX_O_TIMEOUT;
	l->tries[0].sends = 2;
	l->tries[0].ede = 0xffff;
	l->tries[1].q_frame = 3;
	l->tries[1].r_frame = 4;
	l->tries[1].q_ts = T0 + 5000000;
	l->tries[1].server = A4(192, 0, 2, 53);
	l->tries[1].sport = 40001;
	l->tries[1].transport = MX_T_TCP;
	l->tries[1].outcome = MX_O_ANSWER;
	l->tries[1].rcode = 0;
	l->tries[1].ede = 3;
	l->tries[1].sends = 1;
	l->tries[1].latency_us = 12345;
	l->n_resolvers = 2;
	l->resolvers[0] = A4(8, 8, 8, 8);
	l->resolvers[1] = A4(192, 0, 2, 53);
	l->latency_us = 5012345;
	l->decided_frame = 4;
	l->failover = true;
	l->an_qtype = 2;
	l->ede = 0xffff;
	struct mx_dns_msg *a = &f->ans;
	a->n_mx = 2;
	a->mx_total = 2;
	a->mx[0].pref = 10;
	a->mx[0].exchange = N("mx1.example.com");
	a->mx[1].pref = 20;
	a->mx[1].exchange = N("mx2.example.com");
	a->n_cname = 1;
	a->cname[0] = N("alias.example.com");
	a->n_addr = 1;
	a->addr_total = 1;
	a->addr[0].addr = A4(203, 0, 113, 7);
	l->answer = a;

	/* a lookup with no answer, hostile name, negative TTL */
	l = &f->l2;
	l->client = A4(10, 0, 0, 25);
	l->qname = hostile_name();
	l->qtype = MX_TYPE_AAAA;
	l->qclass = 1;
	l->rd = true;
	l->first_us = T0;
	l->last_us = T0;
	l->outcome = MX_O_TIMEOUT;
	l->n_tries = 1;
	l->tries_total = 1;
	l->tries[0].q_frame = 9;
	l->tries[0].server = A4(8, 8, 8, 8);
	l->tries[0].transport = MX_T_UDP;
	l->tries[0].outcome = MX_O_TIMEOUT;
	l->tries[0].open = true;
	l->tries[0].ede = 0xffff;
	l->has_soa = true;
	l->neg_ttl = 300;
	l->ede = 0xffff;
	l->pending_at_end = true;

	struct mx_txn *t = &f->t1;
	t->kind = MX_TXN_ANSWERED;
	t->client = A4(10, 0, 0, 25);
	t->cport = 40001;
	t->server = A4(192, 0, 2, 53);
	t->sport = 53;
	t->transport = MX_T_UDP;
	t->id = 0xbeef;
	t->qname = N("example.com");
	t->qtype = MX_TYPE_MX;
	t->qclass = 1;
	t->rd = true;
	t->q_ts = T0;
	t->q_frame = 1;
	t->n_q_frames = 2;
	t->q_frames[0] = 1;
	t->q_frames[1] = 2;
	t->sends = 2;
	t->r_ts = T0 + 12345;
	t->r_frame = 4;
	t->latency_us = 12345;
	t->outcome = MX_O_ANSWER;
	t->ede = 0xffff;
	t->ra = true;
	t->r_size = 120;
	f->t2 = f->t1;
	f->t2.kind = MX_TXN_TIMEOUT;
	f->t2.outcome = MX_O_TIMEOUT;
	f->t2.r_frame = 0;
	f->t2.r_ts = 0;
	f->t2.latency_us = 0;
}

/* Run one sink over the fixture into memory; returns malloc'd output. */
static char *render(const struct mx_sink_ops *ops, struct fixture *f, bool events, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	assert_non_null(mem);
	struct mx_sink *s = mx_sink_new(ops, mem);
	assert_non_null(s);
	mx_sink_lookup(s, &f->l1); /* before open: ignored */
	assert_int_equal(mx_sink_open(s), 0);
	if (events) {
		mx_sink_txn(s, &f->t1);
		mx_sink_lookup(s, &f->l1);
		mx_sink_txn(s, &f->t2);
		mx_sink_lookup(s, &f->l2);
	}
	assert_int_equal(mx_sink_close(s, &f->s), 0);
	assert_int_not_equal(mx_sink_close(s, &f->s), 0); /* once only */
	mx_sink_lookup(s, &f->l1);                       /* after close: ignored */
	mx_sink_free(s);
	fclose(mem);
	*len = n;
	return buf;
}

static struct fixture *fx(void)
{
	struct fixture *f = malloc(sizeof(*f));
	assert_non_null(f);
	fill(f);
	return f;
}

/* ---- helpers ---------------------------------------------------------- */

static void helpers(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(mx_fmt_time(T0, b, sizeof b), "2026-11-24T09:40:01.123456Z");
	assert_string_equal(mx_fmt_time(0, b, sizeof b), "1970-01-01T00:00:00.000000Z");
	assert_string_equal(mx_fmt_time(951868799000001ULL, b, sizeof b),
			    "2000-02-29T23:59:59.000001Z");
	assert_string_equal(mx_fmt_ms(12345, b, sizeof b), "12.345");
	assert_string_equal(mx_fmt_ms(5, b, sizeof b), "0.005");
	assert_string_equal(mx_fmt_ms(0, b, sizeof b), "0.000");
	assert_string_equal(mx_fmt_ms(1000000, b, sizeof b), "1000.000");
	char small[8];
	mx_fmt_time(T0, small, sizeof small); /* truncates, stays terminated */
	assert_int_equal(strlen(small), 7);

	char *out = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&out, &n);
	assert_non_null(mem);
	mx_json_str(mem, "a\"b\\c\n\t\r\b\f\x01\x1f\x7f \xc3\xa9 \xff \xe2\x82 \xf0\x9f\x98\x80");
	fputc(' ', mem);
	mx_json_str(mem, NULL);
	fputc(' ', mem);
	mx_json_str(mem, "");
	fclose(mem);
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f \xc3\xa9 "
				 "\\ufffd \\ufffd\\ufffd \xf0\x9f\x98\x80\" null \"\"");
	free(out);
}

static void table(void **state)
{
	(void)state;
	size_t k = 0;
	while (mx_sinks[k])
		k++;
	assert_int_equal(k, 3);
	assert_ptr_equal(mx_sink_find("text"), &mx_sink_text);
	assert_ptr_equal(mx_sink_find("json"), &mx_sink_json);
	assert_ptr_equal(mx_sink_find("ndjson"), &mx_sink_ndjson);
	assert_null(mx_sink_find("JSON"));
	assert_null(mx_sink_find("md"));
	assert_null(mx_sink_find(NULL));
	for (k = 0; mx_sinks[k]; k++) {
		assert_non_null(mx_sinks[k]->summary);
		assert_non_null(mx_sinks[k]->open);
		assert_non_null(mx_sinks[k]->close);
	}
	assert_null(mx_sink_new(&mx_sink_json, NULL));
	mx_sink_free(NULL);
}

/* ---- json ------------------------------------------------------------- */

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing: %s", needle);
}

static void json_document(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_json, f, true, &n);
	assert_true(json_valid(out, n, '{'));
	assert_int_equal(strlen(out), n); /* no NUL inside */
	assert_int_equal(out[n - 1], '\n');
	const char *keys[] = {
		"{\"version\":1,\"lookups\":[\n{", "\"source\":", "\"filter\":\"udp port 53\"",
		"\"stats\":{", "\"packets\":1000", "\"dns_messages\":900", "\"queries\":500",
		"\"responses\":400", "\"malformed\":2", "\"truncated\":1", "\"not_dns\":0",
		"\"unanswered\":70", "\"evicted\":7", "\"pending_at_end\":7", "\"late\":4",
		"\"duplicate\":0", "\"unsolicited\":0", "\"wrong_source\":1",
		"\"unreachable\":3", "\"retransmits\":20", "\"transactions\":480",
		"\"lookups\":300", "\"first_seen\":\"2026-11-24T09:40:01.123456Z\"",
		"\"last_seen\":\"2026-11-24T09:41:02.623456Z\"", "\"duration_s\":61.500000",
		"\"decode\":{", "\"evictions\":{", "\"senders\":2", "\"pending_queries\":5",
		"\"capture\":{", "\"qtypes\":{\"A\":0,\"AAAA\":200,\"MX\":100",
		"\"other_known\":0,\"HTTPS\":0,\"other\":9}",
		"\"lookup_outcomes\":{\"ANSWER\":250,\"SERVFAIL\":50}",
		"\"resolvers\":[\n{\"address\":\"192.0.2.53\"",
		"\"latency_ms\":{\"count\":300,\"p50\":1.234,\"p95\":45.678,\"p99\":1234.567,"
		"\"max\":2000.000}",
		"\"rcodes\":{\"NOERROR\":280,\"SERVFAIL\":17,\"NXDOMAIN\":3}",
		"\"clients\":64,\"clients_capped\":true",
		"{\"address\":\"8.8.8.8\"", "\"latency_ms\":null,\"rcodes\":{}",
		"\"authoritatives\":[\n{\"address\":\"198.51.100.1\"", "\"rcodes\":{\"other\":10}",
		"\"senders\":[\n{\"address\":\"10.0.0.25\"", "\"failed\":50",
		"\"resolvers\":2,\"resolvers_capped\":false",
		"\"failing_names\":[\n{\"qname\":",
		"\"last_outcome\":\"TIMEOUT\"", "\"frame\":4242",
		"\"outcomes\":{\"SERVFAIL\":10,\"TIMEOUT\":2}",
		/* lookup 1 */
		"\"client\":\"10.0.0.25\",\"qname\":\"example.com.\",\"qtype\":\"MX\","
		"\"qclass\":\"IN\",\"outcome\":\"ANSWER\"",
		"\"latency_ms\":5012.345", "\"decided_frame\":4", "\"attempts\":3",
		"\"failover\":true", "\"tcp_retry\":false", "\"evicted\":false",
		"\"resolvers\":[\"8.8.8.8\",\"192.0.2.53\"]",
		"\"tries\":[{\"server\":\"8.8.8.8\",\"transport\":\"udp\",\"sport\":40000,"
		"\"outcome\":\"TIMEOUT\",\"open\":false,\"tc\":false,\"rcode\":null,\"ede\":null,"
		"\"latency_ms\":null,\"sends\":2",
		"\"frames\":[1]}",
		"{\"server\":\"192.0.2.53\",\"transport\":\"tcp\",\"sport\":40001,"
		"\"outcome\":\"ANSWER\",\"open\":false,\"tc\":false,\"rcode\":\"NOERROR\","
		"\"ede\":3,\"latency_ms\":12.345,\"sends\":1",
		"\"frames\":[3,4]}]", "\"frames\":[1,3,4]",
		"\"answers\":{\"count\":2}",
		"\"mx\":[{\"preference\":10,\"exchange\":\"mx1.example.com.\"},"
		"{\"preference\":20,\"exchange\":\"mx2.example.com.\"}]",
		"\"addresses\":[\"203.0.113.7\"]", "\"cname\":[\"alias.example.com.\"]",
		/* lookup 2 */
		"\"latency_ms\":null,\"decided_frame\":null", "\"pending_at_end\":true",
		"\"open\":true", "\"answers\":{\"count\":0,\"neg_ttl\":300}",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		assert_has(out, keys[i]);
	/* hostile bytes: the name is escaped by mx_dname_format, then for JSON */
	assert_has(out, "\"qname\":\"a\\\\\\\"\\\\010\\\\255b.example.\"");
	assert_has(out, "\"source\":\"file \\\"x\\\"\\\\y\\n\\u0001\\ufffd \xc3\xa9.pcap\"");
	/* transactions are not part of the JSON document */
	assert_null(strstr(out, "\"kind\""));
	/* two lookups streamed, one per line */
	assert_non_null(strstr(out, "\n{\"client\""));
	const char *second = strstr(strstr(out, "\n{\"client\"") + 1, "\n{\"client\"");
	assert_non_null(second);
	assert_null(strstr(second + 1, "\n{\"client\""));

	/* deterministic, also under another time zone */
	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	size_t n2;
	char *again = render(&mx_sink_json, f, true, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	unsetenv("TZ");
	tzset();
	free(again);
	free(out);
	free(f);
}

static void json_empty(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	memset(&f->s, 0, sizeof f->s);
	char *out = render(&mx_sink_json, f, false, &n);
	assert_true(json_valid(out, n, '{'));
	assert_has(out, "{\"version\":1,\"lookups\":[],");
	assert_has(out, "\"resolvers\":[]");
	assert_has(out, "\"authoritatives\":[]");
	assert_has(out, "\"senders\":[]");
	assert_has(out, "\"failing_names\":[]");
	assert_has(out, "\"first_seen\":null,\"last_seen\":null,\"duration_s\":0.000000");
	assert_has(out, "\"source\":\"\"");
	free(out);
	free(f);
}

/* ---- ndjson ----------------------------------------------------------- */

static void ndjson_lines(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_ndjson, f, true, &n);
	const char *want[] = { "transaction", "lookup", "transaction", "lookup", "stats",
			       "resolver", "resolver", "authoritative", "sender",
			       "failing_name", "failing_name" };
	size_t nl = 0;
	char *p = out;
	assert_int_equal(out[n - 1], '\n');
	while (p < out + n) {
		char *e = memchr(p, '\n', (size_t)(out + n - p));
		assert_non_null(e);
		assert_true(nl < sizeof want / sizeof want[0]);
		assert_true(json_valid(p, (size_t)(e - p), '{'));
		char pre[64];
		snprintf(pre, sizeof pre, "{\"type\":\"%s\",", want[nl]);
		assert_memory_equal(p, pre, strlen(pre));
		nl++;
		p = e + 1;
	}
	assert_int_equal(nl, sizeof want / sizeof want[0]);
	assert_has(out, "{\"type\":\"transaction\",\"ts\":\"2026-11-24T09:40:01.123456Z\","
			"\"client\":\"10.0.0.25\",\"cport\":40001,\"server\":\"192.0.2.53\","
			"\"sport\":53,\"transport\":\"udp\",\"id\":48879,"
			"\"qname\":\"example.com.\",\"qtype\":\"MX\",\"qclass\":\"IN\"");
	assert_has(out, "\"outcome\":\"ANSWER\",\"rcode\":\"NOERROR\",\"ede\":null,"
			"\"latency_ms\":12.345");
	assert_has(out, "\"q_frame\":1,\"q_frames\":[1,2],\"r_frame\":4,"
			"\"r_ts\":\"2026-11-24T09:40:01.135801Z\"}");
	assert_has(out, "\"outcome\":\"TIMEOUT\",\"rcode\":null,\"ede\":null,\"latency_ms\":null");
	assert_has(out, "\"r_frame\":null,\"r_ts\":null}");
	assert_has(out, "{\"type\":\"stats\",\"version\":1,\"source\":");
	assert_has(out, "{\"type\":\"lookup\",\"client\":\"10.0.0.25\",\"qname\":\"example.com.\"");
	assert_has(out, "\"mx\":[{\"preference\":10,\"exchange\":\"mx1.example.com.\"}");
	/* the open transaction callback is not a finished transaction */
	char *buf = NULL;
	size_t bn = 0;
	FILE *mem = open_memstream(&buf, &bn);
	struct mx_sink *s = mx_sink_new(&mx_sink_ndjson, mem);
	assert_int_equal(mx_sink_open(s), 0);
	struct mx_txn t = f->t1;
	t.kind = MX_TXN_OPEN;
	mx_sink_txn(s, &t);
	fflush(mem);
	assert_int_equal(bn, 0);
	mx_sink_txn(s, &f->t1);
	fflush(mem);
	assert_true(bn > 0); /* written (and flushed) at once */
	mx_sink_free(s);
	fclose(mem);
	free(buf);
	free(out);
	free(f);
}

/* ---- text ------------------------------------------------------------- */

static const char *line_with(const char *text, const char *needle, char *line, size_t n)
{
	const char *p = strstr(text, needle);
	if (!p)
		return NULL;
	while (p > text && p[-1] != '\n')
		p--;
	const char *e = strchr(p, '\n');
	size_t l = e ? (size_t)(e - p) : strlen(p);
	if (l >= n)
		l = n - 1;
	memcpy(line, p, l);
	line[l] = '\0';
	return line;
}

static void text_report(void **state)
{
	(void)state;
	struct fixture *f = fx();
	size_t n;
	char *out = render(&mx_sink_text, f, true, &n);
	char l1[512], l2[512], l3[512];
	assert_true(strncmp(out, "Capture\n", 8) == 0);
	assert_has(out, "\nResolvers (2)\n");
	assert_has(out, "\nAuthoritative servers (1)\n");
	assert_has(out, "\nSenders (1)\n");
	assert_has(out, "\nTop failing names (2)\n");
	assert_has(out, "2026-11-24T09:40:01.123456Z");
	assert_has(out, "61.500000 s");
	char want[128];
	snprintf(want, sizeof want, "%s 77 (%s)", mx_decode_reason_name(MX_R_OTHER_PORT),
		 mx_verdict_name(MX_V_NOT_DNS));
	assert_has(out, want);
	snprintf(want, sizeof want, "%s 5 (%s)", mx_decode_reason_name(MX_R_SHORT_DNS),
		 mx_verdict_name(MX_V_TRUNCATED));
	assert_has(out, want);
	snprintf(want, sizeof want, "%s 900", mx_decode_reason_name(MX_R_DNS));
	assert_null(strstr(out, want)); /* OK reasons are not problems */
	assert_has(out, "senders 2");
	assert_has(out, "pending queries 5");
	assert_has(out, "total 7");
	assert_has(out, "AAAA 200, MX 100, other 9");
	assert_non_null(line_with(out, "  lookups  ", l1, sizeof l1));
	assert_has(l1, " 300 (ANSWER 250 SERVFAIL 50)");
	/* control bytes of a file name do not reach the terminal */
	assert_has(out, "file \"x\"\\x5cy\\x0a\\x01\\xff \\xc3\\xa9.pcap\n");
	assert_null(strstr(out, "pcap drops")); /* not live */
	/* resolvers: header and rows aligned, rcode mix, percentages, latency */
	assert_non_null(line_with(out, "  address", l1, sizeof l1));
	assert_non_null(line_with(out, "192.0.2.53", l2, sizeof l2));
	assert_non_null(line_with(out, "  8.8.8.8", l3, sizeof l3));
	assert_has(l2, "NOERROR 280 SERVFAIL 17 NXDOMAIN 3");
	assert_has(l2, " 80.4% "); /* 300 / (300 + 70 + 3) */
	assert_has(l2, "1.234");
	assert_has(l2, "1234.567");
	assert_has(l2, ">64");
	assert_has(l3, "0.0%");
	size_t col = (size_t)(strstr(l1, "rcodes") - l1);
	assert_int_equal((size_t)(strstr(l2, "NOERROR") - l2), col);
	assert_int_equal(strlen(l3), col + 1); /* "-": no rcodes */
	/* right-aligned numbers: "queries" ends where the numbers end */
	size_t qend = (size_t)(strstr(l1, "queries") - l1) + strlen("queries");
	assert_true(qend <= strlen(l2));
	assert_memory_equal(l2 + qend - 3, "400", 3);
	assert_memory_equal(l3 + qend - 2, " 5", 2);
	/* failing names: the hostile name in presentation form */
	assert_has(out, "a\\\"\\010\\255b.example.");
	assert_has(out, "nx.example.net.");
	assert_has(out, "SERVFAIL 10 TIMEOUT 2");
	assert_has(out, "4242");
	/* no trailing blanks anywhere */
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		if (p > out)
			assert_true(p[-1] != ' ');
	/* deterministic */
	size_t n2;
	char *again = render(&mx_sink_text, f, false, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(out, again, n);
	free(again);
	free(out);

	/* empty sections say none; no authoritatives section; live drops */
	memset(&f->s, 0, sizeof f->s);
	f->s.live = true;
	f->s.capture.ps_drop = 11;
	out = render(&mx_sink_text, f, false, &n);
	assert_has(out, "\nResolvers (0)\n  none\n");
	assert_null(strstr(out, "Authoritative"));
	assert_has(out, "\nSenders (0)\n  none\n");
	assert_has(out, "\nTop failing names (0)\n  none\n");
	assert_has(out, "none (no packets)");
	assert_has(out, "pcap drops");
	assert_has(out, "11 dropped");
	assert_non_null(line_with(out, "decode problems", l1, sizeof l1));
	assert_has(l1, "none");
	assert_non_null(line_with(out, "evictions", l1, sizeof l1));
	assert_has(l1, "none");
	free(out);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validator_self_test),
		cmocka_unit_test(helpers),
		cmocka_unit_test(table),
		cmocka_unit_test(json_document),
		cmocka_unit_test(json_empty),
		cmocka_unit_test(ndjson_lines),
		cmocka_unit_test(text_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
