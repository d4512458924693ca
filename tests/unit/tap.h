/* tap.h - a minimal TAP producer for the C unit tests: ok(), is_str(), is_int(), done_testing() */
#ifndef KB_TAP_H
#define KB_TAP_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap_count, tap_failures;

__attribute__((format(printf, 4, 5)))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failures++;
		printf("#   Failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, want, ...)                                                          \
	do {                                                                            \
		const char *g_ = (got), *w_ = (want);                                   \
		if (!tap_ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __FILE__, __LINE__, \
			    __VA_ARGS__))                                               \
			printf("#          got: '%s'\n#     expected: '%s'\n",            \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");                 \
	} while (0)

#define is_int(got, want, ...)                                                          \
	do {                                                                            \
		long long g_ = (long long)(got), w_ = (long long)(want);                \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                 \
			printf("#          got: %lld\n#     expected: %lld\n", g_, w_);     \
	} while (0)

/* A fresh scratch directory under $TMPDIR for test `name` (caller frees; aborts when it cannot). */
static inline char *tap_scratch_dir(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (asprintf(&dir, "%s/kb-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name) < 0 || !mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	return dir;
}

/* Write `text` to `path` for a test's fixture (aborts when it cannot). */
static inline void tap_write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0) {
		perror(path);
		abort();
	}
}

static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

/* Capture what a piece of code writes to stderr. */
struct tap_capture {
	int saved;
	char path[64];
};

__attribute__((unused)) static void capture_stderr_begin(struct tap_capture *c)
{
	int fd;

	fflush(stderr);
	strcpy(c->path, "/tmp/tap-stderr-XXXXXX");
	fd = mkstemp(c->path);
	c->saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Returns malloc'ed contents. */
__attribute__((unused)) static char *capture_stderr_end(struct tap_capture *c)
{
	FILE *f;
	char *buf;
	long n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	f = fopen(c->path, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	unlink(c->path);
	return buf;
}

/*
 * Run fn in a child so that a crash (or a sanitizer report) fails one test
 * instead of the whole file. Returns fn's result as a signed byte, or -1000
 * if the child died.
 */
__attribute__((unused)) static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1001;
	if (pid == 0)
		_exit(fn() & 0xff); /* _exit: no leak check of the parent's heap */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1000;
	return (signed char)WEXITSTATUS(status);
}

/* Path of a fixture: $KB_SRCDIR/tests/fixtures/REL (or relative to the cwd). */
__attribute__((unused)) static char *fixture(const char *rel)
{
	const char *root = getenv("KB_SRCDIR");
	char *p;

	if (asprintf(&p, "%s/tests/fixtures/%s", root ? root : ".", rel) < 0)
		abort();
	return p;
}

#endif
