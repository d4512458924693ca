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

struct timer_shared {
	uint64_t start_ns, end_ns;
	volatile sig_atomic_t *stop;
	struct lb_tracer *tracer;   /* the kernel's timerlat wakes the threads; NULL: clock_nanosleep */
};

static inline struct timespec ns_ts(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / LB_NSEC), (long)(ns % LB_NSEC) };
	return t;
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
	/* copies on this thread's stack: the shared struct's page is not touched on every wakeup */
	volatile sig_atomic_t *stop = sh->stop;
	const uint64_t interval = c->run->interval_ns, end_ns = sh->end_ns;
	uint64_t over[LB_NBUDGETS], next = sh->start_ns + interval;
	unsigned i;
	int fd = sh->tracer ? lb_causes_thread_open(sh->tracer, c->cpu) : -1;

	for (i = 0; i < LB_NBUDGETS; i++)
		over[i] = (uint64_t)(lb_budget_fractions[i] * (double)interval);
	lb_loop_warm_up(); /* memory is locked as it is touched: no page fault in the loop */
	if (fd >= 0) {
		/* the kernel's timer is armed one period after the first wait: wait from one period before */
		struct timespec t = ns_ts(next - interval);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
	}
	while (!*stop && next <= end_ns) {
		struct timespec t = ns_ts(next);
		uint64_t now, lat;

		if (fd >= 0) {
			/* the timerlat tracer's timer: the same absolute periods, and the kernel sees what delays them */
			if (lb_causes_thread_wait(fd) < 0) {
				close(fd);
				fd = -1;
				continue;
			}
		} else if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			continue;
		now = lb_now_ns();
		lat = now > next ? now - next : 0;
		lb_cpu_sample(c, lat, over);
		c->cycles++;
		if (lat >= interval) {
			/* the deadlines passed while we slept are periods an audio thread never served;
			 * those after the end of the run are not part of it */
			uint64_t m = lat / interval, left = (end_ns - next) / interval;
			if (m > left)
				m = left;
			__atomic_store_n(&c->missed, c->missed + m, __ATOMIC_RELAXED);
			__atomic_store_n(&c->xruns, c->xruns + 1, __ATOMIC_RELAXED);
			next += m * interval;
		}
		next += interval;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int lb_plane_timer(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	struct timer_shared sh = { .stop = stop };
	struct timer_arg *args;
	sigset_t all, old;
	int i, dma_fd, err = 0;

	args = calloc((size_t)r->ncpus, sizeof(*args));
	if (!args)
		return -ENOMEM;
	if (lb_causes_start(r, &sh.tracer) == 0)
		r->interval_ns = lb_causes_period_ns(sh.tracer);
	r->tracer = sh.tracer; /* the reporter's tick reads its events before progress (--live) */
	dma_fd = lb_dma_latency_hold(r);
	r->memory_locked = lb_memory_lock_onfault();
	r->sched_fifo = 1;

	/* measuring threads take no signals: the reporter (this thread) handles Ctrl-C */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	sh.start_ns = lb_now_ns() + 10 * 1000 * 1000; /* let every thread get going first */
	sh.end_ns = sh.start_ns + (uint64_t)(r->duration_s * 1e9);
	if (sh.tracer)
		lb_causes_set_start(sh.tracer, (double)r->interval_ns / 1e9);
	for (i = 0; i < r->ncpus; i++) {
		struct lb_cpu *c = &r->cpu[i];

		args[i].c = c;
		args[i].sh = &sh;
		err = lb_thread_start(c, r->priority, timer_thread, &args[i]);
		if (err) {
			c->err = err;
			break;
		}
		if (!c->fifo)
			r->sched_fifo = 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		*stop = 1;

	lb_report_until_joined(r, stop, sh.start_ns, progress, data);
	lb_causes_stop(sh.tracer, r);
	r->tracer = NULL;
	{
		uint64_t end = lb_now_ns();
		/* a signal after the last deadline did not cut the run short */
		r->interrupted = *stop && !err && end < sh.end_ns;
		if (end > sh.end_ns)
			end = sh.end_ns;
		r->elapsed_s = end > sh.start_ns ? (double)(end - sh.start_ns) / 1e9 : 0;
	}
	if (r->memory_locked)
		munlockall();
	lb_dma_latency_release(dma_fd);
	free(args);
	r->realtime = r->sched_fifo && r->memory_locked;
	return err;
}
