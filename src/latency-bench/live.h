/* live.h - latency-bench --live: a full-screen ncurses view of a run while it measures */
#ifndef LB_LIVE_H
#define LB_LIVE_H

#include "lb.h"

struct lb_live;

/*
 * Take over the terminal (stdout) for the live view. NULL when stdout is not a terminal or
 * ncurses cannot start: the caller then prints its plain progress lines instead.
 */
struct lb_live *lb_live_start(const struct lb_run *r);
/*
 * Redraw from the run's counters (called by the reporter a few times a second, never by a
 * measuring thread); reads keys and handles resizing. 1 when the user asked to quit (q).
 */
int lb_live_update(struct lb_live *lv, const struct lb_run *r, double elapsed_s);
/*
 * The live view's line about causes: "top cause: KIND NAME on CPU N, X us at worst, N late
 * wakeups" (the cause of the largest delay so far), "no late wakeup yet (later than X us)",
 * "cause analysis unavailable: REASON" or "cause analysis starting".
 */
void lb_live_cause(const struct lb_run *r, char *buf, size_t len);
/* Give the terminal back as it was, and free lv. */
void lb_live_end(struct lb_live *lv);

#endif
