/* sink/sink.c - the table of report writers and the opened-sink wrapper (L6).
 *
 * mx_sinks lists every output by name; struct mx_sink pairs one row's ops
 * with its zeroed state and its stream, and forwards events in order:
 * open, then transactions/lookups/chains, then close with the final snapshot.
 * Events before open or after close are ignored. close reports a write error
 * on the stream (ferror / fflush) as MX_EIO. The stream is not owned.
 */
#include "mxsniff/sink.h"
#include "mxsniff/err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const struct mx_sink_ops *const mx_sinks[] = {
	&mx_sink_text,
	&mx_sink_json,
	&mx_sink_ndjson,
	&mx_sink_md,
	NULL,
};

const struct mx_sink_ops *mx_sink_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; mx_sinks[i]; i++)
		if (strcmp(mx_sinks[i]->name, name) == 0)
			return mx_sinks[i];
	return NULL;
}

struct mx_sink {
	const struct mx_sink_ops *ops;
	FILE *out;
	void *st;
	bool opened, closed;
};

struct mx_sink *mx_sink_new(const struct mx_sink_ops *ops, FILE *out)
{
	struct mx_sink *s;
	if (!ops || !out)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->st = calloc(1, ops->state_size ? ops->state_size : 1);
	if (!s->st) {
		free(s);
		return NULL;
	}
	s->ops = ops;
	s->out = out;
	return s;
}

int mx_sink_open(struct mx_sink *s)
{
	int rc;
	if (s->opened)
		return MX_EINVAL;
	rc = s->ops->open ? s->ops->open(s->st, s->out) : 0;
	if (rc == 0)
		s->opened = true;
	return rc;
}

void mx_sink_txn(struct mx_sink *s, const struct mx_txn *t)
{
	if (s->opened && !s->closed && s->ops->txn)
		s->ops->txn(s->st, s->out, t);
}

void mx_sink_lookup(struct mx_sink *s, const struct mx_lookup *l)
{
	if (s->opened && !s->closed && s->ops->lookup)
		s->ops->lookup(s->st, s->out, l);
}

void mx_sink_chain(struct mx_sink *s, const struct mx_chain *c)
{
	if (s->opened && !s->closed && s->ops->chain)
		s->ops->chain(s->st, s->out, c);
}

void mx_sink_finding(struct mx_sink *s, const struct mx_finding *f)
{
	if (s->opened && !s->closed && s->ops->finding)
		s->ops->finding(s->st, s->out, f);
}

bool mx_sink_streams_findings(const struct mx_sink *s)
{
	return s->ops->finding != NULL;
}

int mx_sink_close(struct mx_sink *s, const struct mx_snapshot *snap)
{
	int rc = 0;
	if (!s->opened || s->closed)
		return MX_EINVAL;
	s->closed = true;
	if (s->ops->close)
		rc = s->ops->close(s->st, s->out, snap);
	if (fflush(s->out) != 0 || ferror(s->out))
		return rc ? rc : MX_EIO;
	return rc;
}

void mx_sink_free(struct mx_sink *s)
{
	if (!s)
		return;
	free(s->st);
	free(s);
}
