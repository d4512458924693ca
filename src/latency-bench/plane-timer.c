/* plane-timer.c - the hardware-free plane: one SCHED_FIFO thread per CPU sleeping to absolute
 * deadlines on CLOCK_MONOTONIC, as an audio thread waits for its period */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "lb.h"

#define NSEC_PER_SEC 1000000000ULL
#define THREAD_STACK (256 * 1024)

struct timer_shared {
	uint64_t start_ns, end_ns;
	volatile sig_atomic_t *stop;
};

static inline uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * NSEC_PER_SEC + (uint64_t)t->tv_nsec;
}

static inline struct timespec ns_ts(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
	return t;
}

static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

/* Locked memory as the kernel counts it: mlockall can "succeed" without locking (sanitizers) */
static int memory_is_locked(void)
{
	char line[256];
	long kb = 0;
	FILE *fp;

	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return 0;
	fp = fopen("/proc/self/status", "re");
	if (!fp)
		return 1; /* no /proc: trust mlockall */
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(fp);
	return kb > 0;
}

struct timer_arg {
	struct lb_cpu *c;
	struct timer_shared *sh;
};

/* The measuring loop: no allocation, no printing, no locks; only the histogram and counters. */
static void *timer_thread(void *p)
{
	struct timer_arg *a = p;
	struct lb_cpu *c = a->c;
	struct timer_shared *sh = a->sh;
	const uint64_t interval = c->run->interval_ns;
	uint64_t over[LB_NBUDGETS], next = sh->start_ns + interval;
	unsigned i;

	for (i = 0; i < LB_NBUDGETS; i++)
		over[i] = (uint64_t)(lb_budget_fractions[i] * (double)interval);
	while (!*sh->stop && next <= sh->end_ns) {
		struct timespec t = ns_ts(next);
		uint64_t now, lat;

		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			continue;
		now = now_ns();
		lat = now > next ? now - next : 0;
		hist_add(&c->hist, lat);
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
		c->cycles++;
		if (lat >= interval) {
			/* the deadlines passed while we slept are periods an audio thread never served;
			 * those after the end of the run are not part of it */
			uint64_t m = lat / interval, left = (sh->end_ns - next) / interval;
			if (m > left)
				m = left;
			__atomic_store_n(&c->missed, c->missed + m, __ATOMIC_RELAXED);
			__atomic_store_n(&c->xruns, c->xruns + 1, __ATOMIC_RELAXED);
			next += m * interval;
		}
		next += interval;
	}
	return NULL;
}

static int start_thread(struct lb_cpu *c, struct timer_arg *arg, int fifo, int priority)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (fifo) {
		struct sched_param sp = { .sched_priority = priority };
		pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
		pthread_attr_setschedparam(&attr, &sp);
	}
	err = pthread_create(&c->thread, &attr, timer_thread, arg);
	pthread_attr_destroy(&attr);
	return -err;
}

int lb_plane_timer(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	struct timer_shared sh = { .stop = stop };
	struct timer_arg *args;
	sigset_t all, old;
	uint64_t last_report = 0;
	int i, dma_fd = -1, err = 0;

	args = calloc((size_t)r->ncpus, sizeof(*args));
	if (!args)
		return -ENOMEM;
	/* a deep C-state exit is latency too: hold the PM QoS request at 0 while measuring */
	dma_fd = open("/dev/cpu_dma_latency", O_RDWR | O_CLOEXEC);
	if (dma_fd >= 0) {
		int32_t zero = 0;
		if (write(dma_fd, &zero, sizeof(zero)) == (ssize_t)sizeof(zero))
			r->dma_latency = 1;
	}
	r->memory_locked = memory_is_locked();
	r->sched_fifo = 1;

	/* measuring threads take no signals: the reporter (this thread) handles Ctrl-C */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	sh.start_ns = now_ns() + 10 * 1000 * 1000; /* let every thread get going first */
	sh.end_ns = sh.start_ns + (uint64_t)(r->duration_s * 1e9);
	for (i = 0; i < r->ncpus; i++) {
		struct lb_cpu *c = &r->cpu[i];

		args[i].c = c;
		args[i].sh = &sh;
		c->fifo = 1;
		err = start_thread(c, &args[i], 1, r->priority);
		if (err == -EPERM) {
			c->fifo = 0;
			err = start_thread(c, &args[i], 0, 0);
		}
		if (err) {
			c->err = err;
			break;
		}
		c->started = 1;
		if (!c->fifo)
			r->sched_fifo = 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		*stop = 1;

	/*
	 * The reporter sleeps in pthread_timedjoin_np, waking once a second for progress: fewer
	 * wakeups of its own on the measured CPUs. A signal only sets *stop; the measuring threads
	 * see it within one period and end, which ends the join.
	 */
	for (i = 0; i < r->ncpus; i++) {
		struct timespec deadline;

		if (!r->cpu[i].started)
			continue;
		for (;;) {
			uint64_t now = now_ns(), next_report = last_report + NSEC_PER_SEC;

			if (next_report < sh.start_ns + NSEC_PER_SEC)
				next_report = sh.start_ns + NSEC_PER_SEC;
			if (next_report <= now) {
				last_report = now;
				if (progress)
					progress(r, (double)(now - sh.start_ns) / 1e9, data);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline = ns_ts(ts_ns(&deadline) + (next_report - now));
			if (pthread_timedjoin_np(r->cpu[i].thread, NULL, &deadline) == 0)
				break;
		}
	}
	{
		uint64_t end = now_ns();
		/* a signal after the last deadline did not cut the run short */
		r->interrupted = *stop && !err && end < sh.end_ns;
		if (end > sh.end_ns)
			end = sh.end_ns;
		r->elapsed_s = end > sh.start_ns ? (double)(end - sh.start_ns) / 1e9 : 0;
	}
	if (r->memory_locked)
		munlockall();
	if (dma_fd >= 0)
		close(dma_fd);
	free(args);
	r->realtime = r->sched_fifo && r->memory_locked;
	return err;
}
