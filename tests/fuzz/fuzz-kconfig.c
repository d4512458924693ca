/* fuzz-kconfig.c - libFuzzer harness: a Kconfig file through kconfig.c's parser, then every symbol's deps evaluated and printed */
#include <string.h>

#include "fuzz.h"
#include "kconfig.h"
#include "util.h"

/* Every symbol reads as its own name's first letter: y, m, n or a string, so that comparisons vary. */
static const char *value_of(const void *ctx, const char *name)
{
	(void)ctx;
	switch (name[0] % 4) {
	case 0: return "y";
	case 1: return "m";
	case 2: return NULL;
	default: return name;
	}
}

/*
 * `source` cycles, nesting and file counts are the parser's own errors now (issue 18). What the
 * harness keeps out is a `source` that leaves its scratch tree: an absolute path, "..", or a
 * glob, which kbuild follows as the kernel's own Kconfig does (the tree is trusted to name its
 * files), so a fuzzer would read the host's files (KB_FUZZ_NO_LIMITS=1 runs them too).
 */
static int leaves_scratch(const uint8_t *data, size_t size)
{
	return fuzz_contains(data, size, "..") || memchr(data, '*', size) || memchr(data, '?', size) ||
	       memchr(data, '[', size) || fuzz_contains(data, size, "\"/") || fuzz_contains(data, size, "source /") ||
	       fuzz_contains(data, size, "source\t/") || fuzz_contains(data, size, "$(");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvals vals = { value_of, NULL };
	struct strbuf sb = STRBUF_INIT;
	const struct strmap_entry *e;
	struct kconfig kc;
	size_t iter = 0;

	if (fuzz_limited() && leaves_scratch(data, size))
		return -1; /* not added to the corpus */
	fuzz_write("Kconfig", data, size);
	memset(&kc, 0, sizeof(kc));
	if (kconfig_parse(&kc, fuzz_scratch(), "x86", &sb) < 0) {
		strbuf_release(&sb);
		kconfig_release(&kc);
		return 0;
	}
	while (strmap_next(&kc.syms, &iter, &e)) {
		const struct ksym *s = e->value;

		strbuf_reset(&sb);
		(void)kval_tri(&vals, s);
		(void)kval_string(&vals, s, &sb);
		(void)ksym_prompt_visible(s, &vals);
		(void)ksym_first_prompt(s);
		for (const struct kdef *d = s->defs; d; d = d->next) {
			(void)kdef_dep_eval(d, &vals);
			kdef_dep_print(&sb, d, &vals);
			for (const struct kprop *p = d->props; p; p = p->next) {
				if (p->expr) {
					(void)kexpr_eval(p->expr, &vals);
					kexpr_print(&sb, p->expr, &vals);
				}
				if (p->cond)
					(void)kexpr_eval(p->cond, &vals);
			}
		}
		for (const struct krev *r = s->selected_by; r; r = r->next)
			if (r->prop->cond)
				kexpr_print(&sb, r->prop->cond, NULL);
	}
	strbuf_release(&sb);
	kconfig_release(&kc);
	return 0;
}
