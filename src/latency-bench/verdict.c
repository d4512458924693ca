/* verdict.c - safe buffer sizes and what the amount of clean data can honestly claim */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "verdict.h"

const unsigned lb_verdict_rates[LB_VERDICT_NRATES] = { 44100, 48000, 96000 };

double lb_budget_ns(unsigned frames, unsigned rate, unsigned nperiods, double dsp_load)
{
	return ((double)nperiods - 1.0 - dsp_load) * (double)frames * 1e9 / (double)rate;
}

double lb_upper_failure_prob(uint64_t n)
{
	if (!n)
		return 1.0;
	/* 1 - 0.05^(1/n), written so that it stays exact for large n */
	return -expm1(log(1.0 - LB_CONFIDENCE) / (double)n);
}

double lb_trials_needed(double p)
{
	if (p >= 1.0)
		return 1.0;
	return ceil(log(1.0 - LB_CONFIDENCE) / log1p(-p));
}

void lb_format_duration(char *buf, unsigned len, double s)
{
	if (s < 10.0)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 60.0)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 3600.0) {
		long m = (long)(s / 60.0), r = (long)(s - 60.0 * (double)m + 0.5);
		if (r == 60) {
			m++;
			r = 0;
		}
		if (r)
			snprintf(buf, len, "%ld min %ld s", m, r);
		else
			snprintf(buf, len, "%ld min", m);
	} else if (s < 48 * 3600.0) {
		double h = s / 3600.0;
		if (fabs(h - round(h)) < 0.05)
			snprintf(buf, len, "%.0f h", round(h));
		else
			snprintf(buf, len, "%.1f h", h);
	} else
		snprintf(buf, len, "%.1f days", s / 86400.0);
}

static void rate_khz(char *buf, unsigned len, unsigned rate)
{
	if (rate % 1000 == 0)
		snprintf(buf, len, "%u kHz", rate / 1000);
	else
		snprintf(buf, len, "%.1f kHz", rate / 1000.0);
}

const char *lb_basis_name(enum lb_basis b)
{
	switch (b) {
	case LB_BASIS_MODEL:
		return "model";
	case LB_BASIS_MEASURED:
		return "measured";
	case LB_BASIS_BOUND:
		return "bound";
	case LB_BASIS_UNMEASURED:
		return "not measured";
	}
	return "unknown";
}

/* The smallest power of two at `rate` whose period is at least the measured one (0: none up to LB_FRAMES_MAX). */
static unsigned floor_frames(unsigned rate, unsigned mframes, unsigned mrate)
{
	unsigned f;

	if (!mframes || !mrate)
		return LB_FRAMES_MIN;
	for (f = LB_FRAMES_MIN; f <= LB_FRAMES_MAX; f *= 2)
		if ((uint64_t)f * mrate >= (uint64_t)mframes * rate)
			return f;
	return 0;
}

static enum lb_basis basis_of(unsigned frames, unsigned rate, unsigned mframes, unsigned mrate)
{
	if (!mframes || !mrate)
		return LB_BASIS_MODEL;
	return (uint64_t)frames * mrate == (uint64_t)mframes * rate ? LB_BASIS_MEASURED : LB_BASIS_BOUND;
}

void lb_verdict_compute(struct lb_verdict *v, uint64_t samples, uint64_t max_ns, double seconds,
			const char *load_desc, double dsp_load, unsigned measured_frames, unsigned measured_rate)
{
	double p_up = lb_upper_failure_prob(samples);
	double rate_per_s = seconds > 0 ? (double)samples / seconds : 0;
	char dur[32], khz[16], need[32], basis[96];
	unsigned r, n;
	const struct lb_verdict_cell *head;

	memset(v, 0, sizeof(*v));
	if (!measured_rate)
		measured_frames = 0;
	v->measured_frames = measured_frames;
	v->measured_rate = measured_frames ? measured_rate : 0;
	v->dsp_load = dsp_load;
	v->samples = samples;
	v->seconds = seconds;
	v->max_ns = max_ns;
	for (r = 0; r < LB_VERDICT_NRATES; r++) {
		for (n = 0; n < LB_VERDICT_NPERIODS; n++) {
			struct lb_verdict_cell *c = &v->cell[r][n];
			unsigned f;

			c->rate = lb_verdict_rates[r];
			c->nperiods = n + 2;
			c->xruns_per_hour = -1;
			c->from_frames = floor_frames(c->rate, measured_frames, measured_rate);
			c->basis = !c->from_frames ? LB_BASIS_UNMEASURED :
				   basis_of(c->from_frames, c->rate, measured_frames, measured_rate);
			if (!samples || !c->from_frames)
				continue;
			for (f = c->from_frames; f <= LB_FRAMES_MAX; f *= 2) {
				double b = lb_budget_ns(f, c->rate, c->nperiods, dsp_load);
				if ((double)max_ns <= b) {
					double wakeups_per_hour = 3600.0 * c->rate / f;
					c->frames = f;
					c->basis = basis_of(f, c->rate, measured_frames, measured_rate);
					c->budget_us = b / 1e3;
					c->xruns_per_hour = p_up * wakeups_per_hour;
					c->seconds_for_one_per_hour = rate_per_s > 0 ?
						lb_trials_needed(1.0 / wakeups_per_hour) / rate_per_s : 0;
					break;
				}
			}
		}
	}

	lb_format_duration(dur, sizeof(dur), seconds);
	head = &v->cell[1][0]; /* 48 kHz, 2 periods: what most people start with */
	if (!samples) {
		snprintf(v->summary, sizeof(v->summary), "no samples: nothing can be said about this kernel");
		return;
	}
	if (head->basis == LB_BASIS_UNMEASURED) {
		snprintf(v->summary, sizeof(v->summary),
			 "nothing to say of buffers up to %u frames at 48 kHz: the run measured %u-frame periods at %u Hz; "
			 "measured %s%s%s", LB_FRAMES_MAX, measured_frames, measured_rate, dur,
			 load_desc && *load_desc ? " under load: " : " without load", load_desc && *load_desc ? load_desc : "");
		return;
	}
	if (!head->frames) {
		snprintf(v->summary, sizeof(v->summary),
			 "not suitable for audio: even %u-frame buffers at 48 kHz (2 periods) would have xruns "
			 "(worst wakeup %.1f ms late); measured %s%s%s",
			 LB_FRAMES_MAX, max_ns / 1e6, dur,
			 load_desc && *load_desc ? " under load: " : " without load",
			 load_desc && *load_desc ? load_desc : "");
		snprintf(v->confidence, sizeof(v->confidence), "no buffer size is safe, so no xrun rate can be claimed");
		return;
	}
	rate_khz(khz, sizeof(khz), head->rate);
	if (head->basis == LB_BASIS_MODEL)
		basis[0] = '\0';
	else if (head->basis == LB_BASIS_MEASURED)
		snprintf(basis, sizeof(basis), ", the size measured%s",
			 head->from_frames > LB_FRAMES_MIN ? " (smaller sizes were not)" : "");
	else
		snprintf(basis, sizeof(basis), ", a bound from the %u-frame periods measured%s", measured_frames,
			 head->from_frames > LB_FRAMES_MIN ? " (smaller sizes were not)" : "");
	snprintf(v->summary, sizeof(v->summary), "suitable for %u-frame buffers at %s (2 periods)%s; measured %s%s%s",
		 head->frames, khz, basis, dur, load_desc && *load_desc ? " under load: " : " without load",
		 load_desc && *load_desc ? load_desc : "");
	lb_format_duration(need, sizeof(need), head->seconds_for_one_per_hour);
	snprintf(v->confidence, sizeof(v->confidence),
		 "%llu clean wakeups support at most %.3g xruns per hour at %u frames, %s (95 %% confidence); "
		 "claiming at most one per hour needs a clean run of %s",
		 (unsigned long long)samples, head->xruns_per_hour, head->frames, khz, need);
}
