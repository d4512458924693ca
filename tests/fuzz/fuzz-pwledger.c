/* fuzz-pwledger.c - libFuzzer harness: the ledger a run that forced PipeWire's quantum leaves in
 * its settings metadata (any client may write it) through pipewire.c's lb_pw_ledger_parse */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pipewire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), again[96];
	struct lb_pw_ledger l;

	memcpy(s, data, size);
	s[size] = '\0';
	if (lb_pw_ledger_parse(s, &l) == 0) {
		/* what was read is written back the same way, and reads back the same */
		struct lb_pw_ledger l2;

		lb_pw_ledger_format(&l, again, sizeof(again));
		if (lb_pw_ledger_parse(again, &l2) || l2.pid != l.pid || l2.quantum != l.quantum || l2.rate != l.rate)
			abort();
	}
	free(s);
	return 0;
}
