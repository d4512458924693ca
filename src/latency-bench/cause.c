/* cause.c - what made a wakeup late: the kernel's timerlat and osnoise tracers through libtracefs
 * and libtraceevent, each late wakeup taken apart into the interrupts, softirqs, NMIs and threads
 * that ran between the timer's expiry and the thread running */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lb.h"
#include "log.h"
#include "opt.h"

static const char *const kind_names[LB_CAUSE_NKINDS] = {
	[LB_CAUSE_IRQ] = "irq",
	[LB_CAUSE_SOFTIRQ] = "softirq",
	[LB_CAUSE_NMI] = "nmi",
	[LB_CAUSE_THREAD] = "thread",
	[LB_CAUSE_HARDWARE] = "hardware",
	[LB_CAUSE_IRQ_OFF] = "irq-off",
	[LB_CAUSE_PREEMPT_OFF] = "preempt-off",
	[LB_CAUSE_IDLE] = "idle",
};

const char *lb_cause_kind_name(enum lb_cause_kind k)
{
	return (unsigned)k < LB_CAUSE_NKINDS ? kind_names[k] : "?";
}

int lb_cause_kind_parse(const char *s)
{
	for (int k = 0; k < LB_CAUSE_NKINDS; k++)
		if (s && strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

static int by_max_desc(const void *a, const void *b)
{
	const struct lb_cause *x = a, *y = b;

	if (x->max_ns != y->max_ns)
		return x->max_ns < y->max_ns ? 1 : -1;
	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int spike_by_time(const void *a, const void *b)
{
	const struct lb_wakeup *x = a, *y = b;

	return x->at_s < y->at_s ? -1 : x->at_s > y->at_s;
}

void lb_causes_finish(struct lb_causes *c)
{
	qsort(c->cause, (size_t)c->ncauses, sizeof(c->cause[0]), by_max_desc);
	qsort(c->spike, (size_t)c->nspikes, sizeof(c->spike[0]), spike_by_time);
}

/* ---- the tracer ---- */

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#define TRACE_BUFFER_KB 4096    /* per CPU: a few seconds of events at the shortest period */
#define THREAD_CACHE 64
#define IDLE_NAME "the CPU leaving idle"
#define WATCH_BUFFER_KB 2048    /* per CPU, audio planes: every CPU, read every tick */
#define WATCH_EVERY_NS (250 * 1000 * 1000ULL) /* audio planes: the trace read four times a second */
#define SPANS 8192              /* per CPU, audio planes: the last second or more of what ran */
#define WAKINGS 8192            /* audio planes: the latest wakeups of any thread, for the chains */
#define LATES 1024              /* audio planes: late wakeups waiting for their trace */
#define CPUS_MAX 1024
#define IRQ_TAIL_NS 3000        /* an interrupt's exit after osnoise saw its end */
#define LATE_IRQ_NS 50000       /* audio planes: how late a device's interrupt may come by its own timing */
#define CHAIN 4                 /* audio planes: wakers followed back from the audio thread */

/* The osnoise knobs timerlat reads; global, not per instance: saved and put back. */
static const char *const knobs[] = {
	"osnoise/cpus", "osnoise/timerlat_period_us", "osnoise/stop_tracing_us",
	"osnoise/stop_tracing_total_us", "osnoise/print_stack",
};
#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))

/* What one CPU's events have said since its last timer interrupt. */
struct cpu_state {
	int cpu;
	int waiting_thread;         /* between the timer's interrupt and the thread's sample */
	uint64_t irq_ts, irq_latency, irq_seq;
	int blocking_pid;           /* what ran when the timer interrupt came; 0 idle */
	int timer_irq_seen;
	uint64_t timer_irq_start, timer_irq_dur;
	/* the last interrupt or NMI before the timer's */
	int prev_kind;              /* -1 none */
	char prev_name[LB_CAUSE_NAME];
	int prev_irq;
	uint64_t prev_start, prev_dur;
	struct lb_wakeup w;         /* parts so far */
	int part_irq[LB_CAUSE_PARTS], part_pid[LB_CAUSE_PARTS];
	uint64_t first_ts;          /* the first thread sample's trace time, at start_ns + one period */
	int have_first;
	/* audio planes: what ran on this CPU, in the order it ended (the trace's order) */
	struct span *span;
	uint64_t nspan;             /* spans written; the ring holds the last SPANS */
	int64_t off;                /* the trace clock (mono) minus osnoise's start times (sched_clock) */
	int have_off;
};

/* Audio planes: one stretch of an interrupt, softirq, NMI or thread on one CPU, in the trace's clock. */
enum span_kind { SPAN_IRQ, SPAN_SOFTIRQ, SPAN_NMI, SPAN_THREAD };
struct span {
	uint64_t start, end;        /* CLOCK_MONOTONIC ns */
	uint64_t net;               /* its own time: a thread's or softirq's without the interrupts inside */
	int pid;                    /* thread: its pid, 0 the idle task */
	int irq;                    /* irq: the vector */
	unsigned char kind;
	char name[27];
};

/* Audio planes: a thread made runnable (sched_waking), on the CPU that woke it. */
struct waking {
	uint64_t ts;
	int pid, waker, cpu;
};

/* Audio planes: a late wakeup the plane measured, waiting for its trace. */
struct late {
	uint64_t expected, woke;    /* CLOCK_MONOTONIC ns: when it was due, when the plane ran */
	double at_s;
	int tid;
};

/* A thread seen in the trace: its scheduling, read once. */
struct thread_info {
	int pid;
	char comm[LB_CAUSE_NAME];   /* /proc/PID/comm when it was first seen; "" gone */
	char policy[8];
	int priority, rt;
};

struct lb_tracer {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	char *dir;                  /* the tracing directory */
	char *saved[NKNOBS];        /* NULL: not changed */
	int workload_was_on;        /* osnoise/options had OSNOISE_WORKLOAD */
	int options_changed;
	uint64_t period_ns;         /* the kernel's, whole microseconds */
	double start_s;             /* the run's first expiry, as seconds of the run */
	int audio_priority;
	struct cpu_state *cs;       /* per measured CPU */
	int ncs;
	int tl_id, irq_id, softirq_id, nmi_id, thread_id; /* event ids; -1 unknown */
	/* the fields read, looked up once: a tick reads thousands of events */
	struct tep_format_field *tl_ctx, *tl_lat, *tl_seq;
	struct tep_format_field *irq_start, *irq_dur, *irq_vec, *irq_desc;
	struct tep_format_field *sirq_dur, *sirq_vec, *nmi_start, *nmi_dur;
	struct tep_format_field *thr_pid, *thr_dur, *thr_comm, *thr_start, *sirq_start;
	struct thread_info threads[THREAD_CACHE];
	int nthreads;
	/* the per-CPU readers, opened and allocated before the run: a tick allocates nothing */
	struct tracefs_cpu **tcpu;
	struct kbuffer *kbuf;
	void *page;
	int page_size;
	/* audio planes: the osnoise tracer watching every CPU with no workload of its own */
	int watch;
	int server_timing;          /* jack: the wakeups are due by the server's estimate of its cycle */
	int away_done;              /* lb_causes_reporter_away ran */
	int reporter_policy, idled; /* the reporter's scheduling before the run, and whether it was changed */
	struct sched_param reporter_param;
	cpu_set_t reporter_cpus;    /* the reporter's CPUs before the run */
	int moved;                  /* it was moved off the measured CPUs */
	int waking_id;
	struct tep_format_field *wk_pid;
	struct waking *wakings;
	uint64_t nwakings;
	struct late lates[LATES];   /* written by the measuring thread, read by the reporter */
	unsigned late_head, late_tail;
	uint64_t late_dropped;      /* late wakeups that found the queue full */
	volatile int thread_failed; /* a measuring thread could not open its timerlat file */
	char failed_why[160];
	struct lb_run *run;
};

static const char *const softirq_names[] = { "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK",
					     "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU" };

static void unavailable(struct lb_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unavailable(struct lb_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->causes.unavailable, sizeof(r->causes.unavailable), fmt, ap);
	va_end(ap);
	r->causes.available = 0;
}

static char *knob_read(const char *dir, const char *knob)
{
	char path[512], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

static int knob_write(const char *dir, const char *knob, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

static void cpulist(const struct lb_run *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < r->ncpus && used + 12 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "", r->cpu[i].cpu);
}

/* An instance an earlier run left when it was killed: its process is gone. */
static void remove_stale(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", dir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		long pid;
		char *end;

		if (strncmp(de->d_name, "latency-bench-", 14) != 0)
			continue;
		pid = strtol(de->d_name + 14, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		struct tracefs_instance *old = tracefs_instance_alloc(dir, de->d_name);
		if (old) {
			tracefs_tracer_clear(old);
			tracefs_instance_destroy(old);
			tracefs_instance_free(old);
		}
		/* what its run changed is lost with it: the kernel's defaults, which a run that ends
		 * cleanly puts back too unless someone had set other values before it */
		char *online = knob_read("/sys/devices/system/cpu", "online");
		knob_write(dir, "osnoise/options", "OSNOISE_WORKLOAD");
		knob_write(dir, "osnoise/timerlat_period_us", "1000");
		knob_write(dir, "osnoise/stop_tracing_us", "0");
		knob_write(dir, "osnoise/stop_tracing_total_us", "0");
		knob_write(dir, "osnoise/print_stack", "0");
		if (online)
			knob_write(dir, "osnoise/cpus", online);
		free(online);
		kb_warning("removed the tracing instance '%s' of an earlier run (process %ld) that did not end cleanly, "
			   "and put the osnoise tracer's settings back to the kernel's defaults", de->d_name, pid);
	}
	closedir(d);
}

/* Another program's osnoise or timerlat tracer (rtla, another run): the tracer is in use. */
static int tracer_in_use(const char *dir, char *who, size_t len)
{
	char **names = tracefs_instances(NULL);
	char *cur = knob_read(dir, "current_tracer");
	int busy = 0;

	if (cur && (strcmp(cur, "timerlat") == 0 || strcmp(cur, "osnoise") == 0)) {
		snprintf(who, len, "the top-level trace (current_tracer %s)", cur);
		busy = 1;
	}
	free(cur);
	for (int i = 0; !busy && names && names[i]; i++) {
		char knob[300];
		snprintf(knob, sizeof(knob), "instances/%s/current_tracer", names[i]);
		cur = knob_read(dir, knob);
		if (cur && (strcmp(cur, "timerlat") == 0 || strcmp(cur, "osnoise") == 0)) {
			snprintf(who, len, "the tracing instance '%s' (current_tracer %s)", names[i], cur);
			busy = 1;
		}
		free(cur);
	}
	tracefs_list_free(names);
	return busy;
}

static int event_id(struct tep_handle *tep, const char *sys, const char *name)
{
	struct tep_event *e = tep_find_event_by_name(tep, sys, name);

	return e ? e->id : -1;
}

static int find_fields(struct lb_tracer *t)
{
	struct tep_event *tl = tep_find_event(t->tep, t->tl_id), *irq = tep_find_event(t->tep, t->irq_id),
			 *sirq = tep_find_event(t->tep, t->softirq_id), *nmi = tep_find_event(t->tep, t->nmi_id),
			 *thr = tep_find_event(t->tep, t->thread_id);

	if ((!tl && !t->watch) || !irq || !sirq || !nmi || !thr)
		return 0;
	if (t->watch) {
		struct tep_event *wk = tep_find_event(t->tep, t->waking_id);
		if (!wk || !(t->wk_pid = tep_find_field(wk, "pid")))
			return 0;
	} else {
		t->tl_ctx = tep_find_field(tl, "context");
		t->tl_lat = tep_find_field(tl, "timer_latency");
		t->tl_seq = tep_find_field(tl, "seqnum");
		if (!t->tl_ctx || !t->tl_lat || !t->tl_seq)
			return 0;
	}
	t->irq_start = tep_find_field(irq, "start");
	t->irq_dur = tep_find_field(irq, "duration");
	t->irq_vec = tep_find_field(irq, "vector");
	t->irq_desc = tep_find_field(irq, "desc");
	t->sirq_dur = tep_find_field(sirq, "duration");
	t->sirq_start = tep_find_field(sirq, "start");
	t->thr_start = tep_find_field(thr, "start");
	t->sirq_vec = tep_find_field(sirq, "vector");
	t->nmi_start = tep_find_field(nmi, "start");
	t->nmi_dur = tep_find_field(nmi, "duration");
	t->thr_pid = tep_find_field(thr, "pid");
	t->thr_dur = tep_find_field(thr, "duration");
	t->thr_comm = tep_find_field(thr, "comm");
	return t->sirq_start && t->thr_start && t->irq_start && t->irq_dur && t->irq_vec && t->irq_desc &&
	       t->sirq_dur && t->sirq_vec && t->nmi_start && t->nmi_dur && t->thr_pid && t->thr_dur && t->thr_comm;
}

static void restore(struct lb_tracer *t)
{
	if (t->inst) {
		tracefs_tracer_clear(t->inst);
		tracefs_instance_destroy(t->inst);
		tracefs_instance_free(t->inst);
		t->inst = NULL;
	}
	if (t->options_changed && t->workload_was_on)
		knob_write(t->dir, "osnoise/options", "OSNOISE_WORKLOAD");
	t->options_changed = 0;
	for (size_t i = 0; i < NKNOBS; i++) {
		if (t->saved[i])
			knob_write(t->dir, knobs[i], t->saved[i]);
		free(t->saved[i]);
		t->saved[i] = NULL;
	}
}

static void readers_close(struct lb_tracer *t)
{
	for (int i = 0; t->tcpu && i < t->ncs; i++)
		if (t->tcpu[i])
			tracefs_cpu_close(t->tcpu[i]);
	free(t->tcpu);
	t->tcpu = NULL;
	if (t->kbuf)
		kbuffer_free(t->kbuf);
	t->kbuf = NULL;
	free(t->page);
	t->page = NULL;
}

static void tracer_free(struct lb_tracer *t)
{
	if (!t)
		return;
	readers_close(t);
	restore(t);
	if (t->tep)
		tep_free(t->tep);
	for (int i = 0; t->cs && i < t->ncs; i++)
		free(t->cs[i].span);
	free(t->cs);
	free(t->wakings);
	free(t->dir);
	free(t);
}

/* The kernel knows tracefs (/proc/filesystems); when that cannot be read, assume it may. */
static int has_tracefs(void)
{
	char line[128];
	FILE *f = fopen("/proc/filesystems", "re");
	int found = 0;

	if (!f)
		return 1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "\ttracefs\n") != NULL;
	fclose(f);
	return found;
}

/* Why a run does not start the tracer at all, in r->causes.unavailable: 1, else 0. */
static int not_run_reason(struct lb_run *r)
{
	if (!r->causes_wanted) {
		unavailable(r, "--no-causes");
		return 1;
	}
	return 0;
}

void lb_causes_not_run(struct lb_run *r)
{
	if (!not_run_reason(r))
		unavailable(r, "the measurement ended before the tracer started");
}

int lb_causes_start(struct lb_run *r, struct lb_tracer **tp)
{
	static const char *const systems[] = { "ftrace", "osnoise", "sched", NULL };
	struct lb_tracer *t;
	const char *dir;
	char path[512], who[300], val[1024], *opts;
	int err, watch;

	*tp = NULL;
	r->causes.available = 0;
	if (!r->causes.threshold_ns)
		r->causes.threshold_ns = r->interval_ns / 2;
	if (not_run_reason(r))
		return -ECANCELED;
	if (geteuid() != 0) {
		unavailable(r, "the kernel's tracers need root (tracefs); run latency-bench as root for the causes");
		return -EPERM;
	}
	if (!has_tracefs()) {
		unavailable(r, "this kernel (%s) has no tracefs: build it with CONFIG_FTRACE, CONFIG_OSNOISE_TRACER and "
			    "CONFIG_TIMERLAT_TRACER (kbuild's audio profile sets them)", r->sys.kernel_release);
		return -ENOENT;
	}
	dir = tracefs_tracing_dir();
	if (!dir) {
		unavailable(r, "tracefs is not mounted and could not be mounted (mount -t tracefs nodev /sys/kernel/tracing)");
		return -ENOENT;
	}
	watch = strcmp(r->plane, "timer") != 0;
	if (!watch && !tracefs_tracer_available(dir, "timerlat")) {
		unavailable(r, "this kernel (%s) has no timerlat tracer: build it with CONFIG_OSNOISE_TRACER and "
			    "CONFIG_TIMERLAT_TRACER (kbuild's audio profile sets them)", r->sys.kernel_release);
		return -ENOENT;
	}
	if (watch && !tracefs_tracer_available(dir, "osnoise")) {
		unavailable(r, "this kernel (%s) has no osnoise tracer: build it with CONFIG_OSNOISE_TRACER "
			    "(kbuild's audio profile sets it)", r->sys.kernel_release);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/osnoise/per_cpu/cpu%d/timerlat_fd", dir, r->cpu[0].cpu);
	if (!watch && access(path, R_OK) != 0) {
		unavailable(r, "this kernel's timerlat tracer (%s) cannot follow a thread of latency-bench's own "
			    "(osnoise/per_cpu/cpuN/timerlat_fd came in Linux 6.6)", r->sys.kernel_release);
		return -ENOENT;
	}
	opts = knob_read(dir, "osnoise/options");
	if (watch && (!opts || !strstr(opts, "OSNOISE_WORKLOAD"))) {
		free(opts);
		unavailable(r, "this kernel's osnoise tracer (%s) cannot watch without a workload of its own "
			    "(osnoise/options OSNOISE_WORKLOAD came in Linux 6.4)", r->sys.kernel_release);
		return -ENOENT;
	}
	free(opts);
	remove_stale(dir);
	if (tracer_in_use(dir, who, sizeof(who))) {
		unavailable(r, "the %s tracer is in use by another program: %s", watch ? "osnoise" : "timerlat", who);
		return -EBUSY;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->run = r;
	t->watch = watch;
	t->server_timing = strcmp(r->plane, "jack") == 0;
	t->dir = strdup(dir);
	t->audio_priority = r->priority;
	if (watch) {
		/* the audio thread and what wakes it may run on any CPU: watch them all */
		static unsigned char online[CPUS_MAX];
		char *list = knob_read("/sys/devices/system/cpu", "online");
		if (!list || opt_parse_cpulist(list, CPUS_MAX, online) != 0)
			memset(online, 0, sizeof(online)), online[0] = 1;
		free(list);
		for (int i = 0; i < CPUS_MAX; i++)
			t->ncs += online[i];
		t->cs = calloc((size_t)t->ncs, sizeof(*t->cs));
		t->wakings = calloc(WAKINGS, sizeof(*t->wakings));
		for (int i = 0, n = 0; t->cs && i < CPUS_MAX; i++)
			if (online[i]) {
				t->cs[n].cpu = i;
				t->cs[n].prev_kind = -1;
				if (!(t->cs[n++].span = calloc(SPANS, sizeof(struct span))))
					t->wakings = (free(t->wakings), NULL);
			}
		if (!t->dir || !t->cs || !t->wakings) {
			tracer_free(t);
			return -ENOMEM;
		}
		t->period_ns = r->interval_ns;
	} else {
		t->ncs = r->ncpus;
		t->cs = calloc((size_t)r->ncpus, sizeof(*t->cs));
		if (!t->dir || !t->cs) {
			tracer_free(t);
			return -ENOMEM;
		}
		for (int i = 0; i < r->ncpus; i++) {
			t->cs[i].cpu = r->cpu[i].cpu;
			t->cs[i].prev_kind = -1;
		}
		/* the kernel's period is whole microseconds: the run measures at that one */
		t->period_ns = (r->interval_ns + 500) / 1000 * 1000;
	}
	for (size_t i = 0; i < NKNOBS; i++)
		if (!(t->saved[i] = knob_read(dir, knobs[i]))) {
			err = -errno;
			unavailable(r, "cannot read %s/%s: %s", dir, knobs[i], strerror(-err));
			goto fail;
		}
	opts = knob_read(dir, "osnoise/options");
	t->workload_was_on = opts && strstr(opts, "NO_OSNOISE_WORKLOAD") == NULL;
	free(opts);
	if (watch) {
		int n = 0;
		for (int i = 0; i < t->ncs && n < (int)sizeof(val) - 8; i++)
			n += snprintf(val + n, sizeof(val) - (size_t)n, "%s%d", i ? "," : "", t->cs[i].cpu);
	} else
		cpulist(r, val, sizeof(val));
	if ((err = knob_write(dir, "osnoise/cpus", val)) ||
	    (!watch && (err = knob_write(dir, "osnoise/timerlat_period_us", (snprintf(val, sizeof(val), "%llu",
				(unsigned long long)(t->period_ns / 1000)), val)))) ||
	    (err = knob_write(dir, "osnoise/stop_tracing_us", "0")) ||
	    (err = knob_write(dir, "osnoise/stop_tracing_total_us", "0")) ||
	    (err = knob_write(dir, "osnoise/print_stack", "0"))) {
		unavailable(r, "cannot set up the osnoise tracer's settings: %s", strerror(-err));
		goto fail;
	}
	t->options_changed = 1;
	if ((err = knob_write(dir, "osnoise/options", "NO_OSNOISE_WORKLOAD"))) {
		unavailable(r, "cannot switch off the kernel's own %s threads (osnoise/options): %s",
			    watch ? "osnoise" : "timerlat", strerror(-err));
		goto fail;
	}
	snprintf(val, sizeof(val), "latency-bench-%ld", (long)getpid());
	t->inst = tracefs_instance_create(val);
	if (!t->inst) {
		unavailable(r, "cannot create the tracing instance %s: %s", val, strerror(errno));
		goto fail;
	}
	if (tracefs_instance_set_buffer_size(t->inst, watch ? WATCH_BUFFER_KB : TRACE_BUFFER_KB, -1) < 0 ||
	    tracefs_event_enable(t->inst, "osnoise", NULL) < 0 ||
	    (watch && tracefs_event_enable(t->inst, "sched", "sched_waking") < 0)) {
		unavailable(r, "cannot enable the osnoise events: %s", strerror(errno));
		goto fail;
	}
	/* the audio planes' times are CLOCK_MONOTONIC: so are the trace's */
	if (watch && tracefs_instance_file_write(t->inst, "trace_clock", "mono") < 0) {
		unavailable(r, "cannot set the trace's clock to mono: %s", strerror(errno));
		goto fail;
	}
	t->tep = tracefs_local_events_system(dir, systems);
	if (!t->tep) {
		unavailable(r, "cannot read the trace event formats: %s", strerror(errno));
		goto fail;
	}
	t->tl_id = event_id(t->tep, "ftrace", "timerlat");
	t->irq_id = event_id(t->tep, "osnoise", "irq_noise");
	t->softirq_id = event_id(t->tep, "osnoise", "softirq_noise");
	t->nmi_id = event_id(t->tep, "osnoise", "nmi_noise");
	t->thread_id = event_id(t->tep, "osnoise", "thread_noise");
	t->waking_id = event_id(t->tep, "sched", "sched_waking");
	if ((!watch && t->tl_id < 0) || t->irq_id < 0 || t->thread_id < 0 || t->softirq_id < 0 || t->nmi_id < 0 ||
	    (watch && t->waking_id < 0) || !find_fields(t)) {
		unavailable(r, "this kernel's trace has no %s event formats (or other ones than Linux 6.6's)",
			    watch ? "osnoise or sched_waking" : "timerlat or osnoise");
		goto fail;
	}
	if (tracefs_tracer_set(t->inst, TRACEFS_TRACER_CUSTOM, watch ? "osnoise" : "timerlat") < 0) {
		unavailable(r, "cannot start the %s tracer: %s", watch ? "osnoise" : "timerlat", strerror(errno));
		goto fail;
	}
	/* after the tracer: while its trace is open for reading, the tracer cannot be changed */
	t->tcpu = calloc((size_t)t->ncs, sizeof(*t->tcpu));
	t->kbuf = tep_kbuffer(t->tep);
	if (!t->tcpu || !t->kbuf) {
		unavailable(r, "cannot set up the trace readers: %s", strerror(ENOMEM));
		goto fail;
	}
	for (int i = 0; i < t->ncs; i++) {
		t->tcpu[i] = tracefs_cpu_open(t->inst, t->cs[i].cpu, true);
		if (!t->tcpu[i]) {
			unavailable(r, "cannot open the trace of CPU %d: %s", t->cs[i].cpu, strerror(errno));
			goto fail;
		}
		if (tracefs_cpu_read_size(t->tcpu[i]) > t->page_size)
			t->page_size = tracefs_cpu_read_size(t->tcpu[i]);
	}
	t->page = t->page_size > 0 ? malloc((size_t)t->page_size) : NULL;
	if (!t->page) {
		unavailable(r, "cannot set up the trace readers: %s", strerror(ENOMEM));
		goto fail;
	}
	r->causes.available = 1;
	r->causes.watched = watch;
	r->causes.unavailable[0] = '\0';
	*tp = t;
	return 0;
fail:
	tracer_free(t);
	return -EIO;
}

void lb_causes_audio_start(struct lb_run *r)
{
	/* the period the device or server granted: its budget, unless --threshold */
	if (!r->threshold_given)
		r->causes.threshold_ns = (uint64_t)((1.0 - r->dsp_load) * (double)r->interval_ns);
	lb_causes_start(r, &r->tracer);
}

void lb_causes_reporter_away(struct lb_tracer *t)
{
	if (t && t->watch && !t->away_done) {
		/*
		 * This thread reads the trace while the audio thread runs. Where the card's wakeup goes
		 * through a thread of ordinary priority (ksoftirqd on PREEMPT_RT), it would compete
		 * with it: at nice 0 it held ksoftirqd up to 1.4 ms in 8 wakeups of a 3 s run in the
		 * test guest, at SCHED_IDLE in 1 or 2. So it gives way to every other thread, and
		 * moves off the measured CPUs where another is allowed, until the run ends. Under a
		 * load on every CPU it then reads late, and the trace buffer (2 MB a CPU) must hold on.
		 */
		struct sched_param idle = { 0 };
		cpu_set_t away;
		t->away_done = 1;
		t->reporter_policy = sched_getscheduler(0);
		if (t->reporter_policy >= 0 && sched_getparam(0, &t->reporter_param) == 0 &&
		    sched_setscheduler(0, SCHED_IDLE, &idle) == 0)
			t->idled = 1;
		if (sched_getaffinity(0, sizeof(t->reporter_cpus), &t->reporter_cpus) == 0) {
			away = t->reporter_cpus;
			for (int i = 0; i < t->run->ncpus; i++)
				if (t->run->cpu[i].cpu >= 0 && t->run->cpu[i].cpu < CPU_SETSIZE)
					CPU_CLR(t->run->cpu[i].cpu, &away);
			if (CPU_COUNT(&away) > 0 && sched_setaffinity(0, sizeof(away), &away) == 0)
				t->moved = 1;
		}
	}
}

uint64_t lb_causes_period_ns(const struct lb_tracer *t)
{
	return t->period_ns;
}

int lb_causes_thread_open(struct lb_tracer *t, int cpu)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/osnoise/per_cpu/cpu%d/timerlat_fd", t->dir, cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		if (!t->thread_failed)
			snprintf(t->failed_why, sizeof(t->failed_why), "cannot open the timerlat file of CPU %d: %s", cpu,
				 strerror(-err));
		t->thread_failed = 1;
		return err;
	}
	return fd;
}

int lb_causes_thread_wait(int fd)
{
	char c;

	return read(fd, &c, 1) < 0 ? -errno : 0;
}

/* ---- reading the events ---- */

static const struct thread_info *thread_lookup(struct lb_tracer *t, int pid)
{
	struct thread_info *ti;
	struct sched_param sp;
	int pol;

	for (int i = 0; i < t->nthreads; i++)
		if (t->threads[i].pid == pid)
			return &t->threads[i];
	ti = &t->threads[t->nthreads < THREAD_CACHE ? t->nthreads++ : (pid % THREAD_CACHE)];
	memset(ti, 0, sizeof(*ti));
	ti->pid = pid;
	{
		char path[64];
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if ((f = fopen(path, "re"))) {
			if (fgets(ti->comm, sizeof(ti->comm), f))
				ti->comm[strcspn(ti->comm, "\n")] = '\0';
			fclose(f);
		}
	}
	pol = sched_getscheduler(pid);
	if (pol >= 0 && sched_getparam(pid, &sp) == 0) {
		static const char *const names[] = { "OTHER", "FIFO", "RR", "BATCH", "ISO", "IDLE", "DEADLINE" };
		snprintf(ti->policy, sizeof(ti->policy), "%s", (unsigned)pol < 7 ? names[pol] : "?");
		ti->rt = pol == SCHED_FIFO || pol == SCHED_RR;
		ti->priority = sp.sched_priority;
		if (pol == SCHED_DEADLINE)
			ti->rt = 1, ti->priority = 100;
	}
	return ti;
}

/*
 * A thread's name: the trace's comm, which the kernel cuts at 15 characters; a kernel
 * thread's full name (irq/11-snd_hda_intel:card0) from /proc, read once per thread.
 */
static void comm_of(struct lb_tracer *t, int pid, const char *traced, char *buf, size_t len)
{
	const struct thread_info *ti;

	if (traced && traced[0] && strlen(traced) < 15) {
		snprintf(buf, len, "%s", traced);
		return;
	}
	ti = thread_lookup(t, pid);
	if (ti->comm[0] && (!traced || !traced[0] || strncmp(ti->comm, traced, strlen(traced)) == 0))
		snprintf(buf, len, "%s", ti->comm);
	else if (traced && traced[0])
		snprintf(buf, len, "%s", traced);
	else
		snprintf(buf, len, "pid %d", pid);
}

static void add_part(struct cpu_state *s, enum lb_cause_kind kind, const char *name, int irq, int pid, uint64_t ns)
{
	struct lb_wakeup *w = &s->w;

	if (!ns)
		return;
	for (int i = 0; i < w->nparts; i++)
		if (w->part[i].kind == kind && strcmp(w->part[i].name, name) == 0) {
			w->part[i].ns += ns;
			return;
		}
	if (w->nparts == LB_CAUSE_PARTS)
		return;
	w->part[w->nparts].kind = kind;
	snprintf(w->part[w->nparts].name, sizeof(w->part[0].name), "%s", name);
	w->part[w->nparts].ns = ns;
	s->part_irq[w->nparts] = irq;
	s->part_pid[w->nparts] = pid;
	w->nparts++;
}

/* The device and driver behind interrupt `irq`: /sys/kernel/irq/N/actions, and the PCI device using it. */
static void irq_device(int irq, char *device, size_t dlen, char *driver, size_t drlen)
{
	char path[300], link[300], *v;
	struct dirent *de;
	DIR *d;

	device[0] = driver[0] = '\0';
	snprintf(path, sizeof(path), "/sys/kernel/irq/%d", irq);
	if ((v = knob_read(path, "actions"))) {
		snprintf(device, dlen, "%s", v);
		free(v);
	}
	d = opendir("/sys/bus/pci/devices");
	while (d && (de = readdir(d))) {
		char *legacy;
		int match;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs/%d", de->d_name, irq);
		match = access(path, F_OK) == 0;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", de->d_name);
		if (!match && (legacy = knob_read(path, "irq"))) {
			match = atoi(legacy) == irq;
			free(legacy);
		}
		if (!match)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", de->d_name);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			snprintf(driver, drlen, "%.31s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		}
		if (!device[0])
			snprintf(device, dlen, "%.63s", de->d_name);
		else {
			size_t used = strlen(device);
			snprintf(device + used, dlen - used, " (%s)", de->d_name);
		}
		break;
	}
	if (d)
		closedir(d);
}

static struct lb_cause *cause_slot(struct lb_causes *c, enum lb_cause_kind kind, const char *name, int cpu)
{
	for (int i = 0; i < c->ncauses; i++)
		if (c->cause[i].kind == kind && c->cause[i].cpu == cpu && strcmp(c->cause[i].name, name) == 0)
			return &c->cause[i];
	if (c->ncauses == LB_CAUSE_MAX) {
		c->dropped++;
		return NULL;
	}
	struct lb_cause *k = &c->cause[c->ncauses++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->cpu = cpu;
	k->irq = -1;
	snprintf(k->name, sizeof(k->name), "%s", name);
	return k;
}

/* A late wakeup taken apart: into the run's causes, its worst and its spikes. */
static void account_parts(struct lb_tracer *t, struct cpu_state *s, uint64_t latency, double at_s);

static void account(struct lb_tracer *t, struct cpu_state *s, uint64_t latency, uint64_t ts)
{
	uint64_t expected = s->irq_ts > s->irq_latency ? s->irq_ts - s->irq_latency : 0, delay;
	char comm[LB_CAUSE_NAME];

	/* from the expiry to the timer's interrupt: an earlier interrupt still running, else interrupts
	 * off in the thread that ran, else the CPU waking from idle */
	delay = s->timer_irq_seen && s->timer_irq_start > expected ? s->timer_irq_start - expected
		: !s->timer_irq_seen ? s->irq_latency : 0;
	if (delay && s->prev_kind >= 0 && s->prev_start < expected && s->prev_start + s->prev_dur > expected) {
		uint64_t o = s->prev_start + s->prev_dur - expected;
		if (o > delay)
			o = delay;
		add_part(s, (enum lb_cause_kind)s->prev_kind, s->prev_name, s->prev_irq, 0, o);
		delay -= o;
	}
	if (delay && s->blocking_pid) {
		comm_of(t, s->blocking_pid, NULL, comm, sizeof(comm));
		add_part(s, LB_CAUSE_IRQ_OFF, comm, -1, s->blocking_pid, delay);
	} else if (delay)
		add_part(s, LB_CAUSE_IDLE, IDLE_NAME, -1, 0, delay);
	s->w.irq_latency_ns = s->irq_latency;
	s->w.timer_irq_ns = s->timer_irq_seen ? s->timer_irq_dur : 0;
	if (!s->have_first) {
		s->first_ts = ts;
		s->have_first = 1;
	}
	account_parts(t, s, latency, t->start_s + (double)(ts - s->first_ts) / 1e9);
}

/* The parts of CPU s's late wakeup (s->w) into the run's causes, its worst and its spikes. */
static void account_parts(struct lb_tracer *t, struct cpu_state *s, uint64_t latency, double at_s)
{
	struct lb_causes *c = &t->run->causes;
	struct lb_wakeup *w = &s->w;
	uint64_t sum = 0;
	const struct thread_info *ti;

	w->cpu = s->cpu;
	w->latency_ns = latency;
	w->at_s = at_s;
	w->top = -1;
	for (int i = 0; i < w->nparts; i++) {
		struct lb_cause *k = cause_slot(c, w->part[i].kind, w->part[i].name, s->cpu);
		sum += w->part[i].ns;
		if (w->top < 0 || w->part[i].ns > w->part[w->top].ns)
			w->top = i;
		if (!k)
			continue;
		k->count++;
		k->total_ns += w->part[i].ns;
		if (w->part[i].ns > k->max_ns)
			k->max_ns = w->part[i].ns;
		if (k->kind == LB_CAUSE_IRQ && k->irq < 0 && s->part_irq[i] >= 0) {
			k->irq = s->part_irq[i];
			irq_device(k->irq, k->device, sizeof(k->device), k->driver, sizeof(k->driver));
		}
		if (s->part_pid[i] > 0 && !k->pid) {
			ti = thread_lookup(t, s->part_pid[i]);
			k->pid = ti->pid;
			snprintf(k->policy, sizeof(k->policy), "%s", ti->policy);
			k->priority = ti->priority;
		}
	}
	sum += w->timer_irq_ns;
	w->unaccounted_ns = latency > sum ? latency - sum : 0;
	c->late++;
	if (latency > c->worst.latency_ns)
		c->worst = *w;
	if (c->nspikes < LB_CAUSE_SPIKES)
		c->spike[c->nspikes++] = *w;
	else {
		int min = 0;
		for (int i = 1; i < c->nspikes; i++)
			if (c->spike[i].latency_ns < c->spike[min].latency_ns)
				min = i;
		if (latency > c->spike[min].latency_ns)
			c->spike[min] = *w;
	}
}

static unsigned long long num(struct tep_format_field *f, struct tep_record *rec)
{
	unsigned long long v = 0;

	if (f->offset + f->size > rec->size || tep_read_number_field(f, rec->data, &v))
		return 0;
	return v;
}

/* A string field, fixed (char comm[16]) or dynamic (__data_loc char[] desc), bounded by the record. */
static void str(struct tep_format_field *f, struct tep_record *rec, char *buf, size_t len)
{
	const char *data = rec->data;
	unsigned off = (unsigned)f->offset, size = (unsigned)f->size;

	buf[0] = '\0';
	if (f->flags & TEP_FIELD_IS_DYNAMIC) {
		unsigned long long loc;
		if (f->offset + f->size > rec->size || tep_read_number_field(f, rec->data, &loc))
			return;
		off = (unsigned)(loc & 0xffff);
		size = (unsigned)(loc >> 16);
	}
	if (off >= (unsigned)rec->size)
		return;
	if (size > (unsigned)rec->size - off)
		size = (unsigned)rec->size - off;
	snprintf(buf, len, "%.*s", (int)strnlen(data + off, size), data + off);
}

/* The state of the traced CPU `cpu`; NULL when it is not traced. */
static struct cpu_state *cpu_state_of(struct lb_tracer *t, int cpu)
{
	for (int i = 0; i < t->ncs; i++)
		if (t->cs[i].cpu == cpu)
			return &t->cs[i];
	return NULL;
}

static void watch_event(struct lb_tracer *t, struct cpu_state *s, struct tep_event *e, struct tep_record *rec);

static int on_event(struct tep_event *e, struct tep_record *rec, int cpu, void *data)
{
	struct lb_tracer *t = data;
	struct cpu_state *s = cpu_state_of(t, cpu);
	char name[LB_CAUSE_NAME];

	if (!s)
		return 0;
	if (t->watch) {
		watch_event(t, s, e, rec);
		return 0;
	}
	if (e->id == t->tl_id) {
		unsigned long long ctx = num(t->tl_ctx, rec), lat = num(t->tl_lat, rec);
		if (ctx == 0) { /* the timer's interrupt */
			s->waiting_thread = 1;
			s->irq_ts = rec->ts;
			s->irq_latency = lat;
			s->irq_seq = num(t->tl_seq, rec);
			s->blocking_pid = tep_data_pid(t->tep, rec);
			s->timer_irq_seen = 0;
			memset(&s->w, 0, sizeof(s->w));
		} else if (ctx == 1 && s->waiting_thread) { /* the thread running */
			if (!s->have_first) {
				s->first_ts = rec->ts;
				s->have_first = 1;
			}
			if (num(t->tl_seq, rec) == s->irq_seq && lat > t->run->causes.threshold_ns)
				account(t, s, lat, rec->ts);
			s->waiting_thread = 0;
			s->prev_kind = -1;
		}
		return 0;
	}
	if (e->id == t->irq_id || e->id == t->nmi_id) {
		int nmi = e->id == t->nmi_id, irq = nmi ? -1 : (int)num(t->irq_vec, rec);
		unsigned long long start = num(nmi ? t->nmi_start : t->irq_start, rec),
				   dur = num(nmi ? t->nmi_dur : t->irq_dur, rec);
		char desc[LB_CAUSE_NAME - 16];

		/* the timer's own interrupt, once a period: no name needed */
		if (s->waiting_thread && !nmi && !s->timer_irq_seen) {
			s->timer_irq_seen = 1;
			s->timer_irq_start = start;
			s->timer_irq_dur = dur;
			return 0;
		}
		if (nmi)
			snprintf(name, sizeof(name), "NMI");
		else {
			str(t->irq_desc, rec, desc, sizeof(desc));
			snprintf(name, sizeof(name), "IRQ %d (%s)", irq, desc[0] ? desc : "?");
		}
		if (!s->waiting_thread) {
			s->prev_kind = nmi ? LB_CAUSE_NMI : LB_CAUSE_IRQ;
			snprintf(s->prev_name, sizeof(s->prev_name), "%s", name);
			s->prev_irq = irq;
			s->prev_start = start;
			s->prev_dur = dur;
		} else
			add_part(s, nmi ? LB_CAUSE_NMI : LB_CAUSE_IRQ, name, irq, 0, dur);
		return 0;
	}
	if (e->id == t->softirq_id && s->waiting_thread) {
		unsigned long long v = num(t->sirq_vec, rec);
		snprintf(name, sizeof(name), "%s", v < 10 ? softirq_names[v] : "?");
		add_part(s, LB_CAUSE_SOFTIRQ, name, -1, 0, num(t->sirq_dur, rec));
		return 0;
	}
	if (e->id == t->thread_id && s->waiting_thread) {
		int pid = (int)num(t->thr_pid, rec);
		char comm[LB_CAUSE_NAME];
		const struct thread_info *ti;

		if (pid == 0) { /* the idle task on its way out of idle */
			add_part(s, LB_CAUSE_IDLE, IDLE_NAME, -1, 0, num(t->thr_dur, rec));
			return 0;
		}
		ti = thread_lookup(t, pid);
		str(t->thr_comm, rec, comm, sizeof(comm));
		comm_of(t, pid, comm, name, sizeof(name));
		/* a thread that may preempt the audio thread ran first; one that may not held the CPU */
		add_part(s, ti->rt && ti->priority >= t->audio_priority ? LB_CAUSE_THREAD : LB_CAUSE_PREEMPT_OFF, name, -1,
			 pid, num(t->thr_dur, rec));
	}
	return 0;
}

/* ---- the audio planes: what ran on every CPU, matched to the plane's late wakeups ---- */

/*
 * One event into CPU s's spans, or the wakings. osnoise stamps a stretch's start with
 * sched_clock and traces it when it ends: its trace time (mono) is its end. An interrupt's
 * start plus its duration is its end, which gives the offset between the two clocks.
 */
static void watch_event(struct lb_tracer *t, struct cpu_state *s, struct tep_event *e, struct tep_record *rec)
{
	uint64_t ts = (uint64_t)rec->ts, start, dur;
	struct span *sp;

	if (e->id == t->waking_id) {
		struct waking *w = &t->wakings[t->nwakings++ % WAKINGS];
		w->ts = ts;
		w->pid = (int)num(t->wk_pid, rec);
		w->waker = tep_data_pid(t->tep, rec);
		w->cpu = s->cpu;
		return;
	}
	sp = &s->span[s->nspan % SPANS];
	memset(sp, 0, sizeof(*sp));
	sp->irq = -1;
	if (e->id == t->irq_id || e->id == t->nmi_id) {
		int nmi = e->id == t->nmi_id;
		char desc[LB_CAUSE_NAME - 16];

		start = num(nmi ? t->nmi_start : t->irq_start, rec);
		dur = num(nmi ? t->nmi_dur : t->irq_dur, rec);
		if (dur > ts)
			return;
		if (!nmi) {
			s->off = (int64_t)(ts - dur) - (int64_t)start;
			s->have_off = 1;
			sp->irq = (int)num(t->irq_vec, rec);
			str(t->irq_desc, rec, desc, sizeof(desc));
			snprintf(sp->name, sizeof(sp->name), "IRQ %d (%.16s)", sp->irq, desc[0] ? desc : "?");
		} else
			snprintf(sp->name, sizeof(sp->name), "NMI");
		sp->kind = nmi ? SPAN_NMI : SPAN_IRQ;
		sp->start = ts - dur;
		sp->net = dur;
	} else if (e->id == t->softirq_id || e->id == t->thread_id) {
		int thread = e->id == t->thread_id;

		start = num(thread ? t->thr_start : t->sirq_start, rec);
		dur = num(thread ? t->thr_dur : t->sirq_dur, rec);
		if (dur > ts)
			return;
		sp->kind = thread ? SPAN_THREAD : SPAN_SOFTIRQ;
		/* its start in the trace's clock; before the CPU's first interrupt, its own time back from its end */
		sp->start = s->have_off && (int64_t)start + s->off > 0 && (uint64_t)((int64_t)start + s->off) <= ts - dur
			    ? (uint64_t)((int64_t)start + s->off) : ts - dur;
		sp->net = dur;
		if (thread) {
			char comm[LB_CAUSE_NAME];
			sp->pid = (int)num(t->thr_pid, rec);
			str(t->thr_comm, rec, comm, sizeof(comm));
			snprintf(sp->name, sizeof(sp->name), "%.26s", comm);
		} else {
			unsigned long long v = num(t->sirq_vec, rec);
			snprintf(sp->name, sizeof(sp->name), "%s", v < 10 ? softirq_names[v] : "?");
		}
	} else
		return;
	sp->end = ts;
	s->nspan++;
}


/* The oldest time CPU s's ring still covers in full. */
static uint64_t covered_from(const struct cpu_state *s)
{
	return s->nspan > SPANS ? s->span[s->nspan % SPANS].end : 0;
}

/* The innermost interrupt, softirq or NMI on s running at `at`, else the thread; NULL none. */
static const struct span *span_at(const struct cpu_state *s, uint64_t at)
{
	const struct span *thread = NULL, *inner = NULL;

	for (uint64_t i = s->nspan; i > 0 && i + SPANS > s->nspan; i--) {
		const struct span *sp = &s->span[(i - 1) % SPANS];
		if (sp->end < at)
			break;
		if (sp->start > at)
			continue;
		if (sp->kind == SPAN_THREAD) {
			if (!thread)
				thread = sp;
		} else if (!inner || sp->end - sp->start < inner->end - inner->start)
			inner = sp;
	}
	return inner ? inner : thread;
}

/* The interrupt or softirq on s that ended at most IRQ_TAIL_NS before `at`; NULL none. */
static const struct span *irq_ended(const struct cpu_state *s, uint64_t at)
{
	for (uint64_t i = s->nspan; i > 0 && i + SPANS > s->nspan; i--) {
		const struct span *sp = &s->span[(i - 1) % SPANS];
		if (sp->end + IRQ_TAIL_NS < at)
			break;
		if (sp->kind != SPAN_THREAD && sp->end <= at)
			return sp;
	}
	return NULL;
}

/* The latest waking of `pid` at or before `before`, no earlier than `after`; NULL none. */
static const struct waking *waking_of(const struct lb_tracer *t, int pid, uint64_t after, uint64_t before)
{
	for (uint64_t i = t->nwakings; i > 0 && i + WAKINGS > t->nwakings; i--) {
		const struct waking *w = &t->wakings[(i - 1) % WAKINGS];
		if (w->pid == pid && w->ts <= before)
			return w->ts >= after ? w : NULL;
	}
	return NULL;
}

/* The audio thread's stretch on the CPU that ran it when the plane saw the wakeup at `woke`. */
static const struct span *audio_span(struct lb_tracer *t, int tid, uint64_t woke, struct cpu_state **on)
{
	const struct span *best = NULL;

	for (int c = 0; c < t->ncs; c++) {
		struct cpu_state *s = &t->cs[c];
		for (uint64_t i = s->nspan; i > 0 && i + SPANS > s->nspan; i--) {
			const struct span *sp = &s->span[(i - 1) % SPANS];
			if (sp->end + 2 * t->period_ns < woke)
				break;
			if (sp->kind == SPAN_THREAD && sp->pid == tid && sp->start <= woke && (!best || sp->start > best->start)) {
				best = sp;
				*on = s;
			}
		}
	}
	return best;
}

/* What woke the audio thread, followed back through waker threads to an interrupt. */
struct chain {
	int n;
	struct {
		struct cpu_state *s;
		const struct span *sp; /* the interrupt, softirq or thread the waking came from */
		uint64_t at;           /* the waking */
	} link[CHAIN];              /* [0] woke the audio thread, [n-1] is the first */
	int pids[CHAIN];            /* waker threads */
	int npids;
};

static int chain_has(const struct chain *ch, const struct span *sp)
{
	for (int i = 0; i < ch->n; i++)
		if (ch->link[i].sp == sp)
			return 1;
	for (int i = 0; sp->kind == SPAN_THREAD && i < ch->npids; i++)
		if (ch->pids[i] == sp->pid)
			return 1;
	return 0;
}

static void follow(struct lb_tracer *t, struct chain *ch, int tid, uint64_t from, uint64_t run)
{
	const struct waking *w = waking_of(t, tid, from, run);

	while (w && ch->n < CHAIN) {
		struct cpu_state *s = cpu_state_of(t, w->cpu);
		/* an interrupt wakes softirq threads on its way out, just after osnoise saw it end */
		const struct span *sp = s ? span_at(s, w->ts) : NULL, *tail = s ? irq_ended(s, w->ts) : NULL;

		if ((!sp || sp->kind == SPAN_THREAD) && tail)
			sp = tail;

		if (!sp)
			break;
		ch->link[ch->n].s = s;
		ch->link[ch->n].sp = sp;
		ch->link[ch->n++].at = w->ts;
		if (sp->kind == SPAN_SOFTIRQ) {
			/* raised by the interrupt just before it on that CPU */
			const struct span *irq = span_at(s, sp->start > 1000 ? sp->start - 1000 : 0);
			if (irq && irq->kind == SPAN_IRQ && irq->end + 5000 >= sp->start && ch->n < CHAIN) {
				ch->link[ch->n].s = s;
				ch->link[ch->n].sp = irq;
				ch->link[ch->n++].at = irq->end;
			}
			break;
		}
		if (sp->kind != SPAN_THREAD || sp->pid == 0 || ch->npids == CHAIN)
			break;
		ch->pids[ch->npids++] = sp->pid;
		w = waking_of(t, sp->pid, from > 10 * t->period_ns ? from - 10 * t->period_ns : 0, sp->start);
	}
}

enum { SEG_BEFORE_IRQ, SEG_WAKER, SEG_RUNNABLE };

/* CPU s's share of [from, to): who ran, by kind. */
static void segment(struct lb_tracer *t, struct cpu_state *s, const struct chain *ch, int tid, uint64_t from,
		    uint64_t to, int seg, int waiter, struct cpu_state *into, uint64_t *waker_ns)
{
	char comm[LB_CAUSE_NAME];
	const struct thread_info *wi = waiter > 0 ? thread_lookup(t, waiter) : NULL;
	int wrt = wi ? wi->rt : 1, wprio = wi ? wi->priority : t->audio_priority;

	if (to <= from)
		return;
	for (uint64_t i = s->nspan; i > 0 && i + SPANS > s->nspan; i--) {
		const struct span *sp = &s->span[(i - 1) % SPANS];
		uint64_t lo, hi, share;

		if (sp->end <= from)
			break;
		lo = sp->start > from ? sp->start : from;
		hi = sp->end < to ? sp->end : to;
		if (hi <= lo)
			continue;
		share = hi - lo;
		if (sp->kind != SPAN_THREAD) {
			if (share > sp->net)
				share = sp->net;
			if (chain_has(ch, sp))
				*waker_ns += share;
			else
				add_part(into, sp->kind == SPAN_IRQ ? LB_CAUSE_IRQ : sp->kind == SPAN_NMI ? LB_CAUSE_NMI
					 : LB_CAUSE_SOFTIRQ, sp->name, sp->irq, 0, share);
			continue;
		}
		/* a JACK cycle's start is the server's own estimate, not an interrupt's due time: that the
		 * interrupt came after it says nothing about what ran meanwhile */
		if (seg == SEG_BEFORE_IRQ && t->server_timing)
			continue;
		/* a thread's own time, without the interrupts inside its stretch */
		if (sp->end > sp->start && sp->net < sp->end - sp->start)
			share = (uint64_t)((double)share * (double)sp->net / (double)(sp->end - sp->start));
		if (sp->pid == tid)
			continue;
		if (chain_has(ch, sp)) {
			*waker_ns += share;
			continue;
		}
		if (sp->pid == 0) {
			add_part(into, LB_CAUSE_IDLE, IDLE_NAME, -1, 0, share);
			continue;
		}
		comm_of(t, sp->pid, sp->name, comm, sizeof(comm));
		if (seg == SEG_BEFORE_IRQ)
			add_part(into, LB_CAUSE_IRQ_OFF, comm, -1, sp->pid, share);
		else {
			/* ran while the audio thread, or the thread that wakes it, waited: a thread it may not
			 * preempt ran first; one it may preempt held the CPU (an ordinary waker shares it) */
			const struct thread_info *ti = thread_lookup(t, sp->pid);
			int first = ti->rt ? !wrt || ti->priority >= wprio : !wrt;
			add_part(into, first ? LB_CAUSE_THREAD : LB_CAUSE_PREEMPT_OFF, comm, -1, sp->pid, share);
		}
	}
}

/*
 * One late wakeup taken apart. From when it was due to when the audio thread ran:
 * - until the interrupt at the root of what woke it: an interrupt still running, else
 *   interrupts off in the thread that ran, else the CPU leaving idle (as on the timer plane);
 * - while the waking went through its interrupt, softirq and threads: whatever else ran on
 *   their CPUs (their own time is the wakeup path's, shown, not a cause);
 * - once runnable, until it ran: what ran on its CPU.
 */
static void watch_analyse(struct lb_tracer *t, const struct late *l)
{
	struct cpu_state *c = NULL, *root;
	const struct span *run = audio_span(t, l->tid, l->woke, &c);
	struct chain ch = { 0 };
	uint64_t e = l->expected, r, h, waker_ns = 0, from;
	const struct thread_info *ti;

	if (l->tid <= 0 || !run || covered_from(c) > e) {
		t->run->causes.lost_events++; /* the trace has not kept this wakeup */
		return;
	}
	r = run->start > e ? run->start : e;
	ti = thread_lookup(t, l->tid);
	if (ti->rt)
		t->audio_priority = ti->priority;
	follow(t, &ch, l->tid, e > 4 * t->period_ns ? e - 4 * t->period_ns : 0, run->start);
	memset(&c->w, 0, sizeof(c->w));
	if (ch.n) {
		root = ch.link[ch.n - 1].s;
		h = ch.link[ch.n - 1].sp->start;
		if (covered_from(root) > e) {
			t->run->causes.lost_events++;
			return;
		}
		/* an interrupt later than the device's own timing explains: what held it off */
		if (h > e + LATE_IRQ_NS)
			segment(t, root, &ch, l->tid, e, h < r ? h : r, SEG_BEFORE_IRQ, 0, c, &waker_ns);
		from = h > e ? h : e;
		for (int i = ch.n - 1; i >= 0; i--) {
			uint64_t to = ch.link[i].at < r ? ch.link[i].at : r;
			int waiter = ch.link[i].sp->kind == SPAN_THREAD ? ch.link[i].sp->pid : 0;
			segment(t, ch.link[i].s, &ch, l->tid, from, to, SEG_WAKER, waiter, c, &waker_ns);
			if (to > from)
				from = to;
		}
		c->w.irq_latency_ns = h > e ? h - e : 0;
	} else
		from = e;
	segment(t, c, &ch, l->tid, from, r, SEG_RUNNABLE, l->tid, c, &waker_ns);
	c->w.timer_irq_ns = waker_ns;
	account_parts(t, c, l->woke - l->expected, l->at_s);
}

/* The events of one page of CPU i's trace. */
static void read_page(struct lb_tracer *t, int i)
{
	unsigned long long ts;
	void *data;
	int missed;

	if (kbuffer_load_subbuffer(t->kbuf, t->page) < 0)
		return;
	missed = kbuffer_missed_events(t->kbuf);
	if (missed)
		t->run->causes.lost_events += missed > 0 ? (uint64_t)missed : 1;
	for (data = kbuffer_read_event(t->kbuf, &ts); data; data = kbuffer_next_event(t->kbuf, &ts)) {
		struct tep_record rec = { .ts = ts, .cpu = t->cs[i].cpu, .data = data,
					  .size = kbuffer_event_size(t->kbuf) };
		struct tep_event *e;

		if (rec.size <= 0)
			continue;
		e = tep_find_event(t->tep, tep_data_type(t->tep, &rec));
		if (e)
			on_event(e, &rec, rec.cpu, t);
	}
}

/* Everything the trace holds now, page by page, without blocking; at the end also the page being written. */
static void drain(struct lb_tracer *t, int flush)
{
	for (int i = 0; i < t->ncs; i++) {
		int pages = 0;
		/* whole pages only (splice): a plain read returns the page being written too, a few
		 * events at a time, and a loop of them chases the events its own reading makes */
		while (pages++ < 4096 && tracefs_cpu_buffered_read(t->tcpu[i], t->page, true) > 0)
			read_page(t, i);
		/* once: the page being written, as far as it is; more would chase the events this read makes */
		if (flush && tracefs_cpu_flush(t->tcpu[i], t->page) > 0)
			read_page(t, i);
	}
}

/* Audio planes: the trace up to now, then the late wakeups it covers (all of them at the end). */
static void watch_poll(struct lb_tracer *t, int all)
{
	uint64_t now = lb_now_ns();
	unsigned head = __atomic_load_n(&t->late_head, __ATOMIC_ACQUIRE), tail = t->late_tail;

	drain(t, 1);
	/* the audio thread's stretch is traced when it ends: leave the latest ones to the next tick */
	for (; tail != head; tail++) {
		const struct late *l = &t->lates[tail % LATES];
		if (!all && l->woke + 50 * 1000 * 1000 > now)
			break;
		watch_analyse(t, l);
	}
	__atomic_store_n(&t->late_tail, tail, __ATOMIC_RELEASE);
}

uint64_t lb_causes_every_ns(const struct lb_tracer *t, uint64_t report_ns)
{
	return t && t->watch ? WATCH_EVERY_NS : report_ns;
}

void lb_causes_late(struct lb_tracer *t, int tid, uint64_t expected_ns, uint64_t woke_ns, double at_s)
{
	unsigned head = t->late_head;

	if (head - __atomic_load_n(&t->late_tail, __ATOMIC_ACQUIRE) >= LATES) {
		__atomic_fetch_add(&t->late_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	t->lates[head % LATES] = (struct late){ .expected = expected_ns, .woke = woke_ns, .at_s = at_s, .tid = tid };
	__atomic_store_n(&t->late_head, head + 1, __ATOMIC_RELEASE);
}

void lb_causes_poll(struct lb_tracer *t, struct lb_run *r)
{
	(void)r;
	if (t && t->watch)
		watch_poll(t, 0);
	else if (t)
		drain(t, 0);
}

void lb_causes_set_start(struct lb_tracer *t, double first_expiry_s)
{
	t->start_s = first_expiry_s;
}

void lb_causes_stop(struct lb_tracer *t, struct lb_run *r)
{
	if (!t)
		return;
	if (t->watch) {
		if (t->idled)
			sched_setscheduler(0, t->reporter_policy, &t->reporter_param);
		if (t->moved)
			sched_setaffinity(0, sizeof(t->reporter_cpus), &t->reporter_cpus);
		watch_poll(t, 1);
		/* wakeups the trace could not be matched to: not taken apart, counted with the lost */
		r->causes.lost_events += t->late_dropped;
	} else
		drain(t, 1);
	if (t->thread_failed)
		unavailable(r, "%s", t->failed_why);
	tracer_free(t);
	lb_causes_finish(&r->causes);
}

/* ---- for people ---- */

/* "IRQ 24 (i915)", "thread lb-spin (pid 123, FIFO 90)", "softirq NET_RX" */
void lb_cause_label(const struct lb_cause *c, char *buf, unsigned len)
{
	switch (c->kind) {
	case LB_CAUSE_IRQ:
		if (c->driver[0] && !strstr(c->name, c->driver))
			snprintf(buf, len, "%s, driver %s", c->name, c->driver);
		else
			snprintf(buf, len, "%s", c->name);
		break;
	case LB_CAUSE_THREAD:
	case LB_CAUSE_IRQ_OFF:
	case LB_CAUSE_PREEMPT_OFF:
		if (c->pid && c->policy[0])
			snprintf(buf, len, "%s%s (pid %d, %s %d)", c->kind == LB_CAUSE_THREAD ? "thread " : "", c->name, c->pid,
				 c->policy, c->priority);
		else if (c->pid)
			snprintf(buf, len, "%s%s (pid %d)", c->kind == LB_CAUSE_THREAD ? "thread " : "", c->name, c->pid);
		else
			snprintf(buf, len, "%s%s", c->kind == LB_CAUSE_THREAD ? "thread " : "", c->name);
		if (c->kind == LB_CAUSE_IRQ_OFF) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, " with interrupts off");
		} else if (c->kind == LB_CAUSE_PREEMPT_OFF) {
			size_t n = strlen(buf);
			snprintf(buf + n, len - n, " with preemption off");
		}
		break;
	case LB_CAUSE_SOFTIRQ:
		snprintf(buf, len, "softirq %s", c->name);
		break;
	default:
		snprintf(buf, len, "%s", c->name);
	}
}

void lb_causes_sentence(const struct lb_run *r, char *buf, unsigned len)
{
	const struct lb_causes *c = &r->causes;
	const struct lb_verdict_cell *cell = &r->verdict.cell[1][0]; /* 48 kHz, 2 periods */
	char what[160];

	buf[0] = '\0';
	if (!c->available || !c->ncauses)
		return;
	lb_cause_label(&c->cause[0], what, sizeof(what));
	if (cell->frames == 0)
		snprintf(buf, len, "no buffer size up to %u frames is safe because of %s, up to %.2f ms", LB_FRAMES_MAX, what,
			 c->cause[0].max_ns / 1e6);
	else if (cell->frames > cell->from_frames)
		snprintf(buf, len, "%u-frame buffers fail because of %s, up to %.2f ms", cell->frames / 2, what,
			 c->cause[0].max_ns / 1e6);
	else
		snprintf(buf, len, "the largest delay came from %s, up to %.2f ms", what, c->cause[0].max_ns / 1e6);
}

void lb_cause_fix(const struct lb_cause *c, int audio_priority, char *buf, unsigned len)
{
	int irq = -1;

	switch (c->kind) {
	case LB_CAUSE_IRQ:
		snprintf(buf, len, "run interrupt handlers in threads (a PREEMPT_RT kernel, or 'threadirqs' on the kernel "
			 "command line) and give irq/%d's thread a priority below the audio thread's %d (chrt -f -p %d PID), or "
			 "move the interrupt off CPU %d (echo MASK > /proc/irq/%d/smp_affinity)", c->irq, audio_priority,
			 audio_priority > 1 ? audio_priority - 1 : 1, c->cpu, c->irq);
		break;
	case LB_CAUSE_SOFTIRQ:
		snprintf(buf, len, "softirq %s runs after the interrupt that raised it: a PREEMPT_RT kernel runs it in a "
			 "thread below the audio thread's priority; or move that interrupt off CPU %d", c->name, c->cpu);
		break;
	case LB_CAUSE_NMI:
		snprintf(buf, len, "NMIs come from the NMI watchdog and perf: turn the watchdog off (sysctl kernel.nmi_watchdog=0)");
		break;
	case LB_CAUSE_THREAD:
		if (c->policy[0] && strcmp(c->policy, "FIFO") != 0 && strcmp(c->policy, "RR") != 0 &&
		    strcmp(c->policy, "DEADLINE") != 0)
			/* an ordinary thread can only come first to a waker of ordinary priority */
			snprintf(buf, len, "%s (%s) took CPU %d from the thread that wakes the audio thread, a softirq or "
				 "interrupt thread of ordinary priority on this kernel (ksoftirqd, ktimers, irq/N): give that "
				 "thread a real-time priority below the audio thread's %d (chrt -f -p %d PID), or move %s off "
				 "CPU %d (taskset -p %d)", c->name, c->policy, c->cpu, audio_priority,
				 audio_priority > 1 ? audio_priority - 1 : 1, c->name, c->cpu, c->pid);
		else if (sscanf(c->name, "irq/%d", &irq) == 1)
			snprintf(buf, len, "interrupt %d's thread runs at %s %d, not below the audio thread's %d: lower it "
				 "(chrt -f -p %d %d), or move the interrupt off CPU %d (/proc/irq/%d/smp_affinity)", irq,
				 c->policy[0] ? c->policy : "priority", c->priority, audio_priority,
				 audio_priority > 1 ? audio_priority - 1 : 1, c->pid, c->cpu, irq);
		else
			snprintf(buf, len, "%s runs at %s %d, not below the audio thread's %d: lower its priority "
				 "(chrt -f -p %d %d), move it off CPU %d (taskset -p), or keep CPU %d for audio (isolcpus=, a cpuset)",
				 c->name, c->policy[0] ? c->policy : "priority", c->priority, audio_priority,
				 audio_priority > 1 ? audio_priority - 1 : 1, c->pid, c->cpu, c->cpu);
		break;
	case LB_CAUSE_HARDWARE:
		snprintf(buf, len, "check the firmware's power and management settings (SMIs) and the BIOS's latency options");
		break;
	case LB_CAUSE_IDLE:
		snprintf(buf, len, "the CPU was idle and woke late: keep it out of deep C-states (hold /dev/cpu_dma_latency at 0 "
			 "while audio runs, or processor.max_cstate=1 intel_idle.max_cstate=1 on the kernel command line) and check "
			 "the firmware's power settings");
		break;
	case LB_CAUSE_IRQ_OFF:
		snprintf(buf, len, "%s kept interrupts off in the kernel: a PREEMPT_RT kernel (kbuild --config audio) makes "
			 "most such sections preemptible; else move it off CPU %d, and 'rtla timerlat -a' shows its kernel stack",
			 c->name, c->cpu);
		break;
	case LB_CAUSE_PREEMPT_OFF:
		snprintf(buf, len, "%s kept preemption off in the kernel: a PREEMPT_RT kernel (kbuild --config audio) makes "
			 "most such sections preemptible; else move it off CPU %d (taskset -p) or keep CPU %d for audio (isolcpus=)",
			 c->name, c->cpu, c->cpu);
		break;
	default:
		buf[0] = '\0';
	}
}
