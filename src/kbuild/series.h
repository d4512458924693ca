/* series.h - patch series: parse, check the whole series against a tree, apply it as one transaction, ledger, unpatch */
#ifndef KB_SERIES_H
#define KB_SERIES_H

#include <stddef.h>
#include "sha256.h"
#include "status.h"
#include "strbuf.h"

struct run_guard;

/* What a patch says it does to one file, from git's headers or ---/+++ and /dev/null. */
enum patch_op {
	PATCH_MODIFY,           /* hunks and/or a mode change */
	PATCH_CREATE,           /* a new file, also the target of a rename or copy */
	PATCH_DELETE,           /* a deleted file, also the source of a rename */
	PATCH_KEEP,             /* the source of a copy: read, left as it was */
};

struct patch_target {
	char *path;             /* tree path, after stripping */
	char *other;            /* plain diffs whose ---/+++ names differ: the other one (GNU patch picks either) */
	int line;               /* the header line in the patch that names it */
	enum patch_op op;
	unsigned old_mode, new_mode; /* git's modes, 0 when the patch gives none */
	int hunks;
};

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
	struct patch_target *targets; /* what it does to each, in the patch's order */
	size_t nr_targets, alloc_targets;
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
/*
 * The tree paths a patch touches and what it does to each, from its headers
 * (hunks are skipped exactly; git's quoted names decoded). Forms that GNU
 * patch would skip or cannot apply (binary patches, symlinks, a header
 * without a change) are errors with the patch's path:line.
 */
int patch_parse_paths(struct patch_file *p, struct strbuf *err);
/* Refuse paths that leave the tree: absolute, "..", through a symlink in `tree`, or into LEDGER_DIR. */
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
	struct run_guard *guard; /* the pipeline's: Ctrl-C ends the fetch and unpack of a series */
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
/* --patch and --source found without fetching anything, and patch installed: KB_OK, KB_EUSAGE, KB_EENV. */
int patch_stage_check(struct kb_job *job);

#endif
