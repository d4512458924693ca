/* compare.c - results grouped by kernel, one observation per run, the statistics and the regression decision */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "strmap.h"
#include "util.h"

static const char *const metric_name[LB_CMP_NMETRICS] = { "p50", "p99", "p99.9", "max" };
static const char *const metric_samples[LB_CMP_NMETRICS] = { "2", "100", "1000", "1" };

const char *lb_cmp_metric_name(enum lb_cmp_metric m)
{
	return metric_name[m];
}

int lb_cmp_parse_metric(const char *s, enum lb_cmp_metric *m)
{
	for (int i = 0; i < LB_CMP_NMETRICS; i++)
		if (str_eq(s, lb_lat_key[i]) || str_eq(s, metric_name[i])) {
			*m = (enum lb_cmp_metric)i;
			return 0;
		}
	return -EINVAL;
}

/* ---------------------------------------------------------------------------------------- */
/* statistics */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double lb_cmp_median(const double *v, int n)
{
	double *s, m;

	if (n <= 0)
		return NAN;
	s = xmalloc((size_t)n * sizeof(*s));
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

double lb_cmp_min_p(int m, int n)
{
	double c = 1;

	/* C(m + n, m), built up so that every step stays an integer */
	for (int k = 1; k <= m; k++)
		c = c * (n + k) / k;
	return 1 / c;
}

double lb_cmp_hodges_lehmann(const double *x, int m, const double *y, int n)
{
	double *d, h;
	size_t k = 0;

	if (m <= 0 || n <= 0)
		return NAN;
	d = xmalloc((size_t)m * (size_t)n * sizeof(*d));
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++)
			d[k++] = y[j] - x[i];
	h = lb_cmp_median(d, (int)k);
	free(d);
	return h;
}

double lb_cmp_cliffs_delta(const double *x, int m, const double *y, int n)
{
	long long gt = 0, lt = 0;

	if (m <= 0 || n <= 0)
		return NAN;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			gt += y[j] > x[i];
			lt += y[j] < x[i];
		}
	return (double)(gt - lt) / ((double)m * n);
}

struct pooled {
	double v;
	int from_y;
};

static int cmp_pooled(const void *a, const void *b)
{
	return cmp_double(&((const struct pooled *)a)->v, &((const struct pooled *)b)->v);
}

/* P(rank sum of n of the N doubled midranks `r2` >= w2), counting all C(N, n) subsets */
static double exact_upper_tail(const int *r2, int N, int n, long w2)
{
	long smax = 0;
	double *cnt, total = 0, tail = 0;

	for (int i = 0; i < N; i++)
		smax += r2[i];
	cnt = xcalloc((size_t)(n + 1) * (size_t)(smax + 1), sizeof(*cnt));
#define CNT(k, s) cnt[(size_t)(k) * (size_t)(smax + 1) + (size_t)(s)]
	CNT(0, 0) = 1;
	for (int i = 0; i < N; i++)
		for (int k = (i + 1 < n ? i + 1 : n); k >= 1; k--)
			for (long s = smax - r2[i]; s >= 0; s--)
				if (CNT(k - 1, s) != 0)
					CNT(k, s + r2[i]) += CNT(k - 1, s);
	for (long s = 0; s <= smax; s++) {
		total += CNT(n, s);
		if (s >= w2)
			tail += CNT(n, s);
	}
#undef CNT
	free(cnt);
	return tail / total;
}

double lb_cmp_mann_whitney(const double *x, int m, const double *y, int n, double *u)
{
	int N = m + n;
	struct pooled *p;
	int *r2;
	long w2 = 0;
	double ties = 0, uu, pval;

	if (u)
		*u = 0;
	if (m <= 0 || n <= 0)
		return 1;
	p = xmalloc((size_t)N * sizeof(*p));
	r2 = xmalloc((size_t)N * sizeof(*r2));
	for (int i = 0; i < m; i++)
		p[i] = (struct pooled){ x[i], 0 };
	for (int j = 0; j < n; j++)
		p[m + j] = (struct pooled){ y[j], 1 };
	qsort(p, (size_t)N, sizeof(*p), cmp_pooled);
	/* midranks, doubled so that they stay integers: a tie over ranks a..b gets a + b */
	for (int i = 0; i < N;) {
		int j = i;

		while (j + 1 < N && p[j + 1].v == p[i].v)
			j++;
		for (int k = i; k <= j; k++) {
			r2[k] = (i + 1) + (j + 1);
			if (p[k].from_y)
				w2 += r2[k];
		}
		ties += pow(j - i + 1, 3) - (j - i + 1);
		i = j + 1;
	}
	uu = (double)w2 / 2 - (double)n * (n + 1) / 2;
	if (u)
		*u = uu;
	if (N <= LB_CMP_EXACT_MAX) {
		pval = exact_upper_tail(r2, N, n, w2);
	} else {
		double mu = (double)m * n / 2;
		double var = (double)m * n / 12 * ((N + 1) - ties / ((double)N * (N - 1)));

		pval = var > 0 ? 0.5 * erfc((uu - mu - 0.5) / sqrt(var) / sqrt(2)) : 1;
		if (pval > 1)
			pval = 1;
	}
	free(p);
	free(r2);
	return pval;
}

void lb_cmp_decide(struct lb_cmp_decision *d, const double *x, int m, const double *y, int n,
		   unsigned base_safe, unsigned safe, double tolerance)
{
	memset(d, 0, sizeof(*d));
	d->base_median = lb_cmp_median(x, m);
	d->median = lb_cmp_median(y, n);
	if (d->base_median > 0)
		d->ratio = d->median / d->base_median;
	else
		d->ratio = d->median > 0 ? INFINITY : 1;
	d->shift_us = lb_cmp_hodges_lehmann(x, m, y, n);
	d->delta = lb_cmp_cliffs_delta(x, m, y, n);
	/* p is a ratio of counts: 1/20 must meet alpha 0.05 whatever the rounding */
	d->tested = lb_cmp_min_p(m, n) <= LB_CMP_ALPHA * (1 + 1e-9);
	d->p = NAN;
	if (d->tested)
		d->p = lb_cmp_mann_whitney(x, m, y, n, &d->u);
	else
		d->u = (d->delta + 1) / 2 * m * n; /* the same U, without its distribution */
	d->latency_regressed = d->ratio > 1 + tolerance && (!d->tested || d->p <= LB_CMP_ALPHA * (1 + 1e-9));

	d->base_safe = base_safe;
	d->safe = safe;
	if (base_safe != LB_CMP_SAFE_UNKNOWN && safe != LB_CMP_SAFE_UNKNOWN && base_safe != LB_CMP_SAFE_NONE)
		d->safe_regressed = safe == LB_CMP_SAFE_NONE || safe > base_safe * (1 + tolerance);
	d->regressed = d->latency_regressed || d->safe_regressed;
}

/* ---------------------------------------------------------------------------------------- */
/* reading results */

int lb_cmp_add_file(struct lb_cmp *c, const char *path, struct strbuf *err)
{
	struct lb_cmp_run r = { 0 };
	enum lb_cmp_metric m = c->o.metric;
	int ret;

	ret = lb_result_read(path, LB_NEED_RUN, &r.res, err);
	if (ret)
		return ret;
	if (isnan(r.res.lat[m])) {
		strbuf_addf(err, "%s: error: no %s latency (\"latency_us\".\"%s\" is null: it needs at least %s "
			    "samples, this run has %" PRIu64 "); compare another --metric",
			    path, metric_name[m], lb_lat_key[m], metric_samples[m], r.res.samples);
		ret = -EINVAL;
	} else if (c->o.by == LB_CMP_BY_RELEASE && !r.res.release) {
		strbuf_addf(err, "%s: error: no \"system\".\"kernel_release\" to group it by (--by label "
			    "groups by the label)", path);
		ret = -EINVAL;
	}
	if (ret) {
		lb_result_release(&r.res);
		return ret;
	}
	r.path = xstrdup(path);
	ALLOC_GROW(c->run, c->nruns + 1, c->alloc_runs);
	c->run[c->nruns++] = r;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* grouping and deciding */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* *sum += v, or -1 (and *sum unchanged) when the total does not fit */
static int add_checked(uint64_t *sum, uint64_t v)
{
	uint64_t t;

	if (__builtin_add_overflow(*sum, v, &t))
		return -1;
	*sum = t;
	return 0;
}

/* The group's totals and median safe size; -EINVAL when a total does not fit (err set). */
static int group_figures(struct lb_cmp *c, struct lb_cmp_group *g, struct strbuf *err)
{
	double *v = xmalloc((size_t)g->nruns * sizeof(*v));
	unsigned *safe = xmalloc((size_t)g->nruns * sizeof(*safe));
	int unknown = 0;

	for (int k = 0; k < LB_CMP_NMETRICS; k++) {
		int n = 0;

		for (int i = 0; i < g->nruns; i++)
			if (!isnan(c->run[g->runs[i]].res.lat[k]))
				v[n++] = c->run[g->runs[i]].res.lat[k];
		g->lat[k] = lb_cmp_median(v, n);
	}
	free(v);
	for (int i = 0; i < g->nruns; i++) {
		const struct lb_cmp_run *r = &c->run[g->runs[i]];
		const char *what = add_checked(&g->samples, r->res.samples) ? "samples"
				   : add_checked(&g->missed, r->res.missed)  ? "missed_periods"
				   : add_checked(&g->xruns, r->res.xruns)    ? "xruns"
									     : NULL;

		if (what) {
			strbuf_addf(err, "%s: error: \"%s\" of the results of %s '%s' add up to more than %" PRIu64,
				    r->path, what, lb_cmp_group_word(c, 0), g->key, UINT64_MAX);
			free(safe);
			return -EINVAL;
		}
		unknown |= r->res.safe == LB_CMP_SAFE_UNKNOWN;
		/* none sorts above every size: it is the worst */
		safe[i] = r->res.safe == LB_CMP_SAFE_NONE ? UINT_MAX - 1 : r->res.safe;
	}
	qsort(safe, (size_t)g->nruns, sizeof(*safe), cmp_unsigned);
	g->safe = unknown ? LB_CMP_SAFE_UNKNOWN : safe[g->nruns / 2] == UINT_MAX - 1 ? LB_CMP_SAFE_NONE
											    : safe[g->nruns / 2];
	free(safe);
	return 0;
}

static double *metric_values(const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	double *v = xmalloc((size_t)g->nruns * sizeof(*v));

	for (int i = 0; i < g->nruns; i++)
		v[i] = c->run[g->runs[i]].res.lat[c->o.metric];
	return v;
}

const char *lb_cmp_group_word(const struct lb_cmp *c, int plural)
{
	if (c->by == LB_CMP_BY_LABEL)
		return plural ? "labels" : "label";
	if (c->by == LB_CMP_BY_FILE)
		return plural ? "files" : "file";
	return plural ? "kernel releases" : "kernel release";
}

static void free_groups(struct lb_cmp *c)
{
	for (int i = 0; i < c->ncauses; i++)
		free(c->cause[i].side);
	free(c->cause);
	c->cause = NULL;
	c->ncauses = c->has_analysis = 0;
	for (int k = 0; k < c->ngroups; k++) {
		free(c->group[k].key);
		free(c->group[k].runs);
		free(c->group[k].analysis.why);
	}
	free(c->group);
	c->group = NULL;
	c->ngroups = 0;
}

/* Do two runs have the same file name (the part after the last slash)? */
static int same_file_names(const struct lb_cmp *c)
{
	struct strmap seen;
	int same = 0;

	strmap_init(&seen);
	for (int i = 0; i < c->nruns && !same; i++) {
		const char *base = strrchr(c->run[i].path, '/');

		base = base ? base + 1 : c->run[i].path;
		same = strmap_get(&seen, base) != NULL;
		strmap_put(&seen, base, (void *)1);
	}
	strmap_release(&seen);
	return same;
}

/* c->group from the runs' keys under `by`, in order of first appearance */
static void group_runs(struct lb_cmp *c, enum lb_cmp_by by)
{
	struct strmap index; /* key -> group number + 1 */
	int *gi, whole_paths = by == LB_CMP_BY_FILE && same_file_names(c);

	/* first the groups and their sizes, then their runs: thousands of files stay linear */
	c->by = by;
	strmap_init(&index);
	gi = xmalloc((size_t)c->nruns * sizeof(*gi));
	c->group = xcalloc((size_t)c->nruns, sizeof(*c->group));
	for (int i = 0; i < c->nruns; i++) {
		struct lb_cmp_run *r = &c->run[i];
		intptr_t k;

		if (by == LB_CMP_BY_FILE) {
			const char *base = strrchr(r->path, '/');

			r->key = base && !whole_paths ? base + 1 : r->path;
		} else {
			r->key = by == LB_CMP_BY_LABEL ? r->res.hist.label : r->res.release;
		}
		k = (intptr_t)strmap_get(&index, r->key);
		if (!k) {
			k = ++c->ngroups;
			c->group[k - 1].key = xstrdup(r->key);
			strmap_put(&index, c->group[k - 1].key, (void *)k);
		}
		gi[i] = (int)k - 1;
		c->group[k - 1].nruns++;
	}
	for (int k = 0; k < c->ngroups; k++) {
		c->group[k].runs = xmalloc((size_t)c->group[k].nruns * sizeof(*c->group[k].runs));
		c->group[k].nruns = 0;
	}
	for (int i = 0; i < c->nruns; i++) {
		struct lb_cmp_group *g = &c->group[gi[i]];

		g->runs[g->nruns++] = i;
	}
	free(gi);
	strmap_release(&index);
}

/* ---------------------------------------------------------------------------------------- */
/* what made wakeups late, side by side */

static void add_reason(struct lb_cmp_analysis *a, const char *why)
{
	size_t n = strlen(why);

	/* each reason once */
	for (const char *p = a->why; p;) {
		const char *end = strstr(p, "; ");

		if ((end ? (size_t)(end - p) : strlen(p)) == n && !strncmp(p, why, n))
			return;
		p = end ? end + 2 : NULL;
	}
	if (!a->why) {
		a->why = xstrdup(why);
	} else {
		char *t = xasprintf("%s; %s", a->why, why);

		free(a->why);
		a->why = t;
	}
}

static int by_worst(const void *a, const void *b)
{
	const struct lb_cmp_cause *x = a, *y = b;

	if (x->worst_us != y->worst_us)
		return x->worst_us < y->worst_us ? 1 : -1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	return strcmp(x->name, y->name);
}

static void compare_causes(struct lb_cmp *c)
{
	struct strmap index; /* "kind name" (allocated) -> cause number + 1 */
	const struct strmap_entry *e;
	int alloc = 0;

	strmap_init(&index);
	for (int k = 0; k < c->ngroups; k++) {
		struct lb_cmp_group *g = &c->group[k];

		for (int i = 0; i < g->nruns; i++) {
			const struct lb_result *res = &c->run[g->runs[i]].res;

			c->has_analysis |= res->has_analysis;
			if (res->has_analysis && res->analysis_available) {
				g->analysis.analysed++;
			} else {
				g->analysis.unavailable++;
				add_reason(&g->analysis, !res->has_analysis ? "the result has none (written by an older "
							  "latency-bench)" : res->analysis_reason);
			}
			/* causes without an available analysis (a hand-edited file) are no side's */
			for (int j = 0; res->has_analysis && res->analysis_available && j < res->ncauses; j++) {
				const struct lb_result_cause *rc = &res->causes[j];
				char *key = xasprintf("%d %s", rc->kind, rc->name);
				intptr_t n = (intptr_t)strmap_get(&index, key);
				struct lb_cmp_cause_side *sd;

				if (!n) {
					ALLOC_GROW(c->cause, c->ncauses + 1, alloc);
					c->cause[c->ncauses] = (struct lb_cmp_cause){
						.kind = rc->kind, .name = rc->name,
						.side = xcalloc((size_t)c->ngroups, sizeof(*c->cause[0].side)) };
					n = ++c->ncauses;
					strmap_put(&index, key, (void *)n); /* the map keeps the key */
				} else {
					free(key);
				}
				sd = &c->cause[n - 1].side[k];
				sd->seen = 1;
				if (rc->max_us > sd->max_us)
					sd->max_us = rc->max_us;
				if (rc->max_us > c->cause[n - 1].worst_us)
					c->cause[n - 1].worst_us = rc->max_us;
				sd->total_us += rc->total_us;
				if (add_checked(&sd->count, rc->count))
					sd->count = UINT64_MAX;
			}
		}
	}
	for (size_t it = 0; strmap_next(&index, &it, &e);)
		free((char *)e->key);
	strmap_release(&index);
	if (c->ncauses)
		qsort(c->cause, (size_t)c->ncauses, sizeof(*c->cause), by_worst);
}

int lb_cmp_group_timeline_run(const struct lb_cmp *c, const struct lb_cmp_group *g, size_t min_steps)
{
	int best = -1;

	for (int i = 0; i < g->nruns; i++) {
		const struct lb_result *res = &c->run[g->runs[i]].res;

		if (res->ntimeline >= min_steps && res->ntimeline > 0 &&
		    (best < 0 || res->hist.max_us > c->run[best].res.hist.max_us))
			best = g->runs[i];
	}
	return best;
}

int lb_cmp_analyse(struct lb_cmp *c, struct strbuf *err)
{
	int base = 0;

	if (!c->nruns) {
		strbuf_addstr(err, "error: no result files to compare");
		return -EINVAL;
	}
	group_runs(c, c->o.by);
	/* runs before and after a change on one kernel, the most common comparison: by label, else by file */
	if (c->ngroups == 1 && c->nruns > 1 && c->o.by == LB_CMP_BY_RELEASE && !c->o.by_given) {
		char *release = xstrdup(c->group[0].key);

		free_groups(c);
		group_runs(c, LB_CMP_BY_LABEL);
		if (c->ngroups < 2) {
			free_groups(c);
			group_runs(c, LB_CMP_BY_FILE);
		}
		c->note = xasprintf("all results are of kernel %s: compared by %s", release,
				    c->by == LB_CMP_BY_LABEL ? "label" : "file");
		free(release);
	}
	if (c->o.baseline) {
		for (base = 0; base < c->ngroups && !str_eq(c->group[base].key, c->o.baseline); base++)
			;
		if (base == c->ngroups) {
			struct strbuf keys = STRBUF_INIT;

			for (int k = 0; k < c->ngroups; k++)
				strbuf_addf(&keys, "%s'%s'", k ? ", " : "", c->group[k].key);
			strbuf_addf(err, "error: no result of baseline '%s' (the %s given: %s)",
				    c->o.baseline, lb_cmp_group_word(c, 1), keys.buf);
			strbuf_release(&keys);
			return -EINVAL;
		}
	}
	if (c->ngroups < 2) {
		strbuf_addf(err, "error: all %d result%s of one %s, '%s': nothing to compare with%s",
			    c->nruns, c->nruns == 1 ? " is" : "s are", lb_cmp_group_word(c, 0), c->group[0].key,
			    c->by == LB_CMP_BY_RELEASE ? " (--by label groups by the results' labels, --by file "
							 "each file on its own)" : "");
		return -EINVAL;
	}
	if (base) {
		struct lb_cmp_group b = c->group[base];

		memmove(&c->group[1], &c->group[0], (size_t)base * sizeof(*c->group));
		c->group[0] = b;
	}
	for (int k = 0; k < c->ngroups; k++)
		if (group_figures(c, &c->group[k], err))
			return -EINVAL;
	c->nregressed = 0;
	for (int k = 1; k < c->ngroups; k++) {
		struct lb_cmp_group *g = &c->group[k];
		double *x = metric_values(c, &c->group[0]), *y = metric_values(c, g);

		lb_cmp_decide(&g->d, x, c->group[0].nruns, y, g->nruns, c->group[0].safe, g->safe,
			      c->o.tolerance);
		c->nregressed += g->d.regressed;
		free(x);
		free(y);
	}
	compare_causes(c);
	return 0;
}

void lb_cmp_warnings(const struct lb_cmp *c, struct strbuf *out)
{
	struct strbuf planes = STRBUF_INIT, intervals = STRBUF_INIT;
	int nplanes = 0, nintervals = 0;

	for (int i = 0; i < c->nruns; i++) {
		const struct lb_cmp_run *r = &c->run[i];
		int seen = 0;

		for (int j = 0; j < i && !seen; j++)
			seen = (r->res.plane ? c->run[j].res.plane && str_eq(c->run[j].res.plane, r->res.plane)
					     : !c->run[j].res.plane);
		if (!seen) {
			strbuf_addf(&planes, "%s%s", nplanes ? ", " : "", r->res.plane ? r->res.plane : "unknown");
			nplanes++;
		}
		seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = c->run[j].res.interval_ns == r->res.interval_ns;
		if (!seen) {
			if (r->res.interval_ns < 0)
				strbuf_addf(&intervals, "%sunknown", nintervals ? ", " : "");
			else
				strbuf_addf(&intervals, "%s%.1f us", nintervals ? ", " : "", r->res.interval_ns / 1e3);
			nintervals++;
		}
	}
	if (nplanes > 1)
		strbuf_addf(out, "the results are of different planes (%s): their latencies measure different "
			    "things\n", planes.buf);
	if (nintervals > 1)
		strbuf_addf(out, "the results have different wakeup intervals (%s): compare runs made with the "
			    "same --interval or --period and --rate\n", intervals.buf);
	strbuf_release(&planes);
	strbuf_release(&intervals);
}

void lb_cmp_free(struct lb_cmp *c)
{
	for (int i = 0; i < c->nruns; i++) {
		free(c->run[i].path);
		lb_result_release(&c->run[i].res);
	}
	free(c->run);
	free_groups(c);
	free(c->note);
	c->run = NULL;
	c->note = NULL;
	c->nruns = c->alloc_runs = 0;
}
