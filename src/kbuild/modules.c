/* modules.c - a built kernel's modules: staged by its own modules_install, requests resolved and configuration listed with libkmod */
#define _GNU_SOURCE
#include "modules.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fs.h"
#include "log.h"
#include "util.h"

/* ---- modprobe.d syntax, checked before libkmod reads it (libkmod only logs and skips a bad line) ---- */

struct conf_alias {
	char *pattern, *module, *file;
	int line;
};

/* an options line: the module and its parameter names, where it is */
struct conf_options {
	char *module, *file;
	char **params;
	int nr_params, line;
};

struct conf_check {
	int errors;
	struct conf_alias *aliases;  /* the alias lines, where they are */
	size_t nr_aliases;
	struct conf_options *options;
	size_t nr_options;
};

/* modules name their files with - or _ alike; kmod's names use _ */
static char *normalized(const char *name)
{
	char *s = xstrdup(name);

	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* The words of a logical line (continuations joined), split at blanks, in place. */
static int split_words(char *line, char **w, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *p = strtok_r(line, " \t", &save); p && n < max; p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	return n;
}

/* One logical line of a modprobe.d file, as modprobe.d(5) defines the commands. */
static void check_line(struct conf_check *cc, const char *file, int lineno, char *line)
{
	char *w[64];
	int n = split_words(line, w, 64);

	if (!n)
		return;
	if (str_eq(w[0], "alias")) {
		struct conf_alias *al;

		if (n != 3)
			goto bad_args;
		cc->aliases = xrealloc(cc->aliases, (cc->nr_aliases + 1) * sizeof(*cc->aliases));
		al = &cc->aliases[cc->nr_aliases++];
		al->pattern = normalized(w[1]);
		al->module = xstrdup(w[2]);
		al->file = xstrdup(file);
		al->line = lineno;
	} else if (str_eq(w[0], "options")) {
		struct conf_options *op;

		if (n < 2)
			goto bad_args;
		cc->options = xrealloc(cc->options, (cc->nr_options + 1) * sizeof(*cc->options));
		op = &cc->options[cc->nr_options++];
		op->module = xstrdup(w[1]);
		op->file = xstrdup(file);
		op->line = lineno;
		op->nr_params = n - 2;
		op->params = xcalloc((size_t)n, sizeof(*op->params));
		for (int i = 2; i < n; i++) {
			size_t len = strcspn(w[i], "=");

			/* a parameter's name is matched with - and _ alike, as the kernel does */
			op->params[i - 2] = xasprintf("%.*s", (int)len, w[i]);
			for (char *q = op->params[i - 2]; *q; q++)
				if (*q == '-')
					*q = '_';
		}
	} else if (str_eq(w[0], "install") || str_eq(w[0], "remove")) {
		if (n < 3)
			goto bad_args;
	} else if (str_eq(w[0], "blacklist")) {
		if (n != 2)
			goto bad_args;
	} else if (str_eq(w[0], "softdep")) {
		int mode = 0, names = 0;

		if (n < 3)
			goto bad_args;
		for (int i = 2; i < n; i++) {
			if (str_eq(w[i], "pre:") || str_eq(w[i], "post:"))
				mode = 1;
			else if (mode)
				names++;
			else {
				kb_diag(KB_ERROR, file, lineno, "softdep %s: '%s' before any 'pre:' or 'post:'", w[1], w[i]);
				cc->errors++;
				return;
			}
		}
		if (!names)
			goto bad_args;
	} else if (str_eq(w[0], "weakdep")) {
		if (n < 3)
			goto bad_args;
	} else if (str_eq(w[0], "include") || str_eq(w[0], "config")) {
		/* module-init-tools commands that kmod ignores */
		kb_diag(KB_WARNING, file, lineno, "'%s' is not a modprobe.d command kmod knows: the line is ignored", w[0]);
	} else {
		kb_diag(KB_ERROR, file, lineno,
			"unknown command '%s' (modprobe.d knows alias, options, install, remove, blacklist, softdep)", w[0]);
		cc->errors++;
	}
	return;
bad_args:
	kb_diag(KB_ERROR, file, lineno, "'%s' needs %s", w[0],
		str_eq(w[0], "alias") ? "a name and a module: alias NAME MODULE" :
		str_eq(w[0], "options") ? "a module: options MODULE [OPTION=VALUE...]" :
		str_eq(w[0], "install") ? "a module and a command: install MODULE COMMAND..." :
		str_eq(w[0], "remove") ? "a module and a command: remove MODULE COMMAND..." :
		str_eq(w[0], "blacklist") ? "one module: blacklist MODULE" :
		str_eq(w[0], "weakdep") ? "a module and another: weakdep MODULE MODULE..." :
		"a module and its dependencies: softdep MODULE pre: MODULE... post: MODULE...");
	cc->errors++;
}

static void check_text(struct conf_check *cc, const char *path, char *text)
{
	struct strbuf logical = STRBUF_INIT;
	int lineno = 0, start = 0;

	for (char *p = text, *end; p && *p; p = end ? end + 1 : NULL) {
		size_t len;

		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		lineno++;
		if (!logical.len)
			start = lineno;
		if (!logical.len && (len == 0 || p[0] == '#'))
			continue;
		/* a backslash at the end continues the line */
		if (len && p[len - 1] == '\\') {
			strbuf_add(&logical, p, len - 1);
			strbuf_addch(&logical, ' ');
			continue;
		}
		strbuf_add(&logical, p, len);
		check_line(cc, path, start, logical.buf);
		strbuf_reset(&logical);
	}
	if (logical.len)
		check_line(cc, path, start, logical.buf);
	strbuf_release(&logical);
}

static int check_file(struct conf_check *cc, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = fs_read_file(path, &sb);

	if (ret < 0) {
		kb_error("cannot read '%s': %s", path, strerror(-ret));
		strbuf_release(&sb);
		return ret;
	}
	check_text(cc, path, sb.buf);
	strbuf_release(&sb);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or a directory's *.conf files in name order (as kmod reads them). */
static int check_path(struct conf_check *cc, const char *path)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (!fs_is_dir(path)) {
		if (!fs_is_file(path)) {
			kb_error("modprobe.d configuration '%s': %s", path, strerror(ENOENT));
			return -ENOENT;
		}
		return check_file(cc, path);
	}
	d = opendir(path);
	if (!d) {
		kb_error("cannot read '%s': %s", path, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 6 || !str_eq(e->d_name + len - 5, ".conf"))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!ret)
			ret = check_file(cc, names[i]);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* ---- the staged modules ---------------------------------------------------------------------- */

static char *read_release(const char *objdir)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/include/config/kernel.release", objdir), *rel = NULL;

	if (fs_read_file(path, &sb) == 0) {
		while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == ' '))
			strbuf_setlen(&sb, sb.len - 1);
		if (sb.len)
			rel = strbuf_detach(&sb, NULL);
	}
	strbuf_release(&sb);
	free(path);
	return rel;
}

static time_t mtime_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mtime : (time_t)-1;
}

/* Is the staged modules.dep at least as new as modules.order, modules.builtin.modinfo and every module? */
static int stage_current(const char *objdir, const char *dep)
{
	struct strbuf order = STRBUF_INIT;
	time_t staged = mtime_of(dep);
	char *path = xasprintf("%s/modules.order", objdir);
	int ok = staged != (time_t)-1 && fs_read_file(path, &order) == 0 && mtime_of(path) <= staged;

	free(path);
	path = xasprintf("%s/modules.builtin.modinfo", objdir);
	ok = ok && mtime_of(path) <= staged;
	free(path);
	for (char *p = order.buf, *end; ok && p && *p; p = end ? end + 1 : NULL) {
		size_t len;

		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 2 && p[len - 2] == '.' && p[len - 1] == 'o') {
			char *ko = xasprintf("%s/%.*sko", objdir, (int)(len - 1), p);
			time_t t = mtime_of(ko);

			ok = t != (time_t)-1 && t <= staged;
			free(ko);
		}
	}
	strbuf_release(&order);
	return ok;
}

enum kb_status modules_stage(const struct modules_opts *o, char **dirname)
{
	const char *objdir = o->inst.make.objdir;
	char *release = read_release(objdir), *root = NULL, *dir = NULL, *dep = NULL, *cfg = NULL;
	struct strbuf config = STRBUF_INIT;
	enum kb_status st = KB_OK;

	*dirname = NULL;
	cfg = xasprintf("%s/.config", objdir);
	if (!release || fs_read_file(cfg, &config) < 0) {
		kb_error("'%s' holds no built kernel: build it first (kbuild --tree SRC -O %s ...)", objdir, objdir);
		st = KB_EENV;
		goto out;
	}
	if (!strstr(config.buf, "\nCONFIG_MODULES=y\n")) {
		kb_error("'%s' was built without loadable modules (CONFIG_MODULES is not set): "
			 "every driver is built in, nothing is loaded on request (add the modules fragment)", objdir);
		st = KB_EENV;
		goto out;
	}
	root = xasprintf("%s/.kbuild/modules", objdir);
	dir = xasprintf("%s/lib/modules/%s", root, release);
	dep = xasprintf("%s/modules.dep", dir);
	if (!stage_current(objdir, dep)) {
		struct install_opts inst = o->inst;
		int ret = fs_remove_tree(root);

		if (ret < 0 && ret != -ENOENT) {
			kb_error("cannot remove '%s': %s", root, strerror(-ret));
			st = KB_EENV;
			goto out;
		}
		if ((ret = fs_mkdir_p(root, 0755)) < 0) {
			kb_error("cannot create '%s': %s", root, strerror(-ret));
			st = KB_EENV;
			goto out;
		}
		inst.destdir = root;
		/* a copy to look things up in: the debug info stays in the build */
		inst.strip = 1;
		st = install_modules(&inst, release);
		if (st != KB_OK)
			goto out;
	}
	*dirname = dir;
	dir = NULL;
out:
	strbuf_release(&config);
	free(release);
	free(root);
	free(dir);
	free(dep);
	free(cfg);
	return st;
}

/* ---- libkmod ---------------------------------------------------------------------------------- */

static void conf_check_release(struct conf_check *cc)
{
	for (size_t i = 0; i < cc->nr_aliases; i++) {
		free(cc->aliases[i].pattern);
		free(cc->aliases[i].module);
		free(cc->aliases[i].file);
	}
	free(cc->aliases);
	for (size_t i = 0; i < cc->nr_options; i++) {
		for (int j = 0; j < cc->options[i].nr_params; j++)
			free(cc->options[i].params[j]);
		free(cc->options[i].params);
		free(cc->options[i].module);
		free(cc->options[i].file);
	}
	free(cc->options);
	memset(cc, 0, sizeof(*cc));
}

/* A module of the build: 1 loadable, 2 built in, 0 not there; its parameter names into `params` (space-separated, with spaces around). */
static int module_params(struct kmod_ctx *ctx, const char *name, struct strbuf *params)
{
	struct kmod_module *m;
	struct kmod_list *info = NULL, *l;
	int kind;

	if (kmod_module_new_from_name(ctx, name, &m) < 0)
		return 0;
	if (kmod_module_get_info(m, &info) < 0) {
		kmod_module_unref(m);
		return 0;
	}
	kind = kmod_module_get_path(m) ? 1 : 2;
	strbuf_addch(params, ' ');
	kmod_list_foreach(l, info) {
		if (str_eq(kmod_module_info_get_key(l), "parm")) {
			const char *v = kmod_module_info_get_value(l);

			strbuf_addf(params, "%.*s ", (int)strcspn(v, ":"), v);
		}
	}
	kmod_module_info_free_list(info);
	kmod_module_unref(m);
	return kind;
}

/* Each options line against the build's modinfo: an unknown module or parameter, or a built-in driver, is a warning with file:line. */
static void conf_validate(struct kmod_ctx *ctx, const struct conf_check *cc)
{
	for (size_t i = 0; i < cc->nr_options; i++) {
		const struct conf_options *op = &cc->options[i];
		struct strbuf params = STRBUF_INIT;
		int kind = module_params(ctx, op->module, &params);

		if (!kind) {
			kb_diag(KB_WARNING, op->file, op->line, "options %s: this build has no module %s", op->module,
				op->module);
		} else if (kind == 2) {
			kb_diag(KB_WARNING, op->file, op->line,
				"options %s: %s is built into this kernel, where modprobe.d does not reach it: "
				"give its options on the kernel command line (%s.PARAM=VALUE)", op->module, op->module,
				op->module);
		}
		for (int j = 0; kind && j < op->nr_params; j++) {
			char *key = xasprintf(" %s ", op->params[j]);

			if (!strstr(params.buf, key)) {
				if (params.len > 1)
					kb_diag(KB_WARNING, op->file, op->line,
						"options %s: %s has no parameter '%s' in this build (it has:%.*s)", op->module,
						op->module, op->params[j], (int)params.len - 1, params.buf);
				else
					kb_diag(KB_WARNING, op->file, op->line,
						"options %s: %s has no parameters in this build, not '%s'", op->module,
						op->module, op->params[j]);
			}
			free(key);
		}
		strbuf_release(&params);
	}
}

/* The modprobe.d files the run uses, checked line by line before anything else happens. */
static enum kb_status read_conf(const struct modules_opts *o, struct conf_check *cc)
{
	/* kmod's own list; libkmod reads the same when given none */
	static const char *const system_conf[] = { "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
						   "/lib/modprobe.d", NULL };
	const char *const *conf = o->conf ? o->conf : system_conf;

	for (size_t i = 0; conf[i]; i++) {
		int ret;

		/* the system's directories may be missing; a path the user gave may not */
		if (!o->conf && !fs_is_dir(conf[i]))
			continue;
		ret = check_path(cc, conf[i]);
		if (ret < 0)
			return ret == -ENOENT ? KB_EUSAGE : KB_EENV;
	}
	return cc->errors ? KB_EUSAGE : KB_OK;
}

static enum kb_status open_kmod(const struct modules_opts *o, const char *dirname, struct kmod_ctx **ctx,
				struct conf_check *cc)
{
	const char *const *conf = o->conf;

	*ctx = kmod_new(dirname, conf);
	if (!*ctx) {
		kb_error("libkmod cannot read the modules in '%s'", dirname);
		return KB_EENV;
	}
	conf_validate(*ctx, cc);
	if (kmod_load_resources(*ctx) < 0) {
		kb_error("libkmod cannot load the indexes in '%s' (modules.dep.bin, modules.alias.bin: run depmod)",
			 dirname);
		kmod_unref(*ctx);
		*ctx = NULL;
		return KB_EENV;
	}
	return KB_OK;
}

/* The modprobe.d alias line that answers `request` (kmod matches the pattern against the request, both with _ for -), or NULL. */
static const struct conf_alias *config_alias(const struct conf_check *cc, const char *request)
{
	char *norm = normalized(request);
	const struct conf_alias *found = NULL;

	for (size_t i = 0; i < cc->nr_aliases && !found; i++)
		if (fnmatch(cc->aliases[i].pattern, norm, 0) == 0)
			found = &cc->aliases[i];
	free(norm);
	return found;
}

/* print_action has no user data: the load order is collected here */
static struct strbuf *actions;
static const char *actions_dir;

static void collect_action(struct kmod_module *m, bool install, const char *opts)
{
	const char *path = kmod_module_get_path(m);
	size_t dl = strlen(actions_dir), ol = opts ? strlen(opts) : 0;
	char *options;

	while (ol && opts[ol - 1] == ' ')
		ol--;
	options = xasprintf("%.*s", (int)ol, opts ? opts : "");

	if (install) {
		strbuf_addf(actions, "    install %s: %s%s%s\n", kmod_module_get_name(m),
			    kmod_module_get_install_commands(m), *options ? " " : "", options);
	} else if (!path) {
		strbuf_addf(actions, "    %s: built in\n", kmod_module_get_name(m));
	} else {
		if (strncmp(path, actions_dir, dl) == 0 && path[dl] == '/')
			path += dl + 1;
		strbuf_addf(actions, "    insmod %s%s%s\n", path, *options ? " " : "", options);
	}
	free(options);
}

static enum kb_status resolve_one(struct kmod_ctx *ctx, const struct conf_check *cc, const char *dirname,
				  const char *request, struct strbuf *out)
{
	struct kmod_list *list = NULL, *l;
	const struct conf_alias *al = config_alias(cc, request);
	char *norm = normalized(request);
	char *alias = al ? xasprintf("the alias %s in %s:%d", al->module, al->file, al->line) : NULL;
	enum kb_status st = KB_OK;
	int err = kmod_module_new_from_lookup(ctx, request, &list), n = 0, loaded = 0;

	if (err < 0) {
		kb_error("%s: libkmod lookup failed: %s", request, strerror(-err));
		st = KB_EENV;
		goto out;
	}
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(m);
		struct strbuf acts = STRBUF_INIT;

		n++;
		strbuf_addf(out, "%s: %s, by %s", request, name,
			    alias ? alias : str_eq(name, norm) ? "its module name" :
			    kmod_module_get_path(m) ? "modules.alias" : "an alias of a built-in module");
		if (!kmod_module_get_path(m)) {
			strbuf_addstr(out, ": built in, nothing to load\n");
			loaded++;
			kmod_module_unref(m);
			continue;
		}
		/* what modprobe does for a request: the blacklist stops aliases, never a module's own name */
		actions = &acts;
		actions_dir = dirname;
		err = kmod_module_probe_insert_module(m, KMOD_PROBE_DRY_RUN | KMOD_PROBE_IGNORE_LOADED |
							 KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
						      NULL, NULL, NULL, collect_action);
		actions = NULL;
		if (err == KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY) {
			strbuf_addstr(out, ": blacklisted in modprobe.d, not loaded for an alias\n");
		} else if (err < 0) {
			strbuf_addf(out, ": cannot be loaded: %s\n", strerror(-err));
		} else {
			strbuf_addstr(out, "; load order:\n");
			strbuf_add(out, acts.buf, acts.len);
			loaded++;
		}
		strbuf_release(&acts);
		kmod_module_unref(m);
	}
	if (!n) {
		strbuf_addf(out, "%s: nothing answers this request (no modprobe.d alias, module, modules.alias entry "
			    "or built-in module of that name)", request);
		/* fs/char_dev.c and block/genhd.c ask for the major with its minor first */
		if (!strncmp(request, "char-major-", 11) || !strncmp(request, "block-major-", 12)) {
			const char *p = request + (request[0] == 'c' ? 11 : 12);

			if (*p && strspn(p, "0123456789") == strlen(p))
				strbuf_addf(out, "; the kernel asks for %s-MINOR first, which aliases such as %s-* answer",
					    request, request);
		}
		strbuf_addch(out, '\n');
	}
	if (!loaded)
		st = KB_FAILED;
out:
	kmod_module_unref_list(list);
	free(norm);
	free(alias);
	return st;
}

/* What resolve and list share: the configuration checked, the modules staged, libkmod opened on both. */
struct session {
	struct kmod_ctx *ctx;
	struct conf_check cc;
	char *dirname;
};

static enum kb_status session_open(const struct modules_opts *o, struct session *s)
{
	enum kb_status st;

	memset(s, 0, sizeof(*s));
	st = read_conf(o, &s->cc);
	if (st == KB_OK)
		st = modules_stage(o, &s->dirname);
	if (st == KB_OK)
		st = open_kmod(o, s->dirname, &s->ctx, &s->cc);
	return st;
}

static void session_close(struct session *s)
{
	if (s->ctx)
		kmod_unref(s->ctx);
	conf_check_release(&s->cc);
	free(s->dirname);
}

enum kb_status modules_resolve(const struct modules_opts *o, const char *const *requests, int n, struct strbuf *out)
{
	struct session ss;
	enum kb_status st = session_open(o, &ss);

	for (int i = 0; st != KB_EENV && st != KB_EUSAGE && i < n; i++) {
		enum kb_status r = resolve_one(ss.ctx, &ss.cc, ss.dirname, requests[i], out);

		/* an environment error outranks a request that loads nothing */
		if (r == KB_EENV || st == KB_OK)
			st = r;
	}
	session_close(&ss);
	return st;
}

/* An index dumped by libkmod to a file descriptor, read back. */
static int dump_index(struct kmod_ctx *ctx, enum kmod_index idx, struct strbuf *out)
{
	FILE *fp = tmpfile();
	char buf[65536];
	size_t n;
	int err;

	if (!fp)
		return -errno;
	err = kmod_dump_index(ctx, idx, fileno(fp));
	if (err >= 0) {
		rewind(fp);
		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			strbuf_add(out, buf, n);
	}
	fclose(fp);
	return err < 0 ? err : 0;
}

static void config_section(struct strbuf *out, struct kmod_config_iter *it, const char *cmd, int with_value)
{
	while (it && kmod_config_iter_next(it)) {
		if (with_value)
			strbuf_addf(out, "%s %s %s\n", cmd, kmod_config_iter_get_key(it), kmod_config_iter_get_value(it));
		else
			strbuf_addf(out, "%s %s\n", cmd, kmod_config_iter_get_key(it));
	}
	kmod_config_iter_free_iter(it);
}

enum kb_status modules_list(const struct modules_opts *o, struct strbuf *out)
{
	struct session ss;
	enum kb_status st = session_open(o, &ss);
	int err;

	if (st == KB_OK) {
		/* the order and the words of modprobe -c */
		config_section(out, kmod_config_get_blacklists(ss.ctx), "blacklist", 0);
		config_section(out, kmod_config_get_install_commands(ss.ctx), "install", 1);
		config_section(out, kmod_config_get_remove_commands(ss.ctx), "remove", 1);
		config_section(out, kmod_config_get_aliases(ss.ctx), "alias", 1);
		config_section(out, kmod_config_get_options(ss.ctx), "options", 1);
		config_section(out, kmod_config_get_softdeps(ss.ctx), "softdep", 1);
		strbuf_addstr(out, "\n# End of configuration files. Dumping indexes now:\n\n");
		if ((err = dump_index(ss.ctx, KMOD_INDEX_MODULES_ALIAS, out)) < 0 ||
		    (err = dump_index(ss.ctx, KMOD_INDEX_MODULES_SYMBOL, out)) < 0) {
			kb_error("cannot dump the module indexes of '%s': %s", ss.dirname, strerror(-err));
			st = KB_EENV;
		}
	}
	session_close(&ss);
	return st;
}

/* ---- kbuild modules config ------------------------------------------------------------------- */

/* Module names from a list of paths (modules.order: .o, modules.builtin: .ko), with _ for -, into `names`. */
static void module_names(const char *path, struct strbuf *names)
{
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, &sb) < 0)
		return;
	for (char *p = sb.buf, *end; p && *p; p = end ? end + 1 : NULL) {
		size_t len;
		const char *base;

		end = strchr(p, '\n');
		if (end)
			*end = '\0';
		base = strrchr(p, '/');
		base = base ? base + 1 : p;
		len = strcspn(base, ".");
		if (!len)
			continue;
		strbuf_addch(names, ' ');
		for (size_t i = 0; i < len; i++)
			strbuf_addch(names, base[i] == '-' ? '_' : base[i]);
	}
	if (names->len)
		strbuf_addch(names, ' ');
	strbuf_release(&sb);
}

struct card_driver {
	char *name;   /* with _ */
	int builtin;
	int order;    /* 0 USB, 1 other hardware, 2 the test cards */
};

static int cmp_driver(const void *a, const void *b)
{
	const struct card_driver *x = a, *y = b;

	return x->order != y->order ? x->order - y->order : strcmp(x->name, y->name);
}

static int is_test_card(const char *name)
{
	return str_eq(name, "snd_dummy") || str_eq(name, "snd_aloop") || str_eq(name, "snd_virmidi");
}

/* The written name of a module: - as its file has it. */
static char *dashed(const char *name)
{
	char *s = xstrdup(name);

	for (char *p = s; *p; p++)
		if (*p == '_')
			*p = '-';
	return s;
}

/* One setting: an options line for a loadable module, or a kernel command-line word for a built-in one. */
static void setting(struct strbuf *file, struct strbuf *cmdline, const char *module, int builtin, const char *params)
{
	char *d = dashed(module);

	if (builtin) {
		char *copy = xstrdup(params), *save = NULL;

		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			strbuf_addf(cmdline, "%s%s.%s", cmdline->len ? " " : "", module, w);
		strbuf_addf(file, "# %s %s: built in, so on the kernel command line (see the end)\n", d, params);
		free(copy);
	} else {
		strbuf_addf(file, "options %s %s\n", d, params);
	}
	free(d);
}

enum kb_status modules_config(const struct modules_opts *o, const char *profile, const char *output,
			      struct strbuf *out)
{
	struct kmod_ctx *ctx = NULL;
	struct conf_check cc = { 0 };
	struct strbuf names = STRBUF_INIT, builtins = STRBUF_INIT, file = STRBUF_INIT, cmdline = STRBUF_INIT;
	struct card_driver *cards = NULL;
	size_t ncards = 0;
	char *dirname = NULL, *release = NULL, *path;
	static const char *const none[] = { NULL };
	struct modules_opts plain = *o;
	enum kb_status st;
	int hw = 0, err;

	if (!str_eq(profile, "audio")) {
		kb_error("--profile '%s': the one profile is audio", profile);
		return KB_EUSAGE;
	}
	if (output && str_eq(output, "-"))
		output = NULL; /* -o -: standard output, as without -o */
	st = modules_stage(o, &dirname);
	if (st != KB_OK)
		goto out;
	/* the build's own modules, not the system's configuration, decide what is written */
	plain.conf = none;
	st = open_kmod(&plain, dirname, &ctx, &cc);
	if (st != KB_OK)
		goto out;
	release = read_release(o->inst.make.objdir);
	path = xasprintf("%s/modules.order", o->inst.make.objdir);
	module_names(path, &names);
	free(path);
	path = xasprintf("%s/modules.builtin", o->inst.make.objdir);
	module_names(path, &builtins);
	free(path);
	for (int pass = 0; pass < 2; pass++) {
		struct strbuf *list = pass ? &builtins : &names;
		char *copy = xstrdup(list->buf), *save = NULL;

		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			struct strbuf params = STRBUF_INIT;

			/* a sound card driver: snd_* with an index parameter */
			if (!strncmp(w, "snd_", 4) && module_params(ctx, w, &params) && strstr(params.buf, " index ")) {
				cards = xrealloc(cards, (ncards + 1) * sizeof(*cards));
				cards[ncards].name = xstrdup(w);
				cards[ncards].builtin = pass;
				cards[ncards].order = is_test_card(w) ? 2 : !strncmp(w, "snd_usb", 7) ? 0 : 1;
				ncards++;
			}
			strbuf_release(&params);
		}
		free(copy);
	}
	qsort(cards, ncards, sizeof(*cards), cmp_driver);

	strbuf_addf(&file, "# modprobe.d settings for low-latency audio on %s, written by kbuild modules config "
		    "--profile %s.\n", release ? release : "this build", profile);
	strbuf_addstr(&file, "# Install it as /etc/modprobe.d/kbuild-audio.conf; a driver reads it when it loads.\n\n");

	strbuf_addstr(&file, "# Card order. ALSA numbers the cards in the order their drivers load, and card 0\n"
			     "# is the default device of most programs: give each driver its slot, the USB\n"
			     "# interface first, the onboard sound after it.\n");
	for (size_t i = 0; i < ncards; i++) {
		char *p;

		if (cards[i].order == 2)
			continue;
		p = xasprintf("index=%d", hw++);
		setting(&file, &cmdline, cards[i].name, cards[i].builtin, p);
		free(p);
	}
	if (!hw)
		strbuf_addstr(&file, "# (this build has no sound card driver but the test cards)\n");
	strbuf_addstr(&file, "# The test cards never take slot 0 (index=-2: the first free slot after it).\n");
	for (size_t i = 0; i < ncards; i++)
		if (cards[i].order == 2)
			setting(&file, &cmdline, cards[i].name, cards[i].builtin, "index=-2");

	{
		struct strbuf params = STRBUF_INIT;
		int kind = module_params(ctx, "snd_hda_intel", &params);

		if (kind) {
			strbuf_addstr(&file, "\n# HD Audio power saving off: a codec or controller that powers down clicks and\n"
					     "# takes milliseconds to come back, a dropout at the start of every sound.\n");
			if (strstr(params.buf, " power_save ") && strstr(params.buf, " power_save_controller "))
				setting(&file, &cmdline, "snd_hda_intel", kind == 2, "power_save=0 power_save_controller=N");
			else
				strbuf_addstr(&file, "# (snd-hda-intel has no power_save parameter in this build: without "
						     "CONFIG_PM it never powers down)\n");
		}
		strbuf_release(&params);
		strbuf_reset(&params);
		kind = module_params(ctx, "snd_usb_audio", &params);
		if (kind && strstr(params.buf, " lowlatency ")) {
			strbuf_addstr(&file, "\n# USB audio: playback in the low-latency mode, which sends each period as soon as it\n"
					     "# is written instead of queueing more URBs (the default, pinned here).\n");
			setting(&file, &cmdline, "snd_usb_audio", kind == 2, "lowlatency=1");
		}
		strbuf_release(&params);
		strbuf_reset(&params);
		if (module_params(ctx, "snd_seq", &params) == 1 && module_params(ctx, "snd_hrtimer", &params) == 1) {
			strbuf_addstr(&file, "\n# The sequencer's queues run on the high-resolution timer "
					     "(SND_SEQ_HRTIMER_DEFAULT):\n# load snd-hrtimer before snd-seq.\n"
					     "softdep snd-seq pre: snd-hrtimer\n");
		}
		strbuf_release(&params);
	}
	if (cmdline.len)
		strbuf_addf(&file, "\n# Built-in drivers take their options from the kernel command line, not from this\n"
				   "# file; add to it (GRUB_CMDLINE_LINUX in /etc/default/grub):\n#   %s\n", cmdline.buf);

	/* what was written must itself pass the checks against the build */
	{
		struct conf_check check = { 0 };

		check_text(&check, output ? output : "<standard output>", file.buf);
		conf_validate(ctx, &check);
		if (check.errors)
			BUG("modules config wrote a line it cannot read");
		conf_check_release(&check);
	}
	if (output) {
		err = fs_write_atomic(output, file.buf, file.len, NULL);
		if (err < 0) {
			kb_error("cannot write '%s': %s", output, strerror(-err));
			st = KB_EENV;
			goto out;
		}
		strbuf_addf(out, "kbuild: wrote %s: %d card driver%s in order%s\n", output, hw, hw == 1 ? "" : "s",
			    cmdline.len ? "; for the built-in drivers boot with:" : "");
		if (cmdline.len)
			strbuf_addf(out, "  %s\n", cmdline.buf);
	} else {
		strbuf_add(out, file.buf, file.len);
	}
out:
	if (ctx)
		kmod_unref(ctx);
	conf_check_release(&cc);
	for (size_t i = 0; i < ncards; i++)
		free(cards[i].name);
	free(cards);
	strbuf_release(&names);
	strbuf_release(&builtins);
	strbuf_release(&file);
	strbuf_release(&cmdline);
	free(dirname);
	free(release);
	return st;
}

/* ---- kbuild modules spy: kdstat debug for today's kernels ------------------------------------- */

#define SPY_MARK "written by kbuild modules spy"

static volatile sig_atomic_t spy_signal;

static void spy_on_signal(int sig)
{
	spy_signal = sig;
}

/* The first line of a small file, without its newline (caller frees), or NULL. */
static char *first_line(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	if (fs_read_file(path, &sb) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	sb.buf[strcspn(sb.buf, "\n")] = '\0';
	s = xstrdup(sb.buf);
	strbuf_release(&sb);
	return s;
}

static int write_sysctl(const char *path, const char *value)
{
	FILE *fp = fopen(path, "w");
	int err = 0;

	if (!fp)
		return -errno;
	if (fprintf(fp, "%s\n", value) < 0)
		err = -EIO;
	if (fclose(fp) != 0 && !err)
		err = -errno;
	return err;
}

static double uptime_now(void)
{
	char *s = first_line("/proc/uptime");
	double up = s ? strtod(s, NULL) : 0;

	free(s);
	return up;
}

/* Is `pid` a running kbuild (the spy that wrote the state)? */
static int spy_alive(long pid)
{
	char *path = xasprintf("/proc/%ld/cmdline", pid);
	struct strbuf sb = STRBUF_INIT;
	int alive = pid > 0 && pid != (long)getpid() && fs_read_file(path, &sb) == 0 && strstr(sb.buf, "kbuild");

	strbuf_release(&sb);
	free(path);
	return alive;
}

/*
 * A wrapper left by a spy that did not end cleanly (killed, crashed) still sits in the sysctl:
 * put the modprobe it replaced back. 0 when nothing was left over or it was repaired; an exit code.
 */
static enum kb_status spy_repair(const struct spy_opts *o, const char *wrapper, const char *state)
{
	char *cur = first_line(o->sysctl), *orig = NULL, *pidline = NULL;
	struct strbuf sb = STRBUF_INIT;
	enum kb_status st = KB_OK;
	int err;

	if (!cur) {
		kb_error("cannot read '%s': %s (a kernel without module loading has none)", o->sysctl, strerror(errno));
		return KB_EENV;
	}
	if (!str_eq(cur, wrapper))
		goto out;
	if (fs_read_file(state, &sb) == 0) {
		char *nl = strchr(sb.buf, '\n');

		if (nl) {
			*nl = '\0';
			pidline = xstrdup(nl + 1);
		}
		orig = xstrdup(sb.buf);
	}
	if (pidline && spy_alive(strtol(pidline, NULL, 10))) {
		kb_error("another kbuild modules spy (pid %ld) is running: %s points at its wrapper",
			 strtol(pidline, NULL, 10), o->sysctl);
		st = KB_EENV;
		goto out;
	}
	if (!orig || !*orig) {
		free(orig);
		orig = xstrdup("/sbin/modprobe");
		kb_warning("%s pointed at a left-over spy wrapper and its state is lost: setting it to %s", o->sysctl, orig);
	}
	err = write_sysctl(o->sysctl, orig);
	if (err < 0) {
		kb_error("cannot restore '%s' to '%s': %s", o->sysctl, orig, strerror(-err));
		st = KB_EENV;
		goto out;
	}
	printf("kbuild: repaired a spy that did not end cleanly: %s was %s, restored to %s\n", o->sysctl, wrapper, orig);
	unlink(state);
	unlink(wrapper);
out:
	strbuf_release(&sb);
	free(cur);
	free(orig);
	free(pidline);
	return st;
}

/* One line of the wrapper's log: "UP\tEND\tSTATUS\tLOADED\tARGS", shown and kept. */
static void spy_report(const char *line, double up0, double wall0, struct strbuf *log, int *nreq, int *nfail)
{
	char *copy = xstrdup(line), *f[5] = { 0 }, *p = copy;
	const char *req;
	double up, end, wall;
	time_t secs;
	struct tm tm;
	char clock[16];
	int status, n = 0;

	while (n < 5 && p) {
		f[n++] = p;
		p = n < 5 ? strchr(p, '\t') : NULL;
		if (p)
			*p++ = '\0';
	}
	if (n < 5) {
		free(copy);
		return;
	}
	up = strtod(f[0], NULL);
	end = strtod(f[1], NULL);
	status = atoi(f[2]);
	/* the kernel runs "modprobe -q -- NAME": the request is the last word */
	req = strrchr(f[4], ' ');
	req = req ? req + 1 : f[4];
	wall = wall0 + (up - up0);
	secs = (time_t)wall;
	localtime_r(&secs, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	strbuf_addf(log, "%s.%02d  +%.2f s  %s  exit %d, %.2f s: %s%s\n", clock, (int)((wall - (double)secs) * 100),
		    up - up0, req, status, end - up, *f[3] ? "loaded " : status ? "failed, nothing loaded" : "nothing new loaded",
		    f[3]);
	(*nreq)++;
	if (status)
		(*nfail)++;
	free(copy);
}

enum kb_status modules_spy(const struct spy_opts *o, int *cmd_status)
{
	char *wrapper = xasprintf("%s/modprobe-spy", o->state_dir), *state = xasprintf("%s/modprobe-spy.state", o->state_dir);
	char *logf = xasprintf("%s/modprobe-spy.log", o->state_dir), *orig = NULL, *script = NULL, *content = NULL;
	struct strbuf shown = STRBUF_INIT, raw = STRBUF_INIT;
	struct sigaction sa = { .sa_handler = spy_on_signal }, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	enum kb_status st;
	double up0, wall0, start;
	size_t done = 0;
	pid_t child = -1;
	int err, nreq = 0, nfail = 0, switched = 0;
	struct timespec ts;

	*cmd_status = 0;
	if (geteuid() != 0) {
		kb_error("kbuild modules spy needs root: it points %s at a logging wrapper (run it with sudo)", o->sysctl);
		st = KB_EENV;
		goto out;
	}
	if (access(o->sysctl, W_OK) < 0) {
		kb_error("cannot read '%s': %s (a kernel without module loading has none)", o->sysctl, strerror(errno));
		st = KB_EENV;
		goto out;
	}
	if ((err = fs_mkdir_p(o->state_dir, 0755)) < 0) {
		kb_error("cannot create '%s': %s", o->state_dir, strerror(-err));
		st = KB_EENV;
		goto out;
	}
	{
		struct statvfs vfs;

		/* the kernel executes the wrapper: not from a noexec mount (/run is one on most systems) */
		if (statvfs(o->state_dir, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC)) {
			kb_error("'%s' is on a filesystem mounted noexec: the kernel could not run the wrapper there",
				 o->state_dir);
			st = KB_EENV;
			goto out;
		}
	}
	st = spy_repair(o, wrapper, state);
	if (st != KB_OK)
		goto out;
	orig = first_line(o->sysctl);
	if (!orig || !*orig) {
		kb_error("'%s' is empty: the kernel runs no modprobe, so it makes no requests to spy on", o->sysctl);
		st = KB_EENV;
		goto out;
	}
	/* the state first: whatever happens after this, the next spy can put the original back */
	content = xasprintf("%s\n%ld\n", orig, (long)getpid());
	script = xasprintf("#!/bin/sh\n"
			   "# %s (pid %ld): logs each module request of the kernel, then runs %s\n"
			   "read up idle </proc/uptime\n"
			   "before=$(cut -d' ' -f1 /proc/modules 2>/dev/null)\n"
			   "%s \"$@\"\n"
			   "s=$?\n"
			   "read end idle </proc/uptime\n"
			   "new=\n"
			   "for m in $(cut -d' ' -f1 /proc/modules 2>/dev/null); do\n"
			   "\tcase \" $(echo $before) \" in *\" $m \"*) ;; *) new=\"$new${new:+ }$m\" ;; esac\n"
			   "done\n"
			   "printf '%%s\\t%%s\\t%%s\\t%%s\\t%%s\\n' \"$up\" \"$end\" \"$s\" \"$new\" \"$*\" >>%s\n"
			   "exit $s\n",
			   SPY_MARK, (long)getpid(), orig, orig, logf);
	if ((err = fs_write_atomic(state, content, strlen(content), NULL)) < 0 ||
	    (err = fs_write_atomic(logf, "", 0, NULL)) < 0 || (err = fs_write_atomic(wrapper, script, strlen(script), NULL)) < 0 ||
	    (chmod(wrapper, 0755) < 0 && (err = -errno))) {
		kb_error("cannot write into '%s': %s", o->state_dir, strerror(-err));
		unlink(state);
		st = KB_EENV;
		goto out;
	}
	{
		int fd = open(logf, O_WRONLY | O_TRUNC | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	up0 = uptime_now();
	clock_gettime(CLOCK_REALTIME, &ts);
	wall0 = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if ((err = write_sysctl(o->sysctl, wrapper)) < 0) {
		kb_error("cannot write '%s': %s", o->sysctl, strerror(-err));
		unlink(state);
		unlink(wrapper);
		st = KB_EENV;
		goto restore_signals;
	}
	switched = 1;
	fprintf(stderr, "  SPY     %s -> %s (was %s)%s\n", o->sysctl, wrapper, orig,
		o->command ? "" : o->duration > 0 ? "" : "; Ctrl-C ends it");
	start = uptime_now();
	if (o->command) {
		child = fork();
		if (child == 0) {
			for (int i = 0; i < 3; i++)
				sigaction(sigs[i], &old[i], NULL);
			execvp(o->command[0], (char *const *)o->command);
			fprintf(stderr, "kbuild: error: cannot run '%s': %s\n", o->command[0], strerror(errno));
			_exit(127);
		}
		if (child < 0) {
			kb_error("cannot fork: %s", strerror(errno));
			st = KB_EENV;
		}
	}
	for (;;) {
		int stop = spy_signal != 0 || st != KB_OK;

		if (!stop && o->duration > 0 && uptime_now() - start >= o->duration)
			stop = 1;
		if (!stop && child > 0) {
			int wst;
			pid_t r = waitpid(child, &wst, WNOHANG);

			if (r == child) {
				*cmd_status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
				child = -1;
				stop = 1;
			}
		}
		strbuf_reset(&raw);
		if (fs_read_file(logf, &raw) == 0) {
			while (done < raw.len) {
				char *nl = memchr(raw.buf + done, '\n', raw.len - done);
				size_t before = shown.len;

				if (!nl)
					break;
				*nl = '\0';
				spy_report(raw.buf + done, up0, wall0, &shown, &nreq, &nfail);
				fwrite(shown.buf + before, 1, shown.len - before, stdout);
				fflush(stdout);
				done = (size_t)(nl - raw.buf) + 1;
			}
		}
		if (stop)
			break;
		usleep(100000);
	}
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
		*cmd_status = 130;
	}
restore_signals:
	if (switched) {
		char *now;

		err = write_sysctl(o->sysctl, orig);
		now = first_line(o->sysctl);
		if (err < 0 || !now || !str_eq(now, orig)) {
			kb_error("cannot restore '%s' to '%s': %s (the next 'kbuild modules spy' repairs it)", o->sysctl, orig,
				 strerror(err < 0 ? -err : EIO));
			st = KB_EENV;
		} else {
			unlink(state);
			unlink(wrapper);
			unlink(logf);
			printf("kbuild: %d request%s (%d failed); %s restored to %s\n", nreq, nreq == 1 ? "" : "s", nfail,
			       o->sysctl, orig);
		}
		free(now);
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (st == KB_OK && o->log && (err = fs_write_atomic(o->log, shown.buf, shown.len, NULL)) < 0) {
		kb_error("cannot write '%s': %s", o->log, strerror(-err));
		st = KB_EENV;
	}
	if (st == KB_OK && spy_signal)
		st = 130;
out:
	free(wrapper);
	free(state);
	free(logf);
	free(orig);
	free(script);
	free(content);
	strbuf_release(&shown);
	strbuf_release(&raw);
	return st;
}
