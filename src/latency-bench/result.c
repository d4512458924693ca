/* result.c - reading a result file (latency-bench/1) with every member it needs checked */
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
#include "util.h"

const char *const lb_lat_key[LB_NLAT] = { "p50", "p99", "p999", "max" };

/* "PATH:LINE: error: ..." (line 0: "PATH: error: ..."); always -EINVAL */
KB_PRINTF(4, 5)
static int bad(struct strbuf *err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		strbuf_addf(err, "%s:%d: error: ", path, line);
	else
		strbuf_addf(err, "%s: error: ", path);
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
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

/* A non-negative JSON integer into *out: 0, or -1 when `v` is not one. */
static int count(struct json_object *v, uint64_t *out)
{
	int64_t x;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	x = json_object_get_int64(v);
	if (x < 0)
		return -1;
	*out = (uint64_t)x;
	return 0;
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

	ret = fs_read_file(path, &text);
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s", path, strerror(-ret));
		goto out;
	}
	if (text.len > INT_MAX) {
		ret = bad(err, path, 0, "too large for a result file");
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

		if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) != 3 ||
		    count(json_object_array_get_idx(e, 0), &b->lo) < 0 ||
		    count(json_object_array_get_idx(e, 1), &b->hi) < 0 ||
		    count(json_object_array_get_idx(e, 2), &b->count) < 0)
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
		struct json_object *e = json_object_array_get_idx(arr, i), *f;
		uint64_t rate, periods, frames;

		if (!json_object_is_type(e, json_type_object) || count(member(e, "rate"), &rate) ||
		    count(member(e, "periods"), &periods))
			return bad(err, path, 0, "\"verdict\".\"safe\"[%zu] is not an object with "
				   "integer \"rate\" and \"periods\"", i);
		if (rate != LB_RESULT_SAFE_RATE || periods != LB_RESULT_SAFE_PERIODS)
			continue;
		f = member(e, "frames");
		if (!f)
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

		if (count(v, &ns))
			return bad(err, path, 0, "\"params\".\"interval_ns\" is not an integer >= 0");
		r->interval_ns = (int64_t)ns;
	}
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		v = member(root, counts[i]);
		if (!v)
			return bad(err, path, 0, "no \"%s\"", counts[i]);
		if (count(v, count_out[i]))
			return bad(err, path, 0, "\"%s\" is not an integer >= 0", counts[i]);
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

int lb_result_read(const char *path, enum lb_result_need need, struct lb_result *res, struct strbuf *err)
{
	struct json_object *root = NULL;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = parse(path, &root, err);
	if (!ret)
		ret = read_histogram(root, path, &res->hist, err);
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
	memset(r, 0, sizeof(*r));
}
