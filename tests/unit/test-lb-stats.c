/* test-lb-stats.c - the histogram, percentiles, verdict math and report formats on synthetic data */
#include "tap.h"
#include <json-c/json.h>
#include <math.h>
#include "hist.h"
#include "lb.h"
#include "report.h"
#include "result.h"
#include "stats.h"
#include "verdict.h"

static struct hist *new_hist(void)
{
	struct hist *h = xmalloc(sizeof(*h));
	hist_init(h);
	return h;
}

static void add_n(struct hist *h, uint64_t ns, uint64_t n)
{
	while (n--)
		hist_add(h, ns);
}

static void test_buckets(void)
{
	unsigned i, bad_round = 0, bad_chain = 0, bad_width = 0;

	is_int(HIST_BUCKETS, 14336, "1024 linear buckets + 26 octaves of 512");
	is_int(hist_index(1023), 1023, "1023 ns is the last 1 ns bucket");
	is_int(hist_index(1024), 1024, "1024 ns starts the log part");
	is_int(hist_index(1025), 1024, "1025 ns shares a 2 ns bucket with 1024");
	is_int(hist_index(1026), 1025, "1026 ns is the next bucket");
	is_int(hist_lower(1025), 1026, "lower bound of bucket 1025");
	is_int(hist_index(HIST_LIMIT_NS - 1), HIST_BUCKETS - 1, "the last bucket ends at 2^36 ns");
	is_int(hist_upper(HIST_BUCKETS - 1), HIST_LIMIT_NS, "upper bound of the last bucket");
	for (i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_lower(i), hi = hist_upper(i);
		if (hist_index(lo) != i || hist_index(hi - 1) != i)
			bad_round++;
		if (i + 1 < HIST_BUCKETS && hi != hist_lower(i + 1))
			bad_chain++;
		if (i >= HIST_LINEAR && (hi - lo) * 512 > lo)
			bad_width++;
	}
	is_int(bad_round, 0, "every bucket's bounds map back to it");
	is_int(bad_chain, 0, "buckets are contiguous");
	is_int(bad_width, 0, "no bucket is wider than 1/512 of its lower bound");
}

static void test_hist_values(void)
{
	struct hist *h = new_hist(), *g = new_hist();
	uint64_t i;

	is_int(hist_at_rank(h, 1), 0, "an empty histogram has no ranks");
	for (i = 1; i <= 1000; i++)
		hist_add(h, i);
	is_int(h->count, 1000, "count");
	is_int(h->min_ns, 1, "exact min");
	is_int(h->max_ns, 1000, "exact max");
	ok(hist_mean_ns(h) == 500.5, "exact mean 500.5");
	is_int(hist_at_rank(h, 500), 500, "rank 500 in the 1 ns region is exact");
	is_int(hist_count_above(h, 900), 100, "100 samples above 900 ns");
	is_int(hist_count_above(h, 1000), 0, "none above the max");

	hist_add(g, 1000000);
	hist_add(g, 1000001);
	hist_add(g, 100ULL * 1000 * 1000 * 1000);
	is_int(g->overflow, 1, "100 s lands in the overflow");
	is_int(g->max_ns, 100000000000ULL, "max stays exact past the last bucket");
	is_int(hist_at_rank(g, 2), 1000447, "a 1 ms sample reports its bucket's upper end (1024 ns wide)");
	is_int(hist_at_rank(g, 3), 100000000000ULL, "the top rank is the exact max");
	is_int(hist_count_above(g, 2000000), 1, "only the overflow sample is above 2 ms");
	hist_merge(h, g);
	is_int(h->count, 1003, "merged count");
	is_int(h->overflow, 1, "merged overflow");
	is_int(h->min_ns, 1, "merged min");
	is_int(h->max_ns, 100000000000ULL, "merged max");
	free(h);
	free(g);
}

static void test_percentiles(void)
{
	struct hist *h = new_hist();
	struct lb_stats s;
	const uint64_t want[LB_NPCT] = { 20031, 20031, 20031, 20031, 100095, 100095, 500223 };
	const uint64_t beyond[LB_NPCT] = { 500000, 100000, 10000, 1000, 100, 10, 1 };
	unsigned i;

	add_n(h, 20000, 999000);
	add_n(h, 100000, 990);
	add_n(h, 500000, 9);
	hist_add(h, 2000000);
	lb_stats_from_hist(&s, h);
	is_int(s.samples, 1000000, "a million samples");
	for (i = 0; i < LB_NPCT; i++) {
		ok(s.pct[i].valid, "%s is backed by samples", s.pct[i].name);
		is_int(s.pct[i].value_ns, want[i], "%s value", s.pct[i].name);
		is_int(s.pct[i].beyond, beyond[i], "%s has the samples beyond it", s.pct[i].name);
		is_int(s.pct[i].rank, 1000000 - beyond[i], "%s rank", s.pct[i].name);
	}
	is_int(s.max_ns, 2000000, "exact max");
	is_int(s.min_ns, 20000, "exact min");
	ok(lb_stats_pct(&s, "p9999") == &s.pct[4], "lookup by JSON key");

	hist_init(h);
	add_n(h, 5000, 999);
	lb_stats_from_hist(&s, h);
	ok(s.pct[2].valid && !s.pct[3].valid, "999 samples support p99 but not p99.9");
	is_int(s.pct[3].beyond, 0, "an unsupported percentile has no samples beyond");
	free(h);
}

static void test_verdict(void)
{
	struct lb_verdict v;
	char buf[64];

	ok(lb_upper_failure_prob(1) > 0.9499999 && lb_upper_failure_prob(1) < 0.9500001,
	   "one clean trial bounds the failure probability at 0.95");
	ok(lb_upper_failure_prob(0) == 1.0, "no trials bound nothing");
	ok(fabs(lb_upper_failure_prob(1000000) * 1e6 - 2.995728) < 1e-5, "rule of three: 3/n for large n");
	ok(lb_trials_needed(0.5) == 5.0, "5 clean coin flips give 95 %% confidence that p < 0.5");
	ok(fabs(lb_budget_ns(64, 48000, 2, 0.5) - 666666.6667) < 1e-3, "64 frames at 48 kHz, 2 periods: 667 us");

	lb_format_duration(buf, sizeof(buf), 7200);
	is_str(buf, "2 h", "two hours");
	lb_format_duration(buf, sizeof(buf), 5400);
	is_str(buf, "1.5 h", "an hour and a half");
	lb_format_duration(buf, sizeof(buf), 90);
	is_str(buf, "1 min 30 s", "ninety seconds");
	lb_format_duration(buf, sizeof(buf), 45);
	is_str(buf, "45 s", "seconds");
	lb_format_duration(buf, sizeof(buf), 1.5);
	is_str(buf, "1.5 s", "short");

	lb_verdict_compute(&v, 1000000, 250000, 1000, NULL, 0.5, 0, 0);
	is_int(v.cell[0][0].frames, 32, "44.1 kHz, 2 periods: 32 frames");
	is_int(v.cell[1][0].frames, 32, "48 kHz, 2 periods: 32 frames");
	is_int(v.cell[2][0].frames, 64, "96 kHz, 2 periods: 64 frames");
	is_int(v.cell[0][1].frames, 16, "44.1 kHz, 3 periods: 16 frames");
	is_int(v.cell[1][1].frames, 16, "48 kHz, 3 periods: 16 frames");
	is_int(v.cell[2][1].frames, 16, "96 kHz, 3 periods: 16 frames (budget exactly 250 us)");
	ok(fabs(v.cell[1][0].budget_us - 333.333) < 0.001, "budget at 32 frames, 48 kHz: 333.333 us");
	ok(fabs(v.cell[1][0].xruns_per_hour - 16.17693) < 1e-4, "at most 16.18 xruns/h (95 %%)");
	ok(fabs(v.cell[1][0].seconds_for_one_per_hour - 16176.953) < 1e-3, "16177 s for one per hour");
	is_str(v.summary, "suitable for 32-frame buffers at 48 kHz (2 periods); measured 16 min 40 s without load",
	       "summary");
	is_str(v.confidence,
	       "1000000 clean wakeups support at most 16.2 xruns per hour at 32 frames, 48 kHz (95 % confidence); "
	       "claiming at most one per hour needs a clean run of 4.5 h",
	       "confidence");

	lb_verdict_compute(&v, 45000, 300000000, 60, "cpu", 0.5, 0, 0);
	is_int(v.cell[1][0].frames, 0, "a 300 ms stall leaves no safe size");
	is_int(v.cell[1][1].frames, 0, "not even with 3 periods");
	is_str(v.summary,
	       "not suitable for audio: even 8192-frame buffers at 48 kHz (2 periods) would have xruns "
	       "(worst wakeup 300.0 ms late); measured 1 min under load: cpu",
	       "unsuitable summary");
}

/* An audio plane's verdict speaks for the period it measured and longer ones, never shorter. */
static void test_verdict_measured_period(void)
{
	struct lb_verdict v;

	/* the run: 235 wakeups 1024 frames apart, each a few hundred us late */
	lb_verdict_compute(&v, 235, 250000, 5, NULL, 0.5, 1024, 48000);
	is_int(v.cell[1][0].from_frames, 1024, "48 kHz: from the 1024 frames measured");
	is_int(v.cell[1][0].frames, 1024, "48 kHz, 2 periods: 1024, not the 32 a timer would allow");
	is_str(lb_basis_name(v.cell[1][0].basis), "measured", "48 kHz at 1024 frames: measured");
	is_int(v.cell[0][0].from_frames, 1024, "44.1 kHz: 512 frames is shorter than 21.3 ms, 1024 is not");
	is_str(lb_basis_name(v.cell[0][0].basis), "bound", "44.1 kHz at 1024 frames: a bound");
	is_int(v.cell[2][0].frames, 2048, "96 kHz: 2048 frames, the same 21.3 ms");
	is_str(lb_basis_name(v.cell[2][0].basis), "measured", "96 kHz at 2048 frames: the period measured");
	is_int(v.cell[1][1].frames, 1024, "3 periods: no smaller either");
	is_str(v.summary, "suitable for 1024-frame buffers at 48 kHz (2 periods), the size measured (smaller sizes "
	       "were not); measured 5.0 s without load", "the summary says which size was measured");
	is_int(v.measured_frames, 1024, "the measured period is kept");

	/* 64 frames measured, but 800 us late at worst: 128 is safe, bounded by what 64 showed */
	lb_verdict_compute(&v, 10000, 800000, 13, NULL, 0.5, 64, 48000);
	is_int(v.cell[1][0].frames, 128, "48 kHz: 128 frames");
	is_str(lb_basis_name(v.cell[1][0].basis), "bound", "128 frames: a bound from 64");
	is_str(v.summary, "suitable for 128-frame buffers at 48 kHz (2 periods), a bound from the 64-frame periods "
	       "measured (smaller sizes were not); measured 13 s without load", "a bound says so");

	/* 16 frames measured at 48 kHz: the whole grid is judged, nothing below 16 exists */
	lb_verdict_compute(&v, 100000, 50000, 33, NULL, 0.5, 16, 48000);
	is_str(v.summary, "suitable for 16-frame buffers at 48 kHz (2 periods), the size measured; measured 33 s "
	       "without load", "the smallest size: nothing unmeasured to mention");

	/* a period longer than the grid: nothing to say at 48 kHz */
	lb_verdict_compute(&v, 100, 50000, 60, NULL, 0.5, 16384, 48000);
	is_int(v.cell[1][0].frames, 0, "16384 frames measured: no 48 kHz size up to 8192 judged");
	is_str(lb_basis_name(v.cell[1][0].basis), "not measured", "and the cell says why");
	ok(!strncmp(v.summary, "nothing to say of buffers up to 8192 frames at 48 kHz: the run measured 16384-frame",
		    60), "the summary does not call it unsuitable");

	/* the timer plane's model: every size */
	lb_verdict_compute(&v, 1000000, 250000, 1000, NULL, 0.5, 0, 0);
	is_str(lb_basis_name(v.cell[1][0].basis), "model", "timer: the model");
	is_int(v.cell[1][0].from_frames, 16, "timer: from 16 frames");
}

static struct lb_run *synthetic_run(void)
{
	static int cpus[2] = { 0, 1 };
	struct lb_run *r = xcalloc(1, sizeof(*r));

	r->plane = "timer";
	r->label = "test \"run\" <1>";
	r->cpus = cpus;
	r->ncpus = 2;
	r->priority = 80;
	r->rate = 48000;
	r->period = 64;
	r->interval_ns = 1333333;
	r->duration_s = 1;
	r->elapsed_s = 1;
	r->dsp_load = 0.5;
	r->max_missed = -1;
	r->hist_us_max = 4;
	r->command = "latency-bench --duration 1";
	r->sched_fifo = r->memory_locked = r->realtime = 1;
	snprintf(r->sys.kernel_release, sizeof(r->sys.kernel_release), "6.12.0-test");
	snprintf(r->sys.preemption_model, sizeof(r->sys.preemption_model), "PREEMPT_RT");
	if (lb_run_alloc(r))
		BUG("alloc");
	/* CPU 0: 2 us x3, 3 us x1; CPU 1: 1 us, 7 us (past the 4 us histogram), 2 ms (an xrun) */
	add_n(&r->cpu[0].hist, 2500, 3);
	hist_add(&r->cpu[0].hist, 3100);
	r->cpu[0].us_bins[2] = 3;
	r->cpu[0].us_bins[3] = 1;
	hist_add(&r->cpu[1].hist, 1200);
	hist_add(&r->cpu[1].hist, 7000);
	hist_add(&r->cpu[1].hist, 2000000);
	r->cpu[1].us_bins[1] = 1;
	r->cpu[1].us_overflow = 2;
	r->cpu[1].us_overflow_cycle[0] = 1;
	r->cpu[1].us_overflow_cycle[1] = 2;
	r->cpu[1].missed = 1;
	r->cpu[1].xruns = 1;
	r->cpu[1].over[0] = r->cpu[1].over[1] = r->cpu[1].over[2] = 1;
	lb_run_finish(r, NULL);
	return r;
}

static void test_cyclictest_format(void)
{
	struct lb_run *r = synthetic_run();
	struct strbuf sb = STRBUF_INIT;

	lb_report_cyclictest(r, &sb);
	is_str(sb.buf,
	       "# Histogram\n"
	       "000000 000000\t000000\n"
	       "000001 000000\t000001\n"
	       "000002 000003\t000000\n"
	       "000003 000001\t000000\n"
	       "# Total: 000000004 000000001\n"
	       "# Min Latencies: 00002 00001\n"
	       "# Avg Latencies: 00002 00669\n"
	       "# Max Latencies: 00003 02000\n"
	       "# Histogram Overflows: 00000 00002\n"
	       "# Histogram Overflow at cycle number:\n"
	       "# Thread 0:\n"
	       "# Thread 1: 00001 00002\n",
	       "cyclictest's histogram file, column for column");
	strbuf_release(&sb);
	lb_run_free(r);
	free(r);
}

static void test_json(void)
{
	struct lb_run *r = synthetic_run();
	struct strbuf sb = STRBUF_INIT;
	struct json_object *root, *o, *lat, *hist, *buckets;
	size_t i;
	int64_t sum = 0;

	lb_result_write(r, "test", &sb);
	ok(!strstr(sb.buf, "nan") && !strstr(sb.buf, "inf"), "no NaN or Inf in the JSON");
	root = json_tokener_parse(sb.buf);
	ok(root != NULL, "the result parses as JSON");
	if (!root) {
		strbuf_release(&sb);
		return;
	}
	json_object_object_get_ex(root, "schema", &o);
	is_str(json_object_get_string(o), "latency-bench/1", "schema");
	json_object_object_get_ex(root, "label", &o);
	is_str(json_object_get_string(o), "test \"run\" <1>", "label survives escaping");
	json_object_object_get_ex(root, "samples", &o);
	is_int(json_object_get_int64(o), 7, "samples");
	json_object_object_get_ex(root, "missed_periods", &o);
	is_int(json_object_get_int64(o), 1, "missed_periods");
	json_object_object_get_ex(root, "xruns", &o);
	is_int(json_object_get_int64(o), 1, "xruns");
	json_object_object_get_ex(root, "latency_us", &lat);
	json_object_object_get_ex(lat, "max", &o);
	ok(json_object_get_double(o) == 2000.0, "max 2000 us");
	json_object_object_get_ex(lat, "min", &o);
	ok(json_object_get_double(o) == 1.2, "min 1.2 us");
	json_object_object_get_ex(lat, "p9999", &o);
	ok(json_object_is_type(o, json_type_null), "p99.99 of 7 samples is null, not a guess");
	json_object_object_get_ex(root, "histogram", &hist);
	json_object_object_get_ex(hist, "buckets", &buckets);
	for (i = 0; i < json_object_array_length(buckets); i++)
		sum += json_object_get_int64(json_object_array_get_idx(json_object_array_get_idx(buckets, i), 2));
	is_int(sum, 7, "the buckets hold every sample");
	json_object_object_get_ex(root, "per_cpu", &o);
	is_int(json_object_array_length(o), 2, "one entry per CPU");
	json_object_object_get_ex(root, "verdict", &o);
	json_object_object_get_ex(o, "summary", &o);
	is_str(json_object_get_string(o), r->verdict.summary, "verdict summary");
	json_object_put(root);
	strbuf_release(&sb);
	lb_run_free(r);
	free(r);
}

int main(void)
{
	test_buckets();
	test_hist_values();
	test_percentiles();
	test_verdict();
	test_verdict_measured_period();
	test_cyclictest_format();
	test_json();
	return done_testing();
}
