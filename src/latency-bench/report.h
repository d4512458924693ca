/* report.h - a run's results for people (text) and for cyclictest's plotting tools; the JSON result is result.h's */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <stdio.h>
#include "lb.h"
#include "strbuf.h"

/* The human summary. */
void lb_report_text(const struct lb_run *r, FILE *fp);
/* cyclictest's --histfile format: "# Histogram", one line per microsecond, then the summary lines. */
void lb_report_cyclictest(const struct lb_run *r, struct strbuf *out);
/* The system check, one line per check with its advice. */
void lb_report_checks(const struct lb_system *sys, FILE *fp);

#endif
