/* fuzz-result.c - libFuzzer harness: a latency-bench result file through result.c's validating reader, as plot,
 * plot --over-time (its causes, spikes and timeline) and compare read it */
#include <string.h>

#include "fuzz.h"
#include "result.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum lb_result_need needs[] = { LB_NEED_HISTOGRAM, LB_NEED_CAUSES, LB_NEED_RUN };
	char *path;

	fuzz_write("result.json", data, size);
	path = xstrdup(fuzz_path("result.json"));
	for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
		struct strbuf err = STRBUF_INIT;
		struct lb_result res;

		if (lb_result_read(path, needs[i], &res, &err) == 0)
			lb_result_release(&res);
		strbuf_release(&err);
	}
	free(path);
	return 0;
}
