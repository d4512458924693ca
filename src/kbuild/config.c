/* config.c - the config stage: merge with provenance, choices, olddefconfig, verify, explain; the stamp that skips it */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "confcache.h"
#include "explain.h"
#include "fragment.h"
#include "fs.h"
#include "job.h"
#include "json.h"
#include "kconfig.h"
#include "log.h"
#include "run.h"
#include "sha256.h"
#include "source.h"

static const char *const named_bases[] = {
	"defconfig", "tinyconfig", "allnoconfig", "allyesconfig", "allmodconfig",
	"alldefconfig", "localmodconfig", "localyesconfig",
};

static const char *host_srcarch(const char *arch)
{
	struct utsname u;
	const char *m = arch;

	if (!m) {
		if (uname(&u) < 0)
			return "x86";
		m = u.machine;
	}
	if (str_eq(m, "x86_64") || str_eq(m, "i386") || str_eq(m, "i686") || str_eq(m, "x86"))
		return "x86";
	if (str_eq(m, "aarch64") || str_eq(m, "arm64"))
		return "arm64";
	if (starts_with(m, "arm"))
		return "arm";
	if (starts_with(m, "riscv"))
		return "riscv";
	if (starts_with(m, "ppc") || starts_with(m, "powerpc"))
		return "powerpc";
	if (starts_with(m, "s390"))
		return "s390";
	if (starts_with(m, "mips"))
		return "mips";
	if (starts_with(m, "sparc"))
		return "sparc";
	return arch ? arch : "x86"; /* unknown host: caller passes --arch */
}

enum kb_status config_check_tree_dir(const char *tree)
{
	if (!tree) {
		kb_error("no kernel tree given (use --tree DIR)");
		return KB_EUSAGE;
	}
	if (!fs_is_dir(tree)) {
		kb_error("kernel tree '%s': %s", tree, access(tree, F_OK) ? strerror(errno) : "not a directory");
		return KB_EENV;
	}
	return KB_OK;
}

enum kb_status config_check_tree(const char *tree, const char *arch, const char **srcarch)
{
	enum kb_status st;
	char *p;
	int ok;

	st = config_check_tree_dir(tree);
	if (st != KB_OK)
		return st;
	p = xasprintf("%s/Kconfig", tree);
	ok = fs_is_file(p);
	free(p);
	p = xasprintf("%s/Makefile", tree);
	ok = ok && fs_is_file(p);
	free(p);
	if (!ok) {
		kb_error("'%s' is not a kernel tree: no Kconfig and Makefile at its top", tree);
		return KB_EENV;
	}
	*srcarch = host_srcarch(arch);
	p = xasprintf("%s/arch/%s/Kconfig", tree, *srcarch);
	ok = fs_is_file(p);
	free(p);
	if (!ok) {
		kb_error("kernel tree '%s' has no arch/%s/Kconfig", tree, *srcarch);
		return KB_EENV;
	}
	return KB_OK;
}

const char *config_arch(const char *arch)
{
	const char *env = getenv("ARCH");
	struct utsname u;

	if (arch && *arch)
		return arch;
	if (env && *env)
		return env;
	/* without ARCH the kernel's make says "x86", and tinyconfig would then build a 32-bit kernel */
	if (uname(&u) == 0 && str_eq(u.machine, "x86_64"))
		return "x86_64";
	return NULL;
}

/* make -C tree O=objdir [KCONFIG_CONFIG=file] target; output shown only on failure or with -v. */
static enum kb_status run_kconfig_target(const struct config_opts *o, const char *objdir,
					 const char *config_file, const char *target)
{
	char *odir = xasprintf("O=%s", objdir);
	char *kc = config_file ? xasprintf("KCONFIG_CONFIG=%s", config_file) : NULL;
	const char *arch = config_arch(o->arch);
	char *archarg = arch ? xasprintf("ARCH=%s", arch) : NULL;
	char *ccarg = o->cc ? xasprintf("CC=%s", o->cc) : NULL;
	char *noauto = confcache_no_autoconf(objdir), *cachedir = source_cache_dir();
	struct confcache cc = CONFCACHE_INIT;
	const char *argv[12];
	const char *env[16] = { "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=", "MAKEOVERRIDES=", NULL };
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .env = env, .out = &out, .merge_err = 1, .new_pgroup = 1,
			       .guard = o->guard };
	enum kb_status st = KB_OK;
	size_t e = 4;
	int n = 0, ret;

	argv[n++] = "make";
	argv[n++] = "-s";
	argv[n++] = "-C";
	argv[n++] = o->tree;
	argv[n++] = odir;
	if (kc)
		argv[n++] = kc;
	if (archarg)
		argv[n++] = archarg;
	if (ccarg)
		argv[n++] = ccarg;
	argv[n++] = target;
	argv[n] = NULL;
	if (noauto)
		env[e++] = noauto;
	for (size_t i = 0; o->env && o->env[i] && e < ARRAY_SIZE(env) - 1; i++)
		env[e++] = o->env[i];
	if (o->verbose) {
		char *line = run_format(&cmd);
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	/* a new build directory gets the tree's fixdep and conf from the cache instead of building them */
	confcache_seed(&cc, cachedir, o->tree, objdir);
	ret = run_command(&cmd);
	if (ret == 0)
		confcache_store(&cc, objdir);
	confcache_release(&cc);
	free(cachedir);
	if (o->guard && o->guard->stop) {
		st = KB_INTERRUPTED; /* the pipeline says so */
	} else if (ret == -ENOENT) {
		kb_error("cannot run 'make': not installed (apt-get install make)");
		st = KB_EENV;
	} else if (ret < 0) {
		kb_error("cannot run 'make': %s", strerror(-ret));
		st = KB_EENV;
	} else if (ret != 0) {
		fputs(out.buf, stderr);
		kb_error("'make %s' failed in '%s' (exit %d)", target, o->tree, ret);
		st = KB_EENV;
	} else if (o->verbose) {
		fputs(out.buf, stderr);
	}
	strbuf_release(&out);
	free(odir);
	free(kc);
	free(archarg);
	free(ccarg);
	free(noauto);
	return st;
}

/* The tree's Kconfig model: KB_OK; KB_EENV without a Kconfig; KB_EUSAGE for a tree no parse can finish. */
static enum kb_status parse_kconfig(struct kconfig *kc, const char *tree, const char *srcarch)
{
	struct strbuf err = STRBUF_INIT;
	int ret = kconfig_parse(kc, tree, srcarch, &err);

	if (ret == -EINVAL)
		fprintf(stderr, "%s\n", err.buf);
	else if (ret < 0)
		kb_error("cannot read '%s/Kconfig': %s", tree, strerror(-ret));
	strbuf_release(&err);
	return ret == 0 ? KB_OK : ret == -EINVAL ? KB_EUSAGE : KB_EENV;
}

static int is_named_base(const char *base)
{
	for (size_t i = 0; i < ARRAY_SIZE(named_bases); i++)
		if (str_eq(base, named_bases[i]))
			return 1;
	return ends_with(base, "_defconfig") && !strchr(base, '/');
}

/* The running kernel's configuration file (caller frees), or NULL after saying that there is none. */
static char *running_config(void)
{
	struct utsname u;
	char *path;

	uname(&u);
	path = xasprintf("/boot/config-%s", u.release);
	if (!fs_is_file(path)) {
		free(path);
		path = xstrdup("/proc/config.gz");
	}
	if (!fs_is_file(path)) {
		kb_error("no configuration of the running kernel: neither /boot/config-%s nor "
			 "/proc/config.gz exists (use --base defconfig or --base FILE)", u.release);
		free(path);
		return NULL;
	}
	return path;
}

char *config_base_file(const struct config_opts *o)
{
	if (!o->base || str_eq(o->base, "running"))
		return running_config();
	return is_named_base(o->base) ? NULL : xstrdup(o->base);
}

/* --base names the running kernel's configuration, a kconfig target or a file: KB_OK, KB_EUSAGE, KB_EENV. */
static enum kb_status check_base(const struct config_opts *o)
{
	char *path;

	if (o->base && !str_eq(o->base, "running") && !is_named_base(o->base) && !fs_is_file(o->base)) {
		kb_error("base configuration '%s': no such file or kconfig target", o->base);
		return KB_EUSAGE;
	}
	if (o->base && !str_eq(o->base, "running"))
		return KB_OK;
	path = running_config();
	free(path);
	return path ? KB_OK : KB_EENV;
}

/* Produce the base configuration as a parsed file. */
static enum kb_status load_base(const struct config_opts *o, const char *statedir, struct cfg_file *base)
{
	struct strbuf err = STRBUF_INIT;
	const char *name = o->base ? o->base : "running";
	enum kb_status st = KB_OK;
	char *path = NULL, *display = NULL;

	if (str_eq(name, "running")) {
		path = running_config();
		if (!path)
			return KB_EENV;
		display = xstrdup(path);
	} else if (is_named_base(name)) {
		/*
		 * The tree's targets run in a build directory of their own: some
		 * (tinyconfig's merge step before 6.3) ignore KCONFIG_CONFIG and
		 * would write the user's .config, and localmodconfig reads it.
		 */
		char *basedir = xasprintf("%s/base", statedir);

		if (starts_with(name, "local") && !run_have_program("lsmod")) {
			kb_error("--base %s lists the loaded modules with lsmod, which is not installed "
				 "(apt-get install kmod)", name);
			free(basedir);
			return KB_EENV;
		}
		path = xasprintf("%s/.config", basedir);
		unlink(path);
		kb_progress("BASE", "make %s", name);
		st = run_kconfig_target(o, basedir, NULL, name);
		free(basedir);
		if (st != KB_OK) {
			free(path);
			return st;
		}
		display = xasprintf("<%s base>", name);
	} else {
		if (!fs_is_file(name)) {
			kb_error("base configuration '%s': %s", name,
				 access(name, F_OK) ? strerror(errno) : "not a regular file");
			return KB_EUSAGE;
		}
		path = xstrdup(name);
		display = xstrdup(name);
	}
	if (cfg_read(base, path, display, &err) < 0) {
		fputs(err.buf, stderr);
		st = access(path, R_OK) ? KB_EENV : KB_EUSAGE;
	}
	base->is_base = 1;
	if (st == KB_OK)
		kb_progress("BASE", "%s (%zu assignments)", display, base->nr);
	strbuf_release(&err);
	free(path);
	free(display);
	return st;
}

struct choice_change {
	const struct kchoice *choice;
	const struct cfg_assign *from;      /* replaced member's assignment */
	const struct cfg_assign *to;        /* winner */
	const struct cfg_assign *preferred; /* when `to` is a fallback: what did not stick */
};

static const char *choice_text(const struct kchoice *ch);

struct run_state {
	const struct config_opts *o;
	struct kconfig kc;
	struct cfg_merge merge;
	struct cfg_file base;
	struct cfg_file *frags;
	size_t nr_frags;
	struct choice_change *changes;
	size_t nr_changes, alloc_changes;
	struct cfg_map resolved;
	struct verdict *verdicts;
	size_t nr_verdicts;
	char *objdir, *statedir, *resolved_path;
	const char *srcarch;
	struct { const struct cfg_assign *pref, *fallback; int tried; } *fallbacks;
	size_t nr_fallbacks, alloc_fallbacks;
};

/*
 * Choices: a y on one member deselects the others. A fragment that picks a
 * member over the base's is a choice change, not a miss. Several members
 * set y in one fragment are an ordered preference: the last is requested,
 * the earlier ones are fallbacks used when it does not stick.
 */
static void resolve_choices(struct run_state *rs)
{
	for (size_t c = 0; c < rs->kc.nr_choices; c++) {
		const struct kchoice *ch = rs->kc.choices[c];
		struct cfg_entry *win = NULL;

		for (size_t i = 0; i < ch->nr_members; i++) {
			struct cfg_entry *e = cfg_merge_get(&rs->merge, ch->members[i]->name);
			if (e && str_eq(e->cur.value, "y") && (!win || e->cur.seq > win->cur.seq))
				win = e;
		}
		if (!win)
			continue;
		for (size_t i = 0; i < ch->nr_members; i++) {
			struct cfg_entry *e = cfg_merge_get(&rs->merge, ch->members[i]->name);
			struct cfg_assign from;

			if (!e || e == win || !str_eq(e->cur.value, "y"))
				continue;
			from = e->cur;
			if (!from.is_base && win->request && !win->cur.is_base && str_eq(from.file, win->cur.file)) {
				e->superseded = e->fallback = 1;
				ALLOC_GROW(rs->fallbacks, rs->nr_fallbacks + 1, rs->alloc_fallbacks);
				rs->fallbacks[rs->nr_fallbacks].pref = win->request;
				rs->fallbacks[rs->nr_fallbacks].fallback = e->request;
				rs->fallbacks[rs->nr_fallbacks].tried = 0;
				rs->nr_fallbacks++;
			} else if (!from.is_base) {
				e->superseded = 1;
				kb_diag(KB_WARNING, win->cur.file, win->cur.line,
					"choice \"%s\": CONFIG_%s replaces CONFIG_%s (set at %s:%d)",
					choice_text(ch), win->cur.name, from.name, from.file, from.line);
			} else {
				ALLOC_GROW(rs->changes, rs->nr_changes + 1, rs->alloc_changes);
				rs->changes[rs->nr_changes].choice = ch;
				rs->changes[rs->nr_changes].from = from.is_base ? e->base : e->request;
				rs->changes[rs->nr_changes].to = win->request ? win->request : win->base;
				rs->changes[rs->nr_changes].preferred = NULL;
				rs->nr_changes++;
			}
			cfg_merge_set_derived(&rs->merge, e->cur.name, "n");
		}
	}
}

static const char *choice_text(const struct kchoice *ch)
{
	for (const struct kprop *p = ch->def.props; p; p = p->next)
		if (p->kind == KP_PROMPT)
			return p->text;
	return "(unnamed choice)";
}

static enum kb_status olddefconfig(struct run_state *rs)
{
	struct strbuf merged = STRBUF_INIT, err = STRBUF_INIT;
	char *old = xasprintf("%s.old", rs->resolved_path);
	enum kb_status st;
	int ret;

	cfg_merge_write(&rs->merge, &merged);
	ret = fs_write_atomic(rs->resolved_path, merged.buf, merged.len, NULL);
	if (ret < 0) {
		kb_error("cannot write '%s': %s", rs->resolved_path, strerror(-ret));
		st = KB_EENV;
		goto out;
	}
	kb_progress("CONFIG", "make olddefconfig");
	st = run_kconfig_target(rs->o, rs->objdir, rs->resolved_path, "olddefconfig");
	unlink(old);
	if (st != KB_OK)
		goto out;
	cfg_map_release(&rs->resolved);
	if (cfg_map_read(&rs->resolved, rs->resolved_path, &err) < 0) {
		fputs(err.buf, stderr);
		kb_error("kconfig wrote a configuration kbuild cannot read");
		st = KB_EENV;
	}
out:
	free(old);
	strbuf_release(&merged);
	strbuf_release(&err);
	return st;
}

static long request_order(const struct run_state *rs, const struct cfg_assign *a)
{
	for (size_t i = 0; i < rs->nr_frags; i++)
		if (rs->frags[i].path == a->file)
			return (long)i * 10000000L + a->line;
	return a->line;
}

static int cmp_verdicts(const void *x, const void *y, void *ctx)
{
	const struct verdict *a = x, *b = y;
	long ka = request_order(ctx, a->req), kb = request_order(ctx, b->req);

	return ka < kb ? -1 : ka > kb;
}

static void verify(struct run_state *rs)
{
	struct kvals vals = { cfg_map_value, &rs->resolved };
	struct explain_ctx ctx = { &rs->kc, &vals, &rs->merge };
	size_t n = 0;

	for (size_t i = 0; i < rs->nr_verdicts; i++)
		verdict_release(&rs->verdicts[i]);
	free(rs->verdicts);
	rs->verdicts = xcalloc(rs->merge.nr, sizeof(*rs->verdicts));
	for (size_t i = 0; i < rs->merge.nr; i++) {
		const struct cfg_entry *e = rs->merge.order[i];

		if (!e->request || e->superseded)
			continue;
		verdict_init(&rs->verdicts[n]);
		explain_request(&ctx, e->request, &rs->verdicts[n]);
		n++;
	}
	rs->nr_verdicts = n;
	/* report in the order the user wrote things: fragment by fragment, line by line */
	qsort_r(rs->verdicts, n, sizeof(*rs->verdicts), cmp_verdicts, rs);
}

/*
 * Fall back to the next earlier member of a choice when the one requested
 * (or the fallback tried last) did not stick. Returns how many changed.
 */
static int apply_fallbacks(struct run_state *rs)
{
	int applied = 0;

	for (size_t i = 0; i < rs->nr_fallbacks; i++) {
		const struct cfg_assign *pref = rs->fallbacks[i].pref, *cur = pref, *next = NULL;
		const char *got;
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= rs->fallbacks[j].pref == pref;
		if (seen)
			continue;
		/* the candidate in use: the lowest line already tried, else the request itself */
		for (size_t j = i; j < rs->nr_fallbacks; j++)
			if (rs->fallbacks[j].pref == pref && rs->fallbacks[j].tried &&
			    rs->fallbacks[j].fallback->line < cur->line)
				cur = rs->fallbacks[j].fallback;
		got = cfg_map_value(&rs->resolved, cur->name);
		if (got && str_eq(got, "y"))
			continue;
		/* next in line: the nearest earlier line of the same fragment */
		for (size_t j = i; j < rs->nr_fallbacks; j++) {
			const struct cfg_assign *f = rs->fallbacks[j].fallback;

			if (rs->fallbacks[j].pref == pref && !rs->fallbacks[j].tried && f->line < cur->line &&
			    (!next || f->line > next->line))
				next = f;
		}
		if (!next)
			continue;
		for (size_t j = i; j < rs->nr_fallbacks; j++)
			if (rs->fallbacks[j].fallback == next)
				rs->fallbacks[j].tried = 1;
		kb_diag(KB_NOTE, pref->file, pref->line, "CONFIG_%s did not stick: falling back to CONFIG_%s (%s:%d)",
			cur->name, next->name, next->file, next->line);
		cfg_merge_set_derived(&rs->merge, cur->name, "n");
		cfg_merge_set_derived(&rs->merge, next->name, "y");
		cfg_merge_get(&rs->merge, next->name)->superseded = 0;
		if (cur != pref)
			cfg_merge_get(&rs->merge, cur->name)->superseded = 1;
		for (size_t c = 0; c < rs->nr_changes; c++) {
			if (rs->changes[c].to == cur) {
				rs->changes[c].to = next;
				rs->changes[c].preferred = pref;
			}
		}
		applied++;
	}
	return applied;
}

static void write_json(struct run_state *rs, struct strbuf *out)
{
	struct json_writer w;

	json_init(&w, out, 1);
	json_begin_object(&w);
	json_kv_string(&w, "tree", rs->o->tree);
	json_kv_string(&w, "objdir", rs->o->objdir);
	json_kv_string(&w, "base", rs->o->base ? rs->o->base : "running");
	json_key(&w, "requested");
	json_begin_array(&w);
	for (size_t i = 0; i < rs->nr_verdicts; i++) {
		const struct verdict *v = &rs->verdicts[i];

		json_begin_object(&w);
		json_kv_string(&w, "symbol", v->req->name);
		json_kv_string(&w, "requested", v->req->value);
		json_kv_string(&w, "actual", v->actual);
		json_kv_string(&w, "status", req_status_name(v->status));
		json_kv_string(&w, "reason", v->status == RS_OK ? NULL : v->reason.buf);
		if (v->today)
			json_kv_string(&w, "today", v->today);
		if (v->detail.len) {
			struct strbuf d = STRBUF_INIT;
			/* detail lines without their indentation */
			for (const char *s = v->detail.buf; *s; ) {
				const char *nl = strchr(s, '\n');
				size_t len = nl ? (size_t)(nl - s) : strlen(s);
				while (len && *s == ' ') {
					s++;
					len--;
				}
				if (d.len)
					strbuf_addstr(&d, "; ");
				strbuf_add(&d, s, len);
				s += len + (nl ? 1 : 0);
			}
			json_kv_string(&w, "detail", d.buf);
			strbuf_release(&d);
		}
		json_kv_string(&w, "file", v->req->file);
		json_kv_int(&w, "line", v->req->line);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_key(&w, "choices");
	json_begin_array(&w);
	for (size_t i = 0; i < rs->nr_changes; i++) {
		const struct choice_change *c = &rs->changes[i];

		json_begin_object(&w);
		json_kv_string(&w, "choice", choice_text(c->choice));
		json_kv_string(&w, "from", c->from->name);
		json_kv_string(&w, "from_file", c->from->file);
		json_kv_int(&w, "from_line", c->from->line);
		json_kv_string(&w, "to", c->to->name);
		json_kv_string(&w, "to_file", c->to->file);
		json_kv_int(&w, "to_line", c->to->line);
		if (c->preferred)
			json_kv_string(&w, "preferred", c->preferred->name);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
}

/* Values the base set that olddefconfig changed: not requests, but worth a count. */
static int base_changes(struct run_state *rs)
{
	int n = 0;

	for (size_t i = 0; i < rs->merge.nr; i++) {
		const struct cfg_entry *e = rs->merge.order[i];
		const char *got;

		if (!e->base || e->request || e->cur.line != e->base->line || e->cur.file != e->base->file)
			continue;
		got = cfg_map_value(&rs->resolved, e->cur.name);
		if (str_eq(got ? got : "n", e->cur.value))
			continue;
		n++;
		if (rs->o->verbose)
			kb_diag(KB_NOTE, e->base->file, e->base->line, "CONFIG_%s=%s from the base became %s",
				e->cur.name, e->cur.value, got ? got : "n");
	}
	return n;
}

/*
 * The shipped fragments also ask for the old kernels' names of what they want (KMOD, IDE SCSI
 * emulation), which a new tree does not have: not a warning on every run, but one line saying
 * which options do their work today (HOWTO.md tells the story). A user's fragment still warns.
 */
static void mark_history(struct run_state *rs, const struct fragment_list *list)
{
	size_t dl = strlen(rs->o->datadir ? rs->o->datadir : "");

	for (size_t i = 0; i < rs->nr_verdicts; i++) {
		struct verdict *v = &rs->verdicts[i];

		if (v->status != RS_UNKNOWN || !dl)
			continue;
		for (size_t f = 0; f < rs->nr_frags && f < list->nr; f++) {
			const char *path = list->items[f].path;

			if (rs->frags[f].path != v->req->file || strncmp(path, rs->o->datadir, dl) || path[dl] != '/')
				continue;
			if ((v->today = explain_today(&rs->kc, v->req->name)))
				v->status = RS_HISTORY;
		}
	}
}

/* "  HISTORY KMOD, KERNELD -> MODULES; IDE, BLK_DEV_IDE -> ATA; ..." */
static void report_history(const struct run_state *rs)
{
	struct strbuf sb = STRBUF_INIT;
	const char *group = NULL;

	for (size_t i = 0; i < rs->nr_verdicts; i++) {
		const struct verdict *v = &rs->verdicts[i];

		if (v->status != RS_HISTORY)
			continue;
		if (group && !str_eq(group, v->today))
			strbuf_addf(&sb, " -> %s; ", group);
		else if (group)
			strbuf_addstr(&sb, ", ");
		strbuf_addstr(&sb, v->req->name);
		group = v->today;
	}
	if (group)
		kb_progress("HISTORY", "old names in the shipped fragments, today: %s -> %s (HOWTO.md, \"Old names\")",
			    sb.buf, group);
	strbuf_release(&sb);
}

static void report(struct run_state *rs, int counts[RS_NR])
{
	memset(counts, 0, RS_NR * sizeof(int));
	report_history(rs);
	for (size_t i = 0; i < rs->nr_verdicts; i++) {
		const struct verdict *v = &rs->verdicts[i];

		counts[v->status]++;
		if (v->status == RS_HISTORY)
			continue;
		if (v->status == RS_OK) {
			if (rs->o->verbose)
				kb_diag(KB_NOTE, v->req->file, v->req->line, "%s=%s: ok", v->req->name, v->req->value);
			continue;
		}
		if (v->status == RS_UNKNOWN)
			kb_diag(KB_WARNING, v->req->file, v->req->line, "%s: %s", v->req->name, v->reason.buf);
		else
			kb_diag(KB_ERROR, v->req->file, v->req->line, "%s: requested %s, got %s: %s",
				v->req->name, v->req->value, v->actual ? v->actual : "(no value)", v->reason.buf);
		fputs(v->detail.buf, stderr);
	}
}

static void free_state(struct run_state *rs)
{
	for (size_t i = 0; i < rs->nr_verdicts; i++)
		verdict_release(&rs->verdicts[i]);
	free(rs->verdicts);
	cfg_map_release(&rs->resolved);
	cfg_merge_release(&rs->merge);
	for (size_t i = 0; i < rs->nr_frags; i++)
		cfg_file_release(&rs->frags[i]);
	free(rs->frags);
	cfg_file_release(&rs->base);
	kconfig_release(&rs->kc);
	free(rs->changes);
	free(rs->fallbacks);
	free(rs->objdir);
	free(rs->statedir);
	free(rs->resolved_path);
}

enum kb_status config_run(const struct config_opts *o)
{
	struct run_state rs;
	struct fragment_list list = { 0 };
	struct strbuf err = STRBUF_INIT;
	enum kb_status st;
	int counts[RS_NR], ret;
	char history[32] = "";

	memset(&rs, 0, sizeof(rs));
	rs.o = o;
	if (!o->objdir) {
		kb_error("no build directory given (use -O DIR)");
		return KB_EUSAGE;
	}
	st = config_check_tree(o->tree, config_arch(o->arch), &rs.srcarch);
	if (st != KB_OK)
		return st;
	if (!o->nr_configs) {
		kb_error("nothing to merge: give at least one --config NAME|FILE");
		return KB_EUSAGE;
	}
	/* all input is read and checked before anything is written */
	for (size_t i = 0; i < o->nr_configs; i++) {
		if (fragment_resolve(&list, o->datadir, o->configs[i], &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
			goto out;
		}
	}
	rs.frags = xcalloc(list.nr, sizeof(*rs.frags));
	for (size_t i = 0; i < list.nr; i++) {
		if (cfg_read(&rs.frags[i], list.items[i].path, list.items[i].display, &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
			goto out;
		}
		rs.nr_frags++;
	}
	st = check_base(o);
	if (st != KB_OK)
		goto out;
	if (!run_have_program("make")) {
		kb_error("cannot run 'make': not installed (apt-get install make)");
		st = KB_EENV;
		goto out;
	}
	st = parse_kconfig(&rs.kc, o->tree, rs.srcarch);
	if (st != KB_OK)
		goto out;
	rs.objdir = fs_absolute(o->objdir);
	rs.statedir = xasprintf("%s/.kbuild", rs.objdir);
	rs.resolved_path = xasprintf("%s/resolved.config", rs.statedir);
	if ((ret = fs_mkdir_p(rs.statedir, 0755)) < 0) {
		kb_error("cannot create '%s': %s", rs.statedir, strerror(-ret));
		st = KB_EENV;
		goto out;
	}
	st = load_base(o, rs.statedir, &rs.base);
	if (st != KB_OK)
		goto out;
	cfg_merge_init(&rs.merge);
	rs.merge.builtin_wins = o->builtin_wins;
	cfg_merge_add(&rs.merge, &rs.base);
	for (size_t i = 0; i < rs.nr_frags; i++) {
		kb_progress("MERGE", "%s", rs.frags[i].path);
		cfg_merge_add(&rs.merge, &rs.frags[i]);
	}
	{
		struct strbuf notes = STRBUF_INIT;

		/* the tree's own targets (tinyconfig, defconfig) are small and of this tree by design */
		if (!o->base || !is_named_base(o->base))
			config_base_notes(&rs.base, &rs.kc, &notes);
		config_drop_base_localversion(&rs.merge, &notes);
		fputs(notes.buf, stderr);
		strbuf_release(&notes);
	}
	resolve_choices(&rs);
	for (size_t i = 0; i < rs.nr_changes; i++)
		kb_progress("CHOICE", "\"%s\": %s -> %s (%s:%d)", choice_text(rs.changes[i].choice),
			    rs.changes[i].from->name, rs.changes[i].to->name, rs.changes[i].to->file,
			    rs.changes[i].to->line);
	st = olddefconfig(&rs);
	if (st != KB_OK)
		goto out;
	for (int pass = 0; pass < 4 && apply_fallbacks(&rs); pass++) {
		st = olddefconfig(&rs);
		if (st != KB_OK)
			goto out;
	}
	verify(&rs);
	mark_history(&rs, &list);
	report(&rs, counts);
	{
		int changed = base_changes(&rs);

		if (changed && !o->verbose)
			kb_diag(KB_NOTE, rs.base.path, 0,
				"%d values of the base did not survive olddefconfig (not requested; -v lists them)",
				changed);
	}
	if (counts[RS_HISTORY])
		snprintf(history, sizeof(history), ", %d historical", counts[RS_HISTORY]);
	/* --json -: standard output holds the JSON alone */
	fprintf(fs_names_stdout(o->json) ? stderr : stdout,
		"kbuild: %zu requested: %d ok, %d unmet, %d invalid, %d unknown%s\n", rs.nr_verdicts,
	       counts[RS_OK], counts[RS_UNMET], counts[RS_INVALID], counts[RS_UNKNOWN], history);
	if (o->json) {
		struct strbuf js = STRBUF_INIT;

		write_json(&rs, &js);
		ret = fs_write_atomic(o->json, js.buf, js.len, NULL);
		strbuf_release(&js);
		if (ret < 0) {
			kb_error("cannot write '%s': %s", o->json, strerror(-ret));
			st = KB_EENV;
			goto out;
		}
	}
	{
		struct strbuf cfg = STRBUF_INIT;
		char *dot = xasprintf("%s/.config", rs.objdir), *old = xasprintf("%s/.config.old", rs.objdir);

		if ((ret = fs_read_file(rs.resolved_path, &cfg)) == 0)
			ret = fs_write_atomic(dot, cfg.buf, cfg.len, old);
		if (ret < 0) {
			kb_error("cannot write '%s': %s", dot, strerror(-ret));
			st = KB_EENV;
		} else {
			kb_progress("WRITE", "%s%s", dot, ret == FS_UNCHANGED ? " (unchanged)" : "");
		}
		unlink(rs.resolved_path);
		free(dot);
		free(old);
		strbuf_release(&cfg);
		if (st != KB_OK)
			goto out;
	}
	if ((counts[RS_UNMET] || counts[RS_INVALID]) && !o->allow_unmet)
		st = KB_FAILED;
out:
	fragment_list_release(&list);
	strbuf_release(&err);
	free_state(&rs);
	return st;
}

enum kb_status config_explain(const struct explain_opts *o)
{
	struct kconfig kc;
	struct cfg_map cm;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct kvals vals = { cfg_map_value, &cm };
	struct explain_ctx ctx = { &kc, &vals, NULL };
	const char *srcarch;
	enum kb_status st;
	char *dot;

	memset(&kc, 0, sizeof(kc));
	st = config_check_tree(o->tree, config_arch(o->arch), &srcarch);
	if (st != KB_OK)
		return st;
	if (!o->objdir) {
		kb_error("no build directory given (use -O DIR)");
		return KB_EUSAGE;
	}
	dot = xasprintf("%s/.config", o->objdir);
	if (cfg_map_read(&cm, dot, &err) < 0) {
		fputs(err.buf, stderr);
		if (!fs_is_file(dot))
			kb_error("no configuration in '%s': run 'kbuild config' first", o->objdir);
		free(dot);
		strbuf_release(&err);
		return KB_EENV;
	}
	free(dot);
	st = parse_kconfig(&kc, o->tree, srcarch);
	if (st != KB_OK)
		goto out;
	for (size_t i = 0; i < o->nr_symbols; i++) {
		if (i)
			strbuf_addch(&out, '\n');
		if (explain_symbol(&ctx, o->symbols[i], &out) < 0) {
			const char *name = starts_with(o->symbols[i], "CONFIG_") ? o->symbols[i] + 7 : o->symbols[i];
			struct strbuf sug = STRBUF_INIT;
			const char *hint = explain_hint(&kc, name);

			explain_suggest(&kc, name, &sug);
			kb_error("CONFIG_%s: unknown symbol: not defined anywhere in this tree%s%s%s%s", name,
				 sug.len ? " (did you mean " : "", sug.buf, sug.len ? "?)" : "",
				 hint ? "" : "");
			if (hint)
				fprintf(stderr, "    hint: %s\n", hint);
			strbuf_release(&sug);
			st = KB_FAILED;
		}
	}
	fputs(out.buf, stdout);
out:
	strbuf_release(&out);
	strbuf_release(&err);
	cfg_map_release(&cm);
	kconfig_release(&kc);
	return st;
}

enum kb_status config_merge_only(const struct merge_opts *o)
{
	struct cfg_file *files = xcalloc(o->nr_files, sizeof(*files));
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct cfg_merge m;
	enum kb_status st = KB_OK;
	size_t nread = 0;
	int ret;

	for (; nread < o->nr_files; nread++) {
		if (cfg_read(&files[nread], o->files[nread], o->files[nread], &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
			goto out;
		}
		files[nread].is_base = nread == 0;
	}
	cfg_merge_init(&m);
	m.builtin_wins = o->builtin_wins;
	m.quiet = o->quiet;
	for (size_t i = 0; i < o->nr_files; i++)
		cfg_merge_add(&m, &files[i]);
	cfg_merge_write(&m, &out);
	if (o->output) {
		ret = fs_write_atomic(o->output, out.buf, out.len, NULL);
		if (ret < 0) {
			kb_error("cannot write '%s': %s", o->output, strerror(-ret));
			st = KB_EENV;
		}
	} else {
		fwrite(out.buf, 1, out.len, stdout);
	}
	cfg_merge_release(&m);
out:
	for (size_t i = 0; i < nread; i++)
		cfg_file_release(&files[i]);
	free(files);
	strbuf_release(&err);
	strbuf_release(&out);
	return st;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum kb_status config_list(const char *datadir)
{
	DIR *d = opendir(datadir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (!d) {
		kb_error("cannot list fragments in '%s': %s", datadir, strerror(errno));
		return KB_EENV;
	}
	while ((de = readdir(d))) {
		if (ends_with(de->d_name, ".config") || ends_with(de->d_name, ".profile")) {
			ALLOC_GROW(names, n + 1, alloc);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", datadir, names[i]);
		struct strbuf sb = STRBUF_INIT;
		const char *help = "";
		char *dot = strrchr(names[i], '.');

		if (fs_read_file(path, &sb) == 0 && starts_with(sb.buf, "# Help:")) {
			char *nl = strchr(sb.buf, '\n');
			if (nl)
				*nl = '\0';
			help = sb.buf + 7;
			while (*help == ' ')
				help++;
		}
		*dot = '\0';
		printf("%-12s %-8s %s\n", names[i], dot + 1, help);
		strbuf_release(&sb);
		free(path);
		free(names[i]);
	}
	free(names);
	return KB_OK;
}

enum kb_status config_kconfig_stats(const char *tree, const char *arch, const char *check, int verbose)
{
	struct kconfig kc;
	struct timespec t0, t1;
	struct rusage ru;
	const char *srcarch;
	enum kb_status st = config_check_tree(tree, config_arch(arch), &srcarch);
	size_t members = 0;

	if (st != KB_OK)
		return st;
	memset(&kc, 0, sizeof(kc));
	kc.verbose = verbose;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = parse_kconfig(&kc, tree, srcarch);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st != KB_OK) {
		kconfig_release(&kc);
		return st;
	}
	getrusage(RUSAGE_SELF, &ru);
	for (size_t i = 0; i < kc.nr_choices; i++)
		members += kc.choices[i]->nr_members;
	printf("tree:        %s (%d.%d.%d, SRCARCH=%s)\n", tree, kc.version, kc.patchlevel, kc.sublevel, srcarch);
	printf("files:       %d (%zu lines, %zu bytes)\n", kc.stats.files, kc.stats.lines, kc.stats.bytes);
	printf("symbols:     %d\n", kc.stats.symbols);
	printf("choices:     %zu (%zu members)\n", kc.nr_choices, members);
	printf("oddities:    %d (tolerated; -v lists them)\n", kc.stats.warnings);
	printf("parse_ms:    %.1f\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	printf("arena_kb:    %zu\n", kc.arena.total / 1024);
	printf("maxrss_kb:   %ld\n", ru.ru_maxrss);
	if (check) {
		struct cfg_map cm;
		struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
		struct kvals vals = { cfg_map_value, &cm };
		struct explain_ctx ctx = { &kc, &vals, NULL };
		int bad;

		if (cfg_map_read(&cm, check, &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
		} else {
			bad = explain_check_config(&ctx, &out);
			fputs(out.buf, stdout);
			printf("checked:     %s: %d values not covered by dependencies or selects\n", check, bad);
			st = bad ? KB_FAILED : KB_OK;
		}
		cfg_map_release(&cm);
		strbuf_release(&err);
		strbuf_release(&out);
	}
	kconfig_release(&kc);
	return st;
}

/* ---- the config stage of the pipeline, skipped when nothing that feeds it changed ---- */

static void digest_file(struct strbuf *in, const char *label, const char *path)
{
	char hex[SHA256_HEX];

	if (sha256_file(path, hex) < 0)
		strcpy(hex, "-");
	strbuf_addf(in, "%s %s %s\n", label, path, hex);
}

/*
 * The tools whose answers Kconfig reads (scripts/Kconfig.include, init/Kconfig:
 * CC_VERSION_TEXT and cc-version, ld-version, PAHOLE_VERSION, RUSTC_VERSION,
 * BINDGEN_VERSION_TEXT), each as the first line of its --version: a new one
 * changes the answers, as installing dwarves does DEBUG_INFO_BTF's.
 */
void config_toolchain(const char *cc, struct strbuf *out)
{
	const char *cross = getenv("CROSS_COMPILE"), *llvm = getenv("LLVM");
	int use_llvm = llvm && str_eq(llvm, "1");
	const char *ccword = NULL;
	char *ccname, *ldname;

	/* "ccache gcc": the compiler is the last word */
	if (cc && *cc) {
		ccword = strrchr(cc, ' ');
		ccword = ccword ? ccword + 1 : cc;
	}
	ccname = ccword ? xstrdup(ccword) : xasprintf("%s%s", cross ? cross : "", use_llvm ? "clang" : "gcc");
	ldname = xasprintf("%s%s", cross ? cross : "", use_llvm ? "ld.lld" : "ld");
	{
		const char *tools[][2] = {
			{ "cc", ccname }, { "ld", ldname }, { "pahole", "pahole" },
			{ "rustc", "rustc" }, { "bindgen", "bindgen" },
		};

		for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
			const char *argv[] = { tools[i][1], "--version", NULL };
			struct strbuf ver = STRBUF_INIT;
			struct run_cmd cmd = { .argv = argv, .out = &ver, .merge_err = 1 };
			int ret = run_have_program(tools[i][1]) ? run_command(&cmd) : -ENOENT;

			strbuf_setlen(&ver, strcspn(ver.buf, "\n"));
			strbuf_addf(out, "tool %s %s\n", tools[i][0], ret == 0 && ver.len ? ver.buf : "-");
			strbuf_release(&ver);
		}
	}
	free(ccname);
	free(ldname);
}

/* The stamp's text without its config line: the inputs' digest, then the toolchain (caller frees). */
static char *config_inputs(const struct config_opts *c, const struct fragment_list *frags)
{
	struct strbuf in = STRBUF_INIT, tools = STRBUF_INIT;
	char hex[SHA256_HEX];
	char *p;
	const char *base = c->base ? c->base : "running";

	strbuf_addf(&in, "kbuild %s\ntree %s\nobjdir %s\narch %s\ncc %s\nbuiltin %d\nallow %d\njson %s\n", KB_VERSION,
		    c->tree, c->objdir, config_arch(c->arch) ? config_arch(c->arch) : "-", c->cc ? c->cc : "-",
		    c->builtin_wins, c->allow_unmet, c->json ? c->json : "-");
	p = xasprintf("%s/Makefile", c->tree);
	digest_file(&in, "makefile", p);
	free(p);
	p = xasprintf("%s/%s/ledger", c->tree, LEDGER_DIR);
	digest_file(&in, "ledger", p);
	free(p);
	if (str_eq(base, "running")) {
		struct strbuf run = STRBUF_INIT;

		if (fs_read_gz("/proc/config.gz", &run) == 0)
			sha256_hex(run.buf, run.len, hex);
		else
			strcpy(hex, "-");
		strbuf_addf(&in, "base running %s\n", hex);
		strbuf_release(&run);
	} else if (fs_is_file(base)) {
		digest_file(&in, "base", base);
	} else {
		strbuf_addf(&in, "base %s\n", base);
	}
	for (size_t i = 0; i < frags->nr; i++)
		digest_file(&in, "fragment", frags->items[i].path);
	if (c->json && !fs_is_file(c->json))
		strbuf_addstr(&in, "json missing\n");
	sha256_hex(in.buf, in.len, hex);
	strbuf_addf(&tools, "inputs %s\n", hex);
	config_toolchain(c->cc, &tools);
	strbuf_release(&in);
	return strbuf_detach(&tools, NULL);
}

const char *config_stamp_changed(const char *stamp, const char *want, struct strbuf *what)
{
	const char *reason = NULL;

	strbuf_reset(what);
	if (!stamp || !starts_with(stamp, "inputs "))
		return "no stamp";
	if (strncmp(stamp, want, strcspn(want, "\n") + 1))
		return "inputs";
	/* the toolchain: name each tool whose version is not the one the configuration was made with */
	for (const char *w = want + strcspn(want, "\n") + 1; *w; w += strcspn(w, "\n") + (w[strcspn(w, "\n")] ? 1 : 0)) {
		size_t len = strcspn(w, "\n");
		const char *name = w + 5, *found = NULL;
		size_t nlen = strcspn(name, " ");

		for (const char *s = stamp; *s; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] ? 1 : 0))
			if (!strncmp(s, w, 5 + nlen + 1)) {
				found = s;
				break;
			}
		if (found && strcspn(found, "\n") == len && !strncmp(found, w, len))
			continue;
		strbuf_addf(what, "%s%.*s", what->len ? ", " : "", (int)nlen, name);
		reason = "toolchain";
	}
	/* a stamp from before kbuild recorded the toolchain says nothing about it */
	if (reason && !strstr(stamp, "\ntool "))
		return "no stamp";
	return reason;
}

/* The stamp holds the inputs, the toolchain and the .config they produced: all must match to skip. */
static const char *config_unchanged(const char *stamp, const char *inputs, const char *dotconfig, struct strbuf *what)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[SHA256_HEX], *want;
	const char *reason;

	if (fs_read_file(stamp, &sb) < 0) {
		strbuf_release(&sb);
		return "no stamp";
	}
	reason = config_stamp_changed(sb.buf, inputs, what);
	if (!reason) {
		want = xasprintf("%sconfig %s\n", inputs, sha256_file(dotconfig, hex) < 0 ? "-" : hex);
		if (!str_eq(sb.buf, want))
			reason = "config";
		free(want);
	}
	strbuf_release(&sb);
	return reason;
}

static void config_stamp(const char *stamp, const char *inputs, const char *dotconfig)
{
	char hex[SHA256_HEX];
	char *text;

	if (sha256_file(dotconfig, hex) < 0)
		return;
	text = xasprintf("%sconfig %s\n", inputs, hex);
	fs_write_atomic(stamp, text, strlen(text), NULL);
	free(text);
}

int config_stage_check(struct kb_job *job)
{
	const struct config_opts *c = &job->o->config;
	struct strbuf err = STRBUF_INIT;
	int st = KB_OK;

	job->arch = config_arch(c->arch);
	for (size_t i = 0; i < c->nr_configs && st == KB_OK; i++)
		if (fragment_resolve(&job->frags, c->datadir, c->configs[i], &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
		}
	/* the base is read only when fragments are merged into it */
	if (st == KB_OK && c->nr_configs)
		st = check_base(c);
	strbuf_release(&err);
	return st;
}

/* What the metadata says the configuration was made from, and what it is. */
static void config_record(struct kb_job *job)
{
	struct kb_meta *m = &job->meta;
	struct strbuf run = STRBUF_INIT;
	char hex[SHA256_HEX];
	char *named = xasprintf("%s/base/.config", job->statedir);

	for (size_t i = 0; i < job->frags.nr; i++) {
		m->frags = xrealloc(m->frags, (m->nr_frags + 1) * sizeof(*m->frags));
		m->frags[m->nr_frags].path = xstrdup(job->frags.items[i].path);
		m->frags[m->nr_frags].sha256 = xstrdup(sha256_file(job->frags.items[i].path, hex) == 0 ? hex : "-");
		m->nr_frags++;
	}
	if (str_eq(m->base, "running") && fs_read_gz("/proc/config.gz", &run) == 0) {
		sha256_hex(run.buf, run.len, hex);
		m->base_sha256 = xstrdup(hex);
	} else if (fs_is_file(m->base) && sha256_file(m->base, hex) == 0) {
		m->base_sha256 = xstrdup(hex);
	} else if (fs_is_file(named) && sha256_file(named, hex) == 0) {
		m->base_sha256 = xstrdup(hex);
	}
	strbuf_release(&run);
	free(named);
	if (sha256_file(job->dotconfig, hex) == 0)
		m->config_sha256 = xstrdup(hex);
}

int config_stage(struct kb_job *job)
{
	struct config_opts *c = &job->o->config;
	char *stamp;
	int st;

	/* from here on it must be a kernel tree (a series may go anywhere) */
	st = config_check_tree(job->meta.tree, job->arch, &job->make.srcarch);
	if (st != KB_OK)
		return st;
	c->tree = job->meta.tree;
	c->objdir = job->objdir;
	c->cc = job->cc;
	c->env = job->env;
	c->guard = job->make.guard;
	job->meta.base = xstrdup(c->base ? c->base : "running");
	stamp = xasprintf("%s/config.stamp", job->statedir);
	if (c->nr_configs) {
		struct strbuf what = STRBUF_INIT;
		const char *why;

		job->config_inputs = config_inputs(c, &job->frags);
		why = config_unchanged(stamp, job->config_inputs, job->dotconfig, &what);
		if (!why) {
			kb_progress("CONFIG", "%s unchanged: base, fragments and tree as last time", job->dotconfig);
		} else {
			/* Kconfig's answers may differ now: configured again, so the build's syncconfig asks nothing */
			if (str_eq(why, "toolchain"))
				kb_progress("CONFIG", "the toolchain Kconfig reads changed (%s): configuring again", what.buf);
			else if (str_eq(why, "config"))
				kb_progress("CONFIG", "%s changed since the last run (edited by hand?): configuring again",
					    job->dotconfig);
			unlink(stamp);
			st = config_run(c);
			if (st == KB_OK)
				config_stamp(stamp, job->config_inputs, job->dotconfig);
			else if (st == KB_EENV)
				job->missing_tool = 1; /* make could not configure: a prerequisite may be missing */
		}
		strbuf_release(&what);
	} else if (!fs_is_file(job->dotconfig)) {
		kb_error("'%s' has no .config: give --config NAME (and --base) to make one", job->objdir);
		job->skipped = 1;
		st = KB_EUSAGE;
	} else {
		kb_progress("CONFIG", "%s (no --config: kept as it is)", job->dotconfig);
		job->skipped = 1;
	}
	free(stamp);
	config_record(job);
	return st;
}

void config_stamp_refresh(const struct kb_job *job)
{
	char *stamp = xasprintf("%s/config.stamp", job->statedir);

	/* the build's own syncconfig may have rewritten .config: the next run compares with this one */
	if (job->config_inputs && fs_is_file(stamp))
		config_stamp(stamp, job->config_inputs, job->dotconfig);
	free(stamp);
}

/* ---- a base from another kernel ---- */

/* "# Linux/x86 6.18.44 Kernel Configuration" among the lines before the first assignment. */
static int base_kernel_version(const struct cfg_file *base, int v[3])
{
	const char *line = base->data;

	for (int n = 1; base->nr && n < base->items[0].line && n <= 10; n++, line += strlen(line) + 1) {
		const char *p = line;
		int got;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!starts_with(p, "# Linux/") || !strstr(p, " Kernel Configuration"))
			continue;
		p = strchr(p, ' ');
		p = p ? strchr(p + 1, ' ') : NULL;
		v[2] = 0;
		got = p ? sscanf(p + 1, "%d.%d.%d", &v[0], &v[1], &v[2]) : 0;
		return got >= 2 ? 0 : -1;
	}
	return -1;
}

static int base_enables(const struct cfg_file *base, const char *name)
{
	for (size_t i = 0; i < base->nr; i++)
		if (str_eq(base->items[i].name, name))
			return str_eq(base->items[i].value, "y") || str_eq(base->items[i].value, "m");
	return 0;
}

int config_base_notes(const struct cfg_file *base, const struct kconfig *kc, struct strbuf *out)
{
	int v[3], n = 0;
	size_t enabled = 0;

	if (base_kernel_version(base, v) == 0 &&
	    v[0] * 1000000L + v[1] * 1000L + v[2] > kc->version * 1000000L + kc->patchlevel * 1000L + kc->sublevel) {
		strbuf_addf(out, "%s: note: the base is the configuration of Linux %d.%d.%d, newer than this tree "
			    "(%d.%d.%d): options added or renamed since %d.%d are dropped or take this tree's "
			    "defaults, so the new kernel is %d.%d's nearest match, not the same kernel\n",
			    base->path, v[0], v[1], v[2], kc->version, kc->patchlevel, kc->sublevel, kc->version,
			    kc->patchlevel, kc->version, kc->patchlevel);
		n++;
	}
	for (size_t i = 0; i < base->nr; i++)
		enabled += str_eq(base->items[i].value, "y") || str_eq(base->items[i].value, "m");
	if (base->nr && enabled < CONFIG_SMALL_BASE) {
		strbuf_addf(out, "%s: note: the base enables %zu options where a distribution's configuration "
			    "enables over 5000 (%s): the new kernel drives only the hardware that kernel drives, plus "
			    "what the fragments add; for other hardware start from a distribution's configuration "
			    "(--base FILE)\n",
			    base->path, enabled,
			    base_enables(base, "SND") ? "a virtual machine's or cloud kernel's"
						      : "a virtual machine's or cloud kernel's, without sound drivers");
		n++;
	}
	return n;
}

const char *config_drop_base_localversion(struct cfg_merge *m, struct strbuf *out)
{
	struct cfg_entry *e = cfg_merge_get(m, "LOCALVERSION");
	const char *old;

	if (!e || e->request || !e->base || str_eq(e->cur.value, "\"\"") || e->cur.not_set)
		return NULL;
	old = e->cur.value;
	strbuf_addf(out, "%s:%d: note: CONFIG_LOCALVERSION=%s names the base's kernel: not carried into this one "
		    "(a fragment line CONFIG_LOCALVERSION=\"...\" sets one)\n", e->base->file, e->base->line, old);
	cfg_merge_set_derived(m, "LOCALVERSION", "\"\"");
	return old;
}
