/* test-confcache.c - the cached kconfig build read back: a good entry round-trips, every kind of damage is refused */
#include "tap.h"
#include "confcache.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct confcache_file files[] = {
	{ "scripts/basic/fixdep", 0755, { 1700000000, 5 }, 7, "fixdep\n" },
	{ "scripts/basic/.fixdep.cmd", 0644, { 1700000000, 6 }, 4, "cmd\n" },
	{ "scripts/kconfig/conf", 0755, { 1700000001, 999999999 }, 5, "conf\n" },
	{ "scripts/kconfig/lexer.lex.c", 0644, { 1700000000, 0 }, 0, "" },
};

static void good(struct strbuf *sb)
{
	struct confcache_entry e = { files, ARRAY_SIZE(files) };

	strbuf_reset(sb);
	confcache_format(&e, KEY, sb);
}

/* parse `text`; the reason when refused, or NULL when accepted */
static char *parse(const struct strbuf *text, const char *key)
{
	struct confcache_entry e;
	struct strbuf why = STRBUF_INIT;

	if (confcache_parse(&e, text->buf, text->len, key, &why) == 0) {
		confcache_entry_release(&e);
		strbuf_release(&why);
		return NULL;
	}
	ok(e.nr == 0 && e.files == NULL, "refused: nothing kept");
	return strbuf_detach(&why, NULL);
}

/* the good entry with the first `from` replaced by `to` */
static void edited(struct strbuf *sb, const char *from, const char *to)
{
	struct strbuf g = STRBUF_INIT;
	char *at;

	good(&g);
	at = strstr(g.buf, from);
	strbuf_reset(sb);
	if (!at) {
		strbuf_addstr(sb, "(edit not applied)");
	} else {
		strbuf_add(sb, g.buf, (size_t)(at - g.buf));
		strbuf_addstr(sb, to);
		strbuf_add(sb, at + strlen(from), g.len - (size_t)(at - g.buf) - strlen(from));
	}
	strbuf_release(&g);
}

static void refused(const struct strbuf *text, const char *key, const char *want, const char *what)
{
	char *why = parse(text, key);

	ok(why && strstr(why, want), "%s: refused (%s)", what, why ? why : "accepted");
	free(why);
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct confcache_entry e;
	struct strbuf why = STRBUF_INIT;

	good(&sb);
	ok(starts_with(sb.buf, "kbuild-confcache 1\nkey " KEY "\nfile 0755 1700000000.000000005 7 "),
	   "format: version line, key, one line a file with mode, mtime (ns), size, sha256");
	is_int(confcache_parse(&e, sb.buf, sb.len, KEY, &why), 0, "a good entry parses");
	is_int((int)e.nr, 4, "four files");
	is_str(e.files[2].path, "scripts/kconfig/conf", "path");
	is_int((int)e.files[2].mode, 0755, "mode");
	ok(e.files[2].mtime.tv_sec == 1700000001 && e.files[2].mtime.tv_nsec == 999999999, "mtime to the ns");
	ok(e.files[2].size == 5 && !memcmp(e.files[2].data, "conf\n", 5), "data");
	ok(e.files[3].size == 0, "an empty file");
	confcache_entry_release(&e);

	refused(&sb, OTHER, "key mismatch", "the entry of another tree or compiler");
	edited(&sb, "cmd\nconf\n", "cmd\nconF\n");
	refused(&sb, KEY, "scripts/kconfig/conf: sha256 mismatch", "one byte of a file changed");
	good(&sb);
	strbuf_setlen(&sb, sb.len - 1);
	refused(&sb, KEY, "bytes of file data", "truncated data");
	good(&sb);
	strbuf_addch(&sb, 'x');
	refused(&sb, KEY, "bytes of file data", "bytes left over");
	good(&sb);
	strbuf_setlen(&sb, (size_t)(strstr(sb.buf, "end\n") - sb.buf));
	refused(&sb, KEY, "truncated (no 'end' line)", "cut before the end line");
	edited(&sb, "end\n", "");
	refused(&sb, KEY, "expected 'file' or 'end'", "no end line: data read as a line");
	edited(&sb, "kbuild-confcache 1", "kbuild-confcache 2");
	refused(&sb, KEY, "not a kbuild-confcache 1 entry", "another format version");
	edited(&sb, " scripts/basic/.fixdep.cmd", " scripts/kconfig/../../../etc/x");
	refused(&sb, KEY, "is not a file of scripts/basic or scripts/kconfig", "a path that climbs out");
	edited(&sb, " scripts/basic/.fixdep.cmd", " /etc/passwd");
	refused(&sb, KEY, "is not a file of scripts/basic or scripts/kconfig", "an absolute path");
	edited(&sb, " scripts/basic/.fixdep.cmd", " scripts/kconfig/lxdialog/x");
	refused(&sb, KEY, "is not a file of scripts/basic or scripts/kconfig", "a subdirectory");
	edited(&sb, " scripts/basic/.fixdep.cmd", " scripts/basic/fixdep");
	refused(&sb, KEY, "listed twice", "a path twice");
	edited(&sb, "file 0644", "file 4755");
	refused(&sb, KEY, "bad mode", "a setuid mode");
	edited(&sb, " scripts/kconfig/conf\n", " scripts/kconfig/conf2\n");
	refused(&sb, KEY, "no scripts/basic/fixdep or scripts/kconfig/conf", "no conf");
	edited(&sb, "1700000000.000000005", "1700000000.5");
	refused(&sb, KEY, "bad mtime", "nanoseconds not 9 digits");
	edited(&sb, " 7 ", " 99999999999 ");
	refused(&sb, KEY, "bad size", "a file over the size limit");
	edited(&sb, "file 0644", "fil 0644");
	refused(&sb, KEY, "expected 'file' or 'end'", "an unknown line");
	strbuf_release(&sb);
	strbuf_release(&why);
	return done_testing();
}
