/* load.h - background load while measuring: built-in stressors or the user's own command */
#ifndef LB_LOAD_H
#define LB_LOAD_H

#include <sys/types.h>

enum lb_load_kind {
	LB_LOAD_MESSAGING = 1 << 0, /* hackbench-like: groups of senders/receivers over socketpairs */
	LB_LOAD_CPU = 1 << 1,       /* one busy arithmetic loop per CPU */
	LB_LOAD_MEMORY = 1 << 2,    /* memcpy over buffers larger than the last-level cache */
	LB_LOAD_IO = 1 << 3,        /* write + fsync + read a scratch file in a directory */
};
#define LB_LOAD_ALL (LB_LOAD_MESSAGING | LB_LOAD_CPU | LB_LOAD_MEMORY | LB_LOAD_IO)

#define LB_LOAD_MAX_PIDS 64

/* Zero-initialise, set the inputs, then lb_load_start ... lb_load_stop. */
struct lb_load {
	unsigned kinds;       /* LB_LOAD_* bits */
	const char *cmd;      /* --load-cmd: run with /bin/sh -c, or NULL */
	const char *io_dir;   /* scratch directory for LB_LOAD_IO (default: $TMPDIR or /tmp) */
	int ncpus;            /* how many CPU/memory workers (0: online CPUs, capped so that
	                         everything fits in LB_LOAD_MAX_PIDS); lb_load_start writes back
	                         the number it used */
	/* filled by lb_load_start */
	pid_t pgid;           /* every load process is in this process group */
	pid_t pids[LB_LOAD_MAX_PIDS];
	int npids;            /* messaging: 2 processes (8 threads each); cpu, memory: ncpus each;
	                         io: 1; cmd: 1, a supervisor that reaps the shell and whatever it
	                         leaves (those are in the group too, but not in pids) */
	pid_t cmd_pid;        /* the --load-cmd's supervisor (exits as the shell did), or 0 */
	/* filled by lb_load_stop */
	long ctxsw;           /* context switches of all reaped load processes (wait4 rusage) */
	int exited_early;     /* built-in workers that had died before the stop: weaker load */
};

/*
 * "messaging,cpu", "all" or "none" -> bits (duplicates are fine); -EINVAL for an unknown or
 * empty word, *kinds untouched. *bad (may be NULL) then points into s at the start of that
 * word, which ends at the next ',' or at the end of s: print it with "%.*s" and
 * (int)strcspn(*bad, ",").
 */
int lb_load_parse(const char *s, unsigned *kinds, const char **bad);
/* Comma-separated names of the bits in canonical order ("messaging,cpu,memory,io"), "none"
 * for 0; into buf (truncated to len - 1 characters); returns buf. */
const char *lb_load_describe(unsigned kinds, char *buf, unsigned len);
/*
 * Start the load as child processes at normal priority in a process group of their own,
 * before the measurement goes real-time. 0 or -errno (nothing left running on error):
 * -EBUSY when already started, -E2BIG when an explicit ncpus does not fit, -EINVAL for
 * unknown bits, the io_dir's open error. Call it from the thread that will call
 * lb_load_stop (the children die with their parent thread) before creating other threads,
 * and do not ignore SIGCHLD (lb_load_stop reaps the children itself).
 */
int lb_load_start(struct lb_load *l);
/* Stop every load process (SIGTERM, then SIGKILL after 2 s) and reap them. The io load's scratch
 * file has no name from the start (O_TMPFILE, or unlinked at once), so nothing is ever left.
 * Returns 0, or -ECHILD/-errno (-ETIMEDOUT: some process outlived SIGKILL by 3 s; they stay
 * in pids, call again); *cmd_status (may be NULL) gets the --load-cmd's wait status when it
 * had exited by itself before the stop, together with everything it started (else -1). Never blocks for more than about 5 s. */
int lb_load_stop(struct lb_load *l, int *cmd_status);

#endif
