/* test-lb-pipewire.c - what latency-bench reads of PipeWire without a server: the profiler's
 * messages, the ledger of a forced quantum, a client configuration's RT module, the RT advice.
 * With --seeds DIR it writes the profiler messages it builds as the fuzzer's seed corpus. */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/profiler.h>
#include <spa/pod/builder.h>

#include "pipewire.h"

#define NODE 42      /* our node */
#define OTHER 43     /* another client */
#define MS 1000000LL
#define PERIOD_NS 1333333LL /* 64 frames at 48 kHz */

/* One follower of a cycle: its id, name, status and when the driver triggered it. */
struct follower {
	int32_t id;
	const char *name;
	int32_t status;
	int64_t signal;
};

/* A Profiler object as PipeWire 0.3.65's module-profiler builds it for one cycle. */
static void cycle(struct spa_pod_builder *b, int64_t count, int32_t xruns, int64_t nsec, int64_t position,
		  const struct follower *f, int nf)
{
	struct spa_pod_frame o;
	struct spa_fraction rate = SPA_FRACTION(1, 48000), latency = SPA_FRACTION(64, 48000);

	spa_pod_builder_push_object(b, &o, SPA_TYPE_OBJECT_Profiler, 0);
	spa_pod_builder_prop(b, SPA_PROFILER_info, 0);
	spa_pod_builder_add_struct(b, SPA_POD_Long(count), SPA_POD_Float(0.1f), SPA_POD_Float(0.1f),
				   SPA_POD_Float(0.1f), SPA_POD_Int(xruns));
	spa_pod_builder_prop(b, SPA_PROFILER_clock, 0);
	spa_pod_builder_add_struct(b, SPA_POD_Int(0), SPA_POD_Int(0), SPA_POD_String("clock.system.monotonic"),
				   SPA_POD_Long(nsec), SPA_POD_Fraction(&rate), SPA_POD_Long(position), SPA_POD_Long(64),
				   SPA_POD_Long(0), SPA_POD_Double(1.0), SPA_POD_Long(nsec + PERIOD_NS));
	spa_pod_builder_prop(b, SPA_PROFILER_driverBlock, 0);
	spa_pod_builder_add_struct(b, SPA_POD_Int(30), SPA_POD_String("Dummy-Driver"), SPA_POD_Long(nsec - PERIOD_NS),
				   SPA_POD_Long(nsec), SPA_POD_Long(nsec), SPA_POD_Long(nsec + 1000), SPA_POD_Int(3),
				   SPA_POD_Fraction(&latency));
	for (int i = 0; i < nf; i++) {
		spa_pod_builder_prop(b, SPA_PROFILER_followerBlock, 0);
		spa_pod_builder_add_struct(b, SPA_POD_Int(f[i].id), SPA_POD_String(f[i].name), SPA_POD_Long(nsec),
					   SPA_POD_Long(f[i].signal), SPA_POD_Long(f[i].signal + 20000),
					   SPA_POD_Long(f[i].signal + 50000), SPA_POD_Int(f[i].status),
					   SPA_POD_Fraction(&latency));
	}
	spa_pod_builder_pop(b, &o);
}

/* A profiler message: a Struct of cycles. */
struct message {
	uint64_t buf[4096]; /* 8-byte aligned, as a pod must be */
	struct spa_pod_builder b;
	struct spa_pod_frame f;
};

static void message_begin(struct message *m)
{
	spa_pod_builder_init(&m->b, m->buf, sizeof(m->buf));
	spa_pod_builder_push_struct(&m->b, &m->f);
}

static const struct spa_pod *message_end(struct message *m, size_t *size)
{
	struct spa_pod *pod = spa_pod_builder_pop(&m->b, &m->f);

	*size = SPA_POD_SIZE(pod);
	return pod;
}

/* The run's messages: normal cycles, a stall of our node (first inside its callback), another node late. */
static const struct spa_pod *stalled_run(struct message *m, size_t *size)
{
	int64_t t = 1000 * MS;
	struct follower fine[] = { { NODE, "latency-bench", 3, 0 }, { OTHER, "synth", 3, 0 } };
	struct follower ours[] = { { NODE, "latency-bench", 1, 0 }, { OTHER, "synth", 3, 0 } };
	struct follower inside[] = { { NODE, "latency-bench", 2, 0 }, { OTHER, "synth", 3, 0 } };
	struct follower theirs[] = { { NODE, "latency-bench", 3, 0 }, { OTHER, "synth", 2, 0 } };
	int64_t count = 100;

	message_begin(m);
	for (int i = 0; i < 10; i++, t += PERIOD_NS) {
		fine[0].signal = fine[1].signal = t + 5000;
		ours[0].signal = ours[1].signal = t + 5000;
		theirs[0].signal = theirs[1].signal = t + 5000;
		inside[0].signal = inside[1].signal = t + 5000;
		if (i == 3) {
			/* a stall caught the node inside its callback (AWAKE), reported twice */
			cycle(&m->b, count++, 0, t, i * 64, inside, 2);
			cycle(&m->b, count++, 0, t, i * 64, ours, 2);
		} else if (i == 4) {
			/* PipeWire reports a cycle found unfinished twice */
			cycle(&m->b, count++, 0, t, i * 64, ours, 2);
			cycle(&m->b, count++, 0, t, i * 64, ours, 2);
		} else if (i == 5) {
			/* ...and a third time, finished, when the late node signals */
			cycle(&m->b, count++, 0, t, i * 64, ours, 2);
			cycle(&m->b, count++, 0, t, i * 64, fine, 2);
		} else if (i == 7) {
			cycle(&m->b, count++, 1, t, i * 64, theirs, 2);
		} else {
			cycle(&m->b, count++, i < 7 ? 0 : 2, t, i * 64, fine, 2);
		}
	}
	/* a cycle of another driver's graph, without our node */
	cycle(&m->b, count++, 9, t, 640, theirs + 1, 1);
	return message_end(m, size);
}

static void test_profile(void)
{
	static struct message m;
	struct lb_pw_tally t;
	const struct spa_pod *pod;
	size_t size;

	pod = stalled_run(&m, &size);
	memset(&t, 0, sizeof(t));
	is_int(lb_pw_profile_parse(pod, size, NODE, 0, UINT64_MAX, &t), 0, "a profiler message is read");
	is_int(t.records, 14, "every record is read");
	is_int(t.cycles, 10, "ten cycles: the records of one cycle count once");
	is_int(t.ours, 3, "three cycles found our node unfinished, whatever the records per cycle");
	is_int(t.others, 1, "one cycle found another node unfinished");
	is_str(t.others_names, "synth", "and names it");
	is_int(t.in_callback, 1, "one of them caught the node inside its callback");
	is_int(t.xrun_first, 0, "the driver's xrun counter at the first cycle");
	is_int(t.xrun_last, 2, "and at the last cycle of our graph");
	is_int(t.quantum, 64, "the driver's quantum");
	is_int(t.rate, 48000, "and rate");
	is_str(t.driver, "Dummy-Driver", "the driver's name");
	is_int(t.last_ns, 1000 * MS + 9 * PERIOD_NS, "the latest cycle with our node");

	/* a window: only the cycles that start in it */
	memset(&t, 0, sizeof(t));
	lb_pw_profile_parse(pod, size, NODE, 1000 * MS + 4 * PERIOD_NS, 1000 * MS + 6 * PERIOD_NS, &t);
	is_int(t.cycles, 2, "window: two cycles");
	is_int(t.ours, 2, "window: both unfinished by our node");
	is_int(t.last_ns, 1000 * MS + 9 * PERIOD_NS, "window: the latest cycle seen is still known");

	/* another node id: nothing is ours */
	memset(&t, 0, sizeof(t));
	lb_pw_profile_parse(pod, size, 7, 0, UINT64_MAX, &t);
	is_int(t.cycles, 0, "a node not in the graph: no cycle");

	/* messages that are not well-formed */
	memset(&t, 0, sizeof(t));
	is_int(lb_pw_profile_parse(pod, size - 8, NODE, 0, UINT64_MAX, &t), -EINVAL, "a truncated message is refused");
	is_int(t.bad, 1, "and counted");
	is_int(lb_pw_profile_parse(pod, 4, NODE, 0, UINT64_MAX, &t), -EINVAL, "less than a pod header");
	{
		uint64_t word = 0;

		is_int(lb_pw_profile_parse(&word, sizeof(word), NODE, 0, UINT64_MAX, &t), -EINVAL, "a pod that is no Struct");
	}
	{
		/* a clock struct one field short */
		static struct message bad;
		struct spa_pod_frame o;

		message_begin(&bad);
		spa_pod_builder_push_object(&bad.b, &o, SPA_TYPE_OBJECT_Profiler, 0);
		spa_pod_builder_prop(&bad.b, SPA_PROFILER_clock, 0);
		spa_pod_builder_add_struct(&bad.b, SPA_POD_Int(0), SPA_POD_Int(0), SPA_POD_String("c"), SPA_POD_Long(1));
		spa_pod_builder_pop(&bad.b, &o);
		pod = message_end(&bad, &size);
		memset(&t, 0, sizeof(t));
		is_int(lb_pw_profile_parse(pod, size, NODE, 0, UINT64_MAX, &t), -EINVAL, "a record with a short clock");
	}
}

static void test_ledger(void)
{
	struct lb_pw_ledger l = { 0 };
	char buf[96];

	is_int(lb_pw_ledger_parse("pid=1234 quantum=0 rate=44100", &l), 0, "a ledger");
	is_int(l.pid, 1234, "its pid");
	is_int(l.quantum, 0, "the quantum before");
	is_int(l.rate, 44100, "the rate before");
	lb_pw_ledger_format(&l, buf, sizeof(buf));
	is_str(buf, "pid=1234 quantum=0 rate=44100", "written as read");
	ok(lb_pw_ledger_parse("pid=1234 quantum=0", &l) < 0, "a field missing");
	ok(lb_pw_ledger_parse("pid=1234 quantum=0 rate=0 ", &l) < 0, "trailing blank");
	ok(lb_pw_ledger_parse("pid=1234 quantum=0 rate=0x", &l) < 0, "trailing garbage");
	ok(lb_pw_ledger_parse("quantum=0 pid=1 rate=0", &l) < 0, "fields out of order");
	ok(lb_pw_ledger_parse("pid=0 quantum=0 rate=0", &l) < 0, "pid 0");
	ok(lb_pw_ledger_parse("pid=-5 quantum=0 rate=0", &l) < 0, "a negative pid");
	ok(lb_pw_ledger_parse("pid=1 quantum=-1 rate=0", &l) < 0, "a negative quantum");
	ok(lb_pw_ledger_parse("pid=1  quantum=0 rate=0", &l) < 0, "two blanks");
	ok(lb_pw_ledger_parse("", &l) < 0, "empty");
	ok(lb_pw_ledger_parse("pid=99999999999999999999 quantum=0 rate=0", &l) < 0, "a pid out of range");
}

static void test_conf(void)
{
	static const char jack_conf[] =
		"[\n"
		"    #{ name = libpipewire-module-rt args = { rt.prio = 20 } }\n"
		"    { name = libpipewire-module-rt\n"
		"        args = {\n"
		"            #rt.prio = 88\n"
		"        }\n"
		"        flags = [ ifexists nofail ]\n"
		"    }\n"
		"    { name = libpipewire-module-protocol-native }\n"
		"]";
	struct lb_pw_rt_conf c;
	const char *s;

	is_int(lb_pw_conf_rt(jack_conf, strlen(jack_conf), &c), 0, "jack.conf's modules");
	is_int(c.listed, 1, "the RT module is listed");
	is_int(c.nofail, 1, "with nofail");
	is_int(c.rt_prio, -1, "a commented rt.prio is no rt.prio");
	s = "[ { name = \"libpipewire-module-rt\" args = { nice.level = -11 rt.prio = 70 rt.time.soft = -1 } } ]";
	lb_pw_conf_rt(s, strlen(s), &c);
	is_int(c.listed, 1, "quoted name");
	is_int(c.nofail, 0, "no flags");
	is_int(c.rt_prio, 70, "rt.prio among other args");
	s = "[ { name = libpipewire-module-protocol-native } { name = libpipewire-module-rtkit } ]";
	is_int(lb_pw_conf_rt(s, strlen(s), &c), 0, "modules without the RT one");
	is_int(c.listed, 0, "rtkit's module is not the RT module");
	s = "[ { name = libpipewire-module-rt args = \"rt.prio=20\" } 5 [ x ] ]";
	is_int(lb_pw_conf_rt(s, strlen(s), &c), 0, "args as a string, and things that are not modules");
	is_int(c.listed, 1, "the module is still found");
	is_int(c.rt_prio, -1, "args that are not an object give no priority");
	/* what SPA's own readers read past: a string ending in a backslash, a number ending the text */
	s = "[ { name = \"libpipewire-module-rt\\";
	ok(lb_pw_conf_rt(s, strlen(s), &c) >= -EINVAL, "a string that ends in a backslash stays inside the text");
	s = "[ { name = libpipewire-module-rt args = { rt.prio = 77";
	is_int(lb_pw_conf_rt(s, strlen(s), &c), 0, "a number at the very end");
	is_int(c.rt_prio, 77, "is read up to the end and no further");
	s = "[ { name = libpipewire-module-rt args = { rt.prio = 0x20z } } ]";
	lb_pw_conf_rt(s, strlen(s), &c);
	is_int(c.rt_prio, -1, "a priority that is no number is none");
	s = "{ name = libpipewire-module-rt }";
	is_int(lb_pw_conf_rt(s, strlen(s), &c), -EINVAL, "not an array");
	is_int(lb_pw_conf_rt("", 0, &c), -EINVAL, "empty");
}

static void test_rt_explain(void)
{
	struct lb_pw_rt rt = { .conf = "/usr/share/pipewire/jack.conf", .conf_read = 1, .rtprio_limit = 0,
			       .rt = { .rt_prio = -1 } };
	struct strbuf why = STRBUF_INIT, fix = STRBUF_INIT;

	lb_pw_rt_explain(&rt, 0, &why, &fix);
	is_str(why.buf, "/usr/share/pipewire/jack.conf does not load PipeWire's RT module (libpipewire-module-rt)",
	       "no RT module: why");
	ok(strstr(fix.buf, "add { name = libpipewire-module-rt"), "no RT module: the fix adds it");
	strbuf_reset(&why);
	strbuf_reset(&fix);
	rt.rt.listed = 1;
	lb_pw_rt_explain(&rt, 0, &why, &fix);
	is_str(why.buf, "PipeWire's RT module may not set SCHED_FIFO 88 itself (RLIMIT_RTPRIO 0, not root) and rtkit is "
	       "not installed", "limits and no rtkit: why");
	ok(strstr(fix.buf, "@audio - rtprio 95") && strstr(fix.buf, "apt-get install rtkit"), "the limits, or rtkit");
	strbuf_reset(&why);
	strbuf_reset(&fix);
	rt.rtkit_installed = 1;
	rt.system_bus = 1;
	lb_pw_rt_explain(&rt, 0, &why, &fix);
	is_str(why.buf, "PipeWire's RT module may not set SCHED_FIFO 88 itself (RLIMIT_RTPRIO 0, not root) and "
	       "rtkit-daemon is not running", "rtkit installed, not running");
	strbuf_reset(&why);
	strbuf_reset(&fix);
	rt.direct = 1;
	rt.root = 1;
	lb_pw_rt_explain(&rt, 1, &why, &fix);
	is_str(why.buf, "PipeWire's RT module (/usr/share/pipewire/jack.conf) gave it real-time priority directly, as root",
	       "real time: how");
	is_str(fix.buf, "", "and nothing to fix");
	strbuf_release(&why);
	strbuf_release(&fix);
}

/* The fuzzer's seeds: the messages built here, one a file. */
static int write_seeds(const char *dir)
{
	static struct message m;
	const struct spa_pod *pod;
	char path[4096];
	size_t size;
	FILE *fp;

	pod = stalled_run(&m, &size);
	snprintf(path, sizeof(path), "%s/stalled-run", dir);
	fp = fopen(path, "wb");
	if (!fp || fwrite(pod, 1, size, fp) != size || fclose(fp)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	test_profile();
	test_ledger();
	test_conf();
	test_rt_explain();
	return done_testing();
}
