/* build.h - the build stage: make variables, make invocation, progress, build.log, first error, ccache and distcc */
#ifndef KB_BUILD_H
#define KB_BUILD_H

#include <stddef.h>
#include "status.h"
#include "strbuf.h"
#include "strmap.h"

struct build_opts {
	const char *tree;          /* absolute source tree */
	const char *objdir;        /* absolute build directory, holding .config */
	const char *arch;          /* ARCH= for make, or NULL */
	const char *srcarch;       /* arch/ subdirectory (x86 for x86_64) */
	int jobs;                  /* make -j */
	const char *localversion;  /* LOCALVERSION=, e.g. "-ll" ("" for none) */
	const char *timestamp;     /* KBUILD_BUILD_TIMESTAMP */
	const char *cc;            /* CC= ("ccache gcc", "distcc gcc"), or NULL for make's default */
	const char *const *env;    /* extra environment (CCACHE_*, DISTCC_HOSTS), NULL-terminated, or NULL */
	const char *const *targets; /* make goals; NULL: the image and, with CONFIG_MODULES, modules */
	int verbose;               /* V=1: every command */
	int progress;              /* 1: a live line on a terminal; 0: plain progress lines */
	struct run_guard *guard;   /* the pipeline's signal handler stops make through it, or NULL */
};

struct build_result {
	char *release;             /* include/config/kernel.release, or NULL */
	char *command;             /* the make command line with its environment, as run */
	char *image;               /* the boot image, relative to objdir (arch/x86/boot/bzImage) */
	long objects;              /* objects compiled in this run */
	long estimate;             /* objects we expected to compile */
	long modules;              /* lines in modules.order */
	int make_status;           /* make's exit status */
	char *first_error;         /* the first compiler or linker error with its context, or NULL */
	int no_space;              /* the disk filled up */
	char *question;            /* the Kconfig symbol make's syncconfig asked for (make stopped), or NULL */
};

void build_result_release(struct build_result *r);

/* The build's make command line with its environment, as build_run will run it (caller frees). */
char *build_command_line(const struct build_opts *o);

/* The make command line (without env) for `goals` (caller frees the vector with free_argv). */
char **build_make_argv(const struct build_opts *o, const char *const *goals);
void free_argv(char **argv);

/*
 * Run make for the image and modules, with progress on stderr and the full
 * output in objdir/build.log. KB_OK; KB_FAILED when make failed (first
 * error in r->first_error, or r->question when syncconfig asked one and
 * make was stopped); KB_EENV when make cannot run or the disk is full;
 * KB_INTERRUPTED when o->guard was told to stop.
 */
int build_run(const struct build_opts *o, struct build_result *r);

/*
 * The symbol of a Kconfig question in make's output ("Prompt (SYM) [Y/n/?]
 * (NEW) ", a choice member "1. Name (SYM) (NEW)"), or NULL (caller frees).
 */
char *build_kconfig_question(const char *line);

/*
 * Estimate how many objects a configuration compiles by walking the tree's
 * Kbuild/Makefile lists from the top-level Kbuild: obj-y and obj-$(CONFIG_X)
 * entries with X set, directories recursed, composite objects counted by
 * their parts. `config` maps CONFIG_ names (without the prefix) to values.
 */
long build_estimate_objects(const char *tree, const char *srcarch, const struct strmap *config);

/*
 * The first compiler or linker error in a build log, with up to `context`
 * following lines (caller frees), or NULL when none is recognised.
 */
char *build_first_error(const char *log, int context);

/* Did the log run out of disk space? */
int build_log_no_space(const char *log);

/*
 * What a build of `objects` objects (of `total` in the whole build) will cost on this machine
 * kind at -j`jobs`: seconds and MB of disk, and the part of each that debug information takes
 * (debug_info: 0 none, 1 DEBUG_INFO, 2 reduced or split DWARF; `options`: those set to y or m,
 * for the disk formula of doctor.c; `version`: the tree's VERSION * 100 + PATCHLEVEL, 0 when
 * unknown). Calibration in build.c.
 */
struct build_cost {
	double seconds, debug_seconds;
	long disk_mb, debug_disk_mb;
};
void build_estimate_cost(long objects, long total, long options, int debug_info, int jobs, int version,
			 struct build_cost *c);

/* "1h02m", "5m27s", "42s": a duration as the progress lines show it. */
void build_format_duration(char *buf, size_t n, double s);

/* "42% 420/1000 objects, 1m05s, ETA 1m30s": the progress text for `done` of `total` after `elapsed` seconds. */
void build_progress_format(char *buf, size_t n, long done, long total, double elapsed);

/* Is this make output line an object being compiled ("  CC      kernel/fork.o", "  CC [M]  ...", "  AS ...")? */
int build_line_is_object(const char *line);

/* The build's LOCALVERSION, timestamp, CC and environment, kept in objdir/.kbuild/make-vars. 0 or -errno. */
int build_vars_save(const struct build_opts *o);

struct build_vars {
	struct strbuf text;       /* the file; the pointers below point into it */
	const char *env[16];
	size_t nr_env;
};

/* Fill o's localversion, timestamp, cc and env from objdir/.kbuild/make-vars. 0 or -errno. */
int build_vars_load(struct build_opts *o, struct build_vars *v);
void build_vars_release(struct build_vars *v);

/*
 * The hosts and slots in a DISTCC_HOSTS list ("a/4 b:3633/8 localhost"):
 * the sum of the /N limits (distcc's default 4 a host, 2 for localhost), or
 * -EINVAL for an empty or malformed list.
 */
int distcc_slots(const char *hosts);

/* A KBUILD_BUILD_TIMESTAMP for an epoch: "Thu Jan  1 00:00:00 UTC 1970" (caller frees). */
char *build_timestamp_string(long long epoch);

struct kb_job;
/* Before anything runs: --ccache and --distcc can work (the tools are there, the host list parses). KB_OK, KB_EUSAGE, KB_EENV. */
int build_stage_check(struct kb_job *job);

/*
 * The build directory's lock (objdir/.kbuild/lock, flock): exclusive for a command that writes
 * the build (the main command, kbuild config), shared for one that uses a finished build. Never
 * waits: the descriptor (close it to release), or <0 after saying who holds it (exit KB_EENV).
 * argv: the command's words after "kbuild", recorded for that message.
 */
int build_dir_lock(const char *objdir, int shared, int argc, char *const *argv);
/* Does a kbuild command hold the build directory's lock now? */
int build_dir_in_use(const char *objdir);
/*
 * For install, modules and boot-test: the shared lock and a finished build (the build stage's
 * stamp). The lock's descriptor, or -1 after saying why not ("build it first"; exit KB_EENV).
 */
int build_use_finished(const char *objdir, int argc, char *const *argv);
/*
 * After the config stage, before the prerequisites and the build: the objects to compile, the
 * time and disk they will take, and what debug information costs of both (report_estimate).
 * Always KB_OK.
 */
int build_estimate_stage(struct kb_job *job);
/*
 * Once the tree and the build directory are known: the make variables of every later stage
 * (jobs, LOCALVERSION, the source's timestamp, the compiler string with ccache's and distcc's
 * environment) into job->make and the metadata.
 */
void build_job_setup(struct kb_job *job);
/*
 * The build stage: the toolchain recorded, make for the image and modules, the modules staged
 * (modules_stage), the config stamp brought up to date, the result reported. KB_OK, KB_FAILED,
 * KB_EENV, or KB_INTERRUPTED (the metadata says so; the same command resumes).
 */
int build_stage(struct kb_job *job);

#endif
