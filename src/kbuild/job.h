/* job.h - struct kb_job: one run of the pipeline (tree, build directory, make environment, options, metadata), passed to every stage */
#ifndef KB_JOB_H
#define KB_JOB_H

#include "build.h"
#include "fragment.h"
#include "meta.h"
#include "pipeline.h"

struct kb_job {
	struct pipeline_opts *o;     /* the command line; stages fill o->patch and o->config for their runs */
	struct kb_meta meta;         /* metadata.json; meta.tree is the tree every stage works on */
	struct fragment_list frags;  /* --config resolved to files, before anything runs */
	char *objdir;                /* absolute build directory (made by the source stage) */
	char *statedir;              /* objdir/.kbuild */
	char *dotconfig;             /* objdir/.config */
	const char *arch;            /* ARCH for make and Kconfig, or NULL */
	int jobs;                    /* make -j */
	char *cc;                    /* the compiler string ("ccache gcc", "distcc gcc"), or NULL: make's default */
	const char *env[8];          /* ccache and distcc settings for make (owned), NULL-terminated */
	struct build_opts make;      /* the make variables of configuring, the build, packages and the install */
	char *config_inputs;         /* digest of what fed the config stage (its stamp), or NULL: no --config */
	int skipped;                 /* set by a stage that had nothing to do: its time is not recorded */
	int missing_tool;            /* set by a stage that failed for want of a tool: the prerequisites stage says which */
	int lockfd;                  /* the build directory's lock (exclusive), or -1 */
	int treelockfd;              /* the cached tree's (shared), or -1 */
};

#endif
