/* test-lb-live.c - unit tests for the live view's line about what made wakeups late */
#include "tap.h"

#include "lb.h"
#include "live.h"

static void cause_is(const struct lb_run *r, const char *want, const char *what)
{
	char buf[512];

	lb_live_cause(r, buf, sizeof(buf));
	is_str(buf, want, "%s", what);
}

int main(void)
{
	static struct lb_run r;
	struct lb_cause *k = &r.causes.cause[0];

	r.plane = "timer";
	cause_is(&r, "cause analysis unavailable: --no-causes", "--no-causes");
	r.causes_wanted = 1;
	cause_is(&r, "cause analysis starting", "the tracers not started yet");
	r.plane = "alsa";
	cause_is(&r, "cause analysis unavailable", "an audio plane whose tracer side said nothing");
	snprintf(r.causes.unavailable, sizeof(r.causes.unavailable), "this kernel has no timerlat tracer");
	cause_is(&r, "cause analysis unavailable: this kernel has no timerlat tracer", "the tracer's reason");
	r.causes.available = 1;
	r.causes.threshold_ns = 50000;
	cause_is(&r, "no late wakeup yet (later than 50.0 us)", "no cause yet");
	*k = (struct lb_cause){ .kind = LB_CAUSE_IRQ, .cpu = 1, .count = 4, .max_ns = 81500, .irq = 24 };
	snprintf(k->name, sizeof(k->name), "24 i915 (0000:00:02.0)");
	r.causes.ncauses = 2;
	cause_is(&r, "top cause: irq 24 i915 (0000:00:02.0) on CPU 1, 81.5 us at worst, 4 late wakeups",
		 "the first of the ranked causes");
	k->cpu = -1;
	k->count = 1;
	k->kind = LB_CAUSE_PREEMPT_OFF;
	cause_is(&r, "top cause: preempt-off 24 i915 (0000:00:02.0), 81.5 us at worst, 1 late wakeup",
		 "no CPU, one wakeup");
	return done_testing();
}
