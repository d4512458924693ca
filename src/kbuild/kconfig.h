/* kconfig.h - a model of a kernel tree's Kconfig language: symbols, types, prompts, deps, selects, choices */
#ifndef KB_KCONFIG_H
#define KB_KCONFIG_H

#include <stddef.h>
#include "arena.h"
#include "strbuf.h"
#include "strmap.h"

enum ktype { KT_UNKNOWN, KT_BOOL, KT_TRISTATE, KT_STRING, KT_INT, KT_HEX };
enum tri { TRI_N = 0, TRI_M = 1, TRI_Y = 2 };

enum kexpr_op {
	KE_SYMBOL, KE_CONST, KE_MACRO, KE_NOT, KE_AND, KE_OR,
	KE_EQ, KE_NE, KE_LT, KE_LE, KE_GT, KE_GE,
};

struct ksym;

struct kexpr {
	enum kexpr_op op;
	struct kexpr *l, *r;  /* operands of NOT (l only), AND, OR, comparisons */
	struct ksym *sym;     /* KE_SYMBOL */
	const char *str;      /* KE_CONST (unquoted text), KE_MACRO (the $(...) text) */
};

enum kblock_kind { KB_ROOT, KB_IF, KB_MENU, KB_CHOICE };

/* An enclosing if/menu/choice: its dependencies are inherited by what it contains. */
struct kblock {
	enum kblock_kind kind;
	struct kblock *parent;
	struct kexpr *dep;       /* if EXPR, or AND of the menu's/choice's depends on */
	struct kexpr *visible;   /* menu "visible if" */
	const char *text;        /* menu or choice prompt */
	const char *file;
	int line;
	struct kchoice *choice;  /* KB_CHOICE */
};

enum kprop_kind { KP_PROMPT, KP_DEFAULT, KP_SELECT, KP_IMPLY, KP_RANGE };

struct kdef;
struct kprop {
	struct kprop *next;
	enum kprop_kind kind;
	const char *text;      /* prompt text */
	struct kexpr *expr;    /* default value, select/imply target, range low */
	struct kexpr *expr2;   /* range high */
	struct kexpr *cond;    /* trailing "if EXPR", or NULL */
	struct kdef *def;
	int line;
};

/* One `config`/`menuconfig` block (a symbol may have several) or one `choice` block. */
struct kdef {
	struct ksym *sym;        /* NULL for a choice's own definition */
	struct kdef *next;       /* next definition of the same symbol */
	struct kblock *parent;   /* enclosing blocks, innermost first */
	const char *file;
	int line;
	struct kexpr *dep;       /* AND of this block's own "depends on" lines */
	struct kprop *props;     /* in source order */
	const char *help;
	int menuconfig;
};

/* A `select X` or `imply X` seen from X's side. */
struct krev {
	struct krev *next;
	struct ksym *from;
	struct kprop *prop;      /* cond, file/line via prop->def */
};

struct kchoice {
	struct kdef def;         /* the choice block: prompt, defaults, deps */
	struct kblock *block;
	struct ksym **members;
	size_t nr_members, alloc_members;
	int optional;
	int index;
};

struct ksym {
	const char *name;
	enum ktype type;
	struct kdef *defs;
	struct kdef *last_def;
	struct krev *selected_by;
	struct krev *implied_by;
	struct kchoice *choice;  /* member of this choice */
	int transitional;
	int is_modules;
};

struct kconfig_stats {
	int files;
	size_t bytes;
	size_t lines;
	int symbols;
	int warnings;
};

struct kconfig {
	struct arena arena;
	struct strmap syms;      /* name -> struct ksym */
	const char *srctree;
	const char *srcarch;
	struct ksym *modules;    /* the symbol with option modules / `modules`, usually MODULES */
	struct kchoice **choices;
	size_t nr_choices, alloc_choices;
	struct kconfig_stats stats;
	int verbose;             /* print every tolerated oddity */
	int version, patchlevel, sublevel; /* from the tree's Makefile; 0 if unknown */
};

/*
 * Limits of a parse. A kernel tree (6.1, x86) sources 1,493 files, 5.4 MB in all, the
 * largest 100 KB, nested 6 deep: these are far above, and end a hostile tree in bounded
 * time and memory (a file that sources itself twice doubles the work at every level).
 */
#define KCONFIG_MAX_DEPTH 32
#define KCONFIG_MAX_FILES 65536
#define KCONFIG_MAX_FILE_BYTES (16 << 20)
#define KCONFIG_MAX_TOTAL_BYTES (256 << 20)

/*
 * Parse `srctree`/Kconfig for SRCARCH `srcarch`. Returns 0; -errno when the top
 * file cannot be read (a tree without Kconfig; `err` untouched); -EINVAL with
 * "file:line: error: ..." in `err` for a tree no parse can finish: a 'source'
 * cycle, nesting beyond KCONFIG_MAX_DEPTH, a file that is no regular file or is
 * larger than KCONFIG_MAX_FILE_BYTES, more than KCONFIG_MAX_FILES files or
 * KCONFIG_MAX_TOTAL_BYTES in all. Other problems inside the files are tolerated
 * and counted in stats.warnings. Release `kc` in every case.
 */
int kconfig_parse(struct kconfig *kc, const char *srctree, const char *srcarch, struct strbuf *err);
/* Parse a single file as the top level (tests and fixtures). */
int kconfig_parse_file(struct kconfig *kc, const char *srctree, const char *path, const char *srcarch,
		       struct strbuf *err);
void kconfig_release(struct kconfig *kc);
struct ksym *kconfig_find(const struct kconfig *kc, const char *name);
const char *ktype_name(enum ktype t);

/* Values of symbols for evaluation: name -> value text as in .config (strings quoted). */
struct kvals {
	const char *(*get)(const void *ctx, const char *name);
	const void *ctx;
};

/* Value of a symbol as kconfig would use it in an expression ("n" when unset). */
const char *kval_string(const struct kvals *v, const struct ksym *sym, struct strbuf *scratch);
enum tri kval_tri(const struct kvals *v, const struct ksym *sym);
enum tri kexpr_eval(const struct kexpr *e, const struct kvals *v);
/* Render an expression; with v non-NULL every symbol gets " [=value]". */
void kexpr_print(struct strbuf *sb, const struct kexpr *e, const struct kvals *v);
/* Inherited dependency of a definition: AND of enclosing blocks, innermost last. */
enum tri kdef_dep_eval(const struct kdef *d, const struct kvals *v);
/* Full "depends on" of a definition (inherited first, then its own), rendered. Returns 0 if none. */
int kdef_dep_print(struct strbuf *sb, const struct kdef *d, const struct kvals *v);
/* Is any prompt of the symbol visible under v? Returns TRI_N when it has no prompt. */
enum tri ksym_prompt_visible(const struct ksym *s, const struct kvals *v);
int ksym_has_prompt(const struct ksym *s);
const struct kprop *ksym_first_prompt(const struct ksym *s);
enum tri tri_parse(const char *s);
const char *tri_name(enum tri t);

#endif
