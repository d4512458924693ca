/* fs.h - whole-file reads, atomic writes that keep mtime when unchanged, directories */
#ifndef KB_FS_H
#define KB_FS_H

#include <stddef.h>
#include "strbuf.h"

/* Read all of `path` into `sb` (appended). 0 or -errno. */
int fs_read_file(const char *path, struct strbuf *sb);
/* Read a gzip-compressed file (or plain, zlib passes it through). 0 or -errno. */
int fs_read_gz(const char *path, struct strbuf *sb);

enum fs_write_result { FS_WRITTEN = 0, FS_UNCHANGED = 1 };
/*
 * Write `data` to `path` through a temporary file in the same directory,
 * fsync and rename. If the file already holds exactly `data`, nothing is
 * touched and FS_UNCHANGED is returned. With `backup` non-NULL, the previous
 * file (if any) is renamed to `backup` first. Returns FS_WRITTEN,
 * FS_UNCHANGED or -errno.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, const char *backup);

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
