/* fuzz-fragment.c - libFuzzer harness: a .config or fragment through fragment.c's reader, merge and writer */
#include <string.h>

#include "fragment.h"
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct cfg_file f;
	struct cfg_map cm;
	char *copy = xmalloc(size ? size : 1);

	/* read, merged as the base and again as a fragment over it, written back */
	memcpy(copy, data, size);
	if (cfg_parse(&f, "fuzz.config", copy, size, &err) == 0) {
		struct cfg_merge m;

		cfg_merge_init(&m);
		m.quiet = 1;
		f.is_base = 1;
		cfg_merge_add(&m, &f);
		f.is_base = 0;
		cfg_merge_add(&m, &f);
		cfg_merge_write(&m, &out);
		for (size_t i = 0; i < f.nr; i++)
			(void)cfg_merge_get(&m, f.items[i].name);
		cfg_merge_release(&m);
		cfg_file_release(&f);
	}
	/* as a .config looked up by name */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	if (cfg_map_parse(&cm, ".config", copy, size, &err) == 0) {
		for (size_t i = 0; i < cm.file.nr; i++)
			(void)cfg_map_value(&cm, cm.file.items[i].name);
		(void)cfg_map_value(&cm, "MODULES");
	}
	cfg_map_release(&cm);
	strbuf_release(&err);
	strbuf_release(&out);
	return 0;
}
