/*
 * test-doctor.c - unit tests for the doctor stage: requirements tables, versions, sizes,
 * distributions, and doctor_run against fixture trees with programs hidden from PATH.
 *
 * With arguments it is the driver the kernel tests use until `kbuild doctor` exists:
 *   test-doctor table FILE      print a table's rows as LINE|PROGRAM|VERSION|COMMAND
 *   test-doctor load TREE       the same for the table req_table_load finds in TREE
 *   test-doctor run [--tree SRC] [-O BUILD] [--config-file FILE] [--package deb|rpm|tar]
 *                   [-j N] [--install-deps] [-q] [-v]   doctor_run; exits with its status
 *                   ("doctor" works for "run", so a link named kbuild can stand in for the CLI)
 */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "doctor.h"
#include "fs.h"
#include "strbuf.h"

static char *scratch;

/* "program|version|command@line" for every row, one a line. */
static char *summary(const struct req_table *t)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < t->nr; i++)
		strbuf_addf(&sb, "%s|%s|%s@%d\n", t->rows[i].program, t->rows[i].version,
			    t->rows[i].command, t->rows[i].line);
	return strbuf_detach(&sb, NULL);
}

/* ---- version_cmp and version_from_output ---- */

static void test_version_cmp(void)
{
	static const struct { const char *a, *b; int want; } cases[] = {
		{ "2.10o", "2.10", 1 },      /* util-linux: a letter after the number is later */
		{ "2.10", "2.10o", -1 },
		{ "2.10o", "2.10o", 0 },
		{ "2.11", "2.10o", 1 },
		{ "2.38.1", "2.10o", 1 },
		{ "1.1.1w", "1.1.1", 1 },
		{ "1.1.1w", "1.1.1x", -1 },
		{ "3.5.2", "3.5.x", 0 },     /* Python: any 3.5 */
		{ "3.11.2", "3.5.x", 1 },
		{ "3.4.9", "3.5.x", -1 },
		{ "1.06.95", "1.07.1", -1 }, /* bc: leading zeros do not make 06 a string */
		{ "1.07.1", "1.06.95", 1 },
		{ "1.9", "1.16", -1 },       /* numbers, not strings */
		{ "1.24", "1.16", 1 },
		{ "12.2.0", "5.1", 1 },
		{ "3.81", "3.82", -1 },
		{ "4.3", "4.0", 1 },
		{ "30", "13", 1 },
		{ "004", "4", 0 },
		{ "081", "81", 0 },
		{ "5.1", "5.1.0", 0 },
		{ "5.1.0", "5.1", 0 },
		{ "2.9.1.0.25", "2.9.1", 1 },
		{ "2.9.1", "2.9.1.0.25", -1 },
		{ "2.0", "any", 0 },
		{ "any", "5.1", 0 },
		{ "ANY", "5.1", 0 },
		{ "12345678901234567890.1", "12345678901234567889.9", 1 }, /* no overflow */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		is_int(version_cmp(cases[i].a, cases[i].b), cases[i].want, "version_cmp(\"%s\", \"%s\")",
		       cases[i].a, cases[i].b);
}

static void test_version_from_output(void)
{
	static const struct { const char *what, *out, *want; } cases[] = {
		{ "gcc --version", "gcc (Debian 12.2.0-14+deb12u1) 12.2.0\n"
				   "Copyright (C) 2022 Free Software Foundation, Inc.\n", "12.2.0" },
		{ "a cross gcc", "x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0\n", "12.2.0" },
		{ "Fedora gcc", "gcc (GCC) 13.2.1 20231011 (Red Hat 13.2.1-4)\n", "13.2.1" },
		{ "ld -v", "GNU ld (GNU Binutils for Debian) 2.40\n", "2.40" },
		{ "depmod -V", "kmod version 30\n+ZSTD +XZ -ZLIB +LIBCRYPTO -EXPERIMENTAL\n", "30" },
		{ "bc --version", "bc 1.07.1\nCopyright 1991-1994, 1997, 1998, 2000, 2004, 2006, 2008, "
				  "2012-2017 Free Software Foundation, Inc.\n", "1.07.1" },
		{ "openssl 3", "OpenSSL 3.0.17 1 Jul 2025 (Library: OpenSSL 3.0.17 1 Jul 2025)\n", "3.0.17" },
		{ "openssl 1.1", "OpenSSL 1.1.1w  11 Sep 2023\n", "1.1.1w" },
		{ "pahole --version", "v1.24\n", "1.24" },
		{ "make --version", "GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu\n", "4.3" },
		{ "bash --version", "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\n", "5.2.15" },
		{ "bison --version", "bison (GNU Bison) 3.8.2\n", "3.8.2" },
		{ "flex --version", "flex 2.6.4\n", "2.6.4" },
		{ "tar --version", "tar (GNU tar) 1.34\n", "1.34" },
		{ "clang --version", "Debian clang version 14.0.6\nTarget: x86_64-pc-linux-gnu\n", "14.0.6" },
		{ "rustc --version", "rustc 1.95.0 (59807616e 2026-04-14)\n", "1.95.0" },
		{ "mount --version", "mount from util-linux 2.38.1 (libmount 2.38.1: selinux, smack)\n", "2.38.1" },
		{ "perl's $^V", "5.36.0", "5.36.0" },
		{ "a pre-release", "isdnctrl version 3.1pre1\n", "3.1" },
	};
	char *v;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		v = version_from_output(cases[i].out);
		is_str(v, cases[i].want, "version_from_output: %s", cases[i].what);
		free(v);
	}
	v = version_from_output("bash: flex: command not found\n");
	ok(v == NULL, "version_from_output: no version in an error message");
	free(v);
	v = version_from_output("");
	ok(v == NULL, "version_from_output: nothing in empty output");
	free(v);
}

/* ---- req_table_parse ---- */

static void parse_file(const char *rel, struct req_table *t, int *ret, struct strbuf *err)
{
	char *path = fixture(rel);
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, &sb) < 0) {
		perror(path);
		abort();
	}
	*ret = req_table_parse(t, rel, sb.buf, err);
	strbuf_release(&sb);
	free(path);
}

static void test_parse_612(void)
{
	struct strbuf err = STRBUF_INIT;
	struct req_table t;
	char *s;
	int ret;

	parse_file("doctor/tree-612/Documentation/process/changes.rst", &t, &ret, &err);
	is_int(ret, 0, "req_table_parse: the 6.12 table");
	is_str(err.buf, "", "req_table_parse: no error for the 6.12 table");
	is_str(t.path, "doctor/tree-612/Documentation/process/changes.rst", "req_table_parse keeps the path");
	s = summary(&t);
	is_str(s,
	       "GNU C|5.1|gcc --version@17\n"
	       "Clang/LLVM (optional)|13.0.1|clang --version@18\n"
	       "Rust (optional)|1.78.0|rustc --version@19\n"
	       "bindgen (optional)|0.65.1|bindgen --version@20\n"
	       "GNU make|4.0|make --version@21\n"
	       "bash|4.2|bash --version@22\n"
	       "binutils|2.25|ld -v@23\n"
	       "flex|2.5.35|flex --version@24\n"
	       "bison|2.0|bison --version@25\n"
	       "pahole|1.16|pahole --version@26\n"
	       "util-linux|2.10o|mount --version@27\n"
	       "kmod|13|depmod -V@28\n"
	       "e2fsprogs|1.41.4|e2fsck -V@29\n"
	       "grub|0.93|grub --version || grub-install --version@30\n"
	       "openssl & libcrypto|1.0.0|openssl version@31\n"
	       "bc|1.06.95|bc --version@32\n"
	       "Sphinx|2.4.4|sphinx-build --version@33\n"
	       "cpio|any|cpio --version@34\n"
	       "GNU tar|1.28|tar --version@35\n"
	       "Python (optional)|3.5.x|python3 --version@36\n",
	       "req_table_parse: every row of the 6.12 table, columns from the ==== rule, footnote dropped");
	free(s);
	req_table_release(&t);
	ok(t.nr == 0 && t.rows == NULL && t.path == NULL, "req_table_release empties the table");
	strbuf_release(&err);
}

static void test_parse_24(void)
{
	struct strbuf err = STRBUF_INIT;
	struct req_table t;
	char *s;
	int ret;

	parse_file("doctor/tree-2.4/Documentation/Changes", &t, &ret, &err);
	is_int(ret, 0, "req_table_parse: a 2.4 Documentation/Changes");
	s = summary(&t);
	is_str(s,
	       "Gnu C|2.91.66|gcc --version@19\n"
	       "Gnu make|3.77|make --version@20\n"
	       "binutils|2.9.1.0.25|ld -v@21\n"
	       "util-linux|2.10o|fdformat --version@22\n"
	       "modutils|2.4.2|insmod -V@23\n"
	       "e2fsprogs|1.19|tune2fs@24\n"
	       "reiserfsprogs|3.x.0b|reiserfsck 2>&1|grep reiserfsprogs@25\n"
	       "pcmcia-cs|3.1.21|cardmgr -V@26\n"
	       "PPP|2.4.0|pppd --version@27\n"
	       "isdn4k-utils|3.1pre1|isdnctrl 2>&1|grep version@28\n",
	       "req_table_parse: the 'o  program  version  # command' rows, not the download links");
	free(s);
	req_table_release(&t);
	strbuf_release(&err);
}

static void parse_ok(const char *what, const char *text, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	struct req_table t;
	char *s;

	is_int(req_table_parse(&t, "t.rst", text, &err), 0, "req_table_parse accepts %s", what);
	is_str(err.buf, "", "req_table_parse: no error for %s", what);
	s = summary(&t);
	is_str(s, want, "req_table_parse: rows of %s", what);
	free(s);
	req_table_release(&t);
	strbuf_release(&err);
}

static void parse_bad(const char *what, const char *text, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	struct req_table t;

	is_int(req_table_parse(&t, "t.rst", text, &err), -EINVAL, "req_table_parse rejects %s", what);
	is_str(err.buf, want, "req_table_parse: error text for %s", what);
	ok(t.nr == 0 && t.rows == NULL && t.path == NULL, "req_table_parse keeps nothing after %s", what);
	strbuf_release(&err);
}

static void test_parse_forms(void)
{
	parse_ok("a table without a header, a continued row",
		 "Intro\n"
		 "=====\n"
		 "\n"
		 "======= ======= ===========\n"
		 "GNU C   5.1     gcc\n"
		 "                --version\n"
		 "\n"
		 "bc      1.06.95 bc --version\n"
		 "======= ======= ===========\n"
		 "\n"
		 "text after it\n",
		 "GNU C|5.1|gcc --version@5\nbc|1.06.95|bc --version@8\n");
	parse_ok("CRLF line ends",
		 "=== === ===\r\nP   V   C\r\n=== === ===\r\nbc  1.0 bc --version\r\n=== === ===\r\n",
		 "bc|1.0|bc --version@4\n");
	parse_ok("a last column wider than its rule",
		 "== == ==\nP  V  C\n== == ==\nx  1  grub --version || grub-install --version\n== == ==\n",
		 "x|1|grub --version || grub-install --version@4\n");
	parse_ok("only the first ruled table counts",
		 "== == ==\nP  V  C\n== == ==\na  1  c\n== == ==\n\n== == ==\nb  2  d\n== == ==\n",
		 "a|1|c@4\n");
	parse_ok("2.6-era old lines among others",
		 "o  Gnu C                  2.95.3                  # gcc --version\n"
		 "o  udev                   081                     # udevinfo -V\n"
		 "o  nothing here\n"
		 "o  <ftp://ftp.gnu.org/gnu/gcc/>\n",
		 "Gnu C|2.95.3|gcc --version@1\nudev|081|udevinfo -V@2\n");

	parse_bad("a table that is not closed",
		  "x\n\n====== ====== ======\nP      V      C\n====== ====== ======\nbc     1.0    bc --version\n",
		  "t.rst:3: error: requirements table not closed by a ==== rule\n");
	parse_bad("a headerless table that is not closed",
		  "====== ====== ======\n",
		  "t.rst:1: error: requirements table not closed by a ==== rule\n");
	parse_bad("a row without a version",
		  "====== ====== ======\nP      V      C\n====== ====== ======\nbc            bc --version\n"
		  "====== ====== ======\n",
		  "t.rst:4: error: no minimal version for 'bc'\n");
	parse_bad("a first row that continues nothing",
		  "====== ====== ======\n       1.0    bc\n====== ====== ======\n",
		  "t.rst:2: error: table row without a program name\n");
	parse_bad("a cell wider than its column",
		  "== == ==\nP  V  C\n== == ==\ngrub 0.93 x\n== == ==\n",
		  "t.rst:4: error: text between two columns of the table (columns are where the ==== rule has them)\n");
	parse_bad("a table without rows",
		  "====== ====== ======\nP      V      C\n====== ====== ======\n====== ====== ======\n",
		  "t.rst:1: error: requirements table without rows\n");
	parse_bad("text without a table",
		  "Minimal requirements\n====================\n\nnone at all\n",
		  "t.rst: error: no minimal-requirements table: neither a ====-ruled table nor "
		  "'o  program  version  # command' lines\n");
	parse_bad("an empty file", "",
		  "t.rst: error: no minimal-requirements table: neither a ====-ruled table nor "
		  "'o  program  version  # command' lines\n");
}

static void test_load(void)
{
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;
	struct req_table t;
	char *tree;

	tree = fixture("doctor/tree-612");
	is_int(req_table_load(&t, tree, &err), 0, "req_table_load: Documentation/process/changes.rst");
	ok(t.path && ends_with(t.path, "/tree-612/Documentation/process/changes.rst"),
	   "req_table_load: path of the table (%s)", t.path);
	is_int(t.nr, 20, "req_table_load: 20 rows");
	req_table_release(&t);
	free(tree);

	tree = fixture("doctor/tree-2.4");
	is_int(req_table_load(&t, tree, &err), 0, "req_table_load: Documentation/Changes of an old tree");
	ok(t.path && ends_with(t.path, "/tree-2.4/Documentation/Changes"), "req_table_load: old path (%s)", t.path);
	is_int(t.nr, 10, "req_table_load: 10 rows in 2.4");
	req_table_release(&t);
	free(tree);
	is_str(err.buf, "", "req_table_load: no error for good tables");

	tree = fixture("doctor/tree-none");
	is_int(req_table_load(&t, tree, &err), -ENOENT, "req_table_load: a tree without a table");
	strbuf_addf(&want, "%s: error: no Documentation/process/changes.rst or Documentation/Changes\n", tree);
	is_str(err.buf, want.buf, "req_table_load: error text without a table");
	ok(t.nr == 0 && t.path == NULL, "req_table_load keeps nothing without a table");
	free(tree);

	strbuf_reset(&err);
	strbuf_reset(&want);
	tree = fixture("doctor/tree-unclosed");
	is_int(req_table_load(&t, tree, &err), -EINVAL, "req_table_load: a broken table");
	strbuf_addf(&want, "%s/Documentation/process/changes.rst:3: error: requirements table not closed by a ==== rule\n",
		    tree);
	is_str(err.buf, want.buf, "req_table_load: file:line error for a broken table");
	ok(t.nr == 0 && t.path == NULL, "req_table_load keeps nothing after a broken table");
	free(tree);
	strbuf_release(&err);
	strbuf_release(&want);
}

/* ---- sizes and distributions ---- */

static void test_sizes(void)
{
	is_int(doctor_disk_need_mb(507, 0, 0), 227, "disk: tinyconfig + audio (507 options)");
	is_int(doctor_disk_need_mb(507, 0, 1), 318, "disk: the same, packaged");
	is_int(doctor_disk_need_mb(8000, 1, 0), 22450, "disk: a distribution config with DEBUG_INFO");
	is_int(doctor_disk_need_mb(8000, 2, 0), 11250, "disk: the same with DEBUG_INFO_REDUCED");
	is_int(doctor_disk_need_mb(8000, 0, 0), 2850, "disk: the same without debug info");
	is_int(doctor_mem_need_mb(2, 0), 1536, "memory: -j2");
	is_int(doctor_mem_need_mb(2, 1), 3072, "memory: -j2 with DEBUG_INFO");
	is_int(doctor_mem_need_mb(0, 0), 1024, "memory: no job count counts as one");
	is_int(meminfo_available_mb("MemTotal:       24684084 kB\nMemFree:        22131588 kB\n"
				    "MemAvailable:   23872816 kB\nBuffers:          112720 kB\n"),
	       23313, "meminfo: MemAvailable in MB");
	is_int(meminfo_available_mb("MemAvailable:   1048576 kB\n"), 1024, "meminfo: MemAvailable on the first line");
	is_int(meminfo_available_mb("MemTotal:       24684084 kB\nMemFree:        22131588 kB\n"), -1,
	       "meminfo: a kernel without MemAvailable");
	is_int(meminfo_available_mb("XMemAvailable: 5 kB\n"), -1, "meminfo: only a whole key counts");
}

static void test_os_release(void)
{
	static const struct { const char *file, *want; } files[] = {
		{ "debian", "debian" }, { "ubuntu", "debian" }, { "fedora", "fedora" }, { "rocky", "fedora" },
		{ "arch", "arch" }, { "opensuse-tumbleweed", "suse" }, { "gentoo", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *rel = xasprintf("doctor/os-release/%s", files[i].file), *path = fixture(rel);
		struct strbuf sb = STRBUF_INIT;

		if (fs_read_file(path, &sb) < 0)
			abort();
		is_str(os_release_family(sb.buf), files[i].want, "os-release family of %s", files[i].file);
		strbuf_release(&sb);
		free(path);
		free(rel);
	}
	is_str(os_release_family("ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"), "debian", "os-release: ID_LIKE words");
	is_str(os_release_family("ID='opensuse-leap'\n"), "suse", "os-release: single quotes, opensuse-*");
	is_str(os_release_family("NAME=x\nID_LIKE=\"gentoo fedora\"\nID=funtoo\n"), "fedora",
	       "os-release: ID_LIKE read wherever it is");
	is_str(os_release_family("PRETTY_ID=debian\n"), NULL, "os-release: only the ID key itself");
	is_str(os_release_family(""), NULL, "os-release: empty");
}

/* ---- doctor_run ---- */

struct run_result {
	int status;
	char *out, *err;
};

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, &sb) < 0)
		abort();
	unlink(path);
	return strbuf_detach(&sb, NULL);
}

/* doctor_run in this process with PATH and os-release given, stdout and stderr captured. */
static void run_doctor(const struct doctor_opts *o, const char *path, const char *os, struct run_result *r)
{
	char *outp = xasprintf("%s/stdout", scratch), *errp = xasprintf("%s/stderr", scratch);
	char *old_path = xstrdup(getenv("PATH")), *osr = xasprintf("doctor/os-release/%s", os), *osp = fixture(osr);
	int fo, fe, so, se;

	setenv("PATH", path, 1);
	setenv("KBUILD_OS_RELEASE", osp, 1);
	fflush(NULL);
	so = dup(1);
	se = dup(2);
	fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fo, 1);
	dup2(fe, 2);
	close(fo);
	close(fe);
	r->status = (int)doctor_run(o);
	fflush(NULL);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	setenv("PATH", old_path, 1);
	unsetenv("KBUILD_OS_RELEASE");
	r->out = slurp(outp);
	r->err = slurp(errp);
	free(outp);
	free(errp);
	free(old_path);
	free(osr);
	free(osp);
}

static void result_release(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

/* Is `line` a whole line of `text`? */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* A line that starts with `prefix` and ends with `suffix`. */
static int has_line_like(const char *text, const char *prefix, const char *suffix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = strcspn(p, "\n"), sl = strlen(suffix);

		if (!strncmp(p, prefix, strlen(prefix)) && len >= sl && !strncmp(p + len - sl, suffix, sl))
			return 1;
	}
	return 0;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n;
}

#define line_ok(r, line, ...)                                                  \
	do {                                                                   \
		if (!ok(has_line((r)->out, line), __VA_ARGS__))                \
			printf("#   no line '%s' in:\n%s", line, (r)->out);    \
	} while (0)

#define line_like(r, prefix, suffix, ...)                                      \
	do {                                                                   \
		if (!ok(has_line_like((r)->out, prefix, suffix), __VA_ARGS__)) \
			printf("#   no line '%s...%s' in:\n%s", prefix, suffix, (r)->out); \
	} while (0)

/* A directory of links to every program in PATH except `hide` (NULL-terminated). */
static char *path_without(const char *name, const char *const *hide)
{
	char *dir = xasprintf("%s/%s", scratch, name), *copy = xstrdup(getenv("PATH")), *save = NULL;

	if (mkdir(dir, 0755) < 0)
		abort();
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		DIR *dh = opendir(d);
		struct dirent *de;

		while (dh && (de = readdir(dh))) {
			char *from, *to;
			int hidden = de->d_name[0] == '.';

			for (const char *const *h = hide; *h; h++)
				hidden |= str_eq(de->d_name, *h);
			if (hidden)
				continue;
			from = xasprintf("%s/%s", d, de->d_name);
			to = xasprintf("%s/%s", dir, de->d_name);
			if (symlink(from, to) < 0 && errno != EEXIST)
				abort();
			free(from);
			free(to);
		}
		if (dh)
			closedir(dh);
	}
	free(copy);
	return dir;
}

/* Where the real `prog` is (caller frees). */
static char *real_program(const char *prog)
{
	char *copy = xstrdup(getenv("PATH")), *save = NULL, *found = NULL;

	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, prog);

		if (access(p, X_OK) == 0)
			found = p;
		else
			free(p);
	}
	free(copy);
	return found;
}

static const char *sudo(void)
{
	return geteuid() ? "sudo " : "";
}

static void test_run_ready(void)
{
	char *tree = fixture("doctor/tree-612"), *cfg = fixture("doctor/configs/modules.config");
	struct doctor_opts o = { .tree = tree, .config = cfg, .objdir = scratch, .jobs = 2 };
	struct run_result r;
	char *want;

	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, 0, "doctor_run: everything there: KB_OK");
	is_str(r.err, "", "doctor_run: nothing on stderr when ready");
	ok(starts_with(r.out, "requirements of linux 6.12.117: Documentation/process/changes.rst (20 rows)\n"),
	   "doctor_run: first line names the tree's table");
	want = xasprintf("configuration: %s (3 options set)", cfg);
	line_ok(&r, want, "doctor_run: the configuration and its options");
	free(want);
	line_like(&r, "  ok       GNU C              ", " (needs 5.1, Documentation/process/changes.rst:17)",
		  "doctor_run: GNU C against the table's minimum and line");
	line_like(&r, "  ok       binutils           ", " (needs 2.25, Documentation/process/changes.rst:23)",
		  "doctor_run: binutils through the table's 'ld -v'");
	line_like(&r, "  ok       kmod               ",
		  " (needs 13 for CONFIG_MODULES=y, Documentation/process/changes.rst:28)",
		  "doctor_run: kmod because of CONFIG_MODULES=y");
	line_like(&r, "  ok       perl               ", " (needs any version, not in Documentation/process/changes.rst)",
		  "doctor_run: perl, which the table does not list, for presence");
	want = xasprintf(" (needs ~51 MB for 3 options, in %s)", scratch);
	line_like(&r, "  ok       disk space         ", want, "doctor_run: disk space");
	free(want);
	line_like(&r, "  ok       memory             ", " (needs ~1.5 GB for -j2)", "doctor_run: memory for -j2");
	ok(!strstr(r.out, "pahole") && !strstr(r.out, "Sphinx") && !strstr(r.out, "libelf"),
	   "doctor_run: rows the build does not need are not listed");
	ok(!strstr(r.out, "to install"), "doctor_run: no install command when nothing is missing");
	ok(has_line_like(r.out, "ready to build: ", ""), "doctor_run: the verdict");
	result_release(&r);

	o.verbose = 1;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, 0, "doctor_run -v: KB_OK");
	line_ok(&r, "  skip     pahole             -        (not needed: CONFIG_DEBUG_INFO_BTF is not set, "
		    "Documentation/process/changes.rst:26)", "doctor_run -v: why pahole is not needed");
	line_ok(&r, "  skip     Sphinx             -        (needs 2.4.4, not needed to build, "
		    "Documentation/process/changes.rst:33)", "doctor_run -v: documentation tools listed");
	line_ok(&r, "  skip     libelf headers     -        (not needed: CONFIG_OBJTOOL, CONFIG_STACK_VALIDATION, "
		    "CONFIG_UNWINDER_ORC, CONFIG_DEBUG_INFO_BTF are not set)", "doctor_run -v: why libelf is not needed");
	line_ok(&r, "  skip     GNU tar            -        (not needed: CONFIG_IKHEADERS is not set and no --package, "
		    "Documentation/process/changes.rst:35)", "doctor_run -v: tar only for IKHEADERS or packages");
	result_release(&r);

	o.verbose = 0;
	o.quiet = 1;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, 0, "doctor_run quiet: KB_OK");
	is_str(r.out, "", "doctor_run quiet: nothing to say when ready");
	result_release(&r);
	free(tree);
	free(cfg);
}

static void test_run_missing(void)
{
	static const char *const hide[] = { "flex", NULL };
	char *tree = fixture("doctor/tree-612"), *bin = path_without("no-flex", hide), *want;
	struct doctor_opts o = { .tree = tree, .objdir = scratch, .jobs = 2 };
	struct run_result r;

	run_doctor(&o, bin, "debian", &r);
	is_int(r.status, KB_EENV, "doctor_run without flex: KB_EENV");
	line_ok(&r, "  missing  flex               -        (needs 2.5.35, Documentation/process/changes.rst:24)",
		"doctor_run without flex: the missing line");
	line_ok(&r, "configuration: none (a defconfig-like build assumed)", "doctor_run: no configuration");
	line_ok(&r, "not ready to build: flex missing", "doctor_run without flex: verdict");
	want = xasprintf("to install what is missing: %sapt-get install -y flex", sudo());
	line_ok(&r, want, "doctor_run without flex: the apt-get command");
	free(want);
	is_str(r.err, "test-doctor: error: the build needs what is missing or too old: flex missing\n",
	       "doctor_run without flex: the error on stderr");
	/* without a .config the defaults of a defconfig build apply */
	line_like(&r, "  ok       kmod               ", " (needs 13, Documentation/process/changes.rst:28)",
		  "doctor_run without a config: kmod assumed");
	line_ok(&r, "  ok       openssl headers    found    (needs <openssl/opensslv.h>)",
		"doctor_run without a config: openssl headers assumed");
	result_release(&r);

	o.quiet = 1;
	run_doctor(&o, bin, "fedora", &r);
	is_int(r.status, KB_EENV, "doctor_run quiet without flex: KB_EENV");
	want = xasprintf("  missing  flex               -        (needs 2.5.35, Documentation/process/changes.rst:24)\n"
			 "not ready to build: flex missing\n"
			 "to install what is missing: %sdnf install -y flex\n", sudo());
	is_str(r.out, want, "doctor_run quiet: only the problem, the verdict and the dnf command");
	free(want);
	result_release(&r);

	o.quiet = 0;
	run_doctor(&o, bin, "gentoo", &r);
	line_ok(&r, "to install what is missing, use the package manager of 'gentoo' for: flex",
		"doctor_run on an unknown distribution: what to install, by name");
	result_release(&r);

	o.install = 1;
	run_doctor(&o, bin, "gentoo", &r);
	is_int(r.status, KB_EENV, "--install-deps on an unknown distribution: KB_EENV");
	ok(strstr(r.err, "test-doctor: error: --install-deps: no install command known for the distribution "
			 "'gentoo' (ID in os-release)\n") != NULL, "--install-deps on an unknown distribution: why");
	result_release(&r);
	free(bin);
	free(tree);
}

static void test_run_old(void)
{
	char *tree = fixture("doctor/tree-612"), *old = fixture("doctor/old-bin");
	char *path = xasprintf("%s:%s", old, getenv("PATH")), *want;
	struct doctor_opts o = { .tree = tree, .objdir = scratch, .jobs = 2 };
	struct run_result r;

	run_doctor(&o, path, "arch", &r);
	is_int(r.status, KB_EENV, "doctor_run with an old bison: KB_EENV");
	line_ok(&r, "  old      bison              1.875    (needs 2.0, Documentation/process/changes.rst:25)",
		"doctor_run: the old line with the version found");
	line_ok(&r, "not ready to build: bison too old", "doctor_run: too old in the verdict");
	want = xasprintf("to install what is missing: %spacman -S --needed bison", sudo());
	line_ok(&r, want, "doctor_run: pacman command on Arch");
	free(want);
	result_release(&r);
	free(path);
	free(old);
	free(tree);
}

static void test_run_conditional(void)
{
	static const char *const hide[] = { "pahole", NULL }, *const hide_cpio[] = { "cpio", NULL };
	char *tree = fixture("doctor/tree-612"), *cfg = fixture("doctor/configs/btf.config");
	char *bin = path_without("no-pahole", hide), *want;
	struct doctor_opts o = { .tree = tree, .config = cfg, .objdir = scratch, .jobs = 2 };
	struct run_result r;

	run_doctor(&o, bin, "opensuse-tumbleweed", &r);
	is_int(r.status, KB_EENV, "doctor_run: BTF without pahole: KB_EENV");
	line_ok(&r, "  missing  pahole             -        (needs 1.16 for CONFIG_DEBUG_INFO_BTF=y, "
		    "Documentation/process/changes.rst:26)", "doctor_run: pahole because of CONFIG_DEBUG_INFO_BTF=y");
	line_ok(&r, "  ok       libelf headers     found    (needs <gelf.h> for CONFIG_DEBUG_INFO_BTF=y)",
		"doctor_run: libelf headers for resolve_btfids");
	line_like(&r, "  ok       memory             ", " (needs ~3.0 GB for -j2 with DEBUG_INFO)",
		  "doctor_run: more memory with DEBUG_INFO");
	want = xasprintf("to install what is missing: %szypper install -y dwarves", sudo());
	line_ok(&r, want, "doctor_run: pahole is in dwarves, with zypper on openSUSE");
	free(want);
	result_release(&r);
	free(cfg);

	cfg = fixture("doctor/configs/no-modules.config");
	o.config = cfg;
	o.verbose = 1;
	run_doctor(&o, bin, "debian", &r);
	is_int(r.status, 0, "doctor_run: no BTF, no pahole needed: KB_OK");
	line_ok(&r, "  skip     kmod               -        (not needed: CONFIG_MODULES is not set, "
		    "Documentation/process/changes.rst:28)", "doctor_run: no modules, no kmod");
	line_ok(&r, "  skip     openssl            -        (not needed: CONFIG_MODULE_SIG, CONFIG_SYSTEM_TRUSTED_KEYRING "
		    "are not set, Documentation/process/changes.rst:31)", "doctor_run: no signing, no openssl");
	result_release(&r);
	free(cfg);

	cfg = fixture("doctor/configs/ikheaders.config");
	free(bin);
	bin = path_without("no-cpio", hide_cpio);
	o.config = cfg;
	o.verbose = 0;
	run_doctor(&o, bin, "debian", &r);
	is_int(r.status, KB_EENV, "doctor_run: IKHEADERS=m without cpio: KB_EENV");
	line_ok(&r, "  missing  cpio               -        (needs any version for CONFIG_IKHEADERS=m, "
		    "Documentation/process/changes.rst:34)", "doctor_run: a tristate =m counts");
	line_like(&r, "  ok       GNU tar            ", " (needs 1.28 for CONFIG_IKHEADERS=m, Documentation/process/changes.rst:35)",
		  "doctor_run: tar for gen_kheaders.sh");
	want = xasprintf("to install what is missing: %sapt-get install -y cpio", sudo());
	line_ok(&r, want, "doctor_run: the cpio package");
	free(want);
	result_release(&r);
	free(cfg);

	cfg = fixture("doctor/configs/clang-rust.config");
	o.config = cfg;
	o.verbose = 0;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	line_like(&r, "  ", " (needs 13.0.1 for CONFIG_CC_IS_CLANG=y, Documentation/process/changes.rst:18)",
		  "doctor_run: clang's row for a clang config");
	line_like(&r, "  ", " (needs 1.78.0 for CONFIG_RUST=y, Documentation/process/changes.rst:19)",
		  "doctor_run: rustc's row for a Rust config");
	line_like(&r, "  ", " (needs 0.65.1 for CONFIG_RUST=y, Documentation/process/changes.rst:20)",
		  "doctor_run: bindgen's row for a Rust config");
	line_like(&r, "  ", " (needs <openssl/opensslv.h> for CONFIG_MODULE_SIG=y)",
		  "doctor_run: openssl headers for module signing");
	result_release(&r);
	free(cfg);
	free(bin);
	free(tree);
}

static void test_run_package(void)
{
	static const char *const hide[] = { "dpkg-buildpackage", NULL };
	char *tree = fixture("doctor/tree-612"), *bin = path_without("no-dpkg-buildpackage", hide), *want;
	struct doctor_opts o = { .tree = tree, .objdir = scratch, .jobs = 2, .package = "deb" };
	struct run_result r;

	run_doctor(&o, bin, "ubuntu", &r);
	is_int(r.status, KB_EENV, "doctor_run --package deb without dpkg-buildpackage: KB_EENV");
	line_ok(&r, "  missing  dpkg-buildpackage  -        (for --package deb)",
		"doctor_run: a tree without packaging scripts: the programs every deb build runs");
	line_like(&r, "  ok       GNU tar            ", " (needs 1.28 for --package deb, Documentation/process/changes.rst:35)",
		  "doctor_run: tar for packages");
	want = xasprintf("to install what is missing: %sapt-get install -y dpkg-dev", sudo());
	line_ok(&r, want, "doctor_run: dpkg-buildpackage is in dpkg-dev");
	free(want);
	result_release(&r);
	free(bin);
	free(tree);
}

static void test_run_install(void)
{
	static const char *const hide[] = { "flex", "pacman", NULL };
	char *tree = fixture("doctor/tree-612"), *bin = path_without("install", hide), *ib = fixture("doctor/install-bin");
	char *path = xasprintf("%s:%s", ib, bin), *flex = real_program("flex");
	char *log = xasprintf("%s/install.log", scratch), *logged, *want;
	struct doctor_opts o = { .tree = tree, .objdir = scratch, .jobs = 2, .install = 1 };
	struct run_result r;

	if (geteuid() != 0) {
		/* not root: the command starts with sudo, which must run it here and not ask */
		char *s = xasprintf("%s/sudo", bin);

		unlink(s);
		tap_write_file(s, "#!/bin/sh\nexec \"$@\"\n");
		chmod(s, 0755);
		free(s);
	}
	setenv("DOCTOR_INSTALL_LOG", log, 1);
	setenv("DOCTOR_BIN", bin, 1);
	setenv("DOCTOR_REAL_FLEX", flex ? flex : "/nonexistent", 1);
	run_doctor(&o, path, "debian", &r);
	is_int(r.status, 0, "--install-deps: installed, checked again: KB_OK");
	logged = slurp(log);
	is_str(logged, "apt-get install -y flex\n", "--install-deps ran the one command");
	free(logged);
	want = xasprintf("  INSTALL %sapt-get install -y flex\n", sudo());
	is_str(r.err, want, "--install-deps: the command on stderr, and no error once installed");
	free(want);
	ok(strstr(r.out, "  missing  flex ") && strstr(r.out, "\nafter installing:\n") &&
	   strstr(strstr(r.out, "\nafter installing:\n"), "  ok       flex "),
	   "--install-deps: missing before, ok after installing");
	result_release(&r);

	/* pacman is not there to run */
	want = xasprintf("%s/flex", bin);
	unlink(want);
	free(want);
	run_doctor(&o, path, "arch", &r);
	is_int(r.status, KB_EENV, "--install-deps without the package manager: KB_EENV");
	if (geteuid() == 0)
		ok(strstr(r.err, "test-doctor: error: cannot run 'pacman': No such file or directory\n") != NULL,
		   "--install-deps: the package manager cannot run");
	else
		ok(strstr(r.err, "test-doctor: error: 'sudo pacman -S --needed flex' failed (exit 127)\n") != NULL,
		   "--install-deps: the package manager cannot run");
	ok(strstr(r.out, "\nafter installing:\n") != NULL, "--install-deps: checked again after a failed install");
	result_release(&r);
	unsetenv("DOCTOR_INSTALL_LOG");
	unsetenv("DOCTOR_BIN");
	unsetenv("DOCTOR_REAL_FLEX");
	free(flex);
	free(log);
	free(path);
	free(ib);
	free(bin);
	free(tree);
}

static void test_run_old_trees(void)
{
	char *tree = fixture("doctor/tree-2.4"), *want;
	struct doctor_opts o = { .tree = tree, .objdir = scratch, .jobs = 2, .verbose = 1 };
	struct run_result r;

	run_doctor(&o, getenv("PATH"), "debian", &r);
	ok(starts_with(r.out, "requirements of linux 2.4.3: Documentation/Changes (10 rows)\n"),
	   "doctor_run: a 2.4 tree's Documentation/Changes");
	line_like(&r, "  ok       GNU C              ", " (needs 2.91.66, Documentation/Changes:19)",
		  "doctor_run: 'Gnu C' of 2.4 is GNU C");
	line_like(&r, "  ok       GNU make           ", " (needs 3.77, Documentation/Changes:20)",
		  "doctor_run: 'Gnu make' of 2.4");
	line_like(&r, "  ok       kmod               ", " (needs 2.4.2, Documentation/Changes:23)",
		  "doctor_run: modutils of 2.4 is kmod today");
	line_like(&r, "  ok       flex               ", " (needs any version, not in Documentation/Changes)",
		  "doctor_run: flex is not in 2.4's table: presence only");
	line_ok(&r, "  skip     util-linux         -        (needs 2.10o, not needed to build, Documentation/Changes:22)",
		"doctor_run -v: the run-time rows of 2.4");
	result_release(&r);
	free(tree);

	tree = fixture("doctor/tree-none");
	o.tree = tree;
	o.verbose = 0;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	want = xasprintf("test-doctor: warning: '%s' has no Documentation/process/changes.rst or Documentation/Changes: "
			 "checking against built-in minimums\n", tree);
	is_str(r.err, want, "doctor_run: a tree without a table: a warning");
	free(want);
	ok(starts_with(r.out, "requirements of linux 6.12.0: built-in minimums (the tree has no table)\n"),
	   "doctor_run: built-in minimums named");
	line_like(&r, "  ok       GNU C              ", " (needs 5.1, built-in minimum)", "doctor_run: built-in GNU C");
	is_int(r.status, 0, "doctor_run: built-in minimums met: KB_OK");
	result_release(&r);
	free(tree);

	tree = fixture("doctor/tree-unclosed");
	o.tree = tree;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	want = xasprintf("%s/Documentation/process/changes.rst:3: warning: requirements table not closed by a ==== rule: "
			 "checking against built-in minimums\n", tree);
	is_str(r.err, want, "doctor_run: a broken table: file:line warning");
	free(want);
	line_like(&r, "  ok       GNU make           ", " (needs 3.82, built-in minimum)", "doctor_run: built-in GNU make");
	result_release(&r);
	free(tree);
}

static void test_run_bad_input(void)
{
	struct doctor_opts o = { .tree = "nope", .jobs = 1 };
	struct run_result r;
	char *dir, *want;

	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, KB_EENV, "doctor_run: missing tree: KB_EENV");
	is_str(r.err, "test-doctor: error: kernel tree 'nope': No such file or directory\n", "doctor_run: missing tree message");
	is_str(r.out, "", "doctor_run: no report for a missing tree");
	result_release(&r);

	dir = xasprintf("%s/notatree", scratch);
	mkdir(dir, 0755);
	o.tree = dir;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, KB_EENV, "doctor_run: not a tree: KB_EENV");
	want = xasprintf("test-doctor: error: '%s' is not a kernel tree: no Makefile at its top\n", dir);
	is_str(r.err, want, "doctor_run: not a tree message");
	free(want);
	result_release(&r);
	free(dir);

	o.tree = NULL;
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, KB_EUSAGE, "doctor_run: no tree: KB_EUSAGE");
	is_str(r.err, "test-doctor: error: no kernel tree given (use --tree DIR)\n", "doctor_run: no tree message");
	result_release(&r);

	o.tree = dir = fixture("doctor/tree-612");
	o.config = "no-such.config";
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, KB_EUSAGE, "doctor_run: missing --config-file: KB_EUSAGE");
	is_str(r.err, "no-such.config: error: cannot read: No such file or directory\n", "doctor_run: missing config message");
	result_release(&r);
	free(dir);
}

/* Low disk and memory warn, and never fail. */
static void test_run_low(void)
{
	char *tree = fixture("doctor/tree-612"), *cfg = xasprintf("%s/huge.config", scratch);
	struct doctor_opts o = { .tree = tree, .config = cfg, .objdir = scratch, .jobs = 1000, .quiet = 1 };
	struct statvfs sv;
	struct strbuf sb = STRBUF_INIT;
	struct run_result r;
	long free_mb, n;
	char *want;

	if (statvfs(scratch, &sv) < 0)
		abort();
	free_mb = (long)((unsigned long long)sv.f_bavail * sv.f_frsize / (1024 * 1024));
	/* enough options that a DEBUG_INFO build needs more than the disk holds */
	n = (long)(free_mb / 2.8) + 1000;
	strbuf_addstr(&sb, "CONFIG_MODULES=y\nCONFIG_DEBUG_INFO=y\n");
	for (long i = 0; i < n; i++)
		strbuf_addf(&sb, "CONFIG_X%ld=m\n", i);
	tap_write_file(cfg, sb.buf);
	strbuf_release(&sb);
	run_doctor(&o, getenv("PATH"), "debian", &r);
	is_int(r.status, 0, "doctor_run: low disk and memory only warn");
	want = xasprintf(" (needs ~%.1f GB for %ld options with DEBUG_INFO, in %s)",
			 (double)doctor_disk_need_mb(n + 2, 1, 0) / 1024, n + 2, scratch);
	line_like(&r, "  low      disk space         ", want, "doctor_run: low disk space");
	free(want);
	line_like(&r, "  low      memory             ", " (needs ~502.0 GB for -j1000 with DEBUG_INFO: use fewer jobs)",
		  "doctor_run: low memory for -j1000");
	is_int(count_lines(r.out), 3, "doctor_run quiet: two warnings and the verdict");
	ok(has_line_like(r.out, "ready to build: ", "; warnings: disk space low, memory low"),
	   "doctor_run: ready, with warnings");
	result_release(&r);
	free(cfg);
	free(tree);
}

/* ---- the driver for the kernel tests ---- */

static void print_rows(const struct req_table *t)
{
	for (size_t i = 0; i < t->nr; i++)
		printf("%d|%s|%s|%s\n", t->rows[i].line, t->rows[i].program, t->rows[i].version, t->rows[i].command);
}

static int driver(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tree", required_argument, NULL, 't' },
		{ "objdir", required_argument, NULL, 'O' },
		{ "config-file", required_argument, NULL, 'c' },
		{ "package", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "install-deps", no_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_opts o = { 0 };
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct req_table t;
	int c, ret;

	if (argc == 3 && (str_eq(argv[1], "table") || str_eq(argv[1], "load"))) {
		if (str_eq(argv[1], "load")) {
			ret = req_table_load(&t, argv[2], &err);
		} else {
			ret = fs_read_file(argv[2], &sb);
			if (ret < 0)
				strbuf_addf(&err, "%s: error: cannot read: %s\n", argv[2], strerror(-ret));
			else
				ret = req_table_parse(&t, argv[2], sb.buf, &err);
		}
		fputs(err.buf, stderr);
		if (ret == 0) {
			print_rows(&t);
			req_table_release(&t);
		}
		strbuf_release(&err);
		strbuf_release(&sb);
		return ret == 0 ? 0 : 2;
	}
	if (!str_eq(argv[1], "run") && !str_eq(argv[1], "doctor")) {
		fprintf(stderr, "usage: test-doctor table FILE | load TREE | run [doctor options]\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "O:j:qv", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.tree = optarg; break;
		case 'O': o.objdir = optarg; break;
		case 'c': o.config = optarg; break;
		case 'p': o.package = optarg; break;
		case 'j': o.jobs = atoi(optarg); break;
		case 'i': o.install = 1; break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		default: return 2;
		}
	}
	return (int)doctor_run(&o);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return driver(argc, argv);
	scratch = tap_scratch_dir("doctor");
	test_version_cmp();
	test_version_from_output();
	test_parse_612();
	test_parse_24();
	test_parse_forms();
	test_load();
	test_sizes();
	test_os_release();
	test_run_ready();
	test_run_missing();
	test_run_old();
	test_run_conditional();
	test_run_package();
	test_run_install();
	test_run_old_trees();
	test_run_bad_input();
	test_run_low();
	fs_remove_tree(scratch);
	free(scratch);
	return done_testing();
}
