/* verdict.h - from measured lateness to safe audio buffer sizes, worded for a musician */
#ifndef LB_VERDICT_H
#define LB_VERDICT_H

#include <stdint.h>

#define LB_VERDICT_NRATES 3  /* 44100, 48000, 96000 */
#define LB_VERDICT_NPERIODS 2 /* 2 and 3 periods per buffer */
#define LB_FRAMES_MIN 16u
#define LB_FRAMES_MAX 8192u
#define LB_CONFIDENCE 0.95

/*
 * The model: with n periods of P frames per buffer, at a period interrupt n-1 periods are
 * still queued, so the audio thread must wake and finish one period of work W before they
 * run out: lateness + W <= (n-1) P. W is the DSP load times P. A size is safe when the
 * worst measured lateness fits: max <= (n - 1 - dsp_load) P / rate.
 */
/*
 * What a size's claim rests on. The timer plane's wakeups stand for any period (the model).
 * An audio plane measured one period: it speaks for that size and bounds larger ones, whose
 * wakeups come as late and have more slack, but says nothing of smaller ones.
 */
enum lb_basis {
	LB_BASIS_MODEL,         /* timer plane: the wakeup lateness applied to every size */
	LB_BASIS_MEASURED,      /* the period the run measured */
	LB_BASIS_BOUND,         /* a longer period than the one measured */
	LB_BASIS_UNMEASURED,    /* no size of the grid is as long as the period measured */
};

struct lb_verdict_cell {
	unsigned rate;
	unsigned nperiods;
	unsigned from_frames;   /* the smallest size the run speaks for (LB_FRAMES_MIN for the model) */
	enum lb_basis basis;    /* of `frames` (of the cell when frames is 0) */
	unsigned frames;        /* smallest safe power of two from from_frames; 0 when not even LB_FRAMES_MAX is */
	double budget_us;       /* lateness allowed at that size */
	double xruns_per_hour;  /* 95 % upper bound at that size from clean samples; -1 when frames is 0 */
	double seconds_for_one_per_hour; /* run needed to claim <= 1 xrun/h at that size */
};

struct lb_verdict {
	double dsp_load;
	unsigned measured_frames, measured_rate; /* an audio plane's period; 0: the timer's model */
	uint64_t samples;       /* wakeups measured: the trials behind every claim */
	double seconds;         /* how long they took */
	uint64_t max_ns;
	struct lb_verdict_cell cell[LB_VERDICT_NRATES][LB_VERDICT_NPERIODS];
	char summary[320];      /* "suitable for 64-frame buffers at 48 kHz (2 periods); measured 2 h under load" */
	char confidence[320];   /* the xrun rate this much clean data supports, and the run that would prove 1/h */
};

extern const unsigned lb_verdict_rates[LB_VERDICT_NRATES];

/* Budget in ns for `frames` at `rate` with `nperiods` and the given DSP load (0..1). */
double lb_budget_ns(unsigned frames, unsigned rate, unsigned nperiods, double dsp_load);
/*
 * 95 % upper bound on the per-wakeup failure probability after `n` clean trials: the p with
 * (1 - p)^n = 0.05. 1 when n is 0.
 */
double lb_upper_failure_prob(uint64_t n);
/* Clean trials needed so that the bound above is at most `p`. */
double lb_trials_needed(double p);
/* "2 h", "1 min 30 s", "45 s", "1.5 s" */
void lb_format_duration(char *buf, unsigned len, double seconds);
/*
 * Fill `v` from the merged lateness: samples, worst lateness, measured seconds and a
 * description of the load ("" or NULL for none). `measured_frames` at `measured_rate` is the
 * period an audio plane measured (the verdict then speaks for no smaller size), 0 for the timer.
 */
void lb_verdict_compute(struct lb_verdict *v, uint64_t samples, uint64_t max_ns, double seconds,
			const char *load_desc, double dsp_load, unsigned measured_frames, unsigned measured_rate);
const char *lb_basis_name(enum lb_basis b); /* "model", "measured", "bound", "not measured" */

#endif
