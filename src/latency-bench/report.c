/* report.c - a run's text summary, cyclictest's histogram file and the system check's lines */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "load.h"
#include "report.h"
#include "stats.h"

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void cell_text(char *buf, size_t len, const struct lb_verdict_cell *c)
{
	if (c->basis == LB_BASIS_UNMEASURED)
		snprintf(buf, len, "not measured");
	else if (c->frames)
		snprintf(buf, len, "%u (%.2f ms)", c->frames, 1e3 * c->frames / c->rate);
	else
		snprintf(buf, len, "none");
}

static void audio_text(const struct lb_run *r, FILE *fp)
{
	const struct lb_audio *a = &r->audio;
	static struct hist jitter; /* 112 KiB: not on the stack */
	struct lb_stats s;
	uint64_t xrun_ns = 0, xruns = lb_run_xruns(r);
	int i;

	hist_init(&jitter);
	for (i = 0; i < r->ncpus; i++) {
		hist_merge(&jitter, &r->cpu[i].jitter);
		xrun_ns += r->cpu[i].xrun_ns;
	}
	lb_stats_from_hist(&s, &jitter);
	if (s.samples) {
		const struct lb_percentile *p99 = lb_stats_pct(&s, "p99");
		fprintf(fp, "period-to-period jitter: mean %.1f us", s.mean_ns / 1e3);
		if (p99 && p99->valid)
			fprintf(fp, ", p99 %.1f us", us(p99->value_ns));
		fprintf(fp, ", max %.1f us\n", us(s.max_ns));
	}
	if (str_eq(r->plane, "alsa"))
		fprintf(fp, "periods transferred: %" PRIu64 "%s", a->periods_done, a->measured_rate > 0 ? "" : "\n");
	if (str_eq(r->plane, "alsa") && a->measured_rate > 0)
		fprintf(fp, "; the device clock runs at %.1f Hz by its own timestamps\n", a->measured_rate);
	if (xruns)
		fprintf(fp, "xruns: %" PRIu64 ", %.1f ms in all without audio\n", xruns, xrun_ns / 1e6);
	if (str_eq(r->plane, "jack") && a->server_xruns_known)
		fprintf(fp, "server xruns (%s): %" PRIu64 "%s%s\n", a->server_xruns_source, a->server_xruns,
			a->xruns_note[0] ? ": " : "", a->xruns_note);
	else if (str_eq(r->plane, "jack") && a->xruns_note[0])
		fprintf(fp, "server xruns: unknown: %s\n", a->xruns_note);
	if (str_eq(r->plane, "jack") && a->dsp_load_max >= 0)
		fprintf(fp, "JACK DSP load: mean %.1f %%, max %.1f %%\n", a->dsp_load_mean, a->dsp_load_max);
	if (a->roundtrip && a->nrt && str_eq(r->plane, "jack")) {
		double rate = a->rate ? a->rate : r->rate, extra = lb_audio_roundtrip_extra(a);
		unsigned comp = extra >= 1 ? (unsigned)(extra + 0.5) : 0;

		fprintf(fp,
			"round trip (%u of %u signals back): min %.2f, median %.2f, max %.2f frames (median %.3f ms); "
			"one period through the server, %u frames, and %u the server reports: %.2f frames extra\n",
			a->nrt, a->rt_sent, a->rt_min, a->rt_median, a->rt_max, a->rt_median * 1e3 / rate, a->rt_buffering,
			a->rt_reported, extra);
		if (comp)
			fprintf(fp, "latency compensation: the server does not account for %u frames: jackd -I %u -O %u "
				"(as jack_iodelay advises); PipeWire: latency.internal.rate = %u on the device's node "
				"(pw-cli set-param NODE ProcessLatency '{ rate = %u }')\n", comp, comp / 2, comp / 2, comp,
				comp);
		else
			fprintf(fp, "latency compensation: right as it is (the server accounts for all but %.2f frames)\n",
				extra);
	} else if (a->roundtrip) {
		double rate = a->rate ? a->rate : r->rate;
		if (a->nrt)
			fprintf(fp,
				"round trip (%u of %u signals back): min %.2f, median %.2f, max %.2f frames "
				"(median %.3f ms); buffering %u frames, hardware and driver %.2f frames\n",
				a->nrt, a->rt_sent, a->rt_min, a->rt_median, a->rt_max, a->rt_median * 1e3 / rate,
				a->rt_buffering, a->rt_median - a->rt_buffering);
		else
			fprintf(fp, "round trip: none of %u signals came back: is the output connected to the input?\n",
				a->rt_sent);
	}
	if (a->device_lost)
		fprintf(fp, "note: %s\n", a->error);
}

/* PipeWire: what its driver ran at, its settings, what the run forced, how the thread got real time. */
static void pipewire_text(const struct lb_run *r, FILE *fp)
{
	const struct lb_audio *a = &r->audio;
	const struct lb_pw_settings *ps = &a->pw_settings;

	if (!str_eq(r->plane, "jack") || !str_eq(a->server_kind, "pipewire"))
		return;
	fprintf(fp, "PipeWire");
	if (a->server_quantum && a->server_rate)
		fprintf(fp, ": driver %s at quantum %u, %u Hz", a->server_driver[0] ? a->server_driver : "?",
			a->server_quantum, a->server_rate);
	if (ps->found)
		fprintf(fp, "; settings: clock.quantum %u, clock.min-quantum %u, clock.max-quantum %u, clock.rate %u%s",
			ps->quantum, ps->min_quantum, ps->max_quantum, ps->rate,
			ps->force_quantum ? ", clock.force-quantum set" : "");
	fprintf(fp, "\n");
	if (a->forced) {
		fprintf(fp, "forced for the run:");
		if (a->forced_quantum)
			fprintf(fp, " clock.force-quantum %u (then back to %u)", a->forced_quantum, a->forced_before.quantum);
		if (a->forced_rate)
			fprintf(fp, " clock.force-rate %u (then back to %u)", a->forced_rate, a->forced_before.rate);
		fprintf(fp, "\n");
	}
	if (a->repaired_pid)
		fprintf(fp, "note: undid the quantum forced by an earlier run (pid %ld) that was killed\n", a->repaired_pid);
	if (r->sched_fifo && a->rt_why[0])
		fprintf(fp, "real time: %s\n", a->rt_why);
}

/* What made wakeups late: the table, the worst wakeup's parts, the sentence and the fix; or why not. */
static void causes_text(const struct lb_run *r, FILE *fp)
{
	const struct lb_causes *c = &r->causes;
	char label[160], sentence[320], fix[512];
	int i, n;

	if (!c->available) {
		fprintf(fp, "\ncause analysis unavailable: %s\n", c->unavailable);
		return;
	}
	if (!c->late) {
		fprintf(fp, "\ncauses: no wakeup was later than %.1f us (the kernel's %s tracer watched every one)\n",
			c->threshold_ns / 1e3, c->watched ? "osnoise" : "timerlat");
		return;
	}
	fprintf(fp, "\nwhat made wakeups late (the kernel's %s tracer, %" PRIu64 " wakeup%s later than %.1f us):\n",
		c->watched ? "osnoise" : "timerlat", c->late, c->late == 1 ? "" : "s", c->threshold_ns / 1e3);
	fprintf(fp, "  %-11s  %-44s  %3s  %7s  %10s  %11s\n", "kind", "cause", "cpu", "count", "max (us)", "total (us)");
	n = c->ncauses < 10 ? c->ncauses : 10;
	for (i = 0; i < n; i++) {
		lb_cause_label(&c->cause[i], label, sizeof(label));
		fprintf(fp, "  %-11s  %-44.44s  %3d  %7" PRIu64 "  %10.1f  %11.1f\n", lb_cause_kind_name(c->cause[i].kind),
			label, c->cause[i].cpu, c->cause[i].count, us(c->cause[i].max_ns), us(c->cause[i].total_ns));
	}
	if (c->ncauses > n || c->dropped)
		fprintf(fp, "  ... %d more in the JSON result\n", c->ncauses - n + (int)c->dropped);
	if (c->worst.latency_ns) {
		const struct lb_wakeup *w = &c->worst;
		fprintf(fp, "worst wakeup: %.1f us late on CPU %d at %.1f s: %s %.1f us late", us(w->latency_ns),
			w->cpu, w->at_s, c->watched ? "the interrupt that woke it" : "timer interrupt", us(w->irq_latency_ns));
		for (i = 0; i < w->nparts; i++)
			fprintf(fp, ", %s %s %.1f us", lb_cause_kind_name(w->part[i].kind), w->part[i].name, us(w->part[i].ns));
		fprintf(fp, ", %s %.1f us, unaccounted %.1f us\n", c->watched ? "the waking handlers and threads" :
			"the timer's own handler", us(w->timer_irq_ns), us(w->unaccounted_ns));
	}
	if (c->lost_events)
		fprintf(fp, "the trace buffer lost %" PRIu64 " events: some late wakeups were not taken apart\n", c->lost_events);
	if (!c->ncauses) {
		if (c->watched)
			fprintf(fp, "no traced interrupt, softirq, NMI or thread explains them: the wakeups started late "
				"(the %s's own timing, or firmware, SMIs or a hypervisor, which the kernel does not see)\n",
				str_eq(r->plane, "jack") ? "server" : "device");
		else
			fprintf(fp, "no traced interrupt, softirq, NMI or thread explains them: the time is unaccounted "
				"(firmware, SMIs or a hypervisor, which the kernel does not see)\n");
		return;
	}
	lb_causes_sentence(r, sentence, sizeof(sentence));
	fprintf(fp, "because: %s\n", sentence);
	lb_cause_fix(&c->cause[0], str_eq(r->plane, "jack") ? r->audio.thread_priority : r->priority, fix, sizeof(fix));
	fprintf(fp, "fix to try: %s\n", fix);
}

void lb_report_text(const struct lb_run *r, FILE *fp)
{
	struct lb_stats s;
	char dur[32], loads[64];
	unsigned i;
	int k;

	lb_format_duration(dur, sizeof(dur), r->elapsed_s);
	lb_load_describe(r->load_kinds, loads, sizeof(loads));
	if (str_eq(r->plane, "timer"))
		fprintf(fp, "latency-bench: %s plane on %d CPU%s, %s, %s", r->plane, r->ncpus, r->ncpus == 1 ? "" : "s",
			dur, r->sched_fifo ? "SCHED_FIFO" : "SCHED_OTHER (not real-time)");
	else
		fprintf(fp, "latency-bench: %s plane, %s, %s", r->plane, dur,
			r->sched_fifo ? "SCHED_FIFO" : "SCHED_OTHER (not real-time)");
	if (r->sched_fifo)
		fprintf(fp, " %d", str_eq(r->plane, "jack") ? r->audio.thread_priority : r->priority);
	fprintf(fp, ", interval %.1f us", r->interval_ns / 1e3);
	if (!str_eq(r->plane, "timer") && r->audio.rate)
		fprintf(fp, " (%u frames at %u Hz)", r->audio.period, r->audio.rate); /* what was measured */
	else if (r->period)
		fprintf(fp, " (%u frames at %u Hz)", r->period, r->rate);
	fprintf(fp, "\n");
	if (!str_eq(r->plane, "timer") && r->audio.rate) {
		const struct lb_audio *a = &r->audio;
		fprintf(fp, "%s %s%s%s%s: ", str_eq(r->plane, "jack") ? "server" : "device",
			a->device ? a->device : "default", a->card[0] ? " (" : "", a->card, a->card[0] ? ")" : "");
		if (str_eq(r->plane, "alsa"))
			fprintf(fp, "%s%s%s, ", a->stream, a->capture_device ? " with capture from " : "",
				a->capture_device ? a->capture_device : "");
		fprintf(fp, "granted %u Hz, %u frames", a->rate, a->period);
		if (a->nperiods)
			fprintf(fp, " x %u periods (buffer %u)", a->nperiods, a->buffer);
		if (a->format[0])
			fprintf(fp, ", %s", a->format);
		if (a->channels)
			fprintf(fp, ", %u channel%s", a->channels, a->channels == 1 ? "" : "s");
		fprintf(fp, "%s\n", a->server_started ? " (server started for this run)" : "");
		pipewire_text(r, fp);
	}
	fprintf(fp, "kernel %s, %s, load: %s%s%s%s\n", r->sys.kernel_release, r->sys.preemption_model,
		r->load_kinds ? loads : "none", r->load_cmd ? ", command '" : "", r->load_cmd ? r->load_cmd : "",
		r->load_cmd ? "'" : "");
	if (r->interrupted)
		fprintf(fp, "interrupted: the figures cover the %s measured so far\n", dur);
	if (r->note[0])
		fprintf(fp, "note: %s\n", r->note);
	fprintf(fp, "\nlatency (us)     min      p50      p99    p99.9   p99.99      max    samples  missed\n");
	for (k = -1; k < r->ncpus; k++) {
		const struct hist *h = k < 0 ? &r->merged : &r->cpu[k].hist;
		char name[16];
		const char *keys[] = { "p50", "p99", "p999", "p9999" };

		if (k < 0 && r->ncpus == 1)
			continue;
		lb_stats_from_hist(&s, h);
		if (k < 0)
			snprintf(name, sizeof(name), "all");
		else if (str_eq(r->plane, "timer"))
			snprintf(name, sizeof(name), "CPU %d", r->cpu[k].cpu);
		else
			snprintf(name, sizeof(name), "%s", r->plane);
		fprintf(fp, "  %-10s", name);
		if (s.samples)
			fprintf(fp, " %8.1f", us(s.min_ns));
		else
			fprintf(fp, " %8s", "-");
		for (i = 0; i < ARRAY_SIZE(keys); i++) {
			const struct lb_percentile *p = lb_stats_pct(&s, keys[i]);
			if (p && p->valid)
				fprintf(fp, " %8.1f", us(p->value_ns));
			else
				fprintf(fp, " %8s", "-");
		}
		if (s.samples)
			fprintf(fp, " %8.1f", us(s.max_ns));
		else
			fprintf(fp, " %8s", "-");
		fprintf(fp, " %10" PRIu64 " %7" PRIu64 "\n", s.samples,
			k < 0 ? lb_run_missed(r) : r->cpu[k].missed);
	}
	{
		uint64_t over[LB_NBUDGETS] = { 0 };
		for (k = 0; k < r->ncpus; k++)
			for (i = 0; i < LB_NBUDGETS; i++)
				over[i] += r->cpu[k].over[i];
		fprintf(fp, "\nlate by more than 1/4 period (%.0f us): %" PRIu64 ", 1/2 period: %" PRIu64
			", a whole period: %" PRIu64 " (%" PRIu64 " xrun%s, %" PRIu64 " missed period%s)\n",
			r->interval_ns / 4e3, over[0], over[1], over[2], lb_run_xruns(r),
			lb_run_xruns(r) == 1 ? "" : "s", lb_run_missed(r), lb_run_missed(r) == 1 ? "" : "s");
	}
	if (!str_eq(r->plane, "timer"))
		audio_text(r, fp);
	fprintf(fp, "\nsmallest safe period (frames), DSP load %.0f %%:\n", r->verdict.dsp_load * 100);
	fprintf(fp, "  rate      2 periods         3 periods\n");
	for (i = 0; i < LB_VERDICT_NRATES; i++) {
		char a[32], b[32];
		cell_text(a, sizeof(a), &r->verdict.cell[i][0]);
		cell_text(b, sizeof(b), &r->verdict.cell[i][1]);
		fprintf(fp, "  %-8u  %-16s  %s\n", lb_verdict_rates[i], a, b);
	}
	if (r->verdict.measured_frames)
		fprintf(fp, "  (the run measured %u-frame periods at %u Hz: it judges that size and longer ones, not shorter)\n",
			r->verdict.measured_frames, r->verdict.measured_rate);
	fprintf(fp, "\nverdict: %s\n", r->verdict.summary);
	if (r->verdict.confidence[0])
		fprintf(fp, "  %s\n", r->verdict.confidence);
	causes_text(r, fp);
}

void lb_report_cyclictest(const struct lb_run *r, struct strbuf *out)
{
	unsigned i;
	int k;

	strbuf_addstr(out, "# Histogram\n");
	for (i = 0; r->ncpus && i < r->cpu[0].us_len; i++) {
		strbuf_addf(out, "%06u", i);
		for (k = 0; k < r->ncpus; k++)
			strbuf_addf(out, "%s%06" PRIu64, k ? "\t" : " ", r->cpu[k].us_bins[i]);
		strbuf_addch(out, '\n');
	}
	/* like cyclictest, the totals leave out the samples past the histogram's end */
	strbuf_addstr(out, "# Total:");
	for (k = 0; k < r->ncpus; k++)
		strbuf_addf(out, " %09" PRIu64, r->cpu[k].hist.count - r->cpu[k].us_overflow);
	strbuf_addstr(out, "\n# Min Latencies:");
	for (k = 0; k < r->ncpus; k++)
		strbuf_addf(out, " %05" PRIu64, r->cpu[k].hist.count ? r->cpu[k].hist.min_ns / 1000 : 0);
	strbuf_addstr(out, "\n# Avg Latencies:");
	for (k = 0; k < r->ncpus; k++)
		strbuf_addf(out, " %05" PRIu64, (uint64_t)(hist_mean_ns(&r->cpu[k].hist) / 1000));
	strbuf_addstr(out, "\n# Max Latencies:");
	for (k = 0; k < r->ncpus; k++)
		strbuf_addf(out, " %05" PRIu64, r->cpu[k].hist.max_ns / 1000);
	strbuf_addstr(out, "\n# Histogram Overflows:");
	for (k = 0; k < r->ncpus; k++)
		strbuf_addf(out, " %05" PRIu64, r->cpu[k].us_overflow);
	strbuf_addstr(out, "\n# Histogram Overflow at cycle number:\n");
	for (k = 0; k < r->ncpus; k++) {
		const struct lb_cpu *c = &r->cpu[k];
		uint64_t shown = c->us_overflow < LB_OVERFLOW_CYCLES ? c->us_overflow : LB_OVERFLOW_CYCLES;
		strbuf_addf(out, "# Thread %d:", k);
		for (i = 0; i < shown; i++)
			strbuf_addf(out, " %05" PRIu64, c->us_overflow_cycle[i]);
		if (c->us_overflow > shown)
			strbuf_addf(out, " # %05" PRIu64 " others", c->us_overflow - shown);
		strbuf_addch(out, '\n');
	}
}

void lb_report_checks(const struct lb_system *sys, FILE *fp)
{
	int i;

	for (i = 0; i < sys->nchecks; i++) {
		const struct lb_check *c = &sys->checks[i];
		const char *tag = c->status == LB_CHECK_WARN ? "WARN" : c->status == LB_CHECK_OK ? "OK" : "INFO";
		fprintf(fp, "  %-5s %-40s %s\n", tag, c->title, c->value);
		if (c->status != LB_CHECK_OK && c->advice[0])
			fprintf(fp, "        -> %s\n", c->advice);
	}
}
