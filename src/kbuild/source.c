/* source.c - the source stage (kernel tree, build directory) and where a series comes from: ll profile, tarballs, Debian packages */
#define _GNU_SOURCE
#include "source.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>
#include "fs.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "sha256.h"

int source_tree_version(const char *tree, struct tree_version *v)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/Makefile", tree);
	const char *s;
	int ret = fs_read_file(path, &sb);

	free(path);
	memset(v, 0, sizeof(*v));
	if (ret < 0)
		goto out;
	if ((s = strstr(sb.buf, "\nVERSION = ")))
		v->version = atoi(s + 11);
	if ((s = strstr(sb.buf, "\nPATCHLEVEL = ")))
		v->patchlevel = atoi(s + 14);
	if ((s = strstr(sb.buf, "\nSUBLEVEL = ")))
		v->sublevel = atoi(s + 12);
	if (!v->version && !starts_with(sb.buf, "VERSION = "))
		ret = -EINVAL;
	else if (!v->version)
		v->version = atoi(sb.buf + 10);
out:
	strbuf_release(&sb);
	return ret;
}

char *source_cache_dir(void)
{
	const char *c = getenv("KBUILD_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (c && *c)
		return xstrdup(c);
	if (x && *x)
		return xasprintf("%s/kbuild", x);
	return xasprintf("%s/.cache/kbuild", h && *h ? h : "/tmp");
}

void series_source_release(struct series_source *s)
{
	free(s->spec);
	free(s->name);
	free(s->why_none);
	memset(s, 0, sizeof(*s));
}

/* "6.1", "6.1.176", "5.15-6.11", "6.12-": does v match? -1 on a malformed pattern. */
static int parse_ver(const char *s, int out[3], const char **end)
{
	int n = 0;

	out[0] = out[1] = out[2] = -1;
	while (n < 3 && isdigit((unsigned char)*s)) {
		out[n++] = (int)strtol(s, (char **)&s, 10);
		if (*s != '.')
			break;
		s++;
	}
	*end = s;
	return n >= 2 ? n : -1;
}

static long ver_key(int major, int minor, int sub)
{
	return (long)major * 1000000L + (long)minor * 1000L + (sub < 0 ? 0 : sub);
}

static int version_matches(const char *pat, const struct tree_version *v)
{
	int lo[3], hi[3], nlo, nhi;
	const char *e;
	long key = ver_key(v->version, v->patchlevel, v->sublevel);

	nlo = parse_ver(pat, lo, &e);
	if (nlo < 0)
		return -1;
	if (*e == '\0') {
		if (lo[0] != v->version || lo[1] != v->patchlevel)
			return 0;
		return nlo < 3 || lo[2] == v->sublevel;
	}
	if (*e != '-')
		return -1;
	if (e[1] == '\0')
		return key >= ver_key(lo[0], lo[1], lo[2]);
	nhi = parse_ver(e + 1, hi, &e);
	if (nhi < 0 || *e)
		return -1;
	return key >= ver_key(lo[0], lo[1], lo[2]) &&
	       key <= ver_key(hi[0], hi[1], nhi < 3 ? 999 : hi[2]);
}

static int is_tarball(const char *p)
{
	return ends_with(p, ".tar.xz") || ends_with(p, ".tar.gz") || ends_with(p, ".tgz") ||
	       ends_with(p, ".tar.bz2") || ends_with(p, ".tar.zst") || ends_with(p, ".tar");
}

static int is_url(const char *p)
{
	return starts_with(p, "http://") || starts_with(p, "https://") || starts_with(p, "ftp://");
}

/* Download a URL into the cache (curl or wget); returns the local path or NULL. */
static char *fetch_url(const struct source_opts *o, const char *url, struct strbuf *err)
{
	const char *base = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
	char *dir = xasprintf("%s/downloads", o->cachedir);
	char *dst = xasprintf("%s/%s", dir, base), *tmp = xasprintf("%s.part", dst);
	int ret;

	if (fs_is_file(dst))
		goto done;
	fs_mkdir_p(dir, 0755);
	kb_progress("FETCH", "%s", url);
	if (run_have_program("curl")) {
		const char *argv[] = { "curl", "-fsSL", "-o", tmp, "--", url, NULL };
		struct run_cmd cmd = { .argv = argv, .new_pgroup = 1, .guard = o->guard };
		ret = run_command(&cmd);
	} else if (run_have_program("wget")) {
		const char *argv[] = { "wget", "-q", "-O", tmp, "--", url, NULL };
		struct run_cmd cmd = { .argv = argv, .new_pgroup = 1, .guard = o->guard };
		ret = run_command(&cmd);
	} else {
		strbuf_addf(err, "kbuild: error: cannot download '%s': neither curl nor wget is installed\n", url);
		goto fail;
	}
	if (ret != 0 || rename(tmp, dst) < 0) {
		strbuf_addf(err, "kbuild: error: cannot download '%s'%s\n", url,
			    ret > 0 ? " (the server or network said no)" : "");
		goto fail;
	}
done:
	free(dir);
	free(tmp);
	return dst;
fail:
	unlink(tmp);
	free(dir);
	free(tmp);
	free(dst);
	return NULL;
}

/* Unpack a tarball into the cache, keyed by its checksum; returns the directory. */
static char *unpack_tarball(const struct source_opts *o, const char *path, const char *want_sha,
			    struct strbuf *err, int *mismatch)
{
	char sha[SHA256_HEX];
	char *dir, *tmp;
	int ret = sha256_file(path, sha);

	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s\n", path, strerror(-ret));
		return NULL;
	}
	if (want_sha && !str_eq(want_sha, sha)) {
		strbuf_addf(err, "%s: error: checksum mismatch: sha256 is %s, the profile expects %s; nothing applied\n",
			    path, sha, want_sha);
		*mismatch = 1;
		return NULL;
	}
	dir = xasprintf("%s/series/%s", o->cachedir, sha);
	if (fs_is_dir(dir))
		return dir;
	tmp = xasprintf("%s.tmp%d", dir, (int)getpid());
	fs_remove_tree(tmp);
	if ((ret = fs_mkdir_p(tmp, 0755)) < 0) {
		strbuf_addf(err, "kbuild: error: cannot create '%s': %s\n", tmp, strerror(-ret));
		goto fail;
	}
	kb_progress("UNPACK", "%s", path);
	{
		const char *argv[] = { "tar", "-xaf", path, "-C", tmp, NULL };
		struct strbuf out = STRBUF_INIT;
		struct run_cmd cmd = { .argv = argv, .out = &out, .merge_err = 1, .new_pgroup = 1, .guard = o->guard };

		ret = run_command(&cmd);
		if (ret != 0) {
			strbuf_addf(err, "%s: error: cannot unpack (tar exit %d): %s\n", path, ret, out.buf);
			strbuf_release(&out);
			goto fail;
		}
		strbuf_release(&out);
	}
	if (rename(tmp, dir) < 0 && !fs_is_dir(dir)) {
		strbuf_addf(err, "kbuild: error: cannot move '%s' into place: %s\n", tmp, strerror(errno));
		goto fail;
	}
	fs_remove_tree(tmp);
	free(tmp);
	return dir;
fail:
	fs_remove_tree(tmp);
	free(tmp);
	free(dir);
	return NULL;
}

/* A path, URL or tarball as something series_load can read. */
static char *materialize(const struct source_opts *o, const char *loc, const char *sha, struct strbuf *err,
			 int *mismatch)
{
	char *local = NULL, *ret;

	if (is_url(loc)) {
		local = fetch_url(o, loc, err);
		if (!local)
			return NULL;
		loc = local;
	}
	if (is_tarball(loc) && fs_is_file(loc))
		ret = unpack_tarball(o, loc, sha, err, mismatch);
	else if (sha && fs_is_file(loc)) {
		char got[SHA256_HEX];

		if (sha256_file(loc, got) < 0 || !str_eq(got, sha)) {
			strbuf_addf(err, "%s: error: checksum mismatch: sha256 is %s, the profile expects %s; nothing applied\n",
				    loc, got, sha);
			*mismatch = 1;
			ret = NULL;
		} else {
			ret = xstrdup(loc);
		}
	} else
		ret = xstrdup(loc);
	free(local);
	return ret;
}

static char *debian_series(const struct source_opts *o, const char *pkg, const struct tree_version *v,
			   struct strbuf *err)
{
	char *script = xasprintf("%s/debian-source", o->scriptdir);
	char *ver = xasprintf("%d.%d.%d", v->version, v->patchlevel, v->sublevel);
	const char *argv[] = { script, "--package", pkg, ver, NULL };
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = &out, .new_pgroup = 1, .guard = o->guard };
	char *path = NULL;
	int ret;

	kb_progress("SOURCE", "Debian %s %s: debian/patches-rt", pkg, ver);
	ret = run_command(&cmd);
	while (out.len && out.buf[out.len - 1] == '\n')
		strbuf_setlen(&out, out.len - 1);
	if (ret == 0 && fs_is_dir(out.buf))
		path = xstrdup(out.buf);
	else
		strbuf_addf(err, "kbuild: error: cannot get the PREEMPT_RT series of Debian's %s %s "
			    "(scripts/debian-source exit %d; give a local copy with --source DIR)\n", pkg, ver, ret);
	strbuf_release(&out);
	free(script);
	free(ver);
	return path;
}

/* probe: only whether the rule has anything to apply (out->spec "-" for yes), nothing fetched */
static int resolve_ll(const struct source_opts *o, struct series_source *out, struct strbuf *err, int probe)
{
	int mismatch = 0;
	struct tree_version v;
	char *file = xasprintf("%s/ll/sources", o->patchdir);
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	int ret, lineno = 0, found = 0;

	if ((ret = source_tree_version(o->tree, &v)) < 0) {
		strbuf_addf(err, "kbuild: error: '%s' is not a kernel tree: no version in its Makefile\n", o->tree);
		free(file);
		return -ENOTDIR;
	}
	if ((ret = fs_read_file(file, &sb)) < 0) {
		strbuf_addf(err, "%s: error: cannot read the ll profile: %s\n", file, strerror(-ret));
		free(file);
		return ret;
	}
	for (line = sb.buf; line && !found; line = next) {
		char *nl = strchr(line, '\n'), *f[4] = { 0 }, *save = NULL;
		int n = 0, m;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		if (line[0] == '#')
			continue;
		for (char *t = strtok_r(line, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
			f[n++] = t;
		if (!n)
			continue;
		m = n >= 3 ? version_matches(f[0], &v) : -1;
		if (m < 0) {
			strbuf_addf(err, "%s:%d: error: expected 'VERSIONS KIND LOCATION [SHA256]'\n", file, lineno);
			ret = -EINVAL;
			break;
		}
		if (!m)
			continue;
		found = 1;
		if (probe) {
			if (!str_eq(f[1], "mainline") || !str_eq(f[2], "-"))
				out->spec = xstrdup("-");
		} else if (str_eq(f[1], "mainline")) {
			if (str_eq(f[2], "-") && !o->override) {
				out->why_none = xasprintf("PREEMPT_RT is part of mainline since 6.12: the ll profile "
							  "has nothing to apply to %d.%d.%d (%s:%d)",
							  v.version, v.patchlevel, v.sublevel, file, lineno);
			} else {
				char *loc = o->override ? xstrdup(o->override) : xasprintf("%s/ll/%s", o->patchdir, f[2]);
				out->spec = materialize(o, loc, f[3], err, &mismatch);
				out->name = xasprintf("ll extras for %d.%d", v.version, v.patchlevel);
				free(loc);
				ret = out->spec ? 0 : -EIO;
			}
		} else if (str_eq(f[1], "debian-source")) {
			out->spec = o->override ? materialize(o, o->override, f[3], err, &mismatch) : debian_series(o, f[2], &v, err);
			out->name = xasprintf("ll: PREEMPT_RT for %d.%d.%d (Debian %s, debian/patches-rt)",
					      v.version, v.patchlevel, v.sublevel, f[2]);
			ret = out->spec ? 0 : -EIO;
		} else if (str_eq(f[1], "tarball") || str_eq(f[1], "dir")) {
			/* a relative path in the profile is relative to patches/ll/, like dir rules */
			int relative = f[2][0] != '/' && !is_url(f[2]);
			char *loc = o->override ? xstrdup(o->override)
				  : relative ? xasprintf("%s/ll/%s", o->patchdir, f[2]) : xstrdup(f[2]);

			if (str_eq(f[1], "tarball") && !f[3]) {
				strbuf_addf(err, "%s:%d: error: a tarball needs its sha256\n", file, lineno);
				ret = -EINVAL;
			} else {
				out->spec = materialize(o, loc, f[3], err, &mismatch);
				out->name = xasprintf("ll: %s", f[2]);
				ret = out->spec ? 0 : -EIO;
			}
			free(loc);
		} else {
			strbuf_addf(err, "%s:%d: error: unknown kind '%s' (mainline, debian-source, tarball, dir)\n",
				    file, lineno, f[1]);
			ret = -EINVAL;
		}
	}
	if (mismatch)
		ret = -EBADMSG;
	if (!found && !ret) {
		strbuf_addf(err, "%s: error: the ll profile has no rule for kernel %d.%d.%d\n", file, v.version,
			    v.patchlevel, v.sublevel);
		ret = -ENOENT;
	}
	strbuf_release(&sb);
	free(file);
	return ret;
}

int source_check_spec(const struct source_opts *o, struct strbuf *err)
{
	if (o->override && !is_url(o->override) && access(o->override, F_OK) < 0) {
		strbuf_addf(err, "kbuild: error: --source '%s': %s\n", o->override, strerror(errno));
		return -ENOENT;
	}
	if (str_eq(o->spec, "ll")) {
		char *file = xasprintf("%s/ll/sources", o->patchdir);
		int ret = access(file, R_OK) < 0 ? -errno : 0;

		if (ret < 0)
			strbuf_addf(err, "%s: error: cannot read the ll profile: %s\n", file, strerror(-ret));
		free(file);
		return ret;
	}
	if (!is_url(o->spec) && !fs_is_file(o->spec) && !fs_is_dir(o->spec) && !o->override) {
		strbuf_addf(err, "kbuild: error: --patch %s: no such series directory, patch or tarball "
			    "(ll, a quilt series directory, a patch or an RT tarball)\n", o->spec);
		return -ENOENT;
	}
	return 0;
}

int source_resolve(const struct source_opts *o, struct series_source *out, struct strbuf *err)
{
	int mismatch = 0, ret;

	memset(out, 0, sizeof(*out));
	if (str_eq(o->spec, "ll"))
		return resolve_ll(o, out, err, 0);
	if ((ret = source_check_spec(o, err)) < 0)
		return ret;
	out->spec = materialize(o, o->override ? o->override : o->spec, NULL, err, &mismatch);
	out->name = xstrdup(o->spec);
	return out->spec ? 0 : mismatch ? -EBADMSG : -EIO;
}

/* ---- the source stage: the tree to build (kept unpatched in the cache) and its build directory ---- */

/*
 * A series is applied to a copy beside the cached tree (TREE+ll), made once:
 * the cached tree stays as the archive shipped it for runs without --patch.
 */
static int patched_copy(const struct pipeline_opts *o, struct kb_meta *m)
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
		struct run_cmd cmd = { .argv = argv, .new_pgroup = 1, .guard = o->guard };
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

/*
 * --patch ll on a kernel whose PREEMPT_RT is mainline (6.12 and later): no copy to patch, the
 * patch stage says there is nothing to apply. Errors are left to the patch stage.
 */
static int nothing_to_apply(const struct pipeline_opts *o, const char *tree)
{
	struct source_opts so = { .tree = tree, .spec = o->patch.spec, .patchdir = o->patch.patchdir,
				  .scriptdir = o->patch.scriptdir, .override = o->patch.source };
	struct series_source src = { 0 };
	struct strbuf err = STRBUF_INIT;
	int none;

	if (!str_eq(o->patch.spec, "ll") || o->patch.source)
		return 0;
	none = resolve_ll(&so, &src, &err, 1) == 0 && !src.spec;
	series_source_release(&src);
	strbuf_release(&err);
	return none;
}

/* The distribution's newest kernel source (or --kernel's) through scripts/kernel-source: tree, version, origin. */
static int fetch_tree(const struct pipeline_opts *o, struct kb_meta *m)
{
	char *script = xasprintf("%s/kernel-source", o->scriptdir);
	const char *argv[6];
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = &out, .new_pgroup = 1, .guard = o->guard };
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
	if (m->origin)
		kb_progress("SOURCE", "%s", m->origin);
	if (o->patch.spec && !nothing_to_apply(o, m->tree))
		return patched_copy(o, m);
	return KB_OK;
}

/* --tree: the directory as it is. */
static int given_tree(const char *dir, struct kb_meta *m)
{
	struct tree_version v;

	m->tree = fs_realpath(dir);
	if (!m->tree) {
		kb_error("kernel tree '%s': %s", dir, strerror(errno));
		return KB_EENV;
	}
	if (source_tree_version(m->tree, &v) == 0)
		m->version = xasprintf("%d.%d.%d", v.version, v.patchlevel, v.sublevel);
	m->origin = xasprintf("directory %s (--tree)", m->tree);
	return KB_OK;
}

/* "6.12", "6.1.176": a version scripts/kernel-source looks up in the archive */
static int is_version(const char *s)
{
	int n[3];
	const char *end;

	return parse_ver(s, n, &end) > 0 && !*end;
}

int source_stage_check(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;

	if (o->tree && !fs_is_dir(o->tree)) {
		kb_error("kernel tree '%s': %s", o->tree, access(o->tree, F_OK) ? strerror(errno) : strerror(ENOTDIR));
		return KB_EENV;
	}
	if (o->kernel && !is_version(o->kernel) && !fs_is_file(o->kernel) && !fs_is_dir(o->kernel)) {
		kb_error("--kernel '%s': not a version (6.12, 6.1.176), a kernel tarball or a tree: %s", o->kernel,
			 strerror(ENOENT));
		return KB_EUSAGE;
	}
	if (o->objdir && access(o->objdir, F_OK) == 0 && !fs_is_dir(o->objdir)) {
		kb_error("-O '%s': %s", o->objdir, strerror(ENOTDIR));
		return KB_EUSAGE;
	}
	return KB_OK;
}

/* The build directory is ours alone from before the tree is fetched (when it exists) to the end. */
static int lock_build_dir(struct kb_job *job, const char *objdir)
{
	if (job->lockfd < 0)
		job->lockfd = build_dir_lock(objdir, 0, job->o->argc - 1, job->o->argv + 1);
	return job->lockfd < 0 ? KB_EENV : KB_OK;
}

int source_stage_lock(struct kb_job *job)
{
	char *objdir = job->o->objdir ? fs_absolute(job->o->objdir) : NULL;
	char *state = objdir ? xasprintf("%s/.kbuild", objdir) : NULL;
	int st = state && fs_is_dir(state) ? lock_build_dir(job, objdir) : KB_OK;

	free(state);
	free(objdir);
	return st;
}

int source_stage(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;
	struct kb_meta *m = &job->meta;
	int ret = o->tree ? given_tree(o->tree, m) : fetch_tree(o, m);

	if (ret != KB_OK)
		return ret;
	if (o->objdir) {
		job->objdir = fs_absolute(o->objdir);
	} else {
		const char *base = strrchr(m->tree, '/');
		char *name = xasprintf("build/%s", base ? base + 1 : m->tree);

		job->objdir = fs_absolute(name);
		free(name);
	}
	job->statedir = xasprintf("%s/.kbuild", job->objdir);
	job->dotconfig = xasprintf("%s/.config", job->objdir);
	ret = fs_mkdir_p(job->statedir, 0755);
	if (ret < 0) {
		kb_error("cannot create the build directory '%s': %s", job->objdir, strerror(-ret));
		return KB_EENV;
	}
	if (lock_build_dir(job, job->objdir) != KB_OK)
		return KB_EENV;
	source_lock_cached_tree(job);
	m->path = xasprintf("%s/metadata.json", job->objdir);
	build_job_setup(job);
	return KB_OK;
}

/* ---- kbuild cache: the cached trees and downloads, and the build directories under ./build ---- */

struct cache_entry {
	char *name;       /* as listed and as `kbuild cache remove` takes it: trees/X, build/X, X */
	char *path;
	char *parent;     /* the directory it is renamed in before it is removed */
	int kind;         /* CACHE_TREE, CACHE_BUILD, CACHE_OTHER */
	long long bytes;
};

enum { CACHE_TREE, CACHE_BUILD, CACHE_OTHER };

struct cache_list {
	struct cache_entry *v;
	size_t nr, alloc;
};

static void cache_add(struct cache_list *l, const char *dir, const char *prefix, const char *name, int kind)
{
	struct cache_entry *e;

	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	e = &l->v[l->nr++];
	e->name = xasprintf("%s%s", prefix, name);
	e->path = xasprintf("%s/%s", dir, name);
	e->parent = xstrdup(dir);
	e->kind = kind;
	e->bytes = -1;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct cache_entry *)a)->name, ((const struct cache_entry *)b)->name);
}

/* The entries of `dir` (dot names are kbuild's own locks and half-made or half-removed entries). */
static void cache_scan(struct cache_list *l, const char *dir, const char *prefix, int kind, int dirs_only)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (kind == CACHE_OTHER && str_eq(e->d_name, "trees") && fs_is_dir(path))
			cache_scan(l, path, "trees/", CACHE_TREE, 1);
		else if (!dirs_only || fs_is_dir(path))
			cache_add(l, dir, prefix, e->d_name, kind);
		free(path);
	}
	if (d)
		closedir(d);
}

static void cache_collect(struct cache_list *l, const char *cache)
{
	cache_scan(l, cache, "", CACHE_OTHER, 0);
	cache_scan(l, "build", "build/", CACHE_BUILD, 1);
	qsort(l->v, l->nr, sizeof(*l->v), cmp_entry);
}

static void cache_release(struct cache_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
		free(l->v[i].parent);
	}
	free(l->v);
}

/* Try `path`'s lock without waiting; fd >= 0 (held now), -EWOULDBLOCK (in use), or another -errno. */
static int try_lock(const char *path, int is_dir)
{
	int fd;

	if (!is_dir)
		return fs_is_file(path) ? fs_lock(path, 0) : -ENOENT;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -EWOULDBLOCK;
	}
	return fd;
}

/*
 * Lock the entry against every kbuild command that uses it: the fds to close afterwards in fds
 * (at most 3), or -EWOULDBLOCK when one of them is at work. A cached tree is locked (shared) by the
 * main command that builds it, and all of them by scripts/kernel-source while it fetches; a build
 * directory by its .kbuild/lock; another entry by its .lock, its NAME.lock files and build
 * directories (the test harness's builds).
 */
static int cache_lock(const struct cache_entry *e, int *fds, size_t *nr)
{
	char *p;
	int fd = 0;

	*nr = 0;
	if (e->kind == CACHE_TREE) {
		p = xasprintf("%s/.lock", e->parent);
		fd = try_lock(p, 0);
		free(p);
		if (fd >= 0)
			fds[(*nr)++] = fd;
		if (fd != -EWOULDBLOCK && (fd = try_lock(e->path, 1)) >= 0)
			fds[(*nr)++] = fd;
	} else {
		DIR *d = e->kind == CACHE_OTHER ? opendir(e->path) : NULL;
		struct dirent *de;

		p = xasprintf("%s/%s", e->path, e->kind == CACHE_BUILD ? ".kbuild/lock" : ".lock");
		fd = try_lock(p, 0);
		free(p);
		if (fd >= 0)
			fds[(*nr)++] = fd;
		/* what is inside: checked now, not held (renamed away before anything is removed) */
		while (d && fd != -EWOULDBLOCK && (de = readdir(d))) {
			int sub;

			if (de->d_name[0] == '.')
				continue;
			p = ends_with(de->d_name, ".lock") ? xasprintf("%s/%s", e->path, de->d_name)
				    : xasprintf("%s/%s/.kbuild/lock", e->path, de->d_name);
			sub = try_lock(p, 0);
			free(p);
			if (sub >= 0)
				close(sub);
			else if (sub == -EWOULDBLOCK)
				fd = sub;
		}
		if (d)
			closedir(d);
	}
	if (fd == -EWOULDBLOCK) {
		while (*nr)
			close(fds[--(*nr)]);
		return fd;
	}
	return 0;
}

static char *bytes_text(long long b)
{
	if (b >= 1024LL * 1024 * 1024)
		return xasprintf("%.1f GB", (double)b / (1024.0 * 1024 * 1024));
	if (b >= 1024LL * 1024)
		return xasprintf("%.1f MB", (double)b / (1024.0 * 1024));
	return xasprintf("%lld KB", (b + 1023) / 1024);
}

static int cache_in_use(const struct cache_entry *e)
{
	int fds[3];
	size_t nr;

	if (cache_lock(e, fds, &nr) < 0)
		return 1;
	while (nr)
		close(fds[--nr]);
	return 0;
}

static char *cache_dir_absolute(void)
{
	char *rel = source_cache_dir(), *abs = fs_absolute(rel);

	free(rel);
	return abs;
}

int source_cache_list(void)
{
	char *cache = cache_dir_absolute(), *s;
	struct cache_list l = { 0 };
	long long total = 0;

	cache_collect(&l, cache);
	s = fs_absolute("build");
	printf("cache: %s%s\nbuild directories: %s%s\n", cache, fs_is_dir(cache) ? "" : " (none yet)", s,
	       fs_is_dir(s) ? "" : " (none)");
	free(s);
	for (size_t i = 0; i < l.nr; i++) {
		struct cache_entry *e = &l.v[i];

		e->bytes = fs_disk_usage(e->path);
		total += e->bytes;
		s = bytes_text(e->bytes);
		printf("%10s  %s%s\n", s, e->name, cache_in_use(e) ? "  (in use)" : "");
		free(s);
	}
	s = bytes_text(total);
	printf("total: %s in %zu entr%s; remove with 'kbuild cache remove NAME...' or 'kbuild cache remove --all'\n", s,
	       l.nr, l.nr == 1 ? "y" : "ies");
	free(s);
	cache_release(&l);
	free(cache);
	return KB_OK;
}

/* Rename it out of sight (a command that looks for it now finds nothing), then remove it. */
static int cache_remove_one(const struct cache_entry *e, long long *freed)
{
	const char *base = strrchr(e->path, '/') + 1;
	/* kernel-source clears the .tmp.* a removal left when it was interrupted */
	char *gone = xasprintf("%s/.tmp.removing.%s.%ld", e->parent, base, (long)getpid());
	long long bytes = fs_disk_usage(e->path);
	int fds[3], ret;
	size_t nr;
	char *s;

	if (cache_lock(e, fds, &nr) < 0) {
		kb_error("'%s' is in use by a kbuild command: not removed", e->name);
		free(gone);
		return KB_EENV;
	}
	s = bytes_text(bytes);
	kb_progress("REMOVE", "%s (%s)", e->name, s);
	free(s);
	ret = rename(e->path, gone) < 0 ? -errno : fs_remove_tree(gone);
	while (nr)
		close(fds[--nr]);
	if (ret < 0) {
		kb_error("cannot remove '%s': %s", e->path, strerror(-ret));
		free(gone);
		return KB_EENV;
	}
	*freed += bytes;
	free(gone);
	return KB_OK;
}

int source_cache_remove(const char *const *names, size_t n, int all)
{
	char *cache = cache_dir_absolute(), *s;
	struct cache_list l = { 0 };
	long long freed = 0;
	int st = KB_OK;
	size_t i, j;

	cache_collect(&l, cache);
	/* every name first: a typo removes nothing */
	for (i = 0; i < n; i++) {
		for (j = 0; j < l.nr && !str_eq(names[i], l.v[j].name); j++)
			;
		if (j == l.nr) {
			kb_error("'%s': no such entry in the cache (%s) or build/ (see 'kbuild cache')", names[i], cache);
			st = KB_EUSAGE;
		}
	}
	for (i = 0; i < n && st != KB_EUSAGE; i++)
		for (j = 0; j < l.nr; j++)
			if (str_eq(names[i], l.v[j].name) && l.v[j].bytes == -1) {
				l.v[j].bytes = 0; /* once, even when named twice */
				if (cache_remove_one(&l.v[j], &freed) != KB_OK)
					st = KB_EENV;
			}
	for (j = 0; all && j < l.nr; j++)
		if (cache_remove_one(&l.v[j], &freed) != KB_OK)
			st = KB_EENV;
	if (st != KB_EUSAGE) {
		s = bytes_text(freed);
		printf("kbuild: freed %s\n", s);
		free(s);
	}
	cache_release(&l);
	free(cache);
	return st;
}

/* A cached tree stays while a run uses it: kbuild cache remove takes this lock exclusively. */
void source_lock_cached_tree(struct kb_job *job)
{
	char *cache = source_cache_dir(), *trees = xasprintf("%s/trees", cache), *real = fs_realpath(trees);
	char *entry = fs_dirname(job->meta.tree), *up = fs_dirname(entry), *real_up = fs_realpath(up);

	if (real && real_up && str_eq(real, real_up) && job->treelockfd < 0) {
		job->treelockfd = open(entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (job->treelockfd >= 0 && flock(job->treelockfd, LOCK_SH | LOCK_NB) < 0) {
			close(job->treelockfd);
			job->treelockfd = -1;
		}
	}
	free(cache);
	free(trees);
	free(real);
	free(entry);
	free(up);
	free(real_up);
}
