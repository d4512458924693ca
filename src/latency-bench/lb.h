/* lb.h - one latency-bench run: its parameters, per-CPU measurements and outcome, shared by every plane */
#ifndef LB_LB_H
#define LB_LB_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "hist.h"
#include "syscheck.h"
#include "verdict.h"

#define LB_NBUDGETS 3          /* lateness over 1/4, 1/2 and 1 period */
#define LB_OVERFLOW_CYCLES 30  /* cyclictest lists the first 30 histogram overflows */

extern const double lb_budget_fractions[LB_NBUDGETS];

/* What one measuring thread owns; everything allocated before the run starts. */
struct lb_cpu {
	int cpu;
	struct hist hist;
	uint64_t over[LB_NBUDGETS];
	uint64_t missed;        /* periods whose deadline passed entirely while we slept */
	uint64_t xruns;         /* wakeups that missed at least one period */
	uint64_t cycles;        /* wakeups so far (cyclictest's cycle counter) */
	/* cyclictest histogram: 1 us bins, only with --histogram */
	uint64_t *us_bins;
	unsigned us_len;
	uint64_t us_overflow;
	uint64_t us_overflow_cycle[LB_OVERFLOW_CYCLES];
	/* set up by the plane */
	pthread_t thread;
	int started;
	int fifo;               /* got SCHED_FIFO */
	int err;                /* -errno when the thread could not run at all */
	struct lb_run *run;
};

struct lb_run {
	/* parameters */
	const char *plane;          /* "timer" */
	const char *label;
	int *cpus;
	int ncpus;
	int priority;
	unsigned rate, period;      /* frames; 0 when --interval was given */
	uint64_t interval_ns;
	double duration_s;
	unsigned load_kinds;
	const char *load_cmd;
	double dsp_load;
	unsigned hist_us_max;       /* 0: no cyclictest histogram */
	double max_latency_us;      /* --max-latency, 0 = none */
	long long max_missed;       /* --max-missed, -1 = none */
	const char *command;        /* the command line, for the record */

	/* outcome */
	int sched_fifo;             /* every measuring thread got SCHED_FIFO */
	int memory_locked;
	int dma_latency;            /* /dev/cpu_dma_latency held at 0 during the run */
	int realtime;               /* sched_fifo && memory_locked */
	int interrupted;            /* ended by a signal before the duration */
	int load_cmd_status;        /* wait status of --load-cmd if it ended by itself, else -1 */
	char started[32];           /* UTC, ISO 8601 */
	double elapsed_s;
	struct lb_cpu *cpu;         /* ncpus entries */
	struct hist merged;
	struct lb_system sys;
	struct lb_verdict verdict;
	char note[512];             /* why the result is not real-time, when it is not */
};

/* Progress reporting from the reporter thread (never from a measuring thread). */
typedef void (*lb_progress_fn)(const struct lb_run *r, double elapsed_s, void *data);

/* Allocate per-CPU state (histograms included) for r->ncpus CPUs; 0 or -ENOMEM. */
int lb_run_alloc(struct lb_run *r);
void lb_run_free(struct lb_run *r);
/* Merge per-CPU histograms and counters; compute the verdict. */
void lb_run_finish(struct lb_run *r, const char *load_desc);
uint64_t lb_run_samples(const struct lb_run *r);
uint64_t lb_run_missed(const struct lb_run *r);
uint64_t lb_run_xruns(const struct lb_run *r);

/* The timer plane: measure until the duration ends or *stop is set. 0 or -errno. */
int lb_plane_timer(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data);

#endif
