/* fuzz-patch.c - libFuzzer harness: a patch's file headers through series.c's patch_parse_paths, then the tree check */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "series.h"
#include "util.h"

/* A tree with a symlink out of it: SCRATCH/tree/link -> .. */
static const char *tree(void)
{
	static int made;

	if (!made) {
		fuzz_write("tree/README", (const uint8_t *)"", 0);
		if (symlink("..", fuzz_path("tree/link")) < 0)
			abort();
		made = 1;
	}
	return fuzz_path("tree");
}

/* What patch_check_paths lets through must stay in the tree: relative, no "..", not through "link". */
static void check_inside(const struct patch_file *p)
{
	for (size_t i = 0; i < p->nr_files; i++) {
		const char *f = p->files[i];
		char *copy = xstrdup(f), *save = NULL;

		if (f[0] == '/')
			abort();
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
			if (str_eq(c, ".."))
				abort();
			if (c == copy && str_eq(c, "link"))
				abort();
		}
		free(copy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int strip = 0; strip <= 1; strip++) {
		struct strbuf err = STRBUF_INIT;
		struct series s = { 0 };
		struct patch_file *p;
		char *tree_path = xstrdup(tree());

		s.name = xstrdup("fuzz");
		s.patches = xcalloc(1, sizeof(*s.patches));
		s.nr = s.alloc = 1;
		p = &s.patches[0];
		p->name = xstrdup("fuzz.patch");
		p->path = xstrdup("fuzz.patch");
		p->strip = strip;
		p->data = xmalloc(size ? size : 1);
		memcpy(p->data, data, size);
		p->len = size;
		if (patch_parse_paths(p, &err) == 0 && patch_check_paths(&s, tree_path, &err) == 0)
			check_inside(p);
		free(tree_path);
		series_release(&s);
		strbuf_release(&err);
	}
	return 0;
}
