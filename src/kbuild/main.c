/* main.c - kbuild's subcommand table and option parsing; the only place that picks exit codes */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include "boot.h"
#include "build.h"
#include "config.h"
#include "doctor.h"
#include "install.h"
#include "modules.h"
#include "pipeline.h"
#include "fs.h"
#include "log.h"
#include "opt.h"
#include "series.h"
#include "status.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif

enum { OPT_BASE = 256, OPT_CHECK, OPT_PATCH, OPT_DRY_RUN, OPT_UNPATCH, OPT_STATUS, OPT_STRICT, OPT_SOURCE, OPT_JSON, OPT_ALLOW_UNMET, OPT_ARCH, OPT_TREE, OPT_LIST, OPT_VERSION,
       OPT_KERNEL, OPT_LOCALVERSION, OPT_CCACHE, OPT_DISTCC, OPT_PACKAGE, OPT_INSTALL, OPT_DESTDIR, OPT_STOP_AFTER,
       OPT_INSTALL_DEPS, OPT_CONFIG_FILE, OPT_TIMEOUT, OPT_ACCEL, OPT_RESULTS, OPT_LATENCY_BENCH, OPT_BUSYBOX,
       OPT_APPEND, OPT_BOOT_TIMEOUT, OPT_MODPROBE_CONF, OPT_PROFILE, OPT_WITH };

static const struct kb_option config_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree" },
	{ "objdir", 'O', required_argument, "DIR", "build directory (make O=DIR); .config is written there" },
	{ "base", OPT_BASE, required_argument, "BASE",
	  "running (default), defconfig, tinyconfig, localmodconfig, ... or a .config file" },
	{ "config", 'c', required_argument, "NAME|FILE", "fragment or profile to merge; repeat to merge in order" },
	{ "json", OPT_JSON, required_argument, "FILE", "write every requested symbol's verdict as JSON" },
	{ "allow-unmet", OPT_ALLOW_UNMET, no_argument, NULL, "exit 0 even when a requested value did not stick" },
	{ "builtin", 'y', no_argument, NULL, "never demote y to m while merging (merge_config.sh -y)" },
	{ "arch", OPT_ARCH, required_argument, "ARCH",
	  "ARCH for make and Kconfig (default: $ARCH, else x86_64 on x86_64 hosts)" },
	{ "list", OPT_LIST, no_argument, NULL, "list the shipped fragments and profiles" },
	{ "verbose", 'v', no_argument, NULL, "show make's commands and every verified value" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option explain_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree" },
	{ "objdir", 'O', required_argument, "DIR", "build directory holding the .config to explain" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for Kconfig (default: $ARCH, else the host's)" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option merge_options[] = {
	{ "output", 'o', required_argument, "FILE", "write the merged configuration here (default: stdout)" },
	{ "builtin", 'y', no_argument, NULL, "never demote y to m" },
	{ "quiet", 'q', no_argument, NULL, "no redefinition warnings" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option kconfig_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for Kconfig (default: $ARCH, else the host's)" },
	{ "check", OPT_CHECK, required_argument, "CONFIG",
	  "check that every value in CONFIG is allowed by the dependencies and selects kbuild parsed" },
	{ "verbose", 'v', no_argument, NULL, "show every tolerated oddity in the Kconfig files" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option patch_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree to patch" },
	{ "patch", OPT_PATCH, required_argument, "ll|DIR|FILE",
	  "the ll profile, a quilt series directory, a patch, or an RT tarball" },
	{ "source", OPT_SOURCE, required_argument, "PATH|URL", "a local copy or mirror that replaces the profile's source" },
	{ "dry-run", OPT_DRY_RUN, no_argument, NULL, "check the whole series against the tree, change nothing" },
	{ "unpatch", OPT_UNPATCH, no_argument, NULL, "reverse exactly what the ledger says was applied" },
	{ "status", OPT_STATUS, no_argument, NULL, "which series is applied, and whether the tree still matches it" },
	{ "strict", OPT_STRICT, no_argument, NULL, "refuse hunks that apply only with fuzz or offset" },
	{ "force", 'f', no_argument, NULL, "--unpatch even when files were edited since the series was applied" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option pipeline_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree (default: the distribution's kernel source)" },
	{ "kernel", OPT_KERNEL, required_argument, "VERSION|TARBALL|DIR",
	  "another kernel source: a Debian version (6.12, 6.1.176), a kernel.org tarball or a tree" },
	{ "objdir", 'O', required_argument, "DIR", "build directory (default: build/<tree name>)" },
	{ "patch", OPT_PATCH, required_argument, "ll|DIR|FILE", "patch series to apply first (see kbuild patch)" },
	{ "source", OPT_SOURCE, required_argument, "PATH|URL", "a local copy or mirror of the series" },
	{ "strict", OPT_STRICT, no_argument, NULL, "refuse hunks that apply only with fuzz or offset" },
	{ "config", 'c', required_argument, "NAME|FILE", "fragment or profile to merge (see kbuild config)" },
	{ "base", OPT_BASE, required_argument, "BASE", "base configuration (default: running)" },
	{ "json", OPT_JSON, required_argument, "FILE", "the config verdicts as JSON" },
	{ "allow-unmet", OPT_ALLOW_UNMET, no_argument, NULL, "go on even when a requested value did not stick" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for make and Kconfig" },
	{ "jobs", 'j', required_argument, "N", "make -jN (default: the CPU count, or the distcc slots)" },
	{ "localversion", OPT_LOCALVERSION, required_argument, "TAG", "appended to the release (default: -ll; '' for none)" },
	{ "ccache", OPT_CCACHE, no_argument, NULL, "compile through ccache (hits survive new build directories)" },
	{ "distcc", OPT_DISTCC, required_argument, "HOSTS", "spread the compiles over distcc hosts ('host/4 host2/8')" },
	{ "package", OPT_PACKAGE, required_argument, "deb|rpm|tar", "make a package with the kernel's own target" },
	{ "install", OPT_INSTALL, no_argument, NULL, "install the kernel and modules (root; or with --destdir)" },
	{ "destdir", OPT_DESTDIR, required_argument, "DIR", "stage the install under DIR instead of /" },
	{ "install-deps", OPT_INSTALL_DEPS, no_argument, NULL, "install missing build prerequisites first" },
	{ "stop-after", OPT_STOP_AFTER, required_argument, "STAGE", "source, patch, config, build or package" },
	{ "verbose", 'v', no_argument, NULL, "more detail (make V=1)" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option doctor_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree whose requirements table is read" },
	{ "objdir", 'O', required_argument, "DIR", "build directory: its .config sizes the build, free space is checked there" },
	{ "config-file", OPT_CONFIG_FILE, required_argument, "FILE", "the .config to size the build for" },
	{ "package", OPT_PACKAGE, required_argument, "deb|rpm|tar", "also check the packaging tools" },
	{ "jobs", 'j', required_argument, "N", "parallel jobs, for the memory estimate (default: the CPU count)" },
	{ "install-deps", OPT_INSTALL_DEPS, no_argument, NULL, "run the command that installs what is missing" },
	{ "verbose", 'v', no_argument, NULL, "also list the table's rows that a build does not need" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option install_options[] = {
	{ "objdir", 'O', required_argument, "DIR", "the build directory of a built kernel (default: the one under ./build)" },
	{ "tree", OPT_TREE, required_argument, "DIR", "its source tree (default: from the build directory)" },
	{ "destdir", OPT_DESTDIR, required_argument, "DIR", "stage under DIR: nothing outside it is touched" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for make" },
	{ "verbose", 'v', no_argument, NULL, "show the commands" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option modules_options[] = {
	{ "objdir", 'O', required_argument, "DIR", "the build directory of a built kernel (default: the one under ./build)" },
	{ "tree", OPT_TREE, required_argument, "DIR", "its source tree (default: from the build directory)" },
	{ "modprobe-conf", OPT_MODPROBE_CONF, required_argument, "PATH",
	  "resolve, list: a modprobe.d file or directory to use instead of the system's (repeatable)" },
	{ "profile", OPT_PROFILE, required_argument, "NAME", "config: the settings to write (audio, the default)" },
	{ "output", 'o', required_argument, "FILE",
	  "config: write the modprobe.d file there (default: standard output); spy: also write the report there" },
	{ "duration", 'D', required_argument, "TIME", "spy: stop after TIME (30s, 10m; default: when COMMAND ends, or Ctrl-C)" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for make" },
	{ "verbose", 'v', no_argument, NULL, "show the commands" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option boot_options[] = {
	{ "objdir", 'O', required_argument, "DIR", "the build directory of a built kernel (default: the one under ./build)" },
	{ "timeout", OPT_TIMEOUT, required_argument, "SECS",
	  "stop QEMU when the boot and the command take longer (default 120; 90s, 2m, ...)" },
	{ "boot-timeout", OPT_BOOT_TIMEOUT, required_argument, "SECS",
	  "stop QEMU when the kernel has not started /init by then (default 60)" },
	{ "accel", OPT_ACCEL, required_argument, "auto|kvm|tcg",
	  "QEMU accelerator (default auto: KVM when /dev/kvm opens and its guest comes up, else TCG)" },
	{ "results", OPT_RESULTS, required_argument, "DIR", "where the guest's files go (default: BUILD/boot-test)" },
	{ "latency-bench", OPT_LATENCY_BENCH, required_argument, "FILE",
	  "the latency-bench copied into the guest (default: the one beside kbuild, else from PATH)" },
	{ "busybox", OPT_BUSYBOX, required_argument, "FILE", "a statically linked busybox (default: busybox from PATH)" },
	{ "append", OPT_APPEND, required_argument, "ARGS", "more kernel command-line arguments" },
	{ "with", OPT_WITH, required_argument, "PROGRAM", "also copy PROGRAM (and its libraries) into the guest's /usr/bin (repeatable)" },
	{ "verbose", 'v', no_argument, NULL, "show the commands and the whole console as it comes" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option main_options[] = {
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ "version", OPT_VERSION, no_argument, NULL, "show the version" },
	{ NULL, 0, 0, NULL, NULL },
};

static void usage_main(FILE *fp)
{
	fprintf(fp,
		"usage: kbuild [--tree SRC] [-O BUILD] [--patch ll|DIR|FILE] [--config NAME|FILE]... [--install]\n"
		"       kbuild COMMAND [OPTIONS]\n"
		"\n"
		"Build low-latency audio kernels and check that every requested option stuck.\n"
		"\n"
		"commands:\n"
		"  patch     apply a patch series (the ll profile: PREEMPT_RT) to a tree as one transaction\n"
		"  config    merge fragments into a tree's .config, run olddefconfig, verify and explain\n"
		"  explain   why a symbol has its value in a build directory's .config\n"
		"  merge     merge .config fragments without a tree (like merge_config.sh -m)\n"
		"  kconfig   parse a tree's Kconfig files and print what they hold, time and memory\n"
		"  doctor    check the build prerequisites against the tree's own requirements table\n"
		"  install   install a built kernel (modules, depmod, image, initramfs, boot entry)\n"
		"  boot-test boot a built kernel in QEMU, run latency-bench inside, bring the results back\n"
		"  modules   a build's modules: what a request loads, modprobe -c, a modprobe.d for audio; spy on autoloads\n"
		"\n"
		"options:\n");
	opt_print_help(fp, main_options);
	fprintf(fp, "\nwithout a command, the stages run in order: source, patch, config, prerequisites, build,\n"
		    "package, install:\n");
	opt_print_help(fp, pipeline_options);
	fprintf(fp, "\nRun 'kbuild COMMAND --help' for a command's options.\n");
}

static void usage_cmd(FILE *fp, const char *synopsis, const struct kb_option *opts)
{
	fprintf(fp, "usage: %s\n\n", synopsis);
	opt_print_help(fp, opts);
}

/* The directory holding kconfig-fragments/, patches/ and scripts/: beside the binary, the source tree, or PREFIX/share. */
static char *find_share(void)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *cand, *frag;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *dir;

		exe[n] = '\0';
		dir = fs_dirname(exe);
		for (int i = 0; i < 2; i++) {
			cand = xasprintf(i ? "%s/../share/kbuild" : "%s/..", dir);
			frag = xasprintf("%s/kconfig-fragments", cand);
			if (fs_is_dir(frag)) {
				char *real = fs_realpath(cand);

				free(frag);
				free(dir);
				if (real) {
					free(cand);
					return real;
				}
				return cand;
			}
			free(frag);
			free(cand);
		}
		free(dir);
	}
	if (fs_is_dir(KB_SRCDIR "/kconfig-fragments"))
		return xstrdup(KB_SRCDIR);
	return xstrdup(KB_DATADIR);
}

/* kconfig-fragments/: $KBUILD_DATADIR or the shared directory's. */
static char *find_datadir(void)
{
	const char *env = getenv("KBUILD_DATADIR");
	char *share, *d;

	if (env && *env)
		return xstrdup(env);
	share = find_share();
	d = xasprintf("%s/kconfig-fragments", share);
	free(share);
	return d;
}

/* Shared getopt loop error reporting: returns 1 if the option was an error. */
static int bad_option(int c, char **argv)
{
	if (c == '?') {
		kb_error("unknown option '%s' (see --help)", argv[optind - 1]);
		return 1;
	}
	if (c == ':') {
		kb_error("option '%s' needs an argument", argv[optind - 1]);
		return 1;
	}
	return 0;
}

/*
 * getopt_long over a command's option table; `set` stores each option.
 * Returns -1 when the command should go on (optind at the operands), or the
 * exit status: KB_OK after -h, KB_EUSAGE on a bad option.
 */
static int parse_options(int argc, char **argv, const struct kb_option *opts, const char *synopsis,
			 void (*set)(int c, const char *arg, void *ctx), void *ctx)
{
	struct option *lo;
	char *so;
	int c, ret = -1;

	opt_tables(opts, &lo, &so);
	opterr = 0;
	optind = 1;
	while (ret < 0 && (c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			usage_cmd(stdout, synopsis, opts);
			ret = KB_OK;
		} else if (bad_option(c, argv)) {
			ret = KB_EUSAGE;
		} else {
			set(c, optarg, ctx);
		}
	}
	opt_tables_free(lo, so);
	return ret;
}

struct config_args {
	struct config_opts o;
	const char **configs;
	int list;
};

static void set_config(int c, const char *arg, void *ctx)
{
	struct config_args *a = ctx;

	switch (c) {
	case OPT_TREE: a->o.tree = arg; break;
	case 'O': a->o.objdir = arg; break;
	case OPT_BASE: a->o.base = arg; break;
	case 'c': a->configs[a->o.nr_configs++] = arg; break;
	case OPT_JSON: a->o.json = arg; break;
	case OPT_ALLOW_UNMET: a->o.allow_unmet = 1; break;
	case 'y': a->o.builtin_wins = 1; break;
	case OPT_ARCH: a->o.arch = arg; break;
	case OPT_LIST: a->list = 1; break;
	case 'v': a->o.verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_config(int argc, char **argv)
{
	struct config_args a = { .configs = xcalloc((size_t)argc, sizeof(char *)) };
	char *datadir = find_datadir();
	int ret = parse_options(argc, argv, config_options,
				"kbuild config --tree SRC -O BUILD [--base BASE] --config NAME|FILE ... "
				"[--json FILE] [--allow-unmet]", set_config, &a);

	if (ret >= 0)
		goto out;
	if (optind < argc) {
		kb_error("unexpected argument '%s' (fragments are given with --config)", argv[optind]);
		ret = KB_EUSAGE;
	} else if (a.list) {
		ret = config_list(datadir);
	} else if (!a.o.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		ret = KB_EUSAGE;
	} else {
		a.o.configs = a.configs;
		a.o.datadir = datadir;
		ret = config_run(&a.o);
	}
out:
	free(a.configs);
	free(datadir);
	return ret;
}

static void set_explain(int c, const char *arg, void *ctx)
{
	struct explain_opts *o = ctx;

	switch (c) {
	case OPT_TREE: o->tree = arg; break;
	case 'O': o->objdir = arg; break;
	case OPT_ARCH: o->arch = arg; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_explain(int argc, char **argv)
{
	struct explain_opts o = { 0 };
	int ret = parse_options(argc, argv, explain_options, "kbuild explain --tree SRC -O BUILD CONFIG_X...",
				set_explain, &o);

	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		kb_error("no symbol given: kbuild explain --tree SRC -O BUILD CONFIG_X");
		return KB_EUSAGE;
	}
	if (!o.tree || !o.objdir) {
		kb_error("explain needs --tree SRC and -O BUILD");
		return KB_EUSAGE;
	}
	o.symbols = (const char *const *)argv + optind;
	o.nr_symbols = (size_t)(argc - optind);
	return config_explain(&o);
}

static void set_merge(int c, const char *arg, void *ctx)
{
	struct merge_opts *o = ctx;

	switch (c) {
	case 'o': o->output = arg; break;
	case 'y': o->builtin_wins = 1; break;
	case 'q': o->quiet = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_merge(int argc, char **argv)
{
	struct merge_opts o = { 0 };
	int ret = parse_options(argc, argv, merge_options, "kbuild merge [-o FILE] [-y] BASE FRAGMENT...",
				set_merge, &o);

	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		kb_error("nothing to merge: kbuild merge BASE FRAGMENT...");
		return KB_EUSAGE;
	}
	o.files = (const char *const *)argv + optind;
	o.nr_files = (size_t)(argc - optind);
	return config_merge_only(&o);
}

struct kconfig_args {
	const char *tree, *arch, *check;
	int verbose;
};

static void set_kconfig(int c, const char *arg, void *ctx)
{
	struct kconfig_args *a = ctx;

	switch (c) {
	case OPT_TREE: a->tree = arg; break;
	case OPT_ARCH: a->arch = arg; break;
	case OPT_CHECK: a->check = arg; break;
	case 'v': a->verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_kconfig(int argc, char **argv)
{
	struct kconfig_args a = { 0 };
	int ret = parse_options(argc, argv, kconfig_options,
				"kbuild kconfig --tree SRC [--arch ARCH] [--check CONFIG]", set_kconfig, &a);

	if (ret >= 0)
		return ret;
	if (optind < argc) {
		kb_error("unexpected argument '%s'", argv[optind]);
		return KB_EUSAGE;
	}
	if (!a.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		return KB_EUSAGE;
	}
	return config_kconfig_stats(a.tree, a.arch, a.check, a.verbose);
}

static void set_patch(int c, const char *arg, void *ctx)
{
	struct patch_opts *o = ctx;

	switch (c) {
	case OPT_TREE: o->tree = arg; break;
	case OPT_PATCH: o->spec = arg; break;
	case OPT_SOURCE: o->source = arg; break;
	case OPT_DRY_RUN: o->dry_run = 1; break;
	case OPT_UNPATCH: o->unpatch = 1; break;
	case OPT_STATUS: o->status = 1; break;
	case OPT_STRICT: o->strict = 1; break;
	case 'f': o->force = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_patch(int argc, char **argv)
{
	struct patch_opts o = { 0 };
	char *share = find_share(), *patchdir = NULL, *scriptdir = NULL;
	const char *env = getenv("KBUILD_PATCHDIR");
	int ret = parse_options(argc, argv, patch_options,
				"kbuild patch --tree SRC --patch ll|DIR|FILE [--dry-run] [--unpatch] [--status] [--strict]",
				set_patch, &o);

	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (optind < argc)
		kb_error("unexpected argument '%s'", argv[optind]);
	else if (!o.tree)
		kb_error("no kernel tree given (use --tree DIR)");
	else if (o.unpatch + o.status + o.dry_run > 1)
		kb_error("--unpatch, --status and --dry-run exclude each other");
	else if (!o.spec && !o.unpatch && !o.status)
		kb_error("no series given (use --patch ll|DIR|FILE)");
	else
		ret = -1;
	if (ret >= 0)
		goto out;
	patchdir = env && *env ? xstrdup(env) : xasprintf("%s/patches", share);
	scriptdir = xasprintf("%s/scripts", share);
	o.patchdir = patchdir;
	o.scriptdir = scriptdir;
	ret = patch_run(&o);
out:
	free(share);
	free(patchdir);
	free(scriptdir);
	return ret;
}

struct pipeline_args {
	struct pipeline_opts o;
	struct config_args c;
	int bad;
};

static int parse_jobs(const char *arg, int *jobs)
{
	long v;

	if (opt_parse_long(arg, 1, 4096, &v) < 0) {
		kb_error("-j '%s': not a number of jobs from 1 to 4096", arg);
		return -1;
	}
	*jobs = (int)v;
	return 0;
}

static int check_package(const char *arg)
{
	if (str_eq(arg, "deb") || str_eq(arg, "rpm") || str_eq(arg, "tar"))
		return 0;
	kb_error("--package '%s': not deb, rpm or tar", arg);
	return -1;
}

static void set_pipeline(int c, const char *arg, void *ctx)
{
	struct pipeline_args *a = ctx;
	int st;

	switch (c) {
	case OPT_TREE: a->o.tree = arg; break;
	case OPT_KERNEL: a->o.kernel = arg; break;
	case 'O': a->o.objdir = arg; break;
	case OPT_PATCH: a->o.patch.spec = arg; break;
	case OPT_SOURCE: a->o.patch.source = arg; break;
	case OPT_STRICT: a->o.patch.strict = 1; break;
	case 'j': a->bad |= parse_jobs(arg, &a->o.jobs) < 0; break;
	case OPT_LOCALVERSION: a->o.localversion = arg; break;
	case OPT_CCACHE: a->o.ccache = 1; break;
	case OPT_DISTCC: a->o.distcc = arg; break;
	case OPT_PACKAGE: a->bad |= check_package(arg) < 0; a->o.package = arg; break;
	case OPT_INSTALL: a->o.install = 1; break;
	case OPT_DESTDIR: a->o.destdir = arg; break;
	case OPT_INSTALL_DEPS: a->o.install_deps = 1; break;
	case OPT_STOP_AFTER:
		st = pipeline_stage_from_name(arg);
		if (st < 0 || st == STAGE_INSTALL) {
			kb_error("--stop-after '%s': not source, patch, config, build or package", arg);
			a->bad = 1;
		} else {
			a->o.stop_after = (enum pipeline_stage)st;
		}
		break;
	case 'v': a->o.verbose = 1; a->o.patch.verbose = 1; a->c.o.verbose = 1; break;
	default: set_config(c, arg, &a->c);
	}
}

/* kbuild [--tree SRC] [--patch ll] [--config audio]...: the stages in order, stopping at the first failure. */
static int cmd_pipeline(int argc, char **argv)
{
	struct pipeline_args a = { .c.configs = xcalloc((size_t)argc, sizeof(char *)), .o.stop_after = STAGE_ALL };
	char *share = find_share(), *datadir = find_datadir(), *patchdir = NULL, *scriptdir = NULL;
	const char *env = getenv("KBUILD_PATCHDIR");
	int ret = parse_options(argc, argv, pipeline_options,
				"kbuild [--tree SRC | --kernel VERSION|TARBALL|DIR] [-O BUILD] [--patch ll|DIR|FILE] "
				"[--config NAME|FILE]... [--install]",
				set_pipeline, &a);

	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (a.bad)
		goto out;
	if (optind < argc) {
		kb_error("unexpected argument '%s' (see 'kbuild --help')", argv[optind]);
		goto out;
	}
	if (a.o.tree && a.o.kernel) {
		kb_error("--tree and --kernel exclude each other");
		goto out;
	}
	if (a.o.destdir && !a.o.install) {
		kb_error("--destdir stages an install: give --install too");
		goto out;
	}
	if (a.c.list) {
		ret = config_list(datadir);
		goto out;
	}
	patchdir = env && *env ? xstrdup(env) : xasprintf("%s/patches", share);
	scriptdir = xasprintf("%s/scripts", share);
	a.o.patch.patchdir = patchdir;
	a.o.patch.scriptdir = scriptdir;
	a.o.scriptdir = scriptdir;
	a.o.config = a.c.o;
	a.o.config.configs = a.c.configs;
	a.o.config.datadir = datadir;
	a.o.argc = argc;
	a.o.argv = argv;
	ret = pipeline_run(&a.o);
out:
	free(a.c.configs);
	free(share);
	free(datadir);
	free(patchdir);
	free(scriptdir);
	return ret;
}

struct doctor_args {
	struct doctor_opts o;
	const char *objdir;
	int bad;
};

static void set_doctor(int c, const char *arg, void *ctx)
{
	struct doctor_args *a = ctx;

	switch (c) {
	case OPT_TREE: a->o.tree = arg; break;
	case 'O': a->objdir = arg; break;
	case OPT_CONFIG_FILE: a->o.config = arg; break;
	case OPT_PACKAGE: a->bad |= check_package(arg) < 0; a->o.package = arg; break;
	case 'j': a->bad |= parse_jobs(arg, &a->o.jobs) < 0; break;
	case OPT_INSTALL_DEPS: a->o.install = 1; break;
	case 'v': a->o.verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

static int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a = { 0 };
	char *cfg = NULL;
	int ret = parse_options(argc, argv, doctor_options,
				"kbuild doctor --tree SRC [-O BUILD] [--config-file FILE] [--package deb|rpm|tar] [--install-deps]",
				set_doctor, &a);

	if (ret >= 0)
		return ret;
	if (a.bad)
		return KB_EUSAGE;
	if (optind < argc) {
		kb_error("unexpected argument '%s'", argv[optind]);
		return KB_EUSAGE;
	}
	if (!a.o.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		return KB_EUSAGE;
	}
	a.o.objdir = a.objdir;
	if (!a.o.config && a.objdir) {
		cfg = xasprintf("%s/.config", a.objdir);
		if (fs_is_file(cfg))
			a.o.config = cfg;
	}
	ret = doctor_run(&a.o);
	free(cfg);
	return ret;
}

struct install_args {
	struct install_opts o;
	const char *tree, *objdir, *arch;
};

static void set_install(int c, const char *arg, void *ctx)
{
	struct install_args *a = ctx;

	switch (c) {
	case OPT_TREE: a->tree = arg; break;
	case 'O': a->objdir = arg; break;
	case OPT_DESTDIR: a->o.destdir = arg; break;
	case OPT_ARCH: a->arch = arg; break;
	case 'v': a->o.make.verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

/* The source tree a build directory was made from: the "source" link the kernel's O= build leaves there. */
static char *tree_of_objdir(const char *objdir)
{
	char *link = xasprintf("%s/source", objdir), *tree = fs_realpath(link);

	free(link);
	return tree;
}

/* Without -O: the one build directory under ./build that kbuild made (one with metadata.json). */
static int only_build_dir(char **out)
{
	DIR *d = opendir("build");
	struct dirent *e;
	struct strbuf found = STRBUF_INIT;
	int n = 0;

	*out = NULL;
	while (d && (e = readdir(d))) {
		char *meta;

		if (e->d_name[0] == '.')
			continue;
		meta = xasprintf("build/%s/metadata.json", e->d_name);
		if (fs_is_file(meta)) {
			strbuf_addf(&found, "%s build/%s", n ? "," : "", e->d_name);
			if (!n)
				*out = xasprintf("build/%s", e->d_name);
			n++;
		}
		free(meta);
	}
	if (d)
		closedir(d);
	if (n == 1) {
		strbuf_release(&found);
		return KB_OK;
	}
	free(*out);
	*out = NULL;
	if (!n)
		kb_error("no build directory given (use -O BUILD), and none under ./build");
	else
		kb_error("no build directory given: use -O BUILD with one of%s", found.buf);
	strbuf_release(&found);
	return KB_EUSAGE;
}

/*
 * The build directory -O names (or the one under ./build), its source tree and the build's make
 * variables, into o->make; the strings are the caller's to free (objdir, tree). KB_OK or an exit code.
 */
static int open_build(const char *objdir_arg, const char *tree_arg, const char *arch, struct install_opts *o,
		      struct build_vars *vars, char **objdir, char **tree)
{
	char *guess = NULL;
	const char *srcarch;
	int ret;

	*objdir = *tree = NULL;
	if (!objdir_arg) {
		ret = only_build_dir(&guess);
		if (ret != KB_OK)
			return ret;
		objdir_arg = guess;
	}
	*objdir = fs_realpath(objdir_arg);
	if (!*objdir) {
		kb_error("build directory '%s': %s", objdir_arg, strerror(errno));
		free(guess);
		return KB_EENV;
	}
	*tree = tree_arg ? fs_realpath(tree_arg) : tree_of_objdir(*objdir);
	if (!*tree) {
		kb_error("cannot tell the source tree of '%s': give --tree SRC", objdir_arg);
		free(guess);
		return KB_EUSAGE;
	}
	free(guess);
	ret = config_check_tree(*tree, config_arch(arch), &srcarch);
	if (ret != KB_OK)
		return ret;
	o->make.tree = *tree;
	o->make.objdir = *objdir;
	o->make.arch = config_arch(arch);
	o->make.srcarch = srcarch;
	o->make.jobs = 1;
	if (build_vars_load(&o->make, vars) < 0) {
		char *rel = xasprintf("%s/include/config/kernel.release", *objdir);
		int built = fs_is_file(rel);

		free(rel);
		/* an unbuilt directory is the stage's to refuse; a built one needs the build's make variables */
		if (built) {
			kb_error("'%s' was not built by kbuild (no .kbuild/make-vars): build it with kbuild first", *objdir);
			return KB_EENV;
		}
	}
	return KB_OK;
}

static int cmd_install(int argc, char **argv)
{
	struct install_args a = { 0 };
	struct build_vars vars = { .text = STRBUF_INIT };
	char *objdir = NULL, *tree = NULL, *destdir = NULL;
	int ret = parse_options(argc, argv, install_options, "kbuild install [-O BUILD] [--destdir DIR]", set_install, &a);

	if (ret >= 0)
		return ret;
	if (optind < argc) {
		kb_error("unexpected argument '%s'", argv[optind]);
		return KB_EUSAGE;
	}
	ret = open_build(a.objdir, a.tree, a.arch, &a.o, &vars, &objdir, &tree);
	if (ret != KB_OK)
		goto out;
	if (a.o.destdir) {
		if (fs_mkdir_p(a.o.destdir, 0755) < 0 || !(destdir = fs_realpath(a.o.destdir))) {
			kb_error("--destdir '%s': %s", a.o.destdir, strerror(errno));
			ret = KB_EENV;
			goto out;
		}
		a.o.destdir = destdir;
	}
	ret = install_run(&a.o);
out:
	build_vars_release(&vars);
	free(objdir);
	free(tree);
	free(destdir);
	return ret;
}

struct modules_args {
	struct modules_opts o;
	const char *tree, *objdir, *arch, *profile, *output;
	double duration;
	int bad;
	const char **conf;
	int nconf;
};

static void set_modules(int c, const char *arg, void *ctx)
{
	struct modules_args *a = ctx;

	switch (c) {
	case OPT_TREE: a->tree = arg; break;
	case 'O': a->objdir = arg; break;
	case OPT_ARCH: a->arch = arg; break;
	case OPT_MODPROBE_CONF: a->conf[a->nconf++] = arg; break;
	case OPT_PROFILE: a->profile = arg; break;
	case 'o': a->output = arg; break;
	case 'D':
		if (opt_parse_duration(arg, 0.1, 30 * 86400, &a->duration) < 0) {
			kb_error("--duration '%s': not a duration from 0.1 s to 30 d (30s, 10m, 2h)", arg);
			a->bad = 1;
		}
		break;
	case 'v': a->o.inst.make.verbose = a->o.verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

/* kbuild modules resolve|list [-O BUILD] [--modprobe-conf PATH]... [REQUEST...] */
static int cmd_modules(int argc, char **argv)
{
	struct modules_args a = { 0 };
	struct build_vars vars = { .text = STRBUF_INIT };
	struct strbuf out = STRBUF_INIT;
	char *objdir = NULL, *tree = NULL;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int ret;

	if (!sub || str_eq(sub, "-h") || str_eq(sub, "--help")) {
		usage_cmd(sub ? stdout : stderr, "kbuild modules resolve|list|config|spy [-O BUILD] [OPTIONS] [REQUEST...]",
			  modules_options);
		return sub ? KB_OK : KB_EUSAGE;
	}
	if (!str_eq(sub, "resolve") && !str_eq(sub, "list") && !str_eq(sub, "config") && !str_eq(sub, "spy")) {
		kb_error("unknown modules command '%s' (resolve, list, config or spy)", sub);
		return KB_EUSAGE;
	}
	a.conf = xcalloc((size_t)argc + 1, sizeof(*a.conf));
	ret = parse_options(argc - 1, argv + 1, modules_options,
			    str_eq(sub, "resolve") ? "kbuild modules resolve [-O BUILD] [--modprobe-conf PATH]... REQUEST..." :
			    str_eq(sub, "list") ? "kbuild modules list [-O BUILD] [--modprobe-conf PATH]..." :
			    str_eq(sub, "config") ? "kbuild modules config [-O BUILD] [--profile audio] [-o FILE]" :
						    "kbuild modules spy [-D TIME] [-o FILE] [-- COMMAND...]",
			    set_modules, &a);
	if (ret >= 0)
		goto out;
	if (a.bad) {
		ret = KB_EUSAGE;
		goto out;
	}
	optind++; /* parse_options counted from the subcommand */
	if (str_eq(sub, "spy")) {
		struct spy_opts so = { .sysctl = "/proc/sys/kernel/modprobe", .state_dir = "/var/lib/kbuild/spy",
				       .duration = a.duration, .log = a.output };
		int status = 0;

		if (a.objdir || a.tree || a.nconf || a.profile) {
			kb_error("'kbuild modules spy' watches the running kernel: -O, --tree, --modprobe-conf and --profile "
				 "are not its options");
			ret = KB_EUSAGE;
			goto out;
		}
		if (optind < argc && !str_eq(argv[optind - 1], "--")) {
			kb_error("unexpected argument '%s' (the command to run comes after --)", argv[optind]);
			ret = KB_EUSAGE;
			goto out;
		}
		if (optind < argc)
			so.command = (const char *const *)argv + optind;
		ret = modules_spy(&so, &status);
		if (ret == KB_OK)
			ret = status;
		goto out;
	}
	if (a.duration > 0) {
		kb_error("--duration is an option of 'kbuild modules spy'");
		ret = KB_EUSAGE;
		goto out;
	}
	if (str_eq(sub, "resolve") && optind >= argc) {
		kb_error("no request to resolve (a module, char-major-116, fs-iso9660, snd-card-0, a modalias)");
		ret = KB_EUSAGE;
		goto out;
	}
	if ((a.profile || a.output) && !str_eq(sub, "config")) {
		kb_error("%s is an option of 'kbuild modules config'", a.profile ? "--profile" : "--output");
		ret = KB_EUSAGE;
		goto out;
	}
	if (a.nconf && str_eq(sub, "config")) {
		kb_error("--modprobe-conf is an option of 'kbuild modules resolve' and 'list'");
		ret = KB_EUSAGE;
		goto out;
	}
	if (!str_eq(sub, "resolve") && optind < argc) {
		kb_error("unexpected argument '%s'", argv[optind]);
		ret = KB_EUSAGE;
		goto out;
	}
	ret = open_build(a.objdir, a.tree, a.arch, &a.o.inst, &vars, &objdir, &tree);
	if (ret != KB_OK)
		goto out;
	a.o.conf = a.nconf ? a.conf : NULL;
	if (str_eq(sub, "resolve"))
		ret = modules_resolve(&a.o, (const char *const *)argv + optind, argc - optind, &out);
	else if (str_eq(sub, "list"))
		ret = modules_list(&a.o, &out);
	else
		ret = modules_config(&a.o, a.profile ? a.profile : "audio", a.output, &out);
	fwrite(out.buf, 1, out.len, stdout);
out:
	strbuf_release(&out);
	build_vars_release(&vars);
	free(objdir);
	free(tree);
	free(a.conf);
	return ret;
}

struct boot_args {
	struct boot_opts o;
	const char **with;
	int nwith;
	int bad;
};

static void set_boot(int c, const char *arg, void *ctx)
{
	struct boot_args *a = ctx;

	switch (c) {
	case 'O': a->o.objdir = arg; break;
	case OPT_TIMEOUT:
		if (opt_parse_duration(arg, 1, 86400, &a->o.timeout) < 0) {
			kb_error("--timeout '%s': not a duration from 1 s to 1 d", arg);
			a->bad = 1;
		}
		break;
	case OPT_BOOT_TIMEOUT:
		if (opt_parse_duration(arg, 1, 86400, &a->o.boot_timeout) < 0) {
			kb_error("--boot-timeout '%s': not a duration from 1 s to 1 d", arg);
			a->bad = 1;
		}
		break;
	case OPT_ACCEL:
		if (str_eq(arg, "auto")) {
			a->o.accel = BOOT_ACCEL_AUTO;
		} else if (str_eq(arg, "kvm")) {
			a->o.accel = BOOT_ACCEL_KVM;
		} else if (str_eq(arg, "tcg")) {
			a->o.accel = BOOT_ACCEL_TCG;
		} else {
			kb_error("--accel '%s': not auto, kvm or tcg", arg);
			a->bad = 1;
		}
		break;
	case OPT_RESULTS: a->o.results = arg; break;
	case OPT_LATENCY_BENCH: a->o.latency_bench = arg; break;
	case OPT_BUSYBOX: a->o.busybox = arg; break;
	case OPT_APPEND: a->o.append = arg; break;
	case OPT_WITH:
		if (access(arg, X_OK) < 0) {
			kb_error("--with '%s': %s", arg, errno == ENOENT ? "no such program" : strerror(errno));
			a->bad = 1;
		} else {
			a->with[a->nwith++] = arg;
		}
		break;
	case 'v': a->o.verbose = 1; break;
	default: BUG("unhandled option %d", c);
	}
}

/* kbuild boot-test [-O BUILD] [-- COMMAND...]: the words after -- are joined by spaces for the guest's sh. */
static int cmd_boot_test(int argc, char **argv)
{
	struct boot_args a = { .o = { .timeout = 120, .boot_timeout = 60, .kvm_deadline = 8, .accel = BOOT_ACCEL_AUTO },
			       .with = xcalloc((size_t)argc + 1, sizeof(char *)) };
	struct strbuf command = STRBUF_INIT;
	char *guess = NULL, *objdir = NULL;
	int status, ret;

	a.o.with = a.with;
	ret = parse_options(argc, argv, boot_options,
			    "kbuild boot-test [-O BUILD] [--timeout SECS] [--accel auto|kvm|tcg] [--results DIR] [-- COMMAND...]",
			    set_boot, &a);
	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (a.bad)
		goto out;
	if (optind < argc) {
		if (!str_eq(argv[optind - 1], "--")) {
			kb_error("unexpected argument '%s' (the guest command comes after --)", argv[optind]);
			goto out;
		}
		for (int i = optind; i < argc; i++)
			strbuf_addf(&command, "%s%s", i > optind ? " " : "", argv[i]);
	} else if (optind > 1 && str_eq(argv[optind - 1], "--")) {
		kb_error("no command after -- (leave out -- for the default latency-bench runs)");
		goto out;
	}
	if (!a.o.objdir) {
		ret = only_build_dir(&guess);
		if (ret != KB_OK)
			goto out;
		a.o.objdir = guess;
	}
	objdir = fs_realpath(a.o.objdir);
	if (!objdir || !fs_is_dir(objdir)) {
		kb_error("build directory '%s': %s", a.o.objdir, objdir ? strerror(ENOTDIR) : strerror(errno));
		ret = KB_EENV;
		goto out;
	}
	a.o.objdir = objdir;
	a.o.command = command.len ? command.buf : NULL;
	ret = boot_run(&a.o, &status);
	if (ret == KB_OK)
		ret = status;
out:
	strbuf_release(&command);
	free(guess);
	free(objdir);
	free(a.with);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "patch", cmd_patch },
	{ "config", cmd_config },
	{ "explain", cmd_explain },
	{ "merge", cmd_merge },
	{ "kconfig", cmd_kconfig },
	{ "doctor", cmd_doctor },
	{ "install", cmd_install },
	{ "boot-test", cmd_boot_test },
	{ "modules", cmd_modules },
};

int main(int argc, char **argv)
{
	struct option *lo;
	char *so;
	int c;

	/* options first, no command: the whole pipeline */
	if (argc > 1 && argv[1][0] == '-' && !str_eq(argv[1], "-h") && !str_eq(argv[1], "--help") &&
	    !str_eq(argv[1], "--version")) {
		int ret = cmd_pipeline(argc, argv);

		fflush(stdout);
		return ret;
	}
	opt_tables(main_options, &lo, &so);
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage_main(stdout);
			opt_tables_free(lo, so);
			return KB_OK;
		case OPT_VERSION:
			printf("kbuild %s\n", KB_VERSION);
			opt_tables_free(lo, so);
			return KB_OK;
		default:
			opt_tables_free(lo, so);
			if (!bad_option(c, argv))
				BUG("unhandled option %d", c);
			usage_main(stderr);
			return KB_EUSAGE;
		}
	}
	opt_tables_free(lo, so);
	if (optind >= argc) {
		usage_main(stderr);
		return KB_EUSAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (str_eq(argv[optind], commands[i].name)) {
			int ret = commands[i].fn(argc - optind, argv + optind);
			if (fflush(stdout) != 0) {
				kb_error("cannot write to standard output: %s", strerror(errno));
				return KB_EENV;
			}
			return ret;
		}
	}
	kb_error("unknown command '%s' (see 'kbuild --help')", argv[optind]);
	return KB_EUSAGE;
}
