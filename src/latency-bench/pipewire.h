/* pipewire.h - PipeWire as the JACK plane's server: its facts, settings, profiler and real-time
 * setup read from PipeWire itself, a quantum forced for a run, a private headless server */
#ifndef LB_PIPEWIRE_H
#define LB_PIPEWIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "strbuf.h"
#include "syscheck.h"

/* The settings metadata of a server (0 where a key is absent or "0": not forced). */
struct lb_pw_settings {
	int found;                  /* the server has a "settings" metadata */
	unsigned rate, quantum, min_quantum, max_quantum;
	unsigned force_quantum, force_rate;
};

/* What a run that forced the quantum left in the settings metadata (LB_PW_LEDGER_KEY) to undo it. */
struct lb_pw_ledger {
	long pid;                   /* the run that forced it */
	unsigned quantum, rate;     /* clock.force-quantum and clock.force-rate before it (0: none) */
};
#define LB_PW_LEDGER_KEY "latency-bench.forced"

/*
 * One run's share of the profiler: the driver cycles of the graph that drove node `node`,
 * with the clock time of their start in [from_ns, to_ns).
 */
struct lb_pw_tally {
	uint64_t cycles;            /* cycles counted (by the clock time of their start) */
	uint64_t ours;              /* ...that the graph found unfinished because node `node` had not (its xruns) */
	uint64_t others;            /* ...that the node finished, but other nodes of the graph had not */
	char others_names[128];     /* those nodes, comma-separated (as many as fit) */
	uint32_t xrun_first, xrun_last; /* the driver's own xrun counter at the first and last cycle counted */
	unsigned quantum, rate;     /* the driver's, at the latest cycle with the node */
	char driver[64];            /* the driver node's name */
	uint64_t last_ns;           /* clock time of the latest cycle with the node seen, in the window or not */
	uint64_t in_callback;       /* ...of `ours`, those the node had begun: a stall caught it in its callback */
	uint64_t cur_ns;            /* the cycle counted last, and whose xrun it was: 0 none, 1 the node's, 2 others' */
	int cur_late, cur_awake;
	uint64_t records, bad;      /* profiler records read, and messages that were not well-formed */
};

/* A server as `check` and a run describe it. */
struct lb_pw_info {
	char version[32];           /* the server's library version, "0.3.65" */
	char name[64];              /* core.name, "pipewire-0" */
	long pid;                   /* by the socket's credentials; 0 when unknown */
	int profiler;               /* its profiler module is loaded */
	struct lb_pw_settings settings;
	int ledger_found;           /* LB_PW_LEDGER_KEY is set ... */
	struct lb_pw_ledger ledger; /* ... to this */
};

struct lb_pw;

/*
 * Connect to the PipeWire server `remote` (NULL: the default one, as PIPEWIRE_REMOTE and
 * PIPEWIRE_RUNTIME_DIR or XDG_RUNTIME_DIR say; else a name in the runtime directory or a socket
 * path) and read its core, settings and nodes. 0 with *out to lb_pw_disconnect, or -errno with
 * a reason in `err` (-EHOSTDOWN: no server there). Thread-safe calls from one thread at a time.
 */
int lb_pw_connect(struct lb_pw **out, const char *remote, struct strbuf *err);
void lb_pw_disconnect(struct lb_pw *pw);
/* The server's facts as last read (lb_pw_refresh reads the settings again). */
const struct lb_pw_info *lb_pw_info(struct lb_pw *pw);
int lb_pw_refresh(struct lb_pw *pw);
/* Set (value NULL: delete) `key` of subject 0 in the settings metadata and wait until it took: 0 or -errno. */
int lb_pw_set(struct lb_pw *pw, const char *key, const char *value);
/* The global id of the node with this object.serial: 0 and *id, or -ENOENT. */
int lb_pw_node_by_serial(struct lb_pw *pw, uint32_t serial, uint32_t *id);

/* Count the profiler's cycles of the graph that drives `node` in [from_ns, to_ns) (CLOCK_MONOTONIC). */
int lb_pw_profile_start(struct lb_pw *pw, uint32_t node);
void lb_pw_profile_window(struct lb_pw *pw, uint64_t from_ns, uint64_t to_ns);
/* Wait until the profiler has reported a cycle of the node at or after `until_ns`, at most timeout_ns: 0 or -ETIMEDOUT. */
int lb_pw_profile_wait(struct lb_pw *pw, uint64_t until_ns, uint64_t timeout_ns);
void lb_pw_profile_tally(struct lb_pw *pw, struct lb_pw_tally *out);
/* The error the server's core reported, 0 while none: -EPIPE once the server has gone away. */
int lb_pw_error(struct lb_pw *pw);

/* ---- parsers of what servers and files say (no I/O; fuzzed) ---- */

/*
 * Fold one profiler message (a Struct of Profiler objects, `size` bytes) into `t` as
 * lb_pw_profile_start describes. 0, or -EINVAL when it is not well-formed (what it held
 * before the bad part is counted).
 */
int lb_pw_profile_parse(const void *data, size_t size, uint32_t node, uint64_t from_ns, uint64_t to_ns,
			struct lb_pw_tally *t);
/* "pid=N quantum=Q rate=R" into *l: 0, or -EINVAL. */
int lb_pw_ledger_parse(const char *s, struct lb_pw_ledger *l);
void lb_pw_ledger_format(const struct lb_pw_ledger *l, char *buf, size_t len);

/* What a client configuration (its "context.modules", SPA-JSON) says about libpipewire-module-rt. */
struct lb_pw_rt_conf {
	int listed;                 /* the module is in the list */
	int nofail;                 /* with flags [ nofail ]: a failure to load is silent */
	int rt_prio;                /* its rt.prio, or -1 when not given (the module's default, 88) */
};
/* 0, or -EINVAL when `modules` is not an array of objects. */
int lb_pw_conf_rt(const char *modules, size_t len, struct lb_pw_rt_conf *out);

/* ---- real time ---- */

/* Why a PipeWire client's thread may not get real-time priority, and what to do: facts of this process and system. */
struct lb_pw_rt {
	char conf[256];             /* the client configuration file read (jack.conf), or "" */
	int conf_read;
	struct lb_pw_rt_conf rt;
	int module_loaded;          /* libpipewire-module-rt is mapped into this process */
	int direct;                 /* this process may use SCHED_FIFO at the module's priority itself */
	long rtprio_limit;          /* RLIMIT_RTPRIO soft limit, -1 unlimited */
	int root;
	int system_bus;             /* the system D-Bus socket exists (rtkit is reached through it) */
	int rtkit_running;          /* an rtkit-daemon process runs */
	int rtkit_installed;
};
void lb_pw_rt_probe(struct lb_pw_rt *rt, const char *config_name);
/* One line: why the thread is not real-time (`got_rt` 0) or how it is (1), and the fix when one is needed. */
void lb_pw_rt_explain(const struct lb_pw_rt *rt, int got_rt, struct strbuf *why, struct strbuf *fix);

/* ---- `latency-bench check` ---- */

/* Add PipeWire's checks to `sys`: the server, its quantum settings, its and its clients' real-time setup. */
void lb_pw_checks(struct lb_system *sys);

/* ---- a private headless server for --start-server pipewire ---- */

struct lb_pw_server {
	pid_t pid;
	int logfd;
	char dir[128];              /* its runtime directory, created and removed by us */
	char socket[160];           /* dir/pipewire-0: the remote to connect to */
};
struct lb_pw_janitor;

/*
 * Start `pipewire` with a configuration of its own: the dummy driver at `rate` and `quantum`
 * frames, its data thread at SCHED_FIFO `priority`, no session manager, in a new runtime directory; return once it accepts clients.
 * The janitor, when given, learns what to clean up should this process die.
 * 0, or -errno with the reason in err.
 */
int lb_pw_server_start(struct lb_pw_server *sv, unsigned rate, unsigned quantum, int priority,
		       struct lb_pw_janitor *j, struct strbuf *err);
/* Stop it (SIGTERM, then SIGKILL) and remove its runtime directory. */
void lb_pw_server_stop(struct lb_pw_server *sv, struct lb_pw_janitor *j);
/* The server's last log line, for a message about why it went away. */
void lb_pw_server_last_line(const struct lb_pw_server *sv, char *buf, size_t len);

/*
 * The janitor: a process started before the run's threads that waits for this one to end, and
 * then does what the run left undone (killed by SIGKILL): stops the private server, removes its
 * directory, restores the settings the run forced. What the run cleans up itself it takes off
 * the janitor's list. 0 or -errno.
 */
int lb_pw_janitor_start(struct lb_pw_janitor **out);
/* The settings this run forced on `remote` and their values before (NULL: restored, nothing to do). */
void lb_pw_janitor_forced(struct lb_pw_janitor *j, const char *remote, const struct lb_pw_ledger *before);
/* This process ends its work with PipeWire: the janitor ends too, after what is still on its list. */
void lb_pw_janitor_done(struct lb_pw_janitor *j);

/*
 * Undo a quantum that a run which no longer runs forced (its ledger): 1 when repaired, 0 when
 * there was nothing to do, -EBUSY when that run still runs, or -errno.
 */
int lb_pw_repair(struct lb_pw *pw, long *pid);

/* Where PipeWire's own JACK library lives (the directory `pw-jack` puts first). */
const char *lb_pw_jack_dir(void);

#endif
