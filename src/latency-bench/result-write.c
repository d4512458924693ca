/* result-write.c - a finished run as the result file (schema latency-bench/1) */
/* (apart from result.c, the reader, because json-c and lib/json.h both declare json_bool) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "json.h"
#include "lb.h"
#include "load.h"
#include "result.h"
#include "stats.h"

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void json_us(struct json_writer *w, const char *key, uint64_t ns)
{
	json_key(w, key);
	json_fixed(w, us(ns), 3);
}

/* {min mean p50 ... max} under `key`, and the percentiles with their ranks when `ranks` */
static void summary_json(struct json_writer *w, const char *key, const struct hist *h, int ranks)
{
	struct lb_stats s;
	unsigned i;

	lb_stats_from_hist(&s, h);
	json_key(w, key);
	json_begin_object(w);
	if (s.samples) {
		json_us(w, "min", s.min_ns);
		json_key(w, "mean");
		json_fixed(w, s.mean_ns / 1e3, 3);
	} else {
		json_key(w, "min");
		json_null(w);
		json_key(w, "mean");
		json_null(w);
	}
	for (i = 0; i < LB_NPCT; i++) {
		json_key(w, s.pct[i].key);
		if (s.pct[i].valid)
			json_fixed(w, us(s.pct[i].value_ns), 3);
		else
			json_null(w);
	}
	json_key(w, "max");
	if (s.samples)
		json_fixed(w, us(s.max_ns), 3);
	else
		json_null(w);
	json_end_object(w);
	if (!ranks)
		return;

	json_key(w, "percentiles");
	json_begin_array(w);
	for (i = 0; i < LB_NPCT; i++) {
		const struct lb_percentile *p = &s.pct[i];
		json_begin_object(w);
		json_kv_string(w, "name", p->name);
		json_kv_int(w, "tail", (int64_t)p->tail);
		json_kv_bool(w, "valid", p->valid);
		json_key(w, "value_us");
		if (p->valid)
			json_fixed(w, us(p->value_ns), 3);
		else
			json_null(w);
		json_kv_int(w, "rank", (int64_t)p->rank);
		json_kv_int(w, "samples_beyond", (int64_t)p->beyond);
		json_end_object(w);
	}
	json_end_array(w);
}

static void latency_json(struct json_writer *w, const struct hist *h)
{
	summary_json(w, "latency_us", h, 1);
}

static void histogram_json(struct json_writer *w, const struct hist *h)
{
	unsigned i;

	json_key(w, "histogram");
	json_begin_object(w);
	json_kv_string(w, "unit", "ns");
	json_kv_string(w, "scheme", "log-linear: 1 ns buckets below 1024 ns, then 512 per power of two");
	json_kv_string(w, "bucket", "[lower_ns, upper_ns, count], lower inclusive, upper exclusive, empty buckets left out");
	json_kv_int(w, "samples", (int64_t)h->count);
	json_key(w, "buckets");
	json_begin_array(w);
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		json_begin_array(w);
		json_int(w, (int64_t)hist_lower(i));
		json_int(w, (int64_t)hist_upper(i));
		json_int(w, (int64_t)h->buckets[i]);
		json_end_array(w);
	}
	json_end_array(w);
	json_key(w, "overflow");
	json_begin_object(w);
	json_kv_int(w, "from_ns", (int64_t)HIST_LIMIT_NS);
	json_kv_int(w, "count", (int64_t)h->overflow);
	json_end_object(w);
	json_end_object(w);
}

static void over_json(struct json_writer *w, const struct lb_run *r, const uint64_t *over)
{
	unsigned i;

	json_key(w, "over_budget");
	json_begin_array(w);
	for (i = 0; i < LB_NBUDGETS; i++) {
		json_begin_object(w);
		json_key(w, "fraction_of_period");
		json_fixed(w, lb_budget_fractions[i], 2);
		json_key(w, "threshold_us");
		json_fixed(w, lb_budget_fractions[i] * (double)r->interval_ns / 1e3, 3);
		json_kv_int(w, "samples", (int64_t)over[i]);
		json_end_object(w);
	}
	json_end_array(w);
}

void lb_result_write_system(struct json_writer *w, const struct lb_system *sys)
{
	int i;

	json_key(w, "system");
	json_begin_object(w);
	json_kv_string(w, "kernel_release", sys->kernel_release);
	json_kv_string(w, "kernel_version", sys->kernel_version);
	json_kv_string(w, "machine", sys->machine);
	json_kv_string(w, "preemption_model", sys->preemption_model);
	json_kv_bool(w, "realtime_kernel", sys->realtime);
	json_kv_string(w, "cmdline", sys->cmdline);
	json_kv_string(w, "clocksource", sys->clocksource);
	json_kv_int(w, "cpus_online", sys->ncpus_online);
	json_key(w, "checks");
	json_begin_array(w);
	for (i = 0; i < sys->nchecks; i++) {
		const struct lb_check *c = &sys->checks[i];
		json_begin_object(w);
		json_kv_string(w, "id", c->id);
		json_kv_string(w, "title", c->title);
		json_kv_string(w, "status", lb_check_status_name(c->status));
		json_kv_string(w, "value", c->value);
		json_kv_string(w, "advice", c->advice);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static void verdict_json(struct json_writer *w, const struct lb_verdict *v)
{
	unsigned r, n;

	json_key(w, "verdict");
	json_begin_object(w);
	json_kv_string(w, "summary", v->summary);
	json_kv_string(w, "confidence", v->confidence);
	json_kv_string(w, "model", "safe when max lateness <= (periods - 1 - dsp_load) * frames / rate");
	json_key(w, "dsp_load");
	json_fixed(w, v->dsp_load, 2);
	json_key(w, "confidence_level");
	json_fixed(w, LB_CONFIDENCE, 2);
	json_kv_int(w, "samples", (int64_t)v->samples);
	json_key(w, "seconds");
	json_fixed(w, v->seconds, 3);
	json_key(w, "safe");
	json_begin_array(w);
	for (r = 0; r < LB_VERDICT_NRATES; r++)
		for (n = 0; n < LB_VERDICT_NPERIODS; n++) {
			const struct lb_verdict_cell *c = &v->cell[r][n];
			json_begin_object(w);
			json_kv_int(w, "rate", c->rate);
			json_kv_int(w, "periods", c->nperiods);
			if (!c->frames) {
				/* no safe size: every figure of the cell is null */
				static const char *const keys[] = { "frames", "period_ms", "budget_us",
					"xruns_per_hour_max", "seconds_for_one_xrun_per_hour" };
				for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
					json_key(w, keys[k]);
					json_null(w);
				}
			} else {
				json_kv_int(w, "frames", c->frames);
				json_key(w, "period_ms");
				json_fixed(w, 1e3 * c->frames / c->rate, 3);
				json_key(w, "budget_us");
				json_fixed(w, c->budget_us, 3);
				json_key(w, "xruns_per_hour_max");
				json_double(w, c->xruns_per_hour);
				json_key(w, "seconds_for_one_xrun_per_hour");
				json_fixed(w, c->seconds_for_one_per_hour, 1);
			}
			json_end_object(w);
		}
	json_end_array(w);
	json_end_object(w);
}

static void rt_frames_json(struct json_writer *w, const char *key, const struct lb_audio *a, double scale,
			   int decimals)
{
	json_key(w, key);
	json_begin_object(w);
	json_key(w, "min");
	json_fixed(w, a->rt_min * scale, decimals);
	json_key(w, "median");
	json_fixed(w, a->rt_median * scale, decimals);
	json_key(w, "max");
	json_fixed(w, a->rt_max * scale, decimals);
	json_end_object(w);
}

/* What the ALSA device or JACK server granted, how the run ended, jitter, xruns, round trip. */
static void audio_json(struct json_writer *w, const struct lb_run *r)
{
	const struct lb_audio *a = &r->audio;
	struct hist jitter;
	uint64_t xrun_ns = 0;
	int i;
	unsigned k;

	json_key(w, "audio");
	json_begin_object(w);
	json_kv_string(w, "device", a->device);
	json_kv_string(w, "capture_device", a->capture_device);
	json_kv_string(w, "stream", str_eq(r->plane, "jack") ? NULL : a->stream);
	json_kv_string(w, "card", a->card[0] ? a->card : NULL);
	json_key(w, "requested");
	json_begin_object(w);
	json_kv_int(w, "rate", r->rate);
	json_kv_int(w, "period_frames", r->period);
	json_key(w, "periods");
	if (str_eq(r->plane, "alsa"))
		json_int(w, a->periods);
	else
		json_null(w);
	json_end_object(w);
	json_key(w, "granted");
	if (a->rate) {
		json_begin_object(w);
		json_kv_int(w, "rate", a->rate);
		json_kv_int(w, "period_frames", a->period);
		json_key(w, "periods");
		if (a->nperiods)
			json_int(w, a->nperiods);
		else
			json_null(w);
		json_key(w, "buffer_frames");
		if (a->buffer)
			json_int(w, a->buffer);
		else
			json_null(w);
		json_kv_string(w, "format", a->format[0] ? a->format : NULL);
		json_key(w, "channels");
		if (a->channels)
			json_int(w, a->channels);
		else
			json_null(w);
		json_end_object(w);
	} else
		json_null(w);
	json_kv_bool(w, "server_started", a->server_started);
	json_key(w, "server_xruns"); /* what jackd logged, known when it was started for the run */
	if (a->server_started)
		json_int(w, (int64_t)a->server_xruns);
	else
		json_null(w);
	json_key(w, "dsp_load_pct");
	if (str_eq(r->plane, "jack") && a->dsp_load_max >= 0) {
		json_begin_object(w);
		json_key(w, "mean");
		json_fixed(w, a->dsp_load_mean, 2);
		json_key(w, "max");
		json_fixed(w, a->dsp_load_max, 2);
		json_end_object(w);
	} else
		json_null(w);
	json_key(w, "periods_transferred");
	if (str_eq(r->plane, "alsa"))
		json_int(w, (int64_t)a->periods_done);
	else
		json_null(w);
	json_key(w, "measured_rate_hz");
	if (a->measured_rate > 0)
		json_fixed(w, a->measured_rate, 2);
	else
		json_null(w);
	json_kv_bool(w, "device_lost", a->device_lost);
	json_kv_string(w, "error", a->error[0] ? a->error : NULL);

	hist_init(&jitter);
	for (i = 0; i < r->ncpus; i++) {
		hist_merge(&jitter, &r->cpu[i].jitter);
		xrun_ns += r->cpu[i].xrun_ns;
	}
	json_kv_int(w, "jitter_samples", (int64_t)jitter.count);
	summary_json(w, "jitter_us", &jitter, 0);
	json_key(w, "xrun_time_us");
	json_fixed(w, us(xrun_ns), 1);
	json_key(w, "xrun_log");
	json_begin_array(w);
	for (i = 0; i < r->ncpus; i++)
		for (k = 0; k < LB_XRUN_LOG && k < r->cpu[i].xruns; k++) {
			json_begin_object(w);
			json_key(w, "at_s");
			json_fixed(w, r->cpu[i].xrun_log[k].at_ns / 1e9, 6);
			json_key(w, "duration_us");
			json_fixed(w, us(r->cpu[i].xrun_log[k].duration_ns), 1);
			json_end_object(w);
		}
	json_end_array(w);

	json_key(w, "roundtrip");
	if (a->roundtrip) {
		double rate = a->rate ? a->rate : r->rate;
		json_begin_object(w);
		json_kv_int(w, "sent", a->rt_sent);
		json_kv_int(w, "received", a->nrt);
		json_kv_int(w, "lost", a->rt_lost);
		if (a->nrt) {
			rt_frames_json(w, "frames", a, 1, 2);
			rt_frames_json(w, "ms", a, 1e3 / rate, 3);
			json_kv_int(w, "buffering_frames", a->rt_buffering);
			json_key(w, "hardware_driver_frames");
			json_fixed(w, a->rt_median - a->rt_buffering, 2);
		}
		json_end_object(w);
	} else
		json_null(w);
	json_end_object(w);
}

void lb_result_write(const struct lb_run *r, const char *tool_version, struct strbuf *out)
{
	struct json_writer w;
	char loads[64];
	int i;

	json_init(&w, out, 1);
	json_begin_object(&w);
	json_kv_string(&w, "schema", LB_SCHEMA);
	json_key(&w, "tool");
	json_begin_object(&w);
	json_kv_string(&w, "name", "latency-bench");
	json_kv_string(&w, "version", tool_version);
	json_end_object(&w);
	json_kv_string(&w, "plane", r->plane);
	json_kv_string(&w, "label", r->label);
	json_kv_string(&w, "command", r->command);
	json_kv_string(&w, "started", r->started);
	json_key(&w, "duration_s");
	json_fixed(&w, r->elapsed_s, 3);
	json_kv_bool(&w, "interrupted", r->interrupted);
	json_kv_bool(&w, "realtime", r->realtime);
	json_kv_string(&w, "note", r->note[0] ? r->note : NULL);

	json_key(&w, "params");
	json_begin_object(&w);
	json_key(&w, "cpus");
	json_begin_array(&w);
	for (i = 0; i < r->ncpus; i++)
		json_int(&w, r->cpus[i]);
	json_end_array(&w);
	json_kv_string(&w, "policy", r->sched_fifo ? "fifo" : "other");
	/* JACK's process thread runs at the server's priority, not ours */
	json_kv_int(&w, "priority", !r->sched_fifo ? 0 : str_eq(r->plane, "jack") ? r->audio.thread_priority : r->priority);
	json_kv_int(&w, "requested_priority", r->priority);
	json_kv_int(&w, "interval_ns", (int64_t)r->interval_ns);
	json_key(&w, "rate");
	if (r->rate)
		json_int(&w, r->rate);
	else
		json_null(&w);
	json_key(&w, "period_frames");
	if (r->period)
		json_int(&w, r->period);
	else
		json_null(&w);
	json_key(&w, "duration_s");
	json_fixed(&w, r->duration_s, 3);
	json_kv_bool(&w, "memory_locked", r->memory_locked);
	json_kv_bool(&w, "cpu_dma_latency_held", r->dma_latency);
	json_key(&w, "load");
	json_begin_object(&w);
	json_key(&w, "kinds");
	json_begin_array(&w);
	lb_load_describe(r->load_kinds, loads, sizeof(loads));
	{
		char *save = NULL, *tok;
		for (tok = strtok_r(loads, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (*tok && strcmp(tok, "none") != 0)
				json_string(&w, tok);
	}
	json_end_array(&w);
	json_kv_string(&w, "cmd", r->load_cmd);
	json_key(&w, "cmd_exit_status");
	if (r->load_cmd && r->load_cmd_status >= 0)
		json_int(&w, r->load_cmd_status);
	else
		json_null(&w);
	json_end_object(&w);
	json_key(&w, "dsp_load");
	json_fixed(&w, r->dsp_load, 2);
	json_key(&w, "max_latency_us");
	if (r->max_latency_us > 0)
		json_fixed(&w, r->max_latency_us, 3);
	else
		json_null(&w);
	json_key(&w, "max_missed");
	if (r->max_missed >= 0)
		json_int(&w, r->max_missed);
	else
		json_null(&w);
	json_end_object(&w);

	lb_result_write_system(&w, &r->sys);

	json_kv_int(&w, "samples", (int64_t)r->merged.count);
	json_kv_int(&w, "missed_periods", (int64_t)lb_run_missed(r));
	json_kv_int(&w, "xruns", (int64_t)lb_run_xruns(r));
	latency_json(&w, &r->merged);
	{
		uint64_t over[LB_NBUDGETS] = { 0 };
		int j;
		for (i = 0; i < r->ncpus; i++)
			for (j = 0; j < LB_NBUDGETS; j++)
				over[j] += r->cpu[i].over[j];
		over_json(&w, r, over);
	}
	histogram_json(&w, &r->merged);

	json_key(&w, "per_cpu");
	json_begin_array(&w);
	for (i = 0; i < r->ncpus; i++) {
		const struct lb_cpu *c = &r->cpu[i];
		json_begin_object(&w);
		json_key(&w, "cpu");
		if (c->cpu >= 0)
			json_int(&w, c->cpu);
		else
			json_null(&w);
		json_kv_string(&w, "name", c->name);
		json_kv_string(&w, "policy", c->fifo ? "fifo" : "other");
		json_kv_int(&w, "samples", (int64_t)c->hist.count);
		json_kv_int(&w, "missed_periods", (int64_t)c->missed);
		json_kv_int(&w, "xruns", (int64_t)c->xruns);
		latency_json(&w, &c->hist);
		over_json(&w, r, c->over);
		histogram_json(&w, &c->hist);
		json_end_object(&w);
	}
	json_end_array(&w);

	if (!str_eq(r->plane, "timer"))
		audio_json(&w, r);
	verdict_json(&w, &r->verdict);
	json_end_object(&w);
	strbuf_addch(out, '\n');
}
