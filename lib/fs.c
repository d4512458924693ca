/* fs.c - whole-file reads, atomic writes, directories */
#define _GNU_SOURCE
#include "fs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int fs_read_file_max(const char *path, struct strbuf *sb, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t start = sb->len, got = 0;
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
	if (S_ISREG(st.st_mode)) {
		/* refused before a byte is read; a file that grows meanwhile is caught below */
		if ((uintmax_t)st.st_size > max) {
			err = -EFBIG;
			goto out;
		}
		strbuf_grow(sb, (size_t)st.st_size);
	}
	for (;;) {
		size_t room;
		ssize_t n;

		strbuf_grow(sb, 65536);
		room = sb->alloc - sb->len - 1;
		/* never more than one byte past the cap: enough to know the file is too large */
		if (room > max - got + 1)
			room = max - got + 1;
		n = read(fd, sb->buf + sb->len, room);
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
		got += (size_t)n;
		if (got > max) {
			err = -EFBIG;
			break;
		}
	}
out:
	close(fd);
	if (err)
		strbuf_setlen(sb, start);
	return err;
}

int fs_read_file(const char *path, struct strbuf *sb)
{
	return fs_read_file_max(path, sb, FS_READ_MAX);
}

int fs_read_gz_max(const char *path, struct strbuf *sb, size_t max)
{
	size_t start = sb->len, got = 0;
	struct stat st;
	gzFile gz;
	int n, err = 0;

	/* gzopen opens a directory and gzread fails on it: say so */
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	gz = gzopen(path, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	for (;;) {
		unsigned want = 65536;

		if (want > max - got + 1)
			want = (unsigned)(max - got + 1);
		strbuf_grow(sb, want);
		n = gzread(gz, sb->buf + sb->len, want);
		if (n <= 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		got += (size_t)n;
		if (got > max) {
			err = -EFBIG;
			break;
		}
	}
	/* a truncated stream reads as end of file; only gzclose tells */
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	if (!err && n < 0)
		err = -EIO;
	if (err)
		strbuf_setlen(sb, start);
	return err;
}

int fs_read_gz(const char *path, struct strbuf *sb)
{
	return fs_read_gz_max(path, sb, FS_READ_MAX);
}

/* `path` holds exactly `len` bytes equal to `data`; reads nothing unless the sizes match */
static int same_content(const char *path, const struct stat *st, const void *data, size_t len)
{
	struct strbuf old = STRBUF_INIT;
	int same;

	if ((uintmax_t)st->st_size != len || fs_read_file_max(path, &old, len) < 0)
		return 0;
	same = old.len == len && memcmp(old.buf, data, len) == 0;
	strbuf_release(&old);
	return same;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The descriptor `path` names in this process: "-" and /dev/stdout are 1, /dev/stderr 2,
 * /dev/fd/N and /proc/self/fd/N are N; -EBADF when that descriptor is not open (the name is
 * then no file to create: /dev/stdout would be replaced); -1 for any other name.
 * Written through the descriptor itself, the output lands where the shell put it, at its
 * offset (`>>` appends), whatever it is: terminal, pipe, socket or file.
 */
static int named_fd(const char *path)
{
	const char *n;
	char *end;
	long fd;

	if (str_eq(path, "-") || str_eq(path, "/dev/stdout"))
		fd = 1;
	else if (str_eq(path, "/dev/stderr"))
		fd = 2;
	else if (starts_with(path, "/dev/fd/") || starts_with(path, "/proc/self/fd/")) {
		n = strrchr(path, '/') + 1;
		errno = 0;
		fd = isdigit((unsigned char)*n) ? strtol(n, &end, 10) : -1;
		if (fd < 0 || *end || errno || fd > INT_MAX)
			return -1;
	} else {
		return -1;
	}
	return fcntl((int)fd, F_GETFL) < 0 ? -EBADF : (int)fd;
}

/*
 * write(2) to a pipe whose reader is gone raises SIGPIPE, which would end the program
 * without a word: keep it blocked for this thread during the write, so the write fails
 * with EPIPE, and take away the SIGPIPE it left pending.
 */
static int write_stream(int fd, const void *data, size_t len)
{
	sigset_t pipe_set, old;
	int err, pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	pending = 0;
	{
		sigset_t now;

		if (sigpending(&now) == 0)
			pending = sigismember(&now, SIGPIPE) == 1;
	}
	err = write_all(fd, data, len);
	if (err == -EPIPE && !pending) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

int fs_write_atomic(const char *path, const void *data, size_t len, const char *backup)
{
	struct stat st;
	char *tmp;
	int fd, exists, err = 0;

	fd = named_fd(path);
	if (fd == -EBADF)
		return fd;
	if (fd >= 0) {
		/* stdio's buffered text first, so the output keeps its order */
		if (fd == 1)
			fflush(stdout);
		else if (fd == 2)
			fflush(stderr);
		err = write_stream(fd, data, len);
		return err ? err : FS_WRITTEN;
	}
	exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode))
		return -EISDIR;
	if (exists && !S_ISREG(st.st_mode)) {
		/* a device, a FIFO, a socket: written to, never read back, never replaced */
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		err = write_stream(fd, data, len);
		if (close(fd) < 0 && !err && errno != EINTR)
			err = -errno;
		return err ? err : FS_WRITTEN;
	}
	if (exists && same_content(path, &st, data, len))
		return FS_UNCHANGED;
	tmp = xasprintf("%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = write_all(fd, data, len);
	if (!err) {
		/* keep the mode of the file we replace; a new file gets 0666 less the umask */
		mode_t mode, mask = umask(0);

		umask(mask);
		mode = exists ? (st.st_mode & 07777) : (0666 & ~mask);
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

int fs_names_stdout(const char *path)
{
	return path && named_fd(path) == 1;
}

int fs_check_writable(const char *path)
{
	struct stat st;
	char *dir;
	int fd, err = 0;

	fd = named_fd(path);
	if (fd == -EBADF)
		return fd;
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);

		return (fl & O_ACCMODE) == O_RDONLY ? -EBADF : 0;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return access(path, W_OK) < 0 ? -errno : 0;
	}
	/* a regular file is replaced by a rename: its directory must take the new one */
	dir = fs_dirname(path);
	if (access(dir, W_OK) < 0)
		err = -errno;
	free(dir);
	return err;
}

int fs_lock(const char *path, int shared)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644), err;

	/* a reader may lack write permission: a shared lock needs none */
	if (fd < 0 && shared && (errno == EACCES || errno == EROFS))
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		err = errno == EAGAIN ? -EWOULDBLOCK : -errno;
		close(fd);
		return err;
	}
	return fd;
}

static long long usage_at(int dir, const char *name)
{
	struct stat st;
	struct dirent *de;
	long long sum;
	DIR *d;
	int fd;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (long long)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return sum;
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sum;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return sum;
	}
	while ((de = readdir(d)))
		if (!str_eq(de->d_name, ".") && !str_eq(de->d_name, ".."))
			sum += usage_at(dirfd(d), de->d_name);
	closedir(d);
	return sum;
}

long long fs_disk_usage(const char *path)
{
	return usage_at(AT_FDCWD, path);
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
	struct dirent *de;
	int err = 0, fd;
	DIR *d;

	/* a symlink is removed, never followed: what it points at is outside the tree being removed */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? (unlink(path) < 0 ? -errno : 0) : -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
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
