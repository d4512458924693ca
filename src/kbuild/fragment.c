/* fragment.c - .config/fragment reader, profile expansion, and the ordered merge with provenance */
#define _GNU_SOURCE
#include "fragment.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include "fs.h"
#include "log.h"

#define MAX_REPORTED_ERRORS 20

static int is_name_char(int c)
{
	return isalnum(c) || c == '_';
}

static void add_error(struct strbuf *err, int *nerr, const char *path, int line, const char *fmt, ...)
	KB_PRINTF(5, 6);
static void add_error(struct strbuf *err, int *nerr, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	if (++*nerr > MAX_REPORTED_ERRORS)
		return;
	va_start(ap, fmt);
	kb_diag_vaddf(err, KB_ERROR, path, line, fmt, ap);
	va_end(ap);
	strbuf_addch(err, '\n');
}

/* Show at most 40 characters of an offending line. */
static void quote_excerpt(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n > 40)
		snprintf(dst, size, "%.40s...", s);
	else
		snprintf(dst, size, "%s", s);
}

static struct cfg_assign *new_item(struct cfg_file *f)
{
	ALLOC_GROW(f->items, f->nr + 1, f->alloc);
	memset(&f->items[f->nr], 0, sizeof(f->items[0]));
	return &f->items[f->nr++];
}

/* "# CONFIG_X is not set" -> name in place; NULL if the comment is something else. */
static char *parse_not_set(char *s)
{
	char *name, *e;

	if (!starts_with(s, "# CONFIG_"))
		return NULL;
	name = s + 9;
	for (e = name; is_name_char((unsigned char)*e); e++)
		;
	if (e == name || !str_eq(e, " is not set"))
		return NULL;
	*e = '\0';
	return name;
}

/* Check a value's syntax in place; returns an error text or NULL. */
static const char *check_value(char *v)
{
	if (!*v)
		return "missing value after '='";
	if (*v == '"') {
		char *s = v + 1;

		while (*s && *s != '"') {
			if (*s == '\\' && s[1])
				s++;
			s++;
		}
		if (*s != '"')
			return "unterminated string";
		if (s[1] != '\0')
			return "text after the closing quote (comments go on a line of their own)";
		return NULL;
	}
	for (char *s = v; *s; s++) {
		if (isspace((unsigned char)*s))
			return "text after the value (comments go on a line of their own)";
		if (*s == '"')
			return "stray quote in value";
	}
	return NULL;
}

int cfg_parse(struct cfg_file *f, const char *path, char *data, size_t len, struct strbuf *err)
{
	char *s, *end;
	int lineno = 0, nerr = 0;
	char excerpt[64];

	memset(f, 0, sizeof(*f));
	/* lines are cut in place: room for the final NUL when the last newline is missing */
	data = xrealloc(data, len + 1);
	data[len] = '\0';
	s = data;
	end = data + len;
	f->path = xstrdup(path);
	f->data = data;
	if (memchr(data, '\0', len)) {
		size_t off = (size_t)((char *)memchr(data, '\0', len) - data);
		int line = 1;

		for (size_t i = 0; i < off; i++)
			line += data[i] == '\n';
		add_error(err, &nerr, path, line, "binary file: NUL byte in a configuration fragment");
		goto fail;
	}
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *line = s, *e, *name, *value;
		const char *problem;

		if (!nl)
			nl = end;
		*nl = '\0';
		s = nl + 1;
		lineno++;
		e = nl;
		if (e > line && e[-1] == '\r') {
			add_error(err, &nerr, path, lineno,
				  "CRLF line ending (convert the file with dos2unix)");
			continue;
		}
		while (e > line && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			continue;
		if (*line == '#') {
			if ((name = parse_not_set(line))) {
				struct cfg_assign *a = new_item(f);

				a->name = name;
				a->value = "n";
				a->not_set = 1;
				a->file = f->path;
				a->line = lineno;
			} else if (lineno == 1 && starts_with(line, "# Help:")) {
				char *h = line + 7;
				while (*h == ' ')
					h++;
				f->help = xstrdup(h);
			}
			continue;
		}
		if (!starts_with(line, "CONFIG_")) {
			quote_excerpt(excerpt, sizeof(excerpt), line);
			add_error(err, &nerr, path, lineno,
				  "not an assignment or comment: '%s'", excerpt);
			continue;
		}
		name = line + 7;
		for (e = name; is_name_char((unsigned char)*e); e++)
			;
		if (e == name || *e != '=') {
			quote_excerpt(excerpt, sizeof(excerpt), line);
			add_error(err, &nerr, path, lineno,
				  "malformed assignment '%s' (expected CONFIG_NAME=value)", excerpt);
			continue;
		}
		*e = '\0';
		value = e + 1;
		if ((problem = check_value(value))) {
			add_error(err, &nerr, path, lineno, "CONFIG_%s: %s", name, problem);
			continue;
		}
		{
			struct cfg_assign *a = new_item(f);

			a->name = name;
			a->value = value;
			a->file = f->path;
			a->line = lineno;
		}
	}
	if (nerr > MAX_REPORTED_ERRORS)
		strbuf_addf(err, "%s: error: %d more error%s not shown\n", path, nerr - MAX_REPORTED_ERRORS,
			    nerr - MAX_REPORTED_ERRORS == 1 ? "" : "s");
	if (!nerr)
		return 0;
fail:
	f->data = NULL;
	cfg_file_release(f);
	free(data);
	return -EINVAL;
}

int cfg_read(struct cfg_file *f, const char *path, const char *display, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *data;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = ends_with(path, ".gz") ? fs_read_gz_max(path, &sb, CFG_MAX_BYTES)
				     : fs_read_file_max(path, &sb, CFG_MAX_BYTES);
	if (ret == -EFBIG) {
		strbuf_addf(err, "%s: error: larger than %d MiB: not a configuration fragment\n", display,
			    CFG_MAX_BYTES >> 20);
		strbuf_release(&sb);
		return -EINVAL;
	}
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s\n", display, strerror(-ret));
		strbuf_release(&sb);
		return ret;
	}
	data = strbuf_detach(&sb, &len);
	return cfg_parse(f, display, data, len, err);
}

void cfg_file_release(struct cfg_file *f)
{
	free(f->path);
	free(f->help);
	free(f->data);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

/* ---- merge ---- */

void cfg_merge_init(struct cfg_merge *m)
{
	memset(m, 0, sizeof(*m));
	strmap_init(&m->map);
}

void cfg_merge_release(struct cfg_merge *m)
{
	for (size_t i = 0; i < m->nr; i++)
		free(m->order[i]);
	free(m->order);
	strmap_release(&m->map);
	memset(m, 0, sizeof(*m));
}

struct cfg_entry *cfg_merge_get(const struct cfg_merge *m, const char *name)
{
	return strmap_get(&m->map, name);
}

static int is_n(const char *v)
{
	return str_eq(v, "n");
}

static struct cfg_entry *entry_for(struct cfg_merge *m, const char *name)
{
	struct cfg_entry *e = strmap_get(&m->map, name);

	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->index = m->nr;
		e->cur.name = name;
		ALLOC_GROW(m->order, m->nr + 1, m->alloc);
		m->order[m->nr++] = e;
		strmap_put(&m->map, name, e);
	}
	return e;
}

void cfg_merge_add(struct cfg_merge *m, const struct cfg_file *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		const struct cfg_assign *a = &f->items[i];
		int fresh = !strmap_get(&m->map, a->name);
		struct cfg_entry *e = entry_for(m, a->name);

		if (!fresh && m->builtin_wins && str_eq(e->cur.value, "y") && str_eq(a->value, "m")) {
			if (!m->quiet)
				kb_diag(KB_NOTE, a->file, a->line,
					"CONFIG_%s=m ignored: builtin wins over module (was set to 'y' at %s:%d)",
					a->name, e->cur.file, e->cur.line);
			continue;
		}
		if (!fresh && !f->is_base && e->request && !str_eq(e->cur.value, a->value) &&
		    !(is_n(e->cur.value) && is_n(a->value))) {
			m->warnings++;
			if (!m->quiet)
				kb_diag(KB_WARNING, a->file, a->line,
					"CONFIG_%s redefined '%s' -> '%s' (was set at %s:%d)",
					a->name, e->cur.value, a->value, e->cur.file, e->cur.line);
		}
		e->cur = *a;
		e->cur.is_base = f->is_base;
		e->cur.seq = ++m->seq;
		if (f->is_base)
			e->base = a;
		else
			e->request = a;
	}
}

void cfg_merge_set_derived(struct cfg_merge *m, const char *name, const char *value)
{
	struct cfg_entry *e = entry_for(m, name);

	e->cur.value = value;
	e->cur.not_set = is_n(value);
	e->cur.seq = ++m->seq;
}

void cfg_format_line(struct strbuf *sb, const char *name, const char *value)
{
	if (is_n(value))
		strbuf_addf(sb, "# CONFIG_%s is not set", name);
	else
		strbuf_addf(sb, "CONFIG_%s=%s", name, value);
}

void cfg_merge_write(const struct cfg_merge *m, struct strbuf *out)
{
	strbuf_grow(out, m->nr * 40);
	for (size_t i = 0; i < m->nr; i++) {
		cfg_format_line(out, m->order[i]->cur.name, m->order[i]->cur.value);
		strbuf_addch(out, '\n');
	}
}

/* ---- plain lookups in one file ---- */

static void index_map(struct cfg_map *cm)
{
	strmap_init(&cm->map);
	for (size_t i = 0; i < cm->file.nr; i++)
		strmap_put(&cm->map, cm->file.items[i].name, &cm->file.items[i]);
}

int cfg_map_parse(struct cfg_map *cm, const char *path, char *data, size_t len, struct strbuf *err)
{
	int ret = cfg_parse(&cm->file, path, data, len, err);

	if (ret < 0) {
		strmap_init(&cm->map);
		return ret;
	}
	index_map(cm);
	return 0;
}

int cfg_map_read(struct cfg_map *cm, const char *path, struct strbuf *err)
{
	int ret = cfg_read(&cm->file, path, path, err);

	if (ret < 0) {
		strmap_init(&cm->map);
		return ret;
	}
	index_map(cm);
	return 0;
}

const char *cfg_map_value(const void *ctx, const char *name)
{
	const struct cfg_map *cm = ctx;
	const struct cfg_assign *a = strmap_get(&cm->map, name);

	return a ? a->value : NULL;
}

void cfg_map_release(struct cfg_map *cm)
{
	cfg_file_release(&cm->file);
	strmap_release(&cm->map);
}

/* ---- fragment names and profiles ---- */

static int resolve_one(struct fragment_list *list, const char *datadir, const char *arg,
		       const char *via, int depth, struct strbuf *err);

/* "file:line: error: " for a profile line, "kbuild: error: --config X: " for an argument. */
static void error_at(struct strbuf *err, const char *via)
{
	if (starts_with(via, "--"))
		strbuf_addf(err, "%s: error: %s: ", program_invocation_short_name, via);
	else
		strbuf_addf(err, "%s: error: ", via);
}

static int add_ref(struct fragment_list *list, const char *path, const char *display, const char *via,
		   struct strbuf *err)
{
	char *real = fs_realpath(path);

	if (!real) {
		strbuf_addf(err, "%s: error: cannot read: %s\n", display, strerror(errno));
		return -ENOENT;
	}
	for (size_t i = 0; i < list->nr; i++) {
		char *other = fs_realpath(list->items[i].path);
		int same = other && str_eq(other, real);

		free(other);
		if (same) {
			error_at(err, via);
			strbuf_addf(err, "fragment '%s' included twice (first from %s)\n",
				    display, list->items[i].via);
			free(real);
			return -EINVAL;
		}
	}
	free(real);
	ALLOC_GROW(list->items, list->nr + 1, list->alloc);
	list->items[list->nr].path = xstrdup(path);
	list->items[list->nr].display = xstrdup(display);
	list->items[list->nr].via = xstrdup(via);
	list->nr++;
	return 0;
}

static int expand_profile(struct fragment_list *list, const char *datadir, const char *path,
			  const char *display, int depth, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *s, *line, *save = NULL;
	int ret, lineno = 0;

	if (depth > 8) {
		strbuf_addf(err, "%s: error: profiles include each other in a loop\n", display);
		return -ELOOP;
	}
	ret = fs_read_file_max(path, &sb, CFG_MAX_BYTES);
	if (ret == -EFBIG) {
		strbuf_addf(err, "%s: error: larger than %d MiB: not a profile\n", display, CFG_MAX_BYTES >> 20);
		return -EINVAL;
	}
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s\n", display, strerror(-ret));
		return ret;
	}
	/* strtok would skip empty lines and lose the numbering: split by hand */
	for (s = sb.buf; s; s = save) {
		char *nl = strchr(s, '\n'), *e, *via;

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		line = s;
		while (isspace((unsigned char)*line))
			line++;
		if ((e = strchr(line, '#')))
			*e = '\0';
		e = line + strlen(line);
		while (e > line && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*line)
			continue;
		if (strpbrk(line, " \t\r")) {
			strbuf_addf(err, "%s:%d: error: one fragment or profile name per line: '%s'\n",
				    display, lineno, line);
			ret = -EINVAL;
			break;
		}
		via = xasprintf("%s:%d", display, lineno);
		{
			/* a file named in a profile is relative to the profile, not the cwd */
			char *dir = fs_dirname(path), *rel = NULL;
			int filelike = strchr(line, '/') || ends_with(line, ".config") || ends_with(line, ".profile");

			if (filelike && line[0] != '/') {
				rel = xasprintf("%s/%s", dir, line);
				if (!fs_is_file(rel)) {
					free(rel);
					rel = NULL;
				}
			}
			ret = resolve_one(list, datadir, rel ? rel : line, via, depth + 1, err);
			free(rel);
			free(dir);
		}
		free(via);
		if (ret < 0)
			break;
	}
	strbuf_release(&sb);
	return ret;
}

static int resolve_one(struct fragment_list *list, const char *datadir, const char *arg,
		       const char *via, int depth, struct strbuf *err)
{
	int has_slash = strchr(arg, '/') != NULL;
	int suffixed = ends_with(arg, ".config") || ends_with(arg, ".profile");

	/* NAME.config or NAME.profile without a directory: a file here first, then the shipped one */
	if (!has_slash && suffixed && !fs_is_file(arg) && datadir) {
		char *path = xasprintf("%s/%s", datadir, arg);
		char *display = xasprintf("kconfig-fragments/%s", arg);
		int found = fs_is_file(path), ret = 0;

		if (found)
			ret = ends_with(arg, ".profile") ? expand_profile(list, datadir, path, display, depth, err)
							 : add_ref(list, path, display, via, err);
		free(path);
		free(display);
		if (found)
			return ret;
	}
	if (!has_slash && !suffixed && datadir) {
		char *profile = xasprintf("%s/%s.profile", datadir, arg);
		char *frag = xasprintf("%s/%s.config", datadir, arg);
		/* on the command line a profile wins; inside a profile the fragment does */
		int use_profile = fs_is_file(profile) && (depth == 0 || !fs_is_file(frag));
		int found = 1, ret = 0;

		if (use_profile) {
			char *display = xasprintf("kconfig-fragments/%s.profile", arg);
			ret = expand_profile(list, datadir, profile, display, depth, err);
			free(display);
		} else if (fs_is_file(frag)) {
			char *display = xasprintf("kconfig-fragments/%s.config", arg);
			ret = add_ref(list, frag, display, via, err);
			free(display);
		} else {
			found = 0;
		}
		free(profile);
		free(frag);
		if (found)
			return ret; /* errors inside are already reported */
	}
	if (fs_is_file(arg)) {
		int ret = ends_with(arg, ".profile") ? expand_profile(list, datadir, arg, arg, depth, err)
						     : add_ref(list, arg, arg, via, err);
		return ret;
	}
	if (fs_is_dir(arg)) {
		error_at(err, via);
		strbuf_addf(err, "'%s' is a directory, not a fragment\n", arg);
		return -EINVAL;
	}
	error_at(err, via);
	strbuf_addf(err, "no fragment, profile or file named '%s' (see 'kbuild config --list')\n", arg);
	return -ENOENT;
}

int fragment_resolve(struct fragment_list *list, const char *datadir, const char *arg, struct strbuf *err)
{
	char *via = xasprintf("--config %s", arg);
	int ret = resolve_one(list, datadir, arg, via, 0, err);

	free(via);
	return ret;
}

void fragment_list_release(struct fragment_list *list)
{
	for (size_t i = 0; i < list->nr; i++) {
		free(list->items[i].path);
		free(list->items[i].display);
		free(list->items[i].via);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}
