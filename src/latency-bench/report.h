/* report.h - a run's results for people (text), for CI (JSON) and for cyclictest's plotting tools */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <stdio.h>
#include "lb.h"
#include "strbuf.h"

#define LB_SCHEMA "latency-bench/1"

/* The result as JSON (schema latency-bench/1) into `out`. */
void lb_report_json(const struct lb_run *r, const char *tool_version, struct strbuf *out);
/* The human summary. */
void lb_report_text(const struct lb_run *r, FILE *fp);
/* cyclictest's --histfile format: "# Histogram", one line per microsecond, then the summary lines. */
void lb_report_cyclictest(const struct lb_run *r, struct strbuf *out);
/* The system check, one line per check with its advice. */
void lb_report_checks(const struct lb_system *sys, FILE *fp);
/* Append the system section (release, model, checks) to a JSON object being written. */
struct json_writer;
void lb_report_system_json(struct json_writer *w, const struct lb_system *sys);

#endif
