/* boot.h - the QEMU boot test: an initramfs with busybox, latency-bench and the build's sound modules, the boot, the results back */
#ifndef KB_BOOT_H
#define KB_BOOT_H

#include "status.h"
#include "strbuf.h"

/* What the guest runs when no command is given (a shell line): the timer plane, then the ALSA plane on snd-dummy. */
#define BOOT_DEFAULT_COMMAND                                                                      \
	"latency-bench --plane timer -D 3 --cpus 0 -q --json /out/timer.json && "                 \
	"latency-bench --plane alsa --device hw:Dummy --period 256 -D 3 -q --json /out/alsa.json"

/* The sound test modules loaded in the guest (with what they depend on), when the build has them. */
#define BOOT_MODULES "snd-dummy snd-aloop"

enum boot_accel { BOOT_ACCEL_AUTO, BOOT_ACCEL_KVM, BOOT_ACCEL_TCG };

struct boot_opts {
	const char *objdir;        /* absolute build directory holding arch/x86/boot/bzImage */
	const char *results;       /* results directory (made, emptied when boot-test made it); NULL: objdir/boot-test */
	const char *latency_bench; /* the host's latency-bench, copied into the guest with its libraries */
	const char *busybox;       /* a statically linked busybox; NULL: busybox from PATH */
	const char *const *command; /* the guest command's argument vector, NULL-terminated; NULL: BOOT_DEFAULT_COMMAND */
	const char *append;        /* more kernel command-line arguments, or NULL */
	const char *const *with;   /* more host programs for the guest's /usr/bin (with their libraries), NULL-terminated, or NULL */
	enum boot_accel accel;
	double timeout;            /* seconds the boot and the command may take, all told */
	double boot_timeout;       /* seconds the kernel may take to start /init */
	double kvm_deadline;       /* --accel auto: seconds for a KVM guest to reach /init before TCG takes over */
	int verbose;               /* show the commands run and the whole console */
};

/*
 * Build the initramfs, boot the build's image in qemu-system-x86_64 and bring
 * the guest's /out back into the results directory. KB_OK with the guest
 * command's exit status in *status; KB_EENV when the test could not run or
 * the guest gave no result (missing image, tool or busybox-static; the
 * kernel panicked, hung or timed out: the console's last lines are shown);
 * KB_EUSAGE when the results directory holds files boot-test did not make;
 * 130 when interrupted. QEMU never outlives the call.
 */
int boot_run(const struct boot_opts *o, int *status);

/*
 * The files `ldd` lists: "name => /path (addr)" and "/loader (addr)" lines
 * give their paths, one a line, appended to `paths`; "name => not found"
 * names are appended to `missing`, space-separated. Returns how many paths.
 */
int boot_parse_ldd(const char *out, struct strbuf *paths, struct strbuf *missing);

/* The kernel's panic line in a console log ("Kernel panic - not syncing: ..."), copied (caller frees), or NULL. */
char *boot_panic_line(const char *console);

/* The last `n` lines of `text` (a pointer into it). */
const char *boot_tail(const char *text, int n);

/*
 * `argv` as one line for sh that gives the command exactly these words: every word that is not
 * plain ([A-Za-z0-9_@%+,./:=-]) single-quoted, and the first also when it would be read as a
 * reserved word or an assignment. Appended to `sb`.
 */
void boot_quote_argv(struct strbuf *sb, const char *const *argv);

/*
 * The interpreter a script names on its "#!" line (`head`, the file's first bytes), and its
 * one argument, if any (both caller frees). 0; -ENOEXEC when `head` has no "#!" line naming
 * an absolute path.
 */
int boot_parse_shebang(const char *head, size_t len, char **interp, char **arg);

/* Does the ELF file at `path` name a program interpreter (dynamically linked)? 1, 0, or -errno (-ENOEXEC: not ELF). */
int boot_elf_is_dynamic(const char *path);

#endif
