/* result.h - the result file's one owner: schema, limits, the writer and the validating reader */
#ifndef LB_RESULT_H
#define LB_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

struct lb_run;
struct lb_system;
struct json_writer;

#define LB_SCHEMA "latency-bench/1"
#define LB_MAX_LATENCY_US 1e12     /* 11.6 days: anything above is a broken file */
#define LB_MAX_FRAMES 1048576u     /* the largest "frames" a verdict cell may hold */
/* A result file is under 1 MB (14,336 histogram buckets at most, a few dozen checks and
 * causes); anything beyond 16 MiB is no result, and json-c would need gigabytes for it. */
#define LB_RESULT_MAX_BYTES (16 << 20)
/* the verdict cell a reader takes the safe size from: 48 kHz, 2 periods per buffer */
#define LB_RESULT_SAFE_RATE 48000
#define LB_RESULT_SAFE_PERIODS 2
#define LB_RESULT_SAFE_NONE 0u       /* the cell says no size up to 8192 frames is safe */
#define LB_RESULT_SAFE_UNKNOWN (~0u) /* the result has no such cell */

/* ---- writing ---- */

/* The result of a finished run as JSON (schema LB_SCHEMA) into `out`. */
void lb_result_write(const struct lb_run *r, const char *tool_version, struct strbuf *out);
/* Append the "system" member (release, model, checks) to a JSON object being written. */
void lb_result_write_system(struct json_writer *w, const struct lb_system *sys);

/* ---- reading ---- */

/* The figures of "latency_us" a reader keeps, in this order. */
enum lb_lat { LB_LAT_P50, LB_LAT_P99, LB_LAT_P999, LB_LAT_MAX, LB_NLAT };
extern const char *const lb_lat_key[LB_NLAT]; /* "p50", "p99", "p999", "max" */

/* One histogram bucket as a result file holds it: [lo, hi) nanoseconds, `count` samples. */
struct lb_bucket {
	uint64_t lo, hi, count;
};

/* A named latency histogram: one result's, or several added up; one curve of a plot. */
struct lb_series {
	char *label;              /* UTF-8, unescaped: the result's "label", else "RELEASE PLANE", else the file name */
	double max_us;            /* -1: unknown (no samples) */
	struct lb_bucket *b;      /* ascending by `lo` */
	size_t nb;
};
void lb_series_free(struct lb_series *s);

struct lb_result_check {
	char *id, *title, *status, *value; /* as in "system"."checks"; status "ok", "warn", "info" */
};

/* What a reader needs of a file: only that part is required and checked. */
enum lb_result_need {
	LB_NEED_HISTOGRAM,  /* schema, label, histogram, "latency_us"."max": what a plot draws */
	LB_NEED_CAUSES,     /* and, each when the file has it (older files do not): "cause_analysis",
			     * "causes", "spikes", "timeline": what a plot over time draws */
	LB_NEED_RUN,        /* and the run's figures: counts, latencies, safe size, checks, verdict */
};

/* Bounds of the cause analysis a reader accepts (the writer stays well inside them). */
#define LB_RESULT_MAX_CAUSES 1024
#define LB_RESULT_MAX_PARTS 256
#define LB_RESULT_MAX_SPIKES 1024
#define LB_RESULT_MAX_TIMELINE 3600    /* the writer merges steps to keep this many at most */
#define LB_RESULT_MAX_SECONDS 1e9      /* "at_s", "step_s" */
#define LB_RESULT_MAX_CPU 65535

/* One of "causes": kind is an enum lb_cause_kind. */
struct lb_result_cause {
	int kind;
	char *name;
	int cpu;                  /* -1: null */
	uint64_t count;
	double max_us, total_us;
	int irq;                  /* -1: none */
	char *device, *driver;    /* NULL: none */
	int pid;                  /* 0: none */
	char *policy;             /* NULL: none */
	int priority, has_priority;
};

struct lb_result_part {
	int kind;
	char *name;
	double us;
};

/* "cause_analysis"."worst" */
struct lb_result_wakeup {
	int cpu;
	double at_s, latency_us, irq_latency_us, timer_irq_us, unaccounted_us;
	struct lb_result_part *parts;
	int nparts;
};

/* One of "spikes": kind -1 and name NULL when no cause was found. */
struct lb_result_spike {
	int cpu;
	double at_s, latency_us;
	int kind;
	char *name;
};

struct lb_result {
	struct lb_series hist;
	/* LB_NEED_RUN only */
	char *release;          /* "system"."kernel_release"; NULL when the file has none */
	char *plane;            /* NULL when the file has none */
	int64_t interval_ns;    /* -1: unknown */
	uint64_t samples, missed, xruns;
	double lat[LB_NLAT];    /* µs; NAN where the file has null (too few samples) or nothing */
	unsigned safe;          /* frames at 48 kHz, 2 periods; LB_RESULT_SAFE_NONE or _UNKNOWN */
	char *verdict;          /* "verdict"."summary"; NULL when the file has none */
	struct lb_result_check *checks;
	int nchecks;
	/* LB_NEED_CAUSES and LB_NEED_RUN, each when the file has it */
	int has_analysis;       /* "cause_analysis" is there */
	int analysis_available;
	char *analysis_reason;  /* why not, when not available; NULL otherwise */
	double threshold_us;    /* NAN when not given */
	uint64_t late_wakeups, lost_events, dropped_causes;
	int has_worst;
	struct lb_result_wakeup worst;
	struct lb_result_cause *causes; /* ranked by max_us, as written */
	int ncauses;
	struct lb_result_spike *spikes;
	int nspikes;
	double timeline_step_s; /* 0: no "timeline" */
	double *timeline_us;    /* the worst wakeup of each step; NAN for a step without samples */
	size_t ntimeline;
};

/*
 * Read and check the result file `path` into `res` (release it with lb_result_release).
 * 0; -EINVAL when it is not a usable result (not JSON, another schema, a missing or malformed
 * member that `need` asks for) or -errno when it cannot be read. Then one diagnostic line (no
 * newline) is appended to `err`: "PATH:LINE: error: ..." for JSON syntax, "PATH: error: ..."
 * otherwise, and `res` holds nothing. Nothing is printed.
 */
int lb_result_read(const char *path, enum lb_result_need need, struct lb_result *res, struct strbuf *err);
void lb_result_release(struct lb_result *res);

#endif
