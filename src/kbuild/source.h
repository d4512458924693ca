/* source.h - the source stage (kernel tree, build directory) and where a series comes from: ll profile, tarballs, Debian packages */
#ifndef KB_SOURCE_H
#define KB_SOURCE_H

#include "strbuf.h"

struct run_guard;

struct tree_version {
	int version, patchlevel, sublevel;
};

/* Read VERSION/PATCHLEVEL/SUBLEVEL from the tree's Makefile. 0 or -errno. */
int source_tree_version(const char *tree, struct tree_version *v);

struct series_source {
	char *spec;     /* directory or file to load; NULL when nothing is to be applied */
	char *name;     /* how to call it: "ll for 6.1.176: Debian linux 6.1.176-1 patches-rt" */
	char *why_none; /* with spec NULL: why nothing applies */
};

struct source_opts {
	const char *tree;
	const char *spec;      /* ll, DIR, FILE or TARBALL */
	const char *patchdir;  /* the project's patches/ */
	const char *scriptdir; /* the project's scripts/ */
	const char *override;  /* --source: a local path or a mirror URL */
	const char *cachedir;  /* where tarballs are unpacked */
	int verbose;
	struct run_guard *guard; /* or NULL: a signal to kbuild ends the download or unpack at work */
};

/* Can o->spec (and o->override) be found, without fetching anything? 0 or -errno (err filled). */
int source_check_spec(const struct source_opts *o, struct strbuf *err);
/* 0, -ENOENT/-EINVAL/-EIO with messages in err (errors already formatted). */
int source_resolve(const struct source_opts *o, struct series_source *out, struct strbuf *err);
void series_source_release(struct series_source *s);
/* The cache directory: $KBUILD_CACHE, else $XDG_CACHE_HOME/kbuild, else ~/.cache/kbuild (caller frees). */
char *source_cache_dir(void);

struct kb_job;
/*
 * The source stage: --tree as it is, else the distribution's newest kernel source (or --kernel's)
 * through scripts/kernel-source, copied for --patch; then the build directory (-O, else
 * build/<tree name>) and the build's make variables. KB_OK, KB_EUSAGE, KB_FAILED, KB_EENV.
 */
int source_stage(struct kb_job *job);
/* --tree, --kernel and -O, checked before anything is fetched: KB_OK, KB_EUSAGE, KB_EENV. */
int source_stage_check(struct kb_job *job);
/* After every check: the lock of an -O build directory that kbuild used before (KB_EENV when it is in use). */
int source_stage_lock(struct kb_job *job);

/* kbuild cache: the cache's entries and the build directories under ./build with their sizes (stdout). */
int source_cache_list(void);
/*
 * kbuild cache remove: the named entries (as listed), or all of them; never one a kbuild command
 * (or scripts/kernel-source) is using. KB_OK, KB_EUSAGE (an unknown name: nothing removed), KB_EENV.
 */
int source_cache_remove(const char *const *names, size_t n, int all);
/* The main command's shared lock on the cache entry of the tree it builds (job->treelockfd). */
void source_lock_cached_tree(struct kb_job *job);

#endif
