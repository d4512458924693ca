/* jack-dl.c - libjack opened on first use by the JACK plane (see jack-dl.h) */
#include "jack-dl.h"
#include "dl.h"

#define LB_JACK_DEF(f) __typeof__(f) *lb_dl_##f;
LB_JACK_FUNCS(LB_JACK_DEF)
#undef LB_JACK_DEF

/* # and ## take the X list's names as written, not as jack-dl.h maps them */
static const char *const names[] = { LB_JACK_FUNCS(LB_DL_NAME) };
static void **const ptrs[] = { LB_JACK_FUNCS(LB_DL_ADDR) };
static struct lb_dl_lib jack = {
	"libjack.so.0", "JACK", "libjack-jackd2-0, or pipewire-jack", names, ptrs, sizeof(names) / sizeof(names[0]), NULL
};

int lb_jack_load(char *err, unsigned len)
{
	return lb_dl_load(&jack, err, len);
}
