/* boot.c - the QEMU boot test: initramfs through the kernel's gen_init_cpio, boot under KVM or TCG, console watch, results back */
#define _GNU_SOURCE
#include "boot.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "arena.h"
#include "build.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "modules.h"
#include "run.h"
#include "strmap.h"

#define QEMU "qemu-system-x86_64"
/* the guest's lines on the console that the host watches for */
#define MARK "kbuild-boot: "
#define MARK_INIT_WORDS "init at "
#define MARK_STATUS_WORDS "exit status "
#define MARK_INIT MARK MARK_INIT_WORDS
#define MARK_STATUS MARK MARK_STATUS_WORDS
#define MARK_PANIC "Kernel panic - not syncing"
/* a file in the results directory that says boot-test made it (and may empty it) */
#define RESULTS_MARK ".kbuild-boot-test"
/* --accel auto: seconds a silent KVM console is given before TCG takes over */
#define BOOT_KVM_SILENCE 3.0
/* console lines shown when the guest fails */
#define TAIL_LINES 20

struct boot_ctx {
	const struct boot_opts *o;
	char *tmp;                 /* scratch directory, removed at the end */
	char *image, *release, *results;
	const char *busybox, *lb;
	struct strbuf list;        /* gen_init_cpio's file list */
	struct strmap in_list;     /* archive paths already listed */
	struct arena names;        /* the keys of in_list */
	int nr_libs;
	struct strbuf modules;     /* the .ko files put in, by module name */
	struct strbuf notes;       /* what the initramfs lacks, for the CPIO line */
	struct strbuf applets;     /* busybox --list-full: the paths its --install -s makes, "bin/sh" a line */
	int applets_read;
	off_t cpio_size;
	double initramfs_s;        /* seconds to make the initramfs */
	double collect_s;          /* seconds to unpack and copy the results */
};

static volatile sig_atomic_t boot_signal;

static void on_signal(int sig)
{
	boot_signal = sig;
}

int boot_parse_ldd(const char *out, struct strbuf *paths, struct strbuf *missing)
{
	int n = 0;

	for (const char *line = out; *line;) {
		const char *eol = strchrnul(line, '\n'), *arrow = strstr(line, " => ");
		const char *p;
		size_t len;

		if (arrow && arrow > eol)
			arrow = NULL;
		p = arrow ? arrow + 4 : line;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (arrow && starts_with(p, "not found")) {
			const char *name = line;

			while (*name == ' ' || *name == '\t')
				name++;
			strbuf_addf(missing, "%s%.*s", missing->len ? " " : "", (int)(arrow - name), name);
		} else if (*p == '/') {
			len = strcspn(p, " \t\n");
			strbuf_add(paths, p, len);
			strbuf_addch(paths, '\n');
			n++;
		}
		line = *eol ? eol + 1 : eol;
	}
	return n;
}

char *boot_panic_line(const char *console)
{
	const char *p = strstr(console, MARK_PANIC);

	if (!p)
		return NULL;
	return xstrndup(p, strcspn(p, "\n"));
}

const char *boot_tail(const char *text, int n)
{
	const char *p = text + strlen(text);

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && --n == 0)
			break;
		p--;
	}
	return p;
}

int boot_elf_is_dynamic(const char *path)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr)) {
		close(fd);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < eh.e_phnum && !ret; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			ret = -ENOEXEC;
			break;
		}
		ret = ph.p_type == PT_INTERP;
	}
	close(fd);
	return ret;
}

/* Words sh reads as reserved in the first place of a command, quoted there. */
static int sh_reserved(const char *s)
{
	static const char *const words[] = { "case", "do", "done", "elif", "else", "esac", "fi", "for", "function",
					     "if", "in", "select", "then", "time", "until", "while" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (str_eq(s, words[i]))
			return 1;
	return 0;
}

void boot_quote_argv(struct strbuf *sb, const char *const *argv)
{
	for (const char *const *a = argv; *a; a++) {
		const char *s = *a;
		int plain = *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+,./:=-") ==
					 strlen(s);

		if (a == argv && (strchr(s, '=') || sh_reserved(s)))
			plain = 0;
		if (a != argv)
			strbuf_addch(sb, ' ');
		if (plain)
			strbuf_addstr(sb, s);
		else
			run_sh_quote(sb, s);
	}
}

int boot_parse_shebang(const char *head, size_t len, char **interp, char **arg)
{
	const char *p = head + 2, *end = memchr(head, '\n', len), *q;

	*interp = *arg = NULL;
	if (len < 3 || head[0] != '#' || head[1] != '!')
		return -ENOEXEC;
	if (!end)
		end = head + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '/')
		return -ENOEXEC;
	for (q = p; q < end && *q != ' ' && *q != '\t' && *q != '\r' && *q; q++)
		;
	*interp = xstrndup(p, (size_t)(q - p));
	/* the kernel passes the rest of the line as one argument, blanks at its ends dropped */
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	while (end > q && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (end > q && !memchr(q, '\0', (size_t)(end - q)))
		*arg = xstrndup(q, (size_t)(end - q));
	return 0;
}

/* `prog` looked up in PATH (caller frees), or NULL. */
static char *find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	copy = xstrdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", *dir ? dir : ".", prog);

		if (access(full, X_OK) == 0 && fs_is_file(full))
			found = fs_absolute(full);
		free(full);
	}
	free(copy);
	return found;
}

/* Scratch files: no fsync, they live for one run. 0 or -errno. */
static int write_file(const char *path, const char *data, size_t len, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode), err = 0;

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static int show_command(const struct boot_ctx *c, const char *const *argv)
{
	if (c->o->verbose) {
		struct run_cmd cmd = { .argv = argv };
		char *line = run_format(&cmd);

		fprintf(stderr, "%s\n", line);
		free(line);
	}
	return 0;
}

/* Run a helper tool with its output captured; on failure say so with what it printed. 0 or KB_EENV. */
static int run_tool(const struct boot_ctx *c, const char *const *argv, struct strbuf *out)
{
	struct strbuf buf = STRBUF_INIT;
	struct run_cmd cmd = { .argv = argv, .out = out ? out : &buf, .merge_err = !out };
	int ret;

	show_command(c, argv);
	ret = run_command(&cmd);
	if (ret != 0) {
		if (ret < 0)
			kb_error("cannot run '%s': %s", argv[0], strerror(-ret));
		else
			kb_error("'%s %s' failed (exit %d)%s%s", argv[0], argv[1] ? argv[1] : "", ret,
				 cmd.out->len ? ":\n" : "", cmd.out->buf);
	}
	strbuf_release(&buf);
	return ret ? KB_EENV : 0;
}

/* ---- the initramfs list ------------------------------------------------------------------- */

static int listed(struct boot_ctx *c, const char *name)
{
	if (strmap_get(&c->in_list, name))
		return 1;
	strmap_put(&c->in_list, arena_strdup(&c->names, name), (void *)1);
	return 0;
}

/* "dir" lines for `dir` and each parent not yet listed. */
static void list_dirs(struct boot_ctx *c, const char *dir)
{
	char *copy = xstrdup(dir);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (!listed(c, copy))
			strbuf_addf(&c->list, "dir %s 0755 0 0\n", copy);
		*p = '/';
	}
	if (*copy && !str_eq(copy, "/") && !listed(c, copy))
		strbuf_addf(&c->list, "dir %s 0755 0 0\n", copy);
	free(copy);
}

/* gen_init_cpio splits its lines at white space: such a name cannot be listed. */
static int listable(const char *s)
{
	return !strpbrk(s, " \t\n") && !strstr(s, "${");
}

/* A host file at archive path `name` (parents made); the file is read through symlinks. */
static void list_file(struct boot_ctx *c, const char *name, const char *host, unsigned mode)
{
	char *dir = fs_dirname(name);

	list_dirs(c, dir);
	free(dir);
	if (!listed(c, name))
		strbuf_addf(&c->list, "file %s %s 0%o 0 0\n", name, host, mode);
}

/*
 * Host directory `dir` copied in, recursively, as archive directory `name`; names with blanks
 * and the `skip` subdirectories left out.
 */
static void list_tree(struct boot_ctx *c, const char *dir, const char *name, const char *const *skip)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	list_dirs(c, name);
	while ((e = readdir(d))) {
		char *path, *sub;
		struct stat st;
		int skipped = 0;

		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		for (const char *const *s = skip; s && *s; s++)
			skipped |= str_eq(e->d_name, *s);
		path = xasprintf("%s/%s", dir, e->d_name);
		sub = xasprintf("%s/%s", name, e->d_name);
		if (!skipped && listable(path) && listable(sub) && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				list_tree(c, path, sub, NULL);
			else if (S_ISREG(st.st_mode))
				list_file(c, sub, path, st.st_mode & 0777);
		}
		free(path);
		free(sub);
	}
	closedir(d);
}

/* Does the file start like an ELF file (of any class)? */
static int is_elf(const char *path)
{
	char magic[SELFMAG];
	int fd = open(path, O_RDONLY | O_CLOEXEC), yes;

	if (fd < 0)
		return 0;
	yes = read(fd, magic, SELFMAG) == SELFMAG && !memcmp(magic, ELFMAG, SELFMAG);
	close(fd);
	return yes;
}

/* `path` (the interpreter of `script`, when not NULL) is neither ELF nor a script: KB_EENV. */
static int not_a_program(const char *path, const char *script)
{
	if (script)
		kb_error("'%s' is a script for '%s', which is not a program (ELF) that can be copied into the guest",
			 script, path);
	else
		kb_error("'%s' is neither a program (ELF) nor a script (#!)", path);
	return KB_EENV;
}

/* The program and every library ldd lists, at their host paths. */
static int list_program(struct boot_ctx *c, const char *name, const char *host)
{
	const char *argv[] = { "ldd", host, NULL };
	struct strbuf out = STRBUF_INIT, paths = STRBUF_INIT, missing = STRBUF_INIT;
	int ret;

	list_file(c, name, host, 0755);
	ret = run_tool(c, argv, &out);
	if (ret) {
		kb_error("cannot list the libraries of '%s'", host);
		goto out;
	}
	boot_parse_ldd(out.buf, &paths, &missing);
	if (missing.len) {
		kb_error("'%s' needs libraries this host does not have: %s", host, missing.buf);
		ret = KB_EENV;
		goto out;
	}
	for (char *p = paths.buf, *eol; *p; p = eol + 1) {
		char *real;

		eol = strchr(p, '\n');
		*eol = '\0';
		real = fs_realpath(p);
		if (!real || !listable(p) || !listable(real)) {
			kb_error("library '%s' of '%s': %s", p, host, real ? "a name with blanks" : strerror(errno));
			free(real);
			ret = KB_EENV;
			goto out;
		}
		if (!strmap_get(&c->in_list, p))
			c->nr_libs++;
		list_file(c, p, real, 0755);
		free(real);
	}
out:
	strbuf_release(&out);
	strbuf_release(&paths);
	strbuf_release(&missing);
	return ret;
}

/* Will `path` exist in the guest: listed already, or made by busybox --install -s? */
static int in_guest(struct boot_ctx *c, const char *path)
{
	if (strmap_get(&c->in_list, path))
		return 1;
	if (!c->applets_read) {
		const char *argv[] = { c->busybox, "--list-full", NULL };
		struct run_cmd cmd = { .argv = argv, .out = &c->applets };

		show_command(c, argv);
		/* a busybox without --list-full: only what is listed counts */
		if (run_command(&cmd) != 0)
			strbuf_reset(&c->applets);
		c->applets_read = 1;
	}
	for (const char *line = c->applets.buf; *line;) {
		size_t len = strcspn(line, "\n");

		if (*path == '/' && len == strlen(path + 1) && !memcmp(line, path + 1, len))
			return 1;
		line += len + (line[len] == '\n');
	}
	return 0;
}

/* An ELF program at archive path `name`: with its libraries when dynamically linked, alone when not. */
static int list_elf(struct boot_ctx *c, const char *name, const char *host, const char *what)
{
	int dyn = boot_elf_is_dynamic(host);
	char *real;

	if (dyn > 0 || dyn == -ENOEXEC)
		/* -ENOEXEC: not ELF64 (a 32-bit program, say): ldd knows, or says why not */
		return dyn > 0 || is_elf(host) ? list_program(c, name, host) : not_a_program(host, what);
	if (dyn < 0) {
		kb_error("cannot read '%s': %s", host, strerror(-dyn));
		return KB_EENV;
	}
	real = fs_realpath(host);
	if (!real || !listable(real)) {
		kb_error("cannot copy '%s' into the guest: %s", host, real ? "a name with blanks" : strerror(errno));
		free(real);
		return KB_EENV;
	}
	list_file(c, name, real, 0755);
	free(real);
	return 0;
}

/*
 * A --with file as archive path `name`: a dynamically linked program with its libraries, a
 * statically linked one alone, a script with the interpreter its #! line names, unless the
 * guest's busybox provides that path (/bin/sh, /usr/bin/env, ...). "env NAME" looks NAME up
 * the same way, in busybox's applets, then in this host's PATH.
 */
static int list_with(struct boot_ctx *c, const char *name, const char *host)
{
	char head[256], *interp = NULL, *arg = NULL, *real = NULL, *found = NULL;
	int fd = open(host, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof(head));

	if (fd >= 0)
		close(fd);
	if (n < 0) {
		kb_error("cannot read '%s': %s", host, strerror(errno));
		return KB_EENV;
	}
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return list_elf(c, name, host, NULL);
	if (boot_parse_shebang(head, (size_t)n, &interp, &arg) < 0) {
		kb_error("'%s' is a script whose #! line names no program by its absolute path", host);
		return KB_EENV;
	}
	real = fs_realpath(host);
	if (!real || !listable(real)) {
		kb_error("cannot copy '%s' into the guest: %s", host, real ? "a name with blanks" : strerror(errno));
		ret = KB_EENV;
		goto out;
	}
	list_file(c, name, real, 0755);
	if (!in_guest(c, interp) && access(interp, F_OK) < 0) {
		kb_error("'%s' is a script for '%s', which neither the guest's busybox nor this host has", host, interp);
		ret = KB_EENV;
	} else if (!in_guest(c, interp)) {
		ret = list_elf(c, interp, interp, host);
	} else if (arg && str_eq(strrchr(interp, '/'), "/env") && !strchr(arg, '/') && !strpbrk(arg, " \t") &&
		   *arg != '-') {
		char *path = xasprintf("/usr/bin/%s", arg);
		int have = 0;

		/* the guest's PATH */
		for (const char *d = "/usr/bin\0/usr/sbin\0/bin\0/sbin\0"; *d && !have; d += strlen(d) + 1) {
			char *p = xasprintf("%s/%s", d, arg);

			have = in_guest(c, p);
			free(p);
		}
		if (!have) {
			found = find_in_path(arg);
			if (!found) {
				kb_error("'%s' is a script for '%s %s', and neither busybox nor this host's PATH has '%s'",
					 host, interp, arg, arg);
				ret = KB_EENV;
			} else {
				ret = list_elf(c, path, found, host);
			}
		}
		free(path);
	}
out:
	free(interp);
	free(arg);
	free(real);
	free(found);
	return ret;
}

/* "snd-dummy" and "snd_dummy" are the same module. */
static char *module_key(const char *name, size_t len)
{
	char *k = xstrndup(name, len);

	for (char *p = k; *p; p++)
		if (*p == '-')
			*p = '_';
	return k;
}

/*
 * The build's .ko for a module name, from modules.order ("sound/drivers/snd-dummy.o", or .ko
 * before 6.2), relative to objdir (caller frees); NULL when the build does not have it.
 */
static char *module_path(const char *order, const char *name)
{
	char *want = module_key(name, strlen(name)), *found = NULL;

	for (const char *line = order; *line && !found;) {
		size_t len = strcspn(line, "\n");
		const char *base = memrchr(line, '/', len);
		size_t blen;

		base = base ? base + 1 : line;
		blen = len - (size_t)(base - line);
		if (blen > 3 && (!memcmp(base + blen - 2, ".o", 2) || !memcmp(base + blen - 3, ".ko", 3))) {
			size_t stem = blen - (base[blen - 1] == 'o' && base[blen - 2] == '.' ? 2 : 3);
			char *k = module_key(base, stem);

			if (str_eq(k, want))
				found = xasprintf("%.*s.ko", (int)(base + stem - line), line);
			free(k);
		}
		line += len + (line[len] == '\n');
	}
	free(want);
	return found;
}

/* Is the module built into the image (modules.builtin lists "kernel/sound/drivers/snd-dummy.ko")? */
static int module_builtin(const char *builtin, const char *name)
{
	char *want = module_key(name, strlen(name));
	int yes = 0;

	for (const char *line = builtin; *line && !yes;) {
		size_t len = strcspn(line, "\n");
		const char *base = memrchr(line, '/', len);

		base = base ? base + 1 : line;
		if (len > 3 && !memcmp(line + len - 3, ".ko", 3)) {
			char *k = module_key(base, (size_t)(line + len - 3 - base));

			yes = str_eq(k, want);
			free(k);
		}
		line += len + (line[len] == '\n');
	}
	free(want);
	return yes;
}

static int copy_file(const char *src, const char *dst)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = fs_read_file(src, &sb);

	if (!ret)
		ret = write_file(dst, sb.buf, sb.len, 0644);
	strbuf_release(&sb);
	return ret;
}

/* Append the names in `list` (separated by blanks, commas or newlines) to a queue. */
static void queue_names(char ***q, size_t *nr, size_t *alloc, const char *list)
{
	while (*list) {
		size_t len = strcspn(list, " ,\n\t");

		if (len) {
			ALLOC_GROW(*q, *nr + 1, *alloc);
			(*q)[(*nr)++] = xstrndup(list, len);
		}
		list += len + (list[len] != '\0');
	}
}

/* The stem of a module file's name ("snd-dummy" of ".../snd-dummy.ko.xz"), as a key; NULL when it is not a module. */
static char *module_file_key(const char *path, size_t len)
{
	const char *base = memrchr(path, '/', len), *end = path + len, *ko;

	base = base ? base + 1 : path;
	/* ".ko" at the end or before the compression's suffix (".ko.xz"), not in the name (".kobj") */
	for (ko = base; (ko = memmem(ko, (size_t)(end - ko), ".ko", 3)); ko++)
		if (ko + 3 == end || ko[3] == '.')
			return module_key(base, (size_t)(ko - base));
	return NULL;
}

/* The line of modules.dep ("kernel/.../snd-dummy.ko.xz: kernel/... ...") for a module name, or NULL. */
static const char *dep_line(const char *dep, const char *name, size_t *len)
{
	char *want = module_key(name, strlen(name));
	const char *found = NULL;

	for (const char *line = dep; *line && !found;) {
		size_t n = strcspn(line, "\n"), colon = strcspn(line, ":\n");
		char *k = colon < n ? module_file_key(line, colon) : NULL;

		if (k && str_eq(k, want)) {
			found = line;
			*len = n;
		}
		free(k);
		line += n + (line[n] == '\n');
	}
	free(want);
	return found;
}

/*
 * The build's modules as modules_install lays them out for the kernel to load them: signed
 * (MODULE_SIG_ALL) and compressed (MODULE_COMPRESS_*) as its configuration says, under
 * BUILD/.kbuild/modules (modules_stage, with the build's own make variables). *dir gets
 * .../lib/modules/RELEASE (caller frees). 0 or KB_EENV.
 */
static int staged_modules(const struct boot_ctx *c, char **dir)
{
	struct modules_opts mo = { .verbose = c->o->verbose };
	struct build_vars vars = { .text = STRBUF_INIT };
	char *link = xasprintf("%s/source", c->o->objdir), *tree = fs_realpath(link);
	int ret;

	*dir = NULL;
	if (!tree) {
		kb_error("cannot tell the source tree of '%s' ('%s': %s): its modules are staged with the tree's "
			 "modules_install", c->o->objdir, link, strerror(errno));
		free(link);
		return KB_EENV;
	}
	mo.inst.make = (struct build_opts){ .tree = tree, .objdir = c->o->objdir, .arch = "x86_64", .srcarch = "x86",
					    .jobs = 1, .verbose = c->o->verbose };
	/* a build kbuild did not make has no make variables: make's defaults then */
	build_vars_load(&mo.inst.make, &vars);
	ret = modules_stage(&mo, dir);
	build_vars_release(&vars);
	free(link);
	free(tree);
	return ret == KB_OK ? 0 : KB_EENV;
}

/*
 * The sound test modules and what they depend on (modules.dep of the staged modules), copied
 * as they are, signatures and compression kept, to tmp/mod/lib/modules/RELEASE/ with depmod's
 * index for that set, then listed.
 */
static int list_modules(struct boot_ctx *c)
{
	struct strbuf order = STRBUF_INIT, builtin = STRBUF_INIT, dep = STRBUF_INIT;
	char *path = xasprintf("%s/modules.order", c->o->objdir), *stage = xasprintf("%s/mod", c->tmp);
	char *moddir = xasprintf("%s/lib/modules/%s", stage, c->release), *staged = NULL;
	char **queue = NULL;
	size_t nr_queue = 0, alloc_queue = 0;
	int ret = 0, nr = 0, any = 0;

	fs_read_file(path, &order);
	free(path);
	path = xasprintf("%s/modules.builtin", c->o->objdir);
	fs_read_file(path, &builtin);
	free(path);
	queue_names(&queue, &nr_queue, &alloc_queue, BOOT_MODULES);
	for (size_t i = 0; i < nr_queue && !any; i++) {
		char *rel = module_path(order.buf, queue[i]);

		any = rel != NULL;
		free(rel);
	}
	if (any) {
		ret = staged_modules(c, &staged);
		path = staged ? xasprintf("%s/modules.dep", staged) : NULL;
		if (!ret && (ret = fs_read_file(path, &dep)) < 0) {
			kb_error("cannot read '%s': %s", path, strerror(-ret));
			ret = KB_EENV;
		}
		free(path);
	}
	for (size_t i = 0; any && !ret && i < nr_queue; i++) {
		const char *name = queue[i], *line;
		size_t len = 0;

		line = dep_line(dep.buf, name, &len);
		if (!line) {
			if (!module_builtin(builtin.buf, name))
				strbuf_addf(&c->notes, "%s%s not built", c->notes.len ? ", " : "", name);
			continue;
		}
		strbuf_addf(&c->modules, "%s%s", c->modules.len ? " " : "", name);
		nr++;
		/* the module and every one it needs (modules.dep lists them all): copied unless already there */
		for (const char *p = line, *end = line + len; !ret && p < end;) {
			size_t n = strcspn(p, ": \n");
			char *src = xasprintf("%s/%.*s", staged, (int)n, p), *dst = xasprintf("%s/%.*s", moddir, (int)n, p);
			char *dir = fs_dirname(dst);

			if (n && !fs_is_file(dst)) {
				if ((ret = fs_mkdir_p(dir, 0755)) == 0)
					ret = copy_file(src, dst);
				if (ret) {
					kb_error("cannot copy module '%s': %s", src, strerror(-ret));
					ret = KB_EENV;
				}
			}
			free(src);
			free(dst);
			free(dir);
			p += n;
			p += strspn(p, ": ");
		}
	}
	if (!ret && nr) {
		const char *argv[] = { "depmod", "-b", stage, c->release, NULL };

		/* modprobe knows what is built in from these, and says so instead of failing */
		for (int i = 0; i < 2 && !ret; i++) {
			char *src = xasprintf("%s/modules.builtin%s", staged, i ? ".modinfo" : "");
			char *dst = xasprintf("%s/modules.builtin%s", moddir, i ? ".modinfo" : "");
			int err = 0;

			if (fs_is_file(src) && (err = copy_file(src, dst)) < 0) {
				kb_error("cannot copy '%s': %s", src, strerror(-err));
				ret = KB_EENV;
			}
			free(src);
			free(dst);
		}
		if (!ret)
			ret = run_tool(c, argv, NULL);
		if (!ret) {
			char *name = xasprintf("/lib/modules/%s", c->release);

			list_tree(c, moddir, name, NULL);
			free(name);
		}
	}
	for (size_t i = 0; i < nr_queue; i++)
		free(queue[i]);
	free(queue);
	strbuf_release(&order);
	strbuf_release(&builtin);
	strbuf_release(&dep);
	free(stage);
	free(moddir);
	free(staged);
	return ret;
}

/* The guest command as the line /etc/boot-test.sh holds: the argument vector quoted word by word, or the default shell line (caller frees). */
static char *command_line(const struct boot_opts *o)
{
	struct strbuf sb = STRBUF_INIT;

	if (o->command && *o->command)
		boot_quote_argv(&sb, o->command);
	else
		strbuf_addstr(&sb, BOOT_DEFAULT_COMMAND);
	return strbuf_detach(&sb, NULL);
}

/* /init: the guest side of the test. Every "kbuild-boot:" line is for the host watching the console. */
static char *init_script(const struct boot_ctx *c)
{
	return xasprintf(
		"#!/bin/busybox sh\n"
		"# kbuild boot-test's init: checks, the command, the results back over virtio-serial\n"
		"/bin/busybox mount -t proc proc /proc\n"
		"/bin/busybox --install -s\n"
		"mount -t sysfs sysfs /sys\n"
		"mount -t devtmpfs devtmpfs /dev\n"
		"exec </dev/console >/dev/console 2>&1\n"
		"mkdir -p /dev/shm /dev/pts /run/boot-test\n"
		"mount -t tmpfs tmpfs /tmp\n"
		"mount -t tmpfs tmpfs /dev/shm\n"
		"export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/tmp TMPDIR=/tmp\n"
		/*
		 * The host reads these lines off the console, where a kernel message can land in the
		 * middle of what echo writes to the terminal. Written to /dev/kmsg, each is a kernel
		 * record, which the console prints whole; straight to the console when the kernel
		 * would not show a notice there (quiet), or has no printk.
		 */
		"mark() {\n"
		"\tread level rest </proc/sys/kernel/printk 2>/dev/null\n"
		"\tif [ \"${level:-0}\" -gt 5 ] 2>/dev/null && echo \"<13>" MARK "$*\" 2>/dev/null >/dev/kmsg; then :\n"
		"\telse echo \"" MARK "$*\"; fi\n"
		"}\n"
		"read up idle </proc/uptime\n"
		"mark \"" MARK_INIT_WORDS "$up s\"\n"
		/* the emulated HDA card registers once its codec probe (a work item) is done: card 0 then */
		"if [ -d /sys/bus/pci/drivers/snd_hda_intel ] && grep -q 0x0403 /sys/bus/pci/devices/*/class 2>/dev/null; then\n"
		"\tfor i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do\n"
		"\t\t[ -e /dev/snd/controlC0 ] && break; sleep 0.1\n"
		"\tdone\n"
		"fi\n"
		"for m in %s; do modprobe $m || mark \"cannot load $m\"; done\n"
		"{\n"
		"\techo \"uname -r: $(uname -r)\"\n"
		"\techo \"uname -v: $(uname -v)\"\n"
		"\techo \"/sys/kernel/realtime: $(cat /sys/kernel/realtime 2>/dev/null || echo absent)\"\n"
		"\techo \"preemption model: $(latency-bench check 2>/dev/null | sed -n 's/^ *[A-Z]*  *Preemption model  *//p')\"\n"
		"\techo \"modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\\n' ' ' | sed 's/ $//')\"\n"
		"\techo \"/proc/asound/cards:\"\n"
		"\tcat /proc/asound/cards 2>/dev/null || echo absent\n"
		"} >/out/checks.txt 2>&1\n"
		"cd /out\n"
		"mark \"running the command\"\n"
		/* stdin from /dev/null: nobody types on the console, a command reading it would wait forever */
		"{ sh /etc/boot-test.sh </dev/null; echo $? >/run/boot-test/status; } 2>&1 | tee /run/boot-test/output.log\n"
		"status=$(cat /run/boot-test/status)\n"
		"cd /\n"
		"read up idle </proc/uptime\n"
		"mark \"" MARK_STATUS_WORDS "$status at $up s\"\n"
		/* what the command left running must not change /out while it is packed */
		"kill -KILL -1 2>/dev/null\n"
		"port=\n"
		"for p in /sys/class/virtio-ports/*; do\n"
		"\t[ \"$(cat $p/name 2>/dev/null)\" = kbuild.results ] && port=/dev/${p##*/}\n"
		"done\n"
		"if [ -n \"$port\" ]; then\n"
		"\ttar -cf \"$port\" out run/boot-test\n"
		"else\n"
		"\tmark \"no virtio port kbuild.results (CONFIG_VIRTIO_PCI, CONFIG_VIRTIO_CONSOLE): results lost\"\n"
		"fi\n"
		/* tinyconfig has no ACPI power-off: reboot -f with QEMU's -no-reboot ends QEMU */
		"reboot -f\n",
		c->modules.len ? c->modules.buf : "");
}

/* Write the list and run the build's own usr/gen_init_cpio on it: tmp/initramfs.cpio (uncompressed, which every kernel takes). */
static int make_initramfs(struct boot_ctx *c)
{
	static const char *const alsa_skip[] = { "ucm", "ucm2", NULL };
	char *init = xasprintf("%s/init", c->tmp), *cmd = xasprintf("%s/command.sh", c->tmp);
	char *passwd = xasprintf("%s/passwd", c->tmp), *group = xasprintf("%s/group", c->tmp);
	char *listf = xasprintf("%s/initramfs.list", c->tmp), *cpio = xasprintf("%s/initramfs.cpio", c->tmp);
	char *gen = xasprintf("%s/usr/gen_init_cpio", c->o->objdir), *script = NULL, *command = NULL;
	char *config = NULL, *bootcfg = NULL, *line;
	const char *argv[] = { gen, listf, NULL };
	struct run_cmd rc = { .argv = argv };
	struct stat st;
	pid_t pid;
	int fd = -1, out = -1, ret = 0, err;

	strbuf_addstr(&c->list, "# kbuild boot-test initramfs\n");
	list_dirs(c, "/dev");
	strbuf_addstr(&c->list, "nod /dev/console 0600 0 0 c 5 1\nnod /dev/null 0666 0 0 c 1 3\n");
	for (const char *d = "/proc\0/sys\0/tmp\0/out\0/run\0/etc\0/bin\0/sbin\0/usr/bin\0/usr/sbin\0"; *d; d += strlen(d) + 1)
		list_dirs(c, d);
	list_file(c, "/bin/busybox", c->busybox, 0755);
	strbuf_addstr(&c->list, "slink /bin/sh busybox 0777 0 0\n");
	listed(c, "/bin/sh");
	ret = list_program(c, "/usr/bin/latency-bench", c->lb);
	if (ret)
		goto out;
	for (size_t i = 0; c->o->with && c->o->with[i]; i++) {
		const char *base = strrchr(c->o->with[i], '/');
		char *name = xasprintf("/usr/bin/%s", base ? base + 1 : c->o->with[i]);

		ret = list_with(c, name, c->o->with[i]);
		free(name);
		if (ret)
			goto out;
	}
	/* alsa-lib's configuration (hw: names, aliases); the use-case files are not needed for hw devices */
	if (fs_is_dir("/usr/share/alsa"))
		list_tree(c, "/usr/share/alsa", "/usr/share/alsa", alsa_skip);
	ret = list_modules(c);
	if (ret)
		goto out;
	/* the build's configuration where distributions keep it: latency-bench check reads the
	 * preemption model from it (uname -v names PREEMPT and PREEMPT_RT, not PREEMPT_VOLUNTARY) */
	config = xasprintf("%s/.config", c->o->objdir);
	bootcfg = xasprintf("/boot/config-%s", c->release);
	if (fs_is_file(config) && listable(config) && listable(bootcfg))
		list_file(c, bootcfg, config, 0644);
	script = init_script(c);
	line = command_line(c->o);
	command = xasprintf("%s\n", line);
	free(line);
	/* root, and the audio group alsa-lib's dmix and dsnoop give their shared memory to (ipc_gid) */
	if ((err = write_file(init, script, strlen(script), 0755)) < 0 ||
	    (err = write_file(cmd, command, strlen(command), 0755)) < 0 ||
	    (err = write_file(passwd, "root:x:0:0:root:/tmp:/bin/sh\n", 29, 0644)) < 0 ||
	    (err = write_file(group, "root:x:0:\naudio:x:29:root\n", 26, 0644)) < 0) {
		kb_error("cannot write into '%s': %s", c->tmp, strerror(-err));
		ret = KB_EENV;
		goto out;
	}
	list_file(c, "/init", init, 0755);
	list_file(c, "/etc/boot-test.sh", cmd, 0755);
	list_file(c, "/etc/passwd", passwd, 0644);
	list_file(c, "/etc/group", group, 0644);
	if ((err = write_file(listf, c->list.buf, c->list.len, 0644)) < 0) {
		kb_error("cannot write '%s': %s", listf, strerror(-err));
		ret = KB_EENV;
		goto out;
	}
	out = open(cpio, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		kb_error("cannot create '%s': %s", cpio, strerror(errno));
		ret = KB_EENV;
		goto out;
	}
	show_command(c, argv);
	err = run_start(&rc, &pid, &fd);
	if (err < 0) {
		kb_error("cannot run '%s': %s", gen, strerror(-err));
		ret = KB_EENV;
		goto out;
	}
	for (;;) {
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; n > 0;) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				err = -errno;
				break;
			}
			p += w;
			n -= w;
		}
		if (err < 0)
			break;
	}
	close(fd);
	ret = run_wait(pid);
	if (err < 0) {
		kb_error("cannot write '%s': %s", cpio, strerror(-err));
		ret = KB_EENV;
	} else if (ret != 0) {
		kb_error("'%s' failed (exit %d) on '%s'", gen, ret, listf);
		ret = KB_EENV;
	} else if (fstat(out, &st) == 0) {
		c->cpio_size = st.st_size;
	}
out:
	if (out >= 0)
		close(out);
	free(init);
	free(cmd);
	free(passwd);
	free(group);
	free(listf);
	free(cpio);
	free(gen);
	free(script);
	free(command);
	free(config);
	free(bootcfg);
	return ret;
}

/* ---- the results directory ---------------------------------------------------------------- */

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while (empty && (e = readdir(d)))
		empty = str_eq(e->d_name, ".") || str_eq(e->d_name, "..");
	closedir(d);
	return empty;
}

/* A fresh results directory: a new or empty one, or one an earlier boot-test made (emptied). */
static int prepare_results(struct boot_ctx *c)
{
	char *mark = xasprintf("%s/" RESULTS_MARK, c->results);
	int err, ret = 0;

	if (fs_is_dir(c->results) && !dir_is_empty(c->results)) {
		if (!fs_is_file(mark)) {
			kb_error("results directory '%s' holds files boot-test did not make: give a new or empty --results DIR",
				 c->results);
			ret = KB_EUSAGE;
			goto out;
		}
		err = fs_remove_tree(c->results);
		if (err < 0) {
			kb_error("cannot empty the results directory '%s': %s", c->results, strerror(-err));
			ret = KB_EENV;
			goto out;
		}
	}
	if ((err = fs_mkdir_p(c->results, 0755)) < 0 || (err = write_file(mark, "", 0, 0644)) < 0) {
		kb_error("cannot make the results directory '%s': %s", c->results, strerror(-err));
		ret = KB_EENV;
	}
out:
	free(mark);
	return ret;
}

/* Copy what came back into the results directory: regular files and directories. 0 or -errno. */
static int copy_tree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (e = readdir(d))) {
		char *s, *t;
		struct stat st;

		if (str_eq(e->d_name, ".") || str_eq(e->d_name, ".."))
			continue;
		s = xasprintf("%s/%s", src, e->d_name);
		t = xasprintf("%s/%s", dst, e->d_name);
		if (lstat(s, &st) < 0) {
			err = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			err = fs_mkdir_p(t, 0755);
			if (!err)
				err = copy_tree(s, t);
		} else if (S_ISREG(st.st_mode)) {
			struct strbuf sb = STRBUF_INIT;

			err = fs_read_file(s, &sb);
			if (!err) {
				err = fs_write_atomic(t, sb.buf, sb.len, NULL);
				err = err < 0 ? err : 0;
			}
			strbuf_release(&sb);
		}
		free(s);
		free(t);
	}
	closedir(d);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the results directory, sorted, space-separated (its own mark left out). */
static char *results_listing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	struct strbuf sb = STRBUF_INIT;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, nr + 1, alloc);
		names[nr++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr; i++) {
		strbuf_addf(&sb, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	free(names);
	return strbuf_detach(&sb, NULL);
}

/* ---- one boot ----------------------------------------------------------------------------- */

struct attempt {
	int kvm;
	double init_deadline;      /* > 0: stop when /init has not said so by then (KVM probe) */
	double output_deadline;    /* > 0: stop when the console is still silent by then (KVM probe) */
	/* what happened */
	int status;                /* QEMU's exit status (or 128+signal) */
	int timed_out, interrupted, killed;
	int boot_timed_out;        /* /init did not start within the boot timeout */
	int gave_up;               /* 1: /init too late, 2: the console silent too long */
	int init_seen;
	double init_host;          /* seconds from QEMU's start to the init marker on the console */
	double init_guest;         /* the guest's uptime at /init */
	double elapsed;
	char *panic;               /* the panic line, or NULL */
	struct strbuf console;     /* the serial console, CRs dropped */
	struct strbuf qemu_out;    /* what QEMU itself printed */
};

static void attempt_release(struct attempt *a)
{
	free(a->panic);
	strbuf_release(&a->console);
	strbuf_release(&a->qemu_out);
}

/* New console bytes, CRs dropped (the serial line sends CR LF). */
static void read_console(int fd, struct strbuf *console, int verbose)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != '\r')
				strbuf_addch(console, buf[i]);
		if (verbose && fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
			verbose = 0;
	}
}

static char *qemu_cmdline(const struct boot_ctx *c)
{
	/* no_timer_check: an emulated CPU on a busy host can miss the IO-APIC timer check and panic */
	return xasprintf("console=ttyS0 panic=-1 oops=panic tsc=reliable no_timer_check printk.devkmsg=on%s%s",
			 c->o->append ? " " : "",
			 c->o->append ? c->o->append : "");
}

static void boot_once(struct boot_ctx *c, struct attempt *a)
{
	char *console = xasprintf("%s/console", c->tmp), *data = xasprintf("%s/results.tar", c->tmp);
	char *cpio = xasprintf("%s/initramfs.cpio", c->tmp), *append = qemu_cmdline(c);
	char *serial = xasprintf("file:%s", console), *chardev = xasprintf("file,id=results,path=%s", data);
	char *hard = xasprintf("%.0f", c->o->timeout + 5);
	const char *argv[48];
	int n = 0, fd = -1, cfd = -1, eof = 0, shown = 0, err;
	double start, panic_at = 0;
	struct run_cmd cmd = { .argv = argv, .merge_err = 1, .new_pgroup = 1 };
	pid_t pid;

	unlink(console);
	unlink(data);
	/* belt and braces: if kbuild itself is killed, timeout(1) still ends QEMU */
	if (run_have_program("timeout")) {
		argv[n++] = "timeout";
		argv[n++] = "-s";
		argv[n++] = "KILL";
		argv[n++] = hard;
	}
	argv[n++] = QEMU;
	argv[n++] = "-accel";
	argv[n++] = a->kvm ? "kvm" : "tcg";
	argv[n++] = "-m";
	argv[n++] = "512";
	/*
	 * two sockets of one core: without ACPI the kernel finds CPUs in SeaBIOS's MP table, which
	 * lists one entry per socket (plain -smp 2 is one socket of two cores: one CPU in the guest)
	 */
	argv[n++] = "-smp";
	argv[n++] = "2,sockets=2,cores=1,threads=1";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-monitor";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-kernel";
	argv[n++] = c->image;
	argv[n++] = "-initrd";
	argv[n++] = cpio;
	argv[n++] = "-append";
	argv[n++] = append;
	argv[n++] = "-serial";
	argv[n++] = serial;
	/* the results travel as one tar on a virtio serial port: binary-safe, and nothing else writes there */
	argv[n++] = "-device";
	argv[n++] = "virtio-serial-pci,id=vs";
	argv[n++] = "-chardev";
	argv[n++] = chardev;
	argv[n++] = "-device";
	argv[n++] = "virtserialport,bus=vs.0,chardev=results,name=kbuild.results";
	argv[n++] = "-device";
	argv[n++] = "intel-hda";
	argv[n++] = "-device";
	argv[n++] = "hda-duplex,audiodev=snd0";
	argv[n++] = "-audiodev";
	argv[n++] = "none,id=snd0";
	argv[n] = NULL;
	show_command(c, argv);
	start = kb_now();
	err = run_start(&cmd, &pid, &fd);
	if (err < 0) {
		strbuf_addf(&a->qemu_out, "cannot run %s: %s\n", QEMU, strerror(-err));
		a->status = 127;
		goto out;
	}
	while (!eof) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double t;

		if (poll(&pfd, 1, 50) > 0) {
			char buf[4096];
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0)
				strbuf_add(&a->qemu_out, buf, (size_t)r);
			else if (r == 0 || errno != EINTR)
				eof = 1;
		}
		if (cfd < 0)
			cfd = open(console, O_RDONLY | O_CLOEXEC);
		if (cfd >= 0)
			read_console(cfd, &a->console, c->o->verbose);
		t = kb_now() - start;
		if (!a->init_seen) {
			const char *m = strstr(a->console.buf, MARK_INIT);

			if (m && strchr(m, '\n')) {
				a->init_seen = 1;
				a->init_host = t;
				a->init_guest = strtod(m + strlen(MARK_INIT), NULL);
			}
		}
		if (a->init_seen && !shown) {
			kb_progress("GUEST", "/init at %.2f s of guest time, %.1f s after QEMU started", a->init_guest,
				    a->init_host);
			shown = 1;
		}
		if (!panic_at && strstr(a->console.buf, MARK_PANIC))
			panic_at = t;
		if (eof)
			break;
		if (boot_signal)
			a->interrupted = 1;
		else if (t > c->o->timeout)
			a->timed_out = 1;
		else if (!a->init_seen && !panic_at && c->o->boot_timeout > 0 && t > c->o->boot_timeout)
			a->boot_timed_out = 1;
		else if (a->init_deadline > 0 && !a->init_seen && !panic_at && t > a->init_deadline)
			a->gave_up = 1;
		else if (a->output_deadline > 0 && !a->console.len && t > a->output_deadline)
			a->gave_up = 2;
		/* panic=-1 and -no-reboot end QEMU at once; give it a moment, then end it */
		else if (panic_at && t > panic_at + 3)
			a->killed = 1;
		else
			continue;
		kill(-pid, SIGKILL);
		break;
	}
	close(fd);
	a->status = run_wait(pid);
	if (cfd >= 0)
		read_console(cfd, &a->console, c->o->verbose);
	a->panic = boot_panic_line(a->console.buf);
out:
	a->elapsed = kb_now() - start;
	if (cfd >= 0)
		close(cfd);
	free(console);
	free(data);
	free(cpio);
	free(append);
	free(serial);
	free(chardev);
	free(hard);
}

/* ---- the whole test ----------------------------------------------------------------------- */

static void show_tail(const char *what, const struct attempt *a)
{
	const char *tail = boot_tail(a->console.buf, TAIL_LINES);

	if (!*tail) {
		fprintf(stderr, "  (%s is empty)\n", what);
	} else {
		fprintf(stderr, "last console lines (%s):\n", what);
		for (const char *p = tail; *p;) {
			size_t len = strcspn(p, "\n");

			/* the console may carry terminal escapes (a shell asking for the cursor): shown as ^[ */
			fputs("  | ", stderr);
			for (size_t i = 0; i < len; i++) {
				unsigned char ch = (unsigned char)p[i];

				if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
					fprintf(stderr, "^%c", ch ^ 0x40);
				else
					fputc(ch, stderr);
			}
			fputc('\n', stderr);
			p += len + (p[len] == '\n');
		}
	}
	if (a->qemu_out.len) {
		for (const char *p = a->qemu_out.buf; *p;) {
			size_t len = strcspn(p, "\n");

			fprintf(stderr, "  qemu: %.*s\n", (int)len, p);
			p += len + (p[len] == '\n');
		}
	}
}

/* The checks file as one progress line: release, preemption model, /sys/kernel/realtime, card ids. */
static void show_checks(const char *checks)
{
	struct strbuf cards = STRBUF_INIT;
	char *release = NULL, *model = NULL, *rt = NULL;
	int in_cards = 0;

	for (const char *p = checks; *p;) {
		size_t len = strcspn(p, "\n");
		char *l = xstrndup(p, len), id[64];

		if (in_cards && sscanf(l, " %*d [%63[^] ]", id) == 1)
			strbuf_addf(&cards, "%s%s", cards.len ? " " : "", id);
		else if (!release && starts_with(l, "uname -r: "))
			release = xstrdup(l + 10);
		else if (!model && starts_with(l, "preemption model: "))
			model = xstrdup(l[18] ? l + 18 : "preemption model unknown");
		else if (!rt && starts_with(l, "/sys/kernel/realtime: "))
			rt = xstrdup(l + 22);
		else if (str_eq(l, "/proc/asound/cards:"))
			in_cards = 1;
		free(l);
		p += len + (p[len] == '\n');
	}
	kb_progress("GUEST", "%s, %s, /sys/kernel/realtime %s, sound cards: %s", release ? release : "release unknown",
		    model ? model : "preemption model unknown", rt ? rt : "unknown", cards.len ? cards.buf : "none");
	strbuf_release(&cards);
	free(release);
	free(model);
	free(rt);
}

static int save_console(const struct boot_ctx *c, const struct attempt *a, char **path)
{
	int err;

	*path = xasprintf("%s/console.log", c->results);
	err = fs_write_atomic(*path, a->console.buf, a->console.len, NULL);
	if (err < 0)
		kb_warning("cannot write '%s': %s", *path, strerror(-err));
	return err < 0 ? err : 0;
}

/*
 * What the guest sent is not trusted: a name in its tar that is a symlink would make the host
 * read (and copy into the results) a file of its own. Only real directories and files count.
 */
static int guest_is(const char *path, mode_t type)
{
	struct stat st;

	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* The modules the guest's modprobe could not load, each with the kernel's reason when the console has one (lockdown, signature). */
static void report_module_failures(const struct attempt *a)
{
	const char *console = a->console.buf, *why = strstr(console, "Lockdown: ");
	size_t why_len = 0;

	if (!why)
		why = strstr(console, "module verification failed");
	if (!why)
		why = strstr(console, "Loading of unsigned module");
	if (why)
		why_len = strcspn(why, "\r\n");
	for (const char *p = console; (p = strstr(p, MARK "cannot load "));) {
		size_t len;

		p += strlen(MARK "cannot load ");
		len = strcspn(p, "\r\n");
		kb_warning("the guest could not load module '%.*s'%s%.*s", (int)len, p, why ? ": " : "", (int)why_len,
			   why ? why : "");
	}
}

/* The tar the guest sent, unpacked into the results; the command's status in *status. */
static int collect(struct boot_ctx *c, const struct attempt *a, int *status)
{
	char *data = xasprintf("%s/results.tar", c->tmp), *back = xasprintf("%s/back", c->tmp);
	char *out = xasprintf("%s/out", back), *run = xasprintf("%s/run/boot-test", back), *path;
	const char *argv[] = { "tar", "-xf", data, "-C", back, NULL };
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int ret = KB_EENV, err;
	char *end;
	long v;

	if (stat(data, &st) < 0 || st.st_size == 0) {
		kb_error("the guest sent no results back (%s)",
			 strstr(a->console.buf, MARK "no virtio port") ? "it has no virtio serial port" :
			 strstr(a->console.buf, MARK_STATUS) ? "nothing arrived on the virtio serial port" :
			 "the command did not finish");
		goto out;
	}
	if (fs_mkdir_p(back, 0755) < 0 || run_tool(c, argv, NULL)) {
		kb_error("cannot unpack the results the guest sent ('%s')", data);
		goto out;
	}
	path = xasprintf("%s/status", run);
	strbuf_addf(&sb, "%s/run", back);
	err = guest_is(sb.buf, S_IFDIR) && guest_is(run, S_IFDIR) && guest_is(path, S_IFREG) &&
			      (guest_is(out, S_IFDIR) || (lstat(out, &st) < 0 && errno == ENOENT))
		      ? 0
		      : -EINVAL;
	strbuf_reset(&sb);
	if (err) {
		kb_error("the results the guest sent are not plain files and directories (a symlink where "
			 "out, run/boot-test or its status should be): none taken");
		free(path);
		goto out;
	}
	err = fs_read_file(path, &sb);
	free(path);
	v = err ? -1 : strtol(sb.buf, &end, 10);
	if (err || end == sb.buf || (*end && *end != '\n') || v < 0 || v > 255) {
		kb_error("the guest did not report the command's exit status");
		goto out;
	}
	*status = (int)v;
	strbuf_reset(&sb);
	path = xasprintf("%s/output.log", run);
	if (guest_is(path, S_IFREG) && fs_read_file(path, &sb) == 0)
		fwrite(sb.buf, 1, sb.len, stdout);
	fflush(stdout);
	free(path);
	path = xasprintf("%s/output.log", c->results);
	err = fs_write_atomic(path, sb.buf, sb.len, NULL);
	free(path);
	if (err >= 0)
		err = guest_is(out, S_IFDIR) ? copy_tree(out, c->results) : 0;
	if (err < 0) {
		kb_error("cannot copy the results into '%s': %s", c->results, strerror(-err));
		goto out;
	}
	ret = KB_OK;
out:
	strbuf_release(&sb);
	free(data);
	free(back);
	free(out);
	free(run);
	return ret;
}

/* Why the last boot gave no result, with the console's last lines. */
static int report_failure(const struct boot_ctx *c, const struct attempt *a)
{
	char *log = NULL;

	save_console(c, a, &log);
	if (a->panic) {
		kb_error("the kernel panicked %.1f s after QEMU started: %s", a->elapsed, a->panic);
	} else if (a->boot_timed_out) {
		kb_error("the kernel did not start /init within %g s: QEMU stopped", c->o->boot_timeout);
	} else if (a->timed_out) {
		kb_error("the guest did not finish within %g s (%s): QEMU stopped", c->o->timeout,
			 !a->init_seen ? "the kernel did not reach /init" :
			 strstr(a->console.buf, MARK_STATUS) ? "the results did not come back" :
			 strstr(a->console.buf, MARK "running the command") ? "the command was still running" :
			 "the checks were still running");
	} else if (a->status != 0) {
		kb_error("%s exited %d after %.1f s%s", QEMU, a->status, a->elapsed,
			 a->status == 127 ? " (is qemu-system-x86 installed?)" : "");
	} else if (!a->init_seen) {
		kb_error("the kernel stopped before running /init (%.1f s)", a->elapsed);
	} else {
		free(log);
		return 0;
	}
	show_tail(log, a);
	free(log);
	return KB_EENV;
}

static void write_summary_json(const struct boot_ctx *c, const struct attempt *a, const char *accel,
			       const char *fallback, int status, double total)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	char *path = xasprintf("%s/boot-test.json", c->results), *command = command_line(c->o);
	int err;

	json_init(&w, &sb, 1);
	json_begin_object(&w);
	json_kv_string(&w, "schema", "kbuild-boot-test/1");
	json_kv_string(&w, "kernel_release", c->release);
	json_kv_string(&w, "accel", accel);
	json_kv_string(&w, "kvm_fallback", fallback);
	json_kv_string(&w, "command", command);
	json_kv_int(&w, "exit_status", status);
	json_kv_string(&w, "modules", c->modules.buf);
	json_kv_int(&w, "initramfs_bytes", (int64_t)c->cpio_size);
	json_key(&w, "initramfs_s");
	json_fixed(&w, c->initramfs_s, 3);
	json_key(&w, "guest_uptime_at_init_s");
	json_fixed(&w, a->init_guest, 3);
	json_key(&w, "qemu_start_to_init_s");
	json_fixed(&w, a->init_host, 3);
	json_key(&w, "qemu_s");
	json_fixed(&w, a->elapsed, 3);
	json_key(&w, "collect_s");
	json_fixed(&w, c->collect_s, 3);
	json_key(&w, "total_s");
	json_fixed(&w, total, 3);
	json_end_object(&w);
	strbuf_addch(&sb, '\n');
	err = fs_write_atomic(path, sb.buf, sb.len, NULL);
	if (err < 0)
		kb_warning("cannot write '%s': %s", path, strerror(-err));
	strbuf_release(&sb);
	free(path);
	free(command);
}

/* latency-bench beside the running kbuild (out/ of a build, or the same bin/), else from PATH (caller frees). */
static char *default_latency_bench(void)
{
	char exe[4096], *dir, *lb;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		dir = fs_dirname(exe);
		lb = xasprintf("%s/latency-bench", dir);
		free(dir);
		if (access(lb, X_OK) == 0)
			return lb;
		free(lb);
	}
	return find_in_path("latency-bench");
}

static int check_tools(struct boot_ctx *c, char **busybox, char **lb_abs)
{
	static const char *const tools[] = { QEMU, "ldd", "depmod", "tar" };
	static const char *const pkgs[] = { "qemu-system-x86", "libc-bin", "kmod", "tar" };
	char *gen = xasprintf("%s/usr/gen_init_cpio", c->o->objdir), *rel = xasprintf("%s/include/config/kernel.release", c->o->objdir);
	struct strbuf sb = STRBUF_INIT;
	int ret = KB_EENV, dyn;

	if (!fs_is_file(c->image)) {
		kb_error("no kernel image '%s': build the kernel first", c->image);
		goto out;
	}
	if (fs_read_file(rel, &sb) < 0) {
		kb_error("cannot read '%s': %s", rel, strerror(errno));
		goto out;
	}
	c->release = xstrndup(sb.buf, strcspn(sb.buf, "\n"));
	if (access(gen, X_OK) < 0) {
		kb_error("no '%s': the initramfs is made with the build's own tool (CONFIG_BLK_DEV_INITRD=y builds it)", gen);
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		if (!run_have_program(tools[i])) {
			kb_error("'%s' not found: install %s", tools[i], pkgs[i]);
			goto out;
		}
	}
	*busybox = c->o->busybox ? fs_absolute(c->o->busybox) : find_in_path("busybox");
	if (!*busybox) {
		kb_error("no busybox in PATH: install busybox-static");
		goto out;
	}
	dyn = boot_elf_is_dynamic(*busybox);
	if (dyn != 0) {
		/* the guest has no libraries but latency-bench's: a dynamically linked busybox cannot run there */
		if (dyn > 0 || dyn == -ENOEXEC)
			kb_error("busybox '%s' is %s: install busybox-static", *busybox,
				 dyn > 0 ? "dynamically linked" : "not an ELF program");
		else
			kb_error("busybox '%s': %s", *busybox, strerror(-dyn));
		goto out;
	}
	*lb_abs = c->o->latency_bench ? fs_absolute(c->o->latency_bench) : default_latency_bench();
	if (!*lb_abs || access(*lb_abs, X_OK) < 0 || !fs_is_file(*lb_abs)) {
		kb_error("latency-bench '%s' is not an executable file (give --latency-bench FILE)",
			 c->o->latency_bench ? c->o->latency_bench : "(none found)");
		goto out;
	}
	c->busybox = *busybox;
	c->lb = *lb_abs;
	ret = KB_OK;
out:
	strbuf_release(&sb);
	free(gen);
	free(rel);
	return ret;
}

/* Can this process use KVM? NULL when /dev/kvm opens, else why not (static text). */
static const char *kvm_unusable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	return errno == ENOENT ? "no /dev/kvm" : errno == EACCES ? "/dev/kvm: permission denied" : "/dev/kvm does not open";
}

int boot_run(const struct boot_opts *o, int *status)
{
	struct boot_ctx c = { .o = o, .list = STRBUF_INIT, .modules = STRBUF_INIT, .notes = STRBUF_INIT,
			      .applets = STRBUF_INIT };
	struct attempt a = { .console = STRBUF_INIT, .qemu_out = STRBUF_INIT };
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_hup;
	char *busybox = NULL, *lb = NULL, *fallback = NULL, *log = NULL, *files = NULL, *checks_path;
	const char *accel = "TCG", *why;
	struct strbuf checks = STRBUF_INIT;
	double start = kb_now(), t;
	int ret;

	*status = -1;
	strmap_init(&c.in_list);
	arena_init(&c.names);
	c.image = xasprintf("%s/arch/x86/boot/bzImage", o->objdir);
	c.results = o->results ? fs_absolute(o->results) : xasprintf("%s/boot-test", o->objdir);
	ret = check_tools(&c, &busybox, &lb);
	if (ret)
		goto out;
	ret = prepare_results(&c);
	if (ret)
		goto out;
	c.tmp = xasprintf("%s/kbuild-boot.XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(c.tmp)) {
		kb_error("cannot make a scratch directory '%s': %s", c.tmp, strerror(errno));
		free(c.tmp);
		c.tmp = NULL;
		ret = KB_EENV;
		goto out;
	}
	t = kb_now();
	ret = make_initramfs(&c);
	c.initramfs_s = kb_now() - t;
	if (ret)
		goto out;
	kb_progress("CPIO", "initramfs: busybox, latency-bench and %d librar%s, %s%s%s (%.1f MB)", c.nr_libs,
		    c.nr_libs == 1 ? "y" : "ies", c.modules.len ? "modules " : "no modules", c.modules.buf,
		    c.notes.len ? "; " : "", (double)c.cpio_size / 1e6);
	if (c.notes.len)
		fprintf(stderr, "  (%s)\n", c.notes.buf);

	boot_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	why = o->accel == BOOT_ACCEL_AUTO ? kvm_unusable() : NULL;
	if (o->accel == BOOT_ACCEL_KVM || (o->accel == BOOT_ACCEL_AUTO && !why)) {
		kb_progress("BOOT", "%s under KVM%s", c.release, o->accel == BOOT_ACCEL_AUTO ? " (TCG if it does not come up)" : "");
		a.kvm = 1;
		a.init_deadline = o->accel == BOOT_ACCEL_AUTO ? o->kvm_deadline : 0;
		/* a KVM guest prints its first kernel line well within a second; one that hangs here prints nothing */
		a.output_deadline = o->accel == BOOT_ACCEL_AUTO ? BOOT_KVM_SILENCE : 0;
		accel = "KVM";
		boot_once(&c, &a);
		/* TCG takes over when KVM gave no sign of life, or QEMU could not run it; a panic or a timeout is the kernel's */
		if (o->accel == BOOT_ACCEL_AUTO && !a.init_seen && !a.panic &&
		    (a.gave_up || !(a.interrupted || a.timed_out || a.boot_timed_out || a.killed))) {
			if (a.gave_up == 2)
				fallback = xasprintf("no console output within %g s", a.output_deadline);
			else if (a.gave_up)
				fallback = xasprintf("no /init within %g s", o->kvm_deadline);
			else
				fallback = xasprintf("%s exited %d%s%.*s", QEMU, a.status, a.qemu_out.len ? ": " : "",
						     (int)strcspn(a.qemu_out.buf, "\n"), a.qemu_out.buf);
			attempt_release(&a);
			memset(&a, 0, sizeof(a));
			a.console = (struct strbuf)STRBUF_INIT;
			a.qemu_out = (struct strbuf)STRBUF_INIT;
		}
	} else if (why) {
		fallback = xstrdup(why);
	}
	if (!a.kvm || fallback) {
		if (fallback)
			kb_progress("BOOT", "%s under TCG (KVM: %s)", c.release, fallback);
		else
			kb_progress("BOOT", "%s under TCG", c.release);
		accel = "TCG";
		boot_once(&c, &a);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	if (a.interrupted) {
		save_console(&c, &a, &log);
		kb_error("interrupted: QEMU stopped; the console so far is in '%s'", log);
		ret = KB_INTERRUPTED;
		goto out;
	}
	ret = report_failure(&c, &a);
	if (ret)
		goto out;
	save_console(&c, &a, &log);
	t = kb_now();
	ret = collect(&c, &a, status);
	c.collect_s = kb_now() - t;
	if (ret) {
		show_tail(log, &a);
		goto out;
	}
	report_module_failures(&a);
	checks_path = xasprintf("%s/checks.txt", c.results);
	if (fs_read_file(checks_path, &checks) == 0)
		show_checks(checks.buf);
	free(checks_path);
	write_summary_json(&c, &a, accel, fallback, *status, kb_now() - start);
	files = results_listing(c.results);
	kb_progress("GUEST", "command exited %d", *status);
	if (*status != 0)
		show_tail(log, &a);
	printf("kbuild: boot-test of %s under %s: command exited %d after %.1f s; results in %s: %s\n", c.release, accel,
	       *status, kb_now() - start, c.results, files);
out:
	if (c.tmp && !getenv("KBUILD_BOOT_KEEP"))
		fs_remove_tree(c.tmp);
	else if (c.tmp)
		fprintf(stderr, "  (scratch directory kept: %s)\n", c.tmp);
	attempt_release(&a);
	strbuf_release(&c.list);
	strbuf_release(&c.modules);
	strbuf_release(&c.notes);
	strbuf_release(&c.applets);
	strbuf_release(&checks);
	strmap_release(&c.in_list);
	arena_release(&c.names);
	free(c.tmp);
	free(c.image);
	free(c.release);
	free(c.results);
	free(busybox);
	free(lb);
	free(fallback);
	free(log);
	free(files);
	return ret;
}
