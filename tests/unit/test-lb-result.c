/* test-lb-result.c - unit tests for the result file's cause analysis: the timeline the reporter
 * keeps, the writer's "cause_analysis", "causes", "spikes" and "timeline", the reader's checks */
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "fs.h"
#include "lb.h"
#include "result.h"
#include "strbuf.h"

static int cpus[2] = { 0, 1 };

/* A finished two-CPU timer run with nothing measured yet (caller: lb_run_free). */
static void new_run(struct lb_run *r, double duration_s)
{
	memset(r, 0, sizeof(*r));
	r->plane = "timer";
	r->label = "hand-filled";
	r->cpus = cpus;
	r->ncpus = 2;
	r->priority = 80;
	r->interval_ns = 1000000;
	r->duration_s = duration_s;
	r->elapsed_s = duration_s;
	if (lb_run_alloc(r))
		abort();
	r->causes_wanted = 1;
}

/* `n` more samples on CPU `i`, the worst `worst_ns`, as lb_cpu_sample leaves them for the reporter */
static void samples(struct lb_run *r, int i, uint64_t n, uint64_t worst_ns)
{
	r->cpu[i].hist.count += n;
	if (worst_ns > r->cpu[i].win_max_ns)
		r->cpu[i].win_max_ns = worst_ns;
}

static void test_timeline_tick(void)
{
	struct lb_run r;

	new_run(&r, 5);
	is_int(r.timeline_len, 10, "5 s: 5 steps and slack, an even number");
	ok(r.timeline_step_s == 1, "the step is 1 s");
	samples(&r, 0, 100, 30000);
	samples(&r, 1, 100, 50000);
	lb_run_timeline_tick(&r, 0.25, 0);
	is_int(r.ntimeline, 0, "inside the first step: no entry");
	is_int(r.cpu[1].win_max_ns, 50000, "and the window is left alone");
	lb_run_timeline_tick(&r, 1.0002, 0);
	is_int(r.ntimeline, 1, "after 1 s: one entry");
	is_int(r.timeline_ns[0], 50000, "the worst of both CPUs");
	is_int(r.cpu[0].win_max_ns + r.cpu[1].win_max_ns, 0, "each CPU's window taken and reset");
	lb_run_timeline_tick(&r, 2.0004, 0);
	ok(r.timeline_ns[1] == LB_TIMELINE_NONE, "a step without samples is none, not 0");
	samples(&r, 0, 5, 0);
	lb_run_timeline_tick(&r, 3.1, 0);
	is_int(r.timeline_ns[2], 0, "a step whose samples were all on time is 0");
	samples(&r, 1, 100, 70000);
	lb_run_timeline_tick(&r, 5.2, 0);
	is_int(r.ntimeline, 5, "a reporter that slept over a boundary: both steps");
	ok(r.timeline_ns[3] == LB_TIMELINE_NONE && r.timeline_ns[4] == 70000,
	   "the window goes to the later step, the missed one is none");
	samples(&r, 0, 3, 90000);
	lb_run_timeline_tick(&r, 5.3, 1);
	is_int(r.ntimeline, 5, "the end of a 5 s run: no sixth step");
	is_int(r.timeline_ns[4], 90000, "its last wakeups join the last step");
	lb_run_free(&r);

	new_run(&r, 0.5);
	samples(&r, 0, 10, 1234);
	lb_run_timeline_tick(&r, 0.51, 1);
	is_int(r.ntimeline, 1, "a run shorter than a step has one entry");
	is_int(r.timeline_ns[0], 1234, "with its worst wakeup");
	lb_run_free(&r);

	/* a run longer than the timeline holds: pairs merge and the step doubles */
	new_run(&r, 4);
	is_int(r.timeline_len, 8, "4 s: 8 entries");
	for (int s = 1; s <= 9; s++) {
		samples(&r, 0, 1, (uint64_t)s * 1000);
		lb_run_timeline_tick(&r, s + 0.001, 0);
	}
	ok(r.timeline_step_s == 2, "the ninth step doubled the step");
	is_int(r.ntimeline, 4, "eight entries merged into four");
	is_int(r.timeline_ns[0], 2000, "a merged step holds the worse of its two");
	is_int(r.timeline_ns[3], 8000, "the fourth merged step: seconds 7 and 8");
	is_int(r.cpu[0].win_max_ns, 9000, "the ninth second waits for the end of its 2 s step");
	samples(&r, 0, 1, 4000);
	lb_run_timeline_tick(&r, 10.001, 0);
	is_int(r.ntimeline, 5, "after 10 s: the fifth 2 s step");
	is_int(r.timeline_ns[4], 9000, "seconds 9 and 10 together");
	lb_run_free(&r);
}

/* a run with causes as cause.c leaves them after lb_causes_finish */
static void fill_causes(struct lb_run *r)
{
	struct lb_causes *c = &r->causes;
	struct lb_cause *k;
	struct lb_wakeup *w;

	c->available = 1;
	c->threshold_ns = 50000;
	c->late = 12;
	c->lost_events = 3;
	c->dropped = 1;
	k = &c->cause[c->ncauses++];
	*k = (struct lb_cause){ .kind = LB_CAUSE_IRQ, .cpu = 1, .count = 4, .max_ns = 81500, .total_ns = 200250,
				.irq = 24, .pid = 0 };
	snprintf(k->name, sizeof(k->name), "24 i915 (0000:00:02.0)");
	snprintf(k->device, sizeof(k->device), "0000:00:02.0");
	snprintf(k->driver, sizeof(k->driver), "i915");
	k = &c->cause[c->ncauses++];
	*k = (struct lb_cause){ .kind = LB_CAUSE_THREAD, .cpu = 0, .count = 9, .max_ns = 40000, .total_ns = 300000,
				.irq = -1, .pid = 4242, .priority = 90 };
	snprintf(k->name, sizeof(k->name), "kworker/0:1 \"odd\"");
	snprintf(k->policy, sizeof(k->policy), "FIFO");
	k = &c->cause[c->ncauses++];
	*k = (struct lb_cause){ .kind = LB_CAUSE_SOFTIRQ, .cpu = -1, .count = 1, .max_ns = 1000, .total_ns = 1000,
				.irq = -1 };
	snprintf(k->name, sizeof(k->name), "NET_RX");

	w = &c->worst;
	*w = (struct lb_wakeup){ .cpu = 1, .at_s = 2.5, .latency_ns = 120000, .irq_latency_ns = 30000,
				 .timer_irq_ns = 2000, .nparts = 2, .unaccounted_ns = 6500, .top = 0 };
	w->part[0] = (struct lb_cause_part){ .kind = LB_CAUSE_IRQ, .ns = 81500 };
	snprintf(w->part[0].name, sizeof(w->part[0].name), "24 i915 (0000:00:02.0)");
	w->part[1] = (struct lb_cause_part){ .kind = LB_CAUSE_THREAD, .ns = 30000 };
	snprintf(w->part[1].name, sizeof(w->part[1].name), "kworker/0:1 \"odd\"");
	c->spike[0] = *w;
	c->spike[1] = (struct lb_wakeup){ .cpu = 0, .at_s = 3.25, .latency_ns = 60000, .top = -1 };
	c->nspikes = 2;
}

static char *write_read(const struct lb_run *r, const char *top, const char *name, struct lb_result *res,
			int *ret, struct strbuf *json)
{
	char *path = xasprintf("%s/%s", top, name);
	struct strbuf err = STRBUF_INIT;

	strbuf_reset(json);
	lb_result_write(r, "test", json);
	tap_write_file(path, json->buf);
	*ret = lb_result_read(path, LB_NEED_RUN, res, &err);
	if (*ret)
		printf("# %s\n", err.buf);
	strbuf_release(&err);
	return path;
}

static void test_round_trip(const char *top)
{
	struct lb_run r;
	struct lb_result res;
	struct strbuf json = STRBUF_INIT;
	char *path;
	int ret;

	new_run(&r, 3);
	lb_run_finish(&r, NULL);
	fill_causes(&r);
	r.timeline_ns[0] = 81500;
	r.timeline_ns[1] = LB_TIMELINE_NONE;
	r.timeline_ns[2] = 40000;
	r.ntimeline = 3;
	path = write_read(&r, top, "causes.json", &res, &ret, &json);
	is_int(ret, 0, "a result with causes reads back");
	ok(strstr(json.buf, "  \"cause_analysis\": {\n    \"available\": true,\n    \"method\": \"timerlat\",\n"
			    "    \"threshold_us\": 50.000,\n    \"late_wakeups\": 12,\n    \"lost_events\": 3,\n"
			    "    \"dropped_causes\": 1,\n    \"worst\": {\n      \"cpu\": 1,\n      \"at_s\": 2.500000,\n"
			    "      \"latency_us\": 120.000,\n      \"irq_latency_us\": 30.000,\n"
			    "      \"timer_irq_us\": 2.000,\n      \"parts\": [\n        {\n          \"kind\": \"irq\",\n"
			    "          \"name\": \"24 i915 (0000:00:02.0)\",\n          \"us\": 81.500\n        },\n"),
	   "cause_analysis as written: no reason when available, the worst wakeup's parts");
	ok(strstr(json.buf, "    {\n      \"kind\": \"irq\",\n      \"name\": \"24 i915 (0000:00:02.0)\",\n"
			    "      \"cpu\": 1,\n      \"count\": 4,\n      \"max_us\": 81.500,\n"
			    "      \"total_us\": 200.250,\n      \"irq\": 24,\n      \"device\": \"0000:00:02.0\",\n"
			    "      \"driver\": \"i915\"\n    },\n"),
	   "an irq cause with its number, device and driver");
	ok(strstr(json.buf, "      \"name\": \"kworker/0:1 \\\"odd\\\"\",\n      \"cpu\": 0,\n      \"count\": 9,\n"
			    "      \"max_us\": 40.000,\n      \"total_us\": 300.000,\n      \"pid\": 4242,\n"
			    "      \"policy\": \"FIFO\",\n      \"priority\": 90\n"),
	   "a thread cause with pid, policy and priority; its name escaped");
	ok(strstr(json.buf, "      \"kind\": \"softirq\",\n      \"name\": \"NET_RX\",\n      \"cpu\": null,\n"
			    "      \"count\": 1,\n      \"max_us\": 1.000,\n      \"total_us\": 1.000\n    }\n"),
	   "a softirq cause: no CPU is null, no irq or thread members");
	ok(strstr(json.buf, "  \"spikes\": [\n    {\n      \"cpu\": 1,\n      \"at_s\": 2.500000,\n"
			    "      \"latency_us\": 120.000,\n      \"kind\": \"irq\",\n"
			    "      \"name\": \"24 i915 (0000:00:02.0)\"\n    },\n    {\n      \"cpu\": 0,\n"
			    "      \"at_s\": 3.250000,\n      \"latency_us\": 60.000,\n      \"kind\": null,\n"
			    "      \"name\": null\n    }\n  ],\n"),
	   "spikes with their top part; none is null");
	ok(strstr(json.buf, "  \"timeline\": {\n    \"step_s\": 1,\n    \"max_us\": [\n      81.500,\n      null,\n"
			    "      40.000\n    ]\n  },\n"),
	   "the timeline: a step without samples is null");
	if (!ret) {
		is_int(res.has_analysis, 1, "read: cause_analysis");
		is_int(res.analysis_available, 1, "read: available");
		ok(!res.analysis_reason, "read: no reason");
		ok(res.threshold_us == 50, "read: threshold");
		is_int(res.late_wakeups + res.lost_events * 100 + res.dropped_causes * 1000, 1312,
		       "read: late wakeups, lost events, dropped causes");
		is_int(res.has_worst, 1, "read: the worst wakeup");
		ok(res.worst.cpu == 1 && res.worst.at_s == 2.5 && res.worst.latency_us == 120 &&
		   res.worst.irq_latency_us == 30 && res.worst.timer_irq_us == 2 && res.worst.unaccounted_us == 6.5,
		   "read: its figures");
		is_int(res.worst.nparts, 2, "read: its parts");
		if (res.worst.nparts == 2) {
			is_int(res.worst.parts[1].kind, LB_CAUSE_THREAD, "read: the second part's kind");
			is_str(res.worst.parts[1].name, "kworker/0:1 \"odd\"", "read: its name unescaped");
		}
		is_int(res.ncauses, 3, "read: three causes");
		if (res.ncauses == 3) {
			const struct lb_result_cause *c = res.causes;

			ok(c[0].kind == LB_CAUSE_IRQ && c[0].cpu == 1 && c[0].count == 4 && c[0].max_us == 81.5 &&
			   c[0].total_us == 200.25 && c[0].irq == 24 && !strcmp(c[0].device, "0000:00:02.0") &&
			   !strcmp(c[0].driver, "i915") && !c[0].pid && !c[0].policy,
			   "read: the irq cause, in the order written");
			ok(c[1].kind == LB_CAUSE_THREAD && c[1].pid == 4242 && !strcmp(c[1].policy, "FIFO") &&
			   c[1].priority == 90 && c[1].has_priority && c[1].irq == -1, "read: the thread cause");
			ok(c[2].kind == LB_CAUSE_SOFTIRQ && c[2].cpu == -1 && !c[2].device && !c[2].has_priority,
			   "read: the softirq cause");
		}
		is_int(res.nspikes, 2, "read: two spikes");
		if (res.nspikes == 2)
			ok(res.spikes[0].kind == LB_CAUSE_IRQ && res.spikes[0].at_s == 2.5 && res.spikes[1].kind == -1 &&
			   !res.spikes[1].name && res.spikes[1].latency_us == 60, "read: the spikes");
		is_int(res.ntimeline, 3, "read: three steps");
		if (res.ntimeline == 3)
			ok(res.timeline_step_s == 1 && res.timeline_us[0] == 81.5 && isnan(res.timeline_us[1]) &&
			   res.timeline_us[2] == 40, "read: the steps, null as NaN");
		lb_result_release(&res);
	}
	free(path);

	/* more than LB_RESULT_MAX_TIMELINE steps: merged by their max */
	r.ntimeline = 0;
	free(r.timeline_ns);
	r.timeline_len = 7202;
	r.timeline_ns = xcalloc(r.timeline_len, sizeof(*r.timeline_ns));
	for (unsigned i = 0; i < 7201; i++)
		r.timeline_ns[r.ntimeline++] = i % 3 == 1 ? 2000 * (uint64_t)i : LB_TIMELINE_NONE;
	r.timeline_ns[7200] = LB_TIMELINE_NONE;
	path = write_read(&r, top, "long.json", &res, &ret, &json);
	is_int(ret, 0, "a long timeline reads back");
	if (!ret) {
		is_int(res.ntimeline, 2401, "7201 steps become 2401, three in one");
		ok(res.timeline_step_s == 3, "and the step is 3 s");
		ok(res.timeline_us[0] == 2 && res.timeline_us[2399] == 2000 * 7198 / 1000.0 && isnan(res.timeline_us[2400]),
		   "each the worst of its three; three nones are none");
		lb_result_release(&res);
	}
	free(path);

	/* --no-causes, and a tracer that could not run */
	r.causes_wanted = 0;
	path = write_read(&r, top, "no-causes.json", &res, &ret, &json);
	ok(strstr(json.buf, "  \"cause_analysis\": {\n    \"available\": false,\n    \"reason\": \"--no-causes\",\n"
			    "    \"method\": \"timerlat\",\n    \"threshold_us\": null,\n") &&
	   strstr(json.buf, "    \"worst\": null\n  },\n  \"causes\": [],\n  \"spikes\": [],\n"),
	   "--no-causes: unavailable with the reason, no causes even when the run has some");
	if (!ret) {
		ok(res.has_analysis && !res.analysis_available && !strcmp(res.analysis_reason, "--no-causes") &&
		   !res.has_worst && !res.ncauses && !res.nspikes, "read: unavailable, the reason");
		lb_result_release(&res);
	}
	free(path);
	r.causes_wanted = 1;
	r.causes.available = 0;
	snprintf(r.causes.unavailable, sizeof(r.causes.unavailable), "this kernel has no timerlat tracer");
	path = write_read(&r, top, "no-tracer.json", &res, &ret, &json);
	ok(strstr(json.buf, "    \"reason\": \"this kernel has no timerlat tracer\",\n"), "the tracer's reason");
	if (!ret)
		lb_result_release(&res);
	free(path);
	lb_run_free(&r);
	strbuf_release(&json);
}

/* A result with `members` added, read with LB_NEED_CAUSES: the error message after the path, or "". */
static char *read_with(const char *top, const char *members)
{
	char *path = xasprintf("%s/bad.json", top), *text, *msg;
	struct strbuf err = STRBUF_INIT;
	struct lb_result res;

	text = xasprintf("{\"schema\": \"latency-bench/1\", \"histogram\": {\"buckets\": []}%s%s}\n",
			 *members ? ", " : "", members);
	tap_write_file(path, text);
	if (lb_result_read(path, LB_NEED_CAUSES, &res, &err) == 0)
		lb_result_release(&res);
	msg = xstrdup(starts_with(err.buf, path) ? err.buf + strlen(path) : err.buf);
	strbuf_release(&err);
	free(text);
	free(path);
	return msg;
}

static void expect(const char *top, const char *members, const char *want)
{
	char *got = read_with(top, members);

	is_str(got, want, "%s", members);
	free(got);
}

static void test_rejections(const char *top)
{
	struct strbuf big = STRBUF_INIT;

	expect(top, "", "");
	expect(top, "\"cause_analysis\": null, \"causes\": null, \"spikes\": null, \"timeline\": null", "");
	expect(top, "\"cause_analysis\": []", ": error: \"cause_analysis\" is not an object");
	expect(top, "\"cause_analysis\": {\"available\": 1}",
	       ": error: \"cause_analysis\".\"available\" is not true or false");
	expect(top, "\"cause_analysis\": {\"available\": false}",
	       ": error: \"cause_analysis\".\"reason\" is not a string");
	expect(top, "\"cause_analysis\": {\"available\": true, \"late_wakeups\": -1}",
	       ": error: \"cause_analysis\".\"late_wakeups\" is not an integer >= 0");
	expect(top, "\"cause_analysis\": {\"available\": true, \"threshold_us\": -0.5}",
	       ": error: \"cause_analysis\".\"threshold_us\" is not a number from 0 to 1000000000000");
	expect(top, "\"cause_analysis\": {\"available\": true, \"worst\": {\"cpu\": 0, \"at_s\": 1, \"latency_us\": 1, "
		    "\"irq_latency_us\": 1, \"timer_irq_us\": 1, \"unaccounted_us\": 0, \"parts\": [{\"kind\": \"gremlin\", "
		    "\"name\": \"x\", \"us\": 1}]}}",
	       ": error: \"cause_analysis\".\"worst\".\"parts\"[0].\"kind\" is 'gremlin', not a kind of cause "
	       "(irq, softirq, nmi, thread, hardware, irq-off, preempt-off, idle)");
	expect(top, "\"cause_analysis\": {\"available\": true, \"worst\": {\"cpu\": 0, \"at_s\": -1}}",
	       ": error: \"cause_analysis\".\"worst\".\"at_s\" is not a number of seconds from 0 to 1000000000");
	expect(top, "\"causes\": {}", ": error: \"causes\" is not an array");
	expect(top, "\"causes\": [1]", ": error: \"causes\"[0] is not an object");
	expect(top, "\"causes\": [{\"kind\": \"IRQ\", \"name\": \"x\"}]",
	       ": error: \"causes\"[0].\"kind\" is 'IRQ', not a kind of cause "
	       "(irq, softirq, nmi, thread, hardware, irq-off, preempt-off, idle)");
	expect(top, "\"causes\": [{\"name\": \"x\"}]", ": error: \"causes\"[0].\"kind\" is not a string");
	expect(top, "\"causes\": [{\"kind\": \"nmi\", \"name\": 7}]", ": error: \"causes\"[0].\"name\" is not a string");
	expect(top, "\"causes\": [{\"kind\": \"nmi\", \"name\": \"NMI\", \"cpu\": -1}]",
	       ": error: \"causes\"[0].\"cpu\" is not null or an integer from 0 to 65535");
	expect(top, "\"causes\": [{\"kind\": \"nmi\", \"name\": \"NMI\", \"cpu\": 0, \"count\": 1.5}]",
	       ": error: \"causes\"[0].\"count\" is not an integer >= 0");
	expect(top, "\"causes\": [{\"kind\": \"nmi\", \"name\": \"NMI\", \"cpu\": 0, \"count\": 99999999999999999999}]",
	       ": error: \"causes\"[0].\"count\" is out of range (0 to 9223372036854775807)");
	expect(top, "\"causes\": [{\"kind\": \"nmi\", \"name\": \"NMI\", \"cpu\": 0, \"count\": 1, \"max_us\": -3, "
		    "\"total_us\": 1}]",
	       ": error: \"causes\"[0].\"max_us\" is not a number from 0 to 1000000000000");
	expect(top, "\"causes\": [{\"kind\": \"thread\", \"name\": \"t\", \"cpu\": 0, \"count\": 1, \"max_us\": 3, "
		    "\"total_us\": 1e13}]",
	       ": error: \"causes\"[0].\"total_us\" is not a number from 0 to 1000000000000");
	expect(top, "\"causes\": [{\"kind\": \"thread\", \"name\": \"t\", \"cpu\": 0, \"count\": 1, \"max_us\": 3, "
		    "\"total_us\": 3, \"pid\": 0}]",
	       ": error: \"causes\"[0].\"pid\" is not null or an integer from 1 to 2147483647");
	expect(top, "\"causes\": [{\"kind\": \"thread\", \"name\": \"t\", \"cpu\": 0, \"count\": 1, \"max_us\": 3, "
		    "\"total_us\": 3, \"pid\": 5, \"policy\": \"FIFO\", \"priority\": 100}]",
	       ": error: \"causes\"[0].\"priority\" is not null or an integer from -20 to 99");
	expect(top, "\"causes\": [{\"kind\": \"irq\", \"name\": \"i\", \"cpu\": 0, \"count\": 1, \"max_us\": 3, "
		    "\"total_us\": 3, \"irq\": 24, \"device\": [], \"driver\": \"d\"}]",
	       ": error: \"causes\"[0].\"device\" is not null or a string");
	expect(top, "\"spikes\": [{\"cpu\": 0, \"at_s\": 1, \"latency_us\": 5, \"kind\": \"hw\", \"name\": \"x\"}]",
	       ": error: \"spikes\"[0].\"kind\" is 'hw', not a kind of cause "
	       "(irq, softirq, nmi, thread, hardware, irq-off, preempt-off, idle)");
	expect(top, "\"spikes\": [{\"cpu\": 0, \"at_s\": 1, \"latency_us\": 5, \"kind\": null, \"name\": null}]", "");
	expect(top, "\"timeline\": []", ": error: \"timeline\" is not null or an object");
	expect(top, "\"timeline\": {\"step_s\": 0, \"max_us\": []}",
	       ": error: \"timeline\".\"step_s\" is 0: a step must be longer");
	expect(top, "\"timeline\": {\"step_s\": 1}", ": error: \"timeline\" has no \"max_us\"");
	expect(top, "\"timeline\": {\"step_s\": 1, \"max_us\": [1, null, \"2\"]}",
	       ": error: \"timeline\".\"max_us\"[2] is not null or a number from 0 to 1000000000000");
	expect(top, "\"timeline\": {\"step_s\": 1, \"max_us\": [1, null, -2]}",
	       ": error: \"timeline\".\"max_us\"[2] is not null or a number from 0 to 1000000000000");
	strbuf_addstr(&big, "\"timeline\": {\"step_s\": 1, \"max_us\": [0");
	for (int i = 0; i < LB_RESULT_MAX_TIMELINE; i++)
		strbuf_addstr(&big, ",0");
	strbuf_addstr(&big, "]}");
	{
		char *got = read_with(top, big.buf);

		is_str(got, ": error: \"timeline\".\"max_us\" has 3601 entries, more than 3600", "3601 steps");
		free(got);
	}
	strbuf_release(&big);
}

int main(void)
{
	char *top = tap_scratch_dir("lb-result");

	test_timeline_tick();
	test_round_trip(top);
	test_rejections(top);
	is_int(fs_remove_tree(top), 0, "scratch directory removed");
	free(top);
	return done_testing();
}
