/* public_resolver.c - P12 PUBLIC_RESOLVER_IN_USE / PUBLIC_RESOLVER_LIMITED /
 * DNSBL_BLOCKED.
 *
 * A mail server that resolves through a public resolver (the list in
 * --public-resolvers) is noted (INFO; Messaging Gateway KB 263759 names them
 * as a cause of 4.4.4). It becomes WARN when, toward that resolver, >= 1 % of
 * queries go unanswered or SERVFAIL/REFUSED make up >= 5 % of answers (public
 * resolvers throttle per client address). DNSBL_BLOCKED: an A answer under a
 * DNSBL zone (--dnsbl-zones) equal to 127.255.255.252/254/255 (Spamhaus:
 * typo, public resolver, excessive volume), from any resolver (S's own may
 * forward to a public one): the blocklist is not checked, or its error is
 * misread as "listed".
 */
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define RES 32

struct res {
	struct mx_slot s;
	struct mx_addr addr;
	struct mx_addr sender;
	uint64_t total, answered, lost, failed, first_us, last_us, frame;
	/* for the rows: the first query and the first unanswered or failed one */
	struct mx_txn_kept first, bad;
};

struct st {
	struct res res[RES];
	uint64_t clock;
};

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (!t->rd || t->kind == MX_TXN_PENDING || t->kind == MX_TXN_OPEN)
		return;
	if (!mx_detect_is_sender(c->opts, &t->client))
		return;
	if (mx_detect_is_public(c->opts, &t->server)) {
		bool fresh;
		struct res *r = MX_SLOT_GET_PK(c, MX_PK_PUBLIC, s->res, mx_key_addr2_inline(&t->client, &t->server, MX_SALT_PUBLIC),
						&s->clock, &fresh);
		if (fresh) {
			r->addr = t->server;
			r->sender = t->client;
			r->first_us = t->q_ts;
			r->frame = t->q_frame;
			mx_txn_keep(&r->first, t);
		}
		r->total++;
		r->last_us = t->q_ts;
		bool bad = t->kind != MX_TXN_ANSWERED || t->outcome == MX_O_SERVFAIL || t->outcome == MX_O_REFUSED;
		if (bad && r->lost + r->failed == 0)
			mx_txn_keep(&r->bad, t);
		if (t->kind == MX_TXN_ANSWERED) {
			r->answered++;
			if (t->outcome == MX_O_SERVFAIL || t->outcome == MX_O_REFUSED)
				r->failed++;
		} else {
			r->lost++;
		}
	}
	/* DNSBL error codes in A answers, whatever resolver S asked: the
	 * blocklist judges the resolver that reached it, which is often a
	 * public one behind S's own forwarder (local unbound/dnsmasq/systemd-
	 * resolved forwarding to 8.8.8.8), not in the public list */
	const struct mx_dns_msg *m = t->resp;
	if (!m || t->qtype != MX_TYPE_A || !mx_detect_in_dnsbl(c->opts, &t->qname))
		return;
	for (unsigned i = 0; i < m->n_addr; i++) {
		const uint8_t *a = m->addr[i].addr.a;
		if (m->addr[i].addr.family != 4 || a[0] != 127 || a[1] != 255 || a[2] != 255 ||
		    (a[3] != 252 && a[3] != 254 && a[3] != 255))
			continue;
		struct mx_finding f;
		char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
		struct mx_dname zone = {0};
		mx_finding_init(&f, "DNSBL_BLOCKED", MX_SEV_WARN);
		f.title = "a DNS blocklist refuses queries from this resolver";
		f.sender = t->client;
		mx_finding_add_resolver(&f, &t->server);
		for (size_t z = 0; z < c->opts->n_dnsbl_zones; z++)
			if (mx_dname_is_subdomain(&t->qname, &c->opts->dnsbl_zones[z]))
				zone = c->opts->dnsbl_zones[z];
		mx_dname_copy(&f.domain, &zone);
		f.first_us = t->q_ts;
		f.last_us = t->r_ts;
		mx_finding_add_frame(&f, t->q_frame);
		mx_finding_add_frame(&f, t->r_frame);
		mx_dname_format(&t->qname, qn, sizeof qn);
		mx_addr_format(&t->server, rs, sizeof rs);
		mx_finding_detail(&f, "%s answered 127.255.255.%u (%s)", qn, a[3],
				  a[3] == 254 ? "query via a public/open resolver"
				  : a[3] == 255 ? "excessive number of queries" : "typing error in the zone name");
		f.smtp_status = "none directly; inbound mail may be rejected if the error code is read as "
				"\"listed\", or spam filtering is silently off";
		f.cause = "blocklists refuse queries that come through public or high-volume resolvers";
		f.fix = "run an own caching resolver for blocklist queries, or use the blocklist's registered "
			"access (e.g. Spamhaus DQS)";
		mx_finding_verify(&f, "dig A %s @%s", qn, rs);
		mx_emit_txn(e, &f, t, NULL);
		return;
	}
}

/* pending: NULL at the end of the capture (the findings are made), else
 * why they are pending (on_pending) */
static void report(const struct st *s, struct mx_emit *e, const char *pending)
{
	for (unsigned i = 0; i < RES; i++) {
		const struct res *r = &s->res[i];
		if (!r->s.used)
			continue;
		bool limited = (r->lost * 100 >= r->total && r->lost >= 3) ||
			       (r->answered && r->failed * 20 >= r->answered && r->failed >= 3);
		struct mx_finding f;
		char rs[MX_ADDR_STRLEN];
		mx_addr_format(&r->addr, rs, sizeof rs);
		mx_finding_init(&f, limited ? "PUBLIC_RESOLVER_LIMITED" : "PUBLIC_RESOLVER_IN_USE",
				limited ? MX_SEV_WARN : MX_SEV_INFO);
		f.title = limited ? "a public resolver used by the mail server drops or fails queries"
				  : "the mail server resolves through a public resolver";
		f.sender = r->sender;
		mx_finding_add_resolver(&f, &r->addr);
		f.first_us = r->first_us;
		f.last_us = r->last_us;
		f.count = r->total;
		mx_finding_add_frame(&f, r->frame);
		mx_finding_add_kept(&f, &r->first, NULL);
		if (r->lost + r->failed && r->bad.q_frame != r->first.q_frame)
			mx_finding_add_kept(&f, &r->bad, NULL);
		mx_finding_detail(&f, "%llu queries to %s: %llu unanswered, %llu SERVFAIL/REFUSED",
				  (unsigned long long)r->total, rs, (unsigned long long)r->lost,
				  (unsigned long long)r->failed);
		f.smtp_status = limited ? "most likely: Messaging Gateway \"421 4.4.4 [internal] domain does not "
					  "resolve\"; others 4.4.3 when lookups fail"
					: "none now; public resolvers throttle busy clients and blocklists refuse them";
		f.cause = "public resolvers rate-limit per client address (Google: \"high query volumes ... may "
			  "be throttled\") and DNS blocklists refuse queries that come through them";
		f.fix = "run an own caching resolver on or near the mail server";
		mx_finding_verify(&f, "dig . SOA @%s", rs);
		f.pending = pending;
		mx_emit(e, &f);
	}
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	report(vs, e, NULL);
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	report(vs, e, "judged on the whole capture when it ends: the counts so far");
}

const struct mx_detector mx_det_public_resolver = {
	.id = "PUBLIC_RESOLVER",
	.pattern = "P12",
	.emits = "PUBLIC_RESOLVER_IN_USE,PUBLIC_RESOLVER_LIMITED,DNSBL_BLOCKED",
	.summary = "the mail server uses a public resolver (throttled, refused by blocklists)",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
