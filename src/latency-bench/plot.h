/* plot.h - latency-bench result files as one SVG latency histogram (OSADL style, log count axis) */
#ifndef LB_PLOT_H
#define LB_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"
#include "strbuf.h"

#define LB_PLOT_DEFAULT_WIDTH 960
#define LB_PLOT_DEFAULT_HEIGHT 540
#define LB_PLOT_MIN_SIZE 200
#define LB_PLOT_MAX_SIZE 10000
#define LB_PLOT_MAX_XMAX_US 1e8 /* 100 s: past the histogram's last bucket */

struct lb_plot_opts {
	const char *title;  /* NULL or "": "Latency histogram" */
	int width, height;  /* pixels, LB_PLOT_MIN_SIZE..LB_PLOT_MAX_SIZE; 0: the default */
	double xmax_us;     /* right end of the latency axis; 0: the largest max, rounded up */
};

/* Append the SVG of `n` curves to `svg` (as lb_plot_files draws them). 0 or -EINVAL (bad `o`). */
int lb_plot_render(const struct lb_series *s, int n, const struct lb_plot_opts *o,
		   struct strbuf *svg, struct strbuf *err);

/*
 * `s` as XML (or HTML) character data or attribute value, at most `max_chars` characters (then
 * "…"; SIZE_MAX for all): & < > " ' escaped, what XML 1.0 cannot hold (bad UTF-8, control
 * characters) replaced by U+FFFD, tabs and newlines by spaces.
 */
void lb_plot_add_xml(struct strbuf *sb, const char *s, size_t max_chars);

/*
 * Read the result files `paths[0..n-1]` (lb_result_read) and append to `svg` a plain SVG 1.1
 * document: x = latency in µs (linear, equal-width bins), y = samples per bin on a log axis
 * (bins without samples lie on the axis floor, labelled 0), one step curve per file in its own
 * colour, and a legend with each result's "label" and max latency. `o` may be NULL.
 *
 * Returns 0; -EINVAL when an input is bad (not JSON, wrong schema, missing or malformed
 * histogram) or `o` is out of range; -errno when a file cannot be read. On error `svg` is left
 * as it was and one diagnostic line (no newline) is appended to `err`, to print as it is:
 * "PATH:LINE: error: ..." for JSON syntax errors, "PATH: error: ..." for other faults of a file,
 * "error: ..." for bad options. Nothing is printed.
 */
int lb_plot_files(const char *const *paths, int n, const struct lb_plot_opts *o,
		  struct strbuf *svg, struct strbuf *err);

/* One run's latency over its time: a curve of a plot over time, and its spikes. */
struct lb_timeline {
	const char *label;
	double step_s;                        /* > 0 */
	const double *max_us;                 /* the worst wakeup of each step; NAN: no samples in it */
	size_t n;
	const struct lb_result_spike *spike;  /* marked and labelled by their cause */
	int nspikes;
};

/*
 * Append to `svg` a plain SVG 1.1 document of latency over the run's time: x = seconds since the
 * start of the run, y = the worst latency of each step in µs (linear), one step curve per
 * timeline in the histogram plot's colours (a step without samples is a gap), each spike a
 * marker in its curve's colour labelled "KIND NAME" (as many as fit without overlapping, the
 * worst first; every marker has the whole text as its tooltip), and a legend with each label and
 * its worst step. 0 or -EINVAL (no timelines, bad `o`: err says why). o->xmax_us is not used.
 */
int lb_plot_timeline_render(const struct lb_timeline *t, int n, const struct lb_plot_opts *o,
			    struct strbuf *svg, struct strbuf *err);
/*
 * Read the result files (lb_result_read, LB_NEED_CAUSES) and plot their "timeline" and "spikes"
 * as lb_plot_timeline_render does. Errors as lb_plot_files; a file without a "timeline" is
 * one ("PATH: error: no \"timeline\" ...").
 */
int lb_plot_timeline_files(const char *const *paths, int n, const struct lb_plot_opts *o,
			   struct strbuf *svg, struct strbuf *err);

#endif
