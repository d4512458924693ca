/* main.c - latency-bench's command table and option tables; the only place that picks exit codes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compare.h"
#include "fs.h"
#include "lb.h"
#include "load.h"
#include "log.h"
#include "opt.h"
#include "pipewire.h"
#include "plot.h"
#include "report.h"
#include "status.h"
#include "strbuf.h"
#include "syscheck.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif

static int cmd_check(int argc, char **argv);
static int cmd_compare(int argc, char **argv);
static int cmd_devices(int argc, char **argv);
static int cmd_plot(int argc, char **argv);

/* Without a command latency-bench measures (cmd_run); "unknown command" lists these in this order. */
static const struct kb_command commands[] = {
	{ "check", cmd_check, "is this system set up for low-latency audio?" },
	{ "compare", cmd_compare, "RESULT.json...: did the latency of a kernel get worse? (--junit, --html)" },
	{ "devices", cmd_devices, "sound cards, PCMs and their period and buffer limits" },
	{ "plot", cmd_plot, "RESULT.json... -o FILE.svg: the results' histograms (or --over-time) as one SVG" },
};

/* ---- latency-bench [OPTIONS]: measure ---- */

static int set_load(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	const char *bad = NULL;

	if (lb_load_parse(arg, opt->value, &bad) < 0) {
		strbuf_addf(err, "invalid --load '%s': unknown load '%.*s' (known: messaging, cpu, memory, io, all, none)",
			    arg, bad ? (int)strcspn(bad, ",") : 0, bad ? bad : "");
		return -EINVAL;
	}
	return 0;
}

/* a string that must not be empty; `why` is said when it is */
static int set_nonempty(const struct kb_option *opt, const char *arg, const char *why, struct strbuf *err)
{
	if (!*arg) {
		strbuf_addf(err, "invalid --%s '%s': %s", opt->long_name, arg, why);
		return -EINVAL;
	}
	*(const char **)opt->value = arg;
	return 0;
}

static int set_load_cmd(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	return set_nonempty(opt, arg, "empty command", err);
}

static int set_device(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	return set_nonempty(opt, arg, "empty device name", err);
}

static int set_stream(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (!str_eq(arg, "playback") && !str_eq(arg, "capture") && !str_eq(arg, "duplex")) {
		strbuf_addf(err, "invalid --stream '%s': expected playback, capture or duplex", arg);
		return -EINVAL;
	}
	*(const char **)opt->value = arg;
	return 0;
}

static int set_start_server(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (!str_eq(arg, "dummy") && !str_eq(arg, "pipewire")) {
		strbuf_addf(err, "invalid --start-server '%s': expected dummy (jackd with its dummy driver) or pipewire "
			    "(a private headless PipeWire)", arg);
		return -EINVAL;
	}
	*(const char **)opt->value = arg;
	return 0;
}

static void usage(FILE *fp, const struct kb_option *opts)
{
	fprintf(fp, "usage: latency-bench [OPTIONS]            measure, judge and report\n"
		    "   or: latency-bench COMMAND [ARGS]\n\nCommands:\n");
	opt_print_commands(fp, commands, ARRAY_SIZE(commands));
	fprintf(fp, "\nOptions:\n");
	opt_print_help(fp, opts);
	fprintf(fp, "\nExit status: 0 ok, 1 a budget was exceeded (or check found warnings), 2 usage, 3 environment.\n");
}

static int cmd_run(int argc, char **argv)
{
	struct lb_run_opts o = LB_RUN_OPTS_INIT;
	struct strbuf err = STRBUF_INIT, names = STRBUF_INIT;
	int version = 0, first, ret = KB_OK;
	const struct kb_option options[] = {
		OPT_STRING(0, "plane", &o.plane, "PLANE",
			   "what to measure: timer (clock_nanosleep wakeups, no hardware), alsa, jack"),
		OPT_STRING(0, "cpus", &o.cpus, "LIST",
			   "CPUs to measure, e.g. 0-3,6 (default: every online CPU; alsa/jack: one CPU to pin to)"),
		OPT_INT('p', "priority", &o.priority, "N", "SCHED_FIFO priority of the measuring threads, 1-99 (default 80)",
			1, 99, "a SCHED_FIFO priority from 1 to 99"),
		OPT_UINT(0, "rate", &o.rate, "HZ", "sample rate the period is counted in (default 48000)",
			 8000, 768000, "a sample rate from 8000 to 768000 Hz"),
		OPT_UINT(0, "period", &o.period, "FRAMES", "audio period: the wakeup interval (default 64)",
			 8, 65536, "a period from 8 to 65536 frames"),
		OPT_UINT(0, "periods", &o.periods, "N", "alsa: periods per buffer (default 2)",
			 2, 32, "from 2 to 32 periods per buffer"),
		OPT_CALLBACK(0, "device", &o.device, "PCM", "alsa: the PCM (default hw:0); jack: the server name",
			     set_device),
		OPT_CALLBACK(0, "capture-device", &o.capture_device, "PCM",
			     "alsa: capture PCM for duplex and --roundtrip (default: --device)", set_device),
		OPT_CALLBACK(0, "stream", &o.stream, "DIR", "alsa: playback, capture or duplex (default playback)",
			     set_stream),
		OPT_BOOL(0, "roundtrip", &o.roundtrip,
			 "play a signal into a loopback and time its return (alsa, jack)"),
		OPT_CALLBACK(0, "start-server", &o.start_server, "SERVER",
			     "jack: start a server for the run: dummy (jackd's dummy driver) or pipewire (headless)",
			     set_start_server),
		OPT_BOOL(0, "force-quantum", &o.force_quantum,
			 "jack on PipeWire: force its quantum (and rate) to --period for the run when it grants another"),
		OPT_BOOL(0, "live", &o.live, "a live ncurses view (q quits); plain lines without a terminal"),
		OPT_STRING('i', "interval", &o.interval, "TIME",
			   "wakeup interval instead of a period (1333us, 1ms; plain number: us)"),
		OPT_DURATION('D', "duration", &o.duration_s, "TIME", "how long to measure: 30s, 10m, 2h (default 60s)",
			     0.1, 30 * 86400.0, "a time from 0.1 s to 30 days such as 30s, 10m or 2h"),
		OPT_CALLBACK(0, "load", &o.load_kinds, "KINDS", "background load: messaging,cpu,memory,io or all",
			     set_load),
		OPT_CALLBACK(0, "load-cmd", &o.load_cmd, "CMD", "run CMD (with /bin/sh -c) as the background load",
			     set_load_cmd),
		OPT_STRING(0, "json", &o.json, "FILE", "write the result as JSON (schema latency-bench/1)"),
		OPT_STRING(0, "histogram", &o.histogram, "FILE", "write cyclictest's histogram format"),
		OPT_UINT(0, "histogram-max", &o.hist_us_max, "US", "last microsecond bin of --histogram (default 10000)",
			 1, 10000000, "microseconds from 1 to 10000000"),
		OPT_DOUBLE(0, "max-latency", &o.max_latency_us, "US", "exit 1 when any wakeup is later than this",
			   0.001, 1e9, "microseconds greater than 0"),
		OPT_LONG(0, "max-missed", &o.max_missed, "N", "exit 1 when more than N periods are missed",
			 0, 1000000000L, "a count of 0 or more"),
		OPT_DOUBLE(0, "dsp-load", &o.dsp_load_pct, "PCT", "share of each period the audio work needs (default 50)",
			   0, 95, "a percentage from 0 to 95"),
		OPT_STRING(0, "threshold", &o.threshold, "TIME",
			   "name the causes of wakeups later than this (default: the period's budget; plain number: us)"),
		OPT_BOOL(0, "no-causes", &o.no_causes, "do not run the kernel's timerlat or osnoise tracer to name causes"),
		OPT_STRING(0, "label", &o.label, "TEXT", "name of this result in plots and comparisons"),
		OPT_BOOL('q', "quiet", &o.quiet, "no progress lines"),
		OPT_HELP(),
		OPT_BOOL(0, "version", &version, "show the version"),
		OPT_END(),
	};

	switch (opt_parse(argc, argv, options, 0, &first, &err)) {
	case OPT_HELP:
		usage(stdout, options);
		break;
	case OPT_ERROR:
		kb_error("%s", err.buf);
		ret = KB_EUSAGE;
		break;
	case OPT_GO:
		if (version) {
			printf("latency-bench %s\n", KB_VERSION);
		} else if (first < argc) {
			for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
				strbuf_addf(&names, "%s%s", i ? ", " : "", commands[i].name);
			kb_error("unknown command '%s' (commands: %s; see latency-bench -h)", argv[first], names.buf);
			ret = KB_EUSAGE;
		} else {
			o.argv = argv;
			ret = lb_run_main(&o);
		}
		break;
	}
	strbuf_release(&err);
	strbuf_release(&names);
	return ret;
}

/* ---- latency-bench check ---- */

static int cmd_check(int argc, char **argv)
{
	static const struct kb_option options[] = { OPT_HELP(), OPT_END() };
	struct lb_syscheck_env env = { .root = "" };
	struct lb_system *sys;
	int first, ret, warn;

	ret = opt_parse_command(argc, argv, options, "latency-bench check", 0, &first);
	if (ret >= 0)
		return ret;
	if (first < argc) {
		kb_error("check takes no arguments: '%s'", argv[first]);
		return KB_EUSAGE;
	}
	sys = xcalloc(1, sizeof(*sys));
	ret = lb_syscheck_run(sys, &env);
	if (ret) {
		kb_error("cannot read this system: %s", strerror(-ret));
		free(sys);
		return KB_EENV;
	}
	/* a JACK client today is often PipeWire's: its server, quantum and real-time setup */
	lb_pw_checks(sys);
	printf("kernel %s (%s), %s\n", sys->kernel_release, sys->machine, sys->preemption_model);
	lb_report_checks(sys, stdout);
	warn = lb_syscheck_warnings(sys);
	printf("%d warning%s\n", warn, warn == 1 ? "" : "s");
	free(sys);
	return warn ? KB_FAILED : KB_OK;
}

/* ---- latency-bench devices ---- */

static int cmd_devices(int argc, char **argv)
{
	static const struct kb_option options[] = { OPT_HELP(), OPT_END() };
	int first, n;

	n = opt_parse_command(argc, argv, options, "latency-bench devices", 0, &first);
	if (n == KB_OK)
		printf("\nLists sound cards, their PCMs and the rates, channels, period and\n"
		       "buffer sizes each stream allows. Exit 3 when there is no sound card.\n");
	if (n >= 0)
		return n;
	if (first < argc) {
		kb_error("devices takes no arguments: '%s'", argv[first]);
		return KB_EUSAGE;
	}
	n = lb_alsa_devices(stdout);
	if (n < 0) {
		kb_error("cannot list sound cards: %s", strerror(-n));
		return KB_EENV;
	}
	if (n == 0) {
		kb_error("no sound card: the kernel has registered none (/proc/asound/cards is %s); "
			 "load a driver, or snd-dummy for a card without hardware",
			 access("/proc/asound/cards", R_OK) == 0 ? "empty" : "missing");
		return KB_EENV;
	}
	return KB_OK;
}

/* ---- latency-bench plot ---- */

static int cmd_plot(int argc, char **argv)
{
	struct lb_plot_opts po = { 0 };
	struct strbuf svg = STRBUF_INIT, err = STRBUF_INIT;
	const char *out = NULL, **files;
	int first, nfiles, ret, over_time = 0;
	const struct kb_option options[] = {
		OPT_STRING('o', "output", &out, "FILE", "the SVG to write"),
		OPT_STRING(0, "title", &po.title, "TEXT", "plot title"),
		OPT_BOOL(0, "over-time", &over_time,
			 "latency over the run's time instead of the histogram: the worst wakeup of each second, "
			 "the worst spikes marked with their cause"),
		OPT_HELP(),
		OPT_END(),
	};

	ret = opt_parse_command(argc, argv, options, "latency-bench plot [--over-time] RESULT.json... -o FILE.svg",
				OPT_ANYWHERE, &first);
	if (ret >= 0)
		return ret;
	ret = KB_OK;
	files = (const char **)argv + first;
	nfiles = argc - first;
	if (!nfiles || !out) {
		kb_error("plot needs at least one RESULT.json and -o FILE.svg");
		ret = KB_EUSAGE;
	}
	if (!ret) {
		ret = over_time ? lb_plot_timeline_files(files, nfiles, &po, &svg, &err)
				: lb_plot_files(files, nfiles, &po, &svg, &err);
		if (ret && err.len) {
			/* the library's message is a whole line: "FILE:LINE: error: ..." */
			fprintf(stderr, "latency-bench: %s\n", err.buf);
		} else if (ret) {
			kb_error("cannot plot: %s", strerror(-ret));
		}
		ret = !ret ? lb_write_out(out, &svg) : ret == -EINVAL ? KB_EUSAGE : KB_EENV;
	}
	strbuf_release(&svg);
	strbuf_release(&err);
	return ret;
}

/* ---- latency-bench compare ---- */

static int set_by(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	struct lb_cmp_opts *o = opt->value;

	if (!arg || str_eq(arg, "label"))
		o->by = LB_CMP_BY_LABEL; /* --label, --by label */
	else if (str_eq(arg, "release") || str_eq(arg, "kernel_release"))
		o->by = LB_CMP_BY_RELEASE;
	else if (str_eq(arg, "file"))
		o->by = LB_CMP_BY_FILE;
	else {
		strbuf_addf(err, "invalid --by '%s': expected release, label or file", arg);
		return -EINVAL;
	}
	o->by_given = 1;
	return 0;
}

static int set_metric(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (lb_cmp_parse_metric(arg, opt->value)) {
		strbuf_addf(err, "invalid --metric '%s': expected p50, p99, p999 or max", arg);
		return -EINVAL;
	}
	return 0;
}

/* The comparison's reports: its text on stdout, the files asked for. */
static int compare_reports(const struct lb_cmp *cmp, const char *junit_path, const char *html_path)
{
	struct strbuf text = STRBUF_INIT, junit = STRBUF_INIT, html = STRBUF_INIT, warn = STRBUF_INIT;
	char *line, *save = NULL;
	int ret = KB_OK;

	lb_cmp_warnings(cmp, &warn);
	for (line = strtok_r(warn.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		kb_warning("%s", line);
	lb_cmp_text(cmp, &text);
	if (junit_path)
		lb_cmp_junit(cmp, &junit);
	if (html_path)
		lb_cmp_html(cmp, &html);
	/* a report written to standard output is read by a program: the table goes aside */
	fwrite(text.buf, 1, text.len, fs_names_stdout(junit_path) || fs_names_stdout(html_path) ? stderr : stdout);
	fflush(stdout);
	if (cmp->nregressed)
		ret = KB_FAILED;
	/* a report CI cannot read outweighs the decision: exit 3 */
	if (junit_path && lb_write_out(junit_path, &junit))
		ret = KB_EENV;
	if (html_path && lb_write_out(html_path, &html))
		ret = KB_EENV;
	strbuf_release(&text);
	strbuf_release(&junit);
	strbuf_release(&html);
	strbuf_release(&warn);
	return ret;
}

static int cmd_compare(int argc, char **argv)
{
	struct lb_cmp cmp = { .o = { .by = LB_CMP_BY_RELEASE, .metric = LB_CMP_P99 } };
	struct strbuf err = STRBUF_INIT;
	const char *junit_path = NULL, *html_path = NULL, **files;
	double tolerance_pct = 20;
	int first, nfiles, ret;
	const struct kb_option options[] = {
		OPT_CALLBACK(0, "by", &cmp.o, "KEY",
			     "group the results by: release (system.kernel_release, the default; when all are of "
			     "one release, by label, else by file), label or file", set_by),
		OPT_CALLBACK(0, "label", &cmp.o, NULL, "the same as --by label", set_by),
		OPT_STRING(0, "baseline", &cmp.o.baseline, "KEY",
			   "the group the others are compared with (default: the first given)"),
		OPT_CALLBACK(0, "metric", &cmp.o.metric, "NAME",
			     "the figure of each run compared: p50, p99 (default), p999 or max", set_metric),
		OPT_DOUBLE(0, "tolerance", &tolerance_pct, "PCT",
			   "growth of the median that is not yet a regression (default 20)",
			   0, 10000, "a percentage from 0 to 10000"),
		OPT_STRING(0, "junit", &junit_path, "FILE", "write a JUnit XML report, a testcase per compared group"),
		OPT_STRING(0, "html", &html_path, "FILE",
			   "write one HTML page: table, decisions, histograms, system checks"),
		OPT_STRING(0, "title", &cmp.o.title, "TEXT", "heading of the HTML page and its plot"),
		OPT_HELP(),
		OPT_END(),
	};

	ret = opt_parse_command(argc, argv, options,
				"latency-bench compare RESULT.json... [--by release|label|file] [--baseline KEY]\n"
				"         [--metric p50|p99|p999|max] [--tolerance PCT] [--junit FILE] [--html FILE]",
				OPT_ANYWHERE, &first);
	if (ret >= 0)
		return ret;
	ret = KB_OK;
	files = (const char **)argv + first;
	nfiles = argc - first;
	cmp.o.tolerance = tolerance_pct / 100;
	if (nfiles < 2) {
		kb_error("compare needs the results of at least two kernels: RESULT.json RESULT.json...");
		ret = KB_EUSAGE;
	}
	/* every input is read and judged before anything is written */
	for (int i = 0; i < nfiles && !ret; i++)
		if (lb_cmp_add_file(&cmp, files[i], &err))
			ret = KB_EUSAGE;
	if (!ret && lb_cmp_analyse(&cmp, &err))
		ret = KB_EUSAGE;
	if (ret == KB_EUSAGE && err.len) /* the library's message is a whole line: "FILE:LINE: error: ..." */
		fprintf(stderr, "latency-bench: %s\n", err.buf);
	if (!ret)
		ret = compare_reports(&cmp, junit_path, html_path);
	lb_cmp_free(&cmp);
	strbuf_release(&err);
	return ret;
}

int main(int argc, char **argv)
{
	const struct kb_command *cmd = argc > 1 ? opt_find_command(commands, ARRAY_SIZE(commands), argv[1]) : NULL;

	if (cmd)
		return cmd->fn(argc - 1, argv + 1);
	return cmd_run(argc, argv);
}
