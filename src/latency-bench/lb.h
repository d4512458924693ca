/* lb.h - one latency-bench run: its parameters, per-CPU measurements and outcome, shared by every plane */
#ifndef LB_LB_H
#define LB_LB_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "cause.h"
#include "hist.h"
#include "pipewire.h"
#include "strbuf.h"
#include "syscheck.h"
#include "verdict.h"

#define LB_NBUDGETS 3          /* lateness over 1/4, 1/2 and 1 period */
#define LB_OVERFLOW_CYCLES 30  /* cyclictest lists the first 30 histogram overflows */
#define LB_XRUN_LOG 64         /* xruns whose time and duration are kept, per measuring thread */
#define LB_RT_MAX 4096         /* round-trip measurements kept */

extern const double lb_budget_fractions[LB_NBUDGETS];

/* One xrun of an audio plane: when it happened and how long the stream was stopped. */
struct lb_xrun {
	uint64_t at_ns;         /* since the start of the run */
	uint64_t duration_ns;   /* from the driver's stop timestamp to the restart; 0 when unknown */
};

/*
 * What one measuring thread owns; everything allocated before the run starts. The timer
 * plane has one per CPU; an audio plane has one per stream it waits on (named after it).
 */
struct lb_cpu {
	/* what lb_cpu_sample touches on every wakeup comes first, with the histogram's counters
	 * right after it: a few cache lines of one page, not four pages 100 KB apart */
	uint64_t last_ns;       /* the latest sample, for the live view */
	uint64_t win_max_ns;    /* the worst sample since the reporter last took it, for the timeline */
	uint64_t over[LB_NBUDGETS];
	uint64_t missed;        /* periods whose deadline passed entirely while we slept */
	uint64_t xruns;         /* wakeups that missed at least one period */
	uint64_t cycles;        /* wakeups so far (cyclictest's cycle counter) */
	/* cyclictest histogram: 1 us bins, only with --histogram */
	uint64_t *us_bins;
	unsigned us_len;
	uint64_t us_overflow;
	struct hist hist;
	int cpu;                /* pinned to this CPU; -1 when not pinned */
	int tid;                /* the measuring thread (audio planes: for the tracer) */
	char name[48];          /* "cpu0", "hw:0,0 playback", "jack" */
	uint64_t us_overflow_cycle[LB_OVERFLOW_CYCLES];
	/* audio planes: period-to-period jitter, |time between wakeups - period|, and the xrun log */
	struct hist jitter;
	uint64_t xrun_ns;       /* total time spent in xruns */
	struct lb_xrun xrun_log[LB_XRUN_LOG];
	uint64_t nxrun_log;     /* entries of xrun_log used (one entry may stand for several xruns in a row) */
	/* set up by the plane */
	pthread_t thread;
	int started;
	int fifo;               /* got SCHED_FIFO */
	int err;                /* -errno when the thread could not run at all */
	struct lb_run *run;
};

/* What an audio plane asked for and what the device or server granted, and what happened to it. */
struct lb_audio {
	/* asked for */
	const char *device;         /* ALSA: --device (playback, or the only stream); JACK: server name or NULL */
	const char *capture_device; /* ALSA: --capture-device for duplex and round trip; NULL: same as device */
	const char *stream;         /* "playback", "capture", "duplex" */
	unsigned periods;           /* --periods (ALSA) */
	int roundtrip;              /* --roundtrip */
	const char *start_server;   /* JACK: --start-server dummy or pipewire */
	int period_asked, rate_asked; /* JACK: --period, --rate given (or the server started at them) */
	int force_quantum;          /* JACK on PipeWire: --force-quantum */
	/* granted */
	char card[128];             /* card or server description */
	char format[32];
	unsigned channels;
	unsigned rate, period, nperiods, buffer; /* frames */
	double dsp_load_mean, dsp_load_max;      /* JACK: percent, -1 when not read */
	int server_started;         /* JACK: we started the server and stopped it */
	int thread_priority;        /* JACK: the process thread's SCHED_FIFO priority (the server's choice) */
	/* JACK: the server, as it says itself */
	char server_kind[16];       /* "jackd" or "pipewire" */
	char server_version[32];
	char server_driver[64];     /* PipeWire: the driver node of the client's graph */
	unsigned server_quantum, server_rate; /* PipeWire: that driver's, by its profiler; 0 unknown */
	struct lb_pw_settings pw_settings;    /* PipeWire: its settings metadata before the run */
	int forced;                 /* PipeWire: the quantum (and rate) were forced for the run, then restored */
	unsigned forced_quantum, forced_rate; /* what was forced (0: left as it was) */
	struct lb_pw_ledger forced_before;    /* the forced values before the run */
	long repaired_pid;          /* an earlier, killed run's forced quantum undone first; 0 none */
	/* JACK: xruns as the server counted them */
	int server_xruns_known;
	uint64_t server_xruns;      /* jackd: its log; PipeWire: cycles that ended before this client had finished */
	char server_xruns_source[32];
	uint64_t server_cycles;     /* PipeWire: the cycles of the run its profiler reported */
	uint64_t server_xruns_others; /* PipeWire: cycles other nodes had not finished, this client had */
	char server_xruns_others_names[128];
	uint64_t driver_xruns;      /* PipeWire: the driver's own xrun counter over the run */
	uint64_t in_callback;       /* PipeWire: of its xruns, cycles a stall caught this client in its callback */
	char xruns_note[768];       /* why the server's count and ours differ, or why it is unknown */
	char rt_why[384], rt_fix[384]; /* PipeWire: how the process thread got (or missed) real-time priority */
	uint64_t periods_done;      /* ALSA: periods read or written */
	double measured_rate;       /* ALSA: frames per second of the device's clock, from its timestamps; 0 unknown */
	/* how it ended */
	int device_lost;            /* the device went away mid-run (-ENODEV) */
	char error[512];            /* what went wrong, for the result and the message */
	/* round trip, in frames with sub-frame precision */
	double rt[LB_RT_MAX];
	unsigned nrt;               /* measurements kept */
	unsigned rt_sent, rt_lost;  /* signals sent, and those that never came back */
	double rt_min, rt_median, rt_max;
	unsigned rt_buffering;      /* periods x period: the part that is buffering */
	unsigned rt_reported;       /* JACK: the latency the server reports for the loop (ports' capture + playback) */
};

struct lb_run {
	/* parameters */
	const char *plane;          /* "timer", "alsa", "jack" */
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
	uint64_t report_ns;         /* how often the reporter calls progress (default 1 s) */
	struct lb_audio audio;      /* alsa and jack planes */

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
	char note[768];             /* why the result is not real-time, when it is not */
	/* latency over the run's time: the worst wakeup of each step, every CPU together */
	double timeline_step_s;     /* 1 s */
	uint64_t *timeline_ns;      /* timeline_len entries allocated before the run */
	unsigned ntimeline, timeline_len;
	uint64_t timeline_samples;  /* the samples counted at the latest entry: none since, the step is null */
	/* what made wakeups late (timer plane with the tracers; else why not) */
	int causes_wanted;          /* not --no-causes */
	int threshold_given;        /* --threshold: not the period's budget */
	struct lb_causes causes;
	struct lb_tracer *tracer;   /* the tracer watching the run; NULL none */
};

/* The timeline: one entry per step, LB_TIMELINE_NONE for a step without samples. */
#define LB_TIMELINE_NONE UINT64_MAX
#define LB_TIMELINE_MAX 86400u      /* entries kept; a longer run merges pairs and doubles the step */

/* Progress reporting from the reporter thread (never from a measuring thread). */
typedef void (*lb_progress_fn)(const struct lb_run *r, double elapsed_s, void *data);

/* Allocate per-CPU state (histograms included) for r->ncpus CPUs; 0 or -ENOMEM. */
int lb_run_alloc(struct lb_run *r);
void lb_run_free(struct lb_run *r);
/*
 * The reporter's side of the timeline (never a measuring thread): at each whole step of
 * r->timeline_step_s that `elapsed_s` has passed, one entry, the worst sample of every CPU since
 * the last (their win_max_ns taken and reset). `final` after the measuring threads have ended:
 * what is left goes into the step the run ended in (elapsed_s is capped at the duration).
 */
void lb_run_timeline_tick(struct lb_run *r, double elapsed_s, int final);
/* Merge per-CPU histograms and counters; compute the verdict. */
void lb_run_finish(struct lb_run *r, const char *load_desc);
/* The period an audio plane measured (its granted period at *rate), 0 for the timer plane. */
unsigned lb_run_measured_period(const struct lb_run *r, unsigned *rate);
uint64_t lb_run_samples(const struct lb_run *r);
uint64_t lb_run_missed(const struct lb_run *r);
uint64_t lb_run_xruns(const struct lb_run *r);

#define LB_NSEC 1000000000ULL
#define LB_THREAD_STACK (256 * 1024)

/* CLOCK_MONOTONIC; inline: the measuring loops call it on every wakeup */
static inline uint64_t lb_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * LB_NSEC + (uint64_t)t.tv_nsec;
}
void lb_sleep_ns(uint64_t ns);
int lb_memory_lock(void);                 /* mlockall, and 1 only when the kernel counts locked pages */
/*
 * The same, locking pages as they are touched (MCL_ONFAULT) and the program's own code and data
 * at once: for a loop that prefaults what else it touches (lb_prefault, lb_loop_warm_up).
 */
int lb_memory_lock_onfault(void);
/* Write-touch every page of [p, p + len): present (and locked) before a loop uses it. */
void lb_prefault(void *p, size_t len);
/* In a measuring thread before its loop: its stack and the libc calls of a timed wait. */
void lb_loop_warm_up(void);
#define LB_STACK_PREFAULT (16 * 1024)
int lb_dma_latency_hold(struct lb_run *r); /* /dev/cpu_dma_latency at 0: an fd, or -1 */
void lb_dma_latency_release(int fd);
/*
 * Start fn(arg) on c->cpu (unpinned when -1) at SCHED_FIFO `priority`, or as an ordinary
 * thread when that is refused; sets c->fifo and c->started. 0 or -errno.
 */
int lb_thread_start(struct lb_cpu *c, int priority, void *(*fn)(void *), void *arg);
/* Call progress every r->report_ns until every started measuring thread has ended. */
void lb_report_until_joined(struct lb_run *r, volatile sig_atomic_t *stop, uint64_t start_ns,
			    lb_progress_fn progress, void *data);

/*
 * One lateness sample of a measuring loop: the histogram, the latest value, the over-budget
 * counts (thresholds in ns) and cyclictest's 1 us bins. No allocation, no locks; the caller
 * counts the cycle.
 */
static inline void lb_cpu_sample(struct lb_cpu *c, uint64_t lat, const uint64_t over[LB_NBUDGETS])
{
	unsigned i;

	hist_add(&c->hist, lat);
	__atomic_store_n(&c->last_ns, lat, __ATOMIC_RELAXED);
	if (lat > __atomic_load_n(&c->win_max_ns, __ATOMIC_RELAXED))
		__atomic_store_n(&c->win_max_ns, lat, __ATOMIC_RELAXED);
	for (i = 0; i < LB_NBUDGETS; i++)
		if (lat > over[i])
			c->over[i]++;
	if (c->us_bins) {
		uint64_t us = lat / 1000;
		if (us < c->us_len)
			c->us_bins[us]++;
		else {
			if (c->us_overflow < LB_OVERFLOW_CYCLES)
				c->us_overflow_cycle[c->us_overflow] = c->cycles;
			c->us_overflow++;
		}
	}
}

/*
 * A server started for the run (jackd, pipewire): argv[0] looked up in PATH, in a process group
 * of its own (a Ctrl-C meant for us must not end it under the measurement), sent SIGTERM when
 * this process dies, stdin /dev/null, stdout and stderr into logfd; `env` entries "NAME=value"
 * set and "NAME" unset for it (NULL: none). 0 with *pid, or -errno when it could not be run
 * (-ENOENT: no such program), then nothing is left running.
 */
int lb_server_spawn(const char *const *argv, const char *const *env, int logfd, pid_t *pid);
/* Wait up to wait_ns for it to end: 0 (reaped, *pid 0, its status in *status), or -ETIMEDOUT. */
int lb_server_reap(pid_t *pid, uint64_t wait_ns, int *status);
/* End its process group: SIGTERM, then SIGKILL after term_ns. */
void lb_server_stop(pid_t *pid, uint64_t term_ns);
/* The last non-empty line of a server's log, for a message about why it did not come up. */
void lb_log_last_line(int fd, char *buf, size_t len);

/* Record one xrun of `c` (called by an audio plane's measuring thread: no allocation). */
void lb_cpu_xrun(struct lb_cpu *c, uint64_t at_ns, uint64_t duration_ns);
/* Record `n` xruns in a row as one entry of the log (n cycles lost to one stall). */
void lb_cpu_xruns(struct lb_cpu *c, uint64_t n, uint64_t at_ns, uint64_t duration_ns);
/* Fill rt_min/median/max from the kept round-trip measurements. */
void lb_audio_roundtrip_finish(struct lb_audio *a);
/* JACK: the round trip's median beyond the nominal buffering and what the server reports (jack_iodelay's extra). */
double lb_audio_roundtrip_extra(const struct lb_audio *a);

/*
 * The planes: measure until the duration ends or *stop is set, calling `progress` every
 * r->report_ns from the calling thread. 0, or -errno with r->audio.error saying why (audio
 * planes). A plane that ends early because its device went away returns -ENODEV, one whose
 * server changed the period under it -ESTALE, with the samples so far in r, which are still
 * a valid result.
 */
int lb_plane_timer(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data);
int lb_plane_alsa(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data);
int lb_plane_jack(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data);
/*
 * --start-server pipewire: make sure this process runs with PipeWire's JACK library, by running
 * itself again (argv) with it first in LD_LIBRARY_PATH as pw-jack does. Returns only when it
 * already does (0), or with -errno and the reason in err.
 */
int lb_jack_use_pipewire(char **argv, struct strbuf *err);
/* This process's libjack is PipeWire's. */
int lb_jack_is_pipewire(void);
/* `latency-bench devices`: cards, PCMs and their limits, to fp. The number of cards, or -errno. */
int lb_alsa_devices(FILE *fp);

/* What `latency-bench [OPTIONS]` asked for: main.c's option table fills it, run.c checks it. */
struct lb_run_opts {
	const char *plane;          /* "timer", "alsa", "jack" (checked by lb_run_main) */
	const char *cpus;           /* --cpus LIST; NULL: every CPU allowed (audio planes: unpinned) */
	int priority;               /* SCHED_FIFO 1-99 */
	unsigned rate, period;      /* 0: not given (48000 Hz, 64 frames) */
	const char *interval;       /* --interval as typed: a time, or a plain number of µs */
	double duration_s;
	unsigned load_kinds;        /* LB_LOAD_* */
	const char *load_cmd;
	const char *json, *histogram; /* files to write; NULL: none */
	unsigned hist_us_max;       /* 0: 10000 */
	double max_latency_us;      /* 0: no budget */
	long max_missed;            /* -1: no budget */
	double dsp_load_pct;
	const char *label;          /* NULL: "RELEASE PLANE [+load KINDS]" */
	/* audio planes */
	const char *device, *capture_device, *stream;
	unsigned periods;
	int roundtrip;
	const char *start_server;
	int force_quantum;
	int live, quiet;
	const char *threshold;      /* --threshold as typed; NULL: the period's budget */
	int no_causes;              /* --no-causes */
	char **argv;                /* the command as typed, for the record */
};
#define LB_RUN_OPTS_INIT                                                                  \
	{ .plane = "timer", .priority = 80, .duration_s = 60, .max_missed = -1, .dsp_load_pct = 50, \
	  .stream = "playback", .periods = 2 }

/*
 * One measurement (run.c): check the options together, the system check, signals, the load,
 * the plane, the reports on stdout and in the files asked for, the budgets. Prints its own
 * diagnostics; returns KB_OK, KB_FAILED (a budget exceeded), KB_EUSAGE or KB_EENV.
 */
int lb_run_main(const struct lb_run_opts *o);
/* Write `sb` to `path` atomically: 0, or KB_EENV after saying why. */
int lb_write_out(const char *path, const struct strbuf *sb);

#endif
