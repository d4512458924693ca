/* test-config-base.c - a base from another kernel: its LOCALVERSION not carried over, notes on a newer or small base */
#include "tap.h"

#include "config.h"
#include "fragment.h"
#include "kconfig.h"
#include "strbuf.h"

#define CURRENT "# Linux/x86 6.12.118 Kernel Configuration\n"
#define NEWER "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.18.44 Kernel Configuration\n#\n"

static void parse(struct cfg_file *f, const char *path, const char *text, int is_base)
{
	struct strbuf err = STRBUF_INIT;

	if (cfg_parse(f, path, xstrdup(text), strlen(text), &err) < 0) {
		printf("# bad fixture %s: %s", path, err.buf);
		abort();
	}
	f->is_base = is_base;
	strbuf_release(&err);
}

/* The merged LOCALVERSION after base + fragment, and what config_drop_base_localversion said. */
static void drop(const char *base_text, const char *frag_text, const char **value, const char **dropped,
		 struct strbuf *notes)
{
	static struct cfg_file base, frag;
	struct cfg_merge m;
	struct cfg_entry *e;

	cfg_file_release(&base);
	cfg_file_release(&frag);
	parse(&base, "old.config", base_text, 1);
	parse(&frag, "mine.config", frag_text, 0);
	cfg_merge_init(&m);
	m.quiet = 1;
	cfg_merge_add(&m, &base);
	cfg_merge_add(&m, &frag);
	*dropped = config_drop_base_localversion(&m, notes);
	e = cfg_merge_get(&m, "LOCALVERSION");
	*value = e ? e->cur.value : NULL;
	cfg_merge_release(&m);
}

static char *notes_for(const char *text, int version, int patchlevel, int sublevel, int *n)
{
	struct cfg_file base;
	struct kconfig kc;
	struct strbuf out = STRBUF_INIT;

	memset(&kc, 0, sizeof(kc));
	kc.version = version;
	kc.patchlevel = patchlevel;
	kc.sublevel = sublevel;
	parse(&base, "/proc/config.gz", text, 1);
	*n = config_base_notes(&base, &kc, &out);
	cfg_file_release(&base);
	return strbuf_detach(&out, NULL);
}

/* A base of `enabled` y/m options behind a kernel header ("" for none), and its notes. */
static char *base_of(const char *header, int enabled, int sound)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, header);
	strbuf_addstr(&sb, "CONFIG_CC_VERSION_TEXT=\"gcc (GCC) 15.3.0\"\nCONFIG_LOCALVERSION=\"-fc-v1300\"\n");
	for (int i = 0; i < enabled; i++)
		strbuf_addf(&sb, "CONFIG_OPT%d=%s\n", i, i % 2 ? "y" : "m");
	strbuf_addstr(&sb, sound ? "CONFIG_SND=m\n" : "# CONFIG_SOUND is not set\n");
	return strbuf_detach(&sb, NULL);
}

/* How many notes a base of that header, size and sound gets on a tree of version v.p.s. */
static int count_notes(const char *header, int enabled, int sound, int v, int p, int s)
{
	char *text = base_of(header, enabled, sound), *out;
	int n;

	out = notes_for(text, v, p, s, &n);
	free(out);
	free(text);
	return n;
}

int main(void)
{
	struct strbuf notes = STRBUF_INIT;
	const char *value, *dropped;
	char *text, *out;
	int n;

	/* LOCALVERSION: the base's suffix names the base's kernel */
	drop("CONFIG_LOCALVERSION=\"-fc-v1300\"\nCONFIG_A=y\n", "CONFIG_B=y\n", &value, &dropped, &notes);
	is_str(value, "\"\"", "the base's LOCALVERSION is emptied in the merge");
	is_str(dropped, "\"-fc-v1300\"", "and returned");
	is_str(notes.buf, "old.config:1: note: CONFIG_LOCALVERSION=\"-fc-v1300\" names the base's kernel: not carried "
			  "into this one (a fragment line CONFIG_LOCALVERSION=\"...\" sets one)\n",
	       "with a note naming the base's line and how to ask for a suffix");

	strbuf_reset(&notes);
	drop("CONFIG_LOCALVERSION=\"-fc-v1300\"\n", "CONFIG_LOCALVERSION=\"-fc-v1300\"\n", &value, &dropped, &notes);
	is_str(value, "\"-fc-v1300\"", "a fragment that sets LOCALVERSION (even to the base's value) keeps it");
	ok(!dropped && !notes.len, "without a note");

	drop("CONFIG_LOCALVERSION=\"\"\n", "CONFIG_B=y\n", &value, &dropped, &notes);
	ok(!dropped && !notes.len && str_eq(value, "\"\""), "an empty LOCALVERSION: nothing to say");
	drop("CONFIG_A=y\n", "CONFIG_B=y\n", &value, &dropped, &notes);
	ok(!dropped && !notes.len && !value, "a base without LOCALVERSION: nothing added");

	/* a base from a newer kernel than the tree */
	text = base_of(NEWER, 4000, 1);
	out = notes_for(text, 6, 12, 118, &n);
	is_int(n, 1, "a 6.18 base on a 6.12 tree: one note");
	is_str(out, "/proc/config.gz: note: the base is the configuration of Linux 6.18.44, newer than this tree "
		    "(6.12.118): options added or renamed since 6.12 are dropped or take this tree's defaults, so "
		    "the new kernel is 6.12's nearest match, not the same kernel\n",
	       "saying what that means for the result");
	free(out);
	free(text);
	is_int(count_notes(NEWER, 4000, 1, 6, 18, 44), 0, "the same version: no note");
	is_int(count_notes(NEWER, 4000, 1, 6, 19, 0), 0, "an older base: no note (olddefconfig's new defaults are the usual case)");
	is_int(count_notes("# Linux/x86_64 6.12.0 Kernel Configuration\n", 4000, 1, 6, 12, 118), 0,
	       "6.12.0 against 6.12.118: older");
	is_int(count_notes("", 4000, 1, 6, 12, 118), 0, "no header: no version to compare");
	is_int(count_notes("CONFIG_X=y\n# Linux/x86 6.18.44 Kernel Configuration\n", 4000, 1, 6, 12, 118), 0,
	       "a header line after the first assignment is no header");

	/* a base much smaller than a distribution's configuration */
	text = base_of(CURRENT, 1630, 0);
	out = notes_for(text, 6, 12, 118, &n);
	is_int(n, 1, "1630 options, no sound: one note");
	is_str(out, "/proc/config.gz: note: the base enables 1630 options where a distribution's configuration "
		    "enables over 5000 (a virtual machine's or cloud kernel's, without sound drivers): the new kernel "
		    "drives only the hardware that kernel drives, plus what the fragments add; for other hardware "
		    "start from a distribution's configuration (--base FILE)\n",
	       "saying what that means for the result");
	free(out);
	free(text);
	text = base_of(CURRENT, 1629, 1);
	out = notes_for(text, 6, 12, 118, &n);
	ok(n == 1 && strstr(out, "(a virtual machine's or cloud kernel's): "), "with sound: the note leaves sound out");
	free(out);
	free(text);
	is_int(count_notes(CURRENT, CONFIG_SMALL_BASE - 1, 1, 6, 12, 118), 0, "CONFIG_SMALL_BASE options: no note");
	is_int(count_notes("# Linux/x86 6.18.44 Kernel Configuration\n", 100, 0, 6, 12, 118), 2,
	       "small and newer: both notes");

	strbuf_release(&notes);
	return done_testing();
}
