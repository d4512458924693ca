/*
 * test-series.c - which files a patch touches and what it does to each: headers, hunk counting, -pN,
 * git's quoted names, new/deleted/renamed/copied files, modes, and the forms refused (binary, symlinks);
 * each case says what GNU patch 2.7 (`patch -p1`) does with the same input
 */
#include "tap.h"

#include <errno.h>
#include "series.h"

/* The files (targets = 0) or the targets as OP:path(mode) (targets = 1), or the error. */
static char *parse(const char *text, int strip, int targets, int *ret)
{
	struct patch_file p;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	static const char ops[] = { [PATCH_MODIFY] = 'M', [PATCH_CREATE] = 'C', [PATCH_DELETE] = 'D',
				    [PATCH_KEEP] = 'K' };

	memset(&p, 0, sizeof(p));
	p.data = strdup(text);
	p.len = strlen(text);
	p.path = strdup("t.patch");
	p.strip = strip;
	*ret = patch_parse_paths(&p, &err);
	for (size_t i = 0; i < p.nr_files; i++) {
		if (!targets)
			strbuf_addf(&out, "%s%s", i ? " " : "", p.files[i]);
		free(p.files[i]);
	}
	for (size_t i = 0; i < p.nr_targets; i++) {
		const struct patch_target *t = &p.targets[i];

		if (targets) {
			strbuf_addf(&out, "%s%c:%s", i ? " " : "", ops[t->op], t->path);
			if (t->new_mode)
				strbuf_addf(&out, "(%o)", t->new_mode);
		}
		free(t->path);
		free(t->other);
	}
	if (*ret) {
		strbuf_reset(&out);
		strbuf_addstr(&out, err.buf);
	}
	free(p.files);
	free(p.targets);
	free(p.data);
	free(p.path);
	strbuf_release(&err);
	return strbuf_detach(&out, NULL);
}

static char *files_of(const char *text, int strip, int *ret)
{
	return parse(text, strip, 0, ret);
}

#define FILES(text, strip, want, desc)                  \
	do {                                             \
		int r_;                                  \
		char *got_ = files_of(text, strip, &r_); \
		is_str(got_, want, desc);                \
		free(got_);                              \
	} while (0)

#define TARGETS(text, strip, want, desc)                    \
	do {                                                 \
		int r_;                                      \
		char *got_ = parse(text, strip, 1, &r_);     \
		is_str(got_, want, desc);                    \
		free(got_);                                  \
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

	/* git's C-quoted names */
	TARGETS("diff --git \"a/caf\\303\\251.c\" \"b/caf\\303\\251.c\"\nindex 587be6b..975fbec 100644\n"
		"--- \"a/caf\\303\\251.c\"\n+++ \"b/caf\\303\\251.c\"\n@@ -1 +1 @@\n-x\n+y\n",
		1, "M:caf\303\251.c", "a C-quoted git name is decoded, octal escapes too (GNU patch: patches caf\303\251.c)");
	TARGETS("diff --git \"a/x\\\"q\\\\.c\" \"b/x\\\"q\\\\.c\"\nnew file mode 100644\n", 1, "C:x\"q\\.c(100644)",
		"quoted \\\" and \\\\ in a git name (GNU patch: the same name)");
	TARGETS("--- \"a/t\\tab.c\"\n+++ \"b/t\\tab.c\"\n@@ -1 +1 @@\n-x\n+y\n", 1,
		"t.patch:1: error: a control character in the file name 'a/t\tab.c'\n",
		"a tab or newline in a file name is refused (the ledger is tab-separated; GNU patch would create it)");
	TARGETS("--- \"a/n\\000ul.c\"\n+++ \"b/x.c\"\n@@ -1 +1 @@\n-x\n+y\n", 1,
		"t.patch:1: error: bad quoted file name: a NUL byte in a file name\n", "a NUL escape is refused");
	TARGETS("--- \"a/open.c\n+++ b/open.c\n@@ -1 +1 @@\n-x\n+y\n", 1,
		"t.patch:1: error: bad quoted file name: no closing quote\n", "an unterminated quote is refused");
	TARGETS("diff --git \"a/\\q.c\" \"b/\\q.c\"\nnew file mode 100644\n", 1,
		"t.patch:1: error: bad 'diff --git' header: an unknown escape\n", "an unknown escape is refused");

	/* git's extended headers */
	TARGETS("diff --git a/empty.txt b/empty.txt\nnew file mode 100644\nindex 0000000..e69de29\n", 1,
		"C:empty.txt(100644)", "an empty new file, no hunks (GNU patch: creates it)");
	TARGETS("diff --git a/e0 b/e0\ndeleted file mode 100644\nindex e69de29..0000000\n", 1, "D:e0",
		"an empty file deleted, no hunks (GNU patch: deletes it)");
	TARGETS("diff --git a/del.c b/del.c\ndeleted file mode 100644\nindex 4bcfe98..0000000\n--- a/del.c\n"
		"+++ /dev/null\n@@ -1 +0,0 @@\n-d\n", 1, "D:del.c", "a deleted file with its hunk (GNU patch: deletes it)");
	TARGETS("diff --git a/m.sh b/m.sh\nold mode 100644\nnew mode 100755\n", 1, "M:m.sh(100755)",
		"a mode change alone (GNU patch: chmods it)");
	TARGETS("diff --git a/m.sh b/m.sh\nold mode 100644\nnew mode 100755\n--- a/m.sh\n+++ b/m.sh\n@@ -1 +1 @@\n-a\n+b\n",
		1, "M:m.sh(100755)", "a mode change with a hunk: one target");
	TARGETS("diff --git a/old.c b/new.c\nsimilarity index 100%\nrename from old.c\nrename to new.c\n", 1,
		"D:old.c C:new.c", "a rename: the source goes, the target comes (GNU patch: renames)");
	TARGETS("diff --git a/src.c b/dst.c\nsimilarity index 50%\ncopy from src.c\ncopy to dst.c\n--- a/src.c\n"
		"+++ b/dst.c\n@@ -1 +1,2 @@\n c\n+more\n", 1, "K:src.c C:dst.c",
		"a copy with a hunk: the source stays (GNU patch: copies, then patches the copy)");
	TARGETS("diff --git a/my file.c b/my file.c\nnew file mode 100644\n", 1, "C:my file.c(100644)",
		"unquoted names with a space: split where both sides name one file, as git does");
	TARGETS("diff --git a/x b/x\nnew file mode 100644\n", 0, "C:b/x(100644)",
		"-p0 strips nothing from git's names either (GNU patch -p0: creates b/x)");
	TARGETS("--- a/del2\n+++ /dev/null\n@@ -1 +0,0 @@\n-z\n", 1, "D:del2",
		"a plain diff to /dev/null deletes (GNU patch: removes the emptied file)");
	TARGETS("--- /dev/null\n+++ b/n.c\n@@ -0,0 +1 @@\n+z\n", 1, "C:n.c", "a plain diff from /dev/null creates");

	/* forms refused: GNU patch skips them, or cannot apply them */
	TARGETS("diff --git a/b.bin b/b.bin\nindex 88768ef..3e3315e 100644\nBinary files a/b.bin and b/b.bin differ\n", 1,
		"t.patch:3: error: a binary patch without its data: kbuild cannot apply it\n",
		"'Binary files ... differ' is refused (GNU patch: says 'patching file b.bin', exits 0, changes nothing)");
	TARGETS("diff --git a/b.bin b/b.bin\nindex 88768ef..3e3315e 100644\nGIT binary patch\nliteral 5\n"
		"McmZQzOv=my00M6TI{*Lx\n\n", 1, "t.patch:3: error: a binary patch: kbuild cannot apply it\n",
		"'GIT binary patch' is refused (GNU patch: 'git binary diffs are not supported', exit 1)");
	TARGETS("diff --git a/lnk b/lnk\nnew file mode 120000\n--- /dev/null\n+++ b/lnk\n@@ -0,0 +1 @@\n+/etc/passwd\n"
		"\\ No newline at end of file\n", 1,
		"t.patch:2: error: mode 120000: only regular files can be patched (not symlinks or submodules)\n",
		"a symlink is refused (GNU patch: creates the symlink)");
	TARGETS("diff --git a/x b/x\nindex 1111111..2222222 100644\n", 1,
		"t.patch:1: error: 'x': the 'diff --git' header carries no change\n",
		"a git header with nothing to do is refused (GNU patch: says 'patching file x', exits 0, changes nothing)");
	TARGETS("diff --git a/x b/x\nnew mode 10064x\n", 1, "t.patch:2: error: bad file mode '10064x'\n",
		"a malformed mode is refused");

	{
		struct series s = { 0 };
		struct patch_file p = { 0 };
		struct strbuf err = STRBUF_INIT;
		char *files[] = { (char *)".kbuild-patches/ledger" };

		p.path = (char *)"t.patch";
		p.files = files;
		p.nr_files = 1;
		s.patches = &p;
		s.nr = 1;
		is_int(patch_check_paths(&s, "/nonexistent", &err), -EPERM, "a patch writing into .kbuild-patches/");
		is_str(err.buf, "t.patch: error: writes outside the tree: '.kbuild-patches/ledger': kbuild's own state "
		       "directory\n", "is refused like a path outside the tree");
		strbuf_release(&err);
	}
	return done_testing();
}
