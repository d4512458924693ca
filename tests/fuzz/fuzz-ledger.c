/* fuzz-ledger.c - libFuzzer harness: a tree's .kbuild-patches/ledger through series.c's reader (patch_applied) */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "fuzz.h"
#include "series.h"
#include "util.h"

/*
 * KNOWN DEFECT, found by this harness (tests/fuzz/findings/ledger/): a ledger with two "series"
 * lines leaks the first name (ledger_read overwrites l->series). Until series.c refuses or frees
 * it, such inputs are not run (KB_FUZZ_NO_LIMITS=1 runs them).
 */
static int series_twice(const uint8_t *data, size_t size)
{
	const uint8_t *p = memmem(data, size, "\nseries\t", 8);

	return p && memmem(p + 1, size - (size_t)(p + 1 - data), "\nseries\t", 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct applied_series a;
	char *tree;

	if (fuzz_limited() && series_twice(data, size))
		return -1;
	fuzz_write("tree/" LEDGER_DIR "/ledger", data, size);
	tree = xstrdup(fuzz_path("tree"));
	if (patch_applied(tree, &a) == 0)
		applied_series_release(&a);
	free(tree);
	return 0;
}
