/* strmap.h - open-addressing hash map from NUL-terminated strings to pointers */
#ifndef KB_STRMAP_H
#define KB_STRMAP_H

#include <stddef.h>

struct strmap_entry {
	const char *key; /* not copied: the caller keeps it alive */
	void *value;
	unsigned hash;
};

struct strmap {
	struct strmap_entry *slots;
	size_t cap; /* power of two */
	size_t len;
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
void *strmap_get(const struct strmap *m, const char *key);
/* Same as strmap_get for a key given by pointer and length. */
void *strmap_getn(const struct strmap *m, const char *key, size_t len);
/* Insert or replace; returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Iterate: for (i = 0; strmap_next(m, &i, &e); ) */
int strmap_next(const struct strmap *m, size_t *iter, const struct strmap_entry **e);

#endif
