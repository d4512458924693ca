/* compare.h - results of several kernels side by side: the regression decision (compare.c), its reports (compare-out.c) */
#ifndef LB_COMPARE_H
#define LB_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"
#include "strbuf.h"

#define LB_CMP_ALPHA 0.05        /* significance level of the one-sided Mann-Whitney test */
#define LB_CMP_EXACT_MAX 60      /* runs in both groups together up to which p is exact */
/* the safe size compared: the result's, at 48 kHz and 2 periods per buffer */
#define LB_CMP_SAFE_NONE LB_RESULT_SAFE_NONE       /* no size up to 8192 frames is safe */
#define LB_CMP_SAFE_UNKNOWN LB_RESULT_SAFE_UNKNOWN /* the result has no verdict.safe cell for it */

/* The per-run figures a comparison can be decided on: the result's "latency_us" ones. */
enum lb_cmp_metric {
	LB_CMP_P50 = LB_LAT_P50,
	LB_CMP_P99 = LB_LAT_P99,
	LB_CMP_P999 = LB_LAT_P999,
	LB_CMP_MAX = LB_LAT_MAX,
	LB_CMP_NMETRICS = LB_NLAT
};
enum lb_cmp_by { LB_CMP_BY_RELEASE, LB_CMP_BY_LABEL, LB_CMP_BY_FILE };

struct lb_cmp_opts {
	enum lb_cmp_by by;
	int by_given;          /* --by given: no fallback when every result is of one kernel release */
	enum lb_cmp_metric metric;
	double tolerance;      /* growth of the median allowed: 0.2 for 20 % */
	const char *baseline;  /* key of the group the others are compared with; NULL: the first */
	const char *title;     /* HTML heading and plot title; NULL: a default */
};

/* One result file: one observation. */
struct lb_cmp_run {
	char *path;
	const char *key;        /* what it is grouped by: res.release, res.hist.label or the file name (not owned) */
	struct lb_result res;   /* as read with LB_NEED_RUN; lat[metric] is a number */
};

/* A candidate group against the baseline. */
struct lb_cmp_decision {
	int tested;             /* enough runs for the test to reach alpha at all */
	double p;               /* one-sided Mann-Whitney p; NAN when not tested */
	double u;               /* U of the candidate: pairs where it is later, ties count 1/2 */
	double base_median, median; /* of the metric over runs, µs */
	double ratio;           /* median / base_median */
	double shift_us;        /* Hodges-Lehmann: median of all candidate - baseline differences */
	double delta;           /* Cliff's delta: P(candidate later) - P(baseline later), -1..1 */
	unsigned base_safe, safe;
	int latency_regressed, safe_regressed, regressed;
};

/* A group's cause analysis, over its runs. */
struct lb_cmp_analysis {
	int analysed;           /* runs whose cause analysis was available */
	int unavailable;        /* runs whose was not, or that have none (older files) */
	char *why;              /* their reasons, each once, "; " between; NULL when none */
};

/* One cause (kind and name) side by side: per group, over its runs and CPUs. */
struct lb_cmp_cause_side {
	int seen;
	double max_us, total_us; /* the largest delay of one wakeup, and all of them */
	uint64_t count;          /* the wakeups it delayed (saturating) */
};
struct lb_cmp_cause {
	int kind;                /* enum lb_cause_kind */
	const char *name;        /* a run's (not owned) */
	double worst_us;         /* the largest max_us of any group: the rank */
	struct lb_cmp_cause_side *side; /* ngroups entries, in the order of lb_cmp.group */
};

struct lb_cmp_group {
	char *key;
	int *runs;              /* indexes into lb_cmp.run, in command-line order */
	int nruns;
	uint64_t samples, missed, xruns; /* totals over the runs */
	double lat[LB_CMP_NMETRICS];     /* medians over the runs that have the figure; NAN: none */
	unsigned safe;          /* the upper median over runs (none counts as the largest) */
	struct lb_cmp_decision d; /* unset for the baseline */
	struct lb_cmp_analysis analysis;
};

struct lb_cmp {
	struct lb_cmp_opts o;
	enum lb_cmp_by by;          /* what the groups are: o.by, or what it fell back to */
	char *note;                 /* why the groups are not o.by's ("all results are of kernel ..."), or NULL */
	struct lb_cmp_run *run;
	int nruns, alloc_runs;
	struct lb_cmp_group *group; /* the baseline first, then the others in command-line order */
	int ngroups;
	int nregressed;
	/* what made wakeups late, ranked by the largest delay on any side; has_analysis: a run has "cause_analysis" */
	struct lb_cmp_cause *cause;
	int ncauses, has_analysis;
};

/*
 * Read one result file into c->run (lb_result_read). 0; -EINVAL when it is not a usable result
 * (not JSON, another schema, a field of the wrong type, no figure for the chosen metric, nothing
 * to group it by) or -errno when it cannot be read, with one diagnostic line appended to `err`
 * ("PATH:LINE: error: ..." for JSON syntax, "PATH: error: ..." otherwise). Nothing is printed.
 */
int lb_cmp_add_file(struct lb_cmp *c, const char *path, struct strbuf *err);
/*
 * Group the runs by c->o.by (first appearance decides the order), put the baseline first and
 * decide every other group against it. When every result is of one kernel release and --by was
 * not given, the runs are grouped by label if that makes two groups or more, else each file is
 * a group of its own, named by its file name (by its path when two names are the same); c->by
 * and c->note say so. 0, or -EINVAL with "error: ..." appended to `err` (no such baseline, only
 * one group).
 */
int lb_cmp_analyse(struct lb_cmp *c, struct strbuf *err);
void lb_cmp_free(struct lb_cmp *c);
/* Lines (no prefix, each ending in "\n") about results that do not compare like with like. */
void lb_cmp_warnings(const struct lb_cmp *c, struct strbuf *out);

/* The run of a group with the worst "latency_us"."max" that has a timeline of `min_steps` or more; -1 none. */
int lb_cmp_group_timeline_run(const struct lb_cmp *c, const struct lb_cmp_group *g, size_t min_steps);

/* What the groups are: "kernel release(s)", "label(s)" or "file(s)". */
const char *lb_cmp_group_word(const struct lb_cmp *c, int plural);

/* The reports (compare-out.c). The table, one decision line per candidate, and the summary line. */
void lb_cmp_text(const struct lb_cmp *c, struct strbuf *out);
/* JUnit XML: testsuite latency-bench-compare, a testcase per candidate, <failure> on regression. */
void lb_cmp_junit(const struct lb_cmp *c, struct strbuf *out);
/* One self-contained HTML page: table, decisions, the histograms as inline SVG, the system checks. */
void lb_cmp_html(const struct lb_cmp *c, struct strbuf *out);

const char *lb_cmp_metric_name(enum lb_cmp_metric m); /* "p50", "p99", "p99.9", "max" */
/* "p50", "p99", "p999" (or "p99.9"), "max"; 0 or -EINVAL. */
int lb_cmp_parse_metric(const char *s, enum lb_cmp_metric *m);

/* Statistics, exposed for the unit tests. */
double lb_cmp_median(const double *v, int n);
/*
 * One-sided Mann-Whitney test that `y` tends to be larger than `x`: P(U >= u) under the null
 * hypothesis, exact (ties by midranks, over all splits of the pooled values) when m + n <=
 * LB_CMP_EXACT_MAX, else the normal approximation with tie and continuity corrections. *u gets
 * U of y. 1 when m or n is 0.
 */
double lb_cmp_mann_whitney(const double *x, int m, const double *y, int n, double *u);
/* The smallest p the test can give with m and n runs: 1 / C(m + n, m). */
double lb_cmp_min_p(int m, int n);
/* Median of all y[j] - x[i]. */
double lb_cmp_hodges_lehmann(const double *x, int m, const double *y, int n);
/* Cliff's delta of y over x. */
double lb_cmp_cliffs_delta(const double *x, int m, const double *y, int n);
/*
 * The decision rule: the metric regressed when median(y) / median(x) > 1 + tolerance and,
 * when the runs allow a test at all (lb_cmp_min_p <= LB_CMP_ALPHA), p <= LB_CMP_ALPHA; the
 * safe size regressed when it grew by more than 1 + tolerance or is none where the baseline had
 * one (unknown on either side: not compared).
 */
void lb_cmp_decide(struct lb_cmp_decision *d, const double *x, int m, const double *y, int n,
		   unsigned base_safe, unsigned safe, double tolerance);

#endif
