/* meta.h - metadata.json, the build directory's record of a run: written when it starts and after every stage */
#ifndef KB_META_H
#define KB_META_H

#include <stddef.h>
#include "series.h"

/* Every field is the stages' to fill (strings owned, freed by meta_release); NULL is written as null. */
struct kb_meta {
	char *path;                /* BUILD/metadata.json; NULL until the build directory exists: nothing is written */
	const char *status;        /* running, building, interrupted, ok, failed */
	char *command, *cwd, *make_command;
	char *tree, *version, *origin;
	struct applied_series series;
	struct { char *path, *sha256; } *frags;
	size_t nr_frags;
	char *base, *base_sha256, *config_sha256;
	char *release, *image;
	char *cc, *ld, *make, *compiler_string;
	struct { const char *name; double seconds; } stages[8]; /* the stages that ran, in order */
	size_t nr_stages;
	int jobs;
	char *localversion, *timestamp;
	long objects, modules;
	int ccache;
	long cc_hits, cc_misses;
	char *distcc;
	char *packages, *destdir;
	char *error;
};

/* The run begins: status "running", the working directory and the command line as the user typed it. */
void meta_start(struct kb_meta *m, int argc, char **argv);
/* A stage ran for `seconds` (`name` is a string constant); a stage run again keeps its last time. */
void meta_stage_time(struct kb_meta *m, const char *name, double seconds);
/* Write m->path atomically (a warning when that fails); nothing before the build directory exists. */
void meta_write(const struct kb_meta *m);
void meta_release(struct kb_meta *m);

#endif
