/* lb.c - one run's per-CPU measurements (allocation, merging) and what every plane shares:
 * the clock, locked memory, the PM QoS request, real-time threads and the reporter */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lb.h"
#include "util.h"

const double lb_budget_fractions[LB_NBUDGETS] = { 0.25, 0.5, 1.0 };

int lb_run_alloc(struct lb_run *r)
{
	int i;

	r->cpu = calloc((size_t)r->ncpus, sizeof(*r->cpu));
	if (!r->cpu)
		return -ENOMEM;
	for (i = 0; i < r->ncpus; i++) {
		struct lb_cpu *c = &r->cpu[i];

		/* present before the run, whether memory is then locked as a whole or as it is
		 * touched: all but the jitter histogram's buckets, which calloc zeroed and only an
		 * audio plane (its memory locked whole) fills */
		lb_prefault(c, offsetof(struct lb_cpu, jitter.buckets));
		lb_prefault(&c->jitter.buckets[HIST_BUCKETS],
			    sizeof(*c) - offsetof(struct lb_cpu, jitter.buckets[HIST_BUCKETS]));
		hist_init(&c->hist);
		c->jitter.min_ns = UINT64_MAX; /* hist_init, less the memset */
		c->cpu = r->cpus[i];
		snprintf(c->name, sizeof(c->name), "cpu%d", c->cpu);
		c->run = r;
		if (r->hist_us_max) {
			c->us_len = r->hist_us_max;
			c->us_bins = calloc(c->us_len, sizeof(*c->us_bins));
			if (!c->us_bins) {
				lb_run_free(r);
				return -ENOMEM;
			}
			lb_prefault(c->us_bins, c->us_len * sizeof(*c->us_bins));
		}
	}
	hist_init(&r->merged);
	r->load_cmd_status = -1;
	/* a step a second, and a few more for a run that ends late; capped: lb_run_timeline_tick merges */
	r->timeline_step_s = 1;
	r->timeline_len = r->duration_s > 0 && r->duration_s < LB_TIMELINE_MAX - 4 ? (unsigned)r->duration_s + 4
										      : LB_TIMELINE_MAX;
	r->timeline_len += r->timeline_len % 2; /* merging takes pairs */
	r->timeline_ns = calloc(r->timeline_len, sizeof(*r->timeline_ns));
	if (!r->timeline_ns) {
		lb_run_free(r);
		return -ENOMEM;
	}
	r->ntimeline = 0;
	return 0;
}

void lb_run_free(struct lb_run *r)
{
	int i;

	free(r->timeline_ns);
	r->timeline_ns = NULL;
	r->ntimeline = r->timeline_len = 0;
	if (!r->cpu)
		return;
	for (i = 0; i < r->ncpus; i++)
		free(r->cpu[i].us_bins);
	free(r->cpu);
	r->cpu = NULL;
}

static uint64_t timeline_max(uint64_t a, uint64_t b)
{
	if (a == LB_TIMELINE_NONE)
		return b;
	if (b == LB_TIMELINE_NONE)
		return a;
	return a > b ? a : b;
}

/* Room for one more entry: when full, adjacent pairs merge and the step doubles. */
static void timeline_room(struct lb_run *r)
{
	unsigned i;

	if (r->ntimeline < r->timeline_len)
		return;
	for (i = 0; i < r->ntimeline / 2; i++)
		r->timeline_ns[i] = timeline_max(r->timeline_ns[2 * i], r->timeline_ns[2 * i + 1]);
	r->ntimeline = i; /* timeline_len is even: no half step is left over */
	r->timeline_step_s *= 2;
}

void lb_run_timeline_tick(struct lb_run *r, double elapsed_s, int final)
{
	uint64_t worst = 0, n;
	int i, have;

	if (!r->timeline_ns || !r->timeline_len || !r->cpu)
		return;
	if (!(r->timeline_step_s > 0))
		r->timeline_step_s = 1;
	if (final && r->duration_s > 0 && elapsed_s > r->duration_s)
		elapsed_s = r->duration_s;
	if (!final && floor(elapsed_s / r->timeline_step_s) <= r->ntimeline)
		return; /* still inside the step of the next entry */
	if (!final && r->ntimeline == r->timeline_len) {
		/* full: the step doubles, and the window goes on until the end of the longer step */
		timeline_room(r);
		if (floor(elapsed_s / r->timeline_step_s) <= r->ntimeline)
			return;
	}
	for (i = 0; i < r->ncpus; i++) {
		uint64_t w = __atomic_exchange_n(&r->cpu[i].win_max_ns, 0, __ATOMIC_RELAXED);

		if (w > worst)
			worst = w;
	}
	n = lb_run_samples(r);
	have = n != r->timeline_samples;
	r->timeline_samples = n;
	if (final) {
		double steps = ceil(elapsed_s / r->timeline_step_s);

		/* what came after the last whole step belongs to the step the run ended in */
		if (r->ntimeline && steps <= r->ntimeline) {
			if (have)
				r->timeline_ns[r->ntimeline - 1] = timeline_max(r->timeline_ns[r->ntimeline - 1], worst);
			return;
		}
		if (!have && !r->ntimeline)
			return;
	}
	/* a reporter that slept over a step boundary: the steps it missed have no entry of their own */
	for (;;) {
		double steps = final ? ceil(elapsed_s / r->timeline_step_s) : floor(elapsed_s / r->timeline_step_s);

		timeline_room(r);
		if (r->ntimeline + 1 >= steps)
			break;
		r->timeline_ns[r->ntimeline++] = LB_TIMELINE_NONE;
	}
	r->timeline_ns[r->ntimeline++] = have ? worst : LB_TIMELINE_NONE;
}

uint64_t lb_run_samples(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].hist.count, __ATOMIC_RELAXED);
	return n;
}

uint64_t lb_run_missed(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].missed, __ATOMIC_RELAXED);
	return n;
}

uint64_t lb_run_xruns(const struct lb_run *r)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < r->ncpus; i++)
		n += __atomic_load_n(&r->cpu[i].xruns, __ATOMIC_RELAXED);
	return n;
}

unsigned lb_run_measured_period(const struct lb_run *r, unsigned *rate)
{
	int audio = r->plane && !str_eq(r->plane, "timer");

	if (rate)
		*rate = audio ? r->audio.rate : 0;
	return audio && r->audio.rate ? r->audio.period : 0;
}

void lb_run_finish(struct lb_run *r, const char *load_desc)
{
	int i;

	hist_init(&r->merged);
	for (i = 0; i < r->ncpus; i++)
		hist_merge(&r->merged, &r->cpu[i].hist);
	lb_verdict_compute(&r->verdict, r->merged.count, r->merged.max_ns, r->elapsed_s, load_desc,
			   r->dsp_load, lb_run_measured_period(r, NULL), r->audio.rate);
}

void lb_cpu_xruns(struct lb_cpu *c, uint64_t n, uint64_t at_ns, uint64_t duration_ns)
{
	uint64_t k = c->nxrun_log;

	if (k < LB_XRUN_LOG) {
		c->xrun_log[k].at_ns = at_ns;
		c->xrun_log[k].duration_ns = duration_ns;
		c->nxrun_log = k + 1;
	}
	c->xrun_ns += duration_ns;
	__atomic_store_n(&c->xruns, c->xruns + n, __ATOMIC_RELAXED);
}

void lb_cpu_xrun(struct lb_cpu *c, uint64_t at_ns, uint64_t duration_ns)
{
	lb_cpu_xruns(c, 1, at_ns, duration_ns);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void lb_audio_roundtrip_finish(struct lb_audio *a)
{
	double s[LB_RT_MAX];
	unsigned n = a->nrt;

	if (!n) {
		a->rt_min = a->rt_median = a->rt_max = 0;
		return;
	}
	memcpy(s, a->rt, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	a->rt_min = s[0];
	a->rt_max = s[n - 1];
	a->rt_median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double lb_audio_roundtrip_extra(const struct lb_audio *a)
{
	return a->rt_median - a->rt_buffering - a->rt_reported;
}

void lb_sleep_ns(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / LB_NSEC), (long)(ns % LB_NSEC) };

	nanosleep(&t, NULL);
}

int lb_server_spawn(const char *const *argv, const char *const *env, int logfd, pid_t *pid)
{
	pid_t parent = getpid();
	int errpipe[2], err = 0;
	ssize_t n;

	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		err = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return err;
	}
	if (*pid == 0) {
		sigset_t none;
		int fd, e;

		setpgid(0, 0);
		/* SIGTERM, not SIGKILL: a server then removes its sockets (jackd its semaphores too) */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(126);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(126);
		for (; env && *env; env++) {
			const char *eq = strchr(*env, '=');

			if (eq) {
				char name[64];

				snprintf(name, sizeof(name), "%.*s", (int)(eq - *env), *env);
				setenv(name, eq + 1, 1);
			} else {
				unsetenv(*env);
			}
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(errpipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(*pid, *pid);
	close(errpipe[1]);
	do
		n = read(errpipe[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(err)) {
		int st;

		lb_server_reap(pid, LB_NSEC, &st);
		return -err;
	}
	return 0;
}

int lb_server_reap(pid_t *pid, uint64_t wait_ns, int *status)
{
	uint64_t until = lb_now_ns() + wait_ns;

	for (;;) {
		pid_t p = waitpid(*pid, status, WNOHANG);

		if (p == *pid || (p < 0 && errno != EINTR)) {
			*pid = 0;
			return 0;
		}
		if (lb_now_ns() >= until)
			return -ETIMEDOUT;
		lb_sleep_ns(10 * 1000 * 1000);
	}
}

void lb_server_stop(pid_t *pid, uint64_t term_ns)
{
	int st;

	if (*pid <= 0)
		return;
	kill(-*pid, SIGTERM);
	if (lb_server_reap(pid, term_ns, &st) < 0) {
		kill(-*pid, SIGKILL);
		lb_server_reap(pid, term_ns, &st);
	}
	*pid = 0;
}

void lb_log_last_line(int fd, char *buf, size_t len)
{
	char tail[1024];
	struct stat st;
	off_t from;
	ssize_t n;
	char *end, *start;

	buf[0] = '\0';
	if (fd < 0 || fstat(fd, &st) < 0)
		return;
	from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;
	n = pread(fd, tail, sizeof(tail) - 1, from);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(tail, '\n');
	snprintf(buf, len, "%.*s", (int)len - 1, start ? start + 1 : tail);
}

/* Locked memory as the kernel counts it: mlockall can "succeed" without locking (sanitizers) */
static int memory_locked(void)
{
	char line[256];
	long kb = 0;
	FILE *fp;

	fp = fopen("/proc/self/status", "re");
	if (!fp)
		return 1; /* no /proc: trust mlockall */
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb > 0;
}

int lb_memory_lock(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return 0;
	return memory_locked();
}

/* mlock every loaded segment of the program itself (the first object dl_iterate_phdr reports) */
static int lock_program(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	int i, *err = data;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t from, to;

		if (ph->p_type != PT_LOAD)
			continue;
		from = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		to = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		if (mlock((void *)from, to - from) < 0 && !*err)
			*err = -errno;
	}
	return 1; /* the program only, not the libraries */
}

/*
 * MCL_ONFAULT locks a page when it is first touched: the libraries this program links for its
 * other planes, views and reports (alsa-lib, libpipewire, ncurses, json-c; libjack once the JACK
 * plane has opened it) are not read in and pinned for a loop that never runs them. The program's own code
 * and data are locked whole here; the caller prefaults the rest its loop touches (lb_prefault,
 * lb_loop_warm_up) before the loop runs, so the loop takes no page fault, as with MCL_CURRENT.
 */
int lb_memory_lock_onfault(void)
{
	int err = 0;

	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
		return errno == EINVAL ? lb_memory_lock() : 0; /* before Linux 4.4: everything */
	dl_iterate_phdr(lock_program, &err);
	if (err) {
		munlockall();
		return lb_memory_lock();
	}
	return memory_locked();
}

void lb_prefault(void *p, size_t len)
{
	volatile char *b = p;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), off;

	/* a write: a read of an untouched anonymous page maps the shared zero page, and the
	 * loop's first write to it would still fault */
	for (off = 0; off < len; off += page)
		b[off] = b[off];
	if (len)
		b[len - 1] = b[len - 1];
}

/* Below the caller's frame: what the loop's calls (clock_nanosleep, clock_gettime) use of the stack */
static __attribute__((noinline)) void prefault_stack(void)
{
	char buf[LB_STACK_PREFAULT];

	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory"); /* the memset is not dead */
}

void lb_loop_warm_up(void)
{
	struct timespec past = { 0, 0 };

	prefault_stack();
	/* the libc and vDSO pages of the loop's calls: an absolute deadline long past returns at once */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
	(void)lb_now_ns();
}

/* A deep C-state exit is latency too: hold the PM QoS request at 0 while measuring. */
int lb_dma_latency_hold(struct lb_run *r)
{
	int fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);
	int32_t zero = 0;

	if (fd >= 0 && write(fd, &zero, sizeof(zero)) == (ssize_t)sizeof(zero))
		r->dma_latency = 1;
	return fd;
}

void lb_dma_latency_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int thread_create(struct lb_cpu *c, int fifo, int priority, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, LB_THREAD_STACK);
	if (c->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (fifo) {
		struct sched_param sp = { .sched_priority = priority };
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
	}
	err = pthread_create(&c->thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -err;
}

int lb_thread_start(struct lb_cpu *c, int priority, void *(*fn)(void *), void *arg)
{
	int err;

	c->fifo = 1;
	err = thread_create(c, 1, priority, fn, arg);
	if (err == -EPERM) {
		c->fifo = 0;
		err = thread_create(c, 0, 0, fn, arg);
	}
	if (!err)
		c->started = 1;
	return err;
}

/*
 * The reporter sleeps in pthread_timedjoin_np, waking every report_ns for progress: few
 * wakeups of its own on the measured CPUs. A signal only sets *stop; the measuring threads
 * see it within a period or their poll timeout and end, which ends the join.
 */
void lb_report_until_joined(struct lb_run *r, volatile sig_atomic_t *stop, uint64_t start_ns,
			    lb_progress_fn progress, void *data)
{
	uint64_t every = r->report_ns ? r->report_ns : LB_NSEC, last_report = 0, last_poll = 0;
	uint64_t poll_every = lb_causes_every_ns(r->tracer, every);
	int i;

	(void)stop;
	lb_causes_reporter_away(r->tracer);
	for (i = 0; i < r->ncpus; i++) {
		struct timespec deadline;

		if (!r->cpu[i].started)
			continue;
		for (;;) {
			uint64_t now = lb_now_ns(), next_report = last_report + every, ns;

			if (next_report < start_ns + every)
				next_report = start_ns + every;
			/* the tracer's events first, so that progress (--live) sees the latest causes */
			if (r->tracer && now >= last_poll + poll_every) {
				last_poll = now;
				lb_causes_poll(r->tracer, r);
			}
			if (next_report <= now) {
				last_report = now;
				lb_run_timeline_tick(r, now > start_ns ? (double)(now - start_ns) / 1e9 : 0, 0);
				if (progress)
					progress(r, now > start_ns ? (double)(now - start_ns) / 1e9 : 0, data);
				continue;
			}
			if (r->tracer && next_report > last_poll + poll_every)
				next_report = last_poll + poll_every; /* the tracer's next read */
			clock_gettime(CLOCK_REALTIME, &deadline);
			ns = (uint64_t)deadline.tv_sec * LB_NSEC + (uint64_t)deadline.tv_nsec +
			     (next_report > now ? next_report - now : 0);
			deadline.tv_sec = (time_t)(ns / LB_NSEC);
			deadline.tv_nsec = (long)(ns % LB_NSEC);
			if (pthread_timedjoin_np(r->cpu[i].thread, NULL, &deadline) == 0)
				break;
		}
	}
	{
		uint64_t now = lb_now_ns();

		lb_run_timeline_tick(r, now > start_ns ? (double)(now - start_ns) / 1e9 : 0, 1);
	}
}
