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
