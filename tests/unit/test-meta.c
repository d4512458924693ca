/* test-meta.c - metadata.json's writer: nothing before the build directory exists, stage times in run order, nulls */
#include "tap.h"
#include <unistd.h>
#include "fs.h"
#include "meta.h"

static char *written(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, &sb) < 0)
		return NULL;
	return strbuf_detach(&sb, NULL);
}

static void test_no_path(void)
{
	struct kb_meta m = { .status = "running" };

	meta_write(&m); /* no build directory yet: nothing to write, no warning */
	ok(1, "no path: meta_write writes nothing");
	meta_release(&m);
}

static void test_stages(void)
{
	struct kb_meta m = { .status = "running" };
	char *dir = tap_scratch_dir("meta"), *text;

	m.path = xasprintf("%s/metadata.json", dir);
	meta_stage_time(&m, "source", 0.25);
	meta_stage_time(&m, "config", 1.5);
	meta_stage_time(&m, "build", 2);
	meta_stage_time(&m, "config", 3.0004); /* run again: the last time counts, the place stays */
	m.status = "ok";
	m.tree = xstrdup("/src/linux-6.12");
	m.jobs = 2;
	meta_write(&m);
	text = written(m.path);
	ok(text != NULL, "metadata.json written");
	ok(text && strstr(text, "\"schema\": \"kbuild-metadata/1\",\n  \"status\": \"ok\",\n  \"kernel_release\": null,"),
	   "schema, status, a missing release as null");
	ok(text && strstr(text, "\"stages\": {\n    \"source\": 0.250,\n    \"config\": 3.000,\n    \"build\": 2.000\n  },"),
	   "stages in the order they first ran, each with its last time");
	ok(text && strstr(text, "\"tree\": \"/src/linux-6.12\""), "the tree");
	ok(text && strstr(text, "\"series\": null,"), "no series: null");
	ok(text && strstr(text, "\"ccache\": null,"), "no ccache: null");
	ok(text && text[strlen(text) - 1] == '\n', "ends with a newline");
	unlink(m.path);
	rmdir(dir);
	free(text);
	free(dir);
	meta_release(&m);
}

int main(void)
{
	test_no_path();
	test_stages();
	return done_testing();
}
