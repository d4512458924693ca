/* pipeline.h - kbuild without a command: the stages source, patch, config, prerequisites, build, package, install in order */
#ifndef KB_PIPELINE_H
#define KB_PIPELINE_H

#include "config.h"
#include "series.h"

struct pipeline_opts {
	const char *tree;          /* --tree, or NULL: the source stage finds one */
	const char *kernel;        /* --kernel VERSION|TARBALL|DIR */
	const char *objdir;        /* -O, or NULL: build/<tree name> */
	struct patch_opts patch;   /* patch.spec NULL: no series */
	struct config_opts config; /* config.nr_configs 0: keep the build directory's .config */
	int jobs;                  /* 0: the CPU count (or the distcc slots) */
	struct run_guard *guard;   /* set by pipeline_run: its signal handler stops the stages' commands */
	const char *localversion;  /* NULL: "-ll" */
	int ccache;
	const char *distcc;        /* DISTCC_HOSTS, or NULL */
	const char *package;       /* deb, rpm, tar, or NULL */
	int install;
	const char *destdir;       /* staged install, or NULL */
	int install_deps;          /* let the prerequisites check install what is missing */
	const char *stop_after;    /* the last stage to run, or NULL: all of them */
	int verbose;
	const char *scriptdir;     /* the project's scripts/ */
	int argc;                  /* the command line, for metadata.json's "command" */
	char **argv;
};

/* KB_* status, or KB_INTERRUPTED (130) when the build was interrupted and can be resumed. */
int pipeline_run(struct pipeline_opts *o);

/* Can the run stop after the stage called `name` (--stop-after)? */
int pipeline_can_stop_after(const char *name);

#endif
