/* opt.c - option tables (parse-options style) over getopt_long, help text, command lists, strict number parsing */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "status.h"
#include "strbuf.h"

void opt_list_release(struct opt_list *l)
{
	free(l->v);
	l->v = NULL;
	l->nr = l->alloc = 0;
}

static int takes_arg(const struct kb_option *o)
{
	return o->argh != NULL;
}

/* "--rate" or "-p", the way the user is told about an option. */
static void opt_name(struct strbuf *sb, const struct kb_option *o)
{
	if (o->long_name)
		strbuf_addf(sb, "--%s", o->long_name);
	else
		strbuf_addf(sb, "-%c", o->short_name);
}

static int bad_value(const struct kb_option *o, const char *arg, struct strbuf *err)
{
	strbuf_addstr(err, "invalid ");
	opt_name(err, o);
	strbuf_addf(err, " '%s': expected %s", arg, o->expect ? o->expect : "a number");
	return -EINVAL;
}

static int store(const struct kb_option *o, const char *arg, struct strbuf *err)
{
	long l;
	double d;

	switch (o->type) {
	case OPT_T_BOOL:
		*(int *)o->value = 1;
		return 0;
	case OPT_T_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPT_T_LIST: {
		struct opt_list *list = o->value;

		ALLOC_GROW(list->v, list->nr + 1, list->alloc);
		list->v[list->nr++] = arg;
		return 0;
	}
	case OPT_T_INT:
	case OPT_T_UINT:
	case OPT_T_LONG:
		if (opt_parse_long(arg, (long)o->min, (long)o->max, &l))
			return bad_value(o, arg, err);
		if (o->type == OPT_T_INT)
			*(int *)o->value = (int)l;
		else if (o->type == OPT_T_UINT)
			*(unsigned *)o->value = (unsigned)l;
		else
			*(long *)o->value = l;
		return 0;
	case OPT_T_DOUBLE:
	case OPT_T_DURATION:
		if ((o->type == OPT_T_DOUBLE ? opt_parse_double : opt_parse_duration)(arg, o->min, o->max, &d))
			return bad_value(o, arg, err);
		*(double *)o->value = d;
		return 0;
	case OPT_T_CALLBACK:
		return o->cb(o, arg, err) ? -EINVAL : 0;
	case OPT_T_END:
	case OPT_T_HELP:
		break;
	}
	BUG("option type %d has no store", (int)o->type);
	return -EINVAL;
}

enum opt_result opt_parse(int argc, char **argv, const struct kb_option *opts, unsigned flags, int *first,
			  struct strbuf *err)
{
	struct strbuf so = STRBUF_INIT;
	struct option *lo;
	enum opt_result ret = OPT_GO;
	size_t n = 0, nl = 0;
	int c;

	while (opts[n].type != OPT_T_END)
		n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	/* '+': stop at the first operand, unless options may come anywhere; ':': a missing argument is ':' */
	strbuf_addstr(&so, flags & OPT_ANYWHERE ? ":" : "+:");
	for (size_t i = 0; i < n; i++) {
		if (opts[i].long_name) {
			lo[nl].name = opts[i].long_name;
			lo[nl].has_arg = takes_arg(&opts[i]) ? required_argument : no_argument;
			lo[nl].val = 256 + (int)i;
			nl++;
		}
		if (opts[i].short_name > 0 && opts[i].short_name < 256) {
			strbuf_addch(&so, (char)opts[i].short_name);
			if (takes_arg(&opts[i]))
				strbuf_addch(&so, ':');
		}
	}
	opterr = 0;
	optind = 0; /* GNU getopt: start again from argv[1] with fresh state */
	while (ret == OPT_GO && (c = getopt_long(argc, argv, so.buf, lo, NULL)) != -1) {
		const struct kb_option *o = NULL;

		if (c >= 256) {
			o = &opts[c - 256];
		} else if (c != '?' && c != ':') {
			for (size_t i = 0; i < n && !o; i++)
				if (opts[i].short_name == c)
					o = &opts[i];
		}
		if (c == ':') {
			strbuf_addf(err, "option '%s' needs an argument", argv[optind - 1]);
			ret = OPT_ERROR;
		} else if (!o) {
			strbuf_addf(err, "unknown option '%s' (see --help)", argv[optind - 1]);
			ret = OPT_ERROR;
		} else if (o->type == OPT_T_HELP) {
			ret = OPT_HELP;
		} else if (store(o, takes_arg(o) ? optarg : NULL, err)) {
			ret = OPT_ERROR;
		}
	}
	*first = optind;
	free(lo);
	strbuf_release(&so);
	return ret;
}

int opt_parse_command(int argc, char **argv, const struct kb_option *opts, const char *synopsis, unsigned flags,
		      int *first)
{
	struct strbuf err = STRBUF_INIT;
	enum opt_result r = opt_parse(argc, argv, opts, flags, first, &err);

	if (r == OPT_HELP)
		opt_usage(stdout, synopsis, opts);
	else if (r == OPT_ERROR)
		kb_error("%s", err.buf);
	strbuf_release(&err);
	return r == OPT_GO ? -1 : r == OPT_HELP ? KB_OK : KB_EUSAGE;
}

void opt_usage(FILE *fp, const char *synopsis, const struct kb_option *opts)
{
	fprintf(fp, "usage: %s\n\n", synopsis);
	opt_print_help(fp, opts);
}

void opt_print_help(FILE *fp, const struct kb_option *opts)
{
	for (; opts->type != OPT_T_END; opts++) {
		struct strbuf sb = STRBUF_INIT;

		if (opts->short_name > 0 && opts->short_name < 256)
			strbuf_addf(&sb, "-%c%s", opts->short_name, opts->long_name ? ", " : "");
		else
			strbuf_addstr(&sb, "    ");
		if (opts->long_name)
			strbuf_addf(&sb, "--%s", opts->long_name);
		if (opts->argh)
			strbuf_addf(&sb, " %s", opts->argh);
		fprintf(fp, "  %-26s %s\n", sb.buf, opts->help);
		strbuf_release(&sb);
	}
}

void opt_print_commands(FILE *fp, const struct kb_command *cmds, size_t n)
{
	int width = 0;

	for (size_t i = 0; i < n; i++)
		if (cmds[i].help && (int)strlen(cmds[i].name) > width)
			width = (int)strlen(cmds[i].name);
	for (size_t i = 0; i < n; i++)
		if (cmds[i].help)
			fprintf(fp, "  %-*s %s\n", width, cmds[i].name, cmds[i].help);
}

const struct kb_command *opt_find_command(const struct kb_command *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int opt_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opt_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || v != v)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A number followed by one of the units; `def` applies when there is no unit. */
static int parse_scaled(const char *s, const char *const *units, const double *scale, const char *def,
			double *out)
{
	char num[64], *end;
	const char *u;
	double v;
	size_t n;
	int i;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	n = strspn(s, "0123456789.");
	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	errno = 0;
	v = strtod(num, &end);
	if (*end != '\0' || errno)
		return -EINVAL;
	u = s[n] ? s + n : def;
	for (i = 0; units[i]; i++)
		if (strcmp(u, units[i]) == 0) {
			*out = v * scale[i];
			return 0;
		}
	return -EINVAL;
}

int opt_parse_duration(const char *s, double min, double max, double *out)
{
	static const char *const units[] = { "ns", "us", "ms", "s", "m", "min", "h", "d", NULL };
	static const double scale[] = { 1e-9, 1e-6, 1e-3, 1, 60, 60, 3600, 86400 };
	double v;
	int err = parse_scaled(s, units, scale, "s", &v);

	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opt_parse_cpulist(const char *s, unsigned ncpus, unsigned char *set)
{
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	memset(set, 0, ncpus);
	for (;;) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
			p = end;
			if (b < a)
				return -EINVAL;
		}
		if (b >= ncpus)
			return -ERANGE;
		for (; a <= b; a++)
			set[a] = 1;
		if (!*p)
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}
