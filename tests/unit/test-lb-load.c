/* test-lb-load.c - latency-bench's background load: kind lists, and every stressor started, seen in its group, stopped */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "load.h"
#include "util.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct pstat {
	char state;
	int ppid, pgrp;
	unsigned long utime, stime;
};

static int read_stat(pid_t pid, struct pstat *st)
{
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p || sscanf(p + 2, "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &st->state,
			 &st->ppid, &st->pgrp, &st->utime, &st->stime) != 5)
		return -1;
	return 0;
}

/* Processes (not threads) whose process group is pgid. */
static int count_pgrp(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct pstat st;
		int pid = atoi(e->d_name);

		if (pid > 0 && read_stat(pid, &st) == 0 && st.pgrp == pgid && st.state != 'X')
			n++;
	}
	closedir(d);
	return n;
}

static int group_gone(pid_t pgid)
{
	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

/* "Key:\tvalue" from a /proc status-like file; base 16 for the signal masks. */
static long long proc_field(const char *path, const char *key, int base)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, base);
			break;
		}
	fclose(f);
	return v;
}

static long long status_field(pid_t pid, const char *key, int base)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return proc_field(path, key, base);
}

/* Context switches of every thread of pid so far. */
static long long task_ctxsw(pid_t pid)
{
	char path[128];
	struct dirent *e;
	long long sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/status", (int)pid, e->d_name);
		sum += proc_field(path, "voluntary_ctxt_switches", 10);
		sum += proc_field(path, "nonvoluntary_ctxt_switches", 10);
	}
	closedir(d);
	return sum;
}

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!str_eq(e->d_name, ".") && !str_eq(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* ---- parse / describe ---- */

static void test_parse(void)
{
	static const struct {
		const char *in;
		unsigned want;
	} good[] = {
		{ "messaging", LB_LOAD_MESSAGING },
		{ "cpu,io", LB_LOAD_CPU | LB_LOAD_IO },
		{ "io,memory,cpu,messaging", LB_LOAD_ALL },
		{ "all", LB_LOAD_ALL },
		{ "none", 0 },
		{ "io,cpu,io", LB_LOAD_CPU | LB_LOAD_IO },
		{ "none,memory", LB_LOAD_MEMORY },
		{ "all,none", LB_LOAD_ALL },
	};
	unsigned kinds;
	const char *bad, *s;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		kinds = 0xff00;
		bad = "unset";
		is_int(lb_load_parse(good[i].in, &kinds, &bad), 0, "parse '%s'", good[i].in);
		is_int(kinds, good[i].want, "'%s' -> exact bits", good[i].in);
		ok(bad == NULL, "'%s' leaves no bad word", good[i].in);
	}

	kinds = 0xff00;
	s = "cpu,bogus";
	is_int(lb_load_parse(s, &kinds, &bad), -EINVAL, "an unknown word is refused");
	is_str(bad, "bogus", "bad names it");
	ok(bad == s + 4, "bad points into the input");
	is_int(kinds, 0xff00, "kinds untouched on error");

	s = "memory,disk,io";
	is_int(lb_load_parse(s, &kinds, &bad), -EINVAL, "an unknown word in the middle");
	is_int((int)strcspn(bad, ","), 4, "it ends at the next comma");
	ok(bad == s + 7, "and starts at the word");

	s = "";
	is_int(lb_load_parse(s, &kinds, &bad), -EINVAL, "an empty list is refused");
	ok(bad == s, "bad is the empty word");
	s = "cpu,,io";
	is_int(lb_load_parse(s, &kinds, &bad), -EINVAL, "an empty word is refused");
	ok(bad == s + 4, "bad points at it");
	s = "cpu,";
	is_int(lb_load_parse(s, &kinds, &bad), -EINVAL, "a trailing comma is refused");
	is_str(bad, "", "bad is the empty last word");
	is_int(lb_load_parse("CPU", &kinds, &bad), -EINVAL, "names are lower case");
	is_int(lb_load_parse(" cpu", &kinds, &bad), -EINVAL, "no blanks around names");
	is_int(lb_load_parse("alls", &kinds, NULL), -EINVAL, "no prefix matches; bad may be NULL");
}

static void test_describe(void)
{
	char buf[64], small[8];
	unsigned kinds = 0;

	is_str(lb_load_describe(LB_LOAD_ALL, buf, sizeof(buf)), "messaging,cpu,memory,io",
	       "all in canonical order");
	is_str(lb_load_describe(LB_LOAD_IO | LB_LOAD_CPU, buf, sizeof(buf)), "cpu,io", "cpu,io");
	is_str(lb_load_describe(LB_LOAD_IO | LB_LOAD_MESSAGING, buf, sizeof(buf)), "messaging,io",
	       "messaging,io");
	is_str(lb_load_describe(0, buf, sizeof(buf)), "none", "nothing is 'none'");
	is_str(lb_load_describe(LB_LOAD_ALL, small, sizeof(small)), "messagi", "truncated to the buffer");
	lb_load_parse(lb_load_describe(LB_LOAD_MEMORY | LB_LOAD_MESSAGING, buf, sizeof(buf)), &kinds,
		      NULL);
	is_int(kinds, LB_LOAD_MEMORY | LB_LOAD_MESSAGING, "describe and parse round-trip");
}

/* ---- running loads ---- */

static double timed_stop(struct lb_load *l, int *rc, int *cmd_status)
{
	double t0 = now_s();

	*rc = lb_load_stop(l, cmd_status);
	return now_s() - t0;
}

static void check_stopped(const char *what, struct lb_load *l, pid_t pgid, int rc)
{
	is_int(rc, 0, "%s: stop returns 0", what);
	is_int(l->npids, 0, "%s: every pid reaped", what);
	ok(group_gone(pgid), "%s: no process left in group %d", what, (int)pgid);
}

static void test_messaging(void)
{
	struct lb_load l = { .kinds = LB_LOAD_MESSAGING };
	long long seen;
	int rc, st;
	pid_t pgid;
	double t;

	is_int(lb_load_start(&l), 0, "messaging: start");
	pgid = l.pgid;
	is_int(l.npids, 2, "messaging: two group processes");
	ok(pgid > 0 && pgid != getpgrp(), "messaging: a process group of its own");
	is_int(count_pgrp(pgid), 2, "messaging: both are in it");
	sleep_s(0.3);
	is_int(status_field(l.pids[0], "Threads", 10), 2 * 4, "messaging: 4 senders + 4 receivers");
	seen = task_ctxsw(l.pids[0]) + task_ctxsw(l.pids[1]);
	ok(seen > 500, "messaging: lots of context switches in 0.3 s (%lld)", seen);
	t = timed_stop(&l, &rc, &st);
	check_stopped("messaging", &l, pgid, rc);
	ok(t < 1.0, "messaging: SIGTERM was enough (%.2f s)", t);
	ok(l.ctxsw >= seen, "messaging: wait4 counted them (%ld >= %lld)", l.ctxsw, seen);
	is_int(l.exited_early, 0, "messaging: no worker had died");
	is_int(st, -1, "messaging: no command status");
}

static void test_cpu(void)
{
	struct lb_load l = { .kinds = LB_LOAD_CPU, .ncpus = 2 };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_term;
	sigset_t usr1, old_mask;
	unsigned long ticks = 0;
	int rc, st, normal = 0, clean = 0, ours = 0;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	pid_t pgid;
	double t;

	/* a measuring process that already ignores and blocks signals must not pass that on */
	sigaction(SIGTERM, &ign, &old_term);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);
	rc = lb_load_start(&l);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	is_int(rc, 0, "cpu: start");
	pgid = l.pgid;
	is_int(l.npids, 2, "cpu: ncpus=2 -> two workers");
	is_int(count_pgrp(pgid), 2, "cpu: both in the group");
	sleep_s(0.3);
	for (int i = 0; i < l.npids; i++) {
		struct pstat ps;

		errno = 0;
		normal += sched_getscheduler(l.pids[i]) == SCHED_OTHER &&
			  getpriority(PRIO_PROCESS, (id_t)l.pids[i]) == 0 && errno == 0;
		long long sig_ign = status_field(l.pids[i], "SigIgn", 16), blk = status_field(l.pids[i], "SigBlk", 16);

		/* the C library's own signals (32 up to SIGRTMIN) are not ours to reset: make ignores them */
		for (int sig = 32; sig < SIGRTMIN; sig++)
			sig_ign &= ~(1LL << (sig - 1));
		clean += sig_ign == 0 && blk == 0;
		if (sig_ign || blk)
			printf("# worker %d: SigIgn %llx SigBlk %llx\n", (int)l.pids[i], sig_ign, blk);
		if (read_stat(l.pids[i], &ps) == 0) {
			ticks += ps.utime + ps.stime;
			ours += ps.ppid == getpid() && ps.pgrp == pgid && ps.state != 'Z';
		}
	}
	is_int(normal, 2, "cpu: SCHED_OTHER at nice 0");
	is_int(clean, 2, "cpu: no ignored or blocked signals inherited");
	is_int(ours, 2, "cpu: our running children");
	ok(ticks > 0, "cpu: they burn CPU time (%lu ticks)", ticks);
	t = timed_stop(&l, &rc, &st);
	check_stopped("cpu", &l, pgid, rc);
	ok(t < 1.0, "cpu: SIGTERM killed them despite the parent's SIG_IGN (%.2f s)", t);

	l = (struct lb_load){ .kinds = LB_LOAD_CPU };
	is_int(lb_load_start(&l), 0, "cpu: start with the default ncpus");
	pgid = l.pgid;
	is_int(l.ncpus, online < LB_LOAD_MAX_PIDS ? online : LB_LOAD_MAX_PIDS,
	       "cpu: default is the online CPUs");
	is_int(l.npids, l.ncpus, "cpu: one worker per CPU");
	is_int(count_pgrp(pgid), l.npids, "cpu: all in the group");
	is_int(lb_load_start(&l), -EBUSY, "cpu: a second start is refused");
	is_int(lb_load_stop(&l, NULL), 0, "cpu: stop without a status pointer");
	ok(group_gone(pgid), "cpu: gone");
}

static void test_memory(void)
{
	struct lb_load l = { .kinds = LB_LOAD_MEMORY, .ncpus = 2 };
	long long rss[2] = { 0, 0 };
	double until;
	int rc, st;
	pid_t pgid;

	is_int(lb_load_start(&l), 0, "memory: start");
	pgid = l.pgid;
	is_int(l.npids, 2, "memory: two workers");
	is_int(count_pgrp(pgid), 2, "memory: both in the group");
	/* two touched 64 MiB buffers each; a loaded machine may take a moment */
	until = now_s() + 3;
	do {
		sleep_s(0.05);
		for (int i = 0; i < 2; i++)
			rss[i] = status_field(l.pids[i], "VmRSS", 10);
	} while ((rss[0] < 128 * 1024 || rss[1] < 128 * 1024) && now_s() < until);
	ok(rss[0] >= 128 * 1024 && rss[1] >= 128 * 1024, "memory: 2 x 64 MiB resident each (%lld, %lld kB)",
	   rss[0], rss[1]);
	rc = lb_load_stop(&l, &st);
	check_stopped("memory", &l, pgid, rc);
}

static void test_io(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/lb-load-io-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *missing, path[64];
	struct lb_load l = { .kinds = LB_LOAD_IO };
	long long wchar = 0;
	double until;
	int rc, st;
	pid_t pgid;

	if (!mkdtemp(dir))
		abort();
	l.io_dir = dir;
	is_int(lb_load_start(&l), 0, "io: start");
	pgid = l.pgid;
	is_int(l.npids, 1, "io: one worker");
	is_int(count_pgrp(pgid), 1, "io: in the group");
	snprintf(path, sizeof(path), "/proc/%d/io", (int)l.pids[0]);
	until = now_s() + 3;
	do {
		sleep_s(0.05);
		wchar = proc_field(path, "wchar", 10);
	} while (wchar < 4 << 20 && now_s() < until);
	ok(wchar >= 4 << 20, "io: it writes (%lld bytes)", wchar);
	is_int(dir_entries(dir), 0, "io: the scratch file has no name while running");
	rc = lb_load_stop(&l, &st);
	check_stopped("io", &l, pgid, rc);
	is_int(dir_entries(dir), 0, "io: nothing left in io_dir");
	is_int(rmdir(dir), 0, "io: io_dir removable");

	missing = xasprintf("%s/missing", dir);
	l = (struct lb_load){ .kinds = LB_LOAD_CPU | LB_LOAD_IO, .ncpus = 1, .io_dir = missing };
	is_int(lb_load_start(&l), -ENOENT, "io: a missing io_dir is an error");
	ok(l.npids == 0 && l.pgid == 0, "io: and nothing was started");
	free(missing);
	free(dir);
}

static void test_cmd(void)
{
	struct lb_load l = { .cmd = "exit 3" };
	struct pstat ps;
	double until, t;
	int rc, st;
	pid_t pgid;

	is_int(lb_load_start(&l), 0, "cmd exit 3: start");
	pgid = l.pgid;
	ok(l.npids == 1 && l.cmd_pid == l.pids[0], "cmd exit 3: one process, the command");
	until = now_s() + 3;
	while (read_stat(l.cmd_pid, &ps) == 0 && ps.state != 'Z' && now_s() < until)
		sleep_s(0.02);
	rc = lb_load_stop(&l, &st);
	check_stopped("cmd exit 3", &l, pgid, rc);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3, "cmd exit 3: its status is reported (%#x)",
	   (unsigned)st);

	l = (struct lb_load){ .cmd = "sleep 100" };
	is_int(lb_load_start(&l), 0, "cmd sleep: start");
	pgid = l.pgid;
	sleep_s(0.1);
	rc = count_pgrp(pgid);
	ok(rc == 2 || rc == 3, "cmd sleep: supervisor, shell (and sleep unless the shell execs it): %d", rc);
	t = timed_stop(&l, &rc, &st);
	check_stopped("cmd sleep", &l, pgid, rc);
	ok(t < 3.0, "cmd sleep: stopped in %.2f s", t);
	is_int(st, -1, "cmd sleep: killed by us, no status");

	/* what the shell leaves behind is reaped too, not left to a pid 1 that may never reap */
	l = (struct lb_load){ .cmd = "sleep 100 & sleep 100 & exit 0" };
	is_int(lb_load_start(&l), 0, "cmd orphans: start");
	pgid = l.pgid;
	until = now_s() + 3;
	while (count_pgrp(pgid) != 3 && now_s() < until)
		sleep_s(0.02);
	is_int(count_pgrp(pgid), 3, "cmd orphans: supervisor and two sleeps, the shell gone");
	t = timed_stop(&l, &rc, &st);
	check_stopped("cmd orphans", &l, pgid, rc);
	ok(t < 1.0, "cmd orphans: stopped in %.2f s", t);
	is_int(st, -1, "cmd orphans: still running at the stop, no status");

	/* a command deaf to SIGTERM, and its child, get SIGKILL */
	l = (struct lb_load){ .cmd = "trap '' TERM; sleep 100; exit 0" };
	is_int(lb_load_start(&l), 0, "cmd deaf: start");
	pgid = l.pgid;
	sleep_s(0.1);
	is_int(count_pgrp(pgid), 3, "cmd deaf: supervisor, shell, sleep");
	t = timed_stop(&l, &rc, &st);
	check_stopped("cmd deaf", &l, pgid, rc);
	ok(t >= 1.4 && t < 3.0, "cmd deaf: SIGKILL after 1.5 s (%.2f s)", t);
	is_int(st, -1, "cmd deaf: no status");
}

static void test_all(void)
{
	struct lb_load l = { .kinds = LB_LOAD_ALL, .ncpus = 1, .cmd = "sleep 100; exit 0" };
	int rc, st;
	pid_t pgid;
	double t;

	is_int(lb_load_start(&l), 0, "all: start");
	pgid = l.pgid;
	is_int(l.npids, 2 + 1 + 1 + 1 + 1, "all: messaging 2, cpu 1, memory 1, io 1, cmd 1");
	sleep_s(0.3);
	is_int(count_pgrp(pgid), l.npids + 2, "all: every one in the group, and the shell and sleep");
	t = timed_stop(&l, &rc, &st);
	check_stopped("all", &l, pgid, rc);
	ok(t < 3.0, "all: stopped in %.2f s", t);
	is_int(l.exited_early, 0, "all: no worker had died");

	l = (struct lb_load){ .kinds = LB_LOAD_CPU | LB_LOAD_MEMORY, .ncpus = 33 };
	is_int(lb_load_start(&l), -E2BIG, "all: 66 workers do not fit");
	is_int(l.npids, 0, "all: nothing started");
	l = (struct lb_load){ .kinds = 1u << 9 };
	is_int(lb_load_start(&l), -EINVAL, "all: unknown bits are refused");
	is_int(lb_load_stop(&l, &st), 0, "all: stopping what never started is fine");
	is_int(st, -1, "all: with no status");
}

/* The measuring process dies without stopping: its load must die too. */
static int pdeathsig_case(void)
{
	int fds[2], gone = 0;
	pid_t mid, pgid = 0;
	double until;

	/* the orphans come to us, not to a pid 1 that may never reap them */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || pipe(fds) < 0)
		return 2;
	mid = fork();
	if (mid < 0)
		return 2;
	if (mid == 0) {
		struct lb_load l = { .kinds = LB_LOAD_CPU | LB_LOAD_MESSAGING, .ncpus = 1,
				     .cmd = "sleep 100; exit 0" };

		if (lb_load_start(&l) < 0)
			_exit(1);
		if (write(fds[1], &l.pgid, sizeof(l.pgid)) != sizeof(l.pgid))
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &pgid, sizeof(pgid)) != sizeof(pgid))
		return 3;
	until = now_s() + 3;
	while (count_pgrp(pgid) != 6 && now_s() < until) /* 2 + 1 + supervisor, shell, sleep */
		sleep_s(0.01);
	if (count_pgrp(pgid) != 6)
		return 4;
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	until = now_s() + 3;
	while (!(gone = group_gone(pgid)) && now_s() < until) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sleep_s(0.01);
	}
	return gone ? 0 : 5;
}

int main(void)
{
	test_parse();
	test_describe();
	test_messaging();
	test_cpu();
	test_memory();
	test_io();
	test_cmd();
	test_all();
	is_int(in_child(pdeathsig_case), 0, "parent killed: its load dies with it");
	return done_testing();
}
