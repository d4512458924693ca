/* main.c - kbuild's command table and each command's option table; the only place that picks exit codes */
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
#include "source.h"
#include "status.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif
/* why a build directory does not name its tree */
#define TREE_UNKNOWN "it has no 'source' link (the kernel's O= build makes one): give --tree SRC"

/* The repeated option's arguments as a NULL-terminated vector (the terminator is not counted in l->nr). */
static const char **list_argv(struct opt_list *l)
{
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr] = NULL;
	return l->v;
}

static int parse_jobs(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	long v;

	if (opt_parse_long(arg, 1, 4096, &v) < 0) {
		strbuf_addf(err, "-j '%s': not a number of jobs from 1 to 4096", arg);
		return -EINVAL;
	}
	*(int *)opt->value = (int)v;
	return 0;
}

static int parse_package(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (!str_eq(arg, "deb") && !str_eq(arg, "rpm") && !str_eq(arg, "tar")) {
		strbuf_addf(err, "--package '%s': not deb, rpm or tar", arg);
		return -EINVAL;
	}
	*(const char **)opt->value = arg;
	return 0;
}

static int parse_stop_after(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (!pipeline_can_stop_after(arg)) {
		strbuf_addf(err, "--stop-after '%s': not source, patch, config, build or package", arg);
		return -EINVAL;
	}
	*(const char **)opt->value = arg;
	return 0;
}

/* boot-test's --timeout and --boot-timeout */
static int parse_boot_duration(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (opt_parse_duration(arg, 1, 86400, opt->value) < 0) {
		strbuf_addf(err, "--%s '%s': not a duration from 1 s to 1 d", opt->long_name, arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_spy_duration(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	if (opt_parse_duration(arg, 0.1, 30 * 86400, opt->value) < 0) {
		strbuf_addf(err, "--duration '%s': not a duration from 0.1 s to 30 d (30s, 10m, 2h)", arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_accel(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	enum boot_accel *accel = opt->value;

	if (str_eq(arg, "auto")) {
		*accel = BOOT_ACCEL_AUTO;
	} else if (str_eq(arg, "kvm")) {
		*accel = BOOT_ACCEL_KVM;
	} else if (str_eq(arg, "tcg")) {
		*accel = BOOT_ACCEL_TCG;
	} else {
		strbuf_addf(err, "--accel '%s': not auto, kvm or tcg", arg);
		return -EINVAL;
	}
	return 0;
}

/* boot-test --with PROGRAM: a program that runs here, appended to the list */
static int parse_with(const struct kb_option *opt, const char *arg, struct strbuf *err)
{
	struct opt_list *l = opt->value;

	if (access(arg, X_OK) < 0) {
		strbuf_addf(err, "--with '%s': %s", arg, errno == ENOENT ? "no such program" : strerror(errno));
		return -EINVAL;
	}
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr++] = arg;
	return 0;
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

static int cmd_config(int argc, char **argv)
{
	struct config_opts o = { 0 };
	struct opt_list configs = { 0 };
	int list = 0, first;
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &o.tree, "DIR", "kernel source tree"),
		OPT_STRING('O', "objdir", &o.objdir, "DIR", "build directory (make O=DIR); .config is written there"),
		OPT_STRING(0, "base", &o.base, "BASE",
			   "running (default), defconfig, tinyconfig, localmodconfig, ... or a .config file"),
		OPT_LIST('c', "config", &configs, "NAME|FILE", "fragment or profile to merge; repeat to merge in order"),
		OPT_STRING(0, "json", &o.json, "FILE", "write every requested symbol's verdict as JSON"),
		OPT_BOOL(0, "allow-unmet", &o.allow_unmet, "exit 0 even when a requested value did not stick"),
		OPT_BOOL('y', "builtin", &o.builtin_wins, "never demote y to m while merging (merge_config.sh -y)"),
		OPT_STRING(0, "arch", &o.arch, "ARCH", "ARCH for make and Kconfig (default: $ARCH, else x86_64 on x86_64 hosts)"),
		OPT_BOOL(0, "list", &list, "list the shipped fragments and profiles"),
		OPT_BOOL('v', "verbose", &o.verbose, "show make's commands and every verified value"),
		OPT_HELP(),
		OPT_END(),
	};
	char *datadir = find_datadir();
	int ret = opt_parse_command(argc, argv, opts,
				"kbuild config --tree SRC -O BUILD [--base BASE] --config NAME|FILE ... "
				"[--json FILE] [--allow-unmet]", 0, &first);

	if (ret >= 0)
		goto out;
	if (first < argc) {
		kb_error("unexpected argument '%s' (fragments are given with --config)", argv[first]);
		ret = KB_EUSAGE;
	} else if (list) {
		ret = config_list(datadir);
	} else if (!o.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		ret = KB_EUSAGE;
	} else {
		char *objdir = o.objdir ? fs_absolute(o.objdir) : NULL, *state = objdir ? xasprintf("%s/.kbuild", objdir) : NULL;
		int lockfd = state && fs_is_dir(state) ? build_dir_lock(objdir, 0, argc, argv) : -1;

		o.configs = configs.v;
		o.nr_configs = configs.nr;
		o.datadir = datadir;
		ret = state && fs_is_dir(state) && lockfd < 0 ? KB_EENV : config_run(&o);
		if (lockfd >= 0)
			close(lockfd);
		free(state);
		free(objdir);
	}
out:
	opt_list_release(&configs);
	free(datadir);
	return ret;
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

static int cmd_explain(int argc, char **argv)
{
	struct explain_opts o = { 0 };
	int first;
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &o.tree, "DIR", "kernel source tree (default: the one the build directory links as source)"),
		OPT_STRING('O', "objdir", &o.objdir, "DIR",
			   "build directory holding the .config to explain (default: the one under ./build)"),
		OPT_STRING(0, "arch", &o.arch, "ARCH", "ARCH for Kconfig (default: $ARCH, else the host's)"),
		OPT_HELP(),
		OPT_END(),
	};
	char *guess = NULL, *tree = NULL;
	int ret = opt_parse_command(argc, argv, opts, "kbuild explain [-O BUILD] [--tree SRC] CONFIG_X...", 0, &first);

	if (ret >= 0)
		return ret;
	if (first >= argc) {
		kb_error("no symbol given: kbuild explain [-O BUILD] [--tree SRC] CONFIG_X");
		return KB_EUSAGE;
	}
	if (!o.objdir) {
		ret = only_build_dir(&guess);
		if (ret != KB_OK)
			return ret;
		o.objdir = guess;
	}
	/* the build directory knows its tree: the kernel's O= build links it as "source" */
	if (!o.tree) {
		tree = tree_of_objdir(o.objdir);
		if (!tree) {
			char *link = xasprintf("%s/source", o.objdir), target[PATH_MAX];
			ssize_t n = readlink(link, target, sizeof(target) - 1);

			/* a link to a tree that is gone is the environment's fault, no link the user's */
			if (n > 0) {
				target[n] = '\0';
				kb_error("source tree '%s' of '%s' (its 'source' link): %s", target, o.objdir, strerror(ENOENT));
			} else {
				kb_error("cannot tell the source tree of '%s': %s", o.objdir, TREE_UNKNOWN);
			}
			free(link);
			free(guess);
			return n > 0 ? KB_EENV : KB_EUSAGE;
		}
		o.tree = tree;
	}
	o.symbols = (const char *const *)argv + first;
	o.nr_symbols = (size_t)(argc - first);
	ret = config_explain(&o);
	free(guess);
	free(tree);
	return ret;
}

static int cmd_merge(int argc, char **argv)
{
	struct merge_opts o = { 0 };
	int first;
	const struct kb_option opts[] = {
		OPT_STRING('o', "output", &o.output, "FILE", "write the merged configuration here (default: stdout)"),
		OPT_BOOL('y', "builtin", &o.builtin_wins, "never demote y to m"),
		OPT_BOOL('q', "quiet", &o.quiet, "no redefinition warnings"),
		OPT_HELP(),
		OPT_END(),
	};
	int ret = opt_parse_command(argc, argv, opts, "kbuild merge [-o FILE] [-y] BASE FRAGMENT...", 0, &first);

	if (ret >= 0)
		return ret;
	if (first >= argc) {
		kb_error("nothing to merge: kbuild merge BASE FRAGMENT...");
		return KB_EUSAGE;
	}
	o.files = (const char *const *)argv + first;
	o.nr_files = (size_t)(argc - first);
	return config_merge_only(&o);
}

static int cmd_kconfig(int argc, char **argv)
{
	const char *tree = NULL, *arch = NULL, *check = NULL;
	int verbose = 0, first;
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &tree, "DIR", "kernel source tree"),
		OPT_STRING(0, "arch", &arch, "ARCH", "ARCH for Kconfig (default: $ARCH, else the host's)"),
		OPT_STRING(0, "check", &check, "CONFIG",
			   "check that every value in CONFIG is allowed by the dependencies and selects kbuild parsed"),
		OPT_BOOL('v', "verbose", &verbose, "show every tolerated oddity in the Kconfig files"),
		OPT_HELP(),
		OPT_END(),
	};
	int ret = opt_parse_command(argc, argv, opts, "kbuild kconfig --tree SRC [--arch ARCH] [--check CONFIG]", 0, &first);

	if (ret >= 0)
		return ret;
	if (first < argc) {
		kb_error("unexpected argument '%s'", argv[first]);
		return KB_EUSAGE;
	}
	if (!tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		return KB_EUSAGE;
	}
	return config_kconfig_stats(tree, arch, check, verbose);
}

static int cmd_patch(int argc, char **argv)
{
	struct patch_opts o = { 0 };
	int first;
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &o.tree, "DIR", "kernel source tree to patch"),
		OPT_STRING(0, "patch", &o.spec, "ll|DIR|FILE", "the ll profile, a quilt series directory, a patch, or an RT tarball"),
		OPT_STRING(0, "source", &o.source, "PATH|URL", "a local copy or mirror that replaces the profile's source"),
		OPT_BOOL(0, "dry-run", &o.dry_run, "check the whole series against the tree, change nothing"),
		OPT_BOOL(0, "unpatch", &o.unpatch, "reverse exactly what the ledger says was applied"),
		OPT_BOOL(0, "status", &o.status, "which series is applied, and whether the tree still matches it"),
		OPT_BOOL(0, "strict", &o.strict, "refuse hunks that apply only with fuzz or offset"),
		OPT_BOOL('f', "force", &o.force, "--unpatch even when files were edited since the series was applied"),
		OPT_HELP(),
		OPT_END(),
	};
	char *share = find_share(), *patchdir = NULL, *scriptdir = NULL;
	const char *env = getenv("KBUILD_PATCHDIR");
	int ret = opt_parse_command(argc, argv, opts,
				"kbuild patch --tree SRC --patch ll|DIR|FILE [--dry-run] [--unpatch] [--status] [--strict]",
				0, &first);

	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (first < argc)
		kb_error("unexpected argument '%s'", argv[first]);
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
	struct opt_list configs;
	int verbose;
};

/* The main run's options (caller frees the table): cmd_pipeline parses them, the main help lists them. */
static struct kb_option *pipeline_options(struct pipeline_args *a)
{
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &a->o.tree, "DIR", "kernel source tree (default: the distribution's kernel source)"),
		OPT_STRING(0, "kernel", &a->o.kernel, "VERSION|TARBALL|DIR",
			   "another kernel source: a Debian version (6.12, 6.1.176), a kernel.org tarball or a tree"),
		OPT_STRING('O', "objdir", &a->o.objdir, "DIR", "build directory (default: build/<tree name>)"),
		OPT_STRING(0, "patch", &a->o.patch.spec, "ll|DIR|FILE", "patch series to apply first (see kbuild patch)"),
		OPT_STRING(0, "source", &a->o.patch.source, "PATH|URL", "a local copy or mirror of the series"),
		OPT_BOOL(0, "strict", &a->o.patch.strict, "refuse hunks that apply only with fuzz or offset"),
		OPT_LIST('c', "config", &a->configs, "NAME|FILE", "fragment or profile to merge (see kbuild config)"),
		OPT_STRING(0, "base", &a->o.config.base, "BASE", "base configuration (default: running)"),
		OPT_STRING(0, "json", &a->o.config.json, "FILE", "the config verdicts as JSON"),
		OPT_BOOL(0, "allow-unmet", &a->o.config.allow_unmet, "go on even when a requested value did not stick"),
		OPT_STRING(0, "arch", &a->o.config.arch, "ARCH", "ARCH for make and Kconfig"),
		OPT_CALLBACK('j', "jobs", &a->o.jobs, "N", "make -jN (default: the CPU count, or the distcc slots)", parse_jobs),
		OPT_STRING(0, "localversion", &a->o.localversion, "TAG", "appended to the release (default: -ll; '' for none)"),
		OPT_BOOL(0, "ccache", &a->o.ccache, "compile through ccache (hits survive new build directories)"),
		OPT_STRING(0, "distcc", &a->o.distcc, "HOSTS", "spread the compiles over distcc hosts ('host/4 host2/8')"),
		OPT_CALLBACK(0, "package", &a->o.package, "deb|rpm|tar", "make a package with the kernel's own target",
			     parse_package),
		OPT_BOOL(0, "install", &a->o.install, "install the kernel and modules (root; or with --destdir)"),
		OPT_STRING(0, "destdir", &a->o.destdir, "DIR", "stage the install under DIR instead of /"),
		OPT_BOOL(0, "install-deps", &a->o.install_deps, "install missing build prerequisites first"),
		OPT_CALLBACK(0, "stop-after", &a->o.stop_after, "STAGE", "source, patch, config, build or package",
			     parse_stop_after),
		OPT_BOOL('v', "verbose", &a->verbose, "more detail (make V=1)"),
		OPT_HELP(),
		OPT_END(),
	};
	struct kb_option *copy = xmalloc(sizeof(opts));

	memcpy(copy, opts, sizeof(opts));
	return copy;
}

/* kbuild [--tree SRC] [--patch ll] [--config audio]...: the stages in order, stopping at the first failure. */
static int cmd_pipeline(int argc, char **argv)
{
	struct pipeline_args a = { 0 };
	struct kb_option *opts = pipeline_options(&a);
	char *share = find_share(), *datadir = find_datadir(), *patchdir = NULL, *scriptdir = NULL;
	const char *env = getenv("KBUILD_PATCHDIR");
	int first, ret = opt_parse_command(argc, argv, opts,
				       "kbuild [--tree SRC | --kernel VERSION|TARBALL|DIR] [-O BUILD] [--patch ll|DIR|FILE] "
				       "[--config NAME|FILE]... [--install]", 0, &first);

	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (first < argc) {
		kb_error("unexpected argument '%s' (see 'kbuild --help')", argv[first]);
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
	patchdir = env && *env ? xstrdup(env) : xasprintf("%s/patches", share);
	scriptdir = xasprintf("%s/scripts", share);
	a.o.patch.patchdir = patchdir;
	a.o.patch.scriptdir = scriptdir;
	a.o.scriptdir = scriptdir;
	a.o.verbose = a.o.patch.verbose = a.o.config.verbose = a.verbose;
	a.o.config.configs = a.configs.v;
	a.o.config.nr_configs = a.configs.nr;
	a.o.config.datadir = datadir;
	a.o.argc = argc;
	a.o.argv = argv;
	ret = pipeline_run(&a.o);
out:
	opt_list_release(&a.configs);
	free(opts);
	free(share);
	free(datadir);
	free(patchdir);
	free(scriptdir);
	return ret;
}

static int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o = { 0 };
	char *cfg = NULL;
	int first;
	const struct kb_option opts[] = {
		OPT_STRING(0, "tree", &o.tree, "DIR", "kernel source tree whose requirements table is read"),
		OPT_STRING('O', "objdir", &o.objdir, "DIR", "build directory: its .config sizes the build, free space is checked there"),
		OPT_STRING(0, "config-file", &o.config, "FILE", "the .config to size the build for"),
		OPT_CALLBACK(0, "package", &o.package, "deb|rpm|tar", "also check the packaging tools", parse_package),
		OPT_CALLBACK('j', "jobs", &o.jobs, "N", "parallel jobs, for the memory estimate (default: the CPU count)",
			     parse_jobs),
		OPT_BOOL(0, "install-deps", &o.install, "run the command that installs what is missing"),
		OPT_BOOL('v', "verbose", &o.verbose, "also list the table's rows that a build does not need"),
		OPT_HELP(),
		OPT_END(),
	};
	int ret = opt_parse_command(argc, argv, opts,
				"kbuild doctor --tree SRC [-O BUILD] [--config-file FILE] [--package deb|rpm|tar] [--install-deps]",
				0, &first);

	if (ret >= 0)
		return ret;
	if (first < argc) {
		kb_error("unexpected argument '%s'", argv[first]);
		return KB_EUSAGE;
	}
	if (!o.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		return KB_EUSAGE;
	}
	if (!o.config && o.objdir) {
		cfg = xasprintf("%s/.config", o.objdir);
		if (fs_is_file(cfg))
			o.config = cfg;
	}
	ret = doctor_run(&o);
	free(cfg);
	return ret;
}
/*
 * The build directory -O names (or the one under ./build), its source tree and the build's make
 * variables, into o->make; the strings are the caller's to free (objdir, tree). KB_OK or an exit code.
 */
static int open_build(const char *objdir_arg, const char *tree_arg, const char *arch, struct install_opts *o,
		      struct build_vars *vars, char **objdir, char **tree, int *lockfd, int argc, char **argv)
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
	*lockfd = build_use_finished(*objdir, argc, argv);
	if (*lockfd < 0) {
		free(guess);
		return KB_EENV;
	}
	*tree = tree_arg ? fs_realpath(tree_arg) : tree_of_objdir(*objdir);
	if (!*tree) {
		kb_error("cannot tell the source tree of '%s': %s", objdir_arg, TREE_UNKNOWN);
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
	struct install_opts o = { 0 };
	const char *tree_arg = NULL, *objdir_arg = NULL, *arch = NULL;
	int first;
	const struct kb_option opts[] = {
		OPT_STRING('O', "objdir", &objdir_arg, "DIR", "the build directory of a built kernel (default: the one under ./build)"),
		OPT_STRING(0, "tree", &tree_arg, "DIR", "its source tree (default: from the build directory)"),
		OPT_STRING(0, "destdir", &o.destdir, "DIR", "stage under DIR: nothing outside it is touched"),
		OPT_STRING(0, "arch", &arch, "ARCH", "ARCH for make"),
		OPT_BOOL('v', "verbose", &o.make.verbose, "show the commands"),
		OPT_HELP(),
		OPT_END(),
	};
	struct build_vars vars = { .text = STRBUF_INIT };
	char *objdir = NULL, *tree = NULL, *destdir = NULL;
	int lockfd = -1, ret = opt_parse_command(argc, argv, opts, "kbuild install [-O BUILD] [--destdir DIR]", 0, &first);

	if (ret >= 0)
		return ret;
	if (first < argc) {
		kb_error("unexpected argument '%s'", argv[first]);
		return KB_EUSAGE;
	}
	ret = open_build(objdir_arg, tree_arg, arch, &o, &vars, &objdir, &tree, &lockfd, argc, argv);
	if (ret != KB_OK)
		goto out;
	if (o.destdir) {
		if (fs_mkdir_p(o.destdir, 0755) < 0 || !(destdir = fs_realpath(o.destdir))) {
			kb_error("--destdir '%s': %s", o.destdir, strerror(errno));
			ret = KB_EENV;
			goto out;
		}
		o.destdir = destdir;
	}
	ret = install_run(&o);
out:
	if (lockfd >= 0)
		close(lockfd);
	build_vars_release(&vars);
	free(objdir);
	free(tree);
	free(destdir);
	return ret;
}

/* kbuild modules spy [-D TIME] [-o FILE] [-- COMMAND...]: what the running kernel asks modprobe for. */
static int modules_spy_cmd(int argc, char **argv, int first, double duration, const char *output)
{
	struct spy_opts so = { .sysctl = "/proc/sys/kernel/modprobe", .state_dir = "/var/lib/kbuild/spy",
			       .duration = duration, .log = output };
	int status = 0, ret;

	if (first < argc && !str_eq(argv[first - 1], "--")) {
		kb_error("unexpected argument '%s' (the command to run comes after --)", argv[first]);
		return KB_EUSAGE;
	}
	if (first < argc)
		so.command = (const char *const *)argv + first;
	ret = modules_spy(&so, &status);
	return ret == KB_OK ? status : ret;
}

/* kbuild modules resolve|list|config|spy [-O BUILD] [--modprobe-conf PATH]... [REQUEST...] */
static int cmd_modules(int argc, char **argv)
{
	struct modules_opts o = { 0 };
	const char *tree_arg = NULL, *objdir_arg = NULL, *arch = NULL, *profile = NULL, *output = NULL;
	struct opt_list conf = { 0 };
	double duration = 0;
	int verbose = 0, first;
	const struct kb_option opts[] = {
		OPT_STRING('O', "objdir", &objdir_arg, "DIR", "the build directory of a built kernel (default: the one under ./build)"),
		OPT_STRING(0, "tree", &tree_arg, "DIR", "its source tree (default: from the build directory)"),
		OPT_LIST(0, "modprobe-conf", &conf, "PATH",
			 "resolve, list: a modprobe.d file or directory to use instead of the system's (repeatable)"),
		OPT_STRING(0, "profile", &profile, "NAME", "config: the settings to write (audio, the default)"),
		OPT_STRING('o', "output", &output, "FILE",
			   "config: write the modprobe.d file there (default: standard output); spy: also write the report there"),
		OPT_CALLBACK('D', "duration", &duration, "TIME",
			     "spy: stop after TIME (30s, 10m; default: when COMMAND ends, or Ctrl-C)", parse_spy_duration),
		OPT_STRING(0, "arch", &arch, "ARCH", "ARCH for make"),
		OPT_BOOL('v', "verbose", &verbose, "show the commands"),
		OPT_HELP(),
		OPT_END(),
	};
	struct build_vars vars = { .text = STRBUF_INIT };
	struct strbuf out = STRBUF_INIT;
	char *objdir = NULL, *tree = NULL;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int ret, lockfd = -1;

	if (!sub || str_eq(sub, "-h") || str_eq(sub, "--help")) {
		opt_usage(sub ? stdout : stderr, "kbuild modules resolve|list|config|spy [-O BUILD] [OPTIONS] [REQUEST...]",
			  opts);
		return sub ? KB_OK : KB_EUSAGE;
	}
	if (!str_eq(sub, "resolve") && !str_eq(sub, "list") && !str_eq(sub, "config") && !str_eq(sub, "spy")) {
		kb_error("unknown modules command '%s' (resolve, list, config or spy)", sub);
		return KB_EUSAGE;
	}
	ret = opt_parse_command(argc - 1, argv + 1, opts,
			    str_eq(sub, "resolve") ? "kbuild modules resolve [-O BUILD] [--modprobe-conf PATH]... REQUEST..." :
			    str_eq(sub, "list") ? "kbuild modules list [-O BUILD] [--modprobe-conf PATH]..." :
			    str_eq(sub, "config") ? "kbuild modules config [-O BUILD] [--profile audio] [-o FILE]" :
						    "kbuild modules spy [-D TIME] [-o FILE] [-- COMMAND...]",
			    0, &first);
	if (ret >= 0)
		goto out;
	first++; /* counted from the subcommand */
	o.inst.make.verbose = o.verbose = verbose;
	ret = KB_EUSAGE;
	if (str_eq(sub, "spy")) {
		if (objdir_arg || tree_arg || conf.nr || profile)
			kb_error("'kbuild modules spy' watches the running kernel: -O, --tree, --modprobe-conf and --profile "
				 "are not its options");
		else
			ret = modules_spy_cmd(argc, argv, first, duration, output);
		goto out;
	}
	if (duration > 0) {
		kb_error("--duration is an option of 'kbuild modules spy'");
		goto out;
	}
	if (str_eq(sub, "resolve") && first >= argc) {
		kb_error("no request to resolve (a module, char-major-116, fs-iso9660, snd-card-0, a modalias)");
		goto out;
	}
	if ((profile || output) && !str_eq(sub, "config")) {
		kb_error("%s is an option of 'kbuild modules config'", profile ? "--profile" : "--output");
		goto out;
	}
	if (conf.nr && str_eq(sub, "config")) {
		kb_error("--modprobe-conf is an option of 'kbuild modules resolve' and 'list'");
		goto out;
	}
	if (!str_eq(sub, "resolve") && first < argc) {
		kb_error("unexpected argument '%s'", argv[first]);
		goto out;
	}
	ret = open_build(objdir_arg, tree_arg, arch, &o.inst, &vars, &objdir, &tree, &lockfd, argc, argv);
	if (ret != KB_OK)
		goto out;
	o.conf = conf.nr ? list_argv(&conf) : NULL;
	if (str_eq(sub, "resolve"))
		ret = modules_resolve(&o, (const char *const *)argv + first, argc - first, &out);
	else if (str_eq(sub, "list"))
		ret = modules_list(&o, &out);
	else
		ret = modules_config(&o, profile ? profile : "audio", output, &out);
	fwrite(out.buf, 1, out.len, stdout);
out:
	if (lockfd >= 0)
		close(lockfd);
	strbuf_release(&out);
	build_vars_release(&vars);
	free(objdir);
	free(tree);
	opt_list_release(&conf);
	return ret;
}

/* kbuild boot-test [-O BUILD] [-- COMMAND...]: the words after -- are the guest command's arguments, one word each. */
static int cmd_boot_test(int argc, char **argv)
{
	struct boot_opts o = { .timeout = 120, .boot_timeout = 60, .kvm_deadline = 8, .accel = BOOT_ACCEL_AUTO };
	struct opt_list with = { 0 };
	int first;
	const struct kb_option opts[] = {
		OPT_STRING('O', "objdir", &o.objdir, "DIR", "the build directory of a built kernel (default: the one under ./build)"),
		OPT_CALLBACK(0, "timeout", &o.timeout, "SECS",
			     "stop QEMU when the boot and the command take longer (default 120; 90s, 2m, ...)", parse_boot_duration),
		OPT_CALLBACK(0, "boot-timeout", &o.boot_timeout, "SECS",
			     "stop QEMU when the kernel has not started /init by then (default 60)", parse_boot_duration),
		OPT_CALLBACK(0, "accel", &o.accel, "auto|kvm|tcg",
			     "QEMU accelerator (default auto: KVM when /dev/kvm opens and its guest comes up, else TCG)", parse_accel),
		OPT_STRING(0, "results", &o.results, "DIR", "where the guest's files go (default: BUILD/boot-test)"),
		OPT_STRING(0, "latency-bench", &o.latency_bench, "FILE",
			   "the latency-bench copied into the guest (default: the one beside kbuild, else from PATH)"),
		OPT_STRING(0, "busybox", &o.busybox, "FILE", "a statically linked busybox (default: busybox from PATH)"),
		OPT_STRING(0, "append", &o.append, "ARGS", "more kernel command-line arguments"),
		OPT_CALLBACK(0, "with", &with, "PROGRAM",
			     "also copy PROGRAM (and its libraries) into the guest's /usr/bin (repeatable)", parse_with),
		OPT_BOOL('v', "verbose", &o.verbose, "show the commands and the whole console as it comes"),
		OPT_HELP(),
		OPT_END(),
	};
	char *guess = NULL, *objdir = NULL;
	int lockfd = -1, status, ret = opt_parse_command(argc, argv, opts,
				       "kbuild boot-test [-O BUILD] [--timeout SECS] [--accel auto|kvm|tcg] [--results DIR] "
				       "[-- COMMAND...]", 0, &first);

	if (ret >= 0)
		goto out;
	ret = KB_EUSAGE;
	if (first < argc) {
		if (!str_eq(argv[first - 1], "--")) {
			kb_error("unexpected argument '%s' (the guest command comes after --)", argv[first]);
			goto out;
		}
		o.command = (const char *const *)argv + first;
	} else if (first > 1 && str_eq(argv[first - 1], "--")) {
		kb_error("no command after -- (leave out -- for the default latency-bench runs)");
		goto out;
	}
	if (!o.objdir) {
		ret = only_build_dir(&guess);
		if (ret != KB_OK)
			goto out;
		o.objdir = guess;
	}
	objdir = fs_realpath(o.objdir);
	if (!objdir || !fs_is_dir(objdir)) {
		kb_error("build directory '%s': %s", o.objdir, objdir ? strerror(ENOTDIR) : strerror(errno));
		ret = KB_EENV;
		goto out;
	}
	o.objdir = objdir;
	o.with = list_argv(&with);
	lockfd = build_use_finished(objdir, argc, argv);
	if (lockfd < 0) {
		ret = KB_EENV;
		goto out;
	}
	ret = boot_run(&o, &status);
	if (ret == KB_OK)
		ret = status;
out:
	if (lockfd >= 0)
		close(lockfd);
	free(guess);
	free(objdir);
	opt_list_release(&with);
	return ret;
}

/* kbuild cache [list] | kbuild cache remove NAME... | --all */
static int cmd_cache(int argc, char **argv)
{
	int all = 0, first;
	const struct kb_option opts[] = {
		OPT_BOOL(0, "all", &all, "remove: every entry that no kbuild command is using"),
		OPT_HELP(),
		OPT_END(),
	};
	const char *sub = argc > 1 && argv[1][0] != '-' ? argv[1] : "list";
	int shift = argc > 1 && argv[1][0] != '-' ? 1 : 0;
	int ret = opt_parse_command(argc - shift, argv + shift, opts, "kbuild cache [list] | kbuild cache remove NAME...|--all",
				    0, &first);

	if (ret >= 0)
		return ret;
	first += shift;
	if (str_eq(sub, "list")) {
		if (all || first < argc) {
			kb_error(all ? "--all is an option of 'kbuild cache remove'" : "unexpected argument '%s'",
				 argv[first < argc ? first : 0]);
			return KB_EUSAGE;
		}
		return source_cache_list();
	}
	if (!str_eq(sub, "remove")) {
		kb_error("unknown cache command '%s' (list or remove)", sub);
		return KB_EUSAGE;
	}
	if (all == (first < argc)) {
		kb_error(all ? "--all and names exclude each other" : "nothing to remove: give NAME... as 'kbuild cache' lists them, or --all");
		return KB_EUSAGE;
	}
	return source_cache_remove((const char *const *)argv + first, (size_t)(argc - first), all);
}

static const struct kb_command commands[] = {
	{ "patch", cmd_patch, "apply a patch series (the ll profile: PREEMPT_RT) to a tree as one transaction" },
	{ "config", cmd_config, "merge fragments into a tree's .config, run olddefconfig, verify and explain" },
	{ "explain", cmd_explain, "why a symbol has its value in a build directory's .config" },
	{ "merge", cmd_merge, "merge .config fragments without a tree (like merge_config.sh -m)" },
	{ "kconfig", cmd_kconfig, "parse a tree's Kconfig files and print what they hold, time and memory" },
	{ "doctor", cmd_doctor, "check the build prerequisites against the tree's own requirements table" },
	{ "install", cmd_install, "install a built kernel (modules, depmod, image, initramfs, boot entry)" },
	{ "boot-test", cmd_boot_test, "boot a built kernel in QEMU, run latency-bench inside, bring the results back" },
	{ "cache", cmd_cache, "list the cached kernel trees and build directories with their sizes; remove them" },
	{ "modules", cmd_modules,
	  "a build's modules: what a request loads, modprobe -c, a modprobe.d for audio; spy on autoloads" },
};

static void usage_main(FILE *fp, const struct kb_option *main_options)
{
	struct pipeline_args a = { 0 };
	struct kb_option *pipeline = pipeline_options(&a);

	fprintf(fp,
		"usage: kbuild [--tree SRC] [-O BUILD] [--patch ll|DIR|FILE] [--config NAME|FILE]... [--install]\n"
		"       kbuild COMMAND [OPTIONS]\n"
		"\n"
		"Build low-latency audio kernels and check that every requested option stuck.\n"
		"\n"
		"commands:\n");
	opt_print_commands(fp, commands, ARRAY_SIZE(commands));
	fprintf(fp, "\noptions:\n");
	opt_print_help(fp, main_options);
	fprintf(fp, "\nwithout a command, the stages run in order: source, patch, config, prerequisites, build,\n"
		    "package, install:\n");
	opt_print_help(fp, pipeline);
	fprintf(fp, "\nRun 'kbuild COMMAND --help' for a command's options.\n");
	free(pipeline);
}

int main(int argc, char **argv)
{
	const struct kb_command *cmd;
	int version = 0, first, ret;
	const struct kb_option opts[] = {
		OPT_HELP(),
		OPT_BOOL(0, "version", &version, "show the version"),
		OPT_END(),
	};
	struct strbuf err = STRBUF_INIT;
	enum opt_result r;

	/* options first, no command: the whole pipeline */
	if (argc > 1 && argv[1][0] == '-' && !str_eq(argv[1], "-h") && !str_eq(argv[1], "--help") &&
	    !str_eq(argv[1], "--version")) {
		ret = cmd_pipeline(argc, argv);
		fflush(stdout);
		return ret;
	}
	r = opt_parse(argc, argv, opts, 0, &first, &err);
	if (r == OPT_ERROR)
		kb_error("%s", err.buf);
	strbuf_release(&err);
	if (r == OPT_HELP) {
		usage_main(stdout, opts);
		return KB_OK;
	}
	if (r == OPT_GO && version) {
		printf("kbuild %s\n", KB_VERSION);
		return KB_OK;
	}
	if (r == OPT_ERROR || first >= argc) {
		usage_main(stderr, opts);
		return KB_EUSAGE;
	}
	cmd = opt_find_command(commands, ARRAY_SIZE(commands), argv[first]);
	if (!cmd) {
		kb_error("unknown command '%s' (see 'kbuild --help')", argv[first]);
		return KB_EUSAGE;
	}
	ret = cmd->fn(argc - first, argv + first);
	if (fflush(stdout) != 0) {
		kb_error("cannot write to standard output: %s", strerror(errno));
		return KB_EENV;
	}
	return ret;
}
