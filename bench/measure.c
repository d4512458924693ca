/* measure.c - run a command, write its wall time (ms), peak RSS (kB), exit status and CPU time (ms) to a file */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: measure RESULT_FILE COMMAND [ARG...]
 * RESULT_FILE gets one line "WALL_MS MAXRSS_KB STATUS CPU_MS"; STATUS is the exit code,
 * 128+signal when killed, 127 when the command could not be run. The command's stdin, stdout and
 * stderr are inherited. ru_maxrss from wait4() is the peak of the child and of every descendant it
 * waited for, so a shell script's largest subprocess counts (merge_config.sh -> make -> conf);
 * CPU_MS, user + system time, is the sum over the same processes (make -> gcc -> cc1 included):
 * unlike the wall time, it hardly moves when other jobs share the machine.
 */
int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int wst, status;
	double ms, cpu;

	if (argc < 3) {
		fprintf(stderr, "usage: measure RESULT_FILE COMMAND [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: error: cannot fork: %s\n", strerror(errno));
		return 3;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "measure: error: cannot run '%s': %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &wst, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "measure: error: wait4: %s\n", strerror(errno));
			return 3;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "measure: error: cannot write '%s': %s\n", argv[1], strerror(errno));
		return 3;
	}
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	fprintf(f, "%.3f %ld %d %.3f\n", ms, ru.ru_maxrss, status, cpu);
	if (fclose(f) != 0) {
		fprintf(stderr, "measure: error: cannot write '%s': %s\n", argv[1], strerror(errno));
		return 3;
	}
	return 0;
}
