/* install.h - packages through the kernel's own targets, modules_install, depmod, image, initramfs and boot entry */
#ifndef KB_INSTALL_H
#define KB_INSTALL_H

#include "build.h"
#include "status.h"
#include "strbuf.h"

struct install_opts {
	struct build_opts make;    /* tree, objdir, ARCH, CC, env: the same make variables as the build */
	const char *destdir;       /* staged install root, or NULL for the running system (root only) */
	int strip;                 /* modules_install with INSTALL_MOD_STRIP=1 (debug info left out) */
};

/*
 * Install a built kernel: modules_install and depmod for its release, the
 * image, System.map and config in /boot, then initramfs and boot entry
 * through kernel-install or installkernel (the running system only). With
 * destdir, everything lands under it and nothing outside is touched.
 * KB_OK, KB_FAILED (a step failed), KB_EENV (not built, not root, missing tool).
 */
enum kb_status install_run(const struct install_opts *o);

/*
 * modules_install and depmod for `release` under o->destdir (or the running
 * system's /lib/modules): what install_run does first, and what `kbuild
 * modules` stages a build's modules with. KB_OK, KB_FAILED, KB_EENV.
 */
enum kb_status install_modules(const struct install_opts *o, const char *release);

/* Build a package with the kernel's own target (bindeb-pkg, binrpm-pkg, tar-pkg); the files made go to `files`, one a line. */
enum kb_status package_run(const struct install_opts *o, const char *kind, struct strbuf *files);

/* The kernel command line for audio work with this .config ("threadirqs preempt=full"; "" when nothing is needed). */
char *install_audio_cmdline(const char *config_path);

struct kb_job;
/* Before anything runs: --install without --destdir needs root. KB_OK or KB_EENV. */
int install_stage_check(struct kb_job *job);
/* The package stage: --package's kind with package_run (nothing without it); the files into the metadata. */
int package_stage(struct kb_job *job);
/* The install stage: --install with install_run, into --destdir or the running system (nothing without it). */
int install_stage(struct kb_job *job);

/* 1 when /dev/shm is a tmpfs (JACK and PipeWire need it), 0 when not, -errno when it cannot be checked. */
int install_shm_is_tmpfs(const char *path);

#endif
