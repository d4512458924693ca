/* json.c - one small JSON writer */
#include "json.h"

#include <inttypes.h>
#include <math.h>

void json_init(struct json_writer *w, struct strbuf *out, int pretty)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->pretty = pretty;
}

static void indent(struct json_writer *w)
{
	if (!w->pretty)
		return;
	strbuf_addch(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		strbuf_addstr(w->out, "  ");
}

/* Separator and indentation before a value or key at the current level. */
static void before_item(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->count[w->depth - 1]++)
			strbuf_addch(w->out, ',');
		indent(w);
	}
}

static void open_level(struct json_writer *w, char c)
{
	before_item(w);
	strbuf_addch(w->out, c);
	if (w->depth >= JSON_MAX_DEPTH)
		BUG("JSON nesting deeper than %d", JSON_MAX_DEPTH);
	w->count[w->depth++] = 0;
}

static void close_level(struct json_writer *w, char c)
{
	if (w->depth <= 0)
		BUG("JSON close without open");
	w->depth--;
	if (w->count[w->depth])
		indent(w);
	strbuf_addch(w->out, c);
	if (w->depth == 0 && w->pretty)
		strbuf_addch(w->out, '\n');
}

void json_begin_object(struct json_writer *w)
{
	open_level(w, '{');
}

void json_end_object(struct json_writer *w)
{
	close_level(w, '}');
}

void json_begin_array(struct json_writer *w)
{
	open_level(w, '[');
}

void json_end_array(struct json_writer *w)
{
	close_level(w, ']');
}

void json_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			break;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			break;
		case '\n':
			strbuf_addstr(sb, "\\n");
			break;
		case '\r':
			strbuf_addstr(sb, "\\r");
			break;
		case '\t':
			strbuf_addstr(sb, "\\t");
			break;
		default:
			if (*p < 0x20)
				strbuf_addf(sb, "\\u%04x", *p);
			else
				strbuf_addch(sb, *p);
		}
	}
	strbuf_addch(sb, '"');
}

void json_key(struct json_writer *w, const char *key)
{
	before_item(w);
	json_quote(w->out, key);
	strbuf_addstr(w->out, w->pretty ? ": " : ":");
	w->after_key = 1;
}

void json_string(struct json_writer *w, const char *s)
{
	before_item(w);
	if (s)
		json_quote(w->out, s);
	else
		strbuf_addstr(w->out, "null");
}

void json_int(struct json_writer *w, int64_t v)
{
	/* by hand, not printf: a result's histogram is thousands of these, and printf's were most of
	 * the CPU a short run spent writing its result */
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	before_item(w);
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	strbuf_add(w->out, p, (size_t)(buf + sizeof(buf) - p));
}

void json_double(struct json_writer *w, double v)
{
	before_item(w);
	if (!isfinite(v))
		strbuf_addstr(w->out, "null");
	else
		strbuf_addf(w->out, "%.17g", v);
}

void json_fixed(struct json_writer *w, double v, int decimals)
{
	before_item(w);
	if (!isfinite(v))
		strbuf_addstr(w->out, "null");
	else
		strbuf_addf(w->out, "%.*f", decimals, v);
}

void json_boolean(struct json_writer *w, int v)
{
	before_item(w);
	strbuf_addstr(w->out, v ? "true" : "false");
}

void json_null(struct json_writer *w)
{
	before_item(w);
	strbuf_addstr(w->out, "null");
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, int v)
{
	json_key(w, key);
	json_boolean(w, v);
}
