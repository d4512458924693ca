/* test-build.c - the build stage's pure parts: make output lines, first error, estimate, distcc hosts, cmdline */
#include "tap.h"
#include <errno.h>
#include "build.h"
#include "fs.h"
#include "install.h"

static void test_object_lines(void)
{
	ok(build_line_is_object("  CC      kernel/fork.o"), "CC of an object counts");
	ok(build_line_is_object("  CC [M]  sound/core/snd.o"), "CC [M] of a module object counts");
	ok(build_line_is_object("  AS      arch/x86/entry/entry_64.o"), "AS counts");
	ok(!build_line_is_object("  HOSTCC  scripts/basic/fixdep"), "HOSTCC does not");
	ok(!build_line_is_object("  CC      scripts/mod/devicetable-offsets.s"), "a .s output does not");
	ok(!build_line_is_object("  LD      vmlinux.o"), "LD does not");
	ok(!build_line_is_object("CC kernel/fork.o"), "a line without kbuild's indent does not");
}

static void test_first_error(void)
{
	const char *log =
		"  CC      kernel/fork.o\n"
		"  CC      kernel/exit.o\n"
		"kernel/exit.c: In function 'do_exit':\n"
		"kernel/exit.c:812:9: error: 'tsk' undeclared (first use in this function)\n"
		"  812 |         tsk->flags |= PF_EXITING;\n"
		"      |         ^~~\n"
		"kernel/exit.c:812:9: note: each undeclared identifier is reported only once\n"
		"  CC      kernel/panic.o\n"
		"make[3]: *** [scripts/Makefile.build:229: kernel/exit.o] Error 1\n"
		"kernel/panic.c:3:1: error: second error\n";
	char *e = build_first_error(log, 6);

	is_str(e,
	       "kernel/exit.c:812:9: error: 'tsk' undeclared (first use in this function)\n"
	       "  812 |         tsk->flags |= PF_EXITING;\n"
	       "      |         ^~~\n"
	       "kernel/exit.c:812:9: note: each undeclared identifier is reported only once\n",
	       "the first compiler error with gcc's context, not the next progress line");
	free(e);
	e = build_first_error("  LD      vmlinux\nld: kernel/fork.o: in function `f':\n"
			      "fork.c:(.text+0x5): undefined reference to `g'\nmake[1]: *** [vmlinux] Error 1\n", 0);
	is_str(e, "ld: kernel/fork.o: in function `f':\n", "a linker error");
	free(e);
	e = build_first_error("arch/x86/entry/entry_64.S:10: Error: no such instruction: `bogus'\n", 0);
	is_str(e, "arch/x86/entry/entry_64.S:10: Error: no such instruction: `bogus'\n", "an assembler error");
	free(e);
	e = build_first_error("  CC      a.o\nmake[2]: *** [Makefile:1: a.o] Error 1\n", 2);
	is_str(e, "make[2]: *** [Makefile:1: a.o] Error 1\n", "make's own line when nothing better is found");
	free(e);
	ok(build_first_error("  CC      a.o\n", 3) == NULL, "no error in a clean log");
	ok(build_log_no_space("/usr/bin/ld: final link failed: No space left on device\n"), "ENOSPC is recognised");
	ok(!build_log_no_space("  CC      a.o\n"), "and not made up");
}

static void test_estimate(void)
{
	char *tree = fixture("build/estimate");
	struct strmap cfg;

	strmap_init(&cfg);
	strmap_put(&cfg, "ON", "y");
	strmap_put(&cfg, "SND", "m");
	strmap_put(&cfg, "PCI", "y");
	/* init 2, arch/x86 1, kernel 3+on+sub 5, sound/core snd(4 parts + .mod.o) + snd-timer(1 + .mod.o) 7,
	 * arch Makefile: lib 1 + pci 1; x86's boot image 36 (no OBJTOOL) */
	is_int(build_estimate_objects(tree, "x86", &cfg), 17 + 36, "estimate of the fixture tree");
	strmap_put(&cfg, "SND", "n");
	strmap_put(&cfg, "PCI", "n");
	is_int(build_estimate_objects(tree, "x86", &cfg), 9 + 36, "a disabled directory is not walked");
	strmap_put(&cfg, "OBJTOOL", "y");
	is_int(build_estimate_objects(tree, "arm64", &cfg), 9 - 2, "other arches: no x86 extras, no arch/x86 lists");
	strmap_release(&cfg);
	free(tree);
}

static void test_distcc(void)
{
	is_int(distcc_slots("127.0.0.1:3632/2"), 2, "one host with a limit");
	is_int(distcc_slots("a/4 b:3633/8,lzo localhost"), 14, "limits, options, localhost's default 2");
	is_int(distcc_slots("host"), 4, "a remote host's default 4");
	is_int(distcc_slots(""), -EINVAL, "an empty list");
	is_int(distcc_slots("a/x"), -EINVAL, "a bad limit");
	is_int(distcc_slots("/4"), -EINVAL, "a limit without a host");
}

static void test_timestamp(void)
{
	char *t = build_timestamp_string(0);

	is_str(t, "Thu Jan  1 00:00:00 UTC 1970", "the epoch in date(1)'s format");
	free(t);
	t = build_timestamp_string(1700000000);
	is_str(t, "Tue Nov 14 22:13:20 UTC 2023", "a 2023 source date");
	free(t);
}

static char *cmdline_for(const char *config)
{
	char path[] = "/tmp/test-build-XXXXXX";
	int fd = mkstemp(path);
	char *line;

	if (fd < 0 || write(fd, config, strlen(config)) < 0)
		return NULL;
	close(fd);
	line = install_audio_cmdline(path);
	unlink(path);
	return line;
}

static void test_cmdline(void)
{
	char *l;

	l = cmdline_for("CONFIG_PREEMPT_RT=y\nCONFIG_IRQ_FORCED_THREADING=y\nCONFIG_PREEMPT_DYNAMIC=y\n");
	is_str(l, "", "PREEMPT_RT needs neither threadirqs nor preempt=full");
	free(l);
	l = cmdline_for("CONFIG_PREEMPT_VOLUNTARY=y\nCONFIG_IRQ_FORCED_THREADING=y\nCONFIG_PREEMPT_DYNAMIC=y\n");
	is_str(l, "threadirqs preempt=full", "a distribution kernel: both");
	free(l);
	l = cmdline_for("CONFIG_PREEMPT=y\nCONFIG_IRQ_FORCED_THREADING=y\n");
	is_str(l, "threadirqs", "full PREEMPT without PREEMPT_DYNAMIC");
	free(l);
	ok(install_shm_is_tmpfs("/proc") == 0, "/proc is not a tmpfs");
	ok(install_shm_is_tmpfs("/nonexistent") == -ENOENT, "a missing path is an error");
}

static void test_progress(void)
{
	char buf[128];

	build_progress_format(buf, sizeof(buf), 420, 1000, 65);
	is_str(buf, " 42% 420/1000 objects, 1m05s, ETA 1m30s", "percent, counts, elapsed and ETA from the rate so far");
	build_progress_format(buf, sizeof(buf), 10, 1000, 3);
	is_str(buf, "  1% 10/1000 objects, 3s", "no ETA from the first few objects");
	build_progress_format(buf, sizeof(buf), 1200, 1000, 3700);
	is_str(buf, " 99% 1200/1000 objects, 1h01m", "an estimate that fell short stays at 99%% without an ETA");
	build_progress_format(buf, sizeof(buf), 37, 0, 12);
	is_str(buf, "37 objects, 12s", "no estimate: counts only");
}

static void test_kconfig_question(void)
{
	const char *lines[][2] = {
		{ "  Generate BTF type information for kernel modules (DEBUG_INFO_BTF_MODULES) [Y/n/?] (NEW) ",
		  "DEBUG_INFO_BTF_MODULES" },
		{ "Maximum number of CPUs (NR_CPUS) [64] (NEW) ", "NR_CPUS" },
		{ "  > 2. Voluntary Kernel Preemption (Desktop) (PREEMPT_VOLUNTARY) (NEW)", "PREEMPT_VOLUNTARY" },
		{ "  CC      kernel/fork.o", NULL },
		{ "Support for (NEW) hardware", NULL },
		{ "  Prompt (lower_case_sym) [N/y/?] (NEW) ", "lower_case_sym" },
		{ "[Y/n/?] (NEW)", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char *sym = build_kconfig_question(lines[i][0]);

		is_str(sym ? sym : "(none)", lines[i][1] ? lines[i][1] : "(none)", "Kconfig question in \"%s\"",
		       lines[i][0]);
		free(sym);
	}
}

static void test_cost(void)
{
	struct build_cost c;
	char buf[32];

	/* the calibration point: 2,739 objects of a configuration with debug information, -j2: 15 min 11 s */
	build_estimate_cost(2739, 2739, 3000, 1, 2, 601, &c);
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "15m11s", "the measured build: 2,739 objects with DEBUG_INFO at -j2");
	build_format_duration(buf, sizeof(buf), c.debug_seconds);
	is_str(buf, "2m51s", "debug information's share: 19%% of it");
	is_int(c.disk_mb, 50 + 3000 * 0.35 * 8, "disk: doctor's formula with DEBUG_INFO");
	is_int(c.debug_disk_mb, 3000 * 0.35 * 7, "of which the debug information");
	build_estimate_cost(2739, 2739, 3000, 0, 2, 601, &c);
	is_int(c.debug_seconds * 1000, 0, "no debug information: no share");
	is_int(c.debug_disk_mb, 0, "no debug disk");
	is_int(c.disk_mb, 50 + 3000 * 0.35, "disk without DEBUG_INFO");
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "12m20s", "without debug information");
	/* a resumed build: a tenth of the objects left, a tenth of the disk still to fill */
	/* 6.12 (the default path): 2,832 objects with DEBUG_INFO and BTF, make took 21 min 14 s at -j2 */
	build_estimate_cost(2832, 2832, 3000, 1, 2, 612, &c);
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "21m14s", "6.12's measured build: 2,832 objects with DEBUG_INFO at -j2");
	build_estimate_cost(2832, 2832, 3000, 0, 2, 612, &c);
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "17m28s", "6.12 without debug information");
	/* a tree whose version is not known: the older figures */
	build_estimate_cost(2739, 2739, 3000, 1, 2, 0, &c);
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "15m11s", "unknown version: 6.1's figures");
	build_estimate_cost(100, 1000, 3000, 0, 1, 601, &c);
	is_int(c.disk_mb, 110, "disk in proportion to what is left");
	build_format_duration(buf, sizeof(buf), c.seconds);
	is_str(buf, "54s", "-j1");
	build_format_duration(buf, sizeof(buf), 3725);
	is_str(buf, "1h02m", "hours and minutes");
}

int main(void)
{
	test_kconfig_question();
	test_progress();
	test_cost();
	test_object_lines();
	test_first_error();
	test_estimate();
	test_distcc();
	test_timestamp();
	test_cmdline();
	return done_testing();
}
