/* doctor.c - prerequisites from the tree's own minimal-requirements table, headers, disk and memory, install command */
#define _GNU_SOURCE
#include "doctor.h"
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "fragment.h"
#include "fs.h"
#include "job.h"
#include "log.h"
#include "run.h"
#include "source.h"

/* ---- the table ---- */

struct text_line {
	const char *s;
	size_t len; /* without the newline and a trailing CR */
};

static struct text_line *split_lines(const char *text, size_t *nr)
{
	struct text_line *l = NULL;
	size_t n = 0, alloc = 0;
	const char *p = text;

	while (*p) {
		const char *e = strchrnul(p, '\n');

		ALLOC_GROW(l, n + 1, alloc);
		l[n].s = p;
		l[n].len = (size_t)(e - p);
		if (l[n].len && p[l[n].len - 1] == '\r')
			l[n].len--;
		n++;
		p = *e ? e + 1 : e;
	}
	*nr = n;
	return l;
}

static int is_blank(const struct text_line *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!isspace((unsigned char)l->s[i]))
			return 0;
	return 1;
}

/* Trim blanks on both sides of s[0..len); returns the new length, moves *s. */
static size_t trim(const char **s, size_t len)
{
	while (len && isspace((unsigned char)**s)) {
		(*s)++;
		len--;
	}
	while (len && isspace((unsigned char)(*s)[len - 1]))
		len--;
	return len;
}

/*
 * Columns of a reStructuredText simple-table rule ("=====  ====  ====="):
 * where each run of '=' starts and ends, at most `max` stored. 0 if the
 * line is not a rule (a section underline is a rule of one column).
 */
static size_t rule_columns(const struct text_line *l, size_t *starts, size_t *ends, size_t max)
{
	size_t n = 0;

	if (!l->len || l->s[0] != '=')
		return 0;
	for (size_t i = 0; i < l->len; i++) {
		if (l->s[i] == '=') {
			if (i == 0 || l->s[i - 1] == ' ') {
				if (n < max)
					starts[n] = i;
				n++;
			}
			if (n <= max && (i + 1 == l->len || l->s[i + 1] != '='))
				ends[n - 1] = i + 1;
		} else if (l->s[i] != ' ') {
			return 0;
		}
	}
	return n;
}

static int is_rule(const struct text_line *l)
{
	size_t s, e;

	return rule_columns(l, &s, &e, 1) > 0;
}

/* The first rule at or after line `from`, or `nr`. */
static size_t next_rule(const struct text_line *l, size_t nr, size_t from)
{
	while (from < nr && !is_rule(&l[from]))
		from++;
	return from;
}

/* Does the line put text between two columns (where the rule has blanks)? */
static int crosses_column(const struct text_line *l, const size_t *starts, const size_t *ends, size_t ncols)
{
	for (size_t i = 0; i + 1 < ncols; i++)
		for (size_t c = ends[i]; c < starts[i + 1] && c < l->len; c++)
			if (l->s[c] != ' ')
				return 1;
	return 0;
}

/* The program name as the reader sees it: "Sphinx\ [#f1]_" -> "Sphinx" (footnote references dropped). */
static char *clean_name(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end = s + len;

	while (s < end) {
		const char *ref = s[0] == '\\' && s + 2 < end && s[1] == ' ' && s[2] == '[' ? s + 2 : s;

		if (ref[0] == '[' && ref + 1 < end && ref[1] == '#') {
			const char *close = memchr(ref, ']', (size_t)(end - ref));

			if (close && close + 1 < end && close[1] == '_') {
				s = close + 2;
				continue;
			}
		}
		strbuf_addch(&sb, *s++);
	}
	while (sb.len && isspace((unsigned char)sb.buf[sb.len - 1]))
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

static void add_row(struct req_table *t, const char *prog, size_t plen, const char *ver, size_t vlen,
		    const char *cmd, size_t clen, int line)
{
	struct req_row *r;

	ALLOC_GROW(t->rows, t->nr + 1, t->alloc);
	r = &t->rows[t->nr++];
	r->program = clean_name(prog, plen);
	r->version = xstrndup(ver, vlen);
	r->command = xstrndup(cmd, clen);
	r->line = line;
}

static void append_field(char **field, const char *s, size_t len)
{
	char *joined;

	if (!len)
		return;
	joined = **field ? xasprintf("%s %.*s", *field, (int)len, s) : xstrndup(s, len);
	free(*field);
	*field = joined;
}

/* Cell `i` of a table line, trimmed: from its rule column to the next one (the last runs to the end). */
static size_t cell(const struct text_line *l, const size_t *cols, size_t ncols, size_t i, const char **out)
{
	size_t from = cols[i], to = i + 1 < ncols ? cols[i + 1] : l->len;

	if (to > l->len)
		to = l->len;
	if (from >= to) {
		*out = "";
		return 0;
	}
	*out = l->s + from;
	return trim(out, to - from);
}

#define MAX_COLUMNS 8

/*
 * The first simple table of three or more columns: rule, optional header
 * and rule, rows, rule. 1 when found, 0 when the text has none, -1 with
 * *eline and msg set when it is malformed.
 */
static int parse_ruled(struct req_table *t, const struct text_line *l, size_t nr, int *eline, struct strbuf *msg)
{
	size_t cols[MAX_COLUMNS], ends[MAX_COLUMNS], ncols = 0, r1, r2, r3, first, end;

	for (r1 = 0; r1 < nr; r1++)
		if ((ncols = rule_columns(&l[r1], cols, ends, MAX_COLUMNS)) >= 3)
			break;
	if (r1 == nr)
		return 0;
	if (ncols > MAX_COLUMNS)
		ncols = MAX_COLUMNS;
	r2 = next_rule(l, nr, r1 + 1);
	first = r1 + 1;
	end = r2;
	if (r2 < nr && r2 + 1 < nr && !is_blank(&l[r2 + 1])) {
		/* a header between the first two rules, the rows after the second */
		r3 = next_rule(l, nr, r2 + 1);
		first = r2 + 1;
		end = r3;
	}
	if (end == nr) {
		*eline = (int)r1 + 1;
		strbuf_addstr(msg, "requirements table not closed by a ==== rule");
		return -1;
	}
	for (size_t i = first; i < end; i++) {
		const char *name, *ver, *cmd;
		size_t nlen, vlen, clen;

		if (is_blank(&l[i]))
			continue;
		if (crosses_column(&l[i], cols, ends, ncols)) {
			*eline = (int)i + 1;
			strbuf_addstr(msg, "text between two columns of the table (columns are where the ==== rule has them)");
			return -1;
		}
		nlen = cell(&l[i], cols, ncols, 0, &name);
		vlen = cell(&l[i], cols, ncols, 1, &ver);
		clen = cell(&l[i], cols, ncols, 2, &cmd);
		if (!nlen) {
			/* an empty first cell continues the row above */
			if (!t->nr) {
				*eline = (int)i + 1;
				strbuf_addstr(msg, "table row without a program name");
				return -1;
			}
			append_field(&t->rows[t->nr - 1].version, ver, vlen);
			append_field(&t->rows[t->nr - 1].command, cmd, clen);
			continue;
		}
		if (!vlen) {
			*eline = (int)i + 1;
			strbuf_addf(msg, "no minimal version for '%.*s'", (int)nlen, name);
			return -1;
		}
		add_row(t, name, nlen, ver, vlen, cmd, clen, (int)i + 1);
	}
	if (!t->nr) {
		*eline = (int)r1 + 1;
		strbuf_addstr(msg, "requirements table without rows");
		return -1;
	}
	return 1;
}

/* "o  Gnu C                  2.91.66                 # gcc --version" (Documentation/Changes up to 4.x). */
static int parse_old_line(struct req_table *t, const struct text_line *l, int line)
{
	const char *s = l->s, *hash, *split = NULL, *name, *ver, *cmd;
	size_t len = l->len, nlen, vlen, clen;

	if (len < 4 || s[0] != 'o' || s[1] != ' ' || s[2] != ' ')
		return 0;
	hash = memchr(s, '#', len);
	if (!hash)
		return 0;
	/* name and version are separated by the last run of two or more blanks before the '#' */
	name = s + 3;
	nlen = trim(&name, (size_t)(hash - name));
	for (const char *p = name; p + 1 < name + nlen; p++)
		if (isspace((unsigned char)p[0]) && isspace((unsigned char)p[1]))
			split = p;
	if (!split)
		return 0;
	ver = split;
	vlen = trim(&ver, (size_t)(name + nlen - split));
	nlen = trim(&name, (size_t)(split - name));
	cmd = hash + 1;
	clen = trim(&cmd, len - (size_t)(cmd - s));
	if (!nlen || !vlen || !clen || memchr(ver, ' ', vlen))
		return 0;
	add_row(t, name, nlen, ver, vlen, cmd, clen, line);
	return 1;
}

static int parse_table(struct req_table *t, const char *path, const char *text, int *eline, struct strbuf *msg)
{
	struct text_line *l;
	size_t nr;
	int ret;

	memset(t, 0, sizeof(*t));
	t->path = xstrdup(path);
	*eline = 0;
	l = split_lines(text, &nr);
	ret = parse_ruled(t, l, nr, eline, msg);
	if (ret == 0) {
		for (size_t i = 0; i < nr; i++)
			parse_old_line(t, &l[i], (int)i + 1);
		if (!t->nr) {
			strbuf_addstr(msg, "no minimal-requirements table: neither a ====-ruled table nor "
				      "'o  program  version  # command' lines");
			ret = -1;
		}
	}
	free(l);
	if (ret < 0) {
		req_table_release(t);
		return -EINVAL;
	}
	return 0;
}

static void format_diag(struct strbuf *err, const char *path, int line, const char *msg)
{
	if (line > 0)
		strbuf_addf(err, "%s:%d: error: %s\n", path, line, msg);
	else
		strbuf_addf(err, "%s: error: %s\n", path, msg);
}

int req_table_parse(struct req_table *t, const char *path, const char *text, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	int line, ret = parse_table(t, path, text, &line, &msg);

	if (ret < 0)
		format_diag(err, path, line, msg.buf);
	strbuf_release(&msg);
	return ret;
}

static const char *const table_files[] = { "Documentation/process/changes.rst", "Documentation/Changes" };

/* Find and read the table; -ENOENT when the tree has neither file, -EINVAL with *eline/msg. */
static int load_table(struct req_table *t, const char *tree, int *eline, struct strbuf *msg)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = NULL;
	int ret = -ENOENT;

	memset(t, 0, sizeof(*t));
	*eline = 0;
	for (size_t i = 0; i < ARRAY_SIZE(table_files) && ret == -ENOENT; i++) {
		free(path);
		path = xasprintf("%s/%s", tree, table_files[i]);
		strbuf_reset(&sb);
		ret = fs_read_file(path, &sb);
	}
	if (ret == -ENOENT) {
		free(path);
		strbuf_release(&sb);
		return ret;
	}
	if (ret < 0) {
		strbuf_addf(msg, "cannot read: %s", strerror(-ret));
		t->path = path;
		strbuf_release(&sb);
		return ret;
	}
	ret = parse_table(t, path, sb.buf, eline, msg);
	if (ret < 0)
		t->path = path;
	else
		free(path);
	strbuf_release(&sb);
	return ret;
}

int req_table_load(struct req_table *t, const char *tree, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	int line, ret = load_table(t, tree, &line, &msg);

	if (ret == -ENOENT)
		strbuf_addf(err, "%s: error: no %s or %s\n", tree, table_files[0], table_files[1]);
	else if (ret < 0)
		format_diag(err, t->path, line, msg.buf);
	if (ret < 0) {
		free(t->path);
		t->path = NULL;
	}
	strbuf_release(&msg);
	return ret;
}

void req_table_release(struct req_table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->rows[i].program);
		free(t->rows[i].version);
		free(t->rows[i].command);
	}
	free(t->rows);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/* ---- versions ---- */

/* One dotted component: its number without leading zeros, then its letters. */
struct vpart {
	const char *num;
	size_t nlen;
	const char *alpha;
	size_t alen;
	int wild; /* "x" in "3.5.x": matches anything from here on */
};

static const char *next_part(const char *s, struct vpart *p)
{
	memset(p, 0, sizeof(*p));
	p->num = p->alpha = "";
	if (!*s)
		return s;
	if ((s[0] == 'x' || s[0] == 'X') && (s[1] == '.' || s[1] == '\0')) {
		p->wild = 1;
		return s + 1 + (s[1] == '.');
	}
	while (*s == '0' && isdigit((unsigned char)s[1]))
		s++;
	p->num = s;
	while (isdigit((unsigned char)*s))
		s++;
	p->nlen = (size_t)(s - p->num);
	p->alpha = s;
	while (*s && *s != '.')
		s++;
	p->alen = (size_t)(s - p->alpha);
	return *s == '.' ? s + 1 : s;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

int version_cmp(const char *a, const char *b)
{
	if (!strcasecmp(a, "any") || !strcasecmp(b, "any"))
		return 0;
	while (*a || *b) {
		struct vpart pa, pb;
		int c;

		a = next_part(a, &pa);
		b = next_part(b, &pb);
		if (pa.wild || pb.wild)
			return 0;
		/* a missing number counts as 0, and numbers compare by length first */
		if (pa.nlen == 0 && pb.nlen == 0)
			c = 0;
		else if (pa.nlen == 0)
			c = (pb.nlen == 1 && pb.num[0] == '0') ? 0 : -1;
		else if (pb.nlen == 0)
			c = (pa.nlen == 1 && pa.num[0] == '0') ? 0 : 1;
		else if (pa.nlen != pb.nlen)
			c = pa.nlen < pb.nlen ? -1 : 1;
		else
			c = memcmp(pa.num, pb.num, pa.nlen);
		if (c)
			return sign(c);
		/* "2.10o" comes after "2.10": letters after the number are a later release */
		if (pa.alen != pb.alen && (!pa.alen || !pb.alen))
			return pa.alen ? 1 : -1;
		c = strncmp(pa.alpha, pb.alpha, pa.alen < pb.alen ? pa.alen : pb.alen);
		if (c)
			return sign(c);
		if (pa.alen != pb.alen)
			return pa.alen < pb.alen ? -1 : 1;
	}
	return 0;
}

/* A version starts a word: after a blank, an opening bracket, a comma, a colon or a quote. */
static int starts_word(const char *text, const char *p)
{
	return p == text || strchr(" \t\n(,:=\"'[", p[-1]);
}

char *version_from_output(const char *out)
{
	for (const char *p = out; *p; p++) {
		const char *q = p, *e;

		/* "v1.24" (pahole) */
		if ((*p == 'v' || *p == 'V') && isdigit((unsigned char)p[1]))
			q = p + 1;
		else if (!isdigit((unsigned char)*p))
			continue;
		if (!starts_word(out, p))
			continue;
		e = q;
		while (isdigit((unsigned char)*e) || (*e == '.' && isdigit((unsigned char)e[1])))
			e++;
		/* "1.1.1w", "2.10o": letters that end the word belong to the version */
		if (islower((unsigned char)*e)) {
			const char *l = e;

			while (islower((unsigned char)*l))
				l++;
			if (!isalnum((unsigned char)*l))
				e = l;
		}
		return xstrndup(q, (size_t)(e - q));
	}
	return NULL;
}

/* ---- sizes ---- */

/*
 * Disk space for a build directory, rough on purpose (it only warns):
 * 50 MB of host programs, headers and images, plus 0.35 MB of objects per
 * option set to y or m, eight times that with DEBUG_INFO (DWARF dominates
 * every object then) and four times with DEBUG_INFO_REDUCED or split
 * DWARF; a package build stages the kernel and modules again (+40%).
 * Measured on 6.12 (make -j2 bzImage modules): tinyconfig with the audio
 * fragment, 507 options, left 124 MB; the formula asks 227 MB, a margin
 * that shrinks per option as drivers (bigger objects than tinyconfig's
 * core) come in. A Debian config (about 8000 options, DEBUG_INFO) needs
 * over 20 GB; the formula says 22 GB.
 */
long doctor_disk_need_mb(long options, int debug_info, int package)
{
	double per = 0.35 * (debug_info == 2 ? 4 : debug_info ? 8 : 1);
	double mb = 50 + per * (double)options;

	if (package)
		mb *= 1.4;
	return (long)(mb + 0.5);
}

/*
 * Memory: about 0.5 GB per compiler job, plus the final link of vmlinux
 * (0.5 GB; 2 GB with DEBUG_INFO, where ld and pahole hold all the DWARF).
 */
long doctor_mem_need_mb(int jobs, int debug_info)
{
	return 512L * (jobs > 0 ? jobs : 1) + (debug_info ? 2048 : 512);
}

long meminfo_available_mb(const char *text)
{
	const char *p = starts_with(text, "MemAvailable:") ? text : strstr(text, "\nMemAvailable:");

	if (!p)
		return -1;
	p = strchr(p, ':') + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	return strtol(p, NULL, 10) / 1024;
}

/* ---- distributions ---- */

enum family { F_DEBIAN, F_FEDORA, F_ARCH, F_SUSE, F_UNKNOWN };

static const char *const family_names[] = { "debian", "fedora", "arch", "suse" };

static enum family family_of_word(const char *w, size_t len)
{
	static const struct { const char *word; enum family f; } words[] = {
		{ "debian", F_DEBIAN }, { "ubuntu", F_DEBIAN }, { "raspbian", F_DEBIAN },
		{ "fedora", F_FEDORA }, { "rhel", F_FEDORA }, { "centos", F_FEDORA },
		{ "rocky", F_FEDORA }, { "almalinux", F_FEDORA },
		{ "arch", F_ARCH }, { "archarm", F_ARCH },
		{ "suse", F_SUSE }, { "sles", F_SUSE }, { "opensuse", F_SUSE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i].word) == len && !strncmp(w, words[i].word, len))
			return words[i].f;
	if (len >= 8 && !strncmp(w, "opensuse", 8)) /* opensuse-leap, opensuse-tumbleweed */
		return F_SUSE;
	return F_UNKNOWN;
}

/* The value of KEY= in an os-release text, unquoted (caller frees), or NULL. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; *p; ) {
		const char *e = strchrnul(p, '\n');

		if ((size_t)(e - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t vlen = (size_t)(e - v);

			if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
				v++;
				vlen -= 2;
			}
			return xstrndup(v, vlen);
		}
		p = *e ? e + 1 : e;
	}
	return NULL;
}

static enum family os_family(const char *text, char **id)
{
	char *like = os_release_value(text, "ID_LIKE");
	enum family f = F_UNKNOWN;

	*id = os_release_value(text, "ID");
	if (*id)
		f = family_of_word(*id, strlen(*id));
	for (const char *p = like; f == F_UNKNOWN && p && *p; ) {
		size_t n = strcspn(p, " \t");

		f = family_of_word(p, n);
		p += n;
		p += strspn(p, " \t");
	}
	free(like);
	return f;
}

const char *os_release_family(const char *text)
{
	char *id;
	enum family f = os_family(text, &id);

	free(id);
	return f == F_UNKNOWN ? NULL : family_names[f];
}

/* ---- what to check ---- */

enum pkg {
	P_GCC, P_MAKE, P_BASH, P_BINUTILS, P_FLEX, P_BISON, P_BC, P_PERL, P_OPENSSL, P_KMOD,
	P_PAHOLE, P_CPIO, P_TAR, P_CLANG, P_RUSTC, P_BINDGEN, P_LIBELF, P_LIBSSL, P_NCURSES,
	P_RPMBUILD, P_DPKG_DEV, P_DPKG, P_DEBHELPER, P_FAKEROOT, P_RSYNC, P_XZ, P_ZSTD, P_LZ4, P_NR, P_NONE = -1
};

/* Package names per family, in the order of enum family. */
static const char *const packages[P_NR][4] = {
	[P_GCC] = { "gcc", "gcc", "gcc", "gcc" },
	[P_MAKE] = { "make", "make", "make", "make" },
	[P_BASH] = { "bash", "bash", "bash", "bash" },
	[P_BINUTILS] = { "binutils", "binutils", "binutils", "binutils" },
	[P_FLEX] = { "flex", "flex", "flex", "flex" },
	[P_BISON] = { "bison", "bison", "bison", "bison" },
	[P_BC] = { "bc", "bc", "bc", "bc" },
	[P_PERL] = { "perl", "perl", "perl", "perl" },
	[P_OPENSSL] = { "openssl", "openssl", "openssl", "openssl" },
	[P_KMOD] = { "kmod", "kmod", "kmod", "kmod" },
	[P_PAHOLE] = { "dwarves", "dwarves", "pahole", "dwarves" },
	[P_CPIO] = { "cpio", "cpio", "cpio", "cpio" },
	[P_TAR] = { "tar", "tar", "tar", "tar" },
	[P_CLANG] = { "clang", "clang", "clang", "clang" },
	[P_RUSTC] = { "rustc", "rust", "rust", "rust" },
	[P_BINDGEN] = { "bindgen", "bindgen-cli", "rust-bindgen", "rust-bindgen" },
	[P_LIBELF] = { "libelf-dev", "elfutils-libelf-devel", "libelf", "libelf-devel" },
	[P_LIBSSL] = { "libssl-dev", "openssl-devel", "openssl", "libopenssl-devel" },
	[P_NCURSES] = { "libncurses-dev", "ncurses-devel", "ncurses", "ncurses-devel" },
	[P_RPMBUILD] = { "rpm", "rpm-build", "rpm-tools", "rpm-build" },
	[P_DPKG_DEV] = { "dpkg-dev", "dpkg-dev", "dpkg", "dpkg" },
	[P_DPKG] = { "dpkg", "dpkg", "dpkg", "dpkg" },
	[P_DEBHELPER] = { "debhelper", "debhelper", "debhelper", "debhelper" },
	[P_FAKEROOT] = { "fakeroot", "fakeroot", "fakeroot", "fakeroot" },
	[P_RSYNC] = { "rsync", "rsync", "rsync", "rsync" },
	[P_XZ] = { "xz-utils", "xz", "xz", "xz" },
	[P_ZSTD] = { "zstd", "zstd", "zstd", "zstd" },
	[P_LZ4] = { "lz4", "lz4", "lz4", "lz4" },
};

static const char *const install_commands[] = {
	"apt-get install -y", "dnf install -y", "pacman -S --needed", "zypper install -y",
};

/* When a tool or header is needed: any of the symbols =y or =m, or (without a .config) the default. */
enum cond { C_ALWAYS, C_MODULES, C_SIGN, C_OBJTOOL, C_BTF, C_IKHEADERS, C_TAR, C_CLANG, C_RUST, C_XZ, C_ZSTD, C_LZ4 };
enum nocfg { NOCFG_NO, NOCFG_YES, NOCFG_X86 };

static const struct {
	const char *syms[4];
	enum nocfg nocfg;  /* without a .config, assume a defconfig-like build */
	int package;       /* every --package needs it too */
} conds[] = {
	[C_ALWAYS] = { { NULL }, NOCFG_YES, 0 },
	[C_MODULES] = { { "MODULES" }, NOCFG_YES, 0 },
	/* certs/extract-cert and scripts/sign-file link libcrypto; the signing key is made with openssl */
	[C_SIGN] = { { "MODULE_SIG", "SYSTEM_TRUSTED_KEYRING" }, NOCFG_YES, 0 },
	/* objtool and resolve_btfids link libelf */
	[C_OBJTOOL] = { { "OBJTOOL", "STACK_VALIDATION", "UNWINDER_ORC", "DEBUG_INFO_BTF" }, NOCFG_X86, 0 },
	[C_BTF] = { { "DEBUG_INFO_BTF" }, NOCFG_NO, 0 },
	[C_IKHEADERS] = { { "IKHEADERS" }, NOCFG_NO, 0 },
	[C_TAR] = { { "IKHEADERS" }, NOCFG_NO, 1 },
	[C_CLANG] = { { "CC_IS_CLANG" }, NOCFG_NO, 0 },
	[C_RUST] = { { "RUST" }, NOCFG_NO, 0 },
	/* the image and module compressors the configuration picks (Debian's: KERNEL_XZ) */
	[C_XZ] = { { "KERNEL_XZ", "KERNEL_LZMA", "MODULE_COMPRESS_XZ" }, NOCFG_NO, 0 },
	[C_ZSTD] = { { "KERNEL_ZSTD", "MODULE_COMPRESS_ZSTD" }, NOCFG_NO, 0 },
	[C_LZ4] = { { "KERNEL_LZ4" }, NOCFG_NO, 0 },
};

struct tool {
	const char *label;
	const char *names;    /* table row names that mean it, lowercase, '|'-separated */
	const char *command;  /* when the table has no row for it */
	const char *builtin;  /* minimum for a tree without a table (its 6.1 value) */
	enum cond cond;
	enum pkg pkg;
};

static const struct tool tools[] = {
	{ "GNU C", "gnu c|gcc", "gcc --version", "5.1", C_ALWAYS, P_GCC },
	{ "GNU make", "gnu make|make", "make --version", "3.82", C_ALWAYS, P_MAKE },
	{ "bash", "bash", "bash --version", "4.2", C_ALWAYS, P_BASH },
	{ "binutils", "binutils", "ld -v", "2.23", C_ALWAYS, P_BINUTILS },
	{ "flex", "flex", "flex --version", "2.5.35", C_ALWAYS, P_FLEX },
	{ "bison", "bison", "bison --version", "2.0", C_ALWAYS, P_BISON },
	{ "bc", "bc", "bc --version", "1.06.95", C_ALWAYS, P_BC },
	{ "perl", "perl", "perl -e 'printf \"%vd\", $^V'", "any", C_ALWAYS, P_PERL },
	{ "openssl", "openssl & libcrypto|openssl", "openssl version", "1.0.0", C_SIGN, P_OPENSSL },
	{ "kmod", "kmod|module-init-tools|modutils", "depmod -V", "13", C_MODULES, P_KMOD },
	{ "pahole", "pahole", "pahole --version", "1.16", C_BTF, P_PAHOLE },
	{ "cpio", "cpio", "cpio --version", "any", C_IKHEADERS, P_CPIO },
	{ "GNU tar", "gnu tar|tar", "tar --version", "any", C_TAR, P_TAR },
	{ "Clang/LLVM", "clang/llvm|clang", "clang --version", "11.0.0", C_CLANG, P_CLANG },
	{ "Rust", "rust|rustc", "rustc --version", "any", C_RUST, P_RUSTC },
	{ "bindgen", "bindgen", "bindgen --version", "any", C_RUST, P_BINDGEN },
	{ "xz", "xz", "xz --version", "any", C_XZ, P_XZ },
	{ "zstd", "zstd", "zstd -qV", "any", C_ZSTD, P_ZSTD },
	{ "lz4", "lz4", "lz4 --version | sed 's/.*bits //'", "any", C_LZ4, P_LZ4 },
};

static const struct header {
	const char *label;
	const char *include;
	enum cond cond;
	enum pkg pkg;
	int menuconfig;  /* only make menuconfig needs it: never fails the check */
} headers[] = {
	{ "libelf headers", "gelf.h", C_OBJTOOL, P_LIBELF, 0 },
	{ "openssl headers", "openssl/opensslv.h", C_SIGN, P_LIBSSL, 0 },
	{ "ncurses headers", "ncurses.h", C_ALWAYS, P_NCURSES, 1 },
};

/* Programs the tree's packaging scripts call, found by name in them. */
static const struct pkgtool {
	const char *package;  /* --package value */
	const char *word;     /* what the scripts say */
	const char *program;  /* what to look for */
	const char *label;
	enum pkg pkg;
} pkgtools[] = {
	{ "deb", "dpkg-buildpackage", "dpkg-buildpackage", "dpkg-buildpackage", P_DPKG_DEV },
	{ "deb", "dpkg-architecture", "dpkg-architecture", "dpkg-architecture", P_DPKG_DEV },
	{ "deb", "dpkg-parsechangelog", "dpkg-parsechangelog", "dpkg-parsechangelog", P_DPKG_DEV },
	{ "deb", "dpkg-gencontrol", "dpkg-gencontrol", "dpkg-gencontrol", P_DPKG_DEV },
	{ "deb", "dpkg-deb", "dpkg-deb", "dpkg-deb", P_DPKG },
	{ "deb", "dh_", "dh_testdir", "debhelper", P_DEBHELPER },
	{ "deb", "fakeroot", "fakeroot", "fakeroot", P_FAKEROOT },
	{ "deb", "rsync", "rsync", "rsync", P_RSYNC }, /* 6.12's Build-Depends: headers_install for linux-headers */
	{ "rpm", "rpmbuild", "rpmbuild", "rpmbuild", P_RPMBUILD },
};

static const char *const package_scripts[] = {
	"scripts/Makefile.package", "scripts/package/builddeb", "scripts/package/mkdebian",
	"scripts/package/debian/rules", "scripts/package/mkspec",
};

enum state { S_OK, S_MISSING, S_OLD, S_LOW, S_UNKNOWN, S_SKIP };
static const char *const state_names[] = { "ok", "missing", "old", "low", "unknown", "skip" };

struct check {
	enum state state;
	char *label;
	char *have;
	char *detail;
	enum pkg pkg;
	int fails;        /* missing or old, and the build needs it */
	int verbose_only;
};

struct doctor {
	const struct doctor_opts *o;
	struct req_table table;
	int have_table;
	const char *table_name;  /* the table's path inside the tree */
	struct cfg_map config;
	int have_config;
	char *config_path;
	long options;            /* set to y or m */
	int debug_info;          /* 0, 1, 2 (reduced or split) */
	int x86;
	enum family family;
	char *os_id;
	struct check *checks;
	size_t nr, alloc;
};

/* "y" or "m" when the .config builds it in or as a module, else NULL. */
static const char *config_on(const struct doctor *d, const char *sym)
{
	const char *v = d->have_config ? cfg_map_value(&d->config, sym) : NULL;

	return v && (str_eq(v, "y") || str_eq(v, "m")) ? v : NULL;
}

/* Is it needed? `why` gets "CONFIG_X=y" or "--package deb" when the need is conditional. */
static int needed(const struct doctor *d, enum cond c, struct strbuf *why)
{
	if (c == C_ALWAYS)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(conds[c].syms) && conds[c].syms[i]; i++) {
		const char *v = config_on(d, conds[c].syms[i]);

		if (v) {
			strbuf_addf(why, "CONFIG_%s=%s", conds[c].syms[i], v);
			return 1;
		}
	}
	if (conds[c].package && d->o->package) {
		strbuf_addf(why, "--package %s", d->o->package);
		return 1;
	}
	if (d->have_config)
		return 0;
	return conds[c].nocfg == NOCFG_YES || (conds[c].nocfg == NOCFG_X86 && d->x86);
}

/* "not needed: CONFIG_DEBUG_INFO_BTF is not set" */
static void why_not(const struct doctor *d, enum cond c, struct strbuf *sb)
{
	strbuf_addstr(sb, "not needed: ");
	for (size_t i = 0; i < ARRAY_SIZE(conds[c].syms) && conds[c].syms[i]; i++)
		strbuf_addf(sb, "%sCONFIG_%s", i ? ", " : "", conds[c].syms[i]);
	if (!d->have_config)
		strbuf_addstr(sb, " not assumed without a .config");
	else
		strbuf_addstr(sb, conds[c].syms[1] ? " are not set" : " is not set");
	if (conds[c].package)
		strbuf_addstr(sb, " and no --package");
}

/* Record a check; `detail` is taken over. */
static void add_check(struct doctor *d, enum state state, const char *label, const char *have,
		      enum pkg pkg, int fails, char *detail)
{
	struct check *c;

	ALLOC_GROW(d->checks, d->nr + 1, d->alloc);
	c = &d->checks[d->nr++];
	c->state = state;
	c->label = xstrdup(label);
	c->have = xstrdup(have);
	c->detail = detail;
	c->pkg = pkg;
	c->fails = fails;
	c->verbose_only = state == S_SKIP;
}

static void free_checks(struct doctor *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->checks[i].label);
		free(d->checks[i].have);
		free(d->checks[i].detail);
	}
	free(d->checks);
	d->checks = NULL;
	d->nr = d->alloc = 0;
}

/* Where a program is: PATH, then the sbin directories (depmod lives there; scripts/ver_linux looks there too). */
static char *find_program(const char *prog)
{
	static const char *const sbin[] = { "/usr/local/sbin", "/usr/sbin", "/sbin" };

	if (run_have_program(prog))
		return xstrdup(prog);
	if (strchr(prog, '/'))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sbin); i++) {
		char *p = xasprintf("%s/%s", sbin[i], prog);

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* Run with stdin from /dev/null, so that no version command can wait for input. */
static int run_detached(const struct run_cmd *cmd)
{
	int saved = dup(0), null = open("/dev/null", O_RDONLY | O_CLOEXEC), ret;

	if (saved >= 0 && null >= 0)
		dup2(null, 0);
	ret = run_command(cmd);
	if (saved >= 0 && null >= 0)
		dup2(saved, 0);
	if (saved >= 0)
		close(saved);
	if (null >= 0)
		close(null);
	return ret;
}

/* The first word of a command line (caller frees). */
static char *first_word(const char *cmd)
{
	cmd += strspn(cmd, " \t");
	return xstrndup(cmd, strcspn(cmd, " \t"));
}

/*
 * Run a version command and return what it printed (stdout and stderr).
 * Plain words are run directly, with the program found in `path`; shell
 * syntax goes through sh -c with the sbin directories added to PATH.
 */
static int run_version_command(const char *cmd, const char *path, struct strbuf *out)
{
	const char *argv[16];
	char *copy = NULL, *save = NULL, *pathenv = NULL;
	const char *env[2] = { NULL, NULL };
	struct run_cmd rc = { .argv = argv, .out = out, .merge_err = 1 };
	size_t n = 0;
	int ret;

	if (strpbrk(cmd, "|&;<>()$`\\\"'*?[]#~%{}")) {
		const char *cur = getenv("PATH");

		pathenv = xasprintf("PATH=%s:/usr/local/sbin:/usr/sbin:/sbin", cur ? cur : "/usr/bin:/bin");
		env[0] = pathenv;
		rc.env = env;
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = cmd;
	} else {
		copy = xstrdup(cmd);
		for (char *w = strtok_r(copy, " \t", &save); w && n < ARRAY_SIZE(argv) - 1; w = strtok_r(NULL, " \t", &save)) {
			argv[n] = n ? w : path;
			n++;
		}
	}
	argv[n] = NULL;
	ret = run_detached(&rc);
	free(copy);
	free(pathenv);
	return ret;
}

static const struct req_row *find_row(const struct doctor *d, const struct tool *t)
{
	for (size_t i = 0; d->have_table && i < d->table.nr; i++) {
		char *name = xstrdup(d->table.rows[i].program);
		char *paren = strstr(name, " (");
		int match = 0;

		if (paren)
			*paren = '\0';
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		for (const char *a = t->names; *a; ) {
			size_t n = strcspn(a, "|");

			if (strlen(name) == n && !strncmp(name, a, n))
				match = 1;
			a += n + (a[n] == '|');
		}
		free(name);
		if (match)
			return &d->table.rows[i];
	}
	return NULL;
}

static void check_tool(struct doctor *d, const struct tool *t, int *used)
{
	const struct req_row *row = find_row(d, t);
	const char *min = row ? row->version : d->have_table ? "any" : t->builtin;
	const char *cmd = row && *row->command ? row->command : t->command;
	struct strbuf why = STRBUF_INIT, detail = STRBUF_INIT, out = STRBUF_INIT;
	char *prog, *path, *ver = NULL;
	int need = needed(d, t->cond, &why);
	enum state st;

	if (row)
		used[row - d->table.rows] = 1;
	strbuf_addf(&detail, "needs %s%s", strcasecmp(min, "any") ? min : "any version", why.len ? " for " : "");
	strbuf_addstr(&detail, why.buf);
	if (row)
		strbuf_addf(&detail, ", %s:%d", d->table_name, row->line);
	else if (d->have_table)
		strbuf_addf(&detail, ", not in %s", d->table_name);
	else
		strbuf_addstr(&detail, ", built-in minimum");
	if (!need) {
		strbuf_reset(&detail);
		why_not(d, t->cond, &detail);
		if (row)
			strbuf_addf(&detail, ", %s:%d", d->table_name, row->line);
		add_check(d, S_SKIP, t->label, "-", t->pkg, 0, strbuf_detach(&detail, NULL));
		strbuf_release(&why);
		return;
	}
	prog = first_word(cmd);
	path = find_program(prog);
	if (!path) {
		add_check(d, S_MISSING, t->label, "-", t->pkg, 1, strbuf_detach(&detail, NULL));
		goto out;
	}
	if (run_version_command(cmd, path, &out) >= 0)
		ver = version_from_output(out.buf);
	if (!ver) {
		strbuf_addf(&detail, "; '%s' printed no version", cmd);
		st = strcasecmp(min, "any") ? S_UNKNOWN : S_OK;
		add_check(d, st, t->label, "?", t->pkg, 0, strbuf_detach(&detail, NULL));
		goto out;
	}
	st = version_cmp(ver, min) < 0 ? S_OLD : S_OK;
	add_check(d, st, t->label, ver, t->pkg, st == S_OLD, strbuf_detach(&detail, NULL));
out:
	free(ver);
	free(prog);
	free(path);
	strbuf_release(&out);
	strbuf_release(&why);
}

/* The host compiler that builds the kernel's host programs (HOSTCC is gcc unless LLVM=1). */
static const char *host_cc(void)
{
	static const char *const ccs[] = { "gcc", "cc", "clang" };

	for (size_t i = 0; i < ARRAY_SIZE(ccs); i++)
		if (run_have_program(ccs[i]))
			return ccs[i];
	return NULL;
}

/* Does `#include <h>` preprocess? 1, 0, or -1 when there is nothing to test with. */
static int header_present(const char *include)
{
	const char *tmp = getenv("TMPDIR"), *cc = host_cc();
	char *path, *text;
	struct strbuf out = STRBUF_INIT;
	const char *argv[] = { cc, "-E", "-x", "c", "-o", "/dev/null", NULL, NULL };
	struct run_cmd rc = { .argv = argv, .out = &out, .merge_err = 1 };
	int fd, ret;

	if (!cc)
		return -1;
	path = xasprintf("%s/kbuild-doctor-XXXXXX.c", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemps(path, 2);
	if (fd < 0) {
		free(path);
		return -1;
	}
	text = xasprintf("#include <%s>\n", include);
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	free(text);
	if (ret == 0) {
		argv[6] = path;
		ret = run_detached(&rc);
		ret = ret < 0 ? -1 : ret == 0;
	}
	unlink(path);
	free(path);
	strbuf_release(&out);
	return ret;
}

static void check_header(struct doctor *d, const struct header *h)
{
	struct strbuf why = STRBUF_INIT, detail = STRBUF_INIT;
	int need = needed(d, h->cond, &why), have;

	if (!need) {
		why_not(d, h->cond, &detail);
		add_check(d, S_SKIP, h->label, "-", h->pkg, 0, strbuf_detach(&detail, NULL));
		strbuf_release(&why);
		return;
	}
	strbuf_addf(&detail, "needs <%s>", h->include);
	if (h->menuconfig)
		strbuf_addstr(&detail, " for make menuconfig only");
	else if (why.len)
		strbuf_addf(&detail, " for %s", why.buf);
	have = header_present(h->include);
	if (have < 0) {
		strbuf_addstr(&detail, "; no C compiler to test it with");
		add_check(d, S_UNKNOWN, h->label, "?", h->pkg, 0, strbuf_detach(&detail, NULL));
	} else if (!have) {
		if (h->menuconfig)
			strbuf_addstr(&detail, "; not needed to build");
		add_check(d, S_MISSING, h->label, "-", h->pkg, !h->menuconfig, strbuf_detach(&detail, NULL));
	} else {
		add_check(d, S_OK, h->label, "found", h->pkg, 0, strbuf_detach(&detail, NULL));
	}
	strbuf_release(&why);
}

static void check_package_tools(struct doctor *d)
{
	const char *pkg = d->o->package;
	struct strbuf scripts[ARRAY_SIZE(package_scripts)];
	int any_script = 0;

	if (!pkg)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(package_scripts); i++) {
		char *p = d->o->tree ? xasprintf("%s/%s", d->o->tree, package_scripts[i]) : NULL;

		strbuf_init(&scripts[i], 0);
		if (p && fs_read_file(p, &scripts[i]) == 0)
			any_script = 1;
		free(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(pkgtools); i++) {
		const struct pkgtool *t = &pkgtools[i];
		const char *where = NULL;
		char *path, *detail;

		if (!str_eq(t->package, pkg))
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(package_scripts) && !where; j++)
			if (strstr(scripts[j].buf, t->word))
				where = package_scripts[j];
		/* a tree without packaging scripts: the programs every deb or rpm build runs */
		if (!where && (any_script || !(str_eq(t->program, "dpkg-buildpackage") ||
					       str_eq(t->program, "dpkg-deb") || str_eq(t->program, "rpmbuild"))))
			continue;
		detail = where ? xasprintf("for --package %s: %s", pkg, where)
			       : xasprintf("for --package %s", pkg);
		path = find_program(t->program);
		add_check(d, path ? S_OK : S_MISSING, t->label, path ? "found" : "-", t->pkg, !path, detail);
		free(path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(package_scripts); i++)
		strbuf_release(&scripts[i]);
}

static char *size_text(long mb)
{
	if (mb >= 1024)
		return xasprintf("%.1f GB", (double)mb / 1024);
	return xasprintf("%ld MB", mb);
}

static void check_disk(struct doctor *d)
{
	const char *where = d->o->objdir ? d->o->objdir : d->o->tree;
	char *dir = xstrdup(where), *have, *need_s;
	long need = doctor_disk_need_mb(d->options, d->debug_info, d->o->package != NULL);
	struct statvfs sv;
	struct strbuf detail = STRBUF_INIT;
	enum state st;
	long mb;

	/* the build directory may not exist yet: its nearest existing parent holds it */
	while (!fs_is_dir(dir) && strcmp(dir, "/") && strcmp(dir, ".")) {
		char *up = fs_dirname(dir);

		free(dir);
		dir = up;
	}
	need_s = size_text(need);
	strbuf_addf(&detail, "needs ~%s for %ld options%s%s, in %s", need_s, d->options,
		    d->debug_info ? " with DEBUG_INFO" : "", d->have_config ? "" : " (like defconfig)", where);
	if (statvfs(dir, &sv) < 0) {
		strbuf_addf(&detail, "; statvfs: %s", strerror(errno));
		add_check(d, S_UNKNOWN, "disk space", "?", P_NONE, 0, strbuf_detach(&detail, NULL));
	} else {
		mb = (long)((unsigned long long)sv.f_bavail * sv.f_frsize / (1024 * 1024));
		st = mb < need ? S_LOW : S_OK;
		have = size_text(mb);
		add_check(d, st, "disk space", have, P_NONE, 0, strbuf_detach(&detail, NULL));
		free(have);
	}
	free(need_s);
	free(dir);
}

static void check_memory(struct doctor *d)
{
	struct strbuf sb = STRBUF_INIT, detail = STRBUF_INIT;
	long jobs = d->o->jobs > 0 ? d->o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	long need, mb = -1;
	char *need_s, *have;

	if (jobs < 1)
		jobs = 1;
	need = doctor_mem_need_mb((int)jobs, d->debug_info);
	if (fs_read_file("/proc/meminfo", &sb) == 0)
		mb = meminfo_available_mb(sb.buf);
	need_s = size_text(need);
	strbuf_addf(&detail, "needs ~%s for -j%ld%s", need_s, jobs, d->debug_info ? " with DEBUG_INFO" : "");
	if (mb < 0) {
		strbuf_addstr(&detail, "; no MemAvailable in /proc/meminfo");
		add_check(d, S_UNKNOWN, "memory", "?", P_NONE, 0, strbuf_detach(&detail, NULL));
	} else {
		if (mb < need)
			strbuf_addstr(&detail, ": use fewer jobs");
		have = size_text(mb);
		add_check(d, mb < need ? S_LOW : S_OK, "memory", have, P_NONE, 0, strbuf_detach(&detail, NULL));
		free(have);
	}
	free(need_s);
	strbuf_release(&sb);
}

static void collect(struct doctor *d)
{
	int *used = xcalloc(d->table.nr + 1, sizeof(int));

	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		check_tool(d, &tools[i], used);
	for (size_t i = 0; i < ARRAY_SIZE(headers); i++)
		check_header(d, &headers[i]);
	check_package_tools(d);
	/* before the tree is there, disk and memory are for the check after the config stage */
	if (d->o->tree) {
		check_disk(d);
		check_memory(d);
	}
	/* the rest of the table: run-time tools and documentation, shown with -v */
	for (size_t i = 0; d->have_table && i < d->table.nr; i++) {
		const struct req_row *row = &d->table.rows[i];

		if (!used[i])
			add_check(d, S_SKIP, row->program, "-", P_NONE, 0,
				  xasprintf("needs %s, not needed to build, %s:%d", row->version, d->table_name, row->line));
	}
	free(used);
}

/* ---- the report ---- */

static const char *package_name(const struct doctor *d, const struct check *c)
{
	return d->family == F_UNKNOWN ? c->label : packages[c->pkg][d->family];
}

/* The packages that fix what fails, in check order, each once. */
static size_t missing_packages(const struct doctor *d, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nr; i++) {
		const struct check *c = &d->checks[i];
		const char *name;
		int dup = 0;

		if (!c->fails || c->pkg == P_NONE)
			continue;
		name = package_name(d, c);
		for (size_t j = 0; j < n; j++)
			dup |= str_eq(names[j], name);
		if (!dup && n < max)
			names[n++] = name;
	}
	return n;
}

/* "sudo apt-get install -y flex dwarves" (caller frees). */
static char *install_line(const struct doctor *d, const char *const *names, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	if (geteuid() != 0)
		strbuf_addstr(&sb, "sudo ");
	strbuf_addstr(&sb, install_commands[d->family]);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, " %s", names[i]);
	return strbuf_detach(&sb, NULL);
}

static void print_check(const struct check *c)
{
	printf("  %-8s %-18s %-8s (%s)\n", state_names[c->state], c->label, c->have, c->detail);
}

/* Print the report; returns the number of failing checks. Only the final report says so on stderr too. */
static int report(const struct doctor *d, int final)
{
	const struct doctor_opts *o = d->o;
	struct strbuf problems = STRBUF_INIT, warnings = STRBUF_INIT;
	const char *names[P_NR + 8];
	size_t n;
	int fails = 0, warns = 0, passed = 0;

	if (!o->quiet) {
		struct tree_version v;

		printf("requirements");
		if (source_tree_version(o->tree, &v) == 0)
			printf(" of linux %d.%d.%d", v.version, v.patchlevel, v.sublevel);
		if (d->have_table)
			printf(": %s (%zu rows)\n", d->table_name, d->table.nr);
		else
			printf(": built-in minimums (the tree has no table)\n");
		if (d->have_config)
			printf("configuration: %s (%ld options set)\n", d->config_path, d->options);
		else
			printf("configuration: none (a defconfig-like build assumed)\n");
	}
	for (size_t i = 0; i < d->nr; i++) {
		const struct check *c = &d->checks[i];
		int warn = c->state == S_LOW || c->state == S_UNKNOWN ||
			   (c->state == S_MISSING && !c->fails && !o->quiet);

		if (c->fails) {
			fails++;
			strbuf_addf(&problems, "%s%s %s", problems.len ? ", " : "", c->label,
				    c->state == S_OLD ? "too old" : "missing");
		} else if (warn) {
			warns++;
			strbuf_addf(&warnings, "%s%s %s", warnings.len ? ", " : "", c->label,
				    c->state == S_LOW ? "low" : c->state == S_MISSING ? "missing" : "unknown");
		} else if (c->state == S_OK) {
			passed++;
		}
		if (c->verbose_only && !o->verbose)
			continue;
		if (o->quiet && !c->fails && !warn)
			continue;
		print_check(c);
	}
	/* the pipeline's first step says nothing when there is nothing to say */
	if (fails)
		printf("not ready to build: %s\n", problems.buf);
	else if (warns)
		printf("ready to build: %d checks passed; warnings: %s\n", passed, warnings.buf);
	else if (!o->quiet)
		printf("ready to build: %d checks passed\n", passed);
	n = missing_packages(d, names, ARRAY_SIZE(names));
	if (n && d->family != F_UNKNOWN) {
		char *line = install_line(d, names, n);

		printf("to install what is missing: %s\n", line);
		free(line);
	} else if (n) {
		printf("to install what is missing, use the package manager of '%s' for:",
		       d->os_id ? d->os_id : "this distribution");
		for (size_t i = 0; i < n; i++)
			printf("%s %s", i ? "," : "", names[i]);
		printf("\n");
	}
	fflush(stdout);
	if (fails && final)
		kb_error("the build needs what is missing or too old: %s", problems.buf);
	strbuf_release(&problems);
	strbuf_release(&warnings);
	return fails;
}

/* Run the install command, output to the terminal. KB_OK or KB_EENV (message printed). */
static enum kb_status install(const struct doctor *d)
{
	const char *names[P_NR + 8];
	size_t n = missing_packages(d, names, ARRAY_SIZE(names)), argc = 0;
	const char *argv[P_NR + 16];
	struct run_cmd rc = { .argv = argv };
	char *words, *save = NULL, *line;
	int ret;

	if (!n)
		return KB_OK;
	if (d->family == F_UNKNOWN) {
		kb_error("--install-deps: no install command known for the distribution '%s' (ID in os-release)",
			 d->os_id ? d->os_id : "unknown");
		return KB_EENV;
	}
	line = install_line(d, names, n);
	words = xstrdup(line);
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	kb_progress("INSTALL", "%s", line);
	ret = run_command(&rc);
	if (ret != 0) {
		if (ret < 0)
			kb_error("cannot run '%s': %s", argv[0], strerror(-ret));
		else
			kb_error("'%s' failed (exit %d)", line, ret);
	}
	free(words);
	free(line);
	return ret == 0 ? KB_OK : KB_EENV;
}

static enum kb_status check_tree(const char *tree)
{
	enum kb_status st = config_check_tree_dir(tree); /* 2.4 trees have no Kconfig: only the Makefile is asked for */
	char *mk;
	int ok;

	if (st != KB_OK)
		return st;
	mk = xasprintf("%s/Makefile", tree);
	ok = fs_is_file(mk);
	free(mk);
	if (!ok) {
		kb_error("'%s' is not a kernel tree: no Makefile at its top", tree);
		return KB_EENV;
	}
	return KB_OK;
}

static enum kb_status load_config(struct doctor *d)
{
	const struct doctor_opts *o = d->o;
	struct strbuf err = STRBUF_INIT;
	char *path = NULL;

	if (o->config) {
		path = xstrdup(o->config);
	} else if (o->objdir) {
		path = xasprintf("%s/.config", o->objdir);
		if (!fs_is_file(path)) {
			free(path);
			return KB_OK;
		}
	} else {
		return KB_OK;
	}
	if (cfg_map_read(&d->config, path, &err) < 0) {
		fputs(err.buf, stderr);
		strbuf_release(&err);
		cfg_map_release(&d->config);
		free(path);
		return KB_EUSAGE;
	}
	d->have_config = 1;
	d->config_path = path;
	for (size_t i = 0; i < d->config.file.nr; i++) {
		const struct cfg_assign *a = &d->config.file.items[i];

		if (!a->not_set && (str_eq(a->value, "y") || str_eq(a->value, "m")))
			d->options++;
	}
	if (config_on(d, "DEBUG_INFO"))
		d->debug_info = config_on(d, "DEBUG_INFO_REDUCED") || config_on(d, "DEBUG_INFO_SPLIT") ? 2 : 1;
	return KB_OK;
}

static void detect_os(struct doctor *d)
{
	const char *env = getenv("KBUILD_OS_RELEASE");
	static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };
	struct strbuf sb = STRBUF_INIT;
	int ret = -ENOENT;

	if (env && *env)
		ret = fs_read_file(env, &sb);
	for (size_t i = 0; !(env && *env) && i < ARRAY_SIZE(files) && ret < 0; i++)
		ret = fs_read_file(files[i], &sb);
	d->family = ret < 0 ? F_UNKNOWN : os_family(sb.buf, &d->os_id);
	strbuf_release(&sb);
}

/* A defconfig-sized build when there is no .config to count (6.12's x86_64 defconfig sets 1596). */
#define DEFCONFIG_OPTIONS 1600

enum kb_status doctor_run(const struct doctor_opts *o)
{
	struct doctor d;
	struct strbuf msg = STRBUF_INIT;
	struct utsname u;
	enum kb_status st;
	int line, ret, fails;

	memset(&d, 0, sizeof(d));
	d.o = o;
	st = o->tree || !o->before_tree ? check_tree(o->tree) : KB_OK;
	if (st != KB_OK)
		return st;
	st = load_config(&d);
	if (st != KB_OK)
		return st;
	if (!d.have_config)
		d.options = DEFCONFIG_OPTIONS;
	d.x86 = uname(&u) == 0 && (str_eq(u.machine, "x86_64") || (u.machine[0] == 'i' && ends_with(u.machine, "86")));
	ret = o->tree ? load_table(&d.table, o->tree, &line, &msg) : -ENODATA; /* no tree yet: built-in minimums */
	if (ret == 0) {
		d.have_table = 1;
		for (size_t i = 0; i < ARRAY_SIZE(table_files); i++)
			if (ends_with(d.table.path, table_files[i]))
				d.table_name = table_files[i];
	} else if (ret == -ENODATA) {
		/* nothing to say */
	} else if (ret == -ENOENT) {
		kb_warning("'%s' has no %s or %s: checking against built-in minimums", o->tree,
			   table_files[0], table_files[1]);
	} else {
		kb_diag(KB_WARNING, d.table.path, line, "%s: checking against built-in minimums", msg.buf);
		free(d.table.path);
		d.table.path = NULL;
	}
	detect_os(&d);
	collect(&d);
	fails = report(&d, !o->install);
	if (fails && o->install) {
		st = install(&d);
		free_checks(&d);
		printf("after installing:\n");
		collect(&d);
		fails = report(&d, 1);
	}
	if (st == KB_OK && fails)
		st = KB_EENV;
	free_checks(&d);
	req_table_release(&d.table);
	if (d.have_config)
		cfg_map_release(&d.config);
	free(d.config_path);
	free(d.os_id);
	strbuf_release(&msg);
	return st;
}

/* ---- the prerequisites stage of the pipeline ---- */

int prerequisites_stage(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;
	struct doctor_opts d = { .tree = job->meta.tree, .config = fs_is_file(job->dotconfig) ? job->dotconfig : NULL,
				 .objdir = job->objdir, .package = o->package, .jobs = job->jobs,
				 .install = o->install_deps, .quiet = 1 };

	return doctor_run(&d);
}

/*
 * The configuration a run will build, as far as it is known before the tree is there: the base
 * file (the running kernel's or --base FILE; a kconfig target is made from the tree later) with
 * the fragments over it, or the build directory's .config without --config. Written to a
 * temporary file for doctor_run (caller unlinks and frees), or NULL on a read error (said).
 */
static char *early_config(struct kb_job *job)
{
	const struct config_opts *c = &job->o->config;
	struct cfg_file *files = xcalloc(job->frags.nr + 1, sizeof(*files));
	struct cfg_merge m;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	char *base = c->nr_configs ? config_base_file(c) : NULL, *tmp = NULL;
	const char *tmpdir = getenv("TMPDIR");
	size_t nr = 0;
	int fd, ok = 1;

	if (!c->nr_configs && job->o->objdir) {
		base = xasprintf("%s/.config", job->o->objdir);
		if (!fs_is_file(base)) {
			free(base);
			base = NULL;
		}
	}
	cfg_merge_init(&m);
	m.quiet = 1; /* the config stage says what overrides what */
	m.builtin_wins = c->builtin_wins;
	if (base && (ok = cfg_read(&files[nr], base, base, &err) == 0))
		cfg_merge_add(&m, &files[nr++]);
	for (size_t i = 0; ok && i < job->frags.nr; i++)
		if ((ok = cfg_read(&files[nr], job->frags.items[i].path, job->frags.items[i].display, &err) == 0))
			cfg_merge_add(&m, &files[nr++]);
	if (!ok)
		fputs(err.buf, stderr);
	cfg_merge_write(&m, &text);
	tmp = xasprintf("%s/kbuild-prerequisites.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (ok && ((fd = mkstemp(tmp)) < 0 || write(fd, text.buf, text.len) != (ssize_t)text.len || close(fd) < 0)) {
		kb_error("cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		ok = 0;
	}
	if (!ok) {
		free(tmp);
		tmp = NULL;
	}
	cfg_merge_release(&m);
	for (size_t i = 0; i < nr; i++)
		cfg_file_release(&files[i]);
	free(files);
	free(base);
	strbuf_release(&err);
	strbuf_release(&text);
	return tmp;
}

int prerequisites_early(struct kb_job *job)
{
	const struct pipeline_opts *o = job->o;
	struct doctor_opts d = { .package = o->package, .install = o->install_deps, .quiet = 1, .before_tree = 1 };
	char *cfg, *mk = o->tree ? xasprintf("%s/Makefile", o->tree) : NULL;
	int st;

	/* the tree's own table when it is a tree already (the config stage says what is wrong with one that is not) */
	if (mk && fs_is_file(mk))
		d.tree = o->tree;
	free(mk);

	/* a run that stops before the build needs only what configuring needs, and says so itself */
	if (o->stop_after && !str_eq(o->stop_after, "build") && !str_eq(o->stop_after, "package"))
		return KB_OK;
	cfg = early_config(job);
	if (!cfg)
		return KB_EUSAGE;
	d.config = cfg;
	st = doctor_run(&d);
	if (st != KB_OK)
		kb_error("nothing was fetched, copied or built: install what is missing first (or run with --install-deps)");
	unlink(cfg);
	free(cfg);
	return st;
}
