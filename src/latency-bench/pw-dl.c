/* pw-dl.c - libpipewire opened on first use (see pw-dl.h) */
#include "pw-dl.h"
#include "dl.h"

#define LB_PW_DEF(f) __typeof__(f) *lb_dl_##f;
LB_PW_FUNCS(LB_PW_DEF)
#undef LB_PW_DEF

/* # and ## take the X list's names as written, not as pw-dl.h maps them */
static const char *const names[] = { LB_PW_FUNCS(LB_DL_NAME) };
static void **const ptrs[] = { LB_PW_FUNCS(LB_DL_ADDR) };
static struct lb_dl_lib pw = {
	"libpipewire-0.3.so.0", "PipeWire", "libpipewire-0.3-0", names, ptrs, sizeof(names) / sizeof(names[0]), NULL
};

int lb_pw_load(char *err, unsigned len)
{
	return lb_dl_load(&pw, err, len);
}
