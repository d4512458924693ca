/* modules.h - the modules of a built kernel: staged with its own modules_install, requests resolved and the configuration listed through libkmod */
#ifndef KB_MODULES_H
#define KB_MODULES_H

#include "install.h"
#include "status.h"
#include "strbuf.h"

struct modules_opts {
	struct install_opts inst;      /* tree, objdir and the build's make variables; destdir unused */
	const char *const *conf;       /* modprobe.d files or directories, NULL-terminated; NULL: the system's */
	int verbose;
};

/*
 * The build's modules as the booted kernel will see them: modules_install
 * and depmod into BUILD/.kbuild/modules, redone when a module, modules.order
 * or modules.builtin changed since. *dirname gets .../lib/modules/RELEASE
 * (caller frees). KB_OK; KB_EENV (not built, no modules, a tool missing).
 */
enum kb_status modules_stage(const struct modules_opts *o, char **dirname);

/*
 * What each request (a module name, an alias such as char-major-116,
 * fs-iso9660, snd-card-0, or a device modalias) loads on the build: which
 * module answers it and how (modprobe.d alias, module name, modules.alias,
 * built in), then the modules in load order with their options, install
 * commands and soft dependencies, as modprobe would load them. Written to
 * `out`. KB_OK; KB_FAILED when a request resolves to nothing; KB_EUSAGE for
 * a malformed modprobe.d line (file:line named); KB_EENV.
 */
enum kb_status modules_resolve(const struct modules_opts *o, const char *const *requests, int n,
			       struct strbuf *out);

/* The whole configuration modprobe would use for the build (`modprobe -c`): modprobe.d, then modules.alias and modules.symbols. */
enum kb_status modules_list(const struct modules_opts *o, struct strbuf *out);

/*
 * A modprobe.d file for the audio profile, each line with why: the card
 * drivers' index= (USB first, the test cards never 0), HD Audio power saving
 * off, USB low latency, the sequencer's timer softdep; built-in drivers'
 * settings as a kernel command line. Checked against the build's modinfo.
 * To `output` (atomically) or into `out`. KB_OK, KB_EUSAGE, KB_EENV.
 */
enum kb_status modules_config(const struct modules_opts *o, const char *profile, const char *output,
			      struct strbuf *out);

struct spy_opts {
	const char *sysctl;            /* /proc/sys/kernel/modprobe */
	const char *state_dir;         /* where the wrapper, its log and the saved setting live */
	double duration;               /* seconds; 0: until the command ends or a signal */
	const char *log;               /* also write the report there, or NULL */
	const char *const *command;    /* run this while spying (argv), or NULL */
};

/*
 * Record the kernel's module requests: point o->sysctl at a wrapper that logs
 * each request and runs the real modprobe, report each one (time, request,
 * exit status, modules it loaded), and put the original back at the end, also
 * after SIGINT, SIGTERM or SIGHUP; a wrapper left by a spy that was killed is
 * found and repaired first. *cmd_status: the command's exit status. KB_OK;
 * KB_EENV (not root, no sysctl, cannot write); 130 on a signal.
 */
enum kb_status modules_spy(const struct spy_opts *o, int *cmd_status);

#endif
