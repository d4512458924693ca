/* plot.h - latency-bench result files as one SVG latency histogram (OSADL style, log count axis) */
#ifndef LB_PLOT_H
#define LB_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct json_object;

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

/* One histogram bucket as a result file holds it: [lo, hi) nanoseconds, `count` samples. */
struct lb_plot_bucket {
	uint64_t lo, hi, count;
};

/* One curve: what the plot needs of a result (or of several merged). */
struct lb_plot_series {
	char *label;              /* UTF-8, unescaped: the result's "label", else "RELEASE PLANE", else the file name */
	double max_us;            /* -1: unknown (no samples) */
	struct lb_plot_bucket *b; /* ascending by `lo` */
	size_t nb;
};

/*
 * Read one result file into `s` (release it with lb_plot_series_free) after checking it as
 * lb_plot_files does. With `root` non-NULL the parsed document is handed over as well, for
 * callers that need more of it (caller puts it with json_object_put). Returns 0, -EINVAL or
 * -errno, with `err` as lb_plot_files sets it; on error `s` and `*root` hold nothing.
 */
int lb_plot_read_result(const char *path, struct lb_plot_series *s, struct json_object **root,
			char *err, size_t errlen);
void lb_plot_series_free(struct lb_plot_series *s);

/* The member `key` of a JSON object, or NULL (not an object, no such member, or null). */
struct json_object *lb_json_member(struct json_object *obj, const char *key);
/* A non-negative JSON integer into *out: 0, or -1 when `v` is not one. */
int lb_json_count(struct json_object *v, uint64_t *out);

/* Append the SVG of `n` curves to `svg` (as lb_plot_files draws them). 0 or -EINVAL (bad `o`). */
int lb_plot_render(const struct lb_plot_series *s, int n, const struct lb_plot_opts *o,
		   struct strbuf *svg, char *err, size_t errlen);

/*
 * `s` as XML (or HTML) character data or attribute value, at most `max_chars` characters (then
 * "…"; SIZE_MAX for all): & < > " ' escaped, what XML 1.0 cannot hold (bad UTF-8, control
 * characters) replaced by U+FFFD, tabs and newlines by spaces.
 */
void lb_plot_add_xml(struct strbuf *sb, const char *s, size_t max_chars);

/*
 * Read the latency-bench/1 result files `paths[0..n-1]` and append to `svg` a plain SVG 1.1
 * document: x = latency in µs (linear, equal-width bins), y = samples per bin on a log axis
 * (bins without samples lie on the axis floor, labelled 0), one step curve per file in its own
 * colour, and a legend with each result's "label" and max latency. `o` may be NULL.
 *
 * Returns 0; -EINVAL when an input is bad (not JSON, wrong schema, missing or malformed
 * histogram) or `o` is out of range; -errno when a file cannot be read. On error `svg` is left
 * as it was and `err` holds one diagnostic line (no newline) to print as it is:
 * "PATH:LINE: error: ..." for JSON syntax errors, "PATH: error: ..." for other faults of a file,
 * "error: ..." for bad options. Nothing is printed.
 */
int lb_plot_files(const char *const *paths, int n, const struct lb_plot_opts *o,
		  struct strbuf *svg, char *err, size_t errlen);

#endif
