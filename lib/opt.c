/* opt.c - option tables for getopt_long, help text, strict number parsing */
#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

void opt_tables(const struct kb_option *opts, struct option **longopts, char **shortopts)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	while (opts[n].long_name || opts[n].short_name)
		n++;
	*longopts = xcalloc(n + 1, sizeof(**longopts));
	strbuf_addch(&sb, '+'); /* stop at the first non-option: subcommands parse the rest */
	strbuf_addch(&sb, ':');
	for (size_t i = 0; i < n; i++) {
		(*longopts)[i].name = opts[i].long_name;
		(*longopts)[i].has_arg = opts[i].has_arg;
		(*longopts)[i].val = opts[i].short_name;
		if (opts[i].short_name > 0 && opts[i].short_name < 256) {
			strbuf_addch(&sb, opts[i].short_name);
			if (opts[i].has_arg == required_argument)
				strbuf_addch(&sb, ':');
		}
	}
	*shortopts = strbuf_detach(&sb, NULL);
}

void opt_tables_free(struct option *longopts, char *shortopts)
{
	free(longopts);
	free(shortopts);
}

void opt_print_help(FILE *fp, const struct kb_option *opts)
{
	for (; opts->long_name || opts->short_name; opts++) {
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
