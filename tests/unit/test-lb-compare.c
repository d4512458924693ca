/* test-lb-compare.c - unit tests for latency-bench compare: Mann-Whitney p-values, effect sizes, the decision rule, grouping, bad input, reports */
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "compare.h"
#include "fs.h"
#include "strbuf.h"

static char *dir;

static int near(double got, double want, double eps)
{
	return fabs(got - want) <= eps;
}

#define is_near(got, want, eps, ...)                                                   \
	do {                                                                           \
		double g_ = (got), w_ = (want);                                        \
		if (!ok(near(g_, w_, eps), __VA_ARGS__))                               \
			printf("#          got: %.12g\n#     expected: %.12g\n", g_, w_); \
	} while (0)

static void test_mann_whitney(void)
{
	/* expected values: every split of the pooled runs enumerated (python itertools) */
	static const struct {
		const char *what;
		double x[8], y[8];
		int m, n;
		double u, p;
	} t[] = {
		{ "3 vs 3, every candidate run later: 1/20", { 1, 2, 3 }, { 4, 5, 6 }, 3, 3, 9, 0.05 },
		{ "3 vs 3 interleaved: 16/20", { 40, 40.8, 41.6 }, { 39.6, 40.4, 41.2 }, 3, 3, 3, 0.8 },
		{ "3 vs 3, one candidate run earlier: 7/20", { 40, 40.8, 41.6 }, { 30, 60, 90 }, 3, 3, 6, 0.35 },
		{ "4 vs 4 separated: 1/70", { 1, 2, 3, 4 }, { 5, 6, 7, 8 }, 4, 4, 16, 1.0 / 70 },
		{ "5 vs 5, U = 23: 4/252", { 1, 2, 3, 4, 5 }, { 3.5, 6, 7, 8, 9 }, 5, 5, 23, 4.0 / 252 },
		{ "ties by midranks: 10/70", { 1, 2, 2, 3 }, { 2, 3, 3, 4 }, 4, 4, 13, 10.0 / 70 },
		{ "all tied: p = 1", { 5, 5, 5 }, { 5, 5, 5 }, 3, 3, 4.5, 1 },
		{ "6 vs 7: 382/1716", { 1, 3, 5, 7, 9, 11 }, { 2, 4, 6, 8, 10, 12, 14 }, 6, 7, 27, 382.0 / 1716 },
		{ "1 vs 1: 1/2", { 1 }, { 2 }, 1, 1, 1, 0.5 },
	};
	double x[35], y[35], u;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		double p = lb_cmp_mann_whitney(t[i].x, t[i].m, t[i].y, t[i].n, &u);

		is_near(p, t[i].p, 1e-12, "Mann-Whitney exact p, %s", t[i].what);
		is_near(u, t[i].u, 1e-12, "U, %s", t[i].what);
	}
	/* above LB_CMP_EXACT_MAX runs: normal approximation with tie and continuity corrections */
	for (int i = 0; i < 35; i++) {
		x[i] = i + 1;
		y[i] = i + 4;
	}
	is_near(lb_cmp_mann_whitney(x, 35, y, 35, &u), 0.12000972552050035, 1e-12,
		"70 runs: the normal approximation (python formula)");
	is_near(u, 713, 1e-12, "70 runs: U");
	is_near(lb_cmp_mann_whitney(x, 0, y, 3, &u), 1, 0, "no baseline runs: p = 1");

	is_near(lb_cmp_min_p(1, 1), 0.5, 1e-15, "smallest p, 1 vs 1 run");
	is_near(lb_cmp_min_p(2, 2), 1.0 / 6, 1e-15, "smallest p, 2 vs 2 runs");
	is_near(lb_cmp_min_p(3, 3), 0.05, 1e-15, "smallest p, 3 vs 3 runs: just reaches alpha");
	is_near(lb_cmp_min_p(2, 5), 1.0 / 21, 1e-15, "smallest p, 2 vs 5 runs");
	is_near(lb_cmp_min_p(1, 19), 0.05, 1e-15, "smallest p, 1 vs 19 runs");
}

static void test_effect_sizes(void)
{
	double x[] = { 40, 40.8, 41.6 }, y[] = { 88, 92.4, 96.8 }, z[] = { 39.6, 40.4, 41.2 };
	double even[] = { 4, 1, 3, 2 };

	is_near(lb_cmp_median(x, 3), 40.8, 0, "median of 3");
	is_near(lb_cmp_median(even, 4), 2.5, 0, "median of 4: mean of the middle two");
	ok(isnan(lb_cmp_median(x, 0)), "median of nothing is NaN");
	is_near(lb_cmp_hodges_lehmann(x, 3, y, 3), 51.6, 1e-9, "Hodges-Lehmann shift: median of 9 differences");
	is_near(lb_cmp_hodges_lehmann(x, 3, z, 3), -0.4, 1e-9, "Hodges-Lehmann shift, interleaved");
	is_near(lb_cmp_cliffs_delta(x, 3, y, 3), 1, 0, "Cliff's delta, separated");
	is_near(lb_cmp_cliffs_delta(x, 3, z, 3), -1.0 / 3, 1e-15, "Cliff's delta, 3 later and 6 earlier of 9 pairs");
}

static void test_decision_rule(void)
{
	double x[] = { 40, 40.8, 41.6 }, worse[] = { 88, 92.4, 96.8 }, slight[] = { 44, 45, 46 };
	double noisy[] = { 30, 60, 90 }, one_x[] = { 40 }, one_y[] = { 80 }, one_z[] = { 47.6 };
	struct lb_cmp_decision d;

	lb_cmp_decide(&d, x, 3, worse, 3, 64, 64, 0.2);
	ok(d.tested && near(d.p, 0.05, 1e-12) && d.latency_regressed && !d.safe_regressed && d.regressed,
	   "x2.26 and p = 0.05 with 3 runs each: a regression");
	is_near(d.ratio, 92.4 / 40.8, 1e-12, "ratio of the medians");
	lb_cmp_decide(&d, x, 3, slight, 3, 64, 64, 0.2);
	ok(d.tested && near(d.p, 0.05, 1e-12) && !d.regressed, "significant but x1.10 is within 20 %%: no regression");
	lb_cmp_decide(&d, x, 3, slight, 3, 64, 64, 0.05);
	ok(d.regressed, "the same with --tolerance 5: a regression");
	lb_cmp_decide(&d, x, 3, noisy, 3, 64, 64, 0.2);
	ok(d.tested && d.ratio > 1.2 && !d.regressed, "x1.47 but p = 0.35: not significant, no regression");
	lb_cmp_decide(&d, one_x, 1, one_y, 1, 64, 64, 0.2);
	ok(!d.tested && isnan(d.p) && d.regressed, "1 run each: no test, x2.00 alone decides");
	lb_cmp_decide(&d, one_x, 1, one_z, 1, 64, 64, 0.2);
	ok(!d.tested && !d.regressed, "1 run each: x1.19 is within 20 %%");
	lb_cmp_decide(&d, x, 3, x, 3, 64, 128, 0.2);
	ok(!d.latency_regressed && d.safe_regressed && d.regressed, "safe size 64 -> 128: a regression");
	lb_cmp_decide(&d, x, 3, x, 3, 64, LB_CMP_SAFE_NONE, 0.2);
	ok(d.safe_regressed, "safe size 64 -> none: a regression");
	lb_cmp_decide(&d, x, 3, x, 3, LB_CMP_SAFE_NONE, 64, 0.2);
	ok(!d.regressed, "safe size none -> 64: better");
	lb_cmp_decide(&d, x, 3, x, 3, 128, 64, 0.2);
	ok(!d.regressed, "safe size 128 -> 64: better");
	lb_cmp_decide(&d, x, 3, x, 3, 64, LB_CMP_SAFE_UNKNOWN, 0.2);
	ok(!d.regressed, "safe size unknown: not compared");
	lb_cmp_decide(&d, x, 3, x, 3, 64, 128, 1.0);
	ok(!d.regressed, "one step (x2) is not more than --tolerance 100");
	lb_cmp_decide(&d, x, 3, x, 3, 64, 256, 1.0);
	ok(d.regressed, "two steps (x4) are");
	lb_cmp_decide(&d, (double[]){ 0 }, 1, (double[]){ 1 }, 1, 64, 64, 0.2);
	ok(isinf(d.ratio) && d.regressed, "a baseline median of 0: an infinite ratio, not a NaN");
}

/* a small valid result; frames "null" for no safe size, NULL for no verdict cell at all */
static char *result(const char *name, const char *release, const char *label, double p99, double max,
		    const char *frames, const char *status)
{
	char *path, *text;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    asprintf(&text,
		     "{\n  \"schema\": \"latency-bench/1\",\n  \"label\": \"%s\",\n  \"plane\": \"timer\",\n"
		     "  \"params\": {\"interval_ns\": 1000000},\n"
		     "  \"system\": {\"kernel_release\": \"%s\", \"checks\": [{\"id\": \"preempt\", "
		     "\"title\": \"Preemption model\", \"status\": \"%s\", \"value\": \"PREEMPT_RT <full>\", "
		     "\"advice\": \"\"}]},\n"
		     "  \"samples\": 1000,\n  \"missed_periods\": 2,\n  \"xruns\": 1,\n"
		     "  \"latency_us\": {\"min\": 1.0, \"p50\": 5.5, \"p99\": %.3f, \"p999\": null, \"max\": %.3f},\n"
		     "  \"histogram\": {\"unit\": \"ns\", \"buckets\": [[5000, 5001, 990], [%.0f, %.0f, 10]]},\n"
		     "  \"verdict\": {\"safe\": [%s%s%s]}\n}\n",
		     label, release, status, p99, max, max * 1000, max * 1000 + 1,
		     frames ? "{\"rate\": 48000, \"periods\": 2, \"frames\": " : "", frames ? frames : "",
		     frames ? "}" : "") < 0)
		abort();
	tap_write_file(path, text);
	free(text);
	return path;
}

/* the message of the latest add_file, add or analyse */
static struct strbuf err = STRBUF_INIT;

static int add_file(struct lb_cmp *c, const char *path)
{
	strbuf_reset(&err);
	return lb_cmp_add_file(c, path, &err);
}

static int analyse(struct lb_cmp *c)
{
	strbuf_reset(&err);
	return lb_cmp_analyse(c, &err);
}

/* add_file, and free path */
static int add(struct lb_cmp *c, char *path)
{
	int ret = add_file(c, path);

	free(path);
	return ret;
}

static char *group_keys(const struct lb_cmp *c)
{
	struct strbuf sb = STRBUF_INIT;

	for (int k = 0; k < c->ngroups; k++)
		strbuf_addf(&sb, "%s%s:%d", k ? " " : "", c->group[k].key, c->group[k].nruns);
	return strbuf_detach(&sb, NULL);
}

/* Results all of kernel 6.1, analysed: grouped `by` into `keys`, and the note says by what. */
static void one_release(struct lb_cmp *c, enum lb_cmp_by by, const char *keys, const char *word)
{
	char *k, *note;

	is_int(analyse(c), 0, "one kernel release, compared by %s", word);
	k = group_keys(c);
	is_str(k, keys, "  the groups, the baseline first");
	ok(c->by == by, "  c->by says %s", word);
	if (asprintf(&note, "all results are of kernel 6.1: compared by %s", word) < 0)
		abort();
	is_str(c->note, note, "  the note says why");
	free(k);
	free(note);
}

static void test_grouping(void)
{
	struct lb_cmp c = { .o = { .metric = LB_CMP_P99, .tolerance = 0.2 } };
	char *keys;

	is_int(add(&c, result("a1.json", "6.1", "x", 40, 500, "64", "ok")), 0, "read a1");
	is_int(add(&c, result("b1.json", "6.12", "y", 88, 1000, "128", "warn")), 0, "read b1");
	is_int(add(&c, result("a2.json", "6.1", "y", 40.8, 500, "64", "ok")), 0, "read a2");
	is_int(add(&c, result("c1.json", "6.6", "x", 41, 500, "64", "ok")), 0, "read c1");
	is_int(add(&c, result("b2.json", "6.12", "x", 92.4, 1000, "128", "warn")), 0, "read b2");
	is_int(add(&c, result("a3.json", "6.1", "x", 41.6, 500, "64", "ok")), 0, "read a3");
	is_int(add(&c, result("b3.json", "6.12", "x", 96.8, 1000, "128", "warn")), 0, "read b3");
	is_int(analyse(&c), 0, "analyse");
	keys = group_keys(&c);
	is_str(keys, "6.1:3 6.12:3 6.6:1", "grouped by release, in the order first given");
	free(keys);
	is_int(c.nregressed, 1, "one group regressed");
	ok(c.group[1].d.regressed && c.group[1].d.latency_regressed && c.group[1].d.safe_regressed,
	   "6.12: p99 and safe size");
	ok(!c.group[2].d.regressed && !c.group[2].d.tested, "6.6: 1 run, x1.00, no test");
	is_int(c.group[0].samples, 3000, "samples added up");
	is_int(c.group[0].missed, 6, "missed periods added up");
	is_int(c.group[0].xruns, 3, "xruns added up");
	is_near(c.group[1].lat[LB_CMP_P99], 92.4, 0, "median p99 of the group");
	ok(isnan(c.group[1].lat[LB_CMP_P999]), "no p99.9 in any run: NaN, shown as -");
	is_int(c.group[1].safe, 128, "safe size of the group");

	{
		struct strbuf t = STRBUF_INIT;
		const char *line;

		lb_cmp_text(&c, &t);
		line = strstr(t.buf, "\n6.12: ");
		ok(line && starts_with(line + 1, "6.12: p99 40.8 → 92.4 us (x2.26, shift +51.6 us, delta +1.00); "
					       "3 runs each: Mann-Whitney p = 0.050; safe size 64 → 128 frames at "
					       "48 kHz: regression (p99, safe size)\n"),
		   "the decision line for 6.12");
		ok(strstr(t.buf, "\n6.6: p99 40.8 → 41.0 us (x1.00, shift +0.2 us, delta +0.33); 3 and 1 runs: "
				 "no statistical test, the ratio alone decides; safe size 64 frames at 48 kHz, "
				 "unchanged: no regression (within 20 %)\n"),
		   "the decision line for 6.6");
		ok(strstr(t.buf, "\nregression: 1 of 2 kernel releases: 6.12 (p99 x2.26; safe size 64 → 128 frames "
				 "at 48 kHz)\n"),
		   "the summary line");
		ok(strstr(t.buf, "\n6.12      3       3000      5.5     92.4        -   1000.0       6      3  128\n"),
		   "the table row of 6.12");
		strbuf_release(&t);
	}
	lb_cmp_free(&c);

	/* the same files by label, with a baseline named */
	c = (struct lb_cmp){ .o = { .by = LB_CMP_BY_LABEL, .metric = LB_CMP_P99, .tolerance = 0.2, .baseline = "y" } };
	for (const char *const *f = (const char *const[]){ "a1", "b1", "a2", "c1", "b2", "a3", "b3", NULL }; *f; f++) {
		char *p;

		if (asprintf(&p, "%s/%s.json", dir, *f) < 0)
			abort();
		add(&c, p);
	}
	is_int(analyse(&c), 0, "analyse by label");
	keys = group_keys(&c);
	is_str(keys, "y:2 x:5", "by label, the baseline first");
	free(keys);
	lb_cmp_free(&c);

	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99, .tolerance = 0.2, .baseline = "6.2" } };
	add(&c, result("d1.json", "6.1", "x", 40, 500, "64", "ok"));
	add(&c, result("d2.json", "6.12 <rt>", "x", 40, 500, "64", "ok"));
	is_int(analyse(&c), -EINVAL, "a baseline that is not there");
	is_str(err.buf, "error: no result of baseline '6.2' (the kernel releases given: '6.1', '6.12 <rt>')",
	       "names the groups there are");
	lb_cmp_free(&c);

	/* one kernel, before and after a change: by label when the labels tell the runs apart */
	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99, .tolerance = 0.2 } };
	add(&c, result("e1.json", "6.1", "x", 40, 500, "64", "ok"));
	add(&c, result("e2.json", "6.1", "y", 40, 500, "64", "ok"));
	add(&c, result("e3.json", "6.1", "y", 40, 500, "64", "ok"));
	one_release(&c, LB_CMP_BY_LABEL, "x:1 y:2", "label");
	lb_cmp_free(&c);

	/* else each file on its own, by its name */
	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99, .tolerance = 0.2, .baseline = "f2.json" } };
	add(&c, result("f1.json", "6.1", "x", 40, 500, "64", "ok"));
	add(&c, result("f2.json", "6.1", "x", 80, 500, "64", "ok"));
	one_release(&c, LB_CMP_BY_FILE, "f2.json:1 f1.json:1", "file");
	{
		struct strbuf t = STRBUF_INIT;

		lb_cmp_text(&c, &t);
		ok(starts_with(t.buf, "note: all results are of kernel 6.1: compared by file\n"
				      "baseline: f2.json (1 run), compared with 1 other file\n"), "the text starts with the note");
		ok(strstr(t.buf, "\nfile    runs "), "the table's first column is the file");
		strbuf_release(&t);
	}
	lb_cmp_free(&c);

	/* the same file name in two directories: the paths as given */
	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99, .tolerance = 0.2 } };
	{
		char *p1, *p2, *d1, *d2, *g1 = result("g1.json", "6.1", "x", 40, 500, "64", "ok"),
		     *g2 = result("g2.json", "6.1", "x", 40, 500, "64", "ok"), *want;

		if (asprintf(&d1, "%s/run1", dir) < 0 || asprintf(&d2, "%s/run2", dir) < 0 ||
		    asprintf(&p1, "%s/r.json", d1) < 0 || asprintf(&p2, "%s/r.json", d2) < 0 ||
		    asprintf(&want, "%s:1 %s:1", p1, p2) < 0)
			abort();
		ok(!mkdir(d1, 0755) && !mkdir(d2, 0755) && !rename(g1, p1) && !rename(g2, p2), "r.json in two directories");
		add(&c, p1);
		add(&c, p2);
		is_int(analyse(&c), 0, "one kernel, one label, one file name");
		keys = group_keys(&c);
		is_str(keys, want, "grouped by path");
		free(keys);
		free(want);
		free(g1);
		free(g2);
		free(d1);
		free(d2);
	}
	lb_cmp_free(&c);

	/* --by release given: no fallback */
	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99, .tolerance = 0.2, .by_given = 1 } };
	add(&c, result("e1.json", "6.1", "x", 40, 500, "64", "ok"));
	add(&c, result("e2.json", "6.1", "y", 40, 500, "64", "ok"));
	is_int(analyse(&c), -EINVAL, "one kernel only, --by release given");
	is_str(err.buf, "error: all 2 results are of one kernel release, '6.1': nothing to compare with "
		    "(--by label groups by the results' labels, --by file each file on its own)", "says why");
	ok(!c.note, "no note");
	lb_cmp_free(&c);
}

static void test_bad_input(void)
{
	static const struct {
		const char *name, *text, *err;
	} t[] = {
		{ "empty.json", "", "%s:1: error: not valid JSON: unexpected end of file" },
		{ "truncated.json", "{\n  \"schema\": \"latency-bench/1\",\n  \"samples\": 1",
		  "%s:3: error: not valid JSON: unexpected end of file" },
		{ "foreign.json", "{\"name\": \"left-pad\", \"version\": \"1.3.0\"}\n",
		  "%s: error: not a latency-bench result: no \"schema\"" },
		{ "schema2.json", "{\"schema\": \"latency-bench/2\"}\n",
		  "%s: error: unsupported schema 'latency-bench/2' (expected 'latency-bench/1')" },
		{ "array.json", "[1, 2]\n", "%s: error: not a latency-bench result: not a JSON object" },
		{ "no-xruns.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0}\n", "%s: error: no \"xruns\"" },
		{ "neg.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": -1, \"missed_periods\": 0, \"xruns\": 0}\n", "%s: error: \"samples\" is not an integer >= 0" },
		{ "no-p99.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 40, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": null}}\n",
		  "%s: error: no p99 latency (\"latency_us\".\"p99\" is null: it needs at least 100 samples, "
		  "this run has 40); compare another --metric" },
		{ "bad-safe.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": 1}, "
		  "\"system\": {\"kernel_release\": \"6.1\"}, \"verdict\": {\"safe\": [{\"rate\": 48000, "
		  "\"periods\": 2, \"frames\": \"64\"}]}}\n",
		  "%s: error: \"verdict\".\"safe\"[0].\"frames\" is not null or a number of frames from 1 to 1048576" },
		{ "no-release.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": 1}}\n",
		  "%s: error: no \"system\".\"kernel_release\" to group it by (--by label groups by the label)" },
		/* json-c reads these as INT64_MAX; the reader must not */
		{ "huge-samples.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 1180591620717411303424, \"missed_periods\": 0, \"xruns\": 0}\n",
		  "%s: error: \"samples\" is out of range (0 to 9223372036854775807)" },
		{ "int64max-plus1.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 9223372036854775808, \"xruns\": 0}\n",
		  "%s: error: \"missed_periods\" is out of range (0 to 9223372036854775807)" },
		{ "huge-xruns.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0, \"xruns\": 18446744073709551616}\n",
		  "%s: error: \"xruns\" is out of range (0 to 9223372036854775807)" },
		{ "huge-interval.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"params\": {\"interval_ns\": 99999999999999999999}, \"samples\": 0, \"missed_periods\": 0, "
		  "\"xruns\": 0}\n",
		  "%s: error: \"params\".\"interval_ns\" is out of range (0 to 9223372036854775807)" },
		{ "huge-bucket.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": "
		  "[[1, 2, 3], [5, 6, 1180591620717411303424]]}, \"samples\": 0, \"missed_periods\": 0, \"xruns\": 0}\n",
		  "%s: error: \"histogram\".\"buckets\"[1][2] is out of range (0 to 9223372036854775807)" },
		{ "huge-rate.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": 1}, "
		  "\"verdict\": {\"safe\": [{\"rate\": 48000, \"periods\": 99999999999999999999}]}}\n",
		  "%s: error: \"verdict\".\"safe\"[0].\"periods\" is out of range (0 to 9223372036854775807)" },
		{ "bad-checks.json", "{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}, "
		  "\"samples\": 0, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": 1}, "
		  "\"system\": {\"kernel_release\": \"6.1\", \"checks\": [{\"title\": \"x\"}]}}\n",
		  "%s: error: \"system\".\"checks\"[0] is not an object with string \"id\", \"title\", \"status\" and \"value\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct lb_cmp c = { .o = { .metric = LB_CMP_P99 } };
		char *path, want[512];

		if (asprintf(&path, "%s/%s", dir, t[i].name) < 0)
			abort();
		tap_write_file(path, t[i].text);
		snprintf(want, sizeof(want), t[i].err, path);
		is_int(add_file(&c, path), -EINVAL, "%s is refused", t[i].name);
		is_str(err.buf, want, "%s: the message names the file", t[i].name);
		is_int(c.nruns, 0, "%s: nothing kept", t[i].name);
		lb_cmp_free(&c);
		free(path);
	}
	{
		struct lb_cmp c = { .o = { .metric = LB_CMP_P99 } };
		char *path;

		if (asprintf(&path, "%s/missing.json", dir) < 0)
			abort();
		is_int(add_file(&c, path), -ENOENT, "a missing file: -ENOENT");
		ok(strstr(err.buf, "missing.json: error: cannot read: No such file or directory") != NULL,
		   "a missing file is named");
		free(path);
	}
}

/* a result whose counts are each `count` (a decimal string) */
static char *counted(const char *name, const char *release, const char *count)
{
	char *path, *text;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    asprintf(&text, "{\"schema\": \"latency-bench/1\", \"system\": {\"kernel_release\": \"%s\"}, "
			    "\"samples\": %s, \"missed_periods\": 0, \"xruns\": 0, \"latency_us\": {\"p99\": 1}, "
			    "\"histogram\": {\"buckets\": []}}\n", release, count) < 0)
		abort();
	tap_write_file(path, text);
	free(text);
	return path;
}

/* Totals of a group that do not fit are an error, not a clamped number. */
static void test_totals(void)
{
	struct lb_cmp c = { .o = { .metric = LB_CMP_P99 } };
	char *third = counted("max-c.json", "6.1", "9223372036854775807"), *want;

	ok(!add(&c, counted("max-a.json", "6.1", "9223372036854775807")) &&
	   !add(&c, counted("max-b.json", "6.1", "9223372036854775807")) &&
	   !add(&c, counted("max-d.json", "6.12", "1")), "results at the top of the range are read");
	ok(!analyse(&c), "two of them add up (%s)", err.buf);
	is_int(c.group[0].samples, UINT64_MAX - 1, "their total is exact");
	lb_cmp_free(&c);

	c = (struct lb_cmp){ .o = { .metric = LB_CMP_P99 } };
	ok(!add(&c, counted("max-a.json", "6.1", "9223372036854775807")) &&
	   !add(&c, counted("max-b.json", "6.1", "9223372036854775807")) && !add_file(&c, third) &&
	   !add(&c, counted("max-d.json", "6.12", "1")), "three results at the top of the range are read");
	is_int(analyse(&c), -EINVAL, "three of them do not add up: -EINVAL");
	want = xasprintf("%s: error: \"samples\" of the results of kernel release '6.1' add up to more than "
			 "18446744073709551615", third);
	is_str(err.buf, want, "the total that does not fit is named, with the file that overflowed it");
	lb_cmp_free(&c);
	free(want);
	free(third);
}

static void test_reports(void)
{
	struct lb_cmp c = { .o = { .metric = LB_CMP_P99, .tolerance = 0.2 } };
	struct strbuf j = STRBUF_INIT, h = STRBUF_INIT;

	add(&c, result("f1.json", "6.1 & \\\"old\\\"", "x", 40, 500, "64", "ok"));
	add(&c, result("f2.json", "6.12 <rt>", "x", 80, 500, "null", "warn"));
	add(&c, result("f3.json", "6.13", "x", 40, 500, NULL, "info"));
	is_int(analyse(&c), 0, "analyse f1..f3");
	lb_cmp_junit(&c, &j);
	ok(strstr(j.buf, "<testsuite name=\"latency-bench-compare\" tests=\"2\" failures=\"1\""),
	   "JUnit: a testsuite with two testcases, one failure");
	ok(strstr(j.buf, "<property name=\"baseline\" value=\"6.1 &amp; &quot;old&quot;\"/>"),
	   "JUnit: the baseline escaped");
	ok(strstr(j.buf, "<testcase classname=\"latency-bench.compare\" name=\"6.12 &lt;rt&gt;\""),
	   "JUnit: the testcase name escaped");
	ok(strstr(j.buf, "safe size 64 frames → none at 48 kHz: regression (p99, safe size)</failure>"),
	   "JUnit: the failure holds the decision, safe size none");
	ok(strstr(j.buf, "<property name=\"safe_frames_48k\" value=\"none\"/>"), "JUnit: safe size none");
	ok(strstr(j.buf, "<property name=\"p_value\" value=\"none\"/>"), "JUnit: no p without a test");
	ok(strstr(j.buf, "safe size not in every result: no regression</system-out>"),
	   "JUnit: a result without the verdict cell is not compared on it");
	lb_cmp_html(&c, &h);
	ok(starts_with(h.buf, "<!DOCTYPE html>\n<html lang=\"en\">"), "HTML: a document");
	ok(strstr(h.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\"") && !strstr(h.buf, "<?xml"),
	   "HTML: the plot inline, without its XML declaration");
	is_int(strstr(h.buf, "<polyline stroke=\"#1f77b4\"") != NULL && strstr(h.buf, "<polyline stroke=\"#2ca02c\"") != NULL &&
	       !strstr(h.buf, "<polyline stroke=\"#ff7f0e\""), 1, "HTML: one curve per group");
	ok(strstr(h.buf, "6.12 &lt;rt&gt; (1 run) (max 500.0 &#181;s)"), "HTML: legend per group, escaped");
	ok(strstr(h.buf, "<td class=\"c-warn\"><b>WARN</b> PREEMPT_RT &lt;full&gt;</td>"),
	   "HTML: the checks side by side, warnings marked, values escaped");
	ok(!strstr(h.buf, "<rt>") && !strstr(h.buf, "\"old\""), "HTML: nothing unescaped");
	strbuf_release(&j);
	strbuf_release(&h);
	lb_cmp_free(&c);
}

int main(void)
{
	dir = tap_scratch_dir("lb-compare");
	test_mann_whitney();
	test_effect_sizes();
	test_decision_rule();
	test_grouping();
	test_bad_input();
	test_totals();
	test_reports();
	fs_remove_tree(dir);
	free(dir);
	strbuf_release(&err);
	return done_testing();
}
