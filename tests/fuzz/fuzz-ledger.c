/* fuzz-ledger.c - libFuzzer harness: a tree's .kbuild-patches/ledger through series.c's reader (patch_applied) */
#include <string.h>

#include "fuzz.h"
#include "series.h"
#include "util.h"

/* corpus/ledger/leak-series-twice: two "series" lines once leaked the first name; now refused */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct applied_series a;
	char *tree;

	fuzz_write("tree/" LEDGER_DIR "/ledger", data, size);
	tree = xstrdup(fuzz_path("tree"));
	if (patch_applied(tree, &a) == 0)
		applied_series_release(&a);
	free(tree);
	return 0;
}
