/* pipeline.c - kbuild without a command: the stage table and the loop over it (each stage timed, the first failure stops) */
#define _GNU_SOURCE
#include "pipeline.h"

#include <signal.h>
#include <unistd.h>

#include "build.h"
#include "config.h"
#include "doctor.h"
#include "install.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "series.h"
#include "source.h"

/*
 * Ctrl-C, SIGTERM and a closed terminal end every stage within 2 s: the child
 * at work (make's whole process group) gets SIGCONT and the signal, and
 * SIGKILL a second later whatever state it is in; no new child starts.
 */
static struct run_guard guard;

static void on_signal(int sig)
{
	if (!guard.stop)
		guard.stop = sig;
	run_guard_stop(&guard, sig);
	alarm(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	run_guard_kill(&guard);
}

static const int handled[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };

struct stage {
	const char *name;
	int (*run)(struct kb_job *job);
	int (*check)(struct kb_job *job); /* the stage's arguments, checked before any stage runs, or NULL */
	int recorded;                     /* its time goes into metadata.json's "stages" */
	int can_stop;                     /* --stop-after may name it */
};

static const struct stage stages[] = {
	{ "source", source_stage, source_stage_check, 1, 1 },
	{ "patch", patch_stage, patch_stage_check, 1, 1 },
	{ "config", config_stage, config_stage_check, 1, 1 },
	{ "estimate", build_estimate_stage, NULL, 0, 0 },
	{ "prerequisites", prerequisites_stage, NULL, 0, 0 },
	{ "build", build_stage, build_stage_check, 1, 1 },
	{ "package", package_stage, NULL, 1, 1 },
	{ "install", install_stage, install_stage_check, 1, 0 },
};

static const struct stage *stage_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++)
		if (str_eq(name, stages[i].name))
			return &stages[i];
	return NULL;
}

int pipeline_can_stop_after(const char *name)
{
	const struct stage *s = stage_named(name);

	return s && s->can_stop;
}

/* Run one stage, timed; its time is recorded unless it had nothing to do. */
static int run_stage(struct kb_job *job, const struct stage *s)
{
	double t0 = kb_now();
	int st;

	job->skipped = 0;
	st = s->run(job);
	if (s->recorded && !job->skipped)
		meta_stage_time(&job->meta, s->name, kb_now() - t0);
	return st;
}

static void job_release(struct kb_job *job)
{
	for (size_t i = 0; job->env[i]; i++)
		free((char *)job->env[i]);
	fragment_list_release(&job->frags);
	meta_release(&job->meta);
	free(job->objdir);
	free(job->statedir);
	free(job->dotconfig);
	free(job->cc);
	free(job->config_inputs);
	if (job->lockfd >= 0)
		close(job->lockfd);
	if (job->treelockfd >= 0)
		close(job->treelockfd);
}

int pipeline_run(struct pipeline_opts *o)
{
	struct kb_job job = { .o = o, .lockfd = -1, .treelockfd = -1 };
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART }, old[ARRAY_SIZE(handled)];
	int st = KB_OK;

	/* everything the arguments say is checked before anything runs */
	for (size_t i = 0; i < ARRAY_SIZE(stages) && st == KB_OK; i++)
		if (stages[i].check)
			st = stages[i].check(&job);
	if (st == KB_OK)
		st = source_stage_lock(&job);
	/* and what the build will need, as far as the arguments tell it now */
	if (st == KB_OK)
		st = prerequisites_early(&job);
	if (st != KB_OK)
		goto out;
	meta_start(&job.meta, o->argc, o->argv);
	job.make.guard = o->guard = &guard;
	guard.stop = 0;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(handled); i++) {
		sa.sa_handler = handled[i] == SIGALRM ? on_alarm : on_signal;
		sigaction(handled[i], &sa, &old[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++) {
		const struct stage *s = &stages[i];

		st = run_stage(&job, s);
		if (guard.stop) {
			st = KB_INTERRUPTED;
			job.meta.status = "interrupted";
			kb_error("interrupted: run the same command again to resume %s",
				 str_eq(s->name, "build") ? "the build (make keeps what is done)" : "where it stopped");
			meta_write(&job.meta);
			break;
		}
		if (st == KB_EENV && job.missing_tool) {
			/* a tool is missing: the prerequisites stage says which, and with --install-deps installs it */
			job.missing_tool = 0;
			if (run_stage(&job, stage_named("prerequisites")) == KB_OK && o->install_deps)
				st = run_stage(&job, s);
		}
		meta_write(&job.meta);
		if (st != KB_OK || (o->stop_after && str_eq(o->stop_after, s->name)))
			break;
	}
	if (str_eq(job.meta.status, "running") || str_eq(job.meta.status, "building"))
		job.meta.status = st == KB_OK ? "ok" : "failed";
	meta_write(&job.meta);
	alarm(0);
	for (size_t i = 0; i < ARRAY_SIZE(handled); i++)
		sigaction(handled[i], &old[i], NULL);
out:
	job_release(&job);
	return st;
}
