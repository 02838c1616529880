/* sink/ndjson.c - newline-delimited JSON for live pipelines (L6).
 *
 * One JSON object per line, each with "type" first: "transaction" for every
 * finished transaction, "lookup" for every closed lookup and "chain" for
 * every closed resolution chain (the same members as the JSON report's
 * lookups and chains), "finding_made" for every finding when it is made
 * (the pipeline streams them after each detector tick and at the end; the
 * members of a finding, as they are then), and at close one "stats" line
 * followed by a
 * "finding" line per finding (ranked), then a "domain", "resolver",
 * "authoritative", "sender" and "failing_name" line per table row. Every
 * line is flushed as it is written so `mxsniff ... | jq` sees events as
 * they happen. Rendered from a snapshot alone (the live view), there are no
 * transaction or lookup lines: the chains the model kept are written at
 * close and the stats line says what is missing ("lookups_omitted",
 * "transactions_omitted", "chains_omitted", "note"). Fields are described
 * in docs/json-schema.md; the writers are shared with json.c (sink_priv.h).
 * Nothing here decides, allocates or reads the clock.
 */
#include "mxsniff/chain.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"
#include "sink_priv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct nd_state {
	struct mx_jw w;
	uint64_t n_txns, n_lookups, n_chains;   /* lines streamed */
};

static int nd_open(void *st, FILE *out)
{
	struct nd_state *nd = st;
	mx_jw_init(&nd->w, out);
	return 0;
}

static struct mx_jw *line_start(void *st, const char *type)
{
	struct mx_jw *w = &((struct nd_state *)st)->w;
	mx_jw_s(w, "{\"type\":");
	mx_jw_str(w, type);
	mx_jw_c(w, ',');
	return w;
}

static void line_end(struct mx_jw *w)
{
	mx_jw_s(w, "}\n");
	mx_jw_flush(w);
	fflush(w->out);
}

static void nd_txn(void *st, FILE *out, const struct mx_txn *t)
{
	struct mx_jw *w;
	(void)out;
	if (t->kind == MX_TXN_OPEN)
		return; /* only finished transactions */
	((struct nd_state *)st)->n_txns++;
	w = line_start(st, "transaction");
	mx_sj_txn_members(w, t);
	line_end(w);
}

static void nd_lookup(void *st, FILE *out, const struct mx_lookup *l)
{
	struct mx_jw *w = line_start(st, "lookup");
	(void)out;
	((struct nd_state *)st)->n_lookups++;
	mx_sj_lookup_members(w, l);
	line_end(w);
}

static void nd_chain(void *st, FILE *out, const struct mx_chain *c)
{
	struct mx_jw *w = line_start(st, "chain");
	(void)out;
	((struct nd_state *)st)->n_chains++;
	mx_sj_chain_members(w, c);
	line_end(w);
}

static int nd_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	struct nd_state *nd = st;
	struct mx_jw *w = &nd->w;
	bool from_snapshot = nd->n_lookups == 0 && s->lookup.lookups > 0;
	(void)out;
	/* rendered from a snapshot: the chains the model kept (the most
	 * recent), as a report open from the start would have streamed them */
	if (nd->n_chains == 0)
		for (size_t i = 0; i < s->n_chains; i++) {
			line_start(st, "chain");
			mx_sj_chain_members(w, &s->chains[i]);
			line_end(w);
		}
	line_start(st, "stats");
	mx_jw_s(w, "\"version\":");
	mx_jw_u64(w, MX_JSON_SCHEMA_VERSION);
	mx_jw_c(w, ',');
	mx_sj_source_members(w, s);
	mx_jw_c(w, ',');
	mx_sj_stats_members(w, s);
	if (from_snapshot) {
		mx_jw_s(w, ",\"lookups_omitted\":");
		mx_jw_u64(w, s->lookup.lookups);
		mx_jw_s(w, ",\"transactions_omitted\":");
		mx_jw_u64(w, s->txn.transactions);
		mx_jw_s(w, ",\"chains_omitted\":");
		mx_jw_u64(w, s->chain.chains > s->n_chains ? s->chain.chains - s->n_chains : 0);
		mx_jw_s(w, ",\"note\":");
		mx_jw_str(w, MX_SJ_SNAPSHOT_NOTE);
	}
	line_end(w);
	for (size_t i = 0; i < s->n_findings; i++) {
		line_start(st, "finding");
		mx_sj_finding_members(w, &s->findings[i]);
		line_end(w);
	}
	for (size_t i = 0; i < s->n_domains; i++) {
		line_start(st, "domain");
		mx_sj_domain_members(w, &s->domains[i]);
		line_end(w);
	}
	for (size_t i = 0; i < s->n_resolvers; i++) {
		line_start(st, "resolver");
		mx_sj_server_members(w, &s->resolvers[i]);
		line_end(w);
	}
	for (size_t i = 0; i < s->n_authoritatives; i++) {
		line_start(st, "authoritative");
		mx_sj_server_members(w, &s->authoritatives[i]);
		line_end(w);
	}
	for (size_t i = 0; i < s->n_senders; i++) {
		line_start(st, "sender");
		mx_sj_sender_members(w, &s->senders[i]);
		line_end(w);
	}
	for (size_t i = 0; i < s->n_failing; i++) {
		line_start(st, "failing_name");
		mx_sj_failing_members(w, &s->failing[i]);
		line_end(w);
	}
	return 0;
}

/* A finding as it is made: its counts and evidence so far. */
static void nd_finding(void *st, FILE *out, const struct mx_finding *f)
{
	struct mx_jw *w = line_start(st, "finding_made");
	(void)out;
	mx_sj_finding_members(w, f);
	line_end(w);
}

const struct mx_sink_ops mx_sink_ndjson = {
	.name = "ndjson",
	.summary = "one JSON object per line: transactions, lookups, chains and findings as they happen, then stats, findings and table rows",
	.state_size = sizeof(struct nd_state),
	.open = nd_open,
	.txn = nd_txn,
	.lookup = nd_lookup,
	.close = nd_close,
	.chain = nd_chain,
	.finding = nd_finding,
};
