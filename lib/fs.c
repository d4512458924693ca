/* fs.c - whole-file reads, atomic writes, directories */
#define _GNU_SOURCE
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int fs_read_file(const char *path, struct strbuf *sb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode))
		strbuf_grow(sb, (size_t)st.st_size);
	for (;;) {
		ssize_t n;

		strbuf_grow(sb, 65536);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
out:
	close(fd);
	return err;
}

int fs_read_gz(const char *path, struct strbuf *sb)
{
	gzFile gz = gzopen(path, "rb");
	int n;

	if (!gz)
		return errno ? -errno : -ENOMEM;
	for (;;) {
		strbuf_grow(sb, 65536);
		n = gzread(gz, sb->buf + sb->len, 65536);
		if (n <= 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	/* a truncated stream reads as end of file; only gzclose tells */
	if (gzclose(gz) != Z_OK || n < 0)
		return -EIO;
	return 0;
}

static int same_content(const char *path, const void *data, size_t len)
{
	struct strbuf old = STRBUF_INIT;
	int same;

	if (fs_read_file(path, &old) < 0)
		return 0;
	same = old.len == len && memcmp(old.buf, data, len) == 0;
	strbuf_release(&old);
	return same;
}

int fs_write_atomic(const char *path, const void *data, size_t len, const char *backup)
{
	char *tmp;
	const char *p = data;
	size_t left = len;
	int fd, err = 0;

	if (same_content(path, data, len))
		return FS_UNCHANGED;
	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (!err) {
		/* keep the mode of the file we replace; a new file gets 0666 less the umask */
		struct stat st;
		mode_t mode, mask = umask(0);

		umask(mask);
		mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : (0666 & ~mask);
		if (fchmod(fd, mode) < 0)
			err = -errno;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && backup && access(path, F_OK) == 0) {
		/* hard link keeps `path` in place until the rename below */
		unlink(backup);
		if (link(path, backup) < 0 && rename(path, backup) < 0)
			err = -errno;
	}
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err ? err : FS_WRITTEN;
}

int fs_mkdir_p(const char *path, unsigned mode)
{
	char *p, *s;
	int err = 0;

	if (!*path)
		return -ENOENT;
	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				err = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (!err && !fs_is_dir(path))
		err = -ENOTDIR;
	free(p);
	return err;
}

int fs_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOTDIR ? (unlink(path) < 0 ? -errno : 0) : -errno;
	while ((de = readdir(d))) {
		char *sub;
		struct stat st;

		if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			err = fs_remove_tree(sub);
		else if (unlink(sub) < 0)
			err = -errno;
		free(sub);
		if (err)
			break;
	}
	closedir(d);
	if (!err && rmdir(path) < 0)
		err = -errno;
	return err;
}

int fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *fs_realpath(const char *path)
{
	return realpath(path, NULL);
}

char *fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *fs_absolute(const char *path)
{
	char *cwd, *r;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return xstrdup(path);
	r = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return r;
}
