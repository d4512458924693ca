/* fuzz-pwconf.c - libFuzzer harness: a PipeWire client configuration's context.modules (SPA-JSON,
 * the user's files) through pipewire.c's lb_pw_conf_rt, as check and the JACK plane read it */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pipewire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exactly `size` bytes, unterminated: the parser must not read past them */
	char *s = malloc(size ? size : 1);
	struct lb_pw_rt_conf c;

	memcpy(s, data, size);
	lb_pw_conf_rt(s, size, &c);
	free(s);
	return 0;
}
