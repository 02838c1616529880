/* test_ui_view.c - L6: the live view's rows, built from hand-made snapshots.
 *
 * No terminal: mx_ui_build() fills frames of rows that are read directly.
 * Every view is checked (order, sorting, filtering, selection and scroll
 * clamping, following the selected item across refreshes, detail pages,
 * colour roles per severity and verdict, the help page, the status line),
 * plus a sweep over narrow and tiny sizes in which every row must be exactly
 * the frame's width and every span inside it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mxsniff/addr.h"
#include "mxsniff/dname.h"
#include "mxsniff/model.h"
#include "mxsniff/ui_view.h"

#define T0 1767225600000000ULL   /* 2026-01-01T00:00:00Z */

/* ---- fixtures -------------------------------------------------------------- */

static struct mx_addr A(const char *s)
{
	struct mx_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(mx_addr_parse(s, &a), 0);
	return a;
}

static struct mx_dname N(const char *s)
{
	struct mx_dname d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(mx_dname_from_text(s, &d), 0);
	return d;
}

struct fx {
	struct mx_snapshot s;
	struct mx_finding f[5];
	struct mx_chain c[2];
	struct mx_chain oc[1];          /* open chains (only test_open_chains uses them) */
	struct mx_sender_row snd[2];
	struct mx_server_row res[2];
	struct mx_server_row auth[1];
	struct mx_domain_row dom[3];
	struct mx_recent_txn rec[4];
};

static void finding(struct mx_finding *f, const char *pattern, enum mx_sev sev, uint64_t seq, uint64_t last,
		    uint64_t count, const char *domain)
{
	memset(f, 0, sizeof(*f));
	f->pattern = pattern;
	f->title = "a title for humans";
	f->sev = sev;
	f->seq = seq;
	f->first_us = T0;
	f->last_us = T0 + last;
	f->count = count;
	f->attempts = 1;
	f->sender = A("192.0.2.10");
	f->domain = N(domain);
	f->cause = "the cause in words, long enough to wrap on a narrow terminal when the page is shown";
	f->fix = "the fix in words";
	f->smtp_status = "451 4.4.3";
	snprintf(f->verify, sizeof(f->verify), "dig MX %s @198.51.100.53\ndig +short NS %s", domain, domain);
	snprintf(f->detail, sizeof(f->detail), "detail text");
	f->n_frames = 2;
	f->frames[0] = 5;
	f->frames[1] = 6;
	f->n_evidence = 2;
	f->evidence[0].frame = 5;
	f->evidence[0].ts_us = T0 + last;
	f->evidence[0].from = A("192.0.2.10");
	f->evidence[0].to = A("198.51.100.53");
	f->evidence[0].qname = N(domain);
	f->evidence[0].qtype = 15;
	f->evidence[0].ede = 0xffff;
	f->evidence[1] = f->evidence[0];
	f->evidence[1].frame = 6;
	f->evidence[1].response = true;
	f->evidence[1].from = A("198.51.100.53");
	f->evidence[1].to = A("192.0.2.10");
	f->evidence[1].outcome = MX_O_SERVFAIL;
	f->evidence[1].rcode = 2;
	f->evidence[1].latency_us = 20000;
	f->evidence[1].ede = 22;
	snprintf(f->evidence[1].answer, sizeof(f->evidence[1].answer), "no answer");
}

static void step(struct mx_chain_step *st, enum mx_outcome o, uint64_t first, uint32_t attempts, uint64_t lat)
{
	memset(st, 0, sizeof(*st));
	st->asked = true;
	st->outcome = o;
	st->first_us = T0 + first;
	st->end_us = T0 + first + lat;
	st->attempts = attempts;
	st->lookups = 1;
	st->latency_us = lat;
	st->ede = 0xffff;
	st->n_resolvers = 1;
	st->resolvers[0] = A("198.51.100.53");
	st->n_frames = 1;
	st->frames[0] = 1;
}

static void fixture(struct fx *x)
{
	struct mx_snapshot *s = &x->s;

	memset(x, 0, sizeof(*x));
	snprintf(s->source, sizeof(s->source), "file mail-chain.pcap");
	snprintf(s->filter, sizeof(s->filter), "udp port 53");
	s->first_us = T0;
	s->last_us = T0 + 540000;
	s->packets = 14;
	s->dns_messages = 12;
	s->dns_malformed = 1;
	s->evicted_total = 3;

	finding(&x->f[0], "AAAA_SERVFAIL_A_OK", MX_SEV_WARN, 1, 100, 7, "old.example.");
	finding(&x->f[1], "MX_NXDOMAIN", MX_SEV_ERROR, 2, 200, 1, "example.net.");
	finding(&x->f[2], "AAAA_SERVFAIL_LOOP", MX_SEV_CRIT, 3, 50, 2, "example.com.");
	finding(&x->f[3], "SLOW_RESOLVER", MX_SEV_WARN, 4, 300, 3, "new.example.");
	finding(&x->f[4], "PUBLIC_RESOLVER", MX_SEV_INFO, 5, 400, 1, "info.example.");
	s->findings = x->f;
	s->n_findings = 5;

	/* chain 0: MX ok, mx1: AAAA SERVFAIL x3, A never asked (deferred) */
	x->c[0].seq = 10;
	x->c[0].sender = A("192.0.2.10");
	x->c[0].domain = N("example.com");
	x->c[0].attempt = 2;
	x->c[0].start_us = T0;
	x->c[0].end_us = T0 + 300000;
	step(&x->c[0].mx, MX_O_ANSWER, 0, 1, 20000);
	x->c[0].mx_total = 1;
	x->c[0].n_hosts = 1;
	x->c[0].hosts_total = 1;
	x->c[0].hosts[0].name = N("mx1.example.com");
	x->c[0].hosts[0].pref = 10;
	x->c[0].hosts[0].first_family = 6;
	step(&x->c[0].hosts[0].aaaa, MX_O_SERVFAIL, 21000, 3, 1500000);
	x->c[0].verdict = MX_CHAIN_DEFERRED;
	x->c[0].why = "AAAA SERVFAIL for mx1.example.com., A never asked";
	/* chain 1: MX NXDOMAIN (failed), newer */
	x->c[1].seq = 11;
	x->c[1].sender = A("192.0.2.11");
	x->c[1].domain = N("example.net");
	x->c[1].attempt = 1;
	x->c[1].start_us = T0 + 400000;
	x->c[1].end_us = T0 + 420000;
	step(&x->c[1].mx, MX_O_NXDOMAIN, 400000, 1, 20000);
	x->c[1].verdict = MX_CHAIN_FAILED;
	x->c[1].why = "the domain does not exist (MX NXDOMAIN)";
	s->chains = x->c;
	s->n_chains = 2;

	x->snd[0].addr = A("192.0.2.10");
	x->snd[0].queries = 30;
	x->snd[0].lookups = 12;
	x->snd[0].failed = 4;
	x->snd[0].chains = 3;
	x->snd[0].chains_deferred = 2;
	x->snd[0].hosts_aaaa_first = 3;
	x->snd[0].aaaa_fail = 2;
	x->snd[0].aaaa_fail_then_a = 0;
	x->snd[1].addr = A("192.0.2.11");
	x->snd[1].queries = 5;
	x->snd[1].lookups = 40;
	x->snd[1].hosts_a_first = 2;
	s->senders = x->snd;
	s->n_senders = 2;

	x->res[0].addr = A("198.51.100.53");
	x->res[0].recursive = true;
	x->res[0].queries = 100;
	x->res[0].answered = 90;
	x->res[0].timeouts = 10;
	x->res[0].rcodes[0] = 80;
	x->res[0].rcodes[2] = 6;
	x->res[0].rcodes[5] = 4;
	x->res[0].latency.count = 90;
	x->res[0].latency.p50 = 20000;
	x->res[0].latency.p95 = 1500000;
	x->res[0].latency.p99 = 2500000;
	x->res[0].latency.max = 4000000;
	x->res[1].addr = A("198.51.100.54");
	x->res[1].recursive = true;
	x->res[1].queries = 10;
	x->res[1].answered = 10;
	x->res[1].rcodes[0] = 10;
	x->res[1].latency.count = 10;
	x->res[1].latency.p50 = 1000;
	s->resolvers = x->res;
	s->n_resolvers = 2;
	x->auth[0].addr = A("203.0.113.1");
	x->auth[0].queries = 3;
	x->auth[0].answered = 3;
	s->authoritatives = x->auth;
	s->n_authoritatives = 1;

	x->dom[0].domain = N("example.net");
	x->dom[0].chains = 1;
	x->dom[0].failed = 1;
	x->dom[0].last_verdict = MX_CHAIN_FAILED;
	x->dom[0].last_why = "the domain does not exist (MX NXDOMAIN)";
	x->dom[0].last_us = T0 + 420000;
	x->dom[1].domain = N("example.com");
	x->dom[1].chains = 3;
	x->dom[1].deferred = 2;
	x->dom[1].resolved = 1;
	x->dom[1].last_verdict = MX_CHAIN_DEFERRED;
	x->dom[1].last_us = T0 + 300000;
	x->dom[2].domain = N("fine.example");
	x->dom[2].chains = 5;
	x->dom[2].resolved = 5;
	x->dom[2].last_verdict = MX_CHAIN_RESOLVED;
	x->dom[2].last_us = T0 + 100000;
	s->domains = x->dom;
	s->n_domains = 3;

	for (unsigned i = 0; i < 4; i++) {   /* oldest first */
		x->rec[i].ts_us = T0 + i * 1000;
		x->rec[i].frame = i * 2 + 1;
		x->rec[i].client = A("192.0.2.10");
		x->rec[i].server = A("198.51.100.53");
		x->rec[i].qtype = 1;
		x->rec[i].latency_us = 1000 * (i + 1);
		x->rec[i].outcome = MX_O_ANSWER;
	}
	x->rec[0].qname = N("a.example");
	x->rec[1].qname = N("b.example");
	x->rec[2].qname = N("c.example");
	x->rec[2].outcome = MX_O_TIMEOUT;
	x->rec[3].qname = N("d.example");
	s->recent = x->rec;
	s->n_recent = 4;
}

/* ---- helpers --------------------------------------------------------------- */

struct ctx {
	struct fx x;
	struct mx_ui_state st;
	struct mx_ui_frame f;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	fixture(&c->x);
	mx_ui_state_init(&c->st);
	assert_int_equal(mx_ui_frame_init(&c->f, 160, 40), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	mx_ui_frame_fini(&c->f);
	free(c);
	return 0;
}

static void build(struct ctx *c)
{
	assert_int_equal(mx_ui_build(&c->f, &c->x.s, &c->st), 0);
	if (getenv("UI_DUMP") != NULL) {   /* debugging aid: print the frame */
		for (int y = 0; y < c->f.height; y++)
			printf("%2d|%s|\n", y, c->f.rows[y].text);
	}
}

static const struct mx_ui_row *body(struct ctx *c, int i)
{
	return &c->f.rows[MX_UI_BODY_TOP + i];
}

static const struct mx_ui_row *status_row(struct ctx *c)
{
	return &c->f.rows[c->f.height - 1];
}

/* Column where needle starts in row r, or -1. */
static int col_of(const struct mx_ui_row *r, const char *needle)
{
	const char *p = strstr(r->text, needle);

	return p ? (int)(p - r->text) : -1;
}

static int selected_rows(struct ctx *c, int *which)
{
	int n = 0;

	for (int y = 0; y < c->f.height; y++)
		if (c->f.rows[y].selected) {
			n++;
			*which = y;
		}
	return n;
}

static bool any_row_has(struct ctx *c, const char *needle)
{
	for (int y = 0; y < c->f.height; y++)
		if (mx_ui_row_has(&c->f.rows[y], needle))
			return true;
	return false;
}

static void keys(struct ctx *c, const char *s)
{
	for (; *s; s++)
		mx_ui_key(&c->st, (unsigned char)*s);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_header_and_tabs(void **state)
{
	struct ctx *c = *state;

	c->st.rate_x10 = 32;
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[0], "file mail-chain.pcap"));
	assert_true(mx_ui_row_has(&c->f.rows[0], "capture 2026-01-01 00:00:00.540Z"));
	assert_true(mx_ui_row_has(&c->f.rows[0], "filter: udp port 53"));
	assert_false(mx_ui_row_has(&c->f.rows[0], "PAUSED"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "packets 14"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "DNS 12 msgs, 3.2/s"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "decode problems 1"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "evicted 3"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "drops -"));
	assert_true(mx_ui_row_has(&c->f.rows[1], "findings 5 (1 crit, 1 error)"));
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[1], col_of(&c->f.rows[1], "decode problems")),
			 MX_ROLE_WARN);
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[1], col_of(&c->f.rows[1], "findings")), MX_ROLE_CRIT);
	assert_true(mx_ui_row_has(&c->f.rows[2], "1 Findings 5"));
	assert_true(mx_ui_row_has(&c->f.rows[2], "2 Chains 2"));
	assert_true(mx_ui_row_has(&c->f.rows[2], "4 Resolvers 3"));
	assert_true(mx_ui_row_has(&c->f.rows[2], "6 Live 4"));
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[2], col_of(&c->f.rows[2], "Findings")), MX_ROLE_TAB_ACTIVE);
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[2], col_of(&c->f.rows[2], "Chains")), MX_ROLE_TAB);

	/* live: uptime, drops, pause and end marks */
	c->st.live = true;
	c->st.uptime_us = 3723000000ULL;   /* 1:02:03 */
	c->x.s.live = true;
	c->x.s.capture.live = true;
	c->x.s.capture.ps_drop = 7;
	c->st.paused = true;
	c->st.frames_now = 99;
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[0], "up 1:02:03"));
	assert_true(mx_ui_row_has(&c->f.rows[0], "PAUSED"));
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[0], col_of(&c->f.rows[0], "PAUSED")), MX_ROLE_PAUSED);
	assert_true(mx_ui_row_has(&c->f.rows[1], "drops 7"));
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[1], col_of(&c->f.rows[1], "drops 7")), MX_ROLE_ERROR);
	assert_true(mx_ui_row_has(&c->f.rows[1], "capture continues: 99 packets"));
	c->st.ended = true;
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[0], "STOPPED"));
}

static void test_findings_order_and_roles(void **state)
{
	struct ctx *c = *state;
	int y = -1;

	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "PATTERN"));
	/* severity desc, newest first within a severity */
	assert_true(mx_ui_row_has(body(c, 0), "AAAA_SERVFAIL_LOOP"));
	assert_true(mx_ui_row_has(body(c, 1), "MX_NXDOMAIN"));
	assert_true(mx_ui_row_has(body(c, 2), "SLOW_RESOLVER"));
	assert_true(mx_ui_row_has(body(c, 3), "AAAA_SERVFAIL_A_OK"));
	assert_true(mx_ui_row_has(body(c, 4), "PUBLIC_RESOLVER"));
	assert_true(mx_ui_row_has(body(c, 5), "") && body(c, 5)->text[2] == ' ');
	/* the severity cell carries the severity's role */
	assert_int_equal(mx_ui_row_role_at(body(c, 0), 1), MX_ROLE_CRIT);
	assert_int_equal(mx_ui_row_role_at(body(c, 1), 1), MX_ROLE_ERROR);
	assert_int_equal(mx_ui_row_role_at(body(c, 2), 1), MX_ROLE_WARN);
	assert_int_equal(mx_ui_row_role_at(body(c, 4), 1), MX_ROLE_INFO);
	assert_int_equal(mx_ui_row_role_at(body(c, 0), col_of(body(c, 0), "AAAA_SERVFAIL_LOOP")), MX_ROLE_NORMAL);
	assert_int_equal(mx_ui_sev_role(MX_SEV_INFO), MX_ROLE_INFO);
	assert_int_equal(mx_ui_sev_role(MX_SEV_WARN), MX_ROLE_WARN);
	assert_int_equal(mx_ui_sev_role(MX_SEV_ERROR), MX_ROLE_ERROR);
	assert_int_equal(mx_ui_sev_role(MX_SEV_CRIT), MX_ROLE_CRIT);
	/* one selected row: the first */
	assert_int_equal(selected_rows(c, &y), 1);
	assert_int_equal(y, MX_UI_BODY_TOP);
	assert_true(mx_ui_row_has(status_row(c), "row 1/5"));
	assert_true(mx_ui_row_has(status_row(c), "sort: severity"));
	assert_true(mx_ui_row_has(body(c, 0), "example.com."));
	assert_true(mx_ui_row_has(body(c, 0), "00:00:00.000"));
}

static void test_sort_cycle(void **state)
{
	struct ctx *c = *state;

	build(c);
	assert_int_equal(mx_ui_key(&c->st, 's'), MX_UI_ACT_REDRAW);
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: count"));
	assert_true(mx_ui_row_has(body(c, 0), "AAAA_SERVFAIL_A_OK"));   /* count 7 */
	assert_true(mx_ui_row_has(body(c, 1), "SLOW_RESOLVER"));        /* count 3 */
	/* the sorted column's title is marked */
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[3], col_of(&c->f.rows[3], "COUNT")), MX_ROLE_TAB_ACTIVE);
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[3], col_of(&c->f.rows[3], "PATTERN")), MX_ROLE_COLHEAD);
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: newest"));
	assert_true(mx_ui_row_has(body(c, 0), "PUBLIC_RESOLVER"));      /* last_us 400 */
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: pattern"));
	assert_true(mx_ui_row_has(body(c, 0), "AAAA_SERVFAIL_A_OK"));
	assert_true(mx_ui_row_has(body(c, 1), "AAAA_SERVFAIL_LOOP"));
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: severity"));
	assert_int_equal(mx_ui_sort_count(MX_UI_FINDINGS), 4);
	assert_string_equal(mx_ui_sort_name(MX_UI_FINDINGS, 1), "count");
	assert_string_equal(mx_ui_sort_name(MX_UI_FINDINGS, 9), "?");
}

static void test_filter(void **state)
{
	struct ctx *c = *state;

	build(c);
	assert_int_equal(mx_ui_key(&c->st, '/'), MX_UI_ACT_REDRAW);
	assert_true(c->st.editing);
	keys(c, "SERVFAIL");   /* case-insensitive; 's' is text while editing */
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "Filter: SERVFAIL"));
	assert_int_equal(c->f.cursor_y, c->f.height - 1);
	assert_int_equal(c->f.cursor_x, (int)strlen("Filter: SERVFAIL"));
	assert_int_equal(c->st.count, 2);
	assert_true(mx_ui_row_has(body(c, 0), "AAAA_SERVFAIL_LOOP"));
	assert_true(mx_ui_row_has(body(c, 1), "AAAA_SERVFAIL_A_OK"));
	assert_false(mx_ui_row_has(body(c, 2), "_"));
	mx_ui_key(&c->st, MX_KEY_BACKSPACE);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	assert_false(c->st.editing);
	assert_string_equal(c->st.filter, "SERVFAI");
	build(c);
	assert_int_equal(c->f.cursor_x, -1);
	assert_true(mx_ui_row_has(status_row(c), "filter: SERVFAI"));
	/* filter on another column: the domain */
	keys(c, "/");
	mx_ui_key(&c->st, MX_KEY_ESC);
	assert_string_equal(c->st.filter, "");
	keys(c, "/new.EXAMPLE");
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_int_equal(c->st.count, 1);
	assert_true(mx_ui_row_has(body(c, 0), "SLOW_RESOLVER"));
	/* no match */
	keys(c, "/zzz");
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_int_equal(c->st.count, 0);
	assert_true(mx_ui_row_has(body(c, 0), "no rows match the filter"));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), 3), MX_ROLE_DIM);
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_ENTER), MX_UI_ACT_NONE);   /* nothing to open */
	/* Esc outside the prompt clears the filter */
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_ESC), MX_UI_ACT_REDRAW);
	build(c);
	assert_int_equal(c->st.count, 5);
	/* the filter applies to every view */
	keys(c, "/example.net");
	mx_ui_key(&c->st, MX_KEY_ENTER);
	keys(c, "2");
	build(c);
	assert_int_equal(c->st.count, 1);
	assert_true(mx_ui_row_has(body(c, 0), "192.0.2.11"));
}

static void test_selection_and_scroll(void **state)
{
	struct ctx *c = *state;
	int y = -1;

	mx_ui_frame_fini(&c->f);
	assert_int_equal(mx_ui_frame_init(&c->f, 100, 8), 0);   /* 3 body rows */
	build(c);
	assert_int_equal(c->st.page, 3);
	keys(c, "jj");
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 2);
	assert_int_equal(c->st.top[MX_UI_FINDINGS], 0);
	keys(c, "j");
	build(c);   /* the 4th row scrolls into view */
	assert_int_equal(c->st.top[MX_UI_FINDINGS], 1);
	assert_int_equal(selected_rows(c, &y), 1);
	assert_int_equal(y, MX_UI_BODY_TOP + 2);
	assert_true(mx_ui_row_has(&c->f.rows[y], "AAAA_SERVFAIL_A_OK"));
	mx_ui_key(&c->st, MX_KEY_END);
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 4);
	assert_int_equal(c->st.top[MX_UI_FINDINGS], 2);
	mx_ui_key(&c->st, MX_KEY_DOWN);   /* clamped at the end */
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 4);
	mx_ui_key(&c->st, MX_KEY_PGUP);
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 2);
	mx_ui_key(&c->st, MX_KEY_PGUP);
	mx_ui_key(&c->st, MX_KEY_PGUP);
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 0);
	assert_int_equal(c->st.top[MX_UI_FINDINGS], 0);
	mx_ui_key(&c->st, MX_KEY_PGDN);
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 2);
	mx_ui_key(&c->st, MX_KEY_HOME);
	mx_ui_key(&c->st, MX_KEY_UP);
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 0);
	/* a selection past the data (items went away) is clamped */
	c->st.sel[MX_UI_FINDINGS] = 40;
	c->st.top[MX_UI_FINDINGS] = 39;
	c->st.sel_keyed[MX_UI_FINDINGS] = false;
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 4);
	assert_int_equal(c->st.top[MX_UI_FINDINGS], 2);
	c->x.s.n_findings = 0;
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 0);
	assert_true(mx_ui_row_has(body(c, 0), "no findings yet"));
	assert_int_equal(selected_rows(c, &y), 0);
	assert_true(mx_ui_row_has(status_row(c), "row 0/0"));
}

static void test_follow_selected_item(void **state)
{
	struct ctx *c = *state;

	build(c);
	keys(c, "jj");   /* SLOW_RESOLVER (seq 4) */
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 2);
	/* a refresh brings a new critical finding that sorts first */
	c->x.f[4].sev = MX_SEV_CRIT;
	c->x.f[4].pattern = "NEW_CRIT";
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 3);
	assert_true(mx_ui_row_has(body(c, 3), "SLOW_RESOLVER"));
	assert_true(body(c, 3)->selected);
	/* the top row stays on top (the newest item) */
	mx_ui_key(&c->st, MX_KEY_HOME);
	build(c);
	c->x.f[0].sev = MX_SEV_CRIT;
	c->x.f[0].last_us = T0 + 900;
	build(c);
	assert_int_equal(c->st.sel[MX_UI_FINDINGS], 0);
	assert_true(mx_ui_row_has(body(c, 0), "AAAA_SERVFAIL_A_OK"));
}

/* A finding about a resolver that is a forwarder on this host says whose
 * answers it relays. */
static void test_finding_forwarder(void **state)
{
	struct ctx *c = *state;

	for (size_t i = 0; i < c->x.s.n_findings; i++) {
		c->x.f[i].n_resolvers = 1;
		c->x.f[i].resolvers[0] = A("198.51.100.53");
	}
	build(c);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(any_row_has(c, "198.51.100.53"));
	assert_false(any_row_has(c, "forwarder on this host"));
	c->x.res[0].forwarded = 3;
	c->x.res[0].fwd_to = A("192.0.2.200");
	build(c);
	assert_true(any_row_has(c, "198.51.100.53 is a forwarder on this host: its answers relay 192.0.2.200's"));
}

static void test_finding_detail(void **state)
{
	struct ctx *c = *state;

	build(c);
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_ENTER), MX_UI_ACT_REDRAW);
	assert_true(c->st.detail);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Finding AAAA_SERVFAIL_LOOP (crit)"));
	assert_true(any_row_has(c, "cause"));
	assert_true(any_row_has(c, "the cause in words"));
	assert_true(any_row_has(c, "fix"));
	assert_true(any_row_has(c, "the fix in words"));
	assert_true(any_row_has(c, "451 4.4.3"));
	assert_true(any_row_has(c, "Evidence"));
	assert_true(any_row_has(c, "#5"));
	assert_true(any_row_has(c, "192.0.2.10 -> 198.51.100.53"));
	assert_true(any_row_has(c, "SERVFAIL"));
	assert_true(any_row_has(c, "EDE 22"));
	assert_true(any_row_has(c, "Verify"));
	assert_true(any_row_has(c, "dig MX example.com. @198.51.100.53"));
	assert_true(any_row_has(c, "dig +short NS example.com."));
	assert_true(any_row_has(c, "frame.number in {5 6}"));
	assert_true(mx_ui_row_has(status_row(c), "Esc:back"));
	assert_false(any_row_has(c, "recovered"));
	/* a recovered deferral says which attempt connected */
	for (int i = 0; i < 5; i++) {
		c->x.f[i].recovered_attempt = 2;
		c->x.f[i].sev_was = MX_SEV_CRIT;
		c->x.f[i].recovered_us = T0 + 75000000ULL;
		mx_addr_parse("203.0.113.26", &c->x.f[i].recovered_to);
	}
	build(c);
	assert_true(any_row_has(c, "recovered"));
	assert_true(any_row_has(c, "attempt 2 at"));
	assert_true(any_row_has(c, "connected to 203.0.113.26; was CRIT"));
	for (int i = 0; i < 5; i++)
		c->x.f[i].recovered_attempt = 0;
	build(c);
	/* the severity value has the severity's role */
	for (int y = MX_UI_BODY_TOP; y < c->f.height - 1; y++)
		if (mx_ui_row_has(&c->f.rows[y], "severity"))
			assert_int_equal(mx_ui_row_role_at(&c->f.rows[y], 13), MX_ROLE_CRIT);
	/* the detail follows its item when the list order changes */
	c->x.f[1].sev = MX_SEV_CRIT;
	c->x.f[1].last_us = T0 + 999;
	build(c);
	assert_true(c->st.detail);
	assert_true(mx_ui_row_has(&c->f.rows[3], "AAAA_SERVFAIL_LOOP"));
	/* scrolling is clamped */
	size_t lines = c->st.detail_lines;
	assert_true(lines > 10);
	for (int i = 0; i < 100; i++)
		mx_ui_key(&c->st, MX_KEY_DOWN);
	build(c);
	assert_int_equal(c->st.detail_top, lines > c->st.page ? lines - c->st.page : 0);
	mx_ui_key(&c->st, MX_KEY_HOME);
	assert_int_equal(c->st.detail_top, 0);
	/* Esc closes; the list keeps its selection */
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_ESC), MX_UI_ACT_REDRAW);
	assert_false(c->st.detail);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "PATTERN"));
	/* a detail whose item disappears closes with a message */
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	c->x.f[2].seq = 77;
	build(c);
	assert_false(c->st.detail);
	assert_true(mx_ui_row_has(status_row(c), "no longer"));
	mx_ui_key(&c->st, 'j');
	assert_string_equal(c->st.status, "");
}

/* Pending findings (not made yet) are listed with the made ones: severity
 * dim, "pending:" before the title, counted apart in the header; their
 * detail page says what they wait for. */
static void test_pending_findings(void **state)
{
	struct ctx *c = *state;
	static struct mx_finding p[1];

	finding(&p[0], "RESOLVER_DEAD", MX_SEV_CRIT, (1ULL << 63) | 42, 600, 6, "dead.example.");
	p[0].title = "the resolver answers nothing";
	p[0].pending = "the counts of the current --stats-window so far: judged when the window ends";
	c->x.s.pending = p;
	c->x.s.n_pending = 1;
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[1], "findings 5 (1 crit, 1 error) +1 pending"));
	assert_false(mx_ui_row_has(&c->f.rows[1], "not listed"));
	c->x.s.pending_dropped = 3;
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[1], "+1 pending (3 more not listed)"));
	c->x.s.pending_dropped = 0;
	assert_true(mx_ui_row_has(&c->f.rows[2], "1 Findings 6"));
	/* crit, newest first: the pending one (last seen later) leads */
	assert_true(mx_ui_row_has(body(c, 0), "RESOLVER_DEAD"));
	assert_true(mx_ui_row_has(body(c, 0), "pending: the resolver answers nothing"));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), 1), MX_ROLE_DIM);
	assert_true(mx_ui_row_has(body(c, 1), "AAAA_SERVFAIL_LOOP"));
	assert_false(mx_ui_row_has(body(c, 1), "pending"));
	assert_int_equal(mx_ui_row_role_at(body(c, 1), 1), MX_ROLE_CRIT);
	assert_true(mx_ui_row_has(status_row(c), "row 1/6"));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Pending finding RESOLVER_DEAD (crit)"));
	assert_true(any_row_has(c, "not made yet: the counts of the current --stats-window"));
	/* once made (the pending list is empty, a made one has its place) the
	 * detail closes: another item */
	c->x.s.n_pending = 0;
	build(c);
	assert_false(c->st.detail);
	c->x.s.pending = NULL;
}

static void test_narrow_detail_wraps(void **state)
{
	struct ctx *c = *state;

	mx_ui_frame_fini(&c->f);
	assert_int_equal(mx_ui_frame_init(&c->f, 30, 60), 0);
	build(c);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	/* wrapped: the words are kept whole across rows */
	assert_true(any_row_has(c, "the cause in words, long"));
	assert_true(any_row_has(c, "enough to wrap on a narrow"));
	assert_true(any_row_has(c, "terminal when the page is"));
	for (int y = 0; y < c->f.height; y++)
		assert_int_equal(strlen(c->f.rows[y].text), 30);
}

static void test_chains(void **state)
{
	struct ctx *c = *state;

	keys(c, "2");
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "RESOLUTION"));
	/* newest first */
	assert_true(mx_ui_row_has(body(c, 0), "example.net."));
	assert_true(mx_ui_row_has(body(c, 0), "MX NXDOMAIN"));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), col_of(body(c, 0), "failed")), MX_ROLE_ERROR);
	assert_true(mx_ui_row_has(body(c, 1), "MX ok 20.0ms -> mx1.example.com.: AAAA SERVFAIL x3 1.50s -> A never asked"));
	assert_int_equal(mx_ui_row_role_at(body(c, 1), col_of(body(c, 1), "deferred")), MX_ROLE_WARN);
	/* sort by sender */
	keys(c, "ss");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: sender"));
	assert_true(mx_ui_row_has(body(c, 0), "192.0.2.10 "));
	/* detail: timeline */
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Chain 192.0.2.10 -> example.com. (attempt 2)"));
	assert_true(any_row_has(c, "Timeline"));
	/* an attempt begun after the previous one connected says so */
	assert_false(any_row_has(c, "another delivery"));
	c->x.c[0].prev_start_us = T0 - 6000000;
	c->x.c[0].new_delivery = true;
	build(c);
	assert_true(any_row_has(c, "previous attempt started"));
	assert_true(any_row_has(c, "(another delivery: the previous one had connected)"));
	c->x.c[0].prev_start_us = 0;
	c->x.c[0].new_delivery = false;
	build(c);
	assert_true(any_row_has(c, "deferred: AAAA SERVFAIL for mx1.example.com., A never asked"));
	int mxrow = -1, aaaarow = -1, arow = -1;
	for (int y = MX_UI_BODY_TOP; y < c->f.height - 1; y++) {
		const struct mx_ui_row *r = &c->f.rows[y];
		if (col_of(r, " MX   example.com.") >= 0)
			mxrow = y;
		if (col_of(r, " AAAA mx1.example.com.") >= 0)
			aaaarow = y;
		if (col_of(r, " A    mx1.example.com.") >= 0)
			arow = y;
	}
	assert_true(mxrow > 0 && aaaarow > mxrow && arow > aaaarow);
	assert_true(mx_ui_row_has(&c->f.rows[aaaarow], "SERVFAIL x3"));
	assert_int_equal(mx_ui_row_role_at(&c->f.rows[aaaarow], col_of(&c->f.rows[aaaarow], "SERVFAIL")),
			 MX_ROLE_ERROR);
	assert_true(mx_ui_row_has(&c->f.rows[arow], "never asked"));
	assert_true(mx_ui_row_has(&c->f.rows[aaaarow], "via 198.51.100.53"));
	assert_true(any_row_has(c, "Exchanges"));
	assert_true(any_row_has(c, "10 mx1.example.com.  no address"));
}

/* A relay chain (--relayhost): the list names the host as a relay host and
 * the detail page says that no MX was asked. */
static void test_relay_chain(void **state)
{
	struct ctx *c = *state;
	struct mx_chain *r = &c->x.c[1];
	memset(r, 0, sizeof *r);
	r->seq = 11;
	r->sender = A("192.0.2.11");
	r->domain = N("relay.example.net");
	r->relay = true;
	r->attempt = 2;
	r->prev_start_us = T0 - 65000000;
	r->start_us = T0 + 400000;
	r->end_us = T0 + 420000;
	r->mx.ede = 0xffff;
	r->n_hosts = 1;
	r->hosts_total = 1;
	r->hosts[0].name = N("relay.example.net");
	r->hosts[0].implicit = true;
	r->hosts[0].first_family = 6;
	step(&r->hosts[0].aaaa, MX_O_NXDOMAIN, 400000, 1, 2000);
	step(&r->hosts[0].a, MX_O_NXDOMAIN, 403000, 1, 2000);
	r->verdict = MX_CHAIN_FAILED;
	r->why = "the relay host has no address";
	keys(c, "2");
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "relay.example.net. (relay host)"));
	assert_false(mx_ui_row_has(body(c, 0), "implicit MX"));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(any_row_has(c, "none asked: relay.example.net. is a relay host (--relayhost)"));
	assert_true(any_row_has(c, "(relay host) relay.example.net."));
	assert_true(any_row_has(c, "failed: the relay host has no address"));
	/* connected on the relay's own port */
	r->connected = true;
	r->connected_to = A("198.51.100.25");
	r->connected_port = 587;
	r->syn_frame = 42;
	build(c);
	assert_true(any_row_has(c, "SYN to 198.51.100.25 port 587 (frame 42)"));
}

/* A chain that took back its search-list tries (res_search, ndots) says so
 * on its detail page. */
static void test_chain_search_lookups(void **state)
{
	struct ctx *c = *state;
	c->x.c[1].search_lookups = 3;
	keys(c, "2");
	build(c);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(any_row_has(c, "3 failing MX lookups of example.net. with a search domain appended"));
}

/* Open chains (the live view's snapshots carry them): listed with the
 * closed ones, newest first, VERDICT "open" (not judged yet, no verdict
 * colour); the detail page says so and when the window ends. When the
 * chain closes (the next snapshot has it among the closed ones, same seq)
 * the selection and an open detail page stay on it. */
static void test_open_chains(void **state)
{
	struct ctx *c = *state;
	static struct mx_chain closed[3];
	struct mx_chain *o = &c->x.oc[0];

	o->seq = 12;
	o->sender = A("192.0.2.10");
	o->domain = N("example.org");
	o->attempt = 1;
	o->start_us = T0 + 500000;
	o->end_us = T0 + 1900000;
	step(&o->mx, MX_O_ANSWER, 500000, 1, 20000);
	o->mx_total = 1;
	o->n_hosts = 1;
	o->hosts_total = 1;
	o->hosts[0].name = N("mx.example.org");
	o->hosts[0].pref = 10;
	o->hosts[0].first_family = 6;
	step(&o->hosts[0].aaaa, MX_O_SERVFAIL, 600000, 2, 1300000);
	o->verdict = MX_CHAIN_DEFERRED; /* as judged at the peek */
	o->why = "address lookups failed temporarily and none answered";
	o->open = true;
	o->open_window_ms = 165020;
	c->x.s.open_chains = c->x.oc;
	c->x.s.n_open_chains = 1;

	keys(c, "2");
	build(c);
	/* the newest: first; the closed ones after it */
	assert_true(mx_ui_row_has(body(c, 0), "example.org."));
	int vcol = col_of(&c->f.rows[3], "VERDICT");
	assert_true(vcol > 0);
	assert_int_equal(col_of(body(c, 0), "open "), vcol);
	assert_false(mx_ui_row_has(body(c, 0), "deferred"));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), vcol), MX_ROLE_NORMAL);
	assert_true(mx_ui_row_has(body(c, 0), "mx.example.org.: AAAA SERVFAIL x2"));
	assert_true(mx_ui_row_has(body(c, 1), "example.net."));
	assert_true(mx_ui_row_has(body(c, 2), "example.com."));
	assert_int_equal(c->st.count, 3);

	/* sort by verdict: failed, deferred, then open */
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: verdict"));
	assert_true(mx_ui_row_has(body(c, 0), "example.net."));
	assert_true(mx_ui_row_has(body(c, 1), "example.com."));
	assert_true(mx_ui_row_has(body(c, 2), "example.org."));
	keys(c, "jj");
	build(c);
	assert_true(body(c, 2)->selected);

	/* the detail page of the open chain */
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Chain 192.0.2.10 -> example.org. (attempt 1, open)"));
	assert_true(mx_ui_row_has(body(c, 0), "still open: its window ends at 2026-01-01 00:02:45.520Z"));
	assert_true(any_row_has(c, "open: judged when the window ends (so far deferred: address lookups"));
	assert_true(any_row_has(c, "Timeline"));
	assert_true(any_row_has(c, " AAAA mx.example.org."));

	/* it closes: the next snapshot has it with the closed chains */
	closed[0] = c->x.c[0];
	closed[1] = c->x.c[1];
	closed[2] = *o;
	closed[2].open = false;
	closed[2].open_window_ms = 0;
	c->x.s.chains = closed;
	c->x.s.n_chains = 3;
	c->x.s.open_chains = NULL;
	c->x.s.n_open_chains = 0;
	build(c);
	assert_true(c->st.detail);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Chain 192.0.2.10 -> example.org. (attempt 1)"));
	assert_false(any_row_has(c, "still open"));
	assert_true(any_row_has(c, "deferred: address lookups failed temporarily and none answered"));
	assert_false(mx_ui_row_has(status_row(c), "no longer"));
	/* back in the list: still on it, now among the deferred (the newer first) */
	mx_ui_key(&c->st, MX_KEY_ESC);
	build(c);
	assert_true(mx_ui_row_has(body(c, 1), "example.org."));
	assert_true(body(c, 1)->selected);
	assert_int_equal(mx_ui_row_role_at(body(c, 1), vcol), MX_ROLE_WARN);
	assert_true(mx_ui_row_has(body(c, 1), "deferred"));
}

static void test_senders(void **state)
{
	struct ctx *c = *state;

	keys(c, "3");
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "FALLBACK"));
	assert_true(mx_ui_row_has(body(c, 0), "192.0.2.10"));
	assert_true(mx_ui_row_has(body(c, 0), "AAAA-first"));
	assert_true(mx_ui_row_has(body(c, 0), "never asks A"));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), col_of(body(c, 0), "never asks A")), MX_ROLE_ERROR);
	assert_true(mx_ui_row_has(body(c, 1), "A-first"));
	keys(c, "ss");   /* lookups */
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "192.0.2.11"));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Sender 192.0.2.11"));
	assert_true(any_row_has(c, "Fingerprint"));
	assert_true(any_row_has(c, "Chains (newest first)"));
	assert_true(any_row_has(c, "example.net."));
	mx_ui_key(&c->st, MX_KEY_LEFT);
	keys(c, "j");
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Sender 192.0.2.10"));
	assert_true(any_row_has(c, "AAAA_SERVFAIL_LOOP"));   /* its findings */
	assert_false(any_row_has(c, "forwarder"));

	/* a stub forwarder: most of its lookups were forwarded */
	c->x.snd[1].forwarded = 30;
	c->x.snd[1].fwd_for = A("127.0.0.53");
	mx_ui_key(&c->st, MX_KEY_LEFT);
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "192.0.2.11"));
	assert_true(mx_ui_row_has(body(c, 0), "forwarder"));
	mx_ui_key(&c->st, MX_KEY_HOME);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Sender 192.0.2.11"));
	assert_true(any_row_has(c, "30 of 40 lookups forwarded for 127.0.0.53 on this host"));
	assert_false(any_row_has(c, "musl"));
	/* a musl stub: one query to several resolvers at once */
	c->x.snd[1].multi_send = 7;
	build(c);
	assert_true(any_row_has(c, "musl: 7 lookups sent to several resolvers at once"));
	/* qmail: ANY beside MX */
	assert_false(any_row_has(c, "qmail"));
	c->x.snd[1].any_lookups = 3;
	c->x.snd[1].mx_lookups = 2;
	build(c);
	assert_true(any_row_has(c, "3 lookups beside MX: qmail-remote's CNAME check"));
}

static void test_resolvers(void **state)
{
	struct ctx *c = *state;
	const struct mx_ui_row *r;

	keys(c, "4");
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "P95"));
	r = body(c, 0);
	assert_true(mx_ui_row_has(r, "198.51.100.53"));
	assert_true(mx_ui_row_has(r, "90.0%"));
	assert_true(mx_ui_row_has(r, "20.0ms"));
	assert_true(mx_ui_row_has(r, "1.50s"));
	assert_true(mx_ui_row_has(r, "2.50s"));
	assert_true(mx_ui_row_has(r, "NOERROR 80 SERVFAIL 6 REFUSED 4"));
	assert_int_equal(mx_ui_row_role_at(r, col_of(r, "90.0%")), MX_ROLE_WARN);
	assert_true(mx_ui_row_has(body(c, 2), "203.0.113.1"));
	assert_true(mx_ui_row_has(body(c, 2), "auth"));
	/* answered: worst first */
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "198.51.100.53"));
	keys(c, "ss");   /* timeouts */
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "198.51.100.53"));
	keys(c, "s");    /* address */
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "198.51.100.53"));
	assert_true(mx_ui_row_has(body(c, 1), "198.51.100.54"));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Resolver 198.51.100.53"));
	assert_true(any_row_has(c, "p50 20.0ms  p95 1.50s  p99 2.50s  max 4.00s"));
	assert_false(any_row_has(c, "forwarder on this host"));
	/* a stub whose questions a forwarder asked again upstream */
	c->x.res[0].forwarded = 7;
	c->x.res[0].fwd_to = A("192.0.2.200");
	c->x.res[0].fwd_via = A("192.0.2.10");
	build(c);
	assert_true(any_row_has(c, "a forwarder on this host: 7 questions went upstream (the last from "
				   "192.0.2.10 to 192.0.2.200)"));
}

static void test_domains(void **state)
{
	struct ctx *c = *state;

	keys(c, "5");
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "example.net."));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), col_of(body(c, 0), "failed")), MX_ROLE_ERROR);
	assert_int_equal(mx_ui_row_role_at(body(c, 1), col_of(body(c, 1), "deferred")), MX_ROLE_WARN);
	assert_int_equal(mx_ui_row_role_at(body(c, 2), col_of(body(c, 2), "resolved")), MX_ROLE_OK);
	keys(c, "ss");   /* name */
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "example.com."));
	assert_true(mx_ui_row_has(body(c, 2), "fine.example."));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Domain example.com."));
	assert_true(any_row_has(c, "AAAA_SERVFAIL_LOOP"));
	assert_true(any_row_has(c, "Chains (newest first)"));
}

static void test_live(void **state)
{
	struct ctx *c = *state;

	keys(c, "6");
	build(c);
	/* newest first */
	assert_true(mx_ui_row_has(body(c, 0), "d.example."));
	assert_true(mx_ui_row_has(body(c, 3), "a.example."));
	assert_int_equal(mx_ui_row_role_at(body(c, 0), col_of(body(c, 0), "ANSWER")), MX_ROLE_OK);
	assert_int_equal(mx_ui_row_role_at(body(c, 1), col_of(body(c, 1), "TIMEOUT")), MX_ROLE_ERROR);
	/* at the top, the view keeps showing the newest */
	c->x.rec[0].qname = N("e.example");
	c->x.rec[0].ts_us = T0 + 9000;
	memmove(&c->x.rec[0], &c->x.rec[1], 3 * sizeof(c->x.rec[0]));
	c->x.rec[3].qname = N("e.example");
	c->x.rec[3].ts_us = T0 + 9000;
	c->x.rec[3].frame = 99;
	build(c);
	assert_true(mx_ui_row_has(body(c, 0), "e.example."));
	assert_true(body(c, 0)->selected);
	keys(c, "s");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "sort: latency"));
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	assert_true(mx_ui_row_has(&c->f.rows[3], "Transaction"));
	assert_true(any_row_has(c, "outcome"));
}

static void test_view_keys(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(mx_ui_key(&c->st, MX_KEY_TAB), MX_UI_ACT_REDRAW);
	assert_int_equal(c->st.view, MX_UI_CHAINS);
	mx_ui_key(&c->st, MX_KEY_BTAB);
	mx_ui_key(&c->st, MX_KEY_BTAB);
	assert_int_equal(c->st.view, MX_UI_LIVE);
	mx_ui_key(&c->st, MX_KEY_TAB);
	assert_int_equal(c->st.view, MX_UI_FINDINGS);
	for (int k = '1'; k <= '6'; k++) {
		mx_ui_key(&c->st, k);
		assert_int_equal(c->st.view, k - '1');
		build(c);
		assert_int_equal(mx_ui_row_role_at(&c->f.rows[2], col_of(&c->f.rows[2], mx_ui_view_name(c->st.view))),
				 MX_ROLE_TAB_ACTIVE);
	}
	assert_int_equal(mx_ui_key(&c->st, 'p'), MX_UI_ACT_PAUSE);
	assert_true(c->st.paused);
	assert_int_equal(mx_ui_key(&c->st, 'p'), MX_UI_ACT_PAUSE);
	assert_false(c->st.paused);
	assert_int_equal(mx_ui_key(&c->st, 'w'), MX_UI_ACT_WRITE);
	assert_int_equal(mx_ui_key(&c->st, 'q'), MX_UI_ACT_QUIT);
	assert_int_equal(mx_ui_key(&c->st, 'Z'), MX_UI_ACT_NONE);
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_UNKNOWN), MX_UI_ACT_NONE);
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_NONE), MX_UI_ACT_NONE);
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_RESIZE), MX_UI_ACT_REDRAW);
	/* help: shown, any key closes it, q still quits */
	assert_int_equal(mx_ui_key(&c->st, '?'), MX_UI_ACT_REDRAW);
	build(c);
	assert_true(any_row_has(c, "write the current report"));
	assert_true(any_row_has(c, "pause / resume"));
	assert_true(mx_ui_row_has(status_row(c), "any key closes"));
	assert_int_equal(mx_ui_key(&c->st, 'x'), MX_UI_ACT_REDRAW);
	assert_false(c->st.help);
	mx_ui_key(&c->st, '?');
	assert_int_equal(mx_ui_key(&c->st, 'q'), MX_UI_ACT_QUIT);
	/* a status message is shown until the next key */
	c->st.help = false;
	snprintf(c->st.status, sizeof(c->st.status), "report written to ./r.md");
	build(c);
	assert_true(mx_ui_row_has(status_row(c), "report written to ./r.md"));
	c->st.status_error = true;
	build(c);
	assert_int_equal(mx_ui_row_role_at(status_row(c), 2), MX_ROLE_ERROR);
}

static void test_no_snapshot(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(mx_ui_build(&c->f, NULL, &c->st), 0);
	assert_true(mx_ui_row_has(&c->f.rows[0], "starting"));
	assert_true(mx_ui_row_has(body(c, 0), "waiting for data"));
	assert_int_equal(mx_ui_key(&c->st, MX_KEY_ENTER), MX_UI_ACT_NONE);
}

/* Every view, list/detail/help, at many sizes: rows are exactly the width,
 * spans inside it, printable text only. */
static void check_frame(const struct mx_ui_frame *f)
{
	for (int y = 0; y < f->height; y++) {
		const struct mx_ui_row *r = &f->rows[y];

		assert_int_equal((int)strlen(r->text), f->width);
		for (int x = 0; x < f->width; x++)
			assert_true(r->text[x] >= 0x20 && r->text[x] < 0x7f);
		for (unsigned i = 0; i < r->n_spans; i++)
			assert_true(r->spans[i].x + r->spans[i].w <= f->width);
	}
	if (f->cursor_x >= 0) {
		assert_true(f->cursor_x < f->width);
		assert_true(f->cursor_y < f->height);
	}
}

static void test_sizes_sweep(void **state)
{
	struct ctx *c = *state;
	static const int ws[] = {1, 2, 5, 19, 20, 21, 30, 40, 60, 79, 80, 132, 200, 511, 512, 700};
	static const int hs[] = {1, 2, 5, 6, 7, 10, 24, 48, 301};

	/* hostile text in the source and names */
	snprintf(c->x.s.source, sizeof(c->x.s.source), "file \x1b[31mevil\x7f\xff.pcap");
	for (size_t wi = 0; wi < sizeof(ws) / sizeof(ws[0]); wi++)
		for (size_t hi = 0; hi < sizeof(hs) / sizeof(hs[0]); hi++)
			for (int v = 0; v < MX_UI__VIEWS; v++)
				for (int mode = 0; mode < 4; mode++) {
					struct mx_ui_frame f;
					struct mx_ui_state st;

					mx_ui_state_init(&st);
					st.view = (enum mx_ui_view)v;
					st.sel[v] = 1;
					st.detail = mode == 1;
					st.help = mode == 2;
					if (mode == 3) {
						st.editing = true;
						snprintf(st.filter, sizeof(st.filter), "e");
					}
					st.paused = true;
					st.ended = true;
					assert_int_equal(mx_ui_frame_init(&f, ws[wi], hs[hi]), 0);
					assert_true(f.width <= MX_UI_MAX_WIDTH && f.height <= MX_UI_MAX_HEIGHT);
					assert_int_equal(mx_ui_build(&f, &c->x.s, &st), 0);
					check_frame(&f);
					if (ws[wi] < MX_UI_MIN_WIDTH || hs[hi] < MX_UI_MIN_HEIGHT)
						assert_true(mx_ui_row_has(&f.rows[0], "mxsniff: termi") ||
							    ws[wi] < 14);
					mx_ui_frame_fini(&f);
				}
	mx_ui_frame_fini(NULL);
}

static void test_help_lines(void **state)
{
	size_t n = 0;

	(void)state;
	for (; mx_ui_help_lines[n] != NULL; n++)
		assert_true(strlen(mx_ui_help_lines[n]) < 80);
	assert_true(n >= 14);
	assert_string_equal(mx_ui_view_name(MX_UI_LIVE), "Live");
}

/* ---- characters outside ASCII ------------------------------------------------ */

/* Every glyph is inside the row, on a distinct column, over its ASCII
 * stand-in, and holds one valid UTF-8 character. */
static void check_glyphs(const struct mx_ui_frame *f)
{
	for (int y = 0; y < f->height; y++) {
		const struct mx_ui_row *r = &f->rows[y];

		assert_true(r->n_glyphs <= MX_UI_MAX_GLYPHS);
		for (unsigned i = 0; i < r->n_glyphs; i++) {
			const struct mx_ui_glyph *g = &r->glyphs[i];
			size_t n = strlen(g->utf8);

			assert_true(g->x < f->width);
			assert_true(n >= 2 && n <= 4);
			assert_true((unsigned char)g->utf8[0] >= 0xc2);
			assert_int_equal(mx_ui_text_cols(g->utf8), 1);
			assert_true(r->text[g->x] >= 0x20 && r->text[g->x] < 0x7f);
			for (unsigned j = 0; j < i; j++)
				assert_true(r->glyphs[j].x != g->x);
		}
	}
}

#define UTF8_CAUSE "RFC 4074 \xc2\xa7" "3 expects \xe2\x80\x9cNOERROR\xe2\x80\x9d \xe2\x80\x94 not " \
	"\xe2\x80\x98SERVFAIL\xe2\x80\x99 \xe2\x86\x92 retry\xe2\x80\xa6 \xe2\x9c\x93 \xe6\xbc\xa2 " \
	"\xc2\x85 \xff end"
/* the same, one column per character, as a terminal without UTF-8 shows it */
#define UTF8_ASCII "RFC 4074 #3 expects \"NOERROR\" - not 'SERVFAIL' > retry. ? ? ? ? end"

static void test_utf8_text(void **state)
{
	struct ctx *c = *state;
	const struct mx_ui_row *r = NULL;
	int x;

	/* columns: one per character; invalid bytes one each */
	assert_int_equal(mx_ui_text_cols("a\xc2\xa7" "b"), 3);
	assert_int_equal(mx_ui_text_cols("\xe6\xbc\xa2"), 1);
	assert_int_equal(mx_ui_text_cols("\xff\xfe"), 2);
	assert_int_equal(mx_ui_text_cols("\xe2\x80"), 2);   /* cut short: two bytes */
	assert_int_equal(mx_ui_text_cols(UTF8_CAUSE), (int)strlen(UTF8_ASCII));

	for (int i = 0; i < 5; i++)
		c->x.f[i].cause = UTF8_CAUSE;
	build(c);
	mx_ui_key(&c->st, MX_KEY_ENTER);
	build(c);
	check_frame(&c->f);
	check_glyphs(&c->f);
	for (int y = MX_UI_BODY_TOP; y < c->f.height - 1; y++)
		if (mx_ui_row_has(&c->f.rows[y], UTF8_ASCII))
			r = &c->f.rows[y];
	assert_non_null(r);
	x = col_of(r, UTF8_ASCII);
	assert_true(x > 0);
	/* the glyphs a UTF-8 terminal draws, column by column */
	assert_string_equal(mx_ui_row_glyph_at(r, x + 9), "\xc2\xa7");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 20), "\xe2\x80\x9c");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 28), "\xe2\x80\x9d");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 30), "\xe2\x80\x94");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 36), "\xe2\x80\x98");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 45), "\xe2\x80\x99");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 47), "\xe2\x86\x92");
	assert_string_equal(mx_ui_row_glyph_at(r, x + 54), "\xe2\x80\xa6");
	/* not known to take one column, a C1 control, an invalid byte: '?' only */
	for (int k = 56; k <= 62; k += 2) {
		assert_int_equal(r->text[x + k], '?');
		assert_null(mx_ui_row_glyph_at(r, x + k));
	}
	assert_null(mx_ui_row_glyph_at(r, x));            /* ASCII: the text itself */
	assert_int_equal(r->n_glyphs, 8);

	/* wrapped on a narrow terminal: still one column per character */
	mx_ui_frame_fini(&c->f);
	assert_int_equal(mx_ui_frame_init(&c->f, 30, 60), 0);
	build(c);
	check_frame(&c->f);
	check_glyphs(&c->f);
	r = NULL;
	for (int y = MX_UI_BODY_TOP; y < c->f.height - 1; y++)
		if (mx_ui_row_has(&c->f.rows[y], "RFC 4074 #3"))
			r = &c->f.rows[y];
	assert_non_null(r);
	assert_string_equal(mx_ui_row_glyph_at(r, col_of(r, "#3")), "\xc2\xa7");
	assert_true(any_row_has(c, "\"NOERROR\" -"));

	/* UTF-8 in the source name, at every width: glyphs stay inside and
	 * characters are never cut into bytes */
	snprintf(c->x.s.source, sizeof(c->x.s.source), "caf\xc3\xa9 \xc2\xa7\xc2\xa7\xc2\xa7.pcap");
	mx_ui_state_init(&c->st);
	for (int w = 1; w <= 60; w++) {
		struct mx_ui_frame f;

		assert_int_equal(mx_ui_frame_init(&f, w, 8), 0);
		assert_int_equal(mx_ui_build(&f, &c->x.s, &c->st), 0);
		check_frame(&f);
		check_glyphs(&f);
		if (w == 60) {
			x = col_of(&f.rows[0], "caf? ###.pcap");
			assert_true(x > 0);
			assert_string_equal(mx_ui_row_glyph_at(&f.rows[0], x + 3), "\xc3\xa9");
			assert_string_equal(mx_ui_row_glyph_at(&f.rows[0], x + 7), "\xc2\xa7");
		}
		mx_ui_frame_fini(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_and_tabs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_order_and_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selection_and_scroll, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_selected_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finding_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finding_forwarder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_narrow_detail_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_search_lookups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_senders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolvers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes_sweep, setup, teardown),
		cmocka_unit_test(test_help_lines),
		cmocka_unit_test_setup_teardown(test_utf8_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
