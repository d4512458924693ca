/* stats.h - percentiles with the sample count behind each, from a latency histogram */
#ifndef LB_STATS_H
#define LB_STATS_H

#include <stdint.h>
#include "hist.h"

#define LB_NPCT 7

struct lb_percentile {
	const char *name;   /* "p99.9" (for people) */
	const char *key;    /* "p999" (for JSON) */
	uint64_t tail;      /* 1 / (1 - p): 1000 for p99.9 */
	int valid;          /* at least one sample lies beyond it */
	uint64_t rank;      /* 1-based rank of the sample it reports */
	uint64_t beyond;    /* samples ranked after it: the evidence behind it */
	uint64_t value_ns;
};

struct lb_stats {
	uint64_t samples;
	uint64_t min_ns, max_ns;
	double mean_ns;
	struct lb_percentile pct[LB_NPCT]; /* p50 p90 p99 p99.9 p99.99 p99.999 p99.9999 */
};

/*
 * The percentile p of n samples is the sample at rank n - floor(n (1 - p)); it is valid
 * when floor(n (1 - p)) >= 1, i.e. some sample lies beyond it. Integer arithmetic only, so
 * the ranks are exact.
 */
void lb_stats_from_hist(struct lb_stats *s, const struct hist *h);
/* The percentile with JSON key `key`, or NULL. */
const struct lb_percentile *lb_stats_pct(const struct lb_stats *s, const char *key);

#endif
