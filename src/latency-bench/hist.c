/* hist.c - bounds, merging and rank queries of the log-linear latency histogram */
#include <string.h>
#include "hist.h"

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

uint64_t hist_lower(unsigned i)
{
	unsigned m, sub;

	if (i < HIST_LINEAR)
		return i;
	m = 10u + (i - HIST_LINEAR) / HIST_SUB;
	sub = HIST_SUB + (i - HIST_LINEAR) % HIST_SUB;
	return (uint64_t)sub << (m - 9u);
}

uint64_t hist_upper(unsigned i)
{
	return i + 1 < HIST_BUCKETS ? hist_lower(i + 1) : HIST_LIMIT_NS;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	dst->overflow += src->overflow;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

double hist_mean_ns(const struct hist *h)
{
	return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}

uint64_t hist_at_rank(const struct hist *h, uint64_t rank)
{
	uint64_t seen = 0, v;
	unsigned i;

	if (!h->count || rank < 1 || rank > h->count)
		return 0;
	if (rank == 1)
		return h->min_ns;
	if (rank == h->count)
		return h->max_ns;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	/* past the last bucket only overflow samples remain: their bound is the exact max */
	v = i < HIST_BUCKETS ? hist_upper(i) - 1 : h->max_ns;
	if (v > h->max_ns)
		v = h->max_ns;
	if (v < h->min_ns)
		v = h->min_ns;
	return v;
}

uint64_t hist_count_above(const struct hist *h, uint64_t ns)
{
	uint64_t n = h->overflow;
	unsigned i;

	if (!h->count || h->max_ns <= ns)
		return 0;
	for (i = HIST_BUCKETS; i-- > 0;) {
		if (hist_upper(i) - 1 <= ns)
			break;
		n += h->buckets[i];
	}
	return n;
}
