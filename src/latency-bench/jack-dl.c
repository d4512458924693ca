/* jack-dl.c - libjack opened on first use by the JACK plane (see jack-dl.h) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include "jack-dl.h"

#define LB_JACK_DEF(f) __typeof__(f) *lb_dl_##f;
LB_JACK_FUNCS(LB_JACK_DEF)
#undef LB_JACK_DEF

#define LB_JACK_LIB "libjack.so.0"

int lb_jack_load(char *err, unsigned len)
{
	static void *lib;
	const char *missing = NULL;

	if (lib)
		return 0;
	lib = dlopen(LB_JACK_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(err, len, "cannot load the JACK library '%s': %s (install libjack-jackd2-0, or pipewire-jack)",
			 LB_JACK_LIB, why ? why : "unknown error");
		return -ELIBACC;
	}
	/* # and ## take the X list's names as written, not as jack-dl.h maps them */
#define LB_JACK_SYM(f)                                                              \
	if (!missing && !(*(void **)&lb_dl_##f = dlsym(lib, #f)))                  \
		missing = #f;
	LB_JACK_FUNCS(LB_JACK_SYM)
#undef LB_JACK_SYM
	if (missing) {
		snprintf(err, len, "the JACK library '%s' has no function '%s'", LB_JACK_LIB, missing);
		dlclose(lib);
		lib = NULL;
		return -ELIBACC;
	}
	return 0;
}
