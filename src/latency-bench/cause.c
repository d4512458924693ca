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
};

/* A thread seen in the trace: its scheduling, read once. */
struct thread_info {
	int pid;
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
	struct tep_format_field *thr_pid, *thr_dur, *thr_comm;
	struct thread_info threads[THREAD_CACHE];
	int nthreads;
	/* the per-CPU readers, opened and allocated before the run: a tick allocates nothing */
	struct tracefs_cpu **tcpu;
	struct kbuffer *kbuf;
	void *page;
	int page_size;
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

	if (!tl || !irq || !sirq || !nmi || !thr)
		return 0;
	t->tl_ctx = tep_find_field(tl, "context");
	t->tl_lat = tep_find_field(tl, "timer_latency");
	t->tl_seq = tep_find_field(tl, "seqnum");
	t->irq_start = tep_find_field(irq, "start");
	t->irq_dur = tep_find_field(irq, "duration");
	t->irq_vec = tep_find_field(irq, "vector");
	t->irq_desc = tep_find_field(irq, "desc");
	t->sirq_dur = tep_find_field(sirq, "duration");
	t->sirq_vec = tep_find_field(sirq, "vector");
	t->nmi_start = tep_find_field(nmi, "start");
	t->nmi_dur = tep_find_field(nmi, "duration");
	t->thr_pid = tep_find_field(thr, "pid");
	t->thr_dur = tep_find_field(thr, "duration");
	t->thr_comm = tep_find_field(thr, "comm");
	return t->tl_ctx && t->tl_lat && t->tl_seq && t->irq_start && t->irq_dur && t->irq_vec && t->irq_desc &&
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
	free(t->cs);
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
	if (strcmp(r->plane, "timer") != 0) {
		unavailable(r, "the %s plane's wakeups come from the %s, which the kernel's timerlat tracer does not follow; "
			    "run 'latency-bench --plane timer' on the same CPU for the causes", r->plane,
			    strcmp(r->plane, "alsa") == 0 ? "sound card's interrupt" : "audio server");
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
	static const char *const systems[] = { "ftrace", "osnoise", NULL };
	struct lb_tracer *t;
	const char *dir;
	char path[512], who[300], val[64], *opts;
	int err;

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
	if (!tracefs_tracer_available(dir, "timerlat")) {
		unavailable(r, "this kernel (%s) has no timerlat tracer: build it with CONFIG_OSNOISE_TRACER and "
			    "CONFIG_TIMERLAT_TRACER (kbuild's audio profile sets them)", r->sys.kernel_release);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/osnoise/per_cpu/cpu%d/timerlat_fd", dir, r->cpu[0].cpu);
	if (access(path, R_OK) != 0) {
		unavailable(r, "this kernel's timerlat tracer (%s) cannot follow a thread of latency-bench's own "
			    "(osnoise/per_cpu/cpuN/timerlat_fd came in Linux 6.6)", r->sys.kernel_release);
		return -ENOENT;
	}
	remove_stale(dir);
	if (tracer_in_use(dir, who, sizeof(who))) {
		unavailable(r, "the timerlat tracer is in use by another program: %s", who);
		return -EBUSY;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->run = r;
	t->dir = strdup(dir);
	t->audio_priority = r->priority;
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
	for (size_t i = 0; i < NKNOBS; i++)
		if (!(t->saved[i] = knob_read(dir, knobs[i]))) {
			err = -errno;
			unavailable(r, "cannot read %s/%s: %s", dir, knobs[i], strerror(-err));
			goto fail;
		}
	opts = knob_read(dir, "osnoise/options");
	t->workload_was_on = opts && strstr(opts, "NO_OSNOISE_WORKLOAD") == NULL;
	free(opts);
	cpulist(r, val, sizeof(val));
	if ((err = knob_write(dir, "osnoise/cpus", val)) ||
	    (err = knob_write(dir, "osnoise/timerlat_period_us", (snprintf(val, sizeof(val), "%llu",
				(unsigned long long)(t->period_ns / 1000)), val))) ||
	    (err = knob_write(dir, "osnoise/stop_tracing_us", "0")) ||
	    (err = knob_write(dir, "osnoise/stop_tracing_total_us", "0")) ||
	    (err = knob_write(dir, "osnoise/print_stack", "0"))) {
		unavailable(r, "cannot set up the osnoise tracer's settings: %s", strerror(-err));
		goto fail;
	}
	t->options_changed = 1;
	if ((err = knob_write(dir, "osnoise/options", "NO_OSNOISE_WORKLOAD"))) {
		unavailable(r, "cannot switch off the kernel's own timerlat threads (osnoise/options): %s", strerror(-err));
		goto fail;
	}
	snprintf(val, sizeof(val), "latency-bench-%ld", (long)getpid());
	t->inst = tracefs_instance_create(val);
	if (!t->inst) {
		unavailable(r, "cannot create the tracing instance %s: %s", val, strerror(errno));
		goto fail;
	}
	if (tracefs_instance_set_buffer_size(t->inst, TRACE_BUFFER_KB, -1) < 0 ||
	    tracefs_event_enable(t->inst, "osnoise", NULL) < 0) {
		unavailable(r, "cannot enable the osnoise events: %s", strerror(errno));
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
	if (t->tl_id < 0 || t->irq_id < 0 || t->thread_id < 0 || t->softirq_id < 0 || t->nmi_id < 0 || !find_fields(t)) {
		unavailable(r, "this kernel's trace has no timerlat or osnoise event formats (or other ones than Linux 6.6's)");
		goto fail;
	}
	if (tracefs_tracer_set(t->inst, TRACEFS_TRACER_CUSTOM, "timerlat") < 0) {
		unavailable(r, "cannot start the timerlat tracer: %s", strerror(errno));
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
	r->causes.unavailable[0] = '\0';
	*tp = t;
	return 0;
fail:
	tracer_free(t);
	return -EIO;
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

static void comm_of(int pid, const char *traced, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	if (traced && traced[0]) {
		snprintf(buf, len, "%s", traced);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f && fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
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
static void account(struct lb_tracer *t, struct cpu_state *s, uint64_t latency, uint64_t ts)
{
	struct lb_causes *c = &t->run->causes;
	struct lb_wakeup *w = &s->w;
	uint64_t expected = s->irq_ts > s->irq_latency ? s->irq_ts - s->irq_latency : 0, sum = 0, delay;
	char comm[LB_CAUSE_NAME];
	const struct thread_info *ti;

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
		comm_of(s->blocking_pid, NULL, comm, sizeof(comm));
		add_part(s, LB_CAUSE_IRQ_OFF, comm, -1, s->blocking_pid, delay);
	} else if (delay)
		add_part(s, LB_CAUSE_IDLE, IDLE_NAME, -1, 0, delay);
	w->cpu = s->cpu;
	w->latency_ns = latency;
	w->irq_latency_ns = s->irq_latency;
	w->timer_irq_ns = s->timer_irq_seen ? s->timer_irq_dur : 0;
	if (!s->have_first) {
		s->first_ts = ts;
		s->have_first = 1;
	}
	w->at_s = t->start_s + (double)(ts - s->first_ts) / 1e9;
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

static int on_event(struct tep_event *e, struct tep_record *rec, int cpu, void *data)
{
	struct lb_tracer *t = data;
	struct cpu_state *s = NULL;
	char name[LB_CAUSE_NAME];

	for (int i = 0; i < t->ncs; i++)
		if (t->cs[i].cpu == cpu)
			s = &t->cs[i];
	if (!s)
		return 0;
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
		comm_of(pid, comm, name, sizeof(name));
		/* a thread that may preempt the audio thread ran first; one that may not held the CPU */
		add_part(s, ti->rt && ti->priority >= t->audio_priority ? LB_CAUSE_THREAD : LB_CAUSE_PREEMPT_OFF, name, -1,
			 pid, num(t->thr_dur, rec));
	}
	return 0;
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
		while (pages++ < 4096 && tracefs_cpu_read(t->tcpu[i], t->page, true) > 0)
			read_page(t, i);
		if (flush && tracefs_cpu_flush(t->tcpu[i], t->page) > 0)
			read_page(t, i);
	}
}

void lb_causes_poll(struct lb_tracer *t, struct lb_run *r)
{
	(void)r;
	if (t)
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
		if (sscanf(c->name, "irq/%d", &irq) == 1)
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
