/* explain.h - compare requested with resolved values and say why a value did not stick */
#ifndef KB_EXPLAIN_H
#define KB_EXPLAIN_H

#include "fragment.h"
#include "kconfig.h"
#include "strbuf.h"

/* RS_HISTORY: an unknown symbol of a shipped fragment that names an option of old kernels (KMOD, IDE) */
enum req_status { RS_OK, RS_UNMET, RS_UNKNOWN, RS_INVALID, RS_HISTORY, RS_NR };

struct verdict {
	const struct cfg_assign *req;
	char *actual;              /* resolved value text; NULL for an unknown symbol (owned) */
	enum req_status status;
	struct strbuf reason;      /* one line, without the "SYM: requested x, got y: " head */
	struct strbuf detail;      /* extra lines, each "    ...\n" */
	const char *today;         /* RS_HISTORY: the options that do its work today (static) */
};

/* Where a merged value came from, for "set at ..." wording. */
struct explain_ctx {
	const struct kconfig *kc;
	const struct kvals *resolved;
	const struct cfg_merge *merge; /* may be NULL */
};

const char *req_status_name(enum req_status s);
void verdict_init(struct verdict *v);
void verdict_release(struct verdict *v);
/* Compare one request with the resolved configuration and fill `out`. */
void explain_request(const struct explain_ctx *ctx, const struct cfg_assign *req, struct verdict *out);
/* The `kbuild explain` report for one symbol. Returns 0, or -ENOENT for an unknown symbol. */
int explain_symbol(const struct explain_ctx *ctx, const char *name, struct strbuf *out);
/* Lint a resolved configuration: every bool/tristate value must be covered by its
 * dependencies or an active select. Appends one line per violation; returns the count. */
int explain_check_config(const struct explain_ctx *ctx, struct strbuf *out);
/* A hint we know for a symbol in this tree, or NULL. */
const char *explain_hint(const struct kconfig *kc, const char *name);
/* A name this tree no longer has that the hints know: the options that do its work today
 * ("BLK_DEV_SR, CHR_DEV_SG"), else NULL. */
const char *explain_today(const struct kconfig *kc, const char *name);
/* Closest defined symbol names (edit distance <= 2) for an unknown one, into out ("A, B"). */
void explain_suggest(const struct kconfig *kc, const char *name, struct strbuf *out);

#endif
