/* util.h - allocation wrappers, BUG(), and small macros shared by every program */
#ifndef KB_UTIL_H
#define KB_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KB_NORETURN __attribute__((noreturn))
#define KB_UNUSED __attribute__((unused))

/* Allocation failure is not an error path we recover from: these abort. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) KB_PRINTF(1, 2);

/* Grow array `a` (with `alloc` slots) so that it holds at least `nr` items. */
#define ALLOC_GROW(a, nr, alloc)                                              \
	do {                                                                  \
		if ((size_t)(nr) > (size_t)(alloc)) {                          \
			size_t kb_n_ = (alloc) ? (size_t)(alloc) * 2 : 8;       \
			if (kb_n_ < (size_t)(nr))                             \
				kb_n_ = (size_t)(nr);                         \
			(a) = xrealloc((a), kb_n_ * sizeof(*(a)));            \
			(alloc) = kb_n_;                                      \
		}                                                             \
	} while (0)

/* Impossible state: report where and abort. */
#define BUG(...) kb_bug(__FILE__, __LINE__, __VA_ARGS__)
void kb_bug(const char *file, int line, const char *fmt, ...) KB_PRINTF(3, 4) KB_NORETURN;

static inline int str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ends_with(const char *s, const char *suffix);

/* CLOCK_MONOTONIC in seconds, for timing stages and timeouts. */
double kb_now(void);

#endif
