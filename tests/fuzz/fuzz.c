/* fuzz.c - the harnesses' scratch directory: created once, rewritten per input, removed at exit */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

static char scratch[4096];
static char path_buf[4096 + 256];

static void remove_scratch(void)
{
	if (scratch[0])
		fs_remove_tree(scratch);
}

const char *fuzz_scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (scratch[0])
		return scratch;
	snprintf(scratch, sizeof(scratch), "%s/kbuild-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "fuzz: error: cannot create '%s': %s\n", scratch, strerror(errno));
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

const char *fuzz_path(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", fuzz_scratch(), name);
	return path_buf;
}

void fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(name);
	char *dir = fs_dirname(path);
	int fd, ret = fs_is_dir(dir) ? 0 : fs_mkdir_p(dir, 0755);

	if (ret < 0) {
		fprintf(stderr, "fuzz: error: cannot create '%s': %s\n", dir, strerror(-ret));
		abort();
	}
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fuzz: error: cannot write '%s': %s\n", path, strerror(errno));
		abort();
	}
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fuzz: error: cannot write '%s': %s\n", path, strerror(errno));
			abort();
		}
		data += n;
		size -= (size_t)n;
	}
	close(fd);
}

int fuzz_limited(void)
{
	const char *v = getenv("KB_FUZZ_NO_LIMITS");

	return !(v && str_eq(v, "1"));
}

int fuzz_contains(const uint8_t *data, size_t size, const char *needle)
{
	return memmem(data, size, needle, strlen(needle)) != NULL;
}
