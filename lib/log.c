/* log.c - diagnostics and progress lines */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include "strbuf.h"

static const char *level_name(enum kb_level level)
{
	switch (level) {
	case KB_ERROR:
		return "error";
	case KB_WARNING:
		return "warning";
	case KB_NOTE:
		return "note";
	}
	BUG("bad log level %d", (int)level);
}

static void vreport(enum kb_level level, const char *fmt, va_list ap) KB_PRINTF(2, 0);
static void vreport(enum kb_level level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s: ", program_invocation_short_name, level_name(level));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kb_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(KB_ERROR, fmt, ap);
	va_end(ap);
}

void kb_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(KB_WARNING, fmt, ap);
	va_end(ap);
}

void kb_diag(enum kb_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(stderr, "%s:%d: %s: ", file, line, level_name(level));
	else
		fprintf(stderr, "%s: %s: ", file, level_name(level));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kb_diag_vaddf(struct strbuf *err, enum kb_level level, const char *file, int line, const char *fmt, va_list ap)
{
	if (line > 0)
		strbuf_addf(err, "%s:%d: %s: ", file, line, level_name(level));
	else
		strbuf_addf(err, "%s: %s: ", file, level_name(level));
	strbuf_vaddf(err, fmt, ap);
}

void kb_progress(const char *tag, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %-7s ", tag);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
