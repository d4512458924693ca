/* test-kconfig.c - the Kconfig model on a hand-written tree: statements, blocks, expressions, evaluation */
#include "tap.h"

#include <errno.h>

#include "fragment.h"
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

int main(void)
{
	struct kconfig kc;
	char *dir = fixture("kconfig/reasons");
	const struct ksym *s;
	char *str;
	int ret;

	memset(&kc, 0, sizeof(kc));
	memset(&values, 0, sizeof(values));
	set_values("");

	ret = kconfig_parse(&kc, dir, "x86");
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

	/* a tree without Kconfig */
	memset(&kc, 0, sizeof(kc));
	ret = kconfig_parse(&kc, "/nonexistent-kbuild-tree", "x86");
	is_int(ret, -ENOENT, "missing tree: -ENOENT");
	kconfig_release(&kc);
	free(dir);
	return done_testing();
}
