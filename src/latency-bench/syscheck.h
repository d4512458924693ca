/* syscheck.h - the system check: is this machine set up for low-latency audio, and what to change */
#ifndef LB_SYSCHECK_H
#define LB_SYSCHECK_H

enum lb_check_status { LB_CHECK_OK, LB_CHECK_WARN, LB_CHECK_INFO };

struct lb_check {
	char id[32];        /* stable key: "preempt", "rtprio", "swappiness", ... */
	char title[64];     /* shown to the user: "Preemption model" */
	char value[256];    /* what was found: "PREEMPT_DYNAMIC (full)" */
	enum lb_check_status status;
	char advice[512];   /* one line: what to do when WARN (empty when OK) */
};

#define LB_MAX_CHECKS 40

struct lb_system {
	char kernel_release[128];
	char kernel_version[256];  /* uname -v */
	char machine[64];
	char preemption_model[64]; /* "PREEMPT_RT", "PREEMPT_DYNAMIC (full)", "PREEMPT", "PREEMPT_VOLUNTARY", "PREEMPT_NONE", "unknown" */
	int realtime;              /* the kernel is PREEMPT_RT */
	char cmdline[4096];
	char clocksource[64];
	int ncpus_online;
	struct lb_check checks[LB_MAX_CHECKS];
	int nchecks;
};

/*
 * Where the check looks: `root` is prefixed to /proc, /sys, /dev, /etc and /boot paths ("" for
 * the real system; a fixture directory in tests). uname fields come from `uts_*` when non-NULL
 * (tests) or uname(2). Identity and limits come from the calling process unless overridden.
 */
struct lb_syscheck_env {
	const char *root;
	const char *uts_release;
	const char *uts_version;
	const char *uts_machine;
	int fake_ids;               /* use the fields below instead of the process's own */
	unsigned uid;
	unsigned ngroups;
	unsigned groups[64];
	long rtprio_soft;           /* RLIMIT_RTPRIO; -1 = unlimited */
	long memlock_soft_kb;       /* RLIMIT_MEMLOCK in KiB; -1 = unlimited */
};

/* Fill `sys`; 0, or -errno only when nothing at all could be read. Never exits or prints. */
int lb_syscheck_run(struct lb_system *sys, const struct lb_syscheck_env *env);
/* For checks made elsewhere (PipeWire's): a new check of `sys` (INFO, empty), its value, its advice. */
struct lb_check *lb_check_add(struct lb_system *sys, const char *id, const char *title);
void lb_check_value(struct lb_check *c, enum lb_check_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void lb_check_advice(struct lb_check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Number of checks with status WARN. */
int lb_syscheck_warnings(const struct lb_system *sys);
const char *lb_check_status_name(enum lb_check_status s); /* "ok", "warn", "info" */

#endif
