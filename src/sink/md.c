/* sink/md.c - the incident write-up in Markdown (`-F md`), written at close
 * (L6).
 *
 * An operator pastes it into a ticket. Layout (CommonMark with GitHub
 * tables): "# Mail delivery incident: <headline>" from the top finding, a
 * one-paragraph summary (who is affected, what fails, the SMTP status the
 * sender most likely logged, the fix in one sentence), "## Impact" (senders
 * and their fingerprint, recipient domains, attempts and chain verdicts, time
 * span), "## Timeline" (attempts, first failures, verdicts and findings in
 * capture-time order, with frame numbers), "## Findings" (per finding:
 * detail, evidence table, root cause, fix, the dig commands to verify in a
 * ```sh block, the likely SMTP status; past the first 10 of a pattern, a
 * row each in "### Other findings") and "## Appendix: capture statistics"
 * (totals, decode problems, evictions, the resolver table). When no finding
 * is at warn or above, a short write-up says that no failure pattern was
 * seen, lists the informational findings, and keeps the appendix.
 *
 * Text from the capture (names, addresses, the file name) goes into code
 * spans; detector prose is escaped where Markdown would read it as markup
 * ('|' in table cells, '<', '*', '_' at word edges, '[', ']', '`', '\').
 * No wall clock, no locale, no floats: the same snapshot gives the same
 * bytes. The sink decides nothing: findings come from the detectors.
 */
#include "mxsniff/addr.h"
#include "mxsniff/chain.h"
#include "mxsniff/detect.h"
#include "mxsniff/dname.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "sink_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MD_LIST_MAX 10       /* senders / domains listed in Impact */
#define MD_TIMELINE_HEAD 20  /* a long timeline keeps its first and last events */
#define MD_TIMELINE_TAIL 20

/* ---- escaping --------------------------------------------------------- */

static bool alnum_c(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Prose bytes: MD_PLAIN as they are, MD_SPACE (control bytes, DEL) become a
 * space, MD_ESC take a backslash, MD_UNDER ('_') takes one unless it sits
 * between two letters or digits. */
enum { MD_PLAIN, MD_SPACE, MD_ESC, MD_UNDER };
static const unsigned char g_mdcls[256] = {
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['*'] = MD_ESC, ['<'] = MD_ESC, ['>'] = MD_ESC, ['['] = MD_ESC, ['\\'] = MD_ESC,
	[']'] = MD_ESC, ['_'] = MD_UNDER, ['`'] = MD_ESC, ['|'] = MD_ESC, [0x7f] = MD_SPACE,
};

/* Prose: escape what Markdown would read as markup; control bytes become
 * a space so a line or a table row never breaks. Gathered in a block and
 * handed to the stream in one go. */
static void md_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char b[1024];
	size_t o = 0;
	for (size_t i = 0; p[i]; i++) {
		unsigned char c = p[i];
		if (o > sizeof b - 2) {
			fwrite(b, 1, o, out);
			o = 0;
		}
		switch (g_mdcls[c]) {
		case MD_PLAIN:
			b[o++] = (char)c;
			break;
		case MD_SPACE:
			b[o++] = ' ';
			break;
		case MD_UNDER:
			if (i && alnum_c(p[i - 1]) && alnum_c(p[i + 1])) {
				b[o++] = '_';
				break;
			}
			/* fall through */
		default:
			b[o++] = '\\';
			b[o++] = (char)c;
			break;
		}
	}
	if (o)
		fwrite(b, 1, o, out);
}

/* A code span around s (names, addresses, commands); in a table cell '|'
 * is escaped as GFM requires. The fence is longer than any backtick run
 * inside. */
static void md_code(FILE *out, const char *s, bool cell)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0, best = 0, o = 0;
	/* b: the span, at most 3 * o + 4 bytes (a fence of best + 1 <= o + 1
	 * backticks each side, o bytes and a backslash per '|', which is
	 * never a backtick) */
	char safe[1100], b[3 * sizeof safe + 8];
	size_t n = 0;
	/* control bytes, DEL and non-ASCII become \xHH (a backslash stays:
	 * names carry their own RFC 1035 escapes) */
	for (const unsigned char *q = (const unsigned char *)(s ? s : ""); *q && o + 5 < sizeof safe; q++) {
		if (*q >= 0x20 && *q < 0x7f) {
			safe[o++] = (char)*q;
		} else {
			safe[o++] = '\\';
			safe[o++] = 'x';
			safe[o++] = hex[*q >> 4];
			safe[o++] = hex[*q & 15];
		}
	}
	safe[o] = '\0';
	for (size_t i = 0; i < o; i++) {
		run = safe[i] == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	bool pad = best || (o && (safe[0] == ' ' || safe[o - 1] == ' '));
	memset(b, '`', best + 1);
	n = best + 1;
	if (pad)
		b[n++] = ' ';
	for (size_t i = 0; i < o; i++) {
		if (cell && safe[i] == '|')
			b[n++] = '\\';
		b[n++] = safe[i];
	}
	if (pad)
		b[n++] = ' ';
	memset(b + n, '`', best + 1);
	n += best + 1;
	fwrite(b, 1, n, out);
}

static void md_addr(FILE *out, const struct mx_addr *a, bool cell)
{
	char buf[MX_ADDR_STRLEN];
	if (!a->family) {
		fputs("-", out);
		return;
	}
	md_code(out, mx_addr_format(a, buf, sizeof buf), cell);
}

static void md_name(FILE *out, const struct mx_dname *d, bool cell)
{
	char buf[MX_DNAME_STRLEN];
	md_code(out, mx_sk_name(d, buf, sizeof buf), cell);
}

/* A detector sentence: first letter upper-cased, final period. */
static void md_sentence(FILE *out, const char *s)
{
	char buf[2048];
	md_text(out, mx_sk_sentence(s, buf, sizeof buf));
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ---- the headline ----------------------------------------------------- */

static const struct mx_domain_row *domain_row(const struct mx_snapshot *s, const struct mx_dname *d)
{
	if (!d->len)
		return NULL;
	for (size_t i = 0; i < s->n_domains; i++)
		if (mx_dname_eq(&s->domains[i].domain, d))
			return &s->domains[i];
	return NULL;
}

/* The recipient domain a finding is about: its own, else the domain of a
 * kept chain that has its host as an exchange (a name-level finding). */
static const struct mx_dname *effective_domain(const struct mx_snapshot *s, const struct mx_finding *f)
{
	if (f->domain.len)
		return &f->domain;
	if (!f->host.len)
		return &f->domain;
	for (size_t i = s->n_chains; i-- > 0;) {
		const struct mx_chain *c = &s->chains[i];
		for (unsigned h = 0; h < c->n_hosts && h < MX_CHAIN_MAX_HOSTS; h++)
			if (mx_dname_eq(&c->hosts[h].name, &f->host))
				return &c->domain;
	}
	return &f->domain;
}

/* The failure the evidence shows most often (responses, then unanswered
 * queries); MX_O__COUNT when none. */
static enum mx_outcome main_failure(const struct mx_finding *f)
{
	unsigned n[MX_O__COUNT] = { 0 };
	enum mx_outcome best = MX_O__COUNT;
	for (unsigned i = 0; i < f->n_evidence && i < MX_FINDING_MAX_EVIDENCE; i++) {
		const struct mx_evidence *e = &f->evidence[i];
		if (e->qtype != f->qtype || e->outcome >= MX_O__COUNT)
			continue;
		if (e->response || e->outcome == MX_O_TIMEOUT)
			if (e->outcome == MX_O_NXDOMAIN || mx_outcome_is_fail(e->outcome))
				n[e->outcome]++;
	}
	for (unsigned o = 0; o < MX_O__COUNT; o++)
		if (n[o] && (best == MX_O__COUNT || n[o] > n[best]))
			best = (enum mx_outcome)o;
	return best;
}

/* "AAAA lookups for `mx1.example.test` fail (SERVFAIL)"; false when the
 * finding is not about one failing question. */
static bool what_fails(FILE *out, const struct mx_finding *f)
{
	const struct mx_dname *n = f->host.len ? &f->host : &f->domain;
	enum mx_outcome o = main_failure(f);
	char ty[32];
	if (!f->qtype || !n->len || o == MX_O__COUNT)
		return false;
	fprintf(out, "%s lookups for ", mx_dns_type_name(f->qtype, ty, sizeof ty));
	md_name(out, n, false);
	switch (o) {
	case MX_O_NXDOMAIN: fputs(" return NXDOMAIN", out); break;
	case MX_O_TIMEOUT: fputs(" time out", out); break;
	case MX_O_UNREACHABLE: fputs(" get ICMP unreachable", out); break;
	default: fprintf(out, " fail (%s)", mx_outcome_name(o)); break;
	}
	return true;
}

/* A title as a clause: no final period. */
static void md_clause(FILE *out, const char *s)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s", s ? s : "");
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == '.' || buf[l - 1] == ' '))
		buf[--l] = '\0';
	md_text(out, buf);
}

static void headline(FILE *out, const struct mx_snapshot *s, const struct mx_finding *f)
{
	const struct mx_dname *dom = effective_domain(s, f);
	const struct mx_domain_row *r = domain_row(s, dom);
	fputs("# Mail delivery incident: ", out);
	if (dom->len && r && r->relay) {
		/* a relay host that does not resolve: MTAs defer, none bounces */
		fputs("mail through the relay host ", out);
		md_name(out, dom, false);
		fprintf(out, " %s: ", r->deferred || r->failed ? "deferred" : "at risk");
	} else if (dom->len) {
		const char *verb = "at risk";
		if (r && r->deferred)
			verb = "deferred";
		else if (r && r->failed)
			verb = "undeliverable";
		fputs("mail to ", out);
		md_name(out, dom, false);
		fprintf(out, " %s: ", verb);
	} else if (!f->sender.family && f->n_resolvers) {
		fputs(f->authoritative ? "authoritative server " : "resolver ", out);
		md_addr(out, &f->resolvers[0], false);
		fputs(": ", out);
	}
	if (!what_fails(out, f))
		md_clause(out, f->title ? f->title : f->pattern);
	fputs("\n\n", out);
}

/* ---- summary ---------------------------------------------------------- */

static void span(FILE *out, uint64_t a, uint64_t b)
{
	char x[40], y[40];
	if (b > a)
		fprintf(out, "between %s and %s", mx_fmt_time(a, x, sizeof x), mx_fmt_time(b, y, sizeof y));
	else
		fprintf(out, "at %s", mx_fmt_time(a, x, sizeof x));
}

static size_t count_at_least(const struct mx_snapshot *s, enum mx_sev sev)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_findings; i++)
		n += s->findings[i].sev >= sev;
	return n;
}

static void summary(FILE *out, const struct mx_snapshot *s, const struct mx_finding *f)
{
	const struct mx_dname *dom = effective_domain(s, f);
	const struct mx_domain_row *r = domain_row(s, dom);
	char buf[2048];
	uint64_t a = f->first_us ? f->first_us : s->first_us;
	uint64_t b = f->last_us > a ? f->last_us : a;
	bool hurt = r && (r->deferred || r->failed);

	/* who is affected */
	if (a) {
		char x[40], y[40];
		if (b > a)
			fprintf(out, "Between %s and %s,", mx_fmt_time(a, x, sizeof x),
				mx_fmt_time(b, y, sizeof y));
		else
			fprintf(out, "At %s,", mx_fmt_time(a, x, sizeof x));
	} else {
		fputs("In this capture,", out);
	}
	if (f->sender.family && dom->len) {
		uint64_t att = f->attempts ? f->attempts : (r ? r->chains : 0);
		fputs(" the mail server ", out);
		md_addr(out, &f->sender, false);
		bool relay = r && r->relay;
		if (att)
			fprintf(out, " made %" PRIu64 " delivery %s %s", att, plural(att, "attempt", "attempts"),
				relay ? "through the relay host " : "to ");
		else
			fputs(relay ? " tried to send mail through the relay host " : " tried to deliver mail to ", out);
		md_name(out, dom, false);
	} else if (dom->len) {
		fputs(r && r->relay ? " mail through the relay host " : " mail to ", out);
		md_name(out, dom, false);
		fputs(r && !hurt ? " was at risk" : " was affected", out);
	} else if (f->sender.family) {
		fputs(" the mail server ", out);
		md_addr(out, &f->sender, false);
		fputs(" was affected", out);
	} else if (f->n_resolvers && f->authoritative) {
		fputs(" lookups of names the authoritative server ", out);
		md_addr(out, &f->resolvers[0], false);
		fputs(" serves were affected, through any resolver", out);
	} else if (f->n_resolvers) {
		fputs(" lookups through the resolver ", out);
		md_addr(out, &f->resolvers[0], false);
		fputs(" were affected, and with them every mail server that uses it", out);
	} else {
		fputs(" mail delivery was affected", out);
	}
	if (r && r->chains && dom->len) {
		if (r->deferred == r->chains)
			fputs(r->chains == 1 ? "; it was deferred" : "; every attempt was deferred", out);
		else if (r->failed == r->chains && r->relay)
			fputs(r->chains == 1 ? "; the relay host had no address (mail waits in the queue: MTAs "
					       "defer, not bounce)"
					     : "; the relay host had no address on any attempt (mail waits in the queue: "
					       "MTAs defer, not bounce)", out);
		else if (r->failed == r->chains && r->max_attempt >= 2)
			/* a final DNS answer, but the sender came back: it deferred */
			fputs("; every attempt failed on a final DNS answer, yet the mail server retried: it "
			      "keeps the mail queued rather than bouncing it", out);
		else if (r->failed == r->chains)
			fputs(r->chains == 1 ? "; it failed permanently"
					     : "; every attempt failed permanently", out);
		else if (hurt)
			fprintf(out, "; of %" PRIu64 " resolution %s for the domain, %" PRIu64
				" %s deferred and %" PRIu64 " failed",
				r->chains, plural(r->chains, "attempt", "attempts"), r->deferred,
				plural(r->deferred, "was", "were"), r->failed);
		else if (r->chains == 1)
			fputs(", although its only resolution attempt still found an address", out);
		else
			fprintf(out, ", although all %" PRIu64 " resolution attempts still found an address",
				r->chains);
	}
	fputs(". ", out);

	/* what fails */
	md_sentence(out, f->title ? f->title : f->pattern);
	if (f->qtype && main_failure(f) != MX_O__COUNT && (f->host.len || f->domain.len)) {
		fputs(" In this capture, ", out);
		what_fails(out, f);
		fputc('.', out);
	}
	/* SMTP status */
	if (f->smtp_status) {
		char st[MX_STATUS_STRLEN];
		fputs(" Most likely SMTP status: ", out);
		md_sentence(out, mx_sk_status(mx_finding_status(f, st, sizeof st)));
	}
	/* the fix in one sentence */
	if (f->fix) {
		fputs(" Fix: ", out);
		md_text(out, mx_sk_first_sentence(f->fix, buf, sizeof buf));
	}
	size_t more = count_at_least(s, MX_SEV_WARN);
	if (more > 1)
		fprintf(out, " %zu further %s listed below.", more - 1,
			more == 2 ? "finding is" : "findings are");
	fputs("\n\n", out);
}

/* ---- impact ----------------------------------------------------------- */

static const char *family_words(const char *order)
{
	if (strcmp(order, "AAAA-first") == 0)
		return "asks AAAA first";
	if (strcmp(order, "A-first") == 0)
		return "asks A first";
	if (strcmp(order, "A-only") == 0)
		return "asks A only, never AAAA";
	if (strcmp(order, "AAAA-only") == 0)
		return "asks AAAA only, never A";
	if (strcmp(order, "parallel") == 0)
		return "asks A and AAAA together";
	if (strcmp(order, "mixed") == 0)
		return "no fixed address-family order";
	if (strcmp(order, "forwarder") == 0)
		return "forwards for a DNS server on this host";
	return "address-family order unknown";
}

static void impact(FILE *out, const struct mx_snapshot *s)
{
	size_t shown = 0, total = 0;
	fputs("## Impact\n\n", out);

	/* senders with chains (their fingerprint), else those named by findings */
	for (size_t i = 0; i < s->n_senders; i++)
		total += s->senders[i].chains > 0;
	fputs("- **Senders:** ", out);
	for (size_t i = 0; i < s->n_senders && shown < MD_LIST_MAX; i++) {
		const struct mx_sender_row *r = &s->senders[i];
		const char *fb = mx_sender_fallback(r);
		if (!r->chains)
			continue;
		fputs(shown++ ? "; " : "", out);
		md_addr(out, &r->addr, false);
		fprintf(out, " (%s", family_words(mx_sender_family_order(r)));
		if (strcmp(fb, "-") != 0)
			fprintf(out, ", %s after an AAAA failure", fb);
		fprintf(out, "; %" PRIu64 " %s, %" PRIu64 " deferred, %" PRIu64 " failed)", r->chains,
			plural(r->chains, "chain", "chains"), r->chains_deferred, r->chains_failed);
	}
	if (!total) {
		for (size_t i = 0; i < s->n_findings && shown < MD_LIST_MAX; i++) {
			const struct mx_finding *f = &s->findings[i];
			bool dup = false;
			if (!f->sender.family || f->sev < MX_SEV_WARN)
				continue;
			for (size_t j = 0; j < i; j++)
				dup |= s->findings[j].sev >= MX_SEV_WARN &&
				       mx_addr_eq(&s->findings[j].sender, &f->sender);
			if (dup)
				continue;
			fputs(shown++ ? ", " : "", out);
			md_addr(out, &f->sender, false);
		}
		total = shown;
	}
	if (!shown)
		fputs("none identified (no MX lookups by a sender were followed)", out);
	else if (total > shown)
		fprintf(out, "; and %zu more", total - shown);
	fputs("\n", out);

	/* relay hosts (--relayhost) apart: they are no recipient domains */
	size_t nrel = 0;
	uint64_t rel_failed = 0;
	for (size_t i = 0; i < s->n_domains; i++) {
		nrel += s->domains[i].relay;
		rel_failed += s->domains[i].relay ? s->domains[i].failed : 0;
	}
	for (int pass = nrel ? 0 : 1; pass < 2; pass++) {
		bool relay = pass == 0;
		size_t dtotal = relay ? nrel : s->n_domains - nrel, dshown = 0;
		if (relay && !dtotal)
			continue;
		fputs(relay ? "- **Relay hosts:** " : "- **Recipient domains:** ", out);
		for (size_t i = 0; i < s->n_domains && dshown < MD_LIST_MAX; i++) {
			const struct mx_domain_row *r = &s->domains[i];
			if (r->relay != relay)
				continue;
			fputs(dshown++ ? "; " : "", out);
			md_name(out, &r->domain, false);
			fprintf(out, " (%" PRIu64 " %s: %" PRIu64 " resolved, %" PRIu64 " deferred, %" PRIu64
				" failed, %" PRIu64 " incomplete)", r->chains, plural(r->chains, "chain", "chains"),
				r->resolved, r->deferred, r->failed, r->incomplete);
		}
		if (!dtotal)
			fputs("none", out);
		else if (dtotal > dshown)
			fprintf(out, "; and %zu more", dtotal - dshown);
		if (relay && rel_failed)
			fputs(" (\"failed\": the relay host has no address; the mail itself waits in the queue)",
			      out);
		fputs("\n", out);
	}

	size_t cut = 0;
	uint32_t maxatt = 0;
	for (size_t i = 0; i < s->n_chains; i++) {
		cut += s->chains[i].cut_short;
		if (s->chains[i].attempt > maxatt)
			maxatt = s->chains[i].attempt;
	}
	for (size_t i = 0; i < s->n_domains; i++)
		if (s->domains[i].max_attempt > maxatt)
			maxatt = s->domains[i].max_attempt;
	fprintf(out, "- **Delivery attempts:** %" PRIu64 " resolution %s (%" PRIu64 " resolved, %" PRIu64
		" deferred, %" PRIu64 " failed, %" PRIu64 " incomplete)",
		s->chain.chains, plural(s->chain.chains, "chain", "chains"), s->chain.resolved,
		s->chain.deferred, s->chain.failed, s->chain.incomplete);
	if (maxatt > 1)
		fprintf(out, "; up to %u attempts for one sender and domain", (unsigned)maxatt);
	if (cut)
		fprintf(out, "; %zu cut short by the end of the capture", cut);
	fputs("\n", out);

	uint64_t a = 0, b = 0;
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct mx_finding *f = &s->findings[i];
		if (f->sev < MX_SEV_WARN || !f->first_us)
			continue;
		if (!a || f->first_us < a)
			a = f->first_us;
		if (f->last_us > b)
			b = f->last_us;
	}
	fputs("- **Time span:** ", out);
	if (a) {
		fputs("failures seen ", out);
		span(out, a, b);
		fputs("; ", out);
	}
	if (s->first_us) {
		fputs("the capture runs ", out);
		span(out, s->first_us, s->last_us);
	} else {
		fputs("the capture holds no packets", out);
	}
	fputs("\n", out);

	fputs("- **Findings:** ", out);
	bool any = false;
	for (int sev = MX_SEV_CRIT; sev >= MX_SEV_INFO; sev--) {
		size_t n = 0;
		for (size_t i = 0; i < s->n_findings; i++)
			n += s->findings[i].sev == (enum mx_sev)sev;
		if (n) {
			fprintf(out, "%s%zu %s", any ? ", " : "", n, mx_sev_name((enum mx_sev)sev));
			any = true;
		}
	}
	if (!any)
		fputs("none", out);
	if (s->findings_evicted) {
		char eb[512];
		mx_sk_evicted_by(s, eb, sizeof eb);
		fprintf(out, " (%" PRIu64 " more evicted: the findings table was full%s%s)", s->findings_evicted,
			eb[0] ? "; " : "", eb);
	}
	fputs("\n\n", out);
}

/* ---- timeline --------------------------------------------------------- */

enum ev_kind { EV_START, EV_FAIL, EV_END, EV_FIND_FIRST, EV_FIND_LAST };

struct event {
	uint64_t ts, frame, order;
	enum ev_kind kind;
	const struct mx_chain *c;
	const struct mx_chain_step *step;   /* EV_FAIL */
	const struct mx_dname *name;        /* EV_FAIL */
	const char *qtype;                  /* EV_FAIL */
	const struct mx_finding *f;
};

static uint64_t min_frame(const struct mx_chain_step *st)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < st->n_frames && i < MX_CHAIN_MAX_FRAMES; i++)
		if (!m || st->frames[i] < m)
			m = st->frames[i];
	return m;
}

static uint64_t max_frame(const struct mx_chain_step *st)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < st->n_frames && i < MX_CHAIN_MAX_FRAMES; i++)
		if (st->frames[i] > m)
			m = st->frames[i];
	return m;
}

static bool step_failed(const struct mx_chain_step *st)
{
	return st->asked && (st->outcome == MX_O_NXDOMAIN || mx_outcome_is_fail(st->outcome));
}

static int cmp_event(const void *pa, const void *pb)
{
	const struct event *x = pa, *y = pb;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static void consider_fail(struct event *best, const struct mx_chain *c, const struct mx_chain_step *st,
			  const struct mx_dname *name, const char *qtype)
{
	if (!step_failed(st))
		return;
	/* A step that merged several lookups (a retry by another process, a
	 * later query of the same name) failed first when its first merged
	 * lookup ended (a failing step's lookups all failed: it keeps the best
	 * outcome); which of its frames ended that one is not kept. */
	bool merged = st->lookups > 1 && st->first_end_us;
	uint64_t ts = merged ? st->first_end_us : st->end_us;
	if (best->step && best->ts <= ts)
		return;
	best->ts = ts;
	best->frame = merged ? 0 : max_frame(st);
	best->kind = EV_FAIL;
	best->c = c;
	best->step = st;
	best->name = name;
	best->qtype = qtype;
}

static void event_text(FILE *out, const struct event *e)
{
	const struct mx_chain *c = e->c;
	char buf[64];
	switch (e->kind) {
	case EV_START:
		md_addr(out, &c->sender, false);
		fputs(c->relay ? " looks up the relay host " : " asks for the MX records of ", out);
		md_name(out, &c->domain, false);
		if (c->attempt > 1 && c->prev_start_us && c->start_us > c->prev_start_us)
			fprintf(out, c->new_delivery ? " (attempt %u, another delivery %s s after the previous one, "
						       "which had connected)"
						     : " (attempt %u, a retry %s s after the previous one)",
				(unsigned)c->attempt, mx_sk_secs(c->start_us - c->prev_start_us, buf, sizeof buf));
		else
			fprintf(out, " (attempt %u)", (unsigned)c->attempt);
		break;
	case EV_FAIL:
		fprintf(out, "first failure of attempt %u: the %s lookup for ", (unsigned)c->attempt, e->qtype);
		md_name(out, e->name, false);
		fprintf(out, " ends %s", mx_outcome_name(e->step->outcome));
		if (e->step->lookups > 1 && e->step->first_end_us)
			fprintf(out, " (the first of %u lookups of it in this attempt, %u queries in all)",
				(unsigned)e->step->lookups, (unsigned)e->step->attempts);
		else if (e->step->attempts > 1)
			fprintf(out, " after %u queries", (unsigned)e->step->attempts);
		if (e->step->ede != 0xffff)
			fprintf(out, " (EDE %u, %s)", (unsigned)e->step->ede, mx_dns_ede_name(e->step->ede));
		break;
	case EV_END:
		fprintf(out, "attempt %u for ", (unsigned)c->attempt);
		md_name(out, &c->domain, false);
		fprintf(out, " ends **%s**: ", mx_chain_verdict_name(c->verdict));
		md_text(out, c->why ? c->why : "-");
		if (c->connected) {
			fputs("; the sender connects to ", out);
			md_addr(out, &c->connected_to, false);
			fprintf(out, " port %u", c->connected_port ? (unsigned)c->connected_port : 25u);
			if (c->syn_frame)
				fprintf(out, " (frame %" PRIu64 ")", c->syn_frame);
		}
		if (c->cut_short)
			fputs("; the capture ended inside the chain window", out);
		if (c->evicted)
			fputs("; closed early (the open-chain table was full)", out);
		break;
	case EV_FIND_FIRST:
	case EV_FIND_LAST:
		fputs(e->kind == EV_FIND_FIRST ? "first evidence of " : "last evidence of ", out);
		fprintf(out, "%s %s", mx_sk_sev_upper(e->f->sev), e->f->pattern ? e->f->pattern : "?");
		{
			/* whom it is about: two findings of one pattern (one per
			 * resolver, say) are told apart */
			char subj[2 * MX_DNAME_STRLEN + 128];
			mx_sk_subject(e->f, subj, sizeof subj);
			if (subj[0]) {
				fputs(" (", out);
				md_code(out, subj, true);
				fputc(')', out);
			}
		}
		if (e->kind == EV_FIND_FIRST && e->f->title) {
			fputs(": ", out);
			md_clause(out, e->f->title);
		}
		break;
	}
}

/* The frame to print beside a finding's first or last time ts: an
 * evidence row's at exactly that time; else the given frame, unless an
 * evidence row shows it at another time (a finding's span can reach past
 * the rows it keeps: RESOLVER_TIMEOUT keeps mail lookups before others),
 * then none. */
static uint64_t frame_at(const struct mx_finding *f, uint64_t ts, uint64_t fallback)
{
	unsigned n = f->n_evidence < MX_FINDING_MAX_EVIDENCE ? f->n_evidence : MX_FINDING_MAX_EVIDENCE;
	for (unsigned i = 0; i < n; i++)
		if (f->evidence[i].ts_us == ts)
			return f->evidence[i].frame;
	for (unsigned i = 0; i < n; i++)
		if (f->evidence[i].frame == fallback)
			return 0;
	return fallback;
}

static void timeline(FILE *out, const struct mx_snapshot *s)
{
	size_t cap = s->n_chains * 3 + s->n_findings * 2, n = 0;
	struct event *ev;
	fputs("## Timeline\n\n", out);
	if (!cap) {
		fputs("No delivery attempt or finding to place on a timeline.\n\n", out);
		return;
	}
	ev = calloc(cap, sizeof(*ev));
	if (!ev) {
		fputs("(out of memory)\n\n", out);
		return;
	}
	for (size_t i = 0; i < s->n_chains; i++) {
		const struct mx_chain *c = &s->chains[i];
		struct event fail;
		memset(&fail, 0, sizeof fail);
		ev[n] = (struct event){ .ts = c->mx.asked ? c->mx.first_us : c->start_us,
					.frame = min_frame(&c->mx), .kind = EV_START, .c = c };
		n++;
		consider_fail(&fail, c, &c->mx, &c->domain, "MX");
		for (unsigned h = 0; h < c->n_hosts && h < MX_CHAIN_MAX_HOSTS; h++) {
			const struct mx_chain_host *ho = &c->hosts[h];
			consider_fail(&fail, c, &ho->aaaa, &ho->name, "AAAA");
			consider_fail(&fail, c, &ho->a, &ho->name, "A");
			consider_fail(&fail, c, &ho->tlsa, &ho->name, "TLSA");
		}
		if (fail.step)
			ev[n++] = fail;
		ev[n] = (struct event){ .ts = c->end_us > c->start_us ? c->end_us : c->start_us,
					.frame = 0, .kind = EV_END, .c = c };
		n++;
	}
	for (size_t i = 0; i < s->n_findings; i++) {
		const struct mx_finding *f = &s->findings[i];
		if (f->sev < MX_SEV_WARN || !f->first_us)
			continue;
		ev[n++] = (struct event){ .ts = f->first_us,
					  .frame = frame_at(f, f->first_us, f->n_frames ? f->frames[0] : 0),
					  .kind = EV_FIND_FIRST, .f = f };
		if (f->last_us > f->first_us)
			ev[n++] = (struct event){ .ts = f->last_us,
						  /* frames[] keeps the earliest 32: quote the
						   * latest occurrence's own frame, or none */
						  .frame = frame_at(f, f->last_us, f->last_frame),
						  .kind = EV_FIND_LAST, .f = f };
	}
	for (size_t i = 0; i < n; i++)
		ev[i].order = i;
	qsort(ev, n, sizeof(*ev), cmp_event);
	/* Too many events to list: the attempts that resolved are what went
	 * right; leave them out, so the failures and findings show. */
	size_t left_out = 0;
	if (n > MD_TIMELINE_HEAD + MD_TIMELINE_TAIL) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			bool ok = (ev[i].kind == EV_START || ev[i].kind == EV_END) &&
				  ev[i].c->verdict == MX_CHAIN_RESOLVED;
			if (ok)
				left_out += ev[i].kind == EV_START;
			else
				ev[k++] = ev[i];
		}
		n = k;
	}
	if (s->chain.chains > s->n_chains && s->n_chains_earlier_bad)
		fprintf(out, "Only the last %zu of %" PRIu64 " resolution chains were kept, and %zu earlier "
			"ones that were deferred or failed; the timeline starts with them.\n\n",
			s->n_chains - s->n_chains_earlier_bad, s->chain.chains, s->n_chains_earlier_bad);
	else if (s->chain.chains > s->n_chains)
		fprintf(out, "Only the last %zu of %" PRIu64 " resolution chains were kept; the "
			"timeline starts with them.\n\n", s->n_chains, s->chain.chains);
	if (left_out)
		fprintf(out, "%zu delivery attempt%s that resolved %s left out.\n\n", left_out,
			left_out == 1 ? "" : "s", left_out == 1 ? "is" : "are");
	for (size_t i = 0; i < n; i++) {
		char tm[40];
		if (n > MD_TIMELINE_HEAD + MD_TIMELINE_TAIL && i == MD_TIMELINE_HEAD) {
			fprintf(out, "- ... %zu more events ...\n", n - MD_TIMELINE_HEAD - MD_TIMELINE_TAIL);
			i = n - MD_TIMELINE_TAIL;
		}
		fprintf(out, "- %s", mx_fmt_time(ev[i].ts, tm, sizeof tm));
		if (ev[i].frame)
			fprintf(out, " (frame %" PRIu64 ")", ev[i].frame);
		fputs(": ", out);
		event_text(out, &ev[i]);
		fputs(".\n", out);
	}
	fputc('\n', out);
	free(ev);
}

/* ---- findings --------------------------------------------------------- */

/* Past the first mx_sk_full_per_pattern() of a pattern, a table row each. */
/* A one-row-per-finding table's first cells: severity, pattern, whom it
 * is about (the row goes on from " | "). */
static void row_lead(FILE *out, const struct mx_finding *f)
{
	char subj[2 * MX_DNAME_STRLEN + 128];
	fprintf(out, "| %s | ", mx_sk_sev_upper(f->sev));
	md_code(out, f->pattern ? f->pattern : "?", true);
	fputs(" | ", out);
	mx_sk_subject(f, subj, sizeof subj);
	if (subj[0])
		md_code(out, subj, true);
}

static void other_findings(FILE *out, const struct mx_snapshot *s, const size_t *rest, size_t n)
{
	fprintf(out, "### Other findings (%zu)\n\n", n);
	fprintf(out,
		"The first %zu findings of each pattern are above; these are the others, one row each "
		"(`-F json` has every field; `--full-findings 0` shows them all in full).\n\n",
		mx_sk_full_per_pattern(s));
	fputs("| Severity | Pattern | About | Count | First seen | Frames |\n", out);
	fputs("|---|---|---|---:|---|---|\n", out);
	for (size_t j = 0; j < n; j++) {
		const struct mx_finding *f = &s->findings[rest[j]];
		char t[40], fr[128];
		row_lead(out, f);
		fprintf(out, " | %" PRIu64 " | %s | %s |\n", f->count,
			f->first_us ? mx_fmt_time(f->first_us, t, sizeof t) : "",
			mx_sk_frames_short(f, fr, sizeof fr));
	}
	fputc('\n', out);
}

/* A report written from the live view before the capture ended: the
 * pending findings (not made yet), one row each. */
static void pending_findings(FILE *out, const struct mx_snapshot *s)
{
	if (!s->n_pending)
		return;
	fprintf(out, "### Pending (%zu)\n\n", s->n_pending);
	fputs("Not findings yet: the detectors make them when their window or the capture ends, if nothing "
	      "changes (the live view shows them as pending).", out);
	if (s->pending_dropped)
		fprintf(out, " %" PRIu64 " more are not listed.", s->pending_dropped);
	fputs("\n\n", out);
	fputs("| Severity | Pattern | About | Count | Waiting for |\n", out);
	fputs("|---|---|---|---:|---|\n", out);
	for (size_t j = 0; j < s->n_pending; j++) {
		const struct mx_finding *f = &s->pending[j];
		row_lead(out, f);
		fprintf(out, " | %" PRIu64 " | ", f->count);
		md_text(out, f->pending ? f->pending : "");
		fputs(" |\n", out);
	}
	fputc('\n', out);
}

static void evidence_table(FILE *out, const struct mx_finding *f)
{
	fputs("| Frame | Time | From | To | Question | Answer / rcode | Latency |\n", out);
	fputs("|---:|---|---|---|---|---|---:|\n", out);
	for (unsigned i = 0; i < f->n_evidence && i < MX_FINDING_MAX_EVIDENCE; i++) {
		const struct mx_evidence *e = &f->evidence[i];
		char tm[40], q[MX_DNAME_STRLEN + 40], an[256], lat[32];
		fprintf(out, "| %" PRIu64 " | %s | ", e->frame, mx_fmt_time(e->ts_us, tm, sizeof tm));
		md_addr(out, &e->from, true);
		fputs(" | ", out);
		md_addr(out, &e->to, true);
		fputs(" | ", out);
		md_code(out, mx_sk_question(e->qtype, &e->qname, q, sizeof q), true);
		fputs(" | ", out);
		md_text(out, mx_sk_evidence_answer(e, an, sizeof an));
		if (e->response && e->outcome != MX_O_TIMEOUT && !e->unsolicited)
			fprintf(out, " | %s ms |\n", mx_fmt_ms(e->latency_us, lat, sizeof lat));
		else
			fputs(" | - |\n", out);
	}
	fputc('\n', out);
}

static void verify_block(FILE *out, const struct mx_finding *f)
{
	char v[sizeof f->verify + 1];
	const char *p, *line;
	size_t len, run = 0, best = 0;
	memcpy(v, f->verify, sizeof f->verify);
	v[sizeof f->verify] = '\0';
	for (const char *q = v; *q; q++) {
		run = *q == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	size_t fence = best >= 3 ? best + 1 : 3;
	fputs("**Verify.**\n\n", out);
	for (size_t i = 0; i < fence; i++)
		fputc('`', out);
	fputs("sh\n", out);
	p = v;
	while ((len = mx_sk_next_line(&p, &line)) != 0) {
		char one[sizeof f->verify + 1];
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)line[i];
			one[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
		one[len] = '\n';
		fwrite(one, 1, len + 1, out);
	}
	for (size_t i = 0; i < fence; i++)
		fputc('`', out);
	fputs("\n\n", out);
}

static void finding(FILE *out, const struct mx_snapshot *s, const struct mx_finding *f)
{
	const struct mx_server_row *fw = mx_snapshot_forwarder(s, f);
	char ty[32], x[40], y[40];
	bool any = false;
	fprintf(out, "### %s %s: ", mx_sk_sev_upper(f->sev), f->pattern ? f->pattern : "?");
	md_clause(out, f->title ? f->title : "");
	fputs("\n\n", out);

	/* what it is about, and when */
	if (f->sender.family) {
		fputs(strncmp(f->pattern, "CLIENT_", 7) == 0 ? "Server " : "Sender ", out);
		md_addr(out, &f->sender, false);
		any = true;
	}
	if (f->domain.len) {
		fputs(any ? ", recipient domain " : "Recipient domain ", out);
		md_name(out, &f->domain, false);
		any = true;
	}
	if (f->host.len) {
		fputs(any ? ", host " : "Host ", out);
		md_name(out, &f->host, false);
		any = true;
	}
	if (f->qtype) {
		fprintf(out, "%s%s", any ? ", query type " : "Query type ",
			mx_dns_type_name(f->qtype, ty, sizeof ty));
		any = true;
	}
	for (unsigned i = 0; i < f->n_resolvers && i < MX_FINDING_MAX_RESOLVERS; i++) {
		fputs(i ? ", " : f->authoritative ? (any ? "; authoritative server" : "Authoritative server")
				   : (any ? "; resolver" : "Resolver"), out);
		if (!i && f->n_resolvers > 1)
			fputc('s', out);
		if (!i)
			fputc(' ', out);
		md_addr(out, &f->resolvers[i], false);
		any = true;
	}
	if (any)
		fputs(". ", out);
	if (f->count == 1)
		fputs("Seen once", out);
	else
		fprintf(out, "Seen %" PRIu64 " times", f->count);
	if (f->first_us) {
		if (f->last_us > f->first_us)
			fprintf(out, " between %s and %s", mx_fmt_time(f->first_us, x, sizeof x),
				mx_fmt_time(f->last_us, y, sizeof y));
		else
			fprintf(out, " at %s", mx_fmt_time(f->first_us, x, sizeof x));
	}
	if (f->attempts)
		fprintf(out, ", in %u delivery %s", (unsigned)f->attempts,
			plural(f->attempts, "attempt", "attempts"));
	fputs(".", out);
	if (f->detail[0]) {
		char d[sizeof f->detail + 1];
		memcpy(d, f->detail, sizeof f->detail);
		d[sizeof f->detail] = '\0';
		fputs(" Observed: ", out);
		md_sentence(out, d);
	}
	if (fw) {
		fputs(" ", out);
		md_addr(out, &fw->addr, false);
		fputs(" is a forwarder on this host: its answers relay ", out);
		md_addr(out, &fw->fwd_to, false);
		fputs("'s (see that resolver's findings).", out);
	}
	fputs("\n\n", out);
	if (f->single_attempt)
		fputs("> Only one delivery attempt was captured, so recurrence cannot be judged: a "
		      "longer capture would confirm whether the sender keeps failing.\n\n", out);
	if (f->recovered_attempt) {
		char b[48];
		fprintf(out, "> Recovered: attempt %" PRIu32 " (%s) resolved and connected to ", f->recovered_attempt,
			mx_fmt_time(f->recovered_us, b, sizeof b));
		md_addr(out, &f->recovered_to, false);
		if (f->recovered_frame)
			fprintf(out, " (frame %" PRIu64 ")", f->recovered_frame);
		fprintf(out, ": the failure did not last (severity lowered from %s to WARN).\n\n",
			f->sev_was == MX_SEV_CRIT ? "CRIT" : "ERROR");
	}

	if (f->n_evidence) {
		evidence_table(out, f);
	} else if (f->n_frames) {
		fputs("Evidence frames: ", out);
		for (unsigned i = 0; i < f->n_frames && i < MX_FINDING_MAX_FRAMES; i++)
			fprintf(out, "%s%" PRIu64, i ? ", " : "", f->frames[i]);
		fputs(" (open them in Wireshark).\n\n", out);
	}
	if (f->n_evidence && f->n_frames > f->n_evidence) {
		fputs("All evidence frames: ", out);
		for (unsigned i = 0; i < f->n_frames && i < MX_FINDING_MAX_FRAMES; i++)
			fprintf(out, "%s%" PRIu64, i ? ", " : "", f->frames[i]);
		fputs(".\n\n", out);
	}
	if (f->cause) {
		fputs("**Root cause.** ", out);
		md_sentence(out, f->cause);
		fputs("\n\n", out);
	}
	if (f->fix) {
		fputs("**Fix.** ", out);
		md_sentence(out, f->fix);
		fputs("\n\n", out);
	}
	if (f->verify[0])
		verify_block(out, f);
	if (f->smtp_status) {
		char st[MX_STATUS_STRLEN];
		fputs("**Most likely SMTP status.** ", out);
		md_sentence(out, mx_sk_status(mx_finding_status(f, st, sizeof st)));
		fputs("\n\n", out);
	}
}

/* ---- appendix --------------------------------------------------------- */

static void row(FILE *out, const char *item, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void row(FILE *out, const char *item, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(out, "| %s | ", item);
	md_text(out, buf);
	fputs(" |\n", out);
}

/* The rest of a row whose first cell was written: text, then the end. */
static void row_tail(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_tail(FILE *out, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	md_text(out, buf);
	fputs(" |\n", out);
}

static void appendix(FILE *out, const struct mx_snapshot *s)
{
	const struct mx_txn_stats *x = &s->txn;
	const struct mx_decode_stats *d = &s->decode;
	char a[40], b[40], buf[1024];
	size_t k;

	fputs("## Appendix: capture statistics\n\n| Item | Value |\n|---|---|\n", out);
	fputs("| Source | ", out);
	if (s->source[0])
		md_code(out, s->source, true);
	else
		fputs("-", out);
	fputs(" |\n| Filter | ", out);
	if (s->filter[0])
		md_code(out, s->filter, true);
	else
		fputs("none", out);
	fputs(" |\n", out);
	if (s->input_truncated || s->input_error[0]) {
		fputs("| Input | **ended early**", out);
		if (s->input_error[0]) {
			fputs(": ", out);
			md_code(out, s->input_error, true);
		}
		fputs("; the report covers what was read |\n", out);
	}
	if (s->first_us) {
		uint64_t dur = s->last_us > s->first_us ? s->last_us - s->first_us : 0;
		row(out, "Time span", "%s to %s (%" PRIu64 ".%06u s)", mx_fmt_time(s->first_us, a, sizeof a),
		    mx_fmt_time(s->last_us, b, sizeof b), dur / 1000000u, (unsigned)(dur % 1000000u));
	} else {
		row(out, "Time span", "none (no packets)");
	}
	row(out, "Packets", "%" PRIu64 " (%" PRIu64 " bytes)", s->packets, s->bytes);
	row(out, "DNS messages", "%" PRIu64 " (%" PRIu64 " queries, %" PRIu64 " responses, %" PRIu64
	    " retransmissions)", s->dns_messages, s->queries, s->responses, x->retransmits);
	row(out, "Transactions", "%" PRIu64 ": %" PRIu64 " answered, %" PRIu64 " unanswered, %" PRIu64
	    " ICMP unreachable, %" PRIu64 " pending at the end", x->transactions, x->answered,
	    x->timeouts, x->unreachable, x->pending_at_end);
	if (x->multicast_queries)
		row(out, "Multicast queries", "%" PRIu64 " sent to an mDNS or LLMNR group: counted as queries, "
		    "not as transactions or servers", x->multicast_queries);
	if (x->reordered)
		row(out, "Reordered", "%" PRIu64 " responses captured before their query (each answered it)",
		    x->reordered);
	row(out, "Stray responses", "%" PRIu64 " late, %" PRIu64 " duplicate, %" PRIu64
	    " unsolicited, %" PRIu64 " from the wrong source", x->stray[MX_STRAY_LATE],
	    x->stray[MX_STRAY_DUPLICATE], x->stray[MX_STRAY_UNSOLICITED],
	    x->stray[MX_STRAY_WRONG_SOURCE]);
	k = 0;
	buf[0] = '\0';
	/* a lookup still waiting at the end is counted under TIMEOUT in
	 * by_outcome; shown as pending here */
	uint64_t lpend = mx_sk_lookups_pending(s);
	for (unsigned i = 0; i < MX_O__COUNT; i++) {
		uint64_t n = s->lookup.by_outcome[i] - (i == MX_O_TIMEOUT ? lpend : 0);
		if (n)
			k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%s%s %" PRIu64,
					      k ? ", " : "", mx_outcome_name((enum mx_outcome)i), n);
	}
	if (lpend)
		k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%spending at the end %" PRIu64,
				      k ? ", " : "", lpend);
	row(out, "Lookups", "%" PRIu64 "%s%s%s", s->lookup.lookups, k ? " (" : "", buf, k ? ")" : "");
	char rsyn[64] = "";
	if (s->chain.relay_syns)
		snprintf(rsyn, sizeof rsyn, ", %" PRIu64 " to the relay host's port", s->chain.relay_syns);
	row(out, "Resolution chains", "%" PRIu64 ": %" PRIu64 " resolved, %" PRIu64 " deferred, %" PRIu64
	    " failed, %" PRIu64 " incomplete; %" PRIu64 " %s to port 25%s", s->chain.chains,
	    s->chain.resolved, s->chain.deferred, s->chain.failed, s->chain.incomplete, s->chain.syns,
	    plural(s->chain.syns, "SYN", "SYNs"), rsyn);
	row(out, "DNS problems", "%" PRIu64 " malformed, %" PRIu64 " truncated by the capture, %" PRIu64
	    " not DNS", s->dns_malformed, s->dns_truncated, s->dns_not_dns);
	k = 0;
	buf[0] = '\0';
	for (unsigned r = 0; r < MX_R__COUNT; r++) {
		enum mx_verdict v = mx_decode_reason_verdict((enum mx_reason)r);
		if (v == MX_V_OK || !d->reason[r])
			continue;
		k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%s%s %" PRIu64 " (%s)",
				      k ? ", " : "", mx_decode_reason_name((enum mx_reason)r), d->reason[r],
				      mx_verdict_name(v));
	}
	row(out, "Frames not decoded as DNS", "%s", k ? buf : "none");
	if (d->reason[MX_R_CAPTURE_DUP])
		row(out, "Capture duplicates", "%" PRIu64 " frames skipped (the same IP packet again within %u ms, "
		    "as -i any records it)", d->reason[MX_R_CAPTURE_DUP], MX_DECODE_DUP_WINDOW_US / 1000);
	struct {
		const char *name;
		uint64_t n;
	} ev[] = {
		{ "servers", s->evicted_servers },
		{ "senders", s->evicted_senders },
		{ "failing names", s->evicted_names },
		{ "recipient domains", s->evicted_domains },
		{ "pending queries", x->evicted_pending },
		{ "recent transactions", x->evicted_recent },
		{ "lookups", s->lookup.evicted },
		{ "open chains", s->chain.evicted },
		{ "chain history", s->chain.history_evicted },
		{ "findings", s->findings_evicted },
		{ "IP fragments", d->frag_evicted },
		{ "TCP flows", d->tcp_flows_evicted },
	};
	k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++)
		if (ev[i].n)
			k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%s%s %" PRIu64,
					      k ? ", " : "", ev[i].name, ev[i].n);
	row(out, "Evictions (bounded tables)", "%s", k ? buf : "none");
	if (s->capture.back_steps)
		row(out, "Time order", "%" PRIu64 " step%s back in time, by up to %" PRIu64 ".%06" PRIu64
		    " s, first at frame %" PRIu64 " (latencies and timeouts across it are not reliable)",
		    s->capture.back_steps, s->capture.back_steps == 1 ? "" : "s", s->capture.back_max_us / 1000000u,
		    s->capture.back_max_us % 1000000u, s->capture.back_first_frame);
	if (s->live || s->capture.live)
		row(out, "Packet drops", "%" PRIu64 " by the kernel, %" PRIu64 " by the interface (%" PRIu64
		    " received)", s->capture.ps_drop, s->capture.ps_ifdrop, s->capture.ps_recv);
	if (s->capture.saving) {
		char tail[256];
		mx_sk_save_tail(s, tail, sizeof tail);
		fputs("| Saved packets | ", out);
		md_code(out, s->capture.save_path, true);
		row_tail(out, ": %" PRIu64 " frames, %" PRIu64 " bytes (frame N of this report is packet N "
			 "of the file)%s", s->capture.saved_frames, s->capture.saved_bytes, tail);
	}
	if (s->capture.priv_dropped) {
		fputs("| Privileges | root dropped to ", out);
		md_code(out, s->capture.priv_user, true);
		row_tail(out, " (uid %" PRIu32 ", gid %" PRIu32 ") once the input and outputs were open",
			 s->capture.priv_uid, s->capture.priv_gid);
	}
	fputc('\n', out);

	fputs("### Resolvers\n\n", out);
	if (!s->n_resolvers) {
		fputs("No resolver (server receiving RD=1 queries) was seen.\n", out);
		return;
	}
	fputs("| Resolver | Queries | Answered | p50 ms | p95 ms | Max ms | Timeouts | Unreachable | Rcodes |\n",
	      out);
	fputs("|---|---:|---:|---:|---:|---:|---:|---:|---|\n", out);
	for (size_t i = 0; i < s->n_resolvers; i++) {
		const struct mx_server_row *r = &s->resolvers[i];
		char p50[32], p95[32], mx[32], nb[32];
		uint64_t whole = r->answered + r->timeouts + r->unreachable;
		fputs("| ", out);
		md_addr(out, &r->addr, true);
		fprintf(out, " | %" PRIu64 " | ", r->queries);
		if (whole) {
			uint64_t p = (r->answered * 1000 + whole / 2) / whole;
			fprintf(out, "%" PRIu64 ".%u%%", p / 10, (unsigned)(p % 10));
		} else {
			fputs("-", out);
		}
		if (r->latency.count)
			fprintf(out, " | %s | %s | %s", mx_fmt_ms(r->latency.p50, p50, sizeof p50),
				mx_fmt_ms(r->latency.p95, p95, sizeof p95),
				mx_fmt_ms(r->latency.max, mx, sizeof mx));
		else
			fputs(" | - | - | -", out);
		fprintf(out, " | %" PRIu64 " | %" PRIu64 " | ", r->timeouts, r->unreachable);
		k = 0;
		buf[0] = '\0';
		for (unsigned j = 0; j < MX_RCODE_SLOTS; j++) {
			if (!r->rcodes[j])
				continue;
			const char *name = j == MX_RCODE_SLOTS - 1 ? "other"
								   : mx_dns_rcode_name((uint16_t)j, nb, sizeof nb);
			k += (size_t)snprintf(buf + k, k < sizeof buf ? sizeof buf - k : 0, "%s%s %" PRIu64,
					      k ? ", " : "", name, r->rcodes[j]);
		}
		md_text(out, k ? buf : "-");
		fputs(" |\n", out);
	}
}

/* ---- no incident ------------------------------------------------------ */

static void no_incident(FILE *out, const struct mx_snapshot *s)
{
	size_t senders = 0, cut = 0;
	for (size_t i = 0; i < s->n_senders; i++)
		senders += s->senders[i].chains > 0;
	for (size_t i = 0; i < s->n_chains; i++)
		cut += s->chains[i].cut_short;
	/* no packet, or no DNS message: nothing was judged, so nothing was
	 * found healthy either (the text report's Findings says the same) */
	if (!s->dns_messages && !s->n_findings)
		fputs("# Mail delivery check: nothing could be judged\n\n", out);
	else if (s->no_detectors)
		fputs("# Mail delivery check: no detector ran\n\n", out);
	else
		fputs("# Mail delivery check: no failure pattern found\n\n", out);
	if (s->first_us) {
		fputs("The capture ", out);
		if (s->source[0])
			md_code(out, s->source, false);
		fputs(" runs ", out);
		span(out, s->first_us, s->last_us);
		fprintf(out, " and holds %" PRIu64 " %s. ", s->packets, plural(s->packets, "packet", "packets"));
	} else {
		fputs("The capture holds no packets. ", out);
	}
	if (s->chain.chains) {
		fprintf(out, "It shows %" PRIu64 " mail resolution %s (%" PRIu64 " resolved, %" PRIu64
			" deferred, %" PRIu64 " failed, %" PRIu64 " incomplete) from %zu %s to %zu recipient %s; "
			"%s.",
			s->chain.chains, plural(s->chain.chains, "chain", "chains"), s->chain.resolved,
			s->chain.deferred, s->chain.failed, s->chain.incomplete, senders,
			plural(senders, "sender", "senders"), s->n_domains,
			plural(s->n_domains, "domain", "domains"),
			s->no_detectors ? "no detector ran (--detectors, --no-detectors), so no failure "
					  "pattern was looked for"
					: "mxsniff found no failure pattern in them");
	} else if (s->packets && !s->dns_messages) {
		fputs("None of its packets holds a DNS message, so mxsniff could judge nothing: "
		      MX_SK_NO_DNS_WHY ".", out);
	} else if (!s->packets && s->capture.ps_drop + s->capture.ps_ifdrop > 0) {
		fprintf(out, "Every packet that passed the filter was dropped before mxsniff read it (%"
			PRIu64 " by the kernel, %" PRIu64 " by the interface), so mxsniff could judge "
			"nothing.", s->capture.ps_drop, s->capture.ps_ifdrop);
	} else if (!s->packets) {
		fputs(s->filter[0] ? "No packet passed the filter, so mxsniff could judge nothing."
				   : "So mxsniff could judge nothing.", out);
	} else {
		fputs("No MX lookup by a sender was seen, so no delivery attempt could be followed; ", out);
		fputs(s->no_detectors ? "no detector ran (--detectors, --no-detectors), so no failure pattern "
					"was looked for. "
				      : "mxsniff found no failure pattern in the DNS traffic. ", out);
		char hint[2 * MX_DNAME_STRLEN + 256];
		if (mx_sk_relay_hint(s, hint, sizeof hint)[0]) {
			hint[0] = (char)(hint[0] - 'a' + 'A');
			md_text(out, hint);
			fputc('.', out);
		} else {
			fputs("To judge mail delivery, capture the mail server's DNS traffic while it delivers.", out);
		}
	}
	if (cut)
		fprintf(out, " %zu %s ended with the capture inside %s window, so recurrence could not be "
			"judged: a longer capture would settle it.", cut,
			plural(cut, "chain", "chains"), cut == 1 ? "its" : "their");
	fputs("\n\n", out);
	if (s->n_findings) {
		fputs("## Observations\n\n", out);
		fputs("These informational findings need no action on their own.\n\n", out);
		for (size_t i = 0; i < s->n_findings; i++)
			finding(out, s, &s->findings[i]);
	}
}

/* ---- the sink --------------------------------------------------------- */

static int md_open(void *st, FILE *out)
{
	(void)st;
	(void)out;
	return 0;
}

static int md_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	(void)st;
	const struct mx_finding *top = s->n_findings && s->findings[0].sev >= MX_SEV_WARN
					       ? &s->findings[0] : NULL;
	if (!top) {
		no_incident(out, s);
		pending_findings(out, s);
		appendix(out, s);
		return 0;
	}
	headline(out, s, top);
	summary(out, s, top);
	impact(out, s);
	timeline(out, s);
	fputs("## Findings\n\n", out);
	bool *full = s->n_findings ? malloc(s->n_findings * sizeof(*full)) : NULL;
	size_t *rest = s->n_findings ? malloc(s->n_findings * sizeof(*rest)) : NULL;
	size_t nrest = full && rest ? mx_sk_findings_split(s, full, rest) : SIZE_MAX;
	for (size_t i = 0; i < s->n_findings; i++)
		if (nrest == SIZE_MAX || full[i])
			finding(out, s, &s->findings[i]);
	if (nrest != SIZE_MAX && nrest)
		other_findings(out, s, rest, nrest);
	free(full);
	free(rest);
	pending_findings(out, s);
	appendix(out, s);
	return 0;
}

const struct mx_sink_ops mx_sink_md = {
	.name = "md",
	.summary = "Markdown incident write-up for a ticket, at the end",
	.state_size = 0,
	.open = md_open,
	.txn = NULL,
	.lookup = NULL,
	.close = md_close,
	.chain = NULL,
};
