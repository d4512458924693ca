/* run.c - one measurement: options checked together, system check, signals, load, the plane table, reports, budgets */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fs.h"
#include "lb.h"
#include "live.h"
#include "load.h"
#include "log.h"
#include "opt.h"
#include "report.h"
#include "result.h"
#include "run.h" /* lib/run.h: run_format; latency-bench has no run.h of its own */
#include "status.h"
#include "strbuf.h"
#include "syscheck.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif

#define MAX_CPUS 4096

typedef int (*measure_fn)(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data);

/* What differs between the planes. */
struct plane {
	const char *name;
	/* one audio thread on a device or server (pinned only when asked); else one thread per CPU */
	int audio;
	/* the audio options of r->audio for this plane: KB_OK, or KB_EUSAGE after saying why */
	int (*check)(struct lb_run *r, const struct lb_run_opts *o);
	measure_fn measure;
};

static int timer_check(struct lb_run *r, const struct lb_run_opts *o)
{
	(void)o;
	if (r->audio.device || r->audio.capture_device || r->audio.roundtrip || r->audio.start_server ||
	    r->audio.force_quantum || r->audio.periods != 2 || !str_eq(r->audio.stream, "playback")) {
		kb_error("--device, --capture-device, --stream, --periods, --roundtrip, --start-server and "
			 "--force-quantum are for --plane alsa or jack");
		return KB_EUSAGE;
	}
	return KB_OK;
}

static int audio_check_interval(const struct lb_run_opts *o)
{
	if (o->interval) {
		kb_error("--interval is for the timer plane: an audio plane's interval is --period at --rate");
		return KB_EUSAGE;
	}
	return KB_OK;
}

static int alsa_check(struct lb_run *r, const struct lb_run_opts *o)
{
	if (r->audio.start_server || r->audio.force_quantum) {
		kb_error("--start-server and --force-quantum are for --plane jack");
		return KB_EUSAGE;
	}
	if (audio_check_interval(o))
		return KB_EUSAGE;
	if (r->audio.roundtrip) {
		if (!str_eq(r->audio.stream, "playback") && !str_eq(r->audio.stream, "duplex")) {
			kb_error("--roundtrip plays and captures: it needs --stream duplex, not %s", r->audio.stream);
			return KB_EUSAGE;
		}
		r->audio.stream = "duplex";
	}
	if (!r->audio.device)
		r->audio.device = "hw:0";
	return KB_OK;
}

static int jack_check(struct lb_run *r, const struct lb_run_opts *o)
{
	struct strbuf err = STRBUF_INIT;

	if (r->audio.capture_device || !str_eq(r->audio.stream, "playback") || r->audio.periods != 2) {
		kb_error("--capture-device, --stream and --periods are ALSA settings: the JACK server has its own");
		return KB_EUSAGE;
	}
	if (r->audio.force_quantum && r->audio.start_server) {
		kb_error("--force-quantum is for a server that runs already: --start-server starts one at --period");
		return KB_EUSAGE;
	}
	if (audio_check_interval(o))
		return KB_EUSAGE;
	/* a server started for the run runs at the period and rate asked, given or not */
	r->audio.period_asked = o->period || r->audio.start_server;
	r->audio.rate_asked = o->rate || r->audio.start_server;
	if (r->audio.force_quantum && !o->period && !o->rate) {
		kb_error("--force-quantum forces the --period (and --rate) asked for: give --period");
		return KB_EUSAGE;
	}
	/* before anything runs: this process again, with PipeWire's libjack (as pw-jack would) */
	if (r->audio.start_server && str_eq(r->audio.start_server, "pipewire") && lb_jack_use_pipewire(o->argv, &err)) {
		kb_error("%s", err.buf);
		strbuf_release(&err);
		return KB_EENV;
	}
	return KB_OK;
}

static const struct plane planes[] = {
	{ "timer", 0, timer_check, lb_plane_timer },
	{ "alsa", 1, alsa_check, lb_plane_alsa },
	{ "jack", 1, jack_check, lb_plane_jack },
};

static const struct plane *find_plane(const char *name)
{
	struct strbuf known = STRBUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(planes); i++)
		if (str_eq(planes[i].name, name))
			return &planes[i];
	for (size_t i = 0; i < ARRAY_SIZE(planes); i++)
		strbuf_addf(&known, "%s%s", i ? ", " : "", planes[i].name);
	kb_error("invalid --plane '%s': unknown plane (known: %s)", name, known.buf);
	strbuf_release(&known);
	return NULL;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct progress_state {
	int tty;
	int quiet;
	int last_decile;
	struct lb_live *live;
};

static void progress(const struct lb_run *r, double t, void *data)
{
	struct progress_state *ps = data;
	uint64_t max = 0;
	int i, decile;

	if (ps->live) {
		if (lb_live_update(ps->live, r, t))
			stop_flag = 1; /* q */
		return;
	}
	if (ps->quiet)
		return;
	for (i = 0; i < r->ncpus; i++) {
		uint64_t m = __atomic_load_n(&r->cpu[i].hist.max_ns, __ATOMIC_RELAXED);
		if (m > max)
			max = m;
	}
	decile = (int)(10.0 * t / r->duration_s);
	if (ps->tty) {
		fprintf(stderr, "\r  RUN     %.0f s / %.0f s, %llu samples, max %.1f us, %llu missed   ", t, r->duration_s,
			(unsigned long long)lb_run_samples(r), max / 1e3, (unsigned long long)lb_run_missed(r));
		fflush(stderr);
	} else if (decile > ps->last_decile && decile < 10) {
		ps->last_decile = decile;
		kb_progress("RUN", "%d%% %.0f s / %.0f s, %llu samples, max %.1f us, %llu missed", decile * 10, t,
			    r->duration_s, (unsigned long long)lb_run_samples(r), max / 1e3,
			    (unsigned long long)lb_run_missed(r));
	}
}

static int bad_arg(const char *opt, const char *arg, const char *why)
{
	kb_error("invalid %s '%s': %s", opt, arg, why);
	return KB_EUSAGE;
}

int lb_write_out(const char *path, const struct strbuf *sb)
{
	/* FS_UNCHANGED (the file already holds exactly this) is a success too */
	int err = fs_write_atomic(path, sb->buf, sb->len, NULL);

	if (err < 0) {
		if (str_eq(path, "-"))
			kb_error("cannot write to standard output: %s", strerror(-err));
		else
			kb_error("cannot write '%s': %s", path, strerror(-err));
		return KB_EENV;
	}
	return KB_OK;
}

/* Refuse before a long run, not after it, when a result file could not be written. */
static int check_writable(const char *path)
{
	int err = path ? fs_check_writable(path) : 0;

	if (err < 0) {
		kb_error("cannot write '%s': %s", path, strerror(-err));
		return KB_EENV;
	}
	return KB_OK;
}

/* The wakeup interval: --interval, or --period at --rate. */
static int set_interval(struct lb_run *r, const struct lb_run_opts *o)
{
	const char *arg = o->interval;
	double d;

	if (!arg) {
		r->interval_ns = (uint64_t)((double)r->period * 1e9 / r->rate + 0.5);
		if (r->interval_ns < 50000) {
			kb_error("invalid --period %u at --rate %u: a %.1f us period is below the 50 us this tool measures",
				 r->period, r->rate, r->interval_ns / 1e3);
			return KB_EUSAGE;
		}
		if (r->interval_ns > 1000000000ULL) {
			kb_error("invalid --period %u at --rate %u: a period longer than 1 s is not an audio period",
				 r->period, r->rate);
			return KB_EUSAGE;
		}
		return KB_OK;
	}
	if (o->period || o->rate) {
		kb_error("--interval and --rate/--period both set the wakeup interval: give one of them");
		return KB_EUSAGE;
	}
	if (opt_parse_duration(arg, 0, 1e9, &d))
		return bad_arg("--interval", arg, "expected a time such as 1000, 1333us or 2ms");
	/* like cyclictest, a plain number is microseconds */
	if (arg[strspn(arg, "0123456789.")] == '\0')
		d *= 1e-6;
	/* compared in whole nanoseconds: 50e-6 s is not exactly representable */
	r->interval_ns = (uint64_t)(d * 1e9 + 0.5);
	if (r->interval_ns < 50000 || r->interval_ns > 1000000000ULL)
		return bad_arg("--interval", arg, "expected from 50 us to 1 s");
	r->rate = r->period = 0;
	return KB_OK;
}

/* The run's parameters from the options, every combination checked: KB_OK or KB_EUSAGE. */
static int set_params(struct lb_run *r, const struct lb_run_opts *o, const struct plane *pl)
{
	int ret;

	r->plane = pl->name;
	r->priority = o->priority;
	r->rate = o->rate ? o->rate : 48000;
	r->period = o->period ? o->period : 64;
	r->duration_s = o->duration_s;
	r->load_kinds = o->load_kinds;
	r->load_cmd = o->load_cmd;
	r->max_latency_us = o->max_latency_us;
	r->max_missed = o->max_missed;
	r->dsp_load = o->dsp_load_pct / 100.0;
	r->label = o->label;
	r->audio.device = o->device;
	r->audio.capture_device = o->capture_device;
	r->audio.stream = o->stream;
	r->audio.periods = o->periods;
	r->audio.roundtrip = o->roundtrip;
	r->audio.start_server = o->start_server;
	r->audio.force_quantum = o->force_quantum;
	if ((ret = pl->check(r, o)) || (ret = set_interval(r, o)))
		return ret;
	if (r->duration_s * 1e9 < (double)r->interval_ns) {
		kb_error("invalid --duration: %.3f s is shorter than one %.3f ms period", r->duration_s,
			 r->interval_ns / 1e6);
		return KB_EUSAGE;
	}
	/* a wakeup is analysed for its causes when it is later than the budget of a buffer of two
	 * such periods with the DSP load's work in it, or --threshold */
	r->causes_wanted = !o->no_causes;
	r->causes.threshold_ns = (uint64_t)((1.0 - r->dsp_load) * (double)r->interval_ns);
	if (o->threshold) {
		double d;
		if (opt_parse_duration(o->threshold, 0, 1e9, &d) || d <= 0)
			return bad_arg("--threshold", o->threshold, "expected a time such as 100us or 1ms");
		if (o->threshold[strspn(o->threshold, "0123456789.")] == '\0')
			d *= 1e-6; /* like --interval, a plain number is microseconds */
		if (d > 10)
			return bad_arg("--threshold", o->threshold, "expected a time such as 100us or 1ms");
		r->causes.threshold_ns = (uint64_t)(d * 1e9 + 0.5);
		r->threshold_given = 1;
		if (!r->causes.threshold_ns)
			return bad_arg("--threshold", o->threshold, "expected at least 1 ns");
	}
	/* cyclictest's histogram only when it is written */
	r->hist_us_max = !o->histogram ? 0 : o->hist_us_max ? o->hist_us_max : 10000;
	return KB_OK;
}

static int online_cpus(unsigned char *set, unsigned max)
{
	cpu_set_t mask;
	unsigned i;
	int n = 0;

	if (sched_getaffinity(0, sizeof(mask), &mask) < 0)
		return -errno;
	for (i = 0; i < max && i < CPU_SETSIZE; i++) {
		set[i] = CPU_ISSET(i, &mask) ? 1 : 0;
		n += set[i];
	}
	return n;
}

static void cpulist_text(const unsigned char *set, unsigned max, char *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned i = 0;

	while (i < max) {
		unsigned j;
		if (!set[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < max && set[j + 1]; j++)
			;
		if (sb.len)
			strbuf_addch(&sb, ',');
		if (j == i)
			strbuf_addf(&sb, "%u", i);
		else
			strbuf_addf(&sb, "%u-%u", i, j);
		i = j + 1;
	}
	snprintf(buf, len, "%s", sb.len ? sb.buf : "none");
	strbuf_release(&sb);
}

/* r->cpus from --cpus and the CPUs this process may use: KB_OK, KB_EUSAGE or KB_EENV. */
static int pick_cpus(struct lb_run *r, const char *cpus_arg, const struct plane *pl)
{
	static unsigned char online[MAX_CPUS], want[MAX_CPUS];
	int i, n, err;

	n = online_cpus(online, MAX_CPUS);
	if (n <= 0) {
		kb_error("cannot read the CPUs this process may run on: %s", strerror(n ? -n : ENOENT));
		return KB_EENV;
	}
	if (cpus_arg) {
		char avail[256];
		err = opt_parse_cpulist(cpus_arg, MAX_CPUS, want);
		cpulist_text(online, MAX_CPUS, avail, sizeof(avail));
		if (err == -ERANGE || (!err && memchr(want, 1, MAX_CPUS) == NULL)) {
			kb_error("invalid --cpus '%s': no such CPU (this process may use %s)", cpus_arg, avail);
			return KB_EUSAGE;
		}
		if (err) {
			kb_error("invalid --cpus '%s': expected a list such as 0-3,6", cpus_arg);
			return KB_EUSAGE;
		}
		for (i = 0; i < MAX_CPUS; i++)
			if (want[i] && !online[i]) {
				kb_error("invalid --cpus '%s': CPU %d does not exist or is not allowed here (this process may use %s)",
					 cpus_arg, i, avail);
				return KB_EUSAGE;
			}
	} else
		memcpy(want, online, sizeof(want));
	r->cpus = xcalloc(MAX_CPUS, sizeof(int));
	if (pl->audio) {
		/* one audio thread, as in an audio server: pinned only when asked */
		for (i = 0; i < MAX_CPUS && (!cpus_arg || !want[i]); i++)
			;
		if (cpus_arg && memchr(want + i + 1, 1, MAX_CPUS - (size_t)i - 1)) {
			kb_error("invalid --cpus '%s': the %s plane runs one audio thread: give one CPU to pin it to",
				 cpus_arg, pl->name);
			return KB_EUSAGE;
		}
		r->cpus[r->ncpus++] = cpus_arg ? i : -1;
	} else
		for (i = 0; i < MAX_CPUS; i++)
			if (want[i])
				r->cpus[r->ncpus++] = i;
	return KB_OK;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * The plane's measurement with the load around it and the progress it shows. KB_OK with the
 * samples in r (also when an audio device went away mid-run: then r->interrupted and *lost),
 * or KB_EENV after saying why when nothing was measured.
 */
static int measure(struct lb_run *r, const struct lb_run_opts *o, const struct plane *pl, const char *loads,
		   int *lost)
{
	struct lb_load load = { 0 };
	struct progress_state ps = { .tty = isatty(2), .quiet = o->quiet, .last_decile = 0 };
	int err;

	if (r->load_kinds || r->load_cmd) {
		load.kinds = r->load_kinds;
		load.cmd = r->load_cmd;
		err = lb_load_start(&load);
		if (err) {
			kb_error("cannot start the background load: %s", strerror(-err));
			return KB_EENV;
		}
		if (!ps.quiet)
			kb_progress("LOAD", "%s%s%s%s", r->load_kinds ? loads : "", r->load_kinds && r->load_cmd ? ", " : "",
				    r->load_cmd ? "command: " : "", r->load_cmd ? r->load_cmd : "");
	}
	if (!ps.quiet && pl->audio && str_eq(pl->name, "jack") && !r->audio.period_asked)
		kb_progress("RUN", "%s plane, %s, at the period the server runs, %.0f s", pl->name,
			    r->audio.device ? r->audio.device : "the default server", r->duration_s);
	else if (!ps.quiet && pl->audio)
		kb_progress("RUN", "%s plane, %s, period %u frames at %u Hz (%.1f us), %.0f s", pl->name,
			    !r->audio.start_server ? (r->audio.device ? r->audio.device : "the default server")
			    : str_eq(r->audio.start_server, "pipewire") ? "a private PipeWire with its dummy driver started for the run"
			    : "a jackd with the dummy driver started for the run",
			    r->period, r->rate, r->interval_ns / 1e3, r->duration_s);
	else if (!ps.quiet)
		kb_progress("RUN", "%s plane, %d CPU%s, interval %.1f us, %.0f s", pl->name, r->ncpus,
			    r->ncpus == 1 ? "" : "s", r->interval_ns / 1e3, r->duration_s);
	if (o->live) {
		ps.live = lb_live_start(r);
		if (ps.live)
			r->report_ns = LB_NSEC / 4;
	}
	err = pl->measure(r, &stop_flag, progress, &ps);
	if (ps.live) {
		lb_live_end(ps.live);
		ps.live = NULL;
	} else if (ps.tty && !ps.quiet)
		fprintf(stderr, "\n");
	if (r->load_kinds || r->load_cmd) {
		int st = -1;
		if (lb_load_stop(&load, &st) < 0)
			kb_warning("some load processes did not stop (process group %d)", (int)load.pgid);
		/* recorded as a shell would: the exit code, or 128 + the signal */
		if (st >= 0)
			r->load_cmd_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if ((err == -ENODEV || err == -ESTALE) && pl->audio) {
		/* the device went away, or the server changed the period, mid-run: what was measured
		 * until then is still a result */
		kb_error("%s", r->audio.error[0] ? r->audio.error : strerror(-err));
		r->interrupted = 1;
		*lost = 1;
	} else if (err && pl->audio) {
		/* the device or server could not be used: nothing was measured, nothing is written */
		kb_error("%s", r->audio.error[0] ? r->audio.error : strerror(-err));
		return KB_EENV;
	} else if (err) {
		kb_error("cannot start a measuring thread on CPU %d: %s", r->cpu[0].err ? r->cpu[0].cpu : -1,
			 strerror(-err));
		return KB_EENV;
	}
	return KB_OK;
}

/* The note and warning of a run that was not real-time. */
static void note_not_realtime(struct lb_run *r)
{
	struct rlimit rl;

	if (r->sched_fifo && r->memory_locked)
		return;
	/* stopped before the first sample (Ctrl-C while a server did not answer): nothing ran to judge */
	if (r->interrupted && !lb_run_samples(r))
		return;
	if (!r->sched_fifo && r->audio.rt_why[0]) {
		/* PipeWire's JACK: its own RT module decides, not our SCHED_FIFO request */
		snprintf(r->note, sizeof(r->note), "not real-time: the JACK process thread runs SCHED_OTHER: %.300s; fix: %.350s",
			 r->audio.rt_why, r->audio.rt_fix);
		kb_warning("%s", r->note);
		return;
	}
	getrlimit(RLIMIT_RTPRIO, &rl);
	snprintf(r->note, sizeof(r->note), "not real-time:%s%s (RLIMIT_RTPRIO %ld); see 'latency-bench check'",
		 r->sched_fifo ? "" : " SCHED_FIFO was refused, measured as an ordinary process",
		 r->memory_locked ? "" : r->sched_fifo ? " memory could not be locked" : ", memory not locked",
		 rl.rlim_cur == RLIM_INFINITY ? -1L : (long)rl.rlim_cur);
	kb_warning("%s", r->note);
}

/* The text on stdout and the files asked for: KB_OK or KB_EENV. */
static int write_reports(const struct lb_run *r, const struct lb_run_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = KB_OK;

	/* a result written to standard output is read by a program: the text goes aside */
	lb_report_text(r, fs_names_stdout(o->json) || fs_names_stdout(o->histogram) ? stderr : stdout);
	fflush(stdout);
	if (o->json) {
		lb_result_write(r, KB_VERSION, &sb);
		if (lb_write_out(o->json, &sb))
			ret = KB_EENV;
	}
	if (o->histogram) {
		strbuf_reset(&sb);
		lb_report_cyclictest(r, &sb);
		if (lb_write_out(o->histogram, &sb))
			ret = KB_EENV;
	}
	strbuf_release(&sb);
	return ret;
}

/* --max-latency and --max-missed: KB_OK, or KB_FAILED after saying which was exceeded. */
static int check_budgets(const struct lb_run *r)
{
	if (r->max_latency_us > 0 && r->merged.max_ns > r->max_latency_us * 1e3) {
		kb_error("budget exceeded: worst wakeup %.1f us late, --max-latency is %.1f us", r->merged.max_ns / 1e3,
			 r->max_latency_us);
		return KB_FAILED;
	}
	if (r->max_missed >= 0 && lb_run_missed(r) > (uint64_t)r->max_missed) {
		kb_error("budget exceeded: %llu missed periods, --max-missed is %lld",
			 (unsigned long long)lb_run_missed(r), r->max_missed);
		return KB_FAILED;
	}
	return KB_OK;
}

int lb_run_main(const struct lb_run_opts *o)
{
	struct lb_run r = { 0 };
	struct lb_syscheck_env env = { .root = "" };
	struct run_cmd rc = { .argv = (const char *const *)o->argv };
	const struct plane *pl = find_plane(o->plane);
	char loads[64], label[256], *cmdline = NULL;
	int err, ret, lost = 0;

	if (!pl)
		return KB_EUSAGE;
	if ((ret = set_params(&r, o, pl)) || (ret = check_writable(o->json)) || (ret = check_writable(o->histogram)) ||
	    (ret = pick_cpus(&r, o->cpus, pl)))
		goto out;

	cmdline = run_format(&rc); /* the command as typed, shell-quoted, for the record */
	r.command = cmdline;
	err = lb_syscheck_run(&r.sys, &env);
	if (err)
		kb_warning("the system check could not read this system: %s", strerror(-err));
	lb_load_describe(r.load_kinds, loads, sizeof(loads));
	if (!r.label) {
		snprintf(label, sizeof(label), "%s %s%s%s%s", r.sys.kernel_release, pl->name,
			 r.load_kinds || r.load_cmd ? " +load " : "", r.load_kinds ? loads : "",
			 r.load_cmd ? (r.load_kinds ? ",cmd" : "cmd") : "");
		r.label = label;
	}
	if (lb_run_alloc(&r)) {
		kb_error("cannot allocate the histograms: %s", strerror(ENOMEM));
		ret = KB_EENV;
		goto out;
	}
	{
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(r.started, sizeof(r.started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	catch_signals();
	if ((ret = measure(&r, o, pl, loads, &lost)))
		goto out;
	if (!r.causes.available && !r.causes.unavailable[0])
		lb_causes_not_run(&r);
	note_not_realtime(&r);
	lb_run_finish(&r, (r.load_kinds || r.load_cmd) ? (r.load_cmd && !r.load_kinds ? r.load_cmd : loads) : NULL);
	ret = write_reports(&r, o);
	if (lost)
		ret = KB_EENV;
	if (ret == KB_OK)
		ret = check_budgets(&r);
out:
	lb_run_free(&r);
	free(r.cpus);
	free(cmdline);
	return ret;
}
