/* test-kconfig.c - the Kconfig model on a hand-written tree: statements, blocks, expressions, evaluation */
#include "tap.h"

#include <errno.h>
#include <sys/stat.h>

#include "fragment.h"
#include "fs.h"
#include "kconfig.h"
#include "strbuf.h"

static struct cfg_map values;

static void set_values(const char *text)
{
	struct strbuf err = STRBUF_INIT;
	char *data = strdup(text);

	cfg_map_release(&values);
	if (cfg_map_parse(&values, "values", data, strlen(data), &err) < 0)
		printf("# bad values: %s", err.buf);
	strbuf_release(&err);
}

static const struct kvals vals = { cfg_map_value, &values };

static char *dep_string(const struct kconfig *kc, const char *name, const struct kvals *v)
{
	struct strbuf sb = STRBUF_INIT;
	const struct ksym *s = kconfig_find(kc, name);

	if (s && s->defs)
		kdef_dep_print(&sb, s->defs, v);
	return strbuf_detach(&sb, NULL);
}

/* Parse `dir` as a tree: kconfig_parse's return value, and its error (caller frees) in *msg. */
static int parse_tree(const char *dir, char **msg)
{
	struct strbuf err = STRBUF_INIT;
	struct kconfig kc;
	int ret;

	memset(&kc, 0, sizeof(kc));
	ret = kconfig_parse(&kc, dir, "x86", &err);
	kconfig_release(&kc);
	*msg = strbuf_detach(&err, NULL);
	return ret;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static void write_in(const char *dir, const char *name, const char *text)
{
	char *p = path_in(dir, name);

	tap_write_file(p, text);
	free(p);
}

/* The tree in `dir` is refused with exactly `want`. */
static void refused(const char *dir, const char *want, const char *what)
{
	char *msg;

	is_int(parse_tree(dir, &msg), -EINVAL, "%s: -EINVAL", what);
	is_str(msg, want, "%s: the message", what);
	free(msg);
}

/* Kconfig, k1 ... k<n-1>: each defines a symbol and sources the next file, once or twice */
static void write_levels(const char *dir, int n, int twice)
{
	struct strbuf text = STRBUF_INIT;

	for (int i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), i ? "k%d" : "Kconfig", i);
		strbuf_reset(&text);
		strbuf_addf(&text, "config K%d\n\tbool\n", i);
		for (int k = 0; k <= twice; k++)
			strbuf_addf(&text, "source \"k%d\"\n", i + 1);
		write_in(dir, name, text.buf);
	}
	strbuf_release(&text);
}

/* Trees no parse can finish: each ends in one error, at once, in bounded memory. */
static void test_hostile_trees(void)
{
	char *dir, *msg, *p;

	dir = fixture("kconfig/source-cycle");
	refused(dir, "drivers/sound/Kconfig:5: error: 'source' cycle: drivers/Kconfig -> drivers/sound/Kconfig -> "
		     "drivers/Kconfig", "a source cycle through two files");
	free(dir);

	dir = fixture("kconfig/source-self");
	refused(dir, "Kconfig:5: error: 'source' cycle: Kconfig -> Kconfig",
		"a Kconfig that sources itself twice (was 2^32 parses)");
	free(dir);

	/* a cycle through a symlinked directory: every name is new, the inode is not */
	dir = tap_scratch_dir("kconfig-link-cycle");
	write_in(dir, "Kconfig", "source \"a/Kconfig\"\n");
	p = path_in(dir, "a");
	mkdir(p, 0755);
	free(p);
	write_in(dir, "a/Kconfig", "config A\n\tbool \"a\"\nrsource \"b/Kconfig\"\n");
	p = path_in(dir, "a/b");
	ok(symlink(".", p) == 0, "a/b -> a");
	free(p);
	refused(dir, "a/Kconfig:3: error: 'source' cycle: a/Kconfig -> a/b/Kconfig", "a source cycle through a symlink");

	/* 40 files, each sourcing the next: the nesting limit */
	write_levels(dir, 40, 0);
	refused(dir, "k31:3: error: 'source' nested more than 32 deep at 'k32'", "source nested 40 deep");

	/* no cycle, but each file sources the next twice: 2^20 parses without a limit on files */
	write_levels(dir, 20, 1);
	write_in(dir, "k20", "config LEAF\n\tbool\n");
	refused(dir, "k19:4: error: more than 65536 files sourced (a kernel tree has about 1,500)",
		"a tree that doubles at every level");

	/* a device and a large file are refused before they are read */
	write_in(dir, "Kconfig", "config TOP\n\tbool\nsource \"zero\"\n");
	p = path_in(dir, "zero");
	ok(symlink("/dev/zero", p) == 0, "zero -> /dev/zero");
	free(p);
	refused(dir, "Kconfig:3: error: cannot source 'zero': not a regular file", "source of /dev/zero");
	write_in(dir, "Kconfig", "config TOP\n\tbool\nosource \"big\"\n");
	p = path_in(dir, "big");
	write_in(dir, "big", "");
	ok(truncate(p, KCONFIG_MAX_FILE_BYTES + 1) == 0, "big is 16 MiB + 1 (sparse)");
	free(p);
	refused(dir, "big: error: larger than 16 MiB: not a Kconfig file", "a Kconfig file over 16 MiB");
	p = path_in(dir, "big");
	ok(truncate(p, KCONFIG_MAX_FILE_BYTES) == 0, "big is 16 MiB");
	free(p);
	is_int(parse_tree(dir, &msg), 0, "a Kconfig file of exactly 16 MiB is read");
	free(msg);
	is_int(fs_remove_tree(dir), 0, "scratch directory removed");
	free(dir);
}

int main(void)
{
	struct strbuf err = STRBUF_INIT;
	struct kconfig kc;
	char *dir = fixture("kconfig/reasons");
	const struct ksym *s;
	char *str;
	int ret;

	memset(&kc, 0, sizeof(kc));
	memset(&values, 0, sizeof(values));
	set_values("");

	ret = kconfig_parse(&kc, dir, "x86", &err);
	is_int(ret, 0, "fixture tree parses");
	is_int(kc.stats.files, 5, "Kconfig, arch/x86 via $(SRCARCH), two globbed drivers and an rsource");
	is_int(kc.stats.warnings, 0, "no oddities: macros, variables and a missing osource are tolerated");
	is_int(kc.version * 100 + kc.patchlevel, 601, "version read from the tree's Makefile");

	s = kconfig_find(&kc, "PREEMPT_RT");
	ok(s && s->type == KT_BOOL, "PREEMPT_RT is a bool");
	ok(s && s->choice && s->choice->nr_members == 3, "PREEMPT_RT is one of three choice members");
	is_int(s ? s->defs->line : 0, 31, "PREEMPT_RT defined at line 31");
	is_str(s ? s->defs->file : NULL, "Kconfig", "definition file is relative to the tree");
	ok(s && s->defs->help && strstr(s->defs->help, "A second paragraph"), "help text spans a blank line");
	ok(!kconfig_find(&kc, "NOT_A_SYMBOL"), "a 'config' line inside help text is not parsed");
	str = dep_string(&kc, "PREEMPT_RT", NULL);
	is_str(str, "!BROKEN_MENU && EXPERT && ARCH_SUPPORTS_RT",
	       "inherited menu dependency first, continuation line joined");
	free(str);

	ok(kc.modules && str_eq(kc.modules->name, "MODULES"), "the 'modules' keyword marks MODULES");
	s = kconfig_find(&kc, "OLD_NAME");
	ok(s && s->transitional, "'transitional' is understood");
	s = kconfig_find(&kc, "ARCH_X86_STUFF");
	ok(s && s->selected_by && str_eq(s->selected_by->from->name, "X86"), "select recorded on the target");
	s = kconfig_find(&kc, "DRIVER_A_SUB");
	ok(s && s->defs && str_eq(s->defs->file, "drivers/a/Kconfig.sub"), "rsource is relative to its file");
	s = kconfig_find(&kc, "SND_DUMMY");
	str = dep_string(&kc, "SND_DUMMY", NULL);
	is_str(str, "SND", "an 'if' block is inherited");
	free(str);
	s = kconfig_find(&kc, "CC_HAS_FOO");
	ok(s && s->type == KT_BOOL && s->defs->props && s->defs->props->expr->op == KE_MACRO,
	   "def_bool $(macro) kept as an unevaluated macro");
	s = kconfig_find(&kc, "NR_CPUS");
	ok(s && s->type == KT_INT, "int type");
	s = kconfig_find(&kc, "PHYS_START");
	ok(s && s->type == KT_HEX, "hex type");
	s = kconfig_find(&kc, "LOCALVERSION");
	ok(s && s->type == KT_STRING, "string type");
	is_int(kc.nr_choices, 1, "one choice");

	/* printing with values and precedence */
	set_values("CONFIG_EXPERT=y\n# CONFIG_SND is not set\nCONFIG_NR_CPUS=8\nCONFIG_HIGH_RES_TIMERS=y\n");
	str = dep_string(&kc, "BIG", &vals);
	is_str(str, "(EXPERT [=y] || SND [=n]) && !HIGH_RES_TIMERS [=y] && NR_CPUS [=8] > 4",
	       "expression printed with values and the parentheses it needs");
	free(str);
	s = kconfig_find(&kc, "BIG");
	is_int(kdef_dep_eval(s->defs, &vals), TRI_N, "!HIGH_RES_TIMERS blocks BIG");
	set_values("CONFIG_EXPERT=y\nCONFIG_NR_CPUS=8\n");
	is_int(kdef_dep_eval(s->defs, &vals), TRI_Y, "numbers compare numerically: 8 > 4");
	set_values("CONFIG_EXPERT=y\nCONFIG_NR_CPUS=16\n");
	is_int(kdef_dep_eval(s->defs, &vals), TRI_Y, "16 > 4 (not a string comparison)");
	set_values("CONFIG_EXPERT=y\nCONFIG_NR_CPUS=3\n");
	is_int(kdef_dep_eval(s->defs, &vals), TRI_N, "3 > 4 is false");
	set_values("CONFIG_SND=m\n");
	s = kconfig_find(&kc, "SND_DUMMY");
	is_int(kdef_dep_eval(s->defs, &vals), TRI_M, "tristate dependency evaluates to m");

	/* prompt visibility */
	s = kconfig_find(&kc, "SHOW_ONLY_IF");
	set_values("# CONFIG_EXPERT is not set\n");
	is_int(ksym_prompt_visible(s, &vals), TRI_N, "prompt 'if EXPERT' hidden while EXPERT=n");
	set_values("CONFIG_EXPERT=y\n");
	is_int(ksym_prompt_visible(s, &vals), TRI_Y, "prompt visible with EXPERT=y");
	s = kconfig_find(&kc, "IN_VISIBLE_MENU");
	set_values("");
	is_int(ksym_prompt_visible(s, &vals), TRI_N, "'visible if' of the menu hides the prompt");
	s = kconfig_find(&kc, "ARCH_SUPPORTS_RT");
	is_int(ksym_has_prompt(s), 0, "promptless symbol");

	kconfig_release(&kc);
	cfg_map_release(&values);

	test_hostile_trees();

	/* a tree without Kconfig */
	memset(&kc, 0, sizeof(kc));
	ret = kconfig_parse(&kc, "/nonexistent-kbuild-tree", "x86", &err);
	is_int(ret, -ENOENT, "missing tree: -ENOENT");
	kconfig_release(&kc);
	free(dir);
	return done_testing();
}
