/* cause.c - what made a wakeup late: the kernel's timerlat and osnoise tracers through libtracefs
 * and libtraceevent, each late wakeup taken apart into the interrupts, softirqs, NMIs and threads
 * that ran between the timer's expiry and the thread running */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lb.h"

static const char *const kind_names[LB_CAUSE_NKINDS] = {
	[LB_CAUSE_IRQ] = "irq",
	[LB_CAUSE_SOFTIRQ] = "softirq",
	[LB_CAUSE_NMI] = "nmi",
	[LB_CAUSE_THREAD] = "thread",
	[LB_CAUSE_HARDWARE] = "hardware",
	[LB_CAUSE_IRQ_OFF] = "irq-off",
	[LB_CAUSE_PREEMPT_OFF] = "preempt-off",
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
