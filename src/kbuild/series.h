/* series.h - patch series: parse, check the whole series against a tree, apply it as one transaction, ledger, unpatch */
#ifndef KB_SERIES_H
#define KB_SERIES_H

#include <stddef.h>
#include "sha256.h"
#include "status.h"
#include "strbuf.h"

struct patch_file {
	char *name;             /* as written in the series file */
	char *path;             /* the file on disk */
	const char *series_file;
	int line;               /* its line in the series file (0 for a single patch) */
	int strip;              /* -pN, default 1 */
	int reverse;            /* -R */
	char *data;             /* decompressed text */
	size_t len;
	char sha256[SHA256_HEX];
	char **files;           /* tree paths it touches, after stripping */
	size_t nr_files, alloc_files;
};

struct series {
	char *name;             /* shown to the user */
	char *series_file;      /* NULL for a single patch */
	struct patch_file *patches;
	size_t nr, alloc;
};

/*
 * Load a series from a directory holding a quilt `series` file, a single
 * patch (optionally .gz/.bz2/.xz/.zst), or a directory whose patches/
 * subdirectory holds the series (an unpacked RT tarball). 0, or -errno with
 * "path:line: error: ..." lines in err.
 */
int series_load(struct series *s, const char *spec, const char *name, struct strbuf *err);
void series_release(struct series *s);
/* The tree paths a patch touches, from its headers (hunks are skipped exactly). */
int patch_parse_paths(struct patch_file *p, struct strbuf *err);
/* Refuse paths that leave the tree: absolute, "..", or through a symlink in `tree`. */
int patch_check_paths(const struct series *s, const char *tree, struct strbuf *err);

struct patch_opts {
	const char *tree;
	const char *spec;        /* ll, a directory, a file, or a tarball */
	const char *patchdir;    /* the project's patches/ (profiles) */
	const char *scriptdir;   /* the project's scripts/ */
	const char *source;      /* a local path or mirror that overrides the profile's source */
	int dry_run;
	int unpatch;
	int status;
	int strict;
	int force;               /* --unpatch even over edits made since */
	int verbose;
};

enum kb_status patch_run(const struct patch_opts *o);

#define LEDGER_DIR ".kbuild-patches"

/* What a tree's ledger says is applied (for metadata.json). */
struct applied_series {
	char *series;           /* NULL: no ledger, nothing applied by kbuild */
	struct applied_patch {
		char *name;
		char sha256[SHA256_HEX];
	} *patches;
	size_t nr;
};

/* 0 (series NULL when the tree has no ledger) or -errno. */
int patch_applied(const char *tree, struct applied_series *out);
void applied_series_release(struct applied_series *a);

struct kb_job;
/* The patch stage: --patch applied with patch_run (nothing to do without it); the ledger into the metadata. */
int patch_stage(struct kb_job *job);

#endif
