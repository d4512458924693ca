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
#include "lb.h"
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
	uint64_t until = lb_now_ns() + SERVER_TERM_NS;

	if (pgid <= 0 || kill(-pgid, SIGTERM) < 0)
		return;
	while (lb_now_ns() < until) {
		if (!leader_runs(pgid))
			return;
		lb_sleep_ns(POLL_NS);
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
	lb_log_last_line(sv->logfd, buf, len);
}

int lb_pw_server_start(struct lb_pw_server *sv, unsigned rate, unsigned quantum, int priority,
		       struct lb_pw_janitor *j, struct strbuf *err)
{
	const char *tmp = getenv("TMPDIR");
	struct strbuf conf = STRBUF_INIT, why = STRBUF_INIT;
	char path[192], logpath[192];
	uint64_t until;
	int ret;

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
	{
		char xdg[160], rt[160];
		/* its own runtime directory and configuration, whatever the session's are */
		const char *argv[] = { "pipewire", "-c", path, NULL };
		const char *env[] = { xdg, rt, "PIPEWIRE_REMOTE", "PIPEWIRE_CORE", "PIPEWIRE_CONFIG_NAME",
				      "PIPEWIRE_CONFIG_PREFIX", "PIPEWIRE_CONFIG_DIR", "DBUS_SESSION_BUS_ADDRESS", NULL };

		snprintf(xdg, sizeof(xdg), "XDG_RUNTIME_DIR=%s", sv->dir);
		snprintf(rt, sizeof(rt), "PIPEWIRE_RUNTIME_DIR=%s", sv->dir);
		ret = lb_server_spawn(argv, env, sv->logfd, &sv->pid);
	}
	if (ret) {
		strbuf_addf(err, "cannot run 'pipewire': %s%s", strerror(-ret), ret == -ENOENT ? " (install pipewire)" : "");
		goto fail;
	}
	if (j)
		__atomic_store_n(&j->st->server_pgid, sv->pid, __ATOMIC_RELEASE);
	/* up once a client gets an answer */
	until = lb_now_ns() + SERVER_WAIT_NS;
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
		if (lb_now_ns() >= until) {
			char last[160];

			lb_pw_server_last_line(sv, last, sizeof(last));
			strbuf_addf(err, "pipewire took more than %llu s to accept clients: %s",
				    (unsigned long long)(SERVER_WAIT_NS / 1000000000ULL), last[0] ? last : why.buf);
			ret = -ETIMEDOUT;
			goto fail;
		}
		lb_sleep_ns(POLL_NS);
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
	lb_server_stop(&sv->pid, SERVER_TERM_NS);
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
