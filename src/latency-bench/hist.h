/* hist.h - a latency histogram that never loses a sample: log-linear buckets (HDR style) in ns */
#ifndef LB_HIST_H
#define LB_HIST_H

#include <stdint.h>

/*
 * Buckets 0..1023 are 1 ns wide (values 0..1023 ns); above that every power of two
 * [2^m, 2^(m+1)) is cut into 512 equal buckets, so a bucket is never wider than
 * 1/512 (0.2 %) of its lower bound. The last bucket ends at 2^36 ns (68.7 s); longer
 * values land in `overflow` and still count in min, max and mean.
 */
#define HIST_LINEAR 1024u
#define HIST_SUB 512u
#define HIST_TOP_BIT 36u
#define HIST_BUCKETS (HIST_LINEAR + (HIST_TOP_BIT - 10u) * HIST_SUB)
#define HIST_LIMIT_NS (UINT64_C(1) << HIST_TOP_BIT)

struct hist {
	uint64_t count;    /* every sample, overflow included */
	uint64_t min_ns;   /* exact; UINT64_MAX while empty */
	uint64_t max_ns;   /* exact */
	uint64_t sum_ns;   /* exact: for the mean */
	uint64_t overflow; /* samples >= HIST_LIMIT_NS */
	uint64_t buckets[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t ns)
{
	unsigned m;

	if (ns < HIST_LINEAR)
		return (unsigned)ns;
	m = 63u - (unsigned)__builtin_clzll(ns);
	return HIST_LINEAR + (m - 10u) * HIST_SUB + (unsigned)((ns >> (m - 9u)) - HIST_SUB);
}

/* The measuring loop's only histogram call: no allocation, no locks, a few instructions. */
static inline void hist_add(struct hist *h, uint64_t ns)
{
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		__atomic_store_n(&h->max_ns, ns, __ATOMIC_RELAXED);
	h->sum_ns += ns;
	if (ns < HIST_LIMIT_NS)
		h->buckets[hist_index(ns)]++;
	else
		h->overflow++;
	__atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELAXED);
}

void hist_init(struct hist *h);
/* Bucket i covers [hist_lower(i), hist_upper(i)) ns. */
uint64_t hist_lower(unsigned i);
uint64_t hist_upper(unsigned i);
void hist_merge(struct hist *dst, const struct hist *src);
double hist_mean_ns(const struct hist *h); /* 0 when empty */
/*
 * The value of the sample at 1-based `rank` in sorted order, as the upper end of its
 * bucket clamped to [min, max] (so rank 1 is the exact min and rank count the exact max).
 * 0 when empty or rank is out of range.
 */
uint64_t hist_at_rank(const struct hist *h, uint64_t rank);
/* Samples strictly above `ns`, counting a bucket that straddles `ns` as above (an upper bound). */
uint64_t hist_count_above(const struct hist *h, uint64_t ns);

#endif
