/* lb-interfere.c - the truth test's disturbance: a SCHED_FIFO process pinned to one CPU that
 * busy-loops for a known time at a known rate, so latency-bench must see exactly that delay */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sched_param sp;
	cpu_set_t set;
	unsigned long long busy, period, seconds, next, end, windows = 0;
	struct timespec ts;
	int cpu, prio;

	if (argc != 6) {
		fprintf(stderr, "usage: lb-interfere CPU PRIORITY BUSY_US PERIOD_US SECONDS\n");
		return 2;
	}
	cpu = atoi(argv[1]);
	prio = atoi(argv[2]);
	busy = strtoull(argv[3], NULL, 10) * 1000;
	period = strtoull(argv[4], NULL, 10) * 1000;
	seconds = strtoull(argv[5], NULL, 10);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "lb-interfere: error: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return 3;
	}
	sp.sched_priority = prio;
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		fprintf(stderr, "lb-interfere: error: cannot get SCHED_FIFO %d: %s\n", prio, strerror(errno));
		return 3;
	}
	mlockall(MCL_CURRENT | MCL_FUTURE);
	signal(SIGTERM, on_term);
	next = now_ns() + period;
	end = next + seconds * 1000000000ULL;
	while (!stop && next < end) {
		unsigned long long until;

		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
			continue;
		until = now_ns() + busy;
		while (now_ns() < until)
			;
		windows++;
		next += period;
	}
	printf("%llu\n", windows);
	return 0;
}
