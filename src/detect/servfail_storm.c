/* servfail_storm.c - P17 SERVFAIL_STORM / DOMAIN_SERVFAIL.
 *
 * SERVFAIL_STORM (CRIT): for one resolver over 60 s, SERVFAIL is >= 20 % of
 * >= 20 responses and spans >= 5 distinct zones: the resolver itself is
 * failing (forwarders or uplink gone, DNSSEC trust anchor or clock wrong,
 * overload). DOMAIN_SERVFAIL (ERROR): SERVFAIL for >= 2 query types (MX or A
 * among them) of names in one zone while other zones answer: the recipient's
 * DNS is broken (all authoritatives down, lame delegation, bogus DNSSEC).
 * The MX question alone, failed at least twice, also counts: Postfix, Exim
 * and OpenSMTPD defer right after an MX SERVFAIL (PATTERNS §1.1) and never
 * ask a second type. "Other zones answer" may come later in the capture, so
 * zones are judged again at the end, except under a SERVFAIL storm of the
 * same resolver (that finding explains them). "Other zones answer" counts
 * answers from the same resolver only: another resolver's answers do not
 * show that this one works. When the resolver answered nothing else in the
 * capture (no other zone to compare with), the same failures still make a
 * DOMAIN_SERVFAIL at the end, one that says the resolver is not ruled out
 * and whose verify tests both.
 *
 * Names are grouped by a zone guess (mx_zone_guess: the last two or three
 * labels), but the finding names what was asked: its domain is the first
 * name that failed for MX (else the first that failed), the detail lists up
 * to NAMES of the failing names and calls the zone a guess, and the dig
 * commands ask for the failing name, never for the guessed zone.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxsniff/detect.h"
#include "key_inline.h"

#define RES 32
#define ZONES 128
#define STORM_US 60000000ULL
#define NAMES 3              /* failing names kept per zone */
#define STORM_ROWS 4

struct res {
	struct mx_addr addr;
	uint64_t win_start, responses, servfail;
	uint64_t zones[8];
	unsigned nzones;
	uint64_t frames[8];
	unsigned nframes;
	bool fired;
	bool stormed;            /* SERVFAIL_STORM fired in any window */
	uint64_t ok;             /* NOERROR/NXDOMAIN answers in any window (kept across them) */
	/* the window's first SERVFAILs, for the rows (read under nframes; a
	 * new window zeroes the fields above only) */
	struct mx_txn_kept kept[STORM_ROWS];
};

struct zone {
	struct mx_slot s;
	struct mx_dname zone;
	struct mx_addr resolver;
	uint32_t types;          /* bit per qtype class: 1 A, 2 AAAA, 4 MX, 8 TLSA, 16 other */
	uint64_t first_us, last_us, frames[8], count;
	unsigned nframes, attempts; /* SERVFAIL runs >= min_retry_gap apart */
	bool fired;
	bool dnssec_ede;         /* a SERVFAIL carried a DNSSEC EDE: P18 explains it */
	bool mx_first;           /* names[0] failed for MX */
	bool more_names;         /* more failing names than NAMES */
	uint8_t nnames;
	uint16_t qtype0;         /* the type names[0] failed for (MX once mx_first) */
	struct mx_dname names[NAMES]; /* distinct failing qnames, the finding's name first */
	unsigned nkept;
	struct mx_txn_kept kept[2]; /* the first SERVFAILs, for the rows */
};

struct st {
	struct mx_slot rhdr[RES];   /* res's keys, apart: a probe reads 16 bytes an entry */
	struct res res[RES];
	struct zone zones[ZONES];
	uint64_t clock, zclock;
};

static uint32_t tbit(uint16_t t)
{
	return t == MX_TYPE_A ? 1 : t == MX_TYPE_AAAA ? 2 : t == MX_TYPE_MX ? 4 : t == MX_TYPE_TLSA ? 8 : 16;
}

/* at_end: the MX-only case is judged at the end only, once a storm of the
 * same resolver is known or ruled out; so is every case while the resolver
 * answered no other zone (answers may come later). res_ok: that resolver's
 * NOERROR/NXDOMAIN answers so far. */
static bool domain_servfail_due(const struct zone *z, uint64_t res_ok, bool at_end)
{
	unsigned ntypes = (unsigned)__builtin_popcount(z->types);
	return !z->fired && (res_ok > 0 || at_end) && (z->types & 5) &&
	       (ntypes >= 2 || (at_end && z->types == 4 && z->count >= 2 && !z->dnssec_ede));
}

/* Keeps qname among z's failing names; a name that failed for MX moves to
 * the front once (the recipient domain an MTA asked for). Runs on SERVFAILs
 * only: a few name compares, a copy when a name is new. */
static void note_name(struct zone *z, const struct mx_dname *q, uint16_t qtype)
{
	bool mx = qtype == MX_TYPE_MX;
	unsigned i = 0;
	while (i < z->nnames && !mx_dname_eq(&z->names[i], q))
		i++;
	if (i == z->nnames) {
		if (i == NAMES) {
			z->more_names = true;
			if (!mx || z->mx_first)
				return;
			i = NAMES - 1; /* an MX name takes the last place */
		} else {
			z->nnames++;
		}
		mx_dname_copy(&z->names[i], q);
	}
	if (i == 0 && z->nnames == 1 && !z->qtype0)
		z->qtype0 = qtype;
	if (mx && !z->mx_first) {
		struct mx_dname keep = z->names[i];
		memmove(&z->names[1], &z->names[0], i * sizeof z->names[0]);
		z->names[0] = keep;
		z->mx_first = true;
		z->qtype0 = MX_TYPE_MX;
	}
}

/* unsure: nothing in the capture answered, so a failing resolver is not
 * ruled out; others: how many other zones failed at the same resolver;
 * pending: NULL to make the finding, else (on_pending) why it is pending */
static void emit_domain_servfail(struct zone *z, bool unsure, unsigned others, struct mx_emit *e, const char *pending)
{
	struct mx_finding f;
	char zn[MX_DNAME_STRLEN], nm[MX_DNAME_STRLEN], rs[MX_ADDR_STRLEN], ty[16];
	if (!pending)
		z->fired = true;   /* a pending finding changes nothing */
	mx_finding_init(&f, "DOMAIN_SERVFAIL", MX_SEV_ERROR);
	f.title = unsure ? "every lookup of one domain fails (SERVFAIL); the resolver answered no other zone, so "
			   "it is not ruled out"
			 : "every lookup in one zone fails (SERVFAIL) while other zones resolve";
	mx_dname_copy(&f.domain, &z->names[0]);
	mx_finding_add_resolver(&f, &z->resolver);
	f.first_us = z->first_us;
	f.last_us = z->last_us;
	f.count = z->count;
	f.attempts = z->attempts;
	for (unsigned i = 0; i < z->nframes; i++)
		mx_finding_add_frame(&f, z->frames[i]);
	for (unsigned i = 0; i < z->nkept; i++)
		mx_finding_add_kept(&f, &z->kept[i], NULL);
	mx_dname_format(&z->zone, zn, sizeof zn);
	mx_addr_format(&z->resolver, rs, sizeof rs);
	char names[NAMES * 256 + 16];
	size_t nn = 0;
	names[0] = '\0';
	for (unsigned i = 0; i < z->nnames && nn < sizeof names; i++) {
		int w = snprintf(names + nn, sizeof names - nn, "%s%s", i ? ", " : "",
				 mx_dname_format(&z->names[i], nm, sizeof nm));
		nn += w > 0 ? (size_t)w : 0;
	}
	mx_finding_detail(&f, "SERVFAIL for %s%s%s%sof %s%s%s", (z->types & 4) ? "MX " : "",
			  (z->types & 1) ? "A " : "", (z->types & 2) ? "AAAA " : "", (z->types & 8) ? "TLSA " : "",
			  names, z->more_names ? " and more names" : "",
			  z->types == 4 ? " (only the MX was asked: the sender defers after an MX SERVFAIL)" : "");
	if (z->nnames > 1 || z->more_names || !mx_dname_eq(&z->names[0], &z->zone))
		mx_finding_detail(&f, "grouped under the zone %s (a guess from the name%s)", zn, z->nnames > 1 ? "s" : "");
	if (unsure)
		mx_finding_detail(&f, "the resolver could not be ruled out: it answered no other zone in the "
				      "capture");
	if (unsure && others)
		mx_finding_detail(&f, "%u other zone%s failed at this resolver too", others, others == 1 ? "" : "s");
	f.smtp_status = "most likely: Postfix 4.4.3 \"...type=MX: Host not found, try again\"; Exim \"host "
			"lookup did not complete\"; Exchange \"451 4.4.0 DNS query failed\"; Messaging Gateway "
			"421 4.4.4; OpenSMTPD \"Temporary failure in MX lookup\"; qmail-remote \"CNAME lookup "
			"failed temporarily. (#4.4.3)\" (its ANY lookup of the domain fails first)";
	if (unsure) {
		f.cause = "either the recipient's DNS is broken (all its authoritative servers unreachable, a "
			  "lame delegation, broken DNSSEC) or the resolver fails for every name: the capture "
			  "has no answer from it for another zone to tell them apart";
		f.fix = "if the resolver answers other names, the recipient repairs its authoritative servers "
			"or delegation; if not, repair the resolver (upstream, trust anchor, clock) or fail "
			"over to another one";
	} else {
		f.cause = "the recipient's DNS is broken: all its authoritative servers unreachable, a lame "
			  "delegation, or broken DNSSEC";
		f.fix = "the recipient repairs its authoritative servers or delegation";
	}
	mx_dns_type_name(z->qtype0, ty, sizeof ty);
	mx_dname_format(&z->names[0], nm, sizeof nm);
	if (unsure) {
		mx_finding_verify(&f, "dig %s %s @%s", ty, nm, rs);
		mx_finding_verify(&f, "dig . SOA @%s", rs);
		mx_finding_verify(&f, "dig +trace %s %s", ty, nm);
	} else {
		mx_finding_verify(&f, "dig +trace %s %s", ty, nm);
		mx_finding_verify(&f, "dig %s %s @%s", ty, nm, rs);
	}
	f.pending = pending;
	mx_emit(e, &f);
}

static void on_txn(void *vs, const struct mx_detect_ctx *c, const struct mx_txn *t, struct mx_emit *e)
{
	struct st *s = vs;
	if (t->kind != MX_TXN_ANSWERED || !t->rd)
		return;
	/* the zone matters for SERVFAIL answers only */
	struct mx_dname zone;
	bool sf = t->rcode == MX_RCODE_SERVFAIL;
	if (sf)
		mx_zone_guess(&t->qname, &zone);
	bool fresh;
	struct res *r = &s->res[MX_SLOT_INDEX_PK(c, MX_PK_STORM, s->rhdr, mx_key_addr_inline(&t->server, MX_SALT_STORM),
						    &s->clock, &fresh)];
	if (fresh || t->r_ts >= r->win_start + STORM_US) {
		bool stormed = !fresh && r->stormed;
		uint64_t ok = fresh ? 0 : r->ok;
		memset(r, 0, offsetof(struct res, kept));
		r->stormed = stormed;
		r->ok = ok;
		r->addr = t->server;
		r->win_start = t->r_ts;
	}
	r->responses++;
	if (sf) {
		r->servfail++;
		uint64_t zk = mx_key_name(&zone, 0, 17);
		bool seen = false;
		for (unsigned i = 0; i < r->nzones; i++)
			seen |= r->zones[i] == zk;
		if (!seen && r->nzones < 8)
			r->zones[r->nzones++] = zk;
		if (r->nframes < STORM_ROWS)
			mx_txn_keep(&r->kept[r->nframes], t);
		if (r->nframes < 8)
			r->frames[r->nframes++] = t->r_frame;
	} else if (t->outcome <= MX_O_NXDOMAIN) {
		r->ok++;
	}
	/* The storm test turns true only here: on a SERVFAIL (servfail and the
	 * zones grow), or when another response brings the count to 20 (a
	 * response that is no SERVFAIL only makes the share smaller; the test
	 * was false at the last response, or it fired then; a new window starts
	 * at one response). Not judged on the other responses: the same
	 * findings at the same responses. */
	if ((sf || r->responses == 20) && !r->fired && r->responses >= 20 && r->servfail * 5 >= r->responses &&
	    r->nzones >= 5) {
		struct mx_finding f;
		char rs[MX_ADDR_STRLEN];
		r->fired = true;
		r->stormed = true;
		mx_finding_init(&f, "SERVFAIL_STORM", MX_SEV_CRIT);
		f.title = "the resolver fails across many zones (SERVFAIL storm)";
		mx_finding_add_resolver(&f, &r->addr);
		f.first_us = r->win_start;
		f.last_us = t->r_ts;
		f.count = r->servfail;
		for (unsigned i = 0; i < r->nframes; i++)
			mx_finding_add_frame(&f, r->frames[i]);
		for (unsigned i = 0; i < r->nframes && i < STORM_ROWS; i++)
			mx_finding_add_kept(&f, &r->kept[i], NULL);
		mx_addr_format(&r->addr, rs, sizeof rs);
		mx_finding_detail(&f, "%llu SERVFAIL of %llu responses within 60 s across %u+ zones",
				  (unsigned long long)r->servfail, (unsigned long long)r->responses, r->nzones);
		f.smtp_status = "most likely for every domain: Postfix 4.4.3 \"Host not found, try again\"; Exim "
				"\"host lookup did not complete\"; Exchange \"451 4.4.0 DNS query failed\"; Messaging "
				"Gateway 421 4.4.4";
		f.cause = "the resolver cannot resolve anything: forwarders or uplink unreachable, a wrong DNSSEC "
			  "trust anchor or clock, or overload";
		f.fix = "repair the resolver (its upstream connectivity, trust anchor, clock) or fail over to "
			"another one";
		mx_finding_verify(&f, "dig . SOA @%s", rs);
		mx_finding_verify(&f, "dig +cd example.com @%s", rs);
		mx_emit(e, &f);
	}
	if (!sf)
		return;
	struct zone *z = MX_SLOT_GET(s->zones, mx_key_addr_inline(&t->server, mx_key_name(&zone, 0, 18)), &s->zclock, &fresh);
	if (fresh) {
		mx_dname_copy(&z->zone, &zone);
		z->resolver = t->server;
		z->first_us = t->q_ts;
	}
	if (fresh || t->q_ts >= z->last_us + c->opts->min_retry_gap_us)
		z->attempts++;
	z->types |= tbit(t->qtype);
	z->dnssec_ede |= t->ede == 1 || t->ede == 2 || (t->ede >= 5 && t->ede <= 12);
	z->last_us = t->r_ts;
	z->count++;
	note_name(z, &t->qname, t->qtype);
	if (z->nkept < 2)
		mx_txn_keep(&z->kept[z->nkept++], t);
	if (z->nframes + 2 <= 8) {
		z->frames[z->nframes++] = t->q_frame;
		z->frames[z->nframes++] = t->r_frame;
	}
	if (domain_servfail_due(z, r->ok, false))
		emit_domain_servfail(z, false, 0, e, NULL);
	(void)c;
}

/* The DOMAIN_SERVFAIL findings made only at the end of the capture
 * (domain_servfail_due(.., at_end)); pending: NULL then, else why they are
 * pending (on_pending) */
static void at_end(struct st *s, struct mx_emit *e, const char *pending)
{
	for (unsigned i = 0; i < ZONES; i++) {
		struct zone *z = &s->zones[i];
		if (!z->s.used || !domain_servfail_due(z, 0, true))
			continue;
		/* the resolver's row may have been evicted (more than RES
		 * resolvers): then its answers are unknown, and it is not ruled
		 * out */
		const struct mx_slot *h = MX_SLOT_FIND(s->rhdr, mx_key_addr_inline(&z->resolver, MX_SALT_STORM));
		if (h && s->res[h - s->rhdr].stormed)
			continue;
		bool unsure = !h || s->res[h - s->rhdr].ok == 0;
		unsigned others = 0;
		for (unsigned k = 0; unsure && k < ZONES; k++)
			others += k != i && s->zones[k].s.used && mx_addr_eq(&s->zones[k].resolver, &z->resolver);
		emit_domain_servfail(z, unsure, others, e, pending);
	}
}

static void on_finish(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	at_end(vs, e, NULL);
}

static void on_pending(void *vs, const struct mx_detect_ctx *c, struct mx_emit *e)
{
	(void)c;
	at_end(vs, e, "made when the capture ends: until then an answer from the same resolver for another "
		      "zone would make it at once");
}

const struct mx_detector mx_det_servfail_storm = {
	.id = "SERVFAIL_STORM",
	.pattern = "P17",
	.emits = "SERVFAIL_STORM,DOMAIN_SERVFAIL",
	.summary = "SERVFAIL across many zones from one resolver, or for every lookup of one domain (named as "
		   "asked; when that resolver answered no other zone, it is not ruled out)",
	.state_size = sizeof(struct st),
	.on_txn = on_txn,
	.on_finish = on_finish,
	.on_pending = on_pending,
};
