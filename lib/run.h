/* run.h - run a subprocess with optional environment, directory and output capture */
#ifndef KB_RUN_H
#define KB_RUN_H

#include <signal.h>
#include <sys/types.h>
#include "strbuf.h"

struct run_cmd {
	const char *const *argv;   /* argv[0] is looked up in PATH */
	const char *const *env;    /* extra "NAME=value" entries, NULL-terminated, or NULL */
	const char *dir;           /* chdir before exec, or NULL */
	struct strbuf *out;        /* capture stdout (and stderr when merge_err), or NULL */
	int merge_err;             /* send stderr to the same capture */
	int quiet;                 /* discard output that is not captured */
	int new_pgroup;            /* run in a process group of its own (signal it and its children as one) */
	struct run_guard *guard;   /* a signal handler stops the child through it, or NULL */
};

/*
 * Standard input is always /dev/null: no child can wait for input that cannot
 * come (a Kconfig question, a pager), nor be stopped reading a terminal from a
 * background process group.
 *
 * A guard lets the program's signal handler end the running child whatever
 * its state: run_start publishes the child there (-pgid with new_pgroup), and
 * starts nothing once `stop` is set; the handler calls run_guard_stop(), and
 * run_guard_kill() when the grace period is over.
 */
struct run_guard {
	volatile pid_t child;      /* pid, -pgid, or 0 when nothing runs */
	volatile sig_atomic_t stop; /* the signal that asked to stop, or 0 */
};

/* Async-signal-safe: SIGCONT (a stopped group cannot act on a signal), then `sig`. */
void run_guard_stop(struct run_guard *g, int sig);
/* Async-signal-safe: SIGKILL to what still runs. */
void run_guard_kill(struct run_guard *g);
/* After run_wait of a guarded child: the rest of a stopped group killed, nothing published. */
void run_guard_done(struct run_guard *g);

/*
 * Run and wait. Returns the exit status (0-255), 128+signal when killed,
 * or -errno when it could not be started (-ENOENT: no such program,
 * -ENOTDIR: no such directory to run it in).
 */
int run_command(const struct run_cmd *cmd);
/*
 * Start without waiting (-EINTR when the guard says stop): with `outfd` non-NULL, stdout (and stderr when
 * merge_err) come through a pipe whose read end is returned there. 0 with
 * the child's pid, or -errno as run_command (nothing left running).
 */
int run_start(const struct run_cmd *cmd, pid_t *pid, int *outfd);
/* Wait for a started child: its exit status, 128+signal, or -errno. */
int run_wait(pid_t pid);
/* Is `prog` an executable somewhere in PATH? */
int run_have_program(const char *prog);
/* `s` in single quotes for sh, a quote in it as '\'' (appended to sb). */
void run_sh_quote(struct strbuf *sb, const char *s);
/* Shell-quoted rendering of argv for V=1 output (caller frees). */
char *run_format(const struct run_cmd *cmd);

#endif
