/* explain.c - requested vs resolved: reasons computed from the tree's own Kconfig, hints, suggestions */
#define _GNU_SOURCE
#include "explain.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *req_status_name(enum req_status s)
{
	static const char *const names[] = { "ok", "unmet", "unknown", "invalid", "historical" };
	return names[s];
}

void verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	strbuf_init(&v->reason, 0);
	strbuf_init(&v->detail, 0);
}

void verdict_release(struct verdict *v)
{
	free(v->actual);
	strbuf_release(&v->reason);
	strbuf_release(&v->detail);
	memset(v, 0, sizeof(*v));
}

/* ---- hints we know ---- */

struct hint {
	const char *name;
	int before_version; /* applies to trees older than this (major*100+minor); 0: always */
	const char *text;
	const char *today;  /* a removed name: the options that do its work today, else NULL */
};

static const struct hint hints[] = {
	{ "ARCH_SUPPORTS_RT", 612,
	  "before 6.12 the PREEMPT_RT patch series provides it: run 'kbuild patch --tree SRC --patch ll'", NULL },
	{ "PREEMPT_RT", 612,
	  "before 6.12 PREEMPT_RT comes with the PREEMPT_RT patch series: run 'kbuild patch --tree SRC --patch ll'", NULL },
	{ "BLK_DEV_IDESCSI", 0,
	  "IDE SCSI emulation was removed in 2.6.29: libata (ATA, ATA_PIIX, SATA_AHCI) drives CD writers "
	  "directly through SCSI CD-ROM (BLK_DEV_SR) and SCSI generic (CHR_DEV_SG)", "BLK_DEV_SR, CHR_DEV_SG" },
	{ "IDE", 0, "the old IDE layer was removed in 5.14: libata (ATA) replaces it", "ATA" },
	{ "BLK_DEV_IDE", 0, "the old IDE layer was removed in 5.14: libata (ATA) replaces it", "ATA" },
	{ "BLK_DEV_IDECD", 0,
	  "the IDE CD-ROM driver was removed in 5.14: use BLK_DEV_SR with libata", "BLK_DEV_SR" },
	{ "IDE_GENERIC", 0, "the old IDE layer was removed in 5.14: libata (ATA_GENERIC) replaces it", "ATA_GENERIC" },
	{ "KMOD", 0,
	  "removed in 2.6.27: with MODULES=y the kernel always runs modprobe for module requests", "MODULES" },
	{ "KERNELD", 0, "kerneld was replaced by kmod in 2.2, and kmod became part of MODULES in 2.6.27", "MODULES" },
	{ "SND_RTCTIMER", 0, "the RTC timer backend is gone: SND_HRTIMER is the high-resolution timer", "SND_HRTIMER" },
};

static const struct hint *find_hint(const struct kconfig *kc, const char *name)
{
	int ver = kc->version * 100 + kc->patchlevel;

	for (size_t i = 0; i < ARRAY_SIZE(hints); i++) {
		if (!str_eq(hints[i].name, name))
			continue;
		if (hints[i].before_version && kc->version && ver >= hints[i].before_version)
			continue;
		return &hints[i];
	}
	return NULL;
}

const char *explain_hint(const struct kconfig *kc, const char *name)
{
	const struct hint *h = find_hint(kc, name);

	return h ? h->text : NULL;
}

const char *explain_today(const struct kconfig *kc, const char *name)
{
	const struct hint *h = find_hint(kc, name);
	const struct ksym *s = kconfig_find(kc, name);

	return h && (!s || !s->defs) ? h->today : NULL;
}

/* ---- suggestions for unknown symbols ---- */

static int edit_distance(const char *a, const char *b, int limit)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[128], best;

	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return limit + 1;
	if ((la > lb ? la - lb : lb - la) > (size_t)limit)
		return limit + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (a[i - 1] != b[j - 1]);
			int v = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;

			row[j] = sub < v ? sub : v;
			prev = cur;
			if (row[j] < best)
				best = row[j];
		}
		if (best > limit)
			return limit + 1;
	}
	return row[lb];
}

void explain_suggest(const struct kconfig *kc, const char *name, struct strbuf *out)
{
	const struct strmap_entry *e;
	size_t it = 0;
	int found = 0;

	/* short names are a distance of 2 from too many others to be useful */
	int limit = strlen(name) >= 10 ? 2 : 1;

	if (strlen(name) < 5)
		return;
	while (strmap_next(&kc->syms, &it, &e) && found < 3) {
		const struct ksym *s = e->value;

		if (!s->defs || str_eq(s->name, name))
			continue;
		if (edit_distance(name, s->name, limit) <= limit) {
			strbuf_addf(out, "%sCONFIG_%s", found ? ", " : "", s->name);
			found++;
		}
	}
}

/* ---- value checks ---- */

static int parse_int_value(const char *v, enum ktype t, long long *out)
{
	char *end;
	int base = t == KT_HEX ? 16 : 10;

	if (t == KT_HEX && (starts_with(v, "0x") || starts_with(v, "0X")))
		v += 2;
	if (!*v || (t == KT_HEX && *v == '-'))
		return 0;
	errno = 0;
	*out = strtoll(v, &end, base);
	return *end == '\0' && errno == 0;
}

static char *unquote(const char *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (*v != '"')
		return xstrdup(v);
	for (const char *s = v + 1; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb, NULL);
}

/* Value of a range bound: a symbol's value or a constant. */
static int bound_value(const struct kexpr *e, const struct kvals *v, enum ktype t, long long *out)
{
	struct strbuf scratch = STRBUF_INIT;
	const char *s = e->op == KE_SYMBOL ? kval_string(v, e->sym, &scratch) : e->str;
	int ok = s && parse_int_value(s, t, out);

	strbuf_release(&scratch);
	return ok;
}

/* Check syntax and range; returns 0 when valid, else fills reason. */
static int check_valid(const struct explain_ctx *ctx, const struct ksym *s, const char *value,
		       struct strbuf *reason)
{
	long long n, lo, hi;

	switch (s->type) {
	case KT_BOOL:
		if (str_eq(value, "y") || str_eq(value, "n"))
			return 0;
		if (str_eq(value, "m"))
			strbuf_addstr(reason, "invalid value: a bool option can only be y or n, not m");
		else
			strbuf_addf(reason, "invalid value '%s': a bool option takes y or n", value);
		return -1;
	case KT_TRISTATE:
		if (str_eq(value, "y") || str_eq(value, "m") || str_eq(value, "n"))
			return 0;
		strbuf_addf(reason, "invalid value '%s': a tristate option takes y, m or n", value);
		return -1;
	case KT_INT:
	case KT_HEX:
		if (str_eq(value, "n"))
			return 0; /* "is not set": kconfig falls back to the default */
		if (!parse_int_value(value, s->type, &n)) {
			strbuf_addf(reason, "invalid value: malformed %s '%s'", ktype_name(s->type), value);
			return -1;
		}
		for (const struct kdef *d = s->defs; d; d = d->next) {
			for (const struct kprop *p = d->props; p; p = p->next) {
				if (p->kind != KP_RANGE || kexpr_eval(p->cond, ctx->resolved) == TRI_N)
					continue;
				if (!bound_value(p->expr, ctx->resolved, s->type, &lo) ||
				    !bound_value(p->expr2, ctx->resolved, s->type, &hi))
					return 0;
				if (n < lo || n > hi) {
					int fmt_hex = s->type == KT_HEX;

					strbuf_addf(reason, fmt_hex ? "invalid value: %s is out of range [0x%llx 0x%llx] (%s:%d"
							    : "invalid value: %s is out of range [%lld %lld] (%s:%d",
						    value, lo, hi, d->file, p->line);
					if (p->expr->op == KE_SYMBOL || p->expr2->op == KE_SYMBOL) {
						strbuf_addstr(reason, ": range ");
						kexpr_print(reason, p->expr, NULL);
						strbuf_addch(reason, ' ');
						kexpr_print(reason, p->expr2, NULL);
					}
					strbuf_addch(reason, ')');
					return -1;
				}
				return 0; /* kconfig uses the first active range */
			}
		}
		return 0;
	case KT_STRING:
	case KT_UNKNOWN:
		return 0;
	}
	return 0;
}

static int values_equal(const struct ksym *s, const char *req, const char *act)
{
	long long a, b;

	if (s->type == KT_INT || s->type == KT_HEX) {
		if (parse_int_value(req, s->type, &a) && parse_int_value(act, s->type, &b))
			return a == b;
	}
	if (s->type == KT_STRING) {
		char *x = unquote(req), *y = unquote(act);
		int eq = str_eq(x, y);

		free(x);
		free(y);
		return eq;
	}
	return str_eq(req, act);
}

/* ---- reasons ---- */

#define UNEXPLAINED "kconfig resolved it otherwise; no dependency, prompt, select, choice or range explains it"

static void where_set(const struct explain_ctx *ctx, const char *name, struct strbuf *sb)
{
	const struct cfg_entry *e = ctx->merge ? cfg_merge_get(ctx->merge, name) : NULL;

	if (e && e->cur.file && !str_eq(e->cur.value, "n"))
		strbuf_addf(sb, "set at %s:%d", e->cur.file, e->cur.line);
	else
		strbuf_addstr(sb, "chosen by kconfig");
}

/* kconfig treats m as y for bool options and when modules are off. */
static enum tri as_type(const struct kconfig *kc, const struct ksym *s, const struct kvals *v, enum tri t)
{
	if (t == TRI_M && (s->type == KT_BOOL || (kc->modules && kval_tri(v, kc->modules) != TRI_Y)))
		return TRI_Y;
	return t;
}

static enum tri dep_of_all_defs(const struct kconfig *kc, const struct ksym *s, const struct kvals *v)
{
	enum tri best = TRI_N;

	if (!s->defs)
		return TRI_N;
	for (const struct kdef *d = s->defs; d; d = d->next) {
		enum tri t = kdef_dep_eval(d, v);
		best = t > best ? t : best;
	}
	return as_type(kc, s, v, best);
}

static enum tri rev_dep(const struct kconfig *kc, const struct ksym *s, const struct kvals *v)
{
	enum tri best = TRI_N;

	for (const struct krev *r = s->selected_by; r; r = r->next) {
		enum tri t = kval_tri(v, r->from), c = kexpr_eval(r->prop->cond, v);

		t = c < t ? c : t;
		best = t > best ? t : best;
	}
	return as_type(kc, s, v, best);
}

static void print_deps(struct strbuf *sb, const struct ksym *s, const struct kvals *v);

int explain_check_config(const struct explain_ctx *ctx, struct strbuf *out)
{
	const struct strmap_entry *e;
	size_t it = 0;
	int bad = 0;

	while (strmap_next(&ctx->kc->syms, &it, &e)) {
		const struct ksym *s = e->value;
		enum tri val, dep, rev;

		if (!s->defs || (s->type != KT_BOOL && s->type != KT_TRISTATE))
			continue;
		val = kval_tri(ctx->resolved, s);
		dep = dep_of_all_defs(ctx->kc, s, ctx->resolved);
		rev = rev_dep(ctx->kc, s, ctx->resolved);
		if (val <= dep || val <= rev)
			continue;
		bad++;
		strbuf_addf(out, "%s=%s but depends on ", s->name, tri_name(val));
		print_deps(out, s, ctx->resolved);
		strbuf_addf(out, " => %s, selected => %s\n", tri_name(dep), tri_name(rev));
	}
	return bad;
}

static void print_deps(struct strbuf *sb, const struct ksym *s, const struct kvals *v)
{
	int ndefs_with_deps = 0, first = 1;

	for (const struct kdef *d = s->defs; d; d = d->next) {
		struct strbuf tmp = STRBUF_INIT;
		if (kdef_dep_print(&tmp, d, NULL))
			ndefs_with_deps++;
		strbuf_release(&tmp);
	}
	for (const struct kdef *d = s->defs; d; d = d->next) {
		struct strbuf tmp = STRBUF_INIT;

		if (kdef_dep_print(&tmp, d, v)) {
			if (!first)
				strbuf_addstr(sb, " || ");
			if (ndefs_with_deps > 1)
				strbuf_addf(sb, "(%s)", tmp.buf);
			else
				strbuf_addstr(sb, tmp.buf);
			first = 0;
		}
		strbuf_release(&tmp);
	}
}

/* "selected by A [=y], B [=n] && C [=y]" for the selectors whose select is active above `min`. */
static int list_selectors(struct strbuf *sb, const struct ksym *s, const struct kvals *v, enum tri min,
			  int active_only)
{
	int n = 0;

	for (const struct krev *r = s->selected_by; r; r = r->next) {
		enum tri t = kval_tri(v, r->from), c = kexpr_eval(r->prop->cond, v);

		t = c < t ? c : t;
		if (active_only && t <= min)
			continue;
		if (n++)
			strbuf_addstr(sb, ", ");
		strbuf_addf(sb, "%s [=%s]", r->from->name, tri_name(kval_tri(v, r->from)));
		if (r->prop->cond) {
			strbuf_addstr(sb, " if ");
			kexpr_print(sb, r->prop->cond, v);
		}
	}
	return n;
}

static int count_selectors(const struct ksym *s)
{
	int n = 0;
	for (const struct krev *r = s->selected_by; r; r = r->next)
		n++;
	return n;
}

/* Why is a promptless symbol off: "has no prompt and nothing selects it in this tree". */
static void promptless_reason(const struct explain_ctx *ctx, const struct ksym *s, struct strbuf *sb)
{
	if (s->type != KT_BOOL && s->type != KT_TRISTATE) {
		/* a value symbol without a prompt follows its defaults, often set by a choice */
		int n = 0;

		strbuf_addstr(sb, "has no prompt: its value comes from its defaults");
		for (const struct kdef *d = s->defs; d; d = d->next)
			for (const struct kprop *p = d->props; p; p = p->next) {
				if (p->kind != KP_DEFAULT || n >= 6)
					continue;
				strbuf_addstr(sb, n++ ? ", " : ": ");
				kexpr_print(sb, p->expr, NULL);
				if (p->cond) {
					strbuf_addstr(sb, " if ");
					kexpr_print(sb, p->cond, ctx->resolved);
				}
			}
		return;
	}
	strbuf_addstr(sb, "has no prompt");
	if (!count_selectors(s)) {
		strbuf_addstr(sb, " and nothing selects it in this tree");
	} else {
		strbuf_addstr(sb, "; only selected by ");
		list_selectors(sb, s, ctx->resolved, TRI_N, 0);
	}
}

/* Walk a dependency expression and explain its blocking terms that the user cannot set. */
static void explain_terms(const struct explain_ctx *ctx, const struct kexpr *e, struct strbuf *detail,
			  int *budget)
{
	if (!e || *budget <= 0)
		return;
	switch (e->op) {
	case KE_AND:
	case KE_OR:
		explain_terms(ctx, e->l, detail, budget);
		explain_terms(ctx, e->r, detail, budget);
		return;
	case KE_SYMBOL: {
		const struct ksym *s = e->sym;
		const char *hint;

		if (kval_tri(ctx->resolved, s) != TRI_N || strstr(detail->buf, s->name))
			return;
		(*budget)--;
		if (!s->defs) {
			strbuf_addf(detail, "    %s is not defined anywhere in this tree\n", s->name);
		} else if (!ksym_has_prompt(s)) {
			strbuf_addf(detail, "    %s ", s->name);
			promptless_reason(ctx, s, detail);
			strbuf_addch(detail, '\n');
		}
		if ((hint = explain_hint(ctx->kc, s->name)))
			strbuf_addf(detail, "    hint: %s\n", hint);
		return;
	}
	default:
		return;
	}
}

static void explain_blocking_deps(const struct explain_ctx *ctx, const struct ksym *s, struct strbuf *detail)
{
	int budget = 6;

	for (const struct kdef *d = s->defs; d; d = d->next) {
		explain_terms(ctx, d->dep, detail, &budget);
		for (const struct kblock *b = d->parent; b; b = b->parent)
			explain_terms(ctx, b->kind == KB_CHOICE ? b->choice->def.dep : b->dep, detail, &budget);
	}
}

static const struct ksym *choice_winner(const struct kchoice *ch, const struct kvals *v)
{
	for (size_t i = 0; i < ch->nr_members; i++)
		if (kval_tri(v, ch->members[i]) == TRI_Y)
			return ch->members[i];
	return NULL;
}

static const char *choice_prompt(const struct kchoice *ch)
{
	for (const struct kprop *p = ch->def.props; p; p = p->next)
		if (p->kind == KP_PROMPT)
			return p->text;
	return "(unnamed)";
}

/* Why would `s` not be raised to `want`; fills reason (and detail). */
static int reason_too_low(const struct explain_ctx *ctx, const struct ksym *s, enum tri want,
			  struct strbuf *reason, struct strbuf *detail)
{
	const struct kvals *v = ctx->resolved;
	enum tri dep = dep_of_all_defs(ctx->kc, s, v);
	const struct ksym *mods = ctx->kc->modules;

	if (want == TRI_M && s->type == KT_TRISTATE && mods && kval_tri(v, mods) != TRI_Y) {
		strbuf_addf(reason, "m requested while %s [=%s]: without module support tristate options are y or n",
			    mods->name, tri_name(kval_tri(v, mods)));
		return 0;
	}
	if (dep < want) {
		strbuf_addstr(reason, "depends on ");
		print_deps(reason, s, v);
		explain_blocking_deps(ctx, s, detail);
		return 0;
	}
	if (!ksym_has_prompt(s)) {
		const char *hint = explain_hint(ctx->kc, s->name);

		promptless_reason(ctx, s, reason);
		if (hint)
			strbuf_addf(detail, "    hint: %s\n", hint);
		return 0;
	}
	if (ksym_prompt_visible(s, v) < want) {
		const struct kprop *p = ksym_first_prompt(s);
		const struct kblock *b;

		strbuf_addf(reason, "its prompt \"%s\" is hidden", p->text);
		if (p->cond && kexpr_eval(p->cond, v) < want) {
			strbuf_addstr(reason, ": if ");
			kexpr_print(reason, p->cond, v);
			return 0;
		}
		for (b = p->def->parent; b; b = b->parent) {
			if (b->visible && kexpr_eval(b->visible, v) < want) {
				strbuf_addf(reason, ": menu \"%s\" is visible if ", b->text ? b->text : "");
				kexpr_print(reason, b->visible, v);
				break;
			}
		}
		return 0;
	}
	if (s->choice) {
		const struct ksym *w = choice_winner(s->choice, v);

		if (w && w != s) {
			strbuf_addf(reason, "lost choice \"%s\" to %s (", choice_prompt(s->choice), w->name);
			where_set(ctx, w->name, reason);
			strbuf_addch(reason, ')');
			return 0;
		}
	}
	if (want == TRI_Y && dep == TRI_M) {
		strbuf_addstr(reason, "depends on ");
		print_deps(reason, s, v);
		return 0;
	}
	return -1;
}

static int reason_too_high(const struct explain_ctx *ctx, const struct ksym *s, enum tri want,
			   enum tri got, struct strbuf *reason)
{
	const struct kvals *v = ctx->resolved;

	{
		struct strbuf sel = STRBUF_INIT;

		if (list_selectors(&sel, s, v, want, 1)) {
			strbuf_addf(reason, "selected by %s", sel.buf);
			strbuf_release(&sel);
			return 0;
		}
		strbuf_release(&sel);
	}
	if (s->type == KT_TRISTATE && want == TRI_M && got == TRI_Y && s->choice) {
		strbuf_addstr(reason, "options inside a choice are y or n");
		return 0;
	}
	if (s->choice && want == TRI_N) {
		strbuf_addf(reason, "choice \"%s\" needs one member set, and it is %s: request another member instead",
			    choice_prompt(s->choice), s->name);
		return 0;
	}
	if (!ksym_has_prompt(s)) {
		strbuf_addstr(reason, "has no prompt, so its default applies");
		for (const struct kdef *d = s->defs; d; d = d->next)
			for (const struct kprop *p = d->props; p; p = p->next)
				if (p->kind == KP_DEFAULT && kexpr_eval(p->cond, v) != TRI_N) {
					strbuf_addstr(reason, ": default ");
					kexpr_print(reason, p->expr, v);
					if (p->cond) {
						strbuf_addstr(reason, " if ");
						kexpr_print(reason, p->cond, v);
					}
					return 0;
				}
		return 0;
	}
	return -1;
}

void explain_request(const struct explain_ctx *ctx, const struct cfg_assign *req, struct verdict *out)
{
	const struct ksym *s = kconfig_find(ctx->kc, req->name);
	struct strbuf scratch = STRBUF_INIT;
	const char *raw;
	const char *hint;

	out->req = req;
	if (!s || !s->defs) {
		out->status = RS_UNKNOWN;
		strbuf_addstr(&out->reason, "unknown symbol: not defined anywhere in this tree");
		if ((hint = explain_hint(ctx->kc, req->name)))
			strbuf_addf(&out->detail, "    hint: %s\n", hint);
		else {
			struct strbuf sug = STRBUF_INIT;

			explain_suggest(ctx->kc, req->name, &sug);
			if (sug.len)
				strbuf_addf(&out->detail, "    did you mean %s?\n", sug.buf);
			strbuf_release(&sug);
		}
		return;
	}
	raw = ctx->resolved->get(ctx->resolved->ctx, s->name);
	if (s->type == KT_BOOL || s->type == KT_TRISTATE)
		out->actual = xstrdup(raw ? raw : "n");
	else
		out->actual = raw ? xstrdup(raw) : NULL;
	if (s->transitional) {
		out->status = RS_UNKNOWN;
		strbuf_addstr(&out->reason, "transitional symbol: kept so old configurations migrate; it is never written to .config");
		return;
	}
	if (check_valid(ctx, s, req->value, &out->reason) < 0) {
		out->status = RS_INVALID;
		return;
	}
	if (s->type == KT_BOOL || s->type == KT_TRISTATE) {
		enum tri want = tri_parse(req->value), got = tri_parse(out->actual);

		if (want == got) {
			out->status = RS_OK;
			return;
		}
		out->status = RS_UNMET;
		if (want == TRI_M && s->type == KT_TRISTATE && ctx->kc->modules &&
		    kval_tri(ctx->resolved, ctx->kc->modules) != TRI_Y) {
			reason_too_low(ctx, s, want, &out->reason, &out->detail);
			return;
		}
		if (want > got ? reason_too_low(ctx, s, want, &out->reason, &out->detail)
			       : reason_too_high(ctx, s, want, got, &out->reason))
			strbuf_addstr(&out->reason, UNEXPLAINED);
		return;
	}
	if (str_eq(req->value, "n")) {
		/* "# CONFIG_X is not set" on a value symbol: no request kconfig can honour */
		out->status = out->actual ? RS_UNMET : RS_OK;
		if (out->actual)
			strbuf_addstr(&out->reason, "a value option cannot be unset; it takes its default when visible");
		return;
	}
	if (out->actual && values_equal(s, req->value, out->actual)) {
		out->status = RS_OK;
		return;
	}
	out->status = RS_UNMET;
	if (reason_too_low(ctx, s, TRI_Y, &out->reason, &out->detail))
		strbuf_addstr(&out->reason, UNEXPLAINED);
	strbuf_release(&scratch);
}

/* ---- the explain command ---- */

static void print_prop_list(struct strbuf *out, const struct ksym *s, enum kprop_kind kind,
			    const char *label, const struct kvals *v)
{
	int n = 0;

	for (const struct kdef *d = s->defs; d; d = d->next) {
		for (const struct kprop *p = d->props; p; p = p->next) {
			if (p->kind != kind)
				continue;
			strbuf_addf(out, "  %-12s ", n++ ? "" : label);
			kexpr_print(out, p->expr, v);
			if (kind == KP_RANGE) {
				strbuf_addch(out, ' ');
				kexpr_print(out, p->expr2, v);
			}
			if (p->cond) {
				strbuf_addstr(out, " if ");
				kexpr_print(out, p->cond, v);
			}
			strbuf_addf(out, "  (%s:%d)\n", d->file, p->line);
		}
	}
}

int explain_symbol(const struct explain_ctx *ctx, const char *name, struct strbuf *out)
{
	const struct kvals *v = ctx->resolved;
	const struct ksym *s;
	struct strbuf scratch = STRBUF_INIT;
	const char *raw;
	int n;

	if (starts_with(name, "CONFIG_"))
		name += 7;
	s = kconfig_find(ctx->kc, name);
	if (!s || !s->defs)
		return -ENOENT;
	raw = v->get(v->ctx, s->name);
	strbuf_addf(out, "CONFIG_%s", s->name);
	if (raw && !str_eq(raw, "n"))
		strbuf_addf(out, "=%s\n", raw);
	else if (s->type == KT_BOOL || s->type == KT_TRISTATE)
		strbuf_addstr(out, " is not set\n");
	else
		strbuf_addstr(out, " has no value (not visible)\n");
	strbuf_addf(out, "  %-12s %s\n", "type:", ktype_name(s->type));
	for (const struct kdef *d = s->defs; d; d = d->next) {
		strbuf_addf(out, "  %-12s %s:%d\n", d == s->defs ? "defined at:" : "", d->file, d->line);
	}
	n = 0;
	for (const struct kdef *d = s->defs; d; d = d->next)
		for (const struct kprop *p = d->props; p; p = p->next)
			if (p->kind == KP_PROMPT) {
				strbuf_addf(out, "  %-12s \"%s\"", n++ ? "" : "prompt:", p->text);
				if (p->cond) {
					strbuf_addstr(out, " if ");
					kexpr_print(out, p->cond, v);
				}
				strbuf_addch(out, '\n');
			}
	if (!n)
		strbuf_addf(out, "  %-12s (none: only defaults and selects set it)\n", "prompt:");
	else
		strbuf_addf(out, "  %-12s %s\n", "visible:", tri_name(ksym_prompt_visible(s, v)));
	if (s->choice)
		strbuf_addf(out, "  %-12s \"%s\" (%s:%d)\n", "in choice:", choice_prompt(s->choice),
			    s->choice->def.file, s->choice->def.line);
	{
		struct strbuf deps = STRBUF_INIT;

		print_deps(&deps, s, v);
		if (deps.len)
			strbuf_addf(out, "  %-12s %s  => %s\n", "depends on:", deps.buf,
				    tri_name(dep_of_all_defs(ctx->kc, s, v)));
		strbuf_release(&deps);
	}
	print_prop_list(out, s, KP_SELECT, "selects:", v);
	print_prop_list(out, s, KP_IMPLY, "implies:", v);
	{
		struct strbuf sel = STRBUF_INIT;

		if (list_selectors(&sel, s, v, TRI_N, 0))
			strbuf_addf(out, "  %-12s %s\n", "selected by:", sel.buf);
		else
			strbuf_addf(out, "  %-12s (nothing in this tree)\n", "selected by:");
		strbuf_release(&sel);
	}
	n = 0;
	for (const struct krev *r = s->implied_by; r; r = r->next)
		strbuf_addf(out, "%s%s [=%s]", n++ ? ", " : "  implied by:  ", r->from->name,
			    tri_name(kval_tri(v, r->from)));
	if (n)
		strbuf_addch(out, '\n');
	print_prop_list(out, s, KP_DEFAULT, "default:", v);
	print_prop_list(out, s, KP_RANGE, "range:", v);
	if (s->type == KT_BOOL || s->type == KT_TRISTATE) {
		enum tri cur = kval_tri(v, s);
		struct strbuf why = STRBUF_INIT, detail = STRBUF_INIT;

		if (cur == TRI_N) {
			if (reason_too_low(ctx, s, TRI_Y, &why, &detail) == 0)
				strbuf_addf(out, "  %-12s %s\n%s", "to be y:", why.buf, detail.buf);
			else
				strbuf_addf(out, "  %-12s nothing blocks it: set CONFIG_%s=y in a fragment\n", "to be y:", s->name);
		} else {
			if (reason_too_high(ctx, s, TRI_N, cur, &why) == 0)
				strbuf_addf(out, "  %-12s %s\n", "to be n:", why.buf);
			else
				strbuf_addf(out, "  %-12s nothing forces it: set '# CONFIG_%s is not set' in a fragment\n", "to be n:", s->name);
		}
		strbuf_release(&why);
		strbuf_release(&detail);
	}
	strbuf_release(&scratch);
	return 0;
}
