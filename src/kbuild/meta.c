/* meta.c - metadata.json: the one writer of the build directory's record (source, series, config, toolchain, make, stages) */
#define _GNU_SOURCE
#include "meta.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "fs.h"
#include "json.h"
#include "log.h"
#include "run.h"

static void add_arg(struct strbuf *sb, const char *s)
{
	const char *argv[] = { s, NULL };
	struct run_cmd cmd = { .argv = argv };
	char *q = run_format(&cmd);

	if (sb->len)
		strbuf_addch(sb, ' ');
	strbuf_addstr(sb, q);
	free(q);
}

void meta_start(struct kb_meta *m, int argc, char **argv)
{
	char cwd[PATH_MAX];
	struct strbuf cmd = STRBUF_INIT;
	const char *launcher = getenv("KBUILD_LAUNCHER");

	m->status = "running";
	m->cwd = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	/* ./kbuild runs out/kbuild: record what the user typed */
	add_arg(&cmd, launcher && *launcher ? launcher : argv[0]);
	for (int i = 1; i < argc; i++)
		add_arg(&cmd, argv[i]);
	m->command = strbuf_detach(&cmd, NULL);
}

void meta_stage_time(struct kb_meta *m, const char *name, double seconds)
{
	size_t i = 0;

	while (i < m->nr_stages && !str_eq(m->stages[i].name, name))
		i++;
	if (i == ARRAY_SIZE(m->stages))
		BUG("more than %zu stages", ARRAY_SIZE(m->stages));
	m->stages[i].name = name;
	m->stages[i].seconds = seconds;
	if (i == m->nr_stages)
		m->nr_stages++;
}

void meta_release(struct kb_meta *m)
{
	free(m->path);
	free(m->command);
	free(m->cwd);
	free(m->make_command);
	free(m->tree);
	free(m->version);
	free(m->origin);
	applied_series_release(&m->series);
	for (size_t i = 0; i < m->nr_frags; i++) {
		free(m->frags[i].path);
		free(m->frags[i].sha256);
	}
	free(m->frags);
	free(m->base);
	free(m->base_sha256);
	free(m->config_sha256);
	free(m->release);
	free(m->image);
	free(m->cc);
	free(m->ld);
	free(m->make);
	free(m->compiler_string);
	free(m->localversion);
	free(m->timestamp);
	free(m->distcc);
	free(m->packages);
	free(m->destdir);
	free(m->error);
}

void meta_write(const struct kb_meta *m)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;

	if (!m->path)
		return;
	json_init(&w, &out, 1);
	json_begin_object(&w);
	json_kv_string(&w, "schema", "kbuild-metadata/1");
	json_kv_string(&w, "status", m->status);
	json_kv_string(&w, "kernel_release", m->release);
	json_key(&w, "source");
	json_begin_object(&w);
	json_kv_string(&w, "tree", m->tree);
	json_kv_string(&w, "version", m->version);
	json_kv_string(&w, "origin", m->origin);
	json_end_object(&w);
	json_key(&w, "series");
	if (m->series.series) {
		json_begin_object(&w);
		json_kv_string(&w, "name", m->series.series);
		json_key(&w, "patches");
		json_begin_array(&w);
		for (size_t i = 0; i < m->series.nr; i++) {
			json_begin_object(&w);
			json_kv_string(&w, "name", m->series.patches[i].name);
			json_kv_string(&w, "sha256", m->series.patches[i].sha256);
			json_end_object(&w);
		}
		json_end_array(&w);
		json_end_object(&w);
	} else {
		json_null(&w);
	}
	json_key(&w, "config");
	json_begin_object(&w);
	json_kv_string(&w, "base", m->base);
	json_kv_string(&w, "base_sha256", m->base_sha256);
	json_key(&w, "fragments");
	json_begin_array(&w);
	for (size_t i = 0; i < m->nr_frags; i++) {
		json_begin_object(&w);
		json_kv_string(&w, "path", m->frags[i].path);
		json_kv_string(&w, "sha256", m->frags[i].sha256);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_kv_string(&w, "config_sha256", m->config_sha256);
	json_end_object(&w);
	json_key(&w, "toolchain");
	json_begin_object(&w);
	json_kv_string(&w, "cc", m->cc);
	json_kv_string(&w, "ld", m->ld);
	json_kv_string(&w, "make", m->make);
	json_kv_string(&w, "compiler_string", m->compiler_string);
	json_end_object(&w);
	json_key(&w, "make");
	json_begin_object(&w);
	json_kv_int(&w, "jobs", m->jobs);
	json_kv_string(&w, "localversion", m->localversion);
	json_kv_string(&w, "timestamp", m->timestamp);
	json_kv_string(&w, "user", "kbuild");
	json_kv_string(&w, "host", "kbuild");
	json_kv_string(&w, "distcc_hosts", m->distcc);
	json_kv_int(&w, "objects_compiled", m->objects);
	json_kv_int(&w, "modules", m->modules);
	json_kv_string(&w, "image", m->image);
	json_end_object(&w);
	json_key(&w, "stages");
	json_begin_object(&w);
	for (size_t i = 0; i < m->nr_stages; i++) {
		json_key(&w, m->stages[i].name);
		json_fixed(&w, m->stages[i].seconds, 3);
	}
	json_end_object(&w);
	json_key(&w, "ccache");
	if (m->ccache) {
		json_begin_object(&w);
		json_kv_int(&w, "hits", m->cc_hits);
		json_kv_int(&w, "misses", m->cc_misses);
		json_key(&w, "hit_rate");
		if (m->cc_hits + m->cc_misses)
			json_fixed(&w, (double)m->cc_hits / (double)(m->cc_hits + m->cc_misses), 3);
		else
			json_null(&w);
		json_end_object(&w);
	} else {
		json_null(&w);
	}
	json_kv_string(&w, "packages", m->packages);
	json_kv_string(&w, "destdir", m->destdir);
	json_kv_string(&w, "error", m->error);
	json_kv_string(&w, "cwd", m->cwd);
	json_kv_string(&w, "command", m->command);
	json_kv_string(&w, "make_command", m->make_command);
	json_end_object(&w);
	strbuf_addch(&out, '\n');
	if (fs_write_atomic(m->path, out.buf, out.len, NULL) < 0)
		kb_warning("cannot write '%s': %s", m->path, strerror(errno));
	strbuf_release(&out);
}
