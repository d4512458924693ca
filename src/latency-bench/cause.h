/* cause.h - what made a wakeup late: the kernel's timerlat and osnoise tracers, read through
 * libtracefs and libtraceevent, turned into causes a musician can act on */
#ifndef LB_CAUSE_H
#define LB_CAUSE_H

#include <stdint.h>

struct lb_run;

/* What delayed a wakeup. The JSON and text names are lb_cause_kind_name's. */
enum lb_cause_kind {
	LB_CAUSE_IRQ,           /* an interrupt handler: "irq" */
	LB_CAUSE_SOFTIRQ,       /* a softirq vector: "softirq" */
	LB_CAUSE_NMI,           /* "nmi" */
	LB_CAUSE_THREAD,        /* another thread of equal or higher real-time priority: "thread" */
	LB_CAUSE_HARDWARE,      /* hardware or firmware (SMIs) where a tracer tells it apart: "hardware" (timerlat cannot) */
	LB_CAUSE_IRQ_OFF,       /* the timer interrupt came late while a thread ran: interrupts off: "irq-off" */
	LB_CAUSE_PREEMPT_OFF,   /* a thread of lower priority kept the CPU after the wakeup: preemption off: "preempt-off" */
	LB_CAUSE_IDLE,          /* the CPU was idle: its interrupt came late (C-state exit), then leaving idle: "idle" */
	LB_CAUSE_NKINDS
};

#define LB_CAUSE_NAME 64
#define LB_CAUSE_MAX 64         /* distinct causes kept; more are counted in `dropped` */
#define LB_CAUSE_PARTS 16       /* parts of the worst wakeup's breakdown */
#define LB_CAUSE_SPIKES 16      /* the worst late wakeups kept with their top cause */

/* One cause, summed over the run's late wakeups. */
struct lb_cause {
	enum lb_cause_kind kind;
	char name[LB_CAUSE_NAME];   /* irq: "24 i915 (0000:00:02.0)"; softirq: "NET_RX"; thread: comm */
	int cpu;
	uint64_t count;             /* late wakeups it delayed */
	uint64_t max_ns;            /* its largest share of one late wakeup */
	uint64_t total_ns;
	/* irq */
	int irq;                    /* the interrupt's number (the vector the tracer gave); -1 none */
	char device[64], driver[32]; /* from /proc/interrupts and /sys/kernel/irq/N; "" unknown */
	/* thread, irq-off, preempt-off: the thread */
	int pid;                    /* 0 none */
	char policy[8];             /* "FIFO", "RR", "OTHER", "BATCH", "IDLE", "DEADLINE"; "" unknown */
	int priority;               /* real-time priority; nice value for OTHER */
};

/* One part of a late wakeup: from the timer's expiry to the thread running. */
struct lb_cause_part {
	enum lb_cause_kind kind;
	char name[LB_CAUSE_NAME];
	uint64_t ns;
};

/* One late wakeup as the tracer saw it. */
struct lb_wakeup {
	int cpu;
	double at_s;                /* since the start of the run */
	uint64_t latency_ns;        /* the tracer's: timer expiry to the thread running */
	uint64_t irq_latency_ns;    /* timer expiry to its interrupt */
	uint64_t timer_irq_ns;      /* the timer interrupt's own handler */
	struct lb_cause_part part[LB_CAUSE_PARTS];
	int nparts;
	uint64_t unaccounted_ns;    /* what no traced event explains */
	int top;                    /* index of the largest part, -1 none */
};

struct lb_causes {
	int available;              /* the tracers ran for the whole run */
	int watched;                /* audio planes: the osnoise tracer watched every CPU (else timerlat) */
	char unavailable[256];      /* why not: "cause analysis unavailable: " + this */
	uint64_t threshold_ns;      /* a wakeup later than this is analysed */
	uint64_t late;              /* late wakeups analysed */
	uint64_t lost_events;       /* events the trace buffer dropped (then some late wakeups are not analysed) */
	uint64_t dropped;           /* causes beyond LB_CAUSE_MAX, not listed */
	struct lb_cause cause[LB_CAUSE_MAX]; /* sorted by max_ns, largest first, after lb_causes_finish */
	int ncauses;
	struct lb_wakeup worst;     /* the worst wakeup analysed; worst.latency_ns 0: none */
	struct lb_wakeup spike[LB_CAUSE_SPIKES]; /* the worst late wakeups, in time order after finish */
	int nspikes;
};

const char *lb_cause_kind_name(enum lb_cause_kind k); /* "irq", "softirq", ... */
/* The kind named `s`, or -1. */
int lb_cause_kind_parse(const char *s);

/*
 * The tracer's side of a timer-plane run (cause.c). lb_causes_start before the measuring
 * threads: 0 when the tracers will watch them, or -errno with r->causes.unavailable saying
 * why (then the plane measures as without tracers). Each measuring thread, pinned, calls
 * lb_causes_thread_open for its CPU and then waits with lb_causes_thread_wait instead of
 * clock_nanosleep. The reporter thread calls lb_causes_poll every tick; lb_causes_stop after
 * the threads have ended, which restores what it changed in tracefs.
 */
struct lb_tracer;
int lb_causes_start(struct lb_run *r, struct lb_tracer **t);
/* The timerlat file of `cpu` for the calling (pinned) thread: an fd, or -errno. */
int lb_causes_thread_open(struct lb_tracer *t, int cpu);
/*
 * Wait for the next period on the kernel's timer: the first call arms it one period from
 * then, each later call at the next period not yet passed. 0, or -errno.
 */
int lb_causes_thread_wait(int fd);
/* The kernel's period: the run's interval in whole microseconds. */
uint64_t lb_causes_period_ns(const struct lb_tracer *t);
/* The first expiry, as seconds of the run, for the wakeups' times. */
void lb_causes_set_start(struct lb_tracer *t, double first_expiry_s);
void lb_causes_poll(struct lb_tracer *t, struct lb_run *r);
/* How often the reporter calls lb_causes_poll: the audio planes' own rate, else report_ns (its progress ticks). */
uint64_t lb_causes_every_ns(const struct lb_tracer *t, uint64_t report_ns);
void lb_causes_stop(struct lb_tracer *t, struct lb_run *r);
/*
 * Audio planes (alsa, jack): the osnoise tracer watches every CPU, and the measuring thread
 * tells it each wakeup later than the threshold: its thread, when it was due and when it ran
 * (CLOCK_MONOTONIC), and its time in the run. Lock-free, one calling thread; the reporter
 * takes it apart once the trace has it.
 */
/* An audio plane, once its period is known: r->tracer, or NULL and why not. */
void lb_causes_audio_start(struct lb_run *r);
/*
 * Audio planes: the calling thread, the reporter, gives way to every other thread
 * (SCHED_IDLE) and moves off the measured CPUs (where another is allowed) until
 * lb_causes_stop, called from the same thread, once the measuring threads have started.
 */
void lb_causes_reporter_away(struct lb_tracer *t);
void lb_causes_late(struct lb_tracer *t, int tid, uint64_t expected_ns, uint64_t woke_ns, double at_s);
/* A run that did not start the tracer (--no-causes, an error before it): say why. */
void lb_causes_not_run(struct lb_run *r);

/* Sort the causes and spikes for the reports. */
void lb_causes_finish(struct lb_causes *c);
/* "IRQ 24 (i915), driver i915", "thread lb-spin (pid 123, FIFO 90)": the cause as a text names it. */
void lb_cause_label(const struct lb_cause *c, char *buf, unsigned len);
/* One plain sentence tied to the verdict's smallest failing size ("" when there is nothing to name), and the fix to try. */
void lb_causes_sentence(const struct lb_run *r, char *buf, unsigned len);
void lb_cause_fix(const struct lb_cause *c, int audio_priority, char *buf, unsigned len);

#endif
