/* main.c - kbuild's subcommand table and option parsing; the only place that picks exit codes */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "config.h"
#include "fs.h"
#include "log.h"
#include "opt.h"
#include "status.h"

#ifndef KB_VERSION
#define KB_VERSION "0.1"
#endif

enum { OPT_BASE = 256, OPT_CHECK, OPT_JSON, OPT_ALLOW_UNMET, OPT_ARCH, OPT_TREE, OPT_LIST, OPT_VERSION };

static const struct kb_option config_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree" },
	{ "objdir", 'O', required_argument, "DIR", "build directory (make O=DIR); .config is written there" },
	{ "base", OPT_BASE, required_argument, "BASE",
	  "running (default), defconfig, tinyconfig, localmodconfig, ... or a .config file" },
	{ "config", 'c', required_argument, "NAME|FILE", "fragment or profile to merge; repeat to merge in order" },
	{ "json", OPT_JSON, required_argument, "FILE", "write every requested symbol's verdict as JSON" },
	{ "allow-unmet", OPT_ALLOW_UNMET, no_argument, NULL, "exit 0 even when a requested value did not stick" },
	{ "builtin", 'y', no_argument, NULL, "never demote y to m while merging (merge_config.sh -y)" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for make and Kconfig (default: the host's)" },
	{ "list", OPT_LIST, no_argument, NULL, "list the shipped fragments and profiles" },
	{ "verbose", 'v', no_argument, NULL, "show make's commands and every verified value" },
	{ "help", 'h', no_argument, NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct kb_option explain_options[] = {
	{ "tree", OPT_TREE, required_argument, "DIR", "kernel source tree" },
	{ "objdir", 'O', required_argument, "DIR", "build directory holding the .config to explain" },
	{ "arch", OPT_ARCH, required_argument, "ARCH", "ARCH for Kconfig (default: the host's)" },
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
	{ "arch", OPT_ARCH, required_argument, "ARCH", "SRCARCH for Kconfig (default: the host's)" },
	{ "check", OPT_CHECK, required_argument, "CONFIG",
	  "check that every value in CONFIG is allowed by the dependencies and selects kbuild parsed" },
	{ "verbose", 'v', no_argument, NULL, "show every tolerated oddity in the Kconfig files" },
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
		"usage: kbuild COMMAND [OPTIONS]\n"
		"\n"
		"Build low-latency audio kernels and check that every requested option stuck.\n"
		"\n"
		"commands:\n"
		"  config    merge fragments into a tree's .config, run olddefconfig, verify and explain\n"
		"  explain   why a symbol has its value in a build directory's .config\n"
		"  merge     merge .config fragments without a tree (like merge_config.sh -m)\n"
		"  kconfig   parse a tree's Kconfig files and print what they hold, time and memory\n"
		"\n"
		"options:\n");
	opt_print_help(fp, main_options);
	fprintf(fp, "\nRun 'kbuild COMMAND --help' for a command's options.\n");
}

static void usage_cmd(FILE *fp, const char *synopsis, const struct kb_option *opts)
{
	fprintf(fp, "usage: %s\n\n", synopsis);
	opt_print_help(fp, opts);
}

/* Where kconfig-fragments/ lives: $KBUILD_DATADIR, beside the binary, the source tree, or PREFIX/share. */
static char *find_datadir(void)
{
	const char *env = getenv("KBUILD_DATADIR");
	char exe[PATH_MAX];
	ssize_t n;
	char *cand;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *dir;

		exe[n] = '\0';
		dir = fs_dirname(exe);
		cand = xasprintf("%s/../kconfig-fragments", dir);
		if (!fs_is_dir(cand)) {
			free(cand);
			cand = xasprintf("%s/../share/kbuild/kconfig-fragments", dir);
		}
		free(dir);
		if (fs_is_dir(cand))
			return cand;
		free(cand);
	}
	cand = xstrdup(KB_SRCDIR "/kconfig-fragments");
	if (fs_is_dir(cand))
		return cand;
	free(cand);
	return xstrdup(KB_DATADIR "/kconfig-fragments");
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

static int cmd_config(int argc, char **argv)
{
	struct config_opts o = { 0 };
	const char **configs = xcalloc((size_t)argc, sizeof(*configs));
	struct option *lo;
	char *so, *datadir = find_datadir();
	int c, list = 0, ret;

	opt_tables(config_options, &lo, &so);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case OPT_TREE: o.tree = optarg; break;
		case 'O': o.objdir = optarg; break;
		case OPT_BASE: o.base = optarg; break;
		case 'c': configs[o.nr_configs++] = optarg; break;
		case OPT_JSON: o.json = optarg; break;
		case OPT_ALLOW_UNMET: o.allow_unmet = 1; break;
		case 'y': o.builtin_wins = 1; break;
		case OPT_ARCH: o.arch = optarg; break;
		case OPT_LIST: list = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h':
			usage_cmd(stdout, "kbuild config --tree SRC -O BUILD [--base BASE] --config NAME|FILE ... "
				  "[--json FILE] [--allow-unmet]", config_options);
			ret = KB_OK;
			goto out;
		default:
			if (!bad_option(c, argv))
				BUG("unhandled option %d", c);
			ret = KB_EUSAGE;
			goto out;
		}
	}
	if (optind < argc) {
		kb_error("unexpected argument '%s' (fragments are given with --config)", argv[optind]);
		ret = KB_EUSAGE;
		goto out;
	}
	if (list) {
		ret = config_list(datadir);
		goto out;
	}
	if (!o.tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		ret = KB_EUSAGE;
		goto out;
	}
	o.configs = configs;
	o.datadir = datadir;
	ret = config_run(&o);
out:
	opt_tables_free(lo, so);
	free(configs);
	free(datadir);
	return ret;
}

static int cmd_explain(int argc, char **argv)
{
	struct explain_opts o = { 0 };
	struct option *lo;
	char *so;
	int c, ret;

	opt_tables(explain_options, &lo, &so);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case OPT_TREE: o.tree = optarg; break;
		case 'O': o.objdir = optarg; break;
		case OPT_ARCH: o.arch = optarg; break;
		case 'h':
			usage_cmd(stdout, "kbuild explain --tree SRC -O BUILD CONFIG_X...", explain_options);
			opt_tables_free(lo, so);
			return KB_OK;
		default:
			if (!bad_option(c, argv))
				BUG("unhandled option %d", c);
			opt_tables_free(lo, so);
			return KB_EUSAGE;
		}
	}
	opt_tables_free(lo, so);
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
	ret = config_explain(&o);
	return ret;
}

static int cmd_merge(int argc, char **argv)
{
	struct merge_opts o = { 0 };
	struct option *lo;
	char *so;
	int c;

	opt_tables(merge_options, &lo, &so);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'y': o.builtin_wins = 1; break;
		case 'q': o.quiet = 1; break;
		case 'h':
			usage_cmd(stdout, "kbuild merge [-o FILE] [-y] BASE FRAGMENT...", merge_options);
			opt_tables_free(lo, so);
			return KB_OK;
		default:
			if (!bad_option(c, argv))
				BUG("unhandled option %d", c);
			opt_tables_free(lo, so);
			return KB_EUSAGE;
		}
	}
	opt_tables_free(lo, so);
	if (optind >= argc) {
		kb_error("nothing to merge: kbuild merge BASE FRAGMENT...");
		return KB_EUSAGE;
	}
	o.files = (const char *const *)argv + optind;
	o.nr_files = (size_t)(argc - optind);
	return config_merge_only(&o);
}

static int cmd_kconfig(int argc, char **argv)
{
	const char *tree = NULL, *arch = NULL, *check = NULL;
	struct option *lo;
	char *so;
	int c, verbose = 0;

	opt_tables(kconfig_options, &lo, &so);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case OPT_TREE: tree = optarg; break;
		case OPT_ARCH: arch = optarg; break;
		case 'v': verbose = 1; break;
		case OPT_CHECK: check = optarg; break;
		case 'h':
			usage_cmd(stdout, "kbuild kconfig --tree SRC [--arch ARCH] [--check CONFIG]", kconfig_options);
			opt_tables_free(lo, so);
			return KB_OK;
		default:
			if (!bad_option(c, argv))
				BUG("unhandled option %d", c);
			opt_tables_free(lo, so);
			return KB_EUSAGE;
		}
	}
	opt_tables_free(lo, so);
	if (optind < argc) {
		kb_error("unexpected argument '%s'", argv[optind]);
		return KB_EUSAGE;
	}
	return config_kconfig_stats(tree, arch, check, verbose);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "config", cmd_config },
	{ "explain", cmd_explain },
	{ "merge", cmd_merge },
	{ "kconfig", cmd_kconfig },
};

int main(int argc, char **argv)
{
	struct option *lo;
	char *so;
	int c;

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
