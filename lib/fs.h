/* fs.h - bounded whole-file reads, atomic writes that keep mtime when unchanged, streams, directories */
#ifndef KB_FS_H
#define KB_FS_H

#include <stddef.h>
#include "strbuf.h"

/*
 * Read all of `path` into `sb` (appended), at most `max` bytes: a file that holds more
 * (a regular file by its size, before anything is read; a device or pipe after max + 1
 * bytes) is -EFBIG and `sb` keeps what it had. -EISDIR for a directory. 0 or -errno.
 * Every parser reads its input through this with a cap of its own: /dev/zero, a pipe
 * that never ends or a huge file then ends in an error, never in an exhausted memory.
 */
int fs_read_file_max(const char *path, struct strbuf *sb, size_t max);
/* The cap of fs_read_file and fs_read_gz: far above any file this project reads whole. */
#define FS_READ_MAX ((size_t)1 << 30)
int fs_read_file(const char *path, struct strbuf *sb);
/* A gzip-compressed file (or plain, zlib passes it through), at most `max` bytes once
 * decompressed (-EFBIG beyond). 0 or -errno. */
int fs_read_gz_max(const char *path, struct strbuf *sb, size_t max);
int fs_read_gz(const char *path, struct strbuf *sb);

enum fs_write_result { FS_WRITTEN = 0, FS_UNCHANGED = 1 };
/*
 * Write `data` to `path`, which is one of:
 * - a regular file, or none yet: through a temporary file in the same directory, fsync
 *   and rename. If the file already holds exactly `data`, nothing is touched and
 *   FS_UNCHANGED is returned. With `backup` non-NULL, the previous file (if any) is
 *   renamed to `backup` first.
 * - "-", /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: written straight to that
 *   descriptor of this process (stdio flushed first), wherever it leads.
 * - an existing device, FIFO or socket: opened and written straight through.
 * Streams are never read back and never replaced, and `backup` does not apply to them;
 * a reader that went away is -EPIPE (no SIGPIPE), a full device -ENOSPC.
 * Returns FS_WRITTEN, FS_UNCHANGED or -errno.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, const char *backup);
/* Does fs_write_atomic(path) write to standard output? Then a program's own text there
 * moves to stderr, so that `--json - | jq` reads JSON alone. */
int fs_names_stdout(const char *path);
/* Could fs_write_atomic write `path`? 0 or -errno; checked before long work. */
int fs_check_writable(const char *path);

/*
 * flock `path` (created if missing, 0644), shared or exclusive, without waiting: the
 * descriptor (close-on-exec; closing it releases the lock), -EWOULDBLOCK when another
 * open file holds a conflicting lock, or -errno. A shared lock opens an existing file read-only
 * when it may not be written.
 */
int fs_lock(const char *path, int shared);
/* Disk use of a file or tree in bytes (allocated blocks, links not followed: du -s). */
long long fs_disk_usage(const char *path);
/* mkdir -p; 0 or -errno. */
int fs_mkdir_p(const char *path, unsigned mode);
/* rm -rf of a directory we created ourselves; 0 or -errno. */
int fs_remove_tree(const char *path);
int fs_is_dir(const char *path);
int fs_is_file(const char *path);
/* Absolute, symlink-resolved path (caller frees) or NULL with errno set. */
char *fs_realpath(const char *path);
/* `path` made absolute against the current directory, without resolving links (caller frees). */
char *fs_absolute(const char *path);
/* dirname of an absolute or relative path (caller frees). */
char *fs_dirname(const char *path);

#endif
