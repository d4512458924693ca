/* kconfig.c - parse a tree's Kconfig files into symbols, definitions, blocks and reverse dependencies */
#define _GNU_SOURCE
#include "kconfig.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs.h"
#include "log.h"
#include "source.h"

enum tok_kind { T_EOL, T_WORD, T_STRING, T_MACRO, T_OP };

struct tok {
	enum tok_kind kind;
	const char *s; /* NUL-terminated, arena or line copy */
};

#define MAX_TOKS 256

struct parser {
	struct kconfig *kc;
	struct kblock *block;     /* innermost enclosing block */
	struct kdef *cur;         /* entry that takes attributes, or NULL */
	struct kblock *cur_menu;  /* menu whose attributes follow, or NULL */
	int cur_is_comment;
	/* the files being read, outermost first: a 'source' cycle and the nesting limit */
	struct {
		const char *name;
		dev_t dev;
		ino_t ino;
	} chain[KCONFIG_MAX_DEPTH];
	int depth;
	struct strbuf *err;       /* the error that stopped the parse */
	int failed;
	/* current statement */
	const char *file;
	int line;
	struct tok toks[MAX_TOKS];
	int ntok, pos;
};

static void pwarn(struct parser *p, const char *fmt, ...) KB_PRINTF(2, 3);
static void pwarn(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->kc->stats.warnings++;
	if (!p->kc->verbose)
		return;
	fprintf(stderr, "%s:%d: warning: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* An error that stops the parse: the input is hostile or broken beyond tolerating. */
static void pfail(struct parser *p, const char *file, int line, const char *fmt, ...) KB_PRINTF(4, 5);
static void pfail(struct parser *p, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	kb_diag_vaddf(p->err, KB_ERROR, file, line, fmt, ap);
	va_end(ap);
}

const char *ktype_name(enum ktype t)
{
	static const char *const names[] = { "unknown", "bool", "tristate", "string", "int", "hex" };
	return names[t];
}

enum tri tri_parse(const char *s)
{
	if (str_eq(s, "y"))
		return TRI_Y;
	if (str_eq(s, "m"))
		return TRI_M;
	return TRI_N;
}

const char *tri_name(enum tri t)
{
	return t == TRI_Y ? "y" : t == TRI_M ? "m" : "n";
}

struct ksym *kconfig_find(const struct kconfig *kc, const char *name)
{
	return strmap_get(&kc->syms, name);
}

static struct ksym *sym_lookup(struct kconfig *kc, const char *name)
{
	struct ksym *s = strmap_get(&kc->syms, name);

	if (!s) {
		s = arena_alloc(&kc->arena, sizeof(*s));
		s->name = arena_strdup(&kc->arena, name);
		strmap_put(&kc->syms, s->name, s);
	}
	return s;
}

/* ---- tokenizer ---- */

static int is_word_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '+' || c == ',';
}

/* Copy of a $(...) macro starting at s (s[0]=='$', s[1]=='('); returns the end. */
static const char *scan_macro(const char *s)
{
	int depth = 0;

	for (const char *q = s + 1; *q; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')' && --depth == 0)
			return q + 1;
	}
	return s + strlen(s);
}

static int tokenize(struct parser *p, const char *line)
{
	struct arena *a = &p->kc->arena;
	const char *s = line;

	p->ntok = 0;
	p->pos = 0;
	while (*s) {
		struct tok *t;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (*s == '#')
			break;
		if (p->ntok >= MAX_TOKS - 1) {
			pwarn(p, "statement too long, truncated");
			break;
		}
		t = &p->toks[p->ntok++];
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			struct strbuf sb = STRBUF_INIT;

			while (*s && *s != q) {
				if (*s == '\\' && s[1])
					s++;
				strbuf_addch(&sb, *s++);
			}
			if (*s != q)
				pwarn(p, "unterminated string");
			else
				s++;
			t->kind = T_STRING;
			t->s = arena_strndup(a, sb.buf, sb.len);
			strbuf_release(&sb);
		} else if (s[0] == '$' && s[1] == '(') {
			const char *e = scan_macro(s);
			t->kind = T_MACRO;
			t->s = arena_strndup(a, s, (size_t)(e - s));
			s = e;
		} else if (is_word_char((unsigned char)*s) || *s == '$') {
			const char *b = s;
			/* words may embed macros: FOO$(BAR) */
			while (*s && (is_word_char((unsigned char)*s) || *s == '$')) {
				if (s[0] == '$' && s[1] == '(')
					s = scan_macro(s);
				else
					s++;
			}
			t->kind = T_WORD;
			t->s = arena_strndup(a, b, (size_t)(s - b));
		} else {
			static const char *const ops[] = { "&&", "||", "!=", "<=", ">=", ":=", "+=", "?=",
							  "!", "=", "<", ">", "(", ")" };
			size_t i;

			for (i = 0; i < ARRAY_SIZE(ops); i++)
				if (starts_with(s, ops[i]))
					break;
			if (i == ARRAY_SIZE(ops)) {
				pwarn(p, "unexpected character '%c'", *s);
				p->ntok--;
				s++;
				continue;
			}
			t->kind = T_OP;
			t->s = ops[i];
			s += strlen(ops[i]);
		}
	}
	p->toks[p->ntok].kind = T_EOL;
	p->toks[p->ntok].s = "";
	return p->ntok;
}

static struct tok *peek(struct parser *p)
{
	return &p->toks[p->pos];
}

static struct tok *next(struct parser *p)
{
	struct tok *t = &p->toks[p->pos];
	if (t->kind != T_EOL)
		p->pos++;
	return t;
}

static int accept_op(struct parser *p, const char *op)
{
	struct tok *t = peek(p);

	if (t->kind == T_OP && str_eq(t->s, op)) {
		p->pos++;
		return 1;
	}
	return 0;
}

static int accept_word(struct parser *p, const char *w)
{
	struct tok *t = peek(p);

	if (t->kind == T_WORD && str_eq(t->s, w)) {
		p->pos++;
		return 1;
	}
	return 0;
}

/* ---- expressions ---- */

static struct kexpr *mk(struct parser *p, enum kexpr_op op, struct kexpr *l, struct kexpr *r)
{
	struct kexpr *e = arena_alloc(&p->kc->arena, sizeof(*e));

	e->op = op;
	e->l = l;
	e->r = r;
	return e;
}

static int is_const_word(const char *s)
{
	char *end;

	if (str_eq(s, "y") || str_eq(s, "m") || str_eq(s, "n"))
		return 1;
	if (!*s)
		return 0;
	errno = 0;
	(void)strtoll(s, &end, 0);
	if (*end == '\0')
		return 1;
	return s[0] == '-' && isdigit((unsigned char)s[1]);
}

static struct kexpr *parse_or(struct parser *p);

static struct kexpr *parse_atom(struct parser *p)
{
	struct tok *t = next(p);
	struct kexpr *e;

	switch (t->kind) {
	case T_OP:
		if (str_eq(t->s, "(")) {
			e = parse_or(p);
			if (!accept_op(p, ")"))
				pwarn(p, "missing ')' in expression");
			return e;
		}
		pwarn(p, "unexpected '%s' in expression", t->s);
		return NULL;
	case T_WORD:
		if (strstr(t->s, "$(")) {
			e = mk(p, KE_MACRO, NULL, NULL);
			e->str = t->s;
		} else if (is_const_word(t->s)) {
			e = mk(p, KE_CONST, NULL, NULL);
			e->str = t->s;
		} else {
			e = mk(p, KE_SYMBOL, NULL, NULL);
			e->sym = sym_lookup(p->kc, t->s);
		}
		return e;
	case T_STRING:
		e = mk(p, strstr(t->s, "$(") ? KE_MACRO : KE_CONST, NULL, NULL);
		e->str = t->s;
		return e;
	case T_MACRO:
		e = mk(p, KE_MACRO, NULL, NULL);
		e->str = t->s;
		return e;
	case T_EOL:
		break;
	}
	pwarn(p, "expression expected");
	return NULL;
}

static struct kexpr *parse_cmp(struct parser *p)
{
	static const struct { const char *op; enum kexpr_op kind; } cmps[] = {
		{ "=", KE_EQ }, { "!=", KE_NE }, { "<", KE_LT }, { "<=", KE_LE }, { ">", KE_GT }, { ">=", KE_GE },
	};
	struct kexpr *l = parse_atom(p);

	if (!l)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cmps); i++) {
		if (accept_op(p, cmps[i].op)) {
			struct kexpr *r = parse_atom(p);
			return r ? mk(p, cmps[i].kind, l, r) : NULL;
		}
	}
	return l;
}

static struct kexpr *parse_not(struct parser *p)
{
	if (accept_op(p, "!")) {
		struct kexpr *e = parse_not(p);
		return e ? mk(p, KE_NOT, e, NULL) : NULL;
	}
	return parse_cmp(p);
}

static struct kexpr *parse_and(struct parser *p)
{
	struct kexpr *l = parse_not(p);

	while (l && accept_op(p, "&&")) {
		struct kexpr *r = parse_not(p);
		l = r ? mk(p, KE_AND, l, r) : NULL;
	}
	return l;
}

static struct kexpr *parse_or(struct parser *p)
{
	struct kexpr *l = parse_and(p);

	while (l && accept_op(p, "||")) {
		struct kexpr *r = parse_and(p);
		l = r ? mk(p, KE_OR, l, r) : NULL;
	}
	return l;
}

static struct kexpr *parse_expr_to_eol(struct parser *p)
{
	struct kexpr *e = parse_or(p);

	if (e && peek(p)->kind != T_EOL && !(peek(p)->kind == T_WORD && str_eq(peek(p)->s, "if")))
		pwarn(p, "trailing '%s' after expression", peek(p)->s);
	return e;
}

static struct kexpr *parse_if_cond(struct parser *p)
{
	if (!accept_word(p, "if"))
		return NULL;
	return parse_expr_to_eol(p);
}

static struct kexpr *and_expr(struct parser *p, struct kexpr *a, struct kexpr *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return mk(p, KE_AND, a, b);
}

/* ---- entries ---- */

static struct kprop *add_prop(struct parser *p, struct kdef *d, enum kprop_kind kind)
{
	struct kprop *pr = arena_alloc(&p->kc->arena, sizeof(*pr)), **tail;

	pr->kind = kind;
	pr->def = d;
	pr->line = p->line;
	for (tail = &d->props; *tail; tail = &(*tail)->next)
		;
	*tail = pr;
	return pr;
}

static void end_entry(struct parser *p)
{
	p->cur = NULL;
	p->cur_menu = NULL;
	p->cur_is_comment = 0;
}

static struct kdef *new_def(struct parser *p, struct ksym *sym)
{
	struct kdef *d = arena_alloc(&p->kc->arena, sizeof(*d));

	d->sym = sym;
	d->parent = p->block;
	d->file = p->file;
	d->line = p->line;
	if (sym) {
		if (sym->last_def)
			sym->last_def->next = d;
		else
			sym->defs = d;
		sym->last_def = d;
	}
	return d;
}

static struct kchoice *enclosing_choice(struct parser *p)
{
	for (struct kblock *b = p->block; b; b = b->parent)
		if (b->kind == KB_CHOICE)
			return b->choice;
	return NULL;
}

static void start_config(struct parser *p, int menuconfig)
{
	struct tok *t = next(p);
	struct ksym *sym;
	struct kchoice *ch;

	end_entry(p);
	if (t->kind != T_WORD) {
		pwarn(p, "config without a symbol name");
		return;
	}
	sym = sym_lookup(p->kc, t->s);
	p->cur = new_def(p, sym);
	p->cur->menuconfig = menuconfig;
	ch = enclosing_choice(p);
	if (ch && !sym->choice) {
		sym->choice = ch;
		ALLOC_GROW(ch->members, ch->nr_members + 1, ch->alloc_members);
		ch->members[ch->nr_members++] = sym;
	}
}

static struct kblock *push_block(struct parser *p, enum kblock_kind kind)
{
	struct kblock *b = arena_alloc(&p->kc->arena, sizeof(*b));

	b->kind = kind;
	b->parent = p->block;
	b->file = p->file;
	b->line = p->line;
	p->block = b;
	return b;
}

static void pop_block(struct parser *p, enum kblock_kind kind, const char *what)
{
	end_entry(p);
	if (!p->block || p->block->kind != kind) {
		pwarn(p, "'%s' without a matching opening statement", what);
		return;
	}
	p->block = p->block->parent;
}

static void set_type(struct parser *p, struct kdef *d, enum ktype t)
{
	if (!d->sym)
		return; /* choice type: members carry their own */
	if (d->sym->type != KT_UNKNOWN && d->sym->type != t)
		pwarn(p, "'%s' redefined as %s (was %s)", d->sym->name, ktype_name(t),
		      ktype_name(d->sym->type));
	d->sym->type = t;
}

static void parse_prompt_tail(struct parser *p, struct kdef *d)
{
	struct tok *t = peek(p);
	struct kprop *pr;

	if (t->kind != T_STRING)
		return;
	next(p);
	pr = add_prop(p, d, KP_PROMPT);
	pr->text = t->s;
	pr->cond = parse_if_cond(p);
}

/* Attributes of config/choice entries. Returns 0 if `kw` is not one. */
static int parse_attribute(struct parser *p, const char *kw)
{
	static const struct { const char *kw; enum ktype type; int def; } types[] = {
		{ "bool", KT_BOOL, 0 }, { "boolean", KT_BOOL, 0 }, { "tristate", KT_TRISTATE, 0 },
		{ "string", KT_STRING, 0 }, { "int", KT_INT, 0 }, { "hex", KT_HEX, 0 },
		{ "def_bool", KT_BOOL, 1 }, { "def_tristate", KT_TRISTATE, 1 },
	};
	struct kdef *d = p->cur;
	struct kprop *pr;

	if (str_eq(kw, "depends")) {
		struct kexpr *e;

		accept_word(p, "on");
		e = parse_expr_to_eol(p);
		if (p->cur_menu)
			p->cur_menu->dep = and_expr(p, p->cur_menu->dep, e);
		else if (d)
			d->dep = and_expr(p, d->dep, e);
		return 1;
	}
	if (str_eq(kw, "visible")) {
		accept_word(p, "if");
		if (p->cur_menu)
			p->cur_menu->visible = and_expr(p, p->cur_menu->visible, parse_expr_to_eol(p));
		return 1;
	}
	if (p->cur_is_comment || p->cur_menu)
		return 0;
	if (!d)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (!str_eq(kw, types[i].kw))
			continue;
		set_type(p, d, types[i].type);
		if (types[i].def) {
			pr = add_prop(p, d, KP_DEFAULT);
			pr->expr = parse_or(p);
			pr->cond = parse_if_cond(p);
		} else {
			parse_prompt_tail(p, d);
		}
		return 1;
	}
	if (str_eq(kw, "prompt")) {
		parse_prompt_tail(p, d);
		return 1;
	}
	if (str_eq(kw, "default")) {
		pr = add_prop(p, d, KP_DEFAULT);
		pr->expr = parse_or(p);
		pr->cond = parse_if_cond(p);
		return 1;
	}
	if (str_eq(kw, "select") || str_eq(kw, "imply")) {
		int sel = kw[0] == 's';
		struct tok *t = next(p);
		struct ksym *target;
		struct krev *rev;

		if (t->kind != T_WORD || !d->sym) {
			pwarn(p, "'%s' needs a symbol", kw);
			return 1;
		}
		target = sym_lookup(p->kc, t->s);
		pr = add_prop(p, d, sel ? KP_SELECT : KP_IMPLY);
		pr->expr = mk(p, KE_SYMBOL, NULL, NULL);
		pr->expr->sym = target;
		pr->cond = parse_if_cond(p);
		rev = arena_alloc(&p->kc->arena, sizeof(*rev));
		rev->from = d->sym;
		rev->prop = pr;
		if (sel) {
			rev->next = target->selected_by;
			target->selected_by = rev;
		} else {
			rev->next = target->implied_by;
			target->implied_by = rev;
		}
		return 1;
	}
	if (str_eq(kw, "range")) {
		pr = add_prop(p, d, KP_RANGE);
		pr->expr = parse_atom(p);
		pr->expr2 = parse_atom(p);
		pr->cond = parse_if_cond(p);
		return 1;
	}
	if (str_eq(kw, "option")) {
		struct tok *t = next(p);

		if (t->kind == T_WORD && str_eq(t->s, "modules") && d->sym) {
			d->sym->is_modules = 1;
			p->kc->modules = d->sym;
		}
		return 1; /* env=, defconfig_list, allnoconfig_y: irrelevant here */
	}
	if (str_eq(kw, "modules")) {
		if (d->sym) {
			d->sym->is_modules = 1;
			p->kc->modules = d->sym;
		}
		return 1;
	}
	if (str_eq(kw, "transitional")) {
		if (d->sym)
			d->sym->transitional = 1;
		return 1;
	}
	if (str_eq(kw, "optional")) {
		for (struct kblock *b = p->block; b; b = b->parent)
			if (b->kind == KB_CHOICE && &b->choice->def == d)
				b->choice->optional = 1;
		return 1;
	}
	if (str_eq(kw, "defconfig_list") || str_eq(kw, "allnoconfig_y"))
		return 1;
	return 0;
}

/* ---- files ---- */

static int indent_width(const char *s, const char *end)
{
	int w = 0;

	for (; s < end && (*s == ' ' || *s == '\t'); s++)
		w = *s == '\t' ? (w & ~7) + 8 : w + 1;
	return w;
}

struct cursor {
	const char *buf, *end, *pos;
	int lineno; /* number of the line at pos */
};

/* Next physical line [*b, *e) without its newline; 0 at end of file. */
static int phys_line(struct cursor *c, const char **b, const char **e)
{
	const char *nl;

	if (c->pos >= c->end)
		return 0;
	*b = c->pos;
	nl = memchr(c->pos, '\n', (size_t)(c->end - c->pos));
	*e = nl ? nl : c->end;
	c->pos = nl ? nl + 1 : c->end;
	c->lineno++;
	return 1;
}

static void read_help(struct parser *p, struct cursor *c, struct kdef *d)
{
	struct strbuf sb = STRBUF_INIT;
	int level = -1;

	for (;;) {
		const char *save = c->pos, *b, *e;
		int save_line = c->lineno, w;
		const char *q;

		if (!phys_line(c, &b, &e))
			break;
		for (q = b; q < e && isspace((unsigned char)*q); q++)
			;
		if (q == e) { /* blank lines belong to the help text */
			if (level >= 0)
				strbuf_addch(&sb, '\n');
			continue;
		}
		w = indent_width(b, e);
		if (level < 0)
			level = w;
		if (w < level || level == 0) {
			c->pos = save;
			c->lineno = save_line;
			break;
		}
		strbuf_add(&sb, q, (size_t)(e - q));
		strbuf_addch(&sb, '\n');
	}
	while (sb.len && sb.buf[sb.len - 1] == '\n')
		strbuf_setlen(&sb, sb.len - 1);
	if (d)
		d->help = arena_strndup(&p->kc->arena, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void parse_file(struct parser *p, const char *relpath, int optional);

static char *substitute_vars(struct parser *p, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	while (*s) {
		if (starts_with(s, "$(SRCARCH)")) {
			strbuf_addstr(&sb, p->kc->srcarch);
			s += 10;
		} else if (starts_with(s, "$SRCARCH")) {
			strbuf_addstr(&sb, p->kc->srcarch);
			s += 8;
		} else if (starts_with(s, "$(HEADER_ARCH)")) {
			strbuf_addstr(&sb, p->kc->srcarch);
			s += 14;
		} else {
			strbuf_addch(&sb, *s++);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void do_source(struct parser *p, const char *kw, const char *arg)
{
	int relative = kw[0] == 'r' || (kw[0] == 'o' && kw[1] == 'r');
	int optional = kw[0] == 'o';
	char *path = substitute_vars(p, arg);
	char *rel;
	glob_t g;

	if (relative) {
		char *dir = fs_dirname(p->file);
		rel = xasprintf("%s/%s", dir, path);
		free(dir);
	} else {
		rel = xstrdup(path);
	}
	if (strpbrk(rel, "*?[")) {
		char *pattern = xasprintf("%s/%s", p->kc->srctree, rel);
		size_t skip = strlen(p->kc->srctree) + 1;

		if (glob(pattern, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && !p->failed; i++)
				parse_file(p, g.gl_pathv[i] + skip, 1);
		}
		globfree(&g);
		free(pattern);
	} else if (strstr(rel, "$(")) {
		pwarn(p, "cannot source '%s': unevaluated macro", rel);
	} else {
		parse_file(p, rel, optional);
	}
	free(rel);
	free(path);
}

static void parse_statement(struct parser *p, struct cursor *c)
{
	struct tok *t = next(p);
	const char *kw = t->s;

	if (t->kind == T_MACRO)
		return; /* $(warning ...), $(info ...) */
	if (t->kind != T_WORD) {
		pwarn(p, "unexpected '%s'", kw);
		return;
	}
	/* preprocessor variable assignment: NAME := value */
	if (peek(p)->kind == T_OP && (str_eq(peek(p)->s, ":=") || str_eq(peek(p)->s, "+=") ||
				      str_eq(peek(p)->s, "?=") || str_eq(peek(p)->s, "=")))
		return;
	if (str_eq(kw, "config") || str_eq(kw, "menuconfig")) {
		start_config(p, kw[0] == 'm');
	} else if (str_eq(kw, "choice")) {
		struct kchoice *ch = arena_alloc(&p->kc->arena, sizeof(*ch));
		struct kblock *b;

		end_entry(p);
		if (peek(p)->kind == T_WORD) {
			ch->def.sym = sym_lookup(p->kc, next(p)->s);
		}
		ch->def.parent = p->block;
		ch->def.file = p->file;
		ch->def.line = p->line;
		b = push_block(p, KB_CHOICE);
		b->choice = ch;
		ch->block = b;
		ch->index = (int)p->kc->nr_choices;
		ALLOC_GROW(p->kc->choices, p->kc->nr_choices + 1, p->kc->alloc_choices);
		p->kc->choices[p->kc->nr_choices++] = ch;
		p->cur = &ch->def;
	} else if (str_eq(kw, "endchoice")) {
		pop_block(p, KB_CHOICE, kw);
	} else if (str_eq(kw, "menu")) {
		struct kblock *b;

		end_entry(p);
		b = push_block(p, KB_MENU);
		if (peek(p)->kind == T_STRING)
			b->text = next(p)->s;
		p->cur_menu = b;
	} else if (str_eq(kw, "endmenu")) {
		pop_block(p, KB_MENU, kw);
	} else if (str_eq(kw, "if")) {
		struct kblock *b;

		end_entry(p);
		b = push_block(p, KB_IF);
		b->dep = parse_expr_to_eol(p);
	} else if (str_eq(kw, "endif")) {
		pop_block(p, KB_IF, kw);
	} else if (str_eq(kw, "source") || str_eq(kw, "rsource") || str_eq(kw, "osource") ||
		   str_eq(kw, "orsource")) {
		struct tok *a = next(p);

		end_entry(p);
		if (a->kind == T_STRING || a->kind == T_WORD)
			do_source(p, kw, a->s);
		else
			pwarn(p, "'%s' needs a file name", kw);
	} else if (str_eq(kw, "comment")) {
		end_entry(p);
		p->cur_is_comment = 1;
	} else if (str_eq(kw, "mainmenu")) {
		end_entry(p);
	} else if (str_eq(kw, "help") || str_eq(kw, "---help---")) {
		read_help(p, c, p->cur_is_comment ? NULL : p->cur);
	} else if (!parse_attribute(p, kw)) {
		pwarn(p, "unknown statement '%s'", kw);
	}
}

/* "name := value", "name = value", "name += value": Kconfig's macro language. */
static int is_variable_assignment(const char *s)
{
	const char *w;

	while (*s == ' ' || *s == '\t')
		s++;
	w = s;
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '-')
		s++;
	if (s == w)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	return (s[0] == '=' ) || ((s[0] == ':' || s[0] == '+' || s[0] == '?') && s[1] == '=');
}

static void parse_buffer(struct parser *p, const char *file, const char *buf, size_t len)
{
	struct cursor c = { buf, buf + len, buf, 0 };
	struct strbuf line = STRBUF_INIT;
	const char *b, *e;
	const char *saved_file = p->file;
	int saved_line = p->line;

	p->file = file;
	while (!p->failed && phys_line(&c, &b, &e)) {
		int start = c.lineno;

		strbuf_reset(&line);
		strbuf_add(&line, b, (size_t)(e - b));
		/* backslash-newline continues the statement */
		while (line.len && line.buf[line.len - 1] == '\\' && phys_line(&c, &b, &e)) {
			strbuf_setlen(&line, line.len - 1);
			strbuf_add(&line, b, (size_t)(e - b));
		}
		p->kc->stats.lines += (size_t)(c.lineno - start + 1);
		p->line = start;
		if (is_variable_assignment(line.buf))
			continue; /* preprocessor: tolerated, not evaluated */
		if (!tokenize(p, line.buf))
			continue;
		parse_statement(p, &c);
	}
	strbuf_release(&line);
	p->file = saved_file;
	p->line = saved_line;
}

static void parse_file(struct parser *p, const char *relpath, int optional)
{
	struct strbuf sb = STRBUF_INIT, chain = STRBUF_INIT;
	char *full = xasprintf("%s/%s", p->kc->srctree, relpath);
	const char *name;
	struct stat st;
	int err;

	if (p->failed)
		goto out;
	if (stat(full, &st) < 0) {
		if (!optional)
			pwarn(p, "cannot read '%s': %s", relpath, strerror(errno));
		goto out;
	}
	/* the names as the reader sourced them, for the message; the inode finds a cycle through links */
	for (int i = 0; i < p->depth; i++) {
		if (p->chain[i].dev != st.st_dev || p->chain[i].ino != st.st_ino)
			continue;
		for (int j = i; j < p->depth; j++)
			strbuf_addf(&chain, "%s -> ", p->chain[j].name);
		pfail(p, p->file, p->line, "'source' cycle: %s%s", chain.buf, relpath);
		goto out;
	}
	if (p->depth >= KCONFIG_MAX_DEPTH) {
		pfail(p, p->file, p->line, "'source' nested more than %d deep at '%s'", KCONFIG_MAX_DEPTH, relpath);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode) && optional)
			goto out;
		/* a device would be read without end, a FIFO waited on for ever */
		pfail(p, p->file, p->line, "cannot source '%s': not a regular file", relpath);
		goto out;
	}
	if (p->kc->stats.files >= KCONFIG_MAX_FILES) {
		pfail(p, p->file, p->line, "more than %d files sourced (a kernel tree has about 1,500)",
		      KCONFIG_MAX_FILES);
		goto out;
	}
	err = fs_read_file_max(full, &sb, KCONFIG_MAX_FILE_BYTES);
	if (err == -EFBIG) {
		pfail(p, relpath, 0, "larger than %d MiB: not a Kconfig file", KCONFIG_MAX_FILE_BYTES >> 20);
		goto out;
	}
	if (err < 0) {
		if (!optional)
			pwarn(p, "cannot read '%s': %s", relpath, strerror(-err));
		goto out;
	}
	if (p->kc->stats.bytes + sb.len > KCONFIG_MAX_TOTAL_BYTES) {
		pfail(p, p->file, p->line, "the files sourced add up to more than %d MiB (a kernel tree has "
		      "about 6 MiB)", KCONFIG_MAX_TOTAL_BYTES >> 20);
		goto out;
	}
	p->kc->stats.files++;
	p->kc->stats.bytes += sb.len;
	name = arena_strdup(&p->kc->arena, relpath);
	p->chain[p->depth].name = name;
	p->chain[p->depth].dev = st.st_dev;
	p->chain[p->depth].ino = st.st_ino;
	p->depth++;
	parse_buffer(p, name, sb.buf, sb.len);
	p->depth--;
out:
	free(full);
	strbuf_release(&sb);
	strbuf_release(&chain);
}

static void read_version(struct kconfig *kc)
{
	struct tree_version v;

	if (source_tree_version(kc->srctree, &v) == 0) {
		kc->version = v.version;
		kc->patchlevel = v.patchlevel;
		kc->sublevel = v.sublevel;
	}
}

int kconfig_parse_file(struct kconfig *kc, const char *srctree, const char *path, const char *srcarch,
		       struct strbuf *err)
{
	struct parser p;
	struct kblock *root;
	char *full;
	int ret;

	memset(&p, 0, sizeof(p));
	arena_init(&kc->arena);
	strmap_init(&kc->syms);
	kc->srctree = arena_strdup(&kc->arena, srctree);
	kc->srcarch = arena_strdup(&kc->arena, srcarch);
	full = xasprintf("%s/%s", srctree, path);
	ret = access(full, R_OK) < 0 ? -errno : 0;
	free(full);
	if (ret)
		return ret;
	read_version(kc);
	p.kc = kc;
	p.file = path;
	p.err = err;
	root = push_block(&p, KB_ROOT);
	parse_file(&p, path, 0);
	if (p.failed)
		return -EINVAL;
	if (p.block != root) {
		p.line = p.block->line;
		p.file = p.block->file;
		pwarn(&p, "block opened here is never closed");
	}
	kc->modules = kc->modules ? kc->modules : kconfig_find(kc, "MODULES");
	kc->stats.symbols = (int)kc->syms.len;
	return 0;
}

int kconfig_parse(struct kconfig *kc, const char *srctree, const char *srcarch, struct strbuf *err)
{
	return kconfig_parse_file(kc, srctree, "Kconfig", srcarch, err);
}

void kconfig_release(struct kconfig *kc)
{
	for (size_t i = 0; i < kc->nr_choices; i++)
		free(kc->choices[i]->members);
	free(kc->choices);
	strmap_release(&kc->syms);
	arena_release(&kc->arena);
	memset(kc, 0, sizeof(*kc));
}

/* ---- evaluation against a set of values ---- */

const char *kval_string(const struct kvals *v, const struct ksym *sym, struct strbuf *scratch)
{
	const char *val = v ? v->get(v->ctx, sym->name) : NULL;

	if (!val)
		return sym->type == KT_STRING || sym->type == KT_INT || sym->type == KT_HEX ? "" : "n";
	if (val[0] == '"') {
		strbuf_reset(scratch);
		for (const char *s = val + 1; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			strbuf_addch(scratch, *s);
		}
		return scratch->buf;
	}
	return val;
}

enum tri kval_tri(const struct kvals *v, const struct ksym *sym)
{
	const char *val = v ? v->get(v->ctx, sym->name) : NULL;

	if (!val || (sym->type != KT_BOOL && sym->type != KT_TRISTATE && sym->type != KT_UNKNOWN))
		return TRI_N;
	return tri_parse(val);
}

static const char *operand_string(const struct kexpr *e, const struct kvals *v, struct strbuf *scratch)
{
	if (e->op == KE_SYMBOL)
		return kval_string(v, e->sym, scratch);
	return e->str ? e->str : "";
}

static int parse_number(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return 0;
	errno = 0;
	*out = strtoll(s, &end, 0);
	return *end == '\0' && errno == 0;
}

enum tri kexpr_eval(const struct kexpr *e, const struct kvals *v)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	enum tri l, r, res = TRI_N;
	const char *sa, *sb;
	long long na, nb;
	int cmp;

	if (!e)
		return TRI_Y;
	switch (e->op) {
	case KE_SYMBOL:
		return kval_tri(v, e->sym);
	case KE_CONST:
		return tri_parse(e->str);
	case KE_MACRO:
		return TRI_Y; /* not evaluated: assume it does not block */
	case KE_NOT:
		return (enum tri)(TRI_Y - kexpr_eval(e->l, v));
	case KE_AND:
		l = kexpr_eval(e->l, v);
		r = kexpr_eval(e->r, v);
		return l < r ? l : r;
	case KE_OR:
		l = kexpr_eval(e->l, v);
		r = kexpr_eval(e->r, v);
		return l > r ? l : r;
	case KE_EQ: case KE_NE: case KE_LT: case KE_LE: case KE_GT: case KE_GE:
		if (e->l->op == KE_MACRO || e->r->op == KE_MACRO)
			return TRI_Y;
		sa = operand_string(e->l, v, &a);
		sb = operand_string(e->r, v, &b);
		if (parse_number(sa, &na) && parse_number(sb, &nb))
			cmp = na < nb ? -1 : na > nb;
		else
			cmp = strcmp(sa, sb);
		switch (e->op) {
		case KE_EQ: res = cmp == 0 ? TRI_Y : TRI_N; break;
		case KE_NE: res = cmp != 0 ? TRI_Y : TRI_N; break;
		case KE_LT: res = cmp < 0 ? TRI_Y : TRI_N; break;
		case KE_LE: res = cmp <= 0 ? TRI_Y : TRI_N; break;
		case KE_GT: res = cmp > 0 ? TRI_Y : TRI_N; break;
		default: res = cmp >= 0 ? TRI_Y : TRI_N; break;
		}
		strbuf_release(&a);
		strbuf_release(&b);
		return res;
	}
	BUG("bad expression op %d", (int)e->op);
}

static int prec(const struct kexpr *e)
{
	switch (e->op) {
	case KE_OR: return 1;
	case KE_AND: return 2;
	case KE_NOT: return 3;
	case KE_EQ: case KE_NE: case KE_LT: case KE_LE: case KE_GT: case KE_GE: return 4;
	default: return 5;
	}
}

static void print_sub(struct strbuf *sb, const struct kexpr *e, const struct kvals *v, int parent)
{
	if (prec(e) < parent) {
		strbuf_addch(sb, '(');
		kexpr_print(sb, e, v);
		strbuf_addch(sb, ')');
	} else {
		kexpr_print(sb, e, v);
	}
}

void kexpr_print(struct strbuf *sb, const struct kexpr *e, const struct kvals *v)
{
	static const char *const ops[] = {
		[KE_AND] = " && ", [KE_OR] = " || ", [KE_EQ] = "=", [KE_NE] = "!=",
		[KE_LT] = " < ", [KE_LE] = " <= ", [KE_GT] = " > ", [KE_GE] = " >= ",
	};
	struct strbuf scratch = STRBUF_INIT;

	if (!e) {
		strbuf_addstr(sb, "y");
		return;
	}
	switch (e->op) {
	case KE_SYMBOL:
		strbuf_addstr(sb, e->sym->name);
		if (v)
			strbuf_addf(sb, " [=%s]", kval_string(v, e->sym, &scratch));
		break;
	case KE_CONST:
		if (is_const_word(e->str))
			strbuf_addstr(sb, e->str);
		else
			strbuf_addf(sb, "\"%s\"", e->str);
		break;
	case KE_MACRO:
		strbuf_addstr(sb, e->str);
		break;
	case KE_NOT:
		strbuf_addch(sb, '!');
		print_sub(sb, e->l, v, 4);
		break;
	default:
		print_sub(sb, e->l, v, prec(e));
		strbuf_addstr(sb, ops[e->op]);
		print_sub(sb, e->r, v, prec(e) + (prec(e) == 4));
		break;
	}
	strbuf_release(&scratch);
}

static const struct kexpr *block_dep(const struct kblock *b)
{
	return b->kind == KB_CHOICE ? b->choice->def.dep : b->dep;
}

enum tri kdef_dep_eval(const struct kdef *d, const struct kvals *v)
{
	enum tri t = kexpr_eval(d->dep, v);

	for (const struct kblock *b = d->parent; b; b = b->parent) {
		const struct kexpr *e = block_dep(b);
		if (e) {
			enum tri x = kexpr_eval(e, v);
			t = x < t ? x : t;
		}
	}
	return t;
}

static int add_dep_terms(struct strbuf *sb, const struct kblock *b, const struct kvals *v)
{
	int n;
	const struct kexpr *e;

	if (!b)
		return 0;
	n = add_dep_terms(sb, b->parent, v);
	e = block_dep(b);
	if (e) {
		if (n)
			strbuf_addstr(sb, " && ");
		print_sub(sb, e, v, 2);
		n++;
	}
	return n;
}

int kdef_dep_print(struct strbuf *sb, const struct kdef *d, const struct kvals *v)
{
	int n = add_dep_terms(sb, d->parent, v);

	if (d->dep) {
		if (n)
			strbuf_addstr(sb, " && ");
		print_sub(sb, d->dep, v, 2);
		n++;
	}
	return n;
}

static enum tri visible_chain(const struct kblock *b, const struct kvals *v)
{
	enum tri t = TRI_Y;

	for (; b; b = b->parent) {
		if (b->visible) {
			enum tri x = kexpr_eval(b->visible, v);
			t = x < t ? x : t;
		}
	}
	return t;
}

enum tri ksym_prompt_visible(const struct ksym *s, const struct kvals *v)
{
	enum tri best = TRI_N;

	for (const struct kdef *d = s->defs; d; d = d->next) {
		for (const struct kprop *p = d->props; p; p = p->next) {
			enum tri t, x;

			if (p->kind != KP_PROMPT)
				continue;
			t = kexpr_eval(p->cond, v);
			x = kdef_dep_eval(d, v);
			t = x < t ? x : t;
			x = visible_chain(d->parent, v);
			t = x < t ? x : t;
			best = t > best ? t : best;
		}
	}
	return best;
}

const struct kprop *ksym_first_prompt(const struct ksym *s)
{
	for (const struct kdef *d = s->defs; d; d = d->next)
		for (const struct kprop *p = d->props; p; p = p->next)
			if (p->kind == KP_PROMPT)
				return p;
	return NULL;
}

int ksym_has_prompt(const struct ksym *s)
{
	return ksym_first_prompt(s) != NULL;
}
