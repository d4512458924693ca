/* confcache.c - the kernel's built kconfig (fixdep, conf) kept per tree and host compiler, seeded into new build directories */
#define _GNU_SOURCE
#include "confcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs.h"
#include "log.h"
#include "run.h"
#include "sha256.h"

#define FORMAT_LINE "kbuild-confcache 1\n"
#define MAX_FILES 256
#define MAX_FILE_SIZE ((size_t)8 << 20)
#define MAX_ENTRY_SIZE ((size_t)64 << 20)

/* The two directories the kernel's `make *config` builds its tools in, relative to the build directory. */
static const char *const tool_dirs[] = { "scripts/basic/", "scripts/kconfig/" };

/* A path an entry may carry: a plain file name directly in one of tool_dirs. */
static int path_ok(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(tool_dirs); i++) {
		const char *name;

		if (!starts_with(p, tool_dirs[i]))
			continue;
		name = p + strlen(tool_dirs[i]);
		if (!*name || str_eq(name, ".") || str_eq(name, ".."))
			return 0;
		for (const char *c = name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			      *c == '.' || *c == '_' || *c == '-' || *c == '+'))
				return 0;
		return 1;
	}
	return 0;
}

static int is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int fail(struct strbuf *why, const char *fmt, ...) KB_PRINTF(2, 3);
static int fail(struct strbuf *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(why, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void confcache_entry_release(struct confcache_entry *e)
{
	for (size_t i = 0; i < e->nr; i++)
		free(e->files[i].path);
	free(e->files);
	e->files = NULL;
	e->nr = 0;
}

static const struct confcache_file *entry_find(const struct confcache_entry *e, const char *path)
{
	for (size_t i = 0; i < e->nr; i++)
		if (str_eq(e->files[i].path, path))
			return &e->files[i];
	return NULL;
}

/* One "file MODE SEC.NSEC SIZE SHA256 PATH" line (without its newline) into f; its sha256 into sha. */
static int parse_file_line(const char *line, size_t len, struct confcache_file *f, char sha[SHA256_HEX],
			   struct strbuf *why, int lineno)
{
	char *text = xstrndup(line, len), *p, *end;
	unsigned long mode;
	long long sec;
	long nsec;
	unsigned long long size;
	int ret = -EINVAL;

	p = text + 5;
	errno = 0;
	mode = strtoul(p, &end, 8);
	if (end == p || *end != ' ' || (mode != 0644 && mode != 0755)) {
		fail(why, "line %d: bad mode", lineno);
		goto out;
	}
	p = end + 1;
	sec = strtoll(p, &end, 10);
	if (end == p || *end != '.' || sec < 0 || errno) {
		fail(why, "line %d: bad mtime", lineno);
		goto out;
	}
	p = end + 1;
	nsec = strtol(p, &end, 10);
	if (end - p != 9 || *end != ' ' || nsec < 0 || nsec > 999999999) {
		fail(why, "line %d: bad mtime", lineno);
		goto out;
	}
	p = end + 1;
	if (*p < '0' || *p > '9') {
		fail(why, "line %d: bad size", lineno);
		goto out;
	}
	size = strtoull(p, &end, 10);
	if (*end != ' ' || errno || size > MAX_FILE_SIZE) {
		fail(why, "line %d: bad size", lineno);
		goto out;
	}
	p = end + 1;
	end = strchr(p, ' ');
	if (!end || !is_hex64(p, (size_t)(end - p))) {
		fail(why, "line %d: bad sha256", lineno);
		goto out;
	}
	memcpy(sha, p, 64);
	sha[64] = '\0';
	p = end + 1;
	if (!path_ok(p)) {
		fail(why, "line %d: path '%s' is not a file of scripts/basic or scripts/kconfig", lineno, p);
		goto out;
	}
	f->path = xstrdup(p);
	f->mode = (unsigned)mode;
	f->mtime.tv_sec = (time_t)sec;
	f->mtime.tv_nsec = nsec;
	f->size = (size_t)size;
	ret = 0;
out:
	free(text);
	return ret;
}

int confcache_parse(struct confcache_entry *e, const char *buf, size_t len, const char *key, struct strbuf *why)
{
	const char *p = buf, *end = buf + len, *nl;
	char (*shas)[SHA256_HEX] = NULL;
	size_t total = 0;
	int lineno = 2, ret = -EINVAL;

	e->files = NULL;
	e->nr = 0;
	if (len < strlen(FORMAT_LINE) || memcmp(buf, FORMAT_LINE, strlen(FORMAT_LINE)))
		return fail(why, "not a kbuild-confcache 1 entry");
	p += strlen(FORMAT_LINE);
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || (size_t)(nl - p) != 4 + 64 || memcmp(p, "key ", 4) || memcmp(p + 4, key, 64)) {
		fail(why, "line 2: it is not the entry of this tree and compiler (key mismatch)");
		goto out;
	}
	p = nl + 1;
	for (;;) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			fail(why, "line %d: truncated (no 'end' line)", lineno);
			goto out;
		}
		if (nl - p == 3 && !memcmp(p, "end", 3))
			break;
		if (nl - p < 5 || memcmp(p, "file ", 5)) {
			fail(why, "line %d: expected 'file' or 'end'", lineno);
			goto out;
		}
		if (e->nr == MAX_FILES) {
			fail(why, "line %d: more than %d files", lineno, MAX_FILES);
			goto out;
		}
		e->files = xrealloc(e->files, (e->nr + 1) * sizeof(*e->files));
		shas = xrealloc(shas, (e->nr + 1) * sizeof(*shas));
		memset(&e->files[e->nr], 0, sizeof(e->files[e->nr]));
		if (parse_file_line(p, (size_t)(nl - p), &e->files[e->nr], shas[e->nr], why, lineno) < 0)
			goto out;
		e->nr++;
		if (entry_find(e, e->files[e->nr - 1].path) != &e->files[e->nr - 1]) {
			fail(why, "line %d: '%s' listed twice", lineno, e->files[e->nr - 1].path);
			goto out;
		}
		total += e->files[e->nr - 1].size;
		p = nl + 1;
	}
	p = nl + 1;
	if ((size_t)(end - p) != total) {
		fail(why, "%zu bytes of file data, the list says %zu", (size_t)(end - p), total);
		goto out;
	}
	if (!entry_find(e, "scripts/basic/fixdep") || !entry_find(e, "scripts/kconfig/conf")) {
		fail(why, "no scripts/basic/fixdep or scripts/kconfig/conf");
		goto out;
	}
	for (size_t i = 0; i < e->nr; i++) {
		char sha[SHA256_HEX];

		e->files[i].data = p;
		sha256_hex(p, e->files[i].size, sha);
		if (!str_eq(sha, shas[i])) {
			fail(why, "%s: sha256 mismatch", e->files[i].path);
			goto out;
		}
		p += e->files[i].size;
	}
	ret = 0;
out:
	free(shas);
	if (ret < 0)
		confcache_entry_release(e);
	return ret;
}

void confcache_format(const struct confcache_entry *e, const char *key, struct strbuf *out)
{
	strbuf_addstr(out, FORMAT_LINE);
	strbuf_addf(out, "key %s\n", key);
	for (size_t i = 0; i < e->nr; i++) {
		const struct confcache_file *f = &e->files[i];
		char sha[SHA256_HEX];

		sha256_hex(f->data, f->size, sha);
		strbuf_addf(out, "file %04o %lld.%09ld %zu %s %s\n", f->mode, (long long)f->mtime.tv_sec,
			    (long)f->mtime.tv_nsec, f->size, sha, f->path);
	}
	strbuf_addstr(out, "end\n");
	for (size_t i = 0; i < e->nr; i++)
		strbuf_add(out, e->files[i].data, e->files[i].size);
}

/* "NAME sha256\n" of a source file of the tree, or "NAME -\n" when it is absent. */
static void key_add_file(struct strbuf *in, const char *tree, const char *rel)
{
	char *path = xasprintf("%s/%s", tree, rel);
	char sha[SHA256_HEX];

	strbuf_addf(in, "%s %s\n", rel, sha256_file(path, sha) == 0 ? sha : "-");
	free(path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sources make builds the tools from: every Makefile, .c, .h, .l and .y directly in tree/rel. */
static void key_add_sources(struct strbuf *in, const char *tree, const char *rel)
{
	char *dir = xasprintf("%s/%s", tree, rel);
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	strbuf_addf(in, "dir %s\n", rel);
	while (d && (de = readdir(d))) {
		if (!str_eq(de->d_name, "Makefile") && !ends_with(de->d_name, ".c") && !ends_with(de->d_name, ".h") &&
		    !ends_with(de->d_name, ".l") && !ends_with(de->d_name, ".y"))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xasprintf("%s%s", rel, de->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		key_add_file(in, tree, names[i]);
		free(names[i]);
	}
	free(names);
	free(dir);
}

/* A tool's `--version` output (what the kernel's command lines in .cmd files do not record). */
static void key_add_tool(struct strbuf *in, const char *prog)
{
	const char *argv[] = { prog, "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = &out, .merge_err = 1 };
	int ret = run_command(&cmd);

	strbuf_addf(in, "tool %s %d\n%s\n", prog, ret, ret < 0 ? "" : out.buf);
	strbuf_release(&out);
}

/* The kernel's HOSTCC: gcc, or clang with LLVM=1, LLVM=/prefix/ or LLVM=-suffix. */
static char *host_cc(void)
{
	const char *llvm = getenv("LLVM");

	if (!llvm || !*llvm || str_eq(llvm, "0"))
		return xstrdup("gcc");
	if (ends_with(llvm, "/"))
		return xasprintf("%sclang", llvm);
	if (llvm[0] == '-')
		return xasprintf("clang%s", llvm);
	return xstrdup("clang");
}

static char *compute_key(const char *tree)
{
	struct strbuf in = STRBUF_INIT;
	const char *envs[] = { "LLVM", "HOSTCFLAGS", "HOSTLDFLAGS", "KBUILD_HOSTCFLAGS", "KBUILD_HOSTLDFLAGS" };
	char *cc = host_cc();
	char hex[SHA256_HEX];

	strbuf_addstr(&in, FORMAT_LINE);
	strbuf_addf(&in, "tree %s\n", tree);
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		strbuf_addf(&in, "env %s=%s\n", envs[i], getenv(envs[i]) ? getenv(envs[i]) : "(unset)");
	key_add_tool(&in, cc);
	key_add_tool(&in, "flex");
	key_add_tool(&in, "bison");
	key_add_file(&in, tree, "scripts/Makefile.host");
	key_add_file(&in, tree, "scripts/Kbuild.include");
	for (size_t i = 0; i < ARRAY_SIZE(tool_dirs); i++)
		key_add_sources(&in, tree, tool_dirs[i]);
	sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	free(cc);
	return xstrdup(hex);
}

/* The command records (.NAME.cmd) go last: a target without one is rebuilt by make. */
static int is_cmd_file(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] == '.' && ends_with(path, ".cmd");
}

static int write_one(const char *objdir, const struct confcache_file *f)
{
	char *path = xasprintf("%s/%s", objdir, f->path), *tmp = xasprintf("%s.kbuild-tmp", path);
	struct timespec times[2] = { f->mtime, f->mtime };
	size_t off = 0;
	int fd, err = 0;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while (off < f->size) {
		ssize_t n = write(fd, f->data + off, f->size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (!err && fchmod(fd, f->mode) < 0)
		err = -errno;
	if (!err && futimens(fd, times) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
out:
	free(path);
	free(tmp);
	return err;
}

static int seed_files(const char *objdir, const struct confcache_entry *e)
{
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tool_dirs) && !err; i++) {
		char *dir = xasprintf("%s/%s", objdir, tool_dirs[i]);

		err = fs_mkdir_p(dir, 0755);
		free(dir);
	}
	for (int pass = 0; pass < 2 && !err; pass++)
		for (size_t i = 0; i < e->nr && !err; i++)
			if (is_cmd_file(e->files[i].path) == pass)
				err = write_one(objdir, &e->files[i]);
	if (err)
		for (size_t i = 0; i < e->nr; i++) {
			char *path = xasprintf("%s/%s", objdir, e->files[i].path);

			unlink(path);
			free(path);
		}
	return err;
}

static int objdir_has(const char *objdir, const char *rel)
{
	char *path = xasprintf("%s/%s", objdir, rel);
	struct stat st;
	int ret = lstat(path, &st) == 0;

	free(path);
	return ret;
}

void confcache_seed(struct confcache *cc, const char *cachedir, const char *tree, const char *objdir)
{
	struct strbuf why = STRBUF_INIT;
	char *rtree;
	int ret;

	if (!cachedir || objdir_has(objdir, "scripts/basic/fixdep") || objdir_has(objdir, "scripts/kconfig/conf"))
		return;
	rtree = fs_realpath(tree);
	if (!rtree)
		return;
	cc->key = compute_key(rtree);
	free(rtree);
	cc->entry_path = xasprintf("%s/conf/%s", cachedir, cc->key);
	ret = fs_read_file_max(cc->entry_path, &cc->raw, MAX_ENTRY_SIZE);
	if (ret == -ENOENT)
		goto out;
	if (ret < 0) {
		kb_diag(KB_NOTE, cc->entry_path, 0, "cached kconfig build not used: %s", strerror(-ret));
		goto out;
	}
	if (confcache_parse(&cc->entry, cc->raw.buf, cc->raw.len, cc->key, &why) < 0) {
		kb_diag(KB_NOTE, cc->entry_path, 0, "cached kconfig build not used: %s", why.buf);
		goto out;
	}
	ret = seed_files(objdir, &cc->entry);
	if (ret < 0) {
		kb_warning("cannot seed '%s' with the cached kconfig build: %s", objdir, strerror(-ret));
		goto out;
	}
	cc->seeded = 1;
	kb_progress("CACHED", "scripts/basic/fixdep scripts/kconfig/conf (%.12s)", cc->key);
out:
	if (!cc->seeded) {
		confcache_entry_release(&cc->entry);
		strbuf_release(&cc->raw);
	}
	strbuf_release(&why);
}

/* What make left in objdir's tool directories, as an entry (file data in `blobs`). */
static int collect(struct confcache_entry *e, struct strbuf *blobs, const char *objdir)
{
	size_t *offs = NULL;
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tool_dirs) && !err; i++) {
		char *dir = xasprintf("%s/%s", objdir, tool_dirs[i]);
		DIR *d = opendir(dir);
		struct dirent *de;

		if (!d)
			err = -errno;
		while (!err && (de = readdir(d))) {
			char *rel = xasprintf("%s%s", tool_dirs[i], de->d_name);
			char *path = xasprintf("%s/%s", objdir, rel);
			struct stat st;
			size_t before = blobs->len;

			if (path_ok(rel) && !ends_with(rel, ".kbuild-tmp") && lstat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (e->nr == MAX_FILES || (size_t)st.st_size > MAX_FILE_SIZE) {
					err = -EFBIG;
				} else if ((err = fs_read_file_max(path, blobs, MAX_FILE_SIZE)) == 0) {
					struct confcache_file *f;

					e->files = xrealloc(e->files, (e->nr + 1) * sizeof(*e->files));
					offs = xrealloc(offs, (e->nr + 1) * sizeof(*offs));
					f = &e->files[e->nr];
					f->path = rel;
					rel = NULL;
					f->mode = (st.st_mode & 0111) ? 0755 : 0644;
					f->mtime = st.st_mtim;
					f->size = blobs->len - before;
					offs[e->nr++] = before;
				}
			}
			free(rel);
			free(path);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	/* blobs may have moved while growing: point into it only now */
	for (size_t i = 0; i < e->nr; i++)
		e->files[i].data = blobs->buf + offs[i];
	free(offs);
	if (!err && (!entry_find(e, "scripts/basic/fixdep") || !entry_find(e, "scripts/kconfig/conf")))
		err = -ENOENT;
	return err;
}

void confcache_store(struct confcache *cc, const char *objdir)
{
	struct confcache_entry e = { NULL, 0 };
	struct strbuf blobs = STRBUF_INIT, out = STRBUF_INIT;
	char *dir;
	int ret;

	if (!cc->key)
		return;
	if (collect(&e, &blobs, objdir) < 0)
		goto out;
	confcache_format(&e, cc->key, &out);
	if (cc->seeded && out.len == cc->raw.len && !memcmp(out.buf, cc->raw.buf, out.len))
		goto out; /* make used the entry as it was */
	dir = fs_dirname(cc->entry_path);
	ret = fs_mkdir_p(dir, 0755);
	free(dir);
	if (ret == 0)
		ret = fs_write_atomic(cc->entry_path, out.buf, out.len, NULL);
	if (ret < 0)
		kb_warning("cannot keep the kconfig build in '%s': %s", cc->entry_path, strerror(-ret));
out:
	confcache_entry_release(&e);
	strbuf_release(&blobs);
	strbuf_release(&out);
}

void confcache_release(struct confcache *cc)
{
	confcache_entry_release(&cc->entry);
	strbuf_release(&cc->raw);
	free(cc->key);
	free(cc->entry_path);
	cc->key = cc->entry_path = NULL;
	cc->seeded = 0;
}

char *confcache_no_autoconf(const char *objdir)
{
	char *dir = xasprintf("%s/.kbuild", objdir), *path = xasprintf("%s/autoconf.unused", dir), *env = NULL;
	int fd;

	if (fs_mkdir_p(dir, 0755) == 0 && (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) >= 0) {
		close(fd);
		env = xasprintf("KCONFIG_AUTOCONFIG=%s", path);
	}
	free(dir);
	free(path);
	return env;
}
