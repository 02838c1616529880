/* sink/ndjson.c - newline-delimited JSON for live pipelines (L6).
 *
 * One JSON object per line, each with "type" first: "transaction" for every
 * finished transaction, "lookup" for every closed lookup and "chain" for
 * every closed resolution chain (the same members as the JSON report's
 * lookups and chains), and at close one "stats" line followed by a
 * "finding" line per finding (ranked), then a "domain", "resolver",
 * "authoritative", "sender" and "failing_name" line per table row. Every line is flushed as it is written so `mxsniff ... | jq` sees
 * events as they happen. Fields are described in docs/json-schema.md; the
 * writers are shared with json.c (sink_priv.h). Nothing here decides,
 * allocates or reads the clock.
 */
#include "mxsniff/chain.h"
#include "mxsniff/lookup.h"
#include "mxsniff/model.h"
#include "mxsniff/sink.h"
#include "mxsniff/txn.h"
#include "sink_priv.h"

#include <stdio.h>

static int nd_open(void *st, FILE *out)
{
	(void)st;
	(void)out;
	return 0;
}

static void line_start(FILE *out, const char *type)
{
	fputs("{\"type\":", out);
	mx_json_str(out, type);
	fputc(',', out);
}

static void line_end(FILE *out)
{
	fputs("}\n", out);
	fflush(out);
}

static void nd_txn(void *st, FILE *out, const struct mx_txn *t)
{
	(void)st;
	if (t->kind == MX_TXN_OPEN)
		return; /* only finished transactions */
	line_start(out, "transaction");
	mx_sj_txn_members(out, t);
	line_end(out);
}

static void nd_lookup(void *st, FILE *out, const struct mx_lookup *l)
{
	(void)st;
	line_start(out, "lookup");
	mx_sj_lookup_members(out, l);
	line_end(out);
}

static void nd_chain(void *st, FILE *out, const struct mx_chain *c)
{
	(void)st;
	line_start(out, "chain");
	mx_sj_chain_members(out, c);
	line_end(out);
}

static int nd_close(void *st, FILE *out, const struct mx_snapshot *s)
{
	(void)st;
	line_start(out, "stats");
	fprintf(out, "\"version\":%d,", MX_JSON_SCHEMA_VERSION);
	mx_sj_source_members(out, s);
	fputc(',', out);
	mx_sj_stats_members(out, s);
	line_end(out);
	for (size_t i = 0; i < s->n_findings; i++) {
		line_start(out, "finding");
		mx_sj_finding_members(out, &s->findings[i]);
		line_end(out);
	}
	for (size_t i = 0; i < s->n_domains; i++) {
		line_start(out, "domain");
		mx_sj_domain_members(out, &s->domains[i]);
		line_end(out);
	}
	for (size_t i = 0; i < s->n_resolvers; i++) {
		line_start(out, "resolver");
		mx_sj_server_members(out, &s->resolvers[i]);
		line_end(out);
	}
	for (size_t i = 0; i < s->n_authoritatives; i++) {
		line_start(out, "authoritative");
		mx_sj_server_members(out, &s->authoritatives[i]);
		line_end(out);
	}
	for (size_t i = 0; i < s->n_senders; i++) {
		line_start(out, "sender");
		mx_sj_sender_members(out, &s->senders[i]);
		line_end(out);
	}
	for (size_t i = 0; i < s->n_failing; i++) {
		line_start(out, "failing_name");
		mx_sj_failing_members(out, &s->failing[i]);
		line_end(out);
	}
	return 0;
}

const struct mx_sink_ops mx_sink_ndjson = {
	.name = "ndjson",
	.summary = "one JSON object per line: transactions, lookups, chains, then stats, findings and table rows",
	.state_size = 0,
	.open = nd_open,
	.txn = nd_txn,
	.lookup = nd_lookup,
	.close = nd_close,
	.chain = nd_chain,
};
