/* strmap.c - open-addressing hash map from strings to pointers (FNV-1a, linear probing) */
#include "strmap.h"

#include <string.h>
#include "util.h"

static unsigned hash_n(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void strmap_init(struct strmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

void strmap_release(struct strmap *m)
{
	free(m->slots);
	strmap_init(m);
}

static struct strmap_entry *find(const struct strmap *m, const char *key, size_t n, unsigned h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct strmap_entry *e = &m->slots[i];

		if (!e->key)
			return e;
		if (e->hash == h && strncmp(e->key, key, n) == 0 && e->key[n] == '\0')
			return e;
	}
}

void *strmap_getn(const struct strmap *m, const char *key, size_t len)
{
	struct strmap_entry *e;

	if (!m->cap)
		return NULL;
	e = find(m, key, len, hash_n(key, len));
	return e->key ? e->value : NULL;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	return strmap_getn(m, key, strlen(key));
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->len = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.slots[i].key) {
			struct strmap_entry *e = find(m, old.slots[i].key,
						      strlen(old.slots[i].key), old.slots[i].hash);
			*e = old.slots[i];
			m->len++;
		}
	}
	free(old.slots);
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t n = strlen(key);
	unsigned h = hash_n(key, n);
	struct strmap_entry *e;
	void *prev;

	if ((m->len + 1) * 4 >= m->cap * 3)
		grow(m);
	e = find(m, key, n, h);
	if (e->key) {
		prev = e->value;
		e->value = value;
		return prev;
	}
	e->key = key;
	e->hash = h;
	e->value = value;
	m->len++;
	return NULL;
}

int strmap_next(const struct strmap *m, size_t *iter, const struct strmap_entry **e)
{
	while (*iter < m->cap) {
		struct strmap_entry *s = &m->slots[(*iter)++];
		if (s->key) {
			*e = s;
			return 1;
		}
	}
	return 0;
}
