// SPDX-License-Identifier: GPL-2.0
/*
 * lb_irqoff - the truth test's interrupts-off delay: a kernel thread named lb_irqoff, pinned to
 * one CPU, that keeps interrupts off for a known time at a known rate, so latency-bench must
 * name it, of kind irq-off, with that time as its largest share
 */
#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

static int cpu;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "the CPU to run on (default 0)");
static int off_us = 300;
module_param(off_us, int, 0444);
MODULE_PARM_DESC(off_us, "microseconds with interrupts off each time (default 300, at most 5000)");
static int period_ms = 10;
module_param(period_ms, int, 0444);
MODULE_PARM_DESC(period_ms, "milliseconds between them (default 10)");
static int period_us;
module_param(period_us, int, 0444);
MODULE_PARM_DESC(period_us, "microseconds between them, on a high-resolution timer, instead of period_ms: "
		 "10007 meets every phase of an audio period");

static struct task_struct *thread;
static atomic_t windows = ATOMIC_INIT(0);

static int lb_irqoff_main(void *unused)
{
	while (!kthread_should_stop()) {
		unsigned long flags;

		local_irq_save(flags);
		udelay(off_us);
		local_irq_restore(flags);
		atomic_inc(&windows);
		if (period_us)
			usleep_range(period_us, period_us);
		else
			msleep(period_ms);
	}
	return 0;
}

static int __init lb_irqoff_init(void)
{
	if (off_us < 1 || off_us > 5000 || period_ms < 1 || period_us < 0 || period_us > 1000000 || !cpu_online(cpu))
		return -EINVAL;
	thread = kthread_create(lb_irqoff_main, NULL, "lb_irqoff");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	kthread_bind(thread, cpu);
	wake_up_process(thread);
	return 0;
}

static void __exit lb_irqoff_exit(void)
{
	kthread_stop(thread);
	pr_info("lb_irqoff: %d windows of %d us with interrupts off\n", atomic_read(&windows), off_us);
}

module_init(lb_irqoff_init);
module_exit(lb_irqoff_exit);
MODULE_DESCRIPTION("latency-bench's truth test: interrupts off for a known time");
MODULE_LICENSE("GPL");
