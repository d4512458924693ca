/* lb.c - allocation and merging of one run's per-CPU measurements */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lb.h"

const double lb_budget_fractions[LB_NBUDGETS] = { 0.25, 0.5, 1.0 };

int lb_run_alloc(struct lb_run *r)
{
	int i;

	r->cpu = calloc((size_t)r->ncpus, sizeof(*r->cpu));
	if (!r->cpu)
		return -ENOMEM;
	for (i = 0; i < r->ncpus; i++) {
		struct lb_cpu *c = &r->cpu[i];

		hist_init(&c->hist);
		c->cpu = r->cpus[i];
		c->run = r;
		if (r->hist_us_max) {
			c->us_len = r->hist_us_max;
			c->us_bins = calloc(c->us_len, sizeof(*c->us_bins));
			if (!c->us_bins) {
				lb_run_free(r);
				return -ENOMEM;
			}
		}
	}
	hist_init(&r->merged);
	r->load_cmd_status = -1;
	return 0;
}

void lb_run_free(struct lb_run *r)
{
	int i;

	if (!r->cpu)
		return;
	for (i = 0; i < r->ncpus; i++)
		free(r->cpu[i].us_bins);
	free(r->cpu);
	r->cpu = NULL;
}

uint64_t lb_run_samples(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].hist.count, __ATOMIC_RELAXED);
	return n;
}

uint64_t lb_run_missed(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].missed, __ATOMIC_RELAXED);
	return n;
}

uint64_t lb_run_xruns(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].xruns, __ATOMIC_RELAXED);
	return n;
}

void lb_run_finish(struct lb_run *r, const char *load_desc)
{
	int i;

	hist_init(&r->merged);
	for (i = 0; i < r->ncpus; i++)
		hist_merge(&r->merged, &r->cpu[i].hist);
	lb_verdict_compute(&r->verdict, r->merged.count, r->merged.max_ns, r->elapsed_s, load_desc,
			   r->dsp_load);
}
