/* fuzz.h - what the libFuzzer harnesses share: one scratch directory per process, inputs written into it in place */
#ifndef KB_FUZZ_H
#define KB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The process's scratch directory, $TMPDIR/kbuild-fuzz.XXXXXX, created on the
 * first call and removed at exit. Harnesses write nowhere else, and always to
 * the same few names, so that millions of inputs leave one directory behind.
 */
const char *fuzz_scratch(void);
/* SCRATCH/NAME in a buffer of the harness's own (valid until the next call). */
const char *fuzz_path(const char *name);
/* Write the input to SCRATCH/NAME (created with its parents, truncated); aborts on failure. */
void fuzz_write(const char *name, const uint8_t *data, size_t size);
/*
 * 1 (the default): skip inputs that would hit a known defect another change is fixing, so that
 * make check stays green meanwhile; KB_FUZZ_NO_LIMITS=1 runs them too (to check a fix).
 */
int fuzz_limited(void);
/* Does the input contain `needle`? */
int fuzz_contains(const uint8_t *data, size_t size, const char *needle);

#endif
