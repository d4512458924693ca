/* compare.c - results grouped by kernel, one observation per run, a regression decision and its reports */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* json-c by its directory: a bare <json.h> would find lib/json.h first (-Ilib) */
#include <json-c/json.h>

#include "strmap.h"
#include "util.h"

#define MAX_LATENCY_US 1e12 /* as plot.c: anything above is a broken file */
#define MAX_FRAMES 1048576u

static const char *const metric_key[LB_CMP_NMETRICS] = { "p50", "p99", "p999", "max" };
static const char *const metric_name[LB_CMP_NMETRICS] = { "p50", "p99", "p99.9", "max" };
static const char *const metric_samples[LB_CMP_NMETRICS] = { "2", "100", "1000", "1" };

const char *lb_cmp_metric_name(enum lb_cmp_metric m)
{
	return metric_name[m];
}

int lb_cmp_parse_metric(const char *s, enum lb_cmp_metric *m)
{
	for (int i = 0; i < LB_CMP_NMETRICS; i++)
		if (str_eq(s, metric_key[i]) || str_eq(s, metric_name[i])) {
			*m = (enum lb_cmp_metric)i;
			return 0;
		}
	return -EINVAL;
}

KB_PRINTF(4, 5)
static void set_err(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path)
		snprintf(err, errlen, "%s: error: %s", path, msg);
	else
		snprintf(err, errlen, "error: %s", msg);
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

/* a string member or NULL; -1 when it is there but not a string */
static int get_string(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v = lb_json_member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

static void run_free(struct lb_cmp_run *r)
{
	free(r->path);
	free(r->release);
	free(r->plane);
	free(r->verdict);
	for (int i = 0; i < r->nchecks; i++) {
		free(r->checks[i].id);
		free(r->checks[i].title);
		free(r->checks[i].status);
		free(r->checks[i].value);
	}
	free(r->checks);
	lb_plot_series_free(&r->hist);
	memset(r, 0, sizeof(*r));
}

static int read_safe(struct json_object *root, const char *path, unsigned *safe, char *err, size_t errlen)
{
	struct json_object *arr = lb_json_member(lb_json_member(root, "verdict"), "safe");
	size_t n;

	*safe = LB_CMP_SAFE_UNKNOWN;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		set_err(err, errlen, path, "\"verdict\".\"safe\" is not an array");
		return -EINVAL;
	}
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *f;
		uint64_t rate, periods, frames;

		if (!json_object_is_type(e, json_type_object) || lb_json_count(lb_json_member(e, "rate"), &rate) ||
		    lb_json_count(lb_json_member(e, "periods"), &periods)) {
			set_err(err, errlen, path, "\"verdict\".\"safe\"[%zu] is not an object with "
				"integer \"rate\" and \"periods\"", i);
			return -EINVAL;
		}
		if (rate != LB_CMP_SAFE_RATE || periods != LB_CMP_SAFE_PERIODS)
			continue;
		f = lb_json_member(e, "frames");
		if (!f) {
			*safe = LB_CMP_SAFE_NONE;
		} else if (lb_json_count(f, &frames) || frames == 0 || frames > MAX_FRAMES) {
			set_err(err, errlen, path, "\"verdict\".\"safe\"[%zu].\"frames\" is not null or "
				"a number of frames from 1 to %u", i, MAX_FRAMES);
			return -EINVAL;
		} else {
			*safe = (unsigned)frames;
		}
	}
	return 0;
}

static int read_checks(struct json_object *sys, const char *path, struct lb_cmp_run *r, char *err,
		       size_t errlen)
{
	struct json_object *arr = lb_json_member(sys, "checks");
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		set_err(err, errlen, path, "\"system\".\"checks\" is not an array");
		return -EINVAL;
	}
	n = json_object_array_length(arr);
	r->checks = xcalloc(n ? n : 1, sizeof(*r->checks));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *id, *title, *status, *value;

		if (!json_object_is_type(e, json_type_object) || get_string(e, "id", &id) || !id ||
		    get_string(e, "title", &title) || get_string(e, "status", &status) ||
		    get_string(e, "value", &value)) {
			set_err(err, errlen, path, "\"system\".\"checks\"[%zu] is not an object with "
				"string \"id\", \"title\", \"status\" and \"value\"", i);
			return -EINVAL;
		}
		r->checks[r->nchecks].id = xstrdup(id);
		r->checks[r->nchecks].title = xstrdup(title ? title : id);
		r->checks[r->nchecks].status = xstrdup(status ? status : "");
		r->checks[r->nchecks].value = xstrdup(value ? value : "");
		r->nchecks++;
	}
	return 0;
}

static int read_run(struct json_object *root, const char *path, enum lb_cmp_metric metric,
		    struct lb_cmp_run *r, char *err, size_t errlen)
{
	static const char *const counts[] = { "samples", "missed_periods", "xruns" };
	uint64_t *count_out[] = { &r->samples, &r->missed, &r->xruns };
	struct json_object *sys = lb_json_member(root, "system"), *lat, *v;
	const char *s;

	if (sys && !json_object_is_type(sys, json_type_object)) {
		set_err(err, errlen, path, "\"system\" is not an object");
		return -EINVAL;
	}
	if (get_string(sys, "kernel_release", &s)) {
		set_err(err, errlen, path, "\"system\".\"kernel_release\" is not a string");
		return -EINVAL;
	}
	r->release = s && *s ? xstrdup(s) : NULL;
	if (get_string(root, "plane", &s)) {
		set_err(err, errlen, path, "\"plane\" is not a string");
		return -EINVAL;
	}
	r->plane = s && *s ? xstrdup(s) : NULL;
	r->interval_ns = -1;
	v = lb_json_member(lb_json_member(root, "params"), "interval_ns");
	if (v) {
		uint64_t ns;

		if (lb_json_count(v, &ns)) {
			set_err(err, errlen, path, "\"params\".\"interval_ns\" is not an integer >= 0");
			return -EINVAL;
		}
		r->interval_ns = (int64_t)ns;
	}
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		v = lb_json_member(root, counts[i]);
		if (!v) {
			set_err(err, errlen, path, "no \"%s\"", counts[i]);
			return -EINVAL;
		}
		if (lb_json_count(v, count_out[i])) {
			set_err(err, errlen, path, "\"%s\" is not an integer >= 0", counts[i]);
			return -EINVAL;
		}
	}
	lat = lb_json_member(root, "latency_us");
	if (!lat) {
		set_err(err, errlen, path, "no \"latency_us\"");
		return -EINVAL;
	}
	for (int i = 0; i < LB_CMP_NMETRICS; i++) {
		double d;

		v = lb_json_member(lat, metric_key[i]);
		r->lat[i] = NAN;
		if (!v)
			continue;
		d = json_object_get_double(v);
		if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
		    !(d >= 0 && d <= MAX_LATENCY_US)) {
			set_err(err, errlen, path, "\"latency_us\".\"%s\" is not null or a number from 0 to %.0f",
				metric_key[i], MAX_LATENCY_US);
			return -EINVAL;
		}
		r->lat[i] = d;
	}
	if (isnan(r->lat[metric])) {
		set_err(err, errlen, path, "no %s latency (\"latency_us\".\"%s\" is null: it needs at least %s "
			"samples, this run has %" PRIu64 "); compare another --metric",
			metric_name[metric], metric_key[metric], metric_samples[metric], r->samples);
		return -EINVAL;
	}
	if (read_safe(root, path, &r->safe, err, errlen) || read_checks(sys, path, r, err, errlen))
		return -EINVAL;
	if (get_string(lb_json_member(root, "verdict"), "summary", &s)) {
		set_err(err, errlen, path, "\"verdict\".\"summary\" is not a string");
		return -EINVAL;
	}
	r->verdict = s ? xstrdup(s) : NULL;
	return 0;
}

int lb_cmp_add_file(struct lb_cmp *c, const char *path, char *err, size_t errlen)
{
	struct json_object *root = NULL;
	struct lb_cmp_run r = { 0 };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	ret = lb_plot_read_result(path, &r.hist, &root, err, errlen);
	if (ret)
		return ret;
	r.path = xstrdup(path);
	ret = read_run(root, path, c->o.metric, &r, err, errlen);
	json_object_put(root);
	if (!ret && c->o.by == LB_CMP_BY_RELEASE && !r.release) {
		set_err(err, errlen, path, "no \"system\".\"kernel_release\" to group it by (--by label "
			"groups by the label)");
		ret = -EINVAL;
	}
	if (ret) {
		run_free(&r);
		return ret;
	}
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

static void add_sat(uint64_t *sum, uint64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = UINT64_MAX;
}

static void group_figures(struct lb_cmp *c, struct lb_cmp_group *g)
{
	double *v = xmalloc((size_t)g->nruns * sizeof(*v));
	unsigned *safe = xmalloc((size_t)g->nruns * sizeof(*safe));
	int unknown = 0;

	for (int k = 0; k < LB_CMP_NMETRICS; k++) {
		int n = 0;

		for (int i = 0; i < g->nruns; i++)
			if (!isnan(c->run[g->runs[i]].lat[k]))
				v[n++] = c->run[g->runs[i]].lat[k];
		g->lat[k] = lb_cmp_median(v, n);
	}
	for (int i = 0; i < g->nruns; i++) {
		const struct lb_cmp_run *r = &c->run[g->runs[i]];

		add_sat(&g->samples, r->samples);
		add_sat(&g->missed, r->missed);
		add_sat(&g->xruns, r->xruns);
		unknown |= r->safe == LB_CMP_SAFE_UNKNOWN;
		/* none sorts above every size: it is the worst */
		safe[i] = r->safe == LB_CMP_SAFE_NONE ? UINT_MAX - 1 : r->safe;
	}
	qsort(safe, (size_t)g->nruns, sizeof(*safe), cmp_unsigned);
	g->safe = unknown ? LB_CMP_SAFE_UNKNOWN : safe[g->nruns / 2] == UINT_MAX - 1 ? LB_CMP_SAFE_NONE
											    : safe[g->nruns / 2];
	free(v);
	free(safe);
}

static double *metric_values(const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	double *v = xmalloc((size_t)g->nruns * sizeof(*v));

	for (int i = 0; i < g->nruns; i++)
		v[i] = c->run[g->runs[i]].lat[c->o.metric];
	return v;
}

static const char *group_word(const struct lb_cmp *c, int plural)
{
	if (c->o.by == LB_CMP_BY_LABEL)
		return plural ? "labels" : "label";
	return plural ? "kernel releases" : "kernel release";
}

int lb_cmp_analyse(struct lb_cmp *c, char *err, size_t errlen)
{
	struct strmap index; /* key -> group number + 1 */
	int base = 0, *gi;

	if (err && errlen)
		err[0] = '\0';
	if (!c->nruns) {
		set_err(err, errlen, NULL, "no result files to compare");
		return -EINVAL;
	}
	/* first the groups and their sizes, then their runs: thousands of files stay linear */
	strmap_init(&index);
	gi = xmalloc((size_t)c->nruns * sizeof(*gi));
	c->group = xcalloc((size_t)c->nruns, sizeof(*c->group));
	for (int i = 0; i < c->nruns; i++) {
		struct lb_cmp_run *r = &c->run[i];
		intptr_t k;

		r->key = c->o.by == LB_CMP_BY_LABEL ? r->hist.label : r->release;
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
	if (c->o.baseline) {
		for (base = 0; base < c->ngroups && !str_eq(c->group[base].key, c->o.baseline); base++)
			;
		if (base == c->ngroups) {
			struct strbuf keys = STRBUF_INIT;

			for (int k = 0; k < c->ngroups; k++)
				strbuf_addf(&keys, "%s'%s'", k ? ", " : "", c->group[k].key);
			set_err(err, errlen, NULL, "no result of baseline '%s' (the %s given: %s)",
				c->o.baseline, group_word(c, 1), keys.buf);
			strbuf_release(&keys);
			return -EINVAL;
		}
	}
	if (c->ngroups < 2) {
		set_err(err, errlen, NULL, "all %d result%s of one %s, '%s': nothing to compare with%s",
			c->nruns, c->nruns == 1 ? " is" : "s are", group_word(c, 0), c->group[0].key,
			c->o.by == LB_CMP_BY_RELEASE ? " (--by label groups by the results' labels)" : "");
		return -EINVAL;
	}
	if (base) {
		struct lb_cmp_group b = c->group[base];

		memmove(&c->group[1], &c->group[0], (size_t)base * sizeof(*c->group));
		c->group[0] = b;
	}
	for (int k = 0; k < c->ngroups; k++)
		group_figures(c, &c->group[k]);
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
			seen = (r->plane ? c->run[j].plane && str_eq(c->run[j].plane, r->plane) : !c->run[j].plane);
		if (!seen) {
			strbuf_addf(&planes, "%s%s", nplanes ? ", " : "", r->plane ? r->plane : "unknown");
			nplanes++;
		}
		seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = c->run[j].interval_ns == r->interval_ns;
		if (!seen) {
			if (r->interval_ns < 0)
				strbuf_addf(&intervals, "%sunknown", nintervals ? ", " : "");
			else
				strbuf_addf(&intervals, "%s%.1f us", nintervals ? ", " : "", r->interval_ns / 1e3);
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
	for (int i = 0; i < c->nruns; i++)
		run_free(&c->run[i]);
	free(c->run);
	for (int k = 0; k < c->ngroups; k++) {
		free(c->group[k].key);
		free(c->group[k].runs);
	}
	free(c->group);
	c->run = NULL;
	c->group = NULL;
	c->nruns = c->alloc_runs = c->ngroups = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* text */

static size_t display_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* `s` for a terminal: control characters (a label can hold anything) become '?' */
static void add_plain(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void add_padded(struct strbuf *sb, const char *s, size_t width)
{
	add_plain(sb, s);
	for (size_t w = display_width(s); w < width; w++)
		strbuf_addch(sb, ' ');
}

static void add_us(struct strbuf *sb, double v, int width)
{
	if (isnan(v))
		strbuf_addf(sb, " %*s", width, "-");
	else
		strbuf_addf(sb, " %*.1f", width, v);
}

static void safe_text(char *buf, size_t len, unsigned safe)
{
	if (safe == LB_CMP_SAFE_UNKNOWN)
		snprintf(buf, len, "-");
	else if (safe == LB_CMP_SAFE_NONE)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%u", safe);
}

static void add_ratio(struct strbuf *sb, double r)
{
	if (isfinite(r))
		strbuf_addf(sb, "x%.2f", r);
	else
		strbuf_addstr(sb, "x inf");
}

static void add_pct(struct strbuf *sb, double tolerance)
{
	strbuf_addf(sb, "%g %%", tolerance * 100);
}

/* "64 → 128 frames at 48 kHz", "64 frames → none at 48 kHz", "64 frames at 48 kHz, unchanged" */
static void add_safe_change(struct strbuf *sb, unsigned a, unsigned b)
{
	if (a == LB_CMP_SAFE_UNKNOWN || b == LB_CMP_SAFE_UNKNOWN) {
		strbuf_addstr(sb, "safe size not in every result");
	} else if (a == b) {
		if (a == LB_CMP_SAFE_NONE)
			strbuf_addstr(sb, "no safe size at 48 kHz on either side");
		else
			strbuf_addf(sb, "safe size %u frames at 48 kHz, unchanged", a);
	} else if (a == LB_CMP_SAFE_NONE) {
		strbuf_addf(sb, "safe size none → %u frames at 48 kHz", b);
	} else if (b == LB_CMP_SAFE_NONE) {
		strbuf_addf(sb, "safe size %u frames → none at 48 kHz", a);
	} else {
		strbuf_addf(sb, "safe size %u → %u frames at 48 kHz", a, b);
	}
}

static void add_runs(struct strbuf *sb, int m, int n)
{
	if (m == n)
		strbuf_addf(sb, "%d run%s each", m, m == 1 ? "" : "s");
	else
		strbuf_addf(sb, "%d and %d runs", m, n);
}

static void add_p(struct strbuf *sb, double p)
{
	if (p < 0.001)
		strbuf_addstr(sb, "p < 0.001");
	else
		strbuf_addf(sb, "p = %.3f", p);
}

/* what a decision is about, without the key: "p99 40.8 → 92.4 us (...); 3 runs each: ...; safe size ..." */
static void add_figures(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	const struct lb_cmp_decision *d = &g->d;

	strbuf_addf(sb, "%s %.1f → %.1f us (", metric_name[c->o.metric], d->base_median, d->median);
	add_ratio(sb, d->ratio);
	strbuf_addf(sb, ", shift %+.1f us, delta %+.2f); ", d->shift_us, d->delta);
	add_runs(sb, c->group[0].nruns, g->nruns);
	if (d->tested) {
		strbuf_addstr(sb, ": Mann-Whitney ");
		add_p(sb, d->p);
	} else {
		strbuf_addstr(sb, ": no statistical test, the ratio alone decides");
	}
	strbuf_addstr(sb, "; ");
	add_safe_change(sb, d->base_safe, d->safe);
}

/* "regression (p99, safe size)", "no regression (not significant)", ... */
static void add_verdict(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	const struct lb_cmp_decision *d = &g->d;

	if (d->regressed) {
		strbuf_addf(sb, "regression (%s%s%s)", d->latency_regressed ? metric_name[c->o.metric] : "",
			    d->latency_regressed && d->safe_regressed ? ", " : "",
			    d->safe_regressed ? "safe size" : "");
	} else if (d->ratio > 1 + c->o.tolerance) {
		strbuf_addstr(sb, "no regression (not significant)");
	} else if (d->ratio > 1) {
		strbuf_addstr(sb, "no regression (within ");
		add_pct(sb, c->o.tolerance);
		strbuf_addch(sb, ')');
	} else {
		strbuf_addstr(sb, "no regression");
	}
}

static void add_decision(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	add_figures(sb, c, g);
	strbuf_addstr(sb, ": ");
	add_verdict(sb, c, g);
}

static void add_rule(struct strbuf *sb, const struct lb_cmp *c)
{
	strbuf_addf(sb, "%s per run; a regression is a median more than ", metric_name[c->o.metric]);
	add_pct(sb, c->o.tolerance);
	strbuf_addf(sb, " higher with a one-sided Mann-Whitney p <= %.2f (with too few runs for the test, "
		    "the ratio alone), or a safe size more than ", LB_CMP_ALPHA);
	add_pct(sb, c->o.tolerance);
	strbuf_addstr(sb, " larger");
}

/* "regression: 1 of 2 kernel releases: KEY (p99 x2.26; safe size 64 → 128 frames at 48 kHz)" */
static void add_summary(struct strbuf *sb, const struct lb_cmp *c)
{
	int first = 1;

	if (!c->nregressed) {
		strbuf_addstr(sb, "no regression");
		return;
	}
	strbuf_addf(sb, "regression: %d of %d %s: ", c->nregressed, c->ngroups - 1, group_word(c, c->ngroups > 2));
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];

		if (!g->d.regressed)
			continue;
		strbuf_addstr(sb, first ? "" : ", ");
		add_plain(sb, g->key);
		strbuf_addstr(sb, " (");
		first = 0;
		if (g->d.latency_regressed) {
			strbuf_addf(sb, "%s ", metric_name[c->o.metric]);
			add_ratio(sb, g->d.ratio);
		}
		if (g->d.safe_regressed) {
			if (g->d.latency_regressed)
				strbuf_addstr(sb, "; ");
			add_safe_change(sb, g->d.base_safe, g->d.safe);
		}
		strbuf_addch(sb, ')');
	}
}

void lb_cmp_text(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *head = c->o.by == LB_CMP_BY_LABEL ? "label" : "kernel";
	size_t w = display_width(head);

	for (int k = 0; k < c->ngroups; k++)
		if (display_width(c->group[k].key) > w)
			w = display_width(c->group[k].key);
	strbuf_addstr(sb, "baseline: ");
	add_plain(sb, c->group[0].key);
	strbuf_addf(sb, " (%d run%s), compared with %d other %s\n", c->group[0].nruns,
		    c->group[0].nruns == 1 ? "" : "s", c->ngroups - 1, group_word(c, c->ngroups > 2));
	strbuf_addstr(sb, "rule: ");
	add_rule(sb, c);
	strbuf_addstr(sb, "\n\n");

	add_padded(sb, head, w);
	strbuf_addf(sb, " %4s %10s %8s %8s %8s %8s %7s %6s  %s\n", "runs", "samples", "p50", "p99", "p99.9",
		    "max", "missed", "xruns", "safe frames at 48 kHz, 2 periods");
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		char safe[32];

		add_padded(sb, g->key, w);
		strbuf_addf(sb, " %4d %10" PRIu64, g->nruns, g->samples);
		for (int m = 0; m < LB_CMP_NMETRICS; m++)
			add_us(sb, g->lat[m], 8);
		safe_text(safe, sizeof(safe), g->safe);
		strbuf_addf(sb, " %7" PRIu64 " %6" PRIu64 "  %s\n", g->missed, g->xruns, safe);
	}
	strbuf_addch(sb, '\n');
	for (int k = 1; k < c->ngroups; k++) {
		add_plain(sb, c->group[k].key);
		strbuf_addstr(sb, ": ");
		add_decision(sb, c, &c->group[k]);
		strbuf_addch(sb, '\n');
	}
	strbuf_addch(sb, '\n');
	add_summary(sb, c);
	strbuf_addch(sb, '\n');
}

/* ---------------------------------------------------------------------------------------- */
/* JUnit XML */

static void xml(struct strbuf *sb, const char *s)
{
	lb_plot_add_xml(sb, s, SIZE_MAX);
}

static void property(struct strbuf *sb, const char *indent, const char *name, const char *value)
{
	strbuf_addf(sb, "%s<property name=\"%s\" value=\"", indent, name);
	xml(sb, value);
	strbuf_addstr(sb, "\"/>\n");
}

KB_PRINTF(4, 5)
static void propertyf(struct strbuf *sb, const char *indent, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	property(sb, indent, name, buf);
}

static void num(char *buf, size_t len, double v, int decimals)
{
	if (isfinite(v))
		snprintf(buf, len, "%.*f", decimals, v);
	else
		snprintf(buf, len, "%s", isnan(v) ? "none" : "inf");
}

void lb_cmp_junit(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *in = "        ";
	struct strbuf t = STRBUF_INIT;
	const char *mkey = metric_key[c->o.metric];
	char buf[64], name[64];

	strbuf_addf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"latency-bench compare\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n"
		    "  <testsuite name=\"latency-bench-compare\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
		    "skipped=\"0\">\n    <properties>\n", c->ngroups - 1, c->nregressed, c->ngroups - 1,
		    c->nregressed);
	property(sb, "      ", "baseline", c->group[0].key);
	propertyf(sb, "      ", "baseline_runs", "%d", c->group[0].nruns);
	property(sb, "      ", "group_by", c->o.by == LB_CMP_BY_LABEL ? "label" : "kernel_release");
	property(sb, "      ", "metric", metric_name[c->o.metric]);
	propertyf(sb, "      ", "tolerance_pct", "%g", c->o.tolerance * 100);
	propertyf(sb, "      ", "alpha", "%.2f", LB_CMP_ALPHA);
	add_rule(&t, c);
	property(sb, "      ", "rule", t.buf);
	strbuf_addstr(sb, "    </properties>\n");
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k], *b = &c->group[0];
		const struct lb_cmp_decision *d = &g->d;

		strbuf_reset(&t);
		add_decision(&t, c, g);
		strbuf_addstr(sb, "    <testcase classname=\"latency-bench.compare\" name=\"");
		xml(sb, g->key);
		strbuf_addstr(sb, "\" time=\"0\">\n      <properties>\n");
		propertyf(sb, in, "runs", "%d", g->nruns);
		propertyf(sb, in, "samples", "%" PRIu64, g->samples);
		num(buf, sizeof(buf), d->base_median, 3);
		snprintf(name, sizeof(name), "%s_us_baseline", mkey);
		property(sb, in, name, buf);
		num(buf, sizeof(buf), d->median, 3);
		snprintf(name, sizeof(name), "%s_us", mkey);
		property(sb, in, name, buf);
		num(buf, sizeof(buf), d->ratio, 4);
		property(sb, in, "ratio", buf);
		num(buf, sizeof(buf), d->shift_us, 3);
		property(sb, in, "shift_us", buf);
		num(buf, sizeof(buf), d->delta, 4);
		property(sb, in, "cliffs_delta", buf);
		num(buf, sizeof(buf), d->u, 1);
		property(sb, in, "mann_whitney_u", buf);
		num(buf, sizeof(buf), d->p, 4);
		property(sb, in, "p_value", d->tested ? buf : "none");
		safe_text(buf, sizeof(buf), d->base_safe);
		property(sb, in, "safe_frames_48k_baseline", buf);
		safe_text(buf, sizeof(buf), d->safe);
		property(sb, in, "safe_frames_48k", buf);
		propertyf(sb, in, "missed_periods", "%" PRIu64, g->missed);
		propertyf(sb, in, "missed_periods_baseline", "%" PRIu64, b->missed);
		propertyf(sb, in, "xruns", "%" PRIu64, g->xruns);
		propertyf(sb, in, "xruns_baseline", "%" PRIu64, b->xruns);
		strbuf_addstr(sb, "      </properties>\n");
		if (d->regressed) {
			strbuf_addstr(sb, "      <failure type=\"regression\" message=\"");
			xml(sb, t.buf);
			strbuf_addstr(sb, "\">");
			xml(sb, t.buf);
			strbuf_addstr(sb, "</failure>\n");
		}
		strbuf_addstr(sb, "      <system-out>");
		xml(sb, g->key);
		strbuf_addstr(sb, ": ");
		xml(sb, t.buf);
		strbuf_addstr(sb, "</system-out>\n    </testcase>\n");
	}
	strbuf_addstr(sb, "  </testsuite>\n</testsuites>\n");
	strbuf_release(&t);
}

/* ---------------------------------------------------------------------------------------- */
/* HTML */

static int cmp_bucket(const void *a, const void *b)
{
	const struct lb_plot_bucket *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* one curve per group: the histograms of its runs added up */
static void group_histograms(const struct lb_cmp *c, struct strbuf *svg)
{
	struct lb_plot_series *s = xcalloc((size_t)c->ngroups, sizeof(*s));
	struct lb_plot_opts po = { .title = c->o.title && *c->o.title ? c->o.title
						   : "Latency histograms, the runs of each kernel added up" };
	char err[256];

	if (c->o.by == LB_CMP_BY_LABEL && !(c->o.title && *c->o.title))
		po.title = "Latency histograms, the runs of each label added up";
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		size_t nb = 0;

		s[k].max_us = -1;
		for (int i = 0; i < g->nruns; i++)
			nb += c->run[g->runs[i]].hist.nb;
		s[k].b = xcalloc(nb ? nb : 1, sizeof(*s[k].b));
		for (int i = 0; i < g->nruns; i++) {
			const struct lb_plot_series *h = &c->run[g->runs[i]].hist;

			memcpy(s[k].b + s[k].nb, h->b, h->nb * sizeof(*h->b));
			s[k].nb += h->nb;
			if (h->max_us > s[k].max_us)
				s[k].max_us = h->max_us;
		}
		qsort(s[k].b, s[k].nb, sizeof(*s[k].b), cmp_bucket);
		s[k].label = xasprintf("%s (%d run%s)", g->key, g->nruns, g->nruns == 1 ? "" : "s");
	}
	if (lb_plot_render(s, c->ngroups, &po, svg, err, sizeof(err)))
		BUG("the plot refused its default options: %s", err);
	for (int k = 0; k < c->ngroups; k++)
		lb_plot_series_free(&s[k]);
	free(s);
}

static const char html_style[] =
	"body { font-family: sans-serif; margin: 24px; color: #222222; background: #ffffff; }\n"
	"h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }\n"
	"table { border-collapse: collapse; font-size: 13px; }\n"
	"th, td { border: 1px solid #c8c8c8; padding: 3px 8px; text-align: left; vertical-align: top; }\n"
	"th { background: #f0f0f0; }\n"
	"td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
	"tr.base td:first-child { font-weight: bold; }\n"
	".regression { color: #a8001c; font-weight: bold; }\n"
	".ok { color: #18632f; font-weight: bold; }\n"
	"table#checks td { max-width: 15em; overflow-wrap: anywhere; }\n"
	"td.c-warn { background: #fde3e0; }\n"
	"td.c-warn b { color: #a8001c; }\n"
	"td.c-missing { color: #888888; }\n"
	"p.rule { color: #444444; font-size: 13px; }\n"
	"ul.decisions li { margin: 4px 0; }\n";

static void html_num(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_addstr(sb, "<td class=\"n\">-</td>");
	else
		strbuf_addf(sb, "<td class=\"n\">%.1f</td>", v);
}

/* the checks of a group for one id: worst status, the distinct values of its runs */
static const char *group_check(const struct lb_cmp *c, const struct lb_cmp_group *g, const char *id,
			       struct strbuf *value)
{
	const char *status = NULL;

	strbuf_reset(value);
	for (int i = 0; i < g->nruns; i++) {
		const struct lb_cmp_run *r = &c->run[g->runs[i]];

		for (int j = 0; j < r->nchecks; j++) {
			const struct lb_cmp_check *ch = &r->checks[j];
			int seen = 0;

			if (!str_eq(ch->id, id))
				continue;
			if (!status || str_eq(ch->status, "warn") ||
			    (str_eq(ch->status, "info") && !str_eq(status, "warn")))
				status = ch->status;
			/* the same value from several runs is shown once */
			for (int i2 = 0; i2 < i && !seen; i2++) {
				const struct lb_cmp_run *r2 = &c->run[g->runs[i2]];

				for (int j2 = 0; j2 < r2->nchecks && !seen; j2++)
					seen = str_eq(r2->checks[j2].id, id) && str_eq(r2->checks[j2].value, ch->value);
			}
			if (!seen) {
				if (value->len)
					strbuf_addstr(value, " | ");
				strbuf_addstr(value, ch->value);
			}
		}
	}
	return status;
}

static void html_checks(const struct lb_cmp *c, struct strbuf *sb)
{
	const char **ids = NULL, **titles = NULL;
	int nids = 0, alloc = 0;
	struct strbuf value = STRBUF_INIT;

	for (int i = 0; i < c->nruns; i++)
		for (int j = 0; j < c->run[i].nchecks; j++) {
			const struct lb_cmp_check *ch = &c->run[i].checks[j];
			int k;

			for (k = 0; k < nids && !str_eq(ids[k], ch->id); k++)
				;
			if (k < nids)
				continue;
			ALLOC_GROW(ids, nids + 1, alloc);
			titles = xrealloc(titles, alloc * sizeof(*titles));
			ids[nids] = ch->id;
			titles[nids++] = ch->title;
		}
	if (!nids) {
		strbuf_addstr(sb, "<p>The results hold no system checks.</p>\n");
		free(ids);
		free(titles);
		return;
	}
	strbuf_addstr(sb, "<table id=\"checks\">\n<tr><th>check</th>");
	for (int k = 0; k < c->ngroups; k++) {
		strbuf_addstr(sb, "<th>");
		xml(sb, c->group[k].key);
		strbuf_addstr(sb, "</th>");
	}
	strbuf_addstr(sb, "</tr>\n");
	for (int i = 0; i < nids; i++) {
		strbuf_addstr(sb, "<tr><td>");
		xml(sb, titles[i]);
		strbuf_addstr(sb, "</td>");
		for (int k = 0; k < c->ngroups; k++) {
			const char *st = group_check(c, &c->group[k], ids[i], &value);
			int warn, info;

			if (!st) {
				strbuf_addstr(sb, "<td class=\"c-missing\">not checked</td>");
				continue;
			}
			warn = str_eq(st, "warn");
			info = str_eq(st, "info");
			strbuf_addf(sb, "<td class=\"c-%s\"><b>%s</b>", warn ? "warn" : info ? "info" : "ok",
				    warn ? "WARN" : info ? "INFO" : str_eq(st, "ok") ? "OK" : "?");
			if (value.len) {
				strbuf_addstr(sb, " ");
				xml(sb, value.buf);
			}
			strbuf_addstr(sb, "</td>");
		}
		strbuf_addstr(sb, "</tr>\n");
	}
	strbuf_addstr(sb, "</table>\n");
	strbuf_release(&value);
	free(ids);
	free(titles);
}

void lb_cmp_html(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *title = c->o.title && *c->o.title ? c->o.title : "latency-bench compare";
	struct strbuf t = STRBUF_INIT, svg = STRBUF_INIT;
	const char *svg_start;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	xml(sb, title);
	strbuf_addf(sb, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", html_style);
	xml(sb, title);
	strbuf_addstr(sb, "</h1>\n");
	add_summary(&t, c);
	strbuf_addf(sb, "<p id=\"summary\" class=\"%s\">", c->nregressed ? "regression" : "ok");
	xml(sb, t.buf);
	strbuf_addstr(sb, "</p>\n<p class=\"rule\">Baseline: ");
	xml(sb, c->group[0].key);
	strbuf_addstr(sb, ". Rule: ");
	strbuf_reset(&t);
	add_rule(&t, c);
	xml(sb, t.buf);
	strbuf_addstr(sb, ".</p>\n");

	strbuf_addf(sb, "<h2>%s</h2>\n<table id=\"groups\">\n<tr><th>%s</th><th>runs</th><th>samples</th>"
		    "<th>p50 (&#181;s)</th><th>p99 (&#181;s)</th><th>p99.9 (&#181;s)</th><th>max (&#181;s)</th>"
		    "<th>missed periods</th><th>xruns</th><th>safe frames at 48 kHz, 2 periods</th></tr>\n",
		    c->o.by == LB_CMP_BY_LABEL ? "Labels" : "Kernels",
		    c->o.by == LB_CMP_BY_LABEL ? "label" : "kernel");
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		char safe[32];

		strbuf_addf(sb, "<tr%s><td>", k ? "" : " class=\"base\"");
		xml(sb, g->key);
		strbuf_addf(sb, "%s</td><td class=\"n\">%d</td><td class=\"n\">%" PRIu64 "</td>",
			    k ? "" : " (baseline)", g->nruns, g->samples);
		for (int m = 0; m < LB_CMP_NMETRICS; m++)
			html_num(sb, g->lat[m]);
		safe_text(safe, sizeof(safe), g->safe);
		strbuf_addf(sb, "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
			    "<td class=\"n\">%s</td></tr>\n", g->missed, g->xruns, safe);
	}
	strbuf_addstr(sb, "</table>\n<h2>Decisions</h2>\n<ul class=\"decisions\">\n");
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];

		strbuf_reset(&t);
		add_figures(&t, c, g);
		strbuf_addstr(sb, "<li><b>");
		xml(sb, g->key);
		strbuf_addstr(sb, "</b>: ");
		xml(sb, t.buf);
		strbuf_reset(&t);
		add_verdict(&t, c, g);
		strbuf_addf(sb, ": <span class=\"%s\">", g->d.regressed ? "regression" : "ok");
		xml(sb, t.buf);
		strbuf_addstr(sb, "</span></li>\n");
	}
	strbuf_addstr(sb, "</ul>\n<h2>Latency histograms</h2>\n");
	group_histograms(c, &svg);
	/* inline SVG needs no XML declaration */
	svg_start = strstr(svg.buf, "<svg");
	strbuf_addstr(sb, svg_start ? svg_start : svg.buf);

	strbuf_addstr(sb, "<h2>System checks</h2>\n");
	html_checks(c, sb);

	strbuf_addstr(sb, "<h2>Runs</h2>\n<table id=\"runs\">\n<tr><th>file</th><th>label</th><th>group</th>");
	strbuf_addf(sb, "<th>%s (&#181;s)</th><th>max (&#181;s)</th><th>samples</th><th>missed periods</th>"
		    "<th>xruns</th><th>safe frames at 48 kHz</th><th>verdict</th></tr>\n", metric_name[c->o.metric]);
	for (int k = 0; k < c->ngroups; k++)
		for (int i = 0; i < c->group[k].nruns; i++) {
			const struct lb_cmp_run *r = &c->run[c->group[k].runs[i]];
			char safe[32];

			strbuf_addstr(sb, "<tr><td>");
			xml(sb, r->path);
			strbuf_addstr(sb, "</td><td>");
			xml(sb, r->hist.label);
			strbuf_addstr(sb, "</td><td>");
			xml(sb, c->group[k].key);
			strbuf_addstr(sb, "</td>");
			html_num(sb, r->lat[c->o.metric]);
			html_num(sb, r->lat[LB_CMP_MAX]);
			safe_text(safe, sizeof(safe), r->safe);
			strbuf_addf(sb, "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
				    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td><td>",
				    r->samples, r->missed, r->xruns, safe);
			xml(sb, r->verdict ? r->verdict : "");
			strbuf_addstr(sb, "</td></tr>\n");
		}
	strbuf_addstr(sb, "</table>\n</body>\n</html>\n");
	strbuf_release(&t);
	strbuf_release(&svg);
}
