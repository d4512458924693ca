/* test-series.c - which files a patch touches: headers, hunk counting, -pN, git renames, /dev/null */
#include "tap.h"

#include "series.h"

static char *files_of(const char *text, int strip, int *ret)
{
	struct patch_file p;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	memset(&p, 0, sizeof(p));
	p.data = strdup(text);
	p.len = strlen(text);
	p.path = strdup("t.patch");
	p.strip = strip;
	*ret = patch_parse_paths(&p, &err);
	for (size_t i = 0; i < p.nr_files; i++) {
		strbuf_addf(&out, "%s%s", i ? " " : "", p.files[i]);
		free(p.files[i]);
	}
	if (*ret)
		strbuf_addstr(&out, err.buf);
	free(p.files);
	free(p.data);
	free(p.path);
	strbuf_release(&err);
	return strbuf_detach(&out, NULL);
}

#define FILES(text, strip, want, desc)                  \
	do {                                             \
		int r_;                                  \
		char *got_ = files_of(text, strip, &r_); \
		is_str(got_, want, desc);                \
		free(got_);                              \
	} while (0)

int main(void)
{
	FILES("--- a/kernel/sched.c\n+++ b/kernel/sched.c\n@@ -1 +1 @@\n-x\n+y\n", 1, "kernel/sched.c",
	      "a unified diff with a/ b/ prefixes, -p1");
	FILES("--- kernel/sched.c\t2024-01-01\n+++ kernel/sched.c\t2024-01-02\n@@ -1 +1 @@\n-x\n+y\n", 0,
	      "kernel/sched.c", "-p0 and timestamps after a tab");
	FILES("--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n--- not a header\n+++ not one either\n ctx\n"
	      "--- a/y.c\n+++ b/y.c\n@@ -1 +1 @@\n-a\n+b\n",
	      1, "x.c y.c", "lines inside a hunk that look like headers are counted, not parsed");
	FILES("diff --git a/localversion-rt b/localversion-rt\nnew file mode 100644\n--- /dev/null\n"
	      "+++ b/localversion-rt\n@@ -0,0 +1 @@\n+-rt1\n",
	      1, "localversion-rt", "a new file: /dev/null is not a path");
	FILES("diff --git a/old.c b/new.c\nsimilarity index 100%\nrename from old.c\nrename to new.c\n", 1,
	      "old.c new.c", "a git rename without hunks names both files");
	FILES("From: someone\nSubject: text only\n\nno diff here\n", 1,
	      "t.patch: error: not a patch: no '--- '/'+++ ' file headers found\n", "a file without headers");
	FILES("--- x.c\n+++ x.c\n@@ -1 +1 @@\n-a\n+b\n", 1,
	      "t.patch:1: error: cannot strip 1 components from 'x.c'\n", "too many components to strip");
	return done_testing();
}
