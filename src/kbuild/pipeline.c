/* pipeline.c - the whole job in order: source, patch, config, prerequisites, build, package, install; metadata.json */
#define _GNU_SOURCE
#include "pipeline.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "build.h"
#include "doctor.h"
#include "fragment.h"
#include "fs.h"
#include "install.h"
#include "modules.h"
#include "json.h"
#include "log.h"
#include "opt.h"
#include "run.h"
#include "sha256.h"
#include "source.h"

static const char *const stage_names[] = { "source", "patch", "config", "build", "package", "install" };

static int pipeline_stage_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(stage_names); i++)
		if (str_eq(name, stage_names[i]))
			return (int)i;
	return -1;
}

int pipeline_can_stop_after(const char *name)
{
	int st = pipeline_stage_from_name(name);

	return st >= 0 && st != STAGE_INSTALL;
}

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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* ---- metadata.json: written when the run starts and after every stage ---- */

struct meta {
	char *path;
	const char *status;
	char *command, *cwd, *make_command;
	char *tree, *version, *origin;
	struct applied_series series;
	struct { char *path, *sha256; } *frags;
	size_t nr_frags;
	char *base, *base_sha256, *config_sha256;
	char *release, *image;
	char *cc, *ld, *make, *compiler_string;
	double stage_seconds[STAGE_ALL];
	int stage_ran[STAGE_ALL];
	int jobs;
	char *localversion, *timestamp;
	long objects, modules;
	int ccache;
	long cc_hits, cc_misses;
	char *distcc;
	char *packages, *destdir;
	char *error;
};

static void meta_release(struct meta *m)
{
	free(m->path);
	free(m->command);
	free(m->cwd);
	free(m->make_command);
	free(m->tree);
	free(m->version);
	free(m->origin);
	applied_series_release(&m->series);
	for (size_t i = 0; i < m->nr_frags; i++) {
		free(m->frags[i].path);
		free(m->frags[i].sha256);
	}
	free(m->frags);
	free(m->base);
	free(m->base_sha256);
	free(m->config_sha256);
	free(m->release);
	free(m->image);
	free(m->cc);
	free(m->ld);
	free(m->make);
	free(m->compiler_string);
	free(m->localversion);
	free(m->timestamp);
	free(m->distcc);
	free(m->packages);
	free(m->destdir);
	free(m->error);
}

static void meta_write(const struct meta *m)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;

	if (!m->path)
		return;
	json_init(&w, &out, 1);
	json_begin_object(&w);
	json_kv_string(&w, "schema", "kbuild-metadata/1");
	json_kv_string(&w, "status", m->status);
	json_kv_string(&w, "kernel_release", m->release);
	json_key(&w, "source");
	json_begin_object(&w);
	json_kv_string(&w, "tree", m->tree);
	json_kv_string(&w, "version", m->version);
	json_kv_string(&w, "origin", m->origin);
	json_end_object(&w);
	json_key(&w, "series");
	if (m->series.series) {
		json_begin_object(&w);
		json_kv_string(&w, "name", m->series.series);
		json_key(&w, "patches");
		json_begin_array(&w);
		for (size_t i = 0; i < m->series.nr; i++) {
			json_begin_object(&w);
			json_kv_string(&w, "name", m->series.patches[i].name);
			json_kv_string(&w, "sha256", m->series.patches[i].sha256);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_end_object(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "config");
	json_begin_object(&w);
	json_kv_string(&w, "base", m->base);
	json_kv_string(&w, "base_sha256", m->base_sha256);
	json_key(&w, "fragments");
	json_begin_array(&w);
	for (size_t i = 0; i < m->nr_frags; i++) {
		json_begin_object(&w);
		json_kv_string(&w, "path", m->frags[i].path);
		json_kv_string(&w, "sha256", m->frags[i].sha256);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_kv_string(&w, "config_sha256", m->config_sha256);
	json_end_object(&w);
	json_key(&w, "toolchain");
	json_begin_object(&w);
	json_kv_string(&w, "cc", m->cc);
	json_kv_string(&w, "ld", m->ld);
	json_kv_string(&w, "make", m->make);
	json_kv_string(&w, "compiler_string", m->compiler_string);
	json_end_object(&w);
	json_key(&w, "make");
	json_begin_object(&w);
	json_kv_int(&w, "jobs", m->jobs);
	json_kv_string(&w, "localversion", m->localversion);
	json_kv_string(&w, "timestamp", m->timestamp);
	json_kv_string(&w, "user", "kbuild");
	json_kv_string(&w, "host", "kbuild");
	json_kv_string(&w, "distcc_hosts", m->distcc);
	json_kv_int(&w, "objects_compiled", m->objects);
	json_kv_int(&w, "modules", m->modules);
	json_kv_string(&w, "image", m->image);
	json_end_object(&w);
	json_key(&w, "stages");
	json_begin_object(&w);
	for (int i = 0; i < STAGE_ALL; i++) {
		if (!m->stage_ran[i])
			continue;
		json_key(&w, stage_names[i]);
		json_fixed(&w, m->stage_seconds[i], 3);
	}
	json_end_object(&w);
	json_key(&w, "ccache");
	if (m->ccache) {
		json_begin_object(&w);
		json_kv_int(&w, "hits", m->cc_hits);
		json_kv_int(&w, "misses", m->cc_misses);
		json_key(&w, "hit_rate");
		if (m->cc_hits + m->cc_misses)
			json_fixed(&w, (double)m->cc_hits / (double)(m->cc_hits + m->cc_misses), 3);
		else
			json_null(&w);
		json_end_object(&w);
	} else {
		json_null(&w);
	}
	json_kv_string(&w, "packages", m->packages);
	json_kv_string(&w, "destdir", m->destdir);
	json_kv_string(&w, "error", m->error);
	json_kv_string(&w, "cwd", m->cwd);
	json_kv_string(&w, "command", m->command);
	json_kv_string(&w, "make_command", m->make_command);
	json_end_object(&w);
	strbuf_addch(&out, '\n');
	if (fs_write_atomic(m->path, out.buf, out.len, NULL) < 0)
		kb_warning("cannot write '%s': %s", m->path, strerror(errno));
	strbuf_release(&out);
}

/* ---- ccache statistics: counters before and after, so the user's other builds do not count ---- */

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

/* ---- the source stage ---- */

/*
 * A series is applied to a copy beside the cached tree (TREE+ll), made once:
 * the cached tree stays as the archive shipped it for runs without --patch.
 */
static int patched_copy(const struct pipeline_opts *o, struct meta *m)
{
	const char *spec = o->patch.spec, *base = strrchr(spec, '/');
	char *name = xstrdup(base && base[1] ? base + 1 : spec), *copy, *tmp, *old;
	int ret = KB_OK;

	for (char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '-' || *c == '_'))
			*c = '_';
	copy = xasprintf("%s+%s", m->tree, name);
	if (!fs_is_dir(copy)) {
		const char *argv[] = { "cp", "-a", "--reflink=auto", m->tree, NULL, NULL };
		struct run_cmd cmd = { .argv = argv };
		int rc;

		tmp = xasprintf("%s.tmp.%ld", copy, (long)getpid());
		argv[4] = tmp;
		kb_progress("COPY", "%s (the cached tree stays unpatched)", copy);
		rc = run_command(&cmd);
		if (rc != 0 || rename(tmp, copy) < 0) {
			kb_error("cannot copy '%s' to '%s': %s", m->tree, copy, rc ? "cp failed" : strerror(errno));
			fs_remove_tree(tmp);
			ret = KB_EENV;
		}
		free(tmp);
	}
	if (ret == KB_OK) {
		old = m->origin;
		m->origin = xasprintf("%s, copied to %s for --patch %s", old ? old : m->tree, copy, spec);
		free(old);
		free(m->tree);
		m->tree = copy;
	} else {
		free(copy);
	}
	free(name);
	return ret;
}

static int run_source(struct pipeline_opts *o, struct meta *m)
{
	char *script = xasprintf("%s/kernel-source", o->scriptdir);
	const char *argv[6];
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = &out };
	int n = 0, ret;

	argv[n++] = script;
	if (o->patch.spec && str_eq(o->patch.spec, "ll"))
		argv[n++] = "--need-rt";
	argv[n++] = "--";
	if (o->kernel)
		argv[n++] = o->kernel;
	argv[n] = NULL;
	kb_progress("SOURCE", "%s", o->kernel ? o->kernel : "the distribution's kernel source");
	ret = run_command(&cmd);
	if (ret != 0) {
		if (ret < 0)
			kb_error("cannot run '%s': %s", script, strerror(-ret));
		free(script);
		strbuf_release(&out);
		return ret < 0 ? KB_EENV : ret == 1 ? KB_FAILED : ret == 2 ? KB_EUSAGE : KB_EENV;
	}
	for (char *line = out.buf; *line;) {
		size_t len = strcspn(line, "\n");
		char *v = xstrndup(line, len);

		if (starts_with(v, "tree="))
			m->tree = xstrdup(v + 5);
		else if (starts_with(v, "version="))
			m->version = xstrdup(v + 8);
		else if (starts_with(v, "origin="))
			m->origin = xstrdup(v + 7);
		free(v);
		line += len;
		if (*line)
			line++;
	}
	free(script);
	strbuf_release(&out);
	if (!m->tree) {
		kb_error("kernel-source printed no tree");
		return KB_EENV;
	}
	if (o->patch.spec)
		return patched_copy(o, m);
	return KB_OK;
}

/* ---- the config stage is skipped when nothing that feeds it changed ---- */

static void digest_file(struct strbuf *in, const char *label, const char *path)
{
	char hex[SHA256_HEX];

	if (sha256_file(path, hex) < 0)
		strcpy(hex, "-");
	strbuf_addf(in, "%s %s %s\n", label, path, hex);
}

static char *config_inputs(const struct pipeline_opts *o, const char *tree, const char *objdir,
			   const struct fragment_list *frags)
{
	struct strbuf in = STRBUF_INIT;
	char hex[SHA256_HEX];
	char *p;
	const char *base = o->config.base ? o->config.base : "running";

	strbuf_addf(&in, "kbuild %s\ntree %s\nobjdir %s\narch %s\ncc %s\nbuiltin %d\nallow %d\njson %s\n", KB_VERSION,
		    tree, objdir, config_arch(o->config.arch) ? config_arch(o->config.arch) : "-",
		    o->config.cc ? o->config.cc : "-", o->config.builtin_wins, o->config.allow_unmet,
		    o->config.json ? o->config.json : "-");
	p = xasprintf("%s/Makefile", tree);
	digest_file(&in, "makefile", p);
	free(p);
	p = xasprintf("%s/%s/ledger", tree, LEDGER_DIR);
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
	if (o->config.json && !fs_is_file(o->config.json))
		strbuf_addstr(&in, "json missing\n");
	sha256_hex(in.buf, in.len, hex);
	strbuf_release(&in);
	return xstrdup(hex);
}

/* The stamp holds the inputs' digest and the .config it produced: both must match to skip. */
static int config_unchanged(const char *stamp, const char *inputs, const char *dotconfig)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[SHA256_HEX], *want;
	int same = 0;

	if (fs_read_file(stamp, &sb) < 0 || sha256_file(dotconfig, hex) < 0) {
		strbuf_release(&sb);
		return 0;
	}
	want = xasprintf("inputs %s\nconfig %s\n", inputs, hex);
	same = str_eq(sb.buf, want);
	free(want);
	strbuf_release(&sb);
	return same;
}

static void config_stamp(const char *stamp, const char *inputs, const char *dotconfig)
{
	char hex[SHA256_HEX];
	char *text;

	if (sha256_file(dotconfig, hex) < 0)
		return;
	text = xasprintf("inputs %s\nconfig %s\n", inputs, hex);
	fs_write_atomic(stamp, text, strlen(text), NULL);
	free(text);
}

static void add_arg(struct strbuf *sb, const char *s)
{
	const char *argv[] = { s, NULL };
	struct run_cmd cmd = { .argv = argv };
	char *q = run_format(&cmd);

	if (sb->len)
		strbuf_addch(sb, ' ');
	strbuf_addstr(sb, q);
	free(q);
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

int pipeline_run(struct pipeline_opts *o)
{
	struct meta m = { .status = "running" };
	struct fragment_list frags = { 0 };
	struct strbuf err = STRBUF_INIT;
	char *objdir = NULL, *statedir = NULL, *dotconfig = NULL, *inputs = NULL, *stamp = NULL, *cc = NULL;
	const char *srcarch = NULL, *arch = config_arch(o->config.arch);
	const char *env[8];
	int nenv = 0, st = KB_OK, jobs;
	double t0;
	long long epoch = 0;
	struct build_opts b = { 0 };
	enum pipeline_stage stop_after = o->stop_after ? (enum pipeline_stage)pipeline_stage_from_name(o->stop_after) : STAGE_ALL;

	/* ---- everything the arguments say is checked before anything runs ---- */
	if (o->install && !o->destdir && geteuid() != 0) {
		kb_error("--install into the running system needs root: build as yourself, then run "
			 "'sudo kbuild install -O BUILD' (or stage it with --destdir DIR)");
		return KB_EENV;
	}
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
	for (size_t i = 0; i < o->config.nr_configs; i++)
		if (fragment_resolve(&frags, o->config.datadir, o->config.configs[i], &err) < 0) {
			fputs(err.buf, stderr);
			st = KB_EUSAGE;
			goto out;
		}
	{
		char cwd[PATH_MAX];
		struct strbuf cmd = STRBUF_INIT;

		m.cwd = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
		const char *launcher = getenv("KBUILD_LAUNCHER");

		/* ./kbuild runs out/kbuild: record what the user typed */
		add_arg(&cmd, launcher && *launcher ? launcher : o->argv[0]);
		for (int i = 1; i < o->argc; i++)
			add_arg(&cmd, o->argv[i]);
		m.command = strbuf_detach(&cmd, NULL);
	}

	/* ---- source ---- */
	t0 = now();
	if (o->tree) {
		struct tree_version v;

		m.tree = fs_realpath(o->tree);
		if (!m.tree) {
			kb_error("kernel tree '%s': %s", o->tree, strerror(errno));
			st = KB_EENV;
			goto out;
		}
		if (source_tree_version(m.tree, &v) == 0)
			m.version = xasprintf("%d.%d.%d", v.version, v.patchlevel, v.sublevel);
		m.origin = xasprintf("directory %s (--tree)", m.tree);
	} else {
		st = run_source(o, &m);
		if (st != KB_OK)
			goto out;
	}
	{
		char *name = strrchr(m.tree, '/');

		objdir = fs_absolute(o->objdir ? o->objdir : (name = xasprintf("build/%s", name ? name + 1 : m.tree)));
		if (!o->objdir)
			free(name);
	}
	statedir = xasprintf("%s/.kbuild", objdir);
	dotconfig = xasprintf("%s/.config", objdir);
	stamp = xasprintf("%s/config.stamp", statedir);
	{
		int ret = fs_mkdir_p(statedir, 0755);

		if (ret < 0) {
			kb_error("cannot create the build directory '%s': %s", objdir, strerror(-ret));
			st = KB_EENV;
			goto out;
		}
	}
	m.path = xasprintf("%s/metadata.json", objdir);
	m.stage_ran[STAGE_SOURCE] = 1;
	m.stage_seconds[STAGE_SOURCE] = now() - t0;
	{
		char *mk = xasprintf("%s/Makefile", m.tree);
		struct stat sb;

		if (stat(mk, &sb) == 0)
			epoch = (long long)sb.st_mtime;
		free(mk);
	}
	m.timestamp = build_timestamp_string(epoch);
	m.localversion = xstrdup(o->localversion ? o->localversion : "-ll");
	m.destdir = o->destdir ? fs_absolute(o->destdir) : NULL;

	/* the compiler string: the same for olddefconfig and the build */
	jobs = o->jobs > 0 ? o->jobs : o->distcc ? distcc_slots(o->distcc) : cpu_count();
	m.jobs = jobs;
	if (o->ccache) {
		char *base = common_ancestor(m.tree, objdir);

		cc = xstrdup("ccache gcc");
		env[nenv++] = xasprintf("CCACHE_BASEDIR=%s", base);
		env[nenv++] = xstrdup("CCACHE_NOHASHDIR=true");
		env[nenv++] = xstrdup("CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime,time_macros");
		if (o->distcc)
			env[nenv++] = xstrdup("CCACHE_PREFIX=distcc");
		free(base);
		m.ccache = 1;
	} else if (o->distcc) {
		cc = xstrdup("distcc gcc");
	}
	if (o->distcc) {
		env[nenv++] = xasprintf("DISTCC_HOSTS=%s", o->distcc);
		m.distcc = xstrdup(o->distcc);
	}
	env[nenv] = NULL;
	m.compiler_string = xstrdup(cc ? cc : "gcc");
	meta_write(&m);
	if (stop_after == STAGE_SOURCE)
		goto done;

	/* ---- patch ---- */
	if (o->patch.spec) {
		t0 = now();
		o->patch.tree = o->tree ? o->tree : m.tree;
		st = patch_run(&o->patch);
		m.stage_ran[STAGE_PATCH] = 1;
		m.stage_seconds[STAGE_PATCH] = now() - t0;
	}
	if (patch_applied(m.tree, &m.series) < 0)
		kb_warning("cannot read the patch ledger of '%s'", m.tree);
	meta_write(&m);
	if (st != KB_OK || stop_after == STAGE_PATCH)
		goto done;

	/* ---- config: from here on it must be a kernel tree (a series may go anywhere) ---- */
	st = config_check_tree(m.tree, arch, &srcarch);
	if (st != KB_OK)
		goto done;
	if (o->install_deps) {
		/* what configuring needs (make, gcc, flex, bison) must be there before the config stage */
		struct doctor_opts d = { .tree = m.tree, .config = fs_is_file(dotconfig) ? dotconfig : NULL,
					 .objdir = objdir, .package = o->package, .jobs = jobs, .install = 1, .quiet = 1 };

		st = doctor_run(&d);
		if (st != KB_OK)
			goto done;
	}
	t0 = now();
	o->config.tree = m.tree;
	o->config.objdir = objdir;
	o->config.cc = cc;
	o->config.env = env;
	m.base = xstrdup(o->config.base ? o->config.base : "running");
	if (o->config.nr_configs) {
		inputs = config_inputs(o, m.tree, objdir, &frags);
		if (config_unchanged(stamp, inputs, dotconfig)) {
			kb_progress("CONFIG", "%s unchanged: base, fragments and tree as last time", dotconfig);
		} else {
			unlink(stamp);
			st = config_run(&o->config);
			if (st == KB_OK) {
				config_stamp(stamp, inputs, dotconfig);
			} else if (st == KB_EENV) {
				/* make could not configure: say which prerequisite is missing, if one is */
				struct doctor_opts d = { .tree = m.tree, .objdir = objdir, .jobs = jobs, .quiet = 1 };

				doctor_run(&d);
			}
		}
		m.stage_ran[STAGE_CONFIG] = 1;
	} else if (!fs_is_file(dotconfig)) {
		kb_error("'%s' has no .config: give --config NAME (and --base) to make one", objdir);
		st = KB_EUSAGE;
	} else {
		kb_progress("CONFIG", "%s (no --config: kept as it is)", dotconfig);
	}
	m.stage_seconds[STAGE_CONFIG] = now() - t0;
	for (size_t i = 0; i < frags.nr; i++) {
		char hex[SHA256_HEX];

		m.frags = xrealloc(m.frags, (m.nr_frags + 1) * sizeof(*m.frags));
		m.frags[m.nr_frags].path = xstrdup(frags.items[i].path);
		m.frags[m.nr_frags].sha256 = xstrdup(sha256_file(frags.items[i].path, hex) == 0 ? hex : "-");
		m.nr_frags++;
	}
	{
		char hex[SHA256_HEX];
		char *named = xasprintf("%s/base/.config", statedir);
		struct strbuf run = STRBUF_INIT;

		if (str_eq(m.base, "running") && fs_read_gz("/proc/config.gz", &run) == 0) {
			sha256_hex(run.buf, run.len, hex);
			m.base_sha256 = xstrdup(hex);
		} else if (fs_is_file(m.base) && sha256_file(m.base, hex) == 0) {
			m.base_sha256 = xstrdup(hex);
		} else if (fs_is_file(named) && sha256_file(named, hex) == 0) {
			m.base_sha256 = xstrdup(hex);
		}
		strbuf_release(&run);
		free(named);
		if (sha256_file(dotconfig, hex) == 0)
			m.config_sha256 = xstrdup(hex);
	}
	meta_write(&m);
	if (st != KB_OK || stop_after == STAGE_CONFIG)
		goto done;

	/* ---- prerequisites: the build's first step ---- */
	{
		struct doctor_opts d = { .tree = m.tree, .config = dotconfig, .objdir = objdir, .package = o->package,
					 .jobs = jobs, .install = o->install_deps, .quiet = 1 };

		st = doctor_run(&d);
		if (st != KB_OK)
			goto done;
	}
	{
		const char *gcc[] = { "gcc", "--version", NULL }, *ld[] = { "ld", "--version", NULL },
			   *mk[] = { "make", "--version", NULL };

		m.cc = first_line_of(gcc);
		m.ld = first_line_of(ld);
		m.make = first_line_of(mk);
	}

	/* ---- build ---- */
	b.tree = m.tree;
	b.objdir = objdir;
	b.arch = arch;
	b.srcarch = srcarch;
	b.jobs = jobs;
	b.localversion = m.localversion;
	b.timestamp = m.timestamp;
	b.cc = cc;
	b.env = env;
	b.verbose = o->verbose;
	b.progress = isatty(2);
	{
		struct build_result r;
		long h0 = 0, m0 = 0, h1, m1;
		m.make_command = build_command_line(&b);
		if (o->ccache)
			ccache_counters(env, &h0, &m0);
		if (build_vars_save(&b) < 0)
			kb_warning("cannot write '%s/.kbuild/make-vars': %s", objdir, strerror(errno));
		m.status = "building";
		meta_write(&m);
		t0 = now();
		st = build_run(&b, &r);
		m.stage_ran[STAGE_BUILD] = 1;
		m.stage_seconds[STAGE_BUILD] = now() - t0;
		m.objects = r.objects;
		m.modules = r.modules;

		if (r.image)
			m.image = xstrdup(r.image);
		if (r.release)
			m.release = xstrdup(r.release);
		if (o->ccache && ccache_counters(env, &h1, &m1) == 0) {
			m.cc_hits = h1 - h0;
			m.cc_misses = m1 - m0;
		}
		if (st == KB_OK && r.modules > 0) {
			/* the modules as the booted kernel will see them (modules_install, depmod): depmod's
			 * complaints show now, and kbuild modules has them at hand */
			struct modules_opts mo = { .inst = { .make = b } };
			char *dir = NULL;

			st = modules_stage(&mo, &dir);
			free(dir);
		}
		if (st == KB_OK && inputs) {
			/* the build's own syncconfig may have rewritten .config: the next run compares with this one */
			if (fs_is_file(stamp))
				config_stamp(stamp, inputs, dotconfig);
		}
		if (st == KB_OK) {
			char el[32];
			long secs = (long)(m.stage_seconds[STAGE_BUILD] + 0.5);

			if (secs >= 60)
				snprintf(el, sizeof(el), "%ldm%02lds", secs / 60, secs % 60);
			else
				snprintf(el, sizeof(el), "%lds", secs);
			printf("kbuild: built %s in %s: %s/%s, %ld module%s (%ld objects compiled)\n",
			       r.release ? r.release : "?", el, objdir, r.image, r.modules, r.modules == 1 ? "" : "s",
			       r.objects);
			if (o->ccache)
				printf("kbuild: ccache: %ld hits, %ld misses (%.0f%% hit rate)\n", m.cc_hits, m.cc_misses,
				       m.cc_hits + m.cc_misses ? 100.0 * (double)m.cc_hits / (double)(m.cc_hits + m.cc_misses)
							       : 0.0);
		} else if (st == KB_INTERRUPTED) {
			m.status = "interrupted";
			kb_error("interrupted: run the same command again to resume the build (make keeps what is done)");
		} else if (r.no_space) {
			m.error = r.first_error ? xstrdup(r.first_error) : NULL;
			kb_error("the disk is full in '%s': free some space and run the same command again (the build resumes)",
				 objdir);
		} else {
			m.error = r.first_error ? xstrdup(r.first_error) : NULL;
			if (r.first_error) {
				fprintf(stderr, "%s", r.first_error);
				kb_error("the build failed (make exit %d); the first error is above, the full log is '%s/build.log'",
					 r.make_status, objdir);
			} else {
				kb_error("the build failed (make exit %d); see '%s/build.log'", r.make_status, objdir);
			}
		}
		build_result_release(&r);
	}
	meta_write(&m);
	if (st != KB_OK || stop_after == STAGE_BUILD)
		goto done;

	/* ---- package ---- */
	if (o->package) {
		struct install_opts io = { .make = b };
		struct strbuf files = STRBUF_INIT;

		t0 = now();
		st = package_run(&io, o->package, &files);
		m.stage_ran[STAGE_PACKAGE] = 1;
		m.stage_seconds[STAGE_PACKAGE] = now() - t0;
		m.packages = strbuf_detach(&files, NULL);
		meta_write(&m);
		if (st != KB_OK)
			goto done;
	}
	if (stop_after == STAGE_PACKAGE)
		goto done;

	/* ---- install ---- */
	if (o->install) {
		struct install_opts io = { .make = b, .destdir = m.destdir };

		t0 = now();
		st = install_run(&io);
		m.stage_ran[STAGE_INSTALL] = 1;
		m.stage_seconds[STAGE_INSTALL] = now() - t0;
	}
done:
	if (str_eq(m.status, "running") || str_eq(m.status, "building"))
		m.status = st == KB_OK ? "ok" : "failed";
	meta_write(&m);
out:
	for (int i = 0; i < nenv; i++)
		free((char *)env[i]);
	fragment_list_release(&frags);
	strbuf_release(&err);
	meta_release(&m);
	free(objdir);
	free(statedir);
	free(dotconfig);
	free(inputs);
	free(stamp);
	free(cc);
	return st;
}
