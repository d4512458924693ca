/* test-explain.c - every reason kind, exactly, on the hand-written Kconfig tree in tests/fixtures/kconfig/reasons */
#include "tap.h"

#include <errno.h>

#include "explain.h"
#include "fragment.h"
#include "kconfig.h"

static struct kconfig kc;
static struct cfg_map resolved;
static const struct kvals vals = { cfg_map_value, &resolved };

static void set_resolved(const char *text)
{
	struct strbuf err = STRBUF_INIT;
	char *data = strdup(text);

	cfg_map_release(&resolved);
	if (cfg_map_parse(&resolved, "resolved", data, strlen(data), &err) < 0)
		printf("# bad resolved config: %s", err.buf);
	strbuf_release(&err);
}

/* Explain NAME=VALUE against the resolved config; "status: reason" plus detail lines. */
static char *explain(const char *name, const char *value, const struct cfg_merge *merge)
{
	struct cfg_assign req = { .name = name, .value = value, .file = "frag.config", .line = 3 };
	struct explain_ctx ctx = { &kc, &vals, merge };
	struct verdict v;
	char *out;

	verdict_init(&v);
	explain_request(&ctx, &req, &v);
	if (asprintf(&out, "%s: %s%s%s", req_status_name(v.status), v.reason.buf,
		     v.detail.len ? "\n" : "", v.detail.buf) < 0)
		abort();
	if (v.detail.len)
		out[strlen(out) - 1] = '\0';
	verdict_release(&v);
	return out;
}

#define EXPLAINS(name, value, merge, want, desc)           \
	do {                                               \
		char *got_ = explain(name, value, merge);  \
		is_str(got_, want, desc);                  \
		free(got_);                                \
	} while (0)

static const char base_rt[] =
	"CONFIG_MODULES=y\n"
	"CONFIG_EXPERT=y\n"
	"CONFIG_PREEMPT_NONE=y\n"
	"# CONFIG_PREEMPT is not set\n"
	"CONFIG_SND=y\n"
	"CONFIG_SND_HRTIMER=y\n"
	"CONFIG_SND_TIMER=y\n"
	"CONFIG_HIGH_RES_TIMERS=y\n"
	"CONFIG_NR_CPUS=8\n"
	"CONFIG_PHYS_START=0x1000000\n"
	"CONFIG_LOCALVERSION=\"-ll\"\n"
	"CONFIG_ALWAYS_ON=y\n"
	"# CONFIG_USE_BAR is not set\n"
	"CONFIG_X86=y\n"
	"CONFIG_ARCH_X86_STUFF=y\n";

int main(void)
{
	char *dir = fixture("kconfig/reasons");
	struct cfg_merge merge;
	struct cfg_file basefile;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	char *data;

	memset(&resolved, 0, sizeof(resolved));
	if (kconfig_parse(&kc, dir, "x86", &err) < 0)
		return printf("Bail out! fixture tree missing\n"), 1;
	set_resolved(base_rt);

	EXPLAINS("HIGH_RES_TIMERS", "y", NULL, "ok: ", "a value that stuck is ok");
	EXPLAINS("PREEMPT_RT", "y", NULL,
		 "unmet: depends on !BROKEN_MENU [=n] && EXPERT [=y] && ARCH_SUPPORTS_RT [=n]\n"
		 "    ARCH_SUPPORTS_RT has no prompt and nothing selects it in this tree\n"
		 "    hint: before 6.12 the PREEMPT_RT patch series provides it: run 'kbuild patch --tree SRC --patch ll'",
		 "unmet dependency: whole expression with values, the promptless term, the ll hint");
	EXPLAINS("ARCH_SUPPORTS_RT", "y", NULL,
		 "unmet: has no prompt and nothing selects it in this tree\n"
		 "    hint: before 6.12 the PREEMPT_RT patch series provides it: run 'kbuild patch --tree SRC --patch ll'",
		 "promptless symbol nothing selects, with its hint");
	EXPLAINS("HAVE_BAR", "y", NULL, "unmet: has no prompt; only selected by USE_BAR [=n]",
		 "promptless symbol whose only selector is off");
	EXPLAINS("SND_TIMER", "m", NULL, "unmet: selected by SND_HRTIMER [=y]",
		 "m requested but forced to y by select");
	EXPLAINS("PREEMPT", "y", NULL,
		 "unmet: lost choice \"Preemption Model\" to PREEMPT_NONE (chosen by kconfig)",
		 "lost a choice to the default member");

	/* the same, with provenance of the winner */
	data = strdup("CONFIG_PREEMPT_NONE=y\n");
	cfg_parse(&basefile, "old.config", data, strlen(data), &err);
	basefile.is_base = 1;
	cfg_merge_init(&merge);
	cfg_merge_add(&merge, &basefile);
	EXPLAINS("PREEMPT", "y", &merge,
		 "unmet: lost choice \"Preemption Model\" to PREEMPT_NONE (set at old.config:1)",
		 "lost a choice: names the winner and where it was set");
	cfg_merge_release(&merge);
	cfg_file_release(&basefile);

	EXPLAINS("SND_DUMMY_TYPO", "m", NULL, "unknown: unknown symbol: not defined anywhere in this tree",
		 "unknown symbol without a close name");
	EXPLAINS("SND_DUMY", "m", NULL,
		 "unknown: unknown symbol: not defined anywhere in this tree\n"
		 "    did you mean CONFIG_SND_DUMMY?",
		 "unknown symbol with a suggestion");
	EXPLAINS("BLK_DEV_IDESCSI", "m", NULL,
		 "unknown: unknown symbol: not defined anywhere in this tree\n"
		 "    hint: IDE SCSI emulation was removed in 2.6.29: libata (ATA, ATA_PIIX, SATA_AHCI) drives CD "
		 "writers directly through SCSI CD-ROM (BLK_DEV_SR) and SCSI generic (CHR_DEV_SG)",
		 "the old IDE SCSI option is unknown, with what replaced it");
	EXPLAINS("OLD_NAME", "y", NULL,
		 "unknown: transitional symbol: kept so old configurations migrate; it is never written to .config",
		 "transitional symbol");

	EXPLAINS("NR_CPUS", "100", NULL, "invalid: invalid value: 100 is out of range [2 64] (Kconfig:74)",
		 "int out of range names the range and its line");
	EXPLAINS("NR_CPUS", "12a", NULL, "invalid: invalid value: malformed int '12a'", "malformed int");
	EXPLAINS("PHYS_START", "0xZZ", NULL, "invalid: invalid value: malformed hex '0xZZ'", "malformed hex");
	EXPLAINS("EXPERT", "m", NULL, "invalid: invalid value: a bool option can only be y or n, not m",
		 "m for a bool");
	EXPLAINS("SND", "x", NULL, "invalid: invalid value 'x': a tristate option takes y, m or n",
		 "garbage for a tristate");
	EXPLAINS("NR_CPUS", "8", NULL, "ok: ", "int that stuck");
	EXPLAINS("PHYS_START", "0x01000000", NULL, "ok: ", "hex compared by value");
	EXPLAINS("LOCALVERSION", "\"-ll\"", NULL, "ok: ", "quoted string");
	EXPLAINS("LOCALVERSION", "-ll", NULL, "ok: ", "unquoted string equals its quoted form");

	EXPLAINS("ALWAYS_ON", "n", NULL, "unmet: has no prompt, so its default applies: default y",
		 "promptless with a default cannot be turned off");
	set_resolved("CONFIG_MODULES=y\n# CONFIG_EXPERT is not set\n");
	EXPLAINS("SHOW_ONLY_IF", "y", NULL,
		 "unmet: its prompt \"Hidden unless expert\" is hidden: if EXPERT [=n]", "prompt hidden by its condition");
	EXPLAINS("IN_VISIBLE_MENU", "y", NULL,
		 "unmet: its prompt \"Inside a visible-if menu\" is hidden: menu \"Visible only with expert\" "
		 "is visible if EXPERT [=n]",
		 "prompt hidden by the menu's visible if");
	EXPLAINS("HIGH_RES_TIMERS", "y", NULL,
		 "unmet: kconfig resolved it otherwise; no dependency, prompt, select, choice or range explains it",
		 "nothing explains it: says so rather than guessing");

	set_resolved("# CONFIG_MODULES is not set\nCONFIG_SND=y\nCONFIG_SND_DUMMY=y\n");
	EXPLAINS("SND_DUMMY", "m", NULL,
		 "unmet: m requested while MODULES [=n]: without module support tristate options are y or n",
		 "m requested while MODULES=n");
	set_resolved("CONFIG_MODULES=y\nCONFIG_SND=m\nCONFIG_SND_DUMMY=m\n");
	EXPLAINS("SND_DUMMY", "y", NULL, "unmet: depends on SND [=m]", "y limited to m by a tristate dependency");
	set_resolved("CONFIG_MODULES=y\n");
	EXPLAINS("DRIVER_A_SUB", "y", NULL, "unmet: depends on DRIVER_A [=n]", "dependency in an rsourced file");

	/* the explain command's report */
	set_resolved(base_rt);
	{
		struct explain_ctx ctx = { &kc, &vals, NULL };

		is_int(explain_symbol(&ctx, "CONFIG_PREEMPT_RT", &sb), 0, "explain knows PREEMPT_RT");
		is_str(sb.buf,
		       "CONFIG_PREEMPT_RT is not set\n"
		       "  type:        bool\n"
		       "  defined at:  Kconfig:31\n"
		       "  prompt:      \"Fully Preemptible Kernel (Real-Time)\"\n"
		       "  visible:     n\n"
		       "  in choice:   \"Preemption Model\" (Kconfig:21)\n"
		       "  depends on:  !BROKEN_MENU [=n] && EXPERT [=y] && ARCH_SUPPORTS_RT [=n]  => n\n"
		       "  selected by: (nothing in this tree)\n"
		       "  to be y:     depends on !BROKEN_MENU [=n] && EXPERT [=y] && ARCH_SUPPORTS_RT [=n]\n"
		       "    ARCH_SUPPORTS_RT has no prompt and nothing selects it in this tree\n"
		       "    hint: before 6.12 the PREEMPT_RT patch series provides it: run 'kbuild patch --tree SRC --patch ll'\n",
		       "explain report for PREEMPT_RT");
		strbuf_reset(&sb);
		is_int(explain_symbol(&ctx, "SND_TIMER", &sb), 0, "explain knows SND_TIMER");
		is_str(sb.buf,
		       "CONFIG_SND_TIMER=y\n"
		       "  type:        tristate\n"
		       "  defined at:  Kconfig:56\n"
		       "  prompt:      (none: only defaults and selects set it)\n"
		       "  depends on:  SND [=y]  => y\n"
		       "  selected by: SND_HRTIMER [=y]\n"
		       "  to be n:     selected by SND_HRTIMER [=y]\n",
		       "explain report for a selected symbol");
		strbuf_reset(&sb);
		is_int(explain_symbol(&ctx, "SND_DUMMY", &sb), 0, "explain knows SND_DUMMY");
		is_str(sb.buf,
		       "CONFIG_SND_DUMMY is not set\n"
		       "  type:        tristate\n"
		       "  defined at:  Kconfig:53\n"
		       "  prompt:      \"Dummy (/dev/null) soundcard\"\n"
		       "  visible:     y\n"
		       "  depends on:  SND [=y]  => y\n"
		       "  selected by: (nothing in this tree)\n"
		       "  implied by:  WANTS_DUMMY [=n]\n"
		       "  to be y:     nothing blocks it: set CONFIG_SND_DUMMY=y in a fragment\n",
		       "explain report shows imply and says when nothing blocks a value");
		strbuf_reset(&sb);
		is_int(explain_symbol(&ctx, "NO_SUCH_THING", &sb), -ENOENT, "explain: unknown symbol is -ENOENT");
	}

	/* lint: a value not covered by dependencies or selects is caught */
	set_resolved("CONFIG_MODULES=y\nCONFIG_PREEMPT_RT=y\nCONFIG_DRIVER_A_SUB=y\nCONFIG_SND_TIMER=y\n");
	{
		struct explain_ctx ctx = { &kc, &vals, NULL };
		struct strbuf out = STRBUF_INIT;
		int bad = explain_check_config(&ctx, &out);

		is_int(bad, 3, "lint finds three values kconfig could not have produced");
		ok(strstr(out.buf, "PREEMPT_RT=y but depends on !BROKEN_MENU [=n] && EXPERT [=n] && ARCH_SUPPORTS_RT [=n] => n, selected => n\n") != NULL,
		   "lint names the dependency of PREEMPT_RT");
		strbuf_release(&out);
	}
	set_resolved(base_rt);
	{
		struct explain_ctx ctx = { &kc, &vals, NULL };
		struct strbuf out = STRBUF_INIT;

		is_int(explain_check_config(&ctx, &out), 0, "lint accepts a consistent configuration");
		strbuf_release(&out);
	}

	/* the old names the shipped fragments still ask for, and what does their work today */
	is_str(explain_today(&kc, "BLK_DEV_IDESCSI"), "BLK_DEV_SR, CHR_DEV_SG", "IDE SCSI emulation: SCSI CD-ROM and generic today");
	is_str(explain_today(&kc, "KERNELD"), "MODULES", "kerneld: MODULES today");
	is_str(explain_today(&kc, "PREEMPT_RT"), NULL, "PREEMPT_RT has a hint but is no old name");
	is_str(explain_today(&kc, "NO_SUCH_THING"), NULL, "an unknown name without a hint has no translation");

	strbuf_release(&sb);
	strbuf_release(&err);
	cfg_map_release(&resolved);
	kconfig_release(&kc);
	free(dir);
	return done_testing();
}
