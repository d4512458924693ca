/* fuzz-pwprofile.c - libFuzzer harness: a message of PipeWire's profiler through pipewire.c's
 * lb_pw_profile_parse, as the JACK plane counts the server's xruns from it */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pipewire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a pod is 8-byte aligned as the protocol delivers it; the fuzzer's buffer need not be */
	uint64_t *copy = malloc(size ? size : 1);
	struct lb_pw_tally t;

	memcpy(copy, data, size);
	memset(&t, 0, sizeof(t));
	lb_pw_profile_parse(copy, size, 42, 0, UINT64_MAX, &t);
	lb_pw_profile_parse(copy, size, 42, 1000000000ULL, 1010000000ULL, &t);
	free(copy);
	return 0;
}
