/* test-lb-cause.c - cause analysis for people: kinds, labels, ranking, the sentence tied to the verdict, the fixes, the report's lines */
#include "tap.h"
#include <stdio.h>
#include <stdlib.h>
#include "cause.h"
#include "lb.h"
#include "report.h"
#include "verdict.h"

static struct lb_cause *add(struct lb_run *r, enum lb_cause_kind kind, const char *name, uint64_t max_us,
			    uint64_t total_us, uint64_t count)
{
	struct lb_cause *k = &r->causes.cause[r->causes.ncauses++];

	memset(k, 0, sizeof(*k));
	k->kind = kind;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->max_ns = max_us * 1000;
	k->total_ns = total_us * 1000;
	k->count = count;
	k->irq = -1;
	return k;
}

/* The text report of r, as one string. */
static char *report(const struct lb_run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	lb_report_text(r, f);
	fclose(f);
	return buf;
}

static int has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void test_kinds(void)
{
	static const char *const names[] = { "irq", "softirq", "nmi", "thread", "hardware", "irq-off", "preempt-off", "idle" };

	is_int(LB_CAUSE_NKINDS, 8, "eight kinds");
	for (int k = 0; k < LB_CAUSE_NKINDS; k++) {
		is_str(lb_cause_kind_name((enum lb_cause_kind)k), names[k], "kind %d's name", k);
		is_int(lb_cause_kind_parse(names[k]), k, "%s parses back", names[k]);
	}
	is_int(lb_cause_kind_parse("IRQ"), -1, "names are lower case");
	is_int(lb_cause_kind_parse(""), -1, "empty is no kind");
	is_int(lb_cause_kind_parse(NULL), -1, "NULL is no kind");
	is_str(lb_cause_kind_name(LB_CAUSE_NKINDS), "?", "out of range");
}

static void test_labels(void)
{
	static struct lb_run r;
	struct lb_cause *k;
	char buf[160];

	k = add(&r, LB_CAUSE_IRQ, "IRQ 24 (i915)", 1200, 5000, 7);
	snprintf(k->driver, sizeof(k->driver), "i915");
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "IRQ 24 (i915)", "an irq whose name holds its driver: said once");
	snprintf(k->driver, sizeof(k->driver), "snd_hda_intel");
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "IRQ 24 (i915), driver snd_hda_intel", "an irq shared with another driver's device");
	k = add(&r, LB_CAUSE_THREAD, "lb-interfere", 800, 9000, 12);
	k->pid = 123;
	snprintf(k->policy, sizeof(k->policy), "FIFO");
	k->priority = 90;
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "thread lb-interfere (pid 123, FIFO 90)", "a thread: pid, policy, priority");
	k->policy[0] = '\0';
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "thread lb-interfere (pid 123)", "a thread that ended before it was looked at");
	k = add(&r, LB_CAUSE_IRQ_OFF, "lb_irqoff", 300, 600, 2);
	k->pid = 9;
	snprintf(k->policy, sizeof(k->policy), "OTHER");
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "lb_irqoff (pid 9, OTHER 0) with interrupts off", "interrupts off");
	k->kind = LB_CAUSE_PREEMPT_OFF;
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "lb_irqoff (pid 9, OTHER 0) with preemption off", "preemption off");
	k = add(&r, LB_CAUSE_SOFTIRQ, "NET_RX", 50, 60, 2);
	lb_cause_label(k, buf, sizeof(buf));
	is_str(buf, "softirq NET_RX", "a softirq by its vector");
}

static void test_finish(void)
{
	static struct lb_run r;

	add(&r, LB_CAUSE_IRQ, "IRQ 9 (acpi)", 20, 100, 5);
	add(&r, LB_CAUSE_THREAD, "b", 800, 1000, 2);
	add(&r, LB_CAUSE_THREAD, "a", 800, 1000, 2);
	add(&r, LB_CAUSE_IDLE, "the CPU leaving idle", 800, 5000, 40);
	r.causes.spike[0].at_s = 9;
	r.causes.spike[1].at_s = 2;
	r.causes.spike[2].at_s = 5;
	r.causes.nspikes = 3;
	lb_causes_finish(&r.causes);
	is_str(r.causes.cause[0].name, "the CPU leaving idle", "ranked by max, then by total");
	is_str(r.causes.cause[1].name, "a", "equal max and total: by name");
	is_str(r.causes.cause[2].name, "b", "then the other");
	is_str(r.causes.cause[3].name, "IRQ 9 (acpi)", "the smallest max last");
	ok(r.causes.spike[0].at_s == 2 && r.causes.spike[1].at_s == 5 && r.causes.spike[2].at_s == 9, "spikes in time order");
}

/* A timer-plane run at 64 frames, 48 kHz whose worst wakeup was `max_us` late, with one cause. */
static void verdict_run(struct lb_run *r, double max_us)
{
	r->plane = "timer";
	r->priority = 80;
	r->interval_ns = 1333000;
	lb_verdict_compute(&r->verdict, 100000, (uint64_t)(max_us * 1000), 133, NULL, 0.5, 0, 0);
	r->causes.available = 1;
	r->causes.threshold_ns = 333000;
	r->causes.late = 12;
}

static void test_sentence(void)
{
	static struct lb_run r, none, all, empty;
	char buf[320];
	struct lb_cause *k;

	verdict_run(&r, 1200);
	k = add(&r, LB_CAUSE_IRQ, "IRQ 24 (i915)", 1200, 9000, 12);
	k->irq = 24;
	k->cpu = 1;
	is_int(r.verdict.cell[1][0].frames, 128, "1.2 ms: 128 frames (1.33 ms of slack at half DSP load) are the smallest safe at 48 kHz, 2 periods");
	lb_causes_sentence(&r, buf, sizeof(buf));
	is_str(buf, "64-frame buffers fail because of IRQ 24 (i915), up to 1.20 ms", "the size below the safe one fails because of the top cause");

	verdict_run(&none, 200000);
	add(&none, LB_CAUSE_THREAD, "make", 200000, 400000, 3);
	lb_causes_sentence(&none, buf, sizeof(buf));
	is_str(buf, "no buffer size up to 8192 frames is safe because of thread make, up to 200.00 ms", "nothing safe");

	verdict_run(&all, 20);
	add(&all, LB_CAUSE_NMI, "NMI", 20, 20, 1);
	lb_causes_sentence(&all, buf, sizeof(buf));
	is_str(buf, "the largest delay came from NMI, up to 0.02 ms", "everything safe: no size fails");

	verdict_run(&empty, 20);
	lb_causes_sentence(&empty, buf, sizeof(buf));
	is_str(buf, "", "no cause: no sentence");
	empty.causes.available = 0;
	add(&empty, LB_CAUSE_NMI, "NMI", 20, 20, 1);
	lb_causes_sentence(&empty, buf, sizeof(buf));
	is_str(buf, "", "analysis unavailable: no sentence");
}

static void test_fixes(void)
{
	static struct lb_run r;
	struct lb_cause *k;
	char buf[512];

	k = add(&r, LB_CAUSE_IRQ, "IRQ 24 (i915)", 1, 1, 1);
	k->irq = 24;
	k->cpu = 2;
	lb_cause_fix(k, 80, buf, sizeof(buf));
	is_str(buf, "run interrupt handlers in threads (a PREEMPT_RT kernel, or 'threadirqs' on the kernel command line) and "
		    "give irq/24's thread a priority below the audio thread's 80 (chrt -f -p 79 PID), or move the interrupt off "
		    "CPU 2 (echo MASK > /proc/irq/24/smp_affinity)", "irq: threaded, its priority, its affinity");
	k = add(&r, LB_CAUSE_THREAD, "irq/31-snd_hda_intel", 1, 1, 1);
	k->pid = 77;
	k->cpu = 0;
	k->priority = 90;
	snprintf(k->policy, sizeof(k->policy), "FIFO");
	lb_cause_fix(k, 80, buf, sizeof(buf));
	is_str(buf, "interrupt 31's thread runs at FIFO 90, not below the audio thread's 80: lower it (chrt -f -p 79 77), or "
		    "move the interrupt off CPU 0 (/proc/irq/31/smp_affinity)", "an interrupt's thread: chrt on it");
	k = add(&r, LB_CAUSE_IDLE, "the CPU leaving idle", 1, 1, 1);
	lb_cause_fix(k, 80, buf, sizeof(buf));
	ok(strstr(buf, "C-states") && strstr(buf, "/dev/cpu_dma_latency"), "idle: C-states and cpu_dma_latency");
	k = add(&r, LB_CAUSE_NMI, "NMI", 1, 1, 1);
	lb_cause_fix(k, 80, buf, sizeof(buf));
	ok(strstr(buf, "kernel.nmi_watchdog=0") != NULL, "nmi: the watchdog");
	/* an ordinary thread that came before an ordinary waker (ksoftirqd): not chrt on it */
	k = add(&r, LB_CAUSE_THREAD, "backup", 1, 1, 1);
	k->pid = 1234;
	snprintf(k->policy, sizeof(k->policy), "OTHER");
	lb_cause_fix(k, 80, buf, sizeof(buf));
	is_str(buf, "backup (OTHER) took CPU 0 from the thread that wakes the audio thread, a softirq or interrupt thread "
		    "of ordinary priority on this kernel (ksoftirqd, ktimers, irq/N): give that thread a real-time priority "
		    "below the audio thread's 80 (chrt -f -p 79 PID), or move backup off CPU 0 (taskset -p 1234)",
	       "an ordinary thread: raise the waker, or move it");
}

static void test_report(void)
{
	static struct lb_run r, off, quiet;
	char *text;
	struct lb_cause *k;

	verdict_run(&r, 1200);
	k = add(&r, LB_CAUSE_IRQ, "IRQ 24 (i915)", 1200, 9000, 12);
	k->irq = 24;
	k->cpu = 1;
	r.causes.worst.latency_ns = 1250000;
	r.causes.worst.cpu = 1;
	r.causes.worst.at_s = 3.5;
	r.causes.worst.irq_latency_ns = 2000;
	r.causes.worst.timer_irq_ns = 3000;
	r.causes.worst.unaccounted_ns = 45000;
	r.causes.worst.nparts = 1;
	r.causes.worst.part[0].kind = LB_CAUSE_IRQ;
	snprintf(r.causes.worst.part[0].name, sizeof(r.causes.worst.part[0].name), "IRQ 24 (i915)");
	r.causes.worst.part[0].ns = 1200000;
	text = report(&r);
	ok(has_line(text, "what made wakeups late (the kernel's timerlat tracer, 12 wakeups later than 333.0 us):"), "the table's title");
	ok(has_line(text, "  irq          IRQ 24 (i915)                                   1       12      1200.0       9000.0"),
	   "the cause's row: kind, cause, cpu, count, max, total");
	ok(has_line(text, "worst wakeup: 1250.0 us late on CPU 1 at 3.5 s: timer interrupt 2.0 us late, irq IRQ 24 (i915) 1200.0 us, "
			  "the timer's own handler 3.0 us, unaccounted 45.0 us"), "the worst wakeup's parts");
	ok(has_line(text, "because: 64-frame buffers fail because of IRQ 24 (i915), up to 1.20 ms"), "the sentence");
	ok(strstr(text, "\nfix to try: run interrupt handlers in threads") != NULL, "the fix");
	free(text);

	verdict_run(&off, 10);
	off.causes.available = 0;
	snprintf(off.causes.unavailable, sizeof(off.causes.unavailable), "--no-causes");
	text = report(&off);
	ok(has_line(text, "cause analysis unavailable: --no-causes"), "unavailable: the reason, in one line");
	ok(!strstr(text, "what made wakeups late"), "and no table");
	free(text);

	verdict_run(&quiet, 10);
	quiet.causes.late = 0;
	text = report(&quiet);
	ok(has_line(text, "causes: no wakeup was later than 333.0 us (the kernel's timerlat tracer watched every one)"),
	   "a quiet run says nothing was late");
	free(text);

	/* an audio plane: the osnoise tracer watched, and the worst wakeup names its waking path */
	r.plane = "alsa";
	r.causes.watched = 1;
	text = report(&r);
	ok(has_line(text, "what made wakeups late (the kernel's osnoise tracer, 12 wakeups later than 333.0 us):"),
	   "audio plane: the osnoise tracer's table");
	ok(has_line(text, "worst wakeup: 1250.0 us late on CPU 1 at 3.5 s: the interrupt that woke it 2.0 us late, irq IRQ 24 "
			  "(i915) 1200.0 us, the waking handlers and threads 3.0 us, unaccounted 45.0 us"),
	   "audio plane: the worst wakeup's interrupt and waking path");
	free(text);
	quiet.plane = "jack";
	quiet.causes.watched = 1;
	quiet.causes.late = 3;
	text = report(&quiet);
	ok(has_line(text, "no traced interrupt, softirq, NMI or thread explains them: the wakeups started late (the server's "
			  "own timing, or firmware, SMIs or a hypervisor, which the kernel does not see)"),
	   "jack: late wakeups nothing explains are the server's timing or what the kernel does not see");
	free(text);
}

int main(void)
{
	test_kinds();
	test_labels();
	test_finish();
	test_sentence();
	test_fixes();
	test_report();
	return done_testing();
}
