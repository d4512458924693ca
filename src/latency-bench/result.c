/* result.c - the result file (latency-bench/1): its writer, and its reader with every member it needs checked */
#include "result.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* json-c by its directory: a bare <json.h> would find lib/json.h first (-Ilib) */
#include <json-c/json.h>

#include "fs.h"
#include "json.h"
#include "lb.h"
#include "log.h"
#include "load.h"
#include "stats.h"
#include "util.h"

const char *const lb_lat_key[LB_NLAT] = { "p50", "p99", "p999", "max" };

/* "PATH:LINE: error: ..." (line 0: "PATH: error: ..."); always -EINVAL */
KB_PRINTF(4, 5)
static int bad(struct strbuf *err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_diag_vaddf(err, KB_ERROR, path, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1-based line of byte `off`; an error at the very end belongs to the last line, not the one after */
static int line_at(const char *text, size_t len, size_t off)
{
	int line = 1;

	if (off > len)
		off = len;
	if (off == len && off > 0 && text[off - 1] == '\n')
		off--;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* The member `key` of a JSON object, or NULL (not an object, no such member, or null). */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v; /* NULL also for a JSON null */
}

/*
 * A JSON integer from 0 to INT64_MAX into *out: 0; -1 when `v` is no integer or a negative
 * one; -ERANGE when it is beyond INT64_MAX. json-c clamps a larger integer to INT64_MAX (or
 * UINT64_MAX) when it reads it: only the unsigned value tells the two apart.
 */
static int count(struct json_object *v, uint64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < 0)
		return -1;
	if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = (uint64_t)x;
	return 0;
}

/* The message for a count() that failed with `ret`, of the member named by `fmt`. */
KB_PRINTF(5, 6)
static int bad_count(struct strbuf *err, const char *path, int ret, const char *what, const char *fmt, ...)
{
	struct strbuf name = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&name, fmt, ap);
	va_end(ap);
	if (ret == -ERANGE)
		bad(err, path, 0, "%s is out of range (0 to %" PRId64 ")", name.buf, INT64_MAX);
	else
		bad(err, path, 0, "%s is not %s", name.buf, what);
	strbuf_release(&name);
	return -EINVAL;
}

/* A latency in µs from 0 to LB_MAX_LATENCY_US: 0, or -1 when `v` is not one. */
static int latency(struct json_object *v, double *out)
{
	double d = json_object_get_double(v);

	if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
	    !(d >= 0 && d <= LB_MAX_LATENCY_US))
		return -1;
	*out = d;
	return 0;
}

/* a string member or NULL; -1 when it is there but not a string */
static int get_string(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v = member(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

/* The whole file as a JSON object with the right schema, into *rootp. */
static int parse(const char *path, struct json_object **rootp, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *v;
	enum json_tokener_error jerr;
	const char *nul;
	int ret;

	ret = fs_read_file_max(path, &text, LB_RESULT_MAX_BYTES);
	if (ret == -EFBIG) {
		ret = bad(err, path, 0, "larger than %d MiB: not a latency-bench result", LB_RESULT_MAX_BYTES >> 20);
		goto out;
	}
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s", path, strerror(-ret));
		goto out;
	}
	nul = memchr(text.buf, '\0', text.len);
	if (nul) {
		ret = bad(err, path, line_at(text.buf, text.len, (size_t)(nul - text.buf)), "not valid JSON: NUL byte");
		goto out;
	}
	tok = json_tokener_new();
	if (!tok)
		abort(); /* out of memory, as xmalloc */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text.buf, (int)text.len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success)
		ret = bad(err, path, line_at(text.buf, text.len, json_tokener_get_parse_end(tok)),
			  "not valid JSON: %s",
			  jerr == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(jerr));
	else if (!json_object_is_type(root, json_type_object))
		ret = bad(err, path, 0, "not a latency-bench result: not a JSON object");
	else if (!(v = member(root, "schema")))
		ret = bad(err, path, 0, "not a latency-bench result: no \"schema\"");
	else if (!json_object_is_type(v, json_type_string))
		ret = bad(err, path, 0, "\"schema\" is not a string");
	else if (!str_eq(json_object_get_string(v), LB_SCHEMA))
		ret = bad(err, path, 0, "unsupported schema '%.64s' (expected '" LB_SCHEMA "')",
			  json_object_get_string(v));
	if (!ret) {
		*rootp = root;
		root = NULL;
	}
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	strbuf_release(&text);
	return ret;
}

static char *default_label(struct json_object *root, const char *path)
{
	struct json_object *rel = member(member(root, "system"), "kernel_release");
	struct json_object *plane = member(root, "plane");
	const char *base = strrchr(path, '/');

	if (json_object_is_type(rel, json_type_string) && *json_object_get_string(rel)) {
		if (json_object_is_type(plane, json_type_string) && *json_object_get_string(plane))
			return xasprintf("%s %s", json_object_get_string(rel), json_object_get_string(plane));
		return xstrdup(json_object_get_string(rel));
	}
	return xstrdup(base ? base + 1 : path);
}

static int read_buckets(struct json_object *arr, const char *path, struct lb_series *s, struct strbuf *err)
{
	size_t n = json_object_array_length(arr);

	s->b = xcalloc(n ? n : 1, sizeof(*s->b));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct lb_bucket *b = &s->b[i];

		uint64_t *field[] = { &b->lo, &b->hi, &b->count };
		int ret = 0;

		for (size_t k = 0; !ret && k < ARRAY_SIZE(field) && json_object_is_type(e, json_type_array) &&
				   json_object_array_length(e) == 3; k++)
			if ((ret = count(json_object_array_get_idx(e, k), field[k])) == -ERANGE)
				return bad_count(err, path, ret, "", "\"histogram\".\"buckets\"[%zu][%zu]", i, k);
		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3 || ret)
			return bad(err, path, 0, "\"histogram\".\"buckets\"[%zu] is not [lower_ns, upper_ns, count] "
				   "of integers >= 0", i);
		if (b->lo >= b->hi)
			return bad(err, path, 0, "\"histogram\".\"buckets\"[%zu] is empty or reversed: [%" PRIu64
				   ", %" PRIu64 ")", i, b->lo, b->hi);
		if (i > 0 && b->lo < s->b[i - 1].hi)
			return bad(err, path, 0, "\"histogram\".\"buckets\"[%zu] starts below the end of the bucket "
				   "before it (buckets must ascend)", i);
		s->nb++;
	}
	return 0;
}

/* label, histogram and max: what a plot draws */
static int read_histogram(struct json_object *root, const char *path, struct lb_series *s, struct strbuf *err)
{
	struct json_object *v, *hist, *lat;

	v = member(root, "label");
	if (v && !json_object_is_type(v, json_type_string))
		return bad(err, path, 0, "\"label\" is not a string");
	s->label = v && *json_object_get_string(v) ? xstrdup(json_object_get_string(v)) : default_label(root, path);

	hist = member(root, "histogram");
	if (!hist)
		return bad(err, path, 0, "no \"histogram\"");
	if (!json_object_is_type(hist, json_type_object))
		return bad(err, path, 0, "\"histogram\" is not an object");
	v = member(hist, "unit");
	if (v && (!json_object_is_type(v, json_type_string) || !str_eq(json_object_get_string(v), "ns")))
		return bad(err, path, 0, "\"histogram\".\"unit\" is not \"ns\"");
	v = member(hist, "buckets");
	if (!v)
		return bad(err, path, 0, "no \"histogram\".\"buckets\"");
	if (!json_object_is_type(v, json_type_array))
		return bad(err, path, 0, "\"histogram\".\"buckets\" is not an array");
	if (read_buckets(v, path, s, err) < 0)
		return -EINVAL;

	s->max_us = -1;
	lat = member(root, "latency_us");
	if (lat && !json_object_is_type(lat, json_type_object))
		return bad(err, path, 0, "\"latency_us\" is not an object");
	v = member(lat, "max");
	if (v) {
		if (latency(v, &s->max_us))
			return bad(err, path, 0, "\"latency_us\".\"max\" is not a number from 0 to %.0f",
				   LB_MAX_LATENCY_US);
	} else if (s->nb) {
		s->max_us = (double)(s->b[s->nb - 1].hi - 1) / 1000.0; /* within the last bucket */
	}
	return 0;
}

static int read_safe(struct json_object *root, const char *path, unsigned *safe, struct strbuf *err)
{
	struct json_object *arr = member(member(root, "verdict"), "safe");
	size_t n;

	*safe = LB_RESULT_SAFE_UNKNOWN;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return bad(err, path, 0, "\"verdict\".\"safe\" is not an array");
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *f, *b;
		uint64_t rate, periods, frames;
		int ret = 0;

		if (json_object_is_type(e, json_type_object)) {
			if ((ret = count(member(e, "rate"), &rate)) == -ERANGE)
				return bad_count(err, path, ret, "", "\"verdict\".\"safe\"[%zu].\"rate\"", i);
			if (!ret && (ret = count(member(e, "periods"), &periods)) == -ERANGE)
				return bad_count(err, path, ret, "", "\"verdict\".\"safe\"[%zu].\"periods\"", i);
		}
		if (!json_object_is_type(e, json_type_object) || ret)
			return bad(err, path, 0, "\"verdict\".\"safe\"[%zu] is not an object with "
				   "integer \"rate\" and \"periods\"", i);
		if (rate != LB_RESULT_SAFE_RATE || periods != LB_RESULT_SAFE_PERIODS)
			continue;
		f = member(e, "frames");
		b = member(e, "basis");
		if (b && !json_object_is_type(b, json_type_string))
			return bad(err, path, 0, "\"verdict\".\"safe\"[%zu].\"basis\" is not a string", i);
		if (!f && b && str_eq(json_object_get_string(b), "not measured"))
			*safe = LB_RESULT_SAFE_UNKNOWN; /* the run says nothing of this size, not that none is safe */
		else if (!f)
			*safe = LB_RESULT_SAFE_NONE;
		else if (count(f, &frames) || frames == 0 || frames > LB_MAX_FRAMES)
			return bad(err, path, 0, "\"verdict\".\"safe\"[%zu].\"frames\" is not null or "
				   "a number of frames from 1 to %u", i, LB_MAX_FRAMES);
		else
			*safe = (unsigned)frames;
	}
	return 0;
}

static int read_checks(struct json_object *sys, const char *path, struct lb_result *r, struct strbuf *err)
{
	struct json_object *arr = member(sys, "checks");
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return bad(err, path, 0, "\"system\".\"checks\" is not an array");
	n = json_object_array_length(arr);
	r->checks = xcalloc(n ? n : 1, sizeof(*r->checks));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *id, *title, *status, *value;

		if (!json_object_is_type(e, json_type_object) || get_string(e, "id", &id) || !id ||
		    get_string(e, "title", &title) || get_string(e, "status", &status) ||
		    get_string(e, "value", &value))
			return bad(err, path, 0, "\"system\".\"checks\"[%zu] is not an object with "
				   "string \"id\", \"title\", \"status\" and \"value\"", i);
		r->checks[r->nchecks].id = xstrdup(id);
		r->checks[r->nchecks].title = xstrdup(title ? title : id);
		r->checks[r->nchecks].status = xstrdup(status ? status : "");
		r->checks[r->nchecks].value = xstrdup(value ? value : "");
		r->nchecks++;
	}
	return 0;
}

/* the run's figures: what compare decides on and shows */
static int read_run(struct json_object *root, const char *path, struct lb_result *r, struct strbuf *err)
{
	static const char *const counts[] = { "samples", "missed_periods", "xruns" };
	uint64_t *count_out[] = { &r->samples, &r->missed, &r->xruns };
	struct json_object *sys = member(root, "system"), *lat, *v;
	const char *s;
	int ret;

	if (sys && !json_object_is_type(sys, json_type_object))
		return bad(err, path, 0, "\"system\" is not an object");
	if (get_string(sys, "kernel_release", &s))
		return bad(err, path, 0, "\"system\".\"kernel_release\" is not a string");
	r->release = s && *s ? xstrdup(s) : NULL;
	if (get_string(root, "plane", &s))
		return bad(err, path, 0, "\"plane\" is not a string");
	r->plane = s && *s ? xstrdup(s) : NULL;
	r->interval_ns = -1;
	v = member(member(root, "params"), "interval_ns");
	if (v) {
		uint64_t ns;

		if ((ret = count(v, &ns)))
			return bad_count(err, path, ret, "an integer >= 0", "\"params\".\"interval_ns\"");
		r->interval_ns = (int64_t)ns;
	}
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		v = member(root, counts[i]);
		if (!v)
			return bad(err, path, 0, "no \"%s\"", counts[i]);
		if ((ret = count(v, count_out[i])))
			return bad_count(err, path, ret, "an integer >= 0", "\"%s\"", counts[i]);
	}
	lat = member(root, "latency_us");
	if (!lat)
		return bad(err, path, 0, "no \"latency_us\"");
	for (int i = 0; i < LB_NLAT; i++) {
		r->lat[i] = NAN;
		v = member(lat, lb_lat_key[i]);
		if (v && latency(v, &r->lat[i]))
			return bad(err, path, 0, "\"latency_us\".\"%s\" is not null or a number from 0 to %.0f",
				   lb_lat_key[i], LB_MAX_LATENCY_US);
	}
	if (read_safe(root, path, &r->safe, err) || read_checks(sys, path, r, err))
		return -EINVAL;
	if (get_string(member(root, "verdict"), "summary", &s))
		return bad(err, path, 0, "\"verdict\".\"summary\" is not a string");
	r->verdict = s ? xstrdup(s) : NULL;
	return 0;
}

/* ---- cause analysis: each member optional, each checked when there ---- */

/* "irq, softirq, ..., preempt-off" */
static void kind_list(struct strbuf *sb)
{
	for (int k = 0; k < LB_CAUSE_NKINDS; k++)
		strbuf_addf(sb, "%s%s", k ? ", " : "", lb_cause_kind_name((enum lb_cause_kind)k));
}

/* where.kind into *kind: a kind of cause; with `nullable`, -1 for null or none */
static int read_kind(struct json_object *obj, const char *where, int nullable, const char *path, int *kind,
		     struct strbuf *err)
{
	struct json_object *v = member(obj, "kind");
	struct strbuf kinds = STRBUF_INIT;

	*kind = -1;
	if (!v && nullable)
		return 0;
	if (!v || !json_object_is_type(v, json_type_string))
		return bad(err, path, 0, "%s.\"kind\" is not %sa string", where, nullable ? "null or " : "");
	*kind = lb_cause_kind_parse(json_object_get_string(v));
	if (*kind >= 0)
		return 0;
	kind_list(&kinds);
	bad(err, path, 0, "%s.\"kind\" is '%.64s', not a kind of cause (%s)", where, json_object_get_string(v),
	    kinds.buf);
	strbuf_release(&kinds);
	return -EINVAL;
}

/* where.key, a string; NULL for null or none unless `required` */
static int read_str(struct json_object *obj, const char *key, const char *where, int required, const char *path,
		    char **out, struct strbuf *err)
{
	const char *s;

	*out = NULL;
	if (get_string(obj, key, &s) || (required && !s))
		return bad(err, path, 0, "%s.\"%s\" is not %sa string", where, key, required ? "" : "null or ");
	*out = s ? xstrdup(s) : NULL;
	return 0;
}

/* where.key, microseconds from 0 to LB_MAX_LATENCY_US */
static int read_us(struct json_object *obj, const char *key, const char *where, const char *path, double *out,
		   struct strbuf *err)
{
	struct json_object *v = member(obj, key);

	if (!v || latency(v, out))
		return bad(err, path, 0, "%s.\"%s\" is not a number from 0 to %.0f", where, key, LB_MAX_LATENCY_US);
	return 0;
}

/* where.key, seconds from 0 to LB_RESULT_MAX_SECONDS */
static int read_seconds(struct json_object *obj, const char *key, const char *where, const char *path, double *out,
			struct strbuf *err)
{
	struct json_object *v = member(obj, key);
	double d = json_object_get_double(v);

	if (!v || (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) ||
	    !(d >= 0 && d <= LB_RESULT_MAX_SECONDS))
		return bad(err, path, 0, "%s.\"%s\" is not a number of seconds from 0 to %.0f", where, key,
			   LB_RESULT_MAX_SECONDS);
	*out = d;
	return 0;
}

/* where.key, an integer from `lo` to `hi`; `none` for null or none when `nullable` */
static int read_int(struct json_object *obj, const char *key, const char *where, int nullable, int none, long lo,
		    long hi, const char *path, int *out, struct strbuf *err)
{
	struct json_object *v = member(obj, key);
	int64_t x;

	*out = none;
	if (!v && nullable)
		return 0;
	x = json_object_get_int64(v);
	if (!v || !json_object_is_type(v, json_type_int) || x < lo || x > hi)
		return bad(err, path, 0, "%s.\"%s\" is not %san integer from %ld to %ld", where, key,
			   nullable ? "null or " : "", lo, hi);
	*out = (int)x;
	return 0;
}

static int read_cpu(struct json_object *obj, const char *where, const char *path, int *cpu, struct strbuf *err)
{
	return read_int(obj, "cpu", where, 1, -1, 0, LB_RESULT_MAX_CPU, path, cpu, err);
}

static int read_count(struct json_object *obj, const char *key, const char *where, const char *path,
		      uint64_t *out, struct strbuf *err)
{
	int ret = count(member(obj, key), out);

	return ret ? bad_count(err, path, ret, "an integer >= 0", "%s.\"%s\"", where, key) : 0;
}

/* An array member with at most `max` entries; NULL (and 0) when there is none. */
static int read_array(struct json_object *obj, const char *key, const char *where, size_t max, const char *path,
		      struct json_object **arr, struct strbuf *err)
{
	*arr = member(obj, key);
	if (!*arr)
		return 0;
	if (!json_object_is_type(*arr, json_type_array))
		return bad(err, path, 0, "%s\"%s\" is not an array", where, key);
	if (json_object_array_length(*arr) > max)
		return bad(err, path, 0, "%s\"%s\" has %zu entries, more than %zu", where, key,
			   json_object_array_length(*arr), max);
	return 0;
}

static int read_worst(struct json_object *v, const char *path, struct lb_result_wakeup *k, struct strbuf *err)
{
	static const char where[] = "\"cause_analysis\".\"worst\"";
	struct json_object *arr;
	size_t n;

	if (!json_object_is_type(v, json_type_object))
		return bad(err, path, 0, "%s is not null or an object", where);
	if (read_cpu(v, where, path, &k->cpu, err) || read_seconds(v, "at_s", where, path, &k->at_s, err) ||
	    read_us(v, "latency_us", where, path, &k->latency_us, err) ||
	    read_us(v, "irq_latency_us", where, path, &k->irq_latency_us, err) ||
	    read_us(v, "timer_irq_us", where, path, &k->timer_irq_us, err) ||
	    read_us(v, "unaccounted_us", where, path, &k->unaccounted_us, err) ||
	    read_array(v, "parts", "\"cause_analysis\".\"worst\".", LB_RESULT_MAX_PARTS, path, &arr, err))
		return -EINVAL;
	n = arr ? json_object_array_length(arr) : 0;
	k->parts = xcalloc(n ? n : 1, sizeof(*k->parts));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct lb_result_part *p = &k->parts[i];
		char w[64];

		snprintf(w, sizeof(w), "%s.\"parts\"[%zu]", where, i);
		if (!json_object_is_type(e, json_type_object))
			return bad(err, path, 0, "%s is not an object", w);
		k->nparts++;
		if (read_kind(e, w, 0, path, &p->kind, err) || read_str(e, "name", w, 1, path, &p->name, err) ||
		    read_us(e, "us", w, path, &p->us, err))
			return -EINVAL;
	}
	return 0;
}

static int read_analysis(struct json_object *root, const char *path, struct lb_result *r, struct strbuf *err)
{
	static const char where[] = "\"cause_analysis\"";
	struct json_object *a = member(root, "cause_analysis"), *v;

	r->threshold_us = NAN;
	if (!a)
		return 0;
	if (!json_object_is_type(a, json_type_object))
		return bad(err, path, 0, "%s is not an object", where);
	r->has_analysis = 1;
	v = member(a, "available");
	if (!json_object_is_type(v, json_type_boolean))
		return bad(err, path, 0, "%s.\"available\" is not true or false", where);
	r->analysis_available = json_object_get_boolean(v);
	if (read_str(a, "reason", where, !r->analysis_available, path, &r->analysis_reason, err))
		return -EINVAL;
	if (r->analysis_available) {
		free(r->analysis_reason);
		r->analysis_reason = NULL;
	}
	if (member(a, "threshold_us") && read_us(a, "threshold_us", where, path, &r->threshold_us, err))
		return -EINVAL;
	if ((member(a, "late_wakeups") && read_count(a, "late_wakeups", where, path, &r->late_wakeups, err)) ||
	    (member(a, "lost_events") && read_count(a, "lost_events", where, path, &r->lost_events, err)) ||
	    (member(a, "dropped_causes") && read_count(a, "dropped_causes", where, path, &r->dropped_causes, err)))
		return -EINVAL;
	v = member(a, "worst");
	if (v) {
		r->has_worst = 1;
		if (read_worst(v, path, &r->worst, err))
			return -EINVAL;
	}
	return 0;
}

static int read_cause_list(struct json_object *root, const char *path, struct lb_result *r, struct strbuf *err)
{
	struct json_object *arr;
	size_t n;

	if (read_array(root, "causes", "", LB_RESULT_MAX_CAUSES, path, &arr, err))
		return -EINVAL;
	n = arr ? json_object_array_length(arr) : 0;
	r->causes = xcalloc(n ? n : 1, sizeof(*r->causes));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct lb_result_cause *c = &r->causes[i];
		char w[32];

		snprintf(w, sizeof(w), "\"causes\"[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return bad(err, path, 0, "%s is not an object", w);
		r->ncauses++;
		if (read_kind(e, w, 0, path, &c->kind, err) || read_str(e, "name", w, 1, path, &c->name, err) ||
		    read_cpu(e, w, path, &c->cpu, err) || read_count(e, "count", w, path, &c->count, err) ||
		    read_us(e, "max_us", w, path, &c->max_us, err) || read_us(e, "total_us", w, path, &c->total_us, err) ||
		    read_int(e, "irq", w, 1, -1, 0, INT_MAX, path, &c->irq, err) ||
		    read_str(e, "device", w, 0, path, &c->device, err) || read_str(e, "driver", w, 0, path, &c->driver, err) ||
		    read_int(e, "pid", w, 1, 0, 1, INT_MAX, path, &c->pid, err) ||
		    read_str(e, "policy", w, 0, path, &c->policy, err) ||
		    read_int(e, "priority", w, 1, 0, -20, 99, path, &c->priority, err))
			return -EINVAL;
		c->has_priority = member(e, "priority") != NULL;
	}

	if (read_array(root, "spikes", "", LB_RESULT_MAX_SPIKES, path, &arr, err))
		return -EINVAL;
	n = arr ? json_object_array_length(arr) : 0;
	r->spikes = xcalloc(n ? n : 1, sizeof(*r->spikes));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct lb_result_spike *k = &r->spikes[i];
		char w[32];

		snprintf(w, sizeof(w), "\"spikes\"[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return bad(err, path, 0, "%s is not an object", w);
		r->nspikes++;
		if (read_cpu(e, w, path, &k->cpu, err) || read_seconds(e, "at_s", w, path, &k->at_s, err) ||
		    read_us(e, "latency_us", w, path, &k->latency_us, err) || read_kind(e, w, 1, path, &k->kind, err) ||
		    read_str(e, "name", w, 0, path, &k->name, err))
			return -EINVAL;
	}
	return 0;
}

static int read_timeline(struct json_object *root, const char *path, struct lb_result *r, struct strbuf *err)
{
	struct json_object *t = member(root, "timeline"), *arr;
	size_t n;

	if (!t)
		return 0;
	if (!json_object_is_type(t, json_type_object))
		return bad(err, path, 0, "\"timeline\" is not null or an object");
	if (read_seconds(t, "step_s", "\"timeline\"", path, &r->timeline_step_s, err))
		return -EINVAL;
	if (!(r->timeline_step_s > 0))
		return bad(err, path, 0, "\"timeline\".\"step_s\" is 0: a step must be longer");
	if (read_array(t, "max_us", "\"timeline\".", LB_RESULT_MAX_TIMELINE, path, &arr, err))
		return -EINVAL;
	if (!arr)
		return bad(err, path, 0, "\"timeline\" has no \"max_us\"");
	n = json_object_array_length(arr);
	r->timeline_us = xcalloc(n ? n : 1, sizeof(*r->timeline_us));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		r->timeline_us[i] = NAN;
		if (e && latency(e, &r->timeline_us[i]))
			return bad(err, path, 0, "\"timeline\".\"max_us\"[%zu] is not null or a number from 0 to %.0f",
				   i, LB_MAX_LATENCY_US);
	}
	r->ntimeline = n;
	return 0;
}

static int read_causes(struct json_object *root, const char *path, struct lb_result *r, struct strbuf *err)
{
	if (read_analysis(root, path, r, err) || read_cause_list(root, path, r, err) ||
	    read_timeline(root, path, r, err))
		return -EINVAL;
	return 0;
}

int lb_result_read(const char *path, enum lb_result_need need, struct lb_result *res, struct strbuf *err)
{
	struct json_object *root = NULL;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = parse(path, &root, err);
	if (!ret)
		ret = read_histogram(root, path, &res->hist, err);
	if (!ret && need >= LB_NEED_CAUSES)
		ret = read_causes(root, path, res, err);
	if (!ret && need == LB_NEED_RUN)
		ret = read_run(root, path, res, err);
	json_object_put(root);
	if (ret)
		lb_result_release(res);
	return ret;
}

void lb_series_free(struct lb_series *s)
{
	free(s->label);
	free(s->b);
	s->label = NULL;
	s->b = NULL;
	s->nb = 0;
}

void lb_result_release(struct lb_result *r)
{
	lb_series_free(&r->hist);
	free(r->release);
	free(r->plane);
	free(r->verdict);
	for (int i = 0; i < r->nchecks; i++) {
		free(r->checks[i].id);
		free(r->checks[i].title);
		free(r->checks[i].status);
		free(r->checks[i].value);
	}
	free(r->checks);
	free(r->analysis_reason);
	for (int i = 0; i < r->worst.nparts; i++)
		free(r->worst.parts[i].name);
	free(r->worst.parts);
	for (int i = 0; i < r->ncauses; i++) {
		free(r->causes[i].name);
		free(r->causes[i].device);
		free(r->causes[i].driver);
		free(r->causes[i].policy);
	}
	free(r->causes);
	for (int i = 0; i < r->nspikes; i++)
		free(r->spikes[i].name);
	free(r->spikes);
	free(r->timeline_us);
	memset(r, 0, sizeof(*r));
}

/* ---- the writer ---- */

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void json_us(struct json_writer *w, const char *key, uint64_t ns)
{
	json_key(w, key);
	json_fixed(w, us(ns), 3);
}

/* {min mean p50 ... max} under `key`, and the percentiles with their ranks when `ranks` */
static void summary_json(struct json_writer *w, const char *key, const struct hist *h, int ranks)
{
	struct lb_stats s;
	unsigned i;

	lb_stats_from_hist(&s, h);
	json_key(w, key);
	json_begin_object(w);
	if (s.samples) {
		json_us(w, "min", s.min_ns);
		json_key(w, "mean");
		json_fixed(w, s.mean_ns / 1e3, 3);
	} else {
		json_key(w, "min");
		json_null(w);
		json_key(w, "mean");
		json_null(w);
	}
	for (i = 0; i < LB_NPCT; i++) {
		json_key(w, s.pct[i].key);
		if (s.pct[i].valid)
			json_fixed(w, us(s.pct[i].value_ns), 3);
		else
			json_null(w);
	}
	json_key(w, "max");
	if (s.samples)
		json_fixed(w, us(s.max_ns), 3);
	else
		json_null(w);
	json_end_object(w);
	if (!ranks)
		return;

	json_key(w, "percentiles");
	json_begin_array(w);
	for (i = 0; i < LB_NPCT; i++) {
		const struct lb_percentile *p = &s.pct[i];
		json_begin_object(w);
		json_kv_string(w, "name", p->name);
		json_kv_int(w, "tail", (int64_t)p->tail);
		json_kv_bool(w, "valid", p->valid);
		json_key(w, "value_us");
		if (p->valid)
			json_fixed(w, us(p->value_ns), 3);
		else
			json_null(w);
		json_kv_int(w, "rank", (int64_t)p->rank);
		json_kv_int(w, "samples_beyond", (int64_t)p->beyond);
		json_end_object(w);
	}
	json_end_array(w);
}

static void latency_json(struct json_writer *w, const struct hist *h)
{
	summary_json(w, "latency_us", h, 1);
}

static void histogram_json(struct json_writer *w, const struct hist *h)
{
	unsigned i;

	json_key(w, "histogram");
	json_begin_object(w);
	json_kv_string(w, "unit", "ns");
	json_kv_string(w, "scheme", "log-linear: 1 ns buckets below 1024 ns, then 512 per power of two");
	json_kv_string(w, "bucket", "[lower_ns, upper_ns, count], lower inclusive, upper exclusive, empty buckets left out");
	json_kv_int(w, "samples", (int64_t)h->count);
	json_key(w, "buckets");
	json_begin_array(w);
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		json_begin_array(w);
		json_int(w, (int64_t)hist_lower(i));
		json_int(w, (int64_t)hist_upper(i));
		json_int(w, (int64_t)h->buckets[i]);
		json_end_array(w);
	}
	json_end_array(w);
	json_key(w, "overflow");
	json_begin_object(w);
	json_kv_int(w, "from_ns", (int64_t)HIST_LIMIT_NS);
	json_kv_int(w, "count", (int64_t)h->overflow);
	json_end_object(w);
	json_end_object(w);
}

static void over_json(struct json_writer *w, const struct lb_run *r, const uint64_t *over)
{
	unsigned i;

	json_key(w, "over_budget");
	json_begin_array(w);
	for (i = 0; i < LB_NBUDGETS; i++) {
		json_begin_object(w);
		json_key(w, "fraction_of_period");
		json_fixed(w, lb_budget_fractions[i], 2);
		json_key(w, "threshold_us");
		json_fixed(w, lb_budget_fractions[i] * (double)r->interval_ns / 1e3, 3);
		json_kv_int(w, "samples", (int64_t)over[i]);
		json_end_object(w);
	}
	json_end_array(w);
}

void lb_result_write_system(struct json_writer *w, const struct lb_system *sys)
{
	int i;

	json_key(w, "system");
	json_begin_object(w);
	json_kv_string(w, "kernel_release", sys->kernel_release);
	json_kv_string(w, "kernel_version", sys->kernel_version);
	json_kv_string(w, "machine", sys->machine);
	json_kv_string(w, "preemption_model", sys->preemption_model);
	json_kv_bool(w, "realtime_kernel", sys->realtime);
	json_kv_string(w, "cmdline", sys->cmdline);
	json_kv_string(w, "clocksource", sys->clocksource);
	json_kv_int(w, "cpus_online", sys->ncpus_online);
	json_key(w, "checks");
	json_begin_array(w);
	for (i = 0; i < sys->nchecks; i++) {
		const struct lb_check *c = &sys->checks[i];
		json_begin_object(w);
		json_kv_string(w, "id", c->id);
		json_kv_string(w, "title", c->title);
		json_kv_string(w, "status", lb_check_status_name(c->status));
		json_kv_string(w, "value", c->value);
		json_kv_string(w, "advice", c->advice);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static void verdict_json(struct json_writer *w, const struct lb_verdict *v)
{
	unsigned r, n;

	json_key(w, "verdict");
	json_begin_object(w);
	json_kv_string(w, "summary", v->summary);
	json_kv_string(w, "confidence", v->confidence);
	json_kv_string(w, "model", "safe when max lateness <= (periods - 1 - dsp_load) * frames / rate");
	json_key(w, "dsp_load");
	json_fixed(w, v->dsp_load, 2);
	json_key(w, "confidence_level");
	json_fixed(w, LB_CONFIDENCE, 2);
	json_kv_int(w, "samples", (int64_t)v->samples);
	json_key(w, "seconds");
	json_fixed(w, v->seconds, 3);
	/* an audio plane's verdict speaks for the period it measured and longer ones only */
	json_key(w, "measured_period");
	if (v->measured_frames) {
		json_begin_object(w);
		json_kv_int(w, "frames", v->measured_frames);
		json_kv_int(w, "rate", v->measured_rate);
		json_end_object(w);
	} else
		json_null(w);
	json_key(w, "safe");
	json_begin_array(w);
	for (r = 0; r < LB_VERDICT_NRATES; r++)
		for (n = 0; n < LB_VERDICT_NPERIODS; n++) {
			const struct lb_verdict_cell *c = &v->cell[r][n];
			json_begin_object(w);
			json_kv_int(w, "rate", c->rate);
			json_kv_int(w, "periods", c->nperiods);
			json_key(w, "from_frames");
			if (c->from_frames)
				json_int(w, c->from_frames);
			else
				json_null(w);
			json_kv_string(w, "basis", lb_basis_name(c->basis));
			if (!c->frames) {
				/* no safe size: every figure of the cell is null */
				static const char *const keys[] = { "frames", "period_ms", "budget_us",
					"xruns_per_hour_max", "seconds_for_one_xrun_per_hour" };
				for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
					json_key(w, keys[k]);
					json_null(w);
				}
			} else {
				json_kv_int(w, "frames", c->frames);
				json_key(w, "period_ms");
				json_fixed(w, 1e3 * c->frames / c->rate, 3);
				json_key(w, "budget_us");
				json_fixed(w, c->budget_us, 3);
				json_key(w, "xruns_per_hour_max");
				json_double(w, c->xruns_per_hour);
				json_key(w, "seconds_for_one_xrun_per_hour");
				json_fixed(w, c->seconds_for_one_per_hour, 1);
			}
			json_end_object(w);
		}
	json_end_array(w);
	json_end_object(w);
}

static void rt_frames_json(struct json_writer *w, const char *key, const struct lb_audio *a, double scale,
			   int decimals)
{
	json_key(w, key);
	json_begin_object(w);
	json_key(w, "min");
	json_fixed(w, a->rt_min * scale, decimals);
	json_key(w, "median");
	json_fixed(w, a->rt_median * scale, decimals);
	json_key(w, "max");
	json_fixed(w, a->rt_max * scale, decimals);
	json_end_object(w);
}

/* A count that the source knows (`known`), else null. */
static void opt_count(struct json_writer *w, int known, uint64_t v)
{
	if (known)
		json_int(w, (int64_t)v);
	else
		json_null(w);
}

/* The JACK plane's server as it says itself: kind, version; PipeWire's driver, quantum, settings. */
static void server_json(struct json_writer *w, const struct lb_run *r)
{
	const struct lb_audio *a = &r->audio;
	const struct lb_pw_settings *ps = &a->pw_settings;

	json_key(w, "server");
	if (!str_eq(r->plane, "jack") || !a->server_kind[0]) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_kv_string(w, "kind", a->server_kind);
	json_kv_string(w, "version", a->server_version[0] ? a->server_version : NULL);
	json_kv_string(w, "driver", a->server_driver[0] ? a->server_driver : NULL);
	json_key(w, "quantum");
	opt_count(w, a->server_quantum, a->server_quantum);
	json_key(w, "rate");
	opt_count(w, a->server_rate, a->server_rate);
	json_key(w, "settings");
	if (ps->found) {
		json_begin_object(w);
		json_kv_int(w, "clock.rate", ps->rate);
		json_kv_int(w, "clock.quantum", ps->quantum);
		json_kv_int(w, "clock.min-quantum", ps->min_quantum);
		json_kv_int(w, "clock.max-quantum", ps->max_quantum);
		json_kv_int(w, "clock.force-quantum", ps->force_quantum);
		json_kv_int(w, "clock.force-rate", ps->force_rate);
		json_end_object(w);
	} else
		json_null(w);
	json_key(w, "forced");
	if (a->forced) {
		json_begin_object(w);
		json_key(w, "quantum");
		opt_count(w, a->forced_quantum, a->forced_quantum);
		json_key(w, "rate");
		opt_count(w, a->forced_rate, a->forced_rate);
		json_kv_int(w, "restored_quantum", a->forced_before.quantum);
		json_kv_int(w, "restored_rate", a->forced_before.rate);
		json_end_object(w);
	} else
		json_null(w);
	json_key(w, "repaired_pid");
	opt_count(w, a->repaired_pid > 0, (uint64_t)a->repaired_pid);
	json_key(w, "realtime");
	if (a->rt_why[0]) {
		json_begin_object(w);
		json_kv_string(w, "how", a->rt_why);
		json_kv_string(w, "fix", a->rt_fix[0] ? a->rt_fix : NULL);
		json_end_object(w);
	} else
		json_null(w);
	json_end_object(w);
}

/* What the ALSA device or JACK server granted, how the run ended, jitter, xruns, round trip. */
static void audio_json(struct json_writer *w, const struct lb_run *r)
{
	const struct lb_audio *a = &r->audio;
	struct hist jitter;
	uint64_t xrun_ns = 0;
	int i;
	unsigned k;

	json_key(w, "audio");
	json_begin_object(w);
	json_kv_string(w, "device", a->device);
	json_kv_string(w, "capture_device", a->capture_device);
	json_kv_string(w, "stream", str_eq(r->plane, "jack") ? NULL : a->stream);
	json_kv_string(w, "card", a->card[0] ? a->card : NULL);
	json_key(w, "requested");
	json_begin_object(w);
	/* the JACK plane asks for nothing unless told: it measures what the server runs at */
	json_key(w, "rate");
	opt_count(w, !str_eq(r->plane, "jack") || a->rate_asked, r->rate);
	json_key(w, "period_frames");
	opt_count(w, !str_eq(r->plane, "jack") || a->period_asked, r->period);
	json_key(w, "periods");
	if (str_eq(r->plane, "alsa"))
		json_int(w, a->periods);
	else
		json_null(w);
	json_end_object(w);
	json_key(w, "granted");
	if (a->rate) {
		json_begin_object(w);
		json_kv_int(w, "rate", a->rate);
		json_kv_int(w, "period_frames", a->period);
		json_key(w, "periods");
		if (a->nperiods)
			json_int(w, a->nperiods);
		else
			json_null(w);
		json_key(w, "buffer_frames");
		if (a->buffer)
			json_int(w, a->buffer);
		else
			json_null(w);
		json_kv_string(w, "format", a->format[0] ? a->format : NULL);
		json_key(w, "channels");
		if (a->channels)
			json_int(w, a->channels);
		else
			json_null(w);
		json_end_object(w);
	} else
		json_null(w);
	json_kv_bool(w, "server_started", a->server_started);
	server_json(w, r);
	/* what jackd logged when it was started for the run; what PipeWire's profiler counted */
	json_key(w, "server_xruns");
	if (a->server_xruns_known)
		json_int(w, (int64_t)a->server_xruns);
	else
		json_null(w);
	json_key(w, "server_xruns_detail");
	if (a->server_xruns_known) {
		int pw = str_eq(a->server_kind, "pipewire");

		json_begin_object(w);
		json_kv_string(w, "source", a->server_xruns_source);
		json_key(w, "cycles");
		opt_count(w, pw, a->server_cycles);
		json_key(w, "other_clients");
		opt_count(w, pw, a->server_xruns_others);
		json_kv_string(w, "other_nodes", pw && a->server_xruns_others_names[0] ? a->server_xruns_others_names : NULL);
		json_key(w, "driver_xruns");
		opt_count(w, pw, a->driver_xruns);
		json_key(w, "in_callback");
		opt_count(w, pw, a->in_callback);
		json_end_object(w);
	} else
		json_null(w);
	json_kv_string(w, "xruns_note", a->xruns_note[0] ? a->xruns_note : NULL);
	json_key(w, "dsp_load_pct");
	if (str_eq(r->plane, "jack") && a->dsp_load_max >= 0) {
		json_begin_object(w);
		json_key(w, "mean");
		json_fixed(w, a->dsp_load_mean, 2);
		json_key(w, "max");
		json_fixed(w, a->dsp_load_max, 2);
		json_end_object(w);
	} else
		json_null(w);
	json_key(w, "periods_transferred");
	if (str_eq(r->plane, "alsa"))
		json_int(w, (int64_t)a->periods_done);
	else
		json_null(w);
	json_key(w, "measured_rate_hz");
	if (a->measured_rate > 0)
		json_fixed(w, a->measured_rate, 2);
	else
		json_null(w);
	json_kv_bool(w, "device_lost", a->device_lost);
	json_kv_string(w, "error", a->error[0] ? a->error : NULL);

	hist_init(&jitter);
	for (i = 0; i < r->ncpus; i++) {
		hist_merge(&jitter, &r->cpu[i].jitter);
		xrun_ns += r->cpu[i].xrun_ns;
	}
	json_kv_int(w, "jitter_samples", (int64_t)jitter.count);
	summary_json(w, "jitter_us", &jitter, 0);
	json_key(w, "xrun_time_us");
	json_fixed(w, us(xrun_ns), 1);
	json_key(w, "xrun_log");
	json_begin_array(w);
	for (i = 0; i < r->ncpus; i++)
		for (k = 0; k < LB_XRUN_LOG && k < r->cpu[i].nxrun_log; k++) {
			json_begin_object(w);
			json_key(w, "at_s");
			json_fixed(w, r->cpu[i].xrun_log[k].at_ns / 1e9, 6);
			json_key(w, "duration_us");
			json_fixed(w, us(r->cpu[i].xrun_log[k].duration_ns), 1);
			json_end_object(w);
		}
	json_end_array(w);

	json_key(w, "roundtrip");
	if (a->roundtrip) {
		double rate = a->rate ? a->rate : r->rate;
		json_begin_object(w);
		json_kv_int(w, "sent", a->rt_sent);
		json_kv_int(w, "received", a->nrt);
		json_kv_int(w, "lost", a->rt_lost);
		if (a->nrt) {
			rt_frames_json(w, "frames", a, 1, 2);
			rt_frames_json(w, "ms", a, 1e3 / rate, 3);
			json_kv_int(w, "buffering_frames", a->rt_buffering);
			json_key(w, "hardware_driver_frames");
			json_fixed(w, a->rt_median - a->rt_buffering, 2);
			if (str_eq(r->plane, "jack")) {
				double extra = lb_audio_roundtrip_extra(a);
				unsigned comp = extra >= 1 ? (unsigned)(extra + 0.5) : 0;

				json_kv_int(w, "reported_frames", a->rt_reported);
				json_key(w, "extra_frames");
				json_fixed(w, extra, 2);
				/* as jack_iodelay: half each way for jackd's -I/-O; PipeWire takes it whole */
				json_key(w, "compensation");
				json_begin_object(w);
				json_kv_int(w, "frames", comp);
				json_kv_int(w, "jackd_input_output", comp / 2);
				json_end_object(w);
			}
		}
		json_end_object(w);
	} else
		json_null(w);
	json_end_object(w);
}

/* A string member, null when empty. */
static void kv_opt_string(struct json_writer *w, const char *key, const char *s)
{
	json_kv_string(w, key, s && *s ? s : NULL);
}

static void cpu_json(struct json_writer *w, int cpu)
{
	json_key(w, "cpu");
	if (cpu >= 0)
		json_int(w, cpu);
	else
		json_null(w);
}

/* The worst wakeup taken apart: from the timer's expiry to the thread running. */
static void wakeup_json(struct json_writer *w, const struct lb_wakeup *k)
{
	json_begin_object(w);
	cpu_json(w, k->cpu);
	json_key(w, "at_s");
	json_fixed(w, k->at_s, 6);
	json_us(w, "latency_us", k->latency_ns);
	json_us(w, "irq_latency_us", k->irq_latency_ns);
	json_us(w, "timer_irq_us", k->timer_irq_ns);
	json_key(w, "parts");
	json_begin_array(w);
	for (int i = 0; i < k->nparts && i < LB_CAUSE_PARTS; i++) {
		json_begin_object(w);
		json_kv_string(w, "kind", lb_cause_kind_name(k->part[i].kind));
		json_kv_string(w, "name", k->part[i].name);
		json_us(w, "us", k->part[i].ns);
		json_end_object(w);
	}
	json_end_array(w);
	json_us(w, "unaccounted_us", k->unaccounted_ns);
	json_end_object(w);
}

static void cause_analysis_json(struct json_writer *w, const struct lb_run *r)
{
	const struct lb_causes *c = &r->causes;
	int available = r->causes_wanted && c->available;

	json_key(w, "cause_analysis");
	json_begin_object(w);
	json_kv_bool(w, "available", available);
	if (!available)
		json_kv_string(w, "reason", !r->causes_wanted ? "--no-causes"
					    : c->unavailable[0] ? c->unavailable : "the tracers did not run");
	json_kv_string(w, "method", c->watched ? "osnoise" : "timerlat");
	json_key(w, "threshold_us");
	if (available)
		json_fixed(w, us(c->threshold_ns), 3);
	else
		json_null(w);
	json_kv_int(w, "late_wakeups", (int64_t)c->late);
	json_kv_int(w, "lost_events", (int64_t)c->lost_events);
	json_kv_int(w, "dropped_causes", (int64_t)c->dropped);
	json_key(w, "worst");
	if (available && c->worst.latency_ns)
		wakeup_json(w, &c->worst);
	else
		json_null(w);
	json_end_object(w);
}

/* "causes": ranked as lb_causes_finish left them, by the largest delay */
static void causes_json(struct json_writer *w, const struct lb_run *r)
{
	const struct lb_causes *c = &r->causes;
	int n = r->causes_wanted && c->available ? c->ncauses : 0;

	json_key(w, "causes");
	json_begin_array(w);
	for (int i = 0; i < n && i < LB_CAUSE_MAX; i++) {
		const struct lb_cause *k = &c->cause[i];

		json_begin_object(w);
		json_kv_string(w, "kind", lb_cause_kind_name(k->kind));
		json_kv_string(w, "name", k->name);
		cpu_json(w, k->cpu);
		json_kv_int(w, "count", (int64_t)k->count);
		json_us(w, "max_us", k->max_ns);
		json_us(w, "total_us", k->total_ns);
		if (k->kind == LB_CAUSE_IRQ) {
			json_key(w, "irq");
			if (k->irq >= 0)
				json_int(w, k->irq);
			else
				json_null(w);
			kv_opt_string(w, "device", k->device);
			kv_opt_string(w, "driver", k->driver);
		} else if (k->kind == LB_CAUSE_THREAD || k->kind == LB_CAUSE_IRQ_OFF || k->kind == LB_CAUSE_PREEMPT_OFF) {
			json_key(w, "pid");
			if (k->pid > 0)
				json_int(w, k->pid);
			else
				json_null(w);
			kv_opt_string(w, "policy", k->policy);
			/* a priority says nothing without its policy */
			json_key(w, "priority");
			if (k->policy[0])
				json_int(w, k->priority);
			else
				json_null(w);
		}
		json_end_object(w);
	}
	json_end_array(w);

	json_key(w, "spikes");
	json_begin_array(w);
	for (int i = 0; r->causes_wanted && c->available && i < c->nspikes && i < LB_CAUSE_SPIKES; i++) {
		const struct lb_wakeup *k = &c->spike[i];
		int top = k->top >= 0 && k->top < k->nparts && k->top < LB_CAUSE_PARTS ? k->top : -1;

		json_begin_object(w);
		cpu_json(w, k->cpu);
		json_key(w, "at_s");
		json_fixed(w, k->at_s, 6);
		json_us(w, "latency_us", k->latency_ns);
		json_kv_string(w, "kind", top >= 0 ? lb_cause_kind_name(k->part[top].kind) : NULL);
		json_kv_string(w, "name", top >= 0 ? k->part[top].name : NULL);
		json_end_object(w);
	}
	json_end_array(w);
}

/* "timeline": the worst wakeup of each step; adjacent steps merged (by their max) down to LB_RESULT_MAX_TIMELINE */
static void timeline_json(struct json_writer *w, const struct lb_run *r)
{
	unsigned n = r->timeline_ns ? r->ntimeline : 0, k = (n + LB_RESULT_MAX_TIMELINE - 1) / LB_RESULT_MAX_TIMELINE;

	json_key(w, "timeline");
	if (!n) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_key(w, "step_s");
	json_double(w, (r->timeline_step_s > 0 ? r->timeline_step_s : 1) * k);
	json_key(w, "max_us");
	json_begin_array(w);
	for (unsigned i = 0; i < n; i += k) {
		uint64_t m = LB_TIMELINE_NONE;

		for (unsigned j = i; j < i + k && j < n; j++)
			if (r->timeline_ns[j] != LB_TIMELINE_NONE && (m == LB_TIMELINE_NONE || r->timeline_ns[j] > m))
				m = r->timeline_ns[j];
		if (m == LB_TIMELINE_NONE)
			json_null(w);
		else
			json_fixed(w, us(m), 3);
	}
	json_end_array(w);
	json_end_object(w);
}

void lb_result_write(const struct lb_run *r, const char *tool_version, struct strbuf *out)
{
	struct json_writer w;
	char loads[64];
	int i;

	json_init(&w, out, 1);
	json_begin_object(&w);
	json_kv_string(&w, "schema", LB_SCHEMA);
	json_key(&w, "tool");
	json_begin_object(&w);
	json_kv_string(&w, "name", "latency-bench");
	json_kv_string(&w, "version", tool_version);
	json_end_object(&w);
	json_kv_string(&w, "plane", r->plane);
	json_kv_string(&w, "label", r->label);
	json_kv_string(&w, "command", r->command);
	json_kv_string(&w, "started", r->started);
	json_key(&w, "duration_s");
	json_fixed(&w, r->elapsed_s, 3);
	json_kv_bool(&w, "interrupted", r->interrupted);
	json_kv_bool(&w, "realtime", r->realtime);
	json_kv_string(&w, "note", r->note[0] ? r->note : NULL);

	json_key(&w, "params");
	json_begin_object(&w);
	json_key(&w, "cpus");
	json_begin_array(&w);
	for (i = 0; i < r->ncpus; i++)
		json_int(&w, r->cpus[i]);
	json_end_array(&w);
	json_kv_string(&w, "policy", r->sched_fifo ? "fifo" : "other");
	/* JACK's process thread runs at the server's priority, not ours */
	json_kv_int(&w, "priority", !r->sched_fifo ? 0 : str_eq(r->plane, "jack") ? r->audio.thread_priority : r->priority);
	json_kv_int(&w, "requested_priority", r->priority);
	json_kv_int(&w, "interval_ns", (int64_t)r->interval_ns);
	json_key(&w, "rate");
	if (r->rate)
		json_int(&w, r->rate);
	else
		json_null(&w);
	json_key(&w, "period_frames");
	if (r->period)
		json_int(&w, r->period);
	else
		json_null(&w);
	json_key(&w, "duration_s");
	json_fixed(&w, r->duration_s, 3);
	json_kv_bool(&w, "memory_locked", r->memory_locked);
	json_kv_bool(&w, "cpu_dma_latency_held", r->dma_latency);
	json_key(&w, "load");
	json_begin_object(&w);
	json_key(&w, "kinds");
	json_begin_array(&w);
	lb_load_describe(r->load_kinds, loads, sizeof(loads));
	{
		char *save = NULL, *tok;
		for (tok = strtok_r(loads, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (*tok && strcmp(tok, "none") != 0)
				json_string(&w, tok);
	}
	json_end_array(&w);
	json_kv_string(&w, "cmd", r->load_cmd);
	json_key(&w, "cmd_exit_status");
	if (r->load_cmd && r->load_cmd_status >= 0)
		json_int(&w, r->load_cmd_status);
	else
		json_null(&w);
	json_end_object(&w);
	json_key(&w, "dsp_load");
	json_fixed(&w, r->dsp_load, 2);
	json_key(&w, "max_latency_us");
	if (r->max_latency_us > 0)
		json_fixed(&w, r->max_latency_us, 3);
	else
		json_null(&w);
	json_key(&w, "max_missed");
	if (r->max_missed >= 0)
		json_int(&w, r->max_missed);
	else
		json_null(&w);
	json_end_object(&w);

	lb_result_write_system(&w, &r->sys);

	json_kv_int(&w, "samples", (int64_t)r->merged.count);
	json_kv_int(&w, "missed_periods", (int64_t)lb_run_missed(r));
	json_kv_int(&w, "xruns", (int64_t)lb_run_xruns(r));
	latency_json(&w, &r->merged);
	{
		uint64_t over[LB_NBUDGETS] = { 0 };
		int j;
		for (i = 0; i < r->ncpus; i++)
			for (j = 0; j < LB_NBUDGETS; j++)
				over[j] += r->cpu[i].over[j];
		over_json(&w, r, over);
	}
	histogram_json(&w, &r->merged);

	json_key(&w, "per_cpu");
	json_begin_array(&w);
	for (i = 0; i < r->ncpus; i++) {
		const struct lb_cpu *c = &r->cpu[i];
		json_begin_object(&w);
		json_key(&w, "cpu");
		if (c->cpu >= 0)
			json_int(&w, c->cpu);
		else
			json_null(&w);
		json_kv_string(&w, "name", c->name);
		json_kv_string(&w, "policy", c->fifo ? "fifo" : "other");
		json_kv_int(&w, "samples", (int64_t)c->hist.count);
		json_kv_int(&w, "missed_periods", (int64_t)c->missed);
		json_kv_int(&w, "xruns", (int64_t)c->xruns);
		latency_json(&w, &c->hist);
		over_json(&w, r, c->over);
		histogram_json(&w, &c->hist);
		json_end_object(&w);
	}
	json_end_array(&w);

	if (!str_eq(r->plane, "timer"))
		audio_json(&w, r);
	cause_analysis_json(&w, r);
	causes_json(&w, r);
	timeline_json(&w, r);
	verdict_json(&w, &r->verdict);
	json_end_object(&w);
	strbuf_addch(out, '\n');
}
