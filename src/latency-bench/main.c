/* main.c - latency-bench's option parsing and subcommands; the only place that picks exit codes */
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
#include "compare.h"
#include "fs.h"
#include "load.h"
#include "lb.h"
#include "live.h"
#include "log.h"
#include "opt.h"
#include "plot.h"
#include "report.h"
#include "run.h"
#include "strbuf.h"
#include "syscheck.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif

enum { EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_ENV = 3 };
#define MAX_CPUS 4096

enum {
	OPT_PLANE = 256, OPT_CPUS, OPT_RATE, OPT_PERIOD, OPT_INTERVAL, OPT_DURATION, OPT_LOAD, OPT_LOAD_CMD,
	OPT_JSON, OPT_HISTOGRAM, OPT_HISTOGRAM_MAX, OPT_MAX_LATENCY, OPT_MAX_MISSED, OPT_LABEL, OPT_DSP_LOAD,
	OPT_VERSION, OPT_TITLE, OPT_DEVICE, OPT_CAPTURE_DEVICE, OPT_STREAM, OPT_PERIODS, OPT_ROUNDTRIP,
	OPT_START_SERVER, OPT_LIVE, OPT_BY, OPT_BY_LABEL, OPT_BASELINE, OPT_METRIC, OPT_TOLERANCE, OPT_JUNIT,
	OPT_HTML,
};

static const struct kb_option run_options[] = {
	{ "plane", OPT_PLANE, required_argument, "PLANE", "what to measure: timer (clock_nanosleep wakeups, no hardware), alsa, jack" },
	{ "cpus", OPT_CPUS, required_argument, "LIST", "CPUs to measure, e.g. 0-3,6 (default: every online CPU; alsa/jack: one CPU to pin to)" },
	{ "priority", 'p', required_argument, "N", "SCHED_FIFO priority of the measuring threads, 1-99 (default 80)" },
	{ "rate", OPT_RATE, required_argument, "HZ", "sample rate the period is counted in (default 48000)" },
	{ "period", OPT_PERIOD, required_argument, "FRAMES", "audio period: the wakeup interval (default 64)" },
	{ "periods", OPT_PERIODS, required_argument, "N", "alsa: periods per buffer (default 2)" },
	{ "device", OPT_DEVICE, required_argument, "PCM", "alsa: the PCM (default hw:0); jack: the server name" },
	{ "capture-device", OPT_CAPTURE_DEVICE, required_argument, "PCM", "alsa: capture PCM for duplex and --roundtrip (default: --device)" },
	{ "stream", OPT_STREAM, required_argument, "DIR", "alsa: playback, capture or duplex (default playback)" },
	{ "roundtrip", OPT_ROUNDTRIP, no_argument, NULL, "play a signal into a loopback and time its return (alsa, jack)" },
	{ "start-server", OPT_START_SERVER, required_argument, "DRIVER", "jack: start jackd with this driver (dummy) for the run" },
	{ "live", OPT_LIVE, no_argument, NULL, "a live ncurses view (q quits); plain lines without a terminal" },
	{ "interval", 'i', required_argument, "TIME", "wakeup interval instead of a period (1333us, 1ms; plain number: us)" },
	{ "duration", 'D', required_argument, "TIME", "how long to measure: 30s, 10m, 2h (default 60s)" },
	{ "load", OPT_LOAD, required_argument, "KINDS", "background load: messaging,cpu,memory,io or all" },
	{ "load-cmd", OPT_LOAD_CMD, required_argument, "CMD", "run CMD (with /bin/sh -c) as the background load" },
	{ "json", OPT_JSON, required_argument, "FILE", "write the result as JSON (schema latency-bench/1)" },
	{ "histogram", OPT_HISTOGRAM, required_argument, "FILE", "write cyclictest's histogram format" },
	{ "histogram-max", OPT_HISTOGRAM_MAX, required_argument, "US", "last microsecond bin of --histogram (default 10000)" },
	{ "max-latency", OPT_MAX_LATENCY, required_argument, "US", "exit 1 when any wakeup is later than this" },
	{ "max-missed", OPT_MAX_MISSED, required_argument, "N", "exit 1 when more than N periods are missed" },
	{ "dsp-load", OPT_DSP_LOAD, required_argument, "PCT", "share of each period the audio work needs (default 50)" },
	{ "label", OPT_LABEL, required_argument, "TEXT", "name of this result in plots and comparisons" },
	{ "quiet", 'q', no_argument, NULL, "no progress lines" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ "version", OPT_VERSION, no_argument, NULL, "show the version" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option check_options[] = {
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option plot_options[] = {
	{ "output", 'o', required_argument, "FILE", "the SVG to write" },
	{ "title", OPT_TITLE, required_argument, "TEXT", "plot title" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option compare_options[] = {
	{ "by", OPT_BY, required_argument, "KEY", "group the results by: release (system.kernel_release, the default) or label" },
	{ "label", OPT_BY_LABEL, no_argument, NULL, "the same as --by label" },
	{ "baseline", OPT_BASELINE, required_argument, "KEY", "the group the others are compared with (default: the first given)" },
	{ "metric", OPT_METRIC, required_argument, "NAME", "the figure of each run compared: p50, p99 (default), p999 or max" },
	{ "tolerance", OPT_TOLERANCE, required_argument, "PCT", "growth of the median that is not yet a regression (default 20)" },
	{ "junit", OPT_JUNIT, required_argument, "FILE", "write a JUnit XML report, a testcase per compared group" },
	{ "html", OPT_HTML, required_argument, "FILE", "write one HTML page: table, decisions, histograms, system checks" },
	{ "title", OPT_TITLE, required_argument, "TEXT", "heading of the HTML page and its plot" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

#define COMPARE_SYNOPSIS "latency-bench compare RESULT.json... [--by release|label] [--baseline KEY]\n" \
	"         [--metric p50|p99|p999|max] [--tolerance PCT] [--junit FILE] [--html FILE]"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: latency-bench [OPTIONS]            measure, judge and report\n"
		    "   or: latency-bench check                is this system set up for low-latency audio?\n"
		    "   or: latency-bench devices              sound cards, PCMs and their period and buffer limits\n"
		    "   or: latency-bench plot RESULT.json... -o FILE.svg\n"
		    "   or: latency-bench compare RESULT.json... [--junit FILE] [--html FILE]\n\n");
	opt_print_help(fp, run_options);
	fprintf(fp, "\nExit status: 0 ok, 1 a budget was exceeded (or check found warnings), 2 usage, 3 environment.\n");
}

static void usage_cmd(FILE *fp, const char *synopsis, const struct kb_option *opts)
{
	fprintf(fp, "usage: %s\n\n", synopsis);
	opt_print_help(fp, opts);
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

/* The command as typed, shell-quoted, for the record (caller frees). */
static char *command_line(char **argv)
{
	struct run_cmd rc = { .argv = (const char *const *)argv };

	return run_format(&rc);
}

static int bad_arg(const char *opt, const char *arg, const char *why)
{
	kb_error("invalid %s '%s': %s", opt, arg, why);
	return EXIT_USAGE;
}

static int write_out(const char *path, const struct strbuf *sb)
{
	/* FS_UNCHANGED (the file already holds exactly this) is a success too */
	int err = fs_write_atomic(path, sb->buf, sb->len, NULL);

	if (err < 0) {
		kb_error("cannot write '%s': %s", path, strerror(-err));
		return EXIT_ENV;
	}
	return 0;
}

/* Refuse before a long run, not after it, when a result file could not be written. */
static int check_writable(const char *path)
{
	char *dir;
	int ok;

	if (!path)
		return 0;
	dir = fs_dirname(path);
	ok = access(dir, W_OK) == 0;
	if (!ok)
		kb_error("cannot write '%s': %s", path, strerror(errno));
	free(dir);
	return ok ? 0 : EXIT_ENV;
}

/* leave the option loop with an exit code, freeing its tables */
#define FAIL(code)                 \
	do {                       \
		ret = (code);      \
		goto bad;          \
	} while (0)

static int cmd_run(int argc, char **argv)
{
	struct lb_run r = { 0 };
	struct lb_load load = { 0 };
	struct lb_syscheck_env env = { .root = "" };
	struct progress_state ps = { .tty = isatty(2), .last_decile = 0 };
	static unsigned char online[MAX_CPUS], want[MAX_CPUS];
	const char *json_path = NULL, *hist_path = NULL, *plane = "timer", *cpus_arg = NULL;
	const char *interval_arg = NULL;
	char loads[64], label[256];
	struct option *lo;
	char *so, *cmdline;
	long v;
	double d;
	int c, i, n, err, ret = EXIT_OK, have_period = 0, have_rate = 0, live = 0, audio;
	struct sigaction sa;

	r.priority = 80;
	r.rate = 48000;
	r.period = 64;
	r.duration_s = 60;
	r.dsp_load = 0.5;
	r.max_missed = -1;
	r.audio.periods = 2;
	r.audio.stream = "playback";
	opt_tables(run_options, &lo, &so);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			opt_tables_free(lo, so);
			return EXIT_OK;
		case OPT_VERSION:
			printf("latency-bench %s\n", KB_VERSION);
			opt_tables_free(lo, so);
			return EXIT_OK;
		case OPT_PLANE:
			plane = optarg;
			break;
		case OPT_CPUS:
			cpus_arg = optarg;
			break;
		case 'p':
			if (opt_parse_long(optarg, 1, 99, &v))
				FAIL(bad_arg("--priority", optarg, "expected a SCHED_FIFO priority from 1 to 99"));
			r.priority = (int)v;
			break;
		case OPT_RATE:
			if (opt_parse_long(optarg, 8000, 768000, &v))
				FAIL(bad_arg("--rate", optarg, "expected a sample rate from 8000 to 768000 Hz"));
			r.rate = (unsigned)v;
			have_rate = 1;
			break;
		case OPT_PERIOD:
			if (opt_parse_long(optarg, 8, 65536, &v))
				FAIL(bad_arg("--period", optarg, "expected a period from 8 to 65536 frames"));
			r.period = (unsigned)v;
			have_period = 1;
			break;
		case 'i':
			interval_arg = optarg;
			break;
		case 'D':
			if (opt_parse_duration(optarg, 0.1, 30 * 86400.0, &d))
				FAIL(bad_arg("--duration", optarg,
					       "expected a time from 0.1 s to 30 days such as 30s, 10m or 2h"));
			r.duration_s = d;
			break;
		case OPT_LOAD: {
			const char *bad = NULL;
			if (lb_load_parse(optarg, &r.load_kinds, &bad) < 0) {
				kb_error("invalid --load '%s': unknown load '%.*s' (known: messaging, cpu, memory, io, all, none)",
					 optarg, bad ? (int)strcspn(bad, ",") : 0, bad ? bad : "");
				FAIL(EXIT_USAGE);
			}
			break;
		}
		case OPT_LOAD_CMD:
			if (!*optarg)
				FAIL(bad_arg("--load-cmd", optarg, "empty command"));
			r.load_cmd = optarg;
			break;
		case OPT_JSON:
			json_path = optarg;
			break;
		case OPT_HISTOGRAM:
			hist_path = optarg;
			break;
		case OPT_HISTOGRAM_MAX:
			if (opt_parse_long(optarg, 1, 10000000, &v))
				FAIL(bad_arg("--histogram-max", optarg, "expected microseconds from 1 to 10000000"));
			r.hist_us_max = (unsigned)v;
			break;
		case OPT_MAX_LATENCY:
			if (opt_parse_double(optarg, 0.001, 1e9, &d))
				FAIL(bad_arg("--max-latency", optarg, "expected microseconds greater than 0"));
			r.max_latency_us = d;
			break;
		case OPT_MAX_MISSED:
			if (opt_parse_long(optarg, 0, 1000000000L, &v))
				FAIL(bad_arg("--max-missed", optarg, "expected a count of 0 or more"));
			r.max_missed = v;
			break;
		case OPT_DSP_LOAD:
			if (opt_parse_double(optarg, 0, 95, &d))
				FAIL(bad_arg("--dsp-load", optarg, "expected a percentage from 0 to 95"));
			r.dsp_load = d / 100.0;
			break;
		case OPT_LABEL:
			r.label = optarg;
			break;
		case OPT_DEVICE:
			if (!*optarg)
				FAIL(bad_arg("--device", optarg, "empty device name"));
			r.audio.device = optarg;
			break;
		case OPT_CAPTURE_DEVICE:
			if (!*optarg)
				FAIL(bad_arg("--capture-device", optarg, "empty device name"));
			r.audio.capture_device = optarg;
			break;
		case OPT_STREAM:
			if (!str_eq(optarg, "playback") && !str_eq(optarg, "capture") && !str_eq(optarg, "duplex"))
				FAIL(bad_arg("--stream", optarg, "expected playback, capture or duplex"));
			r.audio.stream = optarg;
			break;
		case OPT_PERIODS:
			if (opt_parse_long(optarg, 2, 32, &v))
				FAIL(bad_arg("--periods", optarg, "expected from 2 to 32 periods per buffer"));
			r.audio.periods = (unsigned)v;
			break;
		case OPT_ROUNDTRIP:
			r.audio.roundtrip = 1;
			break;
		case OPT_START_SERVER:
			if (!str_eq(optarg, "dummy"))
				FAIL(bad_arg("--start-server", optarg, "the driver jackd can run without hardware is dummy"));
			r.audio.start_server = optarg;
			break;
		case OPT_LIVE:
			live = 1;
			break;
		case 'q':
			ps.quiet = 1;
			break;
		default:
			usage(stderr);
			opt_tables_free(lo, so);
			return EXIT_USAGE;
		}
	}
	opt_tables_free(lo, so);
	if (0) {
bad:
		opt_tables_free(lo, so);
		return ret;
	}
	if (optind < argc) {
		kb_error("unknown command '%s' (commands: check, compare, devices, plot; see latency-bench -h)", argv[optind]);
		return EXIT_USAGE;
	}
	if (!str_eq(plane, "timer") && !str_eq(plane, "alsa") && !str_eq(plane, "jack")) {
		kb_error("invalid --plane '%s': unknown plane (known: timer, alsa, jack)", plane);
		return EXIT_USAGE;
	}
	audio = !str_eq(plane, "timer");
	if (!audio && (r.audio.device || r.audio.capture_device || r.audio.roundtrip || r.audio.start_server ||
		       r.audio.periods != 2 || !str_eq(r.audio.stream, "playback"))) {
		kb_error("--device, --capture-device, --stream, --periods, --roundtrip and --start-server are for "
			 "--plane alsa or jack");
		return EXIT_USAGE;
	}
	if (str_eq(plane, "jack") && (r.audio.capture_device || !str_eq(r.audio.stream, "playback") ||
				      r.audio.periods != 2)) {
		kb_error("--capture-device, --stream and --periods are ALSA settings: the JACK server has its own");
		return EXIT_USAGE;
	}
	if (str_eq(plane, "alsa") && r.audio.start_server) {
		kb_error("--start-server is for --plane jack");
		return EXIT_USAGE;
	}
	if (audio && interval_arg) {
		kb_error("--interval is for the timer plane: an audio plane's interval is --period at --rate");
		return EXIT_USAGE;
	}
	if (r.audio.roundtrip && str_eq(plane, "alsa")) {
		if (!str_eq(r.audio.stream, "playback") && !str_eq(r.audio.stream, "duplex")) {
			kb_error("--roundtrip plays and captures: it needs --stream duplex, not %s", r.audio.stream);
			return EXIT_USAGE;
		}
		r.audio.stream = "duplex";
	}
	if (str_eq(plane, "alsa") && !r.audio.device)
		r.audio.device = "hw:0";
	if (interval_arg) {
		if (have_period || have_rate) {
			kb_error("--interval and --rate/--period both set the wakeup interval: give one of them");
			return EXIT_USAGE;
		}
		/* like cyclictest, a plain number is microseconds */
		int plain = interval_arg[strspn(interval_arg, "0123456789.")] == '\0';
		if (opt_parse_duration(interval_arg, 0, 1e9, &d))
			return bad_arg("--interval", interval_arg, "expected a time such as 1000, 1333us or 2ms");
		if (plain)
			d *= 1e-6;
		/* compared in whole nanoseconds: 50e-6 s is not exactly representable */
		r.interval_ns = (uint64_t)(d * 1e9 + 0.5);
		if (r.interval_ns < 50000 || r.interval_ns > 1000000000ULL)
			return bad_arg("--interval", interval_arg, "expected from 50 us to 1 s");
		r.rate = r.period = 0;
	} else {
		r.interval_ns = (uint64_t)((double)r.period * 1e9 / r.rate + 0.5);
		if (r.interval_ns < 50000) {
			kb_error("invalid --period %u at --rate %u: a %.1f us period is below the 50 us this tool measures",
				 r.period, r.rate, r.interval_ns / 1e3);
			return EXIT_USAGE;
		}
		if (r.interval_ns > 1000000000ULL) {
			kb_error("invalid --period %u at --rate %u: a period longer than 1 s is not an audio period",
				 r.period, r.rate);
			return EXIT_USAGE;
		}
	}
	if (r.duration_s * 1e9 < (double)r.interval_ns) {
		kb_error("invalid --duration: %.3f s is shorter than one %.3f ms period", r.duration_s,
			 r.interval_ns / 1e6);
		return EXIT_USAGE;
	}
	if (hist_path && !r.hist_us_max)
		r.hist_us_max = 10000;
	if (!hist_path)
		r.hist_us_max = 0;

	if ((ret = check_writable(json_path)) || (ret = check_writable(hist_path)))
		return ret;

	n = online_cpus(online, MAX_CPUS);
	if (n <= 0) {
		kb_error("cannot read the CPUs this process may run on: %s", strerror(n ? -n : ENOENT));
		return EXIT_ENV;
	}
	if (cpus_arg) {
		char avail[256];
		err = opt_parse_cpulist(cpus_arg, MAX_CPUS, want);
		cpulist_text(online, MAX_CPUS, avail, sizeof(avail));
		if (err == -ERANGE || (!err && memchr(want, 1, MAX_CPUS) == NULL)) {
			kb_error("invalid --cpus '%s': no such CPU (this process may use %s)", cpus_arg, avail);
			return EXIT_USAGE;
		}
		if (err) {
			kb_error("invalid --cpus '%s': expected a list such as 0-3,6", cpus_arg);
			return EXIT_USAGE;
		}
		for (i = 0; i < MAX_CPUS; i++)
			if (want[i] && !online[i]) {
				kb_error("invalid --cpus '%s': CPU %d does not exist or is not allowed here (this process may use %s)",
					 cpus_arg, i, avail);
				return EXIT_USAGE;
			}
	} else
		memcpy(want, online, sizeof(want));
	r.cpus = xcalloc(MAX_CPUS, sizeof(int));
	if (audio) {
		/* one audio thread, as in an audio server: pinned only when asked */
		for (i = 0; i < MAX_CPUS && (!cpus_arg || !want[i]); i++)
			;
		if (cpus_arg && memchr(want + i + 1, 1, MAX_CPUS - (size_t)i - 1)) {
			kb_error("invalid --cpus '%s': the %s plane runs one audio thread: give one CPU to pin it to",
				 cpus_arg, plane);
			free(r.cpus);
			return EXIT_USAGE;
		}
		r.cpus[r.ncpus++] = cpus_arg ? i : -1;
	} else
		for (i = 0; i < MAX_CPUS; i++)
			if (want[i])
				r.cpus[r.ncpus++] = i;

	r.plane = plane;
	cmdline = command_line(argv);
	r.command = cmdline;
	err = lb_syscheck_run(&r.sys, &env);
	if (err)
		kb_warning("the system check could not read this system: %s", strerror(-err));
	lb_load_describe(r.load_kinds, loads, sizeof(loads));
	if (!r.label) {
		snprintf(label, sizeof(label), "%s %s%s%s%s", r.sys.kernel_release, plane,
			 r.load_kinds || r.load_cmd ? " +load " : "", r.load_kinds ? loads : "",
			 r.load_cmd ? (r.load_kinds ? ",cmd" : "cmd") : "");
		r.label = label;
	}
	if (lb_run_alloc(&r)) {
		kb_error("cannot allocate the histograms: %s", strerror(ENOMEM));
		free(r.cpus);
		free(cmdline);
		return EXIT_ENV;
	}
	{
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(r.started, sizeof(r.started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (r.load_kinds || r.load_cmd) {
		load.kinds = r.load_kinds;
		load.cmd = r.load_cmd;
		err = lb_load_start(&load);
		if (err) {
			kb_error("cannot start the background load: %s", strerror(-err));
			ret = EXIT_ENV;
			goto out;
		}
		if (!ps.quiet)
			kb_progress("LOAD", "%s%s%s%s", r.load_kinds ? loads : "", r.load_kinds && r.load_cmd ? ", " : "",
				    r.load_cmd ? "command: " : "", r.load_cmd ? r.load_cmd : "");
	}
	if (!ps.quiet && audio)
		kb_progress("RUN", "%s plane, %s, period %u frames at %u Hz (%.1f us), %.0f s", plane,
			    r.audio.start_server ? "a jackd with the dummy driver started for the run"
			    : r.audio.device ? r.audio.device : "the default server",
			    r.period, r.rate, r.interval_ns / 1e3, r.duration_s);
	else if (!ps.quiet)
		kb_progress("RUN", "%s plane, %d CPU%s, interval %.1f us, %.0f s", plane, r.ncpus, r.ncpus == 1 ? "" : "s",
			    r.interval_ns / 1e3, r.duration_s);
	if (live) {
		ps.live = lb_live_start(&r);
		if (ps.live)
			r.report_ns = LB_NSEC / 4;
	}
	if (str_eq(plane, "alsa"))
		err = lb_plane_alsa(&r, &stop_flag, progress, &ps);
	else if (str_eq(plane, "jack"))
		err = lb_plane_jack(&r, &stop_flag, progress, &ps);
	else
		err = lb_plane_timer(&r, &stop_flag, progress, &ps);
	if (ps.live) {
		lb_live_end(ps.live);
		ps.live = NULL;
	} else if (ps.tty && !ps.quiet)
		fprintf(stderr, "\n");
	if (r.load_kinds || r.load_cmd) {
		int st = -1;
		if (lb_load_stop(&load, &st) < 0)
			kb_warning("some load processes did not stop (process group %d)", (int)load.pgid);
		/* recorded as a shell would: the exit code, or 128 + the signal */
		if (st >= 0)
			r.load_cmd_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (err && audio && err != -ENODEV) {
		/* the device or server could not be used: nothing was measured, nothing is written */
		kb_error("%s", r.audio.error[0] ? r.audio.error : strerror(-err));
		ret = EXIT_ENV;
		goto out;
	}
	if (err == -ENODEV && audio) {
		/* the device went away mid-run: what was measured until then is still a result */
		kb_error("%s", r.audio.error[0] ? r.audio.error : strerror(-err));
		r.interrupted = 1;
		ret = EXIT_ENV;
	} else if (err) {
		kb_error("cannot start a measuring thread on CPU %d: %s", r.cpu[0].err ? r.cpu[0].cpu : -1,
			 strerror(-err));
		ret = EXIT_ENV;
		goto out;
	}
	if (!r.sched_fifo || !r.memory_locked) {
		struct rlimit rl;
		getrlimit(RLIMIT_RTPRIO, &rl);
		snprintf(r.note, sizeof(r.note), "not real-time:%s%s (RLIMIT_RTPRIO %ld); see 'latency-bench check'",
			 r.sched_fifo ? "" : " SCHED_FIFO was refused, measured as an ordinary process",
			 r.memory_locked ? "" : r.sched_fifo ? " memory could not be locked" : ", memory not locked",
			 rl.rlim_cur == RLIM_INFINITY ? -1L : (long)rl.rlim_cur);
		kb_warning("%s", r.note);
	}
	lb_run_finish(&r, (r.load_kinds || r.load_cmd) ? (r.load_cmd && !r.load_kinds ? r.load_cmd : loads) : NULL);

	lb_report_text(&r, stdout);
	fflush(stdout);
	if (json_path) {
		struct strbuf sb = STRBUF_INIT;
		lb_report_json(&r, KB_VERSION, &sb);
		if (write_out(json_path, &sb))
			ret = EXIT_ENV;
		strbuf_release(&sb);
	}
	if (hist_path) {
		struct strbuf sb = STRBUF_INIT;
		lb_report_cyclictest(&r, &sb);
		if (write_out(hist_path, &sb))
			ret = EXIT_ENV;
		strbuf_release(&sb);
	}
	if (ret == EXIT_OK && r.max_latency_us > 0 && r.merged.max_ns > r.max_latency_us * 1e3) {
		kb_error("budget exceeded: worst wakeup %.1f us late, --max-latency is %.1f us", r.merged.max_ns / 1e3,
			 r.max_latency_us);
		ret = EXIT_CHECK;
	}
	if (ret == EXIT_OK && r.max_missed >= 0 && lb_run_missed(&r) > (uint64_t)r.max_missed) {
		kb_error("budget exceeded: %llu missed periods, --max-missed is %lld",
			 (unsigned long long)lb_run_missed(&r), r.max_missed);
		ret = EXIT_CHECK;
	}
out:
	lb_run_free(&r);
	free(r.cpus);
	free(cmdline);
	return ret;
}

static int cmd_check(int argc, char **argv)
{
	struct lb_system *sys;
	struct lb_syscheck_env env = { .root = "" };
	struct option *lo;
	char *so;
	int c, err, warn;

	opt_tables(check_options, &lo, &so);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		opt_tables_free(lo, so);
		if (c == 'h') {
			usage_cmd(stdout, "latency-bench check", check_options);
			return EXIT_OK;
		}
		usage_cmd(stderr, "latency-bench check", check_options);
		return EXIT_USAGE;
	}
	opt_tables_free(lo, so);
	if (optind < argc) {
		kb_error("check takes no arguments: '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	sys = xcalloc(1, sizeof(*sys));
	err = lb_syscheck_run(sys, &env);
	if (err) {
		kb_error("cannot read this system: %s", strerror(-err));
		free(sys);
		return EXIT_ENV;
	}
	printf("kernel %s (%s), %s\n", sys->kernel_release, sys->machine, sys->preemption_model);
	lb_report_checks(sys, stdout);
	warn = lb_syscheck_warnings(sys);
	printf("%d warning%s\n", warn, warn == 1 ? "" : "s");
	free(sys);
	return warn ? EXIT_CHECK : EXIT_OK;
}

static int cmd_devices(int argc, char **argv)
{
	int n;

	if (argc > 1 && (str_eq(argv[1], "-h") || str_eq(argv[1], "--help"))) {
		printf("usage: latency-bench devices\n\nLists sound cards, their PCMs and the rates, channels, period and\n"
		       "buffer sizes each stream allows. Exit 3 when there is no sound card.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		kb_error("devices takes no arguments: '%s'", argv[1]);
		return EXIT_USAGE;
	}
	n = lb_alsa_devices(stdout);
	if (n < 0) {
		kb_error("cannot list sound cards: %s", strerror(-n));
		return EXIT_ENV;
	}
	if (n == 0) {
		kb_error("no sound card: the kernel has registered none (/proc/asound/cards is %s); "
			 "load a driver, or snd-dummy for a card without hardware",
			 access("/proc/asound/cards", R_OK) == 0 ? "empty" : "missing");
		return EXIT_ENV;
	}
	return EXIT_OK;
}

static int cmd_plot(int argc, char **argv)
{
	struct lb_plot_opts po = { 0 };
	struct strbuf svg = STRBUF_INIT;
	const char *out = NULL;
	const char **files = xcalloc((size_t)argc, sizeof(*files));
	int nfiles = 0;
	char errbuf[1024] = "";
	struct option *lo;
	char *so;
	int c, err, ret;

	opt_tables(plot_options, &lo, &so);
	/* options may come after the files: "plot a.json b.json -o p.svg" */
	while (optind < argc) {
		if ((c = getopt_long(argc, argv, so, lo, NULL)) == -1) {
			files[nfiles++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_TITLE:
			po.title = optarg;
			break;
		case 'h':
			opt_tables_free(lo, so);
			free(files);
			usage_cmd(stdout, "latency-bench plot RESULT.json... -o FILE.svg", plot_options);
			return EXIT_OK;
		default:
			opt_tables_free(lo, so);
			free(files);
			usage_cmd(stderr, "latency-bench plot RESULT.json... -o FILE.svg", plot_options);
			return EXIT_USAGE;
		}
	}
	opt_tables_free(lo, so);
	if (!nfiles || !out) {
		kb_error("plot needs at least one RESULT.json and -o FILE.svg");
		free(files);
		return EXIT_USAGE;
	}
	err = lb_plot_files(files, nfiles, &po, &svg, errbuf, sizeof(errbuf));
	free(files);
	if (err) {
		/* the library's message is a whole line: "FILE:LINE: error: ..." */
		if (errbuf[0])
			fprintf(stderr, "latency-bench: %s\n", errbuf);
		else
			kb_error("cannot plot: %s", strerror(-err));
		strbuf_release(&svg);
		return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
	}
	ret = write_out(out, &svg);
	strbuf_release(&svg);
	return ret;
}

static int cmd_compare(int argc, char **argv)
{
	struct lb_cmp cmp = { .o = { .by = LB_CMP_BY_RELEASE, .metric = LB_CMP_P99, .tolerance = 0.2 } };
	struct strbuf text = STRBUF_INIT, junit = STRBUF_INIT, html = STRBUF_INIT, warn = STRBUF_INIT;
	const char *junit_path = NULL, *html_path = NULL;
	const char **files = xcalloc((size_t)argc, sizeof(*files));
	int nfiles = 0;
	char errbuf[1024] = "";
	struct option *lo;
	char *so, *line, *save = NULL;
	double d;
	int c, err, ret = EXIT_OK;

	opt_tables(compare_options, &lo, &so);
	/* options may come after the files: "compare a.json b.json --junit r.xml" */
	while (optind < argc) {
		if ((c = getopt_long(argc, argv, so, lo, NULL)) == -1) {
			files[nfiles++] = argv[optind++];
			continue;
		}
		switch (c) {
		case OPT_BY:
			if (str_eq(optarg, "release") || str_eq(optarg, "kernel_release"))
				cmp.o.by = LB_CMP_BY_RELEASE;
			else if (str_eq(optarg, "label"))
				cmp.o.by = LB_CMP_BY_LABEL;
			else
				FAIL(bad_arg("--by", optarg, "expected release or label"));
			break;
		case OPT_BY_LABEL:
			cmp.o.by = LB_CMP_BY_LABEL;
			break;
		case OPT_BASELINE:
			cmp.o.baseline = optarg;
			break;
		case OPT_METRIC:
			if (lb_cmp_parse_metric(optarg, &cmp.o.metric))
				FAIL(bad_arg("--metric", optarg, "expected p50, p99, p999 or max"));
			break;
		case OPT_TOLERANCE:
			if (opt_parse_double(optarg, 0, 10000, &d))
				FAIL(bad_arg("--tolerance", optarg, "expected a percentage from 0 to 10000"));
			cmp.o.tolerance = d / 100;
			break;
		case OPT_JUNIT:
			junit_path = optarg;
			break;
		case OPT_HTML:
			html_path = optarg;
			break;
		case OPT_TITLE:
			cmp.o.title = optarg;
			break;
		case 'h':
			opt_tables_free(lo, so);
			free(files);
			usage_cmd(stdout, COMPARE_SYNOPSIS, compare_options);
			return EXIT_OK;
		default:
			opt_tables_free(lo, so);
			free(files);
			usage_cmd(stderr, COMPARE_SYNOPSIS, compare_options);
			return EXIT_USAGE;
		}
	}
	opt_tables_free(lo, so);
	if (0) {
bad:
		opt_tables_free(lo, so);
		free(files);
		return ret;
	}
	if (nfiles < 2) {
		kb_error("compare needs the results of at least two kernels: RESULT.json RESULT.json...");
		free(files);
		return EXIT_USAGE;
	}
	/* every input is read and judged before anything is written */
	for (int i = 0; i < nfiles && !ret; i++) {
		err = lb_cmp_add_file(&cmp, files[i], errbuf, sizeof(errbuf));
		if (err) {
			/* the library's message is a whole line: "FILE:LINE: error: ..." */
			fprintf(stderr, "latency-bench: %s\n", errbuf);
			ret = EXIT_USAGE;
		}
	}
	free(files);
	if (!ret && lb_cmp_analyse(&cmp, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "latency-bench: %s\n", errbuf);
		ret = EXIT_USAGE;
	}
	if (ret) {
		lb_cmp_free(&cmp);
		return ret;
	}
	lb_cmp_warnings(&cmp, &warn);
	for (line = strtok_r(warn.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		kb_warning("%s", line);
	lb_cmp_text(&cmp, &text);
	if (junit_path)
		lb_cmp_junit(&cmp, &junit);
	if (html_path)
		lb_cmp_html(&cmp, &html);
	fwrite(text.buf, 1, text.len, stdout);
	fflush(stdout);
	if (cmp.nregressed)
		ret = EXIT_CHECK;
	/* a report CI cannot read outweighs the decision: exit 3 */
	if (junit_path && write_out(junit_path, &junit))
		ret = EXIT_ENV;
	if (html_path && write_out(html_path, &html))
		ret = EXIT_ENV;
	strbuf_release(&text);
	strbuf_release(&junit);
	strbuf_release(&html);
	strbuf_release(&warn);
	lb_cmp_free(&cmp);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc > 1 && str_eq(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (argc > 1 && str_eq(argv[1], "plot"))
		return cmd_plot(argc - 1, argv + 1);
	if (argc > 1 && str_eq(argv[1], "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (argc > 1 && str_eq(argv[1], "devices"))
		return cmd_devices(argc - 1, argv + 1);
	return cmd_run(argc, argv);
}
