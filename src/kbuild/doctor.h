/* doctor.h - prerequisites from the tree's own minimal-requirements table, headers, disk and memory, install command */
#ifndef KB_DOCTOR_H
#define KB_DOCTOR_H

#include <stddef.h>
#include "status.h"
#include "strbuf.h"

/* One row of Documentation/process/changes.rst (or Documentation/Changes in old trees). */
struct req_row {
	char *program;   /* "GNU C", "binutils", "openssl & libcrypto" */
	char *version;   /* "5.1", "2.10o", "any" */
	char *command;   /* "gcc --version" */
	int line;        /* in the table's file */
};

struct req_table {
	char *path;      /* the file the table came from */
	struct req_row *rows;
	size_t nr, alloc;
};

/*
 * Parse the minimal-requirements table of a kernel tree from the text of
 * changes.rst (the ====-ruled table) or the old Documentation/Changes
 * ("o  Gnu C   2.91.66   # gcc --version" lines). 0, or -EINVAL with
 * "path:line: error: ..." in err when no table is found.
 */
int req_table_parse(struct req_table *t, const char *path, const char *text, struct strbuf *err);
/* Read the tree's table from whichever file it has. 0, -ENOENT, -EINVAL (err filled). */
int req_table_load(struct req_table *t, const char *tree, struct strbuf *err);
void req_table_release(struct req_table *t);

/*
 * Compare two version strings the way the table means them: numeric
 * components compared as numbers, trailing letters ("2.10o") after the
 * number. <0, 0, >0 like strcmp.
 */
int version_cmp(const char *a, const char *b);
/* The first version-looking token (digits and dots) in a tool's output (caller frees), or NULL. */
char *version_from_output(const char *out);

/*
 * Rough sizes of a build, in MB (the formulas and their calibration are in
 * doctor.c): disk for `options` options set to y or m (debug_info 0, 1 for
 * DEBUG_INFO, 2 for DEBUG_INFO_REDUCED or split DWARF; package: a package
 * is built too), memory for make -j`jobs`.
 */
long doctor_disk_need_mb(long options, int debug_info, int package);
long doctor_mem_need_mb(int jobs, int debug_info);
/* MemAvailable of a /proc/meminfo text in MB, or -1. */
long meminfo_available_mb(const char *text);
/*
 * The family whose package names and install command fit an os-release
 * text (ID, then the words of ID_LIKE): "debian" (apt-get), "fedora" (dnf),
 * "arch" (pacman), "suse" (zypper), or NULL when none does.
 * doctor_run reads $KBUILD_OS_RELEASE, else /etc/os-release.
 */
const char *os_release_family(const char *text);

struct doctor_opts {
	const char *tree;     /* kernel source tree: its changes table */
	const char *config;   /* the .config to size the build for (conditional tools, disk, memory), or NULL */
	const char *objdir;   /* where the build goes (free space is checked there), or NULL */
	const char *package;  /* "deb", "rpm", "tar": also check the packaging tools, or NULL */
	int jobs;             /* make -j, for the memory estimate (0: the CPU count) */
	int install;          /* --install-deps: run the install command, then check again */
	int quiet;            /* the pipeline's first step: print only problems and the verdict */
	int verbose;          /* also list rows that do not apply to this build */
	int before_tree;      /* tree NULL allowed: not there yet; built-in minimums, no disk or memory */
};

/*
 * Check everything the build needs and print a report on stdout (problems
 * on stderr). KB_OK when everything needed is there (low disk or memory
 * only warns), KB_EENV when a tool or header is missing or too old (after
 * printing the one command that installs it), KB_EENV too for a missing
 * tree. A tree without a readable table is checked against built-in
 * minimums, with a warning.
 */
enum kb_status doctor_run(const struct doctor_opts *o);

struct kb_job;
/*
 * The prerequisites stage, the pipeline's one check of them: doctor_run, quiet, sized by the
 * build directory's .config, installing what is missing with --install-deps. It runs after the
 * config stage, and also when a stage failed for want of a tool (job->missing_tool), to say which.
 */
int prerequisites_stage(struct kb_job *job);
/*
 * The same check before anything is fetched, for a run that goes on to the build: against the
 * configuration known then (the base file with the fragments over it; a kconfig target's base
 * only from the fragments) and the tree's table with --tree, else built-in minimums; no disk or
 * memory yet. KB_OK, KB_EENV (what is missing said), KB_EUSAGE (a configuration file unreadable).
 */
int prerequisites_early(struct kb_job *job);

#endif
