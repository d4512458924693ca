/* test-boot.c - the boot test's pure parts: ldd output, the panic line, the console tail, static or dynamic ELF, the guest command's quoting, #! lines */
#include "tap.h"
#include <errno.h>
#include <string.h>
#include "boot.h"
#include "strbuf.h"

static void test_ldd(void)
{
	struct strbuf paths = STRBUF_INIT, missing = STRBUF_INIT;
	const char *out =
		"\tlinux-vdso.so.1 (0x00007ffd1c9f6000)\n"
		"\tlibasound.so.2 => /lib/x86_64-linux-gnu/libasound.so.2 (0x00007f4a4ea9b000)\n"
		"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f4a4e718000)\n"
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007f4a4ec34000)\n";
	int n = boot_parse_ldd(out, &paths, &missing);

	is_int(n, 3, "three files: two libraries and the loader, not the vDSO");
	is_str(paths.buf,
	       "/lib/x86_64-linux-gnu/libasound.so.2\n"
	       "/lib/x86_64-linux-gnu/libc.so.6\n"
	       "/lib64/ld-linux-x86-64.so.2\n",
	       "their paths, one a line, in ldd's order");
	is_str(missing.buf, "", "nothing missing");
	strbuf_reset(&paths);
	n = boot_parse_ldd("\tlibjack.so.0 => not found\n\tlibfoo.so.1 => not found\n"
			   "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)", &paths, &missing);
	is_int(n, 1, "a last line without a newline counts");
	is_str(missing.buf, "libjack.so.0 libfoo.so.1", "the libraries not found, by name");
	strbuf_reset(&paths);
	strbuf_reset(&missing);
	is_int(boot_parse_ldd("\tstatically linked\n", &paths, &missing), 0, "a static program has no libraries");
	strbuf_release(&paths);
	strbuf_release(&missing);
}

static void test_panic_and_tail(void)
{
	const char *log = "Run /init as init process\n"
			  "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n"
			  "Kernel Offset: disabled\n";
	char *p = boot_panic_line(log);

	is_str(p, "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100", "the panic line, whole");
	free(p);
	ok(!boot_panic_line("Run /init as init process\nkbuild-boot: init at 1.2 s\n"), "no panic: NULL");
	is_str(boot_tail(log, 2), "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n"
				  "Kernel Offset: disabled\n", "the last two lines");
	is_str(boot_tail(log, 10), log, "more lines asked for than there are: all of it");
	is_str(boot_tail("a\nb", 1), "b", "a last line without a newline");
	is_str(boot_tail("", 5), "", "an empty console");
}

static void test_elf(void)
{
	char *dir = tap_scratch_dir("boot"), *text;

	is_int(boot_elf_is_dynamic("/proc/self/exe"), 1, "this test program is dynamically linked");
	if (asprintf(&text, "%s/script", dir) < 0)
		abort();
	tap_write_file(text, "#!/bin/sh\n");
	is_int(boot_elf_is_dynamic(text), -ENOEXEC, "a script is not ELF");
	unlink(text);
	is_int(boot_elf_is_dynamic(text), -ENOENT, "a missing file");
	rmdir(dir);
	free(text);
	free(dir);
}

static void quoted(const char *const *argv, const char *want, const char *what)
{
	struct strbuf sb = STRBUF_INIT;

	boot_quote_argv(&sb, argv);
	is_str(sb.buf, want, "%s", what);
	strbuf_release(&sb);
}

static void test_quote(void)
{
	const char *plain[] = { "latency-bench", "-D", "3", "--json", "/out/a.json", "x=1", "a,b:c@d%e+f", NULL };
	const char *odd[] = { "sh", "-c", "a; b", "it's", "$e", "", "l1\nl2", "*", "~", "!", "{", NULL };
	const char *assign[] = { "FOO=1", "true", NULL };
	const char *reserved[] = { "if", "then", NULL };

	quoted(plain, "latency-bench -D 3 --json /out/a.json x=1 a,b:c@d%e+f", "plain words as they are, = after the first");
	quoted(odd, "sh -c 'a; b' 'it'\\''s' '$e' '' 'l1\nl2' '*' '~' '!' '{'",
	       "the others single-quoted, a quote as '\\'', the empty word as ''");
	quoted(assign, "'FOO=1' true", "a first word with = is not an assignment");
	quoted(reserved, "'if' then", "a first word sh reserves, quoted; later ones are plain");
}

static void shebang(const char *head, int want, const char *interp, const char *arg, const char *what)
{
	char *i = NULL, *a = NULL;
	int ret = boot_parse_shebang(head, strlen(head), &i, &a);

	is_int(ret, want, "%s", what);
	is_str(i ? i : "(null)", interp, "  its interpreter");
	is_str(a ? a : "(null)", arg, "  its argument");
	free(i);
	free(a);
}

static void test_shebang(void)
{
	shebang("#!/bin/sh\necho\n", 0, "/bin/sh", "(null)", "#!/bin/sh");
	shebang("#! /usr/bin/env  python3 \r\nprint()\n", 0, "/usr/bin/env", "python3", "blanks around, a CR");
	shebang("#!/usr/bin/perl -w -T\n", 0, "/usr/bin/perl", "-w -T", "the rest of the line is one argument");
	shebang("#!/bin/sh", 0, "/bin/sh", "(null)", "no newline in the first bytes");
	shebang("#!sh\n", -ENOEXEC, "(null)", "(null)", "a relative interpreter");
	shebang("#!\n", -ENOEXEC, "(null)", "(null)", "no interpreter");
	shebang("echo\n", -ENOEXEC, "(null)", "(null)", "no #!");
}

int main(void)
{
	test_quote();
	test_shebang();
	test_ldd();
	test_panic_and_tail();
	test_elf();
	return done_testing();
}
