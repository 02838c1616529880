/* diagnostics.c - P20 auxiliary diagnostics.
 *
 * MALFORMED_RESPONSE (WARN): undecodable responses to a sender, and UDP
 * responses of exactly 512 bytes with fewer records than their header
 * announces and no TC bit (a middlebox cut them). STALE_ANSWER (INFO): EDE 3
 * or 19, the resolver serves expired data because upstream fails (RFC 8767).
 * UNMATCHED_RESPONSE (INFO): responses that match no query (capture started
 * late, loss, NAT, spoofing), counted. DNS64_SYNTHESIZED (INFO): AAAA answers
 * in 64:ff9b::/96. AUTH_AAAA_MISBEHAVIOR (ERROR; only with a resolver's
 * iterative RD=0 traffic in the capture): an authoritative server answers A
 * for a name with NOERROR but fails AAAA (NXDOMAIN, NOTIMP, FORMERR, SERVFAIL,
 * REFUSED, no answer): direct proof of RFC 4074 §4 behind P1/P2.
 * SEARCH_SUFFIX_EXPANSION (INFO; WARN when such a name is answered): a
 * sender's resolver library appends a constant local suffix X (the
 * resolv.conf search list) to mail names, seen for >= 2 names. A name N
 * counts when the sender asks N.X right after (or, search-first with a
 * large ndots, right before) an unanswered N of the same type, as glibc's
 * res_search() does, or asks N.X for an MX exchange N it was given. An
 * ANSWER for N.X (a wildcard in X) sends the mail to the wrong host.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define AUTH 256
#define UNMATCHED_ROWS 3

struct auth {
	struct mx_slot s;
	struct mx_addr server, client;
	struct mx_dname qname;
	bool a_ok, v6_bad, fired;
	enum mx_outcome v6_outcome;
	uint64_t frames[4], first_us, last_us;
	unsigned nframes;
	/* the answered A and the failed AAAA, for the evidence rows (read
	 * only under a_ok, v6_bad: a new entry zeroes the fields above) */
	struct mx_txn_kept a_tx, v6_tx;
};

/* SEARCH_SUFFIX_EXPANSION: per sender, recent lookups, the MX exchanges it
 * was given and up to two suffixes with the names seen with them. */
#define SFX_SENDERS 64
#define SFX_RECENT 16
#define SFX_NAMES 16
#define SFX_BASES 4
#define SFX_FRAMES 8
#define SFX_PER_SENDER 6 /* glibc tries up to 6 search domains */

struct sfx_look {
	struct mx_dname qname;
	uint16_t qtype;
	enum mx_outcome outcome;
	uint64_t first_us, last_us, q_frame, r_frame;
	struct mx_addr resolver;
};

struct sfx_rec {
	struct mx_dname suffix;            /* len 0 = unused */
	struct mx_dname bases[SFX_BASES];  /* names seen with the suffix appended */
	unsigned n_bases;
	struct mx_addr resolver;
	uint64_t first_us, last_us;
	uint64_t frames[SFX_FRAMES];
	unsigned n_frames;
	struct sfx_look sample;            /* first suffixed lookup, or the first answered one */
	bool answered, fired_info, fired_warn;
	uint32_t notes;                    /* suffixed lookups seen (each emission after the first adds one) */
	uint64_t last_q_frame;             /* the last one's query frame: noted once */
};

/* What the per-lookup scans test, kept apart from the 258-byte names so
 * that a scan reads a few cache lines: lengths, label counts and the first
 * (up to) 8 wire bytes of each name, times and types of recent lookups. */
struct sfx_rmeta {
	uint64_t first_us, last_us;
	uint64_t w0;
	uint16_t qtype;                    /* 0 = empty */
	uint8_t outcome, labels, len;
};

struct sfx_nmeta {
	uint64_t w0;
	uint8_t len, labels;               /* len 0 = empty */
};

/* The rest of a recent lookup (its type, outcome and times are in its
 * sfx_rmeta), 16 bytes and the name: frames in 4 bytes and an IPv4-shaped
 * resolver in 5, so that storing one writes one cache line for names up to
 * 48 bytes. Larger values go to the sender's sfx_wide entry (wide = 1). */
struct sfx_body {
	_Alignas(64) uint32_t q_frame;
	uint32_t r_frame;
	uint8_t rfam;                      /* the resolver's family */
	uint8_t ra[4];                     /* its first 4 bytes (the other 12 are zero) */
	uint8_t wide;
	struct mx_dname qname;             /* written by its length */
};

struct sfx_wide {
	uint64_t q_frame, r_frame;
	struct mx_addr resolver;
};

/* Per-sender candidate indexes: 128 buckets of ring-position bit masks. A
 * key is a hash of a name's wire bytes up to the end of one of its labels
 * (the root byte excluded; sfx_key). rfull holds each recent lookup's whole
 * name, rpre each of its proper label prefixes, nfull each remembered MX
 * exchange. A pair "N then N.X" needs N's whole name to equal a proper prefix
 * of N.X, so the scans visit only the positions found in the buckets of the
 * current name's keys, in ascending order, and run the exact tests on them.
 * An entry that is overwritten leaves the buckets it was put in (rbk, nbk). */
#define SFX_NB 128
#define SFX_RBP 6

/* one bucket of each index, so that a key's probe and its later update
 * touch one cache line */
struct sfx_cell {
	uint16_t rfull, rpre, nfull, unused;
};

struct sfx_rbk {
	uint8_t full, npre;                /* npre > SFX_RBP: pre[] incomplete */
	uint8_t pre[SFX_RBP];
};

struct sfx_sender {
	struct mx_slot s;
	struct mx_addr client;
	unsigned recent_pos, names_pos;     /* (in the first line with the flags) */
	bool noidx;                         /* a name could not be indexed: scan everything */
	bool any_rec;                       /* rec[] has a suffix */
	struct sfx_cell cell[SFX_NB];
	struct sfx_rbk rbk[SFX_RECENT];     /* the buckets each recent position is in */
	uint8_t nbk[SFX_NAMES];             /* the bucket each name is in */
	struct sfx_rmeta rmeta[SFX_RECENT]; /* parallel to recent[]; qtype 0 = empty */
	struct sfx_nmeta nmeta[SFX_NAMES];  /* parallel to names[] */
	struct sfx_body recent[SFX_RECENT];
	struct sfx_wide recent_wide[SFX_RECENT];
	struct mx_dname names[SFX_NAMES];
	struct sfx_rec rec[SFX_PER_SENDER];
};

struct st {
	struct auth auth[AUTH];
	struct sfx_sender sfx[SFX_SENDERS];
	uint64_t sfx_clock;
	uint64_t clock;
	uint64_t unmatched, unmatched_first, unmatched_last, unmatched_frame;
	struct mx_addr unmatched_from;
	struct mx_evidence unmatched_ev[UNMATCHED_ROWS];   /* the first unmatched responses' rows */
};

static void simple(const struct mx_txn *t, const char *pattern, enum mx_sev sev, const char *title,
		   const char *status, const char *cause, const char *fix, struct mx_emit *e,
		   const char *detail)
{
	struct mx_finding f;
	char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], tn[16];
	mx_finding_init(&f, pattern, sev);
	f.title = title;
	f.sender = t->client;
	mx_finding_add_resolver(&f, &t->server);
	mx_dname_copy(&f.host, &t->qname);
	f.qtype = t->qtype;
	f.first_us = t->q_ts;
	f.last_us = t->r_ts;
	mx_finding_add_frame(&f, t->q_frame);
	mx_finding_add_frame(&f, t->r_frame);
	mx_finding_detail(&f, "%s", detail);
	f.smtp_status = status;
	f.cause = cause;
	f.fix = fix;
	mx_dname_format(&t->qname, qn, sizeof qn);
	mx_addr_format(&t->server, rs, sizeof rs);
	mx_finding_verify(&f, "dig %s %s @%s", mx_dns_type_name(t->qtype, tn, sizeof tn), qn, rs);
	mx_emit_txn(e, &f, t, NULL);
}

static void auth_check(struct st *s, const struct mx_txn *t, struct mx_emit *e)
{
	if (t->qtype != MX_TYPE_A && t->qtype != MX_TYPE_AAAA)
		return;
	bool fresh;
	struct auth *a = MX_SLOT_TAKE(s->auth, mx_key_addr_inline(&t->server, mx_key_name_inline(&t->qname, 0, 20)), &s->clock, &fresh);
	if (fresh) {
		memset((char *)a + sizeof a->s, 0, offsetof(struct auth, a_tx) - sizeof a->s);
		a->server = t->server;
		a->client = t->client;
		mx_dname_copy(&a->qname, &t->qname);
		a->first_us = t->q_ts;
	}
	a->last_us = t->r_ts ? t->r_ts : t->q_ts;
	if (t->qtype == MX_TYPE_A && t->kind == MX_TXN_ANSWERED && t->rcode == 0 && t->aa) {
		if (!a->a_ok)
			mx_txn_keep(&a->a_tx, t);
		a->a_ok = true;
	} else if (t->qtype == MX_TYPE_AAAA) {
		bool bad = t->kind == MX_TXN_TIMEOUT ||
			   (t->kind == MX_TXN_ANSWERED &&
			    (t->rcode == MX_RCODE_NXDOMAIN || t->rcode == MX_RCODE_NOTIMP || t->rcode == MX_RCODE_FORMERR ||
			     t->rcode == MX_RCODE_SERVFAIL || t->rcode == MX_RCODE_REFUSED));
		if (bad) {
			if (!a->v6_bad)
				mx_txn_keep(&a->v6_tx, t);
			a->v6_bad = true;
			a->v6_outcome = t->outcome;
		}
	} else {
		return;
	}
	if (a->nframes < 4) {
		a->frames[a->nframes++] = t->q_frame;
		if (t->r_frame && a->nframes < 4)
			a->frames[a->nframes++] = t->r_frame;
	}
	if (!a->fired && a->a_ok && a->v6_bad) {
		a->fired = true;
		struct mx_finding f;
		char qn[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN];
		mx_finding_init(&f, "AUTH_AAAA_MISBEHAVIOR", MX_SEV_ERROR);
		f.title = "an authoritative server answers A but fails AAAA (RFC 4074 §4)";
		f.authoritative = true;
		mx_finding_add_resolver(&f, &a->server);
		mx_dname_copy(&f.host, &a->qname);
		f.qtype = MX_TYPE_AAAA;
		f.first_us = a->first_us;
		f.last_us = a->last_us;
		for (unsigned i = 0; i < a->nframes; i++)
			mx_finding_add_frame(&f, a->frames[i]);
		/* both answers: the one that fired it with its answer text */
		mx_finding_add_txn(&f, t, NULL);
		mx_finding_add_kept(&f, t->qtype == MX_TYPE_A ? &a->v6_tx : &a->a_tx, NULL);
		mx_dname_format(&a->qname, qn, sizeof qn);
		mx_addr_format(&a->server, rs, sizeof rs);
		mx_finding_detail(&f, "authoritative %s: A %s NOERROR, AAAA %s", rs, qn, mx_outcome_name(a->v6_outcome));
		f.smtp_status = "through any resolver: AAAA-first MTAs defer (Exchange \"451 4.4.0 DNS query failed\", "
				"Sendmail without WorkAroundBrokenAAAA 4.4.3); see AAAA_SERVFAIL_LOOP";
		f.cause = "the authoritative server mishandles AAAA queries instead of answering NOERROR with an "
			  "empty answer (RFC 4074 §3)";
		f.fix = "the zone's operator fixes or upgrades the server (or the load balancer/firewall in front "
			"of it)";
		mx_finding_verify(&f, "dig +norec AAAA %s @%s", qn, rs);
		mx_finding_verify(&f, "dig +norec A %s @%s", qn, rs);
		mx_emit(e, &f);
	}
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	if (!t->rd && t->kind != MX_TXN_OPEN && t->kind != MX_TXN_PENDING)
		auth_check(s, t, e);
	if (t->kind != MX_TXN_ANSWERED)
		return;
	if (t->outcome == MX_O_MALFORMED)
		simple(t, "MALFORMED_RESPONSE", MX_SEV_WARN, "a response cannot be decoded",
		       "most likely: Postfix \"Malformed or unexpected name server reply\" (4.4.3)",
		       "a broken server or a middlebox that rewrites or cuts DNS answers",
		       "find the device that alters DNS answers; compare with a capture next to the resolver", e,
		       "the response's records contradict its header");
	else if (t->resp && t->transport == MX_T_UDP && t->r_size == 512 && !t->tc &&
		 t->resp->an_parsed < t->resp->ancount)
		simple(t, "MALFORMED_RESPONSE", MX_SEV_WARN, "a 512-byte answer lost records without setting TC",
		       "most likely: Postfix \"Malformed or unexpected name server reply\" (4.4.3)",
		       "a middlebox truncates UDP answers to 512 bytes without setting TC",
		       "fix the middlebox's DNS inspection; enable EDNS", e,
		       "UDP answer of exactly 512 bytes with fewer records than announced and TC=0");
	if (t->ede == 3 || t->ede == 19)
		simple(t, "STALE_ANSWER", MX_SEV_INFO, "the resolver serves expired data (serve-stale)",
		       "none now: mail flows on stale data", "the resolver cannot reach the authoritative servers "
		       "and answers from expired cache (RFC 8767)",
		       "check the resolver's upstream connectivity and the recipient's authoritative servers", e,
		       t->ede == 3 ? "EDE 3 Stale Answer" : "EDE 19 Stale NXDOMAIN Answer");
	if (t->resp && t->qtype == MX_TYPE_AAAA) {
		for (unsigned i = 0; i < t->resp->n_addr; i++) {
			const uint8_t *a = t->resp->addr[i].addr.a;
			static const uint8_t pfx[12] = {0, 0x64, 0xff, 0x9b};
			if (t->resp->addr[i].addr.family == 6 && memcmp(a, pfx, 12) == 0) {
				simple(t, "DNS64_SYNTHESIZED", MX_SEV_INFO, "AAAA answers are synthesized by DNS64",
				       "none by itself; IPv6 delivery goes through NAT64",
				       "the resolver does DNS64 (64:ff9b::/96): the name may have no real AAAA",
				       "use a resolver without DNS64 for the mail server if NAT64 is not intended", e,
				       "AAAA answer inside 64:ff9b::/96");
				break;
			}
		}
	}
}

/* True when lng is shrt followed by at least one more label; *x = those labels. */
static bool sfx_split(const struct mx_dname *lng, const struct mx_dname *shrt, struct mx_dname *x)
{
	if (shrt->len < 2 || lng->labels <= shrt->labels || lng->len <= shrt->len)
		return false;
	if (memcmp(lng->wire, shrt->wire, shrt->len - 1u) != 0)
		return false;
	mx_dname_suffix(lng, (unsigned)(lng->labels - shrt->labels), x);
	return true;
}

/* The first min(8, len) wire bytes, byte i at bits 8i (zero above). */
static uint64_t name_w0(const struct mx_dname *n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n->len >= 8) {
		uint64_t v;
		memcpy(&v, n->wire, 8);
		return v;
	}
#endif
	uint64_t w = 0;
	unsigned k = n->len < 8 ? n->len : 8;
	for (unsigned i = 0; i < k; i++)
		w |= (uint64_t)n->wire[i] << (8 * i);
	return w;
}

/* False when sfx_split(lng, shrt) is certainly false, from lengths, label
 * counts and first bytes alone. */
static bool split_maybe(unsigned llen, unsigned llab, uint64_t lw, unsigned slen, unsigned slab, uint64_t sw)
{
	if (slen < 2 || llab <= slab || llen <= slen)
		return false;
	unsigned k = slen - 1u < 8 ? slen - 1u : 8;
	uint64_t m = k == 8 ? ~0ULL : ((1ULL << (8 * k)) - 1);
	return ((lw ^ sw) & m) == 0;
}

/* Label ends: bd[k] = wire bytes of the first k labels (k = 1..labels; bd
 * holds 128); false when the labels do not add up to the name's length. */
static bool sfx_bounds(const struct mx_dname *n, uint8_t *bd)
{
	unsigned off = 0, end = n->len ? n->len - 1u : 0;
	for (unsigned k = 1; k <= n->labels; k++) {
		if (off >= end)
			return false;
		off += 1u + n->wire[off];
		if (off > end)
			return false;
		bd[k] = (uint8_t)off;
	}
	return off == end;
}

/* Key of the first nb (>= 1) wire bytes of n, whose name_w0 is w0: from nb
 * and the first and the last (up to) 8 of those bytes. */
static uint64_t sfx_key(const struct mx_dname *n, unsigned nb, uint64_t w0)
{
	uint64_t t;
	if (nb >= 8) {
		memcpy(&t, n->wire + nb - 8, 8);
	} else {
		t = w0 & ((1ULL << (8 * nb)) - 1);
		w0 = 0;
	}
	return (w0 * 0x9E3779B97F4A7C15ULL) ^ (t * 0xC2B2AE3D27D4EB4FULL) ^ nb;
}

/* A key's bucket. */
static unsigned kb(uint64_t k)
{
	return (unsigned)((k * 0xD6E8FEB86659FD93ULL) >> 57);
}

/* The lowest set bit's position (m != 0). */
static unsigned low_bit(unsigned m)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctz(m);
#else
	unsigned i = 0;
	while (!(m & 1u)) {
		m >>= 1;
		i++;
	}
	return i;
#endif
}

_Static_assert(SFX_RECENT <= 16 && SFX_NAMES <= 16, "positions fit the 16-bit masks");
_Static_assert(SFX_NB == 128, "kb gives 7 bits");

static void sfx_add_frame(struct sfx_rec *r, uint64_t frame)
{
	if (!frame || r->n_frames >= SFX_FRAMES)
		return;
	for (unsigned i = 0; i < r->n_frames; i++)
		if (r->frames[i] == frame)
			return;
	r->frames[r->n_frames++] = frame;
}

/* Made once a suffix was seen with two names; after that every further
 * suffixed lookup (a later delivery attempt asks them again) is emitted
 * too, merging into the finding: its count is the suffixed lookups seen,
 * its span theirs. */
static void sfx_emit(const struct sfx_sender *ss, struct sfx_rec *r, const struct mx_lookup *l, struct mx_emit *e)
{
	bool warn = r->answered;
	if (r->n_bases < 2)
		return;
	bool first = !r->fired_info;
	r->fired_info = true;
	r->fired_warn = r->fired_warn || warn;
	struct mx_finding f;
	char xs[MX_DNAME_STRLEN], bs[MX_DNAME_STRLEN], qs[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], tn[16];
	mx_finding_init(&f, "SEARCH_SUFFIX_EXPANSION", warn ? MX_SEV_WARN : MX_SEV_INFO);
	f.count = first ? r->notes : 1;
	f.title = warn ? "mail names get the local search suffix appended, and the suffixed names are answered"
		       : "mail names get the local search suffix appended";
	f.sender = ss->client;
	mx_finding_add_resolver(&f, &r->resolver);
	mx_dname_copy(&f.host, &r->suffix);
	f.first_us = r->first_us;
	f.last_us = r->last_us;
	for (unsigned i = 0; i < r->n_frames; i++)
		mx_finding_add_frame(&f, r->frames[i]);
	if (l)
		mx_finding_add_lookup(&f, l);
	mx_dname_format(&r->suffix, xs, sizeof xs);
	mx_dname_format(&r->sample.qname, qs, sizeof qs);
	mx_dname_format(&r->bases[0], bs, sizeof bs);
	mx_finding_detail(&f, "%u names asked with %s appended, e.g. %s as %s", r->n_bases, xs, bs, qs);
	if (warn)
		mx_finding_detail(&f, "%s %s got %s: a wildcard or a real name in %s",
				  mx_dns_type_name(r->sample.qtype, tn, sizeof tn), qs,
				  mx_outcome_name(r->sample.outcome), xs);
	f.smtp_status = warn ? "none logged: the MTA delivers to the address found under the local domain "
			       "(Postfix \"status=sent\" to the wrong host)"
			     : "none: the suffixed names fail and the MTA goes on with the real name (extra "
			       "queries and latency)";
	f.cause = warn ? "the resolver library appends the search domain (resolv.conf search/domain, ndots) to "
			 "mail names and that domain answers them (wildcard record)"
		       : "the resolver library appends the search domain (resolv.conf search/domain, or the "
			 "host name's domain, and ndots) to mail names it is given without a final dot: glibc's "
			 "res_search and getaddrinfo (Postfix smtp_dns_resolver_options with "
			 "res_defnames/res_dnsrch, an unqualified relayhost, Sendmail, dma) and Go's resolver "
			 "(chasquid: the MX, MTA-STS and fallback address lookups of the recipient domain); an "
			 "ndots option above the names' dots (ndots:5 in Kubernetes pods) makes glibc try every "
			 "search domain before the name itself, for every MX and exchange lookup";
	f.fix = "use fully qualified names; drop res_defnames/res_dnsrch from smtp_dns_resolver_options; no "
		"search list and ndots:1 on the mail host (in a Kubernetes pod: dnsConfig options ndots "
		"\"1\"); remove the wildcard from the search domain";
	mx_addr_format(&r->resolver, rs, sizeof rs);
	mx_finding_verify(&f, "grep -E '^(search|domain|options)' /etc/resolv.conf");
	mx_finding_verify(&f, "postconf smtp_dns_resolver_options relayhost");
	mx_finding_verify(&f, "dig %s %s @%s", mx_dns_type_name(r->sample.qtype, tn, sizeof tn), qs, rs);
	mx_emit(e, &f);
}

_Static_assert(offsetof(struct sfx_body, qname) + 2 + 48 <= 64, "a body with a 48-byte name fits a line");

/* Recent lookup i, whole. */
static void look_get(const struct sfx_sender *ss, unsigned i, struct sfx_look *x)
{
	const struct sfx_rmeta *m = &ss->rmeta[i];
	const struct sfx_body *b = &ss->recent[i];
	mx_dname_copy(&x->qname, &b->qname);
	x->qtype = m->qtype;
	x->outcome = (enum mx_outcome)m->outcome;
	x->first_us = m->first_us;
	x->last_us = m->last_us;
	if (b->wide) {
		x->q_frame = ss->recent_wide[i].q_frame;
		x->r_frame = ss->recent_wide[i].r_frame;
		x->resolver = ss->recent_wide[i].resolver;
	} else {
		x->q_frame = b->q_frame;
		x->r_frame = b->r_frame;
		memset(&x->resolver, 0, sizeof x->resolver);
		x->resolver.family = b->rfam;
		memcpy(x->resolver.a, b->ra, 4);
	}
}

/* base was asked with suffix x appended: the suffixed lookup is sx. */
static void sfx_note(struct sfx_sender *ss, const struct mx_dname *base, const struct mx_dname *x,
		     const struct sfx_look *sx, uint64_t base_frame, const struct mx_lookup *l, struct mx_emit *e)
{
	struct sfx_rec *r = NULL;
	for (unsigned i = 0; i < SFX_PER_SENDER && !r; i++)
		if (ss->rec[i].suffix.len && mx_dname_eq(&ss->rec[i].suffix, x))
			r = &ss->rec[i];
	for (unsigned i = 0; i < SFX_PER_SENDER && !r; i++)
		if (!ss->rec[i].suffix.len) {
			ss->any_rec = true;
			r = &ss->rec[i];
			memset(r, 0, sizeof(*r));
			mx_dname_copy(&r->suffix, x);
			r->resolver = sx->resolver;
			r->first_us = sx->first_us;
			r->sample = *sx;
		}
	if (!r)
		return;
	bool known = false;
	for (unsigned i = 0; i < r->n_bases && !known; i++)
		known = mx_dname_eq(&r->bases[i], base);
	if (!known && r->n_bases < SFX_BASES) {
		mx_dname_copy(&r->bases[r->n_bases++], base);
		/* an earlier lookup of base.X of another type may have been answered */
		struct mx_dname y;
		for (unsigned i = 0; i < SFX_RECENT && !r->answered; i++) {
			const struct sfx_rmeta *om = &ss->rmeta[i];
			if (!om->qtype || om->outcome != MX_O_ANSWER)
				continue;
			struct sfx_look o;
			look_get(ss, i, &o);
			if (sfx_split(&o.qname, base, &y) && mx_dname_eq(&y, x)) {
				r->answered = true;
				r->sample = o;
				sfx_add_frame(r, o.q_frame);
				sfx_add_frame(r, o.r_frame);
			}
		}
	}
	if (sx->first_us < r->first_us)
		r->first_us = sx->first_us;
	if (sx->last_us > r->last_us)
		r->last_us = sx->last_us;
	sfx_add_frame(r, base_frame);
	sfx_add_frame(r, sx->q_frame);
	sfx_add_frame(r, sx->r_frame);
	if (sx->outcome == MX_O_ANSWER && !r->answered) {
		r->answered = true;
		r->sample = *sx;
	}
	/* one note per suffixed lookup (the scans can meet it twice) */
	if (sx->q_frame && sx->q_frame == r->last_q_frame)
		return;
	r->last_q_frame = sx->q_frame;
	r->notes++;
	sfx_emit(ss, r, l, e);
}

static void sfx_look_from(struct sfx_look *x, const struct mx_lookup *l)
{
	mx_dname_copy(&x->qname, &l->qname);
	x->qtype = l->qtype;
	x->outcome = l->outcome;
	x->first_us = l->first_us;
	x->last_us = l->last_us;
	x->q_frame = l->n_tries ? l->tries[0].q_frame : 0;
	x->r_frame = l->decided_frame;
	x->resolver = l->n_resolvers ? l->resolvers[0] : (struct mx_addr){0};
}

static const struct sfx_look *cur_of(struct sfx_look *b, bool *have, const struct mx_lookup *l)
{
	if (!*have) {
		sfx_look_from(b, l);
		*have = true;
	}
	return b;
}

static void on_lookup(void *vs, const struct mx_detect_ctx *c, const struct mx_lookup *l, struct mx_emit *e)
{
	struct st *s = vs;
	if (!l->rd || l->qclass != 1 || l->qname.len < 2 || !mx_detect_is_sender(c->opts, &l->client))
		return;
	bool fresh;
	/* ~12 KiB an entry: reset only what marks its arrays empty. */
	struct sfx_sender *ss = MX_SLOT_TAKE_PK(c, MX_PK_SFX, s->sfx, mx_key_addr_inline(&l->client, MX_SALT_SFX),
						   &s->sfx_clock, &fresh);
	if (fresh) {
		ss->client = l->client;
		ss->recent_pos = ss->names_pos = 0;
		/* readers test these before the names and bodies */
		for (unsigned i = 0; i < SFX_RECENT; i++)
			ss->rmeta[i].qtype = 0;
		for (unsigned i = 0; i < SFX_NAMES; i++)
			ss->nmeta[i].len = 0;
		for (unsigned i = 0; i < SFX_PER_SENDER; i++)
			ss->rec[i].suffix.len = 0;
		memset(ss->cell, 0, sizeof ss->cell);
		ss->noidx = false;
		ss->any_rec = false;
	}
	/* cur as a sfx_look is built only for a pair */
	struct sfx_look curb;
	bool have_cur = false;
	struct mx_dname x;
	struct sfx_rmeta cm;
	cm.first_us = l->first_us;
	cm.last_us = l->last_us;
	cm.w0 = name_w0(&l->qname);
	cm.qtype = l->qtype;
	cm.outcome = (uint8_t)l->outcome;
	cm.labels = l->qname.labels;
	cm.len = l->qname.len;
	/* candidates: recent lookups whose whole name is a proper prefix of
	 * cur's or has cur's as one, remembered names that are a proper prefix
	 * of cur's (all of them when a name could not be indexed) */
	uint8_t rb[128]; /* rb[k]: bucket of cur's first k labels with its type, k = 1..labels */
	unsigned nl = l->qname.labels;
	unsigned c1 = 0xffffu, c2 = 0xffffu;
	if (!ss->noidx) {
		unsigned off = 0, end = l->qname.len - 1u;
		c2 = 0;
		/* (at off == end the root byte takes off past end) */
		for (unsigned k = 1; k <= nl; k++) {
			off += 1u + l->qname.wire[off];
			if (off > end)
				break;
			uint64_t key = sfx_key(&l->qname, off, cm.w0);
			rb[k] = (uint8_t)kb(key);
			if (k < nl)
				c2 |= ss->cell[kb(key)].nfull;
		}
		if (off != end || nl == 0) {
			/* labels that do not add up to the length: no index from now on */
			ss->noidx = true;
			c1 = c2 = 0xffffu;
		} else {
			c1 = ss->cell[rb[nl]].rpre;
			for (unsigned k = 1; k < nl; k++)
				c1 |= ss->cell[rb[k]].rfull;
		}
	}
	/* 1. res_search pairs: N then N.X (or N.X then N), same type, the
	 * first one unanswered, the second asked as soon as the first ended. */
	uint64_t gap = c->opts->answer_timeout_us + 1000000ULL;
	for (; c1; c1 &= c1 - 1) {
		unsigned i = low_bit(c1);
		const struct sfx_rmeta *om = &ss->rmeta[i];
		if (!om->qtype || om->qtype != cm.qtype || (om->outcome == MX_O_ANSWER && cm.outcome == MX_O_ANSWER) ||
		    om->labels == cm.labels)
			continue;
		bool o_first = om->first_us <= cm.first_us;
		const struct sfx_rmeta *fm = o_first ? om : &cm, *sm = o_first ? &cm : om;
		if (fm->outcome == MX_O_ANSWER || sm->first_us < fm->last_us || sm->first_us - fm->last_us > gap)
			continue;
		bool fwd = split_maybe(sm->len, sm->labels, sm->w0, fm->len, fm->labels, fm->w0);
		bool back = split_maybe(fm->len, fm->labels, fm->w0, sm->len, sm->labels, sm->w0);
		if (!fwd && !back)
			continue;
		struct sfx_look ol;
		look_get(ss, i, &ol);
		const struct sfx_look *o = &ol;
		const struct sfx_look *cur = cur_of(&curb, &have_cur, l);
		const struct sfx_look *first = o_first ? o : cur;
		const struct sfx_look *second = o_first ? cur : o;
		if (fwd && sfx_split(&second->qname, &first->qname, &x))
			sfx_note(ss, &first->qname, &x, second, first->q_frame, l, e);
		else if (back && sfx_split(&first->qname, &second->qname, &x))
			sfx_note(ss, &second->qname, &x, first, second->q_frame, l, e);
	}
	/* 2. an MX exchange the sender was given, or a name already seen with a
	 * suffix, asked with that suffix appended. */
	for (; c2; c2 &= c2 - 1) {
		unsigned i = low_bit(c2);
		const struct sfx_nmeta *nm = &ss->nmeta[i];
		if (nm->len && split_maybe(cm.len, cm.labels, cm.w0, nm->len, nm->labels, nm->w0) &&
		    sfx_split(&l->qname, &ss->names[i], &x))
			sfx_note(ss, &ss->names[i], &x, cur_of(&curb, &have_cur, l), 0, l, e);
	}
	for (unsigned k = 0; ss->any_rec && k < SFX_PER_SENDER; k++) {
		struct sfx_rec *r = &ss->rec[k];
		for (unsigned i = 0; r->suffix.len && i < r->n_bases; i++)
			if (sfx_split(&l->qname, &r->bases[i], &x) && mx_dname_eq(&x, &r->suffix)) {
				struct mx_dname b;
				mx_dname_copy(&b, &r->bases[i]);
				sfx_note(ss, &b, &x, cur_of(&curb, &have_cur, l), 0, l, e);
				break;
			}
	}
	if (!ss->noidx) {
		/* the entry about to be overwritten leaves its buckets, cur enters */
		unsigned pos = ss->recent_pos;
		uint16_t bit = (uint16_t)(1u << pos);
		struct sfx_rbk *k = &ss->rbk[pos];
		if (ss->rmeta[pos].qtype) {
			ss->cell[k->full].rfull &= (uint16_t)~bit;
			if (k->npre <= SFX_RBP)
				for (unsigned j = 0; j < k->npre; j++)
					ss->cell[k->pre[j]].rpre &= (uint16_t)~bit;
			else
				for (unsigned b = 0; b < SFX_NB; b++)
					ss->cell[b].rpre &= (uint16_t)~bit;
		}
		if (cm.qtype) {
			ss->cell[k->full = rb[nl]].rfull |= bit;
			k->npre = (uint8_t)(nl - 1u);
			for (unsigned j = 1; j < nl; j++) {
				ss->cell[rb[j]].rpre |= bit;
				if (j <= SFX_RBP)
					k->pre[j - 1] = rb[j];
			}
		}
	}
	/* field by field: the name by its length */
	struct sfx_body *rl = &ss->recent[ss->recent_pos];
	uint64_t rw;
	uint32_t rv;
	uint64_t q_frame = l->n_tries ? l->tries[0].q_frame : 0, r_frame = l->decided_frame;
	static const struct mx_addr no_addr;
	const struct mx_addr *res = l->n_resolvers ? &l->resolvers[0] : &no_addr;
	memcpy(&rw, res->a + 4, 8);
	memcpy(&rv, res->a + 12, 4);
	if (((q_frame | r_frame) >> 32) == 0 && (rw | rv) == 0) {
		rl->q_frame = (uint32_t)q_frame;
		rl->r_frame = (uint32_t)r_frame;
		rl->rfam = res->family;
		memcpy(rl->ra, res->a, 4);
		rl->wide = 0;
	} else {
		struct sfx_wide *w = &ss->recent_wide[ss->recent_pos];
		w->q_frame = q_frame;
		w->r_frame = r_frame;
		w->resolver = *res;
		rl->wide = 1;
	}
	mx_dname_copy(&rl->qname, &l->qname);
	ss->rmeta[ss->recent_pos] = cm;
	ss->recent_pos = (ss->recent_pos + 1) % SFX_RECENT;
	if (l->qtype == MX_TYPE_MX && l->outcome == MX_O_ANSWER && l->answer) {
		for (unsigned i = 0; i < l->answer->n_mx; i++) {
			const struct mx_dname *n = &l->answer->mx[i].exchange;
			bool have = n->len < 2;
			uint64_t w0 = have ? 0 : name_w0(n);
			unsigned nb = 0, cand = 0xffffu;
			if (!have && !ss->noidx)
				cand = ss->cell[nb = kb(sfx_key(n, n->len - 1u, w0))].nfull;
			for (; cand && !have; cand &= cand - 1) {
				unsigned j = low_bit(cand);
				have = ss->nmeta[j].len == n->len && ss->nmeta[j].w0 == w0 && mx_dname_eq(&ss->names[j], n);
			}
			if (!have) {
				uint8_t nbd[128];
				if (!ss->noidx && !sfx_bounds(n, nbd))
					ss->noidx = true; /* labels that do not add up to the length */
				if (!ss->noidx) {
					/* the name about to be overwritten leaves its bucket */
					unsigned pos = ss->names_pos;
					if (ss->nmeta[pos].len)
						ss->cell[ss->nbk[pos]].nfull &= (uint16_t)~(1u << pos);
					ss->cell[nb].nfull |= (uint16_t)(1u << pos);
					ss->nbk[pos] = (uint8_t)nb;
				}
				mx_dname_copy(&ss->names[ss->names_pos], n);
				ss->nmeta[ss->names_pos].len = n->len;
				ss->nmeta[ss->names_pos].labels = n->labels;
				ss->nmeta[ss->names_pos].w0 = w0;
				ss->names_pos = (ss->names_pos + 1) % SFX_NAMES;
			}
		}
	}
}

static void on_stray(void *vs, const struct mx_detect_ctx *c, const struct mx_stray *st, struct mx_emit *e)
{
	struct st *s = vs;
	(void)c;
	(void)e;
	if (st->kind != MX_STRAY_UNSOLICITED || !st->resp)
		return;
	if (s->unmatched < UNMATCHED_ROWS)
		mx_evidence_stray(&s->unmatched_ev[s->unmatched], st);
	if (s->unmatched++ == 0) {
		s->unmatched_first = st->resp->ts_us;
		s->unmatched_frame = st->resp->frame;
		s->unmatched_from = st->resp->src;
	}
	s->unmatched_last = st->resp->ts_us;
}

/* UNMATCHED_RESPONSE, counted over the whole capture; pending: NULL at its
 * end (the finding is made), else why it is pending (on_pending) */
static void unmatched(const struct st *s, struct mx_emit *e, const char *pending)
{
	if (s->unmatched == 0)
		return;
	struct mx_finding f;
	mx_finding_init(&f, "UNMATCHED_RESPONSE", MX_SEV_INFO);
	f.title = "responses that match no query in the capture";
	f.first_us = s->unmatched_first;
	f.last_us = s->unmatched_last;
	f.count = s->unmatched;
	mx_finding_add_frame(&f, s->unmatched_frame);
	for (uint64_t i = 0; i < s->unmatched && i < UNMATCHED_ROWS; i++)
		mx_finding_add_evidence(&f, &s->unmatched_ev[i]);
	mx_finding_detail(&f, "%llu unmatched responses; the first from frame %llu",
			  (unsigned long long)s->unmatched, (unsigned long long)s->unmatched_frame);
	f.smtp_status = "none";
	f.cause = "the capture started after the queries, packet loss in the capture, NAT, or spoofed answers";
	f.fix = "start the capture before the traffic of interest; capture where both directions pass";
	f.pending = pending;
	mx_emit(e, &f);
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	unmatched(vs, e, NULL);
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	unmatched(vs, e, "counted over the whole capture: made when it ends");
}

const struct mx_detector mx_det_diagnostics = {
	.id = "DIAGNOSTICS",
	.pattern = "P20",
	.emits = "MALFORMED_RESPONSE,STALE_ANSWER,UNMATCHED_RESPONSE,DNS64_SYNTHESIZED,AUTH_AAAA_MISBEHAVIOR,"
		 "SEARCH_SUFFIX_EXPANSION",
	.summary = "malformed or cut answers, stale data, unmatched responses, DNS64, authoritative AAAA bugs, "
		   "search-list suffixes",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_lookup = on_lookup,
	.on_stray = on_stray,
	.on_finish = on_finish,
	.on_pending = on_pending,
	.lookup_needs = {MX_NEED_RD | MX_NEED_IN, 0},
};
