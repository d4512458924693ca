/* build.c - the build stage: make variables, ccache and distcc, make with progress and ETA, build.log, the first error, the object estimate */
#define _GNU_SOURCE
#include "build.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "doctor.h"
#include "fs.h"
#include "job.h"
#include "log.h"
#include "modules.h"
#include "opt.h"
#include "run.h"
#include "source.h"

void build_result_release(struct build_result *r)
{
	free(r->release);
	free(r->command);
	free(r->image);
	free(r->first_error);
	free(r->question);
	memset(r, 0, sizeof(*r));
}

void free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

char **build_make_argv(const struct build_opts *o, const char *const *goals)
{
	char **argv = xcalloc(16 + 16, sizeof(char *));
	int n = 0;

	argv[n++] = xstrdup("make");
	argv[n++] = xstrdup("-C");
	argv[n++] = xstrdup(o->tree);
	argv[n++] = xasprintf("O=%s", o->objdir);
	if (o->arch)
		argv[n++] = xasprintf("ARCH=%s", o->arch);
	argv[n++] = xasprintf("-j%d", o->jobs > 0 ? o->jobs : 1);
	if (o->cc)
		argv[n++] = xasprintf("CC=%s", o->cc);
	argv[n++] = xasprintf("LOCALVERSION=%s", o->localversion ? o->localversion : "");
	if (o->timestamp)
		argv[n++] = xasprintf("KBUILD_BUILD_TIMESTAMP=%s", o->timestamp);
	argv[n++] = xstrdup("KBUILD_BUILD_USER=kbuild");
	argv[n++] = xstrdup("KBUILD_BUILD_HOST=kbuild");
	if (o->verbose)
		argv[n++] = xstrdup("V=1");
	for (size_t i = 0; goals && goals[i] && n < 30; i++)
		argv[n++] = xstrdup(goals[i]);
	argv[n] = NULL;
	return argv;
}

/* ---- what make prints ---- */

int build_line_is_object(const char *line)
{
	const char *p;

	if (!starts_with(line, "  CC ") && !starts_with(line, "  AS "))
		return 0;
	p = line + 5;
	while (*p == ' ')
		p++;
	if (starts_with(p, "[M]"))
		p += 3;
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	{
		size_t len = strcspn(p, " \n");
		return len > 2 && p[len - 2] == '.' && p[len - 1] == 'o';
	}
}

int build_log_no_space(const char *log)
{
	return strstr(log, "No space left on device") != NULL;
}

/* "path:12:5: error: ", "path:12: Error: " (gas), "path:12:5: fatal error: " */
static int is_compiler_error(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *p;

	if (!colon || colon == line || memchr(line, ' ', (size_t)(colon - line)))
		return 0;
	p = colon + 1;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != ':' || p[1] != ' ')
		return 0;
	p += 2;
	return starts_with(p, "error:") || starts_with(p, "fatal error:") || starts_with(p, "Error:");
}

static int is_linker_error(const char *line)
{
	return strstr(line, "undefined reference to") || strstr(line, "multiple definition of") ||
	       (starts_with(line, "ld: ") && !strstr(line, "warning:")) || starts_with(line, "ld.lld: error:") ||
	       strstr(line, "ERROR: modpost:");
}

char *build_first_error(const char *log, int context)
{
	const char *line = log, *hit = NULL, *fallback = NULL;
	struct strbuf sb = STRBUF_INIT;

	while (*line && !hit) {
		size_t len = strcspn(line, "\n");
		char *copy = xstrndup(line, len);

		if (is_compiler_error(copy, len) || is_linker_error(copy))
			hit = line;
		else if (!fallback && starts_with(copy, "make[") && strstr(copy, "***"))
			fallback = line;
		else if (!fallback && (strstr(copy, "No space left on device") || strstr(copy, "Permission denied") ||
				       strstr(copy, "Read-only file system")))
			fallback = line;
		free(copy);
		line += len;
		if (*line == '\n')
			line++;
	}
	if (!hit)
		hit = fallback;
	if (!hit)
		return NULL;
	line = hit;
	for (int i = 0; i <= context && *line; i++) {
		size_t len = strcspn(line, "\n");

		/* context is gcc's caret lines and notes, not the next progress line or make's summary */
		if (i > 0 && (starts_with(line, "  ") ? line[2] >= 'A' && line[2] <= 'Z' : 0))
			break;
		if (i > 0 && starts_with(line, "make"))
			break;
		strbuf_add(&sb, line, len);
		strbuf_addch(&sb, '\n');
		line += len;
		if (*line == '\n')
			line++;
	}
	return strbuf_detach(&sb, NULL);
}

/* ---- the object estimate ---- */

struct walk {
	const char *tree;
	const char *srcarch;
	const struct strmap *config;
	long count;
	int depth;
	struct strmap seen;
	char **owned;
	size_t nr_owned, alloc_owned;
};

/* Is the word after "obj-"/"foo-" enabled: y, m, objs, or $(CONFIG_X) set to y/m? 'm' for modules. */
static int suffix_state(const struct walk *w, const char *suffix, size_t len)
{
	const char *c;

	if (len == 1 && (*suffix == 'y' || *suffix == 'm'))
		return *suffix;
	if (len == 4 && !memcmp(suffix, "objs", 4))
		return 'y';
	c = memmem(suffix, len, "CONFIG_", 7);
	if (c) {
		const char *name = c + 7, *end = name;
		const char *v;

		while (end < suffix + len && ((*end >= 'A' && *end <= 'Z') || (*end >= '0' && *end <= '9') ||
					      *end == '_' || (*end >= 'a' && *end <= 'z')))
			end++;
		v = strmap_getn(w->config, name, (size_t)(end - name));
		if (v && (str_eq(v, "y") || str_eq(v, "m")))
			return *v;
	}
	return 0;
}

struct mk_list {
	char *name;  /* "obj", "lib", "snd-pcm" */
	int state;   /* 'y' or 'm' */
	char *words; /* the value, space-separated */
};

static void walk_dir(struct walk *w, const char *dir);

/* A Kbuild file or Makefile with its continuation lines joined into one. 0 or -errno. */
static int read_makefile(const char *path, struct strbuf *text)
{
	int ret = fs_read_file(path, text);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i + 1 < text->len; i++)
		if (text->buf[i] == '\\' && text->buf[i + 1] == '\n')
			text->buf[i] = text->buf[i + 1] = ' ';
	return 0;
}

/* Replace the variables an object list commonly holds; drop the rest. */
static char *expand_word(const struct walk *w, const char *word)
{
	if (!strchr(word, '$'))
		return xstrdup(word);
	if (strstr(word, "$(SRCARCH)") || strstr(word, "$(BITS)")) {
		struct strbuf sb = STRBUF_INIT;

		for (const char *p = word; *p;) {
			if (starts_with(p, "$(SRCARCH)")) {
				strbuf_addstr(&sb, w->srcarch);
				p += 10;
			} else if (starts_with(p, "$(BITS)")) {
				strbuf_addstr(&sb, "64");
				p += 7;
			} else if (*p == '$') {
				strbuf_release(&sb);
				return NULL;
			} else {
				strbuf_addch(&sb, *p++);
			}
		}
		return strbuf_detach(&sb, NULL);
	}
	return NULL;
}

static void count_object(struct walk *w, const char *dir, const char *word, int state, struct mk_list *lists,
			 size_t nr)
{
	size_t len = strlen(word);
	int composite = 0;

	if (len > 2 && !strcmp(word + len - 2, ".o")) {
		for (size_t i = 0; i < nr; i++) {
			if (strlen(lists[i].name) != len - 2 || memcmp(lists[i].name, word, len - 2))
				continue;
			if (str_eq(lists[i].name, "obj") || str_eq(lists[i].name, "lib"))
				continue;
			composite = 1;
			{
				char *copy = xstrdup(lists[i].words), *t, *save = NULL;

				for (t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
					if (ends_with(t, ".o"))
						w->count++;
				free(copy);
			}
		}
		if (!composite)
			w->count++;
		if (state == 'm')
			w->count++; /* its .mod.o */
	} else if (len > 1 && word[len - 1] == '/') {
		char *sub = xasprintf("%s%s%.*s", dir, *dir ? "/" : "", (int)len - 1, word);

		walk_dir(w, sub);
		free(sub);
	}
}

/* One directory's Kbuild (or Makefile): collect its lists, then count and recurse. */
static void walk_dir(struct walk *w, const char *dir)
{
	struct strbuf text = STRBUF_INIT;
	struct mk_list *lists = NULL;
	size_t nr = 0, alloc = 0;
	char *path, *line, *save = NULL;

	if (w->depth > 24 || strmap_get(&w->seen, dir))
		return;
	{
		char *key = xstrdup(dir);

		ALLOC_GROW(w->owned, w->nr_owned + 1, w->alloc_owned);
		w->owned[w->nr_owned++] = key;
		strmap_put(&w->seen, key, key);
	}
	path = xasprintf("%s/%s%sKbuild", w->tree, dir, *dir ? "/" : "");
	if (read_makefile(path, &text) < 0) {
		free(path);
		path = xasprintf("%s/%s%sMakefile", w->tree, dir, *dir ? "/" : "");
		if (read_makefile(path, &text) < 0)
			goto out;
	}
	for (line = strtok_r(text.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *op, *lhs, *dash;
		int state;

		if (hash)
			*hash = '\0';
		op = strstr(line, "+=");
		if (!op)
			op = strstr(line, ":=");
		if (!op)
			op = strstr(line, "=");
		if (!op || op == line)
			continue;
		lhs = xstrndup(line, (size_t)(op - line));
		/* trim */
		for (char *e = lhs + strlen(lhs); e > lhs && (e[-1] == ' ' || e[-1] == '\t'); *--e = '\0')
			;
		{
			char *s = lhs;

			while (*s == ' ' || *s == '\t')
				s++;
			memmove(lhs, s, strlen(s) + 1);
		}
		/* obj-$(CONFIG_X), snd-timer-objs, snd-y: the suffix follows the last dash outside $(...) */
		dash = strstr(lhs, "-$(");
		if (!dash)
			dash = strrchr(lhs, '-');
		state = 0;
		if (dash && dash != lhs && !strchr(lhs, ' '))
			state = suffix_state(w, dash + 1, strlen(dash + 1));
		if (state) {
			*dash = '\0';
			if (!strchr(lhs, '$') && (str_eq(lhs, "obj") || str_eq(lhs, "lib") || str_eq(lhs, "core") ||
						  str_eq(lhs, "drivers") || str_eq(lhs, "libs") ||
						  str_eq(lhs, "subdir") ||
						  (!strstr(lhs, "flags") && !strstr(lhs, "FLAGS") &&
						   !str_eq(lhs, "always") && !str_eq(lhs, "extra") &&
						   !str_eq(lhs, "targets") && !starts_with(lhs, "host") &&
						   !starts_with(lhs, "userprogs")))) {
				ALLOC_GROW(lists, nr + 1, alloc);
				lists[nr].name = xstrdup(lhs);
				lists[nr].state = state;
				lists[nr].words = xstrdup(op + (op[0] == '=' ? 1 : 2));
				nr++;
			}
		}
		free(lhs);
	}
	w->depth++;
	for (size_t i = 0; i < nr; i++) {
		int top = str_eq(lists[i].name, "obj") || str_eq(lists[i].name, "lib") ||
			  str_eq(lists[i].name, "subdir");
		int arch = str_eq(lists[i].name, "core") || str_eq(lists[i].name, "drivers") ||
			   str_eq(lists[i].name, "libs");
		char *copy, *tok, *tsave = NULL;

		if (!top && !(arch && starts_with(dir, "arch/")))
			continue;
		copy = xstrdup(lists[i].words);
		for (tok = strtok_r(copy, " \t", &tsave); tok; tok = strtok_r(NULL, " \t", &tsave)) {
			char *word = expand_word(w, tok);

			if (!word && starts_with(tok, "$(") && ends_with(tok, "-y)")) {
				/* obj-y += $(mmu-y): the objects of a helper list of this directory */
				size_t len = strlen(tok) - 5;

				for (size_t j = 0; j < nr; j++) {
					char *c2, *t2, *s2 = NULL;

					if (strlen(lists[j].name) != len || memcmp(lists[j].name, tok + 2, len))
						continue;
					c2 = xstrdup(lists[j].words);
					for (t2 = strtok_r(c2, " \t", &s2); t2; t2 = strtok_r(NULL, " \t", &s2))
						if (ends_with(t2, ".o"))
							count_object(w, dir, t2, lists[i].state, lists, nr);
					free(c2);
				}
				continue;
			}
			if (!word)
				continue;
			if (arch) /* arch Makefiles name directories from the top of the tree */
				count_object(w, "", word, lists[i].state, lists, nr);
			else if (!str_eq(lists[i].name, "subdir") || ends_with(word, "/"))
				count_object(w, dir, word, lists[i].state, lists, nr);
			else {
				char *d = xasprintf("%s/", word);
				count_object(w, dir, d, lists[i].state, lists, nr);
				free(d);
			}
			free(word);
		}
		free(copy);
	}
	w->depth--;
out:
	for (size_t i = 0; i < nr; i++) {
		free(lists[i].name);
		free(lists[i].words);
	}
	free(lists);
	free(path);
	strbuf_release(&text);
}

/* core-y/libs-y/drivers-y += dir/ lines of the top or the arch Makefile: directories named from the top. */
static void walk_dirlist(struct walk *w, const char *makefile)
{
	char *mk = xasprintf("%s/%s", w->tree, makefile), *line, *save = NULL;
	struct strbuf text = STRBUF_INIT;

	if (read_makefile(mk, &text) < 0)
		strbuf_reset(&text);
	for (line = strtok_r(text.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *op = strstr(line, "="), *dash = strchr(line, '-'), *tok, *tsave = NULL;
		int st;

		if (!op || !dash || dash > op ||
		    !(starts_with(line, "core-") || starts_with(line, "libs-") || starts_with(line, "drivers-")))
			continue;
		st = suffix_state(w, dash + 1, strcspn(dash + 1, " \t+:="));
		if (!st)
			continue;
		for (tok = strtok_r(op + 1, " \t", &tsave); tok; tok = strtok_r(NULL, " \t", &tsave)) {
			char *word = expand_word(w, tok);

			if (word && ends_with(word, "/"))
				count_object(w, "", word, st, NULL, 0);
			free(word);
		}
	}
	strbuf_release(&text);
	free(mk);
}

long build_estimate_objects(const char *tree, const char *srcarch, const struct strmap *config)
{
	struct walk w = { .tree = tree, .srcarch = srcarch, .config = config };
	char *archdir = xasprintf("arch/%s", srcarch);

	strmap_init(&w.seen);
	walk_dir(&w, "");
	/* lib/ comes from the top Makefile's libs-y, the arch's own from its Makefile ($(ARCH_CORE) in Kbuild) */
	walk_dirlist(&w, "Makefile");
	{
		char *mk = xasprintf("%s/Makefile", archdir);

		walk_dirlist(&w, mk);
		free(mk);
	}
	/* built outside obj-y: the boot image's setup and decompressor, and objtool (counted on 6.12) */
	if (str_eq(srcarch, "x86")) {
		const char *v = strmap_get(config, "OBJTOOL");

		w.count += 36 + (v && str_eq(v, "y") ? 19 : 0);
	}
	for (size_t i = 0; i < w.nr_owned; i++)
		free(w.owned[i]);
	free(w.owned);
	strmap_release(&w.seen);
	free(archdir);
	return w.count;
}

/* ---- what the build will cost ---- */

/*
 * Seconds one make job spends on an object, on this machine kind (2 cores, 24 GB), measured on
 * the running kernel's own configuration (DEBUG_INFO and BTF) at -j2 from an empty build
 * directory. 6.1: 2,739 objects in 15 min 11 s, 0.665; a sample of ten objects (kernel/fork.c,
 * mm/memory.c, fs/namei.c, kernel/sched/core.c, ...) compiled 23% faster without -g: 0.54.
 * 6.12, whose objects include much more (the default path): 2,832 objects in 21 min 14 s of
 * make on an idle machine, 0.90; without debug information 0.82 of that in CPU time
 * (bench/default-path, both sides in one run: 39.4 against 48.1 min), 0.74. From 6.6 on the
 * 6.12 figures apply. A tinyconfig guest build
 * (about 1,150 objects) took 160 s on an idle machine and 7 min on a busy one: averages, no more.
 */
struct job_seconds {
	int from;            /* VERSION * 100 + PATCHLEVEL */
	double plain, debug; /* per object and job */
};
static const struct job_seconds job_seconds[] = {
	{ 606, 0.74, 0.90 },
	{ 0, 0.54, 0.665 },
};

void build_estimate_cost(long objects, long total, long options, int debug_info, int jobs, int version,
			 struct build_cost *c)
{
	const struct job_seconds *k = job_seconds;
	double share = total > 0 ? (double)(objects < total ? objects : total) / (double)total : 1.0;
	double plain, per_job = (double)objects / (jobs > 0 ? jobs : 1);
	long plain_mb = (long)((double)doctor_disk_need_mb(options, 0, 0) * share + 0.5);

	while (version < k->from)
		k++;
	plain = per_job * k->plain;
	memset(c, 0, sizeof(*c));
	c->seconds = plain;
	c->disk_mb = plain_mb;
	if (debug_info) {
		c->seconds = per_job * k->debug;
		c->debug_seconds = c->seconds - plain;
		c->disk_mb = (long)((double)doctor_disk_need_mb(options, debug_info, 0) * share + 0.5);
		c->debug_disk_mb = c->disk_mb - plain_mb;
	}
}

static char *mb_text(long mb)
{
	return mb >= 1024 ? xasprintf("%.1f GB", (double)mb / 1024) : xasprintf("%ld MB", mb);
}

static int cpu_count(void);
static int read_config_map(const char *path, struct strmap *m, struct strbuf *keep);

/*
 * Before make starts: the time and disk the build will take, a warning when the disk has less,
 * and what debug information costs of both, with the fragment that turns it off.
 */
static void report_estimate(const struct build_opts *o, const struct strmap *cfg, long objects, long total)
{
	static const char *const debug_syms[] = { "DEBUG_INFO_DWARF4", "DEBUG_INFO_DWARF5",
						   "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", "DEBUG_INFO_REDUCED",
						   "DEBUG_INFO_SPLIT", "DEBUG_INFO_BTF" };
	const char *dbg = strmap_get(cfg, "DEBUG_INFO");
	int debug_info = 0, jobs = o->jobs > 0 ? o->jobs : 1, cpus = cpu_count();
	struct strbuf syms = STRBUF_INIT;
	char *disk, *free_text = NULL, took[32];
	struct statvfs sv;
	struct build_cost c;
	struct tree_version v;
	long options = 0, free_mb = -1;
	int version = 0;

	if (objects <= 0)
		return;
	if (dbg && str_eq(dbg, "y")) {
		const char *r = strmap_get(cfg, "DEBUG_INFO_REDUCED"), *sp = strmap_get(cfg, "DEBUG_INFO_SPLIT");

		debug_info = (r && str_eq(r, "y")) || (sp && str_eq(sp, "y")) ? 2 : 1;
	}
	{
		const struct strmap_entry *e;

		for (size_t i = 0; strmap_next(cfg, &i, &e);)
			options += str_eq(e->value, "y") || str_eq(e->value, "m");
	}
	/* more jobs than CPUs only help when others compile (distcc) */
	if (jobs > cpus && !(o->cc && strstr(o->cc, "distcc")))
		jobs = cpus;
	if (source_tree_version(o->tree, &v) == 0)
		version = v.version * 100 + v.patchlevel;
	build_estimate_cost(objects, total, options, debug_info, jobs, version, &c);
	build_format_duration(took, sizeof(took), c.seconds);
	disk = mb_text(c.disk_mb);
	if (statvfs(o->objdir, &sv) == 0) {
		free_mb = (long)((unsigned long long)sv.f_bavail * sv.f_frsize / (1024 * 1024));
		free_text = mb_text(free_mb);
	}
	kb_progress("ESTIM", "%ld objects to compile: about %s at -j%d, about %s more disk%s%s%s", objects, took,
		    o->jobs > 0 ? o->jobs : 1, disk, free_text ? " (" : "", free_text ? free_text : "",
		    free_text ? " free)" : "");
	if (free_mb >= 0 && free_mb < c.disk_mb)
		kb_warning("'%s' has %s free and the build needs about %s: it may stop with a full disk", o->objdir,
			   free_text, disk);
	if (debug_info) {
		char dtime[32], *ddisk = mb_text(c.debug_disk_mb);

		for (size_t i = 0; i < ARRAY_SIZE(debug_syms); i++) {
			const char *val = strmap_get(cfg, debug_syms[i]);

			if (val && str_eq(val, "y"))
				strbuf_addf(&syms, "%s%s", syms.len ? ", " : "", debug_syms[i]);
		}
		build_format_duration(dtime, sizeof(dtime), c.debug_seconds);
		kb_diag(KB_NOTE, program_invocation_short_name, 0,
			"the configuration has debug information (%s): about %s of that time and %s of that disk; "
			"--config no-debug-info turns it off%s", syms.len ? syms.buf : "DEBUG_INFO", dtime, ddisk,
			strstr(syms.buf, "BTF") ? " (and with BTF the need for pahole)" : "");
		free(ddisk);
	}
	strbuf_release(&syms);
	free(disk);
	free(free_text);
}

/* ---- running make ---- */

char *build_kconfig_question(const char *line)
{
	const char *p = strstr(line, ") (NEW)"), *q = strstr(line, "] (NEW)"), *end, *start;

	/* "(SYM) [Y/n/?] (NEW)": step back over the answers in brackets */
	if (q && (!p || q < p)) {
		const char *open = q;

		while (open > line && *open != '[')
			open--;
		if (*open != '[' || open - line < 3 || open[-1] != ' ' || open[-2] != ')')
			return NULL;
		p = open - 2;
	}
	if (!p)
		return NULL;
	end = p;
	start = end;
	while (start > line && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
		start--;
	if (start == end || start == line || start[-1] != '(')
		return NULL;
	return xstrndup(start, (size_t)(end - start));
}

void build_format_duration(char *buf, size_t n, double s)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, n, "%lds", t);
}

struct progress {
	int tty;
	int width;
	long done, total;   /* total <= 0: unknown */
	double start, last_draw;
	int last_decile;
	char current[256];
	int drawn;
};

void build_progress_format(char *buf, size_t n, long done, long total, double elapsed)
{
	char el[32], eta[32];

	build_format_duration(el, sizeof(el), elapsed);
	if (total > 0) {
		long pct = done * 100 / total;

		if (pct > 99)
			pct = 99; /* 100% is make's exit, not an estimate */
		if (done >= 20 && done < total) {
			build_format_duration(eta, sizeof(eta), elapsed / (double)done * (double)(total - done));
			snprintf(buf, n, "%3ld%% %ld/%ld objects, %s, ETA %s", pct, done, total, el, eta);
		} else {
			snprintf(buf, n, "%3ld%% %ld/%ld objects, %s", pct, done, total, el);
		}
	} else {
		snprintf(buf, n, "%ld objects, %s", done, el);
	}
}

static void progress_text(const struct progress *p, char *buf, size_t n)
{
	build_progress_format(buf, n, p->done, p->total, kb_now() - p->start);
}

static void progress_update(struct progress *p, const char *line)
{
	char text[160];

	if (p->tty) {
		double t = kb_now();
		const char *cur = line + 2;

		while (*cur == ' ')
			cur++;
		snprintf(p->current, sizeof(p->current), "%s", cur);
		if (t - p->last_draw < 0.1)
			return;
		p->last_draw = t;
		progress_text(p, text, sizeof(text));
		fprintf(stderr, "\r\033[K  MAKE    %.*s  %.*s", p->width - 12 > 0 ? p->width - 12 : 0, text,
			(int)(p->width - 14 - (int)strlen(text) > 0 ? p->width - 14 - (int)strlen(text) : 0),
			p->current);
		p->drawn = 1;
		return;
	}
	if (p->total > 0) {
		int decile = (int)(p->done * 10 / p->total);

		if (decile > 9)
			decile = 9;
		if (decile > p->last_decile) {
			p->last_decile = decile;
			progress_text(p, text, sizeof(text));
			kb_progress("MAKE", "%s", text);
		}
	} else if (p->done % 500 == 0) {
		progress_text(p, text, sizeof(text));
		kb_progress("MAKE", "%s", text);
	}
}

static void progress_end(struct progress *p)
{
	if (p->tty && p->drawn)
		fputs("\r\033[K", stderr);
}

/* Objects already in the build directory: a resumed build does not compile them again. */
static long count_objects(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (e->d_type == DT_DIR && depth < 24) {
			char *sub = xasprintf("%s/%s", dir, e->d_name);
			n += count_objects(sub, depth + 1);
			free(sub);
		} else if (ends_with(e->d_name, ".o")) {
			n++;
		}
	}
	closedir(d);
	return n;
}

static int read_config_map(const char *path, struct strmap *m, struct strbuf *keep)
{
	char *line, *save = NULL;

	if (fs_read_file(path, keep) < 0)
		return -errno;
	for (line = strtok_r(keep->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;

		if (!starts_with(line, "CONFIG_") || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		strmap_put(m, line + 7, eq + 1);
	}
	return 0;
}

static const char *image_for(const char *srcarch)
{
	if (str_eq(srcarch, "x86"))
		return "bzImage";
	if (str_eq(srcarch, "arm64") || str_eq(srcarch, "riscv"))
		return "Image.gz";
	if (str_eq(srcarch, "arm"))
		return "zImage";
	return "vmlinux";
}

/* The goals: the caller's, else the boot image and, with CONFIG_MODULES=y, modules. */
static int default_goals(const struct build_opts *o, const struct strmap *cfg, const char *goals[4])
{
	int ng = 0;

	if (o->targets) {
		for (; ng < 3 && o->targets[ng]; ng++)
			goals[ng] = o->targets[ng];
	} else {
		goals[ng++] = image_for(o->srcarch);
		if (strmap_get(cfg, "MODULES") && str_eq(strmap_get(cfg, "MODULES"), "y"))
			goals[ng++] = "modules";
	}
	goals[ng] = NULL;
	return ng;
}

/* The objects make will compile: the estimate for the configuration, less those already built; the whole build's in *total. */
static long objects_to_compile(const struct build_opts *o, const struct strmap *cfg, long *total)
{
	long all = build_estimate_objects(o->tree, o->srcarch, cfg), left = all - count_objects(o->objdir, 0);

	if (total)
		*total = all;
	return left > 0 ? left : 0;
}

char *build_command_line(const struct build_opts *o)
{
	struct strmap cfg;
	struct strbuf text = STRBUF_INIT;
	char *cfgpath = xasprintf("%s/.config", o->objdir), *line;
	const char *goals[4];
	char **argv;
	struct run_cmd cmd = { .env = o->env };

	strmap_init(&cfg);
	read_config_map(cfgpath, &cfg, &text);
	default_goals(o, &cfg, goals);
	argv = build_make_argv(o, goals);
	cmd.argv = (const char *const *)argv;
	line = run_format(&cmd);
	free_argv(argv);
	strmap_release(&cfg);
	strbuf_release(&text);
	free(cfgpath);
	return line;
}

/*
 * gcc names sources as make gave them: relative to the build directory when
 * the tree is its sibling ("../linux/kernel/fork.c"). Show the real path.
 */
static void absolute_error_path(const char *objdir, char **error)
{
	size_t len = strcspn(*error, ":\n");
	char *rel, *joined, *real;

	if ((*error)[0] == '/' || (*error)[len] != ':')
		return;
	rel = xstrndup(*error, len);
	joined = xasprintf("%s/%s", objdir, rel);
	real = fs_realpath(joined);
	if (real) {
		char *fixed = xasprintf("%s%s", real, *error + len);

		free(*error);
		*error = fixed;
	}
	free(real);
	free(joined);
	free(rel);
}

int build_run(const struct build_opts *o, struct build_result *r)
{
	struct strmap cfg;
	struct strbuf cfgtext = STRBUF_INIT, pending = STRBUF_INIT, log = STRBUF_INIT;
	const char *goals[4];
	char **argv;
	char *cfgpath = xasprintf("%s/.config", o->objdir), *logpath = xasprintf("%s/build.log", o->objdir);
	const char *image = image_for(o->srcarch);
	struct run_guard own = { 0 }, *guard = o->guard ? o->guard : &own;
	struct run_cmd cmd = { .env = o->env, .merge_err = 1, .new_pgroup = 1, .guard = guard };
	struct progress p = { .tty = o->progress, .width = 80, .last_decile = 0 };
	int fd = -1, logfd, ret;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	strmap_init(&cfg);
	read_config_map(cfgpath, &cfg, &cfgtext);
	default_goals(o, &cfg, goals);
	r->image = str_eq(image, "vmlinux") ? xstrdup("vmlinux") : xasprintf("arch/%s/boot/%s", o->srcarch, image);
	r->estimate = objects_to_compile(o, &cfg, NULL);
	p.total = r->estimate;
	if (p.tty) {
		struct winsize ws;

		if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
			p.width = ws.ws_col;
	}
	argv = build_make_argv(o, goals);
	cmd.argv = (const char *const *)argv;
	logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0) {
		ret = -errno;
		kb_error("cannot write '%s': %s", logpath, strerror(-ret));
		r->no_space = ret == -ENOSPC;
		ret = KB_EENV;
		goto out;
	}
	{
		char *line = run_format(&cmd);

		r->command = xstrdup(line);
		dprintf(logfd, "# %s\n", line);
		if (o->verbose)
			fprintf(stderr, "%s\n", line);
		else
			kb_progress("MAKE", "%s (-j%d, log: %s)", goals[1] ? "image and modules" : goals[0], o->jobs,
				    logpath);
		free(line);
	}
	p.start = kb_now();
	ret = run_start(&cmd, &pid, &fd);
	if (ret == -EINTR) {
		close(logfd);
		ret = KB_INTERRUPTED;
		goto out;
	}
	if (ret < 0) {
		kb_error("cannot run 'make': %s", ret == -ENOENT ? "not installed (apt-get install make)" : strerror(-ret));
		close(logfd);
		ret = KB_EENV;
		goto out;
	}
	for (;;) {
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof(buf));
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(logfd, buf, (size_t)n) != n && !r->no_space)
			r->no_space = errno == ENOSPC;
		strbuf_add(&log, buf, (size_t)n);
		strbuf_add(&pending, buf, (size_t)n);
		while ((nl = memchr(pending.buf, '\n', pending.len))) {
			size_t len = (size_t)(nl - pending.buf);

			*nl = '\0';
			if (!r->question && (r->question = build_kconfig_question(pending.buf))) {
				/* nobody can answer it (stdin is /dev/null): stop make now, not after a build with a guess */
				kill(-pid, SIGTERM);
			}
			if (build_line_is_object(pending.buf)) {
				p.done++;
				progress_update(&p, pending.buf);
			} else if (o->verbose) {
				fprintf(stderr, "%s\n", pending.buf);
			}
			memmove(pending.buf, nl + 1, pending.len - len - 1);
			strbuf_setlen(&pending, pending.len - len - 1);
		}
	}
	close(fd);
	r->make_status = run_wait(pid);
	/* nothing of an interrupted build may go on writing after we return */
	run_guard_done(guard);
	if (r->question)
		kill(-pid, SIGKILL);
	progress_end(&p);
	if (fsync(logfd) < 0 && errno == ENOSPC)
		r->no_space = 1;
	close(logfd);
	r->objects = p.done;
	if (build_log_no_space(log.buf))
		r->no_space = 1;
	if (guard->stop) {
		ret = KB_INTERRUPTED;
	} else if (r->question) {
		ret = KB_FAILED;
	} else if (r->make_status != 0) {
		r->first_error = build_first_error(log.buf, 6);
		if (r->first_error)
			absolute_error_path(o->objdir, &r->first_error);
		ret = r->no_space ? KB_EENV : KB_FAILED;
	} else {
		struct strbuf rel = STRBUF_INIT;
		char *relpath = xasprintf("%s/include/config/kernel.release", o->objdir);
		char *order = xasprintf("%s/modules.order", o->objdir);

		if (fs_read_file(relpath, &rel) == 0) {
			strbuf_setlen(&rel, strcspn(rel.buf, "\n"));
			r->release = strbuf_detach(&rel, NULL);
		}
		strbuf_release(&rel);
		if (fs_read_file(order, &rel) == 0)
			for (const char *c = rel.buf; (c = strchr(c, '\n')); c++)
				r->modules++;
		strbuf_release(&rel);
		free(relpath);
		free(order);
		ret = KB_OK;
	}
out:
	free_argv(argv);
	strmap_release(&cfg);
	strbuf_release(&cfgtext);
	strbuf_release(&pending);
	strbuf_release(&log);
	free(cfgpath);
	free(logpath);
	return ret;
}

/* ---- the build's make variables, kept so that install and package use the very same ---- */

int build_vars_save(const struct build_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/.kbuild/make-vars", o->objdir);
	int ret;

	strbuf_addf(&sb, "LOCALVERSION=%s\n", o->localversion ? o->localversion : "");
	if (o->timestamp)
		strbuf_addf(&sb, "KBUILD_BUILD_TIMESTAMP=%s\n", o->timestamp);
	if (o->cc)
		strbuf_addf(&sb, "CC=%s\n", o->cc);
	for (size_t i = 0; o->env && o->env[i]; i++)
		strbuf_addf(&sb, "env %s\n", o->env[i]);
	ret = fs_write_atomic(path, sb.buf, sb.len, NULL);
	strbuf_release(&sb);
	free(path);
	return ret < 0 ? ret : 0;
}

int build_vars_load(struct build_opts *o, struct build_vars *v)
{
	char *path = xasprintf("%s/.kbuild/make-vars", o->objdir), *line, *save = NULL;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = fs_read_file(path, &v->text);
	free(path);
	if (ret < 0)
		return ret;
	for (line = strtok_r(v->text.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (starts_with(line, "LOCALVERSION="))
			o->localversion = line + 13;
		else if (starts_with(line, "KBUILD_BUILD_TIMESTAMP="))
			o->timestamp = line + 23;
		else if (starts_with(line, "CC="))
			o->cc = line + 3;
		else if (starts_with(line, "env ") && v->nr_env + 1 < ARRAY_SIZE(v->env))
			v->env[v->nr_env++] = line + 4;
	}
	v->env[v->nr_env] = NULL;
	o->env = v->env;
	return 0;
}

void build_vars_release(struct build_vars *v)
{
	strbuf_release(&v->text);
}

/* ---- the build stage of the pipeline: the make variables, ccache and distcc, make, modules staged ---- */

int distcc_slots(const char *hosts)
{
	char *copy = xstrdup(hosts), *tok, *save = NULL;
	int total = 0, n = 0;

	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *slash = strchr(tok, '/'), *comma = strchr(tok, ',');
		long slots;

		if (comma)
			*comma = '\0';
		if (str_eq(tok, "--randomize") || str_eq(tok, "--localslots") || starts_with(tok, "--"))
			continue;
		if (slash) {
			*slash = '\0';
			if (opt_parse_long(slash + 1, 1, 1024, &slots) < 0 || !*tok) {
				free(copy);
				return -EINVAL;
			}
		} else {
			slots = str_eq(tok, "localhost") ? 2 : 4;
		}
		if (!*tok) {
			free(copy);
			return -EINVAL;
		}
		total += (int)slots;
		n++;
	}
	free(copy);
	return n ? total : -EINVAL;
}

char *build_timestamp_string(long long epoch)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S UTC %Y", &tm);
	return xstrdup(buf);
}

static int cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return (int)(sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1);
}

static char *first_line_of(const char *const *argv)
{
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = &out, .merge_err = 1 };
	char *line = NULL;

	if (run_command(&cmd) == 0 && out.len) {
		strbuf_setlen(&out, strcspn(out.buf, "\n"));
		line = strbuf_detach(&out, NULL);
	}
	strbuf_release(&out);
	return line;
}

/* ccache's counters before and after, so that the user's other builds do not count */
static int ccache_counters(const char *const *env, long *hits, long *misses)
{
	const char *argv[] = { "ccache", "--print-stats", NULL };
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .env = env, .out = &out };
	int ret = run_command(&cmd);

	*hits = *misses = 0;
	if (ret == 0) {
		for (char *line = out.buf; *line;) {
			size_t len = strcspn(line, "\n");
			long v = strtol(line + strcspn(line, "\t") + (line[strcspn(line, "\t")] ? 1 : 0), NULL, 10);

			if (starts_with(line, "direct_cache_hit\t") || starts_with(line, "preprocessed_cache_hit\t"))
				*hits += v;
			else if (starts_with(line, "cache_miss\t"))
				*misses += v;
			line += len;
			if (*line)
				line++;
		}
	}
	strbuf_release(&out);
	return ret == 0 ? 0 : -EIO;
}

static char *common_ancestor(const char *a, const char *b)
{
	size_t n = 0, last = 0;

	while (a[n] && a[n] == b[n]) {
		if (a[n] == '/')
			last = n;
		n++;
	}
	if ((!a[n] || a[n] == '/') && (!b[n] || b[n] == '/'))
		last = n;
	return last ? xstrndup(a, last) : xstrdup("/");
}

/* ---- one command per build directory: its lock, and the stamp of a finished build ---- */

#define LOCK_FILE ".kbuild/lock"
#define BUILT_FILE ".kbuild/built"

/* " (pid 123: kbuild ...)" from the lock file when its process is alive, else "" (caller frees). */
static char *lock_holder(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *end, *ret = xstrdup("");
	long pid;

	if (fs_read_file_max(path, &sb, 4096) == 0) {
		strbuf_setlen(&sb, strcspn(sb.buf, "\n"));
		pid = strtol(sb.buf, &end, 10);
		if (pid > 0 && end != sb.buf && *end == ' ' && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
			free(ret);
			ret = xasprintf(" (pid %ld: %s)", pid, end + 1);
		}
	}
	strbuf_release(&sb);
	return ret;
}

int build_dir_lock(const char *objdir, int shared, int argc, char *const *argv)
{
	char *path = xasprintf("%s/" LOCK_FILE, objdir);
	int fd = fs_lock(path, shared);

	if (fd >= 0 && !shared) {
		struct strbuf who = STRBUF_INIT;

		/* who holds it, for the message of the command that finds it taken */
		strbuf_addf(&who, "%ld kbuild", (long)getpid());
		for (int i = 0; i < argc; i++)
			strbuf_addf(&who, " %s", argv[i]);
		strbuf_addch(&who, '\n');
		if (ftruncate(fd, 0) < 0 || pwrite(fd, who.buf, who.len, 0) < 0)
			kb_warning("cannot write '%s': %s", path, strerror(errno));
		strbuf_release(&who);
	} else if (fd == -EWOULDBLOCK) {
		char *holder = lock_holder(path);

		kb_error("build directory '%s' is in use by another kbuild command%s: let it finish, or use another "
			 "build directory", objdir, holder);
		free(holder);
	} else if (fd == -ENOENT && shared) {
		/* no lock file, and this user may not make one: no command holds it */
		char *state = xasprintf("%s/.kbuild", objdir);

		fd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			kb_error("cannot open '%s': %s", state, strerror(errno));
		free(state);
	} else if (fd < 0) {
		kb_error("cannot lock the build directory '%s': %s", path, strerror(-fd));
	}
	free(path);
	return fd;
}

int build_dir_in_use(const char *objdir)
{
	char *path = xasprintf("%s/" LOCK_FILE, objdir);
	int fd = fs_is_file(path) ? fs_lock(path, 0) : -ENOENT;

	free(path);
	if (fd >= 0)
		close(fd);
	return fd == -EWOULDBLOCK;
}

int build_use_finished(const char *objdir, int argc, char *const *argv)
{
	char *state = xasprintf("%s/.kbuild", objdir), *built = xasprintf("%s/" BUILT_FILE, objdir);
	int fd = -1, ok;

	/* the lock first: a build under way has removed its stamp and says so better */
	if (fs_is_dir(state) && (fd = build_dir_lock(objdir, 1, argc, argv)) < 0)
		goto out;
	ok = fs_is_file(built);
	if (!ok) {
		kb_error("'%s' holds no finished build: build it first (kbuild -O %s ...)", objdir, objdir);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	free(state);
	free(built);
	return fd;
}

int build_stage_check(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;

	if (o->ccache && !run_have_program("ccache")) {
		kb_error("--ccache: 'ccache' is not installed (apt-get install ccache)");
		return KB_EENV;
	}
	if (o->distcc) {
		if (distcc_slots(o->distcc) < 0) {
			kb_error("--distcc '%s': not a list of hosts (HOST[:PORT][/SLOTS] ...)", o->distcc);
			return KB_EUSAGE;
		}
		if (!run_have_program("distcc")) {
			kb_error("--distcc: 'distcc' is not installed (apt-get install distcc)");
			return KB_EENV;
		}
	}
	return KB_OK;
}

void build_job_setup(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;
	struct kb_meta *m = &job->meta;
	struct build_opts *b = &job->make;
	char *mk = xasprintf("%s/Makefile", m->tree);
	long long epoch = 0;
	struct stat sb;
	int nenv = 0;

	/* reproducible: the timestamp of the source, not of the build */
	if (stat(mk, &sb) == 0)
		epoch = (long long)sb.st_mtime;
	free(mk);
	m->timestamp = build_timestamp_string(epoch);
	m->localversion = xstrdup(o->localversion ? o->localversion : "-ll");
	m->destdir = o->destdir ? fs_absolute(o->destdir) : NULL;
	job->jobs = o->jobs > 0 ? o->jobs : o->distcc ? distcc_slots(o->distcc) : cpu_count();
	m->jobs = job->jobs;
	/* the compiler string: the same for olddefconfig and the build */
	if (o->ccache) {
		char *base = common_ancestor(m->tree, job->objdir);

		job->cc = xstrdup("ccache gcc");
		job->env[nenv++] = xasprintf("CCACHE_BASEDIR=%s", base);
		job->env[nenv++] = xstrdup("CCACHE_NOHASHDIR=true");
		job->env[nenv++] = xstrdup("CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime,time_macros");
		if (o->distcc)
			job->env[nenv++] = xstrdup("CCACHE_PREFIX=distcc");
		free(base);
		m->ccache = 1;
	} else if (o->distcc) {
		job->cc = xstrdup("distcc gcc");
	}
	if (o->distcc) {
		job->env[nenv++] = xasprintf("DISTCC_HOSTS=%s", o->distcc);
		m->distcc = xstrdup(o->distcc);
	}
	job->env[nenv] = NULL;
	m->compiler_string = xstrdup(job->cc ? job->cc : "gcc");
	b->tree = m->tree;
	b->objdir = job->objdir;
	b->arch = job->arch;
	b->jobs = job->jobs;
	b->localversion = m->localversion;
	b->timestamp = m->timestamp;
	b->cc = job->cc;
	b->env = job->env;
	b->verbose = o->verbose;
	b->progress = isatty(2);
}

/* What the build made, or why it failed, on stdout and stderr and into the metadata. */
static void build_report(struct kb_job *job, int st, const struct build_result *r, double seconds)
{
	struct kb_meta *m = &job->meta;

	if (st == KB_OK) {
		char el[32];
		long secs = (long)(seconds + 0.5);

		if (secs >= 60)
			snprintf(el, sizeof(el), "%ldm%02lds", secs / 60, secs % 60);
		else
			snprintf(el, sizeof(el), "%lds", secs);
		printf("kbuild: built %s in %s: %s/%s, %ld module%s (%ld objects compiled)\n",
		       r->release ? r->release : "?", el, job->objdir, r->image, r->modules, r->modules == 1 ? "" : "s",
		       r->objects);
		if (m->ccache)
			printf("kbuild: ccache: %ld hits, %ld misses (%.0f%% hit rate)\n", m->cc_hits, m->cc_misses,
			       m->cc_hits + m->cc_misses ? 100.0 * (double)m->cc_hits / (double)(m->cc_hits + m->cc_misses)
							 : 0.0);
	} else if (st == KB_INTERRUPTED) {
		/* the pipeline says so, for every stage */
	} else if (r->question) {
		m->error = xasprintf("make asked the Kconfig question CONFIG_%s", r->question);
		kb_error("the kernel's syncconfig asked for CONFIG_%s, which '%s' has no value for (edited by hand, "
			 "or made with another toolchain); nobody can answer it here, so make was stopped: give "
			 "--config so that the config stage answers it, or run 'make O=%s olddefconfig' in the tree",
			 r->question, job->dotconfig, job->objdir);
	} else if (r->no_space) {
		m->error = r->first_error ? xstrdup(r->first_error) : NULL;
		kb_error("the disk is full in '%s': free some space and run the same command again (the build resumes)",
			 job->objdir);
	} else {
		m->error = r->first_error ? xstrdup(r->first_error) : NULL;
		if (r->first_error) {
			fprintf(stderr, "%s", r->first_error);
			kb_error("the build failed (make exit %d); the first error is above, the full log is '%s/build.log'",
				 r->make_status, job->objdir);
		} else {
			kb_error("the build failed (make exit %d); see '%s/build.log'", r->make_status, job->objdir);
		}
	}
}

int build_stage(struct kb_job *job)
{
	struct kb_meta *m = &job->meta;
	const struct build_opts *b = &job->make;
	const char *gcc[] = { "gcc", "--version", NULL }, *ld[] = { "ld", "--version", NULL },
		   *mk[] = { "make", "--version", NULL };
	struct build_result r;
	long h0 = 0, m0 = 0, h1, m1;
	double t0;
	int st;

	m->cc = first_line_of(gcc);
	m->ld = first_line_of(ld);
	m->make = first_line_of(mk);
	m->make_command = build_command_line(b);
	if (m->ccache)
		ccache_counters(b->env, &h0, &m0);
	if (build_vars_save(b) < 0)
		kb_warning("cannot write '%s/.kbuild/make-vars': %s", job->objdir, strerror(errno));
	m->status = "building";
	meta_write(m);
	/* from here until it succeeds, the directory holds no finished build */
	{
		char *built = xasprintf("%s/" BUILT_FILE, job->objdir);

		unlink(built);
		free(built);
	}
	t0 = kb_now();
	st = build_run(b, &r);
	t0 = kb_now() - t0;
	m->objects = r.objects;
	m->modules = r.modules;
	if (r.image)
		m->image = xstrdup(r.image);
	if (r.release)
		m->release = xstrdup(r.release);
	if (m->ccache && ccache_counters(b->env, &h1, &m1) == 0) {
		m->cc_hits = h1 - h0;
		m->cc_misses = m1 - m0;
	}
	if (st == KB_OK && r.modules > 0) {
		/* the modules as the booted kernel will see them (modules_install, depmod): depmod's
		 * complaints show now, and kbuild modules has them at hand */
		struct modules_opts mo = { .inst = { .make = *b } };
		char *dir = NULL;

		st = modules_stage(&mo, &dir);
		free(dir);
	}
	if (st == KB_OK) {
		char *built = xasprintf("%s/" BUILT_FILE, job->objdir), *text = xasprintf("%s\n", r.release ? r.release : "?");

		int wr;

		config_stamp_refresh(job);
		if ((wr = fs_write_atomic(built, text, strlen(text), NULL)) < 0)
			kb_warning("cannot write '%s': %s", built, strerror(-wr));
		free(built);
		free(text);
	}
	build_report(job, st, &r, t0);
	build_result_release(&r);
	return st;
}

int build_estimate_stage(struct kb_job *job)
{
	const struct build_opts *b = &job->make;
	char *path = xasprintf("%s/.config", job->objdir);
	struct strbuf text = STRBUF_INIT;
	struct strmap cfg;
	long total, left;

	strmap_init(&cfg);
	if (read_config_map(path, &cfg, &text) == 0) {
		left = objects_to_compile(b, &cfg, &total);
		report_estimate(b, &cfg, left, total);
	}
	strmap_release(&cfg);
	strbuf_release(&text);
	free(path);
	return KB_OK;
}
