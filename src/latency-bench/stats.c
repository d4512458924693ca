/* stats.c - percentiles from the histogram, with exact integer ranks */
#include <string.h>
#include "stats.h"

static const struct {
	const char *name, *key;
	uint64_t tail;
} pct_table[LB_NPCT] = {
	{ "p50", "p50", 2 },
	{ "p90", "p90", 10 },
	{ "p99", "p99", 100 },
	{ "p99.9", "p999", 1000 },
	{ "p99.99", "p9999", 10000 },
	{ "p99.999", "p99999", 100000 },
	{ "p99.9999", "p999999", 1000000 },
};

void lb_stats_from_hist(struct lb_stats *s, const struct hist *h)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->samples = h->count;
	s->min_ns = h->count ? h->min_ns : 0;
	s->max_ns = h->max_ns;
	s->mean_ns = hist_mean_ns(h);
	for (i = 0; i < LB_NPCT; i++) {
		struct lb_percentile *p = &s->pct[i];

		p->name = pct_table[i].name;
		p->key = pct_table[i].key;
		p->tail = pct_table[i].tail;
		p->beyond = h->count / p->tail;
		p->valid = p->beyond >= 1;
		if (!p->valid) {
			p->beyond = 0;
			continue;
		}
		p->rank = h->count - p->beyond;
		p->value_ns = hist_at_rank(h, p->rank);
	}
}

const struct lb_percentile *lb_stats_pct(const struct lb_stats *s, const char *key)
{
	unsigned i;

	for (i = 0; i < LB_NPCT; i++)
		if (s->pct[i].key && strcmp(s->pct[i].key, key) == 0)
			return &s->pct[i];
	return NULL;
}
