/* load.c - background load while measuring: hackbench-like messaging, CPU, memory and I/O stressors, or a command */
#define _GNU_SOURCE
#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MSG_GROUPS 2              /* messaging processes */
#define MSG_PAIRS 4               /* senders and receivers (threads) in each */
#define MSG_SIZE 100              /* hackbench's message size */
#define MSG_BUF 4096              /* socket buffer: a few dozen messages */
#define MEM_BYTES (64u << 20)     /* per buffer: larger than any last-level cache we meet */
#define IO_CHUNK (4u << 20)
#define IO_CHUNKS 8               /* 32 MiB written and fsync'ed per round */
#define TERM_WAIT_NS 2000000000LL /* SIGTERM -> SIGKILL */
#define KILL_WAIT_NS 3000000000LL /* SIGKILL -> give up (a task stuck in D state) */
#define SUPERVISOR_TERM_NS 1500000000LL /* the command's supervisor: SIGTERM -> SIGKILL */
#define POLL_NS 5000000L

static const struct {
	const char *name;
	unsigned bit;
} kind_names[] = {
	{ "messaging", LB_LOAD_MESSAGING },
	{ "cpu", LB_LOAD_CPU },
	{ "memory", LB_LOAD_MEMORY },
	{ "io", LB_LOAD_IO },
};

static int word_bits(const char *w, size_t n, unsigned *bits)
{
	if (n == 3 && !strncmp(w, "all", n)) {
		*bits = LB_LOAD_ALL;
		return 1;
	}
	if (n == 4 && !strncmp(w, "none", n)) {
		*bits = 0;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (n == strlen(kind_names[i].name) && !strncmp(w, kind_names[i].name, n)) {
			*bits = kind_names[i].bit;
			return 1;
		}
	return 0;
}

int lb_load_parse(const char *s, unsigned *kinds, const char **bad)
{
	unsigned all = 0, bits;
	const char *w = s;

	if (bad)
		*bad = NULL;
	for (;;) {
		size_t n = strcspn(w, ",");

		/* an empty word is a typo ("cpu,,io", "cpu,"), never "nothing" */
		if (!n || !word_bits(w, n, &bits)) {
			if (bad)
				*bad = w;
			return -EINVAL;
		}
		all |= bits;
		if (!w[n])
			break;
		w += n + 1;
	}
	*kinds = all;
	return 0;
}

const char *lb_load_describe(unsigned kinds, char *buf, unsigned len)
{
	size_t used = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kind_names) && used < len; i++) {
		int n;

		if (!(kinds & kind_names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", kind_names[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

/* ---- in the children: everything below until spawn() ends in _exit ---- */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pause_poll(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lowfd; fd < max; fd++)
		close(fd);
}

/*
 * A fresh child: in the load's group, dies with its parent, default signal handling,
 * normal priority, stdin from /dev/null, no inherited descriptors but 0-2 (and keep_fd,
 * moved to 3). The parent forked with every signal blocked, so a SIGTERM sent to the
 * group this early stays pending until the default disposition is back, and then kills.
 */
static void child_setup(pid_t parent, pid_t pgid, int keep_fd)
{
	struct sigaction dfl;
	struct sched_param sp = { .sched_priority = 0 };
	sigset_t none;
	int fd;

	if (setpgid(0, pgid) < 0)
		_exit(126);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126); /* the parent died before prctl: nobody would ever stop us */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* fails for SIGKILL, SIGSTOP and libc's own: fine */
	/* the measurement may already run at a real-time priority or be niced down */
	sched_setscheduler(0, SCHED_OTHER, &sp);
	setpriority(PRIO_PROCESS, 0, 0);
	if (keep_fd >= 0 && keep_fd != 3 && dup2(keep_fd, 3) < 0)
		_exit(126);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		_exit(126);
	close_from(keep_fd >= 0 ? 4 : 3);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void *msg_sender(void *arg)
{
	const int *tx = arg;
	char msg[MSG_SIZE];

	memset(msg, 's', sizeof(msg));
	for (;;)
		for (int i = 0; i < MSG_PAIRS; i++)
			if (write_all(tx[i], msg, sizeof(msg)) < 0)
				_exit(1);
	return NULL;
}

static void *msg_receiver(void *arg)
{
	int fd = *(const int *)arg;
	char msg[MSG_SIZE];

	/* one message per read, as hackbench does: every read may sleep and wake */
	for (;;) {
		ssize_t n = read(fd, msg, sizeof(msg));

		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(1);
	}
	return NULL;
}

/* One hackbench group: every sender writes each message to every receiver's socket. */
static void messaging_worker(void) KB_NORETURN;
static void messaging_worker(void)
{
	int rx[MSG_PAIRS], tx[MSG_PAIRS];
	pthread_t t;

	for (int i = 0; i < MSG_PAIRS; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			_exit(1);
		/* small buffers: senders fill them fast and sleep, receivers drain them and sleep */
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &(int){ MSG_BUF }, sizeof(int));
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &(int){ MSG_BUF }, sizeof(int));
		rx[i] = sv[0];
		tx[i] = sv[1];
	}
	for (int i = 0; i < MSG_PAIRS; i++)
		if (pthread_create(&t, NULL, msg_sender, tx) != 0)
			_exit(1);
	for (int i = 1; i < MSG_PAIRS; i++)
		if (pthread_create(&t, NULL, msg_receiver, &rx[i]) != 0)
			_exit(1);
	/* the main thread is receiver 0, so /proc/PID/status shows its switches */
	msg_receiver(&rx[0]);
	_exit(1);
}

static void cpu_worker(void) KB_NORETURN;
static void cpu_worker(void)
{
	volatile uint64_t sink;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	double f = 1.0;

	for (;;) {
		for (int i = 0; i < (1 << 16); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			f = f * 0.999999 + (double)(x & 0xffff) * 1e-6;
		}
		sink = x + (uint64_t)f;
		(void)sink;
	}
}

static void memory_worker(void) KB_NORETURN;
static void memory_worker(void)
{
	char *a = malloc(MEM_BYTES), *b = malloc(MEM_BYTES);

	if (!a || !b)
		_exit(1);
	memset(a, 0x5a, MEM_BYTES);
	memset(b, 0xa5, MEM_BYTES);
	for (;;) {
		memcpy(b, a, MEM_BYTES);
		memcpy(a, b, MEM_BYTES);
		/* nobody reads the buffers: keep the compiler from dropping the copies */
		__asm__ __volatile__("" : : "r"(a), "r"(b) : "memory");
	}
}

/* The scratch file is descriptor 3, nameless already. */
static void io_worker(void) KB_NORETURN;
static void io_worker(void)
{
	char *buf = malloc(IO_CHUNK);

	if (!buf)
		_exit(1);
	memset(buf, 0x3c, IO_CHUNK);
	for (;;) {
		for (unsigned i = 0; i < IO_CHUNKS; i++)
			if (pwrite_all(3, buf, IO_CHUNK, (off_t)i * IO_CHUNK) < 0)
				_exit(1); /* ENOSPC and the like: lb_load_stop counts it in exited_early */
		if (fsync(3) < 0)
			_exit(1);
		/* drop the cached pages, or the reads below never reach the device */
		posix_fadvise(3, 0, 0, POSIX_FADV_DONTNEED);
		for (unsigned i = 0; i < IO_CHUNKS; i++)
			if (pread(3, buf, IO_CHUNK, (off_t)i * IO_CHUNK) < 0 && errno != EINTR)
				_exit(1);
		if (ftruncate(3, 0) < 0)
			_exit(1);
	}
}

/* SIGKILL to every other member of our group: we must stay alive to reap them. */
static void kill_group_but_me(pid_t pgid)
{
	pid_t me = getpid();
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d) {
		kill(0, SIGKILL); /* and us: the orphans go to init */
		return;
	}
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 0 && pid != me && getpgid(pid) == pgid)
			kill(pid, SIGKILL);
	}
	closedir(d);
}

/*
 * The --load-cmd's process: runs the shell and reaps everything it leaves behind (a child
 * subreaper), so that the shell's own children never become zombies of a pid 1 that may not
 * reap them, and stop can wait for one pid. It outlives a SIGTERM to the group until
 * everything else is gone, kills the rest itself after SUPERVISOR_TERM_NS or when our parent
 * dies, and finally exits the way the shell did.
 */
static void cmd_supervisor(const char *cmd, pid_t parent) KB_NORETURN;
static void cmd_supervisor(const char *cmd, pid_t parent)
{
	long long deadline = 0;
	int killing = 0, status = 0;
	pid_t pgid = getpgrp(), me = getpid(), shell;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_SET_PDEATHSIG, SIGUSR1) < 0 ||
	    getppid() != parent)
		_exit(126);
	shell = fork();
	if (shell < 0)
		_exit(126);
	if (shell == 0) {
		sigset_t none;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != me)
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct timespec ts = { 1, 0 };
		long long now;
		int st, sig;
		pid_t r;

		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			if (r == shell)
				status = st;
		if (r < 0 && errno == ECHILD)
			break;
		if (killing) {
			kill_group_but_me(pgid); /* again: a dying shell may have forked meanwhile */
			ts = (struct timespec){ 0, 50000000L };
		} else if (deadline) {
			long long left = deadline - now_ns();

			left = left > 0 ? left : 0;
			ts = (struct timespec){ (time_t)(left / 1000000000LL), (long)(left % 1000000000LL) };
		}
		sig = sigtimedwait(&set, NULL, &ts);
		now = now_ns();
		if (sig == SIGTERM && !deadline)
			deadline = now + SUPERVISOR_TERM_NS;
		if (sig == SIGUSR1 || (deadline && now >= deadline))
			killing = 1;
	}
	if (WIFSIGNALED(status)) {
		struct rlimit no_core = { 0, 0 };
		sigset_t none;

		setrlimit(RLIMIT_CORE, &no_core);
		signal(WTERMSIG(status), SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		raise(WTERMSIG(status));
		_exit(128 + WTERMSIG(status));
	}
	_exit(WEXITSTATUS(status));
}

/* ---- in the parent ---- */

enum worker { W_MESSAGING, W_CPU, W_MEMORY, W_IO, W_CMD };

/* Fork one load process into l's group (the first one founds it). Signals are blocked. */
static int spawn(struct lb_load *l, enum worker w, int keep_fd)
{
	pid_t parent = getpid(), pid;

	if (l->npids >= LB_LOAD_MAX_PIDS)
		BUG("load process table full");
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		child_setup(parent, l->pgid, keep_fd);
		switch (w) {
		case W_MESSAGING:
			messaging_worker();
		case W_CPU:
			cpu_worker();
		case W_MEMORY:
			memory_worker();
		case W_IO:
			io_worker();
		case W_CMD:
			cmd_supervisor(l->cmd, parent);
		}
		_exit(126);
	}
	if (!l->pgid)
		l->pgid = pid;
	/*
	 * Also here, so the child is in the group before we return whether or not it ran yet.
	 * An error means it already did it itself and exited, or _exit'ed because it could not.
	 */
	setpgid(pid, l->pgid);
	l->pids[l->npids++] = pid;
	if (w == W_CMD)
		l->cmd_pid = pid;
	return 0;
}

/* The io load's file: nameless from the start, so even SIGKILL on everyone leaves nothing. */
static int open_scratch(const char *dir, int *fdp)
{
	char *path;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0) {
		*fdp = fd;
		return 0;
	}
	/* file systems without O_TMPFILE say EOPNOTSUPP, kernels before 3.11 EISDIR */
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	path = xasprintf("%s/latency-bench-io-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		free(path);
		return err;
	}
	unlink(path);
	free(path);
	*fdp = fd;
	return 0;
}

int lb_load_start(struct lb_load *l)
{
	int per_cpu = !!(l->kinds & LB_LOAD_CPU) + !!(l->kinds & LB_LOAD_MEMORY);
	int fixed = (l->kinds & LB_LOAD_MESSAGING ? MSG_GROUPS : 0) + !!(l->kinds & LB_LOAD_IO) +
		    !!l->cmd;
	int ncpus = l->ncpus, iofd = -1, err = 0;
	sigset_t all, old;

	if (l->npids)
		return -EBUSY;
	if ((l->kinds & ~(unsigned)LB_LOAD_ALL) || ncpus < 0)
		return -EINVAL;
	l->pgid = 0;
	l->cmd_pid = 0;
	l->ctxsw = 0;
	l->exited_early = 0;
	if (!ncpus) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		ncpus = n > 0 && n < LB_LOAD_MAX_PIDS ? (int)n : n > 0 ? LB_LOAD_MAX_PIDS : 1;
		if (per_cpu && fixed + per_cpu * ncpus > LB_LOAD_MAX_PIDS)
			ncpus = (LB_LOAD_MAX_PIDS - fixed) / per_cpu;
	}
	if (fixed + per_cpu * ncpus > LB_LOAD_MAX_PIDS)
		return -E2BIG;
	l->ncpus = ncpus;
	if (l->kinds & LB_LOAD_IO) {
		const char *dir = l->io_dir;

		if (!dir || !*dir)
			dir = getenv("TMPDIR");
		err = open_scratch(dir && *dir ? dir : "/tmp", &iofd);
		if (err)
			return err;
	}

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; !err && (l->kinds & LB_LOAD_MESSAGING) && i < MSG_GROUPS; i++)
		err = spawn(l, W_MESSAGING, -1);
	for (int i = 0; !err && (l->kinds & LB_LOAD_CPU) && i < ncpus; i++)
		err = spawn(l, W_CPU, -1);
	for (int i = 0; !err && (l->kinds & LB_LOAD_MEMORY) && i < ncpus; i++)
		err = spawn(l, W_MEMORY, -1);
	if (!err && iofd >= 0)
		err = spawn(l, W_IO, iofd);
	if (!err && l->cmd)
		err = spawn(l, W_CMD, -1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (iofd >= 0)
		close(iofd);
	if (err)
		lb_load_stop(l, NULL);
	return err;
}

/*
 * Reap what has exited, keeping the rest in l->pids (and early[] in step).
 * -ECHILD when a pid was not ours to wait for any more (SIGCHLD ignored, reaped elsewhere).
 */
static int reap(struct lb_load *l, char *early, int *cmd_status)
{
	int kept = 0, err = 0;

	for (int i = 0; i < l->npids; i++) {
		pid_t pid = l->pids[i];
		struct rusage ru;
		int status;
		pid_t r;

		do
			r = wait4(pid, &status, WNOHANG, &ru);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			early[kept] = early[i];
			l->pids[kept++] = pid;
			continue;
		}
		if (r < 0) {
			err = -errno;
			continue;
		}
		l->ctxsw += ru.ru_nvcsw + ru.ru_nivcsw;
		if (pid == l->cmd_pid) {
			if (early[i] && cmd_status)
				*cmd_status = status;
		} else if (early[i]) {
			l->exited_early++;
		}
	}
	l->npids = kept;
	return err;
}

/* Until the deadline, or every pid is reaped. */
static int reap_until(struct lb_load *l, char *early, int *cmd_status, long long deadline)
{
	int err = 0;

	for (;;) {
		int e = reap(l, early, cmd_status);

		if (e && !err)
			err = e;
		if (!l->npids || now_ns() >= deadline)
			return err;
		pause_poll();
	}
}

int lb_load_stop(struct lb_load *l, int *cmd_status)
{
	char early[LB_LOAD_MAX_PIDS];
	int err;

	if (cmd_status)
		*cmd_status = -1;
	if (!l->npids) {
		l->pgid = 0;
		l->cmd_pid = 0;
		return 0;
	}
	/* which ones ended by themselves: look without reaping, so the group cannot vanish yet */
	for (int i = 0; i < l->npids; i++) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		early[i] = waitid(P_PID, (id_t)l->pids[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			   si.si_pid == l->pids[i];
	}
	/* ESRCH only when all of them are gone already: reaping tells */
	kill(-l->pgid, SIGTERM);
	kill(-l->pgid, SIGCONT); /* a stopped member would hold the SIGTERM pending forever */
	err = reap_until(l, early, cmd_status, now_ns() + TERM_WAIT_NS);
	if (l->npids) {
		int e;

		kill(-l->pgid, SIGKILL);
		e = reap_until(l, early, cmd_status, now_ns() + KILL_WAIT_NS);
		if (!err)
			err = e;
		if (l->npids)
			return -ETIMEDOUT;
	}
	l->pgid = 0;
	l->cmd_pid = 0;
	return err;
}
