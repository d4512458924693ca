/* fragment.h - .config and fragment reader, profiles, and the ordered merge with provenance */
#ifndef KB_FRAGMENT_H
#define KB_FRAGMENT_H

#include <stddef.h>
#include "strbuf.h"
#include "strmap.h"

struct cfg_assign {
	const char *name;   /* without the CONFIG_ prefix */
	const char *value;  /* as written after '=': y, m, n, 100, 0x10, "text"; "n" for is-not-set */
	const char *file;   /* path shown in diagnostics */
	int line;
	int not_set;        /* written as "# CONFIG_X is not set" */
	int is_base;
	unsigned seq;       /* position in the merge */
};

struct cfg_file {
	char *path;         /* display path (owned) */
	char *help;         /* first-line "# Help:" text, or NULL (owned) */
	char *data;         /* file contents; names and values point into it */
	struct cfg_assign *items;
	size_t nr, alloc;
	int is_base;
};

/*
 * Parse a .config or fragment held in `data` (malloc'ed, taken over, freed by
 * cfg_file_release). Errors are written to `err` as "path:line: error: ..."
 * and -EINVAL is returned; nothing is kept.
 */
int cfg_parse(struct cfg_file *f, const char *path, char *data, size_t len, struct strbuf *err);
/* A .config is ~300 KB, a distribution's whole config set under 1 MB: 64 MiB is no fragment. */
#define CFG_MAX_BYTES (64 << 20)
/*
 * Read and parse a file (gzip-compressed when the name ends in .gz, CFG_MAX_BYTES once
 * decompressed). 0, -EINVAL (err set: also for a file over CFG_MAX_BYTES) or -errno.
 */
int cfg_read(struct cfg_file *f, const char *path, const char *display, struct strbuf *err);
void cfg_file_release(struct cfg_file *f);

struct cfg_entry {
	struct cfg_assign cur;       /* the value that goes into the merged .config */
	const struct cfg_assign *request; /* last fragment assignment, NULL if only the base sets it */
	const struct cfg_assign *base;    /* the base's assignment, if any */
	size_t index;                /* first appearance, for output order */
	int superseded;              /* request replaced by a later member of its choice */
	int fallback;                /* superseded, but next in line if the winner does not stick */
};

struct cfg_merge {
	struct strmap map;           /* name -> struct cfg_entry */
	struct cfg_entry **order;
	size_t nr, alloc;
	unsigned seq;
	int builtin_wins;            /* merge_config.sh -y: never demote y to m */
	int warnings;
	int quiet;                   /* no redefinition warnings (benchmarks) */
};

void cfg_merge_init(struct cfg_merge *m);
void cfg_merge_release(struct cfg_merge *m);
/* Apply every assignment of `f` in order; warnings go to stderr. */
void cfg_merge_add(struct cfg_merge *m, const struct cfg_file *f);
struct cfg_entry *cfg_merge_get(const struct cfg_merge *m, const char *name);
/* Set a value that no input file asked for (choice bookkeeping). */
void cfg_merge_set_derived(struct cfg_merge *m, const char *name, const char *value);
/* Render the merged configuration as a .config. */
void cfg_merge_write(const struct cfg_merge *m, struct strbuf *out);
/* Render one assignment as a .config line (no newline). */
void cfg_format_line(struct strbuf *sb, const char *name, const char *value);

/* The value of NAME in a parsed file's map (for .config lookups). */
struct cfg_map {
	struct cfg_file file;
	struct strmap map;           /* name -> struct cfg_assign */
};
int cfg_map_read(struct cfg_map *cm, const char *path, struct strbuf *err);
int cfg_map_parse(struct cfg_map *cm, const char *path, char *data, size_t len, struct strbuf *err);
const char *cfg_map_value(const void *cm, const char *name); /* NULL if unset or "is not set" -> "n" */
void cfg_map_release(struct cfg_map *cm);

/*
 * Fragment and profile names. `--config NAME` resolves to the profile
 * DATADIR/NAME.profile, else the fragment DATADIR/NAME.config, else the
 * file NAME. A profile lists fragment or profile names, one a line.
 */
struct fragment_ref {
	char *path;        /* file to read */
	char *display;     /* how diagnostics name it */
	char *via;         /* "profile audio" or "argument" */
};

struct fragment_list {
	struct fragment_ref *items;
	size_t nr, alloc;
};

/* Expand one --config argument into fragment files. 0, or -EINVAL/-ENOENT/-ELOOP with err set. */
int fragment_resolve(struct fragment_list *list, const char *datadir, const char *arg, struct strbuf *err);
void fragment_list_release(struct fragment_list *list);

#endif
