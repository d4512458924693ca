/* log.h - diagnostics in gcc/git style and kernel-style progress lines, all on stderr */
#ifndef KB_LOG_H
#define KB_LOG_H

#include <stdarg.h>
#include "util.h"

struct strbuf;

enum kb_level { KB_ERROR, KB_WARNING, KB_NOTE };

/* "prog: error: ..." */
void kb_error(const char *fmt, ...) KB_PRINTF(1, 2);
void kb_warning(const char *fmt, ...) KB_PRINTF(1, 2);
/* "file:line: error: ..."; line 0 omits the line number. */
void kb_diag(enum kb_level level, const char *file, int line, const char *fmt, ...)
	KB_PRINTF(4, 5);
/* The same "file:line: error: ..." into err instead of stderr (no newline), for callers that hand errors up. */
void kb_diag_vaddf(struct strbuf *err, enum kb_level level, const char *file, int line, const char *fmt, va_list ap)
	KB_PRINTF(5, 0);
/* "  TAG     what" (kbuild's quiet_cmd style). */
void kb_progress(const char *tag, const char *fmt, ...) KB_PRINTF(2, 3);

#endif
