/* fuzz-series.c - libFuzzer harness: a quilt series file through series.c's series_load, its patches checked against a tree */
#include <string.h>

#include "fuzz.h"
#include "series.h"
#include "util.h"

static const char patch[] =
	"--- a/Makefile\n+++ b/Makefile\n@@ -1,2 +1,2 @@\n VERSION = 6\n-PATCHLEVEL = 1\n+PATCHLEVEL = 2\n";

/*
 * A series may name patches by absolute paths or through "..": kbuild reads them wherever they are
 * (a choice, not a defect). The harness reads nothing outside its scratch directory: such inputs are
 * not run. Only "a.patch" and "series" exist to be named.
 */
static int leaves_scratch(const uint8_t *data, size_t size)
{
	if (fuzz_contains(data, size, ".."))
		return 1;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '/' && (i == 0 || strchr(" \t\r\n", data[i - 1])))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT;
	struct series s;
	static int made;
	char *dir;

	if (leaves_scratch(data, size))
		return -1;
	if (!made) {
		fuzz_write("quilt/a.patch", (const uint8_t *)patch, sizeof(patch) - 1);
		fuzz_write("tree/Makefile", (const uint8_t *)"", 0);
		made = 1;
	}
	fuzz_write("quilt/series", data, size);
	dir = xstrdup(fuzz_path("quilt"));
	if (series_load(&s, dir, "fuzz", &err) == 0)
		(void)patch_check_paths(&s, fuzz_path("tree"), &err);
	series_release(&s);
	strbuf_release(&err);
	free(dir);
	return 0;
}
