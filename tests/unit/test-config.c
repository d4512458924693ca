/* test-config.c - the config stamp's inputs: the toolchain Kconfig reads, and which part of a stamp changed */
#include "tap.h"
#include <errno.h>
#include "config.h"
#include <sys/stat.h>
#include "fs.h"
#include "run.h"

static void fake_tool(const char *dir, const char *name, const char *version)
{
	char *path = xasprintf("%s/%s", dir, name), *text = xasprintf("#!/bin/sh\necho '%s'\n", version);

	tap_write_file(path, text);
	chmod(path, 0755);
	free(path);
	free(text);
}

static void test_toolchain(const char *top)
{
	const char *oldpath = getenv("PATH");
	char *saved = xstrdup(oldpath ? oldpath : "/usr/bin:/bin");
	char *path = xasprintf("%s:/usr/bin:/bin", top);
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	unsetenv("CROSS_COMPILE");
	unsetenv("LLVM");
	fake_tool(top, "gcc", "gcc (Test) 99.1.0\nsecond line");
	fake_tool(top, "ld", "GNU ld (Test) 9.99");
	fake_tool(top, "pahole", "v1.24");
	fake_tool(top, "rustc", "rustc 1.99.0 (test)");
	setenv("PATH", path, 1);
	/* no bindgen on this PATH: /usr/bin has none here either, or the test would not be exact */
	if (run_have_program("bindgen"))
		fake_tool(top, "bindgen", "-");
	config_toolchain(NULL, &a);
	is_str(a.buf,
	       "tool cc gcc (Test) 99.1.0\n"
	       "tool ld GNU ld (Test) 9.99\n"
	       "tool pahole v1.24\n"
	       "tool rustc rustc 1.99.0 (test)\n"
	       "tool bindgen -\n",
	       "config_toolchain: the first line of each tool's --version, '-' for one that is missing or says nothing");
	config_toolchain("ccache gcc", &b);
	is_str(b.buf, a.buf, "config_toolchain: of 'ccache gcc' the compiler is gcc");
	strbuf_reset(&b);
	fake_tool(top, "pahole", "v1.27");
	config_toolchain(NULL, &b);
	ok(!str_eq(a.buf, b.buf), "config_toolchain: a new pahole changes the text");
	{
		struct strbuf what = STRBUF_INIT;
		char *want = xasprintf("inputs abc\n%s", b.buf);
		char *stamp = xasprintf("inputs abc\n%sconfig 123\n", a.buf);
		char *other = xasprintf("inputs abd\n%sconfig 123\n", a.buf);
		char *same = xasprintf("inputs abc\n%sconfig 123\n", b.buf);

		is_str(config_stamp_changed(stamp, want, &what), "toolchain", "the stamp: the toolchain changed");
		is_str(what.buf, "pahole", "the stamp: the tool that changed is named");
		is_str(config_stamp_changed(other, want, &what), "inputs", "the stamp: the inputs changed");
		ok(config_stamp_changed(same, want, &what) == NULL, "the stamp: nothing changed");
		is_str(config_stamp_changed("inputs abc\nconfig 123\n", want, &what), "no stamp",
		       "a stamp without tool lines (an older kbuild's) says nothing about the toolchain");
		is_str(config_stamp_changed(NULL, want, &what), "no stamp", "no stamp at all");
		free(want);
		free(stamp);
		free(other);
		free(same);
		strbuf_release(&what);
	}
	setenv("PATH", saved, 1);
	free(saved);
	free(path);
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	char *top = tap_scratch_dir("config");

	test_toolchain(top);
	is_int(fs_remove_tree(top), 0, "scratch directory removed");
	free(top);
	return done_testing();
}
