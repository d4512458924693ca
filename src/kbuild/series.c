/* series.c - patch series: parse, check against the tree, apply as one transaction, ledger, unpatch, status */
#define _GNU_SOURCE
#include "series.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>
#include "fs.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "source.h"
#include "strmap.h"

/* ---- reading patches ---- */

static const struct {
	const char *suffix;
	const char *tool;
} decompressors[] = {
	{ ".bz2", "bzip2" }, { ".xz", "xz" }, { ".zst", "zstd" },
};

/* Read a patch, decompressing by suffix. 0 or -errno (message in err). */
static int read_patch(const char *path, struct strbuf *sb, struct strbuf *err)
{
	int ret;

	if (ends_with(path, ".gz")) {
		ret = fs_read_gz(path, sb);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(decompressors); i++) {
			if (!ends_with(path, decompressors[i].suffix))
				continue;
			if (!fs_is_file(path)) {
				ret = -ENOENT;
				goto fail;
			}
			{
				const char *argv[] = { decompressors[i].tool, "-dc", "--", path, NULL };
				struct run_cmd cmd = { .argv = argv, .out = sb };

				ret = run_command(&cmd);
			}
			if (ret == -ENOENT) {
				strbuf_addf(err, "%s: error: cannot decompress: '%s' is not installed\n", path,
					    decompressors[i].tool);
				return -ENOEXEC;
			}
			if (ret != 0) {
				strbuf_addf(err, "%s: error: '%s -dc' failed: corrupt or truncated\n", path,
					    decompressors[i].tool);
				return -EIO;
			}
			return 0;
		}
		ret = fs_read_file(path, sb);
	}
fail:
	if (ret < 0)
		strbuf_addf(err, "%s: error: cannot read: %s\n", path,
			    ret == -EIO ? "corrupt or truncated" : strerror(-ret));
	return ret;
}

static struct patch_file *new_patch(struct series *s)
{
	ALLOC_GROW(s->patches, s->nr + 1, s->alloc);
	memset(&s->patches[s->nr], 0, sizeof(s->patches[0]));
	s->patches[s->nr].strip = 1;
	return &s->patches[s->nr++];
}

static int load_patch_data(struct patch_file *p, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = read_patch(p->path, &sb, err);

	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	p->data = strbuf_detach(&sb, &p->len);
	sha256_hex(p->data, p->len, p->sha256);
	return patch_parse_paths(p, err);
}

/* Parse a quilt series file: names, -pN, -R, comments, blank lines. */
static int load_series_file(struct series *s, const char *dir, const char *file, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	int lineno = 0, ret;

	ret = fs_read_file(file, &sb);
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read: %s\n", file, strerror(-ret));
		return ret;
	}
	s->series_file = xstrdup(file);
	for (line = sb.buf; line; line = next) {
		char *nl = strchr(line, '\n'), *hash, *tok, *save = NULL;
		struct patch_file *p;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		/* quilt: '#' starts a comment at the start of a line or after blanks */
		for (hash = line; (hash = strchr(hash, '#')); hash++) {
			if (hash == line || isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		}
		tok = strtok_r(line, " \t\r", &save);
		if (!tok)
			continue;
		p = new_patch(s);
		p->name = xstrdup(tok);
		p->path = tok[0] == '/' ? xstrdup(tok) : xasprintf("%s/%s", dir, tok);
		p->series_file = s->series_file;
		p->line = lineno;
		while ((tok = strtok_r(NULL, " \t\r", &save))) {
			if (str_eq(tok, "-R")) {
				p->reverse = 1;
			} else if (tok[0] == '-' && tok[1] == 'p' && isdigit((unsigned char)tok[2]) && !tok[3]) {
				p->strip = tok[2] - '0';
			} else {
				strbuf_addf(err, "%s:%d: error: unknown option '%s' for %s (quilt knows -pN and -R)\n",
					    file, lineno, tok, p->name);
				ret = -EINVAL;
			}
		}
	}
	strbuf_release(&sb);
	if (!ret && !s->nr) {
		strbuf_addf(err, "%s: error: the series lists no patches\n", file);
		ret = -EINVAL;
	}
	for (size_t i = 0; !ret && i < s->nr; i++) {
		if (!fs_is_file(s->patches[i].path)) {
			strbuf_addf(err, "%s:%d: error: patch '%s' is missing\n", file, s->patches[i].line,
				    s->patches[i].name);
			ret = -ENOENT;
			break;
		}
		ret = load_patch_data(&s->patches[i], err);
		if (ret < 0) {
			strbuf_addf(err, "%s:%d: note: listed here\n", file, s->patches[i].line);
			break;
		}
	}
	return ret;
}

int series_load(struct series *s, const char *spec, const char *name, struct strbuf *err)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name ? name : spec);
	if (fs_is_dir(spec)) {
		/* a quilt directory, a Debian source package, an unpacked RT tarball */
		static const char *const subdirs[] = { "", "/debian/patches-rt", "/patches" };

		for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
			char *dir = xasprintf("%s%s", spec, subdirs[i]);
			char *file = xasprintf("%s/series", dir);
			int found = fs_is_file(file);

			ret = found ? load_series_file(s, dir, file, err) : 0;
			free(dir);
			free(file);
			if (found)
				return ret;
		}
		strbuf_addf(err, "%s: error: no 'series' file in this directory (nor in patches/ or debian/patches-rt/)\n",
			    spec);
		return -ENOENT;
	}
	if (!fs_is_file(spec)) {
		strbuf_addf(err, "%s: error: no such patch, series directory or tarball\n", spec);
		return -ENOENT;
	}
	{
		struct patch_file *p = new_patch(s);

		p->name = xstrdup(spec);
		p->path = xstrdup(spec);
		p->series_file = NULL;
		return load_patch_data(p, err);
	}
}

void series_release(struct series *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		struct patch_file *p = &s->patches[i];

		free(p->name);
		free(p->path);
		free(p->data);
		for (size_t j = 0; j < p->nr_files; j++)
			free(p->files[j]);
		free(p->files);
		for (size_t j = 0; j < p->nr_targets; j++) {
			free(p->targets[j].path);
			free(p->targets[j].other);
		}
		free(p->targets);
	}
	free(s->patches);
	free(s->name);
	free(s->series_file);
	memset(s, 0, sizeof(*s));
}

/* ---- what a patch touches ---- */

static void add_file(struct patch_file *p, const char *path)
{
	for (size_t i = 0; i < p->nr_files; i++)
		if (str_eq(p->files[i], path))
			return;
	ALLOC_GROW(p->files, p->nr_files + 1, p->alloc_files);
	p->files[p->nr_files++] = xstrdup(path);
}

/*
 * git's C-style quoting, as git and GNU patch read it: "caf\303\251.c" is
 * café.c. s points at the opening quote; *end after the closing one. NULL
 * and *why when the quoting is broken or the name holds a NUL byte.
 */
static char *unquote_c(const char *s, const char **end, const char **why)
{
	struct strbuf sb = STRBUF_INIT;

	for (s++; *s && *s != '"'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\') {
			s++;
			switch (*s) {
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'v': c = '\v'; break;
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			case '0': case '1': case '2': case '3':
				if (s[1] < '0' || s[1] > '7' || s[2] < '0' || s[2] > '7') {
					*why = "an octal escape needs three digits";
					goto bad;
				}
				c = (unsigned char)(((s[0] - '0') << 6) | ((s[1] - '0') << 3) | (s[2] - '0'));
				s += 2;
				if (!c) {
					*why = "a NUL byte in a file name";
					goto bad;
				}
				break;
			default:
				*why = "an unknown escape";
				goto bad;
			}
		}
		strbuf_addch(&sb, (char)c);
	}
	if (*s != '"') {
		*why = "no closing quote";
		goto bad;
	}
	*end = s + 1;
	return strbuf_detach(&sb, NULL);
bad:
	strbuf_release(&sb);
	return NULL;
}

/* The name in a ---/+++ line: up to a tab (timestamp) or the end; git may quote it. NULL and *why if bad. */
static char *header_name(const char *s, const char **why)
{
	const char *e;

	if (*s == '"')
		return unquote_c(s, &e, why);
	e = strchr(s, '\t');
	if (!e)
		e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\r'))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

/* Strip `n` leading components; NULL when there are not that many. */
static const char *strip_components(const char *name, int n)
{
	const char *s = name;

	for (int i = 0; i < n; i++) {
		const char *slash = strchr(s, '/');
		if (!slash)
			return NULL;
		s = slash + 1;
		while (*s == '/')
			s++;
	}
	return s;
}

/*
 * The two names of a "diff --git A B" line. Unquoted names may hold spaces:
 * like git, take the split where both sides name the same file after their
 * first component (a/ b/), else the only space; a rename with spaces leaves
 * both NULL, and ---/+++ lines must name the files.
 */
static int git_names(const char *s, char **a, char **b, const char **why)
{
	const char *end;
	size_t len;

	*a = *b = NULL;
	len = strlen(s);
	while (len && s[len - 1] == '\r')
		len--;
	if (*s == '"') {
		if (!(*a = unquote_c(s, &end, why)))
			return -EINVAL;
		if (*end != ' ')
			goto bad;
		end++;
		if (*end == '"') {
			if (!(*b = unquote_c(end, &end, why)))
				return -EINVAL;
		} else {
			*b = xstrndup(end, len - (size_t)(end - s));
		}
		return 0;
	}
	end = strstr(s, " \"");
	if (end) {
		*a = xstrndup(s, (size_t)(end - s));
		if (!(*b = unquote_c(end + 1, &end, why)))
			return -EINVAL;
		return 0;
	}
	for (const char *sp = s; (sp = memchr(sp, ' ', len - (size_t)(sp - s))); sp++) {
		char *x = xstrndup(s, (size_t)(sp - s)), *y = xstrndup(sp + 1, len - (size_t)(sp + 1 - s));
		const char *xs = strip_components(x, 1), *ys = strip_components(y, 1);

		if (xs && ys && str_eq(xs, ys)) {
			*a = x;
			*b = y;
			return 0;
		}
		free(x);
		free(y);
	}
	end = memchr(s, ' ', len);
	if (end && !memchr(end + 1, ' ', len - (size_t)(end + 1 - s))) {
		/* one space: a rename or copy between names without spaces */
		*a = xstrndup(s, (size_t)(end - s));
		*b = xstrndup(end + 1, len - (size_t)(end + 1 - s));
	}
	return 0;
bad:
	*why = "cannot tell the two names apart";
	return -EINVAL;
}

/* One file section of a patch: a "diff --git" header and what follows, or a ---/+++ pair. */
struct section {
	int line;               /* its first line */
	int git;
	int header;             /* still among git's extended header lines */
	char *git_old, *git_new;
	char *minus, *plus;     /* from ---/+++ */
	int minus_line, plus_line;
	int is_new, is_deleted, is_rename, is_copy;
	unsigned old_mode, new_mode;
	int hunks;
};

static void section_reset(struct section *sec)
{
	free(sec->git_old);
	free(sec->git_new);
	free(sec->minus);
	free(sec->plus);
	memset(sec, 0, sizeof(*sec));
}

/* The tree path of a raw name after -pN; NULL with an error in err. */
static char *tree_name(struct patch_file *p, const char *raw, int line, struct strbuf *err)
{
	const char *stripped = raw[0] == '/' ? raw : strip_components(raw, p->strip);

	if (!stripped || !*stripped) {
		strbuf_addf(err, "%s:%d: error: cannot strip %d components from '%s'\n", p->path, line, p->strip, raw);
		return NULL;
	}
	for (const char *c = stripped; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			strbuf_addf(err, "%s:%d: error: a control character in the file name '%s'\n", p->path, line,
				    raw);
			return NULL;
		}
	}
	return xstrdup(stripped);
}

static int add_target(struct patch_file *p, const struct section *sec, const char *raw, int line,
		      enum patch_op op, struct strbuf *err)
{
	struct patch_target *t;
	char *path = tree_name(p, raw, line, err);

	if (!path)
		return -EINVAL;
	add_file(p, path);
	ALLOC_GROW(p->targets, p->nr_targets + 1, p->alloc_targets);
	t = &p->targets[p->nr_targets++];
	memset(t, 0, sizeof(*t));
	t->path = path;
	t->line = line;
	t->op = op;
	if (op == PATCH_MODIFY || op == PATCH_CREATE) {
		t->new_mode = sec->new_mode;
		t->old_mode = sec->old_mode;
	}
	t->hunks = sec->hunks;
	return 0;
}

/* What the finished section does, as targets; errors for what GNU patch would drop or cannot do. */
static int section_finish(struct patch_file *p, struct section *sec, struct strbuf *err)
{
	const char *old = NULL, *new = NULL;
	int old_line = sec->line, new_line = sec->line, ret = 0;

	if (!sec->line)
		return 0;
	if (sec->minus && !str_eq(sec->minus, "/dev/null")) {
		old = sec->minus;
		old_line = sec->minus_line;
	} else if (sec->git && !sec->minus) {
		old = sec->git_old;
	}
	if (sec->plus && !str_eq(sec->plus, "/dev/null")) {
		new = sec->plus;
		new_line = sec->plus_line;
	} else if (sec->git && !sec->plus) {
		new = sec->git_new;
	}
	if (!sec->git) {
		/* a plain unified diff: /dev/null on one side creates or deletes */
		if (sec->minus && str_eq(sec->minus, "/dev/null") && new)
			ret = add_target(p, sec, new, new_line, PATCH_CREATE, err);
		else if (sec->plus && str_eq(sec->plus, "/dev/null") && old)
			ret = add_target(p, sec, old, old_line, PATCH_DELETE, err);
		else {
			if (old && new) {
				/* GNU patch picks one of the two names: both are staged, either may change */
				char *o = tree_name(p, old, old_line, err);

				if (!o)
					ret = -EINVAL;
				else
					add_file(p, o);
				free(o);
			}
			if (!ret && (new || old))
				ret = add_target(p, sec, new ? new : old, new ? new_line : old_line, PATCH_MODIFY, err);
			if (!ret && old && new)
				p->targets[p->nr_targets - 1].other = tree_name(p, old, old_line, err);
		}
		section_reset(sec);
		return ret;
	}
	if (!old || !new) {
		if ((!old && !sec->is_new) || (!new && !sec->is_deleted)) {
			strbuf_addf(err, "%s:%d: error: cannot tell the file names of this 'diff --git' header\n",
				    p->path, sec->line);
			section_reset(sec);
			return -EINVAL;
		}
	}
	if (sec->is_deleted) {
		ret = add_target(p, sec, old, old_line, PATCH_DELETE, err);
	} else if (sec->is_new) {
		ret = add_target(p, sec, new, new_line, PATCH_CREATE, err);
	} else if (sec->is_rename || sec->is_copy) {
		ret = add_target(p, sec, old, old_line, sec->is_rename ? PATCH_DELETE : PATCH_KEEP, err);
		if (!ret)
			ret = add_target(p, sec, new, new_line, PATCH_CREATE, err);
	} else if (!sec->hunks && !sec->new_mode) {
		const char *shown = strip_components(new, p->strip);

		strbuf_addf(err, "%s:%d: error: '%s': the 'diff --git' header carries no change\n", p->path,
			    sec->line, shown && *shown ? shown : new);
		ret = -EINVAL;
	} else {
		ret = add_target(p, sec, new, new_line, PATCH_MODIFY, err);
	}
	section_reset(sec);
	return ret;
}

/* "old mode 100644" and friends: the mode, or a refusal for what kbuild does not install. */
static int git_mode(struct patch_file *p, const char *s, int line, unsigned *mode, struct strbuf *err)
{
	char *e;
	unsigned long m;

	errno = 0;
	m = strtoul(s, &e, 8);
	while (*e == '\r')
		e++;
	if (errno || e == s || *e || m > 0177777) {
		strbuf_addf(err, "%s:%d: error: bad file mode '%s'\n", p->path, line, s);
		return -EINVAL;
	}
	if ((m & 0170000) != 0100000) {
		strbuf_addf(err, "%s:%d: error: mode %06lo: only regular files can be patched (not symlinks or "
			    "submodules)\n", p->path, line, m);
		return -EINVAL;
	}
	*mode = (unsigned)m;
	return 0;
}

/* A ---/+++ name into *dst (the raw, unstripped name). */
static int set_header_name(struct patch_file *p, const char *raw, int line, char **dst, int *dst_line,
			   struct strbuf *err)
{
	const char *why = NULL;
	char *name = header_name(raw, &why);

	if (!name) {
		strbuf_addf(err, "%s:%d: error: bad quoted file name: %s\n", p->path, line, why);
		return -EINVAL;
	}
	free(*dst);
	*dst = name;
	*dst_line = line;
	return 0;
}

int patch_parse_paths(struct patch_file *p, struct strbuf *err)
{
	char *copy = xstrndup(p->data, p->len), *line, *next;
	struct section sec = { 0 };
	long old_left = 0, new_left = 0;
	int lineno = 0, ret = 0;

	for (line = copy; line && !ret; line = next) {
		char *nl = strchr(line, '\n');

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		if (old_left > 0 || new_left > 0) {
			/* inside a hunk: count its lines instead of guessing from their text */
			if (line[0] == ' ' || line[0] == '\0') {
				old_left--;
				new_left--;
			} else if (line[0] == '-') {
				old_left--;
			} else if (line[0] == '+') {
				new_left--;
			} else if (line[0] != '\\') {
				old_left = new_left = 0;
			}
			continue;
		}
		if (starts_with(line, "@@ -")) {
			long b = 1, d = 1;
			const char *s = line + 4;
			char *e;

			strtol(s, &e, 10);
			if (*e == ',')
				b = strtol(e + 1, &e, 10);
			if (strncmp(e, " +", 2) == 0) {
				strtol(e + 2, &e, 10);
				if (*e == ',')
					d = strtol(e + 1, &e, 10);
				old_left = b;
				new_left = d;
				if (sec.line) {
					sec.hunks++;
					sec.header = 0;
				}
			}
			continue;
		}
		if (starts_with(line, "diff --git ")) {
			const char *why = NULL;

			if ((ret = section_finish(p, &sec, err)) < 0)
				break;
			sec.line = lineno;
			sec.git = sec.header = 1;
			if (git_names(line + 11, &sec.git_old, &sec.git_new, &why) < 0) {
				strbuf_addf(err, "%s:%d: error: bad 'diff --git' header: %s\n", p->path, lineno, why);
				ret = -EINVAL;
			}
			continue;
		}
		if (starts_with(line, "GIT binary patch") ||
		    (starts_with(line, "Binary files ") && (ends_with(line, " differ") || ends_with(line, " differ\r")))) {
			strbuf_addf(err, "%s:%d: error: a binary patch%s: kbuild cannot apply it\n", p->path, lineno,
				    line[0] == 'G' ? "" : " without its data");
			ret = -EINVAL;
			break;
		}
		if ((starts_with(line, "--- ") && next && starts_with(next, "+++ ")) || starts_with(line, "+++ ")) {
			int minus = line[0] == '-';
			/* a new section, unless the name belongs to the git header or the --- just before */
			int fresh = minus ? !sec.git || sec.minus || sec.plus || sec.hunks : !sec.line || sec.hunks;

			if (fresh) {
				if ((ret = section_finish(p, &sec, err)) < 0)
					break;
				sec.line = lineno;
			}
			sec.header = 0;
			ret = set_header_name(p, line + 4, lineno, minus ? &sec.minus : &sec.plus,
					      minus ? &sec.minus_line : &sec.plus_line, err);
			continue;
		}
		if (!sec.git || !sec.header)
			continue;
		/* git's extended header lines */
		if (starts_with(line, "new file mode ")) {
			sec.is_new = 1;
			ret = git_mode(p, line + 14, lineno, &sec.new_mode, err);
		} else if (starts_with(line, "deleted file mode ")) {
			sec.is_deleted = 1;
			ret = git_mode(p, line + 18, lineno, &sec.old_mode, err);
		} else if (starts_with(line, "old mode ")) {
			ret = git_mode(p, line + 9, lineno, &sec.old_mode, err);
		} else if (starts_with(line, "new mode ")) {
			ret = git_mode(p, line + 9, lineno, &sec.new_mode, err);
		} else if (starts_with(line, "rename from ") || starts_with(line, "copy from ")) {
			sec.is_rename |= line[0] == 'r';
			sec.is_copy |= line[0] == 'c';
		} else if (starts_with(line, "rename to ") || starts_with(line, "copy to ") ||
			   starts_with(line, "similarity index ") || starts_with(line, "dissimilarity index ") ||
			   starts_with(line, "index ")) {
			/* like GNU patch: the names come from the diff --git line, which -pN strips */
		} else {
			sec.header = 0;
		}
	}
	if (!ret)
		ret = section_finish(p, &sec, err);
	section_reset(&sec);
	free(copy);
	if (!ret && !p->nr_files) {
		strbuf_addf(err, "%s: error: not a patch: no '--- '/'+++ ' file headers found\n", p->path);
		ret = -EINVAL;
	}
	return ret;
}

/* ---- paths that leave the tree ---- */

/* Why `path` would leave `tree` (NULL: it stays inside); `tree` NULL checks the text alone. */
static const char *unsafe_reason(const char *tree, const char *path, struct strbuf *where)
{
	char *copy, *s, *full;
	struct stat st;
	const char *why = NULL;
	int first = 1;

	if (path[0] == '/')
		return "absolute path";
	if (!path[0])
		return "empty path";
	copy = xstrdup(path);
	for (s = strtok(copy, "/"); s; s = strtok(NULL, "/")) {
		if (str_eq(s, "..")) {
			why = "'..' component";
			break;
		}
		if (first && str_eq(s, LEDGER_DIR)) {
			why = "kbuild's own state directory";
			break;
		}
		first &= str_eq(s, ".");
	}
	free(copy);
	for (const char *c = path; !why && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			why = "a control character";
	if (why || !tree)
		return why;
	/* every existing prefix must be a real directory, and the file itself not a symlink */
	copy = xstrdup(path);
	for (s = copy; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			full = xasprintf("%s/%s", tree, copy);
			if (lstat(full, &st) < 0) {
				free(full);
				break;
			}
			free(full);
			if (S_ISLNK(st.st_mode)) {
				strbuf_addstr(where, copy);
				why = c ? "goes through a symlink" : "is a symlink";
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(copy);
	return why;
}

int patch_check_paths(const struct series *s, const char *tree, struct strbuf *err)
{
	int bad = 0;

	for (size_t i = 0; i < s->nr; i++) {
		const struct patch_file *p = &s->patches[i];

		for (size_t j = 0; j < p->nr_files; j++) {
			struct strbuf where = STRBUF_INIT;
			const char *why = unsafe_reason(tree, p->files[j], &where);

			if (!why)
				continue;
			bad++;
			if (p->series_file)
				strbuf_addf(err, "%s:%d: error: %s writes outside the tree: '%s': %s%s%s\n",
					    p->series_file, p->line, p->name, p->files[j], why,
					    where.len ? " at " : "", where.buf);
			else
				strbuf_addf(err, "%s: error: writes outside the tree: '%s': %s%s%s\n", p->path,
					    p->files[j], why, where.len ? " at " : "", where.buf);
			strbuf_release(&where);
		}
	}
	return bad ? -EPERM : 0;
}

/*
 * Tests kill the process at named points with KBUILD_CRASH_AT=NAME or
 * NAME:N (N files into a loop): the same as a kill -9 or a power cut there.
 */
static void crash_point(const char *name, size_t n)
{
	const char *at = getenv("KBUILD_CRASH_AT");
	size_t len = strlen(name);

	if (!at || strncmp(at, name, len) != 0)
		return;
	if (at[len] == '\0' || (at[len] == ':' && strtoul(at + len + 1, NULL, 10) == n))
		kill(getpid(), SIGKILL);
}

/* ---- the ledger ---- */

struct ledger_patch {
	char sha256[SHA256_HEX];
	int strip, reverse;
	char *where;  /* series-file:line */
	char *name;
};

struct ledger_file {
	char kind;    /* 'M': existed before, 'N': new */
	unsigned mode;
	char sha256[SHA256_HEX]; /* after the series, or "-" when the series deletes it */
	char *path;
	int line;     /* in the ledger, for messages */
};

struct ledger {
	char *series;
	struct ledger_patch *patches;
	size_t nr_patches, alloc_patches;
	struct ledger_file *files;
	size_t nr_files, alloc_files;
	char **dirs;  /* directories the series created, parents first */
	int *dir_lines;
	size_t nr_dirs, alloc_dirs, alloc_dir_lines;
};

static void ledger_release(struct ledger *l)
{
	free(l->series);
	for (size_t i = 0; i < l->nr_patches; i++) {
		free(l->patches[i].where);
		free(l->patches[i].name);
	}
	free(l->patches);
	for (size_t i = 0; i < l->nr_files; i++)
		free(l->files[i].path);
	free(l->files);
	for (size_t i = 0; i < l->nr_dirs; i++)
		free(l->dirs[i]);
	free(l->dirs);
	free(l->dir_lines);
	memset(l, 0, sizeof(*l));
}

static void ledger_write(const struct ledger *l, struct strbuf *sb)
{
	strbuf_addf(sb, "kbuild-patches\t1\nseries\t%s\n", l->series);
	for (size_t i = 0; i < l->nr_patches; i++)
		strbuf_addf(sb, "patch\t%s\t%d\t%d\t%s\t%s\n", l->patches[i].sha256, l->patches[i].strip,
			    l->patches[i].reverse, l->patches[i].where, l->patches[i].name);
	for (size_t i = 0; i < l->nr_dirs; i++)
		strbuf_addf(sb, "dir\t%s\n", l->dirs[i]);
	for (size_t i = 0; i < l->nr_files; i++)
		strbuf_addf(sb, "file\t%c\t%o\t%s\t%s\n", l->files[i].kind, l->files[i].mode, l->files[i].sha256,
			    l->files[i].path);
}

/* Split a line into tab-separated fields in place; the count, or max + 1 when there are more. */
static int split_tabs(char *line, char **f, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return max + 1;
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			return n;
		*line++ = '\0';
	}
}

/* The ledger is as untrusted as any input: a tree can ship a .kbuild-patches of its own. */
#define LEDGER_MAX (64u << 20)

static int is_sha256(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isdigit((unsigned char)s[n]) && !(s[n] >= 'a' && s[n] <= 'f'))
			return 0;
	return n == SHA256_HEX - 1;
}

/* Printable text without tabs or line breaks (names shown to the user). */
static int is_text(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int ledger_err(struct strbuf *err, const char *shown, int line, const char *fmt, ...) KB_PRINTF(4, 5);
static int ledger_err(struct strbuf *err, const char *shown, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_diag_vaddf(err, KB_ERROR, shown, line, fmt, ap);
	va_end(ap);
	strbuf_addch(err, '\n');
	return -EINVAL;
}

/* One line of the ledger, checked field by field. */
static int ledger_line(struct ledger *l, char *line, const char *shown, int lineno, struct strbuf *err)
{
	static const struct {
		const char *kind;
		int fields;
	} kinds[] = { { "series", 2 }, { "patch", 6 }, { "dir", 2 }, { "file", 5 } };
	char *f[8];
	int n = split_tabs(line, f, 7), want = 0;
	struct strbuf where = STRBUF_INIT;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (str_eq(f[0], kinds[i].kind))
			want = kinds[i].fields;
	if (!want)
		return ledger_err(err, shown, lineno, "unknown line '%.40s'", is_text(f[0]) ? f[0] : "?");
	if (n != want)
		return ledger_err(err, shown, lineno, "'%s' line with %s%d fields, expected %d", f[0],
				  n > want ? "more than " : "", n > want ? want : n, want);
	if (str_eq(f[0], "series")) {
		if (l->series)
			return ledger_err(err, shown, lineno, "a second 'series' line");
		if (!is_text(f[1]))
			return ledger_err(err, shown, lineno, "bad series name");
		l->series = xstrdup(f[1]);
	} else if (str_eq(f[0], "patch")) {
		struct ledger_patch *p;

		if (!is_sha256(f[1]))
			return ledger_err(err, shown, lineno, "bad sha256 '%.70s': not 64 hex digits",
					  is_text(f[1]) ? f[1] : "?");
		if (!isdigit((unsigned char)f[2][0]) || f[2][1])
			return ledger_err(err, shown, lineno, "bad strip count '%.20s': not 0..9",
					  is_text(f[2]) ? f[2] : "?");
		if (!str_eq(f[3], "0") && !str_eq(f[3], "1"))
			return ledger_err(err, shown, lineno, "bad reverse flag '%.20s': not 0 or 1",
					  is_text(f[3]) ? f[3] : "?");
		if (!is_text(f[4]) || !is_text(f[5]))
			return ledger_err(err, shown, lineno, "bad patch name");
		ALLOC_GROW(l->patches, l->nr_patches + 1, l->alloc_patches);
		p = &l->patches[l->nr_patches++];
		memcpy(p->sha256, f[1], SHA256_HEX);
		p->strip = f[2][0] - '0';
		p->reverse = f[3][0] - '0';
		p->where = xstrdup(f[4]);
		p->name = xstrdup(f[5]);
	} else if (str_eq(f[0], "dir")) {
		if ((why = unsafe_reason(NULL, f[1], &where)))
			return ledger_err(err, shown, lineno, "path leaves the tree: '%.200s': %s",
					  is_text(f[1]) ? f[1] : "?", why);
		ALLOC_GROW(l->dirs, l->nr_dirs + 1, l->alloc_dirs);
		ALLOC_GROW(l->dir_lines, l->nr_dirs + 1, l->alloc_dir_lines);
		l->dir_lines[l->nr_dirs] = lineno;
		l->dirs[l->nr_dirs++] = xstrdup(f[1]);
	} else {
		struct ledger_file *lf;
		unsigned long mode;
		char *e;

		if ((f[1][0] != 'M' && f[1][0] != 'N') || f[1][1])
			return ledger_err(err, shown, lineno, "bad file kind '%.20s': not M or N",
					  is_text(f[1]) ? f[1] : "?");
		mode = strtoul(f[2], &e, 8);
		if (!isdigit((unsigned char)f[2][0]) || *e || strlen(f[2]) > 4 || mode > 07777 ||
		    (f[1][0] == 'N' && mode))
			return ledger_err(err, shown, lineno, "bad mode '%.20s': not octal 0..7777 (0 for a new file)",
					  is_text(f[2]) ? f[2] : "?");
		if (!is_sha256(f[3]) && !str_eq(f[3], "-"))
			return ledger_err(err, shown, lineno, "bad sha256 '%.70s': not 64 hex digits or '-'",
					  is_text(f[3]) ? f[3] : "?");
		if ((why = unsafe_reason(NULL, f[4], &where)))
			return ledger_err(err, shown, lineno, "path leaves the tree: '%.200s': %s",
					  is_text(f[4]) ? f[4] : "?", why);
		for (size_t i = 0; i < l->nr_files; i++)
			if (str_eq(l->files[i].path, f[4]))
				return ledger_err(err, shown, lineno, "'%s' is listed twice (first on line %d)", f[4],
						  l->files[i].line);
		ALLOC_GROW(l->files, l->nr_files + 1, l->alloc_files);
		lf = &l->files[l->nr_files++];
		lf->kind = f[1][0];
		lf->mode = (unsigned)mode;
		memcpy(lf->sha256, f[3], strlen(f[3]) + 1);
		lf->path = xstrdup(f[4]);
		lf->line = lineno;
	}
	return 0;
}

/*
 * Read a ledger (`shown` names it in messages) and check every field before
 * anything acts on it: paths (no absolute, "..", control characters or
 * kbuild's own directory), hashes, modes, counts. 0, or -EINVAL (bad
 * content) / -errno (cannot read) with "shown:line: error: ..." in err.
 */
static int ledger_read(struct ledger *l, const char *path, const char *shown, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next;
	int ret = 0, lineno = 0;
	struct stat st;

	memset(l, 0, sizeof(*l));
	if (lstat(path, &st) < 0) {
		strbuf_addf(err, "%s: error: cannot read the ledger: %s\n", shown, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode))
		return ledger_err(err, shown, 0, "the ledger is not a regular file");
	if (st.st_size > LEDGER_MAX)
		return ledger_err(err, shown, 0, "the ledger is larger than %u MiB", LEDGER_MAX >> 20);
	ret = fs_read_file(path, &sb);
	if (ret < 0) {
		strbuf_addf(err, "%s: error: cannot read the ledger: %s\n", shown, strerror(-ret));
		return ret;
	}
	if (sb.len > LEDGER_MAX)
		ret = ledger_err(err, shown, 0, "the ledger is larger than %u MiB", LEDGER_MAX >> 20);
	else if (!starts_with(sb.buf, "kbuild-patches\t1\n"))
		ret = ledger_err(err, shown, 1, "not a kbuild patch ledger");
	for (line = sb.buf + (ret ? sb.len : 17), lineno = 1; !ret && line < sb.buf + sb.len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(sb.buf + sb.len - line));

		lineno++;
		if (!nl) {
			ret = ledger_err(err, shown, lineno, "truncated line (no newline at its end)");
			break;
		}
		*nl = '\0';
		next = nl + 1;
		if (strlen(line) != (size_t)(nl - line)) {
			ret = ledger_err(err, shown, lineno, "a NUL byte");
			break;
		}
		ret = ledger_line(l, line, shown, lineno, err);
	}
	strbuf_release(&sb);
	if (!ret && !l->series)
		ret = ledger_err(err, shown, 0, "the ledger names no series");
	if (ret)
		ledger_release(l);
	return ret;
}

/*
 * The ledger against the tree as it is now: no path through a symlink, no
 * file that is not a regular one, every saved original a regular file under
 * `origdir` (NULL: not needed). Nothing is touched when this fails.
 */
static int ledger_check_tree(const struct ledger *l, const char *tree, const char *origdir, const char *shown,
			     struct strbuf *err)
{
	int bad = 0;

	for (size_t i = 0; i < l->nr_files + l->nr_dirs; i++) {
		int is_dir = i >= l->nr_files;
		const char *path = is_dir ? l->dirs[i - l->nr_files] : l->files[i].path;
		int line = is_dir ? l->dir_lines[i - l->nr_files] : l->files[i].line;
		struct strbuf where = STRBUF_INIT;
		const char *why = unsafe_reason(tree, path, &where);
		struct stat st;
		char *full;

		if (why) {
			bad += ledger_err(err, shown, line, "path leaves the tree: '%s': %s%s%s", path, why,
					  where.len ? " at " : "", where.buf) < 0;
			strbuf_release(&where);
			continue;
		}
		full = xasprintf("%s/%s", tree, path);
		if (lstat(full, &st) == 0 && (is_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
			bad += ledger_err(err, shown, line, "'%s' is not a %s in the tree", path,
					  is_dir ? "directory" : "regular file") < 0;
		free(full);
		if (is_dir || l->files[i].kind != 'M' || !origdir)
			continue;
		why = unsafe_reason(origdir, path, &where);
		full = xasprintf("%s/%s", origdir, path);
		if (why)
			bad += ledger_err(err, shown, line, "the saved original of '%s' %s%s%s", path,
					  str_eq(why, "is a symlink") ? "is a symlink" : "is reached through a symlink",
					  where.len && !str_eq(why, "is a symlink") ? " at " : "",
					  str_eq(why, "is a symlink") ? "" : where.buf) < 0;
		else if (lstat(full, &st) < 0)
			bad += ledger_err(err, shown, line, "the saved original of '%s' is missing", path) < 0;
		else if (!S_ISREG(st.st_mode))
			bad += ledger_err(err, shown, line, "the saved original of '%s' is not a regular file", path) < 0;
		free(full);
		strbuf_release(&where);
	}
	return bad ? -EINVAL : 0;
}

/* ---- file moves ---- */

static int mkdir_parents(const char *path)
{
	char *dir = fs_dirname(path);
	int ret = fs_is_dir(dir) ? 0 : fs_mkdir_p(dir, 0755);

	free(dir);
	return ret;
}

/* Copy src to dst (dst's directory created), with mode; through a temporary and rename. */
static int copy_file(const char *src, const char *dst, unsigned mode)
{
	struct strbuf sb = STRBUF_INIT;
	char *tmp;
	int ret = fs_read_file(src, &sb), fd;

	if (ret < 0)
		goto out;
	if ((ret = mkdir_parents(dst)) < 0)
		goto out;
	tmp = xasprintf("%s.kbuild-tmp", dst);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		goto out;
	}
	for (size_t off = 0; off < sb.len;) {
		ssize_t n = write(fd, sb.buf + off, sb.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!ret && fchmod(fd, mode & 07777) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, dst) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
out:
	strbuf_release(&sb);
	return ret;
}

/* Put the tree back as the ledger says it was: originals restored, new files and dirs removed. */
static int rollback(const char *tree, const char *origdir, const struct ledger *l, struct strbuf *err)
{
	int failed = 0;

	for (size_t i = 0; i < l->nr_files; i++) {
		const struct ledger_file *f = &l->files[i];
		char *dst = xasprintf("%s/%s", tree, f->path);
		int ret;

		if (f->kind == 'M') {
			char *src = xasprintf("%s/%s", origdir, f->path);

			ret = copy_file(src, dst, f->mode);
			if (ret < 0) {
				strbuf_addf(err, "%s: error: cannot restore '%s': %s\n", tree, f->path, strerror(-ret));
				failed++;
			}
			free(src);
		} else if (unlink(dst) < 0 && errno != ENOENT) {
			strbuf_addf(err, "%s: error: cannot remove '%s': %s\n", tree, f->path, strerror(errno));
			failed++;
		}
		free(dst);
		crash_point("rollback", i + 1);
	}
	for (size_t i = l->nr_dirs; i-- > 0;) {
		char *d = xasprintf("%s/%s", tree, l->dirs[i]);
		rmdir(d); /* only when empty: the user may have added files */
		free(d);
	}
	return failed ? -EIO : 0;
}

/* ---- running GNU patch ---- */

struct patch_result {
	int status;            /* patch's exit code, or -errno */
	struct strbuf out;
	struct strbuf check;   /* it exited 0, but did not do what the patch says: path:line: error: ... */
	int fuzz_or_offset;
};

static void run_patch(const char *workdir, const struct patch_file *p, const char *file, int reverse,
		      int strict, const char *rej, struct patch_result *r)
{
	char strip[16];
	const char *argv[20];
	/* POSIXLY_CORRECT, even empty, would switch patch to POSIX rules (no git file creation) */
	const char *env[] = { "PATCH_GET=0", "QUOTING_STYLE=literal", NULL };
	struct run_cmd cmd = { .argv = argv, .env = env, .merge_err = 1 };
	int n = 0;

	strbuf_init(&r->out, 0);
	strbuf_init(&r->check, 0);
	cmd.out = &r->out;
	snprintf(strip, sizeof(strip), "-p%d", p->strip);
	argv[n++] = "patch";
	argv[n++] = "-d";
	argv[n++] = workdir;
	argv[n++] = strip;
	if (reverse)
		argv[n++] = "-R";
	argv[n++] = "--forward";
	argv[n++] = "--batch";
	argv[n++] = "--no-backup-if-mismatch";
	argv[n++] = "-r";
	argv[n++] = rej;
	if (strict)
		argv[n++] = "--fuzz=0";
	argv[n++] = "-i";
	argv[n++] = file;
	argv[n] = NULL;
	r->status = run_command(&cmd);
	r->fuzz_or_offset = strstr(r->out.buf, " with fuzz ") != NULL || strstr(r->out.buf, "(offset ") != NULL;
}

static void result_release(struct patch_result *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->check);
}

/* ---- the transaction ---- */


struct txn {
	const struct patch_opts *o;
	char *tree;        /* absolute: GNU patch runs with -d */
	const char *show;  /* the tree as the user named it, for messages */
	char *ledger_dir;  /* TREE/.kbuild-patches */
	char *txn_dir;     /* .../txn */
	char *work;        /* .../txn/work: the files as the series leaves them */
	char *orig;        /* .../txn/orig: the files as they were */
	char **files;      /* union of the series' paths, in first-seen order */
	size_t nr_files, alloc_files;
	struct strmap seen;
	int fuzzy;         /* hunks applied with fuzz or offset */
};

static void txn_add_file(struct txn *t, const char *path)
{
	char *copy;

	if (strmap_get(&t->seen, path))
		return;
	copy = xstrdup(path);
	strmap_put(&t->seen, copy, copy);
	ALLOC_GROW(t->files, t->nr_files + 1, t->alloc_files);
	t->files[t->nr_files++] = copy;
}

static void txn_release(struct txn *t)
{
	for (size_t i = 0; i < t->nr_files; i++)
		free(t->files[i]);
	free(t->files);
	strmap_release(&t->seen);
	free(t->tree);
	free(t->ledger_dir);
	free(t->txn_dir);
	free(t->work);
	free(t->orig);
}

static void txn_init(struct txn *t, const struct patch_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->o = o;
	t->tree = fs_realpath(o->tree);
	if (!t->tree)
		t->tree = xstrdup(o->tree);
	t->show = o->tree;
	strmap_init(&t->seen);
	t->ledger_dir = xasprintf("%s/" LEDGER_DIR, t->tree);
	t->txn_dir = xasprintf("%s/txn", t->ledger_dir);
	t->work = xasprintf("%s/work", t->txn_dir);
	t->orig = xasprintf("%s/orig", t->txn_dir);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Copy the series' files from `from` into `dir` (missing ones stay missing). */
static int stage_files(struct txn *t, const char *from, const char *dir, struct strbuf *err)
{
	for (size_t i = 0; i < t->nr_files; i++) {
		char *src = xasprintf("%s/%s", from, t->files[i]);
		char *dst = xasprintf("%s/%s", dir, t->files[i]);
		struct stat st;
		int ret = 0;

		if (lstat(src, &st) == 0) {
			if (!S_ISREG(st.st_mode)) {
				strbuf_addf(err, "%s: error: '%s' is not a regular file; refusing to patch it\n",
					    t->show, t->files[i]);
				ret = -EPERM;
			} else {
				ret = copy_file(src, dst, st.st_mode & 07777);
				if (ret < 0)
					strbuf_addf(err, "%s: error: cannot copy '%s': %s\n", t->show, t->files[i],
						    strerror(-ret));
			}
		}
		free(src);
		free(dst);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The patch file GNU patch reads: the original, or the decompressed text written into the txn. */
static char *patch_input(struct txn *t, const struct patch_file *p, size_t i)
{
	char *path;

	if (!ends_with(p->path, ".gz") && !ends_with(p->path, ".bz2") && !ends_with(p->path, ".xz") &&
	    !ends_with(p->path, ".zst"))
		return p->path[0] == '/' ? xstrdup(p->path) : fs_realpath(p->path);
	path = xasprintf("%s/p%04zu.patch", t->txn_dir, i);
	if (fs_write_atomic(path, p->data, p->len, NULL) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

static void report_failure(const struct patch_file *p, const struct patch_result *r, const char *rej)
{
	const char *output = r->out.buf;
	struct strbuf rtext = STRBUF_INIT;
	int lines = 0;

	if (p->series_file)
		kb_diag(KB_ERROR, p->series_file, p->line, "%s does not apply", p->name);
	else
		kb_diag(KB_ERROR, p->path, 0, "does not apply");
	fputs(r->check.buf, stderr);
	for (const char *s = output; *s;) {
		const char *nl = strchr(s, '\n');
		size_t full = nl ? (size_t)(nl - s) : strlen(s), n = full;
		/* where patch saved the rejects is our staging area: not the user's business */
		const char *saving = memmem(s, n, "saving rejects to file", 22);

		if (saving) {
			n = (size_t)(saving - s);
			while (n && (s[n - 1] == ' ' || s[n - 1] == '-'))
				n--;
		}
		if (n)
			fprintf(stderr, "    %.*s\n", (int)n, s);
		s += full + (nl ? 1 : 0);
	}
	if (fs_read_file(rej, &rtext) == 0 && rtext.len) {
		fprintf(stderr, "    reject:\n");
		for (const char *s = rtext.buf; *s && lines < 40; lines++) {
			const char *nl = strchr(s, '\n');
			size_t n = nl ? (size_t)(nl - s) : strlen(s);

			fprintf(stderr, "    | %.*s\n", (int)n, s);
			s += n + (nl ? 1 : 0);
		}
		if (lines == 40)
			fprintf(stderr, "    | ...\n");
	}
	strbuf_release(&rtext);
}

/* ---- did the patch do what it says? ---- */

struct fstate {
	int exists;
	unsigned mode;
	char sha256[SHA256_HEX];
};

static void fstate_get(const char *dir, const char *path, struct fstate *f)
{
	char *full = xasprintf("%s/%s", dir, path);
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (lstat(full, &st) == 0) {
		f->exists = 1;
		f->mode = st.st_mode;
		if (!S_ISREG(st.st_mode) || sha256_file(full, f->sha256) < 0)
			strcpy(f->sha256, "?");
	}
	free(full);
}

static int fstate_differ(const struct fstate *a, const struct fstate *b)
{
	return a->exists != b->exists || a->mode != b->mode || !str_eq(a->sha256, b->sha256);
}

/* Before the patch runs: the state of each file it names (two per target: path, other). */
static struct fstate *targets_before(const struct patch_file *p, const char *dir)
{
	struct fstate *f = xcalloc(2 * p->nr_targets + 1, sizeof(*f));

	for (size_t i = 0; i < p->nr_targets; i++) {
		fstate_get(dir, p->targets[i].path, &f[2 * i]);
		if (p->targets[i].other)
			fstate_get(dir, p->targets[i].other, &f[2 * i + 1]);
	}
	return f;
}

/*
 * GNU patch exited 0: check that every file the patch names was created,
 * changed or removed as its headers say (a name kbuild read differently from
 * GNU patch, or a form GNU patch skips, must not pass as success).
 */
static int check_targets(const struct patch_file *p, const char *dir, int reverse, const struct fstate *before,
			 struct strbuf *err)
{
	int bad = 0;

	for (size_t i = 0; i < p->nr_targets; i++) {
		const struct patch_target *tg = &p->targets[i];
		const struct fstate *was = &before[2 * i];
		enum patch_op op = tg->op;
		unsigned mode = reverse ? tg->old_mode : tg->new_mode;
		struct fstate now, other = { 0 };
		int later = 0;

		for (size_t j = i + 1; j < p->nr_targets; j++)
			later |= str_eq(p->targets[j].path, tg->path);
		if (later)
			continue; /* a later section of the same patch has the last word on this file */
		if (reverse && (op == PATCH_CREATE || op == PATCH_DELETE))
			op = op == PATCH_CREATE ? PATCH_DELETE : PATCH_CREATE;
		fstate_get(dir, tg->path, &now);
		if (tg->other)
			fstate_get(dir, tg->other, &other);
		bad++;
		if (now.exists && !S_ISREG(now.mode))
			strbuf_addf(err, "%s:%d: error: '%s' is not a regular file after the patch\n", p->path, tg->line,
				    tg->path);
		else if (op == PATCH_CREATE && !now.exists)
			strbuf_addf(err, "%s:%d: error: '%s' is a new file in the patch, but it was not created\n",
				    p->path, tg->line, tg->path);
		else if (op == PATCH_CREATE && was->exists && !reverse)
			strbuf_addf(err, "%s:%d: error: '%s' is a new file in the patch, but it exists already "
				    "(GNU patch overwrites it)\n", p->path, tg->line, tg->path);
		else if (op == PATCH_DELETE && now.exists)
			strbuf_addf(err, "%s:%d: error: '%s' is deleted by the patch, but it is still there\n", p->path,
				    tg->line, tg->path);
		else if (op == PATCH_KEEP && !now.exists)
			strbuf_addf(err, "%s:%d: error: '%s' is the source of a copy, but it is gone\n", p->path,
				    tg->line, tg->path);
		else if (op == PATCH_MODIFY && !now.exists && !other.exists)
			strbuf_addf(err, "%s:%d: error: '%s' is patched, but it is gone\n", p->path, tg->line,
				    tg->path);
		else if (op == PATCH_MODIFY && !fstate_differ(was, &now) && !(tg->other && fstate_differ(&before[2 * i + 1], &other)))
			strbuf_addf(err, "%s:%d: error: '%s' is patched, but it was not changed\n", p->path, tg->line,
				    tg->path);
		else if (mode && now.exists && (now.mode & 0100) != (mode & 0100))
			strbuf_addf(err, "%s:%d: error: '%s' should have mode %06o, but has %06o\n", p->path, tg->line,
				    tg->path, mode, now.mode);
		else
			bad--;
	}
	return bad ? -EPROTO : 0;
}

/* Files in `dir` (the staging area) that no patch of the series names: GNU patch wrote where kbuild did not look. */
static int find_strays(struct txn *t, const char *dir, const char *rel, const struct patch_file *p,
		       struct strbuf *err)
{
	char *full = rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	DIR *d = opendir(full);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		free(full);
		return 0;
	}
	while ((de = readdir(d))) {
		char *sub, *path;
		struct stat st;

		if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
			continue;
		sub = rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		path = xasprintf("%s/%s", full, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (find_strays(t, dir, sub, p, err) < 0)
				ret = -EPROTO;
		} else if (!strmap_get(&t->seen, sub)) {
			strbuf_addf(err, "%s: error: GNU patch wrote '%s', which no header of the patch names\n",
				    p->path, sub);
			ret = -EPROTO;
		}
		free(sub);
		free(path);
	}
	closedir(d);
	free(full);
	return ret;
}

/* Apply the series in `dir`; reverse runs it backwards with -R toggled. Returns the failing index or -1. */
static long apply_in(struct txn *t, const struct series *s, const char *dir, int reverse, int quiet,
		     struct patch_result *fail)
{
	char *rej = xasprintf("%s/reject", t->txn_dir);

	for (size_t k = 0; k < s->nr; k++) {
		size_t i = reverse ? s->nr - 1 - k : k;
		const struct patch_file *p = &s->patches[i];
		char *input = patch_input(t, p, i);
		struct patch_result r;
		struct fstate *before;

		if (!input) {
			kb_error("cannot prepare '%s'", p->name);
			free(rej);
			return (long)i;
		}
		if (!quiet)
			kb_progress("PATCH", "%s", p->name);
		unlink(rej);
		crash_point("stage", k + 1);
		before = targets_before(p, dir);
		run_patch(dir, p, input, p->reverse ^ reverse, t->o->strict, rej, &r);
		free(input);
		if (r.status == 0 && (check_targets(p, dir, p->reverse ^ reverse, before, &r.check) < 0 ||
				      find_strays(t, dir, NULL, p, &r.check) < 0))
			r.status = -EPROTO;
		free(before);
		if (r.status != 0) {
			*fail = r;
			free(rej);
			return (long)i;
		}
		if (r.fuzz_or_offset && !quiet) {
			t->fuzzy++;
			for (const char *l = r.out.buf; (l = strstr(l, "Hunk #")); l++) {
				const char *nl = strchr(l, '\n');
				if (strstr(l, "succeeded") && (!nl || strstr(l, "succeeded") < nl))
					kb_diag(KB_NOTE, p->series_file ? p->series_file : p->path, p->line,
						"%s: %.*s", p->name, nl ? (int)(nl - l) : (int)strlen(l), l);
			}
		}
		result_release(&r);
	}
	free(rej);
	return -1;
}

/* Build the ledger from the staged before/after states. */
static void build_ledger(struct txn *t, const struct series *s, const char *before, const char *after,
			 struct ledger *l)
{
	memset(l, 0, sizeof(*l));
	l->series = xstrdup(s->name);
	for (size_t i = 0; i < s->nr; i++) {
		const struct patch_file *p = &s->patches[i];
		struct ledger_patch *lp;

		ALLOC_GROW(l->patches, l->nr_patches + 1, l->alloc_patches);
		lp = &l->patches[l->nr_patches++];
		memcpy(lp->sha256, p->sha256, sizeof(lp->sha256));
		lp->strip = p->strip;
		lp->reverse = p->reverse;
		lp->where = p->series_file ? xasprintf("%s:%d", p->series_file, p->line) : xstrdup(p->path);
		lp->name = xstrdup(p->name);
	}
	for (size_t i = 0; i < t->nr_files; i++) {
		char *b = xasprintf("%s/%s", before, t->files[i]);
		char *a = xasprintf("%s/%s", after, t->files[i]);
		struct ledger_file *f;
		struct stat st;

		ALLOC_GROW(l->files, l->nr_files + 1, l->alloc_files);
		f = &l->files[l->nr_files++];
		f->path = xstrdup(t->files[i]);
		if (lstat(b, &st) == 0) {
			f->kind = 'M';
			f->mode = st.st_mode & 07777;
		} else {
			f->kind = 'N';
			f->mode = 0;
		}
		if (sha256_file(a, f->sha256) < 0)
			strcpy(f->sha256, "-");
		free(a);
		free(b);
	}
}

/* Directories the commit must create in the tree, parents first. */
static void plan_dirs(struct txn *t, struct ledger *l)
{
	for (size_t i = 0; i < l->nr_files; i++) {
		char *p;

		if (str_eq(l->files[i].sha256, "-"))
			continue;
		p = xstrdup(l->files[i].path);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			char *full;
			int known = 0;

			*s = '\0';
			full = xasprintf("%s/%s", t->tree, p);
			for (size_t d = 0; d < l->nr_dirs; d++)
				known |= str_eq(l->dirs[d], p);
			if (!known && !path_exists(full)) {
				ALLOC_GROW(l->dirs, l->nr_dirs + 1, l->alloc_dirs);
				l->dirs[l->nr_dirs++] = xstrdup(p);
			}
			free(full);
			*s = '/';
		}
		free(p);
	}
}

static int write_text(const char *path, const struct strbuf *sb)
{
	int ret = fs_write_atomic(path, sb->buf, sb->len, NULL);
	return ret < 0 ? ret : 0;
}

/* Read a ledger of this tree and check it against the tree; origdir holds the saved originals. */
static int ledger_load(struct txn *t, struct ledger *l, const char *path, const char *origdir, struct strbuf *err)
{
	char *shown = xasprintf("%s%s", t->show, path + strlen(t->tree));
	int ret = ledger_read(l, path, shown, err);

	if (!ret && (ret = ledger_check_tree(l, t->tree, origdir, shown, err)) < 0)
		ledger_release(l);
	free(shown);
	return ret;
}

/* kbuild's state directories must be real directories: a symlink would carry reads and removals elsewhere. */
static int state_check(struct txn *t, struct strbuf *err)
{
	static const char *const sub[] = { "", "/orig", "/txn", "/txn/work", "/txn/orig" };
	int bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		char *full = xasprintf("%s%s", t->ledger_dir, sub[i]);
		struct stat st;

		if (lstat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
			strbuf_addf(err, "%s/" LEDGER_DIR "%s: error: %s, not a directory: kbuild's state cannot be "
				    "trusted\n", t->show, sub[i], S_ISLNK(st.st_mode) ? "a symlink" : "a file");
			bad++;
		}
		free(full);
	}
	return bad ? -EINVAL : 0;
}

/*
 * Bring an interrupted run back to a consistent state: an apply that had not
 * committed is discarded, one that had is rolled back (or finished, if its
 * ledger is written), an interrupted unpatch is finished.
 */
static int recover(struct txn *t, struct strbuf *err)
{
	char *state = xasprintf("%s/STATE", t->txn_dir);
	char *ledger_path = xasprintf("%s/ledger", t->ledger_dir);
	char *unpatch = xasprintf("%s/UNPATCH", t->ledger_dir);
	char *final_orig = xasprintf("%s/orig", t->ledger_dir);
	int ret = 0;

	if (fs_is_dir(t->txn_dir)) {
		if (fs_is_file(state) && !path_exists(ledger_path)) {
			struct ledger l;
			char *planned = xasprintf("%s/ledger", t->txn_dir);

			const char *origdir = fs_is_dir(t->orig) ? t->orig : final_orig;

			ret = ledger_load(t, &l, planned, origdir, err);
			if (ret == 0) {
				ret = rollback(t->tree, origdir, &l, err);
				ledger_release(&l);
			}
			free(planned);
			if (ret == 0) {
				kb_warning("an earlier run was interrupted while patching '%s': rolled it back", t->show);
				fs_remove_tree(final_orig);
			}
		}
		if (ret == 0)
			ret = fs_remove_tree(t->txn_dir);
	}
	if (ret == 0 && fs_is_file(unpatch)) {
		struct ledger l;

		ret = ledger_load(t, &l, ledger_path, final_orig, err);
		if (ret == 0) {
			ret = rollback(t->tree, final_orig, &l, err);
			ledger_release(&l);
		}
		if (ret == 0) {
			kb_warning("an earlier --unpatch of '%s' was interrupted: finished it", t->show);
			ret = fs_remove_tree(t->ledger_dir);
		}
	}
	if (ret == 0 && fs_is_dir(t->ledger_dir) && !path_exists(ledger_path))
		ret = fs_remove_tree(t->ledger_dir); /* nothing was committed */
	free(state);
	free(ledger_path);
	free(unpatch);
	free(final_orig);
	return ret;
}

static int same_series(const struct ledger *l, const struct series *s)
{
	if (l->nr_patches != s->nr)
		return 0;
	for (size_t i = 0; i < s->nr; i++)
		if (!str_eq(l->patches[i].sha256, s->patches[i].sha256))
			return 0;
	return 1;
}

static void sync_tree(const char *tree)
{
	int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
}

/* Move the staged result into the tree. The STATE file is the point of no return. */
static int commit(struct txn *t, struct ledger *l, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	char *path = xasprintf("%s/ledger", t->txn_dir), *state = xasprintf("%s/STATE", t->txn_dir);
	char *final_orig = xasprintf("%s/orig", t->ledger_dir), *final_ledger = xasprintf("%s/ledger", t->ledger_dir);
	int ret;

	ledger_write(l, &text);
	if ((ret = write_text(path, &text)) < 0)
		goto out;
	/* the staged copies must be on disk before the point of no return: power loss, not just kill -9 */
	sync_tree(t->tree);
	crash_point("before-state", 0);
	strbuf_reset(&text);
	strbuf_addstr(&text, "commit\n");
	if ((ret = write_text(state, &text)) < 0)
		goto out;
	crash_point("after-state", 0);
	for (size_t i = 0; i < l->nr_dirs && !ret; i++) {
		char *d = xasprintf("%s/%s", t->tree, l->dirs[i]);
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			ret = -errno;
		free(d);
	}
	for (size_t i = 0; i < l->nr_files && !ret; i++) {
		char *src = xasprintf("%s/%s", t->work, l->files[i].path);
		char *dst = xasprintf("%s/%s", t->tree, l->files[i].path);

		if (!str_eq(l->files[i].sha256, "-")) {
			if (rename(src, dst) < 0)
				ret = -errno;
		} else if (unlink(dst) < 0 && errno != ENOENT) {
			ret = -errno;
		}
		if (ret)
			strbuf_addf(err, "%s: error: cannot install '%s': %s\n", t->show, l->files[i].path,
				    strerror(-ret));
		free(src);
		free(dst);
		crash_point("commit", i + 1);
	}
	crash_point("before-orig", 0);
	if (!ret && rename(t->orig, final_orig) < 0)
		ret = -errno;
	strbuf_reset(&text);
	ledger_write(l, &text);
	sync_tree(t->tree);
	crash_point("before-ledger", 0);
	if (!ret)
		ret = write_text(final_ledger, &text);
	crash_point("after-ledger", 0);
	if (!ret)
		fs_remove_tree(t->txn_dir);
out:
	if (ret && !err->len)
		strbuf_addf(err, "%s: error: cannot commit the series: %s\n", t->show, strerror(-ret));
	strbuf_release(&text);
	free(path);
	free(state);
	free(final_orig);
	free(final_ledger);
	return ret;
}

/* Does the whole series apply backwards to the tree? (staged in txn/orig; the tree is not touched) */
static int reverse_applies(struct txn *t, const struct series *s)
{
	struct strbuf err = STRBUF_INIT;
	struct patch_result r;
	int ok = 0;

	fs_remove_tree(t->orig);
	if (stage_files(t, t->tree, t->orig, &err) == 0) {
		if (apply_in(t, s, t->orig, 1, 1, &r) < 0)
			ok = 1;
		else
			result_release(&r);
	}
	strbuf_release(&err);
	return ok;
}

/* The tree already carries the series (by hand, or quilt): record a ledger without touching it. */
static int adopt(struct txn *t, const struct series *s, struct strbuf *err)
{
	struct patch_result r;
	struct ledger l;
	struct strbuf text = STRBUF_INIT;
	char *ledger_path = xasprintf("%s/ledger", t->ledger_dir), *final_orig = xasprintf("%s/orig", t->ledger_dir);
	int ret = -1;

	fs_remove_tree(t->orig);
	if (stage_files(t, t->tree, t->orig, err) < 0)
		goto out;
	if (apply_in(t, s, t->orig, 1, 1, &r) >= 0) {
		result_release(&r);
		goto out;
	}
	build_ledger(t, s, t->orig, t->tree, &l);
	ledger_write(&l, &text);
	ledger_release(&l);
	if (rename(t->orig, final_orig) == 0 && write_text(ledger_path, &text) == 0) {
		fs_remove_tree(t->txn_dir);
		ret = 0;
	}
out:
	strbuf_release(&text);
	free(ledger_path);
	free(final_orig);
	return ret;
}

static enum kb_status do_apply(struct txn *t, const struct series *s)
{
	struct strbuf err = STRBUF_INIT;
	struct patch_result r;
	struct ledger l;
	long failed;
	enum kb_status st = KB_OK;

	for (size_t i = 0; i < s->nr; i++)
		for (size_t j = 0; j < s->patches[i].nr_files; j++)
			txn_add_file(t, s->patches[i].files[j]);
	if (fs_mkdir_p(t->work, 0755) < 0 || fs_mkdir_p(t->orig, 0755) < 0) {
		kb_error("cannot create '%s': %s", t->txn_dir, strerror(errno));
		return KB_EENV;
	}
	if (stage_files(t, t->tree, t->work, &err) < 0) {
		fputs(err.buf, stderr);
		st = KB_FAILED;
		goto out;
	}
	failed = apply_in(t, s, t->work, 0, 0, &r);
	if (failed >= 0) {
		char *last = xasprintf("%s/reject", t->txn_dir), *kept = xasprintf("%s/reject.forward", t->txn_dir);

		rename(last, kept); /* the reverse check below writes its own */
		free(last);
		free(kept);
		/* maybe the tree already carries it: applied by hand or by quilt */
		if (t->o->dry_run && reverse_applies(t, s)) {
			printf("kbuild: %s is already applied to %s (found by reverse-checking; no ledger); "
			       "--dry-run: nothing changed\n", s->name, t->show);
			result_release(&r);
			goto out;
		}
		if (!t->o->dry_run && adopt(t, s, &err) == 0) {
			kb_progress("LEDGER", "recorded the series found in the tree");
			printf("kbuild: %s is already applied to %s (found by reverse-checking; no ledger was there, "
			       "one is recorded now)\n", s->name, t->show);
			result_release(&r);
			goto out;
		}
		{
			char *rej = xasprintf("%s/reject.forward", t->txn_dir);
			report_failure(&s->patches[failed], &r, rej);
			free(rej);
		}
		result_release(&r);
		printf("kbuild: %s does not apply to %s: patch %ld of %zu fails; the tree is unchanged%s\n", s->name,
		       t->show, failed + 1, s->nr,
		       t->o->strict ? " (--strict: fuzz is off; it may apply without --strict)" : "");
		st = KB_FAILED;
		goto out;
	}
	if (t->o->strict && t->fuzzy) {
		printf("kbuild: --strict: %d patches apply only with fuzz or offset; the tree is unchanged\n", t->fuzzy);
		st = KB_FAILED;
		goto out;
	}
	if (stage_files(t, t->tree, t->orig, &err) < 0) {
		fputs(err.buf, stderr);
		st = KB_EENV;
		goto out;
	}
	build_ledger(t, s, t->orig, t->work, &l);
	plan_dirs(t, &l);
	if (t->o->dry_run) {
		printf("kbuild: %s applies cleanly to %s (%zu patches, %zu files%s); --dry-run: nothing changed\n",
		       s->name, t->show, s->nr, l.nr_files, t->fuzzy ? ", some with fuzz or offset" : "");
		ledger_release(&l);
		goto out;
	}
	kb_progress("COMMIT", "%zu files", l.nr_files);
	if (commit(t, &l, &err) < 0) {
		fputs(err.buf, stderr);
		st = KB_EENV;
	} else {
		printf("kbuild: applied %s to %s: %zu patch%s, %zu file%s%s\n", s->name, t->show, s->nr,
		       s->nr == 1 ? "" : "es", l.nr_files, l.nr_files == 1 ? "" : "s",
		       t->fuzzy ? " (some hunks with fuzz or offset, see the notes)" : "");
	}
	ledger_release(&l);
	strbuf_release(&err);
	return st;
out:
	/* nothing was committed: leave no trace in the tree */
	{
		char *ledger_path = xasprintf("%s/ledger", t->ledger_dir);

		if (path_exists(ledger_path))
			fs_remove_tree(t->txn_dir);
		else
			fs_remove_tree(t->ledger_dir);
		free(ledger_path);
	}
	strbuf_release(&err);
	return st;
}

/* A ledger that fails its checks is bad input (exit 2), one that cannot be read is the machine's (exit 3). */
static enum kb_status untrusted(struct txn *t, int ret)
{
	if (ret != -EINVAL)
		return KB_EENV;
	kb_error("refusing to act on kbuild's state in '%s': it does not hold what kbuild writes; nothing was changed",
		 t->show);
	return KB_EUSAGE;
}

static enum kb_status do_unpatch(struct txn *t)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	char *ledger_path = xasprintf("%s/ledger", t->ledger_dir), *marker = xasprintf("%s/UNPATCH", t->ledger_dir);
	char *final_orig = xasprintf("%s/orig", t->ledger_dir);
	enum kb_status st = KB_OK;
	struct ledger l;
	int ret;

	if (!path_exists(ledger_path)) {
		printf("kbuild: no series is applied to %s (no ledger); nothing to unpatch\n", t->show);
		goto out;
	}
	ret = ledger_load(t, &l, ledger_path, final_orig, &err);
	if (ret < 0) {
		fputs(err.buf, stderr);
		st = untrusted(t, ret);
		goto out;
	}
	if (!t->o->force) {
		size_t changed = 0;

		for (size_t i = 0; i < l.nr_files; i++) {
			char *p = xasprintf("%s/%s", t->tree, l.files[i].path);
			char sha[SHA256_HEX];
			int gone = sha256_file(p, sha) < 0;

			if (gone ? !str_eq(l.files[i].sha256, "-") : !str_eq(sha, l.files[i].sha256)) {
				if (!changed++)
					kb_error("files in '%s' changed since the series was applied; "
						 "--unpatch would discard those edits:", t->show);
				fprintf(stderr, "    %s\n", l.files[i].path);
			}
			free(p);
		}
		if (changed) {
			fprintf(stderr, "    (save them, or run 'kbuild patch --tree %s --unpatch --force')\n", t->show);
			ledger_release(&l);
			st = KB_FAILED;
			goto out;
		}
	}
	strbuf_addstr(&text, "unpatch\n");
	if (write_text(marker, &text) < 0 || rollback(t->tree, final_orig, &l, &err) < 0 ||
	    fs_remove_tree(t->ledger_dir) < 0) {
		fputs(err.buf, stderr);
		kb_error("cannot unpatch '%s'; the next run finishes the job", t->show);
		st = KB_EENV;
	} else {
		kb_progress("UNPATCH", "%zu patches, %zu files", l.nr_patches, l.nr_files);
		printf("kbuild: removed %s from %s: %zu files restored\n", l.series, t->show, l.nr_files);
	}
	ledger_release(&l);
out:
	strbuf_release(&err);
	strbuf_release(&text);
	free(ledger_path);
	free(marker);
	free(final_orig);
	return st;
}

static enum kb_status do_status(struct txn *t)
{
	struct strbuf err = STRBUF_INIT;
	char *ledger_path = xasprintf("%s/ledger", t->ledger_dir);
	enum kb_status st = KB_OK;
	struct ledger l;
	size_t changed = 0;

	{
		char *marker = xasprintf("%s/UNPATCH", t->ledger_dir);
		int interrupted = fs_is_file(marker);

		free(marker);
		if (interrupted) {
			printf("%s: an interrupted --unpatch left the tree half restored; the next run finishes it\n",
			       t->show);
			free(ledger_path);
			return KB_FAILED;
		}
	}
	if (fs_is_dir(t->txn_dir) || !path_exists(ledger_path)) {
		if (fs_is_dir(t->ledger_dir) && !path_exists(ledger_path)) {
			printf("%s: an interrupted kbuild patch run left state behind; the next run repairs it\n",
			       t->show);
			st = KB_FAILED;
		} else if (fs_is_dir(t->txn_dir)) {
			printf("%s: an interrupted kbuild patch run left state behind; the next run repairs it\n",
			       t->show);
			st = KB_FAILED;
		} else {
			printf("%s: no series applied\n", t->show);
		}
		free(ledger_path);
		return st;
	}
	{
		char *final_orig = xasprintf("%s/orig", t->ledger_dir);
		int ret = ledger_load(t, &l, ledger_path, final_orig, &err);

		free(final_orig);
		if (ret < 0) {
			fputs(err.buf, stderr);
			free(ledger_path);
			strbuf_release(&err);
			return untrusted(t, ret);
		}
	}
	printf("%s: %s\n", t->show, l.series);
	printf("applied: %zu patches\n", l.nr_patches);
	for (size_t i = 0; i < l.nr_patches; i++)
		printf("  %s\n", l.patches[i].name);
	for (size_t i = 0; i < l.nr_files; i++) {
		char *p = xasprintf("%s/%s", t->tree, l.files[i].path);
		char sha[SHA256_HEX];
		int gone = sha256_file(p, sha) < 0;

		if (gone ? !str_eq(l.files[i].sha256, "-") : !str_eq(sha, l.files[i].sha256)) {
			if (!changed++)
				printf("changed since the series was applied:\n");
			printf("  %s%s\n", l.files[i].path, gone ? " (deleted)" : "");
		}
		free(p);
	}
	if (changed) {
		printf("tree: %zu of %zu patched files differ from the ledger\n", changed, l.nr_files);
		st = KB_FAILED;
	} else {
		printf("tree: matches the ledger (%zu files)\n", l.nr_files);
	}
	ledger_release(&l);
	free(ledger_path);
	strbuf_release(&err);
	return st;
}

enum kb_status patch_run(const struct patch_opts *o)
{
	struct source_opts so = { .tree = o->tree, .spec = o->spec, .patchdir = o->patchdir,
				  .scriptdir = o->scriptdir, .override = o->source, .verbose = o->verbose,
				  .guard = o->guard };
	struct series_source src = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct series s = { 0 };
	struct txn t;
	enum kb_status st = KB_OK;
	int lockfd;
	char *ledger_path;

	if (!fs_is_dir(o->tree)) {
		kb_error("kernel tree '%s': %s", o->tree, access(o->tree, F_OK) ? strerror(errno) : "not a directory");
		return KB_EENV;
	}
	if (!run_have_program("patch")) {
		kb_error("cannot run 'patch': not installed (apt-get install patch)");
		return KB_EENV;
	}
	txn_init(&t, o);
	lockfd = open(o->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		kb_error("cannot lock '%s': %s", o->tree, strerror(errno));
		st = KB_EENV;
		goto out;
	}
	if (state_check(&t, &err) < 0) {
		fputs(err.buf, stderr);
		st = untrusted(&t, -EINVAL);
		goto out;
	}
	if (o->status) {
		st = do_status(&t);
		goto out;
	}
	{
		int ret = recover(&t, &err);

		if (ret < 0) {
			fputs(err.buf, stderr);
			if (ret == -EINVAL) {
				st = untrusted(&t, ret);
			} else {
				kb_error("cannot repair '%s' after an interrupted run", o->tree);
				st = KB_EENV;
			}
			goto out;
		}
	}
	if (o->unpatch) {
		st = do_unpatch(&t);
		goto out;
	}
	so.cachedir = source_cache_dir();
	{
		int ret = source_resolve(&so, &src, &err);

		if (ret < 0) {
			fputs(err.buf, stderr);
			/* a checksum mismatch is a failed check; the rest is bad input or no source */
			st = ret == -EBADMSG ? KB_FAILED : ret == -ENOENT || ret == -EINVAL ? KB_EUSAGE : KB_EENV;
			if (ret == -ENOTDIR)
				st = KB_EENV;
			goto out;
		}
	}
	if (!src.spec) {
		printf("kbuild: nothing to apply: %s\n", src.why_none);
		goto out;
	}
	{
		int ret = series_load(&s, src.spec, src.name, &err);

		if (ret < 0) {
			fputs(err.buf, stderr);
			st = ret == -ENOEXEC ? KB_EENV : KB_EUSAGE; /* a missing xz/zstd/bzip2 is the machine's */
			goto out;
		}
	}
	if (patch_check_paths(&s, o->tree, &err) < 0) {
		fputs(err.buf, stderr);
		printf("kbuild: refused %s: it would write outside %s; the tree is unchanged\n", s.name, o->tree);
		st = KB_FAILED;
		goto out;
	}
	ledger_path = xasprintf("%s/ledger", t.ledger_dir);
	if (path_exists(ledger_path)) {
		struct ledger l;

		char *final_orig = xasprintf("%s/orig", t.ledger_dir);
		int ret = ledger_load(&t, &l, ledger_path, final_orig, &err);

		free(final_orig);
		if (ret < 0) {
			fputs(err.buf, stderr);
			st = untrusted(&t, ret);
		} else if (same_series(&l, &s)) {
			printf("kbuild: %s: already applied to %s\n", s.name, o->tree);
		} else {
			kb_error("'%s' carries another series (%s); run 'kbuild patch --tree %s --unpatch' first",
				 o->tree, l.series, o->tree);
			st = KB_FAILED;
		}
		if (ret == 0)
			ledger_release(&l);
		free(ledger_path);
		goto out;
	}
	free(ledger_path);
	st = do_apply(&t, &s);
out:
	if (lockfd >= 0)
		close(lockfd);
	series_release(&s); /* also after a partial load */
	series_source_release(&src);
	free((char *)so.cachedir);
	txn_release(&t);
	strbuf_release(&err);
	return st;
}

int patch_applied(const char *tree, struct applied_series *out)
{
	struct strbuf err = STRBUF_INIT;
	struct ledger l;
	char *path = xasprintf("%s/%s/ledger", tree, LEDGER_DIR);
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!path_exists(path))
		goto done;
	ret = ledger_read(&l, path, path, &err);
	if (ret < 0)
		goto done;
	out->series = xstrdup(l.series);
	out->nr = l.nr_patches;
	out->patches = xcalloc(l.nr_patches ? l.nr_patches : 1, sizeof(*out->patches));
	for (size_t i = 0; i < l.nr_patches; i++) {
		out->patches[i].name = xstrdup(l.patches[i].name);
		memcpy(out->patches[i].sha256, l.patches[i].sha256, SHA256_HEX);
	}
	ledger_release(&l);
done:
	strbuf_release(&err);
	free(path);
	return ret;
}

void applied_series_release(struct applied_series *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->patches[i].name);
	free(a->patches);
	free(a->series);
	memset(a, 0, sizeof(*a));
}

/* ---- the patch stage of the pipeline ---- */

int patch_stage_check(struct kb_job *job)
{
	const struct patch_opts *p = &job->o->patch;
	struct source_opts so = { .spec = p->spec, .patchdir = p->patchdir, .override = p->source };
	struct strbuf err = STRBUF_INIT;
	int st = KB_OK;

	if (!p->spec)
		return KB_OK;
	if (source_check_spec(&so, &err) < 0) {
		fputs(err.buf, stderr);
		st = KB_EUSAGE;
	} else if (!run_have_program("patch")) {
		kb_error("cannot run 'patch': not installed (apt-get install patch)");
		st = KB_EENV;
	}
	strbuf_release(&err);
	return st;
}

int patch_stage(struct kb_job *job)
{
	struct patch_opts *p = &job->o->patch;
	int st = KB_OK;

	if (p->spec) {
		p->tree = job->o->tree ? job->o->tree : job->meta.tree;
		p->guard = job->o->guard;
		st = patch_run(p);
	} else {
		job->skipped = 1;
	}
	if (patch_applied(job->meta.tree, &job->meta.series) < 0)
		kb_warning("cannot read the patch ledger of '%s'", job->meta.tree);
	return st;
}
