/* config.h - the config stage: base + fragments -> merged -> olddefconfig -> verified .config */
#ifndef KB_CONFIG_H
#define KB_CONFIG_H

#include <stddef.h>
#include "status.h"
#include "strbuf.h"

struct config_opts {
	const char *tree;         /* kernel source tree */
	const char *objdir;       /* O= build directory */
	const char *base;         /* running, a kconfig target (defconfig, tinyconfig, ...) or a file */
	const char *const *configs; /* --config arguments, in order */
	size_t nr_configs;
	const char *json;         /* write the report here, or NULL */
	const char *datadir;      /* where kconfig-fragments/ lives */
	const char *arch;         /* ARCH for make and SRCARCH for Kconfig, or NULL for the host */
	const char *cc;           /* CC= for make (the build's compiler string), or NULL */
	const char *const *env;   /* extra environment for make (ccache, distcc), or NULL */
	int allow_unmet;
	int builtin_wins;
	int verbose;
	struct run_guard *guard;  /* the pipeline's signal handler stops make through it, or NULL */
};

enum kb_status config_run(const struct config_opts *o);

struct explain_opts {
	const char *tree;
	const char *objdir;
	const char *arch;
	const char *const *symbols;
	size_t nr_symbols;
};

enum kb_status config_explain(const struct explain_opts *o);

/* merge_config.sh -m without a tree: write the merged configuration. */
struct merge_opts {
	const char *const *files; /* base first */
	size_t nr_files;
	const char *output;       /* NULL: stdout */
	int builtin_wins;
	int quiet;
};

enum kb_status config_merge_only(const struct merge_opts *o);

/* Fragments and profiles shipped in datadir, with their Help lines. */
enum kb_status config_list(const char *datadir);

/* Parse a tree's Kconfig and print counts, parse time and peak memory. */
enum kb_status config_kconfig_stats(const char *tree, const char *arch, const char *check, int verbose);

/* The ARCH given to make and Kconfig: --arch, else $ARCH, else x86_64 on an x86_64 host, else NULL. */
const char *config_arch(const char *arch);

/* Is a tree given and a directory? KB_OK, KB_EUSAGE (none given) or KB_EENV (message printed). */
enum kb_status config_check_tree_dir(const char *tree);

/* Check that `tree` is a kernel source tree; fills SRCARCH. Returns KB_OK or KB_EENV (message printed). */
enum kb_status config_check_tree(const char *tree, const char *arch, const char **srcarch);

/* ---- a base from another kernel ---- */
struct cfg_file;
struct cfg_merge;
struct kconfig;
struct strbuf;
/* Fewer options set to y or m than this: a VM's or cloud kernel's configuration, not a distribution's. */
#define CONFIG_SMALL_BASE 3000
/*
 * Notes on a base from another kind of kernel, "PATH: note: ...\n" lines appended to out: a base
 * whose header names a newer kernel than the tree, a base much smaller than a distribution's
 * configuration. Returns how many.
 */
int config_base_notes(const struct cfg_file *base, const struct kconfig *kc, struct strbuf *out);
/*
 * The base's CONFIG_LOCALVERSION names the kernel it came from ("-fc-v1300"): unless a fragment
 * sets LOCALVERSION, the merge empties it and a note goes to out. Returns the value dropped
 * (as written, quoted; it points into the base) or NULL.
 */
const char *config_drop_base_localversion(struct cfg_merge *m, struct strbuf *out);

struct kb_job;
/* Before anything runs: ARCH, and every --config resolved to its files (job->frags). KB_OK or KB_EUSAGE. */
int config_stage_check(struct kb_job *job);
/* The file --base reads without a tree (caller frees): the running kernel's configuration or a file;
 * NULL for a kconfig target (or, said on stderr, when the running kernel's configuration is missing). */
char *config_base_file(const struct config_opts *o);
/*
 * The config stage: the tree checked (SRCARCH into job->make), then config_run, unless the stamp
 * says its inputs (base, fragments, tree, options, toolchain) and the .config it made are as last
 * time; without --config the build directory's .config is kept. The metadata gets the base, the
 * fragments and the .config with their sha256. KB_OK, KB_FAILED, KB_EUSAGE, KB_EENV
 * (job->missing_tool when make could not configure).
 */
int config_stage(struct kb_job *job);
/*
 * The toolchain whose answers Kconfig reads, one "tool NAME first line of
 * --version" line each (cc, ld, pahole, rustc, bindgen; "-" when missing),
 * appended to `out`. `cc` is the build's compiler string or NULL.
 */
void config_toolchain(const char *cc, struct strbuf *out);
/*
 * Why the config stamp `stamp` (its text, or NULL) does not match `want`
 * (the inputs line and the tool lines): "no stamp", "inputs", "toolchain"
 * (the tools that differ named in `what`), or NULL when they match.
 */
const char *config_stamp_changed(const char *stamp, const char *want, struct strbuf *what);
/* After a build: the stamp follows the .config the build's own syncconfig may have rewritten. */
void config_stamp_refresh(const struct kb_job *job);

#endif
