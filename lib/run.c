/* run.c - run a subprocess with optional environment, directory and output capture */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int run_have_program(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	if (!path)
		path = "/usr/bin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *dir ? dir : ".", prog);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(copy);
	return found;
}

static void child(const struct run_cmd *cmd, int outfd, int errpipe) KB_NORETURN;
static void child(const struct run_cmd *cmd, int outfd, int errpipe)
{
	int err, null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0)
		goto fail;
	if (null > 0)
		close(null);
	if (cmd->dir && chdir(cmd->dir) < 0)
		goto fail;
	if (outfd >= 0) {
		if (dup2(outfd, 1) < 0)
			goto fail;
		if (cmd->merge_err && dup2(outfd, 2) < 0)
			goto fail;
	} else if (cmd->quiet) {
		int sink = open("/dev/null", O_WRONLY);
		if (sink >= 0) {
			dup2(sink, 1);
			dup2(sink, 2);
		}
	}
	if (cmd->env)
		for (const char *const *e = cmd->env; *e; e++)
			if (putenv((char *)*e) < 0)
				goto fail;
	execvp(cmd->argv[0], (char *const *)cmd->argv);
fail:
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int run_start(const struct run_cmd *cmd, pid_t *pidp, int *outfd)
{
	int pipefd[2] = { -1, -1 }, errpipe[2];
	int status, err = 0;
	ssize_t n;
	pid_t pid;

	*pidp = -1;
	if (outfd)
		*outfd = -1;
	if (cmd->guard && cmd->guard->stop)
		return -EINTR;
	/* a missing directory must not look like a missing program */
	if (cmd->dir && access(cmd->dir, X_OK) < 0)
		return errno == ENOENT ? -ENOTDIR : -errno;
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -errno;
	if (outfd && pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0) {
		if (cmd->new_pgroup)
			setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		close(errpipe[0]);
		child(cmd, pipefd[1], errpipe[1]);
	}
	if (cmd->new_pgroup)
		setpgid(pid, pid); /* also here: no window in which a signal to the group misses it */
	if (cmd->guard) {
		cmd->guard->child = cmd->new_pgroup ? -pid : pid;
		/* a signal that came before the child was published */
		if (cmd->guard->stop)
			run_guard_stop(cmd->guard, SIGTERM);
	}
	close(errpipe[1]);
	errpipe[1] = -1;
	/* the child closes errpipe by exec (O_CLOEXEC) or writes why exec failed */
	do
		n = read(errpipe[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(err)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (cmd->guard)
			cmd->guard->child = 0;
		err = -err;
		errpipe[0] = -1;
		goto fail;
	}
	if (outfd) {
		close(pipefd[1]);
		*outfd = pipefd[0];
	}
	*pidp = pid;
	return 0;
fail:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (errpipe[1] >= 0) {
		close(errpipe[0]);
		close(errpipe[1]);
	}
	return err;
}

int run_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_command(const struct run_cmd *cmd)
{
	int fd, err;
	ssize_t n;
	pid_t pid;

	err = run_start(cmd, &pid, cmd->out ? &fd : NULL);
	if (err < 0)
		return err;
	if (cmd->out) {
		for (;;) {
			strbuf_grow(cmd->out, 8192);
			n = read(fd, cmd->out->buf + cmd->out->len, 8192);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			cmd->out->len += (size_t)n;
			cmd->out->buf[cmd->out->len] = '\0';
		}
		close(fd);
	}
	err = run_wait(pid);
	if (cmd->guard)
		run_guard_done(cmd->guard);
	return err;
}

void run_guard_stop(struct run_guard *g, int sig)
{
	pid_t p = g->child;

	if (p) {
		kill(p, SIGCONT);
		kill(p, sig);
	}
}

void run_guard_kill(struct run_guard *g)
{
	pid_t p = g->child;

	if (p)
		kill(p, SIGKILL);
}

void run_guard_done(struct run_guard *g)
{
	/* what is left of a stopped group (compilers under a make that is gone) goes too */
	if (g->stop)
		run_guard_kill(g);
	g->child = 0;
}

void run_sh_quote(struct strbuf *sb, const char *s)
{
	/* inside single quotes nothing is special but the quote itself: end, escaped quote, reopen */
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

static void add_quoted(struct strbuf *sb, const char *s)
{
	if (*s && !strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;#~"))
		strbuf_addstr(sb, s);
	else
		run_sh_quote(sb, s);
}

char *run_format(const struct run_cmd *cmd)
{
	struct strbuf sb = STRBUF_INIT;

	if (cmd->dir) {
		strbuf_addstr(&sb, "cd ");
		add_quoted(&sb, cmd->dir);
		strbuf_addstr(&sb, " && ");
	}
	if (cmd->env)
		for (const char *const *e = cmd->env; *e; e++) {
			add_quoted(&sb, *e);
			strbuf_addch(&sb, ' ');
		}
	for (const char *const *a = cmd->argv; *a; a++) {
		if (a != cmd->argv)
			strbuf_addch(&sb, ' ');
		add_quoted(&sb, *a);
	}
	return strbuf_detach(&sb, NULL);
}
