/* fuzz-modprobe.c - libFuzzer harness: a modprobe.d file through modules.c's own syntax check (kbuild modules --conf) */
#include <string.h>

#include "fuzz.h"
#include "modules.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out = STRBUF_INIT;
	struct modules_opts o;
	const char *conf[2];
	char *path, *objdir;

	fuzz_write("modprobe.d/fuzz.conf", data, size);
	path = xstrdup(fuzz_path("modprobe.d/fuzz.conf"));
	/* no build there: a file that passes the check stops at "holds no built kernel" */
	objdir = xstrdup(fuzz_path("no-build"));
	conf[0] = path;
	conf[1] = NULL;
	memset(&o, 0, sizeof(o));
	o.conf = conf;
	o.inst.make.objdir = objdir;
	(void)modules_list(&o, &out);
	strbuf_release(&out);
	free(path);
	free(objdir);
	return 0;
}
