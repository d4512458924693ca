/* confcache.h - the kernel's built kconfig (fixdep, conf) kept per tree and host compiler, seeded into new build directories */
#ifndef KB_CONFCACHE_H
#define KB_CONFCACHE_H

#include <stddef.h>
#include <time.h>
#include "strbuf.h"

/* One file of an entry: a path under scripts/basic/ or scripts/kconfig/ of a build directory. */
struct confcache_file {
	char *path;
	unsigned mode;             /* 0644 or 0755 */
	struct timespec mtime;     /* as make left it in the build directory the entry came from */
	size_t size;
	const char *data;          /* points into the entry's buffer */
};

struct confcache_entry {
	struct confcache_file *files;
	size_t nr;
};

/*
 * Parse and check an entry read back from the cache (untrusted): the format line, `key` (the
 * one computed for this tree and compiler), every file's path, mode, size and sha256, and no
 * bytes left over. 0, or -EINVAL with the reason in `why` (nothing kept in `e`). The files'
 * data point into `buf`, which must outlive `e`.
 */
int confcache_parse(struct confcache_entry *e, const char *buf, size_t len, const char *key, struct strbuf *why);
void confcache_entry_release(struct confcache_entry *e);
/* The entry's bytes for `e` under `key` (appended to out). */
void confcache_format(const struct confcache_entry *e, const char *key, struct strbuf *out);

/* State between confcache_seed and confcache_store for one build directory. */
struct confcache {
	char *key;                 /* hex sha256 of tree, sources and host tools; NULL: no cache */
	char *entry_path;
	int seeded;                /* the build directory got its files from the entry */
	struct strbuf raw;         /* the entry as read (when seeded) */
	struct confcache_entry entry;
};
#define CONFCACHE_INIT { NULL, NULL, 0, STRBUF_INIT, { NULL, 0 } }

/*
 * Before the first `make *config` in `objdir` of `tree`: when the build directory has neither
 * scripts/basic/fixdep nor scripts/kconfig/conf and `cachedir` holds a valid entry for this
 * tree's kconfig sources and host compiler, write its files there with their mtimes, so that
 * make finds them up to date. An invalid entry is reported (a note) and ignored. Never fails
 * the stage: make builds whatever was not seeded.
 */
void confcache_seed(struct confcache *cc, const char *cachedir, const char *tree, const char *objdir);
/* After a successful `make *config` in objdir: keep what make built (or rebuilt) for the next build directory. */
void confcache_store(struct confcache *cc, const char *objdir);
void confcache_release(struct confcache *cc);
/*
 * "KCONFIG_AUTOCONFIG=FILE" for `make *config` in objdir (caller frees; NULL when FILE cannot be
 * made). conf writes include/config/auto.conf and a file for every symbol only where no
 * auto.conf exists yet: in a new build directory thousands of files, which the build's
 * syncconfig writes again anyway. An empty FILE under objdir/.kbuild makes conf skip that.
 */
char *confcache_no_autoconf(const char *objdir);

#endif
