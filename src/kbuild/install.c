/* install.c - packages through the kernel's own targets; modules, depmod, image and boot entry, staged or for real */
#define _GNU_SOURCE
#include "install.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include "fragment.h"
#include "fs.h"
#include "job.h"
#include "log.h"
#include "run.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

int install_shm_is_tmpfs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return -errno;
	return sf.f_type == TMPFS_MAGIC;
}

char *install_audio_cmdline(const char *config_path)
{
	struct cfg_map cm;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *rt, *dyn, *forced;

	if (cfg_map_read(&cm, config_path, &err) < 0) {
		strbuf_release(&err);
		return NULL;
	}
	rt = cfg_map_value(&cm, "PREEMPT_RT");
	dyn = cfg_map_value(&cm, "PREEMPT_DYNAMIC");
	forced = cfg_map_value(&cm, "IRQ_FORCED_THREADING");
	/* PREEMPT_RT threads every interrupt handler itself; elsewhere threadirqs asks for it */
	if (!(rt && str_eq(rt, "y")) && forced && str_eq(forced, "y"))
		strbuf_addstr(&out, "threadirqs");
	if (dyn && str_eq(dyn, "y") && !(rt && str_eq(rt, "y")))
		strbuf_addf(&out, "%spreempt=full", out.len ? " " : "");
	cfg_map_release(&cm);
	strbuf_release(&err);
	return strbuf_detach(&out, NULL);
}

/* make -C tree O=objdir <the build's variables> goal [extra vars]; output shown on failure. */
static enum kb_status run_make(const struct install_opts *o, const char *goal, const char *const *vars)
{
	const char *goals[8];
	char **argv;
	struct strbuf out = STRBUF_INIT;
	struct run_cmd cmd = { .env = o->make.env, .out = &out, .merge_err = 1, .new_pgroup = 1,
			       .guard = o->make.guard };
	int n = 0, ret;
	enum kb_status st = KB_OK;

	for (; vars && vars[n] && n < 6; n++)
		goals[n] = vars[n];
	goals[n++] = goal;
	goals[n] = NULL;
	argv = build_make_argv(&o->make, goals);
	cmd.argv = (const char *const *)argv;
	if (o->make.verbose) {
		char *line = run_format(&cmd);
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	ret = run_command(&cmd);
	if (ret != 0) {
		fputs(out.buf, stderr);
		if (ret < 0)
			kb_error("cannot run 'make %s': %s", goal, strerror(-ret));
		else
			kb_error("'make %s' failed (exit %d)", goal, ret);
		st = ret < 0 || build_log_no_space(out.buf) ? KB_EENV : KB_FAILED;
	} else if (o->make.verbose) {
		fputs(out.buf, stderr);
	}
	strbuf_release(&out);
	free_argv(argv);
	return st;
}

static char *read_release(const char *objdir)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/include/config/kernel.release", objdir);

	if (fs_read_file(path, &sb) < 0) {
		free(path);
		strbuf_release(&sb);
		return NULL;
	}
	free(path);
	strbuf_setlen(&sb, strcspn(sb.buf, "\n"));
	return strbuf_detach(&sb, NULL);
}

static const char *image_path(const struct install_opts *o)
{
	return str_eq(o->make.srcarch, "x86") ? "arch/x86/boot/bzImage" : "vmlinux";
}

static int copy_into(const char *src, const char *dst, unsigned mode)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = fs_read_file(src, &sb);

	if (ret == 0)
		ret = fs_write_atomic(dst, sb.buf, sb.len, NULL);
	if (ret >= 0)
		ret = chmod(dst, mode) < 0 ? -errno : 0;
	strbuf_release(&sb);
	return ret < 0 ? ret : 0;
}

static enum kb_status run_tool(const char *const *argv, int verbose)
{
	struct run_cmd cmd = { .argv = argv };
	int ret;

	if (verbose) {
		char *line = run_format(&cmd);
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	ret = run_command(&cmd);
	if (ret != 0) {
		kb_error("'%s' failed: %s", argv[0], ret < 0 ? strerror(-ret) : "see its messages above");
		return ret < 0 ? KB_EENV : KB_FAILED;
	}
	return KB_OK;
}

static void advise(const struct install_opts *o)
{
	char *cfg = xasprintf("%s/.config", o->make.objdir);
	char *line = install_audio_cmdline(cfg);
	int shm = install_shm_is_tmpfs("/dev/shm");

	struct strbuf sb = STRBUF_INIT;
	int rt = fs_read_file(cfg, &sb) == 0 && (starts_with(sb.buf, "CONFIG_PREEMPT_RT=y\n") ||
						  strstr(sb.buf, "\nCONFIG_PREEMPT_RT=y\n"));

	strbuf_release(&sb);
	if (line && *line)
		printf("kbuild: for audio work boot it with: %s\n", line);
	else if (line && rt)
		printf("kbuild: for audio work no extra kernel parameters are needed (PREEMPT_RT threads every interrupt)\n");
	else if (line)
		printf("kbuild: this kernel is not PREEMPT_RT and cannot thread its interrupts (IRQ_FORCED_THREADING=n): "
		       "expect higher audio latency\n");
	if (shm == 0)
		kb_warning("/dev/shm is not a tmpfs: JACK and PipeWire need it (add 'tmpfs /dev/shm tmpfs defaults 0 0' to /etc/fstab)");
	else if (shm < 0)
		kb_warning("/dev/shm: %s: JACK and PipeWire need a tmpfs there", strerror(-shm));
	free(line);
	free(cfg);
}

enum kb_status install_modules(const struct install_opts *o, const char *release)
{
	const char *root = o->destdir ? o->destdir : "";
	char *modpath = xasprintf("INSTALL_MOD_PATH=%s", o->destdir ? o->destdir : "");
	const char *vars[] = { modpath, o->strip ? "INSTALL_MOD_STRIP=1" : NULL, NULL };
	char *dep = xasprintf("%s/lib/modules/%s/modules.dep", root, release);
	enum kb_status st;

	kb_progress("INSTALL", "%s/lib/modules/%s", root, release);
	st = run_make(o, "modules_install", o->destdir ? vars : o->strip ? vars + 1 : NULL);
	free(modpath);
	if (st == KB_OK) {
		/* modules_install runs depmod when it finds it; run it for this release either way */
		const char *argv[] = { "depmod", "-b", o->destdir ? o->destdir : "/", release, NULL };

		if (!run_have_program("depmod") && !fs_is_file("/sbin/depmod")) {
			kb_error("cannot run 'depmod': not installed (apt-get install kmod)");
			st = KB_EENV;
		} else {
			kb_progress("DEPMOD", "%s", release);
			st = run_tool(argv, o->make.verbose);
		}
		if (st == KB_OK && !fs_is_file(dep)) {
			kb_error("depmod left no '%s'", dep);
			st = KB_FAILED;
		}
	}
	free(dep);
	return st;
}

enum kb_status install_run(const struct install_opts *o)
{
	const char *root = o->destdir ? o->destdir : "";
	char *release = read_release(o->make.objdir), *image = NULL, *boot = NULL, *dst = NULL, *src = NULL;
	char *cfgpath = xasprintf("%s/.config", o->make.objdir);
	struct cfg_map cm;
	struct strbuf err = STRBUF_INIT;
	const char *modules;
	enum kb_status st = KB_OK;
	int ret;

	memset(&cm, 0, sizeof(cm));
	image = xasprintf("%s/%s", o->make.objdir, image_path(o));
	if (!release || !fs_is_file(image)) {
		kb_error("'%s' holds no built kernel: build it first (kbuild --tree SRC -O %s ...)", o->make.objdir,
			 o->make.objdir);
		st = KB_EENV;
		goto out;
	}
	if (!o->destdir && geteuid() != 0) {
		kb_error("installing into the running system needs root: run 'sudo kbuild install -O %s', "
			 "or stage it with --destdir DIR", o->make.objdir);
		st = KB_EENV;
		goto out;
	}
	if (cfg_map_read(&cm, cfgpath, &err) < 0) {
		fputs(err.buf, stderr);
		st = KB_EENV;
		goto out;
	}
	modules = cfg_map_value(&cm, "MODULES");
	if (modules && str_eq(modules, "y")) {
		st = install_modules(o, release);
		if (st != KB_OK)
			goto out;
	}
	boot = xasprintf("%s/boot", root);
	if (o->destdir || !run_have_program("installkernel")) {
		static const struct { const char *from, *to; unsigned mode; } files[] = {
			{ NULL, "vmlinuz", 0644 }, { "System.map", "System.map", 0644 }, { ".config", "config", 0644 },
		};

		if ((ret = fs_mkdir_p(boot, 0755)) < 0) {
			kb_error("cannot create '%s': %s", boot, strerror(-ret));
			st = KB_EENV;
			goto out;
		}
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			free(src);
			free(dst);
			src = files[i].from ? xasprintf("%s/%s", o->make.objdir, files[i].from) : xstrdup(image);
			dst = xasprintf("%s/%s-%s", boot, files[i].to, release);
			kb_progress("INSTALL", "%s", dst);
			if ((ret = copy_into(src, dst, files[i].mode)) < 0) {
				kb_error("cannot install '%s' as '%s': %s", src, dst, strerror(-ret));
				st = KB_EENV;
				goto out;
			}
		}
	}
	if (o->destdir) {
		printf("kbuild: staged %s in %s: /boot/vmlinuz-%s%s; the initramfs and boot entry are made when it "
		       "is installed into the running system\n", release, o->destdir, release,
		       modules && str_eq(modules, "y") ? " and its modules" : "");
		advise(o);
		goto out;
	}
	/* the running system: the distribution's own hooks make the initramfs and the boot entry */
	if (run_have_program("installkernel")) {
		char *map = xasprintf("%s/System.map", o->make.objdir);
		const char *argv[] = { "installkernel", release, image, map, "/boot", NULL };

		kb_progress("INSTALL", "installkernel %s (initramfs and boot entry by /etc/kernel/postinst.d)", release);
		st = run_tool(argv, o->make.verbose);
		free(map);
	} else if (run_have_program("kernel-install")) {
		char *vmlinuz = xasprintf("/boot/vmlinuz-%s", release);
		const char *argv[] = { "kernel-install", "add", release, vmlinuz, NULL };

		kb_progress("INSTALL", "kernel-install add %s", release);
		st = run_tool(argv, o->make.verbose);
		free(vmlinuz);
	} else {
		const char *initrd[] = { "update-initramfs", "-c", "-k", release, NULL };
		const char *dracut[] = { "dracut", "--kver", release, NULL };
		const char *grub[] = { "update-grub", NULL };

		if (run_have_program("update-initramfs"))
			st = run_tool(initrd, o->make.verbose);
		else if (run_have_program("dracut"))
			st = run_tool(dracut, o->make.verbose);
		else
			kb_warning("no update-initramfs or dracut: make an initramfs for %s if your root file system needs one",
				   release);
		if (st == KB_OK && run_have_program("update-grub"))
			st = run_tool(grub, o->make.verbose);
		else if (st == KB_OK)
			kb_warning("no kernel-install, installkernel or update-grub: add a boot entry for /boot/vmlinuz-%s",
				   release);
	}
	if (st == KB_OK) {
		printf("kbuild: installed %s; reboot and choose it in the boot menu\n", release);
		advise(o);
	}
out:
	if (cm.map.slots)
		cfg_map_release(&cm);
	strbuf_release(&err);
	free(release);
	free(image);
	free(boot);
	free(src);
	free(dst);
	free(cfgpath);
	return st;
}

/* ---- packages ---- */

static void collect_new(const char *dir, const char *suffix, time_t since, struct strbuf *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *path;
		struct stat sb;

		if (e->d_name[0] == '.' || !strstr(e->d_name, suffix))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime >= since)
			strbuf_addf(files, "%s\n", path);
		free(path);
	}
	closedir(d);
}

enum kb_status package_run(const struct install_opts *o, const char *kind, struct strbuf *files)
{
	static const struct { const char *kind, *target, *suffix, *tool, *pkg; } kinds[] = {
		{ "deb", "bindeb-pkg", ".deb", "dpkg-buildpackage", "dpkg-dev" },
		{ "rpm", "binrpm-pkg", ".rpm", "rpmbuild", "rpm" },
		{ "tar", "tar-pkg", ".tar", "tar", "tar" },
	};
	char *parent = fs_dirname(o->make.objdir), *rpms = NULL;
	time_t since = time(NULL) - 1;
	enum kb_status st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds) && !str_eq(kinds[i].kind, kind); i++)
		;
	if (i == ARRAY_SIZE(kinds))
		BUG("package kind '%s' not checked by the caller", kind);
	if (!run_have_program(kinds[i].tool)) {
		kb_error("--package %s needs '%s' (apt-get install %s)", kind, kinds[i].tool, kinds[i].pkg);
		free(parent);
		return KB_EENV;
	}
	kb_progress("PACKAGE", "make %s", kinds[i].target);
	st = run_make(o, kinds[i].target, NULL);
	if (st == KB_OK) {
		char *home = getenv("HOME") ? xasprintf("%s/rpmbuild/RPMS", getenv("HOME")) : NULL;
		const char *arches[] = { "x86_64", "noarch", "aarch64", "i386" };

		collect_new(o->make.objdir, kinds[i].suffix, since, files);
		collect_new(parent, kinds[i].suffix, since, files);
		for (size_t a = 0; a < ARRAY_SIZE(arches) && str_eq(kind, "rpm"); a++) {
			free(rpms);
			rpms = xasprintf("%s/rpmbuild/RPMS/%s", o->make.objdir, arches[a]);
			collect_new(rpms, ".rpm", since, files);
			if (home) {
				free(rpms);
				rpms = xasprintf("%s/%s", home, arches[a]);
				collect_new(rpms, ".rpm", since, files);
			}
		}
		free(home);
		if (!files->len) {
			kb_error("'make %s' succeeded but made no %s file", kinds[i].target, kinds[i].suffix);
			st = KB_FAILED;
		} else {
			printf("kbuild: packages:\n");
			for (const char *p = files->buf; *p;) {
				size_t len = strcspn(p, "\n");
				printf("  %.*s\n", (int)len, p);
				p += len + (p[len] ? 1 : 0);
			}
		}
	}
	free(rpms);
	free(parent);
	return st;
}

/* ---- the package and install stages of the pipeline ---- */

int install_stage_check(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;

	if (o->install && !o->destdir && geteuid() != 0) {
		kb_error("--install into the running system needs root: build as yourself, then run "
			 "'sudo kbuild install -O BUILD' (or stage it with --destdir DIR)");
		return KB_EENV;
	}
	return KB_OK;
}

int package_stage(struct kb_job *job)
{
	struct install_opts io = { .make = job->make };
	struct strbuf files = STRBUF_INIT;
	int st;

	if (!job->o->package) {
		job->skipped = 1;
		return KB_OK;
	}
	st = package_run(&io, job->o->package, &files);
	job->meta.packages = strbuf_detach(&files, NULL);
	return st;
}

int install_stage(struct kb_job *job)
{
	struct install_opts io = { .make = job->make, .destdir = job->meta.destdir };

	if (!job->o->install) {
		job->skipped = 1;
		return KB_OK;
	}
	return install_run(&io);
}
