/* dl.c - a library opened on first use (see dl.h) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include "dl.h"

int lb_dl_load(struct lb_dl_lib *l, char *err, unsigned len)
{
	void *lib;
	unsigned i;

	if (l->handle)
		return 0;
	lib = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();

		snprintf(err, len, "cannot load the %s library '%s': %s (install %s)", l->what, l->soname,
			 why ? why : "unknown error", l->install);
		return -ELIBACC;
	}
	for (i = 0; i < l->n; i++) {
		*l->ptrs[i] = dlsym(lib, l->names[i]);
		if (!*l->ptrs[i]) {
			snprintf(err, len, "the %s library '%s' has no function '%s'", l->what, l->soname, l->names[i]);
			dlclose(lib);
			return -ELIBACC;
		}
	}
	l->handle = lib;
	return 0;
}
