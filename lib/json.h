/* json.h - one small JSON writer: escapes every string, never emits NaN or Inf */
#ifndef KB_JSON_H
#define KB_JSON_H

#include <stdint.h>
#include "strbuf.h"

#define JSON_MAX_DEPTH 32

struct json_writer {
	struct strbuf *out;
	int depth;
	int count[JSON_MAX_DEPTH]; /* items written at each level */
	int pretty;
	int after_key;
};

void json_init(struct json_writer *w, struct strbuf *out, int pretty);
void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s); /* NULL writes null */
void json_int(struct json_writer *w, int64_t v);
void json_double(struct json_writer *w, double v);     /* non-finite writes null */
/* A measured value with a fixed number of decimals (durations, rates); non-finite writes null. */
void json_fixed(struct json_writer *w, double v, int decimals);
void json_boolean(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* Convenience: key + value. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_bool(struct json_writer *w, const char *key, int v);
/* Escape `s` as a JSON string literal into sb (with quotes). */
void json_quote(struct strbuf *sb, const char *s);

#endif
