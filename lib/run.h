/* run.h - run a subprocess with optional environment, directory and output capture */
#ifndef KB_RUN_H
#define KB_RUN_H

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
};

/*
 * Run and wait. Returns the exit status (0-255), 128+signal when killed,
 * or -errno when it could not be started (-ENOENT: no such program,
 * -ENOTDIR: no such directory to run it in).
 */
int run_command(const struct run_cmd *cmd);
/*
 * Start without waiting: with `outfd` non-NULL, stdout (and stderr when
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
