/* pipewire-server.c - a private headless PipeWire for --start-server pipewire, and the janitor
 * that stops it and restores a forced quantum when the run that started them is killed */
#define _GNU_SOURCE
#include "pipewire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

#ifndef LB_PW_JACK_DIR
#define LB_PW_JACK_DIR "/usr/lib/x86_64-linux-gnu/pipewire-0.3/jack"
#endif

#define SERVER_WAIT_NS (5 * 1000000000ULL)  /* started -> accepts clients */
#define SERVER_TERM_NS (3 * 1000000000ULL)  /* SIGTERM -> SIGKILL */
#define POLL_NS (20 * 1000000ULL)

/* What the janitor is to clean up; shared with it (MAP_SHARED), written before it could be needed. */
struct janitor_state {
	pid_t server_pgid;          /* the private server's process group, 0: none */
	char dir[128];              /* its runtime directory */
	char remote[192];           /* the server whose settings were forced, "" for the default */
	int forced;
	struct lb_pw_ledger before;
};

struct lb_pw_janitor {
	pid_t pid;
	int fd;                     /* our end of its pipe: at EOF it acts */
	struct janitor_state *st;
};

const char *lb_pw_jack_dir(void)
{
	return LB_PW_JACK_DIR;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	nanosleep(&t, NULL);
}

/* The group's leader still runs: not gone, and not a zombie waiting for init to reap it. */
static int leader_runs(pid_t pgid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

/* End a process group that is not our child (the janitor's case): SIGTERM, then SIGKILL. */
static void end_group(pid_t pgid)
{
	uint64_t until = now_ns() + SERVER_TERM_NS;

	if (pgid <= 0 || kill(-pgid, SIGTERM) < 0)
		return;
	while (now_ns() < until) {
		if (!leader_runs(pgid))
			return;
		sleep_ns(POLL_NS);
	}
	kill(-pgid, SIGKILL);
}

/* Put the settings back as they were before the run forced them, and drop its ledger. */
static void restore(const struct janitor_state *st)
{
	struct strbuf err = STRBUF_INIT;
	struct lb_pw *pw;
	char q[16], r[16];

	if (lb_pw_connect(&pw, st->remote[0] ? st->remote : NULL, &err) == 0) {
		snprintf(q, sizeof(q), "%u", st->before.quantum);
		snprintf(r, sizeof(r), "%u", st->before.rate);
		lb_pw_set(pw, "clock.force-quantum", q);
		lb_pw_set(pw, "clock.force-rate", r);
		lb_pw_set(pw, LB_PW_LEDGER_KEY, NULL);
		lb_pw_disconnect(pw);
	}
	strbuf_release(&err);
}

static void janitor_main(int fd, struct janitor_state *st)
{
	char buf[16];
	ssize_t n;
	int nul;

	prctl(PR_SET_NAME, "lb-pw-janitor");
	/* not in the run's process group: a Ctrl-C meant for the run is the run's to handle */
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	/* nothing of the run's open: a pipe a test reads the run's output from must see its end */
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 || dup2(fd, 3) < 0)
		_exit(1);
	closefrom(4);
	do
		n = read(3, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
	/* what the run did not clean up itself is still written here */
	end_group(st->server_pgid);
	if (st->dir[0])
		fs_remove_tree(st->dir);
	if (st->forced)
		restore(st);
	_exit(0);
}

int lb_pw_janitor_start(struct lb_pw_janitor **out)
{
	struct lb_pw_janitor *j = xcalloc(1, sizeof(*j));
	int fds[2], err;

	j->st = mmap(NULL, sizeof(*j->st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (j->st == MAP_FAILED) {
		err = -errno;
		free(j);
		return err;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = -errno;
		munmap(j->st, sizeof(*j->st));
		free(j);
		return err;
	}
	fflush(NULL);
	j->pid = fork();
	if (j->pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		munmap(j->st, sizeof(*j->st));
		free(j);
		return err;
	}
	if (j->pid == 0) {
		close(fds[1]);
		janitor_main(fds[0], j->st);
	}
	close(fds[0]);
	j->fd = fds[1];
	*out = j;
	return 0;
}

void lb_pw_janitor_forced(struct lb_pw_janitor *j, const char *remote, const struct lb_pw_ledger *before)
{
	if (!j)
		return;
	if (!before) {
		__atomic_store_n(&j->st->forced, 0, __ATOMIC_RELEASE);
		return;
	}
	snprintf(j->st->remote, sizeof(j->st->remote), "%s", remote ? remote : "");
	j->st->before = *before;
	__atomic_store_n(&j->st->forced, 1, __ATOMIC_RELEASE);
}

void lb_pw_janitor_done(struct lb_pw_janitor *j)
{
	int st;

	if (!j)
		return;
	close(j->fd);
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	munmap(j->st, sizeof(*j->st));
	free(j);
}

/* ---- the server ---- */

/*
 * No session manager: the JACK client has node.always-process, so PipeWire puts it under the
 * one driver there is; the access module gives clients their permissions (without it, or a
 * session manager, a client waits for them forever). The quantum is fixed (min = max = the one asked) and may be any number
 * of frames, not only a power of two; the profiler counts its cycles.
 */
static void write_config(struct strbuf *sb, unsigned rate, unsigned quantum, int prio)
{
	strbuf_addf(sb,
		    "# written by latency-bench for one run: a headless PipeWire with its dummy driver\n"
		    "context.properties = {\n"
		    "    core.daemon = true\n"
		    "    core.name = pipewire-0\n"
		    "    default.clock.rate = %u\n"
		    "    default.clock.allowed-rates = [ %u ]\n"
		    "    default.clock.quantum = %u\n"
		    "    default.clock.min-quantum = %u\n"
		    "    default.clock.max-quantum = %u\n"
		    "    default.clock.quantum-limit = %u\n"
		    "    clock.power-of-two-quantum = false\n"
		    "    link.max-buffers = 16\n"
		    "    mem.allow-mlock = true\n"
		    "}\n"
		    "context.spa-libs = {\n"
		    "    support.* = support/libspa-support\n"
		    "}\n"
		    "context.modules = [\n"
		    "    { name = libpipewire-module-rt args = { nice.level = -11 rt.prio = %d } flags = [ ifexists nofail ] }\n"
		    "    { name = libpipewire-module-protocol-native }\n"
		    "    { name = libpipewire-module-profiler }\n"
		    "    { name = libpipewire-module-metadata }\n"
		    "    { name = libpipewire-module-spa-node-factory }\n"
		    "    { name = libpipewire-module-client-node }\n"
		    "    { name = libpipewire-module-access args = { } }\n"
		    "    { name = libpipewire-module-adapter }\n"
		    "    { name = libpipewire-module-link-factory }\n"
		    "]\n"
		    "context.objects = [\n"
		    "    { factory = spa-node-factory\n"
		    "        args = {\n"
		    "            factory.name = support.node.driver\n"
		    "            node.name = Dummy-Driver\n"
		    "            node.group = pipewire.dummy\n"
		    "            priority.driver = 20000\n"
		    "        }\n"
		    "    }\n"
		    "]\n",
		    rate, rate, quantum, quantum, quantum, quantum > 8192 ? quantum : 8192, prio);
}

void lb_pw_server_last_line(const struct lb_pw_server *sv, char *buf, size_t len)
{
	char tail[1024];
	struct stat st;
	off_t from;
	ssize_t n;
	char *end, *start;

	buf[0] = '\0';
	if (sv->logfd < 0 || fstat(sv->logfd, &st) < 0)
		return;
	from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;
	n = pread(sv->logfd, tail, sizeof(tail) - 1, from);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(tail, '\n');
	snprintf(buf, len, "%.*s", (int)len - 1, start ? start + 1 : tail);
}

static int reap(struct lb_pw_server *sv, uint64_t wait_ns, int *status)
{
	uint64_t until = now_ns() + wait_ns;

	for (;;) {
		pid_t p = waitpid(sv->pid, status, WNOHANG);

		if (p == sv->pid || (p < 0 && errno != EINTR)) {
			sv->pid = 0;
			return 0;
		}
		if (now_ns() >= until)
			return -ETIMEDOUT;
		sleep_ns(POLL_NS);
	}
}

static void child(const struct lb_pw_server *sv, const char *conf, pid_t parent, int errfd)
{
	const char *argv[] = { "pipewire", "-c", conf, NULL };
	sigset_t none;
	int fd, e;

	setpgid(0, 0);
	/* SIGTERM, not SIGKILL: PipeWire then removes its socket */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(126);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(sv->logfd, 1) < 0 || dup2(sv->logfd, 2) < 0)
		_exit(126);
	/* its own runtime directory and configuration, whatever the session's are */
	setenv("XDG_RUNTIME_DIR", sv->dir, 1);
	setenv("PIPEWIRE_RUNTIME_DIR", sv->dir, 1);
	unsetenv("PIPEWIRE_REMOTE");
	unsetenv("PIPEWIRE_CORE");
	unsetenv("PIPEWIRE_CONFIG_NAME");
	unsetenv("PIPEWIRE_CONFIG_PREFIX");
	unsetenv("PIPEWIRE_CONFIG_DIR");
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int lb_pw_server_start(struct lb_pw_server *sv, unsigned rate, unsigned quantum, int priority,
		       struct lb_pw_janitor *j, struct strbuf *err)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf conf = STRBUF_INIT, why = STRBUF_INIT;
	char path[192], logpath[192];
	int errpipe[2], e = 0, ret;
	pid_t parent = getpid();
	uint64_t until;
	ssize_t n;

	sv->pid = 0;
	sv->logfd = -1;
	/* short: the socket's path must fit in a sockaddr_un */
	snprintf(sv->dir, sizeof(sv->dir), "%s/lb-pw-XXXXXX", tmp && *tmp && strlen(tmp) < 64 ? tmp : "/tmp");
	if (!mkdtemp(sv->dir)) {
		ret = -errno;
		strbuf_addf(err, "cannot create a runtime directory '%s' for PipeWire: %s", sv->dir, strerror(-ret));
		sv->dir[0] = '\0';
		return ret;
	}
	if (j)
		snprintf(j->st->dir, sizeof(j->st->dir), "%s", sv->dir);
	snprintf(sv->socket, sizeof(sv->socket), "%s/pipewire-0", sv->dir);
	snprintf(path, sizeof(path), "%s/pipewire.conf", sv->dir);
	write_config(&conf, rate, quantum, priority);
	ret = fs_write_atomic(path, conf.buf, conf.len, NULL);
	strbuf_release(&conf);
	if (ret < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(-ret));
		goto fail;
	}
	/* the log is nameless: read back through the fd, gone with it */
	snprintf(logpath, sizeof(logpath), "%s/log-XXXXXX", sv->dir);
	sv->logfd = mkostemp(logpath, O_CLOEXEC);
	if (sv->logfd < 0) {
		ret = -errno;
		strbuf_addf(err, "cannot create PipeWire's log in '%s': %s", sv->dir, strerror(-ret));
		goto fail;
	}
	unlink(logpath);
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		ret = -errno;
		strbuf_addf(err, "cannot start pipewire: %s", strerror(-ret));
		goto fail;
	}
	fflush(NULL);
	sv->pid = fork();
	if (sv->pid < 0) {
		ret = -errno;
		sv->pid = 0;
		close(errpipe[0]);
		close(errpipe[1]);
		strbuf_addf(err, "cannot start pipewire: %s", strerror(-ret));
		goto fail;
	}
	if (sv->pid == 0)
		child(sv, path, parent, errpipe[1]);
	setpgid(sv->pid, sv->pid);
	if (j)
		__atomic_store_n(&j->st->server_pgid, sv->pid, __ATOMIC_RELEASE);
	close(errpipe[1]);
	do
		n = read(errpipe[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(e)) {
		reap(sv, SERVER_TERM_NS, &e);
		strbuf_addf(err, "cannot run 'pipewire': %s%s", strerror(e), e == ENOENT ? " (install pipewire)" : "");
		ret = -ENOENT;
		goto fail;
	}
	/* up once a client gets an answer */
	until = now_ns() + SERVER_WAIT_NS;
	for (;;) {
		struct lb_pw *pw;
		int st;

		strbuf_reset(&why);
		if (lb_pw_connect(&pw, sv->socket, &why) == 0) {
			lb_pw_disconnect(pw);
			break;
		}
		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
			char last[160];

			sv->pid = 0;
			lb_pw_server_last_line(sv, last, sizeof(last));
			strbuf_addf(err, "pipewire exited (%s %d): %s", WIFEXITED(st) ? "status" : "signal",
				    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last[0] ? last : "no message");
			ret = -ECHILD;
			goto fail;
		}
		if (now_ns() >= until) {
			char last[160];

			lb_pw_server_last_line(sv, last, sizeof(last));
			strbuf_addf(err, "pipewire took more than %llu s to accept clients: %s",
				    (unsigned long long)(SERVER_WAIT_NS / 1000000000ULL), last[0] ? last : why.buf);
			ret = -ETIMEDOUT;
			goto fail;
		}
		sleep_ns(POLL_NS);
	}
	strbuf_release(&why);
	return 0;
fail:
	strbuf_release(&why);
	lb_pw_server_stop(sv, j);
	return ret;
}

void lb_pw_server_stop(struct lb_pw_server *sv, struct lb_pw_janitor *j)
{
	int st;

	if (sv->pid > 0) {
		kill(-sv->pid, SIGTERM);
		if (reap(sv, SERVER_TERM_NS, &st) < 0) {
			kill(-sv->pid, SIGKILL);
			reap(sv, SERVER_TERM_NS, &st);
		}
	}
	sv->pid = 0;
	if (sv->logfd >= 0)
		close(sv->logfd);
	sv->logfd = -1;
	if (sv->dir[0])
		fs_remove_tree(sv->dir);
	sv->dir[0] = '\0';
	if (j) {
		__atomic_store_n(&j->st->server_pgid, 0, __ATOMIC_RELEASE);
		j->st->dir[0] = '\0';
	}
}
